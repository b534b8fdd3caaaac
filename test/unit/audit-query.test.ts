// The pure parts of the audit trail: the command grammar, date-range checks in the
// organisation's zone, the CSV writer (RFC 4180 and formula injection), and the rows.
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_USAGE,
  describeRange,
  formatAuditCommand,
  looksLikeAuditCommand,
  parseAuditCommand,
  resolveAuditRange,
  type ResolvedRange,
} from '../../src/domain/audit-query.js';
import { auditCsv, auditLine, type AuditRow } from '../../src/domain/audit-rows.js';
import { csvField, toCsv } from '../../src/domain/csv.js';

const LONDON = 'Europe/London';
const NOW = new Date('2026-11-23T10:00:00Z'); // Monday 23 November 2026

describe('parseAuditCommand', () => {
  it.each([
    ['audit sgs-2026-0042', { scope: { kind: 'request', reference: 'SGS-2026-0042' }, csv: false }],
    ['audit SGS-2026-0042 csv', { scope: { kind: 'request', reference: 'SGS-2026-0042' }, csv: true }],
    [
      'audit sgs-2026-0042 2026-10-01 to 2026-10-31',
      { scope: { kind: 'request', reference: 'SGS-2026-0042' }, range: { from: '2026-10-01', to: '2026-10-31' }, csv: false },
    ],
    ['audit person Jane.Doe@Example.org', { scope: { kind: 'person', email: 'jane.doe@example.org' }, csv: false }],
    [
      'audit person jane.doe@example.org from 2026-10-01 to 2026-10-31 csv',
      { scope: { kind: 'person', email: 'jane.doe@example.org' }, range: { from: '2026-10-01', to: '2026-10-31' }, csv: true },
    ],
    ['audit 2026-10-01 to 2026-10-31', { scope: { kind: 'organisation' }, range: { from: '2026-10-01', to: '2026-10-31' }, csv: false }],
    ['audit from 2026-10-01 until 2026-10-31 csv', { scope: { kind: 'organisation' }, range: { from: '2026-10-01', to: '2026-10-31' }, csv: true }],
    ['audit 2026-10-01 - 2026-10-31', { scope: { kind: 'organisation' }, range: { from: '2026-10-01', to: '2026-10-31' }, csv: false }],
    ['audit 2026-10-05', { scope: { kind: 'organisation' }, range: { from: '2026-10-05', to: '2026-10-05' }, csv: false }],
  ])('reads "%s"', (text, query) => {
    expect(parseAuditCommand(text)).toEqual({ ok: true, query });
  });

  it.each([
    ['audit', AUDIT_USAGE],
    ['audit csv', AUDIT_USAGE],
    ['audit everything', AUDIT_USAGE],
    ['audit 5 cases', AUDIT_USAGE],
    ['audit 2026-10-01 2026-10-31', AUDIT_USAGE],
    ['audit 2026-10-01 to 2026-10-31 extra', AUDIT_USAGE],
    ['audit person', 'Type "audit person" followed by the person\'s e-mail, for example "audit person jane.doe@example.org".'],
    ['audit person jane', '"jane" is not an e-mail address. Type "audit person" followed by the person\'s e-mail.'],
    ['audit from', 'Give a date after "from", for example "audit from 2026-10-01 to 2026-10-31".'],
    ['audit 2026-02-30 to 2026-03-01', '"2026-02-30" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
    ['audit 2026-13-01', '"2026-13-01" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
    ['audit 1/10/2026 to 31/10/2026', '"1/10/2026" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
    ['audit 2026-10-01 to 2026-9-31', '"2026-9-31" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
    ['audit sgs-2026-0042 to 2026-10-01', '"to" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
  ])('answers "%s" clearly', (text, message) => {
    expect(parseAuditCommand(text)).toEqual({ ok: false, message });
  });

  it('writes back the canonical command, which parses to the same query', () => {
    for (const text of ['audit sgs-2026-0042 csv', 'audit person a@b.org from 2026-10-01 to 2026-10-31', 'audit 2026-10-05']) {
      const parsed = parseAuditCommand(text);
      if (!parsed.ok) throw new Error(parsed.message);
      expect(parseAuditCommand(formatAuditCommand(parsed.query))).toEqual(parsed);
    }
    expect(formatAuditCommand({ scope: { kind: 'person', email: 'a@b.org' }, range: { from: '2026-10-01', to: '2026-10-31' }, csv: true })).toBe(
      'audit person a@b.org 2026-10-01 to 2026-10-31 csv',
    );
  });
});

describe('looksLikeAuditCommand', () => {
  it.each(['audit', 'audit sgs-2026-0001', 'audit person x@y.org', 'audit 2026-10-01', 'audit from 2026-10-01', 'audit csv', 'audit 1/10/2026'])(
    'takes "%s" as an audit command',
    (text) => expect(looksLikeAuditCommand(text)).toBe(true),
  );
  it.each(['audit of my cases is worrying me', 'audit 5 cases worry me', 'auditing', 'an audit sgs-2026-0001', 'history'])('leaves "%s" as an ordinary message', (text) =>
    expect(looksLikeAuditCommand(text)).toBe(false),
  );
});

describe('resolveAuditRange', () => {
  const ok = (from: string, to: string, now = NOW, maxDays = 366): ResolvedRange => {
    const check = resolveAuditRange({ from, to }, LONDON, now, maxDays);
    if (!check.ok) throw new Error(check.message);
    return check.range;
  };

  it('runs from local midnight to the local midnight after the last day, across the October clock change', () => {
    const range = ok('2026-10-01', '2026-10-31');
    expect(range.start.toISOString()).toBe('2026-09-30T23:00:00.000Z'); // BST
    expect(range.end.toISOString()).toBe('2026-11-01T00:00:00.000Z'); // GMT
    expect(range.days).toBe(31);
    expect(range.endsToday).toBe(false);
    expect(describeRange(range, LONDON)).toBe('1 Oct 2026 to 31 Oct 2026');
  });

  it('covers the 23-hour day of the March clock change as one day', () => {
    const range = ok('2026-03-29', '2026-03-29');
    expect(range.start.toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(range.end.toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(range.days).toBe(1);
    expect(describeRange(range, LONDON)).toBe('29 Mar 2026');
  });

  it('uses the given zone, not the machine\'s', () => {
    const check = resolveAuditRange({ from: '2026-10-01', to: '2026-10-01' }, 'America/New_York', NOW, 366);
    expect(check.ok && check.range.start.toISOString()).toBe('2026-10-01T04:00:00.000Z');
  });

  it('ends now when the range reaches today or beyond, and says so', () => {
    const range = ok('2026-11-01', '2026-11-30');
    expect(range.end).toEqual(NOW);
    expect(range.endsToday).toBe(true);
    expect(range.until).toBe('2026-11-23');
    expect(describeRange(range, LONDON)).toBe('1 Nov 2026 to 23 Nov 2026 (so far)');
  });

  it('is today in the zone: just after midnight in London on 1 June is still 31 May in UTC', () => {
    const now = new Date('2026-05-31T23:30:00Z'); // 00:30 BST on 1 June
    expect(ok('2026-06-01', '2026-06-01', now).start.toISOString()).toBe('2026-05-31T23:00:00.000Z');
  });

  it.each([
    ['back to front', '2026-10-31', '2026-10-01', 366, 'That range is back to front: 31 Oct 2026 is after 1 Oct 2026. Put the earlier date first.'],
    ['in the future', '2026-11-24', '2026-11-30', 366, 'That range is in the future (today is 23 Nov 2026), so there is nothing to show yet.'],
    [
      'longer than the maximum',
      '2025-01-01',
      '2026-01-02',
      366,
      'That range is 367 days long. The audit trail can be asked for at most 366 days at a time; please split it into shorter ranges.',
    ],
    [
      'longer than an organisation\'s own maximum',
      '2026-10-01',
      '2026-10-31',
      30,
      'That range is 31 days long. The audit trail can be asked for at most 30 days at a time; please split it into shorter ranges.',
    ],
    ['not a date', '2026-02-29', '2026-03-01', 366, '"2026-02-29" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
  ])('refuses a range %s', (_name, from, to, maxDays, message) => {
    expect(resolveAuditRange({ from, to }, LONDON, NOW, maxDays)).toEqual({ ok: false, message });
  });

  it('accepts exactly the maximum (a leap year of 366 days)', () => {
    expect(ok('2024-01-01', '2024-12-31').days).toBe(366);
  });
});

describe('toCsv', () => {
  it('writes RFC 4180: CRLF after every record, quotes only where needed, inner quotes doubled', () => {
    expect(toCsv(['a', 'b', 'c'], [['plain', 'with, comma', 'say "hi"'], ['line\nbreak', 'cr\rhere', null], [1, 2.5, '']])).toBe(
      'a,b,c\r\nplain,"with, comma","say ""hi"""\r\n"line\nbreak","cr\rhere",\r\n1,2.5,\r\n',
    );
  });

  it.each([
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+44 20 7946 0000', "'+44 20 7946 0000"],
    ['-1+1', "'-1+1"],
    ['@cmd', "'@cmd"],
    ['\tstarts with a tab', "'\tstarts with a tab"],
    ['\rstarts with CR', '"\'\rstarts with CR"'],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['=1,2', '"\'=1,2"'],
    ['a=b', 'a=b'],
    ["'quoted", "'quoted"],
  ])('neutralises formula injection: %j -> %j', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('writes numbers as numbers, even negative ones, and nothing for null or non-finite', () => {
    expect([csvField(-5), csvField(0), csvField(null), csvField(Number.NaN), csvField(Number.POSITIVE_INFINITY)]).toEqual(['-5', '0', '', '', '']);
  });

  it('reads back with csv-parse to exactly what was written, for any text (formula starts prefixed)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 3, maxLength: 3 }), { maxLength: 20 }), (rows) => {
        const text = toCsv(['x', 'y', 'z'], rows);
        const back: string[][] = parse(text, { relax_column_count: false, bom: false });
        const expected = rows.map((row) => row.map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
        expect(back).toEqual([['x', 'y', 'z'], ...expected]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('audit rows', () => {
  const row = (fields: Partial<AuditRow> = {}): AuditRow => ({
    id: '7',
    at: new Date('2026-10-15T13:05:09Z'),
    actorName: 'Sam Fictionby',
    actorEmail: 'sam@example.org',
    action: 'record.read',
    subjectType: 'record',
    subjectId: 'rec-1',
    subjectLabel: 'SGS-2026-0002',
    platform: 'TEAMS',
    ...fields,
  });

  it('says who did what to which subject, on which platform, in one line', () => {
    expect(auditLine(row())).toBe('Sam Fictionby: record.read, record SGS-2026-0002 (Teams)');
    expect(auditLine(row({ actorName: null, platform: null, subjectType: 'action-point', subjectLabel: '' }))).toBe('the bot: record.read, action point');
  });

  it('writes the CSV in local and UTC time, with the relation column only for a person', () => {
    const text = auditCsv([row(), row({ id: '8', actorName: '=cmd()', relation: 'about', platform: 'SLACK' })], LONDON, { withRelation: true });
    expect(parse(text)).toEqual([
      ['Time (Europe/London)', 'Time (UTC)', 'Actor', 'Actor e-mail', 'Action', 'Subject type', 'Subject', 'Subject id', 'Platform', 'Relation', 'Event id'],
      ['2026-10-15 14:05:09', '2026-10-15T13:05:09.000Z', 'Sam Fictionby', 'sam@example.org', 'record.read', 'record', 'SGS-2026-0002', 'rec-1', 'Teams', '', '7'],
      ['2026-10-15 14:05:09', '2026-10-15T13:05:09.000Z', "'=cmd()", 'sam@example.org', 'record.read', 'record', 'SGS-2026-0002', 'rec-1', 'Slack', 'about them', '8'],
    ]);
    expect(parse(auditCsv([row()], LONDON, { withRelation: false }))[0]).not.toContain('Relation');
  });
});
