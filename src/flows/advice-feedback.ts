import { DomainError } from '../domain/errors.js';
import { assertCanActOnRequest } from '../domain/permissions.js';
import * as lifecycle from '../domain/request-lifecycle.js';
import { recordAudit } from '../db/audit.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadRequest, requestWithPeople, updateRequestAtVersion } from '../db/requests.js';
import { adviceCard } from './cards.js';
import { triageCardFor } from './request-intake.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * The requester's answer to advice, which is also their acknowledgement of it: either button
 * countersigns the advice record, so it is recorded by both (seeds 003 5.5). "I'd like a session"
 * also turns the request into a supervision request and tells the specialist who advised.
 */
export async function answerAdvice(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  if (value.answer !== 'helped' && value.answer !== 'session') {
    throw new DomainError('INVALID_INPUT', 'Please use one of the buttons on the advice card.');
  }
  const wantsSession = value.answer === 'session';
  const before = await loadRequest(deps.db, value.requestId, actor.organisationId);
  assertCanActOnRequest(actor, 'request.feedback', before);
  const status = lifecycle.adviceFeedback({ status: before.status }, wantsSession);
  const now = deps.clock.now();

  const { request, advice, staged } = await deps.db.$transaction(async (tx) => {
    const advice = await tx.supervisionRecord.findFirst({
      where: { requestId: before.id, kind: 'ADVICE' },
      orderBy: { createdAt: 'desc' },
      include: { supervisor: { select: { id: true, name: true } } },
    });
    if (!advice) throw new DomainError('NOT_FOUND', 'There is no advice on this request to answer.');
    await updateRequestAtVersion(tx, before.id, before.version, {
      status,
      adviceFeedback: wantsSession ? 'WANTS_SESSION' : 'HELPED',
      ...(wantsSession ? { route: 'SUPERVISION' } : {}),
    });
    await tx.signature.upsert({
      where: { recordId_personId_signedVersion: { recordId: advice.id, personId: actor.personId, signedVersion: advice.version } },
      create: { recordId: advice.id, personId: actor.personId, signedVersion: advice.version, platform: actor.platform, signedAt: now },
      update: {},
    });
    await tx.supervisionRecord.update({ where: { id: advice.id }, data: { status: 'SIGNED' } });
    await recordAudit(tx, {
      at: now,
      organisationId: before.organisationId,
      actorId: actor.personId,
      action: wantsSession ? 'request.session-requested' : 'request.advice-helped',
      subjectType: 'request',
      subjectId: before.id,
      platform: actor.platform,
    });
    const request = await tx.supervisionRequest.findUniqueOrThrow({ where: { id: before.id }, include: requestWithPeople });
    // The specialist who advised learns of the wish for a session with the change, or not at all.
    const staged =
      wantsSession && request.claimedById
        ? await deps.outbox.stage(tx, [
            { to: 'person', personId: request.claimedById, message: { text: `${actor.name} would like a supervision session after your advice on ${request.reference}.` } },
          ])
        : [];
    return { request, advice, staged };
  });

  await deps.outbox.send(staged);
  const org = await loadOrganisation(deps.db, request.organisationId);
  await deps.outbox.updateTriageCards(request.id, triageCardFor(request, org, now));
  const answered = wantsSession
    ? 'You acknowledged this advice and asked for a supervision session. A specialist will be in touch to book it.'
    : 'Thank you: you acknowledged this advice and said it helped.';
  return {
    replies: [],
    updatedCard: adviceCard({
      requestId: request.id,
      reference: request.reference,
      specialist: advice.supervisor.name,
      advice: advice.content ?? '',
      answered,
    }),
    notice: answered,
  };
}
