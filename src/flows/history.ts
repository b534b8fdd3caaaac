import { DateTime } from 'luxon';
import { DomainError } from '../domain/errors.js';
import { assertCanReadRecord, canReadAuditTrail, canSeeHistory } from '../domain/permissions.js';
import { recordAudit } from '../db/audit.js';
import { findPersonByEmail } from '../db/directory.js';
import { loadOrganisation } from '../db/organisations.js';
import { auditRead, loadRecord, relationOf, STATUS_LABELS, viewCard } from './record-cards.js';
import { NONE, TYPE_LABELS } from './labels.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/** "history" or "history someone@example.org"; anything else is an ordinary message. */
export const HISTORY_COMMAND = /^history(?:\s+(\S*@\S*))?$/i;

/** How many records the history card lists, newest first. */
export const HISTORY_LIMIT = 20;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const KIND_LABELS = { SESSION: 'Session', ADVICE: 'Advice' } as const;

/**
 * "history": the actor's supervision records (sessions they supervised or attended, and the
 * advice records from their requests), newest first. The list shows no content; "View" reads
 * one record (audited). The Head and specialists may ask for someone else's by e-mail.
 */
export async function showHistory(deps: FlowDeps, actor: Actor, email?: string): Promise<TurnResult> {
  let person = { id: actor.personId, name: actor.name };
  // Anyone may name themselves; only the safeguarding team may name someone else.
  const own = email !== undefined && (await deps.db.person.count({ where: { id: actor.personId, email: email.trim().toLowerCase() } })) > 0;
  if (email !== undefined && !own) {
    if (!canSeeHistory(actor, own)) {
      throw new DomainError('NOT_PERMITTED', "Only the Head of Safeguarding and the safeguarding specialists can see someone else's supervision history.");
    }
    const address = email.trim().toLowerCase();
    if (!EMAIL.test(address)) throw new DomainError('INVALID_INPUT', `"${email}" is not an e-mail address. Type "history" followed by the person's e-mail.`);
    const found = await findPersonByEmail(deps.db, actor.organisationId, address);
    if (!found) throw new DomainError('NOT_FOUND', `I can't find anyone with the e-mail ${address} in the staff directory.`);
    person = found;
  }
  const records = await deps.db.supervisionRecord.findMany({
    where: { organisationId: actor.organisationId, OR: [{ supervisorId: person.id }, { subjects: { some: { personId: person.id } } }] },
    select: {
      id: true,
      kind: true,
      type: true,
      status: true,
      supervisorId: true,
      createdAt: true,
      completedAt: true,
      supervisor: { select: { name: true } },
      subjects: { select: { person: { select: { name: true } } } },
      session: { select: { startsAt: true } },
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: HISTORY_LIMIT,
  });
  if (person.id !== actor.personId) {
    await recordAudit(deps.db, {
      at: deps.clock.now(),
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'history.read',
      subjectType: 'person',
      subjectId: person.id,
      platform: actor.platform,
      detail: { records: records.length },
    });
  }
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const canAudit = canReadAuditTrail(actor);
  return {
    replies: [
      {
        card: {
          template: 'history',
          data: {
            heading: person.id === actor.personId ? 'Your supervision history' : `Supervision history of ${person.name}`,
            count: records.length,
            limit: HISTORY_LIMIT,
            records: records.map((r) => ({
              date: DateTime.fromJSDate(r.session?.startsAt ?? r.completedAt ?? r.createdAt, { zone }).setLocale('en-GB').toFormat('d LLL yyyy'),
              kind: KIND_LABELS[r.kind],
              type: TYPE_LABELS[r.type],
              other: r.supervisorId === person.id ? r.subjects.map((s) => s.person.name).join(', ') || NONE : r.supervisor.name,
              otherTitle: r.supervisorId === person.id ? 'Supervisee' : r.kind === 'ADVICE' ? 'Advice from' : 'Supervisor',
              status: STATUS_LABELS[r.status],
              recordId: r.id,
              canAudit,
            })),
          },
        },
      },
    ],
  };
}

/** "View" on a history card: one record, for those who may read it; the read is audited. */
export async function viewRecord(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const record = await loadRecord(deps.db, value.recordId, actor.organisationId);
  assertCanReadRecord(actor, relationOf(record));
  await auditRead(deps.db, record, actor.personId, actor, 'history', deps.clock.now());
  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const heading = record.kind === 'ADVICE' ? 'Advice record' : 'Supervision record';
  return { replies: [{ card: viewCard(record, zone, actor.personId, heading) }] };
}
