// The sweep: reads only the facts that can fall due before the horizon ends, turns them into
// reminder specs with the pure policies (src/domain/reminder-policy.ts), moves non-urgent ones
// out of each recipient's quiet hours, and stores them (idempotent on kind, subject, recipient
// and due time). Each query is bounded by time and status, so its cost grows with what is due,
// not with everything stored. The one exception is mandatory cadence: with no stored due date,
// proving someone is not due needs their last attended session, so that one SQL pass touches
// each person in a mandatory group (one grouped read of recent sessions, cheap per row); what
// comes back, and what the policies and inserts then do, still grows only with what is due.
//
// Swept: sessions (day/hour before; an ended one moves to AWAITING_RECORD), action points (due
// soon, due, overdue), records not written by their due time (overdue: every session that took
// place, whether or not its record was started), unclaimed requests (re-surfaced, escalated),
// mandatory cadence (due, overdue, the supervisor, the line manager), agreements awaiting
// signature, contract reviews, rebooking after a cancellation, and non-attendance (the supervisee
// told first, then the line manager).
import type { Db } from '../db/client.js';
import { Prisma } from '../db/generated/client.js';
import type { ReminderKind } from '../db/generated/client.js';
import { orgSettingsSchema, resolveReminderTimings, serviceHoursSchema, type OrgSettings } from '../domain/org-settings.js';
import { DEFAULT_RESPONSE_POLICIES, RESPONSE_ROUTES, responsePoliciesSchema } from '../domain/response-policy.js';
import type { QuietHoursPerson } from '../domain/quiet-hours.js';
import {
  actionPointReminders,
  agreementReminders,
  contractReviewReminders,
  mandatoryCadenceReminders,
  nonAttendanceReminders,
  rebookReminders,
  recordReminders,
  sessionAttendeeSubject,
  sessionRecordReminders,
  sessionReminders,
  unclaimedRequestReminders,
  withSendAt,
  type Horizon,
  type ReminderSpec as PolicySpec,
  type ServiceClock,
} from '../domain/reminder-policy.js';
import { unsignedParties } from '../domain/agreements.js';
import { recordDueAt } from '../domain/records.js';
import { cadenceSupervisors, loadCadenceCandidates, loadGroupCadences, overdueToldAt, rebookedSessionIds, superviseeToldAt } from './reminder-facts.js';
import { upsertReminders, type ReminderSpec } from './reminder-store.js';

export interface SweepOptions {
  now: Date;
  /** Reminders due up to now + horizonMs are created. */
  horizonMs: number;
}

export type SweepResult = { created: number; byKind: Partial<Record<ReminderKind, number>> };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;
/**
 * Non-attendance is read for sessions that started this long ago at most: a record (and its
 * attendance) is due a day after the session; amendments after this long nudge nobody.
 */
export const NON_ATTENDANCE_LOOKBACK_DAYS = 28;

type OrgRow = { id: string; timeZone: string; settings: unknown; serviceHours: unknown; responseTargets: unknown };
const orgSelect = { id: true, timeZone: true, settings: true, serviceHours: true, responseTargets: true } as const;

const parsedSettings = new WeakMap<OrgRow, OrgSettings>();
const parsedClocks = new WeakMap<OrgRow, ServiceClock>();

/**
 * The organisation's response policies in its service hours, parsed once per row read. The start
 * check refuses invalid policies (check-organisation-settings.ts); a row changed since falls back
 * to the defaults, and no service hours at all to the wall clock (serviceDeadline).
 */
function clockOf(org: OrgRow): ServiceClock {
  let clock = parsedClocks.get(org);
  if (!clock) {
    const policies = responsePoliciesSchema.safeParse(org.responseTargets ?? {});
    const hours = serviceHoursSchema.safeParse(org.serviceHours ?? {});
    clock = {
      policies: policies.success ? (policies.data) : DEFAULT_RESPONSE_POLICIES,
      serviceHours: hours.success ? hours.data : serviceHoursSchema.parse({}),
      timeZone: org.timeZone,
    };
    parsedClocks.set(org, clock);
  }
  return clock;
}

/** The organisation's settings, parsed once per row read (the policies run once per fact). */
function settingsOf(org: OrgRow): OrgSettings {
  let settings = parsedSettings.get(org);
  if (!settings) {
    const parsed = orgSettingsSchema.safeParse(org.settings ?? {});
    settings = parsed.success ? parsed.data : orgSettingsSchema.parse({});
    parsedSettings.set(org, settings);
  }
  return settings;
}

const personSelect = { id: true, timeZone: true, quietHoursStart: true, quietHoursEnd: true } as const;
type PersonRow = { id: string; timeZone: string | null; quietHoursStart: string | null; quietHoursEnd: string | null };

export async function sweepDueFacts(db: Db, options: SweepOptions): Promise<SweepResult> {
  const horizon: Horizon = { now: options.now, horizonEnd: new Date(options.now.getTime() + options.horizonMs) };
  const end = horizon.horizonEnd.getTime();

  const orgs = new Map<string, OrgRow>();
  const people = new Map<string, PersonRow>();
  const collected: Array<{ organisationId: string; spec: PolicySpec }> = [];
  const orgOf = async (id: string): Promise<{ org: OrgRow; settings: OrgSettings; clock: ServiceClock }> => {
    let org = orgs.get(id);
    if (!org) {
      org = (await db.organisation.findUniqueOrThrow({ where: { id }, select: orgSelect }));
      orgs.set(id, org);
    }
    return { org, settings: settingsOf(org), clock: clockOf(org) };
  };

  // Organisations are few; their settings give the widest window of each query below (the
  // policies themselves then decide exactly what is due).
  const allOrgs = await db.organisation.findMany({ select: orgSelect });
  for (const org of allOrgs) {
    orgs.set(org.id, org);
  }
  const maxDueSoonDays = Math.max(3, ...allOrgs.map((o) => resolveReminderTimings(settingsOf(o as OrgRow)).actionDueSoonDays));
  const maxSessionLeadHours = Math.max(
    24,
    ...allOrgs.map((o) => Math.max(...resolveReminderTimings(settingsOf(o as OrgRow)).sessionReminderHoursBefore)),
  );
  // A service minute is never shorter than a wall-clock one, so nothing is re-surfaced sooner
  // after its creation than the shortest re-surface time in minutes.
  const minResurfaceMinutes = Math.min(
    60,
    ...allOrgs.flatMap((o) => RESPONSE_ROUTES.map((route) => clockOf(o as OrgRow).policies[route].resurfaceAfterMinutes)),
  );

  // Sessions: confirmed, not started, starting before the horizon end plus the longest lead.
  const sessions = await db.session.findMany({
    where: {
      status: 'CONFIRMED',
      startsAt: { gt: horizon.now, lte: new Date(end + maxSessionLeadHours * HOUR_MS) },
    },
    select: {
      id: true,
      organisationId: true,
      status: true,
      startsAt: true,
      supervisor: { select: personSelect },
      attendees: { select: { person: { select: personSelect } } },
    },
  });
  for (const s of sessions) {
    const { settings } = await orgOf(s.organisationId);
    people.set(s.supervisor.id, s.supervisor);
    for (const a of s.attendees) people.set(a.person.id, a.person);
    const specs = sessionReminders(
      { id: s.id, status: s.status, startsAt: s.startsAt!, attendeeIds: s.attendees.map((a) => a.person.id), supervisorId: s.supervisor.id },
      settings,
      horizon,
    );
    for (const spec of specs) collected.push({ organisationId: s.organisationId, spec });
  }

  // Action points: open, due within the due-soon window (plus a day for zones) or overdue.
  const points = await db.actionPoint.findMany({
    where: { status: 'OPEN', dueOn: { lte: new Date(end + (maxDueSoonDays + 1) * DAY_MS) } },
    select: {
      id: true,
      status: true,
      dueOn: true,
      owner: { select: personSelect },
      record: { select: { organisationId: true, supervisor: { select: personSelect } } },
    },
  });
  for (const p of points) {
    const { settings } = await orgOf(p.record.organisationId);
    people.set(p.owner.id, p.owner);
    people.set(p.record.supervisor.id, p.record.supervisor);
    const specs = actionPointReminders(
      {
        id: p.id,
        status: p.status,
        dueOn: p.dueOn,
        ownerId: p.owner.id,
        supervisorId: p.record.supervisor.id,
        ownerTimeZone: p.owner.timeZone,
      },
      settings,
      horizon,
    );
    for (const spec of specs) collected.push({ organisationId: p.record.organisationId, spec });
  }

  // Sessions that have ended move on: CONFIRMED → AWAITING_RECORD (COMPLETED once everyone has
  // signed the record, src/flows/records.ts). Only sessions that ended since the last sweep match.
  await db.session.updateMany({
    where: { organisationId: { in: allOrgs.map((o) => o.id) }, status: 'CONFIRMED', endsAt: { lte: horizon.now } },
    data: { status: 'AWAITING_RECORD', version: { increment: 1 } },
  });

  // Sessions whose record is due by the horizon end and not written: none started, or a draft
  // (seeds 002: recorded within 24 hours of the session). The reminder is about the session.
  const minRecordDueHours = Math.min(24, ...allOrgs.map((o) => settingsOf(o as OrgRow).recordDueHours));
  const unrecorded = await db.session.findMany({
    where: {
      organisationId: { in: allOrgs.map((o) => o.id) },
      status: { in: ['CONFIRMED', 'AWAITING_RECORD'] },
      endsAt: { lte: new Date(end - minRecordDueHours * HOUR_MS) },
      NOT: { records: { some: { kind: 'SESSION', status: { in: ['AWAITING_SIGNATURES', 'SIGNED'] } } } },
    },
    select: {
      id: true,
      organisationId: true,
      status: true,
      endsAt: true,
      supervisor: { select: personSelect },
      records: { where: { kind: 'SESSION' }, select: { status: true } },
    },
  });
  for (const s of unrecorded) {
    const { settings } = await orgOf(s.organisationId);
    people.set(s.supervisor.id, s.supervisor);
    const facts = {
      sessionId: s.id,
      sessionStatus: s.status,
      recordStatus: s.records[0]?.status ?? null,
      dueAt: recordDueAt(s.endsAt!, settings.recordDueHours),
      supervisorId: s.supervisor.id,
    };
    for (const spec of sessionRecordReminders(facts, horizon)) collected.push({ organisationId: s.organisationId, spec });
  }

  // Draft records of no session (a session's record is reminded through its session, above).
  const records = await db.supervisionRecord.findMany({
    where: { status: 'DRAFT', sessionId: null, dueAt: { lte: horizon.horizonEnd } },
    select: { id: true, organisationId: true, status: true, dueAt: true, supervisor: { select: personSelect } },
  });
  for (const r of records) {
    people.set(r.supervisor.id, r.supervisor);
    for (const spec of recordReminders({ id: r.id, status: r.status, dueAt: r.dueAt!, supervisorId: r.supervisor.id }, horizon)) {
      collected.push({ organisationId: r.organisationId, spec });
    }
  }

  // Unclaimed requests old enough to be re-surfaced: each route's times in the organisation's service time.
  const requests = await db.supervisionRequest.findMany({
    where: { status: 'OPEN', claimedById: null, createdAt: { lte: new Date(end - minResurfaceMinutes * MINUTE_MS) } },
    select: { id: true, organisationId: true, status: true, createdAt: true, urgency: true, route: true },
  });
  const headsByOrg = new Map<string, string[]>();
  for (const q of requests) {
    const { clock } = await orgOf(q.organisationId);
    let heads = headsByOrg.get(q.organisationId);
    if (!heads) {
      const rows = await db.person.findMany({
        where: { organisationId: q.organisationId, active: true, roles: { has: 'HEAD_OF_SAFEGUARDING' } },
        select: personSelect,
      });
      for (const h of rows) people.set(h.id, h);
      heads = rows.map((h) => h.id);
      headsByOrg.set(q.organisationId, heads);
    }
    for (const spec of unclaimedRequestReminders(q, heads, clock, horizon)) collected.push({ organisationId: q.organisationId, spec });
  }

  const orgIds = allOrgs.map((o) => o.id);
  const timings = allOrgs.map((o) => resolveReminderTimings(settingsOf(o as OrgRow)));
  const push = (organisationId: string, specs: PolicySpec[]) => {
    for (const spec of specs) collected.push({ organisationId, spec });
  };

  // Mandatory cadence: each step's time is computed in SQL from the person's last attended
  // session, and only people with a step falling due (or missed) come back (reminder-facts.ts).
  const groups = await loadGroupCadences(db);
  const timingsByOrg = new Map(allOrgs.map((o) => [o.id, resolveReminderTimings(settingsOf(o as OrgRow))]));
  const candidates = await loadCadenceCandidates(db, groups, {
    now: horizon.now,
    horizonEnd: horizon.horizonEnd,
    timings: (organisationId) => timingsByOrg.get(organisationId) ?? resolveReminderTimings({}),
  });
  const lineManagerSpecs: Array<{ organisationId: string; spec: PolicySpec; lastAttendedAt: Date | null }> = [];
  for (const c of candidates) {
    const group = groups.get(c.staffGroupId);
    if (!group) continue;
    const { org, settings } = await orgOf(c.organisationId);
    people.set(c.id, c);
    const specs = mandatoryCadenceReminders(
      {
        id: c.id,
        lineManagerId: c.lineManagerId,
        supervisorIds: cadenceSupervisors(c.lastSupervisorId, group),
        lastAttendedAt: c.lastAttendedAt,
        joinedAt: c.joinedAt,
      },
      group.requirement,
      settings,
      c.timeZone ?? org.timeZone,
      horizon,
    );
    push(c.organisationId, specs.filter((spec) => spec.kind !== 'LINE_MANAGER_OVERDUE'));
    for (const spec of specs) if (spec.kind === 'LINE_MANAGER_OVERDUE') lineManagerSpecs.push({ organisationId: c.organisationId, spec, lastAttendedAt: c.lastAttendedAt });
  }
  // The line manager hears only once the supervisee has been told themselves (seeds 001): the
  // supervisee's own overdue reminder of this chain must have been SENT. Until then the line
  // manager's reminder is not created; a later sweep creates it (its due time is fixed).
  const overdueSent = await overdueToldAt(
    db,
    lineManagerSpecs.map(({ spec }) => spec.subjectId),
  );
  for (const { organisationId, spec, lastAttendedAt } of lineManagerSpecs) {
    const sent = overdueSent.get(spec.subjectId) ?? [];
    if (sent.some((dueAt) => dueAt <= spec.dueAt && (!lastAttendedAt || dueAt > lastAttendedAt))) push(organisationId, [spec]);
  }

  // Agreements awaiting signature for at least the shortest reminder delay.
  const minUnsignedHours = Math.min(24, ...timings.map((t) => t.agreementUnsignedAfterHours));
  const agreements = await db.agreement.findMany({
    where: { status: 'AWAITING_SIGNATURES', createdAt: { lte: new Date(end - minUnsignedHours * HOUR_MS) } },
    select: {
      id: true,
      status: true,
      createdAt: true,
      template: { select: { organisationId: true, version: true } },
      parties: { select: { person: { select: { ...personSelect, active: true } } } },
      signatures: { select: { personId: true, signedVersion: true } },
    },
  });
  for (const a of agreements) {
    const { settings } = await orgOf(a.template.organisationId);
    const active = a.parties.map((p) => p.person).filter((p) => p.active);
    for (const p of active) people.set(p.id, p);
    const unsigned = unsignedParties(active.map((p) => p.id), a.signatures, a.template.version);
    push(a.template.organisationId, agreementReminders({ id: a.id, status: a.status, createdAt: a.createdAt, unsignedPartyIds: unsigned }, settings, horizon));
  }

  // Signed contracts whose review notice falls due by the horizon end (reviewDue is set on signing).
  const maxNoticeDays = Math.max(14, ...timings.map((t) => t.contractReviewNoticeDays));
  const contracts = await db.agreement.findMany({
    where: { status: 'SIGNED', reviewDue: { lte: new Date(end + (maxNoticeDays + 1) * DAY_MS) }, template: { kind: 'CONTRACT' } },
    select: {
      id: true,
      status: true,
      reviewDue: true,
      template: { select: { organisationId: true } },
      parties: { select: { person: { select: { ...personSelect, active: true } } } },
    },
  });
  for (const c of contracts) {
    const { settings } = await orgOf(c.template.organisationId);
    const active = c.parties.map((p) => p.person).filter((p) => p.active);
    for (const p of active) people.set(p.id, p);
    push(
      c.template.organisationId,
      contractReviewReminders({ id: c.id, status: c.status, reviewDue: c.reviewDue, signedAt: null, partyIds: active.map((p) => p.id) }, settings, horizon),
    );
  }

  // Cancelled sessions still inside their rebooking window, and not rebooked.
  const maxRebookDays = Math.max(31, ...allOrgs.map((o) => settingsOf(o as OrgRow).rebookWithinDays));
  const cancelled = await db.session.findMany({
    where: {
      organisationId: { in: orgIds },
      status: 'CANCELLED',
      cancelledById: { not: null },
      cancelledAt: { not: null },
      OR: [{ rebookBy: { gt: horizon.now } }, { rebookBy: null, cancelledAt: { gt: new Date(horizon.now.getTime() - maxRebookDays * DAY_MS) } }],
    },
    select: {
      id: true,
      organisationId: true,
      status: true,
      format: true,
      cancelledAt: true,
      rebookBy: true,
      supervisorId: true,
      requestId: true,
      cancelledBy: { select: { ...personSelect, active: true } },
      attendees: { select: { personId: true } },
    },
  });
  const rebooked = await rebookedSessionIds(
    db,
    cancelled.map((s) => ({
      id: s.id,
      format: s.format,
      cancelledAt: s.cancelledAt!,
      supervisorId: s.supervisorId,
      requestId: s.requestId,
      attendeeIds: s.attendees.map((a) => a.personId),
    })),
  );
  for (const s of cancelled) {
    if (!s.cancelledBy?.active) continue;
    const { settings } = await orgOf(s.organisationId);
    people.set(s.cancelledBy.id, s.cancelledBy);
    push(
      s.organisationId,
      rebookReminders(
        { id: s.id, status: s.status, cancelledById: s.cancelledBy.id, cancelledAt: s.cancelledAt, rebookBy: s.rebookBy, rebooked: rebooked.has(s.id) },
        settings,
        horizon,
      ),
    );
  }

  // Non-attendance in recent sessions: the supervisee is told first; the line manager only
  // once that notice has been sent (its sentAt is the nudge's due time).
  const missed = await db.sessionAttendee.findMany({
    where: {
      attendance: 'DID_NOT_ATTEND',
      session: {
        organisationId: { in: orgIds },
        status: { in: ['AWAITING_RECORD', 'COMPLETED'] },
        startsAt: { gte: new Date(horizon.now.getTime() - NON_ATTENDANCE_LOOKBACK_DAYS * DAY_MS) },
      },
    },
    select: {
      sessionId: true,
      attendance: true,
      person: { select: { ...personSelect, active: true, lineManager: { select: { ...personSelect, active: true } } } },
      session: { select: { organisationId: true, endsAt: true, records: { where: { kind: 'SESSION' }, select: { completedAt: true } } } },
    },
  });
  const told = await superviseeToldAt(
    db,
    missed.map((m) => ({ subjectId: sessionAttendeeSubject(m.sessionId, m.person.id), personId: m.person.id })),
  );
  for (const m of missed) {
    const lineManager = m.person.lineManager?.active ? m.person.lineManager : null;
    if (!m.person.active || !lineManager) continue;
    const recordedAt = m.session.records[0]?.completedAt ?? m.session.endsAt;
    if (!recordedAt) continue;
    people.set(m.person.id, m.person);
    people.set(lineManager.id, lineManager);
    push(
      m.session.organisationId,
      nonAttendanceReminders(
        {
          sessionId: m.sessionId,
          personId: m.person.id,
          attendance: m.attendance,
          lineManagerId: lineManager.id,
          recordedAt,
          superviseeToldAt: told.get(sessionAttendeeSubject(m.sessionId, m.person.id)) ?? null,
        },
        horizon,
      ),
    );
  }

  // Recipients not read with their facts (supervisors and line managers of cadence chains), for quiet hours.
  const unknown = [...new Set(collected.map((c) => c.spec.recipientId).filter((id): id is string => !!id && !people.has(id)))];
  if (unknown.length > 0) {
    for (const p of await db.person.findMany({ where: { id: { in: unknown } }, select: personSelect })) people.set(p.id, p);
  }

  const stored: ReminderSpec[] = collected.map(({ organisationId, spec }) => {
    const person = spec.recipientId ? people.get(spec.recipientId) : undefined;
    const org = orgs.get(organisationId);
    const quiet: QuietHoursPerson | null = person
      ? { timeZone: person.timeZone ?? org?.timeZone ?? null, quietHoursStart: person.quietHoursStart, quietHoursEnd: person.quietHoursEnd }
      : null;
    const withSend = withSendAt(spec, quiet, horizon.now);
    return {
      organisationId,
      kind: withSend.kind,
      subjectType: withSend.subjectType,
      subjectId: withSend.subjectId,
      recipientKey: withSend.recipientKey,
      recipientId: withSend.recipientId ?? null,
      dueAt: withSend.dueAt,
      sendAt: withSend.sendAt,
      urgent: withSend.urgent,
    };
  });
  const created = await upsertReminders(db, await withoutExisting(db, stored), horizon.now);
  const byKind: Partial<Record<ReminderKind, number>> = {};
  for (const r of created) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  return { created: created.length, byKind };
}

/**
 * The specs whose reminder row does not exist yet. A policy keeps returning the latest step of a
 * chain that is already due (so a missed sweep still sends it), so most specs of a sweep already
 * have their row; one probe of the unique index for all of them costs far less than offering
 * them all to the insert again.
 */
async function withoutExisting(db: Db, specs: ReminderSpec[]): Promise<ReminderSpec[]> {
  if (specs.length === 0) return specs;
  const existing = await db.$queryRaw<Array<{ i: bigint | number }>>(Prisma.sql`
    SELECT k.i FROM unnest(
      ${specs.map((s) => s.kind)}::text[], ${specs.map((s) => s.subjectId)}::text[],
      ${specs.map((s) => s.recipientKey)}::text[], ${specs.map((s) => s.dueAt)}::timestamptz[]
    ) WITH ORDINALITY AS k(kind, "subjectId", "recipientKey", "dueAt", i)
    WHERE EXISTS (
      SELECT 1 FROM "Reminder" r
      WHERE r.kind = k.kind::"ReminderKind" AND r."subjectId" = k."subjectId"
        AND r."recipientKey" = k."recipientKey" AND r."dueAt" = k."dueAt"
    )
  `);
  const found = new Set(existing.map((row) => Number(row.i) - 1));
  return specs.filter((_, index) => !found.has(index));
}
