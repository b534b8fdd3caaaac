import { byLine, enumKey, readCsvTable } from './csv-table.js';
import type { SetupProblem } from './setup-problems.js';
import type { Contact, ContactKind } from './urgent-routes.js';

/**
 * An organisation's contacts file (`npm run org -- set-contacts <slug> contacts.csv`): the routes
 * the bot gives someone at risk (seeds 000 7.2.4, 003 5.5), the supervision inbox, and the staff
 * support services it signposts (seeds 000 procedure 4.6). The file is the whole list, in the
 * order the bot shows it.
 *
 *   kind          required: SUPERVISION_INBOX, DUTY_LINE, OUT_OF_HOURS_LINE, EMERGENCY_DUTY_TEAM,
 *                 EMERGENCY_SERVICES or STAFF_SUPPORT (any case; "staff support" works)
 *   label         required, what the bot calls it, at most 200 characters
 *   phone         a number to ring (digits, spaces, +, brackets, hyphens); required for the duty
 *                 line, the out-of-hours line and emergency services
 *   email         an e-mail address
 *   url           a link, https:// only
 *   availability  when it can be used, in words ("24/7", "office hours"), at most 300 characters
 * Every contact needs at least one of phone, email, url or availability; a staff-support contact
 * needs a phone, email or url (availability alone does not say how to reach it). The list needs an
 * emergency services contact and an out-of-hours route (OUT_OF_HOURS_LINE or EMERGENCY_DUTY_TEAM),
 * so someone at risk out of hours is never given nothing but 999.
 */

export const CONTACT_KINDS: readonly ContactKind[] = [
  'SUPERVISION_INBOX',
  'DUTY_LINE',
  'OUT_OF_HOURS_LINE',
  'EMERGENCY_DUTY_TEAM',
  'EMERGENCY_SERVICES',
  'STAFF_SUPPORT',
];

const KIND_ALIASES: Record<string, ContactKind> = {
  INBOX: 'SUPERVISION_INBOX',
  DUTY: 'DUTY_LINE',
  OUT_OF_HOURS: 'OUT_OF_HOURS_LINE',
  EDT: 'EMERGENCY_DUTY_TEAM',
  EMERGENCY: 'EMERGENCY_SERVICES',
};

/** Contacts that someone at risk phones: they must have a number. */
export const PHONE_REQUIRED: readonly ContactKind[] = ['DUTY_LINE', 'OUT_OF_HOURS_LINE', 'EMERGENCY_SERVICES'];

/**
 * Contacts the bot signposts people to (seeds 000 procedure 4.6): each must say how to reach it,
 * with a number, an address or a link, not only when or through whom.
 */
export const REACH_REQUIRED: readonly ContactKind[] = ['STAFF_SUPPORT'];

/** Why a contact of a REACH_REQUIRED kind cannot be signposted as it is; null when it can (or needs no reach). */
export function reachProblem(contact: Pick<Contact, 'kind' | 'phone' | 'email' | 'url'>): string | null {
  if (!REACH_REQUIRED.includes(contact.kind)) return null;
  const given = [contact.phone, contact.email, contact.url].some((value) => typeof value === 'string' && value.trim() !== '');
  return given ? null : `a ${contact.kind} contact needs a phone number, email or https:// link: the bot gives it to people to get in touch`;
}

export const MAX_CONTACTS = 50;
export const MAX_LABEL_LENGTH = 200;
export const MAX_AVAILABILITY_LENGTH = 300;

const COLUMNS = { required: ['kind', 'label'], optional: ['phone', 'email', 'url', 'availability'] } as const;
type Column = (typeof COLUMNS.required)[number] | (typeof COLUMNS.optional)[number];

const PHONE = /^\+?[0-9 ()-]+$/;
const EMAIL = /^[^\s@",;<>()[\]]+@[^\s@",;<>()[\]]+\.[^\s@",;<>()[\]]+$/;

export interface ContactRow extends Contact {
  line: number;
  phone: string | null;
  email: string | null;
  url: string | null;
  availability: string | null;
  sortOrder: number;
}

export type ContactsValidation = { ok: true; contacts: ContactRow[] } | { ok: false; problems: SetupProblem[] };

export function parseContactKind(text: string): ContactKind | null {
  const key = enumKey(text);
  return (CONTACT_KINDS as readonly string[]).includes(key) ? (key as ContactKind) : (KIND_ALIASES[key] ?? null);
}

function checkUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname !== '' ? null : 'must be an https:// link';
  } catch {
    return 'is not a link (give it as https://…)';
  }
}

/** Parse and validate a contacts file; every problem, or every contact in order. */
export function checkContactsCsv(text: string): ContactsValidation {
  const table = readCsvTable<Column>(text, COLUMNS, MAX_CONTACTS);
  const problems = [...table.problems];
  const contacts: ContactRow[] = [];
  const seen = new Map<string, number>();
  for (const row of table.rows) {
    const fail = (field: Column, reason: string) => problems.push({ line: row.line, field, reason });
    const optional = (column: Column) => {
      const value = row.cell(column)?.replace(/\s+/g, ' ') ?? '';
      return value === '' ? null : value;
    };
    const kindText = row.cell('kind') ?? '';
    const kind = parseContactKind(kindText);
    if (kind === null) fail('kind', kindText === '' ? `kind is empty; kinds are ${CONTACT_KINDS.join(', ')}` : `unknown kind "${kindText}"; kinds are ${CONTACT_KINDS.join(', ')}`);
    const label = optional('label');
    if (label === null) fail('label', 'label is empty');
    else if (label.length > MAX_LABEL_LENGTH) fail('label', `label is longer than ${MAX_LABEL_LENGTH} characters`);
    const phone = optional('phone');
    if (phone !== null) {
      const digits = phone.replace(/\D/g, '').length;
      if (!PHONE.test(phone) || digits < 3 || digits > 15) fail('phone', `"${phone}" is not a phone number (3 to 15 digits; spaces, +, brackets and hyphens allowed)`);
    } else if (kind !== null && PHONE_REQUIRED.includes(kind)) {
      fail('phone', `a ${kind} contact needs a phone number: someone at risk rings it`);
    }
    const email = optional('email');
    if (email !== null && (email.length > 254 || !EMAIL.test(email))) fail('email', `"${email}" is not a valid email address`);
    const url = optional('url');
    const urlProblem = url === null ? null : checkUrl(url);
    if (urlProblem) fail('url', `"${url}" ${urlProblem}`);
    const availability = optional('availability');
    if (availability !== null && availability.length > MAX_AVAILABILITY_LENGTH) fail('availability', `availability is longer than ${MAX_AVAILABILITY_LENGTH} characters`);
    if (phone === null && email === null && url === null) {
      const unreachable = kind === null ? null : reachProblem({ kind, phone, email, url });
      if (unreachable) fail('phone', unreachable);
      else if (availability === null && (kind === null || !PHONE_REQUIRED.includes(kind))) {
        fail('phone', 'give at least one of phone, email, url or availability, so people know how to reach it');
      }
    }
    if (kind !== null && label !== null) {
      const key = `${kind}:${label.toLowerCase()}`;
      const first = seen.get(key);
      if (first !== undefined) fail('label', `the same ${kind} contact "${label}" is already on line ${first}`);
      else seen.set(key, row.line);
      contacts.push({ line: row.line, kind, label, phone, email, url, availability, sortOrder: (contacts.length + 1) * 10 });
    }
  }
  if (table.rows.length > 0 && problems.length === 0) {
    const kinds = new Set(contacts.map((c) => c.kind));
    if (!kinds.has('EMERGENCY_SERVICES')) {
      problems.push({ line: table.headerLine, field: 'kind', reason: 'the list has no EMERGENCY_SERVICES contact (999): the bot gives it first to anyone at risk' });
    }
    if (!kinds.has('OUT_OF_HOURS_LINE') && !kinds.has('EMERGENCY_DUTY_TEAM')) {
      problems.push({ line: table.headerLine, field: 'kind', reason: 'the list has no out-of-hours route (OUT_OF_HOURS_LINE or EMERGENCY_DUTY_TEAM): someone at risk out of hours would get only 999' });
    }
  }
  return problems.length > 0 ? { ok: false, problems: byLine(problems) } : { ok: true, contacts };
}
