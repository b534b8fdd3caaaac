import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { MAX_ADVICE_LENGTH, MAX_FIELD_LENGTH, MAX_MESSAGE_LENGTH, characterCount, cleanText } from '../../src/domain/text-limits.js';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected cleanText to refuse');
}

describe('limits', () => {
  it('has the documented limits', () => {
    expect(MAX_MESSAGE_LENGTH).toBe(2000);
    expect(MAX_FIELD_LENGTH).toBe(2000);
    expect(MAX_ADVICE_LENGTH).toBe(3000);
  });
});

describe('cleanText', () => {
  it('returns ordinary text unchanged', () => {
    expect(cleanText('Worried about a child', 'summary')).toBe('Worried about a child');
  });

  it('trims spaces, tabs and newlines at both ends but keeps inner spacing', () => {
    expect(cleanText('  \t\n Worried  about\n\na child \n\t ', 'summary')).toBe('Worried  about\n\na child');
  });

  it('turns CRLF line endings into LF', () => {
    expect(cleanText('line one\r\nline two\r\n\r\nline four', 'summary')).toBe('line one\nline two\n\nline four');
  });

  it('trims a trailing CRLF', () => {
    expect(cleanText('Mondays\r\n', 'availability')).toBe('Mondays');
  });

  it.each([undefined, null, '', '   ', '\n\t', '\r\n\r\n', ' \u00a0 '])('turns %j into undefined', (value) => {
    expect(cleanText(value, 'summary')).toBeUndefined();
  });

  it.each([42, 0, true, false, {}, ['text'], Symbol('x'), () => 'text'])('refuses non-string %s with INVALID_INPUT', (value) => {
    const error = refusal(() => cleanText(value, 'summary'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.userMessage).toBe('The summary must be text.');
  });

  it('names the field in the refusal', () => {
    expect(refusal(() => cleanText(7, 'availability')).userMessage).toBe('The availability must be text.');
  });

  it('accepts text exactly at the default limit', () => {
    const text = 'a'.repeat(MAX_FIELD_LENGTH);
    expect(cleanText(text, 'summary')).toBe(text);
  });

  it('refuses text one over the default limit with TEXT_TOO_LONG and both lengths', () => {
    const error = refusal(() => cleanText('a'.repeat(MAX_FIELD_LENGTH + 1), 'summary'));
    expect(error.code).toBe('TEXT_TOO_LONG');
    expect(error.userMessage).toBe('The summary is 2,001 characters long; please keep it to at most 2,000 characters.');
  });

  it('measures the length after trimming', () => {
    const text = 'a'.repeat(MAX_FIELD_LENGTH);
    expect(cleanText(`   ${text}   \n`, 'summary')).toBe(text);
  });

  it('measures the length after turning CRLF into LF', () => {
    // 1000 lines: 1000 * 'a' + 999 separators = 1999 characters with LF, 2998 with CRLF.
    const crlf = Array.from({ length: 1000 }, () => 'a').join('\r\n');
    expect(crlf.length).toBe(2998);
    expect(cleanText(crlf, 'summary')).toHaveLength(1999);
  });

  it('uses a custom limit', () => {
    expect(cleanText('a'.repeat(10), 'note', 10)).toBe('a'.repeat(10));
    const error = refusal(() => cleanText('a'.repeat(11), 'note', 10));
    expect(error.code).toBe('TEXT_TOO_LONG');
    expect(error.userMessage).toBe('The note is 11 characters long; please keep it to at most 10 characters.');
  });

  it('allows advice up to MAX_ADVICE_LENGTH', () => {
    expect(cleanText('a'.repeat(MAX_ADVICE_LENGTH), 'advice', MAX_ADVICE_LENGTH)).toHaveLength(3000);
    const error = refusal(() => cleanText('b'.repeat(4500), 'advice', MAX_ADVICE_LENGTH));
    expect(error.userMessage).toBe('The advice is 4,500 characters long; please keep it to at most 3,000 characters.');
    expect(error.message).toBe('TEXT_TOO_LONG: The advice is 4,500 characters long; please keep it to at most 3,000 characters.');
  });
});

describe('characters as people count them', () => {
  it('counts an emoji, a flag, a family and an accented letter as one character each', () => {
    expect(characterCount('😀')).toBe(1);
    expect('😀'.length).toBe(2);
    expect(characterCount('🇬🇧')).toBe(1);
    expect(characterCount('👨‍👩‍👧')).toBe(1);
    expect(characterCount('e\u0301')).toBe(1);
    expect(characterCount('Zoë')).toBe(3);
  });

  it('accepts 1,500 emoji in a 2,000-character field (3,000 UTF-16 units) and refuses 2,001', () => {
    const emoji = '😀'.repeat(1500);
    expect(emoji.length).toBe(3000);
    expect(cleanText(emoji, 'summary')).toBe(emoji);
    const error = refusal(() => cleanText('😀'.repeat(MAX_FIELD_LENGTH + 1), 'summary'));
    expect(error.userMessage).toBe('The summary is 2,001 characters long; please keep it to at most 2,000 characters.');
  });
});
