// Generated supervision activity for the report tests, and the report's figures computed from
// those rows in plain TypeScript (no SQL), so the queries are checked against an independent
// reading of the definitions in src/domain/report.ts.
import { DateTime } from 'luxon';
import type { Db } from '../../src/db/client.js';
import { cadenceInterval, mandatoryDueDate, mandatoryRequirement } from '../../src/domain/reminder-policy.js';
import {
  ACTION_POINT_KINDS,
  NO_STAFF_GROUP,
  requiredSessions,
  type ActionPointRow,
  type AttendanceRow,
  type ComplianceRow,
  type ReportFigures,
  type ReportPeriod,
  type RequestRow,
  type SessionRow,
} from '../../src/domain/report.js';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    date: (from: Date, to: Date) => new Date(from.getTime() + Math.floor(next() * (to.getTime() - from.getTime()))),
  };
}

export interface Generated {
  people: Array<{ id: string; staffGroupId: string | null; createdAt: Date; active: boolean; lineManagerId: string | null }>;
  groups: Array<{ id: string; name: string; requirements: Array<{ kind: string; format: string; sessionsPerYear: number | null; intervalMonths: number | null }> }>;
  sessions: Array<{ id: string; status: string; type: string; format: string; startsAt: Date | null; supervisorId: string; cancelledById: string | null; cancelledAt: Date | null }>;
  attendees: Array<{ sessionId: string; personId: string; attendance: string | null }>;
  requests: Array<{ createdAt: Date; route: string; urgency: string; firstResponseAt: Date | null; staffGroupName: string | null }>;
  records: Array<{ id: string; createdAt: Date }>;
  actionPoints: Array<{ recordId: string; kind: string; status: string; dueOn: string; ownerId: string }>;
}

/** Extra instants that sit exactly on the period's edges (local midnight either side). */
export const EDGE_INSTANTS = [
  '2026-06-30T22:59:59.999Z', // 23:59:59.999 BST on 30 June: Q2
  '2026-06-30T23:00:00.000Z', // 00:00 BST on 1 July: Q3
  '2026-09-30T22:59:59.999Z', // late on the last day of Q3: Q3
  '2026-09-30T23:00:00.000Z', // 00:00 BST on 1 October: Q4
  '2026-10-25T00:30:00.000Z', // 01:30 BST... then clocks go back: Q4
];

/**
 * Insert `count` people (in the demo organisation) and a year and a half of sessions, requests,
 * records and action points around Q3 2026, then read everything back as plain rows.
 */
export async function generateActivity(db: Db, organisationId: string, options: { seed: number; people: number; sessions: number; requests: number; records: number }): Promise<Generated> {
  const rnd = prng(options.seed);
  const groups = await db.staffGroup.findMany({ where: { organisationId }, select: { id: true, name: true, requirements: { select: { kind: true, format: true, sessionsPerYear: true, intervalMonths: true } } } });
  const demo = await db.person.findMany({ where: { organisationId }, select: { id: true, roles: true } });
  const supervisors = demo.filter((p) => p.roles.includes('SPECIALIST')).map((p) => p.id);
  const managers = demo.filter((p) => p.roles.includes('LINE_MANAGER')).map((p) => p.id);
  const edge = (values: Date[], i: number) => (i < EDGE_INSTANTS.length ? new Date(EDGE_INSTANTS[i]!) : values[0]!);

  const newPeople = Array.from({ length: options.people }, (_, i) => ({
    organisationId,
    name: `Generated Person ${i}`,
    email: `generated.${options.seed}.${i}@report.test`,
    roles: ['STAFF' as const],
    staffGroupId: rnd.next() < 0.1 ? null : rnd.pick(groups).id,
    lineManagerId: rnd.pick(managers),
    active: rnd.next() > 0.08,
    createdAt: rnd.date(new Date('2025-01-01T00:00:00Z'), new Date('2026-10-15T00:00:00Z')),
  }));
  await db.person.createMany({ data: newPeople });
  const everyone = await db.person.findMany({ where: { organisationId }, select: { id: true, staffGroupId: true, createdAt: true, active: true, lineManagerId: true } });
  const staff = everyone.filter((p) => !supervisors.includes(p.id));

  const sessions: Generated['sessions'] = [];
  const attendees: Generated['attendees'] = [];
  for (let i = 0; i < options.sessions; i += 1) {
    const id = crypto.randomUUID();
    const status = rnd.pick(['PROPOSED', 'CONFIRMED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'CANCELLED', 'DECLINED']);
    const startsAt = status === 'PROPOSED' ? null : edge([rnd.date(new Date('2025-06-01T00:00:00Z'), new Date('2026-11-20T00:00:00Z'))], i);
    const supervisorId = rnd.pick(supervisors);
    const format = rnd.pick(['INDIVIDUAL', 'GROUP']);
    const people = [...new Set(Array.from({ length: format === 'GROUP' ? rnd.int(2, 4) : 1 }, () => rnd.pick(staff).id))];
    const cancelled = status === 'CANCELLED';
    const cancelledById = cancelled ? rnd.pick([supervisorId, people[0]!, rnd.pick(managers)]) : null;
    sessions.push({
      id,
      status,
      type: rnd.pick(['MANDATORY', 'ON_REQUEST', 'CHILD_DEATH']),
      format,
      startsAt,
      supervisorId,
      cancelledById,
      cancelledAt: cancelled ? edge([rnd.date(new Date('2026-05-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'))], i) : null,
    });
    for (const personId of people) attendees.push({ sessionId: id, personId, attendance: startsAt ? rnd.pick(['ATTENDED', 'ATTENDED', 'ATTENDED', 'DID_NOT_ATTEND', 'APOLOGIES', null]) : null });
  }
  await db.session.createMany({
    data: sessions.map((s) => ({
      id: s.id,
      organisationId,
      format: s.format as 'INDIVIDUAL',
      type: s.type as 'MANDATORY',
      status: s.status as 'CONFIRMED',
      supervisorId: s.supervisorId,
      proposedById: s.supervisorId,
      startsAt: s.startsAt,
      endsAt: s.startsAt ? new Date(s.startsAt.getTime() + 3_600_000) : null,
      durationMinutes: 60,
      cancelledById: s.cancelledById,
      cancelledAt: s.cancelledAt,
    })),
  });
  await db.sessionAttendee.createMany({ data: attendees.map((a) => ({ ...a, attendance: a.attendance as 'ATTENDED' | null })) });

  const requests: Generated['requests'] = [];
  for (let i = 0; i < options.requests; i += 1) {
    const createdAt = edge([rnd.date(new Date('2026-06-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'))], i);
    requests.push({
      createdAt,
      route: rnd.pick(['ADVICE', 'SUPERVISION']),
      urgency: rnd.pick(['URGENT', 'ROUTINE', 'ROUTINE']),
      firstResponseAt: rnd.next() < 0.15 ? null : new Date(createdAt.getTime() + rnd.int(1, 5 * 24 * 60) * 60_000 + rnd.int(0, 59_999)),
      staffGroupName: rnd.next() < 0.1 ? null : rnd.pick(groups).name,
    });
  }
  await db.supervisionRequest.createMany({
    data: requests.map((r, i) => ({
      organisationId,
      reference: `GEN-${options.seed}-${i}`,
      requesterId: rnd.pick(staff).id,
      platform: 'TEAMS' as const,
      immediateRisk: false,
      urgency: r.urgency as 'ROUTINE',
      route: r.route as 'ADVICE',
      staffGroupName: r.staffGroupName,
      createdAt: r.createdAt,
      firstResponseAt: r.firstResponseAt,
    })),
  });

  const records: Generated['records'] = [];
  const actionPoints: Generated['actionPoints'] = [];
  for (let i = 0; i < options.records; i += 1) {
    const id = crypto.randomUUID();
    records.push({ id, createdAt: edge([rnd.date(new Date('2026-06-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'))], i) });
    for (let ordinal = 1; ordinal <= rnd.int(0, 4); ordinal += 1) {
      actionPoints.push({
        recordId: id,
        kind: rnd.pick(ACTION_POINT_KINDS),
        status: rnd.pick(['OPEN', 'DONE']),
        dueOn: DateTime.fromJSDate(rnd.date(new Date('2026-07-01T00:00:00Z'), new Date('2027-01-31T00:00:00Z')), { zone: 'utc' }).toISODate()!,
        ownerId: rnd.pick(staff).id,
      });
    }
  }
  await db.supervisionRecord.createMany({
    data: records.map((r) => ({ id: r.id, organisationId, kind: 'SESSION' as const, supervisorId: supervisors[0]!, format: 'INDIVIDUAL' as const, type: 'MANDATORY' as const, createdAt: r.createdAt })),
  });
  const ordinals = new Map<string, number>();
  await db.actionPoint.createMany({
    data: actionPoints.map((a) => {
      const ordinal = (ordinals.get(a.recordId) ?? 0) + 1;
      ordinals.set(a.recordId, ordinal);
      return { recordId: a.recordId, ordinal, description: 'generated', kind: a.kind as 'ESCALATION', ownerId: a.ownerId, dueOn: new Date(`${a.dueOn}T00:00:00Z`), status: a.status as 'OPEN' };
    }),
  });
  return { people: everyone, groups, sessions, attendees, requests, records, actionPoints };
}

const inPeriod = (at: Date | null, period: ReportPeriod) => at !== null && at >= period.start && at < period.end;

/** Continuous percentile, as PostgreSQL's percentile_cont. */
export function percentileCont(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** The report's figures from the generated rows, following the definitions literally. */
export function expectedFigures(data: Generated, period: ReportPeriod, today: string, staffGroupId?: string): ReportFigures {
  const groupName = new Map(data.groups.map((g) => [g.id, g.name]));
  const personById = new Map(data.people.map((p) => [p.id, p]));
  const inGroup = (personId: string) => !staffGroupId || personById.get(personId)?.staffGroupId === staffGroupId;
  const nameOf = (personId: string) => groupName.get(personById.get(personId)?.staffGroupId ?? '') ?? NO_STAFF_GROUP;
  const attendeesOf = (sessionId: string) => data.attendees.filter((a) => a.sessionId === sessionId);

  // Sessions
  const held = data.sessions.filter((s) => (s.status === 'CONFIRMED' || s.status === 'COMPLETED') && inPeriod(s.startsAt, period));
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of held) {
    const people = attendeesOf(s.id).map((a) => a.personId);
    const groups = new Set(people.filter(inGroup).map(nameOf));
    if (people.length === 0 && !staffGroupId) groups.add(NO_STAFF_GROUP);
    if (groups.size > 0) total += 1;
    for (const g of groups) counts.set(`${g}|${s.type}|${s.format}`, (counts.get(`${g}|${s.type}|${s.format}`) ?? 0) + 1);
  }
  const sessions: SessionRow[] = [...counts]
    .map(([key, n]) => {
      const [staffGroup, type, format] = key.split('|') as [string, SessionRow['type'], SessionRow['format']];
      return { staffGroup, type, format, sessions: n };
    })
    .sort((a, b) => a.staffGroup.localeCompare(b.staffGroup) || a.type.localeCompare(b.type) || a.format.localeCompare(b.format));

  // Compliance
  const compliance: ComplianceRow[] = [];
  for (const group of data.groups) {
    if (staffGroupId && group.id !== staffGroupId) continue;
    const requirement = mandatoryRequirement(group.requirements);
    const interval = requirement ? cadenceInterval(requirement) : null;
    if (!requirement || !interval) continue;
    const members = data.people.filter((p) => p.active && p.staffGroupId === group.id && p.createdAt < period.end);
    let received = 0;
    let compliant = 0;
    for (const member of members) {
      const attended = data.attendees
        .filter((a) => a.personId === member.id && a.attendance === 'ATTENDED')
        .map((a) => data.sessions.find((s) => s.id === a.sessionId)!.startsAt)
        .filter((at): at is Date => at !== null && at < period.end);
      received += attended.filter((at) => at >= period.start).length;
      const last = attended.length ? new Date(Math.max(...attended.map((d) => d.getTime()))) : null;
      const due = mandatoryDueDate({ id: member.id, lineManagerId: null, lastAttendedAt: last, joinedAt: member.createdAt }, requirement, period.zone)!;
      if (due.toISODate()! > period.to) compliant += 1;
    }
    compliance.push({
      staffGroup: group.name,
      members: members.length,
      required: requiredSessions(members.length, period.days, interval),
      received,
      compliant,
      share: members.length === 0 ? null : compliant / members.length,
    });
  }
  compliance.sort((a, b) => a.staffGroup.localeCompare(b.staffGroup));

  // Requests
  const wantedName = staffGroupId ? groupName.get(staffGroupId) : undefined;
  const made = data.requests.filter((r) => inPeriod(r.createdAt, period) && (!wantedName || r.staffGroupName === wantedName));
  const requestRow = (route: RequestRow['route'], urgency: RequestRow['urgency'], rows: typeof made): RequestRow => {
    const minutes = rows.filter((r) => r.firstResponseAt).map((r) => (r.firstResponseAt!.getTime() - r.createdAt.getTime()) / 60_000);
    return { route, urgency, requests: rows.length, responded: minutes.length, medianMinutes: percentileCont(minutes, 0.5), p90Minutes: percentileCont(minutes, 0.9) };
  };
  const requests: RequestRow[] = [];
  for (const route of ['ADVICE', 'SUPERVISION'] as const) {
    for (const urgency of ['URGENT', 'ROUTINE'] as const) {
      const rows = made.filter((r) => r.route === route && r.urgency === urgency);
      if (rows.length) requests.push(requestRow(route, urgency, rows));
    }
  }
  requests.push(requestRow('ALL', 'ALL', made));

  // Action points
  const recordIds = new Set(data.records.filter((r) => inPeriod(r.createdAt, period)).map((r) => r.id));
  const points = data.actionPoints.filter((a) => recordIds.has(a.recordId) && inGroup(a.ownerId));
  const actionPoints: ActionPointRow[] = ACTION_POINT_KINDS.map((kind) => {
    const ofKind = points.filter((a) => a.kind === kind);
    return {
      kind,
      total: ofKind.length,
      completed: ofKind.filter((a) => a.status === 'DONE').length,
      open: ofKind.filter((a) => a.status === 'OPEN').length,
      overdue: ofKind.filter((a) => a.status === 'OPEN' && a.dueOn < today).length,
    };
  });

  // Attendance
  const byGroup = new Map<string, AttendanceRow>();
  for (const s of data.sessions.filter((x) => inPeriod(x.startsAt, period))) {
    for (const a of attendeesOf(s.id)) {
      if ((a.attendance !== 'DID_NOT_ATTEND' && a.attendance !== 'APOLOGIES') || !inGroup(a.personId)) continue;
      const row = byGroup.get(nameOf(a.personId)) ?? { staffGroup: nameOf(a.personId), didNotAttend: 0, apologies: 0 };
      if (a.attendance === 'DID_NOT_ATTEND') row.didNotAttend += 1;
      else row.apologies += 1;
      byGroup.set(row.staffGroup, row);
    }
  }
  const attendance = [...byGroup.values()].sort((a, b) => a.staffGroup.localeCompare(b.staffGroup));

  // Cancellations
  const cancelled = data.sessions.filter(
    (s) => s.status === 'CANCELLED' && inPeriod(s.cancelledAt, period) && (!staffGroupId || attendeesOf(s.id).some((a) => inGroup(a.personId))),
  );
  const bySupervisor = cancelled.filter((s) => s.cancelledById === s.supervisorId).length;
  const bySupervisee = cancelled.filter((s) => s.cancelledById !== s.supervisorId && attendeesOf(s.id).some((a) => a.personId === s.cancelledById)).length;
  return {
    sessions,
    sessionTotal: total,
    compliance,
    requests,
    actionPoints,
    attendance,
    cancellations: { total: cancelled.length, bySupervisor, bySupervisee, byOthers: cancelled.length - bySupervisor - bySupervisee },
  };
}
