// "failed reminders" on Teams over real HTTP: administrators list the reminders that could not be
// delivered (no content, only kind, recipient, due time, attempts and error class; the listing
// is audited) and retry them; everyone else is refused and changes nothing. A retried reminder's
// old failed job is released so the next sweep's reconcile queues it again (real Redis).
import { randomBytes, randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { cardToBlocks } from '../../src/channels/slack/block-kit.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { describeFailure } from '../../src/flows/failed-reminders.js';
import { JobName, REMINDER_QUEUE, reminderJobId } from '../../src/scheduler/jobs.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { reconcileQueue, type ReminderQueue } from '../../src/scheduler/reconcile.js';
import { releaseRetriedJobs } from '../../src/scheduler/release-retried.js';
import { cardOf, personalConversationId, visibleTexts, type ConnectorCall, type TeamsHarness, startTeamsHarness } from '../support/teams-harness.js';
import { eventually } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const prefix = `failed-reminders-test-${randomBytes(4).toString('hex')}`;

let h: TeamsHarness;
let queue: ReminderQueue;
const ids: Record<string, string> = {};
const reminders: Record<'unreachable' | 'platform' | 'quiet' | 'sent' | 'foreign', string> = {} as never;
const SUBJECT_TEXT = 'Speak to the duty team about the referral threshold';

const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(`/v3/conversations/${personalConversationId(key)}/activities`));
const audits = (action: string) => h.database.db.auditEvent.count({ where: { action } });

async function say(key: string, text: string) {
  h.take();
  await h.message(key, text);
  const calls = toPerson(h.take(), key);
  return { cards: calls.map(cardOf).filter(Boolean), texts: calls.map((c) => c.body.text).filter((t): t is string => typeof t === 'string') };
}

async function press(key: string, data: Record<string, unknown>) {
  h.take();
  const res = await h.action(key, 'reminder.retry', data);
  const calls = toPerson(h.take(), key);
  const value = res.body?.value;
  return {
    status: res.status,
    notice: typeof value === 'string' ? value : calls.map((c) => c.body.text).find((t): t is string => typeof t === 'string'),
    card: value && typeof value === 'object' ? value : undefined,
  };
}

const failedRows = () => h.database.db.reminder.findMany({ where: { status: 'FAILED' }, orderBy: { id: 'asc' } });

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of ['admin', 'paramedic', 'call-handler', 'head']) {
    ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
    await h.message(key, 'help');
  }
  const db = h.database.db;
  const other = await db.organisation.create({ data: { slug: `other-${randomUUID()}`, name: 'Another trust', serviceHours: {}, responseTargets: {} } });
  const now = h.clock.now();
  const failedAt = new Date(now.getTime() - 60_000);
  const row = (data: Record<string, unknown>) =>
    db.reminder.create({
      data: {
        organisationId: h.organisationId,
        kind: 'ACTION_DUE',
        subjectType: 'ActionPoint',
        subjectId: randomUUID(),
        recipientKey: `person:${ids.paramedic}`,
        recipientId: ids.paramedic,
        dueAt: new Date('2026-11-23T09:00:00Z'),
        sendAt: new Date('2026-11-23T09:00:00Z'),
        status: 'FAILED',
        failedAt,
        attempts: 1,
        lastError: 'RecipientUnreachableError',
        ...data,
      } as never,
    });
  reminders.unreachable = (await row({})).id;
  reminders.platform = (
    await row({ kind: 'REQUEST_UNCLAIMED', subjectType: 'SupervisionRequest', recipientKey: `triage:${h.organisationId}`, recipientId: null, attempts: 5, lastError: 'RestError status=503' })
  ).id;
  reminders.quiet = (await row({ kind: 'SESSION_HOUR_BEFORE', subjectType: 'Session', recipientKey: `person:${ids['call-handler']}`, recipientId: ids['call-handler'] })).id;
  reminders.sent = (await row({ status: 'SENT', failedAt: null, lastError: null, sentAt: failedAt })).id;
  reminders.foreign = (await row({ organisationId: other.id, recipientKey: 'person:x', recipientId: null })).id;

  // The unreachable reminder's job sits in the failed set, as the worker leaves it.
  queue = createReminderQueue({ connection, prefix });
  await queue.add(JobName.deliverReminder, { reminderId: reminders.unreachable }, { jobId: reminderJobId(reminders.unreachable), removeOnFail: false });
  const worker = new Worker(
    REMINDER_QUEUE,
    async () => {
      throw new UnrecoverableError('reminder recipient unreachable');
    },
    { connection, prefix },
  );
  const job = (await queue.getJob(reminders.unreachable))!;
  await eventually(() => job.isFailed(), 'the unreachable reminder job to fail');
  await worker.close();
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await h?.close();
});

describe('failed reminders', () => {
  it('refuses anyone but an administrator, and reads nothing', async () => {
    const listed = await audits('reminders.failed-listed');
    for (const key of ['paramedic', 'head']) {
      const { cards, texts } = await say(key, 'failed reminders');
      expect(cards).toEqual([]);
      expect(texts.join(' ')).toContain('Only an administrator can see and retry failed reminders.');
    }
    expect(await audits('reminders.failed-listed')).toBe(listed);
  });

  it("lists the organisation's failed reminders for an administrator, without content, and audits it", async () => {
    const listed = await audits('reminders.failed-listed');
    const { cards } = await say('admin', 'Failed reminders');
    expect(cards).toHaveLength(1);
    const texts = visibleTexts(cards[0]);
    expect(texts).toContain('Failed reminders');
    expect(texts).toEqual(expect.arrayContaining(['Action point due', demoPerson('paramedic').name, 'Unreachable: the recipient has no chat with the bot yet']));
    expect(texts).toEqual(expect.arrayContaining(['Unclaimed request', 'Triage channel', 'Platform error (RestError status=503)', '5']));
    expect(texts).toEqual(expect.arrayContaining(['Session (hour before)', demoPerson('call-handler').name]));
    expect(texts).toContain('23 Nov 2026 09:00'); // due, in the administrator's zone (London, GMT in November)

    const buttons = JSON.stringify(cards[0]).match(/"verb":"reminder\.retry","data":\{"reminderId":"[0-9a-f-]+"\}/g) ?? [];
    expect(buttons).toHaveLength(3);
    const card = JSON.stringify(cards[0]);
    for (const id of [reminders.unreachable, reminders.platform, reminders.quiet]) expect(card).toContain(id);
    for (const hidden of [reminders.sent, reminders.foreign, SUBJECT_TEXT]) expect(card).not.toContain(hidden);

    expect(await audits('reminders.failed-listed')).toBe(listed + 1);
    const entry = await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'reminders.failed-listed' }, orderBy: { id: 'desc' } });
    expect(entry).toMatchObject({ actorId: ids.admin, subjectType: 'organisation', subjectId: h.organisationId, detail: { listed: 3, total: 3 } });

    // The same card translates to Block Kit for Slack, with a Retry button per reminder.
    const data = { count: 1, total: 1, more: false, reminders: [{ reminderId: reminders.platform, kind: 'Unclaimed request', recipient: 'Triage channel', due: 'x', attempts: '5', error: 'y' }] };
    const blocks = JSON.stringify(cardToBlocks(renderAdaptiveCard({ template: 'failed-reminders', data }), 'message'));
    expect(blocks).toMatch(/"action_id":"reminder\.retry[^"]*"/);
    expect(blocks).toContain(reminders.platform);
    const empty = JSON.stringify(cardToBlocks(renderAdaptiveCard({ template: 'failed-reminders', data: { count: 0, total: 0, more: false, reminders: [] } }), 'message'));
    expect(empty).toContain('No failed reminders');
    expect(empty).not.toContain('reminder.retry');
  });

  it('refuses a retry from a non-administrator, a forged id and another organisation’s reminder, changing nothing', async () => {
    const before = JSON.stringify(await failedRows());
    const retried = await audits('reminder.retried');
    expect((await press('paramedic', { reminderId: reminders.unreachable })).notice).toContain('Only an administrator');
    expect((await press('admin', { reminderId: reminders.foreign })).notice).toMatch(/can't find that reminder/);
    expect((await press('admin', { reminderId: "x' OR 1=1" })).notice).toMatch(/can't find that reminder/);
    expect((await press('admin', {})).notice).toMatch(/can't find that reminder/);
    expect((await press('admin', { reminderId: reminders.sent })).notice).toMatch(/no longer failed/);
    expect(JSON.stringify(await failedRows())).toBe(before);
    expect(await audits('reminder.retried')).toBe(retried);
  });

  it('retries a failed reminder: PENDING again, due now, audited, and the list updated for the administrator', async () => {
    const result = await press('admin', { reminderId: reminders.unreachable });
    expect(result.status).toBe(200);
    expect(result.notice).toMatch(/Action point due reminder queued again: it will be sent within about a minute/);
    expect(JSON.stringify(result.card)).not.toContain(reminders.unreachable);
    expect(JSON.stringify(result.card)).toContain(reminders.platform);

    const row = await h.database.db.reminder.findUniqueOrThrow({ where: { id: reminders.unreachable } });
    expect(row).toMatchObject({ status: 'PENDING', attempts: 0, failedAt: null, lastError: 'RecipientUnreachableError' });
    expect(row.sendAt).toEqual(h.clock.now());
    const audit = await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'reminder.retried' } });
    expect(audit).toMatchObject({ actorId: ids.admin, subjectType: 'reminder', subjectId: reminders.unreachable, detail: { kind: 'ACTION_DUE', previousAttempts: 1 } });

    // A second press (or a second administrator) changes nothing more.
    expect((await press('admin', { reminderId: reminders.unreachable })).notice).toMatch(/no longer failed/);
    expect(await h.database.db.auditEvent.count({ where: { action: 'reminder.retried' } })).toBe(1);
  });

  it('keeps a non-urgent retried reminder out of the recipient’s quiet hours', async () => {
    const result = await press('admin', { reminderId: reminders.quiet });
    expect(result.notice).toMatch(/after the recipient's quiet hours \(23 Nov 15:00\)/);
    const row = await h.database.db.reminder.findUniqueOrThrow({ where: { id: reminders.quiet } });
    expect(row.status).toBe('PENDING');
    expect(row.sendAt.toISOString()).toBe('2026-11-23T15:00:00.000Z');
  });

  it("releases the retried reminder's failed job so reconcile queues it again", async () => {
    const now = h.clock.now();
    const job = await queue.getJob(reminders.unreachable);
    expect(await job!.getState()).toBe('failed');
    // Without the release, the failed job's id blocks the add: the reminder would wait for ever.
    await reconcileQueue(h.database.db, queue, { now, horizonMs: 60_000 });
    expect(await (await queue.getJob(reminders.unreachable))!.getState()).toBe('failed');

    expect(await releaseRetriedJobs(h.database.db, queue, new Date(now.getTime() + 60_000))).toBe(1);
    await reconcileQueue(h.database.db, queue, { now, horizonMs: 60_000 });
    const requeued = await queue.getJob(reminders.unreachable);
    expect(['waiting', 'delayed']).toContain(await requeued!.getState());
    expect(requeued!.data).toEqual({ reminderId: reminders.unreachable });
    expect(await releaseRetriedJobs(h.database.db, queue, new Date(now.getTime() + 60_000))).toBe(0);
  });
});

describe('describeFailure', () => {
  it('says the usual failures plainly and passes other error classes through', () => {
    expect(describeFailure('RecipientUnreachableError')).toMatch(/^Unreachable/);
    expect(describeFailure('RestError status=429')).toMatch(/^Rate limited/);
    expect(describeFailure('TypeError code=ECONNRESET')).toBe('TypeError code=ECONNRESET');
    expect(describeFailure(null)).toBe('—');
  });
});
