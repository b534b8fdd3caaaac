import { DateTime } from 'luxon';
import {
  DEFAULT_AUDIT_MAX_RANGE_DAYS,
  describeRange,
  formatAuditCommand,
  looksLikeAuditCommand,
  parseAuditCommand,
  resolveAuditRange,
  type AuditQuery,
  type ResolvedRange,
} from '../domain/audit-query.js';
import { AUDIT_CARD_MAX_LINES, AUDIT_EXPORT_MAX_ROWS, auditCsv, auditLine, auditTime } from '../domain/audit-rows.js';
import { csvFileBytes } from '../domain/csv.js';
import { DomainError } from '../domain/errors.js';
import { canReadAuditTrail } from '../domain/permissions.js';
import { recordAudit } from '../db/audit.js';
import { findPersonByEmail } from '../db/directory.js';
import {
  countAuditEvents,
  listAuditEvents,
  personTrailSubjects,
  recordTrailSubjects,
  requestTrailSubjects,
  type AuditSelection,
  type AuditSubject,
} from '../db/audit-queries.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadRecord } from './record-cards.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';
import type { OutFile } from '../domain/out-file.js';

/**
 * The Head of Safeguarding's audit trail: by request reference, by record (from a history
 * card), by person or by date range; as a card in chat or as a CSV file. Every read of the trail
 * is itself audited (`audit.read`), and so is every export (`audit.export`). Nothing here shows
 * content: only who did what to which subject, when, and on which platform.
 */

const NOT_HEAD = 'Only the Head of Safeguarding can see the audit trail.';

function assertHead(actor: Actor): void {
  // Checked before anything is looked up, so a refusal never says whether a record or person exists.
  if (!canReadAuditTrail(actor)) throw new DomainError('NOT_PERMITTED', NOT_HEAD);
}

/**
 * Whether a normalised message is an audit command for this actor. The Head gets every message
 * that starts with "audit" (a typo gets the usage); anyone else only what looks like a real audit
 * command (and is refused), so "audit of my team's cases…" still starts an ordinary request.
 */
export function isAuditCommand(actor: Actor, command: string): boolean {
  if (canReadAuditTrail(actor)) return /^audit(\s|$)/i.test(command);
  return looksLikeAuditCommand(command);
}

/** What one query covers, how it is named, and what its own audit entry is about. */
interface Trail {
  heading: string;
  selection: AuditSelection;
  /** The subject of the `audit.read` / `audit.export` entry. */
  auditSubject: AuditSubject;
  /** How the query is written in the audit entry's detail (ids and e-mails, never content). */
  query: string;
  /** The command that gives the CSV, for the card's hint; absent when only the button can. */
  csvCommand?: string;
  /** Card action data that exports the same trail. */
  csvAction: { query: string; recordId: string };
  filenamePart: string;
  byPerson: boolean;
}

/** "audit …" typed in the personal chat. */
export async function runAuditCommand(deps: FlowDeps, actor: Actor, command: string): Promise<TurnResult> {
  assertHead(actor);
  const parsed = parseAuditCommand(command);
  if (!parsed.ok) throw new DomainError('INVALID_INPUT', parsed.message);
  return runAuditQuery(deps, actor, parsed.query);
}

/** "Download CSV" on an audit-trail card: the same trail again, as a file. */
export async function exportAuditFromCard(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertHead(actor);
  if (typeof value.recordId === 'string' && value.recordId !== '') return recordTrailTurn(deps, actor, value.recordId, true);
  if (typeof value.query !== 'string') throw new DomainError('INVALID_INPUT', "I don't recognise that button. Type the audit command again, ending with \"csv\".");
  const parsed = parseAuditCommand(value.query);
  if (!parsed.ok) throw new DomainError('INVALID_INPUT', parsed.message);
  return runAuditQuery(deps, actor, { ...parsed.query, csv: true });
}

/** The "Audit trail" button on a history card: one record, its session and its action points. */
export async function showRecordAuditTrail(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertHead(actor);
  return recordTrailTurn(deps, actor, value.recordId, false);
}

async function recordTrailTurn(deps: FlowDeps, actor: Actor, recordId: unknown, csv: boolean): Promise<TurnResult> {
  const record = await loadRecord(deps.db, recordId, actor.organisationId);
  const reference = record.session?.request?.reference;
  const kind = record.kind === 'ADVICE' ? 'advice record' : 'supervision record';
  const names = record.subjects.map((s) => s.person.name).join(', ');
  const trail: Trail = {
    heading: `Audit trail for the ${kind} of ${names || record.supervisor.name}${reference ? ` (${reference})` : ''}`,
    selection: {
      organisationId: actor.organisationId,
      subjects: [...(record.sessionId ? [{ subjectType: 'session', subjectId: record.sessionId }] : []), ...recordTrailSubjects([record])],
    },
    auditSubject: { subjectType: 'record', subjectId: record.id },
    query: `record ${record.id}`,
    csvAction: { query: '', recordId: record.id },
    filenamePart: `record-${reference ?? record.id.slice(0, 8)}`,
    byPerson: false,
  };
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  return csv ? exportTrail(deps, actor, trail, zone) : showTrail(deps, actor, trail, zone, 'All dates');
}

async function runAuditQuery(deps: FlowDeps, actor: Actor, query: AuditQuery): Promise<TurnResult> {
  const organisation = await loadOrganisation(deps.db, actor.organisationId);
  const zone = organisation.config.timeZone;
  let range: ResolvedRange | undefined;
  if (query.range) {
    const maxDays = organisation.config.settings.auditMaxRangeDays ?? DEFAULT_AUDIT_MAX_RANGE_DAYS;
    const check = resolveAuditRange(query.range, zone, deps.clock.now(), maxDays);
    if (!check.ok) throw new DomainError('INVALID_INPUT', check.message);
    range = check.range;
  }
  const text = formatAuditCommand({ ...query, csv: false });
  const base = { query: text, csvCommand: `${text} csv`, csvAction: { query: text, recordId: '' } };
  const rangePart = range ? `-${range.from}-to-${range.until}` : '';
  let trail: Trail;
  if (query.scope.kind === 'request') {
    const found = await requestTrailSubjects(deps.db, actor.organisationId, query.scope.reference);
    if (!found) throw new DomainError('NOT_FOUND', `I can't find a request with the reference ${query.scope.reference}.`);
    trail = {
      ...base,
      heading: `Audit trail for ${found.request.reference}`,
      selection: { organisationId: actor.organisationId, subjects: found.subjects },
      auditSubject: { subjectType: 'request', subjectId: found.request.id },
      filenamePart: `${found.request.reference}${rangePart}`,
      byPerson: false,
    };
  } else if (query.scope.kind === 'person') {
    const person = await findPersonByEmail(deps.db, actor.organisationId, query.scope.email);
    if (!person) throw new DomainError('NOT_FOUND', `I can't find anyone with the e-mail ${query.scope.email} in the staff directory.`);
    trail = {
      ...base,
      heading: `Audit trail for ${person.name}: what they did, and what was done or read about them`,
      selection: {
        organisationId: actor.organisationId,
        actorId: person.id,
        subjects: await personTrailSubjects(deps.db, actor.organisationId, person.id),
      },
      auditSubject: { subjectType: 'person', subjectId: person.id },
      filenamePart: `person-${person.email.split('@')[0]!.replace(/[^a-z0-9.-]+/gi, '-')}${rangePart}`,
      byPerson: true,
    };
  } else {
    trail = {
      ...base,
      heading: `Audit trail for ${organisation.name}`,
      selection: { organisationId: actor.organisationId },
      auditSubject: { subjectType: 'organisation', subjectId: actor.organisationId },
      filenamePart: `organisation${rangePart}`,
      byPerson: false,
    };
  }
  if (range) trail.selection = { ...trail.selection, start: range.start, end: range.end };
  const period = range ? describeRange(range, zone) : 'All dates';
  return query.csv ? exportTrail(deps, actor, trail, zone) : showTrail(deps, actor, trail, zone, period);
}

/** The card: the newest events up to the card's limit, and how to get the rest. */
async function showTrail(deps: FlowDeps, actor: Actor, trail: Trail, zone: string, period: string): Promise<TurnResult> {
  const [count, rows] = await Promise.all([
    countAuditEvents(deps.db, trail.selection),
    listAuditEvents(deps.db, trail.selection, { order: 'desc', take: AUDIT_CARD_MAX_LINES }),
  ]);
  await recordAudit(deps.db, {
    at: deps.clock.now(),
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'audit.read',
    ...trail.auditSubject,
    platform: actor.platform,
    detail: { query: trail.query, events: count },
  });
  const hidden = count - rows.length;
  const ask = trail.csvCommand ? `type "${trail.csvCommand}" or press Download CSV` : 'press Download CSV';
  const more =
    hidden > 0 ? `The ${rows.length} most recent of ${count}, newest first. ${hidden} more: ask for the CSV (${ask}).` : count > 1 ? 'Newest first.' : '';
  return {
    replies: [
      {
        card: {
          template: 'audit-trail',
          data: {
            heading: trail.heading,
            period,
            count,
            more,
            events: rows.map((row) => ({ at: auditTime(row.at, zone), line: auditLine(row) })),
            csvQuery: trail.csvAction.query,
            csvRecordId: trail.csvAction.recordId,
          },
        },
      },
    ],
  };
}

/** The CSV file for the actor alone, oldest first; the export is audited before it is handed over. */
async function exportTrail(deps: FlowDeps, actor: Actor, trail: Trail, zone: string): Promise<TurnResult> {
  const count = await countAuditEvents(deps.db, trail.selection);
  if (count > AUDIT_EXPORT_MAX_ROWS) {
    throw new DomainError(
      'INVALID_INPUT',
      `That is ${count.toLocaleString('en-GB')} events; one CSV holds at most ${AUDIT_EXPORT_MAX_ROWS.toLocaleString('en-GB')}. Please ask for a shorter date range.`,
    );
  }
  const rows = await listAuditEvents(deps.db, trail.selection, { order: 'asc' });
  const content = csvFileBytes(auditCsv(rows, zone, { withRelation: trail.byPerson }));
  await recordAudit(deps.db, {
    at: deps.clock.now(),
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'audit.export',
    ...trail.auditSubject,
    platform: actor.platform,
    detail: { query: trail.query, rows: rows.length, format: 'csv' },
  });
  const stamp = DateTime.fromJSDate(deps.clock.now(), { zone }).toFormat("yyyyLLdd'-'HHmm");
  const file: OutFile = {
    filename: `audit-${trail.filenamePart}-${stamp}.csv`,
    contentType: 'text/csv; charset=utf-8',
    content,
    title: trail.heading,
    allowedRoles: ['HEAD_OF_SAFEGUARDING'],
  };
  const events = rows.length === 1 ? '1 event' : `${rows.length} events`;
  return {
    replies: [{ text: `${trail.heading}: ${events} as a CSV file, for you only. This export is itself recorded in the audit trail.` }],
    files: [file],
  };
}
