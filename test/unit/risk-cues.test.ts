// The risk-cue rules on the labelled corpus (test/fixtures/risk-cues/corpus.tsv): every risk
// phrasing and every child-death phrasing must be caught; false alarms are counted, printed
// and kept under a stated bound. Then the cases the flows rely on, one by one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_READ_LENGTH } from '../../src/domain/cue-text.js';
import { readCues, type CueReading } from '../../src/domain/risk-cues.js';

/** At most this share of the phrasings that name no risk may be read as a possible risk. */
const MAX_FALSE_ALARM_SHARE = 0.05;
/** At most this share of the phrasings that name no child's death may be read as one. */
const MAX_FALSE_DEATH_SHARE = 0.02;
/** Emotional-impact cues only lead to a kind of help the person can change: 95% caught is the floor. */
const MIN_EMOTIONAL_RECALL = 0.95;

type Label = 'r' | 'd' | 'e';
interface Row {
  line: number;
  labels: Set<Label>;
  text: string;
}

function corpus(): Row[] {
  const source = readFileSync(new URL('../fixtures/risk-cues/corpus.tsv', import.meta.url), 'utf8');
  return source.split('\n').flatMap((raw, index) => {
    if (raw.trim() === '' || raw.startsWith('#')) return [];
    const [labels, text, ...extra] = raw.split('\t');
    if (labels === undefined || text === undefined || extra.length > 0) throw new Error(`corpus line ${index + 1}: expected "labels<TAB>text"`);
    const set = new Set(labels === '-' ? [] : labels.split('+'));
    for (const label of set) if (!['r', 'd', 'e'].includes(label)) throw new Error(`corpus line ${index + 1}: unknown label ${label}`);
    return [{ line: index + 1, labels: set as Set<Label>, text }];
  });
}

const ROWS = corpus();
const READ = ROWS.map((row) => ({ row, reading: readCues(row.text) }));
const has = (reading: CueReading, label: Label) =>
  label === 'r' ? reading.immediateRisk : label === 'd' ? reading.childDeath : reading.emotionalImpact;
const show = (items: typeof READ) => items.map(({ row, reading }) => `line ${row.line}: ${row.text}  ${JSON.stringify(reading.matches)}`);
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

function figures(label: Label) {
  const labelled = READ.filter(({ row }) => row.labels.has(label));
  const others = READ.filter(({ row }) => !row.labels.has(label));
  return {
    labelled,
    others,
    missed: labelled.filter(({ reading }) => !has(reading, label)),
    falseAlarms: others.filter(({ reading }) => has(reading, label)),
  };
}

describe('the labelled corpus', () => {
  it('holds at least 300 phrasings, with every kind well represented', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(300);
    expect(ROWS.filter((r) => r.labels.has('r')).length).toBeGreaterThanOrEqual(100);
    expect(ROWS.filter((r) => r.labels.has('d')).length).toBeGreaterThanOrEqual(40);
    expect(ROWS.filter((r) => r.labels.has('e')).length).toBeGreaterThanOrEqual(40);
    expect(ROWS.filter((r) => r.labels.size === 0).length).toBeGreaterThanOrEqual(100);
    // Denials, past harm and text-speak are all there to be read.
    expect(ROWS.some((r) => r.text === 'no one is at risk, just want advice' && r.labels.size === 0)).toBe(true);
    expect(ROWS.some((r) => r.text === 'A child was hurt last year' && r.labels.size === 0)).toBe(true);
    expect(ROWS.some((r) => r.text === 'kid bein hit rn' && r.labels.has('r'))).toBe(true);
    expect(new Set(ROWS.map((r) => r.text)).size).toBe(ROWS.length);
  });

  it('catches every phrasing of someone at immediate risk (recall 100%), and counts the false alarms', () => {
    const { labelled, others, missed, falseAlarms } = figures('r');
    const bound = Math.floor(MAX_FALSE_ALARM_SHARE * others.length);
    console.log(
      `risk cues: recall ${percent(labelled.length - missed.length, labelled.length)} (${labelled.length - missed.length} of ${labelled.length} risk phrasings caught); ` +
        `false alarms ${falseAlarms.length} of ${others.length} phrasings that name no risk (${percent(falseAlarms.length, others.length)}; bound ${bound})`,
    );
    if (falseAlarms.length) console.log(`false alarms:\n  ${show(falseAlarms).join('\n  ')}`);
    expect(show(missed)).toEqual([]);
    expect(falseAlarms.length).toBeLessThanOrEqual(bound);
  });

  it("catches every phrasing of a child's death, and counts the false alarms", () => {
    const { labelled, others, missed, falseAlarms } = figures('d');
    const bound = Math.floor(MAX_FALSE_DEATH_SHARE * others.length);
    console.log(
      `child-death cues: recall ${percent(labelled.length - missed.length, labelled.length)} (${labelled.length - missed.length} of ${labelled.length}); ` +
        `false alarms ${falseAlarms.length} of ${others.length} (bound ${bound})`,
    );
    expect(show(missed)).toEqual([]);
    expect(falseAlarms.length).toBeLessThanOrEqual(bound);
  });

  it('catches the emotional impact of the work on the writer', () => {
    const { labelled, others, missed, falseAlarms } = figures('e');
    const recall = (labelled.length - missed.length) / labelled.length;
    console.log(
      `emotional-impact cues: recall ${percent(labelled.length - missed.length, labelled.length)} (${labelled.length - missed.length} of ${labelled.length}); ` +
        `false alarms ${falseAlarms.length} of ${others.length}`,
    );
    if (missed.length) console.log(`missed:\n  ${show(missed).join('\n  ')}`);
    expect(recall).toBeGreaterThanOrEqual(MIN_EMOTIONAL_RECALL);
  });
});

describe('negation and tense', () => {
  it('reads a denial as a denial: no routes, but noted (the question is still asked)', () => {
    for (const text of ['no one is at risk, just want advice', "Nobody's in danger", 'The kids are not at risk', "I don't think anyone is at risk"]) {
      expect(readCues(text), text).toMatchObject({ immediateRisk: false, riskCue: false, deniedRisk: true });
    }
  });

  it('does not take shock, doubt or a later threat for a denial', () => {
    for (const text of ["I can't believe he is hitting her", "I'm not sure nobody is in danger", "He isn't hitting her now but says he will later"]) {
      expect(readCues(text), text).toMatchObject({ immediateRisk: true, riskCue: true });
    }
  });

  it('takes a harm clearly in the past for the past, and a harm now (or unsure) for possible risk', () => {
    expect(readCues('A child was hurt last year').immediateRisk).toBe(false);
    expect(readCues('The girl was assaulted two years ago').immediateRisk).toBe(false);
    const now = readCues('A child is being hurt right now');
    expect(now.immediateRisk).toBe(true);
    expect(now.matches).toContainEqual({ cue: 'IMMEDIATE_RISK', words: 'hurt', timing: 'now' });
    // Past and present together: the present wins.
    expect(readCues('The child was hit last week and is still living with him').immediateRisk).toBe(true);
    // No tense to go on ("dad hit the kids"): unsure, so possible risk.
    expect(readCues('Dad hit the kids').matches).toContainEqual({ cue: 'IMMEDIATE_RISK', words: 'hit', timing: 'unknown' });
  });

  it("does not count a death that did not happen, or someone else's", () => {
    expect(readCues("The baby didn't die").childDeath).toBe(false);
    expect(readCues('The baby nearly died').childDeath).toBe(false);
    expect(readCues("The child's father was killed").childDeath).toBe(false);
    expect(readCues('I attended a call where a baby died').childDeath).toBe(true);
  });
});

describe('text the rules cannot read is possible risk', () => {
  it('has no words in an empty, emoji-only or punctuation-only message, and shows no routes for it', () => {
    for (const text of ['', '   ', '👍', '!!!']) {
      expect(readCues(text), JSON.stringify(text)).toMatchObject({ wordless: true, immediateRisk: false, riskCue: false });
    }
  });

  it('takes an SOS emoji as a risk cue', () => {
    expect(readCues('🆘')).toMatchObject({ wordless: true, immediateRisk: true, riskCue: true });
  });

  it('treats another language as unreadable, and so as possible risk (routes shown, not a cue)', () => {
    for (const text of ['Dzień dobry, potrzebuję pomocy', 'Hola, necesito ayuda, un niño está en peligro']) {
      expect(readCues(text), text).toMatchObject({ unreadable: true, immediateRisk: true, riskCue: false });
    }
  });

  it('reads the English in mixed languages', () => {
    expect(readCues("Bonjour, je suis paramedic: child in danger à l'adresse")).toMatchObject({ riskCue: true });
  });

  it('finds a cue buried in a pasted wall of text', () => {
    const notes = 'Crew attended a flat for an elderly patient with a fall and the family were present. '.repeat(40);
    const wall = `${notes}The grandson is being hit by his uncle right now. ${notes}`;
    expect(wall.length).toBeGreaterThan(2000);
    expect(readCues(wall)).toMatchObject({ riskCue: true, truncated: false });
    expect(readCues(notes)).toMatchObject({ riskCue: false, immediateRisk: false });
  });

  it('reads only the first MAX_READ_LENGTH characters, and treats the unread rest as possible risk', () => {
    const long = 'The referral was made and the crew left the address. '.repeat(Math.ceil((MAX_READ_LENGTH + 1) / 53));
    expect(long.length).toBeGreaterThan(MAX_READ_LENGTH);
    expect(readCues(long)).toMatchObject({ truncated: true, immediateRisk: true, riskCue: false });
  });
});
