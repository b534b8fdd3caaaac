/** Words shown on cards for stored values, in one place so every card says the same thing. */

/** Shown for facts that have no value yet, so every card lays out the same way. */
export const NONE = '—';

/** Session formats, and a request's preference (which may also be "either"). */
export const FORMAT_LABELS = { INDIVIDUAL: 'Individual', GROUP: 'Group', EITHER: 'Either' } as const;

export const TYPE_LABELS = { MANDATORY: 'Mandatory', ON_REQUEST: 'On request', CHILD_DEATH: 'Case involving child death' } as const;
