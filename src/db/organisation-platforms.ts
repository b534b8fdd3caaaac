// Tenant pinning: outside local mode an organisation is reached only from the Teams tenant and
// the Slack workspace recorded for it (src/db/directory.ts). A configured platform that some
// organisation has no id for would leave its people unable to use the bot without anyone
// noticing why, so the start stops and says which command records it.
import { ConfigError } from '../config.js';
import { SLACK_TEAM_ID, TENANT_ID } from '../domain/organisation-identity.js';
import { recordAudit } from './audit.js';
import type { Db } from './client.js';

export interface ConfiguredPlatforms {
  teams: boolean;
  slack: boolean;
}

export interface PlatformIds {
  teamsTenantId?: string | null;
  slackTeamId?: string | null;
}

export class PlatformIdsError extends Error {
  override name = 'PlatformIdsError';
}

/** The command that records an organisation's ids, as the start message and the README give it. */
export function setPlatformIdsCommand(slug: string, missing: { teams: boolean; slack: boolean }): string {
  const flags = [missing.teams ? '--teams-tenant <Entra tenant id>' : '', missing.slack ? '--slack-workspace <Slack team id>' : ''].filter(Boolean).join(' ');
  return `npm run org -- set-platform-ids ${slug} ${flags}`;
}

/** One line per organisation that lacks the id of a configured platform; empty when all are pinned. */
export async function findUnpinnedOrganisations(db: Db, platforms: ConfiguredPlatforms): Promise<string[]> {
  const orgs = await db.organisation.findMany({ select: { slug: true, name: true, teamsTenantId: true, slackTeamId: true }, orderBy: { slug: 'asc' } });
  const lines: string[] = [];
  for (const org of orgs) {
    const missing = { teams: platforms.teams && !org.teamsTenantId, slack: platforms.slack && !org.slackTeamId };
    if (!missing.teams && !missing.slack) continue;
    const what = [missing.teams ? 'Teams tenant id' : '', missing.slack ? 'Slack workspace id' : ''].filter(Boolean).join(' and ');
    lines.push(`  organisation "${org.name}" (${org.slug}) has no ${what}: ${setPlatformIdsCommand(org.slug, missing)}`);
  }
  return lines;
}

/** Rejects when a configured platform is not pinned for every organisation. */
export async function assertTenantsPinned(db: Db, platforms: ConfiguredPlatforms): Promise<void> {
  const lines = await findUnpinnedOrganisations(db, platforms);
  if (lines.length === 0) return;
  throw new ConfigError(
    `Tenants are not pinned, so the bot did not start (with credentials, an organisation takes only the Teams tenant and Slack workspace recorded for it):\n${lines.join('\n')}`,
  );
}

/** Record an organisation's Teams tenant and/or Slack workspace, validated and audited. */
export async function setPlatformIds(db: Db, slug: string, ids: PlatformIds, now: Date): Promise<{ slug: string; teamsTenantId: string | null; slackTeamId: string | null }> {
  if (ids.teamsTenantId === undefined && ids.slackTeamId === undefined) throw new PlatformIdsError('Give --teams-tenant, --slack-workspace or both.');
  if (ids.teamsTenantId && !TENANT_ID.test(ids.teamsTenantId)) throw new PlatformIdsError(`--teams-tenant must be an Entra tenant id (a GUID), not "${ids.teamsTenantId}".`);
  if (ids.slackTeamId && !SLACK_TEAM_ID.test(ids.slackTeamId)) throw new PlatformIdsError(`--slack-workspace must be a Slack team id (T… or E…, capitals and digits), not "${ids.slackTeamId}".`);
  const data = {
    ...(ids.teamsTenantId !== undefined ? { teamsTenantId: ids.teamsTenantId?.toLowerCase() ?? null } : {}),
    ...(ids.slackTeamId !== undefined ? { slackTeamId: ids.slackTeamId } : {}),
  };
  return db.$transaction(async (tx) => {
    const org = await tx.organisation.findUnique({ where: { slug }, select: { id: true } });
    if (!org) throw new PlatformIdsError(`Unknown organisation "${slug}".`);
    const taken = await tx.organisation.findFirst({
      where: { id: { not: org.id }, OR: [...(data.teamsTenantId ? [{ teamsTenantId: data.teamsTenantId }] : []), ...(data.slackTeamId ? [{ slackTeamId: data.slackTeamId }] : [])] },
      select: { slug: true },
    });
    if (taken && (data.teamsTenantId || data.slackTeamId)) throw new PlatformIdsError(`That tenant or workspace is already recorded for organisation "${taken.slug}".`);
    const updated = await tx.organisation.update({ where: { id: org.id }, data, select: { slug: true, teamsTenantId: true, slackTeamId: true } });
    await recordAudit(tx, {
      at: now,
      organisationId: org.id,
      actorId: null,
      action: 'organisation.platform-ids.set',
      subjectType: 'organisation',
      subjectId: org.id,
      detail: { teamsTenantId: updated.teamsTenantId, slackTeamId: updated.slackTeamId },
    });
    return updated;
  });
}
