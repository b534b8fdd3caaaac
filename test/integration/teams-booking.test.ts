// Journey 4 (booking) on Teams over real HTTP: a specialist proposes times, the supervisor
// confirms, suggests another time or declines, parties get calendar invites served by the
// bot, and any party can cancel. Every refusal leaves the database as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { cardOf, httpRequest, personalConversationId, startTeamsHarness, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};

const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));

async function openRequest(requesterKey: string, helpType: string, summary: string) {
  await h.message(requesterKey, 'hello');
  await h.action(requesterKey, 'intake.risk', { answer: 'no' });
  await h.action(requesterKey, 'intake.kind', { helpType });
  await h.action(requesterKey, 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary, availability: 'weekdays' });
  const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary } });
  await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
  h.take();
  return h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
}

async function sessionCount() {
  return h.database.db.session.count();
}

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of ['paramedic', 'call-handler', 'specialist', 'specialist-2', 'head']) {
    ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  }
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['specialist', 'specialist-2']) await h.message(key, 'help');
  h.take();
});
afterAll(async () => {
  await h.close();
});

describe('proposing a session', () => {
  let requestId = '';
  let version = 0;
  const propose = (actor: string, fields: Record<string, unknown>) =>
    h.action(actor, 'session.propose', {
      requestId,
      version,
      supervisorId: ids['specialist-2'],
      date1: '2026-11-25',
      time1: '10:00',
      durationMinutes: '60',
      venue: 'Room 4, Waterloo HQ',
      ...fields,
    });

  beforeAll(async () => {
    const request = await openRequest('call-handler', 'SESSION', 'A case that keeps coming back to me');
    requestId = request.id;
    version = request.version;
  });

  it('offers booking on the claimer\'s details card, with the supervisors and the matrix duration', async () => {
    const request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: requestId } });
    await h.action('specialist', 'request.details', { requestId, version: request.version }, 'channel');
    const [detail] = toPerson(h.take(), 'specialist');
    const book = cardOf(detail).actions.find((a: any) => a.title === 'Book a session');
    const inputs = Object.fromEntries(book.card.body.filter((b: any) => b.id).map((b: any) => [b.id, b]));
    expect(Object.keys(inputs)).toEqual(['supervisorId', 'date1', 'time1', 'date2', 'time2', 'durationMinutes', 'venue', 'onlineLink']);
    expect(inputs.supervisorId.value).toBe(ids.specialist);
    expect(inputs.supervisorId.choices.map((c: any) => c.title)).toContain(demoPerson('specialist-2').name);
    expect(inputs.durationMinutes.value).toBe(60);
    expect(book.card.actions[0]).toMatchObject({ verb: 'session.propose', data: { requestId, version: request.version } });
  });

  it.each([
    ['a time in the past', { date1: '2026-11-20' }, /already passed|in the past/i],
    ['a duration under 15 minutes', { durationMinutes: '10' }, /15/],
    ['a date without a time', { time1: '' }, /both a date and a time/],
    ['a supervisor not in the list', { supervisorId: '00000000-0000-4000-8000-000000000000' }, /choose a supervisor from the list/],
    ['an online link that is not https', { onlineLink: 'javascript:alert(1)' }, /must start with https:\/\//],
  ])('refuses %s and books nothing', async (_name, fields, message) => {
    const res = await propose('specialist', fields);
    expect(res.body.value).toMatch(message);
    expect(await sessionCount()).toBe(0);
  });

  it('refuses a proposal from someone who is not on the safeguarding team', async () => {
    const res = await propose('paramedic', {});
    expect(res.body.value).toMatch(/^Only /);
    expect(await sessionCount()).toBe(0);
  });

  it('refuses a forged request id', async () => {
    const res = await h.action('specialist', 'session.propose', { requestId: '00000000-0000-4000-8000-000000000000', version: 1 });
    expect(res.body.value).toBe("I can't find that request. It may have been removed, or the card is not one of mine.");
  });

  it('sends the supervisor the times with the reasonable adjustments, and tells the supervisee', async () => {
    h.take();
    const res = await propose('specialist', { date2: '2026-11-26', time2: '14:00' });
    expect(res.body.value).toBe(`Session proposed to ${demoPerson('specialist-2').name} for ${(await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: requestId } })).reference}. You will hear when they answer.`);
    const calls = h.take();
    const proposal = cardOf(toPerson(calls, 'specialist-2')[0]);
    const shown = visibleTexts(proposal);
    expect(shown).toContain('Reasonable adjustments to agree before confirming');
    expect(shown).toContain(demoPerson('call-handler').reasonableAdjustments);
    const slots = proposal.body.find((b: any) => b.id === 'slotId').choices.map((c: any) => c.title);
    expect(slots).toEqual(['from 10:00 to 11:00 on Wednesday 25 November 2026', 'from 14:00 to 15:00 on Thursday 26 November 2026']);
    expect(proposal.actions.map((a: any) => a.title)).toEqual(['Confirm', 'Suggest another time', 'Decline']);
    expect(visibleTexts(cardOf(toPerson(calls, 'call-handler')[0]))).toContain('A supervision session has been proposed');
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true, attendees: true, events: true } });
    expect(session).toMatchObject({ status: 'PROPOSED', format: 'INDIVIDUAL', type: 'ON_REQUEST', durationMinutes: 60, venue: 'Room 4, Waterloo HQ', supervisorId: ids['specialist-2'] });
    expect(session.slots).toHaveLength(2);
    expect(session.attendees.map((a) => a.personId)).toEqual([ids['call-handler']]);
    expect(session.events.map((e) => e.toStatus)).toEqual(['PROPOSED']);
  });

  it('lets only the supervisor confirm', async () => {
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
    const res = await h.action('specialist', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
    expect(res.body.value).toMatch(/^Only the supervisor/);
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).status).toBe('PROPOSED');
  });

  it('confirms the chosen time, tells every party and serves each a calendar invite', async () => {
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: { orderBy: { startsAt: 'asc' } } } });
    const res = await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[1]!.id });
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(visibleTexts(res.body.value)).toContain('Confirmed: from 14:00 to 15:00 on Thursday 26 November 2026.');
    const calls = h.take();
    const toSupervisee = cardOf(toPerson(calls, 'call-handler')[0]);
    expect(visibleTexts(toSupervisee)).toContain('Supervision session confirmed');
    const invite = toSupervisee.actions.find((a: any) => a.type === 'Action.OpenUrl');
    expect(invite.title).toBe('Add to calendar');
    expect(toPerson(calls, 'specialist')).toHaveLength(1);

    const stored = await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(stored).toMatchObject({ status: 'CONFIRMED', startsAt: new Date('2026-11-26T14:00:00Z'), endsAt: new Date('2026-11-26T15:00:00Z') });
    expect((await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('BOOKED');

    const path = new URL(invite.url).pathname;
    const ics = await httpRequest(`${h.url}${path}`, 'GET');
    expect(ics.status).toBe(200);
    expect(ics.headers['content-type']).toMatch(/^text\/calendar/);
    expect(ics.text).toContain('METHOD:REQUEST');
    expect(ics.text).toContain('DTSTART:20261126T140000Z');
    expect(ics.text).toContain(`UID:${session.id}@sg-supervision`);
    expect(ics.text).not.toContain('keeps coming back');

    const tampered = await httpRequest(`${h.url}${path.replace(/.{3}\.ics$/, 'AAA.ics')}`, 'GET');
    expect(tampered.status).toBe(404);
  });

  it('refuses a second confirmation of the same card', async () => {
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
    const res = await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
    expect(res.body.value).toMatch(/confirmed|out of date/i);
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).startsAt).toEqual(new Date('2026-11-26T14:00:00Z'));
  });

  it('refuses to double-book the supervisor', async () => {
    const other = await openRequest('paramedic', 'SESSION', 'Another case for supervision please');
    const res = await h.action('specialist', 'session.propose', {
      requestId: other.id,
      version: other.version,
      supervisorId: ids['specialist-2'],
      date1: '2026-11-26',
      time1: '14:30',
      durationMinutes: '60',
    });
    expect(res.body.value).toBe(`${demoPerson('specialist-2').name} already has a session from 14:00 to 15:00 on Thursday 26 November 2026.`);
    expect(await sessionCount()).toBe(1);
  });

  it('lets the supervisee cancel with a reason: the others are told, the canceller is asked to rebook within the window', async () => {
    const session = await h.database.db.session.findFirstOrThrow({ where: { status: 'CONFIRMED' } });
    const noReason = await h.action('call-handler', 'session.cancel', { sessionId: session.id, version: session.version });
    expect(noReason.body.value).toBe('Please say why you are cancelling.');
    const res = await h.action('call-handler', 'session.cancel', { sessionId: session.id, version: session.version, reason: 'On a night shift that week' });
    expect(visibleTexts(res.body.value).join(' ')).toMatch(/please arrange another session by Thursday 24 December 2026/);
    const calls = h.take();
    expect(visibleTexts(cardOf(toPerson(calls, 'specialist-2').at(-1))).join(' ')).toContain('cancelled this session: On a night shift that week');
    const stored = await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(stored).toMatchObject({ status: 'CANCELLED', cancelReason: 'On a night shift that week', cancelledById: ids['call-handler'] });
    expect(stored.rebookBy).not.toBeNull();
    const invite = cardOf(toPerson(calls, 'specialist-2').at(-1)).actions.find((a: any) => a.type === 'Action.OpenUrl');
    const ics = await httpRequest(`${h.url}${new URL(invite.url).pathname}`, 'GET');
    expect(ics.text).toContain('METHOD:CANCEL');
    expect(ics.text).toContain('STATUS:CANCELLED');
  });

  it('refuses cancellation by someone who is not a party', async () => {
    const session = await h.database.db.session.findFirstOrThrow({ where: { status: 'CANCELLED' } });
    const res = await h.action('paramedic', 'session.cancel', { sessionId: session.id, version: session.version, reason: 'x' });
    expect(res.body.value).toMatch(/^Only /);
  });
});

describe('suggesting another time and declining', () => {
  it('lets the supervisor suggest a time that the proposer accepts with one click', async () => {
    const request = await openRequest('ebs', 'SESSION', 'Group of us want to talk through a job');
    await h.action('specialist', 'session.propose', { requestId: request.id, version: request.version, supervisorId: ids['specialist-2'], date1: '2026-11-30', time1: '09:00' });
    h.take();
    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id } });
    await h.action('specialist-2', 'session.suggest', { sessionId: session.id, version: session.version, date: '2026-12-01', time: '11:00' });
    const card = cardOf(toPerson(h.take(), 'specialist')[0]);
    expect(visibleTexts(card)).toContain(`${demoPerson('specialist-2').name} suggests from 11:00 to 12:00 on Tuesday 1 December 2026.`);
    const accept = card.actions.find((a: any) => a.verb === 'session.accept-suggestion');
    const stranger = await h.action('paramedic', 'session.accept-suggestion', accept.data);
    expect(stranger.body.value).toBe('Only the person who proposed this session can accept the suggested time.');
    await h.action('specialist', 'session.accept-suggestion', accept.data);
    expect(await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).toMatchObject({
      status: 'CONFIRMED',
      startsAt: new Date('2026-12-01T11:00:00Z'),
    });
  });

  it("answers the supervisor's suggested time that does not exist with the proposal again, the values kept, and the time to use instead as a button", async () => {
    const GAP = '01:15 on Sunday 28 March 2027 does not exist in Europe/London, because the clocks go forward. Did you mean 02:15?';
    const request = await openRequest('eoc-manager', 'SESSION', 'A job I keep thinking about at night');
    await h.action('specialist', 'session.propose', {
      requestId: request.id,
      version: request.version,
      supervisorId: ids['specialist-2'],
      date1: '2026-12-03',
      time1: '09:00',
      date2: '2026-12-04',
      time2: '14:00',
    });
    h.take();
    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id }, include: { slots: { orderBy: { startsAt: 'asc' } } } });
    const second = session.slots[1]!.id;

    const gap = await h.action('specialist-2', 'session.suggest', { sessionId: session.id, version: session.version, slotId: second, date: '2027-03-28', time: '01:15' });
    // The proposal card again, in place of the one acted on.
    expect(gap.body.type).toBe('application/vnd.microsoft.card.adaptive');
    const form = gap.body.value;
    expect(visibleTexts(form)).toContain(GAP);
    expect(form.actions.map((a: any) => a.title)).toEqual(['Suggest 02:15 instead', 'Confirm', 'Suggest another time', 'Decline']);
    // What was entered is kept: the time chosen, and the date and time typed in "Suggest another time".
    expect(form.body.find((b: any) => b.id === 'slotId').value).toBe(second);
    const suggestForm = form.actions.find((a: any) => a.title === 'Suggest another time').card;
    expect(suggestForm.body.map((b: any) => [b.id, b.value])).toEqual([
      ['date', '2027-03-28'],
      ['time', '01:15'],
    ]);
    const use = form.actions[0];
    expect(use).toMatchObject({
      type: 'Action.Execute',
      verb: 'session.suggest',
      data: { sessionId: session.id, version: session.version, suggestedDate: '2027-03-28', suggestedTime: '02:15' },
    });
    // Nothing stored, nobody told.
    expect(toPerson(h.take(), 'specialist')).toEqual([]);
    expect(await h.database.db.sessionSlot.count({ where: { sessionId: session.id } })).toBe(2);
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).version).toBe(session.version);

    // A tampered suggestion is checked like a typed time.
    const tampered = await h.action('specialist-2', 'session.suggest', { ...use.data, suggestedTime: '01:45' });
    expect(visibleTexts(tampered.body.value)).toContain(GAP.replace('01:15', '01:45').replace('02:15?', '02:45?'));
    expect((await h.action('specialist-2', 'session.suggest', { ...use.data, suggestedTime: 'quarter past two' })).body.value).toBe(
      'Write the time as HH:mm on the 24-hour clock, for example 14:30.',
    );
    h.take();
    expect(await h.database.db.sessionSlot.count({ where: { sessionId: session.id } })).toBe(2);

    // One tap: the suggestion at 02:15 BST (01:15Z) goes to the proposer.
    await h.action('specialist-2', 'session.suggest', { slotId: second, ...use.data });
    const [told] = toPerson(h.take(), 'specialist');
    expect(visibleTexts(cardOf(told))).toContain(`${demoPerson('specialist-2').name} suggests from 02:15 to 03:15 on Sunday 28 March 2027.`);
    const slots = await h.database.db.sessionSlot.findMany({ where: { sessionId: session.id }, orderBy: { startsAt: 'asc' } });
    expect(slots.map((s) => s.startsAt)).toEqual([new Date('2026-12-03T09:00:00Z'), new Date('2026-12-04T14:00:00Z'), new Date('2027-03-28T01:15:00Z')]);
  });

  it('lets the supervisor decline with a reason, telling the proposer and the supervisee', async () => {
    const request = await openRequest('mh-nurse', 'CHILD_DEATH', 'Attended a child death on Friday');
    await h.action('specialist', 'session.propose', { requestId: request.id, version: request.version, supervisorId: ids['specialist-2'], date1: '2026-12-02', time1: '15:00' });
    h.take();
    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id } });
    expect(session.type).toBe('CHILD_DEATH');
    await h.action('specialist-2', 'session.decline', { sessionId: session.id, version: session.version, reason: 'On leave that week.' });
    const calls = h.take();
    expect(visibleTexts(cardOf(toPerson(calls, 'specialist')[0])).join(' ')).toContain('cannot take this session: On leave that week.');
    expect(visibleTexts(cardOf(toPerson(calls, 'mh-nurse')[0]))).toContain('Supervision session declined');
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).status).toBe('DECLINED');
  });
});

describe('a time that does not exist (the clocks go forward 01:00 to 02:00 on Sunday 28 March 2027)', () => {
  const GAP = (time: string, suggestion: string) =>
    `${time} on Sunday 28 March 2027 does not exist in Europe/London, because the clocks go forward. Did you mean ${suggestion}?`;
  const sessionsOf = (where: object) => h.database.db.session.count({ where });
  /** The values a card's inputs hold, by input id. */
  const valuesOf = (card: any) => Object.fromEntries(card.body.filter((b: any) => b.id).map((b: any) => [b.id, b.value]));
  /** What Teams sends for an Action.Execute: the card's input values (as strings) merged into the action's data. */
  const submission = (card: any, action: any) => ({
    ...action.data,
    ...Object.fromEntries(Object.entries(valuesOf(card)).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)])),
  });
  const useButton = (card: any) => card.actions.find((a: any) => /^Use /.test(a.title));

  describe("from the request's details card", () => {
    let request: Awaited<ReturnType<typeof openRequest>>;
    let entered: Record<string, string>;
    let form: any;

    beforeAll(async () => {
      request = await openRequest('clinician-111', 'SESSION', 'A case from the week the clocks change');
      entered = {
        supervisorId: ids['specialist-2']!,
        date1: '2027-03-28',
        time1: '01:30',
        date2: '2026-12-10',
        time2: '11:00',
        durationMinutes: '45',
        venue: 'Room 4, Waterloo HQ',
        onlineLink: 'https://meet.example.test/sg-42',
      };
    });

    it('refuses with the time to use instead; the form comes again with every value kept and a button for that time', async () => {
      const res = await h.action('specialist', 'session.propose', { requestId: request.id, version: request.version, view: 'details', ...entered });
      expect(res.body.value).toBe(GAP('01:30', '02:30'));
      // The details card stays as it was (no card in the answer); the form comes as a new message.
      const replies = toPerson(h.take(), 'specialist');
      expect(replies).toHaveLength(1);
      form = cardOf(replies[0]);
      expect(visibleTexts(form)).toContain(GAP('01:30', '02:30'));
      expect(valuesOf(form)).toEqual({ ...entered, durationMinutes: 45 });
      expect(form.actions.map((a: any) => a.title)).toEqual(['Use 02:30 instead', 'Propose session']);
      expect(useButton(form)).toMatchObject({
        type: 'Action.Execute',
        verb: 'session.propose',
        data: { requestId: request.id, version: request.version, suggestedSlot: '1', suggestedDate: '2027-03-28', suggestedTime: '02:30' },
      });
      expect(await sessionsOf({ requestId: request.id })).toBe(0);
    });

    it('checks a tampered suggestion like a typed time: one that does not exist gets the form again, garbage a clear refusal; nothing is stored', async () => {
      const data = submission(form, useButton(form));
      const gap = await h.action('specialist', 'session.propose', { ...data, suggestedTime: '01:45' });
      // From the form itself, the answer card is the form again.
      expect(gap.body.type).toBe('application/vnd.microsoft.card.adaptive');
      expect(visibleTexts(gap.body.value)).toContain(GAP('01:45', '02:45'));
      expect(valuesOf(gap.body.value)).toMatchObject({ ...entered, time1: '01:45', durationMinutes: 45 });
      expect(useButton(gap.body.value).data).toMatchObject({ suggestedSlot: '1', suggestedDate: '2027-03-28', suggestedTime: '02:45' });

      for (const [tampered, refusal] of [
        [{ suggestedTime: 'half past two' }, 'Write the time as HH:mm on the 24-hour clock, for example 14:30.'],
        [{ suggestedTime: '25:30' }, 'Write the time as HH:mm on the 24-hour clock, for example 14:30.'],
        [{ suggestedDate: '2027-02-30' }, '2027-02-30 is not a real date.'],
        [{ suggestedSlot: '3' }, 'That suggested time is not for one of the times on the form. Please enter the date and time again.'],
      ] as const) {
        const res = await h.action('specialist', 'session.propose', { ...data, ...tampered });
        expect(res.body.value).toBe(refusal);
      }
      h.take();
      expect(await sessionsOf({ requestId: request.id })).toBe(0);
    });

    it('pressing the button proposes the session at 02:30 BST (01:30Z), with everything else as entered', async () => {
      const res = await h.action('specialist', 'session.propose', submission(form, useButton(form)));
      expect(res.body.value).toBe(`Session proposed to ${demoPerson('specialist-2').name} for ${request.reference}. You will hear when they answer.`);
      const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id }, include: { slots: { orderBy: { startsAt: 'asc' } } } });
      expect(session).toMatchObject({ status: 'PROPOSED', supervisorId: ids['specialist-2'], durationMinutes: 45, venue: entered.venue, onlineLink: entered.onlineLink });
      expect(session.slots.map((s) => [s.startsAt, s.endsAt])).toEqual([
        [new Date('2026-12-10T11:00:00Z'), new Date('2026-12-10T11:45:00Z')],
        [new Date('2027-03-28T01:30:00Z'), new Date('2027-03-28T02:15:00Z')],
      ]);
      // The supervisor is offered 02:30 (the message written with the session; delivered in the background).
      const toSupervisor = await h.database.db.outboundMessage.findFirstOrThrow({ where: { personId: ids['specialist-2'] }, orderBy: { seq: 'desc' } });
      expect(JSON.stringify(toSupervisor.message)).toContain('"label":"from 02:30 to 03:15 on Sunday 28 March 2027"');
      h.take();
    });
  });

  describe('from the form for booking your own session', () => {
    it('answers with the form again, values kept, and its button books at 02:30 BST', async () => {
      await h.message('mh-nurse', 'book supervision');
      const blank = cardOf(toPerson(h.take(), 'mh-nurse')[0]);
      const entered = { supervisorId: ids.specialist!, date1: '2027-03-28', time1: '01:05', durationMinutes: '50', venue: 'Room 2, Bow', onlineLink: 'https://meet.example.test/own' };
      const res = await h.action('mh-nurse', 'session.propose-own', { ...submission(blank, blank.actions[0]), ...entered });
      expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
      const form = res.body.value;
      expect(visibleTexts(form)).toContain(GAP('01:05', '02:05'));
      expect(valuesOf(form)).toEqual({ ...entered, date2: '', time2: '', durationMinutes: 50 });
      expect(form.actions.map((a: any) => a.title)).toEqual(['Use 02:05 instead', 'Propose session']);
      expect(useButton(form)).toMatchObject({ verb: 'session.propose-own', data: { suggestedSlot: '1', suggestedDate: '2027-03-28', suggestedTime: '02:05' } });
      expect(await sessionsOf({ type: 'MANDATORY' })).toBe(0);

      const garbage = await h.action('mh-nurse', 'session.propose-own', { ...submission(form, useButton(form)), suggestedTime: '2:05pm' });
      expect(garbage.body.value).toBe('Write the time as HH:mm on the 24-hour clock, for example 14:30.');
      expect(await sessionsOf({ type: 'MANDATORY' })).toBe(0);

      const booked = await h.action('mh-nurse', 'session.propose-own', submission(form, useButton(form)));
      expect(visibleTexts(booked.body.value)).toContain('Your supervision session has been proposed');
      const session = await h.database.db.session.findFirstOrThrow({ where: { type: 'MANDATORY' }, include: { slots: true } });
      expect(session).toMatchObject({ supervisorId: ids.specialist, durationMinutes: 50, venue: entered.venue, onlineLink: entered.onlineLink });
      expect(session.slots.map((s) => s.startsAt)).toEqual([new Date('2027-03-28T01:05:00Z')]);
    });
  });
});
