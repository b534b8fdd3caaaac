// Messages the bot sends outside the reply to someone's own turn are rows in PostgreSQL first
// (OutboundMessage): a platform error leaves them queued, the workers deliver them once the
// platform answers again, the person who caused a message that fails for good is told, and the
// actor is never told "sent" before it is. Over real HTTP, the Teams connector intercepted.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMessageDelivery, MESSAGE_MAX_ATTEMPTS } from '../../src/channels/message-delivery.js';
import { createOutbox } from '../../src/channels/outbox.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { createLogger } from '../../src/logger.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { cardOf, personalConversationId, startTeamsHarness, TRIAGE_CHANNEL, type TeamsHarness } from '../support/teams-harness.js';
import { eventually } from '../support/wait.js';

const silent = createLogger({ level: 'silent' });
const paramedicChat = `/v3/conversations/${personalConversationId('paramedic')}/activities`;
const toParamedic = (call: { path: string }) => call.path.startsWith(paramedicChat);
const toTriage = (call: { path: string }) => call.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL}`);

let h: TeamsHarness;

beforeAll(async () => {
  h = await startTeamsHarness();
  await h.message('admin', 'bind triage', 'channel');
  // Everyone has a personal chat with the bot.
  for (const key of ['paramedic', 'specialist', 'specialist-2']) await h.message(key, 'help');
});
afterEach(() => {
  h.refuse(null); // a failed test leaves no fault behind for the next
});
afterAll(async () => {
  await h?.close();
});

/** Summaries are plain words: a random string can look like a date of birth or a postcode and be held back for checking. */
async function newRequest(summary: string): Promise<{ id: string; reference: string }> {
  // One open request per person: the previous test's is done with.
  await h.database.db.supervisionRequest.updateMany({ where: { status: { not: 'CLOSED' } }, data: { status: 'CLOSED', closedAt: h.clock.now() } });
  await h.message('paramedic', 'hello');
  await h.action('paramedic', 'intake.risk', { answer: 'no' });
  await h.action('paramedic', 'intake.kind', { helpType: 'ADVICE' });
  await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'evenings', summary });
  return h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary }, select: { id: true, reference: true } });
}

async function claimed(summary: string) {
  const request = await newRequest(summary);
  const version = (await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).version;
  const claim = await h.action('specialist', 'request.claim', { requestId: request.id, version }, 'channel');
  expect(claim.status).toBe(200);
  return request;
}

async function advise(requestId: string, advice: string) {
  const version = (await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: requestId } })).version;
  return h.action('specialist', 'request.advise', { requestId, version, advice }, 'channel');
}

const noticeOf = (res: { body: any }) => JSON.stringify(res.body);

describe('advice the platform cannot take at once', () => {
  it('is recorded and queued, the specialist is never told "sent", and a worker delivers it once the platform answers', async () => {
    const request = await claimed('Queued advice: a crew worried about a referral.');
    h.take();
    h.refuse(toParamedic);
    const res = await advise(request.id, 'Call the duty line and file the referral today.');
    expect(res.status).toBe(200);
    // The channel shows the refreshed card to everyone; what matters to the specialist alone
    // reaches their personal chat.
    expect(noticeOf(res)).not.toContain('has been sent');
    const calls = h.take();
    expect(calls.filter(toParamedic)).toEqual([]);
    const told = calls.filter((c) => c.path.startsWith(`/v3/conversations/${personalConversationId('specialist')}/activities`)).map((c) => c.body.text);
    // Queued is the normal course (delivery happens after the turn): the specialist is told only if it fails for good.
    expect(told).toEqual([]);
    const row = await h.database.db.outboundMessage.findFirstOrThrow({ where: { personId: { not: null }, label: `the advice on ${request.reference}` } });
    expect(row).toMatchObject({ status: 'PENDING', attempts: 1, lastError: expect.stringContaining('status=503') });
    expect(await h.database.db.supervisionRecord.count({ where: { requestId: request.id, kind: 'ADVICE' } })).toBe(1);

    // The platform is back; the retry falls due; a worker (BullMQ, the production scheduler) delivers it.
    h.refuse(null);
    h.clock.advance(5);
    const scheduler: Scheduler = await startScheduler({
      db: h.database.db,
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: `durable-${randomBytes(4).toString('hex')}`,
      senders: h.senders,
      logger: silent,
      clock: h.clock,
      rateLimits: false,
      messagePollMs: 100,
    });
    try {
      await eventually(async () => (await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: row.id } })).status !== 'PENDING', 'the message row to leave PENDING');
    } finally {
      await scheduler.stop();
    }
    expect(await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'SENT', attempts: 2 });
    const delivered = h.take().filter(toParamedic);
    expect(delivered).toHaveLength(1);
    expect(JSON.stringify(cardOf(delivered[0]))).toContain('Call the duty line and file the referral today.');
  });

  it('tells the specialist, in their chat, when the advice could not be delivered after the last attempt', async () => {
    const request = await claimed('Failing advice: a crew asking about a debrief.');
    h.refuse(toParamedic);
    await advise(request.id, 'Speak to your line manager about a debrief.');
    const row = await h.database.db.outboundMessage.findFirstOrThrow({ where: { label: `the advice on ${request.reference}` } });
    // Every try but the last has been used; the platform still refuses.
    await h.database.db.outboundMessage.update({ where: { id: row.id }, data: { attempts: MESSAGE_MAX_ATTEMPTS - 1, nextAttemptAt: h.clock.now() } });
    h.take();
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    expect(await delivery.deliver(row.id)).toBe('failed');
    h.refuse(null);
    expect(await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'FAILED', attempts: MESSAGE_MAX_ATTEMPTS, failedAt: expect.any(Date) });
    const toSpecialist = h.take().filter((c) => c.path.startsWith(`/v3/conversations/${personalConversationId('specialist')}/activities`));
    expect(toSpecialist).toHaveLength(1);
    expect(toSpecialist[0]!.body.text).toBe(
      `I could not deliver the advice on ${request.reference} to ${demoPerson('paramedic').name}, after ${MESSAGE_MAX_ATTEMPTS} tries. It is recorded, but they have not received it: please contact them another way. Administrators can see it under "failed reminders".`,
    );
    // Tried again later, nothing more is sent.
    expect(await delivery.deliver(row.id)).toBe('duplicate-avoided');
    // The administrators' list shows it, by what it was (never its content).
    h.take();
    await h.message('admin', 'failed reminders');
    const listed = JSON.stringify(cardOf(h.take()[0]));
    expect(listed).toContain('Messages not delivered');
    expect(listed).toContain(`the advice on ${request.reference}`);
    expect(listed).toContain(demoPerson('paramedic').name);
    expect(listed).not.toContain('Speak to your line manager');
  });
});

describe('the triage card while the channel is unreachable', () => {
  it('is posted once the channel answers, and the claim that came meanwhile lands on it as the last state', async () => {
    h.refuse(toTriage);
    const request = await newRequest('Late card: a neighbour raised a concern.');
    const post = await h.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-post' } });
    expect(post).toMatchObject({ status: 'PENDING', attempts: 1 });
    // A claim arrives (from the card's data) before the card is posted: its update waits for the post.
    const version = (await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).version;
    await h.action('specialist', 'request.claim', { requestId: request.id, version }, 'channel');
    const update = await h.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-update' } });
    expect(update.status).toBe('PENDING');

    h.refuse(null);
    h.take();
    h.clock.advance(5);
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    expect(await delivery.deliver(post.id)).toBe('sent');
    expect(await delivery.deliver(update.id)).toBe('sent');
    const calls = h.take().filter(toTriage);
    expect(calls.map((c) => c.method)).toEqual(['POST', 'PUT']);
    expect(JSON.stringify(cardOf(calls[1]))).toContain(demoPerson('specialist').name);
    expect(await h.database.db.postedCard.count({ where: { subjectId: request.id, purpose: 'triage' } })).toBe(1);
  });

  it('sends only the latest of several updates not yet sent', async () => {
    const request = await newRequest('Coalesced updates: a school called the crew.');
    h.refuse(toTriage);
    const version = (await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).version;
    await h.action('specialist', 'request.claim', { requestId: request.id, version }, 'channel');
    await advise(request.id, 'Here is what to do next.');
    const updates = await h.database.db.outboundMessage.findMany({ where: { requestId: request.id, kind: 'triage-update' }, orderBy: { seq: 'asc' } });
    expect(updates).toHaveLength(2);
    h.refuse(null);
    h.take();
    h.clock.advance(5);
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    expect(await delivery.deliver(updates[0]!.id)).toBe('cancelled');
    expect(await delivery.deliver(updates[1]!.id)).toBe('sent');
    const puts = h.take().filter(toTriage);
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(cardOf(puts[0]))).toContain('Advice given');
  });
});

describe("one person's messages", () => {
  it('arrive in the order they were written: the advice waits while the "picked up" notice before it is still on its way', async () => {
    const request = await newRequest('Ordered messages: a crew asked about a child at school.');
    h.refuse(toParamedic);
    const version = (await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).version;
    await h.action('specialist', 'request.claim', { requestId: request.id, version }, 'channel');
    const paramedic = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('paramedic').email } });
    const notice = await h.database.db.outboundMessage.findFirstOrThrow({ where: { kind: 'person', personId: paramedic.id }, orderBy: { seq: 'desc' } });
    expect(notice).toMatchObject({ status: 'PENDING', attempts: 1 });

    // The platform answers again before the notice's retry: the advice must not overtake it.
    h.refuse(null);
    h.take();
    await advise(request.id, 'Talk to the school safeguarding lead today.');
    const advice = await h.database.db.outboundMessage.findFirstOrThrow({ where: { label: `the advice on ${request.reference}` } });
    expect(advice).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(h.take().filter(toParamedic)).toEqual([]);

    h.clock.advance(5);
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    expect(await delivery.deliver(advice.id)).toBe('queued');
    expect(h.take().filter(toParamedic)).toEqual([]);
    expect(await delivery.deliver(notice.id)).toBe('sent');
    // Released as soon as the notice went, not left for a later poll.
    expect((await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: advice.id } })).nextAttemptAt.getTime()).toBeLessThanOrEqual(h.clock.now().getTime());
    expect(await delivery.deliver(advice.id)).toBe('sent');
    const delivered = h.take().filter(toParamedic).map((c) => JSON.stringify(c.body));
    expect(delivered).toHaveLength(2);
    expect(delivered[0]).toContain(demoPerson('specialist').name);
    expect(delivered[1]).toContain('Talk to the school safeguarding lead today.');
  });
});

describe('the reply to a turn the platform refuses', () => {
  it('is queued for the person, in order, and the turn stands: no apology over the answered card, delivered when the platform is back', async () => {
    await h.database.db.supervisionRequest.updateMany({ where: { status: { not: 'CLOSED' } }, data: { status: 'CLOSED', closedAt: h.clock.now() } });
    const paramedic = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('paramedic').email } });
    h.take();
    h.refuse(toParamedic);
    const hello = await h.message('paramedic', 'hello');
    expect(hello.status).toBe(200);
    // The risk question (a separate call to the connector) was refused: queued, not lost.
    const [question] = await h.database.db.outboundMessage.findMany({ where: { kind: 'person', personId: paramedic.id, status: 'PENDING' }, orderBy: { seq: 'asc' } });
    expect(question).toBeDefined();
    expect(JSON.stringify(question!.message)).toContain('intake-risk');
    // The answer to the person's button press is the invoke response itself: it still arrives, with the card, not an apology.
    const risk = await h.action('paramedic', 'intake.risk', { answer: 'no' });
    expect(risk.status).toBe(200);
    expect(JSON.stringify(risk.body)).not.toContain('Sorry, something went wrong');
    const queued = await h.database.db.outboundMessage.findMany({ where: { kind: 'person', personId: paramedic.id, status: 'PENDING' }, orderBy: { seq: 'asc' } });
    expect(queued.length).toBeGreaterThanOrEqual(2);
    expect(h.take().filter(toParamedic)).toEqual([]);
    expect(h.refused.some((c) => toParamedic(c) && c.method === 'POST')).toBe(true);

    h.refuse(null);
    h.clock.advance(5);
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    for (const row of queued) {
      await h.database.db.outboundMessage.update({ where: { id: row.id }, data: { nextAttemptAt: h.clock.now() } });
      expect(await delivery.deliver(row.id)).toBe('sent');
    }
    const delivered = h.take().filter(toParamedic);
    expect(delivered).toHaveLength(queued.length);
    expect(JSON.stringify(delivered[0]!.body)).toContain('immediate risk');
    expect(delivered.map((c) => JSON.stringify(c.body)).join()).not.toContain('Sorry, something went wrong');
  });
});

describe('messages written with the change', () => {
  it('roll back with it, and survive a process that dies after the commit: the workers send them when the lease ends', async () => {
    const outbox = createOutbox({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    const request = await newRequest('Staged card: a carer asked for help.');
    // As if this request's card had never been posted (a posted one is never posted again).
    await h.database.db.postedCard.deleteMany({ where: { subjectId: request.id } });
    const card = { template: 'not-in-directory', data: { text: 'staged card' } };
    const before = await h.database.db.outboundMessage.count();
    // The change fails: its messages go with it.
    await expect(
      h.database.db.$transaction(async (tx) => {
        await outbox.stage(tx, [{ to: 'triage', organisationId: h.organisationId, requestId: request.id, card }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await h.database.db.outboundMessage.count()).toBe(before);

    // The change commits and the process dies before its first try (send is never called).
    const [id] = await h.database.db.$transaction((tx) => outbox.stage(tx, [{ to: 'triage', organisationId: h.organisationId, requestId: request.id, card }]));
    expect(await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: id! } })).toMatchObject({ status: 'PENDING', attempts: 0 });
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    expect(await delivery.deliver(id!)).toBe('duplicate-avoided'); // still leased to the dead process
    h.take();
    h.clock.advance(3);
    expect(await delivery.deliver(id!)).toBe('sent');
    expect(h.take().filter(toTriage)).toHaveLength(1);
  });
});

describe('bad rows', () => {
  it('cancels a message whose recipient has left, with the reason, and fails an invalid payload at once', async () => {
    const paramedic = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('ebs').email } });
    const base = { organisationId: h.organisationId, kind: 'person', personId: paramedic.id, nextAttemptAt: h.clock.now(), createdAt: h.clock.now() };
    const gone = await h.database.db.outboundMessage.create({ data: { ...base, message: { text: 'hello' } } });
    const invalid = await h.database.db.outboundMessage.create({ data: { ...base, message: { text: 42, extra: true } } });
    await h.database.db.person.update({ where: { id: paramedic.id }, data: { active: false } });
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: silent, clock: h.clock });
    try {
      expect(await delivery.deliver(gone.id)).toBe('cancelled');
      expect(await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: gone.id } })).toMatchObject({ status: 'CANCELLED', lastError: 'recipient gone' });
      expect(await delivery.deliver(invalid.id)).toBe('failed');
      const failed = await h.database.db.outboundMessage.findUniqueOrThrow({ where: { id: invalid.id } });
      expect(failed.status).toBe('FAILED');
      expect(failed.lastError).toMatch(/^invalid message: /);
      expect(failed.lastError).not.toContain('42');
    } finally {
      await h.database.db.person.update({ where: { id: paramedic.id }, data: { active: true } });
    }
  });
});
