import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { orgSettingsSchema } from '../../src/domain/org-settings.js';
import {
  isAuditEventExpired,
  isRecordExpired,
  isRequestExpired,
  isSessionExpired,
  resolveRetention,
  retentionCutoffs,
  type SessionFacts,
} from '../../src/domain/retention.js';

const NOW = new Date('2035-06-15T12:00:00Z');
const cutoffs = retentionCutoffs(NOW, resolveRetention({}));
const at = (iso: string) => new Date(iso);

function messagesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ZodError) return error.issues.map((i) => i.message);
    throw error;
  }
  throw new Error('expected a ZodError');
}

describe('retention settings', () => {
  it('defaults to 6 years for requests and 8 years for records and audit events', () => {
    expect(resolveRetention({})).toEqual({ requestsMonths: 72, recordsMonths: 96, auditEventsMonths: 96 });
    expect(orgSettingsSchema.parse({ retention: {} }).retention).toEqual({ requestsMonths: 72, recordsMonths: 96, auditEventsMonths: 96 });
  });

  it('stores nothing when an organisation sets no retention', () => {
    expect(orgSettingsSchema.parse({}).retention).toBeUndefined();
  });

  it('keeps the periods given and defaults the rest', () => {
    expect(resolveRetention({ retention: { requestsMonths: 24 } })).toEqual({ requestsMonths: 24, recordsMonths: 96, auditEventsMonths: 96 });
  });

  it('counts back in calendar months from now', () => {
    expect(cutoffs.requestsClosedBefore.toISOString()).toBe('2029-06-15T12:00:00.000Z');
    expect(cutoffs.recordsCompletedBefore.toISOString()).toBe('2027-06-15T12:00:00.000Z');
    expect(cutoffs.auditEventsBefore.toISOString()).toBe('2027-06-15T12:00:00.000Z');
  });

  it.each([
    [{ requestsMonths: 0 }, 'retention.requestsMonths must be at least 12 months: a shorter period would delete supervision data within a year'],
    [{ recordsMonths: 6, auditEventsMonths: 96 }, 'retention.recordsMonths must be at least 12 months: a shorter period would delete supervision data within a year'],
    [{ requestsMonths: 18.5 }, 'retention.requestsMonths must be a whole number of months'],
    [{ requestsMonths: '72' }, 'retention.requestsMonths must be a whole number of months'],
    [{ auditEventsMonths: 5000 }, 'retention.auditEventsMonths must be at most 1200 months (100 years)'],
    [{ recordsMonths: 120 }, "retention.auditEventsMonths must be at least retention.recordsMonths: a record's audit trail must be kept as long as the record"],
  ])('rejects %j with a clear message', (retention, message) => {
    expect(messagesOf(() => orgSettingsSchema.parse({ retention }))).toContain(message);
  });

  it('rejects unknown retention fields', () => {
    const issues = (() => {
      try {
        orgSettingsSchema.parse({ retention: { forever: true } });
      } catch (error) {
        return (error as ZodError).issues;
      }
      return [];
    })();
    expect(issues[0]?.code).toBe('unrecognized_keys');
    expect(issues[0]?.path).toEqual(['retention']);
  });
});

describe('records', () => {
  const signed = { status: 'SIGNED' as const, completedAt: at('2027-01-01T00:00:00Z'), openActionPoints: 0 };

  it('expire once signed longer ago than the period, with every action point done', () => {
    expect(isRecordExpired(signed, cutoffs)).toBe(true);
  });

  it('are kept within the period', () => {
    expect(isRecordExpired({ ...signed, completedAt: at('2027-07-01T00:00:00Z') }, cutoffs)).toBe(false);
  });

  it('are kept while an action point is open', () => {
    expect(isRecordExpired({ ...signed, openActionPoints: 1 }, cutoffs)).toBe(false);
  });

  it('are never purged before everyone has signed', () => {
    expect(isRecordExpired({ ...signed, status: 'AWAITING_SIGNATURES' }, cutoffs)).toBe(false);
    expect(isRecordExpired({ status: 'DRAFT', completedAt: null, openActionPoints: 0 }, cutoffs)).toBe(false);
  });
});

describe('sessions', () => {
  const old = at('2026-03-02T10:00:00Z');
  const done: SessionFacts = { status: 'COMPLETED', startsAt: old, endsAt: old, cancelledAt: null, createdAt: old, records: 0, agreementsInForce: 0 };

  it('expire with their last record, once finished longer ago than the records period', () => {
    expect(isSessionExpired(done, cutoffs)).toBe(true);
    expect(isSessionExpired({ ...done, status: 'CANCELLED', cancelledAt: old }, cutoffs)).toBe(true);
    expect(isSessionExpired({ ...done, status: 'DECLINED' }, cutoffs)).toBe(true);
  });

  it('are kept while a record or an agreement in force refers to them', () => {
    expect(isSessionExpired({ ...done, records: 1 }, cutoffs)).toBe(false);
    expect(isSessionExpired({ ...done, agreementsInForce: 1 }, cutoffs)).toBe(false);
  });

  it('are never purged while proposed, or confirmed and still to come', () => {
    expect(isSessionExpired({ ...done, status: 'PROPOSED', endsAt: null, startsAt: null }, cutoffs)).toBe(false);
    expect(isSessionExpired({ ...done, status: 'CONFIRMED', endsAt: at('2036-01-01T00:00:00Z') }, cutoffs)).toBe(false);
  });

  it('are kept within the period', () => {
    const recent = at('2030-01-01T00:00:00Z');
    expect(isSessionExpired({ ...done, endsAt: recent, createdAt: recent }, cutoffs)).toBe(false);
  });
});

describe('requests', () => {
  const closed = { status: 'CLOSED' as const, closedAt: at('2029-01-01T00:00:00Z'), records: 0, sessions: 0 };

  it('expire once closed longer ago than the period with nothing held that refers to them', () => {
    expect(isRequestExpired(closed, cutoffs)).toBe(true);
  });

  it('are never purged while open, however old', () => {
    for (const status of ['OPEN', 'CLAIMED', 'ADVICE_GIVEN', 'SESSION_REQUESTED', 'BOOKED'] as const) {
      expect(isRequestExpired({ ...closed, status, closedAt: null }, cutoffs)).toBe(false);
    }
  });

  it('are kept while a record or session refers to them, or within the period', () => {
    expect(isRequestExpired({ ...closed, records: 1 }, cutoffs)).toBe(false);
    expect(isRequestExpired({ ...closed, sessions: 1 }, cutoffs)).toBe(false);
    expect(isRequestExpired({ ...closed, closedAt: at('2029-07-01T00:00:00Z') }, cutoffs)).toBe(false);
  });
});

describe('audit events', () => {
  it('expire after their period unless their subject is still held', () => {
    expect(isAuditEventExpired({ at: at('2027-01-01T00:00:00Z'), subjectHeld: false }, cutoffs)).toBe(true);
    expect(isAuditEventExpired({ at: at('2027-01-01T00:00:00Z'), subjectHeld: true }, cutoffs)).toBe(false);
    expect(isAuditEventExpired({ at: at('2028-01-01T00:00:00Z'), subjectHeld: false }, cutoffs)).toBe(false);
  });
});
