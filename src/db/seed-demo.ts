// Writes the demo organisation of src/db/demo-organisation.ts to the database, in one
// transaction, once: if an organisation with the demo slug exists nothing is written.

import { randomUUID } from 'node:crypto';
import type { Db } from './client.js';
import { systemClock, type Clock } from '../domain/time.js';
import { Platform } from './generated/enums.js';
import {
  DEMO_AGREEMENT_TEMPLATES,
  DEMO_CONTACTS,
  DEMO_ORGANISATION,
  DEMO_PEOPLE,
  DEMO_STAFF_GROUPS,
  DEMO_TENANT_ID,
  type DemoPerson,
  type DemoRequirement,
} from './demo-organisation.js';

export interface SeedDemoOptions {
  /** Tenant of the Teams identities; defaults to DEMO_TENANT_ID (the playground's). */
  tenantId?: string;
  /** Stamps the people's createdAt (cadence counts from it); the harnesses pass their test clock. */
  clock?: Clock;
}

export interface SeedDemoResult {
  organisationId: string;
  created: boolean;
}

/** True when no organisation exists yet. */
export async function isDatabaseEmpty(db: Db): Promise<boolean> {
  return (await db.organisation.count()) === 0;
}

/** Managers before the people they manage, so every lineManagerId refers to an earlier row. */
function managersFirst(people: readonly DemoPerson[]): DemoPerson[] {
  const byKey = new Map(people.map((p) => [p.key, p]));
  const ordered: DemoPerson[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (p: DemoPerson): void => {
    if (placed.has(p.key)) return;
    if (visiting.has(p.key)) throw new Error(`line management cycle at demo person "${p.key}"`);
    visiting.add(p.key);
    if (p.lineManagerKey !== null) {
      const manager = byKey.get(p.lineManagerKey);
      if (!manager) throw new Error(`demo person "${p.key}" has unknown line manager "${p.lineManagerKey}"`);
      visit(manager);
    }
    visiting.delete(p.key);
    placed.add(p.key);
    ordered.push(p);
  };
  people.forEach(visit);
  return ordered;
}

/**
 * Create the demo organisation with its contacts, staff groups and supervision matrix,
 * people (with Teams identities in `options.tenantId`), supervisor pools and agreement
 * templates. Does nothing and returns `created: false` if the organisation already exists.
 */
export async function seedDemoOrganisation(db: Db, options: SeedDemoOptions = {}): Promise<SeedDemoResult> {
  const tenantId = options.tenantId ?? DEMO_TENANT_ID;
  const now = (options.clock ?? systemClock).now();

  return db.$transaction(
    async (tx) => {
      const existing = await tx.organisation.findUnique({
        where: { slug: DEMO_ORGANISATION.slug },
        select: { id: true },
      });
      if (existing) return { organisationId: existing.id, created: false };

      const organisationId = randomUUID();
      await tx.organisation.create({
        data: {
          id: organisationId,
          slug: DEMO_ORGANISATION.slug,
          name: DEMO_ORGANISATION.name,
          timeZone: DEMO_ORGANISATION.timeZone,
          referencePrefix: DEMO_ORGANISATION.referencePrefix,
          serviceHours: DEMO_ORGANISATION.serviceHours,
          responseTargets: { ...DEMO_ORGANISATION.responseTargets },
          settings: { ...DEMO_ORGANISATION.settings },
        },
      });

      await tx.organisationContact.createMany({
        data: DEMO_CONTACTS.map((c) => ({ organisationId, ...c })),
      });

      // Staff groups and the matrix.
      const groupIds = new Map<string, string>();
      const requirementRows: Array<DemoRequirement & { id: string; staffGroupId: string }> = [];
      for (const group of DEMO_STAFF_GROUPS) {
        const id = randomUUID();
        groupIds.set(group.name, id);
        for (const r of group.requirements) requirementRows.push({ id: randomUUID(), staffGroupId: id, ...r });
      }
      await tx.staffGroup.createMany({
        data: DEMO_STAFF_GROUPS.map((g) => ({ id: groupIds.get(g.name)!, organisationId, name: g.name })),
      });
      await tx.supervisionRequirement.createMany({ data: requirementRows });

      // People, managers first.
      const personIds = new Map(DEMO_PEOPLE.map((p) => [p.key, randomUUID()]));
      await tx.person.createMany({
        data: managersFirst(DEMO_PEOPLE).map((p) => ({
          id: personIds.get(p.key)!,
          createdAt: now,
          organisationId,
          name: p.name,
          email: p.email,
          jobTitle: p.jobTitle,
          roles: [...p.roles],
          staffGroupId: p.staffGroup === null ? null : groupIds.get(p.staffGroup)!,
          lineManagerId: p.lineManagerKey === null ? null : personIds.get(p.lineManagerKey)!,
          timeZone: p.timeZone,
          quietHoursStart: p.quietHoursStart,
          quietHoursEnd: p.quietHoursEnd,
          reasonableAdjustments: p.reasonableAdjustments,
        })),
      });

      await tx.platformIdentity.createMany({
        data: DEMO_PEOPLE.map((p) => ({
          personId: personIds.get(p.key)!,
          platform: Platform.TEAMS,
          tenantId,
          platformUserId: p.aadObjectId,
        })),
      });

      // Who may take each requirement's sessions.
      await tx.supervisorPoolMember.createMany({
        data: requirementRows.flatMap((r) =>
          DEMO_PEOPLE.filter((p) => p.supervisorPools.includes(r.supervisorPool)).map((p) => ({
            requirementId: r.id,
            personId: personIds.get(p.key)!,
          })),
        ),
      });

      await tx.agreementTemplate.createMany({
        data: DEMO_AGREEMENT_TEMPLATES.map((t) => ({ organisationId, ...t })),
      });

      return { organisationId, created: true };
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
}
