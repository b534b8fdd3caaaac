// Shutdown drains in-flight deliveries: stop() while a slow send is in progress waits for it, so
// the reminder is SENT (not left to be sent again after a restart) and no job is left active.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/channels/outbox.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { reconcileQueue } from '../../src/scheduler/reconcile.js';
import { upsertReminders } from '../../src/scheduler/reminder-store.js';
import { startScheduler } from '../../src/scheduler/scheduler.js';
import { withTestDatabase } from '../support/database.js';
import { deferred } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const prefix = `shutdown-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const clock = { now: () => new Date() };
const HOUR = 3_600_000;
/** The scenario: a send still taking this long after stop() is called. Not a wait for anything. */
const SEND_MS = 1500;

const t = withTestDatabase();
const inspector = createReminderQueue({ connection, prefix });

afterAll(async () => {
  await inspector.obliterate({ force: true }).catch(() => undefined);
  await inspector.close();
});

it('stop() waits for the delivery in flight: the row is SENT before stop resolves and nothing is left active', async () => {
  const org = await t.db.organisation.create({ data: { slug: `shutdown-${randomUUID()}`, name: 'Shutdown test', serviceHours: {}, responseTargets: {} } });
  const person = await t.db.person.create({ data: { organisationId: org.id, name: 'Recipient', email: `${randomUUID()}@example.nhs.uk`, roles: ['STAFF'], timeZone: 'UTC' } });
  await t.db.conversationReference.create({
    data: { platform: 'TEAMS', conversationId: `conv-${person.id}`, kind: 'PERSONAL', tenantId: 'tenant', personId: person.id, reference: {} },
  });
  const startsAt = new Date(Date.now() + 30 * HOUR);
  const session = await t.db.session.create({
    data: {
      organisationId: org.id,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'CONFIRMED',
      supervisorId: person.id,
      proposedById: person.id,
      startsAt,
      endsAt: new Date(startsAt.getTime() + HOUR),
      durationMinutes: 60,
    },
  });
  const [reminder] = await upsertReminders(t.db, [
    {
      organisationId: org.id,
      kind: 'SESSION_HOUR_BEFORE',
      subjectType: 'Session',
      subjectId: session.id,
      recipientKey: `person:${person.id}`,
      recipientId: person.id,
      dueAt: new Date(Date.now() - 1000),
    },
  ]);

  const events: string[] = [];
  const started = deferred();
  // The send is held until the test has looked at it in flight and called stop(): however slow the
  // machine, the checks below see it in progress, and it is still in progress when stop() begins.
  const released = deferred();
  const slowSender: ChannelSender = {
    platform: 'TEAMS',
    async send() {
      events.push('send started');
      started.resolve();
      await released.promise;
      // A slow send: it goes on for a while after stop() was called.
      await new Promise((r) => setTimeout(r, SEND_MS));
      events.push('send finished');
      return 'activity-1';
    },
    async update() {},
  };
  const scheduler = await startScheduler({ db: t.db, redisUrl: connection, prefix, senders: [slowSender], logger: silent, clock });
  // Another test file may hold the sweep lock: queue the row directly as well (idempotent).
  await reconcileQueue(t.db, scheduler.queue, { now: new Date(), horizonMs: 60_000 });
  await started.promise;
  expect(await inspector.getJobCounts('active')).toEqual({ active: 1 });
  expect((await t.db.reminder.findUniqueOrThrow({ where: { id: reminder!.id } })).status).toBe('PENDING');

  const stopped = scheduler.stop().then(() => events.push('stop resolved'));
  released.resolve();
  await stopped;

  expect(events).toEqual(['send started', 'send finished', 'stop resolved']);
  const row = await t.db.reminder.findUniqueOrThrow({ where: { id: reminder!.id } });
  expect(row).toMatchObject({ status: 'SENT', platform: 'TEAMS', platformMessageId: 'activity-1', attempts: 1 });
  expect(await inspector.getJobCounts('active', 'waiting', 'delayed', 'failed')).toEqual({ active: 0, waiting: 0, delayed: 0, failed: 0 });
  expect(await inspector.getJob(reminder!.id)).toBeUndefined(); // completed and removed, never to run again
});
