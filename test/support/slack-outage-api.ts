// The pieces of the Slack outage drill (test/drills/outage-delivery-slack.test.ts):
//
// - a stub Slack Web API that is a real HTTP server (the bot's processes are children: nock in
//   the test process cannot see their calls). It answers the methods the bot uses as
//   test/support/slack-harness.ts's nock does, keeps every call it accepts in order (method,
//   channel, ts, text, blocks, and which process made it, told apart by the bot token each
//   process was given), and has an outage switch: while it is on, every call is answered
//   HTTP 503 and kept in a list of its own;
// - the bot's processes with Slack configured: the web role (test/bench/sg-bot.ts: createBot +
//   listen) and the worker role (test/support/scheduler-child.ts: the real startScheduler), on
//   one schema and one Redis prefix, with the ready protocol of test/bench/echo-bot.ts
//   (test/support/scaled-out.ts's startRole runs them in local mode, Slack blanked);
// - Slack's requests to the web process, signed with the signing secret as Slack signs them:
//   a DM (Events API), a button (block_actions), a modal submission (view_submission) and the
//   slash command, shaped as slack-harness.ts sends them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import { spawnRole, type ChildRole } from './scaled-out.js';
import { decodeArgs } from './slack-args.js';

// ---------------------------------------------------------------------------
// The stub Web API
// ---------------------------------------------------------------------------

export interface ApiCall {
  /** Position among all the calls the stub received (accepted and refused). */
  seq: number;
  /** Wall time the call arrived. */
  at: number;
  method: string;
  /** The process that made it (by its bot token), or the token itself if unknown. */
  from: string;
  /** The channel the call names (conversations.open: the DM it opens). */
  channel: string | null;
  /** chat.postMessage: the ts given to the new message; chat.update: the message edited. */
  ts: string | null;
  text: string;
  blocks: unknown[] | undefined;
  /** Every argument, JSON-valued ones parsed. */
  args: Record<string, any>;
}

export interface SlackOutageApi {
  /** The Web API base for SLACK_API_URL. */
  apiUrl: string;
  /** Calls answered as Slack would, in order. */
  calls: ApiCall[];
  /** Calls answered HTTP 503 during the outage, in order. */
  refused: ApiCall[];
  /** Requests that were not a Web API call. */
  unexpected: string[];
  /** Turn the outage on (every call answered 503) or off. */
  setOutage(on: boolean): void;
  isDown(): boolean;
  /** When the process last called (accepted or refused). */
  lastCallFrom(name: string): number | undefined;
  close(): Promise<void>;
}

/**
 * Starts the stub on a free port of 127.0.0.1. `processes`: bot token → process name;
 * `emails`: Slack user id → directory e-mail (users.info, users.lookupByEmail).
 */
export async function startSlackOutageApi(options: { teamId: string; processes: Record<string, string>; emails?: Record<string, string> }): Promise<SlackOutageApi> {
  const calls: ApiCall[] = [];
  const refused: ApiCall[] = [];
  const unexpected: string[] = [];
  const lastCall = new Map<string, number>();
  const emails = options.emails ?? {};
  let down = false;
  let seq = 0;
  let ts = 1_795_000_000;

  const json = (res: http.ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
      if (req.method !== 'POST' || !api) {
        unexpected.push(`${req.method} ${url.pathname}`);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
        return;
      }
      const method = api[1]!;
      const args = decodeArgs(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
      const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || String(args.token ?? '');
      const from = options.processes[token] ?? (token || 'unknown');
      seq += 1;
      const at = Date.now();
      lastCall.set(from, at);
      const channel = method === 'conversations.open' ? `D${String(args.users ?? '').split(',')[0]!.slice(1)}` : typeof args.channel === 'string' ? args.channel : null;
      const call: ApiCall = {
        seq,
        at,
        method,
        from,
        channel,
        ts: typeof args.ts === 'string' ? args.ts : null,
        text: typeof args.text === 'string' ? args.text : '',
        blocks: Array.isArray(args.blocks) ? (args.blocks as unknown[]) : undefined,
        args,
      };
      if (down) {
        refused.push(call);
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('Service Unavailable');
        return;
      }
      calls.push(call);
      ts += 1;
      switch (method) {
        case 'users.info': {
          const email = emails[String(args.user)];
          return json(res, { ok: true, user: { id: args.user, team_id: options.teamId, deleted: false, is_bot: false, profile: email ? { email } : {} } });
        }
        case 'users.lookupByEmail': {
          const id = Object.entries(emails).find(([, email]) => email === args.email)?.[0];
          return json(res, id ? { ok: true, user: { id, team_id: options.teamId, profile: { email: args.email } } } : { ok: false, error: 'users_not_found' });
        }
        case 'conversations.open':
          return json(res, { ok: true, channel: { id: channel } });
        case 'chat.postMessage':
          call.ts = `${ts}.000100`;
          return json(res, { ok: true, channel: args.channel, ts: call.ts, message: { ts: call.ts } });
        case 'chat.update':
          return json(res, { ok: true, channel: args.channel, ts: args.ts });
        case 'chat.postEphemeral':
          return json(res, { ok: true, message_ts: `${ts}.000200` });
        case 'views.open':
        case 'views.publish':
          return json(res, { ok: true, view: { id: `V0${ts}` } });
        default:
          return json(res, { ok: true });
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    refused,
    unexpected,
    setOutage(on) {
      down = on;
    },
    isDown: () => down,
    lastCallFrom: (name) => lastCall.get(name),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------
// The bot's processes, Slack configured
// ---------------------------------------------------------------------------

export interface SlackRoleEnv {
  databaseUrl: string;
  schema: string;
  redisUrl: string;
  redisPrefix: string;
  /** SLACK_API_URL: the stub's Web API base. */
  apiUrl: string;
  signingSecret: string;
  /** This process's bot token (the stub tells the processes apart by it). */
  botToken: string;
  publicBaseUrl: string;
  /** The same in every process (it signs the links the bot serves). */
  linkSecret: string;
  logLevel: string;
}

function environment(env: SlackRoleEnv): NodeJS.ProcessEnv {
  const { DATABASE_POOL_SIZE: _pool, WORKER_CONCURRENCY: _concurrency, MESSAGE_POLL_MS: _poll, CONNECTOR_URL: _connector, BENCH_CONNECTOR_URL: _bench, ...parent } = process.env;
  return {
    ...parent,
    NODE_ENV: 'development',
    LOG_LEVEL: env.logLevel,
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.schema,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    MIGRATE_ON_START: 'false',
    // Slack only: no Teams credentials (and so no local mode either).
    MICROSOFT_APP_ID: '',
    MICROSOFT_APP_PASSWORD: '',
    SLACK_SIGNING_SECRET: env.signingSecret,
    SLACK_BOT_TOKEN: env.botToken,
    SLACK_API_URL: env.apiUrl,
    PUBLIC_BASE_URL: env.publicBaseUrl,
    LINK_SECRET: env.linkSecret,
  };
}

/** Starts one process of a role with Slack configured and waits for its ready event. */
export function startSlackRole(role: 'web' | 'worker', name: string, env: SlackRoleEnv): Promise<ChildRole> {
  return spawnRole(role, name, environment(env));
}

// ---------------------------------------------------------------------------
// Signed Slack requests to the web process
// ---------------------------------------------------------------------------

export interface SlackUser {
  userId: string;
  /** Their username (a slash command's user_name). */
  username: string;
  /** The DM between them and the bot. */
  dm: string;
}

export interface SlackAnswer {
  status: number;
  text: string;
  ms: number;
}

// No keep-alive: an idle socket closed by the server as the drill reuses it would fail a request for a reason of the drill's own.
const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });

export function destroySlackAgent(): void {
  agent.destroy();
}

let requestSeq = 0;

/** Signs and posts Slack's requests to the web process's /slack/events, as slack-harness.ts shapes them. */
/**
 * clockOffsetMs: how far the bot's clock is from this process's. A bot in a child process keeps
 * the real clock while CI runs the tests with theirs faked ahead, and Slack's signature holds
 * only within five minutes of the receiver's clock.
 */
export function createSlackClient(options: { port: number; signingSecret: string; teamId: string; clockOffsetMs?: number }) {
  const { port, signingSecret, teamId } = options;
  const offset = options.clockOffsetMs ?? 0;

  function post(body: string, contentType: string, timeoutMs = 30_000): Promise<SlackAnswer> {
    const timestamp = String(Math.floor((Date.now() + offset) / 1000));
    const headers = {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': `v0=${signSlackBody(signingSecret, timestamp, body)}`,
    };
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  const interaction = (payload: object) => post(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');
  const userOf = (user: SlackUser) => ({ id: user.userId, team_id: teamId, username: user.username });
  /** A Slack `state.values` for plain text inputs keyed by id (block id = action id), as slack-harness.ts sends them. */
  const stateOf = (values: Record<string, string>) => ({
    values: Object.fromEntries(Object.entries(values).map(([id, value]) => [id, { [id]: { type: 'plain_text_input', value } }])),
  });

  return {
    /** A message the user types in their DM with the bot (Events API). */
    dm(user: SlackUser, text: string) {
      requestSeq += 1;
      return post(
        JSON.stringify({
          type: 'event_callback',
          team_id: teamId,
          api_app_id: 'A0SGSDRILL',
          event_id: `Ev0DRILL${String(requestSeq).padStart(8, '0')}`,
          event_time: Math.floor(Date.now() / 1000),
          event: { type: 'message', channel_type: 'im', channel: user.dm, user: user.userId, text, ts: `${Date.now() / 1000}` },
        }),
        'application/json',
      );
    },
    /**
     * A button pressed (block_actions). `rawValue`: the button's value as the message carried
     * it. Without `ts` the payload names no message (an action from data the drill knows).
     */
    press(user: SlackUser, actionId: string, rawValue: string, where: { channel: string; ts?: string; state?: Record<string, string> }) {
      requestSeq += 1;
      return interaction({
        type: 'block_actions',
        team: { id: teamId },
        user: userOf(user),
        channel: { id: where.channel },
        ...(where.ts ? { message: { ts: where.ts, type: 'message' }, container: { type: 'message', message_ts: where.ts, channel_id: where.channel } } : {}),
        trigger_id: `${requestSeq}.drill.trigger`,
        state: stateOf(where.state ?? {}),
        actions: [{ type: 'button', action_id: actionId, block_id: 'actions', value: rawValue, action_ts: `${Date.now() / 1000}` }],
      });
    },
    /** A modal submitted (view_submission of the bot's card.form modal). */
    submit(user: SlackUser, privateMetadata: string, state: Record<string, string>) {
      requestSeq += 1;
      return interaction({
        type: 'view_submission',
        team: { id: teamId },
        user: userOf(user),
        trigger_id: `${requestSeq}.drill.trigger`,
        view: { id: `V0DRILL${requestSeq}`, type: 'modal', callback_id: 'card.form', private_metadata: privateMetadata, state: stateOf(state) },
      });
    },
    /** `/supervision <text>` typed in `channel`. */
    command(user: SlackUser, text: string, channel: string, channelName: string) {
      requestSeq += 1;
      return post(
        new URLSearchParams({
          token: 'unused',
          team_id: teamId,
          team_domain: 'sgs-drill',
          channel_id: channel,
          channel_name: channelName,
          user_id: user.userId,
          user_name: user.username,
          command: '/supervision',
          text,
          api_app_id: 'A0SGSDRILL',
          response_url: `https://hooks.slack.com/commands/${teamId}/${requestSeq}/drill`,
          trigger_id: `${requestSeq}.drill.trigger`,
        }).toString(),
        'application/x-www-form-urlencoded',
      );
    },
  };
}

export type SlackClient = ReturnType<typeof createSlackClient>;

// ---------------------------------------------------------------------------
// Reading what the bot sent
// ---------------------------------------------------------------------------

/** Every string in a value (blocks, a view), depth first. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** A call's text and every string in its blocks, joined. */
export const textOfCall = (call: ApiCall) => [call.text, ...stringsIn(call.blocks ?? [])].join('\n');

export interface Button {
  actionId: string;
  /** The value as the message carries it (JSON). */
  rawValue: string;
  value: Record<string, unknown>;
}

/** The buttons of a message's blocks. */
export function buttonsIn(blocks: unknown[] | undefined): Button[] {
  const buttons: Button[] = [];
  for (const block of blocks ?? []) {
    const elements = (block as { type?: string; elements?: unknown[] }).type === 'actions' ? ((block as { elements?: unknown[] }).elements ?? []) : [];
    for (const element of elements as Array<{ type?: string; action_id?: string; value?: string }>) {
      if (element.type !== 'button' || typeof element.action_id !== 'string') continue;
      let value: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(element.value ?? '');
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) value = parsed as Record<string, unknown>;
      } catch {
        // not JSON: no value
      }
      buttons.push({ actionId: element.action_id, rawValue: element.value ?? '', value });
    }
  }
  return buttons;
}

/** A fact of a card rendered as Block Kit (a section field `*Title*\nvalue`). */
export function factIn(blocks: unknown[] | undefined, title: string): string | undefined {
  const head = `*${title}*\n`;
  for (const block of blocks ?? []) {
    for (const field of ((block as { fields?: unknown[] }).fields ?? []) as Array<{ text?: string }>) {
      if (typeof field.text === 'string' && field.text.startsWith(head)) return field.text.slice(head.length);
    }
  }
  return undefined;
}
