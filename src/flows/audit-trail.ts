import { DateTime } from 'luxon';
import { DomainError } from '../domain/errors.js';
import { recordAudit } from '../db/audit.js';
import { Prisma } from '../db/generated/client.js';
import { loadOrganisation } from '../db/organisations.js';
import type { Actor, FlowDeps, TurnResult } from './types.js';


/** The Head of Safeguarding's audit trail. */
export const AUDIT_COMMAND = /^audit\s+(sgs-\d{4}-\d{4,})$/i;

/** "audit SGS-YYYY-NNNN": who did and read what, and when, on a request and its records. Never content. */
export async function showAuditTrail(deps: FlowDeps, actor: Actor, reference: string): Promise<TurnResult> {
  if (!actor.roles.includes('HEAD_OF_SAFEGUARDING')) {
    throw new DomainError('NOT_PERMITTED', 'Only the Head of Safeguarding can see the audit trail.');
  }
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
    ...records.map((r) => ({ subjectType: 'record', subjectId: r.id })),
    ...records.flatMap((r) => r.actionPoints.map((p) => ({ subjectType: 'action-point', subjectId: p.id }))),
  ];
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
    subjectType: 'request',
    subjectId: request.id,
    platform: actor.platform,
    detail: { events: events.length },
  });
  return {
    replies: [
      {
        card: {
          template: 'audit-trail',
          data: {
            heading: `Audit trail for ${request.reference}`,
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
