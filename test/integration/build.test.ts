// `npm run build` (issue 16): tsconfig.build.json compiles src/ (and the Prisma client generated
// into src/db/generated) to JavaScript, and the compiled bot runs as a deployment runs it. The
// build goes to a directory of its own (not dist/, which a developer or a parallel run may be
// using) laid out as a deployment: dist/ beside what the bot reads at run time (cards/, prisma/,
// manifests/, node_modules/, package.json) and no src/, so compiled code that still reached for a
// .ts file, for tsx, or for a path relative to src/ fails here. Then, with plain `node`: the
// migration command creates a fresh database and applies prisma/migrations, a web process
// answers /healthz and /readyz and a Slack turn with a card from cards/, a worker starts its
// scheduler, both stop cleanly on SIGTERM; and the check npm runs before the compiled commands
// refuses a missing or stale build.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { quoteIdent } from '../../src/db/migrate.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { testDatabaseUrl, withPgClient } from '../support/database.js';
import { freePort } from '../support/local-mode-process.js';
import { createSlackClient, destroySlackAgent, startSlackOutageApi, textOfCall, type SlackOutageApi } from '../support/slack-outage-api.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const SIGNING_SECRET = 'build-signing-secret-0123456789abcdef';
const TEAM_ID = 'T0SGSBUILD';
const BOT_TOKEN = 'xoxb-build-web';
/** What a deployment holds besides dist/: everything the bot reads at run time. */
const SHIPPED = ['cards', 'prisma', 'manifests', 'node_modules', 'package.json'];
/** A full type-checked build of the whole bot, on a loaded 2-core machine. */
const BUILD_TIMEOUT_MS = 300_000;
/** A compiled process's start: PostgreSQL, Redis, and loading botbuilder and Bolt. */
const START_TIMEOUT_MS = 90_000;
/** A test that starts a compiled process: its start, its work and its stop. */
const PROCESS_TEST_TIMEOUT_MS = START_TIMEOUT_MS + 60_000;

const suffix = randomBytes(6).toString('hex');
/** A database of its own: the migration command migrates a database's default schema. */
const databaseName = `sgs_build_${suffix}`;
const databaseUrl = Object.assign(new URL(testDatabaseUrl), { pathname: `/${databaseName}` }).toString();
const redisPrefix = `build-${suffix}`;

let app: string;
let buildMs = 0;
let db: Db | undefined;
let api: SlackOutageApi | undefined;
const children = new Set<ChildProcess>();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under dir, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The environment of a compiled process: production, Slack configured against the stub Web API. */
function botEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const state = path.join(app, 'state');
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: api!.apiUrl,
    PUBLIC_BASE_URL: 'https://bot.example.nhs.uk',
    LINK_SECRET: 'build-link-secret-0123456789abcdef0123456789',
    URGENT_COPY_FILE: path.join(state, 'urgent-routes.json'),
    URGENT_SPOOL_DIR: path.join(state, 'urgent-spool'),
    ...extra,
  };
}

/** `node dist/main.js` from the deployment directory, as `npm run start:web` / `start:worker` run it. */
function startCompiled(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (children.delete(child), resolve(code))));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  /** Resolves once `probe` holds; fails with what the process wrote if it exits or the time runs out first. */
  const until = async (what: string, probe: () => boolean, timeout = START_TIMEOUT_MS) => {
    try {
      await expect
        .poll(() => {
          if (code !== undefined) throw new Error(`it exited (${code})`);
          return probe();
        }, { timeout, interval: 100 })
        .toBe(true);
    } catch (error) {
      throw new Error(`the compiled bot: no ${what} (${(error as Error).message})\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`, { cause: error });
    }
  };
  const said = (line: string) => until(`"${line}"`, () => out.stdout.includes(line));
  return { child, out, exited, said, until };
}

beforeAll(async () => {
  app = mkdtempSync(path.join(tmpdir(), 'sgs-build-'));
  const started = performance.now();
  const build = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], { cwd: root });
  buildMs = performance.now() - started;
  if (build.code !== 0) throw new Error(`tsc -p tsconfig.build.json failed (${build.code}):\n${build.stdout}\n${build.stderr}`);
  for (const name of SHIPPED) symlinkSync(path.join(root, name), path.join(app, name));
  api = await startSlackOutageApi({ teamId: TEAM_ID, processes: { [BOT_TOKEN]: 'web' }, emails: { U0BUILD001: demoPerson('paramedic').email } });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await db?.$disconnect().catch(() => {});
  await api?.close();
  destroySlackAgent();
  await withPgClient((client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseName)} WITH (FORCE)`)).catch(() => {});
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch {
    // Redis's keys are a test's leftovers only: nothing depends on them.
  } finally {
    redis.disconnect();
  }
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles every module of src/, the generated Prisma client included, and nothing else', () => {
    console.log(`[build] tsc -p tsconfig.build.json took ${(buildMs / 1000).toFixed(1)} s`);
    const sources = filesUnder(path.join(root, 'src')).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
    const compiled = filesUnder(path.join(app, 'dist'));
    expect(compiled.filter((file) => file.endsWith('.js'))).toEqual(sources.map((file) => file.replace(/\.ts$/, '.js')).sort());
    expect(compiled.filter((file) => !file.endsWith('.js') && !file.endsWith('.js.map'))).toEqual([]);
    expect(compiled).toContain(path.join('db', 'generated', 'client.js'));
  });

  it('the compiled migration command creates the database and applies prisma/migrations', async () => {
    const migrations = readdirSync(path.join(root, 'prisma', 'migrations'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(migrations.length).toBeGreaterThan(0);
    const migrate = await run(process.execPath, ['dist/cli/migrate.js'], { cwd: app, env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl } });
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain(`Created database`);
    // Had it not found prisma/migrations from dist/, it would have applied none and called the database up to date.
    expect(migrate.stdout).toContain(`Applied ${migrations.length} migration(s)`);
  });

  it('with DATABASE_SCHEMA set, the compiled migration command migrates that schema, the one the bot then uses', async () => {
    const migrations = readdirSync(path.join(root, 'prisma', 'migrations'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, DATABASE_SCHEMA: 'release_check' };
    const first = await run(process.execPath, ['dist/cli/migrate.js'], { cwd: app, env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Applied ${migrations.length} migration(s) to`);
    expect(first.stdout).toContain('(schema release_check)');
    const applied = await withPgClient((client) => client.query<{ n: number }>('SELECT count(*)::int AS n FROM release_check."_prisma_migrations" WHERE finished_at IS NOT NULL'), databaseUrl);
    expect(applied.rows[0]!.n).toBe(migrations.length);
    const again = await run(process.execPath, ['dist/cli/migrate.js'], { cwd: app, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(schema release_check) is up to date.');
  });

  it('a compiled web process answers /healthz, /readyz and a Slack turn with a card, and stops on SIGTERM', async () => {
    // The database the migration command created (the test before): a web process does not create one.
    db = createDb(databaseUrl, { maxConnections: 2 });
    const { organisationId } = await seedDemoOrganisation(db);
    await db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: TEAM_ID } });
    const port = await freePort();
    const web = startCompiled(botEnv({ PROCESS_ROLE: 'web', PORT: String(port) }));
    await web.said('bot listening');
    expect(web.out.stdout).toContain('database migrations up to date');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } } });

    // The paramedic asks for help in their DM: the Prisma client finds them, and the help card is rendered from cards/help.json.
    // Signed on the bot's clock (the child keeps the real one, read from PostgreSQL's) so the
    // signature holds when CI runs the tests with their clock faked ahead.
    const [{ now }] = await db.$queryRaw<[{ now: Date }]>`SELECT now() AS now`;
    const slack = createSlackClient({ port, signingSecret: SIGNING_SECRET, teamId: TEAM_ID, clockOffsetMs: now.getTime() - Date.now() });
    const answer = await slack.dm({ userId: 'U0BUILD001', username: 'paramedic', dm: 'D0BUILD001' }, 'help');
    expect(answer.status).toBe(200);
    const posted = () => api!.calls.find((call) => call.method === 'chat.postMessage' && (call.blocks?.length ?? 0) > 0);
    await web.until('card posted to Slack', () => posted() !== undefined, 30_000);
    expect(textOfCall(posted()!)).toContain('If anyone is in immediate danger, call 999.');

    web.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);
    expect(web.out.stdout).not.toMatch(/"level":(50|60)/);
  }, PROCESS_TEST_TIMEOUT_MS);

  it('a compiled worker starts its scheduler and stops on SIGTERM', async () => {
    const worker = startCompiled(botEnv({ PROCESS_ROLE: 'worker', MIGRATE_ON_START: 'false' }));
    await worker.said('reminder scheduler started');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.out.stdout).not.toMatch(/"level":(50|60)/);
  }, PROCESS_TEST_TIMEOUT_MS);

  it('the check before the compiled commands refuses a missing or stale build', async () => {
    const check = (dist: string, src: string) => run(process.execPath, [path.join(root, 'tools', 'check-build.mjs'), '--dist', dist, '--src', src], { cwd: root });
    const src = path.join(app, 'src-copy');
    mkdirSync(path.join(src, 'db'), { recursive: true });
    const source = path.join(src, 'db', 'client.ts');
    writeFileSync(source, 'export {};\n');
    const built = Date.now() / 1000;
    utimesSync(path.join(app, 'dist', 'main.js'), built, built);

    utimesSync(source, built - 60, built - 60);
    expect(await check(path.join(app, 'dist'), src)).toMatchObject({ code: 0, stderr: '' });

    const missing = await check(path.join(app, 'no-dist'), src);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('main.js is missing');
    expect(missing.stderr).toContain('npm run build');

    utimesSync(source, built + 60, built + 60);
    const stale = await check(path.join(app, 'dist'), src);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`is older than ${source}`);
    expect(stale.stderr).toContain('npm run build');
  });
});
