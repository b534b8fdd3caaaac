import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_HOURS } from '../../src/domain/org-settings.js';
import {
  DEFAULT_RESPONSE_POLICIES,
  normaliseResponsePolicies,
  policyFor,
  responsePoliciesSchema,
  responseRouteOf,
} from '../../src/domain/response-policy.js';
import { problemsFromZod } from '../../src/domain/setup-problems.js';
import { serviceDeadline } from '../../src/domain/service-time.js';

/** The problems as the CLI and the start check name them. */
function problems(raw: unknown): string[] {
  const parsed = responsePoliciesSchema.safeParse(raw);
  return parsed.success ? [] : problemsFromZod(parsed.error, ['responseTargets']).map((p) => `${p.field}: ${p.reason}`);
}

const withAdvice = (advice: Partial<(typeof DEFAULT_RESPONSE_POLICIES)['advice']>) => ({
  ...DEFAULT_RESPONSE_POLICIES,
  advice: { ...DEFAULT_RESPONSE_POLICIES.advice, ...advice },
});

describe('one response policy per route', () => {
  it('every route has a target, a re-surface and an escalation time, all in service minutes', () => {
    for (const policy of Object.values(DEFAULT_RESPONSE_POLICIES)) {
      expect(Object.keys(policy).sort()).toEqual(['escalateAfterMinutes', 'resurfaceAfterMinutes', 'targetMinutes']);
      expect(policy.resurfaceAfterMinutes).toBeLessThan(policy.escalateAfterMinutes);
      expect(policy.escalateAfterMinutes).toBeLessThanOrEqual(policy.targetMinutes);
    }
    expect(problems(DEFAULT_RESPONSE_POLICIES)).toEqual([]);
  });

  it('a request follows the urgent policy when urgent, else its route', () => {
    expect(responseRouteOf('URGENT', 'ADVICE')).toBe('urgent');
    expect(responseRouteOf('URGENT', 'SUPERVISION')).toBe('urgent');
    expect(responseRouteOf('ROUTINE', 'ADVICE')).toBe('advice');
    expect(responseRouteOf('ROUTINE', 'SUPERVISION')).toBe('session');
    expect(policyFor(DEFAULT_RESPONSE_POLICIES, 'ROUTINE', 'SUPERVISION')).toBe(DEFAULT_RESPONSE_POLICIES.session);
  });

  it('escalation comes after re-surfacing', () => {
    expect(problems(withAdvice({ resurfaceAfterMinutes: 60, escalateAfterMinutes: 60 }))).toEqual([
      'responseTargets.advice.escalateAfterMinutes: must be more than resurfaceAfterMinutes (60): an unclaimed request is re-surfaced in the triage channel before it is escalated',
    ]);
  });

  it('escalation is no later than the target', () => {
    expect(problems(withAdvice({ targetMinutes: 120 }))).toEqual([
      'responseTargets.advice.escalateAfterMinutes: must be at most targetMinutes (120): the Head of Safeguarding hears of an unclaimed request no later than the requester was promised contact',
    ]);
  });

  it.each([
    [withAdvice({ targetMinutes: 4801 }), 'responseTargets.advice.targetMinutes: must be a whole number of service minutes from 10 to 4800'],
    [withAdvice({ targetMinutes: 9 }), 'responseTargets.advice.targetMinutes: must be a whole number of service minutes from 10 to 4800'],
    [withAdvice({ resurfaceAfterMinutes: 4 }), 'responseTargets.advice.resurfaceAfterMinutes: must be a whole number of service minutes from 5 to 4800'],
    [withAdvice({ escalateAfterMinutes: 90.5 }), 'responseTargets.advice.escalateAfterMinutes: must be a whole number of service minutes from 5 to 4800'],
    [{ ...DEFAULT_RESPONSE_POLICIES, urgent: { ...DEFAULT_RESPONSE_POLICIES.urgent, targetMinutes: 481 } }, 'responseTargets.urgent.targetMinutes: must be a whole number of service minutes from 10 to 480'],
  ])('a time out of range names the field (%#)', (raw, problem) => {
    expect(problems(raw)).toEqual([problem]);
  });

  it('urgent is promised no later than the routine routes', () => {
    const raw = { ...withAdvice({ targetMinutes: 60, resurfaceAfterMinutes: 30, escalateAfterMinutes: 60 }), urgent: { targetMinutes: 90, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 } };
    expect(problems(raw)).toEqual([
      'responseTargets.urgent.targetMinutes: must not be longer than the advice target: an urgent request is answered no later than a routine one',
    ]);
  });

  it('refuses unknown routes and fields by name', () => {
    expect(problems({ ...DEFAULT_RESPONSE_POLICIES, routine: {} })).toEqual(['responseTargets.routine: is not a known setting']);
    expect(problems(withAdvice({ remindAfter: 5 } as never))).toEqual(['responseTargets.advice.remindAfter: is not a known setting']);
  });
});

describe('the tolerant reader (documented defaults)', () => {
  it('an absent route or field is the policy default', () => {
    expect(responsePoliciesSchema.parse({})).toEqual(DEFAULT_RESPONSE_POLICIES);
    expect(responsePoliciesSchema.parse({ advice: { resurfaceAfterMinutes: 30 } })).toEqual(withAdvice({ resurfaceAfterMinutes: 30 }));
  });

  it('the old flat targets read as targets, each route re-surfaced at its default and escalated at its target', () => {
    expect(normaliseResponsePolicies({ urgentMinutes: 20, adviceMinutes: 120, sessionMinutes: 1920 })).toEqual({
      urgent: { targetMinutes: 20, resurfaceAfterMinutes: 10, escalateAfterMinutes: 20 },
      advice: { targetMinutes: 120, resurfaceAfterMinutes: 60, escalateAfterMinutes: 120 },
      session: { targetMinutes: 1920, resurfaceAfterMinutes: 240, escalateAfterMinutes: 1920 },
    });
    // A target shorter than the default re-surface time: re-surfaced at half of it.
    expect(responsePoliciesSchema.parse({ urgentMinutes: 10, adviceMinutes: 50, sessionMinutes: 200 })).toMatchObject({
      urgent: { resurfaceAfterMinutes: 5, escalateAfterMinutes: 10 },
      advice: { resurfaceAfterMinutes: 25, escalateAfterMinutes: 50 },
      session: { resurfaceAfterMinutes: 100, escalateAfterMinutes: 200 },
    });
  });

  it('anything else is refused, not guessed', () => {
    expect(responsePoliciesSchema.safeParse(null).success).toBe(false);
    expect(responsePoliciesSchema.safeParse({ urgentMinutes: 30, adviceMinutes: 240 }).success).toBe(false);
    expect(responsePoliciesSchema.safeParse({ advice: 240 }).success).toBe(false);
  });
});

describe('serviceDeadline', () => {
  const LONDON = 'Europe/London';
  it('counts only service hours: Friday 16:30 + 60 min is Monday 09:30', () => {
    expect(serviceDeadline(new Date('2026-01-16T16:30:00Z'), 60, DEFAULT_SERVICE_HOURS, LONDON)).toEqual(new Date('2026-01-19T09:30:00Z'));
  });

  it('skips holidays', () => {
    const hours = { ...DEFAULT_SERVICE_HOURS, holidays: ['2026-01-19'] };
    expect(serviceDeadline(new Date('2026-01-16T16:30:00Z'), 60, hours, LONDON)).toEqual(new Date('2026-01-20T09:30:00Z'));
  });

  it('is correct across the change to summer time (Friday 27 March 2026 16:00 GMT + 120 min: Monday 10:00 BST)', () => {
    expect(serviceDeadline(new Date('2026-03-27T16:00:00Z'), 120, DEFAULT_SERVICE_HOURS, LONDON)).toEqual(new Date('2026-03-30T09:00:00Z'));
  });

  it('falls back to the wall clock when there are no service hours at all', () => {
    const closed = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
    expect(serviceDeadline(new Date('2026-01-16T16:30:00Z'), 60, closed, LONDON)).toEqual(new Date('2026-01-16T17:30:00Z'));
  });
});
