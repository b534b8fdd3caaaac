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
