import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { Logger } from './logger.js';

/** Largest request body accepted; a Teams activity with a full card is a few kilobytes. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ServerDeps {
  logger: Logger;
  /** Teams /api/messages handler (botbuilder CloudAdapter). */
  teams?: (req: Request, res: Response) => Promise<void>;
  /** Further routers (Slack's /slack/events). */
  routers?: express.Router[];
  /** Resolves when a dependency answers; rejects with the reason otherwise. */
  readiness: Record<string, () => Promise<void>>;
}

function isActivityShaped(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const activity = body as Record<string, unknown>;
  const conversation = activity.conversation as Record<string, unknown> | undefined;
  return (
    typeof activity.type === 'string' &&
    typeof activity.serviceUrl === 'string' &&
    typeof conversation === 'object' &&
    conversation !== null &&
    typeof conversation.id === 'string'
  );
}

/** One HTTP server: the platforms' endpoints, health and readiness. */
export function createApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await check();
          checks[name] = 'ok';
        } catch (error) {
          ready = false;
          checks[name] = error instanceof Error ? error.message : 'unavailable';
        }
      }),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });

  if (deps.teams) {
    const teams = deps.teams;
    app.post('/api/messages', express.json({ limit: MAX_BODY_BYTES, type: () => true }), async (req, res, next) => {
      if (!isActivityShaped(req.body)) {
        res.status(400).json({ error: 'The body must be a Bot Framework activity (type, serviceUrl and conversation.id).' });
        return;
      }
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
