// Journeys 1-3 on Teams through real HTTP: activities posted to the running server, the
// connector intercepted and every outbound payload asserted, state read from PostgreSQL.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { createLogger } from '../../src/logger.js';
import { cardOf, httpRequest, personalConversationId, SERVICE_URL, startTeamsHarness, textsOf, TRIAGE_CHANNEL, visibleTexts, type TeamsHarness } from '../support/teams-harness.js';

const SUMMARY = 'Crew attended a child with unexplained bruising; parent left before police arrived. Unsure if the referral was enough.';

let h: TeamsHarness;

beforeAll(async () => {
  h = await startTeamsHarness();
});
afterAll(async () => {
  await h.close();
});

function personalPath(key: string) {
  return `/v3/conversations/${personalConversationId(key)}/activities`;
}

async function requestByReference(reference: string) {
  return h.database.db.supervisionRequest.findUniqueOrThrow({ where: { reference } });
}

describe('binding the triage channel', () => {
  it('refuses someone who is not an administrator, and binds nothing', async () => {
    h.take();
    const res = await h.message('specialist', 'bind triage', 'channel');
    expect(res.status).toBe(200);
    const [reply] = h.take();
    expect(reply!.body.text).toBe('Only an administrator can make this the triage channel.');
    expect(await h.database.db.triageChannel.count()).toBe(0);
  });

  it('binds the channel when an administrator types the command there', async () => {
    const res = await h.message('admin', '<at>SG Supervision</at> bind triage', 'channel');
    expect(res.status).toBe(200);
    const [reply] = h.take();
    expect(reply!.method).toBe('POST');
    expect(reply!.path).toMatch(new RegExp(`^/v3/conversations/${TRIAGE_CHANNEL};messageid=\\d+/activities/in-\\d+$`));
    expect(reply!.body.text).toMatch(/^This channel is now the safeguarding triage channel\./);
    const bound = await h.database.db.triageChannel.findFirstOrThrow();
    expect(bound).toMatchObject({ platform: 'TEAMS', conversationId: TRIAGE_CHANNEL, name: 'Safeguarding triage' });
    const audit = await h.database.db.auditEvent.findFirst({ where: { action: 'triage-channel.bound' } });
    expect(audit?.actorId).toBe(bound.boundById);
  });
});

describe('a routine request for advice, claimed, advised and closed', () => {
  let reference = '';

  it('asks the immediate-risk question first, whatever the first message says', async () => {
    h.take();
    // Names no kind of help, so the kind is asked after the risk question (first-message-kind.test.ts
    // has a first message that names one).
    await h.message('paramedic', 'I need some help after a job last night');
    const [reply] = h.take();
    expect(reply!.path).toMatch(new RegExp(`^${personalPath('paramedic')}/in-\\d+$`));
    expect(cardOf(reply)).toEqual(
      renderAdaptiveCard({
        template: 'intake-risk',
        data: {
          intro: `Hello ${demoPerson('paramedic').name.split(' ')[0]}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team. First, one question.`,
        },
      }),
    );
  });

  it('asks for the kind of help after a "no", then the details for advice', async () => {
    const risk = await h.action('paramedic', 'intake.risk', { answer: 'no' });
    expect(risk.status).toBe(200);
    expect(risk.body).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Got it.' });
    const [kind] = h.take();
    expect(cardOf(kind)).toEqual(renderAdaptiveCard({ template: 'intake-kind', data: { heading: 'Thank you.' } }));

    await h.action('paramedic', 'intake.kind', { helpType: 'ADVICE' });
    const [details] = h.take();
    const card = cardOf(details);
    expect(card.body[0].text).toBe('Quick advice: a few details');
    expect(card.body.find((b: any) => b.id === 'format')).toBeUndefined();
    expect(card.body.find((b: any) => b.id === 'summary').isRequired).toBe(true);
  });

  it('warns about an NHS number and a postcode and saves nothing', async () => {
    const before = await h.database.db.supervisionRequest.count();
    await h.action('paramedic', 'intake.details', {
      acknowledged: 'no',
      availability: 'after 6pm',
      summary: 'Patient 943 476 5919 at SE1 7JN, worried about neglect',
    });
    const [warning] = h.take();
    const card = cardOf(warning);
    expect(card.body[1].items[0].text).toBe(
      'This looks like it may contain an NHS number and a postcode. Please remove anything that could identify a patient, then send again.',
    );
    // The text comes back in the card to edit; it is not stored anywhere.
    expect(card.body.find((b: any) => b.id === 'summary').value).toBe('Patient 943 476 5919 at SE1 7JN, worried about neglect');
    expect(await h.database.db.supervisionRequest.count()).toBe(before);
    const draft = await h.database.db.requestDraft.findFirstOrThrow();
    expect(JSON.stringify(draft.data)).not.toContain('943');
  });

  it('saves a clean request, answers with its reference and posts a triage card without the summary', async () => {
    await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'after 6pm', summary: SUMMARY });
    const calls = h.take();
    const triage = calls.find((c) => c.path === `/v3/conversations/${TRIAGE_CHANNEL}/activities`);
    const confirmation = calls.find((c) => c.path.startsWith(personalPath('paramedic')));
    expect(calls).toHaveLength(2);

    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary: SUMMARY } });
    reference = request.reference;
    expect(reference).toBe('SGS-2026-0001');
    expect(request).toMatchObject({ route: 'ADVICE', urgency: 'ROUTINE', status: 'OPEN', helpType: 'ADVICE', availability: 'after 6pm' });

    const confirmationCard = cardOf(confirmation);
    expect(confirmationCard.body[1].facts).toEqual([
      { title: 'Reference', value: 'SGS-2026-0001' },
      { title: 'What you asked for', value: 'Quick advice' },
      // Monday 10:00 in London with a 4-hour advice target.
      { title: 'Expect contact', value: 'by 14:00 today' },
    ]);

    const triageCard = cardOf(triage);
    expect(triageCard.body[1].facts).toEqual([
      { title: 'Reference', value: 'SGS-2026-0001' },
      { title: 'Staff group', value: demoPerson('paramedic').staffGroup },
      { title: 'Route', value: 'Advice' },
      { title: 'Urgency', value: 'Routine' },
      { title: 'Type', value: 'Quick advice' },
      { title: 'Format wanted', value: '—' },
      { title: 'Waiting', value: '0 min' },
      { title: 'Status', value: 'Waiting to be claimed' },
      { title: 'Claimed by', value: 'Unclaimed' },
      { title: 'Expect contact', value: 'by 14:00 today' },
    ]);
    expect(triageCard.actions.map((a: any) => a.title)).toEqual(['Claim', 'Close']);
    expect(textsOf(triage!.body).join(' ')).not.toContain('bruising');
    expect(textsOf(triage!.body).join(' ')).not.toContain('after 6pm');

    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id } });
    expect(posted).toMatchObject({ purpose: 'triage', conversationId: TRIAGE_CHANNEL, messageId: expect.stringMatching(/^out-/) });
  });

  it('refuses Claim from someone who is not a safeguarding specialist, changing nothing', async () => {
    const request = await requestByReference(reference);
    const res = await h.action('paramedic', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    expect(res.body).toEqual({
      statusCode: 200,
      type: 'application/vnd.microsoft.activity.message',
      value: 'Only safeguarding specialists can claim requests.',
    });
    expect(h.take()).toEqual([]);
    expect(await requestByReference(reference)).toEqual(request);
  });

  it('lets a specialist claim: the card updates in place for everyone and the summary goes to the claimer privately', async () => {
    await h.message('specialist', 'help'); // the specialist has a personal chat with the bot
    h.take();
    const request = await requestByReference(reference);
    const res = await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');

    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    const facts = Object.fromEntries(res.body.value.body[1].facts.map((f: any) => [f.title, f.value]));
    expect(facts).toMatchObject({ Status: 'Claimed', 'Claimed by': demoPerson('specialist').name, 'Expect contact': '—' });

    const calls = h.take();
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id } });
    const update = calls.find((c) => c.method === 'PUT');
    expect(update!.path).toBe(`/v3/conversations/${TRIAGE_CHANNEL}/activities/${posted.messageId}`);
    expect(cardOf(update)).toEqual(res.body.value);
    expect(textsOf(update!.body).join(' ')).not.toContain('bruising');

    const detail = calls.find((c) => c.method === 'POST');
    expect(detail!.path).toBe(`${personalPath('specialist')}`);
    const detailCard = cardOf(detail);
    expect(detailCard.body[0].text).toBe(`${reference}: confidential details`);
    expect(detailCard.body[4].inlines[0].text).toBe(SUMMARY);

    // The requester learns who has their request and what happens next.
    const toRequester = calls.filter((c) => c.path === personalPath('paramedic'));
    expect(toRequester.map((c) => c.body.text)).toEqual([
      `${demoPerson('specialist').name} from the safeguarding team has picked up your request ${reference}. They will reply to you here with advice.`,
    ]);

    const claimed = await requestByReference(reference);
    expect(claimed).toMatchObject({ status: 'CLAIMED', version: request.version + 1, claimedById: expect.any(String) });
    expect(claimed.firstResponseAt).toEqual(h.clock.now());
    const reads = await h.database.db.auditEvent.findMany({ where: { action: 'request.summary.read', subjectId: request.id } });
    expect(reads).toHaveLength(1);
  });

  it("gives the requester their own request's details as facts only: no working forms, no supervisors or colleagues", async () => {
    const request = await requestByReference(reference);
    h.take();
    await h.action('paramedic', 'request.details', { requestId: request.id, version: request.version }, 'personal');
    const detail = h.take().find((c) => c.method === 'POST' && c.path.startsWith(personalPath('paramedic')));
    const card = cardOf(detail);
    expect(card.body[0].text).toBe(`${reference}: confidential details`);
    expect(card.body[4].inlines[0].text).toBe(SUMMARY);
    expect(card.actions ?? []).toEqual([]);
    const everything = JSON.stringify(card);
    for (const form of ['request.advise', 'session.propose', 'request.close']) expect(everything).not.toContain(form);
    expect(everything).not.toContain(demoPerson('external-supervisor').name);
    expect(await h.database.db.auditEvent.count({ where: { action: 'request.summary.read', subjectId: request.id, actor: { email: demoPerson('paramedic').email } } })).toBe(1);
  });

  it('refuses a second claim and a stale card, naming the claimer', async () => {
    const request = await requestByReference(reference);
    const second = await h.action('specialist-2', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    expect(second.body.value).toBe(`This request has already been claimed by ${demoPerson('specialist').name}.`);
    const stale = await h.action('specialist-2', 'request.claim', { requestId: request.id, version: request.version - 1 }, 'channel');
    expect(stale.body.value).toBe('That card was out of date. It now shows the request as it is; please try again.');
    expect(await requestByReference(reference)).toEqual(request);
    h.take();
  });

  it('refuses advice from a specialist who did not claim it', async () => {
    const request = await requestByReference(reference);
    const res = await h.action('specialist-2', 'request.advise', { requestId: request.id, version: request.version, advice: 'x' }, 'channel');
    expect(res.body.value).toBe('Only the specialist who claimed this request can give advice on it.');
    expect(await h.database.db.supervisionRecord.count()).toBe(0);
  });

  it('delivers advice to the requester, records it, and updates the triage card', async () => {
    h.take();
    const request = await requestByReference(reference);
    const advice = 'Your referral was right. Add the parent leaving to the record and call the duty line if anything new comes up.';
    const res = await h.action('specialist', 'request.advise', { requestId: request.id, version: request.version, advice }, 'channel');
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');

    const calls = h.take();
    const toRequester = calls.find((c) => c.path === personalPath('paramedic'));
    expect(cardOf(toRequester)).toEqual(
      renderAdaptiveCard({
        template: 'advice',
        data: { requestId: request.id, reference, specialist: demoPerson('specialist').name, advice, answered: '' },
      }),
    );
    // The requester is asked for their acknowledgement in so many words (seeds 003 5.5).
    expect(textsOf(cardOf(toRequester)).join(' ')).toContain('Please acknowledge this advice: either button below records on it that you have received it');
    const update = calls.find((c) => c.method === 'PUT');
    expect(textsOf(update!.body)).toContain('Advice given');
    expect(textsOf(update!.body).join(' ')).not.toContain('referral was right');

    const record = await h.database.db.supervisionRecord.findFirstOrThrow({ where: { requestId: request.id }, include: { subjects: true, signatures: true } });
    expect(record).toMatchObject({ kind: 'ADVICE', content: advice, type: 'ON_REQUEST', status: 'AWAITING_SIGNATURES' });
    expect(record.subjects.map((s) => s.personId)).toEqual([request.requesterId]);
    expect(record.signatures).toHaveLength(1);
  });

  it('lets the requester ask for a session after the advice, and tells the specialist', async () => {
    const request = await requestByReference(reference);
    const res = await h.action('paramedic', 'request.feedback', { requestId: request.id, answer: 'session' });
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(textsOf(res.body.value)).toContain('You acknowledged this advice and asked for a supervision session. A specialist will be in touch to book it.');
    // Either answer acknowledges the advice: the record is countersigned (seeds 003 5.5, recorded by both).
    const record = await h.database.db.supervisionRecord.findFirstOrThrow({ where: { requestId: request.id }, include: { signatures: true } });
    expect(record.status).toBe('SIGNED');
    expect(record.signatures.map((s) => s.personId).sort()).toEqual([request.requesterId, request.claimedById].sort());
    const calls = h.take();
    expect(calls.find((c) => c.path === personalPath('specialist'))!.body.text).toBe(
      `${demoPerson('paramedic').name} would like a supervision session after your advice on ${reference}.`,
    );
    expect(await requestByReference(reference)).toMatchObject({ status: 'SESSION_REQUESTED', route: 'SUPERVISION', adviceFeedback: 'WANTS_SESSION' });
    const again = await h.action('paramedic', 'request.feedback', { requestId: request.id, answer: 'helped' });
    expect(again.body.value).toBe('This advice has been followed up already.');
  });

  it('closes with an outcome, and then refuses further changes', async () => {
    const request = await requestByReference(reference);
    const noOutcome = await h.action('specialist', 'request.close', { requestId: request.id, version: request.version }, 'channel');
    expect(noOutcome.body.value).toBe('Please choose an outcome before closing the request.');
    h.take();
    const res = await h.action('specialist', 'request.close', { requestId: request.id, version: request.version, outcome: 'REFERRED_ELSEWHERE' }, 'channel');
    expect(res.body.value.body[0].items[0].text).toBe(`${reference}: closed (Referred elsewhere)`);
    expect(res.body.value.actions).toEqual([]);
    expect(h.take().filter((c) => c.path === personalPath('paramedic')).map((c) => c.body.text)).toEqual([
      `Your request ${reference} is now closed: it has been passed to another service, and the safeguarding team will tell you which. If you need more help, message me at any time.`,
    ]);
    const closed = await requestByReference(reference);
    expect(closed).toMatchObject({ status: 'CLOSED', outcome: 'REFERRED_ELSEWHERE' });
    const again = await h.action('specialist', 'request.close', { requestId: request.id, version: closed.version, outcome: 'DUPLICATE' }, 'channel');
    expect(again.body.value).toBe('This request is already closed.');
  });
});

describe('someone at immediate risk', () => {
  it('gets the urgent routes at once, the team gets an URGENT alert, and the request is recorded', async () => {
    await h.message('call-handler', 'hello');
    h.take();
    await h.action('call-handler', 'intake.risk', { answer: 'yes' });
    const calls = h.take();
    const alert = calls.find((c) => c.path === `/v3/conversations/${TRIAGE_CHANNEL}/activities`);
    expect(cardOf(alert).body[0].items[0].text).toMatch(/^URGENT: SGS-2026-\d{4} \(someone may be at immediate risk\)$/);
    const toCaller = calls.filter((c) => c.path.startsWith(personalPath('call-handler')));
    const routes = cardOf(toCaller[0]);
    const routeTexts = visibleTexts(routes.body);
    expect(routeTexts[0]).toBe('If someone is at immediate risk');
    // Monday 10:00: in office hours, so 999, then the duty mobile, then the 24/7 line.
    expect(routeTexts.join('\n')).toMatch(/999[\s\S]*07990 138855[\s\S]*020 7407 7181/);
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson('call-handler').email } } });
    expect(request).toMatchObject({ urgency: 'URGENT', immediateRisk: true, summary: null });
    expect(cardOf(toCaller[1]).body[0].text).toBe('When you are safe to, tell us a little more.');

    // The details that follow complete the same request and update the same card.
    await h.action('call-handler', 'intake.kind', { helpType: 'CHILD_DEATH' });
    h.take();
    await h.action('call-handler', 'intake.details', { format: 'GROUP', summary: 'Crew were at a sudden infant death this morning.', acknowledged: 'no' });
    const after = h.take();
    expect(after.filter((c) => c.method === 'POST' && c.path === `/v3/conversations/${TRIAGE_CHANNEL}/activities`)).toHaveLength(0);
    expect(after.some((c) => c.method === 'PUT')).toBe(true);
    const confirmation = cardOf(after.find((c) => c.path.startsWith(personalPath('call-handler'))));
    expect(textsOf(confirmation)).toContain('Support for you');
    expect(await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({
      helpType: 'CHILD_DEATH',
      route: 'SUPERVISION',
      format: 'GROUP',
      urgency: 'URGENT',
    });
    expect(await h.database.db.supervisionRequest.count({ where: { requesterId: request.requesterId } })).toBe(1);
  });
});

describe('emotional impact: staff support signposted, each with its number or link', () => {
  /** The lines under "Support for you" on a card. */
  const supportLines = (card: any): string[] => {
    const section = card.body.find((b: any) => b.type === 'Container' && b.items?.[0]?.text === 'Support for you');
    return section ? section.items.slice(1).map((i: any) => i.text) : [];
  };

  it('shows every staff-support contact with its link on the details card and again on the confirmation', async () => {
    const contacts = await h.database.db.organisationContact.findMany({ where: { organisationId: h.organisationId, kind: 'STAFF_SUPPORT' }, orderBy: { sortOrder: 'asc' } });
    expect(contacts).toHaveLength(3);
    const expected = contacts.map((c) => {
      const reach = [c.phone, c.email, c.url].filter(Boolean);
      expect(reach.length, c.label).toBeGreaterThan(0);
      return `${c.label}: ${reach.join(', ')} (${c.availability})`;
    });
    expect(expected[2]).toBe('LINC workers (peer support): https://las-demo.example/linc (Demo placeholder: your trust sets its own with npm run org -- set-contacts)');

    await h.message('clinician-111', 'hello');
    h.take();
    await h.action('clinician-111', 'intake.risk', { answer: 'no' });
    h.take();
    await h.action('clinician-111', 'intake.kind', { helpType: 'EMOTIONAL_IMPACT' });
    const details = cardOf(h.take()[0]);
    expect(details.body[0].text).toBe('Emotional impact of a case: a few details');
    expect(details.body[1].text).toBe('Thank you for reaching out. Alongside supervision, the staff-support services below are there for you.');
    expect(supportLines(details)).toEqual(expected);

    await h.action('clinician-111', 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary: 'A hard week of calls; I keep thinking about one of them.' });
    const calls = h.take();
    const confirmation = cardOf(calls.find((c) => c.path.startsWith(personalPath('clinician-111'))));
    expect(confirmation.body[0].text).toBe('Your request has been sent');
    expect(supportLines(confirmation)).toEqual(expected);
    // The triage channel is not signposted: the card there carries no staff-support lines.
    const triage = cardOf(calls.find((c) => c.path === `/v3/conversations/${TRIAGE_CHANNEL}/activities`));
    expect(textsOf(triage).join(' ')).not.toContain('las-demo.example');
  });

  it('leaves the section out, and "below" unsaid, when the organisation has no staff-support contact', async () => {
    const saved = await h.database.db.organisationContact.findMany({ where: { organisationId: h.organisationId, kind: 'STAFF_SUPPORT' } });
    await h.database.db.organisationContact.deleteMany({ where: { id: { in: saved.map((c) => c.id) } } });
    try {
      await h.message('ops-manager', 'hello');
      h.take();
      await h.action('ops-manager', 'intake.risk', { answer: 'no' });
      h.take();
      await h.action('ops-manager', 'intake.kind', { helpType: 'EMOTIONAL_IMPACT' });
      const details = cardOf(h.take()[0]);
      expect(details.body[1].text).toBe('Thank you for reaching out.');
      expect(supportLines(details)).toEqual([]);
      expect(textsOf(details)).not.toContain('Support for you');
      await h.action('ops-manager', 'intake.cancel', {});
      h.take();
    } finally {
      await h.database.db.organisationContact.createMany({ data: saved });
    }
  });
});

describe('bad input gets a clear answer and changes nothing', () => {
  it('answers 400 to a body that is not JSON', async () => {
    const res = await h.post('{"type": "message", ');
    expect(res).toEqual({ status: 400, body: { error: 'The body is not valid JSON.' } });
  });

  it('answers 400 to JSON that is not an activity', async () => {
    expect(await h.post({ hello: 'world' })).toEqual({
      status: 400,
      body: { error: 'The body must be a Bot Framework activity (type, serviceUrl, conversation.id, from.id and recipient.id).' },
    });
    expect((await h.post([1, 2, 3])).status).toBe(400);
  });

  it('answers 413 to an oversized body', async () => {
    const res = await h.post({ type: 'message', text: 'x'.repeat(300 * 1024), serviceUrl: SERVICE_URL, conversation: { id: 'a' } });
    expect(res.status).toBe(413);
  });

  it('tells someone not in the directory whom to contact', async () => {
    h.take();
    const stranger = {
      type: 'message',
      id: 'stranger-1',
      channelId: 'msteams',
      serviceUrl: SERVICE_URL,
      text: 'hello',
      from: { id: '29:stranger', aadObjectId: '99999999-9999-4999-8999-999999999999', name: 'Stranger' },
      recipient: { id: '28:bot' },
      conversation: { id: 'a:stranger', conversationType: 'personal', tenantId: '1a5de000-0000-4000-8000-000000000000' },
    };
    const res = await h.post(stranger);
    expect(res.status).toBe(200);
    const [reply] = h.take();
    expect(reply!.body.text).toMatch(/^I can't find you in the staff directory/);
    expect(reply!.body.text).toContain('SGSupervision@lond-amb.nhs.uk');
    expect(await h.database.db.requestDraft.count({ where: { person: { email: 'stranger' } } })).toBe(0);
  });

  it('answers empty and over-long messages clearly, with the limit stated, and never skips the risk question', async () => {
    h.take();
    await h.message('ebs', '   ');
    const [question] = h.take();
    expect(cardOf(question)).toEqual(
      renderAdaptiveCard({
        template: 'intake-risk',
        data: {
          intro: `Hello ${demoPerson('ebs').name.split(' ')[0]}. I could not see any words in that message, but I can still help: I'll pass your request to the safeguarding team. First, one question.`,
        },
      }),
    );
    await h.message('ebs', 'a'.repeat(2001));
    expect(h.take().map((c) => c.body.text)).toEqual([
      'That message is 2,001 characters long. Please keep messages to at most 2,000 characters; I will ask for a short summary on a card.',
      'Please answer the question first: is anyone at immediate risk of harm right now? (yes or no)',
    ]);
    // Nothing is stored but the draft, and the draft holds no text.
    const draft = await h.database.db.requestDraft.findFirstOrThrow({ where: { person: { email: demoPerson('ebs').email } } });
    expect(draft).toMatchObject({ step: 'risk', data: {}, requestId: null });
    expect(await h.database.db.supervisionRequest.count({ where: { requester: { email: demoPerson('ebs').email } } })).toBe(0);
  });

  it('refuses unknown, forged and misplaced card actions', async () => {
    const unknown = await h.action('specialist', 'request.delete', { requestId: 'x' }, 'channel');
    expect(unknown.body.value).toBe("I don't recognise that button. It may be from an old card; message me to start again.");
    const forged = await h.action('specialist', 'request.claim', { requestId: '00000000-0000-4000-8000-000000000000', version: 1 }, 'channel');
    expect(forged.body.value).toBe("I can't find that request. It may have been removed, or the card is not one of mine.");
    const injected = await h.action('specialist', 'request.claim', { requestId: { $ne: null }, version: 1 }, 'channel');
    expect(injected.body.value).toBe("I can't find that request. It may have been removed, or the card is not one of mine.");
    const misplaced = await h.action('paramedic', 'intake.risk', { answer: 'yes' }, 'channel');
    expect(misplaced.body.value).toBe('That button only works in your personal chat with me.');
    const stale = await h.action('mh-nurse', 'intake.details', { summary: 'x' });
    expect(stale.body.value).toBe('This request has already been sent, or was cancelled.');
  });

  it('ignores identity claims inside card data: the platform identity decides', async () => {
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { status: 'OPEN' } });
    const specialist = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('specialist').email } });
    const res = await h.action('ebs', 'request.claim', { requestId: request.id, version: request.version, personId: specialist.id, roles: ['SPECIALIST'] }, 'channel');
    expect(res.body.value).toBe('Only safeguarding specialists can claim requests.');
    expect(await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).toEqual(request);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz with PostgreSQL and Redis checked', async () => {
    const health = await httpRequest(`${h.url}/healthz`, 'GET');
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    const ready = await httpRequest(`${h.url}/readyz`, 'GET');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });
});

describe('with an app id configured, Bot Framework authentication is on', () => {
  let secured: TeamsHarness;
  const logLines: string[] = [];
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    secured = await startTeamsHarness({
      appId: '00000000-0000-4000-8000-00000000b07a',
      appPassword: 'not-a-real-secret',
      logger: createLogger({ level: 'info', destination }),
    });
  });
  afterAll(async () => {
    await secured.close();
  });

  it('answers 401 to an activity without a token and runs no turn', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleError = vi.spyOn(console, 'error');
    try {
      logLines.length = 0;
      const res = await secured.message('paramedic', 'hello');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'Unauthorized.' });
      expect(secured.take()).toEqual([]);
      expect(await secured.database.db.requestDraft.count()).toBe(0);
      // One structured line with the error's name, no stack, nothing on stderr.
      const lines = logLines.map((l) => JSON.parse(l));
      const refused = lines.find((l) => l.msg === 'Teams request not authenticated');
      expect(refused).toMatchObject({ level: 40, err: { name: expect.any(String) } });
      expect(logLines.join('')).not.toMatch(/\bat \S+ \(/);
      expect(refused.err.stack ?? '').toBe('');
      expect(consoleError).not.toHaveBeenCalled();
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      consoleError.mockRestore();
    }
  });

  it('answers 401 to a forged token', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJhdWQiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMGIwN2EifQ.';
    const res = await secured.post(
      { type: 'message', text: 'hi', serviceUrl: secured.serviceUrl, conversation: { id: 'a:x' }, from: { id: 'x' }, recipient: { id: '28:bot' }, channelId: 'msteams' },
      { authorization: `Bearer ${forged}` },
    );
    expect(res.status).toBe(401);
    expect(secured.take()).toEqual([]);
  });
});
