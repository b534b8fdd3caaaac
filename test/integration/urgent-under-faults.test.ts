// Urgent help when PostgreSQL is down or slow (issue 22, deliverable 1): a paramedic who presses
// "Yes, someone is at risk now", or types that someone is being hurt, gets their organisation's
// own routes (the 24/7 line, not only 999) in the turn's own answer, from the copy every web
// process holds, and is told the truth: nothing recorded when the database failed; recording,
// and a word when the team is alerted, when it is slow.
//
// The bot in local mode over real HTTP, its PostgreSQL behind a TCP proxy (test/support/tcp-proxy.ts)
// the test cuts and slows, and a stub Teams connector on loopback that keeps every call.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../src/app.js';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import { createDb, type Db } from '../../src/db/client.js';
import { DEMO_TENANT_ID, demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { systemClock } from '../../src/domain/time.js';
import { URGENT_FAULT_TEXT, URGENT_SLOW_TEXT } from '../../src/flows/urgent-turn.js';
import { createLogger } from '../../src/logger.js';
import { listen } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { channelActivity, destroyAgent, invokeFields, messageFields, personalActivity, postActivity, type TeamsUser } from '../support/scaled-out.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { httpRequest } from '../support/teams-harness.js';
import { cardIn, startLimitConnector, stringsIn, type LimitConnector } from '../support/teams-limit-connector.js';

const TRIAGE = '19:urgent-faults@thread.tacv2';
/** The demo organisation's 24/7 line (seeds: the Emergency Bed Service). */
const LINE_24_7 = '020 7407 7181';
const RISK_WORDS = 'A child is being hurt right now at the address I attended';

let database: TestDatabase;
let proxy: TcpProxy;
let proxied: Db;
let connector: LimitConnector;
let redis: Redis;
let server: Server;
let port = 0;
let bot: ReturnType<typeof createBot>;

async function user(key: string): Promise<TeamsUser> {
  const p = demoPerson(key);
  const person = await database.db.person.findFirstOrThrow({ where: { email: p.email } });
  return { personId: person.id, aadObjectId: p.aadObjectId, name: p.name, conversationId: `a:urgent-${p.aadObjectId}` };
}
const say = (who: TeamsUser, text: string) => postActivity(port, personalActivity(who, connector.url, DEMO_TENANT_ID, messageFields(text)));
const press = (who: TeamsUser, verb: string, data: Record<string, unknown>) => postActivity(port, personalActivity(who, connector.url, DEMO_TENANT_ID, invokeFields(verb, data)));
const textOf = (body: Record<string, unknown>) => [...stringsIn(body.text ?? ''), ...stringsIn(cardIn(body) ?? {})].join('\n');
const postsTo = (who: TeamsUser) => connector.calls.filter((c) => c.method === 'POST' && c.conversationId === who.conversationId);

async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoOrganisation(database.db);
  const target = new URL(database.databaseUrl);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  proxied = createDb(`${proxy.url('postgresql')}${target.pathname}`.replace('postgresql://', `postgresql://${target.username}${target.password ? `:${target.password}` : ''}@`), {
    schema: database.schema,
    maxConnections: 5,
  });
  connector = await startLimitConnector({ perConversation: 100, perTenant: 1000, windowMs: 1000 });
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  bot = createBot({
    config: { MICROSOFT_APP_ID: undefined, MICROSOFT_APP_PASSWORD: undefined, MICROSOFT_APP_TYPE: 'MultiTenant', MICROSOFT_APP_TENANT_ID: undefined, REDIS_PREFIX: `urgent-${randomBytes(4).toString('hex')}` },
    db: proxied,
    redis,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock: systemClock,
  });
  bot.serviceUrls.allowLocalOrigin(connector.url);
  server = await listen(bot.app, 0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
  expect(await bot.urgentCopy.refresh()).toBe(true);
  const admin = await user('admin');
  const bind = await postActivity(port, channelActivity(admin, connector.url, DEMO_TENANT_ID, TRIAGE, 'bind-1', messageFields('<at>SG Supervision</at> bind triage')));
  expect(bind.status).toBe(200);
});

afterAll(async () => {
  bot?.urgentCopy.stop();
  await bot?.outbox.settled();
  await new Promise((resolve) => server?.close(resolve));
  destroyAgent();
  await connector?.close();
  redis?.disconnect();
  await proxied?.$disconnect().catch(() => undefined);
  await proxy?.close();
  await database?.drop();
});

describe('PostgreSQL cut', () => {
  it('the "Yes" button is answered with the organisation\'s own routes and the truth, in the invoke answer', async () => {
    const paramedic = await user('paramedic');
    expect((await say(paramedic, 'hello')).status).toBe(200); // the risk question is asked while the database answers
    await bot.outbox.settled();
    proxy.cut();
    try {
      const answer = await press(paramedic, 'intake.risk', { answer: 'yes' });
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(5_000);
      expect(answer.text).toContain(LINE_24_7);
      expect(answer.text).toContain('999');
      expect(answer.text).toContain(URGENT_FAULT_TEXT);
      expect(answer.text).not.toContain('Sorry, something went wrong');
    } finally {
      proxy.restore();
    }
    // Nothing was recorded, and the person was not told it was.
    expect(await database.db.supervisionRequest.count({ where: { requesterId: paramedic.personId } })).toBe(0);
  });

  it('words that say someone is being hurt get the routes as a message in the person\'s chat', async () => {
    const crew = await user('call-handler');
    expect((await say(crew, 'help')).status).toBe(200);
    await bot.outbox.settled();
    const before = postsTo(crew).length;
    proxy.cut();
    try {
      expect((await say(crew, RISK_WORDS)).status).toBe(200);
    } finally {
      proxy.restore();
    }
    const after = postsTo(crew).slice(before).map((c) => textOf(c.body));
    expect(after).toHaveLength(1);
    expect(after[0]).toContain(LINE_24_7);
    expect(after[0]).toContain(URGENT_FAULT_TEXT);
  });
});

describe('PostgreSQL slow', () => {
  it('the routes are given at the budget, the turn goes on, and the person hears when the team is alerted', async () => {
    const crew = await user('ebs');
    expect((await say(crew, 'hello')).status).toBe(200);
    await bot.outbox.settled();
    const before = postsTo(crew).length;
    proxy.delay(2_500);
    let answer;
    try {
      answer = await press(crew, 'intake.risk', { answer: 'yes' });
    } finally {
      proxy.delay(0);
    }
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(5_000);
    expect(answer.text).toContain(LINE_24_7);
    expect(answer.text).toContain(URGENT_SLOW_TEXT);
    // The turn finished once the database answered: the request recorded once, the team alerted, the person told.
    expect(await waitFor(async () => (await database.db.supervisionRequest.count({ where: { requesterId: crew.personId } })) === 1)).toBe(true);
    const request = await database.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: crew.personId } });
    expect(request).toMatchObject({ urgency: 'URGENT', immediateRisk: true });
    expect(await waitFor(() => connector.calls.some((c) => c.conversationId === TRIAGE && textOf(c.body).includes(request.reference)))).toBe(true);
    expect(await waitFor(() => postsTo(crew).slice(before).some((c) => textOf(c.body).includes(`I have alerted the safeguarding team (reference ${request.reference})`)))).toBe(true);
  });
});

describe('on Slack, PostgreSQL cut', () => {
  const TEAM = 'T0URGENT1';
  const SECRET = 'urgent-signing-secret-0123456789abcdef';
  const SLACK_API = 'https://slack.com';
  const posts: Array<{ channel: string; text: string }> = [];
  let slackBot: ReturnType<typeof createBot>;
  let slackServer: Server;
  let slackUrl = '';
  const userId = 'U0URGENT01';
  const dm = 'D0URGENT01';

  beforeAll(async () => {
    const organisation = await database.db.organisation.findFirstOrThrow();
    await database.db.organisation.update({ where: { id: organisation.id }, data: { slackTeamId: TEAM } });
    const paramedic = await database.db.person.findFirstOrThrow({ where: { email: demoPerson('paramedic').email } });
    await database.db.platformIdentity.create({ data: { personId: paramedic.id, platform: 'SLACK', tenantId: TEAM, platformUserId: userId } });
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock(SLACK_API)
      .persist()
      .post(/\/api\/.+/)
      .reply(async (req: Request) => {
        const raw = await req.text();
        const args: Record<string, unknown> = (req.headers.get('content-type') ?? '').includes('json') ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw));
        if (req.url.endsWith('chat.postMessage')) posts.push({ channel: String(args.channel), text: `${String(args.text ?? '')}\n${typeof args.blocks === 'string' ? args.blocks : JSON.stringify(args.blocks ?? '')}` });
        return [200, { ok: true, channel: args.channel, ts: `${Date.now() / 1000}` }] as const;
      });
    slackBot = createBot({
      config: {
        MICROSOFT_APP_ID: undefined,
        MICROSOFT_APP_PASSWORD: undefined,
        MICROSOFT_APP_TYPE: 'MultiTenant',
        MICROSOFT_APP_TENANT_ID: undefined,
        REDIS_PREFIX: `urgent-slack-${randomBytes(4).toString('hex')}`,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-urgent',
      },
      db: proxied,
      redis,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      clock: systemClock,
    });
    slackServer = await listen(slackBot.app, 0, '127.0.0.1');
    slackUrl = `http://127.0.0.1:${(slackServer.address() as AddressInfo).port}/slack/events`;
    expect(await slackBot.urgentCopy.refresh()).toBe(true);
  });
  afterAll(async () => {
    slackBot?.urgentCopy.stop();
    await slackBot?.slack?.settled();
    await new Promise((resolve) => slackServer?.close(resolve));
    nock.cleanAll();
    nock.enableNetConnect();
  });

  async function signed(body: string, contentType: string) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await httpRequest(slackUrl, 'POST', body, { 'content-type': contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${signSlackBody(SECRET, timestamp, body)}` });
    return response.status;
  }
  const dmEvent = (text: string) =>
    signed(
      JSON.stringify({
        type: 'event_callback',
        team_id: TEAM,
        api_app_id: 'A0URGENT',
        event_id: `Ev${randomBytes(4).toString('hex')}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'message', channel_type: 'im', channel: dm, user: userId, text, ts: `${Date.now() / 1000}` },
      }),
      'application/json',
    );
  const pressYes = () =>
    signed(
      `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'block_actions',
          team: { id: TEAM },
          user: { id: userId, team_id: TEAM, username: 'paramedic' },
          channel: { id: dm },
          message: { ts: '1795000000.000100', type: 'message' },
          trigger_id: 'trigger-urgent',
          actions: [{ type: 'button', action_id: 'intake.risk#1', block_id: 'actions', value: JSON.stringify({ answer: 'yes' }), action_ts: '1' }],
        }),
      )}`,
      'application/x-www-form-urlencoded',
    );

  it('the "Yes" button and words of risk both get the organisation\'s own routes in the DM, and the truth', async () => {
    // Closed: the paramedic's Teams request of the tests above must not stand in the way.
    await database.db.requestDraft.deleteMany({});
    expect(await dmEvent('hello')).toBe(200);
    await slackBot.slack!.settled();
    const before = posts.length;
    proxy.cut();
    try {
      expect(await pressYes()).toBe(200);
      expect(await dmEvent(RISK_WORDS)).toBe(200);
      // Both are handled after Slack's ack: the answers come while the database is still cut.
      await waitFor(() => posts.slice(before).filter((p) => p.channel === dm).length >= 2, 10_000);
      await slackBot.slack!.settled();
    } finally {
      proxy.restore();
    }
    const after = posts.slice(before).filter((p) => p.channel === dm);
    expect(after).toHaveLength(2);
    for (const post of after) {
      expect(post.text).toContain(LINE_24_7);
      expect(post.text).toContain('I could not record this just now');
    }
  });
});
