// The report's SQL aggregation (src/db/report-queries.ts) against an independent computation in
// plain TypeScript over generated rows (test/support/report-data.ts), for a quarter, a range
// across the October clock change, one staff group, and an empty period; and the overdue view.
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOverduePeople, loadReportFigures, loadStaffGroups, type StaffGroupCadence } from '../../src/db/report-queries.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { mandatoryDueDate, mandatoryRequirement } from '../../src/domain/reminder-policy.js';
import { resolvePeriod, type ReportFigures } from '../../src/domain/report.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { expectedFigures, generateActivity, type Generated } from '../support/report-data.js';

const ZONE = 'Europe/London';
const NOW = new Date('2026-11-23T10:00:00Z');
const TODAY = '2026-11-23';
let database: TestDatabase;
let organisationId: string;
let data: Generated;
let cadences: StaffGroupCadence[];

beforeAll(async () => {
  database = await createTestDatabase();
  organisationId = (await seedDemoOrganisation(database.db)).organisationId;
  data = await generateActivity(database.db, organisationId, { seed: 6, people: 120, sessions: 600, requests: 250, records: 150 });
  cadences = (await loadStaffGroups(database.db, organisationId)).cadences;
});

afterAll(async () => {
  await database.drop();
});

/** Medians and percentiles are floating point: compare them to a millisecond. */
function comparable(figures: ReportFigures) {
  return {
    ...figures,
    compliance: figures.compliance.map((r) => ({ ...r, required: Math.round(r.required * 1e6) / 1e6 })),
    requests: figures.requests.map((r) => ({
      ...r,
      medianMinutes: r.medianMinutes === null ? null : Math.round(r.medianMinutes * 1000) / 1000,
      p90Minutes: r.p90Minutes === null ? null : Math.round(r.p90Minutes * 1000) / 1000,
    })),
  };
}

async function check(period: ReturnType<typeof resolvePeriod>, staffGroup?: { id: string; name: string }) {
  const actual = await loadReportFigures(database.db, { organisationId, period, today: TODAY, cadences, ...(staffGroup ? { staffGroup } : {}) });
  const expected = expectedFigures(data, period, TODAY, staffGroup?.id);
  expect(comparable(actual)).toEqual(comparable(expected));
  return actual;
}

describe('report figures against an independent computation', () => {
  it('Q3 2026: every figure, with activity in every section', async () => {
    const actual = await check(resolvePeriod({ kind: 'quarter', year: 2026, quarter: 3 }, NOW, ZONE, 366));
    // The generated data really exercises each section (so equality is not 0 = 0).
    expect(actual.sessionTotal).toBeGreaterThan(50);
    expect(actual.compliance.filter((r) => r.members > 0).length).toBeGreaterThan(3);
    expect(actual.compliance.some((r) => r.compliant > 0 && r.compliant < r.members)).toBe(true);
    expect(actual.requests.find((r) => r.route === 'ALL')!.responded).toBeGreaterThan(20);
    expect(actual.actionPoints.reduce((n, r) => n + r.overdue, 0)).toBeGreaterThan(0);
    expect(actual.attendance.reduce((n, r) => n + r.didNotAttend, 0)).toBeGreaterThan(0);
    expect(actual.cancellations.bySupervisor * actual.cancellations.bySupervisee * actual.cancellations.byOthers).toBeGreaterThan(0);
  });

  it('counts a session late on the last local day in the quarter, and one at local midnight after it in the next', async () => {
    const q3 = resolvePeriod({ kind: 'quarter', year: 2026, quarter: 3 }, NOW, ZONE, 366);
    expect(q3.start.toISOString()).toBe('2026-06-30T23:00:00.000Z');
    expect(q3.end.toISOString()).toBe('2026-09-30T23:00:00.000Z');
    const q4 = resolvePeriod({ kind: 'range', from: '2026-10-01', to: '2026-11-22' }, NOW, ZONE, 366);
    const lateOnLastDay = data.sessions.find((s) => s.startsAt?.toISOString() === '2026-09-30T22:59:59.999Z')!;
    const firstOfNext = data.sessions.find((s) => s.startsAt?.toISOString() === '2026-09-30T23:00:00.000Z')!;
    expect(lateOnLastDay.startsAt! >= q3.start && lateOnLastDay.startsAt! < q3.end).toBe(true);
    expect(firstOfNext.startsAt! >= q4.start && firstOfNext.startsAt! < q4.end).toBe(true);
    await check(q4);
  });

  it('a range across the October clock change (a 25-hour day) counts by local days', async () => {
    const period = resolvePeriod({ kind: 'range', from: '2026-10-20', to: '2026-10-31' }, NOW, ZONE, 366);
    expect(period.start.toISOString()).toBe('2026-10-19T23:00:00.000Z'); // midnight BST
    expect(period.end.toISOString()).toBe('2026-11-01T00:00:00.000Z'); // midnight GMT
    expect(period.days).toBe(12);
    await check(period);
  });

  it('narrowed to one staff group', async () => {
    const group = data.groups.find((g) => g.name === 'Emergency Bed Service')!;
    const actual = await check(resolvePeriod({ kind: 'quarter', year: 2026, quarter: 3 }, NOW, ZONE, 366), { id: group.id, name: group.name });
    expect(actual.compliance.map((r) => r.staffGroup)).toEqual(['Emergency Bed Service']);
    expect(new Set(actual.sessions.map((r) => r.staffGroup))).toEqual(new Set(['Emergency Bed Service']));
  });

  it('an empty period: zeros, no medians, no compliance members', async () => {
    const actual = await check(resolvePeriod({ kind: 'range', from: '2020-01-01', to: '2020-03-31' }, NOW, ZONE, 366));
    expect(actual.sessionTotal).toBe(0);
    expect(actual.sessions).toEqual([]);
    expect(actual.compliance.every((r) => r.members === 0 && r.share === null && r.required === 0)).toBe(true);
    expect(actual.requests).toEqual([{ route: 'ALL', urgency: 'ALL', requests: 0, responded: 0, medianMinutes: null, p90Minutes: null }]);
    expect(actual.actionPoints.every((r) => r.total === 0)).toBe(true);
    expect(actual.cancellations).toEqual({ total: 0, bySupervisor: 0, bySupervisee: 0, byOthers: 0 });
  });

  it('the aggregate carries no names or ids of people', async () => {
    const actual = await loadReportFigures(database.db, { organisationId, period: resolvePeriod({ kind: 'quarter', year: 2026, quarter: 3 }, NOW, ZONE, 366), today: TODAY, cadences });
    const text = JSON.stringify(actual);
    for (const person of data.people) expect(text).not.toContain(person.id);
    expect(text).not.toContain('Generated Person');
  });
});

describe('overdue supervision', () => {
  /** Who is overdue today, computed from the rows with the reminder policy's due-date rule. */
  function expectedOverdue(lineManagerId?: string) {
    const out: Array<{ personId: string; dueOn: string }> = [];
    for (const person of data.people) {
      const group = data.groups.find((g) => g.id === person.staffGroupId);
      const requirement = group ? mandatoryRequirement(group.requirements) : null;
      if (!person.active || !requirement || (lineManagerId && person.lineManagerId !== lineManagerId)) continue;
      const attended = data.attendees
        .filter((a) => a.personId === person.id && a.attendance === 'ATTENDED')
        .map((a) => data.sessions.find((s) => s.id === a.sessionId)!.startsAt)
        .filter((at): at is Date => at !== null && at <= NOW);
      const last = attended.length ? new Date(Math.max(...attended.map((d) => d.getTime()))) : null;
      const due = mandatoryDueDate({ id: person.id, lineManagerId: null, lastAttendedAt: last, joinedAt: person.createdAt }, requirement, ZONE);
      if (due && due.toISODate()! <= TODAY) out.push({ personId: person.id, dueOn: due.toISODate()! });
    }
    return out.sort((a, b) => a.personId.localeCompare(b.personId));
  }

  it('lists exactly the people overdue today, with their due dates', async () => {
    const actual = await loadOverduePeople(database.db, { organisationId, zone: ZONE, today: TODAY, now: NOW, cadences });
    expect(actual.length).toBeGreaterThan(5);
    expect(actual.map((p) => ({ personId: p.personId, dueOn: p.dueOn })).sort((a, b) => a.personId.localeCompare(b.personId))).toEqual(expectedOverdue());
    for (const p of actual) expect(p.daysOverdue).toBe(Math.round(DateTime.fromISO(TODAY).diff(DateTime.fromISO(p.dueOn), 'days').days));
  });

  it("for a line manager, only their own reports", async () => {
    const manager = data.people.find((p) => data.people.filter((q) => q.lineManagerId === p.id).length > 5)!;
    const actual = await loadOverduePeople(database.db, { organisationId, zone: ZONE, today: TODAY, now: NOW, cadences, lineManagerId: manager.id });
    expect(actual.map((p) => p.personId).sort()).toEqual(expectedOverdue(manager.id).map((p) => p.personId));
    expect(actual.length).toBeLessThan(expectedOverdue().length);
  });
});
