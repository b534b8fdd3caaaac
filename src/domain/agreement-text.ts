import { AGREEMENT_KIND_LABELS, type AgreementKind } from './agreements.js';
import type { SetupProblem } from './setup-problems.js';

/**
 * Agreement and contract texts loaded from Markdown (`npm run org -- load-agreement <slug> <kind>
 * <file.md>`). Each load is a new version: a version is never changed, and everyone signs the
 * new one again (a signature covers only the version it was given on; src/domain/agreements.ts).
 * Pure.
 *
 * The file: an optional first line `# Title` (else --title, else the kind's usual name), then
 * the text. `## Heading` lines become bold lines on the card, `- ` items bullets, as the card
 * renders the texts of the policies (src/flows/agreements.ts agreementParagraphs).
 */

export const AGREEMENT_KINDS: readonly AgreementKind[] = ['INDIVIDUAL', 'GROUP', 'GROUP_ATTENDANCE', 'CONTRACT'];
export const MAX_AGREEMENT_TITLE_LENGTH = 200;
/** Long enough for the longest policy text; short enough for one Adaptive Card (Teams ~28 KB). */
export const MAX_AGREEMENT_BODY_LENGTH = 20_000;

export function parseAgreementKind(text: string): AgreementKind | null {
  const key = text.trim().toUpperCase().replace(/[\s-]+/g, '_');
  return (AGREEMENT_KINDS as readonly string[]).includes(key) ? (key as AgreementKind) : null;
}

export interface AgreementText {
  title: string;
  body: string;
}

export type AgreementTextCheck = { ok: true; text: AgreementText } | { ok: false; problems: SetupProblem[] };

/** The title and body of a Markdown file, or what is wrong with it. */
export function readAgreementMarkdown(markdown: string, kind: AgreementKind, titleOverride?: string): AgreementTextCheck {
  const problems: SetupProblem[] = [];
  if (markdown.includes('\u0000')) return { ok: false, problems: [{ field: 'file', reason: 'is not a text file' }] };
  const lines = markdown.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  let title = titleOverride?.replace(/\s+/g, ' ').trim() || undefined;
  const heading = /^#\s+(.+?)\s*#*$/.exec(lines[0] ?? '');
  if (heading) {
    lines.shift();
    title ??= heading[1]!.replace(/\s+/g, ' ').trim();
  }
  title ??= AGREEMENT_KIND_LABELS[kind];
  const body = lines
    .map((line) => {
      const sub = /^#{1,6}\s+(.+?)\s*#*$/.exec(line);
      return sub ? `**${sub[1]!.replace(/\*\*/g, '')}**` : line.replace(/\s+$/, '');
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (title.length > MAX_AGREEMENT_TITLE_LENGTH) problems.push({ field: 'title', reason: `is longer than ${MAX_AGREEMENT_TITLE_LENGTH} characters` });
  if (body === '') problems.push({ field: 'file', reason: 'has no text (only a title, or nothing)' });
  else if (body.length > MAX_AGREEMENT_BODY_LENGTH) problems.push({ field: 'file', reason: `the text is ${body.length} characters long; at most ${MAX_AGREEMENT_BODY_LENGTH} fit on one card` });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, text: { title, body } };
}

export interface StoredVersion {
  version: number;
  title: string;
  body: string;
}

/**
 * The version number a new text gets: the one asked for, or the next. Refused when that version
 * exists already (a signed version is never replaced), is not after the current one, or the text
 * is the same as the current version (everyone would be asked to sign it again for nothing).
 */
export function nextAgreementVersion(kind: AgreementKind, existing: readonly StoredVersion[], text: AgreementText, requested?: number): { ok: true; version: number } | { ok: false; problems: SetupProblem[] } {
  const latest = existing.reduce<StoredVersion | undefined>((best, v) => (!best || v.version > best.version ? v : best), undefined);
  const label = AGREEMENT_KIND_LABELS[kind];
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) return { ok: false, problems: [{ field: 'version', reason: `must be a whole number from 1, not "${requested}"` }] };
    if (existing.some((v) => v.version === requested)) {
      return { ok: false, problems: [{ field: 'version', reason: `version ${requested} of the ${label} already exists: a version is never replaced (load the new text as version ${(latest?.version ?? 0) + 1})` }] };
    }
    if (latest && requested < latest.version) {
      return { ok: false, problems: [{ field: 'version', reason: `must be after the current version ${latest.version} of the ${label}` }] };
    }
  }
  if (latest && latest.body === text.body && latest.title === text.title) {
    return { ok: false, problems: [{ field: 'file', reason: `is the same text as version ${latest.version} of the ${label}: nothing new to sign` }] };
  }
  return { ok: true, version: requested ?? (latest?.version ?? 0) + 1 };
}
