/**
 * The person's own page: their requests, their sessions and their open action points, as the
 * `app-home` card. Slack publishes it as the Home tab (cardToBlocks(card, 'home')); the same
 * card can be sent in a Teams personal chat.
 *
 * Only facts about the person's own items are read and shown: a request's reference, status,
 * when it was made and who claimed it; a session's time, format, supervisor and status; an
 * action point's description, due date and status. A request's summary, availability and
 * adjustments and a record's content are never selected from the database, so they cannot
 * reach the card. Nothing confidential is read, so nothing is audited.
 */
import { DateTime } from 'luxon';
import { FORMAT_LABELS } from './labels.js';
import type { Db } from '../db/client.js';
import { STATUS_LABELS } from '../domain/request-lifecycle.js';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from '../domain/time.js';
import type { CardRef } from './types.js';

/** Items shown in each of the three lists. */
export const APP_HOME_LIST_SIZE = 10;

const LOCALE = 'en-GB';
const DAY = 'ccc d LLL yyyy';
const DAY_TIME = `${DAY}, HH:mm`;

const SESSION_STATUS_LABELS = {
  PROPOSED: 'Proposed',
  CONFIRMED: 'Confirmed',
  AWAITING_RECORD: 'Held, record not yet signed',
  DECLINED: 'Declined',
  CANCELLED: 'Cancelled',
  COMPLETED: 'Completed',
} as const;


/** Sessions that are still to come: proposed or confirmed, not yet over (or with no time agreed yet). */
function upcoming(now: Date) {
  return {
    status: { in: ['PROPOSED' as const, 'CONFIRMED' as const] },
    OR: [{ startsAt: null }, { endsAt: { gte: now } }, { endsAt: null, startsAt: { gte: now } }],
  };
}

/** Every other session: the exact complement of `upcoming`, written without NOT so NULLs cannot drop a row. */
function notUpcoming(now: Date) {
  return {
    OR: [
      { status: { notIn: ['PROPOSED' as const, 'CONFIRMED' as const] } },
      { endsAt: { lt: now } },
      { endsAt: null, startsAt: { lt: now } },
    ],
  };
}

const SESSION_FIELDS = {
  status: true,
  format: true,
  startsAt: true,
  endsAt: true,
  supervisorId: true,
  supervisor: { select: { name: true } },
} as const;

function zoneOf(personZone: string | null, organisationZone: string): string {
  if (personZone && isValidTimeZone(personZone)) return personZone;
  return isValidTimeZone(organisationZone) ? organisationZone : DEFAULT_TIME_ZONE;
}

function local(instant: Date, zone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone }).setLocale(LOCALE);
}

/** "Thu 2 Apr 2026, 10:00 to 11:30"; the end gets its own date only when it falls on another day. */
function describeWhen(startsAt: Date | null, endsAt: Date | null, zone: string): string {
  if (!startsAt) return 'Time not agreed yet';
  const start = local(startsAt, zone);
  if (!endsAt) return start.toFormat(DAY_TIME);
  const end = local(endsAt, zone);
  return `${start.toFormat(DAY_TIME)} to ${end.toFormat(start.hasSame(end, 'day') ? 'HH:mm' : DAY_TIME)}`;
}

/**
 * The `app-home` card for `personId` at `now`, times in the person's zone (else their
 * organisation's). Three database calls, made together: the person with their requests and
 * open action points, and their upcoming and other sessions.
 */
export async function buildAppHome(db: Db, personId: string, now: Date): Promise<CardRef> {
  const involved = { OR: [{ supervisorId: personId }, { attendees: { some: { personId } } }] };
  const [person, upcomingSessions, otherSessions] = await Promise.all([
    db.person.findUnique({
      where: { id: personId },
      select: {
        timeZone: true,
        organisation: { select: { timeZone: true } },
        requests: {
          orderBy: [{ createdAt: 'desc' }, { reference: 'desc' }],
          take: APP_HOME_LIST_SIZE,
          select: { reference: true, status: true, createdAt: true, claimedBy: { select: { name: true } } },
        },
        actionPointsOwned: {
          where: { status: 'OPEN' },
          orderBy: [{ dueOn: 'asc' }, { record: { createdAt: 'asc' } }, { ordinal: 'asc' }],
          take: APP_HOME_LIST_SIZE,
          select: { description: true, dueOn: true },
        },
      },
    }),
    db.session.findMany({
      where: { AND: [involved, upcoming(now)] },
      orderBy: [{ startsAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
      take: APP_HOME_LIST_SIZE,
      select: SESSION_FIELDS,
    }),
    db.session.findMany({
      where: { AND: [involved, notUpcoming(now)] },
      orderBy: [{ startsAt: { sort: 'desc', nulls: 'last' } }, { createdAt: 'desc' }],
      take: APP_HOME_LIST_SIZE,
      select: SESSION_FIELDS,
    }),
  ]);
  if (!person) throw new Error(`buildAppHome: no person with id ${personId}`);

  const zone = zoneOf(person.timeZone, person.organisation.timeZone);
  // Action points are due on a calendar date (stored as UTC midnight) in the owner's zone.
  const today = local(now, zone).toISODate();

  return {
    template: 'app-home',
    data: {
      updated: `Updated ${local(now, zone).toFormat(DAY_TIME)}. Only you can see this.`,
      requests: person.requests.map((request) => ({
        reference: request.reference,
        status: STATUS_LABELS[request.status],
        asked: local(request.createdAt, zone).toFormat(DAY_TIME),
        claimedBy: request.claimedBy?.name ?? (request.status === 'CLOSED' ? '—' : 'Not yet claimed'),
      })),
      sessions: [...upcomingSessions, ...otherSessions].slice(0, APP_HOME_LIST_SIZE).map((session) => ({
        when: describeWhen(session.startsAt, session.endsAt, zone),
        format: FORMAT_LABELS[session.format],
        supervisor: session.supervisorId === personId ? 'You' : session.supervisor.name,
        status: SESSION_STATUS_LABELS[session.status],
      })),
      actionPoints: person.actionPointsOwned.map((point) => {
        const due = DateTime.fromJSDate(point.dueOn, { zone: 'utc' }).setLocale(LOCALE);
        const dueDate = due.toISODate() ?? '';
        return {
          description: point.description,
          due: due.toFormat(DAY),
          status: today !== null && dueDate < today ? 'Overdue' : dueDate === today ? 'Due today' : 'Open',
        };
      }),
    },
  };
}
