// `help` where others are, on Slack (issue 13, deliverable 5), over real signed HTTP with the
// Web API and the slash command's response_url intercepted. The bot reads no messages in a
// channel or group DM, so "/supervision help" is how help is asked there: it is answered there,
// to the one who asked only (through the response_url, which reaches them whether the bot is a
// member or not), with what the bot does in that place and always the emergency line; never
// the personal help moved to the DM. "/supervision help" in the DM is still the personal help.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMERGENCY_LINE } from '../../src/domain/help-topics.js';
import { dmChannel, startSlackHarness, TRIAGE_CHANNEL, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

const GROUP_DM = 'G0GROUPDM1';
const GROUP_DM_NAME = 'mpdm-alex.sampleton--jo.example--sam.other-1';
const OTHER_CHANNEL = 'C0OTHER001';

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];

let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
  await h.command('admin', 'bind triage', TRIAGE_CHANNEL);
  await h.until((c) => c.some((call) => call.method === 'chat.postMessage' && call.args.channel === TRIAGE_CHANNEL));
  await h.delivered();
});
afterAll(async () => {
  await h?.close();
});

/** `/supervision <text>` typed by `key` in `channel`: the answers through the response_url, and every other call made. */
async function slash(key: string, text: string, channel: string, channelName?: string): Promise<{ answers: SlackCall[]; others: SlackCall[] }> {
  h.take();
  const res = await h.command(key, text, channel, channelName);
  expect(res.status).toBe(200);
  const calls = await h.until((c) => c.some((call) => call.method === 'response_url' || (call.method === 'chat.postMessage' && call.args.channel === dmChannel(key))));
  await h.delivered();
  const all = [...calls, ...h.take()];
  return { answers: all.filter((c) => c.method === 'response_url'), others: all.filter((c) => c.method !== 'response_url' && c.method !== 'users.info') };
}

describe('/supervision help on Slack', () => {
  it('in a group DM: what the bot does in a group chat, to the one who asked only, with the emergency line', async () => {
    const { answers, others } = await slash('paramedic', 'help', GROUP_DM, GROUP_DM_NAME);
    expect(others).toEqual([]); // nothing posted in the group, nothing sent to the DM
    const [answer, ...more] = answers;
    expect(more).toEqual([]);
    expect(answer!.args.response_type).toBe('ephemeral');
    expect(answer!.args.text).toBe('What I do in a group chat');
    const seen = strings(answer!.args.blocks).join('\n');
    expect(seen).toContain('In a group DM I only answer "/supervision help", to the person who asks');
    expect(seen).toContain('Message me in a direct message with the app, or type "/supervision" and your words anywhere');
    expect(seen).toContain(EMERGENCY_LINE);
    // Not the personal help, and not the triage channel's text.
    expect(seen).not.toMatch(/What I can do for you|my actions|I post a card/);
    // Nothing is started: help takes no request.
    expect(await h.database.db.requestDraft.count()).toBe(0);
  });

  it('in the triage channel: what the bot does there, with the emergency line', async () => {
    const { answers, others } = await slash('specialist', 'help', TRIAGE_CHANNEL);
    expect(others).toEqual([]);
    const [answer] = answers;
    expect(answer!.args).toMatchObject({ response_type: 'ephemeral', text: 'What I do in this channel' });
    const seen = strings(answer!.args.blocks).join('\n');
    expect(seen).toContain('This is the safeguarding triage channel.');
    expect(seen).toContain('On each request card');
    expect(seen).toContain(EMERGENCY_LINE);
  });

  it('in another channel: that it posts and takes nothing there; an administrator is shown the slash command that binds it', async () => {
    const { answers, others } = await slash('admin', 'Help?', OTHER_CHANNEL, 'general');
    expect(others).toEqual([]);
    const seen = strings(answers[0]!.args.blocks).join('\n');
    expect(answers[0]!.args.text).toBe('What I do in this channel');
    expect(seen).toContain('This is not the triage channel, so I post nothing here and take no requests here.');
    expect(seen).toContain('/supervision bind triage');
    expect(seen).toContain(EMERGENCY_LINE);
  });

  it('in the DM: the personal help, as before', async () => {
    const { answers, others } = await slash('paramedic', 'help', dmChannel('paramedic'));
    expect(answers).toEqual([]);
    const [post] = others.filter((c) => c.method === 'chat.postMessage');
    expect(post!.args).toMatchObject({ channel: dmChannel('paramedic'), text: 'What I can do for you' });
    expect(strings(post!.args.blocks).join('\n')).toContain(EMERGENCY_LINE);
  });

  it('anything else typed with /supervision in a group DM still continues in the DM, never in the group', async () => {
    const { answers, others } = await slash('call-handler', 'hello', GROUP_DM, GROUP_DM_NAME);
    expect(answers).toEqual([]);
    expect(others.filter((c) => c.args.channel === GROUP_DM)).toEqual([]);
    const [question] = others.filter((c) => c.method === 'chat.postMessage' && c.args.channel === dmChannel('call-handler'));
    expect(strings(question!.args.blocks).join('\n')).toContain('Is anyone at immediate risk of harm right now?');
  });
});
