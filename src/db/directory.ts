import type { Db } from './client.js';
import type { Actor, Platform } from '../domain/actor.js';
import { DEFAULT_TIME_ZONE } from '../domain/time.js';
import type { Role } from '../domain/permissions.js';
import { recordAudit } from './audit.js';

/**
 * How platform tenants map to organisations. `pinned` (whenever a platform is configured): an
 * organisation takes only the Teams tenant and Slack workspace recorded for it. `local` (no
 * credentials, the Agents Playground): a single organisation takes any tenant.
 */
export type Tenancy = 'pinned' | 'local';

/**
 * The person behind a platform identity, or null when they are not in the directory. One
 * query on every turn's hot path (Prisma's nested include would take three).
 */
export async function findActor(
  db: Db,
  platform: Platform,
  tenantId: string,
  platformUserId: string,
  tenancy: Tenancy = 'pinned',
): Promise<Actor | null> {
  const pinned = tenancy === 'pinned';
  const rows = await db.$queryRaw<Array<{ id: string; organisationId: string; roles: Role[]; name: string; timeZone: string | null }>>`
    SELECT p."id", p."organisationId", p."roles"::text[] AS "roles", p."name", COALESCE(p."timeZone", o."timeZone") AS "timeZone"
    FROM "PlatformIdentity" i
    JOIN "Person" p ON p."id" = i."personId"
    JOIN "Organisation" o ON o."id" = p."organisationId"
    WHERE i."platform" = ${platform}::"Platform" AND i."tenantId" = ${tenantId} AND i."platformUserId" = ${platformUserId}
      AND p."active"
      AND (NOT ${pinned} OR CASE i."platform" WHEN 'TEAMS' THEN o."teamsTenantId" ELSE o."slackTeamId" END = i."tenantId")`;
  const person = rows[0];
  if (!person) return null;
  return {
    personId: person.id,
    organisationId: person.organisationId,
    roles: person.roles,
    name: person.name,
    platform,
    timeZone: person.timeZone ?? DEFAULT_TIME_ZONE,
  };
}

export interface LinkedActor {
  actor: Actor;
  /** A PlatformIdentity row was created by this call (the person has a new account linked). */
  created: boolean;
}

/**
 * Link a platform identity to the directory entry with this e-mail, so people need no
 * separate registration. Only for what the platform itself proved: the caller passes an
 * identity from an authenticated request and the e-mail the platform returned for it.
 * A new link is audited in the same transaction.
 */
export async function linkIdentityByEmail(
  db: Db,
  platform: Platform,
  tenantId: string,
  platformUserId: string,
  email: string,
  tenancy: Tenancy,
  now: Date,
): Promise<LinkedActor | null> {
  const organisation = await organisationForTenant(db, platform, tenantId, tenancy);
  if (!organisation) return null;
  const person = await db.person.findUnique({
    where: { organisationId_email: { organisationId: organisation.id, email: email.trim().toLowerCase() } },
  });
  if (!person || !person.active) return null;
  const created = await db.$transaction(async (tx) => {
    const { count } = await tx.platformIdentity.createMany({
      data: [{ personId: person.id, platform, tenantId, platformUserId }],
      skipDuplicates: true,
    });
    if (count === 1) await auditLink(tx, { organisationId: organisation.id, personId: person.id, platform, tenantId, how: 'e-mail', at: now });
    return count === 1;
  });
  const actor = await findActor(db, platform, tenantId, platformUserId, tenancy);
  return actor ? { actor, created } : null;
}

/** The audit entry of a new platform account linked to a person (ids only). */
export function auditLink(
  tx: Parameters<typeof recordAudit>[0],
  link: { organisationId: string; personId: string; platform: Platform; tenantId: string; how: 'e-mail' | 'opened'; at: Date },
) {
  return recordAudit(tx, {
    at: link.at,
    organisationId: link.organisationId,
    actorId: link.personId,
    action: 'identity.linked',
    subjectType: 'person',
    subjectId: link.personId,
    platform: link.platform,
    detail: { tenantId: link.tenantId, how: link.how },
  });
}

/** What a person is told, on a platform they already use, when a new account is linked to them. */
export function newLinkNotice(platform: Platform, at: Date, timeZone: string, inboxEmail: string | null): string {
  const name = platform === 'TEAMS' ? 'Microsoft Teams' : 'Slack';
  const when = at.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone });
  const ask = inboxEmail ? `tell the safeguarding team at ${inboxEmail} straight away` : 'tell your administrator straight away';
  return `A ${name} account was linked to you in the supervision bot on ${when}. If that was you, there is nothing to do. If it was not, ${ask}: that account can see your requests and records.`;
}

/**
 * The person with this e-mail in the organisation, or null. E-mails are stored lower-case, so
 * this is a lookup on the (organisationId, email) unique key.
 */
export function findPersonByEmail(db: Db, organisationId: string, email: string) {
  return db.person.findUnique({
    where: { organisationId_email: { organisationId, email: email.trim().toLowerCase() } },
    select: { id: true, name: true, email: true },
  });
}

/**
 * The organisation a tenant or workspace belongs to. Pinned, only the one that recorded it;
 * in local mode, a single organisation that has not recorded one takes any tenant.
 */
export async function organisationForTenant(db: Db, platform: Platform, tenantId: string, tenancy: Tenancy = 'pinned') {
  if (!tenantId) return null;
  const byTenant = await db.organisation.findFirst({
    where: platform === 'TEAMS' ? { teamsTenantId: tenantId } : { slackTeamId: tenantId },
  });
  if (byTenant || tenancy === 'pinned') return byTenant;
  const all = await db.organisation.findMany({ take: 2 });
  const only = all.length === 1 ? all[0]! : null;
  const unset = platform === 'TEAMS' ? only?.teamsTenantId == null : only?.slackTeamId == null;
  return only && unset ? only : null;
}

/** What to tell someone the bot cannot find in the directory: whom to contact instead. */
export async function notInDirectoryMessage(db: Db, platform: Platform, tenantId: string, tenancy: Tenancy = 'pinned'): Promise<string> {
  const organisation = await organisationForTenant(db, platform, tenantId, tenancy);
  const contacts = organisation
    ? await db.organisationContact.findMany({
        where: { organisationId: organisation.id, kind: { in: ['SUPERVISION_INBOX', 'DUTY_LINE', 'EMERGENCY_SERVICES'] } },
        orderBy: { sortOrder: 'asc' },
      })
    : [];
  const inbox = contacts.find((c) => c.kind === 'SUPERVISION_INBOX');
  const duty = contacts.find((c) => c.kind === 'DUTY_LINE');
  const lines = [
    "I can't find you in the staff directory, so I can't take a request from you here yet.",
    inbox?.email
      ? `Please contact the safeguarding team at ${inbox.email} and ask them to add you.`
      : 'Please ask your administrator to add you to the directory.',
  ];
  if (duty?.phone) lines.push(`For safeguarding advice now, call the ${duty.label} on ${duty.phone} (${duty.availability ?? 'office hours'}).`);
  lines.push('If someone is in immediate danger, call 999.');
  return lines.join('\n\n');
}

/**
 * Actor lookups remembered for a few seconds: a conversation sends several turns in quick
 * succession (a message, then card clicks), and each would otherwise repeat the same
 * query. A change in the directory (a role, leaving) takes effect within `ttlMs`.
 */
export function createActorLookup(db: Db, options: { tenancy?: Tenancy; ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
  const ttlMs = options.ttlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 10_000;
  // Wall time on purpose: how long a cached lookup lives is real elapsed time, not a product date.
  const now = options.now ?? Date.now;
  const cache = new Map<string, { actor: Actor; expires: number }>();
  return async (platform: Platform, tenantId: string, platformUserId: string): Promise<Actor | null> => {
    const key = `${platform}\u0000${tenantId}\u0000${platformUserId}`;
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.actor;
    cache.delete(key);
    const actor = await findActor(db, platform, tenantId, platformUserId, options.tenancy);
    // Only found people are remembered, so someone just added to the directory is seen at once.
    if (actor) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(key, { actor, expires: now() + ttlMs });
    }
    return actor;
  };
}
