import { describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from '../../src/domain/errors.js';
import {
  assertCanActOnRequest,
  assertCanWriteRecord,
  assertIsParty,
  canAcceptSuggestedTime,
  canActOnRequest,
  canBindTriageChannel,
  canChangeOrganisationSettings,
  canExportSubjectAccess,
  canManageFailedReminders,
  canReadAuditTrail,
  canSeeHistory,
  canSupervise,
  isParty,
  isSafeguardingTeam,
  type ActorIdentity,
  type RequestAction,
  type RequestRelation,
  type Role,
} from '../../src/domain/permissions.js';

const ORG = 'org-a';
const OTHER_ORG = 'org-b';
const REQUESTER = 'person-requester';
const CLAIMER = 'person-claimer';

const ACTIONS: readonly RequestAction[] = [
  'request.claim',
  'request.read-summary',
  'request.advise',
  'request.close',
  'request.feedback',
];

const actor = (personId: string, roles: Role[], organisationId = ORG): ActorIdentity => ({
  personId,
  organisationId,
  roles,
});

const request = (claimed: boolean, organisationId = ORG): RequestRelation => ({
  organisationId,
  requesterId: REQUESTER,
  claimedById: claimed ? CLAIMER : null,
});

type Cell = Record<RequestAction, boolean>;
interface Row {
  who: string;
  actor: ActorIdentity;
  unclaimed: Cell;
  claimed: Cell;
}

/**
 * Every action for every kind of actor, on an unclaimed and on a claimed request. When the
 * request is unclaimed, "the specialist who claimed" is simply a specialist (nothing is claimed).
 */
const TABLE: Row[] = [
  {
    who: 'the requester (STAFF)',
    actor: actor(REQUESTER, ['STAFF']),
    unclaimed: {
      'request.claim': false,
      'request.read-summary': true,
      'request.advise': false,
      'request.close': false,
      'request.feedback': true,
    },
    claimed: {
      'request.claim': false,
      'request.read-summary': true,
      'request.advise': false,
      'request.close': false,
      'request.feedback': true,
    },
  },
  {
    who: 'another STAFF member',
    actor: actor('person-colleague', ['STAFF']),
    unclaimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
  },
  {
    who: 'the SPECIALIST who claimed',
    actor: actor(CLAIMER, ['SPECIALIST']),
    unclaimed: {
      'request.claim': true,
      'request.read-summary': true,
      'request.advise': false,
      'request.close': true,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': true,
      'request.read-summary': true,
      'request.advise': true,
      'request.close': true,
      'request.feedback': false,
    },
  },
  {
    who: 'a SPECIALIST who did not claim',
    actor: actor('person-other-specialist', ['SPECIALIST']),
    unclaimed: {
      'request.claim': true,
      'request.read-summary': true,
      'request.advise': false,
      'request.close': true,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': true,
      'request.read-summary': true,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
  },
  {
    who: 'the HEAD_OF_SAFEGUARDING (not the claimer)',
    actor: actor('person-head', ['HEAD_OF_SAFEGUARDING']),
    unclaimed: {
      'request.claim': true,
      'request.read-summary': true,
      'request.advise': true,
      'request.close': true,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': true,
      'request.read-summary': true,
      'request.advise': true,
      'request.close': true,
      'request.feedback': false,
    },
  },
  {
    who: 'a LINE_MANAGER',
    actor: actor('person-line-manager', ['LINE_MANAGER']),
    unclaimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
  },
  {
    who: 'an ADMINISTRATOR',
    actor: actor('person-admin', ['ADMINISTRATOR']),
    unclaimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
  },
  {
    who: 'a SUPERVISOR',
    actor: actor('person-supervisor', ['SUPERVISOR']),
    unclaimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
    claimed: {
      'request.claim': false,
      'request.read-summary': false,
      'request.advise': false,
      'request.close': false,
      'request.feedback': false,
    },
  },
];

const CELLS = TABLE.flatMap((row) =>
  (['unclaimed', 'claimed'] as const).flatMap((state) =>
    ACTIONS.map((action) => ({ who: row.who, actor: row.actor, state, action, expected: row[state][action] })),
  ),
);

describe('canActOnRequest: every action × actor × claimed state', () => {
  it('covers 8 actors × 2 states × 5 actions', () => {
    expect(CELLS).toHaveLength(8 * 2 * 5);
  });

  it.each(CELLS)('$who, $state request, $action -> $expected', ({ actor: who, state, action, expected }) => {
    expect(canActOnRequest(who, action, request(state === 'claimed'))).toBe(expected);
  });
});

describe('canActOnRequest: combined roles and edge cases', () => {
  it('the Head who also claimed can advise and close', () => {
    const head = actor(CLAIMER, ['HEAD_OF_SAFEGUARDING']);
    expect(canActOnRequest(head, 'request.advise', request(true))).toBe(true);
    expect(canActOnRequest(head, 'request.close', request(true))).toBe(true);
  });

  it('a specialist who is also the requester can read and give feedback on their own request', () => {
    const both = actor(REQUESTER, ['STAFF', 'SPECIALIST']);
    expect(canActOnRequest(both, 'request.read-summary', request(false))).toBe(true);
    expect(canActOnRequest(both, 'request.feedback', request(true))).toBe(true);
  });

  it('an administrator who is also a specialist works requests as a specialist', () => {
    const both = actor('person-admin-specialist', ['ADMINISTRATOR', 'SPECIALIST']);
    expect(canActOnRequest(both, 'request.claim', request(false))).toBe(true);
    expect(canActOnRequest(both, 'request.advise', request(true))).toBe(false);
  });

  it('a non-team person whose id matches the claimer gains nothing from it', () => {
    const staff = actor(CLAIMER, ['STAFF']);
    for (const action of ACTIONS) expect(canActOnRequest(staff, action, request(true))).toBe(false);
  });

  it('an actor with no roles can do nothing except as requester', () => {
    expect(canActOnRequest(actor('nobody', []), 'request.read-summary', request(false))).toBe(false);
    expect(canActOnRequest(actor(REQUESTER, []), 'request.read-summary', request(false))).toBe(true);
    expect(canActOnRequest(actor(REQUESTER, []), 'request.feedback', request(false))).toBe(true);
  });
});

describe('canActOnRequest: across organisations', () => {
  const everyone = [
    ...TABLE.map((row) => row.actor),
    actor(CLAIMER, ['HEAD_OF_SAFEGUARDING', 'SPECIALIST', 'ADMINISTRATOR', 'STAFF']),
  ];

  it('is always false for an actor from another organisation', () => {
    let checked = 0;
    for (const a of everyone) {
      const outsider = { ...a, organisationId: OTHER_ORG };
      for (const claimed of [false, true]) {
        for (const action of ACTIONS) {
          expect(canActOnRequest(outsider, action, request(claimed))).toBe(false);
          checked++;
        }
      }
    }
    expect(checked).toBe(everyone.length * 2 * ACTIONS.length);
  });

  it('is always false for a request in another organisation', () => {
    for (const a of everyone) {
      for (const action of ACTIONS) {
        expect(canActOnRequest(a, action, request(true, OTHER_ORG))).toBe(false);
      }
    }
  });
});

describe('assertCanActOnRequest', () => {
  const MESSAGES: Record<RequestAction, string> = {
    'request.claim': 'Only safeguarding specialists can claim requests.',
    'request.read-summary': 'Only the requester and the safeguarding team can read a request.',
    'request.advise': 'Only the specialist who claimed this request can give advice on it.',
    'request.close': 'Only the specialist who claimed this request, or the Head of Safeguarding, can close it.',
    'request.feedback': 'Only the person who asked for help can answer this.',
  };
  const colleague = actor('person-colleague', ['STAFF']);

  it.each(ACTIONS)('refuses %s with NOT_PERMITTED and its message', (action) => {
    let caught: unknown;
    try {
      assertCanActOnRequest(colleague, action, request(true));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(isDomainError(caught)).toBe(true);
    const error = caught as DomainError;
    expect(error.code).toBe('NOT_PERMITTED');
    expect(error.userMessage).toBe(MESSAGES[action]);
    expect(error.message).toBe(`NOT_PERMITTED: ${MESSAGES[action]}`);
    expect(error.name).toBe('DomainError');
  });

  it('refuses across organisations even for the Head', () => {
    const head = actor('person-head', ['HEAD_OF_SAFEGUARDING'], OTHER_ORG);
    expect(() => assertCanActOnRequest(head, 'request.close', request(true))).toThrow(DomainError);
  });

  it('returns quietly when permitted', () => {
    expect(() => assertCanActOnRequest(actor(CLAIMER, ['SPECIALIST']), 'request.advise', request(true))).not.toThrow();
    expect(assertCanActOnRequest(actor(REQUESTER, ['STAFF']), 'request.feedback', request(true))).toBeUndefined();
  });
});

describe('isSafeguardingTeam', () => {
  it.each([
    [['SPECIALIST'], true],
    [['HEAD_OF_SAFEGUARDING'], true],
    [['STAFF', 'SPECIALIST'], true],
    [['STAFF'], false],
    [['SUPERVISOR'], false],
    [['LINE_MANAGER'], false],
    [['ADMINISTRATOR'], false],
    [[], false],
  ] as Array<[Role[], boolean]>)('%j -> %s', (roles, expected) => {
    expect(isSafeguardingTeam(actor('p', roles))).toBe(expected);
  });
});

describe('canBindTriageChannel', () => {
  it.each([
    [['ADMINISTRATOR'], true],
    [['STAFF', 'ADMINISTRATOR'], true],
    [['HEAD_OF_SAFEGUARDING'], false],
    [['SPECIALIST'], false],
    [['SUPERVISOR'], false],
    [['LINE_MANAGER'], false],
    [['STAFF'], false],
    [[], false],
  ] as Array<[Role[], boolean]>)('%j -> %s', (roles, expected) => {
    expect(canBindTriageChannel(actor('p', roles))).toBe(expected);
  });
});

describe('the rules the flows ask (audit trail, subject access, failed reminders, settings, history, sessions)', () => {
  const ROLES: readonly Role[] = ['STAFF', 'SUPERVISOR', 'SPECIALIST', 'HEAD_OF_SAFEGUARDING', 'LINE_MANAGER', 'ADMINISTRATOR'];

  it.each(ROLES)('%s', (role) => {
    const someone = actor('person-x', [role]);
    expect(canReadAuditTrail(someone)).toBe(role === 'HEAD_OF_SAFEGUARDING');
    expect(canExportSubjectAccess(someone)).toBe(role === 'HEAD_OF_SAFEGUARDING');
    expect(canManageFailedReminders(someone)).toBe(role === 'ADMINISTRATOR');
    expect(canChangeOrganisationSettings(someone)).toBe(role === 'ADMINISTRATOR');
    expect(canSeeHistory(someone, true)).toBe(true);
    expect(canSeeHistory(someone, false)).toBe(role === 'SPECIALIST' || role === 'HEAD_OF_SAFEGUARDING');
    expect(canSupervise({ roles: [role] })).toBe(role === 'SUPERVISOR' || role === 'SPECIALIST');
  });

  it('lets only the proposer, in their organisation, accept a suggested time', () => {
    const session = { organisationId: ORG, proposedById: CLAIMER };
    expect(canAcceptSuggestedTime(actor(CLAIMER, ['SPECIALIST']), session)).toBe(true);
    expect(canAcceptSuggestedTime(actor(REQUESTER, ['HEAD_OF_SAFEGUARDING']), session)).toBe(false);
    expect(canAcceptSuggestedTime(actor(CLAIMER, ['SPECIALIST'], OTHER_ORG), session)).toBe(false);
  });
});

describe('who signs, and the asserts built from the rules', () => {
  const supervisor: ActorIdentity = { personId: 'p-sup', organisationId: ORG, roles: ['SUPERVISOR'] };
  const head: ActorIdentity = { personId: 'p-head', organisationId: ORG, roles: ['HEAD_OF_SAFEGUARDING'] };
  const parties = ['p-sup', 'p-staff'];

  it('lets only a party sign, whatever their roles (the Head of Safeguarding is not a party)', () => {
    expect(isParty(supervisor, parties)).toBe(true);
    expect(isParty(head, parties)).toBe(false);
    expect(() => assertIsParty(supervisor, parties)).not.toThrow();
    const refused = (() => {
      try {
        assertIsParty(head, parties, 'record');
      } catch (error) {
        return error;
      }
    })();
    expect(isDomainError(refused) && refused.code).toBe('NOT_A_PARTY');
    expect((refused as DomainError).userMessage).toBe('You are not a party to this record, so you cannot sign it.');
  });

  it('an assert refuses with NOT_PERMITTED and its sentence exactly when its rule says no', () => {
    const record = { organisationId: ORG, supervisorId: 'p-sup', superviseeIds: ['p-staff'] };
    expect(() => assertCanWriteRecord(supervisor, record)).not.toThrow();
    expect(() => assertCanWriteRecord(head, record)).toThrow(new DomainError('NOT_PERMITTED', 'Only the supervisor of this session can write its record.'));
  });
});
