// A ChannelSender for scheduler tests that records what it was asked to send, in order.
import type { ChannelSender, StoredConversationRef } from '../../src/channels/outbox.js';
import type { OutMessage } from '../../src/flows/types.js';

export interface Sent {
  conversationId: string;
  message: OutMessage;
}

/** Records every send in `sent` and answers with activity ids activity-1, activity-2… */
export function recordingSender(sent: Sent[]): ChannelSender {
  let n = 0;
  return {
    platform: 'TEAMS',
    async send(conversation: StoredConversationRef, message: OutMessage) {
      sent.push({ conversationId: conversation.conversationId, message });
      return `activity-${++n}`;
    },
    async update() {},
  };
}
