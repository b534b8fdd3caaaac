import { MAX_ACTION_VALUE, SHOW_CARD_PREFIX, type AdaptiveCard } from './block-kit.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A card's Action.ShowCard forms open as Slack modals. Slack echoes a button's value back
 * in the signed interaction, so the form's own (already expanded) sub-card travels in the
 * value: the modal is built from exactly the card the person saw, and nothing needs storing.
 * What the form submits is still checked by the handler like any other action.
 */
export function embedForms(card: AdaptiveCard, blocks: unknown[]): unknown[] {
  const showCards = (Array.isArray(card.actions) ? card.actions : []).filter(
    (a): a is Json => isObject(a) && a.type === 'Action.ShowCard' && isObject(a.card),
  );
  if (showCards.length === 0) return blocks;
  return blocks.map((block) => {
    if (!isObject(block) || block.type !== 'actions' || !Array.isArray(block.elements)) return block;
    return {
      ...block,
      elements: (block.elements as unknown[]).map((element) => {
        if (!isObject(element) || typeof element.action_id !== 'string' || !element.action_id.startsWith(SHOW_CARD_PREFIX)) return element;
        const value = parse(element.value);
        const showCard = showCards.find((s) => s.title === value.title);
        if (!showCard) return element;
        const embedded = JSON.stringify({ ...value, form: showCard.card });
        return embedded.length <= MAX_ACTION_VALUE ? { ...element, value: embedded } : element;
      }),
    };
  });
}

/** The one-form card a modal is built from, or undefined when the value carries no form. */
export function formCardOf(value: Json): AdaptiveCard | undefined {
  if (!isObject(value.form) || typeof value.title !== 'string') return undefined;
  return { type: 'AdaptiveCard', version: '1.5', body: [], actions: [{ type: 'Action.ShowCard', title: value.title, card: value.form }] };
}

function parse(raw: unknown): Json {
  if (typeof raw !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}
