/**
 * Microsoft Entra ID users → the staff directory's rows (src/domain/directory-rows.ts), so that
 * the Entra import passes exactly the validation and the writes of the CSV import, and the
 * problems that come back are told per person instead of per line. Pure.
 *
 * The mapping, column by column:
 *   name                 displayName
 *   email                mail (required: the directory matches people, and Slack and Teams users,
 *                        by e-mail; a user without one is reported, never guessed from the UPN)
 *   job_title            jobTitle (empty clears the stored title)
 *   staff_group          the first --staff-group rule whose job-title pattern matches; else the job
 *                        title itself when it names a staff group; else the group the person already
 *                        has; else --default-staff-group; else the person is reported
 *   roles                Entra does not hold them: people already in the directory keep theirs,
 *                        new people get --roles (default STAFF); LINE_MANAGER is added to anyone
 *                        who manages someone in the import. Nothing is ever taken away.
 *   line_manager_email   the manager's mail (Entra's manager); no manager in Entra means none
 *   teams_aad_object_id  id (the Entra object id Teams reports as aadObjectId)
 *   time_zone, slack_user_id: not read, so stored values are left alone.
 * Disabled accounts (accountEnabled false) are not imported; people missing from Entra are left
 * as they are.
 */
import {
  DIRECTORY_ROLES,
  parseRole,
  type DirectoryProblem,
  type DirectoryProblemCode,
  type DirectoryRole,
  type RawDirectory,
} from '../domain/directory-rows.js';
import type { EntraUser } from './entra-graph.js';

/** `--staff-group "<job title pattern>=<staff group>"`: `*` matches any text, case does not matter. */
export interface StaffGroupRule {
  pattern: string;
  staffGroup: string;
}

export interface EntraMappingOptions {
  rules: readonly StaffGroupRule[];
  defaultStaffGroup?: string;
  /** Roles for people new to the directory. */
  newPersonRoles: readonly DirectoryRole[];
}

export interface EntraMappingContext {
  staffGroupNames: readonly string[];
  /** People already in the organisation, by lower-case e-mail. */
  existing: ReadonlyMap<string, { roles: readonly string[]; staffGroup: string | null }>;
}

/** One problem, about one person. */
export interface EntraProblem {
  /** "Display Name <upn>" (or the object id when Entra gives neither). */
  person: string;
  userId: string;
  /** The Entra property the problem is about: displayName, mail, jobTitle, manager, id. */
  field: string;
  reason: string;
  code: EntraProblemCode;
}

export type EntraProblemCode = DirectoryProblemCode | 'NO_MAIL' | 'NO_STAFF_GROUP' | 'MANAGER_HAS_NO_MAIL';

export interface EntraMapping {
  /** The rows to import (header on line 1, then one line per user, in `users` order). */
  directory: RawDirectory;
  /** The users imported, in row order (row line = index + 2). */
  users: EntraUser[];
  /** Disabled accounts, not imported. */
  skippedDisabled: EntraUser[];
  /** Problems found before the directory's own validation (no mail, no staff group...). */
  problems: EntraProblem[];
}

export const ENTRA_COLUMNS = ['name', 'email', 'staff_group', 'roles', 'line_manager_email', 'job_title', 'teams_aad_object_id'] as const;

/** The directory column each Entra-facing field name reports as. */
const FIELD_OF_COLUMN: Record<string, string> = {
  name: 'displayName',
  email: 'mail',
  staff_group: 'jobTitle',
  job_title: 'jobTitle',
  roles: 'roles',
  line_manager_email: 'manager',
  teams_aad_object_id: 'id',
};

export function personLabel(user: { id: string; displayName: string | null; userPrincipalName: string | null; mail?: string | null }): string {
  const name = user.displayName ?? '(no display name)';
  const handle = user.userPrincipalName ?? user.mail ?? null;
  return handle ? `${name} <${handle}>` : `${name} (id ${user.id})`;
}

export function parseStaffGroupRule(text: string): StaffGroupRule | null {
  const at = text.lastIndexOf('=');
  if (at <= 0) return null;
  const pattern = text.slice(0, at).trim();
  const staffGroup = text.slice(at + 1).trim();
  return pattern === '' || staffGroup === '' ? null : { pattern, staffGroup };
}

export function parseRoleList(text: string): DirectoryRole[] | null {
  const roles: DirectoryRole[] = [];
  for (const part of text.split(/[;,]/).map((p) => p.trim()).filter((p) => p !== '')) {
    const role = parseRole(part);
    if (role === null) return null;
    if (!roles.includes(role)) roles.push(role);
  }
  return roles.length > 0 ? roles : null;
}

function patternMatches(pattern: string, title: string): boolean {
  const collapse = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const source = collapse(pattern)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(collapse(title));
}

/** Cells are read as the CSV import reads them; a line break in Entra data would only be noise. */
function cell(value: string | null | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/** Turn Entra users into the directory's rows, reporting what cannot be mapped. */
export function mapEntraUsers(all: readonly EntraUser[], context: EntraMappingContext, options: EntraMappingOptions): EntraMapping {
  const problems: EntraProblem[] = [];
  const byName = (a: EntraUser, b: EntraUser) =>
    (a.displayName ?? '').localeCompare(b.displayName ?? '') || (a.userPrincipalName ?? a.id).localeCompare(b.userPrincipalName ?? b.id);
  const users = all.filter((u) => u.accountEnabled !== false).sort(byName);
  const skippedDisabled = all.filter((u) => u.accountEnabled === false);
  const report = (user: EntraUser, field: string, code: EntraProblemCode, reason: string) =>
    problems.push({ person: personLabel(user), userId: user.id, field, reason, code });

  const groupsByKey = new Map(context.staffGroupNames.map((n) => [n.trim().toLowerCase(), n]));
  const knownGroups = [...context.staffGroupNames].sort((a, b) => a.localeCompare(b));
  const inImport = new Map(users.map((u) => [u.id, u]));
  const managesSomeone = new Set(users.map((u) => u.manager?.id).filter((id): id is string => id !== undefined && inImport.has(id)));

  const rows = users.map((user, index) => {
    const email = cell(user.mail).toLowerCase();
    if (email === '') {
      report(user, 'mail', 'NO_MAIL', 'has no mail address in Entra ID; the directory matches people by e-mail, so set it in Entra (or leave the person out of the group)');
    }
    const existing = email === '' ? undefined : context.existing.get(email);

    // Staff group: rule, then the job title naming a group, then what they have, then the default.
    const title = cell(user.jobTitle);
    const rule = title === '' ? undefined : options.rules.find((r) => patternMatches(r.pattern, title));
    const staffGroup =
      rule?.staffGroup ??
      (title === '' ? undefined : groupsByKey.get(title.toLowerCase())) ??
      existing?.staffGroup ??
      options.defaultStaffGroup;
    if (staffGroup === undefined) {
      const which = knownGroups.length > 0 ? `staff groups are ${knownGroups.map((g) => `"${g}"`).join(', ')}` : 'the organisation has no staff groups yet';
      report(
        user,
        'jobTitle',
        'NO_STAFF_GROUP',
        `${title === '' ? 'has no job title in Entra ID' : `job title "${title}" is not a staff group and matches no --staff-group rule`}, and there is no --default-staff-group; ${which}`,
      );
    }

    // Roles: Entra has none. Keep what is stored (valid ones), else the default for new people.
    const stored = (existing?.roles ?? []).filter((r): r is DirectoryRole => (DIRECTORY_ROLES as readonly string[]).includes(r));
    const roles = existing && stored.length > 0 ? [...stored] : [...options.newPersonRoles];
    if (managesSomeone.has(user.id) && !roles.includes('LINE_MANAGER')) roles.push('LINE_MANAGER');

    // Line manager: the one in this import (their mail as mapped), or Entra's mail for someone outside it.
    let managerEmail = '';
    if (user.manager !== null) {
      const manager = inImport.get(user.manager.id) ?? user.manager;
      managerEmail = cell(manager.mail).toLowerCase();
      if (managerEmail === '') {
        report(user, 'manager', 'MANAGER_HAS_NO_MAIL', `line manager ${personLabel(manager)} has no mail address in Entra ID, so cannot be found in the directory`);
      }
    }

    return {
      line: index + 2,
      cells: [cell(user.displayName), email, staffGroup ?? '', roles.join(';'), managerEmail, title, user.id.toLowerCase()],
    };
  });

  return {
    directory: { header: { line: 1, cells: [...ENTRA_COLUMNS] }, rows, problems: [] },
    users,
    skippedDisabled,
    problems,
  };
}

/**
 * The directory validation's problems, told about people: the line becomes the person, the
 * column the Entra property, and reasons that speak of lines and files speak of people. A field
 * already reported by mapEntraUsers (say, an empty mail) is not reported twice.
 */
export function describeProblems(mapping: EntraMapping, problems: readonly DirectoryProblem[]): EntraProblem[] {
  const userAt = (line: number) => mapping.users[line - 2];
  const already = new Set(mapping.problems.map((p) => `${p.userId}|${p.field}`));
  const described: EntraProblem[] = [...mapping.problems];
  for (const p of problems) {
    const user = userAt(p.line);
    if (user === undefined) {
      // Not about a row (cannot happen with rows built by mapEntraUsers): keep it visible anyway.
      described.push({ person: '(the import)', userId: '', field: p.field, reason: p.reason, code: p.code });
      continue;
    }
    const field = FIELD_OF_COLUMN[p.field] ?? p.field;
    if (already.has(`${user.id}|${field}`)) continue;
    described.push({ person: personLabel(user), userId: user.id, field, reason: entraReason(p, user, userAt), code: p.code });
  }
  const order = new Map(mapping.users.map((u, i) => [u.id, i]));
  return described.sort((a, b) => (order.get(a.userId) ?? -1) - (order.get(b.userId) ?? -1));
}

function entraReason(p: DirectoryProblem, user: EntraUser, userAt: (line: number) => EntraUser | undefined): string {
  const lineRef = /line (\d+)/.exec(p.reason);
  const other = lineRef ? userAt(Number(lineRef[1])) : undefined;
  switch (p.code) {
    case 'DUPLICATE_EMAIL':
      return `mail ${cell(user.mail).toLowerCase()} is also the mail of ${other ? personLabel(other) : 'another user'}`;
    case 'DUPLICATE_PLATFORM_ID':
      return `object id ${user.id} is also ${other ? personLabel(other) : "another user's"}`;
    case 'UNKNOWN_LINE_MANAGER': {
      const m = user.manager;
      const who = m ? personLabel(m) : 'the line manager';
      return `line manager ${who} is not in this import (outside the group, or a disabled account) nor already in the directory`;
    }
    case 'PLATFORM_ID_TAKEN':
      return p.reason.replace(/^teams_aad_object_id (\S+) already belongs to/, 'Entra object id $1 is already linked to') +
        (/another organisation/.test(p.reason) ? '' : ' (if their mail changed in Entra, change it in the directory first)');
    case 'UNKNOWN_STAFF_GROUP':
      return p.reason.replace(/^unknown staff group/, 'the --staff-group rule names an unknown staff group');
    default:
      return p.reason;
  }
}

/** Problems as a plain-text table: person, field, reason. */
export function formatEntraProblems(problems: readonly EntraProblem[]): string {
  const rows = [['person', 'field', 'reason'], ...problems.map((p) => [p.person, p.field, p.reason])];
  const personWidth = Math.max(...rows.map((r) => r[0]!.length));
  const fieldWidth = Math.max(...rows.map((r) => r[1]!.length));
  return rows.map(([person, field, reason]) => `${person!.padEnd(personWidth)}  ${field!.padEnd(fieldWidth)}  ${reason}`).join('\n');
}
