// `npm run org`: an organisation set up from an empty database without SQL, every verb on a real
// database (its own schema), good input and each kind of bad input. Every refusal names the field,
// exits 1 and leaves the database exactly as it was (no audit entry either); every change is
// audited at the injected clock's time and leaves an organisation the bot's start checks accept.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main as orgCli } from '../../src/cli/org.js';
import { findUnreachableContacts } from '../../src/db/check-organisation-contacts.js';
import { findInvalidOrganisationSettings } from '../../src/db/check-organisation-settings.js';
import { importDirectory } from '../../src/db/import-directory.js';
import { findUnpinnedOrganisations } from '../../src/db/organisation-platforms.js';
import { loadOrganisation } from '../../src/db/organisations.js';
import { needsResigning } from '../../src/domain/agreements.js';
import { DomainError } from '../../src/domain/errors.js';
import { DEFAULT_RESPONSE_POLICIES } from '../../src/domain/response-policy.js';
import { addServiceMinutes, isWithinServiceHours } from '../../src/domain/service-time.js';
import { signAgreement, stageAgreementOffers } from '../../src/flows/agreements.js';
import type { FlowDeps } from '../../src/flows/types.js';
import type { Actor } from '../../src/domain/actor.js';
import { createLogger } from '../../src/logger.js';
import { createOutbox } from '../../src/channels/outbox.js';
import { testDatabaseUrl, withTestDatabase } from '../support/database.js';

const t = withTestDatabase();
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/org/${name}`, import.meta.url));
const NOW = new Date('2026-11-23T10:00:00Z');
const clock = { now: () => NOW };
const SLUG = 'north-trust';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const TMP = mkdtempSync(join(tmpdir(), 'org-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A file of our own for one test. */
function tmpFile(name: string, content: string): string {
  const path = join(TMP, name);
  writeFileSync(path, content);
  return path;
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: t.schema };
  const code = await orgCli(args, env, { out: (s) => out.push(s), err: (s) => err.push(s) }, clock);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function orgId(slug = SLUG): Promise<string> {
  return (await t.db.organisation.findUniqueOrThrow({ where: { slug }, select: { id: true } })).id;
}

/** Everything `npm run org` can write, in a comparable form. */
async function snapshot() {
  const db = t.db;
  return {
    organisations: await db.organisation.findMany({ orderBy: { slug: 'asc' } }),
    contacts: await db.organisationContact.findMany({ orderBy: [{ organisationId: 'asc' }, { sortOrder: 'asc' }] }),
    staffGroups: await db.staffGroup.findMany({ orderBy: [{ organisationId: 'asc' }, { name: 'asc' }] }),
    requirements: await db.supervisionRequirement.findMany({ orderBy: { id: 'asc' }, include: { poolMembers: { orderBy: { personId: 'asc' } } } }),
    templates: await db.agreementTemplate.findMany({ orderBy: [{ kind: 'asc' }, { version: 'asc' }] }),
    agreements: await db.agreement.findMany({ orderBy: { id: 'asc' }, select: { id: true, status: true, templateId: true } }),
    messages: await db.outboundMessage.count(),
    audit: await db.auditEvent.count(),
  };
}

/** Runs a command that must be refused: exit 1, the message names what is wrong, nothing written. */
async function expectRefused(args: string[], ...mentions: (string | RegExp)[]) {
  const before = await snapshot();
  const result = await cli(...args);
  expect(result.code, result.err || result.out).toBe(1);
  expect(result.err).toContain('nothing was written');
  for (const m of mentions) {
    if (typeof m === 'string') expect(result.err).toContain(m);
    else expect(result.err).toMatch(m);
  }
  expect(await snapshot()).toEqual(before);
  return result;
}

/** The audit entry the last successful command wrote. */
async function lastAudit(action: string) {
  return t.db.auditEvent.findFirstOrThrow({ where: { action }, orderBy: { id: 'desc' } });
}

describe('npm run org: from an empty database to a working set-up', () => {
  it('create: refuses a tenant id that is not a GUID, a bad slug, zone or prefix, naming each field', async () => {
    expect(await t.db.organisation.count()).toBe(0);
    const result = await expectRefused(
      ['create', 'North Trust', '--name', 'North Trust', '--teams-tenant', 'north-tenant', '--slack-workspace', 't0north', '--time-zone', 'Europe/Londres', '--reference-prefix', 'nt1'],
      'slug: must be lower-case letters and digits joined by hyphens',
      'teamsTenantId: must be an Entra tenant id (a GUID',
      'slackTeamId: must be a Slack team id',
      'timeZone: "Europe/Londres" is not an IANA time zone',
      'referencePrefix: must be 2 to 8 capital letters',
    );
    expect(result.err).toContain('5 problems');
    await expectRefused(['create', SLUG], 'name: is required');
    expect(await t.db.organisation.count()).toBe(0);
  });

  it('create: makes the organisation with its platform ids and the policy defaults, audited at the clock time', async () => {
    const result = await cli('create', SLUG, '--name', 'North Trust NHS Foundation Trust', '--teams-tenant', TENANT.toUpperCase(), '--slack-workspace', 'T0NORTH1', '--reference-prefix', 'NTS');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('Created North Trust NHS Foundation Trust (north-trust)');
    const org = await t.db.organisation.findUniqueOrThrow({ where: { slug: SLUG } });
    expect(org).toMatchObject({ name: 'North Trust NHS Foundation Trust', timeZone: 'Europe/London', referencePrefix: 'NTS', teamsTenantId: TENANT, slackTeamId: 'T0NORTH1', settings: {} });
    // The bot reads it as it is: the defaults pass its schemas, and the start's checks accept it.
    const loaded = await loadOrganisation(t.db, org.id);
    expect(loaded.config.serviceHours.mon).toEqual([{ from: '09:00', to: '17:00' }]);
    expect(loaded.config.responseTargets).toEqual(DEFAULT_RESPONSE_POLICIES);
    expect(org.responseTargets).toEqual(DEFAULT_RESPONSE_POLICIES);
    expect(await findInvalidOrganisationSettings(t.db)).toEqual([]);
    expect(await findUnpinnedOrganisations(t.db, { teams: true, slack: true })).toEqual([]);
    expect(await lastAudit('organisation.created')).toMatchObject({ organisationId: org.id, actorId: null, at: NOW, detail: expect.objectContaining({ via: 'command line', teamsTenantId: TENANT }) });
  });

  it('create: refuses a slug, tenant, workspace or reference prefix that another organisation has', async () => {
    await expectRefused(['create', SLUG, '--name', 'Again'], `slug: an organisation "${SLUG}" already exists`);
    await expectRefused(['create', 'south-trust', '--name', 'South', '--teams-tenant', TENANT], `teamsTenantId: that tenant is already recorded for organisation "${SLUG}"`);
    await expectRefused(['create', 'south-trust', '--name', 'South', '--slack-workspace', 'T0NORTH1'], `slackTeamId: that workspace is already recorded for organisation "${SLUG}"`);
    await expectRefused(['create', 'south-trust', '--name', 'South', '--reference-prefix', 'NTS'], 'referencePrefix: NTS is already the reference prefix of "north-trust"');
  });

  it('refuses every verb on an unknown organisation, listing the ones there are', async () => {
    for (const args of [
      ['show', 'no-such-trust'],
      ['set-contacts', 'no-such-trust', fixture('contacts.csv')],
      ['set-service-hours', 'no-such-trust', 'mon=09:00-17:00'],
      ['set-holidays', 'no-such-trust', '2026-12-25'],
      ['set-response-policy', 'no-such-trust', 'urgent.targetMinutes=20'],
      ['set-reminders', 'no-such-trust', 'actionDueSoonDays=5'],
      ['set-retention', 'no-such-trust', 'requestsMonths=84'],
      ['set-report', 'no-such-trust', 'reportMinimumGroupSize=3'],
      ['set-records', 'no-such-trust', 'maxActionPoints=6'],
      ['set-staff-groups', 'no-such-trust', fixture('staff-groups.csv')],
      ['set-matrix', 'no-such-trust', fixture('matrix.csv')],
      ['load-agreement', 'no-such-trust', 'individual', fixture('individual-agreement.md')],
    ]) {
      await expectRefused(args, `organisation: unknown organisation "no-such-trust"; organisations are ${SLUG}`);
    }
  });

  it('wrong usage exits 2 and writes nothing', async () => {
    const before = await snapshot();
    expect((await cli('frobnicate', SLUG)).code).toBe(2);
    expect((await cli('set-contacts', SLUG)).code).toBe(2);
    expect((await cli('set-contacts', SLUG, 'a.csv', 'b.csv')).code).toBe(2);
    expect((await cli('show')).code).toBe(2);
    expect((await cli('set-contacts', SLUG, fixture('contacts.csv'), '--name', 'x')).code).toBe(2);
    expect((await cli('load-agreement', SLUG, 'treaty', fixture('individual-agreement.md'))).code).toBe(2);
    expect((await cli('load-agreement', SLUG, 'individual', fixture('individual-agreement.md'), '--version', 'two')).code).toBe(2);
    expect(await snapshot()).toEqual(before);
    expect((await cli('--help')).out).toContain('set-service-hours <slug>');
  });

  it('set-contacts: rejects the whole file with line, field and reason; a file with no out-of-hours route too', async () => {
    const result = await expectRefused(['set-contacts', SLUG, fixture('contacts-bad.csv')]);
    const table = result.err.split('\n').slice(1).map((l) => l.replace(/\s+/g, ' ').trim());
    expect(table).toEqual([
      'line field reason',
      '2 phone a DUTY_LINE contact needs a phone number: someone at risk rings it',
      '3 phone "call me" is not a phone number (3 to 15 digits; spaces, +, brackets and hyphens allowed)',
      '4 kind unknown kind "HELPLINE"; kinds are SUPERVISION_INBOX, DUTY_LINE, OUT_OF_HOURS_LINE, EMERGENCY_DUTY_TEAM, EMERGENCY_SERVICES, STAFF_SUPPORT',
      '5 email "not-an-email" is not a valid email address',
      '5 url "http://eap.example.co.uk" must be an https:// link',
      '6 phone a STAFF_SUPPORT contact needs a phone number, email or https:// link: the bot gives it to people to get in touch',
      '7 phone a STAFF_SUPPORT contact needs a phone number, email or https:// link: the bot gives it to people to get in touch',
    ]);
    await expectRefused(['set-contacts', SLUG, fixture('contacts-no-out-of-hours.csv')], /\n1\s+kind\s+the list has no out-of-hours route/);
    await expectRefused(['set-contacts', SLUG, fixture('missing.csv')], /file: .*missing\.csv: file not found/);
  });

  it('set-contacts: replaces the whole list in the file order, and the bot gives those routes', async () => {
    const result = await cli('set-contacts', SLUG, fixture('contacts.csv'));
    expect(result).toMatchObject({ code: 0, out: `${SLUG}: 7 contacts set (replacing 0).` });
    const org = await loadOrganisation(t.db, await orgId());
    expect(org.contacts.map((c) => [c.kind, c.phone, c.email, c.url])).toEqual([
      ['SUPERVISION_INBOX', null, 'safeguarding.supervision@trust.example.nhs.uk', null],
      ['DUTY_LINE', '01234 567890', null, null],
      ['OUT_OF_HOURS_LINE', '01234 500500', null, null],
      ['EMERGENCY_DUTY_TEAM', '0300 123 4567', null, 'https://www.example.gov.uk/edt'],
      ['EMERGENCY_SERVICES', '999', null, null],
      ['STAFF_SUPPORT', '0800 000 0000', null, 'https://eap.example.co.uk'],
      ['STAFF_SUPPORT', null, 'occupational.health@trust.example.nhs.uk', null],
    ]);
    expect(await lastAudit('organisation.contacts.set')).toMatchObject({ at: NOW, detail: expect.objectContaining({ contacts: 7, removed: 0 }) });
    // Again: replaced, not added to.
    expect((await cli('set-contacts', SLUG, fixture('contacts.csv'))).out).toBe(`${SLUG}: 7 contacts set (replacing 7).`);
    expect(await t.db.organisationContact.count({ where: { organisationId: org.id } })).toBe(7);
  });

  it('set-contacts: refuses a staff-support row with no phone, email or url; the list already loaded stays whole', async () => {
    // Every row good but one: nothing of the file is stored, and the seven contacts loaded above remain.
    const file = tmpFile(
      'contacts-unreachable-support.csv',
      [
        'kind,label,phone,email,url,availability',
        'EMERGENCY_SERVICES,Police or ambulance,999,,,24/7',
        'OUT_OF_HOURS_LINE,Site manager,01234 500500,,,24/7',
        'STAFF_SUPPORT,Employee assistance programme,0800 000 0000,,,24/7',
        'STAFF_SUPPORT,LINC workers,,,,Ask your line manager to put you in touch',
      ].join('\n'),
    );
    const before = await t.db.organisationContact.findMany({ where: { organisationId: await orgId() }, orderBy: { sortOrder: 'asc' } });
    const result = await expectRefused(['set-contacts', SLUG, file]);
    expect(result.err.split('\n').slice(1).map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      'line field reason',
      '5 phone a STAFF_SUPPORT contact needs a phone number, email or https:// link: the bot gives it to people to get in touch',
    ]);
    expect(await t.db.organisationContact.findMany({ where: { organisationId: await orgId() }, orderBy: { sortOrder: 'asc' } })).toEqual(before);
    expect(before.map((c) => c.label)).not.toContain('LINC workers');
    expect(await findUnreachableContacts(t.db)).toEqual([]);
  });

  it('set-service-hours: refuses overlapping and inverted windows, unknown days and malformed times', async () => {
    await expectRefused(['set-service-hours', SLUG, 'tue=09:00-13:00,12:30-17:00'], 'serviceHours.tue: 12:30-17:00 overlaps 09:00-13:00');
    await expectRefused(['set-service-hours', SLUG, 'wed=17:00-09:00'], 'serviceHours.wed: 17:00-09:00: "from" must be before "to"');
    await expectRefused(['set-service-hours', SLUG, 'thu=09:00-25:00'], 'serviceHours.thu: 09:00-25:00: expected a time as HH:mm');
    await expectRefused(['set-service-hours', SLUG, 'funday=09:00-17:00'], 'serviceHours.funday: "funday" is not a day');
    await expectRefused(['set-service-hours', SLUG, 'mon=9 to 5'], 'serviceHours.mon: "9 to 5" is not a window as HH:mm-HH:mm');
    await expectRefused(['set-service-hours', SLUG, 'mon-fri=08:00-18:00', 'fri=closed'], 'serviceHours.fri: is given more than once');
  });

  it('set-service-hours: sets the days named, keeps the others, and the bot counts service time by them', async () => {
    const result = await cli('set-service-hours', SLUG, 'mon-thu=08:30-12:30,13:30-17:00', 'fri=08:30-16:00', 'sat=10:00-14:00');
    expect(result.code).toBe(0);
    expect(result.out).toContain('tue  08:30-12:30, 13:30-17:00');
    const org = await loadOrganisation(t.db, await orgId());
    expect(org.config.serviceHours).toEqual({
      mon: [{ from: '08:30', to: '12:30' }, { from: '13:30', to: '17:00' }],
      tue: [{ from: '08:30', to: '12:30' }, { from: '13:30', to: '17:00' }],
      wed: [{ from: '08:30', to: '12:30' }, { from: '13:30', to: '17:00' }],
      thu: [{ from: '08:30', to: '12:30' }, { from: '13:30', to: '17:00' }],
      fri: [{ from: '08:30', to: '16:00' }],
      sat: [{ from: '10:00', to: '14:00' }],
      sun: [],
    });
    // Tuesday 24 November 2026, 13:00 London: the lunch hour is now outside service hours.
    expect(isWithinServiceHours(new Date('2026-11-24T13:00:00Z'), org.config.serviceHours, org.config.timeZone)).toBe(false);
    expect(await lastAudit('organisation.service-hours.set')).toMatchObject({ at: NOW, detail: expect.objectContaining({ days: 'mon,tue,wed,thu,fri,sat', sat: '10:00-14:00' }) });
  });

  it('set-holidays: refuses dates that do not exist and repeats; sets them, and service time skips them', async () => {
    await expectRefused(['set-holidays', SLUG, '2026-12-25', '2026-02-30'], 'serviceHours.holidays: "2026-02-30": not a date in the calendar');
    await expectRefused(['set-holidays', SLUG, '2026-12-25', '25/12/2026'], 'serviceHours.holidays: "25/12/2026": expected a date as YYYY-MM-DD');
    await expectRefused(['set-holidays', SLUG, '2026-12-25,2026-12-25'], 'serviceHours.holidays: "2026-12-25": is listed twice');
    const result = await cli('set-holidays', SLUG, '2026-12-28', '2026-12-25');
    expect(result).toMatchObject({ code: 0, out: `${SLUG}: 2 holidays: 2026-12-25 2026-12-28.` });
    const org = await loadOrganisation(t.db, await orgId());
    expect(org.config.serviceHours.holidays).toEqual(['2026-12-25', '2026-12-28']);
    // Thursday 24 December 15:00 (GMT) + 4 service hours: 2 h on Thursday; Friday 25th is a
    // holiday (it would have given the rest by 10:30); Saturday 10:00-14:00 gives 2 h more.
    const due = addServiceMinutes(new Date('2026-12-24T15:00:00Z'), 240, org.config.serviceHours, org.config.timeZone);
    expect(due.toISOString()).toBe('2026-12-26T12:00:00.000Z');
    expect(await lastAudit('organisation.holidays.set')).toMatchObject({ at: NOW, detail: expect.objectContaining({ holidays: 2, first: '2026-12-25', last: '2026-12-28' }) });
  });

  it('set-response-policy: refuses times out of range, escalation before re-surfacing or after the target, an urgent target longer than the routine ones, unknown and old keys', async () => {
    await expectRefused(['set-response-policy', SLUG, 'urgent.targetMinutes=0'], 'responseTargets.urgent.targetMinutes: must be a whole number of service minutes from 10 to 480');
    await expectRefused(['set-response-policy', SLUG, 'session.targetMinutes=99999'], 'responseTargets.session.targetMinutes: must be a whole number of service minutes from 10 to 9600');
    await expectRefused(['set-response-policy', SLUG, 'advice.targetMinutes=2.5'], 'responseTargets.advice.targetMinutes: must be a whole number');
    await expectRefused(['set-response-policy', SLUG, 'advice.resurfaceAfterMinutes=often'], 'responseTargets.advice.resurfaceAfterMinutes: must be a whole number');
    await expectRefused(
      ['set-response-policy', SLUG, 'urgent.targetMinutes=300', 'advice.targetMinutes=240'],
      'responseTargets.urgent.targetMinutes: must not be longer than the advice target',
    );
    await expectRefused(
      ['set-response-policy', SLUG, 'advice.escalateAfterMinutes=30'],
      'responseTargets.advice.escalateAfterMinutes: must be more than resurfaceAfterMinutes (60): an unclaimed request is re-surfaced in the triage channel before it is escalated',
    );
    await expectRefused(
      ['set-response-policy', SLUG, 'advice.targetMinutes=120'],
      'responseTargets.advice.escalateAfterMinutes: must be at most targetMinutes (120)',
    );
    await expectRefused(['set-response-policy', SLUG, 'escalateUnclaimedAfterMinutes=180'], 'escalateUnclaimedAfterMinutes: is not a response-policy setting; they are urgent.targetMinutes');
    await expectRefused(['set-response-policy', SLUG, 'urgentMinutes=30'], 'urgentMinutes: is not a response-policy setting');
    await expectRefused(['set-response-policy', SLUG, 'routine.targetMinutes=60'], 'routine.targetMinutes: is not a response-policy setting');
    await expectRefused(['set-response-policy', SLUG, 'urgent.targetMinutes'], 'responseTargets.urgent.targetMinutes: give a value');
  });

  it('set-response-policy: sets each route as one policy, stored whole, and default goes back to the policy value', async () => {
    const result = await cli(
      'set-response-policy',
      SLUG,
      'urgent.targetMinutes=20',
      'urgent.escalateAfterMinutes=20',
      'advice.targetMinutes=120',
      'advice.resurfaceAfterMinutes=45',
      'advice.escalateAfterMinutes=120',
      'session.escalateAfterMinutes=480',
    );
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('responseTargets.urgent.targetMinutes = 20');
    const id = await orgId();
    const expected = {
      urgent: { targetMinutes: 20, resurfaceAfterMinutes: 10, escalateAfterMinutes: 20 },
      advice: { targetMinutes: 120, resurfaceAfterMinutes: 45, escalateAfterMinutes: 120 },
      session: { targetMinutes: 960, resurfaceAfterMinutes: 240, escalateAfterMinutes: 480 },
    };
    expect((await loadOrganisation(t.db, id)).config.responseTargets).toEqual(expected);
    expect(await lastAudit('organisation.response-policy.set')).toMatchObject({
      at: NOW,
      detail: expect.objectContaining({ 'responseTargets.urgent.targetMinutes': 20, 'responseTargets.session.escalateAfterMinutes': 480 }),
    });
    expect((await cli('set-response-policy', SLUG, 'advice.targetMinutes=default', 'advice.resurfaceAfterMinutes=default')).code).toBe(0);
    const stored = await t.db.organisation.findUniqueOrThrow({ where: { id } });
    expect(stored.responseTargets).toEqual({ ...expected, advice: { targetMinutes: 240, resurfaceAfterMinutes: 60, escalateAfterMinutes: 120 } });
    expect(stored.settings).toEqual({});
    expect(await findInvalidOrganisationSettings(t.db)).toEqual([]);
  });

  it('set-reminders, set-retention, set-report, set-records: refuse what the start check would refuse', async () => {
    await expectRefused(['set-reminders', SLUG, 'sessionReminderHoursBefore=1,24'], 'settings.reminders.sessionReminderHoursBefore: the first (day before) must be more hours');
    await expectRefused(['set-reminders', SLUG, 'reminderTimeOfDay=9am'], 'settings.reminders.reminderTimeOfDay: expected a time as HH:mm');
    await expectRefused(['set-reminders', SLUG, 'actionDueSoonDays=0'], 'settings.reminders.actionDueSoonDays');
    await expectRefused(['set-retention', SLUG, 'recordsMonths=120'], "settings.retention.auditEventsMonths: retention.auditEventsMonths must be at least retention.recordsMonths");
    await expectRefused(['set-retention', SLUG, 'requestsMonths=6'], 'settings.retention.requestsMonths: retention.requestsMonths must be at least 12 months');
    await expectRefused(['set-report', SLUG, 'reportMinimumGroupSize=0'], 'settings.reportMinimumGroupSize');
    await expectRefused(['set-records', SLUG, 'maxActionPoints=21'], 'settings.maxActionPoints');
    await expectRefused(['set-records', SLUG, 'retentionMonths=3'], 'retentionMonths: is not a records setting; they are recordDueHours, maxActionPoints');
  });

  it('set-reminders, set-retention, set-report, set-records: store what is given, and the start check accepts it', async () => {
    expect((await cli('set-reminders', SLUG, 'sessionReminderHoursBefore=48,2', 'reminderTimeOfDay=08:30', 'rebookWithinDays=28')).code).toBe(0);
    expect((await cli('set-retention', SLUG, 'recordsMonths=120', 'auditEventsMonths=120')).code).toBe(0);
    expect((await cli('set-report', SLUG, 'reportMinimumGroupSize=3', 'reportMaxRangeDays=400')).code).toBe(0);
    expect((await cli('set-records', SLUG, 'maxActionPoints=6', 'recordDueHours=48')).code).toBe(0);
    const org = await loadOrganisation(t.db, await orgId());
    expect(org.config.settings).toMatchObject({
      rebookWithinDays: 28,
      reminders: { sessionReminderHoursBefore: [48, 2], reminderTimeOfDay: '08:30', actionDueSoonDays: 3 },
      retention: { requestsMonths: 72, recordsMonths: 120, auditEventsMonths: 120 },
      reportMinimumGroupSize: 3,
      reportMaxRangeDays: 400,
      maxActionPoints: 6,
      recordDueHours: 48,
    });
    expect(await findInvalidOrganisationSettings(t.db)).toEqual([]);
    for (const action of ['organisation.reminders.set', 'organisation.retention.set', 'organisation.report-settings.set', 'organisation.records-settings.set']) {
      expect(await lastAudit(action)).toMatchObject({ at: NOW, actorId: null });
    }
    expect((await lastAudit('organisation.reminders.set')).detail).toMatchObject({ 'settings.reminders.sessionReminderHoursBefore': '[48,2]', 'settings.rebookWithinDays': 28 });
  });

  it('set-staff-groups: loads the groups; refuses to drop a group people belong to', async () => {
    const result = await cli('set-staff-groups', SLUG, fixture('staff-groups.csv'));
    expect(result).toMatchObject({ code: 0, out: `${SLUG}: 4 staff groups (4 added, 0 renamed, 0 removed).` });
    const id = await orgId();
    const directory = await importDirectory(t.db, id, readFileSync(new URL('../fixtures/directory/good.csv', import.meta.url), 'utf8'), { clock });
    expect(directory).toMatchObject({ ok: true, created: 6 });
    const csv = tmpFile('groups-without-medical.csv', 'name\nNursing\nallied health professionals\nSafeguarding team\nPharmacy\n');
    await expectRefused(['set-staff-groups', SLUG, csv], 'staff group "Medical" is not in the file, but 1 person belongs to it');
    // Renames by case, adds and keeps; a group nobody is in and the matrix does not name can go.
    const renamed = tmpFile('groups-renamed.csv', 'name\nNursing\nMedical\nAllied Health Professionals\nSafeguarding team\nPharmacy\n');
    expect((await cli('set-staff-groups', SLUG, renamed)).out).toBe(`${SLUG}: 5 staff groups (1 added, 1 renamed: "Allied health professionals" → "Allied Health Professionals", 0 removed).`);
    expect((await cli('set-staff-groups', SLUG, fixture('staff-groups.csv'))).out).toBe(`${SLUG}: 4 staff groups (0 added, 1 renamed: "Allied Health Professionals" → "Allied health professionals", 1 removed: Pharmacy).`);
    expect((await t.db.staffGroup.findMany({ where: { organisationId: id }, orderBy: { name: 'asc' } })).map((g) => g.name)).toEqual(['Allied health professionals', 'Medical', 'Nursing', 'Safeguarding team']);
    expect(await lastAudit('organisation.staff-groups.set')).toMatchObject({ at: NOW, detail: expect.objectContaining({ groups: 4, removed: 1, renamed: 1 }) });
  });

  it('set-matrix: rejects the whole file with every bad row: line, field and reason, nothing partial', async () => {
    const result = await expectRefused(['set-matrix', SLUG, fixture('matrix-bad.csv')]);
    const [first, ...rest] = result.err.split('\n');
    expect(first).toBe(`Refused set-matrix ${SLUG}: 10 problems; nothing was written.`);
    // The exact report: every problem of every row, in line order (line 2 is good, and still not written).
    expect(rest.map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      'line field reason',
      '3 staff_group unknown staff group "Paramedics"; staff groups are "Allied health professionals", "Medical", "Nursing", "Safeguarding team" (add it with set-staff-groups first)',
      '4 sessions_per_year a MANDATORY row needs sessions_per_year or interval_months',
      '4 supervisors a NAMED_SUPERVISORS row needs at least one supervisor',
      '5 kind "sometimes" is not a kind; kinds are MANDATORY, ON_REQUEST',
      '5 duration_minutes "600" is not a whole number of minutes from 15 to 480',
      '6 interval_months give sessions_per_year or interval_months, not both',
      '6 supervisors priya.shah@trust.example.nhs.uk does not have the SUPERVISOR or SPECIALIST role in the directory',
      '6 format Nursing, MANDATORY, GROUP is already on line 2',
      '7 typical_group_size only a GROUP row has a group size',
      "7 supervisors nobody@trust.example.nhs.uk is not in the organisation's directory (npm run import:people)",
    ]);
    expect(await t.db.supervisionRequirement.count()).toBe(0);
  });

  it('set-matrix: loads the matrix with its supervisors; a second load updates, adds and removes rows', async () => {
    const result = await cli('set-matrix', SLUG, fixture('matrix.csv'));
    expect(result).toMatchObject({ code: 0, out: `${SLUG}: supervision matrix of 4 rows (4 added, 0 updated, 0 removed), 2 named supervisor places.` });
    const medical = await t.db.supervisionRequirement.findFirstOrThrow({
      where: { staffGroup: { name: 'Medical' } },
      include: { poolMembers: { include: { person: { select: { email: true } } } } },
    });
    expect(medical).toMatchObject({ kind: 'MANDATORY', format: 'INDIVIDUAL', supervisorPool: 'NAMED_SUPERVISORS', sessionsPerYear: 4, intervalMonths: null, durationMinutes: 60 });
    expect(medical.poolMembers.map((m) => m.person.email).sort()).toEqual(['aisha.rahman@trust.example.nhs.uk', 'head.safeguarding@trust.example.nhs.uk']);
    expect(await t.db.supervisionRequirement.findFirstOrThrow({ where: { staffGroup: { name: 'Nursing' }, kind: 'MANDATORY' } })).toMatchObject({
      format: 'GROUP',
      intervalMonths: 3,
      typicalGroupSize: 6,
      durationMinutes: 90,
    });
    expect(await lastAudit('organisation.matrix.set')).toMatchObject({ at: NOW, detail: expect.objectContaining({ rows: 4, created: 4 }) });

    const smaller = tmpFile('matrix-smaller.csv', 'staff_group,kind,format,supervisor_pool,duration_minutes,sessions_per_year\nMedical,MANDATORY,INDIVIDUAL,SAFEGUARDING_SPECIALISTS,75,2\nAllied health professionals,ON_REQUEST,GROUP,SAFEGUARDING_SPECIALISTS,90,\n');
    expect((await cli('set-matrix', SLUG, smaller)).out).toBe(`${SLUG}: supervision matrix of 2 rows (1 added, 1 updated, 3 removed), 0 named supervisor places.`);
    const after = await t.db.supervisionRequirement.findFirstOrThrow({ where: { id: medical.id }, include: { poolMembers: true } });
    expect(after).toMatchObject({ supervisorPool: 'SAFEGUARDING_SPECIALISTS', durationMinutes: 75, sessionsPerYear: 2, poolMembers: [] });
    expect(await t.db.supervisionRequirement.count()).toBe(2);
    // Back to the full matrix for the rest of the file.
    expect((await cli('set-matrix', SLUG, fixture('matrix.csv'))).code).toBe(0);
  });

  it('load-agreement: loads a Markdown text as version 1, with its title and headings for the card', async () => {
    const result = await cli('load-agreement', SLUG, 'individual', fixture('individual-agreement.md'));
    expect(result).toMatchObject({ code: 0, out: `${SLUG}: "Individual Safeguarding Supervision Agreement" loaded as version 1 of the Individual Safeguarding Supervision Agreement.` });
    const template = await t.db.agreementTemplate.findFirstOrThrow({ where: { kind: 'INDIVIDUAL', version: 1 } });
    expect(template.title).toBe('Individual Safeguarding Supervision Agreement');
    expect(template.body.split('\n')[0]).toBe('**As a Supervisee and Supervisor, we agree to the following**');
    expect(template.body).not.toContain('#');
    expect(await lastAudit('agreement-template.loaded')).toMatchObject({ at: NOW, subjectType: 'agreement-template', subjectId: template.id, detail: expect.objectContaining({ kind: 'INDIVIDUAL', version: 1 }) });
  });

  it('load-agreement: refuses a duplicate version, the same text again, and an empty file', async () => {
    await expectRefused(['load-agreement', SLUG, 'individual', fixture('individual-agreement-v2.md'), '--version', '1'], 'version: version 1 of the Individual Safeguarding Supervision Agreement already exists: a version is never replaced');
    await expectRefused(['load-agreement', SLUG, 'individual', fixture('individual-agreement.md')], 'file: is the same text as version 1 of the Individual Safeguarding Supervision Agreement: nothing new to sign');
    await expectRefused(['load-agreement', SLUG, 'contract', tmpFile('empty.md', '# Only a title\n\n')], 'file: has no text');
  });

  // Shared by the agreement and contract tests below: people, sessions and offers on the real
  // outbox (rows written in the confirmation's transaction; nothing is sent in this file).
  const flow = (() => {
    const logger = createLogger({ level: 'silent' });
    let made: FlowDeps | undefined;
    // The test database exists only inside tests: made on first use.
    const flowDeps = (): FlowDeps =>
      (made ??= { db: t.db, clock, outbox: createOutbox({ db: t.db, senders: [], logger, clock }), logger, links: { invite: () => 'https://bot.test/invite' } });
    let day = 0;
    return {
      get deps() {
        return flowDeps();
      },
      person: async (email: string) => t.db.person.findUniqueOrThrow({ where: { organisationId_email: { organisationId: await orgId(), email } } }),
      actor: async (p: { id: string; name: string; roles: string[] }): Promise<Actor> =>
        ({ personId: p.id, organisationId: await orgId(), roles: p.roles, name: p.name, platform: 'TEAMS', timeZone: 'Europe/London' }) as Actor,
      /** A session confirmed `days` from now (negative: over and completed), offered its agreements as the bot does. */
      session: async (supervisorId: string, attendeeId: string, options: { past?: boolean } = {}) => {
        day += 1;
        const startsAt = new Date(NOW.getTime() + (options.past ? -day : day) * 86_400_000);
        const session = await t.db.session.create({
          data: {
            organisationId: await orgId(),
            format: 'INDIVIDUAL',
            type: 'MANDATORY',
            status: 'CONFIRMED',
            supervisorId,
            proposedById: supervisorId,
            startsAt,
            endsAt: new Date(startsAt.getTime() + 3_600_000),
            durationMinutes: 60,
            attendees: { create: [{ personId: attendeeId }] },
          },
        });
        await t.db.$transaction((tx) => stageAgreementOffers(flowDeps(), tx, session.id, 'Europe/London'));
        if (options.past) await t.db.session.update({ where: { id: session.id }, data: { status: 'COMPLETED' } });
        return session;
      },
      agreementsOf: (where: Record<string, unknown>) =>
        t.db.agreement.findMany({ where, include: { template: true, signatures: true, parties: true }, orderBy: { createdAt: 'asc' } }),
      /** The agreement cards waiting in the outbox for a person, as (agreement id, version shown). */
      cardsFor: async (personId: string) =>
        (await t.db.outboundMessage.findMany({ where: { kind: 'person', personId }, orderBy: { seq: 'asc' } }))
          .map((m) => (m.message as { card?: { template: string; data: Record<string, unknown> } }).card)
          .filter((c) => c?.template === 'agreement')
          .map((c) => ({ agreementId: c!.data.agreementId, version: c!.data.version, versionLabel: c!.data.versionLabel, canSign: c!.data.canSign })),
    };
  })();

  it('load-agreement: a new version is offered at once for sessions not yet over (old signatures kept, old cards refused with the new one), later for the rest', async () => {
    const supervisor = await flow.person('aisha.rahman@trust.example.nhs.uk');
    const supervisee = await flow.person('tom.okafor@trust.example.nhs.uk');
    const other = await flow.person('priya.shah@trust.example.nhs.uk');
    const former = await flow.person('ward.manager@trust.example.nhs.uk');
    const { deps } = flow;

    // Version 1: offered and signed by both; the next session with the same people is covered by it.
    const first = await flow.session(supervisor.id, supervisee.id);
    const [signed] = await flow.agreementsOf({ sessionId: first.id });
    expect(signed).toMatchObject({ template: { version: 1 }, status: 'AWAITING_SIGNATURES' });
    expect(await flow.cardsFor(supervisee.id)).toEqual([{ agreementId: signed!.id, version: 1, versionLabel: 'Version 1', canSign: true }]);
    await signAgreement(deps, await flow.actor(supervisee), { agreementId: signed!.id, version: 1 });
    await signAgreement(deps, await flow.actor(supervisor), { agreementId: signed!.id, version: 1 });
    const covered = await flow.session(supervisor.id, supervisee.id);
    expect(await flow.agreementsOf({ sessionId: covered.id })).toEqual([]);
    // Someone else is offered version 1 and has not signed it when the new text arrives.
    const pendingSession = await flow.session(supervisor.id, other.id);
    const [pending] = await flow.agreementsOf({ sessionId: pendingSession.id });
    // Someone whose supervision is over signed version 1 at a past session.
    const past = await flow.session(supervisor.id, former.id, { past: true });
    const [formerSigned] = await flow.agreementsOf({ sessionId: past.id });
    await signAgreement(deps, await flow.actor(former), { agreementId: formerSigned!.id, version: 1 });
    await signAgreement(deps, await flow.actor(supervisor), { agreementId: formerSigned!.id, version: 1 });
    const signaturesBefore = await t.db.signature.findMany({ orderBy: { signedAt: 'asc' } });

    const result = await cli('load-agreement', SLUG, 'individual', fixture('individual-agreement-v2.md'));
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('loaded as version 2 of the Individual Safeguarding Supervision Agreement (replacing version 1)');
    expect(result.out).toContain('1 agreement(s) still awaiting signatures on an earlier version can no longer be signed');
    expect(result.out).toContain('Offered version 2 for signature now: 3 agreement(s) to 3 person(s)');

    // Each session confirmed and not yet over has version 2 offered, in the load's transaction.
    for (const session of [first, covered, pendingSession]) {
      const current = (await flow.agreementsOf({ sessionId: session.id, status: { not: 'SUPERSEDED' } })).filter((a) => a.template.version === 2);
      expect(current).toHaveLength(1);
      expect(current[0]).toMatchObject({ status: 'AWAITING_SIGNATURES', signatures: [], supervisorId: supervisor.id });
    }
    const renewed = (await flow.agreementsOf({ sessionId: first.id, template: { version: 2 } }))[0]!;
    const forOther = (await flow.agreementsOf({ sessionId: pendingSession.id, template: { version: 2 } }))[0]!;
    // The old signatures stay on record; the unsigned version 1 can no longer be signed.
    expect(await t.db.signature.findMany({ orderBy: { signedAt: 'asc' } })).toEqual(signaturesBefore);
    expect(await t.db.agreement.findUniqueOrThrow({ where: { id: signed!.id } })).toMatchObject({ status: 'SIGNED' });
    expect(await t.db.agreement.findUniqueOrThrow({ where: { id: pending!.id } })).toMatchObject({ status: 'SUPERSEDED' });
    // The cards are outbox rows due now, showing the version; audited as offers.
    expect((await flow.cardsFor(supervisee.id)).filter((c) => c.version === 2).map((c) => c.versionLabel)).toEqual(['Version 2', 'Version 2']);
    expect((await flow.cardsFor(other.id)).at(-1)).toEqual({ agreementId: forOther.id, version: 2, versionLabel: 'Version 2', canSign: true });
    const rows = (await t.db.outboundMessage.findMany({ where: { kind: 'person' } })).filter((m) => {
      const card = (m.message as { card?: { template: string; data: { version?: unknown } } }).card;
      return card?.template === 'agreement' && card.data.version === 2;
    });
    expect(rows).toHaveLength(6); // three agreements, two parties each
    expect(rows.every((r) => r.status === 'PENDING' && r.nextAttemptAt.getTime() <= NOW.getTime())).toBe(true);
    expect(await t.db.auditEvent.count({ where: { action: 'agreement.offered', subjectId: forOther.id } })).toBe(1);
    expect(await lastAudit('agreement-template.loaded')).toMatchObject({ detail: expect.objectContaining({ version: 2, offered: 3, awaitingOnEarlier: 1 }) });
    // Whoever's supervision is over is not asked now.
    expect(await flow.cardsFor(former.id)).toEqual([{ agreementId: formerSigned!.id, version: 1, versionLabel: 'Version 1', canSign: true }]);

    // A card of version 1 is refused with the card of version 2, and nothing is written.
    const count = await t.db.signature.count();
    const refused = await signAgreement(deps, await flow.actor(other), { agreementId: pending!.id, version: 1 });
    expect(refused).toMatchObject({ refused: true, notice: expect.stringContaining('replaced by version 2') });
    expect(refused.replies[0]?.card?.data).toMatchObject({ agreementId: forOther.id, version: 2, versionLabel: 'Version 2', canSign: true });
    expect(refused.updatedCard?.data).toMatchObject({ agreementId: pending!.id, canSign: false });
    // Version 1's card pressed with the number 2 is still version 1's card.
    expect(await signAgreement(deps, await flow.actor(other), { agreementId: pending!.id, version: 2 })).toMatchObject({ refused: true });
    expect(await t.db.signature.count()).toBe(count);
    // The platform's identity decides: someone who is not a party cannot sign the new card.
    const notParty = await signAgreement(deps, await flow.actor(former), { agreementId: forOther.id, version: 2 }).catch((e: unknown) => e);
    expect((notParty as DomainError).code).toBe('NOT_A_PARTY');
    expect(await t.db.signature.count()).toBe(count);

    // Version 2 is signed as version 2; the supervisee's version 1 signature does not cover it.
    const theirSignatures = await t.db.signature.findMany({ where: { personId: supervisee.id }, select: { personId: true, signedVersion: true } });
    expect(needsResigning(supervisee.id, theirSignatures, 2)).toBe(true);
    await signAgreement(deps, await flow.actor(supervisee), { agreementId: renewed.id, version: 2 });
    expect(await t.db.signature.findFirst({ where: { agreementId: renewed.id, personId: supervisee.id } })).toMatchObject({ signedVersion: 2 });
    // The person whose supervision was over signs version 2 when their next session is confirmed.
    const next = await flow.session(supervisor.id, former.id);
    expect(await flow.agreementsOf({ sessionId: next.id })).toEqual([expect.objectContaining({ template: expect.objectContaining({ version: 2 }), status: 'AWAITING_SIGNATURES' })]);
  });

  it('load-agreement contract: offered only where the organisation offers contracts; a new version is offered to every pair in force, the signed one kept on record', async () => {
    const supervisor = await flow.person('aisha.rahman@trust.example.nhs.uk');
    const supervisee = await flow.person('tom.okafor@trust.example.nhs.uk');
    const { deps } = flow;
    const contracts = () => flow.agreementsOf({ template: { kind: 'CONTRACT' } });

    // Off by default (the demo policy has no contract): the text is kept, nothing is offered.
    const off = await cli('load-agreement', SLUG, 'contract', tmpFile('contract-1.md', '# Supervision Contract\n\n## The supervisor will\n\n- keep time\n'));
    expect(off.code, off.err).toBe(0);
    expect(off.out).toContain('Contracts are not offered by this organisation');
    await flow.session(supervisor.id, supervisee.id);
    expect(await contracts()).toEqual([]);

    // Switched on: a confirmed session offers the supervisee and the supervisor the contract.
    expect(await expectRefused(['set-records', SLUG, 'offerContracts=sometimes'], 'offerContracts')).toBeTruthy();
    expect((await cli('set-records', SLUG, 'offerContracts=true')).code).toBe(0);
    const session = await flow.session(supervisor.id, supervisee.id);
    const [contract] = await contracts();
    expect(contract).toMatchObject({ sessionId: session.id, status: 'AWAITING_SIGNATURES', template: { version: 1 } });
    expect(contract!.parties.map((p) => p.personId).sort()).toEqual([supervisor.id, supervisee.id].sort());
    await signAgreement(deps, await flow.actor(supervisee), { agreementId: contract!.id, version: 1 });
    await signAgreement(deps, await flow.actor(supervisor), { agreementId: contract!.id, version: 1 });
    expect(await t.db.agreement.findUniqueOrThrow({ where: { id: contract!.id } })).toMatchObject({ status: 'SIGNED', reviewDue: new Date('2027-11-23T00:00:00Z') });
    // In force: the next session offers no second contract.
    await flow.session(supervisor.id, supervisee.id);
    expect(await contracts()).toHaveLength(1);

    // A duplicate version or an empty file is refused, nothing written (no offers either).
    await expectRefused(['load-agreement', SLUG, 'contract', tmpFile('contract-dup.md', '# Supervision Contract\n\nNew text\n'), '--version', '1'], 'version: version 1 of the Supervision Contract already exists');
    await expectRefused(['load-agreement', SLUG, 'contract', tmpFile('contract-empty.md', '')], 'file: has no text');
    await expectRefused(['load-agreement', SLUG, 'contract', join(TMP, 'no-such-contract.md')], 'no-such-contract.md');

    const v2 = await cli('load-agreement', SLUG, 'contract', tmpFile('contract-2.md', '# Supervision Contract\n\n## The supervisor will\n\n- keep time\n- review it yearly\n'));
    expect(v2.code, v2.err).toBe(0);
    expect(v2.out).toMatch(/Offered version 2 for signature now: \d+ agreement\(s\)/);
    const after = await contracts();
    const old = after.find((c) => c.id === contract!.id)!;
    // The signed version 1 stays on record with its signatures, superseded (no more review reminders).
    expect(old).toMatchObject({ status: 'SUPERSEDED', template: { version: 1 } });
    expect(old.signatures.map((s) => s.signedVersion)).toEqual([1, 1]);
    const renewed = after.filter((c) => c.template.version === 2 && c.parties.some((p) => p.personId === supervisee.id));
    expect(renewed).toHaveLength(1);
    expect(renewed[0]).toMatchObject({ status: 'AWAITING_SIGNATURES', supervisorId: supervisor.id });
    expect((await flow.cardsFor(supervisee.id)).at(-1)).toMatchObject({ agreementId: renewed[0]!.id, version: 2, versionLabel: 'Version 2' });

    // The old contract's card is refused with the new one.
    const refused = await signAgreement(deps, await flow.actor(supervisee), { agreementId: contract!.id, version: 1 });
    expect(refused).toMatchObject({ refused: true, notice: expect.stringContaining('Supervision Contract has been replaced by version 2') });
    expect(refused.replies[0]?.card?.data).toMatchObject({ agreementId: renewed[0]!.id, version: 2 });
    await signAgreement(deps, await flow.actor(supervisee), { agreementId: renewed[0]!.id, version: 2 });
    expect(await t.db.signature.findFirst({ where: { agreementId: renewed[0]!.id, personId: supervisee.id } })).toMatchObject({ signedVersion: 2, platform: 'TEAMS' });
  });

  it('load-agreement group-attendance: a group session not yet over is offered the new attendance record only', async () => {
    const supervisor = await flow.person('aisha.rahman@trust.example.nhs.uk');
    const tom = await flow.person('tom.okafor@trust.example.nhs.uk');
    const priya = await flow.person('priya.shah@trust.example.nhs.uk');
    expect((await cli('load-agreement', SLUG, 'group', tmpFile('group-1.md', '# Group agreement\n\n- Be on time\n'))).code).toBe(0);
    expect((await cli('load-agreement', SLUG, 'group-attendance', tmpFile('attendance-1.md', '# Attendance record\n\nSigning agrees to the group agreement.\n'))).code).toBe(0);
    const startsAt = new Date(NOW.getTime() + 30 * 86_400_000);
    const session = await t.db.session.create({
      data: {
        organisationId: await orgId(),
        format: 'GROUP',
        type: 'MANDATORY',
        status: 'CONFIRMED',
        supervisorId: supervisor.id,
        proposedById: supervisor.id,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 90 * 60_000),
        durationMinutes: 90,
        attendees: { create: [{ personId: tom.id }, { personId: priya.id }] },
      },
    });
    await t.db.$transaction((tx) => stageAgreementOffers(flow.deps, tx, session.id, 'Europe/London'));
    const kinds = async () => (await flow.agreementsOf({ sessionId: session.id })).map((a) => [a.template.kind, a.template.version, a.status]);
    expect(await kinds()).toEqual([
      ['GROUP', 1, 'AWAITING_SIGNATURES'],
      ['GROUP_ATTENDANCE', 1, 'AWAITING_SIGNATURES'],
    ]);
    const attendance = (await flow.agreementsOf({ sessionId: session.id, template: { kind: 'GROUP_ATTENDANCE' } }))[0]!;
    await signAgreement(flow.deps, await flow.actor(tom), { agreementId: attendance.id, version: 1 });

    const result = await cli('load-agreement', SLUG, 'group-attendance', tmpFile('attendance-2.md', '# Attendance record\n\nSigning agrees to the group agreement and its ground rules.\n'));
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('Offered version 2 for signature now: 1 agreement(s) to 3 person(s)');
    // The group agreement itself is untouched (Tom's attendance signature agreed to it); the
    // attendance record is offered again at version 2 to all three, version 1 superseded with Tom's signature kept.
    expect(await kinds()).toEqual([
      ['GROUP', 1, 'AWAITING_SIGNATURES'],
      ['GROUP_ATTENDANCE', 1, 'SUPERSEDED'],
      ['GROUP_ATTENDANCE', 2, 'AWAITING_SIGNATURES'],
    ]);
    expect(await t.db.signature.count({ where: { agreementId: attendance.id, personId: tom.id, signedVersion: 1 } })).toBe(1);
    const renewed = (await flow.agreementsOf({ sessionId: session.id, template: { kind: 'GROUP_ATTENDANCE', version: 2 } }))[0]!;
    expect(renewed.parties.map((p) => p.personId).sort()).toEqual([supervisor.id, tom.id, priya.id].sort());
  });

  it('show: prints everything that is set, marking defaults, and --json gives the same as data', async () => {
    const result = await cli('show', SLUG);
    expect(result.code).toBe(0);
    const out = result.out;
    for (const line of [
      'North Trust NHS Foundation Trust (north-trust)',
      `  Teams tenant:    ${TENANT}`,
      '  Slack workspace: T0NORTH1',
      '  reference prefix: NTS',
      '  Tuesday    08:30-12:30, 13:30-17:00',
      '  Sunday     closed',
      '  holidays   2026-12-25 2026-12-28',
      '  Medical (1 person)',
      '  Medical: MANDATORY INDIVIDUAL, 4 a year, 60 min, NAMED_SUPERVISORS; supervisors aisha.rahman@trust.example.nhs.uk, head.safeguarding@trust.example.nhs.uk',
      '  Nursing: MANDATORY GROUP, every 3 months, 90 min, about 6 in a group, SAFEGUARDING_SPECIALISTS',
      'Individual Safeguarding Supervision Agreement: version 2 "Individual Safeguarding Supervision Agreement", loaded 23 Nov 2026 10:00 (2 versions)',
      '  (none bound yet)',
      '  6 active',
    ]) {
      expect(out).toContain(line);
    }
    for (const pattern of [
      /\n {2}DUTY_LINE +Safeguarding duty line: 01234 567890 \(Office hours, Monday to Friday\)\n/,
      /\n {2}STAFF_SUPPORT +Employee assistance programme: 0800 000 0000, https:\/\/eap\.example\.co\.uk \(24\/7, free and confidential\)\n/,
      /\n {2}urgent\.targetMinutes +20\n/,
      /\n {2}advice\.targetMinutes +240\n/,
      /\n {2}advice\.resurfaceAfterMinutes +60\n/,
      /\n {2}advice\.escalateAfterMinutes +120\n/,
      /\n {2}session\.escalateAfterMinutes +480\n/,
      /\n {2}sessionReminderHoursBefore +48,2\n/,
      /\n {2}overdueRepeatDays +7 \(default\)\n/,
      /\n {2}requestsMonths +72 \(default\)\n/,
      /\n {2}recordsMonths +120\n/,
      /\n {2}reportMinimumGroupSize +3\n/,
      /\n {2}auditMaxRangeDays +366 \(default\)\n/,
      /\n {2}maxActionPoints +6\n/,
    ]) {
      expect(out).toMatch(pattern);
    }
    expect(out).not.toContain('Problems');
    const json = JSON.parse((await cli('show', SLUG, '--json')).out);
    expect(json).toMatchObject({ slug: SLUG, teamsTenantId: TENANT, holidays: ['2026-12-25', '2026-12-28'], problems: [] });
    expect(json.contacts).toHaveLength(7);
    expect(json.matrix).toHaveLength(4);
  });

  it('show: names stored values the bot would refuse, and the field', async () => {
    const handEdited = await t.db.organisation.create({
      data: { slug: 'hand-edited', name: 'Hand edited', referencePrefix: 'HE', serviceHours: { mon: [{ from: '09:00', to: '13:00' }, { from: '12:00', to: '17:00' }] }, responseTargets: { urgent: { targetMinutes: 1000 } }, settings: { remindersOff: true } },
    });
    await t.db.organisationContact.create({ data: { organisationId: handEdited.id, kind: 'STAFF_SUPPORT', label: 'Counselling', availability: 'Ask your line manager', sortOrder: 10 } });
    const out = (await cli('show', 'hand-edited')).out;
    expect(out).toContain('serviceHours.mon.1: 12:00-17:00 overlaps 09:00-13:00');
    expect(out).toContain('responseTargets.urgent.targetMinutes: must be a whole number of service minutes from 10 to 480');
    expect(out).toContain('settings.remindersOff: is not a known setting');
    expect(out).toContain('contacts "Counselling": a STAFF_SUPPORT contact needs a phone number, email or https:// link: the bot gives it to people to get in touch (set-contacts)');
  });

  it('runs as `npm run org` (tsx), with its exit codes', async () => {
    const env = { ...process.env, DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: t.schema };
    const ok = await run('npx', ['tsx', 'src/cli/org.ts', 'set-holidays', SLUG, 'none'], { cwd: ROOT, env });
    expect(ok.stdout.trim()).toBe(`${SLUG}: 0 holidays.`);
    const refused = await run('npx', ['tsx', 'src/cli/org.ts', 'set-response-policy', SLUG, 'urgent.targetMinutes=1000'], { cwd: ROOT, env }).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('responseTargets.urgent.targetMinutes: must be a whole number of service minutes from 10 to 480') });
    const usage = await run('npx', ['tsx', 'src/cli/org.ts', 'set-holidays'], { cwd: ROOT, env }).catch((e: { code: number }) => e);
    expect(usage).toMatchObject({ code: 2 });
  }, 60_000);
});
