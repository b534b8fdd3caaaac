import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import express, { type Request, type Response } from 'express';
import type { Db } from '../../db/client.js';
import type { Logger } from '../../logger.js';
import { errorFacts } from '../outbox.js';
import { verifySlackSignature } from './verify-signature.js';
import { slackEnvelope } from './slack-envelope.js';
import { systemClock, type Clock } from '../../domain/time.js';

/** Largest Slack request accepted; interaction payloads with a full message are tens of KB. */
export const MAX_SLACK_BODY_BYTES = 256 * 1024;
/** Slack wants an answer within 3 s; a listener that has not acknowledged by then is answered for. */
export const ACK_DEADLINE_MS = 2_500;

type Body = Record<string, unknown>;

export class BadSlackRequest extends Error {}

/** Parse a verified Slack body: JSON (Events API), a form (slash commands) or a form with a JSON `payload` (interactions). */
export function parseSlackBody(contentType: string | undefined, raw: string): Body {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let parsed: unknown;
  if (type === 'application/json') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new BadSlackRequest('The body is not valid JSON.');
    }
  } else if (type === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (typeof form.payload === 'string') {
      try {
        parsed = JSON.parse(form.payload);
      } catch {
        throw new BadSlackRequest('The payload field is not valid JSON.');
      }
    } else {
      parsed = form;
    }
  } else {
    throw new BadSlackRequest('Expected application/json or application/x-www-form-urlencoded.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadSlackRequest('The body must be an object.');
  const body = parsed as Body;
  const known = typeof body.type === 'string' || typeof body.command === 'string' || typeof body.ssl_check === 'string';
  if (!known) throw new BadSlackRequest('Not a Slack event, command or interaction.');
  return body;
}

/**
 * Bolt receiver for HTTP mode, mounted on the bot's one Express server. It only verifies,
 * parses, de-duplicates and acknowledges; Bolt routes the event to the listeners, which
 * acknowledge first and do the slow work afterwards.
 */
export function createSlackReceiver(options: { signingSecret: string; db: Db; logger: Logger; now?: () => number; clock?: Clock }) {
  const { db, logger } = options;
  // Wall time on purpose: Slack's signature window is five minutes of real time, whatever the
  // product's clock says (a test clock or a replayed day must not widen or shut it).
  const now = options.now ?? Date.now;
  let app: App | undefined;

  /** Events API retries (X-Slack-Retry-Num) carry the same event_id: process each once. */
  async function firstDelivery(body: Body): Promise<boolean> {
    if (body.type !== 'event_callback' || typeof body.event_id !== 'string') return true;
    try {
      const { count } = await db.processedDelivery.createMany({ data: [{ key: `slack:${body.event_id}`, at: (options.clock ?? systemClock).now() }], skipDuplicates: true });
      return count === 1;
    } catch (error) {
      // The database is not answering: a message handled twice (Slack retried it) is better
      // than one never read, which may be someone saying a person is at risk.
      logger.warn({ err: { name: (error as Error)?.name } }, 'Slack delivery not checked for a repeat: handled');
      return true;
    }
  }

  async function handle(req: Request, res: Response): Promise<void> {
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifySlackSignature({
      signingSecret: options.signingSecret,
      timestamp: req.header('x-slack-request-timestamp'),
      signature: req.header('x-slack-signature'),
      rawBody: raw,
      nowSeconds: Math.floor(now() / 1000),
    });
    if (!check.ok) {
      logger.warn({ reason: check.reason }, 'refused a Slack request');
      res.status(401).json({ error: 'Invalid or expired Slack signature.' });
      return;
    }
    let body: Body;
    try {
      body = parseSlackBody(req.header('content-type'), raw.toString('utf8'));
    } catch (error) {
      res.status(400).json({ error: error instanceof BadSlackRequest ? error.message : 'Malformed request.' });
      return;
    }
    if (body.type === 'url_verification') {
      res.json({ challenge: body.challenge });
      return;
    }
    if (body.ssl_check) {
      res.status(200).end();
      return;
    }
    const envelope = slackEnvelope(body);
    if (!envelope.ok) {
      logger.warn({ type: typeof body.type === 'string' ? body.type.slice(0, 40) : typeof body.command === 'string' ? 'command' : 'unknown' }, 'Slack payload refused');
      res.status(400).json({ error: envelope.problem });
      return;
    }
    if (envelope.kind === 'rate-limited') {
      logger.warn({ minuteRateLimited: typeof body.minute_rate_limited === 'number' ? body.minute_rate_limited : null }, 'Slack says the app was rate limited');
      res.status(200).end();
      return;
    }
    let acked = false;
    if (body.type === 'event_callback') {
      // Events carry no response: acknowledge before the de-duplication write, so the
      // ack never waits for the database.
      acked = true;
      res.status(200).end();
    }
    if (!(await firstDelivery(body))) {
      logger.info({ eventId: body.event_id, retry: req.header('x-slack-retry-num') }, 'duplicate Slack delivery ignored');
      if (!acked) res.status(200).end();
      return;
    }

    const ack = async (response?: unknown) => {
      if (acked) return;
      acked = true;
      if (response === undefined || response === '') res.status(200).end();
      else if (typeof response === 'string') res.status(200).type('text/plain').send(response);
      else res.status(200).json(response);
    };
    const deadline = setTimeout(() => void ack(), ACK_DEADLINE_MS);
    const retryNum = Number(req.header('x-slack-retry-num'));
    const event: ReceiverEvent = {
      body,
      ack,
      ...(Number.isInteger(retryNum) ? { retryNum, retryReason: req.header('x-slack-retry-reason') ?? '' } : {}),
    };
    try {
      await app!.processEvent(event);
    } catch (error) {
      // Every listener acknowledges before doing anything, so a failure before the ack is
      // Bolt refusing the payload's shape (a view_submission without a view, a team id
      // Bolt cannot key a client by): bad input, answered as such.
      const beforeAck = !acked;
      const refused = beforeAck || error instanceof BadSlackRequest;
      logger[refused ? 'warn' : 'error']({ err: errorFacts(error), type: typeof body.type === 'string' ? body.type : 'command' }, refused ? 'Slack payload refused' : 'Slack event failed');
      if (beforeAck) {
        acked = true;
        res.status(400).json({ error: error instanceof BadSlackRequest ? error.message : 'This Slack payload is malformed or not one this app handles.' });
      }
    } finally {
      clearTimeout(deadline);
      await ack();
    }
  }

  const router = express.Router();
  // A request goes on after its ack (the de-duplication write, Bolt's listeners): tracked so
  // settled() can wait for it (a shutdown, and tests, instead of waiting for a quiet spell).
  const handling = new Set<Promise<void>>();
  router.post('/slack/events', express.raw({ type: () => true, limit: MAX_SLACK_BODY_BYTES }), (req, res, next) => {
    const run = handle(req, res).catch(next);
    handling.add(run);
    void run.finally(() => handling.delete(run));
  });

  const receiver: Receiver & { router: express.Router; settled(): Promise<void> } = {
    router,
    /** Resolves once every request received so far has been handled to its end. */
    async settled() {
      while (handling.size > 0) await Promise.allSettled([...handling]);
    },
    init(bolt: App) {
      app = bolt;
    },
    async start() {
      return router;
    },
    async stop() {
      return undefined;
    },
  };
  return receiver;
}
