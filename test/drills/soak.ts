// Soak drill (issue 7): the bot as production runs it (src/main.ts, PROCESS_ROLE=all: web
// server, reminder scheduler and retention job in one process) under a steady mix of chat turns
// and reminders for DRILL_MINUTES (default 10), reporting
//
//   errors        target 0: failed or wrong turns (HTTP status, invoke status), apologies that
//                 reached Teams or Slack, error lines in the bot's log, requests submitted but
//                 not stored, reminders due during the run that were not sent, the bot dying;
//   p99 growth    target <= 20%: p99 Teams turn time in the last minute against the first;
//   RSS growth    target < 10%: the bot's resident set (median over the last minute against
//                 the first; a run shorter than 3 minutes compares its first and last thirds).
//
//   npm run drill:soak                    10 minutes
//   DRILL_MINUTES=1 npm run drill:soak    a short proof
//
// The load: DRILL_TEAMS_USERS people (default 8) on Teams, each going round a whole request
// (new request, risk "no", quick advice, details submitted) then "my actions" and "help", as
// real activities posted to /api/messages with the replies going to a local stub connector
// (test/bench/stub-connector.ts); DRILL_SLACK_USERS people (default 4) on Slack sending signed
// `/supervision help`, `/supervision my actions` and a DM "help" event to /slack/events, the Web
// API being a local stub (test/bench/stub-slack-api.ts); everyone waits DRILL_THINK_MS
// (default 250) between turns. Reminders: DRILL_REMINDERS_PER_MINUTE draft records (default 20)
// fall due evenly through the run, and the real scheduler (real Redis, its own key prefix,
// the production sweep every minute) turns each into a RECORD_OVERDUE reminder sent through
// the stub connector.
// The same load runs for DRILL_WARMUP_SECONDS first (default a quarter of the run, at most
// 60 s), so that start-up (JIT compilation, connection pools, the heap finding its size) is not
// taken for growth; errors in the warm-up still count.
//
// Figures go to the console and to test/bench/results/soak.json. PASS or MISS per target; the
// exit code is 1 only when the run itself broke (the bot did not start or died). Everything the
// drill starts (bot, stubs, database schema, Redis keys) is removed at the end or on Ctrl-C.

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { signSlackBody } from '../../src/channels/slack/verify-signature.js';
import { demoPerson, DEMO_TENANT_ID } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import {
  CleanupStack,
  configureAgent,
  destroyAgent,
  environmentFacts,
  getJson,
  intFromEnv,
  mib,
  ms,
  post,
  RESULTS_DIR,
  startChild,
  summarise,
  type HttpResult,
} from '../bench/common.js';
import type { StubStats } from '../bench/stub-connector.js';
import type { SlackStubStats } from '../bench/stub-slack-api.js';
import { createTestDatabase } from '../support/database.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH = `${ROOT}test/bench/`;
const RESULTS_FILE = `${RESULTS_DIR}/soak.json`;
const TARGETS = { errors: 0, p99GrowthMax: 0.2, rssGrowthMax: 0.1 };

const SIGNING_SECRET = 'drill-signing-secret-0123456789abcdef';
const TEAM_ID = 'T0SGSDRILL';
const TRIAGE_CHANNEL = '19:drill-triage@thread.tacv2';
const BOT_ACCOUNT = { id: '28:sg-supervision-bot', name: 'SG Supervision' };

interface Settings {
  minutes: number;
  /** Load before the measured minutes begin (JIT, pools and heap settle), errors still counted. */
  warmupSeconds: number;
  teamsUsers: number;
  slackUsers: number;
  thinkMs: number;
  remindersPerMinute: number;
  logLevel: string;
  redisUrl: string;
}

interface TeamsUser {
  personId: string;
  aadObjectId: string;
  name: string;
}
interface SlackUser {
  personId: string;
  userId: string;
  name: string;
  dm: string;
}

interface Sample {
  /** Seconds since the load started. */
  at: number;
  ms: number;
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

let seq = 0;
const runId = randomBytes(3).toString('hex');

function teamsActivity(user: TeamsUser, serviceUrl: string, fields: Record<string, unknown>) {
  seq += 1;
  return JSON.stringify({
    id: `soak-${runId}-${seq}`,
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-GB',
    from: { id: `29:${user.aadObjectId}`, aadObjectId: user.aadObjectId, name: user.name },
    recipient: BOT_ACCOUNT,
    conversation: { id: `a:personal-${user.aadObjectId}`, conversationType: 'personal', tenantId: DEMO_TENANT_ID },
    channelData: { tenant: { id: DEMO_TENANT_ID } },
    ...fields,
  });
}
const message = (text: string) => ({ type: 'message', text, textFormat: 'plain' });
const invoke = (verb: string, data: Record<string, unknown>) => ({ type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } } });

function slackHeaders(body: string, contentType: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { 'content-type': contentType, 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${signSlackBody(SIGNING_SECRET, timestamp, body)}` };
}

function slashBody(user: SlackUser, text: string): string {
  seq += 1;
  return new URLSearchParams({
    token: 'unused',
    team_id: TEAM_ID,
    team_domain: 'sgs-drill',
    channel_id: user.dm,
    channel_name: 'directmessage',
    user_id: user.userId,
    user_name: user.name.toLowerCase().replace(/\s+/g, '.'),
    command: '/supervision',
    text,
    api_app_id: 'A0SGSDRILL',
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${TEAM_ID}/${seq}/drill`,
    trigger_id: `${seq}.drill.trigger`,
  }).toString();
}

function dmEventBody(user: SlackUser, text: string): string {
  seq += 1;
  const now = Date.now() / 1000;
  return JSON.stringify({
    token: 'unused',
    team_id: TEAM_ID,
    api_app_id: 'A0SGSDRILL',
    event: { type: 'message', channel_type: 'im', channel: user.dm, user: user.userId, text, ts: `${now}`, event_ts: `${now}`, client_msg_id: randomUUID() },
    type: 'event_callback',
    event_id: `Ev0SOAK${runId}${String(seq).padStart(8, '0')}`,
    event_time: Math.floor(now),
    authorizations: [{ team_id: TEAM_ID, user_id: 'U0SGSBOT', is_bot: true, is_enterprise_install: false }],
  });
}

// ---------------------------------------------------------------------------
// The bot process
// ---------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The resident set of a process, from /proc (Linux). */
function rssOf(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface BotProcess {
  child: ChildProcess;
  url: string;
  /** Log lines at level error or fatal, and the last lines of output. */
  errorLines: string[];
  lastLines: string[];
  exited(): string | undefined;
  stop(): Promise<void>;
}

async function startBot(env: NodeJS.ProcessEnv, port: number): Promise<BotProcess> {
  const child = fork(`${ROOT}src/main.ts`, [], { execArgv: process.execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: ROOT });
  const errorLines: string[] = [];
  const lastLines: string[] = [];
  let exit: string | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = `exited with code ${code}, signal ${signal}`;
      resolve();
    }),
  );
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      lastLines.push(line);
      if (lastLines.length > 40) lastLines.shift();
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (level ? Number(level) >= 50 : /error/i.test(line)) errorLines.push(line.slice(0, 500));
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exit) throw new Error(`the bot ${exit} before it was ready:\n${lastLines.join('\n')}`);
    const ready = await getJson<{ status: string }>(`${url}/readyz`, 2_000).catch(() => undefined);
    if (ready?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the bot was not ready within 60 s:\n${lastLines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    child,
    url,
    errorLines,
    lastLines,
    exited: () => exit,
    async stop() {
      if (exit) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(killer);
    },
  };
}

// ---------------------------------------------------------------------------
// The drill
// ---------------------------------------------------------------------------

async function runDrill(settings: Settings, cleanups: CleanupStack): Promise<number> {
  const durationMs = settings.minutes * 60_000;
  const windowMs = Math.min(60_000, durationMs / 3);
  console.log(
    `Soak drill: ${settings.warmupSeconds} s warm-up then ${settings.minutes} min measured, ${settings.teamsUsers} Teams + ${settings.slackUsers} Slack people, ${settings.thinkMs} ms between turns, ${settings.remindersPerMinute} reminders a minute (${environmentFacts().cpus} CPUs, Node ${process.version}).`,
  );

  const connector = await startChild('stub connector', `${BENCH}stub-connector.ts`, process.env);
  cleanups.push(() => connector.stop());
  const connectorUrl = `http://127.0.0.1:${connector.port}`;
  const slackStub = await startChild('stub Slack API', `${BENCH}stub-slack-api.ts`, process.env);
  cleanups.push(() => slackStub.stop());
  const slackStubUrl = `http://127.0.0.1:${slackStub.port}`;

  // The drill's schema: migrated, the demo organisation, the drill's people with their identities.
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const db = database.db;
  const { organisationId } = await seedDemoOrganisation(db);
  // Slack is configured, so the organisation is pinned to the drill's workspace (and tenant).
  await db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: TEAM_ID, teamsTenantId: DEMO_TENANT_ID } });
  const paramedic = await db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson('paramedic').email } });
  const teamsUsers: TeamsUser[] = Array.from({ length: settings.teamsUsers }, (_, i) => ({
    personId: randomUUID(),
    aadObjectId: `50a40000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
    name: `Soak Teams ${i + 1}`,
  }));
  const slackUsers: SlackUser[] = Array.from({ length: settings.slackUsers }, (_, i) => {
    const userId = `U0SOAK${String(i + 1).padStart(3, '0')}`;
    return { personId: randomUUID(), userId, name: `Soak Slack ${i + 1}`, dm: `D${userId.slice(1)}` };
  });
  await db.person.createMany({
    data: [...teamsUsers, ...slackUsers].map((u, i) => ({
      id: u.personId,
      organisationId,
      name: u.name,
      email: `soak.${i + 1}@drill.demo.las.nhs.uk`,
      jobTitle: 'Paramedic',
      roles: ['STAFF', 'SUPERVISOR'],
      staffGroupId: paramedic.staffGroupId,
      lineManagerId: paramedic.lineManagerId,
    })),
  });
  await db.platformIdentity.createMany({
    data: [
      ...teamsUsers.map((u) => ({ personId: u.personId, platform: 'TEAMS' as const, tenantId: DEMO_TENANT_ID, platformUserId: u.aadObjectId })),
      ...slackUsers.map((u) => ({ personId: u.personId, platform: 'SLACK' as const, tenantId: TEAM_ID, platformUserId: u.userId })),
    ],
  });

  // Reminders: draft records whose supervisors (the Teams people) are reminded when each falls due.
  const startAt = Date.now();
  const firstDue = startAt + 45_000 + settings.warmupSeconds * 1000; // after start-up and warm-up (a reminder needs the person to have spoken to the bot)
  const reminderCount = Math.max(1, Math.round((settings.remindersPerMinute * durationMs) / 60_000));
  const gapMs = durationMs / reminderCount;
  await db.supervisionRecord.createMany({
    data: Array.from({ length: reminderCount }, (_, i) => ({
      organisationId,
      kind: 'SESSION' as const,
      supervisorId: teamsUsers[i % teamsUsers.length]!.personId,
      format: 'INDIVIDUAL' as const,
      type: 'ON_REQUEST' as const,
      status: 'DRAFT' as const,
      dueAt: new Date(firstDue + i * gapMs),
    })),
  });
  console.log(`Drill schema ${database.schema}: ${teamsUsers.length + slackUsers.length} people, ${reminderCount} draft records falling due through the run.`);

  // The bot, as production starts it.
  const redisPrefix = `soak-${runId}`;
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
  cleanups.push(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  });
  const port = await freePort();
  const bot = await startBot(
    {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      PROCESS_ROLE: 'all',
      LOG_LEVEL: settings.logLevel,
      DATABASE_URL: database.databaseUrl,
      DATABASE_SCHEMA: database.schema,
      REDIS_URL: settings.redisUrl,
      REDIS_PREFIX: redisPrefix,
      MIGRATE_ON_START: 'false',
      MICROSOFT_APP_ID: '',
      MICROSOFT_APP_PASSWORD: '',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-drill-token',
      SLACK_API_URL: `${slackStubUrl}/api/`,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      LINK_SECRET: randomBytes(32).toString('base64url'),
      PLAYGROUND: 'false',
      METRICS_PORT: '',
      METRICS_TOKEN: '',
    },
    port,
  );
  cleanups.push(() => bot.stop());
  const pid = bot.child.pid!;
  const teamsUrl = `${bot.url}/api/messages`;
  const slackUrl = `${bot.url}/slack/events`;
  console.log(`Bot started (pid ${pid}, port ${port}, Redis prefix ${redisPrefix}).`);

  // Warm-up, untimed: the triage channel is bound and every person has spoken to the bot once,
  // so it can write to them later (reminders).
  const admin = demoPerson('admin');
  const bind = await post(
    teamsUrl,
    JSON.stringify({
      ...JSON.parse(teamsActivity({ personId: '', aadObjectId: admin.aadObjectId, name: admin.name }, connectorUrl, message('bind triage'))),
      conversation: { id: `${TRIAGE_CHANNEL};messageid=1`, conversationType: 'channel', isGroup: true, tenantId: DEMO_TENANT_ID },
      channelData: { tenant: { id: DEMO_TENANT_ID }, channel: { id: TRIAGE_CHANNEL, name: 'Safeguarding triage' }, team: { id: '19:drill-team@thread.tacv2' } },
    }),
  );
  if (bind.status !== 200) throw new Error(`binding the triage channel failed: HTTP ${bind.status}`);
  for (const user of teamsUsers) await post(teamsUrl, teamsActivity(user, connectorUrl, message('help')));
  for (const user of slackUsers) {
    const body = slashBody(user, 'help');
    await post(slackUrl, body, slackHeaders(body, 'application/x-www-form-urlencoded'));
  }

  // The load.
  const teamsSamples: Sample[] = [];
  const slackSamples: Sample[] = [];
  const failures: string[] = [];
  let failureCount = 0;
  let detailsSubmitted = 0;
  const fail = (what: string) => {
    failureCount += 1;
    if (failures.length < 10 && !failures.includes(what)) failures.push(what);
  };
  const warmupMs = settings.warmupSeconds * 1000;
  const loadStart = performance.now();
  /** Seconds since the measured part of the run began (negative during the warm-up). */
  const elapsed = () => (performance.now() - loadStart - warmupMs) / 1000;
  const running = () => performance.now() - loadStart < warmupMs + durationMs && !bot.exited();
  const pause = () => new Promise((resolve) => setTimeout(resolve, settings.thinkMs * (0.5 + Math.random())));

  const rss: Array<{ at: number; bytes: number }> = [];
  const sampler = setInterval(() => {
    const bytes = rssOf(pid);
    if (bytes && elapsed() >= 0) rss.push({ at: elapsed(), bytes });
  }, 1000);

  const timed = async (samples: Sample[], what: string, send: () => Promise<HttpResult>, check: (r: HttpResult) => string | null) => {
    try {
      const result = await send();
      const at = elapsed();
      if (at >= 0) samples.push({ at, ms: result.ms });
      const problem = check(result);
      if (problem) fail(`${what}: ${problem}`);
      return result;
    } catch (error) {
      fail(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  const ok200 = (r: HttpResult) => (r.status === 200 ? null : `HTTP ${r.status} ${r.text.slice(0, 120)}`);
  const invokeOk = (r: HttpResult) => {
    if (r.status !== 200) return `HTTP ${r.status} ${r.text.slice(0, 120)}`;
    const body = r.text ? (JSON.parse(r.text) as { statusCode?: number }) : undefined;
    return body?.statusCode === 200 ? null : `invoke answer ${r.text.slice(0, 120)}`;
  };

  const teamsLoop = async (user: TeamsUser, index: number) => {
    const say = (text: string) => timed(teamsSamples, `teams "${text}"`, () => post(teamsUrl, teamsActivity(user, connectorUrl, message(text))), ok200);
    const press = (verb: string, data: Record<string, unknown>) =>
      timed(teamsSamples, `teams ${verb}`, () => post(teamsUrl, teamsActivity(user, connectorUrl, invoke(verb, data))), invokeOk);
    let round = 0;
    await new Promise((resolve) => setTimeout(resolve, (index * settings.thinkMs) / Math.max(1, settings.teamsUsers)));
    while (running()) {
      round += 1;
      await say('new request');
      await pause();
      await press('intake.risk', { answer: 'no' });
      await pause();
      await press('intake.kind', { helpType: 'ADVICE' });
      await pause();
      const details = await press('intake.details', { acknowledged: 'no', summary: `Soak round ${round}: a job that stays with me and I would like advice`, availability: 'weekday mornings' });
      if (details?.status === 200) detailsSubmitted += 1;
      await pause();
      if (!running()) break;
      await say('my actions');
      await pause();
      await say('help');
      await pause();
    }
  };

  const slackLoop = async (user: SlackUser, index: number) => {
    const slash = (text: string) => {
      const body = slashBody(user, text);
      return timed(slackSamples, `slack /supervision ${text}`, () => post(slackUrl, body, slackHeaders(body, 'application/x-www-form-urlencoded')), ok200);
    };
    await new Promise((resolve) => setTimeout(resolve, (index * settings.thinkMs) / Math.max(1, settings.slackUsers)));
    while (running()) {
      await slash('help');
      await pause();
      await slash('my actions');
      await pause();
      const body = dmEventBody(user, 'help');
      await timed(slackSamples, 'slack DM event', () => post(slackUrl, body, slackHeaders(body, 'application/json')), ok200);
      await pause();
    }
  };

  const progress = setInterval(() => {
    process.stdout.write(`  ${Math.round(elapsed())} s: ${teamsSamples.length} Teams turns, ${slackSamples.length} Slack acks, ${failureCount} failures, RSS ${mib(rss.at(-1)?.bytes ?? 0)}\n`);
  }, 30_000);
  await Promise.all([...teamsUsers.map(teamsLoop), ...slackUsers.map(slackLoop)]);
  clearInterval(progress);
  const loadSeconds = elapsed();
  clearInterval(sampler);

  // Settle: every reminder due during the run should be sent (the sweep runs once a minute,
  // so one due just before the end may still be on its way).
  const loadEnd = new Date();
  const settleUntil = Date.now() + 90_000;
  let unsent: number;
  for (;;) {
    unsent = await db.reminder.count({ where: { dueAt: { lte: loadEnd }, status: { not: 'SENT' } } });
    const dueRecords = await db.supervisionRecord.count({ where: { status: 'DRAFT', dueAt: { lte: loadEnd } } });
    const created = await db.reminder.count({ where: { kind: 'RECORD_OVERDUE', dueAt: { lte: loadEnd } } });
    if ((unsent === 0 && created >= dueRecords) || Date.now() > settleUntil || bot.exited()) {
      unsent += Math.max(0, dueRecords - created);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const reminders = await db.reminder.findMany({ where: { kind: 'RECORD_OVERDUE', dueAt: { lte: loadEnd } }, select: { status: true, sendAt: true, sentAt: true } });
  const sent = reminders.filter((r) => r.status === 'SENT' && r.sentAt);
  const lateness = summarise(sent.map((r) => r.sentAt!.getTime() - r.sendAt.getTime()));
  const failedReminders = reminders.filter((r) => r.status === 'FAILED').length;

  // Errors.
  const connectorStats = (await getJson<StubStats>(`${connectorUrl}/__stats`)).body;
  const slackStats = (await getJson<SlackStubStats>(`${slackStubUrl}/__stats`)).body;
  const stored = await db.supervisionRequest.count({ where: { requesterId: { in: teamsUsers.map((u) => u.personId) } } });
  const lostRequests = Math.max(0, detailsSubmitted - stored);
  const errors = {
    failedTurns: failureCount,
    apologiesTeams: connectorStats.sorry,
    apologiesSlack: slackStats.sorry,
    errorLogLines: bot.errorLines.length,
    requestsNotStored: lostRequests,
    remindersNotSent: unsent,
    botExited: bot.exited() ? 1 : 0,
  };
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);

  // Turn time and memory, first against last window.
  const first = (samples: Sample[]) => summarise(samples.filter((s) => s.at <= windowMs / 1000).map((s) => s.ms));
  const last = (samples: Sample[]) => summarise(samples.filter((s) => s.at >= loadSeconds - windowMs / 1000).map((s) => s.ms));
  const teamsFirst = first(teamsSamples);
  const teamsLast = last(teamsSamples);
  const slackFirst = first(slackSamples);
  const slackLast = last(slackSamples);
  const median = (values: number[]) => summarise(values).p50;
  const rssFirst = median(rss.filter((s) => s.at <= windowMs / 1000).map((s) => s.bytes));
  const rssLast = median(rss.filter((s) => s.at >= loadSeconds - windowMs / 1000).map((s) => s.bytes));
  const p99Growth = teamsLast.p99 / teamsFirst.p99 - 1;
  const rssGrowth = rssLast / rssFirst - 1;
  const verdicts = {
    errors: errorCount <= TARGETS.errors ? 'PASS' : 'MISS',
    p99Growth: p99Growth <= TARGETS.p99GrowthMax ? 'PASS' : 'MISS',
    rssGrowth: rssGrowth < TARGETS.rssGrowthMax ? 'PASS' : 'MISS',
  };
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

  console.log(`\nLoad: ${Math.round(loadSeconds)} s, ${teamsSamples.length} Teams turns, ${slackSamples.length} Slack acks, ${stored} requests stored, ${sent.length}/${reminders.length} reminders sent.`);
  console.log(`Errors: ${errorCount} (target ${TARGETS.errors}) ${verdicts.errors}  ${JSON.stringify(errors)}`);
  if (failures.length) console.log(`  failures: ${failures.join(' | ')}`);
  for (const line of bot.errorLines.slice(0, 5)) console.log(`  bot error log: ${line}`);
  console.log(
    `Teams turn p99: first ${windowMs / 1000} s ${ms(teamsFirst.p99)} ms (n ${teamsFirst.count}), last ${windowMs / 1000} s ${ms(teamsLast.p99)} ms (n ${teamsLast.count}): growth ${pct(p99Growth)} (target <= ${pct(TARGETS.p99GrowthMax)}) ${verdicts.p99Growth}`,
  );
  console.log(`Slack ack p99: first ${ms(slackFirst.p99)} ms, last ${ms(slackLast.p99)} ms.`);
  console.log(`Bot RSS (median): first ${mib(rssFirst)}, last ${mib(rssLast)}: growth ${pct(rssGrowth)} (target < ${pct(TARGETS.rssGrowthMax)}) ${verdicts.rssGrowth}`);
  console.log(`Reminder lateness (sent - due): p50 ${ms(lateness.p50)} ms, p99 ${ms(lateness.p99)} ms, max ${ms(lateness.max)} ms.`);

  const json = {
    drill: 'soak',
    generatedAt: new Date().toISOString(),
    definition:
      'src/main.ts with PROCESS_ROLE=all under a closed-loop mix of Teams turns (POST /api/messages to the end of its response, outbound connector calls included) and Slack acknowledgements, with RECORD_OVERDUE reminders falling due evenly through the run. After an untimed warm-up under the same load, the first and last windows are a minute each (a third of the run when it is shorter than 3 minutes). RSS is the bot process\'s VmRSS sampled every second; the median of each window is compared.',
    environment: environmentFacts(),
    parameters: { ...settings, redisUrl: settings.redisUrl.replace(/\/\/[^@/]*@/, '//***@'), windowSeconds: windowMs / 1000, reminders: reminderCount },
    targets: TARGETS,
    errors: { count: errorCount, ...errors, examples: failures, botErrorLines: bot.errorLines.slice(0, 5) },
    turns: { teams: { count: teamsSamples.length, first: teamsFirst, last: teamsLast, all: summarise(teamsSamples.map((s) => s.ms)) }, slackAck: { count: slackSamples.length, first: slackFirst, last: slackLast } },
    p99Growth: Math.round(p99Growth * 1000) / 1000,
    rss: { firstBytes: rssFirst, lastBytes: rssLast, growth: Math.round(rssGrowth * 1000) / 1000, perMinute: rss.filter((_, i) => i % 60 === 0) },
    requests: { submitted: detailsSubmitted, stored },
    reminders: { due: reminders.length, sent: sent.length, failed: failedReminders, latenessMs: lateness },
    verdicts,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nWrote ${RESULTS_FILE.replace(ROOT, '')}.`);
  return bot.exited() ? 1 : 0;
}

async function main(): Promise<number> {
  const settings: Settings = {
    minutes: intFromEnv('DRILL_MINUTES', 10, 1),
    warmupSeconds: 0,
    teamsUsers: intFromEnv('DRILL_TEAMS_USERS', 8, 1),
    slackUsers: intFromEnv('DRILL_SLACK_USERS', 4, 0),
    thinkMs: intFromEnv('DRILL_THINK_MS', 250, 0),
    remindersPerMinute: intFromEnv('DRILL_REMINDERS_PER_MINUTE', 20, 1),
    logLevel: process.env.DRILL_LOG_LEVEL || 'info',
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
  };
  settings.warmupSeconds = intFromEnv('DRILL_WARMUP_SECONDS', Math.min(60, settings.minutes * 15), 0);
  configureAgent((settings.teamsUsers + settings.slackUsers) * 2 + 10);
  const cleanups = new CleanupStack();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void CleanupStack.runAll()
        .finally(destroyAgent)
        .finally(() => process.exit(130));
    });
  }
  try {
    return await runDrill(settings, cleanups);
  } finally {
    await CleanupStack.runAll();
    destroyAgent();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('\nThe soak drill could not run:', error instanceof Error ? (error.stack ?? error.message) : error);
    void CleanupStack.runAll().finally(() => process.exit(1));
  },
);
