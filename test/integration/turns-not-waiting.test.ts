// A turn answers the person whose turn it is without waiting for the messages it causes to
// other people (the triage card, the requester's notices): those are written with the change and
// tried in the background. Every send, the turn's own replies included, takes its slot on the
// shared Redis limiter (turns-redis-down.test.ts: a Redis outage never stops a turn). Over real HTTP, the Teams
// connector intercepted.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, limitedKeysFor, PLATFORM_RATE_LIMITS } from '../../src/channels/rate-limit.js';
import { personalConversationId, startTeamsHarness, TRIAGE_CHANNEL, type TeamsHarness } from '../support/teams-harness.js';

const toTriage = (call: { path: string }) => call.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL}`);
const toPersonal = (key: string) => (call: { path: string }) => call.path.startsWith(`/v3/conversations/${personalConversationId(key)}/activities`);

let h: TeamsHarness;
let held: { release(): void } | undefined;
const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });

beforeAll(async () => {
  h = await startTeamsHarness();
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['paramedic', 'specialist']) await h.message(key, 'help');
});
afterEach(async () => {
  held?.release(); // a failed test leaves no slow connector behind for the next
  held = undefined;
  await h.database.db.supervisionRequest.updateMany({ where: { status: { not: 'CLOSED' } }, data: { status: 'CLOSED', closedAt: h.clock.now() } });
});
afterAll(async () => {
  await h?.close();
  redis.disconnect();
});

async function startRequest(key = 'paramedic') {
  await h.message(key, 'hello');
  await h.action(key, 'intake.risk', { answer: 'no' });
  await h.action(key, 'intake.kind', { helpType: 'ADVICE' });
}

describe('a turn and the messages it causes', () => {
  it('answers the requester while the triage channel has not yet answered, and the card is posted once it does', async () => {
    await startRequest();
    h.take();
    const slow = (held = h.hold((call) => toTriage(call) && call.method === 'POST'));
    const res = await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'mornings', summary: 'A crew unsure about a referral they made.' });
    // The answer is back while the triage post is still waiting on the channel.
    expect(res.status).toBe(200);
    // The confirmation (written with the request) reaches the requester; the triage post still waits.
    await expect.poll(() => JSON.stringify(h.calls.filter(toPersonal('paramedic')))).toContain('Your request has been sent');
    expect(h.take().filter(toTriage)).toEqual([]);
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary: 'A crew unsure about a referral they made.' } });
    await expect.poll(() => slow.held()).toBe(1);
    expect(await h.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-post' } })).toMatchObject({ status: 'PENDING' });

    slow.release();
    await h.settled();
    expect(h.take().filter(toTriage)).toHaveLength(1);
    expect(await h.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-post' } })).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(await h.database.db.postedCard.count({ where: { subjectId: request.id, purpose: 'triage' } })).toBe(1);
  });

  it('answers the claimer while the requester has not yet been told, and tells them once their chat answers', async () => {
    await startRequest();
    await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'mornings', summary: 'Advice wanted on a neglect concern.' });
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary: 'Advice wanted on a neglect concern.' } });
    h.take();
    const slow = (held = h.hold(toPersonal('paramedic')));
    const res = await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('"title":"Claimed by","value":"Chris Fictionby"');
    expect(h.take().filter(toPersonal('paramedic'))).toEqual([]);
    await expect.poll(() => slow.held()).toBe(1);

    slow.release();
    await h.settled();
    const told = h.take().filter(toPersonal('paramedic'));
    expect(told).toHaveLength(1);
    expect(told[0]!.body.text).toContain(`picked up your request ${request.reference}`);
  });
});

describe('pacing', () => {
  it("puts the turn's own reply on the conversation's shared limiter: a reply waits for a slot another process holds", async () => {
    const conversation = { conversationId: personalConversationId('specialist'), reference: { conversation: { tenantId: 'unused' }, bot: { id: 'unused' } } };
    const [conversationKey] = limitedKeysFor('TEAMS', conversation);
    // Another process (a worker, say) was told by Teams to wait 1.2 s on this conversation.
    await createRateLimiter(redis, { prefix: h.redisPrefix }).penalise([conversationKey!], 1_200);
    h.take();
    const started = Date.now();
    const res = await h.message('specialist', 'help');
    expect(res.status).toBe(200);
    const replies = h.take().filter(toPersonal('specialist'));
    expect(replies.length).toBeGreaterThan(0);
    // The reply went out only once the slot was free: the turn waited for it, it was not sent early.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_100);
    const slot = await redis.hget(`${h.redisPrefix}:rate:${conversationKey!.key}`, 't');
    expect(Number(slot)).toBeGreaterThan(0);
  });

  it('sends a throttled reply again after its Retry-After, with no apology', async () => {
    h.take();
    const refusedBefore = h.refused.length;
    h.throttleNext(1);
    const res = await h.message('specialist', 'help');
    expect(res.status).toBe(200);
    expect(h.refused.length).toBe(refusedBefore + 1);
    const replies = h.take().filter(toPersonal('specialist'));
    expect(replies.length).toBeGreaterThan(0);
    expect(JSON.stringify(replies)).not.toContain('Sorry, something went wrong');
  });

  it('puts messages sent for a turn on the same keys as the workers use', async () => {
    await startRequest();
    await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'mornings', summary: 'Pacing check for the triage post.' });
    const triageKey = limitedKeysFor('TEAMS', { conversationId: TRIAGE_CHANNEL, reference: {} }, PLATFORM_RATE_LIMITS)[0]!.key;
    expect(await redis.exists(`${h.redisPrefix}:rate:${triageKey}`)).toBe(1);
  });
});
