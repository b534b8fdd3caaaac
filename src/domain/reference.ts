/** Request references such as SGS-2026-0042: prefix, year, a yearly sequence. */
const REFERENCE = /^([A-Z]{2,8})-(\d{4})-(\d{4,})$/;

export function formatReference(prefix: string, year: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError('sequence must be a positive integer');
  return `${prefix}-${year}-${String(sequence).padStart(4, '0')}`;
}

export function parseReference(text: string): { prefix: string; year: number; sequence: number } | undefined {
  const match = REFERENCE.exec(text.trim().toUpperCase());
  if (!match) return undefined;
  return { prefix: match[1]!, year: Number(match[2]), sequence: Number(match[3]) };
}
