// The Head of Safeguarding's audit trail over real HTTP, on Teams and on Slack: by request
// reference, by person and by date range (in the organisation's zone), as a card with at most
// AUDIT_CARD_MAX_LINES lines and as a CSV file (Teams: a signed download link; Slack: a file
// upload). Every read and every export is itself audited; every other role is refused without
// learning whether the record or person exists; bad input gets a clear answer and produces
// nothing. Events in October 2026 are written with fixed times so range boundaries are exact.
import { parse } from 'csv-parse/sync';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { AUDIT_CARD_MAX_LINES, AUDIT_EXPORT_MAX_ROWS } from '../../src/domain/audit-rows.js';
import type { Db } from '../../src/db/client.js';
import { cardOf, httpRequest, personalConversationId, textsOf, visibleTexts, type ConnectorCall, type TeamsHarness, startTeamsHarness } from '../support/teams-harness.js';
import { dmChannel, startSlackHarness, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

const SUMMARY = 'A case that keeps coming back to me about a neighbour';
const ADVICE = 'Speak to the duty team about the threshold for a referral.';
const HOSTILE_NAME = '=HYPERLINK("http://evil.example","click")';
const REFUSAL = 'Only the Head of Safeguarding can see the audit trail.';
const OCTOBER = 'audit 2026-10-01 to 2026-10-31';

/** Audit events at fixed times; returns how many fall inside October 2026 in London. */
async function writeOctoberEvents(db: Db, organisationId: string, ids: Record<string, string>, subjects: { requestId: string; recordId: string }) {
  const event = (at: string, actorId: string | null, action: string, subjectType: string, subjectId: string, platform: 'TEAMS' | 'SLACK' | null) =>
    db.auditEvent.create({ data: { organisationId, actorId, action, subjectType, subjectId, platform, at: new Date(at) } });
  await event('2026-09-30T22:59:59.999Z', ids.specialist!, 'request.claimed', 'request', subjects.requestId, 'TEAMS'); // 23:59:59 BST, 30 Sep: outside
  await event('2026-09-30T23:00:00.000Z', ids.specialist!, 'request.claimed', 'request', subjects.requestId, 'TEAMS'); // 00:00 BST, 1 Oct: first
  for (let i = 0; i < 28; i += 1) {
    const at = new Date(Date.UTC(2026, 9, 10, 9, i)).toISOString();
    await event(at, ids.specialist!, 'record.read', 'record', subjects.recordId, i % 2 === 0 ? 'TEAMS' : 'SLACK');
  }
  await event('2026-10-20T12:00:00.000Z', ids.hostile!, 'history.read', 'person', ids.paramedic!, 'SLACK');
  await event('2026-10-31T23:59:59.000Z', null, 'request.escalated', 'request', subjects.requestId, null); // 23:59:59 GMT, 31 Oct: last
  await event('2026-11-01T00:00:00.000Z', ids.specialist!, 'request.claimed', 'request', subjects.requestId, 'TEAMS'); // 1 Nov: outside
  return 31;
}

async function addHostilePerson(db: Db, organisationId: string) {
  return (await db.person.create({ data: { organisationId, name: HOSTILE_NAME, email: 'formula@example.org', roles: ['STAFF'] }, select: { id: true } })).id;
}

describe('on Teams', () => {
  let h: TeamsHarness;
  const ids: Record<string, string> = {};
  let reference = '';
  let requestId = '';
  let recordId = '';
  let inOctober = 0;

  const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
  const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
  const count = (action: string) => h.database.db.auditEvent.count({ where: { action } });
  const lastAudit = (action: string) => h.database.db.auditEvent.findFirstOrThrow({ where: { action }, orderBy: { id: 'desc' } });
  // A refused read writes its own audit entry (read.refused), counted apart from everything else.
  const dbState = async () =>
    // A Slack person's first contact links their account (identity.linked): not the refused request's doing.
    JSON.stringify({ audit: await h.database.db.auditEvent.count({ where: { action: { notIn: ['read.refused', 'identity.linked'] } } }), files: await h.database.db.exportFile.count() });
  const refusedReads = () => h.database.db.auditEvent.count({ where: { action: 'read.refused' } });

  async function say(key: string, text: string) {
    h.take();
    await h.message(key, text);
    const calls = toPerson(h.take(), key);
    return { cards: calls.map(cardOf).filter(Boolean), texts: calls.map((c) => c.body.text).filter((t): t is string => typeof t === 'string') };
  }

  async function press(key: string, verb: string, data: Record<string, unknown>) {
    h.take();
    const res = await h.action(key, verb, data);
    const calls = toPerson(h.take(), key);
    const notice = typeof res.body?.value === 'string' ? res.body.value : undefined;
    return { notice, cards: calls.map(cardOf).filter(Boolean), texts: calls.map((c) => c.body.text).filter((t): t is string => typeof t === 'string') };
  }

  const auditCards = (cards: any[]) => cards.filter((c) => (c.body as any[]).some((b) => b.type === 'FactSet'));
  const downloadCards = (cards: any[]) => cards.filter((c) => c.actions?.[0]?.type === 'Action.OpenUrl');

  /** Follow the signed link on a download card, as the Head's browser would. */
  async function download(card: any) {
    const link = new URL(card.actions[0].url as string);
    return httpRequest(`${h.url}${link.pathname}`, 'GET');
  }

  beforeAll(async () => {
    h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
    const db = h.database.db;
    for (const key of ['paramedic', 'call-handler', 'specialist', 'head']) {
      ids[key] = (await db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    }
    ids.hostile = await addHostilePerson(db, h.organisationId);
    await h.message('admin', 'bind triage', 'channel');
    for (const key of ['specialist', 'head', 'call-handler']) await h.message(key, 'help');

    await h.message('call-handler', 'new request');
    await h.action('call-handler', 'intake.risk', { answer: 'no' });
    await h.action('call-handler', 'intake.kind', { helpType: 'ADVICE' });
    await h.action('call-handler', 'intake.details', { acknowledged: 'no', summary: SUMMARY, availability: 'weekdays' });
    let request = await db.supervisionRequest.findFirstOrThrow({ where: { requesterId: ids['call-handler'] } });
    await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    request = await db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    await h.action('specialist', 'request.advise', { requestId: request.id, version: request.version, advice: ADVICE }, 'channel');
    reference = request.reference;
    requestId = request.id;
    recordId = (await db.supervisionRecord.findFirstOrThrow({ where: { kind: 'ADVICE' } })).id;
    inOctober = await writeOctoberEvents(db, h.organisationId, ids, { requestId, recordId });
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('by request reference', () => {
    it('shows who did what on the request and its record, never content, and audits the reading', async () => {
      const reads = await count('audit.read');
      const { cards } = await say('head', `audit ${reference.toLowerCase()}`);
      const [card] = auditCards(cards);
      const shown = visibleTexts(card);
      expect(shown[0]).toBe(`Audit trail for ${reference}`);
      expect(shown[1]).toBe('All dates');
      const lines = shown.join('\n');
      expect(lines).toContain(`${demoPerson('call-handler').name}: request.created, request ${reference} (Teams)`);
      expect(lines).toContain(`${demoPerson('specialist').name}: request.claimed, request ${reference} (Teams)`);
      expect(lines).toContain(`${demoPerson('specialist').name}: request.advice-given, request ${reference} (Teams)`);
      expect(lines).toContain('the bot: request.escalated, request');
      expect(textsOf(card).join('\n')).not.toContain('neighbour');
      expect(textsOf(card).join('\n')).not.toContain('threshold');
      expect(await count('audit.read')).toBe(reads + 1);
      const read = await lastAudit('audit.read');
      expect(read).toMatchObject({ actorId: ids.head, subjectType: 'request', subjectId: requestId, platform: 'TEAMS' });
      expect(read.detail).toMatchObject({ query: `audit ${reference}` });
    });
  });

  describe('by date range', () => {
    it(`lists the newest ${AUDIT_CARD_MAX_LINES} events of the local month, says how many more, and offers the CSV`, async () => {
      const { cards } = await say('head', OCTOBER);
      const [card] = auditCards(cards);
      const shown = visibleTexts(card);
      expect(shown.slice(0, 3)).toEqual([
        `Audit trail for ${(await h.database.db.organisation.findUniqueOrThrow({ where: { id: h.organisationId } })).name}`,
        '1 Oct 2026 to 31 Oct 2026',
        `The ${AUDIT_CARD_MAX_LINES} most recent of ${inOctober}, newest first. ${inOctober - AUDIT_CARD_MAX_LINES} more: ask for the CSV (type "${OCTOBER} csv" or press Download CSV).`,
      ]);
      const facts = card.body.find((b: any) => b.type === 'FactSet').facts as Array<{ title: string; value: string }>;
      expect(facts).toHaveLength(AUDIT_CARD_MAX_LINES);
      expect(facts[0]).toEqual({ title: '31 Oct 2026 23:59', value: `the bot: request.escalated, request ${reference}` });
      expect(facts[1]).toEqual({ title: '20 Oct 2026 13:00', value: `${HOSTILE_NAME}: history.read, person ${demoPerson('paramedic').name} (Slack)` });
      expect(facts[2]).toEqual({ title: '10 Oct 2026 10:27', value: `${demoPerson('specialist').name}: record.read, record ${reference} (Slack)` });
      const button = card.body.find((b: any) => b.type === 'ActionSet').actions[0];
      expect(button).toEqual({ type: 'Action.Execute', title: 'Download CSV', verb: 'audit.csv', data: { query: OCTOBER, recordId: '' } });
      const read = await lastAudit('audit.read');
      expect(read).toMatchObject({ actorId: ids.head, subjectType: 'organisation', subjectId: h.organisationId });
      expect(read.detail).toEqual({ query: OCTOBER, events: inOctober });
    });

    it('exports every event in the range as a CSV behind a signed link, oldest first, formula-safe, and audits the export', async () => {
      const reads = await count('audit.read');
      const exports = await count('audit.export');
      const { texts, cards } = await say('head', `${OCTOBER} csv`);
      const name = (await h.database.db.organisation.findUniqueOrThrow({ where: { id: h.organisationId } })).name;
      expect(texts).toContain(`Audit trail for ${name}: ${inOctober} events as a CSV file, for you only. This export is itself recorded in the audit trail.`);
      expect(auditCards(cards)).toEqual([]);
      const [offer] = downloadCards(cards);
      expect(visibleTexts(offer)).toContain('audit-organisation-2026-10-01-to-2026-10-31-20261123-1000.csv');

      const res = await download(offer);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.text).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
      expect(res.text.startsWith('\uFEFF')).toBe(true); // UTF-8 byte-order mark, for Excel
      const rows: string[][] = parse(res.text, { bom: true });
      expect(rows[0]).toEqual(['Time (Europe/London)', 'Time (UTC)', 'Actor', 'Actor e-mail', 'Action', 'Subject type', 'Subject', 'Subject id', 'Platform', 'Event id']);
      expect(rows).toHaveLength(inOctober + 1);
      expect(rows[1]!.slice(0, 7)).toEqual(['2026-10-01 00:00:00', '2026-09-30T23:00:00.000Z', demoPerson('specialist').name, demoPerson('specialist').email, 'request.claimed', 'request', reference]);
      expect(rows.at(-1)!.slice(0, 9)).toEqual(['2026-10-31 23:59:59', '2026-10-31T23:59:59.000Z', 'the bot', '', 'request.escalated', 'request', reference, requestId, '']);
      expect(rows.find((r) => r[4] === 'history.read')!.slice(2, 4)).toEqual([`'${HOSTILE_NAME}`, 'formula@example.org']);
      expect(res.text).not.toMatch(/neighbour|threshold/);

      expect(await count('audit.read')).toBe(reads);
      expect(await count('audit.export')).toBe(exports + 1);
      const exported = await lastAudit('audit.export');
      expect(exported).toMatchObject({ actorId: ids.head, subjectType: 'organisation', subjectId: h.organisationId, platform: 'TEAMS' });
      expect(exported.detail).toEqual({ query: OCTOBER, rows: inOctober, format: 'csv' });
      expect((await download(offer)).status).toBe(410); // the link works once
    });

    it('gives the same file from the card\'s Download CSV button', async () => {
      const exports = await count('audit.export');
      const { cards } = await press('head', 'audit.csv', { query: OCTOBER, recordId: '' });
      const [offer] = downloadCards(cards);
      const rows: string[][] = parse((await download(offer)).text, { bom: true });
      expect(rows).toHaveLength(inOctober + 1);
      expect(await count('audit.export')).toBe(exports + 1);
    });
  });

  describe('by person', () => {
    it('shows what the person did and what was done or read about them', async () => {
      const email = demoPerson('call-handler').email;
      const { cards } = await say('head', `audit person ${email.toUpperCase()}`);
      const [card] = auditCards(cards);
      const shown = visibleTexts(card);
      expect(shown[0]).toBe(`Audit trail for ${demoPerson('call-handler').name}: what they did, and what was done or read about them`);
      const lines = shown.join('\n');
      expect(lines).toContain(`${demoPerson('call-handler').name}: request.created, request ${reference} (Teams)`); // by them
      expect(lines).toContain(`${demoPerson('specialist').name}: request.advice-given, request ${reference} (Teams)`); // about them
      expect(lines).not.toContain('history.read, person'); // about the paramedic, not them
      expect(await lastAudit('audit.read')).toMatchObject({ actorId: ids.head, subjectType: 'person', subjectId: ids['call-handler'] });
    });

    it('exports a person\'s range with whether each event was by or about them', async () => {
      const email = demoPerson('call-handler').email;
      const { cards } = await say('head', `audit person ${email} from 2026-10-01 to 2026-10-31 csv`);
      const rows: string[][] = parse((await download(downloadCards(cards)[0])).text, { bom: true });
      expect(rows[0]).toContain('Relation');
      // The 28 reads of their advice record and the two request events: all about them, none by them.
      expect(rows.slice(1).map((r) => `${r[4]} ${r[9]}`)).toEqual([
        'request.claimed about them',
        ...Array.from({ length: 28 }, () => 'record.read about them'),
        'request.escalated about them',
      ]);
      const exported = await lastAudit('audit.export');
      expect(exported).toMatchObject({ subjectType: 'person', subjectId: ids['call-handler'] });
      expect(exported.detail).toEqual({ query: `audit person ${email} 2026-10-01 to 2026-10-31`, rows: 30, format: 'csv' });
    });
  });

  describe("a record's trail from its card", () => {
    it('exports the record trail from the Download CSV button on the record audit card', async () => {
      const { cards: shownCards } = await press('head', 'record.audit', { recordId });
      const button = auditCards(shownCards)[0].body.find((b: any) => b.type === 'ActionSet').actions[0];
      expect(button.data).toEqual({ query: '', recordId });
      const { cards } = await press('head', 'audit.csv', button.data);
      const rows: string[][] = parse((await download(downloadCards(cards)[0])).text, { bom: true });
      expect(rows.slice(1).filter((r) => r[4] === 'record.read')).toHaveLength(28);
      expect(rows.slice(1).every((r) => r[7] === recordId || r[5] !== 'record')).toBe(true);
      const exported = await lastAudit('audit.export');
      expect(exported).toMatchObject({ subjectType: 'record', subjectId: recordId });
      expect(exported.detail).toMatchObject({ query: `record ${recordId}`, format: 'csv' });
    });
  });

  describe('everyone else is refused, learns nothing, and nothing is produced', () => {
    const commands = () => [
      `audit ${reference}`,
      'audit SGS-2026-9999',
      `audit person ${demoPerson('call-handler').email} csv`,
      'audit person nobody@example.org',
      `${OCTOBER} csv`,
      'audit 2026-10-31 to 2026-10-01',
    ];
    it.each([
      ['a specialist', 'specialist'],
      ['a supervisor', 'external-supervisor'],
      ['an administrator', 'admin'],
      ['a line manager', 'ops-manager'],
      ['frontline staff', 'paramedic'],
    ])('%s', async (_role, key) => {
      const before = await dbState();
      const refused = await refusedReads();
      for (const command of commands()) {
        const { texts, cards } = await say(key, command);
        expect(texts).toEqual([REFUSAL]);
        expect(cards).toEqual([]);
      }
      for (const data of [{ query: OCTOBER, recordId: '' }, { query: '', recordId }]) {
        const { notice, cards } = await press(key, 'audit.csv', data);
        expect(notice).toBe(REFUSAL);
        expect(cards).toEqual([]);
      }
      expect(await dbState()).toBe(before);
      // Each attempt is on the audit log as a refused read, by that person, and says no more.
      expect(await refusedReads()).toBe(refused + commands().length + 2);
    });
  });

  describe('bad input from the Head gets a clear answer, nothing produced, nothing audited', () => {
    it.each([
      ['an inverted range', 'audit 2026-10-31 to 2026-10-01 csv', 'That range is back to front: 31 Oct 2026 is after 1 Oct 2026. Put the earlier date first.'],
      ['a future range', 'audit 2026-11-24 to 2026-12-31', 'That range is in the future (today is 23 Nov 2026), so there is nothing to show yet.'],
      [
        'a range over the maximum',
        'audit 2025-01-01 to 2026-01-02 csv',
        'That range is 367 days long. The audit trail can be asked for at most 366 days at a time; please split it into shorter ranges.',
      ],
      ['a malformed date', 'audit 2026-02-30', '"2026-02-30" is not a date I can read. Write dates as YYYY-MM-DD, for example 2026-10-01.'],
      ['an unknown person', 'audit person nobody@example.org csv', "I can't find anyone with the e-mail nobody@example.org in the staff directory."],
      ['an unknown reference', 'audit SGS-2026-9999 csv', "I can't find a request with the reference SGS-2026-9999."],
      ['something that is not an e-mail', 'audit person nobody', '"nobody" is not an e-mail address. Type "audit person" followed by the person\'s e-mail.'],
      ['a command it does not know', 'audit everything please', 'Ask for the audit trail like this:'],
    ])('%s', async (_name, command, answer) => {
      const before = await dbState();
      const { texts, cards } = await say('head', command);
      expect(texts).toHaveLength(1);
      expect(texts[0]!.startsWith(answer)).toBe(true);
      expect(cards).toEqual([]);
      expect(await dbState()).toBe(before);
    });

    it("honours the organisation's own maximum range", async () => {
      const db = h.database.db;
      const org = await db.organisation.findUniqueOrThrow({ where: { id: h.organisationId } });
      await db.organisation.update({ where: { id: org.id }, data: { settings: { ...(org.settings as object), auditMaxRangeDays: 30 } } });
      try {
        const before = await dbState();
        const { texts, cards } = await say('head', OCTOBER);
        expect(texts).toEqual(['That range is 31 days long. The audit trail can be asked for at most 30 days at a time; please split it into shorter ranges.']);
        expect(cards).toEqual([]);
        expect(await dbState()).toBe(before);
      } finally {
        await db.organisation.update({ where: { id: org.id }, data: { settings: org.settings as object } });
      }
    });

    it('refuses a forged button the same way', async () => {
      const before = await dbState();
      expect((await press('head', 'audit.csv', { query: 'audit 2026-10-31 to 2026-10-01' })).notice).toBe(
        'That range is back to front: 31 Oct 2026 is after 1 Oct 2026. Put the earlier date first.',
      );
      expect((await press('head', 'audit.csv', { query: 42 })).notice).toBe('I don\'t recognise that button. Type the audit command again, ending with "csv".');
      expect((await press('head', 'audit.csv', { recordId: '00000000-0000-4000-8000-000000000000' })).notice).toBe(
        "I can't find that record. The card may be out of date or not one of mine.",
      );
      expect(await dbState()).toBe(before);
    });

    it('never shows or exports the trail in a channel, even for the Head', async () => {
      const before = await dbState();
      for (const [verb, data] of [['audit.csv', { query: OCTOBER, recordId: '' }], ['record.audit', { recordId }]] as const) {
        h.take();
        const res = await h.action('head', verb, data, 'channel');
        expect(res.body?.value).toBe('That button only works in your personal chat with me.');
        expect(h.take().filter((c) => c.method === 'POST')).toEqual([]);
      }
      h.take();
      await h.message('head', OCTOBER, 'channel');
      const inChannel = h.take();
      expect(inChannel.map(cardOf).filter(Boolean)).toEqual([]);
      expect(inChannel.map((c) => c.body.text).join('\n')).toContain('In this channel I post a card for each new request.');
      expect(await dbState()).toBe(before);
    });
  });

  it('leaves an ordinary message that starts with "audit" to start a request for anyone else', async () => {
    const { texts, cards } = await say('paramedic', 'audit of my cases has left me worried');
    expect(texts).not.toContain(REFUSAL);
    expect(cards.map((c) => JSON.stringify(c))).toEqual([expect.stringContaining('intake.risk')]);
  });
});

describe('on Slack', () => {
  let h: SlackHarness;
  const ids: Record<string, string> = {};
  let organisationId = '';
  let reference = '';
  const uploads: Buffer[] = [];
  const UPLOAD_URL = 'https://files.slack.com/upload/v1/audit-test';

  const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
  const toHead = (calls: SlackCall[]) => named(calls, 'chat.postMessage').filter((c) => c.args.channel === dmChannel('head'));
  // A refused read writes its own audit entry (read.refused), counted apart from everything else.
  const dbState = async () =>
    // A Slack person's first contact links their account (identity.linked): not the refused request's doing.
    JSON.stringify({ audit: await h.database.db.auditEvent.count({ where: { action: { notIn: ['read.refused', 'identity.linked'] } } }), files: await h.database.db.exportFile.count() });

  beforeAll(async () => {
    // Registered before the harness's catch-all, so these two answer first: Slack's upload URL, and the upload itself.
    nock('https://slack.com')
      .persist()
      .post('/api/files.getUploadURLExternal')
      .reply(200, { ok: true, upload_url: UPLOAD_URL, file_id: 'F0AUDIT01' });
    nock('https://files.slack.com')
      .persist()
      .post('/upload/v1/audit-test')
      .reply(async (req: Request) => {
        // The Web API client posts the file as multipart form data, in a part named "body".
        const part = (await req.formData()).get('body');
        uploads.push(part instanceof Blob ? Buffer.from(new Uint8Array(await part.arrayBuffer())) : Buffer.from(String(part)));
        return [200, 'OK'] as const;
      });
    h = await startSlackHarness();
    const db = h.database.db;
    organisationId = (await db.organisation.findFirstOrThrow()).id;
    for (const key of ['paramedic', 'call-handler', 'specialist', 'head']) {
      ids[key] = (await db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    }
    ids.hostile = await addHostilePerson(db, organisationId);
    const request = await db.supervisionRequest.create({
      data: {
        organisationId,
        reference: 'SGS-2026-0007',
        requesterId: ids['call-handler']!,
        platform: 'SLACK',
        immediateRisk: false,
        urgency: 'ROUTINE',
        route: 'ADVICE',
        summary: SUMMARY,
      },
    });
    reference = request.reference;
    const record = await db.supervisionRecord.create({
      data: { organisationId, kind: 'ADVICE', requestId: request.id, supervisorId: ids.specialist!, format: 'INDIVIDUAL', type: 'ON_REQUEST', content: ADVICE, subjects: { create: { personId: ids['call-handler']! } } },
    });
    await writeOctoberEvents(db, organisationId, ids, { requestId: request.id, recordId: record.id });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows the range as Block Kit in the DM and audits the reading', async () => {
    h.take();
    await h.dm('head', OCTOBER);
    const [message] = toHead(await h.until((c) => toHead(c).length === 1));
    const text = JSON.stringify(message!.args.blocks);
    expect(text).toContain(`${demoPerson('specialist').name}: record.read, record ${reference} (Slack)`);
    expect(text).toContain(`${AUDIT_CARD_MAX_LINES} most recent of 31, newest first. 6 more`);
    expect(text).toContain('audit.csv');
    expect(text).not.toMatch(/neighbour|threshold/);
    const read = await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'audit.read' }, orderBy: { id: 'desc' } });
    expect(read).toMatchObject({ actorId: ids.head, subjectType: 'organisation', platform: 'SLACK' });
  });

  it('uploads the CSV to the Head\'s DM and audits the export', async () => {
    h.take();
    uploads.length = 0;
    await h.dm('head', `audit person ${demoPerson('call-handler').email} 2026-10-01 to 2026-10-31 csv`);
    const calls = await h.until((c) => named(c, 'files.completeUploadExternal').length === 1);
    const [complete] = named(calls, 'files.completeUploadExternal');
    expect(complete!.args.channel_id).toBe(dmChannel('head'));
    expect(JSON.stringify(complete!.args.files)).toContain('F0AUDIT01');
    expect(toHead(calls).map((c) => c.args.text)).toContain(
      `Audit trail for ${demoPerson('call-handler').name}: what they did, and what was done or read about them: 30 events as a CSV file, for you only. This export is itself recorded in the audit trail.`,
    );
    expect(uploads).toHaveLength(1);
    expect([...uploads[0]!.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 byte-order mark, for Excel
    const csv = uploads[0]!.subarray(3).toString('utf8');
    expect(csv.startsWith('Time (Europe/London),Time (UTC),Actor,')).toBe(true);
    expect(parse(csv)).toHaveLength(31);
    expect(csv).not.toMatch(/neighbour|threshold/);
    const exported = await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'audit.export' }, orderBy: { id: 'desc' } });
    expect(exported).toMatchObject({ actorId: ids.head, subjectType: 'person', subjectId: ids['call-handler'], platform: 'SLACK' });
    // The channel records the upload itself once Slack has it (after the last Web API call),
    // within the turn: wait until the bot has handled the request to its end.
    await h.settled();
    expect(await h.database.db.auditEvent.count({ where: { action: 'export.uploaded', actorId: ids.head } })).toBe(1);
    expect(exported.detail).toMatchObject({ rows: 30, format: 'csv' });
  });

  it.each(['specialist', 'admin', 'ops-manager', 'paramedic', 'external-supervisor'])('refuses %s with nothing uploaded or audited', async (key) => {
    const before = await dbState();
    h.take();
    await h.dm(key, `${OCTOBER} csv`);
    const calls = await h.until((c) => named(c, 'chat.postMessage').length + named(c, 'chat.postEphemeral').length >= 1);
    expect(JSON.stringify(calls.map((c) => c.args.text))).toContain(REFUSAL);
    expect(calls.filter((c) => c.method.startsWith('files.'))).toEqual([]);
    expect(await dbState()).toBe(before);
    expect(await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'read.refused' }, orderBy: { id: 'desc' } })).toMatchObject({
      subjectType: 'audit-trail',
      platform: 'SLACK',
    });
  });

  it('answers bad input from the Head with nothing uploaded', async () => {
    const before = await dbState();
    h.take();
    await h.dm('head', 'audit 2026-10-31 to 2026-10-01 csv');
    const calls = await h.until((c) => named(c, 'chat.postMessage').length + named(c, 'chat.postEphemeral').length >= 1);
    expect(JSON.stringify(calls.map((c) => c.args.text))).toContain('That range is back to front');
    expect(calls.filter((c) => c.method.startsWith('files.'))).toEqual([]);
    expect(await dbState()).toBe(before);
  });

  it(`asks for a shorter range instead of exporting more than ${AUDIT_EXPORT_MAX_ROWS.toLocaleString('en-GB')} rows`, async () => {
    // One statement (the Prisma client's search_path is this file's schema): a day in June 2020 with one event too many.
    await h.database.db.$executeRawUnsafe(
      `INSERT INTO "AuditEvent" ("organisationId", "actorId", "action", "subjectType", "subjectId", "platform", "at")
       SELECT $1, $2, 'record.read', 'person', $3, 'SLACK', timestamptz '2020-06-01 09:00:00+00' + n * interval '1 millisecond'
       FROM generate_series(1, $4::int) AS n`,
      organisationId,
      ids.specialist,
      ids.paramedic,
      AUDIT_EXPORT_MAX_ROWS + 1,
    );
    const before = await dbState();
    h.take();
    await h.dm('head', 'audit 2020-06-01 csv');
    const calls = await h.until((c) => named(c, 'chat.postMessage').length + named(c, 'chat.postEphemeral').length >= 1);
    expect(JSON.stringify(calls.map((c) => c.args.text))).toContain(
      `That is ${(AUDIT_EXPORT_MAX_ROWS + 1).toLocaleString('en-GB')} events; one CSV holds at most ${AUDIT_EXPORT_MAX_ROWS.toLocaleString('en-GB')}. Please ask for a shorter date range.`,
    );
    expect(calls.filter((c) => c.method.startsWith('files.'))).toEqual([]);
    expect(await dbState()).toBe(before);
  });
});
