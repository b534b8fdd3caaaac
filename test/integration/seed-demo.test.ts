import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { findUnreachableContacts } from '../../src/db/check-organisation-contacts.js';
import { DEMO_PEOPLE, DEMO_STAFF_GROUPS, DEMO_TENANT_ID, STAFF_SUPPORT_PLACEHOLDER } from '../../src/db/demo-organisation.js';
import {
  AgreementKind,
  ContactKind,
  Platform,
  RequirementKind,
  Role,
  SupervisionFormat,
  SupervisorPool,
} from '../../src/db/generated/enums.js';
import { parseOrgConfig } from '../../src/domain/org-settings.js';
import { isDatabaseEmpty, seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { createTestDatabase } from '../support/database.js';

describe('seedDemoOrganisation', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let organisationId: string;

  beforeAll(async () => {
    const testDb = await createTestDatabase();
    db = testDb.db;
    drop = testDb.drop;
    expect(await isDatabaseEmpty(db)).toBe(true);
    const result = await seedDemoOrganisation(db);
    expect(result.created).toBe(true);
    organisationId = result.organisationId;
  });

  afterAll(async () => {
    await drop?.();
  });

  it('creates the organisation with valid configuration', async () => {
    expect(await isDatabaseEmpty(db)).toBe(false);
    const org = await db.organisation.findUniqueOrThrow({ where: { id: organisationId } });
    expect(org).toMatchObject({
      slug: 'las-demo',
      name: 'London Ambulance Service NHS Trust (demo)',
      timeZone: 'Europe/London',
      referencePrefix: 'SGS',
    });
    const config = parseOrgConfig(org);
    // Advice within 4 service hours; a session request within two 8-hour working days.
    expect(config.responseTargets).toEqual({
      urgent: { targetMinutes: 30, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 },
      advice: { targetMinutes: 240, resurfaceAfterMinutes: 60, escalateAfterMinutes: 240 },
      session: { targetMinutes: 960, resurfaceAfterMinutes: 240, escalateAfterMinutes: 960 },
    });
    expect(org.responseTargets).toEqual(config.responseTargets);
    expect(config.serviceHours.mon).toEqual([{ from: '09:00', to: '17:00' }]);
    expect(config.serviceHours.sat).toEqual([]);
    expect(org.settings).toEqual({});
  });

  it('gives every role to at least one person', async () => {
    const people = await db.person.findMany({ where: { organisationId } });
    expect(people).toHaveLength(DEMO_PEOPLE.length);
    for (const role of Object.values(Role)) {
      expect(people.some((p) => p.roles.includes(role)), role).toBe(true);
    }
  });

  it('gives every non-specialist staff member a line manager who is a line manager', async () => {
    const people = await db.person.findMany({ where: { organisationId }, include: { lineManager: true } });
    const staff = people.filter((p) => p.roles.includes(Role.STAFF) && !p.roles.includes(Role.SPECIALIST));
    expect(staff.length).toBeGreaterThan(0);
    for (const p of staff) {
      expect(p.lineManager, p.name).not.toBeNull();
      expect(p.lineManager!.roles, p.name).toContain(Role.LINE_MANAGER);
      expect(p.lineManager!.organisationId).toBe(organisationId);
    }
  });

  it('stores the standing reasonable adjustments and quiet hours', async () => {
    const withAdjustments = await db.person.findMany({
      where: { organisationId, reasonableAdjustments: { not: null }, quietHoursStart: { not: null } },
    });
    expect(withAdjustments.length).toBeGreaterThanOrEqual(1);
  });

  it('stores the supervision matrix as the policy gives it', async () => {
    const groups = await db.staffGroup.findMany({ where: { organisationId }, include: { requirements: true } });
    expect(groups.map((g) => g.name).sort()).toEqual(DEMO_STAFF_GROUPS.map((g) => g.name).sort());
    const row = (group: string, format: SupervisionFormat) => {
      const g = groups.find((x) => x.name === group);
      const r = g?.requirements.find((x) => x.format === format);
      if (!r) throw new Error(`no ${format} row for ${group}`);
      return r;
    };
    const S = SupervisorPool.SAFEGUARDING_SPECIALISTS;
    const X = SupervisorPool.EXTERNAL_PROVIDER;
    const M = RequirementKind.MANDATORY;
    const { INDIVIDUAL, GROUP } = SupervisionFormat;
    const expected: Array<[string, SupervisionFormat, RequirementKind, SupervisorPool, number | null, number, number | null]> = [
      ['Emergency Bed Service', GROUP, M, S, 2, 90, 6],
      ['Head of Safeguarding', INDIVIDUAL, M, X, 10, 150, null],
      ['Safeguarding Specialists', INDIVIDUAL, M, X, 4, 60, null],
      ['Safeguarding Officer', INDIVIDUAL, M, S, 2, 60, null],
      ['Safeguarding Administrator', INDIVIDUAL, M, S, 2, 60, null],
      ['Mental Health Nurses', INDIVIDUAL, M, S, 2, 60, null],
      ['Frequent Caller Team', GROUP, M, S, 2, 90, 2],
      ['Operational Staff, EOC and 111', INDIVIDUAL, RequirementKind.ON_REQUEST, S, null, 60, null],
      ['Operational Staff, EOC and 111', GROUP, RequirementKind.ON_REQUEST, S, null, 90, null],
    ];
    for (const [group, format, kind, pool, perYear, minutes, groupSize] of expected) {
      expect(row(group, format), `${group} ${format}`).toMatchObject({
        kind,
        supervisorPool: pool,
        sessionsPerYear: perYear,
        durationMinutes: minutes,
        typicalGroupSize: groupSize,
      });
    }
    expect(groups.reduce((n, g) => n + g.requirements.length, 0)).toBe(expected.length);
  });

  it('puts both specialists in every specialist-supervised pool and the external supervisor in the external pools', async () => {
    const requirements = await db.supervisionRequirement.findMany({
      where: { staffGroup: { organisationId } },
      include: { poolMembers: { include: { person: true } } },
    });
    for (const r of requirements) {
      const members = r.poolMembers.map((m) => m.person);
      if (r.supervisorPool === SupervisorPool.SAFEGUARDING_SPECIALISTS) {
        expect(members).toHaveLength(2);
        for (const m of members) expect(m.roles).toEqual(expect.arrayContaining([Role.SPECIALIST, Role.SUPERVISOR]));
      } else {
        expect(members.map((m) => m.email)).toEqual(['frankie.madeup@demo.las.nhs.uk']);
      }
    }
  });

  it('lists the duty line, the 24/7 line and the other routes', async () => {
    const contacts = await db.organisationContact.findMany({ where: { organisationId }, orderBy: { sortOrder: 'asc' } });
    const of = (kind: ContactKind) => contacts.filter((c) => c.kind === kind);
    expect(of(ContactKind.DUTY_LINE)[0]).toMatchObject({ phone: '07990 138855' });
    expect(of(ContactKind.OUT_OF_HOURS_LINE)[0]).toMatchObject({ phone: '020 7407 7181', availability: '24/7' });
    expect(of(ContactKind.SUPERVISION_INBOX)[0]).toMatchObject({ email: 'SGSupervision@lond-amb.nhs.uk' });
    expect(of(ContactKind.EMERGENCY_SERVICES)[0]).toMatchObject({ phone: '999' });
    expect(of(ContactKind.EMERGENCY_DUTY_TEAM)).toHaveLength(1);
    expect(of(ContactKind.STAFF_SUPPORT).length).toBeGreaterThanOrEqual(1);
  });

  it('stores staff support with a placeholder link each, which the start check accepts', async () => {
    const support = await db.organisationContact.findMany({ where: { organisationId, kind: ContactKind.STAFF_SUPPORT }, orderBy: { sortOrder: 'asc' } });
    expect(support.map((c) => [c.label, c.url, c.availability])).toEqual([
      ['Staff support services', 'https://las-demo.example/staff-support', STAFF_SUPPORT_PLACEHOLDER],
      ['Counselling', 'https://las-demo.example/counselling', STAFF_SUPPORT_PLACEHOLDER],
      ['LINC workers (peer support)', 'https://las-demo.example/linc', STAFF_SUPPORT_PLACEHOLDER],
    ]);
    expect(await findUnreachableContacts(db)).toEqual([]);
  });

  it('stores version 1 of all four agreement templates', async () => {
    const templates = await db.agreementTemplate.findMany({ where: { organisationId } });
    expect(templates.map((t) => t.kind).sort()).toEqual(Object.values(AgreementKind).sort());
    for (const t of templates) expect(t.version).toBe(1);
  });

  it('gives every demo person a Teams identity in the demo tenant', async () => {
    const identities = await db.platformIdentity.findMany({
      where: { person: { organisationId } },
      include: { person: true },
    });
    expect(identities).toHaveLength(DEMO_PEOPLE.length);
    for (const p of DEMO_PEOPLE) {
      const identity = identities.find((i) => i.platformUserId === p.aadObjectId);
      expect(identity, p.key).toBeDefined();
      expect(identity).toMatchObject({ platform: Platform.TEAMS, tenantId: DEMO_TENANT_ID });
      expect(identity!.person.email).toBe(p.email);
    }
  });

  it('creates nothing the second time', async () => {
    const counts = async () => ({
      organisations: await db.organisation.count(),
      people: await db.person.count(),
      identities: await db.platformIdentity.count(),
      contacts: await db.organisationContact.count(),
      groups: await db.staffGroup.count(),
      requirements: await db.supervisionRequirement.count(),
      pool: await db.supervisorPoolMember.count(),
      templates: await db.agreementTemplate.count(),
    });
    const before = await counts();
    const again = await seedDemoOrganisation(db, { tenantId: 'some-other-tenant' });
    expect(again).toEqual({ organisationId, created: false });
    expect(await counts()).toEqual(before);
  });
});

describe('seedDemoOrganisation with a tenant id', () => {
  it('uses the given tenant for the identities', async () => {
    const { db, drop } = await createTestDatabase();
    try {
      const tenantId = '0f0e0d0c-0000-4000-8000-000000000001';
      const { organisationId, created } = await seedDemoOrganisation(db, { tenantId });
      expect(created).toBe(true);
      const tenants = await db.platformIdentity.findMany({
        where: { person: { organisationId } },
        select: { tenantId: true },
        distinct: ['tenantId'],
      });
      expect(tenants).toEqual([{ tenantId }]);
    } finally {
      await drop();
    }
  });
});
