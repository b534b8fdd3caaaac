// Turn-time benchmark: our bot against a bare botbuilder echo bot, side by side in one run.
//
//   npm run bench
//
// Each bot runs in its own child process (echo-bot.ts, sg-bot.ts), both reply through the
// same kind of local stub connector (this file, started again as a child with
// --stub-connector), and both get the same closed-loop load: BENCH_CONCURRENCY personal
// conversations (default 50), each sending BENCH_WARMUP untimed then BENCH_ITERATIONS timed
// requests (defaults 5 and 20) per workload:
//
//   request-step  a personal-chat message that starts a request (ours answers with the
//                 immediate-risk card); ours has the person's draft deleted, untimed, before
//                 each one, so every message is a real first step.
//   card-action   an adaptiveCard/action invoke: ours gets intake.risk "no", prepared by an
//                 untimed "new request" message that puts the draft at the risk step; the
//                 echo bot gets the same untimed message first, so the load has one shape.
//
// Both bots run for the whole measurement; each workload is measured on the echo bot and then
// on ours, back to back. Turn time is from sending POST /api/messages to the end of its HTTP
// response: CloudAdapter answers after the turn logic, outbound connector calls included,
// has finished. Each bot samples its own RSS every 50 ms; the peak over each measured phase
// is reported. "timed/s" is timed turns per second of the measured phase (the untimed
// preparation runs in the same wall time).
// The figures go to the console and to test/bench/results/turn-time.json. The design's
// target is p99(ours) <= 1.5 x p99(echo); PASS or MISS is reported and the exit code is 0
// either way (a benchmark is not a test). A broken run (a bot fails to start or dies, a
// turn answers wrongly) exits 1.
//
// Environment: BENCH_ITERATIONS, BENCH_CONCURRENCY, BENCH_WARMUP, BENCH_DB_POOL_SIZE (ours;
// default the production default of DATABASE_POOL_SIZE), BENCH_LOG_LEVEL (ours; default
// info, as in production), BENCH_CPU_PROF_DIR (each bot writes a V8 CPU profile there),
// TEST_DATABASE_URL, REDIS_URL.

import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchCommand, BenchEvent } from './echo-bot.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_FILE = `${HERE}results/turn-time.json`;
const TARGET_P99_RATIO = 1.5;
/** Botbuilder's reply text when our bot's turn fails (src/channels/teams/teams-channel.ts). */
const SORRY_MARK = 'Sorry, something went wrong on my side';

// ---------------------------------------------------------------------------
// Stub connector (child role)
// ---------------------------------------------------------------------------

interface StubStats {
  posts: number;
  puts: number;
  /** Replies carrying our bot's apology: a failed turn. */
  sorry: number;
  /** Requests that were not a connector activity call. */
  other: number;
  /** The last few activity calls, for the probes' checks. */
  recent: Array<{ method: string; path: string; body: string }>;
}

/**
 * Answers every POST and PUT of a Bot Framework activity with `{ id }` at once, like the
 * Teams connector would; GET /__stats reports what it has seen.
 */
function runStubConnector(): void {
  const stats: StubStats = { posts: 0, puts: 0, sorry: 0, other: 0, recent: [] };
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/__stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(stats));
        return;
      }
      if ((req.method === 'POST' || req.method === 'PUT') && /\/v3\/conversations\/[^/]+\/activities/.test(url)) {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.method === 'POST') stats.posts += 1;
        else stats.puts += 1;
        if (body.includes(SORRY_MARK)) stats.sorry += 1;
        stats.recent.push({ method: req.method, path: decodeURIComponent(url), body });
        if (stats.recent.length > 8) stats.recent.shift();
        seq += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `out-${seq}` }));
        return;
      }
      stats.other += 1;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NotFound', message: `stub connector: no ${req.method} ${url}` } }));
    });
  });
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
    const event: BenchEvent = { type: 'ready', port: (server.address() as AddressInfo).port, rss: process.memoryUsage.rss() };
    process.send?.(event);
  });
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

interface Child {
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

function startChild(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Child> {
  // The children run under the same tsx loader as this process (production also runs tsx).
  // BENCH_CPU_PROF_DIR: each bot writes a V8 CPU profile there when it exits (not the stub).
  const profile = process.env.BENCH_CPU_PROF_DIR && !args.includes('--stub-connector') ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = fork(script, args, { execArgv: [...process.execArgv, ...profile], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
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

// ---------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------

interface HttpResult {
  status: number;
  text: string;
  ms: number;
}

let agent = new http.Agent({ keepAlive: true });

/** POST a prepared body; the time covers the request and the whole response. */
function post(url: string, body: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url} within 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
          } catch (error) {
            reject(error);
          }
        });
      })
      .on('error', reject);
  });
}

// ---------------------------------------------------------------------------
// Activities
// ---------------------------------------------------------------------------

interface BenchUser {
  personId: string;
  aadObjectId: string;
  name: string;
}

const BOT_ACCOUNT = { id: '28:sg-supervision-bot', name: 'SG Supervision' };
const TRIAGE_CHANNEL = '19:bench-triage@thread.tacv2';
const FIRST_MESSAGE = 'I need some advice about a job last night';
let activitySeq = 0;

function personalActivity(user: BenchUser, serviceUrl: string, tenantId: string, fields: Record<string, unknown>) {
  activitySeq += 1;
  return {
    id: `in-${activitySeq}`,
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-GB',
    from: { id: `29:${user.aadObjectId}`, aadObjectId: user.aadObjectId, name: user.name },
    recipient: BOT_ACCOUNT,
    conversation: { id: `a:personal-${user.aadObjectId}`, conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    ...fields,
  };
}

const messageFields = (text: string) => ({ type: 'message', text, textFormat: 'plain' });
const invokeFields = (verb: string, data: Record<string, unknown>) => ({
  type: 'invoke',
  name: 'adaptiveCard/action',
  value: { action: { type: 'Action.Execute', verb, data } },
});

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Exact percentiles (nearest rank) over every sample: a sorted array, no bucketing. */
function summarise(samples: number[]): Summary {
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

// ---------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------

type WorkloadKey = 'request-step' | 'card-action';
const WORKLOADS: WorkloadKey[] = ['request-step', 'card-action'];

interface Workload {
  key: WorkloadKey;
  /** Untimed: put the conversation in the state the timed request expects. */
  prepare(user: BenchUser): Promise<void>;
  /** The timed request's body. */
  body(user: BenchUser): string;
  /** Why a timed answer is wrong, or null. */
  check(result: HttpResult): string | null;
  /** Checks on one probe turn: its answer and the connector calls it made. */
  probe(result: HttpResult, calls: StubStats['recent']): string | null;
}

interface Target {
  name: 'echo' | 'ours';
  label: string;
  child: Child;
  url: string;
  workloads: Workload[];
}

interface PhaseResult {
  summary: Summary;
  failures: number;
  failureExamples: string[];
  /** Connector calls per timed turn, from the probe. */
  outboundPerTurn: number;
  timedTurnsPerSecond: number;
  peakRssBytes: number;
  rssSamples: number;
}

async function stubStats(stubUrl: string) {
  return getJson<StubStats>(`${stubUrl}/__stats`);
}

function parse(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

async function runPhase(
  target: Target,
  workload: Workload,
  users: BenchUser[],
  options: { warmup: number; iterations: number; stubUrl: string },
): Promise<PhaseResult> {
  // Probe: one turn on its own, checked in full, and its connector calls counted.
  const [first] = users;
  if (!first) throw new Error('no users');
  await workload.prepare(first);
  const before = await stubStats(options.stubUrl);
  const probe = await post(target.url, workload.body(first));
  const after = await stubStats(options.stubUrl);
  const outbound = after.posts + after.puts - before.posts - before.puts;
  const probeProblem = workload.check(probe) ?? workload.probe(probe, after.recent.slice(after.recent.length - Math.min(outbound, 8)));
  if (probeProblem) throw new Error(`${target.label} ${workload.key}: the probe turn is wrong: ${probeProblem}`);

  let aborted: Error | undefined;
  const failureExamples: string[] = [];
  let failures = 0;
  const loop = async (user: BenchUser, count: number, samples?: number[]) => {
    for (let i = 0; i < count && !aborted; i += 1) {
      try {
        await workload.prepare(user);
        const result = await post(target.url, workload.body(user));
        const problem = workload.check(result);
        if (problem) {
          failures += 1;
          if (failureExamples.length < 5 && !failureExamples.includes(problem)) failureExamples.push(problem);
        }
        samples?.push(result.ms);
      } catch (error) {
        aborted ??= error instanceof Error ? error : new Error(String(error));
      }
    }
  };

  await Promise.all(users.map((user) => loop(user, options.warmup)));
  if (aborted) throw aborted;
  failures = 0;
  failureExamples.length = 0;

  const sorryBefore = (await stubStats(options.stubUrl)).sorry;
  const samples: number[] = [];
  await target.child.request('measure-start');
  const started = performance.now();
  await Promise.all(users.map((user) => loop(user, options.iterations, samples)));
  const wall = performance.now() - started;
  if (aborted) throw aborted;
  const memory = await target.child.request('measure-stop');
  const sorry = (await stubStats(options.stubUrl)).sorry - sorryBefore;
  if (sorry > 0) {
    failures += sorry;
    failureExamples.push(`${sorry} apology replies ("${SORRY_MARK}...") reached the connector`);
  }

  return {
    summary: summarise(samples),
    failures,
    failureExamples,
    outboundPerTurn: outbound,
    timedTurnsPerSecond: Math.round((samples.length / wall) * 1000 * 10) / 10,
    peakRssBytes: memory.peakRss,
    rssSamples: memory.samples,
  };
}

const expectStatus200 = (result: HttpResult) => (result.status === 200 ? null : `HTTP ${result.status}: ${result.text.slice(0, 200)}`);

function expectInvokeBody(result: HttpResult, expected: (body: any) => boolean, what: string): string | null {
  const status = expectStatus200(result);
  if (status) return status;
  const body = parse(result.text);
  return body && body.statusCode === 200 && expected(body) ? null : `invoke answer is not ${what}: ${result.text.slice(0, 200)}`;
}

function echoWorkloads(url: string, serviceUrl: string, tenantId: string): Workload[] {
  return [
    {
      key: 'request-step',
      prepare: async () => {},
      body: (user) => JSON.stringify(personalActivity(user, serviceUrl, tenantId, messageFields(FIRST_MESSAGE))),
      check: expectStatus200,
      probe: (_result, calls) =>
        calls.length === 1 && parse(calls[0]!.body)?.text === FIRST_MESSAGE ? null : `expected one echo reply, got ${JSON.stringify(calls)}`,
    },
    {
      key: 'card-action',
      // The same untimed message as our bot gets, so both see the same load.
      prepare: async (user) => {
        const res = await post(url, JSON.stringify(personalActivity(user, serviceUrl, tenantId, messageFields('new request'))));
        if (res.status !== 200) throw new Error(`echo preparation failed: HTTP ${res.status}`);
      },
      body: (user) => JSON.stringify(personalActivity(user, serviceUrl, tenantId, invokeFields('intake.risk', { answer: 'no' }))),
      check: (result) => expectInvokeBody(result, (b) => b.type === 'application/vnd.microsoft.card.adaptive', 'a card'),
      probe: (_result, calls) => (calls.length === 0 ? null : `expected no connector calls, got ${calls.length}`),
    },
  ];
}

const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';

function oursWorkloads(
  url: string,
  serviceUrl: string,
  tenantId: string,
  deleteDraft: (personId: string) => Promise<unknown>,
): Workload[] {
  return [
    {
      key: 'request-step',
      prepare: async (user) => {
        await deleteDraft(user.personId);
      },
      body: (user) => JSON.stringify(personalActivity(user, serviceUrl, tenantId, messageFields(FIRST_MESSAGE))),
      check: expectStatus200,
      probe: (_result, calls) => {
        const body = calls.length === 1 ? parse(calls[0]!.body) : undefined;
        const card = body?.attachments?.[0];
        return card?.contentType === ADAPTIVE && JSON.stringify(card.content).includes('Is anyone at immediate risk of harm right now?')
          ? null
          : `expected the immediate-risk card, got ${JSON.stringify(calls).slice(0, 400)}`;
      },
    },
    {
      key: 'card-action',
      prepare: async (user) => {
        const res = await post(url, JSON.stringify(personalActivity(user, serviceUrl, tenantId, messageFields('new request'))));
        if (res.status !== 200) throw new Error(`preparation ("new request") failed: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
      },
      body: (user) => JSON.stringify(personalActivity(user, serviceUrl, tenantId, invokeFields('intake.risk', { answer: 'no' }))),
      // A refusal (e.g. "That question has already been answered.") would be a cheaper turn than the one meant.
      check: (result) => expectInvokeBody(result, (b) => b.value === 'Got it.', '"Got it." (the risk answer was refused)'),
      probe: (_result, calls) => {
        const body = calls.length === 1 ? parse(calls[0]!.body) : undefined;
        const card = body?.attachments?.[0];
        return card?.contentType === ADAPTIVE && JSON.stringify(card.content).includes('intake.kind')
          ? null
          : `expected the kind-of-help card, got ${JSON.stringify(calls).slice(0, 400)}`;
      },
    },
  ];
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (n: number) => n.toFixed(2);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, index) => {
      const line = r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
      return index === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min} (got "${raw}")`);
  return value;
}

/** Set once a signal has asked the run to stop; errors after that are its consequence. */
let interrupted: string | undefined;

async function main(): Promise<void> {
  const iterations = intFromEnv('BENCH_ITERATIONS', 20, 1);
  const concurrency = intFromEnv('BENCH_CONCURRENCY', 50, 1);
  const warmup = intFromEnv('BENCH_WARMUP', 5, 0);
  const logLevel = process.env.BENCH_LOG_LEVEL || 'info';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

  // Loaded here, not at the top: the stub connector child needs none of it.
  const [{ createTestDatabase }, { seedDemoOrganisation }, demo, enums, { loadConfig }] = await Promise.all([
    import('../support/database.js'),
    import('../../src/db/seed-demo.js'),
    import('../../src/db/demo-organisation.js'),
    import('../../src/db/generated/enums.js'),
    import('../../src/config.js'),
  ]);
  const poolSize = intFromEnv('BENCH_DB_POOL_SIZE', loadConfig({}).DATABASE_POOL_SIZE, 1);
  const tenantId = demo.DEMO_TENANT_ID;

  agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 10 });
  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) await fn().catch((error: unknown) => console.error('clean-up step failed:', error));
      for (const child of children) child.kill('SIGKILL');
      agent.destroy();
    })();
    return cleaning;
  };
  // Interrupted (Ctrl-C reaches the children too) or crashed: clean up, then exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = signal;
      console.error(`\n${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  const crash = (error: unknown) => {
    console.error('\nThe benchmark failed:', error);
    void cleanUp().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  try {
    console.log(
      `Turn-time benchmark: ${concurrency} concurrent personal conversations, ${warmup} warm-up + ${iterations} timed iterations each per workload (${os.cpus().length} CPUs, Node ${process.version}).`,
    );

    // The stub connector, in its own process.
    const stub = await startChild('stub connector', fileURLToPath(import.meta.url), ['--stub-connector'], process.env);
    cleanups.push(() => stub.stop());
    const stubUrl = `http://127.0.0.1:${stub.port}`;
    const serviceUrl = stubUrl;

    // The bench schema: migrated, the demo organisation, and one person per conversation.
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const { organisationId } = await seedDemoOrganisation(database.db);
    const paramedic = await database.db.person.findFirstOrThrow({ where: { organisationId, email: demo.demoPerson('paramedic').email } });
    const admin = await database.db.person.findFirstOrThrow({ where: { organisationId, email: demo.demoPerson('admin').email } });
    const users: BenchUser[] = Array.from({ length: concurrency }, (_, i) => {
      const n = i + 1;
      return { personId: randomUUID(), aadObjectId: `be4c0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`, name: `Bench Tester ${n}` };
    });
    await database.db.person.createMany({
      data: users.map((u, i) => ({
        id: u.personId,
        organisationId,
        name: u.name,
        email: `bench.tester${i + 1}@bench.demo.las.nhs.uk`,
        jobTitle: 'Paramedic',
        roles: [enums.Role.STAFF],
        staffGroupId: paramedic.staffGroupId,
        lineManagerId: paramedic.lineManagerId,
      })),
    });
    await database.db.platformIdentity.createMany({
      data: users.map((u) => ({ personId: u.personId, platform: enums.Platform.TEAMS, tenantId, platformUserId: u.aadObjectId })),
    });
    console.log(`Bench schema ${database.schema}: demo organisation + ${users.length} bench people.`);

    const results: Record<'echo' | 'ours', { label: string; startupRssBytes: number; phases: Partial<Record<WorkloadKey, PhaseResult>> }> = {
      echo: { label: 'echo (bare botbuilder)', startupRssBytes: 0, phases: {} },
      ours: { label: 'ours (createBot + listen)', startupRssBytes: 0, phases: {} },
    };

    // Both bots run from here on; the idle one costs next to nothing. Each workload is
    // measured on the echo bot and then on ours, back to back, so that whatever else the
    // machine is doing affects both alike as far as possible.
    const echo = await startChild('echo bot', `${HERE}echo-bot.ts`, [], process.env);
    cleanups.push(() => echo.stop());
    const ours = await startChild('our bot', `${HERE}sg-bot.ts`, [], {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: logLevel,
      DATABASE_URL: database.databaseUrl,
      DATABASE_SCHEMA: database.schema,
      DATABASE_POOL_SIZE: String(poolSize),
      REDIS_URL: redisUrl,
      MIGRATE_ON_START: 'false',
      MICROSOFT_APP_ID: '',
      MICROSOFT_APP_PASSWORD: '',
      SLACK_SIGNING_SECRET: '',
      SLACK_BOT_TOKEN: '',
    });
    cleanups.push(() => ours.stop());
    results.echo.startupRssBytes = echo.startupRss;
    results.ours.startupRssBytes = ours.startupRss;
    const echoUrl = `http://127.0.0.1:${echo.port}/api/messages`;
    const oursUrl = `http://127.0.0.1:${ours.port}/api/messages`;

    // The administrator binds the triage channel first, as in a real deployment.
    const bind = await post(
      oursUrl,
      JSON.stringify({
        ...personalActivity(
          { personId: admin.id, aadObjectId: demo.demoPerson('admin').aadObjectId, name: admin.name },
          serviceUrl,
          tenantId,
          messageFields('<at>SG Supervision</at> bind triage'),
        ),
        conversation: { id: `${TRIAGE_CHANNEL};messageid=1`, conversationType: 'channel', isGroup: true, tenantId },
        channelData: { tenant: { id: tenantId }, channel: { id: TRIAGE_CHANNEL, name: 'Safeguarding triage' }, team: { id: '19:bench-team@thread.tacv2' } },
      }),
    );
    const bound = await database.db.triageChannel.findFirst({ where: { organisationId } });
    if (bind.status !== 200 || bound?.conversationId !== TRIAGE_CHANNEL) {
      console.error(`our bot's last output:\n${ours.output()}`);
      throw new Error(`binding the triage channel failed (HTTP ${bind.status}, channel ${bound?.conversationId ?? 'none'})`);
    }

    const deleteDraft = (personId: string) => database.db.requestDraft.deleteMany({ where: { personId } });
    const targets: Target[] = [
      { name: 'echo', label: 'echo', child: echo, url: echoUrl, workloads: echoWorkloads(echoUrl, serviceUrl, tenantId) },
      { name: 'ours', label: 'ours', child: ours, url: oursUrl, workloads: oursWorkloads(oursUrl, serviceUrl, tenantId, deleteDraft) },
    ];
    for (const key of WORKLOADS) {
      for (const target of targets) {
        const workload = target.workloads.find((w) => w.key === key)!;
        process.stdout.write(`  ${key}, ${target.label}... `);
        try {
          const phase = await runPhase(target, workload, users, { warmup, iterations, stubUrl });
          results[target.name].phases[key] = phase;
          console.log(`p50 ${ms(phase.summary.p50)} ms, p99 ${ms(phase.summary.p99)} ms${phase.failures ? `, ${phase.failures} FAILED` : ''}`);
        } catch (error) {
          await new Promise((resolve) => setTimeout(resolve, 300)); // let a dying child's exit arrive
          console.error(`\n${target.child.name}'s last output:\n${target.child.output() || '(none)'}`);
          const exit = target.child.exit();
          throw exit ? new Error(`${target.child.name} ${exit} during ${key}`, { cause: error }) : error;
        }
      }
    }
    await Promise.all([echo.stop(), ours.stop()]);

    // Report.
    const rows: string[][] = [['workload', 'bot', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'max ms', 'timed/s', 'out/turn', 'peak RSS', 'failed']];
    const comparison: Record<string, { p50Ratio: number; p99Ratio: number; meanRatio: number; verdict: 'PASS' | 'MISS' | 'INVALID' }> = {};
    for (const key of WORKLOADS) {
      for (const name of ['echo', 'ours'] as const) {
        const phase = results[name].phases[key]!;
        const s = phase.summary;
        rows.push([key, name, String(s.count), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean), ms(s.max), String(phase.timedTurnsPerSecond), String(phase.outboundPerTurn), mib(phase.peakRssBytes), String(phase.failures)]);
      }
      const echo = results.echo.phases[key]!;
      const ours = results.ours.phases[key]!;
      const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
      const p99Ratio = ratio(ours.summary.p99, echo.summary.p99);
      comparison[key] = {
        p50Ratio: ratio(ours.summary.p50, echo.summary.p50),
        p99Ratio,
        meanRatio: ratio(ours.summary.mean, echo.summary.mean),
        verdict: echo.failures || ours.failures ? 'INVALID' : p99Ratio <= TARGET_P99_RATIO ? 'PASS' : 'MISS',
      };
    }
    const peak = (name: 'echo' | 'ours') => Math.max(...WORKLOADS.map((k) => results[name].phases[k]!.peakRssBytes));

    console.log('\nTurn time: POST /api/messages to the end of its HTTP response (outbound connector calls included)\n');
    console.log(table(rows));
    console.log(`\nours / echo (target: p99 ratio <= ${TARGET_P99_RATIO})\n`);
    console.log(
      table([
        ['workload', '', 'p50 ratio', 'p99 ratio', 'mean ratio', 'verdict'],
        ...WORKLOADS.map((k) => [k, '', `${comparison[k]!.p50Ratio}x`, `${comparison[k]!.p99Ratio}x`, `${comparison[k]!.meanRatio}x`, comparison[k]!.verdict]),
      ]),
    );
    console.log(
      `\nPeak RSS over the measured phases: echo ${mib(peak('echo'))} (at start ${mib(results.echo.startupRssBytes)}), ours ${mib(peak('ours'))} (at start ${mib(results.ours.startupRssBytes)}).`,
    );
    for (const name of ['echo', 'ours'] as const) {
      for (const key of WORKLOADS) {
        const phase = results[name].phases[key]!;
        if (phase.failures) console.log(`FAILED turns, ${name} ${key}: ${phase.failureExamples.join(' | ')}`);
      }
    }

    const json = {
      benchmark: 'turn-time',
      generatedAt: new Date().toISOString(),
      definition:
        'Turn time: from sending POST /api/messages to the end of its HTTP response; CloudAdapter answers after the turn, outbound connector calls included. Closed loop per conversation; percentiles are exact (nearest rank). RSS sampled every 50 ms in each bot process.',
      environment: {
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        totalMemoryBytes: os.totalmem(),
      },
      parameters: { concurrency, warmupPerConversation: warmup, iterationsPerConversation: iterations, oursDatabasePoolSize: poolSize, oursLogLevel: logLevel },
      target: { p99RatioMax: TARGET_P99_RATIO },
      bots: Object.fromEntries(
        (['echo', 'ours'] as const).map((name) => [
          name,
          {
            label: results[name].label,
            startupRssBytes: results[name].startupRssBytes,
            peakRssBytes: peak(name),
            workloads: Object.fromEntries(
              WORKLOADS.map((k) => {
                const { failureExamples, ...phase } = results[name].phases[k]!;
                return [k, { ...phase, ...(failureExamples.length ? { failureExamples } : {}) }];
              }),
            ),
          },
        ]),
      ),
      comparison,
    };
    mkdirSync(`${HERE}results`, { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nWrote ${RESULTS_FILE.replace(`${process.cwd()}/`, '')}.`);
    if (Object.values(comparison).some((c) => c.verdict === 'INVALID')) {
      console.error('Some timed turns failed (see above): these figures do not measure the intended turns.');
      process.exitCode = 1;
    }
  } finally {
    await cleanUp();
  }
}

if (process.argv.includes('--stub-connector')) {
  runStubConnector();
} else {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      if (interrupted) return; // the signal handler exits once clean-up is done
      console.error('\nThe benchmark could not run:', error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
