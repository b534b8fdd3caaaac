// At start, every organisation's staff-support contacts are checked (rule in
// src/domain/contact-rows.ts): the bot signposts people to them after a distressing case (seeds 000
// procedure 4.6), so each needs a phone number, email or link. One stored before that rule, or
// written by hand, would be shown as a name with no way to reach it; so the start names the
// organisation, the contact and the command that replaces the list.
import { ConfigError } from '../config.js';
import { REACH_REQUIRED, reachProblem } from '../domain/contact-rows.js';
import type { Db } from './client.js';

export interface ContactProblem {
  organisation: { id: string; slug: string; name: string };
  contact: { kind: string; label: string };
  reason: string;
}

/** The command that replaces an organisation's contacts, as the start message gives it. */
export function setContactsCommand(slug: string): string {
  return `npm run org -- set-contacts ${slug} contacts.csv`;
}

/** Every stored contact the bot would signpost without a way to reach it; empty when there is none. */
export async function findUnreachableContacts(db: Db): Promise<ContactProblem[]> {
  const contacts = await db.organisationContact.findMany({
    where: { kind: { in: [...REACH_REQUIRED] } },
    select: { kind: true, label: true, phone: true, email: true, url: true, organisation: { select: { id: true, slug: true, name: true } } },
    orderBy: [{ organisation: { slug: 'asc' } }, { sortOrder: 'asc' }, { label: 'asc' }],
  });
  return contacts.flatMap(({ organisation, ...contact }) => {
    const reason = reachProblem(contact);
    return reason ? [{ organisation, contact: { kind: contact.kind, label: contact.label }, reason }] : [];
  });
}

/** One line per problem: the organisation, the contact, why, and the command that fixes it. */
export function describeContactProblems(problems: readonly ContactProblem[]): string[] {
  return problems.map(
    (p) => `  organisation "${p.organisation.name}" (${p.organisation.slug}): ${p.contact.kind} "${p.contact.label}" has no phone, email or url: ${setContactsCommand(p.organisation.slug)}`,
  );
}

/** Rejects with one line per contact when any organisation signposts a contact nobody can reach. */
export async function assertContactsReachable(db: Db): Promise<void> {
  const problems = await findUnreachableContacts(db);
  if (problems.length === 0) return;
  throw new ConfigError(
    `Staff-support contacts without a phone number, email or link, so the bot did not start (it gives them to people to get in touch):\n${describeContactProblems(problems).join('\n')}\nGive each one a phone, email or https:// url in the contacts file and load it again (npm run org -- show <slug> lists the current contacts), then start again.`,
  );
}
