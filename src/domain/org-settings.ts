import { DateTime } from 'luxon';
import { z } from 'zod';
import { isValidTimeZone } from './time.js';
import { retentionSchema } from './retention.js';
import { responsePoliciesSchema } from './response-policy.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const hhmm = z.string().regex(HHMM, 'expected a time as HH:mm');

const openingWindow = z
  .object({ from: hhmm, to: hhmm })
  .refine((w) => w.from < w.to, { message: '"from" must be before "to"' });

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One day's opening windows: each "from" before its "to", and no two windows overlapping. */
const dayWindows = z
  .array(openingWindow)
  .superRefine((windows, ctx) => {
    // Only well-formed windows: a malformed or inverted one is already reported on its own.
    const wellFormed = windows.map((w, index) => ({ ...w, index })).filter((w) => HHMM.test(w.from) && HHMM.test(w.to) && w.from < w.to);
    const sorted = wellFormed.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    for (let i = 1; i < sorted.length; i++) {
      const before = sorted[i - 1]!;
      const window = sorted[i]!;
      if (window.from < before.to) {
        ctx.addIssue({
          code: 'custom',
          path: [window.index],
          message: `${window.from}-${window.to} overlaps ${before.from}-${before.to}`,
        });
      }
    }
  })
  .default([]);

/** A calendar date, YYYY-MM-DD, that exists. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const isoDateSchema = z
  .string()
  .regex(ISO_DATE, 'expected a date as YYYY-MM-DD')
  .refine((d) => !ISO_DATE.test(d) || DateTime.fromISO(d, { zone: 'utc' }).isValid, { message: 'not a date in the calendar' });

/** The most holidays one organisation keeps (years of bank holidays and closures). */
export const MAX_HOLIDAYS = 500;

/**
 * Days the team is closed whatever the weekday says (bank holidays, closures), as local dates
 * in the organisation's zone. Unique; absent means none.
 */
const holidays = z
  .array(isoDateSchema)
  .max(MAX_HOLIDAYS, `at most ${MAX_HOLIDAYS} holidays`)
  .superRefine((dates, ctx) => {
    const seen = new Set<string>();
    dates.forEach((date, index) => {
      if (seen.has(date)) ctx.addIssue({ code: 'custom', path: [index], message: 'is listed twice' });
      seen.add(date);
    });
  });

/** Service hours of the safeguarding team, per local weekday, and holidays. A missing day is closed. */
export const serviceHoursSchema = z
  .object({
    mon: dayWindows,
    tue: dayWindows,
    wed: dayWindows,
    thu: dayWindows,
    fri: dayWindows,
    sat: dayWindows,
    sun: dayWindows,
    holidays: holidays.optional(),
  })
  .strict();
export type ServiceHours = z.infer<typeof serviceHoursSchema>;

/**
 * When reminders fall due (src/domain/reminder-policy.ts). Kept under `settings.reminders` and
 * optional as a whole, so an organisation with no reminder settings stores nothing; every
 * field has the policy default (resolveReminderTimings).
 */
export const reminderTimingsSchema = z
  .object({
    /** Session reminders: the "day before" and the "hour before" one, in hours before the start. */
    sessionReminderHoursBefore: z
      .tuple([z.number().positive(), z.number().positive()])
      .refine(([dayBefore, hourBefore]) => dayBefore > hourBefore, {
        message: 'the first (day before) must be more hours before the session than the second',
      })
      .default([24, 1]),
    /** Action points: "due soon" this many days before the date for completion. */
    actionDueSoonDays: z.number().int().positive().default(3),
    /** Local time (the recipient's zone) of date-based reminders: action points, mandatory cadence. */
    reminderTimeOfDay: hhmm.default('09:00'),
    /** Overdue action points are repeated every this many days. */
    overdueRepeatDays: z.number().int().positive().default(7),
    /** Mandatory supervision: "due" this many days before the due date. */
    mandatoryDueSoonDays: z.number().int().positive().default(14),
    /** ...overdue to the supervisor(s) this many days after the due date... */
    mandatoryOverdueSupervisorDays: z.number().int().positive().default(7),
    /** ...and to the line manager this many days after it. */
    mandatoryOverdueLineManagerDays: z.number().int().positive().default(14),
    /** Agreement parties who have not signed are reminded this many hours after it was offered. */
    agreementUnsignedAfterHours: z.number().int().positive().default(24),
    /** Contract review reminder this many days before the review date. */
    contractReviewNoticeDays: z.number().int().min(0).default(14),
    /** Whoever cancelled is reminded to rebook every this many days until the rebooking deadline. */
    rebookReminderEveryDays: z.number().int().positive().default(7),
  })
  .strict();
export type ReminderTimings = z.infer<typeof reminderTimingsSchema>;

/** Where the unclaimed-request times went: each route's response policy (src/domain/response-policy.ts). */
const movedToResponsePolicy = (key: 'resurfaceAfterMinutes' | 'escalateAfterMinutes') =>
  z
    .never({
      error: `has moved to each route's response policy, in service minutes: set responseTargets.<urgent|advice|session>.${key} with npm run org -- set-response-policy`,
    })
    .optional();

/** Everything else an organisation may tune; every field has the policy default. */
export const orgSettingsSchema = z
  .object({
    /** Before one response policy per route; kept only to name where it went. */
    resurfaceUnclaimedAfterMinutes: movedToResponsePolicy('resurfaceAfterMinutes'),
    escalateUnclaimedAfterMinutes: movedToResponsePolicy('escalateAfterMinutes'),
    /** Whoever cancels rebooks within this window (seeds 003: one month). */
    rebookWithinDays: z.number().int().positive().default(31),
    /** Contracts are reviewed annually (seeds 001, 003). */
    contractReviewMonths: z.number().int().positive().default(12),
    /**
     * Offer the supervision contract (seeds 001 appendix 2, 003 appendix 3) to each supervisee and
     * their supervisor when a session is confirmed, and again on a new version or at review. Off by
     * default: the demo's policy (seeds 000) has agreements, not a contract.
     */
    offerContracts: z.boolean().default(false),
    /** Records are completed within 24 hours of the session (seeds 002). */
    recordDueHours: z.number().int().positive().default(24),
    /** Up to this many action points per record (seeds 000 appendix: five). */
    maxActionPoints: z.number().int().min(1).max(20).default(5),
    /** Reminder timings; absent means every policy default (resolveReminderTimings). */
    reminders: reminderTimingsSchema.optional(),
    /** Retention periods of requests, records and audit events; absent means the defaults (src/domain/retention.ts). */
    retention: retentionSchema.optional(),
    /** The longest date range one audit-trail query may cover; absent means 366 days (src/domain/audit-query.ts). */
    auditMaxRangeDays: z.number().int().min(1).max(3660).optional(),
    /** The longest date range one supervision report may cover; absent means 366 days (src/domain/report.ts). */
    reportMaxRangeDays: z.number().int().min(1).max(3660).optional(),
    /** Staff groups with fewer active people are pooled or hidden in the report; absent means 5 (src/domain/report.ts). */
    reportMinimumGroupSize: z.number().int().min(1).max(100).optional(),
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

export const timeZoneSchema = z.string().refine(isValidTimeZone, { message: 'not a known IANA time zone' });

/** Parse the JSON columns of an organisation, failing with the field that is wrong. */
export function parseOrgConfig(raw: { timeZone: string; serviceHours: unknown; responseTargets: unknown; settings: unknown }) {
  return {
    timeZone: timeZoneSchema.parse(raw.timeZone),
    serviceHours: serviceHoursSchema.parse(raw.serviceHours),
    // The column keeps its name; it holds the response policy of each route (src/domain/response-policy.ts).
    responseTargets: responsePoliciesSchema.parse(raw.responseTargets),
    settings: orgSettingsSchema.parse(raw.settings ?? {}),
  };
}
export type OrgConfig = ReturnType<typeof parseOrgConfig>;

/** The reminder timings of an organisation, with the policy default for anything not set. */
export function resolveReminderTimings(settings: { reminders?: Partial<ReminderTimings> | undefined } | undefined): ReminderTimings {
  return reminderTimingsSchema.parse(settings?.reminders ?? {});
}
