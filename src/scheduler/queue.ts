// The producer side of the reminder queue.
import { Queue, type ConnectionOptions, type Telemetry } from 'bullmq';
import { REMINDER_QUEUE } from './jobs.js';
import type { ReminderQueue } from './reconcile.js';

export interface ReminderQueueOptions {
  connection: ConnectionOptions;
  /** Redis key prefix (default "bull"); tests use one per file. */
  prefix?: string;
  /** Carries the request id of the turn or sweep that adds a job into the job (request-context.ts). */
  telemetry?: Telemetry;
}

export function createReminderQueue(options: ReminderQueueOptions): ReminderQueue {
  return new Queue(REMINDER_QUEUE, {
    connection: options.connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });
}
