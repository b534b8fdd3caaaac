// An organisation's staff groups from a CSV file (src/domain/staff-group-rows.ts): checked against
// the groups, people and matrix rows stored, inside the transaction that writes them; all or
// nothing, audited.
import { checkStaffGroupsCsv, type StaffGroupsPlan } from '../domain/staff-group-rows.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation } from './organisation-change.js';

export async function setStaffGroups(db: Db, slug: string, csvText: string, clock: Clock): Promise<StaffGroupsPlan> {
  return changeOrganisation(db, slug, clock, 'organisation.staff-groups.set', async (tx, org, now) => {
    const existing = await tx.staffGroup.findMany({
      where: { organisationId: org.id },
      select: { id: true, name: true, _count: { select: { members: true, requirements: true } } },
    });
    const checked = checkStaffGroupsCsv(
      csvText,
      existing.map((g) => ({ name: g.name, members: g._count.members, requirements: g._count.requirements })),
    );
    if (!checked.ok) throw new SetupRefusedError(checked.problems);
    const { plan } = checked;
    const idByName = new Map(existing.map((g) => [g.name, g.id]));
    if (plan.remove.length > 0) {
      await tx.staffGroup.deleteMany({ where: { organisationId: org.id, name: { in: plan.remove } } });
    }
    for (const { from, to } of plan.rename) {
      await tx.staffGroup.update({ where: { id: idByName.get(from)! }, data: { name: to } });
    }
    if (plan.create.length > 0) {
      await tx.staffGroup.createMany({ data: plan.create.map((name) => ({ organisationId: org.id, name, createdAt: now })) });
    }
    return {
      result: plan,
      detail: { groups: plan.names.length, created: plan.create.length, renamed: plan.rename.length, removed: plan.remove.length },
    };
  });
}
