import { parse } from 'csv-parse/sync';
import { isValidTimeZone } from './time.js';

/**
 * The staff directory file (`npm run import:people`): parsing and validation.
 *
 * Format: UTF-8 CSV with a header row; column names are case-insensitive (spaces count as
 * underscores) and in any order.
 *   name                 required, at most 200 characters
 *   email                required, unique in the file, stored in lower case
 *   staff_group          required, one of the organisation's staff groups (any case)
 *   roles                ";"-separated STAFF, SUPERVISOR, SPECIALIST, HEAD_OF_SAFEGUARDING,
 *                        LINE_MANAGER, ADMINISTRATOR (any case, "head of safeguarding" works);
 *                        empty means STAFF
 *   line_manager_email   column required; the cell may be empty (no line manager), otherwise
 *                        someone in the file or already in the directory
 *   job_title            optional, at most 200 characters
 *   time_zone            optional IANA zone; empty means the organisation's
 *   teams_aad_object_id  optional Entra object id (a GUID)
 *   slack_user_id        optional Slack user id (U... or W...)
 * An absent optional column leaves stored values alone; an empty platform id cell leaves
 * the person's existing identity alone.
 *
 * Pure: the caller supplies what it knows about the organisation (staff group names,
 * existing people, existing platform identities) and gets back either every person ready
 * to write or every problem in the file, each with the line it is on (the header is line 1).
 */

export const DIRECTORY_ROLES = [
  'STAFF',
  'SUPERVISOR',
  'SPECIALIST',
  'HEAD_OF_SAFEGUARDING',
  'LINE_MANAGER',
  'ADMINISTRATOR',
] as const;
export type DirectoryRole = (typeof DIRECTORY_ROLES)[number];

export const REQUIRED_COLUMNS = ['name', 'email', 'staff_group', 'roles', 'line_manager_email'] as const;
export const OPTIONAL_COLUMNS = ['job_title', 'time_zone', 'teams_aad_object_id', 'slack_user_id'] as const;
export type DirectoryColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const ALL_COLUMNS: readonly DirectoryColumn[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

export const MAX_NAME_LENGTH = 200;
export const MAX_JOB_TITLE_LENGTH = 200;
export const MAX_EMAIL_LENGTH = 254;

export type DirectoryProblemCode =
  | 'CSV_UNPARSEABLE'
  | 'EMPTY_FILE'
  | 'NO_DATA_ROWS'
  | 'MISSING_COLUMN'
  | 'UNKNOWN_COLUMN'
  | 'DUPLICATE_COLUMN'
  | 'WRONG_FIELD_COUNT'
  | 'REQUIRED'
  | 'TOO_LONG'
  | 'INVALID_EMAIL'
  | 'DUPLICATE_EMAIL'
  | 'UNKNOWN_STAFF_GROUP'
  | 'UNKNOWN_ROLE'
  | 'UNKNOWN_LINE_MANAGER'
  | 'OWN_LINE_MANAGER'
  | 'LINE_MANAGER_CYCLE'
  | 'INVALID_TIME_ZONE'
  | 'INVALID_TEAMS_ID'
  | 'INVALID_SLACK_ID'
  | 'DUPLICATE_PLATFORM_ID'
  | 'PLATFORM_ID_TAKEN';

export interface DirectoryProblem {
  /** Line in the file (the header is line 1). */
  line: number;
  /** Column name, or "file" / "csv" / "row" for problems that are not about one field. */
  field: string;
  reason: string;
  code: DirectoryProblemCode;
}

/** The file split into cells, before any meaning is given to them. */
export interface RawDirectory {
  /** Header cells as written, or null when the file has no rows at all. */
  header: { line: number; cells: string[] } | null;
  rows: { line: number; cells: string[] }[];
  /** Rows csv-parse could not read (they are not in `rows`). */
  problems: DirectoryProblem[];
}

/** One valid row, normalised and ready to be written. */
export interface DirectoryPerson {
  line: number;
  name: string;
  /** Lower case. */
  email: string;
  /** The existing staff group's name, as the organisation spells it. */
  staffGroup: string;
  /** Never empty; an empty cell means STAFF. */
  roles: DirectoryRole[];
  /** Lower case; null for someone with no line manager (the top of the tree). */
  lineManagerEmail: string | null;
  /** undefined when the column is absent (leave what is stored); null when the cell is empty. */
  jobTitle?: string | null;
  /** Canonical IANA name; undefined when the column is absent, null when the cell is empty (use the organisation's). */
  timeZone?: string | null;
  /** Lower-case GUID, or null when not given (existing identities are then left alone). */
  teamsAadObjectId: string | null;
  /** Upper case, or null when not given. */
  slackUserId: string | null;
}

export type DirectoryPlatform = 'TEAMS' | 'SLACK';

export interface DirectoryContext {
  /** Names of the organisation's staff groups (matched case-insensitively). */
  staffGroupNames: readonly string[];
  /** E-mail addresses of people already in the organisation. */
  existingEmails: Iterable<string>;
  /** Existing people's line managers (email -> manager email), to find cycles through people not in the file. */
  existingLineManagers?: ReadonlyMap<string, string | null>;
  /**
   * Who already holds a platform id, keyed by `identityKey(platform, id)`: the holder's
   * email when they are in this organisation, null when they are in another one.
   */
  identityOwners?: ReadonlyMap<string, string | null>;
}

export type DirectoryValidation =
  | { ok: true; people: DirectoryPerson[] }
  | { ok: false; problems: DirectoryProblem[] };

export function identityKey(platform: DirectoryPlatform, platformUserId: string): string {
  return `${platform}:${platformUserId}`;
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

interface ParsedRecord {
  record: string[];
  info: { lines: number };
  raw: string;
}

/** Line breaks inside a record's raw text, ignoring blank lines before it and its own terminator. */
function innerLineBreaks(raw: string): number {
  const body = raw.replace(/^[\r\n]+/, '').replace(/(\r\n|\r|\n)$/, '');
  return body.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** csv-parse reports the line a record ends on; people want the line it starts on. */
function startLine(endLine: number, raw: string | undefined): number {
  return Math.max(1, endLine - (raw ? innerLineBreaks(raw) : 0));
}

function describeCsvError(err: { code?: string; message: string } | undefined): string {
  switch (err?.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field starting on this line is never closed (unbalanced ")';
    case 'INVALID_OPENING_QUOTE':
      return 'a " inside an unquoted field; quote the whole field and double the inner quote ("")';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'text follows a closing quote before the next comma';
    default:
      return err?.message ?? 'unknown error';
  }
}

/** Split CSV text into a header and rows, keeping each row's line number. Never throws. */
export function parseDirectoryCsv(text: string): RawDirectory {
  const problems: DirectoryProblem[] = [];
  const seenErrorLines = new Set<number>();
  const onSkip = (err: { code?: string; message: string; lines?: number } | undefined, raw: string | undefined): undefined => {
    const line = startLine(err?.lines ?? 1, raw);
    if (seenErrorLines.has(line)) return undefined; // csv-parse may report one broken record twice
    seenErrorLines.add(line);
    problems.push({ line, field: 'csv', reason: `not readable as CSV: ${describeCsvError(err)}`, code: 'CSV_UNPARSEABLE' });
    return undefined;
  };

  let records: ParsedRecord[] = [];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: onSkip,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    const err = error as { message?: string; lines?: number };
    onSkip({ message: err.message ?? String(error), lines: err.lines ?? 1 }, undefined);
  }

  let header: RawDirectory['header'] = null;
  const rows: RawDirectory['rows'] = [];
  for (const r of records) {
    const line = startLine(r.info.lines, r.raw);
    const cells = r.record.map((c) => c.trim());
    if (cells.every((c) => c === '')) continue; // a blank line, or a spreadsheet's ",,,,"
    if (header === null) header = { line, cells };
    else rows.push({ line, cells });
  }
  return { header, rows, problems };
}

// ---------------------------------------------------------------------------
// Normalisation helpers
// ---------------------------------------------------------------------------

const EMAIL = /^[^\s@",;<>()[\]]+@[^\s@",;<>()[\]]+\.[^\s@",;<>()[\]]+$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

function normaliseColumnName(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s\-.]+/g, '_');
}

const ROLE_ALIASES: Record<string, DirectoryRole> = {
  ADMIN: 'ADMINISTRATOR',
  SAFEGUARDING_SPECIALIST: 'SPECIALIST',
  SAFEGUARDING_SUPERVISOR: 'SUPERVISOR',
  HEAD_OF_SAFEGUARDING_TEAM: 'HEAD_OF_SAFEGUARDING',
  MANAGER: 'LINE_MANAGER',
};

/** "head of safeguarding", "Head-Of-Safeguarding" and "HEAD_OF_SAFEGUARDING" all mean HEAD_OF_SAFEGUARDING. */
export function parseRole(text: string): DirectoryRole | null {
  const key = text.trim().toUpperCase().replace(/[\s\-_]+/g, '_');
  if ((DIRECTORY_ROLES as readonly string[]).includes(key)) return key as DirectoryRole;
  return ROLE_ALIASES[key] ?? null;
}

function canonicalTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return zone;
  }
}

function quoteList(items: readonly string[]): string {
  return items.map((i) => `"${i}"`).join(', ');
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

interface RowDraft {
  line: number;
  name?: string;
  email?: string;
  staffGroup?: string;
  roles?: DirectoryRole[];
  lineManagerEmail?: string | null;
  jobTitle?: string | null;
  timeZone?: string | null;
  teamsAadObjectId: string | null;
  slackUserId: string | null;
}

/** Validate the rows of a parsed directory file against what the organisation already has. */
export function validateDirectoryRows(raw: RawDirectory, context: DirectoryContext): DirectoryValidation {
  const problems: DirectoryProblem[] = [...raw.problems];
  const report = (line: number, field: string, code: DirectoryProblemCode, reason: string) => {
    problems.push({ line, field, reason, code });
  };
  const finish = (people: DirectoryPerson[]): DirectoryValidation =>
    problems.length > 0
      ? { ok: false, problems: problems.sort((a, b) => a.line - b.line) }
      : { ok: true, people };

  // --- header -------------------------------------------------------------
  if (raw.header === null) {
    if (raw.problems.length === 0) {
      report(1, 'file', 'EMPTY_FILE', `the file is empty: expected a header row with ${REQUIRED_COLUMNS.join(', ')}`);
    }
    return finish([]);
  }
  const headerLine = raw.header.line;
  const columnIndex = new Map<DirectoryColumn, number>();
  raw.header.cells.forEach((cell, index) => {
    if (cell === '') return;
    const name = normaliseColumnName(cell);
    if (!(ALL_COLUMNS as readonly string[]).includes(name)) {
      report(headerLine, cell, 'UNKNOWN_COLUMN', `unknown column "${cell}"; columns are ${ALL_COLUMNS.join(', ')}`);
      return;
    }
    const column = name as DirectoryColumn;
    if (columnIndex.has(column)) {
      report(headerLine, column, 'DUPLICATE_COLUMN', `column "${column}" appears more than once`);
      return;
    }
    columnIndex.set(column, index);
  });
  for (const column of REQUIRED_COLUMNS) {
    if (!columnIndex.has(column)) {
      report(headerLine, column, 'MISSING_COLUMN', `missing required column "${column}"`);
    }
  }
  if (raw.rows.length === 0) {
    if (!raw.problems.some((p) => p.line > headerLine)) {
      report(headerLine, 'file', 'NO_DATA_ROWS', 'the file has a header but no data rows');
    }
    return finish([]);
  }

  // --- context ------------------------------------------------------------
  const groupsByKey = new Map(context.staffGroupNames.map((n) => [n.trim().toLowerCase(), n]));
  const knownGroups = [...context.staffGroupNames].sort((a, b) => a.localeCompare(b));
  const existingEmails = new Set([...context.existingEmails].map((e) => e.toLowerCase()));

  // --- each row on its own ------------------------------------------------
  const width = raw.header.cells.length;
  const drafts: RowDraft[] = raw.rows.map(({ line, cells }) => {
    const draft: RowDraft = { line, teamsAadObjectId: null, slackUserId: null };
    const fail = (field: string, code: DirectoryProblemCode, reason: string) => report(line, field, code, reason);
    const cell = (column: DirectoryColumn): string | undefined => {
      const index = columnIndex.get(column);
      return index === undefined ? undefined : (cells[index] ?? '');
    };

    if (cells.length !== width) {
      // Usually an unquoted comma ("Okafor, Tom"): the cells are shifted, so checking them
      // one by one would only add noise. Keep the email if it still looks like one, so
      // rows naming this person as line manager are not reported as well.
      fail('row', 'WRONG_FIELD_COUNT', `expected ${width} fields as in the header, found ${cells.length} (quote fields that contain commas)`);
      const email = cell('email')?.toLowerCase();
      if (email && EMAIL.test(email)) draft.email = email;
      return draft;
    }

    const name = cell('name')?.replace(/\s+/g, ' ');
    if (name !== undefined) {
      if (name === '') fail('name', 'REQUIRED', 'name is empty');
      else if (name.length > MAX_NAME_LENGTH) fail('name', 'TOO_LONG', `name is longer than ${MAX_NAME_LENGTH} characters`);
      else draft.name = name;
    }

    const email = cell('email')?.toLowerCase();
    if (email !== undefined) {
      if (email === '') fail('email', 'REQUIRED', 'email is empty');
      else if (email.length > MAX_EMAIL_LENGTH) fail('email', 'TOO_LONG', `email is longer than ${MAX_EMAIL_LENGTH} characters`);
      else if (!EMAIL.test(email)) fail('email', 'INVALID_EMAIL', `"${email}" is not a valid email address`);
      else draft.email = email;
    }

    const group = cell('staff_group');
    if (group !== undefined) {
      const known = groupsByKey.get(group.toLowerCase());
      if (known !== undefined) draft.staffGroup = known;
      else {
        const which = knownGroups.length > 0 ? `staff groups are ${quoteList(knownGroups)}` : 'the organisation has no staff groups yet';
        fail(
          'staff_group',
          group === '' ? 'REQUIRED' : 'UNKNOWN_STAFF_GROUP',
          group === '' ? `staff group is empty; ${which}` : `unknown staff group "${group}"; ${which}`,
        );
      }
    }

    const roles = cell('roles');
    if (roles !== undefined) {
      const parsed: DirectoryRole[] = [];
      let rolesOk = true;
      for (const part of roles.split(/[;,]/).map((p) => p.trim()).filter((p) => p !== '')) {
        const role = parseRole(part);
        if (role === null) {
          rolesOk = false;
          fail('roles', 'UNKNOWN_ROLE', `unknown role "${part}"; roles are ${DIRECTORY_ROLES.join(', ')} (separated by ";")`);
        } else if (!parsed.includes(role)) parsed.push(role);
      }
      if (rolesOk) draft.roles = parsed.length > 0 ? parsed : ['STAFF'];
    }

    const manager = cell('line_manager_email')?.toLowerCase();
    if (manager !== undefined) {
      if (manager === '') draft.lineManagerEmail = null;
      else if (!EMAIL.test(manager)) fail('line_manager_email', 'INVALID_EMAIL', `"${manager}" is not a valid email address`);
      else if (email !== undefined && manager === email) fail('line_manager_email', 'OWN_LINE_MANAGER', 'a person cannot be their own line manager');
      else draft.lineManagerEmail = manager; // whether they exist is checked once every row is read
    }

    const jobTitle = cell('job_title')?.replace(/\s+/g, ' ');
    if (jobTitle !== undefined) {
      if (jobTitle.length > MAX_JOB_TITLE_LENGTH) fail('job_title', 'TOO_LONG', `job title is longer than ${MAX_JOB_TITLE_LENGTH} characters`);
      else draft.jobTitle = jobTitle === '' ? null : jobTitle;
    }

    const timeZone = cell('time_zone');
    if (timeZone !== undefined) {
      if (timeZone === '') draft.timeZone = null;
      else if (!isValidTimeZone(timeZone)) fail('time_zone', 'INVALID_TIME_ZONE', `"${timeZone}" is not an IANA time zone (such as Europe/London)`);
      else draft.timeZone = canonicalTimeZone(timeZone);
    }

    const teams = cell('teams_aad_object_id');
    if (teams) {
      if (!GUID.test(teams.toLowerCase())) fail('teams_aad_object_id', 'INVALID_TEAMS_ID', `"${teams}" is not a GUID (the user's Entra object id)`);
      else draft.teamsAadObjectId = teams.toLowerCase();
    }

    const slack = cell('slack_user_id');
    if (slack) {
      if (!SLACK_USER_ID.test(slack.toUpperCase())) fail('slack_user_id', 'INVALID_SLACK_ID', `"${slack}" is not a Slack user id (U or W followed by letters and digits)`);
      else draft.slackUserId = slack.toUpperCase();
    }
    return draft;
  });

  // --- across rows ----------------------------------------------------------
  const firstLineOfEmail = new Map<string, number>();
  const firstByEmail = new Map<string, RowDraft>();
  for (const d of drafts) {
    if (d.email === undefined) continue;
    const first = firstLineOfEmail.get(d.email);
    if (first !== undefined) {
      report(d.line, 'email', 'DUPLICATE_EMAIL', `duplicate email ${d.email}: already on line ${first}`);
    } else {
      firstLineOfEmail.set(d.email, d.line);
      firstByEmail.set(d.email, d);
    }
  }

  for (const d of drafts) {
    if (d.lineManagerEmail && !firstLineOfEmail.has(d.lineManagerEmail) && !existingEmails.has(d.lineManagerEmail)) {
      report(d.line, 'line_manager_email', 'UNKNOWN_LINE_MANAGER', `line manager ${d.lineManagerEmail} is neither in this file nor in the existing directory`);
    }
  }

  // Line-manager cycles: the file's managers laid over the existing directory's.
  const managerOf = new Map<string, string | null>(context.existingLineManagers ?? []);
  for (const [email, d] of firstByEmail) {
    if (d.lineManagerEmail !== undefined) managerOf.set(email, d.lineManagerEmail);
  }
  const done = new Set<string>();
  const inCycle = new Map<string, string[]>();
  for (const start of firstByEmail.keys()) {
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let current: string | null | undefined = start;
    while (current && !done.has(current)) {
      if (onPath.has(current)) {
        const cycle = path.slice(onPath.get(current));
        if (cycle.length > 1) for (const member of cycle) inCycle.set(member, cycle);
        break;
      }
      onPath.set(current, path.length);
      path.push(current);
      current = managerOf.get(current);
    }
    for (const p of path) done.add(p);
  }
  for (const d of drafts) {
    if (d.email === undefined || firstByEmail.get(d.email) !== d) continue;
    const cycle = inCycle.get(d.email);
    if (!cycle) continue;
    const from = cycle.indexOf(d.email);
    const loop = [...cycle.slice(from), ...cycle.slice(0, from), d.email];
    report(d.line, 'line_manager_email', 'LINE_MANAGER_CYCLE', `line managers form a cycle: ${loop.join(' → ')}`);
  }

  // Platform ids: unique in the file, and not someone else's already.
  const checkPlatformIds = (platform: DirectoryPlatform, field: DirectoryColumn, idOf: (d: RowDraft) => string | null) => {
    const firstLine = new Map<string, number>();
    for (const d of drafts) {
      const id = idOf(d);
      if (id === null) continue;
      const first = firstLine.get(id);
      if (first !== undefined) {
          report(d.line, field, 'DUPLICATE_PLATFORM_ID', `${field} ${id} is also on line ${first}`);
        continue;
      }
      firstLine.set(id, d.line);
      const key = identityKey(platform, id);
      if (!context.identityOwners?.has(key)) continue;
      const owner = context.identityOwners.get(key) ?? null;
      if (owner !== null && owner === d.email) continue;
      // The holder is in this file with another id: the file moves this one over.
      const ownerRow = owner !== null ? firstByEmail.get(owner) : undefined;
      const ownerNewId = ownerRow ? idOf(ownerRow) : null;
      if (ownerNewId !== null && ownerNewId !== id) continue;
      report(
        d.line,
        field,
        'PLATFORM_ID_TAKEN',
        owner === null
          ? `${field} ${id} already belongs to a person in another organisation`
          : `${field} ${id} already belongs to ${owner}`,
      );
    }
  };
  checkPlatformIds('TEAMS', 'teams_aad_object_id', (d) => d.teamsAadObjectId);
  checkPlatformIds('SLACK', 'slack_user_id', (d) => d.slackUserId);

  if (problems.length > 0) return finish([]);

  return finish(
    drafts.map((d): DirectoryPerson => {
      const person: DirectoryPerson = {
        line: d.line,
        name: d.name!,
        email: d.email!,
        staffGroup: d.staffGroup!,
        roles: d.roles!,
        lineManagerEmail: d.lineManagerEmail ?? null,
        teamsAadObjectId: d.teamsAadObjectId,
        slackUserId: d.slackUserId,
      };
      if (d.jobTitle !== undefined) person.jobTitle = d.jobTitle;
      if (d.timeZone !== undefined) person.timeZone = d.timeZone;
      return person;
    }),
  );
}

/** Parse and validate a directory file in one go. */
export function checkDirectoryCsv(text: string, context: DirectoryContext): DirectoryValidation {
  return validateDirectoryRows(parseDirectoryCsv(text), context);
}
