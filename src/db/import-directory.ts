import { systemClock, type Clock } from '../domain/time.js';
import { recordAudit } from './audit.js';
import type { Db } from './client.js';
import { Platform } from './generated/enums.js';
import {
  checkDirectoryCsv,
  identityKey,
  validateDirectoryRows,
  type DirectoryContext,
  type DirectoryPerson,
  type DirectoryProblem,
  type RawDirectory,
} from '../domain/directory-rows.js';

export type ImportDirectoryResult =
  | { ok: true; created: number; updated: number; changes?: PersonChange[] }
  | { ok: false; problems: DirectoryProblem[] };

/** What a real run would do to one person (a dry run's plan): no field listed means nothing changes. */
export interface PersonChange {
  email: string;
  name: string;
  action: 'create' | 'update' | 'unchanged';
  /** The fields a real run would change, before and after (values as the directory shows them; '' for none). */
  fields: { field: string; from: string; to: string }[];
}

export class ImportDirectoryError extends Error {
  constructor(
    readonly code: 'ORGANISATION_NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'ImportDirectoryError';
  }
}

/** Tenant the identities are recorded under when the organisation has no Teams/Slack binding yet. */
export const LOCAL_TENANT = 'local';

export interface ImportDirectoryOptions {
  /** Interactive transaction timeout; a directory of thousands of people takes a while. */
  timeoutMs?: number;
  /** Stamps new people's createdAt (cadence counts from it) and the audit entry. */
  clock?: Clock;
  /** Where the rows came from, recorded in the audit entry (default "csv"). */
  source?: 'csv' | 'entra';
  /** Validate only: report problems, or the counts a real run would give, and write nothing. */
  dryRun?: boolean;
}

/**
 * Load a staff directory CSV (format in src/domain/directory-rows.ts) into an organisation.
 * `directory` is the file's text, or rows already split into the file's columns (the Entra
 * import, src/directory/import-from-entra.ts): both pass the same validation.
 *
 * All or nothing: the file is validated against the organisation as it is inside the same
 * transaction that writes it, and if there is any problem nothing is written. People are
 * matched by (organisation, email); people not in the file are left as they are.
 */
export async function importDirectory(
  db: Db,
  organisationId: string,
  directory: string | RawDirectory,
  options: ImportDirectoryOptions = {},
): Promise<ImportDirectoryResult> {
  const now = (options.clock ?? systemClock).now();
  return db.$transaction(
    async (tx) => {
      const org = await tx.organisation.findUnique({
        where: { id: organisationId },
        select: { teamsTenantId: true, slackTeamId: true },
      });
      if (!org) throw new ImportDirectoryError('ORGANISATION_NOT_FOUND', `No organisation with id ${organisationId}`);
      const tenants = {
        [Platform.TEAMS]: org.teamsTenantId ?? LOCAL_TENANT,
        [Platform.SLACK]: org.slackTeamId ?? LOCAL_TENANT,
      };

      const groups = await tx.staffGroup.findMany({ where: { organisationId }, select: { id: true, name: true } });
      const existing = await tx.person.findMany({
        where: { organisationId },
        select: { id: true, email: true, lineManagerId: true, lineManager: { select: { email: true } } },
      });
      const identities = await tx.platformIdentity.findMany({
        where: {
          OR: [
            { platform: Platform.TEAMS, tenantId: tenants.TEAMS },
            { platform: Platform.SLACK, tenantId: tenants.SLACK },
          ],
        },
        select: { platform: true, platformUserId: true, person: { select: { email: true, organisationId: true } } },
      });

      const existingByEmail = new Map(existing.map((p) => [p.email.toLowerCase(), p]));
      const context: DirectoryContext = {
        staffGroupNames: groups.map((g) => g.name),
        existingEmails: existingByEmail.keys(),
        existingLineManagers: new Map(
          existing.map((p) => [p.email.toLowerCase(), p.lineManager?.email.toLowerCase() ?? null]),
        ),
        identityOwners: new Map(
          identities.map((i) => [
            identityKey(i.platform, i.platformUserId),
            i.person.organisationId === organisationId ? i.person.email.toLowerCase() : null,
          ]),
        ),
      };
      const validation =
        typeof directory === 'string' ? checkDirectoryCsv(directory, context) : validateDirectoryRows(directory, context);
      if (!validation.ok) return { ok: false as const, problems: validation.problems };

      const groupIdByName = new Map(groups.map((g) => [g.name, g.id]));
      const people = validation.people;
      if (options.dryRun) {
        const updated = people.filter((p) => existingByEmail.has(p.email)).length;
        return { ok: true as const, created: people.length - updated, updated, changes: await planChanges(tx, organisationId, people, tenants) };
      }

      // 1. People, matched by (organisation, email).
      const idByEmail = new Map([...existingByEmail].map(([email, p]) => [email, p.id]));
      let created = 0;
      let updated = 0;
      for (const person of people) {
        const before = existingByEmail.get(person.email);
        const fields = personFields(person, groupIdByName);
        const saved = await tx.person.upsert({
          where: { organisationId_email: { organisationId, email: before?.email ?? person.email } },
          create: { organisationId, ...fields, createdAt: now },
          update: fields,
          select: { id: true },
        });
        idByEmail.set(person.email, saved.id);
        if (before) updated += 1;
        else created += 1;
      }

      // 2. Line managers, once everyone exists (a manager may come later in the file).
      for (const person of people) {
        const id = idByEmail.get(person.email)!;
        const lineManagerId = person.lineManagerEmail === null ? null : idByEmail.get(person.lineManagerEmail)!;
        const before = existingByEmail.get(person.email);
        if ((before?.lineManagerId ?? null) === lineManagerId) continue;
        await tx.person.update({ where: { id }, data: { lineManagerId } });
      }

      // 3. Platform identities: drop a listed person's stale id first, so ids can move between people.
      const wanted = people.flatMap((person) => {
        const personId = idByEmail.get(person.email)!;
        const rows: { personId: string; platform: Platform; platformUserId: string }[] = [];
        if (person.teamsAadObjectId) rows.push({ personId, platform: Platform.TEAMS, platformUserId: person.teamsAadObjectId });
        if (person.slackUserId) rows.push({ personId, platform: Platform.SLACK, platformUserId: person.slackUserId });
        return rows;
      });
      for (const w of wanted) {
        await tx.platformIdentity.deleteMany({
          where: { personId: w.personId, platform: w.platform, tenantId: tenants[w.platform], platformUserId: { not: w.platformUserId } },
        });
      }
      for (const w of wanted) {
        const tenantId = tenants[w.platform];
        await tx.platformIdentity.upsert({
          where: { platform_tenantId_platformUserId: { platform: w.platform, tenantId, platformUserId: w.platformUserId } },
          create: { personId: w.personId, platform: w.platform, tenantId, platformUserId: w.platformUserId },
          update: { personId: w.personId },
        });
      }

      await recordAudit(tx, {
        at: now,
        organisationId,
        actorId: null,
        action: 'directory.imported',
        subjectType: 'organisation',
        subjectId: organisationId,
        detail: { created, updated, identities: wanted.length, ...(options.source && options.source !== 'csv' ? { source: options.source } : {}) },
      });
      return { ok: true as const, created, updated };
    },
    { timeout: options.timeoutMs ?? 300_000, maxWait: 15_000 },
  );
}

/** The changes a real run would make, person by person (a dry run): read only. */
async function planChanges(
  tx: Pick<Db, 'person'>,
  organisationId: string,
  people: readonly DirectoryPerson[],
  tenants: Record<Platform, string>,
): Promise<PersonChange[]> {
  const stored = await tx.person.findMany({
    where: { organisationId, email: { in: people.map((p) => p.email) } },
    select: {
      email: true,
      name: true,
      jobTitle: true,
      roles: true,
      active: true,
      timeZone: true,
      staffGroup: { select: { name: true } },
      lineManager: { select: { email: true } },
      identities: { select: { platform: true, tenantId: true, platformUserId: true } },
    },
  });
  const byEmail = new Map(stored.map((p) => [p.email.toLowerCase(), p]));
  return people.map((person) => {
    const before = byEmail.get(person.email);
    const identity = (platform: Platform) => before?.identities.find((i) => i.platform === platform && i.tenantId === tenants[platform])?.platformUserId ?? '';
    const pairs: [string, string, string | undefined][] = [
      ['name', before?.name ?? '', person.name],
      ['staff_group', before?.staffGroup?.name ?? '', person.staffGroup],
      ['roles', [...(before?.roles ?? [])].sort().join(';'), [...person.roles].sort().join(';')],
      ['line_manager_email', before?.lineManager?.email.toLowerCase() ?? '', person.lineManagerEmail ?? ''],
      // undefined: the column is absent and the stored value stays.
      ['job_title', before?.jobTitle ?? '', person.jobTitle === undefined ? undefined : (person.jobTitle ?? '')],
      ['time_zone', before?.timeZone ?? '', person.timeZone === undefined ? undefined : (person.timeZone ?? '')],
      ['teams_aad_object_id', identity(Platform.TEAMS), person.teamsAadObjectId ? person.teamsAadObjectId : undefined],
      ['slack_user_id', identity(Platform.SLACK), person.slackUserId ? person.slackUserId : undefined],
      ['active', before ? String(before.active) : '', 'true'],
    ];
    const fields = pairs.filter((c): c is [string, string, string] => c[2] !== undefined && c[1] !== c[2]).map(([field, from, to]) => ({ field, from, to }));
    return { email: person.email, name: person.name, action: !before ? 'create' : fields.length > 0 ? 'update' : 'unchanged', fields };
  });
}

function personFields(person: DirectoryPerson, groupIdByName: ReadonlyMap<string, string>) {
  return {
    name: person.name,
    email: person.email,
    staffGroupId: groupIdByName.get(person.staffGroup)!,
    roles: person.roles,
    active: true,
    // undefined (column absent) leaves the stored value alone
    jobTitle: person.jobTitle,
    timeZone: person.timeZone,
  };
}
