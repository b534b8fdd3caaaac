// The first wired slice of the reminder scheduler against real PostgreSQL and Redis: the sweep
// (facts → reminder rows), the sender (reminder card to the recipient's conversation) and the
// scheduler (sweep + reconcile + worker, one sweeper at a time). Redis keys live under a prefix
// unique to this file; nothing shared is flushed.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordingSender, type Sent } from '../support/recording-sender.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { startScheduler, SWEEP_LOCK_KEY, type Scheduler } from '../../src/scheduler/scheduler.js';
import { upsertReminders } from '../../src/scheduler/reminder-store.js';
import { createReminderSender } from '../../src/scheduler/send-reminder.js';
import { sweepDueFacts } from '../../src/scheduler/sweep.js';
import { withTestDatabase } from '../support/database.js';
import { deferred, valueWhen } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const basePrefix = `sweep-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const clock = { now: () => new Date() };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const t = withTestDatabase();
let organisationId: string;
let prefixCount = 0;
const started: Array<{ scheduler: Scheduler; prefix: string }> = [];


async function person(name: string, extra: { quietHoursStart?: string; quietHoursEnd?: string; roles?: ('HEAD_OF_SAFEGUARDING' | 'SUPERVISOR')[]; conversation?: boolean } = {}) {
  const p = await t.db.person.create({
    data: {
      organisationId,
      name,
      email: `${randomUUID()}@example.nhs.uk`,
      roles: extra.roles ?? ['STAFF'],
      timeZone: 'UTC',
      quietHoursStart: extra.quietHoursStart ?? null,
      quietHoursEnd: extra.quietHoursEnd ?? null,
    },
  });
  if (extra.conversation !== false) {
    await t.db.conversationReference.create({
      data: { platform: 'TEAMS', conversationId: `conv-${p.id}`, kind: 'PERSONAL', tenantId: 'tenant', personId: p.id, reference: {} },
    });
  }
  return p;
}

async function confirmedSession(startsAt: Date, supervisorId: string, attendeeIds: string[]) {
  return t.db.session.create({
    data: {
      organisationId,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'CONFIRMED',
      supervisorId,
      proposedById: supervisorId,
      startsAt,
      endsAt: new Date(startsAt.getTime() + HOUR),
      durationMinutes: 60,
      attendees: { create: attendeeIds.map((personId) => ({ personId })) },
    },
  });
}

async function start(sent: Sent[], prefix = `${basePrefix}-${++prefixCount}`) {
  const scheduler = await startScheduler({
    db: t.db,
    redisUrl: connection,
    prefix,
    senders: [recordingSender(sent)],
    logger: silent,
    clock,
    horizonMs: 15 * 60_000,
    job: { attempts: 3, backoffMs: 10, jitter: 0.5 },
  });
  started.push({ scheduler, prefix });
  return scheduler;
}

beforeAll(async () => {
  const org = await t.db.organisation.create({
    data: { slug: `sweep-${randomUUID()}`, name: 'Sweep test', serviceHours: {}, responseTargets: {}, timeZone: 'UTC' },
  });
  organisationId = org.id;
});

beforeEach(async () => {
  await t.db.reminder.deleteMany();
  await t.db.actionPoint.deleteMany();
  await t.db.supervisionRecord.deleteMany();
  await t.db.session.deleteMany();
  await t.db.supervisionRequest.deleteMany();
  await t.db.triageChannel.deleteMany();
});

afterEach(async () => {
  for (const { scheduler, prefix } of started.splice(0)) {
    await scheduler.stop();
    const queue = createReminderQueue({ connection, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

afterAll(async () => {
  for (const { scheduler } of started.splice(0)) await scheduler.stop();
});

describe('sweepDueFacts', () => {
  it('gives each party of a confirmed session tomorrow a day-before and an hour-before reminder, once', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const staff = await person('Alex Staff');
    const now = new Date();
    const session = await confirmedSession(new Date(now.getTime() + 20 * HOUR), supervisor.id, [staff.id]);

    const first = await sweepDueFacts(t.db, { now, horizonMs: DAY });
    expect(first.byKind).toEqual({ SESSION_DAY_BEFORE: 2, SESSION_HOUR_BEFORE: 2 });
    for (let i = 0; i < 3; i++) expect((await sweepDueFacts(t.db, { now, horizonMs: DAY })).created).toBe(0);

    const rows = await t.db.reminder.findMany({ where: { subjectId: session.id } });
    expect(rows.map((r) => `${r.kind} ${r.recipientId}`).sort()).toEqual(
      [
        `SESSION_DAY_BEFORE ${staff.id}`,
        `SESSION_DAY_BEFORE ${supervisor.id}`,
        `SESSION_HOUR_BEFORE ${staff.id}`,
        `SESSION_HOUR_BEFORE ${supervisor.id}`,
      ].sort(),
    );
  });

  it('reads only what can be due: a session next month gets nothing yet', async () => {
    const supervisor = await person('Sam Supervisor');
    await confirmedSession(new Date(Date.now() + 30 * DAY), supervisor.id, [supervisor.id]);
    expect((await sweepDueFacts(t.db, { now: new Date(), horizonMs: HOUR })).created).toBe(0);
  });

  it('sends an overdue action point to its owner and the supervisor', async () => {
    const supervisor = await person('Sam Supervisor');
    const owner = await person('Olu Owner');
    const record = await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', supervisorId: supervisor.id, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'SIGNED' },
    });
    const dueOn = new Date(Date.now() - 3 * DAY);
    const point = await t.db.actionPoint.create({
      data: {
        recordId: record.id,
        ordinal: 1,
        description: 'Complete level 3 training',
        kind: 'TRAINING_NEED',
        ownerId: owner.id,
        dueOn: new Date(Date.UTC(dueOn.getUTCFullYear(), dueOn.getUTCMonth(), dueOn.getUTCDate())),
      },
    });
    const result = await sweepDueFacts(t.db, { now: new Date(), horizonMs: 15 * 60_000 });
    expect(result.byKind.ACTION_OVERDUE).toBe(2);
    const rows = await t.db.reminder.findMany({ where: { subjectId: point.id, kind: 'ACTION_OVERDUE' } });
    expect(rows.map((r) => r.recipientId).sort()).toEqual([owner.id, supervisor.id].sort());
  });

  it('re-surfaces an unclaimed request in the triage channel', async () => {
    const requester = await person('Rae Requester');
    await person('Hana Head', { roles: ['HEAD_OF_SAFEGUARDING'] });
    const request = await t.db.supervisionRequest.create({
      data: {
        organisationId,
        reference: `SGS-2026-${randomBytes(3).toString('hex')}`,
        requesterId: requester.id,
        platform: 'TEAMS',
        immediateRisk: false,
        urgency: 'ROUTINE',
        route: 'ADVICE',
        createdAt: new Date(Date.now() - 2 * HOUR),
      },
    });
    const result = await sweepDueFacts(t.db, { now: new Date(), horizonMs: 15 * 60_000 });
    expect(result.byKind).toEqual({ REQUEST_UNCLAIMED: 1 });
    const [row] = await t.db.reminder.findMany({ where: { subjectId: request.id } });
    expect(row).toMatchObject({ kind: 'REQUEST_UNCLAIMED', recipientKey: `triage:${organisationId}`, recipientId: null });
  });

  it('re-surfaces and escalates an unclaimed advice request on service time: never overnight or at the weekend', async () => {
    // Monday to Friday 09:00-17:00 in London; advice re-surfaced after 60 and escalated after 240 service minutes.
    const office = { from: '09:00', to: '17:00' };
    const org = await t.db.organisation.create({
      data: {
        slug: `service-time-${randomUUID()}`,
        name: 'Service time trust',
        timeZone: 'Europe/London',
        serviceHours: { mon: [office], tue: [office], wed: [office], thu: [office], fri: [office], sat: [], sun: [] },
        responseTargets: {
          urgent: { targetMinutes: 30, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 },
          advice: { targetMinutes: 240, resurfaceAfterMinutes: 60, escalateAfterMinutes: 240 },
          session: { targetMinutes: 960, resurfaceAfterMinutes: 240, escalateAfterMinutes: 960 },
        },
      },
    });
    const member = (name: string, roles: ('STAFF' | 'HEAD_OF_SAFEGUARDING')[]) =>
      t.db.person.create({ data: { organisationId: org.id, name, email: `${randomUUID()}@example.nhs.uk`, roles } });
    const requester = await member('Rae Requester', ['STAFF']);
    const head = await member('Hana Head', ['HEAD_OF_SAFEGUARDING']);
    // Friday 16 January 2026, 16:30 (GMT): half an hour of service time is left that day.
    const request = await t.db.supervisionRequest.create({
      data: {
        organisationId: org.id,
        reference: `SGS-2026-${randomBytes(3).toString('hex')}`,
        requesterId: requester.id,
        platform: 'TEAMS',
        immediateRisk: false,
        urgency: 'ROUTINE',
        route: 'ADVICE',
        createdAt: new Date('2026-01-16T16:30:00Z'),
      },
    });
    const rows = () => t.db.reminder.findMany({ where: { subjectId: request.id }, orderBy: { dueAt: 'asc' } });
    const sweepAt = (iso: string) => sweepDueFacts(t.db, { now: new Date(iso), horizonMs: 15 * 60_000 });

    // The wall clock would have re-surfaced it at 17:30 on Friday and escalated it at 20:30.
    for (const night of ['2026-01-16T17:30:00Z', '2026-01-16T20:30:00Z', '2026-01-17T12:00:00Z', '2026-01-19T09:00:00Z']) {
      await sweepAt(night);
      expect(await rows(), night).toEqual([]);
    }
    // Monday 09:20: the sweep's 15-minute horizon reaches 09:30, half an hour into Monday's service.
    await sweepAt('2026-01-19T09:20:00Z');
    expect((await rows()).map((r) => [r.kind, r.recipientKey, r.dueAt.toISOString()])).toEqual([
      ['REQUEST_UNCLAIMED', `triage:${org.id}`, '2026-01-19T09:30:00.000Z'],
    ]);
    // Still unclaimed at 12:30 on Monday (four service hours): the Head of Safeguarding is told.
    await sweepAt('2026-01-19T12:20:00Z');
    expect((await rows()).map((r) => [r.kind, r.recipientId, r.dueAt.toISOString()])).toEqual([
      ['REQUEST_UNCLAIMED', null, '2026-01-19T09:30:00.000Z'],
      ['REQUEST_ESCALATED', head.id, '2026-01-19T12:30:00.000Z'],
    ]);
    // Claimed, it is swept no more.
    await t.db.reminder.deleteMany({ where: { subjectId: request.id } });
    await t.db.supervisionRequest.update({ where: { id: request.id }, data: { status: 'CLAIMED', claimedById: head.id } });
    await sweepAt('2026-01-19T13:00:00Z');
    expect(await rows()).toEqual([]);
  });

  it('moves a non-urgent reminder out of the recipient’s quiet hours', async () => {
    const now = new Date();
    const startsAt = new Date(now.getTime() + 30 * HOUR);
    const dueAt = new Date(startsAt.getTime() - DAY);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const quiet = await person('Quinn Quiet', {
      quietHoursStart: hhmm(new Date(dueAt.getTime() - HOUR)),
      quietHoursEnd: hhmm(new Date(dueAt.getTime() + 2 * HOUR)),
    });
    const supervisor = await person('Sam Supervisor');
    const session = await confirmedSession(startsAt, supervisor.id, [quiet.id]);
    await sweepDueFacts(t.db, { now, horizonMs: 10 * HOUR });
    const rows = await t.db.reminder.findMany({ where: { subjectId: session.id, kind: 'SESSION_DAY_BEFORE' } });
    const ofQuiet = rows.find((r) => r.recipientId === quiet.id)!;
    const ofSupervisor = rows.find((r) => r.recipientId === supervisor.id)!;
    expect(ofSupervisor.sendAt.getTime()).toBe(dueAt.getTime());
    expect(ofQuiet.dueAt.getTime()).toBe(dueAt.getTime());
    expect(ofQuiet.sendAt.getTime()).toBeGreaterThan(dueAt.getTime() + HOUR);
    expect(ofQuiet.sendAt.getTime()).toBeLessThanOrEqual(dueAt.getTime() + 2 * HOUR);
  });
});

describe('the reminder card', () => {
  it('shows an action point’s description to its owner only, never to others', async () => {
    const supervisor = await person('Sam Supervisor');
    const owner = await person('Olu Owner');
    const other = await person('Oscar Other');
    const record = await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', supervisorId: supervisor.id, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'SIGNED' },
    });
    const point = await t.db.actionPoint.create({
      data: { recordId: record.id, ordinal: 1, description: 'Read the policy', kind: 'TRAINING_NEED', ownerId: owner.id, dueOn: new Date('2026-12-01') },
    });
    const sent: Sent[] = [];
    const sender = createReminderSender({ db: t.db, senders: [recordingSender(sent)], logger: silent, clock });
    const [forOwner, forOther] = await upsertReminders(
      t.db,
      [owner, other].map((p) => ({
        organisationId,
        kind: 'ACTION_DUE_SOON' as const,
        subjectType: 'ActionPoint',
        subjectId: point.id,
        recipientKey: `person:${p.id}`,
        recipientId: p.id,
        dueAt: new Date(),
      })),
    );
    expect(await sender.isSubjectLive(forOwner!)).toBe(true);
    await sender.send(forOwner!);
    await sender.send(forOther!);
    expect(sent[0]!.message.card?.data).toMatchObject({ text: 'Action point due on Tuesday 1 December.', detail: 'Read the policy' });
    expect(sent[1]!.message.card?.data).toMatchObject({ detail: '' });
    await t.db.actionPoint.update({ where: { id: point.id }, data: { status: 'DONE' } });
    expect(await sender.isSubjectLive(forOwner!)).toBe(false);
  });
});

describe('the scheduler', () => {
  it('sweeps, queues and sends each reminder card once; an unreachable recipient ends FAILED', async () => {
    const supervisor = await person('Sam Supervisor');
    const staff = await person('Alex Staff');
    const unreachable = await person('Una Unreachable', { conversation: false });
    const startsAt = new Date(Date.now() + 10 * 60_000);
    const session = await confirmedSession(startsAt, supervisor.id, [staff.id, unreachable.id]);
    // The card says "today" or "tomorrow" from the recipient's zone (UTC here) at sending time:
    // ten minutes before midnight the session is tomorrow.
    const dayWord = (now: Date) => (now.toISOString().slice(0, 10) === startsAt.toISOString().slice(0, 10) ? 'today' : 'tomorrow');
    const wordsBefore = dayWord(new Date());

    const sent: Sent[] = [];
    await start(sent);
    const rows = await valueWhen(
      () => t.db.reminder.findMany({ where: { subjectId: session.id } }),
      (r) => r.length === 3 && r.every((x) => x.status !== 'PENDING'),
    );
    expect(rows.map((r) => r.kind)).toEqual(['SESSION_HOUR_BEFORE', 'SESSION_HOUR_BEFORE', 'SESSION_HOUR_BEFORE']);
    const byRecipient = new Map(rows.map((r) => [r.recipientId, r]));
    for (const id of [supervisor.id, staff.id]) {
      expect(byRecipient.get(id)).toMatchObject({ status: 'SENT', platform: 'TEAMS', attempts: 1 });
      expect(byRecipient.get(id)!.platformMessageId).toMatch(/^activity-\d+$/);
    }
    expect(byRecipient.get(unreachable.id)).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'RecipientUnreachableError' });
    expect(byRecipient.get(unreachable.id)!.failedAt).not.toBeNull();

    expect(sent.map((s) => s.conversationId).sort()).toEqual([`conv-${staff.id}`, `conv-${supervisor.id}`].sort());
    for (const s of sent) {
      expect(s.message.card?.template).toBe('reminder');
      const at = startsAt.toISOString().slice(11, 16);
      expect([wordsBefore, dayWord(new Date())].map((word) => `Supervision ${word} at ${at} with Sam Supervisor.`)).toContain(s.message.card?.data.text);
    }
  });

  it('cancels a reminder whose session was cancelled instead of sending it', async () => {
    const supervisor = await person('Sam Supervisor');
    const session = await confirmedSession(new Date(Date.now() + 10 * 60_000), supervisor.id, [supervisor.id]);
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: 15 * 60_000 });
    await t.db.session.update({ where: { id: session.id }, data: { status: 'CANCELLED', cancelledAt: new Date() } });

    const sent: Sent[] = [];
    await start(sent);
    const rows = await valueWhen(
      () => t.db.reminder.findMany({ where: { subjectId: session.id } }),
      (r) => r.length > 0 && r.every((x) => x.status !== 'PENDING'),
    );
    expect(rows.map((r) => r.status)).toEqual(['CANCELLED']);
    expect(sent).toEqual([]);
  });

  it('skips the sweep while another process holds the sweep lock', async () => {
    const supervisor = await person('Sam Supervisor');
    await confirmedSession(new Date(Date.now() + 10 * 60_000), supervisor.id, [supervisor.id]);
    const scheduler = await start([]);
    await t.db.reminder.deleteMany();
    const held = deferred();
    const isLocked = deferred();
    const holder = t.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(${SWEEP_LOCK_KEY}::bigint)::text AS locked`;
        isLocked.resolve();
        await held.promise;
      },
      { timeout: 10_000 },
    );
    await isLocked.promise;
    expect(await scheduler.runOnce()).toEqual({ swept: false });
    held.resolve();
    await holder;
    expect(await scheduler.runOnce()).toMatchObject({ swept: true, sweep: { created: 1 } });
  });

  it('two schedulers sweeping at once create and send no duplicates', async () => {
    const supervisor = await person('Sam Supervisor');
    const staff = await person('Alex Staff');
    const session = await confirmedSession(new Date(Date.now() + 10 * 60_000), supervisor.id, [staff.id]);
    const requester = await person('Rae Requester');
    const request = await t.db.supervisionRequest.create({
      data: {
        organisationId,
        reference: `SGS-2026-${randomBytes(3).toString('hex')}`,
        requesterId: requester.id,
        platform: 'TEAMS',
        immediateRisk: false,
        urgency: 'ROUTINE',
        route: 'ADVICE',
        createdAt: new Date(Date.now() - 2 * HOUR),
      },
    });
    const triage = await t.db.conversationReference.create({
      data: { platform: 'TEAMS', conversationId: `triage-${randomUUID()}`, kind: 'CHANNEL', tenantId: 'tenant', reference: {} },
    });
    await t.db.triageChannel.create({ data: { organisationId, platform: 'TEAMS', conversationId: triage.conversationId, boundById: staff.id } });

    const sent: Sent[] = [];
    const prefix = `${basePrefix}-${++prefixCount}`;
    const [a, b] = await Promise.all([start(sent, prefix), start(sent, prefix)]);
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);

    const rows = await valueWhen(
      () => t.db.reminder.findMany({ where: { subjectId: { in: [session.id, request.id] } } }),
      (r) => r.length === 3 && r.every((x) => x.status === 'SENT'),
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.status === 'SENT')).toBe(true);
    expect(sent).toHaveLength(3);
    const triageCard = sent.find((s) => s.conversationId === triage.conversationId)!;
    expect(triageCard.message.card?.data.text).toMatch(/^SGS-2026-\w+ has waited 1\d\d min unclaimed\.$/);
  });
});
