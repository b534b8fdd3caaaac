// The pieces of the scaled-out drill (test/drills/scaled-out-delivery.test.ts): child processes
// in the web role (test/bench/sg-bot.ts: createBot + listen, as production starts it) and in the
// worker role (scheduler-child.ts: the real startScheduler), on one schema and one Redis prefix;
// a keep-alive HTTP client for /api/messages; the Teams activities people send; and the
// per-conversation accounting of what the stub connector received against the rows that say
// what should have been delivered.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AcceptedCall } from './teams-limit-connector.js';

const WEB_CHILD = fileURLToPath(new URL('../bench/sg-bot.ts', import.meta.url));
const WORKER_CHILD = fileURLToPath(new URL('./scheduler-child.ts', import.meta.url));
/** Output kept per child (the tail), for the report of a failed run. */
const OUTPUT_LIMIT = 256 * 1024;

export interface ChildRole {
  name: string;
  child: ChildProcess;
  /** The HTTP port (web role); 0 for a worker. */
  port: number;
  /** The tail of what the process wrote. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  alive(): boolean;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** Ask it to stop cleanly; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface RoleEnv {
  databaseUrl: string;
  schema: string;
  redisUrl: string;
  redisPrefix: string;
  connectorUrl: string;
  /** DATABASE_POOL_SIZE; the production default when left out. */
  poolSize?: number;
  logLevel: string;
  /** Worker role only. */
  workerConcurrency?: number;
  messagePollMs?: number;
}

function environment(env: RoleEnv): NodeJS.ProcessEnv {
  const { DATABASE_POOL_SIZE: _parentPool, ...parent } = process.env;
  return {
    ...parent,
    ...(env.poolSize ? { DATABASE_POOL_SIZE: String(env.poolSize) } : {}),
    NODE_ENV: 'development',
    LOG_LEVEL: env.logLevel,
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.schema,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    MIGRATE_ON_START: 'false',
    // Local mode: no platform credentials; only the stub connector's origin is accepted.
    MICROSOFT_APP_ID: '',
    MICROSOFT_APP_PASSWORD: '',
    SLACK_SIGNING_SECRET: '',
    SLACK_BOT_TOKEN: '',
    BENCH_CONNECTOR_URL: env.connectorUrl,
    CONNECTOR_URL: env.connectorUrl,
    WORKER_CONCURRENCY: env.workerConcurrency ? String(env.workerConcurrency) : '',
    MESSAGE_POLL_MS: env.messagePollMs ? String(env.messagePollMs) : '',
  };
}

/** Starts one process of a role and waits for its ready event (the bench protocol of test/bench/echo-bot.ts). */
export function startRole(role: 'web' | 'worker', name: string, env: RoleEnv): Promise<ChildRole> {
  return spawnRole(role, name, environment(env));
}

/** The same with the process's whole environment given (another platform's settings: outage-delivery-slack.test.ts). */
export async function spawnRole(role: 'web' | 'worker', name: string, env: NodeJS.ProcessEnv): Promise<ChildRole> {
  const child = spawn(process.execPath, ['--import', 'tsx', role === 'web' ? WEB_CHILD : WORKER_CHILD], {
    // Never the repository's own .sg-state: a kept urgent report would be replayed by a later local start.
    env: { URGENT_SPOOL_DIR: path.join(tmpdir(), `sgs-spool-${randomUUID()}`), ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT * 2) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (alive()) child.kill('SIGKILL');
    await exited;
  };
  const handle: ChildRole = {
    name,
    child,
    port: 0,
    output: () => output.slice(-OUTPUT_LIMIT),
    exited,
    alive,
    kill,
    async stop(graceMs = 5_000) {
      if (!alive()) return;
      // The web child stops on its protocol's shutdown command, the worker on its own; both on SIGTERM.
      child.kill('SIGTERM');
      const timer = setTimeout(() => void kill(), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (raw) => {
      const event = raw as { type?: string; port?: number; error?: string };
      if (event.type === 'ready') resolve(event.port ?? 0);
      if (event.type === 'failed') reject(new Error(`${name} failed to start: ${event.error}`));
    });
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output.slice(-4000)}`)));
  }).catch(async (error: unknown) => {
    await kill();
    throw error;
  });
  handle.port = port;
  return handle;
}

// ---------------------------------------------------------------------------
// HTTP to the web processes
// ---------------------------------------------------------------------------

// No keep-alive: a socket the server closes as idle (its 5 s keep-alive timeout) just as the drill reuses it
// would fail a turn for a reason of the drill's own, not the bot's.
const agent = new http.Agent({ keepAlive: false, maxSockets: 128 });

export interface HttpAnswer {
  status: number;
  text: string;
  ms: number;
}

/** POST a JSON activity; rejects on a connection failure (a killed process) or after `timeoutMs`. */
export function postActivity(port: number, activity: unknown, timeoutMs = 60_000): Promise<HttpAnswer> {
  const body = JSON.stringify(activity);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/messages', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function destroyAgent(): void {
  agent.destroy();
}

// ---------------------------------------------------------------------------
// Activities
// ---------------------------------------------------------------------------

export const BOT_ACCOUNT = { id: '28:sg-supervision-bot', name: 'SG Supervision' };

export interface TeamsUser {
  personId: string;
  aadObjectId: string;
  name: string;
  /** Their personal chat with the bot. */
  conversationId: string;
}

let activitySeq = 0;

function base(user: TeamsUser, serviceUrl: string) {
  activitySeq += 1;
  return {
    id: `drill-in-${activitySeq}`,
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-GB',
    from: { id: `29:${user.aadObjectId}`, aadObjectId: user.aadObjectId, name: user.name },
    recipient: BOT_ACCOUNT,
  };
}

export function personalActivity(user: TeamsUser, serviceUrl: string, tenantId: string, fields: Record<string, unknown>) {
  return {
    ...base(user, serviceUrl),
    conversation: { id: user.conversationId, conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    ...fields,
  };
}

/** An activity in a channel thread: the thread of the post `rootActivityId` (a card's thread, or a new one). */
export function channelActivity(user: TeamsUser, serviceUrl: string, tenantId: string, channelId: string, rootActivityId: string, fields: Record<string, unknown>) {
  return {
    ...base(user, serviceUrl),
    conversation: { id: `${channelId};messageid=${rootActivityId}`, conversationType: 'channel', isGroup: true, tenantId },
    channelData: { tenant: { id: tenantId }, channel: { id: channelId, name: 'Safeguarding triage' }, team: { id: '19:drill-team@thread.tacv2' } },
    ...fields,
  };
}

export const messageFields = (text: string) => ({ type: 'message', text, textFormat: 'plain' });
export const invokeFields = (verb: string, data: Record<string, unknown>) => ({
  type: 'invoke',
  name: 'adaptiveCard/action',
  value: { action: { type: 'Action.Execute', verb, data } },
});

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Accepted calls per second over the span of `calls` (by acceptance time). */
export function ratePerSecond(calls: readonly AcceptedCall[]): number {
  if (calls.length < 2) return calls.length;
  const span = calls[calls.length - 1]!.at - calls[0]!.at;
  return span > 0 ? Math.round(((calls.length - 1) / span) * 1000 * 10) / 10 : calls.length;
}

/** Error and fatal log lines of a process, counted by message and error (name and status). */
export function errorKinds(output: string, levels = /"level":(50|60)/): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (!levels.test(line)) continue;
    let key = line.slice(0, 120);
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: string | { name?: string; code?: string; status?: number; transaction?: string } };
      const e = entry.err;
      const err = typeof e === 'string' ? e.slice(0, 60) : e ? `${e.name ?? ''}${e.code ? ` ${e.code}` : ''}${e.status ? ` ${e.status}` : ''}${e.transaction ? ` (${e.transaction})` : ''}` : '';
      key = `${entry.msg ?? '?'}${err ? `: ${err}` : ''}`;
    } catch {
      // not JSON: keep the start of the line
    }
    kinds[key] = (kinds[key] ?? 0) + 1;
  }
  return kinds;
}
