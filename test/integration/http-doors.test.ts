// Three small HTTP doors, each tried by the attack it closes: /readyz names a failed check but
// never repeats its error; an invite link stops working once its person leaves the directory;
// invalid export links make the database delete nothing.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { purgeExpiredExportFiles } from '../../src/db/export-files.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { createExportRouter } from '../../src/http/export-route.js';
import { createInviteRouter, createLinks } from '../../src/http/invite-route.js';
import { signLink } from '../../src/http/signed-links.js';
import { createLogger } from '../../src/logger.js';
import { createApp, listen, READINESS_TIMEOUT_MS } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { httpRequest, TestClock } from '../support/teams-harness.js';

const SECRET = 'http-doors-test-secret-0123456789abcdef';
const BASE = 'http://bot.test';
const clock = new TestClock(new Date('2026-11-23T10:00:00Z'));
const servers: Server[] = [];

async function serve(app: ReturnType<typeof createApp>): Promise<string> {
  const server = await listen(app, 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('/readyz', () => {
  const HOST = 'pg-primary.trust-internal.nhs.example';
  const message = `getaddrinfo ENOTFOUND ${HOST} (postgresql://bot_user:s3cr3t-pass@${HOST}:5432/sg_supervision)`;
  const fragments = ['pg-primary', 'trust-internal', 'bot_user', 's3cr3t-pass', 'getaddrinfo', 'postgresql://', 'sg_supervision'];

  it('names the failed check as failed, logs only its error name and code, and never the message', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim()));
        done();
      },
    });
    const url = await serve(
      createApp({
        logger: createLogger({ level: 'debug', destination }),
        readiness: {
          postgres: async () => {
            throw Object.assign(new Error(message), { code: 'ENOTFOUND' });
          },
          redis: async () => {},
        },
      }),
    );

    const ready = await httpRequest(`${url}/readyz`, 'GET');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ status: 'not ready', checks: { postgres: 'failed', redis: 'ok' } });
    for (const fragment of [...fragments, 'ENOTFOUND']) expect(ready.text).not.toContain(fragment);

    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'readiness check failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ check: 'postgres', err: { name: 'Error', code: 'ENOTFOUND' } });
    for (const fragment of fragments) expect(lines.join('\n')).not.toContain(fragment);
  });

  it('answers when a dependency hangs, after its timeout, naming it as timed out', async () => {
    const url = await serve(
      createApp({
        logger: createLogger({ level: 'silent' }),
        readiness: {
          postgres: async () => {},
          // Redis unreachable: ioredis queues the command and never answers.
          redis: () => new Promise<void>(() => {}),
        },
      }),
    );
    const started = performance.now();
    const ready = await httpRequest(`${url}/readyz`, 'GET');
    const ms = performance.now() - started;
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ status: 'not ready', checks: { postgres: 'ok', redis: 'timed out' } });
    // Redis never answers: that /readyz answered at all, saying "timed out", is the timeout at
    // work; it waited for it (how much longer is this machine's load, not the bot's).
    expect(ms).toBeGreaterThanOrEqual(READINESS_TIMEOUT_MS - 50);
  });
});

describe('doors backed by the database', () => {
  let database: TestDatabase;
  let url: string;
  let organisationId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    organisationId = (await seedDemoOrganisation(database.db)).organisationId;
    for (const key of ['call-handler', 'paramedic', 'specialist', 'specialist-2', 'head']) {
      ids[key] = (await database.db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson(key).email } })).id;
    }
    const routers = [createInviteRouter({ db: database.db, secret: SECRET, clock }), createExportRouter({ db: database.db, secret: SECRET, clock })];
    url = await serve(createApp({ logger: createLogger({ level: 'silent' }), readiness: {}, routers }));
  });

  afterAll(async () => {
    await database.drop();
  });

  const get = (path: string) => httpRequest(`${url}${path}`, 'GET');

  describe('calendar invite links', () => {
    let sessionId = '';
    const inviteFor = (key: string) => new URL(createLinks({ baseUrl: BASE, secret: SECRET, clock }).invite(sessionId, ids[key]!)).pathname;
    const setActive = (key: string, active: boolean) => database.db.person.update({ where: { id: ids[key]! }, data: { active } });

    beforeAll(async () => {
      const session = await database.db.session.create({
        data: {
          organisationId,
          format: 'INDIVIDUAL',
          type: 'ON_REQUEST',
          status: 'CONFIRMED',
          supervisorId: ids['specialist-2']!,
          proposedById: ids.specialist!,
          startsAt: new Date('2026-11-26T14:00:00Z'),
          endsAt: new Date('2026-11-26T15:00:00Z'),
          durationMinutes: 60,
          attendees: { create: [{ personId: ids['call-handler']! }] },
        },
      });
      sessionId = session.id;
    });

    it("serves every active party's link", async () => {
      for (const key of ['call-handler', 'specialist-2', 'specialist']) {
        const ics = await get(inviteFor(key));
        expect(ics.status, key).toBe(200);
        expect(ics.headers['content-type']).toMatch(/^text\/calendar/);
      }
      expect((await get(inviteFor('paramedic'))).status).toBe(404);
    });

    it('refuses the link of a party who has left the directory, and keeps serving the others', async () => {
      const links = { attendee: inviteFor('call-handler'), proposer: inviteFor('specialist'), supervisor: inviteFor('specialist-2') };
      await setActive('call-handler', false);
      await setActive('specialist', false);
      try {
        for (const path of [links.attendee, links.proposer]) {
          const refused = await get(path);
          expect(refused.status).toBe(404);
          expect(refused.text).not.toContain('BEGIN:VCALENDAR');
          expect(JSON.parse(refused.text).error).toMatch(/not valid, or has expired/);
        }
        const kept = await get(links.supervisor);
        expect(kept.status).toBe(200);
        expect(kept.headers['content-type']).toMatch(/^text\/calendar/);
        await setActive('specialist-2', false);
        expect((await get(links.supervisor)).status).toBe(404);
      } finally {
        for (const key of ['call-handler', 'specialist', 'specialist-2']) await setActive(key, true);
      }
      expect((await get(links.attendee)).status).toBe(200);
    });
  });

  describe('export links', () => {
    const expiredFile = async () =>
      (
        await database.db.exportFile.create({
          data: {
            organisationId,
            personId: ids.head!,
            filename: 'old.csv',
            contentType: 'text/csv',
            title: 'Old CSV',
            content: new Uint8Array(Buffer.from('a,b\n')),
            byteSize: 4,
            allowedRoles: [],
            expiresAt: new Date(clock.now().getTime() - 60_000),
          },
        })
      ).id;
    const exists = async (id: string) => (await database.db.exportFile.findUnique({ where: { id } })) !== null;
    const linkTo = (fileId: string, expiresAt: Date) =>
      `/exports/${signLink(SECRET, { purpose: 'export', subjectId: fileId, personId: ids.head!, expiresAt: Math.floor(expiresAt.getTime() / 1000) })}`;

    it('lets no invalid link make the database delete: the expired row stays until the purge', async () => {
      const fileId = await expiredFile();
      const expired = linkTo(fileId, new Date(clock.now().getTime() - 60_000));
      const [purpose, subject, person, expiry, mac] = expired.slice('/exports/'.length).split('.') as [string, string, string, string, string];
      const invalid = [
        '/exports/garbage',
        '/exports/a.b.c.d.e',
        `/exports/${[purpose, subject, person, expiry, `${mac.slice(0, -2)}AA`].join('.')}`,
        `/exports/${['invite', subject, person, expiry, mac].join('.')}`,
        expired,
      ];
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => get(invalid[i % invalid.length]!)));
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([404, 410]));
      expect(await exists(fileId)).toBe(true);

      expect(await purgeExpiredExportFiles(database.db, clock.now())).toBeGreaterThanOrEqual(1);
      expect(await exists(fileId)).toBe(false);
    });

    it('still purges expired files when a valid link is used', async () => {
      const stale = await expiredFile();
      const fresh = await database.db.exportFile.create({
        data: { organisationId, personId: ids.head!, filename: 'new.csv', contentType: 'text/csv', title: 'New CSV', content: new Uint8Array(Buffer.from('c,d\n')), byteSize: 4, allowedRoles: [], expiresAt: new Date(clock.now().getTime() + 600_000) },
      });
      const answer = await get(linkTo(fresh.id, fresh.expiresAt));
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('c,d\n');
      expect(await exists(stale)).toBe(false);
    });
  });
});
