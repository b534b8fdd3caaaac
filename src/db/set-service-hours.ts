// The safeguarding team's service hours and holidays (src/domain/service-hours-input.ts), checked
// with the schema the bot reads them with, written and audited in one transaction.
import type { ServiceHours } from '../domain/org-settings.js';
import { changeHolidays, changeServiceHours } from '../domain/service-hours-input.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation, type ChangeActor } from './organisation-change.js';

/** "09:00-12:30, 13:30-17:00" or "closed". */
export function describeDay(windows: readonly { from: string; to: string }[]): string {
  return windows.length === 0 ? 'closed' : windows.map((w) => `${w.from}-${w.to}`).join(', ');
}

/**
 * Set the hours of the days named in `assignments` ("mon-fri=09:00-17:00", "sat=closed"). `by`:
 * the administrator who changed them in chat (the organisation settings card); absent, the command line.
 */
export async function setServiceHours(db: Db, slug: string, assignments: readonly string[], clock: Clock, by?: ChangeActor): Promise<ServiceHours> {
  return changeOrganisation(db, slug, clock, 'organisation.service-hours.set', async (tx, org) => {
    const change = changeServiceHours(org.serviceHours, assignments);
    if (!change.ok) throw new SetupRefusedError(change.problems);
    await tx.organisation.update({ where: { id: org.id }, data: { serviceHours: change.serviceHours } });
    const detail = Object.fromEntries(change.days.map((day) => [day, describeDay(change.serviceHours[day])]));
    return { result: change.serviceHours, detail: { days: change.days.join(','), ...detail } };
  }, { ...(by ? { by } : {}) });
}

/** Replace the holidays (dates the team is closed whatever the weekday), or clear them with "none". */
export async function setHolidays(db: Db, slug: string, dates: readonly string[], clock: Clock): Promise<ServiceHours> {
  return changeOrganisation(db, slug, clock, 'organisation.holidays.set', async (tx, org) => {
    const change = changeHolidays(org.serviceHours, dates);
    if (!change.ok) throw new SetupRefusedError(change.problems);
    await tx.organisation.update({ where: { id: org.id }, data: { serviceHours: change.serviceHours } });
    const holidays = change.serviceHours.holidays ?? [];
    return { result: change.serviceHours, detail: { holidays: holidays.length, first: holidays[0] ?? null, last: holidays.at(-1) ?? null } };
  });
}
