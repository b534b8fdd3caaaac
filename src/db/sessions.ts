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
