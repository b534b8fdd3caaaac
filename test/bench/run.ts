// The benchmarks, one after the other in one run:
//
//   npm run bench                      both
//   BENCH_ONLY=teams npm run bench     turn time on Teams: our bot against a bare botbuilder
//                                      echo bot (teams-bench.ts; results/turn-time.json)
//   BENCH_ONLY=slack npm run bench     Slack acknowledgement time: our bot against a bare
//                                      @slack/bolt app (slack-bench.ts; results/slack-ack.json)
//
// Each reports PASS or MISS against its target and the exit code is 0 either way (a
// benchmark is not a test); a broken run (an app fails to start or dies, a request answers
// wrongly, the work does not happen) exits 1. Everything a benchmark starts (child
// processes, stub servers, its database schema) is stopped and removed when it ends, fails
// or is interrupted.
//
// Environment: BENCH_ONLY (teams | slack), BENCH_ITERATIONS, BENCH_CONCURRENCY,
// BENCH_WARMUP (defaults 20, 50 and 5), BENCH_DB_POOL_SIZE (ours; default the production
// default of DATABASE_POOL_SIZE), BENCH_LOG_LEVEL (ours; default info, as in production),
// BENCH_CPU_PROF_DIR (each bot writes a V8 CPU profile there), TEST_DATABASE_URL, REDIS_URL;
// for the Slack benchmark only: BENCH_SLACK_ITERATIONS (default 100, or BENCH_ITERATIONS
// when set), BENCH_SLACK_ROUNDS (default 5), BENCH_SLACK_WORKLOADS (default
// slash-help,block-action,dm-event).

import { CleanupStack, configureAgent, destroyAgent, intFromEnv, type BenchOutcome, type BenchSettings } from './common.js';
import { runSlackBench } from './slack-bench.js';
import { runTeamsBench } from './teams-bench.js';

const BENCHMARKS: Record<'teams' | 'slack', (settings: BenchSettings, cleanups: CleanupStack) => Promise<BenchOutcome>> = {
  teams: runTeamsBench,
  slack: runSlackBench,
};

/** Set once a signal has asked the run to stop; errors after that are its consequence. */
let interrupted: string | undefined;

async function main(): Promise<number> {
  const only = (process.env.BENCH_ONLY ?? '').trim().toLowerCase();
  const isBenchmark = (name: string): name is keyof typeof BENCHMARKS => Object.hasOwn(BENCHMARKS, name);
  if (only !== '' && !isBenchmark(only)) throw new Error(`BENCH_ONLY must be "teams" or "slack" (got "${process.env.BENCH_ONLY}")`);
  const selected: Array<keyof typeof BENCHMARKS> = isBenchmark(only) ? [only] : ['teams', 'slack'];

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
