import { DateTime } from 'luxon';
import { describeFindings, IDENTIFIER_LABELS, type IdentifierFinding, type IdentifierKind } from '../domain/identifiers.js';
import { FORMAT_LABELS, NONE } from './labels.js';
import { OUTCOME_LABELS, STATUS_LABELS, type RequestOutcome } from '../domain/request-lifecycle.js';
import { describeDeadline } from '../domain/service-time.js';
import { describeWaiting, HELP_TYPE_LABELS, type HelpType } from '../domain/triage.js';
import type { RequestWithPeople } from '../db/requests.js';
import type { ContactLine } from '../domain/urgent-routes.js';
import type { HelpContent } from '../domain/help-topics.js';
import type { CardRef } from './types.js';

const ROUTE_LABELS = { ADVICE: 'Advice', SUPERVISION: 'Supervision session' } as const;
const URGENCY_LABELS = { URGENT: 'URGENT: immediate risk', ROUTINE: 'Routine' } as const;

export function riskCard(intro: string): CardRef {
  return { template: 'intake-risk', data: { intro } };
}

export function kindCard(heading: string): CardRef {
  return { template: 'intake-kind', data: { heading } };
}

export interface DetailsAnswers {
  format?: string;
  availability?: string;
  adjustments?: string;
  summary?: string;
}

export function detailsCard(
  helpType: HelpType,
  answers: DetailsAnswers,
  options: { note?: string; findings?: IdentifierFinding[]; prefilled?: string; support?: ContactLine[] } = {},
): CardRef {
  const findings = options.findings ?? [];
  const warning = findings.length
    ? `This looks like it may contain ${describeFindings(findings)}. Please remove anything that could identify a patient, then send again.`
    : '';
  return {
    template: 'intake-details',
    data: {
      heading: `${HELP_TYPE_LABELS[helpType]}: a few details`,
      note: options.note ?? '',
      support: options.support ?? [],
      prefilled: options.prefilled ?? '',
      warning,
      askFormat: helpType !== 'ADVICE',
      format: answers.format ?? 'EITHER',
      availability: answers.availability ?? '',
      adjustments: answers.adjustments ?? '',
      summary: answers.summary ?? '',
      submitTitle: findings.length ? 'Check again and send' : 'Send request',
    },
  };
}

export function urgentRoutesCard(routes: ContactLine[], alerted: string): CardRef {
  return { template: 'urgent-routes', data: { routes, alerted } };
}

export function confirmationCard(input: {
  reference: string;
  helpType: HelpType;
  expectation: string;
  nextSteps: string;
  support: ContactLine[];
}): CardRef {
  return {
    template: 'request-confirmation',
    data: {
      reference: input.reference,
      helpTypeLabel: HELP_TYPE_LABELS[input.helpType],
      expectation: input.expectation,
      nextSteps: input.nextSteps,
      support: input.support,
    },
  };
}

export function openRequestCard(request: RequestWithPeople): CardRef {
  return {
    template: 'open-request',
    data: {
      reference: request.reference,
      statusLabel: STATUS_LABELS[request.status],
      claimedBy: request.claimedBy?.name ?? 'Not yet claimed',
    },
  };
}

/**
 * With a request open, a new message: add it to that request, or start a new one. `summary` is
 * what the person wrote, after the patient-detail check (`leftOut` says what was left out).
 */
export function addToRequestCard(request: RequestWithPeople, summary: string, leftOut: string, prompt: string): CardRef {
  return {
    template: 'add-to-request',
    data: {
      heading: `Add this to ${request.reference}, or start a new request?`,
      reference: request.reference,
      requestId: request.id,
      statusLabel: STATUS_LABELS[request.status],
      claimedBy: request.claimedBy?.name ?? 'Not yet claimed',
      summary,
      leftOut,
      prompt,
      addTitle: `Add this to ${request.reference}`,
    },
  };
}

/** What the requester added to their request, for the specialist who claimed it (privately). */
export function requestAdditionCard(request: { id: string; reference: string; requester: { name: string } }, addition: string): CardRef {
  return { template: 'request-addition', data: { requestId: request.id, reference: request.reference, requester: request.requester.name, addition } };
}

/** The `help` card: what this person can do where they asked (src/domain/help-topics.ts). */
export function helpCard(content: HelpContent): CardRef {
  return { template: 'help', data: { ...content } };
}

const OUTCOME_CHOICES = (Object.keys(OUTCOME_LABELS) as RequestOutcome[]).map((value) => ({
  value,
  label: OUTCOME_LABELS[value],
}));

function requestFacts(request: RequestWithPeople) {
  return {
    requestId: request.id,
    version: request.version,
    reference: request.reference,
    staffGroup: request.staffGroupName ?? NONE,
    route: ROUTE_LABELS[request.route],
    urgency: URGENCY_LABELS[request.urgency],
    helpType: request.helpType ? HELP_TYPE_LABELS[request.helpType] : 'Not given yet',
    format: request.format ? FORMAT_LABELS[request.format] : NONE,
    status: STATUS_LABELS[request.status],
    isWorked: request.status !== 'OPEN' && request.status !== 'CLOSED',
    canClose: request.status !== 'CLOSED',
    outcomes: OUTCOME_CHOICES,
  };
}

/**
 * The triage channel's card. Everyone in the channel sees it, so it carries facts about
 * the request and never the summary, availability or adjustments.
 */
export function triageCard(request: RequestWithPeople, now: Date, expectedBy: Date, zone: string): CardRef {
  const urgent = request.urgency === 'URGENT';
  const closed = request.status === 'CLOSED';
  return {
    template: 'triage-request',
    data: {
      ...requestFacts(request),
      headline: closed
        ? `${request.reference}: closed (${request.outcome ? OUTCOME_LABELS[request.outcome] : 'closed'})`
        : urgent
          ? `URGENT: ${request.reference} (someone may be at immediate risk)`
          : `New request ${request.reference}`,
      headerStyle: urgent && !closed ? 'attention' : 'emphasis',
      headerColor: urgent && !closed ? 'Attention' : 'Default',
      waiting: closed ? NONE : describeWaiting(request.createdAt, now),
      claimedBy: request.claimedBy?.name ?? 'Unclaimed',
      session: describeSession(request.sessions[0], zone),
      expectation: closed || request.firstResponseAt ? NONE : describeDeadline(expectedBy, now, zone),
      canClaim: request.status === 'OPEN',
    },
  };
}

/** Where booking stands, for the triage card: who and when, never what the session is about. */
function describeSession(session: RequestWithPeople['sessions'][number] | undefined, zone: string): string {
  // None yet: the card shows the expected contact instead.
  if (!session) return '';
  const who = session.supervisor.name;
  const when = session.startsAt ? DateTime.fromJSDate(session.startsAt, { zone }).setLocale('en-GB').toFormat('ccc d LLL yyyy, HH:mm') : '';
  switch (session.status) {
    case 'PROPOSED':
      return `Proposed to ${who}, awaiting an answer`;
    case 'CONFIRMED':
      return `Booked with ${who}: ${when}`;
    case 'AWAITING_RECORD':
      return `Held with ${who}: ${when} (record not yet signed)`;
    case 'COMPLETED':
      return `Held with ${who}: ${when}`;
    case 'DECLINED':
      return `Declined by ${who}: to be arranged again`;
    case 'CANCELLED':
      return `Cancelled: to be arranged again`;
  }
}

export interface BookingChoices {
  supervisors: Array<{ id: string; name: string }>;
  defaultSupervisorId: string;
  defaultDuration: number;
  /** The request asks for a group session: the form offers other supervisees and a capacity. */
  isGroup?: boolean;
  otherSupervisees?: Array<{ id: string; name: string }>;
  defaultCapacity?: number;
}

/** What the requester sees of their own request's details: no working forms, no colleagues' names. */
export const REQUESTER_VIEW: BookingChoices = { supervisors: [], defaultSupervisorId: '', defaultDuration: 0, otherSupervisees: [] };

/**
 * The confidential view: for the safeguarding team with the working forms (advice, booking,
 * close); for the requester (`forTeam` false) the same facts without them. Every time it is
 * built, a read is audited.
 */
export function requestDetailCard(request: RequestWithPeople, booking: BookingChoices, forTeam = true): CardRef {
  const warnings = request.identifierWarnings as IdentifierKind[];
  return {
    template: 'request-detail',
    data: {
      ...requestFacts(request),
      requester: request.requester.jobTitle ? `${request.requester.name}, ${request.requester.jobTitle}` : request.requester.name,
      availability: request.availability ?? NONE,
      adjustments: request.adjustments ?? 'None given',
      summary: request.summary ?? 'Not given yet (urgent request: the requester was shown the urgent routes first).',
      warnings: warnings.length
        ? `The requester kept text the bot flagged as possibly ${warnings.map((k) => IDENTIFIER_LABELS[k] ?? k).join(', ')}.`
        : '',
      canBook: forTeam && request.status !== 'OPEN' && request.status !== 'CLOSED' && request.status !== 'BOOKED' && booking.supervisors.length > 0,
      ...booking,
      ...(forTeam ? {} : { isWorked: false, canClose: false }),
    },
  };
}

export function adviceCard(input: {
  requestId: string;
  reference: string;
  specialist: string;
  advice: string;
  answered?: string;
}): CardRef {
  return { template: 'advice', data: { ...input, answered: input.answered ?? '' } };
}
