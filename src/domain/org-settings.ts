import { z } from 'zod';
import { isValidTimeZone } from './time.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time as HH:mm');

const openingWindow = z
  .object({ from: hhmm, to: hhmm })
  .refine((w) => w.from < w.to, { message: '"from" must be before "to"' });

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Service hours of the safeguarding team, per local weekday. A missing day is closed. */
export const serviceHoursSchema = z
  .object(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(openingWindow).default([])])) as Record<
    Weekday,
    z.ZodDefault<z.ZodArray<typeof openingWindow>>
  >)
  .strict();
export type ServiceHours = z.infer<typeof serviceHoursSchema>;

/**
 * How soon the safeguarding team aims to make first contact, in minutes of service time
 * (time inside service hours). Urgent requests are answered at once with the urgent routes;
 * the target here is for a specialist's follow-up.
 */
export const responseTargetsSchema = z
  .object({
    urgentMinutes: z.number().int().positive(),
    adviceMinutes: z.number().int().positive(),
    sessionMinutes: z.number().int().positive(),
  })
  .strict();
export type ResponseTargets = z.infer<typeof responseTargetsSchema>;

/** Everything else an organisation may tune; every field has the policy default. */
export const orgSettingsSchema = z
  .object({
    /** Unclaimed requests are re-surfaced in the triage channel after this many minutes. */
    resurfaceUnclaimedAfterMinutes: z.number().int().positive().default(60),
    /** ...and escalated to the Head of Safeguarding after this many. */
    escalateUnclaimedAfterMinutes: z.number().int().positive().default(240),
    /** Whoever cancels rebooks within this window (seeds 003: one month). */
    rebookWithinDays: z.number().int().positive().default(31),
    /** Contracts are reviewed annually (seeds 001, 003). */
    contractReviewMonths: z.number().int().positive().default(12),
    /** Records are completed within 24 hours of the session (seeds 002). */
    recordDueHours: z.number().int().positive().default(24),
    /** Up to this many action points per record (seeds 000 appendix: five). */
    maxActionPoints: z.number().int().min(1).max(20).default(5),
  })
  .strict();
export type OrgSettings = z.infer<typeof orgSettingsSchema>;

export const DEFAULT_SERVICE_HOURS: ServiceHours = {
  mon: [{ from: '09:00', to: '17:00' }],
  tue: [{ from: '09:00', to: '17:00' }],
  wed: [{ from: '09:00', to: '17:00' }],
  thu: [{ from: '09:00', to: '17:00' }],
  fri: [{ from: '09:00', to: '17:00' }],
  sat: [],
  sun: [],
};

export const DEFAULT_RESPONSE_TARGETS: ResponseTargets = {
  urgentMinutes: 30,
  adviceMinutes: 4 * 60,
  sessionMinutes: 2 * 8 * 60,
};

export const timeZoneSchema = z.string().refine(isValidTimeZone, { message: 'not a known IANA time zone' });

/** Parse the JSON columns of an organisation, failing with the field that is wrong. */
export function parseOrgConfig(raw: { timeZone: string; serviceHours: unknown; responseTargets: unknown; settings: unknown }) {
  return {
    timeZone: timeZoneSchema.parse(raw.timeZone),
    serviceHours: serviceHoursSchema.parse(raw.serviceHours),
    responseTargets: responseTargetsSchema.parse(raw.responseTargets),
    settings: orgSettingsSchema.parse(raw.settings ?? {}),
  };
}
export type OrgConfig = ReturnType<typeof parseOrgConfig>;
