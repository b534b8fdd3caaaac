// Journey 5 on Slack: the agreement offered when a session is confirmed reaches the
// supervisee's DM as Block Kit, and its Sign button (a signed block action) records the
// signature with the Slack platform.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, slackUserId, startSlackHarness, TEAM_ID, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

let h: SlackHarness;
const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
const buttons = (blocks: any[]) => blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
const signButton = (call: SlackCall) => buttons(call.args.blocks ?? []).find((b: any) => b.action_id === 'agreement.sign');

beforeAll(async () => {
  h = await startSlackHarness(); // Monday 23 November 2026, 10:00 London
});
afterAll(async () => {
  await h.close();
});

describe('agreements on Slack', () => {
  it('sends the agreement to the supervisee as Block Kit and records a signature from the Sign button', async () => {
    const person = (key: string) => h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } });
    const [supervisor, proposer, supervisee] = [await person('specialist-2'), await person('specialist'), await person('paramedic')];
    const startsAt = new Date('2026-11-27T09:30:00Z');
    const session = await h.database.db.session.create({
      data: {
        organisationId: supervisor.organisationId,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        supervisorId: supervisor.id,
        proposedById: proposer.id,
        durationMinutes: 60,
        slots: { create: { startsAt, endsAt: new Date(startsAt.getTime() + 3_600_000) } },
        attendees: { create: { personId: supervisee.id } },
      },
      include: { slots: true },
    });
    await h.interact({
      type: 'block_actions',
      team: { id: TEAM_ID },
      user: { id: slackUserId('specialist-2'), team_id: TEAM_ID },
      channel: { id: dmChannel('specialist-2') },
      message: { ts: '2.2' },
      trigger_id: 't',
      state: { values: { slotId: { slotId: { type: 'radio_buttons', selected_option: { value: session.slots[0]!.id } } } } },
      actions: [{ type: 'button', action_id: 'session.confirm', value: JSON.stringify({ sessionId: session.id, version: session.version }) }],
    });
    const offered = (c: SlackCall[]) => named(c, 'chat.postMessage').filter((p) => p.args.channel === dmChannel('paramedic') && signButton(p));
    const calls = await h.until((c) => offered(c).length === 1);
    const message = offered(calls)[0]!;
    expect(message.args.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Individual (one to one) Safeguarding Supervision Agreement' } });
    const texts = message.args.blocks.flatMap((b: any) => [b.text?.text, ...(b.fields ?? []).map((f: any) => f.text)]).filter(Boolean);
    expect(texts).toContain('*As a Supervisee and Supervisor, we agree to the following:*');
    expect(texts).toContain('*Version*\nVersion 1');
    const button = signButton(message);
    expect(button.text.text).toBe('Sign the agreement');
    const agreement = await h.database.db.agreement.findFirstOrThrow({ where: { sessionId: session.id } });
    expect(JSON.parse(button.value)).toEqual({ agreementId: agreement.id, version: 1 });

    await h.press('paramedic', button.action_id, JSON.parse(button.value), { channel: dmChannel('paramedic'), ts: message.args.ts ?? '3.3' });
    for (let i = 0; i < 100 && (await h.database.db.signature.count()) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const signatures = await h.database.db.signature.findMany();
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatchObject({ agreementId: agreement.id, personId: supervisee.id, signedVersion: 1, platform: 'SLACK' });
    expect(await h.database.db.auditEvent.count({ where: { action: 'agreement.signed', platform: 'SLACK' } })).toBe(1);
  });
});
