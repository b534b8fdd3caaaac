import { byLine, enumKey, readCsvTable } from './csv-table.js';
import type { SetupProblem } from './setup-problems.js';

/**
 * The supervision matrix file (`npm run org -- set-matrix <slug> matrix.csv`; seeds 000
 * appendix 3): one row per staff group, kind and format. The file is the whole matrix: rows not
 * in it are removed. Any bad row rejects the whole file, as the staff directory does. Pure.
 *
 *   staff_group        required, one of the organisation's staff groups (any case)
 *   kind               required: MANDATORY or ON_REQUEST ("on request" works)
 *   format             required: INDIVIDUAL or GROUP
 *   supervisor_pool    required: SAFEGUARDING_SPECIALISTS, EXTERNAL_PROVIDER or NAMED_SUPERVISORS
 *   duration_minutes   required, 15 to 480 (seeds 000 6.1: about 60 individual, 90 group)
 *   sessions_per_year  1 to 52 \  a MANDATORY row has exactly one of these;
 *   interval_months    1 to 24 /  an ON_REQUEST row neither
 *   typical_group_size 2 to 50, GROUP rows only
 *   supervisors        ";"-separated e-mails of people in the directory with the SUPERVISOR or
 *                      SPECIALIST role, who take this row's sessions; required for NAMED_SUPERVISORS
 */

export const REQUIREMENT_KINDS = ['MANDATORY', 'ON_REQUEST'] as const;
export const FORMATS = ['INDIVIDUAL', 'GROUP'] as const;
export const SUPERVISOR_POOLS = ['SAFEGUARDING_SPECIALISTS', 'EXTERNAL_PROVIDER', 'NAMED_SUPERVISORS'] as const;
export type RequirementKindName = (typeof REQUIREMENT_KINDS)[number];
export type FormatName = (typeof FORMATS)[number];
export type SupervisorPoolName = (typeof SUPERVISOR_POOLS)[number];

const POOL_ALIASES: Record<string, SupervisorPoolName> = {
  SPECIALISTS: 'SAFEGUARDING_SPECIALISTS',
  SAFEGUARDING_TEAM: 'SAFEGUARDING_SPECIALISTS',
  EXTERNAL: 'EXTERNAL_PROVIDER',
  NAMED: 'NAMED_SUPERVISORS',
};

export const MAX_MATRIX_ROWS = 1000;
export const DURATION_RANGE = { min: 15, max: 480 } as const;
export const SESSIONS_PER_YEAR_RANGE = { min: 1, max: 52 } as const;
export const INTERVAL_MONTHS_RANGE = { min: 1, max: 24 } as const;
export const GROUP_SIZE_RANGE = { min: 2, max: 50 } as const;

const COLUMNS = {
  required: ['staff_group', 'kind', 'format', 'supervisor_pool', 'duration_minutes'],
  optional: ['sessions_per_year', 'interval_months', 'typical_group_size', 'supervisors'],
} as const;
type Column = (typeof COLUMNS.required)[number] | (typeof COLUMNS.optional)[number];

const SUPERVISING_ROLES = ['SUPERVISOR', 'SPECIALIST'];

export interface MatrixRow {
  line: number;
  /** The existing group's name, as the organisation spells it. */
  staffGroup: string;
  kind: RequirementKindName;
  format: FormatName;
  supervisorPool: SupervisorPoolName;
  durationMinutes: number;
  sessionsPerYear: number | null;
  intervalMonths: number | null;
  typicalGroupSize: number | null;
  /** Lower-case e-mails. */
  supervisors: string[];
}

export interface MatrixContext {
  staffGroupNames: readonly string[];
  /** People of the organisation by lower-case e-mail: their roles and whether they are active. */
  people: ReadonlyMap<string, { roles: readonly string[]; active: boolean }>;
}

export type MatrixValidation = { ok: true; rows: MatrixRow[] } | { ok: false; problems: SetupProblem[] };

function oneOf<T extends string>(text: string, values: readonly T[], aliases: Record<string, T> = {}): T | null {
  const key = enumKey(text);
  return (values as readonly string[]).includes(key) ? (key as T) : (aliases[key] ?? null);
}

export function checkMatrixCsv(text: string, context: MatrixContext): MatrixValidation {
  const table = readCsvTable<Column>(text, COLUMNS, MAX_MATRIX_ROWS);
  const problems = [...table.problems];
  const groups = new Map(context.staffGroupNames.map((n) => [n.trim().toLowerCase(), n]));
  const knownGroups = [...context.staffGroupNames].sort((a, b) => a.localeCompare(b));
  const rows: MatrixRow[] = [];
  const firstLine = new Map<string, number>();

  for (const row of table.rows) {
    const before = problems.length;
    const fail = (field: Column, reason: string) => problems.push({ line: row.line, field, reason });
    const text = (column: Column) => row.cell(column) ?? '';
    const whole = (column: Column, range: { min: number; max: number }, what: string): number | null => {
      const value = text(column);
      if (value === '') return null;
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < range.min || n > range.max) {
        fail(column, `"${value}" is not ${what} from ${range.min} to ${range.max}`);
        return null;
      }
      return n;
    };

    const groupText = text('staff_group');
    const staffGroup = groups.get(groupText.toLowerCase());
    if (staffGroup === undefined) {
      const which = knownGroups.length > 0 ? `staff groups are ${knownGroups.map((g) => `"${g}"`).join(', ')}` : 'the organisation has no staff groups yet';
      fail('staff_group', groupText === '' ? `staff group is empty; ${which}` : `unknown staff group "${groupText}"; ${which} (add it with set-staff-groups first)`);
    }
    const kind = oneOf(text('kind'), REQUIREMENT_KINDS);
    if (kind === null) fail('kind', `"${text('kind')}" is not a kind; kinds are ${REQUIREMENT_KINDS.join(', ')}`);
    const format = oneOf(text('format'), FORMATS);
    if (format === null) fail('format', `"${text('format')}" is not a format; formats are ${FORMATS.join(', ')}`);
    const supervisorPool = oneOf(text('supervisor_pool'), SUPERVISOR_POOLS, POOL_ALIASES);
    if (supervisorPool === null) fail('supervisor_pool', `"${text('supervisor_pool')}" is not a supervisor pool; pools are ${SUPERVISOR_POOLS.join(', ')}`);

    const durationMinutes = whole('duration_minutes', DURATION_RANGE, 'a whole number of minutes');
    if (durationMinutes === null && text('duration_minutes') === '') fail('duration_minutes', 'duration_minutes is empty');
    const sessionsPerYear = whole('sessions_per_year', SESSIONS_PER_YEAR_RANGE, 'a whole number of sessions');
    const intervalMonths = whole('interval_months', INTERVAL_MONTHS_RANGE, 'a whole number of months');
    const cadenceGiven = text('sessions_per_year') !== '' || text('interval_months') !== '';
    if (kind === 'MANDATORY') {
      if (!cadenceGiven) fail('sessions_per_year', 'a MANDATORY row needs sessions_per_year or interval_months');
      else if (text('sessions_per_year') !== '' && text('interval_months') !== '') fail('interval_months', 'give sessions_per_year or interval_months, not both');
    } else if (kind === 'ON_REQUEST' && cadenceGiven) {
      fail(text('sessions_per_year') !== '' ? 'sessions_per_year' : 'interval_months', 'an ON_REQUEST row has no cadence: leave sessions_per_year and interval_months empty');
    }
    const typicalGroupSize = whole('typical_group_size', GROUP_SIZE_RANGE, 'a group size');
    if (format === 'INDIVIDUAL' && text('typical_group_size') !== '') fail('typical_group_size', 'only a GROUP row has a group size');

    const supervisors: string[] = [];
    for (const email of text('supervisors').split(';').map((e) => e.trim().toLowerCase()).filter((e) => e !== '')) {
      const person = context.people.get(email);
      if (!person) fail('supervisors', `${email} is not in the organisation's directory (npm run import:people)`);
      else if (!person.active) fail('supervisors', `${email} is no longer active in the directory`);
      else if (!person.roles.some((r) => SUPERVISING_ROLES.includes(r))) fail('supervisors', `${email} does not have the SUPERVISOR or SPECIALIST role in the directory`);
      else if (supervisors.includes(email)) fail('supervisors', `${email} is listed twice`);
      else supervisors.push(email);
    }
    if (supervisorPool === 'NAMED_SUPERVISORS' && text('supervisors') === '') fail('supervisors', 'a NAMED_SUPERVISORS row needs at least one supervisor');

    if (staffGroup !== undefined && kind !== null && format !== null) {
      const key = `${staffGroup}\u0000${kind}\u0000${format}`;
      const first = firstLine.get(key);
      if (first !== undefined) fail('format', `${staffGroup}, ${kind}, ${format} is already on line ${first}`);
      else firstLine.set(key, row.line);
    }
    if (problems.length > before) continue;
    rows.push({
      line: row.line,
      staffGroup: staffGroup!,
      kind: kind!,
      format: format!,
      supervisorPool: supervisorPool!,
      durationMinutes: durationMinutes!,
      sessionsPerYear,
      intervalMonths,
      typicalGroupSize,
      supervisors,
    });
  }
  return problems.length > 0 ? { ok: false, problems: byLine(problems) } : { ok: true, rows };
}
