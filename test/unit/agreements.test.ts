import { describe, expect, it } from 'vitest';
import {
  AGREEMENT_KIND_LABELS,
  agreementKindsFor,
  agreementsEvidencedBy,
  assertCanSign,
  contractReviewDue,
  isFullySigned,
  isReviewDue,
  needsResigning,
  signatureCountsAsAgreement,
  unsignedParties,
  type AgreementKind,
  type SigningState,
} from '../../src/domain/agreements.js';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.js';
import type { ActorIdentity, Role } from '../../src/domain/permissions.js';

const ORG = 'org-a';
const SUPERVISOR = 'p-supervisor';
const SUPERVISEE = 'p-supervisee';
const LONDON = 'Europe/London';

const actor = (personId: string, roles: Role[], organisationId = ORG): ActorIdentity => ({ personId, organisationId, roles });

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefusal(fn: () => unknown, code: DomainErrorCode, message?: string): void {
  const error = refusal(fn);
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.userMessage).toBe(message);
}

describe('which agreements a session needs (seeds 000 appendices 1 and 2)', () => {
  it('an individual session needs the individual agreement', () => {
    expect(agreementKindsFor('INDIVIDUAL')).toEqual(['INDIVIDUAL']);
  });

  it('a group session needs the group agreement and its attendance record', () => {
    expect(agreementKindsFor('GROUP')).toEqual(['GROUP', 'GROUP_ATTENDANCE']);
  });

  it('every kind has a label', () => {
    for (const kind of ['INDIVIDUAL', 'GROUP', 'GROUP_ATTENDANCE', 'CONTRACT'] as AgreementKind[]) {
      expect(AGREEMENT_KIND_LABELS[kind]).toMatch(/\S/);
    }
  });
});

describe('signing the attendance record is agreeing to the group terms (seeds 000 procedure 5.4)', () => {
  it.each([
    ['GROUP_ATTENDANCE', 'GROUP', true],
    ['GROUP_ATTENDANCE', 'GROUP_ATTENDANCE', true],
    ['GROUP', 'GROUP', true],
    ['GROUP', 'GROUP_ATTENDANCE', false],
    ['INDIVIDUAL', 'INDIVIDUAL', true],
    ['INDIVIDUAL', 'GROUP', false],
    ['CONTRACT', 'CONTRACT', true],
    ['CONTRACT', 'INDIVIDUAL', false],
    ['RECORD', 'GROUP', false],
    ['RECORD', 'INDIVIDUAL', false],
  ] as const)('a signature on %s counts for %s: %s', (signed, agreement, expected) => {
    expect(signatureCountsAsAgreement(signed, agreement)).toBe(expected);
  });

  it.each([
    ['INDIVIDUAL', true],
    ['GROUP', true],
    ['GROUP_ATTENDANCE', true],
    ['CONTRACT', true],
    ['RECORD', false],
  ] as const)('with one argument, a signature on %s counts as agreement: %s', (kind, expected) => {
    expect(signatureCountsAsAgreement(kind)).toBe(expected);
  });

  it('lists what each signature is evidence of', () => {
    expect(agreementsEvidencedBy('GROUP_ATTENDANCE')).toEqual(['GROUP_ATTENDANCE', 'GROUP']);
    expect(agreementsEvidencedBy('INDIVIDUAL')).toEqual(['INDIVIDUAL']);
    expect(agreementsEvidencedBy('RECORD')).toEqual([]);
  });
});

describe('assertCanSign', () => {
  const state = (overrides: Partial<SigningState> = {}): SigningState => ({
    partyIds: [SUPERVISOR, SUPERVISEE],
    signatures: [],
    currentVersion: 2,
    signedVersionOffered: 2,
    ...overrides,
  });

  /** Who may sign an individual agreement between SUPERVISOR and SUPERVISEE. */
  it.each([
    ['the supervisor', actor(SUPERVISOR, ['SUPERVISOR']), true],
    ['the supervisee', actor(SUPERVISEE, ['STAFF']), true],
    ['the proposer (not a party)', actor('p-proposer', ['STAFF']), false],
    ['a specialist', actor('p-specialist', ['SPECIALIST']), false],
    ['the Head of Safeguarding', actor('p-head', ['HEAD_OF_SAFEGUARDING']), false],
    ["the supervisee's line manager", actor('p-line-manager', ['LINE_MANAGER']), false],
    ['an administrator', actor('p-admin', ['ADMINISTRATOR']), false],
    ['someone else', actor('p-someone', ['STAFF']), false],
  ])('%s may sign: %s', (_who, signer, allowed) => {
    if (allowed) expect(assertCanSign(signer, state())).toBe(2);
    else expectRefusal(() => assertCanSign(signer, state()), 'NOT_A_PARTY', 'You are not a party to this agreement, so you cannot sign it.');
  });

  it('refuses a second signature on the same version', () => {
    expectRefusal(
      () => assertCanSign(actor(SUPERVISEE, ['STAFF']), state({ signatures: [{ personId: SUPERVISEE, signedVersion: 2 }] })),
      'ALREADY_SIGNED',
      'You have already signed version 2 of this agreement.',
    );
  });

  it("another party's signature does not count as mine", () => {
    expect(assertCanSign(actor(SUPERVISEE, ['STAFF']), state({ signatures: [{ personId: SUPERVISOR, signedVersion: 2 }] }))).toBe(2);
  });

  it('having signed an older version, signing the current one is fine', () => {
    expect(assertCanSign(actor(SUPERVISEE, ['STAFF']), state({ signatures: [{ personId: SUPERVISEE, signedVersion: 1 }] }))).toBe(2);
  });

  it('refuses a signature on outdated text', () => {
    expectRefusal(
      () => assertCanSign(actor(SUPERVISEE, ['STAFF']), state({ signedVersionOffered: 1 })),
      'OUTDATED_TEXT',
      'This agreement text has been updated; please read and sign version 2.',
    );
  });

  it('says "already signed" rather than "outdated" to someone who signed the current version from an old card', () => {
    expectRefusal(
      () =>
        assertCanSign(
          actor(SUPERVISEE, ['STAFF']),
          state({ signedVersionOffered: 1, signatures: [{ personId: SUPERVISEE, signedVersion: 2 }] }),
        ),
      'ALREADY_SIGNED',
    );
  });

  it('says "not a party" before anything else', () => {
    expectRefusal(() => assertCanSign(actor('p-someone', ['STAFF']), state({ signedVersionOffered: 1 })), 'NOT_A_PARTY');
  });

  it('refuses a version that does not exist', () => {
    expectRefusal(
      () => assertCanSign(actor(SUPERVISEE, ['STAFF']), state({ signedVersionOffered: 3 })),
      'STALE_CARD',
      'There is no version 3 of this agreement; please open it again.',
    );
  });

  it('words the refusals for a record when asked', () => {
    expectRefusal(
      () => assertCanSign(actor(SUPERVISEE, ['STAFF']), state({ signedVersionOffered: 1, document: 'record' })),
      'OUTDATED_TEXT',
      'This record has been changed; please read and sign version 2.',
    );
    expectRefusal(
      () => assertCanSign(actor('p-someone', ['STAFF']), state({ document: 'record' })),
      'NOT_A_PARTY',
      'You are not a party to this record, so you cannot sign it.',
    );
  });
});

describe('isFullySigned, unsignedParties and needsResigning', () => {
  const parties = [SUPERVISOR, SUPERVISEE];

  it.each([
    ['nobody has signed', [], false, [SUPERVISOR, SUPERVISEE]],
    ['one has signed', [{ personId: SUPERVISOR, signedVersion: 2 }], false, [SUPERVISEE]],
    [
      'both have signed the current version',
      [
        { personId: SUPERVISOR, signedVersion: 2 },
        { personId: SUPERVISEE, signedVersion: 2 },
      ],
      true,
      [],
    ],
    [
      'one signed an older version only',
      [
        { personId: SUPERVISOR, signedVersion: 2 },
        { personId: SUPERVISEE, signedVersion: 1 },
      ],
      false,
      [SUPERVISEE],
    ],
    [
      'both signed plus a non-party',
      [
        { personId: SUPERVISOR, signedVersion: 2 },
        { personId: SUPERVISEE, signedVersion: 2 },
        { personId: 'p-someone', signedVersion: 2 },
      ],
      true,
      [],
    ],
  ])('%s', (_what, signatures, full, unsigned) => {
    expect(isFullySigned(parties, signatures, 2)).toBe(full);
    expect(unsignedParties(parties, signatures, 2)).toEqual(unsigned);
  });

  it('an agreement with no parties is not signed', () => {
    expect(isFullySigned([], [], 1)).toBe(false);
  });

  it('a group attendance record is fully signed when every supervisee has signed', () => {
    const supervisees = ['a', 'b', 'c'];
    const two = [
      { personId: 'a', signedVersion: 1 },
      { personId: 'b', signedVersion: 1 },
    ];
    expect(isFullySigned(supervisees, two, 1)).toBe(false);
    expect(isFullySigned(supervisees, [...two, { personId: 'c', signedVersion: 1 }], 1)).toBe(true);
  });

  it.each([
    ['signed an older version only', [{ personId: SUPERVISEE, signedVersion: 1 }], true],
    [
      'signed the older and the current version',
      [
        { personId: SUPERVISEE, signedVersion: 1 },
        { personId: SUPERVISEE, signedVersion: 2 },
      ],
      false,
    ],
    ['signed the current version', [{ personId: SUPERVISEE, signedVersion: 2 }], false],
    ['never signed (needs signing, not re-signing)', [], false],
    ['only someone else signed an older version', [{ personId: SUPERVISOR, signedVersion: 1 }], false],
  ])('needsResigning when the person %s: %s', (_what, signatures, expected) => {
    expect(needsResigning(SUPERVISEE, signatures, 2)).toBe(expected);
  });
});

describe('contract review (seeds 001, 003: annually)', () => {
  it('is due at the start of the local day a year later', () => {
    // Signed 15:00 BST on 10 June 2026; due from midnight BST on 10 June 2027.
    expect(contractReviewDue(new Date('2026-06-10T14:00:00Z'), 12, LONDON).toISOString()).toBe('2027-06-09T23:00:00.000Z');
    // Signed in winter: midnight GMT.
    expect(contractReviewDue(new Date('2026-01-10T09:00:00Z'), 12, LONDON).toISOString()).toBe('2027-01-10T00:00:00.000Z');
  });

  it('uses the local day of signing (00:30 BST on 1 July is still 30 June in UTC)', () => {
    expect(contractReviewDue(new Date('2026-06-30T23:30:00Z'), 12, LONDON).toISOString()).toBe('2027-06-30T23:00:00.000Z');
  });

  it('clamps to the end of a shorter month', () => {
    expect(contractReviewDue(new Date('2028-02-29T12:00:00Z'), 12, LONDON).toISOString()).toBe('2029-02-28T00:00:00.000Z');
    expect(contractReviewDue(new Date('2026-01-31T12:00:00Z'), 1, LONDON).toISOString()).toBe('2026-02-28T00:00:00.000Z');
  });

  it('takes other periods', () => {
    expect(contractReviewDue(new Date('2026-01-10T09:00:00Z'), 6, LONDON).toISOString()).toBe('2026-07-09T23:00:00.000Z');
  });

  it('refuses a period that is not a positive whole number of months', () => {
    expect(() => contractReviewDue(new Date('2026-01-10T09:00:00Z'), 0, LONDON)).toThrow(RangeError);
    expect(() => contractReviewDue(new Date('2026-01-10T09:00:00Z'), 1.5, LONDON)).toThrow(RangeError);
  });

  it('isReviewDue from the due instant on', () => {
    const due = new Date('2027-01-10T00:00:00Z');
    expect(isReviewDue(due, new Date('2027-01-09T23:59:59Z'))).toBe(false);
    expect(isReviewDue(due, due)).toBe(true);
    expect(isReviewDue(due, new Date('2027-02-01T00:00:00Z'))).toBe(true);
    expect(isReviewDue(null, new Date('2027-02-01T00:00:00Z'))).toBe(false);
  });
});
