// Supervision history on Teams over real HTTP: "history" lists a person's session and advice
// records without content; "View" reads one (audited) for those allowed; the Head and
// specialists can ask for someone else's history (audited); the Head reads a record's audit
// trail from the card; and "my actions" shows a supervisor the progress of the points they
// supervise. Every refusal changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { cardOf, personalConversationId, startTeamsHarness, textsOf, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};
let sessionRecordId = '';
let adviceRecordId = '';

const ADVICE = 'Speak to the duty team about the threshold for a referral.';
const DISCUSSION = 'Talked through the repeated call and the referral threshold.';

const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
const cardsTo = (calls: ConnectorCall[], key: string) => toPerson(calls, key).map(cardOf).filter(Boolean);
const textsTo = (calls: ConnectorCall[], key: string) => toPerson(calls, key).map((c) => c.body.text).filter((t): t is string => typeof t === 'string');
const count = (action: string) => h.database.db.auditEvent.count({ where: { action } });
/** Everything a refusal must leave as it was; a refused read's own audit entry is checked apart. */
const dbState = async () =>
  JSON.stringify({
    audit: await h.database.db.auditEvent.count({ where: { action: { not: 'read.refused' } } }),
    records: await h.database.db.supervisionRecord.findMany({ orderBy: { id: 'asc' }, include: { signatures: true, actionPoints: true } }),
  });

/** A refusal for lack of permission is a refused read, audited once; other refusals audit nothing. */
async function expectRefusedReadAudit(before: number, answer: string | RegExp, key: string) {
  const permissionRefusal = typeof answer === 'string' ? answer.startsWith('Only') : answer.source.startsWith('^Only');
  expect(await count('read.refused')).toBe(before + (permissionRefusal ? 1 : 0));
  if (permissionRefusal) {
    const event = await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'read.refused' }, orderBy: { id: 'desc' } });
    expect(event.actorId).toBe(ids[key]);
  }
}

/** A message typed in the personal chat; returns what the bot sent back to that person. */
async function say(key: string, text: string) {
  h.take();
  await h.message(key, text);
  const calls = h.take();
  return { cards: cardsTo(calls, key), texts: textsTo(calls, key) };
}

/** A card action; returns the invoke answer and any cards sent to that person. */
async function press(key: string, verb: string, data: Record<string, unknown>) {
  h.take();
  const res = await h.action(key, verb, data);
  const calls = h.take();
  const notice = typeof res.body?.value === 'string' ? res.body.value : undefined;
  return { notice, cards: cardsTo(calls, key) };
}

async function request(key: string, helpType: 'ADVICE' | 'SESSION') {
  await h.message(key, 'new request');
  await h.action(key, 'intake.risk', { answer: 'no' });
  await h.action(key, 'intake.kind', { helpType });
  await h.action(key, 'intake.details', { acknowledged: 'no', ...(helpType === 'SESSION' ? { format: 'INDIVIDUAL' } : {}), summary: 'A case that keeps coming back to me', availability: 'weekdays' });
  return h.database.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: ids[key] }, orderBy: { createdAt: 'desc' } });
}

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of ['paramedic', 'call-handler', 'specialist', 'specialist-2', 'head', 'ops-manager']) {
    ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  }
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['specialist', 'specialist-2', 'head', 'ops-manager', 'paramedic']) await h.message(key, 'help');

  // Advice first: an informal advice record from the foundation issue.
  let advice = await request('call-handler', 'ADVICE');
  await h.action('specialist', 'request.claim', { requestId: advice.id, version: advice.version }, 'channel');
  advice = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: advice.id } });
  await h.action('specialist', 'request.advise', { requestId: advice.id, version: advice.version, advice: ADVICE }, 'channel');
  adviceRecordId = (await h.database.db.supervisionRecord.findFirstOrThrow({ where: { kind: 'ADVICE' } })).id;

  // Then a session with a signed record and action points.
  let session = await request('call-handler', 'SESSION');
  await h.action('specialist', 'request.claim', { requestId: session.id, version: session.version }, 'channel');
  session = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: session.id } });
  await h.action('specialist', 'session.propose', { requestId: session.id, version: session.version, supervisorId: ids['specialist-2'], date1: '2026-11-25', time1: '10:00', durationMinutes: '60' });
  const booked = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
  await h.action('specialist-2', 'session.confirm', { sessionId: booked.id, version: booked.version, slotId: booked.slots[0]!.id });
  h.clock.advance(2 * 24 * 60 + 60); // Wednesday 25 November, 11:00
  await h.action('specialist-2', 'record.start', { sessionId: booked.id });
  sessionRecordId = (await h.database.db.supervisionRecord.findFirstOrThrow({ where: { kind: 'SESSION' } })).id;
  await h.action('specialist-2', 'record.save', {
    recordId: sessionRecordId,
    version: 1,
    format: 'INDIVIDUAL',
    type: 'ON_REQUEST',
    [`attendance_${ids['call-handler']}`]: 'ATTENDED',
    content: DISCUSSION,
    ap1_description: 'Complete level 3 neglect training',
    ap1_owner: ids['call-handler'],
    ap1_due: '2026-12-10',
    ap1_kind: 'TRAINING_NEED',
    ap2_description: 'Book a follow-up supervision session',
    ap2_owner: ids['specialist-2'],
    ap2_due: '2026-12-01',
    ap2_kind: 'FOLLOW_UP_SUPERVISION',
    ap3_description: 'Contact the staff wellbeing service',
    ap3_owner: ids['call-handler'],
    ap3_due: '2026-11-30',
    ap3_kind: 'SIGNPOSTED_TO_SUPPORT',
  });
  await h.action('call-handler', 'record.sign', { recordId: sessionRecordId, version: 2 });
  await h.action('specialist-2', 'record.sign', { recordId: sessionRecordId, version: 2 });
  expect((await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: sessionRecordId } })).status).toBe('SIGNED');
  h.take();
});
afterAll(async () => {
  await h.close();
});

describe('"history"', () => {
  it('lists the session and the advice record, newest first, without content, and reads nothing', async () => {
    const reads = await count('record.read');
    const { cards } = await say('call-handler', 'history');
    expect(cards).toHaveLength(1);
    const card = cards[0];
    const shown = visibleTexts(card);
    expect(shown).toContain('Your supervision history');
    expect(shown.filter((t) => t === 'Session' || t === 'Advice')).toEqual(['Session', 'Advice']);
    expect(shown).toContain('25 Nov 2026');
    expect(shown).toContain(demoPerson('specialist-2').name);
    expect(shown).toContain(demoPerson('specialist').name);
    expect(shown).toContain('Signed');
    expect(shown).toContain('Awaiting signatures');
    expect(textsOf(card).join('\n')).not.toMatch(/duty team|referral threshold|neglect training|keeps coming back/);
    const actions = JSON.stringify(card);
    expect(actions).toContain(`"verb":"record.view","data":{"recordId":"${sessionRecordId}"}`);
    expect(actions).toContain(`"verb":"record.view","data":{"recordId":"${adviceRecordId}"}`);
    expect(actions).not.toContain('record.audit');
    expect(await count('record.read')).toBe(reads);
  });

  it("shows the supervisor the supervisee's name and an empty history to someone with none", async () => {
    const supervisor = visibleTexts((await say('specialist-2', 'history')).cards[0]);
    expect(supervisor).toContain(demoPerson('call-handler').name);
    expect(supervisor.filter((t) => t === 'Session' || t === 'Advice')).toEqual(['Session']);
    expect(visibleTexts((await say('paramedic', 'history')).cards[0])).toContain('No supervision records yet.');
  });

  it('gives the Head the Audit trail button on each record', async () => {
    const card = (await say('head', `history ${demoPerson('call-handler').email}`)).cards[0];
    expect(visibleTexts(card)).toContain(`Supervision history of ${demoPerson('call-handler').name}`);
    expect(JSON.stringify(card)).toContain(`"verb":"record.audit","data":{"recordId":"${sessionRecordId}"}`);
  });
});

describe('viewing a record from the history', () => {
  it('shows the supervisee and a specialist the record and audits each read', async () => {
    const reads = await count('record.read');
    const mine = await press('call-handler', 'record.view', { recordId: sessionRecordId });
    expect(visibleTexts(mine.cards[0])).toContain(DISCUSSION);
    expect(JSON.stringify(mine.cards[0])).not.toContain('record.sign');
    const advice = await press('call-handler', 'record.view', { recordId: adviceRecordId });
    expect(visibleTexts(advice.cards[0])).toContain('Advice record');
    expect(visibleTexts(advice.cards[0])).toContain(ADVICE);
    // The supervisee has not signed the advice record yet, so it offers Sign.
    expect(JSON.stringify(advice.cards[0])).toContain('"verb":"record.sign"');
    const specialist = await press('specialist', 'record.view', { recordId: sessionRecordId });
    expect(visibleTexts(specialist.cards[0])).toContain(DISCUSSION);
    expect(await count('record.read')).toBe(reads + 3);
    const audit = await h.database.db.auditEvent.findMany({ where: { action: 'record.read' }, orderBy: { id: 'desc' }, take: 3 });
    expect(audit.map((a) => [a.actorId, a.subjectId])).toEqual([
      [ids.specialist, sessionRecordId],
      [ids['call-handler'], adviceRecordId],
      [ids['call-handler'], sessionRecordId],
    ]);
  });

  it.each([
    ['someone who is not a party', 'paramedic', () => sessionRecordId, /^Only the supervisee, the supervisor/],
    ['a line manager', 'ops-manager', () => adviceRecordId, /^Only the supervisee, the supervisor/],
    ['a forged id', 'head', () => '00000000-0000-4000-8000-000000000000', /can't find that record/],
    ['a malformed id', 'call-handler', () => 'not-an-id', /can't find that record/],
    ['no id', 'call-handler', () => undefined, /can't find that record/],
  ])('refuses %s and changes nothing', async (_name, key, recordId, message) => {
    const before = await dbState();
    const refused = await count('read.refused');
    const { notice, cards } = await press(key, 'record.view', { recordId: recordId() });
    expect(notice).toMatch(message);
    expect(cards).toEqual([]);
    expect(await dbState()).toBe(before);
    await expectRefusedReadAudit(refused, message, key);
  });
});

describe('someone else\'s history', () => {
  it('lets a specialist see it by e-mail, audited as history.read', async () => {
    const before = await count('history.read');
    const reads = await count('record.read');
    const card = (await say('specialist', `history ${demoPerson('call-handler').email.toUpperCase()}`)).cards[0];
    expect(visibleTexts(card)).toContain(`Supervision history of ${demoPerson('call-handler').name}`);
    expect(JSON.stringify(card)).not.toContain('record.audit');
    expect(await count('history.read')).toBe(before + 1);
    const event = await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'history.read', actorId: ids.specialist } });
    expect(event).toMatchObject({ subjectType: 'person', subjectId: ids['call-handler'] });
    expect(await count('record.read')).toBe(reads);
  });

  it.each([
    ['staff', 'paramedic', () => `history ${demoPerson('call-handler').email}`, "Only the Head of Safeguarding and the safeguarding specialists can see someone else's supervision history."],
    ['a line manager', 'ops-manager', () => `history ${demoPerson('call-handler').email}`, "Only the Head of Safeguarding and the safeguarding specialists can see someone else's supervision history."],
    ['an unknown e-mail', 'head', () => 'history nobody@example.org', "I can't find anyone with the e-mail nobody@example.org in the staff directory."],
    ['something that is not an e-mail', 'head', () => 'history @', '"@" is not an e-mail address. Type "history" followed by the person\'s e-mail.'],
  ])('refuses %s and changes nothing', async (_name, key, text, answer) => {
    const before = await dbState();
    const refused = await count('read.refused');
    const { cards, texts } = await say(key, text());
    expect(texts).toContain(answer);
    expect(cards).toEqual([]);
    expect(await dbState()).toBe(before);
    await expectRefusedReadAudit(refused, answer, key);
  });
});

describe("a record's audit trail from the history card", () => {
  it('shows the Head who read and changed the record, its session and action points, never content, and audits the reading', async () => {
    const before = await count('audit.read');
    const { cards } = await press('head', 'record.audit', { recordId: sessionRecordId });
    const shown = visibleTexts(cards[0]).join('\n');
    expect(shown).toContain(`Audit trail for the supervision record of ${demoPerson('call-handler').name}`);
    for (const action of ['session.confirmed', 'record.saved', 'record.signed', 'record.read']) expect(shown).toContain(action);
    expect(shown).toContain(demoPerson('specialist').name); // the specialist's read above
    expect(textsOf(cards[0]).join('\n')).not.toMatch(/neglect training|referral threshold|duty team/);
    expect(await count('audit.read')).toBe(before + 1);
    expect(await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'audit.read' }, orderBy: { id: 'desc' } })).toMatchObject({
      actorId: ids.head,
      subjectType: 'record',
      subjectId: sessionRecordId,
    });
  });

  it.each([
    ['a specialist', 'specialist', () => sessionRecordId, 'Only the Head of Safeguarding can see the audit trail.'],
    ['the supervisee', 'call-handler', () => sessionRecordId, 'Only the Head of Safeguarding can see the audit trail.'],
    ['a forged id', 'head', () => '00000000-0000-4000-8000-000000000000', "I can't find that record. The card may be out of date or not one of mine."],
  ])('refuses %s and changes nothing', async (_name, key, recordId, message) => {
    const before = await dbState();
    const refused = await count('read.refused');
    const { notice, cards } = await press(key, 'record.audit', { recordId: recordId() });
    expect(notice).toBe(message);
    expect(cards).toEqual([]);
    expect(await dbState()).toBe(before);
    await expectRefusedReadAudit(refused, message, key);
  });
});

describe('"my actions" for a supervisor', () => {
  it("lists the supervisee's points under their own heading with open, done and overdue, auditing the read once", async () => {
    const point = await h.database.db.actionPoint.findFirstOrThrow({ where: { recordId: sessionRecordId, ordinal: 1 } });
    await h.action('call-handler', 'action-point.done', { actionPointId: point.id });
    h.clock.advance(6 * 24 * 60); // Tuesday 1 December, 11:00: the wellbeing point (30 November) is overdue
    const reads = await count('record.read');
    const { cards, texts } = await say('specialist-2', 'my actions');
    expect(texts[0]).toBe('You have 1 open action point.');
    expect(cards.map((c) => visibleTexts(c)[1])).toEqual(['Book a follow-up supervision session']);
    const name = demoPerson('call-handler').name;
    expect(texts[1]).toBe(
      [
        'Action points you supervise (2):',
        `- Overdue: Contact the staff wellbeing service (${name}, by Monday 30 November 2026)`,
        `- Done: Complete level 3 neglect training (${name}, by Thursday 10 December 2026)`,
      ].join('\n'),
    );
    expect(await count('record.read')).toBe(reads + 1);
  });

  it("keeps the owner's own list as it was", async () => {
    const { cards, texts } = await say('call-handler', 'my actions');
    expect(texts).toEqual(['You have 1 open action point.']);
    expect(cards.map((c) => visibleTexts(c)[1])).toEqual(['Contact the staff wellbeing service']);
  });

  it('says so when there is nothing to list', async () => {
    const reads = await count('record.read');
    expect((await say('paramedic', 'my actions')).texts).toEqual(['You have no open action points.']);
    expect(await count('record.read')).toBe(reads);
  });
});

describe('help', () => {
  it('mentions "history"', async () => {
    // The help card (issue 13): each command a fact, with what it does.
    const { cards } = await say('paramedic', 'help');
    const shown = visibleTexts(cards.map((c: any) => c.body));
    expect(shown[shown.indexOf('history') + 1]).toBe('Your supervision records and advice, with a button to read each one.');
  });
});
