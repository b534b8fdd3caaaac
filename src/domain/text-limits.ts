import { DomainError } from './errors.js';

/**
 * Longest chat message the bot accepts. Teams allows ~28 KB per message and Slack 40,000
 * characters, but a request step is a few sentences; a limit well below both keeps
 * summaries readable and stops pasted case notes (which invite patient detail).
 */
export const MAX_MESSAGE_LENGTH = 2000;
/** Longest summary, availability or adjustments answer. */
export const MAX_FIELD_LENGTH = 2000;
/** Longest piece of advice a specialist can send in one go. */
export const MAX_ADVICE_LENGTH = 4000;

/** Trim a free-text answer and enforce its limit; empty becomes undefined. */
export function cleanText(value: unknown, field: string, max = MAX_FIELD_LENGTH): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new DomainError('INVALID_INPUT', `The ${field} must be text.`);
  const text = value.replace(/\r\n/g, '\n').trim();
  if (text.length === 0) return undefined;
  if (text.length > max) {
    throw new DomainError(
      'TEXT_TOO_LONG',
      `The ${field} is ${text.length} characters long; please keep it under ${max}.`,
    );
  }
  return text;
}
