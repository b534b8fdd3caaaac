// Sends a reminder (deliverDeps.send) and checks its subject is still live (deliverDeps.isSubjectLive).
// Cards are built in reminder-cards.ts (short, no confidential content).
//
// A newer reminder about the same thing replaces the earlier card instead of piling up: every
// reminder card posted is recorded as a PostedCard (subject of the reminder, purpose
// "reminder:<recipientKey>"); when the next one about the same subject to the same recipient is
// posted, the earlier message is updated in place (Teams updateActivity, Slack chat.update) to a
// one-line "replaced" card and its row's purpose becomes "reminder-replaced:<recipientKey>".
// The new reminder is posted as a new message rather than edited into the old one, because an
// edit notifies nobody and the old message may be far up the chat. Nothing after the platform
// accepted the new message may throw (a retry would send it twice), so recording and replacing
// only log their failures; the SENT mark with the message id stays deliverReminder's one update.
import type { ChannelSender } from '../channels/outbox.js';
import { errorFacts } from '../channels/outbox.js';
import { personalConversation } from '../db/conversations.js';
import type { Db } from '../db/client.js';
import type { Reminder } from '../db/generated/client.js';
import { orgSettingsSchema } from '../domain/org-settings.js';
import { AWAITING_RECORD_STATUSES, mandatoryCadenceReminders, parseSessionAttendeeSubject, personRecipient, stillProduced, type ReminderSubjectType } from '../domain/reminder-policy.js';
import type { Logger } from '../logger.js';
import { RecipientUnreachableError, type SendResult } from './deliver-reminder.js';
import { REPLACED_CARD, createReminderCards } from './reminder-cards.js';
import { loadPersonCadence, rebookedSessionIds } from './reminder-facts.js';
import { openPersonalChat } from '../channels/message-delivery.js';

export interface ReminderSenderDeps {
  db: Db;
  senders: ChannelSender[];
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock: { now(): Date };
}

const TRIAGE = 'triage:';

/** The PostedCard purpose of the live reminder card to one recipient, and of a replaced one. */
export function reminderPurpose(recipientKey: string): string {
  return `reminder:${recipientKey}`;
}
export function replacedReminderPurpose(recipientKey: string): string {
  return `reminder-replaced:${recipientKey}`;
}

export function createReminderSender(deps: ReminderSenderDeps) {
  const { db, logger } = deps;
  const { clock } = deps;
  const senders = new Map(deps.senders.map((s) => [s.platform, s]));
  const cardFor = createReminderCards(db, clock);

  async function conversationFor(reminder: Reminder) {
    if (reminder.recipientKey.startsWith(TRIAGE)) {
      const organisationId = reminder.recipientKey.slice(TRIAGE.length);
      const channels = await db.triageChannel.findMany({ where: { organisationId }, orderBy: { boundAt: 'desc' } });
      for (const channel of channels) {
        if (!senders.has(channel.platform)) continue;
        const conversation = await db.conversationReference.findUnique({
          where: { platform_conversationId: { platform: channel.platform, conversationId: channel.conversationId } },
        });
        if (conversation) return conversation;
      }
      return null;
    }
    if (!reminder.recipientId) return null;
    for (const platform of senders.keys()) {
      const found = await personalConversation(db, reminder.recipientId, platform);
      if (found) return found;
    }
    // Someone who never wrote to the bot: open the chat where the platform allows it.
    return openPersonalChat({ db, senders: [...senders.values()], clock }, reminder.recipientId, null);
  }

  /** Records the card just posted and turns the earlier live card(s) about the same thing into "replaced". */
  async function recordAndReplace(reminder: Reminder, posted: { platform: 'TEAMS' | 'SLACK'; conversationId: string; messageId: string }) {
    const purpose = reminderPurpose(reminder.recipientKey);
    const earlier = await db.postedCard.findMany({
      where: { subjectType: reminder.subjectType, subjectId: reminder.subjectId, purpose },
      orderBy: { createdAt: 'asc' },
    });
    await db.postedCard.create({
      data: { subjectType: reminder.subjectType, subjectId: reminder.subjectId, purpose, ...posted },
    });
    for (const card of earlier) {
      if (card.platform === posted.platform && card.conversationId === posted.conversationId && card.messageId === posted.messageId) continue;
      try {
        const sender = senders.get(card.platform);
        const conversation = sender
          ? await db.conversationReference.findUnique({ where: { platform_conversationId: { platform: card.platform, conversationId: card.conversationId } } })
          : null;
        if (sender && conversation) await sender.update(conversation, card.messageId, { card: REPLACED_CARD });
        await db.postedCard.update({ where: { id: card.id }, data: { purpose: replacedReminderPurpose(reminder.recipientKey) } });
      } catch (error) {
        logger.warn({ reminderId: reminder.id, platform: card.platform, err: errorFacts(error) }, 'earlier reminder card not replaced');
      }
    }
  }

  async function isAgreementLive(reminder: Reminder): Promise<boolean> {
    const a = await db.agreement.findUnique({
      where: { id: reminder.subjectId },
      select: {
        status: true,
        template: { select: { kind: true, version: true } },
        parties: { select: { personId: true, person: { select: { active: true } } } },
        signatures: { select: { personId: true, signedVersion: true } },
      },
    });
    const party = a?.parties.find((p) => p.personId === reminder.recipientId);
    if (!a || !party?.person.active) return false;
    if (reminder.kind === 'CONTRACT_REVIEW') return a.status === 'SIGNED' && a.template.kind === 'CONTRACT';
    // AGREEMENT_UNSIGNED: still awaiting signatures and this party has not signed the current text.
    return a.status === 'AWAITING_SIGNATURES' && !a.signatures.some((s) => s.personId === reminder.recipientId && s.signedVersion === a.template.version);
  }

  async function isCancelledSessionLive(reminder: Reminder): Promise<boolean> {
    const s = await db.session.findUnique({
      where: { id: reminder.subjectId },
      select: { id: true, status: true, format: true, cancelledAt: true, cancelledById: true, rebookBy: true, supervisorId: true, requestId: true, attendees: { select: { personId: true } } },
    });
    if (!s || s.status !== 'CANCELLED' || !s.cancelledAt || s.cancelledById !== reminder.recipientId) return false;
    if (s.rebookBy && s.rebookBy.getTime() <= clock.now().getTime()) return false;
    const rebooked = await rebookedSessionIds(db, [
      { id: s.id, format: s.format, cancelledAt: s.cancelledAt, supervisorId: s.supervisorId, requestId: s.requestId, attendeeIds: s.attendees.map((a) => a.personId) },
    ]);
    return !rebooked.has(s.id);
  }

  /** RECORD_OVERDUE about a session: it took place, the recipient supervised it, and its record is missing or a draft. */
  async function isSessionRecordDue(reminder: Reminder): Promise<boolean> {
    const s = await db.session.findUnique({
      where: { id: reminder.subjectId },
      select: { status: true, supervisorId: true, records: { where: { kind: 'SESSION' }, select: { status: true } } },
    });
    if (!s || !AWAITING_RECORD_STATUSES.includes(s.status) || s.supervisorId !== reminder.recipientId) return false;
    return s.records.every((r) => r.status === 'DRAFT');
  }

  async function isCadenceLive(reminder: Reminder): Promise<boolean> {
    // Still overdue (or due): the policy, on the facts as they are now, still produces this
    // reminder. An attended session since moves the due date; a new line manager changes the recipient.
    const facts = await loadPersonCadence(db, reminder.subjectId);
    if (!facts) return false;
    const parsed = orgSettingsSchema.safeParse(facts.settings ?? {});
    const settings = parsed.success ? parsed.data : orgSettingsSchema.parse({});
    return stillProduced(reminder, (horizon) => mandatoryCadenceReminders(facts.person, facts.requirement, settings, facts.zone ?? '', horizon));
  }

  async function isNonAttendanceLive(reminder: Reminder): Promise<boolean> {
    const subject = parseSessionAttendeeSubject(reminder.subjectId);
    if (!subject) return false;
    const attendee = await db.sessionAttendee.findUnique({
      where: { sessionId_personId: subject },
      select: { attendance: true, person: { select: { active: true, lineManager: { select: { id: true, active: true } } } } },
    });
    if (attendee?.attendance !== 'DID_NOT_ATTEND' || !attendee.person.active) return false;
    const lineManager = attendee.person.lineManager;
    if (!lineManager?.active) return false;
    if (reminder.recipientId === subject.personId) return true;
    // The line manager: still theirs, and only once the supervisee has been told.
    if (reminder.recipientId !== lineManager.id) return false;
    const told = await db.reminder.count({
      where: {
        subjectType: 'SessionAttendee',
        subjectId: reminder.subjectId,
        kind: 'LINE_MANAGER_NON_ATTENDANCE',
        recipientKey: personRecipient(subject.personId),
        status: 'SENT',
      },
    });
    return told > 0;
  }

  return {
    async send(reminder: Reminder): Promise<SendResult> {
      const conversation = await conversationFor(reminder);
      if (!conversation) throw new RecipientUnreachableError('no conversation for the recipient');
      const sender = senders.get(conversation.platform)!;
      const card = await cardFor(reminder);
      const messageId = await sender.send(conversation, { card });
      try {
        await recordAndReplace(reminder, { platform: conversation.platform, conversationId: conversation.conversationId, messageId });
      } catch (error) {
        logger.warn({ reminderId: reminder.id, err: errorFacts(error) }, 'reminder card not recorded');
      }
      return { platform: conversation.platform, messageId };
    },

    async isSubjectLive(reminder: Reminder): Promise<boolean> {
      const subjectType = reminder.subjectType as ReminderSubjectType; // deliverReminder checked it
      switch (subjectType) {
        case 'Session':
          if (reminder.kind === 'REBOOK_AFTER_CANCELLATION') return isCancelledSessionLive(reminder);
          if (reminder.kind === 'RECORD_OVERDUE') return isSessionRecordDue(reminder);
          return (await db.session.count({ where: { id: reminder.subjectId, status: 'CONFIRMED' } })) === 1;
        case 'ActionPoint':
          return (await db.actionPoint.count({ where: { id: reminder.subjectId, status: 'OPEN' } })) === 1;
        case 'SupervisionRecord':
          return (await db.supervisionRecord.count({ where: { id: reminder.subjectId, status: 'DRAFT' } })) === 1;
        case 'SupervisionRequest':
          return (await db.supervisionRequest.count({ where: { id: reminder.subjectId, status: 'OPEN', claimedById: null } })) === 1;
        case 'Agreement':
          return isAgreementLive(reminder);
        case 'Person':
          return isCadenceLive(reminder);
        case 'SessionAttendee':
          return isNonAttendanceLive(reminder);
        default: {
          const unknown: never = subjectType;
          throw new Error(`unknown reminder subject type ${String(unknown)}`);
        }
      }
    },
  };
}
