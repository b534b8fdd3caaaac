// What the retention purge may remove, and when. Pure rules: the purge (src/db/retention-purge.ts)
// loads the facts below and deletes only what these functions call expired.
//
// The seeds say nothing about how long supervision data is kept (000 §11.1 only says records are
// "held centrally and securely"), so the defaults are conservative: keeping data too long can be
// corrected, deleting it too early cannot. An organisation sets its own periods from its records
// management policy (the NHS Records Management Code of Practice retention schedule).
import { DateTime } from 'luxon';
import { z } from 'zod';

const months = (what: string) =>
  z
    .number({ error: `${what} must be a whole number of months` })
    .int(`${what} must be a whole number of months`)
    .min(12, `${what} must be at least 12 months: a shorter period would delete supervision data within a year`)
    .max(1200, `${what} must be at most 1200 months (100 years)`);

/**
 * How long each kind of data is kept, in calendar months:
 * - requests: from the day the request was closed;
 * - records: from the day the record was signed by everyone (completed); a session and its
 *   agreements and attendance go with its last record;
 * - audit events: from the event, and never while its subject (request, session, record, action
 *   point) is still held, so a record's read trail lasts as long as the record.
 */
export const retentionSchema = z
  .object({
    /** 6 years after closing (the general limitation period for a claim). */
    requestsMonths: months('retention.requestsMonths').default(72),
    /** 8 years after signing: longer than the request that led to the record. */
    recordsMonths: months('retention.recordsMonths').default(96),
    /** As long as the records whose reads they show, so every record's trail outlives it. */
    auditEventsMonths: months('retention.auditEventsMonths').default(96),
  })
  .strict()
  .refine((r) => r.auditEventsMonths >= r.recordsMonths, {
    message: 'retention.auditEventsMonths must be at least retention.recordsMonths: a record\'s audit trail must be kept as long as the record',
    path: ['auditEventsMonths'],
  });
export type RetentionSettings = z.infer<typeof retentionSchema>;

/** The retention periods of an organisation, with the default for anything not set. */
export function resolveRetention(settings: { retention?: Partial<RetentionSettings> | undefined } | undefined): RetentionSettings {
  return retentionSchema.parse(settings?.retention ?? {});
}

/** Anything that happened before these instants is past its retention period. */
export interface RetentionCutoffs {
  now: Date;
  requestsClosedBefore: Date;
  recordsCompletedBefore: Date;
  auditEventsBefore: Date;
}

export function retentionCutoffs(now: Date, settings: RetentionSettings): RetentionCutoffs {
  const back = (m: number) => DateTime.fromJSDate(now, { zone: 'utc' }).minus({ months: m }).toJSDate();
  return {
    now,
    requestsClosedBefore: back(settings.requestsMonths),
    recordsCompletedBefore: back(settings.recordsMonths),
    auditEventsBefore: back(settings.auditEventsMonths),
  };
}

export interface RecordFacts {
  status: 'DRAFT' | 'AWAITING_SIGNATURES' | 'SIGNED';
  /** When the last party signed. */
  completedAt: Date | null;
  /** Action points not yet done: the record is still being acted on. */
  openActionPoints: number;
}

/** A record goes once signed by everyone, its period since signing has passed and none of its action points is open. */
export function isRecordExpired(record: RecordFacts, cutoffs: RetentionCutoffs): boolean {
  return record.status === 'SIGNED' && record.completedAt !== null && record.completedAt < cutoffs.recordsCompletedBefore && record.openActionPoints === 0;
}

export interface SessionFacts {
  status: 'PROPOSED' | 'CONFIRMED' | 'AWAITING_RECORD' | 'DECLINED' | 'CANCELLED' | 'COMPLETED';
  startsAt: Date | null;
  endsAt: Date | null;
  cancelledAt: Date | null;
  createdAt: Date;
  /** Records of the session still held (not expired). */
  records: number;
  /** Agreements of the session still in force (signed, review date not yet reached). */
  agreementsInForce: number;
}

/** When a session stopped being live: it ended, was cancelled, or (declined) was proposed. */
function sessionFinishedAt(session: SessionFacts): Date | null {
  switch (session.status) {
    case 'PROPOSED':
      return null;
    case 'CONFIRMED':
      return session.endsAt;
    case 'CANCELLED':
      return session.cancelledAt ?? session.endsAt ?? session.createdAt;
    case 'DECLINED':
      return session.createdAt;
    case 'AWAITING_RECORD':
    case 'COMPLETED':
      return session.endsAt ?? session.createdAt;
  }
}

/**
 * A session (with its slots, attendance, events and agreements) is kept as long as its records:
 * it goes once finished longer ago than the records period, with no record left and no
 * agreement still in force. A proposed session is still open and never goes.
 */
export function isSessionExpired(session: SessionFacts, cutoffs: RetentionCutoffs): boolean {
  const finished = sessionFinishedAt(session);
  if (!finished || finished >= cutoffs.recordsCompletedBefore) return false;
  if (session.status === 'CONFIRMED' && session.endsAt && session.endsAt > cutoffs.now) return false;
  return session.records === 0 && session.agreementsInForce === 0;
}

export interface RequestFacts {
  status: 'OPEN' | 'CLAIMED' | 'ADVICE_GIVEN' | 'SESSION_REQUESTED' | 'BOOKED' | 'CLOSED';
  closedAt: Date | null;
  /** Records (advice records) still held that name the request. */
  records: number;
  /** Sessions still held that were booked for the request. */
  sessions: number;
}

/** A request goes once closed longer ago than its period, when nothing still held refers to it. */
export function isRequestExpired(request: RequestFacts, cutoffs: RetentionCutoffs): boolean {
  return (
    request.status === 'CLOSED' &&
    request.closedAt !== null &&
    request.closedAt < cutoffs.requestsClosedBefore &&
    request.records === 0 &&
    request.sessions === 0
  );
}

export interface AuditEventFacts {
  at: Date;
  /** The event is about a request, session, record or action point that is still held. */
  subjectHeld: boolean;
}

export function isAuditEventExpired(event: AuditEventFacts, cutoffs: RetentionCutoffs): boolean {
  return event.at < cutoffs.auditEventsBefore && !event.subjectHeld;
}

/** Audit subject types whose events are kept while the subject itself is held. */
export const HELD_AUDIT_SUBJECTS = ['request', 'session', 'record', 'action-point'] as const;
export type HeldAuditSubject = (typeof HELD_AUDIT_SUBJECTS)[number];

/** What one purge removed, per kind (counts only: the purge's own audit entry). */
export interface PurgeCounts {
  requests: number;
  records: number;
  actionPoints: number;
  sessions: number;
  agreements: number;
  reminders: number;
  postedCards: number;
  auditEvents: number;
}

export const emptyPurgeCounts = (): PurgeCounts => ({
  requests: 0,
  records: 0,
  actionPoints: 0,
  sessions: 0,
  agreements: 0,
  reminders: 0,
  postedCards: 0,
  auditEvents: 0,
});
