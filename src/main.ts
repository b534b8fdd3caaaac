import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import { createBot, createSenders } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDb } from './db/client.js';
import { applyMigrations, ensureDatabase } from './db/migrate.js';
import { systemClock } from './domain/time.js';
import { createLogger, type Logger } from './logger.js';
import { startLocalMode } from './local/local-mode.js';
import { listen } from './server.js';
import { startScheduler } from './scheduler/scheduler.js';

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

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  await prepareDatabase(config, logger);

  const db = createDb(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, maxConnections: config.DATABASE_POOL_SIZE });
  const redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: null, keyPrefix: undefined });
  redis.on('error', (error) => logger.warn({ err: { message: error.message } }, 'redis connection problem'));

  // Stopped in this order: local mode, HTTP server, scheduler (drains in-flight deliveries); then Redis and Prisma.
  const stops: Array<() => Promise<unknown>> = [];
  let server: Server | undefined;
  let senders = undefined as ReturnType<typeof createSenders>['senders'] | undefined;
  if (config.PROCESS_ROLE !== 'worker') {
    const bot = createBot({ config, db, redis, logger, clock: systemClock });
    senders = bot.senders;
    server = await listen(bot.app, config.PORT);
    logger.info({ port: config.PORT, teamsAuth: config.teamsAuthEnabled }, 'bot listening on /api/messages');
  }
  if (config.PROCESS_ROLE !== 'web') {
    const scheduler = await startScheduler({
      db,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      senders: senders ?? createSenders(config, logger).senders,
      logger,
      clock: systemClock,
    });
    logger.info('reminder scheduler started');
    stops.push(() => scheduler.stop());
  }
  if (server) stops.push(() => new Promise((resolve) => server!.close(resolve)));
  if (config.localMode) {
    const local = await startLocalMode({ config, db, logger });
    stops.push(local.stop);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    await db.$disconnect();
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
