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

/** How the requester is told their request was closed (the outcome, in words meant for them). */
export const OUTCOME_FOR_REQUESTER: Record<RequestOutcome, string> = {
  ADVICE_GIVEN: 'the advice you were given is recorded in your history',
  SESSION_BOOKED: 'a supervision session has been booked for you (see your sessions)',
  REFERRED_ELSEWHERE: 'it has been passed to another service, and the safeguarding team will tell you which',
  NO_FURTHER_ACTION: 'the safeguarding team found nothing more to do',
  WITHDRAWN: 'it was withdrawn, as you asked',
  DUPLICATE: 'it repeated another request of yours, which stays open',
};

/** The requester's notice that a specialist has picked their request up, and what happens next. */
export function claimedNotice(reference: string, specialistName: string, route: 'ADVICE' | 'SUPERVISION'): string {
  const next = route === 'ADVICE' ? 'They will reply to you here with advice.' : 'They will contact you here to arrange a supervision session.';
  return `${specialistName} from the safeguarding team has picked up your request ${reference}. ${next}`;
}

/** The requester's notice that their request is closed, with the outcome in their words. */
export function closedNotice(reference: string, outcome: RequestOutcome): string {
  return `Your request ${reference} is now closed: ${OUTCOME_FOR_REQUESTER[outcome]}. If you need more help, message me at any time.`;
}

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
