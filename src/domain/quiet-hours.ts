import { DateTime } from 'luxon';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from './time.js';

/**
 * Quiet hours: a person's local window in which non-urgent nudges wait. The window is read
 * on the wall clock of the person's zone, may cross midnight (22:00-07:00) or lie in the day
 * (08:00-15:00 for a night worker). Pure.
 */

export interface QuietHoursPerson {
  /** IANA zone; null or unknown falls back to Europe/London. */
  timeZone: string | null;
  /** 'HH:mm' or null. A missing or malformed bound, or start equal to end, means no window. */
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutesOf(value: string | null): number | null {
  if (typeof value !== 'string') return null;
  const m = HHMM.exec(value.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export function personZone(person: { timeZone: string | null }): string {
  return person.timeZone && isValidTimeZone(person.timeZone) ? person.timeZone : DEFAULT_TIME_ZONE;
}

/**
 * The first instant at or after the local wall-clock time `minuteOfDay` on the local date
 * (year, month, day) in `zone`. A time in a daylight-saving gap becomes the first minute
 * that exists after it (the moment the clocks went forward); a time that occurs twice is
 * the earlier of the two.
 */
export function localMinuteOnDate(
  date: { year: number; month: number; day: number },
  minuteOfDay: number,
  zone: string,
): DateTime {
  const base = DateTime.utc(date.year, date.month, date.day);
  // Gaps are at most a couple of hours anywhere; walk the wall clock a minute at a time.
  for (let k = 0; k < 24 * 60; k++) {
    const wall = base.plus({ minutes: minuteOfDay + k });
    const local = DateTime.fromObject(
      { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute },
      { zone },
    );
    if (
      local.isValid &&
      local.year === wall.year &&
      local.month === wall.month &&
      local.day === wall.day &&
      local.hour === wall.hour &&
      local.minute === wall.minute
    ) {
      // A time that occurs twice (the clocks went back): luxon gives the later; take the earlier.
      const before = local.minus({ hours: 3 }).offset;
      if (before > local.offset) {
        const earlier = local.minus({ minutes: before - local.offset });
        if (earlier.hour === local.hour && earlier.minute === local.minute && earlier.day === local.day) return earlier;
      }
      return local;
    }
  }
  /* c8 ignore next */
  throw new Error(`no valid local time after ${minuteOfDay} minutes on ${base.toISODate()} in ${zone}`);
}

/** Whether the person's local wall clock at `instant` is inside their quiet window. */
export function isInQuietHours(instant: Date, person: QuietHoursPerson): boolean {
  return quietWindowEnd(instant, person) !== null;
}

/** The instant the quiet window containing `instant` ends, or null when it is not inside one. */
function quietWindowEnd(instant: Date, person: QuietHoursPerson): DateTime | null {
  const start = minutesOf(person.quietHoursStart);
  const end = minutesOf(person.quietHoursEnd);
  if (start === null || end === null || start === end) return null;
  const zone = personZone(person);
  const local = DateTime.fromJSDate(instant, { zone });
  const t = local.hour * 60 + local.minute;
  const today = { year: local.year, month: local.month, day: local.day };
  if (start < end) {
    // A daytime window, e.g. 08:00-15:00.
    return t >= start && t < end ? localMinuteOnDate(today, end, zone) : null;
  }
  // A window across midnight, e.g. 22:00-07:00.
  if (t < end) return localMinuteOnDate(today, end, zone);
  if (t >= start) {
    const tomorrow = local.plus({ days: 1 });
    return localMinuteOnDate({ year: tomorrow.year, month: tomorrow.month, day: tomorrow.day }, end, zone);
  }
  return null;
}

/**
 * When a reminder due at `dueAt` may be sent to this person: unchanged when urgent, when
 * the person has no quiet window, or when it falls outside it; otherwise the end of the
 * window in the person's local time (daylight saving included).
 */
export function applyQuietHours(dueAt: Date, person: QuietHoursPerson, urgent: boolean): Date {
  if (urgent) return dueAt;
  const end = quietWindowEnd(dueAt, person);
  if (!end) return dueAt;
  const sendAt = end.toJSDate();
  return sendAt.getTime() > dueAt.getTime() ? sendAt : dueAt;
}
