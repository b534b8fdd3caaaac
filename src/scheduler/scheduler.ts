// Starts the reminder scheduler in a worker process: the delivery queue and worker, and a sweep
// every minute (sweep facts → reminder rows → delayed jobs). Only one process sweeps at a time:
// each sweep runs inside a transaction holding a PostgreSQL transaction-level advisory lock
// (pg_try_advisory_xact_lock); a process that cannot take it skips that minute. A sweep also runs
// at start, so jobs lost with Redis's data are rebuilt from PostgreSQL.
import { Redis, type RedisOptions } from 'ioredis';
import cron from 'node-cron';
import type { ConnectionOptions } from 'bullmq';
import type { ChannelSender } from '../channels/outbox.js';
import { createMessageDelivery, dueMessages } from '../channels/message-delivery.js';
import type { Db } from '../db/client.js';
import { onceAMinute, type Logger } from '../logger.js';
import { newRequestId, requestIdTelemetry, runWithRequestContext } from '../request-context.js';
import { JobName, messageJobId } from './jobs.js';
import { instrumentDelivery, type SchedulerMetrics } from './metrics.js';
import { createReminderQueue } from './queue.js';
import { createRateLimiter, rateLimitSender, type PlatformRateLimits } from '../channels/rate-limit.js';
import { reconcileQueue, type DeliveryJobOptions, type ReminderQueue } from './reconcile.js';
import { releaseRetriedJobs } from './release-retried.js';
import { createReminderSender } from './send-reminder.js';
import { sweepDueFacts, type SweepResult } from './sweep.js';
import { createReminderWorker } from './worker.js';

/** Advisory lock key of the sweeper (any constant shared by every process of the bot). */
export const SWEEP_LOCK_KEY = 0x5c5_5ee9;

export interface SchedulerOptions {
  db: Db;
  /** redis://… URL, or ioredis connection options. */
  redisUrl: string | ConnectionOptions;
  prefix?: string;
  senders: ChannelSender[];
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock: { now(): Date };
  /** How far ahead reminders are created and queued (default 15 minutes). */
  horizonMs?: number;
  /** Cron expression of the sweep (default every minute). */
  schedule?: string;
  job?: DeliveryJobOptions;
  concurrency?: number;
  /**
   * Per-platform send limits shared by all processes (rate-limit.ts); default the platforms'
   * documented limits. False turns pacing off (only for tests of something else).
   */
  rateLimits?: false | { limits?: PlatformRateLimits; maxHoldMs?: number; safety?: number };
  /** Worker lock and stalled-check periods (worker.ts; BullMQ's 30 s defaults otherwise). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often due message rows are queued for a try (default 5 s). */
  messagePollMs?: number;
  /** Counts deliveries, lateness and sweeps, and reports the queue's depth (metrics.ts). */
  metrics?: SchedulerMetrics;
}

export type SweepRun = { swept: false } | { swept: true; sweep: SweepResult; queued: number };

export interface Scheduler {
  queue: ReminderQueue;
  /** One sweep + reconcile now, unless another process holds the sweep lock. */
  runOnce(): Promise<SweepRun>;
  stop(): Promise<void>;
}

export function connectionOf(redisUrl: string | ConnectionOptions): ConnectionOptions {
  if (typeof redisUrl !== 'string') return { maxRetriesPerRequest: null, ...redisUrl };
  const url = new URL(redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { db, logger, clock } = options;
  const horizonMs = options.horizonMs ?? 15 * 60_000;
  const connection = connectionOf(options.redisUrl);
  const prefix = options.prefix;
  const queue = createReminderQueue({ connection, ...(prefix ? { prefix } : {}), telemetry: requestIdTelemetry });
  // Without a listener BullMQ prints every connection error's stack to stderr.
  queue.on('error', onceAMinute(logger, 'reminder queue redis connection problem'));
  // The limiter's own connection: its scripts must not wait behind the worker's blocking reads.
  const limiterRedis = options.rateLimits === false ? undefined : new Redis({ ...(connection as RedisOptions), lazyConnect: false });
  limiterRedis?.on('error', onceAMinute(logger, 'rate limiter redis connection problem'));
  const limits = options.rateLimits || {};
  const limiter = limiterRedis
    ? createRateLimiter(limiterRedis, {
        prefix: prefix ?? 'bull',
        ...(limits.maxHoldMs !== undefined ? { maxHoldMs: limits.maxHoldMs } : {}),
        ...(limits.safety !== undefined ? { safety: limits.safety } : {}),
      })
    : undefined;
  const senders = limiter ? options.senders.map((s) => rateLimitSender(s, limiter, limits.limits)) : options.senders;
  const created = createReminderSender({ db, senders, logger, clock });
  const delivery = options.metrics ? instrumentDelivery(options.metrics, created, { clock, db }) : undefined;
  const sender = delivery?.deps ?? created;
  // Turn messages go through the same queue, senders and limiter as reminders.
  const messages = createMessageDelivery({ db, senders, logger, clock });
  const worker = createReminderWorker({
    connection,
    ...(prefix ? { prefix } : {}),
    db,
    messages,
    deliverDeps: { send: sender.send, isSubjectLive: sender.isSubjectLive, clock, logger },
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
    telemetry: requestIdTelemetry,
  });
  delivery?.attach(worker.worker);
  options.metrics?.observeQueue(queue);

  /** Sweep inside a transaction holding the advisory lock; the lock ends with the transaction. */
  async function runOnce(): Promise<SweepRun> {
    const now = clock.now();
    const started = performance.now();
    const sweep = await db.$transaction(
      async (tx) => {
        const [row] = await tx.$queryRaw<Array<{ locked: boolean }>>`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}::bigint) AS locked`;
        if (!row?.locked) return null;
        return sweepDueFacts(tx as unknown as Db, { now, horizonMs });
      },
      { timeout: 55_000, maxWait: 10_000 },
    );
    if (!sweep) return { swept: false };
    options.metrics?.recordSweep((performance.now() - started) / 1000, sweep);
    await releaseRetriedJobs(db, queue, new Date(now.getTime() + horizonMs));
    const { scanned } = await reconcileQueue(db, queue, { now, horizonMs, ...(options.job ? { job: options.job } : {}) });
    return { swept: true, sweep, queued: scanned };
  }

  let running: Promise<unknown> | undefined;
  const tick = async () => {
    if (running) return; // the previous sweep is still going in this process
    // Each sweep is one run with its own id; the jobs it queues carry it to the worker.
    running = runWithRequestContext({ requestId: newRequestId('sweep') }, () =>
      runOnce()
        .then((result) => {
          if (result.swept) logger.info({ created: result.sweep.created, byKind: result.sweep.byKind, queued: result.queued }, 'reminder sweep');
        })
        .catch((error: unknown) => logger.error({ err: { name: (error as Error)?.name } }, 'reminder sweep failed')),
    ).finally(() => {
      running = undefined;
    });
    await running;
  };

  /** Queues a job per due message row (a try each); every worker may do this: job ids and the row's lease dedupe. */
  async function queueMessages(): Promise<number> {
    const due = await dueMessages(db, clock.now());
    if (due.length === 0) return 0;
    await queue.addBulk(
      due.map((m) => ({
        name: JobName.deliverMessage,
        data: { messageId: m.id } as never,
        opts: { jobId: messageJobId(m.id, m.attempts), attempts: 1, removeOnComplete: true, removeOnFail: true }, // the row is the record: an ended job must not block the next try
      })),
    );
    return due.length;
  }
  let polling: Promise<unknown> | undefined;
  const pollMessages = () => {
    if (polling) return;
    polling = queueMessages()
      .catch((error: unknown) => logger.error({ err: { name: (error as Error)?.name } }, 'queueing due messages failed'))
      .finally(() => {
        polling = undefined;
      });
  };

  await tick();
  pollMessages();
  const task = cron.schedule(options.schedule ?? '* * * * *', () => tick(), { noOverlap: true });
  const messageTimer = setInterval(pollMessages, options.messagePollMs ?? 5_000);
  messageTimer.unref();

  let stopping: Promise<void> | undefined;
  return {
    queue,
    runOnce,
    stop() {
      stopping ??= (async () => {
        await task.stop();
        await task.destroy();
        clearInterval(messageTimer);
        if (polling) await polling;
        if (running) await running;
        await worker.close();
        await queue.close();
        await limiterRedis?.quit().catch(() => undefined);
      })();
      return stopping;
    },
  };
}
