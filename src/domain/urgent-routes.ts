export type ContactKind =
  | 'SUPERVISION_INBOX'
  | 'DUTY_LINE'
  | 'OUT_OF_HOURS_LINE'
  | 'EMERGENCY_DUTY_TEAM'
  | 'EMERGENCY_SERVICES'
  | 'STAFF_SUPPORT';

export interface Contact {
  kind: ContactKind;
  label: string;
  phone?: string | null;
  email?: string | null;
  url?: string | null;
  availability?: string | null;
}

export interface ContactLine {
  label: string;
  detail: string;
}

function how(contact: Contact): string {
  const parts = [contact.phone, contact.email, contact.url].filter(Boolean);
  const when = contact.availability ? ` (${contact.availability})` : '';
  return `${parts.join(', ')}${when}`.trim();
}

/**
 * The routes for someone at immediate risk now, in the order to use them (seeds 000 7.2.4,
 * 003 5.5): emergency services first; the duty line while the safeguarding team is on duty;
 * the 24/7 line always; the Emergency Duty Team out of hours.
 */
export function urgentRoutes(contacts: Contact[], inServiceHours: boolean): ContactLine[] {
  const order: ContactKind[] = inServiceHours
    ? ['EMERGENCY_SERVICES', 'DUTY_LINE', 'OUT_OF_HOURS_LINE']
    : ['EMERGENCY_SERVICES', 'OUT_OF_HOURS_LINE', 'EMERGENCY_DUTY_TEAM'];
  return order.flatMap((kind) =>
    contacts.filter((c) => c.kind === kind).map((c) => ({ label: c.label, detail: how(c) || c.label })),
  );
}

/** Staff-support services to signpost (seeds 000 procedure 4.6). */
export function staffSupport(contacts: Contact[]): ContactLine[] {
  return contacts.filter((c) => c.kind === 'STAFF_SUPPORT').map((c) => ({ label: c.label, detail: how(c) || c.label }));
}
