import { z } from 'zod';

/**
 * One response policy per route (urgent, advice, session): how soon the safeguarding team aims
 * to make first contact (the promise told to the requester and shown on the triage card), when
 * a request nobody has claimed is re-surfaced in the triage channel, and when it is escalated to
 * the Head of Safeguarding. All three on ONE clock: minutes of service time, time inside the
 * organisation's service hours (src/domain/service-time.ts). Urgent requests are answered at
 * once with the urgent routes whatever the hour; out of service hours the 24/7 routes carry them
 * and the urgent policy counts from the team's next opening, like the others.
 *
 * Stored in the organisation's `responseTargets` JSON column as
 * `{ urgent: {targetMinutes, resurfaceAfterMinutes, escalateAfterMinutes}, advice: {…}, session: {…} }`.
 * The reader is tolerant, and says so here: a route or field that is absent takes the policy
 * default below, and the shape stored before one policy per route (`{urgentMinutes,
 * adviceMinutes, sessionMinutes}`, with the unclaimed times in `settings` on the wall clock) is
 * read as targets with each route's default re-surface time and escalation at the target
 * (migration 20261207034500_response_policy_per_route rewrote stored rows to the new shape). Pure.
 */

export const RESPONSE_ROUTES = ['urgent', 'advice', 'session'] as const;
export type ResponseRoute = (typeof RESPONSE_ROUTES)[number];

export const POLICY_FIELDS = ['targetMinutes', 'resurfaceAfterMinutes', 'escalateAfterMinutes'] as const;
export type PolicyField = (typeof POLICY_FIELDS)[number];

/** A type, not an interface, so it is plain JSON to the database client. */
export type RoutePolicy = {
  /** First contact within this many service minutes (the promise). */
  targetMinutes: number;
  /** Unclaimed this long (service minutes): re-surfaced in the triage channel. */
  resurfaceAfterMinutes: number;
  /** Unclaimed this long (service minutes): escalated to the Head of Safeguarding; after re-surfacing, at the latest at the target. */
  escalateAfterMinutes: number;
};
export type ResponsePolicies = Record<ResponseRoute, RoutePolicy>;

/**
 * The range of each route's target, in service minutes. An urgent follow-up later than one
 * 8-hour service day is not urgent; a first contact later than 10 (advice) or 20 (session)
 * service days would leave a request waiting longer than the rebooking window of seeds 003.
 * The lower bound leaves room for a re-surface and a later escalation inside the target.
 */
export const TARGET_RANGES: Record<ResponseRoute, { min: number; max: number }> = {
  urgent: { min: 10, max: 8 * 60 },
  advice: { min: 10, max: 10 * 8 * 60 },
  session: { min: 10, max: 20 * 8 * 60 },
};

/** The shortest re-surface or escalation time: the sweep runs every minute, the channel needs a moment to act. */
export const MIN_REMINDER_MINUTES = 5;

/**
 * The policy defaults (and the demo's). The seeds give no number of minutes: seeds 003 offers
 * ad-hoc advice daily in service hours, so advice is promised within the same working day
 * (4 service hours); a session request is answered within two working days (2 × 8 = 960
 * service minutes); an urgent follow-up within half an hour of the team being on duty. Each is
 * re-surfaced well before its target and escalated when the target falls due unmet.
 */
export const DEFAULT_RESPONSE_POLICIES: ResponsePolicies = {
  urgent: { targetMinutes: 30, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 },
  advice: { targetMinutes: 4 * 60, resurfaceAfterMinutes: 60, escalateAfterMinutes: 4 * 60 },
  session: { targetMinutes: 2 * 8 * 60, resurfaceAfterMinutes: 4 * 60, escalateAfterMinutes: 2 * 8 * 60 },
};

const LEGACY_KEYS: Record<ResponseRoute, string> = { urgent: 'urgentMinutes', advice: 'adviceMinutes', session: 'sessionMinutes' };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A target of the old flat shape as a whole policy: the route's default re-surface time (half the target when that is not shorter), escalation at the target. */
export function policyFromLegacyTarget(route: ResponseRoute, target: number): RoutePolicy {
  const fallback = DEFAULT_RESPONSE_POLICIES[route].resurfaceAfterMinutes;
  const resurface = fallback < target ? fallback : Math.max(MIN_REMINDER_MINUTES, Math.floor(target / 2));
  return { targetMinutes: target, resurfaceAfterMinutes: resurface, escalateAfterMinutes: target };
}

/**
 * What is stored, read tolerantly (see the file comment): the old flat shape converted, absent
 * routes and fields filled with the defaults. Anything else is passed on for the schema to judge.
 */
export function normaliseResponsePolicies(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const legacy = Object.values(LEGACY_KEYS).some((key) => key in raw) && !RESPONSE_ROUTES.some((route) => route in raw);
  if (legacy) {
    const allNumbers = Object.values(LEGACY_KEYS).every((key) => typeof raw[key] === 'number') && Object.keys(raw).length === 3;
    if (!allNumbers) return raw;
    return Object.fromEntries(RESPONSE_ROUTES.map((route) => [route, policyFromLegacyTarget(route, raw[LEGACY_KEYS[route]] as number)]));
  }
  const out: Record<string, unknown> = { ...raw };
  for (const route of RESPONSE_ROUTES) {
    const given = raw[route];
    if (given === undefined) out[route] = { ...DEFAULT_RESPONSE_POLICIES[route] };
    else if (isObject(given)) out[route] = { ...DEFAULT_RESPONSE_POLICIES[route], ...given };
  }
  return out;
}

const minutes = (min: number, max: number) => {
  const message = `must be a whole number of service minutes from ${min} to ${max}`;
  return z.number({ error: message }).int(message).min(min, message).max(max, message);
};

const isWhole = (value: unknown, min: number, max: number) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

function routePolicySchema(route: ResponseRoute) {
  const { min, max } = TARGET_RANGES[route];
  return z
    .object({
      targetMinutes: minutes(min, max),
      resurfaceAfterMinutes: minutes(MIN_REMINDER_MINUTES, max),
      escalateAfterMinutes: minutes(MIN_REMINDER_MINUTES, max),
    })
    .strict()
    .superRefine((p, ctx) => {
      // Only between values that are themselves valid: a bad one is already reported on its own.
      const resurface = isWhole(p.resurfaceAfterMinutes, MIN_REMINDER_MINUTES, max);
      const escalate = isWhole(p.escalateAfterMinutes, MIN_REMINDER_MINUTES, max);
      const target = isWhole(p.targetMinutes, min, max);
      if (resurface && escalate && p.escalateAfterMinutes <= p.resurfaceAfterMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalateAfterMinutes'],
          message: `must be more than resurfaceAfterMinutes (${p.resurfaceAfterMinutes}): an unclaimed request is re-surfaced in the triage channel before it is escalated`,
        });
      }
      if (escalate && target && p.escalateAfterMinutes > p.targetMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalateAfterMinutes'],
          message: `must be at most targetMinutes (${p.targetMinutes}): the Head of Safeguarding hears of an unclaimed request no later than the requester was promised contact`,
        });
      }
    });
}

/** The three policies, read tolerantly (normaliseResponsePolicies) and validated whole. */
export const responsePoliciesSchema = z.preprocess(
  normaliseResponsePolicies,
  z
    .object({ urgent: routePolicySchema('urgent'), advice: routePolicySchema('advice'), session: routePolicySchema('session') })
    .strict()
    .superRefine((p, ctx) => {
      const urgent = p.urgent?.targetMinutes;
      if (!isWhole(urgent, TARGET_RANGES.urgent.min, TARGET_RANGES.urgent.max)) return;
      const longer = (['advice', 'session'] as const).filter((route) => {
        const other = p[route]?.targetMinutes;
        return isWhole(other, TARGET_RANGES[route].min, TARGET_RANGES[route].max) && urgent > other;
      });
      if (longer.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['urgent', 'targetMinutes'],
          message: `must not be longer than the ${longer.join(' and ')} target: an urgent request is answered no later than a routine one`,
        });
      }
    }),
);

/** The route whose policy a request follows: urgent whatever its kind, else advice or a session. */
export function responseRouteOf(urgency: string, route: string): ResponseRoute {
  if (urgency === 'URGENT') return 'urgent';
  return route === 'ADVICE' ? 'advice' : 'session';
}

export function policyFor(policies: ResponsePolicies, urgency: string, route: string): RoutePolicy {
  return policies[responseRouteOf(urgency, route)];
}
