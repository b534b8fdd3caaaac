import { byLine, readCsvTable } from './csv-table.js';
import type { SetupProblem } from './setup-problems.js';

/**
 * An organisation's staff groups file (`npm run org -- set-staff-groups <slug> groups.csv`): one
 * column, `name`, one group per row. The file is the whole list: groups not in it are removed,
 * which is refused while anyone belongs to one or the supervision matrix has rows for it (move
 * the people with `npm run import:people`, load a matrix without it, then the groups). A name
 * differing only in case from an existing group renames it. Pure.
 */

export const MAX_STAFF_GROUPS = 500;
export const MAX_STAFF_GROUP_NAME_LENGTH = 100;

const COLUMNS = { required: ['name'], optional: [] } as const;

export interface ExistingStaffGroup {
  name: string;
  members: number;
  requirements: number;
}

export interface StaffGroupsPlan {
  /** Every group in the file, in order. */
  names: string[];
  create: string[];
  rename: { from: string; to: string }[];
  remove: string[];
}

export type StaffGroupsValidation = { ok: true; plan: StaffGroupsPlan } | { ok: false; problems: SetupProblem[] };

export function checkStaffGroupsCsv(text: string, existing: readonly ExistingStaffGroup[]): StaffGroupsValidation {
  const table = readCsvTable<'name'>(text, COLUMNS, MAX_STAFF_GROUPS);
  const problems = [...table.problems];
  const names: string[] = [];
  const firstLine = new Map<string, number>();
  for (const row of table.rows) {
    const name = (row.cell('name') ?? '').replace(/\s+/g, ' ');
    if (name === '') {
      problems.push({ line: row.line, field: 'name', reason: 'name is empty' });
      continue;
    }
    if (name.length > MAX_STAFF_GROUP_NAME_LENGTH) {
      problems.push({ line: row.line, field: 'name', reason: `name is longer than ${MAX_STAFF_GROUP_NAME_LENGTH} characters` });
      continue;
    }
    const key = name.toLowerCase();
    const first = firstLine.get(key);
    if (first !== undefined) {
      problems.push({ line: row.line, field: 'name', reason: `staff group "${name}" is already on line ${first}` });
      continue;
    }
    firstLine.set(key, row.line);
    names.push(name);
  }
  const wanted = new Map(names.map((n) => [n.toLowerCase(), n]));
  const existingByKey = new Map(existing.map((g) => [g.name.toLowerCase(), g]));
  const remove: string[] = [];
  if (table.rows.length > 0) {
    for (const group of existing) {
      if (wanted.has(group.name.toLowerCase())) continue;
      if (group.members > 0) {
        problems.push({
          line: table.headerLine,
          field: 'name',
          reason: `staff group "${group.name}" is not in the file, but ${group.members} ${group.members === 1 ? 'person belongs' : 'people belong'} to it: keep it, or move them first (npm run import:people)`,
        });
      } else if (group.requirements > 0) {
        problems.push({
          line: table.headerLine,
          field: 'name',
          reason: `staff group "${group.name}" is not in the file, but the supervision matrix has rows for it: keep it, or load a matrix without it first (set-matrix)`,
        });
      } else {
        remove.push(group.name);
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems: byLine(problems) };
  const create = names.filter((n) => !existingByKey.has(n.toLowerCase()));
  const rename = names.flatMap((to) => {
    const from = existingByKey.get(to.toLowerCase())?.name;
    return from !== undefined && from !== to ? [{ from, to }] : [];
  });
  return { ok: true, plan: { names, create, rename, remove } };
}
