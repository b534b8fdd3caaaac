import type { Redis } from 'ioredis';
import { createOutbox } from './channels/outbox.js';
import { createTeamsAdapter, createTeamsHandler, createTeamsSender } from './channels/teams/teams-channel.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Clock } from './domain/time.js';
import type { FlowDeps } from './flows/types.js';
import type { Logger } from './logger.js';
import { createApp } from './server.js';

export interface BotDeps {
  config: Pick<Config, 'MICROSOFT_APP_ID' | 'MICROSOFT_APP_PASSWORD' | 'MICROSOFT_APP_TYPE' | 'MICROSOFT_APP_TENANT_ID'>;
  db: Db;
  redis: Redis;
  logger: Logger;
  clock: Clock;
}

/** The composition root for the web role: channels, outbox and flows wired to one HTTP app. */
export function createBot(deps: BotDeps) {
  const adapter = createTeamsAdapter(deps.config);
  const teamsSender = createTeamsSender(adapter, deps.config.MICROSOFT_APP_ID);
  const outbox = createOutbox({ db: deps.db, senders: [teamsSender], logger: deps.logger });
  const flowDeps: FlowDeps = { db: deps.db, clock: deps.clock, outbox, logger: deps.logger };
  const app = createApp({
    logger: deps.logger,
    teams: createTeamsHandler(adapter, flowDeps),
    readiness: {
      postgres: async () => {
        await deps.db.$queryRaw`SELECT 1`;
      },
      redis: async () => {
        const answer = await deps.redis.ping();
        if (answer !== 'PONG') throw new Error(`unexpected answer ${answer}`);
      },
    },
  });
  return { app, adapter, outbox, flowDeps };
}
