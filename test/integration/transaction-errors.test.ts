// What a failed interactive transaction logs (channels/outbox.ts errorFacts): Prisma's P2028 is
// two different problems, told apart in the log without Prisma's message (which may quote data):
// a transaction that never got a pooled connection, and one that ran past its timeout.
import { afterAll, describe, expect, it } from 'vitest';
import { errorFacts } from '../../src/channels/outbox.js';
import { createDb } from '../../src/db/client.js';
import { testDatabaseUrl } from '../support/database.js';
import { deferred } from '../support/wait.js';

const db = createDb(testDatabaseUrl, { maxConnections: 1 });
afterAll(() => db.$disconnect());

const failureOf = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('the transaction was expected to fail');
    },
    (error: unknown) => error,
  );

describe('errorFacts of a failed transaction', () => {
  it('says a transaction ran past its timeout, and for how long', async () => {
    const error = await failureOf(db.$transaction(async (tx) => tx.$executeRaw`SELECT pg_sleep(0.5)`, { timeout: 100 }));
    const facts = errorFacts(error);
    expect(facts).toMatchObject({ code: 'P2028' });
    expect(facts.transaction).toMatch(/^expired \(ran past its timeout, \d+ ms of 100 ms\)$/);
    expect(JSON.stringify(facts)).not.toContain('pg_sleep');
  });

  it('says a transaction could not start because no pooled connection came in time', async () => {
    const held = deferred();
    const holding = deferred();
    // The pool's one connection, held by a transaction until the second has given up.
    const first = db.$transaction(
      async () => {
        holding.resolve();
        await held.promise;
      },
      { timeout: 30_000 },
    );
    await holding.promise;
    const error = await failureOf(db.$transaction(async (tx) => tx.$executeRaw`SELECT 1`, { maxWait: 100 })).finally(() => held.resolve());
    await first;
    expect(errorFacts(error)).toMatchObject({ code: 'P2028', transaction: 'not started in time (no pooled connection)' });
  });
});
