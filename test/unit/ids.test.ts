import { describe, expect, it } from 'vitest';
import { assertCardCurrent, cardVersion, isCardStale, isId, STALE_CARD_TEXT } from '../../src/domain/ids.js';
import { DomainError } from '../../src/domain/errors.js';

describe('ids and card versions from card data', () => {
  it('accepts only UUIDs as ids', () => {
    expect(isId('1a5de000-0000-4000-8000-000000000001')).toBe(true);
    for (const forged of ['', 'x', '1a5de000000040008000000000000001', '1a5de000-0000-4000-8000-00000000000g', { $ne: null }, 42, null, '------------------------------------']) {
      expect(isId(forged)).toBe(false);
    }
  });

  it('reads a positive whole version and treats anything else as stale', () => {
    expect(cardVersion({ version: 3 })).toBe(3);
    expect(cardVersion({ version: '4' })).toBe(4);
    for (const version of [undefined, 0, -1, 1.5, 'two', null, [1]]) expect(cardVersion({ version })).toBe(-1);
  });

  it('has one check for a stale card: a version other than the row\'s, or none readable', () => {
    expect(isCardStale({ version: 3 }, 3)).toBe(false);
    expect(isCardStale({ version: '3' }, 3)).toBe(false);
    for (const version of [2, 4, undefined, 'three', 0]) expect(isCardStale({ version }, 3)).toBe(true);
    expect(() => assertCardCurrent({ version: 3 }, 3)).not.toThrow();
    expect(() => assertCardCurrent({ version: 2 }, 3)).toThrow(new DomainError('STALE_CARD', STALE_CARD_TEXT));
    expect(() => assertCardCurrent({}, 3, 'Open the record again.')).toThrow(new DomainError('STALE_CARD', 'Open the record again.'));
  });
});
