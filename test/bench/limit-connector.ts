// The burst benchmark's stub Bot Framework connector, run by scheduler-bench.ts as a child
// process: Teams' limits enforced as sliding windows (7 per second per conversation, 50 per
// second per tenant; 429 with Retry-After: 1 when exceeded, as Teams answers), every accepted
// activity recorded per conversation; GET /__stats reports them (recording-connector.ts).
// BENCH_CONNECTOR_ENFORCE=0 turns the limits off (the precision benchmark).

import { pathToFileURL } from 'node:url';
import { createConnectorServer } from '../support/recording-connector.js';
import { serveStub } from './common.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const enforce = process.env.BENCH_CONNECTOR_ENFORCE !== '0';
  const { server } = createConnectorServer(enforce ? { enforce: { perConversation: 7, perTenant: 50, windowMs: 1000 } } : {});
  serveStub(server);
}
