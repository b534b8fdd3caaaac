// Derives BullMQ jobs from Reminder rows. Every due PENDING reminder gets a delayed job whose
// id is the reminder id, so running this again adds nothing and running it after Redis lost
// its data (FLUSHALL, failover without persistence) re-creates every job from PostgreSQL.
import type { JobsOptions, Queue } from 'bullmq';
import type { Db } from '../db/client.js';
import { buildDeliverReminderPayload, JobName, reminderJobId, type DeliverReminderPayload } from './jobs.js';
import { dueForQueue, type DueCursor } from './reminder-store.js';

export interface DeliveryJobOptions {
  /** Tries per reminder before it is marked FAILED (default 5). */
  attempts?: number;
  /** First retry delay; doubled each retry (default 30 s). */
  backoffMs?: number;
  /** Share of each backoff delay randomised, 0..1 (default 0.5), so retries do not stampede. */
  jitter?: number;
}

export interface ReconcileOptions {
  now: Date;
  /** Reminders with sendAt up to now + horizonMs get a (delayed) job. */
  horizonMs: number;
  /** Rows read per page (default 500). */
  batchSize?: number;
  job?: DeliveryJobOptions;
}

export interface ReconcileResult {
  /** Due PENDING reminders seen (each has a job once this returns). */
  scanned: number;
  /** Jobs that had ended in Redis while their row was still PENDING, and were added again. */
  revived: number;
}

/**
 * A PENDING row this long past its send time whose job has ended is stuck: BullMQ fails a job
 * that stalled too often (its worker died twice holding it) without our code running, and a job
 * id that still exists blocks adding it again.
 */
export const STUCK_AFTER_MS = 5 * 60_000;

export type ReminderQueue = Queue<DeliverReminderPayload, unknown, string>;

export function deliveryJobOptions(options: DeliveryJobOptions = {}): JobsOptions {
  return {
    attempts: options.attempts ?? 5,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 30_000, jitter: options.jitter ?? 0.5 },
    // A completed job's row is SENT or CANCELLED, so it is never due again: nothing to keep.
    removeOnComplete: true,
    // Failed jobs stay a week for inspection; the row (FAILED, lastError) is the durable record.
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * Adds a delayed job per due PENDING reminder (jobId = reminder id, delay = max(0, sendAt - now)).
 * BullMQ ignores an add whose job id exists, so this is idempotent.
 */
export async function reconcileQueue(db: Db, queue: ReminderQueue, options: ReconcileOptions): Promise<ReconcileResult> {
  const until = new Date(options.now.getTime() + options.horizonMs);
  const batchSize = options.batchSize ?? 500;
  const jobOptions = deliveryJobOptions(options.job);
  let cursor: DueCursor | undefined;
  let scanned = 0;
  let revived = 0;
  for (;;) {
    const due = await dueForQueue(db, until, batchSize, cursor);
    if (due.length === 0) break;
    await queue.addBulk(
      due.map((reminder) => ({
        name: JobName.deliverReminder,
        data: buildDeliverReminderPayload(reminder.id),
        opts: {
          ...jobOptions,
          jobId: reminderJobId(reminder.id),
          delay: Math.max(0, reminder.sendAt.getTime() - options.now.getTime()),
        },
      })),
    );
    scanned += due.length;
    revived += await reviveEndedJobs(queue, due, options.now, jobOptions);
    const last = due[due.length - 1]!;
    cursor = { sendAt: last.sendAt, id: last.id };
    if (due.length < batchSize) break;
  }
  return { scanned, revived };
}

/** Re-adds the job of each long-overdue row whose job is failed or completed in Redis. */
async function reviveEndedJobs(
  queue: ReminderQueue,
  due: ReadonlyArray<{ id: string; sendAt: Date }>,
  now: Date,
  jobOptions: JobsOptions,
): Promise<number> {
  let revived = 0;
  for (const reminder of due) {
    if (now.getTime() - reminder.sendAt.getTime() < STUCK_AFTER_MS) break; // rows are in sendAt order
    const jobId = reminderJobId(reminder.id);
    const state = await queue.getJobState(jobId);
    if (state !== 'failed' && state !== 'completed') continue;
    await queue.remove(jobId);
    await queue.add(JobName.deliverReminder, buildDeliverReminderPayload(reminder.id), { ...jobOptions, jobId });
    revived += 1;
  }
  return revived;
}
