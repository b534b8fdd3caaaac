// The facts behind the reminders whose queries are more than a findMany: mandatory cadence
// (computed in SQL from each person's last attended session), rebooking after a cancellation,
// and whether a supervisee has been told of a non-attendance. Shared by the sweep (many at a
// time) and the sender's isSubjectLive (one at a time), so both read the facts the same way.
import { Prisma } from '../db/generated/client.js';
import type { Db } from '../db/client.js';
import { DEFAULT_TIME_ZONE } from '../domain/time.js';
import {
  cadenceInterval,
  consecutiveNonAttendance,
  isRebooking,
  mandatoryRequirement,
  personRecipient,
  type CadenceInterval,
  type CadencePerson,
  type CadenceRequirement,
} from '../domain/reminder-policy.js';

const DAY_MS = 24 * 3_600_000;

/** A staff group's mandatory cadence, with the named supervisors of its requirement. */
export interface GroupCadence {
  staffGroupId: string;
  organisationId: string;
  requirement: CadenceRequirement;
  interval: CadenceInterval;
  poolMemberIds: string[];
}

/** Each staff group's cadence (mandatoryRequirement); groups without one are left out. Few rows. */
export async function loadGroupCadences(db: Db, staffGroupIds?: readonly string[]): Promise<Map<string, GroupCadence>> {
  const requirements = await db.supervisionRequirement.findMany({
    where: { kind: 'MANDATORY', ...(staffGroupIds ? { staffGroupId: { in: [...staffGroupIds] } } : {}) },
    select: {
      staffGroupId: true,
      staffGroup: { select: { organisationId: true } },
      kind: true,
      format: true,
      sessionsPerYear: true,
      intervalMonths: true,
      poolMembers: { select: { personId: true } },
    },
  });
  const byGroup = new Map<string, typeof requirements>();
  for (const r of requirements) byGroup.set(r.staffGroupId, [...(byGroup.get(r.staffGroupId) ?? []), r]);
  const out = new Map<string, GroupCadence>();
  for (const [staffGroupId, rows] of byGroup) {
    const requirement = mandatoryRequirement(rows);
    const interval = requirement ? cadenceInterval(requirement) : null;
    if (!requirement || !interval) continue;
    out.set(staffGroupId, { staffGroupId, organisationId: requirement.staffGroup.organisationId, requirement, interval, poolMemberIds: requirement.poolMembers.map((m) => m.personId) });
  }
  return out;
}

export interface CadenceCandidate {
  id: string;
  organisationId: string;
  staffGroupId: string;
  lineManagerId: string | null;
  timeZone: string | null;
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
  joinedAt: Date;
  lastAttendedAt: Date | null;
  lastSupervisorId: string | null;
}

/** The steps of a cadence chain, as the organisation's reminder timings set them. */
export interface CadenceTimings {
  mandatoryDueSoonDays: number;
  mandatoryOverdueSupervisorDays: number;
  mandatoryOverdueLineManagerDays: number;
  /** "HH:mm" */
  reminderTimeOfDay: string;
}

export interface CadenceWindow {
  now: Date;
  horizonEnd: Date;
  /** Organisation id → its timings. */
  timings: (organisationId: string) => CadenceTimings;
}

/**
 * Steps due this long before now are still read by the window (the sweep runs every minute, so
 * each step is seen by many sweeps); older ones only when they have no reminder yet.
 */
export const CADENCE_CATCH_UP_MS = 60 * 60_000;

const validZonesByDb = new WeakMap<object, Promise<string[]>>();

/** The zone names PostgreSQL knows (read once per client: pg_timezone_names is slow). */
function postgresZones(db: Db): Promise<string[]> {
  let zones = validZonesByDb.get(db);
  if (!zones) {
    zones = db.$queryRaw<Array<{ name: string }>>`SELECT name FROM pg_timezone_names`.then((rows) => rows.map((r) => r.name));
    zones.catch(() => validZonesByDb.delete(db));
    validZonesByDb.set(db, zones);
  }
  return zones;
}

/**
 * Runs a query with PostgreSQL's JIT off. The planner's estimate for the cadence query (per-row
 * subplans over every person) passes jit_above_cost, and compiling it takes far longer (about
 * 2 s) than running it (tens of ms). Inside the sweep's transaction SET LOCAL lasts to its end;
 * otherwise the query runs in a short transaction of its own.
 */
async function withoutJit<T>(db: Db, query: Prisma.Sql): Promise<T> {
  const off = Prisma.sql`SELECT set_config('jit', 'off', true)`;
  // A transaction's client has no $connect (and its $transaction would run on another connection).
  if (typeof (db as { $connect?: unknown }).$connect !== 'function') {
    await db.$queryRaw(off);
    return db.$queryRaw<T>(query);
  }
  const [, rows] = await db.$transaction([db.$queryRaw(off), db.$queryRaw<T>(query)]);
  return rows;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * The people in a mandatory group with a step of their cadence chain falling due now: each
 * step's instant is computed in SQL exactly as the policy does (the local date of the last
 * ATTENDED session, or joining, plus the cadence; each step at the reminder time of day in the
 * person's zone), and a person comes back only when
 * - a step falls in (now - CADENCE_CATCH_UP_MS, horizonEnd], or
 * - the latest step already due has no reminder row (the sweep was down, or the matrix was
 *   loaded after the people): one probe of the reminders' unique index.
 * So the rows read back, the policy runs and the inserts tried grow with what is due. Each
 * person's last attended session comes from one grouped pass over recent sessions; only people
 * with none recently (long overdue, or never attended) are looked up one by one.
 */
export async function loadCadenceCandidates(db: Db, groups: Map<string, GroupCadence>, window: CadenceWindow): Promise<CadenceCandidate[]> {
  if (groups.size === 0) return [];
  const list = [...groups.values()];
  const timings = list.map((g) => window.timings(g.organisationId));
  const organisationIds = [...new Set(list.map((g) => g.organisationId))];
  const zones = await postgresZones(db);
  const since = new Date(window.now.getTime() - CADENCE_CATCH_UP_MS);
  const longest = Math.max(...list.map((g) => g.interval.months * 31 + g.interval.days));
  const followUp = Math.max(...timings.map((t) => Math.max(t.mandatoryOverdueSupervisorDays, t.mandatoryOverdueLineManagerDays)));
  const recentSince = new Date(window.now.getTime() - (longest + followUp + 7) * DAY_MS);
  const query = Prisma.sql`
    WITH cadence AS (
      SELECT * FROM unnest(
        ${list.map((g) => g.staffGroupId)}::text[], ${list.map((g) => g.interval.months)}::int[], ${list.map((g) => g.interval.days)}::int[],
        ${timings.map((t) => t.mandatoryDueSoonDays)}::int[], ${timings.map((t) => t.mandatoryOverdueSupervisorDays)}::int[],
        ${timings.map((t) => t.mandatoryOverdueLineManagerDays)}::int[], ${timings.map((t) => minutesOf(t.reminderTimeOfDay))}::int[],
        ${list.map((g) => g.poolMemberIds.length > 0)}::boolean[]
      ) AS c("staffGroupId", months, days, lead, sup, lm, tod, "hasPool")
    ),
    recent AS (
      SELECT a."personId", max(s."startsAt") AS at
      FROM "Session" s JOIN "SessionAttendee" a ON a."sessionId" = s.id
      WHERE s."organisationId" = ANY(${organisationIds}::text[]) AND s.status IN ('CONFIRMED', 'AWAITING_RECORD', 'COMPLETED')
        AND s."startsAt" >= ${recentSince} AND a.attendance = 'ATTENDED'
      GROUP BY a."personId"
    ),
    zones AS (SELECT unnest(${zones}::text[]) AS name),
    base AS MATERIALIZED (
      SELECT p.id, p."organisationId", p."staffGroupId", lm.id AS "lineManagerId", p."timeZone", p."quietHoursStart",
             p."quietHoursEnd", p."createdAt" AS "joinedAt", c.months, c.days, c.lead, c.sup, c.lm, c.tod, c."hasPool",
             COALESCE(r.at, (
               SELECT max(s2."startsAt") FROM "SessionAttendee" a2 JOIN "Session" s2 ON s2.id = a2."sessionId"
               WHERE a2."personId" = p.id AND a2.attendance = 'ATTENDED'
             )) AS "lastAttendedAt",
             COALESCE(pz.name, oz.name, ${DEFAULT_TIME_ZONE}) AS zone
      FROM "Person" p
      JOIN cadence c ON c."staffGroupId" = p."staffGroupId"
      JOIN "Organisation" o ON o.id = p."organisationId"
      LEFT JOIN "Person" lm ON lm.id = p."lineManagerId" AND lm.active
      LEFT JOIN recent r ON r."personId" = p.id
      LEFT JOIN zones pz ON pz.name = p."timeZone"
      LEFT JOIN zones oz ON oz.name = o."timeZone"
      WHERE p.active
    ),
    dated AS (
      SELECT b.*, ((COALESCE(b."lastAttendedAt", b."joinedAt") AT TIME ZONE b.zone)::date
                   + make_interval(months => b.months, days => b.days))::date AS due_on
      FROM base b
      -- Cheap UTC bound first (a local date is within a day of the UTC one): nobody whose
      -- earliest step (due soon) is after the horizon needs the zone arithmetic below.
      WHERE COALESCE(b."lastAttendedAt", b."joinedAt") + make_interval(months => b.months, days => b.days - b.lead - 2) <= ${window.horizonEnd}
    ),
    staged AS MATERIALIZED (
      SELECT d.*,
             ((d.due_on - d.lead) + make_interval(mins => d.tod)) AT TIME ZONE d.zone AS t_soon,
             (d.due_on + make_interval(mins => d.tod)) AT TIME ZONE d.zone AS t_due,
             CASE WHEN d."lastAttendedAt" IS NOT NULL OR d."hasPool"
                  THEN ((d.due_on + d.sup) + make_interval(mins => d.tod)) AT TIME ZONE d.zone END AS t_sup,
             CASE WHEN d."lineManagerId" IS NOT NULL
                  THEN ((d.due_on + d.lm) + make_interval(mins => d.tod)) AT TIME ZONE d.zone END AS t_lm
      FROM dated d
    ),
    latest AS MATERIALIZED (
      SELECT st.*, GREATEST(
               CASE WHEN st.t_soon <= ${window.now} THEN st.t_soon END,
               CASE WHEN st.t_due <= ${window.now} THEN st.t_due END,
               CASE WHEN st.t_sup <= ${window.now} THEN st.t_sup END,
               CASE WHEN st.t_lm <= ${window.now} THEN st.t_lm END
             ) AS t_latest
      FROM staged st
    )
    SELECT l.id, l."organisationId", l."staffGroupId", l."lineManagerId", l."timeZone", l."quietHoursStart",
           l."quietHoursEnd", l."joinedAt", l."lastAttendedAt",
           (SELECT s3."supervisorId" FROM "SessionAttendee" a3 JOIN "Session" s3 ON s3.id = a3."sessionId"
            WHERE a3."personId" = l.id AND a3.attendance = 'ATTENDED' AND s3."startsAt" = l."lastAttendedAt"
            ORDER BY s3.id LIMIT 1) AS "lastSupervisorId"
    FROM latest l
    WHERE (l.t_soon > ${since} AND l.t_soon <= ${window.horizonEnd})
       OR (l.t_due > ${since} AND l.t_due <= ${window.horizonEnd})
       OR (l.t_sup > ${since} AND l.t_sup <= ${window.horizonEnd})
       OR (l.t_lm > ${since} AND l.t_lm <= ${window.horizonEnd})
       OR (l.t_latest IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM "Reminder" r
             WHERE r.kind IN ('MANDATORY_DUE', 'MANDATORY_OVERDUE', 'LINE_MANAGER_OVERDUE')
               AND r."subjectId" = l.id AND r."dueAt" = l.t_latest
           ))
  `;
  return withoutJit<CadenceCandidate[]>(db, query);
}

/** The cadence facts of one person now (isSubjectLive, cards), or null when none apply. */
export async function loadPersonCadence(
  db: Db,
  personId: string,
): Promise<{ person: CadencePerson; requirement: CadenceRequirement; zone: string | null; organisationId: string; settings: unknown } | null> {
  const person = await db.person.findUnique({
    where: { id: personId },
    select: {
      id: true,
      active: true,
      staffGroupId: true,
      timeZone: true,
      createdAt: true,
      lineManager: { select: { id: true, active: true } },
      organisation: { select: { id: true, timeZone: true, settings: true } },
    },
  });
  if (!person?.active || !person.staffGroupId) return null;
  const group = (await loadGroupCadences(db, [person.staffGroupId])).get(person.staffGroupId);
  if (!group) return null;
  const last = await lastAttended(db, personId);
  return {
    person: {
      id: person.id,
      lineManagerId: person.lineManager?.active ? person.lineManager.id : null,
      supervisorIds: cadenceSupervisors(last?.supervisorId ?? null, group),
      lastAttendedAt: last?.startsAt ?? null,
      joinedAt: person.createdAt,
    },
    requirement: group.requirement,
    zone: person.timeZone ?? person.organisation.timeZone,
    organisationId: person.organisation.id,
    settings: person.organisation.settings,
  };
}

export async function lastAttended(db: Db, personId: string): Promise<{ startsAt: Date; supervisorId: string } | null> {
  const row = await db.sessionAttendee.findFirst({
    where: { personId, attendance: 'ATTENDED', session: { startsAt: { not: null } } },
    select: { session: { select: { startsAt: true, supervisorId: true } } },
    orderBy: { session: { startsAt: 'desc' } },
  });
  return row ? { startsAt: row.session.startsAt!, supervisorId: row.session.supervisorId } : null;
}

/** Who supervises a person's cadence: the supervisor of their last attended session, else the group's named supervisors. */
export function cadenceSupervisors(lastSupervisorId: string | null, group: GroupCadence): string[] {
  return lastSupervisorId ? [lastSupervisorId] : group.poolMemberIds;
}

// ---------------------------------------------------------------------------
// Rebooking
// ---------------------------------------------------------------------------

export interface CancelledSession {
  id: string;
  format: string;
  cancelledAt: Date;
  attendeeIds: string[];
  supervisorId: string;
  requestId: string | null;
}

/**
 * The ids of the cancelled sessions that have been rebooked (isRebooking): one query for the
 * sessions booked since the earliest cancellation for one of their requests, or by one of their
 * supervisors with one of their supervisees.
 */
export async function rebookedSessionIds(db: Db, cancelled: readonly CancelledSession[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (cancelled.length === 0) return out;
  const people = [...new Set(cancelled.flatMap((c) => c.attendeeIds))];
  const supervisors = [...new Set(cancelled.map((c) => c.supervisorId))];
  const requests = [...new Set(cancelled.flatMap((c) => (c.requestId ? [c.requestId] : [])))];
  const since = new Date(Math.min(...cancelled.map((c) => c.cancelledAt.getTime())));
  const later = await db.session.findMany({
    where: {
      createdAt: { gte: since },
      status: { in: ['PROPOSED', 'CONFIRMED', 'AWAITING_RECORD', 'COMPLETED'] },
      OR: [
        ...(requests.length > 0 ? [{ requestId: { in: requests } }] : []),
        ...(people.length > 0 ? [{ supervisorId: { in: supervisors }, attendees: { some: { personId: { in: people } } } }] : []),
      ],
    },
    select: { id: true, status: true, format: true, createdAt: true, supervisorId: true, requestId: true, attendees: { select: { personId: true } } },
  });
  for (const c of cancelled) {
    const found = later.some(
      (s) =>
        s.id !== c.id &&
        isRebooking(c, {
          status: s.status,
          format: s.format,
          createdAt: s.createdAt,
          supervisorId: s.supervisorId,
          requestId: s.requestId,
          attendeeIds: s.attendees.map((a) => a.personId),
        }),
    );
    if (found) out.add(c.id);
  }
  return out;
}

/**
 * For each supervisee (Person subject), the due times of their own MANDATORY_OVERDUE reminders
 * that have been SENT to them: the line manager's overdue reminder waits for one of these.
 */
export async function overdueToldAt(db: Db, personIds: readonly string[]): Promise<Map<string, Date[]>> {
  const out = new Map<string, Date[]>();
  if (personIds.length === 0) return out;
  const rows = await db.reminder.findMany({
    where: {
      subjectType: 'Person',
      subjectId: { in: [...new Set(personIds)] },
      kind: 'MANDATORY_OVERDUE',
      status: 'SENT',
      recipientKey: { in: [...new Set(personIds)].map(personRecipient) },
    },
    select: { subjectId: true, recipientKey: true, dueAt: true },
  });
  for (const r of rows) {
    if (r.recipientKey !== personRecipient(r.subjectId)) continue;
    out.set(r.subjectId, [...(out.get(r.subjectId) ?? []), r.dueAt]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Non-attendance in a row
// ---------------------------------------------------------------------------

/** Sessions read back when counting non-attendances in a row (a run longer than this is reported as this long). */
const MAX_RUN_READ = 20;

/**
 * The sessions a person did not attend in a row, up to and including the one that started at
 * `upTo` (consecutiveNonAttendance): their start times, the latest first.
 */
export async function missedInARow(db: Db, personId: string, upTo: Date): Promise<Date[]> {
  const rows = await db.sessionAttendee.findMany({
    where: { personId, attendance: { not: null }, session: { status: { in: ['AWAITING_RECORD', 'COMPLETED'] }, startsAt: { lte: upTo } } },
    select: { attendance: true, session: { select: { startsAt: true } } },
    orderBy: [{ session: { startsAt: 'desc' } }, { sessionId: 'desc' }],
    take: MAX_RUN_READ,
  });
  const run = consecutiveNonAttendance([...rows].reverse());
  return rows.slice(0, run).map((r) => r.session.startsAt!);
}

// ---------------------------------------------------------------------------
// Non-attendance: has the supervisee been told?
// ---------------------------------------------------------------------------

/**
 * For each SessionAttendee subject, when the notice to the supervisee themselves was sent
 * (the LINE_MANAGER_NON_ATTENDANCE reminder addressed to the supervisee, status SENT).
 */
export async function superviseeToldAt(db: Db, subjects: ReadonlyArray<{ subjectId: string; personId: string }>): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (subjects.length === 0) return out;
  const rows = await db.reminder.findMany({
    where: {
      subjectType: 'SessionAttendee',
      subjectId: { in: subjects.map((s) => s.subjectId) },
      kind: 'LINE_MANAGER_NON_ATTENDANCE',
      status: 'SENT',
      recipientKey: { in: subjects.map((s) => personRecipient(s.personId)) },
    },
    select: { subjectId: true, recipientKey: true, sentAt: true },
  });
  const expected = new Map(subjects.map((s) => [s.subjectId, personRecipient(s.personId)]));
  for (const r of rows) {
    if (expected.get(r.subjectId) !== r.recipientKey || !r.sentAt) continue;
    const known = out.get(r.subjectId);
    if (!known || r.sentAt < known) out.set(r.subjectId, r.sentAt);
  }
  return out;
}
