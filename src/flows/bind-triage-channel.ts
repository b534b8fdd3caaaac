import { DomainError } from '../domain/errors.js';
import { canBindTriageChannel } from '../domain/permissions.js';
import { recordAudit } from '../db/audit.js';
import type { ConversationInfo, FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/** An administrator types "bind triage" in a channel to make it the triage channel. */
export async function bindTriageChannel(deps: FlowDeps, actor: Actor, conversation: ConversationInfo): Promise<TurnResult> {
  if (conversation.kind !== 'CHANNEL') {
    throw new DomainError('WRONG_CONVERSATION', 'Type "bind triage" in the channel you want to use as the triage channel.');
  }
  if (!canBindTriageChannel(actor)) {
    throw new DomainError('NOT_PERMITTED', 'Only an administrator can make this the triage channel.');
  }
  await deps.db.$transaction(async (tx) => {
    const data = {
      conversationId: conversation.conversationId,
      name: conversation.name ?? null,
      boundById: actor.personId,
      boundAt: deps.clock.now(),
    };
    await tx.triageChannel.upsert({
      where: { organisationId_platform: { organisationId: actor.organisationId, platform: conversation.platform } },
      create: { organisationId: actor.organisationId, platform: conversation.platform, ...data },
      update: data,
    });
    await recordAudit(tx, {
      at: deps.clock.now(),
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'triage-channel.bound',
      subjectType: 'organisation',
      subjectId: actor.organisationId,
      platform: conversation.platform,
      detail: { conversationId: conversation.conversationId },
    });
  });
  return {
    replies: [
      {
        text: 'This channel is now the safeguarding triage channel. New requests will appear here as cards; summaries are never shown here, only to the specialist who claims a request.',
      },
    ],
  };
}
