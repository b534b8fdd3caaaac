// The Slack acknowledgement benchmark's stub Web API, run by slack-bench.ts as a child
// process; both Slack apps get it as their Web API base (SLACK_API_URL / slackApiUrl).
//
//   POST /api/<method>   answered at once with { ok: true, ts, channel: { id } }; the
//                        channel is the one the call names, and for conversations.open the
//                        DM with the user (D + the user id without its U), as Slack would.
//   GET /__stats         calls per method, apologies, other requests.
//   GET /__count?channel=C                      how many calls named channel C so far.
//   GET /__wait?channel=C&method=M&after=N&timeoutMs=T
//                        long poll: the first call of method M on channel C at position
//                        >= N in that channel's list (answered as soon as it exists), or
//                        504 with what the channel did see after N.
//   GET /__calls?channel=C&after=N              the calls on channel C from position N.

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { serveStub } from './common.js';

/** The start of our bot's apology when a Slack turn fails. */
export const SLACK_SORRY_MARK = 'Sorry, something went wrong on my side';

/** One Web API call, digested: enough for the runner's checks. */
export interface SlackCall {
  method: string;
  channel: string | null;
  /** The call's `text`, up to 300 characters. */
  text: string;
  /** Every action_id in the call's blocks. */
  actionIds: string[];
}

export interface SlackStubStats {
  total: number;
  byMethod: Record<string, number>;
  /** Messages carrying our bot's apology: a failed turn. */
  sorry: number;
  /** Requests that were not a Web API call. */
  other: number;
}

export interface SlackWaitAnswer {
  /** Position of the call found in the channel's list (absent on a timeout). */
  index?: number;
  call?: SlackCall;
  /** On a timeout: the channel's calls after `after`. */
  seen?: SlackCall[];
}

function decodeArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if ((contentType ?? '').includes('json')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function runStubSlackApi(): void {
  const stats: SlackStubStats = { total: 0, byMethod: {}, sorry: 0, other: 0 };
  const byChannel = new Map<string, SlackCall[]>();
  const waiters = new Map<string, Set<() => boolean>>();
  let ts = 1_795_000_000;

  const callsOf = (channel: string) => {
    let list = byChannel.get(channel);
    if (!list) byChannel.set(channel, (list = []));
    return list;
  };
  const find = (channel: string, method: string, after: number): SlackWaitAnswer | undefined => {
    const list = byChannel.get(channel) ?? [];
    for (let i = Math.max(0, after); i < list.length; i += 1) if (list[i]!.method === method) return { index: i, call: list[i]! };
    return undefined;
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
      if (req.method === 'POST' && api) {
        const method = api[1]!;
        const args = decodeArgs(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
        const str = (value: unknown) => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
        const users = str(args.users).split(',')[0] ?? '';
        const channel = method === 'conversations.open' ? `D${users.slice(1)}` : str(args.channel) || null;
        const text = str(args.text);
        const actionIds = [...str(args.blocks).matchAll(/"action_id":"([^"]+)"/g)].map((m) => m[1]!);
        stats.total += 1;
        stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
        if (text.includes(SLACK_SORRY_MARK)) stats.sorry += 1;
        ts += 1;
        json(res, 200, { ok: true, ts: `${ts}.000100`, channel: { id: channel ?? 'C0STUB' } });
        if (channel) {
          callsOf(channel).push({ method, channel, text: text.slice(0, 300), actionIds });
          for (const waiter of waiters.get(channel) ?? []) waiter();
        }
        return;
      }
      if (req.method === 'GET' && url.pathname === '/__stats') return json(res, 200, stats);
      const channel = url.searchParams.get('channel') ?? '';
      const after = Number(url.searchParams.get('after') ?? 0);
      if (req.method === 'GET' && url.pathname === '/__count') return json(res, 200, { count: byChannel.get(channel)?.length ?? 0 });
      if (req.method === 'GET' && url.pathname === '/__calls') return json(res, 200, (byChannel.get(channel) ?? []).slice(after));
      if (req.method === 'GET' && url.pathname === '/__wait') {
        const method = url.searchParams.get('method') ?? 'chat.postMessage';
        const found = find(channel, method, after);
        if (found) return json(res, 200, found);
        const set = waiters.get(channel) ?? new Set<() => boolean>();
        waiters.set(channel, set);
        const waiter = () => {
          const hit = find(channel, method, after);
          if (!hit) return false;
          done();
          json(res, 200, hit);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          json(res, 504, { seen: (byChannel.get(channel) ?? []).slice(after) } satisfies SlackWaitAnswer);
        }, Number(url.searchParams.get('timeoutMs') ?? 15_000));
        const done = () => {
          clearTimeout(timer);
          set.delete(waiter);
        };
        set.add(waiter);
        res.on('close', done);
        return;
      }
      stats.other += 1;
      json(res, 404, { ok: false, error: `stub Slack API: no ${req.method} ${url.pathname}` });
    });
  });
  serveStub(server);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStubSlackApi();
}
