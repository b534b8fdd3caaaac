import { orgSettingsSchema, reminderTimingsSchema } from './org-settings.js';
import { DEFAULT_RESPONSE_POLICIES, normaliseResponsePolicies, POLICY_FIELDS, RESPONSE_ROUTES, responsePoliciesSchema, type PolicyField, type ResponseRoute } from './response-policy.js';
import { DEFAULT_AUDIT_MAX_RANGE_DAYS } from './audit-query.js';
import { DEFAULT_MINIMUM_GROUP_SIZE, DEFAULT_REPORT_MAX_DAYS } from './report.js';
import { retentionSchema } from './retention.js';
import { problemsFromZod, type SetupProblem } from './setup-problems.js';

/**
 * The tunable parts of an organisation as an administrator types them: `key=value` pairs, one
 * command per part (`npm run org -- set-response-policy <slug> advice.targetMinutes=240 …`). Keys are the
 * names the bot uses in its schema (src/domain/org-settings.ts) and in its start-up messages;
 * `key=default` goes back to the policy default. The result is validated with those schemas, the
 * same ones the bot checks at start and reads on every turn. Pure.
 */

/** Where a key lives in the organisation: a route's field in the responseTargets column (the response policies) or a path in settings. */
type Location = { column: 'responseTargets'; route: ResponseRoute; key: PolicyField } | { column: 'settings'; path: readonly string[] };

export const SETTINGS_PARTS = ['response-policy', 'reminders', 'retention', 'report', 'records'] as const;
export type SettingsPart = (typeof SETTINGS_PARTS)[number];

const settings = (...path: string[]): Location => ({ column: 'settings', path });

function keysOf(shape: Record<string, unknown>, locate: (key: string) => Location): Record<string, Location> {
  return Object.fromEntries(Object.keys(shape).map((key) => [key, locate(key)]));
}

/** Every key each command sets, and where it is stored. */
export const SETTINGS_KEYS: Record<SettingsPart, Record<string, Location>> = {
  // advice.targetMinutes, advice.resurfaceAfterMinutes, advice.escalateAfterMinutes, … per route.
  'response-policy': Object.fromEntries(
    RESPONSE_ROUTES.flatMap((route) => POLICY_FIELDS.map((key): [string, Location] => [`${route}.${key}`, { column: 'responseTargets', route, key }])),
  ),
  reminders: {
    ...keysOf(reminderTimingsSchema.shape, (key) => settings('reminders', key)),
    rebookWithinDays: settings('rebookWithinDays'),
    contractReviewMonths: settings('contractReviewMonths'),
  },
  retention: keysOf(retentionSchema.shape, (key) => settings('retention', key)),
  report: {
    reportMaxRangeDays: settings('reportMaxRangeDays'),
    reportMinimumGroupSize: settings('reportMinimumGroupSize'),
    auditMaxRangeDays: settings('auditMaxRangeDays'),
  },
  records: {
    recordDueHours: settings('recordDueHours'),
    maxActionPoints: settings('maxActionPoints'),
    offerContracts: settings('offerContracts'),
  },
};

export function fieldName(location: Location): string {
  return location.column === 'responseTargets' ? `responseTargets.${location.route}.${location.key}` : `settings.${location.path.join('.')}`;
}

/** "30" → 30, "24,1" → [24, 1], anything else stays text (the schema says whether it fits). */
export function parseSettingValue(text: string): unknown {
  const value = text.trim();
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (/^-?\d+(\.\d+)?(\s*,\s*-?\d+(\.\d+)?)+$/.test(value)) return value.split(',').map((v) => Number(v.trim()));
  return value;
}

export interface StoredConfig {
  responseTargets: unknown;
  settings: unknown;
}

export interface SettingChange {
  field: string;
  /** undefined: back to the default. */
  value: unknown;
}

export type SettingsChange =
  | { ok: true; responseTargets: Record<string, unknown>; settings: Record<string, unknown>; changes: SettingChange[] }
  | { ok: false; problems: SetupProblem[] };

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
}

/** Set (or with undefined, remove) a value at `path`, copying every object on the way. */
function setAt(object: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  const copy = { ...object };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head!];
    else copy[head!] = value;
    return copy;
  }
  const inner = setAt(asObject(copy[head!]), rest, value);
  if (Object.keys(inner).length === 0) delete copy[head!];
  else copy[head!] = inner;
  return copy;
}

/**
 * Apply `key=value` assignments of one part to what is stored. Settings are stored as given (a
 * default not set stays implicit), and the whole result must pass the bot's schemas.
 */
export function changeSettings(part: SettingsPart, stored: StoredConfig, assignments: readonly string[]): SettingsChange {
  const keys = SETTINGS_KEYS[part];
  const problems: SetupProblem[] = [];
  // The policies are stored whole (every route, every field): what is there, read as the bot reads it, then changed.
  let responseTargets = asObject(normaliseResponsePolicies(stored.responseTargets));
  let next = asObject(stored.settings);
  const changes: SettingChange[] = [];
  const seen = new Set<string>();
  if (assignments.length === 0) {
    return { ok: false, problems: [{ field: part, reason: `give at least one setting as key=value; settings are ${Object.keys(keys).join(', ')}` }] };
  }
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const key = (eq < 0 ? assignment : assignment.slice(0, eq)).trim();
    const location = keys[key];
    if (!location) {
      problems.push({ field: key, reason: `is not a ${part} setting; they are ${Object.keys(keys).join(', ')}` });
      continue;
    }
    const field = fieldName(location);
    const text = eq < 0 ? '' : assignment.slice(eq + 1).trim();
    if (text === '') {
      problems.push({ field, reason: `give a value (${key}=…), or ${key}=default` });
      continue;
    }
    if (seen.has(key)) problems.push({ field, reason: 'is given more than once' });
    seen.add(key);
    const isDefault = text.toLowerCase() === 'default';
    if (location.column === 'responseTargets') {
      const value = isDefault ? DEFAULT_RESPONSE_POLICIES[location.route][location.key] : parseSettingValue(text);
      responseTargets = setAt(responseTargets, [location.route, location.key], value);
      changes.push({ field, value });
    } else {
      const value = isDefault ? undefined : parseSettingValue(text);
      next = setAt(next, location.path, value);
      changes.push({ field, value });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  // The response targets are checked when this part sets them; the settings always, whole, as at start.
  const setsTargets = Object.values(keys).some((l) => l.column === 'responseTargets');
  const targetsCheck = setsTargets ? responsePoliciesSchema.safeParse(responseTargets) : { success: true as const };
  if (!targetsCheck.success) problems.push(...problemsFromZod(targetsCheck.error, ['responseTargets']));
  const settingsCheck = orgSettingsSchema.safeParse(next);
  if (!settingsCheck.success) problems.push(...problemsFromZod(settingsCheck.error, ['settings']));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, responseTargets, settings: next, changes };
}

/** The default of every setting that has one outside the schema (src/domain/report.ts, audit-query.ts). */
const OPTIONAL_DEFAULTS: Record<string, number> = {
  reportMaxRangeDays: DEFAULT_REPORT_MAX_DAYS,
  reportMinimumGroupSize: DEFAULT_MINIMUM_GROUP_SIZE,
  auditMaxRangeDays: DEFAULT_AUDIT_MAX_RANGE_DAYS,
};

export interface EffectiveSetting {
  key: string;
  field: string;
  value: unknown;
  /** Not set for this organisation: the policy default applies. */
  isDefault: boolean;
}

function getAt(object: unknown, path: readonly string[]): unknown {
  let current = object;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Every setting of `part` as the bot applies it: the stored value, or the default when none is. */
export function effectiveSettings(part: SettingsPart, stored: StoredConfig): EffectiveSetting[] {
  const defaults = {
    settings: orgSettingsSchema.parse({}) as Record<string, unknown>,
    reminders: reminderTimingsSchema.parse({}) as Record<string, unknown>,
    retention: retentionSchema.parse({}) as Record<string, unknown>,
  };
  return Object.entries(SETTINGS_KEYS[part]).map(([key, location]) => {
    const field = fieldName(location);
    if (location.column === 'responseTargets') {
      const given = getAt(stored.responseTargets, [location.route, location.key]);
      const value = given ?? getAt(normaliseResponsePolicies(stored.responseTargets), [location.route, location.key]);
      return { key, field, value, isDefault: given === undefined && value === DEFAULT_RESPONSE_POLICIES[location.route][location.key] };
    }
    const value = getAt(stored.settings, location.path);
    if (value !== undefined) return { key, field, value, isDefault: false };
    const [head, leaf] = location.path;
    const fallback = leaf === undefined ? (defaults.settings[head!] ?? OPTIONAL_DEFAULTS[head!]) : (defaults[head as 'reminders' | 'retention']?.[leaf] ?? null);
    return { key, field, value: fallback, isDefault: true };
  });
}
