// The benchmarks, one after the other in one run:
//
//   npm run bench                      all of them
//   BENCH_ONLY=teams npm run bench     turn time on Teams: our bot against a bare botbuilder
//                                      echo bot (teams-bench.ts; results/turn-time.json)
//   BENCH_ONLY=slack npm run bench     Slack acknowledgement time: our bot against a bare
//                                      @slack/bolt app (slack-bench.ts; results/slack-ack.json)
//   BENCH_ONLY=burst npm run bench     10,000 reminders due at once against a connector that
//                                      enforces Teams' limits: drain vs the floor the limits
//                                      allow, lost, sent twice (scheduler-bench.ts; results/reminder-burst.json)
//   BENCH_ONLY=precision npm run bench lateness of unthrottled reminders against a bare BullMQ
//                                      no-op worker (scheduler-bench.ts; results/reminder-precision.json)
//   BENCH_ONLY=sweep npm run bench     sweepDueFacts with 5,000 / 50,000 staff and 20,000 /
//                                      200,000 action points at several due shares
//                                      (sweep-bench.ts; results/sweep-cost.json)
//   BENCH_ONLY=report npm run bench    the quarterly report for 5,000 / 50,000 staff and 10,000 /
//                                      100,000 sessions in a year (report-bench.ts; results/report.json)
//   BENCH_ONLY=urgent npm run bench    the urgent reply (routes reaching a person who pressed Yes)
//                                      with no fault and under each fault of issue 22
//                                      (urgent-bench.ts; results/urgent-faults.json)
//
// Each reports PASS or MISS against its target and the exit code is 0 either way (a
// benchmark is not a test); a broken run (an app fails to start or dies, a request answers
// wrongly, the work does not happen) exits 1. Everything a benchmark starts (child
// processes, stub servers, its database schema) is stopped and removed when it ends, fails
// or is interrupted.
//
// Environment: BENCH_ONLY (teams | slack | burst | precision | sweep | report | urgent), BENCH_ITERATIONS, BENCH_CONCURRENCY,
// BENCH_WARMUP (defaults 20, 50 and 5), BENCH_DB_POOL_SIZE (ours; default the production
// default of DATABASE_POOL_SIZE), BENCH_LOG_LEVEL (ours; default info, as in production),
// BENCH_CPU_PROF_DIR (each bot writes a V8 CPU profile there), TEST_DATABASE_URL, REDIS_URL;
// for the Slack benchmark only: BENCH_SLACK_ITERATIONS (default 100, or BENCH_ITERATIONS
// when set), BENCH_SLACK_ROUNDS (default 5), BENCH_SLACK_WORKLOADS (default
// slash-help,block-action,dm-event); for the scheduler: BENCH_BURST_SIZE (default 10000),
// BENCH_BURST_WORKERS (2), BENCH_BURST_CONCURRENCY (10), BENCH_PRECISION_SIZE (600),
// BENCH_PRECISION_SPREAD_MS (60000), BENCH_SWEEP_SCALE (1: the sizes above; 0.01 for a quick try); for the report: BENCH_REPORT_SCALE (1; 0.02 for a quick try); for the urgent reply: BENCH_URGENT_PRESSES (30 per condition), BENCH_URGENT_CONCURRENCY (5).

import { CleanupStack, configureAgent, destroyAgent, intFromEnv, type BenchOutcome, type BenchSettings } from './common.js';
import { runBurstBench, runPrecisionBench } from './scheduler-bench.js';
import { runSlackBench } from './slack-bench.js';
import { runReportBench } from './report-bench.js';
import { runSweepBench } from './sweep-bench.js';
import { runTeamsBench } from './teams-bench.js';
import { runUrgentBench } from './urgent-bench.js';

const BENCHMARKS: Record<'teams' | 'slack' | 'burst' | 'precision' | 'sweep' | 'report' | 'urgent', (settings: BenchSettings, cleanups: CleanupStack) => Promise<BenchOutcome>> = {
  teams: runTeamsBench,
  slack: runSlackBench,
  burst: runBurstBench,
  precision: runPrecisionBench,
  sweep: runSweepBench,
  report: runReportBench,
  urgent: runUrgentBench,
};

/** Set once a signal has asked the run to stop; errors after that are its consequence. */
let interrupted: string | undefined;

async function main(): Promise<number> {
  const only = (process.env.BENCH_ONLY ?? '').trim().toLowerCase();
  const isBenchmark = (name: string): name is keyof typeof BENCHMARKS => Object.hasOwn(BENCHMARKS, name);
  if (only !== '' && !isBenchmark(only)) {
    throw new Error(`BENCH_ONLY must be one of ${Object.keys(BENCHMARKS).join(', ')} (got "${process.env.BENCH_ONLY}")`);
  }
  const selected = isBenchmark(only) ? [only] : (Object.keys(BENCHMARKS) as Array<keyof typeof BENCHMARKS>);

  const { loadConfig } = await import('../../src/config.js');
  const settings: BenchSettings = {
    iterations: intFromEnv('BENCH_ITERATIONS', 20, 1),
    concurrency: intFromEnv('BENCH_CONCURRENCY', 50, 1),
    warmup: intFromEnv('BENCH_WARMUP', 5, 0),
    logLevel: process.env.BENCH_LOG_LEVEL || 'info',
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    poolSize: intFromEnv('BENCH_DB_POOL_SIZE', loadConfig({}).DATABASE_POOL_SIZE, 1),
  };
  // Room for every client plus the stubs' long polls and statistics, per origin.
  configureAgent(settings.concurrency * 2 + 10);

  // Interrupted (Ctrl-C reaches the children too) or crashed: clean up, then exit.
  const cleanUpAll = () => CleanupStack.runAll().finally(destroyAgent);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = signal;
      console.error(`\n${signal}: cleaning up`);
      void cleanUpAll().finally(() => process.exit(130));
    });
  }
  const crash = (error: unknown) => {
    console.error('\nThe benchmark failed:', error);
    void cleanUpAll().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  let broken = false;
  try {
    for (const [index, name] of selected.entries()) {
      if (index > 0) console.log('\n');
      const cleanups = new CleanupStack();
      try {
        const outcome = await BENCHMARKS[name](settings, cleanups);
        broken ||= outcome.broken;
      } finally {
        await cleanups.run();
      }
    }
  } finally {
    await cleanUpAll();
  }
  return broken ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (interrupted) return; // the signal handler exits once clean-up is done
    console.error('\nThe benchmark could not run:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
