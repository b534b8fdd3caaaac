import { is, MAX_READ_LENGTH, phrasesIn, READABLE_SHARE, repair, scopeBefore, sentencesOf, type Sentence, type Word } from './cue-text.js';
import * as W from './risk-cue-words.js';

/**
 * What a person's own words say, read before anything is asked: someone may be at immediate
 * risk; a child has died; the work has affected the person writing. wink-nlp reads the text
 * (cue-text.ts: sentences, tokens with contractions expanded, lemmas, parts of speech and the
 * scope of each negation); the rules below decide on those tokens.
 *
 * Safety first: the reading only ever adds help. A risk cue shows the urgent routes before the
 * risk question; no cue never skips the question; a denial ("no one is at risk") is noted but
 * the question is still asked; text the rules cannot read is treated as possible risk.
 */
export type Cue = 'IMMEDIATE_RISK' | 'CHILD_DEATH' | 'EMOTIONAL_IMPACT';
export type Timing = 'now' | 'past' | 'unknown';

export interface CueMatch {
  cue: Cue;
  /** The words that matched (for tests; never logged or stored). */
  words: string;
  /** Denied by the writer ("nobody is in danger"): noted, not acted on. */
  denied?: boolean;
  /** When a harm happens, for risk cues. */
  timing?: Timing;
}

export interface CueReading {
  /** Someone may be at risk now, or the text could not be read: show the urgent routes first. */
  immediateRisk: boolean;
  /** The words themselves say someone may be at risk now (not only that they could not be read). */
  riskCue: boolean;
  childDeath: boolean;
  emotionalImpact: boolean;
  /** Risk words were read and denied by the writer. The risk question is asked all the same. */
  deniedRisk: boolean;
  /** No words at all: empty, emoji or punctuation only. */
  wordless: boolean;
  /** Words, but too few of them English to read (another language, or noise): possible risk. */
  unreadable: boolean;
  /** Longer than MAX_READ_LENGTH: only the start was read, so the rest is possible risk. */
  truncated: boolean;
  matches: CueMatch[];
}

/**
 * The writer denies the words at `i`: "not at risk", "isn't being hurt", "no one is in danger",
 * "nobody's in danger", "I don't think anyone is at risk". wink-nlp's negation scope is the
 * gate for "not", "no" and "never"; the denial must also be the words' own (close, or their
 * subject), so "I can't believe he is hitting her" is not a denial.
 */
function denied(words: Word[], i: number): boolean {
  const scope = scopeBefore(words, i);
  return scope.some((word, distance) => {
    if (W.NEGATIVE_SUBJECTS.has(word.norm)) return true;
    if (!words[i]!.negated) return false;
    if (word.norm === 'no') return true;
    if (!W.NEGATORS.has(word.norm)) return false;
    // "I can't believe he is hitting her" is shock, not a denial.
    if (['can', 'could'].includes(scope[distance + 1]?.norm ?? '') && is(scope[distance - 1], W.DENIED_THINKING)) return false;
    return distance <= 2 || is(scope[distance - 1], W.DENIED_THINKING);
  });
}

/** "Not now, but he says he will later": a denial with a threat after it is no denial. */
function threatAfterDenial(words: Word[]): boolean {
  const turn = words.findIndex((w) => w.norm === 'but');
  return turn >= 0 && words.slice(turn + 1).some((w) => W.FUTURE.has(w.norm));
}

/** The writer is not sure ("I don't know if anyone is safe", "worried", a question). */
function uncertain(sentence: Sentence): boolean {
  return sentence.words.some(
    (word, i) =>
      W.UNCERTAIN.has(word.norm) ||
      (W.DENIED_KNOWING.has(word.lemma) && (word.negated || sentence.words.slice(Math.max(0, i - 2), i).some((w) => W.NEGATORS.has(w.norm)))),
  );
}

/** Markers of "now" and "in the past" per clause of a sentence. */
function timeMarkers(words: Word[]): { now: Set<number>; past: Set<number> } {
  const now = new Set<number>();
  const past = new Set<number>();
  words.forEach((word, i) => {
    if (is(word, W.NOW) && !(word.norm === 'still' && words[i + 1]?.norm === 'thinking')) now.add(word.clause);
    if (word.norm === 'ago' && ['minutes', 'minute', 'hour', 'hours', 'mins'].includes(words[i - 1]?.norm ?? '')) now.add(word.clause);
    else if (is(word, W.PAST)) past.add(word.clause);
    if (word.norm === 'last' && is(words[i + 1], W.LAST_WHAT)) past.add(word.clause);
    if (word.pos === 'NUM' && /^(19|20)\d\d$/.test(word.norm) && words[i - 1]?.norm === 'in') past.add(word.clause);
  });
  for (const [start] of phrasesIn(words, W.NOW_PHRASES)) now.add(words[start]!.clause);
  for (const [start] of phrasesIn(words, W.PAST_PHRASES)) past.add(words[start]!.clause);
  return { now, past };
}

/** The tense the grammar gives a harm verb: auxiliaries first, then the verb's own form. */
function tenseOf(words: Word[], i: number): Timing {
  const before = scopeBefore(words, i).slice(0, 3);
  if (before.some((w) => W.PAST_AUX.has(w.norm))) return 'past';
  if (before.some((w) => W.PRESENT_AUX.has(w.norm))) return 'now';
  const word = words[i]!;
  if (word.norm.endsWith('ing')) return 'now';
  if (word.norm === word.lemma) return 'unknown';
  return word.norm.endsWith('s') ? 'now' : 'past';
}

// ---------------------------------------------------------------------------------------------
// The rules.
// ---------------------------------------------------------------------------------------------

type RiskKind = 'state' | 'event' | 'topic' | 'intrinsic';
interface RiskCandidate {
  start: number;
  end: number;
  kind: RiskKind;
}

/** The base forms a word may have, for harm verbs the tagger reads as nouns or adjectives ("strangled", "hits"). */
function harmVerbOf(word: Word): string | undefined {
  const { norm, lemma } = word;
  const candidates = [lemma, norm, W.IRREGULAR[norm]];
  for (const ending of ['ing', 'ed', 'es', 's', 'd']) {
    if (!norm.endsWith(ending)) continue;
    const stem = norm.slice(0, -ending.length);
    candidates.push(stem, `${stem}e`);
    if (stem.length > 2 && stem.at(-1) === stem.at(-2)) candidates.push(stem.slice(0, -1));
  }
  return candidates.find((c): c is string => !!c && W.HARM_VERBS.has(c));
}

/** Words before a harm word that make it a thing named ("domestic abuse", "an assault"), not something done. */
const NAMING = new Set(['a', 'an', 'the', 'of', 'about', 'on', 'for', 're', 'regarding', 'domestic', 'sexual', 'physical', 'emotional', 'historic', 'historical', 'child', 'any', 'some', 'this', 'that', 'no', 'suspected', 'possible', 'alleged', 'ongoing', 'previous', 'past', 'elder', 'financial', 'county', 'self']);

function namedAsTopic(words: Word[], i: number, verb: string | undefined): boolean {
  const word = words[i]!;
  if (!W.HARM_NOUNS.has(word.norm) && !(verb && (word.pos === 'NOUN' || ['a', 'an'].includes(words[i - 1]?.norm ?? '')))) return false;
  const before = words[i - 1];
  if (!before || before.clause !== word.clause) return W.HARM_NOUNS.has(word.norm);
  return NAMING.has(before.norm) || before.pos === 'ADJ' || before.pos === 'DET' || before.pos === 'ADP';
}

const NOT_AN_EMERGENCY_AFTER = new Set(['department', 'services', 'service', 'duty', 'contraception', 'planning', 'care']);
const RISK_BEFORE = new Set(['at', 'immediate', 'serious', 'significant', 'real', 'high', 'possible', 'potential']);
const WORK_SUBJECTS = new Set(['job', 'work', 'shift', 'case', 'call', 'incident']);
const ENDURING = new Set(['being', 'suffering', 'experiencing', 'witnessing', 'facing', 'enduring']);
const PRONOUNS = new Set(['he', 'she', 'they', 'him', 'her', 'them', 'someone', 'somebody', 'anyone', 'anybody', 'everyone', 'i', 'me', 'we', 'us', 'you']);

const DETERMINERS = new Set(['the', 'a', 'an', 'his', 'her', 'their', 'my', 'our', 'your', 'its', 'this', 'that']);
const isPerson = (word: Word | undefined) =>
  !!word && (word.child || PRONOUNS.has(word.norm) || is(word, W.ADULT) || is(word, W.VULNERABLE) || is(word, W.OTHER_PEOPLE));

/** A harm verb done to a thing, with no one named after it in the clause: "hit the button". */
function thingsOnly(words: Word[], i: number): boolean {
  if (isPerson(words[i + 1])) return false; // "beating her", "hit him"
  let j = i + 1;
  while (words[j] && DETERMINERS.has(words[j]!.norm)) j += 1;
  const object = words[j];
  if (!object || object.clause !== words[i]!.clause || !['NOUN', 'PROPN'].includes(object.pos) || isPerson(object)) return false;
  return !words.slice(j + 1).some((w) => w.clause === object.clause && isPerson(w));
}

function riskCandidates(sentence: Sentence): RiskCandidate[] {
  const { words } = sentence;
  const found: RiskCandidate[] = [];
  const hasChild = words.some((w) => w.child || is(w, W.VULNERABLE));
  const hasPerson = hasChild || words.some((w) => PRONOUNS.has(w.norm) || is(w, W.ADULT));

  words.forEach((word, i) => {
    const next = words[i + 1];
    const single = (kind: RiskKind) => found.push({ start: i, end: i + 1, kind });
    if (is(word, W.DANGER_STATES) && !(word.norm === 'emergency' && next && NOT_AN_EMERGENCY_AFTER.has(next.norm))) {
      return single(['a', 'an'].includes(words[i - 1]?.norm ?? '') && ['violent', 'aggressive'].includes(word.norm) ? 'topic' : 'state');
    }
    if (word.norm === 'risk' && (RISK_BEFORE.has(words[i - 1]?.norm ?? '') || words[i - 2]?.norm === 'at' || ['to', 'of'].includes(next?.norm ?? ''))) {
      return single('state');
    }
    if (word.norm === 'safe' || word.norm === 'safely') {
      const doubted = word.negated || scopeBefore(words, i).some((w) => w.norm === 'if' || w.norm === 'whether');
      if (doubted || (sentence.question && hasPerson)) return single('intrinsic');
      return;
    }
    if (word.norm === 'safety' && uncertain(sentence)) return single('intrinsic');
    if (is(word, W.LIFE_THREAT_WORDS)) return single('state');
    if (is(word, W.WEAPONS)) return next && W.NOT_A_WEAPON_AFTER.has(next.norm) ? undefined : single('state');
    if (is(word, W.ALONE_WORDS) && hasChild && !['living', 'lives', 'live', 'lived'].includes(words[i - 1]?.norm ?? '')) return single('state');
    const verb = harmVerbOf(word);
    if (verb === 'touch' && words[i - 1]?.norm === 'in') return; // "keep in touch"
    if (namedAsTopic(words, i, verb) || (!verb && is(word, W.HARM_NOUNS))) return single('topic');
    if (verb) {
      const subject = scopeBefore(words, i).slice(0, 3);
      if (subject.some((w) => W.IMPERSONAL_SUBJECTS.has(w.norm) || WORK_SUBJECTS.has(w.norm))) return;
      if (verb === 'shake' && !words.slice(Math.max(0, i - 4), i + 4).some((w) => w.child)) return;
      if (verb === 'burn' && next?.norm === 'out') return;
      if (verb === 'hit' && [next?.norm, words[i + 2]?.norm].some((w) => w === 'wall' || w === 'home' || w === 'head')) return;
      if (verb === 'throw' && next?.norm === 'up') return;
      if (verb === 'lock' && !words.slice(i + 1, i + 5).some((w) => w.norm === 'in')) return;
      if (verb === 'knock' && !words.slice(i + 1, i + 5).some((w) => w.norm === 'about' || w.norm === 'around')) return;
      if (verb === 'cut' && !['herself', 'himself', 'themselves', 'myself'].includes(next?.norm ?? '')) return;
      if (verb === 'threaten') return single('state');
      if (thingsOnly(words, i)) return; // "I hit the button by mistake"
      return single('event');
    }
  });
  for (const [start, end] of phrasesIn(words, W.HELD_PHRASES)) found.push({ start, end, kind: 'state' });
  for (const [start, end] of phrasesIn(words, W.LIFE_THREAT_PHRASES)) found.push({ start, end, kind: 'intrinsic' });
  if (hasChild) for (const [start, end] of phrasesIn(words, W.ALONE_PHRASES)) found.push({ start, end, kind: 'intrinsic' });
  if (hasChild) for (const [start, end] of phrasesIn(words, W.EXPLOITED_PHRASES)) found.push({ start, end, kind: 'state' });
  return found;
}

function readRisk(sentence: Sentence): CueMatch[] {
  const { words } = sentence;
  const candidates = riskCandidates(sentence).map((c) => ({
    ...c,
    denied: c.kind !== 'intrinsic' && denied(words, c.start) && !uncertain(sentence) && !threatAfterDenial(words),
  }));
  const markers = timeMarkers(words);
  const deniedClauses = new Set(candidates.filter((c) => c.denied).map((c) => words[c.start]!.clause));
  const reassuring = new Set(words.filter((w) => is(w, W.REASSURANCE) && !w.negated).map((w) => w.clause));
  const quietClause = (clause: number) => deniedClauses.has(clause) || reassuring.has(clause);

  // "died of an overdose", "stopped breathing and died": what threatened a life has happened.
  const deathClauses = new Set(words.filter((w) => W.DIED.has(w.norm)).map((w) => w.clause));
  const matches: CueMatch[] = [];
  for (const candidate of candidates) {
    const text = words.slice(candidate.start, candidate.end).map((w) => w.norm).join(' ');
    if (candidate.denied) {
      matches.push({ cue: 'IMMEDIATE_RISK', words: text, denied: true });
      continue;
    }
    const clause = words[candidate.start]!.clause;
    let timing: Timing = 'unknown';
    // "was shaken last month and is in foster care now": the now is the reassurance.
    if (markers.now.has(clause) && markers.past.has(clause) && reassuring.has(clause)) timing = 'past';
    else if (markers.now.has(clause)) timing = 'now';
    else if (markers.past.has(clause)) timing = 'past';
    else if ([...markers.now].some((c) => !quietClause(c))) timing = 'now';
    else if (markers.past.size > 0) timing = 'past';
    else if (candidate.kind === 'event') timing = tenseOf(words, candidate.start);
    else if (candidate.kind === 'topic') {
      const before = scopeBefore(words, candidate.start).slice(0, 4);
      timing = before.some((w) => ENDURING.has(w.norm)) ? 'now' : 'past';
    }
    if (timing !== 'now' && deathClauses.has(clause)) timing = 'past';
    // A harm in the past, or a topic asked about, is not a risk now; anything else unsure is.
    if (timing === 'past' && (candidate.kind !== 'intrinsic' || deathClauses.has(clause))) continue;
    matches.push({ cue: 'IMMEDIATE_RISK', words: text, timing });
  }
  if (sentence.emoji.some((e) => W.SOS_EMOJI.has(e))) matches.push({ cue: 'IMMEDIATE_RISK', words: 'sos', timing: 'unknown' });
  return matches;
}

/** Denied close by: "didn't die", "nearly died", "no baby died". */
function deathDenied(words: Word[], i: number): boolean {
  const scope = scopeBefore(words, i);
  return scope.some((w, distance) => (distance <= 2 && (W.NEGATORS.has(w.norm) || w.norm === 'nearly' || w.norm === 'almost')) || w.norm === 'no' || W.NEGATIVE_SUBJECTS.has(w.norm));
}

/** Whose death: the nearest person named before the death word, passing over pronouns. */
function childBefore(words: Word[], i: number): boolean {
  for (let j = i - 1; j >= Math.max(0, i - 10); j -= 1) {
    const word = words[j]!;
    if (word.child) return word.norm !== 'kidding';
    if (is(word, W.ADULT)) return false;
  }
  return false;
}

/** "passed away", "passed this morning", "passed at the scene" (not "passed the test"). */
const PASSED_THEN = new Set(['', 'away', 'on', 'this', 'last', 'yesterday', 'today', 'at', 'in', 'earlier', 'overnight', 'suddenly']);

function readChildDeath(sentence: Sentence): CueMatch[] {
  const { words } = sentence;
  const matches: CueMatch[] = [];
  const add = (start: number, end: number) => matches.push({ cue: 'CHILD_DEATH', words: words.slice(start, end).map((w) => w.norm).join(' ') });
  for (const [start, end] of phrasesIn(words, W.CHILD_DEATH_TERMS)) if (!deathDenied(words, start)) add(start, end);
  for (const [start, end] of phrasesIn(words, W.DEATH_PHRASES)) if (childBefore(words, start)) add(start, end);
  words.forEach((word, i) => {
    const passedAway = word.norm === 'passed' && PASSED_THEN.has(words[i + 1]?.norm ?? '');
    if (!W.DEATH.has(word.norm) && !passedAway) return;
    if (deathDenied(words, i)) return;
    if (childBefore(words, i)) return add(Math.max(0, i - 1), i + 1);
    // "the death of a 3 month old", "a dead baby", "found a deceased infant"
    if (words.slice(i + 1, i + 6).some((w, k) => w.child && (k <= 1 || words[i + 1]?.norm === 'of'))) add(i, i + 2);
  });
  words.forEach((word, i) => {
    // "she lost her baby", "we lost the child" (not "a lost child", who is missing)
    if (word.norm !== 'lost' || ['a', 'the', 'an'].includes(words[i - 1]?.norm ?? '')) return;
    if (words.slice(i + 1, i + 3).some((w) => w.child) && !deathDenied(words, i)) add(i, i + 3);
  });
  return matches;
}

/** The nearest person before word `i` in its clause: the writer, someone else, or nobody named. */
function whoseFeeling(words: Word[], i: number): 'writer' | 'other' | 'unnamed' {
  for (const word of scopeBefore(words, i)) {
    if (['i', 'me', 'my', 'we', 'us', 'our', 'myself'].includes(word.norm)) return 'writer';
    if (word.child || is(word, W.ADULT) || ['he', 'she', 'they', 'patient'].includes(word.norm)) return 'other';
  }
  return 'unnamed';
}

function readEmotion(sentence: Sentence): CueMatch[] {
  const { words } = sentence;
  const matches: CueMatch[] = [];
  for (const [start, end] of phrasesIn(words, W.EMOTIONAL_PHRASES)) {
    matches.push({ cue: 'EMOTIONAL_IMPACT', words: words.slice(start, end).map((w) => w.norm).join(' ') });
  }
  words.forEach((word, i) => {
    if (!is(word, W.EMOTIONAL_WORDS)) return;
    const close = scopeBefore(words, i).slice(0, 3);
    if (close.some((w) => W.NEGATORS.has(w.norm))) return;
    if (whoseFeeling(words, i) === 'other') return;
    matches.push({ cue: 'EMOTIONAL_IMPACT', words: word.norm });
  });
  if (sentence.emoji.some((e) => W.SAD_EMOJI.has(e))) matches.push({ cue: 'EMOTIONAL_IMPACT', words: 'emoji' });
  return matches;
}

/** Reads a message for immediate-risk, child-death and emotional-impact cues. Pure. */
/**
 * The reading of a text, kept for the last few texts read: a turn reads the same words more than
 * once (the urgent check of the channel, then the router), and the reading is pure.
 */
const recentReadings = new Map<string, CueReading>();
const RECENT_READINGS = 32;

export function readCues(text: string): CueReading {
  const known = recentReadings.get(text);
  if (known) return known;
  const reading = Object.freeze(readCuesAfresh(text));
  if (recentReadings.size >= RECENT_READINGS) recentReadings.delete(recentReadings.keys().next().value!);
  recentReadings.set(text, reading);
  return reading;
}

function readCuesAfresh(text: string): CueReading {
  const truncated = text.length > MAX_READ_LENGTH;
  const { repaired, words, known } = repair(truncated ? text.slice(0, MAX_READ_LENGTH) : text);
  const sentences = sentencesOf(repaired);
  const matches = sentences.flatMap((s) => [...readRisk(s), ...readChildDeath(s), ...readEmotion(s)]);
  const wordless = words === 0;
  const unreadable = words >= 2 && known / words < READABLE_SHARE;
  const risk = matches.filter((m) => m.cue === 'IMMEDIATE_RISK');
  const riskCue = risk.some((m) => !m.denied);
  return {
    immediateRisk: riskCue || unreadable || truncated,
    riskCue,
    childDeath: matches.some((m) => m.cue === 'CHILD_DEATH'),
    emotionalImpact: matches.some((m) => m.cue === 'EMOTIONAL_IMPACT'),
    deniedRisk: risk.some((m) => m.denied),
    wordless,
    unreadable,
    truncated,
    matches,
  };
}
