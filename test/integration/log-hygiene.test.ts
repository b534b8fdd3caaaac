// Structured logs during whole journeys on both platforms, captured from the pino
// destination: no free text (summaries, availability, adjustments, advice, record content,
// action points), no names or e-mail addresses from the directory, no secrets (signing secret,
// bot token, app password, bearer tokens, signatures) in any line. And one request id per
// turn: every line a turn logs carries it (taken from a well-formed x-request-id, made up
// otherwise), and a reminder job carries the id of the sweep that queued it into the worker's
// lines.
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/channels/outbox.js';
import { DEMO_PEOPLE, demoPerson } from '../../src/db/demo-organisation.js';
import { createLogger, REQUEST_ID_FIELD, type Logger } from '../../src/logger.js';
import { REQUEST_ID_HEADER } from '../../src/request-context.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { upsertReminders } from '../../src/scheduler/reminder-store.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { SIGNING_SECRET, slackUserId, startSlackHarness, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackHarness } from '../support/slack-harness.js';
import { activityFrom, httpRequest, startTeamsHarness, type TeamsHarness } from '../support/teams-harness.js';
import { eventually } from '../support/wait.js';

const run = randomBytes(4).toString('hex');
/** A unique marker per free-text field; none may reach a log line. */
const marker = (field: string) => `MARK${run}-${field}`;
const BOT_TOKEN = 'xoxb-test-token';
const APP_PASSWORD = `app-password-${marker('password')}`;
const BEARER = `eyJ${marker('bearer')}`;

type Line = Record<string, unknown> & { msg?: string };

/** A pino destination that keeps every line, raw and parsed. */
function captureLogs() {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) raw.push(line);
      done();
    },
  });
  const logger: Logger = createLogger({ level: 'debug', destination: stream });
  return {
    logger,
    raw,
    lines: () => raw.map((line) => JSON.parse(line) as Line),
    /** Lines written from now on. */
    mark() {
      const from = raw.length;
      return () => raw.slice(from).map((line) => JSON.parse(line) as Line);
    },
  };
}

/** Everything that must never be in a log line. */
function forbidden(extra: string[] = []) {
  return [
    run, // every marker contains it
    SIGNING_SECRET,
    BOT_TOKEN,
    ...DEMO_PEOPLE.flatMap((p) => [p.name, p.email]),
    ...extra,
  ];
}

function expectClean(raw: string[], extra: string[] = []) {
  expect(raw.length).toBeGreaterThan(0);
  for (const line of raw) {
    for (const secret of forbidden(extra)) expect(line, `a log line contains "${secret}"`).not.toContain(secret);
  }
}

/** Polls `fn` until `ok` holds (test/support/wait.ts: a generous deadline, no fixed sleep). */
async function waitFor<T>(fn: () => T | Promise<T>, ok: (value: T) => boolean, what = 'the condition'): Promise<T> {
  const seen: { value?: T } = {};
  await eventually(async () => ok((seen.value = await fn())), what);
  return seen.value as T;
}

const redisConnection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };

describe('redaction, the second line of defence', () => {
  it('censors authorization headers, tokens, secrets and free-text fields that slip into a log call', () => {
    const logs = captureLogs();
    logs.logger.info({ headers: { authorization: `Bearer ${BEARER}`, 'x-slack-signature': `v0=${marker('sig')}` } }, 'headers');
    logs.logger.info({ req: { headers: { authorization: `Bearer ${BEARER}`, cookie: marker('cookie') } } }, 'request');
    logs.logger.info({ config: { headers: { Authorization: `Bearer ${BEARER}` } }, token: BOT_TOKEN, signingSecret: SIGNING_SECRET, password: APP_PASSWORD }, 'config');
    logs.logger.info({ summary: marker('summary'), advice: marker('advice'), activity: { text: marker('text'), value: { a: marker('value') } } }, 'content');
    logs.logger.warn({ err: { name: 'Error' }, body: marker('body'), item: { text: marker('nested') } }, 'failure');
    expect(logs.raw).toHaveLength(5);
    expectClean(logs.raw, [APP_PASSWORD, BEARER]);
    expect(logs.raw.join('\n')).toContain('[redacted]');
  });
});

describe('Teams: a whole journey logs no free text, names or secrets, and one id per turn', () => {
  const logs = captureLogs();
  let h: TeamsHarness;
  const ids: Record<string, string> = {};
  let scheduler: Scheduler | undefined;
  const prefix = `log-hygiene-${run}`;

  beforeAll(async () => {
    h = await startTeamsHarness({ logger: logs.logger });
    for (const key of ['call-handler', 'specialist', 'specialist-2']) {
      ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    }
  });
  afterAll(async () => {
    await scheduler?.stop();
    const queue = createReminderQueue({ connection: redisConnection, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await h?.close();
  });

  it('request, claim, booking, record with action points, signatures: nothing confidential logged', async () => {
    await h.message('admin', 'bind triage', 'channel');
    for (const key of ['specialist', 'specialist-2']) await h.message(key, 'help');
    await h.message('call-handler', `hello ${marker('first-message')}`);
    await h.action('call-handler', 'intake.risk', { answer: 'no' });
    await h.action('call-handler', 'intake.kind', { helpType: 'SESSION' });
    await h.action('call-handler', 'intake.details', {
      acknowledged: 'no',
      format: 'INDIVIDUAL',
      summary: marker('summary'),
      availability: marker('availability'),
      adjustments: marker('adjustments'),
    });
    let request = await h.database.db.supervisionRequest.findFirstOrThrow();
    expect(request.summary).toBe(marker('summary'));
    await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    await h.action('specialist', 'session.propose', {
      requestId: request.id,
      version: request.version,
      supervisorId: ids['specialist-2'],
      date1: '2026-11-25',
      time1: '10:00',
      durationMinutes: '60',
      venue: marker('venue'),
    });
    const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
    await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
    h.clock.advance(2 * 24 * 60 + 60);
    await h.action('specialist-2', 'record.start', { sessionId: session.id });
    const record = await h.database.db.supervisionRecord.findFirstOrThrow();
    const saved = await h.action('specialist-2', 'record.save', {
      recordId: record.id,
      version: 1,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      [`attendance_${ids['call-handler']}`]: 'ATTENDED',
      content: marker('record-content'),
      reflectiveModel: 'SBAR',
      reflectionNotes: marker('reflection'),
      themes: marker('themes'),
      escalation: '',
      ap1_description: marker('action-point'),
      ap1_owner: ids['call-handler'],
      ap1_due: '2026-12-10',
      ap1_kind: 'TRAINING_NEED',
    });
    expect(saved.body.value).toBe('Record saved and sent for signing.');
    await h.action('call-handler', 'record.sign', { recordId: record.id, version: 2 });
    await h.action('specialist-2', 'record.sign', { recordId: record.id, version: 2 });
    expect((await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id } })).status).toBe('SIGNED');

    // Refusals and failures log too: a forged claim, a stranger, a turn that fails.
    await h.action('call-handler', 'request.claim', { requestId: request.id, version: 1, summary: marker('forged') }, 'channel');
    await h.post({ ...activityFrom('call-handler', 'personal', { type: 'message', text: marker('mistyped') }), from: { id: 42 } });

    expectClean(logs.raw);
    // The journey did log: requests, the refusal.
    expect(logs.lines().some((l) => l.msg === 'turn refused')).toBe(true);
    expect(logs.lines().filter((l) => l.msg === 'request handled').length).toBeGreaterThan(10);
  });

  it("gives every line of one turn that turn's id: the caller's when well formed, a new one otherwise", async () => {
    const id = `turn-${randomUUID()}`;
    const lines = logs.mark();
    // An urgent answer logs in the flow as well as the request line.
    await h.message('paramedic', 'hello');
    const urgent = await httpRequest(`${h.url}/api/messages`, 'POST', JSON.stringify(activityFrom('paramedic', 'personal', { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'intake.risk', data: { answer: 'yes' } } } })), {
      'content-type': 'application/json',
      [REQUEST_ID_HEADER]: id,
    });
    expect(urgent.status).toBe(200);
    expect(urgent.headers[REQUEST_ID_HEADER]).toBe(id);
    const turn = lines().filter((l) => l[REQUEST_ID_FIELD] === id);
    expect(turn.map((l) => l.msg)).toEqual(expect.arrayContaining(['urgent request recorded', 'request handled']));
    // The earlier "hello" turn had its own id; nothing from this turn carries another.
    const ids = new Set(lines().map((l) => l[REQUEST_ID_FIELD]));
    expect(ids.size).toBe(2);
    expect(lines().every((l) => typeof l[REQUEST_ID_FIELD] === 'string')).toBe(true);

    for (const unusable of ['has spaces in it', 'x'.repeat(200), '"><script>', 'short']) {
      const res = await httpRequest(`${h.url}/healthz`, 'GET', undefined, { [REQUEST_ID_HEADER]: unusable });
      expect(res.headers[REQUEST_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('carries the id of the sweep that queued a reminder into the worker that delivers it', async () => {
    const point = await h.database.db.actionPoint.findFirstOrThrow();
    const request = await h.database.db.supervisionRequest.findFirstOrThrow();
    const now = h.clock.now();
    await upsertReminders(h.database.db, [
      { organisationId: request.organisationId, kind: 'ACTION_DUE', subjectType: 'ActionPoint', subjectId: point.id, recipientKey: `person:${point.ownerId}`, recipientId: point.ownerId, dueAt: now, sendAt: now },
    ]);
    const delivered: string[] = [];
    const sender: ChannelSender = {
      platform: 'TEAMS',
      async send(conversation) {
        delivered.push(conversation.conversationId);
        return `activity-${delivered.length}`;
      },
      async update() {},
    };
    const lines = logs.mark();
    scheduler = await startScheduler({ db: h.database.db, redisUrl: redisConnection, prefix, senders: [sender], logger: logs.logger, clock: h.clock, horizonMs: 15 * 60_000 });
    await waitFor(lines, (ls) => ls.some((l) => l.msg === 'reminder sent'), "the worker's 'reminder sent' line");
    // Then for the worker to finish every job the sweep queued as due (sent, deferred or
    // failed): no due reminder row left PENDING and no job waiting or running, so each of those
    // jobs has logged its lines.
    await eventually(async () => {
      const due = await h.database.db.reminder.count({ where: { status: 'PENDING', sendAt: { lte: h.clock.now() } } });
      const counts = await scheduler!.queue.getJobCounts('waiting', 'active', 'prioritized');
      return due === 0 && Object.values(counts).every((n) => n === 0);
    }, 'the due reminders to be handled and the queue to be idle');
    const worker = lines();
    const sweep = worker.find((l) => l.msg === 'reminder sweep');
    expect(sweep?.[REQUEST_ID_FIELD]).toMatch(/^sweep-[0-9a-f-]{36}$/);
    // Every line the worker logs for the jobs this sweep queued (sent, cancelled, retried) carries the sweep's id.
    const jobLines = worker.filter((l) => String(l.msg).startsWith('reminder ') && l.msg !== 'reminder sweep');
    expect(jobLines.some((l) => l.msg === 'reminder sent')).toBe(true);
    for (const line of jobLines) expect(line[REQUEST_ID_FIELD]).toBe(sweep?.[REQUEST_ID_FIELD]);
    expect(delivered.length).toBeGreaterThanOrEqual(1);
    expectClean(logs.raw);
  });

  // Last: a second harness's close() resets nock for the whole process.
  it('keeps bearer tokens and the app password out of the logs when authentication refuses a request', async () => {
    const logsWithAuth = captureLogs();
    const secured = await startTeamsHarness({ appId: '00000000-0000-4000-8000-0000000000aa', appPassword: APP_PASSWORD, logger: logsWithAuth.logger });
    try {
      const res = await secured.post(activityFrom('paramedic', 'personal', { type: 'message', text: marker('unauthenticated'), serviceUrl: secured.serviceUrl }), { authorization: `Bearer ${BEARER}` });
      expect(res.status).toBe(401);
      expectClean(logsWithAuth.raw, [APP_PASSWORD, BEARER]);
    } finally {
      await secured.close();
    }
  });
});

describe('Slack: a whole journey logs no free text, names or secrets, and one id per turn', () => {
  const logs = captureLogs();
  let h: SlackHarness;

  beforeAll(async () => {
    h = await startSlackHarness({ logger: logs.logger });
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * Work continues after Slack's ack: wait until the bot has handled every request to its end
   * and every message the turn wrote has been delivered (they are paced: one a second per channel).
   */
  const settle = () => h.delivered();

  it('request, claim, advice through a modal, feedback and close: nothing confidential logged', async () => {
    const steps: Array<() => Promise<unknown>> = [
      () => h.command('admin', 'bind triage', SLACK_TRIAGE),
      () => h.dm('paramedic', `hello ${marker('slack-first-message')}`),
      () => h.press('paramedic', 'intake.risk', { answer: 'no' }),
      () => h.press('paramedic', 'intake.kind', { helpType: 'ADVICE' }),
      () =>
        h.press('paramedic', 'intake.details', { acknowledged: 'no' }, {
          state: { summary: marker('slack-summary'), availability: marker('slack-availability'), adjustments: marker('slack-adjustments') },
        }),
    ];
    for (const step of steps) {
      await step();
      await settle();
    }
    let request = await waitFor(() => h.database.db.supervisionRequest.findFirst(), (r) => r !== null);
    expect(request!.summary).toBe(marker('slack-summary'));
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request!.id } });
    await h.press('specialist', 'request.claim', { requestId: request!.id, version: request!.version }, { channel: SLACK_TRIAGE, ts: posted.messageId });
    await settle();
    request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request!.id } });
    const meta = JSON.stringify({ verb: 'request.advise', data: { requestId: request.id, version: request.version }, channel: SLACK_TRIAGE, ts: posted.messageId });
    await h.submit('specialist', meta, { advice: marker('slack-advice') });
    await settle();
    request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(request.status).not.toBe('CLAIMED');
    await h.press('paramedic', 'request.feedback', { requestId: request.id, answer: 'helped' });
    await settle();
    request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    await h.press('specialist', 'request.close', { requestId: request.id, version: request.version }, { channel: SLACK_TRIAGE, ts: posted.messageId, state: { outcome: 'ADVICE_GIVEN' } });
    await settle();
    // Refused and broken requests: a bad signature, a stranger, an unknown command.
    await h.signed(JSON.stringify({ type: 'event_callback', event: { text: marker('badly-signed') } }), 'application/json', { secret: 'wrong' });
    await h.command('ebs', `bind triage ${marker('slack-command')}`, SLACK_TRIAGE);
    await settle();

    expectClean(logs.raw);
    expect(logs.lines().some((l) => l.msg === 'refused a Slack request')).toBe(true);
  });

  it("gives every line of one Slack turn, including the work after the ack, that turn's id", async () => {
    const id = `slack-turn-${randomUUID()}`;
    const lines = logs.mark();
    h.take();
    await h.dm('call-handler', 'hello');
    await h.until((calls) => calls.some((c) => c.method === 'chat.postMessage'));
    const res = await h.signed(
      `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'block_actions',
          team: { id: 'T0SGSDEMO' },
          user: { id: slackUserId('call-handler'), team_id: 'T0SGSDEMO' },
          channel: { id: `D${slackUserId('call-handler').slice(1)}` },
          message: { ts: '1795000000.000100' },
          trigger_id: 'trigger-log-hygiene',
          state: { values: {} },
          actions: [{ type: 'button', action_id: 'intake.risk', block_id: 'a', value: JSON.stringify({ answer: 'yes' }), action_ts: '1' }],
        }),
      )}`,
      'application/x-www-form-urlencoded',
      { headers: { [REQUEST_ID_HEADER]: id } },
    );
    expect(res.status).toBe(200);
    await settle();
    const turn = lines().filter((l) => l[REQUEST_ID_FIELD] === id);
    expect(turn.map((l) => l.msg)).toEqual(expect.arrayContaining(['urgent request recorded', 'request handled']));
    expect(new Set(lines().map((l) => l[REQUEST_ID_FIELD])).size).toBe(2);
    expectClean(logs.raw);
  });
});
