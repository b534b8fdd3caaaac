// The producer side of the reminder queue.
import { Queue, type ConnectionOptions } from 'bullmq';
import { REMINDER_QUEUE } from './jobs.js';
import type { ReminderQueue } from './reconcile.js';

export interface ReminderQueueOptions {
  connection: ConnectionOptions;
  /** Redis key prefix (default "bull"); tests use one per file. */
  prefix?: string;
}

export function createReminderQueue(options: ReminderQueueOptions): ReminderQueue {
  return new Queue(REMINDER_QUEUE, {
    connection: options.connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
  }) as ReminderQueue;
}
