import { DateTime } from 'luxon';
import { FORMAT_LABELS, NONE, TYPE_LABELS } from './labels.js';
import { assertCardCurrent, isId } from '../domain/ids.js';
import * as booking from '../domain/booking.js';
import { DomainError } from '../domain/errors.js';
import { assertCanCancelSession, assertCanProposeSession, assertCanRespondToProposal, canAcceptSuggestedTime, canSupervise, isSafeguardingTeam } from '../domain/permissions.js';
import { cleanText } from '../domain/text-limits.js';
import { recordAudit } from '../db/audit.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadRequest, updateRequestAtVersion } from '../db/requests.js';
import { loadSession, sessionRelation, sessionWithPeople, supervisorBusy, supervisorBusyLocked, updateSessionAtVersion, type SessionWithPeople } from '../db/sessions.js';
import type { Prisma } from '../db/generated/client.js';
import type { SupervisionFormat, SupervisionType } from '../db/generated/enums.js';
import { stageAgreementOffers } from './agreements.js';
import type { BookingChoices } from './cards.js';
import { bookingChoices, refreshTriageCards } from './triage-actions.js';
import { FormRefusal, type CardRef, type FlowDeps, type StagedMessage, type TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';


type BookingDeps = FlowDeps;


function when(session: SessionWithPeople, zone: string): string {
  if (session.startsAt && session.endsAt) return booking.describeSlot({ startsAt: session.startsAt, endsAt: session.endsAt }, zone);
  return session.slots.map((s) => booking.describeSlot(s, zone)).join('; or ') || NONE;
}

/** The supervisor's card: confirm one of the times, suggest another, or decline. */
/**
 * What the supervisor entered to suggest another time, shown again when that time does not exist
 * (the clocks go forward): the time chosen and the date and time typed kept, the reason, and the
 * time to use instead as a one-tap button (as the booking form does).
 */
export interface SuggestionRefused {
  slotId?: unknown;
  date: unknown;
  time: unknown;
  gap: booking.NonexistentLocalTimeError;
}

export function proposalCard(session: SessionWithPeople, zone: string, outcome = '', refused?: SuggestionRefused): CardRef {
  const open = session.status === 'PROPOSED';
  const proposed = session.slots.filter((s) => !s.chosen);
  const chosenSlot = proposed.find((s) => s.id === refused?.slotId)?.id;
  const adjustments = [session.request?.adjustments, ...session.attendees.map((a) => a.person.reasonableAdjustments)]
    .filter((a): a is string => Boolean(a))
    .filter((a, i, all) => all.indexOf(a) === i)
    .join('\n');
  return {
    template: 'session-proposal',
    data: {
      heading: `Supervision session proposed${session.request ? ` (${session.request.reference})` : ''}`,
      sessionId: session.id,
      version: session.version,
      supervisees: session.attendees.map((a) => a.person.name).join(', '),
      format: FORMAT_LABELS[session.format],
      type: TYPE_LABELS[session.type],
      duration: `${session.durationMinutes} minutes`,
      venue: session.venue ?? NONE,
      onlineLink: session.onlineLink ?? NONE,
      proposedBy: session.proposedBy.name,
      status: booking.SESSION_STATUS_LABELS[session.status],
      adjustments,
      outcome,
      canRespond: open,
      firstSlotId: chosenSlot ?? proposed[0]?.id ?? '',
      slots: proposed.map((s) => ({ id: s.id, label: booking.describeSlot(s, zone) })),
      suggestError: refused?.gap.userMessage ?? '',
      suggestion: refused ? refused.gap.suggestion : '',
      suggestDate: refused ? kept(refused.date, 32) : '',
      suggestTime: refused ? kept(refused.time, 32) : '',
    },
  };
}

/** What the supervisee(s) and the proposer see about a session. */
export function sessionUpdateCard(
  session: SessionWithPeople,
  zone: string,
  view: { heading: string; message?: string; viewerId: string; inviteUrl?: string; suggestedSlotId?: string; agreement?: string; recordButton?: boolean },
): CardRef {
  const party = session.supervisorId === view.viewerId || session.attendees.some((a) => a.personId === view.viewerId) || session.proposedById === view.viewerId;
  return {
    template: 'session-update',
    data: {
      heading: view.heading,
      message: view.message ?? '',
      sessionId: session.id,
      version: session.version,
      when: when(session, zone),
      supervisor: session.supervisor.name,
      supervisees: session.attendees.map((a) => a.person.name).join(', '),
      format: FORMAT_LABELS[session.format],
      venue: session.venue ?? NONE,
      onlineLink: session.onlineLink ?? NONE,
      status: booking.SESSION_STATUS_LABELS[session.status],
      inviteUrl: view.inviteUrl ?? '',
      canAcceptSuggestion: Boolean(view.suggestedSlotId) && session.status === 'PROPOSED' && session.proposedById === view.viewerId,
      suggestedSlotId: view.suggestedSlotId ?? '',
      canCancel: party && (session.status === 'PROPOSED' || session.status === 'CONFIRMED'),
      canWriteRecord: Boolean(view.recordButton) && session.supervisorId === view.viewerId && (session.status === 'CONFIRMED' || session.status === 'AWAITING_RECORD'),
      agreement: view.agreement ?? '',
    },
  };
}

// ---------------------------------------------------------------------------
// The booking form
// ---------------------------------------------------------------------------

/** The longest venue and online link the form takes (as its inputs' maxLength in cards/booking-form.json). */
const MAX_VENUE = 200;
const MAX_ONLINE_LINK = 500;
const REQUEST_FORM_INTRO = 'Propose up to two times. The supervisor confirms one, suggests another or declines.';

/** A time on the form that does not exist (the clocks go forward): which of the two, and the time to use instead. */
class TimeInGap extends DomainError {
  constructor(
    readonly slot: 1 | 2,
    readonly gap: booking.NonexistentLocalTimeError,
  ) {
    super(gap.code, gap.userMessage);
  }
}

/** How the form is headed, and for which request (none: a supervisee booking their own session). */
interface FormView {
  heading: string;
  intro: string;
  request?: { id: string; version: number };
}

/** A value the person entered, as the form shows it again: text, never longer than its input takes. */
function kept(value: unknown, max: number): string {
  return typeof value === 'string' ? value.trim().slice(0, max) : '';
}

/** A whole number the person entered, if its input can show it (within its min and max). */
function keptNumber(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/**
 * The booking form (cards/booking-form.json): empty with the defaults, or again after a time
 * that does not exist, with everything the person entered kept, the reason, and the time to use
 * instead as a button. That button submits the same form with `suggestedSlot`, `suggestedDate`
 * and `suggestedTime`, which go through the same checks as typed ones (withSuggestedTime).
 */
function bookingFormCard(view: FormView, choices: BookingChoices, entered: Record<string, unknown> = {}, refusal?: TimeInGap): CardRef {
  const supervisorId = choices.supervisors.find((s) => s.id === entered.supervisorId)?.id ?? choices.defaultSupervisorId;
  return {
    template: 'booking-form',
    data: {
      heading: view.heading,
      intro: view.intro,
      error: refusal?.userMessage ?? '',
      suggestion: refusal ? { slot: String(refusal.slot), ...refusal.gap.suggestion } : '',
      requestId: view.request?.id ?? '',
      version: view.request?.version ?? '',
      supervisors: choices.supervisors,
      supervisorId,
      isGroup: choices.isGroup ?? false,
      otherSupervisees: choices.otherSupervisees ?? [],
      superviseeIds: kept(entered.superviseeIds, 2000),
      capacity: keptNumber(entered.capacity, booking.MIN_GROUP_CAPACITY, booking.MAX_GROUP_CAPACITY) ?? choices.defaultCapacity ?? booking.DEFAULT_GROUP_CAPACITY,
      date1: kept(entered.date1, 32),
      time1: kept(entered.time1, 32),
      date2: kept(entered.date2, 32),
      time2: kept(entered.time2, 32),
      durationMinutes: keptNumber(entered.durationMinutes, booking.MIN_SESSION_MINUTES, booking.MAX_SESSION_MINUTES) ?? choices.defaultDuration,
      venue: kept(entered.venue, MAX_VENUE),
      onlineLink: kept(entered.onlineLink, MAX_ONLINE_LINK),
    },
  };
}

/**
 * The form as its "Use 02:30 instead" button submits it: the suggested date and time in place of
 * that slot's own, and nothing else changed. They are then checked like typed ones, so a tampered
 * suggestion (a time that does not exist, or garbage) is refused just as a typed one would be.
 */
function withSuggestedTime(value: Record<string, unknown>): Record<string, unknown> {
  const { suggestedSlot, suggestedDate, suggestedTime, ...form } = value;
  if (suggestedSlot === undefined && suggestedDate === undefined && suggestedTime === undefined) return value;
  const slot = typeof suggestedSlot === 'string' || typeof suggestedSlot === 'number' ? String(suggestedSlot) : '';
  if (slot !== '1' && slot !== '2') throw new DomainError('INVALID_TIME', 'That suggested time is not for one of the times on the form. Please enter the date and time again.');
  return { ...form, [`date${slot}`]: suggestedDate, [`time${slot}`]: suggestedTime };
}

function parseSlotInputs(value: Record<string, unknown>, zone: string, durationMinutes: number, now: Date) {
  const slots: Array<{ startsAt: Date; endsAt: Date }> = [];
  for (const n of [1, 2] as const) {
    const date = typeof value[`date${n}`] === 'string' ? (value[`date${n}`] as string).trim() : '';
    const time = typeof value[`time${n}`] === 'string' ? (value[`time${n}`] as string).trim() : '';
    if (!date && !time) continue;
    if (!date || !time) throw new DomainError('INVALID_TIME', `Please give both a date and a time for time ${n}.`);
    let startsAt: Date;
    try {
      startsAt = booking.parseLocalDateTime(date, time, zone);
    } catch (error) {
      if (error instanceof booking.NonexistentLocalTimeError) throw new TimeInGap(n, error);
      throw error;
    }
    slots.push(booking.validateSlot({ startsAt, durationMinutes }, now));
  }
  if (slots.length === 0) throw new DomainError('INVALID_TIME', 'Please give at least one date and time.');
  return slots;
}

function optionalLink(value: unknown): string | undefined {
  const link = cleanText(value, 'online link', MAX_ONLINE_LINK);
  if (link && !/^https:\/\/\S+$/i.test(link)) throw new DomainError('INVALID_INPUT', 'The online link must start with https:// and contain no spaces.');
  return link;
}

async function reload(tx: Prisma.TransactionClient, sessionId: string) {
  return tx.session.findUniqueOrThrow({ where: { id: sessionId }, include: sessionWithPeople });
}


/** Ids from a multi-select: Teams and Slack both send them joined with commas. */
function idList(raw: unknown): string[] {
  const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : raw === undefined || raw === null ? [] : [raw];
  const ids = parts.map((p) => (typeof p === 'string' ? p.trim() : String(p))).filter((p) => p !== '');
  if (ids.some((id) => !isId(id))) throw new DomainError('INVALID_INPUT', 'Please choose the other supervisees from the list.');
  return ids.filter((id, i) => ids.indexOf(id) === i);
}

/** What differs between a session proposed for a request and one a supervisee arranges for themselves. */
interface NewProposal {
  request: { id: string; version: number; reference: string } | null;
  format: SupervisionFormat;
  type: SupervisionType;
  /** The supervisees, the main one first. */
  superviseeIds: string[];
  /** The matrix row that sets the default duration and group size, if any. */
  requirement: { durationMinutes: number; typicalGroupSize: number | null } | undefined;
  /** When given, the supervisor must be one of these; otherwise anyone with a supervising role. */
  allowedSupervisorIds?: readonly string[];
  /** The form again, with what was entered kept, for a time that does not exist. */
  formAgain: (entered: Record<string, unknown>, refusal: TimeInGap) => Promise<CardRef>;
}

/** Shared by both ways of proposing: validate the form, create the session and tell everyone. */
async function createProposal(deps: FlowDeps, actor: Actor, submitted: Record<string, unknown>, proposal: NewProposal) {
  const value = withSuggestedTime(submitted);
  const supervisor =
    isId(value.supervisorId)
      ? await deps.db.person.findFirst({ where: { id: value.supervisorId, organisationId: actor.organisationId, active: true } })
      : null;
  const allowed = proposal.allowedSupervisorIds
    ? supervisor !== null && proposal.allowedSupervisorIds.includes(supervisor.id)
    : supervisor !== null && canSupervise(supervisor);
  if (!supervisor || !allowed) throw new DomainError('INVALID_INPUT', 'Please choose a supervisor from the list.');
  if (proposal.superviseeIds.includes(supervisor.id)) throw new DomainError('INVALID_INPUT', 'The supervisor cannot be the person being supervised.');

  const { format, requirement } = proposal;
  const capacity =
    format === 'INDIVIDUAL'
      ? 1
      : value.capacity === undefined || value.capacity === ''
        ? (requirement?.typicalGroupSize ?? booking.DEFAULT_GROUP_CAPACITY)
        : Number(value.capacity);
  booking.assertCapacity(format, capacity, proposal.superviseeIds.length);

  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const durationMinutes =
    value.durationMinutes === undefined || value.durationMinutes === ''
      ? booking.defaultDurationMinutes(format, requirement?.durationMinutes)
      : Number(value.durationMinutes);
  const now = deps.clock.now();
  let slots: ReturnType<typeof parseSlotInputs>;
  try {
    slots = parseSlotInputs(value, zone, durationMinutes, now);
  } catch (error) {
    // From the booking form itself, the form comes back in its place; from the form inside the
    // request's details card, as a new message below it (the details stay as they are).
    if (error instanceof TimeInGap) throw new FormRefusal(error, await proposal.formAgain(value, error), submitted.view !== 'details');
    throw error;
  }
  for (const slot of slots) booking.assertNoClash(slot, await supervisorBusy(deps.db, supervisor.id, slot.startsAt, slot.endsAt), zone, supervisor.name);
  const venue = cleanText(value.venue, 'venue', MAX_VENUE);
  const onlineLink = optionalLink(value.onlineLink);

  let staged: string[] = [];
  const session = await deps.db.$transaction(async (tx) => {
    if (proposal.request) await updateRequestAtVersion(tx, proposal.request.id, proposal.request.version, {});
    const created = await tx.session.create({
      data: {
        createdAt: now, // rebooking and retention compare it
        organisationId: actor.organisationId,
        requestId: proposal.request?.id ?? null,
        format,
        type: proposal.type,
        supervisorId: supervisor.id,
        proposedById: actor.personId,
        durationMinutes,
        venue: venue ?? null,
        onlineLink: onlineLink ?? null,
        capacity,
        slots: { create: slots },
        attendees: { create: proposal.superviseeIds.map((personId) => ({ personId })) },
        events: { create: { actorId: actor.personId, toStatus: 'PROPOSED', at: now } },
      },
    });
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'session.proposed',
      subjectType: 'session',
      subjectId: created.id,
      platform: actor.platform,
      detail: { requestId: proposal.request?.id ?? null, slots: slots.length, supervisees: proposal.superviseeIds.length },
    });
    const session = await reload(tx, created.id);
    // The proposal reaches the supervisor and the supervisees with the change, or not at all.
    staged = await deps.outbox.stage(tx, [
      { to: 'person', personId: supervisor.id, message: { card: proposalCard(session, zone) } },
      ...proposal.superviseeIds
        .filter((personId) => personId !== actor.personId)
        .map((personId) => ({
          to: 'person' as const,
          personId,
          message: {
            card: sessionUpdateCard(session, zone, {
              heading: 'A supervision session has been proposed',
              message: `${supervisor.name} has been asked to confirm one of these times. You will hear as soon as they do.`,
              viewerId: personId,
            }),
          },
        })),
    ]);
    return session;
  });
  await deps.outbox.send(staged);
  if (proposal.request) await refreshTriageCards(deps, proposal.request.id);
  return { session, supervisor, zone };
}

/** A specialist proposes one or two times with a supervisor for a request (journey 4), for a group too. */
export async function proposeSession(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const request = await loadRequest(deps.db, value.requestId, actor.organisationId);
  if (request.status === 'CLOSED') throw new DomainError('REQUEST_CLOSED', 'This request is already closed.');
  const requester = await deps.db.person.findUniqueOrThrow({
    where: { id: request.requesterId },
    include: { staffGroup: { include: { requirements: true } } },
  });
  const format = request.format === 'GROUP' ? 'GROUP' : 'INDIVIDUAL';
  const others = idList(value.superviseeIds).filter((id) => id !== request.requesterId);
  assertCanProposeSession(actor, {
    organisationId: request.organisationId,
    superviseeIds: [request.requesterId, ...others],
    superviseeInMandatoryGroup: requester.staffGroup?.requirements.some((r) => r.kind === 'MANDATORY') ?? false,
  });
  assertCardCurrent(value, request.version, 'That card was out of date; please use the latest details card.');
  if (others.length > 0) {
    // Only active colleagues in the requester's staff group (never anyone from elsewhere).
    const found = requester.staffGroupId
      ? await deps.db.person.count({
          where: { id: { in: others }, organisationId: actor.organisationId, staffGroupId: requester.staffGroupId, active: true },
        })
      : 0;
    if (found !== others.length) throw new DomainError('INVALID_INPUT', 'Please choose the other supervisees from the list.');
  }

  // A supervisee proposing for themselves (mandatory cadence) chooses from their staff group's
  // supervisor pool, as "book supervision" offers; the safeguarding team may choose anyone.
  const pool = isSafeguardingTeam(actor) ? undefined : await mandatoryRequirementOf(deps, actor);
  const { session, supervisor } = await createProposal(deps, actor, value, {
    request: { id: request.id, version: request.version, reference: request.reference },
    format,
    type: request.helpType === 'CHILD_DEATH' ? 'CHILD_DEATH' : 'ON_REQUEST',
    superviseeIds: [request.requesterId, ...others],
    requirement: requester.staffGroup?.requirements.find((r) => r.format === format),
    ...(pool ? { allowedSupervisorIds: pool.supervisors.map((s) => s.id) } : {}),
    formAgain: async (entered, refusal) => {
      const choices = await bookingChoices(deps, actor, request);
      // A supervisee proposing on their own request chooses from their pool, as above.
      const offered = pool ? { ...choices, supervisors: pool.supervisors, defaultSupervisorId: pool.supervisors[0]?.id ?? '' } : choices;
      const view = { heading: `Book a session for ${request.reference}`, intro: REQUEST_FORM_INTRO, request: { id: request.id, version: request.version } };
      return bookingFormCard(view, offered, entered, refusal);
    },
  });
  const group = session.attendees.length > 1 ? ` (${session.attendees.length} supervisees)` : '';
  return { replies: [], notice: `Session proposed to ${supervisor.name} for ${request.reference}${group}. You will hear when they answer.` };
}

/** The staff group's mandatory requirement of a person, with its supervisor pool (seeds 000 appendix 3). */
async function mandatoryRequirementOf(deps: FlowDeps, actor: Actor) {
  const person = await deps.db.person.findUniqueOrThrow({
    where: { id: actor.personId },
    include: { staffGroup: { include: { requirements: { where: { kind: 'MANDATORY' }, include: { poolMembers: true }, orderBy: { format: 'asc' } } } } },
  });
  const requirement = person.staffGroup?.requirements[0];
  if (!requirement) return null;
  const pool = await deps.db.person.findMany({
    where: {
      organisationId: actor.organisationId,
      active: true,
      ...(requirement.poolMembers.length > 0
        ? { id: { in: requirement.poolMembers.map((m) => m.personId).filter((id) => id !== actor.personId) } }
        : { id: { not: actor.personId }, roles: { has: 'SPECIALIST' as const } }),
    },
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
  return { requirement, staffGroup: person.staffGroup!.name, supervisors: pool };
}

export const NO_MANDATORY_SUPERVISION =
  'Your staff group does not have mandatory supervision, so the safeguarding team arranges sessions for you. Send me any message to ask for supervision and I will take the request.';

/** The own-booking form's heading, introduction and choices, from the person's mandatory requirement. */
function ownForm(found: NonNullable<Awaited<ReturnType<typeof mandatoryRequirementOf>>>): { view: FormView; choices: BookingChoices } {
  const { requirement, supervisors, staffGroup } = found;
  const cadence = requirement.sessionsPerYear
    ? `${requirement.sessionsPerYear} ${requirement.sessionsPerYear === 1 ? 'session' : 'sessions'} a year`
    : requirement.intervalMonths
      ? `a session every ${requirement.intervalMonths} months`
      : 'regular sessions';
  return {
    view: {
      heading: 'Book your supervision session',
      intro: `${staffGroup}: ${FORMAT_LABELS[requirement.format].toLowerCase()} supervision is mandatory, ${cadence}. Propose up to two times; the supervisor confirms one, suggests another or declines.`,
    },
    choices: {
      supervisors,
      defaultSupervisorId: supervisors[0]?.id ?? '',
      defaultDuration: booking.defaultDurationMinutes(requirement.format, requirement.durationMinutes),
    },
  };
}

/** "book supervision": the form for a supervisee in a mandatory group to arrange their own session (seeds 001). */
export async function ownBookingForm(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  const found = await mandatoryRequirementOf(deps, actor);
  if (!found) return { replies: [{ text: NO_MANDATORY_SUPERVISION }] };
  if (found.supervisors.length === 0) {
    return { replies: [{ text: 'There is no supervisor available for your staff group yet. Please ask the safeguarding team, or send me any message to make a request.' }] };
  }
  const { view, choices } = ownForm(found);
  return { replies: [{ card: bookingFormCard(view, choices) }] };
}

/** A supervisee in a mandatory group proposes their own session (seeds 001: the supervisee arranges supervision). */
export async function proposeOwnSession(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const found = await mandatoryRequirementOf(deps, actor);
  if (!found) throw new DomainError('NOT_PERMITTED', NO_MANDATORY_SUPERVISION);
  assertCanProposeSession(actor, {
    organisationId: actor.organisationId,
    superviseeIds: [actor.personId],
    superviseeInMandatoryGroup: true,
  });
  const { requirement, supervisors } = found;
  const { session, supervisor, zone } = await createProposal(deps, actor, value, {
    request: null,
    format: requirement.format,
    type: 'MANDATORY',
    superviseeIds: [actor.personId],
    requirement,
    allowedSupervisorIds: supervisors.map((s) => s.id),
    formAgain: async (entered, refusal) => {
      const { view, choices } = ownForm(found);
      return bookingFormCard(view, choices, entered, refusal);
    },
  });
  const mine = sessionUpdateCard(session, zone, {
    heading: 'Your supervision session has been proposed',
    message: `${supervisor.name} has been asked to confirm one of these times. You will hear as soon as they do.`,
    viewerId: actor.personId,
  });
  return { replies: [], updatedCard: mine, notice: `Session proposed to ${supervisor.name}. You will hear when they answer.` };
}

/** A card for each party of the session other than the actor (supervisor, proposer, supervisees). */
function toOtherParties(session: SessionWithPeople, actor: Actor, cardFor: (personId: string) => CardRef): StagedMessage[] {
  const parties = new Set([session.supervisorId, session.proposedById, ...session.attendees.map((a) => a.personId)]);
  parties.delete(actor.personId);
  return [...parties].map((personId) => ({ to: 'person', personId, message: { card: cardFor(personId) } }));
}

/** The supervisor confirms one of the proposed times: every party gets the time and an invite. */
export async function confirmProposedSession(deps: BookingDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  return confirmSlot(deps, actor, value, 'supervisor');
}

/** The proposer accepts the time the supervisor suggested (the supervisor already agreed to it). */
export async function acceptSuggestedTime(deps: BookingDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  return confirmSlot(deps, actor, value, 'proposer');
}

async function confirmSlot(deps: BookingDeps, actor: Actor, value: Record<string, unknown>, by: 'supervisor' | 'proposer'): Promise<TurnResult> {
  const before = await loadSession(deps.db, value.sessionId, actor.organisationId);
  if (by === 'supervisor') assertCanRespondToProposal(actor, sessionRelation(before));
  else if (!canAcceptSuggestedTime(actor, sessionRelation(before))) {
    throw new DomainError('NOT_PERMITTED', 'Only the person who proposed this session can accept the suggested time.');
  }
  booking.confirmSession(before.status);
  assertCardCurrent(value, before.version);
  const slot = before.slots.find((s) => s.id === value.slotId);
  if (!slot) throw new DomainError('INVALID_INPUT', 'Please choose one of the times on the card.');
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const now = deps.clock.now();
  if (slot.startsAt <= now) throw new DomainError('INVALID_TIME', 'That time has already passed. Please suggest another time.');

  let staged: string[] = [];
  const session = await deps.db.$transaction(async (tx) => {
    booking.assertNoClash(slot, await supervisorBusyLocked(tx, before.supervisorId, slot.startsAt, slot.endsAt, before.id), zone, before.supervisor.name);
    await updateSessionAtVersion(tx, before.id, before.version, { status: 'CONFIRMED', startsAt: slot.startsAt, endsAt: slot.endsAt });
    await tx.sessionSlot.update({ where: { id: slot.id }, data: { chosen: true } });
    await tx.sessionEvent.create({ data: { sessionId: before.id, actorId: actor.personId, fromStatus: 'PROPOSED', toStatus: 'CONFIRMED', at: now } });
    if (before.requestId) {
      await tx.supervisionRequest.update({ where: { id: before.requestId }, data: { status: 'BOOKED', version: { increment: 1 } } });
    }
    await recordAudit(tx, {
      at: now,
      organisationId: before.organisationId,
      actorId: actor.personId,
      action: 'session.confirmed',
      subjectType: 'session',
      subjectId: before.id,
      platform: actor.platform,
    });
    const session = await reload(tx, before.id);
    staged = await deps.outbox.stage(
      tx,
      toOtherParties(session, actor, (personId) =>
        sessionUpdateCard(session, zone, {
          heading: 'Supervision session confirmed',
          message: `${actor.name} confirmed the session. Add it to your calendar with the invite.`,
          viewerId: personId,
          inviteUrl: deps.links.invite(session.id, personId),
          recordButton: true,
        }),
      ),
    );
    // The agreements to sign go with the confirmation, after its message.
    staged.push(...(await stageAgreementOffers(deps, tx, session.id, zone)));
    return session;
  }, { isolationLevel: 'ReadCommitted' }); // the booking lock relies on a fresh snapshot after its wait
  await deps.outbox.send(staged);
  if (session.requestId) await refreshTriageCards(deps, session.requestId);
  const mine = sessionUpdateCard(session, zone, {
    heading: 'Supervision session confirmed',
    message: 'Everyone has been told and sent a calendar invite.',
    viewerId: actor.personId,
    inviteUrl: deps.links.invite(session.id, actor.personId),
    recordButton: true,
  });
  if (by === 'proposer') return { replies: [], updatedCard: mine, notice: 'Session confirmed.' };
  return { replies: [{ card: mine }], updatedCard: proposalCard(session, zone, `Confirmed: ${when(session, zone)}.`), notice: 'Session confirmed.' };
}

/** The supervisor cannot take the session. */
export async function declineProposedSession(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const before = await loadSession(deps.db, value.sessionId, actor.organisationId);
  assertCanRespondToProposal(actor, sessionRelation(before));
  const status = booking.declineSession(before.status);
  assertCardCurrent(value, before.version);
  const reason = cleanText(value.reason, 'reason', 500);
  if (!reason) throw new DomainError('INVALID_INPUT', 'Please give a reason for declining.');
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const now = deps.clock.now();
  let staged: string[] = [];
  const session = await deps.db.$transaction(async (tx) => {
    await updateSessionAtVersion(tx, before.id, before.version, { status });
    await tx.sessionEvent.create({ data: { sessionId: before.id, actorId: actor.personId, fromStatus: before.status, toStatus: status, note: reason, at: now } });
    await recordAudit(tx, { at: now, organisationId: before.organisationId, actorId: actor.personId, action: 'session.declined', subjectType: 'session', subjectId: before.id, platform: actor.platform });
    const session = await reload(tx, before.id);
    staged = await deps.outbox.stage(
      tx,
      [...new Set([session.proposedById, ...session.attendees.map((a) => a.personId)])].map((personId) => ({
        to: 'person' as const,
        personId,
        message: {
          card: sessionUpdateCard(session, zone, {
            heading: 'Supervision session declined',
            message:
              personId === session.proposedById
                ? `${actor.name} cannot take this session: ${reason} Please propose another supervisor or time.`
                : `${actor.name} cannot take this session. The safeguarding team will arrange another.`,
            viewerId: personId,
          }),
        },
      })),
    );
    return session;
  });
  await deps.outbox.send(staged);
  if (session.requestId) await refreshTriageCards(deps, session.requestId);
  return { replies: [], updatedCard: proposalCard(session, zone, 'You declined this session.'), notice: 'Declined. The person who proposed it has been told.' };
}

/**
 * The suggestion as its "Suggest 02:30 instead" button submits it: the suggested date and time in
 * place of the typed ones, then checked like typed ones (a tampered one is refused the same way).
 */
function withSuggestedDateTime(value: Record<string, unknown>): Record<string, unknown> {
  const { suggestedDate, suggestedTime, ...form } = value;
  if (suggestedDate === undefined && suggestedTime === undefined) return value;
  return { ...form, date: suggestedDate, time: suggestedTime };
}

/** The supervisor suggests another time; the proposer can accept it with one click. */
export async function suggestAnotherTime(deps: FlowDeps, actor: Actor, submitted: Record<string, unknown>): Promise<TurnResult> {
  const value = withSuggestedDateTime(submitted);
  const before = await loadSession(deps.db, value.sessionId, actor.organisationId);
  assertCanRespondToProposal(actor, sessionRelation(before));
  booking.suggestAnotherTime(before.status);
  assertCardCurrent(value, before.version);
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const now = deps.clock.now();
  let startsAt: Date;
  try {
    startsAt = booking.parseLocalDateTime(typeof value.date === 'string' ? value.date : '', typeof value.time === 'string' ? value.time : '', zone);
  } catch (error) {
    // A time that does not exist: the proposal card again in place of the one acted on, with what
    // was entered kept and the time to use instead as a button. Nothing is stored.
    if (error instanceof booking.NonexistentLocalTimeError) {
      throw new FormRefusal(error, proposalCard(before, zone, '', { slotId: value.slotId, date: value.date, time: value.time, gap: error }), true);
    }
    throw error;
  }
  const slot = booking.validateSlot({ startsAt, durationMinutes: before.durationMinutes }, now);
  booking.assertNoClash(slot, await supervisorBusy(deps.db, before.supervisorId, slot.startsAt, slot.endsAt, before.id), zone, 'You');
  const { session, suggested, staged } = await deps.db.$transaction(async (tx) => {
    await updateSessionAtVersion(tx, before.id, before.version, {});
    const suggested = await tx.sessionSlot.create({ data: { sessionId: before.id, ...slot } });
    await tx.sessionEvent.create({ data: { sessionId: before.id, actorId: actor.personId, fromStatus: 'PROPOSED', toStatus: 'PROPOSED', note: 'another time suggested', at: now } });
    await recordAudit(tx, { at: now, organisationId: before.organisationId, actorId: actor.personId, action: 'session.time-suggested', subjectType: 'session', subjectId: before.id, platform: actor.platform });
    const session = await reload(tx, before.id);
    const staged = await deps.outbox.stage(tx, [
      {
        to: 'person',
        personId: session.proposedById,
        message: {
          card: sessionUpdateCard(session, zone, {
            heading: 'Another time suggested',
            message: `${actor.name} suggests ${booking.describeSlot(suggested, zone)}.`,
            viewerId: session.proposedById,
            suggestedSlotId: suggested.id,
          }),
        },
      },
    ]);
    return { session, suggested, staged };
  });
  await deps.outbox.send(staged);
  return {
    replies: [],
    updatedCard: proposalCard(session, zone, `You suggested ${booking.describeSlot(suggested, zone)}. You can still confirm a time here.`),
    notice: 'Your suggestion is on its way to the person who proposed the session.',
  };
}

/** Any party cancels with a reason; whoever cancels is asked to rebook within the window. */
export async function cancelBookedSession(deps: BookingDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const before = await loadSession(deps.db, value.sessionId, actor.organisationId);
  assertCanCancelSession(actor, sessionRelation(before));
  assertCardCurrent(value, before.version);
  const reason = cleanText(value.reason, 'reason', 500);
  if (!reason) throw new DomainError('INVALID_INPUT', 'Please say why you are cancelling.');
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const now = deps.clock.now();
  const plan = booking.planCancellation(before.status, { cancelledById: actor.personId, cancelledAt: now, withinDays: org.config.settings.rebookWithinDays, zone });
  let staged: string[] = [];
  const session = await deps.db.$transaction(async (tx) => {
    await updateSessionAtVersion(tx, before.id, before.version, {
      status: plan.status,
      cancelReason: reason,
      cancelledById: actor.personId,
      cancelledAt: now,
      rebookBy: plan.rebookBy,
    });
    await tx.sessionEvent.create({ data: { sessionId: before.id, actorId: actor.personId, fromStatus: before.status, toStatus: plan.status, note: reason, at: now } });
    await recordAudit(tx, { at: now, organisationId: before.organisationId, actorId: actor.personId, action: 'session.cancelled', subjectType: 'session', subjectId: before.id, platform: actor.platform });
    const session = await reload(tx, before.id);
    const wasConfirmed = before.status === 'CONFIRMED';
    staged = await deps.outbox.stage(
      tx,
      toOtherParties(session, actor, (personId) =>
        sessionUpdateCard(session, zone, {
          heading: 'Supervision session cancelled',
          message: `${actor.name} cancelled this session: ${reason}`,
          viewerId: personId,
          ...(wasConfirmed ? { inviteUrl: deps.links.invite(session.id, personId) } : {}),
        }),
      ),
    );
    return session;
  });
  await deps.outbox.send(staged);
  if (session.requestId) await refreshTriageCards(deps, session.requestId);
  const rebook = DateTime.fromJSDate(plan.rebookBy, { zone }).setLocale('en-GB').toFormat('cccc d LLLL yyyy');
  return {
    replies: [],
    updatedCard: sessionUpdateCard(session, zone, {
      heading: 'Supervision session cancelled',
      message: `Everyone has been told. As you cancelled, please arrange another session by ${rebook}.`,
      viewerId: actor.personId,
    }),
    notice: `Cancelled. Please arrange another session by ${rebook}.`,
  };
}
