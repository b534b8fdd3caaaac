// The shared send rate limiter (src/channels/rate-limit.ts) on real Redis, the sender it
// wraps, and how a deferred send travels through deliverReminder and the worker: delayed,
// no attempt used, nothing else held up. Keys live under a prefix unique to this file.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelSender, StoredConversationRef } from '../../src/channels/outbox.js';
import type { Reminder } from '../../src/db/generated/client.js';
import { deliverReminder, RATE_LIMITED_EXTRA_TRIES, type DeliverDeps, type SendResult } from '../../src/scheduler/deliver-reminder.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import {
  createRateLimiter,
  limitedKeysFor,
  platformRetryAfterMs,
  PLATFORM_RATE_LIMITS,
  rateLimitSender,
  SendDeferredError,
  type Acquired,
  type LimitedKey,
  type RateLimiter,
} from '../../src/channels/rate-limit.js';
import { reconcileQueue, type ReminderQueue } from '../../src/scheduler/reconcile.js';
import { upsertReminders } from '../../src/scheduler/reminder-store.js';
import { createReminderWorker, type ReminderWorker } from '../../src/scheduler/worker.js';
import { withTestDatabase } from '../support/database.js';
import { eventually } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const basePrefix = `rate-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const t = withTestDatabase();
let redis: Redis;
let organisationId: string;
let n = 0;
const queues: ReminderQueue[] = [];
const workers: ReminderWorker[] = [];

beforeAll(async () => {
  redis = new Redis(connection);
  const org = await t.db.organisation.create({
    data: { slug: `rate-${randomUUID()}`, name: 'Rate test', serviceHours: {}, responseTargets: {} },
  });
  organisationId = org.id;
});

beforeEach(async () => {
  await t.db.reminder.deleteMany();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(queues.splice(0).map((q) => q.obliterate({ force: true }).then(() => q.close())));
});

afterAll(async () => {
  const keys = await redis.keys(`${basePrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const prefix = () => `${basePrefix}-${++n}`;
const key = (name: string, limit: number, windowMs: number): LimitedKey => ({ key: name, rule: { limit, windowMs } });

/**
 * The limiter reads Redis's clock, so a slot's wait shrinks by whatever time passed between two
 * calls (seconds on a loaded machine). `timed` measures that time from outside, so each check
 * allows exactly the time that really passed (+1 ms for rounding), not a guessed margin.
 */
async function timed<T>(call: () => Promise<T>): Promise<{ value: T; start: number; end: number }> {
  const start = performance.now();
  const value = await call();
  return { value, start, end: performance.now() };
}

/** A limiter that records every answer it gives, in order: what it decided, not when a send ran. */
function recordingLimiter(limiter: RateLimiter) {
  const answers: Array<Acquired & { keys: string[] }> = [];
  /** When each acquire was asked (performance.now()), in the same order. */
  const askedAt: number[] = [];
  const recorded: RateLimiter = {
    async acquire(keys, holdMs) {
      const asked = performance.now();
      const answer = await limiter.acquire(keys, holdMs);
      answers.push({ ...answer, keys: keys.map((k) => k.key) });
      askedAt.push(asked);
      return answer;
    },
    penalise: (keys, ms) => limiter.penalise(keys, ms),
  };
  return { answers, askedAt, limiter: recorded };
}

describe('rate limiter', () => {
  it('spaces the slots of one key windowMs / limit apart and makes a send on two keys wait for the later one', async () => {
    const limiter = createRateLimiter(redis, { prefix: prefix(), safety: 0, maxHoldMs: 10_000 });
    const tenant = key('tenant', 10, 1000); // 100 ms apart
    const waits: number[] = [];
    const calls: Array<{ start: number; end: number }> = [];
    for (let i = 0; i < 5; i += 1) {
      const { value: slot, ...call } = await timed(() => limiter.acquire([key(`conversation-${i}`, 7, 1000), tenant]));
      expect(slot.granted).toBe(true);
      if (slot.granted) waits.push(slot.waitMs);
      calls.push(call);
    }
    // Each is 100 ms after the previous one, less the time that passed between the two calls.
    for (let i = 1; i < waits.length; i += 1) {
      const passed = calls[i]!.end - calls[i - 1]!.start;
      expect(waits[i]! - waits[i - 1]!).toBeGreaterThanOrEqual(100 - passed - 1);
      expect(waits[i]! - waits[i - 1]!).toBeLessThanOrEqual(101);
    }
    // conversation-0 is free, but the tenant key is not.
    // (Its slot is 500 ms after the first call's, less the time since: not conversation-0's 143 ms.)
    const { value: again, end } = await timed(() => limiter.acquire([key('conversation-0', 7, 1000), tenant]));
    expect(again.granted && again.waitMs).toBeGreaterThanOrEqual(500 - (end - calls[0]!.start) - 1);
    expect(again.granted && again.waitMs).toBeLessThanOrEqual(501);
  });

  it('defers sends beyond the hold, spread one interval apart instead of all at once', async () => {
    const limiter = createRateLimiter(redis, { prefix: prefix(), safety: 0, maxHoldMs: 1000 });
    const channel = [key('slack-channel', 1, 1000)];
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await timed(() => limiter.acquire(channel)));
    expect(results.map((r) => r.value.granted)).toEqual([true, true, false, false, false]);
    const retries = results.flatMap((r) => (r.value.granted ? [] : [r.value.retryInMs]));
    // Two slots taken from the first call on: the third may go 2 s after it, less the time since.
    expect(retries[0]).toBeGreaterThanOrEqual(2000 - (results[2]!.end - results[0]!.start) - 1);
    expect(retries[0]).toBeLessThanOrEqual(2000);
    expect(retries[1]! - retries[0]!).toBeGreaterThanOrEqual(1000 - (results[3]!.end - results[2]!.start) - 1);
    expect(retries[2]! - retries[1]!).toBeGreaterThanOrEqual(1000 - (results[4]!.end - results[3]!.start) - 1);
  });

  it('gives no slot on a penalised key before the penalty ends', async () => {
    const limiter = createRateLimiter(redis, { prefix: prefix(), safety: 0, maxHoldMs: 5000 });
    const conversation = [key('conversation', 7, 1000)];
    const started = performance.now();
    await limiter.penalise(conversation, 1500);
    const slot = await limiter.acquire(conversation);
    expect(slot.granted && slot.waitMs).toBeGreaterThanOrEqual(1500 - (performance.now() - started) - 1);
    expect(slot.granted && slot.waitMs).toBeLessThanOrEqual(1500);
  });

  it('reads Retry-After from botbuilder and Slack errors', () => {
    const restError = (status: number, retryAfter?: string) =>
      Object.assign(new Error('x'), { statusCode: status, response: { headers: { get: (h: string) => (h === 'retry-after' ? retryAfter : undefined) } } });
    expect(platformRetryAfterMs(restError(429, '2'))).toBe(2000);
    expect(platformRetryAfterMs(restError(429, new Date(10_000).toUTCString()), 7000)).toBe(3000);
    expect(platformRetryAfterMs(restError(429))).toBe(1000);
    expect(platformRetryAfterMs(restError(503, '2'))).toBeUndefined();
    expect(platformRetryAfterMs(Object.assign(new Error('x'), { code: 'slack_webapi_rate_limited_error', retryAfter: 3 }))).toBe(3000);
    expect(platformRetryAfterMs(new Error('x'))).toBeUndefined();
  });

  it('keys Teams sends by conversation and by app and tenant, Slack sends by channel', () => {
    const teams = limitedKeysFor('TEAMS', { conversationId: 'a:1', reference: { conversation: { id: 'a:1', tenantId: 'tnt' }, bot: { id: 'app' } } });
    expect(teams.map((k) => [k.key, k.rule.limit])).toEqual([
      ['teams:conversation:a:1', 7],
      ['teams:app:app:tenant:tnt', 50],
    ]);
    const slack = limitedKeysFor('SLACK', { conversationId: 'D1', reference: { channel: 'D1', teamId: 'T1' } });
    expect(slack.map((k) => [k.key, k.rule.limit])).toEqual([['slack:channel:T1:D1', 1]]);
  });
});

describe('rate-limited sender', () => {
  function recording(platform: 'TEAMS' | 'SLACK', fail?: (call: number) => void) {
    const at: number[] = [];
    const sender: ChannelSender = {
      platform,
      async send() {
        at.push(performance.now());
        fail?.(at.length);
        return `m-${at.length}`;
      },
      async update() {},
    };
    return { at, sender };
  }
  const slackChannel: StoredConversationRef = { conversationId: 'D1', reference: { channel: 'D1', teamId: 'T1' } };
  /** Slack's channel rule without its burst: one a second, strictly. */
  const STRICT = { ...PLATFORM_RATE_LIMITS, slackChannel: { limit: 1, windowMs: 1000 } };

  it('never lets more than the limit through in any window, however many send at once', async () => {
    // The limiter's clock stands still: every answer is a slot counted from the same instant, so
    // the slots it gave are exactly what it decided, however late this machine runs the sends.
    const instant = 1_700_000_000_000;
    const { answers, limiter } = recordingLimiter(createRateLimiter(redis, { prefix: prefix(), maxHoldMs: 10_000, now: () => instant }));
    const { at, sender } = recording('TEAMS');
    const limited = rateLimitSender(sender, limiter, {
      teamsConversation: { limit: 1000, windowMs: 1000 },
      teamsAppTenant: { limit: 10, windowMs: 400 },
      slackChannel: { limit: 1, windowMs: 1000 },
    });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        limited.send({ conversationId: `c${i}`, reference: { conversation: { id: `c${i}`, tenantId: 'tnt' } } }, { text: 'x' }),
      ),
    );
    expect(at).toHaveLength(30);
    const onTenant = answers.filter((a) => a.keys[0] === 'teams:app:bot:tenant:tnt');
    expect(onTenant).toHaveLength(30);
    const slots = onTenant.map((a) => (a.granted ? a.waitMs : Number.NaN)).sort((a, b) => a - b);
    // Any 11 slots in a row span more than the window: never 11 sends in 400 ms…
    for (let i = 10; i < slots.length; i += 1) expect(slots[i]! - slots[i - 10]!).toBeGreaterThanOrEqual(400);
    // …and no slower than the limit (with its 3% safety): 30 sends at 25/s take 29 intervals.
    expect(slots[0]).toBe(0);
    expect(slots[29]).toBeLessThanOrEqual(Math.ceil(29 * 40 * 1.03));
  });

  it("lets Slack's documented burst through at once after a quiet spell, then spaces the rest a second apart", async () => {
    const { answers, askedAt, limiter } = recordingLimiter(createRateLimiter(redis, { prefix: prefix(), maxHoldMs: 5_000 }));
    const { at, sender } = recording('SLACK');
    const limited = rateLimitSender(sender, limiter);
    const burst = PLATFORM_RATE_LIMITS.slackChannel.burst;
    for (let i = 0; i < burst + 2; i += 1) await limited.send(slackChannel, { text: `m${i}` });
    const since = at.map((t) => t - at[0]!);
    // The burst went at once: the limiter held none of it (whatever time the sends took here).
    expect(answers.slice(0, burst).map(({ keys: _, ...answer }) => answer)).toEqual(Array.from({ length: burst }, () => ({ granted: true, waitMs: 0 })));
    // Then a second apart, counted from the first send's slot (taken when it was asked, at the
    // latest): neither the time the burst took nor a late timer can hide or fake the spacing.
    const firstAsked = at[0]! - askedAt[0]!;
    expect(since[burst]!).toBeGreaterThanOrEqual(1000 - firstAsked - 1);
    expect(since[burst + 1]!).toBeGreaterThanOrEqual(2000 - firstAsked - 1);
  });

  it("does not hold back a tenant's other conversations behind one busy conversation", async () => {
    const { answers, limiter } = recordingLimiter(createRateLimiter(redis, { prefix: prefix(), maxHoldMs: 200 }));
    const { at, sender } = recording('TEAMS');
    const limited = rateLimitSender(sender, limiter, undefined, { updateHoldMs: 10_000 });
    const conversation = (id: string) => ({ conversationId: id, reference: { conversation: { id, tenantId: 'tnt-busy' }, bot: { id: 'app' } } });
    // The triage channel has a queue of card updates (each waits for its slot, up to 10 s).
    let updated = 0;
    const updates = Array.from({ length: 14 }, () => limited.update(conversation('19:triage'), 'card', { text: 'state' }).then(() => void (updated += 1)));
    // Every update has taken its slot on the triage conversation.
    const onTriage = () => answers.filter((a) => a.keys[0] === 'teams:conversation:19:triage');
    await eventually(() => onTriage().length >= 14, 'the 14 updates to take their slots');
    expect(onTriage().every((a) => a.granted)).toBe(true);
    // A person's chat in the same tenant is not behind them: the limiter holds its send for no
    // more than a moment, and it is sent while the triage channel's updates are still queued.
    await limited.send(conversation('a:person'), { text: 'hello' });
    const forPerson = answers.filter((a) => a.keys[0] === 'teams:conversation:a:person');
    expect(forPerson).toEqual([{ granted: true, waitMs: 0, keys: ['teams:conversation:a:person'] }]);
    const onTenant = answers.filter((a) => a.keys[0]!.startsWith('teams:app:'));
    for (const answer of onTenant) expect(answer.granted && answer.waitMs).toBeLessThan(300);
    expect(at).toHaveLength(1);
    expect(updated).toBeLessThan(14);
    await Promise.all(updates);
    expect(updated).toBe(14);
  });

  it('holds a send that is due within the hold and defers one that is not', async () => {
    const { askedAt, limiter } = recordingLimiter(createRateLimiter(redis, { prefix: prefix(), maxHoldMs: 1500 }));
    const { at, sender } = recording('SLACK');
    const limited = rateLimitSender(sender, limiter, STRICT);
    const [one, two, three] = await Promise.allSettled(['one', 'two', 'three'].map((text) => limited.send(slackChannel, { text })));
    expect([one!.status, two!.status]).toEqual(['fulfilled', 'fulfilled']);
    // The second went a second after the first one's slot, which was no earlier than the first ask.
    expect(at[1]! - Math.min(...askedAt)).toBeGreaterThanOrEqual(1000);
    const error = three!.status === 'rejected' ? three!.reason : undefined;
    expect(error).toBeInstanceOf(SendDeferredError);
    expect((error as SendDeferredError).delayMs).toBeGreaterThan(1500);
    expect(at).toHaveLength(2);
  });

  it('waits for the slot of a card update instead of deferring it (it follows a send already made)', async () => {
    const limiter = createRateLimiter(redis, { prefix: prefix(), maxHoldMs: 100 });
    const at: number[] = [];
    const limited = rateLimitSender(
      { platform: 'SLACK', send: async () => 'm', update: async () => void at.push(performance.now()) },
      limiter,
      STRICT,
    );
    await limited.send(slackChannel, { text: 'new card' });
    const started = performance.now();
    await limited.update(slackChannel, 'earlier', { text: 'replaced' });
    expect(at).toHaveLength(1);
    expect(at[0]! - started).toBeGreaterThanOrEqual(900);
  });

  it('rethrows a platform 429 with retryAfterMs and keeps the conversation waiting that long', async () => {
    const limiter = createRateLimiter(redis, { prefix: prefix(), maxHoldMs: 5000 });
    const { at, sender } = recording('SLACK', (call) => {
      if (call === 1) throw Object.assign(new Error('ratelimited'), { code: 'slack_webapi_rate_limited_error', retryAfter: 2 });
    });
    const limited = rateLimitSender(sender, limiter, STRICT);
    const error = await limited.send(slackChannel, { text: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryAfterMs: 2000 });
    await limited.send(slackChannel, { text: 'x' });
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1990);
  });
});

describe('deliverReminder and 429s', () => {
  const deps = (send: DeliverDeps['send']): DeliverDeps => ({
    db: t.db,
    send,
    isSubjectLive: async () => true,
    clock: { now: () => new Date() },
    logger: silent,
  });
  const spec = () => ({
    organisationId,
    kind: 'ACTION_DUE' as const,
    subjectType: 'ActionPoint' as const,
    subjectId: randomUUID(),
    recipientKey: `person:${randomUUID()}`,
    dueAt: new Date(),
  });
  const tooMany = async (): Promise<SendResult> => {
    throw Object.assign(new Error('Too Many Requests'), { statusCode: 429, retryAfterMs: 1000 });
  };

  it('passes a deferral through without storing anything', async () => {
    const [row] = await upsertReminders(t.db, [spec()]);
    const deferred = async (): Promise<SendResult> => {
      throw new SendDeferredError(500);
    };
    await expect(deliverReminder(deps(deferred), row!.id, { attemptsMade: 0, maxAttempts: 1 })).rejects.toBeInstanceOf(SendDeferredError);
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'PENDING', attempts: 0, lastError: null });
  });

  it('does not fail a 429 on the last attempt, but ends FAILED when the platform refuses too many times', async () => {
    const [row] = await upsertReminders(t.db, [spec()]);
    await expect(deliverReminder(deps(tooMany), row!.id, { attemptsMade: 0, maxAttempts: 1 })).rejects.toMatchObject({
      name: 'DeliveryRateLimitedError',
      retryAfterMs: 1000,
    });
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'Error status=429' });

    await t.db.reminder.update({ where: { id: row!.id }, data: { attempts: RATE_LIMITED_EXTRA_TRIES } });
    expect(await deliverReminder(deps(tooMany), row!.id, { attemptsMade: 0, maxAttempts: 1 })).toBe('failed');
    const failed = await t.db.reminder.findUniqueOrThrow({ where: { id: row!.id } });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: RATE_LIMITED_EXTRA_TRIES + 1 });
    expect(failed.failedAt).toBeInstanceOf(Date);
  });
});

describe('a deferred send in the worker', () => {
  function startWorker(p: string, send: (r: Reminder) => Promise<SendResult>) {
    const worker = createReminderWorker({
      connection,
      prefix: p,
      db: t.db,
      concurrency: 5,
      deliverDeps: { send, isSubjectLive: async () => true, clock: { now: () => new Date() }, logger: silent },
    });
    workers.push(worker);
    return worker;
  }
  const spec = (subjectId = randomUUID()) => ({
    organisationId,
    kind: 'ACTION_DUE' as const,
    subjectType: 'ActionPoint' as const,
    subjectId,
    recipientKey: `person:${randomUUID()}`,
    dueAt: new Date(Date.now() - 1000),
  });

  it('is delayed without using an attempt or storing an error, and other jobs go on meanwhile', async () => {
    const [slow, other] = await upsertReminders(t.db, [spec(), spec()]);
    const p = prefix();
    const queue = createReminderQueue({ connection, prefix: p });
    queues.push(queue);
    const sentAt = new Map<string, number>();
    const calls: string[] = [];
    const started = performance.now();
    startWorker(p, async (r) => {
      calls.push(r.id);
      // The slow one waits twice for the limiter; one attempt only, so a used attempt would fail it.
      if (r.id === slow!.id && calls.filter((id) => id === r.id).length <= 2) throw new SendDeferredError(400);
      sentAt.set(r.id, performance.now() - started);
      return { platform: 'TEAMS', messageId: `m-${r.id}` };
    });
    await reconcileQueue(t.db, queue, { now: new Date(), horizonMs: 0, job: { attempts: 1, backoffMs: 10 } });

    await eventually(async () => (await t.db.reminder.count({ where: { status: 'PENDING' } })) === 0, 'both reminders to be sent');
    const rows = await t.db.reminder.findMany();
    for (const row of rows) expect(row).toMatchObject({ status: 'SENT', attempts: 1, lastError: null });
    expect(calls.filter((id) => id === slow!.id)).toHaveLength(3);
    expect(sentAt.get(slow!.id)).toBeGreaterThanOrEqual(780);
    // The other job did not wait for the deferred one: it was sent before the deferred one's
    // first retry (400 ms after its first try), whatever time the worker took to start.
    const slowTries = calls.flatMap((id, index) => (id === slow!.id ? [index] : []));
    expect(calls.indexOf(other!.id)).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf(other!.id)).toBeLessThan(slowTries[1]!);
    const job = await queue.getJob(slow!.id);
    expect(job).toBeUndefined(); // completed and removed, never failed
  });
});
