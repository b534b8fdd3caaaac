// Prometheus metrics of the reminder scheduler, on a registry passed in (tests make their own).
// Delivery is observed from outside deliverReminder: the worker's send and isSubjectLive are
// wrapped (what kind a reminder is, when it was sent, which platform took it, why a send threw)
// and BullMQ's 'completed' / 'failed' events give each job's outcome. Queue depth is read from
// BullMQ when Prometheus scrapes, so it is never stale.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Job, Worker } from 'bullmq';
import type { Db } from '../db/client.js';
import type { Reminder } from '../db/generated/client.js';
import type { DeliverDeps, DeliveryOutcome, SendResult } from './deliver-reminder.js';
import type { ReminderQueue } from './reconcile.js';
import type { SweepResult } from './sweep.js';

/** Queue states reported as sg_reminder_queue_jobs{state}. */
export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;

/** Outcomes counted by sg_reminders_total{outcome}. */
export type CountedOutcome = 'sent' | 'failed' | 'cancelled' | 'duplicate-avoided';

/** Lateness buckets in seconds: the target is under 1 s; bursts and quiet hours go further. */
const LATENESS_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

/** Reminders remembered between the send and the job's event; bounded in case events are lost. */
const MAX_TRACKED = 10_000;

export interface SchedulerMetrics {
  readonly registry: Registry;
  recordOutcome(outcome: CountedOutcome, kind: string, platform: string): void;
  recordSendFailure(error: unknown): void;
  recordLateness(kind: string, seconds: number): void;
  recordSweep(durationSeconds: number, result: SweepResult): void;
  /** Report this queue's depth at scrape time (one queue per registry). */
  observeQueue(queue: Pick<ReminderQueue, 'getJobCounts'>): void;
}

/** An error's class for a label: its name, and the HTTP status class when it has one. */
export function errorClassOf(error: unknown): string {
  if (!(error instanceof Error)) return 'non-error';
  const e = error as { statusCode?: unknown; status?: unknown };
  const status = Number(e.statusCode ?? e.status);
  const name = /^[A-Za-z][\w.]{0,60}$/.test(error.name) ? error.name : 'Error';
  if (status === 429) return `${name} 429`;
  if (Number.isInteger(status) && status >= 400 && status < 600) return `${name} ${Math.floor(status / 100)}xx`;
  return name;
}

export function createSchedulerMetrics(registry: Registry): SchedulerMetrics {
  const registers = [registry];
  const reminders = new Counter({
    name: 'sg_reminders_total',
    help: 'Reminder deliveries by outcome (sent, failed, cancelled, duplicate-avoided), kind and platform',
    labelNames: ['outcome', 'kind', 'platform'] as const,
    registers,
  });
  const sendFailures = new Counter({
    name: 'sg_reminder_send_failures_total',
    help: 'Failed attempts to post a reminder to a platform, by error class (retried or not)',
    labelNames: ['error_class'] as const,
    registers,
  });
  const lateness = new Histogram({
    name: 'sg_reminder_lateness_seconds',
    help: 'Seconds between when a reminder was due to be sent (sendAt) and when it was sent',
    labelNames: ['kind'] as const,
    buckets: LATENESS_BUCKETS,
    registers,
  });
  const sweepDuration = new Histogram({
    name: 'sg_reminder_sweep_duration_seconds',
    help: 'Duration of a reminder sweep (due facts to reminder rows)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const sweepCreated = new Counter({
    name: 'sg_reminder_sweep_rows_created_total',
    help: 'Reminder rows created by sweeps, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  let queue: Pick<ReminderQueue, 'getJobCounts'> | undefined;
  new Gauge({
    name: 'sg_reminder_queue_jobs',
    help: 'Jobs in the reminder queue by state, read from BullMQ at scrape time',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      if (!queue) return;
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });

  return {
    registry,
    recordOutcome: (outcome, kind, platform) => reminders.inc({ outcome, kind, platform }),
    recordSendFailure: (error) => sendFailures.inc({ error_class: errorClassOf(error) }),
    recordLateness: (kind, seconds) => lateness.observe({ kind }, Math.max(0, seconds)),
    recordSweep(durationSeconds, result) {
      sweepDuration.observe(durationSeconds);
      for (const [kind, n] of Object.entries(result.byKind)) if (n) sweepCreated.inc({ kind }, n);
    },
    observeQueue(observed) {
      queue = observed;
    },
  };
}

type Observed = Pick<DeliverDeps, 'send' | 'isSubjectLive'>;

/**
 * Wraps the worker's send and isSubjectLive so outcomes can be labelled without reading the
 * row again, and returns `attach(worker)` to count each job's outcome from BullMQ's events.
 */
export function instrumentDelivery(
  metrics: SchedulerMetrics,
  deps: Observed,
  context: { clock: { now(): Date }; db?: Pick<Db, 'reminder'> },
) {
  const { clock, db } = context;
  const seen = new Map<string, { kind: string; platform: string }>();
  const remember = (reminder: Reminder, platform = 'none') => {
    seen.delete(reminder.id);
    seen.set(reminder.id, { kind: reminder.kind, platform });
    if (seen.size > MAX_TRACKED) seen.delete(seen.keys().next().value!);
  };
  /** The kind and platform seen for a job's reminder; a row never seen (a duplicate) is read once. */
  const take = async (job: Job | undefined) => {
    const id = (job?.data as { reminderId?: unknown } | undefined)?.reminderId;
    if (typeof id !== 'string') return { kind: 'unknown', platform: 'none' };
    const found = seen.get(id);
    seen.delete(id);
    if (found) return found;
    const row = await db?.reminder.findUnique({ where: { id }, select: { kind: true } }).catch(() => null);
    return { kind: row?.kind ?? 'unknown', platform: 'none' };
  };

  const wrapped: Observed = {
    async isSubjectLive(reminder) {
      remember(reminder);
      return deps.isSubjectLive(reminder);
    },
    async send(reminder): Promise<SendResult> {
      try {
        const result = await deps.send(reminder);
        remember(reminder, result.platform);
        metrics.recordLateness(reminder.kind, (clock.now().getTime() - reminder.sendAt.getTime()) / 1000);
        return result;
      } catch (error) {
        metrics.recordSendFailure(error);
        throw error;
      }
    },
  };

  function attach(worker: Pick<Worker, 'on'>): void {
    worker.on('completed', (job: Job, outcome: DeliveryOutcome) => {
      if (outcome !== 'sent' && outcome !== 'failed' && outcome !== 'cancelled' && outcome !== 'duplicate-avoided') return;
      void take(job).then(({ kind, platform }) => metrics.recordOutcome(outcome, kind, outcome === 'sent' ? platform : 'none'));
    });
    worker.on('failed', (job: Job | undefined, error: Error) => {
      // Only the last failure of a job is a failed reminder; earlier ones are retried.
      const final = error.name === 'UnrecoverableError' || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
      if (final) void take(job).then(({ kind }) => metrics.recordOutcome('failed', kind, 'none'));
    });
  }

  return { deps: wrapped, attach };
}
