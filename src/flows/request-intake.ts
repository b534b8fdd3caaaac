import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { findIdentifiers } from '../domain/identifiers.js';
import { readCues, type CueReading } from '../domain/risk-cues.js';
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
import type { Actor, CardRef, FlowDeps, OutMessage, TurnResult } from './types.js';

/** Kinds of help a person's own words can lead to, as the buttons would. */
const SUGGESTIONS = ['CHILD_DEATH', 'EMOTIONAL_IMPACT'] as const;
type Suggestion = (typeof SUGGESTIONS)[number];

/** What the draft remembers between steps: only choices, never unchecked free text. */
const draftData = z.object({
  immediateRisk: z.boolean().optional(),
  helpType: z.enum(HELP_TYPES as [HelpType, ...HelpType[]]).optional(),
  /** What the person's first words suggested (read by the cue rules; the words are not kept). */
  suggested: z.enum(SUGGESTIONS).optional(),
});
type DraftData = z.infer<typeof draftData>;
type Step = 'risk' | 'kind' | 'details';
interface Draft {
  step: Step;
  data: DraftData;
  requestId: string | null;
}

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

/** The kind of help a reading leads to: a child's death first, since it is always offered supervision. */
function suggestionOf(reading: CueReading | undefined): Suggestion | undefined {
  if (reading?.childDeath) return 'CHILD_DEATH';
  if (reading?.emotionalImpact) return 'EMOTIONAL_IMPACT';
  return undefined;
}

function greetingFor(actor: Actor, reading: CueReading | undefined, openReference: string | undefined): string {
  const first = actor.name.split(' ')[0] ?? actor.name;
  const open = openReference ? ` Your request ${openReference} stays open; I'll start a new one for this.` : '';
  if (reading?.immediateRisk && !reading.riskCue) {
    const why = reading.truncated ? 'Your message was too long for me to read all of it' : 'I could not read all of your message (I can only read English)';
    return `Hello ${first}. ${why}, so I have given you the urgent routes in case.${open} Please answer this question:`;
  }
  if (reading?.riskCue) return `Hello ${first}.${open} Please confirm, so that I can alert the safeguarding team at once:`;
  if (reading?.childDeath) {
    return `Hello ${first}. I'm sorry you have been involved in the death of a child. I'll pass your request to the safeguarding team, and you will be offered a supervision session.${open} First, one question.`;
  }
  if (reading?.emotionalImpact) {
    return `Hello ${first}. Thank you for telling me how this has affected you. I'll pass your request to the safeguarding team.${open} First, one question.`;
  }
  if (reading?.wordless) {
    return `Hello ${first}. I could not see any words in that message, but I can still help: I'll pass your request to the safeguarding team. First, one question.`;
  }
  if (reading?.deniedRisk) {
    return `Hello ${first}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team. I ask everyone this first, even when they have told me already:`;
  }
  return `Hello ${first}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team.${open} First, one question.`;
}

/**
 * The organisation's urgent routes (the same card and routes as the urgent path) shown because of
 * what the person wrote, before anything is recorded: the risk question that follows confirms it.
 */
async function routesForCue(deps: FlowDeps, actor: Actor, reading: CueReading, alerted?: string): Promise<OutMessage> {
  const now = deps.clock.now();
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const inHours = isWithinServiceHours(now, org.config.serviceHours, zone);
  let text = alerted;
  if (!text) {
    const onDuty = inHours ? null : nextOnDuty(now, org.config.serviceHours, zone);
    const offDuty = inHours ? '' : ` They are not on duty until ${onDuty ? describeWhen(onDuty, now, zone) : 'their next working day'}, so use the routes above first.`;
    text = reading.riskCue
      ? `What you wrote sounds as if someone may be at risk now. Answer the question below and I will alert the safeguarding team straight away.${offDuty}`
      : reading.truncated
        ? `Your message was too long for me to read all of it. If anyone is at risk now, use these routes; then answer the question below.${offDuty}`
        : `I could not read all of your message. If anyone is at risk now, use these routes; then answer the question below.${offDuty}`;
  }
  return { card: urgentRoutesCard(urgentRoutes(org.contacts, inHours), text) };
}

/**
 * Start (or restart) the request conversation: the immediate-risk question always comes first.
 * What the person wrote, read by the cue rules, only adds to it: the urgent routes before the
 * question when someone may be at risk (or the words could not be read), and the kind of help
 * their words name remembered for after it.
 */
export async function startRequest(deps: FlowDeps, actor: Actor, reading?: CueReading, openReference?: string): Promise<TurnResult> {
  const suggested = suggestionOf(reading);
  await saveDraft(deps, actor, 'risk', suggested ? { suggested } : {}, null);
  const replies: OutMessage[] = [];
  if (reading?.immediateRisk) replies.push(await routesForCue(deps, actor, reading));
  replies.push({ card: riskCard(greetingFor(actor, reading, openReference)) });
  return { replies };
}

/** A message while the risk question is open: a "yes" is taken at once, a risk cue is never taken as a "no". */
async function atRiskQuestion(deps: FlowDeps, actor: Actor, draft: Draft, text: string, reading: CueReading): Promise<TurnResult> {
  if (YES.test(text)) return answerRisk(deps, actor, true);
  const suggested = suggestionOf(reading) ?? draft.data.suggested;
  if (suggested !== draft.data.suggested) await saveDraft(deps, actor, 'risk', { ...draft.data, suggested });
  if (reading.immediateRisk) {
    return {
      replies: [
        await routesForCue(deps, actor, reading),
        { card: riskCard('Please answer with a button (or type yes or no), so that I know whether to alert the safeguarding team now:') },
      ],
    };
  }
  if (NO.test(text)) return answerRisk(deps, actor, false);
  if (reading.childDeath || reading.emotionalImpact) {
    const heard = reading.childDeath ? "I'm sorry you have been involved in the death of a child; I'll take you to that next." : "Thank you for telling me how you feel; I'll come to that next.";
    return { replies: [{ card: riskCard(`${heard} First, please answer this:`) }] };
  }
  return {
    replies: [{ text: 'Please answer the question first: is anyone at immediate risk of harm right now? (yes or no)' }],
  };
}

/** Back to the risk question because of something written after it was answered "no". */
async function askRiskAgain(deps: FlowDeps, actor: Actor, draft: Draft, reading: CueReading): Promise<TurnResult> {
  await saveDraft(deps, actor, 'risk', { ...draft.data, immediateRisk: undefined });
  return {
    replies: [
      await routesForCue(deps, actor, reading),
      { card: riskCard('You told me earlier that no one was at immediate risk, but what you wrote now sounds as if someone may be. Please answer again:') },
    ],
  };
}

/** A message at the "what kind of help" or details step: a cue is acted on, anything else gets a short reprompt. */
async function atLaterStep(deps: FlowDeps, actor: Actor, draft: Draft, reading: CueReading): Promise<TurnResult> {
  if (reading.riskCue && !draft.data.immediateRisk) return askRiskAgain(deps, actor, draft, reading);
  const routes = reading.immediateRisk
    ? [
        await routesForCue(
          deps,
          actor,
          reading,
          draft.data.immediateRisk ? 'You told me someone is at risk, and the safeguarding team has been alerted. If anyone is at risk now, use these routes.' : undefined,
        ),
      ]
    : [];
  const typed = suggestionOf(reading);
  if (typed && (typed === 'CHILD_DEATH' || draft.step === 'kind') && draft.data.helpType !== typed) {
    const next = await toDetails(deps, actor, draft.data, typed);
    return { replies: [...routes, ...next] };
  }
  if (draft.step === 'details' && draft.data.helpType) {
    return {
      replies: [
        ...routes,
        { text: 'Please fill in the details card and press Send request. Say "cancel" to stop.' },
        { card: detailsCard(draft.data.helpType, await standingAnswers(deps, actor)) },
      ],
    };
  }
  return { replies: [...routes, { card: kindCard('Please press one of the buttons below, or say "cancel" to stop.') }] };
}

/** A chat message in the personal conversation. */
export async function handlePersonalMessage(deps: FlowDeps, actor: Actor, text: string, read?: CueReading): Promise<TurnResult> {
  const reading = read ?? readCues(text);
  const state = await intakeStateOf(deps.db, actor.personId);
  const draft = state.draft ? { ...state.draft, step: state.draft.step as Step, data: draftData.parse(state.draft.data) } : null;
  if (draft?.step === 'risk') return atRiskQuestion(deps, actor, draft, text, reading);
  if (draft) return atLaterStep(deps, actor, draft, reading);
  if (state.openRequestId) {
    const open = await loadRequest(deps.db, state.openRequestId, actor.organisationId);
    // Someone at risk, or a child's death, is a new request whatever else is open.
    if (reading.riskCue || reading.childDeath) return startRequest(deps, actor, reading, open.reference);
    return { replies: [{ card: openRequestCard(open) }] };
  }
  return startRequest(deps, actor, reading);
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
  const draft = await currentDraft(deps, actor);
  if (!draft || draft.step !== 'risk') throw stale();
  // A kind of help already chosen, or a child's death the person wrote about, goes straight to its details.
  const helpType = draft.data.helpType ?? (draft.data.suggested === 'CHILD_DEATH' ? 'CHILD_DEATH' : undefined);
  const next = (risk: boolean): DraftData => ({ ...draft.data, immediateRisk: risk, ...(helpType ? { helpType } : {}) });
  if (!immediateRisk) {
    // One conditional update: the draft must still be at the risk question.
    const { count } = await deps.db.requestDraft.updateMany({
      where: { personId: actor.personId, step: 'risk' },
      data: { step: helpType ? 'details' : 'kind', data: next(false), updatedAt: deps.clock.now() },
    });
    if (count === 0) throw stale();
    if (helpType) return { replies: [await detailsReply(deps, actor, helpType)] };
    const heading =
      draft.data.suggested === 'EMOTIONAL_IMPACT'
        ? 'Thank you. It sounds as if this has affected you: "The emotional impact of a case" is one of the choices below.'
        : 'Thank you.';
    return { replies: [{ card: kindCard(heading) }] };
  }

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
      data: { step: helpType ? 'details' : 'kind', data: next(true), requestId: created.id, updatedAt: now },
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
      helpType ? await detailsReply(deps, actor, helpType) : { card: kindCard('When you are safe to, tell us a little more.') },
    ],
  };
}

/** The details card for a kind of help, with what that kind needs said first. */
async function detailsReply(deps: FlowDeps, actor: Actor, helpType: HelpType): Promise<OutMessage> {
  const note =
    helpType === 'CHILD_DEATH'
      ? "I'm sorry you have been involved in this. You will be offered a supervision session to reflect on the case."
      : helpType === 'EMOTIONAL_IMPACT'
        ? 'Thank you for reaching out. Alongside supervision, the staff-support services below are there for you.'
        : undefined;
  return { card: detailsCard(helpType, await standingAnswers(deps, actor), { note }) };
}

/** On to the details of a kind of help, chosen with a button or named in the person's words. */
async function toDetails(deps: FlowDeps, actor: Actor, data: DraftData, helpType: HelpType): Promise<OutMessage[]> {
  await saveDraft(deps, actor, 'details', { ...data, helpType });
  return [await detailsReply(deps, actor, helpType)];
}

export async function chooseKind(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const parsed = draftData.shape.helpType.safeParse(value.helpType);
  if (!parsed.success || !parsed.data) throw new DomainError('INVALID_INPUT', 'Please choose one of the kinds of help on the card.');
  const helpType = parsed.data;
  const draft = await currentDraft(deps, actor);
  if (!draft || draft.step === 'risk') {
    throw new DomainError('STALE_CARD', 'That card is no longer current. Message me to start a request.');
  }
  return { replies: await toDetails(deps, actor, draft.data, helpType) };
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
