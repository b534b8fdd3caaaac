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
  const organisation = await db.organisation.findUniqueOrThrow({
    where: { id: organisationId },
    include: { contacts: { orderBy: { sortOrder: 'asc' } } },
  });
  return {
    id: organisation.id,
    name: organisation.name,
    config: parseOrgConfig(organisation),
    contacts: organisation.contacts,
  };
}
