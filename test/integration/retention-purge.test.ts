// The retention purge on real PostgreSQL with an injected "now" (15 June 2035): what has
// expired goes with everything that hangs off it, what is open, recent or still referred to
// stays, the purge audits itself (counts only) and survives its own run, a second run
// removes nothing more, one process purges at a time, and invalid settings are refused.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { purgeExpired, purgeExpiredOnce, purgeOrganisation, RETENTION_LOCK_KEY } from '../../src/db/retention-purge.js';
import { resolveRetention } from '../../src/domain/retention.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { startRetentionJob } from '../../src/scheduler/retention-job.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deferred } from '../support/wait.js';

const NOW = new Date('2035-06-15T12:00:00Z');
const OLD = new Date('2026-12-01T10:00:00Z'); // older than 8 years at NOW
const CLOSED_OLD = new Date('2027-01-10T10:00:00Z'); // older than 6 years, younger than 8
const RECENT = new Date('2030-03-01T10:00:00Z'); // within every period

let t: TestDatabase;
let db: Db;
let orgId = '';
let otherOrgId = '';
const people: Record<string, string> = {};
let templateId = '';
let refSeq = 0;

async function request(fields: { status?: 'OPEN' | 'CLOSED'; closedAt?: Date | null; createdAt?: Date; organisationId?: string; requesterId?: string }) {
  refSeq += 1;
  return db.supervisionRequest.create({
    data: {
      organisationId: fields.organisationId ?? orgId,
      reference: `SGS-2027-${String(refSeq).padStart(4, '0')}`,
      requesterId: fields.requesterId ?? people.paramedic!,
      platform: 'TEAMS',
      immediateRisk: false,
      urgency: 'ROUTINE',
      route: 'SUPERVISION',
      summary: 'confidential summary',
      status: fields.status ?? 'CLOSED',
      closedAt: fields.closedAt === undefined ? CLOSED_OLD : fields.closedAt,
      outcome: fields.status === 'OPEN' ? null : 'SESSION_BOOKED',
      createdAt: fields.createdAt ?? OLD,
    },
  });
}

async function session(requestId: string | null, endsAt: Date, status: 'COMPLETED' | 'PROPOSED' | 'CONFIRMED' = 'COMPLETED') {
  const s = await db.session.create({
    data: {
      organisationId: orgId,
      requestId,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status,
      supervisorId: people.specialist!,
      proposedById: people.specialist!,
      startsAt: status === 'PROPOSED' ? null : new Date(endsAt.getTime() - 3600_000),
      endsAt: status === 'PROPOSED' ? null : endsAt,
      durationMinutes: 60,
      createdAt: new Date(endsAt.getTime() - 7 * 86400_000),
      slots: { create: [{ startsAt: new Date(endsAt.getTime() - 3600_000), endsAt, chosen: true }] },
      attendees: { create: [{ personId: people.paramedic!, attendance: 'ATTENDED' }] },
      events: { create: [{ actorId: people.specialist!, toStatus: 'CONFIRMED', at: endsAt }] },
    },
  });
  const agreement = await db.agreement.create({
    data: {
      templateId,
      sessionId: s.id,
      supervisorId: people.specialist!,
      status: 'SIGNED',
      parties: { create: [{ personId: people.paramedic! }] },
      signatures: { create: [{ personId: people.paramedic!, signedVersion: 1, platform: 'TEAMS', signedAt: endsAt }] },
    },
  });
  await db.reminder.create({
    data: { organisationId: orgId, kind: 'LINE_MANAGER_NON_ATTENDANCE', subjectType: 'SessionAttendee', subjectId: `${s.id}:${people.paramedic}`, recipientKey: `person:${people['ops-manager']}`, dueAt: endsAt, sendAt: endsAt, status: 'SENT' },
  });
  return { ...s, agreementId: agreement.id };
}

async function record(fields: { sessionId?: string; requestId?: string; completedAt: Date | null; status?: 'SIGNED' | 'DRAFT'; openPoint?: boolean }) {
  const r = await db.supervisionRecord.create({
    data: {
      organisationId: orgId,
      kind: fields.sessionId ? 'SESSION' : 'ADVICE',
      sessionId: fields.sessionId ?? null,
      requestId: fields.requestId ?? null,
      supervisorId: people.specialist!,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: fields.status ?? 'SIGNED',
      content: 'confidential record content',
      completedAt: fields.completedAt,
      createdAt: fields.completedAt ?? OLD,
      subjects: { create: [{ personId: people.paramedic! }] },
      signatures: { create: [{ personId: people.paramedic!, signedVersion: 1, platform: 'TEAMS', signedAt: fields.completedAt ?? OLD }] },
      amendments: { create: [{ fromVersion: 1, toVersion: 2, changedById: people.specialist!, reason: 'typo', previous: { content: 'old' }, at: fields.completedAt ?? OLD }] },
      actionPoints: {
        create: [
          { ordinal: 1, description: 'read the guidance', kind: 'TRAINING_NEED', ownerId: people.paramedic!, dueOn: OLD, status: fields.openPoint ? 'OPEN' : 'DONE' },
        ],
      },
    },
    include: { actionPoints: true },
  });
  await db.reminder.create({
    data: { organisationId: orgId, kind: 'ACTION_DUE', subjectType: 'ActionPoint', subjectId: r.actionPoints[0]!.id, recipientKey: `person:${people.paramedic}`, dueAt: OLD, sendAt: OLD, status: 'SENT' },
  });
  return r;
}

const audit = (subjectType: string, subjectId: string, at: Date, organisationId = orgId) =>
  db.auditEvent.create({ data: { organisationId, actorId: people.head!, action: 'record.read', subjectType, subjectId, at } });

const exists = {
  request: async (id: string) => (await db.supervisionRequest.count({ where: { id } })) === 1,
  session: async (id: string) => (await db.session.count({ where: { id } })) === 1,
  record: async (id: string) => (await db.supervisionRecord.count({ where: { id } })) === 1,
  audit: async (id: bigint) => (await db.auditEvent.count({ where: { id } })) === 1,
};

// The fixture: what should go and what should stay.
const f = {} as {
  goneAdviceRequest: { id: string };
  goneAdviceRecord: { id: string };
  goneRequest: { id: string };
  goneSession: { id: string; agreementId: string };
  goneRecord: { id: string; actionPoints: Array<{ id: string }> };
  keptOpenPointRequest: { id: string };
  keptOpenPointSession: { id: string };
  keptOpenPointRecord: { id: string };
  keptOpenRequest: { id: string };
  keptRecentRequest: { id: string };
  keptRecentSession: { id: string };
  keptRecentRecord: { id: string };
  keptProposedSession: { id: string };
  keptDraftRecord: { id: string };
  draftId: string;
  goneAudit: bigint[];
  keptAudit: bigint[];
  otherOrgRequest: { id: string };
};

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  orgId = (await seedDemoOrganisation(db)).organisationId;
  for (const key of ['paramedic', 'specialist', 'head', 'ops-manager']) {
    people[key] = (await db.person.findFirstOrThrow({ where: { organisationId: orgId, email: demoPerson(key).email } })).id;
  }
  templateId = (await db.agreementTemplate.findFirstOrThrow({ where: { organisationId: orgId } })).id;

  // Gone: an advice request closed 8 years ago and its signed advice record.
  f.goneAdviceRequest = await request({ closedAt: CLOSED_OLD });
  f.goneAdviceRecord = await record({ requestId: f.goneAdviceRequest.id, completedAt: OLD });
  const draft = await db.requestDraft.create({ data: { personId: people.paramedic!, step: 'details', requestId: f.goneAdviceRequest.id, updatedAt: new Date(NOW.getTime() - 86400_000) } });
  f.draftId = draft.id;

  // Gone: a request, its completed session (slots, attendance, events, agreement, reminders) and its record.
  f.goneRequest = await request({ closedAt: CLOSED_OLD });
  f.goneSession = await session(f.goneRequest.id, OLD);
  f.goneRecord = await record({ sessionId: f.goneSession.id, completedAt: OLD });
  await db.reminder.create({
    data: { organisationId: orgId, kind: 'REQUEST_UNCLAIMED', subjectType: 'SupervisionRequest', subjectId: f.goneRequest.id, recipientKey: `triage:${orgId}`, dueAt: OLD, sendAt: OLD, status: 'SENT' },
  });
  await db.postedCard.create({ data: { subjectType: 'request', subjectId: f.goneRequest.id, purpose: 'triage', platform: 'TEAMS', conversationId: '19:triage', messageId: randomUUID() } });

  // Kept: as old, but the record still has an open action point, so its session and request stay too.
  f.keptOpenPointRequest = await request({ closedAt: CLOSED_OLD });
  f.keptOpenPointSession = await session(f.keptOpenPointRequest.id, OLD);
  f.keptOpenPointRecord = await record({ sessionId: f.keptOpenPointSession.id, completedAt: OLD, openPoint: true });

  // Kept: an open request from long ago, a recent one, a recent record, a proposed session, a draft record.
  f.keptOpenRequest = await request({ status: 'OPEN', closedAt: null, createdAt: new Date('2020-01-01T00:00:00Z') });
  f.keptRecentRequest = await request({ closedAt: RECENT });
  f.keptRecentSession = await session(null, RECENT);
  f.keptRecentRecord = await record({ sessionId: f.keptRecentSession.id, completedAt: RECENT });
  f.keptProposedSession = await session(null, OLD, 'PROPOSED');
  f.keptDraftRecord = await record({ completedAt: null, status: 'DRAFT' });

  // Audit: old events about things that go, or about nothing held, go; recent ones and those about held records stay.
  f.goneAudit = [
    (await audit('record', f.goneRecord.id, OLD)).id,
    (await audit('request', f.goneRequest.id, OLD)).id,
    (await audit('person', people.paramedic!, OLD)).id,
  ];
  f.keptAudit = [
    (await audit('record', f.keptOpenPointRecord.id, OLD)).id,
    (await audit('record', f.goneRecord.id, RECENT)).id,
    (await audit('person', people.paramedic!, RECENT)).id,
  ];

  // Another organisation whose retention settings are invalid: nothing of it is touched.
  const other = await db.organisation.create({
    data: { slug: 'other', name: 'Other Trust', serviceHours: {}, responseTargets: { urgentMinutes: 30, adviceMinutes: 240, sessionMinutes: 960 }, settings: { retention: { recordsMonths: 3 } } },
  });
  otherOrgId = other.id;
  const otherPerson = await db.person.create({ data: { organisationId: otherOrgId, name: 'Other Person', email: 'other@other.example', roles: ['STAFF'] } });
  f.otherOrgRequest = await request({ organisationId: otherOrgId, requesterId: otherPerson.id, closedAt: CLOSED_OLD });
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

describe('the purge', () => {
  let firstAuditId: bigint;

  it('takes one process at a time: while another holds the lock it does nothing', async () => {
    const held = deferred();
    const isLocked = deferred();
    const holder = db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(${RETENTION_LOCK_KEY}::bigint)::text AS locked`;
        isLocked.resolve();
        await held.promise;
      },
      { timeout: 30_000 },
    );
    await isLocked.promise;
    const result = await purgeExpiredOnce(db, { now: NOW });
    held.resolve();
    await holder;
    expect(result).toEqual({ purged: false });
    expect(await exists.request(f.goneRequest.id)).toBe(true);
    expect(await db.auditEvent.count({ where: { action: 'retention.purge' } })).toBe(0);
  });

  it('removes what has expired, in small batches, with the rows that hang off it', async () => {
    await db.processedDelivery.createMany({
      data: [
        { key: 'slack:old', at: new Date(NOW.getTime() - 8 * 86400_000) },
        { key: 'slack:recent', at: new Date(NOW.getTime() - 86400_000) },
      ],
    });
    // A request started 60 days ago and never finished: what was typed goes after 30 days.
    const abandoned = await db.requestDraft.create({
      data: { personId: people.specialist!, step: 'details', data: { summary: 'typed and left' }, updatedAt: new Date(NOW.getTime() - 60 * 86400_000) },
    });
    const result = await purgeExpiredOnce(db, { now: NOW, batchSize: 2 });
    expect(result.purged).toBe(true);
    expect(result.purged && result.abandonedDrafts).toBe(1);
    expect(await db.requestDraft.findUnique({ where: { id: abandoned.id } })).toBeNull();
    // Remembered inbound deliveries are kept for a week, to drop platform retries.
    expect(result.purged && result.processedDeliveries).toBe(1);
    expect((await db.processedDelivery.findMany({ select: { key: true } })).map((d) => d.key)).toEqual(['slack:recent']);
    const ours = result.purged ? result.organisations.find((o) => o.organisationId === orgId) : undefined;
    expect(ours?.counts).toEqual({ requests: 2, records: 2, actionPoints: 2, sessions: 1, agreements: 1, reminders: 4, postedCards: 1, auditEvents: 3 });

    for (const id of [f.goneAdviceRequest.id, f.goneRequest.id]) expect(await exists.request(id)).toBe(false);
    for (const id of [f.goneAdviceRecord.id, f.goneRecord.id]) expect(await exists.record(id)).toBe(false);
    expect(await exists.session(f.goneSession.id)).toBe(false);
    for (const id of f.goneAudit) expect(await exists.audit(id)).toBe(false);

    // Dependent rows went too, and nothing names the purged things any more.
    const goneIds = [f.goneSession.id, f.goneRecord.id, f.goneAdviceRecord.id];
    expect(await db.sessionSlot.count({ where: { sessionId: f.goneSession.id } })).toBe(0);
    expect(await db.sessionAttendee.count({ where: { sessionId: f.goneSession.id } })).toBe(0);
    expect(await db.sessionEvent.count({ where: { sessionId: f.goneSession.id } })).toBe(0);
    expect(await db.agreement.count({ where: { id: f.goneSession.agreementId } })).toBe(0);
    expect(await db.agreementParty.count({ where: { agreementId: f.goneSession.agreementId } })).toBe(0);
    expect(await db.signature.count({ where: { OR: [{ agreementId: f.goneSession.agreementId }, { recordId: { in: goneIds } }] } })).toBe(0);
    expect(await db.recordSubject.count({ where: { recordId: { in: goneIds } } })).toBe(0);
    expect(await db.recordAmendment.count({ where: { recordId: { in: goneIds } } })).toBe(0);
    expect(await db.actionPoint.count({ where: { recordId: { in: goneIds } } })).toBe(0);
    expect(await db.reminder.count({ where: { OR: [{ subjectId: f.goneRequest.id }, { subjectId: f.goneRecord.actionPoints[0]!.id }, { subjectId: { startsWith: `${f.goneSession.id}:` } }] } })).toBe(0);
    expect(await db.postedCard.count({ where: { subjectId: f.goneRequest.id } })).toBe(0);
    // The person's unfinished conversation survives, detached from the purged request.
    expect(await db.requestDraft.findUnique({ where: { id: f.draftId } })).toMatchObject({ requestId: null });
  });

  it('keeps what is open, recent, or still referred to by a record that is kept', async () => {
    for (const id of [f.keptOpenPointRequest.id, f.keptOpenRequest.id, f.keptRecentRequest.id]) expect(await exists.request(id)).toBe(true);
    for (const id of [f.keptOpenPointSession.id, f.keptRecentSession.id, f.keptProposedSession.id]) expect(await exists.session(id)).toBe(true);
    for (const id of [f.keptOpenPointRecord.id, f.keptRecentRecord.id, f.keptDraftRecord.id]) expect(await exists.record(id)).toBe(true);
    for (const id of f.keptAudit) expect(await exists.audit(id)).toBe(true);
    const kept = await db.supervisionRecord.findUniqueOrThrow({ where: { id: f.keptOpenPointRecord.id }, include: { actionPoints: true, signatures: true, subjects: true } });
    expect(kept.actionPoints).toHaveLength(1);
    expect(kept.signatures).toHaveLength(1);
    expect(kept.subjects).toHaveLength(1);
  });

  it('audits itself with counts and periods only, stamped with its own now', async () => {
    const entries = await db.auditEvent.findMany({ where: { organisationId: orgId, action: 'retention.purge' } });
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    firstAuditId = entry.id;
    expect(entry).toMatchObject({ actorId: null, subjectType: 'organisation', subjectId: orgId, at: NOW });
    expect(entry.detail).toEqual({
      requests: 2,
      records: 2,
      actionPoints: 2,
      sessions: 1,
      agreements: 1,
      reminders: 4,
      postedCards: 1,
      auditEvents: 3,
      complete: true,
      requestsMonths: 72,
      recordsMonths: 96,
      auditEventsMonths: 96,
    });
    expect(JSON.stringify(entry.detail)).not.toMatch(/confidential|read the guidance/);
  });

  it('skips an organisation with invalid retention settings, saying why, and touches none of its data', async () => {
    const result = await purgeExpired(db, { now: new Date(NOW.getTime() + 1000) });
    const other = result.find((o) => o.organisationId === otherOrgId);
    expect(other?.skipped).toBe('retention.recordsMonths must be at least 12 months: a shorter period would delete supervision data within a year');
    expect(await exists.request(f.otherOrgRequest.id)).toBe(true);
    expect(await db.auditEvent.count({ where: { organisationId: otherOrgId, action: 'retention.purge' } })).toBe(0);
  });

  it('is harmless when run again: nothing more goes, and the first purge audit survives', async () => {
    const before = {
      requests: await db.supervisionRequest.count(),
      sessions: await db.session.count(),
      records: await db.supervisionRecord.count(),
    };
    const again = await purgeExpiredOnce(db, { now: new Date(NOW.getTime() + 60_000) });
    const ours = again.purged ? again.organisations.find((o) => o.organisationId === orgId) : undefined;
    expect(ours?.counts).toEqual({ requests: 0, records: 0, actionPoints: 0, sessions: 0, agreements: 0, reminders: 0, postedCards: 0, auditEvents: 0 });
    expect({
      requests: await db.supervisionRequest.count(),
      sessions: await db.session.count(),
      records: await db.supervisionRecord.count(),
    }).toEqual(before);
    expect(await exists.audit(firstAuditId)).toBe(true);
    expect(await db.auditEvent.count({ where: { organisationId: orgId, action: 'retention.purge' } })).toBe(3);
  });

  it('runs from the daily job as well, and stops cleanly', async () => {
    const job = startRetentionJob({ db, clock: { now: () => new Date(NOW.getTime() + 120_000) }, logger: { info() {}, warn() {}, error() {} } });
    const result = await job.runOnce();
    await job.stop();
    expect(result.purged).toBe(true);
    expect(await db.auditEvent.count({ where: { organisationId: orgId, action: 'retention.purge' } })).toBe(4);
  });

  it('removes audit events once their own period has passed, the purge entries included', async () => {
    const later = new Date('2044-01-01T00:00:00Z');
    await purgeExpiredOnce(db, { now: later });
    expect(await exists.audit(firstAuditId)).toBe(false);
    // The newest purge entry is the one that just ran.
    const last = await db.auditEvent.findMany({ where: { organisationId: orgId, action: 'retention.purge' } });
    expect(last.map((e) => e.at)).toEqual([later]);
  });

  it('still audits what it removed when it fails part way, marked incomplete, and reports the failure', async () => {
    const later = new Date('2050-01-01T00:00:00Z');
    const old = new Date('2040-01-01T00:00:00Z');
    for (let i = 0; i < 2; i += 1) await record({ completedAt: old });
    // A database that fails on the second batch transaction.
    let batches = 0;
    const failing = new Proxy(db, {
      get(target, key, receiver) {
        if (key !== '$transaction') return Reflect.get(target, key, receiver);
        return (...args: Parameters<Db['$transaction']>) => {
          batches += 1;
          if (batches === 2) return Promise.reject(new Error('connection lost'));
          return (target.$transaction as (...a: unknown[]) => Promise<unknown>)(...args);
        };
      },
    });
    const expiredRecords = await db.supervisionRecord.count({
      where: { organisationId: orgId, status: 'SIGNED', completedAt: { lt: new Date('2042-01-01T00:00:00Z') }, actionPoints: { none: { status: 'OPEN' } } },
    });
    expect(expiredRecords).toBeGreaterThanOrEqual(2);
    // The records go in the first batch transaction; the sessions' batch fails.
    await expect(purgeOrganisation(failing, orgId, resolveRetention({}), { now: later })).rejects.toThrow('connection lost');
    const entry = await db.auditEvent.findFirstOrThrow({ where: { organisationId: orgId, action: 'retention.purge', at: later } });
    expect(entry.detail).toMatchObject({ records: expiredRecords, sessions: 0, requests: 0, complete: false });
    expect(await db.supervisionRecord.count({ where: { organisationId: orgId, completedAt: old } })).toBe(0);
  });
});
