/* eslint-disable @typescript-eslint/unbound-method -- wink's its.* helpers are plain functions made to be passed (tokens.out(its.value)) */
import winkNLP, { type ItemSentence, type ItsFunction, type Tokens } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import * as W from './risk-cue-words.js';

/**
 * A message read for the risk-cue rules (risk-cues.ts) with wink-nlp and its packaged English
 * model: sentences; tokens with contractions expanded ("isn't" is "is" + "not", "dont" is
 * "do" + "not"), lemmas and parts of speech; and the scope of each negation. Shorthand and
 * misspelt cue words are repaired first ("kid bein hit rn"), and the share of English words is
 * counted, so that text the rules cannot read is known as such. Pure: the model is in the package.
 */

/** The longest text read; anything after it is unread (and the rules treat it as possible risk). */
export const MAX_READ_LENGTH = 12_000;
/** Below this share of known words (with at least two words) a text is unreadable. */
export const READABLE_SHARE = 0.5;

/** New words wink may learn before it is started afresh: it keeps every word it meets. */
const MAX_LEARNT_WORDS = 50_000;

let nlp = winkNLP(model, ['sbd', 'negation', 'pos']);
const its = nlp.its;
/** wink numbers the words of its lexicon first: a word it meets for the first time gets a higher id. */
const FIRST_UNKNOWN_ID = column<number>(nlp.readDoc('qzxjvkwpqzx').tokens(), its.uniqueId)[0] ?? Number.MAX_SAFE_INTEGER;

let highestId = FIRST_UNKNOWN_ID;

/** The reader, started afresh once it has learnt too many new words (random text must not grow memory for ever). */
function reader() {
  if (highestId - FIRST_UNKNOWN_ID > MAX_LEARNT_WORDS) {
    nlp = winkNLP(model, ['sbd', 'negation', 'pos']);
    highestId = FIRST_UNKNOWN_ID;
  }
  return nlp;
}

/** One property of every token, as an array (wink's typings type some helpers too narrowly for `out`). */
function column<T>(tokens: Tokens, helper: unknown): T[] {
  return tokens.out(helper as ItsFunction<T>) as T[];
}

export interface Word {
  norm: string;
  lemma: string;
  pos: string;
  /** Inside a negation's scope, as wink-nlp marks it. */
  negated: boolean;
  clause: number;
  child: boolean;
}

export interface Sentence {
  words: Word[];
  emoji: string[];
  question: boolean;
}

/** Damerau-Levenshtein distance (a length difference past `limit` answers at once). */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** A small memo for the two look-ups below, emptied when full (the same typos recur). */
function memo<T>(compute: (word: string) => T): (word: string) => T {
  const seen = new Map<string, T>();
  return (word) => {
    if (seen.has(word)) return seen.get(word) as T;
    if (seen.size >= 5_000) seen.clear();
    const value = compute(word);
    seen.set(word, value);
    return value;
  };
}

/** A cue word an unknown word was probably meant to be: "hurtin" is "hurting", "daner" "danger". */
const respell = memo(function respell(word: string): string | undefined {
  if (word.length < 4 || !/^[a-z]+$/.test(word)) return undefined;
  if (word.endsWith('in') && W.MISSPELT_TARGETS.includes(`${word}g`)) return `${word}g`;
  const limit = word.length >= 8 ? 2 : 1;
  let best: { target: string; distance: number } | undefined;
  for (const target of W.MISSPELT_TARGETS) {
    if (target.length < 5) continue;
    const distance = editDistance(word, target, limit);
    if (distance <= limit && (!best || distance < best.distance)) best = { target, distance };
  }
  return best?.target;
});

/** Whether wink's lexicon has the word (ids are per spelling, so "Possible" is looked up as "possible"). */
const knownWord = memo(function knownWord(normal: string): boolean {
  const ids = column<number>(nlp.readDoc(normal).tokens(), its.uniqueId);
  return ids.length === 1 && ids[0]! < FIRST_UNKNOWN_ID;
});

/** The text with shorthand and misspelt cue words replaced, and how much of it is English. */
export function repair(text: string): { repaired: string; words: number; known: number } {
  const tokens = reader().readDoc(text).tokens();
  const values = column<string>(tokens, its.value);
  const normals = column<string>(tokens, its.normal);
  const types = column<string>(tokens, its.type);
  const spaces = column<string>(tokens, its.precedingSpaces);
  const ids = column<number>(tokens, its.uniqueId);
  for (const id of ids) if (id > highestId) highestId = id;
  let repaired = '';
  let words = 0;
  let known = 0;
  values.forEach((value, i) => {
    let word = value;
    if (types[i] === 'word') {
      words += 1;
      const normal = normals[i]!;
      const shorthand = Object.hasOwn(W.TEXT_SPEAK, normal) ? W.TEXT_SPEAK[normal] : undefined;
      const isKnown = ids[i]! < FIRST_UNKNOWN_ID || (value !== normal && knownWord(normal));
      const fixed = shorthand ?? (isKnown ? undefined : respell(normal));
      if (fixed) word = fixed;
      if (fixed || isKnown) known += 1;
    }
    repaired += (spaces[i] ?? '') + word;
  });
  return { repaired, words, known };
}

const BREAK_PUNCTUATION = new Set([',', ';', ':', '(', ')', '—', '–', '...', '…']);

export function sentencesOf(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  nlp.readDoc(text).sentences().each((sentence: ItemSentence) => {
    const tokens = sentence.tokens();
    const normals = column<string>(tokens, its.normal);
    const lemmas = column<string>(tokens, its.lemma);
    const pos = column<string>(tokens, its.pos);
    const types = column<string>(tokens, its.type);
    const negated = column<boolean>(tokens, its.negationFlag);
    const values = column<string>(tokens, its.value);
    const words: Word[] = [];
    const emoji: string[] = [];
    let clause = 0;
    let question = false;
    normals.forEach((norm, i) => {
      const type = types[i];
      if (type === 'emoji' || type === 'emoticon') emoji.push(values[i]!);
      if (type === 'punctuation' || type === 'symbol') {
        if (BREAK_PUNCTUATION.has(norm)) clause += 1;
        if (norm === '?') question = true;
        return;
      }
      if (type !== 'word' && type !== 'number') return;
      if (W.CLAUSE_BREAKS.has(norm)) clause += 1;
      words.push({ norm, lemma: (lemmas[i] ?? norm).toLowerCase(), pos: pos[i] ?? 'X', negated: negated[i] === true, clause, child: false });
    });
    markChildren(words);
    sentences.push({ words, emoji, question });
  });
  return sentences;
}

const AGE_UNITS = new Set(['day', 'days', 'week', 'weeks', 'wk', 'wks', 'month', 'months', 'mth', 'mths', 'year', 'years', 'yr', 'yrs', 'yo', 'y']);

/** Marks every word that names a child: "child", "kids", "4 month old", "15-year-old", "2yo". */
function markChildren(words: Word[]): void {
  words.forEach((word, i) => {
    if (W.CHILD.has(word.norm) || W.CHILD.has(word.lemma)) word.child = true;
    const unit = words[i + 1];
    const number = Number(word.norm);
    if (word.pos === 'NUM' && Number.isFinite(number) && unit && AGE_UNITS.has(unit.norm)) {
      const inYears = unit.norm.startsWith('y');
      const old = words[i + 2]?.norm === 'old' || unit.norm === 'yo';
      if (old && (!inYears || number < 18)) {
        word.child = true;
        unit.child = true;
        if (words[i + 2]?.norm === 'old') words[i + 2]!.child = true;
      }
    }
  });
}

export const is = (word: Word | undefined, set: ReadonlySet<string>) => !!word && (set.has(word.norm) || set.has(word.lemma));

function matchesWord(word: Word | undefined, wanted: string): boolean {
  return !!word && (word.norm === wanted || word.lemma === wanted);
}

/** The end of `phrase` if it starts at word `i` (fillers such as "is" or "really" passed over inside it), else -1. */
function phraseAt(words: Word[], i: number, phrase: readonly string[]): number {
  let at = i;
  for (let k = 0; k < phrase.length; k += 1) {
    const wanted = phrase[k]!;
    if (k > 0 && !W.PHRASE_FILLERS.has(wanted)) {
      while (!matchesWord(words[at], wanted) && words[at] && W.PHRASE_FILLERS.has(words[at]!.norm)) at += 1;
    }
    if (!matchesWord(words[at], wanted)) return -1;
    at += 1;
  }
  return at;
}

export type PhraseList = readonly (readonly string[])[];
const phraseIndexes = new WeakMap<PhraseList, Map<string, PhraseList>>();

/** Phrases by their first word, built once per list. */
function phraseIndex(phrases: PhraseList): Map<string, PhraseList> {
  let index = phraseIndexes.get(phrases);
  if (!index) {
    const built = new Map<string, Array<readonly string[]>>();
    for (const phrase of phrases) built.set(phrase[0]!, [...(built.get(phrase[0]!) ?? []), phrase]);
    index = built;
    phraseIndexes.set(phrases, index);
  }
  return index;
}

export function phrasesIn(words: Word[], phrases: PhraseList): Array<[number, number]> {
  const index = phraseIndex(phrases);
  const found: Array<[number, number]> = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    const candidates = word.norm === word.lemma ? index.get(word.norm) : [...(index.get(word.norm) ?? []), ...(index.get(word.lemma) ?? [])];
    for (const phrase of candidates ?? []) {
      const end = phraseAt(words, i, phrase);
      if (end > 0) found.push([i, end]);
    }
  }
  return found;
}


/** Words before `i` in its clause, nearest first, up to a word after which a denial stops. */
export function scopeBefore(words: Word[], i: number): Word[] {
  const scope: Word[] = [];
  for (let j = i - 1; j >= 0; j -= 1) {
    const word = words[j]!;
    if (word.clause !== words[i]!.clause || W.SCOPE_BREAKS.has(word.norm)) break;
    scope.push(word);
  }
  return scope;
}
