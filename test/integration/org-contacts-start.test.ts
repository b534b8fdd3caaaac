// A staff-support contact the bot signposts with no phone, email or link (stored before the rule,
// or written by hand) stops a production start with a clear message naming the organisation, the
// contact and the command that replaces the list; contacts that can be reached pass.
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { assertContactsReachable, findUnreachableContacts } from '../../src/db/check-organisation-contacts.js';
import { testDatabaseUrl, withTestDatabase } from '../support/database.js';
import { runMainUntilExit } from '../support/run-main.js';

const t = withTestDatabase();
let goodSlug: string;
let badSlug: string;

async function organisation(slug: string, name: string, slackTeamId: string) {
  return t.db.organisation.create({ data: { slug, name, slackTeamId, serviceHours: {}, responseTargets: {}, settings: {} } });
}

beforeAll(async () => {
  goodSlug = `good-${randomUUID().slice(0, 8)}`;
  const good = await organisation(goodSlug, 'Good trust', 'T0GOODTRUST');
  await t.db.organisationContact.createMany({
    data: [
      { organisationId: good.id, kind: 'EMERGENCY_SERVICES', label: 'Police or ambulance', phone: '999', sortOrder: 10 },
      // Kinds other than staff support keep their own rules: availability alone is enough here.
      { organisationId: good.id, kind: 'EMERGENCY_DUTY_TEAM', label: 'Emergency Duty Team', availability: 'Through the 24/7 line', sortOrder: 20 },
      { organisationId: good.id, kind: 'STAFF_SUPPORT', label: 'Employee assistance', phone: '0800 000 0000', sortOrder: 30 },
      { organisationId: good.id, kind: 'STAFF_SUPPORT', label: 'Occupational health', email: 'oh@trust.example.nhs.uk', sortOrder: 40 },
      { organisationId: good.id, kind: 'STAFF_SUPPORT', label: 'Wellbeing hub', url: 'https://wellbeing.example.nhs.uk', sortOrder: 50 },
    ],
  });
});

async function addBadOrganisation() {
  badSlug = `bad-${randomUUID().slice(0, 8)}`;
  const bad = await organisation(badSlug, 'Bad trust', 'T0BADTRUST');
  await t.db.organisationContact.createMany({
    data: [
      { organisationId: bad.id, kind: 'EMERGENCY_SERVICES', label: 'Police or ambulance', phone: '999', sortOrder: 10 },
      { organisationId: bad.id, kind: 'STAFF_SUPPORT', label: 'Employee assistance', phone: '0800 000 0000', sortOrder: 20 },
      // As the demo organisation had them: when and through whom, but no way to reach it.
      { organisationId: bad.id, kind: 'STAFF_SUPPORT', label: 'LINC workers', availability: 'Ask your line manager', sortOrder: 30 },
      { organisationId: bad.id, kind: 'STAFF_SUPPORT', label: 'Counselling', phone: ' ', email: '', sortOrder: 40 },
    ],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('staff-support contacts at start', () => {
  it('accepts staff support with any one of phone, email or url', async () => {
    await expect(findUnreachableContacts(t.db)).resolves.toEqual([]);
    await expect(assertContactsReachable(t.db)).resolves.toBeUndefined();
  });

  it('names the organisation and each staff-support contact with no phone, email or url (blank counts as none)', async () => {
    await addBadOrganisation();
    const problems = await findUnreachableContacts(t.db);
    expect(problems.map((p) => [p.organisation.slug, p.contact.kind, p.contact.label])).toEqual([
      [badSlug, 'STAFF_SUPPORT', 'LINC workers'],
      [badSlug, 'STAFF_SUPPORT', 'Counselling'],
    ]);
    const error = await assertContactsReachable(t.db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('Staff-support contacts without a phone number, email or link, so the bot did not start');
    expect(message).toContain(`organisation "Bad trust" (${badSlug}): STAFF_SUPPORT "LINC workers" has no phone, email or url: npm run org -- set-contacts ${badSlug} contacts.csv`);
    expect(message).toContain(`organisation "Bad trust" (${badSlug}): STAFF_SUPPORT "Counselling" has no phone, email or url`);
    expect(message).not.toContain('Good trust');
    expect(message).not.toContain('Employee assistance');
  });

  it('stops a production start (npm start) with that message and exit code 1, before the bot listens', async () => {
    if (!badSlug) await addBadOrganisation();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      DATABASE_URL: testDatabaseUrl,
      DATABASE_SCHEMA: t.schema,
      MIGRATE_ON_START: 'false',
      PROCESS_ROLE: 'web',
      SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
      SLACK_BOT_TOKEN: 'xoxb-test',
      PUBLIC_BASE_URL: 'https://bot.example.nhs.uk',
      LINK_SECRET: 'a'.repeat(40),
      PORT: String(await freePort()),
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'info',
    };
    const { code, stdout, stderr } = await runMainUntilExit(env);
    expect(code).toBe(1);
    expect(stderr).toContain('Staff-support contacts without a phone number, email or link, so the bot did not start');
    expect(stderr).toContain(`organisation "Bad trust" (${badSlug}): STAFF_SUPPORT "LINC workers" has no phone, email or url: npm run org -- set-contacts ${badSlug} contacts.csv`);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).not.toContain('bot listening');
  }, 60_000);
});
