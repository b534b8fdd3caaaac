// Which errors mean "PostgreSQL is not there" (a web process starts without it and the urgent
// replay waits for it) and which mean something else that must stop the start.
import { describe, expect, it } from 'vitest';
import { isUnreachable } from '../../src/db/reachability.js';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isUnreachable', () => {
  it('knows connection failures by code, from the socket, Prisma and PostgreSQL itself', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'P1001', 'P1002', '57P03']) {
      expect(isUnreachable(coded(code)), code).toBe(true);
    }
  });

  it('finds them in a cause or an AggregateError (the driver wraps them)', () => {
    expect(isUnreachable(new Error('query failed', { cause: coded('ECONNREFUSED') }))).toBe(true);
    expect(isUnreachable(new AggregateError([new Error('first'), coded('ECONNREFUSED')]))).toBe(true);
  });

  it("knows node-postgres's uncoded messages for a dropped or timed-out connection", () => {
    expect(isUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('does not take other failures for an outage: a wrong password, a missing table, a thrown string, a cycle', () => {
    expect(isUnreachable(coded('28P01', 'password authentication failed'))).toBe(false);
    expect(isUnreachable(coded('42P01', 'relation "Person" does not exist'))).toBe(false);
    expect(isUnreachable('ECONNREFUSED')).toBe(false);
    const looped = new Error('loop') as Error & { cause?: unknown };
    looped.cause = looped;
    expect(isUnreachable(looped)).toBe(false);
  });
});
