// A platform-neutral recording of journeys 1-3 (a list of steps: who, what, where and what
// should visibly happen), and the stored state it leaves, with everything that may
// legitimately differ between platforms (ids, timestamps, platform fields, references to
// platform messages) normalised away, so the same scenario can be replayed on Teams and on
// Slack and the two databases compared.
import type { Db } from '../../src/db/client.js';

export type Where = 'personal' | 'triage';

/** What the actor and others should see after a step, in platform-neutral terms. */
export interface Effects {
  /** New messages in the conversation the actor is in (cards or text), beyond any notice. */
  replies?: number;
  /** What the actor alone is told (a refusal or a confirmation). */
  notice?: string | RegExp;
  /** The card the actor pressed is replaced (for them) by its new state. */
  actorCard?: boolean;
  /** People who receive something in their personal chat from the bot (not as a reply). */
  toPerson?: string[];
  /** New cards posted in the triage channel. */
  triagePosts?: number;
  /** A triage card is re-rendered for everyone. */
  triageUpdated?: boolean;
  /** The stored state (see storedState) must be exactly as it was before the step. */
  changesNothing?: boolean;
}

/** Which card a button is pressed on: as it was last (or first) shown. */
export type CardSource =
  /** A card in the actor's own personal chat with the bot. */
  | { personal: true }
  /** The triage card of this person's newest request. */
  | { triageCardOf: string; rendering?: 'latest' | 'first' };

export type Step =
  | { who: string; where: Where; say: string; expect: Effects }
  | {
      who: string;
      where: Where;
      /** The action id (Teams verb, Slack base action_id) of the button pressed. */
      press: string;
      /** Which of the buttons with that action id: a subset of its data. */
      pick?: Record<string, string>;
      on: CardSource;
      /** What the person typed or chose in the card's (or form's) inputs. */
      inputs?: Record<string, string>;
      expect: Effects;
    };

export const TEXT = {
  paramedicAvailability: 'Weekday afternoons at our station, SE1 7JN',
  paramedicAdjustments: 'Online please: I am on nights this month.',
  paramedicSummary:
    'A child on a job last night had bruising the parent could not explain, and the parent left before police arrived. I made a referral and keep wondering whether it was enough.',
  callHandlerSummary: 'I took a call for a baby who was not breathing, and the baby died. I keep replaying the call.',
  advice:
    'Your referral was the right step. Add the parent leaving before police arrived to your record, and call the duty line if anything new comes up.',
} as const;

/**
 * Journeys 1-3 as one recording. The paramedic's availability names their station's
 * postcode: the bot warns, and they send it as it is, so the request keeps a warning kind.
 */
export const JOURNEYS_1_TO_3: readonly Step[] = [
  // Journey 1: an administrator binds the triage channel.
  { who: 'admin', where: 'triage', say: 'bind triage', expect: { replies: 1 } },

  // Journey 2: a routine request for a group supervision session.
  { who: 'paramedic', where: 'personal', say: 'I need to talk to someone about a job last night', expect: { replies: 1 } },
  { who: 'paramedic', where: 'personal', press: 'intake.risk', pick: { answer: 'no' }, on: { personal: true }, expect: { replies: 1 } },
  { who: 'paramedic', where: 'personal', press: 'intake.kind', pick: { helpType: 'SESSION' }, on: { personal: true }, expect: { replies: 1 } },
  {
    who: 'paramedic',
    where: 'personal',
    press: 'intake.details',
    pick: { acknowledged: 'no' },
    on: { personal: true },
    inputs: {
      format: 'GROUP',
      availability: TEXT.paramedicAvailability,
      adjustments: TEXT.paramedicAdjustments,
      summary: TEXT.paramedicSummary,
    },
    // The postcode warning: the card comes back with the answers, nothing is stored.
    expect: { replies: 1, changesNothing: true },
  },
  {
    who: 'paramedic',
    where: 'personal',
    press: 'intake.details',
    pick: { acknowledged: 'yes' },
    on: { personal: true },
    // The confirmation is written with the request and delivered after the turn (the outbox).
    expect: { toPerson: ['paramedic'], triagePosts: 1 },
  },

  // Journey 3: someone at immediate risk, completed later as a child death.
  { who: 'call-handler', where: 'personal', say: 'hello', expect: { replies: 1 } },
  { who: 'call-handler', where: 'personal', press: 'intake.risk', pick: { answer: 'yes' }, on: { personal: true }, expect: { replies: 2, triagePosts: 1 } },
  { who: 'call-handler', where: 'personal', press: 'intake.kind', pick: { helpType: 'CHILD_DEATH' }, on: { personal: true }, expect: { replies: 1 } },
  {
    who: 'call-handler',
    where: 'personal',
    press: 'intake.details',
    pick: { acknowledged: 'no' },
    on: { personal: true },
    inputs: { format: 'INDIVIDUAL', summary: TEXT.callHandlerSummary },
    expect: { toPerson: ['call-handler'], triageUpdated: true },
  },

  // Triage: claims, advice, feedback, closing.
  {
    who: 'ebs',
    where: 'triage',
    press: 'request.claim',
    on: { triageCardOf: 'paramedic' },
    expect: { notice: 'Only safeguarding specialists can claim requests.', changesNothing: true },
  },
  { who: 'specialist', where: 'personal', say: 'help', expect: { replies: 1 } },
  {
    who: 'specialist',
    where: 'triage',
    press: 'request.claim',
    on: { triageCardOf: 'paramedic' },
    expect: {
      actorCard: true,
      triageUpdated: true,
      // The claimer's confidential details, and the requester told who has their request.
      toPerson: ['specialist', 'paramedic'],
      notice: /^You have claimed SGS-2026-0001\. Its details are on their way to our personal chat\.$/,
    },
  },
  {
    // The second specialist presses Claim on the card as they saw it before the claim.
    who: 'specialist-2',
    where: 'triage',
    press: 'request.claim',
    on: { triageCardOf: 'paramedic', rendering: 'first' },
    expect: {
      notice: 'That card was out of date. It now shows the request as it is; please try again.',
      triageUpdated: true,
      changesNothing: true,
    },
  },
  {
    who: 'specialist',
    where: 'triage',
    press: 'request.advise',
    on: { triageCardOf: 'paramedic' },
    inputs: { advice: TEXT.advice },
    expect: {
      actorCard: true,
      triageUpdated: true,
      toPerson: ['paramedic'],
      notice: /^Your advice on SGS-2026-0001 is recorded and on its way to [^.]+\. I will tell you here if it cannot be delivered\.$/,
    },
  },
  {
    who: 'paramedic',
    where: 'personal',
    press: 'request.feedback',
    pick: { answer: 'helped' },
    on: { personal: true },
    expect: { actorCard: true, triageUpdated: true, notice: 'Thank you: you acknowledged this advice and said it helped.' },
  },
  {
    who: 'specialist',
    where: 'triage',
    press: 'request.close',
    on: { triageCardOf: 'call-handler' },
    inputs: { outcome: 'REFERRED_ELSEWHERE' },
    expect: { actorCard: true, triageUpdated: true, toPerson: ['call-handler'], notice: /^SGS-2026-0002 is closed: Referred elsewhere\.$/ },
  },
];

const present = (value: unknown) => value !== null && value !== undefined;

function normaliseDetail(detail: unknown): unknown {
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return detail ?? null;
  // Ids (records, conversations) differ by platform and run; that they are there does not.
  return Object.fromEntries(
    Object.entries(detail as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => [key, /Id$/.test(key) ? (present(value) ? '<id>' : value) : value]),
  );
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
 * The stored state of a bot's database with ids, timestamps (kept only as "set or not"),
 * platform fields and platform message references normalised away. People are named by
 * e-mail and requests by reference.
 */
export async function storedState(db: Db) {
  const people = new Map((await db.person.findMany({ select: { id: true, email: true } })).map((p) => [p.id, p.email]));
  const email = (id: string | null | undefined) => (id ? (people.get(id) ?? `unknown person ${id}`) : null);
  const rawRequests = await db.supervisionRequest.findMany({ orderBy: { reference: 'asc' } });
  const referenceOf = new Map(rawRequests.map((r) => [r.id, r.reference]));

  const requests = rawRequests.map((r) => ({
    reference: r.reference,
    requester: email(r.requesterId),
    status: r.status,
    route: r.route,
    urgency: r.urgency,
    immediateRisk: r.immediateRisk,
    helpType: r.helpType,
    format: r.format,
    availability: r.availability,
    adjustments: r.adjustments,
    summary: r.summary,
    identifierWarnings: [...r.identifierWarnings].sort(),
    staffGroupName: r.staffGroupName,
    outcome: r.outcome,
    adviceFeedback: r.adviceFeedback,
    version: r.version,
    claimedBy: email(r.claimedById),
    closedBy: email(r.closedById),
    claimedAtSet: present(r.claimedAt),
    firstResponseAtSet: present(r.firstResponseAt),
    closedAtSet: present(r.closedAt),
    escalatedAtSet: present(r.escalatedAt),
    lastResurfacedAtSet: present(r.lastResurfacedAt),
  }));

  const records = (
    await db.supervisionRecord.findMany({ include: { subjects: true, signatures: true, amendments: true, actionPoints: true } })
  )
    .map((r) => ({
      request: r.requestId ? (referenceOf.get(r.requestId) ?? 'unknown request') : null,
      session: present(r.sessionId),
      kind: r.kind,
      type: r.type,
      format: r.format,
      status: r.status,
      content: r.content,
      version: r.version,
      supervisor: email(r.supervisorId),
      subjects: r.subjects.map((s) => email(s.personId)).sort(),
      signatures: r.signatures.map((s) => ({ by: email(s.personId), signedVersion: s.signedVersion })).sort(byJson),
      amendments: r.amendments.length,
      actionPoints: r.actionPoints.length,
      completedAtSet: present(r.completedAt),
    }))
    .sort(byJson);

  // identity.linked is platform-specific: Slack people are linked on first contact by the e-mail
  // Slack returns, Teams people come with their ids from the directory. Tested on its own in
  // trust-boundaries.test.ts.
  const audit = (await db.auditEvent.findMany({ where: { action: { not: 'identity.linked' } } }))
    .map((e) => ({
      action: e.action,
      subjectType: e.subjectType,
      subject: referenceOf.get(e.subjectId) ?? (e.subjectType === 'request' ? 'unknown request' : e.subjectType),
      actor: email(e.actorId),
      detail: normaliseDetail(e.detail),
    }))
    .sort(byJson);

  const triageChannels = (await db.triageChannel.findMany())
    .map((t) => ({ boundBy: email(t.boundById) }))
    .sort(byJson);

  // A copy of a request's details sent to someone (message-delivery.ts): "request:<id>:details:<person id>".
  const subjectOf = (type: string, id: string) => {
    if (type !== 'replaceable') return referenceOf.get(id) ?? 'unknown';
    const [, requestId, what, personId] = id.split(':');
    return `${referenceOf.get(requestId ?? '') ?? 'unknown'} ${what} for ${email(personId)}`;
  };
  const postedCards = (await db.postedCard.findMany())
    .map((p) => ({ subjectType: p.subjectType, subject: subjectOf(p.subjectType, p.subjectId), purpose: p.purpose }))
    .sort(byJson);

  const drafts = (await db.requestDraft.findMany())
    .map((d) => ({ person: email(d.personId), step: d.step, data: d.data, request: d.requestId ? referenceOf.get(d.requestId) : null }))
    .sort(byJson);

  // Tables neither journey should touch.
  const untouched = {
    sessions: await db.session.count(),
    actionPoints: await db.actionPoint.count(),
    reminders: await db.reminder.count(),
    agreements: await db.agreement.count(),
  };

  return { requests, records, audit, triageChannels, postedCards, drafts, untouched };
}

export type StoredState = Awaited<ReturnType<typeof storedState>>;
