/**
 * Teams renders Adaptive Cards markdown (bold, italic, links, lists) in fact titles and values,
 * and there is no plain-text fact. Typed text and directory names are shown in facts (names,
 * venue, availability, record fields), so before a card goes to Teams the characters that would
 * form markdown in them are replaced by look-alikes no markdown parser reads as syntax. Backslash
 * escapes are not an option: some Teams clients show the backslashes. Longer typed text is in
 * RichTextBlock/TextRun elements instead (see cards/*.json), which Teams never parses.
 */

/** Asterisk operator, modifier letter low macron, zero-width space. */
const ASTERISK = '\u2217';
const UNDERSCORE = '\u02cd';
const ZERO_WIDTH = '\u200b';

/**
 * Text that renders as typed in an Adaptive Cards fact: no emphasis (`*`, `_`), no link (`](`),
 * and no list, heading or quote marker at the start of a line.
 */
export function plainFactText(text: string): string {
  return text
    .replace(/\*/g, ASTERISK)
    .replace(/_/g, UNDERSCORE)
    .replace(/\]\s*\(/g, (joint) => `]${ZERO_WIDTH}${joint.slice(1)}`)
    .replace(/^([ \t]*)([-+#>]|\d+[.)])/gm, `$1${ZERO_WIDTH}$2`);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of an expanded card whose every FactSet (sub-cards included) has plain titles and values. */
export function withPlainFacts<T>(card: T): T {
  return plainFacts(card) as T;
}

function plainFacts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainFacts);
  if (!isObject(value)) return value;
  const copy: Json = {};
  for (const [key, child] of Object.entries(value)) copy[key] = plainFacts(child);
  if (value.type === 'FactSet' && Array.isArray(copy.facts)) {
    copy.facts = copy.facts.map((fact: unknown) => {
      if (!isObject(fact)) return fact;
      const plain: Json = { ...fact };
      if (typeof fact.title === 'string') plain.title = plainFactText(fact.title);
      if (typeof fact.value === 'string') plain.value = plainFactText(fact.value);
      return plain;
    });
  }
  return copy;
}
