// "failed reminders": administrators see the reminders that could not be delivered (the
// recipient was unreachable, or every attempt failed) and retry them. No reminder content is
// shown: kind, recipient, due time, attempts and the error's class only.
//
// A retry changes PostgreSQL only (the source of truth): the row goes back to PENDING, due now
// (or at the end of the recipient's quiet hours), and the scheduler's next sweep queues it,
// within about a minute. The web process needs no handle on the queue for that.
import { DateTime } from 'luxon';
import type { ReminderKind } from '../db/generated/client.js';
import { recordAudit } from '../db/audit.js';
import { DomainError } from '../domain/errors.js';
import { canManageFailedReminders } from '../domain/permissions.js';
import { isId } from '../domain/ids.js';
import { applyQuietHours } from '../domain/quiet-hours.js';
import { NONE } from './labels.js';
import { spoolReference } from './urgent-spool.js';
import { FIRST_TRY_LEASE_MS, type CardRef, type FlowDeps, type TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

export const FAILED_REMINDERS_COMMAND = /^(?:failed|unreachable|undelivered) reminders$/;

/** How many failed reminders the card lists, most recent failure first. */
export const FAILED_REMINDERS_LIMIT = 20;

export const REMINDER_KIND_LABELS: Record<ReminderKind, string> = {
  SESSION_DAY_BEFORE: 'Session (day before)',
  SESSION_HOUR_BEFORE: 'Session (hour before)',
  MANDATORY_DUE: 'Mandatory supervision due',
  MANDATORY_OVERDUE: 'Mandatory supervision overdue',
  ACTION_DUE_SOON: 'Action point due soon',
  ACTION_DUE: 'Action point due',
  ACTION_OVERDUE: 'Action point overdue',
  RECORD_OVERDUE: 'Record overdue',
  REQUEST_UNCLAIMED: 'Unclaimed request',
  REQUEST_ESCALATED: 'Unclaimed request escalated',
  AGREEMENT_UNSIGNED: 'Agreement not signed',
  CONTRACT_REVIEW: 'Contract review',
  REBOOK_AFTER_CANCELLATION: 'Rebook after cancellation',
  LINE_MANAGER_NON_ATTENDANCE: 'Line manager: non-attendance',
  LINE_MANAGER_OVERDUE: 'Line manager: supervision overdue',
};

const MESSAGE_KIND_LABELS: Record<string, string> = {
  person: 'Message to a person',
  'triage-post': 'Triage card',
  'triage-update': 'Triage card update',
};

/** lastError holds an error's name and status only (deliver-reminder.ts); say the usual ones plainly. */
export function describeFailure(lastError: string | null): string {
  if (!lastError) return NONE;
  if (lastError.startsWith('RecipientUnreachableError')) return 'Unreachable: the recipient has no chat with the bot yet';
  if (/status=429/.test(lastError)) return `Rate limited by the platform (${lastError})`;
  if (/status=5\d\d/.test(lastError)) return `Platform error (${lastError})`;
  return lastError;
}

function assertAdministrator(actor: Actor): void {
  if (!canManageFailedReminders(actor)) {
    throw new DomainError('NOT_PERMITTED', 'Only an administrator can see and retry failed reminders.');
  }
}

async function failedRemindersCard(deps: FlowDeps, actor: Actor): Promise<CardRef> {
  const where = { organisationId: actor.organisationId, status: 'FAILED' as const };
  const [rows, total] = await Promise.all([
    deps.db.reminder.findMany({
      where,
      select: { id: true, kind: true, dueAt: true, attempts: true, lastError: true, recipientKey: true, recipient: { select: { name: true } } },
      orderBy: [{ failedAt: 'desc' }, { id: 'asc' }],
      take: FAILED_REMINDERS_LIMIT,
    }),
    deps.db.reminder.count({ where }),
  ]);
  await recordAudit(deps.db, {
    at: deps.clock.now(),
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'reminders.failed-listed',
    subjectType: 'organisation',
    subjectId: actor.organisationId,
    platform: actor.platform,
    detail: { listed: rows.length, total },
  });
  const due = (d: Date) => DateTime.fromJSDate(d, { zone: actor.timeZone }).setLocale('en-GB').toFormat('d LLL yyyy HH:mm');
  // Messages other than reminders (advice, triage cards, notices) that failed for good: the label
  // names what it was ("the advice on SGS-…"), never its content.
  const messages = await deps.db.outboundMessage.findMany({
    where: { organisationId: actor.organisationId, status: 'FAILED' },
    select: { id: true, kind: true, label: true, personId: true, attempts: true, lastError: true, failedAt: true },
    orderBy: [{ failedAt: 'desc' }, { id: 'asc' }],
    take: FAILED_REMINDERS_LIMIT,
  });
  // Urgent reports kept during a database outage that could not be recorded (urgent-replay.ts):
  // their reference, sender and why; the words stay with the record, not on this card.
  const held = await deps.db.spooledReport.findMany({
    where: { organisationId: actor.organisationId, status: 'HELD' },
    select: { id: true, platform: true, platformUserId: true, receivedAt: true, reason: true },
    orderBy: { receivedAt: 'desc' },
    take: FAILED_REMINDERS_LIMIT,
  });
  const names = new Map(
    (await deps.db.person.findMany({ where: { id: { in: messages.flatMap((m) => (m.personId ? [m.personId] : [])) } }, select: { id: true, name: true } })).map((p) => [p.id, p.name]),
  );
  return {
    template: 'failed-reminders',
    data: {
      count: rows.length,
      total,
      more: total > rows.length,
      reminders: rows.map((r) => ({
        reminderId: r.id,
        kind: REMINDER_KIND_LABELS[r.kind],
        recipient: r.recipient?.name ?? (r.recipientKey.startsWith('triage:') ? 'Triage channel' : NONE),
        due: due(r.dueAt),
        attempts: String(r.attempts),
        error: describeFailure(r.lastError),
      })),
      messageCount: messages.length,
      messages: messages.map((m) => ({
        messageId: m.id,
        what: m.label ?? MESSAGE_KIND_LABELS[m.kind] ?? 'Message',
        recipient: m.personId ? (names.get(m.personId) ?? NONE) : 'Triage channel',
        failed: m.failedAt ? due(m.failedAt) : NONE,
        attempts: String(m.attempts),
        error: describeFailure(m.lastError),
      })),
      heldCount: held.length,
      held: held.map((h) => ({
        reference: spoolReference(h.id),
        sender: `${h.platform === 'TEAMS' ? 'Teams' : 'Slack'} user ${h.platformUserId}`,
        received: due(h.receivedAt),
        reason: h.reason ?? NONE,
      })),
    },
  };
}

export async function showFailedReminders(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  assertAdministrator(actor);
  return { replies: [{ card: await failedRemindersCard(deps, actor) }] };
}

/** "Retry" on one failed reminder: back to PENDING, due now (or after quiet hours); the sweep re-queues it. */
export async function retryFailedReminder(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertAdministrator(actor);
  const reminder = isId(value.reminderId)
    ? await deps.db.reminder.findFirst({
        where: { id: value.reminderId, organisationId: actor.organisationId },
        select: {
          id: true,
          kind: true,
          status: true,
          urgent: true,
          attempts: true,
          recipient: { select: { timeZone: true, quietHoursStart: true, quietHoursEnd: true, organisation: { select: { timeZone: true } } } },
        },
      })
    : null;
  if (!reminder) throw new DomainError('NOT_FOUND', "I can't find that reminder. The card may be out of date.");
  const alreadyDone = "That reminder is no longer failed: it has already been retried or sent. Type \"failed reminders\" for the current list.";
  if (reminder.status !== 'FAILED') throw new DomainError('STALE_CARD', alreadyDone);

  const now = deps.clock.now();
  const person = reminder.recipient;
  const sendAt = person
    ? applyQuietHours(now, { timeZone: person.timeZone ?? person.organisation.timeZone, quietHoursStart: person.quietHoursStart, quietHoursEnd: person.quietHoursEnd }, reminder.urgent)
    : now;
  await deps.db.$transaction(async (tx) => {
    // Guarded by status, so two administrators retrying at once reset it once. lastError stays
    // (with attempts 0 it marks the row as retried: src/scheduler/release-retried.ts).
    const { count } = await tx.reminder.updateMany({
      where: { id: reminder.id, organisationId: actor.organisationId, status: 'FAILED' },
      data: { status: 'PENDING', sendAt, attempts: 0, failedAt: null },
    });
    if (count === 0) throw new DomainError('STALE_CARD', alreadyDone);
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'reminder.retried',
      subjectType: 'reminder',
      subjectId: reminder.id,
      platform: actor.platform,
      detail: { kind: reminder.kind, previousAttempts: reminder.attempts },
    });
  });
  const when =
    sendAt.getTime() > now.getTime()
      ? `after the recipient's quiet hours (${DateTime.fromJSDate(sendAt, { zone: actor.timeZone }).setLocale('en-GB').toFormat('d LLL HH:mm')})`
      : 'within about a minute, at the scheduler’s next sweep';
  return {
    replies: [],
    notice: `${REMINDER_KIND_LABELS[reminder.kind]} reminder queued again: it will be sent ${when}. If it fails again it comes back to this list.`,
    updatedCard: await failedRemindersCard(deps, actor),
  };
}

/** "Retry" on one message that failed for good: back to PENDING, due now; the workers try it within seconds. */
export async function retryFailedMessage(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertAdministrator(actor);
  const message = isId(value.messageId)
    ? await deps.db.outboundMessage.findFirst({ where: { id: value.messageId, organisationId: actor.organisationId }, select: { id: true, kind: true, label: true, status: true, attempts: true } })
    : null;
  if (!message) throw new DomainError('NOT_FOUND', "I can't find that message. The card may be out of date.");
  const alreadyDone = 'That message is no longer failed: it has already been retried or sent. Type "failed reminders" for the current list.';
  if (message.status !== 'FAILED') throw new DomainError('STALE_CARD', alreadyDone);
  const now = deps.clock.now();
  await deps.db.$transaction(async (tx) => {
    // Guarded by status, so two administrators retrying at once reset it once.
    const { count } = await tx.outboundMessage.updateMany({
      where: { id: message.id, organisationId: actor.organisationId, status: 'FAILED' },
      // Leased to this process for its first try, as a new message is (outbox.ts); the workers take it if that fails.
      data: { status: 'PENDING', attempts: 0, nextAttemptAt: new Date(now.getTime() + FIRST_TRY_LEASE_MS), failedAt: null },
    });
    if (count === 0) throw new DomainError('STALE_CARD', alreadyDone);
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'message.retried',
      subjectType: 'message',
      subjectId: message.id,
      platform: actor.platform,
      detail: { kind: message.kind, previousAttempts: message.attempts },
    });
  });
  await deps.outbox.send([message.id]);
  const what = message.label ?? MESSAGE_KIND_LABELS[message.kind] ?? 'The message';
  return {
    replies: [],
    notice: `${what.charAt(0).toUpperCase()}${what.slice(1)}: queued again and being tried now. If it fails again it comes back to this list.`,
    updatedCard: await failedRemindersCard(deps, actor),
  };
}
