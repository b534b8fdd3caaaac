import type { Db } from './client.js';
import { parseOrgConfig, type OrgConfig } from '../domain/org-settings.js';
import type { Contact } from '../domain/urgent-routes.js';

export interface OrganisationContext {
  id: string;
  name: string;
  config: OrgConfig;
  contacts: Contact[];
}

/** An organisation with its settings validated; invalid settings fail loudly here, not mid-turn. */
export async function loadOrganisation(db: Db, organisationId: string): Promise<OrganisationContext> {
  return contextOf(await db.organisation.findUniqueOrThrow({ where: { id: organisationId }, include: withContacts }));
}

/** Every organisation, as loadOrganisation gives one, with its platform tenants: one query. */
export async function loadAllOrganisations(db: Db): Promise<Array<OrganisationContext & { teamsTenantId: string | null; slackTeamId: string | null }>> {
  const rows = await db.organisation.findMany({ include: withContacts, orderBy: { createdAt: 'asc' } });
  return rows.map((row) => ({ ...contextOf(row), teamsTenantId: row.teamsTenantId, slackTeamId: row.slackTeamId }));
}

const withContacts = { contacts: { orderBy: { sortOrder: 'asc' } } } as const;

function contextOf(organisation: Parameters<typeof parseOrgConfig>[0] & { id: string; name: string; contacts: OrganisationContext['contacts'] }): OrganisationContext {
  return { id: organisation.id, name: organisation.name, config: parseOrgConfig(organisation), contacts: organisation.contacts };
}
