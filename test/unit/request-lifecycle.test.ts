import { describe, expect, it } from 'vitest';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.js';
import {
  OUTCOME_LABELS,
  STATUS_LABELS,
  adviceFeedback,
  claim,
  close,
  giveAdvice,
  isRequestOutcome,
  type RequestStatus,
} from '../../src/domain/request-lifecycle.js';

const STATUSES: readonly RequestStatus[] = ['OPEN', 'CLAIMED', 'ADVICE_GIVEN', 'SESSION_REQUESTED', 'BOOKED', 'CLOSED'];

/** Runs the transition and returns the DomainError it threw (failing if it did not). */
function refusal(transition: () => unknown): DomainError {
  try {
    transition();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the transition to be refused');
}

type Outcome = RequestStatus | DomainErrorCode;
const expectOutcome = (transition: () => RequestStatus, expected: Outcome) => {
  if (STATUSES.includes(expected as RequestStatus)) expect(transition()).toBe(expected);
  else expect(refusal(transition).code).toBe(expected);
};

describe('status labels', () => {
  it('labels every status', () => {
    expect(Object.keys(STATUS_LABELS).sort()).toEqual([...STATUSES].sort());
  });
});

describe('claim', () => {
  const table: Array<[RequestStatus, Outcome]> = [
    ['OPEN', 'CLAIMED'],
    ['CLAIMED', 'ALREADY_CLAIMED'],
    ['ADVICE_GIVEN', 'ALREADY_CLAIMED'],
    ['SESSION_REQUESTED', 'ALREADY_CLAIMED'],
    ['BOOKED', 'ALREADY_CLAIMED'],
    ['CLOSED', 'REQUEST_CLOSED'],
  ];

  it('the table covers every status', () => {
    expect(table.map(([s]) => s)).toEqual([...STATUSES]);
  });

  it.each(table)('from %s -> %s', (status, expected) => {
    expectOutcome(() => claim({ status, claimedByName: 'Priya Shah' }), expected);
  });

  it('names the claimer when refusing a second claim', () => {
    const error = refusal(() => claim({ status: 'CLAIMED', claimedByName: 'Priya Shah' }));
    expect(error.code).toBe('ALREADY_CLAIMED');
    expect(error.userMessage).toBe('This request has already been claimed by Priya Shah.');
  });

  it.each([null, undefined])('says "someone else" when the claimer is unknown (%s)', (claimedByName) => {
    const error = refusal(() => claim({ status: 'ADVICE_GIVEN', claimedByName }));
    expect(error.userMessage).toBe('This request has already been claimed by someone else.');
  });

  it('refuses a closed request as closed, not as claimed', () => {
    const error = refusal(() => claim({ status: 'CLOSED', claimedByName: 'Priya Shah' }));
    expect(error.code).toBe('REQUEST_CLOSED');
    expect(error.userMessage).toBe('This request is already closed.');
  });
});

describe('giveAdvice', () => {
  const table: Array<[RequestStatus, Outcome]> = [
    ['OPEN', 'NOT_CLAIMED'],
    ['CLAIMED', 'ADVICE_GIVEN'],
    ['ADVICE_GIVEN', 'ADVICE_GIVEN'],
    // Further advice while a session is wanted or booked keeps the session in view.
    ['SESSION_REQUESTED', 'SESSION_REQUESTED'],
    ['BOOKED', 'BOOKED'],
    ['CLOSED', 'REQUEST_CLOSED'],
  ];

  it('the table covers every status', () => {
    expect(table.map(([s]) => s)).toEqual([...STATUSES]);
  });

  it.each(table)('from %s -> %s', (status, expected) => {
    expectOutcome(() => giveAdvice({ status }), expected);
  });

  it('asks for a claim first on an open request', () => {
    expect(refusal(() => giveAdvice({ status: 'OPEN' })).userMessage).toBe('Claim this request before giving advice.');
  });
});

describe('close', () => {
  const table: Array<[RequestStatus, Outcome]> = [
    ['OPEN', 'CLOSED'],
    ['CLAIMED', 'CLOSED'],
    ['ADVICE_GIVEN', 'CLOSED'],
    ['SESSION_REQUESTED', 'CLOSED'],
    ['BOOKED', 'CLOSED'],
    ['CLOSED', 'REQUEST_CLOSED'],
  ];

  it('the table covers every status', () => {
    expect(table.map(([s]) => s)).toEqual([...STATUSES]);
  });

  it.each(table)('from %s -> %s', (status, expected) => {
    expectOutcome(() => close({ status }), expected);
  });
});

describe('adviceFeedback', () => {
  const table: Array<[RequestStatus, Outcome, Outcome]> = [
    // status,             it helped,        wants a session
    ['OPEN', 'STALE_CARD', 'STALE_CARD'],
    ['CLAIMED', 'STALE_CARD', 'STALE_CARD'],
    ['ADVICE_GIVEN', 'ADVICE_GIVEN', 'SESSION_REQUESTED'],
    ['SESSION_REQUESTED', 'STALE_CARD', 'STALE_CARD'],
    ['BOOKED', 'STALE_CARD', 'STALE_CARD'],
    ['CLOSED', 'REQUEST_CLOSED', 'REQUEST_CLOSED'],
  ];

  it('the table covers every status', () => {
    expect(table.map(([s]) => s)).toEqual([...STATUSES]);
  });

  it.each(table)('from %s: helped -> %s, wants a session -> %s', (status, helped, wantsSession) => {
    expectOutcome(() => adviceFeedback({ status }, false), helped);
    expectOutcome(() => adviceFeedback({ status }, true), wantsSession);
  });

  it('explains a stale card', () => {
    expect(refusal(() => adviceFeedback({ status: 'SESSION_REQUESTED' }, true)).userMessage).toBe(
      'This advice has been followed up already.',
    );
  });

  it('a second answer to the same advice is refused once a session was asked for', () => {
    const after = adviceFeedback({ status: 'ADVICE_GIVEN' }, true);
    expect(after).toBe('SESSION_REQUESTED');
    expect(refusal(() => adviceFeedback({ status: after }, false)).code).toBe('STALE_CARD');
  });
});

describe('a whole request', () => {
  it('goes OPEN -> CLAIMED -> ADVICE_GIVEN -> SESSION_REQUESTED -> CLOSED', () => {
    let status: RequestStatus = 'OPEN';
    status = claim({ status });
    expect(status).toBe('CLAIMED');
    status = giveAdvice({ status });
    expect(status).toBe('ADVICE_GIVEN');
    status = adviceFeedback({ status }, true);
    expect(status).toBe('SESSION_REQUESTED');
    status = close({ status });
    expect(status).toBe('CLOSED');
    for (const step of [() => claim({ status }), () => giveAdvice({ status }), () => close({ status })]) {
      expect(refusal(step).code).toBe('REQUEST_CLOSED');
    }
  });
});

describe('isRequestOutcome', () => {
  it.each(Object.keys(OUTCOME_LABELS))('accepts %s', (outcome) => {
    expect(isRequestOutcome(outcome)).toBe(true);
  });

  it('knows the six outcomes', () => {
    expect(Object.keys(OUTCOME_LABELS).sort()).toEqual(
      ['ADVICE_GIVEN', 'DUPLICATE', 'NO_FURTHER_ACTION', 'REFERRED_ELSEWHERE', 'SESSION_BOOKED', 'WITHDRAWN'].sort(),
    );
  });

  it.each([
    ['a status that is not an outcome', 'CLOSED'],
    ['lower case', 'advice_given'],
    ['padded', ' DUPLICATE'],
    ['empty', ''],
    ['an Object.prototype member', 'toString'],
    ['an Object.prototype member', 'constructor'],
    ['an Object.prototype member', 'hasOwnProperty'],
    ['__proto__', '__proto__'],
  ])('rejects %s: %j', (_label, value) => {
    expect(isRequestOutcome(value)).toBe(false);
  });

  it.each([undefined, null, 0, 1, true, {}, ['ADVICE_GIVEN'], { ADVICE_GIVEN: true }])('rejects non-string %j', (value) => {
    expect(isRequestOutcome(value)).toBe(false);
  });
});
