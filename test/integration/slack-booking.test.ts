// Booking on Slack through real signed requests: the booking form opens as a modal with
// Slack's date and time pickers, the supervisor confirms from the DM card, and the
// supervisee gets a link button to the calendar invite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import type { Prisma } from '../../src/db/generated/client.js';
import { dmChannel, slackUserId, startSlackHarness, TEAM_ID, TRIAGE_CHANNEL, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import { eventually } from '../support/wait.js';
import { httpRequest } from '../support/teams-harness.js';

let h: SlackHarness;
const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
const buttons = (blocks: any[]) => blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
const user = (key: string) => ({ id: slackUserId(key), team_id: TEAM_ID });

beforeAll(async () => {
  h = await startSlackHarness();
  // More supervisors than fit in a Slack button value, so the booking form is rebuilt on demand.
  const org = await h.database.db.organisation.findFirstOrThrow();
  for (let i = 1; i <= 12; i++) {
    await h.database.db.person.create({
      data: { organisationId: org.id, name: `Visiting Supervisor Number ${i}`, email: `visiting.${i}@demo.las.nhs.uk`, roles: ['SUPERVISOR'] },
    });
  }
});
afterAll(async () => {
  await h.close();
});

describe('booking a session on Slack', () => {
  let requestId = '';

  it('opens the booking form as a modal with pickers, even when it is too large to travel in the button', async () => {
    await h.command('admin', 'bind triage', TRIAGE_CHANNEL);
    await h.dm('paramedic', 'hello');
    await h.until((c) => named(c, 'chat.postMessage').length === 2);
    await h.press('paramedic', 'intake.risk#2', { answer: 'no' });
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    await h.press('paramedic', 'intake.kind#2', { helpType: 'SESSION' });
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    await h.press('paramedic', 'intake.details#1', { acknowledged: 'no' }, { state: { summary: 'Would like supervision about a neglect case' } });
    await h.until((c) => named(c, 'chat.postMessage').length === 2);
    const request = await h.database.db.supervisionRequest.findFirstOrThrow();
    requestId = request.id;
    await h.delivered(); // the triage card is posted after the turn
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id } });
    await h.press('specialist', 'request.claim', { requestId, version: request.version }, { channel: TRIAGE_CHANNEL, ts: posted.messageId });
    const calls = await h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel('specialist')));
    const detail = named(calls, 'chat.postMessage').find((p) => p.args.channel === dmChannel('specialist'))!;
    const book = buttons(detail.args.blocks).find((b: any) => b.action_id.startsWith('card.open:session.propose'));
    expect(JSON.parse(book.value).form).toBeUndefined();

    await h.press('specialist', book.action_id, JSON.parse(book.value), { channel: dmChannel('specialist'), ts: '1.1' });
    const [open] = named(await h.until((c) => named(c, 'views.open').length === 1), 'views.open');
    const view = open!.args.view;
    expect(view.title.text).toBe('Book a session');
    expect(view.blocks.filter((b: any) => b.type === 'input').map((b: any) => [b.block_id, b.element.type])).toEqual([
      ['supervisorId', 'static_select'],
      ['date1', 'datepicker'],
      ['time1', 'timepicker'],
      ['date2', 'datepicker'],
      ['time2', 'timepicker'],
      ['durationMinutes', 'number_input'],
      ['venue', 'plain_text_input'],
      ['onlineLink', 'plain_text_input'],
    ]);
    expect(view.blocks.find((b: any) => b.block_id === 'supervisorId').element.options.length).toBeGreaterThan(12);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ verb: 'session.propose', data: { requestId } });

    const specialist2 = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('specialist-2').email } });
    await h.interact({
      type: 'view_submission',
      team: { id: TEAM_ID },
      user: user('specialist'),
      view: {
        id: 'V1',
        type: 'modal',
        callback_id: 'card.form',
        private_metadata: view.private_metadata,
        state: {
          values: {
            supervisorId: { supervisorId: { type: 'static_select', selected_option: { value: specialist2.id } } },
            date1: { date1: { type: 'datepicker', selected_date: '2026-11-27' } },
            time1: { time1: { type: 'timepicker', selected_time: '09:30' } },
            durationMinutes: { durationMinutes: { type: 'number_input', value: '45' } },
            venue: { venue: { type: 'plain_text_input', value: 'Bow HQ, room 2' } },
          },
        },
      },
    });
    const sentTo = (c: SlackCall[], key: string) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel(key));
    const proposed = await h.until((c) => sentTo(c, 'specialist-2') && sentTo(c, 'paramedic'));
    // specialist-2 never used the bot on Slack: found by e-mail, then a DM opened.
    expect(named(proposed, 'users.lookupByEmail').map((c) => c.args.email)).toEqual([demoPerson('specialist-2').email]);
    expect(named(proposed, 'conversations.open').map((c) => c.args.users)).toContain(slackUserId('specialist-2'));
    expect(await h.database.db.platformIdentity.count({ where: { platform: 'SLACK', platformUserId: slackUserId('specialist-2') } })).toBe(1);
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
    expect(session).toMatchObject({ status: 'PROPOSED', durationMinutes: 45, venue: 'Bow HQ, room 2', supervisorId: specialist2.id });
    expect(session.slots.map((s) => s.startsAt)).toEqual([new Date('2026-11-27T09:30:00Z')]);
  });

  it('lets the supervisor confirm from the DM card, and the supervisee gets a calendar link button', async () => {
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
    await h.interact({
      type: 'block_actions',
      team: { id: TEAM_ID },
      user: user('specialist-2'),
      channel: { id: dmChannel('specialist-2') },
      message: { ts: '2.2' },
      trigger_id: 't',
      state: { values: { slotId: { slotId: { type: 'radio_buttons', selected_option: { value: session.slots[0]!.id } } } } },
      actions: [{ type: 'button', action_id: 'session.confirm', value: JSON.stringify({ sessionId: session.id, version: session.version }) }],
    });
    const calls = await h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel('paramedic')));
    const toSupervisee = named(calls, 'chat.postMessage').find((p) => p.args.channel === dmChannel('paramedic'))!;
    const link = buttons(toSupervisee.args.blocks).find((b: any) => b.url);
    expect(link).toMatchObject({ action_id: 'link.open', text: { type: 'plain_text', text: 'Add to calendar' } });
    const ics = await httpRequest(`${h.url}${new URL(link.url).pathname}`, 'GET');
    expect(ics.status).toBe(200);
    expect(ics.text).toContain('DTSTART:20261127T093000Z');
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).status).toBe('CONFIRMED');
    expect((await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('BOOKED');

    // Pressing the link button needs no handling and answers nothing (once the confirmation
    // turn, which also offers the agreements, has delivered its last reply).
    await h.until(() => h.calls.some((p) => p.method === 'chat.postMessage' && p.args.channel === dmChannel('specialist-2') && JSON.stringify(p.args.blocks ?? []).includes('Everyone has been told')));
    await h.delivered(); // the messages to the other parties (the agreement offers) too
    h.take();
    await h.press('paramedic', 'link.open', {}, { channel: dmChannel('paramedic') });
    await h.delivered(); // the press handled to its end (and anything it wrote sent)
    expect(h.take()).toEqual([]);
  });
});

describe('a time that does not exist on Slack (the clocks go forward 01:00 to 02:00 on Sunday 28 March 2027)', () => {
  const GAP = (time: string, suggestion: string) =>
    `${time} on Sunday 28 March 2027 does not exist in Europe/London, because the clocks go forward. Did you mean ${suggestion}?`;
  const TIME_FORMAT = 'Write the time as HH:mm on the 24-hour clock, for example 14:30.';
  /** The form message the bot posted; Slack sends its ts with any button pressed on it. */
  const FORM_TS = '1795009999.000100';
  const dm = dmChannel('specialist');
  /** Each input block's initial value, by block id (what Slack shows in the form, and sends back in its state). */
  const initialValues = (blocks: any[]): Record<string, string> =>
    Object.fromEntries(
      blocks
        .filter((b) => b.type === 'input')
        .map((b) => [b.block_id, b.element.initial_date ?? b.element.initial_time ?? b.element.initial_value ?? b.element.initial_option?.value])
        .filter(([, v]) => v !== undefined),
    );
  const texts = (calls: SlackCall[]) => named(calls, 'chat.postMessage').filter((p) => p.args.channel === dm && !p.args.blocks).map((p) => p.args.text);
  let request: { id: string; version: number; reference: string };
  let entered: Record<string, string>;
  let form: any[];
  let useButton: any;
  let details: { messageId: string };
  /** A posted message once the bot has recorded it (just after Slack answered the post). */
  async function recorded(where: Prisma.PostedCardWhereInput) {
    return eventually(() => h.database.db.postedCard.findFirst({ where }), 'the message to be recorded as posted');
  }

  beforeAll(async () => {
    // Each step waits for the card with the next step's button (turns run after Slack's ack).
    const cardWith = (channel: string, actionId: string) =>
      h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === channel && JSON.stringify(p.args.blocks ?? []).includes(`"action_id":"${actionId}`)));
    const summary = 'A case from the week the clocks change';
    await h.dm('call-handler', 'hello');
    await cardWith(dmChannel('call-handler'), 'intake.risk');
    await h.press('call-handler', 'intake.risk#2', { answer: 'no' });
    await cardWith(dmChannel('call-handler'), 'intake.kind');
    await h.press('call-handler', 'intake.kind#2', { helpType: 'SESSION' });
    await cardWith(dmChannel('call-handler'), 'intake.details');
    await h.press('call-handler', 'intake.details#1', { acknowledged: 'no' }, { state: { summary } });
    await cardWith(TRIAGE_CHANNEL, 'request.claim');
    const opened = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary } });
    const posted = await recorded({ subjectId: opened.id, purpose: 'triage' });
    await h.press('specialist', 'request.claim', { requestId: opened.id, version: opened.version }, { channel: TRIAGE_CHANNEL, ts: posted.messageId });
    await cardWith(dm, 'card.open:session.propose');
    details = await recorded({ subjectId: { startsWith: `request:${opened.id}:details:` }, purpose: 'live' });
    h.take();
    request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: opened.id } });
    const specialist2 = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('specialist-2').email } });
    entered = {
      supervisorId: specialist2.id,
      date1: '2027-03-28',
      time1: '01:30',
      date2: '2026-12-10',
      time2: '11:00',
      durationMinutes: '45',
      venue: 'Bow HQ, room 3',
      onlineLink: 'https://meet.example.test/sg-77',
    };
  });

  it('refuses the modal with the time to use instead; the form comes as a DM with every value kept and a button for that time', async () => {
    await h.press('specialist', `card.open:session.propose`, { title: 'Book a session', data: { requestId: request.id, version: request.version, view: 'details' } }, { channel: dm, ts: details.messageId });
    const [open] = named(await h.until((c) => named(c, 'views.open').length === 1), 'views.open');
    await h.interact({
      type: 'view_submission',
      team: { id: TEAM_ID },
      user: user('specialist'),
      view: {
        id: 'V2',
        type: 'modal',
        callback_id: 'card.form',
        private_metadata: open!.args.view.private_metadata,
        state: {
          values: {
            supervisorId: { supervisorId: { type: 'static_select', selected_option: { value: entered.supervisorId } } },
            date1: { date1: { type: 'datepicker', selected_date: entered.date1 } },
            time1: { time1: { type: 'timepicker', selected_time: entered.time1 } },
            date2: { date2: { type: 'datepicker', selected_date: entered.date2 } },
            time2: { time2: { type: 'timepicker', selected_time: entered.time2 } },
            durationMinutes: { durationMinutes: { type: 'number_input', value: entered.durationMinutes } },
            venue: { venue: { type: 'plain_text_input', value: entered.venue } },
            onlineLink: { onlineLink: { type: 'plain_text_input', value: entered.onlineLink } },
          },
        },
      },
    });
    const calls = await h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === dm && p.args.blocks));
    // The details message stays as it is; the reason comes privately, then the form as a new message.
    expect(named(calls, 'chat.update')).toEqual([]);
    expect(texts(calls)).toEqual([GAP('01:30', '02:30')]);
    const forms = named(calls, 'chat.postMessage').filter((p) => p.args.channel === dm && p.args.blocks);
    expect(forms).toHaveLength(1);
    form = forms[0]!.args.blocks;
    expect(JSON.stringify(form)).toContain(`:warning: *${GAP('01:30', '02:30')}*`);
    expect(initialValues(form)).toEqual(entered);
    expect(form.filter((b) => b.type === 'input').map((b) => [b.block_id, b.element.type])).toEqual([
      ['supervisorId', 'static_select'],
      ['date1', 'datepicker'],
      ['time1', 'timepicker'],
      ['date2', 'datepicker'],
      ['time2', 'timepicker'],
      ['durationMinutes', 'number_input'],
      ['venue', 'plain_text_input'],
      ['onlineLink', 'plain_text_input'],
    ]);
    expect(buttons(form).map((b: any) => b.text.text)).toEqual(['Use 02:30 instead', 'Propose session']);
    useButton = buttons(form)[0];
    expect(useButton.action_id).toBe('session.propose#1');
    expect(JSON.parse(useButton.value)).toEqual({ requestId: request.id, version: request.version, suggestedSlot: '1', suggestedDate: '2027-03-28', suggestedTime: '02:30' });
    expect(await h.database.db.session.count({ where: { requestId: request.id } })).toBe(0);
  });

  it('checks a tampered suggestion like a typed time: one that does not exist gets the form again in place, garbage a clear refusal; nothing is stored', async () => {
    const press = (value: Record<string, unknown>) =>
      h.press('specialist', useButton.action_id, { ...JSON.parse(useButton.value), ...value }, { channel: dm, ts: FORM_TS, state: initialValues(form) });

    /** The turn is over once its private notice is posted (after any update of the form). */
    const answered = () => h.until((c) => texts(c).length > 0);
    await press({ suggestedTime: '01:45' });
    let calls = await answered();
    const [update] = named(calls, 'chat.update');
    expect(update!.args).toMatchObject({ channel: dm, ts: FORM_TS });
    expect(JSON.stringify(update!.args.blocks)).toContain(GAP('01:45', '02:45'));
    expect(initialValues(update!.args.blocks)).toEqual({ ...entered, time1: '01:45' });
    expect(JSON.parse(buttons(update!.args.blocks)[0].value)).toMatchObject({ suggestedSlot: '1', suggestedDate: '2027-03-28', suggestedTime: '02:45' });
    expect(texts(calls)).toEqual([GAP('01:45', '02:45')]);

    for (const [tampered, refusal] of [
      [{ suggestedTime: 'half past two' }, TIME_FORMAT],
      [{ suggestedTime: '1:30' }, TIME_FORMAT],
      [{ suggestedDate: '2027-02-30' }, '2027-02-30 is not a real date.'],
      [{ suggestedSlot: 'time1' }, 'That suggested time is not for one of the times on the form. Please enter the date and time again.'],
    ] as const) {
      await press(tampered);
      calls = await answered();
      expect(named(calls, 'chat.update')).toEqual([]);
      expect(texts(calls)).toEqual([refusal]);
    }
    expect(await h.database.db.session.count({ where: { requestId: request.id } })).toBe(0);
  });

  it('pressing the button proposes the session at 02:30 BST (01:30Z), with everything else as entered', async () => {
    await h.press('specialist', useButton.action_id, JSON.parse(useButton.value), { channel: dm, ts: FORM_TS, state: initialValues(form) });
    const calls = await h.until((c) => texts(c).length > 0);
    expect(texts(calls)).toContain(`Session proposed to ${demoPerson('specialist-2').name} for ${request.reference}. You will hear when they answer.`);
    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id }, include: { slots: { orderBy: { startsAt: 'asc' } } } });
    expect(session).toMatchObject({ status: 'PROPOSED', supervisorId: entered.supervisorId, durationMinutes: 45, venue: entered.venue, onlineLink: entered.onlineLink });
    expect(session.slots.map((s) => [s.startsAt, s.endsAt])).toEqual([
      [new Date('2026-12-10T11:00:00Z'), new Date('2026-12-10T11:45:00Z')],
      [new Date('2027-03-28T01:30:00Z'), new Date('2027-03-28T02:15:00Z')],
    ]);
    // The supervisor is offered 02:30 (the message written with the session; delivered in the background).
    const toSupervisor = await h.database.db.outboundMessage.findFirstOrThrow({ where: { personId: entered.supervisorId }, orderBy: { seq: 'desc' } });
    expect(JSON.stringify(toSupervisor.message)).toContain('"label":"from 02:30 to 03:15 on Sunday 28 March 2027"');
  });

  it("the supervisor's suggested time that does not exist: the proposal again in place, the values kept, and the time to use instead as a button", async () => {
    const supervisorDm = dmChannel('specialist-2');
    /** The proposal message in the supervisor's DM; Slack sends its ts with any button pressed on it. */
    const PROPOSAL_TS = '1795008888.000100';
    const supervisorTexts = (calls: SlackCall[]) => named(calls, 'chat.postMessage').filter((p) => p.args.channel === supervisorDm && !p.args.blocks).map((p) => p.args.text);
    await h.delivered(); // the proposal, written with the session, is delivered in the background
    const proposal = named(h.calls, 'chat.postMessage').filter((p) => p.args.channel === supervisorDm && JSON.stringify(p.args.blocks ?? []).includes('session.confirm')).at(-1)!;
    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id }, include: { slots: { orderBy: { startsAt: 'asc' } } } });
    const chosen = session.slots[1]!.id;
    h.take();

    /** "Suggest another time" on the proposal: the modal Slack is asked to open with its form. */
    async function openSuggestForm(blocks: any[]) {
      const open = buttons(blocks).find((b: any) => b.action_id.startsWith('card.open:session.suggest'));
      h.take();
      await h.press('specialist-2', open.action_id, JSON.parse(open.value), { channel: supervisorDm, ts: PROPOSAL_TS });
      const [opened] = named(await h.until((c) => named(c, 'views.open').length === 1), 'views.open');
      return opened!.args.view;
    }
    /** The same, then the modal submitted with a date and time: that is the turn. */
    async function suggestFromModal(blocks: any[], date: string, time: string) {
      const opened = await openSuggestForm(blocks);
      h.take();
      await h.interact({
        type: 'view_submission',
        team: { id: TEAM_ID },
        user: user('specialist-2'),
        view: {
          id: 'V3',
          type: 'modal',
          callback_id: 'card.form',
          private_metadata: opened.private_metadata,
          state: {
            values: {
              date: { date: { type: 'datepicker', selected_date: date } },
              time: { time: { type: 'timepicker', selected_time: time } },
            },
          },
        },
      });
    }

    await suggestFromModal(proposal.args.blocks, '2027-03-28', '01:15');
    const refused = await h.until((c) => supervisorTexts(c).length > 0);
    expect(supervisorTexts(refused)).toEqual([GAP('01:15', '02:15')]);
    // The proposal message itself is replaced by the proposal again, with the reason and the button.
    const [update] = named(refused, 'chat.update');
    expect(update!.args).toMatchObject({ channel: supervisorDm, ts: PROPOSAL_TS });
    const again = update!.args.blocks;
    expect(JSON.stringify(again)).toContain(`:warning: *${GAP('01:15', '02:15')}*`);
    expect(buttons(again).map((b: any) => b.text.text)).toEqual(['Suggest 02:15 instead', 'Confirm', 'Suggest another time', 'Decline']);
    const use = buttons(again)[0];
    expect(use.action_id).toMatch(/^session\.suggest(#\d+)?$/);
    expect(JSON.parse(use.value)).toEqual({ sessionId: session.id, version: session.version, suggestedDate: '2027-03-28', suggestedTime: '02:15' });
    expect(await h.database.db.sessionSlot.count({ where: { sessionId: session.id } })).toBe(2);

    // What was typed is kept: "Suggest another time" opens with the date and time entered.
    const view = await openSuggestForm(again);
    expect(initialValues(view.blocks)).toEqual({ date: '2027-03-28', time: '01:15' });

    // One tap: the suggestion at 02:15 BST (01:15Z) goes to the proposer.
    h.take();
    await h.press('specialist-2', use.action_id, JSON.parse(use.value), { channel: supervisorDm, ts: PROPOSAL_TS, state: { slotId: chosen } });
    await h.until((c) => supervisorTexts(c).length > 0);
    await h.delivered();
    const slots = await h.database.db.sessionSlot.findMany({ where: { sessionId: session.id }, orderBy: { startsAt: 'asc' } });
    expect(slots.map((s) => s.startsAt)).toEqual([new Date('2026-12-10T11:00:00Z'), new Date('2027-03-28T01:15:00Z'), new Date('2027-03-28T01:30:00Z')]);
    const proposer = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('specialist').email } });
    const toProposer = await h.database.db.outboundMessage.findFirstOrThrow({ where: { personId: proposer.id }, orderBy: { seq: 'desc' } });
    expect(JSON.stringify(toProposer.message)).toContain(`${demoPerson('specialist-2').name} suggests from 02:15 to 03:00 on Sunday 28 March 2027.`);
  });
});
