// A schema-name-independent description of what a PostgreSQL schema contains, from
// pg_catalog: tables, columns (type, nullability, default, identity), constraints,
// indexes, sequences and enum types with their labels. Two schemas built the same way
// describe identically, whatever their names.
import { quoteIdent } from '../../src/db/migrate.js';
import { testDatabaseUrl, withPgClient } from './database.js';

/** One line per catalog fact, sorted. */
export type Catalog = string[];

export interface DescribeOptions {
  databaseUrl?: string;
  /** Tables left out (by default Prisma's bookkeeping table). */
  excludeTables?: string[];
}

const QUERIES: { kind: string; sql: string }[] = [
  {
    kind: 'table',
    sql: `SELECT format('%I', c.relname) AS line
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY($2)`,
  },
  {
    // Column order is left out on purpose: a column added by a later migration comes
    // last, while a fresh schema follows the model's order; Prisma ignores it too.
    kind: 'column',
    sql: `SELECT format('%I.%I %s %s default=%s identity=%s generated=%s',
                  c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                  CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                  coalesce(pg_get_expr(d.adbin, d.adrelid), '-'), a.attidentity, a.attgenerated) AS line
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relname = ANY($2)
             AND a.attnum > 0 AND NOT a.attisdropped`,
  },
  {
    kind: 'constraint',
    sql: `SELECT format('%I.%I %s %s deferrable=%s', c.relname, k.conname, k.contype,
                  pg_get_constraintdef(k.oid, true), k.condeferrable) AS line
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND NOT c.relname = ANY($2)`,
  },
  {
    kind: 'index',
    sql: `SELECT format('%I.%I %s', t.relname, i.relname, pg_get_indexdef(x.indexrelid)) AS line
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE n.nspname = $1 AND NOT t.relname = ANY($2)`,
  },
  {
    kind: 'sequence',
    sql: `SELECT format('%I %s owned-by=%s', c.relname, format_type(s.seqtypid, NULL),
                  coalesce((SELECT format('%I.%I', t.relname, a.attname)
                              FROM pg_depend dep
                              JOIN pg_class t ON t.oid = dep.refobjid
                              JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
                             WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                               AND dep.deptype IN ('a', 'i')), '-')) AS line
            FROM pg_sequence s
            JOIN pg_class c ON c.oid = s.seqrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1`,
  },
  {
    // Labels sorted: ALTER TYPE ... ADD VALUE appends, a fresh schema follows the model.
    kind: 'enum',
    sql: `SELECT format('%I (%s)', t.typname,
                  (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumlabel)
                     FROM pg_enum e WHERE e.enumtypid = t.oid)) AS line
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = $1 AND t.typtype = 'e'`,
  },
  {
    kind: 'other-type',
    sql: `SELECT format('%I %s', t.typname, t.typtype) AS line
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = $1 AND t.typtype NOT IN ('e', 'b', 'c')`,
  },
  {
    kind: 'function',
    sql: `SELECT format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS line
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = $1`,
  },
  {
    kind: 'view',
    sql: `SELECT format('%I %s', c.relname, c.relkind) AS line
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind IN ('v', 'm')`,
  },
];

/** Describes `schema`. Rendered with the schema alone on the search path, so names come out unqualified. */
export async function describeSchema(schema: string, options: DescribeOptions = {}): Promise<Catalog> {
  const exclude = options.excludeTables ?? ['_prisma_migrations'];
  return withPgClient(async (client) => {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    const lines: string[] = [];
    for (const { kind, sql } of QUERIES) {
      const { rows } = await client.query<{ line: string }>(sql, sql.includes('$2') ? [schema, exclude] : [schema]);
      for (const { line } of rows) {
        lines.push(`${kind} ${line.split(`${quoteIdent(schema)}.`).join('').split(`${schema}.`).join('')}`);
      }
    }
    return lines.sort();
  }, options.databaseUrl ?? testDatabaseUrl);
}

/** Lines only in `a` (prefixed `- `) and only in `b` (prefixed `+ `); empty when they match. */
export function catalogDifferences(a: Catalog, b: Catalog): string[] {
  const inA = new Set(a);
  const inB = new Set(b);
  return [...a.filter((line) => !inB.has(line)).map((line) => `- ${line}`), ...b.filter((line) => !inA.has(line)).map((line) => `+ ${line}`)];
}

/** Creates `schema` and runs `sql` in it (alone on the search path) in one transaction. */
export async function runScriptInNewSchema(schema: string, sql: string, databaseUrl = testDatabaseUrl): Promise<void> {
  await withPgClient(async (client) => {
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    await client.query('BEGIN');
    try {
      await client.query(sql);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }, databaseUrl);
}
