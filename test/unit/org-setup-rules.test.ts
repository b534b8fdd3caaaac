// The pure rules behind `npm run org` (src/domain): what each input means and what is refused.
import { describe, expect, it } from 'vitest';
import { nextAgreementVersion, readAgreementMarkdown } from '../../src/domain/agreement-text.js';
import { checkContactsCsv } from '../../src/domain/contact-rows.js';
import { checkMatrixCsv } from '../../src/domain/matrix-rows.js';
import { DEFAULT_SERVICE_HOURS, orgSettingsSchema, serviceHoursSchema } from '../../src/domain/org-settings.js';
import { DEFAULT_RESPONSE_POLICIES, responsePoliciesSchema } from '../../src/domain/response-policy.js';
import { checkNewOrganisation } from '../../src/domain/organisation-identity.js';
import { changeHolidays, changeServiceHours } from '../../src/domain/service-hours-input.js';
import { addServiceMinutes, isWithinServiceHours } from '../../src/domain/service-time.js';
import { changeSettings, effectiveSettings } from '../../src/domain/settings-input.js';
import { checkStaffGroupsCsv } from '../../src/domain/staff-group-rows.js';

const fields = (result: { ok: boolean; problems?: { field: string }[] }) => (result.ok ? [] : result.problems!.map((p) => p.field));

describe('service hours and holidays', () => {
  it('refuses overlapping windows in a day, naming the later one; windows that touch are fine', () => {
    const overlap = serviceHoursSchema.safeParse({ mon: [{ from: '13:00', to: '17:00' }, { from: '09:00', to: '13:30' }] });
    expect(overlap.success).toBe(false);
    expect(overlap.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['mon.0', '13:00-17:00 overlaps 09:00-13:30']]);
    expect(serviceHoursSchema.safeParse({ mon: [{ from: '09:00', to: '13:00' }, { from: '13:00', to: '17:00' }] }).success).toBe(true);
  });

  it('a holiday is closed whatever its weekday says, and service time skips it', () => {
    const hours = { ...DEFAULT_SERVICE_HOURS, holidays: ['2026-12-25'] };
    // Friday 25 December 2026, 11:00 London.
    expect(isWithinServiceHours(new Date('2026-12-25T11:00:00Z'), hours, 'Europe/London')).toBe(false);
    expect(isWithinServiceHours(new Date('2026-12-25T11:00:00Z'), DEFAULT_SERVICE_HOURS, 'Europe/London')).toBe(true);
    // Thursday 16:00 + 2 h: one hour on Thursday, then Monday 09:00 + 1 h.
    expect(addServiceMinutes(new Date('2026-12-24T16:00:00Z'), 120, hours, 'Europe/London').toISOString()).toBe('2026-12-28T10:00:00.000Z');
  });

  it('changeServiceHours: a run of days, closed days, and days not named kept', () => {
    const change = changeServiceHours(DEFAULT_SERVICE_HOURS, ['mon-wed=8:00-12:00,13:00-16:30', 'fri=closed']);
    expect(change).toMatchObject({ ok: true, days: ['mon', 'tue', 'wed', 'fri'] });
    if (!change.ok) return;
    expect(change.serviceHours.tue).toEqual([{ from: '08:00', to: '12:00' }, { from: '13:00', to: '16:30' }]);
    expect(change.serviceHours.thu).toEqual([{ from: '09:00', to: '17:00' }]);
    expect(change.serviceHours.fri).toEqual([]);
    expect(fields(changeServiceHours(DEFAULT_SERVICE_HOURS, ['fri-mon=09:00-17:00']))).toEqual(['serviceHours.fri-mon']);
    expect(fields(changeServiceHours(DEFAULT_SERVICE_HOURS, []))).toEqual(['serviceHours']);
  });

  it('changeHolidays: sorted, cleared with none, refused when not a date', () => {
    expect(changeHolidays(DEFAULT_SERVICE_HOURS, ['2027-01-01,2026-12-25'])).toMatchObject({ ok: true, serviceHours: { holidays: ['2026-12-25', '2027-01-01'] } });
    const cleared = changeHolidays({ ...DEFAULT_SERVICE_HOURS, holidays: ['2026-12-25'] }, ['none']);
    expect(cleared.ok && 'holidays' in cleared.serviceHours).toBe(false);
    const bad = changeHolidays(DEFAULT_SERVICE_HOURS, ['2026-13-01']);
    expect(bad).toEqual({ ok: false, problems: [{ field: 'serviceHours.holidays', reason: '"2026-13-01": not a date in the calendar' }] });
  });
});

describe('response policy', () => {
  const policy = (targets: { urgent: number; advice: number; session: number }) => ({
    urgent: { targetMinutes: targets.urgent, resurfaceAfterMinutes: 5, escalateAfterMinutes: Math.min(targets.urgent, 480) },
    advice: { targetMinutes: targets.advice, resurfaceAfterMinutes: 5, escalateAfterMinutes: Math.min(targets.advice, 4800) },
    session: { targetMinutes: targets.session, resurfaceAfterMinutes: 5, escalateAfterMinutes: Math.min(targets.session, 9600) },
  });
  it.each([
    [{ urgent: 9, advice: 240, session: 960 }, 'urgent.targetMinutes'],
    [{ urgent: 481, advice: 600, session: 960 }, 'urgent.targetMinutes'],
    [{ urgent: 30, advice: 4801, session: 960 }, 'advice.targetMinutes'],
    [{ urgent: 30, advice: 240, session: 9601 }, 'session.targetMinutes'],
    [{ urgent: 250, advice: 240, session: 960 }, 'urgent.targetMinutes'],
  ])('refuses %j at %s', (targets, field) => {
    const parsed = responsePoliciesSchema.safeParse(policy(targets));
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual([field]);
  });

  it('an unclaimed request is escalated only after it is re-surfaced, and the unclaimed times left the settings', () => {
    const advice = { ...DEFAULT_RESPONSE_POLICIES.advice, resurfaceAfterMinutes: 60, escalateAfterMinutes: 60 };
    expect(responsePoliciesSchema.safeParse({ advice }).error?.issues[0]?.path).toEqual(['advice', 'escalateAfterMinutes']);
    expect(responsePoliciesSchema.safeParse({ advice: { ...advice, escalateAfterMinutes: 61 } }).success).toBe(true);
    expect(orgSettingsSchema.safeParse({ escalateUnclaimedAfterMinutes: 240 }).error?.issues[0]?.message).toContain('moved');
  });
});

describe('changeSettings and effectiveSettings', () => {
  const stored = { responseTargets: DEFAULT_RESPONSE_POLICIES, settings: { reminders: { actionDueSoonDays: 5 } } };

  it('stores only what is given, and default removes a setting (and its empty section)', () => {
    const set = changeSettings('reminders', stored, ['sessionReminderHoursBefore=48, 2', 'rebookWithinDays=28']);
    expect(set).toMatchObject({ ok: true, settings: { reminders: { actionDueSoonDays: 5, sessionReminderHoursBefore: [48, 2] }, rebookWithinDays: 28 } });
    const back = changeSettings('reminders', stored, ['actionDueSoonDays=default']);
    expect(back).toMatchObject({ ok: true, settings: {} });
  });

  it('refuses keys of another part and values the schema refuses, naming the stored field', () => {
    expect(fields(changeSettings('report', stored, ['actionDueSoonDays=3']))).toEqual(['actionDueSoonDays']);
    expect(fields(changeSettings('reminders', stored, ['reminderTimeOfDay=25:00']))).toEqual(['settings.reminders.reminderTimeOfDay']);
    expect(fields(changeSettings('response-policy', stored, ['urgent.targetMinutes=thirty']))).toEqual(['responseTargets.urgent.targetMinutes']);
  });

  it('does not refuse one part for stored response targets another part does not set', () => {
    expect(changeSettings('records', { responseTargets: {}, settings: {} }, ['maxActionPoints=3'])).toMatchObject({ ok: true });
  });

  it('shows every setting with its default when none is stored', () => {
    const reminders = effectiveSettings('reminders', stored);
    expect(reminders.find((s) => s.key === 'actionDueSoonDays')).toMatchObject({ value: 5, isDefault: false, field: 'settings.reminders.actionDueSoonDays' });
    expect(reminders.find((s) => s.key === 'reminderTimeOfDay')).toMatchObject({ value: '09:00', isDefault: true });
    expect(effectiveSettings('report', stored).find((s) => s.key === 'reportMinimumGroupSize')).toMatchObject({ value: 5, isDefault: true });
    expect(effectiveSettings('retention', stored).map((s) => s.value)).toEqual([72, 96, 96]);
  });
});

describe('contacts file', () => {
  it('reads friendly kinds and numbers the order', () => {
    const result = checkContactsCsv('Kind,Label,Phone\nemergency,Police or ambulance,999\nout of hours,Site manager,+44 (0)1234 500500\n');
    expect(result).toMatchObject({ ok: true, contacts: [{ kind: 'EMERGENCY_SERVICES', sortOrder: 10 }, { kind: 'OUT_OF_HOURS_LINE', phone: '+44 (0)1234 500500', sortOrder: 20 }] });
  });

  it('needs emergency services and an out-of-hours route', () => {
    const result = checkContactsCsv('kind,label,email\nSUPERVISION_INBOX,Inbox,inbox@trust.example.nhs.uk\n');
    expect(result.ok ? [] : result.problems.map((p) => p.reason)).toEqual([
      'the list has no EMERGENCY_SERVICES contact (999): the bot gives it first to anyone at risk',
      'the list has no out-of-hours route (OUT_OF_HOURS_LINE or EMERGENCY_DUTY_TEAM): someone at risk out of hours would get only 999',
    ]);
  });

  it('refuses a staff-support contact with no phone, email or url, naming the line, the field and why', () => {
    const result = checkContactsCsv(
      [
        'kind,label,phone,email,url,availability',
        'EMERGENCY_SERVICES,Police or ambulance,999,,,24/7',
        'OUT_OF_HOURS_LINE,Site manager,01234 500500,,,24/7',
        'STAFF_SUPPORT,Counselling,,,,Ask your line manager',
        'staff support,LINC workers,,,,',
      ].join('\n'),
    );
    const reason = 'a STAFF_SUPPORT contact needs a phone number, email or https:// link: the bot gives it to people to get in touch';
    expect(result).toEqual({ ok: false, problems: [{ line: 4, field: 'phone', reason }, { line: 5, field: 'phone', reason }] });
  });

  it('takes a staff-support contact with any one of phone, email or url', () => {
    const result = checkContactsCsv(
      [
        'kind,label,phone,email,url',
        'EMERGENCY_SERVICES,Police or ambulance,999,,',
        'EMERGENCY_DUTY_TEAM,Emergency Duty Team,0300 123 4567,,',
        'STAFF_SUPPORT,Employee assistance,0800 000 0000,,',
        'STAFF_SUPPORT,Occupational health,,oh@trust.example.nhs.uk,',
        'STAFF_SUPPORT,Wellbeing hub,,,https://wellbeing.example.nhs.uk',
      ].join('\n'),
    );
    expect(result.ok ? result.contacts.filter((c) => c.kind === 'STAFF_SUPPORT').map((c) => c.label) : result.problems).toEqual(['Employee assistance', 'Occupational health', 'Wellbeing hub']);
  });

  it('reports a staff-support link that is not https as that, not as a missing way to reach it', () => {
    const result = checkContactsCsv('kind,label,url\nEMERGENCY_SERVICES,999 services,\nSTAFF_SUPPORT,Wellbeing hub,http://wellbeing.example.nhs.uk\n');
    expect(result.ok ? [] : result.problems.filter((p) => p.line === 3)).toEqual([{ line: 3, field: 'url', reason: '"http://wellbeing.example.nhs.uk" must be an https:// link' }]);
  });

  it('reports header problems as the directory does', () => {
    expect(checkContactsCsv('')).toEqual({ ok: false, problems: [{ line: 1, field: 'file', reason: 'the file is empty: expected a header row with kind, label' }] });
    expect(fields(checkContactsCsv('kind,name\nDUTY_LINE,x\n'))).toEqual(['name', 'label']);
  });
});

describe('staff groups file', () => {
  it('plans additions, case renames and removals of empty groups', () => {
    const existing = [
      { name: 'nursing', members: 3, requirements: 1 },
      { name: 'Old group', members: 0, requirements: 0 },
    ];
    expect(checkStaffGroupsCsv('name\nNursing\nMedical\n', existing)).toEqual({
      ok: true,
      plan: { names: ['Nursing', 'Medical'], create: ['Medical'], rename: [{ from: 'nursing', to: 'Nursing' }], remove: ['Old group'] },
    });
  });

  it('refuses duplicates and dropping a group the matrix names', () => {
    const result = checkStaffGroupsCsv('name\nMedical\nmedical\n', [{ name: 'Nursing', members: 0, requirements: 2 }]);
    expect(result.ok ? [] : result.problems.map((p) => [p.line, p.reason])).toEqual([
      [1, 'staff group "Nursing" is not in the file, but the supervision matrix has rows for it: keep it, or load a matrix without it first (set-matrix)'],
      [3, 'staff group "medical" is already on line 2'],
    ]);
  });
});

describe('matrix file', () => {
  const context = { staffGroupNames: ['Nursing'], people: new Map([['sup@trust.example.nhs.uk', { roles: ['SUPERVISOR'], active: true }]]) };

  it('reads a row with friendly names', () => {
    const result = checkMatrixCsv('staff_group,kind,format,supervisor_pool,duration_minutes,interval_months,supervisors\nnursing,Mandatory,Individual,named,60,3,SUP@trust.example.nhs.uk\n', context);
    expect(result).toEqual({
      ok: true,
      rows: [{ line: 2, staffGroup: 'Nursing', kind: 'MANDATORY', format: 'INDIVIDUAL', supervisorPool: 'NAMED_SUPERVISORS', durationMinutes: 60, sessionsPerYear: null, intervalMonths: 3, typicalGroupSize: null, supervisors: ['sup@trust.example.nhs.uk'] }],
    });
  });

  it('an on-request row has no cadence; a missing column is named', () => {
    expect(fields(checkMatrixCsv('staff_group,kind,format,supervisor_pool,duration_minutes,sessions_per_year\nNursing,ON_REQUEST,GROUP,SAFEGUARDING_SPECIALISTS,90,2\n', context))).toEqual(['sessions_per_year']);
    expect(fields(checkMatrixCsv('staff_group,kind,format,duration_minutes\nNursing,ON_REQUEST,GROUP,90\n', context))).toEqual(['supervisor_pool']);
  });
});

describe('agreement texts', () => {
  it('takes the title from the first heading and makes other headings bold lines', () => {
    expect(readAgreementMarkdown('\uFEFF# My contract\r\n\r\n## Terms\r\n- one\r\n', 'CONTRACT')).toEqual({ ok: true, text: { title: 'My contract', body: '**Terms**\n- one' } });
    expect(readAgreementMarkdown('Just text', 'GROUP')).toEqual({ ok: true, text: { title: 'Group Safeguarding Supervision Agreement', body: 'Just text' } });
    expect(readAgreementMarkdown('# A\n\nText', 'GROUP', 'Given title')).toMatchObject({ text: { title: 'Given title' } });
  });

  it('numbers versions, refuses a version that exists or goes back, and the same text again', () => {
    const existing = [
      { version: 1, title: 'T', body: 'one' },
      { version: 2, title: 'T', body: 'two' },
    ];
    expect(nextAgreementVersion('INDIVIDUAL', existing, { title: 'T', body: 'three' })).toEqual({ ok: true, version: 3 });
    expect(nextAgreementVersion('INDIVIDUAL', existing, { title: 'T', body: 'three' }, 5)).toEqual({ ok: true, version: 5 });
    expect(fields(nextAgreementVersion('INDIVIDUAL', existing, { title: 'T', body: 'three' }, 2))).toEqual(['version']);
    expect(fields(nextAgreementVersion('INDIVIDUAL', [{ version: 3, title: 'T', body: 'x' }], { title: 'T', body: 'y' }, 2))).toEqual(['version']);
    expect(fields(nextAgreementVersion('INDIVIDUAL', existing, { title: 'T', body: 'two' }))).toEqual(['file']);
    expect(nextAgreementVersion('INDIVIDUAL', existing, { title: 'T', body: 'one' })).toEqual({ ok: true, version: 3 });
  });
});

describe('a new organisation', () => {
  it('defaults the zone and prefix and lower-cases the tenant', () => {
    expect(checkNewOrganisation({ slug: 'trust', name: ' A  Trust ', teamsTenantId: '72F988BF-86F1-41AF-91AB-2D7CD011DB47' })).toEqual({
      ok: true,
      organisation: { slug: 'trust', name: 'A Trust', timeZone: 'Europe/London', referencePrefix: 'SGS', teamsTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', slackTeamId: null },
    });
  });

  it('refuses a tenant id that is not a GUID', () => {
    expect(fields(checkNewOrganisation({ slug: 'trust', name: 'A', teamsTenantId: '72f988bf86f141af91ab2d7cd011db47' }))).toEqual(['teamsTenantId']);
  });
});
