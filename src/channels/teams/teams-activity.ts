import { TurnContext, type Activity } from 'botbuilder';
import type { ConversationInfo, Inbound } from '../../flows/types.js';
import type { ConversationKind } from '../../domain/actor.js';

/** Tenant used when the platform gives none (the Agents Playground in local mode may not). */
export const LOCAL_TENANT = 'local';

export function tenantOf(activity: Partial<Activity>): string {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return activity.conversation?.tenantId ?? channelData?.tenant?.id ?? LOCAL_TENANT;
}

/** A Teams channel thread id ends in ";messageid=..."; the channel itself is the part before. */
export function channelConversationId(conversationId: string): string {
  return conversationId.split(';messageid=')[0]!;
}

export function conversationOf(activity: Partial<Activity>): ConversationInfo {
  const type = activity.conversation?.conversationType;
  const kind: ConversationKind = type === 'channel' ? 'CHANNEL' : type === 'groupChat' ? 'GROUP' : 'PERSONAL';
  const channelData = activity.channelData as { channel?: { name?: string } } | undefined;
  return {
    platform: 'TEAMS',
    kind,
    conversationId: kind === 'CHANNEL' ? channelConversationId(activity.conversation!.id) : activity.conversation!.id,
    ...(channelData?.channel?.name ? { name: channelData.channel.name } : {}),
  };
}

/**
 * Turn a Teams activity into the platform-neutral inbound turn, or null for activities the
 * bot does not act on. Card actions are Universal Actions: the verb is the action id and
 * the data (with the card's input values merged in by Teams) is the value.
 */
export function inboundOf(activity: Activity): Inbound | null {
  const conversation = conversationOf(activity);
  if (activity.type === 'message') {
    // A message sent from an Action.Submit card carries the values instead of text.
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
    // Channel messages reach the bot only with an @mention; drop any mention markup left.
    const plain = typeof text === 'string' ? text.replace(/<at>[^<]*<\/at>/g, ' ') : '';
    return { kind: 'message', text: plain, conversation };
  }
  if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
    const action = (activity.value as { action?: { type?: string; verb?: unknown; data?: unknown } } | undefined)?.action;
    const verb = typeof action?.verb === 'string' ? action.verb : '';
    const data = action?.data && typeof action.data === 'object' && !Array.isArray(action.data) ? (action.data as Record<string, unknown>) : {};
    return { kind: 'action', actionId: verb, value: data, conversation };
  }
  return null;
}

/** The shape Teams expects back from an adaptiveCard/action invoke. */
export function invokeBody(card: Record<string, unknown> | undefined, message: string | undefined) {
  if (card) return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message ?? 'Got it.' };
}
