// A web process whose Redis is down (issue 22): it still starts and serves, it logs the outage
// once rather than a line per reconnect, and SIGTERM ends it within 10 s although its Redis
// client cannot quit cleanly. src/main.ts in its own process, as production runs it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { systemClock } from '../../src/domain/time.js';
import { createUrgentCopy } from '../../src/flows/urgent-copy.js';
import { httpRequest } from '../support/teams-harness.js';
import { createLogger } from '../../src/logger.js';
import { onceAMinute } from '../../src/logger.js';
import { testDatabaseUrl, withTestDatabase } from '../support/database.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const t = withTestDatabase();

/**
 * How long a start may take: tsx compiles the whole bot in the child first, which took 42 s on a
 * 2-core machine with the suite and two CPU-bound processes beside it. A deadline, not a wait.
 */
const START_MS = 120_000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** src/main.ts in its own process, Slack configured (not local mode, which starts playgrounds too). */
function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: testDatabaseUrl,
      DATABASE_SCHEMA: t.schema,
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
      SLACK_BOT_TOKEN: 'xoxb-test',
      PUBLIC_BASE_URL: 'https://bot.example.nhs.uk',
      LINK_SECRET: 'a'.repeat(40),
      // Never the repository's own .sg-state: a kept report would be replayed by a later local start.
      URGENT_SPOOL_DIR: path.join(tmpdir(), `sgs-spool-${randomUUID()}`),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, out, exited };
}

/**
 * What an orchestrator allows between SIGTERM and SIGKILL ("about 10 s", src/main.ts). The product's
 * promise is to be gone by then: main.ts exits at its SHUTDOWN_DEADLINE_MS (8 s) whatever is still
 * waiting, which leaves 2 s for the signal to arrive and the process to end, on a loaded machine too.
 */
const ORCHESTRATOR_GRACE_MS = 10_000;

/**
 * SIGTERM as an orchestrator sends it: SIGKILL follows if the process is still there after the
 * grace period. The caller asserts that the process ended on its own (an exit code, no signal).
 */
async function stopAsAnOrchestratorWould(started: Pick<ReturnType<typeof startMain>, 'child' | 'exited'>) {
  const { child, exited } = started;
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), ORCHESTRATOR_GRACE_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(kill);
  }
}

/** How main.ts may end after SIGTERM: 0 once everything closed, or 1 from its own shutdown deadline, said in its log. */
function expectStoppedOnItsOwn(ended: { code: number | null; signal: NodeJS.Signals | null }, stdout: string) {
  expect(ended.signal).toBeNull(); // not the orchestrator's SIGKILL
  expect(stdout).toContain('shutting down');
  if (ended.code === 1) expect(stdout).toContain('shutdown deadline reached');
  else expect(ended.code).toBe(0);
}

describe('Redis down', () => {
  it('starts, logs the outage once, and exits within 10 s of SIGTERM', async () => {
    const { organisationId } = await seedDemoOrganisation(t.db);
    await t.db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: 'T0SGSDOWN' } });
    const deadRedis = await freePort(); // nothing listens there: every attempt is refused, with the same error
    const port = await freePort();
    const main = startMain({
      PROCESS_ROLE: 'web',
      PORT: String(port),
      REDIS_URL: `redis://127.0.0.1:${deadRedis}`,
      REDIS_PREFIX: `down-${randomUUID().slice(0, 8)}`,
      // ioredis's documented debug output, on stderr: a status line for each failed connection
      // attempt ("close -> reconnecting"), so the test can count the reconnects it must log once.
      DEBUG: 'ioredis:redis',
    });
    const { child, out } = main;
    // Each failed attempt has emitted its error (to main.ts's listener) before ioredis says it is reconnecting.
    const failedAttempts = () => out.stderr.split('-> reconnecting').length - 1;
    try {
      await expect.poll(() => out.stdout.includes('bot listening'), { timeout: START_MS, interval: 100 }).toBe(true);
      // The outage is noticed (its first line: the first failed attempt's error)...
      await expect.poll(() => out.stdout.includes('redis connection problem'), { timeout: 20_000, interval: 100 }).toBe(true);
      // ...and three more attempts fail after it, each error reaching the same listener.
      await expect.poll(failedAttempts, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(4);
      const ended = await stopAsAnOrchestratorWould(main);
      expectStoppedOnItsOwn(ended, out.stdout);
      const redisLines = out.stdout.split('\n').filter((line) => line.includes('redis connection problem'));
      expect(redisLines).toHaveLength(1);
      // No raw stacks on stderr: failures are JSON lines.
      expect(out.stderr).not.toMatch(/^\s+at /m);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, START_MS + 60_000);
});

describe('Redis cut while a worker runs', () => {
  it('exits within 10 s of SIGTERM, the worker and its queue unable to close cleanly', async () => {
    const { organisationId } = await seedDemoOrganisation(t.db);
    await t.db.organisation.updateMany({ where: { id: organisationId }, data: { slackTeamId: 'T0SGSCUT' } });
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    const main = startMain({
      PROCESS_ROLE: 'all',
      PORT: String(await freePort()),
      REDIS_URL: proxy.url('redis'),
      REDIS_PREFIX: `cut-${randomUUID().slice(0, 8)}`,
    });
    const { child, out } = main;
    try {
      await expect.poll(() => out.stdout.includes('reminder scheduler started'), { timeout: START_MS, interval: 100 }).toBe(true);
      proxy.cut();
      // The worker and the queue have lost Redis: the child says so.
      await expect.poll(() => out.stdout.includes('redis connection problem'), { timeout: 20_000, interval: 100 }).toBe(true);
      const ended = await stopAsAnOrchestratorWould(main);
      expectStoppedOnItsOwn(ended, out.stdout);
      expect(out.stderr).not.toMatch(/^\s+at /m);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await proxy.close();
    }
  }, START_MS + 60_000);
});

describe('PostgreSQL unreachable at start', () => {
  it('a web process starts anyway, is not ready, gives a person at risk their organisation\'s routes from the last-known copy, and passes the report on once PostgreSQL answers', async () => {
    const { organisationId } = await seedDemoOrganisation(t.db);
    const TEAM = 'T0SGSNODB';
    await t.db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: TEAM } });
    const paramedic = await t.db.person.findFirstOrThrow({ where: { organisationId, roles: { has: 'STAFF' } }, orderBy: { name: 'asc' } });
    await t.db.platformIdentity.create({ data: { personId: paramedic.id, platform: 'SLACK', tenantId: TEAM, platformUserId: 'U0NODB1' } });
    const admin = await t.db.person.findFirstOrThrow({ where: { organisationId, roles: { has: 'ADMINISTRATOR' } } });
    await t.db.triageChannel.create({ data: { organisationId, platform: 'SLACK', conversationId: 'C0NODBTRIAGE', boundById: admin.id } });
    await t.db.conversationReference.create({ data: { platform: 'SLACK', conversationId: 'C0NODBTRIAGE', kind: 'CHANNEL', tenantId: TEAM, reference: { channel: 'C0NODBTRIAGE', teamId: TEAM } } });
    // PostgreSQL behind a proxy that refuses every connection until the test restores it.
    const target = new URL(testDatabaseUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    proxy.cut();
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'sgs-spool-'));
    // The copy a process wrote while PostgreSQL answered.
    const dir = mkdtempSync(path.join(tmpdir(), 'sgs-copy-'));
    const file = path.join(dir, 'urgent-routes.json');
    const copy = createUrgentCopy({ db: t.db, clock: systemClock, logger: createLogger({ level: 'silent' }), file, localMode: false, refreshMs: 3_600_000 });
    expect(await copy.refresh()).toBe(true);
    copy.stop();

    // Slack's Web API, kept by this test.
    const posted: string[] = [];
    const slack = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url?.endsWith('chat.postMessage')) posted.push(decodeURIComponent(body.replace(/\+/g, ' ')));
        res.writeHead(200, { 'content-type': 'application/json' });
        // conversations.open names the DM it opened; a post names where it went.
        res.end(JSON.stringify({ ok: true, ts: `${Date.now() / 1000}`, channel: req.url?.endsWith('conversations.open') ? { id: 'D0NODB' } : 'D0NODB' }));
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    const slackPort = (slack.address() as { port: number }).port;
    const port = await freePort();
    const { child, out, exited } = startMain({
      PROCESS_ROLE: 'web',
      PORT: String(port),
      DATABASE_URL: `${proxy.url('postgresql')}${target.pathname}`.replace('postgresql://', `postgresql://${target.username}${target.password ? `:${target.password}` : ''}@`),
      REDIS_PREFIX: `nodb-${randomUUID().slice(0, 8)}`,
      SLACK_API_URL: `http://127.0.0.1:${slackPort}/api/`,
      URGENT_COPY_FILE: file,
      URGENT_SPOOL_DIR: spoolDir,
    });
    try {
      await expect.poll(() => out.stdout.includes('bot listening'), { timeout: START_MS, interval: 100 }).toBe(true);
      // Slack's signature is checked against the bot's clock, which need not be this process's
      // (CI runs the suite under faketime; this child starts without it): read it off its log.
      const listening = JSON.parse(out.stdout.split('\n').find((line) => line.includes('bot listening'))!) as { time: number };
      const clockOffsetMs = listening.time - Date.now();
      expect(out.stdout).toContain('PostgreSQL unreachable at start');
      const ready = await httpRequest(`http://127.0.0.1:${port}/readyz`, 'GET');
      expect(ready.status).toBe(503);
      expect(ready.text).toContain('postgres');
      expect(ready.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);

      const body = JSON.stringify({
        type: 'event_callback',
        team_id: TEAM,
        api_app_id: 'A0NODB',
        event_id: 'Ev0NODB1',
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'message', channel_type: 'im', channel: 'D0NODB', user: 'U0NODB1', text: 'A child is being hurt right now at the address I attended', ts: `${Date.now() / 1000}` },
      });
      const timestamp = String(Math.floor((Date.now() + clockOffsetMs) / 1000));
      const sent = await httpRequest(`http://127.0.0.1:${port}/slack/events`, 'POST', body, {
        'content-type': 'application/json',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': `v0=${signSlackBody('test-signing-secret-0123456789abcdef', timestamp, body)}`,
      });
      expect(sent.status).toBe(200);
      await expect.poll(() => posted.length, { timeout: 15_000, interval: 100 }).toBeGreaterThan(0);
      expect(posted[0]).toContain('020 7407 7181'); // the demo organisation's 24/7 line, from the copy
      expect(posted[0]).toContain('I have kept your report');
      expect(readdirSync(spoolDir).filter((name) => name.endsWith('.json'))).toHaveLength(1);

      // PostgreSQL answers: the start's checks pass, and the kept report becomes one urgent request.
      proxy.restore();
      await expect.poll(() => t.db.supervisionRequest.count({ where: { requesterId: paramedic.id, urgency: 'URGENT' } }), { timeout: 60_000, interval: 250 }).toBe(1);
      const request = await t.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: paramedic.id } });
      expect(request.summary).toContain('child is being hurt');
      await expect.poll(() => posted.some((p) => p.includes(`is now with the safeguarding team: reference ${request.reference}`)), { timeout: 20_000, interval: 100 }).toBe(true);
      await expect.poll(() => posted.filter((p) => p.includes('C0NODBTRIAGE') && p.includes(request.reference)).length, { timeout: 20_000, interval: 100 }).toBe(1);
      expect(readdirSync(spoolDir).filter((name) => name.endsWith('.json'))).toHaveLength(0);
      await expect.poll(() => out.stdout.includes('PostgreSQL answers: the start checks passed'), { timeout: 20_000, interval: 100 }).toBe(true);

      await stopAsAnOrchestratorWould({ child, exited });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await new Promise((resolve) => slack.close(resolve));
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(spoolDir, { recursive: true, force: true });
    }
  }, START_MS + 120_000);
});

describe('onceAMinute', () => {
  it('logs one line per distinct error per interval, then says how many it left out', async () => {
    const lines: Array<{ facts: any; message: string }> = [];
    const logger = { warn: (facts: object, message: string) => void lines.push({ facts, message }) };
    // Fake timers fake Date.now too: the interval passes exactly when the test says, however busy the machine.
    vi.useFakeTimers();
    try {
      const listener = onceAMinute(logger as unknown as ReturnType<typeof createLogger>, 'dependency down', 200);
      for (let i = 0; i < 5; i += 1) listener(new Error('connect ECONNREFUSED'));
      listener(new Error('getaddrinfo ENOTFOUND'));
      expect(lines.map((l) => l.facts.err.message)).toEqual(['connect ECONNREFUSED', 'getaddrinfo ENOTFOUND']);
      vi.advanceTimersByTime(199);
      listener(new Error('connect ECONNREFUSED'));
      expect(lines).toHaveLength(2); // still within the interval: counted, not logged
      vi.advanceTimersByTime(1);
      listener(new Error('connect ECONNREFUSED'));
      expect(lines).toHaveLength(3);
      expect(lines[2]!.facts).toMatchObject({ repeated: 5 });
    } finally {
      vi.useRealTimers();
    }
  });
});
