import { serviceHoursSchema, WEEKDAYS, type ServiceHours, type Weekday } from './org-settings.js';
import { problemsFromZod, type SetupProblem } from './setup-problems.js';

/**
 * Service hours and holidays as an administrator types them (`npm run org -- set-service-hours`,
 * `set-holidays`), checked with the schema the bot reads them with (serviceHoursSchema). Pure.
 *
 *   mon=09:00-17:00            one window
 *   tue=09:00-12:30,13:30-17:00  several windows, none overlapping
 *   mon-fri=09:00-17:00        a run of days
 *   sat=closed                 no service that day
 * Days not named keep their hours.
 */

export type ServiceHoursChange = { ok: true; serviceHours: ServiceHours; days: Weekday[] } | { ok: false; problems: SetupProblem[] };

const WINDOW = /^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/;

/** The stored hours as an object to change (a stored value that is not one starts from nothing). */
function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** "9:00" → "09:00"; anything else is left for the schema to refuse. */
function padTime(time: string): string {
  return /^\d:\d{2}$/.test(time) ? `0${time}` : time;
}

function daysOf(key: string): Weekday[] | null {
  const lower = key.trim().toLowerCase();
  const single = (WEEKDAYS as readonly string[]).indexOf(lower);
  if (single >= 0) return [WEEKDAYS[single]!];
  const range = /^([a-z]{3})-([a-z]{3})$/.exec(lower);
  if (!range) return null;
  const from = (WEEKDAYS as readonly string[]).indexOf(range[1]!);
  const to = (WEEKDAYS as readonly string[]).indexOf(range[2]!);
  return from >= 0 && to >= from ? WEEKDAYS.slice(from, to + 1) : null;
}

/** Describe a problem at serviceHours.<day>.<index> with the window it is about. */
function withWindow(problem: SetupProblem, hours: Record<string, unknown>): SetupProblem {
  const match = /^serviceHours\.([a-z]{3})\.(\d+)(?:\.(from|to))?$/.exec(problem.field);
  if (!match) return problem;
  const window = (hours[match[1]!] as { from: string; to: string }[] | undefined)?.[Number(match[2])];
  const text = window ? `${window.from}-${window.to}` : undefined;
  return { field: `serviceHours.${match[1]}`, reason: text && !problem.reason.startsWith(text) ? `${text}: ${problem.reason}` : problem.reason };
}

/** Apply `day=windows` assignments to the current hours; every problem, or the new hours. */
export function changeServiceHours(current: unknown, assignments: readonly string[]): ServiceHoursChange {
  const problems: SetupProblem[] = [];
  const next: Record<string, unknown> = { ...asObject(current) };
  const changed = new Set<Weekday>();
  if (assignments.length === 0) return { ok: false, problems: [{ field: 'serviceHours', reason: 'give at least one day, such as mon-fri=09:00-17:00 or sat=closed' }] };
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const key = eq < 0 ? assignment : assignment.slice(0, eq);
    const value = eq < 0 ? '' : assignment.slice(eq + 1).trim();
    const days = daysOf(key);
    if (!days) {
      problems.push({ field: `serviceHours.${key}`, reason: `"${key}" is not a day or run of days (mon, tue, … sun, or mon-fri)` });
      continue;
    }
    const field = `serviceHours.${days.length === 1 ? days[0] : key.toLowerCase()}`;
    if (eq < 0 || value === '') {
      problems.push({ field, reason: 'give the hours, such as 09:00-17:00, or closed' });
      continue;
    }
    let windows: { from: string; to: string }[] = [];
    if (value.toLowerCase() !== 'closed') {
      const parts = value.split(',').map((p) => p.trim());
      const parsed = parts.map((p) => WINDOW.exec(p));
      const bad = parts.filter((_, i) => !parsed[i]);
      if (bad.length > 0) {
        problems.push({ field, reason: `${bad.map((b) => `"${b}"`).join(', ')} is not a window as HH:mm-HH:mm (or closed)` });
        continue;
      }
      windows = parsed.map((m) => ({ from: padTime(m![1]!), to: padTime(m![2]!) }));
    }
    for (const day of days) {
      if (changed.has(day)) problems.push({ field: `serviceHours.${day}`, reason: 'is given more than once' });
      changed.add(day);
      next[day] = windows;
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const parsed = serviceHoursSchema.safeParse(next);
  if (!parsed.success) return { ok: false, problems: problemsFromZod(parsed.error, ['serviceHours']).map((p) => withWindow(p, next)) };
  return { ok: true, serviceHours: parsed.data, days: WEEKDAYS.filter((d) => changed.has(d)) };
}

export type HolidaysChange = { ok: true; serviceHours: ServiceHours } | { ok: false; problems: SetupProblem[] };

/** Replace the holidays with `dates` (YYYY-MM-DD, space- or comma-separated; "none" clears them). */
export function changeHolidays(current: unknown, dates: readonly string[]): HolidaysChange {
  const list = dates.flatMap((d) => d.split(',')).map((d) => d.trim()).filter((d) => d !== '');
  if (list.length === 0) return { ok: false, problems: [{ field: 'serviceHours.holidays', reason: 'give the dates (YYYY-MM-DD), or none to clear them' }] };
  const clear = list.length === 1 && list[0]!.toLowerCase() === 'none';
  const holidays = clear ? [] : list;
  const parsed = serviceHoursSchema.safeParse({ ...asObject(current), holidays });
  if (!parsed.success) {
    return {
      ok: false,
      problems: problemsFromZod(parsed.error, ['serviceHours']).map((p) => {
        const index = /^serviceHours\.holidays\.(\d+)$/.exec(p.field);
        return index ? { field: 'serviceHours.holidays', reason: `"${holidays[Number(index[1])]}": ${p.reason}` } : p;
      }),
    };
  }
  const sorted = [...(parsed.data.holidays ?? [])].sort();
  const { holidays: _old, ...weekdays } = parsed.data;
  return { ok: true, serviceHours: sorted.length > 0 ? { ...weekdays, holidays: sorted } : weekdays };
}
