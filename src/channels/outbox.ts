import type { Db } from '../db/client.js';
import { personalConversation } from '../db/conversations.js';
import type { Prisma } from '../db/generated/client.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../domain/time.js';
import { FIRST_TRY_LEASE_MS, type CardRef, type OutboxOptions, type OutMessage, type Outbox } from '../flows/types.js';
import type { Platform } from '../domain/actor.js';
import { createMessageDelivery, type MessageOutcome } from './message-delivery.js';

export { FIRST_TRY_LEASE_MS };

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

export interface BackgroundOutbox extends Outbox {
  /** Resolves once every first try started so far has ended (tests, and a clean shutdown). */
  settled(): Promise<void>;
}

/**
 * Delivery to people and triage channels on whichever platform they use. Every message is first
 * written as an OutboundMessage row (inside the change's transaction with `stage`, else just after
 * it committed); its first try then starts in the background, so the turn that caused it answers
 * without waiting for Teams or Slack. A try that fails leaves the row for the workers to retry
 * (message-delivery.ts), and a process that dies first leaves it to them when its lease ends:
 * nothing that should be said is lost. Calls answer 'queued' (written, on its way), never "sent"
 * before it is.
 */
/** A card reference as the JSON column holds it (CardRef's fields are JSON, its interface has no index signature). */
const asJson = (value: { card: CardRef }): Prisma.InputJsonValue => value as unknown as Prisma.InputJsonValue;

export function createOutbox(deps: { db: Db; senders: ChannelSender[]; logger: Logger; clock?: Clock }): BackgroundOutbox {
  const clock = deps.clock ?? systemClock;
  const { db, logger } = deps;
  const delivery = createMessageDelivery({ db, senders: deps.senders, logger, clock });

  type Row = Omit<Prisma.OutboundMessageUncheckedCreateInput, 'nextAttemptAt' | 'createdAt'>;
  /** The recipient (and request) of each person row written here and not yet tried, and the last try started per recipient and request. */
  const recipientOf = new Map<string, string>();
  const tryingFor = new Map<string, Promise<void>>();

  /** Writes the rows with `client` (a transaction's, to commit with the change), leased to this process for its first try. */
  async function write(client: Pick<Prisma.TransactionClient, 'outboundMessage'>, rows: Row[]): Promise<string[]> {
    const now = clock.now();
    const lease = new Date(now.getTime() + FIRST_TRY_LEASE_MS);
    const ids: string[] = [];
    for (const data of rows) {
      const { id } = await client.outboundMessage.create({ data: { ...data, nextAttemptAt: lease, createdAt: now }, select: { id: true } });
      if (data.kind === 'person' && data.personId) recipientOf.set(id, `${data.personId}:${data.requestId ?? ''}`);
      ids.push(id);
    }
    return ids;
  }

  const inFlight = new Set<Promise<void>>();

  /**
   * The first try of rows this process wrote (and holds the lease of), in order, in the
   * background: the caller does not wait for the platform.
   */
  function startTries(ids: string[]): MessageOutcome[] {
    if (ids.length === 0) return [];
    const run = (async () => {
      for (const id of ids) {
        // One person's messages about a request go in the order they were written
        // (message-delivery.ts): a try waits for this process's tries of the earlier ones.
        const personId = recipientOf.get(id);
        recipientOf.delete(id);
        const before = personId ? tryingFor.get(personId) : undefined;
        const attempt = (before ?? Promise.resolve())
          .then(() => delivery.deliver(id, { leased: true }))
          .then(
            () => undefined,
            (error: unknown) => {
              // The row stays PENDING and the workers take it when its lease ends.
              logger.error({ messageId: id, err: errorFacts(error) }, 'message try failed');
            },
          );
        if (personId) {
          tryingFor.set(personId, attempt);
          void attempt.then(() => {
            if (tryingFor.get(personId) === attempt) tryingFor.delete(personId);
          });
        }
        await attempt;
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return ids.map(() => 'queued' as const);
  }

  // Rows written just after their change committed: each stands alone, so no transaction is needed.
  const writeAndTry = async (rows: Row[]) => startTries(await write(db, rows));

  const personRow = async (client: Pick<Prisma.TransactionClient, 'person'>, personId: string, message: OutMessage, options: OutboxOptions): Promise<Row | null> => {
    const person = await client.person.findUnique({ where: { id: personId }, select: { organisationId: true } });
    if (!person) return null;
    return {
      organisationId: person.organisationId,
      kind: 'person',
      personId,
      platform: options.platform ?? null,
      existingOnly: options.existingOnly ?? false,
      conversationId: options.conversationId ?? null,
      replaces: options.replaces ?? null,
      requestId: options.about ?? null,
      message: message as object,
      label: options.label ?? null,
      causedById: options.causedBy ?? null,
    };
  };

  const triagePostRows = async (client: Pick<Prisma.TransactionClient, 'triageChannel'>, organisationId: string, requestId: string, card: CardRef): Promise<Row[]> => {
    const channels = await client.triageChannel.findMany({ where: { organisationId } });
    if (channels.length === 0) logger.warn({ organisationId, requestId }, 'no triage channel bound: request recorded but not posted');
    return channels.map((channel) => ({ organisationId, kind: 'triage-post', requestId, conversationId: channel.conversationId, message: asJson({ card }) }));
  };

  /** The overall outcome of several rows: queued if any was written. */
  const overall = (outcomes: MessageOutcome[]): MessageOutcome => outcomes[0] ?? 'cancelled';

  return {
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },

    async toPerson(personId, message, options = {}) {
      const row = await personRow(db, personId, message, options);
      if (!row) {
        logger.warn({ personId }, 'message to a person not in the directory dropped');
        return 'cancelled';
      }
      return overall(await writeAndTry([row]));
    },

    async reachable(personId, platform) {
      const openable = deps.senders.some((s) => s.openPersonal && (!platform || s.platform === platform));
      if (openable) return true;
      return (await personalConversation(db, personId, platform, deps.senders.map((s) => s.platform))) !== null;
    },

    async stage(tx, messages) {
      const rows: Row[] = [];
      for (const m of messages) {
        if (m.to === 'person') {
          const row = await personRow(tx, m.personId, m.message, m.options ?? {});
          if (row) rows.push(row);
        } else {
          rows.push(...(await triagePostRows(tx, m.organisationId, m.requestId, m.card)));
        }
      }
      return write(tx, rows);
    },

    async send(ids) {
      return overall(startTries(ids));
    },

    async updateTriageCards(requestId: string, card: CardRef) {
      const request = await db.supervisionRequest.findUnique({ where: { id: requestId }, select: { organisationId: true } });
      if (!request) return 'cancelled';
      const channels = await db.triageChannel.findMany({ where: { organisationId: request.organisationId } });
      // Earlier states of the same card not yet sent are superseded: only the latest is worth sending.
      await db.outboundMessage.updateMany({
        where: { kind: 'triage-update', requestId, status: 'PENDING', nextAttemptAt: { lte: clock.now() } },
        data: { status: 'CANCELLED', lastError: 'superseded' },
      });
      return overall(
        await writeAndTry(
          channels.map((channel) => ({ organisationId: request.organisationId, kind: 'triage-update', requestId, conversationId: channel.conversationId, message: asJson({ card }) })),
        ),
      );
    },
  };
}

/** What is stored in lastError: the error's name and status/code, never a message or body. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'non-error thrown';
  const e = error as { statusCode?: unknown; status?: unknown; code?: unknown };
  const status = e.statusCode ?? e.status;
  const parts = [error.name];
  if (typeof status === 'number' || typeof status === 'string') parts.push(`status=${status}`);
  if (typeof e.code === 'number' || typeof e.code === 'string') parts.push(`code=${e.code}`);
  return parts.join(' ').slice(0, 200);
}

/** Error facts safe to log: name, message and status, never request bodies. */
export function errorFacts(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: 'non-error thrown' };
  // Prisma's messages can quote the arguments of the failed query (which may be
  // confidential text); its code says enough.
  if (error.name.startsWith('Prisma')) {
    const code = (error as { code?: string }).code;
    return { name: error.name, code, ...(code === 'P2028' ? { transaction: transactionFailure(error) } : {}) };
  }
  const status = (error as { statusCode?: number }).statusCode ?? (error as { status?: number }).status;
  return { name: error.name, message: error.message, ...(status ? { status } : {}) };
}

/**
 * Which of Prisma's interactive-transaction failures (P2028) it was, read from Prisma's own
 * wording (which carries no data): a turn that could not get a pooled connection in time is a
 * different problem (too few connections, a burst) from one that ran past its timeout (slow
 * queries, a starved machine).
 */
function transactionFailure(error: Error): string {
  const meta = (error as { meta?: { timeout?: unknown; timeTaken?: unknown } }).meta;
  if (error.message.includes('Unable to start a transaction in the given time')) return 'not started in time (no pooled connection)';
  if (error.message.includes('expired transaction')) {
    const taken = typeof meta?.timeTaken === 'number' ? `, ${meta.timeTaken} ms of ${String(meta.timeout)} ms` : '';
    return `expired (ran past its timeout${taken})`;
  }
  if (error.message.includes('Transaction already closed')) return 'already closed';
  return 'other';
}
