import { personalConversation } from '../db/conversations.js';
import { newLinkNotice } from '../db/directory.js';
import type { FlowDeps } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * A new platform account was linked to this person: tell them in a chat they already have
 * (never one opened for the occasion, and not the new account's own, which is not stored
 * yet), so a link they did not make is noticed.
 */
export async function tellOfNewLink(deps: FlowDeps, actor: Actor): Promise<void> {
  const inbox = await deps.db.organisationContact.findFirst({
    where: { organisationId: actor.organisationId, kind: 'SUPERVISION_INBOX' },
    select: { email: true },
  });
  const text = newLinkNotice(actor.platform, deps.clock.now(), actor.timeZone, inbox?.email ?? null);
  // The chat is chosen now: delivery happens after the turn, when the new account's chat is stored too.
  const existing = await personalConversation(deps.db, actor.personId);
  if (!existing) return;
  await deps.outbox.toPerson(actor.personId, { text }, { existingOnly: true, platform: existing.platform, conversationId: existing.conversationId });
}
