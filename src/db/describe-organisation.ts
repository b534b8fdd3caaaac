// Everything about an organisation's set-up (`npm run org -- show`): identity and platforms,
// contacts, service hours and holidays, every setting as the bot applies it (marking defaults),
// staff groups, the supervision matrix, agreement texts, triage channels, the directory's size,
// and any stored value the bot's schemas refuse.
import { AGREEMENT_KINDS } from '../domain/agreement-text.js';
import { reachProblem } from '../domain/contact-rows.js';
import type { AgreementKind } from '../domain/agreements.js';
import { orgSettingsSchema, serviceHoursSchema, timeZoneSchema, WEEKDAYS, type Weekday } from '../domain/org-settings.js';
import { responsePoliciesSchema } from '../domain/response-policy.js';
import { effectiveSettings, SETTINGS_PARTS, type EffectiveSetting, type SettingsPart } from '../domain/settings-input.js';
import { problemsFromZod, type SetupProblem } from '../domain/setup-problems.js';
import type { Db } from './client.js';
import type { CreatedOrganisation } from './create-organisation.js';
import { unknownOrganisation } from './organisation-change.js';

export interface OrganisationDescription extends CreatedOrganisation {
  createdAt: Date;
  contacts: { kind: string; label: string; phone: string | null; email: string | null; url: string | null; availability: string | null }[];
  serviceHours: Record<Weekday, { from: string; to: string }[]>;
  holidays: string[];
  settings: Record<SettingsPart, EffectiveSetting[]>;
  staffGroups: { name: string; members: number }[];
  matrix: {
    staffGroup: string;
    kind: string;
    format: string;
    supervisorPool: string;
    sessionsPerYear: number | null;
    intervalMonths: number | null;
    durationMinutes: number;
    typicalGroupSize: number | null;
    supervisors: string[];
  }[];
  agreements: { kind: AgreementKind; version: number; title: string; createdAt: Date; versions: number }[];
  triageChannels: { platform: string; name: string | null; boundAt: Date }[];
  people: { active: number; inactive: number; byRole: Record<string, number> };
  /** Stored values the bot's schemas refuse (each would stop the start or fail a turn). */
  problems: SetupProblem[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function asWindows(value: unknown): { from: string; to: string }[] {
  return Array.isArray(value) ? value.filter((w: unknown): w is { from: string; to: string } => isObject(w) && typeof w.from === 'string' && typeof w.to === 'string') : [];
}

export async function describeOrganisation(db: Db, slug: string): Promise<OrganisationDescription> {
  const org = await db.organisation.findUnique({
    where: { slug },
    include: {
      contacts: { orderBy: [{ sortOrder: 'asc' }, { label: 'asc' }] },
      staffGroups: { orderBy: { name: 'asc' }, include: { _count: { select: { members: true } } } },
      triageChannels: { orderBy: { platform: 'asc' } },
    },
  });
  if (!org) throw await unknownOrganisation(db, slug);

  const requirements = await db.supervisionRequirement.findMany({
    where: { staffGroup: { organisationId: org.id } },
    include: { staffGroup: { select: { name: true } }, poolMembers: { include: { person: { select: { email: true } } } } },
    orderBy: [{ staffGroup: { name: 'asc' } }, { kind: 'asc' }, { format: 'asc' }],
  });
  const templates = await db.agreementTemplate.findMany({
    where: { organisationId: org.id },
    select: { kind: true, version: true, title: true, createdAt: true },
    orderBy: [{ kind: 'asc' }, { version: 'desc' }],
  });
  const people = await db.person.groupBy({ by: ['active'], where: { organisationId: org.id }, _count: { _all: true } });
  const roleRows = await db.$queryRaw<{ role: string; count: bigint }[]>`
    SELECT unnest("roles")::text AS "role", COUNT(*) AS "count" FROM "Person"
    WHERE "organisationId" = ${org.id} AND "active" GROUP BY 1 ORDER BY 1`;

  const problems: SetupProblem[] = [];
  const check = (result: { success: true } | { success: false; error: import('zod').ZodError }, prefix: string) => {
    if (!result.success) problems.push(...problemsFromZod(result.error, [prefix]));
  };
  check(timeZoneSchema.safeParse(org.timeZone), 'timeZone');
  check(serviceHoursSchema.safeParse(org.serviceHours), 'serviceHours');
  check(responsePoliciesSchema.safeParse(org.responseTargets), 'responseTargets');
  check(orgSettingsSchema.safeParse(org.settings ?? {}), 'settings');
  for (const contact of org.contacts) {
    const reason = reachProblem(contact);
    if (reason) problems.push({ field: `contacts "${contact.label}"`, reason: `${reason} (set-contacts)` });
  }

  const hours = (org.serviceHours ?? {}) as Record<string, unknown>;
  const stored = { responseTargets: org.responseTargets, settings: org.settings };
  const agreements = AGREEMENT_KINDS.flatMap((kind) => {
    const versions = templates.filter((t) => t.kind === kind);
    const latest = versions[0];
    return latest ? [{ kind, version: latest.version, title: latest.title, createdAt: latest.createdAt, versions: versions.length }] : [];
  });
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    timeZone: org.timeZone,
    referencePrefix: org.referencePrefix,
    teamsTenantId: org.teamsTenantId,
    slackTeamId: org.slackTeamId,
    createdAt: org.createdAt,
    contacts: org.contacts.map(({ kind, label, phone, email, url, availability }) => ({ kind, label, phone, email, url, availability })),
    serviceHours: Object.fromEntries(WEEKDAYS.map((d) => [d, asWindows(hours[d])])) as Record<Weekday, { from: string; to: string }[]>,
    holidays: Array.isArray(hours.holidays) ? hours.holidays.filter((d): d is string => typeof d === 'string') : [],
    settings: Object.fromEntries(SETTINGS_PARTS.map((part) => [part, effectiveSettings(part, stored)])) as Record<SettingsPart, EffectiveSetting[]>,
    staffGroups: org.staffGroups.map((g) => ({ name: g.name, members: g._count.members })),
    matrix: requirements.map((r) => ({
      staffGroup: r.staffGroup.name,
      kind: r.kind,
      format: r.format,
      supervisorPool: r.supervisorPool,
      sessionsPerYear: r.sessionsPerYear,
      intervalMonths: r.intervalMonths,
      durationMinutes: r.durationMinutes,
      typicalGroupSize: r.typicalGroupSize,
      supervisors: r.poolMembers.map((m) => m.person.email).sort(),
    })),
    agreements,
    triageChannels: org.triageChannels.map((c) => ({ platform: c.platform, name: c.name, boundAt: c.boundAt })),
    people: {
      active: people.find((p) => p.active)?._count._all ?? 0,
      inactive: people.find((p) => !p.active)?._count._all ?? 0,
      byRole: Object.fromEntries(roleRows.map((r) => [r.role, Number(r.count)])),
    },
    problems,
  };
}
