// Sends a reminder (deliverDeps.send) and checks its subject is still live (deliverDeps.isSubjectLive).
// Cards are short and carry no confidential content: an action point's description only goes to
// its owner or supervisor, never a request summary, never record content.
import { DateTime } from 'luxon';
import type { ChannelSender } from '../channels/outbox.js';
import { personalConversation } from '../db/conversations.js';
import type { Db } from '../db/client.js';
import type { Reminder } from '../db/generated/client.js';
import { personZone } from '../domain/quiet-hours.js';
import type { CardRef } from '../flows/types.js';
import type { Logger } from '../logger.js';
import { RecipientUnreachableError, type SendResult } from './deliver-reminder.js';

export interface ReminderSenderDeps {
  db: Db;
  senders: ChannelSender[];
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock?: { now(): Date };
}

const TRIAGE = 'triage:';

function localTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat('HH:mm');
}

function localDay(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat('cccc d LLLL');
}

function dayWord(instant: Date, now: Date, zone: string): string {
  const day = DateTime.fromJSDate(instant, { zone }).startOf('day');
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const diff = Math.round(day.diff(today, 'days').days);
  if (diff === 0) return 'today';
  if (diff === 1) return 'tomorrow';
  return `on ${localDay(instant, zone)}`;
}

export function createReminderSender(deps: ReminderSenderDeps) {
  const { db } = deps;
  const clock = deps.clock ?? { now: () => new Date() };
  const senders = new Map(deps.senders.map((s) => [s.platform, s]));

  async function recipientZone(reminder: Reminder): Promise<string> {
    const person = reminder.recipientId
      ? await db.person.findUnique({ where: { id: reminder.recipientId }, select: { timeZone: true, organisation: { select: { timeZone: true } } } })
      : null;
    return personZone({ timeZone: person?.timeZone ?? person?.organisation.timeZone ?? null });
  }

  async function cardFor(reminder: Reminder): Promise<CardRef> {
    const zone = await recipientZone(reminder);
    const card = (heading: string, text: string, detail = ''): CardRef => ({ template: 'reminder', data: { heading, text, detail } });
    switch (reminder.kind) {
      case 'SESSION_DAY_BEFORE':
      case 'SESSION_HOUR_BEFORE': {
        const s = await db.session.findUnique({ where: { id: reminder.subjectId }, select: { startsAt: true, supervisor: { select: { name: true } } } });
        const when = s?.startsAt ? `${dayWord(s.startsAt, clock.now(), zone)} at ${localTime(s.startsAt, zone)}` : 'soon';
        return card('Supervision reminder', `Supervision ${when} with ${s?.supervisor.name ?? 'your supervisor'}.`);
      }
      case 'ACTION_DUE_SOON':
      case 'ACTION_DUE':
      case 'ACTION_OVERDUE': {
        const p = await db.actionPoint.findUnique({
          where: { id: reminder.subjectId },
          select: { description: true, dueOn: true, ownerId: true, record: { select: { supervisorId: true } } },
        });
        const due = p ? DateTime.fromJSDate(p.dueOn, { zone: 'utc' }).toFormat('cccc d LLLL') : 'its date';
        const text =
          reminder.kind === 'ACTION_DUE_SOON'
            ? `Action point due on ${due}.`
            : reminder.kind === 'ACTION_DUE'
              ? `Action point due today (${due}).`
              : `Action point overdue: it was due on ${due}.`;
        const mayRead = p && (reminder.recipientId === p.ownerId || reminder.recipientId === p.record.supervisorId);
        return card('Action point reminder', text, mayRead ? p.description : '');
      }
      case 'RECORD_OVERDUE':
        return card('Supervision record', 'Your supervision record is overdue. Open the session card to complete it.');
      case 'REQUEST_UNCLAIMED':
      case 'REQUEST_ESCALATED': {
        const q = await db.supervisionRequest.findUnique({ where: { id: reminder.subjectId }, select: { reference: true, createdAt: true } });
        const minutes = q ? Math.max(0, Math.round((clock.now().getTime() - q.createdAt.getTime()) / 60_000)) : 0;
        return card(
          reminder.kind === 'REQUEST_UNCLAIMED' ? 'Unclaimed request' : 'Unclaimed request escalated',
          `${q?.reference ?? 'A request'} has waited ${minutes} min unclaimed.`,
        );
      }
      default:
        return card('Supervision reminder', `You have a supervision reminder due ${localDay(reminder.dueAt, zone)}.`);
    }
  }

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
    return null;
  }

  return {
    async send(reminder: Reminder): Promise<SendResult> {
      const conversation = await conversationFor(reminder);
      if (!conversation) throw new RecipientUnreachableError('no conversation for the recipient');
      const sender = senders.get(conversation.platform)!;
      const card = await cardFor(reminder);
      const messageId = await sender.send(conversation, { card });
      return { platform: conversation.platform, messageId };
    },

    async isSubjectLive(reminder: Reminder): Promise<boolean> {
      switch (reminder.subjectType) {
        case 'Session':
          return (await db.session.count({ where: { id: reminder.subjectId, status: 'CONFIRMED' } })) === 1;
        case 'ActionPoint':
          return (await db.actionPoint.count({ where: { id: reminder.subjectId, status: 'OPEN' } })) === 1;
        case 'SupervisionRecord':
          return (await db.supervisionRecord.count({ where: { id: reminder.subjectId, status: 'DRAFT' } })) === 1;
        case 'SupervisionRequest':
          return (await db.supervisionRequest.count({ where: { id: reminder.subjectId, status: 'OPEN', claimedById: null } })) === 1;
        default:
          return false;
      }
    },
  };
}
