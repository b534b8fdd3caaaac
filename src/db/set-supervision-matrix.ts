// The supervision matrix from a CSV file (src/domain/matrix-rows.ts): checked against the staff
// groups and directory stored, inside the transaction that writes it. The file is the whole
// matrix: rows are matched by (staff group, kind, format) and updated, others added, rows not in
// the file removed. All or nothing, audited.
import { checkMatrixCsv } from '../domain/matrix-rows.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation } from './organisation-change.js';

export interface MatrixLoaded {
  rows: number;
  created: number;
  updated: number;
  removed: number;
  supervisors: number;
}

export async function setSupervisionMatrix(db: Db, slug: string, csvText: string, clock: Clock): Promise<MatrixLoaded> {
  return changeOrganisation(db, slug, clock, 'organisation.matrix.set', async (tx, org) => {
    const groups = await tx.staffGroup.findMany({ where: { organisationId: org.id }, select: { id: true, name: true } });
    const people = await tx.person.findMany({ where: { organisationId: org.id }, select: { id: true, email: true, roles: true, active: true } });
    const checked = checkMatrixCsv(csvText, {
      staffGroupNames: groups.map((g) => g.name),
      people: new Map(people.map((p) => [p.email.toLowerCase(), { roles: p.roles, active: p.active }])),
    });
    if (!checked.ok) throw new SetupRefusedError(checked.problems);

    const groupId = new Map(groups.map((g) => [g.name, g.id]));
    const personId = new Map(people.map((p) => [p.email.toLowerCase(), p.id]));
    const existing = await tx.supervisionRequirement.findMany({
      where: { staffGroup: { organisationId: org.id } },
      select: { id: true, staffGroupId: true, kind: true, format: true },
    });
    const keyOf = (r: { staffGroupId: string; kind: string; format: string }) => `${r.staffGroupId}\u0000${r.kind}\u0000${r.format}`;
    const existingByKey = new Map(existing.map((r) => [keyOf(r), r.id]));
    const kept = new Set<string>();
    let created = 0;
    let updated = 0;
    let supervisors = 0;
    for (const row of checked.rows) {
      const staffGroupId = groupId.get(row.staffGroup)!;
      const fields = {
        supervisorPool: row.supervisorPool,
        sessionsPerYear: row.sessionsPerYear,
        intervalMonths: row.intervalMonths,
        durationMinutes: row.durationMinutes,
        typicalGroupSize: row.typicalGroupSize,
      };
      const before = existingByKey.get(keyOf({ staffGroupId, kind: row.kind, format: row.format }));
      const saved = before
        ? await tx.supervisionRequirement.update({ where: { id: before }, data: fields, select: { id: true } })
        : await tx.supervisionRequirement.create({ data: { staffGroupId, kind: row.kind, format: row.format, ...fields }, select: { id: true } });
      if (before) updated += 1;
      else created += 1;
      kept.add(saved.id);
      await tx.supervisorPoolMember.deleteMany({ where: { requirementId: saved.id } });
      if (row.supervisors.length > 0) {
        await tx.supervisorPoolMember.createMany({ data: row.supervisors.map((email) => ({ requirementId: saved.id, personId: personId.get(email)! })) });
        supervisors += row.supervisors.length;
      }
    }
    const gone = existing.filter((r) => !kept.has(r.id)).map((r) => r.id);
    if (gone.length > 0) await tx.supervisionRequirement.deleteMany({ where: { id: { in: gone } } });
    const result = { rows: checked.rows.length, created, updated, removed: gone.length, supervisors };
    return { result, detail: { ...result } };
  });
}
