import type { Prisma } from './generated/client.js';
import type { Platform } from '../domain/actor.js';

type Tx = Pick<Prisma.TransactionClient, 'auditEvent'>;

export interface AuditEntry {
  organisationId: string;
  actorId: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  platform?: Platform;
  /** Facts only (ids, states, kinds); never confidential text. */
  detail?: Record<string, string | number | boolean | null>;
  /** When it happened, from the caller's clock (retention and audit ranges compare it). */
  at: Date;
}

/** Who read or changed what, and when: written in the same transaction as the change. */
export async function recordAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      organisationId: entry.organisationId,
      actorId: entry.actorId,
      action: entry.action,
      subjectType: entry.subjectType,
      subjectId: entry.subjectId,
      platform: entry.platform ?? null,
      detail: entry.detail ?? undefined,
      at: entry.at,
    },
  });
}
