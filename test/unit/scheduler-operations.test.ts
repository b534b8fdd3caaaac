// The scheduler's metrics without Redis: what the wrapped send and the worker's events count,
// and the operations settings in the configuration.
import { EventEmitter } from 'node:events';
import type { Job, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Reminder } from '../../src/db/generated/client.js';
import { createSchedulerMetrics, instrumentDelivery, type SchedulerMetrics } from '../../src/scheduler/metrics.js';

const reminder = (id: string, kind: Reminder['kind'], sendAt: Date) => ({ id, kind, sendAt }) as Reminder;
const job = (reminderId: string, attemptsMade = 1, attempts = 3) => ({ data: { reminderId }, attemptsMade, opts: { attempts } }) as unknown as Job;

async function values(registry: Registry, name: string) {
  // Histogram samples also carry their series name (…_bucket, …_sum, …_count).
  return (await registry.getSingleMetric(name)!.get()).values as Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

/**
 * Resolves once `metrics` has recorded `count` outcomes: the worker's events are counted after the
 * kind is looked up (asynchronously), and this is the signal that they have been.
 */
function outcomesRecorded(metrics: SchedulerMetrics, count: number): Promise<void> {
  const record = metrics.recordOutcome.bind(metrics);
  let recorded = 0;
  return new Promise((resolve) => {
    metrics.recordOutcome = (...args) => {
      record(...args);
      recorded += 1;
      if (recorded === count) resolve();
    };
  });
}

describe('instrumentDelivery', () => {
  it('labels outcomes with the kind and platform seen, lateness from sendAt, and counts only final failures', async () => {
    const registry = new Registry();
    const metrics = createSchedulerMetrics(registry);
    // sent (r1), duplicate-avoided (r-unseen) and failed (r2); not the retried failure nor 'missing'.
    const recorded = outcomesRecorded(metrics, 3);
    const now = new Date('2026-11-23T10:00:05Z');
    let fail = true;
    const { deps, attach } = instrumentDelivery(
      metrics,
      {
        isSubjectLive: async () => true,
        send: async () => {
          if (fail) throw Object.assign(new Error('body text'), { statusCode: 429 });
          return { platform: 'SLACK', messageId: 'm1' };
        },
      },
      { clock: { now: () => now }, db: { reminder: { findUnique: async () => ({ kind: 'RECORD_OVERDUE' }) } } as never },
    );
    const worker = new EventEmitter();
    attach(worker as unknown as Pick<Worker, 'on'>);
    const r = reminder('r1', 'ACTION_DUE', new Date('2026-11-23T10:00:00Z'));

    await deps.isSubjectLive(r);
    await expect(deps.send(r)).rejects.toThrow('body text');
    worker.emit('failed', job('r1', 1, 3), new Error('retry me')); // not the last attempt
    fail = false;
    await deps.isSubjectLive(r);
    await deps.send(r);
    worker.emit('completed', job('r1'), 'sent');
    worker.emit('completed', job('r-unseen'), 'duplicate-avoided');
    worker.emit('failed', job('r2', 0, 3), Object.assign(new Error('x'), { name: 'UnrecoverableError' }));
    worker.emit('completed', job('r3'), 'missing'); // not counted
    await recorded;

    expect((await values(registry, 'sg_reminders_total')).map((v) => [v.labels, v.value])).toEqual([
      [{ outcome: 'sent', kind: 'ACTION_DUE', platform: 'SLACK' }, 1],
      [{ outcome: 'duplicate-avoided', kind: 'RECORD_OVERDUE', platform: 'none' }, 1],
      [{ outcome: 'failed', kind: 'RECORD_OVERDUE', platform: 'none' }, 1],
    ]);
    expect((await values(registry, 'sg_reminder_send_failures_total')).map((v) => [v.labels, v.value])).toEqual([[{ error_class: 'Error 429' }, 1]]);
    const lateness = await values(registry, 'sg_reminder_lateness_seconds');
    expect(lateness.find((v) => v.metricName === 'sg_reminder_lateness_seconds_sum')?.value).toBe(5);
    expect(lateness.find((v) => v.metricName === 'sg_reminder_lateness_seconds_bucket' && v.labels.le === 2)?.value).toBe(0);
    expect(lateness.find((v) => v.metricName === 'sg_reminder_lateness_seconds_bucket' && v.labels.le === 5)?.value).toBe(1);
  });

  it('records sweeps by kind and reads the queue depth only when scraped', async () => {
    const registry = new Registry();
    const metrics = createSchedulerMetrics(registry);
    let reads = 0;
    metrics.observeQueue({ getJobCounts: async () => (reads++, { waiting: 3, delayed: 7, active: 1, failed: 2 }) });
    metrics.recordSweep(0.2, { created: 3, byKind: { ACTION_DUE: 2, RECORD_OVERDUE: 1 } });
    expect(reads).toBe(0);
    const text = await registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('sg_reminder_queue_jobs{state="delayed"} 7');
    expect(text).toContain('sg_reminder_queue_jobs{state="failed"} 2');
    expect(text).toContain('sg_reminder_sweep_rows_created_total{kind="ACTION_DUE"} 2');
    expect(text).toContain('sg_reminder_sweep_duration_seconds_count 1');
  });
});

describe('operations configuration', () => {
  it('leaves metrics and the dashboard off by default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ METRICS_HOST: '127.0.0.1' });
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.METRICS_PORT).toBeUndefined();
    expect(config.ADMIN_DASHBOARD_USER).toBeUndefined();
  });

  it('reads them when set', () => {
    const config = loadConfig({ METRICS_TOKEN: 't'.repeat(32), METRICS_PORT: '9464', ADMIN_DASHBOARD_USER: 'ops', ADMIN_DASHBOARD_PASSWORD: 'p'.repeat(16) });
    expect(config).toMatchObject({ METRICS_TOKEN: 't'.repeat(32), METRICS_PORT: 9464, ADMIN_DASHBOARD_USER: 'ops', ADMIN_DASHBOARD_PASSWORD: 'p'.repeat(16) });
  });

  it('refuses a short token or password, a bad port and a user without a password, naming each', () => {
    let error: unknown;
    try {
      loadConfig({ METRICS_TOKEN: 'short', METRICS_PORT: 'ninety', ADMIN_DASHBOARD_USER: 'ops' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('METRICS_TOKEN: must be at least 32 characters');
    expect(message).toContain('METRICS_PORT:');
    // Pairs are checked once every variable parses on its own.
    expect(() => loadConfig({ ADMIN_DASHBOARD_USER: 'ops' })).toThrow(
      /ADMIN_DASHBOARD_PASSWORD: ADMIN_DASHBOARD_USER and ADMIN_DASHBOARD_PASSWORD must be set together/,
    );
    expect(() => loadConfig({ ADMIN_DASHBOARD_USER: 'ops', ADMIN_DASHBOARD_PASSWORD: 'short' })).toThrow(/ADMIN_DASHBOARD_PASSWORD: must be at least 16 characters/);
  });
});
