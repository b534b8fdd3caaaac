// Wires a BullMQ Worker to deliverReminder. No rules here: payload validation is in jobs.ts,
// delivery in deliver-reminder.ts, pacing in channels/rate-limit.ts. A send that must wait (the shared
// limiter's SendDeferredError, or the platform's 429 Retry-After) delays only its own job
// (moveToDelayed + DelayedError: no attempt used, the rest of the queue keeps going). Other
// failed sends are retried by BullMQ's exponential backoff with jitter (reconcile.ts).
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job, type Telemetry } from 'bullmq';
import type { Db } from '../db/client.js';
import { SendDeferredError } from '../channels/rate-limit.js';
import { DeliveryRateLimitedError, deliverReminder, type DeliverDeps } from './deliver-reminder.js';
import { JobName, parseDeliverMessagePayload, parseDeliverReminderPayload, REMINDER_QUEUE } from './jobs.js';
import type { MessageDelivery } from '../channels/message-delivery.js';
import { onceAMinute } from '../logger.js';

export interface ReminderWorkerOptions {
  connection: ConnectionOptions;
  /** Redis key prefix; must match the queue's. */
  prefix?: string;
  db: Db;
  deliverDeps: Omit<DeliverDeps, 'db'>;
  /** Tries of OutboundMessage rows (the turn messages), on the same queue, senders and limiter. */
  messages?: MessageDelivery;
  /** Jobs processed at once by this process (default 5). */
  concurrency?: number;
  /** At most `max` jobs per `duration` ms across all workers of the queue (platform quotas). */
  limiter?: { max: number; duration: number };
  /** Start fetching jobs at once (default true). */
  autorun?: boolean;
  /**
   * How long a job's lock lasts and how often stalled jobs are looked for (BullMQ defaults
   * 30 s each): after a worker dies, its jobs in flight run again within about their sum.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Runs each job in the request context of the turn or sweep that queued it (request-context.ts). */
  telemetry?: Telemetry;
}

export interface ReminderWorker {
  readonly worker: Worker;
  /** Stops taking jobs and waits for the in-flight ones to finish. */
  close(): Promise<void>;
}

/** Share of a Retry-After added at random, so the jobs a 429 stopped do not return together. */
const RETRY_AFTER_JITTER = 0.2;

export function createReminderWorker(options: ReminderWorkerOptions): ReminderWorker {
  const deps: DeliverDeps = { ...options.deliverDeps, db: options.db };
  const { logger } = deps;

  const processor = async (job: Job, token?: string): Promise<string> => {
    if (job.name === JobName.deliverMessage && options.messages) {
      const { messageId } = parseDeliverMessagePayload(job.data);
      // One try; the row keeps the retry schedule (a failed try is PENDING with a later nextAttemptAt).
      return options.messages.deliver(messageId);
    }
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
      const delayMs =
        error instanceof SendDeferredError
          ? error.delayMs
          : error instanceof DeliveryRateLimitedError
            ? error.retryAfterMs * (1 + Math.random() * RETRY_AFTER_JITTER)
            : undefined;
      if (delayMs !== undefined) {
        // Wall time on purpose: BullMQ schedules delayed jobs by Redis's and Node's real clocks.
        await job.moveToDelayed(Date.now() + Math.ceil(delayMs), token);
        throw new DelayedError();
      }
      throw error;
    }
  };

  const worker: Worker = new Worker(REMINDER_QUEUE, processor, {
    connection: options.connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    concurrency: options.concurrency ?? 5,
    ...(options.limiter ? { limiter: options.limiter } : {}),
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    autorun: options.autorun ?? true,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });

  worker.on('failed', (job, error) => {
    // UnrecoverableError (bad payload, unreachable recipient) and exhausted attempts end here.
    logger.error(
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: { name: error.name } },
      'reminder job failed',
    );
  });
  // One line per distinct error a minute: a Redis outage raises one per reconnect.
  worker.on('error', onceAMinute(logger, 'reminder worker error'));

  let closing: Promise<void> | undefined;
  return {
    worker,
    close() {
      closing ??= worker.close();
      return closing;
    },
  };
}
