// Reminder scheduler benchmarks (issue 5; DESIGN.md §7), run by test/bench/run.ts:
//
//   burst      BENCH_BURST_SIZE reminders (default 10,000), all due at the same instant, each to
//              its own Teams personal chat in one tenant, delivered by BENCH_BURST_WORKERS worker
//              processes (default 2, concurrency BENCH_BURST_CONCURRENCY, default 10) through the
//              production path (createReminderSender, the Teams sender paced by the shared rate
//              limiter) to a stub connector that ENFORCES Teams' limits (limit-connector.ts: 429 +
//              Retry-After when a sliding second holds more than 50 sends in the tenant or 7 in a
//              conversation). Baseline: the floor those limits allow. With one tenant at L = 50
//              per second the first L may go at once and each next L one second later, so
//              floor = (ceil(N / L) − 1) s (199 s for 10,000). Drain = last SENT mark (sentAt) − due
//              time. Target drain ≤ 1.1 × floor, 0 lost (a reminder not SENT, or a conversation
//              never reached), 0 sent twice (a conversation reached twice). results/reminder-burst.json
//   precision  BENCH_PRECISION_SIZE reminders (default 600) due one after another over
//              BENCH_PRECISION_SPREAD_MS (default 60,000: 10 a second), each in its own tenant so no limit
//              binds (unthrottled); lateness = sentAt − sendAt of each row. Baseline: a bare BullMQ
//              queue and no-op worker given the same due times (lateness = processing start −
//              due time), measured in the same run. Target p99 < 1 s. results/reminder-precision.json
//
// Each prints its figures and PASS or MISS; a broken run (a child dies, the work does not
// finish) marks the outcome broken.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { Db } from '../../src/db/client.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { reconcileQueue } from '../../src/scheduler/reconcile.js';
import { createTestDatabase } from '../support/database.js';
import type { ConnectorStats } from '../support/recording-connector.js';
import { createReminderBurst, type Burst } from '../support/reminder-burst.js';
import {
  environmentFacts,
  getJson,
  HERE,
  intFromEnv,
  ms,
  ratio,
  RESULTS_DIR,
  startChild,
  summarise,
  table,
  type BenchOutcome,
  type BenchSettings,
  type Child,
  type CleanupStack,
} from './common.js';

const TEAMS_TENANT_LIMIT = 50;
const TARGET_BURST_RATIO = 1.1;
const TARGET_P99_MS = 1000;
const WARM_UP = 40;
const WORKER_SCRIPT = `${HERE}../support/reminder-worker-child.ts`;

function redisOf(settings: BenchSettings) {
  const url = new URL(settings.redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379), db };
}

async function prepare(settings: BenchSettings, cleanups: CleanupStack, name: string, enforce: boolean) {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const prefix = `bench-${name}-${randomBytes(4).toString('hex')}`;
  const redis = redisOf(settings);
  const connection = { ...redis, maxRetriesPerRequest: null };
  const queue = createReminderQueue({ connection, prefix });
  cleanups.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
  const connector = await startChild(`${name}-connector`, `${HERE}limit-connector.ts`, { ...process.env, BENCH_CONNECTOR_ENFORCE: enforce ? '1' : '0' });
  cleanups.push(() => connector.stop());
  const startWorkers = async (count: number, concurrency: number): Promise<Child[]> => {
    const workers = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        startChild(`${name}-worker-${i + 1}`, WORKER_SCRIPT, {
          ...process.env,
          DATABASE_URL: database.databaseUrl,
          DATABASE_SCHEMA: database.schema,
          REDIS_HOST: redis.host,
          REDIS_PORT: String(redis.port),
          REDIS_DB: String(redis.db),
          QUEUE_PREFIX: prefix,
          CONCURRENCY: String(concurrency),
          DB_POOL: String(Math.max(5, concurrency)),
          ...(process.env.BENCH_RATE_SAFETY ? { SAFETY: process.env.BENCH_RATE_SAFETY } : {}),
        }),
      ),
    );
    for (const w of workers) cleanups.push(() => w.stop());
    return workers;
  };
  return { db: database.db, prefix, connection, queue, connector, serviceUrl: `http://127.0.0.1:${connector.port}`, startWorkers };
}

/**
 * Warms the workers up (database pools, connections, code paths), as long-running ones are,
 * with a few reminders of another organisation and tenant, before anything is measured.
 */
async function warmUp(ctx: Awaited<ReturnType<typeof prepare>>, workers: Child[]): Promise<boolean> {
  const warm = await createReminderBurst(ctx.db, { count: WARM_UP, serviceUrl: ctx.serviceUrl, sendAt: new Date(Date.now() - 1000) });
  await reconcileQueue(ctx.db, ctx.queue, { now: new Date(), horizonMs: 0 });
  return drained(ctx.db, warm, workers, 60_000);
}

/** Polls until no reminder of the burst is PENDING; false on timeout or a dead child. */
async function drained(db: Db, burst: Burst, children: Child[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.exit());
    if (dead) {
      console.error(`${dead.name} ${dead.exit()}\n${dead.output()}`);
      return false;
    }
    if ((await db.reminder.count({ where: { organisationId: burst.organisationId, status: 'PENDING' } })) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The burst's rows and conversations only (the warm-up's are left out). */
async function outcomeOf(db: Db, burst: Burst, stats: ConnectorStats) {
  const where = { organisationId: burst.organisationId };
  const byStatus = await db.reminder.groupBy({ by: ['status'], where, _count: { _all: true } });
  const count = (status: string) => byStatus.find((s) => s.status === status)?._count._all ?? 0;
  const conversations = [...burst.byConversation.keys()];
  const unreached = conversations.filter((c) => !stats.deliveries[c]).length;
  const sentTwice = conversations.reduce((sum, c) => sum + Math.max(0, (stats.deliveries[c] ?? 0) - 1), 0);
  const last = await db.reminder.aggregate({ where, _max: { sentAt: true }, _min: { sentAt: true } });
  return {
    sent: count('SENT'),
    failed: count('FAILED'),
    pending: count('PENDING'),
    lost: Math.max(burst.reminderIds.length - count('SENT'), unreached),
    sentTwice,
    firstSentAt: last._min.sentAt,
    lastSentAt: last._max.sentAt,
  };
}

function save(file: string, json: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}/${file}`, `${JSON.stringify(json, null, 2)}\n`);
}

export async function runBurstBench(settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const size = intFromEnv('BENCH_BURST_SIZE', 10_000, 1);
  const workerCount = intFromEnv('BENCH_BURST_WORKERS', 2, 1);
  const concurrency = intFromEnv('BENCH_BURST_CONCURRENCY', 10, 1);
  const floorS = Math.ceil(size / TEAMS_TENANT_LIMIT) - 1;
  console.log(`Reminder burst: ${size} reminders due at once, one Teams tenant (${TEAMS_TENANT_LIMIT}/s), ${workerCount} workers × ${concurrency}`);

  const ctx = await prepare(settings, cleanups, 'burst', true);
  const setupStarted = performance.now();
  const burst = await createReminderBurst(ctx.db, { count: size, serviceUrl: ctx.serviceUrl, sendAt: new Date(Date.now() + 3_600_000) });
  const workers = await ctx.startWorkers(workerCount, concurrency);
  if (!(await warmUp(ctx, workers))) return { broken: true };
  // All due at one instant, far enough ahead for every job to be queued (delayed) first.
  const queueingMs = Math.max(5_000, size * 1.5);
  const due = new Date(Date.now() + queueingMs);
  await ctx.db.reminder.updateMany({ where: { organisationId: burst.organisationId }, data: { dueAt: due, sendAt: due } });
  await reconcileQueue(ctx.db, ctx.queue, { now: new Date(), horizonMs: queueingMs + 60_000 });
  const queuedBeforeDue = Date.now() < due.getTime();
  console.log(`  set up in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s; jobs queued before the due time: ${queuedBeforeDue}`);

  const ok = await drained(ctx.db, burst, workers, Math.max(floorS * 3000, 0) + queueingMs + 120_000);
  const stats = (await getJson<ConnectorStats>(`${ctx.serviceUrl}/__stats`)).body;
  const result = await outcomeOf(ctx.db, burst, stats);
  // sentAt is stamped as the SENT mark commits, just after the connector accepted the send.
  const drainS = result.lastSentAt ? (result.lastSentAt.getTime() - due.getTime()) / 1000 : NaN;
  const firstS = result.firstSentAt ? (result.firstSentAt.getTime() - due.getTime()) / 1000 : NaN;
  const burstRatio = floorS > 0 ? ratio(drainS, floorS) : NaN;
  const pass = ok && burstRatio <= TARGET_BURST_RATIO && result.lost === 0 && result.sentTwice === 0;

  console.log(
    table([
      ['figure', 'value', ''],
      ['reminders', String(size), ''],
      ['floor (ceil(N/50) − 1) s', floorS.toFixed(1), 'baseline'],
      ['drain s (last sentAt − due)', drainS.toFixed(2), ''],
      ['drain / floor', String(burstRatio), `target ≤ ${TARGET_BURST_RATIO}`],
      ['first sentAt − due s', firstS.toFixed(3), ''],
      ['lost', String(result.lost), 'target 0'],
      ['sent twice', String(result.sentTwice), 'target 0'],
      ['FAILED rows', String(result.failed), ''],
      ['429 from the connector', String(stats.limited), ''],
    ]),
  );
  console.log(`Burst: ${pass ? 'PASS' : 'MISS'}${ok ? '' : ' (did not drain: broken)'}`);
  save('reminder-burst.json', {
    measuredAt: new Date().toISOString(),
    environment: environmentFacts(),
    settings: { size, workerCount, concurrency, tenants: 1, tenantLimitPerSecond: TEAMS_TENANT_LIMIT },
    floorSeconds: floorS,
    drainSeconds: drainS,
    ratio: burstRatio,
    target: TARGET_BURST_RATIO,
    lost: result.lost,
    sentTwice: result.sentTwice,
    failed: result.failed,
    firstSentAfterDueSeconds: firstS,
    connector429: stats.limited,
    pass,
  });
  return { broken: !ok };
}

/** A bare BullMQ queue and no-op worker: lateness of the processing start behind each due time. */
async function bareBullmqLateness(settings: BenchSettings, cleanups: CleanupStack, dueTimes: number[]): Promise<number[]> {
  const connection = { ...redisOf(settings), maxRetriesPerRequest: null };
  const prefix = `bench-bare-${randomBytes(4).toString('hex')}`;
  const queue = new Queue('bare', { connection, prefix });
  const lateness: number[] = [];
  const worker = new Worker(
    'bare',
    async (job) => {
      lateness.push(Date.now() - (job.data as { due: number }).due);
    },
    { connection, prefix, concurrency: 10 },
  );
  cleanups.push(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });
  const now = Date.now();
  for (let i = 0; i < dueTimes.length; i += 500) {
    await queue.addBulk(dueTimes.slice(i, i + 500).map((due, j) => ({ name: 'noop', data: { due }, opts: { jobId: `j${i + j}`, delay: Math.max(0, due - now), removeOnComplete: true } })));
  }
  const deadline = Date.now() + (dueTimes.at(-1)! - now) + 60_000;
  while (lateness.length < dueTimes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return lateness;
}

export async function runPrecisionBench(settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const size = intFromEnv('BENCH_PRECISION_SIZE', 600, 1);
  const spreadMs = intFromEnv('BENCH_PRECISION_SPREAD_MS', 60_000, 1);
  const leadMs = Math.max(5_000, size * 3);
  console.log(`Reminder precision: ${size} reminders due over ${spreadMs / 1000} s, each in its own tenant (no limit binds)`);

  const dueTimesFrom = (start: number) => Array.from({ length: size }, (_, i) => start + Math.floor((i * spreadMs) / size));
  const bare = await bareBullmqLateness(settings, cleanups, dueTimesFrom(Date.now() + 2_000));

  const ctx = await prepare(settings, cleanups, 'precision', false);
  const placeholder = new Date(Date.now() + 3_600_000);
  const burst = await createReminderBurst(ctx.db, { count: size, serviceUrl: ctx.serviceUrl, sendAt: placeholder, tenants: size });
  const workers = await ctx.startWorkers(1, 10);
  if (!(await warmUp(ctx, workers))) return { broken: true };
  const dueTimes = dueTimesFrom(Date.now() + leadMs);
  const stamps = dueTimes.map((t) => new Date(t));
  await ctx.db.$executeRaw`
    UPDATE "Reminder" r SET "dueAt" = d.due, "sendAt" = d.due
    FROM unnest(${burst.reminderIds}::text[], ${stamps}::timestamptz[]) AS d(id, due)
    WHERE r.id = d.id`;
  await reconcileQueue(ctx.db, ctx.queue, { now: new Date(), horizonMs: leadMs + spreadMs + 60_000 });
  const ok = await drained(ctx.db, burst, workers, leadMs + spreadMs + 120_000);
  const rows = await ctx.db.reminder.findMany({ where: { organisationId: burst.organisationId, status: 'SENT' }, select: { sendAt: true, sentAt: true } });
  const ours = rows.map((r) => r.sentAt!.getTime() - r.sendAt.getTime());
  const o = summarise(ours);
  const b = summarise(bare);
  const pass = ok && ours.length === size && o.p99 < TARGET_P99_MS;

  console.log(
    table([
      ['lateness ms', 'count', 'p50', 'p90', 'p99', 'max'],
      ['bare BullMQ no-op (baseline)', String(b.count), ms(b.p50), ms(b.p90), ms(b.p99), ms(b.max)],
      ['ours: sentAt − sendAt', String(o.count), ms(o.p50), ms(o.p90), ms(o.p99), ms(o.max)],
    ]),
  );
  console.log(`Precision: p99 ${ms(o.p99)} ms (target < ${TARGET_P99_MS} ms): ${pass ? 'PASS' : 'MISS'}${ok ? '' : ' (did not finish: broken)'}`);
  save('reminder-precision.json', {
    measuredAt: new Date().toISOString(),
    environment: environmentFacts(),
    settings: { size, spreadMs, workers: 1, concurrency: 10 },
    baselineBareBullmq: b,
    ours: o,
    targetP99Ms: TARGET_P99_MS,
    pass,
  });
  return { broken: !ok || ours.length !== size };
}
