// Turn-time benchmark (Teams): our bot against a bare botbuilder echo bot, side by side in
// one run (test/bench/run.ts runs it; BENCH_ONLY=teams runs only this one).
//
// Each bot runs in its own child process (echo-bot.ts, sg-bot.ts), both reply through the
// same kind of local stub connector (stub-connector.ts, another child), and both get the
// same closed-loop load: BENCH_CONCURRENCY personal conversations (default 50), each sending
// BENCH_WARMUP untimed then BENCH_ITERATIONS timed requests (defaults 5 and 20) per workload:
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

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  environmentFacts,
  getJson,
  HERE,
  mib,
  ms,
  parseJson as parse,
  post,
  ratio,
  RESULTS_DIR,
  startChild,
  summarise,
  table,
  type BenchOutcome,
  type BenchSettings,
  type Child,
  type CleanupStack,
  type HttpResult,
  type Summary,
} from './common.js';
import { SORRY_MARK, type StubStats } from './stub-connector.js';

const RESULTS_FILE = `${RESULTS_DIR}/turn-time.json`;
const TARGET_P99_RATIO = 1.5;

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
  return (await getJson<StubStats>(`${stubUrl}/__stats`)).body;
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
  // The users' loops set `aborted`: read through a function, which narrowing does not see past.
  const abortedNow = (): Error | undefined => aborted;
  const warmupFailure = abortedNow();
  if (warmupFailure) throw warmupFailure;
  failures = 0;
  failureExamples.length = 0;

  const sorryBefore = (await stubStats(options.stubUrl)).sorry;
  const samples: number[] = [];
  await target.child.request('measure-start');
  const started = performance.now();
  await Promise.all(users.map((user) => loop(user, options.iterations, samples)));
  const wall = performance.now() - started;
  const runFailure = abortedNow();
  if (runFailure) throw runFailure;
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
// The benchmark
// ---------------------------------------------------------------------------

export async function runTeamsBench(settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const { iterations, concurrency, warmup, logLevel, redisUrl, poolSize } = settings;
  const [{ createTestDatabase }, { seedDemoOrganisation }, demo, enums] = await Promise.all([
    import('../support/database.js'),
    import('../../src/db/seed-demo.js'),
    import('../../src/db/demo-organisation.js'),
    import('../../src/db/generated/enums.js'),
  ]);
  const tenantId = demo.DEMO_TENANT_ID;
  let broken = false;

  console.log(
    `Turn-time benchmark: ${concurrency} concurrent personal conversations, ${warmup} warm-up + ${iterations} timed iterations each per workload (${environmentFacts().cpus} CPUs, Node ${process.version}).`,
  );

  // The stub connector, in its own process.
  const stub = await startChild('stub connector', `${HERE}stub-connector.ts`, process.env);
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
  const echo = await startChild('echo bot', `${HERE}echo-bot.ts`, process.env, { profile: true });
  cleanups.push(() => echo.stop());
  const ours = await startChild(
    'our bot',
    `${HERE}sg-bot.ts`,
    {
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
      // Local mode accepts only serviceUrls it registered (as it does for its playgrounds).
      BENCH_CONNECTOR_URL: stubUrl,
    },
    { profile: true },
  );
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
    environment: environmentFacts(),
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
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nWrote ${RESULTS_FILE.replace(`${process.cwd()}/`, '')}.`);
  if (Object.values(comparison).some((c) => c.verdict === 'INVALID')) {
    console.error('Some timed turns failed (see above): these figures do not measure the intended turns.');
    broken = true;
  }
  return { broken };
}
