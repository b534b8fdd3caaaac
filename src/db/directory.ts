import type { Db } from './client.js';
import type { Actor, Platform } from '../flows/types.js';
import { DEFAULT_TIME_ZONE } from '../domain/time.js';
import type { Role } from '../domain/permissions.js';

/**
 * The person behind a platform identity, or null when they are not in the directory. One
 * query on every turn's hot path (Prisma's nested include would take three).
 */
export async function findActor(
  db: Db,
  platform: Platform,
  tenantId: string,
  platformUserId: string,
): Promise<Actor | null> {
  const rows = await db.$queryRaw<Array<{ id: string; organisationId: string; roles: Role[]; name: string; timeZone: string | null }>>`
    SELECT p."id", p."organisationId", p."roles"::text[] AS "roles", p."name", COALESCE(p."timeZone", o."timeZone") AS "timeZone"
    FROM "PlatformIdentity" i
    JOIN "Person" p ON p."id" = i."personId"
    JOIN "Organisation" o ON o."id" = p."organisationId"
    WHERE i."platform" = ${platform}::"Platform" AND i."tenantId" = ${tenantId} AND i."platformUserId" = ${platformUserId}
      AND p."active"`;
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

/**
 * Link a platform identity to the directory entry with this e-mail (the address the
 * platform itself reports for the user), so people need no separate registration.
 */
export async function linkIdentityByEmail(
  db: Db,
  platform: Platform,
  tenantId: string,
  platformUserId: string,
  email: string,
): Promise<Actor | null> {
  const organisation = await organisationForTenant(db, platform, tenantId);
  if (!organisation) return null;
  const person = await db.person.findUnique({
    where: { organisationId_email: { organisationId: organisation.id, email: email.trim().toLowerCase() } },
  });
  if (!person || !person.active) return null;
  await db.platformIdentity.upsert({
    where: { platform_tenantId_platformUserId: { platform, tenantId, platformUserId } },
    create: { personId: person.id, platform, tenantId, platformUserId },
    update: {},
  });
  return findActor(db, platform, tenantId, platformUserId);
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

/** The organisation a tenant or workspace belongs to; with a single organisation, that one. */
export async function organisationForTenant(db: Db, platform: Platform, tenantId: string) {
  const byTenant = await db.organisation.findFirst({
    where: platform === 'TEAMS' ? { teamsTenantId: tenantId } : { slackTeamId: tenantId },
  });
  if (byTenant) return byTenant;
  // A single organisation that has not yet recorded its tenant (local mode, a new install)
  // takes everyone; once the tenant is set, only that tenant maps to it.
  const all = await db.organisation.findMany({ take: 2 });
  const only = all.length === 1 ? all[0]! : null;
  const unset = platform === 'TEAMS' ? only?.teamsTenantId == null : only?.slackTeamId == null;
  return only && unset ? only : null;
}

/** What to tell someone the bot cannot find in the directory: whom to contact instead. */
export async function notInDirectoryMessage(db: Db, platform: Platform, tenantId: string): Promise<string> {
  const organisation = await organisationForTenant(db, platform, tenantId);
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
export function createActorLookup(db: Db, options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
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
    const actor = await findActor(db, platform, tenantId, platformUserId);
    // Only found people are remembered, so someone just added to the directory is seen at once.
    if (actor) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(key, { actor, expires: now() + ttlMs });
    }
    return actor;
  };
}
