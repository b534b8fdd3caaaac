import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  DEFAULT_SERVICE_HOURS,
  WEEKDAYS,
  orgSettingsSchema,
  parseOrgConfig,
  serviceHoursSchema,
  timeZoneSchema,
} from '../../src/domain/org-settings.js';
import { DEFAULT_RESPONSE_POLICIES, responsePoliciesSchema } from '../../src/domain/response-policy.js';

const DEFAULT_RESPONSE_TARGETS = DEFAULT_RESPONSE_POLICIES;

const GOOD = {
  timeZone: 'Europe/London',
  serviceHours: DEFAULT_SERVICE_HOURS,
  responseTargets: DEFAULT_RESPONSE_TARGETS,
  settings: {},
};

/** The issues zod reports, for asserting on codes, paths and messages. */
function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ZodError) return error.issues;
    throw error;
  }
  throw new Error('expected a ZodError');
}

describe('defaults', () => {
  it('service hours are Monday to Friday 09:00-17:00, closed at the weekend', () => {
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri'] as const) {
      expect(DEFAULT_SERVICE_HOURS[day]).toEqual([{ from: '09:00', to: '17:00' }]);
    }
    expect(DEFAULT_SERVICE_HOURS.sat).toEqual([]);
    expect(DEFAULT_SERVICE_HOURS.sun).toEqual([]);
    expect(serviceHoursSchema.parse(DEFAULT_SERVICE_HOURS)).toEqual(DEFAULT_SERVICE_HOURS);
  });

  it('response policies: 30 min urgent, 4 h advice, two 8-hour days for a session, each escalated at its target', () => {
    expect(DEFAULT_RESPONSE_POLICIES).toEqual({
      urgent: { targetMinutes: 30, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 },
      advice: { targetMinutes: 240, resurfaceAfterMinutes: 60, escalateAfterMinutes: 240 },
      session: { targetMinutes: 960, resurfaceAfterMinutes: 240, escalateAfterMinutes: 960 },
    });
    expect(responsePoliciesSchema.parse(DEFAULT_RESPONSE_POLICIES)).toEqual(DEFAULT_RESPONSE_POLICIES);
  });

  it('weekdays run Monday to Sunday (Luxon weekday 1..7)', () => {
    expect(WEEKDAYS).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
  });

  it('fills every organisation setting with the policy default', () => {
    expect(orgSettingsSchema.parse({})).toEqual({
      rebookWithinDays: 31,
      contractReviewMonths: 12,
      recordDueHours: 24,
      maxActionPoints: 5,
      offerContracts: false,
    });
  });

  it('keeps the settings given and defaults the rest', () => {
    expect(orgSettingsSchema.parse({ recordDueHours: 48, maxActionPoints: 8 })).toMatchObject({
      recordDueHours: 48,
      maxActionPoints: 8,
      rebookWithinDays: 31,
    });
  });

  it('treats a missing day as closed', () => {
    expect(serviceHoursSchema.parse({ mon: [{ from: '08:00', to: '12:00' }] })).toEqual({
      mon: [{ from: '08:00', to: '12:00' }],
      tue: [],
      wed: [],
      thu: [],
      fri: [],
      sat: [],
      sun: [],
    });
    expect(serviceHoursSchema.parse({})).toEqual({ mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] });
  });

  it('parseOrgConfig defaults missing settings', () => {
    for (const settings of [undefined, null, {}]) {
      expect(parseOrgConfig({ ...GOOD, settings }).settings).toEqual(orgSettingsSchema.parse({}));
    }
  });

  it('parseOrgConfig returns every part parsed', () => {
    const config = parseOrgConfig({
      ...GOOD,
      serviceHours: { sat: [{ from: '10:00', to: '14:00' }] },
      settings: { rebookWithinDays: 14 },
    });
    expect(config.timeZone).toBe('Europe/London');
    expect(config.serviceHours.sat).toEqual([{ from: '10:00', to: '14:00' }]);
    expect(config.serviceHours.mon).toEqual([]);
    expect(config.responseTargets).toEqual(DEFAULT_RESPONSE_TARGETS);
    expect(config.settings.rebookWithinDays).toBe(14);
    expect(config.settings.maxActionPoints).toBe(5);
  });
});

describe('service hours', () => {
  it.each(['00:00', '09:00', '12:30', '19:59', '23:58'])('accepts the opening time %s', (time) => {
    expect(serviceHoursSchema.parse({ mon: [{ from: time, to: '23:59' }] }).mon).toEqual([{ from: time, to: '23:59' }]);
  });

  it.each(['9:00', '24:00', '09:60', '0900', '09.00', '09:00:00', '', ' 09:00', 'nine', '25:00', '-1:00'])(
    'rejects the time %j',
    (time) => {
      const issues = issuesOf(() => serviceHoursSchema.parse({ mon: [{ from: time, to: '23:59' }] }));
      expect(issues.some((i) => i.message === 'expected a time as HH:mm' && i.path.join('.') === 'mon.0.from')).toBe(
        true,
      );
    },
  );

  it('rejects a bad closing time on the right path', () => {
    const issues = issuesOf(() => serviceHoursSchema.parse({ tue: [{ from: '09:00', to: '17:00' }, { from: '18:00', to: '1700' }] }));
    expect(issues.map((i) => i.path.join('.'))).toContain('tue.1.to');
  });

  it.each([
    ['equal times', '09:00', '09:00'],
    ['from after to', '17:00', '09:00'],
    ['a minute after', '12:01', '12:00'],
  ])('rejects a window with %s', (_label, from, to) => {
    const issues = issuesOf(() => serviceHoursSchema.parse({ wed: [{ from, to }] }));
    expect(issues.map((i) => i.message)).toContain('"from" must be before "to"');
  });

  it('accepts a one-minute window', () => {
    expect(serviceHoursSchema.parse({ wed: [{ from: '12:00', to: '12:01' }] }).wed).toHaveLength(1);
  });

  it.each([
    ['an unknown day', { monday: [{ from: '09:00', to: '17:00' }] }],
    ['a day in capitals', { MON: [{ from: '09:00', to: '17:00' }] }],
  ])('rejects %s', (_label, hours) => {
    expect(() => serviceHoursSchema.parse(hours)).toThrow(ZodError);
    expect(() => parseOrgConfig({ ...GOOD, serviceHours: hours })).toThrow(ZodError);
  });

  it('reports an unknown day as unrecognised', () => {
    const issues = issuesOf(() => serviceHoursSchema.parse({ ...DEFAULT_SERVICE_HOURS, saturday: [] }));
    expect(issues.map((i) => i.code)).toContain('unrecognized_keys');
  });

  it.each([
    ['a day that is not a list', { mon: { from: '09:00', to: '17:00' } }],
    ['a window missing "to"', { mon: [{ from: '09:00' }] }],
    ['not an object', 'Mon-Fri 9-5'],
  ])('rejects %s', (_label, hours) => {
    expect(() => serviceHoursSchema.parse(hours)).toThrow(ZodError);
  });
});

describe('response policies', () => {
  const withTarget = (route: 'urgent' | 'advice' | 'session', targetMinutes: unknown) => ({
    ...DEFAULT_RESPONSE_POLICIES,
    [route]: { ...DEFAULT_RESPONSE_POLICIES[route], targetMinutes },
  });
  it.each([
    ['a negative urgent target', withTarget('urgent', -30)],
    ['a negative advice target', withTarget('advice', -1)],
    ['a negative session target', withTarget('session', -960)],
    ['a zero target', withTarget('advice', 0)],
    ['a fractional target', withTarget('urgent', 0.5)],
    ['a string target', withTarget('urgent', '30')],
    ['a half-old target set', { urgentMinutes: 30, adviceMinutes: 240 }],
    ['an unknown route', { ...DEFAULT_RESPONSE_POLICIES, routine: DEFAULT_RESPONSE_POLICIES.advice }],
  ])('rejects %s', (_label, targets) => {
    expect(() => responsePoliciesSchema.parse(targets)).toThrow(ZodError);
    expect(() => parseOrgConfig({ ...GOOD, responseTargets: targets })).toThrow(ZodError);
  });

  it('names the negative target in the error path', () => {
    const issues = issuesOf(() => responsePoliciesSchema.parse(withTarget('session', -5)));
    expect(issues.map((i) => i.path.join('.'))).toEqual(['session.targetMinutes']);
  });
});

describe('organisation settings', () => {
  it.each([
    ['an unknown key', { resurfaceAfter: 30 }],
    ['a misspelt key', { recordDueHour: 24 }],
    ['a setting moved to the response policy', { resurfaceUnclaimedAfterMinutes: 60 }],
    ['zero days', { rebookWithinDays: 0 }],
    ['a fractional month', { contractReviewMonths: 6.5 }],
    ['no action points', { maxActionPoints: 0 }],
    ['too many action points', { maxActionPoints: 21 }],
  ])('rejects %s', (_label, settings) => {
    expect(() => orgSettingsSchema.parse(settings)).toThrow(ZodError);
    expect(() => parseOrgConfig({ ...GOOD, settings })).toThrow(ZodError);
  });

  it('reports an unknown key as unrecognised', () => {
    const issues = issuesOf(() => orgSettingsSchema.parse({ resurfaceAfter: 30 }));
    expect(issues[0]?.code).toBe('unrecognized_keys');
  });

  it.each([1, 20])('accepts %i action points', (maxActionPoints) => {
    expect(orgSettingsSchema.parse({ maxActionPoints }).maxActionPoints).toBe(maxActionPoints);
  });
});

describe('time zone', () => {
  it.each(['Europe/London', 'UTC', 'America/New_York', 'Pacific/Auckland'])('accepts %s', (zone) => {
    expect(timeZoneSchema.parse(zone)).toBe(zone);
    expect(parseOrgConfig({ ...GOOD, timeZone: zone }).timeZone).toBe(zone);
  });

  it.each(['Mars/Olympus_Mons', 'Europe/Londres', 'London', 'GMT+25', '', 'not a zone'])('parseOrgConfig rejects %j', (zone) => {
    const issues = issuesOf(() => parseOrgConfig({ ...GOOD, timeZone: zone }));
    expect(issues.map((i) => i.message)).toContain('not a known IANA time zone');
  });
});

describe('parseOrgConfig', () => {
  it('accepts the defaults', () => {
    expect(parseOrgConfig(GOOD)).toEqual({
      timeZone: 'Europe/London',
      serviceHours: DEFAULT_SERVICE_HOURS,
      responseTargets: DEFAULT_RESPONSE_TARGETS,
      settings: orgSettingsSchema.parse({}),
    });
  });

  it('rejects bad service hours', () => {
    const issues = issuesOf(() => parseOrgConfig({ ...GOOD, serviceHours: { mon: [{ from: '17:00', to: '09:00' }] } }));
    expect(issues.map((i) => i.message)).toEqual(['"from" must be before "to"']);
  });

  it('rejects missing service hours and response targets', () => {
    expect(() => parseOrgConfig({ ...GOOD, serviceHours: undefined })).toThrow(ZodError);
    expect(() => parseOrgConfig({ ...GOOD, responseTargets: null })).toThrow(ZodError);
  });
});
