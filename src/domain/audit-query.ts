import { DateTime } from 'luxon';

/**
 * The Head of Safeguarding's audit-trail commands (pure: parsing and validation only).
 *
 *   audit SGS-2026-0042 [<range>] [csv]          a request, its sessions, records and action points
 *   audit person jane.doe@example.org [<range>] [csv]
 *                                                what the person did, and what was done to or read
 *                                                about them and their requests, sessions and records
 *   audit <range> [csv]                          everything in the organisation in the range
 *
 *   <range> = [from] YYYY-MM-DD [to YYYY-MM-DD]  local dates in the organisation's time zone, both
 *                                                days included; one date alone is that day
 */

export type AuditScope =
  | { kind: 'request'; reference: string }
  | { kind: 'person'; email: string }
  | { kind: 'organisation' };

export interface LocalDateRange {
  /** ISO local dates (yyyy-MM-dd), both included. */
  from: string;
  to: string;
}

export interface AuditQuery {
  scope: AuditScope;
  range?: LocalDateRange;
  csv: boolean;
}

export type AuditParse = { ok: true; query: AuditQuery } | { ok: false; message: string };

/** The longest range one query may cover, unless the organisation sets `auditMaxRangeDays`. */
export const DEFAULT_AUDIT_MAX_RANGE_DAYS = 366;

export const AUDIT_USAGE = [
  'Ask for the audit trail like this:',
  '- "audit SGS-2026-0042": a request and its records',
  '- "audit person jane.doe@example.org": what a person did, and what was done or read about them',
  '- "audit 2026-10-01 to 2026-10-31": everything in a date range (dates as YYYY-MM-DD, both days included)',
  'Add a date range after a reference or person to narrow it, and "csv" at the end for a file.',
].join('\n');

const REFERENCE = /^[a-z]{2,8}-\d{4}-\d{4,}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Anything that was meant as a date: 2026-10-01, 1/10/2026, 2026.10.1, 2026-13 (but not a bare number). */
const DATE_LIKE = /^\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether a (normalised, lower-case) message is meant as an audit command: "audit" followed by
 * nothing, "person", "from", "csv", a reference or something date-like. Other messages that
 * happen to start with "audit" are ordinary messages (a request about an audit, say).
 */
export function looksLikeAuditCommand(text: string): boolean {
  const [first, second] = text.trim().split(/\s+/);
  if (first?.toLowerCase() !== 'audit') return false;
  if (second === undefined) return true;
  return /^(person|from|csv)$/i.test(second) || REFERENCE.test(second) || DATE_LIKE.test(second);
}

function invalidDate(token: string): string {
  return `"${token}" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.`;
}

function checkDate(token: string): string | undefined {
  if (!ISO_DATE.test(token)) return invalidDate(token);
  return DateTime.fromFormat(token, 'yyyy-MM-dd', { zone: 'UTC' }).isValid ? undefined : invalidDate(token);
}

function parseRange(tokens: string[]): { range?: LocalDateRange; error?: string } {
  const rest = tokens[0] === 'from' ? tokens.slice(1) : tokens;
  if (tokens[0] === 'from' && rest.length === 0) return { error: 'Give a date after "from", for example "audit from 2026-10-01 to 2026-10-31".' };
  if (rest.length === 0) return {};
  const [from, separator, to, ...extra] = rest;
  const fromError = checkDate(from!);
  if (fromError) return { error: fromError };
  if (separator === undefined) return { range: { from: from!, to: from! } };
  if (!/^(to|until|-)$/.test(separator) || to === undefined || extra.length > 0) return { error: AUDIT_USAGE };
  const toError = checkDate(to);
  if (toError) return { error: toError };
  return { range: { from: from!, to } };
}

/** Parse an audit command (normalised text). Never throws; a bad command gets a clear message. */
export function parseAuditCommand(text: string): AuditParse {
  const tokens = text.trim().split(/\s+/);
  if (tokens[0]?.toLowerCase() !== 'audit') return { ok: false, message: AUDIT_USAGE };
  let words = tokens.slice(1);
  const csv = words.at(-1)?.toLowerCase() === 'csv';
  if (csv) words = words.slice(0, -1);
  if (words.length === 0) return { ok: false, message: AUDIT_USAGE };

  let scope: AuditScope;
  const head = words[0]!;
  if (head.toLowerCase() === 'person') {
    const email = words[1]?.toLowerCase();
    if (email === undefined) return { ok: false, message: 'Type "audit person" followed by the person\'s e-mail, for example "audit person jane.doe@example.org".' };
    if (!EMAIL.test(email)) return { ok: false, message: `"${words[1]}" is not an e-mail address. Type "audit person" followed by the person's e-mail.` };
    scope = { kind: 'person', email };
    words = words.slice(2);
  } else if (REFERENCE.test(head)) {
    scope = { kind: 'request', reference: head.toUpperCase() };
    words = words.slice(1);
  } else if (DATE_LIKE.test(head) || head.toLowerCase() === 'from') {
    scope = { kind: 'organisation' };
  } else {
    return { ok: false, message: AUDIT_USAGE };
  }

  const { range, error } = parseRange(words.map((w) => w.toLowerCase()));
  if (error) return { ok: false, message: error };
  if (scope.kind === 'organisation' && !range) return { ok: false, message: AUDIT_USAGE };
  return { ok: true, query: { scope, ...(range ? { range } : {}), csv } };
}

/** The command that asks for the same thing, in canonical form (for the card's CSV hint and the audit detail). */
export function formatAuditCommand(query: AuditQuery): string {
  const parts = ['audit'];
  if (query.scope.kind === 'request') parts.push(query.scope.reference);
  if (query.scope.kind === 'person') parts.push('person', query.scope.email);
  if (query.range) parts.push(...(query.range.from === query.range.to ? [query.range.from] : [query.range.from, 'to', query.range.to]));
  if (query.csv) parts.push('csv');
  return parts.join(' ');
}

export interface ResolvedRange {
  from: string;
  to: string;
  /** The first instant of `from` in the zone. */
  start: Date;
  /** Exclusive: the first instant after `to` in the zone, or now when the range reaches today. */
  end: Date;
  /** The range reaches today, so it ends now. */
  endsToday: boolean;
  /** The last local date covered: `to`, or today when the range reaches past it. */
  until: string;
  days: number;
}

export type RangeCheck = { ok: true; range: ResolvedRange } | { ok: false; message: string };

const display = (date: DateTime) => date.setLocale('en-GB').toFormat('d LLL yyyy');

/**
 * A local-date range made concrete in the organisation's zone (midnight to midnight, correct
 * across daylight-saving changes) and checked: not back to front, not starting in the future,
 * not longer than `maxDays`. A range that reaches past today runs until now.
 */
export function resolveAuditRange(range: LocalDateRange, zone: string, now: Date, maxDays: number): RangeCheck {
  const from = DateTime.fromFormat(range.from, 'yyyy-MM-dd', { zone });
  const to = DateTime.fromFormat(range.to, 'yyyy-MM-dd', { zone });
  if (!from.isValid) return { ok: false, message: invalidDate(range.from) };
  if (!to.isValid) return { ok: false, message: invalidDate(range.to) };
  if (to < from) {
    return { ok: false, message: `That range is back to front: ${display(from)} is after ${display(to)}. Put the earlier date first.` };
  }
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  if (from > today) {
    return { ok: false, message: `That range is in the future (today is ${display(today)}), so there is nothing to show yet.` };
  }
  const days = Math.round(to.diff(from, 'days').days) + 1;
  if (days > maxDays) {
    return {
      ok: false,
      message: `That range is ${days} days long. The audit trail can be asked for at most ${maxDays} days at a time; please split it into shorter ranges.`,
    };
  }
  const dayAfter = to.plus({ days: 1 }).startOf('day');
  const endsToday = to >= today;
  return {
    ok: true,
    range: {
      from: range.from,
      to: range.to,
      start: from.toJSDate(),
      end: endsToday ? now : dayAfter.toJSDate(),
      endsToday,
      until: endsToday ? today.toFormat('yyyy-MM-dd') : range.to,
      days,
    },
  };
}

/** "1 Oct 2026 to 31 Oct 2026", "1 Oct 2026", or "1 Nov 2026 to 22 Nov 2026 (so far)". */
export function describeRange(range: ResolvedRange, zone: string): string {
  const from = display(DateTime.fromFormat(range.from, 'yyyy-MM-dd', { zone }));
  const to = display(DateTime.fromFormat(range.until, 'yyyy-MM-dd', { zone }));
  const span = from === to ? from : `${from} to ${to}`;
  return range.endsToday ? `${span} (so far)` : span;
}
