/**
 * The .ics calendar invite for a confirmed (or cancelled) supervision session.
 *
 * Library: `ical-generator` (10.x), not hand-written iCalendar text and not the `ics` package.
 * - Well kept: one active maintainer line with regular releases, written in TypeScript and
 *   shipping its own types, and no runtime dependencies at all (date libraries are optional peers
 *   we do not use). No install scripts. The 10.x line supports Node 20 (11.x needs Node 22+, so
 *   package.json pins ^10 until the project moves off Node 20).
 * - RFC 5545 correctness where it matters to us: TEXT values are escaped (`\\`, `;`, `,`, newlines)
 *   and content lines are folded at 75 *octets* of UTF-8 without splitting a character. `ics`
 *   3.x folds at 75 *characters*, so names and venues with accents give over-long lines.
 * - iTIP (RFC 5546) pieces: calendar METHOD, event SEQUENCE and STATUS, ORGANIZER and ATTENDEE
 *   with CN/ROLE/PARTSTAT/RSVP. It adds nothing we did not ask for (no X-PUBLISHED-TTL etc.).
 *
 * Choices made here:
 * - Times are written in UTC (`DTSTART:20261025T003000Z`). A UTC instant is exact on every client
 *   and needs no VTIMEZONE block; each calendar shows it in its owner's own zone. `timeZone` (the
 *   organisation's IANA zone) is only used to write a human "When:" line into the description.
 * - UID is `<sessionId>@sg-supervision`, the same for every version of one session, and the
 *   caller raises `sequence` each time it re-sends: a moved session updates the same calendar
 *   entry, and METHOD:CANCEL with STATUS:CANCELLED removes it.
 * - No VALARM: the bot sends its own reminders, and a second set from calendars would be noise.
 * - CONFIDENTIALITY: invites leave the bot by email and sit in calendars that assistants and
 *   delegates can read. `title`, `description` and `location` must never carry request content
 *   (names of children or families, concerns, case details). Callers pass fixed wording such as
 *   "Safeguarding supervision"; this module adds only the time and the online link.
 * - CN parameter values cannot contain DQUOTE or control characters (RFC 5545 §3.1), and the
 *   library escapes a backslash as `\\`, which no parser undoes in a parameter. Names are
 *   therefore tidied (quotes to apostrophes, backslashes and control characters to spaces).
 * - The library applies TEXT escaping to the URL property as well, so a link holding `,` or `;`
 *   would come out as `\,`. The online link is therefore written with those two characters
 *   percent-encoded (`%2C`, `%3B`), which means the same to web servers.
 */
import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventStatus,
  ICalEventTransparency,
} from 'ical-generator';
import { inZone, isValidTimeZone } from '../domain/time.js';

export type InviteMethod = 'REQUEST' | 'CANCEL';

export interface InvitePerson {
  name: string;
  email: string;
}

export interface InviteAttendee extends InvitePerson {
  /** REQ-PARTICIPANT unless given. */
  role?: 'REQ-PARTICIPANT' | 'CHAIR';
}

export interface SessionInviteInput {
  sessionId: string;
  /** 0 for the first invite; raise it on every re-send (move, cancel) of the same session. */
  sequence: number;
  method: InviteMethod;
  startsAt: Date;
  endsAt: Date;
  /** Fixed, non-confidential wording such as "Safeguarding supervision". */
  title: string;
  /** Non-confidential wording only. A neutral default is used when absent. */
  description?: string;
  /** Venue, e.g. "Room 3, Block B". */
  location?: string;
  /** http(s) link to the online meeting. */
  onlineLink?: string;
  organiser: InvitePerson;
  attendees: InviteAttendee[];
  /** IANA zone of the organisation, e.g. Europe/London; used for the description's "When:" line. */
  timeZone: string;
  /** Full PRODID, e.g. "-//NHS Trust//Safeguarding Supervision//EN". */
  productId?: string;
  /** DTSTAMP: the product clock's time. */
  now: Date;
}

export const SESSION_UID_DOMAIN = 'sg-supervision';
export const DEFAULT_PRODUCT_ID = '-//NHS Safeguarding Supervision//sg-supervision-bot//EN';
export const DEFAULT_INVITE_DESCRIPTION = 'Safeguarding supervision session booked through the supervision bot.';

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// Deliberately narrow: no spaces, quotes, angle brackets, commas, semicolons, colons or controls,
// so an address can never break out of its iCalendar line or parameter.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const PRODUCT_ID = /^-?(\/\/[^/\r\n]+\/\/[^/\r\n]+\/\/[A-Za-z]{1,4})$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** The UID shared by every version of a session's invite. */
export function sessionUid(sessionId: string): string {
  if (!SESSION_ID.test(sessionId)) {
    throw new Error(`Session invite: session id must be 1-128 letters, digits, '.', '_' or '-' (got ${JSON.stringify(sessionId)})`);
  }
  return `${sessionId}@${SESSION_UID_DOMAIN}`;
}

/** File name for the attachment, e.g. `supervision-3f2a9c1b.ics`. */
export function inviteFileName(sessionId: string): string {
  const safe = sessionId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 8);
  if (safe === '') throw new Error('Session invite: session id has no usable characters for a file name');
  return `supervision-${safe}.ics`;
}

/** MIME type for the attachment or iMIP body part; clients use `method` to treat it as an invite or a cancellation. */
export function inviteContentType(method: InviteMethod): string {
  return `text/calendar; charset=utf-8; method=${method}`;
}

function checkEmail(email: string, who: string): string {
  const trimmed = email.trim();
  if (!EMAIL.test(trimmed)) throw new Error(`Session invite: ${who} has an invalid email address ${JSON.stringify(email)}`);
  return trimmed;
}

/** A display name safe inside a quoted CN parameter. Falls back to the email address. */
function cleanName(name: string, email: string): string {
  const cleaned = name.replace(CONTROL, ' ').replace(/"/g, "'").replace(/\\/g, ' ').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? email : cleaned;
}

function checkDate(value: Date, what: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new Error(`Session invite: ${what} is not a valid date`);
  return value;
}

function cleanLink(link: string): string {
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    throw new Error('Session invite: online link is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('Session invite: online link must be http(s)');
  return url.href.replace(/,/g, '%2C').replace(/;/g, '%3B');
}

function productIdBody(productId: string): string {
  const match = PRODUCT_ID.exec(productId);
  if (!match) throw new Error(`Session invite: productId must look like "-//Owner//Product//EN" (got ${JSON.stringify(productId)})`);
  // ical-generator writes "-" + this.
  return match[1]!;
}

function whenLine(startsAt: Date, endsAt: Date, timeZone: string): string {
  const start = inZone(startsAt, timeZone).setLocale('en-GB');
  const end = inZone(endsAt, timeZone).setLocale('en-GB');
  const sameDay = start.hasSame(end, 'day');
  const from = start.toFormat('cccc d LLLL yyyy, HH:mm ZZZZ');
  const to = sameDay ? end.toFormat('HH:mm ZZZZ') : end.toFormat('cccc d LLLL yyyy, HH:mm ZZZZ');
  return `When: ${from} to ${to} (${timeZone})`;
}

/**
 * A complete iCalendar (RFC 5545) document with METHOD REQUEST or CANCEL and one VEVENT, ready to
 * attach as `inviteFileName(sessionId)` with `inviteContentType(method)`.
 * Throws an Error when the end is not after the start, there are no attendees, or an input is unusable.
 */
export function sessionInvite(input: SessionInviteInput): string {
  const uid = sessionUid(input.sessionId);
  if (!Number.isInteger(input.sequence) || input.sequence < 0) {
    throw new Error(`Session invite: sequence must be a whole number 0 or more (got ${input.sequence})`);
  }
  if (input.method !== 'REQUEST' && input.method !== 'CANCEL') {
    throw new Error(`Session invite: method must be REQUEST or CANCEL (got ${String(input.method)})`);
  }
  const startsAt = checkDate(input.startsAt, 'start');
  const endsAt = checkDate(input.endsAt, 'end');
  if (endsAt.getTime() <= startsAt.getTime()) {
    throw new Error('Session invite: the session must end after it starts');
  }
  const stamp = checkDate(input.now, 'now');
  if (!isValidTimeZone(input.timeZone)) throw new Error(`Session invite: unknown time zone ${JSON.stringify(input.timeZone)}`);
  const title = input.title.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  if (title === '') throw new Error('Session invite: title is empty');
  if (input.attendees.length === 0) throw new Error('Session invite: there must be at least one attendee');

  const organiserEmail = checkEmail(input.organiser.email, 'the organiser');
  const seen = new Set<string>();
  const attendees = input.attendees.flatMap((attendee, index) => {
    const email = checkEmail(attendee.email, `attendee ${index + 1}`);
    const key = email.toLowerCase();
    if (seen.has(key)) return [];
    seen.add(key);
    const isRequest = input.method === 'REQUEST';
    return [
      {
        name: cleanName(attendee.name, email),
        email,
        role: attendee.role === 'CHAIR' ? ICalAttendeeRole.CHAIR : ICalAttendeeRole.REQ,
        status: isRequest ? ICalAttendeeStatus.NEEDSACTION : null,
        rsvp: isRequest ? true : null,
      },
    ];
  });

  const link = input.onlineLink?.trim() ? cleanLink(input.onlineLink) : undefined;
  const venue = input.location?.trim() ? input.location.trim() : undefined;
  const location = venue && link ? `${venue} | Online: ${link}` : (venue ?? link);

  const description = [
    input.description?.trim() ? input.description : DEFAULT_INVITE_DESCRIPTION,
    whenLine(startsAt, endsAt, input.timeZone),
    ...(link ? [`Join online: ${link}`] : []),
  ].join('\n\n');

  const calendar = ical({
    prodId: productIdBody(input.productId ?? DEFAULT_PRODUCT_ID),
    method: input.method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  calendar.createEvent({
    id: uid,
    sequence: input.sequence,
    stamp,
    start: startsAt,
    end: endsAt,
    summary: title,
    description,
    ...(location ? { location } : {}),
    ...(link ? { url: link } : {}),
    organizer: { name: cleanName(input.organiser.name, organiserEmail), email: organiserEmail },
    attendees,
    status: input.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    transparency: ICalEventTransparency.OPAQUE,
  });
  // RFC 5545 ends every content line, the last one included, with CRLF; the library leaves the last bare.
  const text = calendar.toString();
  return text.endsWith('\r\n') ? text : `${text}\r\n`;
}
