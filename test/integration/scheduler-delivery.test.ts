// The reminder scheduler against real PostgreSQL and real Redis. Redis work happens in its own
// logical database (REDIS_DB) under a prefix unique to this file, so FLUSHDB here (standing in
// for FLUSHALL, which would also wipe the state of test files running in parallel) touches
// nothing else.
import { randomBytes, randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Reminder } from '../../src/db/generated/client.js';
import {
  deliverReminder,
  RecipientUnreachableError,
  type DeliverDeps,
  type SendResult,
} from '../../src/scheduler/deliver-reminder.js';
import { buildDeliverReminderPayload, JobName, parseDeliverReminderPayload, REMINDER_QUEUE } from '../../src/scheduler/jobs.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { reconcileQueue, STUCK_AFTER_MS, type ReminderQueue } from '../../src/scheduler/reconcile.js';
import { dueForQueue, upsertReminders, type ReminderSpec } from '../../src/scheduler/reminder-store.js';
import { createReminderWorker, type ReminderWorker } from '../../src/scheduler/worker.js';
import { withTestDatabase } from '../support/database.js';
import { deferred, eventually, WAIT_TIMEOUT_MS } from '../support/wait.js';

const REDIS_DB = 11;
const connection = { host: '127.0.0.1', port: 6379, db: REDIS_DB, maxRetriesPerRequest: null };
const basePrefix = `sched-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const clock = { now: () => new Date() };
const fast = { backoffMs: 10, jitter: 0.5 };

const t = withTestDatabase();
let redis: Redis;
let organisationId: string;
const queues: ReminderQueue[] = [];
const workers: ReminderWorker[] = [];
let prefixCount = 0;

beforeAll(async () => {
  redis = new Redis({ ...connection, lazyConnect: true });
  await redis.connect();
  const org = await t.db.organisation.create({
    data: { slug: `sched-${randomUUID()}`, name: 'Scheduler test', serviceHours: {}, responseTargets: {} },
  });
  organisationId = org.id;
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(queues.splice(0).map((q) => q.obliterate({ force: true }).then(() => q.close())));
});

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(queues.splice(0).map((q) => q.close()));
  redis?.disconnect();
});

beforeEach(async () => {
  await t.db.reminder.deleteMany();
});

/** A queue under a prefix of its own, so each test's jobs are apart. */
function newQueue(): { queue: ReminderQueue; prefix: string } {
  const prefix = `${basePrefix}-${++prefixCount}`;
  const queue = createReminderQueue({ connection, prefix });
  queues.push(queue);
  return { queue, prefix };
}

function specs(n: number, sendAt: Date, overrides: Partial<ReminderSpec> = {}): ReminderSpec[] {
  return Array.from({ length: n }, () => ({
    organisationId,
    kind: 'ACTION_DUE' as const,
    subjectType: 'ActionPoint' as const,
    subjectId: randomUUID(),
    recipientKey: `person:${randomUUID()}`,
    dueAt: sendAt,
    sendAt,
    ...overrides,
  }));
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  return eventually(probe, 'the condition', timeoutMs) as Promise<T>;
}

/** Waits until no reminder is PENDING, then returns all rows. */
async function settled(): Promise<Reminder[]> {
  await waitFor(async () => (await t.db.reminder.count({ where: { status: 'PENDING' } })) === 0);
  return t.db.reminder.findMany();
}

function recordingSend(behaviour: (reminder: Reminder, call: number) => void = () => {}) {
  const calls: string[] = [];
  const send = async (reminder: Reminder): Promise<SendResult> => {
    calls.push(reminder.id);
    behaviour(reminder, calls.filter((id) => id === reminder.id).length);
    return { platform: 'TEAMS', messageId: `msg-${reminder.id}` };
  };
  return { calls, send };
}

function startWorker(prefix: string, deps: Partial<Omit<DeliverDeps, 'db'>>, concurrency = 5): ReminderWorker {
  const worker = createReminderWorker({
    connection,
    prefix,
    db: t.db,
    concurrency,
    deliverDeps: {
      send: deps.send ?? recordingSend().send,
      isSubjectLive: deps.isSubjectLive ?? (async () => true),
      clock,
      logger: deps.logger ?? silent,
    },
  });
  workers.push(worker);
  return worker;
}

async function jobIds(queue: ReminderQueue): Promise<string[]> {
  const jobs = await queue.getJobs(['delayed', 'waiting', 'active', 'prioritized']);
  return jobs.map((j) => j.id!).sort();
}

describe('reminder store', () => {
  it('creates a reminder once however often the sweep runs, and returns only the ones created', async () => {
    const now = new Date();
    const batch = specs(3, now);
    const first = await upsertReminders(t.db, [...batch, batch[0]!]);
    expect(first).toHaveLength(3);
    expect(new Set(first.map((r) => r.subjectId))).toEqual(new Set(batch.map((s) => s.subjectId)));

    const extra = specs(1, now);
    const second = await upsertReminders(t.db, [...batch, ...extra]);
    expect(second.map((r) => r.subjectId)).toEqual([extra[0]!.subjectId]);
    expect(await upsertReminders(t.db, [...batch, ...extra])).toEqual([]);
    expect(await t.db.reminder.count()).toBe(4);
  });

  it('lists only PENDING reminders due by the given time, earliest first, paged', async () => {
    const now = Date.now();
    const created = await upsertReminders(t.db, [
      ...specs(1, new Date(now - 3000)),
      ...specs(1, new Date(now - 2000)),
      ...specs(1, new Date(now - 1000)),
      ...specs(1, new Date(now + 60_000)),
    ]);
    const sent = created.find((r) => r.sendAt.getTime() === now - 2000)!;
    await t.db.reminder.update({ where: { id: sent.id }, data: { status: 'SENT' } });

    const due = await dueForQueue(t.db, new Date(now), 10);
    expect(due.map((r) => r.sendAt.getTime())).toEqual([now - 3000, now - 1000]);
    const page1 = await dueForQueue(t.db, new Date(now), 1);
    const page2 = await dueForQueue(t.db, new Date(now), 1, { sendAt: page1[0]!.sendAt, id: page1[0]!.id });
    expect([...page1, ...page2].map((r) => r.id)).toEqual(due.map((r) => r.id));
  });
});

describe('reconcile', () => {
  it('adds one job per due reminder with the reminder id as job id, none again, and all again after a flush', async () => {
    const now = new Date();
    const due = await upsertReminders(t.db, [...specs(4, new Date(now.getTime() - 1000)), ...specs(1, new Date(now.getTime() + 30_000))]);
    await upsertReminders(t.db, specs(2, new Date(now.getTime() + 10 * 60_000))); // beyond the horizon
    const { queue } = newQueue();
    const expected = due.map((r) => r.id).sort();

    expect(await reconcileQueue(t.db, queue, { now, horizonMs: 60_000, batchSize: 2 })).toEqual({ scanned: 5, revived: 0 });
    expect(await jobIds(queue)).toEqual(expected);
    const future = await queue.getJob(due.find((r) => r.sendAt > now)!.id);
    expect(await future!.getState()).toBe('delayed');
    expect(future!.delay).toBe(30_000);
    expect(future!.name).toBe(JobName.deliverReminder);
    expect(future!.data).toEqual({ reminderId: future!.id });
    const stamps = new Map((await queue.getJobs(['delayed', 'waiting'])).map((j) => [j.id, j.timestamp]));

    await reconcileQueue(t.db, queue, { now: new Date(now.getTime() + 5), horizonMs: 60_000 });
    const again = await queue.getJobs(['delayed', 'waiting']);
    expect(again.map((j) => j.id).sort()).toEqual(expected);
    for (const job of again) expect(job.timestamp).toBe(stamps.get(job.id)); // the same jobs, not new ones
    expect(await queue.count()).toBe(5);

    await redis.flushdb();
    expect(await jobIds(queue)).toEqual([]);
    await reconcileQueue(t.db, queue, { now, horizonMs: 60_000 });
    expect(await jobIds(queue)).toEqual(expected);
  });

  it('adds again the job of a long-overdue PENDING row whose job ended in Redis without our code marking the row', async () => {
    const now = new Date();
    const [stuck] = await upsertReminders(t.db, specs(1, new Date(now.getTime() - STUCK_AFTER_MS - 60_000)));
    const [recent] = await upsertReminders(t.db, specs(1, new Date(now.getTime() - 1000)));
    const { queue, prefix } = newQueue();
    await reconcileQueue(t.db, queue, { now, horizonMs: 0 });
    // A worker that fails every job outright without touching the rows, as BullMQ does to a job
    // that stalled too often.
    const failing = new Worker(REMINDER_QUEUE, async () => {
      throw new UnrecoverableError('job stalled more than allowable limit');
    }, { connection, prefix });
    await waitFor(async () => (await queue.getJobState(stuck!.id)) === 'failed' && (await queue.getJobState(recent!.id)) === 'failed');
    await failing.close();

    const result = await reconcileQueue(t.db, queue, { now, horizonMs: 0 });
    expect(result).toEqual({ scanned: 2, revived: 1 });
    expect(await queue.getJobState(stuck!.id)).toBe('waiting');
    expect(await queue.getJobState(recent!.id)).toBe('failed'); // not yet overdue long enough to call stuck

    const { calls, send } = recordingSend();
    startWorker(prefix, { send });
    await waitFor(async () => (await t.db.reminder.findUniqueOrThrow({ where: { id: stuck!.id } })).status === 'SENT');
    expect(calls.filter((id) => id === stuck!.id)).toHaveLength(1);
  });
});

describe('worker', () => {
  it('delivers each of 200 reminders exactly once with two workers of concurrency 10 and repeated reconciles', async () => {
    const now = new Date();
    await upsertReminders(t.db, specs(200, new Date(now.getTime() - 1000)));
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend();
    await reconcileQueue(t.db, queue, { now, horizonMs: 0, job: fast });
    startWorker(prefix, { send }, 10);
    startWorker(prefix, { send }, 10);
    await Promise.all([1, 2, 3].map(() => reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: fast })));

    const rows = await settled();
    expect(rows).toHaveLength(200);
    expect(calls).toHaveLength(200);
    expect(new Set(calls).size).toBe(200);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'SENT', platform: 'TEAMS', platformMessageId: `msg-${row.id}`, attempts: 1 });
      expect(row.sentAt).toBeInstanceOf(Date);
    }
    // A reconcile after delivery finds nothing due.
    expect(await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: fast })).toEqual({ scanned: 0, revived: 0 });
  });

  it('retries a send that fails twice and ends SENT with the attempts recorded', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend((_r, call) => {
      if (call <= 2) throw Object.assign(new Error('Service Unavailable: secret body'), { statusCode: 503 });
    });
    startWorker(prefix, { send });
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: { ...fast, attempts: 5 } });

    const [row] = await settled();
    expect(calls).toEqual([reminder!.id, reminder!.id, reminder!.id]);
    expect(row).toMatchObject({ status: 'SENT', attempts: 3, lastError: null, platformMessageId: `msg-${reminder!.id}` });
  });

  it('marks a reminder whose send always fails FAILED after the last attempt, never dropped', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend(() => {
      throw Object.assign(new Error('Service Unavailable: secret body'), { statusCode: 503 });
    });
    startWorker(prefix, { send });
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: { ...fast, attempts: 3 } });

    const [row] = await settled();
    expect(calls).toHaveLength(3);
    expect(row).toMatchObject({ id: reminder!.id, status: 'FAILED', attempts: 3, lastError: 'Error status=503', sentAt: null });
    expect(row!.failedAt).toBeInstanceOf(Date);
    expect(row!.lastError).not.toContain('secret');
  });

  it('cancels a reminder whose subject is gone without calling send', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend();
    startWorker(prefix, { send, isSubjectLive: async () => false });
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: fast });

    const [row] = await settled();
    expect(row).toMatchObject({ id: reminder!.id, status: 'CANCELLED', attempts: 0 });
    expect(calls).toEqual([]);
  });

  it('fails a reminder whose subject type it does not know, and its log says so (not "subject gone")', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    // A row this version cannot judge: written by hand, or by a newer version.
    await t.db.reminder.update({ where: { id: reminder!.id }, data: { subjectType: 'action-point' } });
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend();
    const lines: Array<{ level: string; msg: string; facts: Record<string, unknown> }> = [];
    const capture = (level: string) => (facts: Record<string, unknown>, msg: string) => void lines.push({ level, msg, facts });
    let asked = 0;
    startWorker(prefix, {
      send,
      isSubjectLive: async () => {
        asked += 1;
        return true;
      },
      logger: { info: capture('info'), warn: capture('warn'), error: capture('error') } as unknown as DeliverDeps['logger'],
    });
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: fast });

    const [row] = await settled();
    expect(row).toMatchObject({ id: reminder!.id, status: 'FAILED', lastError: 'unknown subject type' });
    expect(calls).toEqual([]);
    expect(asked).toBe(0);
    const said = lines.filter((l) => l.facts['reminderId'] === reminder!.id);
    expect(said).toContainEqual(expect.objectContaining({ level: 'error', msg: 'reminder failed: unknown subject type', facts: expect.objectContaining({ subjectType: 'action-point' }) }));
    expect(said.map((l) => l.msg)).not.toContain('reminder cancelled: subject gone');
  });

  it('fails an unreachable recipient at once, FAILED and not retried', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend(() => {
      throw new RecipientUnreachableError('no conversation');
    });
    startWorker(prefix, { send });
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: { ...fast, attempts: 5 } });

    const [row] = await settled();
    expect(row).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'RecipientUnreachableError' });
    const job = await waitFor(async () => {
      const j = await queue.getJob(reminder!.id);
      return j && (await j.getState()) === 'failed' ? j : undefined;
    });
    expect(job.attemptsMade).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it('puts a rate-limited send back (Retry-After) and delivers it once allowed', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    const { queue, prefix } = newQueue();
    const at: number[] = [];
    const { calls, send } = recordingSend((_r, call) => {
      at.push(performance.now());
      if (call <= 2) throw Object.assign(new Error('Too Many Requests'), { statusCode: 429, retryAfterMs: 100 });
    });
    startWorker(prefix, { send });
    // Two attempts: were a rate limit to use one up, the second 429 would end FAILED.
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: { ...fast, attempts: 2 } });

    const [row] = await settled();
    expect(calls).toEqual([reminder!.id, reminder!.id, reminder!.id]);
    expect(row).toMatchObject({ status: 'SENT', attempts: 3 });
    // Each retry waited for Retry-After (100 ms; timers may fire a few ms early).
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(90);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(90);
  });

  it('finishes the jobs in flight when closed', async () => {
    const [reminder] = await upsertReminders(t.db, specs(1, new Date(Date.now() - 1000)));
    const { queue, prefix } = newQueue();
    let started = false;
    // The send is still going when close() begins: it ends only once the worker is closing.
    const closing = deferred();
    const slowSend = async (r: Reminder): Promise<SendResult> => {
      started = true;
      await closing.promise;
      return { platform: 'SLACK', messageId: `msg-${r.id}` };
    };
    const worker = startWorker(prefix, { send: slowSend });
    worker.worker.on('closing', () => closing.resolve());
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: fast });
    await waitFor(async () => started);
    await worker.close();
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: reminder!.id } })).toMatchObject({
      status: 'SENT',
      platform: 'SLACK',
    });
  });

  it('fails a job with an invalid payload without retrying it', async () => {
    const { queue, prefix } = newQueue();
    const { calls, send } = recordingSend();
    startWorker(prefix, { send });
    await queue.add(JobName.deliverReminder, { reminderId: 'not-a-uuid' }, { jobId: 'bad-payload', attempts: 5, backoff: 10 });

    await waitFor(async () => (await queue.getJobState('bad-payload')) === 'failed');
    // Read once it has failed (a job fetched before the state check may predate the failure).
    const job = (await queue.getJob('bad-payload'))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/invalid deliver-reminder payload: reminderId/);
    expect(job.failedReason).not.toContain('not-a-uuid');
    expect(calls).toEqual([]);
  });
});

describe('deliverReminder as a plain function', () => {
  const deps = (send: DeliverDeps['send']): DeliverDeps => ({
    db: t.db,
    send,
    isSubjectLive: async () => true,
    clock,
    logger: silent,
  });

  it('does not send a reminder already SENT, CANCELLED or FAILED', async () => {
    const rows = await upsertReminders(t.db, specs(3, new Date()));
    const statuses = ['SENT', 'CANCELLED', 'FAILED'] as const;
    const { calls, send } = recordingSend();
    for (const [i, status] of statuses.entries()) {
      await t.db.reminder.update({ where: { id: rows[i]!.id }, data: { status } });
      expect(await deliverReminder(deps(send), rows[i]!.id, { attemptsMade: 0, maxAttempts: 3 })).toBe('duplicate-avoided');
    }
    expect(calls).toEqual([]);
  });

  it('marks SENT only once when two deliveries race', async () => {
    const [row] = await upsertReminders(t.db, specs(1, new Date()));
    const { send } = recordingSend();
    const outcomes = await Promise.all([1, 2].map(() => deliverReminder(deps(send), row!.id, { attemptsMade: 0, maxAttempts: 3 })));
    expect(outcomes.sort()).toEqual(['duplicate-avoided', 'sent']);
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'SENT', attempts: 1 });
  });

  it('rethrows a failed send for a retry, and on the last attempt marks FAILED and returns', async () => {
    const [row] = await upsertReminders(t.db, specs(1, new Date()));
    const failing = async (): Promise<SendResult> => {
      throw Object.assign(new Error('Bad Gateway'), { status: 502 });
    };
    await expect(deliverReminder(deps(failing), row!.id, { attemptsMade: 0, maxAttempts: 3 })).rejects.toThrow('Bad Gateway');
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastError: 'Error status=502',
      failedAt: null,
    });
    expect(await deliverReminder(deps(failing), row!.id, { attemptsMade: 2, maxAttempts: 3 })).toBe('failed');
    const failed = await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 2 });
    expect(failed.failedAt).toBeInstanceOf(Date);
  });

  it('turns an unreachable recipient into an UnrecoverableError', async () => {
    const [row] = await upsertReminders(t.db, specs(1, new Date()));
    const unreachable = async (): Promise<SendResult> => {
      throw Object.assign(new Error('no conversation reference'), { code: 'NO_CONVERSATION' });
    };
    await expect(deliverReminder(deps(unreachable), row!.id, { attemptsMade: 0, maxAttempts: 5 })).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('validates payloads on both sides', () => {
    const id = randomUUID();
    expect(buildDeliverReminderPayload(id)).toEqual({ reminderId: id });
    expect(() => buildDeliverReminderPayload('x')).toThrow();
    expect(parseDeliverReminderPayload({ reminderId: id })).toEqual({ reminderId: id });
    for (const bad of [{ reminderId: 'x' }, {}, null, { reminderId: id, extra: 1 }]) {
      expect(() => parseDeliverReminderPayload(bad)).toThrow(UnrecoverableError);
    }
  });
});

