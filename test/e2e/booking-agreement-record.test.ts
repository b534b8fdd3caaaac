// End to end in a real browser: booking, the supervision agreement and the supervision record
// (journeys 4 to 6) clicked in rendered Adaptive Cards in headless Chromium, one Microsoft 365
// Agents Playground per person (a playground cannot switch user), the bot on real PostgreSQL
// with the real clock. A paramedic's request is claimed by a specialist, who proposes a session
// with a second specialist as supervisor from the confidential details card; the supervisor
// confirms it from the proposal card; both sign the agreement; the supervisor writes the record
// with three action points; both sign it; the paramedic marks one of their action points done.
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { DEMO_AGREEMENT_TEMPLATES, demoPerson } from '../../src/db/demo-organisation.js';
import { describeSlot } from '../../src/domain/booking.js';
import { LOCAL_TEAM } from '../../src/local/local-mode.js';
import type { PlaygroundPage } from '../support/playground-page.js';
import { withPlaygroundRig } from '../support/playground-rig.js';

const rig = withPlaygroundRig({ userKeys: ['paramedic', 'specialist', 'specialist-2'] });

const ZONE = 'Europe/London'; // the demo organisation's zone
const SUMMARY = 'A difficult job last week that I would like to talk through in a supervision session.';
const VENUE = 'Room 4, Waterloo HQ';
const DISCUSSION = 'Talked through the job and the referral threshold; the crew acted appropriately.';
const NOTE = 'Booked on the January course';
const names = {
  paramedic: demoPerson('paramedic').name,
  specialist: demoPerson('specialist').name,
  supervisor: demoPerson('specialist-2').name,
};

/** A London calendar date `days` from today, as YYYY-MM-DD. */
const londonDate = (days: number) => DateTime.now().setZone(ZONE).plus({ days }).toISODate()!;

async function personId(key: string) {
  return (await rig.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
}

describe('booking, agreement and record in the Agents Playground', () => {
  it('books a session, has the agreement signed, and completes a record with action points', async () => {
    const ids = { paramedic: await personId('paramedic'), specialist: await personId('specialist'), supervisor: await personId('specialist-2') };
    const db = rig.db;

    const specialist = await rig.open('specialist');
    await specialist.openChannel(LOCAL_TEAM.channelName);
    const staff = await rig.open('paramedic');
    await staff.openPersonalChat();
    // The supervisor has talked to the bot before, so it can reach them in their personal chat.
    const supervisor = await rig.open('specialist-2');
    await supervisor.openPersonalChat();
    await supervisor.send('help');
    await expect.poll(() => db.conversationReference.count({ where: { personId: ids.supervisor } }), { timeout: 30_000 }).toBeGreaterThan(0);

    // Setup (covered in detail by request-triage-advice.test.ts): the paramedic asks for help and
    // the specialist claims it from the triage card; the confidential details arrive privately.
    await staff.send('Hello, I need some advice');
    await staff.clickCardAction('Is anyone at immediate risk of harm right now?', 'No');
    // The first message asked for advice: after the risk question, straight to its details.
    await staff.fillCardInput('Quick advice: a few details', 'A short summary of what you need help with', SUMMARY);
    await staff.clickCardAction('Quick advice: a few details', 'Send request');
    await staff.waitForCardWithText('Your request has been sent');
    const request = await db.supervisionRequest.findFirstOrThrow({ where: { summary: SUMMARY } });
    await specialist.clickCardAction(`New request ${request.reference}`, 'Claim');
    await expect.poll(async () => specialist.card(`New request ${request.reference}`).innerText(), { timeout: 30_000 }).toContain(names.specialist);
    await specialist.openPersonalChat();
    const details = `${request.reference}: confidential details`;
    await specialist.waitForCardWithText(details, 30_000);

    // 1. The specialist proposes a time with the supervisor from the details card.
    const date = londonDate(3);
    const slotStart = DateTime.fromISO(`${date}T10:00`, { zone: ZONE });
    const slotLabel = describeSlot({ startsAt: slotStart.toJSDate(), endsAt: slotStart.plus({ minutes: 60 }).toJSDate() }, ZONE);
    await specialist.clickCardAction(details, 'Book a session');
    await specialist.selectCardChoice(details, 'Supervisor', names.supervisor);
    await specialist.setCardDate(details, 'Date', date);
    await specialist.setCardTime(details, 'Start time', '10:00');
    await specialist.fillCardInput(details, 'Venue (optional)', VENUE);
    await specialist.clickCardAction(details, 'Propose session');

    await expect.poll(() => db.session.count(), { timeout: 30_000 }).toBe(1);
    const proposed = await db.session.findFirstOrThrow({ include: { slots: true, attendees: true } });
    expect(proposed).toMatchObject({ status: 'PROPOSED', requestId: request.id, supervisorId: ids.supervisor, proposedById: ids.specialist, durationMinutes: 60, venue: VENUE });
    expect(proposed.slots.map((s) => s.startsAt)).toEqual([slotStart.toJSDate()]);
    expect(proposed.attendees.map((a) => a.personId)).toEqual([ids.paramedic]);
    const toldProposed = await staff.waitForCardWithText('A supervision session has been proposed', 30_000);
    expect(await toldProposed.innerText()).toContain(slotLabel);

    // 2. The supervisor confirms the time from the proposal card.
    const proposal = `Supervision session proposed (${request.reference})`;
    const proposalCard = await supervisor.waitForCardWithText(proposal, 30_000);
    expect(await proposalCard.innerText()).toContain(names.paramedic);
    expect(await proposalCard.getByRole('radio', { name: slotLabel }).isChecked()).toBe(true);
    await supervisor.clickCardAction(proposal, 'Confirm');
    await expect.poll(async () => supervisor.card(proposal).innerText(), { timeout: 30_000 }).toContain(`Confirmed: ${slotLabel}.`);

    const confirmed = await db.session.findUniqueOrThrow({ where: { id: proposed.id } });
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', startsAt: slotStart.toJSDate(), endsAt: slotStart.plus({ minutes: 60 }).toJSDate() });
    expect((await db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } })).status).toBe('BOOKED');
    for (const page of [staff, specialist]) {
      const card = await page.waitForCardWithText('Supervision session confirmed', 30_000);
      expect(await card.innerText()).toContain(slotLabel);
      // Action.OpenUrl renders as a link with no href (it opens a window when clicked); the
      // invite it opens is checked in test/integration/teams-booking.test.ts.
      await card.getByRole('link', { name: 'Add to calendar' }).waitFor();
      expect(await card.getByRole('button', { name: 'Write the supervision record' }).count()).toBe(0);
    }
    const supervisorSession = await supervisor.waitForCardWithText('Supervision session confirmed', 30_000);
    await supervisorSession.getByRole('button', { name: 'Write the supervision record', exact: true }).waitFor();

    // 3. Both parties sign the agreement, each on their own card.
    const agreementTitle = DEMO_AGREEMENT_TEMPLATES.find((t) => t.kind === 'INDIVIDUAL')!.title;
    for (const page of [staff, supervisor]) {
      const card = await page.waitForCardWithText(agreementTitle, 30_000);
      const text = await card.innerText();
      expect(text).toContain('Version 1');
      expect(text).toContain(slotLabel);
      expect(text).toContain('No one yet');
    }
    await staff.clickCardAction(agreementTitle, 'Sign the agreement');
    await expect.poll(async () => staff.card(agreementTitle).innerText(), { timeout: 30_000 }).toContain('Signed by you on');
    expect(await staff.card(agreementTitle).getByRole('button', { name: 'Sign the agreement' }).count()).toBe(0);
    await supervisor.clickCardAction(agreementTitle, 'Sign the agreement');
    await expect.poll(async () => supervisor.card(agreementTitle).innerText(), { timeout: 30_000 }).toContain('No one: everyone has signed');

    const agreement = await db.agreement.findFirstOrThrow({ where: { sessionId: proposed.id }, include: { signatures: true } });
    expect(agreement.status).toBe('SIGNED');
    expect(agreement.signatures.map((s) => [s.personId, s.signedVersion, s.platform]).sort()).toEqual(
      [[ids.paramedic, 1, 'TEAMS'], [ids.supervisor, 1, 'TEAMS']].sort(),
    );
    const everyone = await staff.waitForCardWithText('Agreement signed by everyone', 30_000);
    expect(await everyone.innerText()).toContain(`Everyone has signed the ${agreementTitle} (version 1).`);

    // 4. The supervisor writes the record. It can only be started once the session has started,
    // and the bot runs on the real clock: move the confirmed session into the past directly in
    // the database (the proposal had to be in the future to pass booking validation).
    const startsAt = DateTime.now().minus({ hours: 2 }).startOf('minute');
    await db.session.update({ where: { id: proposed.id }, data: { startsAt: startsAt.toJSDate(), endsAt: startsAt.plus({ minutes: 60 }).toJSDate() } });
    await supervisor.clickCardAction('Supervision session confirmed', 'Write the supervision record');
    const form = 'Action point 1';
    const formCard = await supervisor.waitForCardWithText(form, 30_000);
    expect(await formCard.innerText()).toContain('Write the supervision record');
    const record = await db.supervisionRecord.findFirstOrThrow({ where: { sessionId: proposed.id } });
    expect(record).toMatchObject({ status: 'DRAFT', supervisorId: ids.supervisor });

    const points = [
      { description: 'Complete level 3 neglect training', owner: names.paramedic, ownerId: ids.paramedic, due: londonDate(14), kind: 'TRAINING_NEED', kindLabel: 'Training and development need identified' },
      { description: 'Book a follow-up supervision session', owner: `${names.supervisor} (supervisor)`, ownerId: ids.supervisor, due: londonDate(7), kind: 'FOLLOW_UP_SUPERVISION', kindLabel: 'Follow-up with further safeguarding supervision' },
      { description: 'Contact the staff wellbeing service', owner: names.paramedic, ownerId: ids.paramedic, due: londonDate(10), kind: 'SIGNPOSTED_TO_SUPPORT', kindLabel: 'Signposted to other staff support' },
    ];
    await supervisor.fillCardInput(form, 'What was discussed (no patient-identifiable detail)', DISCUSSION);
    for (const [i, p] of points.entries()) {
      await supervisor.fillCardInputAt(form, 'What needs to be done', i, p.description);
      await supervisor.selectCardChoiceAt(form, 'By whom', i, p.owner);
      await supervisor.setCardDateAt(form, 'Date for completion', i, p.due);
      await supervisor.selectCardChoiceAt(form, 'Kind', i, p.kindLabel);
    }
    await supervisor.clickCardAction(form, 'Save and send for signing');

    await expect.poll(async () => (await db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id } })).status, { timeout: 30_000 }).toBe('AWAITING_SIGNATURES');
    const saved = await db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id }, include: { actionPoints: { orderBy: { ordinal: 'asc' } } } });
    expect(saved.content).toBe(DISCUSSION);
    expect(saved.actionPoints.map((p) => [p.ordinal, p.description, p.ownerId, p.dueOn.toISOString().slice(0, 10), p.kind, p.status])).toEqual(
      points.map((p, i) => [i + 1, p.description, p.ownerId, p.due, p.kind, 'OPEN']),
    );
    expect((await db.sessionAttendee.findFirstOrThrow({ where: { sessionId: proposed.id } })).attendance).toBe('ATTENDED');
    expect((await db.session.findUniqueOrThrow({ where: { id: proposed.id } })).status).toBe('AWAITING_RECORD');

    // 5. Both sign the record.
    const toSign = 'Supervision record to sign';
    for (const page of [staff, supervisor]) {
      const text = await (await page.waitForCardWithText(toSign, 30_000)).innerText();
      expect(text).toContain(DISCUSSION);
      for (const p of points) expect(text).toContain(p.description);
    }
    expect(await staff.card(toSign).innerText()).toContain(`${names.supervisor} has written the record of your supervision.`);
    await staff.clickCardAction(toSign, 'Sign the record');
    await expect.poll(() => db.signature.count({ where: { recordId: record.id } }), { timeout: 30_000 }).toBe(1);
    expect((await db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id } })).status).toBe('AWAITING_SIGNATURES');
    await supervisor.clickCardAction(toSign, 'Sign the record');
    await expect.poll(async () => (await db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id } })).status, { timeout: 30_000 }).toBe('SIGNED');
    expect((await db.session.findUniqueOrThrow({ where: { id: proposed.id } })).status).toBe('COMPLETED');
    const signed = await db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id }, include: { signatures: true, actionPoints: true } });
    expect(signed.actionPoints).toHaveLength(3);
    expect(signed.signatures.map((s) => [s.personId, s.signedVersion, s.platform]).sort()).toEqual(
      [[ids.paramedic, signed.version, 'TEAMS'], [ids.supervisor, signed.version, 'TEAMS']].sort(),
    );

    // 6. Each owner receives their action points; the paramedic marks one done with a note.
    const yours = 'Your action point from supervision';
    const pointCard = (page: PlaygroundPage, description: string) =>
      page.page.locator('.ac-adaptiveCard').filter({ hasText: yours }).filter({ hasText: description }).last();
    for (const p of [points[0]!, points[2]!]) await pointCard(staff, p.description).waitFor({ timeout: 30_000 });
    await pointCard(supervisor, points[1]!.description).waitFor({ timeout: 30_000 });
    expect(await pointCard(staff, points[1]!.description).count()).toBe(0);
    const first = pointCard(staff, points[0]!.description);
    expect(await first.innerText()).toContain(points[0]!.kindLabel);
    await first.getByRole('button', { name: 'Mark done', exact: true }).first().click(); // opens the note form
    await first.getByRole('textbox', { name: 'Note (optional)' }).click();
    await staff.page.keyboard.type(NOTE);
    await first.getByRole('button', { name: 'Mark done', exact: true }).last().click();

    const done = await staff.waitForCardWithText('Action point done', 30_000);
    expect(await done.innerText()).toContain(points[0]!.description);
    expect(await done.innerText()).toContain('Done');
    const stored = await db.actionPoint.findFirstOrThrow({ where: { recordId: record.id, ordinal: 1 } });
    expect(stored).toMatchObject({ status: 'DONE', doneById: ids.paramedic, doneNote: NOTE });
    expect(await db.actionPoint.count({ where: { recordId: record.id, status: 'OPEN' } })).toBe(2);
    const told = await supervisor.waitForCardWithText(`${names.paramedic} marked an action point done`, 30_000);
    expect(await told.innerText()).toContain(points[0]!.description);
  }, 240_000);
});
