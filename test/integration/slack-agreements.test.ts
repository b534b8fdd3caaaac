// Journey 5 on Slack: the agreement offered when a session is confirmed reaches the
// supervisee's DM as Block Kit, and its Sign button (a signed block action) records the
// signature with the Slack platform; after a new version is loaded the old card is refused
// with the new one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as orgCli } from '../../src/cli/org.js';
import { demoPerson, DEMO_ORGANISATION_SLUG } from '../../src/db/demo-organisation.js';
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
    await h.settled(); // the press handled to its end (the signature written, or not)
    const signatures = await h.database.db.signature.findMany();
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatchObject({ agreementId: agreement.id, personId: supervisee.id, signedVersion: 1, platform: 'SLACK' });
    expect(await h.database.db.auditEvent.count({ where: { action: 'agreement.signed', platform: 'SLACK' } })).toBe(1);

    // The trust loads a new version (npm run org): the session is not over, so version 2 is
    // offered now, and the version 1 card, pressed again, is refused with the version 2 card.
    const file = join(mkdtempSync(join(tmpdir(), 'agreement-')), 'individual-v2.md');
    writeFileSync(file, '# Individual Safeguarding Supervision Agreement\n\n- A term added in version 2.\n');
    const err: string[] = [];
    const code = await orgCli(['load-agreement', DEMO_ORGANISATION_SLUG, 'individual', file], { DATABASE_URL: h.database.databaseUrl, DATABASE_SCHEMA: h.database.schema }, { out: () => {}, err: (e) => err.push(e) }, h.clock);
    expect(code, err.join('\n')).toBe(0);
    const renewed = await h.database.db.agreement.findFirstOrThrow({ where: { sessionId: session.id, template: { version: 2 } } });
    expect(await h.database.db.agreement.findUniqueOrThrow({ where: { id: agreement.id } })).toMatchObject({ status: 'SUPERSEDED' });

    h.take();
    await h.press('paramedic', button.action_id, JSON.parse(button.value), { channel: dmChannel('paramedic'), ts: message.args.ts ?? '3.3' });
    const answer = await h.until((c) => named(c, 'chat.postMessage').some((p) => signButton(p)));
    const after = named(answer, 'chat.postMessage').filter((p) => p.args.channel === dmChannel('paramedic'));
    expect(after.some((p) => String(p.args.text ?? '').includes('has been replaced by version 2, so it can no longer be signed'))).toBe(true);
    expect(JSON.parse(signButton(after.find((p) => signButton(p))!).value)).toEqual({ agreementId: renewed.id, version: 2 });
    await h.settled();
    expect(await h.database.db.signature.count()).toBe(1);
  });
});
