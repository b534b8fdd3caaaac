// The sweep: reads only the facts that can fall due before the horizon ends, turns them into
// reminder specs with the pure policies (src/domain/reminder-policy.ts), moves non-urgent ones
// out of each recipient's quiet hours, and stores them (idempotent on kind, subject, recipient
// and due time). Each query is bounded by time and status, so its cost grows with what is due,
// not with everything stored.
//
// Swept: sessions (day/hour before), action points (due soon, due, overdue), draft records
// (overdue), unclaimed requests (re-surfaced, escalated). Not yet: mandatory cadence,
// agreements, contracts, rebooking, line-manager nudges.
import type { Db } from '../db/client.js';
import type { ReminderKind } from '../db/generated/client.js';
import { orgSettingsSchema, resolveReminderTimings, type OrgSettings } from '../domain/org-settings.js';
import type { QuietHoursPerson } from '../domain/quiet-hours.js';
import {
  actionPointReminders,
  recordReminders,
  sessionReminders,
  unclaimedRequestReminders,
  URGENT_REQUEST_TIME_DIVISOR,
  withSendAt,
  type Horizon,
  type ReminderSpec as PolicySpec,
} from '../domain/reminder-policy.js';
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

type OrgRow = { id: string; timeZone: string; settings: unknown };

function settingsOf(org: OrgRow): OrgSettings {
  const parsed = orgSettingsSchema.safeParse(org.settings ?? {});
  return parsed.success ? parsed.data : orgSettingsSchema.parse({});
}

const personSelect = { id: true, timeZone: true, quietHoursStart: true, quietHoursEnd: true } as const;
type PersonRow = { id: string; timeZone: string | null; quietHoursStart: string | null; quietHoursEnd: string | null };

export async function sweepDueFacts(db: Db, options: SweepOptions): Promise<SweepResult> {
  const horizon: Horizon = { now: options.now, horizonEnd: new Date(options.now.getTime() + options.horizonMs) };
  const end = horizon.horizonEnd.getTime();

  const orgs = new Map<string, OrgRow>();
  const people = new Map<string, PersonRow>();
  const collected: Array<{ organisationId: string; spec: PolicySpec }> = [];
  const orgOf = async (id: string): Promise<{ org: OrgRow; settings: OrgSettings }> => {
    let org = orgs.get(id);
    if (!org) {
      org = (await db.organisation.findUniqueOrThrow({ where: { id }, select: { id: true, timeZone: true, settings: true } })) as OrgRow;
      orgs.set(id, org);
    }
    return { org, settings: settingsOf(org) };
  };

  // Organisations are few; their settings give the widest window of each query below (the
  // policies themselves then decide exactly what is due).
  const allOrgs = await db.organisation.findMany({ select: { id: true, timeZone: true, settings: true } });
  for (const org of allOrgs) {
    orgs.set(org.id, org as OrgRow);
  }
  const maxDueSoonDays = Math.max(3, ...allOrgs.map((o) => resolveReminderTimings(settingsOf(o as OrgRow)).actionDueSoonDays));
  const maxSessionLeadHours = Math.max(
    24,
    ...allOrgs.map((o) => Math.max(...resolveReminderTimings(settingsOf(o as OrgRow)).sessionReminderHoursBefore)),
  );
  const minResurfaceMinutes = Math.min(
    60,
    ...allOrgs.map((o) => Math.ceil(settingsOf(o as OrgRow).resurfaceUnclaimedAfterMinutes / URGENT_REQUEST_TIME_DIVISOR)),
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

  // Draft records due by the horizon end.
  const records = await db.supervisionRecord.findMany({
    where: { status: 'DRAFT', dueAt: { lte: horizon.horizonEnd } },
    select: { id: true, organisationId: true, status: true, dueAt: true, supervisor: { select: personSelect } },
  });
  for (const r of records) {
    people.set(r.supervisor.id, r.supervisor);
    for (const spec of recordReminders({ id: r.id, status: r.status, dueAt: r.dueAt!, supervisorId: r.supervisor.id }, horizon)) {
      collected.push({ organisationId: r.organisationId, spec });
    }
  }

  // Unclaimed requests old enough to be re-surfaced (urgent ones after a third of the time).
  const requests = await db.supervisionRequest.findMany({
    where: { status: 'OPEN', claimedById: null, createdAt: { lte: new Date(end - minResurfaceMinutes * MINUTE_MS) } },
    select: { id: true, organisationId: true, status: true, createdAt: true, urgency: true },
  });
  const headsByOrg = new Map<string, string[]>();
  for (const q of requests) {
    const { settings } = await orgOf(q.organisationId);
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
    for (const spec of unclaimedRequestReminders(q, heads, settings, horizon)) collected.push({ organisationId: q.organisationId, spec });
  }

  const stored: ReminderSpec[] = collected.map(({ organisationId, spec }) => {
    const person = spec.recipientId ? people.get(spec.recipientId) : undefined;
    const org = orgs.get(organisationId);
    const quiet: QuietHoursPerson | null = person
      ? { timeZone: person.timeZone ?? org?.timeZone ?? null, quietHoursStart: person.quietHoursStart, quietHoursEnd: person.quietHoursEnd }
      : null;
    const withSend = withSendAt(spec, quiet);
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
  const created = await upsertReminders(db, stored);
  const byKind: Partial<Record<ReminderKind, number>> = {};
  for (const r of created) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  return { created: created.length, byKind };
}
