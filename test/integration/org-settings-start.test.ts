// Invalid reminder settings stop the start with a clear message naming the organisation, the
// field and why, instead of the sweep quietly falling back to the defaults.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { assertOrganisationSettingsValid, findInvalidOrganisationSettings } from '../../src/db/check-organisation-settings.js';
import { testDatabaseUrl, withTestDatabase } from '../support/database.js';
import { runMainUntilExit } from '../support/run-main.js';

const t = withTestDatabase();
let badSlug: string;

beforeAll(async () => {
  await t.db.organisation.create({
    data: { slug: `good-${randomUUID()}`, name: 'Good trust', serviceHours: {}, responseTargets: {}, settings: { reminders: { actionDueSoonDays: 2 } } },
  });
});

async function addBadOrganisation() {
  badSlug = `bad-${randomUUID()}`;
  await t.db.organisation.create({
    data: {
      slug: badSlug,
      name: 'Bad trust',
      serviceHours: {},
      // Escalated before it is re-surfaced; and a time from before one policy per route, left in settings.
      responseTargets: { advice: { targetMinutes: 240, resurfaceAfterMinutes: 60, escalateAfterMinutes: 30 } },
      settings: { resurfaceUnclaimedAfterMinutes: 60, reminders: { sessionReminderHoursBefore: [1, 24], reminderTimeOfDay: '9am' }, remindersOff: true },
    },
  });
}

describe('organisation settings at start', () => {
  it('accepts valid settings (and organisations without any)', async () => {
    await expect(findInvalidOrganisationSettings(t.db)).resolves.toEqual([]);
    await expect(assertOrganisationSettingsValid(t.db)).resolves.toBeUndefined();
  });

  it('names the organisation, each invalid field and why, from the stored row', async () => {
    await addBadOrganisation();
    const problems = await findInvalidOrganisationSettings(t.db);
    expect(problems.map((p) => [p.organisation.slug, p.field])).toEqual(
      expect.arrayContaining([
        [badSlug, 'responseTargets.advice.escalateAfterMinutes'],
        [badSlug, 'settings.resurfaceUnclaimedAfterMinutes'],
        [badSlug, 'settings.reminders.sessionReminderHoursBefore'],
        [badSlug, 'settings.reminders.reminderTimeOfDay'],
        [badSlug, 'settings.remindersOff'],
      ]),
    );
    expect(problems).toHaveLength(5);
    const error = await assertOrganisationSettingsValid(t.db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('Invalid reminder settings, so the bot did not start:');
    expect(message).toContain(`organisation "Bad trust" (${badSlug}): settings.reminders.sessionReminderHoursBefore: the first (day before) must be more hours before the session than the second`);
    expect(message).toContain(`organisation "Bad trust" (${badSlug}): settings.reminders.reminderTimeOfDay: expected a time as HH:mm`);
    expect(message).toContain(`organisation "Bad trust" (${badSlug}): settings.remindersOff: is not a known setting`);
    expect(message).toContain('settings.resurfaceUnclaimedAfterMinutes: has moved to each route\'s response policy, in service minutes: set responseTargets.<urgent|advice|session>.resurfaceAfterMinutes with npm run org -- set-response-policy');
    expect(message).toContain(`organisation "Bad trust" (${badSlug}): responseTargets.advice.escalateAfterMinutes: must be more than resurfaceAfterMinutes (60)`);
    expect(message).not.toContain('Good trust');
  });

  it('stops the process start (npm start) with that message and exit code 1, before the scheduler starts', async () => {
    if (!badSlug) await addBadOrganisation();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'development',
      DATABASE_URL: testDatabaseUrl,
      DATABASE_SCHEMA: t.schema,
      MIGRATE_ON_START: 'false',
      PROCESS_ROLE: 'worker',
      PLAYGROUND: 'false',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `settings-start-${randomUUID().slice(0, 8)}`,
      LOG_LEVEL: 'info',
    };
    const { code, stdout, stderr } = await runMainUntilExit(env);
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid reminder settings, so the bot did not start:');
    expect(stderr).toContain(`organisation "Bad trust" (${badSlug}): settings.reminders.sessionReminderHoursBefore`);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).not.toContain('reminder scheduler started');
  }, 60_000);
});
