// The daily retention purge in a worker process (src/db/retention-purge.ts). Every worker
// schedules it; only the one that takes the advisory lock purges, the others skip that day.
import cron from 'node-cron';
import type { Db } from '../db/client.js';
import { purgeExpiredOnce, type LockedPurge } from '../db/retention-purge.js';
import type { Clock } from '../domain/time.js';
import type { Logger } from '../logger.js';

/** 03:30 London time: quiet for the bot, and clear of the daylight-saving changes at 01:00-02:00. */
export const RETENTION_SCHEDULE = '30 3 * * *';
export const RETENTION_TIME_ZONE = 'Europe/London';

export interface RetentionJobOptions {
  db: Db;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  schedule?: string;
  batchSize?: number;
}

export interface RetentionJob {
  /** One purge now, unless another process is purging. */
  runOnce(): Promise<LockedPurge>;
  stop(): Promise<void>;
}

export function startRetentionJob(options: RetentionJobOptions): RetentionJob {
  const { db, clock, logger } = options;
  const runOnce = () => purgeExpiredOnce(db, { now: clock.now(), ...(options.batchSize ? { batchSize: options.batchSize } : {}) });

  let running: Promise<unknown> | undefined;
  const tick = async () => {
    if (running) return;
    running = runOnce()
      .then((result) => {
        if (!result.purged) return;
        logger.info({ processedDeliveries: result.processedDeliveries, abandonedDrafts: result.abandonedDrafts, outboundMessages: result.outboundMessages }, 'retention purge: old inbound delivery ids, abandoned request drafts and delivered messages removed');
        for (const org of result.organisations) {
          if (org.skipped) logger.warn({ organisationId: org.organisationId, reason: org.skipped }, 'retention purge skipped: invalid retention settings');
          else logger.info({ organisationId: org.organisationId, counts: org.counts }, 'retention purge');
        }
      })
      .catch((error: unknown) => logger.error({ err: { name: (error as Error)?.name } }, 'retention purge failed'))
      .finally(() => {
        running = undefined;
      });
    await running;
  };
  const task = cron.schedule(options.schedule ?? RETENTION_SCHEDULE, () => tick(), { timezone: RETENTION_TIME_ZONE, noOverlap: true });

  return {
    runOnce,
    async stop() {
      await task.stop();
      await task.destroy();
      if (running) await running;
    },
  };
}
