// Wires a BullMQ Worker to deliverReminder. No rules here: payload validation is in jobs.ts,
// delivery in deliver-reminder.ts.
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Db } from '../db/client.js';
import { DeliveryRateLimitedError, deliverReminder, type DeliverDeps, type DeliveryOutcome } from './deliver-reminder.js';
import { JobName, parseDeliverReminderPayload, REMINDER_QUEUE } from './jobs.js';

export interface ReminderWorkerOptions {
  connection: ConnectionOptions;
  /** Redis key prefix; must match the queue's. */
  prefix?: string;
  db: Db;
  deliverDeps: Omit<DeliverDeps, 'db'>;
  /** Jobs processed at once by this process (default 5). */
  concurrency?: number;
  /** At most `max` jobs per `duration` ms across all workers of the queue (platform quotas). */
  limiter?: { max: number; duration: number };
  /** Start fetching jobs at once (default true). */
  autorun?: boolean;
}

export interface ReminderWorker {
  readonly worker: Worker;
  /** Stops taking jobs and waits for the in-flight ones to finish. */
  close(): Promise<void>;
}

export function createReminderWorker(options: ReminderWorkerOptions): ReminderWorker {
  const deps: DeliverDeps = { ...options.deliverDeps, db: options.db };
  const { logger } = deps;

  const processor = async (job: Job): Promise<DeliveryOutcome> => {
    if (job.name !== JobName.deliverReminder) {
      throw new UnrecoverableError(`unknown job name on ${REMINDER_QUEUE}`);
    }
    const { reminderId } = parseDeliverReminderPayload(job.data);
    try {
      return await deliverReminder(deps, reminderId, {
        attemptsMade: job.attemptsMade,
        maxAttempts: job.opts.attempts ?? 1,
      });
    } catch (error) {
      if (error instanceof DeliveryRateLimitedError) {
        // Pause the whole queue (the platform's quota is shared), then hand the job back
        // without using one of its attempts.
        await worker.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
      throw error;
    }
  };

  const worker: Worker = new Worker(REMINDER_QUEUE, processor, {
    connection: options.connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    concurrency: options.concurrency ?? 5,
    ...(options.limiter ? { limiter: options.limiter } : {}),
    autorun: options.autorun ?? true,
  });

  worker.on('failed', (job, error) => {
    // UnrecoverableError (bad payload, unreachable recipient) and exhausted attempts end here.
    logger.error(
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: { name: error.name } },
      'reminder job failed',
    );
  });
  worker.on('error', (error) => {
    logger.error({ err: { name: error.name } }, 'reminder worker error');
  });

  let closing: Promise<void> | undefined;
  return {
    worker,
    close() {
      closing ??= worker.close();
      return closing;
    },
  };
}
