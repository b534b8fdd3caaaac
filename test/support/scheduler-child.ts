// A worker-role process as src/main.ts starts it with PROCESS_ROLE=worker: configuration from
// the environment (loadConfig), a Prisma client, the platform senders of createSenders (src/app.ts)
// and the real startScheduler (the reminder sweep at start and every minute, the deliver-reminder
// and deliver-message jobs, the due-message poll, the shared Redis rate limiter under
// REDIS_PREFIX). Only the metrics, the retention job and local mode are left out.
//
// Run by the scaled-out drill (test/drills/scaled-out-delivery.test.ts) as a child process with
// an IPC channel (`node --import tsx`). Local mode (no MICROSOFT_APP_ID): the stub connector's
// origin, CONNECTOR_URL, is allowed as a serviceUrl, as main.ts allows its playgrounds'.
// Sends `{ type: 'ready', port: 0 }` once the scheduler runs (the bench protocol of
// test/bench/echo-bot.ts, so that one spawn helper serves both roles); stops (draining in-flight
// jobs) on SIGTERM, a `{ type: 'shutdown' }` message or when the parent goes away.
//
// Environment: what loadConfig reads (DATABASE_URL, DATABASE_SCHEMA, DATABASE_POOL_SIZE,
// REDIS_URL, REDIS_PREFIX, LOG_LEVEL), CONNECTOR_URL, and optionally WORKER_CONCURRENCY and
// MESSAGE_POLL_MS (startScheduler's concurrency and messagePollMs; production defaults if unset).
import { createSenders } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { systemClock } from '../../src/domain/time.js';
import { createLogger } from '../../src/logger.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';

const config = loadConfig();
if (!config.DATABASE_SCHEMA) throw new Error('DATABASE_SCHEMA is not set: the drill passes its schema');
if (config.teamsAuthEnabled) throw new Error('MICROSOFT_APP_ID is set: the drill runs in local mode');
const logger = createLogger({ level: config.LOG_LEVEL });
const db = createDb(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, maxConnections: config.DATABASE_POOL_SIZE });
const { senders, serviceUrls } = createSenders(config, logger);
if (process.env.CONNECTOR_URL) serviceUrls.allowLocalOrigin(process.env.CONNECTOR_URL);

const optionalInt = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};
const concurrency = optionalInt('WORKER_CONCURRENCY');
const messagePollMs = optionalInt('MESSAGE_POLL_MS');

let scheduler: Scheduler | undefined;
let closing: Promise<void> | undefined;
function shutdown(): Promise<void> {
  closing ??= (async () => {
    // Jobs in flight are drained, but a card update may wait a minute for its slot: not that long.
    setTimeout(() => process.exit(0), 10_000).unref();
    await scheduler?.stop().catch(() => undefined);
    await db.$disconnect().catch(() => undefined);
    process.exit(0);
  })();
  return closing;
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.on('disconnect', () => void shutdown());
process.on('message', (message) => {
  if ((message as { type?: string }).type === 'shutdown') void shutdown();
});

try {
  scheduler = await startScheduler({
    db,
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    senders,
    logger,
    clock: systemClock,
    ...(concurrency ? { concurrency } : {}),
    ...(messagePollMs ? { messagePollMs } : {}),
  });
  process.send?.({ type: 'ready', port: 0, rss: process.memoryUsage.rss() });
} catch (error) {
  process.send?.({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await shutdown();
}
