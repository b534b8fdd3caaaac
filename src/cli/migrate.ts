// npm run db:migrate: creates the database at DATABASE_URL if needed and applies the
// migrations in prisma/migrations that it has not had yet, in DATABASE_SCHEMA when set (the
// schema the bot's processes then use) (bookkeeping in Prisma's
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
  const schema = process.env.DATABASE_SCHEMA || undefined;
  const where = `${redact(databaseUrl)}${schema ? ` (schema ${schema})` : ''}`;
  if (await ensureDatabase(databaseUrl)) console.log(`Created database ${redact(databaseUrl)}`);
  const { applied } = await applyMigrations(databaseUrl, { schema, log: (line) => console.log(line) });
  console.log(applied.length === 0 ? `${where} is up to date.` : `Applied ${applied.length} migration(s) to ${where}.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
