// Reminder rows: PostgreSQL is the source of truth for what is to be sent and what was sent.
import type { Db } from '../db/client.js';
import type { Reminder, ReminderKind } from '../db/generated/client.js';
import type { ReminderSubjectType } from '../domain/reminder-policy.js';

export interface ReminderSpec {
  organisationId: string;
  kind: ReminderKind;
  subjectType: ReminderSubjectType;
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

/** Rows per INSERT statement (each column is one array parameter, so this bounds the statement, not the parameter count). */
const INSERT_CHUNK = 5_000;

/**
 * Inserts the reminders that do not exist yet on (kind, subjectId, recipientKey, dueAt) and
 * returns exactly the ones this call created (INSERT … ON CONFLICT DO NOTHING RETURNING). Running
 * the sweep again creates nothing; two sweeps racing cannot both report the same row as created.
 *
 * One statement per chunk with a parameter array per column (unnest): a sweep that catches up a
 * backlog inserts thousands of rows, and Prisma's createManyAndReturn was about ten times slower
 * for the same rows (3.0 s against 0.26 s for 4,400 rows, measured on the development VM).
 */
/** `now` stamps updatedAt (record keeping only): the sweep passes its own clock's time. */
export async function upsertReminders(db: Db, specs: readonly ReminderSpec[], now: Date = new Date()): Promise<Reminder[]> {
  if (specs.length === 0) return [];
  const byKey = new Map<string, ReminderSpec>();
  for (const spec of specs) byKey.set(uniqueKey(spec), spec);
  const unique = [...byKey.values()];
  const created: Reminder[] = [];
  for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
    const chunk = unique.slice(i, i + INSERT_CHUNK);
    const rows = await db.$queryRaw<Reminder[]>`
      INSERT INTO "Reminder" ("id", "organisationId", "kind", "subjectType", "subjectId", "recipientKey", "recipientId", "dueAt", "sendAt", "urgent", "updatedAt")
      SELECT gen_random_uuid()::text, t.organisation_id, t.kind::"ReminderKind", t.subject_type, t.subject_id, t.recipient_key, t.recipient_id, t.due_at, t.send_at, t.urgent, ${now}::timestamptz
      FROM unnest(
        ${chunk.map((s) => s.organisationId)}::text[],
        ${chunk.map((s) => s.kind)}::text[],
        ${chunk.map((s) => s.subjectType)}::text[],
        ${chunk.map((s) => s.subjectId)}::text[],
        ${chunk.map((s) => s.recipientKey)}::text[],
        ${chunk.map((s) => s.recipientId ?? null)}::text[],
        ${chunk.map((s) => s.dueAt)}::timestamptz[],
        ${chunk.map((s) => s.sendAt ?? s.dueAt)}::timestamptz[],
        ${chunk.map((s) => s.urgent ?? false)}::boolean[]
      ) AS t(organisation_id, kind, subject_type, subject_id, recipient_key, recipient_id, due_at, send_at, urgent)
      ON CONFLICT ("kind", "subjectId", "recipientKey", "dueAt") DO NOTHING
      RETURNING *`;
    created.push(...rows);
  }
  return created;
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
