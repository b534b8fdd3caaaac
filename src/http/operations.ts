// Puts the operators' routes in front of the bot's web app: /metrics (only with a bearer token
// configured) and the queue dashboard at /admin/queues (only with its credentials configured).
// Either one left unconfigured is simply absent (404 from the bot's app).
import express from 'express';
import type { Registry } from 'prom-client';
import { createMetricsRouter } from './metrics-route.js';
import { createQueueDashboardRouter, type QueueDashboardOptions } from './queue-dashboard.js';

export interface OperationsOptions {
  metrics?: { registry: Registry; token: string | undefined };
  dashboard?: QueueDashboardOptions | undefined;
}

export function withOperationsRoutes(app: express.Express, options: OperationsOptions): express.Express {
  const root = express();
  root.disable('x-powered-by');
  if (options.metrics?.token) root.use(createMetricsRouter(options.metrics));
  if (options.dashboard) root.use(createQueueDashboardRouter(options.dashboard));
  root.use(app);
  return root;
}
