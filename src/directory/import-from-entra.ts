/**
 * Import the staff directory from Microsoft Entra ID: read the users (all, or a group's
 * transitive members) from Microsoft Graph, map them (src/directory/entra-directory.ts) and
 * write them with the CSV import's own validation and transaction (src/db/import-directory.ts).
 * All or nothing: any problem with anyone and nothing is written.
 */
import type { Db } from '../db/client.js';
import { importDirectory, type PersonChange } from '../db/import-directory.js';
import type { DirectoryRole } from '../domain/directory-rows.js';
import { describeProblems, mapEntraUsers, type EntraProblem, type StaffGroupRule } from './entra-directory.js';
import type { EntraGraph } from './entra-graph.js';

export interface ImportFromEntraOptions {
  groupId?: string;
  rules: readonly StaffGroupRule[];
  defaultStaffGroup?: string;
  newPersonRoles: readonly DirectoryRole[];
  /** Read and validate everything, and say what a real run would change, writing nothing. */
  dryRun?: boolean;
}

export type ImportFromEntraResult =
  | { ok: true; created: number; updated: number; read: number; skippedDisabled: number; pages: number; retries: number; dryRun: boolean; changes?: PersonChange[] }
  | { ok: false; problems: EntraProblem[]; read: number; skippedDisabled: number }
  | { ok: false; optionProblems: string[] };

export async function importFromEntra(db: Db, organisationId: string, graph: EntraGraph, options: ImportFromEntraOptions): Promise<ImportFromEntraResult> {
  const groups = await db.staffGroup.findMany({ where: { organisationId }, select: { name: true }, orderBy: { name: 'asc' } });
  const groupNames = groups.map((g) => g.name);

  // The options name staff groups: check them before asking Graph for anything.
  const canonical = new Map(groupNames.map((n) => [n.toLowerCase(), n]));
  const optionProblems: string[] = [];
  const known = groupNames.length > 0 ? `staff groups are ${groupNames.map((g) => `"${g}"`).join(', ')}` : 'the organisation has no staff groups yet (npm run org -- set-staff-groups)';
  const rules = options.rules.map((rule) => {
    const name = canonical.get(rule.staffGroup.toLowerCase());
    if (name === undefined) optionProblems.push(`--staff-group "${rule.pattern}=${rule.staffGroup}": unknown staff group "${rule.staffGroup}"; ${known}`);
    return { pattern: rule.pattern, staffGroup: name ?? rule.staffGroup };
  });
  let defaultStaffGroup: string | undefined;
  if (options.defaultStaffGroup !== undefined) {
    defaultStaffGroup = canonical.get(options.defaultStaffGroup.toLowerCase());
    if (defaultStaffGroup === undefined) optionProblems.push(`--default-staff-group: unknown staff group "${options.defaultStaffGroup}"; ${known}`);
  }
  if (optionProblems.length > 0) return { ok: false, optionProblems };

  const { users, pages, retries } = await graph.readUsers(options.groupId === undefined ? {} : { groupId: options.groupId });

  const people = await db.person.findMany({
    where: { organisationId },
    select: { email: true, roles: true, staffGroup: { select: { name: true } } },
  });
  const mapping = mapEntraUsers(
    users,
    {
      staffGroupNames: groupNames,
      existing: new Map(people.map((p) => [p.email.toLowerCase(), { roles: p.roles, staffGroup: p.staffGroup?.name ?? null }])),
    },
    { rules, newPersonRoles: options.newPersonRoles, ...(defaultStaffGroup === undefined ? {} : { defaultStaffGroup }) },
  );
  const counts = { read: users.length, skippedDisabled: mapping.skippedDisabled.length };
  if (mapping.users.length === 0) {
    return {
      ok: false,
      ...counts,
      problems: [{ person: '(the import)', userId: '', field: 'users', code: 'NO_DATA_ROWS', reason: users.length === 0 ? 'Microsoft Graph returned no users' : 'every user returned is a disabled account' }],
    };
  }

  // Rows with a mapping problem still go through the directory's validation (without writing),
  // so that one run reports everything.
  const dryRun = options.dryRun === true;
  const result = await importDirectory(db, organisationId, mapping.directory, { source: 'entra', dryRun: dryRun || mapping.problems.length > 0 });
  if (!result.ok || mapping.problems.length > 0) {
    return { ok: false, ...counts, problems: describeProblems(mapping, result.ok ? [] : result.problems) };
  }
  return { ok: true, created: result.created, updated: result.updated, pages, retries, ...counts, dryRun, ...(result.changes ? { changes: result.changes } : {}) };
}
