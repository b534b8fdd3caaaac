// A new organisation (`npm run org -- create`), with the policy defaults for its service hours
// (Monday to Friday 09:00-17:00), response policies and settings until they are set. Audited.
import { checkNewOrganisation, type NewOrganisation, type NewOrganisationInput } from '../domain/organisation-identity.js';
import { DEFAULT_SERVICE_HOURS, parseOrgConfig } from '../domain/org-settings.js';
import { DEFAULT_RESPONSE_POLICIES } from '../domain/response-policy.js';
import { SetupRefusedError, type SetupProblem } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import { recordAudit } from './audit.js';
import type { Db } from './client.js';

export type CreatedOrganisation = NewOrganisation & { id: string };

export async function createOrganisation(db: Db, input: NewOrganisationInput, clock: Clock): Promise<CreatedOrganisation> {
  const checked = checkNewOrganisation(input);
  if (!checked.ok) throw new SetupRefusedError(checked.problems);
  const org = checked.organisation;
  const config = { timeZone: org.timeZone, serviceHours: DEFAULT_SERVICE_HOURS, responseTargets: DEFAULT_RESPONSE_POLICIES, settings: {} };
  parseOrgConfig(config); // the defaults pass the bot's own schema
  const now = clock.now();
  return db.$transaction(async (tx) => {
    // Serialise creations, so two at once cannot both take a slug, tenant or prefix.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('sg-supervision:organisation-create'))`;
    const problems: SetupProblem[] = [];
    const clash = async (where: object) => tx.organisation.findFirst({ where, select: { slug: true } });
    if (await clash({ slug: org.slug })) problems.push({ field: 'slug', reason: `an organisation "${org.slug}" already exists` });
    const prefixOwner = await clash({ referencePrefix: org.referencePrefix });
    if (prefixOwner) {
      problems.push({ field: 'referencePrefix', reason: `${org.referencePrefix} is already the reference prefix of "${prefixOwner.slug}": references must be unique, choose another (--reference-prefix)` });
    }
    const tenantOwner = org.teamsTenantId ? await clash({ teamsTenantId: org.teamsTenantId }) : null;
    if (tenantOwner) problems.push({ field: 'teamsTenantId', reason: `that tenant is already recorded for organisation "${tenantOwner.slug}"` });
    const workspaceOwner = org.slackTeamId ? await clash({ slackTeamId: org.slackTeamId }) : null;
    if (workspaceOwner) problems.push({ field: 'slackTeamId', reason: `that workspace is already recorded for organisation "${workspaceOwner.slug}"` });
    if (problems.length > 0) throw new SetupRefusedError(problems);

    const created = await tx.organisation.create({
      data: {
        slug: org.slug,
        name: org.name,
        timeZone: org.timeZone,
        referencePrefix: org.referencePrefix,
        teamsTenantId: org.teamsTenantId,
        slackTeamId: org.slackTeamId,
        serviceHours: config.serviceHours,
        responseTargets: config.responseTargets,
        settings: config.settings,
        createdAt: now,
      },
      select: { id: true, slug: true, name: true, timeZone: true, referencePrefix: true, teamsTenantId: true, slackTeamId: true },
    });
    await recordAudit(tx, {
      at: now,
      organisationId: created.id,
      actorId: null,
      action: 'organisation.created',
      subjectType: 'organisation',
      subjectId: created.id,
      detail: {
        via: 'command line',
        slug: created.slug,
        timeZone: created.timeZone,
        referencePrefix: created.referencePrefix,
        teamsTenantId: created.teamsTenantId,
        slackTeamId: created.slackTeamId,
      },
    });
    return created;
  });
}
