// End to end in a real browser (issue 13): a paramedic's very first message is a disclosure.
// The bot on real PostgreSQL with the real clock, one Microsoft 365 Agents Playground per person
// (a playground cannot switch user), headless Chromium reading and clicking the rendered
// Adaptive Cards. The very first reply shows the demo organisation's own urgent routes (its
// 24/7 line by name and number, not only 999), then the risk question; the paramedic presses
// "Yes"; the triage channel gets the URGENT card, which never carries the disclosure; the
// specialist who claims it reads the disclosure privately in the details card.
import { describe, expect, it } from 'vitest';
import { DEMO_CONTACTS, DEMO_ORGANISATION, demoPerson } from '../../src/db/demo-organisation.js';
import { claimedNotice } from '../../src/domain/request-lifecycle.js';
import { isWithinServiceHours } from '../../src/domain/service-time.js';
import { LOCAL_TEAM } from '../../src/local/local-mode.js';
import { withPlaygroundRig } from '../support/playground-rig.js';

const DISCLOSURE = 'A child is being hurt right now at the address I attended';
/** Words of the disclosure that must never reach the triage channel. */
const DISCLOSED_WORDS = /being hurt|address I attended/;
const RISK_QUESTION = 'Is anyone at immediate risk of harm right now?';
const ROUTES_HEADING = 'If someone is at immediate risk';
const CUE_NOTE = 'What you wrote sounds as if someone may be at risk now.';

const contact = (kind: (typeof DEMO_CONTACTS)[number]['kind']) => DEMO_CONTACTS.find((c) => c.kind === kind)!;
const emergency = contact('EMERGENCY_SERVICES');
const allHours = contact('OUT_OF_HOURS_LINE');
const dutyLine = contact('DUTY_LINE');
const emergencyDutyTeam = contact('EMERGENCY_DUTY_TEAM');

/** Whether the demo organisation's safeguarding team is on duty at `at` (which routes it gives). */
const onDuty = (at: Date) => isWithinServiceHours(at, DEMO_ORGANISATION.serviceHours, DEMO_ORGANISATION.timeZone);

const rig = withPlaygroundRig();

describe('urgent from the first message in the Agents Playground', () => {
  it('shows the urgent routes in the first reply, alerts the triage channel on "Yes", and gives the disclosure only to the claimer', async () => {
    const db = rig.db;
    const specialist = await rig.open('specialist');
    await specialist.openChannel(LOCAL_TEAM.channelName);

    const staff = await rig.open('paramedic');
    await staff.openPersonalChat();
    const sentAt = new Date();
    await staff.send(DISCLOSURE);

    // The very first reply: the routes card, then the risk question, and no other card before them.
    const question = await staff.waitForCardWithText(RISK_QUESTION, 30_000);
    const cards = staff.page.locator('.ac-adaptiveCard');
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(2);
    const [routesText, questionText] = [await cards.nth(0).innerText(), await cards.nth(1).innerText()];
    expect(routesText).toContain(ROUTES_HEADING);
    expect(routesText).toContain(CUE_NOTE);
    expect(questionText).toContain(RISK_QUESTION);
    expect(await question.getByRole('button', { name: 'Yes, someone is at risk now', exact: true }).isVisible()).toBe(true);
    // The organisation's own routes by name and number, in the order to use them: 999 first, then
    // the duty mobile in office hours, and the 24/7 line (with the Emergency Duty Team out of hours).
    const inHours = onDuty(sentAt) && onDuty(new Date());
    const outOfHours = !onDuty(sentAt) && !onDuty(new Date());
    for (const route of [emergency, allHours]) {
      expect(routesText).toContain(route.label);
      expect(routesText).toContain(route.phone!);
    }
    expect(routesText.indexOf(emergency.phone!)).toBeLessThan(routesText.indexOf(allHours.phone!));
    if (inHours) {
      expect(routesText).toContain(dutyLine.label);
      expect(routesText).toContain(dutyLine.phone!);
      expect(routesText).not.toContain(emergencyDutyTeam.label);
    }
    if (outOfHours) {
      expect(routesText).toContain(emergencyDutyTeam.label);
      expect(routesText).not.toContain(dutyLine.phone!);
    }
    // Nothing is recorded or alerted before the person confirms.
    expect(await db.supervisionRequest.count()).toBe(0);

    // They confirm: the triage channel gets the URGENT card.
    await staff.clickCardAction(RISK_QUESTION, 'Yes, someone is at risk now');
    await staff.waitForCardWithText('I have alerted the safeguarding team', 30_000);
    const request = await db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson('paramedic').email } } });
    expect(request).toMatchObject({ urgency: 'URGENT', immediateRisk: true, summary: DISCLOSURE });
    const headline = `URGENT: ${request.reference} (someone may be at immediate risk)`;
    const triage = await specialist.waitForCardWithText(headline, 30_000);
    const triageText = await triage.innerText();
    expect(triageText).toContain('URGENT: immediate risk');
    expect(triageText).not.toMatch(DISCLOSED_WORDS);

    // The URGENT card has been delivered and nothing else is on its way before the claim: a
    // card update arriving later would re-render the card under the click.
    await expect.poll(() => db.outboundMessage.count({ where: { status: 'PENDING' } }), { timeout: 30_000 }).toBe(0);

    // The specialist claims it: the card shows who, still without the disclosure.
    await specialist.clickCardAction(headline, 'Claim');
    await expect.poll(async () => specialist.card(headline).innerText(), { timeout: 30_000 }).toContain(demoPerson('specialist').name);
    // Every message the claim caused has been delivered (the card update, the details, the
    // requester's notice) before the channel is read for the last time.
    await expect.poll(() => db.outboundMessage.count({ where: { status: 'PENDING' } }), { timeout: 30_000 }).toBe(0);
    expect(await specialist.card(headline).innerText()).not.toMatch(DISCLOSED_WORDS);
    const channelCards = await specialist.page.locator('.ac-adaptiveCard').allInnerTexts();
    expect(channelCards.join('\n')).not.toMatch(DISCLOSED_WORDS);

    // The claimer reads the disclosure privately, in the details card in their personal chat.
    await specialist.openPersonalChat();
    const details = await specialist.waitForCardWithText(`${request.reference}: confidential details`, 30_000);
    expect(await details.innerText()).toContain(DISCLOSURE);
    expect(await db.auditEvent.count({ where: { action: 'request.summary.read', subjectId: request.id } })).toBe(1);

    // And the requester is told who has picked it up.
    // (A plain-text message renders as a span in its bubble, not as a paragraph: found by its exact text.)
    const notice = claimedNotice(request.reference, demoPerson('specialist').name, 'ADVICE');
    await staff.page.getByText(notice, { exact: true }).last().waitFor({ timeout: 30_000 });
  }, 180_000);
});
