import type { ActorIdentity } from './permissions.js';

/** The chat platforms the bot serves. */
export type Platform = 'TEAMS' | 'SLACK';

/** Where a turn happens: a personal chat, a channel, or a group chat. */
export type ConversationKind = 'PERSONAL' | 'CHANNEL' | 'GROUP';

/** A person from the directory acting through a platform that vouched for who they are. */
export interface Actor extends ActorIdentity {
  name: string;
  platform: Platform;
  timeZone: string;
}
