import { describe, expect, it } from 'vitest';
import { formatReference, parseReference } from '../../src/domain/reference.js';

describe('formatReference', () => {
  it.each([
    [1, 'SGS-2026-0001'],
    [42, 'SGS-2026-0042'],
    [999, 'SGS-2026-0999'],
    [9999, 'SGS-2026-9999'],
  ])('pads sequence %i to four digits: %s', (sequence, expected) => {
    expect(formatReference('SGS', 2026, sequence)).toBe(expected);
  });

  it.each([
    [10000, 'SGS-2026-10000'],
    [123456, 'SGS-2026-123456'],
  ])('does not truncate a sequence over 9999: %i -> %s', (sequence, expected) => {
    expect(formatReference('SGS', 2026, sequence)).toBe(expected);
  });

  it('uses the prefix and year given', () => {
    expect(formatReference('LTH', 2027, 7)).toBe('LTH-2027-0007');
  });

  it.each([0, -1, -42, 1.5, 0.999, Number.NaN, Number.POSITIVE_INFINITY])('throws for sequence %s', (sequence) => {
    expect(() => formatReference('SGS', 2026, sequence)).toThrow(RangeError);
    expect(() => formatReference('SGS', 2026, sequence)).toThrow('sequence must be a positive integer');
  });
});

describe('parseReference', () => {
  it('parses a reference into its parts', () => {
    expect(parseReference('SGS-2026-0042')).toEqual({ prefix: 'SGS', year: 2026, sequence: 42 });
  });

  it.each([
    ['SGS', 2026, 1],
    ['SGS', 2026, 42],
    ['SGS', 2026, 9999],
    ['SGS', 2026, 10000],
    ['SGS', 2026, 1234567],
    ['AB', 1999, 5],
    ['ABCDEFGH', 2030, 314],
  ])('round-trips %s %i %i through formatReference', (prefix, year, sequence) => {
    expect(parseReference(formatReference(prefix, year, sequence))).toEqual({ prefix, year, sequence });
  });

  it('accepts lower and mixed case, returning the prefix upper-cased', () => {
    expect(parseReference('sgs-2026-0042')).toEqual({ prefix: 'SGS', year: 2026, sequence: 42 });
    expect(parseReference('Sgs-2026-0042')).toEqual({ prefix: 'SGS', year: 2026, sequence: 42 });
  });

  it('ignores surrounding whitespace', () => {
    expect(parseReference('  SGS-2026-0042 \n')).toEqual({ prefix: 'SGS', year: 2026, sequence: 42 });
  });

  it.each([
    ['empty', ''],
    ['whitespace', '   '],
    ['words', 'hello world'],
    ['a sequence under four digits', 'SGS-2026-42'],
    ['a two-digit year', 'SGS-26-0042'],
    ['a five-digit year', 'SGS-20260-0042'],
    ['a one-letter prefix', 'S-2026-0042'],
    ['a nine-letter prefix', 'ABCDEFGHI-2026-0042'],
    ['a prefix with digits', 'SG5-2026-0042'],
    ['no prefix', '2026-0042'],
    ['spaces for hyphens', 'SGS 2026 0042'],
    ['underscores', 'SGS_2026_0042'],
    ['trailing text', 'SGS-2026-0042 please'],
    ['leading text', 'ref SGS-2026-0042'],
    ['a letter in the sequence', 'SGS-2026-00A2'],
    ['a negative sequence', 'SGS-2026--0042'],
  ])('returns undefined for %s: %j', (_label, text) => {
    expect(parseReference(text)).toBeUndefined();
  });
});
