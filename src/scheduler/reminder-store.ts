// Reminder rows: PostgreSQL is the source of truth for what is to be sent and what was sent.
import type { Db } from '../db/client.js';
import type { Reminder, ReminderKind } from '../db/generated/client.js';

export interface ReminderSpec {
  organisationId: string;
  kind: ReminderKind;
  subjectType: string;
  subjectId: string;
  /** "person:<id>" or "triage:<organisationId>". */
  recipientKey: string;
  recipientId?: string | null;
  dueAt: Date;
  /** dueAt moved out of quiet hours; defaults to dueAt. */
  sendAt?: Date;
  urgent?: boolean;
}

function uniqueKey(r: { kind: string; subjectId: string; recipientKey: string; dueAt: Date }): string {
  return `${r.kind}\u0000${r.subjectId}\u0000${r.recipientKey}\u0000${r.dueAt.getTime()}`;
}

/**
 * Inserts the reminders that do not exist yet on (kind, subjectId, recipientKey, dueAt) and
 * returns exactly the ones this call created (INSERT … ON CONFLICT DO NOTHING RETURNING, through
 * createManyAndReturn with skipDuplicates). Running the sweep again creates nothing; two sweeps
 * racing cannot both report the same row as created.
 */
export async function upsertReminders(db: Db, specs: readonly ReminderSpec[]): Promise<Reminder[]> {
  if (specs.length === 0) return [];
  const byKey = new Map<string, ReminderSpec>();
  for (const spec of specs) byKey.set(uniqueKey(spec), spec);
  return db.reminder.createManyAndReturn({
    data: [...byKey.values()].map((s) => ({
      organisationId: s.organisationId,
      kind: s.kind,
      subjectType: s.subjectType,
      subjectId: s.subjectId,
      recipientKey: s.recipientKey,
      recipientId: s.recipientId ?? null,
      dueAt: s.dueAt,
      sendAt: s.sendAt ?? s.dueAt,
      urgent: s.urgent ?? false,
    })),
    skipDuplicates: true,
  });
}

/** Where the previous page of dueForQueue ended (keyset pagination on (sendAt, id)). */
export interface DueCursor {
  sendAt: Date;
  id: string;
}

/**
 * PENDING reminders to send by `until`, earliest first, at most `limit`, after `cursor` when
 * given. Served by the (status, sendAt) index: the cost grows with what is due, not with the table.
 */
export async function dueForQueue(db: Db, until: Date, limit: number, cursor?: DueCursor): Promise<Reminder[]> {
  return db.reminder.findMany({
    where: {
      status: 'PENDING',
      sendAt: { lte: until },
      ...(cursor ? { OR: [{ sendAt: { gt: cursor.sendAt } }, { sendAt: cursor.sendAt, id: { gt: cursor.id } }] } : {}),
    },
    orderBy: [{ sendAt: 'asc' }, { id: 'asc' }],
    take: limit,
  });
}
