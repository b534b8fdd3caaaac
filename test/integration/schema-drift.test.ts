// Proves that prisma/schema.prisma and prisma/migrations describe the same database: one
// schema is built by applying the migrations, another by running the SQL Prisma's schema
// engine derives from schema.prisma alone, and their catalogs must match. Editing
// schema.prisma without adding a migration (npm run db:make-migration -- <name>) fails here.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMigration } from '../../src/cli/make-migration.js';
import { applyMigrations, defaultMigrationsDir, readMigrations } from '../../src/db/migrate.js';
import { datamodelTarget, defaultSchemaPath, diffScript, pendingMigrationScript, withSchemaEngine } from '../../src/db/schema-engine.js';
import { catalogDifferences, describeSchema, runScriptInNewSchema, type Catalog } from '../support/catalog.js';
import { dropSchema, testDatabaseUrl, uniqueSchemaName } from '../support/database.js';

const url = testDatabaseUrl;
const datamodel = await readFile(defaultSchemaPath, 'utf8');

/** schema.prisma with one extra column and one extra enum value: a change made without a migration. */
const driftedDatamodel = (() => {
  const out = datamodel
    .replace(/^model ProcessedDelivery \{\n/m, (m) => `${m}  driftProbe Int?\n`)
    .replace(/^enum ConversationKind \{\n/m, (m) => `${m}  DIRECT\n`);
  if (out === datamodel || !out.includes('driftProbe') || !out.includes('DIRECT')) throw new Error('could not modify schema.prisma');
  return out;
})();

const schemas: string[] = [];
const tempDirs: string[] = [];
function newSchema(prefix: string): string {
  const schema = uniqueSchemaName(prefix);
  schemas.push(schema);
  return schema;
}

/** The SQL the schema engine derives from a datamodel alone (`prisma migrate diff --from-empty --to-schema-datamodel --script`). */
async function scriptFor(content: string): Promise<string> {
  return withSchemaEngine(url, (engine) => diffScript(engine, { tag: 'empty' }, datamodelTarget(content)));
}

async function catalogFromScript(prefix: string, sql: string): Promise<Catalog> {
  const schema = newSchema(prefix);
  await runScriptInNewSchema(schema, sql);
  return describeSchema(schema);
}

let fromMigrations: Catalog;
let fromDatamodel: Catalog;

beforeAll(async () => {
  const schema = newSchema('tdm');
  await applyMigrations(url, { schema });
  fromMigrations = await describeSchema(schema);
  fromDatamodel = await catalogFromScript('tdd', await scriptFor(datamodel));
});

afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('schema.prisma and prisma/migrations', () => {
  it('describe a non-trivial database (the catalog comparison has something to compare)', () => {
    const models = [...datamodel.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!);
    const enums = [...datamodel.matchAll(/^enum (\w+) \{/gm)].map((m) => m[1]!);
    const count = (kind: string) => fromMigrations.filter((line) => line.startsWith(`${kind} `)).length;
    expect(count('table')).toBe(models.length);
    expect(count('enum')).toBe(enums.length);
    expect(count('column')).toBeGreaterThan(200);
    expect(count('constraint')).toBeGreaterThan(80); // primary, unique and foreign keys
    expect(count('index')).toBeGreaterThan(50);
    expect(fromMigrations).toContain('sequence "AuditEvent_id_seq" bigint owned-by="AuditEvent".id');
    expect(fromMigrations).toContain(
      `constraint "TriageChannel"."TriageChannel_boundById_fkey" f FOREIGN KEY ("boundById") REFERENCES "Person"(id) ON UPDATE CASCADE ON DELETE RESTRICT deferrable=f`,
    );
  });

  it('build identical catalogs: tables, columns, constraints, indexes, sequences and enums', () => {
    expect(catalogDifferences(fromMigrations, fromDatamodel)).toEqual([]);
  });

  it('leave nothing for a new migration to do (what db:make-migration would write)', async () => {
    expect(await pendingMigrationScript(url, { migrations: await readMigrations(), datamodel })).toBeNull();
  });
});

describe('a schema.prisma edited without a migration', () => {
  it('is detected by the catalog comparison', async () => {
    const drifted = await catalogFromScript('tdx', await scriptFor(driftedDatamodel));
    const differences = catalogDifferences(fromMigrations, drifted);
    expect(differences).toContain('+ column "ProcessedDelivery"."driftProbe" integer NULL default=- identity= generated=');
    expect(differences).toContain(
      "- enum \"ConversationKind\" ('CHANNEL', 'GROUP', 'PERSONAL')",
    );
    expect(differences).toContain(
      "+ enum \"ConversationKind\" ('CHANNEL', 'DIRECT', 'GROUP', 'PERSONAL')",
    );
    expect(differences).toHaveLength(3);
  });

  it('is detected by the migrations-to-datamodel diff, which yields exactly the missing steps', async () => {
    const script = await pendingMigrationScript(url, { migrations: await readMigrations(), datamodel: driftedDatamodel });
    expect(script).not.toBeNull();
    expect(script).toContain(`ALTER TYPE "ConversationKind" ADD VALUE 'DIRECT';`);
    expect(script).toContain(`ALTER TABLE "ProcessedDelivery" ADD COLUMN     "driftProbe" INTEGER;`);
    expect(script).not.toMatch(/CREATE TABLE|DROP/);
  });

  it('is turned by db:make-migration into a new migration that brings the migrated database level with it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sg-make-migration-'));
    tempDirs.push(dir);
    const migrationsDir = path.join(dir, 'migrations');
    await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
    const schemaPath = path.join(dir, 'schema.prisma');
    await writeFile(schemaPath, driftedDatamodel);
    const existing = (await readMigrations(migrationsDir)).map((m) => m.name);

    const created = await makeMigration({ name: 'Add drift probe!', databaseUrl: url, schemaPath, migrationsDir });
    expect(created).toMatch(/^\d{14}_add_drift_probe$/);
    expect(created! > existing.at(-1)!).toBe(true);
    const entries = (await readdir(migrationsDir)).sort();
    expect(entries).toEqual([...existing, created!, 'migration_lock.toml'].sort());
    expect(await readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8')).toMatch(/^provider = "postgresql"$/m);

    // Nothing more to do: a second run writes nothing.
    expect(await makeMigration({ name: 'again', databaseUrl: url, schemaPath, migrationsDir })).toBeNull();
    expect((await readdir(migrationsDir)).length).toBe(entries.length);

    // The migrations, new one included, build what the edited datamodel describes.
    const schema = newSchema('tdn');
    expect((await applyMigrations(url, { schema, migrationsDir })).applied).toEqual([...existing, created]);
    const drifted = await catalogFromScript('tdy', await scriptFor(driftedDatamodel));
    expect(catalogDifferences(await describeSchema(schema), drifted)).toEqual([]);
  });
});
