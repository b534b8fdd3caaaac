// Files offered on Teams as signed links (src/http/export-route.ts): stored in PostgreSQL for
// the asker alone, refused when expired, tampered, used again, used for someone else's file
// or after the asker lost the role; expired files are deleted; every step is audited.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import type { Actor } from '../../src/domain/actor.js';
import type { OutFile } from '../../src/domain/out-file.js';
import { purgeExpiredExportFiles } from '../../src/db/export-files.js';
import { createExportRouter, createFileOffers, DOWNLOAD_LINK_MINUTES } from '../../src/http/export-route.js';
import { signLink } from '../../src/http/signed-links.js';
import { createLogger } from '../../src/logger.js';
import { createApp, listen } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { httpRequest, TestClock } from '../support/teams-harness.js';

const SECRET = 'export-test-secret-0123456789abcdefghij';
const BASE = 'http://bot.test';
let database: TestDatabase;
let server: Server;
let url: string;
let organisationId: string;
const clock = new TestClock(new Date('2026-11-23T10:00:00Z'));

beforeAll(async () => {
  database = await createTestDatabase();
  organisationId = (await seedDemoOrganisation(database.db)).organisationId;
  const app = createApp({ logger: createLogger({ level: 'silent' }), readiness: {}, routers: [createExportRouter({ db: database.db, secret: SECRET, clock })] });
  server = await listen(app, 0, '127.0.0.1');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await database.drop();
});

async function actorFor(key: string): Promise<Actor> {
  const person = await database.db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson(key).email } });
  return { personId: person.id, organisationId, roles: person.roles, name: person.name, platform: 'TEAMS', timeZone: 'Europe/London' };
}

const csv: OutFile = { filename: 'report-2026-Q3.csv', contentType: 'text/csv; charset=utf-8', content: Buffer.from('figure,value\nsessions,3\n'), title: 'Report CSV', allowedRoles: ['HEAD_OF_SAFEGUARDING', 'SPECIALIST'] };
const png: OutFile = { filename: 'chart.png', contentType: 'image/png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), title: 'Chart' };

/** Offer a file and return the path of its link on the test server. */
async function offer(actor: Actor, file: OutFile): Promise<{ path: string; card: Record<string, unknown> }> {
  const offers = createFileOffers({ db: database.db, secret: SECRET, baseUrl: BASE, clock });
  const message = await offers.offer(actor, file);
  const data = message.card!.data;
  const link = String(data.downloadUrl || data.imageUrl);
  expect(link.startsWith(`${BASE}/exports/`)).toBe(true);
  return { path: link.slice(BASE.length), card: data };
}

const get = (path: string) => httpRequest(`${url}${path}`, 'GET');
const actions = async (subjectId: string) =>
  (await database.db.auditEvent.findMany({ where: { subjectType: 'export-file', subjectId }, orderBy: { id: 'asc' } })).map((e) => e.action);
const fileIdOf = (path: string) => path.split('/').pop()!.split('.')[1]!;

describe('download links for files', () => {
  it('serves a CSV once, to the person it was made for, and audits the offer and the download', async () => {
    const head = await actorFor('head');
    const { path, card } = await offer(head, csv);
    expect(card.imageUrl).toBe('');
    expect(String(card.note)).toContain(`${DOWNLOAD_LINK_MINUTES} minutes`);
    const first = await get(path);
    expect(first.status).toBe(200);
    expect(first.text).toBe(csv.content.toString());
    expect(first.headers['content-type']).toContain('text/csv');
    expect(first.headers['content-disposition']).toBe('attachment; filename="report-2026-Q3.csv"');
    expect(first.headers['cache-control']).toBe('no-store');

    const again = await get(path);
    expect(again.status).toBe(410);
    expect(JSON.parse(again.text).error).toMatch(/already been used/);
    const row = await database.db.exportFile.findUniqueOrThrow({ where: { id: fileIdOf(path) } });
    expect(row.content).toBeNull();
    expect(await actions(row.id)).toEqual(['export.offered', 'export.downloaded', 'export.refused']);
  });

  it('lets exactly one of two simultaneous downloads through', async () => {
    const { path } = await offer(await actorFor('head'), csv);
    const answers = await Promise.all([get(path), get(path), get(path)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 410, 410]);
  });

  it('refuses a link once it has expired; the purge, not the refused request, deletes the file', async () => {
    const { path } = await offer(await actorFor('head'), csv);
    clock.advance(DOWNLOAD_LINK_MINUTES + 1);
    try {
      const late = await get(path);
      expect(late.status).toBe(410);
      expect(JSON.parse(late.text).error).toMatch(/expired/);
      expect(await database.db.exportFile.findUnique({ where: { id: fileIdOf(path) } })).not.toBeNull();
      await purgeExpiredExportFiles(database.db, clock.now());
      expect(await database.db.exportFile.findUnique({ where: { id: fileIdOf(path) } })).toBeNull();
    } finally {
      clock.advance(-(DOWNLOAD_LINK_MINUTES + 1));
    }
  });

  it('refuses a tampered link: another file, another person, a later expiry, another signature', async () => {
    const head = await actorFor('head');
    const specialist = await actorFor('specialist');
    const { path } = await offer(head, csv);
    const token = path.split('/').pop()!;
    const [purpose, subject, person, expiry, mac] = token.split('.') as [string, string, string, string, string];
    const other = await offer(specialist, csv);
    const tampered = [
      [purpose, fileIdOf(other.path), person, expiry, mac],
      [purpose, subject, specialist.personId, expiry, mac],
      [purpose, subject, person, String(Number(expiry) + 3600), mac],
      [purpose, subject, person, expiry, `${mac.slice(0, -2)}AA`],
      ['invite', subject, person, expiry, mac],
    ];
    for (const parts of tampered) {
      const answer = await get(`/exports/${parts.join('.')}`);
      expect(answer.status, parts.join('.')).toBe(404);
      expect(answer.text).not.toContain('figure,value');
    }
    expect((await get('/exports/not-a-token')).status).toBe(404);
    // Still unused: the genuine link works afterwards.
    expect((await get(path)).status).toBe(200);
  });

  it("refuses a validly signed link that names someone other than the file's owner", async () => {
    const head = await actorFor('head');
    const specialist = await actorFor('specialist');
    const { path } = await offer(head, csv);
    const token = signLink(SECRET, { purpose: 'export', subjectId: fileIdOf(path), personId: specialist.personId, expiresAt: Math.floor(clock.now().getTime() / 1000) + 600 });
    const answer = await get(`/exports/${token}`);
    expect(answer.status).toBe(404);
    expect((await get(path)).status).toBe(200);
  });

  it('refuses the link once the person no longer holds a permitted role, or has left', async () => {
    const specialist = await actorFor('specialist-2');
    const { path } = await offer(specialist, csv);
    await database.db.person.update({ where: { id: specialist.personId }, data: { roles: ['STAFF', 'SUPERVISOR'] } });
    const refused = await get(path);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('figure,value');
    await database.db.person.update({ where: { id: specialist.personId }, data: { roles: ['STAFF', 'SPECIALIST', 'SUPERVISOR'], active: false } });
    expect((await get(path)).status).toBe(403);
    await database.db.person.update({ where: { id: specialist.personId }, data: { active: true } });
    expect(await actions(fileIdOf(path))).toEqual(['export.offered', 'export.refused', 'export.refused']);
    expect((await get(path)).status).toBe(200);
  });

  it('the periodic purge deletes expired files only', async () => {
    const head = await actorFor('head');
    const kept = await offer(head, png);
    const gone = await offer(head, csv);
    const later = new Date(clock.now().getTime() + (DOWNLOAD_LINK_MINUTES + 1) * 60_000);
    expect(await purgeExpiredExportFiles(database.db, later)).toBeGreaterThanOrEqual(1);
    expect(await database.db.exportFile.findUnique({ where: { id: fileIdOf(gone.path) } })).toBeNull();
    expect(await database.db.exportFile.findUnique({ where: { id: fileIdOf(kept.path) } })).not.toBeNull();
  });

  it('serves an image inline and again whenever the card is drawn, until it expires', async () => {
    const { path, card } = await offer(await actorFor('head'), png);
    expect(card.downloadUrl).toBe('');
    for (let i = 0; i < 2; i += 1) {
      const answer = await get(path);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/png');
      expect(answer.headers['content-disposition']).toBe('inline; filename="chart.png"');
    }
    clock.advance(25 * 60);
    try {
      expect((await get(path)).status).toBe(410);
    } finally {
      clock.advance(-25 * 60);
    }
  });
});
