import { describe, expect, it } from 'vitest';
import { DomainError, type DomainErrorCode } from '../../src/domain/errors.js';
import { type ActorIdentity, assertCanAmendRecord, assertCanMarkActionDone, assertCanReadRecord, assertCanSeeAttendance, assertCanWriteRecord, type AttendanceRelation, canAmendRecord, canMarkActionDone, canReadRecord, canSeeAttendance, canWriteRecord, type Role } from '../../src/domain/permissions.js';
import {
  ACTION_POINT_KIND_DESCRIPTIONS,
  ACTION_POINT_KIND_LABELS,
  ACTION_POINT_KINDS,
  MAX_ACTION_DESCRIPTION_LENGTH,
  REFLECTIVE_MODEL_FIELDS,
  REFLECTIVE_MODEL_LABELS,
  REFLECTIVE_MODELS,
  assertEditable,
  isActionPointKind,
  isReflectiveModel,
  recordDueAt,
  recordPartyIds,
  validateActionPoints,
  validateReflectiveNotes,
  type ActionPointInput,
  type RecordStatus,
} from '../../src/domain/records.js';

const ORG = 'org-a';
const SUPERVISOR = 'p-supervisor';
const SUPERVISEE = 'p-supervisee';
const SECOND_SUPERVISEE = 'p-supervisee-2';
const LINE_MANAGER = 'p-line-manager';

const actor = (personId: string, roles: Role[], organisationId = ORG): ActorIdentity => ({ personId, organisationId, roles });

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

function expectRefusal(fn: () => unknown, code: DomainErrorCode, message?: string): void {
  const error = refusal(fn);
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.userMessage).toBe(message);
}

describe('the seven kinds of action point (seeds 000 procedure 6.3)', () => {
  it('are the Prisma enum names in the order the procedure lists them', () => {
    expect(ACTION_POINT_KINDS).toEqual([
      'NO_FURTHER_ACTION',
      'TRAINING_NEED',
      'SEEK_FURTHER_GUIDANCE',
      'SIGNPOSTED_TO_SUPPORT',
      'FOLLOW_UP_SUPERVISION',
      'SAFEGUARDING_REFERRAL',
      'ESCALATION',
    ]);
  });

  it('each has a label short enough for a Slack option (75) and a description', () => {
    expect(Object.keys(ACTION_POINT_KIND_LABELS)).toEqual([...ACTION_POINT_KINDS]);
    for (const kind of ACTION_POINT_KINDS) {
      expect(ACTION_POINT_KIND_LABELS[kind].length).toBeGreaterThan(0);
      expect(ACTION_POINT_KIND_LABELS[kind].length).toBeLessThanOrEqual(75);
      expect(ACTION_POINT_KIND_DESCRIPTIONS[kind]).toMatch(/\.$/);
    }
  });

  it('are worded from the procedure', () => {
    expect(ACTION_POINT_KIND_LABELS.TRAINING_NEED).toBe('Training and development need identified');
    expect(ACTION_POINT_KIND_LABELS.FOLLOW_UP_SUPERVISION).toBe('Follow-up with further safeguarding supervision');
    expect(ACTION_POINT_KIND_DESCRIPTIONS.NO_FURTHER_ACTION).toContain('addressed the needs of the supervisee within the session');
    expect(ACTION_POINT_KIND_DESCRIPTIONS.SEEK_FURTHER_GUIDANCE).toContain('outside of the framework or from a specialist');
  });

  it('isActionPointKind accepts only the seven', () => {
    for (const kind of ACTION_POINT_KINDS) expect(isActionPointKind(kind)).toBe(true);
    for (const other of ['training_need', 'OTHER', 'toString', '__proto__', '', 7, null]) expect(isActionPointKind(other)).toBe(false);
  });
});

describe('the reflective models (seeds 004)', () => {
  it('are the four Prisma enum names, each labelled', () => {
    expect(REFLECTIVE_MODELS).toEqual(['SBAR', 'REFLECTIVE_CYCLE', 'APIR', 'STRENGTHENING_FAMILIES']);
    for (const model of REFLECTIVE_MODELS) expect(REFLECTIVE_MODEL_LABELS[model]).toMatch(/\S/);
  });

  it.each([
    ['SBAR', ['situation', 'background', 'assessment', 'recommendation']],
    ['REFLECTIVE_CYCLE', ['description', 'feelings', 'evaluation', 'analysis', 'conclusion', 'actionPlan']],
    ['APIR', ['assessment', 'plan', 'implementation', 'review']],
    ['STRENGTHENING_FAMILIES', ['worries', 'workingWell', 'needsToHappen']],
  ] as const)('%s asks, in order: %j', (model, keys) => {
    expect(REFLECTIVE_MODEL_FIELDS[model].map((f) => f.key)).toEqual(keys);
    for (const field of REFLECTIVE_MODEL_FIELDS[model]) {
      expect(field.label).toMatch(/\S/);
      expect(field.prompt).toMatch(/[?.]$/);
    }
  });

  it('uses the templates\' questions', () => {
    expect(REFLECTIVE_MODEL_FIELDS.SBAR[0]!.prompt).toBe('What is happening at the present time?');
    expect(REFLECTIVE_MODEL_FIELDS.REFLECTIVE_CYCLE[0]!.prompt).toBe('What happened?');
    expect(REFLECTIVE_MODEL_FIELDS.STRENGTHENING_FAMILIES.map((f) => f.label)).toEqual([
      'What are we worried about?',
      "What's working well?",
      'What needs to happen?',
    ]);
  });

  it('isReflectiveModel accepts only the four', () => {
    for (const model of REFLECTIVE_MODELS) expect(isReflectiveModel(model)).toBe(true);
    expect(isReflectiveModel('GIBBS')).toBe(false);
    expect(isReflectiveModel('constructor')).toBe(false);
  });

  it('validateReflectiveNotes keeps the model\'s fields, trimmed, and drops the rest', () => {
    expect(
      validateReflectiveNotes('SBAR', { situation: '  Now  ', background: '', assessment: null, recommendation: 'Refer', plan: 'not SBAR' }),
    ).toEqual({ situation: 'Now', recommendation: 'Refer' });
  });

  it('validateReflectiveNotes refuses an unknown model, a non-text answer and an over-long one', () => {
    expectRefusal(() => validateReflectiveNotes('GIBBS', {}), 'INVALID_INPUT', 'Choose one of the listed reflective models.');
    expectRefusal(() => validateReflectiveNotes('APIR', { plan: 3 }), 'INVALID_INPUT', 'Planning: the answer must be text.');
    expectRefusal(
      () => validateReflectiveNotes('APIR', { review: 'x'.repeat(4001) }),
      'INVALID_INPUT',
      'Review: the answer is 4001 characters long; please keep it to 4000.',
    );
  });
});

describe('recordDueAt (seeds 002: within 24 hours)', () => {
  it('adds the hours to the end of the session', () => {
    expect(recordDueAt(new Date('2026-03-05T11:00:00Z'), 24).toISOString()).toBe('2026-03-06T11:00:00.000Z');
    expect(recordDueAt(new Date('2026-03-05T11:00:00Z'), 48).toISOString()).toBe('2026-03-07T11:00:00.000Z');
  });

  it('counts real hours across a clock change', () => {
    // Session ends 12:00 GMT on Saturday 28 March; due 24 real hours later, 13:00 BST on 29 March.
    expect(recordDueAt(new Date('2026-03-28T12:00:00Z'), 24).toISOString()).toBe('2026-03-29T12:00:00.000Z');
  });

  it('refuses a non-positive number of hours', () => {
    expect(() => recordDueAt(new Date('2026-03-05T11:00:00Z'), 0)).toThrow(RangeError);
  });
});

describe('validateActionPoints', () => {
  const ctx = { partyIds: [SUPERVISOR, SUPERVISEE], sessionDate: '2026-03-05', max: 5 };
  const good = (overrides: Partial<ActionPointInput> = {}): ActionPointInput => ({
    description: 'Complete the level 3 safeguarding adults e-learning',
    ownerId: SUPERVISEE,
    dueOn: '2026-04-30',
    kind: 'TRAINING_NEED',
    ...overrides,
  });

  it('returns the points cleaned and numbered', () => {
    expect(
      validateActionPoints(
        [
          good({ description: '  Book follow-up  ', kind: 'FOLLOW_UP_SUPERVISION', ownerId: SUPERVISOR, sharing: ' ' }),
          good({ sharing: '  With the line manager  ' }),
        ],
        ctx,
      ),
    ).toEqual([
      { ordinal: 1, description: 'Book follow-up', ownerId: SUPERVISOR, dueOn: '2026-04-30', kind: 'FOLLOW_UP_SUPERVISION', sharing: null },
      {
        ordinal: 2,
        description: 'Complete the level 3 safeguarding adults e-learning',
        ownerId: SUPERVISEE,
        dueOn: '2026-04-30',
        kind: 'TRAINING_NEED',
        sharing: 'With the line manager',
      },
    ]);
  });

  it('accepts every one of the seven kinds', () => {
    const points = ACTION_POINT_KINDS.map((kind) => good({ kind }));
    expect(validateActionPoints(points, { ...ctx, max: 7 }).map((p) => p.kind)).toEqual([...ACTION_POINT_KINDS]);
  });

  it('accepts a date for completion on the day of the session', () => {
    expect(validateActionPoints([good({ dueOn: '2026-03-05' })], ctx)[0]!.dueOn).toBe('2026-03-05');
  });

  it('accepts no points at all', () => {
    expect(validateActionPoints([], ctx)).toEqual([]);
  });

  it('ignores empty rows, but numbers the messages as the form does', () => {
    const blank = { description: '  ', ownerId: '', dueOn: '', kind: '', sharing: '' };
    expect(validateActionPoints([blank, {}, good()], ctx)).toHaveLength(1);
    expect(validateActionPoints([blank, {}, good()], ctx)[0]!.ordinal).toBe(1);
    expectRefusal(
      () => validateActionPoints([good(), blank, good({ description: '' })], ctx),
      'INVALID_INPUT',
      'Action point 3: describe what needs to be done.',
    );
  });

  it('a row with only a kind or only a sharing note is not empty', () => {
    expectRefusal(() => validateActionPoints([{ kind: 'TRAINING_NEED' }], ctx), 'INVALID_INPUT', 'Action point 1: describe what needs to be done.');
    expectRefusal(() => validateActionPoints([{ sharing: 'GP' }], ctx), 'INVALID_INPUT', 'Action point 1: describe what needs to be done.');
  });

  it.each([
    ['no description', { description: undefined }, 'INVALID_INPUT', 'Action point 2: describe what needs to be done.'],
    ['a blank description', { description: '   ' }, 'INVALID_INPUT', 'Action point 2: describe what needs to be done.'],
    [
      'a description over 500 characters',
      { description: 'x'.repeat(MAX_ACTION_DESCRIPTION_LENGTH + 1) },
      'INVALID_INPUT',
      'Action point 2: the description is 501 characters long; please keep it to 500.',
    ],
    ['no owner', { ownerId: undefined }, 'INVALID_INPUT', 'Action point 2: choose who will do it.'],
    ['a blank owner', { ownerId: ' ' }, 'INVALID_INPUT', 'Action point 2: choose who will do it.'],
    [
      'an owner who is not a party',
      { ownerId: LINE_MANAGER },
      'NOT_A_PARTY',
      'Action point 2: the person chosen to do it was not in this supervision; choose the supervisor or a supervisee.',
    ],
    ['no date', { dueOn: undefined }, 'INVALID_INPUT', 'Action point 2: give a date for completion.'],
    ['a malformed date', { dueOn: '30/04/2026' }, 'INVALID_INPUT', 'Action point 2: the date for completion is not a real date; use YYYY-MM-DD.'],
    ['an impossible date', { dueOn: '2026-02-30' }, 'INVALID_INPUT', 'Action point 2: the date for completion is not a real date; use YYYY-MM-DD.'],
    [
      'a date before the session',
      { dueOn: '2026-03-04' },
      'INVALID_INPUT',
      'Action point 2: the date for completion (4 March 2026) is before the session (5 March 2026).',
    ],
    ['no kind', { kind: undefined }, 'INVALID_INPUT', 'Action point 2: choose what kind of action point it is.'],
    ['an unknown kind', { kind: 'OTHER' }, 'INVALID_INPUT', 'Action point 2: choose one of the listed kinds of action point.'],
    ['a lower-case kind', { kind: 'training_need' }, 'INVALID_INPUT', 'Action point 2: choose one of the listed kinds of action point.'],
    ['an inherited property as kind', { kind: 'toString' }, 'INVALID_INPUT', 'Action point 2: choose one of the listed kinds of action point.'],
    [
      'a sharing note over 500 characters',
      { sharing: 'y'.repeat(501) },
      'INVALID_INPUT',
      'Action point 2: the note on sharing information is 501 characters long; please keep it to 500.',
    ],
  ] as const)('refuses %s', (_what, overrides, code, message) => {
    expectRefusal(() => validateActionPoints([good(), good(overrides)], ctx), code, message);
  });

  it('accepts a description of exactly 500 characters', () => {
    expect(validateActionPoints([good({ description: 'x'.repeat(500) })], ctx)[0]!.description).toHaveLength(500);
  });

  it('treats a value that is not text as blank', () => {
    expectRefusal(
      () => validateActionPoints([good({ ownerId: 42 as unknown as string })], ctx),
      'INVALID_INPUT',
      'Action point 1: choose who will do it.',
    );
  });

  it('reports the first problem in field order (description, owner, date, kind)', () => {
    expectRefusal(
      () => validateActionPoints([{ description: 'x', ownerId: 'nobody', dueOn: 'soon', kind: 'OTHER' }], ctx),
      'NOT_A_PARTY',
    );
    expectRefusal(
      () => validateActionPoints([{ description: 'x', ownerId: SUPERVISEE, dueOn: 'soon', kind: 'OTHER' }], ctx),
      'INVALID_INPUT',
      'Action point 1: the date for completion is not a real date; use YYYY-MM-DD.',
    );
  });

  it('refuses more than the maximum, counting only filled rows', () => {
    const six = Array.from({ length: 6 }, () => good());
    expectRefusal(() => validateActionPoints(six, ctx), 'INVALID_INPUT', 'A record can have up to 5 action points; there are 6.');
    expect(validateActionPoints([...six.slice(0, 5), {}, { description: '' }], ctx)).toHaveLength(5);
    expectRefusal(
      () => validateActionPoints([good(), good()], { ...ctx, max: 1 }),
      'INVALID_INPUT',
      'A record can have up to 1 action point; there are 2.',
    );
  });

  it('lets any supervisee of a group own a point', () => {
    const group = { ...ctx, partyIds: [SUPERVISOR, SUPERVISEE, SECOND_SUPERVISEE] };
    expect(validateActionPoints([good({ ownerId: SECOND_SUPERVISEE })], group)[0]!.ownerId).toBe(SECOND_SUPERVISEE);
  });

  it('refuses a malformed session date as a programming error', () => {
    expect(() => validateActionPoints([good()], { ...ctx, sessionDate: '5 March' })).toThrow(RangeError);
  });
});

describe('who may see, write, amend and complete what (seeds 000 9.1)', () => {
  const record: AttendanceRelation = {
    organisationId: ORG,
    supervisorId: SUPERVISOR,
    superviseeIds: [SUPERVISEE, SECOND_SUPERVISEE],
    lineManagerIds: [LINE_MANAGER],
  };
  const point = { ownerId: SUPERVISEE, supervisorId: SUPERVISOR, organisationId: ORG };

  interface Row {
    who: string;
    actor: ActorIdentity;
    read: boolean;
    attendance: boolean;
    write: boolean;
    amend: boolean;
    markDone: boolean;
  }

  const TABLE: Row[] = [
    { who: 'the supervisor', actor: actor(SUPERVISOR, ['SUPERVISOR']), read: true, attendance: true, write: true, amend: true, markDone: true },
    { who: 'the supervisee who owns the point', actor: actor(SUPERVISEE, ['STAFF']), read: true, attendance: true, write: false, amend: false, markDone: true },
    { who: 'the other supervisee', actor: actor(SECOND_SUPERVISEE, ['STAFF']), read: true, attendance: true, write: false, amend: false, markDone: false },
    { who: 'the proposer of the session (not a party)', actor: actor('p-proposer', ['STAFF']), read: false, attendance: false, write: false, amend: false, markDone: false },
    { who: 'a specialist', actor: actor('p-specialist', ['SPECIALIST']), read: true, attendance: true, write: false, amend: false, markDone: false },
    { who: 'the Head of Safeguarding', actor: actor('p-head', ['HEAD_OF_SAFEGUARDING']), read: true, attendance: true, write: false, amend: true, markDone: false },
    { who: "a supervisee's line manager", actor: actor(LINE_MANAGER, ['STAFF', 'LINE_MANAGER']), read: false, attendance: true, write: false, amend: false, markDone: false },
    { who: 'another line manager', actor: actor('p-other-manager', ['LINE_MANAGER']), read: false, attendance: false, write: false, amend: false, markDone: false },
    { who: 'an administrator', actor: actor('p-admin', ['ADMINISTRATOR']), read: false, attendance: false, write: false, amend: false, markDone: false },
    { who: 'someone else', actor: actor('p-someone', ['STAFF']), read: false, attendance: false, write: false, amend: false, markDone: false },
    { who: 'the supervisor, from another organisation', actor: actor(SUPERVISOR, ['SUPERVISOR'], 'org-b'), read: false, attendance: false, write: false, amend: false, markDone: false },
    { who: 'a specialist of another organisation', actor: actor('p-specialist', ['SPECIALIST'], 'org-b'), read: false, attendance: false, write: false, amend: false, markDone: false },
    { who: 'the line manager, from another organisation', actor: actor(LINE_MANAGER, ['LINE_MANAGER'], 'org-b'), read: false, attendance: false, write: false, amend: false, markDone: false },
  ];

  describe.each(TABLE)('$who', (row) => {
    it(`may${row.read ? '' : ' not'} read the record`, () => {
      expect(canReadRecord(row.actor, record)).toBe(row.read);
      if (row.read) expect(() => assertCanReadRecord(row.actor, record)).not.toThrow();
      else
        expectRefusal(
          () => assertCanReadRecord(row.actor, record),
          'NOT_PERMITTED',
          'Only the supervisee, the supervisor, the Head of Safeguarding and the safeguarding specialists can read this record.',
        );
    });

    it(`may${row.attendance ? '' : ' not'} see attendance`, () => {
      expect(canSeeAttendance(row.actor, record)).toBe(row.attendance);
      if (row.attendance) expect(() => assertCanSeeAttendance(row.actor, record)).not.toThrow();
      else
        expectRefusal(
          () => assertCanSeeAttendance(row.actor, record),
          'NOT_PERMITTED',
          "Only the people in this supervision, the safeguarding team and the supervisee's line manager can see attendance.",
        );
    });

    it(`may${row.write ? '' : ' not'} write the record`, () => {
      expect(canWriteRecord(row.actor, record)).toBe(row.write);
      if (row.write) expect(() => assertCanWriteRecord(row.actor, record)).not.toThrow();
      else expectRefusal(() => assertCanWriteRecord(row.actor, record), 'NOT_PERMITTED', 'Only the supervisor of this session can write its record.');
    });

    it(`may${row.amend ? '' : ' not'} amend the record`, () => {
      expect(canAmendRecord(row.actor, record)).toBe(row.amend);
      if (row.amend) expect(() => assertCanAmendRecord(row.actor, record)).not.toThrow();
      else
        expectRefusal(
          () => assertCanAmendRecord(row.actor, record),
          'NOT_PERMITTED',
          'Only the supervisor or the Head of Safeguarding can amend this record.',
        );
    });

    it(`may${row.markDone ? '' : ' not'} mark the supervisee's action point done`, () => {
      expect(canMarkActionDone(row.actor, point)).toBe(row.markDone);
      if (row.markDone) expect(() => assertCanMarkActionDone(row.actor, point)).not.toThrow();
      else
        expectRefusal(
          () => assertCanMarkActionDone(row.actor, point),
          'NOT_PERMITTED',
          'Only the person this action point belongs to, or the supervisor, can mark it done.',
        );
    });
  });

  it('without an organisation, marking done goes by the people alone', () => {
    expect(canMarkActionDone(actor(SUPERVISEE, ['STAFF'], 'org-b'), { ownerId: SUPERVISEE, supervisorId: SUPERVISOR })).toBe(true);
  });

  it('the parties who sign a record are the supervisor and the supervisee(s), once each', () => {
    expect(recordPartyIds(record)).toEqual([SUPERVISOR, SUPERVISEE, SECOND_SUPERVISEE]);
    expect(recordPartyIds({ supervisorId: SUPERVISOR, superviseeIds: [SUPERVISOR, SUPERVISEE] })).toEqual([SUPERVISOR, SUPERVISEE]);
  });
});

describe('assertEditable', () => {
  it.each(['DRAFT', 'AWAITING_SIGNATURES'] as RecordStatus[])('a %s record can be edited', (status) => {
    expect(() => assertEditable(status)).not.toThrow();
  });

  it('a SIGNED record cannot be edited in place', () => {
    expectRefusal(() => assertEditable('SIGNED'), 'RECORD_SIGNED', 'This record has been signed, so it cannot be edited; make an amendment instead.');
  });
});
