import type { ServiceHours } from './org-settings.js';
import { policyFor, type ResponsePolicies } from './response-policy.js';
import { addServiceMinutes, describeWhen, serviceDeadline } from './service-time.js';

export type HelpType = 'ADVICE' | 'SESSION' | 'CHILD_DEATH' | 'EMOTIONAL_IMPACT';
export type RequestRoute = 'ADVICE' | 'SUPERVISION';
export type Urgency = 'URGENT' | 'ROUTINE';
export type FormatPreference = 'INDIVIDUAL' | 'GROUP' | 'EITHER';

export const HELP_TYPES: readonly HelpType[] = ['ADVICE', 'SESSION', 'CHILD_DEATH', 'EMOTIONAL_IMPACT'];

export const HELP_TYPE_LABELS: Record<HelpType, string> = {
  ADVICE: 'Quick advice',
  SESSION: 'Supervision session',
  CHILD_DEATH: 'Case involving the death of a child',
  EMOTIONAL_IMPACT: 'Emotional impact of a case',
};

/**
 * Where a request goes. Advice is answered in chat (ad-hoc supervision, seeds 003 5.5);
 * everything else is offered a supervision session: a child's death always is (seeds
 * 000 6.4), and the emotional impact of the work is one of supervision's purposes (000 1.2).
 */
export function routeFor(helpType: HelpType): RequestRoute {
  return helpType === 'ADVICE' ? 'ADVICE' : 'SUPERVISION';
}

export function urgencyFor(immediateRisk: boolean): Urgency {
  return immediateRisk ? 'URGENT' : 'ROUTINE';
}

/** Whether the person is asked about group or individual supervision. */
export function asksForFormat(helpType: HelpType): boolean {
  return routeFor(helpType) === 'SUPERVISION';
}

/** Emotional impact requests are also pointed to staff-support services (000 procedure 4.6). */
export function signpostsStaffSupport(helpType: HelpType): boolean {
  return helpType === 'EMOTIONAL_IMPACT' || helpType === 'CHILD_DEATH';
}

/** When the requester can expect first contact from the safeguarding team. */
export function expectedContactBy(
  createdAt: Date,
  urgency: Urgency,
  route: RequestRoute,
  policies: ResponsePolicies,
  hours: ServiceHours,
  zone: string,
): Date {
  // Every promise counts only time when the team is on duty: an urgent request at 21:11 on a
  // Friday is answered after Monday's opening, and until then the 24/7 routes carry it.
  return serviceDeadline(createdAt, policyFor(policies, urgency, route).targetMinutes, hours, zone);
}

/** When the team is next on duty: `at` itself within service hours, else the next opening. */
export function nextOnDuty(at: Date, hours: ServiceHours, zone: string): Date | null {
  try {
    return addServiceMinutes(at, 0, hours, zone);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** When the team is next on duty, as a person is told it: "09:00 tomorrow", or "their next working day" without hours. */
export function describeNextOnDuty(at: Date, hours: ServiceHours, zone: string): string {
  const onDuty = nextOnDuty(at, hours, zone);
  return onDuty ? describeWhen(onDuty, at, zone) : 'their next working day';
}

/** "3 h 20 min", "2 days 4 h": how long a request has waited, for the triage card. */
export function describeWaiting(since: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ${hours % 24} h`;
}
