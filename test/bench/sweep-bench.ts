// Sweep cost benchmark (issue 5; DESIGN.md §7 "sweep cost"), run by test/bench/run.ts
// (BENCH_ONLY=sweep): how long sweepDueFacts takes to find what is due, at two sizes and two
// due shares, so that growth with what is due can be told apart from growth with what is
// stored:
//
//   small  5,000 staff and 20,000 open action points      (× BENCH_SWEEP_SCALE, default 1)
//   large  50,000 staff and 200,000 open action points
//   due share 1% and 10%: that share of action points falls due soon, is due or is overdue
//   (the rest are due 30 days or more ahead), and that share of staff is overdue for mandatory
//   supervision (last attended session 100 days ago against a 3-monthly cadence; the rest 20 days).
//
// Every staff member is in one mandatory staff group and has one attended session; action
// points hang off signed records (ten each). Rows are made with generate_series in SQL. Each
// case is swept twice: the first sweep also inserts the reminders it finds, the second finds the
// same facts and inserts nothing (the steady state of a sweep every minute). Baseline: the small
// size at 1%, in the same run. The comparison that matters: large at 1% holds 10× the rows of
// small at 10% but has the same number due, so equal times mean cost follows what is due.
// Target: the steady sweep (finding what is due) under 2 s at the large size, at both shares;
// the first sweep, which also writes the reminders, is reported beside it. results/sweep-cost.json

import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Db } from '../../src/db/client.js';
import { sweepDueFacts } from '../../src/scheduler/sweep.js';
import { createTestDatabase } from '../support/database.js';
import { environmentFacts, ratio, RESULTS_DIR, table, type BenchOutcome, type BenchSettings, type CleanupStack } from './common.js';

const TARGET_S = 2;
const SUPERVISORS = 100;

interface Size {
  name: 'small' | 'large';
  staff: number;
  points: number;
}

function scaleFromEnv(): number {
  const raw = process.env.BENCH_SWEEP_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!(value > 0 && value <= 10)) throw new Error(`BENCH_SWEEP_SCALE must be a number in (0, 10] (got "${raw}")`);
  return value;
}

/** One organisation, one mandatory staff group, supervisors, staff, sessions, records and action points. */
async function seed(db: Db, size: Size): Promise<void> {
  const org = await db.organisation.create({
    data: { slug: `sweep-bench-${size.name}`, name: 'Sweep bench', serviceHours: {}, responseTargets: {}, timeZone: 'UTC' },
  });
  const group = await db.staffGroup.create({ data: { organisationId: org.id, name: 'Mandatory group' } });
  await db.supervisionRequirement.create({
    data: { staffGroupId: group.id, kind: 'MANDATORY', format: 'INDIVIDUAL', supervisorPool: 'NAMED_SUPERVISORS', intervalMonths: 3, durationMinutes: 60 },
  });
  const o = org.id;
  await db.$executeRaw`
    INSERT INTO "Person" (id, "organisationId", name, email, roles, "timeZone", "createdAt", "updatedAt")
    SELECT md5('sup' || g)::uuid::text, ${o}, 'Supervisor ' || g, 'sup' || g || '@bench.nhs.uk', ARRAY['SUPERVISOR']::"Role"[], 'UTC', now() - interval '2 years', now()
    FROM generate_series(1, ${SUPERVISORS}::int) g`;
  await db.$executeRaw`
    INSERT INTO "Person" (id, "organisationId", name, email, "staffGroupId", roles, "timeZone", "createdAt", "updatedAt")
    SELECT md5('staff' || g)::uuid::text, ${o}, 'Staff ' || g, 'staff' || g || '@bench.nhs.uk', ${group.id}, ARRAY['STAFF']::"Role"[], 'UTC', now() - interval '2 years', now()
    FROM generate_series(1, ${size.staff}::int) g`;
  await db.$executeRaw`
    INSERT INTO "Session" (id, "organisationId", format, type, status, "supervisorId", "proposedById", "startsAt", "endsAt", "durationMinutes", "updatedAt")
    SELECT md5('session' || g)::uuid::text, ${o}, 'INDIVIDUAL', 'MANDATORY', 'COMPLETED', md5('sup' || (g % ${SUPERVISORS}::int + 1))::uuid::text,
           md5('sup' || (g % ${SUPERVISORS}::int + 1))::uuid::text, now() - interval '20 days', now() - interval '20 days' + interval '1 hour', 60, now()
    FROM generate_series(1, ${size.staff}::int) g`;
  await db.$executeRaw`
    INSERT INTO "SessionAttendee" ("sessionId", "personId", attendance)
    SELECT md5('session' || g)::uuid::text, md5('staff' || g)::uuid::text, 'ATTENDED'
    FROM generate_series(1, ${size.staff}::int) g`;
  await db.$executeRaw`
    INSERT INTO "SupervisionRecord" (id, "organisationId", kind, "supervisorId", format, type, status, "completedAt", "updatedAt")
    SELECT md5('record' || r)::uuid::text, ${o}, 'SESSION', md5('sup' || (r % ${SUPERVISORS}::int + 1))::uuid::text, 'INDIVIDUAL', 'MANDATORY', 'SIGNED', now() - interval '20 days', now()
    FROM generate_series(0, ${Math.ceil(size.points / 10) - 1}::int) r`;
  await db.$executeRaw`
    INSERT INTO "ActionPoint" (id, "recordId", ordinal, description, kind, "ownerId", "dueOn", status)
    SELECT md5('point' || a)::uuid::text, md5('record' || (a / 10))::uuid::text, a % 10, 'Bench action point', 'TRAINING_NEED',
           md5('staff' || (a % ${size.staff}::int + 1))::uuid::text, current_date + 30 + (a % 300), 'OPEN'
    FROM generate_series(0, ${size.points - 1}::int) a`;
  await db.$executeRaw`ANALYZE`;
}

/** Makes `share` of the action points and of the staff due (and forgets earlier reminders). */
async function applyDueShare(db: Db, share: number): Promise<{ duePoints: number; dueStaff: number }> {
  const perMille = Math.round(share * 1000);
  await db.$executeRaw`DELETE FROM "Reminder"`;
  // hashtext(id) picks a stable pseudo-random share of rows.
  await db.$executeRaw`
    UPDATE "ActionPoint" SET "dueOn" = CASE
      WHEN abs(hashtext(id)) % 1000 < ${perMille}::int THEN current_date + (abs(hashtext(id)) % 7 - 3)
      ELSE current_date + 30 + abs(hashtext(id)) % 300 END`;
  await db.$executeRaw`
    UPDATE "Session" SET "startsAt" = now() - (CASE WHEN abs(hashtext(id)) % 1000 < ${perMille}::int THEN 100 ELSE 20 END) * interval '1 day'`;
  await db.$executeRaw`UPDATE "Session" SET "endsAt" = "startsAt" + interval '1 hour'`;
  await db.$executeRaw`ANALYZE`;
  const duePoints = await db.actionPoint.count({ where: { dueOn: { lt: new Date(Date.now() + 5 * 86_400_000) } } });
  const dueStaff = await db.session.count({ where: { startsAt: { lt: new Date(Date.now() - 50 * 86_400_000) } } });
  return { duePoints, dueStaff };
}

interface CaseResult {
  size: Size['name'];
  staff: number;
  points: number;
  dueShare: number;
  duePoints: number;
  dueStaff: number;
  created: number;
  firstSweepS: number;
  steadySweepS: number;
}

async function sweepTwice(db: Db): Promise<{ created: number; firstS: number; steadyS: number }> {
  const options = () => ({ now: new Date(), horizonMs: 15 * 60_000 });
  let started = performance.now();
  const first = await sweepDueFacts(db, options());
  const firstS = (performance.now() - started) / 1000;
  started = performance.now();
  await sweepDueFacts(db, options());
  const steadyS = (performance.now() - started) / 1000;
  return { created: first.created, firstS, steadyS };
}

export async function runSweepBench(_settings: BenchSettings, cleanups: CleanupStack): Promise<BenchOutcome> {
  const scale = scaleFromEnv();
  const sizes: Size[] = [
    { name: 'small', staff: Math.round(5_000 * scale), points: Math.round(20_000 * scale) },
    { name: 'large', staff: Math.round(50_000 * scale), points: Math.round(200_000 * scale) },
  ];
  const shares = [0.01, 0.1];
  console.log(`Sweep cost: sweepDueFacts at ${sizes.map((s) => `${s.staff} staff / ${s.points} action points`).join(' and ')}, due shares ${shares.map((s) => `${s * 100}%`).join(', ')}`);

  const results: CaseResult[] = [];
  for (const size of sizes) {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const seeded = performance.now();
    await seed(database.db, size);
    console.log(`  ${size.name}: seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    for (const share of shares) {
      const due = await applyDueShare(database.db, share);
      const run = await sweepTwice(database.db);
      results.push({ size: size.name, staff: size.staff, points: size.points, dueShare: share, ...due, created: run.created, firstSweepS: run.firstS, steadySweepS: run.steadyS });
    }
    await database.drop();
  }

  const base = results[0]!;
  const s = (n: number) => n.toFixed(3);
  console.log(
    table([
      ['case', 'stored staff / points', 'due staff', 'due points', 'created', 'first s', 'steady s', 'steady vs baseline'],
      ...results.map((r) => [
        `${r.size} @ ${r.dueShare * 100}%`,
        `${r.staff} / ${r.points}`,
        String(r.dueStaff),
        String(r.duePoints),
        String(r.created),
        s(r.firstSweepS),
        s(r.steadySweepS),
        `${ratio(r.steadySweepS, base.steadySweepS)}x`,
      ]),
    ]),
  );
  const small10 = results.find((r) => r.size === 'small' && r.dueShare === 0.1)!;
  const large1 = results.find((r) => r.size === 'large' && r.dueShare === 0.01)!;
  const large = results.filter((r) => r.size === 'large');
  const worst = Math.max(...large.map((r) => r.steadySweepS));
  console.log(
    `Same due count, 10x stored (large @ 1% vs small @ 10%): steady ${s(large1.steadySweepS)} s vs ${s(small10.steadySweepS)} s (${ratio(large1.steadySweepS, small10.steadySweepS)}x)`,
  );
  const pass = worst < TARGET_S;
  console.log(`Sweep: slowest steady sweep at the large size ${s(worst)} s (target < ${TARGET_S} s): ${pass ? 'PASS' : 'MISS'}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}/sweep-cost.json`,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), environment: environmentFacts(), scale, results, targetSeconds: TARGET_S, pass }, null, 2)}\n`,
  );
  return { broken: false };
}
