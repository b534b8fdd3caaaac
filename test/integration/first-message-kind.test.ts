// A first message that names a kind of help (issue 13, "nobody types twice"), on Teams and on
// Slack over real HTTP with the platform intercepted: "I'd like some advice about a call" or
// "can I book a supervision session" is not asked the kind of help again. The risk question
// still comes first, always; after "no" the person goes straight to that kind's details, with
// their first message (checked for patient-identifiable detail) as the draft summary, and told
// how to change the kind. A risk cue in the same message still shows the urgent routes first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { toSlackMessage } from '../../src/channels/slack/slack-channel.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, startSlackHarness, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import { cardOf, personalConversationId, startTeamsHarness, TRIAGE_CHANNEL, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

const ASKS_ADVICE = "I'd like some advice about a call";
const BOOKS_SESSION = 'can I book a supervision session';
/** Names advice and says enough of its own to be kept as the summary, with a postcode to leave out. */
const ADVICE_WITH_DETAIL = "I'd like some advice about a call where the mum at SE1 7PB seemed frightened of her partner";
const ADVICE_WITH_DETAIL_KEPT = "I'd like some advice about a call where the mum at [postcode left out] seemed frightened of her partner";
/** Names advice and discloses a risk now. */
const ADVICE_AND_RISK = 'I need advice, a child is being hurt right now at the house';

const KIND_QUESTION = 'What kind of help do you need?';
const ROUTES_HEADING = 'If someone is at immediate risk';
const CUE_ROUTES_NOTE =
  'What you wrote sounds as if someone may be at risk now. Answer the question below and I will alert the safeguarding team straight away.';
const ADVICE_HEADING = 'Quick advice: a few details';
const SESSION_HEADING = 'Supervision session: a few details';
const HEARD_ADVICE = 'You asked for quick advice. If you need another kind of help, type "session", "child death" or "emotional impact".';
const HEARD_SESSION = 'You asked for a supervision session. If you need another kind of help, type "advice", "child death" or "emotional impact".';
const PREFILLED = 'I have put what you wrote in the summary below: change it as you like before you send it.';
const LEFT_OUT = 'I left out what looked like a postcode: please keep anything that could identify a patient out of it.';

const first = (key: string) => demoPerson(key).name.split(' ')[0];
const greeting = {
  advice: (key: string) => `Hello ${first(key)}. I'm the safeguarding supervision bot: I'll pass your request for quick advice to the safeguarding team. First, one question.`,
  session: (key: string) =>
    `Hello ${first(key)}. I'm the safeguarding supervision bot: I'll pass your request for a supervision session to the safeguarding team. First, one question.`,
  cue: (key: string) => `Hello ${first(key)}. Please confirm, so that I can alert the safeguarding team at once:`,
};

/** Every input of a card by id, with its value. */
function inputs(card: unknown): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (typeof n.type === 'string' && n.type.startsWith('Input.') && typeof n.id === 'string') found[n.id] = n.value;
    Object.values(n).forEach(walk);
  };
  walk(card);
  return found;
}

// ------------------------------------------------------------------------------------------
describe('on Teams', () => {
  let h: TeamsHarness;
  beforeAll(async () => {
    h = await startTeamsHarness();
    await h.message('admin', 'bind triage', 'channel');
  });
  afterAll(async () => {
    await h?.close();
  });

  const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(`/v3/conversations/${personalConversationId(key)}/activities`));
  const toTriage = (calls: ConnectorCall[]) => calls.filter((c) => c.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL}/activities`));
  const riskCard = (intro: string) => renderAdaptiveCard({ template: 'intake-risk', data: { intro } });
  const draftOf = (key: string) => h.database.db.requestDraft.findFirst({ where: { person: { email: demoPerson(key).email } } });
  const requestsOf = (key: string) => h.database.db.supervisionRequest.findMany({ where: { requester: { email: demoPerson(key).email } } });
  async function say(key: string, text: string) {
    h.take();
    await h.message(key, text);
    return toPerson(h.take(), key);
  }
  async function press(key: string, verb: string, data: Record<string, unknown>) {
    h.take();
    await h.action(key, verb, data);
    return h.take();
  }

  it('"advice" in the first message: the risk question first, then the advice details without asking the kind again', async () => {
    const replies = await say('paramedic', ASKS_ADVICE);
    expect(replies.map(cardOf)).toEqual([riskCard(greeting.advice('paramedic'))]);
    expect(await draftOf('paramedic')).toMatchObject({ step: 'risk', data: { helpType: 'ADVICE' } });

    const [details, ...more] = toPerson(await press('paramedic', 'intake.risk', { answer: 'no' }), 'paramedic');
    expect(more).toEqual([]);
    const card = cardOf(details);
    expect(card.body[0].text).toBe(ADVICE_HEADING);
    expect(visibleTexts(card.body)).toContain(HEARD_ADVICE);
    expect(JSON.stringify(card)).not.toContain(KIND_QUESTION);
    expect(await draftOf('paramedic')).toMatchObject({ step: 'details', data: { immediateRisk: false, helpType: 'ADVICE' } });

    // The kind taken from their words is changed by typing another, as the card says.
    const [session] = await say('paramedic', 'a session instead');
    expect(cardOf(session).body[0].text).toBe(SESSION_HEADING);
    expect(await draftOf('paramedic')).toMatchObject({ step: 'details', data: { helpType: 'SESSION' } });
  });

  it('"book a supervision session" in the first message: the session details (with the format) after the risk question', async () => {
    const replies = await say('call-handler', BOOKS_SESSION);
    expect(replies.map(cardOf)).toEqual([riskCard(greeting.session('call-handler'))]);
    const [details, ...more] = toPerson(await press('call-handler', 'intake.risk', { answer: 'no' }), 'call-handler');
    expect(more).toEqual([]);
    const card = cardOf(details);
    expect(card.body[0].text).toBe(SESSION_HEADING);
    expect(visibleTexts(card.body)).toContain(HEARD_SESSION);
    expect(Object.keys(inputs(card))).toContain('format');

    await press('call-handler', 'intake.details', { format: 'INDIVIDUAL', summary: 'A job that keeps coming back to me.', acknowledged: 'no' });
    expect(await requestsOf('call-handler')).toMatchObject([{ helpType: 'SESSION', route: 'SUPERVISION', format: 'INDIVIDUAL', urgency: 'ROUTINE' }]);
  });

  it('the first message is still the draft summary, checked, on the details card it leads to', async () => {
    await say('clinician-111', ADVICE_WITH_DETAIL);
    const draft = await draftOf('clinician-111');
    expect(draft).toMatchObject({ step: 'risk', data: { helpType: 'ADVICE', summary: ADVICE_WITH_DETAIL_KEPT, leftOut: ['POSTCODE'] } });
    expect(JSON.stringify(draft)).not.toContain('SE1 7PB');

    const [details] = toPerson(await press('clinician-111', 'intake.risk', { answer: 'no' }), 'clinician-111');
    const card = cardOf(details);
    expect(card.body[0].text).toBe(ADVICE_HEADING);
    expect(inputs(card).summary).toBe(ADVICE_WITH_DETAIL_KEPT);
    expect(visibleTexts(card.body)).toEqual(expect.arrayContaining([HEARD_ADVICE, `${PREFILLED} ${LEFT_OUT}`]));

    await press('clinician-111', 'intake.details', { summary: ADVICE_WITH_DETAIL_KEPT, acknowledged: 'no' });
    expect(await requestsOf('clinician-111')).toMatchObject([{ helpType: 'ADVICE', route: 'ADVICE', summary: ADVICE_WITH_DETAIL_KEPT }]);
  });

  it('a kind of help and a risk in the same first message: the urgent routes first, the risk question, then after "yes" the alert and the advice details', async () => {
    const [routes, question, ...more] = await say('mh-nurse', ADVICE_AND_RISK);
    expect(more).toEqual([]);
    expect(visibleTexts(cardOf(routes).body)[0]).toBe(ROUTES_HEADING);
    expect(visibleTexts(cardOf(routes).body).at(-1)).toBe(CUE_ROUTES_NOTE);
    expect(cardOf(question)).toEqual(riskCard(greeting.cue('mh-nurse')));
    expect(await requestsOf('mh-nurse')).toEqual([]);

    const calls = await press('mh-nurse', 'intake.risk', { answer: 'yes' });
    const [alert] = toTriage(calls);
    expect(cardOf(alert).body[0].items[0].text).toMatch(/^URGENT: SGS-2026-\d{4} \(someone may be at immediate risk\)$/);
    const [alerted, details, ...others] = toPerson(calls, 'mh-nurse');
    expect(others).toEqual([]);
    expect(visibleTexts(cardOf(alerted).body)[0]).toBe(ROUTES_HEADING);
    expect(cardOf(details).body[0].text).toBe(ADVICE_HEADING);
    expect(await requestsOf('mh-nurse')).toMatchObject([{ urgency: 'URGENT', immediateRisk: true }]);
  });

  it('a kind of help named but negated is not taken: "not a session, just advice" is advice', async () => {
    await say('ebs', "I don't want a session, just some advice");
    expect(await draftOf('ebs')).toMatchObject({ step: 'risk', data: { helpType: 'ADVICE' } });
  });

  it('a first message that names no kind still asks it after the risk question', async () => {
    await say('ops-manager', 'hello');
    expect((await draftOf('ops-manager'))!.data).toEqual({});
    const [kind] = toPerson(await press('ops-manager', 'intake.risk', { answer: 'no' }), 'ops-manager');
    expect(visibleTexts(cardOf(kind).body)).toContain(KIND_QUESTION);
  });
});

// ------------------------------------------------------------------------------------------
describe('on Slack', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
    await h.command('admin', 'bind triage', SLACK_TRIAGE);
    await h.until((c) => c.some((call) => call.method === 'chat.postMessage'));
    await h.delivered();
  });
  afterAll(async () => {
    await h?.close();
  });

  const posts = (calls: SlackCall[], channel: string) => calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel);
  const strings = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];
  const riskMessage = (intro: string) => {
    const { text, blocks } = toSlackMessage({ card: { template: 'intake-risk', data: { intro } } });
    return { text, blocks };
  };
  const draftOf = (key: string) => h.database.db.requestDraft.findFirst({ where: { person: { email: demoPerson(key).email } } });
  const summaryInput = (post: SlackCall | undefined) => post?.args.blocks.find((b: any) => b.type === 'input' && b.block_id === 'summary')?.element;
  /** Everything the bot sent after a DM or a press: the turn runs after Slack's ack. */
  async function after(act: () => Promise<unknown>, key: string): Promise<SlackCall[]> {
    h.take();
    await act();
    const calls = await h.until((c) => posts(c, dmChannel(key)).length >= 1);
    await h.delivered();
    return [...calls, ...h.take()];
  }
  const say = async (key: string, text: string) => posts(await after(() => h.dm(key, text), key), dmChannel(key));
  const press = (key: string, actionId: string, value: Record<string, unknown>) => after(() => h.press(key, actionId, value), key);

  it('"advice" in the first message: the risk question first, then the advice details without asking the kind again', async () => {
    const [question, ...more] = await say('paramedic', ASKS_ADVICE);
    expect(more).toEqual([]);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.advice('paramedic')));

    const [details, ...others] = posts(await press('paramedic', 'intake.risk#2', { answer: 'no' }), dmChannel('paramedic'));
    expect(others).toEqual([]);
    expect(strings(details!.args.blocks)).toContain(ADVICE_HEADING);
    expect(strings(details!.args.blocks).join('\n')).toContain(HEARD_ADVICE);
    expect(strings(details!.args.blocks).join('\n')).not.toContain(KIND_QUESTION);
    expect(await draftOf('paramedic')).toMatchObject({ step: 'details', data: { immediateRisk: false, helpType: 'ADVICE' } });
  });

  it('"book a supervision session" in the first message: the session details after the risk question', async () => {
    const [question] = await say('call-handler', BOOKS_SESSION);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.session('call-handler')));
    const [details] = posts(await press('call-handler', 'intake.risk#2', { answer: 'no' }), dmChannel('call-handler'));
    expect(strings(details!.args.blocks)).toContain(SESSION_HEADING);
    expect(strings(details!.args.blocks).join('\n')).toContain(HEARD_SESSION);
    expect(await draftOf('call-handler')).toMatchObject({ step: 'details', data: { helpType: 'SESSION' } });
  });

  it('the first message is still the draft summary, checked, in the details message it leads to', async () => {
    await say('clinician-111', ADVICE_WITH_DETAIL);
    const [details] = posts(await press('clinician-111', 'intake.risk#2', { answer: 'no' }), dmChannel('clinician-111'));
    expect(strings(details!.args.blocks)).toContain(ADVICE_HEADING);
    expect(summaryInput(details)).toMatchObject({ type: 'plain_text_input', initial_value: ADVICE_WITH_DETAIL_KEPT });
    expect(strings(details!.args.blocks).join('\n')).toContain(`${PREFILLED} ${LEFT_OUT}`);
    expect(JSON.stringify(await draftOf('clinician-111'))).not.toContain('SE1 7PB');
  });

  it('a kind of help and a risk in the same first message: the urgent routes first, then the risk question; after "yes" the advice details', async () => {
    const [routes, question, ...more] = await say('mh-nurse', ADVICE_AND_RISK);
    expect(more).toEqual([]);
    expect(strings(routes!.args.blocks).join('\n')).toContain(ROUTES_HEADING);
    expect(strings(routes!.args.blocks).join('\n')).toContain(CUE_ROUTES_NOTE);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.cue('mh-nurse')));

    const calls = await press('mh-nurse', 'intake.risk#1', { answer: 'yes' });
    expect(strings(posts(calls, SLACK_TRIAGE)).join('\n')).toMatch(/URGENT: SGS-2026-\d{4}/);
    const [alerted, details] = posts(calls, dmChannel('mh-nurse'));
    expect(strings(alerted!.args.blocks).join('\n')).toContain(ROUTES_HEADING);
    expect(strings(details!.args.blocks)).toContain(ADVICE_HEADING);
  });
});
