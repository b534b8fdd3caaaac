/**
 * npm run import:people -- <file.csv> [--org <slug>] [--dry-run]
 * npm run import:people -- --from-entra [--group <id>] [--org <slug>] [--staff-group "<job title>=<group>"]...
 *                          [--default-staff-group <group>] [--roles <roles>] [--dry-run]
 *
 * --dry-run reads and validates everything (Graph included) and prints what a real run would
 * change, person by person, writing nothing.
 *
 * Loads a staff directory CSV into an organisation, all or nothing. The file format is
 * described in src/domain/directory-rows.ts. With --from-entra the people come from Microsoft
 * Graph instead (mapping in src/directory/entra-directory.ts) and pass the same validation.
 * Environment: DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/sg_supervision),
 * DATABASE_SCHEMA (default public); for --from-entra ENTRA_TENANT_ID, ENTRA_CLIENT_ID and
 * ENTRA_CLIENT_CERTIFICATE_PATH (a PEM certificate with its key) or ENTRA_CLIENT_SECRET, or else the bot's MICROSOFT_APP_TENANT_ID, MICROSOFT_APP_ID,
 * MICROSOFT_APP_PASSWORD (the tenant defaults to the organisation's Teams tenant).
 *
 * Exit codes: 0 imported; 1 the file has problems (nothing written) or the import failed;
 * 2 wrong usage.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, type Db } from '../db/client.js';
import { importDirectory, type PersonChange } from '../db/import-directory.js';
import type { DirectoryProblem, DirectoryRole } from '../domain/directory-rows.js';
import { formatEntraProblems, parseRoleList, parseStaffGroupRule, type StaffGroupRule } from '../directory/entra-directory.js';
import { createEntraGraph, EntraGraphError, isGuid, readClientCertificate, type EntraCredentials, type EntraGraphOptions } from '../directory/entra-graph.js';
import { importFromEntra } from '../directory/import-from-entra.js';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/sg_supervision';

const USAGE = [
  'Usage: npm run import:people -- <file.csv> [--org <slug>] [--dry-run]',
  '       npm run import:people -- --from-entra [--group <group object id>] [--org <slug>]',
  '           [--staff-group "<job title pattern>=<staff group>"]... [--default-staff-group <staff group>]',
  '           [--roles <roles for new people, default STAFF>] [--dry-run]',
  '  --dry-run   validate and print what would change, person by person; write nothing',
].join('\n');

export type ImportPeopleErrorCode =
  | 'USAGE'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'NO_ORGANISATION'
  | 'SEVERAL_ORGANISATIONS'
  | 'UNKNOWN_ORGANISATION'
  | 'ENTRA_NOT_CONFIGURED';

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
  dryRun?: boolean;
}

export interface ImportFromEntraArgs {
  fromEntra: true;
  org?: string;
  group?: string;
  rules: StaffGroupRule[];
  defaultStaffGroup?: string;
  roles: DirectoryRole[];
  dryRun?: boolean;
}

const ENTRA_ONLY = ['group', 'staff-group', 'default-staff-group', 'roles'] as const;

export function parseImportPeopleArgs(argv: readonly string[]): ImportPeopleArgs | ImportFromEntraArgs | { help: true } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        org: { type: 'string' },
        'from-entra': { type: 'boolean' },
        group: { type: 'string' },
        'staff-group': { type: 'string', multiple: true },
        'default-staff-group': { type: 'string' },
        roles: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new ImportPeopleError('USAGE', `${(error as Error).message}\n${USAGE}`);
  }
  const values = parsed.values;
  if (values.help) return { help: true };
  if (values.org !== undefined && values.org.trim() === '') throw new ImportPeopleError('USAGE', `--org needs a slug.\n${USAGE}`);
  const org = values.org?.trim();

  if (values['from-entra']) {
    if (parsed.positionals.length > 0) throw new ImportPeopleError('USAGE', `--from-entra reads Microsoft Graph, not a file (got ${parsed.positionals.join(', ')}).\n${USAGE}`);
    const args: ImportFromEntraArgs = { fromEntra: true, rules: [], roles: ['STAFF'] };
    if (org !== undefined) args.org = org;
    if (values['dry-run']) args.dryRun = true;
    if (values.group !== undefined) {
      const group = values.group.trim();
      if (!isGuid(group)) throw new ImportPeopleError('USAGE', `--group "${values.group}" is not a GUID: give the group's Object ID from the Entra admin centre.\n${USAGE}`);
      args.group = group.toLowerCase();
    }
    for (const text of values['staff-group'] ?? []) {
      const rule = parseStaffGroupRule(text);
      if (rule === null) throw new ImportPeopleError('USAGE', `--staff-group "${text}" should be "<job title pattern>=<staff group>", for example "*Paramedic*=Operational Staff, EOC and 111".\n${USAGE}`);
      args.rules.push(rule);
    }
    if (values['default-staff-group'] !== undefined) {
      if (values['default-staff-group'].trim() === '') throw new ImportPeopleError('USAGE', `--default-staff-group needs a staff group.\n${USAGE}`);
      args.defaultStaffGroup = values['default-staff-group'].trim();
    }
    if (values.roles !== undefined) {
      const roles = parseRoleList(values.roles);
      if (roles === null) throw new ImportPeopleError('USAGE', `--roles "${values.roles}": roles are STAFF, SUPERVISOR, SPECIALIST, HEAD_OF_SAFEGUARDING, LINE_MANAGER, ADMINISTRATOR (separated by ";").\n${USAGE}`);
      args.roles = roles;
    }
    return args;
  }

  const entraOnly = ENTRA_ONLY.filter((name) => values[name] !== undefined);
  if (entraOnly.length > 0) throw new ImportPeopleError('USAGE', `${entraOnly.map((n) => `--${n}`).join(', ')} only go${entraOnly.length === 1 ? 'es' : ''} with --from-entra.\n${USAGE}`);
  const [file, ...extra] = parsed.positionals;
  if (!file) throw new ImportPeopleError('USAGE', `No file given.\n${USAGE}`);
  if (extra.length > 0) throw new ImportPeopleError('USAGE', `Only one file can be imported at a time (got ${parsed.positionals.join(', ')}).\n${USAGE}`);
  return { file, ...(org === undefined ? {} : { org }), ...(values['dry-run'] ? { dryRun: true } : {}) };
}

/**
 * The app registration Graph is read with: the dedicated ENTRA_* variables (an app that may read
 * the directory, separate from the bot's), or else the bot's own MICROSOFT_APP_* registration.
 * The id and secret are taken as a pair, never one from each. The tenant defaults to the
 * organisation's Teams tenant; a different one is refused (identities are recorded under it).
 */
export function entraCredentials(env: NodeJS.ProcessEnv, organisationTenant: string | null): EntraCredentials {
  const value = (name: string) => env[name]?.trim() || undefined;
  const certificatePath = value('ENTRA_CLIENT_CERTIFICATE_PATH');
  if (certificatePath !== undefined) return certificateCredentials(env, certificatePath, organisationTenant);
  const dedicated = value('ENTRA_CLIENT_ID') !== undefined || value('ENTRA_CLIENT_SECRET') !== undefined;
  const [idName, secretName] = dedicated ? ['ENTRA_CLIENT_ID', 'ENTRA_CLIENT_SECRET'] : ['MICROSOFT_APP_ID', 'MICROSOFT_APP_PASSWORD'];
  const clientId = value(idName);
  const clientSecret = env[secretName] ?? '';
  const tenantId = value('ENTRA_TENANT_ID') ?? value('MICROSOFT_APP_TENANT_ID') ?? organisationTenant ?? undefined;
  const missing = [clientId === undefined ? idName : null, clientSecret === '' ? secretName : null, tenantId === undefined ? 'ENTRA_TENANT_ID' : null].filter(
    (n): n is string => n !== null,
  );
  if (missing.length > 0) {
    throw new ImportPeopleError(
      'ENTRA_NOT_CONFIGURED',
      `--from-entra needs ${missing.join(', ')} set${dedicated ? '' : ' (or ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET for an app of its own)'}${tenantId === undefined ? '; the tenant may also come from the organisation\'s Teams tenant (npm run org -- set-platform-ids)' : ''}.`,
    );
  }
  checkTenant(tenantId!, organisationTenant);
  return { tenantId: tenantId!, clientId: clientId!, clientSecret };
}

function checkTenant(tenantId: string, organisationTenant: string | null): void {
  if (organisationTenant !== null && tenantId.toLowerCase() !== organisationTenant.toLowerCase()) {
    throw new ImportPeopleError(
      'ENTRA_NOT_CONFIGURED',
      `The Entra tenant ${tenantId} is not the organisation's Teams tenant ${organisationTenant}; people are linked to Teams under the organisation's tenant, so import from that one.`,
    );
  }
}

/**
 * ENTRA_CLIENT_CERTIFICATE_PATH: the app signs a client assertion with its certificate's key
 * instead of sending a secret (it goes with ENTRA_CLIENT_ID; ENTRA_CLIENT_SECRET is then not used).
 */
function certificateCredentials(env: NodeJS.ProcessEnv, path: string, organisationTenant: string | null): EntraCredentials {
  const value = (name: string) => env[name]?.trim() || undefined;
  const clientId = value('ENTRA_CLIENT_ID');
  const tenantId = value('ENTRA_TENANT_ID') ?? value('MICROSOFT_APP_TENANT_ID') ?? organisationTenant ?? undefined;
  const missing = [clientId === undefined ? 'ENTRA_CLIENT_ID' : null, tenantId === undefined ? 'ENTRA_TENANT_ID' : null].filter((n): n is string => n !== null);
  if (missing.length > 0) {
    throw new ImportPeopleError('ENTRA_NOT_CONFIGURED', `ENTRA_CLIENT_CERTIFICATE_PATH goes with ${missing.join(' and ')}: set ${missing.length === 1 ? 'it' : 'them'} too.`);
  }
  checkTenant(tenantId!, organisationTenant);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImportPeopleError('ENTRA_NOT_CONFIGURED', `ENTRA_CLIENT_CERTIFICATE_PATH ${resolve(path)}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'unknown error'})`}.`);
  }
  return { tenantId: tenantId!, clientId: clientId!, certificate: readClientCertificate(pem, `ENTRA_CLIENT_CERTIFICATE_PATH ${resolve(path)}`) };
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

/** Runs the command and returns the exit code. `graph` is for tests (fetch and the waits between retries). */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  io: CliIo = processIo,
  graph: EntraGraphOptions = {},
): Promise<number> {
  let db: Db | undefined;
  try {
    const args = parseImportPeopleArgs(argv);
    if ('help' in args) {
      io.out(USAGE);
      return 0;
    }
    const openDb = () => {
      const schema = env.DATABASE_SCHEMA?.trim() || undefined;
      return createDb(env.DATABASE_URL || DEFAULT_DATABASE_URL, schema ? { schema, maxConnections: 2 } : { maxConnections: 2 });
    };
    if ('fromEntra' in args) {
      db = openDb();
      return await runEntraImport(db, args, env, io, graph);
    }
    const csvText = await readDirectoryFile(args.file);
    db = openDb();
    const org = await findOrganisation(db, args.org);
    const result = await importDirectory(db, org.id, csvText, { dryRun: args.dryRun === true });
    if (!result.ok) {
      const n = result.problems.length;
      io.err(`${args.file}: ${n} problem${n === 1 ? '' : 's'}; nothing was imported into ${org.name} (${org.slug}).\n`);
      io.err(formatProblems(result.problems));
      return 1;
    }
    if (args.dryRun) {
      io.out(formatDryRun(result.changes ?? [], `${args.file} into ${org.name} (${org.slug})`));
      return 0;
    }
    const total = result.created + result.updated;
    io.out(`Imported ${total} people (${result.created} created, ${result.updated} updated) into ${org.name} (${org.slug}).`);
    return 0;
  } catch (error) {
    if (error instanceof ImportPeopleError) {
      io.err(error.message);
      return error.code === 'USAGE' ? 2 : 1;
    }
    if (error instanceof EntraGraphError) {
      io.err(`${error.message}\nNothing was imported.`);
      return 1;
    }
    io.err(`Import failed, nothing was written: ${lastLine(error)}`);
    return 1;
  } finally {
    await db?.$disconnect();
  }
}

async function runEntraImport(db: Db, args: ImportFromEntraArgs, env: NodeJS.ProcessEnv, io: CliIo, graphOptions: EntraGraphOptions): Promise<number> {
  const org = await findOrganisation(db, args.org);
  const { teamsTenantId } = await db.organisation.findUniqueOrThrow({ where: { id: org.id }, select: { teamsTenantId: true } });
  const graph = createEntraGraph(entraCredentials(env, teamsTenantId), graphOptions);
  const source = args.group === undefined ? 'Microsoft Entra ID' : `Microsoft Entra ID group ${args.group}`;
  const result = await importFromEntra(db, org.id, graph, {
    rules: args.rules,
    newPersonRoles: args.roles,
    ...(args.group === undefined ? {} : { groupId: args.group }),
    ...(args.defaultStaffGroup === undefined ? {} : { defaultStaffGroup: args.defaultStaffGroup }),
    ...(args.dryRun ? { dryRun: true } : {}),
  });
  if ('optionProblems' in result) {
    io.err(`${result.optionProblems.join('\n')}\nNothing was imported.`);
    return 2;
  }
  const skipped = result.skippedDisabled > 0 ? `; ${result.skippedDisabled} disabled account${result.skippedDisabled === 1 ? '' : 's'} left out` : '';
  if (!result.ok) {
    const n = result.problems.length;
    const people = new Set(result.problems.map((p) => p.userId)).size;
    io.err(
      `${source}: read ${result.read} user${result.read === 1 ? '' : 's'}${skipped}. ${n} problem${n === 1 ? '' : 's'} with ${people} ${people === 1 ? 'person' : 'people'}; nothing was imported into ${org.name} (${org.slug}).\n`,
    );
    io.err(formatEntraProblems(result.problems));
    return 1;
  }
  if (result.dryRun) {
    io.out(`${source}: read ${result.read} user${result.read === 1 ? '' : 's'}${skipped}; every person passes the checks.`);
    io.out(formatDryRun(result.changes ?? [], `${source} into ${org.name} (${org.slug})`));
    return 0;
  }
  const total = result.created + result.updated;
  io.out(
    `Imported ${total} people (${result.created} created, ${result.updated} updated) from ${source} into ${org.name} (${org.slug})${skipped}.`,
  );
  return 0;
}

/**
 * A dry run's plan: one line per person who would be created or changed (with each field's
 * value before and after), a count of those left as they are, and that nothing was written.
 */
export function formatDryRun(changes: readonly PersonChange[], what: string): string {
  const created = changes.filter((c) => c.action === 'create');
  const updated = changes.filter((c) => c.action === 'update');
  const unchanged = changes.length - created.length - updated.length;
  const show = (v: string) => (v === '' ? '(none)' : v);
  const lines = [
    `Dry run, nothing was written: importing ${what} would create ${created.length}, update ${updated.length} and leave ${unchanged} unchanged.`,
    ...created.map((c) => `  create  ${c.name} <${c.email}>: ${c.fields.filter((f) => f.field !== 'active').map((f) => `${f.field} ${show(f.to)}`).join('; ')}`),
    ...updated.map((c) => `  update  ${c.name} <${c.email}>: ${c.fields.map((f) => `${f.field} ${show(f.from)} → ${show(f.to)}`).join('; ')}`),
  ];
  return lines.join('\n');
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
