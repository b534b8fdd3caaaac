// A FAILED reminder retried by an administrator (src/flows/failed-reminders.ts) is reset in
// PostgreSQL to PENDING with attempts 0 and its lastError kept. Its old BullMQ job may still sit
// in the queue's failed set (kept a week for inspection), and a job id that exists blocks
// reconcile from adding it again; so before each reconcile the failed job of every such row is
// removed. Rows of that shape are few (only administrators make them), and the query uses the
// (status, sendAt) index.
import type { Db } from '../db/client.js';
import type { ReminderQueue } from './reconcile.js';
import { reminderJobId } from './jobs.js';

/** How a retried reminder looks until its next attempt: PENDING, no attempts, a last error. */
export const RETRIED_REMINDER = { status: 'PENDING', attempts: 0, lastError: { not: null } } as const;

export async function releaseRetriedJobs(db: Db, queue: Pick<ReminderQueue, 'getJob'>, until: Date): Promise<number> {
  const rows = await db.reminder.findMany({
    where: { ...RETRIED_REMINDER, sendAt: { lte: until } },
    select: { id: true },
    take: 1000,
  });
  let released = 0;
  for (const { id } of rows) {
    const job = await queue.getJob(reminderJobId(id));
    if (job && (await job.isFailed())) {
      await job.remove();
      released += 1;
    }
  }
  return released;
}
