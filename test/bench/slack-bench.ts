// Slack acknowledgement benchmark: our bot against a bare @slack/bolt app, side by side in one
// run (test/bench/run.ts runs it after the Teams benchmark; BENCH_ONLY=slack runs only this).
//
// Slack wants every slash command and interaction acknowledged (an HTTP 200 to its POST)
// within 3 s. The acknowledgement time measured here is exactly that: from sending the
// signed POST /slack/events to receiving its whole HTTP response. Our listeners ack first and
// do the work afterwards, so the work itself is not in the figure, but it runs in the same
// process while other requests are being acknowledged, and the figure shows what it costs
// them.
//
// Each app runs in its own child process: bare-bolt.ts (Bolt's ExpressReceiver, listeners
// that only ack) and sg-bot.ts (our bot as production starts it, with Slack configured on a
// fresh migrated and seeded schema). Both get the same stub Web API (stub-slack-api.ts,
// another child) as their API base. BENCH_CONCURRENCY Slack users (default 50) each have a
// SLACK PlatformIdentity in the bench schema, so that no users.info call is needed while
// measuring; the demo administrator (with a Slack identity too) binds the triage channel
// first with a signed `/supervision bind triage`. Closed loop, per user and workload:
// BENCH_WARMUP untimed requests (default 5), then BENCH_SLACK_ITERATIONS timed ones (default
// 100, or BENCH_ITERATIONS when that is set) in BENCH_SLACK_ROUNDS measured rounds (default
// 5) that alternate the apps (bare, ours; ours, bare; ...), so that whatever else the
// machine does affects both alike as far as possible. Workloads (BENCH_SLACK_WORKLOADS,
// comma-separated; default slash-help,block-action):
//
//   slash-help    `/supervision help` typed in the user's DM. Ours acks and posts the help
//                 there (chat.postMessage). (Typed in a channel or group DM, help is answered
//                 there through the command's response_url, which this stub does not serve.)
//   block-action  a block_actions interaction from the user's DM: button intake.risk#2 with
//                 value {"answer":"no"}. Ours gets it prepared, untimed, by a signed
//                 `/supervision new request` typed in the DM (the draft is then at the risk
//                 question): so every timed action is accepted and answered with the
//                 kind-of-help card, never a stale-card refusal. The bare app gets the same
//                 untimed command first, so the load has one shape.
//   dm-event      (opt-in) an Events API message event, "help" in the DM, which Bolt
//                 acknowledges itself; ours posts the help in the DM.
//
// Pacing: a user sends their next request once the previous one's work is visible at the
// stub (ours: the chat.postMessage it leads to; the bare app does no work), as a person
// would wait for the bot's answer. The work after each ack is so checked request by request
// and counted again after the run; "reply" is the time from sending the POST to that
// chat.postMessage reaching the stub (seen by the runner through a long poll, so slightly
// late). Each app reports, per measured round, its peak RSS (sampled every 50 ms), its CPU
// time and its event-loop delay.
// The figures go to the console and to test/bench/results/slack-ack.json. The target is
// p99(ours) <= 1.5 x p99(bare) with every ack under 3 s; PASS or MISS is reported and the
// exit code is 0 either way. A broken run (an app fails to start or dies, an ack is not an
// empty 200, the work after an ack does not happen) exits 1.

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import {
  environmentFacts,
  getJson,
  HERE,
  intFromEnv,
  mib,
  ms,
  post,
  ratio,
  RESULTS_DIR,
  startChild,
  summarise,
  table,
  type BenchOutcome,
  type BenchSettings,
  type Child,
  type CleanupStack,
  type HttpResult,
  type Summary,
} from './common.js';
import type { SlackCall, SlackStubStats, SlackWaitAnswer } from './stub-slack-api.js';

const RESULTS_FILE = `${RESULTS_DIR}/slack-ack.json`;
const TARGET_P99_RATIO = 1.5;
/** Slack's acknowledgement deadline. */
const SLACK_ACK_DEADLINE_MS = 3_000;
/** Timed requests per user and workload (BENCH_SLACK_ITERATIONS, else BENCH_ITERATIONS if set). */
const DEFAULT_ITERATIONS = 100;
/** Measured rounds per workload, alternating the apps (BENCH_SLACK_ROUNDS). */
const DEFAULT_ROUNDS = 5;
/** How long the runner waits for the work after an ack to reach the stub. */
const FOLLOW_UP_TIMEOUT_MS = 15_000;

const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const BOT_TOKEN = 'xoxb-bench-token';
const TEAM_ID = 'T0SGSBENCH';
const API_APP_ID = 'A0SGSBENCH';
const TRIAGE_CHANNEL = 'C0BENCHTRIAGE';
const ADMIN_USER = 'U0BENCHADMIN';
/** The first line (the Slack fallback text) of our bot's help card in a personal chat (src/domain/help-topics.ts). */
const HELP_START = 'What I can do for you';

type BotName = 'bare' | 'ours';
type WorkloadKey = 'slash-help' | 'block-action' | 'dm-event';
const ALL_WORKLOADS: WorkloadKey[] = ['slash-help', 'block-action', 'dm-event'];
const DEFAULT_WORKLOADS: WorkloadKey[] = ['slash-help', 'block-action', 'dm-event'];

const WORKLOAD_NOTES: Record<WorkloadKey, string> = {
  'slash-help': '/supervision help typed in the DM; ours then posts the help there',
  'block-action':
    'intake.risk#2 {"answer":"no"} pressed in the DM; prepared untimed by /supervision new request in the DM, so ours accepts every timed action and posts the kind-of-help card (no stale-card refusals)',
  'dm-event': 'an Events API message event, "help" in the DM (Bolt acknowledges events itself); ours then posts the help there',
};
/** What the follow-up of one of our timed requests is. */
const FOLLOW_UPS: Record<WorkloadKey, string> = {
  'slash-help': 'help replies in the DM',
  'block-action': 'kind-of-help cards',
  'dm-event': 'help replies in the DM',
};

/** BENCH_SLACK_WORKLOADS: a comma-separated choice (default all three). */
function selectedWorkloads(): WorkloadKey[] {
  const raw = (process.env.BENCH_SLACK_WORKLOADS ?? '').trim();
  if (!raw) return DEFAULT_WORKLOADS;
  const chosen = raw.split(',').map((w) => w.trim()).filter(Boolean);
  const unknown = chosen.filter((w) => !(ALL_WORKLOADS as string[]).includes(w));
  if (unknown.length || !chosen.length) throw new Error(`BENCH_SLACK_WORKLOADS: unknown workload(s) ${unknown.join(', ')} (choose from ${ALL_WORKLOADS.join(', ')})`);
  return ALL_WORKLOADS.filter((w) => chosen.includes(w));
}

// ---------------------------------------------------------------------------
// Signed Slack requests
// ---------------------------------------------------------------------------

interface SlackUser {
  personId: string;
  userId: string;
  name: string;
  /** The DM between the user and the bot. */
  dm: string;
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
let seq = 0;

/** Headers for a body signed now, as Slack signs it. */
function signedHeaders(body: string, contentType = FORM): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { 'content-type': contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${signSlackBody(SIGNING_SECRET, timestamp, body)}` };
}

function commandBody(user: { userId: string; name: string }, text: string, channel: string): string {
  seq += 1;
  return new URLSearchParams({
    token: 'unused',
    team_id: TEAM_ID,
    team_domain: 'sgs-bench',
    channel_id: channel,
    channel_name: channel.startsWith('D') ? 'directmessage' : channel === TRIAGE_CHANNEL ? 'safeguarding-triage' : 'general',
    user_id: user.userId,
    user_name: user.name.toLowerCase().replace(/\s+/g, '.'),
    command: '/supervision',
    text,
    api_app_id: API_APP_ID,
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${TEAM_ID}/${seq}/bench`,
    trigger_id: `${seq}.bench.trigger`,
  }).toString();
}

function blockActionBody(user: SlackUser, actionId: string, value: Record<string, unknown>): string {
  seq += 1;
  const messageTs = `1795000000.${String(seq).padStart(6, '0')}`;
  const payload = {
    type: 'block_actions',
    team: { id: TEAM_ID, domain: 'sgs-bench' },
    user: { id: user.userId, username: user.name.toLowerCase().replace(/\s+/g, '.'), name: user.name, team_id: TEAM_ID },
    api_app_id: API_APP_ID,
    token: 'unused',
    container: { type: 'message', message_ts: messageTs, channel_id: user.dm, is_ephemeral: false },
    trigger_id: `${seq}.bench.trigger`,
    channel: { id: user.dm, name: 'directmessage' },
    message: { type: 'message', ts: messageTs, user: 'U0SGSBOT', text: 'Is anyone at immediate risk of harm right now?' },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/${TEAM_ID}/${seq}/bench`,
    actions: [{ type: 'button', action_id: actionId, block_id: 'actions', value: JSON.stringify(value), action_ts: `${Date.now() / 1000}` }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** An Events API delivery of a message the user typed in their DM with the bot. */
function dmEventBody(user: SlackUser, text: string): string {
  seq += 1;
  const now = Date.now() / 1000;
  return JSON.stringify({
    token: 'unused',
    team_id: TEAM_ID,
    api_app_id: API_APP_ID,
    event: { type: 'message', channel_type: 'im', channel: user.dm, user: user.userId, text, ts: `${now}`, event_ts: `${now}`, client_msg_id: randomUUID() },
    type: 'event_callback',
    event_id: `Ev0BENCH${String(seq).padStart(8, '0')}`,
    event_time: Math.floor(now),
    authorizations: [{ team_id: TEAM_ID, user_id: 'U0SGSBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

// ---------------------------------------------------------------------------
// The stub's view
// ---------------------------------------------------------------------------

class StubView {
  /** Per channel, how many of its calls have been accounted for. */
  private readonly cursors = new Map<string, number>();

  constructor(readonly url: string) {}

  async stats(): Promise<SlackStubStats> {
    return (await getJson<SlackStubStats>(`${this.url}/__stats`)).body;
  }

  /** Start accounting for a channel's calls from now. */
  async mark(channel: string): Promise<void> {
    const { body } = await getJson<{ count: number }>(`${this.url}/__count?channel=${encodeURIComponent(channel)}`);
    this.cursors.set(channel, body.count);
  }

  /** The channel's calls not yet accounted for (they are then accounted for). */
  async take(channel: string): Promise<SlackCall[]> {
    const after = this.cursors.get(channel) ?? 0;
    const { body } = await getJson<SlackCall[]>(`${this.url}/__calls?channel=${encodeURIComponent(channel)}&after=${after}`);
    this.cursors.set(channel, after + body.length);
    return body;
  }

  /**
   * The next call of `method` on the channel, once it has happened; the calls before it are
   * accounted for with it. A problem (string) if it has not happened within the timeout.
   */
  async next(channel: string, method = 'chat.postMessage'): Promise<SlackCall | string> {
    const after = this.cursors.get(channel) ?? 0;
    const { status, body } = await getJson<SlackWaitAnswer>(
      `${this.url}/__wait?channel=${encodeURIComponent(channel)}&method=${method}&after=${after}&timeoutMs=${FOLLOW_UP_TIMEOUT_MS}`,
      FOLLOW_UP_TIMEOUT_MS + 5_000,
    );
    if (status !== 200 || body.index === undefined || !body.call) {
      return `no ${method} on ${channel} within ${FOLLOW_UP_TIMEOUT_MS / 1000} s (saw: ${(body.seen ?? []).map((c) => c.method).join(', ') || 'nothing'})`;
    }
    this.cursors.set(channel, body.index + 1);
    return body.call;
  }
}

// ---------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------

interface Workload {
  key: WorkloadKey;
  /** Untimed: put the conversation in the state the timed request expects. */
  prepare(user: SlackUser): Promise<void>;
  /** The timed request's body (signed just before sending). */
  body(user: SlackUser): string;
  /** The body's content type: a form unless said otherwise. */
  contentType?: string;
  /** Untimed, after a good ack: wait for the work it leads to; a problem, or null. */
  followUp(user: SlackUser): Promise<string | null>;
  /** How many Web API calls one timed request leads to (checked by the probe). */
  expectedCalls: string[];
}

interface Target {
  name: BotName;
  child: Child;
  url: string;
  workloads: Workload[];
}

/** An acknowledgement is an empty 200 (our receiver's and Bolt's alike). */
const ackProblem = (result: HttpResult) => (result.status === 200 && result.text === '' ? null : `ack was HTTP ${result.status} "${result.text.slice(0, 200)}"`);

const describeCall = (call: SlackCall) => `${call.method} "${call.text.slice(0, 80)}" [${call.actionIds.join(' ')}]`;

function bareWorkloads(url: string): Workload[] {
  return [
    {
      key: 'slash-help',
      prepare: async () => {},
      body: (user) => commandBody(user, 'help', user.dm),
      followUp: async () => null,
      expectedCalls: [],
    },
    {
      key: 'block-action',
      // The same untimed command as our bot gets, so both see the same load.
      prepare: async (user) => {
        const body = commandBody(user, 'new request', user.dm);
        const problem = ackProblem(await post(url, body, signedHeaders(body)));
        if (problem) throw new Error(`bare preparation (/supervision new request): ${problem}`);
      },
      body: (user) => blockActionBody(user, 'intake.risk#2', { answer: 'no' }),
      followUp: async () => null,
      expectedCalls: [],
    },
    {
      key: 'dm-event',
      prepare: async () => {},
      body: (user) => dmEventBody(user, 'help'),
      contentType: JSON_TYPE,
      followUp: async () => null,
      expectedCalls: [],
    },
  ];
}

function oursWorkloads(url: string, stub: StubView): Workload[] {
  const expectPost = async (channel: string, expected: (call: SlackCall) => boolean, what: string) => {
    const call = await stub.next(channel);
    if (typeof call === 'string') return call;
    return expected(call) ? null : `expected ${what} on ${channel}, got ${describeCall(call)}`;
  };
  const hasAction = (prefix: string) => (call: SlackCall) => call.actionIds.some((id) => id.startsWith(prefix));
  return [
    {
      key: 'slash-help',
      prepare: async () => {},
      body: (user) => commandBody(user, 'help', user.dm),
      followUp: (user) => expectPost(user.dm, (call) => call.text.startsWith(HELP_START), 'the help'),
      expectedCalls: ['chat.postMessage'],
    },
    {
      key: 'block-action',
      prepare: async (user) => {
        const body = commandBody(user, 'new request', user.dm);
        const problem = ackProblem(await post(url, body, signedHeaders(body))) ?? (await expectPost(user.dm, hasAction('intake.risk'), 'the immediate-risk card'));
        if (problem) throw new Error(`preparation (/supervision new request): ${problem}`);
      },
      body: (user) => blockActionBody(user, 'intake.risk#2', { answer: 'no' }),
      // A refusal ("That question has already been answered.") would be a cheaper request than the one meant.
      followUp: (user) => expectPost(user.dm, hasAction('intake.kind'), 'the kind-of-help card'),
      expectedCalls: ['chat.postMessage'],
    },
    {
      key: 'dm-event',
      prepare: async () => {},
      body: (user) => dmEventBody(user, 'help'),
      contentType: JSON_TYPE,
      followUp: (user) => expectPost(user.dm, (call) => call.text.startsWith(HELP_START), 'the help'),
      expectedCalls: ['chat.postMessage'],
    },
  ];
}

// ---------------------------------------------------------------------------
// A measured phase
// ---------------------------------------------------------------------------

interface PhaseResult {
  /** Acknowledgement time. */
  summary: Summary;
  /** Share of timed acks under Slack's 3 s, in per cent. */
  under3sPercent: number;
  /** Time from the POST to the follow-up chat.postMessage reaching the stub (ours only). */
  reply?: Summary;
  failures: number;
  failureExamples: string[];
  /** Web API calls per timed request, checked by the probe. */
  webApiCallsPerRequest: number;
  /** Web API calls the stub saw during the timed rounds, per method. */
  webApiCallsTimed: Record<string, number>;
  /** Timed acks per second of measured wall time. */
  timedAcksPerSecond: number;
  /** The app's CPU time per timed request (its untimed preparation included). */
  cpuMsPerRequest: number;
  /** The app's CPU time over the measured wall time, in per cent of one core. */
  cpuPercent: number;
  /** Event-loop delay over the measured rounds: the worst round's median, and the maximum. */
  loopDelayMs: { p50: number; max: number };
  peakRssBytes: number;
  rssSamples: number;
  rounds: number;
}

function callsBetween(before: SlackStubStats, after: SlackStubStats): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [method, count] of Object.entries(after.byMethod)) {
    const n = count - (before.byMethod[method] ?? 0);
    if (n) diff[method] = n;
  }
  return diff;
}

/**
 * One workload on one app: a probe and the warm-up, then any number of measured rounds,
 * whose figures add up to the phase's result.
 */
class Phase {
  private aborted: Error | undefined;
  private failures = 0;
  private readonly failureExamples: string[] = [];
  private readonly ack: number[] = [];
  private readonly reply: number[] = [];
  private readonly calls: Record<string, number> = {};
  private wallMs = 0;
  private cpuMs = 0;
  private peakRss = 0;
  private rssSamples = 0;
  private rounds = 0;
  private loopDelay = { p50: 0, max: 0 };

  constructor(
    readonly target: Target,
    readonly workload: Workload,
    private readonly users: SlackUser[],
    private readonly stub: StubView,
  ) {}

  private fail(problem: string): void {
    this.failures += 1;
    if (this.failureExamples.length < 5 && !this.failureExamples.includes(problem)) this.failureExamples.push(problem);
  }

  private async loop(user: SlackUser, count: number, timed: boolean): Promise<void> {
    const { workload, target } = this;
    for (let i = 0; i < count && !this.aborted; i += 1) {
      try {
        await workload.prepare(user);
        const body = workload.body(user);
        const headers = signedHeaders(body, workload.contentType);
        const started = performance.now();
        const result = await post(target.url, body, headers);
        if (timed) this.ack.push(result.ms);
        const problem = ackProblem(result);
        if (problem) {
          this.fail(problem);
          continue;
        }
        const late = await workload.followUp(user);
        if (late) this.fail(`after the ack: ${late}`);
        else if (timed && target.name === 'ours') this.reply.push(performance.now() - started);
      } catch (error) {
        this.aborted ??= error instanceof Error ? error : new Error(String(error));
      }
    }
  }

  /** One request on its own with its ack and every Web API call it leads to checked; then the warm-up. */
  async probeAndWarmUp(warmup: number): Promise<void> {
    const { target, workload, users, stub } = this;
    const [first] = users;
    if (!first) throw new Error('no users');
    for (const user of users) await stub.mark(user.dm);
    await workload.prepare(first);
    const before = await stub.stats();
    const body = workload.body(first);
    const probe = await post(target.url, body, signedHeaders(body, workload.contentType));
    const problem = ackProblem(probe) ?? (await workload.followUp(first));
    if (problem) throw new Error(`${target.name} ${workload.key}: the probe request is wrong: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // anything else it leads to
    const seen = Object.entries(callsBetween(before, await stub.stats()))
      .flatMap(([method, n]) => Array<string>(n).fill(method))
      .sort()
      .join(', ');
    const expected = [...workload.expectedCalls].sort().join(', ');
    if (seen !== expected) throw new Error(`${target.name} ${workload.key}: the probe request led to Web API calls [${seen}], expected [${expected}]`);

    await Promise.all(users.map((user) => this.loop(user, warmup, false)));
    if (this.aborted) throw this.aborted;
    this.failures = 0;
    this.failureExamples.length = 0;
  }

  /** A measured round: every user sends `iterations` timed requests. */
  async measure(iterations: number): Promise<void> {
    const { target, users, stub } = this;
    for (const user of users) await stub.mark(user.dm);
    const before = await stub.stats();
    await target.child.request('measure-start');
    const started = performance.now();
    await Promise.all(users.map((user) => this.loop(user, iterations, true)));
    this.wallMs += performance.now() - started;
    if (this.aborted) throw this.aborted;
    const memory = await target.child.request('measure-stop');
    await new Promise((resolve) => setTimeout(resolve, 200)); // stragglers, if any
    const after = await stub.stats();
    if (after.sorry > before.sorry) this.fail(`${after.sorry - before.sorry} apologies ("Sorry, something went wrong...") reached the stub`);
    for (const [method, n] of Object.entries(callsBetween(before, after))) this.calls[method] = (this.calls[method] ?? 0) + n;
    this.rounds += 1;
    this.peakRss = Math.max(this.peakRss, memory.peakRss);
    this.rssSamples += memory.samples;
    this.cpuMs += memory.phase?.cpuMs ?? 0;
    this.loopDelay = {
      p50: Math.max(this.loopDelay.p50, memory.phase?.loopDelay.p50 ?? 0),
      max: Math.max(this.loopDelay.max, memory.phase?.loopDelay.max ?? 0),
    };
  }

  result(): PhaseResult {
    const under = this.ack.filter((t) => t < SLACK_ACK_DEADLINE_MS).length;
    return {
      summary: summarise(this.ack),
      under3sPercent: Math.round((under / (this.ack.length || 1)) * 100_000) / 1000,
      ...(this.target.name === 'ours' ? { reply: summarise(this.reply) } : {}),
      failures: this.failures,
      failureExamples: [...this.failureExamples],
      webApiCallsPerRequest: this.workload.expectedCalls.length,
      webApiCallsTimed: { ...this.calls },
      timedAcksPerSecond: Math.round((this.ack.length / (this.wallMs || 1)) * 1000 * 10) / 10,
      cpuMsPerRequest: Math.round((this.cpuMs / (this.ack.length || 1)) * 100) / 100,
      cpuPercent: Math.round((this.cpuMs / (this.wallMs || 1)) * 100),
      loopDelayMs: this.loopDelay,
      peakRssBytes: this.peakRss,
      rssSamples: this.rssSamples,
      rounds: this.rounds,
    };
  }
}

// ---------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------

export async function runSlackBench(settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const { concurrency, warmup, logLevel, redisUrl, poolSize } = settings;
  // An ack is some 10x cheaper than a Teams turn: more of them for stable percentiles.
  const iterations = intFromEnv('BENCH_SLACK_ITERATIONS', process.env.BENCH_ITERATIONS ? settings.iterations : DEFAULT_ITERATIONS, 1);
  const rounds = Math.min(iterations, intFromEnv('BENCH_SLACK_ROUNDS', DEFAULT_ROUNDS, 1));
  const WORKLOADS = selectedWorkloads();
  const [{ createTestDatabase }, { seedDemoOrganisation }, demo, enums] = await Promise.all([
    import('../support/database.js'),
    import('../../src/db/seed-demo.js'),
    import('../../src/db/demo-organisation.js'),
    import('../../src/db/generated/enums.js'),
  ]);

  console.log(
    `Slack acknowledgement benchmark: ${concurrency} concurrent Slack users, ${warmup} warm-up + ${iterations} timed requests each per workload in ${rounds} alternating rounds (${environmentFacts().cpus} CPUs, Node ${process.version}).`,
  );

  // The stub Web API, in its own process; both apps use it.
  const stubChild = await startChild('stub Slack API', `${HERE}stub-slack-api.ts`, process.env);
  cleanups.push(() => stubChild.stop());
  const stubUrl = `http://127.0.0.1:${stubChild.port}`;
  const stub = new StubView(stubUrl);
  const apiUrl = `${stubUrl}/api/`;

  // The bench schema: migrated, the demo organisation, one person per Slack user, each with
  // their Slack identity (as users.info would have linked them), and the administrator's.
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const { organisationId } = await seedDemoOrganisation(database.db);
  // Slack is configured, so the organisation is pinned to the bench's workspace.
  await database.db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: TEAM_ID } });
  const paramedic = await database.db.person.findFirstOrThrow({ where: { organisationId, email: demo.demoPerson('paramedic').email } });
  const admin = await database.db.person.findFirstOrThrow({ where: { organisationId, email: demo.demoPerson('admin').email } });
  const users: SlackUser[] = Array.from({ length: concurrency }, (_, i) => {
    const id = `U0BENCH${String(i + 1).padStart(3, '0')}`;
    return { personId: randomUUID(), userId: id, name: `Slack Tester ${i + 1}`, dm: `D${id.slice(1)}` };
  });
  await database.db.person.createMany({
    data: users.map((u, i) => ({
      id: u.personId,
      organisationId,
      name: u.name,
      email: `slack.tester${i + 1}@bench.demo.las.nhs.uk`,
      jobTitle: 'Paramedic',
      roles: [enums.Role.STAFF],
      staffGroupId: paramedic.staffGroupId,
      lineManagerId: paramedic.lineManagerId,
    })),
  });
  await database.db.platformIdentity.createMany({
    data: [
      ...users.map((u) => ({ personId: u.personId, platform: enums.Platform.SLACK, tenantId: TEAM_ID, platformUserId: u.userId })),
      { personId: admin.id, platform: enums.Platform.SLACK, tenantId: TEAM_ID, platformUserId: ADMIN_USER },
    ],
  });
  console.log(`Bench schema ${database.schema}: demo organisation + ${users.length} bench people with Slack identities (team ${TEAM_ID}).`);

  // With platform credentials the bot also needs where it is reached and the secret its links are signed with.
  const slackEnv = {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: apiUrl,
    PUBLIC_BASE_URL: 'https://bench.invalid',
    LINK_SECRET: 'bench-link-secret-0123456789abcdef0123456789',
  };
  const bare = await startChild('bare Bolt app', `${HERE}bare-bolt.ts`, { ...process.env, ...slackEnv }, { profile: true });
  cleanups.push(() => bare.stop());
  const ours = await startChild(
    'our bot',
    `${HERE}sg-bot.ts`,
    {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: logLevel,
      DATABASE_URL: database.databaseUrl,
      DATABASE_SCHEMA: database.schema,
      DATABASE_POOL_SIZE: String(poolSize),
      REDIS_URL: redisUrl,
      MIGRATE_ON_START: 'false',
      MICROSOFT_APP_ID: '',
      MICROSOFT_APP_PASSWORD: '',
      ...slackEnv,
    },
    { profile: true },
  );
  cleanups.push(() => ours.stop());
  const bareUrl = `http://127.0.0.1:${bare.port}/slack/events`;
  const oursUrl = `http://127.0.0.1:${ours.port}/slack/events`;

  // The administrator binds the triage channel first, as in a real deployment.
  await stub.mark(TRIAGE_CHANNEL);
  const bindBody = commandBody({ userId: ADMIN_USER, name: admin.name }, 'bind triage', TRIAGE_CHANNEL);
  const bind = await post(oursUrl, bindBody, signedHeaders(bindBody));
  const bindPost = ackProblem(bind) ?? (await stub.next(TRIAGE_CHANNEL));
  const bound = await database.db.triageChannel.findFirst({ where: { organisationId, platform: enums.Platform.SLACK } });
  if (typeof bindPost === 'string' || bound?.conversationId !== TRIAGE_CHANNEL) {
    console.error(`our bot's last output:\n${ours.output()}`);
    throw new Error(`binding the Slack triage channel failed (${typeof bindPost === 'string' ? bindPost : describeCall(bindPost)}; channel ${bound?.conversationId ?? 'none'})`);
  }
  console.log(`Triage channel ${TRIAGE_CHANNEL} bound by the administrator with /supervision bind triage.`);

  const results: Record<BotName, { label: string; startupRssBytes: number; phases: Partial<Record<WorkloadKey, PhaseResult>> }> = {
    bare: { label: 'bare @slack/bolt App (ExpressReceiver, listeners that only ack)', startupRssBytes: bare.startupRss, phases: {} },
    ours: { label: 'ours (createBot + listen, Slack configured)', startupRssBytes: ours.startupRss, phases: {} },
  };
  const targets: Target[] = [
    { name: 'bare', child: bare, url: bareUrl, workloads: bareWorkloads(bareUrl) },
    { name: 'ours', child: ours, url: oursUrl, workloads: oursWorkloads(oursUrl, stub) },
  ];
  // Per workload: each app's probe and warm-up, then the measured rounds, alternating the
  // apps (bare, ours; ours, bare; ...) so that whatever else the machine is doing affects
  // both alike as far as possible.
  const guarded = async (phase: Phase, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 300)); // let a dying child's exit arrive
      console.error(`\n${phase.target.child.name}'s last output:\n${phase.target.child.output() || '(none)'}`);
      const exit = phase.target.child.exit();
      throw exit ? new Error(`${phase.target.child.name} ${exit} during ${phase.workload.key}`, { cause: error }) : error;
    }
  };
  const perRound = (round: number) => Math.floor(iterations / rounds) + (round < iterations % rounds ? 1 : 0);
  for (const key of WORKLOADS) {
    const phases = targets.map((target) => new Phase(target, target.workloads.find((w) => w.key === key)!, users, stub));
    process.stdout.write(`  ${key}: probe and warm-up`);
    for (const phase of phases) await guarded(phase, () => phase.probeAndWarmUp(warmup));
    process.stdout.write(`, ${rounds} measured rounds`);
    for (let round = 0; round < rounds; round += 1) {
      for (const phase of round % 2 === 0 ? phases : [...phases].reverse()) await guarded(phase, () => phase.measure(perRound(round)));
      process.stdout.write('.');
    }
    const summaries = phases.map((phase) => {
      const result = phase.result();
      results[phase.target.name].phases[key] = result;
      return `${phase.target.name} ack p50 ${ms(result.summary.p50)} ms, p99 ${ms(result.summary.p99)} ms${result.failures ? `, ${result.failures} FAILED` : ''}`;
    });
    console.log(` ${summaries.join('; ')}`);
  }

  // After the run: the work our bot did after its acks, as the stub and the database saw it.
  const drafts = await database.db.requestDraft.groupBy({ by: ['step'], where: { personId: { in: users.map((u) => u.personId) } }, _count: true });
  const draftsAtKind = drafts.find((d) => d.step === 'kind')?._count ?? 0;
  const totals = await stub.stats();
  await Promise.all([bare.stop(), ours.stop()]);

  // Report.
  const rows: string[][] = [
    ['workload', 'bot', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '< 3 s', 'reply p50', 'reply p99', 'failed'],
  ];
  const loadRows: string[][] = [['workload', 'bot', 'acks/s', 'CPU', 'CPU ms/req', 'loop delay p50', 'loop delay max', 'peak RSS']];
  const comparison: Record<string, { p50Ratio: number; p99Ratio: number; allUnder3s: boolean; verdict: 'PASS' | 'MISS' | 'INVALID' }> = {};
  for (const key of WORKLOADS) {
    for (const name of ['bare', 'ours'] as const) {
      const phase = results[name].phases[key]!;
      const s = phase.summary;
      rows.push([
        key,
        name,
        String(s.count),
        ms(s.p50),
        ms(s.p90),
        ms(s.p99),
        ms(s.max),
        `${phase.under3sPercent}%`,
        phase.reply ? ms(phase.reply.p50) : '-',
        phase.reply ? ms(phase.reply.p99) : '-',
        String(phase.failures),
      ]);
      loadRows.push([
        key,
        name,
        String(phase.timedAcksPerSecond),
        `${phase.cpuPercent}%`,
        ms(phase.cpuMsPerRequest),
        `${ms(phase.loopDelayMs.p50)} ms`,
        `${ms(phase.loopDelayMs.max)} ms`,
        mib(phase.peakRssBytes),
      ]);
    }
    const b = results.bare.phases[key]!;
    const o = results.ours.phases[key]!;
    const p99Ratio = ratio(o.summary.p99, b.summary.p99);
    const allUnder3s = o.under3sPercent === 100 && b.under3sPercent === 100;
    comparison[key] = {
      p50Ratio: ratio(o.summary.p50, b.summary.p50),
      p99Ratio,
      allUnder3s,
      verdict: b.failures || o.failures ? 'INVALID' : p99Ratio <= TARGET_P99_RATIO && allUnder3s ? 'PASS' : 'MISS',
    };
  }
  const peak = (name: BotName) => Math.max(...WORKLOADS.map((k) => results[name].phases[k]!.peakRssBytes));

  console.log('\nSlack acknowledgement time: signed POST /slack/events to the end of its HTTP response (the ack Slack waits 3 s for)\n');
  console.log(table(rows));
  console.log('\n"reply": from the POST to the chat.postMessage it leads to reaching the stub Web API (ours; the bare app does no work).');
  console.log('\nLoad on each app during the measured rounds (CPU: per cent of one core; per timed request, its untimed preparation included; event-loop delay p50: worst round)\n');
  console.log(table(loadRows));
  console.log('');
  for (const key of WORKLOADS) console.log(`${key}: ${WORKLOAD_NOTES[key]}.`);
  console.log(`\nours / bare (target: p99 ratio <= ${TARGET_P99_RATIO}, every ack under 3 s)\n`);
  console.log(
    table([
      ['workload', '', 'p50 ratio', 'p99 ratio', 'all acks < 3 s', 'verdict'],
      ...WORKLOADS.map((k) => [k, '', `${comparison[k]!.p50Ratio}x`, `${comparison[k]!.p99Ratio}x`, comparison[k]!.allUnder3s ? 'yes' : 'NO', comparison[k]!.verdict]),
    ]),
  );
  console.log(
    `\nPeak RSS over the measured phases: bare ${mib(peak('bare'))} (at start ${mib(results.bare.startupRssBytes)}), ours ${mib(peak('ours'))} (at start ${mib(results.ours.startupRssBytes)}).`,
  );

  // Work after the ack: every timed request of ours was followed, one by one, by the
  // chat.postMessage it leads to; the counts, with the stub's own tallies of the timed rounds.
  const timed = iterations * users.length;
  const missing: string[] = [];
  const processed: Record<string, unknown> = {};
  console.log('\nOur work after the ack (each timed request\'s chat.postMessage awaited and checked):');
  for (const key of WORKLOADS) {
    const phase = results.ours.phases[key]!;
    const answered = phase.reply?.count ?? 0;
    const tally = Object.entries(phase.webApiCallsTimed).map(([method, n]) => `${n} ${method}`).join(', ') || 'no calls';
    let extra = '';
    if (key === 'block-action') {
      extra = `, including the preparation's risk cards; ${draftsAtKind}/${users.length} drafts at the kind step after the run`;
      if (draftsAtKind !== users.length) missing.push(`${key}: ${draftsAtKind}/${users.length} drafts at the kind step`);
    }
    console.log(`  ${key}: ${answered}/${timed} ${FOLLOW_UPS[key]} (stub: ${tally}${extra})`);
    if (answered < timed) missing.push(`${key}: ${answered}/${timed} ${FOLLOW_UPS[key]}`);
    processed[key] = { timedRequests: timed, followedUp: answered, webApiCallsTimed: phase.webApiCallsTimed, ...(key === 'block-action' ? { draftsAtKindStepAfterRun: draftsAtKind } : {}) };
  }
  const bareCalls = Object.values(results.bare.phases).reduce((n, p) => n + Object.values(p.webApiCallsTimed).reduce((a, b) => a + b, 0), 0);
  Object.assign(processed, { usersInfoCalls: totals.byMethod['users.info'] ?? 0, apologies: totals.sorry, bareWebApiCalls: bareCalls });
  console.log(`  users.info calls: ${totals.byMethod['users.info'] ?? 0}; apologies: ${totals.sorry}; the bare app's Web API calls: ${bareCalls}.`);
  let broken = false;
  if (missing.length) {
    console.error(`Our bot did not do all the work after its acks: ${missing.join('; ')}.`);
    broken = true;
  }
  for (const name of ['bare', 'ours'] as const) {
    for (const key of WORKLOADS) {
      const phase = results[name].phases[key]!;
      if (phase.failures) console.log(`FAILED requests, ${name} ${key}: ${phase.failureExamples.join(' | ')}`);
    }
  }

  const json = {
    benchmark: 'slack-ack',
    generatedAt: new Date().toISOString(),
    definition:
      'Acknowledgement time: from sending a signed POST /slack/events to the end of its HTTP response (an empty 200), which is what Slack waits up to 3 s for. Closed loop per Slack user, the next request once the previous one\'s chat.postMessage reached the stub Web API (ours); percentiles are exact (nearest rank). RSS sampled every 50 ms in each app process.',
    workloads: Object.fromEntries(WORKLOADS.map((k) => [k, WORKLOAD_NOTES[k]])),
    environment: environmentFacts(),
    parameters: { concurrency, warmupPerUser: warmup, iterationsPerUser: iterations, rounds, oursDatabasePoolSize: poolSize, oursLogLevel: logLevel, teamId: TEAM_ID },
    target: { p99RatioMax: TARGET_P99_RATIO, ackDeadlineMs: SLACK_ACK_DEADLINE_MS, under3sPercent: 100 },
    bots: Object.fromEntries(
      (['bare', 'ours'] as const).map((name) => [
        name,
        {
          label: results[name].label,
          startupRssBytes: results[name].startupRssBytes,
          peakRssBytes: peak(name),
          workloads: Object.fromEntries(
            WORKLOADS.map((k) => {
              const { failureExamples, ...phase } = results[name].phases[k]!;
              return [k, { ...phase, ...(failureExamples.length ? { failureExamples } : {}) }];
            }),
          ),
        },
      ]),
    ),
    comparison,
    processedAfterAck: processed,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nWrote ${RESULTS_FILE.replace(`${process.cwd()}/`, '')}.`);
  if (Object.values(comparison).some((c) => c.verdict === 'INVALID')) {
    console.error('Some timed requests failed (see above): these figures do not measure the intended requests.');
    broken = true;
  }
  return { broken };
}
