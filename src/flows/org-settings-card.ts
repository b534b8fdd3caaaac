// "organisation settings": an administrator sees the organisation's contacts, service hours and
// response policies on one card (cards/org-settings.json, Block Kit on Slack) and changes the
// contacts and the service hours from it. Each change goes through the same use cases as
// `npm run org -- set-contacts` / `set-service-hours` (src/db/set-contacts.ts,
// set-service-hours.ts): the same schema, one transaction, audited with the administrator as
// the actor; a change with any problem writes nothing and gives the form back with what was
// typed and each problem named. The role is checked on every submit, from the directory entry of
// the platform-verified actor (never from the card's data), so a forged or replayed submit by
// anyone else is refused and changes nothing. Response policies are shown, and changed with
// `npm run org -- set-response-policy` (their rules span routes; a card of nine numbers is worse).
import { setContacts } from '../db/set-contacts.js';
import { setServiceHours } from '../db/set-service-hours.js';
import { DomainError } from '../domain/errors.js';
import { canChangeOrganisationSettings } from '../domain/permissions.js';
import { serviceHoursSchema, WEEKDAYS, type Weekday } from '../domain/org-settings.js';
import { RESPONSE_ROUTES, responsePoliciesSchema, type ResponseRoute } from '../domain/response-policy.js';
import { describeProblem, SetupRefusedError, type SetupProblem } from '../domain/setup-problems.js';
import { FormRefusal, type CardRef, type FlowDeps, type TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

export const ORG_SETTINGS_COMMAND = /^(?:organisation|organization|org) settings$/;

export const ONLY_ADMINISTRATORS = 'Only an administrator can see and change the organisation settings.';

const DAY_NAMES: Record<Weekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
const ROUTE_NAMES: Record<ResponseRoute, string> = { urgent: 'Urgent', advice: 'Advice', session: 'Session request' };
const KIND_NAMES: Record<string, string> = {
  SUPERVISION_INBOX: 'Supervision inbox',
  DUTY_LINE: 'Duty line',
  OUT_OF_HOURS_LINE: 'Out-of-hours line',
  EMERGENCY_DUTY_TEAM: 'Emergency Duty Team',
  EMERGENCY_SERVICES: 'Emergency services',
  STAFF_SUPPORT: 'Staff support',
};
const CONTACT_COLUMNS = ['kind', 'label', 'phone', 'email', 'url', 'availability'] as const;
/** The longest contacts text the card takes (a text input holds at most 3,000 characters on Slack; larger lists: npm run org -- set-contacts). */
export const MAX_CONTACTS_TEXT = 3000;

function assertAdministrator(actor: Actor): void {
  if (!canChangeOrganisationSettings(actor)) throw new DomainError('NOT_PERMITTED', ONLY_ADMINISTRATORS);
}

/** A CSV field for the form: quoted when it must be (not neutralised: this is read back by the bot, not a spreadsheet). */
function field(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

/** "09:00-12:30, 13:30-17:00" or "closed", as typed back into set-service-hours. */
function dayText(windows: readonly { from: string; to: string }[] | undefined): string {
  return !windows || windows.length === 0 ? 'closed' : windows.map((w) => `${w.from}-${w.to}`).join(', ');
}

/** "4 h", "1 h 30 min", "45 min" of service time (no "days": how long a service day is depends on the hours). */
function serviceMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

interface Typed {
  contacts?: string;
  hours?: Partial<Record<Weekday, string>>;
}

interface Outcome {
  /** What was saved, or what is wrong, shown at the top of the card. */
  message?: string;
  problems?: readonly SetupProblem[];
}

async function loadOrganisation(deps: FlowDeps, organisationId: string) {
  return deps.db.organisation.findUniqueOrThrow({
    where: { id: organisationId },
    select: {
      slug: true,
      name: true,
      timeZone: true,
      serviceHours: true,
      responseTargets: true,
      settings: true,
      contacts: { orderBy: { sortOrder: 'asc' }, select: { kind: true, label: true, phone: true, email: true, url: true, availability: true } },
    },
  });
}

/** The card: what is stored, or (after a refusal) what the administrator typed, with the problems. */
async function settingsCard(deps: FlowDeps, actor: Actor, typed: Typed = {}, outcome: Outcome = {}): Promise<CardRef> {
  const org = await loadOrganisation(deps, actor.organisationId);
  const hours = serviceHoursSchema.safeParse(org.serviceHours);
  const policies = responsePoliciesSchema.safeParse(org.responseTargets);
  const stored = org.contacts.map((c) => CONTACT_COLUMNS.map((column) => field(c[column])).join(','));
  return {
    template: 'org-settings',
    data: {
      heading: `Organisation settings: ${org.name}`,
      message: outcome.message ?? '',
      problems: (outcome.problems ?? []).map((p) => ({ text: describeProblem(p) })),
      contacts: org.contacts.map((c) => ({
        title: KIND_NAMES[c.kind] ?? c.kind,
        value: `${c.label}: ${[c.phone, c.email, c.url].filter(Boolean).join(', ') || '—'}${c.availability ? ` (${c.availability})` : ''}`,
      })),
      contactsText: typed.contacts ?? [CONTACT_COLUMNS.join(','), ...stored].join('\n'),
      timeZone: org.timeZone,
      days: WEEKDAYS.map((day) => ({
        id: `hours_${day}`,
        label: DAY_NAMES[day],
        value: typed.hours?.[day] ?? (hours.success ? dayText(hours.data[day]) : dayText((org.serviceHours as Record<string, never> | null)?.[day])),
      })),
      holidays: hours.success && (hours.data.holidays?.length ?? 0) > 0 ? hours.data.holidays!.join(', ') : 'none',
      policies: policies.success
        ? RESPONSE_ROUTES.map((route) => {
            const p = policies.data[route];
            return {
              title: ROUTE_NAMES[route],
              value: `contact within ${serviceMinutes(p.targetMinutes)}; re-surfaced after ${serviceMinutes(p.resurfaceAfterMinutes)} unclaimed, escalated to the Head of Safeguarding after ${serviceMinutes(p.escalateAfterMinutes)}`,
            };
          })
        : [{ title: 'Invalid', value: 'The stored response policy is not valid: npm run org -- show names the field.' }],
    },
  };
}

export async function showOrgSettings(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  assertAdministrator(actor);
  return { replies: [{ card: await settingsCard(deps, actor) }] };
}

async function slugOf(deps: FlowDeps, actor: Actor): Promise<string> {
  return (await deps.db.organisation.findUniqueOrThrow({ where: { id: actor.organisationId }, select: { slug: true } })).slug;
}

function typedHours(value: Record<string, unknown>): Partial<Record<Weekday, string>> {
  return Object.fromEntries(WEEKDAYS.map((day) => [day, typeof value[`hours_${day}`] === 'string' ? (value[`hours_${day}`] as string) : '']));
}

/** The form again, in place, with what was typed and every problem; nothing was written. */
async function refusedForm(deps: FlowDeps, actor: Actor, typed: Typed, problems: readonly SetupProblem[], what: string): Promise<never> {
  const message = `Nothing was changed: the ${what} were not saved (${problems.length} problem${problems.length === 1 ? '' : 's'}).`;
  const notice = `${message}\n${problems.map(describeProblem).join('\n')}`;
  throw new FormRefusal(new DomainError('INVALID_INPUT', notice), await settingsCard(deps, actor, typed, { message, problems }), true);
}

/** "Save contacts": the whole list, as set-contacts takes it (kind,label,phone,email,url,availability). */
export async function saveOrgContacts(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertAdministrator(actor);
  const text = typeof value.contacts === 'string' ? value.contacts : '';
  const typed = { contacts: text, hours: typedHours(value) };
  if (text.trim() === '') return refusedForm(deps, actor, typed, [{ field: 'contacts', reason: 'give the contacts, one a line under the header kind,label,phone,email,url,availability' }], 'contacts');
  if (text.length > MAX_CONTACTS_TEXT) return refusedForm(deps, actor, typed, [{ field: 'contacts', reason: `at most ${MAX_CONTACTS_TEXT} characters` }], 'contacts');
  try {
    const saved = await setContacts(deps.db, await slugOf(deps, actor), text, deps.clock, { personId: actor.personId, platform: actor.platform });
    const message = `Contacts saved: ${saved.contacts} contact${saved.contacts === 1 ? '' : 's'}. Urgent routes use them within a minute.`;
    return { replies: [], updatedCard: await settingsCard(deps, actor, {}, { message }), notice: message };
  } catch (error) {
    if (error instanceof SetupRefusedError) return refusedForm(deps, actor, typed, error.problems, 'contacts');
    throw error;
  }
}

/** "Save service hours": every weekday as set-service-hours takes it (09:00-17:00, 09:00-12:30,13:30-17:00, or closed). */
export async function saveOrgServiceHours(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertAdministrator(actor);
  const hours = typedHours(value);
  const typed = { hours, ...(typeof value.contacts === 'string' ? { contacts: value.contacts } : {}) };
  try {
    const assignments = WEEKDAYS.map((day) => `${day}=${(hours[day] ?? '').trim()}`);
    const saved = await setServiceHours(deps.db, await slugOf(deps, actor), assignments, deps.clock, { personId: actor.personId, platform: actor.platform });
    const open = WEEKDAYS.filter((day) => saved[day].length > 0).length;
    const message = `Service hours saved: open ${open} day${open === 1 ? '' : 's'} a week. Promises and reminders count them from now on.`;
    return { replies: [], updatedCard: await settingsCard(deps, actor, {}, { message }), notice: message };
  } catch (error) {
    if (error instanceof SetupRefusedError) return refusedForm(deps, actor, typed, error.problems, 'service hours');
    throw error;
  }
}
