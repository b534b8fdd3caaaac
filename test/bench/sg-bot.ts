// Our bot as production starts it (src/main.ts): configuration from the environment,
// a Prisma client with the configured pool size, Redis, pino at the configured level,
// createBot() and listen(). Only the local-mode playground is left out: it is not part
// of a turn.
//
// Run by test/bench/run.ts (teams-bench.ts, and slack-bench.ts with SLACK_* set so that
// Slack is mounted too) and, as the web role, by the scaled-out drill
// (test/drills/scaled-out-delivery.test.ts, via test/support/scaled-out.ts), as a child process
// with an IPC channel. The runner owns
// the database schema (created with createTestDatabase(), seeded, with the bench people
// added) and passes it as DATABASE_SCHEMA, so the schema is dropped even if this process
// dies. Teams authentication is off (no MICROSOFT_APP_ID), as it is for the echo bot.

import { Redis } from 'ioredis';
import { createBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { systemClock } from '../../src/domain/time.js';
import { createLogger } from '../../src/logger.js';
import { listen } from '../../src/server.js';
import { closeServer, runBenchChild } from './echo-bot.js';

void runBenchChild('sg-bot', async () => {
  const config = loadConfig();
  if (!config.DATABASE_SCHEMA) throw new Error('DATABASE_SCHEMA is not set: the bench runner passes the bench schema');
  if (config.teamsAuthEnabled) throw new Error('MICROSOFT_APP_ID is set: the bench runs without Teams authentication');

  const logger = createLogger({ level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, maxConnections: config.DATABASE_POOL_SIZE });
  const redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: null, keyPrefix: undefined });
  redis.on('error', (error) => logger.warn({ err: { message: error.message } }, 'redis connection problem'));

  const bot = createBot({ config, db, redis, logger, clock: systemClock });
  // Local mode answers only activities from connectors it registered (main.ts: its playgrounds).
  if (process.env.BENCH_CONNECTOR_URL && bot.platforms.localMode) bot.serviceUrls.allowLocalOrigin(process.env.BENCH_CONNECTOR_URL);
  const server = await listen(bot.app, 0, '127.0.0.1');
  logger.info(
    { schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE, slack: Boolean(bot.slack) },
    bot.slack ? 'bench: bot listening on /api/messages and /slack/events' : 'bench: bot listening on /api/messages',
  );

  return {
    server,
    async close() {
      await closeServer(server);
      await redis.quit().catch(() => undefined);
      await db.$disconnect();
    },
  };
});
