import { describe, expect, it } from 'vitest';
import {
  assertCapacity,
  assertCapacityValue,
  assertDuration,
  assertNoClash,
  cancelSession,
  completeSession,
  confirmSession,
  declineSession,
  defaultDurationMinutes,
  describeSlot,
  findClash,
  isAmbiguousLocalTime,
  localTimeOccurrences,
  NonexistentLocalTimeError,
  parseLocalDateTime,
  planCancellation,
  rebookBy,
  suggestAnotherTime,
  validateSlot,
  validateSlotRange,
  type SessionStatus,
} from '../../src/domain/booking.js';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.js';
import { type ActorIdentity, assertCanCancelSession, assertCanProposeSession, assertCanRespondToProposal, assertCanSeeSessionDetails, canCancelSession, canProposeSession, canRespondToProposal, canSeeSessionDetails, type Role, type SessionRelation } from '../../src/domain/permissions.js';

const LONDON = 'Europe/London';
const at = (iso: string) => new Date(iso);

/** Run `fn`, expecting a DomainError; returns it for further checks. */
function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefusal(fn: () => unknown, code: DomainErrorCode, message?: string | RegExp): void {
  const error = refusal(fn);
  expect(error.code).toBe(code);
  if (typeof message === 'string') expect(error.userMessage).toBe(message);
  else if (message) expect(error.userMessage).toMatch(message);
}

describe('parseLocalDateTime', () => {
  it('reads a local time in winter (GMT) and in summer (BST)', () => {
    expect(parseLocalDateTime('2026-01-15', '09:30', LONDON).toISOString()).toBe('2026-01-15T09:30:00.000Z');
    expect(parseLocalDateTime('2026-07-15', '09:30', LONDON).toISOString()).toBe('2026-07-15T08:30:00.000Z');
  });

  it('reads the same local time in other zones', () => {
    expect(parseLocalDateTime('2026-07-15', '09:30', 'UTC').toISOString()).toBe('2026-07-15T09:30:00.000Z');
    expect(parseLocalDateTime('2026-07-15', '09:30', 'America/New_York').toISOString()).toBe('2026-07-15T13:30:00.000Z');
  });

  it('accepts surrounding spaces, midnight and 23:59', () => {
    expect(parseLocalDateTime(' 2026-01-15 ', ' 00:00 ', LONDON).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(parseLocalDateTime('2026-01-15', '23:59', LONDON).toISOString()).toBe('2026-01-15T23:59:00.000Z');
  });

  it.each([
    ['15/01/2026', '09:30'],
    ['2026-1-15', '09:30'],
    ['2026-01-15T09:30', '09:30'],
    ['', '09:30'],
  ])('refuses the malformed date %j', (date, time) => {
    expectRefusal(() => parseLocalDateTime(date, time, LONDON), 'INVALID_TIME', 'Write the date as YYYY-MM-DD, for example 2026-03-05.');
  });

  it.each(['9:30', '09:30:00', '24:00', '12:60', '9.30am', ''])('refuses the malformed time %j', (time) => {
    expectRefusal(
      () => parseLocalDateTime('2026-01-15', time, LONDON),
      'INVALID_TIME',
      'Write the time as HH:mm on the 24-hour clock, for example 14:30.',
    );
  });

  it.each(['2026-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00'])(
    'refuses the impossible date %s',
    (date) => {
      expectRefusal(() => parseLocalDateTime(date, '09:30', LONDON), 'INVALID_TIME', `${date} is not a real date.`);
    },
  );

  it('accepts 29 February in a leap year', () => {
    expect(parseLocalDateTime('2028-02-29', '12:00', LONDON).toISOString()).toBe('2028-02-29T12:00:00.000Z');
  });

  it('refuses an unknown time zone', () => {
    expectRefusal(() => parseLocalDateTime('2026-01-15', '09:30', 'Mars/Olympus'), 'INVALID_TIME', /time zone/);
  });

  describe('the daylight-saving gap (clocks go forward 01:00 to 02:00 on 29 March 2026)', () => {
    it.each([
      ['01:00', '02:00'],
      ['01:01', '02:01'],
      ['01:30', '02:30'],
      ['01:59', '02:59'],
    ])('%s does not exist: refused, suggesting %s', (time, suggestion) => {
      expectRefusal(
        () => parseLocalDateTime('2026-03-29', time, LONDON),
        'INVALID_TIME',
        `${time} on Sunday 29 March 2026 does not exist in Europe/London, because the clocks go forward. Did you mean ${suggestion}?`,
      );
      expect(localTimeOccurrences('2026-03-29', time, LONDON)).toEqual([]);
      expect(isAmbiguousLocalTime('2026-03-29', time, LONDON)).toBe(false);
    });

    it('gives the time to use instead as data, for the form to offer as a button', () => {
      const error = refusal(() => parseLocalDateTime('2027-03-28', '01:30', LONDON));
      expect(error).toBeInstanceOf(NonexistentLocalTimeError);
      expect((error as NonexistentLocalTimeError).suggestion).toEqual({ date: '2027-03-28', time: '02:30', label: '02:30' });
      // The suggestion is itself a time that exists: 02:30 BST is 01:30Z.
      expect(parseLocalDateTime('2027-03-28', '02:30', LONDON).toISOString()).toBe('2027-03-28T01:30:00.000Z');
      const samoa = refusal(() => parseLocalDateTime('2011-12-30', '10:00', 'Pacific/Apia')) as NonexistentLocalTimeError;
      expect(samoa.suggestion).toEqual({ date: '2011-12-31', time: '10:00', label: '10:00 on Saturday 31 December 2011' });
    });

    it('the minutes either side of the gap are fine', () => {
      expect(parseLocalDateTime('2026-03-29', '00:59', LONDON).toISOString()).toBe('2026-03-29T00:59:00.000Z');
      expect(parseLocalDateTime('2026-03-29', '02:00', LONDON).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    });

    it('works for other zones too (New York, 02:30 on 8 March 2026)', () => {
      expectRefusal(() => parseLocalDateTime('2026-03-08', '02:30', 'America/New_York'), 'INVALID_TIME', /Did you mean 03:30\?$/);
    });

    it('names the next day when a whole day is skipped (Samoa, 30 December 2011)', () => {
      expectRefusal(
        () => parseLocalDateTime('2011-12-30', '10:00', 'Pacific/Apia'),
        'INVALID_TIME',
        /Did you mean 10:00 on Saturday 31 December 2011\?$/,
      );
    });
  });

  describe('the daylight-saving overlap (clocks go back 02:00 to 01:00 on 25 October 2026)', () => {
    it.each([
      ['01:00', '2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z'],
      ['01:30', '2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'],
      ['01:59', '2026-10-25T00:59:00.000Z', '2026-10-25T01:59:00.000Z'],
    ])('%s happens twice: the first (BST) is taken, and it is flagged as ambiguous', (time, bst, gmt) => {
      expect(parseLocalDateTime('2026-10-25', time, LONDON).toISOString()).toBe(bst);
      expect(isAmbiguousLocalTime('2026-10-25', time, LONDON)).toBe(true);
      expect(localTimeOccurrences('2026-10-25', time, LONDON).map((d) => d.toISOString())).toEqual([bst, gmt]);
    });

    it.each([
      ['00:59', '2026-10-24T23:59:00.000Z'],
      ['02:00', '2026-10-25T02:00:00.000Z'],
    ])('%s either side happens once', (time, iso) => {
      expect(parseLocalDateTime('2026-10-25', time, LONDON).toISOString()).toBe(iso);
      expect(isAmbiguousLocalTime('2026-10-25', time, LONDON)).toBe(false);
    });

    it('an ordinary time is not ambiguous', () => {
      expect(isAmbiguousLocalTime('2026-01-15', '01:30', LONDON)).toBe(false);
    });

    it('isAmbiguousLocalTime refuses malformed input like parseLocalDateTime', () => {
      expectRefusal(() => isAmbiguousLocalTime('2026-10-25', '1:30', LONDON), 'INVALID_TIME');
    });
  });
});

describe('defaultDurationMinutes (seeds 000 6.1)', () => {
  it.each([
    ['INDIVIDUAL', undefined, 60],
    ['INDIVIDUAL', null, 60],
    ['GROUP', undefined, 90],
    ['GROUP', null, 90],
    ['INDIVIDUAL', 45, 45],
    ['GROUP', 150, 150],
    ['GROUP', 0, 90],
    ['INDIVIDUAL', -30, 60],
    ['INDIVIDUAL', 62.5, 60],
  ] as const)('%s with matrix duration %s is %i minutes', (format, duration, expected) => {
    expect(defaultDurationMinutes(format, duration)).toBe(expected);
  });
});

describe('validateSlot', () => {
  const now = at('2026-03-02T10:00:00Z');

  it('gives the end of a valid slot', () => {
    expect(validateSlot({ startsAt: at('2026-03-05T09:00:00Z'), durationMinutes: 60 }, now)).toEqual({
      startsAt: at('2026-03-05T09:00:00Z'),
      endsAt: at('2026-03-05T10:00:00Z'),
    });
  });

  it('counts real minutes across a clock change (90 minutes from 00:30 on 29 March ends 03:00 BST)', () => {
    const { endsAt } = validateSlot({ startsAt: parseLocalDateTime('2026-03-29', '00:30', LONDON), durationMinutes: 90 }, now);
    expect(endsAt.toISOString()).toBe('2026-03-29T02:00:00.000Z');
  });

  it('accepts a start exactly now', () => {
    expect(validateSlot({ startsAt: now, durationMinutes: 60 }, now).startsAt).toEqual(now);
  });

  it('refuses a start in the past', () => {
    expectRefusal(
      () => validateSlot({ startsAt: at('2026-03-02T09:59:00Z'), durationMinutes: 60 }, now),
      'INVALID_TIME',
      'That time has already passed; choose a time in the future.',
    );
  });

  it('refuses an invalid date', () => {
    expectRefusal(() => validateSlot({ startsAt: new Date(Number.NaN), durationMinutes: 60 }, now), 'INVALID_TIME', 'The start is not a valid time.');
  });

  it.each([15, 30, 60, 90, 150, 180])('accepts %i minutes', (minutes) => {
    expect(() => validateSlot({ startsAt: at('2026-03-05T09:00:00Z'), durationMinutes: minutes }, now)).not.toThrow();
    expect(() => assertDuration(minutes)).not.toThrow();
  });

  it.each([
    [14, 'A session must last between 15 minutes and 3 hours; 14 minutes is too short.'],
    [0, 'A session must last between 15 minutes and 3 hours; 0 minutes is too short.'],
    [-60, 'A session must last between 15 minutes and 3 hours; -60 minutes is too short.'],
    [181, 'A session must last between 15 minutes and 3 hours; 181 minutes is too long.'],
    [240, 'A session must last between 15 minutes and 3 hours; 240 minutes is too long.'],
    [59.5, 'The session length must be a whole number of minutes.'],
    [Number.NaN, 'The session length must be a whole number of minutes.'],
    [Number.POSITIVE_INFINITY, 'The session length must be a whole number of minutes.'],
  ])('refuses %s minutes', (minutes, message) => {
    expectRefusal(() => validateSlot({ startsAt: at('2026-03-05T09:00:00Z'), durationMinutes: minutes }, now), 'INVALID_TIME', message);
  });
});

describe('validateSlotRange', () => {
  it('accepts an end after the start', () => {
    expect(() => validateSlotRange(at('2026-03-05T09:00:00Z'), at('2026-03-05T09:01:00Z'))).not.toThrow();
  });

  it('refuses an end before the start', () => {
    expectRefusal(() => validateSlotRange(at('2026-03-05T09:00:00Z'), at('2026-03-05T08:00:00Z')), 'INVALID_TIME', 'The end is before the start.');
  });

  it('refuses an end equal to the start', () => {
    expectRefusal(
      () => validateSlotRange(at('2026-03-05T09:00:00Z'), at('2026-03-05T09:00:00Z')),
      'INVALID_TIME',
      'The end is the same as the start; give the session a length.',
    );
  });

  it('refuses invalid dates', () => {
    expectRefusal(() => validateSlotRange(new Date(Number.NaN), at('2026-03-05T09:00:00Z')), 'INVALID_TIME', 'The start is not a valid time.');
    expectRefusal(() => validateSlotRange(at('2026-03-05T09:00:00Z'), new Date(Number.NaN)), 'INVALID_TIME', 'The end is not a valid time.');
  });
});

describe('findClash and assertNoClash', () => {
  const busy = [
    { id: 'late', startsAt: at('2026-03-05T14:00:00Z'), endsAt: at('2026-03-05T15:00:00Z') },
    { id: 'early', startsAt: at('2026-03-05T10:00:00Z'), endsAt: at('2026-03-05T11:00:00Z') },
  ];
  const slot = (from: string, to: string) => ({ startsAt: at(`2026-03-05T${from}:00Z`), endsAt: at(`2026-03-05T${to}:00Z`) });

  it.each([
    ['09:00', '10:00', null, 'ends as another starts'],
    ['11:00', '12:00', null, 'starts as another ends'],
    ['12:00', '13:00', null, 'in a free gap'],
    ['09:30', '10:30', 'early', 'overlapping the start'],
    ['10:30', '11:30', 'early', 'overlapping the end'],
    ['10:15', '10:45', 'early', 'inside'],
    ['09:00', '12:00', 'early', 'around'],
    ['10:00', '11:00', 'early', 'the same time'],
    ['14:59', '16:00', 'late', 'by a minute'],
    ['09:00', '16:00', 'early', 'both (the earliest is named)'],
  ])('%s to %s: %s (%s)', (from, to, expected, _why) => {
    expect(findClash(slot(from, to), busy)).toBe(expected);
  });

  it('finds nothing when nothing is busy', () => {
    expect(findClash(slot('10:00', '11:00'), [])).toBeNull();
  });

  it('says who is busy, and when, in the local zone', () => {
    // 10:00Z on 5 March is 10:00 GMT; a July slot shows BST.
    expectRefusal(
      () => assertNoClash(slot('10:30', '11:30'), busy, LONDON),
      'SLOT_TAKEN',
      'The supervisor already has a session from 10:00 to 11:00 on Thursday 5 March 2026.',
    );
    const summer = [{ id: 's', startsAt: at('2026-07-01T08:00:00Z'), endsAt: at('2026-07-01T09:30:00Z') }];
    expectRefusal(
      () => assertNoClash({ startsAt: at('2026-07-01T09:00:00Z'), endsAt: at('2026-07-01T10:00:00Z') }, summer, LONDON, 'Sam Patel'),
      'SLOT_TAKEN',
      'Sam Patel already has a session from 09:00 to 10:30 on Wednesday 1 July 2026.',
    );
    expectRefusal(() => assertNoClash(slot('10:30', '11:30'), busy, LONDON, 'You'), 'SLOT_TAKEN', /^You already have a session/);
  });

  it('passes when there is no clash', () => {
    expect(() => assertNoClash(slot('11:00', '12:00'), busy, LONDON)).not.toThrow();
  });

  it('describes a slot across midnight with both days', () => {
    expect(describeSlot({ startsAt: at('2026-03-05T23:30:00Z'), endsAt: at('2026-03-06T00:30:00Z') }, LONDON)).toBe(
      'from 23:30 on Thursday 5 March 2026 to 00:30 on Friday 6 March 2026',
    );
  });
});

describe('assertCapacity', () => {
  it.each([
    ['INDIVIDUAL', 1, 1],
    ['GROUP', 2, 1],
    ['GROUP', 2, 2],
    ['GROUP', 8, 8],
    ['GROUP', 30, 1],
    ['GROUP', 30, 30],
  ] as const)('%s with capacity %i and %i supervisee(s) is fine', (format, capacity, count) => {
    expect(() => assertCapacity(format, capacity, count)).not.toThrow();
  });

  it.each([
    ['INDIVIDUAL', 1, 0, 'INVALID_INPUT', 'An individual session needs a supervisee.'],
    ['INDIVIDUAL', 1, 2, 'OVER_CAPACITY', 'An individual session is for one supervisee; book a group session for two or more.'],
    ['INDIVIDUAL', 2, 1, 'INVALID_INPUT', 'An individual session is for one supervisee, so its capacity is 1.'],
    ['INDIVIDUAL', 0, 1, 'INVALID_INPUT', 'An individual session is for one supervisee, so its capacity is 1.'],
    ['GROUP', 1, 1, 'INVALID_INPUT', 'A group session must have room for between 2 and 30 supervisees.'],
    ['GROUP', 31, 1, 'INVALID_INPUT', 'A group session must have room for between 2 and 30 supervisees.'],
    ['GROUP', 2.5, 1, 'INVALID_INPUT', 'A group session must have room for between 2 and 30 supervisees.'],
    ['GROUP', 8, 0, 'INVALID_INPUT', 'A group session needs at least one supervisee.'],
    ['GROUP', 8, 9, 'OVER_CAPACITY', 'This group session has room for 8 supervisees, not 9.'],
    ['GROUP', 2, 3, 'OVER_CAPACITY', 'This group session has room for 2 supervisees, not 3.'],
    ['GROUP', 30, 31, 'OVER_CAPACITY', 'This group session has room for 30 supervisees, not 31.'],
  ] as const)('%s with capacity %s and %i supervisee(s): %s', (format, capacity, count, code, message) => {
    expectRefusal(() => assertCapacity(format, capacity, count), code, message);
  });

  it('checks a capacity on its own', () => {
    expect(() => assertCapacityValue('GROUP', 12)).not.toThrow();
    expect(() => assertCapacityValue('INDIVIDUAL', 1)).not.toThrow();
    expectRefusal(() => assertCapacityValue('GROUP', 1), 'INVALID_INPUT');
  });
});

describe('the session state machine', () => {
  const STATUSES: SessionStatus[] = ['PROPOSED', 'CONFIRMED', 'AWAITING_RECORD', 'DECLINED', 'CANCELLED', 'COMPLETED'];
  const before = at('2026-03-05T09:59:00Z');
  const ends = at('2026-03-05T10:00:00Z');
  const after = at('2026-03-05T10:01:00Z');

  type Step = (status: SessionStatus) => SessionStatus;
  const STEPS: Record<string, Step> = {
    confirm: confirmSession,
    decline: declineSession,
    'suggest another time': suggestAnotherTime,
    cancel: cancelSession,
    'complete (after the end)': (s) => completeSession(s, ends, after),
  };

  /** The next status, or the error code, for every step from every status. */
  const EXPECTED: Record<string, Record<SessionStatus, SessionStatus | DomainErrorCode>> = {
    confirm: { PROPOSED: 'CONFIRMED', CONFIRMED: 'STALE_CARD', AWAITING_RECORD: 'STALE_CARD', DECLINED: 'STALE_CARD', CANCELLED: 'STALE_CARD', COMPLETED: 'STALE_CARD' },
    decline: { PROPOSED: 'DECLINED', CONFIRMED: 'STALE_CARD', AWAITING_RECORD: 'STALE_CARD', DECLINED: 'STALE_CARD', CANCELLED: 'STALE_CARD', COMPLETED: 'STALE_CARD' },
    'suggest another time': { PROPOSED: 'PROPOSED', CONFIRMED: 'STALE_CARD', AWAITING_RECORD: 'STALE_CARD', DECLINED: 'STALE_CARD', CANCELLED: 'STALE_CARD', COMPLETED: 'STALE_CARD' },
    cancel: { PROPOSED: 'CANCELLED', CONFIRMED: 'CANCELLED', AWAITING_RECORD: 'STALE_CARD', DECLINED: 'STALE_CARD', CANCELLED: 'STALE_CARD', COMPLETED: 'STALE_CARD' },
    'complete (after the end)': { PROPOSED: 'STALE_CARD', CONFIRMED: 'COMPLETED', AWAITING_RECORD: 'COMPLETED', DECLINED: 'STALE_CARD', CANCELLED: 'STALE_CARD', COMPLETED: 'STALE_CARD' },
  };

  const cases = Object.entries(STEPS).flatMap(([name, step]) => STATUSES.map((status) => [name, status, step] as const));

  it.each(cases)('%s from %s', (name, status, step) => {
    const expected = EXPECTED[name]![status];
    let outcome: string;
    try {
      outcome = step(status);
    } catch (error) {
      outcome = (error as DomainError).code;
    }
    expect(outcome).toBe(expected);
  });

  it.each([
    [confirmSession, 'CONFIRMED', 'This session has already been confirmed.'],
    [confirmSession, 'DECLINED', 'This proposal has already been declined.'],
    [confirmSession, 'CANCELLED', 'This session has been cancelled.'],
    [confirmSession, 'COMPLETED', 'This session has already taken place.'],
    [declineSession, 'CONFIRMED', 'This session has already been confirmed.'],
    [cancelSession, 'CANCELLED', 'This session has been cancelled.'],
    [cancelSession, 'DECLINED', 'This proposal has already been declined.'],
    [cancelSession, 'COMPLETED', 'This session has already taken place.'],
  ] as const)('%o from %s explains why', (step, status, message) => {
    expectRefusal(() => step(status), 'STALE_CARD', message);
  });

  it('completes only after the end', () => {
    expect(completeSession('CONFIRMED', ends, ends)).toBe('COMPLETED');
    expectRefusal(
      () => completeSession('CONFIRMED', ends, before),
      'INVALID_TIME',
      'This session has not ended yet; mark it completed after it ends.',
    );
    expectRefusal(
      () => completeSession('CONFIRMED', null, after),
      'INVALID_TIME',
      'This session has no time set, so it cannot be completed.',
    );
    expectRefusal(() => completeSession('PROPOSED', ends, after), 'STALE_CARD', 'This session was never confirmed, so it cannot be completed.');
    expectRefusal(() => completeSession('COMPLETED', ends, after), 'STALE_CARD', 'This session has already been marked as completed.');
  });
});

describe('rebooking after a cancellation (seeds 003 one month; seeds 001 whoever cancels rearranges)', () => {
  it('is the end of the local day, withinDays later', () => {
    // 15:00 on 2 March 2026 (GMT) + 31 days = 2 April (BST): 23:59:59.999 BST.
    expect(rebookBy(at('2026-03-02T15:00:00Z'), 31, LONDON).toISOString()).toBe('2026-04-02T22:59:59.999Z');
    expect(rebookBy(at('2026-07-01T08:00:00Z'), 7, LONDON).toISOString()).toBe('2026-07-08T22:59:59.999Z');
  });

  it('counts from the local day, not the UTC one', () => {
    // 23:30 BST on 1 July is 22:30Z: still 1 July locally; at 00:30 BST on 2 July it is 1 July in UTC.
    expect(rebookBy(at('2026-07-01T22:30:00Z'), 1, LONDON).toISOString()).toBe('2026-07-02T22:59:59.999Z');
    expect(rebookBy(at('2026-07-01T23:30:00Z'), 1, LONDON).toISOString()).toBe('2026-07-03T22:59:59.999Z');
  });

  it('refuses a negative or fractional window', () => {
    expect(() => rebookBy(at('2026-03-02T15:00:00Z'), -1, LONDON)).toThrow(RangeError);
    expect(() => rebookBy(at('2026-03-02T15:00:00Z'), 1.5, LONDON)).toThrow(RangeError);
  });

  it('plans a cancellation: status, who rearranges, and by when', () => {
    expect(
      planCancellation('CONFIRMED', { cancelledById: 'p-supervisee', cancelledAt: at('2026-03-02T15:00:00Z'), withinDays: 31, zone: LONDON }),
    ).toEqual({ status: 'CANCELLED', rearrangedById: 'p-supervisee', rebookBy: at('2026-04-02T22:59:59.999Z') });
    expectRefusal(
      () => planCancellation('COMPLETED', { cancelledById: 'x', cancelledAt: at('2026-03-02T15:00:00Z'), withinDays: 31, zone: LONDON }),
      'STALE_CARD',
    );
  });
});

describe('who may do what with a session', () => {
  const ORG = 'org-a';
  const SUPERVISOR = 'p-supervisor';
  const SUPERVISEE = 'p-supervisee';
  const SECOND_SUPERVISEE = 'p-supervisee-2';
  const PROPOSER = 'p-proposer';

  const actor = (personId: string, roles: Role[], organisationId = ORG): ActorIdentity => ({ personId, organisationId, roles });
  const session: SessionRelation = {
    organisationId: ORG,
    supervisorId: SUPERVISOR,
    proposedById: PROPOSER,
    superviseeIds: [SUPERVISEE, SECOND_SUPERVISEE],
  };

  interface Row {
    who: string;
    actor: ActorIdentity;
    proposeForOthers: boolean;
    respond: boolean;
    cancel: boolean;
    see: boolean;
  }

  const TABLE: Row[] = [
    { who: 'the supervisor (SUPERVISOR)', actor: actor(SUPERVISOR, ['SUPERVISOR']), proposeForOthers: false, respond: true, cancel: true, see: true },
    { who: 'the supervisor who is a SPECIALIST', actor: actor(SUPERVISOR, ['SPECIALIST']), proposeForOthers: true, respond: true, cancel: true, see: true },
    { who: 'a supervisee (STAFF)', actor: actor(SUPERVISEE, ['STAFF']), proposeForOthers: false, respond: false, cancel: true, see: true },
    { who: 'the other supervisee (STAFF)', actor: actor(SECOND_SUPERVISEE, ['STAFF']), proposeForOthers: false, respond: false, cancel: true, see: true },
    { who: 'the proposer (STAFF)', actor: actor(PROPOSER, ['STAFF']), proposeForOthers: false, respond: false, cancel: true, see: true },
    { who: 'another SPECIALIST', actor: actor('p-specialist', ['SPECIALIST']), proposeForOthers: true, respond: false, cancel: false, see: true },
    { who: 'the HEAD_OF_SAFEGUARDING', actor: actor('p-head', ['HEAD_OF_SAFEGUARDING']), proposeForOthers: true, respond: false, cancel: true, see: true },
    { who: 'a LINE_MANAGER', actor: actor('p-line-manager', ['STAFF', 'LINE_MANAGER']), proposeForOthers: false, respond: false, cancel: false, see: false },
    { who: 'an ADMINISTRATOR', actor: actor('p-admin', ['ADMINISTRATOR']), proposeForOthers: false, respond: false, cancel: false, see: false },
    { who: 'a SUPERVISOR of other sessions', actor: actor('p-other-supervisor', ['SUPERVISOR']), proposeForOthers: false, respond: false, cancel: false, see: false },
    { who: 'someone else (STAFF)', actor: actor('p-someone', ['STAFF']), proposeForOthers: false, respond: false, cancel: false, see: false },
    { who: 'the supervisor, but from another organisation', actor: actor(SUPERVISOR, ['SUPERVISOR'], 'org-b'), proposeForOthers: false, respond: false, cancel: false, see: false },
    { who: 'the Head of another organisation', actor: actor('p-head', ['HEAD_OF_SAFEGUARDING'], 'org-b'), proposeForOthers: false, respond: false, cancel: false, see: false },
  ];

  describe.each(TABLE)('$who', (row) => {
    it(`may${row.proposeForOthers ? '' : ' not'} propose a session for others`, () => {
      const proposal = { superviseeIds: ['p-someone-else'], superviseeInMandatoryGroup: true, organisationId: ORG };
      expect(canProposeSession(row.actor, proposal)).toBe(row.proposeForOthers && row.actor.organisationId === ORG);
    });

    it(`may${row.respond ? '' : ' not'} confirm, suggest another time or decline`, () => {
      expect(canRespondToProposal(row.actor, session)).toBe(row.respond);
      if (row.respond) expect(() => assertCanRespondToProposal(row.actor, session)).not.toThrow();
      else
        expectRefusal(
          () => assertCanRespondToProposal(row.actor, session),
          'NOT_PERMITTED',
          'Only the supervisor of this session can confirm it, suggest another time or decline it.',
        );
    });

    it(`may${row.cancel ? '' : ' not'} cancel`, () => {
      expect(canCancelSession(row.actor, session)).toBe(row.cancel);
      if (row.cancel) expect(() => assertCanCancelSession(row.actor, session)).not.toThrow();
      else
        expectRefusal(
          () => assertCanCancelSession(row.actor, session),
          'NOT_PERMITTED',
          'Only the supervisor, a supervisee, the person who proposed this session or the Head of Safeguarding can cancel it.',
        );
    });

    it(`may${row.see ? '' : ' not'} see the details`, () => {
      expect(canSeeSessionDetails(row.actor, session)).toBe(row.see);
      if (row.see) expect(() => assertCanSeeSessionDetails(row.actor, session)).not.toThrow();
      else
        expectRefusal(
          () => assertCanSeeSessionDetails(row.actor, session),
          'NOT_PERMITTED',
          'Only the people in this session and the safeguarding team can see its details.',
        );
    });
  });

  describe('proposing a session', () => {
    const staff = actor(SUPERVISEE, ['STAFF']);

    it.each([
      ['for themselves, in a mandatory group', { superviseeIds: [SUPERVISEE], superviseeInMandatoryGroup: true }, true],
      ['for themselves, not in a mandatory group', { superviseeIds: [SUPERVISEE], superviseeInMandatoryGroup: false }, false],
      ['for someone else, in a mandatory group', { superviseeIds: ['p-colleague'], superviseeInMandatoryGroup: true }, false],
      ['for themselves and a colleague', { superviseeIds: [SUPERVISEE, 'p-colleague'], superviseeInMandatoryGroup: true }, false],
      ['for nobody', { superviseeIds: [], superviseeInMandatoryGroup: true }, false],
      ['for themselves in another organisation', { superviseeIds: [SUPERVISEE], superviseeInMandatoryGroup: true, organisationId: 'org-b' }, false],
    ])('a member of staff %s: %s', (_what, proposal, allowed) => {
      expect(canProposeSession(staff, proposal)).toBe(allowed);
      if (!allowed) expectRefusal(() => assertCanProposeSession(staff, proposal), 'NOT_PERMITTED', /^Only the safeguarding team can propose this session\./);
      else expect(() => assertCanProposeSession(staff, proposal)).not.toThrow();
    });

    it.each([
      ['SPECIALIST', ['SPECIALIST']],
      ['HEAD_OF_SAFEGUARDING', ['HEAD_OF_SAFEGUARDING']],
    ] as const)('a %s may propose for anyone, mandatory group or not, a group too', (_name, roles) => {
      const team = actor('p-team', [...roles]);
      expect(canProposeSession(team, { superviseeIds: ['a'], superviseeInMandatoryGroup: false })).toBe(true);
      expect(canProposeSession(team, { superviseeIds: ['a', 'b', 'c'], superviseeInMandatoryGroup: false })).toBe(true);
      expect(canProposeSession(team, { superviseeIds: ['a'], superviseeInMandatoryGroup: false, organisationId: 'org-b' })).toBe(false);
    });
  });
});
