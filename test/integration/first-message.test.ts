// Read the first message, safely (issue 13): what a person types is read for risk, a child's
// death and emotional impact before anything is asked, on Teams and on Slack, over real HTTP
// with the platform intercepted. A risk cue puts the organisation's urgent routes in the very
// first reply, then the risk question confirms it; no cue, a denial or words the bot cannot
// read never skip the question; a typed child death leads to the child-death route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { toSlackMessage } from '../../src/channels/slack/slack-channel.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, startSlackHarness, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import { cardOf, personalConversationId, startTeamsHarness, TRIAGE_CHANNEL, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

const DISCLOSURE = 'A child is being hurt right now at the address I attended';
const RISK_QUESTION = 'Is anyone at immediate risk of harm right now?';
const ROUTES_HEADING = 'If someone is at immediate risk';
const CUE_ROUTES_NOTE =
  'What you wrote sounds as if someone may be at risk now. Answer the question below and I will alert the safeguarding team straight away.';
const BABY_DIED = 'I attended a call where a baby died';
const CHILD_DEATH_HEADING = 'Case involving the death of a child: a few details';
const CHILD_DEATH_NOTE = "I'm sorry you have been involved in this. You will be offered a supervision session to reflect on the case.";
// Monday 10:00 in London: in office hours, so 999, then the duty mobile, then the 24/7 line.
const IN_HOURS_ORDER = /999[\s\S]*07990 138855[\s\S]*020 7407 7181/;

const first = (key: string) => demoPerson(key).name.split(' ')[0];
const greeting = {
  cue: (key: string) => `Hello ${first(key)}. Please confirm, so that I can alert the safeguarding team at once:`,
  denied: (key: string) =>
    `Hello ${first(key)}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team. I ask everyone this first, even when they have told me already:`,
  childDeath: (key: string, open = '') =>
    `Hello ${first(key)}. I'm sorry you have been involved in the death of a child. I'll pass your request to the safeguarding team, and you will be offered a supervision session.${open} First, one question.`,
  wordless: (key: string) =>
    `Hello ${first(key)}. I could not see any words in that message, but I can still help: I'll pass your request to the safeguarding team. First, one question.`,
  unreadable: (key: string) =>
    `Hello ${first(key)}. I could not read all of your message (I can only read English), so I have given you the urgent routes in case. Please answer this question:`,
};

/** A pasted wall of case notes, longer than a message may be, with a disclosure in the middle. */
const NOTES = 'Crew attended a flat for an elderly patient with a fall and the family were present. '.repeat(14);
const WALL = `${NOTES}${DISCLOSURE}. ${NOTES.trim()}`;

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
  const requestsOf = (key: string) => h.database.db.supervisionRequest.findMany({ where: { requester: { email: demoPerson(key).email } }, orderBy: { createdAt: 'asc' } });
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

  describe('someone at risk says so in their first message', () => {
    let firstRoutes: any;

    it('gets the urgent routes in the very first reply, then the risk question; nothing is recorded or alerted yet', async () => {
      h.take();
      await h.message('paramedic', DISCLOSURE);
      const calls = h.take();
      const [routes, question, ...more] = toPerson(calls, 'paramedic');
      expect(more).toEqual([]);
      firstRoutes = cardOf(routes);
      const texts = visibleTexts(firstRoutes.body);
      expect(texts[0]).toBe(ROUTES_HEADING);
      expect(texts.join('\n')).toMatch(IN_HOURS_ORDER);
      expect(texts.at(-1)).toBe(CUE_ROUTES_NOTE);
      expect(cardOf(question)).toEqual(riskCard(greeting.cue('paramedic')));
      expect(visibleTexts(cardOf(question).body)).toContain(RISK_QUESTION);

      expect(toTriage(calls)).toEqual([]);
      expect(await requestsOf('paramedic')).toEqual([]);
      const draft = await draftOf('paramedic');
      expect(draft).toMatchObject({ step: 'risk', requestId: null });
      // The words are kept only in the person's draft, as the summary they will not have to type again.
      expect(draft!.data).toEqual({ summary: DISCLOSURE });
    });

    it('when they confirm: the same routes in the same words, the URGENT alert, and the request recorded', async () => {
      const calls = await press('paramedic', 'intake.risk', { answer: 'yes' });
      const [alert] = toTriage(calls);
      expect(cardOf(alert).body[0].items[0].text).toMatch(/^URGENT: SGS-2026-\d{4} \(someone may be at immediate risk\)$/);
      const [routes] = toPerson(calls, 'paramedic');
      // Everything but the last line (what the bot did) is the card the first reply showed.
      expect(cardOf(routes).body.slice(0, -1)).toEqual(firstRoutes.body.slice(0, -1));
      expect(await requestsOf('paramedic')).toMatchObject([{ urgency: 'URGENT', immediateRisk: true }]);
    });
  });

  it('still asks the risk question when the first message says no one is at risk', async () => {
    const replies = await say('call-handler', 'no one is at risk, just want advice');
    expect(replies.map(cardOf)).toEqual([riskCard(greeting.denied('call-handler'))]);
    expect(await draftOf('call-handler')).toMatchObject({ step: 'risk' });
    // Text that is neither yes nor no does not answer it (the kind of help it names is kept for after).
    const again = await say('call-handler', 'just some advice please');
    expect(again.map((c) => c.body.text)).toEqual([
      "Quick advice: I'll come to that next. Please answer the question first: is anyone at immediate risk of harm right now? (yes or no)",
    ]);
    expect(await draftOf('call-handler')).toMatchObject({ step: 'risk' });
  });

  it('asks the risk question first after a neutral message, with no routes', async () => {
    const replies = await say('clinician-111', 'can I book supervision');
    expect(replies).toHaveLength(1);
    expect(visibleTexts(cardOf(replies[0]).body)).toContain(RISK_QUESTION);
    expect(visibleTexts(cardOf(replies[0]).body)).not.toContain(ROUTES_HEADING);
  });

  describe("a child's death, typed", () => {
    it('as the first message: the risk question first, then the child-death route as the button would lead', async () => {
      const replies = await say('mh-nurse', BABY_DIED);
      expect(replies.map(cardOf)).toEqual([riskCard(greeting.childDeath('mh-nurse'))]);
      const [details, ...more] = toPerson(await press('mh-nurse', 'intake.risk', { answer: 'no' }), 'mh-nurse');
      expect(more).toEqual([]);
      const card = cardOf(details);
      expect(card.body[0].text).toBe(CHILD_DEATH_HEADING);
      expect(visibleTexts(card.body)).toContain(CHILD_DEATH_NOTE);
      expect(await draftOf('mh-nurse')).toMatchObject({ step: 'details', data: { immediateRisk: false, helpType: 'CHILD_DEATH' } });

      await press('mh-nurse', 'intake.details', { format: 'EITHER', summary: 'Sudden infant death at home this morning.', acknowledged: 'no' });
      expect(await requestsOf('mh-nurse')).toMatchObject([{ helpType: 'CHILD_DEATH', route: 'SUPERVISION', urgency: 'ROUTINE' }]);
    });

    it('while a request is open: understood as a new request, not "You already have an open request"', async () => {
      const [open] = await requestsOf('mh-nurse');
      const replies = await say('mh-nurse', BABY_DIED);
      expect(replies.map(cardOf)).toEqual([riskCard(greeting.childDeath('mh-nurse', ` Your request ${open!.reference} stays open; I'll start a new one for this.`))]);
      expect(JSON.stringify(replies)).not.toContain('You already have an open request');
      const [details] = toPerson(await press('mh-nurse', 'intake.risk', { answer: 'no' }), 'mh-nurse');
      expect(cardOf(details).body[0].text).toBe(CHILD_DEATH_HEADING);
    });

    it('at the help-type step: taken as the choice, not "Please choose what kind of help you need"', async () => {
      await say('ebs', 'hello');
      const [kind] = toPerson(await press('ebs', 'intake.risk', { answer: 'no' }), 'ebs');
      expect(cardOf(kind)).toEqual(renderAdaptiveCard({ template: 'intake-kind', data: { heading: 'Thank you.' } }));
      const replies = await say('ebs', BABY_DIED);
      expect(replies).toHaveLength(1);
      expect(cardOf(replies[0]).body[0].text).toBe(CHILD_DEATH_HEADING);
      expect(JSON.stringify(replies)).not.toContain('Please choose what kind of help you need');
      expect(await draftOf('ebs')).toMatchObject({ step: 'details', data: { helpType: 'CHILD_DEATH' } });
    });

    it('after "yes": the urgent routes, then the child-death details rather than the choice of help', async () => {
      await say('ops-manager', BABY_DIED);
      const calls = await press('ops-manager', 'intake.risk', { answer: 'yes' });
      const [routes, details] = toPerson(calls, 'ops-manager');
      expect(visibleTexts(cardOf(routes).body)[0]).toBe(ROUTES_HEADING);
      expect(cardOf(details).body[0].text).toBe(CHILD_DEATH_HEADING);
      expect(toTriage(calls)).toHaveLength(1);
    });
  });

  it('shows the routes and asks again when a risk is typed after answering "no"', async () => {
    await say('eoc-manager', 'hello');
    await press('eoc-manager', 'intake.risk', { answer: 'no' });
    const [routes, question] = await say('eoc-manager', 'the kids are being hit right now');
    expect(visibleTexts(cardOf(routes).body)[0]).toBe(ROUTES_HEADING);
    expect(visibleTexts(cardOf(question).body)).toContain(RISK_QUESTION);
    expect(await draftOf('eoc-manager')).toMatchObject({ step: 'risk' });
  });

  it('never takes a typed "no" with a risk in it as the answer', async () => {
    await say('ebs-manager', 'hello');
    const [routes, question] = await say('ebs-manager', 'no, but the kids are home alone');
    expect(visibleTexts(cardOf(routes).body)[0]).toBe(ROUTES_HEADING);
    expect(visibleTexts(cardOf(question).body)).toContain(RISK_QUESTION);
    expect(await draftOf('ebs-manager')).toMatchObject({ step: 'risk' });
  });

  describe('bad input: a clear answer, nothing stored but the draft, the risk question never skipped', () => {
    it('an empty message', async () => {
      const replies = await say('director', '   ');
      expect(replies.map(cardOf)).toEqual([riskCard(greeting.wordless('director'))]);
      expect(await draftOf('director')).toMatchObject({ step: 'risk', data: {} });
    });

    it('emoji only', async () => {
      const replies = await say('head', '😶🙏');
      expect(replies.map(cardOf)).toEqual([riskCard(greeting.wordless('head'))]);
    });

    it('a pasted wall of text: the limit stated, and the disclosure in it still read', async () => {
      expect(WALL.length).toBeGreaterThan(2000);
      const [notice, routes, question, ...more] = await say('specialist-2', WALL);
      expect(more).toEqual([]);
      expect(notice!.body.text).toBe(`That message is ${WALL.length.toLocaleString('en-GB')} characters long. Please keep messages to at most 2,000 characters; I will ask for a short summary on a card.`);
      expect(visibleTexts(cardOf(routes).body).at(-1)).toBe(CUE_ROUTES_NOTE);
      expect(cardOf(question)).toEqual(riskCard(greeting.cue('specialist-2')));
      const draft = await draftOf('specialist-2');
      expect(draft).toMatchObject({ step: 'risk', data: {} });
      expect(await requestsOf('specialist-2')).toEqual([]);
    });

    it('another language: treated as possible risk, so the routes, then the risk question', async () => {
      const [routes, question] = await say('external-supervisor', 'Dzień dobry, potrzebuję pomocy, dziecko jest w niebezpieczeństwie');
      const texts = visibleTexts(cardOf(routes).body);
      expect(texts[0]).toBe(ROUTES_HEADING);
      expect(texts.at(-1)).toBe('I could not read all of your message. If anyone is at risk now, use these routes; then answer the question below.');
      expect(cardOf(question)).toEqual(riskCard(greeting.unreadable('external-supervisor')));
    });
  });
});

// ------------------------------------------------------------------------------------------
describe('on Slack', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
    await h.command('admin', 'bind triage', SLACK_TRIAGE);
    await h.until((c) => c.some((call) => call.method === 'chat.postMessage'));
  });
  afterAll(async () => {
    await h?.close();
  });

  const posts = (calls: SlackCall[], key: string) => calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === dmChannel(key));
  const texts = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(texts) : value && typeof value === 'object' ? Object.values(value).flatMap(texts) : [];
  const riskMessage = (intro: string) => {
    const { text, blocks } = toSlackMessage({ card: { template: 'intake-risk', data: { intro } } });
    return { text, blocks };
  };
  const draftOf = (key: string) => h.database.db.requestDraft.findFirst({ where: { person: { email: demoPerson(key).email } } });
  async function say(key: string, text: string, count: number) {
    h.take();
    await h.dm(key, text);
    return posts(await h.until((c) => posts(c, key).length >= count), key);
  }
  async function press(key: string, actionId: string, value: Record<string, unknown>, count: number) {
    h.take();
    await h.press(key, actionId, value);
    return posts(await h.until((c) => posts(c, key).length >= count), key);
  }

  it('shows the urgent routes in the very first reply to a disclosure, then the risk question', async () => {
    const [routes, question, ...more] = await say('paramedic', 'kid bein hit rn', 2);
    expect(more).toEqual([]);
    const routeTexts = texts(routes!.args.blocks).join('\n');
    expect(routeTexts).toContain(ROUTES_HEADING);
    expect(routeTexts).toMatch(IN_HOURS_ORDER);
    expect(routeTexts).toContain(CUE_ROUTES_NOTE);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.cue('paramedic')));
    expect(h.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === SLACK_TRIAGE)).toHaveLength(1); // the binding's confirmation only
    expect(await h.database.db.supervisionRequest.count()).toBe(0);
    expect(await draftOf('paramedic')).toMatchObject({ step: 'risk' });
  });

  it('still asks the risk question when the first message says no one is at risk', async () => {
    const [question, ...more] = await say('call-handler', "nobody's in danger, just want advice", 1);
    await h.delivered(); // the turn handled to its end and what it wrote sent: nothing more to come
    expect([...more, ...posts(h.take(), 'call-handler')]).toEqual([]);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.denied('call-handler')));
  });

  it("leads a typed child death to the child-death route after the risk question, as the button would", async () => {
    const [question] = await say('mh-nurse', BABY_DIED, 1);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.childDeath('mh-nurse')));
    const [details] = await press('mh-nurse', 'intake.risk#2', { answer: 'no' }, 1);
    expect(texts(details!.args.blocks)).toContain(CHILD_DEATH_HEADING);
    expect(texts(details!.args.blocks).join('\n')).toContain(CHILD_DEATH_NOTE);
    expect(await draftOf('mh-nurse')).toMatchObject({ step: 'details', data: { helpType: 'CHILD_DEATH' } });
  });

  it('understands a child death typed at the help-type step', async () => {
    await say('ebs', 'hello', 1);
    await press('ebs', 'intake.risk#2', { answer: 'no' }, 1);
    const [details, ...more] = await say('ebs', 'we lost a baby on shift last night', 1);
    expect(more).toEqual([]);
    expect(texts(details!.args.blocks)).toContain(CHILD_DEATH_HEADING);
    expect(await draftOf('ebs')).toMatchObject({ step: 'details', data: { helpType: 'CHILD_DEATH' } });
  });

  it('answers emoji only with the risk question, storing only the draft', async () => {
    const [question] = await say('director', '🙏', 1);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.wordless('director')));
    expect(await draftOf('director')).toMatchObject({ step: 'risk', data: {} });
  });

  it('reads a pasted wall of text: the limit stated, the routes, then the risk question', async () => {
    const [notice, routes, question] = await say('specialist-2', WALL, 3);
    expect(notice!.args.text).toBe(`That message is ${WALL.length.toLocaleString('en-GB')} characters long. Please keep messages to at most 2,000 characters; I will ask for a short summary on a card.`);
    expect(texts(routes!.args.blocks).join('\n')).toContain(CUE_ROUTES_NOTE);
    expect({ text: question!.args.text, blocks: question!.args.blocks }).toEqual(riskMessage(greeting.cue('specialist-2')));
    expect(await h.database.db.supervisionRequest.count()).toBe(0);
  });
});
