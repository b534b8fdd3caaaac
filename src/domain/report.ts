import { DateTime } from 'luxon';
import { toCsv, type CsvValue } from './csv.js';
import { DomainError } from './errors.js';
import { canRequestReport, type ActorIdentity } from './permissions.js';
import { cadenceDays, type CadenceInterval } from './reminder-policy.js';
import { ACTION_POINT_KINDS, type ActionPointKind } from './records.js';

/**
 * The quarterly supervision report for the Safeguarding Assurance Group (seeds 000 12.1) and
 * the "overdue supervision" view behind it. Rules only: what a period is, who may ask, and
 * what each figure means. The counting itself is done by PostgreSQL (src/db/report-queries.ts)
 * following the definitions written here; the README's "Quarterly report" section repeats them.
 *
 * Aggregates carry no names and no supervision content (seeds 000 12.2): only counts by staff
 * group, type, format, route, urgency and kind.
 */

// ---------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------

/** What the person typed after "report" (and "overdue supervision"), before it is checked. */
export type PeriodSpec =
  | { kind: 'last-quarter' }
  | { kind: 'quarter'; year: number; quarter: 1 | 2 | 3 | 4 }
  | { kind: 'range'; from: string; to: string };

export interface ReportCommand {
  period: PeriodSpec;
  /** A staff group name as typed, to narrow the report to one group. */
  staffGroup?: string;
}

/**
 * A report period: whole local days `from`..`to` (inclusive) in the organisation's zone, and
 * the instants that bound them: [start, end). Correct across daylight-saving changes because
 * the bounds are local midnights converted by the zone rules, not fixed offsets.
 */
export interface ReportPeriod {
  from: string;
  to: string;
  start: Date;
  end: Date;
  days: number;
  label: string;
  zone: string;
}

const QUARTER = /^(?:q([1-4])\s+(\d{4})|(\d{4})\s+q([1-4]))$/;
const RANGE = /^(\d{4}-\d{2}-\d{2})\s+(?:to|-|–|until)\s+(\d{4}-\d{2}-\d{2})$/;
/**
 * Parse "report ..." as typed: "report", "report Q3 2026", "report 2026 Q3", "report 2026-07-01
 * to 2026-09-30", each optionally followed by "for <staff group>". Returns null when the text
 * does not start with the word "report"; throws a clear INVALID_INPUT when it does but the
 * period cannot be read.
 */
export function parseReportCommand(text: string): ReportCommand | null {
  const trimmed = text.trim().replace(/\s+/g, ' ').replace(/[.!?]+$/, '');
  const head = /^report(?: (.*))?$/i.exec(trimmed);
  if (!head) return null;
  const rest = head[1] ?? '';
  const forAt = /(?:^| )for (.+)$/i.exec(rest);
  const periodText = (forAt ? rest.slice(0, forAt.index) : rest).trim().toLowerCase();
  const staffGroup = forAt?.[1]?.trim();
  const withGroup = (period: PeriodSpec): ReportCommand => (staffGroup ? { period, staffGroup } : { period });
  if (periodText === '' || periodText === 'last quarter') return withGroup({ kind: 'last-quarter' });
  const quarter = QUARTER.exec(periodText);
  if (quarter) {
    const q = Number(quarter[1] ?? quarter[4]) as 1 | 2 | 3 | 4;
    return withGroup({ kind: 'quarter', year: Number(quarter[2] ?? quarter[3]), quarter: q });
  }
  const range = RANGE.exec(periodText);
  if (range) return withGroup({ kind: 'range', from: range[1]!, to: range[2]! });
  throw new DomainError('INVALID_INPUT', REPORT_USAGE);
}

/** Reports cover at most this many days unless the organisation sets `reportMaxRangeDays`. */
export const DEFAULT_REPORT_MAX_DAYS = 366;

/**
 * Whether a message is a report command for this actor. The Head and specialists get every
 * message that starts with "report" (a typo gets the usage); anyone else only what reads as a
 * real report command without a staff group (and is refused), so "report for my manager
 * about a child..." still starts an ordinary request for help.
 */
export function isReportCommand(actor: ActorIdentity, text: string): boolean {
  if (canRequestReport(actor)) return /^report(\s|$)/i.test(text.trim());
  try {
    const parsed = parseReportCommand(text);
    return parsed !== null && parsed.staffGroup === undefined;
  } catch {
    return false;
  }
}

/** "overdue supervision", optionally "for <staff group>". */
export const OVERDUE_COMMAND = /^overdue supervision(?: for (.+))?$/i;

export const REPORT_USAGE =
  'I could not read that period. Try "report" (the last complete quarter), "report Q3 2026", or "report 2026-07-01 to 2026-09-30"; add "for <staff group>" to narrow it to one group.';

function localDate(text: string, zone: string): DateTime {
  const date = DateTime.fromISO(text, { zone });
  if (!date.isValid || date.toISODate() !== text) {
    throw new DomainError('INVALID_INPUT', `${text} is not a date I recognise. Please write dates as YYYY-MM-DD, for example 2026-07-01.`);
  }
  return date.startOf('day');
}

/** The last calendar quarter that has fully ended by `today` (local). */
export function lastCompleteQuarter(today: DateTime): { year: number; quarter: 1 | 2 | 3 | 4 } {
  const previous = today.startOf('quarter').minus({ days: 1 });
  return { year: previous.year, quarter: previous.quarter as 1 | 2 | 3 | 4 };
}

/**
 * Turn what was typed into a period, refusing ranges that are inverted, that end after today
 * (a report covers days that have ended or are under way, never the future), or that are
 * longer than the organisation's maximum. Quarters are calendar quarters (Q1 = January to March).
 */
export function resolvePeriod(spec: PeriodSpec, now: Date, zone: string, maxDays: number): ReportPeriod {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  let from: DateTime;
  let to: DateTime;
  let label: string;
  if (spec.kind === 'range') {
    from = localDate(spec.from, zone);
    to = localDate(spec.to, zone);
    label = `${spec.from} to ${spec.to}`;
  } else {
    const { year, quarter } = spec.kind === 'quarter' ? spec : lastCompleteQuarter(today);
    if (year < 2000 || year > 2999) throw new DomainError('INVALID_INPUT', `${year} is not a year I can report on.`);
    from = DateTime.fromObject({ year, month: (quarter - 1) * 3 + 1, day: 1 }, { zone });
    to = from.plus({ months: 3 }).minus({ days: 1 });
    label = `Q${quarter} ${year}`;
  }
  if (to < from) {
    throw new DomainError('INVALID_INPUT', `That range ends (${to.toISODate()}) before it starts (${from.toISODate()}). Please give the earlier date first.`);
  }
  if (from > today) {
    throw new DomainError('INVALID_INPUT', `${label} has not started yet (today is ${today.toISODate()}). A report can only cover days that have begun.`);
  }
  if (to > today) {
    throw new DomainError(
      'INVALID_INPUT',
      `${label} ends on ${to.toISODate()}, after today (${today.toISODate()}). Ask for a range that ends today at the latest, for example "report ${from.toISODate()} to ${today.toISODate()}".`,
    );
  }
  const days = Math.round(to.diff(from, 'days').days) + 1;
  if (days > maxDays) {
    throw new DomainError('INVALID_INPUT', `That range is ${days} days long; reports cover at most ${maxDays} days. Please ask for a shorter range.`);
  }
  const end = to.plus({ days: 1 }).startOf('day');
  return { from: from.toISODate()!, to: to.toISODate()!, start: from.toJSDate(), end: end.toJSDate(), days, label, zone };
}

// ---------------------------------------------------------------------------
// Figures and their definitions
// ---------------------------------------------------------------------------

export const NO_STAFF_GROUP = '(no staff group)';

/**
 * Sessions that took place or were booked to take place in the period: status CONFIRMED,
 * AWAITING_RECORD or COMPLETED and a confirmed start inside the period. Counted once per distinct
 * staff group of its supervisees (a group session with people from two staff groups counts in
 * both rows, so rows can add up to more than the total), and once in the total. NO_STAFF_GROUP is
 * the row of supervisees with no staff group: a session counts in it once when at least one of
 * its supervisees has none, or when it has no supervisee (a mixed session counts in its group's
 * row and in NO_STAFF_GROUP).
 */
export interface SessionRow {
  staffGroup: string;
  type: 'MANDATORY' | 'ON_REQUEST' | 'CHILD_DEATH';
  format: 'INDIVIDUAL' | 'GROUP';
  sessions: number;
  /** Set by protectSmallGroups: in the totals, never shown on its own. */
  suppressed?: boolean;
}

/**
 * One mandatory staff group against the matrix:
 * - members: active people in the group who had joined (were in the directory) by the period's end;
 * - required: the sessions the matrix asks of them over the period, pro rata:
 *   members x period days / days of the group's cadence (requiredSessions);
 * - received: attendances recorded as "attended" at sessions that started in the period;
 * - compliant: members not overdue on the period's last day, by the reminder rule: the local date
 *   of their last attended session (or their joining date) plus the cadence falls after that day;
 * - share: compliant / members (null when the group has no members).
 */
export interface ComplianceRow {
  staffGroup: string;
  members: number;
  required: number;
  received: number;
  compliant: number;
  share: number | null;
  /** Set by protectSmallGroups: in the totals, never shown on its own. */
  suppressed?: boolean;
}

/**
 * Requests made in the period (created inside it), by route and urgency, with the wall-clock
 * minutes from the request to its first response (a specialist claiming it or giving advice on
 * it): median and 90th percentile (continuous percentiles) over the requests that have had one.
 */
export interface RequestRow {
  route: 'ADVICE' | 'SUPERVISION' | 'ALL';
  urgency: 'URGENT' | 'ROUTINE' | 'ALL';
  requests: number;
  responded: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

/**
 * Action points agreed in the period (on records created inside it), by kind, as they stand
 * when the report is made: completed (marked done), open (not done), and overdue (open, with a
 * date for completion before today in the organisation's zone). Overdue is a subset of open.
 */
export interface ActionPointRow {
  kind: ActionPointKind;
  total: number;
  completed: number;
  open: number;
  overdue: number;
}

/** Attendances recorded as "did not attend" or "apologies" at sessions that started in the period. */
export interface AttendanceRow {
  staffGroup: string;
  didNotAttend: number;
  apologies: number;
  /** Set by protectSmallGroups: in the totals, never shown on its own. */
  suppressed?: boolean;
}

/** Sessions cancelled in the period (cancelledAt inside it), by who cancelled. */
export interface Cancellations {
  total: number;
  bySupervisor: number;
  bySupervisee: number;
  byOthers: number;
}

export interface ReportFigures {
  sessions: SessionRow[];
  sessionTotal: number;
  compliance: ComplianceRow[];
  requests: RequestRow[];
  actionPoints: ActionPointRow[];
  attendance: AttendanceRow[];
  cancellations: Cancellations;
}

export { ACTION_POINT_KINDS, type ActionPointKind };

/**
 * Sessions the matrix asks of `members` people over `days`, for a cadence, pro rata: members x
 * days / the cadence's exact length (365 / sessions a year: cadenceDays). One decimal is kept by the caller.
 */
export function requiredSessions(members: number, days: number, cadence: CadenceInterval): number {
  return (members * days) / cadenceDays(cadence);
}

/** A share as a whole percentage for people ("83%"), or a dash when there is nothing to divide. */
export function percent(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 100)}%`;
}

/** Every kind listed, zeros included, in the order of seeds 000 procedure 6.3. */
export function completeActionPointRows(rows: readonly ActionPointRow[]): ActionPointRow[] {
  return ACTION_POINT_KINDS.map((kind) => rows.find((r) => r.kind === kind) ?? { kind, total: 0, completed: 0, open: 0, overdue: 0 });
}

// ---------------------------------------------------------------------------
// Small groups (seeds 000 12.2: no identities in the aggregate)
// ---------------------------------------------------------------------------

/**
 * Staff groups with fewer active people than this are not shown on their own: a row for a group
 * of one is that person's supervision record in all but name. Organisation setting
 * `reportMinimumGroupSize`.
 */
export const DEFAULT_MINIMUM_GROUP_SIZE = 5;

export const smallGroupsLabel = (minimum: number) => `Groups of fewer than ${minimum} people (pooled)`;

/**
 * Pools the rows of every staff group with fewer than `minimum` active people (groupSizes, by
 * name) into one row per breakdown under smallGroupsLabel. When the pooled groups together are
 * still fewer than `minimum` people, the pooled rows are marked suppressed: they count in every
 * total and headline figure but are never shown on their own. Nothing else changes.
 */
export function protectSmallGroups(figures: ReportFigures, groupSizes: ReadonlyMap<string, number>, minimum: number): ReportFigures {
  const small = new Set([...groupSizes].filter(([, size]) => size < minimum).map(([name]) => name));
  if (small.size === 0) return figures;
  const pooledSize = [...small].reduce((n, name) => n + (groupSizes.get(name) ?? 0), 0);
  const pooled = smallGroupsLabel(minimum);
  const suppress = pooledSize < minimum ? { suppressed: true } : {};

  const sessions = new Map<string, SessionRow>();
  for (const row of figures.sessions) {
    const isSmall = small.has(row.staffGroup);
    const staffGroup = isSmall ? pooled : row.staffGroup;
    const key = `${staffGroup}\u0000${row.type}\u0000${row.format}`;
    const into = sessions.get(key);
    if (into) into.sessions += row.sessions;
    else sessions.set(key, { ...row, staffGroup, ...(isSmall ? suppress : {}) });
  }

  const compliance = figures.compliance.filter((r) => !small.has(r.staffGroup));
  const smallCompliance = figures.compliance.filter((r) => small.has(r.staffGroup));
  if (smallCompliance.length > 0) {
    const sum = (pick: (r: ComplianceRow) => number) => smallCompliance.reduce((n, r) => n + pick(r), 0);
    const members = sum((r) => r.members);
    const compliant = sum((r) => r.compliant);
    compliance.push({
      staffGroup: pooled,
      members,
      required: sum((r) => r.required),
      received: sum((r) => r.received),
      compliant,
      share: members === 0 ? null : compliant / members,
      ...suppress,
    });
  }

  const attendance = figures.attendance.filter((r) => !small.has(r.staffGroup));
  const smallAttendance = figures.attendance.filter((r) => small.has(r.staffGroup));
  if (smallAttendance.length > 0) {
    attendance.push({
      staffGroup: pooled,
      didNotAttend: smallAttendance.reduce((n, r) => n + r.didNotAttend, 0),
      apologies: smallAttendance.reduce((n, r) => n + r.apologies, 0),
      ...suppress,
    });
  }
  return { ...figures, sessions: [...sessions.values()], compliance, attendance };
}

/** Whether any breakdown row is hidden by protectSmallGroups. */
export function hasSuppressedRows(figures: ReportFigures): boolean {
  return [...figures.sessions, ...figures.compliance, ...figures.attendance].some((r) => r.suppressed);
}

/** Headline figures for the card: totals across groups and kinds. */
export function headline(figures: ReportFigures) {
  const members = figures.compliance.reduce((n, r) => n + r.members, 0);
  const compliant = figures.compliance.reduce((n, r) => n + r.compliant, 0);
  const all = figures.requests.find((r) => r.route === 'ALL' && r.urgency === 'ALL');
  return {
    sessions: figures.sessionTotal,
    mandatoryMembers: members,
    compliantShare: members === 0 ? null : compliant / members,
    requests: all?.requests ?? 0,
    medianMinutes: all?.medianMinutes ?? null,
    p90Minutes: all?.p90Minutes ?? null,
    actionPoints: figures.actionPoints.reduce((n, r) => n + r.total, 0),
    actionPointsOverdue: figures.actionPoints.reduce((n, r) => n + r.overdue, 0),
    didNotAttend: figures.attendance.reduce((n, r) => n + r.didNotAttend, 0),
    cancellations: figures.cancellations.total,
  };
}

/** Minutes as people read them: "45 min", "3 h 20 min", "2 d 4 h". */
export function formatMinutes(minutes: number | null): string {
  if (minutes === null) return '–';
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  if (m < 24 * 60) return m % 60 === 0 ? `${Math.floor(m / 60)} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
  const hours = Math.round(m / 60);
  return hours % 24 === 0 ? `${hours / 24} d` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

const LABELS: Record<string, string> = {
  MANDATORY: 'Mandatory',
  ON_REQUEST: 'On request',
  CHILD_DEATH: 'Case involving child death',
  INDIVIDUAL: 'Individual',
  GROUP: 'Group',
  ADVICE: 'Advice',
  SUPERVISION: 'Supervision',
  URGENT: 'Urgent',
  ROUTINE: 'Routine',
  ALL: 'All',
  NO_FURTHER_ACTION: 'No further action',
  TRAINING_NEED: 'Training need',
  SEEK_FURTHER_GUIDANCE: 'Seek further guidance',
  SIGNPOSTED_TO_SUPPORT: 'Signposted to support',
  FOLLOW_UP_SUPERVISION: 'Follow-up supervision',
  SAFEGUARDING_REFERRAL: 'Safeguarding referral',
  ESCALATION: 'Escalation',
};
export const label = (value: string) => LABELS[value] ?? value;

const round1 = (n: number) => Math.round(n * 10) / 10;

export const REPORT_CSV_HEADER = ['section', 'staff_group', 'category', 'subcategory', 'measure', 'value'];

/**
 * The report as one tidy CSV: a line per figure (section, staff group, category,
 * subcategory, measure, value), so it pivots in any spreadsheet. Counts only.
 */
export function reportCsv(figures: ReportFigures, period: ReportPeriod, staffGroup?: string): string {
  const rows: CsvValue[][] = [
    ['period', staffGroup ?? 'All staff groups', 'from', '', 'date', period.from],
    ['period', staffGroup ?? 'All staff groups', 'to', '', 'date', period.to],
    ['period', staffGroup ?? 'All staff groups', 'time zone', '', 'zone', period.zone],
    ['sessions', 'All', '', '', 'sessions', figures.sessionTotal],
  ];
  for (const r of figures.sessions.filter((x) => !x.suppressed)) rows.push(['sessions', r.staffGroup, label(r.type), label(r.format), 'sessions', r.sessions]);
  for (const r of figures.compliance.filter((x) => !x.suppressed)) {
    rows.push(['compliance', r.staffGroup, '', '', 'members', r.members]);
    rows.push(['compliance', r.staffGroup, '', '', 'sessions required', round1(r.required)]);
    rows.push(['compliance', r.staffGroup, '', '', 'sessions received', r.received]);
    rows.push(['compliance', r.staffGroup, '', '', 'members compliant', r.compliant]);
    rows.push(['compliance', r.staffGroup, '', '', 'share compliant', r.share === null ? null : Math.round(r.share * 1000) / 1000]);
  }
  for (const r of figures.requests) {
    rows.push(['requests', '', label(r.route), label(r.urgency), 'requests', r.requests]);
    rows.push(['requests', '', label(r.route), label(r.urgency), 'responded', r.responded]);
    rows.push(['requests', '', label(r.route), label(r.urgency), 'first response median (minutes)', r.medianMinutes === null ? null : round1(r.medianMinutes)]);
    rows.push(['requests', '', label(r.route), label(r.urgency), 'first response p90 (minutes)', r.p90Minutes === null ? null : round1(r.p90Minutes)]);
  }
  for (const r of figures.actionPoints) {
    for (const measure of ['total', 'completed', 'open', 'overdue'] as const) rows.push(['action points', '', label(r.kind), '', measure, r[measure]]);
  }
  for (const r of figures.attendance.filter((x) => !x.suppressed)) {
    rows.push(['attendance', r.staffGroup, '', '', 'did not attend', r.didNotAttend]);
    rows.push(['attendance', r.staffGroup, '', '', 'apologies', r.apologies]);
  }
  const c = figures.cancellations;
  rows.push(['cancellations', '', '', '', 'total', c.total], ['cancellations', '', 'by supervisor', '', 'sessions', c.bySupervisor]);
  rows.push(['cancellations', '', 'by supervisee', '', 'sessions', c.bySupervisee], ['cancellations', '', 'by others', '', 'sessions', c.byOthers]);
  return toCsv(REPORT_CSV_HEADER, rows);
}
