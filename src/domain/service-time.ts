import { DateTime } from 'luxon';
import { WEEKDAYS, type ServiceHours } from './org-settings.js';

function windowsOn(day: DateTime, hours: ServiceHours): Array<{ start: DateTime; end: DateTime }> {
  // A holiday is closed whatever its weekday's hours say.
  if (hours.holidays?.includes(day.toISODate()!)) return [];
  const weekday = WEEKDAYS[day.weekday - 1]!;
  return hours[weekday].map(({ from, to }) => {
    const [fh, fm] = from.split(':').map(Number) as [number, number];
    const [th, tm] = to.split(':').map(Number) as [number, number];
    // Luxon resolves local times that fall in a daylight-saving gap forwards, so windows
    // stay well-formed on the two changeover days.
    return {
      start: day.set({ hour: fh, minute: fm, second: 0, millisecond: 0 }),
      end: day.set({ hour: th, minute: tm, second: 0, millisecond: 0 }),
    };
  });
}

export function isWithinServiceHours(instant: Date, hours: ServiceHours, zone: string): boolean {
  const local = DateTime.fromJSDate(instant, { zone });
  return windowsOn(local.startOf('day'), hours).some((w) => local >= w.start && local < w.end);
}

/**
 * The instant reached after `minutes` of service time from `from`: only time inside the
 * team's service hours counts, so a request at 16:30 on a Friday with a four-hour target
 * is due at 12:30 on Monday. Gives up after two weeks with no service hours at all.
 */
export function addServiceMinutes(from: Date, minutes: number, hours: ServiceHours, zone: string): Date {
  let remaining = minutes;
  let cursor = DateTime.fromJSDate(from, { zone });
  for (let day = 0; day < 14 + Math.ceil(minutes / 60); day++) {
    for (const window of windowsOn(cursor.startOf('day'), hours)) {
      const start = cursor > window.start ? cursor : window.start;
      if (start >= window.end) continue;
      const available = window.end.diff(start, 'minutes').minutes;
      if (available >= remaining) return start.plus({ minutes: remaining }).toJSDate();
      remaining -= available;
    }
    cursor = cursor.startOf('day').plus({ days: 1 });
  }
  throw new RangeError('no service hours configured in the next two weeks');
}

/**
 * `minutes` of service time from `from` (addServiceMinutes), or, when the organisation has no
 * service hours at all in the next two weeks (a misconfiguration), the same minutes on the wall
 * clock: a promise or a reminder then still falls due rather than never.
 */
export function serviceDeadline(from: Date, minutes: number, hours: ServiceHours, zone: string): Date {
  try {
    return addServiceMinutes(from, minutes, hours, zone);
  } catch (error) {
    if (error instanceof RangeError) return new Date(from.getTime() + minutes * 60_000);
    throw error;
  }
}

/** "by 14:30 today", "by 10:00 tomorrow", "by 12:30 on Monday 23 November". */
export function describeDeadline(deadline: Date, now: Date, zone: string): string {
  return `by ${describeWhen(deadline, now, zone)}`;
}

/** "14:30 today", "10:00 tomorrow", "12:30 on Monday 23 November". */
export function describeWhen(deadline: Date, now: Date, zone: string): string {
  // Fixed locale: the wording is English whatever the server's default locale is.
  const due = DateTime.fromJSDate(deadline, { zone }).setLocale('en-GB');
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const time = due.toFormat('HH:mm');
  const days = Math.round(due.startOf('day').diff(today, 'days').days);
  if (days === 0) return `${time} today`;
  if (days === 1) return `${time} tomorrow`;
  return `${time} on ${due.toFormat('cccc d LLLL')}`;
}
