import { describe, expect, it } from 'vitest';
import {
  IDENTIFIER_LABELS,
  describeFindings,
  findIdentifiers,
  isValidNhsNumber,
  type IdentifierFinding,
  type IdentifierKind,
} from '../../src/domain/identifiers.js';

/** The kinds found in one piece of text, in the order the detector reports them. */
const kindsIn = (text: string): IdentifierKind[] => findIdentifiers({ summary: text }).map((f) => f.kind);

describe('isValidNhsNumber', () => {
  it.each([
    '9434765919',
    '943 476 5919',
    '943-476-5919',
    '4010232137',
    '401 023 2137',
    '401-023-2137',
    ' 401 023 2137 ',
    '943 476-5919',
  ])('accepts the valid NHS number %j', (candidate) => {
    expect(isValidNhsNumber(candidate)).toBe(true);
  });

  it('maps a computed check digit of 11 to 0', () => {
    // 1*10 + 6*2 = 22, 22 mod 11 = 0, 11 - 0 = 11, which means a check digit of 0.
    expect(isValidNhsNumber('1000000060')).toBe(true);
    expect(isValidNhsNumber('1000000061')).toBe(false);
  });

  it.each([
    ['9434765918', 'check digit one too low'],
    ['9434765910', 'check digit 0 where 9 is due'],
    ['4010232136', 'check digit wrong'],
    ['4010232138', 'check digit wrong'],
    ['9434765991', 'two digits transposed'],
  ])('rejects %j (%s)', (candidate) => {
    expect(isValidNhsNumber(candidate)).toBe(false);
  });

  it.each(['1234567890', '123 456 7890', '1234567891', '1234567899'])(
    'rejects %j whose modulus 11 check comes out as 10 (never a valid NHS number)',
    (candidate) => {
      // 1*10 + 2*9 + 3*8 + 4*7 + 5*6 + 6*5 + 7*4 + 8*3 + 9*2 = 210; 210 mod 11 = 1; 11 - 1 = 10.
      expect(isValidNhsNumber(candidate)).toBe(false);
    },
  );

  it.each([
    ['', 'empty'],
    ['943476591', 'nine digits'],
    ['94347659190', 'eleven digits'],
    ['943 476 591', 'nine digits grouped'],
    ['943476591A', 'a letter for the check digit'],
    ['ABC DEF GHIJ', 'letters'],
    ['943.476.5919', 'dots are not accepted separators'],
    ['943/476/5919', 'slashes are not accepted separators'],
    ['+943 476 5919', 'a leading plus'],
  ])('rejects %j (%s)', (candidate) => {
    expect(isValidNhsNumber(candidate)).toBe(false);
  });
});

describe('findIdentifiers: NHS numbers', () => {
  it.each([
    'NHS number 943 476 5919 given at triage',
    'nhs no. 9434765919',
    'child 943-476-5919 known to CSC',
    '4010232137',
    '(401 023 2137)',
    'ref:4010232137.',
  ])('flags a valid NHS number in %j', (text) => {
    expect(kindsIn(text)).toContain('NHS_NUMBER');
  });

  it.each([
    ['a mobile number', 'mum can be reached on 07990 138855'],
    ['a mobile number without a space', 'mum can be reached on 07990138855'],
    ['a freephone number', 'called 0800 123 4567 for advice'],
    ['a landline', 'ring 020 7946 0958 after 2pm'],
    ['a 10-digit number whose check digit fails', 'case ref 9434765918'],
    ['a 10-digit number whose check comes out as 10', 'case ref 123 456 7890'],
    ['a valid NHS number inside a longer run of digits', 'ticket 19434765919 raised'],
    ['a valid NHS number followed by more digits', 'ticket 94347659191 raised'],
    ['a valid NHS number glued to a hyphenated run', 'code 1-943-476-5919'],
  ])('does not flag %s', (_label, text) => {
    expect(kindsIn(text)).not.toContain('NHS_NUMBER');
  });

  it('finds a valid number after an invalid candidate in the same text', () => {
    expect(kindsIn('tried 943 476 5918 then 943 476 5919')).toContain('NHS_NUMBER');
  });
});

describe('findIdentifiers: dates of birth', () => {
  it.each([
    '03/04/2019',
    '3/4/2019',
    '3-4-19',
    '03-04-2019',
    '03.04.2019',
    '31/12/19',
    '3 April 2019',
    '3 april 2019',
    '3 Apr 2019',
    '3rd Apr 19',
    "3rd Apr '19",
    '22nd of March 2018',
    '1st Sept 2020',
    '3 Apr. 2019',
    '3 April, 2019',
    'April 3 2019',
    'April 3rd, 2019',
    'Apr. 3 2019',
    'DOB 2019',
    'dob: 2019',
    'D.O.B. 3/4',
    'date of birth 03.04',
    'born on 12/5',
    'born in 2019',
  ])('flags %j', (date) => {
    expect(kindsIn(`Child seen with mum, ${date}, at school`)).toEqual(['DATE_OF_BIRTH']);
  });

  it.each([
    ['a day that does not exist', '32/04/2019'],
    ['a month that does not exist', '03/13/2019'],
    ['a day and month with no year', 'seen on 3 April'],
    ['a month and year with no day', 'since April 2019'],
    ['a three-digit year', '03/04/201'],
    ['a US-style date with the month first but no year', 'April 3'],
    ['the word born with nothing date-like after it', 'born prematurely, now thriving'],
    ['DOB with nothing date-like after it', 'DOB not known to the referrer'],
    ['a year far after the DOB words', 'DOB not recorded by the school; the family moved in 2019'],
  ])('does not flag %s', (_label, text) => {
    expect(kindsIn(text)).not.toContain('DATE_OF_BIRTH');
  });
});

describe('findIdentifiers: postcodes', () => {
  it.each([
    'SE1 7JN',
    'se17jn',
    'Se1 7jN',
    'GIR 0AA',
    'gir0aa',
    'EC1A 1BB',
    'W1A 0AX',
    'M1 1AE',
    'B33 8TH',
    'CR2 6XH',
    'DN55 1PT',
  ])('flags %j', (postcode) => {
    expect(kindsIn(`family moved to ${postcode} last month`)).toEqual(['POSTCODE']);
  });

  it.each([
    ['Q is never a first letter', 'QE1 7JN'],
    ['C is never an inward letter', 'SE1 7CN'],
    ['an outward code alone', 'lives in SE1'],
    ['a postcode glued to other letters', 'XSE1 7JNX'],
  ])('does not flag %s', (_label, text) => {
    expect(kindsIn(text)).not.toContain('POSTCODE');
  });
});

describe('findIdentifiers: ordinary safeguarding text', () => {
  it.each([
    'Home visit at 14:30, mum was not in.',
    'Seen at 09:15 and again at 16:45.',
    'Meeting 10.30-11.00 with the school.',
    'Available 09.30-10.30 or 14:00-15:00 on Tuesday.',
    'Mum has 3 children, the youngest is 18 months old.',
    'Disclosure made 4 weeks ago to the class teacher.',
    'I am a Band 6 health visitor on Ward 10, bay 3.',
    'Section 47 enquiry started 2 weeks ago; CP plan since 2023.',
    'Level 3 safeguarding training completed in 2024.',
    'Called the MASH on 3 April about the 2 younger siblings.',
    'Room B12, 24/7 line, 1-2-1 supervision, 5-10 minutes, 1 in 4 families.',
    'Dad works on the M25 and is home 2-3 nights a week.',
    'Baby was born at 32 weeks and is now doing well.',
  ])('finds nothing in %j', (text) => {
    expect(findIdentifiers({ summary: text })).toEqual([]);
  });
});

describe('findIdentifiers: fields', () => {
  it('reports the field each kind was found in, in field order', () => {
    const findings = findIdentifiers({
      summary: 'Child 943 476 5919 lives at SE1 7JN',
      availability: 'Any morning',
      adjustments: 'Mum was born 03/04/1990',
    });
    expect(findings).toEqual([
      { kind: 'NHS_NUMBER', field: 'summary' },
      { kind: 'POSTCODE', field: 'summary' },
      { kind: 'DATE_OF_BIRTH', field: 'adjustments' },
    ]);
  });

  it('reports each kind once per field however many times it appears', () => {
    expect(findIdentifiers({ summary: '943 476 5919 and 401 023 2137' })).toEqual([
      { kind: 'NHS_NUMBER', field: 'summary' },
    ]);
  });

  it('reports the same kind separately for each field', () => {
    expect(findIdentifiers({ summary: 'SE1 7JN', availability: 'not at W1A 0AX' })).toEqual([
      { kind: 'POSTCODE', field: 'summary' },
      { kind: 'POSTCODE', field: 'availability' },
    ]);
  });

  it('skips missing and empty fields', () => {
    expect(findIdentifiers({ summary: undefined, availability: '', adjustments: 'none' })).toEqual([]);
    expect(findIdentifiers({})).toEqual([]);
  });

  it('gives the same answer when called repeatedly (no regex state carried over)', () => {
    const fields = { summary: 'born 03/04/2019 at SE1 7JN, NHS 943 476 5919' };
    const first = findIdentifiers(fields);
    expect(first).toHaveLength(3);
    for (let i = 0; i < 5; i++) expect(findIdentifiers(fields)).toEqual(first);
  });
});

describe('describeFindings', () => {
  const f = (kind: IdentifierKind, field = 'summary'): IdentifierFinding => ({ kind, field });

  it('is empty for no findings', () => {
    expect(describeFindings([])).toBe('');
  });

  it.each([
    ['NHS_NUMBER', 'an NHS number'],
    ['DATE_OF_BIRTH', 'a date of birth'],
    ['POSTCODE', 'a postcode'],
  ] as const)('names one kind: %s', (kind, wording) => {
    expect(describeFindings([f(kind)])).toBe(wording);
    expect(IDENTIFIER_LABELS[kind]).toBe(wording);
  });

  it('names a kind once even when found in several fields', () => {
    expect(describeFindings([f('POSTCODE', 'summary'), f('POSTCODE', 'availability')])).toBe('a postcode');
  });

  it('joins two kinds with "and"', () => {
    expect(describeFindings([f('NHS_NUMBER'), f('POSTCODE')])).toBe('an NHS number and a postcode');
    expect(describeFindings([f('DATE_OF_BIRTH'), f('NHS_NUMBER', 'adjustments')])).toBe(
      'a date of birth and an NHS number',
    );
  });

  it('lists three kinds with commas and a final "and"', () => {
    expect(describeFindings([f('NHS_NUMBER'), f('DATE_OF_BIRTH'), f('POSTCODE')])).toBe(
      'an NHS number, a date of birth and a postcode',
    );
  });

  it('deduplicates before joining', () => {
    expect(
      describeFindings([f('POSTCODE'), f('NHS_NUMBER'), f('POSTCODE', 'availability'), f('NHS_NUMBER', 'adjustments')]),
    ).toBe('a postcode and an NHS number');
  });

  it('describes what findIdentifiers found', () => {
    const findings = findIdentifiers({ summary: 'NHS 943 476 5919, DOB 03/04/2019, SE1 7JN' });
    expect(describeFindings(findings)).toBe('an NHS number, a date of birth and a postcode');
  });
});
