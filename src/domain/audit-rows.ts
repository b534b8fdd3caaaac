import { DateTime } from 'luxon';
import { toCsv } from './csv.js';

/**
 * One audit event as the Head sees it: who, did what, to which subject, when, on which platform.
 * Never content: the event's detail is not shown at all.
 */
export interface AuditRow {
  id: string;
  at: Date;
  /** null: the bot itself (a scheduled job, say). */
  actorName: string | null;
  actorEmail: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  /** A name for the subject without content: a request reference, a person's name. */
  subjectLabel: string;
  platform: 'TEAMS' | 'SLACK' | null;
  /** For a person's trail: whether the person did it, it was about them, or both. */
  relation?: 'by' | 'about' | 'both';
}

/** How many events an audit-trail card lists; the rest are in the CSV. */
export const AUDIT_CARD_MAX_LINES = 25;
/** The most rows one CSV export holds; a bigger query is asked to narrow its range. */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;

const PLATFORM_LABELS = { TEAMS: 'Teams', SLACK: 'Slack' } as const;
const RELATION_LABELS = { by: 'by them', about: 'about them', both: 'by them, about them' } as const;
const SUBJECT_LABELS: Record<string, string> = {
  request: 'request',
  session: 'session',
  record: 'record',
  'action-point': 'action point',
  agreement: 'agreement',
  person: 'person',
  organisation: 'organisation',
};

const subjectType = (type: string) => SUBJECT_LABELS[type] ?? type;

/** "Sam Fictionby: record.read, record SGS-2026-0002 (Teams)". */
export function auditLine(row: AuditRow): string {
  const subject = [subjectType(row.subjectType), row.subjectLabel].filter(Boolean).join(' ');
  const platform = row.platform ? ` (${PLATFORM_LABELS[row.platform]})` : '';
  return `${row.actorName ?? 'the bot'}: ${row.action}, ${subject}${platform}`;
}

/** The local time of an event as shown on the card. */
export function auditTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).setLocale('en-GB').toFormat('d LLL yyyy HH:mm');
}

/** The CSV of audit rows, oldest first as given, times in the organisation's zone and in UTC. */
export function auditCsv(rows: AuditRow[], zone: string, options: { withRelation: boolean }): string {
  const header = [
    `Time (${zone})`,
    'Time (UTC)',
    'Actor',
    'Actor e-mail',
    'Action',
    'Subject type',
    'Subject',
    'Subject id',
    'Platform',
    ...(options.withRelation ? ['Relation'] : []),
    'Event id',
  ];
  // One formatter for every row: luxon per row costs ~10 µs, noticeable at AUDIT_EXPORT_MAX_ROWS.
  // Swedish dates are ISO-shaped: "2026-10-15 14:05:09".
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return toCsv(
    header,
    rows.map((row) => [
      local.format(row.at),
      row.at.toISOString(),
      row.actorName ?? 'the bot',
      row.actorEmail,
      row.action,
      subjectType(row.subjectType),
      row.subjectLabel,
      row.subjectId,
      row.platform ? PLATFORM_LABELS[row.platform] : null,
      ...(options.withRelation ? [row.relation ? RELATION_LABELS[row.relation] : null] : []),
      row.id,
    ]),
  );
}
