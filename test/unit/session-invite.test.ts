import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  inviteContentType,
  inviteFileName,
  sessionInvite,
  sessionUid,
  type SessionInviteInput,
} from '../../src/calendar/session-invite.js';

/*
 * Every document is checked twice: by ical.js (Mozilla's strict RFC 5545 parser, a different
 * code base from the generator) and by the small line reader below, which looks at the raw
 * octets (CRLF, folding at 75 octets, escaping) that a parser hides.
 */

const LONDON = 'Europe/London';
const SESSION_ID = '3f2a9c1b-7d4e-4a10-9b2c-0d1e2f3a4b5c';

function base(overrides: Partial<SessionInviteInput> = {}): SessionInviteInput {
  return {
    sessionId: SESSION_ID,
    sequence: 0,
    method: 'REQUEST',
    startsAt: new Date('2026-06-15T09:00:00Z'),
    endsAt: new Date('2026-06-15T10:00:00Z'),
    title: 'Safeguarding supervision',
    organiser: { name: 'Safeguarding Team', email: 'safeguarding.team@nhs.net' },
    attendees: [
      { name: 'Alex Supervisor', email: 'alex.supervisor@nhs.net', role: 'CHAIR' },
      { name: 'Sam Practitioner', email: 'sam.practitioner@nhs.net' },
    ],
    timeZone: LONDON,
    now: new Date('2026-06-01T12:00:00Z'),
    ...overrides,
  };
}

/** Physical lines, checking every one ends in CRLF (the last included). */
function physicalLines(text: string): string[] {
  expect(text.endsWith('\r\n')).toBe(true);
  const lines = text.slice(0, -2).split('\r\n');
  for (const line of lines) {
    expect(line).not.toMatch(/[\r\n]/);
  }
  return lines;
}

/** Content lines after unfolding (RFC 5545 §3.1: CRLF followed by one space or tab is removed). */
function unfold(text: string): string[] {
  return text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((line) => line !== '');
}

/** Undo RFC 5545 TEXT escaping (§3.3.11). */
function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** The raw value of the first content line named `name` (no parameters), e.g. "DTSTART". */
function rawValue(text: string, name: string): string | undefined {
  const line = unfold(text).find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name};`));
  if (line === undefined) return undefined;
  // Parameters may hold quoted ':' in theory; ours never do (names are tidied, no URIs in params).
  return line.slice(line.indexOf(':') + 1);
}

function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents('vevent');
  expect(events).toHaveLength(1);
  return { calendar, event: events[0]! };
}

function seq(event: ICAL.Component): number {
  const value = event.getFirstPropertyValue('sequence');
  expect(typeof value).toBe('number');
  return value as unknown as number;
}

function instant(event: ICAL.Component, name: 'dtstart' | 'dtend' | 'dtstamp'): string {
  const time = event.getFirstPropertyValue(name) as ICAL.Time;
  expect(time.zone?.tzid).toBe('UTC');
  return time.toJSDate().toISOString();
}

describe('sessionInvite: the calendar and the event', () => {
  const text = sessionInvite(base());
  const { calendar, event } = parse(text);

  it('is a VCALENDAR 2.0 with PRODID and METHOD:REQUEST', () => {
    const lines = unfold(text);
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines.at(-1)).toBe('END:VCALENDAR');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('prodid')).toBe('-//NHS Safeguarding Supervision//sg-supervision-bot//EN');
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
  });

  it('has one VEVENT with a per-session UID, SEQUENCE, DTSTAMP and times in UTC', () => {
    expect(event.getFirstPropertyValue('uid')).toBe(`${SESSION_ID}@sg-supervision`);
    expect(sessionUid(SESSION_ID)).toBe(`${SESSION_ID}@sg-supervision`);
    expect(event.getFirstPropertyValue('sequence')).toBe(0);
    expect(instant(event, 'dtstamp')).toBe('2026-06-01T12:00:00.000Z');
    expect(instant(event, 'dtstart')).toBe('2026-06-15T09:00:00.000Z');
    expect(instant(event, 'dtend')).toBe('2026-06-15T10:00:00.000Z');
    expect(rawValue(text, 'DTSTART')).toBe('20260615T090000Z');
    expect(rawValue(text, 'DTEND')).toBe('20260615T100000Z');
    expect(event.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(event.getFirstPropertyValue('summary')).toBe('Safeguarding supervision');
  });

  it('has a neutral DESCRIPTION with the local time, and no VALARM or VTIMEZONE', () => {
    const description = event.getFirstPropertyValue('description') as string;
    expect(description).toContain('Safeguarding supervision session booked through the supervision bot.');
    expect(description).toMatch(/When: Monday 15 June 2026, 10:00 BST to 11:00 BST \(Europe\/London\)/);
    expect(event.getAllSubcomponents('valarm')).toHaveLength(0);
    expect(calendar.getAllSubcomponents('vtimezone')).toHaveLength(0);
    expect(text).not.toMatch(/VALARM|TZID/);
    // No location or link was given.
    expect(event.getFirstProperty('location')).toBeNull();
    expect(event.getFirstProperty('url')).toBeNull();
  });

  it('lists the organiser and every attendee with CN and mailto', () => {
    const organiser = event.getFirstProperty('organizer')!;
    expect(organiser.getParameter('cn')).toBe('Safeguarding Team');
    expect(String(organiser.getFirstValue()).toLowerCase()).toBe('mailto:safeguarding.team@nhs.net');

    const attendees = event.getAllProperties('attendee').map((p) => ({
      cn: p.getParameter('cn'),
      address: String(p.getFirstValue()).toLowerCase(),
      role: p.getParameter('role'),
      partstat: p.getParameter('partstat'),
      rsvp: p.getParameter('rsvp'),
    }));
    expect(attendees).toEqual([
      { cn: 'Alex Supervisor', address: 'mailto:alex.supervisor@nhs.net', role: 'CHAIR', partstat: 'NEEDS-ACTION', rsvp: 'TRUE' },
      { cn: 'Sam Practitioner', address: 'mailto:sam.practitioner@nhs.net', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION', rsvp: 'TRUE' },
    ]);
    for (const line of unfold(text).filter((l) => /^(ORGANIZER|ATTENDEE)[;:]/.test(l))) {
      expect(line).toMatch(/;CN="[^"]+"/);
      expect(line).toMatch(/:mailto:[^:]+$/i);
    }
  });

  it('sends each address once even when listed twice', () => {
    const doubled = sessionInvite(
      base({
        attendees: [
          { name: 'Sam Practitioner', email: 'sam.practitioner@nhs.net' },
          { name: 'Sam P', email: 'Sam.Practitioner@NHS.net' },
        ],
      }),
    );
    expect(parse(doubled).event.getAllProperties('attendee')).toHaveLength(1);
  });

  it('uses a caller-given PRODID', () => {
    const custom = sessionInvite(base({ productId: '-//Example NHS Trust//Supervision//EN' }));
    expect(parse(custom).calendar.getFirstPropertyValue('prodid')).toBe('-//Example NHS Trust//Supervision//EN');
  });
});

describe('sessionInvite: exact instants across the UK clock changes', () => {
  it('BST -> GMT (Sunday 25 October 2026): 01:30 BST to 01:30 GMT is one hour', () => {
    // 00:30Z is 01:30 BST; clocks go back at 01:00Z; 01:30Z is 01:30 GMT. Same wall time, an hour apart.
    const text = sessionInvite(
      base({ startsAt: new Date('2026-10-25T00:30:00Z'), endsAt: new Date('2026-10-25T01:30:00Z'), sequence: 3 }),
    );
    const { calendar, event } = parse(text);
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(event.getFirstPropertyValue('uid')).toBe(`${SESSION_ID}@sg-supervision`);
    expect(event.getFirstPropertyValue('sequence')).toBe(3);
    expect(rawValue(text, 'DTSTART')).toBe('20261025T003000Z');
    expect(rawValue(text, 'DTEND')).toBe('20261025T013000Z');
    expect(instant(event, 'dtstart')).toBe('2026-10-25T00:30:00.000Z');
    expect(instant(event, 'dtend')).toBe('2026-10-25T01:30:00.000Z');
    expect(event.getFirstPropertyValue('description')).toMatch(/01:30 BST to 01:30 GMT/);
  });

  it('GMT -> BST (Sunday 29 March 2026): 00:30 GMT to 02:30 BST is one hour', () => {
    // 00:30Z is 00:30 GMT; clocks go forward at 01:00Z; 01:30Z is 02:30 BST.
    const text = sessionInvite(
      base({ startsAt: new Date('2026-03-29T00:30:00Z'), endsAt: new Date('2026-03-29T01:30:00Z'), sequence: 1 }),
    );
    const { event } = parse(text);
    expect(event.getFirstPropertyValue('sequence')).toBe(1);
    expect(rawValue(text, 'DTSTART')).toBe('20260329T003000Z');
    expect(rawValue(text, 'DTEND')).toBe('20260329T013000Z');
    expect(instant(event, 'dtstart')).toBe('2026-03-29T00:30:00.000Z');
    expect(instant(event, 'dtend')).toBe('2026-03-29T01:30:00.000Z');
    expect(event.getFirstPropertyValue('description')).toMatch(/00:30 GMT to 02:30 BST/);
  });

  it('London wall times either side of each change map to the right UTC instants', () => {
    const local = (iso: string) => DateTime.fromISO(iso, { zone: LONDON }).toJSDate();
    const cases: Array<[string, string, string, string]> = [
      // Saturday before the October change (BST) and Monday after (GMT).
      ['2026-10-24T10:00', '2026-10-24T11:00', '20261024T090000Z', '20261024T100000Z'],
      ['2026-10-26T10:00', '2026-10-26T11:00', '20261026T100000Z', '20261026T110000Z'],
      // Friday before the March change (GMT) and Monday after (BST).
      ['2026-03-27T10:00', '2026-03-27T11:00', '20260327T100000Z', '20260327T110000Z'],
      ['2026-03-30T10:00', '2026-03-30T11:00', '20260330T090000Z', '20260330T100000Z'],
    ];
    for (const [start, end, dtstart, dtend] of cases) {
      const text = sessionInvite(base({ startsAt: local(start), endsAt: local(end) }));
      expect(rawValue(text, 'DTSTART'), start).toBe(dtstart);
      expect(rawValue(text, 'DTEND'), end).toBe(dtend);
      expect(parse(text).event.getFirstPropertyValue('description')).toContain(`${start.slice(11)} `);
    }
  });
});

describe('sessionInvite: moving and cancelling', () => {
  const first = sessionInvite(base({ sequence: 0 }));
  const moved = sessionInvite(
    base({ sequence: 1, startsAt: new Date('2026-06-16T13:00:00Z'), endsAt: new Date('2026-06-16T14:00:00Z') }),
  );
  const cancelled = sessionInvite(
    base({ sequence: 2, method: 'CANCEL', startsAt: new Date('2026-06-16T13:00:00Z'), endsAt: new Date('2026-06-16T14:00:00Z') }),
  );

  it('a move keeps the UID and raises the SEQUENCE', () => {
    const a = parse(first).event;
    const b = parse(moved).event;
    expect(b.getFirstPropertyValue('uid')).toBe(a.getFirstPropertyValue('uid'));
    expect(seq(b)).toBeGreaterThan(seq(a));
    expect(instant(b, 'dtstart')).toBe('2026-06-16T13:00:00.000Z');
  });

  it('a CANCEL has METHOD:CANCEL, STATUS:CANCELLED, the same UID and a higher SEQUENCE', () => {
    const { calendar, event } = parse(cancelled);
    expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
    expect(event.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(event.getFirstPropertyValue('uid')).toBe(parse(first).event.getFirstPropertyValue('uid'));
    expect(event.getFirstPropertyValue('sequence')).toBe(2);
    expect(seq(event)).toBeGreaterThan(seq(parse(moved).event));
    expect(rawValue(cancelled, 'METHOD')).toBe('CANCEL');
    expect(rawValue(cancelled, 'STATUS')).toBe('CANCELLED');
    // Attendees are still named (RFC 5546 CANCEL) but are not asked to reply.
    const attendees = event.getAllProperties('attendee');
    expect(attendees).toHaveLength(2);
    for (const a of attendees) {
      expect(a.getParameter('rsvp')).toBeUndefined();
      expect(a.getParameter('partstat')).toBeUndefined();
    }
  });

  it('content types and the file name follow the method and the session', () => {
    expect(inviteContentType('REQUEST')).toBe('text/calendar; charset=utf-8; method=REQUEST');
    expect(inviteContentType('CANCEL')).toBe('text/calendar; charset=utf-8; method=CANCEL');
    expect(inviteFileName(SESSION_ID)).toBe('supervision-3f2a9c1b.ics');
    expect(inviteFileName('ab')).toBe('supervision-ab.ics');
    expect(() => inviteFileName('...')).toThrow(/file name/);
  });
});

describe('sessionInvite: escaping, encoding and folding', () => {
  const venue = 'Room 3, Block B; "Annexe"\nSt Mary\'s Hospital, Praed St\\Paddington';
  const link = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%22Tid%22%7d';
  const accented = 'Zoë Ó Briain-Ærø';

  it('escapes commas, semicolons, backslashes and newlines in LOCATION and they round-trip', () => {
    const text = sessionInvite(base({ location: venue }));
    const raw = rawValue(text, 'LOCATION')!;
    expect(raw).toBe('Room 3\\, Block B\\; "Annexe"\\nSt Mary\'s Hospital\\, Praed St\\\\Paddington');
    expect(unescapeText(raw)).toBe(venue);
    expect(parse(text).event.getFirstPropertyValue('location')).toBe(venue);
  });

  it('puts venue and online link in LOCATION, the link in URL and in the DESCRIPTION', () => {
    const text = sessionInvite(base({ location: venue, onlineLink: link }));
    const { event } = parse(text);
    expect(event.getFirstPropertyValue('location')).toBe(`${venue} | Online: ${link}`);
    expect(event.getFirstPropertyValue('url')).toBe(link);
    expect(rawValue(text, 'URL')).toBe(link);
    expect(event.getFirstPropertyValue('description')).toContain(`Join online: ${link}`);

    const onlineOnly = parse(sessionInvite(base({ onlineLink: link }))).event;
    expect(onlineOnly.getFirstPropertyValue('location')).toBe(link);
  });

  it('keeps a link with commas or semicolons usable in URL (percent-encoded, never backslash-escaped)', () => {
    const text = sessionInvite(base({ onlineLink: 'https://meet.example.org/j/123?pwd=a,b;c' }));
    expect(rawValue(text, 'URL')).toBe('https://meet.example.org/j/123?pwd=a%2Cb%3Bc');
    expect(parse(text).event.getFirstPropertyValue('url')).toBe('https://meet.example.org/j/123?pwd=a%2Cb%3Bc');
  });

  it('writes accented names as UTF-8 in CN and they round-trip', () => {
    const text = sessionInvite(
      base({
        organiser: { name: accented, email: 'zoe.obriain@nhs.net' },
        attendees: [{ name: 'Renée Lefèvre', email: 'renee.lefevre@nhs.net' }],
        location: 'Salle Müller, Ærø',
      }),
    );
    const { event } = parse(text);
    expect(event.getFirstProperty('organizer')!.getParameter('cn')).toBe(accented);
    expect(event.getFirstProperty('attendee')!.getParameter('cn')).toBe('Renée Lefèvre');
    expect(event.getFirstPropertyValue('location')).toBe('Salle Müller, Ærø');
    // Real UTF-8 octets, not mangled or escaped.
    expect(Buffer.from(text, 'utf8').includes(Buffer.from('Zoë Ó Briain-Ærø', 'utf8'))).toBe(true);
  });

  it('tidies names that cannot sit in a quoted CN (quotes, backslashes, line breaks)', () => {
    const text = sessionInvite(
      base({ attendees: [{ name: 'Bob "Bobby"\\ Smith\r\nINJECTED:x', email: 'bob.smith@nhs.net' }] }),
    );
    const cn = parse(text).event.getFirstProperty('attendee')!.getParameter('cn');
    expect(cn).toBe("Bob 'Bobby' Smith INJECTED:x");
    expect(unfold(text).some((l) => l.startsWith('INJECTED'))).toBe(false);
  });

  it('folds long lines at 75 octets, never inside a character, and unfolds to the original', () => {
    const description = [
      'Safeguarding supervision with the named nurse. ',
      'Réflexion guidée, café & thé — Zoë, Ærø; "quoted", back\\slash. '.repeat(12),
      '\nSecond paragraph ✓ with emoji 🙂🙂🙂 and more text to push it over several folds.',
    ].join('');
    const text = sessionInvite(base({ description }));
    const lines = physicalLines(text);
    const descriptionLines: string[] = [];
    let inDescription = false;
    for (const line of lines) {
      const octets = Buffer.byteLength(line, 'utf8');
      expect(octets, line).toBeLessThanOrEqual(75);
      // A split multi-byte character would not survive a UTF-8 round trip.
      expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line);
      expect(line).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      if (line.startsWith('DESCRIPTION:')) inDescription = true;
      else if (inDescription && !/^[ \t]/.test(line)) inDescription = false;
      if (inDescription) descriptionLines.push(line);
    }
    expect(descriptionLines.length).toBeGreaterThan(10);
    // The folds are real: continuation lines start with one white space octet.
    for (const continuation of descriptionLines.slice(1)) expect(continuation).toMatch(/^[ \t]/);

    const unfolded = unescapeText(rawValue(text, 'DESCRIPTION')!);
    expect(unfolded.startsWith(`${description}\n\nWhen: `)).toBe(true);
    expect(parse(text).event.getFirstPropertyValue('description')).toBe(unfolded);
  });
});

describe('sessionInvite: refusals', () => {
  it('throws when the end is not after the start', () => {
    const at = new Date('2026-06-15T09:00:00Z');
    expect(() => sessionInvite(base({ startsAt: at, endsAt: at }))).toThrow(/end after it starts/);
    expect(() => sessionInvite(base({ startsAt: at, endsAt: new Date('2026-06-15T08:59:59Z') }))).toThrow(
      /end after it starts/,
    );
  });

  it('throws when there are no attendees', () => {
    expect(() => sessionInvite(base({ attendees: [] }))).toThrow(/at least one attendee/);
  });

  it('throws on other unusable input', () => {
    expect(() => sessionInvite(base({ startsAt: new Date('nope') }))).toThrow(/start is not a valid date/);
    expect(() => sessionInvite(base({ sequence: -1 }))).toThrow(/sequence/);
    expect(() => sessionInvite(base({ sequence: 1.5 }))).toThrow(/sequence/);
    expect(() => sessionInvite(base({ sessionId: 'has space' }))).toThrow(/session id/);
    expect(() => sessionInvite(base({ sessionId: '' }))).toThrow(/session id/);
    expect(() => sessionInvite(base({ timeZone: 'Mars/Olympus' }))).toThrow(/time zone/);
    expect(() => sessionInvite(base({ title: '  ' }))).toThrow(/title/);
    expect(() => sessionInvite(base({ onlineLink: 'javascript:alert(1)' }))).toThrow(/http/);
    expect(() => sessionInvite(base({ onlineLink: 'not a url' }))).toThrow(/valid URL/);
    expect(() => sessionInvite(base({ productId: 'My product' }))).toThrow(/productId/);
    expect(() =>
      sessionInvite(base({ attendees: [{ name: 'X', email: 'x@nhs.net\r\nATTENDEE:mailto:evil@example.com' }] })),
    ).toThrow(/attendee 1 has an invalid email/);
    expect(() => sessionInvite(base({ organiser: { name: 'O', email: 'not-an-email' } }))).toThrow(/organiser/);
  });
});
