import { describe, expect, it } from 'vitest';
import { applyQuietHours, isInQuietHours, localMinuteOnDate } from '../../src/domain/quiet-hours.js';

const night = { timeZone: 'Europe/London', quietHoursStart: '22:00', quietHoursEnd: '07:00' };
const dayWindow = { timeZone: 'Europe/London', quietHoursStart: '08:00', quietHoursEnd: '15:00' };
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('applyQuietHours: no window', () => {
  it('leaves the time unchanged when the person has no quiet hours', () => {
    const due = at('2026-01-15T23:30:00.000Z');
    expect(applyQuietHours(due, { timeZone: 'Europe/London', quietHoursStart: null, quietHoursEnd: null }, false)).toEqual(due);
    expect(applyQuietHours(due, { timeZone: 'Europe/London', quietHoursStart: '22:00', quietHoursEnd: null }, false)).toEqual(due);
    expect(applyQuietHours(due, { timeZone: 'Europe/London', quietHoursStart: '22:00', quietHoursEnd: '22:00' }, false)).toEqual(due);
    expect(applyQuietHours(due, { timeZone: 'Europe/London', quietHoursStart: 'late', quietHoursEnd: '07:00' }, false)).toEqual(due);
  });
});

describe('applyQuietHours: a window across midnight (22:00-07:00)', () => {
  it('moves a late-evening reminder to 07:00 the next morning (winter, GMT)', () => {
    expect(iso(applyQuietHours(at('2026-01-15T23:30:00Z'), night, false))).toBe('2026-01-16T07:00:00.000Z');
  });

  it('moves an early-morning reminder to 07:00 the same morning', () => {
    expect(iso(applyQuietHours(at('2026-01-15T03:00:00Z'), night, false))).toBe('2026-01-15T07:00:00.000Z');
  });

  it('the start is inside the window and the end is not', () => {
    expect(iso(applyQuietHours(at('2026-01-15T22:00:00Z'), night, false))).toBe('2026-01-16T07:00:00.000Z');
    expect(iso(applyQuietHours(at('2026-01-15T07:00:00Z'), night, false))).toBe('2026-01-15T07:00:00.000Z');
    expect(iso(applyQuietHours(at('2026-01-15T21:59:00Z'), night, false))).toBe('2026-01-15T21:59:00.000Z');
  });

  it('leaves a daytime reminder unchanged', () => {
    expect(iso(applyQuietHours(at('2026-01-15T12:00:00Z'), night, false))).toBe('2026-01-15T12:00:00.000Z');
    expect(isInQuietHours(at('2026-01-15T12:00:00Z'), night)).toBe(false);
    expect(isInQuietHours(at('2026-01-15T23:00:00Z'), night)).toBe(true);
  });

  it('reads the window in summer time (BST): 22:30 BST waits until 07:00 BST = 06:00Z', () => {
    expect(iso(applyQuietHours(at('2026-07-01T21:30:00Z'), night, false))).toBe('2026-07-02T06:00:00.000Z');
    // 21:30 BST is 20:30Z: not quiet.
    expect(iso(applyQuietHours(at('2026-07-01T20:30:00Z'), night, false))).toBe('2026-07-01T20:30:00.000Z');
  });

  it('across the night the clocks go forward (29 March 2026): 07:00 BST = 06:00Z', () => {
    expect(iso(applyQuietHours(at('2026-03-28T23:00:00Z'), night, false))).toBe('2026-03-29T06:00:00.000Z');
  });

  it('across the night the clocks go back (25 October 2026): 07:00 GMT = 07:00Z', () => {
    expect(iso(applyQuietHours(at('2026-10-24T22:00:00Z'), night, false))).toBe('2026-10-25T07:00:00.000Z');
  });

  it('a window end that does not exist that day becomes the next valid minute', () => {
    const person = { timeZone: 'Europe/London', quietHoursStart: '23:00', quietHoursEnd: '01:30' };
    // 00:15 GMT on 29 March; 01:30 does not exist (01:00 GMT → 02:00 BST), so 02:00 BST = 01:00Z.
    expect(iso(applyQuietHours(at('2026-03-29T00:15:00Z'), person, false))).toBe('2026-03-29T01:00:00.000Z');
  });

  it("uses the person's own zone (New York: 23:00 EST waits until 07:00 EST = 12:00Z)", () => {
    const person = { ...night, timeZone: 'America/New_York' };
    expect(iso(applyQuietHours(at('2026-01-16T04:00:00Z'), person, false))).toBe('2026-01-16T12:00:00.000Z');
  });

  it('falls back to Europe/London when the zone is missing or unknown', () => {
    expect(iso(applyQuietHours(at('2026-01-15T23:30:00Z'), { ...night, timeZone: null }, false))).toBe('2026-01-16T07:00:00.000Z');
    expect(iso(applyQuietHours(at('2026-01-15T23:30:00Z'), { ...night, timeZone: 'Mars/Base' }, false))).toBe(
      '2026-01-16T07:00:00.000Z',
    );
  });
});

describe('applyQuietHours: a daytime window for a night worker (08:00-15:00)', () => {
  it('moves a morning reminder to 15:00 local', () => {
    expect(iso(applyQuietHours(at('2026-01-15T10:00:00Z'), dayWindow, false))).toBe('2026-01-15T15:00:00.000Z');
    expect(iso(applyQuietHours(at('2026-07-15T10:00:00Z'), dayWindow, false))).toBe('2026-07-15T14:00:00.000Z');
  });

  it('leaves reminders outside the window unchanged', () => {
    for (const t of ['2026-01-15T07:59:00.000Z', '2026-01-15T15:00:00.000Z', '2026-01-15T23:00:00.000Z']) {
      expect(iso(applyQuietHours(at(t), dayWindow, false))).toBe(t);
    }
  });
});

describe('applyQuietHours: urgent reminders', () => {
  it('never wait', () => {
    expect(iso(applyQuietHours(at('2026-01-15T23:30:00Z'), night, true))).toBe('2026-01-15T23:30:00.000Z');
    expect(iso(applyQuietHours(at('2026-01-15T10:00:00Z'), dayWindow, true))).toBe('2026-01-15T10:00:00.000Z');
  });
});

describe('localMinuteOnDate', () => {
  it('gives the instant of a local time, skipping forward over a gap', () => {
    expect(localMinuteOnDate({ year: 2026, month: 3, day: 29 }, 9 * 60, 'Europe/London').toUTC().toISO()).toBe(
      '2026-03-29T08:00:00.000Z',
    );
    expect(localMinuteOnDate({ year: 2026, month: 3, day: 29 }, 60 + 15, 'Europe/London').toUTC().toISO()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });

  it('takes the earlier of a repeated time', () => {
    expect(localMinuteOnDate({ year: 2026, month: 10, day: 25 }, 60 + 30, 'Europe/London').toUTC().toISO()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });
});
