// npm run db:make-migration -- <name>
//
// Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes a
// database built from the existing migrations to prisma/schema.prisma, like
// `prisma migrate dev --create-only` does, but through the WebAssembly schema engine so it
// works without Prisma's downloadable native engine. Writes nothing if there is no change.
//
// The migrations are replayed in a throwaway schema (dropped afterwards) of the database at
// SHADOW_DATABASE_URL, else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres.
// Review the SQL before committing it; apply it with `npm run db:migrate`.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrations } from '../db/migrate.js';
import {
  MIGRATION_LOCK_TOML,
  defaultMigrationsDir,
  defaultSchemaPath,
  pendingMigrationScript,
} from '../db/schema-engine.js';

export interface MakeMigrationOptions {
  name: string;
  databaseUrl: string;
  schemaPath?: string;
  migrationsDir?: string;
  /** Defaults to the current time. */
  now?: Date;
  log?: (line: string) => void;
}

/** Prisma-style directory suffix: lower case, runs of other characters become `_`. */
export function migrationSlug(name: string): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (!slug) throw new Error(`Migration name ${JSON.stringify(name)} has no letters or digits`);
  return slug;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS, UTC
}

/** Creates the new migration; returns its directory name, or null if there was nothing to do. */
export async function makeMigration(options: MakeMigrationOptions): Promise<string | null> {
  const log = options.log ?? (() => {});
  const schemaPath = options.schemaPath ?? defaultSchemaPath;
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir;
  const slug = migrationSlug(options.name);
  const datamodel = await readFile(schemaPath, 'utf8');
  const migrations = await readMigrations(migrationsDir);

  const script = await pendingMigrationScript(options.databaseUrl, { migrations, datamodel, schemaPath, migrationsDir });
  if (script === null) {
    log(`No changes: ${path.relative(process.cwd(), schemaPath)} matches the ${migrations.length} migration(s).`);
    return null;
  }

  // Names sort as time; never sort before an existing migration, even with a skewed clock.
  let stamp = timestamp(options.now ?? new Date());
  const last = migrations.at(-1)?.name.slice(0, 14);
  if (last && /^\d{14}$/.test(last) && stamp <= last) {
    const next = new Date(
      Date.UTC(+last.slice(0, 4), +last.slice(4, 6) - 1, +last.slice(6, 8), +last.slice(8, 10), +last.slice(10, 12), +last.slice(12, 14) + 1),
    );
    stamp = timestamp(next);
  }
  const name = `${stamp}_${slug}`;
  const dir = path.join(migrationsDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), script);
  const lockfile = path.join(migrationsDir, 'migration_lock.toml');
  if (!existsSync(lockfile)) await writeFile(lockfile, MIGRATION_LOCK_TOML);
  log(`Created ${path.relative(process.cwd(), path.join(dir, 'migration.sql'))}`);
  return name;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const nameFlag = args.indexOf('--name');
  const name = nameFlag >= 0 ? args[nameFlag + 1] : args.find((arg) => !arg.startsWith('-'));
  if (!name) {
    console.error('usage: npm run db:make-migration -- <name>');
    process.exit(2);
  }
  const databaseUrl =
    process.env.SHADOW_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  await makeMigration({ name, databaseUrl, log: (line) => console.log(line) });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
