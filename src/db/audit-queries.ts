import type { Db } from './client.js';
import type { Prisma } from './generated/client.js';
import type { AuditRow } from '../domain/audit-rows.js';

/** One thing audit events are about: `subjectType` and `subjectId` as recordAudit wrote them. */
export interface AuditSubject {
  subjectType: string;
  subjectId: string;
}

/**
 * Which audit events a query covers: always one organisation; optionally only events about
 * `subjects` or (for a person's trail) done by `actorId`; optionally only those in [start, end).
 */
export interface AuditSelection {
  organisationId: string;
  subjects?: AuditSubject[];
  actorId?: string;
  start?: Date;
  end?: Date;
}

/** Large `IN` lists are split so a query never carries an unbounded parameter list. */
const CHUNK = 5_000;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function groupSubjects(subjects: AuditSubject[]): Map<string, string[]> {
  const byType = new Map<string, Set<string>>();
  for (const s of subjects) {
    if (!byType.has(s.subjectType)) byType.set(s.subjectType, new Set());
    byType.get(s.subjectType)!.add(s.subjectId);
  }
  return new Map([...byType].map(([type, ids]) => [type, [...ids]]));
}

function whereOf(selection: AuditSelection): Prisma.AuditEventWhereInput {
  const where: Prisma.AuditEventWhereInput = { organisationId: selection.organisationId };
  if (selection.start || selection.end) {
    where.at = { ...(selection.start ? { gte: selection.start } : {}), ...(selection.end ? { lt: selection.end } : {}) };
  }
  if (selection.subjects || selection.actorId) {
    const or: Prisma.AuditEventWhereInput[] = [];
    if (selection.actorId) or.push({ actorId: selection.actorId });
    for (const [subjectType, ids] of groupSubjects(selection.subjects ?? [])) {
      for (const part of chunks(ids)) or.push({ subjectType, subjectId: { in: part } });
    }
    // No subjects and no actor: nothing matches (an empty OR would match everything in Prisma).
    where.OR = or.length > 0 ? or : [{ id: -1n }];
  }
  return where;
}

export function countAuditEvents(db: Db, selection: AuditSelection): Promise<number> {
  return db.auditEvent.count({ where: whereOf(selection) });
}

/**
 * Audit events as rows for the Head: actor, action, subject (with a label that carries no
 * content: a reference or a name) and platform; never the event's detail.
 */
export async function listAuditEvents(
  db: Db,
  selection: AuditSelection,
  options: { order: 'asc' | 'desc'; take?: number },
): Promise<AuditRow[]> {
  const events = await db.auditEvent.findMany({
    where: whereOf(selection),
    select: {
      id: true,
      at: true,
      actorId: true,
      action: true,
      subjectType: true,
      subjectId: true,
      platform: true,
      actor: { select: { name: true, email: true } },
    },
    orderBy: [{ at: options.order }, { id: options.order }],
    ...(options.take !== undefined ? { take: options.take } : {}),
  });
  const labels = await subjectLabels(db, selection.organisationId, events);
  const about = selection.actorId ? new Set((selection.subjects ?? []).map((s) => `${s.subjectType}:${s.subjectId}`)) : undefined;
  return events.map((e) => {
    const key = `${e.subjectType}:${e.subjectId}`;
    const row: AuditRow = {
      id: e.id.toString(),
      at: e.at,
      actorName: e.actor?.name ?? null,
      actorEmail: e.actor?.email ?? null,
      action: e.action,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      subjectLabel: labels.get(key) ?? '',
      platform: e.platform,
    };
    if (about) {
      const by = e.actorId === selection.actorId;
      const isAbout = about.has(key);
      row.relation = by && isAbout ? 'both' : by ? 'by' : 'about';
    }
    return row;
  });
}

/** Labels for the subjects of some events: request references, people's names, the organisation's name. */
async function subjectLabels(db: Db, organisationId: string, events: AuditSubject[]): Promise<Map<string, string>> {
  const ids = groupSubjects(events);
  const labels = new Map<string, string>();
  const each = async <T>(type: string, load: (ids: string[]) => Promise<T[]>, label: (row: T) => [string, string | undefined]) => {
    for (const part of chunks(ids.get(type) ?? [])) {
      for (const row of await load(part)) {
        const [id, text] = label(row);
        if (text) labels.set(`${type}:${id}`, text);
      }
    }
  };
  const refOf = (r: { request: { reference: string } | null; session?: { request: { reference: string } | null } | null }) =>
    r.request?.reference ?? r.session?.request?.reference;
  const requestRef = { select: { reference: true } } as const;
  await each(
    'request',
    (part) => db.supervisionRequest.findMany({ where: { organisationId, id: { in: part } }, select: { id: true, reference: true } }),
    (r) => [r.id, r.reference],
  );
  await each(
    'person',
    (part) => db.person.findMany({ where: { organisationId, id: { in: part } }, select: { id: true, name: true } }),
    (p) => [p.id, p.name],
  );
  await each(
    'session',
    (part) => db.session.findMany({ where: { organisationId, id: { in: part } }, select: { id: true, request: requestRef } }),
    (s) => [s.id, s.request?.reference],
  );
  await each(
    'record',
    (part) =>
      db.supervisionRecord.findMany({
        where: { organisationId, id: { in: part } },
        select: { id: true, request: requestRef, session: { select: { request: requestRef } } },
      }),
    (r) => [r.id, refOf(r)],
  );
  await each(
    'action-point',
    (part) =>
      db.actionPoint.findMany({
        where: { id: { in: part }, record: { organisationId } },
        select: { id: true, record: { select: { request: requestRef, session: { select: { request: requestRef } } } } },
      }),
    (p) => [p.id, refOf(p.record)],
  );
  await each(
    'agreement',
    (part) =>
      db.agreement.findMany({
        where: { id: { in: part }, supervisor: { organisationId } },
        select: { id: true, session: { select: { request: requestRef } } },
      }),
    (a) => [a.id, a.session?.request?.reference],
  );
  await each(
    'organisation',
    (part) => db.organisation.findMany({ where: { id: { in: part.filter((id) => id === organisationId) } }, select: { id: true, name: true } }),
    (o) => [o.id, o.name],
  );
  return labels;
}

/** A request by reference in the organisation, with everything its trail covers. */
export async function requestTrailSubjects(
  db: Db,
  organisationId: string,
  reference: string,
): Promise<{ request: { id: string; reference: string }; subjects: AuditSubject[] } | null> {
  const request = await db.supervisionRequest.findFirst({ where: { organisationId, reference }, select: { id: true, reference: true } });
  if (!request) return null;
  const sessions = await db.session.findMany({ where: { requestId: request.id }, select: { id: true } });
  const records = await db.supervisionRecord.findMany({
    where: { OR: [{ requestId: request.id }, { sessionId: { in: sessions.map((s) => s.id) } }] },
    select: { id: true, actionPoints: { select: { id: true } } },
  });
  return {
    request,
    subjects: [
      { subjectType: 'request', subjectId: request.id },
      ...sessions.map((s) => ({ subjectType: 'session', subjectId: s.id })),
      ...recordTrailSubjects(records),
    ],
  };
}

/** Records and their action points as audit subjects. */
export function recordTrailSubjects(records: { id: string; actionPoints: { id: string }[] }[]): AuditSubject[] {
  return [
    ...records.map((r) => ({ subjectType: 'record', subjectId: r.id })),
    ...records.flatMap((r) => r.actionPoints.map((p) => ({ subjectType: 'action-point', subjectId: p.id }))),
  ];
}

/**
 * Everything that is about a person: the person themself (someone read their history), their
 * requests, the sessions they attended or that came from their requests, the records they are
 * the supervisee of with those records' action points, action points they own, and the
 * agreements they are a party to.
 */
export async function personTrailSubjects(db: Db, organisationId: string, personId: string): Promise<AuditSubject[]> {
  const [requests, attended, records, owned, agreements] = await Promise.all([
    db.supervisionRequest.findMany({ where: { organisationId, requesterId: personId }, select: { id: true, sessions: { select: { id: true } } } }),
    db.sessionAttendee.findMany({ where: { personId, session: { organisationId } }, select: { sessionId: true } }),
    db.supervisionRecord.findMany({
      where: { organisationId, subjects: { some: { personId } } },
      select: { id: true, actionPoints: { select: { id: true } } },
    }),
    db.actionPoint.findMany({ where: { ownerId: personId, record: { organisationId } }, select: { id: true } }),
    db.agreementParty.findMany({ where: { personId }, select: { agreementId: true } }),
  ]);
  return [
    { subjectType: 'person', subjectId: personId },
    ...requests.map((r) => ({ subjectType: 'request', subjectId: r.id })),
    ...requests.flatMap((r) => r.sessions.map((s) => ({ subjectType: 'session', subjectId: s.id }))),
    ...attended.map((a) => ({ subjectType: 'session', subjectId: a.sessionId })),
    ...recordTrailSubjects(records),
    ...owned.map((p) => ({ subjectType: 'action-point', subjectId: p.id })),
    ...agreements.map((a) => ({ subjectType: 'agreement', subjectId: a.agreementId })),
  ];
}
