// npm run db:migrate: creates the database at DATABASE_URL if needed and applies the
// migrations in prisma/migrations that it has not had yet (bookkeeping in Prisma's
// `_prisma_migrations`, so `prisma migrate deploy` sees the same history).
import { applyMigrations, ensureDatabase } from '../db/migrate.js';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/sg_supervision';

/** The URL without its password, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (await ensureDatabase(databaseUrl)) console.log(`Created database ${redact(databaseUrl)}`);
  const { applied } = await applyMigrations(databaseUrl, { log: (line) => console.log(line) });
  console.log(
    applied.length === 0
      ? `${redact(databaseUrl)} is up to date.`
      : `Applied ${applied.length} migration(s) to ${redact(databaseUrl)}.`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
