/** Every refusal the bot can give, each turned into a clear message by the channels. */
export type DomainErrorCode =
  | 'NOT_IN_DIRECTORY'
  | 'NOT_PERMITTED'
  | 'NOT_FOUND'
  | 'STALE_CARD'
  | 'ALREADY_CLAIMED'
  | 'NOT_CLAIMED'
  | 'REQUEST_CLOSED'
  | 'INVALID_INPUT'
  | 'TEXT_TOO_LONG'
  | 'UNKNOWN_ACTION'
  | 'NO_TRIAGE_CHANNEL'
  | 'WRONG_CONVERSATION'
  | 'INVALID_TIME'
  | 'SLOT_TAKEN'
  | 'OVER_CAPACITY'
  | 'ALREADY_SIGNED'
  | 'OUTDATED_TEXT'
  | 'RECORD_SIGNED'
  | 'NOT_A_PARTY';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    /** Safe to show to the person who acted: never confidential content. */
    readonly userMessage: string,
  ) {
    super(`${code}: ${userMessage}`);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
