import { randomBytes } from 'node:crypto';
// The bot on a real HTTP port with Slack configured: requests are really signed with the
// test signing secret and posted to /slack/events; Slack's Web API is intercepted by nock
// and every call recorded with its decoded arguments.
import nock from 'nock';
import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBot } from '../../src/app.js';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import { DEMO_PEOPLE, DEMO_TENANT_ID, demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { listen } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { decodeArgs } from './slack-args.js';
import { httpRequest, TestClock } from './teams-harness.js';
import { WAIT_TIMEOUT_MS } from './wait.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const TEAM_ID = 'T0SGSDEMO';
export const TRIAGE_CHANNEL = 'C0TRIAGE01';
export const SLACK_API = 'https://slack.com';
/** Where the fake files.getUploadURLExternal tells the client to send a file's bytes. */
export const SLACK_UPLOADS = 'https://files.slack.com';
/** Where slash commands' response_url points. */
export const SLACK_HOOKS = 'https://hooks.slack.com';

/** A stable Slack user id per demo person. */
export function slackUserId(personKey: string): string {
  const index = DEMO_PEOPLE.findIndex((p) => p.key === personKey);
  if (index < 0) throw new Error(`no demo person ${personKey}`);
  return `U0DEMO${String(index + 1).padStart(3, '0')}`;
}
export const dmChannel = (personKey: string) => `D${slackUserId(personKey).slice(1)}`;

export interface SlackCall {
  method: string;
  args: Record<string, any>;
}

export interface SlackHarness {
  url: string;
  database: TestDatabase;
  clock: TestClock;
  calls: SlackCall[];
  /** Bytes sent to the upload URLs, by the file id files.getUploadURLExternal gave out. */
  uploads: Map<string, { filename: string; bytes: Buffer }>;
  take(): SlackCall[];
  /** Wait until the recorded calls satisfy `predicate` (processing happens after the ack). */
  until(predicate: (calls: SlackCall[]) => boolean, timeoutMs?: number): Promise<SlackCall[]>;
  /** Responses the fake Web API gives instead of success, per method, in order. */
  failNext(method: string, ...responses: Array<{ status: number; headers?: Record<string, string>; body?: object }>): void;
  signed(body: string, contentType: string, options?: { timestamp?: number; secret?: string; headers?: Record<string, string> }): Promise<{ status: number; text: string }>;
  dm(personKey: string, text: string, options?: { eventId?: string; retryNum?: number }): Promise<{ status: number; text: string }>;
  press(personKey: string, actionId: string, value: Record<string, unknown>, where?: { channel?: string; ts?: string; state?: Record<string, string> }): Promise<{ status: number; text: string }>;
  submit(personKey: string, privateMetadata: string, state: Record<string, string>): Promise<{ status: number; text: string }>;
  /** `channelName` as Slack sends it (a group DM's is "mpdm-..."); by default the triage channel's name, else "directmessage". */
  command(personKey: string, text: string, channel: string, channelName?: string): Promise<{ status: number; text: string }>;
  /**
   * Resolves once every message the bot has written so far is delivered (none PENDING): work
   * goes on after Slack's ack, and messages are paced (about one a second per channel).
   */
  delivered(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every request posted so far has been handled to its end (the work after the
   * ack included) and the messages it wrote have had their first try: the signal that the bot
   * has finished, instead of waiting for the Web API to go quiet. Paced messages may still be
   * PENDING: delivered() waits for those too.
   */
  settled(): Promise<void>;
  /** Any interaction payload, signed and posted as Slack sends it. */
  interact(payload: object): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

let seq = 0;

/** A Slack `state.values` object for inputs keyed by id, as Slack sends plain text inputs. */
export function slackState(values: Record<string, string>) {
  return {
    values: Object.fromEntries(Object.entries(values).map(([id, value]) => [id, { [id]: { type: 'plain_text_input', value } }])),
  };
}

/** With `teamsAppId`, Teams is configured too (authenticated, the demo tenant pinned): a bot on both platforms. */
export async function startSlackHarness(options: { now?: Date; directoryEmails?: Record<string, string>; logger?: Logger; teamsAppId?: string } = {}): Promise<SlackHarness> {
  const database = await createTestDatabase();
  const clock = new TestClock(options.now ?? new Date('2026-11-23T10:00:00Z'));
  const { organisationId } = await seedDemoOrganisation(database.db, { clock });
  // Slack is configured, so tenants are pinned: the demo organisation records the test workspace.
  await database.db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: TEAM_ID, ...(options.teamsAppId ? { teamsTenantId: DEMO_TENANT_ID } : {}) } });
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  const bot = createBot({
    config: {
      MICROSOFT_APP_ID: options.teamsAppId,
      MICROSOFT_APP_PASSWORD: options.teamsAppId ? 'not-a-real-secret' : undefined,
      MICROSOFT_APP_TYPE: 'MultiTenant',
      MICROSOFT_APP_TENANT_ID: undefined,
      // Sends are paced on Redis keys of this harness's own: parallel tests share the conversation ids.
      REDIS_PREFIX: `test-${randomBytes(6).toString('hex')}`,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
    },
    db: database.db,
    redis,
    logger: options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock,
  });
  const server: Server = await listen(bot.app, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const emails: Record<string, string> = Object.fromEntries(DEMO_PEOPLE.map((p) => [slackUserId(p.key), p.email]));
  Object.assign(emails, options.directoryEmails ?? {});
  const calls: SlackCall[] = [];
  const failures = new Map<string, Array<{ status: number; headers?: Record<string, string>; body?: object }>>();
  let ts = 1_795_000_000;

  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  nock(SLACK_API)
    .persist()
    .post(/\/api\/.+/)
    .reply(async (req: Request) => {
      const method = new URL(req.url).pathname.replace('/api/', '');
      const args = decodeArgs(await req.text(), req.headers.get('content-type'));
      const failure = failures.get(method)?.shift();
      if (failure) {
        calls.push({ method: `${method}:failed`, args });
        return [failure.status, failure.body ?? { ok: false, error: 'ratelimited' }, failure.headers ?? {}] as const;
      }
      calls.push({ method, args });
      ts += 1;
      switch (method) {
        case 'users.info': {
          const email = emails[args.user as string];
          return [200, { ok: true, user: { id: args.user, deleted: false, is_bot: false, profile: email ? { email } : {} } }] as const;
        }
        case 'users.lookupByEmail': {
          const id = Object.entries(emails).find(([, email]) => email === args.email)?.[0];
          return id
            ? ([200, { ok: true, user: { id, team_id: TEAM_ID, profile: { email: args.email } } }] as const)
            : ([200, { ok: false, error: 'users_not_found' }] as const);
        }
        case 'conversations.open':
          return [200, { ok: true, channel: { id: `D${String(args.users).slice(1)}` } }] as const;
        case 'chat.postMessage':
          return [200, { ok: true, channel: args.channel, ts: `${ts}.000100` }] as const;
        case 'chat.update':
          return [200, { ok: true, channel: args.channel, ts: args.ts }] as const;
        case 'chat.postEphemeral':
          return [200, { ok: true, message_ts: `${ts}.000200` }] as const;
        case 'files.getUploadURLExternal': {
          const fileId = `F0${ts}`;
          uploadNames.set(fileId, String(args.filename));
          return [200, { ok: true, upload_url: `${SLACK_UPLOADS}/upload/v1/${fileId}`, file_id: fileId }] as const;
        }
        case 'files.completeUploadExternal':
          return [200, { ok: true, files: (args.files as Array<{ id: string; title?: string }>).map((f) => ({ id: f.id, title: f.title })) }] as const;
        default:
          return [200, { ok: true }] as const;
      }
    });

  // A slash command's response_url: recorded as the call "response_url" (its JSON body as args).
  nock(SLACK_HOOKS)
    .persist()
    .post(/\/commands\/.+/)
    .reply(async (req: Request) => {
      calls.push({ method: 'response_url', args: { url: req.url, ...(JSON.parse(await req.text()) as Record<string, unknown>) } });
      return [200, 'ok'] as const;
    });

  const uploads = new Map<string, { filename: string; bytes: Buffer }>();
  const uploadNames = new Map<string, string>();
  nock(SLACK_UPLOADS)
    .persist()
    .post(/\/upload\/v1\/.+/)
    .reply(async (req: Request) => {
      const fileId = new URL(req.url).pathname.split('/').pop()!;
      if (!uploadNames.has(fileId)) return [404, 'unknown upload'] as const;
      // The client posts the bytes as multipart/form-data, in a part named "body".
      const part = (await req.formData()).get('body');
      if (!part || typeof part === 'string') return [400, 'no file part'] as const;
      uploads.set(fileId, { filename: uploadNames.get(fileId)!, bytes: Buffer.from(await part.arrayBuffer()) });
      calls.push({ method: 'upload', args: { fileId } });
      return [200, 'OK - 1'] as const;
    });

  let taken = 0;
  const signed: SlackHarness['signed'] = async (body, contentType, opts = {}) => {
    const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = `v0=${signSlackBody(opts.secret ?? SIGNING_SECRET, timestamp, body)}`;
    const response = await httpRequest(`${url}/slack/events`, 'POST', body, {
      'content-type': contentType,
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
      ...(opts.headers ?? {}),
    });
    // The turn's other messages are tried in the background: wait for those tries explicitly.
    await bot.outbox.settled();
    return response;
  };
  const interaction = (payload: object) => signed(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
  const user = (key: string) => ({ id: slackUserId(key), team_id: TEAM_ID, username: demoPerson(key).givenName.toLowerCase() });

  return {
    url,
    database,
    clock,
    calls,
    uploads,
    take() {
      const fresh = calls.slice(taken);
      taken = calls.length;
      return fresh;
    },
    async until(predicate, timeoutMs = WAIT_TIMEOUT_MS) {
      const started = Date.now();
      for (;;) {
        const fresh = calls.slice(taken);
        if (predicate(fresh)) {
          taken = calls.length;
          return fresh;
        }
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for Slack calls; saw: ${fresh.map((c) => c.method).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async settled() {
      await bot.slack?.settled();
      await bot.outbox.settled();
    },
    async delivered(timeoutMs = WAIT_TIMEOUT_MS) {
      const started = Date.now();
      for (;;) {
        await bot.slack?.settled();
        await bot.outbox.settled();
        if ((await database.db.outboundMessage.count({ where: { status: 'PENDING' } })) === 0) return;
        if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for the messages to be delivered');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    failNext(method, ...responses) {
      failures.set(method, [...(failures.get(method) ?? []), ...responses]);
    },
    signed,
    dm(personKey, text, opts = {}) {
      seq += 1;
      const body = JSON.stringify({
        type: 'event_callback',
        team_id: TEAM_ID,
        api_app_id: 'A0SGS',
        event_id: opts.eventId ?? `Ev${seq}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'message', channel_type: 'im', channel: dmChannel(personKey), user: slackUserId(personKey), text, ts: `${Date.now() / 1000}` },
      });
      const headers = opts.retryNum ? { 'x-slack-retry-num': String(opts.retryNum), 'x-slack-retry-reason': 'http_timeout' } : undefined;
      return signed(body, 'application/json', headers ? { headers } : {});
    },
    press(personKey, actionId, value, where = {}) {
      const channel = where.channel ?? dmChannel(personKey);
      return interaction({
        type: 'block_actions',
        team: { id: TEAM_ID },
        user: user(personKey),
        channel: { id: channel },
        message: { ts: where.ts ?? '1795000000.000100', type: 'message' },
        trigger_id: `trigger-${++seq}`,
        state: slackState(where.state ?? {}),
        actions: [{ type: 'button', action_id: actionId, block_id: 'actions', value: JSON.stringify(value), action_ts: '1' }],
      });
    },
    submit(personKey, privateMetadata, state) {
      return interaction({
        type: 'view_submission',
        team: { id: TEAM_ID },
        user: user(personKey),
        trigger_id: `trigger-${++seq}`,
        view: { id: 'V1', type: 'modal', callback_id: 'card.form', private_metadata: privateMetadata, state: slackState(state) },
      });
    },
    command(personKey, text, channel, channelName) {
      const form = new URLSearchParams({
        token: 'unused',
        team_id: TEAM_ID,
        team_domain: 'sgs-demo',
        channel_id: channel,
        channel_name: channelName ?? (channel === TRIAGE_CHANNEL ? 'safeguarding-triage' : 'directmessage'),
        user_id: slackUserId(personKey),
        user_name: demoPerson(personKey).givenName.toLowerCase(),
        command: '/supervision',
        text,
        api_app_id: 'A0SGS',
        response_url: `${SLACK_HOOKS}/commands/${TEAM_ID}/${seq + 1}/abc`,
        trigger_id: `trigger-${++seq}`,
      });
      return signed(form.toString(), 'application/x-www-form-urlencoded');
    },
    interact: interaction,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      nock.cleanAll();
      nock.enableNetConnect();
      redis.disconnect();
      await database.drop();
    },
  };
}
