import { DateTime } from 'luxon';
import { DomainError } from './errors.js';
import { assertIsParty, type ActorIdentity } from './permissions.js';

/**
 * Supervision agreements and contracts: which ones a session needs, who may sign which
 * version, when everyone has signed, and when a contract is due for review. Pure: the
 * flows load the template versions and signatures and store the results.
 */

export type AgreementKind = 'INDIVIDUAL' | 'GROUP' | 'GROUP_ATTENDANCE' | 'CONTRACT';
/** What a signature can be on: an agreement of some kind, or a supervision record. */
export type SignedDocumentKind = AgreementKind | 'RECORD';

export const AGREEMENT_KIND_LABELS: Record<AgreementKind, string> = {
  INDIVIDUAL: 'Individual Safeguarding Supervision Agreement',
  GROUP: 'Group Safeguarding Supervision Agreement',
  GROUP_ATTENDANCE: 'Group Safeguarding Supervision Attendance Record',
  CONTRACT: 'Supervision Contract',
};

/**
 * The agreements a session needs (seeds 000 appendices 1 and 2): an individual session the
 * individual agreement; a group session the group agreement and its attendance record.
 */
export function agreementKindsFor(format: 'INDIVIDUAL' | 'GROUP'): AgreementKind[] {
  return format === 'INDIVIDUAL' ? ['INDIVIDUAL'] : ['GROUP', 'GROUP_ATTENDANCE'];
}

/**
 * The agreements a signature on `kind` is evidence of agreeing to. Signing the group
 * attendance record is agreeing to the group agreement's terms (seeds 000 procedure 5.4:
 * "This is evidence that all Supervisees agree to the terms of the Agreement"); a record
 * signature agrees to no terms, only to the record's content.
 */
export function agreementsEvidencedBy(kind: SignedDocumentKind): AgreementKind[] {
  switch (kind) {
    case 'GROUP_ATTENDANCE':
      return ['GROUP_ATTENDANCE', 'GROUP'];
    case 'RECORD':
      return [];
    default:
      return [kind];
  }
}

/**
 * Whether a signature on `signedKind` counts as agreement. With one argument: does it bind
 * the signer to supervision terms at all (every agreement kind does; a record signature
 * does not). With `agreementKind`: does it count as agreeing to that agreement (so a group
 * supervisee's attendance signature counts for the GROUP agreement).
 */
export function signatureCountsAsAgreement(signedKind: SignedDocumentKind, agreementKind?: AgreementKind): boolean {
  const evidenced = agreementsEvidencedBy(signedKind);
  return agreementKind === undefined ? evidenced.length > 0 : evidenced.includes(agreementKind);
}

export interface SignatureFact {
  personId: string;
  signedVersion: number;
}

export interface SigningState {
  /** Everyone who is asked to sign: the supervisor and supervisee(s) of the agreement or record. */
  partyIds: readonly string[];
  signatures: readonly SignatureFact[];
  /** The current version of the text (agreement template) or of the record. */
  currentVersion: number;
  /** The version shown on the card the signer pressed. */
  signedVersionOffered: number;
  /** For the wording only; agreements unless said otherwise. */
  document?: 'agreement' | 'record';
}

/**
 * Refuse a signature from someone who is not a party, who has already signed the current
 * version, or who is signing a version that has since changed. Returns the version to
 * record on the signature.
 */
export function assertCanSign(actor: ActorIdentity, state: SigningState): number {
  const what = state.document ?? 'agreement';
  assertIsParty(actor, state.partyIds, what);
  const signedCurrent = state.signatures.some(
    (s) => s.personId === actor.personId && s.signedVersion === state.currentVersion,
  );
  if (signedCurrent) {
    throw new DomainError('ALREADY_SIGNED', `You have already signed version ${state.currentVersion} of this ${what}.`);
  }
  if (state.signedVersionOffered < state.currentVersion) {
    throw new DomainError(
      'OUTDATED_TEXT',
      what === 'agreement'
        ? `This agreement text has been updated; please read and sign version ${state.currentVersion}.`
        : `This record has been changed; please read and sign version ${state.currentVersion}.`,
    );
  }
  if (state.signedVersionOffered > state.currentVersion) {
    throw new DomainError('STALE_CARD', `There is no version ${state.signedVersionOffered} of this ${what}; please open it again.`);
  }
  return state.currentVersion;
}

/** The parties who have not signed the current version yet. */
export function unsignedParties(partyIds: readonly string[], signatures: readonly SignatureFact[], currentVersion: number): string[] {
  return partyIds.filter((id) => !signatures.some((s) => s.personId === id && s.signedVersion === currentVersion));
}

/** Every party has signed the current version (and there is at least one party). */
export function isFullySigned(partyIds: readonly string[], signatures: readonly SignatureFact[], currentVersion: number): boolean {
  return partyIds.length > 0 && unsignedParties(partyIds, signatures, currentVersion).length === 0;
}

/**
 * The person signed an earlier version but not the current one, so must read and sign
 * again. Someone who never signed needs signing, not re-signing: false.
 */
export function needsResigning(personId: string, signatures: readonly SignatureFact[], currentVersion: number): boolean {
  const theirs = signatures.filter((s) => s.personId === personId);
  return theirs.length > 0 && !theirs.some((s) => s.signedVersion >= currentVersion);
}

/**
 * When a contract signed at `signedAt` is next reviewed: the start of the local day
 * `months` later (seeds 001 and 003: annually). A signature on 29 February is reviewed on
 * 28 February.
 */
export function contractReviewDue(signedAt: Date, months: number, zone: string): Date {
  if (!Number.isInteger(months) || months < 1) throw new RangeError('months must be a positive whole number');
  return DateTime.fromJSDate(signedAt, { zone }).plus({ months }).startOf('day').toJSDate();
}

export function isReviewDue(reviewDue: Date | null, now: Date): boolean {
  return reviewDue !== null && now.getTime() >= reviewDue.getTime();
}
