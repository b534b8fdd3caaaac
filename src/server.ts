import express, { type NextFunction, type Request, type Response } from 'express';
import { AsyncResource } from 'node:async_hooks';
import type { Server } from 'node:http';
import type { Logger } from './logger.js';
import { requestContextMiddleware } from './request-context.js';

/** Longest a readiness check may take before /readyz counts it as failed (the probe answers within a second). */
export const READINESS_TIMEOUT_MS = 800;

/** Largest request body accepted; a Teams activity with a full card is a few kilobytes. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ServerDeps {
  logger: Logger;
  /** Teams /api/messages handler (botbuilder CloudAdapter); absent when Teams is not configured, so the route is 404. */
  teams?: (req: Request, res: Response) => Promise<void>;
  /** Further routers (Slack's /slack/events). */
  routers?: express.Router[];
  /** Resolves when a dependency answers; rejects with the reason otherwise. */
  readiness: Record<string, () => Promise<void>>;
  /** Per-check limit (default READINESS_TIMEOUT_MS). */
  readinessTimeoutMs?: number;
}

/**
 * A body whose declared length is over the limit is refused before a byte of it is read (the
 * body parsers would read and discard all of it first); the connection is closed after the
 * answer. Chunked bodies are stopped by the parsers' own limit as they stream.
 */
function refuseDeclaredOversize(req: Request, res: Response, next: NextFunction) {
  const declared = Number(req.headers['content-length']);
  if (!Number.isFinite(declared) || declared <= MAX_BODY_BYTES) return next();
  res.setHeader('connection', 'close');
  res.status(413).json({ error: `The body is larger than ${MAX_BODY_BYTES} bytes.` });
}

/** One line per request: the route pattern (never the URL: invite links carry tokens), status and time. */
function logRequest(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/healthz' || req.path === '/readyz') return next();
    const started = process.hrtime.bigint();
    // Bound to this request's async context: 'finish' fires from the socket's.
    res.once('finish', AsyncResource.bind(() => {
      const matched = req.route as { path?: unknown } | undefined;
      const route = matched ? `${req.baseUrl}${String(matched.path)}` : 'unmatched';
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request handled');
    }));
    next();
  };
}

/** One HTTP server: the platforms' endpoints, health and readiness. */
export function createApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // One request id per inbound request, in every log line of the turn (and of the jobs it queues).
  app.use(requestContextMiddleware);
  app.use(logRequest(deps.logger));
  app.use(refuseDeclaredOversize);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          // A dependency that hangs (Redis unreachable, a saturated pool) must not hang the probe.
          await Promise.race([
            check(),
            new Promise((_resolve, reject) => {
              timer = setTimeout(() => reject(Object.assign(new Error('readiness check timed out'), { name: 'TimeoutError' })), deps.readinessTimeoutMs ?? READINESS_TIMEOUT_MS);
            }),
          ]);
          checks[name] = 'ok';
        } catch (error) {
          ready = false;
          checks[name] = (error as Error | null)?.name === 'TimeoutError' ? 'timed out' : 'failed';
          // A driver's message can name hosts, users or the connection string: name and code only.
          const err = error instanceof Error ? { name: error.name, code: (error as { code?: unknown }).code } : { name: 'non-error thrown' };
          deps.logger.warn({ check: name, err }, 'readiness check failed');
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });

  if (deps.teams) {
    const teams = deps.teams;
    app.post('/api/messages', express.json({ limit: MAX_BODY_BYTES, type: () => true }), async (req, res, next) => {
      try {
        await teams(req, res);
      } catch (error) {
        next(error);
      }
    });
  }

  for (const router of deps.routers ?? []) app.use(router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found.' });
  });

  // Malformed JSON, oversize bodies and unexpected failures: a clear status, never a stack.
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (error.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'The body is not valid JSON.' });
      return;
    }
    if (error.type === 'entity.too.large') {
      res.status(413).json({ error: `The body is larger than ${MAX_BODY_BYTES} bytes.` });
      return;
    }
    if (error.status && error.status >= 400 && error.status < 500) {
      res.status(error.status).json({ error: 'The request could not be processed.' });
      return;
    }
    deps.logger.error({ err: { name: error.name, message: error.message } }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'Something went wrong on our side.' });
  });

  return app;
}

export function listen(app: express.Express, port: number, host = '0.0.0.0'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
