// A reminder delivery worker in a process of its own, for the kill drill
// (test/drills/scheduler-faults.test.ts) and the burst benchmark (test/bench/scheduler-bench.ts):
// the production parts (createReminderSender, the Teams sender through the shared rate
// limiter, createReminderWorker) against the schema, Redis database and prefix it is given.
// Sends `{ type: 'ready' }` over IPC once the worker runs; closes (draining in-flight jobs) on
// SIGTERM or a `{ type: 'shutdown' }` message. Run with `node --import tsx`.
//
// Environment: DATABASE_URL, DATABASE_SCHEMA, REDIS_HOST, REDIS_PORT, REDIS_DB, QUEUE_PREFIX,
// CONCURRENCY, LOCK_MS (lock duration; the stalled check runs at half of it), SAFETY (the
// limiter's safety share), MAX_HOLD_MS.
import { Redis } from 'ioredis';
import { createServiceUrlPolicy } from '../../src/channels/teams/service-url.js';
import { createTeamsAdapter, createTeamsSender } from '../../src/channels/teams/teams-channel.js';
import { createDb } from '../../src/db/client.js';
import { createRateLimiter, rateLimitSender } from '../../src/channels/rate-limit.js';
import { createReminderSender } from '../../src/scheduler/send-reminder.js';
import { createReminderWorker } from '../../src/scheduler/worker.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const logger = {
  info() {},
  warn() {},
  error(...args: unknown[]) {
    if (process.env.CHILD_VERBOSE) console.error(JSON.stringify(args));
  },
};
const clock = { now: () => new Date() };
const connection = { host: env('REDIS_HOST', '127.0.0.1'), port: Number(env('REDIS_PORT', '6379')), db: Number(env('REDIS_DB', '0')), maxRetriesPerRequest: null };
const prefix = env('QUEUE_PREFIX');
const lockMs = Number(env('LOCK_MS', '30000'));

const db = createDb(env('DATABASE_URL'), { schema: env('DATABASE_SCHEMA'), maxConnections: Number(env('DB_POOL', '10')) });
const redis = new Redis(connection);
const limiter = createRateLimiter(redis, {
  prefix,
  safety: Number(env('SAFETY', '0.03')),
  maxHoldMs: Number(env('MAX_HOLD_MS', '1000')),
});
const teams = rateLimitSender(createTeamsSender(createTeamsAdapter({} as Parameters<typeof createTeamsAdapter>[0]), undefined, createServiceUrlPolicy({ authenticated: false })), limiter);
const sender = createReminderSender({ db, senders: [teams], logger, clock });
const worker = createReminderWorker({
  connection,
  prefix,
  db,
  concurrency: Number(env('CONCURRENCY', '5')),
  lockDurationMs: lockMs,
  stalledIntervalMs: Math.max(500, Math.floor(lockMs / 2)),
  deliverDeps: { send: sender.send, isSubjectLive: sender.isSubjectLive, clock, logger },
});

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await worker.close();
  redis.disconnect();
  await db.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('message', (message) => {
  if ((message as { type?: string }).type === 'shutdown') void shutdown();
});
process.on('disconnect', () => void shutdown());

await worker.worker.waitUntilReady();
// The bench protocol's ready event (test/bench/echo-bot.ts): no port, this child serves nothing.
process.send?.({ type: 'ready', port: 0, rss: process.memoryUsage.rss() });
