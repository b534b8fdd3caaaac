import { DateTime, IANAZone } from 'luxon';

export const DEFAULT_TIME_ZONE = 'Europe/London';

const zoneValidity = new Map<string, boolean>();
/** Bound on remembered names, so arbitrary input cannot grow the cache without limit. */
const MAX_REMEMBERED_ZONES = 1_000;

/**
 * Whether `zone` is an IANA time zone this runtime knows. Remembered per name: luxon answers by
 * constructing an Intl.DateTimeFormat every time, which cost the sweep seconds at 50,000 staff.
 */
export function isValidTimeZone(zone: string): boolean {
  const known = zoneValidity.get(zone);
  if (known !== undefined) return known;
  const valid = IANAZone.isValidZone(zone);
  if (zoneValidity.size < MAX_REMEMBERED_ZONES) zoneValidity.set(zone, valid);
  return valid;
}

/** A clock the domain receives instead of reading the system time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function inZone(instant: Date, zone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone });
}
