// Journeys 1-3 on Slack through real signed HTTP requests to the running server, the Web
// API intercepted by nock with every call's arguments asserted, state read from PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardToBlocks, type AdaptiveCard } from '../../src/channels/slack/block-kit.js';
import { toSlackMessage } from '../../src/channels/slack/slack-channel.js';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, slackUserId, startSlackHarness, TRIAGE_CHANNEL, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

const SUMMARY = 'Crew worried about an older man living alone with unexplained injuries; carer was evasive.';
const ADVICE = 'Raise an adult safeguarding concern today and record the carer\'s exact words.';

let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
});
afterAll(async () => {
  await h.close();
});

const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
const texts = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(texts) : value && typeof value === 'object' ? Object.values(value).flatMap(texts) : [];

async function requestOf(key: string) {
  return h.database.db.supervisionRequest.findFirstOrThrow({
    where: { requester: { email: demoPerson(key).email } },
    orderBy: { createdAt: 'desc' },
  });
}

describe('the receiver refuses bad requests before anything happens', () => {
  const event = JSON.stringify({ type: 'event_callback', team_id: 'T0SGSDEMO', event_id: 'EvBad', event: { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'hi' } });

  it('answers 401 to a bad signature', async () => {
    const res = await h.signed(event, 'application/json', { secret: 'not-the-secret' });
    expect(res).toMatchObject({ status: 401, text: JSON.stringify({ error: 'Invalid or expired Slack signature.' }) });
  });

  it('answers 401 to a correctly signed request more than five minutes old', async () => {
    const res = await h.signed(event, 'application/json', { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(res.status).toBe(401);
  });

  it('answers 400 to malformed and non-JSON payloads', async () => {
    expect((await h.signed('{"type": "event_callback",', 'application/json')).text).toBe(JSON.stringify({ error: 'The body is not valid JSON.' }));
    expect((await h.signed('payload=%7Bnot-json', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await h.signed('hello', 'text/plain')).status).toBe(400);
    expect((await h.signed('[1,2]', 'application/json')).status).toBe(400);
    expect((await h.signed('{"hello":"world"}', 'application/json')).status).toBe(400);
  });

  it('answers the URL verification challenge', async () => {
    const res = await h.signed(JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 'x' }), 'application/json');
    expect(res).toMatchObject({ status: 200, text: JSON.stringify({ challenge: 'c-123' }) });
  });

  it('changed nothing and called Slack for none of them', async () => {
    expect(h.take()).toEqual([]);
    expect(await h.database.db.requestDraft.count()).toBe(0);
  });
});

describe('a request from a Slack DM to advice, through the triage channel', () => {
  it('binds the triage channel with the slash command typed there by an administrator', async () => {
    const res = await h.command('admin', 'bind triage', TRIAGE_CHANNEL);
    expect(res).toMatchObject({ status: 200, text: '' });
    const calls = await h.until((c) => named(c, 'chat.postMessage').length === 1);
    expect(named(calls, 'users.info')).toEqual([{ method: 'users.info', args: { user: slackUserId('admin') } }]);
    expect(named(calls, 'chat.postMessage')[0]!.args).toMatchObject({ channel: TRIAGE_CHANNEL });
    expect(await h.database.db.triageChannel.findFirstOrThrow({ where: { platform: 'SLACK' } })).toMatchObject({ conversationId: TRIAGE_CHANNEL, name: 'safeguarding-triage' });
    const identity = await h.database.db.platformIdentity.findFirstOrThrow({ where: { platform: 'SLACK', platformUserId: slackUserId('admin') } });
    expect(identity.tenantId).toBe('T0SGSDEMO');
  });

  it('refuses the slash command binding from someone who is not an administrator', async () => {
    await h.command('specialist', 'bind triage', 'C0OTHER001');
    const calls = await h.until((c) => named(c, 'chat.postEphemeral').length === 1);
    expect(named(calls, 'chat.postEphemeral')[0]!.args).toMatchObject({
      channel: 'C0OTHER001',
      user: slackUserId('specialist'),
      text: 'Only an administrator can make this the triage channel.',
    });
    expect((await h.database.db.triageChannel.findFirstOrThrow({ where: { platform: 'SLACK' } })).conversationId).toBe(TRIAGE_CHANNEL);
  });

  it('asks the immediate-risk question first in the DM, with the same card as Teams', async () => {
    // Names no kind of help, so the kind is asked after the risk question (first-message-kind.test.ts).
    const res = await h.dm('paramedic', 'hi, I need some help');
    expect(res.status).toBe(200);
    const [post] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    const expected = toSlackMessage({
      card: {
        template: 'intake-risk',
        data: { intro: `Hello ${demoPerson('paramedic').givenName}. I'm the safeguarding supervision bot: I'll pass your request to the safeguarding team. First, one question.` },
      },
    });
    expect(post!.args).toEqual({ channel: dmChannel('paramedic'), text: expected.text, blocks: expected.blocks });
  });

  it('processes the same event once however many times Slack delivers it', async () => {
    await h.dm('call-handler', 'hello', { eventId: 'EvTriple' });
    await h.dm('call-handler', 'hello', { eventId: 'EvTriple', retryNum: 1 });
    await h.dm('call-handler', 'hello', { eventId: 'EvTriple', retryNum: 2 });
    await h.until((c) => named(c, 'chat.postMessage').length >= 1);
    await h.delivered(); // all three deliveries handled to their end, and what they wrote sent
    const later = h.take();
    expect(named(later, 'chat.postMessage')).toHaveLength(0);
    expect(await h.database.db.processedDelivery.count({ where: { key: 'slack:EvTriple' } })).toBe(1);
  });

  it('walks through the kind and the details, warns about patient detail, then saves and posts to triage', async () => {
    await h.press('paramedic', 'intake.risk#2', { answer: 'no' });
    const [kind] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    expect(kind!.args.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Thank you.', emoji: true } });

    await h.press('paramedic', 'intake.kind#1', { helpType: 'ADVICE' });
    const [details] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    expect(details!.args.blocks.filter((b: any) => b.type === 'input').map((b: any) => b.block_id)).toEqual(['availability', 'adjustments', 'summary']);

    await h.press('paramedic', 'intake.details#1', { acknowledged: 'no' }, { state: { summary: 'Patient DOB 03/04/1941 at SE1 7JN' } });
    const [warning] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    expect(texts(warning!.args.blocks).join(' ')).toContain('This looks like it may contain a date of birth and a postcode.');
    expect(await h.database.db.supervisionRequest.count()).toBe(0);

    await h.press('paramedic', 'intake.details#1', { acknowledged: 'no' }, { state: { summary: SUMMARY, availability: 'Tuesday morning' } });
    const calls = await h.until((c) => named(c, 'chat.postMessage').length === 2);
    const triage = named(calls, 'chat.postMessage').find((c) => c.args.channel === TRIAGE_CHANNEL)!;
    const request = await requestOf('paramedic');
    expect(request).toMatchObject({ platform: 'SLACK', status: 'OPEN', summary: SUMMARY, availability: 'Tuesday morning' });
    expect(texts(triage.args).join(' ')).toContain(`New request ${request.reference}`);
    expect(texts(triage.args).join(' ')).not.toContain('older man');
    expect(texts(triage.args).join(' ')).not.toContain('Tuesday morning');
    await h.delivered(); // the triage card is posted after the turn
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id, platform: 'SLACK' } });
    expect(posted).toMatchObject({ conversationId: TRIAGE_CHANNEL, purpose: 'triage' });
  });

  it('refuses Claim from a staff member with an ephemeral message, changing nothing', async () => {
    const request = await requestOf('paramedic');
    await h.press('ebs', 'request.claim', { requestId: request.id, version: request.version }, { channel: TRIAGE_CHANNEL });
    const [refusal] = named(await h.until((c) => named(c, 'chat.postEphemeral').length === 1), 'chat.postEphemeral');
    expect(refusal!.args).toMatchObject({ channel: TRIAGE_CHANNEL, user: slackUserId('ebs'), text: 'Only safeguarding specialists can claim requests.' });
    expect(await requestOf('paramedic')).toEqual(request);
  });

  it('lets a specialist claim: chat.update for everyone, the details by DM', async () => {
    await h.dm('specialist', 'help');
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    const request = await requestOf('paramedic');
    await h.delivered(); // the triage card is posted after the turn
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id, platform: 'SLACK' } });
    await h.press('specialist', 'request.claim', { requestId: request.id, version: request.version }, { channel: TRIAGE_CHANNEL, ts: posted.messageId });
    // The details to the claimer and the claimed notice to the requester.
    const calls = await h.until((c) => named(c, 'chat.update').length >= 1 && named(c, 'chat.postMessage').length === 2);
    await h.delivered(); // the turn and its messages done: any second update would be in by now
    const updates = [...named(calls, 'chat.update'), ...named(h.take(), 'chat.update')];
    // The outbox updates the triage card; the clicked message is that card, so once only.
    expect(updates).toHaveLength(1);
    expect(updates.every((u) => u.args.channel === TRIAGE_CHANNEL && u.args.ts === posted.messageId)).toBe(true);
    expect(texts(updates[0]!.args).join(' ')).toContain(demoPerson('specialist').name);
    expect(texts(updates[0]!.args).join(' ')).not.toContain('older man');
    const detail = named(calls, 'chat.postMessage').find((c) => c.args.channel === dmChannel('specialist'));
    expect(texts(detail!.args.blocks).join(' ')).toContain(SUMMARY);
    const toRequester = named(calls, 'chat.postMessage').filter((c) => c.args.channel === dmChannel('paramedic'));
    expect(toRequester.map((c) => c.args.text)).toEqual([
      `${demoPerson('specialist').name} from the safeguarding team has picked up your request ${request.reference}. They will reply to you here with advice.`,
    ]);
    expect(await h.database.db.auditEvent.count({ where: { action: 'request.summary.read', subjectId: request.id } })).toBe(1);
  });

  it('opens the advice form as a modal and delivers the advice by DM', async () => {
    const request = await requestOf('paramedic');
    await h.delivered(); // the triage card is posted after the turn
    const posted = await h.database.db.postedCard.findFirstOrThrow({ where: { subjectId: request.id, platform: 'SLACK' } });
    const triageCard = renderAdaptiveCard({ template: 'triage-request', data: { requestId: request.id, version: request.version, isWorked: true, canClose: true, canClaim: false, outcomes: [] } }) as AdaptiveCard;
    const button = cardToBlocks(triageCard, 'message')
      .blocks.flatMap((b: any) => (b.type === 'actions' ? b.elements : []))
      .find((e: any) => e.action_id.startsWith('card.open:request.advise'));
    // The button value of the message as sent (with the form embedded) is what Slack sends back.
    const sent = h.calls.filter((c) => c.method === 'chat.update').at(-1)!;
    const adviseButton = sent.args.blocks.flatMap((b: any) => (b.type === 'actions' ? b.elements : [])).find((e: any) => e.action_id.startsWith('card.open:request.advise'));
    expect(adviseButton.action_id).toBe(button.action_id);

    await h.press('specialist', adviseButton.action_id, JSON.parse(adviseButton.value), { channel: TRIAGE_CHANNEL, ts: posted.messageId });
    const [open] = named(await h.until((c) => named(c, 'views.open').length === 1), 'views.open');
    expect(open!.args.view).toMatchObject({ type: 'modal', callback_id: 'card.form', title: { type: 'plain_text', text: 'Give advice' }, submit: { type: 'plain_text', text: 'Send advice' } });
    expect(open!.args.view.blocks.map((b: any) => [b.type, b.block_id])).toEqual([['input', 'advice']]);
    const meta = JSON.parse(open!.args.view.private_metadata);
    expect(meta).toEqual({ verb: 'request.advise', data: { requestId: request.id, version: request.version }, channel: TRIAGE_CHANNEL, ts: posted.messageId });

    const res = await h.submit('specialist', open!.args.view.private_metadata, { advice: ADVICE });
    expect(res).toMatchObject({ status: 200, text: '' });
    const calls = await h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel('paramedic')));
    const advice = named(calls, 'chat.postMessage').find((p) => p.args.channel === dmChannel('paramedic'))!;
    expect(texts(advice.args.blocks).join(' ')).toContain(ADVICE);
    expect(await requestOf('paramedic')).toMatchObject({ status: 'ADVICE_GIVEN' });
    expect((await h.database.db.supervisionRecord.findFirstOrThrow({ where: { requestId: request.id } })).content).toBe(ADVICE);
  });

  it('lets the requester say the advice helped, countersigning the record', async () => {
    const request = await requestOf('paramedic');
    await h.press('paramedic', 'request.feedback#1', { requestId: request.id, answer: 'helped' });
    // The card is updated in place, then the thank-you notice follows in the DM.
    const calls = await h.until(
      (c) => named(c, 'chat.update').some((u) => u.args.channel === dmChannel('paramedic')) && named(c, 'chat.postMessage').length === 1,
    );
    expect(named(calls, 'chat.postMessage')[0]!.args).toMatchObject({ channel: dmChannel('paramedic'), text: 'Thank you: you acknowledged this advice and said it helped.' });
    const record = await h.database.db.supervisionRecord.findFirstOrThrow({ where: { requestId: request.id }, include: { signatures: true } });
    expect(record.status).toBe('SIGNED');
    expect(record.signatures).toHaveLength(2);
  });
});

describe('reaching someone who has never written to the bot', () => {
  it('opens a DM with conversations.open and remembers it', async () => {
    const request = await requestOf('paramedic');
    expect(await h.database.db.conversationReference.count({ where: { person: { email: demoPerson('head').email } } })).toBe(0);
    await h.press('head', 'request.details', { requestId: request.id, version: request.version }, { channel: TRIAGE_CHANNEL });
    const calls = await h.until((c) => named(c, 'chat.postMessage').length === 1);
    expect(named(calls, 'conversations.open')[0]!.args).toEqual({ users: slackUserId('head') });
    const [detail] = named(calls, 'chat.postMessage');
    expect(detail!.args.channel).toBe(dmChannel('head'));
    expect(texts(detail!.args.blocks).join(' ')).toContain(SUMMARY);
    const stored = await h.database.db.conversationReference.findFirstOrThrow({ where: { person: { email: demoPerson('head').email } } });
    expect(stored).toMatchObject({ platform: 'SLACK', kind: 'PERSONAL', conversationId: dmChannel('head') });
  });
});

describe('bad input inside valid requests', () => {
  it('tells someone outside the directory whom to contact', async () => {
    const stranger = 'U0STRANGER';
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0SGSDEMO',
      event_id: 'EvStranger',
      event: { type: 'message', channel_type: 'im', channel: 'D0STRANGER', user: stranger, text: 'hello', ts: '1.1' },
    });
    await h.signed(body, 'application/json');
    const [reply] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    expect(reply!.args.channel).toBe('D0STRANGER');
    expect(reply!.args.text).toMatch(/^I can't find you in the staff directory/);
    expect(await h.database.db.platformIdentity.count({ where: { platformUserId: stranger } })).toBe(0);
  });

  it('refuses an unknown action id', async () => {
    await h.press('specialist', 'request.delete', { requestId: 'x' }, { channel: TRIAGE_CHANNEL });
    const [refusal] = named(await h.until((c) => named(c, 'chat.postEphemeral').length === 1), 'chat.postEphemeral');
    expect(refusal!.args.text).toBe("I don't recognise that button. It may be from an old card; message me to start again.");
  });

  it('retries a rate-limited call after Retry-After and sends once', async () => {
    h.failNext('chat.postMessage', { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
    const started = Date.now();
    await h.dm('mh-nurse', 'hello');
    const calls = await h.until((c) => named(c, 'chat.postMessage').length === 1);
    expect(calls.filter((c) => c.method === 'chat.postMessage:failed')).toHaveLength(1);
    expect(named(calls, 'chat.postMessage')).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});

describe('App Home', () => {
  it('publishes my requests, sessions and action points when the Home tab opens', async () => {
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0SGSDEMO',
      event_id: 'EvHome1',
      event: { type: 'app_home_opened', user: slackUserId('paramedic'), channel: dmChannel('paramedic'), tab: 'home' },
    });
    expect((await h.signed(body, 'application/json')).status).toBe(200);
    const [publish] = named(await h.until((c) => named(c, 'views.publish').length === 1), 'views.publish');
    expect(publish!.args.user_id).toBe(slackUserId('paramedic'));
    expect(publish!.args.view.type).toBe('home');
    const shown = texts(publish!.args.view.blocks).join(' ');
    const request = await requestOf('paramedic');
    expect(shown).toContain(request.reference);
    expect(shown).not.toContain('older man');
    const actions = publish!.args.view.blocks.filter((b: any) => b.type === 'actions').flatMap((b: any) => b.elements.map((e: any) => e.action_id));
    expect(actions).toEqual(['intake.start']);
  });
});

describe('emotional impact: staff support signposted, each with its number or link', () => {
  /** The texts of the sections under "Support for you" in a message's blocks (up to the next heading or context). */
  const supportLines = (blocks: any[]): string[] => {
    const start = blocks.findIndex((b) => b.type === 'section' && b.text?.text === '*Support for you*');
    if (start < 0) return [];
    const lines: string[] = [];
    for (const block of blocks.slice(start + 1)) {
      if (block.type !== 'section' || !block.text || /^\*.*\*$/.test(block.text.text)) break;
      lines.push(block.text.text);
    }
    return lines;
  };

  it('shows every staff-support contact with its link in the details message and again in the confirmation', async () => {
    const organisationId = (await h.database.db.organisation.findFirstOrThrow({ where: { slug: 'las-demo' } })).id;
    const contacts = await h.database.db.organisationContact.findMany({ where: { organisationId, kind: 'STAFF_SUPPORT' }, orderBy: { sortOrder: 'asc' } });
    expect(contacts).toHaveLength(3);
    const expected = contacts.map((c) => {
      const reach = [c.phone, c.email, c.url].filter(Boolean);
      expect(reach.length, c.label).toBeGreaterThan(0);
      return `${c.label}: ${reach.join(', ')} (${c.availability})`;
    });
    expect(expected[0]).toBe('Staff support services: https://las-demo.example/staff-support (Demo placeholder: your trust sets its own with npm run org -- set-contacts)');

    h.take();
    await h.dm('clinician-111', 'hello');
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    await h.press('clinician-111', 'intake.risk#2', { answer: 'no' });
    await h.until((c) => named(c, 'chat.postMessage').length === 1);
    await h.press('clinician-111', 'intake.kind#4', { helpType: 'EMOTIONAL_IMPACT' });
    const [details] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    expect(details!.args.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Emotional impact of a case: a few details', emoji: true } });
    expect(supportLines(details!.args.blocks)).toEqual(expected);
    // Shown before the questions, so it is read even if the request is never sent.
    const firstInput = details!.args.blocks.findIndex((b: any) => b.type === 'input');
    expect(details!.args.blocks.findIndex((b: any) => b.text?.text === '*Support for you*')).toBeLessThan(firstInput);

    await h.press('clinician-111', 'intake.details#1', { acknowledged: 'no' }, { state: { summary: 'A hard week of calls; I keep thinking about one of them.' } });
    const calls = await h.until((c) => named(c, 'chat.postMessage').length === 2);
    const confirmation = named(calls, 'chat.postMessage').find((c) => c.args.channel === dmChannel('clinician-111'))!;
    expect(confirmation.args.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Your request has been sent', emoji: true } });
    expect(supportLines(confirmation.args.blocks)).toEqual(expected);
    const triage = named(calls, 'chat.postMessage').find((c) => c.args.channel === TRIAGE_CHANNEL)!;
    expect(texts(triage.args).join(' ')).not.toContain('las-demo.example');
    await h.delivered();
    h.take();
  });
});
