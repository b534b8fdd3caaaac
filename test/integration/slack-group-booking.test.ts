// A group booking on Slack: the "Other supervisees" multi-select of the booking modal comes
// back as `selected_options` and reaches proposeSession as comma-joined ids, as on Teams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, slackUserId, startSlackHarness, TEAM_ID, TRIAGE_CHANNEL, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

let h: SlackHarness;
const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
const buttons = (blocks: any[]) => blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
const idOf = async (key: string) => (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;

beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(async () => {
  await h.close();
});

describe('a group booking on Slack', () => {
  it('books the supervisees picked in the multi-select', async () => {
    await h.command('admin', 'bind triage', TRIAGE_CHANNEL);
    await h.dm('paramedic', 'hello');
    await h.until((c) => named(c, 'chat.postMessage').length === 2);
    await h.press('paramedic', 'intake.risk#2', { answer: 'no' });
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    await h.press('paramedic', 'intake.kind#2', { helpType: 'SESSION' });
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    await h.press('paramedic', 'intake.details#1', { acknowledged: 'no' }, { state: { format: 'GROUP', summary: 'Our station would like group supervision' } });
    await h.until((c) => named(c, 'chat.postMessage').length === 2);
    const request = await h.database.db.supervisionRequest.findFirstOrThrow();
    expect(request.format).toBe('GROUP');
    await h.delivered(); // the triage card, posted after the turn
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id } });
    await h.press('specialist', 'request.claim', { requestId: request.id, version: request.version }, { channel: TRIAGE_CHANNEL, ts: posted.messageId });
    const calls = await h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel('specialist')));
    const detail = named(calls, 'chat.postMessage').find((p) => p.args.channel === dmChannel('specialist'))!;
    const book = buttons(detail.args.blocks).find((b: any) => b.action_id.startsWith('card.open:session.propose'));
    await h.press('specialist', book.action_id, JSON.parse(book.value), { channel: dmChannel('specialist'), ts: '1.1' });
    const [open] = named(await h.until((c) => named(c, 'views.open').length === 1), 'views.open');
    const view = open!.args.view;
    const others = view.blocks.find((b: any) => b.block_id === 'superviseeIds');
    expect(others.element.type).toBe('multi_static_select');

    const [callHandler, clinician, specialist2] = await Promise.all([idOf('call-handler'), idOf('clinician-111'), idOf('specialist-2')]);
    await h.interact({
      type: 'view_submission',
      team: { id: TEAM_ID },
      user: { id: slackUserId('specialist'), team_id: TEAM_ID },
      view: {
        id: 'V1',
        type: 'modal',
        callback_id: 'card.form',
        private_metadata: view.private_metadata,
        state: {
          values: {
            supervisorId: { supervisorId: { type: 'static_select', selected_option: { value: specialist2 } } },
            superviseeIds: {
              superviseeIds: { type: 'multi_static_select', selected_options: [{ value: callHandler }, { value: clinician }] },
            },
            date1: { date1: { type: 'datepicker', selected_date: '2026-11-27' } },
            time1: { time1: { type: 'timepicker', selected_time: '09:30' } },
          },
        },
      },
    });
    const sentTo = (c: SlackCall[], key: string) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel(key));
    await h.until((c) => sentTo(c, 'paramedic'));
    const session = await h.database.db.session.findFirstOrThrow({ include: { attendees: true } });
    expect(session).toMatchObject({ format: 'GROUP', status: 'PROPOSED', supervisorId: specialist2 });
    expect(session.attendees.map((a) => a.personId).sort()).toEqual([await idOf('paramedic'), callHandler, clinician].sort());
  });
});
