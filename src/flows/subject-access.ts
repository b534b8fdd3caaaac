import { DomainError } from '../domain/errors.js';
import { canExportSubjectAccess } from '../domain/permissions.js';
import { recordAudit } from '../db/audit.js';
import { findPersonByEmail } from '../db/directory.js';
import { collectSubjectAccessData } from '../db/subject-access.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/** "subject access <e-mail>" (or "sar <e-mail>"); the e-mail part is checked by the flow. */
export const SUBJECT_ACCESS_COMMAND = /^(?:subject access|subject access request|sar)(?:\s+(.*))?$/i;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The e-mail part of a subject-access command, or null when the message is not one. The Head
 * gets every message that starts like the command (a typo gets the usage); anyone else only what
 * looks like a real one (and is refused), so "sar help me" still starts an ordinary request.
 */
export function parseSubjectAccessCommand(actor: Actor, command: string): { email: string | undefined } | null {
  const match = SUBJECT_ACCESS_COMMAND.exec(command);
  if (!match) return null;
  const rest = match[1]?.trim() || undefined;
  if (canExportSubjectAccess(actor) || rest === undefined || rest.includes('@')) return { email: rest };
  return null;
}
const NOT_HEAD = "Only the Head of Safeguarding can export a person's data for a subject-access request.";

/**
 * A subject-access export: everything the bot holds about one person, as a JSON file for the
 * Head of Safeguarding alone. Anyone else is refused before anything is looked up, so the
 * refusal never says whether the person exists. The export is audited (`sar.export`, counts
 * only) and so is the read of each record it contains (`record.read`, part "sar").
 */
export async function exportSubjectAccess(deps: FlowDeps, actor: Actor, emailText: string | undefined): Promise<TurnResult> {
  if (!canExportSubjectAccess(actor)) throw new DomainError('NOT_PERMITTED', NOT_HEAD);
  const email = (emailText ?? '').trim().toLowerCase();
  if (!EMAIL.test(email)) {
    throw new DomainError('INVALID_INPUT', 'Type "subject access" followed by the person\'s e-mail address, for example "subject access jane.doe@nhs.example".');
  }
  const person = await findPersonByEmail(deps.db, actor.organisationId, email);
  if (!person) {
    throw new DomainError('NOT_FOUND', `I can't find anyone with the e-mail ${email} in the staff directory, so I hold nothing about them under that address.`);
  }

  const data = await collectSubjectAccessData(deps.db, actor.organisationId, person.id);
  const now = deps.clock.now();
  const exportDoc = {
    subjectAccessExport: {
      about: { name: person.name, email: person.email },
      madeAt: now.toISOString(),
      madeFor: 'Head of Safeguarding, to answer a subject-access request',
      note: 'Everything the SG Supervision Bot holds about this person. Other people are named only where they acted on this person\'s data; the other supervisees of a group record are counted, not named.',
    },
    counts: data.counts,
    person: data.person,
    ...data.sections,
  };
  const content = Buffer.from(`${JSON.stringify(exportDoc, null, 2)}\n`, 'utf8');

  await deps.db.$transaction(async (tx) => {
    for (const recordId of data.recordIds) {
      await recordAudit(tx, {
        at: now,
        organisationId: actor.organisationId,
        actorId: actor.personId,
        action: 'record.read',
        subjectType: 'record',
        subjectId: recordId,
        platform: actor.platform,
        detail: { part: 'sar' },
      });
    }
    await recordAudit(tx, {
      at: now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'sar.export',
      subjectType: 'person',
      subjectId: person.id,
      platform: actor.platform,
      detail: { ...data.counts, bytes: content.length },
    });
  });

  const day = now.toISOString().slice(0, 10);
  return {
    replies: [
      {
        text: `Subject-access export for ${person.name}: ${data.counts.requests} requests, ${data.counts.sessions} sessions, ${data.counts.records} records, ${data.counts.actionPoints} action points, ${data.counts.reminders} reminders, ${data.counts.messages} other messages and ${data.counts.auditEvents} audit events. The file is for you alone; it contains confidential supervision content.`,
      },
    ],
    files: [
      {
        filename: `subject-access-${email.replace(/[^a-z0-9.-]/g, '_')}-${day}.json`,
        contentType: 'application/json',
        content,
        title: `Subject-access export: ${person.name}`,
        allowedRoles: ['HEAD_OF_SAFEGUARDING'],
      },
    ],
  };
}
