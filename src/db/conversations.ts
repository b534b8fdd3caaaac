import type { Db } from './client.js';
import type { ConversationKind, Platform } from '../domain/actor.js';

export interface StoredConversation {
  platform: Platform;
  conversationId: string;
  kind: ConversationKind;
  tenantId: string;
  personId?: string | null;
  /** Whatever the platform needs to message the conversation later (a Bot Framework ConversationReference for Teams). */
  reference: object;
}

export async function saveConversation(db: Db, conversation: StoredConversation): Promise<void> {
  const data = {
    kind: conversation.kind,
    tenantId: conversation.tenantId,
    personId: conversation.personId ?? null,
    reference: conversation.reference,
  };
  await db.conversationReference.upsert({
    where: { platform_conversationId: { platform: conversation.platform, conversationId: conversation.conversationId } },
    create: { platform: conversation.platform, conversationId: conversation.conversationId, ...data },
    update: data,
  });
}

/** How many conversations each process remembers having saved. */
const REMEMBERED_CONVERSATIONS = 10_000;

/**
 * Saves conversation references as turns arrive, writing only when one changed (it rarely
 * does), so an ordinary turn costs no write. Memory is bounded; forgetting only costs a write.
 */
export function createConversationRecorder(db: Db) {
  const saved = new Map<string, string>();
  return async (conversation: StoredConversation): Promise<void> => {
    const key = `${conversation.platform}:${conversation.conversationId}`;
    const fingerprint = JSON.stringify([conversation.kind, conversation.tenantId, conversation.personId ?? null, conversation.reference]);
    if (saved.get(key) === fingerprint) return;
    await saveConversation(db, conversation);
    saved.delete(key);
    if (saved.size >= REMEMBERED_CONVERSATIONS) saved.delete(saved.keys().next().value!);
    saved.set(key, fingerprint);
  };
}

/** The personal chat a person used most recently (on `platform`, else on any of `among`). */
export async function personalConversation(db: Db, personId: string, platform?: Platform, among?: Platform[]) {
  return db.conversationReference.findFirst({
    where: { personId, kind: 'PERSONAL', ...(platform ? { platform } : among ? { platform: { in: among } } : {}) },
    orderBy: { updatedAt: 'desc' },
  });
}

export async function conversationById(db: Db, platform: Platform, conversationId: string) {
  return db.conversationReference.findUnique({
    where: { platform_conversationId: { platform, conversationId } },
  });
}
