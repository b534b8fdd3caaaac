import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';

export type Db = PrismaClient;

export interface DbOptions {
  /** PostgreSQL schema to use instead of `public` (tests give each file its own). */
  schema?: string;
  /** Pool size per process. */
  maxConnections?: number;
}

/** How long a transaction may wait for a pooled connection, and run in all. */
export const TRANSACTION_MAX_WAIT_MS = 4_000;
export const TRANSACTION_TIMEOUT_MS = 8_000;

/** A Prisma client over node-postgres through the driver adapter (no Rust engine). */
export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.maxConnections ?? 10,
      // Prisma qualifies its own queries with the schema; raw SQL relies on search_path.
      ...(options.schema ? { options: `-c search_path="${options.schema.replace(/"/g, '""')}"` } : {}),
    },
    options.schema ? { schema: options.schema } : undefined,
  );
  // Prisma's defaults (2 s to get a connection, 5 s in all) fail a turn under a burst of load
  // that would have finished; these stay inside Teams' 15 s for an answer. Long jobs (the sweep,
  // retention) set their own.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS } });
}
