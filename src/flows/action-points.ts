import { DateTime } from 'luxon';
import { isId } from '../domain/ids.js';
import { DomainError } from '../domain/errors.js';
import { assertCanMarkActionDone } from '../domain/permissions.js';
import { cleanText } from '../domain/text-limits.js';
import { recordAudit } from '../db/audit.js';
import { loadOrganisation } from '../db/organisations.js';
import type { FlowDeps, OutMessage, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';
import { auditRead, actionPointCard, isoDate, longDate, pointInclude } from './record-cards.js';

/** Action points after a record is signed: owners mark them done; everyone lists their own. */
export async function markActionDone(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const point =
    isId(value.actionPointId)
      ? await deps.db.actionPoint.findFirst({ where: { id: value.actionPointId, record: { organisationId: actor.organisationId } }, include: pointInclude })
      : null;
  if (!point) throw new DomainError('NOT_FOUND', "I can't find that action point. The card may be out of date or not one of mine.");
  assertCanMarkActionDone(actor, { ownerId: point.ownerId, supervisorId: point.record.supervisorId, organisationId: point.record.organisationId });
  if (point.status === 'DONE') throw new DomainError('STALE_CARD', 'This action point has already been marked done.');
  const note = cleanText(value.note, 'note', 1000) ?? null;
  const now = deps.clock.now();
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const { updated, staged } = await deps.db.$transaction(async (tx) => {
    const { count } = await tx.actionPoint.updateMany({
      where: { id: point.id, status: 'OPEN' },
      data: { status: 'DONE', doneAt: now, doneById: actor.personId, doneNote: note },
    });
    if (count === 0) throw new DomainError('STALE_CARD', 'This action point has already been marked done.');
    await recordAudit(tx, {
      at: now,
      organisationId: point.record.organisationId,
      actorId: actor.personId,
      action: 'action-point.done',
      subjectType: 'action-point',
      subjectId: point.id,
      platform: actor.platform,
      detail: { recordId: point.recordId },
    });
    if (point.record.supervisorId !== actor.personId) await auditRead(tx, { id: point.recordId, organisationId: point.record.organisationId }, point.record.supervisorId, actor, 'action-point-done', deps.clock.now());
    const updated = await tx.actionPoint.findUniqueOrThrow({ where: { id: point.id }, include: pointInclude });
    // The supervisor is told with the change, or not at all.
    const staged =
      point.record.supervisorId !== actor.personId
        ? await deps.outbox.stage(tx, [
            { to: 'person', personId: point.record.supervisorId, message: { card: actionPointCard(updated, zone, `${actor.name} marked an action point done`) } },
          ])
        : [];
    return { updated, staged };
  });
  await deps.outbox.send(staged);
  return { replies: [], updatedCard: actionPointCard(updated, zone, 'Action point done'), notice: 'Marked done.' };
}

/**
 * "my actions": the actor's open action points, each with Mark done; then, under their own
 * heading, the action points of records the actor supervises that others own, with their
 * progress (open, done, or overdue by the organisation's date). Each record read is audited once.
 */
export async function listMyActions(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  const points = await deps.db.actionPoint.findMany({
    where: { ownerId: actor.personId, status: 'OPEN', record: { organisationId: actor.organisationId, status: 'SIGNED' } },
    include: pointInclude,
    orderBy: [{ dueOn: 'asc' }, { ordinal: 'asc' }],
  });
  const supervised = await deps.db.actionPoint.findMany({
    where: { ownerId: { not: actor.personId }, record: { organisationId: actor.organisationId, status: 'SIGNED', supervisorId: actor.personId } },
    include: { owner: { select: { name: true } } },
    orderBy: [{ dueOn: 'asc' }, { recordId: 'asc' }, { ordinal: 'asc' }],
    take: MAX_SUPERVISED_LISTED,
  });
  if (points.length === 0 && supervised.length === 0) return { replies: [{ text: 'You have no open action points.' }] };
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  await deps.db.$transaction(async (tx) => {
    for (const recordId of new Set([...points, ...supervised].map((p) => p.recordId))) {
      await auditRead(tx, { id: recordId, organisationId: actor.organisationId }, actor.personId, actor, 'my-actions', deps.clock.now());
    }
  });
  const replies: OutMessage[] = [
    { text: points.length ? `You have ${points.length} open action point${points.length === 1 ? '' : 's'}.` : 'You have no open action points.' },
  ];
  for (const point of points) replies.push({ card: actionPointCard(point, zone, 'Your action point') });
  if (supervised.length > 0) {
    const today = DateTime.fromJSDate(deps.clock.now(), { zone }).toISODate()!;
    const lines = supervised.map((p) => {
      const due = isoDate(p.dueOn);
      const progress = p.status === 'DONE' ? 'Done' : due < today ? 'Overdue' : 'Open';
      return `- ${progress}: ${p.description} (${p.owner.name}, by ${longDate(due)})`;
    });
    replies.push({ text: [`Action points you supervise (${supervised.length}):`, ...lines].join('\n') });
  }
  return { replies };
}

/** At most this many supervised action points are listed. */
export const MAX_SUPERVISED_LISTED = 50;
