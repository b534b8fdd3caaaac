import type { Db } from './client.js';
import type { ConversationKind, Platform } from '../flows/types.js';

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

/** The personal chat a person used most recently (on any platform unless one is given). */
export async function personalConversation(db: Db, personId: string, platform?: Platform) {
  return db.conversationReference.findFirst({
    where: { personId, kind: 'PERSONAL', ...(platform ? { platform } : {}) },
    orderBy: { updatedAt: 'desc' },
  });
}

export async function conversationById(db: Db, platform: Platform, conversationId: string) {
  return db.conversationReference.findUnique({
    where: { platform_conversationId: { platform, conversationId } },
  });
}
