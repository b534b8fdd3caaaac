// The urgent path under faults (issue 22), as a deployment meets them: the bot in local mode over
// real HTTP, its PostgreSQL behind a TCP proxy the test cuts or slows (tcp-proxy.ts), a pool of
// its own for urgent turns, the turns' statement timeout, a spool on disk, and a stub Teams
// connector on loopback that keeps every call (and can be slowed per conversation).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createBot } from '../../src/app.js';
import { createMessageDelivery, dueMessages } from '../../src/channels/message-delivery.js';
import type { ChannelSender } from '../../src/channels/outbox.js';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import { createDb, TURN_LIMITS, URGENT_TURN_LIMITS, type Db } from '../../src/db/client.js';
import { DEMO_TENANT_ID, demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { systemClock } from '../../src/domain/time.js';
import { createLogger } from '../../src/logger.js';
import { listen } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { channelActivity, destroyAgent, invokeFields, messageFields, personalActivity, postActivity, type TeamsUser } from './scaled-out.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { httpRequest } from './teams-harness.js';
import { cardIn, startLimitConnector, stringsIn, type LimitConnector } from './teams-limit-connector.js';

/** The demo organisation's 24/7 line (seeds: the Emergency Bed Service). */
export const LINE_24_7 = '020 7407 7181';
export const RISK_WORDS = 'A child is being hurt right now at the address I attended';

/** The reference a kept report was given, as the person was told it. */
export const keptReference = (text: string) => /I have kept your (?:report|answer) \((K-[0-9A-F]{8})\)/.exec(text)?.[1];

export const textOf = (body: Record<string, unknown>) => [...stringsIn(body.text ?? ''), ...stringsIn(cardIn(body) ?? {})].join('\n');

/**
 * A worker's poll of due messages every `everyMs`, through the same delivery code the worker role
 * runs, so a message tried twice (by the web process and a worker) would show. Returns its stop.
 */
export function pollDueMessages(db: Db, senders: ChannelSender[], everyMs = 2_000): () => void {
  const delivery = createMessageDelivery({ db, senders, logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), clock: systemClock });
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void (async () => {
      for (const { id } of await dueMessages(db, new Date())) await delivery.deliver(id);
    })()
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, everyMs);
  return () => clearInterval(timer);
}

/** The rig serves tests and the benchmark (test/bench/urgent-bench.ts): plain checks, no test runner. */
function check(condition: boolean, problem: string): asserts condition {
  if (!condition) throw new Error(`urgent rig: ${problem}`);
}

export interface UrgentRig {
  database: TestDatabase;
  proxy: TcpProxy;
  /** The bot's main pool, through the proxy. */
  proxied: Db;
  /** The bot's pool for urgent turns, through the proxy. */
  urgentDb: Db;
  connector: LimitConnector;
  redis: Redis;
  /** The proxy in front of Redis, to cut it. */
  redisProxy: TcpProxy;
  bot: ReturnType<typeof createBot>;
  triage: string;
  spoolDir: string;
  spooled(): string[];
  user(key: string): Promise<TeamsUser>;
  /** New staff of the demo organisation, each with a Teams identity and no history with the bot. */
  newStaff(count: number): Promise<TeamsUser[]>;
  say(who: TeamsUser, text: string): ReturnType<typeof postActivity>;
  press(who: TeamsUser, verb: string, data: Record<string, unknown>): ReturnType<typeof postActivity>;
  postsTo(who: TeamsUser | string): LimitConnector['calls'];
  /** Pooled connections a cut killed fail on first use after it; used up here, so what follows runs on live ones. */
  dropDeadConnections(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The bot of a web process in local mode (no Microsoft credentials) on the given pools and Redis,
 * with a spool directory and a Redis prefix of its own (named after `name`).
 */
function webProcessBot(pools: { db: Db; urgentDb: Db; redis: Redis }, name: string, slack: { SLACK_SIGNING_SECRET?: string; SLACK_BOT_TOKEN?: string } = {}) {
  const spoolDir = mkdtempSync(path.join(tmpdir(), `sg-${name}-spool-`));
  const bot = createBot({
    config: {
      MICROSOFT_APP_ID: undefined,
      MICROSOFT_APP_PASSWORD: undefined,
      MICROSOFT_APP_TYPE: 'MultiTenant',
      MICROSOFT_APP_TENANT_ID: undefined,
      REDIS_PREFIX: `${name}-${randomBytes(4).toString('hex')}`,
      URGENT_SPOOL_DIR: spoolDir,
      ...slack,
    },
    ...pools,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock: systemClock,
  });
  return { bot, spoolDir };
}

export async function startUrgentRig(options: { triage: string; mainPool?: number }): Promise<UrgentRig> {
  const database = await createTestDatabase();
  await seedDemoOrganisation(database.db);
  const target = new URL(database.databaseUrl);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const proxiedUrl = `${proxy.url('postgresql')}${target.pathname}`.replace('postgresql://', `postgresql://${target.username}${target.password ? `:${target.password}` : ''}@`);
  // As a web process has them (main.ts): the turns' limits on the main pool, and two connections for urgent turns.
  const proxied = createDb(proxiedUrl, { schema: database.schema, maxConnections: options.mainPool ?? 5, ...TURN_LIMITS });
  const urgentDb = createDb(proxiedUrl, { schema: database.schema, maxConnections: 2, ...URGENT_TURN_LIMITS });
  const connector = await startLimitConnector({ perConversation: 100, perTenant: 1000, windowMs: 1000 });
  const redisTarget = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  const redisProxy = await startTcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port || 6379) });
  const redis = new Redis(redisProxy.url('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // a cut is the point of the proxy
  const { bot, spoolDir } = webProcessBot({ db: proxied, urgentDb, redis }, 'urgent');
  bot.serviceUrls.allowLocalOrigin(connector.url);
  const server: Server = await listen(bot.app, 0, '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  check(await bot.urgentCopy.refresh(), 'the urgent copy did not load');

  const user = async (key: string): Promise<TeamsUser> => {
    const p = demoPerson(key);
    const person = await database.db.person.findFirstOrThrow({ where: { email: p.email } });
    return { personId: person.id, aadObjectId: p.aadObjectId, name: p.name, conversationId: `a:urgent-${p.aadObjectId}` };
  };
  const admin = await user('admin');
  const bind = await postActivity(port, channelActivity(admin, connector.url, DEMO_TENANT_ID, options.triage, 'bind-1', messageFields('<at>SG Supervision</at> bind triage')));
  check(bind.status === 200, `bind triage answered ${bind.status}`);

  return {
    database,
    proxy,
    proxied,
    urgentDb,
    connector,
    redis,
    redisProxy,
    bot,
    triage: options.triage,
    spoolDir,
    spooled: () => readdirSync(spoolDir).filter((name) => name.endsWith('.json')),
    user,
    async newStaff(count) {
      const organisation = await database.db.organisation.findFirstOrThrow();
      const people: TeamsUser[] = [];
      for (let i = 0; i < count; i += 1) {
        const aadObjectId = randomUUID();
        const person = await database.db.person.create({
          data: { organisationId: organisation.id, name: `Crew ${aadObjectId.slice(0, 6)}`, email: `crew-${aadObjectId}@example.nhs.uk`, roles: ['STAFF'] },
        });
        await database.db.platformIdentity.create({ data: { personId: person.id, platform: 'TEAMS', tenantId: DEMO_TENANT_ID, platformUserId: aadObjectId } });
        people.push({ personId: person.id, aadObjectId, name: person.name, conversationId: `a:crew-${aadObjectId}` });
      }
      return people;
    },
    say: (who, text) => postActivity(port, personalActivity(who, connector.url, DEMO_TENANT_ID, messageFields(text))),
    press: (who, verb, data) => postActivity(port, personalActivity(who, connector.url, DEMO_TENANT_ID, invokeFields(verb, data))),
    postsTo: (who) => connector.calls.filter((c) => c.method === 'POST' && c.conversationId === (typeof who === 'string' ? who : who.conversationId)),
    async dropDeadConnections() {
      await Promise.all(Array.from({ length: 5 }, () => proxied.$queryRaw`SELECT 1`.catch(() => undefined)));
      await Promise.all(Array.from({ length: 2 }, () => urgentDb.$queryRaw`SELECT 1`.catch(() => undefined)));
    },
    async stop() {
      bot.urgentCopy.stop();
      bot.spoolReplay?.stop();
      await bot.outbox.settled();
      rmSync(spoolDir, { recursive: true, force: true });
      await new Promise((resolve) => server.close(resolve));
      destroyAgent();
      await connector.close();
      redis.disconnect();
      await Promise.all([proxied.$disconnect().catch(() => undefined), urgentDb.$disconnect().catch(() => undefined)]);
      await proxy.close();
      await redisProxy.close();
      await database.drop();
    },
  };
}

/** A Slack user of the workspace and their DM with the bot. */
export interface SlackDmUser {
  userId: string;
  dm: string;
}

/** A second web process beside the rig's, serving Slack: the same pools, Redis and limits, a spool of its own. */
export interface SlackWeb {
  bot: ReturnType<typeof createBot>;
  spoolDir: string;
  spooled(): string[];
  /** Posts `body` to /slack/events signed with the signing secret, as Slack does; answers the status. */
  signed(body: string, contentType: string): Promise<number>;
  /** `who` types `text` in their DM with the bot (a message event); answers the status. */
  say(who: SlackDmUser, text: string): Promise<number>;
  /** `who` presses Yes on the risk question in their DM (block_actions); answers the status. */
  pressYes(who: SlackDmUser): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Slack's Web API is the caller's to intercept (nock); the organisation's slackTeamId must be
 * `team` first.
 */
export async function startSlackWeb(rig: UrgentRig, options: { secret: string; team: string }): Promise<SlackWeb> {
  const { bot, spoolDir } = webProcessBot({ db: rig.proxied, urgentDb: rig.urgentDb, redis: rig.redis }, 'urgent-slack', {
    SLACK_SIGNING_SECRET: options.secret,
    SLACK_BOT_TOKEN: 'xoxb-urgent',
  });
  const server: Server = await listen(bot.app, 0, '127.0.0.1');
  const eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  check(await bot.urgentCopy.refresh(), 'the urgent copy did not load');
  const team = options.team;
  const signed = async (body: string, contentType: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${signSlackBody(options.secret, timestamp, body)}`;
    return (await httpRequest(eventsUrl, 'POST', body, { 'content-type': contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature })).status;
  };
  return {
    bot,
    spoolDir,
    spooled: () => readdirSync(spoolDir).filter((name) => name.endsWith('.json')),
    signed,
    say: (who, text) =>
      signed(
        JSON.stringify({
          type: 'event_callback',
          team_id: team,
          api_app_id: 'A0URGENTRIG',
          event_id: `Ev${randomBytes(6).toString('hex')}`,
          event_time: Math.floor(Date.now() / 1000),
          event: { type: 'message', channel_type: 'im', channel: who.dm, user: who.userId, text, ts: `${Date.now() / 1000}` },
        }),
        'application/json',
      ),
    pressYes: (who) =>
      signed(
        `payload=${encodeURIComponent(
          JSON.stringify({
            type: 'block_actions',
            team: { id: team },
            user: { id: who.userId, team_id: team, username: 'crew' },
            channel: { id: who.dm },
            message: { ts: '1795000000.000100', type: 'message' },
            trigger_id: `trigger-${randomBytes(4).toString('hex')}`,
            actions: [{ type: 'button', action_id: 'intake.risk#1', block_id: 'actions', value: JSON.stringify({ answer: 'yes' }), action_ts: '1' }],
          }),
        )}`,
        'application/x-www-form-urlencoded',
      ),
    async stop() {
      bot.urgentCopy.stop();
      bot.spoolReplay?.stop();
      await bot.slack?.settled();
      await bot.outbox.settled();
      rmSync(spoolDir, { recursive: true, force: true });
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Locks `table` from a connection of its own, as another transaction holding it would; returns the release. */
export async function lockTable(database: TestDatabase, table: string): Promise<() => Promise<void>> {
  const locker = new pg.Client({ connectionString: database.databaseUrl });
  await locker.connect();
  await locker.query(`SET search_path = "${database.schema}"`);
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await locker.query('COMMIT');
    await locker.end();
  };
}
