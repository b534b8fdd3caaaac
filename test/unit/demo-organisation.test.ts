import { describe, expect, it } from 'vitest';
import {
  DEMO_AGREEMENT_TEMPLATES,
  DEMO_CONTACTS,
  DEMO_ORGANISATION,
  DEMO_PEOPLE,
  DEMO_STAFF_GROUPS,
  DEMO_TENANT_ID,
  demoPerson,
  STAFF_SUPPORT_PLACEHOLDER,
} from '../../src/db/demo-organisation.js';
import { AgreementKind, ContactKind, RequirementKind, Role, SupervisionFormat, SupervisorPool } from '../../src/db/generated/enums.js';
import {
  orgSettingsSchema,
  parseOrgConfig,
  serviceHoursSchema,
} from '../../src/domain/org-settings.js';
import { responsePoliciesSchema } from '../../src/domain/response-policy.js';
import { checkContactsCsv, reachProblem } from '../../src/domain/contact-rows.js';
import { staffSupport } from '../../src/domain/urgent-routes.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('demo organisation', () => {
  it('is the LAS demo with the policy identity', () => {
    expect(DEMO_ORGANISATION).toMatchObject({
      slug: 'las-demo',
      name: 'London Ambulance Service NHS Trust (demo)',
      timeZone: 'Europe/London',
      referencePrefix: 'SGS',
    });
    expect(DEMO_TENANT_ID).toMatch(GUID);
  });

  it('has service hours, targets and settings that parse with the organisation schemas', () => {
    const hours = serviceHoursSchema.parse(DEMO_ORGANISATION.serviceHours);
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri'] as const) {
      expect(hours[day]).toEqual([{ from: '09:00', to: '17:00' }]);
    }
    expect(hours.sat).toEqual([]);
    expect(hours.sun).toEqual([]);
    // Matching their comments: advice in 4 service hours, a session in two 8-hour working days.
    expect(responsePoliciesSchema.parse(DEMO_ORGANISATION.responseTargets)).toEqual({
      urgent: { targetMinutes: 30, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 },
      advice: { targetMinutes: 4 * 60, resurfaceAfterMinutes: 60, escalateAfterMinutes: 4 * 60 },
      session: { targetMinutes: 2 * 8 * 60, resurfaceAfterMinutes: 4 * 60, escalateAfterMinutes: 2 * 8 * 60 },
    });
    const workingDay = Number(hours.mon[0]!.to.slice(0, 2)) - Number(hours.mon[0]!.from.slice(0, 2));
    expect(DEMO_ORGANISATION.responseTargets.session.targetMinutes).toBe(2 * workingDay * 60);
    expect(DEMO_ORGANISATION.settings).toEqual({});
    expect(orgSettingsSchema.parse(DEMO_ORGANISATION.settings)).toEqual(orgSettingsSchema.parse({}));
    expect(() => parseOrgConfig(DEMO_ORGANISATION)).not.toThrow();
  });
});

describe('demo contacts', () => {
  const byKind = (kind: ContactKind) => DEMO_CONTACTS.filter((c) => c.kind === kind);

  it('has every kind of contact', () => {
    for (const kind of Object.values(ContactKind)) expect(byKind(kind).length, kind).toBeGreaterThan(0);
  });

  it('gives the routes of seeds 000 7.2.1 and 7.2.4 and 999', () => {
    expect(byKind(ContactKind.SUPERVISION_INBOX)[0]?.email).toBe('SGSupervision@lond-amb.nhs.uk');
    const duty = byKind(ContactKind.DUTY_LINE)[0]!;
    expect(duty.phone).toBe('07990 138855');
    expect(duty.availability).toMatch(/office hours/i);
    const ebs = byKind(ContactKind.OUT_OF_HOURS_LINE)[0]!;
    expect(ebs.phone).toBe('020 7407 7181');
    expect(ebs.label).toMatch(/Emergency Bed Service/);
    expect(ebs.availability).toBe('24/7');
    expect(byKind(ContactKind.EMERGENCY_SERVICES)[0]?.phone).toBe('999');
  });

  it('invents no phone numbers for the Emergency Duty Team or staff support', () => {
    const edt = byKind(ContactKind.EMERGENCY_DUTY_TEAM)[0]!;
    expect(edt.phone).toBeNull();
    expect(edt.availability).toMatch(/EBS/);
    for (const c of byKind(ContactKind.STAFF_SUPPORT)) expect(c.phone).toBeNull();
    const published = new Set(['07990 138855', '020 7407 7181', '999']);
    for (const c of DEMO_CONTACTS) if (c.phone !== null) expect(published.has(c.phone), c.phone).toBe(true);
  });

  it('signposts the services of seeds 000 procedure 4.6, each with a link that is plainly a demo placeholder', () => {
    const support = byKind(ContactKind.STAFF_SUPPORT);
    expect(support.map((c) => [c.label, c.url])).toEqual([
      ['Staff support services', 'https://las-demo.example/staff-support'],
      ['Counselling', 'https://las-demo.example/counselling'],
      ['LINC workers (peer support)', 'https://las-demo.example/linc'],
    ]);
    for (const c of support) {
      // The reserved .example domain (RFC 2606) reaches nobody; the words say a trust sets its own, and how.
      expect(new URL(c.url!).hostname.endsWith('.example'), c.url!).toBe(true);
      expect(c.availability).toBe(STAFF_SUPPORT_PLACEHOLDER);
    }
    expect(STAFF_SUPPORT_PLACEHOLDER).toBe('Demo placeholder: your trust sets its own with npm run org -- set-contacts');
    // Short enough to read on a phone: each line the bot shows ("label: link (availability)").
    for (const line of staffSupport([...DEMO_CONTACTS])) expect(`${line.label}: ${line.detail}`.length, line.label).toBeLessThanOrEqual(160);
  });

  it('passes the contacts-file rules an organisation is loaded with (set-contacts)', () => {
    const cell = (value: string | null) => (value === null ? '' : /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
    const csv = ['kind,label,phone,email,url,availability', ...DEMO_CONTACTS.map((c) => [c.kind, c.label, c.phone, c.email, c.url, c.availability].map(cell).join(','))].join('\n');
    const checked = checkContactsCsv(csv);
    expect(checked.ok ? [] : checked.problems).toEqual([]);
    for (const c of DEMO_CONTACTS) expect(reachProblem(c), c.label).toBeNull();
  });

  it('has distinct sort orders', () => {
    expect(new Set(DEMO_CONTACTS.map((c) => c.sortOrder)).size).toBe(DEMO_CONTACTS.length);
  });
});

describe('demo supervision matrix (seeds 000 appendix 3)', () => {
  const group = (name: string) => {
    const found = DEMO_STAFF_GROUPS.find((g) => g.name === name);
    if (!found) throw new Error(`missing staff group ${name}`);
    return found;
  };
  const S = SupervisorPool.SAFEGUARDING_SPECIALISTS;
  const X = SupervisorPool.EXTERNAL_PROVIDER;
  const M = RequirementKind.MANDATORY;

  it.each([
    ['Emergency Bed Service', M, SupervisionFormat.GROUP, S, 2, 90, 6],
    ['Head of Safeguarding', M, SupervisionFormat.INDIVIDUAL, X, 10, 150, null],
    ['Safeguarding Specialists', M, SupervisionFormat.INDIVIDUAL, X, 4, 60, null],
    ['Safeguarding Officer', M, SupervisionFormat.INDIVIDUAL, S, 2, 60, null],
    ['Safeguarding Administrator', M, SupervisionFormat.INDIVIDUAL, S, 2, 60, null],
    ['Mental Health Nurses', M, SupervisionFormat.INDIVIDUAL, S, 2, 60, null],
    ['Frequent Caller Team', M, SupervisionFormat.GROUP, S, 2, 90, 2],
  ] as const)('%s: %s %s by %s, %i a year, %i minutes', (name, kind, format, pool, perYear, minutes, groupSize) => {
    expect(group(name).requirements).toEqual([
      {
        kind,
        format,
        supervisorPool: pool,
        sessionsPerYear: perYear,
        intervalMonths: null,
        durationMinutes: minutes,
        typicalGroupSize: groupSize,
      },
    ]);
  });

  it('offers Operational Staff, EOC and 111 individual or group supervision on request', () => {
    const rows = group('Operational Staff, EOC and 111').requirements;
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: RequirementKind.ON_REQUEST, format: SupervisionFormat.INDIVIDUAL, durationMinutes: 60, sessionsPerYear: null, supervisorPool: S }),
        expect.objectContaining({ kind: RequirementKind.ON_REQUEST, format: SupervisionFormat.GROUP, durationMinutes: 90, sessionsPerYear: null, supervisorPool: S }),
      ]),
    );
  });

  it('has exactly the eight staff groups of the matrix', () => {
    expect(DEMO_STAFF_GROUPS).toHaveLength(8);
    expect(new Set(DEMO_STAFF_GROUPS.map((g) => g.name)).size).toBe(8);
  });
});

describe('demo people', () => {
  it('covers every role', () => {
    for (const role of Object.values(Role)) {
      expect(DEMO_PEOPLE.some((p) => p.roles.includes(role)), role).toBe(true);
    }
  });

  it('has unique keys, emails, names and Teams object ids', () => {
    for (const field of ['key', 'email', 'name', 'aadObjectId'] as const) {
      const values = DEMO_PEOPLE.map((p) => p[field].toLowerCase());
      expect(new Set(values).size, field).toBe(DEMO_PEOPLE.length);
    }
  });

  it('uses the demo mail domain and GUID object ids', () => {
    for (const p of DEMO_PEOPLE) {
      expect(p.email).toMatch(/^[a-z.-]+@demo\.las\.nhs\.uk$/);
      expect(p.aadObjectId).toMatch(GUID);
      expect(p.aadObjectId).not.toBe(DEMO_TENANT_ID);
    }
  });

  it('gives every staff member a line manager that resolves, without cycles', () => {
    const keys = new Set(DEMO_PEOPLE.map((p) => p.key));
    for (const p of DEMO_PEOPLE) {
      if (p.roles.includes(Role.STAFF)) expect(p.lineManagerKey, p.key).not.toBeNull();
      if (p.lineManagerKey !== null) {
        expect(keys.has(p.lineManagerKey), `${p.key} -> ${p.lineManagerKey}`).toBe(true);
        expect(demoPerson(p.lineManagerKey).roles, p.lineManagerKey).toContain(Role.LINE_MANAGER);
      }
      const seen = new Set<string>();
      for (let at: string | null = p.key; at !== null; at = demoPerson(at).lineManagerKey) {
        expect(seen.has(at), `cycle through ${at}`).toBe(false);
        seen.add(at);
      }
    }
  });

  it('puts staff in matrix groups', () => {
    const names = new Set<string>(DEMO_STAFF_GROUPS.map((g) => g.name));
    for (const p of DEMO_PEOPLE) {
      if (p.staffGroup !== null) expect(names.has(p.staffGroup), p.staffGroup).toBe(true);
      if (p.roles.includes(Role.STAFF)) expect(p.staffGroup, p.key).not.toBeNull();
    }
  });

  it('has the frontline, safeguarding and external people the demo needs', () => {
    expect(demoPerson('paramedic').jobTitle).toMatch(/Paramedic/);
    expect(demoPerson('call-handler').jobTitle).toMatch(/EOC/);
    expect(demoPerson('clinician-111').jobTitle).toMatch(/111/);
    expect(demoPerson('ebs').staffGroup).toBe('Emergency Bed Service');
    expect(demoPerson('mh-nurse').staffGroup).toBe('Mental Health Nurses');
    const specialists = DEMO_PEOPLE.filter((p) => p.roles.includes(Role.SPECIALIST));
    expect(specialists).toHaveLength(2);
    for (const s of specialists) {
      expect(s.roles).toContain(Role.SUPERVISOR);
      expect(s.supervisorPools).toContain(SupervisorPool.SAFEGUARDING_SPECIALISTS);
    }
    expect(demoPerson('head').roles).toContain(Role.HEAD_OF_SAFEGUARDING);
    expect(demoPerson('admin').roles).toContain(Role.ADMINISTRATOR);
    const external = demoPerson('external-supervisor');
    expect(external.roles).toEqual([Role.SUPERVISOR]);
    expect(external.supervisorPools).toEqual([SupervisorPool.EXTERNAL_PROVIDER]);
    expect(() => demoPerson('nobody')).toThrow();
  });

  it('has someone with standing reasonable adjustments and a quiet-hours window', () => {
    const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
    const withBoth = DEMO_PEOPLE.filter((p) => p.reasonableAdjustments && p.quietHoursStart && p.quietHoursEnd);
    expect(withBoth.length).toBeGreaterThanOrEqual(1);
    for (const p of DEMO_PEOPLE) {
      expect(p.quietHoursStart === null, p.key).toBe(p.quietHoursEnd === null);
      if (p.quietHoursStart !== null) {
        expect(p.quietHoursStart).toMatch(hhmm);
        expect(p.quietHoursEnd).toMatch(hhmm);
      }
    }
  });
});

describe('demo agreement templates', () => {
  const template = (kind: AgreementKind) => {
    const found = DEMO_AGREEMENT_TEMPLATES.filter((t) => t.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };

  it('has version 1 of all four kinds', () => {
    expect(DEMO_AGREEMENT_TEMPLATES).toHaveLength(4);
    for (const kind of Object.values(AgreementKind)) {
      const t = template(kind);
      expect(t.version).toBe(1);
      expect(t.title.length).toBeGreaterThan(0);
      expect(t.body.length).toBeGreaterThan(100);
    }
  });

  it('takes the individual and group agreements from seeds 000', () => {
    const individual = template(AgreementKind.INDIVIDUAL).body;
    expect(individual).toContain('**As a Supervisee, I agree to the following:**');
    expect(individual).toContain('To keep all information disclosed at 1:1 supervision sessions confidential except for the following:');
    expect(individual).toMatch(/^- To bring to the session a case involving children/m);
    const group = template(AgreementKind.GROUP).body;
    expect(group).toContain('**As Supervisees, we agree to the following:**');
    expect(group).toContain('requires the consent of all parties');
    expect(group).toContain('Supervision is the cornerstone of good practice');
  });

  it('takes the attendance record from seeds 000', () => {
    const body = template(AgreementKind.GROUP_ATTENDANCE).body;
    expect(body).toContain(
      'In signing the attendance record we, the Supervisees, agree to abide by the terms as set out in the Safeguarding Supervision Agreement.',
    );
    for (const field of ['Supervisor Role / Department', 'Date and Time of Group Supervision', 'Venue', 'Role / Department', 'Signature']) {
      expect(body).toContain(field);
    }
  });

  it('takes the contract from seeds 001 with its confidentiality exceptions', () => {
    const body = template(AgreementKind.CONTRACT).body;
    expect(body).toMatch(/unsafe, unethical or illegal practice/);
    expect(body).toMatch(/repeatedly fail to attend sessions/);
    expect(body).toMatch(/has not been reported through the appropriate channels/);
    expect(body).toMatch(/inform your line manager .*only after informing you that I am going to do so/);
    expect(body).toMatch(/review the supervision contract annually/i);
    expect(body).not.toMatch(/HWCCG|Herefordshire/);
  });
});
