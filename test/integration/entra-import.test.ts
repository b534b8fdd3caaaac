// npm run import:people -- --from-entra, on a real database, with Microsoft Graph and the Entra
// token endpoint intercepted by nock.
import { createHash, randomUUID, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedUrlQuery } from 'node:querystring';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/import-people.js';
import type { Db } from '../../src/db/client.js';
import { Platform, Role } from '../../src/db/generated/enums.js';
import { MANAGER_EXPAND, USER_SELECT } from '../../src/directory/entra-graph.js';
import { createTestDatabase } from '../support/database.js';

const LOGIN = 'https://login.microsoftonline.com';
const GRAPH = 'https://graph.microsoft.com';
const CLIENT_ID = '11111111-2222-4333-8444-555555555555';
const SECRET = 'S3cr3t~client~secret~value.do-not-print';
const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.graph-access-token-do-not-print';
const STAFF_GROUPS = ['Nursing', 'Medical', 'Safeguarding team'];
/** A throwaway RSA key and self-signed certificate in one PEM (test only). */
const CERTIFICATE = fileURLToPath(new URL('../fixtures/entra/test-app-certificate.pem', import.meta.url));

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  nock.disableNetConnect();
});

afterAll(async () => {
  nock.enableNetConnect();
  await testDb?.drop();
});

beforeEach(() => nock.cleanAll());
afterEach(() => nock.cleanAll());

interface TestOrg {
  id: string;
  slug: string;
  tenant: string;
}

async function createOrganisation(): Promise<TestOrg> {
  const slug = `org-${randomUUID().slice(0, 8)}`;
  const tenant = randomUUID();
  const org = await db.organisation.create({
    data: {
      slug,
      name: `Test Trust ${slug}`,
      teamsTenantId: tenant,
      serviceHours: { mon: [{ from: '09:00', to: '17:00' }] },
      responseTargets: { urgentMinutes: 30, adviceMinutes: 240, sessionMinutes: 1920 },
      staffGroups: { create: STAFF_GROUPS.map((name) => ({ name })) },
    },
  });
  return { id: org.id, slug, tenant };
}

/** Everything an import could write for an organisation. */
async function snapshot(organisationId: string) {
  const people = await db.person.findMany({ where: { organisationId }, orderBy: { email: 'asc' }, include: { identities: true } });
  const auditEvents = await db.auditEvent.count({ where: { organisationId } });
  return { people, auditEvents };
}

// --- Graph fixtures ---------------------------------------------------------------------------

interface U {
  id: string;
  displayName: string | null;
  mail: string | null;
  userPrincipalName: string;
  jobTitle: string | null;
  accountEnabled: boolean;
  manager?: { id: string; displayName: string; mail: string | null; userPrincipalName: string } | null;
}

const ids = {
  helen: '0c6f1a52-0000-4000-8000-000000000001',
  grace: '0c6f1a52-0000-4000-8000-000000000002',
  priya: '0c6f1a52-0000-4000-8000-000000000003',
  tom: '0c6f1a52-0000-4000-8000-000000000004',
  leaver: '0c6f1a52-0000-4000-8000-000000000005',
  aisha: '0c6f1a52-0000-4000-8000-000000000006',
  outsider: '0c6f1a52-0000-4000-8000-000000000099',
};

function user(key: keyof typeof ids, name: string, jobTitle: string | null, manager: U | null, extra: Partial<U> = {}): U {
  const local = name.toLowerCase().replace(/\s+/g, '.');
  return {
    id: ids[key],
    displayName: name,
    mail: `${local}@trust.example.nhs.uk`,
    userPrincipalName: `${local}@trust.example.nhs.uk`,
    jobTitle,
    accountEnabled: true,
    manager: manager ? ref(manager) : null,
    ...extra,
  };
}

const ref = (u: U) => ({ id: u.id, displayName: u.displayName!, mail: u.mail, userPrincipalName: u.userPrincipalName });

const helen = user('helen', 'Helen Ward', 'Head of Safeguarding', null);
const grace = user('grace', 'Grace Mensah', 'Ward Manager', helen);
const priya = user('priya', 'Priya Shah', 'Staff Nurse', grace);
const tom = user('tom', 'Tom Okafor', 'Specialist Nurse, Safeguarding', helen);
const leaver = user('leaver', 'Lee Ver', 'Staff Nurse', grace, { accountEnabled: false });

/** Rules that map every job title above. */
const RULES = ['--staff-group', '*Nurse*=Nursing', '--staff-group', 'Ward Manager=nursing', '--staff-group', 'head of safeguarding=Safeguarding team'];

function tokenEndpoint(tenant: string) {
  return nock(LOGIN)
    .post(`/${tenant}/oauth2/v2.0/token`, (body: Record<string, string>) =>
      body.grant_type === 'client_credentials' &&
      body.client_id === CLIENT_ID &&
      body.client_secret === SECRET &&
      body.scope === 'https://graph.microsoft.com/.default',
    )
    .reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: TOKEN });
}

/** The graph, answering `path` with `pages` of users linked by @odata.nextLink. */
function graphPages(path: string, pages: U[][]) {
  const scope = nock(GRAPH, { reqheaders: { authorization: `Bearer ${TOKEN}` } });
  pages.forEach((value, i) => {
    const query =
      i === 0
        ? (q: ParsedUrlQuery) => q.$select === USER_SELECT && q.$expand === MANAGER_EXPAND && q.$top === '999'
        : (q: ParsedUrlQuery) => q.$skiptoken === `page${i + 1}`;
    const next = i + 1 < pages.length ? { '@odata.nextLink': `${GRAPH}${path}?$skiptoken=page${i + 2}` } : {};
    scope.get(path).query(query).reply(200, { '@odata.context': `${GRAPH}/v1.0/$metadata#users`, value, ...next });
  });
  return scope;
}

interface Run {
  code: number;
  out: string;
  err: string;
  sleeps: number[];
}

async function cli(org: TestOrg, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  const code = await main(
    ['--from-entra', '--org', org.slug, ...args],
    {
      DATABASE_URL: testDb.databaseUrl,
      DATABASE_SCHEMA: testDb.schema,
      ENTRA_CLIENT_ID: CLIENT_ID,
      ENTRA_CLIENT_SECRET: SECRET,
      ...env,
    },
    { out: (t) => out.push(t), err: (t) => err.push(t) },
    { sleep: async (ms) => void sleeps.push(ms) },
  );
  const run = { code, out: out.join('\n'), err: err.join('\n'), sleeps };
  // Whatever happened, neither the client secret nor the access token is ever printed.
  expect(`${run.out}\n${run.err}`).not.toContain(SECRET);
  expect(`${run.out}\n${run.err}`).not.toContain(TOKEN);
  expect(`${run.out}\n${run.err}`).not.toContain('graph-access-token');
  return run;
}

async function person(organisationId: string, email: string) {
  return db.person.findUniqueOrThrow({
    where: { organisationId_email: { organisationId, email } },
    include: { lineManager: true, staffGroup: true, identities: true },
  });
}

/** The failure case's common assertions: exit 1, nothing written, a per-person table. */
async function expectRejected(org: TestOrg, run: Run, before: Awaited<ReturnType<typeof snapshot>>) {
  expect(run.code).toBe(1);
  expect(run.out).toBe('');
  expect(run.err).toContain(`nothing was imported into Test Trust ${org.slug}`);
  expect(run.err).toMatch(/^person\s+field\s+reason$/m);
  expect(await snapshot(org.id)).toEqual(before);
}

// -----------------------------------------------------------------------------------------------

describe('import:people --from-entra', () => {
  it('imports every page: people, job titles, staff groups, line managers, Teams identities; disabled accounts left out', async () => {
    const org = await createOrganisation();
    const token = tokenEndpoint(org.tenant);
    const graph = graphPages('/v1.0/users', [[priya, helen], [leaver, grace], [tom]]);

    const run = await cli(org, RULES);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toBe(`Imported 4 people (4 created, 0 updated) from Microsoft Entra ID into Test Trust ${org.slug} (${org.slug}); 1 disabled account left out.`);
    expect(token.isDone()).toBe(true);
    expect(graph.isDone()).toBe(true);
    expect(run.sleeps).toEqual([]);

    const p = await person(org.id, 'priya.shah@trust.example.nhs.uk');
    expect(p).toMatchObject({ name: 'Priya Shah', jobTitle: 'Staff Nurse', roles: [Role.STAFF], active: true });
    expect(p.staffGroup?.name).toBe('Nursing');
    expect(p.lineManager?.email).toBe('grace.mensah@trust.example.nhs.uk');
    expect(p.identities.map((i) => [i.platform, i.tenantId, i.platformUserId])).toEqual([[Platform.TEAMS, org.tenant, ids.priya]]);

    const g = await person(org.id, 'grace.mensah@trust.example.nhs.uk');
    expect(g.staffGroup?.name).toBe('Nursing'); // rule "Ward Manager=nursing", group spelt as the organisation does
    expect(g.lineManager?.email).toBe('helen.ward@trust.example.nhs.uk');
    expect(g.roles).toEqual([Role.STAFF, Role.LINE_MANAGER]); // manages Priya

    const h = await person(org.id, 'helen.ward@trust.example.nhs.uk');
    expect(h).toMatchObject({ lineManagerId: null, jobTitle: 'Head of Safeguarding' });
    expect(h.staffGroup?.name).toBe('Safeguarding team');
    expect(h.roles).toEqual([Role.STAFF, Role.LINE_MANAGER]);

    expect((await person(org.id, 'tom.okafor@trust.example.nhs.uk')).lineManager?.email).toBe('helen.ward@trust.example.nhs.uk');
    expect(await db.person.count({ where: { organisationId: org.id, email: 'lee.ver@trust.example.nhs.uk' } })).toBe(0);
    expect(await db.auditEvent.findFirst({ where: { organisationId: org.id, action: 'directory.imported' } })).toMatchObject({
      detail: { created: 4, updated: 0, identities: 4, source: 'entra' },
    });
  });

  it('re-importing updates people in place and keeps the roles and staff groups Entra cannot know', async () => {
    const org = await createOrganisation();
    tokenEndpoint(org.tenant);
    graphPages('/v1.0/users', [[priya, helen, grace, tom]]);
    expect((await cli(org, RULES)).code).toBe(0);

    // An administrator makes Tom a specialist in the safeguarding team.
    const safeguarding = await db.staffGroup.findFirstOrThrow({ where: { organisationId: org.id, name: 'Safeguarding team' } });
    await db.person.update({
      where: { organisationId_email: { organisationId: org.id, email: 'tom.okafor@trust.example.nhs.uk' } },
      data: { roles: [Role.STAFF, Role.SPECIALIST], staffGroupId: safeguarding.id },
    });

    // Entra now says Tom is a "Named Nurse" (no rule matches), Priya has a new title.
    tokenEndpoint(org.tenant);
    graphPages('/v1.0/users', [[{ ...priya, jobTitle: 'Senior Staff Nurse' }, helen, grace, { ...tom, jobTitle: 'Named Professional' }]]);
    const run = await cli(org, ['--staff-group', 'Ward Manager=Nursing', '--staff-group', '*Staff Nurse=Nursing', '--staff-group', 'Head of Safeguarding=Safeguarding team']);
    expect(run.err).toBe('');
    expect(run.out).toContain('Imported 4 people (0 created, 4 updated)');

    const t = await person(org.id, 'tom.okafor@trust.example.nhs.uk');
    expect(t.roles).toEqual([Role.STAFF, Role.SPECIALIST]);
    expect(t.staffGroup?.name).toBe('Safeguarding team');
    expect(t.jobTitle).toBe('Named Professional');
    expect((await person(org.id, 'priya.shah@trust.example.nhs.uk')).jobTitle).toBe('Senior Staff Nurse');
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(4);
  });

  it('--dry-run reads Graph, validates and prints what would change person by person, writing nothing', async () => {
    const org = await createOrganisation();
    // First a real import of three, then a dry run in which Priya's title changes and Tom is new.
    tokenEndpoint(org.tenant);
    graphPages('/v1.0/users', [[priya, helen, grace]]);
    expect((await cli(org, RULES)).code).toBe(0);
    const before = await snapshot(org.id);

    const token = tokenEndpoint(org.tenant);
    const graph = graphPages('/v1.0/users', [[{ ...priya, jobTitle: 'Senior Staff Nurse' }, helen], [grace, tom, leaver]]);
    const run = await cli(org, [...RULES, '--dry-run']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(token.isDone() && graph.isDone()).toBe(true); // Graph was really read, every page
    expect(run.out.split('\n')).toEqual([
      'Microsoft Entra ID: read 5 users; 1 disabled account left out; every person passes the checks.',
      `Dry run, nothing was written: importing Microsoft Entra ID into Test Trust ${org.slug} (${org.slug}) would create 1, update 1 and leave 2 unchanged.`,
      `  create  Tom Okafor <tom.okafor@trust.example.nhs.uk>: name Tom Okafor; staff_group Nursing; roles STAFF; line_manager_email helen.ward@trust.example.nhs.uk; job_title Specialist Nurse, Safeguarding; teams_aad_object_id ${ids.tom}`,
      '  update  Priya Shah <priya.shah@trust.example.nhs.uk>: job_title Staff Nurse → Senior Staff Nurse',
    ]);
    // Nothing written: no person, identity or audit entry.
    expect(await snapshot(org.id)).toEqual(before);
  });

  it('signs in with a client certificate: an RS256 client assertion the certificate verifies, no secret sent', async () => {
    const org = await createOrganisation();
    const pem = readFileSync(CERTIFICATE, 'utf8');
    const certificate = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0]);
    const tokenUrl = `${LOGIN}/${org.tenant}/oauth2/v2.0/token`;
    let form: Record<string, string> = {};
    const token = nock(LOGIN)
      .post(`/${org.tenant}/oauth2/v2.0/token`, (body: Record<string, string>) => {
        form = body;
        return true;
      })
      .reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: TOKEN });
    graphPages('/v1.0/users', [[priya, helen, grace]]);

    // The secret is set as well: the certificate is preferred and the secret never sent.
    const run = await cli(org, RULES, { ENTRA_CLIENT_CERTIFICATE_PATH: CERTIFICATE });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(token.isDone()).toBe(true);
    expect(form).toMatchObject({ grant_type: 'client_credentials', client_id: CLIENT_ID, scope: 'https://graph.microsoft.com/.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    expect(form.client_secret).toBeUndefined();

    const [header, payload, signature] = form.client_assertion!.split('.');
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(decode(header!)).toEqual({ alg: 'RS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url') });
    const claims = decode(payload!);
    expect(claims).toMatchObject({ aud: tokenUrl, iss: CLIENT_ID, sub: CLIENT_ID });
    expect(typeof claims.jti).toBe('string');
    expect((claims.exp as number) - (claims.nbf as number)).toBe(600);
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(300);
    // The certificate's public key verifies the signature; a changed payload does not verify.
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), certificate.publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
    expect(verify('sha256', Buffer.from(`${header}.${payload}x`), certificate.publicKey, Buffer.from(signature!, 'base64url'))).toBe(false);
    // The private key is never printed.
    const keyLine = pem.split('\n').find((l, i, all) => all[i - 1]?.includes('BEGIN PRIVATE KEY'))!;
    expect(`${run.out}\n${run.err}`).not.toContain(keyLine);
    expect(await db.person.count({ where: { organisationId: org.id } })).toBe(3);
  });

  it('refuses a certificate file that is missing or has no key, asking Entra nothing and writing nothing', async () => {
    const org = await createOrganisation();
    const before = await snapshot(org.id);
    const missing = await cli(org, RULES, { ENTRA_CLIENT_CERTIFICATE_PATH: '/nonexistent/app.pem' });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('ENTRA_CLIENT_CERTIFICATE_PATH /nonexistent/app.pem: file not found');
    const certOnly = join(mkdtempSync(join(tmpdir(), 'entra-cert-')), 'cert-only.pem');
    writeFileSync(certOnly, /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(readFileSync(CERTIFICATE, 'utf8'))![0]);
    const noKey = await cli(org, RULES, { ENTRA_CLIENT_CERTIFICATE_PATH: certOnly });
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('must be a PEM file with the certificate and its private key; it has no private key');
    expect(noKey.err).toContain('Nothing was imported.');
    const noId = await cli(org, RULES, { ENTRA_CLIENT_CERTIFICATE_PATH: CERTIFICATE, ENTRA_CLIENT_ID: '' });
    expect(noId.code).toBe(1);
    expect(noId.err).toContain('ENTRA_CLIENT_CERTIFICATE_PATH goes with ENTRA_CLIENT_ID');
    expect(nock.pendingMocks()).toEqual([]);
    expect(await snapshot(org.id)).toEqual(before);
  });

  it('--dry-run with problems prints the per-person report, exits 1 and writes nothing', async () => {
    const org = await createOrganisation();
    const before = await snapshot(org.id);
    tokenEndpoint(org.tenant);
    graphPages('/v1.0/users', [[priya, grace, { ...helen, mail: null }]]);
    const run = await cli(org, [...RULES, '--dry-run']);
    await expectRejected(org, run, before);
    expect(run.err).toMatch(/Helen Ward <helen\.ward@trust\.example\.nhs\.uk>\s+mail\s+has no mail address in Entra ID/);
  });

  it('imports a group: its transitive members, with --default-staff-group and --roles for new people', async () => {
    const org = await createOrganisation();
    const group = randomUUID();
    tokenEndpoint(org.tenant);
    const graph = graphPages(`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user`, [[helen, tom], [grace, tom]]);

    const run = await cli(org, ['--group', group, '--default-staff-group', 'safeguarding TEAM', '--roles', 'supervisor']);
    expect(run.err).toBe('');
    expect(run.out).toBe(`Imported 3 people (3 created, 0 updated) from Microsoft Entra ID group ${group} into Test Trust ${org.slug} (${org.slug}).`);
    expect(graph.isDone()).toBe(true);
    const t = await person(org.id, 'tom.okafor@trust.example.nhs.uk');
    expect(t.staffGroup?.name).toBe('Safeguarding team');
    expect(t.roles).toEqual([Role.SUPERVISOR]);
    expect((await person(org.id, 'helen.ward@trust.example.nhs.uk')).roles).toEqual([Role.SUPERVISOR, Role.LINE_MANAGER]);
  });

  describe('throttling', () => {
    it('waits as long as Retry-After says on 429 and 503, then carries on', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      const path = '/v1.0/users';
      nock(GRAPH).get(path).query(true).reply(429, { error: { code: 'TooManyRequests', message: 'Too many requests' } }, { 'Retry-After': '7' });
      nock(GRAPH).get(path).query(true).reply(503, { error: { code: 'serviceNotAvailable', message: 'Try later' } }, { 'Retry-After': '2' });
      // ...and once more on the second page (nock answers with the first interceptor that matches).
      nock(GRAPH)
        .get(path)
        .query((q) => q.$skiptoken === 'page2')
        .reply(429, {}, { 'Retry-After': '1' });
      graphPages(path, [[helen, grace], [priya, tom]]);
      const interceptors = nock.pendingMocks();
      expect(interceptors).toHaveLength(5);

      const run = await cli(org, RULES);
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(run.sleeps.sort()).toEqual([1000, 2000, 7000].sort());
      expect(await db.person.count({ where: { organisationId: org.id } })).toBe(4);
      expect(nock.pendingMocks()).toEqual([]);
    });

    it('gives up after a bounded number of attempts with a clear message, writing nothing', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      nock(GRAPH).get('/v1.0/users').query(true).times(5).reply(429, { error: { code: 'TooManyRequests' } }, { 'Retry-After': '30' });
      const before = await snapshot(org.id);

      const run = await cli(org, RULES);
      expect(run.code).toBe(1);
      expect(run.err).toBe(
        'Reading users from Microsoft Graph: Microsoft Graph still answered HTTP 429 Too Many Requests after 5 attempts; gave up. Try again later (it asked to wait 30 s).\nNothing was imported.',
      );
      expect(run.sleeps).toEqual([30_000, 30_000, 30_000, 30_000]);
      expect(nock.pendingMocks()).toEqual([]);
      expect(await snapshot(org.id)).toEqual(before);
    });

    it('gives up at once when Graph asks for a wait longer than it will make', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      nock(GRAPH).get('/v1.0/users').query(true).reply(503, {}, { 'Retry-After': '3600' });
      const run = await cli(org, RULES);
      expect(run.code).toBe(1);
      expect(run.err).toContain('asked to wait 3600 s, more than the 120 s this command waits; gave up');
      expect(run.sleeps).toEqual([]);
    });
  });

  describe('rejects the whole import with a per-person report', () => {
    it('a line manager who is neither in the import nor in the directory', async () => {
      const org = await createOrganisation();
      const outsider = { id: ids.outsider, displayName: 'Olu Tsider', mail: 'olu.tsider@trust.example.nhs.uk', userPrincipalName: 'olu.tsider@trust.example.nhs.uk' };
      tokenEndpoint(org.tenant);
      graphPages('/v1.0/users', [[helen, grace], [{ ...priya, manager: outsider }, tom]]);
      const before = await snapshot(org.id);

      const run = await cli(org, RULES);
      await expectRejected(org, run, before);
      expect(run.err).toContain('Microsoft Entra ID: read 4 users. 1 problem with 1 person;');
      expect(run.err).toMatch(
        /^Priya Shah <priya\.shah@trust\.example\.nhs\.uk>\s+manager\s+line manager Olu Tsider <olu\.tsider@trust\.example\.nhs\.uk> is not in this import \(outside the group, or a disabled account\) nor already in the directory$/m,
      );
    });

    it('a manager who is a disabled account is missing too', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      graphPages('/v1.0/users', [[helen, grace, { ...priya, manager: ref(leaver) }, leaver]]);
      const before = await snapshot(org.id);
      const run = await cli(org, RULES);
      await expectRejected(org, run, before);
      expect(run.err).toMatch(/^Priya Shah <priya\.shah@trust\.example\.nhs\.uk>\s+manager\s+line manager Lee Ver <lee\.ver@trust\.example\.nhs\.uk> is not in this import/m);
    });

    it('line managers that form a cycle: everyone in it is named', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      // Helen manages Grace, Grace manages Priya, and Entra says Priya manages Helen.
      graphPages('/v1.0/users', [[{ ...helen, manager: ref(priya) }, grace], [priya, tom]]);
      const before = await snapshot(org.id);

      const run = await cli(org, RULES);
      await expectRejected(org, run, before);
      expect(run.err).toContain('3 problems with 3 people');
      for (const who of ['Helen Ward <helen.ward', 'Grace Mensah <grace.mensah', 'Priya Shah <priya.shah']) {
        expect(run.err).toMatch(new RegExp(`^${who}@trust\\.example\\.nhs\\.uk>\\s+manager\\s+line managers form a cycle: .*→.*→.*→`, 'm'));
      }
      expect(run.err).not.toContain('Tom Okafor');
    });

    it('a user with no mail, and someone whose manager has none', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      const noMail = { ...grace, mail: null };
      graphPages('/v1.0/users', [[helen, noMail], [{ ...priya, manager: ref(noMail) }, tom]]);
      const before = await snapshot(org.id);

      const run = await cli(org, RULES);
      await expectRejected(org, run, before);
      expect(run.err).toMatch(/^Grace Mensah <grace\.mensah@trust\.example\.nhs\.uk>\s+mail\s+has no mail address in Entra ID; the directory matches people by e-mail/m);
      expect(run.err).toMatch(
        /^Priya Shah <priya\.shah@trust\.example\.nhs\.uk>\s+manager\s+line manager Grace Mensah <grace\.mensah@trust\.example\.nhs\.uk> has no mail address in Entra ID/m,
      );
      // Each problem once: the empty mail is not reported again as the directory's "email is empty".
      expect(run.err).not.toContain('email is empty');
      expect(run.err).toContain('2 problems with 2 people');
    });

    it('a job title that maps to no staff group, and two users with one mail', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      const twin = { ...tom, id: ids.aisha, displayName: 'Aisha Rahman', userPrincipalName: 'aisha.rahman@trust.example.nhs.uk', jobTitle: 'Staff Nurse' };
      graphPages('/v1.0/users', [[helen, grace, priya, { ...tom, jobTitle: 'Porter' }, twin]]);
      const before = await snapshot(org.id);

      const run = await cli(org, ['--staff-group', '*Nurse*=Nursing', '--staff-group', 'Ward Manager=Nursing', '--staff-group', 'Head of Safeguarding=Safeguarding team']);
      await expectRejected(org, run, before);
      expect(run.err).toMatch(
        /^Tom Okafor <tom\.okafor@trust\.example\.nhs\.uk>\s+jobTitle\s+job title "Porter" is not a staff group and matches no --staff-group rule, and there is no --default-staff-group; staff groups are "Medical", "Nursing", "Safeguarding team"$/m,
      );
      expect(run.err).toMatch(/^Tom Okafor <tom\.okafor@trust\.example\.nhs\.uk>\s+mail\s+mail tom\.okafor@trust\.example\.nhs\.uk is also the mail of Aisha Rahman <aisha\.rahman@/m);
    });
  });

  describe('configuration and Graph refusals', () => {
    it('refuses usage mistakes before asking Graph anything', async () => {
      const org = await createOrganisation();
      const notGuid = await cli(org, ['--group', 'all-staff']);
      expect(notGuid.code).toBe(2);
      expect(notGuid.err).toContain('--group "all-staff" is not a GUID');

      const badRule = await cli(org, ['--staff-group', 'Nurse']);
      expect(badRule.code).toBe(2);
      expect(badRule.err).toContain('should be "<job title pattern>=<staff group>"');

      const unknownGroup = await cli(org, ['--staff-group', '*Porter*=Estates', '--default-staff-group', 'Porters']);
      expect(unknownGroup.code).toBe(2);
      expect(unknownGroup.err).toContain('--staff-group "*Porter*=Estates": unknown staff group "Estates"; staff groups are "Medical", "Nursing", "Safeguarding team"');
      expect(unknownGroup.err).toContain('--default-staff-group: unknown staff group "Porters"');

      const noSecret = await cli(org, RULES, { ENTRA_CLIENT_SECRET: '' });
      expect(noSecret.code).toBe(1);
      expect(noSecret.err).toBe('--from-entra needs ENTRA_CLIENT_SECRET set.');

      const otherTenant = await cli(org, RULES, { ENTRA_TENANT_ID: randomUUID() });
      expect(otherTenant.code).toBe(1);
      expect(otherTenant.err).toContain(`is not the organisation's Teams tenant ${org.tenant}`);
      expect(nock.pendingMocks()).toEqual([]);
    });

    it("falls back to the bot's own MICROSOFT_APP_* registration", async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      graphPages('/v1.0/users', [[helen]]);
      const run = await cli(org, RULES, { ENTRA_CLIENT_ID: '', ENTRA_CLIENT_SECRET: '', MICROSOFT_APP_ID: CLIENT_ID, MICROSOFT_APP_PASSWORD: SECRET, MICROSOFT_APP_TENANT_ID: org.tenant });
      expect(run.err).toBe('');
      expect(run.out).toContain('Imported 1 people');
    });

    it('says what went wrong when the credentials are refused, without the secret', async () => {
      const org = await createOrganisation();
      nock(LOGIN)
        .post(`/${org.tenant}/oauth2/v2.0/token`)
        .reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc' });
      const run = await cli(org, RULES);
      expect(run.code).toBe(1);
      expect(run.err).toBe(
        `Microsoft Entra ID refused the app's credentials for tenant ${org.tenant} (invalid_client: AADSTS7000215: Invalid client secret provided.). Check the app id, the client secret and that the app is registered in this tenant.\nNothing was imported.`,
      );
    });

    it('names the permission the app lacks, and an unknown group', async () => {
      const org = await createOrganisation();
      const group = randomUUID();
      tokenEndpoint(org.tenant);
      nock(GRAPH)
        .get(`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user`)
        .query(true)
        .reply(403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } });
      const forbidden = await cli(org, ['--group', group]);
      expect(forbidden.code).toBe(1);
      expect(forbidden.err).toContain('The app needs the Microsoft Graph application permissions User.Read.All and GroupMember.Read.All, with admin consent.');

      tokenEndpoint(org.tenant);
      nock(GRAPH)
        .get(`/v1.0/groups/${group}/transitiveMembers/microsoft.graph.user`)
        .query(true)
        .reply(404, { error: { code: 'Request_ResourceNotFound', message: `Resource '${group}' does not exist.` } });
      const missing = await cli(org, ['--group', group]);
      expect(missing.err).toContain(`there is no group with id ${group} in this tenant`);
    });

    it('does not follow a next-page link to another host', async () => {
      const org = await createOrganisation();
      tokenEndpoint(org.tenant);
      nock(GRAPH, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
        .get('/v1.0/users')
        .query(true)
        .reply(200, { value: [helen], '@odata.nextLink': 'https://graph.microsoft.com.attacker.example/v1.0/users?$skiptoken=x' });
      const before = await snapshot(org.id);
      const run = await cli(org, RULES);
      expect(run.code).toBe(1);
      expect(run.err).toContain("the next page's link is not on https://graph.microsoft.com; not followed");
      expect(await snapshot(org.id)).toEqual(before);
    });
  });
});
