// Hostile input against the running server (real HTTP, real PostgreSQL, the platforms' APIs
// intercepted by nock): generated malformed Teams activities and Slack payloads built from
// realistic skeletons with mutated fields (wrong types, huge and unicode strings, nulls,
// missing ids, unknown verbs, forged person ids and roles in card data, stale versions).
// Every answer is a clear 2xx/4xx without a stack trace or an internal path, the server
// keeps answering, and no table changes except those that by design record deliveries.
// Oversized bodies are refused with 413 before they are read.
import fc from 'fast-check';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SLACK_BODY_BYTES } from '../../src/channels/slack/slack-receiver.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { MAX_BODY_BYTES } from '../../src/server.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { quoteIdent } from '../../src/db/migrate.js';
import { withPgClient, type TestDatabase } from '../support/database.js';
import { dmChannel, slackState, slackUserId, startSlackHarness, TEAM_ID, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackHarness } from '../support/slack-harness.js';
import { activityFrom, httpRequest, startTeamsHarness, type TeamsHarness } from '../support/teams-harness.js';
import { eventually } from '../support/wait.js';

/** Runs per generated family; at least 500 per platform in all. */
const RUNS = Number(process.env.HOSTILE_RUNS ?? 0) || undefined;
const SEED = Number(process.env.HOSTILE_SEED ?? 20261122);

/** What an answer must never contain: stack frames, source paths, error class names. */
const LEAK = /\bat [\w$.<>]+ \(|\bat (file|node):|\/work\/|\/home\/|node_modules|[\w-]+\.(ts|js|mjs|cjs):\d+|\b(TypeError|ReferenceError|RangeError|PrismaClient\w*)\b|\bstack\b/;

type Answer = { status: number; text: string };

function expectCleanAnswer(answer: Answer, what: string) {
  expect(answer.status, `${what}: status`).toBeGreaterThanOrEqual(200);
  expect(answer.status, `${what}: status ${answer.status} ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  expect(answer.text, `${what}: leaks internals`).not.toMatch(LEAK);
}

/** Row counts of every table in the harness's schema. */
async function rowCounts(database: TestDatabase): Promise<Record<string, number>> {
  return withPgClient(async (client) => {
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [database.schema],
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(database.schema)}.${quoteIdent(name)}`);
      counts[name] = Number(result.rows[0]!.n);
    }
    return counts;
  }, database.databaseUrl);
}

/** Every column value of the tables that hold the state a turn changes, for a stricter check than counts. */
async function stateDigest(database: TestDatabase) {
  const db = database.db;
  return JSON.stringify({
    requests: await db.supervisionRequest.findMany({ orderBy: { id: 'asc' } }),
    drafts: await db.requestDraft.findMany({ orderBy: { id: 'asc' } }),
    sessions: await db.session.findMany({ orderBy: { id: 'asc' } }),
    records: await db.supervisionRecord.findMany({ orderBy: { id: 'asc' } }),
    triage: await db.triageChannel.findMany({ orderBy: { id: 'asc' } }),
    people: await db.person.findMany({ orderBy: { id: 'asc' } }),
  });
}

/**
 * A raw HTTP request whose headers announce `declared` bytes (or a chunked body of that size),
 * written on a plain socket (nock's interception of node:http holds a request back until it
 * ends). Resolves with the server's answer and how much of the body had been written when it
 * came: a server that waited for the whole body would never answer the declared-length case.
 */
function oversizedRequest(url: string, declared: number, chunked = false) {
  const { hostname, port, pathname } = new URL(url);
  return new Promise<{ status: number; text: string; sent: number }>((resolve, reject) => {
    let sent = 0;
    let answer = '';
    const socket = net.createConnection({ host: hostname, port: Number(port) }, () => {
      const length = chunked ? 'transfer-encoding: chunked' : `content-length: ${declared}`;
      socket.write(`POST ${pathname} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n${length}\r\n\r\n`);
      const piece = Buffer.alloc(64 * 1024, 0x20);
      const more = () => {
        if (socket.destroyed || answer) return;
        if (sent >= declared) return void (chunked ? socket.write('0\r\n\r\n') : undefined);
        sent += piece.length;
        const ok = chunked ? socket.write(`${piece.length.toString(16)}\r\n`) && socket.write(piece) && socket.write('\r\n') : socket.write(piece);
        if (ok) setImmediate(more);
        else socket.once('drain', more);
      };
      if (chunked) more();
      else {
        sent += piece.length;
        socket.write(piece);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      const [head, body = ''] = answer.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(head ?? '')?.[1]);
      if (Number.isFinite(length) && Buffer.byteLength(body) >= length) {
        socket.destroy();
        resolve({ status: Number(head!.split(' ')[1]), text: body, sent });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
  });
}

// ------------------------------------------------------------------------------------------
// Shared generators: realistic values and the ways they go wrong.
// ------------------------------------------------------------------------------------------

const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', '💥'.repeat(50), '${name}', '{{x}}', '$root', '<at>x</at>', '<!channel>', '../../etc/passwd', 'null', '__proto__', 'constructor'),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
const wrongType = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const anyValue = fc.oneof(nastyString, wrongType);
const uuidish = fc.oneof(fc.uuid(), nastyString);
/** Card data someone forged: ids of other people, roles, stale or nonsense versions. */
const forgedData = (ids: () => Record<string, string>) =>
  fc.record(
    {
      requestId: fc.oneof(uuidish, fc.constant('real')),
      sessionId: uuidish,
      recordId: uuidish,
      actionPointId: uuidish,
      agreementId: uuidish,
      slotId: uuidish,
      personId: fc.oneof(uuidish, fc.constantFrom('specialist', 'head', 'admin')),
      actorId: fc.constantFrom('specialist', 'head', 'admin'),
      roles: fc.oneof(fc.constant(['ADMINISTRATOR', 'HEAD_OF_SAFEGUARDING', 'SPECIALIST']), wrongType),
      version: fc.oneof(fc.constantFrom(0, -1, 1, 2, 999_999, Number.MAX_SAFE_INTEGER, '1', 'NaN'), wrongType),
      answer: anyValue,
      outcome: anyValue,
      advice: anyValue,
      summary: anyValue,
      supervisorId: uuidish,
    },
    { requiredKeys: [] },
  ).map((data) => {
    // Person ids are resolved to the real ids of the named people: a forged claim of identity.
    const real = ids();
    const out: Record<string, unknown> = { ...data };
    for (const key of ['personId', 'actorId'] as const) if (typeof out[key] === 'string' && real[out[key]]) out[key] = real[out[key]];
    if (out.requestId === 'real') out.requestId = real.request;
    return out;
  });

/** Action verbs: unknown ones and the real ones that need an id, a role or a relation the sender lacks. */
const verb = fc.oneof(
  nastyString,
  fc.constantFrom(
    'request.claim',
    'request.advise',
    'request.close',
    'request.details',
    'session.propose',
    'session.confirm',
    'session.decline',
    'session.cancel',
    'record.start',
    'record.save',
    'record.sign',
    'record.amend',
    'record.view',
    'record.audit',
    'action-point.done',
    'agreement.sign',
    'request.claim#3',
    'REQUEST.CLAIM',
    'intake.unknown',
  ),
);

/**
 * People forged actions come from: staff with no relation to the open request, and a
 * specialist whose card is stale (the generated versions are never the current one).
 */
const stranger = fc.constantFrom('ebs', 'mh-nurse', 'clinician-111', 'ops-manager', 'external-supervisor');

/** Weighted runs per platform (the multipliers in each `numRuns` add up to these). */
const TEAMS_FAMILIES = 7;
const SLACK_FAMILIES = 8;
const perFamily = (families: number) => RUNS ?? Math.ceil(560 / families);

/** Every log line the bot writes while under attack: none may name a TypeError or any other crash. */
function capturedLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim()));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}
const CRASH = /\b(TypeError|ReferenceError|RangeError)\b|is not a function|Cannot read propert/;

// ------------------------------------------------------------------------------------------
// Teams: /api/messages
// ------------------------------------------------------------------------------------------

describe('Teams: generated malformed activities at POST /api/messages', () => {
  let h: TeamsHarness;
  const ids: Record<string, string> = {};
  let before: Record<string, number>;
  let digest: string;
  let auditBefore = 0n;
  let sent = 0;

  const logs = capturedLogs();

  beforeAll(async () => {
    h = await startTeamsHarness({ logger: logs.logger });
    for (const key of ['specialist', 'head', 'admin', 'paramedic']) {
      ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    }
    // A real open request to aim forged and stale actions at.
    await h.message('admin', 'bind triage', 'channel');
    await h.message('paramedic', 'hello');
    await h.action('paramedic', 'intake.risk', { answer: 'no' });
    await h.action('paramedic', 'intake.kind', { helpType: 'ADVICE' });
    await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'after 6pm', summary: 'Worried about a referral' });
    ids.request = (await h.database.db.supervisionRequest.findFirstOrThrow()).id;
    // Every person the generators act as has spoken to the bot before (their conversation
    // references exist), so a refused action has nothing legitimate to record.
    for (const key of ['specialist', 'ebs', 'mh-nurse', 'clinician-111', 'ops-manager', 'external-supervisor']) {
      for (const where of ['personal', 'channel'] as const) {
        await h.post(activityFrom(key, where, { type: 'conversationUpdate', membersAdded: [{ id: '29:x' }] }));
      }
    }
    h.take();
    before = await rowCounts(h.database);
    digest = await stateDigest(h.database);
    auditBefore = (await h.database.db.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0n;
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = async (body: unknown, what: string) => {
    sent += 1;
    const res = await httpRequest(`${h.url}/api/messages`, 'POST', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });
    expectCleanAnswer(res, what);
    return res;
  };

  const where = fc.constantFrom<'personal' | 'channel'>('personal', 'channel');

  it('answers broken skeletons (missing or mistyped type, serviceUrl, conversation, from, recipient) with 400', async () => {
    const fields = ['type', 'serviceUrl', 'conversation', 'conversation.id', 'from', 'from.id', 'recipient', 'recipient.id'] as const;
    const broken = fc
      .record({ who: stranger, where, field: fc.constantFrom(...fields), value: fc.oneof(wrongType, fc.constant(undefined)) })
      .map(({ who, where, field, value }) => {
        const activity: Record<string, any> = activityFrom(who, where, { type: 'message', text: 'hello' });
        const [outer, inner] = field.split('.') as [string, string | undefined];
        if (inner) activity[outer] = { ...activity[outer], [inner]: value };
        else activity[outer] = value;
        return activity;
      })
      .filter(
        (a) =>
          typeof a.type !== 'string' ||
          typeof a.serviceUrl !== 'string' ||
          typeof a.conversation?.id !== 'string' ||
          typeof a.from?.id !== 'string' ||
          typeof a.recipient?.id !== 'string',
      );
    const notObjects = fc.oneof(wrongType.filter((v) => !(v && typeof v === 'object' && !Array.isArray(v))), fc.array(fc.anything(), { maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(broken, notObjects), async (body) => {
        const res = await post(body, 'broken skeleton');
        expect(res.status).toBe(400);
        expect(JSON.parse(res.text).error).toMatch(/^(The body must be a Bot Framework activity|The body is not valid JSON)/);
      }),
      { numRuns: perFamily(TEAMS_FAMILIES), seed: SEED },
    );
    for (const text of ['{"type":', 'not json', '\u0000', '{"type":"message","text":"\ud800"']) {
      const res = await post(text, 'bad JSON');
      expect(res.status).toBe(400);
    }
  });

  it('tells people outside the directory who to contact, whatever the activity carries', async () => {
    const unknownFrom = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.record({ id: anyValue, aadObjectId: fc.oneof(fc.uuid(), nastyString), name: anyValue }, { requiredKeys: [] }),
    );
    const activity = fc
      .record({
        who: stranger,
        where,
        from: unknownFrom,
        type: fc.constantFrom('message', 'invoke', 'conversationUpdate', 'installationUpdate', 'messageReaction', 'event', 'typing', 'endOfConversation'),
        text: anyValue,
        name: fc.oneof(fc.constant('adaptiveCard/action'), nastyString),
        value: anyValue,
        tenant: fc.oneof(fc.constant(undefined), nastyString),
      })
      .map(({ who, where, from, type, text, name, value, tenant }) => {
        const a: Record<string, any> = activityFrom(who, where, { type, text, name, value });
        a.from = from;
        if (tenant !== undefined) a.conversation = { ...a.conversation, tenantId: tenant };
        return a;
      });
    await fc.assert(
      fc.asyncProperty(activity, async (a) => {
        await post(a, `unknown sender ${a.type}`);
      }),
      { numRuns: perFamily(TEAMS_FAMILIES) * 2, seed: SEED + 1 },
    );
  });

  it('refuses forged and stale card actions from known people and changes nothing', async () => {
    const invoke = fc
      .record({ who: fc.oneof(stranger, fc.constant('specialist')), where, verb, data: forgedData(() => ids), shape: fc.constantFrom('normal', 'data-not-object', 'no-action', 'verb-not-string', 'value-string') })
      .map(({ who, where, verb, data, shape }) => {
        const action: Record<string, unknown> = { type: 'Action.Execute', verb, data };
        if (shape === 'data-not-object') action.data = [data];
        if (shape === 'verb-not-string') action.verb = { verb };
        const value = shape === 'no-action' ? { data } : shape === 'value-string' ? JSON.stringify(action) : { action };
        return { who, activity: activityFrom(who, where, { type: 'invoke', name: 'adaptiveCard/action', value }) };
      })
      // The specialist's real, current claim would be permitted: only stale or forged versions here.
      .filter(({ who, activity }) => !(who === 'specialist' && ((activity as any).value)?.action?.data?.version === 1));
    await fc.assert(
      fc.asyncProperty(invoke, async ({ who, activity }) => {
        const res = await post(activity, `forged action by ${who}`);
        expect(res.status).toBe(200);
        const body = JSON.parse(res.text);
        expect(body.statusCode).toBe(200);
        if (body.type === 'application/vnd.microsoft.activity.message') expect(typeof body.value).toBe('string');
      }),
      { numRuns: perFamily(TEAMS_FAMILIES) * 3, seed: SEED + 2 },
    );
  });

  it('survives messages whose text, entities or attachments have the wrong type', async () => {
    const message = fc
      .record({ who: stranger, where, text: wrongType, entities: fc.oneof(wrongType, fc.constant([{ type: 'mention', mentioned: null, text: null }])), attachments: wrongType })
      .map(({ who, where, text, entities, attachments }) => activityFrom(who, where, { type: 'message', text, entities, attachments }));
    await fc.assert(
      fc.asyncProperty(message, async (a) => {
        await post(a, 'mistyped message');
      }),
      { numRuns: perFamily(TEAMS_FAMILIES), seed: SEED + 3 },
    );
  });

  it('answers an activity whose serviceUrl is not the local connector with 400, before any call', async () => {
    h.take(); // forget the calls of earlier tests
    for (const serviceUrl of ['http://unreachable.test', 'http://127.0.0.1:1/', '', 'not a url', 'file:///etc/passwd', 'https://smba.trafficmanager.net/uk/']) {
      const res = await httpRequest(`${h.url}/api/messages`, 'POST', JSON.stringify({ ...activityFrom('ebs', 'personal', { type: 'message', text: 'hello' }), serviceUrl }), {
        'content-type': 'application/json',
      });
      expect(res.status, serviceUrl).toBe(400);
      expect(JSON.parse(res.text).error, serviceUrl).toMatch(/serviceUrl/);
    }
    // Generated forgeries: any host, scheme, port or path that is not the registered connector.
    const forged = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.webUrl().map((u) => u.replace(/^https?:/, 'ftp:')),
      fc.integer({ min: 1, max: 65_535 }).map((port) => `http://127.0.0.1:${port}/`).filter((u) => !u.startsWith(h.serviceUrl)),
      fc.constantFrom('http://localhost./', 'http://0.0.0.0/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://169.254.169.254/latest/meta-data/', 'https://smba.trafficmanager.net.evil.test/'),
      nastyString,
    );
    await fc.assert(
      fc.asyncProperty(stranger, forged, async (who, serviceUrl) => {
        const res = await post({ ...activityFrom(who, 'personal', { type: 'message', text: 'hello' }), serviceUrl }, `serviceUrl ${serviceUrl.slice(0, 60)}`);
        expect(res.status).toBe(400);
      }),
      { numRuns: perFamily(TEAMS_FAMILIES), seed: SEED + 5 },
    );
    expect(h.take()).toHaveLength(0);
  });

  it('refuses oversized bodies with 413 before reading them', async () => {
    for (const chunked of [false, true]) {
      const res = await oversizedRequest(`${h.url}/api/messages`, 8 * MAX_BODY_BYTES, chunked);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).error).toBe(`The body is larger than ${MAX_BODY_BYTES} bytes.`);
      // With a declared length the answer comes before the body is sent (chunked bodies are cut off by the parser's limit).
      if (!chunked) expect(res.sent).toBeLessThan(MAX_BODY_BYTES);
    }
  });

  it('changed nothing but the log of refused reads, sent at least 500 activities and still answers /healthz', async () => {
    expect(sent).toBeGreaterThanOrEqual(500);
    // A forged "open this record / show me the summary" from someone in the directory is a
    // refused read, and those are audited (read.refused, by the verified person): the only rows
    // allowed to appear. Every other table is exactly as it was.
    const { AuditEvent: auditAfter, ...after } = await rowCounts(h.database);
    const { AuditEvent: auditStart, ...start } = before;
    expect(after).toEqual(start);
    const added = await h.database.db.auditEvent.findMany({ where: { id: { gt: auditBefore } } });
    expect(added.length).toBe(auditAfter! - auditStart!);
    const directory = new Set((await h.database.db.person.findMany({ select: { id: true } })).map((p) => p.id));
    for (const event of added) {
      expect(event.action).toBe('read.refused');
      expect(directory.has(event.actorId!)).toBe(true);
    }
    expect(await stateDigest(h.database)).toBe(digest);
    const health = await httpRequest(`${h.url}/healthz`, 'GET');
    expect(health.status).toBe(200);
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.filter((line) => CRASH.test(line))).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------
// Slack: /slack/events
// ------------------------------------------------------------------------------------------

describe('Slack: generated malformed payloads at POST /slack/events', () => {
  let h: SlackHarness;
  const ids: Record<string, string> = {};
  let before: Record<string, number>;
  let digest: string;
  let sent = 0;
  let events = 0;
  let identitiesBefore: string[] = [];
  let conversationsBefore: string[] = [];

  const logs = capturedLogs();

  beforeAll(async () => {
    h = await startSlackHarness({ logger: logs.logger });
    for (const key of ['specialist', 'head', 'admin', 'paramedic']) {
      ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    }
    for (const step of [
      () => h.command('admin', 'bind triage', SLACK_TRIAGE),
      () => h.dm('paramedic', 'hello'),
      () => h.press('paramedic', 'intake.risk', { answer: 'no' }),
      () => h.press('paramedic', 'intake.kind', { helpType: 'ADVICE' }),
      () => h.press('paramedic', 'intake.details', { acknowledged: 'no' }, { state: { availability: 'after 6pm', summary: 'Worried about a referral' } }),
    ]) {
      await step();
      await settle();
    }
    await waitUntil(async () => (await h.database.db.supervisionRequest.count()) === 1);
    ids.request = (await h.database.db.supervisionRequest.findFirstOrThrow()).id;
    // Link every person the generators act as (first contact links identity and conversation).
    for (const key of ['specialist', 'ebs', 'mh-nurse', 'clinician-111', 'ops-manager', 'external-supervisor']) {
      await h.press(key, 'no.such.action', {});
      await settle();
      await h.press(key, 'no.such.action', {}, { channel: SLACK_TRIAGE });
      await settle();
    }
    await waitUntil(async () => (await h.database.db.platformIdentity.count({ where: { platform: 'SLACK' } })) >= 8);
    await settle();
    h.take();
    before = await rowCounts(h.database);
    digest = await stateDigest(h.database);
    identitiesBefore = (await h.database.db.platformIdentity.findMany({ select: { id: true } })).map((r) => r.id);
    conversationsBefore = (await h.database.db.conversationReference.findMany({ select: { id: true } })).map((r) => r.id);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Work continues after Slack's ack: wait until the bot has handled every request to its end. */
  const settle = () => h.settled();

  const waitUntil = (ok: () => Promise<boolean>) => eventually(ok, 'the rows the set-up turns write');

  const check = (res: Answer, what: string) => {
    sent += 1;
    expectCleanAnswer(res, what);
    return res;
  };
  const json = (body: unknown) => h.signed(JSON.stringify(body), 'application/json');
  const form = (fields: Record<string, string>) => h.signed(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded');
  const interaction = (payload: unknown) => h.signed(`payload=${encodeURIComponent(JSON.stringify(payload))}`, 'application/x-www-form-urlencoded');

  const knownOrNot = fc.oneof(
    stranger.map((key) => slackUserId(key)),
    fc.constantFrom('U0NOBODY1', 'W0GUEST01', 'B0BOT0001'),
    fc.stringMatching(/^U[A-Z0-9]{8,10}$/),
  );
  const channelId = fc.oneof(fc.constantFrom(SLACK_TRIAGE, 'C0OTHER01', 'G0PRIVATE', 'D0NOBODY1'), stranger.map(dmChannel), nastyString);

  it('refuses unsigned, badly signed and stale requests with 401 and changes nothing', async () => {
    const body = fc.oneof(fc.string({ maxLength: 200 }), fc.constant(JSON.stringify({ type: 'event_callback', event_id: 'EvX', event: { type: 'message' } })));
    const headers = fc.oneof(
      fc.constant({}),
      fc.record({ 'x-slack-request-timestamp': fc.oneof(fc.string({ maxLength: 20 }), fc.constant(String(Math.floor(Date.now() / 1000) - 301))) }),
      fc.record({ 'x-slack-signature': fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }).map((hex) => `v0=${hex}`)) }),
    );
    await fc.assert(
      fc.asyncProperty(body, headers, fc.boolean(), async (raw, extra, wrongSecret) => {
        const res =
          Object.keys(extra).length === 0 && wrongSecret
            ? await h.signed(raw, 'application/json', { secret: 'not-the-signing-secret' })
            : await httpRequest(`${h.url}/slack/events`, 'POST', raw, { 'content-type': 'application/json', ...extra });
        check(res, 'unsigned');
        expect(res.status).toBe(401);
        expect(JSON.parse(res.text)).toEqual({ error: 'Invalid or expired Slack signature.' });
      }),
      { numRuns: perFamily(SLACK_FAMILIES), seed: SEED + 10 },
    );
    // Signed correctly but outside the five-minute window: a replay.
    const replay = await h.signed('{"type":"event_callback"}', 'application/json', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(check(replay, 'replay').status).toBe(401);
  });

  it('answers signed bodies that are not Slack payloads with 400', async () => {
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', '', 'application/json; charset=utf-8');
    const raw = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json().filter((j) => {
        const v = JSON.parse(j);
        return !v || typeof v !== 'object' || Array.isArray(v) || (typeof v.type !== 'string' && typeof v.command !== 'string' && typeof v.ssl_check !== 'string');
      }),
      fc.string({ maxLength: 50 }).map((s) => `payload=${encodeURIComponent(s)}x`),
    );
    await fc.assert(
      fc.asyncProperty(raw, contentType, async (body, type) => {
        const res = check(await h.signed(body, type), 'not a payload');
        // Some bodies are Slack payloads by accident (a form with a "command" field): then 2xx is right.
        expect([200, 400]).toContain(res.status);
      }),
      { numRuns: perFamily(SLACK_FAMILIES), seed: SEED + 11 },
    );
  });

  it('acknowledges malformed events and does nothing with them', async () => {
    const event = fc.oneof(
      fc.record({
        type: fc.constant('message'),
        channel_type: fc.oneof(fc.constantFrom('im', 'channel', 'group', 'mpim'), anyValue),
        channel: fc.oneof(channelId, wrongType),
        user: fc.oneof(knownOrNot, anyValue),
        text: anyValue,
        subtype: fc.oneof(fc.constant(undefined), fc.constantFrom('bot_message', 'message_changed', 'message_deleted', 'channel_join')),
        bot_id: fc.oneof(fc.constant(undefined), fc.constant('B0BOT')),
        ts: anyValue,
      }, { requiredKeys: ['type', 'channel'] }),
      fc.record({ type: fc.constant('app_home_opened'), user: fc.oneof(knownOrNot, anyValue), tab: fc.oneof(fc.constantFrom('home', 'messages'), anyValue) }, { requiredKeys: ['type'] }),
      fc.record({ type: nastyString, user: anyValue, channel: anyValue }),
      wrongType,
    );
    const envelope = fc
      .record({
        type: fc.constantFrom('event_callback', 'event_callback', 'app_rate_limited', 'url_verification'),
        team_id: fc.oneof(fc.constant(TEAM_ID), anyValue),
        event_id: fc.oneof(fc.uuid().map((u) => `Ev${u}`), anyValue),
        event,
        challenge: anyValue,
      })
      // A DM with text from someone in the directory would rightly start a request: not hostile.
      .filter((e) => {
        const ev = e.event as Record<string, unknown> | null;
        const startsRequest = ev && typeof ev === 'object' && ev.type === 'message' && ev.channel_type === 'im' && !ev.subtype && !ev.bot_id && typeof ev.user === 'string' && /^U0DEMO/.test(ev.user);
        return !startsRequest;
      });
    await fc.assert(
      fc.asyncProperty(envelope, async (body) => {
        if (body.type === 'event_callback' && typeof body.event_id === 'string') events += 1;
        const res = check(await json(body), `event ${JSON.stringify(body).slice(0, 80)}`);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: perFamily(SLACK_FAMILIES) * 2, seed: SEED + 12 },
    );
  });

  it('refuses forged and stale block actions and form submissions', async () => {
    const user = fc.oneof(
      fc.record({ id: fc.oneof(knownOrNot, fc.constant(slackUserId('specialist'))), team_id: fc.oneof(fc.constant(TEAM_ID), anyValue), username: anyValue }, { requiredKeys: ['id'] }),
      wrongType,
    );
    const action = fc.record(
      {
        type: fc.oneof(fc.constantFrom('button', 'button', 'static_select', 'overflow'), anyValue),
        action_id: fc.oneof(verb, fc.constantFrom('card.open:request.advise', 'card.open:x#2', 'link.open')),
        block_id: anyValue,
        value: fc.oneof(forgedData(() => ids).map((d) => JSON.stringify(d)), forgedData(() => ids).map((d) => JSON.stringify({ data: d, form: d })), anyValue),
        action_ts: anyValue,
      },
      { requiredKeys: ['action_id'] },
    );
    const blockActions = fc.record(
      {
        type: fc.constant('block_actions'),
        team: fc.oneof(fc.record({ id: fc.oneof(fc.constant(TEAM_ID), anyValue) }), wrongType),
        user,
        channel: fc.oneof(fc.record({ id: channelId }), wrongType),
        message: fc.oneof(fc.record({ ts: fc.oneof(fc.constant('1795000000.000100'), anyValue) }), wrongType),
        trigger_id: anyValue,
        state: fc.oneof(fc.constant(slackState({ advice: 'x', outcome: 'CLOSED' })), fc.record({ values: wrongType }), wrongType),
        actions: fc.oneof(fc.array(action, { minLength: 1, maxLength: 2 }), wrongType),
      },
      { requiredKeys: ['type'] },
    );
    const viewSubmission = fc.record(
      {
        type: fc.constant('view_submission'),
        team: fc.oneof(fc.record({ id: fc.constant(TEAM_ID) }), wrongType),
        user,
        view: fc.oneof(
          fc.record({
            id: fc.constant('V1'),
            type: fc.constant('modal'),
            callback_id: fc.oneof(fc.constant('card.form'), nastyString),
            private_metadata: fc.oneof(
              fc.record({ verb, data: forgedData(() => ids), channel: channelId, ts: anyValue }).map((m) => JSON.stringify(m)),
              anyValue,
            ),
            state: fc.oneof(fc.constant(slackState({ advice: 'forged advice', outcome: 'CLOSED' })), wrongType),
          }),
          wrongType,
        ),
      },
      { requiredKeys: ['type'] },
    );
    // The specialist's real, current claim would be permitted: only stale or forged versions here.
    const notPermitted = (payload: Record<string, any>) => !JSON.stringify(payload).includes('\\"version\\":1,') && !JSON.stringify(payload).includes('\\"version\\":1}');
    await fc.assert(
      fc.asyncProperty(fc.oneof(blockActions, viewSubmission, fc.record({ type: fc.constantFrom('shortcut', 'message_action', 'block_suggestion', 'view_closed'), user })).filter(notPermitted), async (payload) => {
        const res = check(await interaction(payload), `interaction ${payload.type}`);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: perFamily(SLACK_FAMILIES) * 3, seed: SEED + 13 },
    );
  });

  it('answers malformed slash commands without acting on them', async () => {
    const command = fc.record(
      {
        command: fc.oneof(fc.constantFrom('/supervision', '/other', ''), nastyString),
        text: fc.oneof(fc.constantFrom('help', 'bind triage', 'bind triage channel'), nastyString),
        user_id: fc.oneof(knownOrNot, nastyString),
        team_id: fc.oneof(fc.constant(TEAM_ID), nastyString),
        channel_id: channelId,
        channel_name: nastyString,
        trigger_id: nastyString,
        response_url: nastyString,
      },
      { requiredKeys: ['command'] },
    )
      // Someone in the directory typing "/supervision <anything>" rightly starts a request.
      .filter((c) => !(c.command === '/supervision' && typeof c.user_id === 'string' && /^U0DEMO/.test(c.user_id) && !['help', 'bind triage', 'bind triage channel'].includes((c.text ?? '').trim())));
    await fc.assert(
      fc.asyncProperty(command, async (fields) => {
        const res = check(await form(fields), `command ${fields.command}`);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: perFamily(SLACK_FAMILIES), seed: SEED + 14 },
    );
  });

  it('refuses oversized bodies with 413 before reading them or checking the signature', async () => {
    for (const chunked of [false, true]) {
      const res = await oversizedRequest(`${h.url}/slack/events`, 8 * MAX_SLACK_BODY_BYTES, chunked);
      expect(res.status).toBe(413);
      expect(res.text).not.toMatch(LEAK);
      if (!chunked) expect(res.sent).toBeLessThan(MAX_SLACK_BODY_BYTES);
    }
  });

  it('changed nothing but the delivery log, sent at least 500 payloads and still answers /healthz', async () => {
    await settle();
    expect(sent).toBeGreaterThanOrEqual(500);
    const after = await rowCounts(h.database);
    // ProcessedDelivery records each signed Events API delivery's event_id so that Slack's
    // retries are processed once (DESIGN: nothing lost, nothing twice): a row per distinct
    // event is its job, not a change of state. Every other table is exactly as it was.
    //
    // PlatformIdentity is not among them: tenants are pinned, so a signed payload under another
    // team id links nobody, and every generated user of this workspace was linked beforehand.
    // ConversationReference: the address book of conversations where a verified directory
    // person has reached the bot (needed to write there later), kept on every such turn
    // before the action is judged; never for strangers.
    const skip = ['ProcessedDelivery', 'ConversationReference'];
    const rest = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([table]) => !skip.includes(table)));
    expect(rest(after)).toEqual(rest(before));
    expect(after.ProcessedDelivery! - before.ProcessedDelivery!).toBeLessThanOrEqual(events);
    expect(await h.database.db.platformIdentity.count({ where: { id: { notIn: identitiesBefore } } })).toBe(0);
    const directoryUsers = ['specialist', 'ebs', 'mh-nurse', 'clinician-111', 'ops-manager', 'external-supervisor'].map(slackUserId);
    const newConversations = await h.database.db.conversationReference.findMany({ where: { id: { notIn: conversationsBefore } } });
    const people = new Set((await h.database.db.platformIdentity.findMany({ where: { platformUserId: { in: directoryUsers } } })).map((i) => i.personId));
    for (const conversation of newConversations) {
      if (conversation.personId) expect(people).toContain(conversation.personId);
    }
    expect(after.ConversationReference! - before.ConversationReference!).toBe(newConversations.length);
    expect(await stateDigest(h.database)).toBe(digest);
    const health = await httpRequest(`${h.url}/healthz`, 'GET');
    expect(health.status).toBe(200);
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.filter((line) => CRASH.test(line))).toEqual([]);
  });
});
