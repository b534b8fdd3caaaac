// The reminder card of every kind (cards/reminder.json: heading, text, detail). Short, and no
// confidential content: an action point's description only goes to its owner or supervisor;
// never a request summary, record content or a cancellation reason; a line manager's card
// carries attendance facts only (seeds 000 9.1, 001).
import { DateTime } from 'luxon';
import type { Db } from '../db/client.js';
import type { Reminder } from '../db/generated/client.js';
import { AGREEMENT_KIND_LABELS } from '../domain/agreements.js';
import { personZone } from '../domain/quiet-hours.js';
import { mandatoryDueDate, parseSessionAttendeeSubject, personRecipient, REPEATED_NON_ATTENDANCE } from '../domain/reminder-policy.js';
import type { CardRef } from '../flows/types.js';
import { loadPersonCadence, missedInARow } from './reminder-facts.js';

const BOOK_HINT = 'send “book supervision” to propose a time';
/** Names shown on a card before "and N others". */
const MAX_NAMES = 3;

export function reminderCard(heading: string, text: string, detail = ''): CardRef {
  return { template: 'reminder', data: { heading, text, detail } };
}

/** What an earlier reminder card becomes when a newer one about the same thing is sent. */
export const REPLACED_CARD: CardRef = reminderCard('Reminder replaced', 'A newer reminder about this has been sent: see the latest message.');

function localTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat('HH:mm');
}

function localDay(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).setLocale('en-GB').toFormat('cccc d LLLL');
}

function localDate(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).setLocale('en-GB').toFormat('cccc d LLLL yyyy');
}

function dayWord(instant: Date, now: Date, zone: string): string {
  const day = DateTime.fromJSDate(instant, { zone }).startOf('day');
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const diff = Math.round(day.diff(today, 'days').days);
  if (diff === 0) return 'today';
  if (diff === 1) return 'tomorrow';
  return `on ${localDay(instant, zone)}`;
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

/** "second", "third"…, then "11th". */
function ordinal(n: number): string {
  return ORDINALS[n - 1] ?? `${n}th`;
}

function names(list: string[]): string {
  if (list.length === 0) return 'your supervision parties';
  if (list.length <= MAX_NAMES) return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
  const more = list.length - MAX_NAMES;
  return `${list.slice(0, MAX_NAMES).join(', ')} and ${more} ${more === 1 ? 'other' : 'others'}`;
}

export function createReminderCards(db: Db, clock: { now(): Date }) {
  async function recipientZone(reminder: Reminder): Promise<string> {
    const person = reminder.recipientId
      ? await db.person.findUnique({ where: { id: reminder.recipientId }, select: { timeZone: true, organisation: { select: { timeZone: true } } } })
      : null;
    return personZone({ timeZone: person?.timeZone ?? person?.organisation.timeZone ?? null });
  }

  async function personName(id: string): Promise<string> {
    return (await db.person.findUnique({ where: { id }, select: { name: true } }))?.name ?? 'A member of staff';
  }

  async function mandatoryCard(reminder: Reminder, zone: string): Promise<CardRef> {
    const facts = await loadPersonCadence(db, reminder.subjectId);
    // The due date is a date in the supervisee's zone (as the policy reads it).
    const due = facts ? mandatoryDueDate(facts.person, facts.requirement, facts.zone ?? zone) : null;
    const dueText = due ? due.setLocale('en-GB').toFormat('cccc d LLLL yyyy') : 'soon';
    const heading = reminder.kind === 'MANDATORY_DUE' ? 'Mandatory supervision due' : 'Mandatory supervision overdue';
    if (reminder.recipientKey === personRecipient(reminder.subjectId)) {
      return reminder.kind === 'MANDATORY_DUE'
        ? reminderCard(heading, `Your mandatory safeguarding supervision is due by ${dueText}. You arrange it: ${BOOK_HINT}.`)
        : reminderCard(heading, `Your mandatory safeguarding supervision was due on ${dueText}. Please arrange it now: ${BOOK_HINT}.`);
    }
    const name = await personName(reminder.subjectId);
    const last = facts?.person.lastAttendedAt ? localDate(facts.person.lastAttendedAt, zone) : 'none recorded';
    if (reminder.kind === 'LINE_MANAGER_OVERDUE') {
      return reminderCard(
        heading,
        `${name} has not attended mandatory safeguarding supervision that was due on ${dueText}. Last attended: ${last}.`,
        'Attendance only: what is discussed in supervision stays confidential. Please help them to attend, for example by standing them down for a session.',
      );
    }
    return reminderCard(heading, `${name}'s mandatory safeguarding supervision was due on ${dueText}. Last attended: ${last}.`);
  }

  async function recordCard(reminder: Reminder, zone: string): Promise<CardRef> {
    if (reminder.subjectType !== 'Session') {
      return reminderCard('Supervision record', 'Your supervision record is overdue. Open the session card to complete it.');
    }
    // Who and when only: never anything written in the record.
    const s = await db.session.findUnique({
      where: { id: reminder.subjectId },
      select: { startsAt: true, attendees: { select: { person: { select: { name: true } } } } },
    });
    const when = s?.startsAt ? ` on ${localDate(s.startsAt, zone)}` : '';
    const withWhom = names((s?.attendees ?? []).map((a) => a.person.name));
    return reminderCard(
      'Supervision record overdue',
      `The record of your supervision session with ${withWhom}${when} was due by ${localTime(reminder.dueAt, zone)} on ${localDate(reminder.dueAt, zone)} and has not been written.`,
      'Open the session card and choose "Write the supervision record"; everyone then signs it.',
    );
  }

  async function agreementCard(reminder: Reminder, zone: string): Promise<CardRef> {
    const a = await db.agreement.findUnique({
      where: { id: reminder.subjectId },
      select: { reviewDue: true, template: { select: { kind: true } }, parties: { select: { person: { select: { id: true, name: true } } } } },
    });
    const label = a ? AGREEMENT_KIND_LABELS[a.template.kind] : 'Supervision agreement';
    const others = names((a?.parties ?? []).map((p) => p.person).filter((p) => p.id !== reminder.recipientId).map((p) => p.name));
    if (reminder.kind === 'CONTRACT_REVIEW') {
      const when = a?.reviewDue ? localDate(a.reviewDue, zone) : 'soon';
      return reminderCard(
        'Supervision contract review',
        `Your ${label.toLowerCase()} with ${others} is due for review on ${when}.`,
        'Contracts are reviewed every year: go through it together and sign the renewed contract.',
      );
    }
    return reminderCard('Agreement to sign', `The ${label} for your supervision with ${others} is waiting for your signature.`, 'Open the agreement card to read and sign it.');
  }

  async function rebookCard(reminder: Reminder, zone: string): Promise<CardRef> {
    // Never the cancellation reason: only who, when and by when.
    const s = await db.session.findUnique({
      where: { id: reminder.subjectId },
      select: { startsAt: true, rebookBy: true, supervisorId: true, supervisor: { select: { name: true } }, attendees: { select: { person: { select: { id: true, name: true } } } } },
    });
    const withWhom =
      s && s.supervisorId === reminder.recipientId
        ? names(s.attendees.map((a) => a.person).filter((p) => p.id !== reminder.recipientId).map((p) => p.name))
        : (s?.supervisor.name ?? 'your supervisor');
    const when = s?.startsAt ? ` on ${localDate(s.startsAt, zone)}` : '';
    const by = s?.rebookBy ? ` by ${localDate(s.rebookBy, zone)}` : ' soon';
    return reminderCard(
      'Rearrange your supervision',
      `You cancelled the supervision session with ${withWhom}${when}. Whoever cancels rearranges it: please arrange another session${by}.`,
    );
  }

  async function nonAttendanceCard(reminder: Reminder, zone: string): Promise<CardRef> {
    const subject = parseSessionAttendeeSubject(reminder.subjectId);
    const s = subject ? await db.session.findUnique({ where: { id: subject.sessionId }, select: { startsAt: true } }) : null;
    const when = s?.startsAt ? localDate(s.startsAt, zone) : 'a recent date';
    // Sessions missed in a row up to this one (seeds 001: repeated non-attendance is an exception to confidentiality).
    const run = subject && s?.startsAt ? await missedInARow(db, subject.personId, s.startsAt) : [];
    const repeated = run.length >= REPEATED_NON_ATTENDANCE;
    const earlier = run.slice(1).map((d) => localDate(d, zone));
    if (subject && reminder.recipientId === subject.personId) {
      const lineManager = await db.person.findUnique({ where: { id: subject.personId }, select: { lineManager: { select: { name: true } } } });
      return reminderCard(
        'Missed supervision session',
        `You were recorded as not attending your supervision session on ${when}. Your line manager${lineManager?.lineManager ? `, ${lineManager.lineManager.name},` : ''} will be told that you did not attend${repeated ? `, and that it is the ${ordinal(run.length)} session in a row you have not attended` : ''}: only that, never what is discussed in supervision.`,
        'If this is not right, please speak to your supervisor.',
      );
    }
    const name = subject ? await personName(subject.personId) : 'A member of your team';
    return reminderCard(
      'Missed supervision session',
      repeated
        ? `${name} did not attend a safeguarding supervision session on ${when}: the ${ordinal(run.length)} session in a row they have not attended (also ${names(earlier)}). They have been told that you are being informed.`
        : `${name} did not attend a safeguarding supervision session on ${when}. They have been told that you are being informed.`,
      repeated
        ? 'Attendance only: what is discussed in supervision stays confidential. Repeated non-attendance is shared under the supervision contract; the safeguarding team can see it too.'
        : 'Attendance only: what is discussed in supervision stays confidential.',
    );
  }

  return async function cardFor(reminder: Reminder): Promise<CardRef> {
    const zone = await recipientZone(reminder);
    switch (reminder.kind) {
      case 'SESSION_DAY_BEFORE':
      case 'SESSION_HOUR_BEFORE': {
        const s = await db.session.findUnique({ where: { id: reminder.subjectId }, select: { startsAt: true, supervisor: { select: { name: true } } } });
        const when = s?.startsAt ? `${dayWord(s.startsAt, clock.now(), zone)} at ${localTime(s.startsAt, zone)}` : 'soon';
        return reminderCard('Supervision reminder', `Supervision ${when} with ${s?.supervisor.name ?? 'your supervisor'}.`);
      }
      case 'ACTION_DUE_SOON':
      case 'ACTION_DUE':
      case 'ACTION_OVERDUE': {
        const p = await db.actionPoint.findUnique({
          where: { id: reminder.subjectId },
          select: { description: true, dueOn: true, ownerId: true, owner: { select: { name: true } }, record: { select: { supervisorId: true } } },
        });
        const due = p ? DateTime.fromJSDate(p.dueOn, { zone: 'utc' }).toFormat('cccc d LLLL') : 'its date';
        // The supervisor's copy says whose it is (they supervise the owner); the owner's says "your".
        const owner = p && reminder.recipientId !== p.ownerId ? p.owner.name : null;
        const text = owner
          ? reminder.kind === 'ACTION_OVERDUE'
            ? `${owner}'s action point is overdue: it was due on ${due}.`
            : `${owner}'s action point is due on ${due}.`
          : reminder.kind === 'ACTION_DUE_SOON'
            ? `Action point due on ${due}.`
            : reminder.kind === 'ACTION_DUE'
              ? `Action point due today (${due}).`
              : `Action point overdue: it was due on ${due}.`;
        const mayRead = p && (reminder.recipientId === p.ownerId || reminder.recipientId === p.record.supervisorId);
        return reminderCard('Action point reminder', text, mayRead ? p.description : '');
      }
      case 'RECORD_OVERDUE':
        return recordCard(reminder, zone);
      case 'REQUEST_UNCLAIMED':
      case 'REQUEST_ESCALATED': {
        const q = await db.supervisionRequest.findUnique({ where: { id: reminder.subjectId }, select: { reference: true, createdAt: true } });
        const minutes = q ? Math.max(0, Math.round((clock.now().getTime() - q.createdAt.getTime()) / 60_000)) : 0;
        return reminderCard(
          reminder.kind === 'REQUEST_UNCLAIMED' ? 'Unclaimed request' : 'Unclaimed request escalated',
          `${q?.reference ?? 'A request'} has waited ${minutes} min unclaimed.`,
        );
      }
      case 'MANDATORY_DUE':
      case 'MANDATORY_OVERDUE':
      case 'LINE_MANAGER_OVERDUE':
        return mandatoryCard(reminder, zone);
      case 'AGREEMENT_UNSIGNED':
      case 'CONTRACT_REVIEW':
        return agreementCard(reminder, zone);
      case 'REBOOK_AFTER_CANCELLATION':
        return rebookCard(reminder, zone);
      case 'LINE_MANAGER_NON_ATTENDANCE':
        return nonAttendanceCard(reminder, zone);
      default:
        return reminderCard('Supervision reminder', `You have a supervision reminder due ${localDay(reminder.dueAt, zone)}.`);
    }
  };
}
