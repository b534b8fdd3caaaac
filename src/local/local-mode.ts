import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../logger.js';
export async function startLocalMode(_: { config: Config; db: Db; logger: Logger }) {
  return { stop: async () => undefined };
}
