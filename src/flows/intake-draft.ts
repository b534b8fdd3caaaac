import { z } from 'zod';
import { saysEnoughToKeep, joinSummary } from '../domain/conversation-words.js';
import { describeFindings, withoutIdentifiers, type IdentifierKind } from '../domain/identifiers.js';
import { MAX_FIELD_LENGTH } from '../domain/text-limits.js';
import { HELP_TYPES, type HelpType } from '../domain/triage.js';
import type { FlowDeps } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * The request conversation in progress (one RequestDraft row per person): the steps answered
 * so far and the draft summary. What the person wrote is kept only after the patient-detail
 * check, with anything it flags left out (identifiers.ts), so the draft never holds free text
 * that has not passed it.
 */

/** Kinds of help a person's own words can lead to, as the buttons would. */
export const SUGGESTIONS = ['CHILD_DEATH', 'EMOTIONAL_IMPACT'] as const;
export type Suggestion = (typeof SUGGESTIONS)[number];

const IDENTIFIER_KINDS = ['NHS_NUMBER', 'DATE_OF_BIRTH', 'POSTCODE'] as const satisfies readonly IdentifierKind[];

export const draftData = z.object({
  immediateRisk: z.boolean().optional(),
  helpType: z.enum(HELP_TYPES as [HelpType, ...HelpType[]]).optional(),
  /** What the person's first words suggested (read by the cue rules). */
  suggested: z.enum(SUGGESTIONS).optional(),
  /** The draft summary: what the person wrote, checked (patient-identifiable detail left out). */
  summary: z.string().max(MAX_FIELD_LENGTH).optional(),
  /** What the check left out of it. */
  leftOut: z.array(z.enum(IDENTIFIER_KINDS)).optional(),
  /** Step "add-or-new": the open request the summary may be added to. */
  addTo: z.string().optional(),
});
export type DraftData = z.infer<typeof draftData>;

/** risk, kind, details: asking for help; add-or-new: a message written with a request open. */
export type Step = 'risk' | 'kind' | 'details' | 'add-or-new';

export interface Draft {
  step: Step;
  data: DraftData;
  requestId: string | null;
}

export function parseDraft(row: { step: string; data: unknown; requestId: string | null } | null): Draft | null {
  if (!row) return null;
  return { step: row.step as Step, data: draftData.parse(row.data), requestId: row.requestId };
}

export async function saveDraft(deps: FlowDeps, actor: Actor, step: Step, data: DraftData, requestId?: string | null) {
  // Stamped by the product's clock: the retention purge compares updatedAt.
  const now = deps.clock.now();
  await deps.db.requestDraft.upsert({
    where: { personId: actor.personId },
    create: { personId: actor.personId, step, data, requestId: requestId ?? null, createdAt: now, updatedAt: now },
    update: { step, data, ...(requestId !== undefined ? { requestId } : {}), updatedAt: now },
  });
}

export async function currentDraft(deps: FlowDeps, actor: Actor): Promise<Draft | null> {
  return parseDraft(await deps.db.requestDraft.findUnique({ where: { personId: actor.personId } }));
}

/** A message's words as a piece of the summary: checked, and only if they say enough to keep. */
export interface KeptWords {
  text: string;
  leftOut: IdentifierKind[];
}

export function keptWords(text: string): KeptWords | undefined {
  const trimmed = text.replace(/\r\n/g, '\n').trim();
  if (trimmed.length > MAX_FIELD_LENGTH || !saysEnoughToKeep(trimmed)) return undefined;
  return withoutIdentifiers(trimmed);
}

/**
 * The draft with a message's words added to its summary. Words that would take the summary
 * past its limit are not added (the details card asks for a short summary).
 */
export function withWords(data: DraftData, words: KeptWords | undefined): DraftData {
  if (!words) return data;
  const summary = joinSummary(data.summary, words.text);
  if (summary.length > MAX_FIELD_LENGTH) return data;
  const leftOut = [...new Set([...(data.leftOut ?? []), ...words.leftOut])];
  return { ...data, summary, ...(leftOut.length ? { leftOut } : {}) };
}

/** What the person is told about detail left out of their words, or '' when nothing was. */
export function leftOutNote(data: Pick<DraftData, 'leftOut'>): string {
  const kinds = data.leftOut ?? [];
  if (kinds.length === 0) return '';
  const what = describeFindings(kinds.map((kind) => ({ kind, field: 'summary' })));
  return `I left out what looked like ${what}: please keep anything that could identify a patient out of it.`;
}
