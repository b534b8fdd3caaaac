// Fixtures for the permission matrix (test/integration/permission-matrix*.test.ts): the
// people who play each relation, fresh subjects built by direct inserts (a request, a
// session, a record, an agreement, an action point) for one cell at a time, and a cheap
// fingerprint of every table a turn could change, so a refused turn can be shown to have
// changed nothing.
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Db } from '../../src/db/client.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { allocateReference } from '../../src/db/requests.js';

/**
 * The relations a person can have to the thing acted on (DESIGN.md sections 1 and 3). Each is
 * played by one demo person who has no other link to the subject, so a cell tests exactly
 * one relation. Where a subject has no such relation (a request has no supervisor yet), the
 * person plays someone of that kind with no link to it.
 */
export const RELATIONS = [
  'requester',
  'supervisee',
  'supervisor',
  'specialist',
  'other specialist',
  'Head',
  'line manager',
  'administrator',
  'someone else',
] as const;
export type Relation = (typeof RELATIONS)[number];

export const PLAYED_BY: Record<Relation, string> = {
  // 111 Clinical Advisor (on-request staff group; line manager eoc-manager).
  requester: 'clinician-111',
  // A second supervisee in the same (group) session, who did not make the request; owns the action point.
  supervisee: 'call-handler',
  // An external supervisor (SUPERVISOR role only), so "supervisor" is never also "specialist".
  supervisor: 'external-supervisor',
  // The specialist who claimed the request and proposed the session.
  specialist: 'specialist',
  // A specialist with no link to the case.
  'other specialist': 'specialist-2',
  Head: 'head',
  // Line manager of both the requester and the supervisee.
  'line manager': 'eoc-manager',
  administrator: 'admin',
  // Frontline staff with no link to the case.
  'someone else': 'paramedic',
};

export type People = Record<Relation, string>;

export async function loadPeople(db: Db): Promise<People> {
  const people = {} as People;
  for (const relation of RELATIONS) {
    people[relation] = (await db.person.findFirstOrThrow({ where: { email: demoPerson(PLAYED_BY[relation]).email } })).id;
  }
  return people;
}

export interface FixtureContext {
  db: Db;
  organisationId: string;
  people: People;
  /** The person acting in this cell (for subjects that belong to the actor, like a draft). */
  actorId: string;
  now: Date;
}

/** A free time for a proposal: local date and time strings as the forms send them. */
export interface FreeTime {
  date: string;
  time: string;
  startsAt: Date;
}

export interface Fixture {
  /** A unique token for the cell, used in confidential text so it can be looked for. */
  token: string;
  requestId?: string;
  requestVersion?: number;
  reference?: string;
  /** The request's confidential summary. */
  summary?: string;
  sessionId?: string;
  sessionVersion?: number;
  slotIds?: string[];
  suggestedSlotId?: string;
  sessionDate?: string;
  recordId?: string;
  recordVersion?: number;
  /** The record's confidential content. */
  recordContent?: string;
  actionPointId?: string;
  actionPointText?: string;
  agreementId?: string;
  agreementVersion?: number;
  reminderId?: string;
  messageId?: string;
  /** Times no fixture uses, for proposals and suggestions in this cell. */
  free: [FreeTime, FreeTime];
}

export const ZONE = 'Europe/London';
let sequence = 0;
/** Every fixture gets its own hours, far apart, so nothing clashes with another cell's session. */
const FUTURE_BASE = Date.parse('2026-12-01T08:00:00Z');
const HOUR = 3_600_000;

function nextHours() {
  sequence += 1;
  const future = (k: number) => new Date(FUTURE_BASE + (sequence * 5 + k) * 2 * HOUR);
  return { n: sequence, future };
}

function freeTime(startsAt: Date): FreeTime {
  const local = DateTime.fromJSDate(startsAt, { zone: ZONE });
  return { date: local.toISODate()!, time: local.toFormat('HH:mm'), startsAt };
}

function base(): { fx: Fixture; future: (k: number) => Date; n: number } {
  const { n, future } = nextHours();
  return { fx: { token: `PMX${n}Z`, free: [freeTime(future(3)), freeTime(future(4))] }, future, n };
}

type Stage = 'open' | 'claimed' | 'advised';

async function insertRequest(ctx: FixtureContext, fx: Fixture, stage: Stage): Promise<void> {
  const { db, organisationId, people, now } = ctx;
  const summary = `Summary ${fx.token}: a confidential concern.`;
  const request = await db.$transaction(async (tx) => {
    const reference = await allocateReference(tx, organisationId, 'SGS', 2026);
    return tx.supervisionRequest.create({
      data: {
        organisationId,
        reference,
        requesterId: people.requester,
        platform: 'TEAMS',
        immediateRisk: false,
        urgency: 'ROUTINE',
        helpType: 'SESSION',
        route: 'SUPERVISION',
        format: 'GROUP',
        summary,
        staffGroupName: 'Operational Staff, EOC and 111',
        status: stage === 'open' ? 'OPEN' : stage === 'claimed' ? 'CLAIMED' : 'ADVICE_GIVEN',
        ...(stage === 'open' ? {} : { claimedById: people.specialist, claimedAt: now, firstResponseAt: now }),
        createdAt: new Date(now.getTime() - HOUR),
      },
    });
  });
  Object.assign(fx, { requestId: request.id, requestVersion: request.version, reference: request.reference, summary });
  if (stage === 'advised') {
    const record = await db.supervisionRecord.create({
      data: {
        organisationId,
        kind: 'ADVICE',
        requestId: request.id,
        supervisorId: people.specialist,
        format: 'INDIVIDUAL',
        type: 'ON_REQUEST',
        status: 'AWAITING_SIGNATURES',
        content: `Advice ${fx.token}`,
        completedAt: now,
        subjects: { create: { personId: people.requester } },
        signatures: { create: { personId: people.specialist, signedVersion: 1, platform: 'TEAMS', signedAt: now } },
      },
    });
    fx.recordId = record.id;
    fx.recordContent = record.content!;
  }
}

export const requestFixture = (stage: Stage) => async (ctx: FixtureContext) => {
  const { fx } = base();
  await insertRequest(ctx, fx, stage);
  return fx;
};

type SessionStage = 'proposed' | 'suggested' | 'confirmed' | 'past';

/**
 * A group session for the request: the requester and the supervisee attend, the specialist
 * proposed it, the external supervisor supervises. "past" is confirmed and already over.
 */
async function insertSession(ctx: FixtureContext, fx: Fixture, stage: SessionStage, future: (k: number) => Date, n: number): Promise<void> {
  const { db, organisationId, people, now } = ctx;
  await insertRequest(ctx, fx, 'claimed');
  const starts =
    stage === 'past'
      ? [new Date(now.getTime() - (n + 2) * 2 * HOUR), new Date(now.getTime() - (n + 3) * 2 * HOUR)]
      : [future(0), future(1)];
  const end = (d: Date) => new Date(d.getTime() + 90 * 60_000);
  const confirmed = stage === 'confirmed' || stage === 'past';
  const session = await db.session.create({
    data: {
      organisationId,
      requestId: fx.requestId!,
      format: 'GROUP',
      type: 'ON_REQUEST',
      status: confirmed ? 'CONFIRMED' : 'PROPOSED',
      supervisorId: people.supervisor,
      proposedById: people.specialist,
      durationMinutes: 90,
      capacity: 6,
      venue: 'Safeguarding office',
      ...(confirmed ? { startsAt: starts[0]!, endsAt: end(starts[0]!) } : {}),
      slots: {
        create: [
          ...starts.map((s, i) => ({ startsAt: s, endsAt: end(s), chosen: confirmed && i === 0 })),
          ...(stage === 'suggested' ? [{ startsAt: future(2), endsAt: end(future(2)) }] : []),
        ],
      },
      attendees: { create: [{ personId: people.requester }, { personId: people.supervisee }] },
      events: { create: { actorId: people.specialist, toStatus: 'PROPOSED', at: now } },
    },
    include: { slots: { orderBy: { startsAt: 'asc' } } },
  });
  if (confirmed) {
    await db.supervisionRequest.update({ where: { id: fx.requestId! }, data: { status: 'BOOKED', version: { increment: 1 } } });
    fx.requestVersion! += 1;
  }
  fx.sessionId = session.id;
  fx.sessionVersion = session.version;
  fx.slotIds = session.slots.map((s) => s.id);
  fx.sessionDate = DateTime.fromJSDate(starts[0]!, { zone: ZONE }).toISODate()!;
  if (stage === 'suggested') fx.suggestedSlotId = session.slots.find((s) => s.startsAt.getTime() === future(2).getTime())!.id;
}

export const sessionFixture = (stage: SessionStage) => async (ctx: FixtureContext) => {
  const { fx, future, n } = base();
  await insertSession(ctx, fx, stage, future, n);
  return fx;
};

type RecordStage = 'draft' | 'awaiting' | 'signed';

/** The record of a past session, with one open action point owned by the supervisee. */
export const recordFixture = (stage: RecordStage) => async (ctx: FixtureContext) => {
  const { db, organisationId, people, now } = ctx;
  const { fx, future, n } = base();
  await insertSession(ctx, fx, 'past', future, n);
  const written = stage !== 'draft';
  const content = `Record ${fx.token}: what was discussed.`;
  const version = written ? 2 : 1;
  const parties = [people.supervisor, people.requester, people.supervisee];
  if (written) {
    await db.session.update({ where: { id: fx.sessionId! }, data: { status: 'COMPLETED', version: { increment: 1 } } });
    await db.sessionAttendee.updateMany({ where: { sessionId: fx.sessionId! }, data: { attendance: 'ATTENDED' } });
  }
  const record = await db.supervisionRecord.create({
    data: {
      organisationId,
      kind: 'SESSION',
      sessionId: fx.sessionId!,
      requestId: fx.requestId!,
      supervisorId: people.supervisor,
      format: 'GROUP',
      type: 'ON_REQUEST',
      status: stage === 'draft' ? 'DRAFT' : stage === 'awaiting' ? 'AWAITING_SIGNATURES' : 'SIGNED',
      content: written ? content : null,
      version,
      dueAt: new Date(now.getTime() + 24 * HOUR),
      completedAt: written ? now : null,
      subjects: { create: [{ personId: people.requester }, { personId: people.supervisee }] },
      ...(stage === 'signed'
        ? { signatures: { create: parties.map((personId) => ({ personId, signedVersion: version, platform: 'TEAMS' as const, signedAt: now })) } }
        : {}),
    },
  });
  fx.recordId = record.id;
  fx.recordVersion = version;
  if (written) {
    fx.recordContent = content;
    fx.actionPointText = `Action ${fx.token}: read the neglect guidance`;
    const point = await db.actionPoint.create({
      data: { recordId: record.id, ordinal: 1, description: fx.actionPointText, kind: 'TRAINING_NEED', ownerId: people.supervisee, dueOn: new Date('2026-12-31T00:00:00Z') },
    });
    fx.actionPointId = point.id;
  }
  return fx;
};

/** A confirmed group session's group agreement, in the organisation's latest text, awaiting every party. */
export const agreementFixture = async (ctx: FixtureContext) => {
  const { db, organisationId, people } = ctx;
  const { fx, future, n } = base();
  await insertSession(ctx, fx, 'confirmed', future, n);
  const template = await db.agreementTemplate.findFirstOrThrow({ where: { organisationId, kind: 'GROUP' }, orderBy: { version: 'desc' } });
  const agreement = await db.agreement.create({
    data: {
      templateId: template.id,
      sessionId: fx.sessionId!,
      supervisorId: people.supervisor,
      parties: { create: [people.supervisor, people.requester, people.supervisee].map((personId) => ({ personId })) },
    },
  });
  fx.agreementId = agreement.id;
  fx.agreementVersion = template.version;
  return fx;
};

/**
 * A claimed request (the requester's), and the actor's draft waiting to be added to it, as a
 * message written with a request open leaves it.
 */
export const addToRequestFixture = async (ctx: FixtureContext) => {
  const { fx } = base();
  await insertRequest(ctx, fx, 'claimed');
  await ctx.db.requestDraft.deleteMany({ where: { personId: ctx.actorId } });
  await ctx.db.requestDraft.create({ data: { personId: ctx.actorId, step: 'add-or-new', data: { summary: `More ${fx.token}`, addTo: fx.requestId } } });
  return fx;
};

/** The actor's own request conversation, at a step (or none at all). */
export const draftFixture = (step: 'none' | 'risk' | 'kind' | 'details') => async (ctx: FixtureContext) => {
  const { fx } = base();
  await ctx.db.requestDraft.deleteMany({ where: { personId: ctx.actorId } });
  if (step !== 'none') {
    const data = step === 'risk' ? {} : step === 'kind' ? { immediateRisk: false } : { immediateRisk: false, helpType: 'ADVICE' };
    await ctx.db.requestDraft.create({ data: { personId: ctx.actorId, step, data } });
  }
  return fx;
};

/** A reminder to the supervisee that could not be delivered (surfaced to administrators). */
export const failedReminderFixture = async (ctx: FixtureContext) => {
  const { fx } = base();
  const reminder = await ctx.db.reminder.create({
    data: {
      organisationId: ctx.organisationId,
      kind: 'ACTION_OVERDUE',
      subjectType: 'ActionPoint',
      subjectId: randomUUID(),
      recipientKey: `person:${ctx.people.supervisee}`,
      recipientId: ctx.people.supervisee,
      dueAt: new Date(ctx.now.getTime() - HOUR),
      sendAt: new Date(ctx.now.getTime() - HOUR),
      status: 'FAILED',
      attempts: 5,
      lastError: 'RecipientUnreachableError',
      failedAt: ctx.now,
    },
  });
  fx.reminderId = reminder.id;
  return fx;
};

export const failedMessageFixture = async (ctx: FixtureContext) => {
  const { fx } = base();
  const message = await ctx.db.outboundMessage.create({
    data: {
      organisationId: ctx.organisationId,
      kind: 'person',
      personId: ctx.people.supervisee,
      message: { text: 'PMX failed message body' },
      label: 'a test message',
      status: 'FAILED',
      attempts: 8,
      lastError: 'status=503',
      nextAttemptAt: ctx.now,
      failedAt: ctx.now,
      createdAt: ctx.now,
    },
  });
  fx.messageId = message.id;
  return fx;
};

export const noFixture = async (_ctx: FixtureContext) => base().fx;

let existing: string[] | undefined;

/** The tables a turn can change, each fingerprinted whole (small in a test schema). */
const FINGERPRINTED = [
  'Organisation',
  'Person',
  'TriageChannel',
  'SupervisionRequest',
  'ReferenceCounter',
  'RequestDraft',
  'PostedCard',
  'Session',
  'SessionSlot',
  'SessionAttendee',
  'SessionEvent',
  'Agreement',
  'AgreementParty',
  'Signature',
  'SupervisionRecord',
  'RecordSubject',
  'RecordAmendment',
  'ActionPoint',
  'Reminder',
  'AuditEvent',
  // Files offered for download (report and audit exports), where the schema has them.
  'ExportFile',
] as const;

/**
 * The state of everything a turn could change, as one comparable object: a row count and
 * an md5 of the rows of each table. Left out: delivery bookkeeping that every turn
 * touches (conversation references, processed deliveries, identities linked on first contact).
 */
export async function fingerprint(db: Db): Promise<Record<string, string>> {
  existing ??= (await db.$queryRawUnsafe<Array<{ name: string }>>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
  )).map((t) => t.name);
  const tables = FINGERPRINTED.filter((t) => existing!.includes(t));
  // A Slack person's first contact links their account (audited identity.linked) whatever the
  // turn asks for: that link is not a change the refused action made.
  const where = (table: string) => (table === 'AuditEvent' ? ` WHERE t.action <> 'identity.linked'` : '');
  const columns = tables.map(
    (table) => `(SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "${table}" t${where(table)}) AS "${table}"`,
  ).join(', ');
  const rows = await db.$queryRawUnsafe<Array<Record<string, string>>>(`SELECT ${columns}`);
  return rows[0]!;
}

/** The newest audit event id, to find what a turn audited. */
export async function lastAuditId(db: Db): Promise<bigint> {
  const last = await db.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
  return last?.id ?? 0n;
}
