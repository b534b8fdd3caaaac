// End to end, as a newcomer meets it: `npm start` in local mode (src/main.ts in its own process,
// no credentials, a fresh schema) starts one Microsoft 365 Agents Playground per role of the
// design and prints which is which. In headless Chromium: the administrator binds the triage
// channel from their own playground and the specialist's channel keeps receiving triage cards;
// then a journey through the other roles: the supervisor (a second specialist) confirms a
// session proposed to them and records that the paramedic did not attend, the paramedic's line
// manager is told by the scheduler (attendance only), and the Head of Safeguarding's report
// counts it.
import { DateTime } from 'luxon';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { DEMO_TENANT_ID, demoPerson } from '../../src/db/demo-organisation.js';
import { describeSlot } from '../../src/domain/booking.js';
import { LOCAL_TEAM, LOCAL_USERS } from '../../src/local/local-mode.js';
import { DEFAULT_PLAYGROUND_BOT, playgroundIds } from '../../src/local/playground.js';
import { testDatabaseUrl } from '../support/database.js';
import { startLocalModeProcess, type LocalModeProcess } from '../support/local-mode-process.js';
import { launchBrowser, PlaygroundPage } from '../support/playground-page.js';

const ZONE = 'Europe/London'; // the demo organisation's zone
const SUMMARY = 'A call last night keeps coming back to me; I would like a supervision session to talk it through.';
const names = {
  paramedic: demoPerson('paramedic').name,
  specialist: demoPerson('specialist').name,
  supervisor: demoPerson('specialist-2').name,
  head: demoPerson('head').name,
  lineManager: demoPerson('ops-manager').name,
  admin: demoPerson('admin').name,
};

let local: LocalModeProcess;
let db: Db;
let browser: Browser;
const pages = new Map<string, PlaygroundPage>();

/** The page of a role's playground (opened once, kept for the whole file). */
async function as(key: string): Promise<PlaygroundPage> {
  let page = pages.get(key);
  if (!page) {
    page = await PlaygroundPage.open(browser, local.urls.get(key)!, { timeoutMs: 30_000 });
    pages.set(key, page);
  }
  return page;
}

async function personId(key: string): Promise<string> {
  return (await db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
}

/** Every message the bot wrote outside a reply has been delivered (a card update arriving later re-renders a card mid-click). */
async function outboxDrained(): Promise<void> {
  await expect.poll(() => db.outboundMessage.count({ where: { status: 'PENDING' } }), { timeout: 60_000, interval: 500 }).toBe(0);
}

/**
 * The bot's clock. The bot is its own process on the real clock, while CI runs this file a second
 * time with its own clock 400 days ahead (faketime): PostgreSQL's clock is the bot's.
 */
let botClockOffsetMs = 0;
const botNow = () => DateTime.now().plus({ milliseconds: botClockOffsetMs });
const londonDate = (days: number) => botNow().setZone(ZONE).plus({ days }).toISODate()!;

beforeAll(async () => {
  local = await startLocalModeProcess();
  db = createDb(testDatabaseUrl, { schema: local.schema });
  const [{ now }] = await db.$queryRaw<[{ now: Date }]>`SELECT now() AS "now"`;
  botClockOffsetMs = now.getTime() - Date.now();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await db?.$disconnect();
  await local?.stop();
});

describe('every role in local mode', () => {
  it('starts a playground for each role, signed in as that role, and says how to reach the bot in a channel', async () => {
    expect([...local.urls.keys()]).toEqual(['paramedic', 'specialist', 'specialist-2', 'head', 'ops-manager', 'admin']);
    expect(new Set(local.urls.values()).size).toBe(LOCAL_USERS.length);
    for (const user of LOCAL_USERS) {
      const person = demoPerson(user.key);
      // The line names the role, the address and the person.
      expect(local.output).toMatch(new RegExp(`${user.role}\\s+${local.urls.get(user.key)!}\\s+${person.name}, `));
      // The playground is signed in as that person (its configuration's currentUser).
      const { config } = (await (await fetch(`${local.urls.get(user.key)!}/_internal/v1/config`)).json()) as { config?: { currentUser?: { name?: string; aadObjectId?: string } } };
      expect(config?.currentUser).toMatchObject({ name: person.name, aadObjectId: person.aadObjectId });
    }
    expect(local.output).toContain(`In a channel the bot reads only posts that @mention it`);
    expect(local.output).toContain(`"@${DEFAULT_PLAYGROUND_BOT.name} help"`);
    expect(local.output).toContain(`The triage channel is "${LOCAL_TEAM.teamName} - ${LOCAL_TEAM.channelName}", already bound.`);

    // Each role's page shows its own person.
    for (const key of ['head', 'ops-manager']) expect(await (await as(key)).currentUserName()).toBe(demoPerson(key).name);
  }, 120_000);

  it("keeps the triage cards in the specialist's channel when the administrator binds it from their own playground", async () => {
    const { channelId } = playgroundIds(LOCAL_TEAM);
    const specialistOrigin = `${local.urls.get('specialist')!}/_connector`;
    const specialist = await as('specialist');
    await specialist.openChannel(LOCAL_TEAM.channelName);

    const admin = await as('admin');
    await admin.openChannel(LOCAL_TEAM.channelName);
    await admin.send('bind triage');
    // In a channel the bot's reply is a plain message in the post's thread (a role=group with its reply box).
    await admin.page
      .getByRole('group')
      .filter({ has: admin.page.getByRole('button', { name: 'Send Message' }) })
      .filter({ hasText: 'This channel is now the safeguarding triage channel' })
      .first()
      .waitFor({ timeout: 30_000 });
    const binding = await db.triageChannel.findFirstOrThrow({ where: { platform: 'TEAMS' } });
    expect(binding).toMatchObject({ conversationId: channelId, boundById: await personId('admin') });
    expect(await db.auditEvent.count({ where: { action: 'triage-channel.bound', actorId: await personId('admin') } })).toBe(1);
    // The channel is still reached through the specialist's playground.
    const stored = await db.conversationReference.findUniqueOrThrow({ where: { platform_conversationId: { platform: 'TEAMS', conversationId: channelId } } });
    expect(stored.reference).toMatchObject({ serviceUrl: specialistOrigin, conversation: { id: channelId } });
    expect(stored.tenantId).toBe(DEMO_TENANT_ID);

    // A paramedic asks for help: the card reaches the specialist's channel, not the administrator's.
    const staff = await as('paramedic');
    await staff.openPersonalChat();
    await staff.send('Hello, I need some advice');
    await staff.clickCardAction('Is anyone at immediate risk of harm right now?', 'No');
    await staff.fillCardInput('Quick advice: a few details', 'A short summary of what you need help with', SUMMARY);
    await staff.clickCardAction('Quick advice: a few details', 'Send request');
    await staff.waitForCardWithText('Your request has been sent', 30_000);
    const request = await db.supervisionRequest.findFirstOrThrow({ where: { summary: SUMMARY } });
    const card = await specialist.waitForCardWithText(`New request ${request.reference}`, 60_000);
    expect(await card.innerText()).not.toContain(SUMMARY);
    await outboxDrained();
    expect(await admin.page.locator('.ac-adaptiveCard').filter({ hasText: request.reference }).count()).toBe(0);
  }, 240_000);

  it('takes a session through the supervisor, tells the line manager of a missed session, and counts it in the Head\'s report', async () => {
    const ids = { paramedic: await personId('paramedic'), supervisor: await personId('specialist-2'), lineManager: await personId('ops-manager'), head: await personId('head') };
    const request = await db.supervisionRequest.findFirstOrThrow({ where: { summary: SUMMARY } });

    // The supervisor, the line manager and the Head open their playgrounds and say hello: the bot
    // can only write to someone in a playground once it knows their chat there.
    const supervisor = await as('specialist-2');
    const lineManager = await as('ops-manager');
    const head = await as('head');
    for (const page of [supervisor, lineManager, head]) {
      await page.openPersonalChat();
      await page.send('help');
    }
    for (const id of [ids.supervisor, ids.lineManager, ids.head]) {
      await expect.poll(() => db.conversationReference.count({ where: { personId: id, kind: 'PERSONAL' } }), { timeout: 30_000 }).toBeGreaterThan(0);
    }

    // The specialist claims the request and proposes a session with the supervisor.
    const specialist = await as('specialist');
    await specialist.clickCardAction(`New request ${request.reference}`, 'Claim');
    await expect.poll(async () => specialist.card(`New request ${request.reference}`).innerText(), { timeout: 30_000 }).toContain(names.specialist);
    await outboxDrained();
    await specialist.openPersonalChat();
    const details = `${request.reference}: confidential details`;
    await specialist.waitForCardWithText(details, 30_000);
    const date = londonDate(3);
    const slotStart = DateTime.fromISO(`${date}T10:00`, { zone: ZONE });
    const slotLabel = describeSlot({ startsAt: slotStart.toJSDate(), endsAt: slotStart.plus({ minutes: 60 }).toJSDate() }, ZONE);
    await specialist.clickCardAction(details, 'Book a session');
    await specialist.selectCardChoice(details, 'Supervisor', names.supervisor);
    await specialist.setCardDate(details, 'Date', date);
    await specialist.setCardTime(details, 'Start time', '10:00');
    await specialist.clickCardAction(details, 'Propose session');
    await expect.poll(() => db.session.count({ where: { requestId: request.id } }), { timeout: 30_000 }).toBe(1);
    const session = await db.session.findFirstOrThrow({ where: { requestId: request.id } });
    expect(session).toMatchObject({ status: 'PROPOSED', supervisorId: ids.supervisor });

    // The supervisor (not the specialist who booked it) confirms it from the proposal card.
    const proposal = `Supervision session proposed (${request.reference})`;
    expect(await (await supervisor.waitForCardWithText(proposal, 60_000)).innerText()).toContain(names.paramedic);
    await supervisor.clickCardAction(proposal, 'Confirm');
    await expect.poll(async () => supervisor.card(proposal).innerText(), { timeout: 30_000 }).toContain(`Confirmed: ${slotLabel}.`);
    await outboxDrained();

    // After the session (moved into the past: the bot runs on the real clock) the supervisor
    // writes the record: the paramedic did not attend.
    const startsAt = botNow().minus({ hours: 2 }).startOf('minute');
    await db.session.update({ where: { id: session.id }, data: { startsAt: startsAt.toJSDate(), endsAt: startsAt.plus({ minutes: 60 }).toJSDate() } });
    await supervisor.clickCardAction('Supervision session confirmed', 'Write the supervision record');
    const form = 'Action point 1';
    await supervisor.waitForCardWithText(form, 30_000);
    await supervisor.selectCardChoice(form, `Attendance: ${names.paramedic}`, 'Did not attend');
    await supervisor.clickCardAction(form, 'Save and send for signing');
    await expect.poll(async () => (await db.sessionAttendee.findFirstOrThrow({ where: { sessionId: session.id } })).attendance, { timeout: 30_000 }).toBe('DID_NOT_ATTEND');

    // The scheduler tells the paramedic first, then their line manager: attendance only.
    const missed = 'Missed supervision session';
    const told = await (await as('paramedic')).waitForCardWithText(missed, 180_000);
    expect(await told.innerText()).toContain(names.lineManager);
    const nudge = await lineManager.waitForCardWithText(`${names.paramedic} did not attend`, 180_000);
    const nudgeText = await nudge.innerText();
    expect(nudgeText).toContain(missed);
    expect(nudgeText).not.toContain(SUMMARY);
    const sent = await db.reminder.findFirstOrThrow({ where: { kind: 'LINE_MANAGER_NON_ATTENDANCE', recipientId: ids.lineManager } });
    expect(sent.status).toBe('SENT');

    // The Head of Safeguarding asks for a report of the last week: the missed session is counted, no names.
    const command = `report ${londonDate(-7)} to ${londonDate(0)}`;
    await head.send(command);
    // (Case-sensitive: the help card already there says "the last complete quarter's supervision report: ...".)
    const report = head.page.locator('.ac-adaptiveCard').filter({ hasText: /Supervision report: / }).last();
    await report.waitFor({ timeout: 60_000 });
    const reportText = await report.innerText();
    expect(reportText).toMatch(/Did not attend\s+1/);
    expect(reportText).not.toContain(names.paramedic);
    expect(await db.auditEvent.count({ where: { action: 'report.export', actorId: ids.head } })).toBe(1);
  }, 480_000);
});
