// Journey 5 (agreements) on Teams over real HTTP: a confirmed session offers both parties
// the organisation's agreement text; each signs on their own card; refusals (already
// signed, not a party, forged id, outdated text) change nothing; a newer text is offered
// again for the next session, and a text loaded with `npm run org` is offered at once to a
// confirmed session's parties, the old card being refused with the new one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageDelivery } from '../../src/channels/message-delivery.js';
import { main as orgCli } from '../../src/cli/org.js';
import { demoPerson, DEMO_AGREEMENT_TEMPLATES, DEMO_ORGANISATION_SLUG } from '../../src/db/demo-organisation.js';
import { createLogger } from '../../src/logger.js';
import { agreementStatusOf } from '../../src/flows/agreements.js';
import { cardOf, personalConversationId, startTeamsHarness, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};

const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
const agreementCards = (calls: ConnectorCall[], key: string) =>
  toPerson(calls, key)
    .map(cardOf)
    .filter((card) => card?.actions?.some((a: any) => a.verb === 'agreement.sign') || visibleTexts(card).includes('Version'));
const signButton = (card: any) => card.actions?.find((a: any) => a.verb === 'agreement.sign');

/** An individual session with specialist-2 at 10:00 on `date`, proposed directly (as stored rows). */
function proposedSession(date: string, attendeeKey: string) {
  const startsAt = new Date(`${date}T10:00:00Z`);
  return h.database.db.session.create({
    data: {
      organisationId: h.organisationId,
      format: 'INDIVIDUAL',
      type: 'MANDATORY',
      supervisorId: ids['specialist-2']!,
      proposedById: ids.specialist!,
      durationMinutes: 60,
      slots: { create: { startsAt, endsAt: new Date(startsAt.getTime() + 3_600_000) } },
      attendees: { create: { personId: ids[attendeeKey]! } },
    },
    include: { slots: true },
  });
}

/** A later session between the same people (proposed directly), confirmed by specialist-2. */
async function laterSession(date: string) {
  const session = await proposedSession(date, 'call-handler');
  h.take();
  const res = await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
  expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
  return { session, calls: h.take() };
}

/** A request from `requesterKey`, proposed by the specialist and confirmed by specialist-2. */
async function confirmedSession(requesterKey: string, summary: string, date: string) {
  await h.message(requesterKey, 'hello');
  await h.action(requesterKey, 'intake.risk', { answer: 'no' });
  await h.action(requesterKey, 'intake.kind', { helpType: 'SESSION' });
  await h.action(requesterKey, 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary, availability: 'weekdays' });
  const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary } });
  await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
  const claimed = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
  await h.action('specialist', 'session.propose', {
    requestId: claimed.id,
    version: claimed.version,
    supervisorId: ids['specialist-2'],
    date1: date,
    time1: '10:00',
    durationMinutes: '60',
  });
  const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: claimed.id }, include: { slots: true } });
  h.take();
  const res = await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
  expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
  return { session, calls: h.take() };
}

async function state() {
  return {
    signatures: await h.database.db.signature.findMany({ orderBy: { signedAt: 'asc' } }),
    agreements: await h.database.db.agreement.findMany({ orderBy: { createdAt: 'asc' } }),
    audits: await h.database.db.auditEvent.count({ where: { action: 'agreement.signed' } }),
  };
}

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of ['call-handler', 'specialist', 'specialist-2', 'paramedic']) {
    ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  }
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['specialist', 'specialist-2']) await h.message(key, 'help');
  h.take();
});
afterAll(async () => {
  await h.close();
});

describe('the individual agreement', () => {
  let sessionId = '';
  let agreementId = '';
  let sign: any;

  it('is offered to both parties when the session is confirmed, with the seeded text', async () => {
    const { session, calls } = await confirmedSession('call-handler', 'I would like supervision on a hard job', '2026-11-25');
    sessionId = session.id;
    const individual = DEMO_AGREEMENT_TEMPLATES.find((t) => t.kind === 'INDIVIDUAL')!;
    for (const key of ['call-handler', 'specialist-2']) {
      const cards = agreementCards(calls, key);
      expect(cards).toHaveLength(1);
      const shown = visibleTexts(cards[0]);
      expect(shown).toContain(individual.title);
      expect(shown).toContain('As a Supervisee and Supervisor, we agree to the following:');
      expect(shown.some((t) => t.startsWith('• To have protected time for safeguarding supervision'))).toBe(true);
      expect(shown).toContain('Version 1');
      expect(shown).toContain('from 10:00 to 11:00 on Wednesday 25 November 2026');
      expect(shown).toContain('No one yet');
      expect(signButton(cards[0]).title).toBe('Sign the agreement');
    }
    expect(agreementCards(calls, 'specialist')).toHaveLength(0);
    const agreement = await h.database.db.agreement.findFirstOrThrow({ where: { sessionId }, include: { parties: true, template: true } });
    expect(agreement).toMatchObject({ status: 'AWAITING_SIGNATURES', supervisorId: ids['specialist-2'] });
    expect(agreement.template).toMatchObject({ kind: 'INDIVIDUAL', version: 1 });
    expect(agreement.parties.map((p) => p.personId).sort()).toEqual([ids['call-handler'], ids['specialist-2']].sort());
    agreementId = agreement.id;
    sign = signButton(agreementCards(calls, 'call-handler')[0]);
    expect(sign.data).toMatchObject({ agreementId, version: 1 });
  });

  it('records the supervisee\'s signature from the platform identity and refreshes their card', async () => {
    h.clock.advance(5);
    const res = await h.action('call-handler', 'agreement.sign', { ...sign.data, personId: ids['specialist-2'] });
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    const shown = visibleTexts(res.body.value);
    expect(shown).toContain('Signed by you on Monday 23 November 2026 at 10:05.');
    expect(shown).toContain(demoPerson('specialist-2').name); // still to sign
    expect(shown).toContain(demoPerson('call-handler').name); // signed so far
    expect(signButton(res.body.value)).toBeUndefined();
    const { signatures, agreements, audits } = await state();
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatchObject({ agreementId, personId: ids['call-handler'], signedVersion: 1, platform: 'TEAMS', signedAt: h.clock.now() });
    expect(agreements[0]!.status).toBe('AWAITING_SIGNATURES');
    expect(audits).toBe(1);
    // The signer gets a short notice; the others are told only when everyone has signed.
    const calls = h.take();
    expect(calls.map((c) => c.body.text)).toEqual([`Signed. Still to sign: ${demoPerson('specialist-2').name}.`]);
    expect(toPerson(calls, 'specialist-2')).toHaveLength(0);
  });

  it('refuses a second signature and changes nothing', async () => {
    const before = await state();
    const res = await h.action('call-handler', 'agreement.sign', sign.data);
    expect(res.body.value).toBe('You have already signed version 1 of this agreement.');
    expect(await state()).toEqual(before);
  });

  it('refuses someone who is not a party and changes nothing', async () => {
    const before = await state();
    const res = await h.action('paramedic', 'agreement.sign', sign.data);
    expect(res.body.value).toBe('You are not a party to this agreement, so you cannot sign it.');
    expect(await state()).toEqual(before);
  });

  it('refuses a forged agreement id', async () => {
    const before = await state();
    for (const forged of ['00000000-0000-4000-8000-000000000000', 'not-an-id', 42]) {
      const res = await h.action('call-handler', 'agreement.sign', { agreementId: forged, version: 1 });
      expect(res.body.value).toBe("I can't find that agreement. The card may be out of date or not one of mine.");
    }
    expect(await state()).toEqual(before);
  });

  it('is signed when the supervisor signs too, and the session card says so', async () => {
    const res = await h.action('specialist-2', 'agreement.sign', sign.data);
    expect(visibleTexts(res.body.value)).toContain('No one: everyone has signed');
    const { agreements, signatures } = await state();
    expect(agreements[0]!.status).toBe('SIGNED');
    expect(agreements[0]!.reviewDue).toBeNull();
    expect(signatures.map((s) => s.personId)).toEqual([ids['call-handler'], ids['specialist-2']]);
    const calls = h.take();
    const told = cardOf(toPerson(calls, 'call-handler')[0]);
    const shown = visibleTexts(told);
    expect(shown).toContain('Agreement signed by everyone');
    const fact = told.body.find((b: any) => b.type === 'FactSet').facts.find((f: any) => f.title === 'Agreement');
    expect(fact.value).toBe('Agreement signed by everyone');
    expect(toPerson(calls, 'specialist-2').map(cardOf).filter(Boolean)).toHaveLength(0);
  });

  it('is not offered again for the next session with the same people', async () => {
    const { session, calls } = await laterSession('2026-11-30');
    expect(agreementCards(calls, 'call-handler')).toHaveLength(0);
    expect(agreementCards(calls, 'specialist-2')).toHaveLength(0);
    expect(await h.database.db.agreement.count({ where: { sessionId: session.id } })).toBe(0);
  });

  it('offers a newer version for a new session, and refuses a signature on the old text', async () => {
    const individual = DEMO_AGREEMENT_TEMPLATES.find((t) => t.kind === 'INDIVIDUAL')!;
    await h.database.db.agreementTemplate.create({
      data: { organisationId: h.organisationId, kind: 'INDIVIDUAL', version: 2, title: individual.title, body: `${individual.body}\n\n- A new term added in version 2.` },
    });
    const { session, calls } = await laterSession('2026-12-02');
    const card = agreementCards(calls, 'call-handler')[0];
    expect(visibleTexts(card)).toContain('Version 2');
    expect(visibleTexts(card)).toContain('• A new term added in version 2.');
    const fresh = signButton(card);
    const agreement = await h.database.db.agreement.findFirstOrThrow({ where: { sessionId: session.id }, include: { template: true } });
    expect(fresh.data).toEqual({ agreementId: agreement.id, version: 2 });

    const before = await state();
    const outdated = 'This agreement text has been updated; please read and sign version 2.';
    expect((await h.action('call-handler', 'agreement.sign', sign.data)).body.value).toBe(outdated);
    expect((await h.action('call-handler', 'agreement.sign', { agreementId: agreement.id, version: 1 })).body.value).toBe(outdated);
    expect((await h.action('call-handler', 'agreement.sign', { agreementId: sign.data.agreementId, version: 2 })).body.value).toBe(outdated);
    expect(await state()).toEqual(before);

    const res = await h.action('call-handler', 'agreement.sign', fresh.data);
    expect(visibleTexts(res.body.value).some((t) => t.startsWith('Signed by you on'))).toBe(true);
    expect(await h.database.db.signature.findFirstOrThrow({ where: { agreementId: agreement.id } })).toMatchObject({
      personId: ids['call-handler'],
      signedVersion: 2,
    });
  });
});

describe('group sessions and contracts', () => {
  it('offers a group session the group agreement and the attendance record; signing the record agrees to the group agreement', async () => {
    for (const key of ['ebs', 'mh-nurse']) ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    const startsAt = new Date('2026-12-03T14:00:00Z');
    const session = await h.database.db.session.create({
      data: {
        organisationId: h.organisationId,
        format: 'GROUP',
        type: 'MANDATORY',
        supervisorId: ids['specialist-2']!,
        proposedById: ids.specialist!,
        durationMinutes: 90,
        capacity: 6,
        slots: { create: { startsAt, endsAt: new Date(startsAt.getTime() + 90 * 60_000) } },
        attendees: { create: [{ personId: ids.ebs! }, { personId: ids['mh-nurse']! }] },
      },
      include: { slots: true },
    });
    for (const key of ['ebs', 'mh-nurse']) await h.message(key, 'help'); // so the bot can message them
    h.take();
    await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
    const calls = h.take();
    for (const key of ['ebs', 'mh-nurse', 'specialist-2']) {
      expect(agreementCards(calls, key).map((c) => signButton(c).title)).toEqual([
        'Sign the agreement',
        'Sign the attendance record (agrees to the group agreement)',
      ]);
    }
    const attendance = signButton(agreementCards(calls, 'ebs')[1]);
    await h.action('ebs', 'agreement.sign', attendance.data);
    const signed = await h.database.db.signature.findMany({ where: { personId: ids.ebs }, include: { agreement: { include: { template: true } } } });
    expect(signed.map((s) => s.agreement!.template.kind).sort()).toEqual(['GROUP', 'GROUP_ATTENDANCE']);
    expect(await agreementStatusOf(h.database.db, session.id)).toBe(`Agreement awaiting: ${demoPerson('specialist-2').name}, ${demoPerson('mh-nurse').name}`);
  });

  it('sets the review date when a contract is signed by everyone', async () => {
    const template = await h.database.db.agreementTemplate.findFirstOrThrow({ where: { organisationId: h.organisationId, kind: 'CONTRACT' } });
    const contract = await h.database.db.agreement.create({
      data: {
        templateId: template.id,
        supervisorId: ids['specialist-2']!,
        parties: { create: [{ personId: ids['specialist-2']! }, { personId: ids.paramedic! }] },
      },
    });
    await h.action('paramedic', 'agreement.sign', { agreementId: contract.id, version: 1 });
    h.take();
    const res = await h.action('specialist-2', 'agreement.sign', { agreementId: contract.id, version: 1 });
    expect(visibleTexts(res.body.value)).toContain('No one: everyone has signed');
    expect(await h.database.db.agreement.findUniqueOrThrow({ where: { id: contract.id } })).toMatchObject({
      status: 'SIGNED',
      reviewDue: new Date('2027-11-23T00:00:00Z'),
    });
    expect(toPerson(h.take(), 'paramedic').map((c) => c.body.text)).toEqual([`Everyone has signed the ${template.title} (version 1).`]);
  });
});

describe('a new version loaded with npm run org', () => {
  it('is offered at once to the parties of a confirmed session; the old card is refused with the new one, over Teams', async () => {
    await h.message('paramedic', 'help'); // so the bot can message them
    const proposed = await proposedSession('2026-12-10', 'paramedic');
    h.take();
    await h.action('specialist-2', 'session.confirm', { sessionId: proposed.id, version: proposed.version, slotId: proposed.slots[0]!.id });
    const oldCard = agreementCards(h.take(), 'paramedic')[0];
    const oldSign = signButton(oldCard);
    const latest = (await h.database.db.agreementTemplate.findFirstOrThrow({ where: { organisationId: h.organisationId, kind: 'INDIVIDUAL' }, orderBy: { version: 'desc' } })).version;
    expect(oldSign.data.version).toBe(latest);
    const signaturesBefore = await h.database.db.signature.findMany({ orderBy: { signedAt: 'asc' } });

    // The trust loads a new text; the CLI writes the offers, the workers deliver them.
    const dir = mkdtempSync(join(tmpdir(), 'agreement-'));
    const file = join(dir, 'individual-v-next.md');
    writeFileSync(file, `# Individual Safeguarding Supervision Agreement\n\n## We agree\n\n- A term added in the next version.\n`);
    const out: string[] = [];
    const err: string[] = [];
    const code = await orgCli(['load-agreement', DEMO_ORGANISATION_SLUG, 'individual', file], { DATABASE_URL: h.database.databaseUrl, DATABASE_SCHEMA: h.database.schema }, { out: (s) => out.push(s), err: (s) => err.push(s) }, h.clock);
    expect(code, err.join('\n')).toBe(0);
    const next = latest + 1;
    expect(out.join('\n')).toContain(`loaded as version ${next}`);
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: createLogger({ level: 'silent' }), clock: h.clock });
    const pending = await h.database.db.outboundMessage.findMany({ where: { status: 'PENDING', personId: { in: [ids.paramedic!, ids['specialist-2']!] } }, orderBy: { seq: 'asc' } });
    for (const row of pending) expect(await delivery.deliver(row.id)).toBe('sent');
    const delivered = h.take();
    const newCard = agreementCards(delivered, 'paramedic').find((c) => visibleTexts(c).includes(`Version ${next}`));
    expect(visibleTexts(newCard)).toContain('• A term added in the next version.');
    const newSign = signButton(newCard);
    expect(newSign.data.version).toBe(next);
    expect(agreementCards(delivered, 'specialist-2').some((c) => visibleTexts(c).includes(`Version ${next}`))).toBe(true);

    // The old card: refused, nothing written, and the new card comes with the answer.
    const refused = await h.action('paramedic', 'agreement.sign', oldSign.data);
    expect(refused.body.value).toContain(`has been replaced by version ${next}, so it can no longer be signed`);
    const offeredAgain = agreementCards(h.take(), 'paramedic');
    expect(offeredAgain.map((c) => signButton(c)?.data)).toEqual([newSign.data]);
    expect(await h.database.db.signature.findMany({ orderBy: { signedAt: 'asc' } })).toEqual(signaturesBefore);

    // Someone who is not a party cannot sign it; the party signs the new version.
    expect((await h.action('specialist', 'agreement.sign', newSign.data)).body.value).toBe('You are not a party to this agreement, so you cannot sign it.');
    const signed = await h.action('paramedic', 'agreement.sign', newSign.data);
    expect(visibleTexts(signed.body.value).some((t) => t.startsWith('Signed by you on'))).toBe(true);
    expect(await h.database.db.signature.findFirstOrThrow({ where: { agreementId: newSign.data.agreementId, personId: ids.paramedic } })).toMatchObject({ signedVersion: next, platform: 'TEAMS' });
  });
});
