// Applies prisma/migrations/*/migration.sql itself, with bookkeeping in Prisma's own
// `_prisma_migrations` table, because the Prisma CLI's native schema engine cannot be
// downloaded on every machine. A database migrated here can be taken over by
// `prisma migrate deploy` and vice versa.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { systemClock, type Clock } from '../domain/time.js';

export const defaultMigrationsDir = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

/** The key `prisma migrate` itself locks, so this runner and the Prisma CLI exclude each other. */
export const MIGRATION_ADVISORY_LOCK_KEY = 72707369;

export interface MigrationFile {
  /** Directory name, e.g. `20260101120000_init`. */
  name: string;
  /** Absolute path of its migration.sql. */
  file: string;
  sql: string;
  /** sha256 hex of the file's bytes, as Prisma records it. */
  checksum: string;
}

export interface ApplyMigrationsOptions {
  /** PostgreSQL schema to migrate instead of the connection's default (created if missing). */
  schema?: string;
  /** Directory holding `<name>/migration.sql` folders (default: prisma/migrations). */
  migrationsDir?: string;
  log?: (line: string) => void;
  /** The stamps written to `_prisma_migrations` (started, finished, rolled back): one clock for all three. */
  clock?: Clock;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migrationName?: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function checksumOf(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The migrations in a directory, in name order (which is time order for Prisma's names). */
export async function readMigrations(migrationsDir: string = defaultMigrationsDir): Promise<MigrationFile[]> {
  let entries;
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const file = path.join(migrationsDir, name, 'migration.sql');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new MigrationError(`Migration ${name} has no migration.sql (${file})`, name);
      }
      throw error;
    }
    migrations.push({ name, file, sql: bytes.toString('utf8'), checksum: checksumOf(bytes) });
  }
  return migrations;
}

/** Prisma accepts a file whose line endings were changed by git (CRLF <-> LF); so do we. */
function checksumMatches(migration: MigrationFile, recorded: string): boolean {
  if (recorded === migration.checksum) return true;
  const lf = migration.sql.replace(/\r\n/g, '\n');
  return recorded === checksumOf(lf) || recorded === checksumOf(lf.replace(/\n/g, '\r\n'));
}

// Prisma's own definition of the table (schema-engine, PostgreSQL flavour).
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the migrations not yet applied, each in its own transaction, and returns their
 * names. Several processes may call this at once: they queue on a PostgreSQL advisory lock
 * and the later ones find nothing left to do.
 *
 * Refuses (MigrationError naming the migration) when an applied migration's file has
 * changed since, or when an earlier attempt failed and was not resolved (a row with
 * `finished_at` and `rolled_back_at` both null, as `prisma migrate deploy` leaves one;
 * resolve with `prisma migrate resolve` or by setting `rolled_back_at`).
 * A failed attempt of our own rolls back completely, so it is recorded with
 * `rolled_back_at` set and is retried next time.
 */
export async function applyMigrations(
  databaseUrl: string,
  options: ApplyMigrationsOptions = {},
): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir ?? defaultMigrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {}); // surfaced through the failing query instead
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_ADVISORY_LOCK_KEY]);
    try {
      if (options.schema) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
        await client.query(`SET search_path TO ${quoteIdent(options.schema)}`);
      }
      await client.query(CREATE_MIGRATIONS_TABLE);
      const { rows } = await client.query<MigrationRow>(
        `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at
           FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
      );
      const live = rows.filter((row) => row.rolled_back_at === null);
      const failed = live.find((row) => row.finished_at === null);
      if (failed) {
        throw new MigrationError(
          `Migration ${failed.migration_name} failed in an earlier attempt and was not resolved; ` +
            'fix the database, then mark it rolled back (prisma migrate resolve --rolled-back ' +
            `${failed.migration_name}) or applied before migrating again.` +
            (failed.logs ? `\nIts log:\n${failed.logs}` : ''),
          failed.migration_name,
        );
      }
      const applied = new Map(live.map((row) => [row.migration_name, row]));
      for (const migration of migrations) {
        const row = applied.get(migration.name);
        if (row && !checksumMatches(migration, row.checksum)) {
          throw new MigrationError(
            `Migration ${migration.name} was modified after it was applied ` +
              `(checksum recorded ${row.checksum}, file ${migration.checksum}: ${migration.file}). ` +
              'Restore the file and put the change in a new migration.',
            migration.name,
          );
        }
      }
      const known = new Set(migrations.map((migration) => migration.name));
      for (const name of applied.keys()) {
        if (!known.has(name)) log(`warning: migration ${name} is applied in the database but missing from the directory`);
      }

      const done: string[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.name)) continue;
        await applyOne(client, migration, options.clock ?? systemClock);
        log(`applied ${migration.name}`);
        done.push(migration.name);
      }
      if (done.length === 0) log('no pending migrations');
      return { applied: done };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_ADVISORY_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function applyOne(client: pg.Client, migration: MigrationFile, clock: Clock): Promise<void> {
  const id = randomUUID();
  const startedAt = clock.now();
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, 0)`,
      [id, migration.checksum, migration.name, startedAt],
    );
    // No parameters: the simple protocol runs the whole multi-statement script.
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = $2, applied_steps_count = applied_steps_count + 1 WHERE id = $1`,
      [id, clock.now()],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    // Everything was rolled back: keep the attempt as an audit trail, marked rolled back.
    await client
      .query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, rolled_back_at, applied_steps_count)
         VALUES ($1, $2, $3, $4, $5, $6, 0)`,
        [id, migration.checksum, migration.name, message, startedAt, clock.now()],
      )
      .catch(() => {});
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`, migration.name);
  }
}

/**
 * Creates the database named in `databaseUrl` if it does not exist (connecting to the
 * server's `postgres` database to do so). Returns true if it created it.
 */
export async function ensureDatabase(databaseUrl: string, maintenanceDatabase = 'postgres'): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('The database URL names no database');
  const probe = new pg.Client({ connectionString: databaseUrl });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // invalid_catalog_name: missing
  } finally {
    await probe.end().catch(() => {});
  }
  url.pathname = `/${encodeURIComponent(maintenanceDatabase)}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  admin.on('error', () => {});
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created meanwhile by another process
    throw error;
  } finally {
    await admin.end().catch(() => {});
  }
}
