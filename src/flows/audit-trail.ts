import { DateTime } from 'luxon';
import { DomainError } from '../domain/errors.js';
import { recordAudit } from '../db/audit.js';
import { Prisma } from '../db/generated/client.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadRecord } from './record-cards.js';
import type { Actor, FlowDeps, TurnResult } from './types.js';


/** The Head of Safeguarding's audit trail. */
export const AUDIT_COMMAND = /^audit\s+(sgs-\d{4}-\d{4,})$/i;

function assertHead(actor: Actor): void {
  if (!actor.roles.includes('HEAD_OF_SAFEGUARDING')) {
    throw new DomainError('NOT_PERMITTED', 'Only the Head of Safeguarding can see the audit trail.');
  }
}

/**
 * The audit trail card for a set of subjects (who did and read what, and when; never
 * content), auditing the reading itself as `audit.read` of `readSubject`.
 */
async function auditTrailTurn(
  deps: FlowDeps,
  actor: Actor,
  heading: string,
  subjects: Prisma.AuditEventWhereInput[],
  readSubject: { subjectType: string; subjectId: string },
): Promise<TurnResult> {
  const events = await deps.db.auditEvent.findMany({
    where: { organisationId: actor.organisationId, OR: subjects },
    include: { actor: { select: { name: true } } },
    orderBy: [{ at: 'asc' }, { id: 'asc' }],
  });
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  await recordAudit(deps.db, {
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'audit.read',
    ...readSubject,
    platform: actor.platform,
    detail: { events: events.length },
  });
  return {
    replies: [
      {
        card: {
          template: 'audit-trail',
          data: {
            heading,
            count: events.length,
            events: events.map((e) => ({
              at: DateTime.fromJSDate(e.at, { zone }).setLocale('en-GB').toFormat('d LLL yyyy HH:mm'),
              line: `${e.actor?.name ?? 'the bot'}: ${e.action} (${e.subjectType}${e.platform ? `, ${e.platform === 'TEAMS' ? 'Teams' : 'Slack'}` : ''})`,
            })),
          },
        },
      },
    ],
  };
}

function recordSubjects(records: { id: string; actionPoints: { id: string }[] }[]): Prisma.AuditEventWhereInput[] {
  return [
    ...records.map((r) => ({ subjectType: 'record', subjectId: r.id })),
    ...records.flatMap((r) => r.actionPoints.map((p) => ({ subjectType: 'action-point', subjectId: p.id }))),
  ];
}

/** "audit SGS-YYYY-NNNN": who did and read what, and when, on a request and its records. Never content. */
export async function showAuditTrail(deps: FlowDeps, actor: Actor, reference: string): Promise<TurnResult> {
  assertHead(actor);
  const request = await deps.db.supervisionRequest.findFirst({
    where: { organisationId: actor.organisationId, reference: reference.toUpperCase() },
    select: { id: true, reference: true, organisationId: true },
  });
  if (!request) throw new DomainError('NOT_FOUND', `I can't find a request with the reference ${reference.toUpperCase()}.`);
  const sessions = await deps.db.session.findMany({ where: { requestId: request.id }, select: { id: true } });
  const records = await deps.db.supervisionRecord.findMany({
    where: { OR: [{ requestId: request.id }, { sessionId: { in: sessions.map((s) => s.id) } }] },
    select: { id: true, actionPoints: { select: { id: true } } },
  });
  const subjects: Prisma.AuditEventWhereInput[] = [
    { subjectType: 'request', subjectId: request.id },
    ...sessions.map((s) => ({ subjectType: 'session', subjectId: s.id })),
    ...recordSubjects(records),
  ];
  return auditTrailTurn(deps, actor, `Audit trail for ${request.reference}`, subjects, { subjectType: 'request', subjectId: request.id });
}

/**
 * The "Audit trail" button on a history card: the trail of one record, its session and its
 * action points, for records with no request reference (self-booked mandatory sessions) as
 * well as those with one. Never content.
 */
export async function showRecordAuditTrail(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  assertHead(actor);
  const record = await loadRecord(deps.db, value.recordId, actor.organisationId);
  const subjects: Prisma.AuditEventWhereInput[] = [
    ...(record.sessionId ? [{ subjectType: 'session', subjectId: record.sessionId }] : []),
    ...recordSubjects([record]),
  ];
  const kind = record.kind === 'ADVICE' ? 'advice record' : 'supervision record';
  const names = record.subjects.map((s) => s.person.name).join(', ');
  const heading = `Audit trail for the ${kind} of ${names || record.supervisor.name}${record.session?.request ? ` (${record.session.request.reference})` : ''}`;
  return auditTrailTurn(deps, actor, heading, subjects, { subjectType: 'record', subjectId: record.id });
}
