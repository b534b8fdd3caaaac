import { conversationAnswer, conversationHelp, personalHelp, type ConversationHelpFacts } from '../domain/help-topics.js';
import { formatReference } from '../domain/reference.js';
import { inZone } from '../domain/time.js';
import { helpCard } from './cards.js';
import type { ConversationInfo, FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * `help`, as a card: in the personal chat, what this person can do given their roles; in a
 * channel or group chat (read by everyone there), what the bot does there. Both carry the
 * emergency line.
 */
export async function showHelp(deps: FlowDeps, actor: Actor, conversation: ConversationInfo): Promise<TurnResult> {
  if (conversation.kind !== 'PERSONAL') {
    return { replies: [{ card: helpCard(conversationHelp(actor, await whereAsked(deps, actor, conversation))) }] };
  }
  const [person, organisation] = await Promise.all([
    deps.db.person.findUniqueOrThrow({
      where: { id: actor.personId },
      select: { staffGroup: { select: { requirements: { where: { kind: 'MANDATORY' }, select: { id: true }, take: 1 } } } },
    }),
    deps.db.organisation.findUniqueOrThrow({ where: { id: actor.organisationId }, select: { referencePrefix: true, timeZone: true } }),
  ]);
  const year = inZone(deps.clock.now(), organisation.timeZone).year;
  const content = personalHelp(actor, {
    platform: actor.platform,
    inMandatoryGroup: (person.staffGroup?.requirements.length ?? 0) > 0,
    exampleReference: formatReference(organisation.referencePrefix, year, 42),
  });
  return { replies: [{ card: helpCard(content) }] };
}

/** Anything else typed in a channel or group chat: one line on what the bot does there. */
export async function answerInConversation(deps: FlowDeps, actor: Actor, conversation: ConversationInfo): Promise<TurnResult> {
  return { replies: [{ text: conversationAnswer(await whereAsked(deps, actor, conversation)) }] };
}

async function whereAsked(deps: FlowDeps, actor: Actor, conversation: ConversationInfo): Promise<ConversationHelpFacts> {
  if (conversation.kind !== 'CHANNEL') return { kind: 'GROUP', isTriageChannel: false, platform: conversation.platform };
  const triage = await deps.db.triageChannel.findUnique({
    where: { organisationId_platform: { organisationId: actor.organisationId, platform: conversation.platform } },
    select: { conversationId: true },
  });
  return { kind: 'CHANNEL', isTriageChannel: triage?.conversationId === conversation.conversationId, platform: conversation.platform };
}
