// The permission matrix on Slack: every row of permission-matrix.table.ts as every relation,
// through signed requests to /slack/events (buttons as block_actions, commands as the
// /supervision slash command), against one migrated schema with a fresh subject per cell.
import { afterAll, describe, expect, it } from 'vitest';
import { textsOf } from '../support/teams-harness.js';
import { dmChannel, slackUserId, startSlackHarness, TRIAGE_CHANNEL, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import { loadPeople, PLAYED_BY, RELATIONS, requestFixture } from '../support/permission-fixtures.js';
import { runPermissionMatrix, type Driver } from './permission-matrix.table.js';

let h: SlackHarness | undefined;

async function slackDriver(): Promise<Driver> {
  const harness = await startSlackHarness();
  h = harness;
  const db = harness.database.db;
  const organisationId = (await db.organisation.findFirstOrThrow()).id;

  /**
   * Slack answers after the acknowledgement: wait until the bot has handled the request to its
   * end and delivered what it wrote, then the actor must have been answered.
   */
  async function answered(from: number, isMine: (c: SlackCall) => boolean): Promise<SlackCall[]> {
    await harness.delivered();
    if (!harness.calls.slice(from).some(isMine)) throw new Error(`no answer; saw ${harness.calls.slice(from).map((c) => c.method).join(', ')}`);
    return harness.calls.slice(from).filter(isMine);
  }

  return {
    platform: 'Slack',
    db,
    organisationId,
    now: () => harness.clock.now(),
    async prepare() {
      const from = harness.calls.length;
      await harness.command('admin', 'bind triage', TRIAGE_CHANNEL);
      await answered(from, (c) => c.args.channel === TRIAGE_CHANNEL);
    },
    async act(key, turn, fx, people, actorId) {
      const from = harness.calls.length;
      const channel = turn.where === 'triage' ? TRIAGE_CHANNEL : dmChannel(key);
      const res =
        'action' in turn
          ? await harness.press(key, turn.action, turn.value(fx, { people, actorId }), { channel })
          : await harness.command(key, turn.command(fx), channel);
      expect(res.status).toBe(200);
      const user = slackUserId(key);
      const isMine = (c: SlackCall) =>
        c.args.channel === dmChannel(key) ||
        c.args.channel_id === dmChannel(key) ||
        (c.args.channel === channel && (c.method !== 'chat.postEphemeral' || c.args.user === user));
      const calls = await answered(from, isMine);
      return calls.flatMap((c) => textsOf([c.args.text, c.args.blocks, c.args.title, c.args.filename]));
    },
  };
}

afterAll(async () => {
  await h?.close();
});

describe('on Slack', () => {
  runPermissionMatrix(slackDriver);

  // Slack only: a form too large to travel in its button is rebuilt from the request when
  // pressed (src/channels/slack/slack-channel.ts rebuiltForm). Only the safeguarding team
  // gets the form; anyone else is told it is not available, and no modal opens.
  it('rebuilds a request\'s booking form for the safeguarding team only', async () => {
    const harness = h!;
    const people = await loadPeople(harness.database.db);
    const organisationId = (await harness.database.db.organisation.findFirstOrThrow()).id;
    for (const relation of RELATIONS) {
      const key = PLAYED_BY[relation];
      const fx = await requestFixture('claimed')({ db: harness.database.db, organisationId, people, actorId: people[relation], now: harness.clock.now() });
      const from = harness.calls.length;
      const res = await harness.press(key, 'card.open:session.propose', { data: { requestId: fx.requestId } }, { channel: TRIAGE_CHANNEL });
      expect(res.status).toBe(200);
      await harness.settled(); // the press handled to its end: a modal opened or the person told
      const calls = harness.calls.slice(from);
      const team = ['specialist', 'other specialist', 'Head'].includes(relation);
      expect.soft(calls.some((c) => c.method === 'views.open'), `${relation}: modal opened`).toBe(team);
      if (!team) {
        expect.soft(calls.find((c) => c.method === 'chat.postEphemeral')?.args.text, relation).toBe('That form is no longer available. Please use the latest card.');
      }
      expect.soft(JSON.stringify(calls.map((c) => c.args)), `${relation}: summary in the form`).not.toContain(fx.summary);
    }
  });
});
