// A quick probe of the sweep's cost on N staff in a quarterly mandatory group, each with a year
// of attended sessions staggered over the quarter (2% with a recent missed session). Prints the
// cadence query's time, the people it returned and the whole sweep's time, three runs: the
// first creates the reminders already due (the backlog), the next two are the steady state.
// Not part of `npm run bench`. Usage: npx tsx test/bench/sweep-kinds-probe.ts [staff=5000]
import { randomUUID } from 'node:crypto';
import { sweepDueFacts } from '../../src/scheduler/sweep.js';
import { resolveReminderTimings } from '../../src/domain/org-settings.js';
import { loadCadenceCandidates, loadGroupCadences } from '../../src/scheduler/reminder-facts.js';
import { createTestDatabase } from '../support/database.js';

const staff = Number(process.argv[2] ?? 5000);
const database = await createTestDatabase();
const { db } = database;
try {
  const org = await db.organisation.create({ data: { slug: `probe-${randomUUID()}`, name: 'Probe', serviceHours: {}, responseTargets: {}, timeZone: 'Europe/London' } });
  const group = await db.staffGroup.create({ data: { organisationId: org.id, name: 'Quarterly' } });
  await db.supervisionRequirement.create({ data: { staffGroupId: group.id, kind: 'MANDATORY', format: 'INDIVIDUAL', supervisorPool: 'SAFEGUARDING_SPECIALISTS', sessionsPerYear: 4, durationMinutes: 60 } });
  const sup = await db.person.create({ data: { organisationId: org.id, name: 'Sup', email: 'sup@x', roles: ['SUPERVISOR'] } });
  // Staff, one quarterly session each for the last year (attended), staggered over the quarter.
  await db.$executeRawUnsafe(`
    INSERT INTO "Person" (id, "organisationId", name, email, roles, "staffGroupId", "lineManagerId", "createdAt", "updatedAt")
    SELECT 'p' || g, '${org.id}', 'Staff ' || g, 'p' || g || '@x', '{STAFF}', '${group.id}', '${sup.id}', now() - interval '2 years', now()
    FROM generate_series(1, ${staff}) g`);
  await db.$executeRawUnsafe(`
    INSERT INTO "Session" (id, "organisationId", format, type, status, "supervisorId", "proposedById", "startsAt", "endsAt", "durationMinutes", "updatedAt")
    SELECT 's' || g || '-' || k, '${org.id}', 'INDIVIDUAL', 'MANDATORY', 'COMPLETED', '${sup.id}', '${sup.id}',
           now() - make_interval(days => (g % 92) + k * 91), now() - make_interval(days => (g % 92) + k * 91) + interval '1 hour', 60, now()
    FROM generate_series(1, ${staff}) g, generate_series(0, 3) k`);
  await db.$executeRawUnsafe(`
    INSERT INTO "SessionAttendee" ("sessionId", "personId", attendance)
    SELECT 's' || g || '-' || k, 'p' || g, CASE WHEN g % 50 = 0 AND k = 0 THEN 'DID_NOT_ATTEND'::"Attendance" ELSE 'ATTENDED'::"Attendance" END
    FROM generate_series(1, ${staff}) g, generate_series(0, 3) k`);
  await db.$executeRawUnsafe('ANALYZE');
  const now = new Date();
  const groups = await loadGroupCadences(db);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const candidates = await loadCadenceCandidates(db, groups, { now, horizonEnd: new Date(now.getTime() + 900_000), timings: () => resolveReminderTimings({}) });
    const t1 = performance.now();
    const result = await sweepDueFacts(db, { now, horizonMs: 900_000 });
    const t2 = performance.now();
    console.log(JSON.stringify({ staff, run: i + 1, cadenceQueryMs: Math.round(t1 - t0), candidates: candidates.length, sweepMs: Math.round(t2 - t1), created: result.created }));
  }
} finally {
  await database.drop();
}
