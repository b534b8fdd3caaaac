import type { Db } from '../db/client.js';
import type { Prisma } from '../db/generated/client.js';
import type { ConversationKind, Platform } from '../domain/actor.js';
import { DomainError } from '../domain/errors.js';
import type { OutFile } from '../domain/out-file.js';
import type { Clock } from '../domain/time.js';
import type { Logger } from '../logger.js';

export interface ConversationInfo {
  platform: Platform;
  kind: ConversationKind;
  /** The conversation as the platform names it (Teams conversation id without any thread suffix; Slack channel id). */
  conversationId: string;
  /** Display name of a channel, when the platform gives one. */
  name?: string;
}

export type Inbound =
  | { kind: 'message'; text: string; conversation: ConversationInfo }
  | { kind: 'action'; actionId: string; value: Record<string, unknown>; conversation: ConversationInfo };

/** The name of a template in cards/ and the data bound into it. */
export interface CardRef {
  template: string;
  data: Record<string, unknown>;
}

export interface OutMessage {
  text?: string;
  card?: CardRef;
}

/** What a turn produces for the conversation the actor is in. */
export interface TurnResult {
  /** Messages for the actor's conversation (visible to everyone in a channel). */
  replies: OutMessage[];
  /** Shown to the actor alone in place of the card they acted on. */
  updatedCard?: CardRef;
  /** A short private notice for the actor alone (refusals, confirmations). */
  notice?: string;
  /**
   * The notice says something the actor must not miss (a message of theirs is not delivered
   * yet): where the platform shows only the refreshed card (a Teams channel card action), it is
   * also sent to the actor's personal chat.
   */
  noticeMatters?: boolean;
  /** The turn was refused: nothing changed, and the notice says why. */
  refused?: boolean;
  /** Files for the actor alone (see OutFile). */
  files?: OutFile[];
}

/**
 * What became of a message: queued (written, delivered in the background and retried by the
 * workers until it is sent or fails for good, when its causer is told); cancelled (nobody to
 * deliver it to); the rest are the outcomes of one delivery try (message-delivery.ts).
 */
export type DeliveryOutcome = 'sent' | 'queued' | 'failed' | 'cancelled' | 'duplicate-avoided';

export interface OutboxOptions {
  platform?: Platform;
  existingOnly?: boolean;
  /** Only this personal conversation (one the person had when the message was written). */
  conversationId?: string;
  /**
   * A key for what this message is a copy of ("request:<id>:details"): once it is sent, the
   * earlier copies the person has lose their buttons (edited to one line).
   */
  replaces?: string;
  /** Who caused the message: told in their chat if it cannot be delivered in the end. */
  causedBy?: string;
  /** A plain label for that notice and the administrators' list ("the advice on SGS-2026-0001"), never the content. */
  label?: string;
  /** The request it is about: one person's messages about one request arrive in the order they were written. */
  about?: string;
}

/**
 * How long the process that wrote a message row keeps it for its first try. Short, so that the
 * workers take over soon if the process dies; longer than a first try can take (its slot is
 * held at most a few seconds: app.ts).
 */
export const FIRST_TRY_LEASE_MS = 30_000;

export type StagedMessage =
  | { to: 'person'; personId: string; message: OutMessage; options?: OutboxOptions }
  | { to: 'triage'; organisationId: string; requestId: string; card: CardRef };

/** Delivery to places other than the actor's conversation, implemented by the channels. */
export interface Outbox {
  /**
   * A message to a person's personal chat: on `platform` when given (a confidential answer
   * goes where the person acted), else on the platform they last used. `existingOnly`: only
   * to a chat the person already has, never one opened for the occasion.
   */
  toPerson(personId: string, message: OutMessage, options?: OutboxOptions): Promise<DeliveryOutcome>;
  /**
   * Writes messages inside the transaction of the change that causes them, so they commit (or
   * not) with it; `send` tries them once the transaction has committed. Returns the row ids.
   */
  stage(tx: Prisma.TransactionClient, messages: StagedMessage[]): Promise<string[]>;
  /** The first try of staged messages, after their transaction committed. */
  send(ids: string[]): Promise<DeliveryOutcome>;
  /**
   * Whether a message to the person's personal chat can be delivered at all: they have one on a
   * configured platform (on `platform`, when given), or that platform lets the bot open one.
   */
  reachable(personId: string, platform?: Platform): Promise<boolean>;
  /** Replace every triage card already posted for the request, for everyone. */
  updateTriageCards(requestId: string, card: CardRef): Promise<DeliveryOutcome>;
}

/** Links to things the bot serves itself (signed, short-lived, for one person). */
export interface Links {
  /** A party's calendar invite for a session. */
  invite(sessionId: string, personId: string): string;
}

export interface FlowDeps {
  db: Db;
  clock: Clock;
  outbox: Outbox;
  logger: Logger;
  links: Links;
}

/** A refusal because the card was out of date, carrying the card as it is now. */
export class StaleCardError extends DomainError {
  constructor(readonly currentCard: CardRef) {
    super('STALE_CARD', 'That card was out of date. It now shows the request as it is; please try again.');
  }
}

/**
 * A refusal answered with the form again: everything the person entered kept, the reason on it,
 * and any way forward as a button (for a time that does not exist, the time to use instead).
 * What that button submits goes through the same checks as the form. `inPlace`: the form was the
 * card acted on, and the answer replaces it; otherwise (a form inside another card, such as the
 * request's details) that card stays as it is and the form comes as a new message.
 */
export class FormRefusal extends DomainError {
  constructor(
    refusal: DomainError,
    readonly form: CardRef,
    readonly inPlace: boolean,
  ) {
    super(refusal.code, refusal.userMessage);
  }
}
