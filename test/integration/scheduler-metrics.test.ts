// /metrics against a real scheduler (PostgreSQL, Redis under a prefix of this file's own): the
// delivery outcomes by kind and platform, send failures by error class, lateness, sweeps and
// the queue depth read from BullMQ at scrape time; and who may read them.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSender, StoredConversationRef } from '../../src/channels/outbox.js';
import { startMetricsServer } from '../../src/http/metrics-route.js';
import { withOperationsRoutes } from '../../src/http/operations.js';
import { JobName, reminderJobId } from '../../src/scheduler/jobs.js';
import { createSchedulerMetrics, errorClassOf } from '../../src/scheduler/metrics.js';
import { deliveryJobOptions, reconcileQueue } from '../../src/scheduler/reconcile.js';
import { upsertReminders } from '../../src/scheduler/reminder-store.js';
import type { ReminderSubjectType } from '../../src/domain/reminder-policy.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { withTestDatabase } from '../support/database.js';
import { eventually, WAIT_TIMEOUT_MS } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const prefix = `metrics-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const clock = { now: () => new Date() };
const TOKEN = 'metrics-token-'.padEnd(40, 'x');
const HOUR = 3_600_000;

const t = withTestDatabase();
let scheduler: Scheduler | undefined;
const servers: Server[] = [];

afterAll(async () => {
  await scheduler?.queue.obliterate({ force: true }).catch(() => undefined);
  await scheduler?.stop();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  await eventually(probe, 'the condition', timeoutMs);
}

async function serve(app: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The value of one sample line of the exposition text, or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('errorClassOf', () => {
  it('labels an error by its name and HTTP status class, never its message', () => {
    expect(errorClassOf(Object.assign(new Error('secret text'), { statusCode: 503 }))).toBe('Error 5xx');
    expect(errorClassOf(Object.assign(new TypeError('x'), { status: 429 }))).toBe('TypeError 429');
    expect(errorClassOf(Object.assign(new Error('x'), { name: 'RecipientUnreachableError' }))).toBe('RecipientUnreachableError');
    expect(errorClassOf('a string')).toBe('non-error');
  });
});

describe('scheduler metrics', () => {
  const registry = new Registry();
  let base: string;
  let ids: Record<'sent' | 'unreachable' | 'cancelled' | 'duplicate' | 'later', string>;
  /** When the reminder that is sent (on its second try) fell due, ms. */
  let sentDueAt: number;

  beforeAll(async () => {
    collectDefaultMetrics({ register: registry });
    const org = await t.db.organisation.create({ data: { slug: `metrics-${randomUUID()}`, name: 'Metrics test', serviceHours: {}, responseTargets: {} } });
    const person = (name: string) =>
      t.db.person.create({ data: { organisationId: org.id, name, email: `${randomUUID()}@example.nhs.uk`, roles: ['STAFF'], timeZone: 'UTC' } });
    const reachable = await person('Reachable');
    const unreachable = await person('Unreachable');
    await t.db.conversationReference.create({
      data: { platform: 'TEAMS', conversationId: `conv-${reachable.id}`, kind: 'PERSONAL', tenantId: 'tenant', personId: reachable.id, reference: {} },
    });
    // Far enough ahead that the sweep itself creates no reminder for it within the horizon.
    const startsAt = new Date(Date.now() + 30 * HOUR);
    const session = await t.db.session.create({
      data: {
        organisationId: org.id,
        format: 'INDIVIDUAL',
        type: 'ON_REQUEST',
        status: 'CONFIRMED',
        supervisorId: reachable.id,
        proposedById: reachable.id,
        startsAt,
        endsAt: new Date(startsAt.getTime() + HOUR),
        durationMinutes: 60,
        attendees: { create: [{ personId: unreachable.id }] },
      },
    });
    const now = Date.now();
    const spec = (kind: 'SESSION_HOUR_BEFORE' | 'SESSION_DAY_BEFORE' | 'ACTION_DUE', recipientId: string, dueAt: Date, subject: { type: ReminderSubjectType; id: string } = { type: 'Session', id: session.id }) => ({
      organisationId: org.id,
      kind,
      subjectType: subject.type,
      subjectId: subject.id,
      recipientKey: `person:${recipientId}`,
      recipientId,
      dueAt,
    });
    sentDueAt = now - 2000;
    const rows = await upsertReminders(t.db, [
      spec('SESSION_HOUR_BEFORE', reachable.id, new Date(sentDueAt)),
      spec('SESSION_HOUR_BEFORE', unreachable.id, new Date(now - 1000)),
      spec('ACTION_DUE', reachable.id, new Date(now - 1000), { type: 'ActionPoint', id: randomUUID() }),
      spec('SESSION_DAY_BEFORE', reachable.id, new Date(now - 3000)),
      spec('SESSION_DAY_BEFORE', unreachable.id, new Date(now + 10 * 60_000)),
    ]);
    const find = (kind: string, recipientId: string, subjectType = 'Session') =>
      rows.find((r) => r.kind === kind && r.recipientId === recipientId && r.subjectType === subjectType)!.id;
    ids = {
      sent: find('SESSION_HOUR_BEFORE', reachable.id),
      unreachable: find('SESSION_HOUR_BEFORE', unreachable.id),
      cancelled: find('ACTION_DUE', reachable.id, 'ActionPoint'),
      duplicate: find('SESSION_DAY_BEFORE', reachable.id),
      later: find('SESSION_DAY_BEFORE', unreachable.id),
    };
    // Already sent by someone else: its job must be recognised as a duplicate.
    await t.db.reminder.update({ where: { id: ids.duplicate }, data: { status: 'SENT', sentAt: new Date(), platform: 'TEAMS' } });

    let calls = 0;
    const sender: ChannelSender = {
      platform: 'TEAMS',
      async send(_conversation: StoredConversationRef) {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('Service Unavailable (must not be a label)'), { statusCode: 503 });
        return `activity-${calls}`;
      },
      async update() {},
    };
    scheduler = await startScheduler({
      db: t.db,
      redisUrl: connection,
      prefix,
      senders: [sender],
      logger: silent,
      clock,
      job: { attempts: 3, backoffMs: 10, jitter: 0.5 },
      metrics: createSchedulerMetrics(registry),
    });
    // Another test file may hold the sweep lock at this moment: queue the rows directly too.
    await reconcileQueue(t.db, scheduler.queue, { now: new Date(), horizonMs: 15 * 60_000, job: { attempts: 3, backoffMs: 10, jitter: 0.5 } });
    await scheduler.queue.add(JobName.deliverReminder, { reminderId: ids.duplicate }, { ...deliveryJobOptions(), jobId: reminderJobId(ids.duplicate) });
    await eventually(async () => (await scheduler!.runOnce()).swept, 'a sweep once the lock is free', WAIT_TIMEOUT_MS, 100);

    await waitFor(async () => (await t.db.reminder.count({ where: { id: { in: [ids.sent, ids.unreachable, ids.cancelled] }, status: 'PENDING' } })) === 0);
    // Outcomes are counted from the worker's events, just after the rows change.
    await waitFor(async () => {
      const counted = await registry.getSingleMetric('sg_reminders_total')!.get();
      return counted.values.reduce((sum, v) => sum + v.value, 0) >= 4;
    });

    base = await serve(withOperationsRoutes(express(), { metrics: { registry, token: TOKEN } }));
  });

  it('refuses /metrics without the bearer token or with a wrong one', async () => {
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('sg_reminders_total');
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}y` } });
    expect(wrong.status).toBe(401);
    const basic = await fetch(`${base}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('counts each delivery outcome by kind and platform, failures by error class, and lateness', async () => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();

    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: ids.sent } })).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: ids.unreachable } })).toMatchObject({ status: 'FAILED' });
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: ids.cancelled } })).toMatchObject({ status: 'CANCELLED' });

    expect(sample(text, 'sg_reminders_total{outcome="sent",kind="SESSION_HOUR_BEFORE",platform="TEAMS"}')).toBe(1);
    expect(sample(text, 'sg_reminders_total{outcome="failed",kind="SESSION_HOUR_BEFORE",platform="none"}')).toBe(1);
    expect(sample(text, 'sg_reminders_total{outcome="cancelled",kind="ACTION_DUE",platform="none"}')).toBe(1);
    expect(sample(text, 'sg_reminders_total{outcome="duplicate-avoided",kind="SESSION_DAY_BEFORE",platform="none"}')).toBe(1);

    expect(sample(text, 'sg_reminder_send_failures_total{error_class="Error 5xx"}')).toBe(1);
    expect(sample(text, 'sg_reminder_send_failures_total{error_class="RecipientUnreachableError"}')).toBe(1);
    expect(text).not.toContain('must not be a label');

    // Due 2 s before the scheduler started: at least 2 s late, and no later than it has been due
    // by now (it was recorded before this scrape), however slowly this machine ran it.
    expect(sample(text, 'sg_reminder_lateness_seconds_count{kind="SESSION_HOUR_BEFORE"}')).toBe(1);
    const late = sample(text, 'sg_reminder_lateness_seconds_sum{kind="SESSION_HOUR_BEFORE"}')!;
    expect(late).toBeGreaterThanOrEqual(2);
    expect(late).toBeLessThanOrEqual((Date.now() - sentDueAt) / 1000);
    expect(sample(text, 'sg_reminder_lateness_seconds_bucket{le="1",kind="SESSION_HOUR_BEFORE"}')).toBe(0);
  });

  it('reports the queue depth read from BullMQ at scrape time, sweeps, and process metrics', async () => {
    const read = async () => (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    let text = await read();
    expect(sample(text, 'sg_reminder_queue_jobs{state="delayed"}')).toBe(1); // the reminder due in 10 minutes
    expect(sample(text, 'sg_reminder_queue_jobs{state="failed"}')).toBe(1); // the unreachable one
    expect(sample(text, 'sg_reminder_queue_jobs{state="active"}')).toBe(0);
    expect(sample(text, 'sg_reminder_queue_jobs{state="waiting"}')).toBe(0);
    expect(sample(text, 'sg_reminder_sweep_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');

    // Live, not cached: removing the delayed job shows at the next scrape.
    await (await scheduler!.queue.getJob(reminderJobId(ids.later)))!.remove();
    text = await read();
    expect(sample(text, 'sg_reminder_queue_jobs{state="delayed"}')).toBe(0);
  });

  it('serves no /metrics on the web server when no token is configured', async () => {
    const inner = express();
    inner.use((_req, res) => {
      res.status(404).json({ error: 'Not found.' });
    });
    const url = await serve(withOperationsRoutes(inner, { metrics: { registry, token: undefined } }));
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('sg_reminders_total');
  });

  it('serves /metrics on the separate metrics listener (worker processes), with the token when one is set', async () => {
    const open = await startMetricsServer({ registry, port: 0, host: '127.0.0.1' });
    servers.push(open);
    const openUrl = `http://127.0.0.1:${(open.address() as AddressInfo).port}`;
    const res = await fetch(`${openUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sg_reminders_total{outcome="sent"');
    expect((await fetch(`${openUrl}/api/messages`)).status).toBe(404);

    const guarded = await startMetricsServer({ registry, token: TOKEN, port: 0, host: '127.0.0.1' });
    servers.push(guarded);
    const guardedUrl = `http://127.0.0.1:${(guarded.address() as AddressInfo).port}`;
    expect((await fetch(`${guardedUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${guardedUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});
