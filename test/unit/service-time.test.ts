import { Settings } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_HOURS, type ServiceHours } from '../../src/domain/org-settings.js';
import { addServiceMinutes, describeDeadline, isWithinServiceHours } from '../../src/domain/service-time.js';

const LONDON = 'Europe/London';
const HOURS = DEFAULT_SERVICE_HOURS; // Monday to Friday, 09:00-17:00.
const CLOSED: ServiceHours = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
const utc = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('isWithinServiceHours', () => {
  describe('in GMT (Monday 19 January 2026, London = UTC)', () => {
    it.each([
      ['08:59:59', false],
      ['09:00:00', true],
      ['09:00:01', true],
      ['12:00:00', true],
      ['16:59:59', true],
      ['17:00:00', false],
      ['23:00:00', false],
      ['00:00:00', false],
    ])('%s local -> %s', (time, inside) => {
      expect(isWithinServiceHours(utc(`2026-01-19T${time}Z`), HOURS, LONDON)).toBe(inside);
    });
  });

  describe('in BST (Monday 15 June 2026, London = UTC+1)', () => {
    it.each([
      ['07:59:59', false], // 08:59:59 BST
      ['08:00:00', true], // 09:00 BST
      ['15:59:59', true], // 16:59:59 BST
      ['16:00:00', false], // 17:00 BST
      ['16:30:00', false], // 17:30 BST: would be inside if the zone were ignored
      ['08:30:00', true],
    ])('%sZ -> %s', (time, inside) => {
      expect(isWithinServiceHours(utc(`2026-06-15T${time}Z`), HOURS, LONDON)).toBe(inside);
    });
  });

  it('treats the first Monday after each clock change in local time', () => {
    expect(isWithinServiceHours(utc('2026-03-30T08:00:00Z'), HOURS, LONDON)).toBe(true); // 09:00 BST
    expect(isWithinServiceHours(utc('2026-03-30T07:59:00Z'), HOURS, LONDON)).toBe(false);
    expect(isWithinServiceHours(utc('2026-10-26T09:00:00Z'), HOURS, LONDON)).toBe(true); // 09:00 GMT
    expect(isWithinServiceHours(utc('2026-10-26T08:59:00Z'), HOURS, LONDON)).toBe(false);
  });

  it.each([
    ['Saturday midday', '2026-01-24T12:00:00Z'],
    ['Sunday midday', '2026-01-25T12:00:00Z'],
    ['Saturday midday in BST', '2026-06-20T11:00:00Z'],
  ])('is closed at the weekend: %s', (_label, when) => {
    expect(isWithinServiceHours(utc(when), HOURS, LONDON)).toBe(false);
  });

  it('uses the local weekday, not the UTC one', () => {
    // Friday 23 January 23:30 UTC is Saturday 10:30 in Auckland (UTC+13): closed there.
    expect(isWithinServiceHours(utc('2026-01-23T23:30:00Z'), HOURS, 'Pacific/Auckland')).toBe(false);
    // Sunday 25 January 21:00 UTC is Monday 10:00 in Auckland: open.
    expect(isWithinServiceHours(utc('2026-01-25T21:00:00Z'), HOURS, 'Pacific/Auckland')).toBe(true);
  });

  it('handles several windows a day, open at each start and closed at each end', () => {
    const split: ServiceHours = { ...CLOSED, wed: [{ from: '09:00', to: '12:00' }, { from: '13:00', to: '17:00' }] };
    const wed = (time: string) => isWithinServiceHours(utc(`2026-01-21T${time}Z`), split, LONDON);
    expect(wed('11:59:00')).toBe(true);
    expect(wed('12:00:00')).toBe(false);
    expect(wed('12:30:00')).toBe(false);
    expect(wed('13:00:00')).toBe(true);
    expect(wed('16:59:00')).toBe(true);
    expect(wed('17:00:00')).toBe(false);
    // Same time on Tuesday: that day has no windows.
    expect(isWithinServiceHours(utc('2026-01-20T13:00:00Z'), split, LONDON)).toBe(false);
  });

  it('is never open with no service hours', () => {
    expect(isWithinServiceHours(utc('2026-01-19T12:00:00Z'), CLOSED, LONDON)).toBe(false);
  });
});

describe('addServiceMinutes', () => {
  const add = (from: string, minutes: number, hours: ServiceHours = HOURS, zone = LONDON) =>
    iso(addServiceMinutes(utc(from), minutes, hours, zone));

  it('adds within a single window', () => {
    expect(add('2026-01-19T10:00:00Z', 240)).toBe('2026-01-19T14:00:00.000Z');
  });

  it('ends exactly at closing time when the minutes fit exactly', () => {
    expect(add('2026-01-19T13:00:00Z', 240)).toBe('2026-01-19T17:00:00.000Z');
  });

  it('carries over to the next day', () => {
    // Monday 16:00: 60 min on Monday, 60 on Tuesday from 09:00.
    expect(add('2026-01-19T16:00:00Z', 120)).toBe('2026-01-20T10:00:00.000Z');
  });

  it('carries over a weekend: Friday 16:30 + 240 min is Monday 12:30', () => {
    expect(add('2026-01-23T16:30:00Z', 240)).toBe('2026-01-26T12:30:00.000Z');
  });

  it('starts at opening time when begun before opening, after closing or at the weekend', () => {
    expect(add('2026-01-19T06:00:00Z', 30)).toBe('2026-01-19T09:30:00.000Z');
    expect(add('2026-01-19T17:00:00Z', 30)).toBe('2026-01-20T09:30:00.000Z');
    expect(add('2026-01-24T12:00:00Z', 30)).toBe('2026-01-26T09:30:00.000Z');
  });

  it('with zero minutes gives the same instant inside hours and the next opening outside', () => {
    expect(add('2026-01-19T10:15:00Z', 0)).toBe('2026-01-19T10:15:00.000Z');
    expect(add('2026-01-23T18:00:00Z', 0)).toBe('2026-01-26T09:00:00.000Z');
  });

  it('spans several days and weekends', () => {
    // 5 full days (2400 min) from Monday 09:00 ends at Friday 17:00; one more minute is Monday 09:01.
    expect(add('2026-01-19T09:00:00Z', 2400)).toBe('2026-01-23T17:00:00.000Z');
    expect(add('2026-01-19T09:00:00Z', 2401)).toBe('2026-01-26T09:01:00.000Z');
    // Two working weeks.
    expect(add('2026-01-19T09:00:00Z', 4800)).toBe('2026-01-30T17:00:00.000Z');
  });

  it('uses several windows a day and skips the gaps between them', () => {
    const split: ServiceHours = {
      ...HOURS,
      mon: [{ from: '09:00', to: '12:00' }, { from: '13:00', to: '17:00' }],
      tue: [{ from: '10:00', to: '11:00' }, { from: '14:00', to: '15:00' }],
    };
    // Monday 11:00: 60 min to 12:00, then 60 from 13:00 -> 14:00.
    expect(add('2026-01-19T11:00:00Z', 120, split)).toBe('2026-01-19T14:00:00.000Z');
    // Begun in the lunch gap: starts at 13:00.
    expect(add('2026-01-19T12:15:00Z', 30, split)).toBe('2026-01-19T13:30:00.000Z');
    // Monday 16:00: 60 on Monday, 60 on Tuesday morning, 30 Tuesday afternoon -> Tue 14:30.
    expect(add('2026-01-19T16:00:00Z', 150, split)).toBe('2026-01-20T14:30:00.000Z');
  });

  it('counts weekend hours when the team works weekends', () => {
    const sevenDays: ServiceHours = { ...HOURS, sat: [{ from: '10:00', to: '14:00' }], sun: [] };
    expect(add('2026-01-23T16:30:00Z', 240, sevenDays)).toBe('2026-01-24T13:30:00.000Z');
  });

  it('counts real elapsed minutes on the spring clock-change day', () => {
    // Sunday 29 March 2026, window 00:00-06:00 local: 00:00 GMT (00:00Z) to 06:00 BST (05:00Z),
    // which is 300 real minutes, not 360.
    const night: ServiceHours = { ...CLOSED, sun: [{ from: '00:00', to: '06:00' }] };
    expect(add('2026-03-29T00:00:00Z', 300, night)).toBe('2026-03-29T05:00:00.000Z');
    // A 301st minute is not available until the following Sunday (00:00 BST = 23:00Z Saturday).
    expect(add('2026-03-29T00:00:00Z', 301, night)).toBe('2026-04-04T23:01:00.000Z');
  });

  it('counts real elapsed minutes on the autumn clock-change day', () => {
    // Sunday 25 October 2026, window 00:00-06:00 local: 00:00 BST (23:00Z Saturday) to
    // 06:00 GMT (06:00Z), which is 420 real minutes.
    const night: ServiceHours = { ...CLOSED, sun: [{ from: '00:00', to: '06:00' }] };
    expect(add('2026-10-24T23:00:00Z', 420, night)).toBe('2026-10-25T06:00:00.000Z');
  });

  it('moves a window that opens inside the spring gap forwards', () => {
    // 01:30 does not exist in London on 29 March 2026; it resolves to 02:30 BST (01:30Z).
    const gap: ServiceHours = { ...CLOSED, sun: [{ from: '01:30', to: '03:00' }] };
    expect(add('2026-03-28T12:00:00Z', 0, gap)).toBe('2026-03-29T01:30:00.000Z');
    // 03:00 BST is 02:00Z, so the window holds 30 real minutes that day.
    expect(add('2026-03-28T12:00:00Z', 30, gap)).toBe('2026-03-29T02:00:00.000Z');
  });

  it('throws when there are no service hours at all', () => {
    expect(() => addServiceMinutes(utc('2026-01-19T10:00:00Z'), 60, CLOSED, LONDON)).toThrow(RangeError);
    expect(() => addServiceMinutes(utc('2026-01-19T10:00:00Z'), 60, CLOSED, LONDON)).toThrow(/no service hours/);
  });

  it('still finds hours that are more than a week away', () => {
    // Open on Mondays only: from Tuesday 20 January, 60 min on Monday 26th and 30 on Monday 2 February.
    const mondays: ServiceHours = { ...CLOSED, mon: [{ from: '09:00', to: '10:00' }] };
    expect(add('2026-01-20T09:00:00Z', 90, mondays)).toBe('2026-02-02T09:30:00.000Z');
  });
});

describe('describeDeadline', () => {
  afterEach(() => {
    Settings.defaultLocale = undefined as unknown as string;
  });

  it('says "today" for the same local day', () => {
    expect(describeDeadline(utc('2026-01-19T14:30:00Z'), utc('2026-01-19T10:00:00Z'), LONDON)).toBe('by 14:30 today');
  });

  it('shows local time in BST', () => {
    expect(describeDeadline(utc('2026-06-15T13:30:00Z'), utc('2026-06-15T09:00:00Z'), LONDON)).toBe('by 14:30 today');
  });

  it('says "tomorrow" for the next local day', () => {
    expect(describeDeadline(utc('2026-01-20T10:00:00Z'), utc('2026-01-19T16:00:00Z'), LONDON)).toBe(
      'by 10:00 tomorrow',
    );
  });

  it('goes by the local day, not the UTC day', () => {
    // 23:30 BST on 15 June and 00:30 BST on 16 June are both 15 June in UTC.
    expect(describeDeadline(utc('2026-06-15T23:30:00Z'), utc('2026-06-15T22:30:00Z'), LONDON)).toBe(
      'by 00:30 tomorrow',
    );
  });

  it('says "tomorrow" across the spring clock change (a 23-hour day)', () => {
    expect(describeDeadline(utc('2026-03-29T12:00:00Z'), utc('2026-03-28T10:00:00Z'), LONDON)).toBe(
      'by 13:00 tomorrow',
    );
  });

  it('says "tomorrow" across the autumn clock change (a 25-hour day)', () => {
    expect(describeDeadline(utc('2026-10-25T12:00:00Z'), utc('2026-10-24T10:00:00Z'), LONDON)).toBe(
      'by 12:00 tomorrow',
    );
  });

  it('names the weekday and date when further away', () => {
    // Friday 20 November 2026 -> Monday 23 November 2026 (GMT).
    expect(describeDeadline(utc('2026-11-23T12:30:00Z'), utc('2026-11-20T16:30:00Z'), LONDON)).toBe(
      'by 12:30 on Monday 23 November',
    );
  });

  it('names the date across a clock change', () => {
    expect(describeDeadline(utc('2026-03-30T11:30:00Z'), utc('2026-03-27T16:30:00Z'), LONDON)).toBe(
      'by 12:30 on Monday 30 March',
    );
  });

  it('is in English whatever the server locale', () => {
    Settings.defaultLocale = 'de-DE';
    expect(describeDeadline(utc('2026-11-23T12:30:00Z'), utc('2026-11-20T16:30:00Z'), LONDON)).toBe(
      'by 12:30 on Monday 23 November',
    );
  });
});
