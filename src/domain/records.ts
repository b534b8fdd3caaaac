import { DateTime } from 'luxon';
import { DomainError } from './errors.js';
import type { RecordRelation } from './permissions.js';

/**
 * Supervision records: the kinds of action point, the reflective models, when a record is
 * due, checking the action points of a record form, and who may read, amend and complete
 * what. Pure: the flows load and store, and audit every read.
 */

// ---------------------------------------------------------------------------
// Action point kinds (seeds 000, procedural document 6.3)
// ---------------------------------------------------------------------------

/** The seven kinds of action point, in the order the procedure lists them. */
export const ACTION_POINT_KINDS = [
  'NO_FURTHER_ACTION',
  'TRAINING_NEED',
  'SEEK_FURTHER_GUIDANCE',
  'SIGNPOSTED_TO_SUPPORT',
  'FOLLOW_UP_SUPERVISION',
  'SAFEGUARDING_REFERRAL',
  'ESCALATION',
] as const;
export type ActionPointKind = (typeof ACTION_POINT_KINDS)[number];

/**
 * Short labels for pick lists (each under Slack's 75-character option limit), worded from
 * the procedure. The Trust-specific parts ("within the Trust", "via EBS") are in the
 * descriptions, generalised, not the labels.
 */
export const ACTION_POINT_KIND_LABELS: Record<ActionPointKind, string> = {
  NO_FURTHER_ACTION: 'No further action: supervision met the need in the session',
  TRAINING_NEED: 'Training and development need identified',
  SEEK_FURTHER_GUIDANCE: 'Seek further guidance (outside the framework or from a specialist)',
  SIGNPOSTED_TO_SUPPORT: 'Signposted to other staff support',
  FOLLOW_UP_SUPERVISION: 'Follow-up with further safeguarding supervision',
  SAFEGUARDING_REFERRAL: 'A safeguarding referral needs to be made on a specific case',
  ESCALATION: 'Escalation outside safeguarding supervision',
};

/** The procedure's fuller wording, for help text. */
export const ACTION_POINT_KIND_DESCRIPTIONS: Record<ActionPointKind, string> = {
  NO_FURTHER_ACTION:
    'No further action: safeguarding supervision itself has addressed the needs of the supervisee within the session.',
  TRAINING_NEED: 'Training and development need identified.',
  SEEK_FURTHER_GUIDANCE: 'Seek further guidance relating to a need outside of the framework or from a specialist.',
  SIGNPOSTED_TO_SUPPORT: 'Signposted the supervisee to other staff support available within the organisation.',
  FOLLOW_UP_SUPERVISION: 'Follow-up with further safeguarding supervision.',
  SAFEGUARDING_REFERRAL:
    'Identified that a safeguarding referral needs to be made regarding a specific case (for example a retrospective referral).',
  ESCALATION:
    'A concern needs escalating outside the safeguarding supervision framework, to the Head of Safeguarding, the safeguarding specialists and/or the supervisee\'s line manager, after discussion with the supervisee.',
};

export function isActionPointKind(value: unknown): value is ActionPointKind {
  return typeof value === 'string' && Object.hasOwn(ACTION_POINT_KIND_LABELS, value);
}

// ---------------------------------------------------------------------------
// Reflective models (seeds 004, reflective supervision discussion templates)
// ---------------------------------------------------------------------------

export const REFLECTIVE_MODELS = ['SBAR', 'REFLECTIVE_CYCLE', 'APIR', 'STRENGTHENING_FAMILIES'] as const;
export type ReflectiveModel = (typeof REFLECTIVE_MODELS)[number];

export interface ReflectiveField {
  /** The key under which the answer is stored in the record's reflective notes. */
  key: string;
  label: string;
  /** The question the template asks. */
  prompt: string;
}

export const REFLECTIVE_MODEL_LABELS: Record<ReflectiveModel, string> = {
  SBAR: 'SBAR (Situation, Background, Assessment, Recommendation)',
  REFLECTIVE_CYCLE: 'Reflective cycle',
  APIR: 'APIR (Assessment, Planning, Implementation, Review)',
  STRENGTHENING_FAMILIES: 'Strengthening Families',
};

export const REFLECTIVE_MODEL_FIELDS: Record<ReflectiveModel, readonly ReflectiveField[]> = {
  SBAR: [
    { key: 'situation', label: 'Situation', prompt: 'What is happening at the present time?' },
    { key: 'background', label: 'Background', prompt: 'What are the circumstances leading up to this situation?' },
    { key: 'assessment', label: 'Assessment', prompt: 'What do I think the problem or issue is?' },
    {
      key: 'recommendation',
      label: 'Recommendation',
      prompt: 'What should we do to correct the problem or issue? What action is now required?',
    },
  ],
  REFLECTIVE_CYCLE: [
    { key: 'description', label: 'Description', prompt: 'What happened?' },
    { key: 'feelings', label: 'Feelings', prompt: 'What were you thinking and feeling?' },
    { key: 'evaluation', label: 'Evaluation', prompt: 'What was good and bad about the situation?' },
    { key: 'analysis', label: 'Analysis', prompt: 'What sense can you make of the situation?' },
    { key: 'conclusion', label: 'Conclusion', prompt: 'What else could you have done?' },
    {
      key: 'actionPlan',
      label: 'Action plan',
      prompt: 'What are you going to do now? If it arose again, what else could you do?',
    },
  ],
  APIR: [
    { key: 'assessment', label: 'Assessment', prompt: 'What is your assessment of needs, risks and strengths?' },
    { key: 'plan', label: 'Planning', prompt: 'What needs to happen now? Planning arising out of the assessment.' },
    {
      key: 'implementation',
      label: 'Implementation',
      prompt: 'Which interventions, resources and services are required or provided to meet the needs or address the risks?',
    },
    {
      key: 'review',
      label: 'Review',
      prompt: 'When will progress be reviewed? What conclusions can be drawn now, with a focus on outcomes and reflections on practice?',
    },
  ],
  STRENGTHENING_FAMILIES: [
    {
      key: 'worries',
      label: 'What are we worried about?',
      prompt: 'Past harm, future danger, unmet needs and complicating factors.',
    },
    { key: 'workingWell', label: "What's working well?", prompt: 'Existing strengths and safety.' },
    { key: 'needsToHappen', label: 'What needs to happen?', prompt: 'Future safety and next steps.' },
  ],
};

export function isReflectiveModel(value: unknown): value is ReflectiveModel {
  return typeof value === 'string' && Object.hasOwn(REFLECTIVE_MODEL_LABELS, value);
}

/** Longest answer to one reflective prompt. */
export const MAX_REFLECTIVE_FIELD_LENGTH = 4000;

/**
 * The reflective notes of a record, cleaned: only the model's own fields, trimmed, blank
 * answers left out. Refuses an unknown model or an answer that is not text or too long.
 */
export function validateReflectiveNotes(model: string, notes: Record<string, unknown>): Record<string, string> {
  if (!isReflectiveModel(model)) throw new DomainError('INVALID_INPUT', 'Choose one of the listed reflective models.');
  const cleaned: Record<string, string> = {};
  for (const field of REFLECTIVE_MODEL_FIELDS[model]) {
    const value = Object.hasOwn(notes, field.key) ? notes[field.key] : undefined;
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new DomainError('INVALID_INPUT', `${field.label}: the answer must be text.`);
    const text = value.replace(/\r\n/g, '\n').trim();
    if (text.length === 0) continue;
    if (text.length > MAX_REFLECTIVE_FIELD_LENGTH) {
      throw new DomainError(
        'INVALID_INPUT',
        `${field.label}: the answer is ${text.length} characters long; please keep it to ${MAX_REFLECTIVE_FIELD_LENGTH}.`,
      );
    }
    cleaned[field.key] = text;
  }
  return cleaned;
}

// ---------------------------------------------------------------------------
// When a record is due
// ---------------------------------------------------------------------------

/** Seeds 002: decisions are recorded within 24 hours (the org setting recordDueHours). */
export function recordDueAt(sessionEndsAt: Date, hours: number): Date {
  if (!(hours > 0)) throw new RangeError('hours must be positive');
  return new Date(sessionEndsAt.getTime() + hours * 3_600_000);
}

// ---------------------------------------------------------------------------
// Action points
// ---------------------------------------------------------------------------

/** An action point should be brief (seeds 000 procedure 6.2). */
export const MAX_ACTION_DESCRIPTION_LENGTH = 500;
/** Where information may be shared to address the point (seeds 000 procedure 4.8). */
export const MAX_ACTION_SHARING_LENGTH = 500;

export interface ActionPointInput {
  description?: string;
  ownerId?: string;
  /** Date for completion, YYYY-MM-DD. */
  dueOn?: string;
  kind?: string;
  sharing?: string;
}

export interface ActionPoint {
  /** 1, 2, 3... in the order given, empty rows left out. */
  ordinal: number;
  description: string;
  ownerId: string;
  dueOn: string;
  kind: ActionPointKind;
  sharing: string | null;
}

export interface ActionPointContext {
  /** Who can own a point: the supervisor and the supervisee(s). */
  partyIds: readonly string[];
  /** The session's local date, YYYY-MM-DD. */
  sessionDate: string;
  /** The org setting maxActionPoints (seeds 000 appendix: five). */
  max: number;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  return ISO_DATE.test(value) && DateTime.fromISO(value, { zone: 'utc' }).isValid;
}

function longDate(value: string): string {
  return DateTime.fromISO(value, { zone: 'utc' }).setLocale('en-GB').toFormat('d LLLL yyyy');
}

/** A form value as trimmed text; anything that is not text counts as blank. */
function text(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\r\n/g, '\n').trim() : '';
}

/**
 * Check the action points of a record form and return them cleaned. Rows with every field
 * blank are ignored; the messages number the points as the form shows them (row 3 stays
 * "Action point 3" even when row 2 is empty).
 */
export function validateActionPoints(points: readonly ActionPointInput[], ctx: ActionPointContext): ActionPoint[] {
  if (!isRealDate(ctx.sessionDate)) throw new RangeError('sessionDate must be a date as YYYY-MM-DD');
  const rows = points
    .map((point, index) => ({
      number: index + 1,
      description: text(point.description),
      ownerId: text(point.ownerId),
      dueOn: text(point.dueOn),
      kind: text(point.kind),
      sharing: text(point.sharing),
    }))
    .filter((row) => row.description || row.ownerId || row.dueOn || row.kind || row.sharing);

  if (rows.length > ctx.max) {
    throw new DomainError(
      'INVALID_INPUT',
      `A record can have up to ${ctx.max} action point${ctx.max === 1 ? '' : 's'}; there are ${rows.length}.`,
    );
  }

  return rows.map((row, index) => {
    const fail = (problem: string, code: 'INVALID_INPUT' | 'NOT_A_PARTY' = 'INVALID_INPUT'): never => {
      throw new DomainError(code, `Action point ${row.number}: ${problem}`);
    };
    if (!row.description) fail('describe what needs to be done.');
    if (row.description.length > MAX_ACTION_DESCRIPTION_LENGTH) {
      fail(
        `the description is ${row.description.length} characters long; please keep it to ${MAX_ACTION_DESCRIPTION_LENGTH}.`,
      );
    }
    if (!row.ownerId) fail('choose who will do it.');
    if (!ctx.partyIds.includes(row.ownerId)) {
      fail('the person chosen to do it was not in this supervision; choose the supervisor or a supervisee.', 'NOT_A_PARTY');
    }
    if (!row.dueOn) fail('give a date for completion.');
    if (!isRealDate(row.dueOn)) fail('the date for completion is not a real date; use YYYY-MM-DD.');
    if (row.dueOn < ctx.sessionDate) {
      fail(`the date for completion (${longDate(row.dueOn)}) is before the session (${longDate(ctx.sessionDate)}).`);
    }
    if (!row.kind) fail('choose what kind of action point it is.');
    if (!isActionPointKind(row.kind)) fail('choose one of the listed kinds of action point.');
    if (row.sharing.length > MAX_ACTION_SHARING_LENGTH) {
      fail(
        `the note on sharing information is ${row.sharing.length} characters long; please keep it to ${MAX_ACTION_SHARING_LENGTH}.`,
      );
    }
    return {
      ordinal: index + 1,
      description: row.description,
      ownerId: row.ownerId,
      dueOn: row.dueOn,
      kind: row.kind as ActionPointKind,
      sharing: row.sharing || null,
    };
  });
}

// ---------------------------------------------------------------------------
// Who may see and change a record
// ---------------------------------------------------------------------------

export type RecordStatus = 'DRAFT' | 'AWAITING_SIGNATURES' | 'SIGNED';


/** The people who sign a record (seeds 000 procedure 4.8: both parties sign). */
export function recordPartyIds(record: Pick<RecordRelation, 'supervisorId' | 'superviseeIds'>): string[] {
  return [record.supervisorId, ...record.superviseeIds.filter((id) => id !== record.supervisorId)];
}

/** A signed record is never changed in place: each change is an amendment with its history. */
export function assertEditable(status: RecordStatus): void {
  if (status === 'SIGNED') {
    throw new DomainError('RECORD_SIGNED', 'This record has been signed, so it cannot be edited; make an amendment instead.');
  }
}
