// Queue names, job names and payload schemas of the reminder scheduler, in one place.
// A job is derived from a Reminder row (PostgreSQL is the source of truth): its id is the
// reminder id, so adding it again is a no-op and a flushed Redis is rebuilt by reconcile.
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';

export const REMINDER_QUEUE = 'reminders';

export const JobName = {
  deliverReminder: 'deliver-reminder',
  /** One try of an OutboundMessage row (channels/message-delivery.ts); the row keeps the retry schedule. */
  deliverMessage: 'deliver-message',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

export const deliverReminderPayload = z.object({ reminderId: z.uuid() }).strict();
export type DeliverReminderPayload = z.infer<typeof deliverReminderPayload>;

/** The job id of a reminder's delivery job: the reminder id itself (stable, idempotent). */
export function reminderJobId(reminderId: string): string {
  return reminderId;
}

/** Producer side: a payload that does not validate is a programming error, thrown at once. */
export function buildDeliverReminderPayload(reminderId: string): DeliverReminderPayload {
  return deliverReminderPayload.parse({ reminderId });
}

/**
 * Consumer side: a payload that does not validate can never succeed, so it is an
 * UnrecoverableError (BullMQ fails the job without retrying it). The message names the
 * failing fields only, never their values.
 */
function parsePayload<T extends z.ZodType>(schema: T, name: JobName, data: unknown): z.infer<T> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))].join(', ');
    throw new UnrecoverableError(`invalid ${name} payload: ${fields}`);
  }
  return result.data;
}

export function parseDeliverReminderPayload(data: unknown): DeliverReminderPayload {
  return parsePayload(deliverReminderPayload, JobName.deliverReminder, data);
}

export const deliverMessagePayload = z.object({ messageId: z.uuid() }).strict();
export type DeliverMessagePayload = z.infer<typeof deliverMessagePayload>;

/** One job per try of a message row: the row id and the try's number (a retried row gets a new job). */
export function messageJobId(messageId: string, attempts: number): string {
  return `message-${messageId}-${attempts}`;
}

export function parseDeliverMessagePayload(data: unknown): DeliverMessagePayload {
  return parsePayload(deliverMessagePayload, JobName.deliverMessage, data);
}
