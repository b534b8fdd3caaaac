import { DateTime } from 'luxon';
import { DomainError } from '../domain/errors.js';
import { findIdentifiers } from '../domain/identifiers.js';
import { ADD_TO_REQUEST_REFUSAL, canAddToRequest } from '../domain/permissions.js';
import { recordAudit } from '../db/audit.js';
import { loadRequest, type RequestWithPeople } from '../db/requests.js';
import { addToRequestCard, requestAdditionCard } from './cards.js';
import { currentDraft, leftOutNote, saveDraft, type DraftData } from './intake-draft.js';
import type { FlowDeps, OutMessage, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * With a request open, a new message is not thrown away: the person is asked whether to add it
 * to that request or start a new one. What they wrote waits in their draft (step "add-or-new"),
 * checked for patient-identifiable detail like any summary; "add" appends it to the request's
 * summary and tells the specialist who claimed it, privately.
 */

/** The longest a request's summary may grow to with what is added later. */
export const MAX_SUMMARY_WITH_ADDITIONS = 8000;

export const OFFER_PROMPT = 'Press a button, or type "add" or "new". Type "cancel" to do neither.';

/** The question, with the words waiting in the draft (already checked). */
export async function offerToAdd(deps: FlowDeps, actor: Actor, open: RequestWithPeople, data: DraftData, prompt = OFFER_PROMPT): Promise<OutMessage> {
  await saveDraft(deps, actor, 'add-or-new', { ...data, addTo: open.id }, null);
  return { card: addToRequestCard(open, data.summary ?? '', leftOutNote(data), prompt) };
}

/** "Add this to SGS-…": the waiting words join the request's summary; its claimer is told. */
export async function addToRequest(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const request = await loadRequest(deps.db, value.requestId, actor.organisationId);
  if (!canAddToRequest(actor, request)) throw new DomainError('NOT_PERMITTED', ADD_TO_REQUEST_REFUSAL);
  const draft = await currentDraft(deps, actor);
  const words = draft?.step === 'add-or-new' && draft.data.addTo === request.id ? draft.data.summary : undefined;
  if (!words) throw new DomainError('STALE_CARD', 'That card is no longer current: there is nothing waiting to be added. Message me what you want to add.');
  if (request.status === 'CLOSED') {
    throw new DomainError('REQUEST_CLOSED', `${request.reference} is closed, so I can't add to it. Press "Start a new request" to send this as a new one.`);
  }
  // Checked when it was kept; checked again, since it is about to be stored with the request.
  if (findIdentifiers({ summary: words }).length > 0) throw new DomainError('INVALID_INPUT', 'That text looks as if it identifies a patient. Please write it again without it.');

  const now = deps.clock.now();
  const zone = (await deps.db.organisation.findUniqueOrThrow({ where: { id: actor.organisationId }, select: { timeZone: true } })).timeZone;
  const when = DateTime.fromJSDate(now, { zone }).setLocale('en-GB').toFormat('ccc d LLL yyyy, HH:mm');
  const { claimer, staged } = await deps.db.$transaction(async (tx) => {
    // Locked, so a claim made at the same moment either sees the addition or is told of it.
    await tx.$queryRaw`SELECT "id" FROM "SupervisionRequest" WHERE "id" = ${request.id} FOR UPDATE`;
    // Pressed twice at once: the second finds nothing left to add.
    const { count } = await tx.requestDraft.deleteMany({ where: { personId: actor.personId, step: 'add-or-new' } });
    if (count === 0) throw new DomainError('STALE_CARD', 'That has already been added.');
    const current = await tx.supervisionRequest.findUniqueOrThrow({
      where: { id: request.id },
      select: { summary: true, status: true, claimedById: true, claimedBy: { select: { name: true } } },
    });
    if (current.status === 'CLOSED') throw new DomainError('REQUEST_CLOSED', `${request.reference} is closed, so I can't add to it.`);
    const summary = `${current.summary ? `${current.summary}\n\n` : ''}Added by the requester, ${when}:\n${words}`;
    if (summary.length > MAX_SUMMARY_WITH_ADDITIONS) {
      throw new DomainError('TEXT_TOO_LONG', `${request.reference} has as much written on it as it can hold. Press "Start a new request" to send this as a new one.`);
    }
    await tx.supervisionRequest.update({ where: { id: request.id }, data: { summary } });
    const tell = current.claimedById && current.claimedById !== actor.personId ? current.claimedById : null;
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'request.added-to',
      subjectType: 'request',
      subjectId: request.id,
      platform: actor.platform,
      detail: { claimerTold: tell !== null },
    });
    const staged = tell
      ? await deps.outbox.stage(tx, [
          {
            to: 'person',
            personId: tell,
            message: { card: requestAdditionCard(request, words) },
            options: { causedBy: actor.personId, label: `what you added to ${request.reference}` },
          },
        ])
      : [];
    return { claimer: tell ? (current.claimedBy?.name ?? 'the specialist') : null, staged };
  });
  if (!claimer) {
    return { replies: [{ text: `Added to ${request.reference}. The specialist who picks it up will see it with the rest of your request.` }] };
  }
  const sent = await deps.outbox.send(staged);
  return {
    replies: [
      {
        text:
          sent === 'queued'
            ? `Added to ${request.reference}, and on its way to ${claimer}, who has your request.`
            : `Added to ${request.reference}. I could not tell ${claimer} just now; they will see it with your request.`,
      },
    ],
  };
}
