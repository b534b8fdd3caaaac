// Fact titles and values go to Teams with the characters that would form Adaptive Cards
// markdown replaced by look-alikes (src/cards/plain-facts.ts).
import { describe, expect, it } from 'vitest';
import { plainFactText, withPlainFacts } from '../../src/cards/plain-facts.js';

describe('plainFactText', () => {
  it('leaves ordinary text, names and dates exactly as they are', () => {
    for (const text of ['Alex Smith', "Sam O'Neill-Carter (supervisor)", 'Wed 25 Nov 2026, 10:00 to 11:00', '—', 'Room 4 (2nd floor)', '3 of 5']) {
      expect(plainFactText(text)).toBe(text);
    }
  });

  it('breaks a markdown link: no "](" remains, the visible characters do', () => {
    const out = plainFactText('[click](https://evil.example) and [x] (y)');
    expect(out).not.toMatch(/\]\s*\(/);
    expect(out.replace(/\u200b/g, '')).toBe('[click](https://evil.example) and [x] (y)');
  });

  it('replaces emphasis characters with look-alikes', () => {
    expect(plainFactText('**bold** _it_ *x*')).toBe('\u2217\u2217bold\u2217\u2217 \u02cdit\u02cd \u2217x\u2217');
  });

  it('keeps list, heading and quote markers at a line start from forming', () => {
    expect(plainFactText('- one\n  + two\n1. three\n2) four\n# five\n> six\nplain - dash')).toBe(
      '\u200b- one\n  \u200b+ two\n\u200b1. three\n\u200b2) four\n\u200b# five\n\u200b> six\nplain - dash',
    );
  });
});

describe('withPlainFacts', () => {
  const card = {
    type: 'AdaptiveCard',
    body: [
      { type: 'TextBlock', text: '**fixed wording stays**' },
      { type: 'FactSet', facts: [{ title: 'Claimed by', value: '**Jo** [x](https://evil.example)' }, { title: '_Name_', value: 'plain' }] },
      { type: 'Container', items: [{ type: 'FactSet', facts: [{ title: 'Venue', value: '*Room*' }] }] },
    ],
    actions: [{ type: 'Action.ShowCard', card: { type: 'AdaptiveCard', body: [{ type: 'FactSet', facts: [{ title: 'A', value: '_b_' }] }] } }],
  };

  it('neutralises the titles and values of every FactSet, in containers and sub-cards, and nothing else', () => {
    const out = withPlainFacts(card);
    expect(out.body[0]).toEqual(card.body[0]);
    expect(out.body[1]).toEqual({
      type: 'FactSet',
      facts: [
        { title: 'Claimed by', value: plainFactText('**Jo** [x](https://evil.example)') },
        { title: '\u02cdName\u02cd', value: 'plain' },
      ],
    });
    expect(JSON.stringify(out)).not.toMatch(/"(title|value)":"[^"]*(\*|_|\]\()/);
    expect(out.actions[0]!.card.body[0]!.facts[0]!.value).toBe('\u02cdb\u02cd');
  });

  it('returns a copy: the card it was given is unchanged', () => {
    const before = JSON.stringify(card);
    withPlainFacts(card);
    expect(JSON.stringify(card)).toBe(before);
  });
});
