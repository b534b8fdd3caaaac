import { DateTime } from 'luxon';
import { FORMAT_LABELS, NONE, TYPE_LABELS } from './labels.js';
import { isId } from '../domain/ids.js';
import { describeSlot } from '../domain/booking.js';
import { DomainError } from '../domain/errors.js';
import { ACTION_POINT_KIND_LABELS, ACTION_POINT_KINDS, recordPartyIds, REFLECTIVE_MODEL_LABELS, REFLECTIVE_MODELS } from '../domain/records.js';
import { recordAudit } from '../db/audit.js';
import type { Db } from '../db/client.js';
import { Prisma } from '../db/generated/client.js';
import type { CardRef } from './types.js';
import type { Actor } from '../domain/actor.js';
import type { RecordRelation } from '../domain/permissions.js';

/** Shared pieces of the record journey: labels, loading, and the cards it sends. */
export const STATUS_LABELS = { DRAFT: 'Draft', AWAITING_SIGNATURES: 'Awaiting signatures', SIGNED: 'Signed' } as const;
export const ATTENDANCE_LABELS = { ATTENDED: 'Attended', DID_NOT_ATTEND: 'Did not attend', APOLOGIES: 'Apologies given' } as const;
export type AttendanceValue = keyof typeof ATTENDANCE_LABELS;

export const recordInclude = {
  session: {
    include: {
      supervisor: { select: { id: true, name: true } },
      attendees: { include: { person: { select: { id: true, name: true, lineManagerId: true } } } },
      request: { select: { id: true, reference: true } },
    },
  },
  supervisor: { select: { id: true, name: true } },
  subjects: { include: { person: { select: { id: true, name: true } } } },
  signatures: true,
  actionPoints: { orderBy: { ordinal: 'asc' }, include: { owner: { select: { id: true, name: true } } } },
} satisfies Prisma.SupervisionRecordInclude;

export type FullRecord = Prisma.SupervisionRecordGetPayload<{ include: typeof recordInclude }>;
export type Tx = Prisma.TransactionClient;


export function relationOf(record: FullRecord): RecordRelation {
  return { organisationId: record.organisationId, supervisorId: record.supervisorId, superviseeIds: record.subjects.map((s) => s.personId) };
}

export async function loadRecord(db: Db | Tx, recordId: unknown, organisationId: string): Promise<FullRecord> {
  const record =
    isId(recordId)
      ? await db.supervisionRecord.findFirst({ where: { id: recordId, organisationId }, include: recordInclude })
      : null;
  if (!record) throw new DomainError('NOT_FOUND', "I can't find that record. The card may be out of date or not one of mine.");
  return record;
}

export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function longDate(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).setLocale('en-GB').toFormat('cccc d LLLL yyyy');
}

export function sessionWhen(session: { startsAt: Date | null; endsAt: Date | null }, zone: string): string {
  return session.startsAt && session.endsAt ? describeSlot({ startsAt: session.startsAt, endsAt: session.endsAt }, zone) : NONE;
}

export async function auditRead(tx: Pick<Tx, 'auditEvent'>, record: { id: string; organisationId: string }, readerId: string, actor: Actor, part: string, at: Date) {
  await recordAudit(tx, {
    at,
    organisationId: record.organisationId,
    actorId: readerId,
    action: 'record.read',
    subjectType: 'record',
    subjectId: record.id,
    platform: actor.platform,
    detail: { part, ...(readerId !== actor.personId ? { sentById: actor.personId } : {}) },
  });
}

export function notesText(notes: Prisma.JsonValue | null): string {
  if (!notes || typeof notes !== 'object' || Array.isArray(notes)) return '';
  return Object.values(notes)
    .filter((v): v is string => typeof v === 'string')
    .join('\n');
}

// ---------------------------------------------------------------------------
// Cards
// ---------------------------------------------------------------------------

export function formCard(record: FullRecord, zone: string, maxActionPoints: number, options: { amending: boolean; message?: string }): CardRef {
  const session = record.session!;
  const parties = [
    { id: record.supervisorId, name: `${record.supervisor.name} (supervisor)` },
    ...session.attendees.map((a) => ({ id: a.personId, name: a.person.name })),
  ];
  const rows = Array.from({ length: maxActionPoints }, (_, i) => {
    const point = record.actionPoints.find((p) => p.ordinal === i + 1);
    return {
      n: i + 1,
      description: point?.description ?? '',
      ownerId: point?.ownerId ?? '',
      dueOn: point ? isoDate(point.dueOn) : '',
      kind: point?.kind ?? '',
      sharing: point?.sharing ?? '',
    };
  });
  const due = record.dueAt ? DateTime.fromJSDate(record.dueAt, { zone }).setLocale('en-GB').toFormat("HH:mm 'on' cccc d LLLL yyyy") : NONE;
  return {
    template: 'supervision-record',
    data: {
      heading: options.amending ? 'Amend the supervision record' : 'Write the supervision record',
      message: options.message ?? '',
      when: sessionWhen(session, zone),
      supervisees: session.attendees.map((a) => a.person.name).join(', '),
      due,
      status: STATUS_LABELS[record.status],
      format: record.format,
      type: record.type,
      attendees: session.attendees.map((a) => ({ personId: a.personId, name: a.person.name, attendance: a.attendance ?? 'ATTENDED' })),
      content: record.content ?? '',
      models: REFLECTIVE_MODELS.map((m) => ({ value: m, label: REFLECTIVE_MODEL_LABELS[m] })),
      reflectiveModel: record.reflectiveModel ?? '',
      reflectionNotes: notesText(record.reflectiveNotes),
      themes: record.themes ?? '',
      escalation: record.escalation ?? '',
      superviseeToldFirst: record.superviseeToldFirst === null ? '' : record.superviseeToldFirst ? 'yes' : 'no',
      parties,
      kinds: ACTION_POINT_KINDS.map((k) => ({ value: k, label: ACTION_POINT_KIND_LABELS[k] })),
      rows,
      amending: options.amending,
      submitTitle: options.amending ? 'Save the amendment and ask for signatures' : 'Save and send for signing',
      verb: options.amending ? 'record.amend' : 'record.save',
      recordId: record.id,
      version: record.version,
    },
  };
}

export function viewCard(record: FullRecord, zone: string, viewerId: string, heading: string, message = ''): CardRef {
  const session = record.session;
  const partyIds = recordPartyIds(relationOf(record));
  const signedNow = record.signatures.filter((s) => s.signedVersion === record.version).map((s) => s.personId);
  const names = new Map<string, string>([[record.supervisorId, record.supervisor.name], ...record.subjects.map((s) => [s.personId, s.person.name] as [string, string])]);
  return {
    template: 'record-view',
    data: {
      heading,
      message,
      when: session ? sessionWhen(session, zone) : NONE,
      supervisor: record.supervisor.name,
      supervisees: record.subjects.map((s) => s.person.name).join(', ') || NONE,
      format: FORMAT_LABELS[record.format],
      type: TYPE_LABELS[record.type],
      attendance:
        session?.attendees.map((a) => `${a.person.name}: ${a.attendance ? ATTENDANCE_LABELS[a.attendance] : NONE}`).join('; ') || NONE,
      status: STATUS_LABELS[record.status],
      versionLabel: String(record.version),
      signedBy: signedNow.map((id) => names.get(id) ?? id).join(', ') || NONE,
      content: record.content ?? NONE,
      reflectiveModel: record.reflectiveModel ? REFLECTIVE_MODEL_LABELS[record.reflectiveModel] : NONE,
      reflectionNotes: notesText(record.reflectiveNotes) || NONE,
      themes: record.themes ?? NONE,
      escalation: record.escalation ?? NONE,
      superviseeToldFirst: record.superviseeToldFirst === null ? NONE : record.superviseeToldFirst ? 'Yes' : 'No',
      actionPoints: record.actionPoints.map((p) => ({
        n: p.ordinal,
        description: p.description,
        owner: p.owner.name,
        due: longDate(isoDate(p.dueOn)),
        kind: ACTION_POINT_KIND_LABELS[p.kind],
        sharing: p.sharing ?? NONE,
        status: p.status === 'DONE' ? 'Done' : 'Open',
      })),
      canSign: record.status === 'AWAITING_SIGNATURES' && partyIds.includes(viewerId) && !signedNow.includes(viewerId),
      canAmend: record.status === 'SIGNED' && viewerId === record.supervisorId && Boolean(record.sessionId),
      recordId: record.id,
      sessionId: record.sessionId ?? '',
      version: record.version,
    },
  };
}

export type PointWithRecord = Prisma.ActionPointGetPayload<{ include: { record: { select: { supervisorId: true; organisationId: true; session: { select: { startsAt: true; endsAt: true } } } } } }>;

export function actionPointCard(point: PointWithRecord, zone: string, heading: string): CardRef {
  return {
    template: 'action-point',
    data: {
      heading,
      description: point.description,
      kind: ACTION_POINT_KIND_LABELS[point.kind],
      due: longDate(isoDate(point.dueOn)),
      session: point.record.session ? sessionWhen(point.record.session, zone) : NONE,
      status: point.status === 'DONE' ? 'Done' : 'Open',
      open: point.status === 'OPEN',
      actionPointId: point.id,
    },
  };
}

export const pointInclude = { record: { select: { supervisorId: true, organisationId: true, session: { select: { startsAt: true, endsAt: true } } } } } as const;
