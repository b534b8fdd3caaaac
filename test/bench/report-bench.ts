// Quarterly report benchmark (issue 6; DESIGN.md §7), run by test/bench/run.ts (BENCH_ONLY=report):
// how long the report takes for a year of activity, at two sizes in the same run:
//
//   small (baseline)  5,000 staff and 10,000 sessions in the year   (× BENCH_REPORT_SCALE, default 1)
//   large            50,000 staff and 100,000 sessions in the year
//
// with, per size, half as many requests as staff, a record for every second session and an action
// point on each record. Staff are spread over eight staff groups (six with a mandatory cadence);
// three sessions in ten are group sessions of three people. Rows are made with generate_series.
// Each case runs the report for the whole year and for its last quarter, three times, and keeps
// the median: the figures (every aggregate query) and the whole report (figures, chart PNG, CSV).
// Target: the year's report at the large size under 2 s. results/report.json

import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import type { Db } from '../../src/db/client.js';
import { loadReportFigures, loadStaffGroups } from '../../src/db/report-queries.js';
import { reportCsv, resolvePeriod, type ReportPeriod } from '../../src/domain/report.js';
import { renderChartPng } from '../../src/report/chart.js';
import { createTestDatabase } from '../support/database.js';
import { environmentFacts, ratio, RESULTS_DIR, table, type BenchOutcome, type BenchSettings, type CleanupStack } from './common.js';

const TARGET_S = 2;
const ZONE = 'Europe/London';
const SUPERVISORS = 100;
const RUNS = 3;
const GROUPS: Array<{ name: string; perYear: number | null }> = [
  { name: 'Emergency Bed Service', perYear: 2 },
  { name: 'Mental Health Nurses', perYear: 2 },
  { name: 'Frequent Caller Team', perYear: 2 },
  { name: 'Safeguarding Specialists', perYear: 4 },
  { name: 'Safeguarding Officer', perYear: 6 },
  { name: 'Head of Safeguarding', perYear: 10 },
  { name: 'Operational Staff, EOC and 111', perYear: null },
  { name: 'Patient Transport', perYear: null },
];

export interface Size {
  name: 'small' | 'large';
  staff: number;
  sessions: number;
}

function scaleFromEnv(): number {
  const raw = process.env.BENCH_REPORT_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!(value > 0 && value <= 10)) throw new Error(`BENCH_REPORT_SCALE must be a number in (0, 10] (got "${raw}")`);
  return value;
}

/** A year of activity ending yesterday, for one organisation. */
export async function seed(db: Db, size: Size, yearStart: Date): Promise<string> {
  const org = await db.organisation.create({
    data: { slug: `report-bench-${size.name}`, name: 'Report bench', serviceHours: {}, responseTargets: { urgentMinutes: 30, adviceMinutes: 240, sessionMinutes: 960 }, timeZone: ZONE },
  });
  const o = org.id;
  const groupIds: string[] = [];
  for (const group of GROUPS) {
    const created = await db.staffGroup.create({ data: { organisationId: o, name: group.name } });
    groupIds.push(created.id);
    await db.supervisionRequirement.create({
      data: {
        staffGroupId: created.id,
        kind: group.perYear ? 'MANDATORY' : 'ON_REQUEST',
        format: 'INDIVIDUAL',
        supervisorPool: 'SAFEGUARDING_SPECIALISTS',
        sessionsPerYear: group.perYear,
        durationMinutes: 60,
      },
    });
  }
  const names = GROUPS.map((g) => g.name);
  const n = GROUPS.length;
  await db.$executeRaw`
    INSERT INTO "Person" (id, "organisationId", name, email, roles, "createdAt", "updatedAt")
    SELECT md5('sup' || g)::uuid::text, ${o}, 'Supervisor ' || g, 'sup' || g || '@bench.nhs.uk', ARRAY['SUPERVISOR', 'SPECIALIST']::"Role"[], now() - interval '3 years', now()
    FROM generate_series(1, ${SUPERVISORS}::int) g`;
  await db.$executeRaw`
    INSERT INTO "Person" (id, "organisationId", name, email, "staffGroupId", "lineManagerId", roles, "createdAt", "updatedAt")
    SELECT md5('staff' || g)::uuid::text, ${o}, 'Staff ' || g, 'staff' || g || '@bench.nhs.uk', (${groupIds}::text[])[g % ${n}::int + 1],
           md5('sup' || (g % ${SUPERVISORS}::int + 1))::uuid::text, ARRAY['STAFF']::"Role"[], now() - interval '3 years' + (g % 1000) * interval '1 day', now()
    FROM generate_series(1, ${size.staff}::int) g`;
  const days = 365;
  await db.$executeRaw`
    INSERT INTO "Session" (id, "organisationId", format, type, status, "supervisorId", "proposedById", "startsAt", "endsAt", "durationMinutes",
                           "cancelledById", "cancelledAt", "updatedAt")
    SELECT md5('session' || g)::uuid::text, ${o},
           (CASE WHEN g % 10 < 3 THEN 'GROUP' ELSE 'INDIVIDUAL' END)::"SupervisionFormat",
           ((ARRAY['MANDATORY', 'MANDATORY', 'ON_REQUEST', 'CHILD_DEATH'])[g % 4 + 1])::"SupervisionType",
           (CASE WHEN g % 20 = 0 THEN 'CANCELLED' WHEN g % 33 = 0 THEN 'DECLINED' ELSE 'COMPLETED' END)::"SessionStatus",
           md5('sup' || (g % ${SUPERVISORS}::int + 1))::uuid::text, md5('sup' || (g % ${SUPERVISORS}::int + 1))::uuid::text,
           t.start, t.start + interval '1 hour', 60,
           CASE WHEN g % 20 = 0 THEN (CASE WHEN g % 40 = 0 THEN md5('sup' || (g % ${SUPERVISORS}::int + 1))::uuid::text ELSE md5('staff' || (g % ${size.staff}::int + 1))::uuid::text END) END,
           CASE WHEN g % 20 = 0 THEN t.start - interval '2 days' END,
           now()
    FROM generate_series(1, ${size.sessions}::int) g,
         LATERAL (SELECT ${yearStart}::timestamptz + ((g - 1) * ${days}::float8 / ${size.sessions}::int) * interval '1 day' + (g % 9) * interval '1 hour' AS start) t`;
  await db.$executeRaw`
    INSERT INTO "SessionAttendee" ("sessionId", "personId", attendance)
    SELECT md5('session' || g)::uuid::text, md5('staff' || ((g + k * 7) % ${size.staff}::int + 1))::uuid::text,
           (CASE WHEN g % 20 = 0 OR g % 33 = 0 THEN NULL WHEN (g + k) % 13 = 0 THEN 'DID_NOT_ATTEND' WHEN (g + k) % 17 = 0 THEN 'APOLOGIES' ELSE 'ATTENDED' END)::"Attendance"
    FROM generate_series(1, ${size.sessions}::int) g, generate_series(0, 2) k
    WHERE k = 0 OR g % 10 < 3
    ON CONFLICT DO NOTHING`;
  const requests = Math.round(size.staff / 2);
  await db.$executeRaw`
    INSERT INTO "SupervisionRequest" (id, "organisationId", reference, "requesterId", platform, "immediateRisk", urgency, route, "staffGroupName",
                                      "createdAt", "firstResponseAt", status, "updatedAt")
    SELECT md5('request' || g)::uuid::text, ${o}, 'BENCH-' || g, md5('staff' || (g % ${size.staff}::int + 1))::uuid::text, 'TEAMS', false,
           (CASE WHEN g % 10 = 0 THEN 'URGENT' ELSE 'ROUTINE' END)::"Urgency",
           (CASE WHEN g % 3 = 0 THEN 'SUPERVISION' ELSE 'ADVICE' END)::"RequestRoute",
           (${names}::text[])[(g % ${size.staff}::int + 1) % ${n}::int + 1],
           t.at, CASE WHEN g % 10 = 9 THEN NULL ELSE t.at + (g % 600) * interval '1 minute' END, 'CLOSED', now()
    FROM generate_series(1, ${requests}::int) g,
         LATERAL (SELECT ${yearStart}::timestamptz + ((g - 1) * ${days}::float8 / ${requests}::int) * interval '1 day' AS at) t`;
  const records = Math.round(size.sessions / 2);
  await db.$executeRaw`
    INSERT INTO "SupervisionRecord" (id, "organisationId", kind, "supervisorId", format, type, status, "createdAt", "updatedAt")
    SELECT md5('record' || r)::uuid::text, ${o}, 'SESSION', md5('sup' || (r % ${SUPERVISORS}::int + 1))::uuid::text, 'INDIVIDUAL', 'MANDATORY', 'SIGNED',
           ${yearStart}::timestamptz + ((r - 1) * ${days}::float8 / ${records}::int) * interval '1 day', now()
    FROM generate_series(1, ${records}::int) r`;
  await db.$executeRaw`
    INSERT INTO "ActionPoint" (id, "recordId", ordinal, description, kind, "ownerId", "dueOn", status)
    SELECT md5('point' || r)::uuid::text, md5('record' || r)::uuid::text, 1, 'Bench action point',
           ((ARRAY['NO_FURTHER_ACTION', 'TRAINING_NEED', 'SEEK_FURTHER_GUIDANCE', 'SIGNPOSTED_TO_SUPPORT', 'FOLLOW_UP_SUPERVISION', 'SAFEGUARDING_REFERRAL', 'ESCALATION'])[r % 7 + 1])::"ActionPointKind",
           md5('staff' || (r % ${size.staff}::int + 1))::uuid::text, (${yearStart}::timestamptz + (r % 400) * interval '1 day')::date,
           (CASE WHEN r % 5 < 3 THEN 'DONE' ELSE 'OPEN' END)::"ActionPointStatus"
    FROM generate_series(1, ${records}::int) r`;
  await db.$executeRaw`ANALYZE`;
  return o;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timeReport(db: Db, organisationId: string, period: ReportPeriod, today: string) {
  const figuresS: number[] = [];
  const wholeS: number[] = [];
  let sessions = 0;
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    const { cadences } = await loadStaffGroups(db, organisationId);
    const figures = await loadReportFigures(db, { organisationId, period, today, cadences });
    const queried = performance.now();
    renderChartPng(figures, `Supervision ${period.label}`);
    reportCsv(figures, period);
    const done = performance.now();
    figuresS.push((queried - started) / 1000);
    wholeS.push((done - started) / 1000);
    sessions = figures.sessionTotal;
  }
  return { figuresS: median(figuresS), wholeS: median(wholeS), sessions };
}

interface CaseResult {
  size: Size['name'];
  staff: number;
  sessionsStored: number;
  period: string;
  sessionsInPeriod: number;
  figuresS: number;
  wholeS: number;
}

export async function runReportBench(_settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const scale = scaleFromEnv();
  const sizes: Size[] = [
    { name: 'small', staff: Math.round(5_000 * scale), sessions: Math.round(10_000 * scale) },
    { name: 'large', staff: Math.round(50_000 * scale), sessions: Math.round(100_000 * scale) },
  ];
  const now = new Date();
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  const yearStart = today.minus({ days: 365 });
  const year = resolvePeriod({ kind: 'range', from: yearStart.toISODate()!, to: today.minus({ days: 1 }).toISODate()! }, now, ZONE, 366);
  const quarter = resolvePeriod({ kind: 'last-quarter' }, now, ZONE, 366);
  console.log(`Quarterly report: ${sizes.map((s) => `${s.staff} staff / ${s.sessions} sessions`).join(' and ')} over a year; the year's report and ${quarter.label}'s`);

  const results: CaseResult[] = [];
  let broken = false;
  for (const size of sizes) {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const seeded = performance.now();
    const organisationId = await seed(database.db, size, yearStart.toJSDate());
    console.log(`  ${size.name}: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    for (const period of [year, quarter]) {
      const run = await timeReport(database.db, organisationId, period, today.toISODate()!);
      // A report that counts nothing measures nothing.
      if (run.sessions === 0) broken = true;
      results.push({ size: size.name, staff: size.staff, sessionsStored: size.sessions, period: period === year ? 'year' : period.label, sessionsInPeriod: run.sessions, figuresS: run.figuresS, wholeS: run.wholeS });
    }
    await database.drop();
  }

  const s = (x: number) => x.toFixed(3);
  const baseline = (r: CaseResult) => results.find((b) => b.size === 'small' && b.period === r.period)!;
  console.log(
    table([
      ['case', 'staff / sessions stored', 'sessions in period', 'figures s', 'whole report s', 'vs small (same period)'],
      ...results.map((r) => [`${r.size} · ${r.period}`, `${r.staff} / ${r.sessionsStored}`, String(r.sessionsInPeriod), s(r.figuresS), s(r.wholeS), `${ratio(r.wholeS, baseline(r).wholeS)}x`]),
    ]),
  );
  const largeYear = results.find((r) => r.size === 'large' && r.period === 'year')!;
  const pass = largeYear.wholeS < TARGET_S;
  console.log(`Report: the year's report at ${largeYear.staff} staff / ${largeYear.sessionsStored} sessions took ${s(largeYear.wholeS)} s (target < ${TARGET_S} s): ${pass ? 'PASS' : 'MISS'}${broken ? ' (BROKEN: a period counted no sessions)' : ''}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}/report.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), environment: environmentFacts(), scale, results, targetSeconds: TARGET_S, pass }, null, 2)}\n`);
  return { broken };
}
