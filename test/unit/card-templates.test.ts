// Teams renders markdown in TextBlocks and fact titles/values. Text people type and names from
// the directory are bound in RichTextBlock TextRuns (never parsed) in cards/*.json; what is left in
// facts is neutralised before it goes to Teams (src/cards/plain-facts.ts). This checks the
// templates themselves so a new card cannot bind typed text into a TextBlock by accident.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CARDS = fileURLToPath(new URL('../../cards/', import.meta.url));
const templates = readdirSync(CARDS)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(`${CARDS}${f}`, 'utf8')) as unknown] as const);

/** Data keys that carry text a person typed or a name from the directory. */
const FREE_TEXT = [
  'summary', 'availability', 'adjustments', 'advice', 'description', 'content', 'reflectionNotes', 'themes', 'escalation',
  'sharing', 'venue', 'reason', 'name', 'specialist', 'requester', 'supervisor', 'supervisees', 'claimedBy', 'proposedBy',
  'signedBy', 'owner', 'recipient', 'signedSoFar', 'awaiting',
];

/** Message slots the flows fill with names or reasons (for example "Jo Bloggs cancelled this session: …"). */
const NAMED_SLOTS: Array<[template: string, key: string]> = [
  ['action-point', 'heading'], ['advice', 'specialist'], ['audit-trail', 'heading'], ['file-download', 'title'], ['history', 'heading'],
  ['record-view', 'message'], ['reminder', 'text'], ['reminder', 'detail'], ['session-update', 'message'], ['supervision-record', 'message'],
  ['team-attendance', 'name'],
];

type Json = Record<string, unknown>;
function nodes(value: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const v of value) nodes(v, out);
  else if (value && typeof value === 'object') {
    out.push(value as Json);
    for (const v of Object.values(value)) nodes(v, out);
  }
  return out;
}
const binds = (text: unknown, key: string) => typeof text === 'string' && new RegExp(`\\$\\{[^}]*\\b${key}\\b[^}]*\\}`).test(text);

describe('card templates', () => {
  it('found the templates', () => {
    expect(templates.length).toBeGreaterThan(20);
  });

  it.each(templates)('%s binds no typed text or name into a TextBlock', (_name, template) => {
    for (const node of nodes(template).filter((n) => n.type === 'TextBlock')) {
      for (const key of FREE_TEXT) expect(binds(node.text, key), `TextBlock "${String(node.text)}" binds ${key}`).toBe(false);
    }
  });

  it.each(templates)('%s: every RichTextBlock holds TextRuns with text, and formatting sits on the runs', (_name, template) => {
    for (const block of nodes(template).filter((n) => n.type === 'RichTextBlock')) {
      expect(Array.isArray(block.inlines) && block.inlines.length > 0).toBe(true);
      for (const run of block.inlines as Json[]) {
        expect(run.type).toBe('TextRun');
        expect(typeof run.text).toBe('string');
      }
      for (const key of ['text', 'weight', 'size', 'isSubtle', 'color', 'wrap']) expect(block[key], `RichTextBlock has ${key}`).toBeUndefined();
    }
  });

  it.each(NAMED_SLOTS)('%s shows %s in a TextRun', (name, key) => {
    const template = templates.find(([n]) => n === name)?.[1];
    const runs = nodes(template).filter((n) => n.type === 'TextRun' && binds(n.text, key));
    expect(runs.length).toBeGreaterThan(0);
  });
});
