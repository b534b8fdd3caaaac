// Booking on Slack through real signed requests: the booking form opens as a modal with
// Slack's date and time pickers, the supervisor confirms from the DM card, and the
// supervisee gets a link button to the calendar invite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, slackUserId, startSlackHarness, TEAM_ID, TRIAGE_CHANNEL, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
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
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.take()).toEqual([]);
  });
});
