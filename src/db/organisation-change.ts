// One change to an organisation's set-up (`npm run org`): found by slug and locked inside one
// transaction, validated there against what is stored, written, and audited in the same
// transaction. A refusal (SetupRefusedError) rolls everything back: nothing is written.
import type { Clock } from '../domain/time.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import { recordAudit, type AuditEntry } from './audit.js';
import type { Db } from './client.js';
import type { Prisma } from './generated/client.js';

export type Tx = Prisma.TransactionClient;

export interface LockedOrganisation {
  id: string;
  slug: string;
  name: string;
  timeZone: string;
  serviceHours: unknown;
  responseTargets: unknown;
  settings: unknown;
}

/**
 * Who made a change from chat (an administrator, identified by the platform): the audit entry
 * names them. Absent: the command line (no person).
 */
export interface ChangeActor {
  personId: string;
  platform: 'TEAMS' | 'SLACK';
}

/** What the audit entry of a set-up change says: facts and settings, never confidential text. */
export type ChangeDetail = NonNullable<AuditEntry['detail']>;

/** The refusal for a slug no organisation has, listing the ones there are. */
export async function unknownOrganisation(db: Pick<Db, 'organisation'>, slug: string): Promise<SetupRefusedError> {
  const all = await db.organisation.findMany({ select: { slug: true }, orderBy: { slug: 'asc' }, take: 50 });
  const known = all.length > 0 ? `organisations are ${all.map((o) => o.slug).join(', ')}` : 'there are no organisations yet (npm run org -- create)';
  return new SetupRefusedError([{ field: 'organisation', reason: `unknown organisation "${slug}"; ${known}` }]);
}

/**
 * Run `change` on the organisation `slug`, locked against other changes, in one transaction, and
 * audit it as `action` (by the command line, or `options.by` from chat) with the detail `change` returns.
 */
export async function changeOrganisation<T>(
  db: Db,
  slug: string,
  clock: Clock,
  action: string,
  change: (tx: Tx, org: LockedOrganisation, now: Date) => Promise<{ result: T; detail: ChangeDetail; subject?: { type: string; id: string } }>,
  options: { timeoutMs?: number; by?: ChangeActor } = {},
): Promise<T> {
  const now = clock.now();
  return db.$transaction(
    async (tx) => {
      const found = await tx.organisation.findUnique({ where: { slug }, select: { id: true } });
      if (!found) throw await unknownOrganisation(tx, slug);
      await tx.$queryRaw`SELECT "id" FROM "Organisation" WHERE "id" = ${found.id} FOR UPDATE`;
      const org = await tx.organisation.findUniqueOrThrow({
        where: { id: found.id },
        select: { id: true, slug: true, name: true, timeZone: true, serviceHours: true, responseTargets: true, settings: true },
      });
      const { result, detail, subject } = await change(tx, org, now);
      await recordAudit(tx, {
        at: now,
        organisationId: org.id,
        actorId: options.by?.personId ?? null,
        action,
        subjectType: subject?.type ?? 'organisation',
        subjectId: subject?.id ?? org.id,
        ...(options.by ? { platform: options.by.platform } : {}),
        detail: { via: options.by ? 'chat' : 'command line', ...detail },
      });
      return result;
    },
    { timeout: options.timeoutMs ?? 120_000, maxWait: 15_000 },
  );
}
