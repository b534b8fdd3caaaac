import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { canRequestReport, overdueScope, type Role } from '../../src/domain/permissions.js';
import {
  formatMinutes,
  headline,
  isReportCommand,
  lastCompleteQuarter,
  parseReportCommand,
  protectSmallGroups,
  REPORT_CSV_HEADER,
  reportCsv,
  requiredSessions,
  resolvePeriod,
  type ReportFigures,
} from '../../src/domain/report.js';
import { CHART_HEIGHT, CHART_WIDTH, renderChartPng, renderChartSvg } from '../../src/report/chart.js';

const ZONE = 'Europe/London';
const NOW = new Date('2026-11-23T10:00:00Z');
const actor = (...roles: Role[]) => ({ personId: 'p1', organisationId: 'o1', roles });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isDomainError(error)) return error.userMessage;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('reading "report ..."', () => {
  it.each([
    ['report', { period: { kind: 'last-quarter' } }],
    ['Report.', { period: { kind: 'last-quarter' } }],
    ['report last quarter', { period: { kind: 'last-quarter' } }],
    ['report Q3 2026', { period: { kind: 'quarter', year: 2026, quarter: 3 } }],
    ['report 2026 q1', { period: { kind: 'quarter', year: 2026, quarter: 1 } }],
    ['report 2026-07-01 to 2026-09-30', { period: { kind: 'range', from: '2026-07-01', to: '2026-09-30' } }],
    ['report  Q2   2026 for Mental Health Nurses', { period: { kind: 'quarter', year: 2026, quarter: 2 }, staffGroup: 'Mental Health Nurses' }],
    ['report for Emergency Bed Service', { period: { kind: 'last-quarter' }, staffGroup: 'Emergency Bed Service' }],
  ])('%s', (text, expected) => {
    expect(parseReportCommand(text)).toEqual(expected);
  });

  it('is not a report command unless it starts with the word "report"', () => {
    expect(parseReportCommand('reporting a concern')).toBeNull();
    expect(parseReportCommand('I want to report something')).toBeNull();
  });

  it('a period it cannot read gets the usage', () => {
    expect(refusal(() => parseReportCommand('report Q5 2026'))).toMatch(/I could not read that period/);
    expect(refusal(() => parseReportCommand('report yesterday'))).toMatch(/report Q3 2026/);
  });

  it('only the Head and specialists have every "report..." message treated as a command', () => {
    expect(isReportCommand(actor('HEAD_OF_SAFEGUARDING'), 'report a concern')).toBe(true);
    expect(isReportCommand(actor('SPECIALIST'), 'report whenever')).toBe(true);
    expect(isReportCommand(actor('STAFF'), 'report a concern about a child')).toBe(false);
    expect(isReportCommand(actor('STAFF'), 'report for my manager')).toBe(false);
    expect(isReportCommand(actor('STAFF'), 'report Q3 2026')).toBe(true); // refused by the flow
  });
});

describe('periods in local time', () => {
  it('"report" is the last complete quarter, also on the first day of a quarter', () => {
    expect(lastCompleteQuarter(DateTime.fromISO('2026-11-23', { zone: ZONE }))).toEqual({ year: 2026, quarter: 3 });
    expect(lastCompleteQuarter(DateTime.fromISO('2026-10-01', { zone: ZONE }))).toEqual({ year: 2026, quarter: 3 });
    expect(lastCompleteQuarter(DateTime.fromISO('2026-02-10', { zone: ZONE }))).toEqual({ year: 2025, quarter: 4 });
  });

  it('quarters start and end at local midnight, summer time or not', () => {
    const q1 = resolvePeriod({ kind: 'quarter', year: 2026, quarter: 1 }, NOW, ZONE, 366);
    expect([q1.start.toISOString(), q1.end.toISOString(), q1.days]).toEqual(['2026-01-01T00:00:00.000Z', '2026-03-31T23:00:00.000Z', 90]);
    const q2 = resolvePeriod({ kind: 'quarter', year: 2026, quarter: 2 }, NOW, ZONE, 366);
    expect([q2.start.toISOString(), q2.end.toISOString(), q2.days]).toEqual(['2026-03-31T23:00:00.000Z', '2026-06-30T23:00:00.000Z', 91]);
    const q4 = resolvePeriod({ kind: 'quarter', year: 2025, quarter: 4 }, NOW, ZONE, 366);
    expect([q4.start.toISOString(), q4.end.toISOString(), q4.days]).toEqual(['2025-09-30T23:00:00.000Z', '2026-01-01T00:00:00.000Z', 92]);
  });

  it('a one-day range on the spring clock change is 23 hours long, in another zone too', () => {
    const day = resolvePeriod({ kind: 'range', from: '2026-03-29', to: '2026-03-29' }, NOW, ZONE, 366);
    expect(day.days).toBe(1);
    expect((day.end.getTime() - day.start.getTime()) / 3_600_000).toBe(23);
    const ny = resolvePeriod({ kind: 'range', from: '2026-11-01', to: '2026-11-01' }, NOW, 'America/New_York', 366);
    expect([ny.start.toISOString(), ny.end.toISOString()]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });

  it('a range may end today, but not later', () => {
    expect(resolvePeriod({ kind: 'range', from: '2026-11-01', to: '2026-11-23' }, NOW, ZONE, 366).days).toBe(23);
    expect(refusal(() => resolvePeriod({ kind: 'range', from: '2026-11-01', to: '2026-11-24' }, NOW, ZONE, 366))).toMatch(/after today \(2026-11-23\)/);
    expect(refusal(() => resolvePeriod({ kind: 'quarter', year: 2026, quarter: 4 }, NOW, ZONE, 366))).toMatch(/report 2026-10-01 to 2026-11-23/);
    expect(refusal(() => resolvePeriod({ kind: 'quarter', year: 2027, quarter: 1 }, NOW, ZONE, 366))).toMatch(/has not started yet/);
  });

  it('inverted, impossible and over-long ranges are refused with the reason', () => {
    expect(refusal(() => resolvePeriod({ kind: 'range', from: '2026-09-30', to: '2026-07-01' }, NOW, ZONE, 366))).toMatch(/before it starts/);
    expect(refusal(() => resolvePeriod({ kind: 'range', from: '2026-06-31', to: '2026-07-01' }, NOW, ZONE, 366))).toMatch(/2026-06-31 is not a date/);
    expect(refusal(() => resolvePeriod({ kind: 'range', from: '2026-01-01', to: '2026-06-30' }, NOW, ZONE, 90))).toMatch(/181 days long; reports cover at most 90 days/);
    expect(resolvePeriod({ kind: 'range', from: '2025-01-01', to: '2025-12-31' }, NOW, ZONE, 365).days).toBe(365);
  });
});

describe('who may ask', () => {
  it.each<[Role[], boolean, string]>([
    [['STAFF'], false, 'none'],
    [['STAFF', 'SUPERVISOR'], false, 'none'],
    [['ADMINISTRATOR'], false, 'none'],
    [['LINE_MANAGER'], false, 'reports-of'],
    [['STAFF', 'SPECIALIST', 'SUPERVISOR'], true, 'organisation'],
    [['HEAD_OF_SAFEGUARDING', 'LINE_MANAGER'], true, 'organisation'],
  ])('%j: report %s, overdue view %s', (roles, report, scope) => {
    expect(canRequestReport(actor(...roles))).toBe(report);
    expect(overdueScope(actor(...roles)).kind).toBe(scope);
  });
});

const FIGURES: ReportFigures = {
  sessions: [
    { staffGroup: 'Mental Health Nurses', type: 'MANDATORY', format: 'INDIVIDUAL', sessions: 4 },
    { staffGroup: '=cmd|evil', type: 'ON_REQUEST', format: 'GROUP', sessions: 1 },
  ],
  sessionTotal: 5,
  compliance: [
    { staffGroup: 'Mental Health Nurses', members: 5, required: 2.5205479, received: 4, compliant: 3, share: 0.6 },
    { staffGroup: 'Head of Safeguarding', members: 0, required: 0, received: 0, compliant: 0, share: null },
  ],
  requests: [
    { route: 'ADVICE', urgency: 'URGENT', requests: 2, responded: 2, medianMinutes: 12.5, p90Minutes: 20.25 },
    { route: 'ALL', urgency: 'ALL', requests: 2, responded: 2, medianMinutes: 12.5, p90Minutes: 20.25 },
  ],
  actionPoints: [{ kind: 'TRAINING_NEED', total: 3, completed: 1, open: 2, overdue: 1 }],
  attendance: [{ staffGroup: 'Mental Health Nurses', didNotAttend: 2, apologies: 1 }],
  cancellations: { total: 3, bySupervisor: 1, bySupervisee: 1, byOthers: 1 },
};

describe('figures for people', () => {
  it('pro-rata requirement: two a year over a 92-day quarter is about half a session each', () => {
    // Exactly 365 / sessions a year days per session: 2 a year, 182.5 days.
    expect(requiredSessions(10, 92, { months: 6, days: 0, perYear: 2 })).toBeCloseTo((10 * 92 * 2) / 365, 9);
    expect(requiredSessions(10, 73, { months: 0, days: 36, perYear: 10 })).toBeCloseTo(20, 9);
    expect(requiredSessions(0, 92, { months: 6, days: 0, perYear: 2 })).toBe(0);
  });

  it('headline totals', () => {
    expect(headline(FIGURES)).toEqual({
      sessions: 5,
      mandatoryMembers: 5,
      compliantShare: 0.6,
      requests: 2,
      medianMinutes: 12.5,
      p90Minutes: 20.25,
      actionPoints: 3,
      actionPointsOverdue: 1,
      didNotAttend: 2,
      cancellations: 3,
    });
  });

  it.each([
    [null, '–'],
    [44.6, '45 min'],
    [60, '1 h'],
    [200, '3 h 20 min'],
    [48 * 60, '2 d'],
    [52 * 60 + 10, '2 d 4 h'],
  ])('%s minutes read as %s', (minutes, text) => {
    expect(formatMinutes(minutes)).toBe(text);
  });

  it('the CSV is one tidy line per figure, safe in a spreadsheet', () => {
    const period = resolvePeriod({ kind: 'quarter', year: 2026, quarter: 3 }, NOW, ZONE, 366);
    const rows: Array<Record<string, string>> = parse(reportCsv(FIGURES, period), { columns: true });
    expect(Object.keys(rows[0]!)).toEqual(REPORT_CSV_HEADER);
    const value = (section: string, group: string, measure: string) => rows.find((r) => r.section === section && r.staff_group === group && r.measure === measure)?.value;
    expect(value('period', 'All staff groups', 'date')).toBe('2026-07-01');
    expect(value('compliance', 'Mental Health Nurses', 'sessions required')).toBe('2.5');
    expect(value('compliance', 'Mental Health Nurses', 'share compliant')).toBe('0.6');
    expect(value('compliance', 'Head of Safeguarding', 'share compliant')).toBe('');
    expect(rows.find((r) => r.measure === 'first response p90 (minutes)' && r.category === 'Advice')?.value).toBe('20.3');
    expect(rows.some((r) => r.staff_group === "'=cmd|evil")).toBe(true);
    expect(rows.filter((r) => r.section === 'cancellations').map((r) => r.value)).toEqual(['3', '1', '1', '1']);
  });
});

describe('small staff groups are never shown on their own (seeds 000 12.2)', () => {
  const period = resolvePeriod({ kind: 'quarter', year: 2026, quarter: 3 }, NOW, ZONE, 366);
  const SMALL: ReportFigures = {
    ...FIGURES,
    sessions: [
      { staffGroup: 'Paramedics', type: 'MANDATORY', format: 'INDIVIDUAL', sessions: 9 },
      { staffGroup: 'Dispatch', type: 'MANDATORY', format: 'INDIVIDUAL', sessions: 2 },
      { staffGroup: 'Head of Safeguarding', type: 'MANDATORY', format: 'INDIVIDUAL', sessions: 1 },
    ],
    sessionTotal: 12,
    compliance: [
      { staffGroup: 'Paramedics', members: 20, required: 10, received: 9, compliant: 15, share: 0.75 },
      { staffGroup: 'Dispatch', members: 3, required: 1.5, received: 2, compliant: 1, share: 1 / 3 },
      { staffGroup: 'Head of Safeguarding', members: 1, required: 0.5, received: 1, compliant: 1, share: 1 },
    ],
    attendance: [
      { staffGroup: 'Paramedics', didNotAttend: 2, apologies: 0 },
      { staffGroup: 'Head of Safeguarding', didNotAttend: 1, apologies: 1 },
    ],
  };

  it('leaves figures alone when every group is big enough', () => {
    expect(protectSmallGroups(SMALL, new Map([['Paramedics', 20], ['Dispatch', 5], ['Head of Safeguarding', 5]]), 5)).toEqual(SMALL);
  });

  it('pools groups under the minimum into one row that adds up, keeping every total', () => {
    const pooled = protectSmallGroups(SMALL, new Map([['Paramedics', 20], ['Dispatch', 4], ['Head of Safeguarding', 1]]), 5);
    const label = 'Groups of fewer than 5 people (pooled)';
    expect(pooled.compliance).toEqual([
      SMALL.compliance[0],
      { staffGroup: label, members: 4, required: 2, received: 3, compliant: 2, share: 0.5 },
    ]);
    expect(pooled.sessions).toEqual([SMALL.sessions[0], { staffGroup: label, type: 'MANDATORY', format: 'INDIVIDUAL', sessions: 3 }]);
    expect(pooled.attendance).toEqual([SMALL.attendance[0], { staffGroup: label, didNotAttend: 1, apologies: 1 }]);
    expect(headline(pooled)).toEqual(headline(SMALL));
    const csv = reportCsv(pooled, period);
    expect(csv).not.toMatch(/Dispatch|Head of Safeguarding/);
    expect(csv).toContain(label);
  });

  it('hides the pooled rows when the small groups together are still under the minimum, yet counts them in the totals', () => {
    const sizes = new Map([['Paramedics', 20], ['Dispatch', 3], ['Head of Safeguarding', 1]]);
    const protectedFigures = protectSmallGroups(SMALL, sizes, 5);
    expect(protectedFigures.compliance.filter((r) => !r.suppressed)).toEqual([SMALL.compliance[0]]);
    expect(protectedFigures.compliance.filter((r) => r.suppressed).map((r) => r.members)).toEqual([4]);
    expect(headline(protectedFigures)).toEqual(headline(SMALL));
    const rows: Array<Record<string, string>> = parse(reportCsv(protectedFigures, period), { columns: true });
    expect(new Set(rows.map((r) => r.staff_group)).has('Groups of fewer than 5 people (pooled)')).toBe(false);
    expect(rows.filter((r) => r.section === 'compliance').map((r) => r.staff_group)).toEqual(Array(5).fill('Paramedics'));
    expect(rows.find((r) => r.section === 'sessions' && r.staff_group === 'All')?.value).toBe('12');
    const svg = renderChartSvg(protectedFigures, 'Q3');
    expect(svg).not.toMatch(/Dispatch|Head of Safeguarding|fewer than/);
  });
});

describe('the chart', () => {
  it('renders to SVG and PNG without a browser, with the groups and shares on it', () => {
    const svg = renderChartSvg(FIGURES, 'Supervision Q3 2026');
    expect(svg).toContain('Mental Health Nurses');
    expect(svg).toContain('60%');
    const png = renderChartPng(FIGURES, 'Supervision Q3 2026');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
  });

  it('an empty period still draws (with placeholders)', () => {
    const empty: ReportFigures = { ...FIGURES, sessions: [], sessionTotal: 0, compliance: [] };
    expect(renderChartSvg(empty, 'Empty')).toContain('No sessions');
  });
});
