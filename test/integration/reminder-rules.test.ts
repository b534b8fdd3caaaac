// The reminder and report rules of issue 15, against real PostgreSQL and Redis: each situation
// is built from rows written directly (people who never wrote to the bot included: their chat is
// opened by the stub platform), then the real scheduler (sweep + reconcile + BullMQ worker) runs
// with an injected clock, and the exact reminder rows and deliveries are asserted. Redis keys
// live under a prefix unique to this file; nothing shared is flushed.
import { randomBytes, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelSender, StoredConversationRef } from '../../src/channels/outbox.js';
import type { Reminder } from '../../src/db/generated/client.js';
import type { OutMessage } from '../../src/flows/types.js';
import { signRecord } from '../../src/flows/records.js';
import { showOverdueSupervision } from '../../src/flows/report.js';
import { loadOverduePeople, loadReportFigures, loadStaffGroups } from '../../src/db/report-queries.js';
import { resolvePeriod } from '../../src/domain/report.js';
import { reminderJobId } from '../../src/scheduler/jobs.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { withTestDatabase } from '../support/database.js';
import { valueWhen } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const basePrefix = `rules-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Each test waits on a real queue and worker; a loaded machine (2 cores) can make that slow.
vi.setConfig({ testTimeout: 120_000 });

const t = withTestDatabase();
let organisationId: string;
let prefixCount = 0;
const started: Array<{ scheduler: Scheduler; prefix: string }> = [];

/** The injected clock: the scheduler, the sweep and the worker all read it. */
let now = new Date('2027-03-01T12:00:00Z');
const clock = { now: () => now };
const at = (iso: string) => new Date(iso);

interface Delivery {
  to: string;
  heading: string;
  text: string;
  detail: string;
}
let deliveries: Delivery[] = [];

/**
 * The platform: records every send, and opens a personal chat with anyone by e-mail (as Slack
 * does), so people who never wrote to the bot are reached too.
 */
function stubPlatform(): ChannelSender {
  let n = 0;
  return {
    platform: 'SLACK',
    async send(conversation: StoredConversationRef, message: OutMessage) {
      const data = (message.card?.data ?? {}) as Record<string, string>;
      deliveries.push({ to: conversation.conversationId, heading: data.heading ?? '', text: data.text ?? message.text ?? '', detail: data.detail ?? '' });
      return `m-${++n}`;
    },
    async update() {},
    async openPersonal(who) {
      return { conversationId: `dm:${who.email}`, reference: { channel: `dm:${who.email}` }, tenantId: 'T-RULES', platformUserId: `U-${who.email}` };
    },
  };
}

type Role = 'STAFF' | 'SUPERVISOR' | 'LINE_MANAGER' | 'SPECIALIST' | 'HEAD_OF_SAFEGUARDING';

async function person(
  name: string,
  extra: { roles?: Role[]; staffGroupId?: string; lineManagerId?: string; createdAt?: Date; timeZone?: string; quietHoursStart?: string; quietHoursEnd?: string } = {},
) {
  return t.db.person.create({
    data: {
      organisationId,
      name,
      email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${randomUUID().slice(0, 8)}@example.nhs.uk`,
      roles: extra.roles ?? ['STAFF'],
      timeZone: extra.timeZone ?? null,
      staffGroupId: extra.staffGroupId ?? null,
      lineManagerId: extra.lineManagerId ?? null,
      quietHoursStart: extra.quietHoursStart ?? null,
      quietHoursEnd: extra.quietHoursEnd ?? null,
      ...(extra.createdAt ? { createdAt: extra.createdAt } : {}),
    },
  });
}

/** Where a person's deliveries go (the chat the stub platform opens for them). */
const dm = (p: { email: string }) => `dm:${p.email}`;

async function session(options: {
  supervisorId: string;
  attendance: Record<string, 'ATTENDED' | 'DID_NOT_ATTEND' | 'APOLOGIES' | null>;
  startsAt: Date;
  status?: 'PROPOSED' | 'CONFIRMED' | 'AWAITING_RECORD' | 'COMPLETED' | 'CANCELLED';
  format?: 'INDIVIDUAL' | 'GROUP';
  type?: 'MANDATORY' | 'ON_REQUEST';
  requestId?: string;
  createdAt?: Date;
  cancelledById?: string;
  cancelledAt?: Date;
}) {
  return t.db.session.create({
    data: {
      organisationId,
      format: options.format ?? 'INDIVIDUAL',
      type: options.type ?? 'ON_REQUEST',
      status: options.status ?? 'COMPLETED',
      supervisorId: options.supervisorId,
      proposedById: options.supervisorId,
      startsAt: options.startsAt,
      endsAt: new Date(options.startsAt.getTime() + HOUR),
      durationMinutes: 60,
      ...(options.requestId ? { requestId: options.requestId } : {}),
      ...(options.createdAt ? { createdAt: options.createdAt } : {}),
      ...(options.cancelledById ? { cancelledById: options.cancelledById, cancelledAt: options.cancelledAt ?? null } : {}),
      attendees: { create: Object.entries(options.attendance).map(([personId, attendance]) => ({ personId, attendance })) },
    },
  });
}

async function startAt(instant: Date): Promise<Scheduler> {
  now = instant;
  const prefix = `${basePrefix}-${++prefixCount}`;
  const scheduler = await startScheduler({
    db: t.db,
    redisUrl: connection,
    prefix,
    senders: [stubPlatform()],
    logger: silent,
    clock,
    horizonMs: 15 * 60_000,
    // Sweeps run when the test says (runOnce), never on the wall clock's minute.
    schedule: '0 0 1 1 *',
    rateLimits: false,
    job: { attempts: 3, backoffMs: 10, jitter: 0.5 },
  });
  started.push({ scheduler, prefix });
  return scheduler;
}

/** Moves the clock, sweeps, and waits until every reminder due to be sent by then has been handled. */
async function sweepAndDeliver(scheduler: Scheduler, instant: Date): Promise<void> {
  now = instant;
  await scheduler.runOnce();
  const left = await valueWhen(
    () => t.db.reminder.count({ where: { status: 'PENDING', sendAt: { lte: now } } }),
    (n) => n === 0,
  );
  expect(left).toBe(0);
  // A worker that found its recipient in quiet hours moves sendAt on, then puts its job back
  // as delayed: wait until no job is waiting or running, so every job has finished.
  await valueWhen(
    () => scheduler.queue.getJobCounts('waiting', 'active', 'prioritized'),
    (counts) => Object.values(counts).every((n) => n === 0),
  );
}

const rows = async (): Promise<Reminder[]> => t.db.reminder.findMany({ orderBy: [{ dueAt: 'asc' }, { kind: 'asc' }, { recipientKey: 'asc' }] });
const view = (r: Reminder) => ({ kind: r.kind, subjectType: r.subjectType, subjectId: r.subjectId, recipientId: r.recipientId, dueAt: r.dueAt.toISOString(), sendAt: r.sendAt.toISOString(), status: r.status });

beforeAll(async () => {
  const org = await t.db.organisation.create({
    data: { slug: `rules-${randomUUID()}`, name: 'Rules test', serviceHours: {}, responseTargets: {}, timeZone: 'Europe/London' },
  });
  organisationId = org.id;
});

beforeEach(async () => {
  deliveries = [];
  await t.db.reminder.deleteMany();
  await t.db.postedCard.deleteMany();
  await t.db.signature.deleteMany();
  await t.db.actionPoint.deleteMany();
  await t.db.supervisionRecord.deleteMany();
  await t.db.sessionEvent.deleteMany();
  await t.db.session.deleteMany();
  await t.db.supervisionRequest.deleteMany();
  await t.db.conversationReference.deleteMany();
  await t.db.platformIdentity.deleteMany();
  await t.db.auditEvent.deleteMany();
  await t.db.person.updateMany({ data: { lineManagerId: null } });
  await t.db.supervisorPoolMember.deleteMany();
  await t.db.supervisionRequirement.deleteMany();
  await t.db.person.deleteMany();
  await t.db.staffGroup.deleteMany();
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

// ---------------------------------------------------------------------------
// 1. A session that ended with no record
// ---------------------------------------------------------------------------

describe('1. a session that has ended without a written record', () => {
  it('moves to AWAITING_RECORD when it ends, gets RECORD_OVERDUE to its supervisor at the due time (no record or a draft), and is COMPLETED once signed', async () => {
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const nia = await person('Nia Supervisor', { roles: ['SUPERVISOR'] });
    const ola = await person('Ola Supervisor', { roles: ['SUPERVISOR'] });
    const ada = await person('Ada Paramedic');
    const ben = await person('Ben Paramedic');
    const cal = await person('Cal Paramedic');
    // All three ended at 11:00 UTC on Monday 1 March 2027 (GMT): records due 11:00 on Tuesday.
    const start = at('2027-03-01T10:00:00Z');
    const none = await session({ supervisorId: sam.id, attendance: { [ada.id]: null }, startsAt: start, status: 'CONFIRMED' });
    const draft = await session({ supervisorId: nia.id, attendance: { [ben.id]: null }, startsAt: start, status: 'CONFIRMED' });
    await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', sessionId: draft.id, supervisorId: nia.id, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'DRAFT', dueAt: at('2027-03-02T11:00:00Z'), subjects: { create: [{ personId: ben.id }] } },
    });
    const written = await session({ supervisorId: ola.id, attendance: { [cal.id]: 'ATTENDED' }, startsAt: start, status: 'CONFIRMED' });
    const writtenRecord = await t.db.supervisionRecord.create({
      data: {
        organisationId, kind: 'SESSION', sessionId: written.id, supervisorId: ola.id, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'AWAITING_SIGNATURES', version: 2,
        dueAt: at('2027-03-02T11:00:00Z'), completedAt: at('2027-03-01T15:00:00Z'), subjects: { create: [{ personId: cal.id }] },
        signatures: { create: [{ personId: ola.id, signedVersion: 2, platform: 'SLACK', signedAt: at('2027-03-01T15:00:00Z') }] },
      },
    });
    // A session still to come does not move.
    const later = await session({ supervisorId: sam.id, attendance: { [ada.id]: null }, startsAt: at('2027-03-08T10:30:00Z'), status: 'CONFIRMED' });

    // Still running at 10:59: nothing moves.
    const scheduler = await startAt(at('2027-03-01T10:59:00Z'));
    const status = async (id: string) => (await t.db.session.findUniqueOrThrow({ where: { id } })).status;
    expect(await status(none.id)).toBe('CONFIRMED');

    // Ended: the sessions wait for their record.
    await sweepAndDeliver(scheduler, at('2027-03-01T12:00:00Z'));
    expect([await status(none.id), await status(draft.id), await status(written.id), await status(later.id)]).toEqual(['AWAITING_RECORD', 'AWAITING_RECORD', 'AWAITING_RECORD', 'CONFIRMED']);
    expect(await rows()).toEqual([]);

    // 15 minutes before the due time the horizon does not reach it yet.
    await sweepAndDeliver(scheduler, at('2027-03-02T10:44:00Z'));
    expect((await rows()).filter((r) => r.kind === 'RECORD_OVERDUE')).toEqual([]);

    // 25 hours after the end (the sweep was down at 11:00): the reminder at its due time, sent now.
    await sweepAndDeliver(scheduler, at('2027-03-02T12:00:00Z'));
    const overdue = (await rows()).filter((r) => r.kind === 'RECORD_OVERDUE').map(view).sort((a, b) => a.recipientId!.localeCompare(b.recipientId!));
    expect(overdue).toEqual(
      [
        { kind: 'RECORD_OVERDUE', subjectType: 'Session', subjectId: none.id, recipientId: sam.id, dueAt: '2027-03-02T11:00:00.000Z', sendAt: '2027-03-02T11:00:00.000Z', status: 'SENT' },
        { kind: 'RECORD_OVERDUE', subjectType: 'Session', subjectId: draft.id, recipientId: nia.id, dueAt: '2027-03-02T11:00:00.000Z', sendAt: '2027-03-02T11:00:00.000Z', status: 'SENT' },
      ].sort((a, b) => a.recipientId.localeCompare(b.recipientId)),
    );
    const recordDeliveries = deliveries.filter((d) => d.heading === 'Supervision record overdue');
    expect(recordDeliveries.map((d) => [d.to, d.text]).sort()).toEqual(
      [
        [dm(sam), 'The record of your supervision session with Ada Paramedic on Monday 1 March 2027 was due by 11:00 on Tuesday 2 March 2027 and has not been written.'],
        [dm(nia), 'The record of your supervision session with Ben Paramedic on Monday 1 March 2027 was due by 11:00 on Tuesday 2 March 2027 and has not been written.'],
      ].sort(),
    );
    // Sam never wrote to the bot: the platform opened the chat, and the link was kept.
    expect(await t.db.platformIdentity.count({ where: { personId: sam.id } })).toBe(1);

    // Sweeping again sends nothing twice.
    const before = deliveries.length;
    await sweepAndDeliver(scheduler, at('2027-03-02T12:01:00Z'));
    expect(deliveries.length).toBe(before);
    expect(await t.db.reminder.count({ where: { kind: 'RECORD_OVERDUE' } })).toBe(2);

    // The last signature completes the session (and only then).
    const actor = { personId: cal.id, organisationId, roles: ['STAFF'] as const, name: cal.name, platform: 'SLACK' as const, timeZone: 'Europe/London' };
    const deps = { db: t.db, clock, outbox: { stage: async () => [], send: async () => {} }, logger: silent, links: {} } as never;
    expect(await status(written.id)).toBe('AWAITING_RECORD');
    await signRecord(deps, actor, { recordId: writtenRecord.id, version: 2 });
    expect((await t.db.supervisionRecord.findUniqueOrThrow({ where: { id: writtenRecord.id } })).status).toBe('SIGNED');
    expect(await status(written.id)).toBe('COMPLETED');
    expect(await t.db.sessionEvent.findMany({ where: { sessionId: written.id }, select: { fromStatus: true, toStatus: true, actorId: true } })).toEqual([
      { fromStatus: 'AWAITING_RECORD', toStatus: 'COMPLETED', actorId: cal.id },
    ]);
  });

  it('cancels a RECORD_OVERDUE whose record was written before it went out', async () => {
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const ada = await person('Ada Paramedic');
    const s = await session({ supervisorId: sam.id, attendance: { [ada.id]: null }, startsAt: at('2027-03-01T10:00:00Z'), status: 'AWAITING_RECORD' });
    const reminder = await t.db.reminder.create({
      data: { organisationId, kind: 'RECORD_OVERDUE', subjectType: 'Session', subjectId: s.id, recipientKey: `person:${sam.id}`, recipientId: sam.id, dueAt: at('2027-03-02T11:00:00Z'), sendAt: at('2027-03-02T11:00:00Z') },
    });
    await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', sessionId: s.id, supervisorId: sam.id, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'AWAITING_SIGNATURES', dueAt: at('2027-03-02T11:00:00Z') },
    });
    const scheduler = await startAt(at('2027-03-02T11:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-02T11:00:00Z'));
    expect((await t.db.reminder.findUniqueOrThrow({ where: { id: reminder.id } })).status).toBe('CANCELLED');
    expect(deliveries).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// 2. Quiet hours at the moment of sending
// ---------------------------------------------------------------------------

const jobState = async (scheduler: Scheduler, id: string) => (await scheduler.queue.getJob(reminderJobId(id)))?.getState();

/**
 * Time passes on the injected clock, not on the wall clock: the delayed job of each of these
 * reminders (deferred by a worker with the wall clock's delay) is made due now.
 */
async function promote(scheduler: Scheduler, ids: string[]): Promise<void> {
  for (const id of ids) {
    expect(await valueWhen(() => jobState(scheduler, id), (state) => state === 'delayed')).toBe('delayed');
    await (await scheduler.queue.getJob(reminderJobId(id)))!.promote();
  }
}

describe('2. quiet hours are checked when the reminder is sent', () => {
  it('defers every non-urgent reminder that would go out inside the recipient quiet hours, again on a retry, and sends it when they end', async () => {
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'], quietHoursStart: '22:00', quietHoursEnd: '07:00' });
    const lee = await person('Lee Manager', { roles: ['LINE_MANAGER'], quietHoursStart: '21:00', quietHoursEnd: '08:00' });
    const ada = await person('Ada Paramedic', { quietHoursStart: '22:00', quietHoursEnd: '07:00' });
    const ben = await person('Ben Paramedic', { lineManagerId: lee.id });

    // A record due at 21:30 (before Sam's quiet hours), its reminder row written at 21:30 by a
    // sweep; the workers were down until 23:00.
    const unrecorded = await session({ supervisorId: sam.id, attendance: { [ada.id]: null }, startsAt: at('2027-03-02T20:30:00Z'), status: 'AWAITING_RECORD' });
    const recordRow = await t.db.reminder.create({
      data: { organisationId, kind: 'RECORD_OVERDUE', subjectType: 'Session', subjectId: unrecorded.id, recipientKey: `person:${sam.id}`, recipientId: sam.id, dueAt: at('2027-03-03T21:30:00Z'), sendAt: at('2027-03-03T21:30:00Z') },
    });
    // Ada's action point was due today: its 09:00 reminder was missed while the sweep was down.
    const record = await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', supervisorId: sam.id, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'SIGNED', subjects: { create: [{ personId: ada.id }] } },
    });
    const point = await t.db.actionPoint.create({
      data: { recordId: record.id, ordinal: 1, description: 'Book level 3 training', kind: 'TRAINING_NEED', ownerId: ada.id, dueOn: at('2027-03-03T00:00:00Z') },
    });
    // Ben missed a session; he was told at 20:30, so his line manager's nudge is created late (23:00), due 20:30.
    const missed = await session({ supervisorId: sam.id, attendance: { [ben.id]: 'DID_NOT_ATTEND' }, startsAt: at('2027-03-03T18:00:00Z'), status: 'COMPLETED' });
    const subject = `${missed.id}:${ben.id}`;
    await t.db.reminder.create({
      data: {
        organisationId, kind: 'LINE_MANAGER_NON_ATTENDANCE', subjectType: 'SessionAttendee', subjectId: subject, recipientKey: `person:${ben.id}`, recipientId: ben.id,
        dueAt: at('2027-03-03T19:00:00Z'), sendAt: at('2027-03-03T19:00:00Z'), status: 'SENT', sentAt: at('2027-03-03T20:30:00Z'), attempts: 1,
      },
    });

    const scheduler = await startAt(at('2027-03-03T23:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-03T23:00:00Z'));
    expect(deliveries).toEqual([]);
    const pending = async () => (await t.db.reminder.findMany({ where: { status: 'PENDING' } })).map(view).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(await pending()).toEqual([
      { kind: 'ACTION_DUE', subjectType: 'ActionPoint', subjectId: point.id, recipientId: ada.id, dueAt: '2027-03-03T09:00:00.000Z', sendAt: '2027-03-04T07:00:00.000Z', status: 'PENDING' },
      { kind: 'LINE_MANAGER_NON_ATTENDANCE', subjectType: 'SessionAttendee', subjectId: subject, recipientId: lee.id, dueAt: '2027-03-03T20:30:00.000Z', sendAt: '2027-03-04T08:00:00.000Z', status: 'PENDING' },
      { kind: 'RECORD_OVERDUE', subjectType: 'Session', subjectId: unrecorded.id, recipientId: sam.id, dueAt: '2027-03-03T21:30:00.000Z', sendAt: '2027-03-04T07:00:00.000Z', status: 'PENDING' },
    ]);
    const recordNow = await t.db.reminder.findUniqueOrThrow({ where: { id: recordRow.id } });
    expect(recordNow.attempts).toBe(0);

    // A retry at 23:30 (the job run early): still quiet, deferred again, nothing sent.
    now = at('2027-03-03T23:30:00Z');
    await promote(scheduler, [recordRow.id]);
    await valueWhen(() => jobState(scheduler, recordRow.id), (state) => state === 'delayed');
    expect(deliveries).toEqual([]);
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: recordRow.id } })).toMatchObject({ status: 'PENDING', sendAt: at('2027-03-04T07:00:00Z'), attempts: 0 });

    // 07:00: Sam's and Ada's quiet hours are over; Lee's last until 08:00, so his nudge waits.
    now = at('2027-03-04T07:00:00Z');
    await scheduler.runOnce();
    await promote(scheduler, [recordRow.id]);
    await valueWhen(() => t.db.reminder.count({ where: { status: 'PENDING', recipientId: { in: [sam.id, ada.id] } } }), (n) => n === 0);
    expect(deliveries.map((d) => [d.to, d.heading]).sort()).toEqual([
      [dm(ada), 'Action point reminder'],
      [dm(sam), 'Supervision record overdue'],
    ].sort());
    const sent = await t.db.reminder.findMany({ where: { status: 'SENT', recipientId: { in: [sam.id, ada.id] } } });
    expect(sent.map((r) => r.sentAt)).toEqual([at('2027-03-04T07:00:00Z'), at('2027-03-04T07:00:00Z')]);
    expect((await t.db.reminder.findFirstOrThrow({ where: { recipientId: lee.id } })).status).toBe('PENDING');

    // 08:00: the line manager's nudge goes.
    await sweepAndDeliver(scheduler, at('2027-03-04T08:00:00Z'));
    const nudge = await t.db.reminder.findFirstOrThrow({ where: { recipientId: lee.id } });
    expect([nudge.status, nudge.sentAt]).toEqual(['SENT', at('2027-03-04T08:00:00Z')]);
    expect(deliveries.filter((d) => d.to === dm(lee)).map((d) => d.heading)).toEqual(['Missed supervision session']);
  });
});

// ---------------------------------------------------------------------------
// 3. Rebooking, precisely
// ---------------------------------------------------------------------------

async function request(requesterId: string, createdAt: Date) {
  return t.db.supervisionRequest.create({
    data: {
      organisationId, reference: `SGS-2027-${randomUUID().slice(0, 6)}`, requesterId, platform: 'SLACK', immediateRisk: false,
      urgency: 'ROUTINE', route: 'SUPERVISION', status: 'BOOKED', claimedById: null, createdAt,
    },
  });
}

describe('3. rebooking after a cancellation', () => {
  it('only a session for the same request, or with the same supervisor and supervisee, booked after the cancellation, stops the reminders', async () => {
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const nia = await person('Nia Supervisor', { roles: ['SUPERVISOR'] });
    const ada = await person('Ada Paramedic');
    const ben = await person('Ben Paramedic');
    const cancelledAt = at('2027-03-01T10:00:00Z');
    const adaNeglect = await request(ada.id, at('2027-02-20T10:00:00Z'));
    const adaOther = await request(ada.id, at('2027-02-21T10:00:00Z'));

    // Ada cancelled her session with Sam for her request; Sam cancelled Ben's mandatory session.
    const adaCancelled = await session({
      supervisorId: sam.id, attendance: { [ada.id]: null }, startsAt: at('2027-03-03T10:00:00Z'), status: 'CANCELLED',
      requestId: adaNeglect.id, createdAt: at('2027-02-22T10:00:00Z'), cancelledById: ada.id, cancelledAt,
    });
    const benCancelled = await session({
      supervisorId: sam.id, attendance: { [ben.id]: null }, startsAt: at('2027-03-03T14:00:00Z'), status: 'CANCELLED', type: 'MANDATORY',
      createdAt: at('2027-02-22T10:00:00Z'), cancelledById: sam.id, cancelledAt,
    });
    // Not rebookings: Ada with another supervisor on her other request (same format, booked
    // since); Ben's session with Sam booked before the cancellation.
    await session({ supervisorId: nia.id, attendance: { [ada.id]: null }, startsAt: at('2027-04-12T10:00:00Z'), status: 'CONFIRMED', requestId: adaOther.id, createdAt: at('2027-03-02T10:00:00Z') });
    await session({ supervisorId: sam.id, attendance: { [ben.id]: null }, startsAt: at('2027-04-20T10:00:00Z'), status: 'CONFIRMED', type: 'MANDATORY', createdAt: at('2027-02-25T10:00:00Z') });

    // A week after the cancellation both are reminded (10:00 UTC = 10:00 in London in March).
    const scheduler = await startAt(at('2027-03-08T10:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-08T10:00:00Z'));
    expect((await rows()).map(view).sort((a, b) => a.recipientId!.localeCompare(b.recipientId!))).toEqual(
      [
        { kind: 'REBOOK_AFTER_CANCELLATION', subjectType: 'Session', subjectId: adaCancelled.id, recipientId: ada.id, dueAt: '2027-03-08T10:00:00.000Z', sendAt: '2027-03-08T10:00:00.000Z', status: 'SENT' },
        { kind: 'REBOOK_AFTER_CANCELLATION', subjectType: 'Session', subjectId: benCancelled.id, recipientId: sam.id, dueAt: '2027-03-08T10:00:00.000Z', sendAt: '2027-03-08T10:00:00.000Z', status: 'SENT' },
      ].sort((a, b) => a.recipientId.localeCompare(b.recipientId)),
    );
    expect(deliveries.map((d) => [d.to, d.text]).sort()).toEqual(
      [
        [dm(ada), 'You cancelled the supervision session with Sam Supervisor on Wednesday 3 March 2027. Whoever cancels rearranges it: please arrange another session soon.'],
        [dm(sam), 'You cancelled the supervision session with Ben Paramedic on Wednesday 3 March 2027. Whoever cancels rearranges it: please arrange another session soon.'],
      ].sort(),
    );

    // Rebooked: Ada's request with Nia (a group session, another supervisor: the same request);
    // Ben again with Sam, for no request (the same relationship).
    await session({ supervisorId: nia.id, attendance: { [ada.id]: null }, startsAt: at('2027-03-20T10:00:00Z'), status: 'PROPOSED', format: 'GROUP', requestId: adaNeglect.id, createdAt: at('2027-03-10T10:00:00Z') });
    await session({ supervisorId: sam.id, attendance: { [ben.id]: null }, startsAt: at('2027-03-21T10:00:00Z'), status: 'PROPOSED', type: 'MANDATORY', createdAt: at('2027-03-11T10:00:00Z') });
    // Rows written before the rebooking (a sweep ahead of time) are cancelled, not sent.
    const stale = await t.db.reminder.create({
      data: { organisationId, kind: 'REBOOK_AFTER_CANCELLATION', subjectType: 'Session', subjectId: adaCancelled.id, recipientKey: `person:${ada.id}`, recipientId: ada.id, dueAt: at('2027-03-15T10:00:00Z'), sendAt: at('2027-03-15T10:00:00Z') },
    });
    const sentBefore = deliveries.length;
    await sweepAndDeliver(scheduler, at('2027-03-15T10:00:00Z'));
    expect((await t.db.reminder.findUniqueOrThrow({ where: { id: stale.id } })).status).toBe('CANCELLED');
    expect(await t.db.reminder.count({ where: { kind: 'REBOOK_AFTER_CANCELLATION' } })).toBe(3);
    expect(deliveries.length).toBe(sentBefore);
  });
});

// ---------------------------------------------------------------------------
// 4. One cadence rule for the reminders and the report; the "(no staff group)" row
// ---------------------------------------------------------------------------

describe('4. ten sessions a year: 36.5 days, the same in the reminders, the report and the overdue view', () => {
  const ZONE = 'Europe/London';
  const NO_GROUP = '(no staff group)';

  /**
   * The README's rule, computed independently from instants: 365 / n days counted from the start
   * of the local day of the last attended session (or joining); due on the local day it runs out.
   */
  function dueOn(last: Date, perYear: number): string {
    const start = DateTime.fromJSDate(last, { zone: ZONE }).startOf('day');
    const runsOut = start.toMillis() + (365 / perYear) * DAY;
    return DateTime.fromMillis(runsOut, { zone: ZONE }).toISODate()!;
  }

  async function build() {
    const tenAYear = await t.db.staffGroup.create({ data: { organisationId, name: 'Call handlers' } });
    await t.db.supervisionRequirement.create({
      data: { staffGroupId: tenAYear.id, kind: 'MANDATORY', format: 'INDIVIDUAL', supervisorPool: 'NAMED_SUPERVISORS', sessionsPerYear: 10, durationMinutes: 60 },
    });
    const paramedics = await t.db.staffGroup.create({ data: { organisationId, name: 'Paramedics' } });
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const joined = at('2026-06-01T09:00:00Z');
    const member = (name: string, createdAt = joined) => person(name, { staffGroupId: tenAYear.id, createdAt });
    const ada = await member('Ada Handler');
    const ben = await member('Ben Handler');
    const cal = await member('Cal Handler', at('2027-02-01T09:00:00Z'));
    const dee = await member('Dee Handler');
    const eve = await member('Eve Handler');
    const fay = await person('Fay Paramedic', { staffGroupId: paramedics.id });
    const gus = await person('Gus NoGroup');
    const hal = await person('Hal NoGroup');
    const attended = (p: { id: string }, iso: string, extra: Partial<Parameters<typeof session>[0]> = {}) =>
      session({ supervisorId: sam.id, attendance: { [p.id]: 'ATTENDED' }, startsAt: at(iso), type: 'MANDATORY', ...extra });
    const held = [
      await attended(ada, '2026-12-10T10:00:00Z'),
      await attended(ada, '2027-01-20T10:00:00Z'),
      // 23 February + 36.5 days runs out on 31 March: due that day, so not compliant on 31 March (37 days said compliant).
      await attended(ben, '2027-02-23T10:00:00Z'),
      await attended(dee, '2027-03-10T10:00:00Z'),
      await attended(eve, '2027-02-24T15:00:00Z'),
      // The mixed group session: a paramedic and two people with no staff group.
      await session({ supervisorId: sam.id, attendance: { [fay.id]: 'ATTENDED', [gus.id]: 'ATTENDED', [hal.id]: 'ATTENDED' }, startsAt: at('2027-03-15T10:00:00Z'), format: 'GROUP' }),
      await session({ supervisorId: sam.id, attendance: { [gus.id]: 'ATTENDED' }, startsAt: at('2027-03-16T10:00:00Z') }),
    ];
    return { tenAYear, paramedics, people: { ada, ben, cal, dee, eve, fay, gus, hal }, held };
  }

  it('the report: sessions by staff group with the mixed session, and compliance with 36.5 days, against an independent computation', async () => {
    const { tenAYear, people, held } = await build();
    const period = resolvePeriod({ kind: 'quarter', year: 2027, quarter: 1 }, at('2027-04-05T10:00:00Z'), ZONE, 366);
    const { cadences } = await loadStaffGroups(t.db, organisationId);
    const figures = await loadReportFigures(t.db, { organisationId, period, today: '2027-04-05', cadences });

    // Independently: each held session once per distinct staff group of its supervisees, a
    // supervisee with no group counting under "(no staff group)".
    const groupOf = new Map<string, string>([
      ...[people.ada, people.ben, people.cal, people.dee, people.eve].map((p) => [p.id, 'Call handlers'] as [string, string]),
      [people.fay.id, 'Paramedics'],
      [people.gus.id, NO_GROUP],
      [people.hal.id, NO_GROUP],
    ]);
    const inPeriod = (d: Date) => d >= period.start && d < period.end;
    const counts = new Map<string, number>();
    let total = 0;
    for (const s of held.filter((x) => inPeriod(x.startsAt!))) {
      const attendees = await t.db.sessionAttendee.findMany({ where: { sessionId: s.id } });
      total += 1;
      for (const group of new Set(attendees.map((a) => groupOf.get(a.personId)!))) {
        const key = `${group}|${s.type}|${s.format}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const expectedSessions = [...counts].map(([key, sessions]) => {
      const [staffGroup, type, format] = key.split('|');
      return { staffGroup, type, format, sessions };
    });
    expect([...figures.sessions].sort((a, b) => `${a.staffGroup}${a.type}${a.format}`.localeCompare(`${b.staffGroup}${b.type}${b.format}`))).toEqual(
      expectedSessions.sort((a, b) => `${a.staffGroup}${a.type}${a.format}`.localeCompare(`${b.staffGroup}${b.type}${b.format}`)),
    );
    expect(figures.sessionTotal).toBe(total);
    // The mixed session is in both rows, once each; Gus's own session once more under "(no staff group)".
    expect(figures.sessions.filter((r) => r.format === 'GROUP')).toEqual([
      { staffGroup: NO_GROUP, type: 'ON_REQUEST', format: 'GROUP', sessions: 1 },
      { staffGroup: 'Paramedics', type: 'ON_REQUEST', format: 'GROUP', sessions: 1 },
    ]);
    expect(figures.sessions.find((r) => r.staffGroup === NO_GROUP && r.format === 'INDIVIDUAL')?.sessions).toBe(1);
    expect(total).toBe(6);

    // Compliance of the 10-a-year group on 31 March.
    const members = [people.ada, people.ben, people.cal, people.dee, people.eve];
    const lastAttended = async (id: string) =>
      (await t.db.sessionAttendee.findMany({ where: { personId: id, attendance: 'ATTENDED', session: { startsAt: { lt: period.end } } }, include: { session: true } }))
        .map((a) => a.session.startsAt!)
        .sort((a, b) => b.getTime() - a.getTime())[0];
    let compliant = 0;
    let received = 0;
    for (const m of members) {
      const last = (await lastAttended(m.id)) ?? m.createdAt;
      if (dueOn(last, 10) > period.to) compliant += 1;
      received += await t.db.sessionAttendee.count({ where: { personId: m.id, attendance: 'ATTENDED', session: { startsAt: { gte: period.start, lt: period.end } } } });
    }
    expect([dueOn(at('2027-02-23T10:00:00Z'), 10), dueOn(at('2027-02-24T15:00:00Z'), 10)]).toEqual(['2027-03-31', '2027-04-01']);
    const row = figures.compliance.find((r) => r.staffGroup === tenAYear.name)!;
    expect(row.members).toBe(5);
    expect(row.compliant).toBe(compliant);
    expect(row.compliant).toBe(2); // Dee and Eve; Ben is due on 31 March itself
    expect(row.received).toBe(received);
    expect(row.required).toBeCloseTo((5 * 90) / 36.5, 9);

    // The overdue view on 31 March: the same rule, and the same dates.
    const overdue = await loadOverduePeople(t.db, { organisationId, zone: ZONE, today: '2027-03-31', now: at('2027-03-31T12:00:00Z'), cadences });
    const expectedOverdue = [];
    for (const m of members) {
      const last = (await lastAttended(m.id)) ?? m.createdAt;
      if (dueOn(last, 10) <= '2027-03-31') expectedOverdue.push({ name: m.name, dueOn: dueOn(last, 10) });
    }
    expect(overdue.map((p) => ({ name: p.name, dueOn: p.dueOn })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(expectedOverdue.sort((a, b) => a.name.localeCompare(b.name)));
    expect(overdue.find((p) => p.name === 'Ben Handler')).toMatchObject({ dueOn: '2027-03-31', daysOverdue: 0 });
  });

  it('the reminders: due soon 14 days before and overdue on the day 36.5 days run out, at 09:00 local', async () => {
    const { people } = await build();
    const ben = people.ben;
    const scheduler = await startAt(at('2027-03-17T09:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-17T09:00:00Z'));
    // Wednesday 31 March is in British Summer Time: 09:00 local is 08:00 UTC, beyond this sweep's 15 minutes.
    await sweepAndDeliver(scheduler, at('2027-03-31T07:44:00Z'));
    const benRows = async () => (await rows()).filter((r) => r.subjectId === ben.id).map(view);
    expect(await benRows()).toEqual([
      { kind: 'MANDATORY_DUE', subjectType: 'Person', subjectId: ben.id, recipientId: ben.id, dueAt: '2027-03-17T09:00:00.000Z', sendAt: '2027-03-17T09:00:00.000Z', status: 'SENT' },
    ]);
    await sweepAndDeliver(scheduler, at('2027-03-31T08:00:00Z'));
    expect(await benRows()).toEqual([
      { kind: 'MANDATORY_DUE', subjectType: 'Person', subjectId: ben.id, recipientId: ben.id, dueAt: '2027-03-17T09:00:00.000Z', sendAt: '2027-03-17T09:00:00.000Z', status: 'SENT' },
      { kind: 'MANDATORY_OVERDUE', subjectType: 'Person', subjectId: ben.id, recipientId: ben.id, dueAt: '2027-03-31T08:00:00.000Z', sendAt: '2027-03-31T08:00:00.000Z', status: 'SENT' },
    ]);
    expect(deliveries.filter((d) => d.to === dm(ben)).map((d) => d.text)).toEqual([
      'Your mandatory safeguarding supervision is due by Wednesday 31 March 2027. You arrange it: send “book supervision” to propose a time.',
      'Your mandatory safeguarding supervision was due on Wednesday 31 March 2027. Please arrange it now: send “book supervision” to propose a time.',
    ]);
  });
});

// ---------------------------------------------------------------------------
// 5. The supervisor's copy of an overdue action point names its owner
// ---------------------------------------------------------------------------

describe('5. an overdue action point', () => {
  it('goes to its owner and to the supervisor, whose copy says whose it is', async () => {
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const ada = await person('Ada Paramedic');
    const ben = await person('Ben Paramedic');
    const record = await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', supervisorId: sam.id, format: 'GROUP', type: 'ON_REQUEST', status: 'SIGNED', subjects: { create: [{ personId: ada.id }, { personId: ben.id }] } },
    });
    const adas = await t.db.actionPoint.create({
      data: { recordId: record.id, ordinal: 1, description: 'Make the retrospective referral', kind: 'SAFEGUARDING_REFERRAL', ownerId: ada.id, dueOn: at('2027-03-03T00:00:00Z') },
    });
    // Sam's own point: his overdue reminder is his alone.
    const sams = await t.db.actionPoint.create({
      data: { recordId: record.id, ordinal: 2, description: 'Send the training dates', kind: 'TRAINING_NEED', ownerId: sam.id, dueOn: at('2027-03-03T00:00:00Z') },
    });

    // 09:00 the day after the date for completion.
    const scheduler = await startAt(at('2027-03-04T09:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-04T09:00:00Z'));
    expect((await rows()).map((r) => [r.kind, r.subjectId, r.recipientId, r.dueAt.toISOString(), r.status]).sort()).toEqual(
      [
        ['ACTION_OVERDUE', adas.id, ada.id, '2027-03-04T09:00:00.000Z', 'SENT'],
        ['ACTION_OVERDUE', adas.id, sam.id, '2027-03-04T09:00:00.000Z', 'SENT'],
        ['ACTION_OVERDUE', sams.id, sam.id, '2027-03-04T09:00:00.000Z', 'SENT'],
      ].sort(),
    );
    expect(deliveries.map((d) => [d.to, d.text, d.detail]).sort()).toEqual(
      [
        [dm(ada), 'Action point overdue: it was due on Wednesday 3 March.', 'Make the retrospective referral'],
        [dm(sam), "Ada Paramedic's action point is overdue: it was due on Wednesday 3 March.", 'Make the retrospective referral'],
        [dm(sam), 'Action point overdue: it was due on Wednesday 3 March.', 'Send the training dates'],
      ].sort(),
    );
    // Ben, in the same supervision, hears nothing of Ada's point.
    expect(deliveries.filter((d) => d.to === dm(ben))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// 6. A second non-attendance in a row
// ---------------------------------------------------------------------------

describe('6. repeated non-attendance', () => {
  it('after a second consecutive non-attendance the notice and the line manager nudge say so (attendance only), and the team sees it in the overdue view', async () => {
    const sam = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const lee = await person('Lee Manager', { roles: ['LINE_MANAGER'] });
    const spe = await person('Pat Specialist', { roles: ['SPECIALIST'] });
    const ben = await person('Ben Paramedic', { lineManagerId: lee.id });
    const ada = await person('Ada Paramedic', { lineManagerId: lee.id });
    const cal = await person('Cal Paramedic', { lineManagerId: lee.id });
    await session({ supervisorId: sam.id, attendance: { [ben.id]: 'DID_NOT_ATTEND' }, startsAt: at('2027-01-20T10:00:00Z') });
    await session({ supervisorId: sam.id, attendance: { [ada.id]: 'ATTENDED' }, startsAt: at('2027-02-15T10:00:00Z') });
    await session({ supervisorId: sam.id, attendance: { [cal.id]: 'DID_NOT_ATTEND' }, startsAt: at('2027-02-01T10:00:00Z') });
    await session({ supervisorId: sam.id, attendance: { [cal.id]: 'APOLOGIES' }, startsAt: at('2027-02-15T14:00:00Z') });
    // Monday's group session: none of the three came; the record was written on Tuesday at 09:00.
    const group = await session({
      supervisorId: sam.id, attendance: { [ben.id]: 'DID_NOT_ATTEND', [ada.id]: 'DID_NOT_ATTEND', [cal.id]: 'DID_NOT_ATTEND' },
      startsAt: at('2027-03-01T10:00:00Z'), format: 'GROUP', status: 'AWAITING_RECORD',
    });
    await t.db.supervisionRecord.create({
      data: {
        organisationId, kind: 'SESSION', sessionId: group.id, supervisorId: sam.id, format: 'GROUP', type: 'ON_REQUEST', status: 'AWAITING_SIGNATURES',
        content: 'Discussed a child protection case in detail', completedAt: at('2027-03-02T09:00:00Z'), dueAt: at('2027-03-02T11:00:00Z'),
      },
    });

    // Each supervisee is told first; the line manager's nudge follows at the next sweep.
    const scheduler = await startAt(at('2027-03-02T09:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-02T09:00:00Z'));
    await sweepAndDeliver(scheduler, at('2027-03-02T09:01:00Z'));
    const subject = (p: { id: string }) => `${group.id}:${p.id}`;
    expect((await rows()).map((r) => [r.kind, r.subjectId, r.recipientId, r.dueAt.toISOString(), r.status]).sort()).toEqual(
      [ben, ada, cal].flatMap((p) => [
        ['LINE_MANAGER_NON_ATTENDANCE', subject(p), p.id, '2027-03-02T09:00:00.000Z', 'SENT'],
        ['LINE_MANAGER_NON_ATTENDANCE', subject(p), lee.id, '2027-03-02T09:00:00.000Z', 'SENT'],
      ]).sort(),
    );

    const to = (p: { email: string }) => deliveries.filter((d) => d.to === dm(p));
    expect(to(ben).map((d) => d.text)).toEqual([
      'You were recorded as not attending your supervision session on Monday 1 March 2027. Your line manager, Lee Manager, will be told that you did not attend, and that it is the second session in a row you have not attended: only that, never what is discussed in supervision.',
    ]);
    expect(to(ada).map((d) => d.text)).toEqual([
      'You were recorded as not attending your supervision session on Monday 1 March 2027. Your line manager, Lee Manager, will be told that you did not attend: only that, never what is discussed in supervision.',
    ]);
    expect(to(lee).map((d) => [d.text, d.detail]).sort()).toEqual(
      [
        [
          'Ben Paramedic did not attend a safeguarding supervision session on Monday 1 March 2027: the second session in a row they have not attended (also Wednesday 20 January 2027). They have been told that you are being informed.',
          'Attendance only: what is discussed in supervision stays confidential. Repeated non-attendance is shared under the supervision contract; the safeguarding team can see it too.',
        ],
        // Ada attended the session before; Cal gave apologies for hers: one missed session each.
        ['Ada Paramedic did not attend a safeguarding supervision session on Monday 1 March 2027. They have been told that you are being informed.', 'Attendance only: what is discussed in supervision stays confidential.'],
        ['Cal Paramedic did not attend a safeguarding supervision session on Monday 1 March 2027. They have been told that you are being informed.', 'Attendance only: what is discussed in supervision stays confidential.'],
      ].sort(),
    );
    expect(JSON.stringify(deliveries)).not.toContain('child protection');

    // The overdue view: the specialist team sees Ben's repeated non-attendance (nobody here is in a mandatory group).
    const deps = { db: t.db, clock, outbox: { stage: async () => [], send: async () => {} }, logger: silent, links: {} } as never;
    const asSpecialist = { personId: spe.id, organisationId, roles: ['SPECIALIST'], name: spe.name, platform: 'SLACK', timeZone: 'Europe/London' } as never;
    const result = await showOverdueSupervision(deps, asSpecialist);
    const card = result.replies[0]!.card!;
    expect(card.data).toMatchObject({
      heading: 'Overdue mandatory supervision: 0 people',
      hasPeople: false,
      hasRepeated: true,
      repeatedHeading: 'Repeated non-attendance: 1 person',
      repeated: [{ title: 'Ben Paramedic', value: '(no staff group); did not attend the last 2 sessions in a row (latest 1 Mar 2027)' }],
    });
    const csv = Buffer.from(result.files![0]!.content).toString('utf8').replace(/^\uFEFF/, '');
    expect(csv.trim().split(/\r?\n/)).toEqual([
      'name,job_title,staff_group,line_manager,last_attended,due_on,days_overdue,missed_in_a_row,last_missed',
      'Ben Paramedic,,(no staff group),Lee Manager,,,,2,2027-03-01',
    ]);
    // And Lee, for his own reports.
    const asManager = { personId: lee.id, organisationId, roles: ['LINE_MANAGER'], name: lee.name, platform: 'SLACK', timeZone: 'Europe/London' } as never;
    expect((await showOverdueSupervision(deps, asManager)).replies[0]!.card!.data).toMatchObject({ repeated: [{ title: 'Ben Paramedic' }] });

    // Ben attends the next session: the run is over, and the view no longer lists him.
    await session({ supervisorId: sam.id, attendance: { [ben.id]: 'ATTENDED' }, startsAt: at('2027-03-08T10:00:00Z') });
    now = at('2027-03-08T12:00:00Z');
    expect((await showOverdueSupervision(deps, asSpecialist)).replies).toEqual([
      { text: 'Everyone in a mandatory group: nobody is overdue for mandatory supervision today (8 Mar 2027).' },
    ]);
  });
});
