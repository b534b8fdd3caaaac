import { isValidTimeZone, DEFAULT_TIME_ZONE } from './time.js';
import type { SetupProblem } from './setup-problems.js';

/**
 * What names an organisation and pins it to its platforms (`npm run org -- create`): slug, name,
 * time zone, reference prefix, Teams tenant and Slack workspace. Pure.
 */

/** An Entra tenant id. */
export const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Slack team (workspace) id, or an Enterprise Grid id. */
export const SLACK_TEAM_ID = /^[TE][A-Z0-9]{2,20}$/;
/** Lower-case words joined by hyphens: how the commands name the organisation. */
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** The start of request references such as SGS-2026-0042 (src/domain/reference.ts). */
export const REFERENCE_PREFIX = /^[A-Z]{2,8}$/;

export const MAX_SLUG_LENGTH = 50;
export const MAX_ORGANISATION_NAME_LENGTH = 200;
export const DEFAULT_REFERENCE_PREFIX = 'SGS';

export function tenantIdProblem(value: string): string | null {
  return TENANT_ID.test(value) ? null : `must be an Entra tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47), not "${value}"`;
}

export function slackTeamIdProblem(value: string): string | null {
  return SLACK_TEAM_ID.test(value) ? null : `must be a Slack team id (T… or E…, capitals and digits), not "${value}"`;
}

export interface NewOrganisationInput {
  slug: string;
  name: string | undefined;
  timeZone?: string | undefined;
  referencePrefix?: string | undefined;
  teamsTenantId?: string | undefined;
  slackTeamId?: string | undefined;
}

export interface NewOrganisation {
  slug: string;
  name: string;
  timeZone: string;
  referencePrefix: string;
  /** Lower case. */
  teamsTenantId: string | null;
  slackTeamId: string | null;
}

export type NewOrganisationCheck = { ok: true; organisation: NewOrganisation } | { ok: false; problems: SetupProblem[] };

/** Every problem with a new organisation's identity, or the organisation ready to write. */
export function checkNewOrganisation(input: NewOrganisationInput): NewOrganisationCheck {
  const problems: SetupProblem[] = [];
  const slug = input.slug.trim();
  if (!SLUG.test(slug) || slug.length > MAX_SLUG_LENGTH) {
    problems.push({ field: 'slug', reason: `must be lower-case letters and digits joined by hyphens, at most ${MAX_SLUG_LENGTH} characters (such as nhs-trust), not "${slug}"` });
  }
  const name = input.name?.replace(/\s+/g, ' ').trim() ?? '';
  if (name === '') problems.push({ field: 'name', reason: 'is required (--name "…")' });
  else if (name.length > MAX_ORGANISATION_NAME_LENGTH) problems.push({ field: 'name', reason: `is longer than ${MAX_ORGANISATION_NAME_LENGTH} characters` });
  const timeZone = input.timeZone?.trim() || DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(timeZone)) problems.push({ field: 'timeZone', reason: `"${timeZone}" is not an IANA time zone (such as Europe/London)` });
  const referencePrefix = input.referencePrefix?.trim() || DEFAULT_REFERENCE_PREFIX;
  if (!REFERENCE_PREFIX.test(referencePrefix)) problems.push({ field: 'referencePrefix', reason: `must be 2 to 8 capital letters (such as SGS), not "${referencePrefix}"` });
  const teamsTenantId = input.teamsTenantId?.trim() || null;
  const tenantProblem = teamsTenantId === null ? null : tenantIdProblem(teamsTenantId);
  if (tenantProblem) problems.push({ field: 'teamsTenantId', reason: tenantProblem });
  const slackTeamId = input.slackTeamId?.trim() || null;
  const slackProblem = slackTeamId === null ? null : slackTeamIdProblem(slackTeamId);
  if (slackProblem) problems.push({ field: 'slackTeamId', reason: slackProblem });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, organisation: { slug, name, timeZone, referencePrefix, teamsTenantId: teamsTenantId?.toLowerCase() ?? null, slackTeamId } };
}
