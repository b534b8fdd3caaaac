import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';

export type Db = PrismaClient;

export interface DbOptions {
  /** PostgreSQL schema to use instead of `public` (tests give each file its own). */
  schema?: string;
  /** Pool size per process. */
  maxConnections?: number;
}

/** A Prisma client over node-postgres through the driver adapter (no Rust engine). */
export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, max: options.maxConnections ?? 10 },
    options.schema ? { schema: options.schema } : undefined,
  );
  return new PrismaClient({ adapter });
}
