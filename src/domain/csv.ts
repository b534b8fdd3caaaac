/**
 * A small RFC 4180 CSV writer shared by every export (audit trail, quarterly report).
 *
 * Written by hand because `csv-stringify` is not installed (only `csv-parse` is); the unit tests
 * read the output back with csv-parse to prove the two agree.
 *
 * - Records end with CRLF (RFC 4180 §2.1), including the last one.
 * - A field is quoted when it holds a comma, a double quote, CR or LF; inner quotes are doubled.
 * - Spreadsheet formula injection (OWASP "CSV injection"): a *string* value starting with
 *   = + - @ TAB or CR is prefixed with a single quote so Excel/Sheets show it as text instead of
 *   running it. Numbers are written as numbers (a negative number is not a formula).
 * - null and undefined are written as empty fields.
 */

export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, neutralised against formula injection and quoted when RFC 4180 requires it. */
export function csvField(value: CsvValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A whole CSV document: the header line, then one line per row, each ending with CRLF. */
export function toCsv(header: string[], rows: CsvValue[][]): string {
  const lines = [header, ...rows].map((row) => row.map(csvField).join(','));
  return lines.map((line) => `${line}\r\n`).join('');
}

/** UTF-8's byte-order mark: Excel on Windows reads a CSV as UTF-8 only when the file starts with it. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A CSV document as the bytes of a file people will open in a spreadsheet: UTF-8 with a
 * byte-order mark, so names with accents survive Excel (csv-parse reads it with `bom: true`).
 */
export function csvFileBytes(csv: string): Buffer {
  return Buffer.concat([UTF8_BOM, Buffer.from(csv, 'utf8')]);
}
