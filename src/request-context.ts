// A request id that follows one turn (an inbound HTTP request, or one scheduler sweep) through
// everything it causes: the logger reads it from AsyncLocalStorage (pino mixin), and BullMQ
// carries it inside each job it queues (through BullMQ's own telemetry hooks) so the worker
// that processes the job logs with the id of the turn or sweep that queued it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ContextManager, Span, Telemetry, Tracer } from 'bullmq';

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Header a load balancer or the platform may set; echoed back on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** A caller's id is taken only when it is short and plain (no spaces, quotes or markup to end up in logs). */
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

export function newRequestId(prefix?: string): string {
  return prefix ? `${prefix}-${randomUUID()}` : randomUUID();
}

/** The caller's id when well formed, otherwise a new one. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && WELL_FORMED_ID.test(header) ? header : newRequestId();
}

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Express middleware: one id per inbound request, kept in the async context for everything that request does (express's body parsers keep the context; the
 * log-hygiene test proves it for both platforms' routes).
 */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const context: RequestContext = { requestId: requestIdFrom(req.header(REQUEST_ID_HEADER)) };
  res.setHeader(REQUEST_ID_HEADER, context.requestId);
  storage.run(context, next);
}

const noopSpan: Span<RequestContext | undefined> = {
  setSpanOnContext: (context) => context,
  setAttribute: () => undefined,
  setAttributes: () => undefined,
  addEvent: () => undefined,
  recordException: () => undefined,
  end: () => undefined,
};

const tracer: Tracer<RequestContext | undefined> = { startSpan: () => noopSpan };

const contextManager: ContextManager<RequestContext | undefined> = {
  with: <A extends (...args: never[]) => unknown>(context: RequestContext | undefined, fn: A): ReturnType<A> =>
    (context ? storage.run(context, fn) : storage.exit(fn)) as ReturnType<A>,
  active: () => storage.getStore(),
  root: () => undefined,
  getMetadata: (context) => (context ? JSON.stringify({ requestId: context.requestId }) : ''),
  fromMetadata(active, metadata) {
    try {
      const parsed = JSON.parse(metadata) as { requestId?: unknown };
      return typeof parsed.requestId === 'string' && WELL_FORMED_ID.test(parsed.requestId) ? { requestId: parsed.requestId } : active;
    } catch {
      return active;
    }
  },
};

/**
 * BullMQ telemetry that traces nothing and only propagates the request id: give it to the
 * Queue (the id of the active context is stored in each job's opts) and to the Worker (the
 * processor runs in that context).
 */
export const requestIdTelemetry: Telemetry<RequestContext | undefined> = { tracer, contextManager };
