import { DateTime } from 'luxon';
import { assertCanSign, isFullySigned } from '../domain/agreements.js';
import { DomainError } from '../domain/errors.js';
import { assertEditable, recordDueAt, recordPartyIds, REFLECTIVE_MODELS, isReflectiveModel, validateActionPoints, validateReflectiveNotes, type ActionPoint as CleanActionPoint, type ActionPointInput } from '../domain/records.js';
import { cleanText } from '../domain/text-limits.js';
import { recordAudit } from '../db/audit.js';
import { Prisma } from '../db/generated/client.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadSession, sessionRelation } from '../db/sessions.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';
import { relationOf, loadRecord, isoDate, auditRead, formCard, viewCard, actionPointCard, pointInclude } from './record-cards.js';
import { assertCardCurrent, cardVersion } from '../domain/ids.js';
import type { AttendanceValue, FullRecord, Tx } from './record-cards.js';
import { assertCanAmendRecord, assertCanWriteRecord } from '../domain/permissions.js';


/**
 * Journey 6: the supervisor writes the record of a session with up to five action points
 * (seeds 000), within 24 hours (seeds 002); both parties sign; a signed record is only ever
 * changed by an amendment; owners mark their action points done. Every read of a record's
 * content, including sending it to someone, writes a `record.read` audit entry.
 */

/** The supervisor opens the record form for a confirmed session (creating the draft once). */
export async function startRecord(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const session = await loadSession(deps.db, value.sessionId, actor.organisationId);
  assertCanWriteRecord(actor, sessionRelation(session));
  if (session.status !== 'CONFIRMED' && session.status !== 'AWAITING_RECORD' && session.status !== 'COMPLETED') {
    throw new DomainError('INVALID_INPUT', 'A record can only be written for a confirmed session.');
  }
  if (!session.startsAt || !session.endsAt || session.startsAt > deps.clock.now()) {
    throw new DomainError('INVALID_TIME', 'The record can be written once the session has started.');
  }
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const record = await deps.db.$transaction(async (tx) => {
    const existing = await tx.supervisionRecord.findFirst({ where: { sessionId: session.id, kind: 'SESSION' }, select: { id: true } });
    let id = existing?.id;
    if (!id) {
      const created = await tx.supervisionRecord.create({
        data: {
          organisationId: session.organisationId,
          kind: 'SESSION',
          sessionId: session.id,
          requestId: session.requestId,
          supervisorId: session.supervisorId,
          format: session.format,
          type: session.type,
          dueAt: recordDueAt(session.endsAt!, org.config.settings.recordDueHours),
          subjects: { create: session.attendees.map((a) => ({ personId: a.personId })) },
        },
      });
      id = created.id;
      await recordAudit(tx, { at: deps.clock.now(), organisationId: session.organisationId, actorId: actor.personId, action: 'record.created', subjectType: 'record', subjectId: id, platform: actor.platform, detail: { sessionId: session.id } });
    }
    const full = await loadRecord(tx, id, actor.organisationId);
    // The form shows what is already written: that is a read.
    if (existing) await auditRead(tx, full, actor.personId, actor, 'form', deps.clock.now());
    return full;
  });
  const amending = record.status === 'SIGNED';
  return { replies: [{ card: formCard(record, zone, org.config.settings.maxActionPoints, { amending }) }] };
}

interface RecordFields {
  format: 'INDIVIDUAL' | 'GROUP';
  type: 'MANDATORY' | 'ON_REQUEST' | 'CHILD_DEATH';
  content: string | null;
  reflectiveModel: (typeof REFLECTIVE_MODELS)[number] | null;
  reflectiveNotes: Record<string, string> | null;
  themes: string | null;
  escalation: string | null;
  superviseeToldFirst: boolean | null;
  attendance: Record<string, AttendanceValue>;
  actionPoints: CleanActionPoint[];
}

function parseForm(record: FullRecord, value: Record<string, unknown>, zone: string, max: number): RecordFields {
  const session = record.session!;
  const format = value.format === undefined || value.format === '' ? record.format : value.format;
  if (format !== 'INDIVIDUAL' && format !== 'GROUP') throw new DomainError('INVALID_INPUT', 'Please choose the format from the list.');
  const type = value.type === undefined || value.type === '' ? record.type : value.type;
  if (type !== 'MANDATORY' && type !== 'ON_REQUEST' && type !== 'CHILD_DEATH') throw new DomainError('INVALID_INPUT', 'Please choose the type from the list.');

  const attendance: Record<string, AttendanceValue> = {};
  for (const a of session.attendees) {
    const given = value[`attendance_${a.personId}`];
    if (given !== 'ATTENDED' && given !== 'DID_NOT_ATTEND' && given !== 'APOLOGIES') {
      throw new DomainError('INVALID_INPUT', `Please record attendance for ${a.person.name}: attended, did not attend or apologies given.`);
    }
    attendance[a.personId] = given;
  }

  const modelValue = value.reflectiveModel === undefined || value.reflectiveModel === '' ? null : value.reflectiveModel;
  if (modelValue !== null && !isReflectiveModel(modelValue)) throw new DomainError('INVALID_INPUT', 'Choose one of the listed reflective models.');
  const reflection = cleanText(value.reflectionNotes, 'reflection notes', 4000);
  let reflectiveNotes: Record<string, string> | null = null;
  if (modelValue) {
    const perField: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (key.startsWith('reflect_')) perField[key.slice('reflect_'.length)] = v;
    reflectiveNotes = validateReflectiveNotes(modelValue, perField);
  }
  if (reflection) reflectiveNotes = { ...(reflectiveNotes ?? {}), notes: reflection };
  if (reflectiveNotes && Object.keys(reflectiveNotes).length === 0) reflectiveNotes = null;

  const escalation = cleanText(value.escalation, 'escalation', 2000) ?? null;
  let superviseeToldFirst: boolean | null = null;
  if (escalation) {
    if (value.superviseeToldFirst !== 'yes' && value.superviseeToldFirst !== 'no') {
      throw new DomainError('INVALID_INPUT', 'You have recorded an escalation: please say whether the supervisee was told first.');
    }
    superviseeToldFirst = value.superviseeToldFirst === 'yes';
  }

  const inputs: ActionPointInput[] = [];
  for (const [key, v] of Object.entries(value)) {
    const n = /^ap(\d+)_(description|owner|due|kind|sharing)$/.exec(key)?.[1];
    if (n && Number(n) > max && typeof v === 'string' && v.trim()) {
      throw new DomainError('INVALID_INPUT', `A record can have up to ${max} action points.`);
    }
  }
  for (let n = 1; n <= max; n++) {
    const get = (f: string) => (typeof value[`ap${n}_${f}`] === 'string' ? (value[`ap${n}_${f}`] as string) : undefined);
    inputs.push({ description: get('description'), ownerId: get('owner'), dueOn: get('due'), kind: get('kind'), sharing: get('sharing') });
  }
  const actionPoints = validateActionPoints(inputs, {
    partyIds: recordPartyIds({ supervisorId: record.supervisorId, superviseeIds: session.attendees.map((a) => a.personId) }),
    sessionDate: DateTime.fromJSDate(session.startsAt!, { zone }).toISODate()!,
    max,
  });

  return {
    format,
    type,
    content: cleanText(value.content, 'discussion', 4000) ?? null,
    reflectiveModel: modelValue,
    reflectiveNotes,
    themes: cleanText(value.themes, 'themes', 500) ?? null,
    escalation,
    superviseeToldFirst,
    attendance,
    actionPoints,
  };
}

/** Write the fields, attendance and action points at the version the actor saw. */
async function writeFields(tx: Tx, record: FullRecord, fields: RecordFields, now: Date, actorId: string) {
  const { count } = await tx.supervisionRecord.updateMany({
    where: { id: record.id, version: record.version },
    data: {
      format: fields.format,
      type: fields.type,
      content: fields.content,
      reflectiveModel: fields.reflectiveModel,
      reflectiveNotes: fields.reflectiveNotes ?? Prisma.DbNull,
      themes: fields.themes,
      escalation: fields.escalation,
      superviseeToldFirst: fields.superviseeToldFirst,
      status: 'AWAITING_SIGNATURES',
      completedAt: record.completedAt ?? now,
      version: { increment: 1 },
    },
  });
  if (count === 0) throw new DomainError('STALE_CARD', 'Someone else changed this record just now; please open it again.');
  for (const [personId, attendance] of Object.entries(fields.attendance)) {
    await tx.sessionAttendee.update({ where: { sessionId_personId: { sessionId: record.sessionId!, personId } }, data: { attendance } });
  }
  // Points keep their ids (cards already sent, the audit trail) by ordinal; a done point stays done.
  await tx.actionPoint.deleteMany({ where: { recordId: record.id, ordinal: { gt: fields.actionPoints.length } } });
  for (const p of fields.actionPoints) {
    const data = { description: p.description, ownerId: p.ownerId, dueOn: new Date(`${p.dueOn}T00:00:00Z`), kind: p.kind, sharing: p.sharing };
    await tx.actionPoint.upsert({
      where: { recordId_ordinal: { recordId: record.id, ordinal: p.ordinal } },
      update: data,
      create: { recordId: record.id, ordinal: p.ordinal, ...data },
    });
  }
  // Written is not yet complete: the session waits for the record until everyone has signed it.
  const session = record.session!;
  if (session.status === 'CONFIRMED') {
    await tx.session.update({ where: { id: session.id }, data: { status: 'AWAITING_RECORD', version: { increment: 1 } } });
    await tx.sessionEvent.create({ data: { sessionId: session.id, actorId, fromStatus: 'CONFIRMED', toStatus: 'AWAITING_RECORD', note: 'record written', at: now } });
  }
}

/** The last signature completes the session (CONFIRMED or AWAITING_RECORD → COMPLETED). */
async function completeSessionOnSigning(tx: Tx, sessionId: string | null, actorId: string, now: Date) {
  if (!sessionId) return;
  const session = await tx.session.findUnique({ where: { id: sessionId }, select: { status: true } });
  if (!session || (session.status !== 'CONFIRMED' && session.status !== 'AWAITING_RECORD')) return;
  await tx.session.update({ where: { id: sessionId }, data: { status: 'COMPLETED', version: { increment: 1 } } });
  await tx.sessionEvent.create({ data: { sessionId, actorId, fromStatus: session.status, toStatus: 'COMPLETED', note: 'record signed', at: now } });
}

/** Send every party the record to read and sign; each delivery is a read, audited. */
async function sendForSigning(deps: FlowDeps, actor: Actor, recordId: string, zone: string, heading: string): Promise<FullRecord> {
  const record = await loadRecord(deps.db, recordId, actor.organisationId);
  const partyIds = recordPartyIds(relationOf(record));
  // Each party's copy is written with its audited read, so a read is never recorded without it.
  const staged = await deps.db.$transaction(async (tx) => {
    for (const personId of partyIds) await auditRead(tx, record, personId, actor, 'for-signing', deps.clock.now());
    return deps.outbox.stage(
      tx,
      partyIds.map((personId) => ({
        to: 'person' as const,
        personId,
        message: {
          card: viewCard(record, zone, personId, heading, personId === record.supervisorId ? 'Please read and sign the record.' : `${record.supervisor.name} has written the record of your supervision. Please read and sign it.`),
        },
      })),
    );
  });
  await deps.outbox.send(staged);
  return record;
}

/** The supervisor saves the record: it goes to every party for signing. */
export async function saveRecord(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const record = await loadRecord(deps.db, value.recordId, actor.organisationId);
  assertCanWriteRecord(actor, relationOf(record));
  assertEditable(record.status);
  assertCardCurrent(value, record.version, 'That card was out of date; please open the record again.');
  if (!record.session) throw new DomainError('NOT_FOUND', "I can't find the session of that record.");
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const fields = parseForm(record, value, zone, org.config.settings.maxActionPoints);
  const now = deps.clock.now();
  await deps.db.$transaction(async (tx) => {
    await writeFields(tx, record, fields, now, actor.personId);
    await recordAudit(tx, {
      at: now,
      organisationId: record.organisationId,
      actorId: actor.personId,
      action: 'record.saved',
      subjectType: 'record',
      subjectId: record.id,
      platform: actor.platform,
      detail: { version: record.version + 1, actionPoints: fields.actionPoints.length, late: record.dueAt ? now > record.dueAt : false },
    });
  });
  await sendForSigning(deps, actor, record.id, zone, 'Supervision record to sign');
  const told = fields.escalation && fields.superviseeToldFirst === false ? ' You recorded an escalation: tell the supervisee before informing their line manager.' : '';
  return { replies: [], notice: `Record saved and sent for signing.${told}` };
}

/** The supervisor or the Head amends a record: the previous fields are kept, everyone signs again. */
export async function amendRecord(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const record = await loadRecord(deps.db, value.recordId, actor.organisationId);
  assertCanAmendRecord(actor, relationOf(record));
  if (record.status === 'DRAFT') throw new DomainError('INVALID_INPUT', 'This record has not been saved yet; save it instead of amending it.');
  assertCardCurrent(value, record.version, 'That card was out of date; please open the record again.');
  if (!record.session) throw new DomainError('NOT_FOUND', "I can't find the session of that record.");
  const reason = cleanText(value.reason, 'reason', 500);
  if (!reason) throw new DomainError('INVALID_INPUT', 'Please give a reason for the amendment.');
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const fields = parseForm(record, value, zone, org.config.settings.maxActionPoints);

  const before: Record<string, Prisma.JsonValue> = {
    format: record.format,
    type: record.type,
    content: record.content,
    reflectiveModel: record.reflectiveModel,
    reflectiveNotes: record.reflectiveNotes,
    themes: record.themes,
    escalation: record.escalation,
    superviseeToldFirst: record.superviseeToldFirst,
    attendance: Object.fromEntries(record.session.attendees.map((a) => [a.personId, a.attendance])),
    actionPoints: record.actionPoints.map((p) => ({ ordinal: p.ordinal, description: p.description, ownerId: p.ownerId, dueOn: isoDate(p.dueOn), kind: p.kind, sharing: p.sharing })),
  };
  const after: Record<string, Prisma.JsonValue> = {
    format: fields.format,
    type: fields.type,
    content: fields.content,
    reflectiveModel: fields.reflectiveModel,
    reflectiveNotes: fields.reflectiveNotes,
    themes: fields.themes,
    escalation: fields.escalation,
    superviseeToldFirst: fields.superviseeToldFirst,
    attendance: fields.attendance,
    actionPoints: fields.actionPoints.map((p) => ({ ordinal: p.ordinal, description: p.description, ownerId: p.ownerId, dueOn: p.dueOn, kind: p.kind, sharing: p.sharing })),
  };
  const previous = Object.fromEntries(Object.entries(before).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(after[k])));
  if (Object.keys(previous).length === 0) throw new DomainError('INVALID_INPUT', 'Nothing has changed, so there is nothing to amend.');

  const now = deps.clock.now();
  await deps.db.$transaction(async (tx) => {
    await writeFields(tx, record, fields, now, actor.personId);
    await tx.recordAmendment.create({
      data: { recordId: record.id, fromVersion: record.version, toVersion: record.version + 1, changedById: actor.personId, reason, previous: previous, at: now },
    });
    await recordAudit(tx, {
      at: now,
      organisationId: record.organisationId,
      actorId: actor.personId,
      action: 'record.amended',
      subjectType: 'record',
      subjectId: record.id,
      platform: actor.platform,
      detail: { fromVersion: record.version, toVersion: record.version + 1, fields: Object.keys(previous).join(',') },
    });
  });
  await sendForSigning(deps, actor, record.id, zone, 'Amended supervision record to sign');
  return { replies: [], notice: 'Amendment saved. Everyone has been asked to sign the record again.' };
}

// ---------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------

/** A party signs the version they read; when everyone has, the record is SIGNED and owners get their action points. */
export async function signRecord(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const record = await loadRecord(deps.db, value.recordId, actor.organisationId);
  if (record.status === 'DRAFT') throw new DomainError('INVALID_INPUT', 'This record has not been completed yet.');
  const partyIds = recordPartyIds(relationOf(record));
  const signedVersion = assertCanSign(actor, {
    partyIds,
    signatures: record.signatures,
    currentVersion: record.version,
    signedVersionOffered: cardVersion(value),
    document: 'record',
  });
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const now = deps.clock.now();
  const { done: complete, staged } = await deps.db.$transaction(async (tx) => {
    const { count } = await tx.supervisionRecord.updateMany({ where: { id: record.id, version: record.version }, data: { updatedAt: now } });
    if (count === 0) throw new DomainError('STALE_CARD', 'Someone else changed this record just now; please open it again.');
    if (await tx.signature.findFirst({ where: { recordId: record.id, personId: actor.personId, signedVersion } })) {
      throw new DomainError('ALREADY_SIGNED', `You have already signed version ${signedVersion} of this record.`);
    }
    await tx.signature.create({ data: { personId: actor.personId, recordId: record.id, signedVersion, platform: actor.platform, signedAt: now } });
    // Read the signatures again under the row lock taken above, so two parties signing at
    // once cannot both miss the other's signature.
    const signatures = await tx.signature.findMany({ where: { recordId: record.id }, select: { personId: true, signedVersion: true } });
    const done = isFullySigned(partyIds, signatures, record.version);
    if (done) {
      await tx.supervisionRecord.update({ where: { id: record.id }, data: { status: 'SIGNED' } });
      if (record.kind === 'SESSION') await completeSessionOnSigning(tx, record.sessionId, actor.personId, now);
    }
    await recordAudit(tx, {
      at: now,
      organisationId: record.organisationId,
      actorId: actor.personId,
      action: 'record.signed',
      subjectType: 'record',
      subjectId: record.id,
      platform: actor.platform,
      detail: { version: signedVersion, complete: done },
    });
    if (!done) return { done, staged: [] as string[] };
    for (const ownerId of new Set(record.actionPoints.filter((p) => p.status === 'OPEN').map((p) => p.ownerId))) {
      await auditRead(tx, record, ownerId, actor, 'action-points', deps.clock.now());
    }
    // The action points and the "everyone has signed" notices go with the last signature.
    const points = await tx.actionPoint.findMany({ where: { recordId: record.id, status: 'OPEN' }, include: pointInclude, orderBy: { ordinal: 'asc' } });
    const staged = await deps.outbox.stage(tx, [
      ...points.map((point) => ({ to: 'person' as const, personId: point.ownerId, message: { card: actionPointCard(point, zone, 'Your action point from supervision') } })),
      ...partyIds
        .filter((id) => id !== actor.personId)
        .map((personId) => ({ to: 'person' as const, personId, message: { text: `Everyone has now signed version ${signedVersion} of the supervision record.` } })),
    ]);
    return { done, staged };
  });
  await deps.outbox.send(staged);
  return {
    replies: [],
    notice: complete ? 'Signed. Everyone has now signed the record.' : 'Signed. The record is complete once everyone has signed.',
  };
}

// ---------------------------------------------------------------------------
// Action points
// ---------------------------------------------------------------------------
