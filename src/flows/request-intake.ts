import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { findIdentifiers } from '../domain/identifiers.js';
import { describeDeadline, describeWhen, isWithinServiceHours } from '../domain/service-time.js';
import { cleanText } from '../domain/text-limits.js';
import {
  expectedContactBy,
  HELP_TYPES,
  nextOnDuty,
  routeFor,
  signpostsStaffSupport,
  urgencyFor,
  type FormatPreference,
  type HelpType,
} from '../domain/triage.js';
import { staffSupport, urgentRoutes } from '../domain/urgent-routes.js';
import { recordAudit } from '../db/audit.js';
import { loadOrganisation, type OrganisationContext } from '../db/organisations.js';
import { insertRequest, intakeStateOf, loadRequest, requestWithPeople, type RequestWithPeople } from '../db/requests.js';
import {
  confirmationCard,
  detailsCard,
  kindCard,
  openRequestCard,
  riskCard,
  triageCard,
  urgentRoutesCard,
  type DetailsAnswers,
} from './cards.js';
import type { Actor, CardRef, FlowDeps, TurnResult } from './types.js';

/** What the draft remembers between steps: only choices, never unchecked free text. */
const draftData = z.object({
  immediateRisk: z.boolean().optional(),
  helpType: z.enum(HELP_TYPES as [HelpType, ...HelpType[]]).optional(),
});
type DraftData = z.infer<typeof draftData>;
type Step = 'risk' | 'kind' | 'details';

const YES = /^(y|yes|yeah|yep|someone is at risk)\b/i;
const NO = /^(n|no|nope|not now)\b/i;

async function saveDraft(deps: FlowDeps, actor: Actor, step: Step, data: DraftData, requestId?: string | null) {
  // Stamped by the product's clock: the retention purge compares updatedAt.
  const now = deps.clock.now();
  await deps.db.requestDraft.upsert({
    where: { personId: actor.personId },
    create: { personId: actor.personId, step, data, requestId: requestId ?? null, createdAt: now, updatedAt: now },
    update: { step, data, ...(requestId !== undefined ? { requestId } : {}), updatedAt: now },
  });
}

async function currentDraft(deps: FlowDeps, actor: Actor) {
  const draft = await deps.db.requestDraft.findUnique({ where: { personId: actor.personId } });
  if (!draft) return null;
  return { ...draft, step: draft.step as Step, data: draftData.parse(draft.data) };
}

export function triageCardFor(request: RequestWithPeople, org: OrganisationContext, now: Date): CardRef {
  const expected = expectedContactBy(
    request.createdAt,
    request.urgency,
    request.route,
    org.config.responseTargets,
    org.config.serviceHours,
    org.config.timeZone,
  );
  return triageCard(request, now, expected, org.config.timeZone);
}

/** The promise of first contact, honest out of hours: an urgent request waits for the team to be on duty. */
function expectationFor(urgency: string, expected: Date, now: Date, org: OrganisationContext): string {
  const zone = org.config.timeZone;
  if (urgency !== 'URGENT' || isWithinServiceHours(now, org.config.serviceHours, zone)) return describeDeadline(expected, now, zone);
  const onDuty = nextOnDuty(now, org.config.serviceHours, zone);
  const until = onDuty ? describeWhen(onDuty, now, zone) : 'their next working day';
  return `The safeguarding team is not on duty until ${until}; expect contact ${describeDeadline(expected, now, zone)}. If anyone is at risk before then, use the 24/7 routes I gave you.`;
}

/** Start (or restart) the request conversation: the immediate-risk question always comes first. */
export async function startRequest(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  await saveDraft(deps, actor, 'risk', {}, null);
  const first = actor.name.split(' ')[0] ?? actor.name;
  return {
    replies: [
      {
        card: riskCard(
          `Hello ${first}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team. First, one question.`,
        ),
      },
    ],
  };
}

/** A chat message in the personal conversation. */
export async function handlePersonalMessage(deps: FlowDeps, actor: Actor, text: string): Promise<TurnResult> {
  const state = await intakeStateOf(deps.db, actor.personId);
  const draft = state.draft ? { ...state.draft, step: state.draft.step as Step, data: draftData.parse(state.draft.data) } : null;
  if (draft?.step === 'risk') {
    if (YES.test(text)) return answerRisk(deps, actor, true);
    if (NO.test(text)) return answerRisk(deps, actor, false);
    return {
      replies: [{ text: 'Please answer the question first: is anyone at immediate risk of harm right now? (yes or no)' }],
    };
  }
  if (draft?.step === 'kind') {
    return { replies: [{ text: 'Please choose what kind of help you need.' }, { card: kindCard('What kind of help do you need?') }] };
  }
  if (draft?.step === 'details' && draft.data.helpType) {
    return {
      replies: [
        { text: 'Please fill in the details card and press Send request. Say "cancel" to stop.' },
        { card: detailsCard(draft.data.helpType, await standingAnswers(deps, actor)) },
      ],
    };
  }
  if (state.openRequestId) {
    return { replies: [{ card: openRequestCard(await loadRequest(deps.db, state.openRequestId, actor.organisationId)) }] };
  }
  return startRequest(deps, actor);
}

export async function cancelRequestDraft(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  const { count } = await deps.db.requestDraft.deleteMany({ where: { personId: actor.personId } });
  return {
    replies: [
      {
        text: count
          ? 'Stopped. Nothing more has been sent. Message me whenever you want to ask for help.'
          : 'There was nothing in progress to cancel.',
      },
    ],
  };
}

export async function answerRisk(deps: FlowDeps, actor: Actor, immediateRisk: boolean): Promise<TurnResult> {
  const stale = () => new DomainError('STALE_CARD', 'That question has already been answered.');
  if (!immediateRisk) {
    // One conditional update: the draft must still be at the risk question.
    const { count } = await deps.db.requestDraft.updateMany({
      where: { personId: actor.personId, step: 'risk' },
      data: { step: 'kind', data: { immediateRisk: false }, updatedAt: deps.clock.now() },
    });
    if (count === 0) throw stale();
    return { replies: [{ card: kindCard('Thank you.') }] };
  }
  const draft = await currentDraft(deps, actor);
  if (!draft || draft.step !== 'risk') throw stale();

  // Someone may be at risk now: the routes go out at once and the request is recorded and
  // alerted before anything else is asked.
  const now = deps.clock.now();
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const { request, staged } = await deps.db.$transaction(async (tx) => {
    const created = await insertRequest(
      tx,
      {
        organisationId: actor.organisationId,
        requesterId: actor.personId,
        platform: actor.platform,
        immediateRisk: true,
        urgency: 'URGENT',
        route: 'ADVICE',
      },
      now,
    );
    await tx.requestDraft.update({
      where: { personId: actor.personId },
      data: { step: 'kind', data: { immediateRisk: true }, requestId: created.id, updatedAt: now },
    });
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'request.created',
      subjectType: 'request',
      subjectId: created.id,
      platform: actor.platform,
      detail: { urgency: 'URGENT' },
    });
    const request = await tx.supervisionRequest.findUniqueOrThrow({ where: { id: created.id }, include: requestWithPeople });
    // The URGENT alert commits with the request (see submitDetails).
    const staged = await deps.outbox.stage(tx, [{ to: 'triage', organisationId: actor.organisationId, requestId: request.id, card: triageCardFor(request, org, now) }]);
    return { request, staged };
  });
  await deps.outbox.send(staged);
  deps.logger.info({ requestId: request.id, urgency: 'URGENT' }, 'urgent request recorded');

  const inHours = isWithinServiceHours(now, org.config.serviceHours, org.config.timeZone);
  const onDuty = inHours ? null : nextOnDuty(now, org.config.serviceHours, org.config.timeZone);
  // Out of hours nobody on the team may see the alert for a while: say so, and point to the routes.
  const alerted = inHours
    ? `I have alerted the safeguarding team (reference ${request.reference}). When you are able to, tell me a little more below so they can help.`
    : `I have alerted the safeguarding team (reference ${request.reference}), but they are not on duty until ${onDuty ? describeWhen(onDuty, now, org.config.timeZone) : 'their next working day'}: if anyone is at risk now, use the routes above. When you are able to, tell me a little more below.`;
  return {
    replies: [
      {
        card: urgentRoutesCard(urgentRoutes(org.contacts, inHours), alerted),
      },
      { card: kindCard('When you are safe to, tell us a little more.') },
    ],
  };
}

export async function chooseKind(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const parsed = draftData.shape.helpType.safeParse(value.helpType);
  if (!parsed.success || !parsed.data) throw new DomainError('INVALID_INPUT', 'Please choose one of the kinds of help on the card.');
  const helpType = parsed.data;
  const draft = await currentDraft(deps, actor);
  if (!draft || draft.step === 'risk') {
    throw new DomainError('STALE_CARD', 'That card is no longer current. Message me to start a request.');
  }
  await saveDraft(deps, actor, 'details', { ...draft.data, helpType });
  const note =
    helpType === 'CHILD_DEATH'
      ? "I'm sorry you have been involved in this. You will be offered a supervision session to reflect on the case."
      : helpType === 'EMOTIONAL_IMPACT'
        ? 'Thank you for reaching out. Alongside supervision, the staff-support services below are there for you.'
        : undefined;
  return { replies: [{ card: detailsCard(helpType, await standingAnswers(deps, actor), { note }) }] };
}

async function standingAnswers(deps: FlowDeps, actor: Actor): Promise<DetailsAnswers> {
  const person = await deps.db.person.findUniqueOrThrow({ where: { id: actor.personId } });
  return { adjustments: person.reasonableAdjustments ?? undefined };
}

const FORMATS: FormatPreference[] = ['INDIVIDUAL', 'GROUP', 'EITHER'];

/** The details card: checked for patient-identifiable detail before anything is saved. */
export async function submitDetails(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const draft = await currentDraft(deps, actor);
  if (!draft || draft.step !== 'details' || !draft.data.helpType) {
    throw new DomainError('STALE_CARD', 'This request has already been sent, or was cancelled.');
  }
  const helpType = draft.data.helpType;
  const answers = {
    format: typeof value.format === 'string' && FORMATS.includes(value.format as FormatPreference) ? (value.format as FormatPreference) : undefined,
    availability: cleanText(value.availability, 'availability'),
    adjustments: cleanText(value.adjustments, 'adjustments'),
    summary: cleanText(value.summary, 'summary'),
  };
  if (!answers.summary) {
    return { replies: [{ text: 'Please write a short summary of what you need help with.' }, { card: detailsCard(helpType, answers) }] };
  }
  const findings = findIdentifiers({ summary: answers.summary, availability: answers.availability, adjustments: answers.adjustments });
  if (findings.length > 0 && value.acknowledged !== 'yes') {
    // Nothing is stored: the text only travels back in the card for the person to edit.
    return { replies: [{ card: detailsCard(helpType, answers, { findings }) }] };
  }

  const now = deps.clock.now();
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const route = routeFor(helpType);
  const fields = {
    helpType,
    route,
    format: route === 'SUPERVISION' ? (answers.format ?? 'EITHER') : null,
    availability: answers.availability ?? null,
    adjustments: answers.adjustments ?? null,
    summary: answers.summary,
    identifierWarnings: [...new Set(findings.map((f) => f.kind))],
  };
  const { request, created, staged } = await deps.db.$transaction(async (tx) => {
    const existing = draft.requestId
      ? await tx.supervisionRequest.findUnique({ where: { id: draft.requestId } })
      : null;
    let requestId: string;
    if (existing) {
      await tx.supervisionRequest.update({ where: { id: existing.id }, data: { ...fields, version: { increment: 1 } } });
      requestId = existing.id;
    } else {
      const inserted = await insertRequest(
        tx,
        {
          organisationId: actor.organisationId,
          requesterId: actor.personId,
          platform: actor.platform,
          immediateRisk: draft.data.immediateRisk ?? false,
          urgency: urgencyFor(draft.data.immediateRisk ?? false),
          ...fields,
          format: fields.format ?? undefined,
          availability: fields.availability ?? undefined,
          adjustments: fields.adjustments ?? undefined,
        },
        now,
      );
      requestId = inserted.id;
    }
    await tx.requestDraft.delete({ where: { personId: actor.personId } });
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: existing ? 'request.details-added' : 'request.created',
      subjectType: 'request',
      subjectId: requestId,
      platform: actor.platform,
      detail: { helpType, route, identifierWarnings: fields.identifierWarnings.join(',') || null },
    });
    const request = await tx.supervisionRequest.findUniqueOrThrow({ where: { id: requestId }, include: requestWithPeople });
    // A new request's triage card commits with it: a process that dies after the commit leaves
    // the card for the workers to post, never a request the team cannot see.
    const staged = existing ? [] : await deps.outbox.stage(tx, [{ to: 'triage', organisationId: actor.organisationId, requestId, card: triageCardFor(request, org, now) }]);
    return { request, created: !existing, staged };
  });

  if (created) await deps.outbox.send(staged);
  else await deps.outbox.updateTriageCards(request.id, triageCardFor(request, org, now));

  const expected = expectedContactBy(request.createdAt, request.urgency, route, org.config.responseTargets, org.config.serviceHours, org.config.timeZone);
  const nextSteps =
    route === 'ADVICE'
      ? 'A safeguarding specialist will reply to you here with advice. If you would then like a supervision session, you can ask for one.'
      : 'A safeguarding specialist will contact you here to agree a time and place for a supervision session, taking account of any adjustments you asked for.';
  return {
    replies: [
      {
        card: confirmationCard({
          reference: request.reference,
          helpType,
          expectation: expectationFor(request.urgency, expected, now, org),
          nextSteps,
          support: signpostsStaffSupport(helpType) ? staffSupport(org.contacts) : [],
        }),
      },
    ],
  };
}
