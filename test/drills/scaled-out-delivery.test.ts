// Scaled-out delivery drill (issue 23): the bot run as a trust would run it, two web processes
// (test/bench/sg-bot.ts: createBot + listen) and two worker processes (test/support/scheduler-child.ts:
// the real startScheduler), all real child processes on one PostgreSQL schema and one Redis
// prefix (so one shared rate limiter and one queue), against a stub Teams connector that enforces
// Teams' limits (test/support/teams-limit-connector.ts: 429 with Retry-After past 7 calls a second
// in a conversation or 50 in the tenant) and keeps every call it accepts.
//
// The work is fixed: person i (of N, `Drill Person i`, paramedics of the demo organisation with
// Teams identities in the demo tenant) says "Hello", answers the risk question "No", chooses
// "Quick advice now" and sends the details card (the same plain-words summary for all), each
// time pressing the button of the card the bot just sent them; then specialist i mod 2 (the demo
// organisation's two safeguarding specialists) claims the request from its card in the triage
// channel, once the card is there, and sends advice from the card the claim answered with.
// 20 people at a time; each HTTP request goes to the web processes in turn, as a load balancer
// would send it. While that runs (once a fifth of the requests are in), a burst of reminders
// falls due in the same tenant (test/support/reminder-burst.ts, queued by the same reconcile the
// sweep runs) and the workers deliver it.
//
// Afterwards (PostgreSQL polled until nothing is PENDING), what the connector received is held
// against the rows that say what should have been delivered: every stored request has exactly
// one triage card, recorded once, whose last state is the final one; every OutboundMessage row is
// SENT (CANCELLED only as a superseded card update) and reached its conversation exactly once;
// every reminder once; no conversation got anything that no row or turn explains (a duplicate);
// no apology anywhere.
//
// The second test is the same drill, smaller, with one web process SIGKILLed while requests are
// being submitted: once 15 requests are stored, at the first moment a details submission sent to
// it is stored (committed) and not yet answered (or 20 s later regardless). The person whose turn
// died with it sends it again to the other process, as Teams' user would. The workers must take
// over the rows the dead process had leased (FIRST_TRY_LEASE_MS, then their message poll), and
// every stored request must have its triage card (posted and recorded once) and its requester's
// confirmation exactly once. A message to a person that the dead process had handed to the
// connector but not yet marked SENT is delivered again by a worker: that duplicate is allowed
// (issue 23: at most one per row in flight at the crash) and counted, in the triage channel too.
//
// Figures go to the console ([scaled-out] lines), and the error kinds each process logged.
// DRILL_DUMP=<file> also writes every connector call, row and turn to <file>-main.json and
// <file>-kill.json; DRILL_LOG_LEVEL sets the processes' LOG_LEVEL (default warn). Run alone:
//   npx vitest run --config test/vitest.config.ts --maxWorkers=1 test/drills/scaled-out-delivery.test.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FIRST_TRY_LEASE_MS } from '../../src/channels/outbox.js';
import { DEMO_TENANT_ID, demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { messageJobId } from '../../src/scheduler/jobs.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { reconcileQueue } from '../../src/scheduler/reconcile.js';
import { connectionOf } from '../../src/scheduler/scheduler.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createReminderBurst, type Burst } from '../support/reminder-burst.js';
import {
  BOT_ACCOUNT,
  channelActivity,
  destroyAgent,
  errorKinds,
  invokeFields,
  messageFields,
  percentile,
  personalActivity,
  postActivity,
  ratePerSecond,
  seconds,
  startRole,
  type ChildRole,
  type HttpAnswer,
  type TeamsUser,
} from '../support/scaled-out.js';
import { cardIn, executeActions, factOf, startLimitConnector, stringsIn, type AcceptedCall, type LimitConnector } from '../support/teams-limit-connector.js';
import { eventually, waitFor } from '../support/wait.js';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const TEAMS_LIMITS = { perConversation: 7, perTenant: 50, windowMs: 1000, retryAfterSeconds: 1 };
const TRIAGE_CHANNEL = '19:drill-triage@thread.tacv2';
const AT_ONCE = 20;
/** What onTurnError posts (src/channels/teams/teams-channel.ts): must appear nowhere. */
const SORRY_MARK = 'Sorry, something went wrong';
const HELLO = 'Hello';
const SUMMARY = 'I would like advice about a family I visited on my last shift; the home seemed neglected.';
const AVAILABILITY = 'Weekday mornings';
const ADVICE = 'Record your concern and make a referral through the usual route; call the duty desk if anything changes.';
const CONFIRMATION_MARK = 'Your request has been sent';

const cleanups: Array<() => Promise<unknown>> = [];
async function runCleanups(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => console.error('[scaled-out] clean-up step failed:', error));
}
afterEach(runCleanups);
afterAll(async () => {
  await runCleanups();
  destroyAgent();
});

/** Every string a call carries (message text, card texts and data), joined. */
const textOf = (call: AcceptedCall) => stringsIn(call.body.text ?? '').concat(stringsIn(cardIn(call.body) ?? {})).join('\n');

// ---------------------------------------------------------------------------
// The drill's processes and people
// ---------------------------------------------------------------------------

interface Drill {
  database: TestDatabase;
  organisationId: string;
  connector: LimitConnector;
  redisPrefix: string;
  webs: ChildRole[];
  workers: ChildRole[];
  people: TeamsUser[];
  specialists: TeamsUser[];
  admin: TeamsUser;
  startedAt: number;
  /** Starts one more worker process (a restart after a kill), stopped by the clean-ups. */
  startWorker(name: string): Promise<ChildRole>;
}

function demoUser(key: string): TeamsUser {
  const p = demoPerson(key);
  return { personId: '', aadObjectId: p.aadObjectId, name: p.name, conversationId: `a:drill-${p.aadObjectId}` };
}

async function startDrill(options: { people: number; webs?: number; workers?: number; messagePollMs?: number }): Promise<Drill> {
  const startedAt = Date.now();
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const db = database.db;
  const { organisationId } = await seedDemoOrganisation(db);
  const paramedic = await db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson('paramedic').email } });
  const people: TeamsUser[] = Array.from({ length: options.people }, (_, i) => {
    const aadObjectId = `d1a10000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`;
    return { personId: randomUUID(), aadObjectId, name: `Drill Person ${i}`, conversationId: `a:drill-${aadObjectId}` };
  });
  await db.person.createMany({
    data: people.map((u, i) => ({
      id: u.personId,
      organisationId,
      name: u.name,
      email: `drill.person${i}@drill.demo.las.nhs.uk`,
      jobTitle: 'Paramedic',
      roles: ['STAFF' as const],
      staffGroupId: paramedic.staffGroupId,
      lineManagerId: paramedic.lineManagerId,
    })),
  });
  await db.platformIdentity.createMany({
    data: people.map((u) => ({ personId: u.personId, platform: 'TEAMS' as const, tenantId: DEMO_TENANT_ID, platformUserId: u.aadObjectId })),
  });
  const withId = async (key: string): Promise<TeamsUser> => ({
    ...demoUser(key),
    personId: (await db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson(key).email } })).id,
  });
  const specialists = [await withId('specialist'), await withId('specialist-2')];
  const admin = await withId('admin');

  const connector = await startLimitConnector(TEAMS_LIMITS);
  cleanups.push(() => connector.close());
  const redisPrefix = `drill-so-${randomBytes(4).toString('hex')}`;
  cleanups.push(async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });

  const env = {
    databaseUrl: database.databaseUrl,
    schema: database.schema,
    redisUrl: REDIS_URL,
    redisPrefix,
    connectorUrl: connector.url,
    logLevel: process.env.DRILL_LOG_LEVEL || 'warn',
    ...(options.messagePollMs ? { messagePollMs: options.messagePollMs } : {}),
  };
  const roles: Array<['web' | 'worker', string]> = [
    ...Array.from({ length: options.webs ?? 2 }, (_, i) => ['web', `web-${i + 1}`] as ['web', string]),
    ...Array.from({ length: options.workers ?? 2 }, (_, i) => ['worker', `worker-${i + 1}`] as ['worker', string]),
  ];
  const started = await Promise.allSettled(roles.map(([role, name]) => startRole(role, name, env)));
  const ready: ChildRole[] = [];
  for (const outcome of started) if (outcome.status === 'fulfilled') ready.push(outcome.value);
  // Stopped before the schema is dropped (clean-ups run in reverse).
  for (const role of ready) cleanups.push(() => role.stop());
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const webs = ready.filter((r) => r.name.startsWith('web'));
  const workers = ready.filter((r) => r.name.startsWith('worker'));
  cleanups.push(async () => {
    // What the processes logged as errors (kinds and counts; a clean run logs none).
    for (const role of ready) {
      const kinds = errorKinds(role.output());
      if (Object.keys(kinds).length > 0) console.info(`[scaled-out] ${role.name} logged errors: ${JSON.stringify(kinds)}`);
    }
  });

  const startWorker = async (name: string) => {
    const worker = await startRole('worker', name, env);
    ready.push(worker);
    workers.push(worker);
    cleanups.push(() => worker.stop());
    return worker;
  };
  return { database, organisationId, connector, redisPrefix, webs, workers, people, specialists, admin, startedAt, startWorker };
}

/** The administrator binds the triage channel, and each specialist opens their chat with the bot. */
async function prepare(drill: Drill, traffic: ReturnType<typeof createTraffic>): Promise<void> {
  const url = drill.connector.url;
  const bind = await traffic.turn(drill.admin, `${TRIAGE_CHANNEL};messageid=bind-1`, 'bind triage', channelActivity(drill.admin, url, DEMO_TENANT_ID, TRIAGE_CHANNEL, 'bind-1', messageFields('<at>SG Supervision</at> bind triage')));
  expect(bind.answer?.status).toBe(200);
  expect((await drill.database.db.triageChannel.findFirst({ where: { organisationId: drill.organisationId } }))?.conversationId).toBe(TRIAGE_CHANNEL);
  for (const specialist of drill.specialists) {
    const hello = await traffic.turn(specialist, specialist.conversationId, 'help', personalActivity(specialist, url, DEMO_TENANT_ID, messageFields('help')));
    expect(hello.answer?.status).toBe(200);
  }
}

// ---------------------------------------------------------------------------
// Traffic: people's turns through the "load balancer"
// ---------------------------------------------------------------------------

interface TurnLog {
  label: string;
  /** The conversation the turn was in (a channel thread for the specialists' actions). */
  conversationId: string;
  personId: string;
  web: string;
  /** Connector calls accepted before the turn was sent and when its answer arrived. */
  startSeq: number;
  endSeq: number;
  /** Wall time the turn was first sent. */
  sentAt: number;
  answer?: HttpAnswer;
  /** The turn's own replies: POSTs into its conversation while it ran. */
  replies: AcceptedCall[];
  /** Earlier tries that failed on the connection (a killed process). */
  failedTries: Array<{ web: string; error: string }>;
  error?: string;
}

function createTraffic(drill: Drill) {
  const turns: TurnLog[] = [];
  let next = 0;
  const alive = () => drill.webs.filter((w) => w.alive());
  /** Called when a try is sent (the kill test watches details submissions). */
  let onSend: (turn: TurnLog, web: ChildRole) => void = () => {};

  async function turn(user: TeamsUser, conversationId: string, label: string, activity: Record<string, unknown>): Promise<TurnLog> {
    const log: TurnLog = { label, conversationId, personId: user.personId, web: '', startSeq: drill.connector.calls.length, endSeq: 0, sentAt: Date.now(), replies: [], failedTries: [] };
    turns.push(log);
    const tried = new Set<string>();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const candidates = alive().filter((w) => !tried.has(w.name));
      const web = candidates.length > 0 ? candidates[next++ % candidates.length]! : alive()[0];
      if (!web) break;
      log.web = web.name;
      onSend(log, web);
      try {
        log.answer = await postActivity(web.port, { ...activity, id: `${String(activity.id)}-${attempt}` });
        break;
      } catch (error) {
        // The process died under the request (or refused the connection): the load balancer sends it elsewhere.
        log.failedTries.push({ web: web.name, error: (error as Error).message });
        tried.add(web.name);
      }
    }
    if (!log.answer) log.error = `no web process answered: ${JSON.stringify(log.failedTries)}`;
    log.endSeq = drill.connector.calls.length;
    log.replies = drill.connector.calls.slice(log.startSeq, log.endSeq).filter((c) => c.method === 'POST' && c.conversationId === conversationId);
    return log;
  }

  return {
    turns,
    turn,
    setOnSend(listener: typeof onSend) {
      onSend = listener;
    },
  };
}

/** The invoke answer's card, if the turn was answered with one. */
function invokeCard(log: TurnLog): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(log.answer?.text ?? '') as { type?: string; value?: unknown };
    return body.type === 'application/vnd.microsoft.card.adaptive' ? (body.value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wall-time limits inside the test's timeout, so that a slow run still ends with its figures and
 * its list of problems rather than a bare timeout: waits for triage cards stop at `journeysEnd`,
 * the wait for the last deliveries at `drainEnd`.
 */
interface Budget {
  journeysEnd: number;
  drainEnd: number;
}
const TEST_TIMEOUT_MS = 300_000;
function budgetFrom(start: number): Budget {
  return { journeysEnd: start + TEST_TIMEOUT_MS - 100_000, drainEnd: start + TEST_TIMEOUT_MS - 25_000 };
}

interface JourneyOutcome {
  index: number;
  requestId?: string;
  /** Turns where the card the person should have pressed was not in the bot's reply (the fixed action was used instead). */
  fallbacks: string[];
  problems: string[];
}

/**
 * One person's request and its handling by a specialist. Each step presses the button of the
 * card the bot answered the previous step with; if that card never came (a turn that died with
 * its process), the person presses the button as the card would have had it.
 */
async function journey(
  drill: Drill,
  traffic: ReturnType<typeof createTraffic>,
  index: number,
  triagePosts: Map<string, AcceptedCall>,
  waitForCardMs: number,
  budget: Budget,
  beforeClaim: (index: number) => Promise<void> = async () => {},
): Promise<JourneyOutcome> {
  const user = drill.people[index]!;
  const outcome: JourneyOutcome = { index, fallbacks: [], problems: [] };
  const serviceUrl = drill.connector.url;
  const personal = (fields: Record<string, unknown>) => personalActivity(user, serviceUrl, DEMO_TENANT_ID, fields);
  const press = (log: TurnLog, verb: string, match: (data: Record<string, unknown>) => boolean, fixed: Record<string, unknown>) => {
    for (const reply of log.replies) {
      const action = executeActions(cardIn(reply.body)).find((a) => a.verb === verb && match(a.data));
      if (action) return action.data;
    }
    outcome.fallbacks.push(`${log.label} (no ${verb} card in its replies)`);
    return fixed;
  };

  const hello = await traffic.turn(user, user.conversationId, 'hello', personal(messageFields(HELLO)));
  const riskData = press(hello, 'intake.risk', (d) => d.answer === 'no', { answer: 'no' });
  const risk = await traffic.turn(user, user.conversationId, 'intake.risk', personal(invokeFields('intake.risk', riskData)));
  const kindData = press(risk, 'intake.kind', (d) => d.helpType === 'ADVICE', { helpType: 'ADVICE' });
  const kind = await traffic.turn(user, user.conversationId, 'intake.kind', personal(invokeFields('intake.kind', kindData)));
  const detailsData = press(kind, 'intake.details', (d) => d.acknowledged === 'no', { acknowledged: 'no' });
  await traffic.turn(user, user.conversationId, 'intake.details', personal(invokeFields('intake.details', { ...detailsData, summary: SUMMARY, availability: AVAILABILITY })));

  // A turn past its budget (TURN_BUDGET_MS, a loaded machine) is answered before its work is done,
  // and what it says follows in the chat: the request is awaited, not looked for once.
  const storedRequest = () => drill.database.db.supervisionRequest.findFirst({ where: { requesterId: user.personId } });
  await waitFor(async () => (await storedRequest()) !== null, Math.max(0, Math.min(waitForCardMs, budget.journeysEnd - Date.now())), 100);
  const request = await storedRequest();
  if (!request) {
    outcome.problems.push(`person ${index}: no request stored after the details were sent`);
    return outcome;
  }
  outcome.requestId = request.id;

  // The specialist claims it from its card in the triage channel, once it is there.
  const appeared = await waitFor(() => triagePosts.has(request.id), Math.max(0, Math.min(waitForCardMs, budget.journeysEnd - Date.now())), 50);
  const post = triagePosts.get(request.id);
  if (!appeared || !post) {
    outcome.problems.push(`${request.reference}: no triage card within ${seconds(waitForCardMs)} of the request`);
    return outcome;
  }
  await beforeClaim(index);
  const specialist = drill.specialists[index % drill.specialists.length]!;
  const inThread = (fields: Record<string, unknown>) => channelActivity(specialist, serviceUrl, DEMO_TENANT_ID, TRIAGE_CHANNEL, post.activityId, fields);
  const claimData = executeActions(cardIn(post.body)).find((a) => a.verb === 'request.claim')?.data;
  if (!claimData) {
    outcome.problems.push(`${request.reference}: the triage card has no Claim button`);
    return outcome;
  }
  const claim = await traffic.turn(specialist, `${TRIAGE_CHANNEL};messageid=${post.activityId}`, 'request.claim', inThread(invokeFields('request.claim', claimData)));
  let adviseData = executeActions(invokeCard(claim)).find((a) => a.verb === 'request.advise')?.data;
  if (!adviseData) {
    outcome.fallbacks.push('request.claim (no Give advice form on the card it answered with)');
    const current = await drill.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    adviseData = { requestId: request.id, version: String(current.version) };
  }
  await traffic.turn(specialist, `${TRIAGE_CHANNEL};messageid=${post.activityId}`, 'request.advise', inThread(invokeFields('request.advise', { ...adviseData, advice: ADVICE })));
  return outcome;
}

/** Runs the journeys of the first `options.people` (default all), `options.atOnce` (default `AT_ONCE`) at a time. */
async function runJourneys(
  drill: Drill,
  traffic: ReturnType<typeof createTraffic>,
  waitForCardMs: number,
  budget: Budget,
  options: { people?: number; atOnce?: number; beforeClaim?: (index: number) => Promise<void> } = {},
): Promise<JourneyOutcome[]> {
  const people = options.people ?? drill.people.length;
  // Triage posts by request id, as the connector accepts them (the card's buttons carry the id).
  const triagePosts = new Map<string, AcceptedCall>();
  const index = (call: AcceptedCall) => {
    if (call.method !== 'POST' || call.conversationId !== TRIAGE_CHANNEL) return;
    const requestId = executeActions(cardIn(call.body)).map((a) => a.data.requestId).find((id) => typeof id === 'string');
    if (typeof requestId === 'string' && !triagePosts.has(requestId)) triagePosts.set(requestId, call);
  };
  drill.connector.calls.forEach(index);
  drill.connector.onCall(index);
  const outcomes: JourneyOutcome[] = [];
  let nextPerson = 0;
  await Promise.all(
    Array.from({ length: options.atOnce ?? AT_ONCE }, async () => {
      while (nextPerson < people) {
        const i = nextPerson++;
        outcomes.push(await journey(drill, traffic, i, triagePosts, waitForCardMs, budget, options.beforeClaim));
      }
    }),
  );
  return outcomes.sort((a, b) => a.index - b.index);
}

/** The reminder burst, due now in the same tenant, queued as the sweep would queue it. */
async function dueBurst(drill: Drill, count: number): Promise<{ burst: Burst; dueAt: number }> {
  const burst = await createReminderBurst(drill.database.db, {
    count,
    serviceUrl: drill.connector.url,
    sendAt: new Date(Date.now() - 1000),
    tenantId: DEMO_TENANT_ID,
    botId: BOT_ACCOUNT.id,
  });
  const queue = createReminderQueue({ connection: connectionOf(REDIS_URL), prefix: drill.redisPrefix });
  try {
    await reconcileQueue(drill.database.db, queue, { now: new Date(), horizonMs: 0 });
  } finally {
    await queue.close();
  }
  return { burst, dueAt: Date.now() };
}

// ---------------------------------------------------------------------------
// The accounting
// ---------------------------------------------------------------------------

interface Accounting {
  problems: string[];
  /** Calls into personal chats or the triage channel that no row and no turn explains, and the crash duplicates. */
  orphans: AcceptedCall[];
  /** The copies of a row's message accepted before a crash whose SENT mark it never wrote. */
  crashDuplicates: AcceptedCall[];
  figures: Record<string, unknown>;
}

async function account(
  drill: Drill,
  traffic: ReturnType<typeof createTraffic>,
  burst: Burst,
  expectedClaimer: (requestId: string) => TeamsUser | undefined,
  /** When the burst's reminders fell due. */
  burstDueAt: number,
  /**
   * A web process was killed (its exit seen) at this time: a row it had sent and not yet marked
   * SENT is sent again by a worker once its lease ends.
   */
  killedAt?: number,
  /** Requests that end with a booked session instead of advice (their own messages are checked by the test). */
  booked: ReadonlySet<string> = new Set(),
): Promise<Accounting> {
  const db = drill.database.db;
  const calls = drill.connector.calls;
  const problems: string[] = [];
  const requests = await db.supervisionRequest.findMany({ where: { organisationId: drill.organisationId }, include: { claimedBy: true, requester: true } });
  const posted = await db.postedCard.findMany({ where: { subjectType: 'request', purpose: 'triage' } });
  const rows = await db.outboundMessage.findMany({ orderBy: { seq: 'asc' } });
  const reminders = await db.reminder.findMany();
  const references = await db.conversationReference.findMany({ where: { kind: 'PERSONAL' } });
  const conversationOfPerson = new Map(references.filter((r) => r.personId).map((r) => [r.personId!, r.conversationId]));
  const byActivity = new Map<string, AcceptedCall>();
  for (const call of calls) if (call.method === 'POST') byActivity.set(call.activityId, call);
  const postsIn = (conversationId: string) => calls.filter((c) => c.method === 'POST' && c.conversationId === conversationId);

  // Rows: every one SENT, or CANCELLED as a superseded card update; none FAILED or PENDING.
  const byKindStatus: Record<string, number> = {};
  for (const row of rows) {
    const key = `${row.kind} ${row.status}${row.status === 'CANCELLED' ? ` (${row.lastError})` : ''}`;
    byKindStatus[key] = (byKindStatus[key] ?? 0) + 1;
    const fine = row.status === 'SENT' || (row.status === 'CANCELLED' && row.kind === 'triage-update' && row.lastError === 'superseded');
    if (!fine) {
      problems.push(
        `OutboundMessage ${row.id} (${row.kind}${row.personId ? ` to ${row.personId}` : ''}${row.requestId ? ` request ${row.requestId}` : ''}) is ${row.status} after ${row.attempts} tries: ${row.lastError ?? 'no error'}; next try ${row.nextAttemptAt.toISOString()}`,
      );
    }
  }

  // Each delivered row (and reminder) reached its own conversation, and exactly one POST is it.
  const claimed = new Map<string, string>();
  const claim = (activityId: string | null, what: string, conversationId: string | undefined) => {
    if (!activityId) return problems.push(`${what} is SENT without a platform message id`);
    const call = byActivity.get(activityId);
    if (!call) return problems.push(`${what} is SENT as ${activityId}, which the connector never accepted`);
    if (conversationId && call.conversationId !== conversationId) problems.push(`${what} was delivered into ${call.conversationId}, not ${conversationId}`);
    const earlier = claimed.get(activityId);
    if (earlier) problems.push(`${what} and ${earlier} both claim activity ${activityId}`);
    claimed.set(activityId, what);
  };
  for (const row of rows) {
    if (row.status !== 'SENT') continue;
    if (row.kind === 'person') claim(row.platformMessageId, `person message ${row.id}`, row.conversationId ?? conversationOfPerson.get(row.personId ?? ''));
    if (row.kind === 'triage-post') claim(row.platformMessageId, `triage post ${row.id} (request ${row.requestId})`, row.conversationId ?? TRIAGE_CHANNEL);
  }
  const burstIds = new Set(burst.reminderIds);
  const reminderStatus: Record<string, number> = {};
  for (const reminder of reminders) {
    if (burstIds.has(reminder.id)) reminderStatus[reminder.status] = (reminderStatus[reminder.status] ?? 0) + 1;
    if (reminder.status === 'SENT') claim(reminder.platformMessageId, `reminder ${reminder.id}`, conversationOfPerson.get(reminder.recipientId ?? ''));
    else if (burstIds.has(reminder.id)) problems.push(`burst reminder ${reminder.id} is ${reminder.status}: ${reminder.lastError ?? 'no error'}`);
  }
  const missingReminders = burst.reminderIds.filter((id) => !reminders.some((r) => r.id === id));
  if (missingReminders.length > 0) problems.push(`${missingReminders.length} burst reminders are not stored`);

  // Anything else posted into a personal chat or the triage channel must be a reply of a turn in that conversation.
  const inTurn = (call: AcceptedCall) => traffic.turns.some((t) => t.conversationId === call.conversationId && call.seq > t.startSeq && call.seq <= t.endSeq);
  const watched = new Set<string>([TRIAGE_CHANNEL, ...conversationOfPerson.values()]);
  const unrecorded = calls.filter((c) => c.method === 'POST' && watched.has(c.conversationId) && !claimed.has(c.activityId));
  // A message accepted before the kill and sent again afterwards for the same row is the duplicate
  // the issue allows (one per row in flight at the crash): the platform took it while the dying
  // process had not yet recorded it, and nothing on the platform's side can tell a retry from a
  // new message. A card recorded before the crash is never posted again (message-delivery.ts).
  // What the dead process had already written to the connector's socket is accepted a moment
  // after its exit: hence the second of grace. It may fall inside a turn's window: the turn that
  // died with the process is retried on the other one, and its window spans both tries.
  const sentByTheDead = (c: AcceptedCall) => killedAt !== undefined && c.at <= killedAt + 1_000;
  const crashDuplicates = unrecorded.filter(
    (c) =>
      killedAt !== undefined &&
      sentByTheDead(c) &&
      calls.some((d) => d.method === 'POST' && d.at > killedAt && d.conversationId === c.conversationId && claimed.has(d.activityId) && textOf(d) === textOf(c)),
  );
  const orphans = unrecorded.filter((c) => !inTurn(c) || crashDuplicates.includes(c));
  for (const orphan of orphans) {
    if (crashDuplicates.includes(orphan)) continue;
    problems.push(`unexplained POST #${orphan.seq} (${orphan.activityId}) into ${orphan.conversationId}: ${textOf(orphan).slice(0, 160).replace(/\n/g, ' | ')}`);
  }

  // Per request: one triage card, posted once and recorded once, last state final; the requester's
  // confirmation, claim notice and advice, and the claimer's confidential details, once each.
  const adviceBeforeClaimNotice: string[] = [];
  const lastStateOf = new Map<string, AcceptedCall>();
  for (const call of calls) if (call.conversationId === TRIAGE_CHANNEL) lastStateOf.set(call.activityId, call);
  const triagePosts = postsIn(TRIAGE_CHANNEL);
  for (const request of requests) {
    const ref = request.reference;
    const cards = posted.filter((p) => p.subjectId === request.id);
    const posts = triagePosts.filter((c) => !crashDuplicates.includes(c) && executeActions(cardIn(c.body)).some((a) => a.data.requestId === request.id));
    if (cards.length !== 1 || posts.length !== 1) {
      problems.push(`${ref}: ${cards.length} triage cards recorded (PostedCard) and ${posts.length} posted to the triage channel (${posts.map((p) => p.activityId).join(', ')}), expected 1 and 1`);
    }
    const card = cards[0];
    if (card && posts.length === 1 && posts[0]!.activityId !== card.messageId) problems.push(`${ref}: the recorded triage card ${card.messageId} is not the one posted (${posts[0]!.activityId})`);
    const claimer = expectedClaimer(request.id);
    const isBooked = booked.has(request.id);
    const finalStatus = isBooked ? 'BOOKED' : 'ADVICE_GIVEN';
    if (request.status !== finalStatus || (claimer && request.claimedById !== claimer.personId)) {
      problems.push(`${ref}: stored as ${request.status}, claimed by ${request.claimedBy?.name ?? 'nobody'} (expected ${finalStatus}, claimed by ${claimer?.name ?? '?'})`);
    }
    const last = card ? lastStateOf.get(card.messageId) : undefined;
    if (card && last) {
      const shown = cardIn(last.body);
      const state = { status: factOf(shown, 'Status'), claimedBy: factOf(shown, 'Claimed by'), version: String(executeActions(shown).find((a) => a.data.requestId === request.id)?.data.version) };
      const wanted = { status: isBooked ? 'Session booked' : 'Advice given', claimedBy: request.claimedBy?.name ?? 'Unclaimed', version: String(request.version) };
      if (JSON.stringify(state) !== JSON.stringify(wanted)) {
        problems.push(`${ref}: the triage card's last state (${last.method} #${last.seq}) is ${JSON.stringify(state)}, expected ${JSON.stringify(wanted)}`);
      }
    }
    if (isBooked) continue;
    const requesterChat = conversationOfPerson.get(request.requesterId);
    // A crash duplicate is counted above (bounded by the rows in flight), not as a second message here.
    const toRequester = requesterChat ? postsIn(requesterChat).filter((c) => !crashDuplicates.includes(c)) : [];
    const confirmations = toRequester.filter((c) => textOf(c).includes(CONFIRMATION_MARK) && textOf(c).includes(ref));
    const advice = toRequester.filter((c) => textOf(c).includes(ADVICE) && textOf(c).includes(ref));
    const claimerName = request.claimedBy?.name ?? '\u0000';
    const claimNotices = toRequester.filter((c) => textOf(c).includes(ref) && textOf(c).includes(claimerName) && !textOf(c).includes(ADVICE));
    const claimerChat = request.claimedById ? conversationOfPerson.get(request.claimedById) : undefined;
    const details = claimerChat ? postsIn(claimerChat).filter((c) => !crashDuplicates.includes(c) && textOf(c).includes(ref) && textOf(c).includes(SUMMARY)) : [];
    // One person's messages arrive in the order they were written (message-delivery.ts).
    if (advice.length === 1 && claimNotices.length === 1 && advice[0]!.seq < claimNotices[0]!.seq) {
      adviceBeforeClaimNotice.push(ref);
      problems.push(`${ref}: the requester got the advice before the notice that their request was picked up`);
    }
    const counts = { confirmation: confirmations.length, claimNotice: claimNotices.length, advice: advice.length, detailsToClaimer: details.length };
    if (Object.values(counts).some((n) => n !== 1)) problems.push(`${ref} (requester ${request.requester.name}): received ${JSON.stringify(counts)}, expected 1 of each`);
  }

  // Apologies: in anything the connector was sent (accepted or throttled), or in an invoke answer.
  const apologies = calls.filter((c) => textOf(c).includes(SORRY_MARK));
  const throttledApologies = drill.connector.throttled.filter((t) => JSON.stringify(t.body).includes(SORRY_MARK));
  const answeredSorry = traffic.turns.filter((t) => t.answer?.text.includes(SORRY_MARK));
  for (const call of apologies) problems.push(`apology POST #${call.seq} into ${call.conversationId}`);
  if (throttledApologies.length > 0) problems.push(`${throttledApologies.length} apologies were sent and throttled`);
  for (const t of answeredSorry) problems.push(`apology in the answer to ${t.label} by ${t.personId}`);
  // In an outage the apology for a failed turn is tried (and refused) in that person's own chat; never in the channel.
  const refusedApologies = drill.connector.refused.filter((t) => JSON.stringify(t.body).includes(SORRY_MARK));
  for (const t of refusedApologies.filter((r) => r.conversationId.startsWith(TRIAGE_CHANNEL))) problems.push(`apology tried in the triage channel (${t.conversationId})`);

  const throttledBy: Record<string, number> = {};
  const classOf = (conversationId: string) =>
    conversationId.startsWith(TRIAGE_CHANNEL) ? 'triage' : burst.byConversation.has(conversationId) ? 'reminder' : drill.specialists.some((s) => conversationOfPerson.get(s.personId) === conversationId) ? 'specialist' : 'requester';
  for (const t of drill.connector.throttled) {
    const key = `${classOf(t.conversationId)} ${t.method} (${t.over})`;
    throttledBy[key] = (throttledBy[key] ?? 0) + 1;
  }
  const acceptedBy: Record<string, number> = {};
  for (const c of calls) acceptedBy[`${classOf(c.conversationId)} ${c.method}`] = (acceptedBy[`${classOf(c.conversationId)} ${c.method}`] ?? 0) + 1;
  const reminderCalls = calls.filter((c) => burst.byConversation.has(c.conversationId));
  // How long a new request waited for its card in the triage channel.
  const cardWaits = requests.flatMap((r) => {
    const post = triagePosts.find((c) => executeActions(cardIn(c.body)).some((a) => a.data.requestId === r.id));
    return post ? [post.at - r.createdAt.getTime()] : [];
  });
  const latency = (kind: string) => {
    const ms = rows.filter((r) => r.kind === kind && r.sentAt).map((r) => r.sentAt!.getTime() - r.createdAt.getTime());
    return `p50 ${seconds(percentile(ms, 50))}, p99 ${seconds(percentile(ms, 99))}, max ${seconds(percentile(ms, 100))}`;
  };
  return {
    problems,
    orphans,
    crashDuplicates,
    figures: {
      requests: requests.length,
      triageCardsRecorded: posted.length,
      triagePosts: triagePosts.length,
      rows: byKindStatus,
      burstReminders: reminderStatus,
      accepted: acceptedBy,
      throttled: drill.connector.throttled.length,
      throttledBy,
      triageCardWait: { p50: seconds(percentile(cardWaits, 50)), p99: seconds(percentile(cardWaits, 99)), max: seconds(percentile(cardWaits, 100)) },
      rowWrittenToSent: { 'triage-post': latency('triage-post'), 'triage-update': latency('triage-update'), person: latency('person') },
      firstReminderAfterDue: reminderCalls.length > 0 ? seconds(reminderCalls[0]!.at - burstDueAt) : 'none',
      reminderRatePerSecond: ratePerSecond(reminderCalls),
      reminderDrain: reminderCalls.length > 0 ? seconds(reminderCalls[reminderCalls.length - 1]!.at - reminderCalls[0]!.at) : 'none',
      apologies: apologies.length + throttledApologies.length + answeredSorry.length,
      adviceBeforeClaimNotice: adviceBeforeClaimNotice.length,
      refusedInOutage: drill.connector.refused.length,
      apologiesTriedInOwnChatInOutage: refusedApologies.length,
      unexpectedConnectorRequests: drill.connector.unexpected.length,
    },
  };
}

function turnFigures(traffic: ReturnType<typeof createTraffic>) {
  const answered = traffic.turns.filter((t) => t.answer);
  const ms = answered.map((t) => t.answer!.ms);
  return {
    turns: traffic.turns.length,
    p50: `${Math.round(percentile(ms, 50))} ms`,
    p99: `${Math.round(percentile(ms, 99))} ms`,
    max: `${Math.round(percentile(ms, 100))} ms`,
    non200: answered.filter((t) => t.answer!.status !== 200).length,
    retried: traffic.turns.filter((t) => t.failedTries.length > 0).length,
    unanswered: traffic.turns.filter((t) => !t.answer).length,
  };
}

/**
 * Diagnostics only (never asserted): how far ahead of Redis's clock the shared limiter has handed
 * out the tenant's next slot (t) and its deferrals (b), sampled every 250 ms (rate-limit.ts keeps
 * them in the hash `<prefix>:rate:teams:app:<bot>:tenant:<tenant>`).
 */
function sampleTenantLead(drill: Drill) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const key = `${drill.redisPrefix}:rate:teams:app:${BOT_ACCOUNT.id}:tenant:${DEMO_TENANT_ID}`;
  const leads = { t: [] as number[], b: [] as number[] };
  const timer = setInterval(() => {
    void Promise.all([redis.hmget(key, 't', 'b'), redis.time()])
      .then(([[t, b], [sec, micro]]) => {
        const now = Number(sec) * 1000 + Number(micro) / 1000;
        leads.t.push(Math.max(0, Number(t ?? 0) - now));
        leads.b.push(Math.max(0, Number(b ?? 0) - now));
      })
      .catch(() => undefined);
  }, 250);
  cleanups.push(async () => {
    clearInterval(timer);
    redis.disconnect();
  });
  const summary = (ms: number[]) => `p50 ${seconds(percentile(ms, 50))}, max ${seconds(percentile(ms, 100))}`;
  return () => ({ slot: summary(leads.t), deferrals: summary(leads.b) });
}

/** All the problems on the console (the assertion shows the first 60). */
function reportProblems(problems: readonly string[]): void {
  if (problems.length > 0) console.info(`[scaled-out] ${problems.length} problems:\n  ${problems.join('\n  ')}`);
}

/** The rows still PENDING (and burst reminders), described for a timeout. */
async function pendingWork(drill: Drill, burst: Burst) {
  const db = drill.database.db;
  const [rows, reminders] = await Promise.all([
    db.outboundMessage.count({ where: { status: 'PENDING' } }),
    db.reminder.count({ where: { id: { in: burst.reminderIds }, status: 'PENDING' } }),
  ]);
  return { rows, reminders };
}

/** With DRILL_DUMP=<file>: what the connector accepted and refused, the rows and the turns, for a closer look. */
async function dumpIfAsked(drill: Drill, traffic: ReturnType<typeof createTraffic>, name: string, extra: unknown = {}): Promise<void> {
  const file = process.env.DRILL_DUMP;
  if (!file) return;
  const db = drill.database.db;
  const summary = (call: { body: Record<string, unknown> }) => {
    const card = cardIn(call.body);
    return {
      requestId: executeActions(card).map((a) => a.data.requestId).find((id) => typeof id === 'string'),
      status: card ? factOf(card, 'Status') : undefined,
      text: (card ? stringsIn(card) : stringsIn(call.body.text ?? '')).join(' | ').slice(0, 200),
    };
  };
  const data = {
    name,
    calls: drill.connector.calls.map((c) => ({ seq: c.seq, at: c.at, method: c.method, conversationId: c.conversationId, activityId: c.activityId, ...summary(c) })),
    throttled: drill.connector.throttled.map((t) => ({ at: t.at, method: t.method, conversationId: t.conversationId, over: t.over, ...summary(t) })),
    rows: (await db.outboundMessage.findMany({ orderBy: { seq: 'asc' } })).map((r) => ({ ...r, seq: Number(r.seq), message: undefined })),
    requests: await db.supervisionRequest.findMany({ where: { organisationId: drill.organisationId }, select: { id: true, reference: true, requesterId: true, createdAt: true, status: true, version: true } }),
    turns: traffic.turns.map((t) => ({ ...t, replies: t.replies.map((r) => r.seq), answer: t.answer && { status: t.answer.status, ms: Math.round(t.answer.ms), text: t.answer.text.slice(0, 300) } })),
    processes: Object.fromEntries([...drill.webs, ...drill.workers].map((r) => [r.name, errorKinds(r.output())])),
    extra,
  };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file.replace(/(\.json)?$/, `-${name}.json`), JSON.stringify(data));
}

// ---------------------------------------------------------------------------
// The drills
// ---------------------------------------------------------------------------

describe('scaled-out delivery: two web and two worker processes, Teams limits enforced', () => {
  it('200 people, 20 at a time, through request, claim and advice during a burst of 1,000 reminders: every card once and final, every message once, no apology', async () => {
    const PEOPLE = 200;
    const REMINDERS = 1000;
    const budget = budgetFrom(Date.now());
    const drill = await startDrill({ people: PEOPLE });
    const traffic = createTraffic(drill);
    await prepare(drill, traffic);
    const tenantLead = sampleTenantLead(drill);
    const ready = Date.now();
    const claimers = new Map<string, TeamsUser>();

    // The burst falls due once a fifth of the requests are in, while the rest are being made.
    let burstDue: Promise<{ burst: Burst; dueAt: number }> | undefined;
    const watcher = setInterval(() => {
      const submitted = traffic.turns.filter((t) => t.label === 'intake.details' && t.answer).length;
      if (!burstDue && submitted >= PEOPLE / 5) burstDue = dueBurst(drill, REMINDERS);
    }, 50);
    let outcomes: JourneyOutcome[];
    try {
      outcomes = await runJourneys(drill, traffic, 150_000, budget);
    } finally {
      clearInterval(watcher);
    }
    burstDue ??= dueBurst(drill, REMINDERS);
    const { burst, dueAt } = await burstDue;
    const journeysDone = Date.now();
    for (const o of outcomes) if (o.requestId) claimers.set(o.requestId, drill.specialists[o.index % drill.specialists.length]!);

    const drained = await waitFor(async () => {
      const left = await pendingWork(drill, burst);
      return left.rows === 0 && left.reminders === 0;
    }, Math.min(120_000, budget.drainEnd - Date.now()), 250);
    const drainedAt = Date.now();
    const result = await account(drill, traffic, burst, (id) => claimers.get(id), dueAt);
    await dumpIfAsked(drill, traffic, 'main');
    console.info(
      `[scaled-out] ${PEOPLE} people, ${AT_ONCE} at a time, ${REMINDERS} reminders: ${JSON.stringify({
        ...result.figures,
        turns: turnFigures(traffic),
        durations: {
          setUp: seconds(ready - drill.startedAt),
          journeys: seconds(journeysDone - ready),
          burstDueAfter: seconds(dueAt - ready),
          drainAfterJourneys: seconds(drainedAt - journeysDone),
          total: seconds(drainedAt - drill.startedAt),
        },
        duplicates: result.orphans.length,
        tenantLimiterLead: tenantLead(),
      })}`,
    );

    const problems = [
      ...(drained ? [] : [`still pending at the end of the wait: ${JSON.stringify(await pendingWork(drill, burst))}`]),
      ...outcomes.flatMap((o) => o.problems),
      ...outcomes.flatMap((o) => o.fallbacks.map((f) => `person ${o.index}: ${f}`)),
      // Every turn answered at the first try, with 200.
      ...traffic.turns.filter((t) => !t.answer || t.answer.status !== 200 || t.failedTries.length > 0).map((t) => `turn ${t.label} by ${t.personId}: ${t.error ?? t.answer?.status}`),
      ...(result.figures.requests === PEOPLE ? [] : [`${String(result.figures.requests)} requests stored, expected ${PEOPLE}`]),
      ...result.problems,
      ...drill.connector.unexpected.map((u) => `unexpected connector request ${u.method} ${u.url}`),
    ];
    reportProblems(problems);
    expect(problems.slice(0, 60), `${problems.length} problems`).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('one web process SIGKILLed just after it stored a request: after recovery every stored request has its triage card and its confirmation exactly once', async () => {
    const PEOPLE = 60;
    const REMINDERS = 300;
    const KILL_AFTER = 15; // requests stored before the kill is armed
    const budget = budgetFrom(Date.now());
    const drill = await startDrill({ people: PEOPLE });
    const traffic = createTraffic(drill);
    await prepare(drill, traffic);
    const tenantLead = sampleTenantLead(drill);
    const ready = Date.now();
    const victim = drill.webs[0]!;
    const db = drill.database.db;

    // The kill: once KILL_AFTER requests are stored, at the first moment a details submission
    // sent to the victim is stored (committed) and not yet answered.
    const detailsOnVictim = new Map<string, TurnLog>();
    traffic.setOnSend((log, web) => {
      if (log.label === 'intake.details' && web === victim) detailsOnVictim.set(log.personId, log);
    });
    let kill: { at: number; stored: number; caught: string[]; leasedRows: number; pendingRows: number } | undefined;
    let armedAt: number | undefined;
    let checking = false;
    const watcher = setInterval(() => {
      if (kill || checking) return;
      checking = true;
      void (async () => {
        const stored = await db.supervisionRequest.count({ where: { organisationId: drill.organisationId } });
        if (stored < KILL_AFTER) return;
        armedAt ??= Date.now();
        const waiting = [...detailsOnVictim.values()].filter((t) => !t.answer && t.failedTries.length === 0);
        const caught = waiting.length ? await db.supervisionRequest.findMany({ where: { requesterId: { in: waiting.map((t) => t.personId) } }, select: { reference: true } }) : [];
        if (caught.length === 0 && Date.now() - armedAt < 20_000) return;
        await victim.kill();
        const now = new Date();
        kill = {
          at: now.getTime(),
          stored: await db.supervisionRequest.count({ where: { organisationId: drill.organisationId } }),
          caught: caught.map((c) => c.reference),
          leasedRows: await db.outboundMessage.count({ where: { status: 'PENDING', nextAttemptAt: { gt: now } } }),
          pendingRows: await db.outboundMessage.count({ where: { status: 'PENDING' } }),
        };
      })()
        .catch((error: unknown) => console.error('[scaled-out] kill watcher:', error))
        .finally(() => {
          checking = false;
        });
    }, 10);

    let burstDue: Promise<{ burst: Burst; dueAt: number }> | undefined;
    const burstWatcher = setInterval(() => {
      const submitted = traffic.turns.filter((t) => t.label === 'intake.details' && t.answer).length;
      if (!burstDue && submitted >= PEOPLE / 5) burstDue = dueBurst(drill, REMINDERS);
    }, 50);
    let outcomes: JourneyOutcome[];
    try {
      // A card the dead process had leased appears after its lease and the workers' next poll.
      outcomes = await runJourneys(drill, traffic, FIRST_TRY_LEASE_MS + 60_000, budget);
    } finally {
      clearInterval(watcher);
      clearInterval(burstWatcher);
    }
    burstDue ??= dueBurst(drill, REMINDERS);
    const { burst, dueAt } = await burstDue;
    const journeysDone = Date.now();

    const claimers = new Map<string, TeamsUser>();
    for (const o of outcomes) if (o.requestId) claimers.set(o.requestId, drill.specialists[o.index % drill.specialists.length]!);
    const drained = await waitFor(async () => {
      const left = await pendingWork(drill, burst);
      return left.rows === 0 && left.reminders === 0;
    }, Math.min(FIRST_TRY_LEASE_MS + 90_000, budget.drainEnd - Date.now()), 250);
    const drainedAt = Date.now();
    const result = await account(drill, traffic, burst, (id) => claimers.get(id), dueAt, kill?.at);
    await dumpIfAsked(drill, traffic, 'kill', { kill });
    const diedWith = traffic.turns.filter((t) => t.failedTries.length > 0);
    console.info(
      `[scaled-out] SIGKILL of ${victim.name}: ${PEOPLE} people, ${REMINDERS} reminders: ${JSON.stringify({
        kill: kill && { afterSetUp: seconds(kill.at - ready), storedAtKill: kill.stored, storedUnansweredAtKill: kill.caught, leasedRowsAtKill: kill.leasedRows, pendingRowsAtKill: kill.pendingRows },
        turnsThatDiedWithIt: diedWith.map((t) => `${t.label}: ${t.answer ? `retried on ${t.web}, ${t.answer.status} ${t.answer.text.slice(0, 120)}` : 'unanswered'}`),
        ...result.figures,
        turns: turnFigures(traffic),
        durations: { setUp: seconds(ready - drill.startedAt), journeys: seconds(journeysDone - ready), drainAfterJourneys: seconds(drainedAt - journeysDone), total: seconds(drainedAt - drill.startedAt) },
        duplicates: result.orphans.length,
        crashDuplicates: result.crashDuplicates.length,
        tenantLimiterLead: tenantLead(),
      })}`,
    );

    const problems = [
      ...(kill ? [] : ['the web process was never killed']),
      // Duplicates at most one per row the dead process had in flight (leased) at the kill.
      ...(kill && result.crashDuplicates.length > kill.leasedRows ? [`${result.crashDuplicates.length} crash duplicates, more than the ${kill.leasedRows} rows in flight at the kill`] : []),
      ...(drained ? [] : [`still pending after recovery: ${JSON.stringify(await pendingWork(drill, burst))}`]),
      ...outcomes.flatMap((o) => o.problems),
      // Every turn was answered in the end (those that died with the process, by the other one).
      ...traffic.turns.filter((t) => !t.answer || t.answer.status !== 200).map((t) => `turn ${t.label} by ${t.personId}: ${t.error ?? t.answer?.status}`),
      // Every stored request: its triage card (posted and recorded once, in its final state) and its
      // requester's confirmation, claim notice and advice exactly once; every row SENT; no duplicate.
      ...result.problems,
      ...drill.connector.unexpected.map((u) => `unexpected connector request ${u.method} ${u.url}`),
    ];
    reportProblems(problems);
    expect(victim.alive()).toBe(false);
    expect(problems.slice(0, 60), `${problems.length} problems`).toEqual([]);
  }, TEST_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------
// The outage drill
// ---------------------------------------------------------------------------

const OUTAGE_TEST_TIMEOUT_MS = 420_000;
/**
 * What the delivery needs after the outage at the most, kept out of the outage's own waits: a row
 * refused three times waits up to 150 s for its next try (messageBackoffMs in message-delivery.ts:
 * 120 s and a quarter), and the cards it held back are then claimed and advised.
 */
const DRAIN_RESERVE_MS = 180_000;
const SESSION_SUMMARY = 'I would like a supervision session about a case that keeps coming back to me.';

/**
 * The Teams connector answers 503 to everything for 60 s (no Retry-After) while requests are
 * created, claimed and advised and a session is proposed; the worker process is SIGKILLed in the
 * outage, once it is retrying refused messages, and a new one started once messages wait for it.
 * One web and one worker process. The steps in the outage come on signals (refused tries recorded
 * in the rows, rows fallen due), never at set times: the outage ends 60 s after it began or, on a
 * machine too slow for the story to be played by then, once it has been (the new worker refused).
 *
 * Before the outage: the triage channel is bound; four people's requests are made and their cards
 * posted; a fifth person's request for a session is made and claimed. In the outage: the first
 * four requests are claimed and advised (the invoke answers still come back, being HTTP answers),
 * eight more people make requests (the replies to their typed "Hello" cannot reach them: the bot
 * cannot either, so the drill presses as the card would have had it), and the claimer proposes a
 * session to the other specialist. After it: the eight new cards appear (the workers' retries) and
 * are claimed and advised, and the supervisor confirms the session from the proposal that reached
 * their chat. Then every row is SENT (or a superseded card update CANCELLED), every message reached
 * its conversation once, every triage card once in its final state, and no apology anywhere but
 * (refused) in the chat of a person whose own turn failed in the outage.
 */
describe('platform outage: the Teams connector answers 503 for 60 s and the worker is SIGKILLed', () => {
  it('requests created, claimed and advised and a session proposed during the outage are all delivered afterwards: once each, cards final, nothing lost', async () => {
    const PEOPLE = 12;
    const BEFORE = 4; // requests made (cards posted) before the outage
    const OUTAGE_MS = 60_000;
    const start = Date.now();
    const budget = { journeysEnd: start + OUTAGE_TEST_TIMEOUT_MS - 60_000, drainEnd: start + OUTAGE_TEST_TIMEOUT_MS - 20_000 };
    const drill = await startDrill({ people: PEOPLE + 1, webs: 1, workers: 1, messagePollMs: 1_000 });
    const traffic = createTraffic(drill);
    await prepare(drill, traffic);
    const db = drill.database.db;
    const url = drill.connector.url;
    const ready = Date.now();
    const [claimer, supervisor] = drill.specialists as [TeamsUser, TeamsUser];

    // The session request, made and claimed before the outage.
    const booker = drill.people[PEOPLE]!;
    const personal = (fields: Record<string, unknown>) => personalActivity(booker, url, DEMO_TENANT_ID, fields);
    await traffic.turn(booker, booker.conversationId, 'hello', personal(messageFields(HELLO)));
    await traffic.turn(booker, booker.conversationId, 'intake.risk', personal(invokeFields('intake.risk', { answer: 'no' })));
    await traffic.turn(booker, booker.conversationId, 'intake.kind', personal(invokeFields('intake.kind', { helpType: 'SESSION' })));
    await traffic.turn(
      booker,
      booker.conversationId,
      'intake.details',
      personal(invokeFields('intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary: SESSION_SUMMARY, availability: AVAILABILITY })),
    );
    const sessionRequest = await db.supervisionRequest.findFirstOrThrow({ where: { requesterId: booker.personId } });
    const cardOfRequest = (requestId: string) =>
      drill.connector.calls.find((c) => c.method === 'POST' && c.conversationId === TRIAGE_CHANNEL && executeActions(cardIn(c.body)).some((a) => a.data.requestId === requestId));
    expect(await waitFor(() => Boolean(cardOfRequest(sessionRequest.id)), 20_000, 100)).toBe(true);
    const sessionCard = cardOfRequest(sessionRequest.id)!;
    const sessionThread = `${TRIAGE_CHANNEL};messageid=${sessionCard.activityId}`;
    const inSessionThread = (user: TeamsUser, fields: Record<string, unknown>) => channelActivity(user, url, DEMO_TENANT_ID, TRIAGE_CHANNEL, sessionCard.activityId, fields);
    await traffic.turn(claimer, sessionThread, 'request.claim', inSessionThread(claimer, invokeFields('request.claim', { requestId: sessionRequest.id, version: String(sessionRequest.version) })));

    // The outage begins once the first BEFORE people's cards are posted; they claim and advise in
    // it. It lasts until the story below has been played in it (and OUTAGE_MS at the least): the
    // story's steps come on signals, so on a slow machine they come later and the outage with them.
    let outageStartedAt = 0;
    let outageEndsAt = 0;
    let beginOutage: () => void = () => {};
    const outageBegun = new Promise<void>((resolve) => {
      beginOutage = () => {
        drill.connector.outage(OUTAGE_TEST_TIMEOUT_MS); // ended by endOutage()
        outageStartedAt = Date.now();
        resolve();
      };
    });
    const endOutage = () => {
      if (outageEndsAt > 0 || outageStartedAt === 0) return;
      const leftMs = Math.max(0, outageStartedAt + OUTAGE_MS - Date.now());
      drill.connector.outage(leftMs);
      outageEndsAt = Date.now() + leftMs;
    };
    let cardsBefore = 0;
    const gate = async (index: number) => {
      if (index >= BEFORE) return;
      cardsBefore += 1;
      if (cardsBefore === BEFORE) beginOutage();
      await outageBegun;
    };

    // In the outage, each step when what it waits for has happened (rows and refused calls, never
    // a time): the session is proposed once the outage has refused a message (a row PENDING after
    // a refused try); the worker is SIGKILLed once it has retried a row in the outage and been
    // refused (a row refused twice: the web process makes only the first try), with the
    // proposal's message refused and waiting; a new worker is started once a row has fallen due
    // with no worker to take it; and the outage ends once that new worker has taken a row that
    // waited for it and been refused. Each wait stops in time for the rows to drain afterwards.
    let proposed: TurnLog | undefined;
    let kill: { at: number; pendingRows: number } | undefined;
    let restart: { at: number; dueRows: number; readyAt?: number; refusedAt?: number } | undefined;
    const storyProblems: string[] = [];
    const storyLeftMs = () => Math.max(0, budget.journeysEnd - DRAIN_RESERVE_MS - Date.now());
    const pending = (attempts: number) => db.outboundMessage.count({ where: { status: 'PENDING', attempts: { gte: attempts } } });
    let waitingAtRestart: Array<{ id: string; attempts: number; kind: string; nextAttemptAt: Date; lastError: string | null }> = [];
    // What a stopped story leaves to go on: its steps' times and, after a restart, the rows it waited on and their jobs.
    const storyFacts = async (): Promise<string[]> => {
      const since = (at: number | undefined) => (at ? `${seconds(at - outageStartedAt)} into the outage` : 'not reached');
      const facts = [
        `story: kill ${since(kill?.at)}, restart ${since(restart?.at)}, worker ready ${since(restart?.readyAt)}, refused in all ${drill.connector.refused.length}`,
        ...[...drill.webs, ...drill.workers].map((r) => `${r.name} (${r.alive() ? 'running' : 'ended'}) logged errors: ${JSON.stringify(errorKinds(r.output()))}`),
      ];
      if (waitingAtRestart.length === 0) return facts;
      const queue = createReminderQueue({ connection: connectionOf(REDIS_URL), prefix: drill.redisPrefix });
      try {
        for (const w of waitingAtRestart) {
          const now = await db.outboundMessage.findUnique({ where: { id: w.id }, select: { status: true, attempts: true, nextAttemptAt: true, lastError: true } });
          const job = await queue.getJob(messageJobId(w.id, w.attempts));
          facts.push(
            `waiting ${w.kind} ${w.id}: at restart ${w.attempts} tries, due ${seconds(restart!.at - w.nextAttemptAt.getTime())} before, "${w.lastError}"; ` +
              `now ${now?.status} ${now?.attempts} tries, next ${now ? seconds(now.nextAttemptAt.getTime() - Date.now()) : '?'} from now, "${now?.lastError}"; ` +
              `job ${job ? `${await job.getState()} (processed ${job.processedOn ? seconds(Date.now() - job.processedOn) : 'never'} ago, stalled ${job.stalledCounter})` : 'none'}`,
          );
        }
      } finally {
        await queue.close();
      }
      return facts;
    };
    const inOutage = (async () => {
      await outageBegun;
      try {
        await eventually(async () => drill.connector.refused.length > 0 && (await pending(1)) > 0, 'a message refused in the outage (a PENDING row tried once)', storyLeftMs(), 100);
        const current = await db.supervisionRequest.findUniqueOrThrow({ where: { id: sessionRequest.id } });
        const date = DateTime.now().setZone('Europe/London').plus({ weeks: 1 }).set({ weekday: 3 }).toISODate()!;
        proposed = await traffic.turn(
          claimer,
          claimer.conversationId,
          'session.propose',
          personalActivity(claimer, url, DEMO_TENANT_ID, invokeFields('session.propose', {
            requestId: sessionRequest.id,
            version: String(current.version),
            supervisorId: supervisor.personId,
            date1: date,
            time1: '10:00',
            durationMinutes: '60',
            venue: 'Room 4, Waterloo HQ',
          })),
        );
        // The proposal's message to the supervisor (written with the session) has been tried and refused.
        const proposalRefused = async () => {
          const rows = await db.outboundMessage.findMany({ where: { kind: 'person', personId: supervisor.personId, status: 'PENDING', attempts: { gte: 1 } }, select: { message: true } });
          return rows.some((r) => (r.message as { card?: { template?: string } } | null)?.card?.template === 'session-proposal');
        };
        await eventually(
          async () => (await proposalRefused()) && (await pending(2)) > 0,
          "the proposal's message refused and the worker's retry of a message refused (a PENDING row tried twice)",
          storyLeftMs(),
          100,
        );
        const worker = drill.workers[0]!;
        await worker.kill();
        const killedAt = Date.now();
        kill = { at: killedAt, pendingRows: await db.outboundMessage.count({ where: { status: 'PENDING' } }) };
        // Messages wait while no worker runs: one falls due (its backoff over) with nobody to try it.
        // Only messages nothing but a worker can end: a card update due again may instead be
        // superseded (CANCELLED, untried) by the next state of its card, written by a web process's turn.
        const onlyAWorkerEnds = { status: 'PENDING' as const, attempts: { gte: 1 }, kind: { in: ['person', 'triage-post'] } };
        await eventually(
          () => db.outboundMessage.count({ where: { ...onlyAWorkerEnds, nextAttemptAt: { gt: new Date(killedAt), lte: new Date() } } }),
          'a message falling due while no worker runs',
          storyLeftMs(),
          100,
        );
        const waiting = await db.outboundMessage.findMany({
          where: { ...onlyAWorkerEnds, nextAttemptAt: { lte: new Date() } },
          select: { id: true, attempts: true, kind: true, nextAttemptAt: true, lastError: true },
        });
        const refusedBefore = drill.connector.refused.length;
        waitingAtRestart = waiting;
        restart = { at: Date.now(), dueRows: waiting.length };
        await drill.startWorker('worker-restarted');
        restart.readyAt = Date.now();
        // Only a worker tries a row again (the web process makes the first try): a waiting row tried once more and a refused call are the new worker's.
        await eventually(
          async () => {
            if (drill.connector.refused.length <= refusedBefore) return false;
            const now = await db.outboundMessage.findMany({ where: { id: { in: waiting.map((w) => w.id) } }, select: { id: true, attempts: true } });
            return now.some((r) => r.attempts > waiting.find((w) => w.id === r.id)!.attempts);
          },
          'the restarted worker to retry a waiting message and be refused',
          storyLeftMs(),
          100,
        );
        restart.refusedAt = Date.now();
      } catch (error) {
        const facts = await storyFacts().catch((factsError: unknown) => [`(the story's facts could not be read: ${(factsError as Error).message})`]);
        storyProblems.push(`the outage story stopped: ${(error as Error).message}`, ...facts);
        // Whatever was not reached, the rest runs: a worker to deliver, and the end of the outage.
        if (kill && !drill.workers.some((w) => w.alive())) {
          await drill.startWorker('worker-restarted').catch((startError: unknown) => storyProblems.push(`no worker restarted: ${(startError as Error).message}`));
        }
      } finally {
        endOutage();
      }
    })();

    const outcomes = await runJourneys(drill, traffic, OUTAGE_TEST_TIMEOUT_MS, budget, { people: PEOPLE, atOnce: BEFORE, beforeClaim: gate });
    // (The story starts with the outage: if it never began, the problems say so.)
    if (outageStartedAt > 0) await inOutage;

    // After the outage: the supervisor confirms from the proposal that reached their chat.
    const proposalFor = () =>
      drill.connector.calls.find((c) => c.method === 'POST' && c.conversationId === supervisor.conversationId && executeActions(cardIn(c.body)).some((a) => a.verb === 'session.confirm'));
    const proposalArrived = await waitFor(() => Boolean(proposalFor()), Math.max(0, budget.journeysEnd - Date.now()), 250);
    let confirmed: TurnLog | undefined;
    if (proposalArrived) {
      const proposal = proposalFor()!;
      const card = cardIn(proposal.body)!;
      const confirm = executeActions(card).find((a) => a.verb === 'session.confirm')!;
      const slotId = (card.body as Array<{ id?: string; value?: string }>).find((b) => b.id === 'slotId')?.value;
      confirmed = await traffic.turn(supervisor, supervisor.conversationId, 'session.confirm', personalActivity(supervisor, url, DEMO_TENANT_ID, invokeFields('session.confirm', { ...confirm.data, slotId })));
    }
    const journeysDone = Date.now();

    const drained = await waitFor(async () => (await db.outboundMessage.count({ where: { status: 'PENDING' } })) === 0, Math.max(0, budget.drainEnd - Date.now()), 250);
    const drainedAt = Date.now();
    const claimers = new Map<string, TeamsUser>([[sessionRequest.id, claimer]]);
    for (const o of outcomes) if (o.requestId) claimers.set(o.requestId, drill.specialists[o.index % drill.specialists.length]!);
    const noBurst: Burst = { organisationId: drill.organisationId, tenantId: DEMO_TENANT_ID, reminderIds: [], byConversation: new Map() };
    const result = await account(drill, traffic, noBurst, (id) => claimers.get(id), Date.now(), kill?.at, new Set([sessionRequest.id]));
    await dumpIfAsked(drill, traffic, 'outage', { kill, restart, outageStartedAt, outageEndsAt });

    // The booking's own messages: the proposal to the supervisor, then the confirmation to both.
    const session = await db.session.findFirst({ where: { requestId: sessionRequest.id } });
    const postsTo = (user: TeamsUser) => drill.connector.calls.filter((c) => c.method === 'POST' && c.conversationId === user.conversationId);
    const bookingProblems = [
      ...(proposed?.answer?.status === 200 ? [] : [`the proposal turn was answered ${proposed?.answer?.status ?? 'never'}`]),
      ...(proposalArrived ? [] : ['the proposal never reached the supervisor']),
      ...(confirmed?.answer?.status === 200 ? [] : [`the confirmation turn was answered ${confirmed?.answer?.status ?? 'never'}`]),
      ...(session?.status === 'CONFIRMED' ? [] : [`the session is ${session?.status ?? 'not stored'}`]),
      ...(postsTo(supervisor).filter((c) => executeActions(cardIn(c.body)).some((a) => a.verb === 'session.confirm')).length === 1 ? [] : ['the supervisor got the proposal more than once']),
    ];

    const lastDelivery = drill.connector.calls.length > 0 ? drill.connector.calls[drill.connector.calls.length - 1]!.at : 0;
    console.info(
      `[outage] ${PEOPLE + 1} people, 503 for ${seconds(outageEndsAt - outageStartedAt)}, worker SIGKILLed: ${JSON.stringify({
        ...result.figures,
        turns: turnFigures(traffic),
        kill: kill && { afterOutageStart: seconds(kill.at - outageStartedAt), pendingRowsAtKill: kill.pendingRows },
        restart: restart && {
          afterKill: seconds(restart.at - (kill?.at ?? 0)),
          dueRowsAtRestart: restart.dueRows,
          readyAfterKill: restart.readyAt && seconds(restart.readyAt - (kill?.at ?? 0)),
          refusedAfterOutageStart: restart.refusedAt && seconds(restart.refusedAt - outageStartedAt),
        },
        durations: {
          setUp: seconds(ready - drill.startedAt),
          outageStartAfterReady: seconds(outageStartedAt - ready),
          journeys: seconds(journeysDone - ready),
          lastDeliveryAfterOutage: seconds(lastDelivery - outageEndsAt),
          drainedAfterOutage: seconds(drainedAt - outageEndsAt),
        },
        duplicates: result.orphans.length,
        crashDuplicates: result.crashDuplicates.length,
      })}`,
    );

    // The replies of the intake turns made in the outage are queued (they reach the person afterwards): the drill presses as the cards would have had it.
    const queuedReplies = (o: JourneyOutcome) => o.index >= BEFORE;
    const problems = [
      ...(outageStartedAt > 0 ? [] : ['the outage never began']),
      ...(kill ? [] : ['the worker was never killed']),
      ...storyProblems,
      ...(drained ? [] : [`still pending at the end of the wait: ${await db.outboundMessage.count({ where: { status: 'PENDING' } })} rows`]),
      ...outcomes.flatMap((o) => o.problems),
      ...outcomes.flatMap((o) => o.fallbacks.filter((f) => !(queuedReplies(o) && /^(hello|intake\.risk|intake\.kind) /.test(f))).map((f) => `person ${o.index}: ${f}`)),
      ...traffic.turns.filter((t) => !t.answer || t.answer.status !== 200).map((t) => `turn ${t.label} by ${t.personId}: ${t.error ?? t.answer?.status}`),
      ...(result.figures.requests === PEOPLE + 1 ? [] : [`${String(result.figures.requests)} requests stored, expected ${PEOPLE + 1}`]),
      // The workers took the messages of the outage over: none is left to the dead worker, none sent twice (the connector accepted nothing in the outage).
      ...(result.crashDuplicates.length === 0 ? [] : [`${result.crashDuplicates.length} duplicates after a kill in an outage`]),
      ...result.problems,
      ...bookingProblems,
      ...drill.connector.unexpected.map((u) => `unexpected connector request ${u.method} ${u.url}`),
    ];
    reportProblems(problems);
    expect(drill.connector.refused.length).toBeGreaterThan(0);
    expect(problems.slice(0, 60), `${problems.length} problems`).toEqual([]);
  }, OUTAGE_TEST_TIMEOUT_MS);
});
