// A local stand-in for the Bot Framework connector that Teams proactive sends reach (the
// conversation reference's serviceUrl points here). It records every activity it accepts, per
// conversation, and can answer like a platform under load:
// - `enforce`: Teams' limits as a sliding window over accepted sends (7 per second per
//   conversation, 50 per second per tenant by default): a send over either answers 429 with
//   Retry-After, as Teams does, and is not recorded;
// - `failRate`: that share of calls answers one of `failWith` (429 with Retry-After, 412, 502,
//   503, 504) instead, chosen at random, and is not recorded.
// GET /__stats reports the figures; nothing else is served. Node built-ins only: the burst
// benchmark runs it as a child process (test/bench/limit-connector.ts).
import http from 'node:http';

export interface ConnectorOptions {
  enforce?: { perConversation: number; perTenant: number; windowMs: number };
  failRate?: number;
  failWith?: number[];
  /**
   * At most this many injected failures in a row for one conversation (default: no limit), so a
   * drill that must end with everything delivered does not depend on chance: at 20% a send can
   * otherwise fail on every one of its tries, now and then.
   */
  maxFailuresInARow?: number;
  /** Retry-After (seconds) sent with a 429. */
  retryAfterSeconds?: number;
}

export interface ConnectorStats {
  /** Accepted sends per conversation id. */
  deliveries: Record<string, number>;
  accepted: number;
  /** 429s for going over a limit, and answers of each injected failure status. */
  limited: number;
  injected: Record<string, number>;
  /** Time (ms since the epoch) of the first and the last accepted send. */
  firstAt: number | null;
  lastAt: number | null;
}

export interface RecordingConnector {
  url: string;
  stats(): ConnectorStats;
  close(): Promise<void>;
}

/** Sliding-window counts of accepted sends per key. */
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

export function createConnectorServer(options: ConnectorOptions = {}): { server: http.Server; stats: ConnectorStats } {
  const stats: ConnectorStats = { deliveries: {}, accepted: 0, limited: 0, injected: {}, firstAt: null, lastAt: null };
  const failuresInARow = new Map<string, number>();
  const windows = options.enforce ? slidingWindow(options.enforce.windowMs) : undefined;
  const failWith = options.failWith ?? [429, 503];
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  let seq = 0;

  const answer = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/__stats') return answer(res, 200, stats);
      const match = /^\/v3\/conversations\/([^/]+)\/activities/.exec(url);
      if (req.method !== 'POST' || !match) return answer(res, 404, { error: { code: 'NotFound' } });
      const conversationId = decodeURIComponent(match[1]!);
      let tenant = 'unknown';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { conversation?: { tenantId?: string } };
        tenant = body.conversation?.tenantId ?? tenant;
      } catch {
        return answer(res, 400, { error: { code: 'BadSyntax' } });
      }

      const inARow = failuresInARow.get(conversationId) ?? 0;
      if (options.failRate && inARow < (options.maxFailuresInARow ?? Infinity) && Math.random() < options.failRate) {
        const status = failWith[Math.floor(Math.random() * failWith.length)]!;
        stats.injected[status] = (stats.injected[status] ?? 0) + 1;
        failuresInARow.set(conversationId, inARow + 1);
        return answer(res, status, { error: { code: `Injected${status}` } }, status === 429 ? { 'retry-after': retryAfter } : {});
      }
      failuresInARow.delete(conversationId);
      const now = Date.now();
      if (windows && options.enforce) {
        const over =
          windows.count(`c:${conversationId}`, now) >= options.enforce.perConversation ||
          windows.count(`t:${tenant}`, now) >= options.enforce.perTenant;
        if (over) {
          stats.limited += 1;
          return answer(res, 429, { error: { code: 'Throttled' } }, { 'retry-after': retryAfter });
        }
        windows.add(`c:${conversationId}`, now);
        windows.add(`t:${tenant}`, now);
      }
      stats.deliveries[conversationId] = (stats.deliveries[conversationId] ?? 0) + 1;
      stats.accepted += 1;
      stats.firstAt ??= now;
      stats.lastAt = now;
      seq += 1;
      return answer(res, 200, { id: `activity-${seq}` });
    });
  });
  server.keepAliveTimeout = 30_000;
  return { server, stats };
}

/** Starts the connector in this process on a free local port. */
export async function startRecordingConnector(options: ConnectorOptions = {}): Promise<RecordingConnector> {
  const { server, stats } = createConnectorServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Deliveries beyond the first per conversation. */
export function duplicatesOf(stats: ConnectorStats): number {
  return Object.values(stats.deliveries).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
}
