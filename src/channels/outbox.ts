import type { Db } from '../db/client.js';
import { personalConversation, saveConversation } from '../db/conversations.js';
import { auditLink } from '../db/directory.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../domain/time.js';
import type { CardRef, OutMessage, Outbox, Platform } from '../flows/types.js';

export interface StoredConversationRef {
  conversationId: string;
  /** The platform's own reference, as saved by that platform's channel. */
  reference: unknown;
}

/** How one platform sends and updates messages outside of a turn. */
export interface ChannelSender {
  readonly platform: Platform;
  /** Send a message; resolves with the platform's message id (Teams activity id, Slack ts). */
  send(conversation: StoredConversationRef, message: OutMessage): Promise<string>;
  update(conversation: StoredConversationRef, messageId: string, message: OutMessage): Promise<void>;
  /**
   * Open a direct conversation with someone who has not written to the bot yet, where the
   * platform allows it (Slack: found by e-mail if need be, then conversations.open).
   * Resolves with the reference to store and the platform identity it reached, or null
   * when the platform does not know the person.
   */
  openPersonal?(who: { email: string; tenantId?: string; platformUserId?: string }): Promise<
    (StoredConversationRef & { tenantId: string; platformUserId: string }) | null
  >;
}

/**
 * Delivery to people and triage channels on whichever platform they use. The change
 * behind a message is already committed when it is sent, so a failed delivery is logged
 * with its ids and never undoes or hides the change.
 */
export function createOutbox(deps: { db: Db; senders: ChannelSender[]; logger: Logger; clock?: Clock }): Outbox {
  const clock = deps.clock ?? systemClock;
  const { db, logger } = deps;
  const senders = new Map(deps.senders.map((s) => [s.platform, s]));

  const senderFor = (platform: Platform) => {
    const sender = senders.get(platform);
    if (!sender) throw new Error(`no sender configured for ${platform}`);
    return sender;
  };

  /** A first direct conversation on a platform that lets the bot start one. */
  async function openPersonal(personId: string, platform: Platform | undefined) {
    const person = await db.person.findUnique({ where: { id: personId }, include: { identities: { orderBy: { createdAt: 'desc' } } } });
    if (!person) return null;
    for (const sender of senders.values()) {
      if (!sender.openPersonal || (platform && sender.platform !== platform)) continue;
      const identity = person.identities.find((i) => i.platform === sender.platform);
      const opened = await sender.openPersonal({ email: person.email, ...(identity ? { tenantId: identity.tenantId, platformUserId: identity.platformUserId } : {}) });
      if (!opened) continue;
      if (!identity) {
        // The platform found the person by their directory e-mail: a link it proved, audited.
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

  return {
    async toPerson(personId, message, options = {}) {
      try {
        const existing = await personalConversation(db, personId, options.platform, [...senders.keys()]);
        const conversation = existing ?? (options.existingOnly ? null : await openPersonal(personId, options.platform));
        if (!conversation) {
          logger.warn({ personId, platform: options.platform }, 'cannot reach person: no personal conversation on a configured platform');
          return;
        }
        await senderFor(conversation.platform).send(conversation, message);
      } catch (error) {
        logger.error({ personId, err: errorFacts(error) }, 'message to person failed');
      }
    },

    async postTriageCard(organisationId, requestId, card) {
      const channels = await db.triageChannel.findMany({ where: { organisationId } });
      if (channels.length === 0) logger.warn({ organisationId, requestId }, 'no triage channel bound: request recorded but not posted');
      for (const channel of channels) {
        if (!senders.has(channel.platform)) continue;
        const conversation = await db.conversationReference.findUnique({
          where: { platform_conversationId: { platform: channel.platform, conversationId: channel.conversationId } },
        });
        if (!conversation) {
          logger.warn({ organisationId, platform: channel.platform }, 'triage channel has no conversation reference');
          continue;
        }
        try {
          const messageId = await senderFor(channel.platform).send(conversation, { card });
          await db.postedCard.create({
            data: {
              subjectType: 'request',
              subjectId: requestId,
              purpose: 'triage',
              platform: channel.platform,
              conversationId: channel.conversationId,
              messageId,
            },
          });
        } catch (error) {
          logger.error({ requestId, platform: channel.platform, err: errorFacts(error) }, 'triage card post failed');
        }
      }
    },

    async updateTriageCards(requestId: string, card: CardRef) {
      const posted = await db.postedCard.findMany({ where: { subjectType: 'request', subjectId: requestId, purpose: 'triage' } });
      for (const post of posted) {
        if (!senders.has(post.platform)) continue;
        const conversation = await db.conversationReference.findUnique({
          where: { platform_conversationId: { platform: post.platform, conversationId: post.conversationId } },
        });
        if (!conversation) continue;
        try {
          await senderFor(post.platform).update(conversation, post.messageId, { card });
          await db.postedCard.update({ where: { id: post.id }, data: { updatedAt: clock.now() } });
        } catch (error) {
          logger.error({ requestId, platform: post.platform, err: errorFacts(error) }, 'triage card update failed');
        }
      }
    },
  };
}

/** Error facts safe to log: name, message and status, never request bodies. */
export function errorFacts(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: 'non-error thrown' };
  // Prisma's messages can quote the arguments of the failed query (which may be
  // confidential text); its code says enough.
  if (error.name.startsWith('Prisma')) return { name: error.name, code: (error as { code?: string }).code };
  const status = (error as { statusCode?: number }).statusCode ?? (error as { status?: number }).status;
  return { name: error.name, message: error.message, ...(status ? { status } : {}) };
}
