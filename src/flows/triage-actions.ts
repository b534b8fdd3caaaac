import { DomainError } from '../domain/errors.js';
import { isCardStale } from '../domain/ids.js';
import { assertCanActOnRequest, isSafeguardingTeam } from '../domain/permissions.js';
import * as lifecycle from '../domain/request-lifecycle.js';
import { cleanText, MAX_ADVICE_LENGTH } from '../domain/text-limits.js';
import { recordAudit } from '../db/audit.js';
import { supervisorsOf } from '../db/sessions.js';
import { DEFAULT_GROUP_CAPACITY, defaultDurationMinutes } from '../domain/booking.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadRequest, requestWithPeople, updateRequestAtVersion, type RequestWithPeople } from '../db/requests.js';
import type { Prisma } from '../db/generated/client.js';
import type { CardRef, DeliveryOutcome } from './types.js';
import { adviceCard, REQUESTER_VIEW, requestDetailCard } from './cards.js';
import { triageCardFor } from './request-intake.js';
import { StaleCardError, type FlowDeps, type TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';


/** Re-render the request's triage cards for everyone and give the actor the fresh one. */
async function publish(deps: FlowDeps, request: RequestWithPeople): Promise<CardRef> {
  const org = await loadOrganisation(deps.db, request.organisationId);
  const card = triageCardFor(request, org, deps.clock.now());
  await deps.outbox.updateTriageCards(request.id, card);
  return card;
}

/** Re-render a request's triage cards after a change made by another flow (booking). */
export async function refreshTriageCards(deps: FlowDeps, requestId: string): Promise<void> {
  const request = await deps.db.supervisionRequest.findUnique({ where: { id: requestId }, include: requestWithPeople });
  if (request) await publish(deps, request);
}

/**
 * Run a state change on a request: permission and lifecycle checks, then the change at the
 * version the actor saw plus its audit entry in one transaction, then the cards updated.
 * A stale card is refused and refreshed, so the actor sees the state they acted against.
 */
async function changeRequest(
  deps: FlowDeps,
  actor: Actor,
  value: Record<string, unknown>,
  action: Parameters<typeof assertCanActOnRequest>[1],
  change: (request: RequestWithPeople, tx: Prisma.TransactionClient, now: Date) => Promise<void>,
): Promise<{ request: RequestWithPeople; updatedCard: TurnResult['updatedCard'] }> {
  const before = await loadRequest(deps.db, value.requestId, actor.organisationId);
  assertCanActOnRequest(actor, action, before);
  if (isCardStale(value, before.version)) {
    const triage = await publish(deps, before);
    throw new StaleCardError(value.view === 'details' ? await detailsView(deps, actor, before) : triage);
  }
  const now = deps.clock.now();
  const request = await deps.db.$transaction(async (tx) => {
    await change(before, tx, now);
    return tx.supervisionRequest.findUniqueOrThrow({ where: { id: before.id }, include: requestWithPeople });
  });
  const triage = await publish(deps, request);
  // The action came from the actor's confidential details message: it is refreshed as itself,
  // never replaced by the triage card (which the outbox keeps current in the channel).
  return { request, updatedCard: value.view === 'details' ? await detailsView(deps, actor, request) : triage };
}

/** What a copy of a request's details replaces (earlier copies lose their buttons: message-delivery.ts). */
const detailsKey = (requestId: string) => `request:${requestId}:details`;

/** The confidential details card for the actor, as a read (audited, with `client`'s transaction when given). */
async function detailsView(deps: FlowDeps, actor: Actor, request: RequestWithPeople, client: Prisma.TransactionClient | FlowDeps['db'] = deps.db): Promise<CardRef> {
  await recordAudit(client, {
    at: deps.clock.now(),
    organisationId: request.organisationId,
    actorId: actor.personId,
    action: 'request.summary.read',
    subjectType: 'request',
    subjectId: request.id,
    platform: actor.platform,
  });
  return isSafeguardingTeam(actor) ? requestDetailCard(request, await bookingChoices(deps, actor, request)) : requestDetailCard(request, REQUESTER_VIEW, false);
}

/** The confidential details, sent to the actor's personal chat and audited as a read. */
async function sendDetailsPrivately(deps: FlowDeps, actor: Actor, request: RequestWithPeople): Promise<DeliveryOutcome> {
  // Nothing to read yet if there is nowhere to put it (Teams cannot open a chat with someone who has none).
  if (!(await deps.outbox.reachable(actor.personId, actor.platform))) return 'failed';
  // The requester reading their own request gets the facts only: the forms and the choice of
  // supervisors and colleagues are the safeguarding team's working tools.
  const card = await detailsView(deps, actor, request);
  // Where the person acted, never whichever chat they touched last (it may be another platform's).
  return deps.outbox.toPerson(actor.personId, { card }, { platform: actor.platform, replaces: detailsKey(request.id) });
}

/** What the actor is told of the details the bot sends them: on their way, never "sent" before they are. */
function detailsNotice(outcome: DeliveryOutcome, reference: string): string {
  if (outcome === 'queued') return `The details of ${reference} are on their way to our personal chat.`;
  return `I could not send you the details of ${reference}: open a personal chat with me, then press Details again.`;
}

/** Who can supervise, and the defaults for the booking form (the matrix duration for the requester's group). */
export async function bookingChoices(deps: FlowDeps, actor: Actor, request: RequestWithPeople) {
  const [supervisors, requester] = await Promise.all([
    supervisorsOf(deps.db, request.organisationId),
    deps.db.person.findUniqueOrThrow({ where: { id: request.requesterId }, include: { staffGroup: { include: { requirements: true } } } }),
  ]);
  const format = request.format === 'GROUP' ? 'GROUP' : 'INDIVIDUAL';
  const requirement = requester.staffGroup?.requirements.find((r) => r.format === format);
  const choices = supervisors.filter((s) => s.id !== request.requesterId);
  // A group session can take the requester's colleagues too (active people of the same staff group).
  const colleagues =
    format === 'GROUP' && requester.staffGroupId
      ? await deps.db.person.findMany({
          where: { organisationId: request.organisationId, staffGroupId: requester.staffGroupId, active: true, id: { not: request.requesterId } },
          select: { id: true, name: true },
          orderBy: { name: 'asc' },
        })
      : [];
  return {
    supervisors: choices,
    defaultSupervisorId: choices.some((s) => s.id === actor.personId) ? actor.personId : (choices[0]?.id ?? ''),
    defaultDuration: defaultDurationMinutes(format, requirement?.durationMinutes),
    isGroup: format === 'GROUP',
    otherSupervisees: colleagues,
    defaultCapacity: requirement?.typicalGroupSize ?? DEFAULT_GROUP_CAPACITY,
  };
}

export async function claimRequest(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const staged: string[] = [];
  const reachable = await deps.outbox.reachable(actor.personId, actor.platform);
  const { request, updatedCard } = await changeRequest(deps, actor, value, 'request.claim', async (req, tx, now) => {
    lifecycle.claim({ status: req.status, claimedByName: req.claimedBy?.name });
    await updateRequestAtVersion(tx, req.id, req.version, {
      status: 'CLAIMED',
      claimedById: actor.personId,
      claimedAt: now,
      firstResponseAt: req.firstResponseAt ?? now,
    });
    await recordAudit(tx, {
      at: deps.clock.now(),
      organisationId: req.organisationId,
      actorId: actor.personId,
      action: 'request.claimed',
      subjectType: 'request',
      subjectId: req.id,
      platform: actor.platform,
    });
    // The claimer's confidential details commit with the claim (and their audited read): a
    // claim is never recorded without them on their way.
    if (reachable) {
      const claimed = await tx.supervisionRequest.findUniqueOrThrow({ where: { id: req.id }, include: requestWithPeople });
      const card = await detailsView(deps, actor, claimed, tx);
      staged.push(
        ...(await deps.outbox.stage(tx, [{ to: 'person', personId: actor.personId, message: { card }, options: { platform: actor.platform, replaces: detailsKey(req.id), about: req.id } }])),
      );
    }
    // Close the loop: the requester learns who has their request, with the change.
    staged.push(
      ...(await deps.outbox.stage(tx, [
        { to: 'person', personId: req.requesterId, message: { text: lifecycle.claimedNotice(req.reference, actor.name, req.route) }, options: { about: req.id } },
      ])),
    );
  });
  await deps.outbox.send(staged);
  return {
    replies: [],
    updatedCard,
    notice: `You have claimed ${request.reference}. ${detailsNotice(reachable ? 'queued' : 'failed', request.reference).replace(`The details of ${request.reference}`, 'Its details').replace(`the details of ${request.reference}`, 'its details')}`,
  };
}

export async function showRequestDetails(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const request = await loadRequest(deps.db, value.requestId, actor.organisationId);
  assertCanActOnRequest(actor, 'request.read-summary', request);
  const sent = await sendDetailsPrivately(deps, actor, request);
  return { replies: [], notice: detailsNotice(sent, request.reference) };
}

export async function giveAdvice(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const advice = cleanText(value.advice, 'advice', MAX_ADVICE_LENGTH);
  if (!advice) throw new DomainError('INVALID_INPUT', 'Please write the advice before sending it.');
  let staged: string[] = [];
  const { request, updatedCard } = await changeRequest(deps, actor, value, 'request.advise', async (req, tx, now) => {
    const status = lifecycle.giveAdvice({ status: req.status });
    await updateRequestAtVersion(tx, req.id, req.version, {
      status,
      firstResponseAt: req.firstResponseAt ?? now,
      // New advice asks for new feedback, unless a session is already wanted.
      ...(status === 'ADVICE_GIVEN' ? { adviceFeedback: null } : {}),
    });
    // Ad-hoc advice is an informal supervision record, held for both parties (seeds 003 5.5).
    const record = await tx.supervisionRecord.create({
      data: {
        organisationId: req.organisationId,
        kind: 'ADVICE',
        requestId: req.id,
        supervisorId: actor.personId,
        format: 'INDIVIDUAL',
        type: req.helpType === 'CHILD_DEATH' ? 'CHILD_DEATH' : 'ON_REQUEST',
        status: 'AWAITING_SIGNATURES',
        content: advice,
        completedAt: now,
        subjects: { create: { personId: req.requesterId } },
        signatures: { create: { personId: actor.personId, signedVersion: 1, platform: actor.platform, signedAt: now } },
      },
    });
    await recordAudit(tx, {
      at: deps.clock.now(),
      organisationId: req.organisationId,
      actorId: actor.personId,
      action: 'request.advice-given',
      subjectType: 'request',
      subjectId: req.id,
      platform: actor.platform,
      detail: { recordId: record.id },
    });
    // The advice to the requester commits with its record: it cannot be recorded and never sent.
    staged = await deps.outbox.stage(tx, [
      {
        to: 'person',
        personId: req.requesterId,
        message: { card: adviceCard({ requestId: req.id, reference: req.reference, specialist: actor.name, advice }) },
        options: { causedBy: actor.personId, label: `the advice on ${req.reference}`, about: req.id },
      },
    ]);
  });
  const sent = await deps.outbox.send(staged);
  const notice =
    sent === 'queued'
      ? `Your advice on ${request.reference} is recorded and on its way to ${request.requester.name}. I will tell you here if it cannot be delivered.`
      : `Your advice on ${request.reference} is recorded, but I could not deliver it to the requester: please contact them another way.`;
  return { replies: [], updatedCard, notice, ...(sent === 'queued' ? {} : { noticeMatters: true }) };
}

export async function closeRequest(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  if (!lifecycle.isRequestOutcome(value.outcome)) {
    throw new DomainError('INVALID_INPUT', 'Please choose an outcome before closing the request.');
  }
  const outcome = value.outcome;
  let staged: string[] = [];
  const { request, updatedCard } = await changeRequest(deps, actor, value, 'request.close', async (req, tx, now) => {
    lifecycle.close({ status: req.status });
    await updateRequestAtVersion(tx, req.id, req.version, {
      status: 'CLOSED',
      outcome,
      closedById: actor.personId,
      closedAt: now,
    });
    await recordAudit(tx, {
      at: deps.clock.now(),
      organisationId: req.organisationId,
      actorId: actor.personId,
      action: 'request.closed',
      subjectType: 'request',
      subjectId: req.id,
      platform: actor.platform,
      detail: { outcome },
    });
    staged = await deps.outbox.stage(tx, [{ to: 'person', personId: req.requesterId, message: { text: lifecycle.closedNotice(req.reference, outcome) }, options: { about: req.id } }]);
  });
  await deps.outbox.send(staged);
  return { replies: [], updatedCard, notice: `${request.reference} is closed: ${lifecycle.OUTCOME_LABELS[outcome]}.` };
}

/**
 * The forms of the request details card, rebuilt for a platform that could not carry a form
 * with the card (Slack button values are limited to 2,000 characters). Only the safeguarding
 * team gets the details card, so only they get its forms; the card itself is not shown.
 */
export async function requestFormsCard(deps: FlowDeps, actor: Actor, requestId: unknown): Promise<CardRef> {
  const request = await loadRequest(deps.db, requestId, actor.organisationId);
  assertCanActOnRequest(actor, 'request.claim', request);
  return requestDetailCard(request, await bookingChoices(deps, actor, request));
}
