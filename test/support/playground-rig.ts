// The rig of the end-to-end tests that click through the Microsoft 365 Agents Playground: the bot
// in process on a fresh PostgreSQL schema seeded with the demo organisation, in local mode (no
// credentials) with the real clock, listening on loopback, with the scheduler beside it as
// `npm start` runs it (PROCESS_ROLE=all): a message whose first try did not go (its lease ran out
// on a loaded machine, the limiter deferred it, the playground failed) is sent by the workers, as
// in a deployment, instead of never; one playground per demo person
// pointed at it (a playground cannot switch user); the triage channel bound as seen by the
// specialist's playground (as local mode does); and headless Chromium to open the pages.
//
//   const rig = withPlaygroundRig({ userKeys: ['paramedic', 'specialist', 'specialist-2'] });
//   it('...', async () => { const staff = await rig.open('paramedic'); await rig.db.session.count(); });
//
// Tear-down stops whatever set-up started, in reverse order, even when set-up failed part way,
// and even when the hook gave up on a set-up still running: that set-up fails at its next step,
// stopping what it had just started, and tear-down waits for it (a minute at most) before it
// stops the rest, so no Playground process, Chromium, server, schema or directory is left behind.
// test/e2e/local-roles.test.ts runs local mode as a child process instead (local-mode-process.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createBot } from '../../src/app.js';
import type { Db } from '../../src/db/client.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { systemClock } from '../../src/domain/time.js';
import { bindLocalTriageChannel, localPlaygroundConfig, playgroundServiceUrl } from '../../src/local/local-mode.js';
import { startUserPlaygrounds, type UserPlayground } from '../../src/local/playground.js';
import { createLogger } from '../../src/logger.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { listen } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { launchBrowser, PlaygroundPage, type PlaygroundPageOptions } from './playground-page.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Whose playground holds the triage channel: the specialist's, as in local mode. */
const TRIAGE_OWNER = 'specialist';
/** Starting the playgrounds one after another takes a while on a loaded machine. */
const SET_UP_TIMEOUT_MS = 120_000;
/** How long close() lets a set-up still running reach its next step (each playground is given 30 s to start). */
const SET_UP_WAIT_MS = 60_000;

export interface PlaygroundRigOptions {
  /** Demo people (keys of DEMO_PEOPLE) who get a playground each, started in this order. Default: paramedic and specialist. */
  userKeys?: readonly string[];
}

export interface PlaygroundRig {
  readonly database: TestDatabase;
  /** `database.db`. */
  readonly db: Db;
  readonly bot: ReturnType<typeof createBot>;
  readonly server: Server;
  readonly redis: Redis;
  /** The workers and sweeps, on the bot's Redis prefix. */
  readonly scheduler: Scheduler;
  /** By user key. */
  readonly playgrounds: ReadonlyMap<string, UserPlayground>;
  readonly browser: Browser;
  /** Holds each playground's working directory; removed by close(). */
  readonly workDir: string;
  /** A new page on `userKey`'s playground (waits 30 s by default, for a loaded machine). */
  open(userKey: string, options?: PlaygroundPageOptions): Promise<PlaygroundPage>;
  /** Stops everything; safe to call more than once. */
  close(): Promise<void>;
}

/** Starts the rig; if set-up fails, stops what it had started before throwing. */
export async function startPlaygroundRig(options: PlaygroundRigOptions = {}): Promise<PlaygroundRig> {
  const teardown = new Teardown();
  try {
    return await teardown.run(() => setUp(options, teardown));
  } catch (error) {
    const failed = await teardown.close().then(
      () => undefined,
      (closeError: unknown) => closeError,
    );
    throw failed === undefined ? error : new AggregateError([error, failed], 'playground rig: set-up failed, and so did its tear-down');
  }
}

/**
 * Registers beforeAll/afterAll hooks that start the rig for a test file (or describe block) and
 * stop it. Read the fields inside tests or hooks, not at collection time.
 */
export function withPlaygroundRig(options: PlaygroundRigOptions = {}): PlaygroundRig {
  const teardown = new Teardown();
  let current: PlaygroundRig | undefined;
  beforeAll(async () => {
    current = await teardown.run(() => setUp(options, teardown));
  }, SET_UP_TIMEOUT_MS);
  // Also when set-up failed or is still running (vitest runs afterAll after a failed beforeAll).
  afterAll(() => teardown.close(), SET_UP_WAIT_MS + 30_000);
  // A card that never came is a message not sent: say which, and why, when a test fails.
  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      if (current) console.error(await describeUnsent(current.db));
    });
  });
  const get = (): PlaygroundRig => {
    if (!current) throw new Error('withPlaygroundRig(): the rig exists only inside tests and hooks, once set up');
    return current;
  };
  return {
    get database() {
      return get().database;
    },
    get db() {
      return get().db;
    },
    get bot() {
      return get().bot;
    },
    get server() {
      return get().server;
    },
    get redis() {
      return get().redis;
    },
    get scheduler() {
      return get().scheduler;
    },
    get playgrounds() {
      return get().playgrounds;
    },
    get browser() {
      return get().browser;
    },
    get workDir() {
      return get().workDir;
    },
    open: (userKey, pageOptions) => get().open(userKey, pageOptions),
    close: () => teardown.close(),
  };
}

async function setUp(options: PlaygroundRigOptions, teardown: Teardown): Promise<PlaygroundRig> {
  const userKeys = [...(options.userKeys ?? ['paramedic', 'specialist'])];
  if (!userKeys.includes(TRIAGE_OWNER)) throw new Error(`playground rig: userKeys must include "${TRIAGE_OWNER}", whose playground holds the triage channel`);

  const database = await teardown.keep(await createTestDatabase(), (d) => d.drop());
  await seedDemoOrganisation(database.db);
  const redis = await teardown.keep(new Redis(REDIS_URL, { lazyConnect: true }), (r) => r.disconnect());
  const prefix = `e2e-${randomBytes(6).toString('hex')}`;
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const bot = createBot({
    config: { MICROSOFT_APP_ID: undefined, MICROSOFT_APP_PASSWORD: undefined, MICROSOFT_APP_TYPE: 'MultiTenant', MICROSOFT_APP_TENANT_ID: undefined, REDIS_PREFIX: prefix },
    db: database.db,
    redis,
    logger,
    clock: systemClock,
  });
  const server = await teardown.keep(await listen(bot.app, 0, '127.0.0.1'), closeServer);
  const port = (server.address() as AddressInfo).port;
  const workDir = await teardown.keep(mkdtempSync(path.join(tmpdir(), 'sgs-e2e-')), (dir) => rmSync(dir, { recursive: true, force: true }));
  const playgrounds = await teardown.keep(
    await startUserPlaygrounds({
      botEndpoint: `http://127.0.0.1:${port}/api/messages`,
      basePort: 40000 + Math.floor(Math.random() * 20000),
      baseDir: workDir,
      config: localPlaygroundConfig(),
      userKeys,
    }),
    (started) => Promise.all([...started.values()].map((p) => p.stop())),
  );
  for (const playground of playgrounds.values()) bot.serviceUrls.allowLocalOrigin(playgroundServiceUrl(playground));
  await bindLocalTriageChannel(database.db, playgroundServiceUrl(playgrounds.get(TRIAGE_OWNER)!));
  // Started once the playgrounds are (their addresses allowed), and stopped before them.
  const scheduler = await teardown.keep(
    await startScheduler({ db: database.db, redisUrl: REDIS_URL, prefix, senders: bot.senders, logger, clock: systemClock, messagePollMs: 1_000 }),
    (s) => s.stop(),
  );
  const browser = await teardown.keep(await launchBrowser(), (b) => b.close());

  return {
    database,
    db: database.db,
    bot,
    server,
    redis,
    scheduler,
    playgrounds,
    browser,
    workDir,
    open: (userKey, pageOptions) => {
      const playground = playgrounds.get(userKey);
      if (!playground) throw new Error(`playground rig: no playground for "${userKey}" (started: ${userKeys.join(', ')})`);
      return PlaygroundPage.open(browser, playground.url, { timeoutMs: 30_000, ...pageOptions });
    },
    close: () => teardown.close(),
  };
}

/** The messages not sent (yet), without their content: what a test that waited for a card in vain needs to know. */
async function describeUnsent(db: Db): Promise<string> {
  const rows = await db.outboundMessage.findMany({
    where: { status: { not: 'SENT' } },
    orderBy: { seq: 'asc' },
    select: { seq: true, kind: true, label: true, status: true, attempts: true, lastError: true, createdAt: true, nextAttemptAt: true },
  });
  if (rows.length === 0) return 'playground rig: every message the bot wrote was sent';
  const lines = rows.map(
    (r) => `  #${r.seq} ${r.kind}${r.label ? ` (${r.label})` : ''}: ${r.status}, ${r.attempts} failed tries, last error ${r.lastError ?? 'none'}, written ${r.createdAt.toISOString()}, next try ${r.nextAttemptAt.toISOString()}`,
  );
  return [`playground rig: ${rows.length} message(s) not sent at ${new Date().toISOString()}:`, ...lines].join('\n');
}

/** Closes the server once the playgrounds are gone, without waiting on a turn still open. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * What set-up has started, stopped in reverse order by close(). A set-up still running when
 * close() begins fails at its next step, stopping what that step started; close() waits for
 * that (a while at most) before it stops the rest, so that nothing outlives it.
 */
class Teardown {
  private readonly steps: (() => unknown)[] = [];
  private pending: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;

  /** Runs a set-up, so that close() can wait for it. */
  run<T>(setUp: () => Promise<T>): Promise<T> {
    const running = setUp();
    this.pending = running;
    return running;
  }

  /** Registers `stop` for `value` and gives `value` back; when closing already, stops it now and throws. */
  async keep<T>(value: T, stop: (value: T) => unknown): Promise<T> {
    if (this.closing) {
      await stop(value);
      throw new Error('playground rig: closed while it was being set up');
    }
    this.steps.push(() => stop(value));
    return value;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.pending) await settledWithin(this.pending, SET_UP_WAIT_MS);
      const errors: unknown[] = [];
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, 'playground rig: tear-down failed');
    })();
    return this.closing;
  }
}

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
