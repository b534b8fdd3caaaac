/**
 * Adaptive Card -> Slack Block Kit.
 *
 * The expanded Adaptive Card (src/cards/render.ts) is the single source for both platforms:
 * Teams gets it as is, Slack gets this translation of the same card. One renderer dispatches
 * on element type and recurses into containers, so a card cannot look one way in Teams and
 * another in Slack by accident.
 *
 * Actions keep their meaning across platforms: an `Action.Execute` becomes a button whose
 * `action_id` is the verb and whose `value` is the JSON of the action's data, so the same
 * handler runs whichever platform the click came from. An `Action.ShowCard` (a sub-card with
 * inputs and one inner Execute) becomes a button that opens a modal built from the sub-card.
 *
 * Every text that can come from a person is escaped for mrkdwn and sent with `verbatim`, so
 * "<@U123>", "<!channel>" or "@here" typed into a summary stays text and never pings anyone.
 */
import type {
  ActionsBlock,
  Button,
  Checkboxes,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  InputBlock,
  KnownBlock,
  MrkdwnElement,
  MultiStaticSelect,
  PlainTextElement,
  PlainTextInput,
  PlainTextOption,
  RadioButtons,
  SectionBlock,
  StaticSelect,
} from '@slack/types';

// ---------------------------------------------------------------------------------------
// Slack's limits (https://docs.slack.dev/reference/block-kit/). Every limit enforced below
// is named here.
// ---------------------------------------------------------------------------------------

/** Blocks in one message. */
export const MAX_BLOCKS_MESSAGE = 50;
/** Blocks in a modal view, and in a Home tab view. */
export const MAX_BLOCKS_MODAL = 100;
/** Text of a section block, and of any mrkdwn text object (context elements included). */
export const MAX_TEXT = 3000;
/** Text of a button. */
export const MAX_PLAIN_TEXT_BUTTON = 75;
/** A button's `value`. */
export const MAX_ACTION_VALUE = 2000;
/** An element's `action_id`. */
export const MAX_ACTION_ID = 255;
/** A block's `block_id`. */
export const MAX_BLOCK_ID = 255;
/** Text of a header block (plain_text). */
export const MAX_HEADER_TEXT = 150;
/** Fields in one section block. */
export const MAX_FIELDS = 10;
/** Text of one section field. */
export const MAX_FIELD_TEXT = 2000;
/** Elements in one actions block. */
export const MAX_ELEMENTS_PER_ACTIONS = 25;
/** Options in a static select or multi-select menu. */
export const MAX_OPTIONS = 100;
/** Options in a radio button group or a checkbox group (more than this falls back to a menu). */
export const MAX_RADIO_OPTIONS = 10;
/** Text of an option. */
export const MAX_OPTION_TEXT = 75;
/** Value of an option. */
export const MAX_OPTION_VALUE = 150;
/** Label of an input block. */
export const MAX_INPUT_LABEL = 2000;
/** Placeholder of an input element or menu. */
export const MAX_PLACEHOLDER = 150;
/** `max_length` of a plain_text_input (Slack refuses anything larger). */
export const MAX_INPUT_LENGTH = 3000;
/** Title of a modal. */
export const MAX_MODAL_TITLE = 24;
/** Text of a modal's submit and close buttons. */
export const MAX_MODAL_BUTTON = 24;
/** The top-level `text` of a message (Slack truncates longer text). */
export const MAX_FALLBACK_TEXT = 40000;

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

export type SlackSurface = 'message' | 'modal' | 'home';

/** An expanded Adaptive Card, as renderAdaptiveCard returns it. Read defensively. */
export interface AdaptiveCard {
  [key: string]: unknown;
}

export interface SlackCard {
  blocks: KnownBlock[];
  /** Notification and accessibility fallback: the card's first text, plain and escaped. */
  text: string;
}

/** What the Slack adapter needs to `views.open` a modal for an Action.ShowCard. */
export interface SlackModal {
  /** The ShowCard's title, at most MAX_MODAL_TITLE characters. */
  title: string;
  /** The sub-card's body, translated like any card (inputs become input blocks). */
  blocks: KnownBlock[];
  /** The inner Execute's title, at most MAX_MODAL_BUTTON characters. */
  submitLabel: string;
  /** On submit, call this verb with `data` plus the input values. */
  verb: string;
  data: Record<string, unknown>;
}

/** Shown in place of anything Slack cannot show, so nothing is dropped silently. */
export const TEAMS_ONLY_NOTICE = '(This part of the card can only be shown in Teams)';
/** Prefix of the action id of a button that opens an Action.ShowCard as a modal. */
export const SHOW_CARD_PREFIX = 'card.open:';

/** Action id of link buttons (Action.OpenUrl): nothing to handle when pressed. */
export const OPEN_URL_ACTION = 'link.open';

const SUFFIX = /#\d+$/;

/** The action id a handler knows, without the `#n` that made it unique within a message. */
export function baseActionId(actionId: string): string {
  return actionId.replace(SUFFIX, '');
}

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

/** Escape the three characters mrkdwn gives meaning to, so text can never form links or mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut at most `max` UTF-16 units, never inside a surrogate pair. */
function cut(text: string, max: number): string {
  let end = Math.min(max, text.length);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** Shorten to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${cut(text, max - 1)}…`;
}

/**
 * Split `raw` into pieces whose rendering fits in `max` characters, preferring to break at
 * a line break, then at a space. Nothing is dropped but the whitespace the break lands on.
 */
function splitToFit(raw: string, max: number, render: (piece: string, index: number) => string): string[] {
  const pieces: string[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const index = pieces.length;
    if (render(rest, index).length <= max) {
      pieces.push(rest);
      break;
    }
    // The longest prefix that fits: rendering only grows with the prefix, so search for it.
    let lo = 0;
    let hi = rest.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (render(cut(rest, mid), index).length <= max) lo = mid;
      else hi = mid - 1;
    }
    let end = cut(rest, Math.max(lo, 1)).length;
    if (end === 0) end = 1;
    const window = rest.slice(0, end + 1);
    const newline = window.lastIndexOf('\n');
    const space = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'));
    const at = newline > end / 2 ? newline : space > end / 2 ? space : -1;
    if (at > 0) {
      pieces.push(rest.slice(0, at));
      rest = rest.slice(at + 1);
    } else {
      pieces.push(rest.slice(0, end));
      rest = rest.slice(end);
    }
  }
  return pieces.filter((piece) => piece.trim() !== '');
}

/** Bold each line (mrkdwn bold does not span line breaks). */
function bold(escaped: string): string {
  return escaped
    .split('\n')
    .map((line) => (line.trim() ? `*${line.trim()}*` : line))
    .join('\n');
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

function plain(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: truncate(text, max) };
}

function contextBlock(text: string): ContextBlock {
  return { type: 'context', elements: [mrkdwn(text)] };
}

// ---------------------------------------------------------------------------------------
// Reading the card
// ---------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function lower(value: unknown): string {
  return str(value).toLowerCase();
}

function verbOf(action: Json): string {
  const verb = str(action.verb);
  if (SUFFIX.test(verb)) throw new Error(`Card verb "${verb}" must not end in #<number>: that suffix is reserved for Slack action ids.`);
  return verb;
}

function dataOf(action: Json): Json {
  return isObject(action.data) ? action.data : {};
}

function buttonValue(value: unknown, verb: string): string {
  const json = JSON.stringify(value);
  if (json.length > MAX_ACTION_VALUE) {
    throw new Error(
      `The data of card action "${verb}" is ${json.length} characters as JSON; Slack allows ${MAX_ACTION_VALUE} in a button value. Keep card data small (ids and versions, not text).`,
    );
  }
  return json;
}

/** The inner Execute of an Action.ShowCard, which becomes the modal's submit. */
function innerExecute(showCard: Json): Json | undefined {
  const card = isObject(showCard.card) ? showCard.card : undefined;
  return list(card?.actions).find((a) => a.type === 'Action.Execute' && str(a.verb) !== '');
}

const HEADING_SIZES = new Set(['medium', 'large', 'extralarge']);

interface TextStyle {
  heading: boolean;
  subtle: boolean;
  warning: boolean;
}

/** How text with these formatting properties (a TextBlock, or every TextRun of a RichTextBlock) is shown. */
function textStyle(parts: Json[]): TextStyle {
  const every = (test: (part: Json) => boolean) => parts.length > 0 && parts.every(test);
  return {
    heading: every((part) => lower(part.weight) === 'bolder' || HEADING_SIZES.has(lower(part.size))),
    subtle: every((part) => part.isSubtle === true || lower(part.size) === 'small'),
    warning: every((part) => lower(part.color) === 'attention'),
  };
}

/** The inlines of a RichTextBlock as TextRuns (a bare string is a TextRun with default formatting). */
function richTextRuns(inlines: unknown): Json[] {
  if (!Array.isArray(inlines)) return [];
  return inlines.flatMap((inline): Json[] => {
    if (typeof inline === 'string') return [{ type: 'TextRun', text: inline }];
    return isObject(inline) && inline.type === 'TextRun' ? [inline] : [];
  });
}

// ---------------------------------------------------------------------------------------
// The translator
// ---------------------------------------------------------------------------------------

interface ShowCardEntry {
  button: Button;
  showCard: Json;
  inner: Json;
}

interface Translation {
  blocks: KnownBlock[];
  text: string;
  showCards: ShowCardEntry[];
}

class Translator {
  readonly blocks: KnownBlock[] = [];
  readonly buttons: Button[] = [];
  readonly showCards: ShowCardEntry[] = [];
  firstText: string | undefined;

  elements(items: unknown): void {
    for (const item of list(items)) this.element(item);
  }

  element(element: Json): void {
    if (element.isVisible === false) return; // hidden in Teams too, until a toggle shows it
    switch (element.type) {
      case 'TextBlock':
        return this.textBlock(element);
      case 'RichTextBlock':
        return this.richTextBlock(element);
      case 'FactSet':
        return this.factSet(element);
      case 'Container':
      case 'Column':
        return this.container(element, element.items);
      case 'ColumnSet':
        return this.container(element, list(element.columns).flatMap((column) => list(column.items)));
      case 'ActionSet':
        return this.actions(element.actions);
      case 'Input.Text':
        return this.inputText(element);
      case 'Input.ChoiceSet':
        return this.choiceSet(element);
      case 'Input.Date':
        return this.picker(element, 'datepicker', /^\d{4}-\d{2}-\d{2}$/, 'initial_date');
      case 'Input.Time':
        return this.picker(element, 'timepicker', /^([01]\d|2[0-3]):[0-5]\d$/, 'initial_time');
      case 'Input.Number':
        return this.numberInput(element);
      default:
        return this.teamsOnly();
    }
  }

  teamsOnly(): void {
    this.blocks.push(contextBlock(TEAMS_ONLY_NOTICE));
  }

  textBlock(element: Json): void {
    this.showText(str(element.text), textStyle([element]));
  }

  /**
   * A RichTextBlock's TextRuns: Teams shows them without markdown, so templates bind typed text
   * in them. Here the runs' text, joined, is shown like a TextBlock (escaped, split to fit); the
   * block is a heading, subtle or a warning only when every run with text is.
   */
  richTextBlock(element: Json): void {
    const runs = richTextRuns(element.inlines).filter((run) => str(run.text) !== '');
    this.showText(runs.map((run) => str(run.text)).join(''), textStyle(runs));
  }

  /** Text of a TextBlock or RichTextBlock: a header, mrkdwn sections or context blocks. */
  private showText(raw: string, style: TextStyle): void {
    if (raw.trim() === '') return; // Slack refuses empty text; an empty TextBlock shows nothing in Teams either
    this.firstText ??= raw;
    const warning = style.warning ? ':warning: ' : '';
    const { heading } = style;

    if (heading && this.blocks.length === 0 && (warning + raw).length <= MAX_HEADER_TEXT && !raw.includes('\n')) {
      const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: warning + raw, emoji: true } };
      this.blocks.push(header);
      return;
    }
    const render = (piece: string, index: number) => {
      const escaped = escapeMrkdwn(piece);
      return (index === 0 ? warning : '') + (heading ? bold(escaped) : escaped);
    };
    const pieces = splitToFit(raw, MAX_TEXT, render).map(render);
    if (style.subtle) {
      for (const text of pieces) this.blocks.push(contextBlock(text));
    } else {
      for (const text of pieces) this.blocks.push({ type: 'section', text: mrkdwn(text) } satisfies SectionBlock);
    }
  }

  factSet(element: Json): void {
    let fields: MrkdwnElement[] = [];
    const flush = () => {
      if (fields.length) this.blocks.push({ type: 'section', fields } satisfies SectionBlock);
      fields = [];
    };
    for (const fact of list(element.facts)) {
      const title = str(fact.title);
      const value = str(fact.value);
      if (title === '' && value === '') continue;
      const render = (piece: string, index: number) =>
        index === 0 && title ? `*${escapeMrkdwn(title)}*${piece ? `\n${escapeMrkdwn(piece)}` : ''}` : escapeMrkdwn(piece);
      const text = render(value, 0);
      if (text.length <= MAX_FIELD_TEXT) {
        fields.push(mrkdwn(text));
        if (fields.length === MAX_FIELDS) flush();
        continue;
      }
      // Too long for a field: give the fact its own section(s) rather than cut it.
      flush();
      const pieces = splitToFit(value, MAX_TEXT, render);
      for (const [index, piece] of pieces.entries()) {
        this.blocks.push({ type: 'section', text: mrkdwn(render(piece, index)) } satisfies SectionBlock);
      }
    }
    flush();
  }

  container(element: Json, items: unknown): void {
    const style = lower(element.style);
    if (style && style !== 'default' && this.blocks.length > 0) {
      this.blocks.push({ type: 'divider' } satisfies DividerBlock);
    }
    this.elements(items);
  }

  inputId(element: Json): string | undefined {
    const id = str(element.id);
    if (id === '') return undefined;
    if (id.length > MAX_BLOCK_ID) throw new Error(`Card input id "${id.slice(0, 40)}…" is longer than Slack's ${MAX_BLOCK_ID} characters.`);
    return id;
  }

  label(element: Json, id: string): PlainTextElement {
    const label = str(element.label).trim();
    return plain(label || id, MAX_INPUT_LABEL);
  }

  inputText(element: Json): void {
    const id = this.inputId(element);
    if (!id) return this.teamsOnly();
    const input: PlainTextInput = { type: 'plain_text_input', action_id: id, multiline: element.isMultiline === true };
    const maxLength = typeof element.maxLength === 'number' && element.maxLength > 0 ? Math.floor(element.maxLength) : undefined;
    if (maxLength !== undefined) input.max_length = Math.min(maxLength, MAX_INPUT_LENGTH);
    const value = str(element.value);
    if (value !== '') input.initial_value = value;
    const placeholder = str(element.placeholder);
    if (placeholder !== '') input.placeholder = plain(placeholder, MAX_PLACEHOLDER);
    const block: InputBlock = {
      type: 'input',
      block_id: id,
      label: this.label(element, id),
      optional: element.isRequired !== true,
      element: input,
    };
    this.blocks.push(block);
  }

  /** Input.Date / Input.Time: Slack's own pickers, which send YYYY-MM-DD and HH:mm like Teams. */
  picker(element: Json, type: 'datepicker' | 'timepicker', valid: RegExp, initial: 'initial_date' | 'initial_time'): void {
    this.control(element, (id) => {
      const control: Record<string, unknown> = { type, action_id: id };
      const value = str(element.value);
      if (valid.test(value)) control[initial] = value;
      return control;
    });
  }

  numberInput(element: Json): void {
    this.control(element, (id) => {
      const control: Record<string, unknown> = { type: 'number_input', action_id: id, is_decimal_allowed: false };
      if (typeof element.min === 'number') control.min_value = String(element.min);
      if (typeof element.max === 'number') control.max_value = String(element.max);
      if (typeof element.value === 'number' || (typeof element.value === 'string' && /^-?\d+$/.test(element.value))) {
        control.initial_value = String(element.value);
      }
      return control;
    });
  }

  /** An input block around a Slack control built by `build`, with the card input's label, placeholder and required flag. */
  private control(element: Json, build: (id: string) => Record<string, unknown>): void {
    const id = this.inputId(element);
    if (!id) return this.teamsOnly();
    const control = build(id);
    const placeholder = str(element.placeholder);
    if (placeholder !== '') control.placeholder = plain(placeholder, MAX_PLACEHOLDER);
    this.blocks.push({
      type: 'input',
      block_id: id,
      label: this.label(element, id),
      optional: element.isRequired !== true,
      element: control as unknown as InputBlock['element'],
    });
  }

  choiceSet(element: Json): void {
    const id = this.inputId(element);
    if (!id) return this.teamsOnly();
    const options: PlainTextOption[] = list(element.choices).map((choice) => {
      const value = str(choice.value);
      if (value.length > MAX_OPTION_VALUE) {
        throw new Error(`A choice value of card input "${id}" is longer than Slack's ${MAX_OPTION_VALUE} characters.`);
      }
      return { text: plain(str(choice.title) || value, MAX_OPTION_TEXT), value };
    });
    if (options.length === 0) return this.teamsOnly();
    if (options.length > MAX_OPTIONS) {
      throw new Error(`Card input "${id}" has ${options.length} choices; Slack allows ${MAX_OPTIONS}.`);
    }
    const expanded = lower(element.style) === 'expanded' && options.length <= MAX_RADIO_OPTIONS;
    const placeholder = str(element.placeholder);
    const value = str(element.value);
    let control: InputBlock['element'];
    if (element.isMultiSelect === true) {
      const chosen = new Set(value.split(',').map((v) => v.trim()));
      const initial = options.filter((o) => chosen.has(o.value ?? ''));
      if (expanded) {
        const boxes: Checkboxes = { type: 'checkboxes', action_id: id, options };
        if (initial.length) boxes.initial_options = initial;
        control = boxes;
      } else {
        const menu: MultiStaticSelect = { type: 'multi_static_select', action_id: id, options };
        if (initial.length) menu.initial_options = initial;
        if (placeholder) menu.placeholder = plain(placeholder, MAX_PLACEHOLDER);
        control = menu;
      }
    } else {
      const initial = options.find((o) => o.value === value);
      if (expanded) {
        const radio: RadioButtons = { type: 'radio_buttons', action_id: id, options };
        if (initial) radio.initial_option = initial;
        control = radio;
      } else {
        const menu: StaticSelect = { type: 'static_select', action_id: id, options };
        if (initial) menu.initial_option = initial;
        if (placeholder) menu.placeholder = plain(placeholder, MAX_PLACEHOLDER);
        control = menu;
      }
    }
    const block: InputBlock = {
      type: 'input',
      block_id: id,
      label: this.label(element, id),
      optional: element.isRequired !== true,
      element: control,
    };
    this.blocks.push(block);
  }

  /** Buttons for a list of actions, in actions blocks of at most 25, then one notice for any Teams-only action. */
  actions(actions: unknown): void {
    const buttons: Button[] = [];
    let teamsOnly = false;
    for (const action of list(actions)) {
      if (action.isVisible === false) continue;
      const title = str(action.title);
      const inner = action.type === 'Action.ShowCard' ? innerExecute(action) : undefined;
      if (action.type === 'Action.Execute' && verbOf(action) !== '') {
        const verb = verbOf(action);
        const button: Button = {
          type: 'button',
          action_id: verb,
          text: plain(title || verb, MAX_PLAIN_TEXT_BUTTON),
          value: buttonValue(dataOf(action), verb),
        };
        const style = lower(action.style);
        if (style === 'positive') button.style = 'primary';
        if (style === 'destructive') button.style = 'danger';
        buttons.push(button);
      } else if (action.type === 'Action.OpenUrl' && /^https?:\/\//.test(str(action.url))) {
        // A link button: Slack opens the URL itself (and still sends an interaction, which
        // the channel ignores by this action id).
        buttons.push({ type: 'button', action_id: OPEN_URL_ACTION, text: plain(title || 'Open', MAX_PLAIN_TEXT_BUTTON), url: str(action.url) });
      } else if (inner) {
        const verb = verbOf(inner);
        const button: Button = {
          type: 'button',
          action_id: `${SHOW_CARD_PREFIX}${verb}`,
          text: plain(title || str(inner.title) || verb, MAX_PLAIN_TEXT_BUTTON),
          value: buttonValue({ title, data: dataOf(inner) }, verb),
        };
        buttons.push(button);
        this.showCards.push({ button, showCard: action, inner });
      } else {
        teamsOnly = true;
      }
    }
    for (let i = 0; i < buttons.length; i += MAX_ELEMENTS_PER_ACTIONS) {
      this.blocks.push({ type: 'actions', elements: buttons.slice(i, i + MAX_ELEMENTS_PER_ACTIONS) } satisfies ActionsBlock);
    }
    this.buttons.push(...buttons);
    if (teamsOnly) this.teamsOnly();
  }

  /** Slack refuses two elements with one action_id: number the repeats #1, #2... in card order. */
  uniqueActionIds(): void {
    const counts = new Map<string, number>();
    for (const button of this.buttons) counts.set(button.action_id ?? '', (counts.get(button.action_id ?? '') ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const button of this.buttons) {
      const id = button.action_id ?? '';
      if ((counts.get(id) ?? 0) > 1) {
        const n = (seen.get(id) ?? 0) + 1;
        seen.set(id, n);
        button.action_id = `${id}#${n}`;
      }
      if ((button.action_id ?? '').length > MAX_ACTION_ID) {
        throw new Error(`Slack action id "${button.action_id?.slice(0, 40)}…" is longer than ${MAX_ACTION_ID} characters.`);
      }
    }
  }
}

function maxBlocks(surface: SlackSurface): number {
  return surface === 'message' ? MAX_BLOCKS_MESSAGE : MAX_BLOCKS_MODAL;
}

/**
 * Keep within the surface's block limit, visibly: the first blocks, a context block saying how
 * many were left out, then the card's own buttons (so a long card can still be acted on).
 */
function fitSurface(body: KnownBlock[], tail: KnownBlock[], max: number): KnownBlock[] {
  if (body.length + tail.length <= max) return [...body, ...tail];
  const all = [...body, ...tail];
  const keepTail = tail.length < max - 1 ? tail : [];
  const source = keepTail.length ? body : all;
  const kept = max - 1 - keepTail.length;
  const hidden = source.length - kept;
  const marker = contextBlock(`… ${hidden} more items not shown`); // always 2 or more
  return [...source.slice(0, kept), marker, ...keepTail];
}

function translate(card: AdaptiveCard, surface: SlackSurface): Translation {
  const translator = new Translator();
  translator.elements(card.body);
  const bodyCount = translator.blocks.length;
  translator.actions(card.actions);
  translator.uniqueActionIds();
  const body = translator.blocks.slice(0, bodyCount);
  const tail = translator.blocks.slice(bodyCount);
  const first = translator.firstText;
  return {
    blocks: fitSurface(body, tail, maxBlocks(surface)),
    text: first === undefined ? 'New message' : truncate(escapeMrkdwn(first), MAX_FALLBACK_TEXT),
    showCards: translator.showCards,
  };
}

/** Translate an expanded Adaptive Card into Block Kit for a Slack surface. */
export function cardToBlocks(card: AdaptiveCard, surface: SlackSurface): SlackCard {
  const { blocks, text } = translate(card, surface);
  return { blocks, text };
}

/**
 * The modal for the `card.open:<verb>` button `actionId` (as Slack sent it, `#n` included) of
 * `card`, the same card the message was rendered from. Undefined when the card has no such
 * button (for example the card changed since it was posted).
 */
export function showCardToModal(card: AdaptiveCard, actionId: string): SlackModal | undefined {
  const { showCards } = translate(card, 'message');
  const entry = showCards.find((s) => s.button.action_id === actionId);
  if (!entry) return undefined;
  const { showCard, inner } = entry;
  const sub = isObject(showCard.card) ? showCard.card : {};
  const verb = verbOf(inner);
  const translator = new Translator();
  translator.elements(sub.body);
  const bodyCount = translator.blocks.length;
  translator.actions(list(sub.actions).filter((a) => a !== inner));
  translator.uniqueActionIds();
  const body = translator.blocks.slice(0, bodyCount);
  const tail = translator.blocks.slice(bodyCount);
  const title = str(showCard.title) || str(inner.title) || verb;
  return {
    title: truncate(title, MAX_MODAL_TITLE),
    blocks: fitSurface(body, tail, MAX_BLOCKS_MODAL),
    submitLabel: truncate(str(inner.title) || 'Submit', MAX_MODAL_BUTTON),
    verb,
    data: dataOf(inner),
  };
}
