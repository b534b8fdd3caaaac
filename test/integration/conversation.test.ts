// A conversation that listens (issue 13, deliverables 2 and 5), on Teams and on Slack over real
// HTTP with the platform intercepted: the first message becomes the draft summary (checked for
// patient-identifiable detail, prefilled and editable); an urgent disclosure reaches the
// claiming specialist privately and never the triage channel; free text at the steps is
// understood or gets a reprompt that says what to type; with a request open a message is offered
// to be added to it or to start a new one; `help` is a card of what this person can do.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { demoPerson, DEMO_TENANT_ID } from '../../src/db/demo-organisation.js';
import { dmChannel, startSlackHarness, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackCall, type SlackHarness } from '../support/slack-harness.js';
import {
  activityFrom,
  cardOf,
  personalConversationId,
  startTeamsHarness,
  textsOf,
  TRIAGE_CHANNEL,
  visibleTexts,
  type ConnectorCall,
  type TeamsHarness,
} from '../support/teams-harness.js';

const FIRST = 'I would like advice about a referral I made for a family I visited today';
const EDITED = 'Advice wanted on a referral for a family I visited today; the father was hostile at the door.';
const WITH_IDS = 'Advice please about a girl at SE1 7PB, DOB 03/04/2019, whose mum was drunk on the call';
const WITH_IDS_KEPT = 'Advice please about a girl at [postcode left out], DOB [date left out], whose mum was drunk on the call';
const URGENT = 'A child is being hurt right now at the flat I attended in E1 6AN';
const URGENT_KEPT = 'A child is being hurt right now at the flat I attended in [postcode left out]';
const ADDITION = 'The mother rang the station again this morning and sounded frightened of him';
const ANOTHER = 'A different family I visited on my last shift needs a referral too';
const PREFILLED = 'I have put what you wrote in the summary below: change it as you like before you send it.';
const LEFT_OUT = 'I left out what looked like a date of birth and a postcode: please keep anything that could identify a patient out of it.';
const KIND_WORDS = 'Press a button, or type "advice", "session", "child death" or "emotional impact". Type "cancel" to stop.';
const EMERGENCY = 'If anyone is in immediate danger, call 999.';
const PASSED_PRIVATELY = 'What you wrote goes to the specialist who picks it up, privately.';
/** The harness clock: Monday 23 November 2026, 10:00 in London. */
const ADDED_AT = 'Added by the requester, Mon 23 Nov 2026, 10:00:';

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

const verbsOf = (card: any): string[] => (card?.actions ?? []).map((a: any) => a.verb);

/** Every log line the bot writes, at the most detailed level. */
function capturedLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => lines.join('') };
}

/** Words from every message typed in these journeys, none of which may reach a log line. */
const TYPED = ['referral I made', 'hostile at the door', 'drunk on the call', 'SE1 7PB', '03/04/2019', 'being hurt', 'E1 6AN', 'mother rang', 'different family'];

// ------------------------------------------------------------------------------------------
describe('on Teams', () => {
  let h: TeamsHarness;
  const logs = capturedLogs();
  beforeAll(async () => {
    h = await startTeamsHarness({ logger: logs.logger });
    await h.message('admin', 'bind triage', 'channel');
    // The specialists have a personal chat with the bot, so private messages can reach them.
    for (const key of ['specialist', 'specialist-2']) await h.message(key, 'help');
    h.take();
  });
  afterAll(async () => {
    await h?.close();
  });

  const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(`/v3/conversations/${personalConversationId(key)}/activities`));
  const toTriage = (calls: ConnectorCall[]) => calls.filter((c) => c.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL}/activities`));
  const draftOf = (key: string) => h.database.db.requestDraft.findFirst({ where: { person: { email: demoPerson(key).email } } });
  const requestOf = (key: string) =>
    h.database.db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson(key).email } }, orderBy: { createdAt: 'desc' } });
  async function say(key: string, text: string) {
    h.take();
    await h.message(key, text);
    return toPerson(h.take(), key);
  }
  async function press(key: string, verb: string, data: Record<string, unknown>, where: 'personal' | 'channel' = 'personal') {
    h.take();
    const res = await h.action(key, verb, data, where);
    return { res, calls: h.take() };
  }

  describe('nobody types twice', () => {
    it('keeps the first message as the draft summary and puts it in the details card to edit', async () => {
      const [question, ...more] = await say('paramedic', FIRST);
      expect(more).toEqual([]);
      expect(visibleTexts(cardOf(question).body)).toContain('Is anyone at immediate risk of harm right now?');
      expect(await draftOf('paramedic')).toMatchObject({ step: 'risk', data: { summary: FIRST } });

      // The first message named the kind of help: after the risk question, straight to its details.
      const [details, ...others] = toPerson((await press('paramedic', 'intake.risk', { answer: 'no' })).calls, 'paramedic');
      expect(others).toEqual([]);
      const card = cardOf(details);
      expect(card.body[0].text).toBe('Quick advice: a few details');
      expect(inputs(card).summary).toBe(FIRST);
      expect(visibleTexts(card.body)).toContain(PREFILLED);
      expect(await h.database.db.supervisionRequest.count({ where: { requester: { email: demoPerson('paramedic').email } } })).toBe(0);
    });

    it('sends what the person made of it, not the first message', async () => {
      const { calls } = await press('paramedic', 'intake.details', { summary: EDITED, availability: 'Any afternoon', acknowledged: 'no' });
      expect(visibleTexts(cardOf(toPerson(calls, 'paramedic')[0]).body)).toContain('Your request has been sent');
      expect(await requestOf('paramedic')).toMatchObject({ summary: EDITED, helpType: 'ADVICE' });
      expect(await draftOf('paramedic')).toBeNull();
    });

    it('with a request open, offers to add a new message to it or start a new one; "add" appends it and tells the claimer privately', async () => {
      const request = await requestOf('paramedic');
      await press('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');

      const [offer, ...more] = await say('paramedic', ADDITION);
      expect(more).toEqual([]);
      const card = cardOf(offer);
      expect(card.body[0].text).toBe(`Add this to ${request.reference}, or start a new request?`);
      expect(visibleTexts(card.body)).toContain(ADDITION);
      expect(card.actions.map((a: any) => [a.title, a.verb, a.data])).toEqual([
        [`Add this to ${request.reference}`, 'intake.add', { requestId: request.id }],
        ['Start a new request', 'intake.start', {}],
      ]);
      expect(JSON.stringify(card)).not.toContain('You already have an open request');
      expect(await draftOf('paramedic')).toMatchObject({ step: 'add-or-new', data: { summary: ADDITION, addTo: request.id } });
      expect((await requestOf('paramedic')).summary).toBe(EDITED);

      const { calls } = await press('paramedic', 'intake.add', { requestId: request.id });
      expect(toPerson(calls, 'paramedic').map((c) => c.body.text)).toEqual([
        `Added to ${request.reference}, and on its way to ${demoPerson('specialist').name}, who has your request.`,
      ]);
      expect((await requestOf('paramedic')).summary).toBe(`${EDITED}\n\n${ADDED_AT}\n${ADDITION}`);
      expect(await draftOf('paramedic')).toBeNull();
      const [told] = toPerson(calls, 'specialist');
      const addition = cardOf(told);
      expect(addition.body[0].text).toBe(`${request.reference}: more from the requester`);
      expect(visibleTexts(addition.body)).toContain(ADDITION);
      expect(verbsOf(addition)).toEqual(['request.details']);
      // Never the triage channel, never a log.
      expect(textsOf(toTriage(calls)).join('\n')).not.toContain('mother rang');
      expect(await h.database.db.auditEvent.count({ where: { action: 'request.added-to', subjectId: request.id } })).toBe(1);
    });

    it('answers a message with nothing to add with where the request stands, keeping nothing', async () => {
      const request = await requestOf('paramedic');
      const [status] = await say('paramedic', 'any update?');
      expect(cardOf(status).body[0].text).toBe('You already have an open request');
      expect(visibleTexts(cardOf(status).body)).toContain(request.reference);
      expect(await draftOf('paramedic')).toBeNull();
    });

    it('"new" starts a new request with what they wrote, the open one left as it is', async () => {
      const request = await requestOf('paramedic');
      await say('paramedic', ANOTHER);
      const [question] = await say('paramedic', 'new');
      const intro = visibleTexts(cardOf(question).body).join('\n');
      expect(intro).toContain(`Your request ${request.reference} stays open; I'll start a new one for this.`);
      expect(intro).toContain('Is anyone at immediate risk of harm right now?');
      expect(await draftOf('paramedic')).toMatchObject({ step: 'risk', data: { summary: ANOTHER } });
      expect((await requestOf('paramedic')).summary).toBe(`${EDITED}\n\n${ADDED_AT}\n${ADDITION}`);
      expect((await say('paramedic', 'cancel')).map((c) => c.body.text)).toEqual(['Stopped. Nothing more has been sent. Message me whenever you want to ask for help.']);
    });
  });

  describe('the patient-detail check, applied to the first message', () => {
    it('keeps the first message with the NHS number, date and postcode left out, and says so on the card', async () => {
      await say('call-handler', WITH_IDS);
      const draft = await draftOf('call-handler');
      expect(draft).toMatchObject({ step: 'risk', data: { summary: WITH_IDS_KEPT, leftOut: ['DATE_OF_BIRTH', 'POSTCODE'] } });
      expect(JSON.stringify(draft)).not.toMatch(/SE1 7PB|03\/04\/2019/);

      const { calls } = await press('call-handler', 'intake.risk', { answer: 'no' });
      const card = cardOf(toPerson(calls, 'call-handler')[0]);
      expect(card.body[0].text).toBe('Quick advice: a few details');
      expect(inputs(card).summary).toBe(WITH_IDS_KEPT);
      expect(visibleTexts(card.body)).toContain(`${PREFILLED} ${LEFT_OUT}`);
    });

    it('still warns, storing nothing, when the person puts the detail back', async () => {
      const { calls } = await press('call-handler', 'intake.details', { summary: WITH_IDS, acknowledged: 'no' });
      const card = cardOf(toPerson(calls, 'call-handler')[0]);
      expect(visibleTexts(card.body)).toContain('This looks like it may contain a date of birth and a postcode. Please remove anything that could identify a patient, then send again.');
      expect(await h.database.db.supervisionRequest.count({ where: { requester: { email: demoPerson('call-handler').email } } })).toBe(0);
    });
  });

  describe('an urgent disclosure', () => {
    it('is recorded with the request (checked), and the triage alert carries none of it', async () => {
      await say('clinician-111', URGENT);
      const { calls } = await press('clinician-111', 'intake.risk', { answer: 'yes' });
      const [alert] = toTriage(calls);
      expect(cardOf(alert).body[0].items[0].text).toMatch(/^URGENT: SGS-2026-\d{4}/);
      expect(textsOf(toTriage(calls)).join('\n')).not.toMatch(/hurt|flat|E1 6AN|postcode/);
      const [routes] = toPerson(calls, 'clinician-111');
      expect(visibleTexts(cardOf(routes).body).at(-1)).toContain(PASSED_PRIVATELY);
      expect(await requestOf('clinician-111')).toMatchObject({ urgency: 'URGENT', summary: URGENT_KEPT });
      // Telling a little more later starts from the same words.
      const kind = await press('clinician-111', 'intake.kind', { helpType: 'ADVICE' });
      expect(inputs(cardOf(toPerson(kind.calls, 'clinician-111')[0])).summary).toBe(URGENT_KEPT);
    });

    it('reaches the specialist who claims it privately, with the request details', async () => {
      const request = await requestOf('clinician-111');
      const { calls } = await press('specialist-2', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
      const [details] = toPerson(calls, 'specialist-2');
      expect(cardOf(details).body[0].text).toBe(`${request.reference}: confidential details`);
      expect(visibleTexts(cardOf(details).body)).toContain(URGENT_KEPT);
      expect(textsOf(toTriage(calls)).join('\n')).not.toMatch(/hurt|flat/);
    });
  });

  describe('free text at each step', () => {
    it('at the risk question: a kind of help is kept for after it, and the question is asked again', async () => {
      await say('ebs', 'hello');
      const [reply] = await say('ebs', 'a session please');
      expect(reply!.body.text).toBe("Supervision session: I'll come to that next. Please answer the question first: is anyone at immediate risk of harm right now? (yes or no)");
      expect(await draftOf('ebs')).toMatchObject({ step: 'risk', data: { helpType: 'SESSION' } });
      const [details] = toPerson((await press('ebs', 'intake.risk', { answer: 'no' })).calls, 'ebs');
      expect(cardOf(details).body[0].text).toBe('Supervision session: a few details');
    });

    it('at the help-type step: a reprompt saying what to type, then the kind typed, then "stop"', async () => {
      await say('eoc-manager', 'hello');
      await press('eoc-manager', 'intake.risk', { answer: 'no' });
      const [reprompt] = await say('eoc-manager', 'what?');
      expect(cardOf(reprompt).body[0].text).toBe(`I did not catch which kind of help you need. ${KIND_WORDS}`);
      expect(await draftOf('eoc-manager')).toMatchObject({ step: 'kind', data: { immediateRisk: false } });
      const [details] = await say('eoc-manager', 'the emotional impact');
      expect(cardOf(details).body[0].text).toBe('Emotional impact of a case: a few details');
      expect((await say('eoc-manager', 'stop')).map((c) => c.body.text)).toEqual(['Stopped. Nothing more has been sent. Message me whenever you want to ask for help.']);
      expect(await draftOf('eoc-manager')).toBeNull();
    });

    it('at the details step: what is typed joins the summary on the card, never a lost message', async () => {
      await say('ebs-manager', 'hello');
      await press('ebs-manager', 'intake.risk', { answer: 'no' });
      await say('ebs-manager', 'advice');
      const [say1, card] = await say('ebs-manager', FIRST);
      expect(say1!.body.text).toBe('I have added what you wrote to the summary below. Check the card and press Send request, or type "cancel" to stop.');
      expect(inputs(cardOf(card)).summary).toBe(FIRST);
      expect(await draftOf('ebs-manager')).toMatchObject({ step: 'details', data: { helpType: 'ADVICE', summary: FIRST } });
    });

    it('bad input at a later step: a clear reprompt, the draft unchanged, a wall of text never kept', async () => {
      const before = await draftOf('ebs-manager');
      const [limit, reprompt, card] = await say('ebs-manager', `${FIRST}. `.repeat(40));
      expect(limit!.body.text).toMatch(/^That message is [\d,]+ characters long\. Please keep messages to at most 2,000 characters; I will ask for a short summary on a card\.$/);
      expect(reprompt!.body.text).toBe('Please fill in the details card and press Send request. Type "cancel" to stop.');
      expect(inputs(cardOf(card)).summary).toBe(FIRST);
      const [again] = await say('ebs-manager', '🙏');
      expect(again!.body.text).toBe('Please fill in the details card and press Send request. Type "cancel" to stop.');
      expect((await draftOf('ebs-manager'))!.data).toEqual(before!.data);

      await say('mh-nurse', 'hello');
      await press('mh-nurse', 'intake.risk', { answer: 'no' });
      // Words the bot cannot read: the urgent routes in case, then the question again; kept only in the draft.
      const [routes, kind] = await say('mh-nurse', 'Bonjour, je voudrais parler');
      expect(visibleTexts(cardOf(routes).body)[0]).toBe('If someone is at immediate risk');
      expect(cardOf(kind).body[0].text).toBe(`I have kept what you wrote for your summary. What kind of help is it? ${KIND_WORDS}`);
      expect(await draftOf('mh-nurse')).toMatchObject({ step: 'kind', data: { summary: 'Bonjour, je voudrais parler' } });
      expect(await h.database.db.supervisionRequest.count({ where: { requester: { email: demoPerson('mh-nurse').email } } })).toBe(0);
    });
  });

  describe('help', () => {
    async function helpFor(key: string) {
      const [reply, ...more] = await say(key, 'help');
      expect(more).toEqual([]);
      return visibleTexts(cardOf(reply).body);
    }

    it('shows a paramedic what they can do, and none of the administrators\' or the Head\'s commands', async () => {
      const texts = await helpFor('paramedic');
      expect(texts[0]).toBe('What I can do for you');
      expect(texts).toEqual(expect.arrayContaining(['Ask the safeguarding team for help', 'Your supervision', 'history', 'my actions', 'new request', 'cancel']));
      for (const hidden of ['Administration', 'failed reminders', 'bind triage', 'Head of Safeguarding', 'subject access <e-mail>', 'audit SGS-2026-0042', 'report', 'Safeguarding team', 'Your team', 'book supervision']) {
        expect(texts, hidden).not.toContain(hidden);
      }
      expect(texts.at(-1)).toBe(EMERGENCY);
    });

    it('shows an administrator the administration commands, and not the Head\'s', async () => {
      const texts = await helpFor('admin');
      expect(texts).toEqual(expect.arrayContaining(['Administration', 'bind triage', 'failed reminders', 'book supervision']));
      for (const hidden of ['Head of Safeguarding', 'subject access <e-mail>', 'Safeguarding team', 'report']) expect(texts, hidden).not.toContain(hidden);
      expect(texts.at(-1)).toBe(EMERGENCY);
    });

    it('shows the Head the audit, subject-access and report commands, with examples in the organisation\'s references', async () => {
      const texts = await helpFor('head');
      expect(texts).toEqual(expect.arrayContaining(['Head of Safeguarding', 'audit SGS-2026-0042', 'subject access <e-mail>', 'Safeguarding team', 'report', 'Your team', 'my team']));
      expect(texts).not.toContain('Administration');
    });

    it('in a group chat says what the bot does there, with the emergency line, and takes no request', async () => {
      const group = { id: '19:group-chat-1@thread.v2', conversationType: 'groupChat', isGroup: true, tenantId: DEMO_TENANT_ID };
      const inGroup = (text: string) =>
        h.post(activityFrom('paramedic', 'channel', { type: 'message', text, serviceUrl: h.serviceUrl, conversation: group, channelData: { tenant: { id: DEMO_TENANT_ID } } }));
      h.take();
      await inGroup('help');
      const [help] = h.take().filter((c) => c.path.startsWith(`/v3/conversations/${group.id}/activities`));
      const texts = visibleTexts(cardOf(help).body);
      expect(texts[0]).toBe('What I do in a group chat');
      expect(texts.at(-1)).toBe(EMERGENCY);
      expect(texts.join('\n')).not.toContain('In this channel I post a card');

      await inGroup('I need advice about a family I visited');
      const [answer] = h.take().filter((c) => c.path.startsWith(`/v3/conversations/${group.id}/activities`));
      expect(answer!.body.text).toBe(`I take no requests in a group chat, where everyone reads what is written. To ask for help yourself, message me in a personal chat. Type "help" to see what I do here. ${EMERGENCY}`);
      expect(await draftOf('paramedic')).toBeNull();
    });

    it('in the triage channel says what the bot does there, with the emergency line', async () => {
      h.take();
      await h.message('specialist', 'help', 'channel');
      // The answer is a reply in the channel's thread.
      const [help] = h.take().filter((c) => c.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL};messageid=`));
      const texts = visibleTexts(cardOf(help).body);
      expect(texts[0]).toBe('What I do in this channel');
      expect(texts).toContain('On each request card');
      expect(texts.at(-1)).toBe(EMERGENCY);
    });
  });

  it('wrote none of what people typed to the logs', () => {
    expect(logs.text()).toContain('request handled');
    for (const words of TYPED) expect(logs.text(), words).not.toContain(words);
  });
});

// ------------------------------------------------------------------------------------------
describe('on Slack', () => {
  let h: SlackHarness;
  const logs = capturedLogs();
  beforeAll(async () => {
    h = await startSlackHarness({ logger: logs.logger });
    await h.command('admin', 'bind triage', SLACK_TRIAGE);
    await h.until((c) => posts(c, SLACK_TRIAGE).length === 1);
    await h.dm('specialist', 'help');
    await h.until((c) => posts(c, dmChannel('specialist')).length === 1);
    await h.delivered();
  });
  afterAll(async () => {
    await h?.close();
  });

  const posts = (calls: SlackCall[], channel: string) => calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel);
  const strings = (value: unknown): string[] =>
    typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];
  const draftOf = (key: string) => h.database.db.requestDraft.findFirst({ where: { person: { email: demoPerson(key).email } } });
  const requestOf = (key: string) =>
    h.database.db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson(key).email } }, orderBy: { createdAt: 'desc' } });
  const summaryInput = (post: SlackCall | undefined) => post?.args.blocks.find((b: any) => b.type === 'input' && b.block_id === 'summary')?.element;
  /**
   * Everything the bot sent after a DM or a press: the turn runs after Slack's ack, so wait for
   * its reply to `replyTo`, then until every message it wrote is delivered.
   */
  async function after(act: () => Promise<unknown>, replyTo: string): Promise<SlackCall[]> {
    h.take();
    await act();
    const calls = await h.until((c) => posts(c, replyTo).length >= 1);
    await h.delivered();
    return [...calls, ...h.take()];
  }
  const say = async (key: string, text: string) => posts(await after(() => h.dm(key, text), dmChannel(key)), dmChannel(key));
  const press = (key: string, actionId: string, value: Record<string, unknown>, where?: Parameters<SlackHarness['press']>[3]) =>
    after(() => h.press(key, actionId, value, where), dmChannel(key));
  async function claim(key: string, requestId: string) {
    await h.delivered(); // the triage card is posted after the turn that made it
    const request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: requestId } });
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: requestId, platform: 'SLACK' } });
    return press(key, 'request.claim', { requestId, version: request.version }, { channel: SLACK_TRIAGE, ts: posted.messageId });
  }

  it('puts the first message in the details message to edit, and sends what the person made of it', async () => {
    await say('ops-manager', FIRST);
    expect(await draftOf('ops-manager')).toMatchObject({ step: 'risk', data: { summary: FIRST } });
    // The first message named the kind of help: after the risk question, straight to its details.
    const [details, ...others] = posts(await press('ops-manager', 'intake.risk#2', { answer: 'no' }), dmChannel('ops-manager'));
    expect(others).toEqual([]);
    expect(strings(details!.args.blocks)).toContain('Quick advice: a few details');
    expect(summaryInput(details)).toMatchObject({ type: 'plain_text_input', initial_value: FIRST });
    expect(strings(details!.args.blocks)).toContain(PREFILLED);

    await press('ops-manager', 'intake.details', { acknowledged: 'no' }, { state: { summary: EDITED } });
    expect(await requestOf('ops-manager')).toMatchObject({ summary: EDITED });
  });

  it('with a request open, "add" typed appends the message and tells the claimer privately', async () => {
    const request = await requestOf('ops-manager');
    await claim('specialist', request.id);
    const [offer] = await say('ops-manager', ADDITION);
    expect(strings(offer!.args.blocks)).toContain(`Add this to ${request.reference}, or start a new request?`);
    expect(offer!.args.blocks.filter((b: any) => b.type === 'actions').flatMap((b: any) => b.elements.map((e: any) => e.action_id))).toEqual(['intake.add', 'intake.start']);

    const calls = await after(() => h.dm('ops-manager', 'add it'), dmChannel('ops-manager'));
    expect(posts(calls, dmChannel('ops-manager')).map((c) => c.args.text)).toEqual([
      `Added to ${request.reference}, and on its way to ${demoPerson('specialist').name}, who has your request.`,
    ]);
    expect((await requestOf('ops-manager')).summary).toBe(`${EDITED}\n\n${ADDED_AT}\n${ADDITION}`);
    const [told] = posts(calls, dmChannel('specialist'));
    expect(strings(told!.args.blocks).join('\n')).toContain(ADDITION);
    expect(strings(calls.filter((c) => c.args.channel === SLACK_TRIAGE)).join('\n')).not.toContain('mother rang');
  });

  it('keeps the first message with identifiers left out, and says so', async () => {
    await say('ebs-manager', WITH_IDS);
    const [details] = posts(await press('ebs-manager', 'intake.risk#2', { answer: 'no' }), dmChannel('ebs-manager'));
    expect(strings(details!.args.blocks)).toContain('Quick advice: a few details');
    expect(summaryInput(details)).toMatchObject({ initial_value: WITH_IDS_KEPT });
    expect(strings(details!.args.blocks).join('\n')).toContain(LEFT_OUT);
    expect(JSON.stringify(await draftOf('ebs-manager'))).not.toMatch(/SE1 7PB|03\/04\/2019/);
  });

  it('passes an urgent disclosure to the claimer privately, never to the triage channel', async () => {
    await say('clinician-111', URGENT);
    const alerted = await press('clinician-111', 'intake.risk#1', { answer: 'yes' });
    expect(strings(posts(alerted, SLACK_TRIAGE)).join('\n')).toMatch(/URGENT: SGS-2026-\d{4}/);
    expect(strings(alerted.filter((c) => c.args.channel === SLACK_TRIAGE)).join('\n')).not.toMatch(/hurt|flat|E1 6AN/);
    const request = await requestOf('clinician-111');
    expect(request.summary).toBe(URGENT_KEPT);

    const claimed = await claim('specialist-2', request.id);
    const [details] = posts(claimed, dmChannel('specialist-2'));
    expect(strings(details!.args.blocks).join('\n')).toContain(URGENT_KEPT);
    expect(strings(claimed.filter((c) => c.args.channel === SLACK_TRIAGE)).join('\n')).not.toMatch(/hurt|flat/);
  });

  it('understands a kind of help typed at the help-type step, after a reprompt for what it did not understand', async () => {
    await say('director', 'hello');
    await press('director', 'intake.risk#2', { answer: 'no' });
    const [reprompt] = await say('director', 'hmm');
    expect(reprompt!.args.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: `I did not catch which kind of help you need. ${KIND_WORDS}`, emoji: true } });
    const [details] = await say('director', 'a supervision session');
    expect(strings(details!.args.blocks)).toContain('Supervision session: a few details');
    expect(await draftOf('director')).toMatchObject({ step: 'details', data: { helpType: 'SESSION' } });
  });

  it('help: a paramedic sees only their own commands; an administrator sees the administration ones', async () => {
    const [paramedic] = await say('paramedic', 'help');
    const seen = strings(paramedic!.args.blocks).join('\n');
    expect(paramedic!.args.text).toBe('What I can do for you');
    expect(seen).toContain('*my actions*');
    expect(seen).not.toMatch(/failed reminders|bind triage|subject access|Head of Safeguarding|Administration/);
    expect(seen).toContain(EMERGENCY);

    const [admin] = await say('admin', 'help');
    const adminSees = strings(admin!.args.blocks).join('\n');
    expect(adminSees).toContain('*failed reminders*');
    expect(adminSees).toContain('*/supervision bind triage*');
    expect(adminSees).not.toMatch(/subject access|Head of Safeguarding/);
    expect(adminSees).toContain(EMERGENCY);
  });

  it('wrote none of what people typed to the logs', () => {
    expect(logs.text()).toContain('request handled');
    for (const words of TYPED) expect(logs.text(), words).not.toContain(words);
  });
});
