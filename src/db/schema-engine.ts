// Loads Prisma's schema engine compiled to WebAssembly (@prisma/schema-engine-wasm), which
// works where the Prisma CLI cannot download its native engine. Node 20 cannot `import` a
// .wasm file, so the module is instantiated by hand against the package's JS glue.
//
// Used by src/cli/make-migration.ts (to write new migrations) and by the schema-drift test.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { DiffTarget, MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { defaultMigrationsDir, type MigrationFile, quoteIdent } from './migrate.js';

export type { DiffTarget, MigrationList, SchemaEngine };

/** Repository root (this file is src/db/schema-engine.ts). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const defaultSchemaPath = path.join(projectRoot, 'prisma', 'schema.prisma');
export { defaultMigrationsDir };

// The global WebAssembly API (ES2023 + @types/node 20 do not declare it as a value).
interface WebAssemblyApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const wasmApi = () => (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let instantiated: Promise<void> | undefined;

/** Instantiates the engine's WebAssembly module once per process. */
function instantiateWasm(): Promise<void> {
  instantiated ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(path.dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await wasmApi().instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  instantiated.catch(() => {
    instantiated = undefined;
  });
  return instantiated;
}

export interface EngineHandle {
  engine: SchemaEngine;
  /** Frees the engine and closes its database connections. */
  close(): Promise<void>;
}

export interface EngineOptions {
  /**
   * PostgreSQL schema the engine works in (default `public`). The engine creates it if
   * missing, and a `schemaDatamodel` target is placed in it.
   */
  schema?: string;
  /** Receives the engine's JSON log lines. */
  log?: (line: string) => void;
}

interface FactoryOptions {
  schema?: string;
  /** Shadow schema name; when it equals `schema` the engine itself creates it first. */
  shadowSchema?: string;
}

function randomShadowSchemaName(): string {
  return `prisma_shadow_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

const CHAR_OID = 18; // PostgreSQL's internal one-byte "char" type
const TEXT_OID = 25;
const patched = Symbol('charAsText');

type Fielded = { fields?: { dataTypeID: number }[] };

/** Reports "char" columns as text: their values already arrive as one-character strings. */
function charColumnsAsText<T>(result: T): T {
  for (const r of (Array.isArray(result) ? result : [result]) as Fielded[]) {
    for (const field of r?.fields ?? []) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** Wraps the promise form of `query` (the only one the driver adapter uses). */
function patchQuery(target: pg.Pool | pg.PoolClient): void {
  const marked = target as unknown as Record<symbol, boolean>;
  if (marked[patched]) return;
  marked[patched] = true;
  const original = target.query.bind(target) as (...args: unknown[]) => unknown;
  (target as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const out = original(...args);
    return out instanceof Promise ? out.then(charColumnsAsText) : out;
  };
}

/**
 * A pool whose sessions resolve unqualified names in `schema` (if given). The engine reads
 * catalog columns of PostgreSQL's internal "char" type (pg_class.relkind, ...), which
 * @prisma/adapter-pg 7.x rejects ("Column type 'char' could not be deserialized"), so
 * results report those columns as text.
 */
function poolFor(databaseUrl: string, schema: string | undefined, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    ...(schema ? { options: `-c search_path=${quoteIdent(schema)}` } : {}),
  });
  patchQuery(pool);
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { connect: (...args: unknown[]) => unknown }).connect = (...args: unknown[]) => {
    if (args.length > 0) return connect(...args); // pg's own callback use (pool.query)
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      patchQuery(client);
      return client;
    });
  };
  return pool;
}

/**
 * The PostgreSQL driver adapter factory handed to the engine. Its shadow "database" is a
 * throwaway schema in the same database, dropped when the engine lets go of it, so no
 * CREATEDB privilege is needed. (@prisma/adapter-pg's own `connectToShadowDb` creates a
 * database, and with a `connectionString` config its shadow pool even connects to the main
 * database instead, because node-postgres lets the connection string override `database`.)
 */
class ShadowSchemaAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  private readonly pools = new Set<pg.Pool>();

  constructor(
    private readonly databaseUrl: string,
    private readonly options: FactoryOptions,
  ) {}

  private track(pool: pg.Pool): pg.Pool {
    this.pools.add(pool);
    pool.on('error', () => {});
    return pool;
  }

  private async admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end().catch(() => {});
    }
  }

  connect(): Promise<SqlDriverAdapter> {
    const { schema } = this.options;
    const pool = this.track(poolFor(this.databaseUrl, schema, 2));
    return new PrismaPg(pool, schema ? { schema } : undefined).connect();
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadow = this.options.shadowSchema ?? randomShadowSchemaName();
    const ours = shadow === this.options.schema; // created by the engine at start, empty
    await this.admin(`CREATE SCHEMA ${ours ? 'IF NOT EXISTS ' : ''}${quoteIdent(shadow)}`);
    const pool = this.track(poolFor(this.databaseUrl, shadow, 2));
    const inner = await new PrismaPg(pool, { schema: shadow }).connect();
    const disposeInner = inner.dispose.bind(inner);
    // The shadow schema goes with the connection.
    inner.dispose = async () => {
      await disposeInner();
      await this.admin(`DROP SCHEMA IF EXISTS ${quoteIdent(shadow)} CASCADE`);
    };
    return inner;
  }

  async end(): Promise<void> {
    const pools = [...this.pools];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
    const { schema, shadowSchema } = this.options;
    if (shadowSchema && shadowSchema === schema) {
      await this.admin(`DROP SCHEMA IF EXISTS ${quoteIdent(shadowSchema)} CASCADE`);
    }
  }
}

async function start(databaseUrl: string, factoryOptions: FactoryOptions, log?: (line: string) => void) {
  await instantiateWasm();
  const factory = new ShadowSchemaAdapterFactory(databaseUrl, factoryOptions);
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  let engine: SchemaEngine;
  try {
    engine = await glue.SchemaEngine.new({ datamodels: undefined }, (line: unknown) => log?.(String(line)), adapter);
  } catch (error) {
    await factory.end();
    throw error;
  }
  return {
    engine,
    async close() {
      engine.free();
      await factory.end();
    },
  };
}

/**
 * Starts a schema engine connected to `databaseUrl`. The engine needs a live connection
 * even for `diff` between two offline sources; a `{tag:'migrations'}` source makes it ask
 * for a shadow database, here a throwaway schema.
 */
export function startSchemaEngine(databaseUrl: string, options: EngineOptions = {}): Promise<EngineHandle> {
  return start(databaseUrl, { schema: options.schema }, options.log);
}

/** Runs `fn` with a started engine and frees it afterwards. */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  fn: (engine: SchemaEngine) => Promise<T>,
  options: EngineOptions = {},
): Promise<T> {
  const handle = await startSchemaEngine(databaseUrl, options);
  try {
    return await fn(handle.engine);
  } finally {
    await handle.close();
  }
}

/** A `schemaDatamodel` diff target for the given schema text. */
export function datamodelTarget(content: string, schemaPath = defaultSchemaPath): DiffTarget {
  return { tag: 'schemaDatamodel', files: [{ path: schemaPath, content }] };
}

const noFilters = { externalTables: [], externalEnums: [] };

/** SQL that takes `from` to `to`, as `prisma migrate diff --script` would print it. */
export async function diffScript(engine: SchemaEngine, from: DiffTarget, to: DiffTarget): Promise<string> {
  const result = await engine.diff({ from, to, script: true, exitCode: null, filters: noFilters });
  return result.stdout ?? '';
}

export const MIGRATION_LOCK_TOML =
  '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n';

/** The engine's view of a migrations directory. */
export function migrationList(migrations: readonly MigrationFile[], migrationsDir = defaultMigrationsDir): MigrationList {
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: MIGRATION_LOCK_TOML },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((migration) => ({
      path: migration.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: migration.sql } },
    })),
  };
}

/** True when a script holds nothing but comments and whitespace ("-- This is an empty migration."). */
export function isEmptyScript(sql: string): boolean {
  return sql.replace(/--[^\n]*/g, '').trim() === '';
}

/** Drops the engine's `CREATE SCHEMA IF NOT EXISTS "<name>";` steps for the given schemas. */
export function withoutCreateSchema(sql: string, schemas: readonly string[]): string {
  let out = sql;
  for (const name of schemas) {
    const statement = `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(name)};`;
    out = out.split(`-- CreateSchema\n${statement}\n\n`).join('').split(`-- CreateSchema\n${statement}\n`).join('');
  }
  return out;
}

/**
 * The SQL of the migration that would take a database built from `migrations` to the
 * datamodel, or null if there is no difference: what `prisma migrate dev --create-only`
 * would write. The migrations are replayed in a throwaway schema of `databaseUrl`.
 */
export async function pendingMigrationScript(
  databaseUrl: string,
  input: { migrations: readonly MigrationFile[]; datamodel: string; schemaPath?: string; migrationsDir?: string },
  log?: (line: string) => void,
): Promise<string | null> {
  // The engine places a datamodel in the schema it is connected to and describes the
  // shadow in the shadow schema: make them the same throwaway schema so that the two
  // compare like for like and the script comes out unqualified.
  const scratch = randomShadowSchemaName();
  const handle = await start(databaseUrl, { schema: scratch, shadowSchema: scratch }, log);
  let script: string;
  try {
    script = await diffScript(
      handle.engine,
      { tag: 'migrations', ...migrationList(input.migrations, input.migrationsDir) },
      datamodelTarget(input.datamodel, input.schemaPath),
    );
  } finally {
    await handle.close();
  }
  script = withoutCreateSchema(script, [scratch, 'public']);
  if (script.includes(scratch)) {
    throw new Error(`The schema engine produced a script naming its scratch schema ${scratch}:\n${script}`);
  }
  return isEmptyScript(script) ? null : script;
}
