// The queue dashboard (bull-board) for administrators at /admin/queues, behind HTTP Basic
// authentication with a user and password from the configuration (compared in constant time).
// Nothing of the dashboard, not even its page or static files, is served without them.
//
// It is read-only: PostgreSQL is the source of truth for reminders, and a job retried, promoted
// or deleted here would bypass it (a promoted job would ignore quiet hours). Failed reminders
// are retried from chat ("failed reminders"), which resets the row and lets the sweep re-queue it.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';
import type { Logger } from '../logger.js';
import { secretsMatch } from './metrics-route.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardOptions {
  queues: Queue[];
  user: string;
  password: string;
  logger: Pick<Logger, 'warn'>;
}

/** The user and password of an `Authorization: Basic …` header, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function createQueueDashboardRouter(options: QueueDashboardOptions): express.Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'SG Supervision queues' } },
  });

  const router = express.Router();
  router.use(QUEUE_DASHBOARD_PATH, (req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    const given = basicCredentials(req.get('authorization'));
    // Both comparisons always run, so the time taken says nothing about which one failed.
    const userOk = secretsMatch(given?.user ?? '', options.user);
    const passwordOk = secretsMatch(given?.password ?? '', options.password);
    if (given && userOk && passwordOk) {
      next();
      return;
    }
    if (given) options.logger.warn({ path: QUEUE_DASHBOARD_PATH }, 'queue dashboard: wrong credentials');
    res
      .status(401)
      .setHeader('www-authenticate', 'Basic realm="SG Supervision queue dashboard", charset="UTF-8"')
      .json({ error: 'Sign in with the queue dashboard credentials.' });
  });
  router.use(QUEUE_DASHBOARD_PATH, serverAdapter.getRouter() as express.Router);
  return router;
}
