// What the benchmarks share (test/bench/run.ts runs them): child processes speaking the
// bench protocol of echo-bot.ts, a keep-alive HTTP client, exact percentiles, the console
// table, environment settings and clean-up steps that also run when the run is interrupted.
//
// Only node built-ins here: the stub servers' child processes import this file too.

import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchCommand, BenchEvent } from './echo-bot.js';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
export const RESULTS_DIR = `${HERE}results`;

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

export interface Child {
  name: string;
  port: number;
  startupRss: number;
  request(type: 'measure-start' | 'measure-stop'): Promise<Extract<BenchEvent, { type: 'reply' }>>;
  /** Ask it to shut down; kill it if it has not exited after a few seconds. */
  stop(): Promise<void>;
  /** The last lines it wrote, for failure reports. */
  output(): string;
  /** How it exited, once it has. */
  exit(): string | undefined;
}

const children = new Set<ChildProcess>();

/** Kill whatever child is still running (the last clean-up step). */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

/**
 * Fork a script that speaks the bench protocol (runBenchChild in echo-bot.ts, or a stub
 * server) and wait for its `ready`. `profile`: with BENCH_CPU_PROF_DIR set, the child writes
 * a V8 CPU profile there when it exits (the bots, not the stubs).
 */
export function startChild(name: string, script: string, env: NodeJS.ProcessEnv, options: { profile?: boolean } = {}): Promise<Child> {
  // The children run under the same tsx loader as this process (production also runs tsx).
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const profile = profileDir && options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = fork(script, [], { execArgv: [...process.execArgv, ...profile], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A failed IPC send (the child has gone) must not crash the runner before it cleans up.
  child.on('error', (error) => lines.push(`[runner] ${name}: ${error.message}`));

  let nextId = 0;
  const pending = new Map<number, { resolve: (e: Extract<BenchEvent, { type: 'reply' }>) => void; reject: (e: Error) => void }>();
  let exited: { code: number | null; signal: string | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      children.delete(child);
      for (const p of pending.values()) p.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      pending.clear();
      resolve();
    });
  });

  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s\n${lines.join('\n')}`)), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})\n${lines.join('\n')}`));
    });
    child.on('message', (raw) => {
      const event = raw as BenchEvent;
      if (event.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} could not start: ${event.error}`));
      } else if (event.type === 'reply') {
        pending.get(event.id)?.resolve(event);
        pending.delete(event.id);
      } else if (event.type === 'ready') {
        clearTimeout(timer);
        resolve({
          name,
          port: event.port,
          startupRss: event.rss,
          output: () => lines.join('\n'),
          exit: () => (exited ? `exited with code ${exited.code}, signal ${exited.signal}` : undefined),
          request(type) {
            if (exited || !child.connected) return Promise.reject(new Error(`${name} has exited`));
            nextId += 1;
            const id = nextId;
            return new Promise((res, rej) => {
              pending.set(id, { resolve: res, reject: rej });
              const command: BenchCommand = { type, id };
              child.send(command, (error) => {
                if (!error) return;
                pending.delete(id);
                rej(error);
              });
            });
          },
          async stop() {
            if (exited) return;
            if (child.connected) child.send({ type: 'shutdown', id: 0 } satisfies BenchCommand, () => undefined);
            const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exitPromise;
            clearTimeout(killer);
          },
        });
      }
    });
  });
}

/**
 * The stub servers' side of the bench protocol: report the port once listening, exit on
 * `shutdown`, a signal, or when the parent goes away.
 */
export function serveStub(server: http.Server): void {
  server.keepAliveTimeout = 30_000;
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('disconnect', stop);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('message', (raw) => {
    if ((raw as BenchCommand).type === 'shutdown') stop();
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const event: BenchEvent = { type: 'ready', port: typeof address === 'object' && address ? address.port : 0, rss: process.memoryUsage.rss() };
    process.send?.(event);
  });
}

// ---------------------------------------------------------------------------
// Clean-up
// ---------------------------------------------------------------------------

/**
 * Clean-up steps, run last-in first-out, each once, by whichever comes first: the end of
 * the benchmark (finally) or an interruption or crash of the runner.
 */
export class CleanupStack {
  static readonly open = new Set<CleanupStack>();
  private readonly steps: Array<() => Promise<unknown>> = [];
  private running: Promise<void> | undefined;

  constructor() {
    CleanupStack.open.add(this);
  }

  push(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        await step().catch((error: unknown) => console.error('clean-up step failed:', error));
      }
      CleanupStack.open.delete(this);
    })();
    return this.running;
  }

  /** Every stack not yet run (newest first), then any child left over. */
  static async runAll(): Promise<void> {
    for (const stack of [...CleanupStack.open].reverse()) await stack.run();
    killChildren();
  }
}

// ---------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  text: string;
  ms: number;
}

let agent = new http.Agent({ keepAlive: true });

/** A keep-alive agent with room for every concurrent client (per origin). */
export function configureAgent(maxSockets: number): void {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets });
}

export function destroyAgent(): void {
  agent.destroy();
}

/**
 * POST a prepared body; the time covers sending the request and receiving the whole
 * response. Anything to compute per request (a signature) is done before calling this.
 * A keep-alive socket the server closed as it was reused (the server's idle timeout racing
 * the request: ECONNRESET or EPIPE before any answer) is retried once on a new socket, as
 * Node's documentation advises, and timed from the retry: the server never saw the first.
 */
export function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, retried = false): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answered = false;
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url} within 30 s`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale = !answered && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
      if (stale && !retried) post(url, body, headers, true).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

/** GET a JSON answer (the stubs' statistics and waits); any status, the body parsed. */
export function getJson<T>(url: string, timeoutMs = 30_000): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------
// Statistics and report
// ---------------------------------------------------------------------------

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Exact percentiles (nearest rank) over every sample: a sorted array, no bucketing. */
export function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const ms = (n: number) => n.toFixed(2);

/** A console table: the first two columns left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, index) => {
      const line = r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
      return index === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function parseJson(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export function environmentFacts() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
  };
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

export function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min} (got "${raw}")`);
  return value;
}

/** The settings every benchmark in the run shares. */
export interface BenchSettings {
  iterations: number;
  concurrency: number;
  warmup: number;
  /** Our bot's LOG_LEVEL. */
  logLevel: string;
  redisUrl: string;
  /** Our bot's DATABASE_POOL_SIZE. */
  poolSize: number;
}

/** A benchmark's outcome: `broken` when its figures do not measure what they should. */
export interface BenchOutcome {
  broken: boolean;
}
