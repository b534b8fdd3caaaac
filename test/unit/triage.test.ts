import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_HOURS } from '../../src/domain/org-settings.js';
import { DEFAULT_RESPONSE_POLICIES, type ResponsePolicies } from '../../src/domain/response-policy.js';
import {
  HELP_TYPES,
  HELP_TYPE_LABELS,
  asksForFormat,
  describeWaiting,
  expectedContactBy,
  describeNextOnDuty,
  nextOnDuty,
  routeFor,
  signpostsStaffSupport,
  urgencyFor,
  type HelpType,
} from '../../src/domain/triage.js';

const LONDON = 'Europe/London';
const HOURS = DEFAULT_SERVICE_HOURS; // Monday to Friday, 09:00-17:00 local time.
// Urgent 30, advice 240, session 960 service minutes.
const TARGETS: ResponsePolicies = DEFAULT_RESPONSE_POLICIES;

const utc = (iso: string) => new Date(iso);

describe('help types', () => {
  it('lists the four help types, each with a label', () => {
    expect([...HELP_TYPES].sort()).toEqual(['ADVICE', 'CHILD_DEATH', 'EMOTIONAL_IMPACT', 'SESSION']);
    for (const type of HELP_TYPES) expect(HELP_TYPE_LABELS[type]).toMatch(/\S/);
  });

  const table: Array<[HelpType, 'ADVICE' | 'SUPERVISION', boolean, boolean]> = [
    // help type,         route,         asks format, signposts staff support
    ['ADVICE', 'ADVICE', false, false],
    ['SESSION', 'SUPERVISION', true, false],
    ['CHILD_DEATH', 'SUPERVISION', true, true],
    ['EMOTIONAL_IMPACT', 'SUPERVISION', true, true],
  ];

  it('the table covers every help type', () => {
    expect(table.map(([type]) => type).sort()).toEqual([...HELP_TYPES].sort());
  });

  it.each(table)('%s: route %s, asks for format %s, signposts staff support %s', (type, route, format, support) => {
    expect(routeFor(type)).toBe(route);
    expect(asksForFormat(type)).toBe(format);
    expect(signpostsStaffSupport(type)).toBe(support);
  });
});

describe('urgencyFor', () => {
  it('is URGENT when someone is at immediate risk', () => {
    expect(urgencyFor(true)).toBe('URGENT');
  });
  it('is ROUTINE otherwise', () => {
    expect(urgencyFor(false)).toBe('ROUTINE');
  });
});

describe('expectedContactBy', () => {
  describe('urgent requests: urgentMinutes of service time (out of hours the 24/7 routes carry them)', () => {
    it.each([
      ['a weekday in hours', '2026-01-19T10:00:00Z', '2026-01-19T10:30:00Z'],
      ['a weekday just before closing: 10 min today, 20 min at the next opening', '2026-01-19T16:50:00Z', '2026-01-20T09:20:00Z'],
      ['a weekday night: the next opening plus 30 min', '2026-01-19T23:45:00Z', '2026-01-20T09:30:00Z'],
      ['a Saturday: Monday morning', '2026-01-24T03:00:00Z', '2026-01-26T09:30:00Z'],
      ['across the spring clock change: Monday 09:30 BST', '2026-03-29T00:45:00Z', '2026-03-30T08:30:00Z'],
    ])('on %s', (_label, created, expected) => {
      for (const route of ['ADVICE', 'SUPERVISION'] as const) {
        expect(expectedContactBy(utc(created), 'URGENT', route, TARGETS, HOURS, LONDON).toISOString()).toBe(
          new Date(expected).toISOString(),
        );
      }
    });

    it('uses the organisation’s urgent target', () => {
      const created = utc('2026-01-19T10:00:00Z');
      const targets = { ...TARGETS, urgent: { targetMinutes: 5, resurfaceAfterMinutes: 5, escalateAfterMinutes: 5 } };
      expect(expectedContactBy(created, 'URGENT', 'ADVICE', targets, HOURS, LONDON).toISOString()).toBe(
        '2026-01-19T10:05:00.000Z',
      );
    });

    it('falls back to the plain target when no service hours are configured at all', () => {
      const closed = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
      expect(
        expectedContactBy(utc('2026-01-19T10:00:00Z'), 'URGENT', 'SUPERVISION', TARGETS, closed, LONDON).toISOString(),
      ).toBe('2026-01-19T10:30:00.000Z');
    });
  });

  describe('nextOnDuty', () => {
    it('is the instant itself in service hours, the next opening outside them, and null with no hours', () => {
      expect(nextOnDuty(utc('2026-01-19T10:00:00Z'), HOURS, LONDON)?.toISOString()).toBe('2026-01-19T10:00:00.000Z');
      expect(nextOnDuty(utc('2026-01-23T21:11:00Z'), HOURS, LONDON)?.toISOString()).toBe('2026-01-26T09:00:00.000Z');
      expect(nextOnDuty(utc('2026-03-28T12:00:00Z'), HOURS, LONDON)?.toISOString()).toBe('2026-03-30T08:00:00.000Z');
      const closed = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
      expect(nextOnDuty(utc('2026-01-19T10:00:00Z'), closed, LONDON)).toBeNull();
    });

    it('is said to a person the same way everywhere: the next opening in local time, or their next working day', () => {
      expect(describeNextOnDuty(utc('2026-01-23T21:11:00Z'), HOURS, LONDON)).toBe('09:00 on Monday 26 January');
      expect(describeNextOnDuty(utc('2026-01-22T18:00:00Z'), HOURS, LONDON)).toBe('09:00 tomorrow');
      const closed = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
      expect(describeNextOnDuty(utc('2026-01-19T10:00:00Z'), closed, LONDON)).toBe('their next working day');
    });
  });

  describe('routine advice (240 minutes of service time)', () => {
    const advice = (created: string) =>
      expectedContactBy(utc(created), 'ROUTINE', 'ADVICE', TARGETS, HOURS, LONDON).toISOString();

    it('Monday 10:00 (GMT, January) is due at 14:00 the same day', () => {
      // Monday 19 January 2026, London = UTC.
      expect(advice('2026-01-19T10:00:00Z')).toBe('2026-01-19T14:00:00.000Z');
    });

    it('Monday 10:00 (BST, June) is due at 14:00 local, 13:00 UTC', () => {
      // Monday 15 June 2026, London = UTC+1.
      expect(advice('2026-06-15T09:00:00Z')).toBe('2026-06-15T13:00:00.000Z');
    });

    it('Friday 16:30 is due at 12:30 on Monday (30 min on Friday, 210 on Monday)', () => {
      // Friday 23 January 2026 16:30 GMT -> Monday 26 January 12:30 GMT.
      expect(advice('2026-01-23T16:30:00Z')).toBe('2026-01-26T12:30:00.000Z');
    });

    it('a Saturday request is due on Monday, counting from 09:00', () => {
      // Saturday 24 January 2026 -> Monday 26 January 09:00 + 4 h.
      expect(advice('2026-01-24T11:00:00Z')).toBe('2026-01-26T13:00:00.000Z');
    });

    it('a Sunday evening request is due on Monday', () => {
      expect(advice('2026-01-25T22:00:00Z')).toBe('2026-01-26T13:00:00.000Z');
    });

    it('a request before opening counts from 09:00', () => {
      expect(advice('2026-01-19T07:00:00Z')).toBe('2026-01-19T13:00:00.000Z');
    });

    it('a request after closing counts from 09:00 the next working day', () => {
      expect(advice('2026-01-19T18:00:00Z')).toBe('2026-01-20T13:00:00.000Z');
    });

    it('across the spring clock change (Sunday 29 March 2026, GMT -> BST)', () => {
      // Friday 27 March 16:30 GMT (16:30Z): 30 min on Friday; Monday 30 March opens at
      // 09:00 BST = 08:00Z; 210 min later is 12:30 BST = 11:30Z.
      expect(advice('2026-03-27T16:30:00Z')).toBe('2026-03-30T11:30:00.000Z');
      // Saturday 28 March 12:00 GMT -> Monday 09:00 BST + 4 h = 13:00 BST = 12:00Z.
      expect(advice('2026-03-28T12:00:00Z')).toBe('2026-03-30T12:00:00.000Z');
      // Sunday 29 March 00:30Z, still GMT, before the change at 01:00Z.
      expect(advice('2026-03-29T00:30:00Z')).toBe('2026-03-30T12:00:00.000Z');
    });

    it('across the autumn clock change (Sunday 25 October 2026, BST -> GMT)', () => {
      // Friday 23 October 16:30 BST = 15:30Z: 30 min on Friday; Monday 26 October opens at
      // 09:00 GMT = 09:00Z; 210 min later is 12:30 GMT = 12:30Z.
      expect(advice('2026-10-23T15:30:00Z')).toBe('2026-10-26T12:30:00.000Z');
      // Sunday 25 October 00:30Z (01:30 BST, before the change at 01:00Z) -> Monday 13:00Z.
      expect(advice('2026-10-25T00:30:00Z')).toBe('2026-10-26T13:00:00.000Z');
    });

    it('Friday 10:00 BST before the autumn change is due the same day', () => {
      expect(advice('2026-10-23T09:00:00Z')).toBe('2026-10-23T13:00:00.000Z');
    });
  });

  describe('routine supervision (sessionMinutes of service time)', () => {
    it('uses sessionMinutes, not adviceMinutes', () => {
      // Monday 19 January 10:00: 420 min on Monday, 480 on Tuesday, 60 on Wednesday.
      expect(
        expectedContactBy(utc('2026-01-19T10:00:00Z'), 'ROUTINE', 'SUPERVISION', TARGETS, HOURS, LONDON).toISOString(),
      ).toBe('2026-01-21T10:00:00.000Z');
    });

    it('carries over a weekend', () => {
      // Thursday 22 January 16:00: 60 min Thu, 480 Fri, 420 Mon -> Monday 16:00.
      expect(
        expectedContactBy(utc('2026-01-22T16:00:00Z'), 'ROUTINE', 'SUPERVISION', TARGETS, HOURS, LONDON).toISOString(),
      ).toBe('2026-01-26T16:00:00.000Z');
    });

    it('works in another time zone', () => {
      // Monday 19 January 2026 10:00 in New York is 15:00Z; 240 min -> 14:00 local = 19:00Z.
      expect(
        expectedContactBy(utc('2026-01-19T15:00:00Z'), 'ROUTINE', 'ADVICE', TARGETS, HOURS, 'America/New_York').toISOString(),
      ).toBe('2026-01-19T19:00:00.000Z');
    });
  });
});

describe('describeWaiting', () => {
  const since = utc('2026-01-19T10:00:00Z');
  const after = (minutes: number, seconds = 0) => new Date(since.getTime() + minutes * 60_000 + seconds * 1000);

  it.each([
    [0, 0, '0 min'],
    [0, 59, '0 min'],
    [1, 0, '1 min'],
    [59, 59, '59 min'],
    [60, 0, '1 h 0 min'],
    [200, 0, '3 h 20 min'],
    [23 * 60 + 59, 0, '23 h 59 min'],
    [24 * 60, 0, '1 day 0 h'],
    [25 * 60 + 30, 0, '1 day 1 h'],
    [52 * 60, 0, '2 days 4 h'],
    [10 * 24 * 60 + 5 * 60, 0, '10 days 5 h'],
  ])('%i min %i s -> %j', (minutes, seconds, expected) => {
    expect(describeWaiting(since, after(minutes, seconds))).toBe(expected);
  });

  it('never goes negative when the clock is behind', () => {
    expect(describeWaiting(since, after(-30))).toBe('0 min');
  });
});
