// What people type between the bot's questions (issue 13, deliverables 2 and 5): the kind of help
// named, "cancel" / "add" / "new" in other words, what is worth keeping as a summary, identifiers
// left out before anything is kept, and the help each role is shown.
import { describe, expect, it } from 'vitest';
import { helpTypeNamed, joinSummary, saysEnoughToKeep, stepWordsOf } from '../../src/domain/conversation-words.js';
import { conversationAnswer, conversationHelp, EMERGENCY_LINE, personalHelp } from '../../src/domain/help-topics.js';
import { findIdentifiers, withoutIdentifiers } from '../../src/domain/identifiers.js';
import type { Role } from '../../src/domain/permissions.js';
import { readCues } from '../../src/domain/risk-cues.js';

describe('helpTypeNamed', () => {
  it.each([
    ['advice', 'ADVICE'],
    ['Quick advice please', 'ADVICE'],
    ['a session', 'SESSION'],
    ['sessions', 'SESSION'],
    ['A supervision session', 'SESSION'],
    ['one to one please', 'SESSION'],
    ['child death', 'CHILD_DEATH'],
    ['the death of a child', 'CHILD_DEATH'],
    ['a session about the baby died case', 'CHILD_DEATH'],
    ['the emotional impact', 'EMOTIONAL_IMPACT'],
    ['my wellbeing', 'EMOTIONAL_IMPACT'],
    ["I don't want a session, just advice", 'ADVICE'],
    ['not advice, a session please', 'SESSION'],
  ] as const)('"%s" names %s', (text, expected) => {
    expect(helpTypeNamed(text)).toBe(expected);
  });

  it.each(['hello', 'what?', 'advice or a session, not sure', '', '🙏'])('"%s" names none', (text) => {
    expect(helpTypeNamed(text)).toBeUndefined();
  });

  it('adds what the cue rules heard when no kind is named', () => {
    const text = 'we lost a baby on shift last night';
    expect(helpTypeNamed(text, readCues(text))).toBe('CHILD_DEATH');
    const upset = "I can't stop thinking about it";
    expect(helpTypeNamed(upset)).toBeUndefined();
    expect(helpTypeNamed(upset, readCues(upset))).toBe('EMOTIONAL_IMPACT');
  });
});

describe('stepWordsOf', () => {
  it.each([
    ['cancel', 'cancel'],
    ['Cancel, please!', 'cancel'],
    ['stop', 'cancel'],
    ['never mind', 'cancel'],
    ['forget it', 'cancel'],
    ['add', 'add'],
    ['add it', 'add'],
    ['Add this to SGS-2026-0042', 'add'],
    ['yes add it to my request', 'add'],
    ['new', 'new'],
    ['start a new request', 'new'],
    ['a new one please', 'new'],
    ['something else', 'new'],
  ] as const)('"%s" is %s', (text, expected) => {
    expect(stepWordsOf(text)).toBe(expected);
  });

  it.each(['he will not stop', 'stop hitting him', 'add more detail about the family', 'new baby in the house', 'no'])('"%s" is none: only a whole message counts', (text) => {
    expect(stepWordsOf(text)).toBeUndefined();
  });
});

describe('saysEnoughToKeep', () => {
  it.each(['I attended a call where a baby died', 'kid bein hit rn', 'Dzień dobry, potrzebuję pomocy', 'The mother rang again and sounded frightened'])('keeps "%s"', (text) => {
    expect(saysEnoughToKeep(text)).toBe(true);
  });

  it.each(['hello', 'Hello, I need some advice', 'can I book supervision', 'no one is at risk, just want advice', 'any update?', 'thanks', '😶🙏', '', 'a session instead'])(
    'does not keep "%s"',
    (text) => {
      expect(saysEnoughToKeep(text)).toBe(false);
    },
  );

  it('joins pieces of a summary in the order written', () => {
    expect(joinSummary(undefined, 'first')).toBe('first');
    expect(joinSummary('first', 'second')).toBe('first\n\nsecond');
  });
});

describe('withoutIdentifiers', () => {
  it('leaves out NHS numbers, dates and postcodes, saying which', () => {
    const kept = withoutIdentifiers('Child at SE1 7PB, DOB 03/04/2019, NHS 943 476 5919, seen at 10.30-11.00');
    expect(kept).toEqual({
      text: 'Child at [postcode left out], DOB [date left out], NHS [NHS number left out], seen at 10.30-11.00',
      leftOut: ['NHS_NUMBER', 'DATE_OF_BIRTH', 'POSTCODE'],
    });
    expect(findIdentifiers({ summary: kept!.text })).toEqual([]);
  });

  it('leaves out a year after "born", and keeps a ten-digit number that is no NHS number', () => {
    expect(withoutIdentifiers('born 2019, ref 1234567890')).toEqual({ text: 'born [date left out], ref 1234567890', leftOut: ['DATE_OF_BIRTH'] });
  });

  it('keeps words with nothing to leave out as they are', () => {
    expect(withoutIdentifiers('Worried about a family I visited')).toEqual({ text: 'Worried about a family I visited', leftOut: [] });
  });
});

describe('help for each person', () => {
  const as = (...roles: Role[]) => ({ personId: 'p-1', organisationId: 'o-1', roles });
  const facts = { platform: 'TEAMS' as const, inMandatoryGroup: false, exampleReference: 'SGS-2026-0042' };
  const says = (content: ReturnType<typeof personalHelp>) => content.groups.flatMap((g) => [g.title, ...g.items.map((i) => i.say)]);

  it('a member of staff: asking for help and their own supervision, nothing else', () => {
    expect(says(personalHelp(as('STAFF'), facts))).toEqual([
      'Ask the safeguarding team for help',
      'Any message, in your own words',
      'advice, session, child death or emotional impact',
      'new request',
      'cancel',
      'Your supervision',
      'history',
      'my actions',
    ]);
  });

  it('"book supervision" only in a staff group with mandatory supervision', () => {
    expect(says(personalHelp(as('STAFF'), { ...facts, inMandatoryGroup: true }))).toContain('book supervision');
  });

  it('an administrator: the administration commands, on each platform as typed there', () => {
    const teams = personalHelp(as('STAFF', 'ADMINISTRATOR'), facts);
    expect(teams.groups.at(-1)).toMatchObject({ title: 'Administration', items: [{ say: 'bind triage' }, { say: 'failed reminders' }, { say: 'organisation settings' }] });
    const slack = personalHelp(as('STAFF', 'ADMINISTRATOR'), { ...facts, platform: 'SLACK' });
    expect(slack.groups.at(-1)!.items[0]!.say).toBe('/supervision bind triage');
    expect(says(teams)).not.toContain('Head of Safeguarding');
  });

  it('the Head: the team, their own team and the Head\'s commands, with the organisation\'s reference', () => {
    const titles = personalHelp(as('STAFF', 'HEAD_OF_SAFEGUARDING', 'LINE_MANAGER'), { ...facts, exampleReference: 'ENT-2027-0042' }).groups.map((g) => g.title);
    expect(titles).toEqual(['Ask the safeguarding team for help', 'Your supervision', 'Your team', 'Safeguarding team', 'Head of Safeguarding']);
    expect(says(personalHelp(as('HEAD_OF_SAFEGUARDING'), { ...facts, exampleReference: 'ENT-2027-0042' }))).toContain('audit ENT-2027-0042');
  });

  it('a line manager who is not on the safeguarding team: "overdue supervision" for their team', () => {
    const team = personalHelp(as('LINE_MANAGER'), facts).groups.find((g) => g.title === 'Your team')!;
    expect(team.items.map((i) => i.say)).toEqual(['my team', 'overdue supervision']);
  });

  it('every answer, anywhere, carries the emergency line', () => {
    expect(personalHelp(as('STAFF'), facts).emergency).toBe(EMERGENCY_LINE);
    for (const kind of ['CHANNEL', 'GROUP'] as const) {
      for (const isTriageChannel of [true, false]) {
        expect(conversationHelp(as('STAFF'), { kind, isTriageChannel }).emergency).toBe(EMERGENCY_LINE);
        expect(conversationAnswer({ kind, isTriageChannel }).endsWith(EMERGENCY_LINE)).toBe(true);
      }
    }
    expect(EMERGENCY_LINE).toContain('999');
  });

  it('a group chat is told what the bot does there, not the triage channel\'s text', () => {
    expect(conversationHelp(as('STAFF'), { kind: 'GROUP', isTriageChannel: false }).heading).toBe('What I do in a group chat');
    expect(conversationAnswer({ kind: 'GROUP', isTriageChannel: false })).not.toContain('I post a card');
    expect(conversationAnswer({ kind: 'CHANNEL', isTriageChannel: true })).toMatch(/^In this channel I post a card for each new request\./);
  });

  it('"bind triage" in a channel\'s help only for an administrator', () => {
    const items = (roles: Role[]) => conversationHelp(as(...roles), { kind: 'CHANNEL', isTriageChannel: true }).groups.flatMap((g) => g.items.map((i) => i.say));
    expect(items(['STAFF', 'ADMINISTRATOR'])).toContain('bind triage');
    expect(items(['STAFF', 'SPECIALIST'])).not.toContain('bind triage');
  });
});
