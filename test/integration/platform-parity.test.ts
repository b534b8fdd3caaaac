// Journeys 1-3 recorded once as platform-neutral steps (test/support/scenario.ts), replayed
// through Teams and through Slack over real HTTP, one platform after the other, and the two
// databases compared once ids, timestamps and platform fields are normalised away. Each
// step presses the button on the card as that platform last showed it (or first, for a
// stale card), sends the inputs the way that platform does, waits for that step's
// platform calls and checks them against the step's platform-neutral effects.
import { describe, expect, it } from 'vitest';
import { baseActionId, escapeMrkdwn, SHOW_CARD_PREFIX } from '../../src/channels/slack/block-kit.js';
import { DEMO_PEOPLE, demoPerson } from '../../src/db/demo-organisation.js';
import type { Db } from '../../src/db/client.js';
import { JOURNEYS_1_TO_3, storedState, TEXT, type CardSource, type Effects, type Step } from '../support/scenario.js';
import { dmChannel, slackUserId, startSlackHarness, TEAM_ID, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import { cardOf, personalConversationId, startTeamsHarness, TRIAGE_CHANNEL as TEAMS_TRIAGE, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

type Json = Record<string, any>;

interface Driver {
  db: Db;
  /** Replay one step and check what the platform did against the step's effects. */
  run(step: Step, index: number): Promise<void>;
  /** Per step, the platform's calls in short form (for reporting differences). */
  log: string[][];
  close(): Promise<void>;
}

const texts = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(texts) : value && typeof value === 'object' ? Object.values(value).flatMap(texts) : [];

/** The first text a person would read: the first `text` field holding a string. */
const firstText = (value: unknown): string | undefined => {
  if (Array.isArray(value)) return value.map(firstText).find((t) => t !== undefined);
  if (!value || typeof value !== 'object') return undefined;
  const node = value as Json;
  return typeof node.text === 'string' ? node.text : Object.values(node).map(firstText).find((t) => t !== undefined);
};

const matches = (data: Json, pick: Record<string, string> | undefined) => Object.entries(pick ?? {}).every(([k, v]) => data[k] === v);

const noticeMatches = (text: unknown, notice: string | RegExp) =>
  typeof text === 'string' && (typeof notice === 'string' ? text === notice : notice.test(text));

const count = <T>(items: T[], predicate: (item: T) => boolean) => items.filter(predicate).length;

async function newestRequestOf(db: Db, personKey: string) {
  return db.supervisionRequest.findFirstOrThrow({
    where: { requester: { email: demoPerson(personKey).email } },
    orderBy: [{ createdAt: 'desc' }, { reference: 'desc' }],
  });
}

function describeStep(step: Step, index: number) {
  return `step ${index + 1} (${step.who}: ${'say' in step ? `says "${step.say}"` : `presses ${step.press}`} in ${step.where})`;
}

/** The candidates for a card source, newest first unless the first rendering is asked for. */
function ordered<T>(items: T[], source: CardSource): T[] {
  return 'triageCardOf' in source && source.rendering === 'first' ? items : [...items].reverse();
}

// ------------------------------------------------------------------------------------------
// Teams: activities to /api/messages, the connector intercepted; cards are Adaptive Cards.
// ------------------------------------------------------------------------------------------

/** Every Action.Execute of a card with the input values Teams would merge into its data. */
function executeActions(card: Json): Array<{ verb: string; data: Json; inputs: Json[] }> {
  const inputsOf = (items: unknown): Json[] =>
    (Array.isArray(items) ? items : []).flatMap((item: Json) =>
      typeof item?.type === 'string' && item.type.startsWith('Input.')
        ? [item]
        : [...inputsOf(item?.items), ...inputsOf((item?.columns ?? []).flatMap((c: Json) => c.items ?? []))],
    );
  const found: Array<{ verb: string; data: Json; inputs: Json[] }> = [];
  const walk = (c: Json, scope: Json[]) => {
    const inputs = [...scope, ...inputsOf(c.body)];
    for (const action of c.actions ?? []) {
      if (action.type === 'Action.Execute') found.push({ verb: action.verb, data: action.data ?? {}, inputs });
      if (action.type === 'Action.ShowCard' && action.card) walk(action.card, inputs);
    }
  };
  walk(card, []);
  return found;
}

async function teamsDriver(): Promise<Driver> {
  const h: TeamsHarness = await startTeamsHarness();
  const log: string[][] = [];
  const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
  const triagePath = `/v3/conversations/${TEAMS_TRIAGE}/activities`;
  const channelReplyPrefix = `/v3/conversations/${TEAMS_TRIAGE};messageid=`;
  /** Every card shown so far, where it was shown: "triage" or "personal:<key>". */
  const shown: Array<{ where: string; card: Json }> = [];

  const whereOf = (path: string) => {
    if (path.startsWith(triagePath) || path.startsWith(channelReplyPrefix)) return 'triage';
    const person = DEMO_PEOPLE.find((p) => path.startsWith(personalPath(p.key)));
    return person ? `personal:${person.key}` : `elsewhere:${path}`;
  };
  const short = (c: ConnectorCall) => {
    const card = cardOf(c);
    return `${c.method} ${whereOf(c.path)}${c.path.includes('/activities/') && c.method === 'POST' ? ' (reply)' : ''}: ${card ? `card "${firstText(card.body)}"` : `text "${c.body.text}"`}`;
  };

  async function findButton(step: Extract<Step, { press: string }>) {
    const source = step.on;
    let where = `personal:${step.who}`;
    let reference: string | undefined;
    if ('triageCardOf' in source) {
      where = 'triage';
      reference = (await newestRequestOf(h.database.db, source.triageCardOf)).reference;
    }
    const candidates = shown.filter((s) => s.where === where && (!reference || texts(s.card.body).some((t) => t.includes(reference))));
    for (const { card } of ordered(candidates, source)) {
      const action = executeActions(card).find((a) => a.verb === step.press && matches(a.data, step.pick));
      if (action) return action;
    }
    throw new Error(`Teams: no "${step.press}" button on any card shown in ${where}${reference ? ` for ${reference}` : ''}`);
  }

  return {
    db: h.database.db,
    log,
    async run(step, index) {
      expect(h.take(), `Teams: calls made between steps, before ${describeStep(step, index)}`).toEqual([]);
      const conversation = step.where === 'personal' ? 'personal' : 'channel';
      let res: { status: number; body: any };
      if ('say' in step) {
        res = await h.message(step.who, step.say, conversation);
      } else {
        const action = await findButton(step);
        // Teams merges every input in the action's card (and its parents) into the data.
        const values: Json = {};
        for (const input of action.inputs) {
          const value = step.inputs?.[input.id] ?? input.value;
          if (typeof value === 'string' && value !== '') values[input.id] = value;
        }
        for (const id of Object.keys(step.inputs ?? {})) {
          if (!action.inputs.some((i) => i.id === id)) throw new Error(`Teams: the "${step.press}" card has no input "${id}"`);
        }
        res = await h.action(step.who, step.press, { ...values, ...action.data }, conversation);
      }
      // The connector calls of a turn are made before Teams gets the HTTP answer.
      const calls = h.take();
      for (const call of calls) {
        const card = cardOf(call);
        if (card) shown.push({ where: whereOf(call.path), card });
      }
      const invokeCard = res.body?.type === 'application/vnd.microsoft.card.adaptive' ? (res.body.value as Json) : undefined;
      if (invokeCard) shown.push({ where: step.where === 'personal' ? `personal:${step.who}` : 'triage', card: invokeCard });
      log.push([
        ...calls.map(short),
        ...('press' in step ? [`invoke response: ${invokeCard ? `card "${firstText(invokeCard.body)}"` : `"${res.body?.value}"`}`] : []),
      ]);

      const e: Effects = step.expect;
      const what = `Teams ${describeStep(step, index)}: ${log.at(-1)!.join(' | ')}`;
      expect(res.status, what).toBe(200);
      const posts = calls.filter((c) => c.method === 'POST');
      const puts = calls.filter((c) => c.method === 'PUT');
      expect(calls.filter((c) => c.method !== 'POST' && c.method !== 'PUT'), what).toEqual([]);
      expect(count(posts, (c) => c.path === triagePath), what).toBe(e.triagePosts ?? 0);
      expect(count(puts, (c) => c.path.startsWith(`${triagePath}/`)) > 0, what).toBe(e.triageUpdated ?? false);
      for (const person of DEMO_PEOPLE) {
        const expected = count(e.toPerson ?? [], (k) => k === person.key);
        expect(count(posts, (c) => c.path === personalPath(person.key)), `${what} (to ${person.key})`).toBe(expected);
      }
      const replies = posts.filter((c) =>
        step.where === 'personal' ? c.path.startsWith(`${personalPath(step.who)}/`) : c.path.startsWith(channelReplyPrefix),
      );
      // A notice is a plain reply to a message; to a card action it is the invoke response,
      // and, when the card itself is the response, a reply in a personal chat only (in a
      // channel everyone would see it).
      const noticeAsReply = !!e.notice && ('say' in step || (!!e.actorCard && step.where === 'personal'));
      expect(replies.length, what).toBe((e.replies ?? 0) + (noticeAsReply ? 1 : 0));
      if (noticeAsReply) expect(replies.some((r) => noticeMatches(r.body.text, e.notice!)), what).toBe(true);
      if ('press' in step) {
        expect(!!invokeCard, what).toBe(e.actorCard ?? false);
        if (!invokeCard) expect(noticeMatches(res.body.value, e.notice ?? 'Got it.'), what).toBe(true);
      }
    },
    close: () => h.close(),
  };
}

// ------------------------------------------------------------------------------------------
// Slack: signed requests to /slack/events, the Web API intercepted; cards are Block Kit.
// ------------------------------------------------------------------------------------------

/** Slack's `state` for the input blocks of a message or modal, as Slack sends it. */
function slackStateOf(blocks: Json[], typed: Record<string, string> | undefined, what: string) {
  const values: Json = {};
  const inputs = blocks.filter((b) => b.type === 'input');
  for (const id of Object.keys(typed ?? {})) {
    if (!inputs.some((b) => b.block_id === id)) throw new Error(`Slack: ${what} has no input "${id}"`);
  }
  for (const block of inputs) {
    const element = block.element as Json;
    const chosen = typed?.[block.block_id];
    let input: Json;
    if (element.type === 'plain_text_input') {
      input = { type: element.type, value: chosen ?? element.initial_value ?? null };
    } else if (element.type === 'radio_buttons' || element.type === 'static_select') {
      const option = chosen !== undefined ? (element.options as Json[]).find((o) => o.value === chosen) : element.initial_option;
      if (chosen !== undefined && !option) throw new Error(`Slack: input "${block.block_id}" has no option "${chosen}"`);
      input = { type: element.type, selected_option: option ?? null };
    } else {
      throw new Error(`Slack: the scenario does not fill ${element.type} inputs`);
    }
    values[block.block_id] = { [element.action_id]: input };
  }
  return { values };
}

async function slackDriver(): Promise<Driver> {
  const h: SlackHarness = await startSlackHarness();
  const log: string[][] = [];
  /** Every message shown so far: where ("triage" or "personal:<key>"), its ts and blocks. */
  const shown: Array<{ where: string; ts: string; blocks: Json[] }> = [];

  const whereOf = (channel: string) => {
    if (channel === SLACK_TRIAGE) return 'triage';
    const person = DEMO_PEOPLE.find((p) => dmChannel(p.key) === channel);
    return person ? `personal:${person.key}` : `elsewhere:${channel}`;
  };
  // The fake Web API answers every successful call with the next ts (see slack-harness).
  const tsOf = (call: SlackCall) => {
    const index = h.calls.indexOf(call);
    return `${1_795_000_000 + count(h.calls.slice(0, index + 1), (c) => !c.method.endsWith(':failed'))}.000100`;
  };
  const short = (c: SlackCall) => {
    const body = c.args.blocks ? `blocks "${firstText(c.args.blocks)}"` : c.args.text !== undefined ? `text "${c.args.text}"` : '';
    return `${c.method}${c.args.channel ? ` ${whereOf(c.args.channel)}` : ''}${body ? `: ${body}` : ''}`;
  };

  const interaction = (payload: Json) => h.signed(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
  const user = (key: string) => ({ id: slackUserId(key), team_id: TEAM_ID, username: demoPerson(key).givenName.toLowerCase(), name: demoPerson(key).givenName.toLowerCase() });
  let trigger = 0;

  async function findButton(step: Extract<Step, { press: string }>) {
    const source = step.on;
    let where = `personal:${step.who}`;
    let reference: string | undefined;
    let postedTs: string | undefined;
    if ('triageCardOf' in source) {
      where = 'triage';
      const request = await newestRequestOf(h.database.db, source.triageCardOf);
      reference = request.reference;
      // The triage card's ts, for chat.update, is stored with the post.
      await h.delivered(); // the post is recorded just after the call
      postedTs = (await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id, platform: 'SLACK', purpose: 'triage' } })).messageId;
    }
    const candidates = shown.filter((s) => s.where === where && (!reference || texts(s.blocks).some((t) => t.includes(reference))));
    for (const message of ordered(candidates, source)) {
      for (const block of message.blocks.filter((b) => b.type === 'actions')) {
        for (const element of block.elements as Json[]) {
          const id = baseActionId(element.action_id);
          if (id !== step.press && id !== `${SHOW_CARD_PREFIX}${step.press}`) continue;
          const value = JSON.parse(element.value) as Json;
          if (!matches(id.startsWith(SHOW_CARD_PREFIX) ? (value.data ?? {}) : value, step.pick)) continue;
          if (postedTs !== undefined) expect(message.ts, 'the ts stored in PostedCard is the one Slack returned').toBe(postedTs);
          return { message, block, element };
        }
      }
    }
    throw new Error(`Slack: no "${step.press}" button on any message shown in ${where}${reference ? ` for ${reference}` : ''}`);
  }

  /** The Web API calls a step's effects add up to, per kind. */
  function expected(step: Step) {
    const e = step.expect;
    const posts = new Map<string, number>();
    const add = (channel: string, n: number) => n && posts.set(channel, (posts.get(channel) ?? 0) + n);
    add(SLACK_TRIAGE, e.triagePosts ?? 0);
    for (const key of e.toPerson ?? []) add(dmChannel(key), 1);
    if (step.where === 'triage') add(SLACK_TRIAGE, e.replies ?? 0);
    // A notice in a DM is a message there; in a channel it is ephemeral.
    else add(dmChannel(step.who), (e.replies ?? 0) + (e.notice ? 1 : 0));
    return {
      posts,
      ephemerals: step.where === 'triage' && e.notice ? 1 : 0,
      dmUpdates: step.where === 'personal' && e.actorCard ? 1 : 0,
      triageUpdates: e.triageUpdated || (step.where === 'triage' && e.actorCard) ? 1 : 0,
    };
  }

  const summarise = (calls: SlackCall[]) => {
    const posts = new Map<string, number>();
    for (const c of calls.filter((c) => c.method === 'chat.postMessage')) posts.set(c.args.channel, (posts.get(c.args.channel) ?? 0) + 1);
    return {
      posts,
      ephemerals: count(calls, (c) => c.method === 'chat.postEphemeral'),
      dmUpdates: count(calls, (c) => c.method === 'chat.update' && c.args.channel !== SLACK_TRIAGE),
      triageUpdates: count(calls, (c) => c.method === 'chat.update' && c.args.channel === SLACK_TRIAGE),
    };
  };

  return {
    db: h.database.db,
    log,
    async run(step, index) {
      expect(h.take(), `Slack: calls made between steps, before ${describeStep(step, index)}`).toEqual([]);
      const calls: SlackCall[] = [];
      const pressedIds: string[] = [];
      let res: { status: number; text: string };
      if ('say' in step) {
        // Slack delivers channel messages to the bot only as the slash command.
        res = step.where === 'personal' ? await h.dm(step.who, step.say) : await h.command(step.who, step.say, SLACK_TRIAGE);
      } else {
        const { message, block, element } = await findButton(step);
        const channel = step.where === 'personal' ? dmChannel(step.who) : SLACK_TRIAGE;
        const opensForm = baseActionId(element.action_id).startsWith(SHOW_CARD_PREFIX);
        pressedIds.push(`pressed ${element.action_id}${opensForm ? ', submitted the form' : ''}`);
        const pressed = await interaction({
          type: 'block_actions',
          team: { id: TEAM_ID, domain: 'sgs-demo' },
          user: user(step.who),
          api_app_id: 'A0SGS',
          container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
          trigger_id: `trigger-parity-${++trigger}`,
          channel: { id: channel },
          message: { type: 'message', ts: message.ts, blocks: message.blocks },
          // A button opening a form carries no typed inputs: they are typed into the form.
          state: slackStateOf(message.blocks, opensForm ? undefined : step.inputs, `the "${step.press}" message`),
          actions: [{ type: 'button', action_id: element.action_id, block_id: block.block_id ?? 'actions', text: element.text, value: element.value, action_ts: `${Date.now() / 1000}` }],
        });
        res = pressed;
        if (opensForm) {
          expect(pressed.status, `Slack ${describeStep(step, index)}: the form button`).toBe(200);
          calls.push(...(await h.until((c) => c.some((x) => x.method === 'views.open'))));
          const view = calls.find((c) => c.method === 'views.open')!.args.view as Json;
          res = await interaction({
            type: 'view_submission',
            team: { id: TEAM_ID, domain: 'sgs-demo' },
            user: user(step.who),
            api_app_id: 'A0SGS',
            trigger_id: `trigger-parity-${++trigger}`,
            view: { ...view, id: `V${trigger}`, team_id: TEAM_ID, state: slackStateOf(view.blocks, step.inputs, `the "${view.title?.text}" form`) },
          });
        }
      }

      // Processing happens after the ack: wait until everything the effects imply was called.
      const want = expected(step);
      const enough = (seen: SlackCall[]) => {
        const got = summarise(seen);
        return (
          [...want.posts].every(([channel, n]) => (got.posts.get(channel) ?? 0) >= n) &&
          got.ephemerals >= want.ephemerals &&
          got.dmUpdates >= want.dmUpdates &&
          got.triageUpdates >= want.triageUpdates
        );
      };
      let waitError: unknown;
      try {
        calls.push(...(await h.until((c) => enough([...calls, ...c]))));
      } catch (error) {
        waitError = error;
      }
      // Anything still arriving belongs to this step too, and is checked: wait until the press
      // has been handled to its end and what it wrote delivered.
      await h.delivered().catch((error: unknown) => {
        waitError ??= error;
      });
      calls.push(...h.take());
      for (const call of calls) {
        if (call.method === 'chat.postMessage') shown.push({ where: whereOf(call.args.channel), ts: tsOf(call), blocks: call.args.blocks ?? [] });
        if (call.method === 'chat.update') shown.push({ where: whereOf(call.args.channel), ts: call.args.ts, blocks: call.args.blocks ?? [] });
      }
      log.push([...pressedIds, ...calls.map(short)]);

      const what = `Slack ${describeStep(step, index)}: ${log.at(-1)!.join(' | ')}`;
      expect(waitError, what).toBeUndefined();
      expect(res.status, what).toBe(200);
      const got = summarise(calls);
      expect(Object.fromEntries(got.posts), what).toEqual(Object.fromEntries(want.posts));
      expect(got.ephemerals, what).toBe(want.ephemerals);
      expect(got.dmUpdates, what).toBe(want.dmUpdates);
      expect(got.triageUpdates > 0, what).toBe(want.triageUpdates > 0);
      expect(calls.filter((c) => !['chat.postMessage', 'chat.postEphemeral', 'chat.update', 'users.info', 'views.open'].includes(c.method)), what).toEqual([]);
      if (step.expect.notice) {
        const notices = calls.filter((c) =>
          step.where === 'triage'
            ? c.method === 'chat.postEphemeral' && c.args.user === slackUserId(step.who)
            : c.method === 'chat.postMessage' && c.args.channel === dmChannel(step.who) && !c.args.blocks,
        );
        const notice = step.expect.notice;
        expect(notices.some((c) => noticeMatches(c.args.text, typeof notice === 'string' ? escapeMrkdwn(notice) : notice)), what).toBe(true);
      }
    },
    close: () => h.close(),
  };
}

// ------------------------------------------------------------------------------------------

/** Replay the scenario through a driver; refused steps must leave the stored state alone. */
async function replay(start: () => Promise<Driver>) {
  const driver = await start();
  try {
    for (const [index, step] of JOURNEYS_1_TO_3.entries()) {
      const before = step.expect.changesNothing ? await storedState(driver.db) : undefined;
      await driver.run(step, index);
      if (before) expect(await storedState(driver.db), `${describeStep(step, index)} changed the stored state`).toEqual(before);
    }
    // Platform fields, left out of the comparison; printed with PARITY_LOG for the record.
    const platformFields = {
      triageChannels: await driver.db.triageChannel.findMany({ select: { platform: true, conversationId: true, name: true } }),
      requests: await driver.db.supervisionRequest.findMany({ select: { reference: true, platform: true }, orderBy: { reference: 'asc' } }),
      signatures: await driver.db.signature.findMany({ select: { platform: true } }),
      audit: await driver.db.auditEvent.findMany({ select: { action: true, platform: true, detail: true }, orderBy: { id: 'asc' } }),
    };
    return { state: await storedState(driver.db), log: driver.log, platformFields };
  } finally {
    await driver.close();
  }
}

type Run = Awaited<ReturnType<typeof replay>>;
const runs: { teams?: Run; slack?: Run } = {};

describe('journeys 1-3, recorded once and replayed on both platforms', () => {
  // One platform after the other: each harness owns nock while it runs.
  it('replays on Teams', async () => {
    runs.teams = await replay(teamsDriver);
  });

  it('replays on Slack', async () => {
    runs.slack = await replay(slackDriver);
  });

  it('leaves the same stored state on Slack as on Teams', () => {
    expect(runs.teams, 'the Teams replay did not finish').toBeDefined();
    expect(runs.slack, 'the Slack replay did not finish').toBeDefined();
    const teamsState = runs.teams!.state;
    const slackState = runs.slack!.state;
    if (process.env.PARITY_LOG) {
      // PARITY_LOG=1 prints each step's platform calls side by side, and both states.
      for (const [index, step] of JOURNEYS_1_TO_3.entries()) {
        console.info(`${describeStep(step, index)}\n  Teams: ${runs.teams!.log[index]!.join('\n         ')}\n  Slack: ${runs.slack!.log[index]!.join('\n         ')}`);
      }
      console.info(JSON.stringify({ teamsState, slackState, teams: runs.teams!.platformFields, slack: runs.slack!.platformFields }, null, 1));
    }
    expect(slackState).toEqual(teamsState);
  });

  it('stores what the journeys should store (so equal cannot mean equally empty)', () => {
    for (const run of [runs.teams, runs.slack]) {
      expect(run).toBeDefined();
      const state = run!.state;
      const specialist = demoPerson('specialist').email;
      const paramedic = demoPerson('paramedic').email;

      expect(state.requests).toHaveLength(2);
      expect(state.requests[0]).toMatchObject({
        reference: 'SGS-2026-0001',
        requester: paramedic,
        status: 'ADVICE_GIVEN',
        route: 'SUPERVISION',
        urgency: 'ROUTINE',
        immediateRisk: false,
        helpType: 'SESSION',
        format: 'GROUP',
        availability: TEXT.paramedicAvailability,
        adjustments: TEXT.paramedicAdjustments,
        summary: TEXT.paramedicSummary,
        identifierWarnings: ['POSTCODE'],
        adviceFeedback: 'HELPED',
        outcome: null,
        // created, claimed, advised, answered: the refused claims did not count.
        version: 4,
        claimedBy: specialist,
        closedBy: null,
      });
      expect(state.requests[1]).toMatchObject({
        reference: 'SGS-2026-0002',
        requester: demoPerson('call-handler').email,
        status: 'CLOSED',
        route: 'SUPERVISION',
        urgency: 'URGENT',
        immediateRisk: true,
        helpType: 'CHILD_DEATH',
        format: 'INDIVIDUAL',
        // The standing adjustments prefilled on the card were sent back with it.
        adjustments: demoPerson('call-handler').reasonableAdjustments,
        summary: TEXT.callHandlerSummary,
        identifierWarnings: [],
        outcome: 'REFERRED_ELSEWHERE',
        version: 3,
        claimedBy: null,
        closedBy: specialist,
      });

      expect(state.records).toEqual([
        expect.objectContaining({
          request: 'SGS-2026-0001',
          kind: 'ADVICE',
          type: 'ON_REQUEST',
          status: 'SIGNED',
          content: TEXT.advice,
          supervisor: specialist,
          subjects: [paramedic],
          signatures: [
            { by: paramedic, signedVersion: 1 },
            { by: specialist, signedVersion: 1 },
          ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        }),
      ]);

      const audited = (action: string) => state.audit.filter((a) => a.action === action).map((a) => `${a.subject} by ${a.actor}`);
      expect(audited('triage-channel.bound')).toEqual([`organisation by ${demoPerson('admin').email}`]);
      expect(audited('request.created').sort()).toEqual([`SGS-2026-0001 by ${paramedic}`, `SGS-2026-0002 by ${demoPerson('call-handler').email}`]);
      expect(audited('request.details-added')).toEqual([`SGS-2026-0002 by ${demoPerson('call-handler').email}`]);
      // One claim succeeded; the two refused ones left no trace. The summary was read once per claim.
      expect(audited('request.claimed')).toEqual([`SGS-2026-0001 by ${specialist}`]);
      expect(audited('request.summary.read')).toEqual([`SGS-2026-0001 by ${specialist}`]);
      expect(audited('request.advice-given')).toEqual([`SGS-2026-0001 by ${specialist}`]);
      expect(audited('request.advice-helped')).toEqual([`SGS-2026-0001 by ${paramedic}`]);
      expect(audited('request.closed')).toEqual([`SGS-2026-0002 by ${specialist}`]);
      expect(state.audit.filter((a) => a.actor === demoPerson('ebs').email || a.actor === demoPerson('specialist-2').email)).toEqual([]);

      expect(state.triageChannels).toEqual([{ boundBy: demoPerson('admin').email }]);
      expect(state.postedCards).toEqual([
        { subjectType: 'replaceable', subject: `SGS-2026-0001 details for ${specialist}`, purpose: 'live' },
        { subjectType: 'request', subject: 'SGS-2026-0001', purpose: 'triage' },
        { subjectType: 'request', subject: 'SGS-2026-0002', purpose: 'triage' },
      ]);
      expect(state.drafts).toEqual([]);
    }
  });
});
