// Starts the bot in local mode as a newcomer does (`npm start`: src/main.ts in its own process,
// no platform credentials) on a private PostgreSQL schema and Redis prefix, waits for the start
// output that lists the playgrounds, and stops it again with every playground it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { LOCAL_USERS } from '../../src/local/local-mode.js';
import { dropSchema, testDatabaseUrl, uniqueSchemaName } from './database.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';

export interface LocalModeProcess {
  pid: number;
  /** What the start printed (stdout). */
  output: string;
  /** Playground address per LOCAL_USERS key, read from the start output. */
  urls: Map<string, string>;
  schema: string;
  redisPrefix: string;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Reads the playground address of each role from the start output (lines "  <role>  <url>  <name>, ..."). */
export function playgroundUrls(output: string): Map<string, string> {
  const urls = new Map<string, string>();
  for (const user of LOCAL_USERS) {
    const line = new RegExp(`^\\s+${user.role}\\s+(http://localhost:\\d+)\\s`, 'm').exec(output);
    if (line?.[1]) urls.set(user.key, line[1]);
  }
  return urls;
}

export async function startLocalModeProcess(options: { timeoutMs?: number } = {}): Promise<LocalModeProcess> {
  const schema = uniqueSchemaName('local');
  const redisPrefix = `local-${randomBytes(6).toString('hex')}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'sgs-local-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'development',
    DATABASE_URL: testDatabaseUrl,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    PORT: String(await freePort()),
    PLAYGROUND_PORT: String(40000 + Math.floor(Math.random() * 20000)),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    URGENT_COPY_FILE: path.join(stateDir, 'urgent-routes.json'),
    URGENT_SPOOL_DIR: path.join(stateDir, 'urgent-spool'),
  };
  // Its own process group: the playgrounds it spawns can be ended with it, even after a crash.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const stop = async () => {
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    killGroup(child, 'SIGKILL'); // anything of the group left behind
    await dropSchema(schema).catch(() => undefined);
    await deleteRedisKeys(redisPrefix).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  // The guide is printed in one write, after every playground answers.
  while (!/A journey to try/.test(output)) {
    if (exitCode !== undefined || Date.now() > deadline) {
      await stop();
      throw new Error(`local mode did not start (exit ${String(exitCode)}):\n${output}\n${errors}`);
    }
    await nextOutput(child, exited, deadline);
  }
  return { pid: child.pid!, get output() { return output; }, urls: playgroundUrls(output), schema, redisPrefix, stop };
}

/** Resolves on the child's next output, its exit or the deadline, whichever comes first: no polling. */
function nextOutput(child: ChildProcess, exited: Promise<unknown>, deadline: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off('data', done);
      child.stderr!.off('data', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()) + 1);
    child.stdout!.on('data', done);
    child.stderr!.on('data', done);
    void exited.then(done);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
