// The report in chat over real HTTP, on both platforms: the card with headline figures, the
// chart PNG and the CSV (Slack: uploaded to the asker's DM; Teams: signed links for the asker);
// "overdue supervision" scoped by role; every role's refusal produces nothing; bad input gets
// a clear answer; and every export is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { REPORT_CSV_HEADER } from '../../src/domain/report.js';
import { dmChannel, startSlackHarness, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import { cardOf, httpRequest, personalConversationId, startTeamsHarness, textsOf, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';
import { generateActivity } from '../support/report-data.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('Teams', () => {
  let h: TeamsHarness;
  const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
  const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));

  async function say(key: string, text: string) {
    h.take();
    const res = await h.message(key, text);
    expect(res.status).toBe(200);
    const calls = toPerson(h.take(), key);
    return { cards: calls.map(cardOf).filter(Boolean), texts: calls.map((c) => c.body.text).filter((t): t is string => typeof t === 'string') };
  }
  const exportsOf = () => h.database.db.exportFile.count();
  const audits = (action: string) => h.database.db.auditEvent.count({ where: { action } });
  /** A link the bot made (for its public base URL), fetched from the test server. */
  const fetchLink = (link: string) => httpRequest(link.replace(/^http:\/\/localhost:3978/, h.url), 'GET');

  beforeAll(async () => {
    h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London: "report" is Q3 2026
    await generateActivity(h.database.db, h.organisationId, { seed: 11, people: 40, sessions: 150, requests: 60, records: 40 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('the Head gets the report card, the chart as an image and the CSV as a one-time link', async () => {
    const { cards } = await say('head', 'report');
    expect(cards).toHaveLength(3);
    const [report, chart, csv] = cards;
    expect(report.body[0].text).toBe('Supervision report: Q3 2026');
    const headline = Object.fromEntries(report.body[2].facts.map((f: { title: string; value: string }) => [f.title, f.value]));
    expect(Object.keys(headline)).toEqual(['Sessions', 'Mandatory supervision', 'Requests', 'First response', 'Action points', 'Did not attend', 'Cancellations']);
    expect(Number(headline.Sessions)).toBeGreaterThan(0);
    // No names anywhere in the aggregate card.
    expect(textsOf(report).join('\n')).not.toMatch(/Generated Person|Robin|Examplesworth/);

    const image = chart.body.find((b: { type: string }) => b.type === 'Image');
    const png = await fetchLink(image.url);
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');

    const download = csv.actions.find((a: { type: string }) => a.type === 'Action.OpenUrl');
    const first = await fetchLink(download.url);
    expect(first.status).toBe(200);
    expect(first.text.startsWith('\uFEFF')).toBe(true); // UTF-8 byte-order mark, for Excel
    const rows: Array<Record<string, string>> = parse(first.text, { columns: true, bom: true });
    expect(Object.keys(rows[0]!)).toEqual(REPORT_CSV_HEADER);
    expect(rows.find((r) => r.section === 'sessions' && r.staff_group === 'All')!.value).toBe(headline.Sessions);
    expect((await fetchLink(download.url)).status).toBe(410);
    expect(await audits('report.export')).toBe(1);
    expect(await audits('export.offered')).toBe(2);
    expect(await audits('export.downloaded')).toBe(2);
  });

  it('a staff group too small to be anonymous is never shown on its own, and a report on it alone is refused', async () => {
    const groups = await h.database.db.staffGroup.findMany({ select: { name: true, _count: { select: { members: { where: { active: true } } } } } });
    const small = groups.filter((g) => g._count.members > 0 && g._count.members < 5).map((g) => g.name);
    expect(small.length).toBeGreaterThan(0); // the demo organisation has groups of one or two people

    const { cards } = await say('head', 'report');
    const shown = textsOf(cards[0]).join('\n');
    for (const name of small) expect(shown).not.toContain(name);

    const before = { files: await exportsOf(), audit: await audits('report.export') };
    const refused = await say('head', `report Q3 2026 for ${small[0]}`);
    expect(refused.cards).toEqual([]);
    expect(refused.texts.join('\n')).toMatch(/fewer than 5 people, so a report on it alone would identify them/);
    expect({ files: await exportsOf(), audit: await audits('report.export') }).toEqual(before);
  });

  it('a specialist may ask for a range and one staff group', async () => {
    const { cards } = await say('specialist', 'report 2026-07-01 to 2026-09-30 for mental health nurses');
    expect(cards[0].body[0].text).toBe('Supervision report: 2026-07-01 to 2026-09-30, Mental Health Nurses');
  });

  it.each([
    ['paramedic', 'STAFF'],
    ['external-supervisor', 'SUPERVISOR'],
    ['ops-manager', 'LINE_MANAGER'],
    ['director', 'LINE_MANAGER only'],
    ['admin', 'ADMINISTRATOR'],
  ])('%s (%s) is refused the report, and nothing is produced', async (key) => {
    const before = { files: await exportsOf(), audit: await h.database.db.auditEvent.count() };
    const { cards, texts } = await say(key, 'report Q3 2026');
    expect(cards).toEqual([]);
    expect(texts.join('\n')).toMatch(/Only the Head of Safeguarding and safeguarding specialists/);
    expect({ files: await exportsOf(), audit: await h.database.db.auditEvent.count() }).toEqual(before);
  });

  it('a frontline person writing "report a concern ..." starts a request, not a refusal', async () => {
    const { cards, texts } = await say('paramedic', 'report a concern about a child I saw today');
    expect(texts.join('\n')).not.toMatch(/Only the Head/);
    expect(cards.length + texts.length).toBeGreaterThan(0);
    await say('paramedic', 'cancel');
  });

  it.each([
    ['report 2026-09-30 to 2026-07-01', /ends \(2026-07-01\) before it starts/],
    ['report Q1 2027', /has not started yet/],
    ['report 2026-10-01 to 2026-12-31', /after today/],
    ['report 2024-01-01 to 2026-09-30', /at most 366 days/],
    ['report 2026-02-30 to 2026-03-31', /not a date I recognise/],
    ['report for Paramedics', /don't know a staff group called "Paramedics"\. The staff groups are: .*Mental Health Nurses/],
    ['report sometime soon', /I could not read that period/],
  ])('"%s" gets a clear answer and produces nothing', async (text, answer) => {
    const before = { files: await exportsOf(), exports: await audits('report.export') };
    const { cards, texts } = await say('head', text);
    expect(cards).toEqual([]);
    expect(texts.join('\n')).toMatch(answer);
    expect({ files: await exportsOf(), exports: await audits('report.export') }).toEqual(before);
  });

  it('"overdue supervision": names for the Head, own reports only for a line manager, refused for others', async () => {
    const head = await say('head', 'overdue supervision');
    expect(head.cards[0].body[0].text).toMatch(/^Overdue mandatory supervision: \d+ people$/);
    const generatedManager = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('ebs-manager').email } });
    const theirs = await h.database.db.person.findMany({ where: { lineManagerId: generatedManager.id }, select: { name: true } });
    const manager = await say('ebs-manager', 'overdue supervision');
    const listed = manager.cards.length ? manager.cards[0].body[2].facts.map((f: { title: string }) => f.title.split(',')[0]) : [];
    for (const name of listed) expect(theirs.map((p) => p.name)).toContain(name);
    const everyoneListed = head.cards[0].body[2].facts.length;
    expect(listed.length).toBeLessThanOrEqual(everyoneListed);
    for (const key of ['paramedic', 'external-supervisor', 'admin']) {
      const refused = await say(key, 'overdue supervision');
      expect(refused.cards).toEqual([]);
      expect(refused.texts.join('\n')).toMatch(/Only the Head of Safeguarding, safeguarding specialists and line managers/);
    }
    expect(await audits('report.overdue-read')).toBe(2);
  });
});

describe('Slack', () => {
  let h: SlackHarness;
  const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);

  beforeAll(async () => {
    h = await startSlackHarness();
    const organisationId = (await h.database.db.organisation.findFirstOrThrow()).id;
    await generateActivity(h.database.db, organisationId, { seed: 12, people: 30, sessions: 100, requests: 40, records: 30 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('the Head gets the card, then the chart and the CSV uploaded to their DM, each audited', async () => {
    h.take();
    await h.dm('head', 'report Q3 2026');
    const calls = await h.until((c) => named(c, 'files.completeUploadExternal').length === 2);
    const [post] = named(calls, 'chat.postMessage');
    expect(post!.args.channel).toBe(dmChannel('head'));
    expect(JSON.stringify(post!.args.blocks)).toContain('Supervision report: Q3 2026');
    const asked = named(calls, 'files.getUploadURLExternal').map((c) => c.args.filename);
    expect(asked).toEqual(['supervision-report_2026-07-01_2026-09-30.png', 'supervision-report_2026-07-01_2026-09-30.csv']);
    for (const complete of named(calls, 'files.completeUploadExternal')) expect(complete.args.channel_id).toBe(dmChannel('head'));
    const uploaded = [...h.uploads.values()];
    const png = uploaded.find((u) => u.filename.endsWith('.png'))!;
    expect(png.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const csv = uploaded.find((u) => u.filename.endsWith('.csv'))!;
    expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe(REPORT_CSV_HEADER.join(','));
    // Audited just after Slack confirms each upload.
    await expect.poll(() => h.database.db.auditEvent.count({ where: { action: 'export.uploaded', platform: 'SLACK' } })).toBe(2);
    expect(await h.database.db.exportFile.count()).toBe(0); // nothing kept: Slack holds the file
  });

  it('an upload Slack refuses is reported to the asker; the other file still arrives and only it is audited', async () => {
    const before = await h.database.db.auditEvent.count({ where: { action: 'export.uploaded' } });
    h.failNext('files.getUploadURLExternal', { status: 200, body: { ok: false, error: 'missing_scope' } });
    h.take();
    await h.dm('specialist', 'report Q3 2026');
    const calls = await h.until((c) => named(c, 'files.completeUploadExternal').length === 1 && named(c, 'chat.postMessage').length === 2);
    const told = named(calls, 'chat.postMessage').map((c) => String(c.args.text));
    expect(told.some((t) => /I could not send you the file "supervision-report_2026-07-01_2026-09-30\.png"/.test(t))).toBe(true);
    expect(named(calls, 'files.completeUploadExternal')[0]!.args.channel_id).toBe(dmChannel('specialist'));
    await expect.poll(() => h.database.db.auditEvent.count({ where: { action: 'export.uploaded' } })).toBe(before + 1);
    await h.delivered(); // the turn handled to its end: no second audit can still come
    expect(await h.database.db.auditEvent.count({ where: { action: 'export.uploaded' } })).toBe(before + 1);
  });

  it('a supervisor is refused: a message, no upload', async () => {
    h.take();
    await h.dm('external-supervisor', 'report Q3 2026');
    const calls = await h.until((c) => named(c, 'chat.postMessage').length === 1);
    expect(named(calls, 'chat.postMessage')[0]!.args.text).toMatch(/Only the Head of Safeguarding/);
    await h.delivered(); // the turn handled to its end: no upload can still come
    expect(h.take().filter((c) => c.method.startsWith('files.'))).toEqual([]);
  });
});
