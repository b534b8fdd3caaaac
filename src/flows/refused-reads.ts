// A refused attempt to read a record, a request's summary, someone's history, an audit trail or a
// person's data is itself written to the audit log (DESIGN.md section 3: every read of a record
// is audited; an information-governance lead needs the attempts too). Nothing else changes.
import { recordAudit } from '../db/audit.js';
import { findPersonByEmail } from '../db/directory.js';
import { isAuditCommand } from './audit-trail.js';
import { HISTORY_COMMAND } from './history.js';
import { parseSubjectAccessCommand } from './subject-access.js';
import type { FlowDeps, Inbound } from './types.js';
import type { Actor } from '../domain/actor.js';

/** Card actions that read something confidential, and where the card says what it was. */
const READ_ACTIONS: Record<string, { subjectType: string; idField: string }> = {
  'record.view': { subjectType: 'record', idField: 'recordId' },
  'record.audit': { subjectType: 'record', idField: 'recordId' },
  'request.details': { subjectType: 'request', idField: 'requestId' },
  'audit.csv': { subjectType: 'audit-trail', idField: 'recordId' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Attempt {
  attempted: string;
  subjectType: string;
  subjectId: string;
}

async function personByEmail(deps: FlowDeps, actor: Actor, email: string | undefined): Promise<string> {
  if (!email) return 'unknown';
  return (await findPersonByEmail(deps.db, actor.organisationId, email))?.id ?? 'unknown';
}

/** What a refused turn was trying to read, or undefined when it was not a read. */
async function readAttemptOf(deps: FlowDeps, actor: Actor, inbound: Inbound, command: string): Promise<Attempt | undefined> {
  if (inbound.kind === 'action') {
    const read = Object.hasOwn(READ_ACTIONS, inbound.actionId) ? READ_ACTIONS[inbound.actionId] : undefined;
    if (!read) return undefined;
    // The card's id is only what the person claimed to open: kept if it is an id at all.
    const id = inbound.value[read.idField];
    return { attempted: inbound.actionId, subjectType: read.subjectType, subjectId: typeof id === 'string' && UUID.test(id) ? id : 'unknown' };
  }
  const history = HISTORY_COMMAND.exec(command);
  if (history?.[1]) return { attempted: 'history', subjectType: 'person', subjectId: await personByEmail(deps, actor, history[1]) };
  const subjectAccess = parseSubjectAccessCommand(actor, command);
  if (subjectAccess) return { attempted: 'subject-access', subjectType: 'person', subjectId: await personByEmail(deps, actor, subjectAccess.email) };
  if (isAuditCommand(actor, command)) return { attempted: 'audit', subjectType: 'audit-trail', subjectId: 'query' };
  return undefined;
}

/** Audits a refused read (`read.refused`); `command` is the normalised message text, if any. */
export async function auditRefusedRead(deps: FlowDeps, actor: Actor, inbound: Inbound, command: string): Promise<void> {
  const attempt = await readAttemptOf(deps, actor, inbound, command);
  if (!attempt) return;
  await recordAudit(deps.db, {
    at: deps.clock.now(),
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'read.refused',
    subjectType: attempt.subjectType,
    subjectId: attempt.subjectId,
    platform: actor.platform,
    detail: { attempted: attempt.attempted },
  });
}
