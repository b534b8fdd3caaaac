// The turn-time benchmark's stub Bot Framework connector, run by teams-bench.ts as a child
// process: answers every POST and PUT of an activity with `{ id }` at once, like the Teams
// connector would; GET /__stats reports what it has seen.

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { serveStub } from './common.js';

/** Botbuilder's reply text when our bot's turn fails (src/channels/teams/teams-channel.ts). */
export const SORRY_MARK = 'Sorry, something went wrong on my side';

export interface StubStats {
  posts: number;
  puts: number;
  /** Replies carrying our bot's apology: a failed turn. */
  sorry: number;
  /** Requests that were not a connector activity call. */
  other: number;
  /** The last few activity calls, for the probes' checks. */
  recent: Array<{ method: string; path: string; body: string }>;
}

function runStubConnector(): void {
  const stats: StubStats = { posts: 0, puts: 0, sorry: 0, other: 0, recent: [] };
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      if (req.method === 'GET' && url === '/__stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(stats));
        return;
      }
      if ((req.method === 'POST' || req.method === 'PUT') && /\/v3\/conversations\/[^/]+\/activities/.test(url)) {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.method === 'POST') stats.posts += 1;
        else stats.puts += 1;
        if (body.includes(SORRY_MARK)) stats.sorry += 1;
        stats.recent.push({ method: req.method, path: decodeURIComponent(url), body });
        if (stats.recent.length > 8) stats.recent.shift();
        seq += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `out-${seq}` }));
        return;
      }
      stats.other += 1;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NotFound', message: `stub connector: no ${req.method} ${url}` } }));
    });
  });
  serveStub(server);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStubConnector();
}
