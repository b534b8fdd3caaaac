// The retention purge: removes what each organisation's retention periods call expired
// (src/domain/retention.ts), in batches, each batch one transaction that re-reads its facts
// before deleting, and audits itself with counts per kind (never content).
//
// Order matters because of the foreign keys: records first (their subjects, signatures,
// amendments and action points cascade), then sessions left with no record (slots,
// attendance and events cascade; agreements are deleted explicitly, their parties and
// signatures cascade), then requests left with no record or session (an unfinished request
// draft pointing at one is detached by its SET NULL key), then audit events. Reminders and
// posted cards name their subject without a foreign key, so they are deleted with it.
// Remembered inbound delivery ids (retry de-duplication, no personal data) go after a week.
import type { Db } from './client.js';
import type { Prisma } from './generated/client.js';
import { orgSettingsSchema } from '../domain/org-settings.js';
import {
  HELD_AUDIT_SUBJECTS,
  emptyPurgeCounts,
  isAuditEventExpired,
  isRecordExpired,
  isRequestExpired,
  isSessionExpired,
  resolveRetention,
  retentionCutoffs,
  type HeldAuditSubject,
  type PurgeCounts,
  type RetentionCutoffs,
  type RetentionSettings,
} from '../domain/retention.js';

type Tx = Prisma.TransactionClient;

/** Advisory lock key of the purge (any constant shared by every process of the bot). */
export const RETENTION_LOCK_KEY = 0x5c5_7e7a;

/** Rows read and deleted per transaction. */
export const DEFAULT_PURGE_BATCH = 500;

export interface PurgeOptions {
  now: Date;
  batchSize?: number;
}

export interface OrganisationPurge {
  organisationId: string;
  counts: PurgeCounts;
  /** Why nothing was purged (invalid retention settings), in the validator's words. */
  skipped?: string;
}

const BATCH_TX = { timeout: 60_000, maxWait: 10_000 } as const;

/** Delete the reminders and posted cards that name these subjects (no foreign key does it). */
async function deleteDependents(
  tx: Tx,
  counts: PurgeCounts,
  reminders: Array<{ subjectType: string; ids: string[] }>,
  cards: Array<{ subjectType: string; ids: string[] }>,
): Promise<void> {
  for (const { subjectType, ids } of reminders) {
    if (ids.length === 0) continue;
    counts.reminders += (await tx.reminder.deleteMany({ where: { subjectType, subjectId: { in: ids } } })).count;
  }
  for (const { subjectType, ids } of cards) {
    if (ids.length === 0) continue;
    counts.postedCards += (await tx.postedCard.deleteMany({ where: { subjectType, subjectId: { in: ids } } })).count;
  }
}

/**
 * Walk candidate rows in id order, one batch per transaction: `batch` reads a page after the
 * last id seen and deletes what has expired in it, returning the page's last id (or null at
 * the end). Kept rows are skipped by the id cursor, so the walk always ends.
 */
async function walk<Id>(db: Db, batch: (tx: Tx, after: Id | undefined) => Promise<Id | null>): Promise<void> {
  let after: Id | undefined;
  for (;;) {
    const last = await db.$transaction((tx) => batch(tx, after), BATCH_TX);
    if (last === null) return;
    after = last;
  }
}

async function purgeRecords(db: Db, organisationId: string, cutoffs: RetentionCutoffs, take: number, counts: PurgeCounts) {
  await walk<string>(db, async (tx, after) => {
    const page = await tx.supervisionRecord.findMany({
      where: { organisationId, status: 'SIGNED', completedAt: { lt: cutoffs.recordsCompletedBefore }, ...(after ? { id: { gt: after } } : {}) },
      select: { id: true, status: true, completedAt: true, actionPoints: { select: { id: true, status: true } } },
      orderBy: { id: 'asc' },
      take,
    });
    const expired = page.filter((r) =>
      isRecordExpired({ status: r.status, completedAt: r.completedAt, openActionPoints: r.actionPoints.filter((p) => p.status === 'OPEN').length }, cutoffs),
    );
    if (expired.length > 0) {
      const ids = expired.map((r) => r.id);
      const pointIds = expired.flatMap((r) => r.actionPoints.map((p) => p.id));
      await deleteDependents(
        tx,
        counts,
        [
          { subjectType: 'SupervisionRecord', ids },
          { subjectType: 'ActionPoint', ids: pointIds },
        ],
        [
          { subjectType: 'record', ids },
          { subjectType: 'action-point', ids: pointIds },
        ],
      );
      counts.records += (await tx.supervisionRecord.deleteMany({ where: { id: { in: ids } } })).count;
      counts.actionPoints += pointIds.length;
    }
    return page.length < take ? null : page[page.length - 1]!.id;
  });
}

async function purgeSessions(db: Db, organisationId: string, cutoffs: RetentionCutoffs, take: number, counts: PurgeCounts) {
  const before = cutoffs.recordsCompletedBefore;
  await walk<string>(db, async (tx, after) => {
    const page = await tx.session.findMany({
      where: {
        organisationId,
        status: { not: 'PROPOSED' },
        // Whichever instant ends the session must be one of these (isSessionExpired decides).
        OR: [{ endsAt: { lt: before } }, { cancelledAt: { lt: before } }, { createdAt: { lt: before } }],
        ...(after ? { id: { gt: after } } : {}),
      },
      select: {
        id: true,
        status: true,
        startsAt: true,
        endsAt: true,
        cancelledAt: true,
        createdAt: true,
        _count: { select: { records: true } },
        agreements: { select: { id: true, status: true, reviewDue: true } },
      },
      orderBy: { id: 'asc' },
      take,
    });
    const expired = page.filter((s) =>
      isSessionExpired(
        {
          ...s,
          records: s._count.records,
          agreementsInForce: s.agreements.filter((a) => a.status === 'SIGNED' && a.reviewDue !== null && a.reviewDue > cutoffs.now).length,
        },
        cutoffs,
      ),
    );
    if (expired.length > 0) {
      const ids = expired.map((s) => s.id);
      const agreementIds = expired.flatMap((s) => s.agreements.map((a) => a.id));
      await deleteDependents(
        tx,
        counts,
        [
          { subjectType: 'Session', ids },
          { subjectType: 'Agreement', ids: agreementIds },
        ],
        [
          { subjectType: 'session', ids },
          { subjectType: 'agreement', ids: agreementIds },
        ],
      );
      // Non-attendance reminders name `${sessionId}:${personId}`.
      for (const id of ids) {
        counts.reminders += (await tx.reminder.deleteMany({ where: { subjectType: 'SessionAttendee', subjectId: { startsWith: `${id}:` } } })).count;
      }
      counts.agreements += (await tx.agreement.deleteMany({ where: { id: { in: agreementIds } } })).count;
      counts.sessions += (await tx.session.deleteMany({ where: { id: { in: ids } } })).count;
    }
    return page.length < take ? null : page[page.length - 1]!.id;
  });
}

async function purgeRequests(db: Db, organisationId: string, cutoffs: RetentionCutoffs, take: number, counts: PurgeCounts) {
  await walk<string>(db, async (tx, after) => {
    const page = await tx.supervisionRequest.findMany({
      where: { organisationId, status: 'CLOSED', closedAt: { lt: cutoffs.requestsClosedBefore }, ...(after ? { id: { gt: after } } : {}) },
      select: { id: true, status: true, closedAt: true, _count: { select: { records: true, sessions: true } } },
      orderBy: { id: 'asc' },
      take,
    });
    const expired = page.filter((r) => isRequestExpired({ status: r.status, closedAt: r.closedAt, records: r._count.records, sessions: r._count.sessions }, cutoffs));
    if (expired.length > 0) {
      const ids = expired.map((r) => r.id);
      await deleteDependents(tx, counts, [{ subjectType: 'SupervisionRequest', ids }], [{ subjectType: 'request', ids }]);
      // Copies of a request's details sent to people (message-delivery.ts: replaceable messages).
      counts.postedCards += (
        await tx.postedCard.deleteMany({ where: { subjectType: 'replaceable', OR: ids.map((id) => ({ subjectId: { startsWith: `request:${id}:` } })) } })
      ).count;
      counts.requests += (await tx.supervisionRequest.deleteMany({ where: { id: { in: ids } } })).count;
    }
    return page.length < take ? null : page[page.length - 1]!.id;
  });
}

/** Which of these audit subjects are still held, per subject type. */
async function heldSubjects(tx: Tx, events: Array<{ subjectType: string; subjectId: string }>): Promise<Set<string>> {
  const idsOf = (type: HeldAuditSubject) => [...new Set(events.filter((e) => e.subjectType === type).map((e) => e.subjectId))];
  const lookups: Record<HeldAuditSubject, (ids: string[]) => Promise<Array<{ id: string }>>> = {
    request: (ids) => tx.supervisionRequest.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    session: (ids) => tx.session.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    record: (ids) => tx.supervisionRecord.findMany({ where: { id: { in: ids } }, select: { id: true } }),
    'action-point': (ids) => tx.actionPoint.findMany({ where: { id: { in: ids } }, select: { id: true } }),
  };
  const held = new Set<string>();
  for (const type of HELD_AUDIT_SUBJECTS) {
    const ids = idsOf(type);
    if (ids.length === 0) continue;
    for (const row of await lookups[type](ids)) held.add(`${type}:${row.id}`);
  }
  return held;
}

async function purgeAuditEvents(db: Db, organisationId: string, cutoffs: RetentionCutoffs, take: number, counts: PurgeCounts) {
  await walk<bigint>(db, async (tx, after) => {
    const page = await tx.auditEvent.findMany({
      where: { organisationId, at: { lt: cutoffs.auditEventsBefore }, ...(after !== undefined ? { id: { gt: after } } : {}) },
      select: { id: true, at: true, subjectType: true, subjectId: true },
      orderBy: { id: 'asc' },
      take,
    });
    const held = await heldSubjects(tx, page);
    const expired = page.filter((e) => isAuditEventExpired({ at: e.at, subjectHeld: held.has(`${e.subjectType}:${e.subjectId}`) }, cutoffs));
    if (expired.length > 0) {
      counts.auditEvents += (await tx.auditEvent.deleteMany({ where: { id: { in: expired.map((e) => e.id) } } })).count;
    }
    return page.length < take ? null : page[page.length - 1]!.id;
  });
}

/**
 * Purge one organisation, then audit the purge as `retention.purge` (counts per kind and the
 * periods used; complete: false if it stopped part way). The audit entry is written after
 * every deletion, stamped with the purge's own "now", so no purge removes its own entry.
 */
export async function purgeOrganisation(db: Db, organisationId: string, retention: RetentionSettings, options: PurgeOptions): Promise<PurgeCounts> {
  const cutoffs = retentionCutoffs(options.now, retention);
  const take = options.batchSize ?? DEFAULT_PURGE_BATCH;
  const counts = emptyPurgeCounts();
  let complete = false;
  try {
    await purgeRecords(db, organisationId, cutoffs, take, counts);
    await purgeSessions(db, organisationId, cutoffs, take, counts);
    await purgeRequests(db, organisationId, cutoffs, take, counts);
    await purgeAuditEvents(db, organisationId, cutoffs, take, counts);
    complete = true;
  } finally {
    // After a failure the purge's own error is the one to report, not a failed audit write.
    await db.auditEvent
      .create({
      data: {
        organisationId,
        actorId: null,
        action: 'retention.purge',
        subjectType: 'organisation',
        subjectId: organisationId,
        at: options.now,
        detail: { ...counts, complete, ...retention },
      },
    })
      .catch((error: unknown) => {
        if (complete) throw error;
      });
  }
  return counts;
}

/** Purge every organisation; one whose retention settings are invalid is skipped and reported. */
export async function purgeExpired(db: Db, options: PurgeOptions): Promise<OrganisationPurge[]> {
  const organisations = await db.organisation.findMany({ select: { id: true, settings: true }, orderBy: { id: 'asc' } });
  const results: OrganisationPurge[] = [];
  for (const organisation of organisations) {
    const parsed = orgSettingsSchema.safeParse(organisation.settings ?? {});
    if (!parsed.success) {
      results.push({ organisationId: organisation.id, counts: emptyPurgeCounts(), skipped: parsed.error.issues.map((i) => i.message).join('; ') });
      continue;
    }
    results.push({ organisationId: organisation.id, counts: await purgeOrganisation(db, organisation.id, resolveRetention(parsed.data), options) });
  }
  return results;
}

/**
 * Inbound deliveries remembered to drop platform retries (Slack retries within the hour) hold
 * no personal data and are needed for days at most; older ones are removed with the purge.
 */
export const PROCESSED_DELIVERY_DAYS = 7;

async function purgeProcessedDeliveries(db: Db, now: Date): Promise<number> {
  const before = new Date(now.getTime() - PROCESSED_DELIVERY_DAYS * 24 * 3600_000);
  return (await db.processedDelivery.deleteMany({ where: { at: { lt: before } } })).count;
}

/**
 * A request someone started and never finished: the draft holds what they had typed (perhaps a
 * summary) and nothing needs it after this long. The next message starts afresh.
 */
export const ABANDONED_DRAFT_DAYS = 30;

async function purgeAbandonedDrafts(db: Db, now: Date): Promise<number> {
  const before = new Date(now.getTime() - ABANDONED_DRAFT_DAYS * 24 * 3600_000);
  return (await db.requestDraft.deleteMany({ where: { updatedAt: { lt: before } } })).count;
}

/**
 * Outbound messages hold what was said (advice, a request's details): once delivered, or given
 * up as undeliverable and seen by the administrators, the row is not needed for long. The record
 * itself (request, advice record) keeps its own retention.
 */
export const DELIVERED_MESSAGE_DAYS = 7;
export const FAILED_MESSAGE_DAYS = 30;

async function purgeOutboundMessages(db: Db, now: Date): Promise<number> {
  const day = 24 * 3600_000;
  const { count } = await db.outboundMessage.deleteMany({
    where: {
      OR: [
        { status: { in: ['SENT', 'CANCELLED'] }, createdAt: { lt: new Date(now.getTime() - DELIVERED_MESSAGE_DAYS * day) } },
        { status: 'FAILED', createdAt: { lt: new Date(now.getTime() - FAILED_MESSAGE_DAYS * day) } },
      ],
    },
  });
  return count;
}

export type LockedPurge =
  | { purged: false }
  | { purged: true; organisations: OrganisationPurge[]; processedDeliveries: number; abandonedDrafts: number; outboundMessages: number };

/**
 * One purge across every process: a transaction holds a PostgreSQL transaction-level advisory
 * lock (pg_try_advisory_xact_lock) while the batches run on other connections; a process that
 * cannot take it does nothing. The lock ends with that transaction, also if the process dies.
 */
export async function purgeExpiredOnce(db: Db, options: PurgeOptions): Promise<LockedPurge> {
  let organisations: OrganisationPurge[] | undefined;
  let processedDeliveries = 0;
  let abandonedDrafts = 0;
  let outboundMessages = 0;
  await db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ locked: boolean }>>`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK_KEY}::bigint) AS locked`;
      if (!row?.locked) return;
      organisations = await purgeExpired(db, options);
      processedDeliveries = await purgeProcessedDeliveries(db, options.now);
      abandonedDrafts = await purgeAbandonedDrafts(db, options.now);
      outboundMessages = await purgeOutboundMessages(db, options.now);
    },
    { timeout: 6 * 60 * 60_000, maxWait: 10_000 },
  );
  return organisations ? { purged: true, organisations, processedDeliveries, abandonedDrafts, outboundMessages } : { purged: false };
}
