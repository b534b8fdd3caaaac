import { DomainError } from './errors.js';

/**
 * Longest chat message the bot accepts. Teams allows ~28 KB per message and Slack 40,000
 * characters, but a request step is a few sentences; a limit well below both keeps
 * summaries readable and stops pasted case notes (which invite patient detail).
 */
export const MAX_MESSAGE_LENGTH = 2000;
/** Longest summary, availability or adjustments answer. */
export const MAX_FIELD_LENGTH = 2000;
/**
 * Longest piece of advice a specialist can send in one go, on both platforms: Slack's text
 * input takes at most 3,000 characters, so Teams' card asks for no more either.
 */
export const MAX_ADVICE_LENGTH = 3000;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Characters as people count them (user-perceived characters): an emoji, a flag or a letter with
 * its accent is one, where String.length counts UTF-16 units (an emoji is two, a family five).
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count += 1;
  return count;
}

/** "2,000" as people read it. */
export const formatCount = (n: number) => n.toLocaleString('en-GB');

/** Trim a free-text answer and enforce its limit (in characters as people count them); empty becomes undefined. */
export function cleanText(value: unknown, field: string, max = MAX_FIELD_LENGTH): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new DomainError('INVALID_INPUT', `The ${field} must be text.`);
  const text = value.replace(/\r\n/g, '\n').trim();
  if (text.length === 0) return undefined;
  // Only text longer in UTF-16 units can be over the limit in characters.
  const count = text.length > max ? characterCount(text) : text.length;
  if (count > max) {
    throw new DomainError(
      'TEXT_TOO_LONG',
      `The ${field} is ${formatCount(count)} characters long; please keep it to at most ${formatCount(max)} characters.`,
    );
  }
  return text;
}
