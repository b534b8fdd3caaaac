// A stub Bot Framework connector for drills that need to know what each conversation received,
// and in what order: every call it accepts (POST of a new activity, PUT of an update) is kept
// with its body, in order, and it enforces Teams' limits like recording-connector.ts does
// (sliding windows over accepted calls: `perConversation` per conversation and `perTenant` per
// tenant in any `windowMs`; a call over either is answered 429 with Retry-After and not kept).
// `outage(ms)` answers every call 503 for a while, as a platform outage would.
// Updates count against the same windows as sends (the bot paces both on the same keys).
//
// Served in the test process on a free loopback port; the activities of the drill name it as
// their serviceUrl. Only POST /v3/conversations/{id}/activities[/{replyTo}] and
// PUT /v3/conversations/{id}/activities/{activityId} are served; anything else is a 404 and is
// counted in `unexpected`.
import http from 'node:http';

export interface ConnectorLimits {
  perConversation: number;
  perTenant: number;
  windowMs: number;
  /** Retry-After (seconds) sent with a 429; default 1, as Teams answers. */
  retryAfterSeconds?: number;
}

export interface AcceptedCall {
  /** Order of acceptance, from 1. */
  seq: number;
  /** Wall time (ms since the epoch) of acceptance. */
  at: number;
  method: 'POST' | 'PUT';
  /** The conversation id of the URL, as given (a channel thread keeps its ";messageid=..."). */
  conversationId: string;
  /** POST: the id this connector gave the new activity; PUT: the activity updated. */
  activityId: string;
  tenantId: string;
  body: Record<string, unknown>;
}

export interface ThrottledCall {
  at: number;
  method: 'POST' | 'PUT';
  conversationId: string;
  tenantId: string;
  /** Which window refused it; 'outage' for a 503. */
  over: 'conversation' | 'tenant' | 'outage';
  body: Record<string, unknown>;
}

export interface LimitConnector {
  url: string;
  /** Every accepted call, in order. */
  readonly calls: readonly AcceptedCall[];
  /** Every call answered 429. */
  readonly throttled: readonly ThrottledCall[];
  /** Requests for anything but an activity POST or PUT. */
  readonly unexpected: ReadonlyArray<{ method: string; url: string }>;
  /** Calls answered 503 during an outage (`outage`), not kept. */
  readonly refused: readonly ThrottledCall[];
  /** From now for `ms`, every call is answered 503 Service Unavailable (no Retry-After), as in a platform outage. */
  outage(ms: number): void;
  /** From now, calls to `conversationId` are kept at once but answered only after `ms` (0: at once again), as a slow platform would. */
  slow(conversationId: string, ms: number): void;
  /** Called for each accepted call, after it is kept. */
  onCall(listener: (call: AcceptedCall) => void): void;
  close(): Promise<void>;
}

function slidingWindow(windowMs: number) {
  const times = new Map<string, number[]>();
  return {
    count(key: string, now: number): number {
      const list = times.get(key);
      if (!list) return 0;
      while (list.length > 0 && list[0]! <= now - windowMs) list.shift();
      return list.length;
    },
    add(key: string, now: number): void {
      const list = times.get(key) ?? [];
      list.push(now);
      times.set(key, list);
    },
  };
}

export async function startLimitConnector(limits: ConnectorLimits): Promise<LimitConnector> {
  const calls: AcceptedCall[] = [];
  const throttled: ThrottledCall[] = [];
  const unexpected: Array<{ method: string; url: string }> = [];
  const refused: ThrottledCall[] = [];
  let outageUntil = 0;
  const slowFor = new Map<string, number>();
  const listeners: Array<(call: AcceptedCall) => void> = [];
  const windows = slidingWindow(limits.windowMs);
  const retryAfter = String(limits.retryAfterSeconds ?? 1);
  let activitySeq = 0;

  const answer = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      const path = url.split('?')[0]!;
      const post = req.method === 'POST' ? /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path) : null;
      const put = req.method === 'PUT' ? /^\/v3\/conversations\/([^/]+)\/activities\/([^/]+)$/.exec(path) : null;
      const match = post ?? put;
      if (!match) {
        unexpected.push({ method: req.method ?? '?', url });
        return answer(res, 404, { error: { code: 'NotFound' } });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return answer(res, 400, { error: { code: 'BadSyntax' } });
      }
      const method = post ? 'POST' : 'PUT';
      const conversationId = decodeURIComponent(match[1]!);
      const tenantId = (body.conversation as { tenantId?: string } | undefined)?.tenantId ?? 'unknown';
      // Teams counts per thread: a channel's threads and the channel share the channel's budget.
      const thread = conversationId.split(';messageid=')[0]!;
      const now = Date.now();
      if (now < outageUntil) {
        refused.push({ at: now, method, conversationId, tenantId, over: 'outage', body });
        return answer(res, 503, { error: { code: 'ServiceUnavailable', message: 'The service is unavailable' } });
      }
      const over =
        windows.count(`c:${thread}`, now) >= limits.perConversation ? 'conversation' : windows.count(`t:${tenantId}`, now) >= limits.perTenant ? 'tenant' : null;
      if (over) {
        throttled.push({ at: now, method, conversationId, tenantId, over, body });
        return answer(res, 429, { error: { code: 'Throttled', message: 'Too many requests' } }, { 'retry-after': retryAfter });
      }
      windows.add(`c:${thread}`, now);
      windows.add(`t:${tenantId}`, now);
      const activityId = put ? decodeURIComponent(match[2]!) : `activity-${++activitySeq}`;
      const call: AcceptedCall = { seq: calls.length + 1, at: now, method, conversationId, activityId, tenantId, body };
      calls.push(call);
      for (const listener of listeners) listener(call);
      const delayMs = slowFor.get(thread) ?? 0;
      if (delayMs > 0) {
        setTimeout(() => answer(res, 200, { id: activityId }), delayMs);
        return;
      }
      return answer(res, 200, { id: activityId });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    throttled,
    unexpected,
    refused,
    outage(ms) {
      outageUntil = Date.now() + ms;
    },
    slow(conversationId, ms) {
      slowFor.set(conversationId, ms);
    },
    onCall: (listener) => void listeners.push(listener),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Adaptive Card an activity carries, if any. */
export function cardIn(body: Record<string, unknown>): Record<string, any> | undefined {
  const attachments = body.attachments as Array<{ contentType?: string; content?: unknown }> | undefined;
  return attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content as Record<string, any> | undefined;
}

/** Every string in a value (card texts, fact values, action data...). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Every Action.Execute in a card (nested show-cards included), with its verb and data. */
export function executeActions(card: unknown): Array<{ verb: string; data: Record<string, unknown> }> {
  const found: Array<{ verb: string; data: Record<string, unknown> }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'Action.Execute' && typeof n.verb === 'string') found.push({ verb: n.verb, data: (n.data as Record<string, unknown>) ?? {} });
    Object.values(n).forEach(walk);
  };
  walk(card);
  return found;
}

/** A FactSet fact's value by its title. */
export function factOf(card: unknown, title: string): string | undefined {
  let value: string | undefined;
  const walk = (node: unknown) => {
    if (value !== undefined) return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'FactSet' && Array.isArray(n.facts)) {
      const fact = (n.facts as Array<{ title?: string; value?: string }>).find((f) => f.title === title);
      if (fact) value = fact.value;
    }
    Object.values(n).forEach(walk);
  };
  walk(card);
  return value;
}
