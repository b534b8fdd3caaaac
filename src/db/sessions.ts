import type { Db } from './client.js';
import { isId } from '../domain/ids.js';
import type { Prisma } from './generated/client.js';
import { DomainError } from '../domain/errors.js';

export const sessionWithPeople = {
  supervisor: { select: { id: true, name: true, email: true } },
  proposedBy: { select: { id: true, name: true, email: true } },
  attendees: { include: { person: { select: { id: true, name: true, email: true, reasonableAdjustments: true } } } },
  slots: { orderBy: { startsAt: 'asc' } },
  request: { select: { id: true, reference: true, adjustments: true } },
} satisfies Prisma.SessionInclude;

export type SessionWithPeople = Prisma.SessionGetPayload<{ include: typeof sessionWithPeople }>;

/** Who a session concerns, as the permission rules (booking, records) take it. */
export function sessionRelation(session: SessionWithPeople) {
  return {
    organisationId: session.organisationId,
    supervisorId: session.supervisorId,
    proposedById: session.proposedById,
    superviseeIds: session.attendees.map((a) => a.personId),
  };
}

/** A session of the actor's organisation; anything else (unknown, forged, elsewhere) is not found. */
export async function loadSession(db: Db | Prisma.TransactionClient, sessionId: unknown, organisationId: string): Promise<SessionWithPeople> {
  const session =
    isId(sessionId)
      ? await db.session.findFirst({ where: { id: sessionId, organisationId }, include: sessionWithPeople })
      : null;
  if (!session) throw new DomainError('NOT_FOUND', "I can't find that session. The card may be out of date or not one of mine.");
  return session;
}

/**
 * Namespace of the booking lock: the two-key advisory lock space never meets the bot's one-key
 * locks, and two supervisors whose ids hash alike only wait for each other.
 */
const SUPERVISOR_DIARY_LOCK = 0x5c5_b00c;

/**
 * Confirmed sessions of a supervisor overlapping a window, read while holding that supervisor's
 * booking lock until the transaction ends. Every confirmation reads through this before it
 * writes, so two confirmations for one supervisor run one after the other and the second sees
 * the first (READ COMMITTED: each statement after the wait takes a fresh snapshot).
 */
export async function supervisorBusyLocked(tx: Prisma.TransactionClient, supervisorId: string, from: Date, to: Date, exceptSessionId?: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SUPERVISOR_DIARY_LOCK}::int, hashtext(${supervisorId}))`;
  return supervisorBusy(tx, supervisorId, from, to, exceptSessionId);
}

/** Confirmed sessions of a supervisor overlapping a window, for the double-booking check. */
export async function supervisorBusy(db: Db | Prisma.TransactionClient, supervisorId: string, from: Date, to: Date, exceptSessionId?: string) {
  const sessions = await db.session.findMany({
    where: {
      supervisorId,
      status: 'CONFIRMED',
      startsAt: { lt: to },
      endsAt: { gt: from },
      ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}),
    },
    select: { id: true, startsAt: true, endsAt: true },
  });
  return sessions.map((s) => ({ id: s.id, startsAt: s.startsAt!, endsAt: s.endsAt! }));
}

/** People who can supervise: supervisors and safeguarding specialists, by name. */
export async function supervisorsOf(db: Db, organisationId: string) {
  return db.person.findMany({
    where: { organisationId, active: true, roles: { hasSome: ['SUPERVISOR', 'SPECIALIST'] } },
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
}

/** Apply a change only at the version the actor saw (two clicks at once cannot both win). */
export async function updateSessionAtVersion(
  tx: Prisma.TransactionClient,
  sessionId: string,
  version: number,
  data: Prisma.SessionUncheckedUpdateManyInput,
): Promise<void> {
  const { count } = await tx.session.updateMany({ where: { id: sessionId, version }, data: { ...data, version: { increment: 1 } } });
  if (count === 0) throw new DomainError('STALE_CARD', 'Someone else changed this session just now; please use the latest card.');
}
