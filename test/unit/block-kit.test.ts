import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import {
  MAX_ACTION_ID,
  MAX_ACTION_VALUE,
  MAX_BLOCKS_MESSAGE,
  MAX_BLOCKS_MODAL,
  MAX_ELEMENTS_PER_ACTIONS,
  MAX_FALLBACK_TEXT,
  MAX_FIELDS,
  MAX_FIELD_TEXT,
  MAX_HEADER_TEXT,
  MAX_INPUT_LABEL,
  MAX_INPUT_LENGTH,
  MAX_MODAL_BUTTON,
  MAX_MODAL_TITLE,
  MAX_OPTIONS,
  MAX_OPTION_TEXT,
  MAX_OPTION_VALUE,
  MAX_PLACEHOLDER,
  MAX_PLAIN_TEXT_BUTTON,
  MAX_RADIO_OPTIONS,
  MAX_TEXT,
  MAX_BLOCK_ID,
  TEAMS_ONLY_NOTICE,
  baseActionId,
  cardToBlocks,
  escapeMrkdwn,
  showCardToModal,
  truncate,
  type AdaptiveCard,
} from '../../src/channels/slack/block-kit.js';
import {
  adviceCard,
  confirmationCard,
  detailsCard,
  kindCard,
  openRequestCard,
  requestDetailCard,
  riskCard,
  triageCard,
  urgentRoutesCard,
} from '../../src/flows/cards.js';
import type { RequestWithPeople } from '../../src/db/requests.js';

// ---------------------------------------------------------------------------------------
// Helpers for hand-written cards and expected blocks
// ---------------------------------------------------------------------------------------

function card(body: unknown[], actions?: unknown[]): AdaptiveCard {
  return { type: 'AdaptiveCard', version: '1.5', body, ...(actions ? { actions } : {}) };
}
const md = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
const pt = (text: string) => ({ type: 'plain_text', text });
const section = (text: string) => ({ type: 'section', text: md(text) });
const context = (text: string) => ({ type: 'context', elements: [md(text)] });
const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text, emoji: true } });
const divider = { type: 'divider' };
const teamsOnly = context(TEAMS_ONLY_NOTICE);
const text = (value: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text: value, wrap: true, ...extra });
/** A RichTextBlock of TextRuns (a run is its text, or its text and formatting); block-level `extra` stays on the block. */
const rich = (runs: Array<string | [string, Record<string, unknown>]>, extra: Record<string, unknown> = {}) => ({
  type: 'RichTextBlock',
  inlines: runs.map((run) => (typeof run === 'string' ? { type: 'TextRun', text: run } : { type: 'TextRun', text: run[0], ...run[1] })),
  ...extra,
});
const execute = (title: string, verb: string, data: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'Action.Execute',
  title,
  verb,
  data,
  ...extra,
});
const button = (title: string, actionId: string, value: unknown, style?: 'primary' | 'danger') => ({
  type: 'button',
  action_id: actionId,
  text: pt(title),
  value: JSON.stringify(value),
  ...(style ? { style } : {}),
});
const blocksOf = (c: AdaptiveCard, surface: 'message' | 'modal' | 'home' = 'message') => cardToBlocks(c, surface).blocks;
const types = (blocks: KnownBlock[]) => blocks.map((b) => b.type);
function buttonsOf(blocks: KnownBlock[]): { action_id?: string; value?: string; style?: string }[] {
  return blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as { action_id?: string; value?: string; style?: string }[]) : []));
}
const ids = (blocks: KnownBlock[]) => buttonsOf(blocks).map((b) => b.action_id);
const values = (blocks: KnownBlock[]) => buttonsOf(blocks).map((b) => JSON.parse(b.value ?? 'null') as unknown);

// ---------------------------------------------------------------------------------------

describe('limits', () => {
  it('names Slack’s documented limits', () => {
    expect({
      MAX_BLOCKS_MESSAGE,
      MAX_BLOCKS_MODAL,
      MAX_TEXT,
      MAX_PLAIN_TEXT_BUTTON,
      MAX_ACTION_VALUE,
      MAX_ACTION_ID,
      MAX_BLOCK_ID,
      MAX_HEADER_TEXT,
      MAX_FIELDS,
      MAX_FIELD_TEXT,
      MAX_ELEMENTS_PER_ACTIONS,
      MAX_OPTIONS,
      MAX_RADIO_OPTIONS,
      MAX_OPTION_TEXT,
      MAX_OPTION_VALUE,
      MAX_INPUT_LABEL,
      MAX_PLACEHOLDER,
      MAX_INPUT_LENGTH,
      MAX_MODAL_TITLE,
      MAX_MODAL_BUTTON,
      MAX_FALLBACK_TEXT,
    }).toEqual({
      MAX_BLOCKS_MESSAGE: 50,
      MAX_BLOCKS_MODAL: 100,
      MAX_TEXT: 3000,
      MAX_PLAIN_TEXT_BUTTON: 75,
      MAX_ACTION_VALUE: 2000,
      MAX_ACTION_ID: 255,
      MAX_BLOCK_ID: 255,
      MAX_HEADER_TEXT: 150,
      MAX_FIELDS: 10,
      MAX_FIELD_TEXT: 2000,
      MAX_ELEMENTS_PER_ACTIONS: 25,
      MAX_OPTIONS: 100,
      MAX_RADIO_OPTIONS: 10,
      MAX_OPTION_TEXT: 75,
      MAX_OPTION_VALUE: 150,
      MAX_INPUT_LABEL: 2000,
      MAX_PLACEHOLDER: 150,
      MAX_INPUT_LENGTH: 3000,
      MAX_MODAL_TITLE: 24,
      MAX_MODAL_BUTTON: 24,
      MAX_FALLBACK_TEXT: 40000,
    });
  });

  it('truncates with an ellipsis inside the limit and never splits an emoji', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdefg', 6)).toBe('abcde…');
    expect(truncate('abcd😀xyz', 6)).toBe('abcd…');
  });
});

describe('TextBlock', () => {
  it('becomes a mrkdwn section', () => {
    expect(cardToBlocks(card([text('Hello there')]), 'message')).toEqual({
      blocks: [section('Hello there')],
      text: 'Hello there',
    });
  });

  it('becomes a header when it is Bolder and the first element', () => {
    expect(blocksOf(card([text('Heading', { weight: 'Bolder' }), text('Body')]))).toEqual([header('Heading'), section('Body')]);
  });

  it.each(['Medium', 'Large', 'ExtraLarge'])('becomes a header when it is size %s and the first element', (size) => {
    expect(blocksOf(card([text('Heading', { size })]))).toEqual([header('Heading')]);
  });

  it('is a bold section when Bolder but not the first element', () => {
    expect(blocksOf(card([text('Intro'), text('Is anyone at risk?', { weight: 'Bolder' }), text('Big', { size: 'Large' })]))).toEqual([
      section('Intro'),
      section('*Is anyone at risk?*'),
      section('*Big*'),
    ]);
  });

  it('bolds each line of a multi-line bold text', () => {
    expect(blocksOf(card([text('Intro'), text('Line one\n\n line two ', { weight: 'Bolder' })]))).toEqual([
      section('Intro'),
      section('*Line one*\n\n*line two*'),
    ]);
  });

  it('is a bold section, never a cut header, when a first heading is longer than the header limit', () => {
    const long = 'h'.repeat(MAX_HEADER_TEXT + 1);
    expect(blocksOf(card([text(long, { weight: 'Bolder' })]))).toEqual([section(`*${long}*`)]);
    const fits = 'h'.repeat(MAX_HEADER_TEXT);
    expect(blocksOf(card([text(fits, { weight: 'Bolder' })]))).toEqual([header(fits)]);
  });

  it.each([
    ['isSubtle', { isSubtle: true }],
    ['size Small', { size: 'Small' }],
  ])('becomes a context block when %s', (_name, extra) => {
    expect(blocksOf(card([text('Heading', { weight: 'Bolder' }), text('Small print', extra)]))).toEqual([header('Heading'), context('Small print')]);
  });

  it('prefixes Attention text with a warning sign, in sections and in headers', () => {
    expect(
      blocksOf(card([text('Urgent', { weight: 'Bolder', color: 'Attention' }), text('Careful', { color: 'Attention' }), text('Loud', { weight: 'Bolder', color: 'attention' })])),
    ).toEqual([header(':warning: Urgent'), section(':warning: Careful'), section(':warning: *Loud*')]);
  });

  it('leaves other colours alone', () => {
    expect(blocksOf(card([text('Note', { color: 'Warning' }), text('Fine', { color: 'Good' })]))).toEqual([section('Note'), section('Fine')]);
  });

  it('skips empty text blocks (Slack refuses empty text)', () => {
    expect(blocksOf(card([text(''), text('   '), text('Real')]))).toEqual([section('Real')]);
  });

  it('skips elements hidden with isVisible: false', () => {
    expect(blocksOf(card([text('Hidden', { isVisible: false }), text('Shown')]))).toEqual([section('Shown')]);
  });
});

describe('RichTextBlock', () => {
  it('becomes a mrkdwn section, its TextRun being the notification text', () => {
    expect(cardToBlocks(card([rich(['Hello there'])]), 'message')).toEqual({ blocks: [section('Hello there')], text: 'Hello there' });
  });

  it('shows markdown a person typed as the characters typed, escaped for mrkdwn', () => {
    const typed = '[click](https://evil.example) **bold** <@U123> & <!here>';
    expect(blocksOf(card([text('Heading', { weight: 'Bolder' }), rich([typed])]))).toEqual([
      header('Heading'),
      section('[click](https://evil.example) **bold** &lt;@U123&gt; &amp; &lt;!here&gt;'),
    ]);
  });

  it('takes heading, subtle and warning from its TextRun: header first, bold section after, context when subtle or small', () => {
    expect(
      blocksOf(
        card([
          rich([['Heading', { weight: 'Bolder', size: 'Medium' }]]),
          rich([['Named heading', { weight: 'Bolder' }]]),
          rich([['SGS-2026-0001, from Alex', { isSubtle: true }]], { spacing: 'None' }),
          rich([['Small print', { size: 'Small' }]], { separator: true }),
          rich([['Careful', { color: 'Attention' }]]),
        ]),
      ),
    ).toEqual([header('Heading'), section('*Named heading*'), context('SGS-2026-0001, from Alex'), context('Small print'), section(':warning: Careful')]);
  });

  it('joins several runs and bare string inlines into one text, formatted only where every run is', () => {
    const mixed = { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Claimed by ', weight: 'Bolder' }, 'Alex ', { type: 'TextRun', text: 'Smith', isSubtle: true }] };
    expect(blocksOf(card([text('Intro'), mixed]))).toEqual([section('Intro'), section('Claimed by Alex Smith')]);
    expect(blocksOf(card([text('Intro'), rich([['Both ', { weight: 'Bolder' }], ['bold', { weight: 'Bolder' }]])]))).toEqual([section('Intro'), section('*Both bold*')]);
  });

  it('renders exactly what a TextBlock with the same text and formatting renders', () => {
    const raw = `${'word '.repeat(900)}\n<@U1> & more`;
    for (const style of [{}, { weight: 'Bolder' }, { isSubtle: true }, { color: 'Attention', weight: 'Bolder' }]) {
      expect(cardToBlocks(card([text('Intro'), rich([[raw, style]])]), 'message')).toEqual(cardToBlocks(card([text('Intro'), text(raw, style)]), 'message'));
    }
  });

  it('splits a 7,000-character run into 3 sections of at most 3,000 characters, and a long subtle one into context blocks', () => {
    expect(blocksOf(card([rich(['x'.repeat(7000)])]))).toEqual([section('x'.repeat(3000)), section('x'.repeat(3000)), section('x'.repeat(1000))]);
    expect(blocksOf(card([rich([['&'.repeat(1000), { isSubtle: true }]])]))).toEqual([context('&amp;'.repeat(600)), context('&amp;'.repeat(400))]);
  });

  it('is a bold section, never a cut header, when a first heading is longer than the header limit', () => {
    const long = 'h'.repeat(MAX_HEADER_TEXT + 1);
    expect(blocksOf(card([rich([[long, { weight: 'Bolder' }]])]))).toEqual([section(`*${long}*`)]);
  });

  it('skips a block with no runs, empty runs or only inlines that are not TextRuns, and one hidden with isVisible: false', () => {
    expect(
      blocksOf(
        card([
          { type: 'RichTextBlock' },
          { type: 'RichTextBlock', inlines: [] },
          rich(['', '  ']),
          { type: 'RichTextBlock', inlines: [{ type: 'Image', url: 'https://example.org/a.png' }, 7, null] },
          rich(['Hidden'], { isVisible: false }),
          rich(['Shown']),
        ]),
      ),
    ).toEqual([section('Shown')]);
  });

  it('is the fallback text when it comes first, even inside a container', () => {
    expect(cardToBlocks(card([{ type: 'Container', items: [rich(['Alex & Sam'])] }, text('Later')]), 'message').text).toBe('Alex &amp; Sam');
  });
});

describe('escaping user text', () => {
  const hostile = 'Ping <@U123> and <!channel> & <https://evil.example|click me>';
  const escaped = 'Ping &lt;@U123&gt; and &lt;!channel&gt; &amp; &lt;https://evil.example|click me&gt;';

  it('escapes &, < and > so text can never form mentions or links', () => {
    expect(escapeMrkdwn(hostile)).toBe(escaped);
    expect(cardToBlocks(card([text('Heading', { weight: 'Bolder' }), text(hostile), text(hostile, { isSubtle: true }), text(hostile, { weight: 'Bolder' })]), 'message')).toEqual({
      blocks: [header('Heading'), section(escaped), context(escaped), section(`*${escaped}*`)],
      text: 'Heading',
    });
  });

  it('escapes the notification text too, and leaves a plain_text header as typed (Slack does not parse it)', () => {
    expect(cardToBlocks(card([text(hostile, { weight: 'Bolder' })]), 'message')).toEqual({ blocks: [header(hostile)], text: escaped });
  });

  it('escapes fact titles and values', () => {
    expect(blocksOf(card([{ type: 'FactSet', facts: [{ title: 'A & <b>', value: '<!here>' }] }]))).toEqual([
      { type: 'section', fields: [md('*A &amp; &lt;b&gt;*\n&lt;!here&gt;')] },
    ]);
  });

  it('keeps "${summary}" typed by a user as literal text', () => {
    const rendered = renderAdaptiveCard(
      adviceCard({ requestId: 'r-1', reference: 'SGS-2026-0001', specialist: 'Alex', advice: 'I wrote ${summary} & <@U123>' }),
    );
    expect(blocksOf(rendered)[2]).toEqual(section('I wrote ${summary} &amp; &lt;@U123&gt;'));
  });
});

describe('long text', () => {
  it('splits a 7,000-character text into 3 sections of at most 3,000 characters', () => {
    const blocks = blocksOf(card([text('x'.repeat(7000))]));
    expect(blocks).toEqual([section('x'.repeat(3000)), section('x'.repeat(3000)), section('x'.repeat(1000))]);
  });

  it('breaks at a space rather than inside a word, losing only that space', () => {
    const word = 'abcdefghi '; // 10 characters
    const raw = word.repeat(700).trim(); // 6,999 characters
    const blocks = blocksOf(card([text(raw)]));
    expect(types(blocks)).toEqual(['section', 'section', 'section']);
    const texts = blocks.map((b) => (b.type === 'section' ? b.text?.text ?? '' : ''));
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(MAX_TEXT);
    expect(texts[0]).toBe(word.repeat(300).slice(0, 2999));
    expect(texts.join(' ')).toBe(raw);
  });

  it('prefers a line break when there is one', () => {
    const raw = `${'a'.repeat(2000)}\n${'b '.repeat(600)}`; // the line break at 2,000 is past half the limit
    const blocks = blocksOf(card([text(raw)]));
    expect(blocks[0]).toEqual(section('a'.repeat(2000)));
  });

  it('measures the escaped text and never splits an escape sequence', () => {
    const blocks = blocksOf(card([text('&'.repeat(1000))]));
    expect(blocks).toEqual([section('&amp;'.repeat(600)), section('&amp;'.repeat(400))]);
  });

  it('splits bold and subtle text the same way, keeping the warning sign on the first part only', () => {
    expect(blocksOf(card([text('Intro'), text('y'.repeat(3500), { weight: 'Bolder', color: 'Attention' })]))).toEqual([
      section('Intro'),
      section(`:warning: *${'y'.repeat(2988)}*`),
      section(`*${'y'.repeat(512)}*`),
    ]);
    expect(blocksOf(card([text('z'.repeat(3001), { isSubtle: true })]))).toEqual([context('z'.repeat(3000)), context('z')]);
  });

  it('splits long text on every surface', () => {
    for (const surface of ['message', 'modal', 'home'] as const) {
      expect(types(blocksOf(card([text('x'.repeat(7000))]), surface))).toEqual(['section', 'section', 'section']);
    }
  });
});

describe('FactSet', () => {
  it('becomes a section with one mrkdwn field per fact', () => {
    expect(
      blocksOf(card([{ type: 'FactSet', facts: [{ title: 'Reference', value: 'SGS-2026-0001' }, { title: 'Status', value: 'Claimed' }, { title: 'Note', value: '' }] }])),
    ).toEqual([{ type: 'section', fields: [md('*Reference*\nSGS-2026-0001'), md('*Status*\nClaimed'), md('*Note*')] }]);
  });

  it('puts 12 facts in 2 sections of at most 10 fields', () => {
    const facts = Array.from({ length: 12 }, (_, i) => ({ title: `T${i + 1}`, value: `V${i + 1}` }));
    expect(blocksOf(card([{ type: 'FactSet', facts }]))).toEqual([
      { type: 'section', fields: facts.slice(0, 10).map((f) => md(`*${f.title}*\n${f.value}`)) },
      { type: 'section', fields: facts.slice(10).map((f) => md(`*${f.title}*\n${f.value}`)) },
    ]);
  });

  it('gives a fact too long for a field its own section, in order, rather than cutting it', () => {
    const long = 'v'.repeat(MAX_FIELD_TEXT);
    expect(blocksOf(card([{ type: 'FactSet', facts: [{ title: 'A', value: '1' }, { title: 'Long', value: long }, { title: 'B', value: '2' }] }]))).toEqual([
      { type: 'section', fields: [md('*A*\n1')] },
      section(`*Long*\n${long}`),
      { type: 'section', fields: [md('*B*\n2')] },
    ]);
  });

  it('renders nothing for an empty fact set', () => {
    expect(blocksOf(card([{ type: 'FactSet', facts: [] }]))).toEqual([]);
  });
});

describe('containers', () => {
  it('renders a plain container’s items in place', () => {
    expect(blocksOf(card([text('One'), { type: 'Container', items: [text('Two'), { type: 'Container', items: [text('Three')] }] }]))).toEqual([
      section('One'),
      section('Two'),
      section('Three'),
    ]);
  });

  it.each(['attention', 'emphasis'])('puts a divider before a %s container that is not first', (style) => {
    expect(blocksOf(card([text('Before'), { type: 'Container', style, items: [text('Inside')] }]))).toEqual([section('Before'), divider, section('Inside')]);
  });

  it('puts no divider before a styled container that comes first, nor before a default one', () => {
    expect(
      blocksOf(card([{ type: 'Container', style: 'emphasis', items: [text('Head', { weight: 'Bolder' })] }, { type: 'Container', style: 'default', items: [text('Body')] }])),
    ).toEqual([header('Head'), section('Body')]);
  });

  it('flattens a ColumnSet’s columns in order', () => {
    expect(
      blocksOf(card([{ type: 'ColumnSet', columns: [{ type: 'Column', items: [text('Left')] }, { type: 'Column', items: [text('Right')] }] }])),
    ).toEqual([section('Left'), section('Right')]);
  });

  it('renders an ActionSet in the body as buttons where it stands', () => {
    expect(blocksOf(card([text('Before'), { type: 'ActionSet', actions: [execute('Go', 'x.go', { id: 1 })] }, text('After')]))).toEqual([
      section('Before'),
      { type: 'actions', elements: [button('Go', 'x.go', { id: 1 })] },
      section('After'),
    ]);
  });
});

describe('unknown elements', () => {
  it('become a visible Teams-only notice, never dropped and never a throw', () => {
    expect(
      blocksOf(card([text('Before'), { type: 'Image', url: 'https://example.org/a.png' }, { type: 'Container', items: [{ type: 'Media', sources: [] }] }, { type: 'Input.Toggle', id: 't', title: 'Agree' }, 'junk'])),
    ).toEqual([section('Before'), teamsOnly, teamsOnly, teamsOnly]);
  });

  it('survive a card with no body or actions at all', () => {
    expect(cardToBlocks({}, 'message')).toEqual({ blocks: [], text: 'New message' });
  });
});

describe('Input.Text', () => {
  it('becomes an input block with every option carried over', () => {
    const input = {
      type: 'Input.Text',
      id: 'summary',
      label: 'A short summary',
      placeholder: 'Leave out names',
      isMultiline: true,
      isRequired: true,
      maxLength: 2000,
      value: 'Draft text',
    };
    expect(blocksOf(card([input]))).toEqual([
      {
        type: 'input',
        block_id: 'summary',
        label: pt('A short summary'),
        optional: false,
        element: {
          type: 'plain_text_input',
          action_id: 'summary',
          multiline: true,
          max_length: 2000,
          initial_value: 'Draft text',
          placeholder: pt('Leave out names'),
        },
      },
    ]);
  });

  it('falls back to the id for the label, is optional when not required, and has no initial value when empty', () => {
    expect(blocksOf(card([{ type: 'Input.Text', id: 'availability', value: '' }]))).toEqual([
      { type: 'input', block_id: 'availability', label: pt('availability'), optional: true, element: { type: 'plain_text_input', action_id: 'availability', multiline: false } },
    ]);
  });

  it('caps max_length at what Slack accepts', () => {
    const [block] = blocksOf(card([{ type: 'Input.Text', id: 'advice', maxLength: 4000 }]));
    expect(block).toMatchObject({ element: { max_length: MAX_INPUT_LENGTH } });
  });

  it('truncates a long placeholder and label visibly', () => {
    const [block] = blocksOf(card([{ type: 'Input.Text', id: 'a', label: 'l'.repeat(2001), placeholder: 'p'.repeat(151) }]));
    expect(block).toEqual({
      type: 'input',
      block_id: 'a',
      label: pt(`${'l'.repeat(1999)}…`),
      optional: true,
      element: { type: 'plain_text_input', action_id: 'a', multiline: false, placeholder: pt(`${'p'.repeat(149)}…`) },
    });
  });

  it('shows the Teams-only notice for an input without an id', () => {
    expect(blocksOf(card([{ type: 'Input.Text', label: 'No id' }]))).toEqual([teamsOnly]);
  });

  it('refuses an id longer than a block id may be', () => {
    expect(() => blocksOf(card([{ type: 'Input.Text', id: 'i'.repeat(256) }]))).toThrow(/longer than Slack's 255/);
  });
});

describe('Input.ChoiceSet', () => {
  const choices = [
    { title: 'Individual', value: 'INDIVIDUAL' },
    { title: 'Group', value: 'GROUP' },
  ];
  const options = [
    { text: pt('Individual'), value: 'INDIVIDUAL' },
    { text: pt('Group'), value: 'GROUP' },
  ];

  it('becomes radio buttons when expanded, with the matching initial option', () => {
    expect(blocksOf(card([{ type: 'Input.ChoiceSet', id: 'format', label: 'Format?', style: 'expanded', value: 'GROUP', choices }]))).toEqual([
      {
        type: 'input',
        block_id: 'format',
        label: pt('Format?'),
        optional: true,
        element: { type: 'radio_buttons', action_id: 'format', options, initial_option: options[1] },
      },
    ]);
  });

  it('becomes a static select otherwise, without an initial option when the value matches none', () => {
    expect(
      blocksOf(card([{ type: 'Input.ChoiceSet', id: 'outcome', label: 'Outcome', isRequired: true, placeholder: 'Choose', value: 'NOPE', choices }])),
    ).toEqual([
      {
        type: 'input',
        block_id: 'outcome',
        label: pt('Outcome'),
        optional: false,
        element: { type: 'static_select', action_id: 'outcome', options, placeholder: pt('Choose') },
      },
    ]);
  });

  it('falls back to a static select when expanded with more choices than radio buttons allow', () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ title: `C${i}`, value: `v${i}` }));
    const [block] = blocksOf(card([{ type: 'Input.ChoiceSet', id: 'c', style: 'expanded', choices: many }]));
    expect(block).toMatchObject({ element: { type: 'static_select' } });
  });

  it('becomes checkboxes or a multi-select when isMultiSelect', () => {
    expect(blocksOf(card([{ type: 'Input.ChoiceSet', id: 'm', style: 'expanded', isMultiSelect: true, value: 'GROUP,INDIVIDUAL', choices }]))).toEqual([
      { type: 'input', block_id: 'm', label: pt('m'), optional: true, element: { type: 'checkboxes', action_id: 'm', options, initial_options: options } },
    ]);
    expect(blocksOf(card([{ type: 'Input.ChoiceSet', id: 'm', isMultiSelect: true, value: 'GROUP', choices }]))).toEqual([
      { type: 'input', block_id: 'm', label: pt('m'), optional: true, element: { type: 'multi_static_select', action_id: 'm', options, initial_options: [options[1]] } },
    ]);
  });

  it('truncates option text to 75 characters', () => {
    const [block] = blocksOf(card([{ type: 'Input.ChoiceSet', id: 'c', choices: [{ title: 'o'.repeat(80), value: 'v' }] }]));
    expect(block).toMatchObject({ element: { options: [{ text: pt(`${'o'.repeat(74)}…`), value: 'v' }] } });
  });

  it('refuses more than 100 choices and option values over 150 characters', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ title: `C${i}`, value: `v${i}` }));
    expect(() => blocksOf(card([{ type: 'Input.ChoiceSet', id: 'c', choices: many }]))).toThrow(/101 choices; Slack allows 100/);
    expect(() => blocksOf(card([{ type: 'Input.ChoiceSet', id: 'c', choices: [{ title: 't', value: 'v'.repeat(151) }] }]))).toThrow(/longer than Slack's 150/);
  });

  it('shows the Teams-only notice when there is nothing to choose', () => {
    expect(blocksOf(card([{ type: 'Input.ChoiceSet', id: 'c', choices: [] }]))).toEqual([teamsOnly]);
  });
});

describe('actions', () => {
  it('become buttons: verb as action_id, data as JSON value, positive/destructive as primary/danger', () => {
    expect(
      blocksOf(
        card(
          [text('Claim it?')],
          [
            execute('Claim', 'request.claim', { requestId: 'r-1', version: 3 }, { style: 'positive' }),
            execute('Withdraw', 'request.withdraw', { requestId: 'r-1' }, { style: 'destructive' }),
            execute('Later', 'request.later', {}),
            execute('No data', 'request.none', undefined),
          ],
        ),
      ),
    ).toEqual([
      section('Claim it?'),
      {
        type: 'actions',
        elements: [
          button('Claim', 'request.claim', { requestId: 'r-1', version: 3 }, 'primary'),
          button('Withdraw', 'request.withdraw', { requestId: 'r-1' }, 'danger'),
          button('Later', 'request.later', {}),
          button('No data', 'request.none', {}),
        ],
      },
    ]);
  });

  it('truncates a button title to 75 characters with an ellipsis', () => {
    expect(blocksOf(card([], [execute('t'.repeat(76), 'x.y', {})]))).toEqual([
      { type: 'actions', elements: [button(`${'t'.repeat(74)}…`, 'x.y', {})] },
    ]);
  });

  it('splits more than 25 buttons into several actions blocks', () => {
    const actions = Array.from({ length: 30 }, (_, i) => execute(`B${i}`, `verb.${i}`, { i }));
    const blocks = blocksOf(card([], actions));
    expect(blocks).toEqual([
      { type: 'actions', elements: actions.slice(0, 25).map((_, i) => button(`B${i}`, `verb.${i}`, { i })) },
      { type: 'actions', elements: actions.slice(25).map((_, i) => button(`B${i + 25}`, `verb.${i + 25}`, { i: i + 25 })) },
    ]);
  });

  it('makes repeated verbs unique with #1, #2... and baseActionId restores them', () => {
    const blocks = blocksOf(card([], [execute('Yes', 'intake.risk', { answer: 'yes' }), execute('Other', 'other.verb', {}), execute('No', 'intake.risk', { answer: 'no' })]));
    expect(ids(blocks)).toEqual(['intake.risk#1', 'other.verb', 'intake.risk#2']);
    expect(ids(blocks).map((id) => baseActionId(id ?? ''))).toEqual(['intake.risk', 'other.verb', 'intake.risk']);
    expect(baseActionId('card.open:request.close#12')).toBe('card.open:request.close');
    expect(baseActionId('request.claim')).toBe('request.claim');
  });

  it('numbers repeats across the body’s ActionSets and the card’s actions (unique within the message)', () => {
    const blocks = blocksOf(card([{ type: 'ActionSet', actions: [execute('A', 'x.go', { n: 1 })] }], [execute('B', 'x.go', { n: 2 })]));
    expect(ids(blocks)).toEqual(['x.go#1', 'x.go#2']);
  });

  it('throws a clear error when the action data is too big for a button value', () => {
    const data = { text: 'd'.repeat(MAX_ACTION_VALUE) };
    expect(() => cardToBlocks(card([], [execute('Big', 'request.big', data)]), 'message')).toThrow(
      'The data of card action "request.big" is 2011 characters as JSON; Slack allows 2000 in a button value. Keep card data small (ids and versions, not text).',
    );
    const fits = { t: 'd'.repeat(MAX_ACTION_VALUE - 8) }; // {"t":"…"} is exactly 2,000 characters
    expect(values(blocksOf(card([], [execute('Fits', 'request.fits', fits)])))).toEqual([fits]);
  });

  it('refuses a verb that already ends in #<number>, and an action id over 255 characters', () => {
    expect(() => blocksOf(card([], [execute('Odd', 'x.y#2', {})]))).toThrow(/must not end in #<number>/);
    expect(() => blocksOf(card([], [execute('Long', 'v'.repeat(256), {})]))).toThrow(/longer than 255/);
  });

  it('shows a Teams-only notice after the buttons for actions Slack cannot run', () => {
    expect(blocksOf(card([], [execute('Go', 'x.go', {}), { type: 'Action.ToggleVisibility', title: 'More' }, { type: 'Action.Execute', title: 'No verb' }]))).toEqual([
      { type: 'actions', elements: [button('Go', 'x.go', {})] },
      teamsOnly,
    ]);
  });
});

describe('Action.ShowCard', () => {
  const adviseCard = {
    type: 'Action.ShowCard',
    title: 'Give advice',
    card: {
      type: 'AdaptiveCard',
      body: [{ type: 'Input.Text', id: 'advice', label: 'Advice for the requester', isMultiline: true, isRequired: true, maxLength: 4000 }],
      actions: [execute('Send advice', 'request.advise', { requestId: 'r-1', version: 2 })],
    },
  };
  const closeCard = (title: string, data: unknown) => ({
    type: 'Action.ShowCard',
    title,
    card: {
      type: 'AdaptiveCard',
      body: [{ type: 'Input.ChoiceSet', id: 'outcome', label: 'Outcome', isRequired: true, choices: [{ title: 'Advice given', value: 'ADVICE_GIVEN' }] }],
      actions: [execute('Close request', 'request.close', data)],
    },
  });

  it('becomes a card.open:<inner verb> button carrying the title and the inner data', () => {
    expect(blocksOf(card([], [adviseCard]))).toEqual([
      { type: 'actions', elements: [button('Give advice', 'card.open:request.advise', { title: 'Give advice', data: { requestId: 'r-1', version: 2 } })] },
    ]);
  });

  it('gets a #n suffix when two ShowCards share an inner verb', () => {
    const blocks = blocksOf(card([], [closeCard('Close A', { id: 'a' }), closeCard('Close B', { id: 'b' })]));
    expect(ids(blocks)).toEqual(['card.open:request.close#1', 'card.open:request.close#2']);
  });

  it('is a Teams-only notice when the sub-card has no Execute to submit', () => {
    expect(blocksOf(card([], [{ type: 'Action.ShowCard', title: 'Look', card: { type: 'AdaptiveCard', body: [text('Just text')] } }]))).toEqual([teamsOnly]);
  });

  it('opens as a modal built from the sub-card', () => {
    expect(showCardToModal(card([], [adviseCard]), 'card.open:request.advise')).toEqual({
      title: 'Give advice',
      blocks: [
        {
          type: 'input',
          block_id: 'advice',
          label: pt('Advice for the requester'),
          optional: false,
          element: { type: 'plain_text_input', action_id: 'advice', multiline: true, max_length: 3000 },
        },
      ],
      submitLabel: 'Send advice',
      verb: 'request.advise',
      data: { requestId: 'r-1', version: 2 },
    });
  });

  it('finds the right one of two ShowCards with the same verb by its #n suffix', () => {
    const c = card([], [closeCard('Close A', { id: 'a' }), closeCard('Close B', { id: 'b' })]);
    expect(showCardToModal(c, 'card.open:request.close#2')).toMatchObject({ title: 'Close B', verb: 'request.close', data: { id: 'b' } });
    expect(showCardToModal(c, 'card.open:request.close#1')).toMatchObject({ title: 'Close A', data: { id: 'a' } });
  });

  it('returns undefined for an action id the card does not have', () => {
    expect(showCardToModal(card([], [adviseCard]), 'card.open:request.close')).toBeUndefined();
    expect(showCardToModal(card([], [adviseCard]), 'request.advise')).toBeUndefined();
  });

  it('keeps the modal title and submit label within Slack’s 24 characters', () => {
    const long = { ...adviseCard, title: 'Give some very detailed advice now', card: { ...adviseCard.card, actions: [execute('Send this advice to the requester', 'request.advise', {})] } };
    expect(showCardToModal(card([], [long]), 'card.open:request.advise')).toMatchObject({
      title: 'Give some very detailed…',
      submitLabel: 'Send this advice to the…',
    });
  });

  it('renders any other sub-card actions as buttons in the modal', () => {
    const withExtra = { ...adviseCard, card: { ...adviseCard.card, actions: [...adviseCard.card.actions, execute('Template', 'advice.template', { t: 1 })] } };
    const modal = showCardToModal(card([], [withExtra]), 'card.open:request.advise');
    expect(modal?.blocks.map((b) => b.type)).toEqual(['input', 'actions']);
    expect(ids(modal?.blocks ?? [])).toEqual(['advice.template']);
  });
});

describe('surface limits', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => text(`Item ${i + 1}`));

  it('keeps a message of exactly 50 blocks as it is', () => {
    expect(blocksOf(card(many(50)))).toHaveLength(50);
  });

  it('truncates a message over 50 blocks visibly: 49 blocks then "… N more items not shown"', () => {
    const blocks = blocksOf(card(many(60)));
    expect(blocks).toHaveLength(MAX_BLOCKS_MESSAGE);
    expect(blocks.slice(0, 49)).toEqual(many(49).map((t) => section(t.text)));
    expect(blocks[49]).toEqual(context('… 11 more items not shown'));
  });

  it('counts every hidden block, and allows exactly 100 in a modal', () => {
    expect(blocksOf(card(many(51))).at(-1)).toEqual(context('… 2 more items not shown'));
    expect(blocksOf(card(many(101)), 'modal').at(-1)).toEqual(context('… 2 more items not shown'));
    expect(blocksOf(card(many(100)), 'modal').at(-1)).toEqual(section('Item 100'));
  });

  it('keeps the card’s buttons after the marker so a long card can still be acted on', () => {
    const blocks = blocksOf(card(many(60), [execute('Claim', 'request.claim', { requestId: 'r-1' })]));
    expect(blocks).toHaveLength(50);
    expect(blocks[47]).toEqual(section('Item 48'));
    expect(blocks[48]).toEqual(context('… 12 more items not shown'));
    expect(blocks[49]).toEqual({ type: 'actions', elements: [button('Claim', 'request.claim', { requestId: 'r-1' })] });
  });

  it('allows 100 blocks in a modal and on the Home tab', () => {
    for (const surface of ['modal', 'home'] as const) {
      const blocks = blocksOf(card(many(120)), surface);
      expect(blocks).toHaveLength(MAX_BLOCKS_MODAL);
      expect(blocks[99]).toEqual(context('… 21 more items not shown'));
    }
  });
});

describe('fallback text', () => {
  it('is the first text block, plain (no bold, no warning sign), even inside a container', () => {
    expect(cardToBlocks(card([{ type: 'FactSet', facts: [{ title: 'a', value: 'b' }] }, { type: 'Container', items: [text('First & *only*', { weight: 'Bolder', color: 'Attention' })] }, text('Second')]), 'message').text).toBe(
      'First &amp; *only*',
    );
  });

  it('is cut to Slack’s 40,000 characters', () => {
    const { text: fallback } = cardToBlocks(card([text('t'.repeat(50000))]), 'message');
    expect(fallback).toBe(`${'t'.repeat(39999)}…`);
  });
});

// ---------------------------------------------------------------------------------------
// Every real template, rendered with the data src/flows/cards.ts gives it
// ---------------------------------------------------------------------------------------

const REQUEST_ID = '0b6c8d1e-4f7a-4c2b-9d3e-5a6b7c8d9e0f';

function request(overrides: Record<string, unknown> = {}): RequestWithPeople {
  return {
    id: REQUEST_ID,
    version: 4,
    reference: 'SGS-2026-0042',
    staffGroupName: 'Nursing',
    route: 'ADVICE',
    urgency: 'ROUTINE',
    helpType: 'ADVICE',
    format: null,
    status: 'OPEN',
    outcome: null,
    createdAt: new Date('2026-03-02T09:00:00Z'),
    firstResponseAt: null,
    availability: 'Mornings',
    adjustments: null,
    summary: 'Worried about a child & <!channel>',
    identifierWarnings: [],
    requester: { id: 'p-1', name: 'Sam Carter', jobTitle: 'Staff nurse' },
    claimedBy: null,
    closedBy: null,
    sessions: [],
    ...overrides,
  } as unknown as RequestWithPeople;
}
const NOW = new Date('2026-03-02T10:30:00Z');
const DUE = new Date('2026-03-02T13:00:00Z');
const outcomes = [
  { text: pt('Advice given'), value: 'ADVICE_GIVEN' },
  { text: pt('Session booked'), value: 'SESSION_BOOKED' },
  { text: pt('Referred elsewhere'), value: 'REFERRED_ELSEWHERE' },
  { text: pt('No further action'), value: 'NO_FURTHER_ACTION' },
  { text: pt('Withdrawn by requester'), value: 'WITHDRAWN' },
  { text: pt('Duplicate request'), value: 'DUPLICATE' },
];

describe('real templates', () => {
  it('intake-risk: header, intro, bold question, Yes/No with unique ids', () => {
    const { blocks, text: fallback } = cardToBlocks(renderAdaptiveCard(riskCard('I can help you ask for safeguarding supervision.')), 'message');
    expect(types(blocks)).toEqual(['header', 'section', 'section', 'actions']);
    expect(blocks.slice(0, 3)).toEqual([
      header('Safeguarding supervision'),
      section('I can help you ask for safeguarding supervision.'),
      section('*Is anyone at immediate risk of harm right now?*'),
    ]);
    expect(buttonsOf(blocks)).toEqual([
      button('Yes, someone is at risk now', 'intake.risk#1', { answer: 'yes' }, 'danger'),
      button('No', 'intake.risk#2', { answer: 'no' }),
    ]);
    expect(ids(blocks).map((id) => baseActionId(id ?? ''))).toEqual(['intake.risk', 'intake.risk']);
    expect(fallback).toBe('Safeguarding supervision');
  });

  it('intake-kind: four kinds, numbered', () => {
    const blocks = blocksOf(renderAdaptiveCard(kindCard('Thanks. Nobody is at immediate risk.')));
    expect(types(blocks)).toEqual(['header', 'section', 'actions']);
    expect(ids(blocks)).toEqual(['intake.kind#1', 'intake.kind#2', 'intake.kind#3', 'intake.kind#4']);
    expect(values(blocks)).toEqual([{ helpType: 'ADVICE' }, { helpType: 'SESSION' }, { helpType: 'CHILD_DEATH' }, { helpType: 'EMOTIONAL_IMPACT' }]);
  });

  it('intake-details for a session, after an identifier warning: inputs at the top level, buttons below', () => {
    const rendered = renderAdaptiveCard(
      detailsCard('SESSION', { format: 'GROUP', availability: 'Tuesdays', summary: 'Typed ${summary} & <@U123>' }, { findings: [{ kind: 'NHS_NUMBER', field: 'summary' }] }),
    );
    const blocks = blocksOf(rendered);
    expect(types(blocks)).toEqual(['header', 'divider', 'section', 'input', 'input', 'input', 'input', 'context', 'actions']);
    expect(blocks[0]).toEqual(header('Supervision session: a few details'));
    expect(blocks[2]).toEqual(
      section(':warning: *This looks like it may contain an NHS number. Please remove anything that could identify a patient, then send again.*'),
    );
    expect(blocks[3]).toMatchObject({ block_id: 'format', optional: true, element: { type: 'radio_buttons', action_id: 'format', initial_option: { value: 'GROUP' } } });
    expect(blocks[6]).toEqual({
      type: 'input',
      block_id: 'summary',
      label: pt('A short summary of what you need help with'),
      optional: false,
      element: {
        type: 'plain_text_input',
        action_id: 'summary',
        multiline: true,
        max_length: 2000,
        initial_value: 'Typed ${summary} & <@U123>', // plain text in an input: shown as typed, never parsed
        placeholder: pt('Please leave out names, NHS numbers, dates of birth and addresses'),
      },
    });
    expect(buttonsOf(blocks)).toEqual([
      button('Check again and send', 'intake.details#1', { acknowledged: 'no' }),
      button('It is not patient-identifiable: send as it is', 'intake.details#2', { acknowledged: 'yes' }),
      button('Cancel', 'intake.cancel', {}),
    ]);
  });

  it('intake-details for quick advice: no format question, no warning', () => {
    const blocks = blocksOf(renderAdaptiveCard(detailsCard('ADVICE', {})));
    expect(types(blocks)).toEqual(['header', 'input', 'input', 'input', 'context', 'actions']);
    expect(blocks.filter((b) => b.type === 'input').map((b) => b.block_id)).toEqual(['availability', 'adjustments', 'summary']);
    expect(ids(blocks)).toEqual(['intake.details', 'intake.cancel']);
    expect(values(blocks)).toEqual([{ acknowledged: 'no' }, {}]);
  });

  it('urgent-routes: warning header, each route, what the bot did', () => {
    const blocks = blocksOf(
      renderAdaptiveCard(
        urgentRoutesCard(
          [
            { label: 'Emergency services', detail: '999' },
            { label: 'Safeguarding duty line', detail: '0113 000 0000 (Mon–Fri 9–5)' },
          ],
          'I have alerted the safeguarding team.',
        ),
      ),
    );
    expect(blocks).toEqual([
      header(':warning: If someone is at immediate risk'),
      section('Do not wait for a reply here. Use one of these now:'),
      section('*Emergency services*'),
      section('999'),
      section('*Safeguarding duty line*'),
      section('0113 000 0000 (Mon–Fri 9–5)'),
      section('I have alerted the safeguarding team.'),
    ]);
  });

  it('request-confirmation: facts, next steps, support lines', () => {
    const blocks = blocksOf(
      renderAdaptiveCard(
        confirmationCard({
          reference: 'SGS-2026-0042',
          helpType: 'SESSION',
          expectation: 'by 13:00 today',
          nextSteps: 'A specialist will contact you.',
          support: [{ label: 'Staff support', detail: '0113 111 1111' }],
        }),
      ),
    );
    expect(types(blocks)).toEqual(['header', 'section', 'section', 'section', 'section', 'context']);
    expect(blocks[1]).toEqual({
      type: 'section',
      fields: [md('*Reference*\nSGS-2026-0042'), md('*What you asked for*\nSupervision session'), md('*Expect contact*\nby 13:00 today')],
    });
    expect(blocks.slice(3)).toEqual([section('*Support for you*'), section('Staff support: 0113 111 1111'), context('If anyone is at immediate risk at any point, call 999.')]);
    expect(ids(blocks)).toEqual([]);
  });

  it('open-request: facts and a button to start again', () => {
    const blocks = blocksOf(renderAdaptiveCard(openRequestCard(request({ status: 'CLAIMED', claimedBy: { id: 'p-2', name: 'Alex Smith' } }))));
    expect(types(blocks)).toEqual(['header', 'section', 'section', 'actions']);
    expect(blocks[1]).toEqual({ type: 'section', fields: [md('*Reference*\nSGS-2026-0042'), md('*Status*\nClaimed'), md('*Claimed by*\nAlex Smith')] });
    expect(buttonsOf(blocks)).toEqual([button('Start a new request', 'intake.start', {})]);
  });

  it('triage-request, urgent and open: warning header, 10 facts in one section, claim and close', () => {
    const blocks = blocksOf(renderAdaptiveCard(triageCard(request({ urgency: 'URGENT', route: 'SUPERVISION' }), NOW, DUE, 'Europe/London')));
    expect(types(blocks)).toEqual(['header', 'section', 'context', 'actions']);
    expect(blocks[0]).toEqual(header(':warning: URGENT: SGS-2026-0042 (someone may be at immediate risk)'));
    expect(blocks[1]).toMatchObject({ type: 'section' });
    expect((blocks[1] as { fields: unknown[] }).fields).toHaveLength(10);
    expect(ids(blocks)).toEqual(['request.claim', 'card.open:request.close']);
    expect(buttonsOf(blocks)[0]).toMatchObject({ style: 'primary' });
    expect(values(blocks)).toEqual([
      { requestId: REQUEST_ID, version: 4 },
      { title: 'Close', data: { requestId: REQUEST_ID, version: 4 } },
    ]);
  });

  it('triage-request, claimed: details, advice and close; each ShowCard opens its modal', () => {
    const rendered = renderAdaptiveCard(triageCard(request({ status: 'CLAIMED', claimedBy: { id: 'p-2', name: 'Alex Smith' } }), NOW, DUE, 'Europe/London'));
    const blocks = blocksOf(rendered);
    expect(types(blocks)).toEqual(['header', 'section', 'context', 'actions']);
    expect(blocks[0]).toEqual(header('New request SGS-2026-0042'));
    expect(ids(blocks)).toEqual(['request.details', 'card.open:request.advise', 'card.open:request.close']);
    expect(values(blocks)).toEqual([
      { requestId: REQUEST_ID, version: 4 },
      { title: 'Give advice', data: { requestId: REQUEST_ID, version: 4 } },
      { title: 'Close', data: { requestId: REQUEST_ID, version: 4 } },
    ]);
    expect(showCardToModal(rendered, 'card.open:request.advise')).toEqual({
      title: 'Give advice',
      blocks: [
        {
          type: 'input',
          block_id: 'advice',
          label: pt('Advice for the requester'),
          optional: false,
          element: { type: 'plain_text_input', action_id: 'advice', multiline: true, max_length: 3000 },
        },
      ],
      submitLabel: 'Send advice',
      verb: 'request.advise',
      data: { requestId: REQUEST_ID, version: 4 },
    });
    expect(showCardToModal(rendered, 'card.open:request.close')).toEqual({
      title: 'Close',
      blocks: [
        { type: 'input', block_id: 'outcome', label: pt('Outcome'), optional: false, element: { type: 'static_select', action_id: 'outcome', options: outcomes } },
      ],
      submitLabel: 'Close request',
      verb: 'request.close',
      data: { requestId: REQUEST_ID, version: 4 },
    });
  });

  it('triage-request, closed: no buttons at all', () => {
    const blocks = blocksOf(renderAdaptiveCard(triageCard(request({ status: 'CLOSED', outcome: 'ADVICE_GIVEN' }), NOW, DUE, 'Europe/London')));
    expect(types(blocks)).toEqual(['header', 'section', 'context']);
    expect(blocks[0]).toEqual(header('SGS-2026-0042: closed (Advice given)'));
  });

  it('request-detail: confidential summary escaped, warnings, advice and close', () => {
    const noSupervisors = { supervisors: [], defaultSupervisorId: '', defaultDuration: 60 };
    const rendered = renderAdaptiveCard(requestDetailCard(request({ status: 'CLAIMED', identifierWarnings: ['POSTCODE'] }), noSupervisors));
    const blocks = blocksOf(rendered);
    expect(types(blocks)).toEqual(['header', 'context', 'section', 'section', 'section', 'context', 'actions']);
    expect(blocks[0]).toEqual(header('SGS-2026-0042: confidential details'));
    expect((blocks[2] as { fields: unknown[] }).fields).toHaveLength(8);
    expect(blocks[3]).toEqual(section('*Summary*'));
    expect(blocks[4]).toEqual(section('Worried about a child &amp; &lt;!channel&gt;'));
    expect(blocks[5]).toEqual(context('The requester kept text the bot flagged as possibly a postcode.'));
    expect(ids(blocks)).toEqual(['card.open:request.advise', 'card.open:request.close']);
    expect(values(blocks)).toEqual([
      { title: 'Give advice', data: { requestId: REQUEST_ID, version: 4, view: 'details' } },
      { title: 'Close', data: { requestId: REQUEST_ID, version: 4, view: 'details' } },
    ]);
    expect(showCardToModal(rendered, 'card.open:request.close')?.verb).toBe('request.close');
  });

  it('request-detail and advice bind typed text in a TextRun, which Slack shows like the TextBlock it replaced', () => {
    const noSupervisors = { supervisors: [], defaultSupervisorId: '', defaultDuration: 60 };
    const detail = renderAdaptiveCard(requestDetailCard(request({ status: 'CLAIMED' }), noSupervisors)) as { body: Array<Record<string, unknown>> };
    expect(detail.body[4]).toEqual(rich(['Worried about a child & <!channel>']));
    const advice = renderAdaptiveCard(adviceCard({ requestId: REQUEST_ID, reference: 'SGS-2026-0042', specialist: 'Alex Smith', advice: '**Talk** to [them](https://evil.example)' })) as {
      body: Array<Record<string, unknown>>;
    };
    expect(advice.body.slice(1, 3)).toEqual([
      rich([['SGS-2026-0042, from Alex Smith', { isSubtle: true }]], { spacing: 'None' }),
      rich(['**Talk** to [them](https://evil.example)']),
    ]);
    expect(blocksOf(advice as AdaptiveCard).slice(1, 3)).toEqual([context('SGS-2026-0042, from Alex Smith'), section('**Talk** to [them](https://evil.example)')]);
  });

  it('advice: two feedback buttons with one verb, made unique', () => {
    const blocks = blocksOf(renderAdaptiveCard(adviceCard({ requestId: REQUEST_ID, reference: 'SGS-2026-0042', specialist: 'Alex Smith', advice: 'Talk to the named nurse.' })));
    expect(types(blocks)).toEqual(['header', 'context', 'section', 'context', 'section', 'actions']);
    expect(blocks.slice(0, 3)).toEqual([header('Advice from the safeguarding team'), context('SGS-2026-0042, from Alex Smith'), section('Talk to the named nurse.')]);
    // The acknowledgement is asked for in so many words, above the buttons that give it.
    expect(blocks[4]).toEqual(section('Please acknowledge this advice: either button below records on it that you have received it, so the record is kept by both of you.'));
    expect(buttonsOf(blocks)).toEqual([
      button('That helped', 'request.feedback#1', { requestId: REQUEST_ID, answer: 'helped' }, 'primary'),
      button("I'd like a supervision session", 'request.feedback#2', { requestId: REQUEST_ID, answer: 'session' }),
    ]);
    expect(ids(blocks).map((id) => baseActionId(id ?? ''))).toEqual(['request.feedback', 'request.feedback']);
  });

  it('advice, answered: the answer in bold and no buttons', () => {
    const blocks = blocksOf(
      renderAdaptiveCard(adviceCard({ requestId: REQUEST_ID, reference: 'SGS-2026-0042', specialist: 'Alex Smith', advice: 'Talk to the named nurse.', answered: 'Thanks: glad it helped.' })),
    );
    expect(types(blocks)).toEqual(['header', 'context', 'section', 'context', 'section']);
    expect(blocks[4]).toEqual(section('*Thanks: glad it helped.*'));
  });
});

describe('date, time and number inputs', () => {
  it('turns Input.Date into a datepicker with its initial date', () => {
    expect(blocksOf(card([{ type: 'Input.Date', id: 'day', label: 'Date', value: '2026-12-01', isRequired: true, placeholder: 'Pick a day' }]))).toEqual([
      {
        type: 'input',
        block_id: 'day',
        label: { type: 'plain_text', text: 'Date' },
        optional: false,
        element: { type: 'datepicker', action_id: 'day', initial_date: '2026-12-01', placeholder: { type: 'plain_text', text: 'Pick a day' } },
      },
    ]);
  });

  it('turns Input.Time into a timepicker and ignores a malformed initial value', () => {
    expect(blocksOf(card([{ type: 'Input.Time', id: 'at', label: 'Time', value: '25:00' }]))).toEqual([
      { type: 'input', block_id: 'at', label: { type: 'plain_text', text: 'Time' }, optional: true, element: { type: 'timepicker', action_id: 'at' } },
    ]);
    expect(blocksOf(card([{ type: 'Input.Time', id: 'at', label: 'Time', value: '09:30' }]))[0]).toMatchObject({ element: { initial_time: '09:30' } });
  });

  it('turns Input.Number into a whole-number input with its bounds', () => {
    expect(blocksOf(card([{ type: 'Input.Number', id: 'minutes', label: 'Minutes', min: 15, max: 180, value: 60 }]))).toEqual([
      {
        type: 'input',
        block_id: 'minutes',
        label: { type: 'plain_text', text: 'Minutes' },
        optional: true,
        element: { type: 'number_input', action_id: 'minutes', is_decimal_allowed: false, min_value: '15', max_value: '180', initial_value: '60' },
      },
    ]);
  });
});

describe('link buttons', () => {
  it('turns Action.OpenUrl into a url button, numbering repeats', () => {
    const blocks = blocksOf(
      card([], [
        { type: 'Action.OpenUrl', title: 'Add to calendar', url: 'https://sg.example.nhs.uk/invites/abc' },
        { type: 'Action.OpenUrl', title: 'Join online', url: 'https://teams.microsoft.com/l/meetup-join/x' },
      ]),
    );
    expect(blocks).toEqual([
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'link.open#1', text: { type: 'plain_text', text: 'Add to calendar' }, url: 'https://sg.example.nhs.uk/invites/abc' },
          { type: 'button', action_id: 'link.open#2', text: { type: 'plain_text', text: 'Join online' }, url: 'https://teams.microsoft.com/l/meetup-join/x' },
        ],
      },
    ]);
  });

  it('does not make a button of a link that is not http(s)', () => {
    expect(blocksOf(card([], [{ type: 'Action.OpenUrl', title: 'Run', url: 'javascript:alert(1)' }]))).toEqual([teamsOnly]);
  });
});
