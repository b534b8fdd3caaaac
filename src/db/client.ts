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
    {
      connectionString: databaseUrl,
      max: options.maxConnections ?? 10,
      // Prisma qualifies its own queries with the schema; raw SQL relies on search_path.
      ...(options.schema ? { options: `-c search_path="${options.schema.replace(/"/g, '""')}"` } : {}),
    },
    options.schema ? { schema: options.schema } : undefined,
  );
  return new PrismaClient({ adapter });
}
