import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { Platform, Role } from '../../src/db/generated/enums.js';
import { main as importPeople } from '../../src/cli/import-people.js';
import { importDirectory, ImportDirectoryError } from '../../src/db/import-directory.js';
import { createTestDatabase } from '../support/database.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = 'test/fixtures/directory/';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/directory/${name}`, import.meta.url), 'utf8');

const STAFF_GROUPS = ['Nursing', 'Medical', 'Allied health professionals', 'Safeguarding team'];

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});

afterAll(async () => {
  await testDb?.drop();
});

interface TestOrg {
  id: string;
  slug: string;
  teamsTenantId: string | null;
  slackTeamId: string | null;
}

/** A fresh organisation with the four staff groups; its own tenants unless told otherwise. */
async function createOrganisation(options: { localMode?: boolean } = {}): Promise<TestOrg> {
  const slug = `org-${randomUUID().slice(0, 8)}`;
  const org = await db.organisation.create({
    data: {
      slug,
      name: `Test Trust ${slug}`,
      teamsTenantId: options.localMode ? null : randomUUID(),
      slackTeamId: options.localMode ? null : `T${randomUUID().slice(0, 8).toUpperCase()}`,
      serviceHours: { mon: [{ from: '09:00', to: '17:00' }] },
      responseTargets: { urgentMinutes: 30, adviceMinutes: 240, sessionMinutes: 1920 },
      staffGroups: { create: STAFF_GROUPS.map((name) => ({ name })) },
    },
  });
  return { id: org.id, slug, teamsTenantId: org.teamsTenantId, slackTeamId: org.slackTeamId };
}

/** Everything an import could write for an organisation, in a comparable form. */
async function snapshot(organisationId: string) {
  const people = await db.person.findMany({
    where: { organisationId },
    orderBy: { email: 'asc' },
    include: { identities: { orderBy: [{ platform: 'asc' }, { platformUserId: 'asc' }] } },
  });
  const auditEvents = await db.auditEvent.count({ where: { organisationId } });
  const identities = await db.platformIdentity.count({ where: { person: { organisationId } } });
  return { people, auditEvents, identities };
}

async function person(organisationId: string, email: string) {
  return db.person.findUniqueOrThrow({
    where: { organisationId_email: { organisationId, email } },
    include: { lineManager: true, staffGroup: true, identities: true },
  });
}

describe('importDirectory', () => {
  it('imports a good file: everyone, with staff groups, line managers and platform identities', async () => {
    const org = await createOrganisation();
    const result = await importDirectory(db, org.id, fixture('good.csv'));
    expect(result).toEqual({ ok: true, created: 6, updated: 0 });

    const people = await db.person.findMany({ where: { organisationId: org.id } });
    expect(people.map((p) => p.email).sort()).toEqual([
      'aisha.rahman@trust.example.nhs.uk',
      'head.safeguarding@trust.example.nhs.uk',
      'priya.shah@trust.example.nhs.uk',
      'sam.jones@trust.example.nhs.uk',
      'tom.okafor@trust.example.nhs.uk',
      'ward.manager@trust.example.nhs.uk',
    ]);

    const priya = await person(org.id, 'priya.shah@trust.example.nhs.uk');
    expect(priya).toMatchObject({ name: 'Priya Shah', jobTitle: 'Staff Nurse', roles: [Role.STAFF], timeZone: null, active: true });
    expect(priya.staffGroup?.name).toBe('Nursing');
    // Her manager comes later in the file than she does.
    expect(priya.lineManager?.email).toBe('ward.manager@trust.example.nhs.uk');
    expect(priya.identities.map((i) => [i.platform, i.tenantId, i.platformUserId]).sort()).toEqual([
      [Platform.SLACK, org.slackTeamId, 'U01PRIYA01'],
      [Platform.TEAMS, org.teamsTenantId, '3f2504e0-4f89-11d3-9a0c-0305e82c3301'],
    ]);

    const grace = await person(org.id, 'ward.manager@trust.example.nhs.uk');
    expect(grace.lineManager?.email).toBe('head.safeguarding@trust.example.nhs.uk');
    expect(grace.roles).toEqual([Role.LINE_MANAGER, Role.STAFF]);

    const helen = await person(org.id, 'head.safeguarding@trust.example.nhs.uk');
    expect(helen).toMatchObject({ lineManagerId: null, timeZone: 'Europe/London', jobTitle: 'Head of Safeguarding' });
    expect(helen.roles).toEqual([Role.HEAD_OF_SAFEGUARDING, Role.SUPERVISOR, Role.LINE_MANAGER]);
    expect(helen.staffGroup?.name).toBe('Safeguarding team');

    const aisha = await person(org.id, 'aisha.rahman@trust.example.nhs.uk');
    expect(aisha.jobTitle).toBe('Named Doctor, Safeguarding Children');
    expect(aisha.identities.map((i) => i.platformUserId)).toEqual(['W01AISHA01']);

    const snap = await snapshot(org.id);
    expect(snap.identities).toBe(7);
    expect(await db.auditEvent.findFirst({ where: { organisationId: org.id, action: 'directory.imported' } })).toMatchObject({
      detail: { created: 6, updated: 0, identities: 7 },
    });
  });

  it('re-importing updates people in place instead of duplicating them', async () => {
    const org = await createOrganisation();
    await importDirectory(db, org.id, fixture('good.csv'));
    const helenBefore = await person(org.id, 'head.safeguarding@trust.example.nhs.uk');

    expect(await importDirectory(db, org.id, fixture('good-updated.csv'))).toEqual({ ok: true, created: 1, updated: 6 });
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(7);

    const helen = await person(org.id, 'head.safeguarding@trust.example.nhs.uk');
    expect(helen.id).toBe(helenBefore.id);

    const priya = await person(org.id, 'priya.shah@trust.example.nhs.uk');
    expect(priya).toMatchObject({ jobTitle: 'Senior Staff Nurse', roles: [Role.STAFF, Role.SUPERVISOR] });
    // A new Teams id replaces the old one; the Slack id is unchanged.
    expect(priya.identities.map((i) => i.platformUserId).sort()).toEqual(['9b2f3c1a-0d4e-4f5a-8b6c-7d8e9f0a1b2c', 'U01PRIYA01']);

    const tom = await person(org.id, 'tom.okafor@trust.example.nhs.uk');
    expect(tom.lineManager?.email).toBe('head.safeguarding@trust.example.nhs.uk');
    expect(tom.jobTitle).toBe('Specialist Community Public Health Nurse');
    // No time_zone column this time: his stays. An empty Slack cell leaves his identity alone.
    expect(tom.timeZone).toBe('Europe/London');
    expect(tom.identities.map((i) => i.platformUserId)).toEqual(['U01TOMOK01']);

    const noah = await person(org.id, 'new.starter@trust.example.nhs.uk');
    expect(noah.staffGroup?.name).toBe('Allied health professionals');
    expect(noah.lineManager?.email).toBe('ward.manager@trust.example.nhs.uk');
    expect(noah.roles).toEqual([Role.STAFF]);

    // And once more with the first file: same people, nobody duplicated.
    expect(await importDirectory(db, org.id, fixture('good.csv'))).toEqual({ ok: true, created: 0, updated: 6 });
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(7);
    expect((await person(org.id, 'tom.okafor@trust.example.nhs.uk')).lineManager?.email).toBe('ward.manager@trust.example.nhs.uk');
    expect(await db.platformIdentity.count({ where: { person: { organisationId: org.id } } })).toBe(8);
  });

  it('records identities under the "local" tenant when the organisation has no Teams or Slack binding', async () => {
    const org = await createOrganisation({ localMode: true });
    expect(await importDirectory(db, org.id, fixture('good.csv'))).toMatchObject({ ok: true, created: 6 });
    const identities = await db.platformIdentity.findMany({ where: { person: { organisationId: org.id } } });
    expect(identities).toHaveLength(7);
    expect(new Set(identities.map((i) => i.tenantId))).toEqual(new Set(['local']));
  });

  it('accepts a line manager already in the directory but not in the file', async () => {
    const org = await createOrganisation();
    await db.person.create({ data: { organisationId: org.id, name: 'The Director', email: 'director@trust.example.nhs.uk', roles: [Role.LINE_MANAGER] } });
    const text = 'name,email,staff_group,roles,line_manager_email\nHelen Carter,head.safeguarding@trust.example.nhs.uk,Safeguarding team,head of safeguarding,Director@trust.example.nhs.uk\n';
    expect(await importDirectory(db, org.id, text)).toEqual({ ok: true, created: 1, updated: 0 });
    expect((await person(org.id, 'head.safeguarding@trust.example.nhs.uk')).lineManager?.email).toBe('director@trust.example.nhs.uk');
  });

  it('refuses a platform id that already belongs to someone not in the file', async () => {
    const org = await createOrganisation();
    await db.person.create({
      data: {
        organisationId: org.id,
        name: 'The Director',
        email: 'director@trust.example.nhs.uk',
        roles: [Role.LINE_MANAGER],
        identities: { create: { platform: Platform.SLACK, tenantId: org.slackTeamId!, platformUserId: 'U01HELEN01' } },
      },
    });
    const before = await snapshot(org.id);
    const result = await importDirectory(db, org.id, fixture('good.csv'));
    expect(result).toEqual({
      ok: false,
      problems: [expect.objectContaining({ line: 7, field: 'slack_user_id', reason: expect.stringContaining('already belongs to director@trust.example.nhs.uk') })],
    });
    expect(await snapshot(org.id)).toEqual(before);
  });

  it('rolls everything back when the database fails part-way through the writes', async () => {
    const org = await createOrganisation();
    // People are written first and identities last: make the last step fail.
    const failingDb = new Proxy(db, {
      get(target, property, receiver) {
        if (property !== '$transaction') return Reflect.get(target, property, receiver);
        return (fn: (tx: unknown) => Promise<unknown>, options: unknown) =>
          (target.$transaction as (f: (tx: unknown) => Promise<unknown>, o: unknown) => Promise<unknown>)(
            (tx) =>
              fn(
                new Proxy(tx as object, {
                  get(t, p, r) {
                    if (p !== 'platformIdentity') return Reflect.get(t, p, r);
                    const identities = Reflect.get(t, p, r) as object;
                    return new Proxy(identities, {
                      get(it, ip, ir) {
                        if (ip === 'upsert') return () => Promise.reject(new Error('connection lost'));
                        return Reflect.get(it, ip, ir);
                      },
                    });
                  },
                }),
              ),
            options,
          );
      },
    });
    await expect(importDirectory(failingDb, org.id, fixture('good.csv'))).rejects.toThrow('connection lost');
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(0);
    expect(await db.auditEvent.count({ where: { organisationId: org.id } })).toBe(0);
  });

  it('a dry run validates and says what would change, person by person, writing nothing', async () => {
    const org = await createOrganisation();
    expect((await importDirectory(db, org.id, readFileSync(`${FIXTURES}good.csv`, 'utf8'))).ok).toBe(true);
    const before = await snapshot(org.id);
    const result = await importDirectory(db, org.id, readFileSync(`${FIXTURES}good-updated.csv`, 'utf8'), { dryRun: true });
    expect(result).toMatchObject({ ok: true, created: 1, updated: 6 });
    const changes = result.ok ? (result.changes ?? []) : [];
    expect(changes.find((c) => c.email === 'priya.shah@trust.example.nhs.uk')).toMatchObject({
      action: 'update',
      fields: expect.arrayContaining([
        { field: 'roles', from: 'STAFF', to: 'STAFF;SUPERVISOR' },
        { field: 'job_title', from: 'Staff Nurse', to: 'Senior Staff Nurse' },
      ]),
    });
    expect(changes.filter((c) => c.action === 'create')).toHaveLength(1);
    expect(await snapshot(org.id)).toEqual(before);

    // The command prints the same plan and writes nothing either.
    const out: string[] = [];
    const code = await importPeople([`${FIXTURES}good-updated.csv`, '--org', org.slug, '--dry-run'], { DATABASE_URL: testDb.databaseUrl, DATABASE_SCHEMA: testDb.schema }, { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/^Dry run, nothing was written: importing .*good-updated\.csv into Test Trust .* would create 1, update \d+ and leave \d+ unchanged\.$/m);
    expect(out.join('\n')).toContain('  update  Priya Shah <priya.shah@trust.example.nhs.uk>: ');
    expect(out.join('\n')).toContain('job_title Staff Nurse → Senior Staff Nurse');
    expect(await snapshot(org.id)).toEqual(before);
  });

  it('throws a coded error for an unknown organisation', async () => {
    await expect(importDirectory(db, randomUUID(), fixture('good.csv'))).rejects.toMatchObject({
      code: 'ORGANISATION_NOT_FOUND',
    });
    await expect(importDirectory(db, randomUUID(), fixture('good.csv'))).rejects.toBeInstanceOf(ImportDirectoryError);
  });

  describe('a bad file writes nothing at all and reports its problems', () => {
    const cases: { file: string; problems: { line: number; field: string; reason: string }[] }[] = [
      { file: 'bad-staff-group.csv', problems: [{ line: 3, field: 'staff_group', reason: 'unknown staff group "Porters"' }] },
      {
        file: 'bad-line-manager-cycle.csv',
        problems: [
          { line: 3, field: 'line_manager_email', reason: 'cycle' },
          { line: 4, field: 'line_manager_email', reason: 'cycle' },
        ],
      },
      { file: 'bad-unknown-line-manager.csv', problems: [{ line: 3, field: 'line_manager_email', reason: 'nobody@trust.example.nhs.uk is neither in this file nor' }] },
      { file: 'bad-email.csv', problems: [{ line: 3, field: 'email', reason: 'not a valid email' }] },
      { file: 'bad-unclosed-quote.csv', problems: [{ line: 4, field: 'csv', reason: 'not readable as CSV' }] },
      { file: 'bad-duplicate-teams-id.csv', problems: [{ line: 3, field: 'teams_aad_object_id', reason: 'is also on line 2' }] },
      { file: 'bad-missing-column.csv', problems: [{ line: 1, field: 'line_manager_email', reason: 'missing required column' }] },
      {
        file: 'bad-many-problems.csv',
        problems: [
          { line: 3, field: 'name', reason: 'name is empty' },
          { line: 4, field: 'roles', reason: 'unknown role "Matron"' },
          { line: 4, field: 'line_manager_email', reason: 'own line manager' },
          { line: 4, field: 'time_zone', reason: 'Mars/Olympus' },
          { line: 5, field: 'slack_user_id', reason: 'not a Slack user id' },
        ],
      },
    ];

    for (const { file, problems } of cases) {
      it(`${file}: into an empty organisation`, async () => {
        const org = await createOrganisation();
        const result = await importDirectory(db, org.id, fixture(file));
        expect(result).toEqual({
          ok: false,
          problems: problems.map((p) => expect.objectContaining({ ...p, reason: expect.stringContaining(p.reason) })),
        });
        expect(await db.person.count({ where: { organisationId: org.id } })).toBe(0);
        expect(await db.auditEvent.count({ where: { organisationId: org.id } })).toBe(0);
      });

      it(`${file}: over an existing directory, which is left exactly as it was`, async () => {
        const org = await createOrganisation();
        expect((await importDirectory(db, org.id, fixture('good.csv'))).ok).toBe(true);
        const before = await snapshot(org.id);
        expect(before.people).toHaveLength(6);
        const result = await importDirectory(db, org.id, fixture(file));
        expect(result.ok).toBe(false);
        expect(await snapshot(org.id)).toEqual(before);
      });
    }
  });
});

describe('npm run import:people (src/cli/import-people.ts)', () => {
  async function cli(...args: string[]) {
    try {
      const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/import-people.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: testDb.databaseUrl, DATABASE_SCHEMA: testDb.schema },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('exits 1 on a bad file, prints the problems as a table and writes nothing', async () => {
    const org = await createOrganisation();
    const result = await cli(`${FIXTURES}bad-staff-group.csv`, '--org', org.slug);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing was imported');
    expect(result.stderr).toMatch(/^line\s+field\s+reason$/m);
    expect(result.stderr).toMatch(/^3\s+staff_group\s+unknown staff group "Porters"/m);
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(0);
  });

  it('imports a good file and says how many people were created and updated', async () => {
    const org = await createOrganisation();
    const first = await cli(`${FIXTURES}good.csv`, '--org', org.slug);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain('Imported 6 people (6 created, 0 updated)');
    const second = await cli(`${FIXTURES}good-updated.csv`, `--org=${org.slug}`);
    expect(second.stdout).toContain('Imported 7 people (1 created, 6 updated)');
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(7);
  });

  it('explains an unknown organisation, several organisations and a missing file', async () => {
    await createOrganisation();
    await createOrganisation();
    const unknown = await cli(`${FIXTURES}good.csv`, '--org', 'no-such-trust');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown organisation "no-such-trust"');

    const several = await cli(`${FIXTURES}good.csv`);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain('choose one with --org');

    const missing = await cli(`${FIXTURES}no-such-file.csv`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('File not found');
  });
});
