// Recording an urgent request: the request, its audit entry and the URGENT alert to the triage
// channels, in the caller's transaction (so the alert commits with the request). Used by the risk
// answer of a live turn (request-intake.ts) and by the replay of a report kept in the spool while
// PostgreSQL could not be reached (urgent-replay.ts).
import { recordAudit } from '../db/audit.js';
import type { Prisma } from '../db/generated/client.js';
import type { OrganisationContext } from '../db/organisations.js';
import { insertRequest, requestWithPeople, type RequestWithPeople } from '../db/requests.js';
import { triageCardFor } from './request-intake.js';
import type { FlowDeps } from './types.js';
import type { Platform } from '../domain/actor.js';

export interface UrgentReport {
  organisationId: string;
  requesterId: string;
  platform: Platform;
  /** What they wrote, checked (identifiers left out): reaches the claiming specialist privately, never the triage channel. */
  summary?: string;
}

export async function recordUrgentRequest(
  deps: Pick<FlowDeps, 'outbox'>,
  tx: Prisma.TransactionClient,
  report: UrgentReport,
  org: OrganisationContext,
  now: Date,
  audit: Record<string, unknown> = {},
): Promise<{ request: RequestWithPeople; staged: string[] }> {
  const created = await insertRequest(
    tx,
    {
      organisationId: report.organisationId,
      requesterId: report.requesterId,
      platform: report.platform,
      immediateRisk: true,
      urgency: 'URGENT',
      route: 'ADVICE',
      ...(report.summary ? { summary: report.summary } : {}),
    },
    now,
  );
  await recordAudit(tx, {
    at: now,
    organisationId: report.organisationId,
    actorId: report.requesterId,
    action: 'request.created',
    subjectType: 'request',
    subjectId: created.id,
    platform: report.platform,
    detail: { urgency: 'URGENT', ...audit },
  });
  const request = await tx.supervisionRequest.findUniqueOrThrow({ where: { id: created.id }, include: requestWithPeople });
  const staged = await deps.outbox.stage(tx, [{ to: 'triage', organisationId: report.organisationId, requestId: request.id, card: triageCardFor(request, org, now) }]);
  return { request, staged };
}
