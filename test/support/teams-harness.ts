import { randomBytes } from 'node:crypto';
// A running bot on a real HTTP port with a real, migrated PostgreSQL schema and the demo
// organisation, Redis for readiness, and the Teams connector intercepted by nock. Tests
// post real activities and read back exactly what the bot sent to the connector.
import nock from 'nock';
import http from 'node:http';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createBot } from '../../src/app.js';
import type { ChannelSender } from '../../src/channels/outbox.js';
import { demoPerson, DEMO_TENANT_ID } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { listen } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/**
 * The connector Teams activities name as their serviceUrl, intercepted by nock. Without an app
 * id (local mode) the bot only calls a loopback origin it was told about; with one, only a Bot
 * Framework host (src/channels/teams/service-url.ts).
 */
export const SERVICE_URL = 'http://127.0.0.1:47010';
export const BOT_FRAMEWORK_SERVICE_URL = 'https://smba.trafficmanager.net/uk/';
export const TRIAGE_CHANNEL = '19:triage@thread.tacv2';
export const BOT = { id: '28:sg-supervision-bot', name: 'SG Supervision' };

export interface ConnectorCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** A settable clock: tests decide what "now" is. */
export class TestClock {
  constructor(public current: Date) {}
  now() {
    return new Date(this.current);
  }
  advance(minutes: number) {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}

export interface TeamsHarness {
  url: string;
  /** The serviceUrl of this harness's activities: SERVICE_URL, or the Bot Framework one with an app id. */
  serviceUrl: string;
  database: TestDatabase;
  organisationId: string;
  clock: TestClock;
  calls: ConnectorCall[];
  /** What getMember answers for a `from.id`; unknown ids get 404. */
  members: Map<string, { email?: string; userPrincipalName?: string; aadObjectId?: string; name?: string }>;
  /** Calls made since the last `take()`, and forget them. */
  take(): ConnectorCall[];
  /** The platform senders of the bot under test (for a worker run by the test). */
  senders: ChannelSender[];
  /** This harness's Redis key prefix (the shared limiter's keys). */
  redisPrefix: string;
  /**
   * A connector fault: while set, activity posts and updates it matches are answered 503 (and
   * counted in `refused`, not in `calls`). Null restores the connector.
   */
  refuse(match: ((call: { method: string; path: string }) => boolean) | null): void;
  refused: Array<{ method: string; path: string }>;
  /**
   * A slow connector: while set, activity posts and updates it matches are answered only when
   * the returned release() is called. Turns do not wait for the held calls' background tries.
   */
  hold(match: (call: { method: string; path: string }) => boolean): { release(): void; held(): number };
  /** The next `count` activity posts or updates are answered 429 with Retry-After: 1 (counted in `refused`). */
  throttleNext(count: number): void;
  /** Resolves when every background first try started so far has ended. */
  settled(): Promise<void>;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  message(personKey: string, text: string, conversation?: 'personal' | 'channel'): Promise<{ status: number; body: any }>;
  action(personKey: string, verb: string, data: Record<string, unknown>, conversation?: 'personal' | 'channel'): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

let activitySeq = 0;

export function personalConversationId(personKey: string) {
  return `a:personal-${demoPerson(personKey).aadObjectId}`;
}

export function activityFrom(personKey: string, conversation: 'personal' | 'channel', fields: Record<string, unknown>) {
  const person = demoPerson(personKey);
  activitySeq += 1;
  return {
    id: `in-${activitySeq}`,
    channelId: 'msteams',
    serviceUrl: SERVICE_URL,
    timestamp: new Date().toISOString(),
    from: { id: `29:${person.aadObjectId}`, aadObjectId: person.aadObjectId, name: person.name },
    recipient: BOT,
    conversation:
      conversation === 'personal'
        ? { id: personalConversationId(personKey), conversationType: 'personal', tenantId: DEMO_TENANT_ID }
        : { id: `${TRIAGE_CHANNEL};messageid=${activitySeq}`, conversationType: 'channel', isGroup: true, tenantId: DEMO_TENANT_ID },
    channelData:
      conversation === 'personal'
        ? { tenant: { id: DEMO_TENANT_ID } }
        : { tenant: { id: DEMO_TENANT_ID }, channel: { id: TRIAGE_CHANNEL, name: 'Safeguarding triage' }, team: { id: '19:team@thread.tacv2' } },
    ...fields,
  };
}

export async function startTeamsHarness(options: { now?: Date; appId?: string; appPassword?: string; logger?: Logger; redisUrl?: string } = {}): Promise<TeamsHarness> {
  const database = await createTestDatabase();
  const clock = new TestClock(options.now ?? new Date('2026-11-23T10:00:00Z'));
  const { organisationId } = await seedDemoOrganisation(database.db, { clock });
  // With an app id tenants are pinned: the demo organisation records the playground's tenant.
  if (options.appId) await database.db.organisation.update({ where: { id: organisationId }, data: { teamsTenantId: DEMO_TENANT_ID } });
  const serviceUrl = options.appId ? BOT_FRAMEWORK_SERVICE_URL : SERVICE_URL;
  const redis = new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // a test of Redis being down sees it in the bot's behaviour, not as an unhandled event
  const logger = options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const redisPrefix = `test-${randomBytes(6).toString('hex')}`;
  const bot = createBot({
    config: {
      MICROSOFT_APP_ID: options.appId,
      MICROSOFT_APP_PASSWORD: options.appPassword,
      MICROSOFT_APP_TYPE: 'MultiTenant',
      MICROSOFT_APP_TENANT_ID: undefined,
      // Sends are paced on Redis keys of this harness's own: parallel tests share the conversation ids.
      REDIS_PREFIX: redisPrefix,
    },
    db: database.db,
    redis,
    logger,
    clock,
  });
  if (!options.appId) bot.serviceUrls.allowLocalOrigin(SERVICE_URL);
  const server: Server = await listen(bot.app, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  const calls: ConnectorCall[] = [];
  const members = new Map<string, { email?: string; userPrincipalName?: string; aadObjectId?: string; name?: string }>();
  let outSeq = 0;
  let refusing: ((call: { method: string; path: string }) => boolean) | null = null;
  const refused: Array<{ method: string; path: string }> = [];
  let throttling = 0;
  let holding: { match: (call: { method: string; path: string }) => boolean; gate: Promise<void>; count: number } | null = null;
  const record = (method: string) => async (req: Request) => {
    const text = await req.text();
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    if (holding?.match({ method, path })) {
      holding.count += 1;
      await holding.gate;
    }
    if (refusing?.({ method, path })) {
      refused.push({ method, path });
      return [503, { error: { code: 'ServiceUnavailable' } }] as const;
    }
    if (throttling > 0) {
      throttling -= 1;
      refused.push({ method, path });
      return [429, { error: { code: 'TooManyRequests' } }, { 'Retry-After': '1' }] as const;
    }
    calls.push({ method, path: decodeURIComponent(url.pathname), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
    outSeq += 1;
    return [200, { id: `out-${outSeq}` }] as const;
  };
  const scope = nock(serviceUrl).persist();
  scope.post(/\/v3\/conversations\/.*\/activities.*/).reply(record('POST'));
  scope.put(/\/v3\/conversations\/.*\/activities\/.*/).reply(record('PUT'));
  // TeamsInfo.getMember: what Teams knows of a user (by `from.id`), as the test sets it.
  scope.get(/\/v3\/conversations\/.*\/members\/.*/).reply((req: Request) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const memberId = path.split('/members/')[1] ?? '';
    calls.push({ method: 'GET', path, body: {} });
    const member = members.get(memberId);
    if (member) return [200, { id: memberId, ...member }] as const;
    return [404, { error: { code: 'MemberNotFoundInConversation' } }] as const;
  });

  let taken = 0;
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await httpRequest(`${url}/api/messages`, 'POST', typeof body === 'string' ? body : JSON.stringify(body), {
      'content-type': 'application/json',
      ...headers,
    });
    // The turn's other messages are tried in the background: wait for those tries explicitly
    // (not while the test holds the connector: it checks what happens before they end).
    if (!holding) await bot.outbox.settled();
    let parsed: unknown = response.text;
    try {
      parsed = response.text ? JSON.parse(response.text) : undefined;
    } catch {
      // keep the raw text
    }
    return { status: response.status, body: parsed as any };
  };

  return {
    url,
    serviceUrl,
    database,
    organisationId,
    clock,
    calls,
    members,
    take() {
      const fresh = calls.slice(taken);
      taken = calls.length;
      return fresh;
    },
    senders: bot.senders,
    redisPrefix,
    refuse(match) {
      refusing = match;
    },
    refused,
    hold(match) {
      let open = () => {};
      const state = { match, gate: new Promise<void>((resolve) => (open = resolve)), count: 0 };
      holding = state;
      return {
        release() {
          if (holding === state) holding = null;
          open();
        },
        held: () => state.count,
      };
    },
    settled: () => bot.outbox.settled(),
    throttleNext(count) {
      throttling = count;
    },
    post,
    message: (personKey, text, conversation = 'personal') => post(activityFrom(personKey, conversation, { type: 'message', text, serviceUrl })),
    action: (personKey, verb, data, conversation = 'personal') =>
      post(
        activityFrom(personKey, conversation, {
          serviceUrl,
          type: 'invoke',
          name: 'adaptiveCard/action',
          value: { action: { type: 'Action.Execute', verb, data } },
        }),
      ),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      nock.cleanAll();
      nock.enableNetConnect();
      redis.disconnect();
      await database.drop();
    },
  };
}

/**
 * A plain node:http request. The global fetch is wrapped by nock's interceptor, which does
 * not pass request bodies through to an allowed local host reliably.
 */
export function httpRequest(url: string, method: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The Adaptive Card content of a connector call, if it carries one. */
export function cardOf(call: ConnectorCall | undefined): any {
  const attachments = call?.body.attachments as Array<{ contentType: string; content: unknown }> | undefined;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

/** Every string in a payload, for asserting that confidential text is absent. */
export function textsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(textsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(textsOf);
  return [];
}

/**
 * The text a person would read on a card: TextBlock texts, RichTextBlock inlines (TextRun texts
 * and bare strings), fact titles and values.
 */
export function visibleTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(visibleTexts);
  if (!value || typeof value !== 'object') return [];
  const node = value as Record<string, unknown>;
  const inlineStrings = node.type === 'RichTextBlock' && Array.isArray(node.inlines) ? node.inlines.filter((v): v is string => typeof v === 'string') : [];
  const own = [node.text, node.title, node.value, ...inlineStrings].filter((v): v is string => typeof v === 'string');
  return [...own, ...Object.entries(node).filter(([k]) => !['text', 'title', 'value'].includes(k)).flatMap(([, v]) => visibleTexts(v))];
}
