// Every kind of reminder (issue 5) against real PostgreSQL and Redis: mandatory cadence,
// agreements awaiting signature, contract reviews, rebooking after a cancellation and
// non-attendance (the supervisee told first, then the line manager). Facts → sweep → rows with
// the right recipients and due times; a subject gone → CANCELLED, never sent; a newer reminder
// about the same thing replaces the earlier card on Teams (PUT to the activity) and on Slack
// (chat.update). Redis keys live under a prefix unique to this file; nothing shared is flushed.
import { randomBytes, randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { DateTime } from 'luxon';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/channels/outbox.js';
import { recordingSender, type Sent } from '../support/recording-sender.js';
import { createSlackSender } from '../../src/channels/slack/slack-channel.js';
import { createServiceUrlPolicy } from '../../src/channels/teams/service-url.js';
import { createTeamsAdapter, createTeamsSender } from '../../src/channels/teams/teams-channel.js';
import type { Reminder } from '../../src/db/generated/client.js';
import { deliverReminder } from '../../src/scheduler/deliver-reminder.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import { resolveReminderTimings } from '../../src/domain/org-settings.js';
import { loadCadenceCandidates, loadGroupCadences } from '../../src/scheduler/reminder-facts.js';
import { upsertReminders } from '../../src/scheduler/reminder-store.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { createReminderSender } from '../../src/scheduler/send-reminder.js';
import { sweepDueFacts } from '../../src/scheduler/sweep.js';
import { withTestDatabase } from '../support/database.js';
import { eventually } from '../support/wait.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const basePrefix = `kinds-test-${randomBytes(4).toString('hex')}`;
const silent = { info() {}, warn() {}, error() {} };
const clock = { now: () => new Date() };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const QUARTER_HOUR = 15 * 60_000;
// A loopback origin (the only kind an unauthenticated sender may call), intercepted by nock.
const SERVICE_URL = 'http://127.0.0.1:47011';
const SLACK_API = 'https://slack.kinds.test';

const t = withTestDatabase();
let organisationId: string;
let prefixCount = 0;
const started: Array<{ scheduler: Scheduler; prefix: string }> = [];


type Role = 'STAFF' | 'SUPERVISOR' | 'LINE_MANAGER' | 'SPECIALIST';

async function person(
  name: string,
  extra: { roles?: Role[]; staffGroupId?: string; lineManagerId?: string; createdAt?: Date; active?: boolean; timeZone?: string; conversation?: 'TEAMS' | 'SLACK' | false } = {},
) {
  const p = await t.db.person.create({
    data: {
      organisationId,
      name,
      email: `${randomUUID()}@example.nhs.uk`,
      roles: extra.roles ?? ['STAFF'],
      timeZone: extra.timeZone ?? 'UTC',
      staffGroupId: extra.staffGroupId ?? null,
      lineManagerId: extra.lineManagerId ?? null,
      active: extra.active ?? true,
      ...(extra.createdAt ? { createdAt: extra.createdAt } : {}),
    },
  });
  const platform = extra.conversation ?? 'TEAMS';
  if (platform) {
    await t.db.conversationReference.create({
      data: {
        platform,
        conversationId: platform === 'TEAMS' ? `a:conv-${p.id}` : `D${p.id.slice(0, 8).toUpperCase()}`,
        kind: 'PERSONAL',
        tenantId: 'tenant',
        personId: p.id,
        reference:
          platform === 'TEAMS'
            ? {
                channelId: 'msteams',
                serviceUrl: SERVICE_URL,
                conversation: { id: `a:conv-${p.id}`, conversationType: 'personal', tenantId: 'tenant' },
                bot: { id: '28:bot', name: 'SG Supervision' },
                user: { id: `29:${p.id}` },
              }
            : { channel: `D${p.id.slice(0, 8).toUpperCase()}`, teamId: 'T0KINDS' },
      },
    });
  }
  return p;
}

/** A session that took place, with each attendee's attendance. */
async function pastSession(startsAt: Date, supervisorId: string, attendance: Record<string, 'ATTENDED' | 'DID_NOT_ATTEND' | 'APOLOGIES'>, type: 'MANDATORY' | 'ON_REQUEST' = 'MANDATORY') {
  return t.db.session.create({
    data: {
      organisationId,
      format: 'INDIVIDUAL',
      type,
      status: 'COMPLETED',
      supervisorId,
      proposedById: supervisorId,
      startsAt,
      endsAt: new Date(startsAt.getTime() + HOUR),
      durationMinutes: 60,
      attendees: { create: Object.entries(attendance).map(([personId, a]) => ({ personId, attendance: a })) },
    },
  });
}

function sinceNow(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** 09:00 UTC on the date of `instant` plus `months` and `days` (what the policy gives in UTC). */
function nineOn(instant: Date, plus: { months?: number; days?: number }): Date {
  return DateTime.fromJSDate(instant, { zone: 'utc' }).startOf('day').plus(plus).set({ hour: 9 }).toJSDate();
}

function deliverDeps(senders: ChannelSender[]) {
  const sender = createReminderSender({ db: t.db, senders, logger: silent, clock });
  return { sender, deps: { db: t.db, send: sender.send, isSubjectLive: sender.isSubjectLive, clock, logger: silent } };
}

async function deliver(senders: ChannelSender[], reminder: Reminder) {
  return deliverReminder(deliverDeps(senders).deps, reminder.id, { attemptsMade: 0, maxAttempts: 3 });
}

const byRecipient = (rows: Reminder[]) => rows.map((r) => `${r.kind} ${r.recipientId}`).sort();

beforeAll(async () => {
  const org = await t.db.organisation.create({
    data: { slug: `kinds-${randomUUID()}`, name: 'Kinds test', serviceHours: {}, responseTargets: {}, timeZone: 'UTC' },
  });
  organisationId = org.id;
});

beforeEach(async () => {
  await t.db.reminder.deleteMany();
  await t.db.postedCard.deleteMany();
  await t.db.signature.deleteMany();
  await t.db.agreement.deleteMany();
  await t.db.agreementTemplate.deleteMany();
  await t.db.actionPoint.deleteMany();
  await t.db.supervisionRecord.deleteMany();
  await t.db.session.deleteMany();
  await t.db.conversationReference.deleteMany();
  await t.db.person.updateMany({ data: { lineManagerId: null } });
  await t.db.supervisorPoolMember.deleteMany();
  await t.db.person.deleteMany();
  await t.db.staffGroup.deleteMany();
});

afterEach(async () => {
  nock.cleanAll();
  for (const { scheduler, prefix } of started.splice(0)) {
    await scheduler.stop();
    const queue = createReminderQueue({ connection, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

afterAll(async () => {
  nock.enableNetConnect();
  for (const { scheduler } of started.splice(0)) await scheduler.stop();
});

describe('mandatory cadence', () => {
  async function quarterlyGroup(poolMemberId?: string) {
    const group = await t.db.staffGroup.create({ data: { organisationId, name: `Quarterly ${randomUUID()}` } });
    await t.db.supervisionRequirement.create({
      data: {
        staffGroupId: group.id,
        kind: 'MANDATORY',
        format: 'INDIVIDUAL',
        supervisorPool: 'NAMED_SUPERVISORS',
        sessionsPerYear: 4,
        durationMinutes: 60,
        ...(poolMemberId ? { poolMembers: { create: [{ personId: poolMemberId }] } } : {}),
      },
    });
    return group;
  }

  it('counts from the last attended session: due soon to the supervisee; overdue to them, then the supervisor, then the line manager', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const named = await person('Nia Named', { roles: ['SUPERVISOR'] });
    const manager = await person('Lee Manager', { roles: ['LINE_MANAGER'] });
    const group = await quarterlyGroup(named.id);
    const onRequest = await t.db.staffGroup.create({ data: { organisationId, name: 'On request' } });
    const inGroup = { staffGroupId: group.id, lineManagerId: manager.id, createdAt: sinceNow(-400 * DAY) };

    const dueSoon = await person('Ada DueSoon', inGroup);
    const adaLast = DateTime.now().minus({ months: 3 }).plus({ days: 10 }).toJSDate();
    await pastSession(adaLast, supervisor.id, { [dueSoon.id]: 'ATTENDED' });

    const overdue = await person('Ben Overdue', inGroup);
    const benLast = DateTime.now().minus({ months: 3, days: 17 }).toJSDate();
    await pastSession(benLast, supervisor.id, { [overdue.id]: 'ATTENDED' });
    // A missed session since does not count as supervision received.
    await pastSession(sinceNow(-10 * DAY), supervisor.id, { [overdue.id]: 'DID_NOT_ATTEND' });

    const recent = await person('Cal Recent', inGroup);
    await pastSession(sinceNow(-30 * DAY), supervisor.id, { [recent.id]: 'ATTENDED' });

    const joined = DateTime.now().minus({ months: 4 }).toJSDate();
    const neverAttended = await person('Dee Never', { ...inGroup, createdAt: joined });
    const otherGroup = await person('Eve Elsewhere', { staffGroupId: onRequest.id, lineManagerId: manager.id, createdAt: sinceNow(-400 * DAY) });
    const inactive = await person('Fay Former', { ...inGroup, active: false });

    const now = new Date();
    const result = await sweepDueFacts(t.db, { now, horizonMs: QUARTER_HOUR });
    // (Ben's missed session 10 days ago also tells him first of the line manager's nudge.)
    // The line managers' overdue reminders wait until each supervisee has been told themselves.
    expect(result.byKind).toEqual({ MANDATORY_DUE: 1, MANDATORY_OVERDUE: 4, LINE_MANAGER_NON_ATTENDANCE: 1 });
    expect((await sweepDueFacts(t.db, { now, horizonMs: QUARTER_HOUR })).created).toBe(0);
    await t.db.reminder.updateMany({
      where: { kind: 'MANDATORY_OVERDUE', subjectId: { in: [overdue.id, neverAttended.id] }, recipientId: { in: [overdue.id, neverAttended.id] } },
      data: { status: 'SENT', sentAt: now },
    });
    expect((await sweepDueFacts(t.db, { now, horizonMs: QUARTER_HOUR })).byKind).toEqual({ LINE_MANAGER_OVERDUE: 2 });
    expect((await sweepDueFacts(t.db, { now, horizonMs: QUARTER_HOUR })).created).toBe(0);

    const rows = await t.db.reminder.findMany({ where: { subjectType: 'Person' } });
    const of = (subject: string) => rows.filter((r) => r.subjectId === subject);
    expect(byRecipient(of(dueSoon.id))).toEqual([`MANDATORY_DUE ${dueSoon.id}`]);
    expect(of(dueSoon.id)[0]!.dueAt).toEqual(nineOn(adaLast, { months: 3, days: -14 }));
    expect(byRecipient(of(overdue.id))).toEqual(
      [`LINE_MANAGER_OVERDUE ${manager.id}`, `MANDATORY_OVERDUE ${overdue.id}`, `MANDATORY_OVERDUE ${supervisor.id}`].sort(),
    );
    const ben = new Map(of(overdue.id).map((r) => [r.recipientId, r.dueAt]));
    expect(ben.get(overdue.id)).toEqual(nineOn(benLast, { months: 3 }));
    expect(ben.get(supervisor.id)).toEqual(nineOn(benLast, { months: 3, days: 7 }));
    expect(ben.get(manager.id)).toEqual(nineOn(benLast, { months: 3, days: 14 }));
    // Never attended: counted from joining; the group's named supervisor stands in for "their supervisor".
    expect(byRecipient(of(neverAttended.id))).toEqual(
      [`LINE_MANAGER_OVERDUE ${manager.id}`, `MANDATORY_OVERDUE ${named.id}`, `MANDATORY_OVERDUE ${neverAttended.id}`].sort(),
    );
    for (const quiet of [recent, otherGroup, inactive]) expect(of(quiet.id)).toEqual([]);

    const sent: Sent[] = [];
    const { sender } = deliverDeps([recordingSender(sent)]);
    const dueDate = DateTime.fromJSDate(adaLast, { zone: 'utc' }).plus({ months: 3 }).setLocale('en-GB').toFormat('cccc d LLLL yyyy');
    await sender.send(of(dueSoon.id)[0]!);
    expect(sent[0]!.message.card!.data).toEqual({
      heading: 'Mandatory supervision due',
      text: `Your mandatory safeguarding supervision is due by ${dueDate}. You arrange it: send “book supervision” to propose a time.`,
      detail: '',
    });
    await sender.send(of(overdue.id).find((r) => r.recipientId === supervisor.id)!);
    expect(String(sent[1]!.message.card!.data.text)).toMatch(/^Ben Overdue's mandatory safeguarding supervision was due on .+\. Last attended: \w+ \d+ \w+ \d{4}\.$/);

    // Every step already due has its reminder now: the next sweeps read nobody again.
    const groups = await loadGroupCadences(t.db);
    const window = { now: new Date(), horizonEnd: sinceNow(QUARTER_HOUR), timings: () => resolveReminderTimings({}) };
    expect(await loadCadenceCandidates(t.db, groups, window)).toEqual([]);
  });

  it('SQL and the policy agree on each step’s instant in the person’s zone, across a clock change', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const manager = await person('Lee Manager', { roles: ['LINE_MANAGER'] });
    const group = await quarterlyGroup();
    const london = await person('Lou London', { staffGroupId: group.id, lineManagerId: manager.id, timeZone: 'Europe/London', createdAt: sinceNow(-800 * DAY) });
    // 00:30 BST on 1 August 2026 is 23:30Z on 31 July: the local date is 1 August, due 1 November (GMT).
    await pastSession(new Date('2026-07-31T23:30:00Z'), supervisor.id, { [london.id]: 'ATTENDED' });
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    const rows = await t.db.reminder.findMany({ where: { subjectId: london.id } });
    const own = rows.find((r) => r.recipientId === london.id)!;
    expect(own.dueAt.toISOString()).toBe('2026-11-01T09:00:00.000Z');
    // Once Lou has been told, the line manager's step is created and nothing is left to read.
    await t.db.reminder.update({ where: { id: own.id }, data: { status: 'SENT', sentAt: new Date() } });
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    expect(await t.db.reminder.count({ where: { subjectId: london.id, kind: 'LINE_MANAGER_OVERDUE', recipientId: manager.id } })).toBe(1);
    const groups = await loadGroupCadences(t.db);
    const window = { now: new Date(), horizonEnd: sinceNow(QUARTER_HOUR), timings: () => resolveReminderTimings({}) };
    expect(await loadCadenceCandidates(t.db, groups, window)).toEqual([]);
  });

  it('reads only chains with a step due: not the compliant, not a finished chain already reminded; a missed one is caught up', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const group = await quarterlyGroup();
    const inGroup = { staffGroupId: group.id, createdAt: sinceNow(-800 * DAY) };
    const reminded = await person('Gil Reminded', inGroup);
    const forgotten = await person('Hal Forgotten', inGroup);
    const compliant = await person('Ivy Compliant', inGroup);
    const longAgo = DateTime.now().minus({ months: 5 }).toJSDate();
    await pastSession(longAgo, supervisor.id, { [reminded.id]: 'ATTENDED', [forgotten.id]: 'ATTENDED' });
    await pastSession(sinceNow(-20 * DAY), supervisor.id, { [compliant.id]: 'ATTENDED' });
    // Gil's chain was reminded when it fell due: to him on the due date, his supervisor a week later.
    const base = { organisationId, kind: 'MANDATORY_OVERDUE' as const, subjectType: 'Person' as const, subjectId: reminded.id };
    await upsertReminders(t.db, [
      { ...base, recipientKey: `person:${reminded.id}`, recipientId: reminded.id, dueAt: nineOn(longAgo, { months: 3 }) },
      { ...base, recipientKey: `person:${supervisor.id}`, recipientId: supervisor.id, dueAt: nineOn(longAgo, { months: 3, days: 7 }) },
    ]);

    const groups = await loadGroupCadences(t.db);
    const now = new Date();
    const candidates = await loadCadenceCandidates(t.db, groups, { now, horizonEnd: new Date(now.getTime() + QUARTER_HOUR), timings: () => resolveReminderTimings({}) });
    expect(candidates.map((c) => c.id)).toEqual([forgotten.id]);
    expect(candidates[0]).toMatchObject({ lastSupervisorId: supervisor.id, lastAttendedAt: longAgo });

    // Hal was never reminded (the matrix came later): the current step is sent now.
    const result = await sweepDueFacts(t.db, { now, horizonMs: QUARTER_HOUR });
    expect(result.byKind).toEqual({ MANDATORY_OVERDUE: 2 });
  });

  it('inside the sweeper’s transaction (as the scheduler runs it) the cadence query runs on that transaction, JIT off', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const group = await quarterlyGroup();
    const staff = await person('Ben Overdue', { staffGroupId: group.id, createdAt: sinceNow(-400 * DAY) });
    await pastSession(DateTime.now().minus({ months: 3, days: 3 }).toJSDate(), supervisor.id, { [staff.id]: 'ATTENDED' });
    const { result, jit } = await t.db.$transaction(async (tx) => {
      const result = await sweepDueFacts(tx as unknown as typeof t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
      const [row] = await tx.$queryRaw<Array<{ jit: string }>>`SELECT current_setting('jit') AS jit`;
      return { result, jit: row!.jit };
    });
    expect(result.byKind).toEqual({ MANDATORY_OVERDUE: 1 });
    expect(jit).toBe('off');
  });

  it('an overdue reminder is cancelled, not sent, once a session has been attended', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const manager = await person('Lee Manager', { roles: ['LINE_MANAGER'] });
    const group = await quarterlyGroup();
    const staff = await person('Ben Overdue', { staffGroupId: group.id, lineManagerId: manager.id, createdAt: sinceNow(-400 * DAY) });
    await pastSession(DateTime.now().minus({ months: 3, days: 17 }).toJSDate(), supervisor.id, { [staff.id]: 'ATTENDED' });
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    // Not yet the line manager: the supervisee has not been told.
    expect(await t.db.reminder.count({ where: { subjectId: staff.id, kind: 'LINE_MANAGER_OVERDUE' } })).toBe(0);
    await t.db.reminder.updateMany({ where: { subjectId: staff.id, kind: 'MANDATORY_OVERDUE', recipientId: staff.id }, data: { status: 'SENT', sentAt: new Date() } });
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    const rows = await t.db.reminder.findMany({ where: { subjectId: staff.id, status: 'PENDING' }, orderBy: { dueAt: 'asc' } });
    expect(rows).toHaveLength(2);

    const sent: Sent[] = [];
    const toManager = rows.find((r) => r.kind === 'LINE_MANAGER_OVERDUE')!;
    expect(await deliver([recordingSender(sent)], toManager)).toBe('sent');
    const card = sent[0]!.message.card!;
    expect(card.data).toMatchObject({ heading: 'Mandatory supervision overdue' });
    expect(String(card.data.text)).toMatch(/^Ben Overdue has not attended mandatory safeguarding supervision that was due on \w+ \d+ \w+ \d{4}\. Last attended: /);
    expect(String(card.data.detail)).toMatch(/^Attendance only/);

    await pastSession(sinceNow(-HOUR), supervisor.id, { [staff.id]: 'ATTENDED' });
    for (const r of rows.filter((x) => x.id !== toManager.id)) expect(await deliver([recordingSender(sent)], r)).toBe('cancelled');
    expect(sent).toHaveLength(1);
    // And the sweep no longer makes any for the old due date.
    expect((await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR })).created).toBe(0);
  });
});

describe('agreements and contracts', () => {
  async function agreement(kind: 'INDIVIDUAL' | 'CONTRACT', supervisorId: string, partyIds: string[], data: { status: 'AWAITING_SIGNATURES' | 'SIGNED'; createdAt?: Date; reviewDue?: Date }) {
    const template = await t.db.agreementTemplate.upsert({
      where: { organisationId_kind_version: { organisationId, kind, version: 1 } },
      create: { organisationId, kind, version: 1, title: kind === 'CONTRACT' ? 'Supervision contract' : 'Agreement', body: 'Text' },
      update: {},
    });
    return t.db.agreement.create({
      data: {
        templateId: template.id,
        supervisorId,
        status: data.status,
        reviewDue: data.reviewDue ?? null,
        ...(data.createdAt ? { createdAt: data.createdAt } : {}),
        parties: { create: partyIds.map((personId) => ({ personId })) },
      },
    });
  }

  it('AGREEMENT_UNSIGNED 24 hours after it was offered, to each party who has not signed; none once they sign', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const staff = await person('Alex Staff');
    const offered = sinceNow(-25 * HOUR);
    const a = await agreement('INDIVIDUAL', supervisor.id, [supervisor.id, staff.id], { status: 'AWAITING_SIGNATURES', createdAt: offered });
    await t.db.signature.create({ data: { personId: supervisor.id, agreementId: a.id, signedVersion: 1, platform: 'TEAMS' } });
    const fresh = await agreement('INDIVIDUAL', supervisor.id, [supervisor.id, staff.id], { status: 'AWAITING_SIGNATURES', createdAt: sinceNow(-2 * HOUR) });

    expect((await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR })).byKind).toEqual({ AGREEMENT_UNSIGNED: 1 });
    const [row] = await t.db.reminder.findMany({ where: { subjectType: 'Agreement' } });
    expect(row).toMatchObject({ kind: 'AGREEMENT_UNSIGNED', subjectId: a.id, recipientId: staff.id, dueAt: new Date(offered.getTime() + DAY) });
    expect(await t.db.reminder.count({ where: { subjectId: fresh.id } })).toBe(0);

    const sent: Sent[] = [];
    const { sender } = deliverDeps([recordingSender(sent)]);
    expect(await sender.isSubjectLive(row!)).toBe(true);
    await sender.send(row!);
    expect(sent[0]!.message.card!.data).toMatchObject({
      heading: 'Agreement to sign',
      text: 'The Individual Safeguarding Supervision Agreement for your supervision with Sam Supervisor is waiting for your signature.',
    });
    await t.db.signature.create({ data: { personId: staff.id, agreementId: a.id, signedVersion: 1, platform: 'TEAMS' } });
    expect(await sender.isSubjectLive(row!)).toBe(false);
  });

  it('CONTRACT_REVIEW to every party 14 days before the review date; cancelled once the contract is superseded', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const staff = await person('Alex Staff');
    const reviewDue = sinceNow(10 * DAY);
    const contract = await agreement('CONTRACT', supervisor.id, [supervisor.id, staff.id], { status: 'SIGNED', reviewDue });
    await agreement('CONTRACT', supervisor.id, [supervisor.id, staff.id], { status: 'SIGNED', reviewDue: sinceNow(60 * DAY) });
    await agreement('INDIVIDUAL', supervisor.id, [supervisor.id, staff.id], { status: 'SIGNED', reviewDue });

    expect((await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR })).byKind).toEqual({ CONTRACT_REVIEW: 2 });
    const rows = await t.db.reminder.findMany({ where: { kind: 'CONTRACT_REVIEW' } });
    expect(rows.every((r) => r.subjectId === contract.id && r.dueAt.getTime() === reviewDue.getTime() - 14 * DAY)).toBe(true);
    expect(rows.map((r) => r.recipientId).sort()).toEqual([supervisor.id, staff.id].sort());

    const sent: Sent[] = [];
    expect(await deliver([recordingSender(sent)], rows[0]!)).toBe('sent');
    expect(String(sent[0]!.message.card!.data.text)).toMatch(/^Your supervision contract with (Sam Supervisor|Alex Staff) is due for review on /);
    await t.db.agreement.update({ where: { id: contract.id }, data: { status: 'SUPERSEDED' } });
    expect(await deliver([recordingSender(sent)], rows[1]!)).toBe('cancelled');
    expect(sent).toHaveLength(1);
  });
});

describe('rebooking after a cancellation', () => {
  it('reminds whoever cancelled, weekly inside the window, without the reason; stops once a session is booked again', async () => {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const staff = await person('Alex Staff');
    const cancelledAt = sinceNow(-8 * DAY);
    const session = await t.db.session.create({
      data: {
        organisationId,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'CANCELLED',
        supervisorId: supervisor.id,
        proposedById: staff.id,
        startsAt: sinceNow(2 * DAY),
        durationMinutes: 60,
        cancelReason: 'Confidential family matter',
        cancelledById: staff.id,
        cancelledAt,
        rebookBy: sinceNow(23 * DAY),
        attendees: { create: [{ personId: staff.id }] },
      },
    });
    // Past its window: nothing.
    await t.db.session.create({
      data: {
        organisationId,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'CANCELLED',
        supervisorId: supervisor.id,
        proposedById: staff.id,
        durationMinutes: 60,
        cancelledById: supervisor.id,
        cancelledAt: sinceNow(-40 * DAY),
        rebookBy: sinceNow(-9 * DAY),
        attendees: { create: [{ personId: staff.id }] },
      },
    });

    expect((await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR })).byKind).toEqual({ REBOOK_AFTER_CANCELLATION: 1 });
    const [row] = await t.db.reminder.findMany();
    expect(row).toMatchObject({ kind: 'REBOOK_AFTER_CANCELLATION', subjectId: session.id, recipientId: staff.id, dueAt: new Date(cancelledAt.getTime() + 7 * DAY) });

    const sent: Sent[] = [];
    const { sender } = deliverDeps([recordingSender(sent)]);
    await sender.send(row!);
    const text = String(sent[0]!.message.card!.data.text);
    expect(text).toMatch(/^You cancelled the supervision session with Sam Supervisor on .+\. Whoever cancels rearranges it: please arrange another session by .+\.$/);
    expect(JSON.stringify(sent[0]!.message)).not.toContain('Confidential');

    await t.db.session.create({
      data: {
        organisationId,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'PROPOSED',
        supervisorId: supervisor.id,
        proposedById: staff.id,
        durationMinutes: 60,
        attendees: { create: [{ personId: staff.id }] },
      },
    });
    expect(await sender.isSubjectLive(row!)).toBe(false);
    expect((await sweepDueFacts(t.db, { now: sinceNow(7 * DAY), horizonMs: QUARTER_HOUR })).created).toBe(0);
  });
});

describe('non-attendance', () => {
  async function missedSession() {
    const supervisor = await person('Sam Supervisor', { roles: ['SUPERVISOR'] });
    const manager = await person('Lee Manager', { roles: ['LINE_MANAGER'] });
    const staff = await person('Alex Staff', { lineManagerId: manager.id });
    const other = await person('Olu Other', { lineManagerId: manager.id });
    const session = await pastSession(sinceNow(-DAY), supervisor.id, { [staff.id]: 'DID_NOT_ATTEND', [other.id]: 'ATTENDED' });
    const completedAt = sinceNow(-20 * HOUR);
    await t.db.supervisionRecord.create({
      data: {
        organisationId,
        kind: 'SESSION',
        sessionId: session.id,
        supervisorId: supervisor.id,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'AWAITING_SIGNATURES',
        content: 'Discussed a child protection case in detail',
        completedAt,
      },
    });
    return { supervisor, manager, staff, session, completedAt };
  }

  it('tells the supervisee first; the line manager only after that notice was sent, with attendance facts only', async () => {
    const { manager, staff, session, completedAt } = await missedSession();
    const first = await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    expect(first.byKind).toEqual({ LINE_MANAGER_NON_ATTENDANCE: 1 });
    const [notice] = await t.db.reminder.findMany();
    expect(notice).toMatchObject({ subjectType: 'SessionAttendee', subjectId: `${session.id}:${staff.id}`, recipientId: staff.id, dueAt: completedAt });

    // Not sent yet (or failed): the line manager is never nudged.
    expect((await sweepDueFacts(t.db, { now: sinceNow(HOUR), horizonMs: QUARTER_HOUR })).created).toBe(0);

    const sent: Sent[] = [];
    expect(await deliver([recordingSender(sent)], notice!)).toBe('sent');
    expect(sent[0]!.message.card!.data).toMatchObject({ heading: 'Missed supervision session' });
    expect(String(sent[0]!.message.card!.data.text)).toMatch(/^You were recorded as not attending your supervision session on .+\. Your line manager, Lee Manager, will be told that you did not attend/);

    const second = await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    expect(second.byKind).toEqual({ LINE_MANAGER_NON_ATTENDANCE: 1 });
    const sentNotice = await t.db.reminder.findUniqueOrThrow({ where: { id: notice!.id } });
    const nudge = await t.db.reminder.findFirstOrThrow({ where: { recipientId: manager.id } });
    expect(nudge.dueAt).toEqual(sentNotice.sentAt);
    expect(nudge.dueAt.getTime()).toBeGreaterThanOrEqual(sentNotice.sentAt!.getTime());

    expect(await deliver([recordingSender(sent)], nudge)).toBe('sent');
    const card = JSON.stringify(sent[1]!.message);
    expect(sent[1]!.message.card!.data.text).toMatch(/^Alex Staff did not attend a safeguarding supervision session on .+\. They have been told that you are being informed\.$/);
    expect(card).not.toContain('child protection');
    expect(card).not.toMatch(/mandatory/i);
    expect(await t.db.reminder.count({ where: { recipientId: { not: null }, subjectType: 'SessionAttendee' } })).toBe(2);
  });

  it('a corrected attendance cancels the notice; a line manager who changed is not nudged', async () => {
    const { staff, session } = await missedSession();
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    const [notice] = await t.db.reminder.findMany();
    const sent: Sent[] = [];
    const { sender } = deliverDeps([recordingSender(sent)]);
    expect(await sender.isSubjectLive(notice!)).toBe(true);
    await t.db.sessionAttendee.update({ where: { sessionId_personId: { sessionId: session.id, personId: staff.id } }, data: { attendance: 'ATTENDED' } });
    expect(await deliver([recordingSender(sent)], notice!)).toBe('cancelled');
    expect(sent).toEqual([]);

    await t.db.sessionAttendee.update({ where: { sessionId_personId: { sessionId: session.id, personId: staff.id } }, data: { attendance: 'DID_NOT_ATTEND' } });
    await t.db.reminder.update({ where: { id: notice!.id }, data: { status: 'SENT', sentAt: new Date() } });
    await sweepDueFacts(t.db, { now: new Date(), horizonMs: QUARTER_HOUR });
    const nudge = await t.db.reminder.findFirstOrThrow({ where: { recipientId: { not: staff.id } } });
    const newManager = await person('Nat NewManager');
    await t.db.person.update({ where: { id: staff.id }, data: { lineManagerId: newManager.id } });
    expect(await deliver([recordingSender(sent)], nudge)).toBe('cancelled');
  });

  it('end to end through the scheduler and Redis: notice sent, then the nudge on a later sweep', async () => {
    const { manager, staff } = await missedSession();
    const sent: Sent[] = [];
    const prefix = `${basePrefix}-${++prefixCount}`;
    const scheduler = await startScheduler({
      db: t.db,
      redisUrl: connection,
      prefix,
      senders: [recordingSender(sent)],
      logger: silent,
      clock,
      horizonMs: QUARTER_HOUR,
      job: { attempts: 3, backoffMs: 10, jitter: 0.5 },
    });
    started.push({ scheduler, prefix });
    const until = (ok: () => Promise<boolean>) => eventually(ok, 'the reminder to be sent');
    await until(async () => (await t.db.reminder.count({ where: { recipientId: staff.id, status: 'SENT' } })) === 1);
    expect(sent.map((s) => s.conversationId)).toEqual([`a:conv-${staff.id}`]);
    await scheduler.runOnce();
    await until(async () => (await t.db.reminder.count({ where: { recipientId: manager.id, status: 'SENT' } })) === 1);
    expect(sent.map((s) => s.conversationId)).toEqual([`a:conv-${staff.id}`, `a:conv-${manager.id}`]);
  });
});

/** Slack's Web API intercepted: every call recorded, answered by `answer`; a sender that uses it. */
function interceptSlack(answer: (method: string, args: Record<string, string>) => Record<string, unknown>) {
  const calls: Array<{ method: string; args: Record<string, string> }> = [];
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  nock(SLACK_API)
    .persist()
    .post(/\/api\/.+/)
    .reply(async (req: Request) => {
      const method = new URL(req.url).pathname.replace('/api/', '');
      const args = Object.fromEntries(new URLSearchParams(await req.text()));
      calls.push({ method, args });
      return [200, answer(method, args)] as const;
    });
  const slack = createSlackSender(new WebClient('xoxb-test', { slackApiUrl: `${SLACK_API}/api/`, retryConfig: { retries: 0 } }));
  return { calls, slack };
}

describe('a newer reminder replaces the earlier card', () => {
  async function actionPoint(ownerId: string, supervisorId: string) {
    const record = await t.db.supervisionRecord.create({
      data: { organisationId, kind: 'SESSION', supervisorId, format: 'INDIVIDUAL', type: 'ON_REQUEST', status: 'SIGNED' },
    });
    return t.db.actionPoint.create({
      data: { recordId: record.id, ordinal: 1, description: 'Read the policy', kind: 'TRAINING_NEED', ownerId, dueOn: new Date(Date.UTC(2026, 11, 1)) },
    });
  }

  async function twoReminders(subjectId: string, recipientId: string) {
    const base = { organisationId, subjectType: 'ActionPoint' as const, subjectId, recipientKey: `person:${recipientId}`, recipientId };
    const [soon] = await upsertReminders(t.db, [{ ...base, kind: 'ACTION_DUE_SOON', dueAt: sinceNow(-2 * DAY) }]);
    const [due] = await upsertReminders(t.db, [{ ...base, kind: 'ACTION_DUE', dueAt: sinceNow(-HOUR) }]);
    return [soon!, due!] as const;
  }

  it('on Teams: the new card is posted, the earlier activity is PUT to a one-line "replaced" card', async () => {
    const supervisor = await person('Sam Supervisor');
    const owner = await person('Olu Owner');
    const point = await actionPoint(owner.id, supervisor.id);
    const [soon, due] = await twoReminders(point.id, owner.id);
    const [forSupervisor] = await upsertReminders(t.db, [
      { organisationId, kind: 'ACTION_OVERDUE', subjectType: 'ActionPoint', subjectId: point.id, recipientKey: `person:${supervisor.id}`, recipientId: supervisor.id, dueAt: sinceNow(-HOUR) },
    ]);

    const calls: Array<{ method: string; path: string; body: any }> = [];
    let seq = 0;
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    const scope = nock(SERVICE_URL).persist();
    const record = (method: string) => async (req: Request) => {
      const text = await req.text();
      calls.push({ method, path: decodeURIComponent(new URL(req.url).pathname), body: text ? JSON.parse(text) : {} });
      return [200, { id: `act-${++seq}` }] as const;
    };
    scope.post(/\/v3\/conversations\/.*\/activities.*/).reply(record('POST'));
    scope.put(/\/v3\/conversations\/.*\/activities\/.*/).reply(record('PUT'));
    const teams = createTeamsSender(
      createTeamsAdapter({ MICROSOFT_APP_ID: undefined, MICROSOFT_APP_PASSWORD: undefined, MICROSOFT_APP_TYPE: 'MultiTenant', MICROSOFT_APP_TENANT_ID: undefined }),
      undefined,
      createServiceUrlPolicy({ authenticated: false }),
    );

    expect(await deliver([teams], soon)).toBe('sent');
    expect(await deliver([teams], forSupervisor!)).toBe('sent');
    expect(calls.map((c) => c.method)).toEqual(['POST', 'POST']);
    const firstId = (await t.db.reminder.findUniqueOrThrow({ where: { id: soon.id } })).platformMessageId!;
    expect(firstId).toBe('act-1');

    expect(await deliver([teams], due)).toBe('sent');
    expect(calls.map((c) => c.method)).toEqual(['POST', 'POST', 'POST', 'PUT']);
    const put = calls[3]!;
    expect(put.path).toBe(`/v3/conversations/a:conv-${owner.id}/activities/${firstId}`);
    const body = put.body.attachments[0].content.body.map((b: { text?: string; inlines?: Array<{ text: string }> }) => b.text ?? b.inlines?.[0]?.text);
    expect(body).toEqual(['Reminder replaced', 'A newer reminder about this has been sent: see the latest message.']);
    expect(calls[2]!.body.attachments[0].content.body[1].inlines[0].text).toBe('Action point due today (Tuesday 1 December).');

    const marked = await t.db.reminder.findUniqueOrThrow({ where: { id: due.id } });
    expect(marked).toMatchObject({ status: 'SENT', platform: 'TEAMS', platformMessageId: 'act-3' });
    const posted = await t.db.postedCard.findMany({ where: { subjectId: point.id }, orderBy: { messageId: 'asc' } });
    expect(posted.map((p) => `${p.purpose} ${p.messageId}`)).toEqual([
      `reminder-replaced:person:${owner.id} act-1`,
      `reminder:person:${supervisor.id} act-2`,
      `reminder:person:${owner.id} act-3`,
    ]);
  });

  it('on Slack: chat.postMessage for the new card, chat.update of the earlier ts', async () => {
    const supervisor = await person('Sam Supervisor', { conversation: 'SLACK' });
    const owner = await person('Olu Owner', { conversation: 'SLACK' });
    const point = await actionPoint(owner.id, supervisor.id);
    const [soon, due] = await twoReminders(point.id, owner.id);

    let ts = 1_800_000_000;
    const { calls, slack } = interceptSlack((method, args) =>
      method === 'chat.postMessage' ? { ok: true, channel: args.channel, ts: `${++ts}.000100` } : { ok: true, channel: args.channel, ts: args.ts },
    );

    expect(await deliver([slack], soon)).toBe('sent');
    expect(await deliver([slack], due)).toBe('sent');
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    const channel = `D${owner.id.slice(0, 8).toUpperCase()}`;
    expect(calls[2]!.args).toMatchObject({ channel, ts: `${1_800_000_001}.000100` });
    expect(calls[2]!.args.text).toContain('Reminder replaced');
    expect(await t.db.reminder.findUniqueOrThrow({ where: { id: due.id } })).toMatchObject({ status: 'SENT', platform: 'SLACK', platformMessageId: `${1_800_000_002}.000100` });
  });

  it('reaches a person with a Slack identity who never wrote to the bot through conversations.open', async () => {
    const supervisor = await person('Sam Supervisor', { conversation: 'SLACK' });
    const owner = await person('Nia Neverwrote', { conversation: false });
    await t.db.platformIdentity.create({ data: { personId: owner.id, platform: 'SLACK', tenantId: 'T0KINDS01', platformUserId: 'U0NEVER01' } });
    const point = await actionPoint(owner.id, supervisor.id);
    const [soon] = await twoReminders(point.id, owner.id);

    const { calls, slack } = interceptSlack((method, args) =>
      method === 'conversations.open' ? { ok: true, channel: { id: 'D0OPENED01' } } : { ok: true, channel: args.channel, ts: '1800000100.000100' },
    );

    expect(await deliver([slack], soon)).toBe('sent');
    expect(calls.map((c) => c.method)).toEqual(['conversations.open', 'chat.postMessage']);
    expect(calls[0]!.args.users).toBe('U0NEVER01');
    expect(calls[1]!.args.channel).toBe('D0OPENED01');
    // The chat is kept for next time: no second conversations.open.
    expect(await t.db.conversationReference.findFirst({ where: { personId: owner.id, kind: 'PERSONAL' } })).toMatchObject({ platform: 'SLACK', conversationId: 'D0OPENED01' });
  });

  it('a failed replacement never fails the send (a retry would send the new card twice)', async () => {
    const owner = await person('Olu Owner');
    const supervisor = await person('Sam Supervisor');
    const point = await actionPoint(owner.id, supervisor.id);
    const [soon, due] = await twoReminders(point.id, owner.id);
    const sent: Sent[] = [];
    const failing: ChannelSender = {
      ...recordingSender(sent),
      async update() {
        throw Object.assign(new Error('Forbidden'), { statusCode: 403 });
      },
    };
    expect(await deliver([failing], soon)).toBe('sent');
    expect(await deliver([failing], due)).toBe('sent');
    expect(sent).toHaveLength(2);
    // The earlier card is still live, so the next reminder tries to replace it again.
    expect((await t.db.postedCard.findMany({ where: { subjectId: point.id } })).map((p) => p.purpose)).toEqual([
      `reminder:person:${owner.id}`,
      `reminder:person:${owner.id}`,
    ]);
  });
});
