import type { Redis } from 'ioredis';
import { createOutbox, type ChannelSender } from './channels/outbox.js';
import { createRateLimiter, failOpenLimiter, platformRateLimits, rateLimitSender } from './channels/rate-limit.js';
import { createSlackChannel, createSlackSender, createSlackWebClient } from './channels/slack/slack-channel.js';
import { createServiceUrlPolicy } from './channels/teams/service-url.js';
import { createTeamsAdapter, createTeamsHandler, createTeamsSender } from './channels/teams/teams-channel.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { createRoutedDb } from './db/routed-db.js';
import { pingDatabase } from './db/reachability.js';
import type { Clock } from './domain/time.js';
import { buildAppHome } from './flows/app-home.js';
import { createUrgentCopy } from './flows/urgent-copy.js';
import { createSpoolReplay } from './flows/urgent-replay.js';
import { createUrgentSpool } from './flows/urgent-spool.js';
import type { FlowDeps } from './flows/types.js';
import type { Logger } from './logger.js';
import { createApp } from './server.js';
import { createInviteRouter, createLinks } from './http/invite-route.js';
import { createExportRouter, createFileOffers } from './http/export-route.js';
import { randomBytes } from 'node:crypto';

export interface BotDeps {
  config: Pick<Config, 'MICROSOFT_APP_ID' | 'MICROSOFT_APP_PASSWORD' | 'MICROSOFT_APP_TYPE' | 'MICROSOFT_APP_TENANT_ID'> &
    Partial<Pick<Config, 'SLACK_SIGNING_SECRET' | 'SLACK_BOT_TOKEN' | 'SLACK_API_URL' | 'publicBaseUrl' | 'linkSecret' | 'REDIS_PREFIX' | 'TEAMS_TENANT_RATE_LIMIT' | 'URGENT_COPY_FILE' | 'URGENT_SPOOL_DIR'>>;
  db: Db;
  /** A small pool of its own for urgent turns (routed-db.ts); without it they share `db`'s. */
  urgentDb?: Db;
  redis: Redis;
  logger: Logger;
  clock: Clock;
}

/**
 * Which platforms this process serves. Teams: with an app id, or in local mode (no credentials
 * at all, the Agents Playground). Slack: with its signing secret and token. Local mode is the
 * only one in which tenants are not pinned and Teams requests are not authenticated.
 */
export function platformsOf(config: BotDeps['config']) {
  const slack = Boolean(config.SLACK_SIGNING_SECRET && config.SLACK_BOT_TOKEN);
  const localMode = !config.MICROSOFT_APP_ID && !config.SLACK_SIGNING_SECRET && !config.SLACK_BOT_TOKEN;
  return { teams: Boolean(config.MICROSOFT_APP_ID) || localMode, slack, localMode, tenancy: localMode ? ('local' as const) : ('pinned' as const) };
}

/**
 * The senders of the configured platforms, shared by the web role (outbox) and the worker
 * role (reminders).
 */
export function createSenders(config: BotDeps['config'], logger: Logger) {
  const platforms = platformsOf(config);
  const serviceUrls = createServiceUrlPolicy({ authenticated: Boolean(config.MICROSOFT_APP_ID) });
  const adapter = platforms.teams ? createTeamsAdapter(config) : undefined;
  const senders: ChannelSender[] = adapter ? [createTeamsSender(adapter, config.MICROSOFT_APP_ID, serviceUrls)] : [];
  const { SLACK_SIGNING_SECRET: signingSecret, SLACK_BOT_TOKEN: botToken } = config;
  const slackConfig = signingSecret && botToken ? { signingSecret, botToken, apiUrl: config.SLACK_API_URL } : undefined;
  const slackClient = slackConfig ? createSlackWebClient(slackConfig, logger) : undefined;
  if (slackClient) senders.push(createSlackSender(slackClient));
  return { adapter, senders, slackConfig, slackClient, serviceUrls, platforms };
}

/**
 * How long a web process's background first try may wait for its slot before leaving the
 * message to the workers (the person is not waiting on it; the workers would take longer).
 */
const WEB_MAX_HOLD_MS = 5_000;

/** The composition root for the web role: channels, outbox and flows wired to one HTTP app. */
export function createBot(deps: BotDeps) {
  const { adapter, senders, slackConfig, slackClient, serviceUrls, platforms } = createSenders(deps.config, deps.logger);
  // Every send from this process is paced on the same Redis keys as the workers' (rate-limit.ts);
  // a Redis outage must not stop turns, so the limiter gives way when Redis does not answer.
  const limiter = failOpenLimiter(createRateLimiter(deps.redis, { prefix: deps.config.REDIS_PREFIX ?? 'sgs', maxHoldMs: WEB_MAX_HOLD_MS }), deps.logger);
  // A card update waits for its slot at most as long as a send: the first try's lease must outlast it.
  const limits = platformRateLimits(deps.config.TEAMS_TENANT_RATE_LIMIT);
  const paced = senders.map((s) => rateLimitSender(s, limiter, limits, { updateHoldMs: WEB_MAX_HOLD_MS }));
  // Urgent turns run on their own pool: never queued behind other turns for a connection.
  const routed = deps.urgentDb ? createRoutedDb(deps.db, deps.urgentDb) : { db: deps.db, reserved: <T>(work: () => T) => work() };
  const outbox = createOutbox({ db: routed.db, senders: paced, logger: deps.logger, clock: deps.clock });
  // Tests and benchmarks may leave these out: links then point at localhost, signed with a per-process secret.
  const linkSecret = deps.config.linkSecret ?? randomBytes(32).toString('base64url');
  const links = createLinks({ baseUrl: deps.config.publicBaseUrl ?? 'http://localhost:3978', secret: linkSecret, clock: deps.clock });
  const flowDeps: FlowDeps = { db: routed.db, clock: deps.clock, outbox, logger: deps.logger, links };
  // Tests leave the file out: the copy is then held in memory only.
  const urgentCopy = createUrgentCopy({ db: deps.db, clock: deps.clock, logger: deps.logger, localMode: platforms.localMode, ...(deps.config.URGENT_COPY_FILE ? { file: deps.config.URGENT_COPY_FILE } : {}) });
  // Tests leave the directory out unless they test the spool: an urgent turn that fails is then not kept, and says so.
  const urgentSpool = deps.config.URGENT_SPOOL_DIR ? createUrgentSpool({ dir: deps.config.URGENT_SPOOL_DIR, clock: deps.clock, logger: deps.logger }) : undefined;
  const spoolReplay = urgentSpool ? replaySpoolEvery(createSpoolReplay(flowDeps, urgentSpool, platforms.tenancy), deps.logger) : undefined;
  const slack =
    slackConfig && slackClient
      ? createSlackChannel({
          config: slackConfig,
          deps: flowDeps,
          client: slackClient,
          tenancy: platforms.tenancy,
          buildHome: (personId) => buildAppHome(deps.db, personId, deps.clock.now()),
          limiter,
          limits,
          urgentCopy,
          ...(urgentSpool ? { urgentSpool } : {}),
          runUrgent: routed.reserved,
        })
      : undefined;
  const app = createApp({
    logger: deps.logger,
    ...(adapter
      ? {
          teams: createTeamsHandler(adapter, flowDeps, {
            serviceUrls,
            tenancy: platforms.tenancy,
            limiter,
            limits,
            urgentCopy,
            ...(urgentSpool ? { urgentSpool } : {}),
            runUrgent: routed.reserved,
            files: createFileOffers({ db: deps.db, secret: linkSecret, baseUrl: deps.config.publicBaseUrl ?? 'http://localhost:3978', clock: deps.clock }),
          }),
        }
      : {}),
    routers: [
      createInviteRouter({ db: deps.db, secret: linkSecret, clock: deps.clock }),
      createExportRouter({ db: deps.db, secret: linkSecret, clock: deps.clock }),
      ...(slack ? [slack.router] : []),
    ],
    readiness: {
      postgres: () => pingDatabase(deps.db),
      redis: async () => {
        const answer: string = await deps.redis.ping();
        if (answer !== 'PONG') throw new Error(`unexpected answer ${answer}`);
      },
    },
  });
  return { app, adapter, outbox, flowDeps, slack, senders, serviceUrls, platforms, urgentCopy, urgentSpool, spoolReplay };
}

/** How often a web process looks for kept urgent reports to replay (a directory listing when there are none). */
const SPOOL_REPLAY_EVERY_MS = 5_000;

/** Replays the spool now and every few seconds, until stopped. */
function replaySpoolEvery(replay: ReturnType<typeof createSpoolReplay>, logger: Logger) {
  const run = () =>
    replay.replay().catch((error: unknown) => {
      logger.warn({ err: { name: (error as Error)?.name } }, 'urgent spool replay failed: tried again shortly');
      return { replayed: 0, held: 0, waiting: -1 };
    });
  const timer = setInterval(() => void run(), SPOOL_REPLAY_EVERY_MS);
  timer.unref();
  void run();
  return {
    /** Replays now, without waiting for the timer (tests). */
    now: run,
    stop: () => clearInterval(timer),
  };
}
