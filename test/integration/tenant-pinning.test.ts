// With credentials, an organisation is reached only from the tenant and workspace recorded for
// it: the start stops while a configured platform is not pinned (saying which command pins
// it), the command validates and audits what it records, and a pinned directory answers only
// its own tenant.
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { main as orgCli } from '../../src/cli/org.js';
import { ConfigError } from '../../src/config.js';
import { findActor, organisationForTenant } from '../../src/db/directory.js';
import { assertTenantsPinned, findUnpinnedOrganisations, setPlatformIds } from '../../src/db/organisation-platforms.js';
import { testDatabaseUrl, withTestDatabase } from '../support/database.js';
import { runMainUntilExit } from '../support/run-main.js';

const t = withTestDatabase();
const TENANT = '3c1f0000-0000-4000-8000-00000000aaaa';
let slug: string;
let orgId: string;

beforeAll(async () => {
  slug = `trust-${randomUUID().slice(0, 8)}`;
  const org = await t.db.organisation.create({ data: { slug, name: 'Pinned trust', serviceHours: {}, responseTargets: {}, settings: {} } });
  orgId = org.id;
  const person = await t.db.person.create({ data: { organisationId: orgId, name: 'Pat Example', email: 'pat@example.nhs.uk', roles: ['STAFF'] } });
  await t.db.platformIdentity.create({ data: { personId: person.id, platform: 'TEAMS', tenantId: 'some-other-tenant', platformUserId: 'aad-pat' } });
});

function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { DATABASE_URL: testDatabaseUrl, DATABASE_SCHEMA: t.schema };
  return orgCli(args, env, { out: (s) => out.push(s), err: (s) => err.push(s) }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('tenant pinning', () => {
  it('names each organisation without the id of a configured platform, and the command that sets it', async () => {
    expect(await findUnpinnedOrganisations(t.db, { teams: false, slack: false })).toEqual([]);
    const lines = await findUnpinnedOrganisations(t.db, { teams: true, slack: true });
    expect(lines).toEqual([
      `  organisation "Pinned trust" (${slug}) has no Teams tenant id and Slack workspace id: npm run org -- set-platform-ids ${slug} --teams-tenant <Entra tenant id> --slack-workspace <Slack team id>`,
    ]);
    const error = await assertTenantsPinned(t.db, { teams: false, slack: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`npm run org -- set-platform-ids ${slug} --slack-workspace <Slack team id>`);
  });

  it('stops a Slack-only production start on an unpinned organisation, with that message', async () => {
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
    expect(stderr).toContain('Tenants are not pinned, so the bot did not start');
    expect(stderr).toContain(`npm run org -- set-platform-ids ${slug} --slack-workspace <Slack team id>`);
    expect(stdout).not.toContain('bot listening');
  }, 60_000);

  it('refuses bad ids and unknown organisations with a clear message, writing nothing', async () => {
    expect(await cli(['set-platform-ids', slug, '--teams-tenant', 'not-a-guid'])).toMatchObject({ code: 1, err: expect.stringContaining('must be an Entra tenant id') });
    expect(await cli(['set-platform-ids', slug, '--slack-workspace', 'u123'])).toMatchObject({ code: 1, err: expect.stringContaining('must be a Slack team id') });
    expect(await cli(['set-platform-ids', 'no-such-trust', '--slack-workspace', 'T0123'])).toMatchObject({ code: 1, err: 'Unknown organisation "no-such-trust".' });
    expect(await cli(['set-platform-ids', slug])).toMatchObject({ code: 1, err: 'Give --teams-tenant, --slack-workspace or both.' });
    expect((await cli(['pin', slug])).code).toBe(2);
    expect((await cli(['set-platform-ids'])).code).toBe(2);
    expect(await t.db.organisation.findUniqueOrThrow({ where: { id: orgId } })).toMatchObject({ teamsTenantId: null, slackTeamId: null });
    expect(await t.db.auditEvent.count({ where: { organisationId: orgId } })).toBe(0);
  });

  it('records the ids, audited, and refuses a tenant already recorded for another organisation', async () => {
    const result = await cli(['set-platform-ids', slug, '--teams-tenant', TENANT.toUpperCase(), '--slack-workspace', 'T0PINNED1']);
    expect(result).toMatchObject({ code: 0, out: `${slug}: Teams tenant ${TENANT}, Slack workspace T0PINNED1.` });
    expect(await t.db.auditEvent.findFirstOrThrow({ where: { organisationId: orgId, action: 'organisation.platform-ids.set' } })).toMatchObject({
      actorId: null,
      detail: { teamsTenantId: TENANT, slackTeamId: 'T0PINNED1' },
    });
    expect(await cli(['show', slug])).toMatchObject({ code: 0, out: expect.stringContaining(`Teams tenant:    ${TENANT}`) });
    const other = await t.db.organisation.create({ data: { slug: `other-${randomUUID().slice(0, 8)}`, name: 'Other', serviceHours: {}, responseTargets: {}, settings: {} } });
    await expect(setPlatformIds(t.db, other.slug, { slackTeamId: 'T0PINNED1' }, new Date())).rejects.toThrow(`already recorded for organisation "${slug}"`);
    await t.db.organisation.delete({ where: { id: other.id } });
    expect(await findUnpinnedOrganisations(t.db, { teams: true, slack: true })).toEqual([]);
  });

  it('maps only the recorded tenant to the organisation, and finds nobody through an identity in another tenant', async () => {
    expect((await organisationForTenant(t.db, 'TEAMS', TENANT))?.id).toBe(orgId);
    expect(await organisationForTenant(t.db, 'TEAMS', 'some-other-tenant')).toBeNull();
    expect(await organisationForTenant(t.db, 'SLACK', 'T0STRANGER')).toBeNull();
    // The identity row names a tenant the organisation does not record: pinned, it is nobody.
    expect(await findActor(t.db, 'TEAMS', 'some-other-tenant', 'aad-pat')).toBeNull();
    expect(await findActor(t.db, 'TEAMS', 'some-other-tenant', 'aad-pat', 'local')).toMatchObject({ name: 'Pat Example' });
  });
});

/** A port nobody listens on, so a regression that starts the bot cannot collide with another test. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
