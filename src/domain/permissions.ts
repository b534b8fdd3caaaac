import { DomainError } from './errors.js';

export type Role = 'STAFF' | 'SUPERVISOR' | 'SPECIALIST' | 'HEAD_OF_SAFEGUARDING' | 'LINE_MANAGER' | 'ADMINISTRATOR';

/** Who is acting: always taken from the platform's verified identity, never from card data. */
export interface ActorIdentity {
  personId: string;
  organisationId: string;
  roles: readonly Role[];
}

/** The facts about a request that decide who may do what with it. */
export interface RequestRelation {
  organisationId: string;
  requesterId: string;
  claimedById: string | null;
}

export type RequestAction =
  | 'request.claim'
  | 'request.read-summary'
  | 'request.advise'
  | 'request.close'
  | 'request.feedback';

export const isSafeguardingTeam = (actor: ActorIdentity) =>
  actor.roles.includes('SPECIALIST') || actor.roles.includes('HEAD_OF_SAFEGUARDING');

const isHead = (actor: ActorIdentity) => actor.roles.includes('HEAD_OF_SAFEGUARDING');

/** The assert of a rule: refuses with NOT_PERMITTED and the sentence that says who may. */
function refusing<R>(rule: (actor: ActorIdentity, relation: R) => boolean, refusal: string): (actor: ActorIdentity, relation: R) => void {
  return (actor, relation) => {
    if (!rule(actor, relation)) throw new DomainError('NOT_PERMITTED', refusal);
  };
}

/**
 * The permission rules for requests (DESIGN section 3; seeds 000 9.1): the safeguarding team
 * works requests; only the claimer (or the Head) advises on or closes a claimed one; the
 * summary is read by the requester and the safeguarding team only; feedback on advice
 * comes from the requester alone. Nobody acts across organisations.
 */
export function canActOnRequest(actor: ActorIdentity, action: RequestAction, request: RequestRelation): boolean {
  if (actor.organisationId !== request.organisationId) return false;
  const isRequester = actor.personId === request.requesterId;
  const isClaimer = request.claimedById !== null && actor.personId === request.claimedById;
  switch (action) {
    case 'request.claim':
      return isSafeguardingTeam(actor);
    case 'request.read-summary':
      return isRequester || isSafeguardingTeam(actor);
    case 'request.advise':
      return isSafeguardingTeam(actor) && (isClaimer || isHead(actor));
    case 'request.close':
      return isSafeguardingTeam(actor) && (request.claimedById === null || isClaimer || isHead(actor));
    case 'request.feedback':
      return isRequester;
  }
}

const REFUSALS: Record<RequestAction, string> = {
  'request.claim': 'Only safeguarding specialists can claim requests.',
  'request.read-summary': 'Only the requester and the safeguarding team can read a request.',
  'request.advise': 'Only the specialist who claimed this request can give advice on it.',
  'request.close': 'Only the specialist who claimed this request, or the Head of Safeguarding, can close it.',
  'request.feedback': 'Only the person who asked for help can answer this.',
};

export function assertCanActOnRequest(actor: ActorIdentity, action: RequestAction, request: RequestRelation): void {
  if (!canActOnRequest(actor, action, request)) throw new DomainError('NOT_PERMITTED', REFUSALS[action]);
}

export function canBindTriageChannel(actor: ActorIdentity): boolean {
  return actor.roles.includes('ADMINISTRATOR');
}

export const ADD_TO_REQUEST_REFUSAL = 'Only the person who asked for help can add to their request.';

/** Adding more to a request (what they wrote later) is the requester's alone, in their organisation. */
export function canAddToRequest(actor: ActorIdentity, request: RequestRelation): boolean {
  return actor.organisationId === request.organisationId && actor.personId === request.requesterId;
}

const isAdministrator = (actor: ActorIdentity) => actor.roles.includes('ADMINISTRATOR');

/** The audit trail (by reference, record, person or dates, in chat or as CSV) is the Head of Safeguarding's alone. */
export function canReadAuditTrail(actor: ActorIdentity): boolean {
  return isHead(actor);
}

/** A subject-access export of everything held about a person: the Head of Safeguarding's alone. */
export function canExportSubjectAccess(actor: ActorIdentity): boolean {
  return isHead(actor);
}

/** Failed reminders and deliveries are seen and retried by administrators. */
export function canManageFailedReminders(actor: ActorIdentity): boolean {
  return isAdministrator(actor);
}

/** The organisation's settings, service hours and contacts are changed in chat by administrators. */
export function canChangeOrganisationSettings(actor: ActorIdentity): boolean {
  return isAdministrator(actor);
}

/** Anyone may see their own supervision history (`own`); only the safeguarding team someone else's. */
export function canSeeHistory(actor: ActorIdentity, own: boolean): boolean {
  return own || isSafeguardingTeam(actor);
}

/** Who may be chosen as a session's supervisor (outside a supervisor pool): supervisors and specialists. */
export function canSupervise(person: { roles: readonly Role[] }): boolean {
  return person.roles.some((role) => role === 'SUPERVISOR' || role === 'SPECIALIST');
}

/** The time a supervisor suggested is accepted by the person who proposed the session, in their organisation. */
export function canAcceptSuggestedTime(actor: ActorIdentity, session: { organisationId: string; proposedById: string }): boolean {
  return actor.organisationId === session.organisationId && actor.personId === session.proposedById;
}

// ---------------------------------------------------------------------------
// Who may do what with a session
// ---------------------------------------------------------------------------

/** The facts about a session that decide who may do what with it. */
export interface SessionRelation {
  organisationId: string;
  supervisorId: string;
  proposedById: string;
  superviseeIds: readonly string[];
}

export interface ProposalRelation {
  superviseeIds: readonly string[];
  /** The single supervisee is in a staff group with mandatory supervision (seeds 000 7.2.2). */
  superviseeInMandatoryGroup: boolean;
  /** When given, the actor must belong to this organisation. */
  organisationId?: string;
}

const sameOrganisation = (actor: ActorIdentity, organisationId: string) => actor.organisationId === organisationId;
const isSupervisee = (actor: ActorIdentity, session: SessionRelation) => session.superviseeIds.includes(actor.personId);

/**
 * The safeguarding team (specialists and the Head) may propose a session for anyone. A
 * member of staff may propose one for themselves alone when their staff group has
 * mandatory supervision (seeds 001: the supervisee arranges supervision); everyone else
 * asks for supervision through a request instead.
 */
export function canProposeSession(actor: ActorIdentity, proposal: ProposalRelation): boolean {
  if (proposal.organisationId !== undefined && !sameOrganisation(actor, proposal.organisationId)) return false;
  if (isSafeguardingTeam(actor)) return true;
  return (
    proposal.superviseeInMandatoryGroup &&
    proposal.superviseeIds.length === 1 &&
    proposal.superviseeIds[0] === actor.personId
  );
}

/** Only the session's supervisor confirms a proposal, suggests another time or declines it. */
export function canRespondToProposal(actor: ActorIdentity, session: SessionRelation): boolean {
  return sameOrganisation(actor, session.organisationId) && actor.personId === session.supervisorId;
}

/** The supervisor, any supervisee, whoever proposed it, and the Head of Safeguarding. */
export function canCancelSession(actor: ActorIdentity, session: SessionRelation): boolean {
  if (!sameOrganisation(actor, session.organisationId)) return false;
  return (
    actor.personId === session.supervisorId ||
    actor.personId === session.proposedById ||
    isSupervisee(actor, session) ||
    isHead(actor)
  );
}

/** The people in the session (supervisor, supervisees, proposer) and the safeguarding team. */
export function canSeeSessionDetails(actor: ActorIdentity, session: SessionRelation): boolean {
  if (!sameOrganisation(actor, session.organisationId)) return false;
  return (
    actor.personId === session.supervisorId ||
    actor.personId === session.proposedById ||
    isSupervisee(actor, session) ||
    isSafeguardingTeam(actor)
  );
}

export const assertCanProposeSession = refusing<ProposalRelation>(canProposeSession, 'Only the safeguarding team can propose this session. If your staff group has mandatory supervision you can propose a session for yourself; otherwise ask for supervision and the team will arrange it.');

export const assertCanRespondToProposal = refusing<SessionRelation>(canRespondToProposal, 'Only the supervisor of this session can confirm it, suggest another time or decline it.');

export const assertCanCancelSession = refusing<SessionRelation>(canCancelSession, 'Only the supervisor, a supervisee, the person who proposed this session or the Head of Safeguarding can cancel it.');

export const assertCanSeeSessionDetails = refusing<SessionRelation>(canSeeSessionDetails, 'Only the people in this session and the safeguarding team can see its details.');

// ---------------------------------------------------------------------------
// Who may see and change a record
// ---------------------------------------------------------------------------

/** The facts about a record that decide who may see it. */
export interface RecordRelation {
  organisationId: string;
  supervisorId: string;
  superviseeIds: readonly string[];
}

export interface AttendanceRelation extends RecordRelation {
  /** The line managers of the supervisees whose attendance is being shown. */
  lineManagerIds: readonly string[];
}

export interface ActionPointRelation {
  ownerId: string;
  supervisorId: string;
  /** When given, the actor must belong to this organisation. */
  organisationId?: string;
}

/**
 * Seeds 000 9.1: the record is accessible only to the supervisee(s), the supervisor, the
 * Head of Safeguarding and the safeguarding specialists. Never across organisations.
 */
export function canReadRecord(actor: ActorIdentity, record: RecordRelation): boolean {
  if (actor.organisationId !== record.organisationId) return false;
  return (
    actor.personId === record.supervisorId || record.superviseeIds.includes(actor.personId) || isSafeguardingTeam(actor)
  );
}

/**
 * Whether someone attended (not what was discussed): everyone who may read the record,
 * and the supervisees' line managers (seeds 000 7.2.2: non-engagement is fed back to them).
 */
export function canSeeAttendance(actor: ActorIdentity, record: AttendanceRelation): boolean {
  if (actor.organisationId !== record.organisationId) return false;
  return canReadRecord(actor, record) || record.lineManagerIds.includes(actor.personId);
}

/** The supervisor writes the record (seeds 000 procedure 5.11). */
export function canWriteRecord(actor: ActorIdentity, record: RecordRelation): boolean {
  return actor.organisationId === record.organisationId && actor.personId === record.supervisorId;
}

/** The supervisor, and the Head of Safeguarding, may amend a record. */
export function canAmendRecord(actor: ActorIdentity, record: RecordRelation): boolean {
  return actor.organisationId === record.organisationId && (actor.personId === record.supervisorId || isHead(actor));
}

/** The action point's owner, or the supervisor, marks it done. */
export function canMarkActionDone(actor: ActorIdentity, point: ActionPointRelation): boolean {
  if (point.organisationId !== undefined && actor.organisationId !== point.organisationId) return false;
  return actor.personId === point.ownerId || actor.personId === point.supervisorId;
}

export const assertCanReadRecord = refusing<RecordRelation>(canReadRecord, 'Only the supervisee, the supervisor, the Head of Safeguarding and the safeguarding specialists can read this record.');

export const assertCanSeeAttendance = refusing<AttendanceRelation>(canSeeAttendance, "Only the people in this supervision, the safeguarding team and the supervisee's line manager can see attendance.");

export const assertCanWriteRecord = refusing<RecordRelation>(canWriteRecord, 'Only the supervisor of this session can write its record.');

export const assertCanAmendRecord = refusing<RecordRelation>(canAmendRecord, 'Only the supervisor or the Head of Safeguarding can amend this record.');

export const assertCanMarkActionDone = refusing<ActionPointRelation>(canMarkActionDone, 'Only the person this action point belongs to, or the supervisor, can mark it done.');

// ---------------------------------------------------------------------------
// Who may ask for the report and the overdue view
// ---------------------------------------------------------------------------

/** The aggregate report: the Head of Safeguarding and safeguarding specialists (DESIGN section 1). */
export function canRequestReport(actor: ActorIdentity): boolean {
  return actor.roles.includes('HEAD_OF_SAFEGUARDING') || actor.roles.includes('SPECIALIST');
}

export const REPORT_REFUSAL =
  'Only the Head of Safeguarding and safeguarding specialists can ask for the supervision report. If you want help from the safeguarding team, send me a message in your own words.';

/**
 * Whose names the "overdue supervision" view may show: everyone for the Head and specialists;
 * a line manager only the people who report to them (as "my team" does); nobody else.
 */
export type OverdueScope = { kind: 'organisation' } | { kind: 'reports-of'; lineManagerId: string } | { kind: 'none' };

export function overdueScope(actor: ActorIdentity): OverdueScope {
  if (canRequestReport(actor)) return { kind: 'organisation' };
  if (actor.roles.includes('LINE_MANAGER')) return { kind: 'reports-of', lineManagerId: actor.personId };
  return { kind: 'none' };
}

export const OVERDUE_REFUSAL =
  'Only the Head of Safeguarding, safeguarding specialists and line managers (for their own team) can see who is overdue for supervision.';

// ---------------------------------------------------------------------------
// Who may sign
// ---------------------------------------------------------------------------

/** Only a party (the supervisor and supervisee(s) it names) signs an agreement, contract or record. */
export function isParty(actor: ActorIdentity, partyIds: readonly string[]): boolean {
  return partyIds.includes(actor.personId);
}

export function assertIsParty(actor: ActorIdentity, partyIds: readonly string[], document: 'agreement' | 'record' = 'agreement'): void {
  if (!isParty(actor, partyIds)) throw new DomainError('NOT_A_PARTY', `You are not a party to this ${document}, so you cannot sign it.`);
}
