// Delivery of one OutboundMessage row (prisma/schema.prisma): the one path by which the bot says
// anything outside the reply to someone's own turn. The outbox (outbox.ts) writes a row and tries
// it at once; the workers (scheduler.ts) try again the rows that are due, with backoff, until the
// row is SENT, or FAILED after the last attempt (and the person who caused it is told), or
// CANCELLED because there is nothing left to deliver to (the person left, the channel was
// unbound, a newer card state superseded it). PostgreSQL is the truth: a row is never dropped.
//
// At most one delivery per row: a process takes a row by moving its nextAttemptAt ahead (a
// lease, in one guarded UPDATE), and the SENT mark is guarded by status = PENDING. The one window
// left, as for reminders, is a crash after the platform accepted the message and before the SENT
// mark commits: the row is tried again when its lease runs out.
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { personalConversation, saveConversation } from '../db/conversations.js';
import { auditLink } from '../db/directory.js';
import type { OutboundMessage } from '../db/generated/client.js';
import type { Clock } from '../domain/time.js';
import { FIRST_TRY_LEASE_MS, type OutMessage } from '../flows/types.js';
import type { Platform } from '../domain/actor.js';
import type { Logger } from '../logger.js';
import { describeError, type ChannelSender, type StoredConversationRef } from './outbox.js';

/** What an earlier copy of a replaced message becomes (one line, no buttons). */
export const REPLACED_TEXT = 'Replaced by a newer copy: see the latest message below.';

/** Tries before a message is FAILED (about two hours of backoff in all). */
export const MESSAGE_MAX_ATTEMPTS = 8;
/** How long a process that took a row has before others may try it again. */
export const MESSAGE_LEASE_MS = 2 * 60_000;
/** A card update waiting for its card to be posted looks again after this. */
const WAIT_FOR_POST_MS = 15_000;
/** A message waiting for an earlier one to the same person looks again at least this much later. */
const WAIT_FOR_EARLIER_MS = 1_000;
/** The lastError of a message held back for an earlier one (to the same person, about the same request): released as soon as that one ends. */
export const WAITING_FOR_EARLIER = 'waiting for an earlier message to the same person about the same request';

export type MessageOutcome = 'sent' | 'queued' | 'failed' | 'cancelled' | 'duplicate-avoided';

const outMessage = z
  .object({
    text: z.string().optional(),
    card: z.object({ template: z.string().min(1), data: z.record(z.string(), z.unknown()).optional() }).loose().optional(),
  })
  .strict()
  .refine((m) => m.text !== undefined || m.card !== undefined);

/** The wait before the next try: doubling from 30 s to 30 min, with a quarter either way at random. */
export function messageBackoffMs(attempts: number): number {
  const base = Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Errors a retry cannot mend (a stored reference the bot may not call). */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UNSAFE_SERVICE_URL';
}

function retryAfterMsOf(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

class Unreachable extends Error {
  override name = 'RecipientUnreachableError';
}

export interface MessageDeliveryDeps {
  db: Db;
  senders: ChannelSender[];
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock: Clock;
}

export interface MessageDelivery {
  /**
   * Tries one row now. `leased`: the caller already holds the row's lease (the outbox, which
   * wrote it a moment ago); otherwise the row is taken only if it is due and nobody holds it.
   */
  deliver(id: string, options?: { leased?: boolean }): Promise<MessageOutcome>;
}

/**
 * A first direct conversation with someone who has never written to the bot, on a platform that
 * lets a bot start one (Slack: found by their user id or directory e-mail, then
 * conversations.open). Teams lets a bot start a chat only where the app is installed for the
 * person (an admin can pre-install it): until then the conversation reference the install sends
 * is what the bot has. A link the platform proved (found by e-mail) is audited.
 */
export async function openPersonalChat(
  deps: { db: Db; senders: ChannelSender[]; clock: Clock },
  personId: string,
  platform: Platform | null,
): Promise<(StoredConversationRef & { platform: Platform }) | null> {
  const { db, clock } = deps;
  const person = await db.person.findUnique({ where: { id: personId }, include: { identities: { orderBy: { createdAt: 'desc' } } } });
  if (!person || !person.active) return null;
  for (const sender of deps.senders) {
    if (!sender.openPersonal || (platform && sender.platform !== platform)) continue;
    const identity = person.identities.find((i) => i.platform === sender.platform);
    const opened = await sender.openPersonal({ email: person.email, ...(identity ? { tenantId: identity.tenantId, platformUserId: identity.platformUserId } : {}) });
    if (!opened) continue;
    if (!identity) {
      await db.$transaction(async (tx) => {
        const { count } = await tx.platformIdentity.createMany({
          data: [{ personId, platform: sender.platform, tenantId: opened.tenantId, platformUserId: opened.platformUserId }],
          skipDuplicates: true,
        });
        if (count === 1) await auditLink(tx, { organisationId: person.organisationId, personId, platform: sender.platform, tenantId: opened.tenantId, how: 'opened', at: clock.now() });
      });
    }
    await saveConversation(db, {
      platform: sender.platform,
      conversationId: opened.conversationId,
      kind: 'PERSONAL',
      tenantId: opened.tenantId,
      personId,
      reference: opened.reference as object,
    });
    return { platform: sender.platform, conversationId: opened.conversationId, reference: opened.reference };
  }
  return null;
}

export function createMessageDelivery(deps: MessageDeliveryDeps): MessageDelivery {
  const { db, logger, clock } = deps;
  const senders = new Map(deps.senders.map((s) => [s.platform, s]));

  /** Ends the row in one guarded UPDATE; `tried`: this call's send counts as an attempt. */
  async function finish(row: OutboundMessage, data: { status: 'SENT' | 'CANCELLED' | 'FAILED'; tried?: boolean; lastError?: string; platformMessageId?: string }) {
    const now = clock.now();
    const { count } = await db.outboundMessage.updateMany({
      where: { id: row.id, status: 'PENDING' },
      data: {
        status: data.status,
        ...(data.tried ? { attempts: { increment: 1 } } : {}),
        ...(data.status === 'SENT' ? { sentAt: now } : {}),
        ...(data.status === 'FAILED' ? { failedAt: now } : {}),
        ...(data.lastError ? { lastError: data.lastError } : {}),
        ...(data.platformMessageId ? { platformMessageId: data.platformMessageId } : {}),
      },
    });
    if (count === 1 && row.kind === 'person' && row.personId && row.requestId) {
      // The next messages to this person about this request were held back for this one: they may go now.
      await db.outboundMessage.updateMany({
        where: { kind: 'person', personId: row.personId, requestId: row.requestId, status: 'PENDING', seq: { gt: row.seq }, lastError: WAITING_FOR_EARLIER, nextAttemptAt: { gt: now } },
        data: { nextAttemptAt: now },
      });
    }
    return count === 1;
  }

  /** The person who caused a message that failed for good is told in a chat they already have. */
  async function tellCauser(row: OutboundMessage) {
    if (!row.causedById || row.causedById === row.personId) return;
    const recipient = row.personId ? await db.person.findUnique({ where: { id: row.personId }, select: { name: true } }) : null;
    const what = row.label ?? 'a message';
    const who = recipient ? ` to ${recipient.name}` : '';
    const text =
      `I could not deliver ${what}${who}, after ${row.attempts + 1} tries. It is recorded, but they have not received it: ` +
      'please contact them another way. Administrators can see it under "failed reminders".';
    const notice = await db.outboundMessage.create({
      data: {
        organisationId: row.organisationId,
        kind: 'person',
        personId: row.causedById,
        existingOnly: true,
        message: { text },
        nextAttemptAt: new Date(clock.now().getTime() + MESSAGE_LEASE_MS),
        createdAt: clock.now(),
      },
    });
    await deliver(notice.id, { leased: true });
  }

  /**
   * Notes the state this update applied to the card. If a newer state had already landed (two
   * tries in flight at once, in two processes), this older one may now be showing: the newest
   * state is queued again, so the card always ends on the latest state.
   */
  async function converge(row: OutboundMessage, postId: string) {
    const [applied] = await db.$queryRaw<Array<{ before: bigint | null }>>`
      UPDATE "PostedCard" p SET "appliedSeq" = GREATEST(COALESCE(o."appliedSeq", 0), ${row.seq}), "updatedAt" = ${clock.now()}
      FROM (SELECT "appliedSeq" FROM "PostedCard" WHERE id = ${postId} FOR UPDATE) o
      WHERE p.id = ${postId}
      RETURNING o."appliedSeq" AS before`;
    if (!applied?.before || applied.before <= row.seq) return;
    const newest = await db.outboundMessage.findFirst({
      where: { kind: 'triage-update', requestId: row.requestId, conversationId: row.conversationId, status: { in: ['PENDING', 'SENT'] } },
      orderBy: { seq: 'desc' },
    });
    if (!newest || newest.status === 'PENDING') return; // a newer state is still on its way anyway
    await db.outboundMessage.create({
      data: {
        organisationId: newest.organisationId,
        kind: 'triage-update',
        requestId: newest.requestId,
        conversationId: newest.conversationId,
        message: newest.message as object,
        nextAttemptAt: clock.now(),
        createdAt: clock.now(),
      },
    });
    logger.info({ messageId: row.id, requestId: row.requestId }, 'triage card got an older state after a newer one: the newest is queued again');
  }

  /**
   * Records the message just sent under its `replaces` key and edits the earlier ones with that
   * key to one line without buttons, so an old copy does not invite a click. An edit that fails
   * is logged and left: the old copy's buttons are refused as stale anyway.
   */
  async function replaceEarlier(row: OutboundMessage, posted: { platform: Platform; conversationId: string; messageId: string }) {
    const subjectId = `${row.replaces}:${row.personId}`;
    const earlier = await db.postedCard.findMany({ where: { subjectType: 'replaceable', subjectId, purpose: 'live' }, orderBy: { createdAt: 'asc' } });
    await db.postedCard.create({ data: { subjectType: 'replaceable', subjectId, purpose: 'live', ...posted } });
    for (const card of earlier) {
      try {
        const sender = senders.get(card.platform);
        const conversation = sender ? await db.conversationReference.findUnique({ where: { platform_conversationId: { platform: card.platform, conversationId: card.conversationId } } }) : null;
        if (sender && conversation) await sender.update(conversation, card.messageId, { card: { template: 'replaced', data: { text: REPLACED_TEXT } } });
        await db.postedCard.update({ where: { id: card.id }, data: { purpose: 'replaced' } });
      } catch (error) {
        logger.warn({ messageId: row.id, err: describeError(error) }, 'earlier copy not replaced');
      }
    }
  }

  async function send(
    row: OutboundMessage,
    message: OutMessage,
  ): Promise<{ outcome: 'sent'; platform: Platform; messageId: string } | { outcome: 'cancelled'; reason: string } | { outcome: 'wait'; delayMs: number; note?: string }> {
    switch (row.kind) {
      case 'person': {
        const person = row.personId ? await db.person.findUnique({ where: { id: row.personId }, select: { active: true } }) : null;
        if (!person?.active) return { outcome: 'cancelled', reason: 'recipient gone' };
        // One person's messages about a request arrive in the order they were written ("picked
        // up" before the advice): while an earlier one is on its way, this one waits for it.
        const earlier = row.requestId
          ? await db.outboundMessage.findFirst({
              where: { kind: 'person', personId: row.personId, requestId: row.requestId, status: 'PENDING', seq: { lt: row.seq } },
              orderBy: { nextAttemptAt: 'asc' },
              select: { nextAttemptAt: true },
            })
          : null;
        if (earlier) {
          const delayMs = Math.max(WAIT_FOR_EARLIER_MS, earlier.nextAttemptAt.getTime() - clock.now().getTime() + WAIT_FOR_EARLIER_MS);
          return { outcome: 'wait', delayMs, note: WAITING_FOR_EARLIER };
        }
        const existing = row.conversationId
          ? await db.conversationReference.findFirst({ where: { personId: row.personId, kind: 'PERSONAL', conversationId: row.conversationId, platform: { in: [...senders.keys()] } } })
          : await personalConversation(db, row.personId!, row.platform ?? undefined, [...senders.keys()]);
        const conversation = existing ?? (row.existingOnly ? null : await openPersonalChat({ db, senders: deps.senders, clock }, row.personId!, row.platform));
        if (!conversation) throw new Unreachable('no personal conversation on a configured platform');
        const messageId = await senders.get(conversation.platform)!.send(conversation, message);
        if (row.replaces) await replaceEarlier(row, { platform: conversation.platform, conversationId: conversation.conversationId, messageId });
        return { outcome: 'sent', platform: conversation.platform, messageId };
      }
      case 'triage-post': {
        const channel = await db.triageChannel.findFirst({ where: { organisationId: row.organisationId, conversationId: row.conversationId ?? '' } });
        if (!channel || !senders.has(channel.platform)) return { outcome: 'cancelled', reason: 'triage channel unbound' };
        const conversation = await db.conversationReference.findUnique({
          where: { platform_conversationId: { platform: channel.platform, conversationId: channel.conversationId } },
        });
        if (!conversation) return { outcome: 'cancelled', reason: 'triage channel has no conversation reference' };
        // Posted already by a try that died before its SENT mark: recorded, so not posted again.
        const posted = await db.postedCard.findFirst({
          where: { subjectType: 'request', subjectId: row.requestId ?? '', purpose: 'triage', platform: channel.platform, conversationId: channel.conversationId },
        });
        if (posted) return { outcome: 'sent', platform: posted.platform, messageId: posted.messageId };
        const messageId = await senders.get(channel.platform)!.send(conversation, message);
        await db.postedCard.create({
          data: { subjectType: 'request', subjectId: row.requestId!, purpose: 'triage', platform: channel.platform, conversationId: channel.conversationId, messageId },
        });
        return { outcome: 'sent', platform: channel.platform, messageId };
      }
      case 'triage-update': {
        // The latest state wins: an update that a newer one has followed is not sent.
        const newer = await db.outboundMessage.count({
          where: { kind: 'triage-update', requestId: row.requestId, conversationId: row.conversationId, seq: { gt: row.seq }, status: { in: ['PENDING', 'SENT'] } },
        });
        if (newer > 0) return { outcome: 'cancelled', reason: 'superseded' };
        const post = await db.postedCard.findFirst({ where: { subjectType: 'request', subjectId: row.requestId ?? '', purpose: 'triage', conversationId: row.conversationId ?? '' } });
        if (!post) {
          const posting = await db.outboundMessage.count({ where: { kind: 'triage-post', requestId: row.requestId, conversationId: row.conversationId, status: 'PENDING' } });
          return posting > 0 ? { outcome: 'wait', delayMs: WAIT_FOR_POST_MS } : { outcome: 'cancelled', reason: 'card never posted' };
        }
        if (!senders.has(post.platform)) return { outcome: 'cancelled', reason: 'platform not configured' };
        const conversation = await db.conversationReference.findUnique({ where: { platform_conversationId: { platform: post.platform, conversationId: post.conversationId } } });
        if (!conversation) return { outcome: 'cancelled', reason: 'triage channel has no conversation reference' };
        await senders.get(post.platform)!.update(conversation, post.messageId, message);
        await converge(row, post.id);
        return { outcome: 'sent', platform: post.platform, messageId: post.messageId };
      }
      default:
        return { outcome: 'cancelled', reason: 'unknown kind' };
    }
  }

  /**
   * Holds a message behind an earlier one to the same person until that one's next try (released
   * at once when it ends: finish()). The earlier one may have ended between the check and this
   * hold, its release missing this row: so the check is made again after the hold, and if nothing
   * earlier is left the message is taken again now (once).
   */
  async function holdForEarlier(row: OutboundMessage, delayMs: number, heldBefore: boolean): Promise<MessageOutcome> {
    const until = new Date(clock.now().getTime() + delayMs);
    const { count } = await db.outboundMessage.updateMany({ where: { id: row.id, status: 'PENDING' }, data: { nextAttemptAt: until, lastError: WAITING_FOR_EARLIER } });
    if (count === 0) return 'queued';
    const earlier = await db.outboundMessage.count({ where: { kind: 'person', personId: row.personId, requestId: row.requestId, status: 'PENDING', seq: { lt: row.seq } } });
    if (earlier > 0 || heldBefore) return 'queued';
    await db.outboundMessage.updateMany({ where: { id: row.id, status: 'PENDING', nextAttemptAt: until }, data: { nextAttemptAt: clock.now() } });
    return deliver(row.id, { heldBefore: true });
  }

  /**
   * A platform that answers slowly (a channel taking 90 s) must not see the message twice: while
   * the call is in progress its lease is renewed, so no other process takes the row as abandoned.
   * Only a process that dies mid-call leaves it to the others (one duplicate at most, if the
   * platform had it).
   */
  async function withLeaseKept<T>(id: string, leaseMs: number, work: () => Promise<T>): Promise<T> {
    let renewing: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = db.outboundMessage
        .updateMany({ where: { id, status: 'PENDING' }, data: { nextAttemptAt: new Date(clock.now().getTime() + leaseMs) } })
        .catch(() => undefined);
    }, Math.floor(leaseMs / 3));
    try {
      return await work();
    } finally {
      clearInterval(timer);
      await renewing; // before the outcome is written, never after it
    }
  }

  async function deliver(id: string, options: { leased?: boolean; heldBefore?: boolean } = {}): Promise<MessageOutcome> {
    const row = await db.outboundMessage.findUnique({ where: { id } });
    if (!row) return 'cancelled';
    if (row.status !== 'PENDING') return 'duplicate-avoided';
    const now = clock.now();
    if (options.leased) {
      // The writer's lease (FIRST_TRY_LEASE_MS) may have run out while this try waited its turn
      // (behind earlier messages to the same person): then the workers have the row, not this process.
      if (row.nextAttemptAt <= now) return 'queued';
      const { count } = await db.outboundMessage.updateMany({
        where: { id, status: 'PENDING', nextAttemptAt: row.nextAttemptAt },
        data: { nextAttemptAt: new Date(now.getTime() + FIRST_TRY_LEASE_MS) },
      });
      if (count === 0) return 'duplicate-avoided';
    } else {
      if (row.nextAttemptAt > now) return 'duplicate-avoided';
      const { count } = await db.outboundMessage.updateMany({
        where: { id, status: 'PENDING', nextAttemptAt: row.nextAttemptAt },
        // A row being tried is not waiting: an earlier message's release must not hand it to another process.
        data: { nextAttemptAt: new Date(now.getTime() + MESSAGE_LEASE_MS), ...(row.lastError === WAITING_FOR_EARLIER ? { lastError: null } : {}) },
      });
      if (count === 0) return 'duplicate-avoided';
    }
    const facts = { messageId: row.id, kind: row.kind };
    const parsed = outMessage.safeParse(row.message);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(message)'))].join(', ');
      await finish(row, { status: 'FAILED', lastError: `invalid message: ${fields}`.slice(0, 200) });
      logger.error({ ...facts, fields }, 'message failed: invalid payload');
      return 'failed';
    }
    try {
      const result = await withLeaseKept(id, options.leased ? FIRST_TRY_LEASE_MS : MESSAGE_LEASE_MS, () => send(row, parsed.data as OutMessage));
      if (result.outcome === 'wait') {
        if (result.note === WAITING_FOR_EARLIER) return holdForEarlier(row, result.delayMs, options.heldBefore ?? false);
        await db.outboundMessage.updateMany({ where: { id, status: 'PENDING' }, data: { nextAttemptAt: new Date(clock.now().getTime() + result.delayMs) } });
        return 'queued';
      }
      if (result.outcome === 'cancelled') {
        await finish(row, { status: 'CANCELLED', lastError: result.reason });
        logger.info({ ...facts, reason: result.reason }, 'message cancelled');
        return 'cancelled';
      }
      const marked = await finish(row, { status: 'SENT', tried: true, platformMessageId: result.messageId });
      if (marked) logger.info({ ...facts, attempt: row.attempts + 1 }, 'message sent');
      return marked ? 'sent' : 'duplicate-avoided';
    } catch (error) {
      if ((error as Error | null)?.name === 'SendDeferredError') {
        // The shared limiter asked this send to wait (rate-limit.ts): not a failed try.
        const delayMs = (error as { delayMs?: number }).delayMs ?? 1_000;
        await db.outboundMessage.updateMany({ where: { id, status: 'PENDING' }, data: { nextAttemptAt: new Date(clock.now().getTime() + delayMs) } });
        return 'queued';
      }
      const lastError = describeError(error);
      const final = error instanceof Unreachable || isPermanent(error) || row.attempts + 1 >= MESSAGE_MAX_ATTEMPTS;
      if (final) {
        await finish(row, { status: 'FAILED', tried: true, lastError });
        logger.error({ ...facts, err: lastError, attempts: row.attempts + 1 }, 'message failed');
        await tellCauser(row).catch((notifyError: unknown) => logger.error({ ...facts, err: describeError(notifyError) }, 'could not tell who caused a failed message'));
        return 'failed';
      }
      const waitMs = retryAfterMsOf(error) ?? messageBackoffMs(row.attempts + 1);
      await db.outboundMessage.updateMany({
        where: { id, status: 'PENDING' },
        data: { attempts: { increment: 1 }, lastError, nextAttemptAt: new Date(clock.now().getTime() + waitMs) },
      });
      logger.warn({ ...facts, err: lastError, attempt: row.attempts + 1, retryInMs: waitMs }, 'message send failed, will retry');
      return 'queued';
    }
  }

  return { deliver };
}

/** Due PENDING messages (nextAttemptAt reached), oldest first: what the workers try next. */
export async function dueMessages(db: Db, now: Date, limit = 500): Promise<Array<{ id: string; attempts: number }>> {
  // Messages held behind an earlier one that has ended are due: its release is the quick way
  // (finish()), this the backstop for one that raced past it.
  await db.$executeRaw`
    UPDATE "OutboundMessage" m SET "nextAttemptAt" = ${now}
    WHERE m.status = 'PENDING' AND m."lastError" = ${WAITING_FOR_EARLIER} AND m."nextAttemptAt" > ${now}
      AND NOT EXISTS (SELECT 1 FROM "OutboundMessage" e WHERE e.kind = 'person' AND e."personId" = m."personId" AND e."requestId" = m."requestId" AND e.status = 'PENDING' AND e.seq < m.seq)`;
  return db.outboundMessage.findMany({
    where: { status: 'PENDING', nextAttemptAt: { lte: now } },
    orderBy: [{ nextAttemptAt: 'asc' }, { id: 'asc' }],
    take: limit,
    select: { id: true, attempts: true },
  });
}
