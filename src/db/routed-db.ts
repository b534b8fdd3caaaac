// Urgent turns never wait behind other turns for a connection (issue 22): they run on a small
// pool of their own. Flows take one `db`; this one sends each call to the reserved pool while an
// urgent turn runs (AsyncLocalStorage follows the turn through every await, background work it
// starts included) and to the main pool otherwise.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './client.js';

export interface RoutedDb {
  db: Db;
  /** Runs `work` with every database call it makes on the reserved pool. */
  reserved: <T>(work: () => T) => T;
}

export function createRoutedDb(main: Db, reservedPool: Db): RoutedDb {
  const current = new AsyncLocalStorage<Db>();
  const db = new Proxy(main, {
    get(_target, property) {
      const client = current.getStore() ?? main;
      const value: unknown = Reflect.get(client, property, client);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(client) : value;
    },
  });
  return { db, reserved: (work) => current.run(reservedPool, work) };
}
