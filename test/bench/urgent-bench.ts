// The urgent reply under faults (issue 22): how long a person who presses "Yes, someone is at risk
// now" waits for their organisation's own routes (the 24/7 line, not only 999), with everything
// answering (the baseline, measured in the same run) and under each fault: PostgreSQL cut, the
// requests table locked (PostgreSQL slow), Redis cut, the triage channel answering after 90 s.
//
// The bot is a web process as main.ts builds one (test/support/urgent-rig.ts: statement timeout,
// a pool for urgent turns, the spool), over real HTTP, PostgreSQL and Redis each behind a TCP proxy,
// a stub Teams connector on loopback. A reply counts when the routes have reached the person: in
// the invoke answer, or as a message in their chat, whichever comes first.
//
// Target: p99 within 2 s under every fault (the urgent budget). results/urgent-faults.json
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { TeamsUser } from '../support/scaled-out.js';
import { LINE_24_7, startUrgentRig, textOf, type UrgentRig } from '../support/urgent-rig.js';
import { waitFor } from '../support/wait.js';
import { environmentFacts, intFromEnv, ms, RESULTS_DIR, summarise, table, type BenchOutcome, type BenchSettings, type CleanupStack } from './common.js';

const TARGET_P99_MS = 2_000;
const TRIAGE = '19:urgent-bench@thread.tacv2';

interface Condition {
  name: string;
  apply(rig: UrgentRig): Promise<() => Promise<void>>;
}

const CONDITIONS: Condition[] = [
  { name: 'none (baseline)', apply: async () => async () => {} },
  {
    name: 'PostgreSQL cut',
    async apply(rig) {
      rig.proxy.cut();
      return async () => rig.proxy.restore();
    },
  },
  {
    name: 'PostgreSQL slow (requests table locked)',
    async apply(rig) {
      const locker = new pg.Client({ connectionString: rig.database.databaseUrl });
      await locker.connect();
      await locker.query(`SET search_path = "${rig.database.schema}"`);
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "SupervisionRequest" IN ACCESS EXCLUSIVE MODE');
      return async () => {
        await locker.query('COMMIT');
        await locker.end();
      };
    },
  },
  {
    name: 'Redis cut',
    async apply(rig) {
      rig.redisProxy.cut();
      return async () => rig.redisProxy.restore();
    },
  },
  {
    name: 'triage channel slow (answers after 90 s)',
    async apply(rig) {
      rig.connector.slow(TRIAGE, 90_000);
      return async () => rig.connector.slow(TRIAGE, 0);
    },
  },
];

/** From the press until the routes have reached the person (invoke answer or chat message). */
async function urgentReply(rig: UrgentRig, who: TeamsUser): Promise<number> {
  const before = rig.postsTo(who).length;
  const started = performance.now();
  let reachedAt: number | undefined;
  const inChat = waitFor(() => rig.postsTo(who).slice(before).some((c) => textOf(c.body).includes(LINE_24_7)), 30_000).then((ok) => {
    if (ok) reachedAt ??= performance.now();
  });
  const answer = await rig.press(who, 'intake.risk', { answer: 'yes' });
  if (answer.text.includes(LINE_24_7)) reachedAt ??= performance.now();
  else await inChat;
  if (reachedAt === undefined) throw new Error(`no urgent routes reached ${who.name} (HTTP ${answer.status})`);
  return reachedAt - started;
}

export async function runUrgentBench(settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const perCondition = intFromEnv('BENCH_URGENT_PRESSES', 30, 1);
  const concurrency = Math.min(settings.concurrency, intFromEnv('BENCH_URGENT_CONCURRENCY', 5, 1));
  console.log(`Urgent reply under faults: ${perCondition} presses of "Yes" per condition, ${concurrency} at a time`);
  const rig = await startUrgentRig({ triage: TRIAGE });
  cleanups.push(() => rig.stop());
  const rows: string[][] = [['fault', 'presses', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'vs baseline p99', 'target']];
  const results: Array<{ condition: string; summary: ReturnType<typeof summarise> }> = [];
  let broken = false;
  let baselineP99 = NaN;
  for (const condition of CONDITIONS) {
    const people = await rig.newStaff(perCondition);
    // Each at the risk question, asked while everything answers.
    for (const who of people) await rig.say(who, 'hello');
    await rig.bot.outbox.settled();
    const remove = await condition.apply(rig);
    const samples: number[] = [];
    try {
      for (let i = 0; i < people.length; i += concurrency) {
        samples.push(...(await Promise.all(people.slice(i, i + concurrency).map((who) => urgentReply(rig, who)))));
      }
    } catch (error) {
      broken = true;
      console.error(`${condition.name}: ${(error as Error).message}`);
    } finally {
      await remove();
    }
    await rig.dropDeadConnections();
    const summary = summarise(samples);
    if (Number.isNaN(baselineP99)) baselineP99 = summary.p99;
    results.push({ condition: condition.name, summary });
    rows.push([
      condition.name,
      String(summary.count),
      ms(summary.p50),
      ms(summary.p90),
      ms(summary.p99),
      ms(summary.max),
      `${(summary.p99 / baselineP99).toFixed(2)}x`,
      summary.p99 <= TARGET_P99_MS ? 'PASS' : 'MISS',
    ]);
  }
  // What was kept is replayed once the faults are gone (not timed: the reply is what is measured).
  await rig.bot.spoolReplay?.now();
  console.log(table(rows));
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    path.join(RESULTS_DIR, 'urgent-faults.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), environment: environmentFacts(), targetP99Ms: TARGET_P99_MS, perCondition, concurrency, results }, null, 2)}\n`,
  );
  return { broken };
}
