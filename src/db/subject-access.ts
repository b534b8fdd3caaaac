// Everything the bot holds about one person, for a subject-access request (UK GDPR art. 15):
// their directory entry, requests, sessions and attendance, agreements and signatures, the
// records they are a subject or supervisor of (content included: this export goes to the
// Head of Safeguarding for the person), action points, reminders and other messages sent to them
// (plain text in full, cards by name) and the audit
// events about them, about their requests, sessions and records, or by them. Other people
// appear only by name where they acted on this person's data (a supervisor, a reader).
import type { Db } from './client.js';

export interface SubjectAccessCounts {
  requests: number;
  sessions: number;
  agreements: number;
  signatures: number;
  records: number;
  actionPoints: number;
  reminders: number;
  messages: number;
  auditEvents: number;
}

export interface SubjectAccessData {
  person: Record<string, unknown>;
  sections: Record<keyof SubjectAccessCounts | 'platformIdentities' | 'requestDraft', unknown>;
  counts: SubjectAccessCounts;
  /** Record ids included with their content: each read is audited by the caller. */
  recordIds: string[];
}

const nameOf = (p: { name: string } | null | undefined) => p?.name ?? null;


export async function collectSubjectAccessData(db: Db, organisationId: string, personId: string): Promise<SubjectAccessData> {
  const person = await db.person.findFirstOrThrow({
    where: { id: personId, organisationId },
    select: {
      id: true,
      name: true,
      email: true,
      jobTitle: true,
      roles: true,
      timeZone: true,
      quietHoursStart: true,
      quietHoursEnd: true,
      reasonableAdjustments: true,
      active: true,
      createdAt: true,
      updatedAt: true,
      staffGroup: { select: { name: true } },
      lineManager: { select: { name: true, email: true } },
      identities: { select: { platform: true, tenantId: true, platformUserId: true, createdAt: true } },
      drafts: { select: { step: true, data: true, createdAt: true, updatedAt: true } },
    },
  });

  const requests = await db.supervisionRequest.findMany({
    where: { organisationId, requesterId: personId },
    select: {
      id: true,
      reference: true,
      platform: true,
      immediateRisk: true,
      urgency: true,
      helpType: true,
      route: true,
      format: true,
      availability: true,
      adjustments: true,
      summary: true,
      identifierWarnings: true,
      status: true,
      staffGroupName: true,
      claimedAt: true,
      firstResponseAt: true,
      adviceFeedback: true,
      closedAt: true,
      outcome: true,
      createdAt: true,
      claimedBy: { select: { name: true } },
      closedBy: { select: { name: true } },
    },
    orderBy: { createdAt: 'asc' },
  });

  const sessions = await db.session.findMany({
    where: { organisationId, OR: [{ attendees: { some: { personId } } }, { supervisorId: personId }, { proposedById: personId }] },
    select: {
      id: true,
      format: true,
      type: true,
      status: true,
      startsAt: true,
      endsAt: true,
      durationMinutes: true,
      venue: true,
      onlineLink: true,
      cancelReason: true,
      cancelledAt: true,
      rebookBy: true,
      createdAt: true,
      supervisorId: true,
      proposedById: true,
      cancelledById: true,
      request: { select: { reference: true, requesterId: true } },
      supervisor: { select: { name: true } },
      attendees: { where: { personId }, select: { attendance: true, addedAt: true } },
      events: { where: { actorId: personId }, select: { fromStatus: true, toStatus: true, note: true, at: true } },
    },
    orderBy: { createdAt: 'asc' },
  });

  const agreements = await db.agreement.findMany({
    where: { OR: [{ parties: { some: { personId } } }, { supervisorId: personId }], template: { organisationId } },
    select: {
      id: true,
      status: true,
      reviewDue: true,
      createdAt: true,
      sessionId: true,
      supervisorId: true,
      supervisor: { select: { name: true } },
      template: { select: { kind: true, version: true, title: true, body: true } },
      signatures: { where: { personId }, select: { signedVersion: true, platform: true, signedAt: true } },
    },
    orderBy: { createdAt: 'asc' },
  });

  const records = await db.supervisionRecord.findMany({
    where: { organisationId, OR: [{ subjects: { some: { personId } } }, { supervisorId: personId }] },
    select: {
      id: true,
      kind: true,
      sessionId: true,
      format: true,
      type: true,
      status: true,
      content: true,
      reflectiveModel: true,
      reflectiveNotes: true,
      themes: true,
      escalation: true,
      superviseeToldFirst: true,
      version: true,
      dueAt: true,
      completedAt: true,
      createdAt: true,
      supervisorId: true,
      supervisor: { select: { name: true } },
      request: { select: { reference: true, requesterId: true } },
      subjects: { select: { personId: true } },
      signatures: { where: { personId }, select: { signedVersion: true, platform: true, signedAt: true } },
      amendments: { select: { fromVersion: true, toVersion: true, reason: true, previous: true, at: true, changedBy: { select: { name: true } } } },
    },
    orderBy: { createdAt: 'asc' },
  });

  const actionPoints = await db.actionPoint.findMany({
    where: { ownerId: personId, record: { organisationId } },
    select: { id: true, recordId: true, ordinal: true, description: true, kind: true, dueOn: true, sharing: true, status: true, doneAt: true, doneNote: true },
    orderBy: [{ dueOn: 'asc' }, { id: 'asc' }],
  });

  const reminders = await db.reminder.findMany({
    where: { organisationId, recipientId: personId },
    select: { kind: true, subjectType: true, subjectId: true, dueAt: true, sendAt: true, status: true, platform: true, sentAt: true, failedAt: true, attempts: true },
    orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
  });

  // Messages the bot sent (or tried to send) to the person. Plain text is theirs (they were
  // sent it); a card is named by its template only, as it may carry someone else's words (a
  // request's details sent to the specialist who claimed it).
  const messageRows = await db.outboundMessage.findMany({
    where: { organisationId, personId },
    select: { kind: true, label: true, message: true, status: true, attempts: true, createdAt: true, sentAt: true, failedAt: true, lastError: true },
    orderBy: [{ createdAt: 'asc' }, { seq: 'asc' }],
  });
  const messages = messageRows.map(({ message, ...m }) => {
    const body = (message ?? {}) as { text?: unknown; card?: { template?: unknown } };
    return {
      ...m,
      text: typeof body.text === 'string' ? body.text : null,
      card: typeof body.card?.template === 'string' ? body.card.template : null,
    };
  });

  // Audit events about the person, about what is theirs in this export, or by them.
  const subjects = [
    { subjectType: 'person', subjectId: personId },
    ...requests.map((r) => ({ subjectType: 'request', subjectId: r.id })),
    ...sessions.map((s) => ({ subjectType: 'session', subjectId: s.id })),
    ...records.map((r) => ({ subjectType: 'record', subjectId: r.id })),
    ...actionPoints.map((p) => ({ subjectType: 'action-point', subjectId: p.id })),
  ];
  const auditEvents = await db.auditEvent.findMany({
    where: { organisationId, OR: [...subjects, { actorId: personId }] },
    select: { action: true, subjectType: true, subjectId: true, platform: true, detail: true, at: true, actor: { select: { name: true } } },
    orderBy: [{ at: 'asc' }, { id: 'asc' }],
  });

  const signatures = [
    ...agreements.flatMap((a) => a.signatures.map((s) => ({ on: 'agreement', agreementId: a.id, ...s }))),
    ...records.flatMap((r) => r.signatures.map((s) => ({ on: 'record', recordId: r.id, ...s }))),
  ];

  return {
    person: {
      name: person.name,
      email: person.email,
      jobTitle: person.jobTitle,
      roles: person.roles,
      staffGroup: nameOf(person.staffGroup),
      lineManager: person.lineManager ? { name: person.lineManager.name, email: person.lineManager.email } : null,
      timeZone: person.timeZone,
      quietHours: person.quietHoursStart && person.quietHoursEnd ? { from: person.quietHoursStart, to: person.quietHoursEnd } : null,
      reasonableAdjustments: person.reasonableAdjustments,
      active: person.active,
      inDirectorySince: person.createdAt,
      updatedAt: person.updatedAt,
    },
    sections: {
      platformIdentities: person.identities,
      requestDraft: person.drafts,
      requests: requests.map(({ claimedBy, closedBy, ...r }) => ({ ...r, claimedBy: nameOf(claimedBy), closedBy: nameOf(closedBy) })),
      sessions: sessions.map(({ supervisor, attendees, events, request, supervisorId, proposedById, cancelledById, ...s }) => ({
        ...s,
        relation: [supervisorId === personId && 'supervisor', attendees.length > 0 && 'supervisee', proposedById === personId && 'proposer'].filter(Boolean),
        supervisor: nameOf(supervisor),
        cancelledByThisPerson: cancelledById === personId,
        request: request && request.requesterId === personId ? request.reference : null,
        attendance: attendees[0]?.attendance ?? null,
        events,
      })),
      agreements: agreements.map(({ supervisor, signatures: _own, template, supervisorId, ...a }) => ({
        ...a,
        relation: supervisorId === personId ? 'supervisor' : 'party',
        supervisor: nameOf(supervisor),
        kind: template.kind,
        title: template.title,
        textVersion: template.version,
        text: template.body,
      })),
      signatures,
      records: records.map(({ supervisor, subjects: recordSubjects, signatures: _own, request, supervisorId, ...r }) => ({
        ...r,
        relation: recordSubjects.some((s) => s.personId === personId) ? 'subject' : 'supervisor',
        supervisor: nameOf(supervisor),
        // Other supervisees of a group record are third parties: counted, not named.
        otherSubjects: recordSubjects.filter((s) => s.personId !== personId).length,
        request: request && request.requesterId === personId ? request.reference : null,
        amendments: r.amendments.map(({ changedBy, ...a }) => ({ ...a, changedBy: nameOf(changedBy) })),
      })),
      actionPoints,
      reminders,
      messages,
      auditEvents: auditEvents.map(({ actor, ...e }) => ({ ...e, actor: actor?.name ?? 'the bot' })),
    },
    counts: {
      requests: requests.length,
      sessions: sessions.length,
      agreements: agreements.length,
      signatures: signatures.length,
      records: records.length,
      actionPoints: actionPoints.length,
      reminders: reminders.length,
      messages: messages.length,
      auditEvents: auditEvents.length,
    },
    recordIds: records.map((r) => r.id),
  };
}
