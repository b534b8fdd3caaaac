// Delivering one reminder: a plain function of the database, a sender and a clock, tested
// without Redis. The worker (worker.ts) only turns its results and errors into BullMQ terms.
//
// Guarantees, with PostgreSQL as the source of truth:
// - at most one SENT per reminder: the SENT mark is a single UPDATE guarded by
//   status = PENDING, so of two workers racing, one marks and the other sees a duplicate;
//   a row already SENT, CANCELLED or FAILED is never sent again;
// - never silently dropped: a failure either is retried (the error is rethrown for BullMQ, with
//   attempts and lastError stored) or, on the last attempt, leaves the row FAILED with failedAt,
//   which administrators see;
// - a reminder whose subject is gone is CANCELLED without sending;
// - a reminder that is not urgent never goes out inside its recipient's quiet hours, checked at
//   the moment of sending (a catch-up after downtime, a retry, a nudge created late): it is
//   deferred to the end of them (sendAt moved, the job delayed, no attempt used).
// The one window left is a crash after the platform accepted the message and before the SENT
// mark commits: the retry sends again. Closing it would need the platform to dedupe on the
// reminder id.
import { UnrecoverableError } from 'bullmq';
import type { Db } from '../db/client.js';
import type { Reminder } from '../db/generated/client.js';
import type { Logger } from '../logger.js';
import { isReminderSubjectType } from '../domain/reminder-policy.js';
import { applyQuietHours } from '../domain/quiet-hours.js';
import { describeError } from '../channels/outbox.js';
import { SendDeferredError } from '../channels/rate-limit.js';

export interface SendResult {
  platform: 'TEAMS' | 'SLACK';
  messageId: string;
}

export interface DeliverDeps {
  db: Db;
  /** Posts the reminder to its recipient. Throw RecipientUnreachableError when there is no conversation. */
  send: (reminder: Reminder) => Promise<SendResult>;
  /** False when the subject (session, action point, request…) no longer exists or no longer needs it. */
  isSubjectLive: (reminder: Reminder) => Promise<boolean>;
  clock: { now(): Date };
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface DeliveryAttempt {
  /** Attempts that failed before this one (BullMQ's job.attemptsMade). */
  attemptsMade: number;
  /** Attempts allowed in all (the job's opts.attempts). */
  maxAttempts: number;
}

export type DeliveryOutcome =
  | 'sent'
  /** The row was already SENT, CANCELLED or FAILED, or another worker marked it first. */
  | 'duplicate-avoided'
  | 'cancelled'
  /** The last attempt failed: the row is FAILED. */
  | 'failed'
  /** No such row (its organisation was deleted): nothing to do. */
  | 'missing';

/** The recipient cannot be reached (no conversation reference): retrying will not help. */
export class RecipientUnreachableError extends Error {
  override name = 'RecipientUnreachableError';
}

/**
 * The platform asked us to wait (HTTP 429 with Retry-After). Thrown by deliverReminder after
 * storing attempts and lastError; the worker delays this job by retryAfterMs (plus jitter)
 * without using one of its attempts. Only this job waits: the limits are per conversation and
 * per tenant, and the shared limiter (rate-limit.ts) already holds back the other sends to the
 * same conversation.
 */
export class DeliveryRateLimitedError extends Error {
  override name = 'DeliveryRateLimitedError';
  constructor(readonly retryAfterMs: number) {
    super(`rate limited for ${retryAfterMs} ms`);
  }
}

/** Tries answered 429 that a reminder may have beyond its attempts before it ends FAILED. */
export const RATE_LIMITED_EXTRA_TRIES = 20;

function retryAfterMsOf(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // UNSAFE_SERVICE_URL: a stored Teams reference the bot may not call (service-url.ts).
  return error instanceof RecipientUnreachableError || code === 'NO_CONVERSATION' || code === 'UNSAFE_SERVICE_URL';
}

/** When a non-urgent reminder to this person may go out if it is sent at `now`: null when now is outside their quiet hours. */
async function quietHoursEnd(db: Db, reminder: Reminder, now: Date): Promise<Date | null> {
  if (reminder.urgent || !reminder.recipientId) return null;
  const person = await db.person.findUnique({
    where: { id: reminder.recipientId },
    select: { timeZone: true, quietHoursStart: true, quietHoursEnd: true, organisation: { select: { timeZone: true } } },
  });
  if (!person?.quietHoursStart || !person.quietHoursEnd) return null;
  const sendAt = applyQuietHours(
    now,
    { timeZone: person.timeZone ?? person.organisation.timeZone, quietHoursStart: person.quietHoursStart, quietHoursEnd: person.quietHoursEnd },
    false,
  );
  return sendAt.getTime() > now.getTime() ? sendAt : null;
}

export async function deliverReminder(deps: DeliverDeps, reminderId: string, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
  const { db, logger, clock } = deps;
  const reminder = await db.reminder.findUnique({ where: { id: reminderId } });
  if (!reminder) {
    logger.warn({ reminderId }, 'reminder missing');
    return 'missing';
  }
  const facts = { reminderId, kind: reminder.kind };
  if (reminder.status !== 'PENDING') {
    logger.info({ ...facts, status: reminder.status }, 'reminder duplicate avoided');
    return 'duplicate-avoided';
  }

  if (!isReminderSubjectType(reminder.subjectType)) {
    // A row this code cannot judge (written by a newer version, or by hand): surfaced to
    // administrators as FAILED, never cancelled as if its subject were gone.
    const { count } = await db.reminder.updateMany({
      where: { id: reminderId, status: 'PENDING' },
      data: { status: 'FAILED', failedAt: clock.now(), lastError: 'unknown subject type' },
    });
    logger.error({ ...facts, subjectType: reminder.subjectType }, count === 1 ? 'reminder failed: unknown subject type' : 'reminder duplicate avoided');
    return count === 1 ? 'failed' : 'duplicate-avoided';
  }

  if (!(await deps.isSubjectLive(reminder))) {
    const { count } = await db.reminder.updateMany({
      where: { id: reminderId, status: 'PENDING' },
      data: { status: 'CANCELLED' },
    });
    logger.info(facts, count === 1 ? 'reminder cancelled: subject gone' : 'reminder duplicate avoided');
    return count === 1 ? 'cancelled' : 'duplicate-avoided';
  }

  const now = clock.now();
  const quietUntil = await quietHoursEnd(db, reminder, now);
  if (quietUntil) {
    // Not a failure: the row keeps its place in the queue at the end of the quiet hours
    // (reconcile re-creates the job from sendAt if Redis loses it).
    await db.reminder.updateMany({ where: { id: reminderId, status: 'PENDING' }, data: { sendAt: quietUntil } });
    logger.info({ ...facts, sendAt: quietUntil.toISOString() }, 'reminder deferred: recipient in quiet hours');
    throw new SendDeferredError(quietUntil.getTime() - now.getTime());
  }

  let result: SendResult;
  try {
    result = await deps.send(reminder);
  } catch (error) {
    if (error instanceof SendDeferredError) throw error;
    const lastError = describeError(error);
    const retryAfterMs = retryAfterMsOf(error);
    // A 429 uses none of the job's attempts (the worker delays the job instead), so it is
    // bounded by the tries stored on the row: a platform that never stops refusing ends FAILED.
    const isLast =
      retryAfterMs !== undefined
        ? reminder.attempts + 1 >= attempt.maxAttempts + RATE_LIMITED_EXTRA_TRIES
        : attempt.attemptsMade + 1 >= attempt.maxAttempts;
    if (isUnreachable(error) || isLast) {
      await db.reminder.updateMany({
        where: { id: reminderId, status: 'PENDING' },
        data: { status: 'FAILED', failedAt: clock.now(), attempts: { increment: 1 }, lastError },
      });
      logger.error({ ...facts, err: lastError, attempt: attempt.attemptsMade + 1 }, 'reminder failed');
      if (isUnreachable(error)) throw new UnrecoverableError(`reminder recipient unreachable: ${lastError}`);
      return 'failed';
    }
    await db.reminder.updateMany({
      where: { id: reminderId, status: 'PENDING' },
      data: { attempts: { increment: 1 }, lastError },
    });
    logger.warn({ ...facts, err: lastError, attempt: attempt.attemptsMade + 1, retryAfterMs }, 'reminder send failed, will retry');
    if (retryAfterMs !== undefined) throw new DeliveryRateLimitedError(retryAfterMs);
    throw error;
  }

  // One conditional UPDATE: atomic, and only the first of two racing workers matches it.
  const { count } = await db.reminder.updateMany({
    where: { id: reminderId, status: 'PENDING' },
    data: {
      status: 'SENT',
      platform: result.platform,
      platformMessageId: result.messageId,
      sentAt: clock.now(),
      attempts: { increment: 1 },
      lastError: null,
    },
  });
  if (count === 0) {
    logger.warn(facts, 'reminder sent but already marked by another worker');
    return 'duplicate-avoided';
  }
  logger.info({ ...facts, platform: result.platform }, 'reminder sent');
  return 'sent';
}
