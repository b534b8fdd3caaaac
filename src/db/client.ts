import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';

export type Db = PrismaClient;

export interface DbOptions {
  /** PostgreSQL schema to use instead of `public` (tests give each file its own). */
  schema?: string;
  /** Pool size per process. */
  maxConnections?: number;
  /**
   * Turns only (issue 22): the longest one statement may run in PostgreSQL (lock waits
   * included), so a locked or overloaded table fails a turn within its budget instead of holding
   * the person and a pooled connection. Jobs (the sweep, retention, the CLI) leave it unset.
   */
  statementTimeoutMs?: number;
}

/** How long a turn waits for a pooled connection, and the longest statement a turn may run. */
export const TURN_CONNECTION_WAIT_MS = 8_000;
export const TURN_STATEMENT_TIMEOUT_MS = 8_000;

/**
 * How long a transaction may wait for a pooled connection, and run in all. A turn past its
 * budget has its HTTP request answered early (teams-channel.ts) and goes on, so these bound a
 * stuck turn rather than fail a slow one: a burst on two cores takes several seconds.
 */
export const TRANSACTION_MAX_WAIT_MS = 8_000;
export const TRANSACTION_TIMEOUT_MS = 12_000;

/** A Prisma client over node-postgres through the driver adapter (no Rust engine). */
export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.maxConnections ?? 10,
      // A connection that cannot be had (the pool used up, PostgreSQL not answering) fails the
      // caller after this long rather than never.
      connectionTimeoutMillis: TURN_CONNECTION_WAIT_MS,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs, query_timeout: options.statementTimeoutMs + 1_000 } : {}),
      // Prisma qualifies its own queries with the schema; raw SQL relies on search_path.
      ...(options.schema ? { options: `-c search_path="${options.schema.replace(/"/g, '""')}"` } : {}),
    },
    options.schema ? { schema: options.schema } : undefined,
  );
  // Prisma's defaults (2 s to get a connection, 5 s in all) fail a turn under a burst of load
  // that would have finished. Long jobs (the sweep, retention) set their own.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS } });
}
