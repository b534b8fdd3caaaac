// An organisation's contacts from a CSV file (format in src/domain/contact-rows.ts): the whole
// list is replaced, in the file's order, in one audited transaction; a file with any problem
// changes nothing.
import { checkContactsCsv } from '../domain/contact-rows.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation, type ChangeActor } from './organisation-change.js';

/** `by`: the administrator who changed them in chat (the organisation settings card); absent, the command line. */
export async function setContacts(db: Db, slug: string, csvText: string, clock: Clock, by?: ChangeActor): Promise<{ contacts: number; removed: number }> {
  const checked = checkContactsCsv(csvText);
  return changeOrganisation(db, slug, clock, 'organisation.contacts.set', async (tx, org) => {
    if (!checked.ok) throw new SetupRefusedError(checked.problems);
    const { count: removed } = await tx.organisationContact.deleteMany({ where: { organisationId: org.id } });
    await tx.organisationContact.createMany({
      data: checked.contacts.map(({ kind, label, phone, email, url, availability, sortOrder }) => ({
        organisationId: org.id,
        kind,
        label,
        phone,
        email,
        url,
        availability,
        sortOrder,
      })),
    });
    const kinds = [...new Set(checked.contacts.map((c) => c.kind))].join(',');
    return { result: { contacts: checked.contacts.length, removed }, detail: { contacts: checked.contacts.length, removed, kinds } };
  }, { ...(by ? { by } : {}) });
}
