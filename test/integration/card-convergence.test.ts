// Cards converge on the latest state: the triage card follows the request through booking, an
// older state that lands after a newer one is followed by the newest again, the specialist's
// confidential details message is refreshed as itself (never overwritten with the triage card),
// and an earlier copy of the details loses its buttons once a newer copy is sent. Over real
// HTTP, the Teams connector intercepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageDelivery, REPLACED_TEXT } from '../../src/channels/message-delivery.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { createLogger } from '../../src/logger.js';
import { cardOf, personalConversationId, startTeamsHarness, TRIAGE_CHANNEL, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};
const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
const triageUpdates = (calls: ConnectorCall[]) => calls.filter((c) => c.method === 'PUT' && c.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL}`));

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of ['paramedic', 'call-handler', 'specialist', 'specialist-2']) {
    ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  }
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['specialist', 'specialist-2', 'call-handler', 'paramedic']) await h.message(key, 'help');
  h.take();
});
afterAll(async () => {
  await h.close();
});

async function claimedRequest(requesterKey: string, helpType: 'ADVICE' | 'SESSION', summary: string) {
  await h.database.db.supervisionRequest.updateMany({ where: { status: { not: 'CLOSED' } }, data: { status: 'CLOSED', closedAt: h.clock.now() } });
  await h.message(requesterKey, 'hello');
  await h.action(requesterKey, 'intake.risk', { answer: 'no' });
  await h.action(requesterKey, 'intake.kind', { helpType });
  await h.action(requesterKey, 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary, availability: 'weekdays' });
  const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary } });
  await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
  h.take();
  return h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
}

const facts = (card: any): Record<string, string> =>
  Object.fromEntries((card.body.find((b: any) => b.type === 'FactSet')?.facts ?? []).map((f: any) => [f.title, f.value]));

describe('the triage card through booking', () => {
  it('shows the proposal, then the booked session, as they happen', async () => {
    const request = await claimedRequest('call-handler', 'SESSION', 'A case that keeps coming back to me');
    const proposed = await h.action('specialist', 'session.propose', {
      requestId: request.id,
      version: request.version,
      view: 'details',
      supervisorId: ids['specialist-2'],
      date1: '2026-11-25',
      time1: '10:00',
      durationMinutes: '60',
    });
    expect(proposed.status).toBe(200);
    const afterProposal = triageUpdates(h.take());
    expect(afterProposal).toHaveLength(1);
    expect(facts(cardOf(afterProposal[0]))).toMatchObject({ Session: `Proposed to ${demoPerson('specialist-2').name}, awaiting an answer` });

    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId: request.id }, include: { slots: true } });
    await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
    const afterConfirm = triageUpdates(h.take());
    expect(afterConfirm).toHaveLength(1);
    expect(facts(cardOf(afterConfirm[0]))).toMatchObject({ Status: 'Session booked', Session: `Booked with ${demoPerson('specialist-2').name}: Wed 25 Nov 2026, 10:00` });
  });

  it('writes the booking messages with the change: a proposal that fails to commit leaves none behind', async () => {
    const request = await claimedRequest('call-handler', 'SESSION', 'Another case to talk through');
    const before = await h.database.db.outboundMessage.count();
    // The supervisor is busy then: the proposal is refused, and nothing was queued for anyone.
    const res = await h.action('specialist', 'session.propose', {
      requestId: request.id,
      version: request.version,
      supervisorId: ids['specialist-2'],
      date1: '2026-11-25',
      time1: '10:00',
      durationMinutes: '60',
    });
    expect(JSON.stringify(res.body)).toMatch(/already|busy|clash/i);
    expect(await h.database.db.outboundMessage.count()).toBe(before);
  });
});

describe("the specialist's confidential details message", () => {
  it('is refreshed as itself when advice is given from it, not replaced by the triage card', async () => {
    const request = await claimedRequest('paramedic', 'ADVICE', 'Advice wanted about a family I visited');
    const res = await h.action('specialist', 'request.advise', { requestId: request.id, version: request.version, view: 'details', advice: 'Refer to children’s social care today.' });
    expect(res.status).toBe(200);
    const shown = visibleTexts(res.body.value);
    expect(shown).toContain(`${request.reference}: confidential details`);
    expect(shown).toContain('Advice wanted about a family I visited');
    // The channel's card follows, through the outbox.
    const updates = triageUpdates(h.take());
    expect(updates).toHaveLength(1);
    expect(facts(cardOf(updates[0]))).toMatchObject({ Status: 'Advice given' });
    expect(JSON.stringify(cardOf(updates[0]))).not.toContain('Advice wanted about a family I visited');
  });

  it('loses its buttons once a newer copy is sent: the earlier copy becomes one line', async () => {
    const request = await claimedRequest('paramedic', 'ADVICE', 'Details asked for twice');
    // The claim sent the first copy; Details sends a second.
    const first = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectType: 'replaceable', subjectId: `request:${request.id}:details:${ids.specialist}`, purpose: 'live' } });
    const res = await h.action('specialist', 'request.details', { requestId: request.id, version: request.version }, 'channel');
    expect(res.status).toBe(200);
    const calls = toPerson(h.take(), 'specialist');
    const posted = calls.filter((c) => c.method === 'POST');
    const edited = calls.filter((c) => c.method === 'PUT');
    expect(posted).toHaveLength(1);
    expect(visibleTexts(cardOf(posted[0]))).toContain(`${request.reference}: confidential details`);
    expect(edited).toHaveLength(1);
    expect(edited[0]!.path.endsWith(`/activities/${encodeURIComponent(first.messageId)}`) || edited[0]!.path.endsWith(`/activities/${first.messageId}`)).toBe(true);
    const replaced = cardOf(edited[0]);
    expect(visibleTexts(replaced)).toEqual([REPLACED_TEXT]);
    expect(replaced.actions ?? []).toEqual([]);
    expect(await h.database.db.postedCard.findUniqueOrThrow({ where: { id: first.id } })).toMatchObject({ purpose: 'replaced' });
  });
});

describe('an older triage state that lands after a newer one', () => {
  it('is followed by the newest state again, so the card ends on the latest', async () => {
    const request = await claimedRequest('paramedic', 'ADVICE', 'Two updates racing each other');
    const delivery = createMessageDelivery({ db: h.database.db, senders: h.senders, logger: createLogger({ level: 'silent' }), clock: h.clock });
    const row = (text: string) =>
      h.database.db.outboundMessage.create({
        data: {
          organisationId: h.organisationId,
          kind: 'triage-update',
          requestId: request.id,
          conversationId: TRIAGE_CHANNEL,
          message: { text },
          nextAttemptAt: h.clock.now(),
          createdAt: h.clock.now(),
        },
      });
    const older = await row('older state');
    // The older update's call is slow; while it is in flight a newer state is written and sent.
    let first = true;
    const slow = h.hold((call) => call.method === 'PUT' && first && !(first = false));
    const olderTry = delivery.deliver(older.id);
    await expect.poll(() => slow.held()).toBe(1);
    const newer = await row('newest state');
    expect(await delivery.deliver(newer.id)).toBe('sent');
    slow.release();
    expect(await olderTry).toBe('sent');

    // The older one landed last: the newest state is queued again, and sent.
    const again = await h.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-update', status: 'PENDING' } });
    expect(again.message).toEqual({ text: 'newest state' });
    expect(again.seq > newer.seq).toBe(true);
    expect(await delivery.deliver(again.id)).toBe('sent');
    const puts = triageUpdates(h.take());
    expect(puts.map((c) => c.body.text)).toEqual(['newest state', 'older state', 'newest state']);
  });
});
