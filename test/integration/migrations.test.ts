import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, defaultMigrationsDir, MigrationError, quoteIdent, readMigrations } from '../../src/db/migrate.js';
import { migrationList, withSchemaEngine } from '../../src/db/schema-engine.js';
import { Role } from '../../src/db/generated/enums.js';
import { createTestDatabase, dropSchema, testDatabaseUrl, uniqueSchemaName, withPgClient } from '../support/database.js';

const url = testDatabaseUrl;
const schemaPrisma = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
const modelNames = [...schemaPrisma.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!).sort();
const enumNames = [...schemaPrisma.matchAll(/^enum (\w+) \{/gm)].map((m) => m[1]!).sort();

interface Row {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

const schemas: string[] = [];
const tempDirs: string[] = [];
function newSchema(): string {
  const schema = uniqueSchemaName('tm');
  schemas.push(schema);
  return schema;
}
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function tables(schema: string): Promise<string[]> {
  return withPgClient(async (c) =>
    (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema])).rows.map(
      (r) => r.t,
    ),
  );
}

async function enums(schema: string): Promise<string[]> {
  return withPgClient(async (c) =>
    (
      await c.query<{ t: string }>(
        `SELECT t.typname AS t FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname = $1 AND t.typtype = 'e' ORDER BY 1`,
        [schema],
      )
    ).rows.map((r) => r.t),
  );
}

async function bookkeeping(schema: string): Promise<Row[]> {
  return withPgClient(
    async (c) => (await c.query<Row>(`SELECT * FROM ${quoteIdent(schema)}."_prisma_migrations" ORDER BY started_at, migration_name`)).rows,
  );
}

async function migrationsDirCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sg-migrations-'));
  tempDirs.push(dir);
  await cp(defaultMigrationsDir, dir, { recursive: true });
  return dir;
}

describe('applyMigrations', () => {
  it('finds the repository migrations in name order', async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations[0]!.name).toMatch(/^\d{14}_init$/);
    expect(migrations.map((m) => m.name)).toEqual([...migrations.map((m) => m.name)].sort());
  });

  it('gives a fresh schema every table, enum and the bookkeeping table, all inside that schema', async () => {
    const schema = newSchema();
    const lines: string[] = [];
    const { applied } = await applyMigrations(url, { schema, log: (line) => lines.push(line) });
    const all = (await readMigrations()).map((m) => m.name);
    expect(applied).toEqual(all);
    expect(lines).toEqual(all.map((name) => `applied ${name}`));
    expect(await tables(schema)).toEqual([...modelNames, '_prisma_migrations'].sort());
    expect(await enums(schema)).toEqual(enumNames);
    // Nothing leaked into public.
    const publicTables = await tables('public');
    expect(publicTables.filter((t) => modelNames.includes(t) || t === '_prisma_migrations')).toEqual([]);
  });

  it('applies nothing when run again', async () => {
    const schema = newSchema();
    await applyMigrations(url, { schema });
    const before = await bookkeeping(schema);
    const lines: string[] = [];
    expect(await applyMigrations(url, { schema, log: (l) => lines.push(l) })).toEqual({ applied: [] });
    expect(lines).toEqual(['no pending migrations']);
    expect(await bookkeeping(schema)).toEqual(before);
  });

  it("records each migration like Prisma: sha256 of the file, finished, one step", async () => {
    const schema = newSchema();
    // Stamps come from the injected clock only (never PostgreSQL's now()): a clock far from the
    // real date, one minute a tick, shows each stamp's source and their order.
    const ticks: Date[] = [];
    let at = Date.UTC(2040, 0, 1, 9, 0, 0);
    const clock = { now: () => (ticks.push(new Date((at += 60_000))), ticks.at(-1)!) };
    await applyMigrations(url, { schema, clock });
    const rows = await bookkeeping(schema);
    expect(ticks).toHaveLength(rows.length * 2);
    const migrations = await readMigrations();
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const bytes = await readFile(path.join(defaultMigrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(row.checksum).toBe(migrations[i]!.checksum);
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.started_at).toEqual(ticks[2 * i]);
      expect(row.finished_at).toEqual(ticks[2 * i + 1]);
      expect(row.finished_at!.getTime()).toBeGreaterThan(row.started_at.getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    // Same columns and types as the table Prisma creates.
    const columns = await withPgClient(
      async (c) =>
        (
          await c.query<{ column_name: string; data_type: string; is_nullable: string }>(
            `SELECT column_name, data_type, is_nullable FROM information_schema.columns
              WHERE table_schema = $1 AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
            [schema],
          )
        ).rows,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO' },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES' },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO' },
    ]);
  });

  it("is read by Prisma's own schema engine as an up-to-date history", async () => {
    const schema = newSchema();
    await applyMigrations(url, { schema });
    const migrations = await readMigrations();
    const filters = { externalTables: [], externalEnums: [] };
    const { clean, edited } = await withSchemaEngine(
      url,
      async (engine) => ({
        clean: await engine.diagnoseMigrationHistory({ migrationsList: migrationList(migrations), optInToShadowDatabase: false, filters }),
        edited: await engine.diagnoseMigrationHistory({
          migrationsList: migrationList(migrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m))),
          optInToShadowDatabase: false,
          filters,
        }),
      }),
      { schema },
    );
    expect(clean).toEqual({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
    expect(edited.editedMigrationNames).toEqual([migrations[0]!.name]);
  });

  it('refuses, naming the migration, when an applied migration no longer matches its file', async () => {
    const schema = newSchema();
    await applyMigrations(url, { schema });
    const [first] = await readMigrations();
    await withPgClient((c) =>
      c.query(`UPDATE ${quoteIdent(schema)}."_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`, ['0'.repeat(64), first!.name]),
    );
    const error = await applyMigrations(url, { schema }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migrationName).toBe(first!.name);
    expect((error as Error).message).toContain(`Migration ${first!.name} was modified after it was applied`);
  });

  it('refuses, naming the migration, when an earlier attempt failed and was not resolved', async () => {
    const schema = newSchema();
    await applyMigrations(url, { schema });
    const [first] = await readMigrations();
    await withPgClient((c) =>
      c.query(`UPDATE ${quoteIdent(schema)}."_prisma_migrations" SET finished_at = NULL, logs = 'boom' WHERE migration_name = $1`, [
        first!.name,
      ]),
    );
    await expect(applyMigrations(url, { schema })).rejects.toThrow(
      new RegExp(`Migration ${first!.name} failed in an earlier attempt[\\s\\S]*boom`),
    );
    // Marked rolled back (what `prisma migrate resolve --rolled-back` does), it is retried.
    await withPgClient((c) =>
      c.query(`UPDATE ${quoteIdent(schema)}."_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1`, [first!.name]),
    );
    await expect(applyMigrations(url, { schema })).rejects.toThrow(/Migration \S+_init failed and was rolled back: type "ContactKind" already exists/);
  });

  it('rolls a failing migration back whole, records the attempt as rolled back and retries it once fixed', async () => {
    const dir = await migrationsDirCopy();
    const broken = path.join(dir, '29990101000000_broken');
    await mkdir(broken);
    await writeFile(
      path.join(broken, 'migration.sql'),
      'CREATE TABLE "HalfDone" ("id" TEXT PRIMARY KEY);\nINSERT INTO "HalfDone" VALUES (NULL);\n',
    );
    const schema = newSchema();
    await expect(applyMigrations(url, { schema, migrationsDir: dir })).rejects.toThrow(
      /Migration 29990101000000_broken failed and was rolled back: .*null value/,
    );
    expect(await tables(schema)).not.toContain('HalfDone');
    expect(await tables(schema)).toContain('Organisation'); // the earlier migration stayed
    const failed = (await bookkeeping(schema)).filter((r) => r.migration_name === '29990101000000_broken');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ finished_at: null, applied_steps_count: 0 });
    expect(failed[0]!.rolled_back_at).toBeInstanceOf(Date);
    expect(failed[0]!.logs).toContain('null value');

    await writeFile(path.join(broken, 'migration.sql'), 'CREATE TABLE "HalfDone" ("id" TEXT PRIMARY KEY);\nINSERT INTO "HalfDone" VALUES (\'x\');\n');
    expect(await applyMigrations(url, { schema, migrationsDir: dir })).toEqual({ applied: ['29990101000000_broken'] });
    expect(await tables(schema)).toContain('HalfDone');
  });

  it('applies each migration once when two processes start on the same new schema at once', async () => {
    const schema = newSchema();
    const all = (await readMigrations()).map((m) => m.name);
    const results = await Promise.all([applyMigrations(url, { schema }), applyMigrations(url, { schema }), applyMigrations(url, { schema })]);
    const appliedLists = results.map((r) => r.applied).sort((a, b) => b.length - a.length);
    expect(appliedLists).toEqual([all, [], []]);
    const rows = await bookkeeping(schema);
    expect(rows.map((r) => r.migration_name)).toEqual(all);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('applies only the new migration when one is added later', async () => {
    const dir = await migrationsDirCopy();
    const schema = newSchema();
    await applyMigrations(url, { schema, migrationsDir: dir });
    const later = path.join(dir, '29990101000001_add_probe');
    await mkdir(later);
    await writeFile(path.join(later, 'migration.sql'), 'ALTER TABLE "ProcessedDelivery" ADD COLUMN "probe" INTEGER;\n');
    expect(await applyMigrations(url, { schema, migrationsDir: dir })).toEqual({ applied: ['29990101000001_add_probe'] });
    const column = await withPgClient(
      async (c) =>
        (
          await c.query(
            `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'ProcessedDelivery' AND column_name = 'probe'`,
            [schema],
          )
        ).rowCount,
    );
    expect(column).toBe(1);
  });
});

describe('createTestDatabase', () => {
  it('gives a migrated schema of its own with a working Prisma client, and drops it', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.schema).toMatch(/^t_[0-9a-f]{16}$/);
      expect(b.schema).not.toBe(a.schema);
      const org = await a.db.organisation.create({
        data: { slug: 'probe', name: 'Probe Trust', serviceHours: {}, responseTargets: {} },
      });
      const person = await a.db.person.create({
        data: { organisationId: org.id, name: 'Ada', email: 'ada@example.org', roles: [Role.SUPERVISOR, Role.STAFF] },
      });
      expect((await a.db.person.findUniqueOrThrow({ where: { id: person.id } })).roles).toEqual([Role.SUPERVISOR, Role.STAFF]);
      expect(await a.db.organisation.count()).toBe(1);
      expect(await b.db.organisation.count()).toBe(0);
      const inSchema = await withPgClient(
        async (c) => (await c.query(`SELECT slug FROM ${quoteIdent(a.schema)}."Organisation"`)).rows,
      );
      expect(inSchema).toEqual([{ slug: 'probe' }]);
    } finally {
      await a.drop();
      await b.drop();
    }
    const left = await withPgClient(
      async (c) => (await c.query(`SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)`, [[a.schema, b.schema]])).rowCount,
    );
    expect(left).toBe(0);
  });
});
