/**
 * Spotting patient-identifiable detail in free text before it is saved. The bot warns and
 * lets the person edit; it never stores or logs what it found, only the kinds.
 */
export type IdentifierKind = 'NHS_NUMBER' | 'DATE_OF_BIRTH' | 'POSTCODE';

export interface IdentifierFinding {
  kind: IdentifierKind;
  /** Which answer it was found in ("summary", "availability"...). */
  field: string;
}

export const IDENTIFIER_LABELS: Record<IdentifierKind, string> = {
  NHS_NUMBER: 'an NHS number',
  DATE_OF_BIRTH: 'a date of birth',
  POSTCODE: 'a postcode',
};

/**
 * NHS number check digit (modulus 11): weights 10..2 over the first nine digits;
 * 11 - (sum mod 11) is the check digit, 11 means 0, and 10 means the number is invalid.
 */
export function isValidNhsNumber(candidate: string): boolean {
  const digits = candidate.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}

// Ten digits, optionally grouped 3-3-4 by spaces or hyphens, not part of a longer number.
const NHS_NUMBER_CANDIDATE = /(?<![\d-])(\d{3}[\s-]?\d{3}[\s-]?\d{4})(?![\d-])/g;

const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
// 03/04/2019, 3-4-19, 03.04.2019, 3 April 2019, 3rd Apr 19, April 3 2019
// (one separator throughout, so a time range such as 10.30-11.00 is not taken for a date)
const FULL_DATE = new RegExp(
  [
    String.raw`\b(0?[1-9]|[12]\d|3[01])(?<sep>[/.-])(0?[1-9]|1[0-2])\k<sep>(\d{4}|\d{2})\b`,
    String.raw`\b(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?(${MONTHS})\.?,?\s+(\d{4}|'?\d{2})\b`,
    String.raw`\b(${MONTHS})\.?\s+(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s+(\d{4})\b`,
  ].join('|'),
  'i',
);
const DOB_WORDS = /\b(d\.?\s?o\.?\s?b\.?|date of birth|born on|born)\b/i;

// UK postcode (outward + inward), per the Royal Mail format rules.
const POSTCODE =
  /\b(GIR\s?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)\s?\d[ABD-HJLNP-UW-Z]{2})\b/i;

function containsNhsNumber(text: string): boolean {
  for (const match of text.matchAll(NHS_NUMBER_CANDIDATE)) {
    if (isValidNhsNumber(match[1]!)) return true;
  }
  return false;
}

/**
 * A date with day, month and year is treated as a possible date of birth: in a short
 * safeguarding summary that is what it usually is, and the person can keep it after the
 * warning. "DOB" or "born" followed by anything date-like is always flagged.
 */
function containsDateOfBirth(text: string): boolean {
  if (FULL_DATE.test(text)) return true;
  const words = DOB_WORDS.exec(text);
  if (!words) return false;
  const after = text.slice(words.index + words[0].length, words.index + words[0].length + 24);
  return /\d{1,2}[/.-]\d{1,2}|\b\d{4}\b/.test(after);
}

export function findIdentifiers(fields: Record<string, string | undefined>): IdentifierFinding[] {
  const findings: IdentifierFinding[] = [];
  for (const [field, text] of Object.entries(fields)) {
    if (!text) continue;
    if (containsNhsNumber(text)) findings.push({ kind: 'NHS_NUMBER', field });
    if (containsDateOfBirth(text)) findings.push({ kind: 'DATE_OF_BIRTH', field });
    if (POSTCODE.test(text)) findings.push({ kind: 'POSTCODE', field });
  }
  return findings;
}

export function describeFindings(findings: IdentifierFinding[]): string {
  const kinds = [...new Set(findings.map((f) => IDENTIFIER_LABELS[f.kind]))];
  if (kinds.length <= 1) return kinds[0] ?? '';
  return `${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]}`;
}

/** What stands in for each kind of detail left out of a person's words. */
const LEFT_OUT: Record<IdentifierKind, string> = {
  NHS_NUMBER: '[NHS number left out]',
  DATE_OF_BIRTH: '[date left out]',
  POSTCODE: '[postcode left out]',
};

const NHS_NUMBERS = new RegExp(NHS_NUMBER_CANDIDATE.source, 'g');
const FULL_DATES = new RegExp(FULL_DATE.source, 'gi');
const POSTCODES = new RegExp(POSTCODE.source, 'gi');
// "DOB 2019", "born 3/4": what follows the words, within the reach containsDateOfBirth looks at.
const DOB_AND_DATE = new RegExp(String.raw`(${DOB_WORDS.source})([^\n]{0,24}?)(\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\b\d{4}\b)`, 'gi');

/**
 * A person's words with what the check above flags left out (each replaced by a marker such as
 * "[postcode left out]"), for keeping them before the person has seen the warning: the first
 * message kept as a draft summary, an urgent disclosure passed to the specialist. Undefined
 * when the words still look identifiable after that, so they are not kept at all.
 */
export function withoutIdentifiers(text: string): { text: string; leftOut: IdentifierKind[] } | undefined {
  const leftOut = new Set<IdentifierKind>();
  const replace = (kind: IdentifierKind) => () => {
    leftOut.add(kind);
    return LEFT_OUT[kind];
  };
  let kept = text.replace(NHS_NUMBERS, (match, digits: string) => (isValidNhsNumber(digits) ? replace('NHS_NUMBER')() : match));
  kept = kept.replace(FULL_DATES, replace('DATE_OF_BIRTH'));
  kept = kept.replace(DOB_AND_DATE, (_match, words: string, _inner: string, between: string) => {
    leftOut.add('DATE_OF_BIRTH');
    return `${words}${between}${LEFT_OUT.DATE_OF_BIRTH}`;
  });
  kept = kept.replace(POSTCODES, replace('POSTCODE'));
  if (findIdentifiers({ text: kept }).length > 0) return undefined;
  return { text: kept, leftOut: [...leftOut] };
}
