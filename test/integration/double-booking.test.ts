// The supervisor is never double-booked, even by two confirmations at the same instant: two
// overlapping proposals for one supervisor are confirmed concurrently, round after round, on
// real PostgreSQL. One wins; the other gets the clash refusal and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { describeSlot } from '../../src/domain/booking.js';
import { DomainError } from '../../src/domain/errors.js';
import { acceptSuggestedTime, confirmProposedSession } from '../../src/flows/booking.js';
import type { FlowDeps } from '../../src/flows/types.js';
import type { Actor } from '../../src/domain/actor.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const ROUNDS = 30;
/** Monday 23 November 2026, 10:00 London; round n books on day n after it. */
const NOW = new Date('2026-11-23T10:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let t: TestDatabase;
let deps: FlowDeps;
const actors: Record<string, Actor> = {};

async function actorOf(key: string): Promise<Actor> {
  const person = await t.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } });
  return { personId: person.id, organisationId: person.organisationId, roles: person.roles, name: person.name, platform: 'TEAMS', timeZone: 'Europe/London' };
}

/** A proposal to the supervisor with one time, as the proposer made it. */
async function propose(superviseeKey: string, format: 'INDIVIDUAL' | 'GROUP', startsAt: Date) {
  return t.db.session.create({
    data: {
      organisationId: actors.supervisor!.organisationId,
      format,
      type: 'ON_REQUEST',
      supervisorId: actors.supervisor!.personId,
      proposedById: actors.proposer!.personId,
      durationMinutes: 60,
      capacity: format === 'GROUP' ? 6 : 1,
      slots: { create: [{ startsAt, endsAt: new Date(startsAt.getTime() + HOUR) }] },
      attendees: { create: [{ personId: (await actorOf(superviseeKey)).personId }] },
    },
    include: { slots: true },
  });
}

type Proposal = Awaited<ReturnType<typeof propose>>;

/** The supervisor confirms; on odd rounds the proposer accepts the time instead (the other way to confirm). */
function confirm(session: Proposal, byProposer: boolean) {
  const value = { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id };
  return byProposer ? acceptSuggestedTime(deps, actors.proposer!, value) : confirmProposedSession(deps, actors.supervisor!, value);
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDemoOrganisation(t.db);
  actors.supervisor = await actorOf('specialist-2');
  actors.proposer = await actorOf('specialist');
  deps = {
    db: t.db,
    clock: { now: () => NOW },
    outbox: { toPerson: async () => 'sent' as const, reachable: async () => true, updateTriageCards: async () => 'sent' as const, stage: async () => [], send: async () => 'sent' as const },
    logger: createLogger({ level: 'silent' }),
    links: { invite: (sessionId, personId) => `https://bot.test/invite/${sessionId}/${personId}` },
  };
});
afterAll(async () => {
  await t?.drop();
});

describe('two overlapping confirmations at the same instant', () => {
  it(`confirm exactly one, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    const supervisor = demoPerson('specialist-2').name;
    for (let round = 1; round <= ROUNDS; round++) {
      const day = NOW.getTime() + round * DAY;
      // 11:00-12:00 and 11:30-12:30 London (GMT); a group session on even rounds.
      const first = await propose('paramedic', 'INDIVIDUAL', new Date(day + HOUR));
      const second = await propose('call-handler', round % 2 ? 'INDIVIDUAL' : 'GROUP', new Date(day + 1.5 * HOUR));

      const outcomes = await Promise.allSettled([confirm(first, false), confirm(second, round % 2 === 1)]);

      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      expect(refused, `round ${round}`).toHaveLength(1);
      expect(refused[0], `round ${round}`).toBeInstanceOf(DomainError);
      expect((refused[0] as DomainError).code).toBe('SLOT_TAKEN');
      const winner = outcomes[0].status === 'fulfilled' ? first : second;
      const loser = winner === first ? second : first;
      // The same words as the sequential check: the clash is the winner's time.
      expect((refused[0] as DomainError).userMessage).toBe(`${supervisor} already has a session ${describeSlot(winner.slots[0]!, 'Europe/London')}.`);

      const confirmed = await t.db.session.findMany({
        where: { supervisorId: actors.supervisor!.personId, status: 'CONFIRMED', startsAt: { lt: new Date(day + 2.5 * HOUR) }, endsAt: { gt: new Date(day + HOUR) } },
      });
      expect(confirmed.map((s) => s.id), `round ${round}`).toEqual([winner.id]);
      // Nothing changed for the loser.
      const after = await t.db.session.findUniqueOrThrow({ where: { id: loser.id }, include: { slots: true, events: true } });
      expect(after).toMatchObject({ status: 'PROPOSED', version: loser.version, startsAt: null, endsAt: null });
      expect(after.slots.map((s) => s.chosen)).toEqual([false]);
      expect(after.events).toEqual([]);
      expect(await t.db.auditEvent.count({ where: { subjectId: loser.id } })).toBe(0);
    }
  });
});
