import { DomainError } from './errors.js';

export type RequestStatus = 'OPEN' | 'CLAIMED' | 'ADVICE_GIVEN' | 'SESSION_REQUESTED' | 'BOOKED' | 'CLOSED';
export type RequestOutcome =
  | 'ADVICE_GIVEN'
  | 'SESSION_BOOKED'
  | 'REFERRED_ELSEWHERE'
  | 'NO_FURTHER_ACTION'
  | 'WITHDRAWN'
  | 'DUPLICATE';

export const OUTCOME_LABELS: Record<RequestOutcome, string> = {
  ADVICE_GIVEN: 'Advice given',
  SESSION_BOOKED: 'Session booked',
  REFERRED_ELSEWHERE: 'Referred elsewhere',
  NO_FURTHER_ACTION: 'No further action',
  WITHDRAWN: 'Withdrawn by requester',
  DUPLICATE: 'Duplicate request',
};

export const STATUS_LABELS: Record<RequestStatus, string> = {
  OPEN: 'Waiting to be claimed',
  CLAIMED: 'Claimed',
  ADVICE_GIVEN: 'Advice given',
  SESSION_REQUESTED: 'Session requested',
  BOOKED: 'Session booked',
  CLOSED: 'Closed',
};

interface RequestState {
  status: RequestStatus;
  claimedByName?: string | null;
}

function assertOpen(request: RequestState): void {
  if (request.status === 'CLOSED') throw new DomainError('REQUEST_CLOSED', 'This request is already closed.');
}

/** Claiming moves an open request to CLAIMED; a second claim is refused, naming the claimer. */
export function claim(request: RequestState): RequestStatus {
  assertOpen(request);
  if (request.status !== 'OPEN') {
    throw new DomainError('ALREADY_CLAIMED', `This request has already been claimed by ${request.claimedByName ?? 'someone else'}.`);
  }
  return 'CLAIMED';
}

/**
 * Advice can be given (and given again) once the request is claimed. Advice while a
 * session is requested or booked does not undo that: the session is still wanted.
 */
export function giveAdvice(request: RequestState): RequestStatus {
  assertOpen(request);
  if (request.status === 'OPEN') throw new DomainError('NOT_CLAIMED', 'Claim this request before giving advice.');
  return request.status === 'SESSION_REQUESTED' || request.status === 'BOOKED' ? request.status : 'ADVICE_GIVEN';
}

export function close(request: RequestState): RequestStatus {
  assertOpen(request);
  return 'CLOSED';
}

/** The requester's answer to advice: it helped, or they would like a session after all. */
export function adviceFeedback(request: RequestState, wantsSession: boolean): RequestStatus {
  assertOpen(request);
  if (request.status !== 'ADVICE_GIVEN') {
    throw new DomainError('STALE_CARD', 'This advice has been followed up already.');
  }
  return wantsSession ? 'SESSION_REQUESTED' : 'ADVICE_GIVEN';
}

export function isRequestOutcome(value: unknown): value is RequestOutcome {
  // Own keys only: `in` would also accept 'toString', '__proto__' and the like from card data.
  return typeof value === 'string' && Object.hasOwn(OUTCOME_LABELS, value);
}
