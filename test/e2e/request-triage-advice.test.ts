// End to end in a real browser: the bot on real PostgreSQL, one Microsoft 365 Agents
// Playground per person (a playground cannot switch user), headless Chromium clicking the
// rendered Adaptive Cards. A staff member asks for help, the triage card appears in the
// channel, a specialist claims it and gives advice, the staff member receives it, and the
// triage card shows the new state.
import { describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { LOCAL_TEAM } from '../../src/local/local-mode.js';
import { withPlaygroundRig } from '../support/playground-rig.js';

const SUMMARY = 'Crew concerned about a teenager who said she is not safe at home; we referred but I am unsure what else to do.';
const ADVICE = 'You did the right thing. Check the referral was acknowledged and note what she said in her own words.';

const rig = withPlaygroundRig();

describe('request, triage and advice in the Agents Playground', () => {
  it('takes a request from a staff member to advice from a specialist', async () => {
    const specialist = await rig.open('specialist');
    await specialist.openChannel(LOCAL_TEAM.channelName);

    // The staff member asks for help in their personal chat.
    const staff = await rig.open('paramedic');
    await staff.openPersonalChat();
    await staff.send('Hello, I need some advice');
    await staff.clickCardAction('Is anyone at immediate risk of harm right now?', 'No');
    // The first message asked for advice: after the risk question, straight to its details,
    // never asked the kind of help again.
    await staff.waitForCardWithText('Quick advice: a few details');
    expect(await staff.page.locator('.ac-adaptiveCard').filter({ hasText: 'What kind of help do you need?' }).count()).toBe(0);
    await staff.fillCardInput('Quick advice: a few details', 'When can you meet or be called back?', 'Any time after 4pm');
    await staff.fillCardInput('Quick advice: a few details', 'A short summary of what you need help with', SUMMARY);
    await staff.clickCardAction('Quick advice: a few details', 'Send request');
    const confirmation = await staff.waitForCardWithText('Your request has been sent');

    const request = await rig.db.supervisionRequest.findFirstOrThrow({ where: { summary: SUMMARY } });
    expect(await confirmation.innerText()).toContain(request.reference);

    // The triage card appears in the channel, without the summary.
    const triage = await specialist.waitForCardWithText(`New request ${request.reference}`);
    const triageText = await triage.innerText();
    expect(triageText).toContain('Waiting to be claimed');
    expect(triageText).not.toContain('teenager');

    // The specialist claims it: the card shows who claimed it, and the summary arrives privately.
    await specialist.clickCardAction(`New request ${request.reference}`, 'Claim');
    await expect.poll(async () => (await specialist.card(`New request ${request.reference}`).innerText()), { timeout: 30_000 }).toContain(
      demoPerson('specialist').name,
    );
    expect(await specialist.card(`New request ${request.reference}`).innerText()).not.toContain('teenager');

    // Every message the claim caused has been delivered (the card update, the details, the
    // requester's notice): a card update arriving later re-renders the card and folds the form.
    await expect
      .poll(async () => rig.db.outboundMessage.count({ where: { status: 'PENDING' } }), { timeout: 30_000 })
      .toBe(0);

    // ... and gives advice from the card.
    const card = specialist.card(`New request ${request.reference}`);
    const adviceBox = card.getByRole('textbox', { name: 'Advice for the requester' }).or(card.getByPlaceholder('Advice for the requester')).first();
    for (let tries = 0; !(await adviceBox.isVisible()); tries += 1) {
      if (tries === 3) throw new Error('the Give advice form did not open');
      await specialist.clickCardAction(`New request ${request.reference}`, 'Give advice');
      await adviceBox.waitFor({ timeout: 5_000 }).catch(() => undefined);
    }
    await specialist.fillCardInput(`New request ${request.reference}`, 'Advice for the requester', ADVICE);
    await specialist.clickCardAction(`New request ${request.reference}`, 'Send advice');

    // The staff member receives the advice in their chat.
    const advice = await staff.waitForCardWithText('Advice from the safeguarding team', 30_000);
    expect(await advice.innerText()).toContain(ADVICE);

    // The triage card shows the new state.
    await expect.poll(async () => (await specialist.card(`New request ${request.reference}`).innerText()), { timeout: 30_000 }).toContain(
      'Advice given',
    );

    const stored = await rig.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(stored.status).toBe('ADVICE_GIVEN');
    const record = await rig.db.supervisionRecord.findFirstOrThrow({ where: { requestId: request.id } });
    expect(record.content).toBe(ADVICE);
    const reads = await rig.db.auditEvent.count({ where: { action: 'request.summary.read', subjectId: request.id } });
    expect(reads).toBe(1);

    // The claimer's confidential copy reached the specialist's personal chat.
    await specialist.openPersonalChat();
    const detail = await specialist.waitForCardWithText(`${request.reference}: confidential details`, 30_000);
    expect(await detail.innerText()).toContain(SUMMARY);
  }, 180_000);
});
