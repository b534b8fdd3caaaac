import { DateTime } from 'luxon';
import { resolveReminderTimings as parseReminderTimings, type OrgSettings, type ReminderTimings } from './org-settings.js';
import { applyQuietHours, localMinuteOnDate, type QuietHoursPerson } from './quiet-hours.js';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from './time.js';
import { policyFor, type ResponsePolicies, type RoutePolicy } from './response-policy.js';
import { serviceDeadline } from './service-time.js';
import type { ServiceHours } from './org-settings.js';

/**
 * When each reminder falls due. One function per kind of fact; each takes the plain facts, the
 * organisation's settings and the sweep's horizon, and returns the reminder specs that are due
 * now or before the horizon ends and that still make sense for the facts as they stand. The
 * scheduler stores each spec as a reminder row under reminderKey(spec), so running a sweep
 * again returns the same specs and creates nothing twice. Pure.
 *
 * Reminders about one subject to one recipient form a chain (due soon → due → overdue → overdue
 * again…). Of a chain only the latest stage already due at `now` is returned (a sweep that
 * missed earlier stages sends the current one, never a backlog), plus every later stage due
 * before the horizon ends.
 */

export const REMINDER_KINDS = [
  'SESSION_DAY_BEFORE',
  'SESSION_HOUR_BEFORE',
  'MANDATORY_DUE',
  'MANDATORY_OVERDUE',
  'ACTION_DUE_SOON',
  'ACTION_DUE',
  'ACTION_OVERDUE',
  'RECORD_OVERDUE',
  'REQUEST_UNCLAIMED',
  'REQUEST_ESCALATED',
  'AGREEMENT_UNSIGNED',
  'CONTRACT_REVIEW',
  'REBOOK_AFTER_CANCELLATION',
  'LINE_MANAGER_NON_ATTENDANCE',
  'LINE_MANAGER_OVERDUE',
] as const;
export type ReminderKind = (typeof REMINDER_KINDS)[number];

/**
 * What a reminder is about: the table of its subject (subjectId is that row's id). One closed list
 * shared by every writer of reminder rows and by the sender's liveness check, so a misspelt type
 * does not compile. 'Person' is mandatory cadence (subjectId is the supervisee's id);
 * 'SessionAttendee' is non-attendance (subjectId is `${sessionId}:${personId}`).
 */
export const REMINDER_SUBJECT_TYPES = [
  'Session',
  'ActionPoint',
  'SupervisionRecord',
  'SupervisionRequest',
  'Agreement',
  'Person',
  'SessionAttendee',
] as const;
export type ReminderSubjectType = (typeof REMINDER_SUBJECT_TYPES)[number];

/** A subject type read back from the database is one this code knows (rows may predate or postdate it). */
export function isReminderSubjectType(value: string): value is ReminderSubjectType {
  return (REMINDER_SUBJECT_TYPES as readonly string[]).includes(value);
}

export interface ReminderSpec {
  kind: ReminderKind;
  subjectType: ReminderSubjectType;
  subjectId: string;
  /** "person:<id>" or "triage:<organisationId>". */
  recipientKey: string;
  recipientId?: string;
  /** When the policy says it is due, before quiet hours. */
  dueAt: Date;
  urgent: boolean;
}

export interface ReminderSpecWithSendAt extends ReminderSpec {
  sendAt: Date;
}

/** The sweep's window: specs due at or before horizonEnd are returned. */
export interface Horizon {
  now: Date;
  horizonEnd: Date;
}

export type PolicySettings = Pick<OrgSettings, 'rebookWithinDays' | 'contractReviewMonths'> & { reminders?: Partial<ReminderTimings> | undefined };

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

export function personRecipient(personId: string): string {
  return `person:${personId}`;
}

export function triageRecipient(organisationId: string): string {
  return `triage:${organisationId}`;
}

/** The unique key of a reminder row: kind, subject, recipient and due time. */
export function reminderKey(spec: Pick<ReminderSpec, 'kind' | 'subjectId' | 'recipientKey' | 'dueAt'>): string {
  return `${spec.kind}|${spec.subjectId}|${spec.recipientKey}|${spec.dueAt.toISOString()}`;
}

/**
 * The spec with the time it may be sent: out of the recipient's quiet hours unless urgent. A spec
 * already due at `now` (a sweep catching up) is sent now, so it is now, not its due time, that
 * must be outside the quiet hours. The worker checks again when it sends (deliver-reminder.ts).
 */
export function withSendAt(spec: ReminderSpec, person: QuietHoursPerson | null, now?: Date): ReminderSpecWithSendAt {
  if (!person || spec.urgent) return { ...spec, sendAt: spec.dueAt };
  const from = now && now.getTime() > spec.dueAt.getTime() ? now : spec.dueAt;
  const moved = applyQuietHours(from, person, false);
  return { ...spec, sendAt: moved.getTime() > from.getTime() ? moved : spec.dueAt };
}

const HOUR_MS = 60 * 60 * 1000;

function zoneOr(zone: string | null | undefined): string {
  return zone && isValidTimeZone(zone) ? zone : DEFAULT_TIME_ZONE;
}

function minutesOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** A local calendar date ('YYYY-MM-DD', or a Date read in `zone`) as a luxon date at midnight UTC. */
function calendarDate(value: string | Date, zone: string): DateTime {
  if (typeof value === 'string') {
    const d = DateTime.fromISO(value.slice(0, 10), { zone: 'utc' });
    if (!d.isValid) throw new RangeError(`not a date: ${value}`);
    return d;
  }
  const local = DateTime.fromJSDate(value, { zone });
  return DateTime.utc(local.year, local.month, local.day);
}

const timingsCache = new WeakMap<object, ReminderTimings>();

/** The reminder timings of a settings object, validated once per object (sweeps run a policy per fact). */
function resolveReminderTimings(settings: PolicySettings): ReminderTimings {
  let timings = timingsCache.get(settings);
  if (!timings) {
    timings = parseReminderTimings(settings);
    timingsCache.set(settings, timings);
  }
  return timings;
}

/** Local times already converted: many facts share a date, and zone arithmetic is the policies' main cost. */
const localTimeCache = new Map<string, number>();
const LOCAL_TIME_CACHE_SIZE = 20_000;

/** The instant of `timeOfDay` on a calendar date in `zone` (a time in a gap → the next valid minute). */
function atLocalTime(date: DateTime, timeOfDay: string, zone: string): Date {
  const key = `${zone}|${date.year}-${date.month}-${date.day}|${timeOfDay}`;
  let instant = localTimeCache.get(key);
  if (instant === undefined) {
    instant = localMinuteOnDate({ year: date.year, month: date.month, day: date.day }, minutesOfDay(timeOfDay), zone).toMillis();
    if (localTimeCache.size >= LOCAL_TIME_CACHE_SIZE) localTimeCache.clear();
    localTimeCache.set(key, instant);
  }
  return new Date(instant);
}

/**
 * Of a chain of reminders to one recipient about one subject, in time order: those due before
 * the horizon ends whose successor is not yet due at `now`.
 */
function currentStages(chain: ReminderSpec[], horizon: Horizon): ReminderSpec[] {
  const sorted = [...chain].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  const now = horizon.now.getTime();
  const end = horizon.horizonEnd.getTime();
  return sorted.filter((spec, i) => {
    if (spec.dueAt.getTime() > end) return false;
    const next = sorted[i + 1];
    return next === undefined || next.dueAt.getTime() > now;
  });
}

function spec(
  kind: ReminderKind,
  subjectType: ReminderSubjectType,
  subjectId: string,
  personId: string,
  dueAt: Date,
  urgent = false,
): ReminderSpec {
  return { kind, subjectType, subjectId, recipientKey: personRecipient(personId), recipientId: personId, dueAt, urgent };
}

function unique(ids: Iterable<string | null | undefined>): string[] {
  return [...new Set([...ids].filter((id): id is string => typeof id === 'string' && id.length > 0))];
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

export interface SessionFacts {
  id: string;
  status: string;
  startsAt: Date;
  attendeeIds: string[];
  supervisorId: string;
}

/**
 * SESSION_DAY_BEFORE and SESSION_HOUR_BEFORE (default 24 h and 1 h before the start) to every
 * attendee and the supervisor, only for a confirmed session that has not started. The day-before
 * reminder is dropped once the hour-before one is due (a session confirmed at short notice gets
 * only the hour-before one).
 */
export function sessionReminders(session: SessionFacts, settings: PolicySettings, horizon: Horizon): ReminderSpec[] {
  if (session.status !== 'CONFIRMED') return [];
  if (session.startsAt.getTime() <= horizon.now.getTime()) return [];
  const [dayBefore, hourBefore] = resolveReminderTimings(settings).sessionReminderHoursBefore;
  const start = session.startsAt.getTime();
  const out: ReminderSpec[] = [];
  for (const personId of unique([...session.attendeeIds, session.supervisorId])) {
    out.push(
      ...currentStages(
        [
          spec('SESSION_DAY_BEFORE', 'Session', session.id, personId, new Date(start - dayBefore * HOUR_MS)),
          spec('SESSION_HOUR_BEFORE', 'Session', session.id, personId, new Date(start - hourBefore * HOUR_MS)),
        ],
        horizon,
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------
// Action points
// ---------------------------------------------------------------------------

export interface ActionPointFacts {
  id: string;
  status: string;
  /** Local date for completion, 'YYYY-MM-DD' (or the @db.Date value, read as a UTC date). */
  dueOn: string | Date;
  ownerId: string;
  /** The supervisor of the record the point belongs to; null when there is none. */
  supervisorId: string | null;
  ownerTimeZone: string | null;
}

/**
 * To the owner: ACTION_DUE_SOON at 09:00 local (the owner's zone) N days before (default 3),
 * ACTION_DUE at 09:00 on the day, ACTION_OVERDUE at 09:00 the day after and then every 7 days.
 * The supervisor gets the ACTION_OVERDUE ones too (at the same instants). Nothing once DONE.
 */
export function actionPointReminders(point: ActionPointFacts, settings: PolicySettings, horizon: Horizon): ReminderSpec[] {
  if (point.status === 'DONE') return [];
  const timings = resolveReminderTimings(settings);
  const zone = zoneOr(point.ownerTimeZone);
  const dueOn = typeof point.dueOn === 'string' ? calendarDate(point.dueOn, zone) : calendarDate(point.dueOn, 'utc');
  const at = (date: DateTime) => atLocalTime(date, timings.reminderTimeOfDay, zone);
  const overdue = overdueSeries(dueOn.plus({ days: 1 }), timings.overdueRepeatDays, horizon, at);

  const owner: ReminderSpec[] = [
    spec('ACTION_DUE_SOON', 'ActionPoint', point.id, point.ownerId, at(dueOn.minus({ days: timings.actionDueSoonDays }))),
    spec('ACTION_DUE', 'ActionPoint', point.id, point.ownerId, at(dueOn)),
    ...overdue.map((d) => spec('ACTION_OVERDUE', 'ActionPoint', point.id, point.ownerId, d)),
  ];
  const out = currentStages(owner, horizon);
  if (point.supervisorId && point.supervisorId !== point.ownerId) {
    const supervisorId = point.supervisorId;
    out.push(...currentStages(overdue.map((d) => spec('ACTION_OVERDUE', 'ActionPoint', point.id, supervisorId, d)), horizon));
  }
  return out;
}

/**
 * The repeats of a weekly (every `everyDays`) reminder starting on `first`: the last one at or
 * before now and every one up to the horizon's end, without walking the whole past.
 */
function overdueSeries(first: DateTime, everyDays: number, horizon: Horizon, at: (date: DateTime) => Date): Date[] {
  const nowDate = DateTime.fromJSDate(horizon.now, { zone: 'utc' }).startOf('day');
  const elapsedDays = Math.floor(nowDate.diff(first, 'days').days);
  let k = Math.max(0, Math.floor(elapsedDays / everyDays) - 1);
  const out: Date[] = [];
  const end = horizon.horizonEnd.getTime();
  for (;;) {
    const d = at(first.plus({ days: k * everyDays }));
    if (d.getTime() > end) break;
    out.push(d);
    k += 1;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

export interface RecordFacts {
  id: string;
  /** DRAFT, AWAITING_SIGNATURES or SIGNED; null when the record has not been started. */
  status: string | null;
  /** When the record should be complete (session end + recordDueHours, src/domain/records.ts). */
  dueAt: Date;
  supervisorId: string;
}

/**
 * RECORD_OVERDUE at the record's due time to the supervisor, while it is still a draft (or
 * missing). For a record that belongs to no session (a session's record is reminded through
 * its session: sessionRecordReminders).
 */
export function recordReminders(record: RecordFacts, horizon: Horizon): ReminderSpec[] {
  if (record.status !== null && record.status !== 'DRAFT') return [];
  return currentStages([spec('RECORD_OVERDUE', 'SupervisionRecord', record.id, record.supervisorId, record.dueAt)], horizon);
}

export interface SessionRecordFacts {
  sessionId: string;
  /** The session's status: only a session that took place (CONFIRMED or AWAITING_RECORD) is waiting for its record. */
  sessionStatus: string;
  /** The status of the session's record; null when nobody has started it. */
  recordStatus: string | null;
  /** Session end + recordDueHours (recordDueAt in src/domain/records.ts). */
  dueAt: Date;
  supervisorId: string;
}

/** Session statuses in which a session has (or had) a confirmed time and is waiting for its record. */
export const AWAITING_RECORD_STATUSES: readonly string[] = ['CONFIRMED', 'AWAITING_RECORD'];

/**
 * RECORD_OVERDUE to the supervisor at the record's due time (seeds 002: recorded within 24 h),
 * about the session, whether or not a record has been started: due while the record is missing
 * or still a draft (not yet written and sent for signing). The subject is the session, so a
 * draft opened after the reminder went out does not make a second one.
 */
export function sessionRecordReminders(facts: SessionRecordFacts, horizon: Horizon): ReminderSpec[] {
  if (!AWAITING_RECORD_STATUSES.includes(facts.sessionStatus)) return [];
  if (facts.recordStatus !== null && facts.recordStatus !== 'DRAFT') return [];
  return currentStages([spec('RECORD_OVERDUE', 'Session', facts.sessionId, facts.supervisorId, facts.dueAt)], horizon);
}

// ---------------------------------------------------------------------------
// Unclaimed requests
// ---------------------------------------------------------------------------

export interface RequestFacts {
  id: string;
  organisationId: string;
  status: string;
  createdAt: Date;
  urgency: string;
  /** 'ADVICE' or 'SUPERVISION': with the urgency, which route's response policy applies. */
  route: string;
}

/** The organisation's clock for unclaimed requests: its response policies counted in its service hours. */
export interface ServiceClock {
  policies: ResponsePolicies;
  serviceHours: ServiceHours;
  timeZone: string;
}

/**
 * When an unclaimed request is re-surfaced and escalated: the route's times in service minutes
 * from its creation, so a request at 16:30 on a Friday with a 60-minute re-surface time comes
 * back at 09:30 on Monday, not at 17:30 to an empty office (serviceDeadline: the wall clock only
 * when there are no service hours at all).
 */
export function unclaimedDueTimes(createdAt: Date, policy: RoutePolicy, clock: Pick<ServiceClock, 'serviceHours' | 'timeZone'>): { resurfaceAt: Date; escalateAt: Date } {
  return {
    resurfaceAt: serviceDeadline(createdAt, policy.resurfaceAfterMinutes, clock.serviceHours, clock.timeZone),
    escalateAt: serviceDeadline(createdAt, policy.escalateAfterMinutes, clock.serviceHours, clock.timeZone),
  };
}

/**
 * REQUEST_UNCLAIMED to the triage channel after the route's resurfaceAfterMinutes, then
 * REQUEST_ESCALATED to each Head of Safeguarding after its escalateAfterMinutes, both in service
 * time, while the request is OPEN (nobody has claimed it, and it is not closed). An URGENT
 * request follows the urgent policy and its reminders are urgent (no quiet hours); out of service
 * hours the 24/7 routes the requester was given carry it.
 */
export function unclaimedRequestReminders(request: RequestFacts, headIds: string[], clock: ServiceClock, horizon: Horizon): ReminderSpec[] {
  if (request.status !== 'OPEN') return [];
  const urgent = request.urgency === 'URGENT';
  const { resurfaceAt, escalateAt } = unclaimedDueTimes(request.createdAt, policyFor(clock.policies, request.urgency, request.route), clock);
  const out = currentStages(
    [
      {
        kind: 'REQUEST_UNCLAIMED',
        subjectType: 'SupervisionRequest',
        subjectId: request.id,
        recipientKey: triageRecipient(request.organisationId),
        dueAt: resurfaceAt,
        urgent,
      },
    ],
    horizon,
  );
  for (const headId of unique(headIds)) {
    out.push(...currentStages([spec('REQUEST_ESCALATED', 'SupervisionRequest', request.id, headId, escalateAt, urgent)], horizon));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Mandatory supervision cadence
// ---------------------------------------------------------------------------

export interface CadencePerson {
  id: string;
  lineManagerId: string | null;
  supervisorIds?: string[] | null;
  lastAttendedAt: Date | null;
  joinedAt: Date;
}

export interface CadenceRequirement {
  sessionsPerYear?: number | null;
  intervalMonths?: number | null;
}

/**
 * A mandatory cadence. The one rule, shared by the reminders, the report and the README: a
 * cadence of n sessions a year lasts exactly 365 / n days (intervalMonths m is n = 12 / m), and
 * a person is due on the local day on which that time, counted from the start of the day of
 * their last attended session (or joining), runs out:
 * - when 12 / n is a whole number of months, that many calendar months later (the time runs
 *   out at a midnight: 3 months after 15 January is 15 April);
 * - otherwise floor(365 / n) days later: 10 a year is 36.5 days, which runs out at noon on the
 *   36th day, so the session is due on that day.
 * `months`/`days` are that calendar step; `perYear` is n, exactly (the report's pro rata).
 */
export interface CadenceInterval {
  months: number;
  days: number;
  perYear: number;
}

/** Days in the cadence's year: n sessions a year last 365 / n days each. */
export const CADENCE_YEAR_DAYS = 365;

/** The cadence of a requirement (see CadenceInterval). Null when it has none (on request). */
export function cadenceInterval(requirement: CadenceRequirement): CadenceInterval | null {
  if (requirement.intervalMonths && requirement.intervalMonths > 0) {
    return { months: requirement.intervalMonths, days: 0, perYear: 12 / requirement.intervalMonths };
  }
  const perYear = requirement.sessionsPerYear;
  if (!perYear || perYear <= 0) return null;
  if (Number.isInteger(12 / perYear)) return { months: 12 / perYear, days: 0, perYear };
  return { months: 0, days: Math.max(1, Math.floor(CADENCE_YEAR_DAYS / perYear)), perYear };
}

/** How many days a cadence lasts, exactly: 365 / sessions a year (36.5 for 10 a year). */
export function cadenceDays(interval: CadenceInterval): number {
  return CADENCE_YEAR_DAYS / interval.perYear;
}

export interface MandatoryRequirementFacts extends CadenceRequirement {
  kind: string;
  format: string;
}

/**
 * Of a staff group's requirements, the one that sets the mandatory cadence: the most frequent
 * MANDATORY requirement with a cadence (individual before group on a tie). A session of any
 * format counts towards it. Null when the group has none (supervision on request).
 */
export function mandatoryRequirement<R extends MandatoryRequirementFacts>(requirements: readonly R[]): R | null {
  let best: { requirement: R; days: number } | null = null;
  for (const requirement of requirements) {
    if (requirement.kind !== 'MANDATORY') continue;
    const interval = cadenceInterval(requirement);
    if (!interval) continue;
    const days = cadenceDays(interval);
    const better =
      !best || days < best.days || (days === best.days && requirement.format === 'INDIVIDUAL' && best.requirement.format !== 'INDIVIDUAL');
    if (better) best = { requirement, days };
  }
  return best?.requirement ?? null;
}

/**
 * The date the next mandatory session is due, in `zone`: the local date of the last attended
 * session (or joining) plus the cadence (cadenceInterval). Null when the requirement has no cadence.
 */
export function mandatoryDueDate(person: CadencePerson, requirement: CadenceRequirement, zone: string): DateTime | null {
  const interval = cadenceInterval(requirement);
  if (!interval) return null;
  const from = calendarDate(person.lastAttendedAt ?? person.joinedAt, zoneOr(zone));
  return from.plus({ months: interval.months, days: interval.days });
}

/**
 * MANDATORY_DUE to the supervisee N days (default 14) before the due date, MANDATORY_OVERDUE
 * to them on it, MANDATORY_OVERDUE to the supervisor(s) 7 days after it and LINE_MANAGER_OVERDUE
 * to the line manager 14 days after it (a message with attendance facts only). All at 09:00
 * local in `zone` (the supervisee's). A new attended session moves the due date, so the old
 * chain is no longer returned.
 */
export function mandatoryCadenceReminders(
  person: CadencePerson,
  requirement: CadenceRequirement,
  settings: PolicySettings,
  zone: string,
  horizon: Horizon,
): ReminderSpec[] {
  const z = zoneOr(zone);
  const due = mandatoryDueDate(person, requirement, z);
  if (!due) return [];
  const timings = resolveReminderTimings(settings);
  const at = (date: DateTime) => atLocalTime(date, timings.reminderTimeOfDay, z);
  const out = currentStages(
    [
      spec('MANDATORY_DUE', 'Person', person.id, person.id, at(due.minus({ days: timings.mandatoryDueSoonDays }))),
      spec('MANDATORY_OVERDUE', 'Person', person.id, person.id, at(due)),
    ],
    horizon,
  );
  const supervisorAt = at(due.plus({ days: timings.mandatoryOverdueSupervisorDays }));
  for (const supervisorId of unique(person.supervisorIds ?? [])) {
    if (supervisorId === person.id) continue;
    out.push(...currentStages([spec('MANDATORY_OVERDUE', 'Person', person.id, supervisorId, supervisorAt)], horizon));
  }
  if (person.lineManagerId && person.lineManagerId !== person.id) {
    const lineManagerAt = at(due.plus({ days: timings.mandatoryOverdueLineManagerDays }));
    out.push(...currentStages([spec('LINE_MANAGER_OVERDUE', 'Person', person.id, person.lineManagerId, lineManagerAt)], horizon));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Agreements and contracts
// ---------------------------------------------------------------------------

export interface AgreementFacts {
  id: string;
  status: string;
  /** When the agreement was offered for signature. */
  createdAt: Date;
  /** The parties who have not signed the current version. */
  unsignedPartyIds: string[];
}

/**
 * AGREEMENT_UNSIGNED to each party who has not signed, agreementUnsignedAfterHours (default 24)
 * after it was offered, while it is AWAITING_SIGNATURES.
 */
export function agreementReminders(agreement: AgreementFacts, settings: PolicySettings, horizon: Horizon): ReminderSpec[] {
  if (agreement.status !== 'AWAITING_SIGNATURES') return [];
  const dueAt = new Date(agreement.createdAt.getTime() + resolveReminderTimings(settings).agreementUnsignedAfterHours * HOUR_MS);
  return unique(agreement.unsignedPartyIds).flatMap((personId) =>
    currentStages([spec('AGREEMENT_UNSIGNED', 'Agreement', agreement.id, personId, dueAt)], horizon),
  );
}

export interface ContractFacts {
  id: string;
  status: string;
  /** The review date stored with the contract; when null, signedAt + contractReviewMonths. */
  reviewDue: Date | null;
  signedAt: Date | null;
  partyIds: string[];
}

/**
 * CONTRACT_REVIEW to every party contractReviewNoticeDays (default 14) before the review date
 * (reviewDue, or the signing date plus contractReviewMonths, default 12), for a SIGNED contract
 * only (a superseded one has been replaced, an unsigned one gets AGREEMENT_UNSIGNED).
 */
export function contractReviewReminders(contract: ContractFacts, settings: PolicySettings, horizon: Horizon): ReminderSpec[] {
  if (contract.status !== 'SIGNED') return [];
  const reviewDue =
    contract.reviewDue ??
    (contract.signedAt
      ? DateTime.fromJSDate(contract.signedAt, { zone: 'utc' }).plus({ months: settings.contractReviewMonths }).toJSDate()
      : null);
  if (!reviewDue) return [];
  const notice = resolveReminderTimings(settings).contractReviewNoticeDays;
  const dueAt = DateTime.fromJSDate(reviewDue, { zone: 'utc' }).minus({ days: notice }).toJSDate();
  return unique(contract.partyIds).flatMap((personId) =>
    currentStages([spec('CONTRACT_REVIEW', 'Agreement', contract.id, personId, dueAt)], horizon),
  );
}

// ---------------------------------------------------------------------------
// Rebooking after a cancellation
// ---------------------------------------------------------------------------

export interface CancelledSessionFacts {
  id: string;
  status: string;
  cancelledById: string | null;
  cancelledAt: Date | null;
  /** The rebooking deadline stored at cancellation; when null, cancelledAt + rebookWithinDays. */
  rebookBy: Date | null;
  /** Whether a new session has been booked in its place. */
  rebooked: boolean;
}

export interface SessionBookingFacts {
  status: string;
  format: string;
  createdAt: Date;
  attendeeIds: readonly string[];
  supervisorId: string;
  /** The supervision request the session was booked for; null for one booked without (mandatory cadence). */
  requestId: string | null;
}

export interface CancelledBookingFacts {
  format: string;
  cancelledAt: Date;
  attendeeIds: readonly string[];
  supervisorId: string;
  requestId: string | null;
}

/**
 * Whether `candidate` rebooks the cancelled session. It must be booked after the cancellation
 * (created at or after it), not be declined or cancelled itself, and serve what the cancelled
 * session served:
 * - the same request: both were booked for the same supervision request (whoever supervises it); or
 * - the same supervision relationship: the same supervisor, the same format and at least one of
 *   the same supervisees, booked for no request or for the cancelled session's own request (a
 *   session for another request serves that request, not this one).
 */
export function isRebooking(cancelled: CancelledBookingFacts, candidate: SessionBookingFacts): boolean {
  if (candidate.status === 'DECLINED' || candidate.status === 'CANCELLED') return false;
  if (candidate.createdAt.getTime() < cancelled.cancelledAt.getTime()) return false;
  if (cancelled.requestId !== null && candidate.requestId === cancelled.requestId) return true;
  if (candidate.requestId !== null && candidate.requestId !== cancelled.requestId) return false;
  if (candidate.supervisorId !== cancelled.supervisorId || candidate.format !== cancelled.format) return false;
  return candidate.attendeeIds.some((id) => cancelled.attendeeIds.includes(id));
}

/**
 * REBOOK_AFTER_CANCELLATION to whoever cancelled, every rebookReminderEveryDays (default 7)
 * after the cancellation, while the deadline has not passed and nothing has been rebooked.
 */
export function rebookReminders(session: CancelledSessionFacts, settings: PolicySettings, horizon: Horizon): ReminderSpec[] {
  if (session.status !== 'CANCELLED' || session.rebooked || !session.cancelledById || !session.cancelledAt) return [];
  const cancelledAt = DateTime.fromJSDate(session.cancelledAt, { zone: 'utc' });
  const rebookBy = session.rebookBy ?? cancelledAt.plus({ days: settings.rebookWithinDays }).toJSDate();
  if (rebookBy.getTime() <= horizon.now.getTime()) return [];
  const every = resolveReminderTimings(settings).rebookReminderEveryDays;
  const chain: ReminderSpec[] = [];
  for (let k = 1; ; k++) {
    const dueAt = cancelledAt.plus({ days: k * every }).toJSDate();
    if (dueAt.getTime() >= rebookBy.getTime()) break;
    chain.push(spec('REBOOK_AFTER_CANCELLATION', 'Session', session.id, session.cancelledById, dueAt));
  }
  return currentStages(chain, horizon);
}

// ---------------------------------------------------------------------------
// Non-attendance
// ---------------------------------------------------------------------------

export interface NonAttendanceFacts {
  sessionId: string;
  personId: string;
  /** ATTENDED, DID_NOT_ATTEND, APOLOGIES or null (not recorded). */
  attendance: string | null;
  lineManagerId: string | null;
  /** When the non-attendance was recorded (the notice to the supervisee is due then). */
  recordedAt: Date;
  /**
   * When the supervisee was told that their line manager will be informed: the time the
   * notice to them was sent (seeds 001, "only after informing you"); null until then.
   */
  superviseeToldAt: Date | null;
}

/**
 * Repeated non-attendance is an exception to the confidentiality of supervision (seeds 001, the
 * contract): from this many sessions in a row not attended, the line manager's nudge says so and
 * the safeguarding team sees it in the overdue view. Attendance facts only.
 */
export const REPEATED_NON_ATTENDANCE = 2;

/**
 * How many sessions in a row a person did not attend, counted back from the latest: their
 * recorded attendances in time order (oldest first); sessions with no attendance recorded are
 * left out, and "apologies" or "attended" ends the run.
 */
export function consecutiveNonAttendance(attendances: ReadonlyArray<{ attendance: string | null }>): number {
  let run = 0;
  for (let i = attendances.length - 1; i >= 0; i--) {
    const attendance = attendances[i]!.attendance;
    if (attendance === null) continue;
    if (attendance !== 'DID_NOT_ATTEND') break;
    run += 1;
  }
  return run;
}

/** The subject id of a non-attendance: one attendee of one session. */
export function sessionAttendeeSubject(sessionId: string, personId: string): string {
  return `${sessionId}:${personId}`;
}

/** The session and person of a SessionAttendee subject id, or null when it is not one. */
export function parseSessionAttendeeSubject(subjectId: string): { sessionId: string; personId: string } | null {
  const [sessionId, personId, ...rest] = subjectId.split(':');
  return sessionId && personId && rest.length === 0 ? { sessionId, personId } : null;
}

/**
 * A supervisee who did not attend, and has a line manager: first LINE_MANAGER_NON_ATTENDANCE to
 * the supervisee themselves when it is recorded (the notice that their line manager will be told
 * of the attendance), then, only once that notice has been sent, LINE_MANAGER_NON_ATTENDANCE to
 * the line manager (seeds 001: inform the line manager only after informing the supervisee).
 * Both carry attendance facts only.
 */
export function nonAttendanceReminders(fact: NonAttendanceFacts, horizon: Horizon): ReminderSpec[] {
  if (fact.attendance !== 'DID_NOT_ATTEND' || !fact.lineManagerId || fact.lineManagerId === fact.personId) return [];
  const subject = sessionAttendeeSubject(fact.sessionId, fact.personId);
  const out = currentStages([spec('LINE_MANAGER_NON_ATTENDANCE', 'SessionAttendee', subject, fact.personId, fact.recordedAt)], horizon);
  out.push(...nonAttendanceNudge(fact, horizon));
  return out;
}

/**
 * The line manager's part of nonAttendanceReminders alone: due when the supervisee was told,
 * and nothing before.
 */
export function nonAttendanceNudge(fact: NonAttendanceFacts, horizon: Horizon): ReminderSpec[] {
  if (fact.attendance !== 'DID_NOT_ATTEND' || !fact.superviseeToldAt || !fact.lineManagerId) return [];
  if (fact.lineManagerId === fact.personId) return [];
  return currentStages(
    [spec('LINE_MANAGER_NON_ATTENDANCE', 'SessionAttendee', sessionAttendeeSubject(fact.sessionId, fact.personId), fact.lineManagerId, fact.superviseeToldAt)],
    horizon,
  );
}

// ---------------------------------------------------------------------------
// Is a stored reminder still wanted?
// ---------------------------------------------------------------------------

/**
 * Whether the policy, given the facts as they stand now, still produces this reminder (same
 * kind, recipient and due time). Used before sending reminders whose due time depends on facts
 * that may have moved since the sweep (mandatory cadence: a session attended since moves the
 * due date, so the old chain is no longer produced).
 */
export function stillProduced(
  reminder: Pick<ReminderSpec, 'kind' | 'recipientKey' | 'dueAt'>,
  produce: (horizon: Horizon) => ReminderSpec[],
): boolean {
  const at = reminder.dueAt;
  return produce({ now: at, horizonEnd: at }).some(
    (s) => s.kind === reminder.kind && s.recipientKey === reminder.recipientKey && s.dueAt.getTime() === at.getTime(),
  );
}
