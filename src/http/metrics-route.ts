// GET /metrics in Prometheus text format. Protected by a bearer token (METRICS_TOKEN) compared in
// constant time; without a token it is only served on the separate metrics listener
// (METRICS_PORT), which is meant for a private network, never on the public web server.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';

/** Constant-time comparison of two secrets of any length (both hashed to 32 bytes first). */
export function secretsMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface MetricsRouteOptions {
  registry: Registry;
  /** When set, every scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

export function createMetricsRouter(options: MetricsRouteOptions): express.Router {
  const router = express.Router();
  router.get('/metrics', async (req, res, next) => {
    if (options.token) {
      const header = req.get('authorization') ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!given || !secretsMatch(given, options.token)) {
        res.status(401).setHeader('www-authenticate', 'Bearer realm="metrics"').json({ error: 'A valid metrics token is required.' });
        return;
      }
    }
    try {
      const body = await options.registry.metrics();
      res.status(200).type(options.registry.contentType).setHeader('cache-control', 'no-store').send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

/**
 * A small listener serving only /metrics (and 404 otherwise): how a worker-only process, which
 * has no web server, is scraped. Bind it to a private interface.
 */
export function startMetricsServer(options: MetricsRouteOptions & { port: number; host: string }): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(createMetricsRouter(options));
  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found.' });
  });
  app.use((_error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (!res.headersSent) res.status(500).json({ error: 'Metrics could not be collected.' });
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port, options.host, () => resolve(server));
    server.once('error', reject);
  });
}
