import { DomainError } from '../domain/errors.js';
import { helpTypeNamed } from '../domain/conversation-words.js';
import { findIdentifiers } from '../domain/identifiers.js';
import type { CueReading } from '../domain/risk-cues.js';
import { describeDeadline, isWithinServiceHours } from '../domain/service-time.js';
import { cleanText } from '../domain/text-limits.js';
import {
  describeNextOnDuty,
  expectedContactBy,
  routeFor,
  signpostsStaffSupport,
  urgencyFor,
  type FormatPreference,
  type HelpType,
} from '../domain/triage.js';
import { staffSupport, urgentRoutes } from '../domain/urgent-routes.js';
import { recordAudit } from '../db/audit.js';
import { loadOrganisation, type OrganisationContext } from '../db/organisations.js';
import { insertRequest, requestWithPeople, type RequestWithPeople } from '../db/requests.js';
import {
  confirmationCard,
  detailsCard,
  kindCard,
  riskCard,
  triageCard,
  urgentRoutesCard,
  type DetailsAnswers,
} from './cards.js';
import { currentDraft, draftData, keptWords, leftOutNote, saveDraft, withWords, type DraftData, type Suggestion } from './intake-draft.js';
import type { CardRef, FlowDeps, OutMessage, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';
import { recordUrgentRequest } from './urgent-request.js';

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
  const until = describeNextOnDuty(now, org.config.serviceHours, zone);
  return `The safeguarding team is not on duty until ${until}; expect contact ${describeDeadline(expected, now, zone)}. If anyone is at risk before then, use the 24/7 routes I gave you.`;
}

/** The kind of help a reading leads to: a child's death first, since it is always offered supervision. */
export function suggestionOf(reading: CueReading | undefined): Suggestion | undefined {
  if (reading?.childDeath) return 'CHILD_DEATH';
  if (reading?.emotionalImpact) return 'EMOTIONAL_IMPACT';
  return undefined;
}

/** A kind of help as the bot says it back to the person: "I'll pass your request for quick advice". */
const HELP_TYPE_ASKED: Record<HelpType, string> = {
  ADVICE: 'quick advice',
  SESSION: 'a supervision session',
  CHILD_DEATH: 'supervision about a case involving the death of a child',
  EMOTIONAL_IMPACT: 'support with the emotional impact of a case',
};

/** What to type for each kind of help, as the kind-of-help step understands it. */
const HELP_TYPE_WORDS: Record<HelpType, string> = { ADVICE: 'advice', SESSION: 'session', CHILD_DEATH: 'child death', EMOTIONAL_IMPACT: 'emotional impact' };

/** Said on the details card when the kind of help came from the person's words, not a button: how to change it. */
function heardKindNote(helpType: HelpType): string {
  const others = (Object.keys(HELP_TYPE_WORDS) as HelpType[]).filter((kind) => kind !== helpType).map((kind) => `"${HELP_TYPE_WORDS[kind]}"`);
  return `You asked for ${HELP_TYPE_ASKED[helpType]}. If you need another kind of help, type ${others.slice(0, -1).join(', ')} or ${others.at(-1)}.`;
}

function greetingFor(actor: Actor, reading: CueReading | undefined, openReference: string | undefined, named?: HelpType): string {
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
  if (named) return `Hello ${first}. I'm the safeguarding supervision bot: I'll pass your request for ${HELP_TYPE_ASKED[named]} to the safeguarding team.${open} First, one question.`;
  return `Hello ${first}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team.${open} First, one question.`;
}

/**
 * The organisation's urgent routes (the same card and routes as the urgent path) shown because of
 * what the person wrote, before anything is recorded: the risk question that follows confirms it.
 */
export async function routesForCue(deps: FlowDeps, actor: Actor, reading: CueReading, alerted?: string): Promise<OutMessage> {
  const now = deps.clock.now();
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const inHours = isWithinServiceHours(now, org.config.serviceHours, zone);
  let text = alerted;
  if (!text) {
    const offDuty = inHours ? '' : ` They are not on duty until ${describeNextOnDuty(now, org.config.serviceHours, zone)}, so use the routes above first.`;
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
 * their words name remembered for after it ("I'd like some advice about a call" goes from the
 * risk question straight to the advice details, never asking the kind again). The words
 * themselves, checked for patient-identifiable detail, become the draft summary (or join what
 * they wrote with a request open).
 */
export async function startRequest(deps: FlowDeps, actor: Actor, reading?: CueReading, openReference?: string, text?: string): Promise<TurnResult> {
  const before = await currentDraft(deps, actor);
  const carried: DraftData = before?.step === 'add-or-new' ? { summary: before.data.summary, leftOut: before.data.leftOut, suggested: before.data.suggested } : {};
  const suggested = suggestionOf(reading) ?? carried.suggested;
  // A kind of help the words name, kept for after the risk question (which is never skipped).
  const named = text === undefined ? undefined : helpTypeNamed(text);
  const data = withWords(
    {
      ...(carried.summary ? { summary: carried.summary } : {}),
      ...(carried.leftOut?.length ? { leftOut: carried.leftOut } : {}),
      ...(suggested ? { suggested } : {}),
      ...(named ? { helpType: named } : {}),
    },
    text === undefined ? undefined : keptWords(text),
  );
  const open = openReference ?? (before?.step === 'add-or-new' ? await openReferenceOf(deps, before.data.addTo) : undefined);
  await saveDraft(deps, actor, 'risk', data, null);
  const replies: OutMessage[] = [];
  if (reading?.immediateRisk) replies.push(await routesForCue(deps, actor, reading));
  replies.push({ card: riskCard(greetingFor(actor, reading, open, named)) });
  return { replies };
}

async function openReferenceOf(deps: FlowDeps, requestId: string | undefined): Promise<string | undefined> {
  if (!requestId) return undefined;
  const request = await deps.db.supervisionRequest.findUnique({ where: { id: requestId }, select: { reference: true, status: true } });
  return request && request.status !== 'CLOSED' ? request.reference : undefined;
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
  // A kind of help already named (in the first message, or typed at this question), or a child's
  // death the person wrote about, goes straight to its details: the kind is not asked again.
  const helpType = draft.data.helpType ?? (draft.data.suggested === 'CHILD_DEATH' ? 'CHILD_DEATH' : undefined);
  const heard = Boolean(draft.data.helpType);
  const next = (risk: boolean): DraftData => ({ ...draft.data, immediateRisk: risk, ...(helpType ? { helpType } : {}) });
  if (!immediateRisk) {
    // One conditional update: the draft must still be at the risk question.
    const { count } = await deps.db.requestDraft.updateMany({
      where: { personId: actor.personId, step: 'risk' },
      data: { step: helpType ? 'details' : 'kind', data: next(false), updatedAt: deps.clock.now() },
    });
    if (count === 0) throw stale();
    if (helpType) return { replies: [await detailsReply(deps, actor, helpType, next(false), heard)] };
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
    const recorded = await recordUrgentRequest(
      deps,
      tx,
      // What they wrote, checked (identifiers left out), reaches the specialist who claims it.
      { organisationId: actor.organisationId, requesterId: actor.personId, platform: actor.platform, ...(draft.data.summary ? { summary: draft.data.summary } : {}) },
      org,
      now,
    );
    await tx.requestDraft.update({
      where: { personId: actor.personId },
      data: { step: helpType ? 'details' : 'kind', data: next(true), requestId: recorded.request.id, updatedAt: now },
    });
    return recorded;
  });
  await deps.outbox.send(staged);
  deps.logger.info({ requestId: request.id, urgency: 'URGENT' }, 'urgent request recorded');

  const inHours = isWithinServiceHours(now, org.config.serviceHours, org.config.timeZone);
  // Out of hours nobody on the team may see the alert for a while: say so, and point to the routes.
  const passed = draft.data.summary ? ' What you wrote goes to the specialist who picks it up, privately.' : '';
  const alerted = inHours
    ? `I have alerted the safeguarding team (reference ${request.reference}).${passed} When you are able to, tell me a little more below so they can help.`
    : `I have alerted the safeguarding team (reference ${request.reference}), but they are not on duty until ${describeNextOnDuty(now, org.config.serviceHours, org.config.timeZone)}: if anyone is at risk now, use the routes above.${passed} When you are able to, tell me a little more below.`;
  return {
    replies: [
      {
        card: urgentRoutesCard(urgentRoutes(org.contacts, inHours), alerted),
      },
      helpType ? await detailsReply(deps, actor, helpType, next(true), heard) : { card: kindCard('When you are safe to, tell us a little more.') },
    ],
  };
}

/**
 * The details card for a kind of help, with what that kind needs said first, and the draft
 * summary (what the person has written so far, checked) in the summary box to change as they like.
 * `heard`: the kind came from their words rather than a button, so the card says how to change it.
 */
export async function detailsReply(deps: FlowDeps, actor: Actor, helpType: HelpType, data: DraftData, heard = false): Promise<OutMessage> {
  // Emotional impact and a child's death signpost staff support (000 procedure 4.6) from the
  // start, each service with its number or link, not only once the request is sent.
  const support = signpostsStaffSupport(helpType) ? staffSupport((await loadOrganisation(deps.db, actor.organisationId)).contacts) : [];
  const note =
    helpType === 'CHILD_DEATH'
      ? "I'm sorry you have been involved in this. You will be offered a supervision session to reflect on the case."
      : helpType === 'EMOTIONAL_IMPACT'
        ? `Thank you for reaching out.${support.length > 0 ? ' Alongside supervision, the staff-support services below are there for you.' : ''}`
        : heard
          ? heardKindNote(helpType)
          : undefined;
  const prefilled = data.summary ? ['I have put what you wrote in the summary below: change it as you like before you send it.', leftOutNote(data)].filter(Boolean).join(' ') : '';
  return { card: detailsCard(helpType, { ...(await standingAnswers(deps, actor)), ...(data.summary ? { summary: data.summary } : {}) }, { note, prefilled, support }) };
}

/** On to the details of a kind of help, chosen with a button or named in the person's words. */
export async function toDetails(deps: FlowDeps, actor: Actor, data: DraftData, helpType: HelpType): Promise<OutMessage[]> {
  await saveDraft(deps, actor, 'details', { ...data, helpType });
  return [await detailsReply(deps, actor, helpType, data)];
}

export async function chooseKind(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const parsed = draftData.shape.helpType.safeParse(value.helpType);
  if (!parsed.success || !parsed.data) throw new DomainError('INVALID_INPUT', 'Please choose one of the kinds of help on the card.');
  const helpType = parsed.data;
  const draft = await currentDraft(deps, actor);
  if (!draft || (draft.step !== 'kind' && draft.step !== 'details')) {
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
    // The requester's confirmation and a new request's triage card commit with it: a process
    // that dies after the commit leaves them for the workers, never a request the team cannot
    // see or a requester who was not told (a retry of the card is refused as already sent).
    const expected = expectedContactBy(request.createdAt, request.urgency, route, org.config.responseTargets, org.config.serviceHours, org.config.timeZone);
    const nextSteps =
      route === 'ADVICE'
        ? 'A safeguarding specialist will reply to you here with advice. If you would then like a supervision session, you can ask for one.'
        : 'A safeguarding specialist will contact you here to agree a time and place for a supervision session, taking account of any adjustments you asked for.';
    const confirmation = confirmationCard({
      reference: request.reference,
      helpType,
      expectation: expectationFor(request.urgency, expected, now, org),
      nextSteps,
      support: signpostsStaffSupport(helpType) ? staffSupport(org.contacts) : [],
    });
    const staged = await deps.outbox.stage(tx, [
      { to: 'person', personId: actor.personId, message: { card: confirmation }, options: { platform: actor.platform, label: `the confirmation of ${request.reference}`, about: request.id } },
      ...(existing ? [] : [{ to: 'triage' as const, organisationId: actor.organisationId, requestId, card: triageCardFor(request, org, now) }]),
    ]);
    return { request, created: !existing, staged };
  });

  await deps.outbox.send(staged);
  if (!created) await deps.outbox.updateTriageCards(request.id, triageCardFor(request, org, now));
  // The confirmation is on its way in the personal chat (written with the request above).
  return { replies: [] };
}
