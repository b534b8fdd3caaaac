import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import { createBot, createSenders } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDb, TURN_LIMITS, URGENT_TURN_LIMITS, type Db } from './db/client.js';
import { applyMigrations, ensureDatabase } from './db/migrate.js';
import { isUnreachable } from './db/reachability.js';
import { systemClock } from './domain/time.js';
import { createLogger, onceAMinute, type Logger } from './logger.js';
import { startLocalMode } from './local/local-mode.js';
import { listen } from './server.js';
import { connectionOf, startScheduler } from './scheduler/scheduler.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { assertOrganisationSettingsValid } from './db/check-organisation-settings.js';
import { assertTenantsPinned } from './db/organisation-platforms.js';
import { assertContactsReachable, describeContactProblems, findUnreachableContacts } from './db/check-organisation-contacts.js';
import { startMetricsServer } from './http/metrics-route.js';
import { withOperationsRoutes } from './http/operations.js';
import { startExportFilePurge } from './http/export-route.js';
import { createSchedulerMetrics } from './scheduler/metrics.js';
import { createReminderQueue } from './scheduler/queue.js';
import { platformRateLimits } from './channels/rate-limit.js';
import { startRetentionJob } from './scheduler/retention-job.js';

/** A stop must end within this, whatever is down (orchestrators kill at about 10 s after SIGTERM). */
const SHUTDOWN_DEADLINE_MS = 8_000;

async function prepareDatabase(config: Config, logger: Logger): Promise<void> {
  if (config.localMode && (await ensureDatabase(config.DATABASE_URL))) logger.info('created the local database');
  if (config.MIGRATE_ON_START) {
    const { applied } = await applyMigrations(config.DATABASE_URL, {
      schema: config.DATABASE_SCHEMA,
      log: (line) => logger.info(line),
    });
    logger.info({ applied: applied.length }, 'database migrations up to date');
  }
}

/** The checks a start makes of what PostgreSQL holds; a ConfigError names what to fix. */
async function checkOrganisations(config: Config, db: Db, logger: Logger): Promise<void> {
  await assertOrganisationSettingsValid(db);
  if (!config.localMode) {
    await assertTenantsPinned(db, { teams: config.teamsAuthEnabled, slack: Boolean(config.SLACK_SIGNING_SECRET) });
    await assertContactsReachable(db);
  } else {
    // A playground database seeded before staff-support contacts needed a way to reach them: said, not fatal.
    const unreachable = describeContactProblems(await findUnreachableContacts(db)).map((line) => line.trim());
    if (unreachable.length > 0) logger.warn({ contacts: unreachable }, 'staff-support contacts without a phone number, email or link: people are given no way to reach them');
  }
}

/** Connections each web process keeps for urgent turns alone. */
const URGENT_POOL_SIZE = 2;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  // A web process's turns run with the turns' limits (client.ts); the worker's jobs without.
  const db = createDb(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, maxConnections: config.DATABASE_POOL_SIZE, ...(config.PROCESS_ROLE === 'web' ? TURN_LIMITS : {}) });
  const serving = config.PROCESS_ROLE !== 'worker';
  // Role "all": the turns get a pool of their own, with the turns' limits.
  const turnDb = config.PROCESS_ROLE === 'all' ? createDb(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, maxConnections: config.DATABASE_POOL_SIZE, ...TURN_LIMITS }) : db;
  // Two connections kept for urgent turns (routed-db.ts).
  const urgentDb = serving ? createDb(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, maxConnections: URGENT_POOL_SIZE, ...URGENT_TURN_LIMITS }) : undefined;
  const prepare = async () => {
    await prepareDatabase(config, logger);
    await checkOrganisations(config, db, logger);
  };
  try {
    await prepare();
  } catch (error) {
    // A web process whose PostgreSQL does not answer still starts (issue 22): it gives people at
    // risk their organisation's routes from the last-known copy, and /readyz says it is not ready
    // for the rest. The start's checks run as soon as PostgreSQL answers; if they fail then, it stops.
    if (error instanceof ConfigError || config.PROCESS_ROLE !== 'web' || config.localMode || !isUnreachable(error)) throw error;
    logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code } }, 'PostgreSQL unreachable at start: serving urgent routes from the last-known copy, not ready until it answers');
    let trying = false;
    const retry = setInterval(() => {
      if (trying) return;
      trying = true;
      void prepare().finally(() => (trying = false)).then(
        () => {
          clearInterval(retry);
          logger.info('PostgreSQL answers: the start checks passed');
        },
        (later: unknown) => {
          if (!(later instanceof ConfigError) && isUnreachable(later)) return;
          clearInterval(retry);
          logger.fatal({ err: { name: (later as Error)?.name } }, later instanceof ConfigError ? later.message : 'the start checks failed once PostgreSQL answered');
          process.exit(1);
        },
      );
    }, 10_000);
    retry.unref();
  }
  // One metrics registry per process: process metrics, and the scheduler's where it runs.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: null, keyPrefix: undefined });
  redis.on('error', onceAMinute(logger, 'redis connection problem'));

  // Stopped in this order: local mode, HTTP server, scheduler (drains in-flight deliveries); then Redis and Prisma.
  const stops: Array<() => Promise<unknown>> = [];
  let server: Server | undefined;
  let senders = undefined as ReturnType<typeof createSenders>['senders'] | undefined;
  let serviceUrls = undefined as ReturnType<typeof createSenders>['serviceUrls'] | undefined;
  if (config.PROCESS_ROLE !== 'worker') {
    const bot = createBot({ config, db: turnDb, ...(urgentDb ? { urgentDb } : {}), redis, logger, clock: systemClock });
    senders = bot.senders;
    serviceUrls = bot.serviceUrls;
    // The dashboard reads the reminder queue through a Queue of its own (web processes run no scheduler).
    const dashboardQueue =
      config.ADMIN_DASHBOARD_USER && config.ADMIN_DASHBOARD_PASSWORD
        ? createReminderQueue({ connection: connectionOf(config.REDIS_URL), prefix: config.REDIS_PREFIX })
        : undefined;
    dashboardQueue?.on('error', onceAMinute(logger, 'dashboard queue redis connection problem'));
    if (dashboardQueue) stops.push(() => dashboardQueue.close());
    const web = withOperationsRoutes(bot.app, {
      metrics: { registry, token: config.METRICS_TOKEN },
      dashboard: dashboardQueue && { queues: [dashboardQueue], user: config.ADMIN_DASHBOARD_USER!, password: config.ADMIN_DASHBOARD_PASSWORD!, logger },
    });
    // Local mode answers without authentication: only this machine may reach it.
    server = await listen(web, config.PORT, config.localMode ? '127.0.0.1' : '0.0.0.0');
    // Stopped after the server (in reverse order): first tries already started end before the exit.
    stops.push(async () => {
      bot.spoolReplay?.stop();
      bot.urgentCopy.stop();
      await bot.slack?.settled();
      await bot.outbox.settled();
    });
    stops.push(startExportFilePurge({ db, clock: systemClock, logger }));
    logger.info({ port: config.PORT, teams: bot.platforms.teams, slack: bot.platforms.slack, teamsAuth: config.teamsAuthEnabled }, 'bot listening');
  }
  if (config.PROCESS_ROLE !== 'web') {
    const scheduler = await startScheduler({
      db,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      senders: senders ?? createSenders(config, logger).senders,
      logger,
      clock: systemClock,
      metrics: createSchedulerMetrics(registry),
      rateLimits: { limits: platformRateLimits(config.TEAMS_TENANT_RATE_LIMIT) },
    });
    logger.info('reminder scheduler started');
    stops.push(() => scheduler.stop());
    const retention = startRetentionJob({ db, clock: systemClock, logger });
    stops.push(() => retention.stop());
  }
  if (server) stops.push(() => new Promise((resolve) => server.close(resolve)));
  if (config.METRICS_PORT) {
    const metricsServer = await startMetricsServer({ registry, token: config.METRICS_TOKEN, port: config.METRICS_PORT, host: config.METRICS_HOST });
    logger.info({ port: config.METRICS_PORT, host: config.METRICS_HOST }, 'metrics listening on /metrics');
    stops.push(() => new Promise((resolve) => metricsServer.close(resolve)));
  }
  if (config.localMode) {
    const local = await startLocalMode({ config, db, logger, ...(serviceUrls ? { serviceUrls } : {}) });
    stops.push(local.stop);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // With Redis or PostgreSQL down a clean stop can wait for ever (queued commands, a pool that
    // cannot connect): past the deadline the process exits anyway. What it had not finished is
    // in PostgreSQL (message rows, reminders) for the next process.
    setTimeout(() => {
      logger.warn({ signal, deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline reached: exiting without waiting further');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    await Promise.all([db, turnDb, urgentDb].map(async (client) => client?.$disconnect()));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('The bot could not start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
