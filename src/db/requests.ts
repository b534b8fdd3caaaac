import type { Db } from './client.js';
import { isId } from '../domain/ids.js';
import type { Prisma } from './generated/client.js';
import { formatReference } from '../domain/reference.js';
import { DomainError } from '../domain/errors.js';
import { inZone } from '../domain/time.js';
import type { FormatPreference, HelpType, RequestRoute, Urgency } from '../domain/triage.js';
import type { Platform } from '../domain/actor.js';

type Tx = Prisma.TransactionClient;

/** Allocate the next yearly reference (SGS-2026-0042) inside the caller's transaction. */
export async function allocateReference(tx: Tx, organisationId: string, prefix: string, year: number): Promise<string> {
  // A single-unique-key upsert runs as INSERT ... ON CONFLICT DO UPDATE, so concurrent
  // requests each get their own number.
  const counter = await tx.referenceCounter.upsert({
    where: { organisationId_year: { organisationId, year } },
    create: { organisationId, year, lastValue: 1 },
    update: { lastValue: { increment: 1 } },
  });
  return formatReference(prefix, year, counter.lastValue);
}

export interface NewRequest {
  organisationId: string;
  requesterId: string;
  platform: Platform;
  immediateRisk: boolean;
  urgency: Urgency;
  route: RequestRoute;
  helpType?: HelpType;
  format?: FormatPreference;
  availability?: string;
  adjustments?: string;
  summary?: string;
  identifierWarnings?: string[];
}

export async function insertRequest(tx: Tx, input: NewRequest, now: Date) {
  const organisation = await tx.organisation.findUniqueOrThrow({ where: { id: input.organisationId } });
  const requester = await tx.person.findUniqueOrThrow({
    where: { id: input.requesterId },
    include: { staffGroup: true },
  });
  const year = inZone(now, organisation.timeZone).year;
  const reference = await allocateReference(tx, organisation.id, organisation.referencePrefix, year);
  return tx.supervisionRequest.create({
    data: {
      organisationId: input.organisationId,
      reference,
      requesterId: input.requesterId,
      platform: input.platform,
      immediateRisk: input.immediateRisk,
      urgency: input.urgency,
      route: input.route,
      helpType: input.helpType ?? null,
      format: input.format ?? null,
      availability: input.availability ?? null,
      adjustments: input.adjustments ?? null,
      summary: input.summary ?? null,
      identifierWarnings: input.identifierWarnings ?? [],
      staffGroupName: requester.staffGroup?.name ?? null,
      createdAt: now,
    },
  });
}

export const requestWithPeople = {
  requester: { select: { id: true, name: true, jobTitle: true } },
  claimedBy: { select: { id: true, name: true } },
  closedBy: { select: { id: true, name: true } },
  // The latest session arranged for the request: the triage card follows it through booking.
  sessions: {
    select: { status: true, startsAt: true, supervisor: { select: { name: true } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: 1,
  },
} satisfies Prisma.SupervisionRequestInclude;

export type RequestWithPeople = Prisma.SupervisionRequestGetPayload<{ include: typeof requestWithPeople }>;

/** A request of the actor's organisation; anything else (unknown, forged, another organisation's) is not found. */
export async function loadRequest(db: Db | Tx, requestId: unknown, organisationId: string): Promise<RequestWithPeople> {
  const request =
    isId(requestId)
      ? await db.supervisionRequest.findFirst({ where: { id: requestId, organisationId }, include: requestWithPeople })
      : null;
  if (!request) throw new DomainError('NOT_FOUND', "I can't find that request. It may have been removed, or the card is not one of mine.");
  return request;
}

/**
 * Apply a change only if the request is still at the version the actor saw, so two
 * specialists pressing buttons at once cannot both win.
 */
export async function updateRequestAtVersion(
  tx: Tx,
  requestId: string,
  version: number,
  data: Prisma.SupervisionRequestUncheckedUpdateManyInput,
): Promise<void> {
  const { count } = await tx.supervisionRequest.updateMany({
    where: { id: requestId, version },
    data: { ...data, version: { increment: 1 } },
  });
  if (count === 0) throw new DomainError('STALE_CARD', 'Someone else changed this request just now; the card shows its current state.');
}

/**
 * Where a person is in asking for help, in one query (this runs on every chat message):
 * their request conversation in progress, if any, and their newest open request's id.
 */
export async function intakeStateOf(db: Db, personId: string) {
  const rows = await db.$queryRaw<Array<{ draft: { step: string; data: unknown; requestId: string | null } | null; openRequestId: string | null }>>`
    SELECT
      (SELECT json_build_object('step', d."step", 'data', d."data", 'requestId', d."requestId")
         FROM "RequestDraft" d WHERE d."personId" = ${personId}) AS "draft",
      (SELECT r."id" FROM "SupervisionRequest" r
         WHERE r."requesterId" = ${personId} AND r."status" <> 'CLOSED'
         ORDER BY r."createdAt" DESC LIMIT 1) AS "openRequestId"`;
  return rows[0] ?? { draft: null, openRequestId: null };
}
