// Template injection: every free-text field a person can fill (request summary, availability,
// adjustments, advice, session venue, record content and reflections, action point
// descriptions) and the names that come from the directory carry template and markup
// syntax of both platforms and of the card templates. The same journey runs on Teams and on
// Slack over real HTTP; the test reads the Adaptive Cards sent to the nock'd Teams connector
// and the Block Kit sent to the nock'd chat.postMessage / chat.update, and checks, field by
// field and payload by payload, that the text arrives as the person typed it: never
// evaluated by the templating (cards/*.json via adaptivecards-templating), never turned into
// a mention, a channel ping or a link on Slack (mrkdwn escaped, verbatim), never adding
// elements or mention entities to a Teams card. Teams renders markdown in TextBlocks and facts:
// typed text and names reach Teams only in RichTextBlock TextRuns (never parsed) or, in facts,
// with markdown characters replaced by look-alikes (src/cards/plain-facts.ts), so a typed
// "[click](https://evil.example)" or "**bold**" can never show as a link or bold text.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainFactText } from '../../src/cards/plain-facts.js';
import { escapeMrkdwn } from '../../src/channels/slack/block-kit.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import type { Db } from '../../src/db/client.js';
import { dmChannel, startSlackHarness, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackHarness } from '../support/slack-harness.js';
import { cardOf, startTeamsHarness, textsOf, type TeamsHarness } from '../support/teams-harness.js';
import { eventually } from '../support/wait.js';

const PAYLOADS = [
  '${name}',
  '{{x}}',
  '$root',
  '${$root.summary}',
  '<at>Jo</at>',
  '<@U123>',
  '<!channel>',
  '<!here>',
  '[click](https://evil.example)',
  "${if(true,'a','b')}",
  '{{DATE(2017-02-14T06:00:00Z)}}',
  '**b** _i_ ~s~',
  '&amp;',
] as const;

/** The payloads Adaptive Cards markdown would turn into a link or emphasis (the whole typed text stays under the venue's 200 characters). */
const MARKDOWN = ['[click](https://evil.example)', '**b** _i_ ~s~'] as const;

const run = randomBytes(3).toString('hex');
/**
 * The text typed into one field: every payload, then a tag naming the field. The tag comes
 * last so that places showing only part of a text (a first name in a greeting, a label cut to
 * Slack's limit with "…") are not mistaken for the whole of it.
 */
const typed = (field: string) => `${PAYLOADS.join(' ')} F${run}${field}`;
const tagOf = (field: string) => `F${run}${field}`;

/** Free-text fields, and where in the journey they are typed. */
const FIELDS = ['summary', 'availability', 'adjustments', 'advice', 'venue', 'content', 'reflectionNotes', 'themes', 'actionPoint', 'requesterName', 'claimerName', 'supervisorName'] as const;
type Field = (typeof FIELDS)[number];

interface Platform {
  db: Db;
  /** A message typed in the person's personal chat. */
  say(who: string, text: string): Promise<void>;
  /** A card action (button or form) with its data and input values. */
  act(who: string, verb: string, data: Record<string, unknown>, where?: 'personal' | 'channel'): Promise<void>;
  bind(): Promise<void>;
}

/** The same journey on either platform, with the fields' text typed where a person types it. */
async function journey(p: Platform) {
  const id = async (key: string) => (await p.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  // Names come from the directory (an import an administrator runs): give three people hostile ones.
  for (const [key, field] of [['call-handler', 'requesterName'], ['specialist', 'claimerName'], ['specialist-2', 'supervisorName']] as const) {
    await p.db.person.updateMany({ where: { email: demoPerson(key).email }, data: { name: typed(field) } });
  }
  await p.bind();
  for (const key of ['specialist', 'specialist-2']) await p.say(key, 'help');

  // A request for a session, with the intake's free text.
  await p.say('call-handler', 'hello');
  await p.act('call-handler', 'intake.risk', { answer: 'no' });
  await p.act('call-handler', 'intake.kind', { helpType: 'SESSION' });
  await p.act('call-handler', 'intake.details', {
    acknowledged: 'yes',
    format: 'INDIVIDUAL',
    summary: typed('summary'),
    availability: typed('availability'),
    adjustments: typed('adjustments'),
  });
  let request = await p.db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson('call-handler').email } } });
  expect(request.summary).toBe(typed('summary'));
  await p.act('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
  request = await p.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });

  // Advice on a second request, from the paramedic.
  await p.say('paramedic', 'hello');
  await p.act('paramedic', 'intake.risk', { answer: 'no' });
  await p.act('paramedic', 'intake.kind', { helpType: 'ADVICE' });
  await p.act('paramedic', 'intake.details', { acknowledged: 'yes', summary: 'A question about a referral' });
  let advice = await p.db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson('paramedic').email } } });
  await p.act('specialist', 'request.claim', { requestId: advice.id, version: advice.version }, 'channel');
  advice = await p.db.supervisionRequest.findUniqueOrThrow({ where: { id: advice.id } });
  await p.act('specialist', 'request.advise', { requestId: advice.id, version: advice.version, advice: typed('advice') }, 'channel');
  expect((await p.db.supervisionRequest.findUniqueOrThrow({ where: { id: advice.id } })).status).not.toBe('CLAIMED');

  // A session with a venue, its record and an action point.
  const supervisorId = await id('specialist-2');
  await p.act('specialist', 'session.propose', {
    requestId: request.id,
    version: request.version,
    supervisorId,
    date1: '2026-11-25',
    time1: '10:00',
    durationMinutes: '60',
    venue: typed('venue'),
  });
  const session = await p.db.session.findFirstOrThrow({ include: { slots: true } });
  expect(session.venue).toBe(typed('venue'));
  await p.act('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
  return { session, supervisorId, requesterId: await id('call-handler') };
}

async function recordPart(p: Platform, ctx: Awaited<ReturnType<typeof journey>>, advance: () => void) {
  advance();
  await p.act('specialist-2', 'record.start', { sessionId: ctx.session.id });
  const record = await p.db.supervisionRecord.findFirstOrThrow({ where: { sessionId: ctx.session.id } });
  await p.act('specialist-2', 'record.save', {
    recordId: record.id,
    version: 1,
    format: 'INDIVIDUAL',
    type: 'ON_REQUEST',
    [`attendance_${ctx.requesterId}`]: 'ATTENDED',
    content: typed('content'),
    reflectiveModel: 'SBAR',
    reflectionNotes: typed('reflectionNotes'),
    themes: typed('themes'),
    escalation: '',
    ap1_description: typed('actionPoint'),
    ap1_owner: ctx.requesterId,
    ap1_due: '2026-12-10',
    ap1_kind: 'TRAINING_NEED',
  });
  const saved = await p.db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id } });
  expect(saved.content).toBe(typed('content'));
  await p.act('call-handler', 'record.sign', { recordId: record.id, version: saved.version });
  await p.act('specialist-2', 'record.sign', { recordId: record.id, version: saved.version });
  expect((await p.db.supervisionRecord.findUniqueOrThrow({ where: { id: record.id } })).status).toBe('SIGNED');
}

const table = FIELDS.flatMap((field) => PAYLOADS.map((payload) => [field, payload] as [Field, string]));

/** Where a string sits in a Teams card, as far as markdown goes. */
type Place = 'TextBlock' | 'fact' | 'TextRun' | 'other';

/** Every string of the cards with its place: TextBlock text and fact titles and values render markdown; TextRuns do not. */
function placedStrings(value: unknown, out: Array<{ place: Place; text: string }> = []): Array<{ place: Place; text: string }> {
  if (typeof value === 'string') out.push({ place: 'other', text: value });
  else if (Array.isArray(value)) for (const v of value) placedStrings(v, out);
  else if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    for (const [key, v] of Object.entries(node)) {
      if (node.type === 'TextBlock' && key === 'text' && typeof v === 'string') out.push({ place: 'TextBlock', text: v });
      else if (node.type === 'TextRun' && key === 'text' && typeof v === 'string') out.push({ place: 'TextRun', text: v });
      else if (node.type === 'RichTextBlock' && key === 'inlines' && Array.isArray(v)) {
        for (const inline of v) {
          if (typeof inline === 'string') out.push({ place: 'TextRun', text: inline });
          else placedStrings(inline, out);
        }
      } else if (node.type === 'FactSet' && key === 'facts' && Array.isArray(v)) {
        for (const fact of v as Array<Record<string, unknown>>) {
          for (const [factKey, text] of Object.entries(fact)) {
            if ((factKey === 'title' || factKey === 'value') && typeof text === 'string') out.push({ place: 'fact', text });
            else placedStrings(text, out);
          }
        }
      } else placedStrings(v, out);
    }
  }
  return out;
}

/** Adaptive Cards markdown that would render: emphasis, a link, or a list/heading/quote marker at a line start. */
const LIVE_MARKDOWN = /[*_]|\]\s*\(|^[ \t]*([-+#>]|\d+[.)])/m;

describe('Teams: free text is bound as data in the Adaptive Cards sent', () => {
  let h: TeamsHarness;
  const cards: Record<string, unknown>[] = [];
  const plainTexts: string[] = [];

  beforeAll(async () => {
    h = await startTeamsHarness();
    const collect = () => {
      for (const call of h.take()) {
        const card = cardOf(call);
        if (card) cards.push(card);
        else if (typeof call.body.text === 'string') plainTexts.push(call.body.text);
      }
    };
    const platform: Platform = {
      db: h.database.db,
      bind: async () => {
        await h.message('admin', 'bind triage', 'channel');
        collect();
      },
      say: async (who, text) => {
        await h.message(who, text);
        collect();
      },
      act: async (who, verb, data, where = 'personal') => {
        const res = await h.action(who, verb, data, where);
        collect();
        // The invoke answer may itself be the updated card.
        if (res.body?.type === 'application/vnd.microsoft.card.adaptive') cards.push(res.body.value);
      },
    };
    const ctx = await journey(platform);
    await recordPart(platform, ctx, () => h.clock.advance(2 * 24 * 60 + 60));
  });
  afterAll(async () => {
    await h?.close();
  });

  const placesWith = (field: Field) => placedStrings(cards).filter((s) => s.text.includes(tagOf(field)));
  /** What a place shows of typed text: facts show it with markdown characters neutralised. */
  const shown = (place: Place, text: string) => (place === 'fact' ? plainFactText(text) : text);

  it.each(table)('%s: "%s" arrives literally', (field, payload) => {
    const strings = placesWith(field);
    expect(strings.length, `no card showed the ${field}`).toBeGreaterThan(0);
    for (const { place, text } of strings) expect(text).toContain(shown(place, payload));
  });

  it('binds every field whole: each string showing a field holds exactly what was typed', () => {
    for (const field of FIELDS) {
      for (const { place, text } of placesWith(field)) expect(text).toContain(shown(place, typed(field)));
    }
  });

  it.each(FIELDS)('%s: markdown typed by a person reaches Teams only in TextRuns or neutralised facts, never in a TextBlock', (field) => {
    const strings = placesWith(field);
    expect(strings.map((s) => s.place), `${field} is in a TextBlock, which renders markdown`).not.toContain('TextBlock');
    // Shown at least once where markdown is not rendered at all, or as a neutralised fact.
    expect(strings.some((s) => s.place === 'TextRun' || s.place === 'fact')).toBe(true);
    for (const { text } of strings.filter((s) => s.place === 'TextRun')) {
      for (const payload of MARKDOWN) expect(text, `${field} in a TextRun`).toContain(payload);
    }
    for (const { place, text } of strings.filter((s) => s.place === 'fact')) {
      expect(text, `${field} in a ${place}`).not.toMatch(LIVE_MARKDOWN);
      for (const payload of MARKDOWN) expect(text).not.toContain(payload);
    }
  });

  it('shows the long free text (summary, advice, record content, action points, adjustments) in TextRuns', () => {
    for (const field of ['summary', 'advice', 'content', 'actionPoint', 'adjustments'] as const) {
      expect(placesWith(field).some((s) => s.place === 'TextRun' && s.text.includes(typed(field))), field).toBe(true);
    }
  });

  it('leaves no markdown a person typed live anywhere Teams parses it', () => {
    for (const { text } of placedStrings(cards).filter((s) => s.place === 'TextBlock' || s.place === 'fact')) {
      if (!text.includes(`F${run}`)) continue;
      expect(text).not.toMatch(LIVE_MARKDOWN);
    }
  });

  it('adds no mention entities, links or elements to any card', () => {
    const json = JSON.stringify(cards);
    expect(json).not.toContain('"msteams"');
    expect(json).not.toContain('"mentioned"');
    const urls = textsOf(cards.map((c) => JSON.stringify(c).match(/"url":"[^"]*"/g) ?? [])).join(' ');
    expect(urls).not.toContain('evil.example');
    // Card elements come from the templates only: no element type appears that a template lacks.
    const types = new Set(JSON.stringify(cards).match(/"type":"[^"]+"/g));
    for (const type of types) expect(type).toMatch(/"type":"(AdaptiveCard|TextBlock|RichTextBlock|TextRun|FactSet|Container|ColumnSet|Column|ActionSet|Action\.\w+|Input\.\w+|Image)"/);
  });

  it('sends plain messages as plain text', () => {
    // Notices and replies without a card never carry the typed text formatted.
    for (const text of plainTexts.filter((t) => t.includes(`F${run}`))) for (const payload of PAYLOADS) expect(text).toContain(payload);
  });
});

describe('Slack: free text is escaped mrkdwn or plain text in the Block Kit sent', () => {
  let h: SlackHarness;

  /** Work continues after Slack's ack: wait until the bot has handled every request to its end. */
  const settle = () => h.settled();

  beforeAll(async () => {
    h = await startSlackHarness();
    const platform: Platform = {
      db: h.database.db,
      bind: async () => {
        await h.command('admin', 'bind triage', SLACK_TRIAGE);
        await settle();
      },
      say: async (who, text) => {
        const before = h.calls.length;
        await h.dm(who, text);
        await h.delivered();
        await eventually(() => h.calls.slice(before).some((c) => c.method === 'chat.postMessage'), 'the answer posted to the DM');
      },
      // A button's value or a modal's private_metadata carries the data; Slack merges inputs the same way.
      act: async (who, verb, data, where = 'personal') => {
        const channel = where === 'channel' ? SLACK_TRIAGE : dmChannel(who);
        await h.submit(who, JSON.stringify({ verb, data, channel }), {});
        // Every turn answers something on Slack (a card, an update or a notice): wait for the
        // turn and everything it queued to be delivered (a loaded machine can take seconds).
        await h.delivered(30_000);
      },
    };
    const ctx = await journey(platform);
    await recordPart(platform, ctx, () => h.clock.advance(2 * 24 * 60 + 60));
  });
  afterAll(async () => {
    await h?.close();
  });

  const messages = () => h.calls.filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'views.open', 'views.publish'].includes(c.method));
  /** Every text object in the blocks, with its type. */
  function textObjects(value: unknown, out: Array<{ type: string; text: string; verbatim?: boolean }> = []) {
    if (Array.isArray(value)) value.forEach((v) => textObjects(v, out));
    else if (value && typeof value === 'object') {
      const node = value as Record<string, unknown>;
      if ((node.type === 'mrkdwn' || node.type === 'plain_text') && typeof node.text === 'string') out.push({ type: node.type, text: node.text, verbatim: node.verbatim as boolean | undefined });
      for (const [key, v] of Object.entries(node)) {
        if (key === 'initial_value' && typeof v === 'string') out.push({ type: 'plain_text', text: v });
        else textObjects(v, out);
      }
    }
    return out;
  }
  const withTag = (field: Field) => textObjects(messages().map((c) => c.args.blocks ?? c.args.view?.blocks ?? [])).filter((t) => t.text.includes(tagOf(field)));

  it.each(table)('%s: "%s" arrives as text', (field, payload) => {
    const found = withTag(field);
    expect(found.length, `no Slack message showed the ${field}`).toBeGreaterThan(0);
    for (const t of found) {
      // mrkdwn gets <, > and & escaped (so no mention, ping or link can form); plain text is shown as is.
      expect(t.text).toContain(t.type === 'mrkdwn' ? escapeMrkdwn(payload) : payload);
    }
  });

  it('never sends user text as live mrkdwn: escaped, and verbatim so Slack links nothing itself', () => {
    const all = textObjects(messages().map((c) => c.args.blocks ?? c.args.view?.blocks ?? []));
    const mrkdwn = all.filter((t) => t.type === 'mrkdwn' && t.text.includes(`F${run}`));
    expect(mrkdwn.length).toBeGreaterThan(0);
    for (const t of mrkdwn) {
      expect(t.verbatim).toBe(true);
      expect(t.text).not.toMatch(/<[@!]|<https?:/);
    }
    // The notification text beside the blocks is escaped too.
    for (const call of messages()) {
      const text = call.args.text;
      if (typeof text === 'string' && text.includes(`F${run}`)) expect(text).not.toMatch(/<[@!]|<https?:/);
    }
  });
});
