// A private, fully migrated PostgreSQL schema per call, so that test files running in
// parallel never share tables. The database is TEST_DATABASE_URL (default: the local
// `test` database).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { applyMigrations, quoteIdent } from '../../src/db/migrate.js';

export const testDatabaseUrl = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** Prisma client bound to the schema. */
  db: Db;
  /** The schema's name, `t_<random>`. */
  schema: string;
  /** The database's URL (the schema is not part of it: pass `schema` along). */
  databaseUrl: string;
  /** Disconnects the client and drops the schema with everything in it. */
  drop(): Promise<void>;
}

/** A new schema name that no other test uses. */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/** Runs SQL on a short-lived connection to the test database. */
export async function withPgClient<T>(
  fn: (client: pg.Client) => Promise<T>,
  databaseUrl: string = testDatabaseUrl,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Drops a test schema. PostgreSQL may pick this DROP as the victim of a deadlock with another
 * file's teardown running at the same moment (seen once in a full run): it is tried again.
 */
export async function dropSchema(schema: string, databaseUrl: string = testDatabaseUrl): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await withPgClient((client) => client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`), databaseUrl);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const databaseUrl = testDatabaseUrl;
  const schema = uniqueSchemaName();
  try {
    await applyMigrations(databaseUrl, { schema });
  } catch (error) {
    await dropSchema(schema, databaseUrl).catch(() => {});
    throw error;
  }
  const db = createDb(databaseUrl, { schema, maxConnections: 5 });
  let dropped: Promise<void> | undefined;
  return {
    db,
    schema,
    databaseUrl,
    drop() {
      dropped ??= (async () => {
        await db.$disconnect().catch(() => {});
        await dropSchema(schema, databaseUrl);
      })();
      return dropped;
    },
  };
}

/**
 * Registers beforeAll/afterAll hooks for a test file (or describe block) that gets its own
 * migrated schema. Read the fields inside tests or hooks, not at collection time.
 *
 *   const t = withTestDatabase();
 *   it('...', async () => { await t.db.organisation.count(); });
 */
export function withTestDatabase(): Readonly<TestDatabase> {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  afterAll(async () => {
    await current?.drop();
  });
  const get = (): TestDatabase => {
    if (!current) throw new Error('withTestDatabase(): the database exists only inside tests and hooks');
    return current;
  };
  return {
    get db() {
      return get().db;
    },
    get schema() {
      return get().schema;
    },
    get databaseUrl() {
      return get().databaseUrl;
    },
    drop: () => get().drop(),
  };
}
