// Fault drills for the reminder scheduler (issue 5, DESIGN.md §7 "faults"): nothing is lost,
// and duplicates are counted and bounded by the jobs in flight at the fault.
//
// Deliveries go through the production path: createReminderSender, the real Teams sender
// (botbuilder) paced by the shared rate limiter, to a local connector that records every
// activity per conversation (test/support/recording-connector.ts). Each reminder has its own
// conversation, so "sent twice" is a conversation that received two activities.
//
// Redis: logical database 13, used by no other test file, so FLUSHDB stands in for FLUSHALL
// without touching anyone else's keys (never db 0).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServiceUrlPolicy } from '../../src/channels/teams/service-url.js';
import { createTeamsAdapter, createTeamsSender } from '../../src/channels/teams/teams-channel.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { reconcileQueue, type ReminderQueue } from '../../src/scheduler/reconcile.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { withTestDatabase } from '../support/database.js';
import { duplicatesOf, startRecordingConnector, type RecordingConnector } from '../support/recording-connector.js';
import { createReminderBurst, type Burst } from '../support/reminder-burst.js';
import { eventually } from '../support/wait.js';

const REDIS_DB = 13;
const connection = { host: '127.0.0.1', port: 6379, db: REDIS_DB, maxRetriesPerRequest: null };
const basePrefix = `drill-${randomBytes(4).toString('hex')}`;
const CHILD = fileURLToPath(new URL('../support/reminder-worker-child.ts', import.meta.url));
const silent = { info() {}, warn() {}, error() {} };
const clock = { now: () => new Date() };

const t = withTestDatabase();
let redis: Redis;
let n = 0;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = new Redis(connection);
});

afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
});

afterAll(async () => {
  const keys = await redis.keys(`${basePrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function connector(options: Parameters<typeof startRecordingConnector>[0] = {}): Promise<RecordingConnector> {
  const c = await startRecordingConnector(options);
  cleanups.push(() => c.close());
  return c;
}

function newQueue(prefix: string): ReminderQueue {
  const queue = createReminderQueue({ connection, prefix });
  cleanups.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
  return queue;
}

const pendingOf = (burst: Burst) => t.db.reminder.count({ where: { id: { in: burst.reminderIds }, status: 'PENDING' } });

/** Every reminder SENT with a message id, every conversation reached; returns the duplicates. */
async function expectAllSent(burst: Burst, c: RecordingConnector): Promise<number> {
  const rows = await t.db.reminder.findMany({ where: { id: { in: burst.reminderIds } } });
  expect(rows).toHaveLength(burst.reminderIds.length);
  const notSent = rows.filter((r) => r.status !== 'SENT' || !r.platformMessageId);
  expect(notSent.map((r) => `${r.id} ${r.status} ${r.lastError}`)).toEqual([]);
  const delivered = c.stats().deliveries;
  const lost = [...burst.byConversation.keys()].filter((conversationId) => !delivered[conversationId]);
  expect(lost).toEqual([]);
  return duplicatesOf(c.stats());
}

function startChildWorker(prefix: string, concurrency: number): { child: ChildProcess; ready: Promise<void>; output: () => string } {
  const lines: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      DATABASE_URL: t.databaseUrl,
      DATABASE_SCHEMA: t.schema,
      REDIS_DB: String(REDIS_DB),
      QUEUE_PREFIX: prefix,
      CONCURRENCY: String(concurrency),
      LOCK_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const keep = (chunk: Buffer) => lines.push(chunk.toString('utf8'));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m) => ((m as { type?: string }).type === 'ready' ? resolve() : undefined));
    child.once('exit', (code, signal) => reject(new Error(`worker child exited (${code ?? signal}) before it was ready:\n${lines.join('')}`)));
  });
  return { child, ready, output: () => lines.join('') };
}

async function inProcessScheduler(prefix: string, serviceConcurrency: number): Promise<Scheduler> {
  const scheduler = await startScheduler({
    db: t.db,
    redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
    prefix,
    senders: [createTeamsSender(createTeamsAdapter({} as Parameters<typeof createTeamsAdapter>[0]), undefined, createServiceUrlPolicy({ authenticated: false }))],
    logger: silent,
    clock,
    horizonMs: 60_000,
    schedule: '0 0 1 1 *', // the drills run the sweep themselves
    concurrency: serviceConcurrency,
    job: { attempts: 5, backoffMs: 200, jitter: 0.5 },
  });
  cleanups.push(() => scheduler.stop());
  return scheduler;
}

describe('fault drills', () => {
  it('a worker killed with SIGKILL mid-burst and restarted: every reminder SENT, duplicates at most the jobs in flight', async () => {
    const concurrency = 8;
    const prefix = `${basePrefix}-${++n}`;
    const c = await connector({ enforce: { perConversation: 7, perTenant: 50, windowMs: 1000 } });
    const burst = await createReminderBurst(t.db, { count: 300, serviceUrl: c.url, sendAt: new Date(Date.now() - 1000) });
    const queue = newQueue(prefix);
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: { attempts: 5, backoffMs: 200, jitter: 0.5 } });

    const first = startChildWorker(prefix, concurrency);
    await first.ready;
    await eventually(() => c.stats().accepted >= 100, '100 deliveries', 30_000, 50);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // The dead worker's jobs stay active until their locks expire: the jobs in flight at the kill.
    const inFlight = await queue.getActiveCount();
    expect(inFlight).toBeLessThanOrEqual(concurrency);
    const atKill = { accepted: c.stats().accepted, sent: await t.db.reminder.count({ where: { id: { in: burst.reminderIds }, status: 'SENT' } }) };
    expect(await pendingOf(burst)).toBeGreaterThan(0); // killed mid-burst, not after it

    const second = startChildWorker(prefix, concurrency);
    await second.ready;
    await eventually(async () => (await pendingOf(burst)) === 0, 'every reminder to leave PENDING', 45_000, 50);

    const duplicates = await expectAllSent(burst, c);
    // Only a job whose send the connector accepted before the kill and whose SENT mark had not
    // committed runs again: at most one per job in flight.
    expect(duplicates).toBeLessThanOrEqual(inFlight);
    expect(c.stats().accepted).toBe(burst.reminderIds.length + duplicates);
    console.info(`[drill] SIGKILL at ${atKill.accepted} accepted / ${atKill.sent} marked SENT, ${inFlight} jobs in flight; duplicates ${duplicates}`);
  }, 60_000);

  it('Redis flushed mid-run: the sweep rebuilds the queue from PostgreSQL and every reminder is delivered', async () => {
    const concurrency = 8;
    const prefix = `${basePrefix}-${++n}`;
    const c = await connector();
    const burst = await createReminderBurst(t.db, { count: 300, serviceUrl: c.url, sendAt: new Date(Date.now() - 1000) });
    const scheduler = await inProcessScheduler(prefix, concurrency);
    newQueue(prefix); // for the clean-up
    await eventually(() => c.stats().accepted >= 100, '100 deliveries', 30_000, 50);

    const keysNaming = async (ids: readonly string[]) => (await redis.keys('*')).filter((key) => ids.some((id) => key.includes(id))).length;
    expect(await keysNaming(burst.reminderIds)).toBeGreaterThan(0);
    await redis.flushdb();
    // Every job is gone (the running workers may write their own bookkeeping keys again at once).
    expect(await keysNaming(burst.reminderIds)).toBe(0);
    const { swept } = await scheduler.runOnce();
    expect(swept).toBe(true);
    await eventually(async () => (await pendingOf(burst)) === 0, 'every reminder to leave PENDING', 45_000, 50);

    const duplicates = await expectAllSent(burst, c);
    // A job in flight when the data went can be queued again before its SENT mark commits.
    expect(duplicates).toBeLessThanOrEqual(concurrency);
    console.info(`[drill] FLUSHDB mid-run; duplicates ${duplicates} (bound ${concurrency})`);
  }, 60_000);

  it('20% of platform calls answer 429 with Retry-After, 412 or 5xx: all delivered exactly once, none FAILED', async () => {
    const prefix = `${basePrefix}-${++n}`;
    // Never a reminder's every try (5): the drill is about delivery through failures, not about chance.
    const c = await connector({ failRate: 0.2, failWith: [429, 412, 502, 503, 504], retryAfterSeconds: 1, maxFailuresInARow: 3 });
    const burst = await createReminderBurst(t.db, { count: 200, serviceUrl: c.url, sendAt: new Date(Date.now() - 1000) });
    await inProcessScheduler(prefix, 10);
    newQueue(prefix);
    await eventually(async () => (await pendingOf(burst)) === 0, 'every reminder to leave PENDING', 50_000, 50);

    expect(await expectAllSent(burst, c)).toBe(0);
    expect(Object.values(c.stats().deliveries).every((count) => count === 1)).toBe(true);
    const injected = c.stats().injected;
    expect(injected['429']).toBeGreaterThan(0);
    expect((injected['502'] ?? 0) + (injected['503'] ?? 0) + (injected['504'] ?? 0)).toBeGreaterThan(0);
    expect(await t.db.reminder.count({ where: { id: { in: burst.reminderIds }, status: 'FAILED' } })).toBe(0);
    console.info(`[drill] injected failures ${JSON.stringify(injected)}; duplicates 0`);
  }, 60_000);
});
