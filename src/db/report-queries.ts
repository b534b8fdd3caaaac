// The quarterly report's aggregation, done by PostgreSQL: each figure is one grouped query over
// the period's rows (never a row per person brought back to Node), so the report for 50,000
// staff and 100,000 sessions a year stays well under the 2 s target (test/bench/report-bench.ts).
// The definitions are in src/domain/report.ts; the queries below follow them word for word.
import { Prisma } from './generated/client.js';
import type { Db } from './client.js';
import { cadenceInterval, mandatoryRequirement, type CadenceInterval } from '../domain/reminder-policy.js';
import {
  completeActionPointRows,
  NO_STAFF_GROUP,
  requiredSessions,
  type ActionPointRow,
  type AttendanceRow,
  type Cancellations,
  type ComplianceRow,
  type ReportFigures,
  type ReportPeriod,
  type RequestRow,
  type SessionRow,
} from '../domain/report.js';

export interface StaffGroupCadence {
  staffGroupId: string;
  name: string;
  interval: CadenceInterval;
}

/**
 * The organisation's staff groups with their active members counted (the report hides groups
 * that are too small), and the mandatory cadence of those that have one (few rows).
 */
export async function loadStaffGroups(
  db: Db,
  organisationId: string,
): Promise<{ groups: Array<{ id: string; name: string; activeMembers: number }>; cadences: StaffGroupCadence[] }> {
  const groups = await db.staffGroup.findMany({
    where: { organisationId },
    select: {
      id: true,
      name: true,
      requirements: { select: { kind: true, format: true, sessionsPerYear: true, intervalMonths: true } },
      _count: { select: { members: { where: { active: true } } } },
    },
    orderBy: { name: 'asc' },
  });
  const cadences: StaffGroupCadence[] = [];
  for (const group of groups) {
    const requirement = mandatoryRequirement(group.requirements);
    const interval = requirement ? cadenceInterval(requirement) : null;
    if (interval) cadences.push({ staffGroupId: group.id, name: group.name, interval });
  }
  return { groups: groups.map((g) => ({ id: g.id, name: g.name, activeMembers: g._count.members })), cadences };
}

export interface ReportScope {
  organisationId: string;
  period: ReportPeriod;
  /** Today's local date in the organisation's zone (for "overdue"). */
  today: string;
  cadences: readonly StaffGroupCadence[];
  /** Narrow everything to one staff group. */
  staffGroup?: { id: string; name: string };
}

const cadenceTable = (cadences: readonly StaffGroupCadence[]) => Prisma.sql`
  SELECT * FROM unnest(${cadences.map((c) => c.staffGroupId)}::text[], ${cadences.map((c) => c.interval.months)}::int[], ${cadences.map((c) => c.interval.days)}::int[])
    AS c("staffGroupId", months, days)`;

async function sessionRows(db: Db, scope: ReportScope): Promise<{ rows: SessionRow[]; total: number }> {
  const { organisationId, period } = scope;
  const group = scope.staffGroup?.id ?? null;
  const rows = await db.$queryRaw<Array<SessionRow & { total: boolean }>>(Prisma.sql`
    WITH held AS (
      SELECT s.id, s.type, s.format
      FROM "Session" s
      WHERE s."organisationId" = ${organisationId}
        AND s.status IN ('CONFIRMED', 'AWAITING_RECORD', 'COMPLETED')
        AND s."startsAt" >= ${period.start} AND s."startsAt" < ${period.end}
    ),
    -- One row per (session, staff group of a supervisee): hash aggregates, no sort on ids.
    pairs AS (
      SELECT h.id, h.type, h.format, p."staffGroupId"
      FROM held h
      LEFT JOIN "SessionAttendee" a ON a."sessionId" = h.id
      LEFT JOIN "Person" p ON p.id = a."personId"
      WHERE ${group}::text IS NULL OR p."staffGroupId" = ${group}
      GROUP BY h.id, h.type, h.format, p."staffGroupId"
    )
    SELECT COALESCE(g.name, ${NO_STAFF_GROUP}) AS "staffGroup", x.type::text AS type, x.format::text AS format, count(*)::int AS sessions, false AS total
    FROM pairs x LEFT JOIN "StaffGroup" g ON g.id = x."staffGroupId"
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT '', '', '', count(*)::int, true FROM (SELECT id FROM pairs GROUP BY id) sessions`);
  const total = rows.find((r) => r.total)?.sessions ?? 0;
  return {
    rows: rows
      .filter((r) => !r.total)
      .map(({ staffGroup, type, format, sessions }) => ({ staffGroup, type, format, sessions }))
      .sort((a, b) => a.staffGroup.localeCompare(b.staffGroup) || a.type.localeCompare(b.type) || a.format.localeCompare(b.format)),
    total,
  };
}

async function complianceRows(db: Db, scope: ReportScope): Promise<ComplianceRow[]> {
  const cadences = scope.cadences.filter((c) => !scope.staffGroup || c.staffGroupId === scope.staffGroup.id);
  if (cadences.length === 0) return [];
  const { organisationId, period } = scope;
  const rows = await db.$queryRaw<Array<{ staffGroupId: string; members: number; received: number; compliant: number }>>(Prisma.sql`
    WITH cadence AS (${cadenceTable(cadences)}),
    members AS (
      SELECT p.id, p."staffGroupId", p."createdAt", c.months, c.days
      FROM "Person" p JOIN cadence c ON c."staffGroupId" = p."staffGroupId"
      WHERE p."organisationId" = ${organisationId} AND p.active AND p."createdAt" < ${period.end}
    ),
    attended AS (
      SELECT a."personId",
             count(*) FILTER (WHERE s."startsAt" >= ${period.start})::int AS received,
             max(s."startsAt") AS last
      FROM members m
      JOIN "SessionAttendee" a ON a."personId" = m.id AND a.attendance = 'ATTENDED'
      JOIN "Session" s ON s.id = a."sessionId"
      WHERE s."startsAt" < ${period.end}
      GROUP BY a."personId"
    )
    SELECT m."staffGroupId",
           count(*)::int AS members,
           COALESCE(sum(t.received), 0)::int AS received,
           count(*) FILTER (
             WHERE (timezone(${period.zone}, COALESCE(t.last, m."createdAt"))::date + make_interval(months => m.months, days => m.days))::date > ${period.to}::date
           )::int AS compliant
    FROM members m LEFT JOIN attended t ON t."personId" = m.id
    GROUP BY m."staffGroupId"`);
  return cadences
    .map((cadence) => {
      const row = rows.find((r) => r.staffGroupId === cadence.staffGroupId);
      const members = row?.members ?? 0;
      const compliant = row?.compliant ?? 0;
      return {
        staffGroup: cadence.name,
        members,
        required: requiredSessions(members, period.days, cadence.interval),
        received: row?.received ?? 0,
        compliant,
        share: members === 0 ? null : compliant / members,
      };
    })
    .sort((a, b) => a.staffGroup.localeCompare(b.staffGroup));
}

async function requestRows(db: Db, scope: ReportScope): Promise<RequestRow[]> {
  const { organisationId, period } = scope;
  const groupName = scope.staffGroup?.name ?? null;
  const rows = await db.$queryRaw<Array<RequestRow & { rollup: number }>>(Prisma.sql`
    SELECT COALESCE(route::text, 'ALL') AS route, COALESCE(urgency::text, 'ALL') AS urgency,
           GROUPING(route, urgency)::int AS rollup,
           count(*)::int AS requests,
           count("firstResponseAt")::int AS responded,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "firstResponseAt" - "createdAt") / 60) AS "medianMinutes",
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM "firstResponseAt" - "createdAt") / 60) AS "p90Minutes"
    FROM "SupervisionRequest"
    WHERE "organisationId" = ${organisationId}
      AND "createdAt" >= ${period.start} AND "createdAt" < ${period.end}
      AND (${groupName}::text IS NULL OR "staffGroupName" = ${groupName})
    GROUP BY GROUPING SETS ((route, urgency), ())`);
  const order = ['ADVICE', 'SUPERVISION', 'ALL'];
  const rowsOut = rows.map(({ rollup: _rollup, ...r }) => ({
    ...r,
    medianMinutes: r.medianMinutes === null ? null : Number(r.medianMinutes),
    p90Minutes: r.p90Minutes === null ? null : Number(r.p90Minutes),
  }));
  if (!rowsOut.some((r) => r.route === 'ALL')) rowsOut.push({ route: 'ALL', urgency: 'ALL', requests: 0, responded: 0, medianMinutes: null, p90Minutes: null });
  return rowsOut.sort((a, b) => order.indexOf(a.route) - order.indexOf(b.route) || b.urgency.localeCompare(a.urgency));
}

async function actionPointRows(db: Db, scope: ReportScope): Promise<ActionPointRow[]> {
  const { organisationId, period } = scope;
  const group = scope.staffGroup?.id ?? null;
  const rows = await db.$queryRaw<ActionPointRow[]>(Prisma.sql`
    SELECT ap.kind::text AS kind,
           count(*)::int AS total,
           count(*) FILTER (WHERE ap.status = 'DONE')::int AS completed,
           count(*) FILTER (WHERE ap.status = 'OPEN')::int AS open,
           count(*) FILTER (WHERE ap.status = 'OPEN' AND ap."dueOn" < ${scope.today}::date)::int AS overdue
    FROM "ActionPoint" ap
    JOIN "SupervisionRecord" r ON r.id = ap."recordId"
    WHERE r."organisationId" = ${organisationId}
      AND r."createdAt" >= ${period.start} AND r."createdAt" < ${period.end}
      AND (${group}::text IS NULL OR EXISTS (SELECT 1 FROM "Person" o WHERE o.id = ap."ownerId" AND o."staffGroupId" = ${group}))
    GROUP BY ap.kind`);
  return completeActionPointRows(rows);
}

async function attendanceRows(db: Db, scope: ReportScope): Promise<AttendanceRow[]> {
  const { organisationId, period } = scope;
  const group = scope.staffGroup?.id ?? null;
  const rows = await db.$queryRaw<AttendanceRow[]>(Prisma.sql`
    SELECT COALESCE(g.name, ${NO_STAFF_GROUP}) AS "staffGroup",
           count(*) FILTER (WHERE a.attendance = 'DID_NOT_ATTEND')::int AS "didNotAttend",
           count(*) FILTER (WHERE a.attendance = 'APOLOGIES')::int AS apologies
    FROM "Session" s
    JOIN "SessionAttendee" a ON a."sessionId" = s.id
    JOIN "Person" p ON p.id = a."personId"
    LEFT JOIN "StaffGroup" g ON g.id = p."staffGroupId"
    WHERE s."organisationId" = ${organisationId}
      AND s."startsAt" >= ${period.start} AND s."startsAt" < ${period.end}
      AND a.attendance IN ('DID_NOT_ATTEND', 'APOLOGIES')
      AND (${group}::text IS NULL OR p."staffGroupId" = ${group})
    GROUP BY 1`);
  return rows.sort((a, b) => a.staffGroup.localeCompare(b.staffGroup));
}

async function cancellationFigures(db: Db, scope: ReportScope): Promise<Cancellations> {
  const { organisationId, period } = scope;
  const group = scope.staffGroup?.id ?? null;
  const [row] = await db.$queryRaw<Array<{ total: number; bySupervisor: number; bySupervisee: number }>>(Prisma.sql`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE s."cancelledById" = s."supervisorId")::int AS "bySupervisor",
           count(*) FILTER (
             WHERE s."cancelledById" IS DISTINCT FROM s."supervisorId"
               AND EXISTS (SELECT 1 FROM "SessionAttendee" a WHERE a."sessionId" = s.id AND a."personId" = s."cancelledById")
           )::int AS "bySupervisee"
    FROM "Session" s
    WHERE s."organisationId" = ${organisationId}
      AND s.status = 'CANCELLED'
      AND s."cancelledAt" >= ${period.start} AND s."cancelledAt" < ${period.end}
      AND (${group}::text IS NULL OR EXISTS (
        SELECT 1 FROM "SessionAttendee" a JOIN "Person" p ON p.id = a."personId" WHERE a."sessionId" = s.id AND p."staffGroupId" = ${group}
      ))`);
  const total = row?.total ?? 0;
  const bySupervisor = row?.bySupervisor ?? 0;
  const bySupervisee = row?.bySupervisee ?? 0;
  return { total, bySupervisor, bySupervisee, byOthers: total - bySupervisor - bySupervisee };
}

/** Every figure of the report for one period (the queries run side by side). */
export async function loadReportFigures(db: Db, scope: ReportScope): Promise<ReportFigures> {
  const [sessions, compliance, requests, actionPoints, attendance, cancellations] = await Promise.all([
    sessionRows(db, scope),
    complianceRows(db, scope),
    requestRows(db, scope),
    actionPointRows(db, scope),
    attendanceRows(db, scope),
    cancellationFigures(db, scope),
  ]);
  return { sessions: sessions.rows, sessionTotal: sessions.total, compliance, requests, actionPoints, attendance, cancellations };
}

// ---------------------------------------------------------------------------
// "overdue supervision": the one view with names, for those allowed to see them
// ---------------------------------------------------------------------------

export interface OverduePerson {
  personId: string;
  name: string;
  jobTitle: string | null;
  staffGroup: string;
  lineManager: string | null;
  /** Local date (YYYY-MM-DD) of the last attended session, or null if none. */
  lastAttended: string | null;
  /** Local date the next mandatory session was due. */
  dueOn: string;
  daysOverdue: number;
}

/**
 * Active members of mandatory groups who are overdue today: the local date of their last
 * attended session (or their joining date) plus the cadence is today or earlier, the same rule
 * as the report's compliance and the scheduler's MANDATORY_OVERDUE reminder.
 */
export async function loadOverduePeople(
  db: Db,
  options: { organisationId: string; zone: string; today: string; now: Date; cadences: readonly StaffGroupCadence[]; lineManagerId?: string; staffGroupId?: string },
): Promise<OverduePerson[]> {
  const cadences = options.cadences.filter((c) => !options.staffGroupId || c.staffGroupId === options.staffGroupId);
  if (cadences.length === 0) return [];
  const lineManagerId = options.lineManagerId ?? null;
  return db.$queryRaw<OverduePerson[]>(Prisma.sql`
    WITH cadence AS (${cadenceTable(cadences)}),
    members AS (
      SELECT p.id, p.name, p."jobTitle", g.name AS "staffGroup", lm.name AS "lineManager", p."createdAt", c.months, c.days
      FROM "Person" p
      JOIN cadence c ON c."staffGroupId" = p."staffGroupId"
      JOIN "StaffGroup" g ON g.id = p."staffGroupId"
      LEFT JOIN "Person" lm ON lm.id = p."lineManagerId"
      WHERE p."organisationId" = ${options.organisationId} AND p.active
        AND (${lineManagerId}::text IS NULL OR p."lineManagerId" = ${lineManagerId})
    ),
    last AS (
      SELECT a."personId", max(s."startsAt") AS last
      FROM members m
      JOIN "SessionAttendee" a ON a."personId" = m.id AND a.attendance = 'ATTENDED'
      JOIN "Session" s ON s.id = a."sessionId"
      WHERE s."startsAt" <= ${options.now}
      GROUP BY a."personId"
    ),
    due AS (
      SELECT m.*, l.last,
             (timezone(${options.zone}, COALESCE(l.last, m."createdAt"))::date + make_interval(months => m.months, days => m.days))::date AS "dueOn"
      FROM members m LEFT JOIN last l ON l."personId" = m.id
    )
    SELECT id AS "personId", name, "jobTitle", "staffGroup", "lineManager",
           to_char(timezone(${options.zone}, last), 'YYYY-MM-DD') AS "lastAttended",
           to_char("dueOn", 'YYYY-MM-DD') AS "dueOn",
           (${options.today}::date - "dueOn")::int AS "daysOverdue"
    FROM due
    WHERE "dueOn" <= ${options.today}::date
    ORDER BY "dueOn", name, id`);
}

// ---------------------------------------------------------------------------
// Repeated non-attendance, in the same view
// ---------------------------------------------------------------------------

export interface RepeatedNonAttendance {
  personId: string;
  name: string;
  jobTitle: string | null;
  staffGroup: string;
  lineManager: string | null;
  /** Sessions not attended in a row, up to the latest with attendance recorded (at least REPEATED_NON_ATTENDANCE). */
  missedInARow: number;
  /** Local date (YYYY-MM-DD) of the latest of them. */
  lastMissed: string;
}

/**
 * Active people whose latest recorded attendances are at least `minimum` "did not attend" in a
 * row (consecutiveNonAttendance: sessions held, attendance recorded, apologies or attendance ends
 * the run), in any staff group: repeated non-attendance is an exception to the confidentiality
 * of supervision (seeds 001), so the safeguarding team (and a line manager, for their own
 * reports) sees it beside who is overdue. Attendance facts only.
 */
export async function loadRepeatedNonAttendance(
  db: Db,
  options: { organisationId: string; zone: string; now: Date; minimum: number; lineManagerId?: string; staffGroupId?: string },
): Promise<RepeatedNonAttendance[]> {
  const lineManagerId = options.lineManagerId ?? null;
  const staffGroupId = options.staffGroupId ?? null;
  return db.$queryRaw<RepeatedNonAttendance[]>(Prisma.sql`
    WITH recorded AS (
      SELECT a."personId", a.attendance, s."startsAt",
             row_number() OVER (PARTITION BY a."personId" ORDER BY s."startsAt" DESC, s.id DESC) AS rn
      FROM "SessionAttendee" a
      JOIN "Session" s ON s.id = a."sessionId"
      JOIN "Person" p ON p.id = a."personId"
      WHERE s."organisationId" = ${options.organisationId}
        AND s.status IN ('AWAITING_RECORD', 'COMPLETED')
        AND a.attendance IS NOT NULL
        AND s."startsAt" <= ${options.now}
        AND p.active
        AND (${lineManagerId}::text IS NULL OR p."lineManagerId" = ${lineManagerId})
        AND (${staffGroupId}::text IS NULL OR p."staffGroupId" = ${staffGroupId})
    ),
    runs AS (
      SELECT "personId",
             COALESCE(min(rn) FILTER (WHERE attendance <> 'DID_NOT_ATTEND') - 1, count(*))::int AS "missedInARow",
             max("startsAt") FILTER (WHERE rn = 1) AS latest
      FROM recorded
      GROUP BY "personId"
    )
    SELECT p.id AS "personId", p.name, p."jobTitle", COALESCE(g.name, ${NO_STAFF_GROUP}) AS "staffGroup", lm.name AS "lineManager",
           r."missedInARow", to_char(timezone(${options.zone}, r.latest), 'YYYY-MM-DD') AS "lastMissed"
    FROM runs r
    JOIN "Person" p ON p.id = r."personId"
    LEFT JOIN "StaffGroup" g ON g.id = p."staffGroupId"
    LEFT JOIN "Person" lm ON lm.id = p."lineManagerId"
    WHERE r."missedInARow" >= ${options.minimum}
    ORDER BY r."missedInARow" DESC, p.name, p.id`);
}
