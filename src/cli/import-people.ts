/**
 * npm run import:people -- <file.csv> [--org <slug>]
 *
 * Loads a staff directory CSV into an organisation, all or nothing. The file format is
 * described in src/domain/directory-rows.ts. Environment: DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/sg_supervision), DATABASE_SCHEMA (default public).
 *
 * Exit codes: 0 imported; 1 the file has problems (nothing written) or the import failed;
 * 2 wrong usage.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, type Db } from '../db/client.js';
import { importDirectory } from '../db/import-directory.js';
import type { DirectoryProblem } from '../domain/directory-rows.js';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/sg_supervision';

const USAGE = 'Usage: npm run import:people -- <file.csv> [--org <slug>]';

export type ImportPeopleErrorCode =
  | 'USAGE'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'NO_ORGANISATION'
  | 'SEVERAL_ORGANISATIONS'
  | 'UNKNOWN_ORGANISATION';

export class ImportPeopleError extends Error {
  constructor(
    readonly code: ImportPeopleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImportPeopleError';
  }
}

export interface ImportPeopleArgs {
  file: string;
  org?: string;
}

export function parseImportPeopleArgs(argv: readonly string[]): ImportPeopleArgs | { help: true } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { org: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new ImportPeopleError('USAGE', `${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) return { help: true };
  const [file, ...extra] = parsed.positionals;
  if (!file) throw new ImportPeopleError('USAGE', `No file given.\n${USAGE}`);
  if (extra.length > 0) throw new ImportPeopleError('USAGE', `Only one file can be imported at a time (got ${parsed.positionals.join(', ')}).\n${USAGE}`);
  if (parsed.values.org !== undefined && parsed.values.org.trim() === '') throw new ImportPeopleError('USAGE', `--org needs a slug.\n${USAGE}`);
  return parsed.values.org === undefined ? { file } : { file, org: parsed.values.org.trim() };
}

async function readDirectoryFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImportPeopleError('FILE_NOT_FOUND', `File not found: ${resolve(file)}`);
    if (code === 'EISDIR') throw new ImportPeopleError('FILE_UNREADABLE', `${resolve(file)} is a directory, not a CSV file`);
    throw new ImportPeopleError('FILE_UNREADABLE', `Cannot read ${resolve(file)}: ${(error as Error).message}`);
  }
}

/** The organisation named by --org, or the only one there is. */
export async function findOrganisation(db: Db, slug: string | undefined): Promise<{ id: string; slug: string; name: string }> {
  const select = { id: true, slug: true, name: true } as const;
  if (slug !== undefined) {
    const org = await db.organisation.findUnique({ where: { slug }, select });
    if (org) return org;
    const all = await db.organisation.findMany({ select: { slug: true }, orderBy: { slug: 'asc' } });
    throw new ImportPeopleError(
      'UNKNOWN_ORGANISATION',
      all.length > 0
        ? `Unknown organisation "${slug}". Organisations: ${all.map((o) => o.slug).join(', ')}`
        : `Unknown organisation "${slug}": there are no organisations in this database yet.`,
    );
  }
  const all = await db.organisation.findMany({ select, orderBy: { slug: 'asc' }, take: 50 });
  if (all.length === 0) throw new ImportPeopleError('NO_ORGANISATION', 'There are no organisations in this database yet; create one first: npm run org -- create <slug> --name "<name>" (or npm run db:seed for the demo).');
  if (all.length > 1) {
    throw new ImportPeopleError('SEVERAL_ORGANISATIONS', `There are several organisations (${all.map((o) => o.slug).join(', ')}); choose one with --org <slug>.`);
  }
  return all[0]!;
}

/** Problems as a plain-text table: line, field, reason. */
export function formatProblems(problems: readonly DirectoryProblem[]): string {
  const rows = [['line', 'field', 'reason'], ...problems.map((p) => [String(p.line), p.field, p.reason])];
  const lineWidth = Math.max(...rows.map((r) => r[0]!.length));
  const fieldWidth = Math.max(...rows.map((r) => r[1]!.length));
  return rows.map(([line, field, reason]) => `${line!.padEnd(lineWidth)}  ${field!.padEnd(fieldWidth)}  ${reason}`).join('\n');
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Runs the command and returns the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = processIo): Promise<number> {
  let db: Db | undefined;
  try {
    const args = parseImportPeopleArgs(argv);
    if ('help' in args) {
      io.out(USAGE);
      return 0;
    }
    const csvText = await readDirectoryFile(args.file);
    const schema = env.DATABASE_SCHEMA?.trim() || undefined;
    db = createDb(env.DATABASE_URL || DEFAULT_DATABASE_URL, schema ? { schema, maxConnections: 2 } : { maxConnections: 2 });
    const org = await findOrganisation(db, args.org);
    const result = await importDirectory(db, org.id, csvText);
    if (!result.ok) {
      const n = result.problems.length;
      io.err(`${args.file}: ${n} problem${n === 1 ? '' : 's'}; nothing was imported into ${org.name} (${org.slug}).\n`);
      io.err(formatProblems(result.problems));
      return 1;
    }
    const total = result.created + result.updated;
    io.out(`Imported ${total} people (${result.created} created, ${result.updated} updated) into ${org.name} (${org.slug}).`);
    return 0;
  } catch (error) {
    if (error instanceof ImportPeopleError) {
      io.err(error.message);
      return error.code === 'USAGE' ? 2 : 1;
    }
    io.err(`Import failed, nothing was written: ${lastLine(error)}`);
    return 1;
  } finally {
    await db?.$disconnect();
  }
}

/** Prisma errors start with a long call-site excerpt; the cause is the last line. */
function lastLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split('\n').filter((l) => l.trim() !== '').at(-1)?.trim() ?? message;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
