import { DateTime, IANAZone } from 'luxon';
import { DomainError } from './errors.js';
import { isValidTimeZone } from './time.js';

/**
 * Booking rules for supervision sessions: turning a local date and time into an instant
 * (daylight saving included), session lengths, clashes, capacity, the session's states,
 * the rebooking deadline after a cancellation, and who may do what with a session.
 * Pure: the flows load the facts and store the results.
 */

export type SupervisionFormat = 'INDIVIDUAL' | 'GROUP';
export type SessionStatus = 'PROPOSED' | 'CONFIRMED' | 'AWAITING_RECORD' | 'DECLINED' | 'CANCELLED' | 'COMPLETED';

export const SESSION_STATUS_LABELS: Record<SessionStatus, string> = {
  PROPOSED: 'Proposed, waiting for the supervisor',
  CONFIRMED: 'Confirmed',
  AWAITING_RECORD: 'Held, record not yet signed',
  DECLINED: 'Declined',
  CANCELLED: 'Cancelled',
  COMPLETED: 'Completed',
};

/** The locale of every date the bot writes, whatever the server's default locale is. */
const LOCALE = 'en-GB';
const LONG_DAY = 'cccc d LLLL yyyy';

// ---------------------------------------------------------------------------
// Local date and time
// ---------------------------------------------------------------------------

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function localParts(date: string, time: string, zone: string): LocalParts {
  if (typeof zone !== 'string' || !isValidTimeZone(zone)) {
    throw new DomainError('INVALID_TIME', 'The time zone is not a known one, so the time cannot be worked out.');
  }
  const d = typeof date === 'string' ? DATE_PATTERN.exec(date.trim()) : null;
  if (!d) throw new DomainError('INVALID_TIME', 'Write the date as YYYY-MM-DD, for example 2026-03-05.');
  const t = typeof time === 'string' ? TIME_PATTERN.exec(time.trim()) : null;
  if (!t) throw new DomainError('INVALID_TIME', 'Write the time as HH:mm on the 24-hour clock, for example 14:30.');
  const parts = { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), hour: Number(t[1]), minute: Number(t[2]) };
  if (!DateTime.utc(parts.year, parts.month, parts.day).isValid) {
    throw new DomainError('INVALID_TIME', `${date.trim()} is not a real date.`);
  }
  return parts;
}

/**
 * Every instant at which the wall clock in `zone` reads this local time: none in a
 * daylight-saving gap, two in an overlap (earliest first), otherwise one.
 */
function occurrencesOf(parts: LocalParts, zone: string): { instants: number[]; wall: number; offsets: number[] } {
  const ianaZone = IANAZone.create(zone);
  // The local time read as if it were UTC; subtracting a candidate offset gives an instant.
  const wall = DateTime.utc(parts.year, parts.month, parts.day, parts.hour, parts.minute).toMillis();
  const offsets = new Set<number>();
  // Sample the offsets in force around that moment (wide enough for a whole skipped day).
  for (let hours = -36; hours <= 36; hours += 3) offsets.add(ianaZone.offset(wall + hours * 3_600_000));
  const instants = new Set<number>();
  for (const offset of offsets) {
    const instant = wall - offset * 60_000;
    if (ianaZone.offset(instant) === offset) instants.add(instant);
  }
  return { instants: [...instants].sort((a, b) => a - b), wall, offsets: [...offsets] };
}

/** Every instant at which this local time happens in `zone` (0 in a gap, 2 in an overlap). */
export function localTimeOccurrences(date: string, time: string, zone: string): Date[] {
  return occurrencesOf(localParts(date, time, zone), zone).instants.map((ms) => new Date(ms));
}

/**
 * True when the local time happens twice, because the clocks go back during it (for
 * example 01:30 on 25 October 2026 in Europe/London, once in BST and once in GMT).
 * `parseLocalDateTime` takes the first; the UI can say so. Malformed input throws as in
 * `parseLocalDateTime`; a time in a gap is not ambiguous (it does not happen at all).
 */
export function isAmbiguousLocalTime(date: string, time: string, zone: string): boolean {
  return localTimeOccurrences(date, time, zone).length > 1;
}

/**
 * A local time that does not exist because the clocks go forward: the refusal, with the time
 * to use instead as data (the form offers it as a button; pressing it is checked again here).
 */
export class NonexistentLocalTimeError extends DomainError {
  constructor(
    message: string,
    /** The local date (YYYY-MM-DD) and time (HH:mm) a clock that was not changed would show, and how the refusal names it. */
    readonly suggestion: { date: string; time: string; label: string },
  ) {
    super('INVALID_TIME', message);
  }
}

/**
 * The instant of a local date (YYYY-MM-DD) and time (HH:mm) in an IANA zone. A time that
 * does not exist because the clocks go forward is refused with the time to use instead
 * (NonexistentLocalTimeError); a time that happens twice because the clocks go back is taken
 * at its first occurrence.
 */
export function parseLocalDateTime(date: string, time: string, zone: string): Date {
  const parts = localParts(date, time, zone);
  const { instants, wall, offsets } = occurrencesOf(parts, zone);
  if (instants.length > 0) return new Date(instants[0]!);

  // In a gap: the same reading under the offset before the change is the time to suggest,
  // as a clock that was not changed would show it (01:30 GMT reads 02:30 BST).
  const before = Math.min(...offsets);
  const asked = DateTime.fromMillis(wall, { zone: 'utc' }).setLocale(LOCALE);
  const suggestion = DateTime.fromMillis(wall - before * 60_000, { zone }).setLocale(LOCALE);
  const sameDay = suggestion.toISODate() === asked.toISODate();
  const label = `${suggestion.toFormat('HH:mm')}${sameDay ? '' : ` on ${suggestion.toFormat(LONG_DAY)}`}`;
  throw new NonexistentLocalTimeError(
    `${asked.toFormat('HH:mm')} on ${asked.toFormat(LONG_DAY)} does not exist in ${zone}, because the clocks go forward. Did you mean ${label}?`,
    { date: suggestion.toISODate()!, time: suggestion.toFormat('HH:mm'), label },
  );
}

// ---------------------------------------------------------------------------
// Session length and slots
// ---------------------------------------------------------------------------

/**
 * Shortest and longest session. Seeds 002 gives 30 minutes to 2 hours, but the supervision
 * matrix (seeds 000) has 2.5-hour sessions for the Head of Safeguarding, so the bot allows
 * 15 minutes to 3 hours and leaves the usual lengths to the matrix.
 */
export const MIN_SESSION_MINUTES = 15;
export const MAX_SESSION_MINUTES = 180;

/** Seeds 000 section 6.1: individual sessions about an hour, group sessions 1.5 hours. */
export const DEFAULT_DURATION_MINUTES: Record<SupervisionFormat, number> = { INDIVIDUAL: 60, GROUP: 90 };

/** The matrix row's session length when there is one (a positive whole number), else the policy default. */
export function defaultDurationMinutes(format: SupervisionFormat, requirementDuration?: number | null): number {
  if (typeof requirementDuration === 'number' && Number.isInteger(requirementDuration) && requirementDuration > 0) {
    return requirementDuration;
  }
  return DEFAULT_DURATION_MINUTES[format];
}

function describeMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const hours = h === 0 ? '' : h === 1 ? '1 hour' : `${h} hours`;
  const mins = m === 0 ? '' : `${m} minutes`;
  return [hours, mins].filter(Boolean).join(' ') || '0 minutes';
}

function assertValidInstant(value: Date, what: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new DomainError('INVALID_TIME', `The ${what} is not a valid time.`);
  }
}

/** Refuse a session length that is not a whole number of minutes between 15 and 180. */
export function assertDuration(durationMinutes: number): void {
  if (typeof durationMinutes !== 'number' || !Number.isInteger(durationMinutes)) {
    throw new DomainError('INVALID_TIME', 'The session length must be a whole number of minutes.');
  }
  if (durationMinutes < MIN_SESSION_MINUTES || durationMinutes > MAX_SESSION_MINUTES) {
    throw new DomainError(
      'INVALID_TIME',
      `A session must last between ${describeMinutes(MIN_SESSION_MINUTES)} and ${describeMinutes(MAX_SESSION_MINUTES)}; ` +
        `${durationMinutes} minutes is too ${durationMinutes < MIN_SESSION_MINUTES ? 'short' : 'long'}.`,
    );
  }
}

/** A proposed slot: not in the past, of an allowed length; gives its end. */
export function validateSlot(slot: { startsAt: Date; durationMinutes: number }, now: Date): { startsAt: Date; endsAt: Date } {
  assertValidInstant(slot.startsAt, 'start');
  if (slot.startsAt.getTime() < now.getTime()) {
    throw new DomainError('INVALID_TIME', 'That time has already passed; choose a time in the future.');
  }
  assertDuration(slot.durationMinutes);
  return {
    startsAt: new Date(slot.startsAt.getTime()),
    endsAt: new Date(slot.startsAt.getTime() + slot.durationMinutes * 60_000),
  };
}

/** A slot given by its start and end: the end must come after the start. */
export function validateSlotRange(startsAt: Date, endsAt: Date): void {
  assertValidInstant(startsAt, 'start');
  assertValidInstant(endsAt, 'end');
  if (endsAt.getTime() < startsAt.getTime()) throw new DomainError('INVALID_TIME', 'The end is before the start.');
  if (endsAt.getTime() === startsAt.getTime()) {
    throw new DomainError('INVALID_TIME', 'The end is the same as the start; give the session a length.');
  }
}

export interface BusySlot {
  id: string;
  startsAt: Date;
  endsAt: Date;
}

const overlaps = (a: { startsAt: Date; endsAt: Date }, b: { startsAt: Date; endsAt: Date }) =>
  a.startsAt.getTime() < b.endsAt.getTime() && b.startsAt.getTime() < a.endsAt.getTime();

/**
 * The busy slot this one overlaps (the earliest, if several), or null. Back-to-back is
 * fine: a session ending at 10:00 does not clash with one starting at 10:00. Leave the
 * session being moved out of `busy`.
 */
export function findClash(slot: { startsAt: Date; endsAt: Date }, busy: readonly BusySlot[]): string | null {
  let found: BusySlot | null = null;
  for (const other of busy) {
    if (!overlaps(slot, other)) continue;
    if (found === null || other.startsAt.getTime() < found.startsAt.getTime()) found = other;
  }
  return found?.id ?? null;
}

/** "from 10:00 to 11:00 on Tuesday 3 March 2026", or with both days when it spans midnight. */
export function describeSlot(slot: { startsAt: Date; endsAt: Date }, zone: string): string {
  const start = DateTime.fromJSDate(slot.startsAt, { zone }).setLocale(LOCALE);
  const end = DateTime.fromJSDate(slot.endsAt, { zone }).setLocale(LOCALE);
  if (start.hasSame(end, 'day')) {
    return `from ${start.toFormat('HH:mm')} to ${end.toFormat('HH:mm')} on ${start.toFormat(LONG_DAY)}`;
  }
  return `from ${start.toFormat('HH:mm')} on ${start.toFormat(LONG_DAY)} to ${end.toFormat('HH:mm')} on ${end.toFormat(LONG_DAY)}`;
}

/**
 * Refuse a slot that overlaps a busy one, saying which (times in `zone`). `who` starts the
 * sentence: "The supervisor", "Sam Patel", "You".
 */
export function assertNoClash(
  slot: { startsAt: Date; endsAt: Date },
  busy: readonly BusySlot[],
  zone: string,
  who = 'The supervisor',
): void {
  const id = findClash(slot, busy);
  if (id === null) return;
  const clash = busy.find((b) => b.id === id)!;
  throw new DomainError('SLOT_TAKEN', `${who} already ${who === 'You' ? 'have' : 'has'} a session ${describeSlot(clash, zone)}.`);
}

// ---------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------

export const MIN_GROUP_CAPACITY = 2;
export const MAX_GROUP_CAPACITY = 30;
/** A group's room when the matrix gives no typical size. */
export const DEFAULT_GROUP_CAPACITY = 6;

/** An individual session has room for exactly one supervisee; a group for 2 to 30. */
export function assertCapacityValue(format: SupervisionFormat, capacity: number): void {
  if (format === 'INDIVIDUAL') {
    if (capacity !== 1) {
      throw new DomainError('INVALID_INPUT', 'An individual session is for one supervisee, so its capacity is 1.');
    }
    return;
  }
  if (!Number.isInteger(capacity) || capacity < MIN_GROUP_CAPACITY || capacity > MAX_GROUP_CAPACITY) {
    throw new DomainError(
      'INVALID_INPUT',
      `A group session must have room for between ${MIN_GROUP_CAPACITY} and ${MAX_GROUP_CAPACITY} supervisees.`,
    );
  }
}

/**
 * The capacity is allowed for the format, and the supervisees fit: exactly one for an
 * individual session; at least one and at most the capacity for a group.
 */
export function assertCapacity(format: SupervisionFormat, capacity: number, attendeeCount: number): void {
  assertCapacityValue(format, capacity);
  if (format === 'INDIVIDUAL') {
    if (attendeeCount < 1) throw new DomainError('INVALID_INPUT', 'An individual session needs a supervisee.');
    if (attendeeCount > 1) {
      throw new DomainError(
        'OVER_CAPACITY',
        'An individual session is for one supervisee; book a group session for two or more.',
      );
    }
    return;
  }
  if (attendeeCount < 1) throw new DomainError('INVALID_INPUT', 'A group session needs at least one supervisee.');
  if (attendeeCount > capacity) {
    throw new DomainError(
      'OVER_CAPACITY',
      `This group session has room for ${capacity} supervisees, not ${attendeeCount}.`,
    );
  }
}

// ---------------------------------------------------------------------------
// The session's states
// ---------------------------------------------------------------------------

/** Why a session in this state cannot take the step, for the person who pressed an old card. */
const ALREADY: Record<SessionStatus, string> = {
  PROPOSED: 'This session has not been confirmed yet.',
  CONFIRMED: 'This session has already been confirmed.',
  AWAITING_RECORD: 'This session has already taken place.',
  DECLINED: 'This proposal has already been declined.',
  CANCELLED: 'This session has been cancelled.',
  COMPLETED: 'This session has already taken place.',
};

function stale(status: SessionStatus): never {
  throw new DomainError('STALE_CARD', ALREADY[status]);
}

/** The supervisor accepts a proposed time: PROPOSED becomes CONFIRMED. */
export function confirmSession(status: SessionStatus): SessionStatus {
  if (status !== 'PROPOSED') stale(status);
  return 'CONFIRMED';
}

/** The supervisor turns a proposal down: PROPOSED becomes DECLINED. */
export function declineSession(status: SessionStatus): SessionStatus {
  if (status !== 'PROPOSED') stale(status);
  return 'DECLINED';
}

/** The supervisor offers another time instead: the session stays PROPOSED, with new slots. */
export function suggestAnotherTime(status: SessionStatus): SessionStatus {
  if (status !== 'PROPOSED') stale(status);
  return 'PROPOSED';
}

/** A proposed or confirmed session can be cancelled. */
export function cancelSession(status: SessionStatus): SessionStatus {
  if (status !== 'PROPOSED' && status !== 'CONFIRMED') stale(status);
  return 'CANCELLED';
}

/** A confirmed session (or one that ended and awaits its record) is completed once it has ended. */
export function completeSession(status: SessionStatus, endsAt: Date | null, now: Date): SessionStatus {
  if (status !== 'CONFIRMED' && status !== 'AWAITING_RECORD') {
    if (status === 'COMPLETED') throw new DomainError('STALE_CARD', 'This session has already been marked as completed.');
    if (status === 'PROPOSED') throw new DomainError('STALE_CARD', 'This session was never confirmed, so it cannot be completed.');
    stale(status);
  }
  if (endsAt === null || Number.isNaN(endsAt.getTime())) {
    throw new DomainError('INVALID_TIME', 'This session has no time set, so it cannot be completed.');
  }
  if (now.getTime() < endsAt.getTime()) {
    throw new DomainError('INVALID_TIME', 'This session has not ended yet; mark it completed after it ends.');
  }
  return 'COMPLETED';
}

// ---------------------------------------------------------------------------
// Cancellation and rebooking
// ---------------------------------------------------------------------------

/**
 * The end of the local day `withinDays` after the cancellation (seeds 003: cancelled
 * sessions are rescheduled within one month; the setting defaults to 31 days).
 */
export function rebookBy(cancelledAt: Date, withinDays: number, zone: string): Date {
  if (!Number.isInteger(withinDays) || withinDays < 0) throw new RangeError('withinDays must be a whole number of days');
  return DateTime.fromJSDate(cancelledAt, { zone }).plus({ days: withinDays }).endOf('day').toJSDate();
}

/**
 * What a cancellation leaves behind: the new status, who must rearrange (seeds 001:
 * whoever cancels rearranges; seeds 002: an alternative time is made at once), and by when.
 */
export function planCancellation(
  status: SessionStatus,
  cancellation: { cancelledById: string; cancelledAt: Date; withinDays: number; zone: string },
): { status: SessionStatus; rearrangedById: string; rebookBy: Date } {
  return {
    status: cancelSession(status),
    rearrangedById: cancellation.cancelledById,
    rebookBy: rebookBy(cancellation.cancelledAt, cancellation.withinDays, cancellation.zone),
  };
}
