import { phrasesIn, repair, sentencesOf, type PhraseList } from './cue-text.js';
import type { CueReading } from './risk-cues.js';
import type { HelpType } from './triage.js';

/**
 * What a person types between the bot's questions, understood where it can be: a kind of help
 * named ("advice", "a session", "child death"), "cancel" in other words, "add" or "new" when
 * the bot has asked whether to add to an open request. And whether a message says enough to be
 * kept as the draft summary, so nobody has to type it twice. Pure: wink-nlp (cue-text.ts) gives
 * the words, their lemmas ("sessions" is "session") and the scope of negation ("I don't want a
 * session, just advice" names advice).
 */

/** The kinds of help, as people name them. Lemmas match too. */
const HELP_TYPE_PHRASES: Record<HelpType, PhraseList> = {
  ADVICE: [['advice'], ['advise'], ['quick', 'question'], ['quick', 'word']],
  SESSION: [['session'], ['supervision'], ['meeting'], ['meet'], ['one', 'to', 'one']],
  CHILD_DEATH: [['child', 'death'], ['death', 'of', 'a', 'child'], ['death', 'of', 'child'], ['child', 'died'], ['baby', 'died'], ['cdop']],
  EMOTIONAL_IMPACT: [['emotional'], ['emotionally'], ['wellbeing'], ['well', 'being'], ['impact', 'on', 'me'], ['affected', 'me']],
};

/**
 * The kind of help the words name, or undefined when they name none or more than one that
 * cannot be told apart. A child's death comes first (it is always offered supervision), then
 * emotional impact; naming both advice and a session is not an answer. The cue reading, when
 * given, adds what the risk-cue rules heard ("we lost a baby", "I can't stop thinking about it").
 */
export function helpTypeNamed(text: string, reading?: Pick<CueReading, 'childDeath' | 'emotionalImpact'>): HelpType | undefined {
  const named = new Set<HelpType>();
  for (const sentence of sentencesOf(repair(text).repaired)) {
    for (const [helpType, phrases] of Object.entries(HELP_TYPE_PHRASES) as Array<[HelpType, PhraseList]>) {
      if (phrasesIn(sentence.words, phrases).some(([start]) => !sentence.words[start]!.negated)) named.add(helpType);
    }
  }
  if (named.has('CHILD_DEATH') || reading?.childDeath) return 'CHILD_DEATH';
  if (named.has('EMOTIONAL_IMPACT')) return 'EMOTIONAL_IMPACT';
  if (named.has('ADVICE') && named.has('SESSION')) return undefined;
  if (named.has('ADVICE')) return 'ADVICE';
  if (named.has('SESSION')) return 'SESSION';
  return reading?.emotionalImpact ? 'EMOTIONAL_IMPACT' : undefined;
}

/** What the person's words come to once politeness and punctuation are set aside: "Cancel, please!" is "cancel". */
function bare(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[^\p{L}\p{N}' -]+/gu, ' ')
    .replace(/\b(please|pls|plz|thanks|thank you|ta|ok|okay|oh|um|erm|actually|just|sorry|i'd like to|i would like to|i want to|can you|could you|can i|let's|lets)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const CANCEL = /^(cancel|stop|quit|exit|never ?mind|forget it|don't bother|dont bother)( (it|this|that|this request|the request|my request|request))?$/;
const ADD = /^(yes )?add( (it|this|that|them|these))?( (to|onto|on) (it|that|that one|this one|the (open )?(one|request)|my (open )?(one|request)|[a-z]{2,8}-\d{4}-\d{4,}))?$/;
const NEW = /^((start|make|open|begin)( a)? )?(new|a new|another|separate|a separate)( (one|request))?$|^start (again|over|afresh)$|^something else$/;

export type StepWords = 'cancel' | 'add' | 'new';

/**
 * A whole message that is an answer to a step in other words: "cancel" ("stop", "never mind"),
 * "add" ("add it to SGS-2026-0042"), "new" ("start a new request"). Only the whole message
 * counts, so "he won't stop" is never "stop".
 */
export function stepWordsOf(text: string): StepWords | undefined {
  const words = bare(text);
  if (CANCEL.test(words)) return 'cancel';
  if (ADD.test(words)) return 'add';
  if (NEW.test(words)) return 'new';
  return undefined;
}

/**
 * Words that say nothing about what happened: greetings, asking for help, answers to the
 * bot's questions. A message made only of these is not kept as a summary.
 */
const SAYS_NOTHING = new Set(
  `hi hello hey hiya morning afternoon evening good there all team bot
   i i'm im me my myself we us our you your it it's this that there here
   am is are was were be been being can could would will shall should do does did don't dont have has had get got
   need needs needed want wanted wants like please pls thanks thank ok okay just some any a an the to for with about of on in at
   and or but so if as by from
   help advice advise supervision session sessions meeting meet quick question speak talk chat book booking request new
   yes yeah yep no nope not one nobody noone anyone someone risk now right immediate danger safe fine
   cancel stop add start again something else actually instead rather prefer i'd id`.split(/\s+/),
);

/** Enough words of their own to be worth keeping as the start of a summary. */
const MIN_WORDS_KEPT = 2;

/**
 * Whether a message says enough to keep as (part of) the draft summary: two or more words of
 * its own beyond greetings, asking for help and answers to the bot's questions. "Hello, I need
 * some advice" says nothing yet; "I attended a call where a baby died" does.
 */
export function saysEnoughToKeep(text: string): boolean {
  const words = text.toLowerCase().replace(/[’‘`]/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
  return words.filter((word) => !SAYS_NOTHING.has(word)).length >= MIN_WORDS_KEPT;
}

/** Two pieces of a summary, one after the other as the person wrote them. */
export function joinSummary(before: string | undefined, after: string): string {
  return before ? `${before}\n\n${after}` : after;
}
