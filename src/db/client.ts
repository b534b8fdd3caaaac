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
  /** How long a caller waits for a pooled connection (a transaction included); default 8 s. */
  connectionWaitMs?: number;
  /** How long a transaction may run in all, its wait for a connection not counted; default 12 s. */
  transactionTimeoutMs?: number;
}

/** The longest one statement of a turn may run. */
export const TURN_STATEMENT_TIMEOUT_MS = 8_000;

/**
 * What a caller that sets nothing (jobs, the CLI, urgent turns) waits for a pooled connection,
 * and how long its transaction runs in all. Prisma's defaults (2 s and 5 s) fail work under a
 * burst of load that would have finished. Urgent turns keep these: one that cannot be recorded is
 * kept in the spool instead, so waiting longer would only delay that.
 */
export const CONNECTION_WAIT_MS = 8_000;
export const TRANSACTION_TIMEOUT_MS = 12_000;

/**
 * A turn on the main pool. A turn not finished within its budget (TURN_BUDGET_MS, 10 s) has its
 * HTTP request answered ("taking longer ... will reply here") and goes on, so a turn that is
 * merely queued behind others (a burst, a starved machine) should finish rather than fail at 8 s
 * with "may not have been saved". Every statement still stops after 8 s, so a locked table fails
 * the turn as before, and the 30-s limits bound a turn stuck for another reason.
 */
export const TURN_LIMITS = { statementTimeoutMs: TURN_STATEMENT_TIMEOUT_MS, connectionWaitMs: 30_000, transactionTimeoutMs: 30_000 } as const;
/** An urgent turn: its own pool, the statement timeout, and the default waits (above). */
export const URGENT_TURN_LIMITS = { statementTimeoutMs: TURN_STATEMENT_TIMEOUT_MS } as const;

/** A Prisma client over node-postgres through the driver adapter (no Rust engine). */
export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const connectionWaitMs = options.connectionWaitMs ?? CONNECTION_WAIT_MS;
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.maxConnections ?? 10,
      // A connection that cannot be had (the pool used up, PostgreSQL not answering) fails the
      // caller after this long rather than never.
      connectionTimeoutMillis: connectionWaitMs,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs, query_timeout: options.statementTimeoutMs + 1_000 } : {}),
      // Prisma qualifies its own queries with the schema; raw SQL relies on search_path.
      ...(options.schema ? { options: `-c search_path="${options.schema.replace(/"/g, '""')}"` } : {}),
    },
    options.schema ? { schema: options.schema } : undefined,
  );
  // Long jobs (the sweep, retention) set their own transaction limits.
  const transactionOptions = { maxWait: connectionWaitMs, timeout: options.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS };
  return new PrismaClient({ adapter, transactionOptions });
}
