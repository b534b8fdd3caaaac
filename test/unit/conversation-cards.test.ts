// The cards of issue 13's conversation (help, add to a request, what the requester added, the
// details card prefilled), as Teams gets them and as Slack gets them through the one renderer.
import { describe, expect, it } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { cardToBlocks } from '../../src/channels/slack/block-kit.js';
import type { RequestWithPeople } from '../../src/db/requests.js';
import { conversationHelp } from '../../src/domain/help-topics.js';
import { addToRequestCard, detailsCard, helpCard, requestAdditionCard } from '../../src/flows/cards.js';

const md = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
const section = (text: string) => ({ type: 'section', text: md(text) });
const context = (text: string) => ({ type: 'context', elements: [md(text)] });
const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text, emoji: true } });
const blocksOf = (card: Parameters<typeof renderAdaptiveCard>[0]) => cardToBlocks(renderAdaptiveCard(card), 'message').blocks;

const REQUEST = {
  id: '6f1c1c1e-1111-4222-8333-444455556666',
  reference: 'SGS-2026-0042',
  status: 'CLAIMED',
  claimedBy: { id: 'p-2', name: 'Alex Smith' },
  requester: { id: 'p-1', name: 'Sam Carter' },
} as unknown as RequestWithPeople;

describe('help', () => {
  const content = {
    heading: 'What I can do for you',
    intro: 'Type any of these here.',
    groups: [
      { title: 'Your supervision', items: [{ say: 'history', does: 'Your records.' }, { say: 'my actions', does: 'Your action points.' }] },
      { title: 'Administration', items: [{ say: 'failed reminders', does: 'With a Retry button.' }] },
    ],
    emergency: 'If anyone is in immediate danger, call 999.',
  };

  it('on Teams: one container per group, its commands as facts, the emergency line last', () => {
    const card = renderAdaptiveCard(helpCard(content)) as { body: unknown[] };
    expect(card.body).toEqual([
      { type: 'TextBlock', text: 'What I can do for you', weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'TextBlock', text: 'Type any of these here.', wrap: true },
      {
        type: 'Container',
        items: [
          { type: 'TextBlock', text: 'Your supervision', weight: 'Bolder', wrap: true },
          { type: 'FactSet', facts: [{ title: 'history', value: 'Your records.' }, { title: 'my actions', value: 'Your action points.' }] },
        ],
      },
      {
        type: 'Container',
        items: [
          { type: 'TextBlock', text: 'Administration', weight: 'Bolder', wrap: true },
          { type: 'FactSet', facts: [{ title: 'failed reminders', value: 'With a Retry button.' }] },
        ],
      },
      { type: 'Container', style: 'attention', items: [{ type: 'TextBlock', text: 'If anyone is in immediate danger, call 999.', weight: 'Bolder', color: 'Attention', wrap: true }] },
    ]);
  });

  it('on Slack: a header, each group a bold line and its fields, the emergency line as a warning', () => {
    expect(blocksOf(helpCard(content))).toEqual([
      header('What I can do for you'),
      section('Type any of these here.'),
      section('*Your supervision*'),
      { type: 'section', fields: [md('*history*\nYour records.'), md('*my actions*\nYour action points.')] },
      section('*Administration*'),
      { type: 'section', fields: [md('*failed reminders*\nWith a Retry button.')] },
      { type: 'divider' },
      section(':warning: *If anyone is in immediate danger, call 999.*'),
    ]);
  });

  it('in a group chat: what the bot does there, and the emergency line', () => {
    const blocks = blocksOf(helpCard(conversationHelp({ personId: 'p', organisationId: 'o', roles: ['STAFF'] }, { kind: 'GROUP', isTriageChannel: false })));
    expect(blocks[0]).toEqual(header('What I do in a group chat'));
    expect(blocks.at(-1)).toEqual(section(':warning: *If anyone is in immediate danger, call 999.*'));
  });
});

describe('add to a request', () => {
  it('on Slack: the request, what was written (escaped), what was left out, two buttons', () => {
    const blocks = blocksOf(addToRequestCard(REQUEST, 'More & <!channel>', 'I left out what looked like a postcode.', 'Press a button.'));
    expect(blocks).toEqual([
      header('Add this to SGS-2026-0042, or start a new request?'),
      { type: 'section', fields: [md('*Reference*\nSGS-2026-0042'), md('*Status*\nClaimed'), md('*Claimed by*\nAlex Smith')] },
      section('*What you wrote*'),
      section('More &amp; &lt;!channel&gt;'),
      context('I left out what looked like a postcode.'),
      section('Press a button.'),
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'intake.add', text: { type: 'plain_text', text: 'Add this to SGS-2026-0042' }, value: JSON.stringify({ requestId: REQUEST.id }), style: 'primary' },
          { type: 'button', action_id: 'intake.start', text: { type: 'plain_text', text: 'Start a new request' }, value: '{}' },
        ],
      },
    ]);
  });

  it('says nothing of left-out detail when none was', () => {
    const blocks = blocksOf(addToRequestCard(REQUEST, 'More', '', 'Press a button.'));
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'section', 'actions']);
  });
});

describe('what the requester added, for the claimer', () => {
  it('typed text in TextRuns (never parsed on Teams), escaped on Slack, and a Details button', () => {
    const card = requestAdditionCard(REQUEST, '**More** & <!channel>');
    const teams = renderAdaptiveCard(card) as { body: Array<Record<string, unknown>> };
    expect(teams.body[3]).toEqual({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: '**More** & <!channel>' }] });
    expect(blocksOf(card)).toEqual([
      header('SGS-2026-0042: more from the requester'),
      context('For you only. Please do not forward or paste this into a channel.'),
      section('*Sam Carter added:*'),
      section('**More** &amp; &lt;!channel&gt;'),
      context("It is now part of the request's summary. Details shows the whole request."),
      { type: 'actions', elements: [{ type: 'button', action_id: 'request.details', text: { type: 'plain_text', text: 'Details' }, value: JSON.stringify({ requestId: REQUEST.id }) }] },
    ]);
  });
});

describe('the details card, prefilled', () => {
  it('carries the draft summary in its input and says so', () => {
    const blocks = blocksOf(detailsCard('ADVICE', { summary: 'What I wrote first' }, { prefilled: 'I have put what you wrote in the summary below.' }));
    expect(blocks[1]).toEqual(section('I have put what you wrote in the summary below.'));
    expect(blocks.find((b) => b.type === 'input' && b.block_id === 'summary')).toMatchObject({ element: { initial_value: 'What I wrote first' } });
  });
});
