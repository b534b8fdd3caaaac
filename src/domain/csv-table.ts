import { parseDirectoryCsv } from './directory-rows.js';
import type { SetupProblem } from './setup-problems.js';

/**
 * A set-up CSV file (contacts, staff groups, the supervision matrix) read the way the staff
 * directory is (src/domain/directory-rows.ts): UTF-8 with a header row, column names
 * case-insensitive (spaces and hyphens count as underscores) and in any order, blank lines
 * skipped, every problem reported with its line (the header is line 1) and field. Pure.
 */

export interface CsvColumns<C extends string> {
  required: readonly C[];
  optional: readonly C[];
}

export interface CsvRow<C extends string> {
  line: number;
  /** The trimmed cell of `column`; undefined when the file has no such column. */
  cell(column: C): string | undefined;
  has(column: C): boolean;
}

export interface CsvTable<C extends string> {
  /** Rows whose field count matches the header (the others are reported in `problems`). */
  rows: CsvRow<C>[];
  problems: SetupProblem[];
  /** Line of the header row (1 unless the file starts with blank lines). */
  headerLine: number;
}

export function normaliseColumnName(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s\-.]+/g, '_');
}

/** Split the file into rows of known columns, reporting unreadable CSV and header problems. */
export function readCsvTable<C extends string>(text: string, columns: CsvColumns<C>, maxRows: number): CsvTable<C> {
  const raw = parseDirectoryCsv(text);
  const problems: SetupProblem[] = raw.problems.map(({ line, field, reason }) => ({ line, field, reason }));
  const all: readonly string[] = [...columns.required, ...columns.optional];
  if (raw.header === null) {
    if (problems.length === 0) problems.push({ line: 1, field: 'file', reason: `the file is empty: expected a header row with ${columns.required.join(', ')}` });
    return { rows: [], problems, headerLine: 1 };
  }
  const headerLine = raw.header.line;
  const index = new Map<C, number>();
  raw.header.cells.forEach((cell, i) => {
    if (cell === '') return;
    const name = normaliseColumnName(cell);
    if (!all.includes(name)) {
      problems.push({ line: headerLine, field: cell, reason: `unknown column "${cell}"; columns are ${all.join(', ')}` });
    } else if (index.has(name as C)) {
      problems.push({ line: headerLine, field: name, reason: `column "${name}" appears more than once` });
    } else {
      index.set(name as C, i);
    }
  });
  const missing = columns.required.filter((column) => !index.has(column));
  for (const column of missing) problems.push({ line: headerLine, field: column, reason: `missing required column "${column}"` });
  // Without a required column every row would repeat the same problem: the header's is enough.
  if (missing.length > 0) return { rows: [], problems, headerLine };
  if (raw.rows.length === 0 && !raw.problems.some((p) => p.line > headerLine)) {
    problems.push({ line: headerLine, field: 'file', reason: 'the file has a header but no data rows' });
  }
  if (raw.rows.length > maxRows) {
    problems.push({ line: raw.rows[maxRows]!.line, field: 'file', reason: `the file has ${raw.rows.length} rows; at most ${maxRows} are allowed` });
  }
  const width = raw.header.cells.length;
  const rows: CsvRow<C>[] = [];
  for (const { line, cells } of raw.rows) {
    if (cells.length !== width) {
      problems.push({ line, field: 'row', reason: `expected ${width} fields as in the header, found ${cells.length} (quote fields that contain commas)` });
      continue;
    }
    rows.push({
      line,
      cell: (column) => {
        const i = index.get(column);
        return i === undefined ? undefined : (cells[i] ?? '');
      },
      has: (column) => index.has(column),
    });
  }
  return { rows, problems, headerLine };
}

/** "SAFEGUARDING SPECIALISTS", "safeguarding-specialists" → "SAFEGUARDING_SPECIALISTS". */
export function enumKey(text: string): string {
  return text.trim().toUpperCase().replace(/[\s\-_/]+/g, '_');
}

/** Problems sorted by line, then in the order found. */
export function byLine(problems: SetupProblem[]): SetupProblem[] {
  return problems.map((p, i) => ({ p, i })).sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i).map(({ p }) => p);
}
