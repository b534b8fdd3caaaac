// The expected permission table of the bot (issue 7): every card action, every typed command
// (and Slack's /supervision, which maps onto the same commands), every read of a record or a
// request, against every relation a person can have to what is acted on. The permitted sets
// are written out from DESIGN.md sections 1 and 3 and the seeds (000 section 9, 001, 003
// 5.5), not read from the code. Adding an action is one row; permission-matrix-teams.test.ts
// fails when ACTIONS has an id with no row here.
//
// Run by permission-matrix-teams.test.ts and permission-matrix-slack.test.ts through the
// real HTTP path of each platform (runPermissionMatrix below).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { DEMO_CONTACTS, demoPerson } from '../../src/db/demo-organisation.js';
import {
  addToRequestFixture,
  agreementFixture,
  draftFixture,
  failedReminderFixture,
  failedMessageFixture,
  fingerprint,
  lastAuditId,
  loadPeople,
  noFixture,
  PLAYED_BY,
  recordFixture,
  RELATIONS,
  requestFixture,
  sessionFixture,
  type Fixture,
  type FixtureContext,
  type People,
  type Relation,
} from '../support/permission-fixtures.js';

export type Where = 'personal' | 'triage';

export interface CellCheck {
  db: Db;
  fx: Fixture;
  people: People;
  actorId: string;
  /** Audit events of this turn have a larger id. */
  auditSince: bigint;
}

/** A fingerprint without the audit log, for refusals that are themselves audited. */
function withoutAudit(print: Record<string, string>): Record<string, string> {
  const { AuditEvent: _audit, ...rest } = print;
  return rest;
}

export type Turn =
  | { action: string; where: Where; value: (fx: Fixture, c: { people: People; actorId: string }) => Record<string, unknown> }
  | { command: (fx: Fixture) => string; where: Where };

export interface Row {
  /** The action id, or the command as typed. */
  name: string;
  turn: Turn;
  setup: (ctx: FixtureContext) => Promise<Fixture>;
  /** Exactly these relations succeed; every other is refused. */
  permitted: readonly Relation[];
  /** What a refused actor is told (or, for a listing, what they see instead). */
  refusal: string | RegExp;
  /** The change a permitted turn makes. */
  succeeded?: (c: CellCheck) => Promise<boolean>;
  /** Content the permitted see and the refused never do. */
  shows?: (fx: Fixture) => string | RegExp;
  /** Content no one sees in this turn (e.g. record content in a line manager's view). */
  neverShows?: (fx: Fixture) => string;
  /** The audit action a permitted read writes for the reader. */
  auditedRead?: string;
  /**
   * A refused attempt is a refused read of something confidential: it writes exactly one audit
   * entry, `read.refused` by the actor (DESIGN.md section 3), and changes nothing else.
   */
  refusedReadAudited?: true;
  /**
   * For commands: how src/flows/router.ts recognises it (the literal it compares with, or the
   * name of the pattern or predicate it calls), so a new command without a row is noticed.
   */
  routes?: readonly string[];
}

const ALL = RELATIONS;
const TEAM: Relation[] = ['specialist', 'other specialist', 'Head'];
const RECORD_READERS: Relation[] = ['requester', 'supervisee', 'supervisor', 'specialist', 'other specialist', 'Head'];
/** Staff groups with mandatory supervision in the matrix (seeds 000 appendix 3). */
const IN_MANDATORY_GROUP: Relation[] = ['specialist', 'other specialist', 'Head', 'administrator'];

const audited = async (c: CellCheck, action: string) =>
  (await c.db.auditEvent.count({ where: { id: { gt: c.auditSince }, action, actorId: c.actorId } })) > 0;
const draftStep = async (c: CellCheck) => (await c.db.requestDraft.findUnique({ where: { personId: c.actorId } }))?.step ?? null;
const request = (c: CellCheck) => c.db.supervisionRequest.findUniqueOrThrow({ where: { id: c.fx.requestId! } });
const session = (c: CellCheck) => c.db.session.findUniqueOrThrow({ where: { id: c.fx.sessionId! }, include: { slots: true } });

const SESSION_RESPONDER = 'Only the supervisor of this session can confirm it, suggest another time or decline it.';
const RECORD_WRITER = 'Only the supervisor of this session can write its record.';
const AUDIT_TRAIL = 'Only the Head of Safeguarding can see the audit trail.';
const FAILED_REMINDERS = 'Only an administrator can see and retry failed reminders.';
const ORG_SETTINGS = 'Only an administrator can see and change the organisation settings.';
/** The demo's own hours and contacts, as the organisation settings card submits them (saving them changes nothing later rows see). */
const DEMO_WEEK = { hours_mon: '09:00-17:00', hours_tue: '09:00-17:00', hours_wed: '09:00-17:00', hours_thu: '09:00-17:00', hours_fri: '09:00-17:00', hours_sat: 'closed', hours_sun: 'closed' };
const csvCell = (v: string | null) => (v === null ? '' : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const DEMO_CONTACTS_CSV = ['kind,label,phone,email,url,availability', ...DEMO_CONTACTS.map((c) => [c.kind, c.label, c.phone, c.email, c.url, c.availability].map(csvCell).join(','))].join('\n');
const NO_MANDATORY = /^Your staff group does not have mandatory supervision/m;

function recordForm(fx: Fixture, people: People, extra: Record<string, unknown> = {}) {
  return {
    recordId: fx.recordId,
    version: fx.recordVersion,
    format: 'GROUP',
    type: 'ON_REQUEST',
    [`attendance_${people.requester}`]: 'ATTENDED',
    [`attendance_${people.supervisee}`]: 'ATTENDED',
    content: `Written ${fx.token}`,
    ...extra,
  };
}

export const ROWS: readonly Row[] = [
  // --- Commands (typed on Teams; /supervision on Slack). Listings first: later rows add action points.
  {
    name: 'my actions (an action point of a signed record)',
    routes: ['my actions'],
    turn: { command: () => 'my actions', where: 'personal' },
    setup: recordFixture('signed'),
    // The owner, and the supervisor under "Action points you supervise".
    permitted: ['supervisee', 'supervisor'],
    refusal: 'You have no open action points.',
    shows: (fx) => fx.actionPointText!,
    auditedRead: 'record.read',
  },
  {
    name: 'my team (a report attended supervision)',
    routes: ['my team'],
    turn: { command: () => 'my team', where: 'personal' },
    setup: recordFixture('signed'),
    permitted: ['line manager'],
    refusal: /Nobody reports to you|Your team: supervision attendance/,
    shows: () => demoPerson(PLAYED_BY.supervisee).name,
    // Line managers get attendance, never the content of supervision (DESIGN section 3).
    neverShows: (fx) => fx.recordContent!,
  },
  {
    name: "history <the supervisee's e-mail>",
    refusedReadAudited: true,
    routes: ['HISTORY_COMMAND'],
    turn: { command: () => `history ${demoPerson(PLAYED_BY.supervisee).email}`, where: 'personal' },
    setup: recordFixture('signed'),
    // Their own history, or the safeguarding team's look at it (audited).
    permitted: ['supervisee', ...TEAM],
    refusal: "Only the Head of Safeguarding and the safeguarding specialists can see someone else's supervision history.",
    succeeded: async (c) => c.actorId === c.people.supervisee || (await audited(c, 'history.read')),
    shows: () => new RegExp(`Supervision history of ${demoPerson(PLAYED_BY.supervisee).name}|Your supervision history`),
    neverShows: (fx) => fx.recordContent!,
  },
  {
    name: 'audit <reference>',
    refusedReadAudited: true,
    routes: ['isAuditCommand'],
    turn: { command: (fx) => `audit ${fx.reference}`, where: 'personal' },
    setup: requestFixture('claimed'),
    permitted: ['Head'],
    refusal: AUDIT_TRAIL,
    shows: (fx) => `Audit trail for ${fx.reference}`,
    neverShows: (fx) => fx.summary!,
    auditedRead: 'audit.read',
  },
  {
    name: 'audit person <the supervisee\'s e-mail>',
    refusedReadAudited: true,
    routes: ['isAuditCommand'],
    turn: { command: () => `audit person ${demoPerson(PLAYED_BY.supervisee).email}`, where: 'personal' },
    setup: recordFixture('signed'),
    permitted: ['Head'],
    refusal: AUDIT_TRAIL,
    shows: () => `Audit trail for ${demoPerson(PLAYED_BY.supervisee).name}`,
    neverShows: (fx) => fx.recordContent!,
    auditedRead: 'audit.read',
  },
  {
    name: 'audit <dates> csv',
    refusedReadAudited: true,
    routes: ['isAuditCommand'],
    turn: { command: () => 'audit 2026-11-01 to 2026-11-30 csv', where: 'personal' },
    setup: noFixture,
    permitted: ['Head'],
    refusal: AUDIT_TRAIL,
    succeeded: (c) => audited(c, 'audit.export'),
  },
  {
    name: "subject access <the supervisee's e-mail>",
    refusedReadAudited: true,
    routes: ['SUBJECT_ACCESS_COMMAND'],
    turn: { command: () => `subject access ${demoPerson(PLAYED_BY.supervisee).email}`, where: 'personal' },
    setup: recordFixture('signed'),
    permitted: ['Head'],
    refusal: "Only the Head of Safeguarding can export a person's data for a subject-access request.",
    succeeded: (c) => audited(c, 'sar.export'),
    shows: () => `Subject-access export for ${demoPerson(PLAYED_BY.supervisee).name}`,
  },
  {
    name: 'failed reminders',
    routes: ['FAILED_REMINDERS_COMMAND'],
    turn: { command: () => 'failed reminders', where: 'personal' },
    setup: failedReminderFixture,
    permitted: ['administrator'],
    refusal: FAILED_REMINDERS,
    succeeded: (c) => audited(c, 'reminders.failed-listed'),
  },
  {
    name: 'organisation settings',
    routes: ['ORG_SETTINGS_COMMAND'],
    turn: { command: () => 'organisation settings', where: 'personal' },
    setup: noFixture,
    permitted: ['administrator'],
    refusal: ORG_SETTINGS,
    shows: () => 'Response policies (service time)',
  },
  {
    name: 'report Q3 2026',
    routes: ['isReportCommand'],
    turn: { command: () => 'report Q3 2026', where: 'personal' },
    setup: noFixture,
    // The Head's quarterly report, which the specialists may also run (DESIGN journey 8).
    permitted: TEAM,
    refusal: /^Only the Head of Safeguarding and safeguarding specialists can ask for the supervision report\./m,
    succeeded: (c) => audited(c, 'report.export'),
  },
  {
    name: 'overdue supervision',
    routes: ['OVERDUE_COMMAND'],
    turn: { command: () => 'overdue supervision', where: 'personal' },
    setup: noFixture,
    // The safeguarding team for everyone; a line manager for their own team (DESIGN section 1).
    permitted: [...TEAM, 'line manager'],
    refusal: 'Only the Head of Safeguarding, safeguarding specialists and line managers (for their own team) can see who is overdue for supervision.',
    succeeded: (c) => audited(c, 'report.overdue-read'),
  },
  {
    name: 'help',
    routes: ['help', '?'],
    turn: { command: () => 'help', where: 'personal' },
    setup: noFixture,
    permitted: ALL,
    refusal: '',
    shows: () => 'What I can do for you',
  },
  {
    name: 'history',
    routes: ['HISTORY_COMMAND'],
    turn: { command: () => 'history', where: 'personal' },
    setup: noFixture,
    permitted: ALL,
    refusal: '',
    shows: () => 'Your supervision history',
  },
  {
    name: 'new request',
    routes: ['new request'],
    turn: { command: () => 'new request', where: 'personal' },
    setup: draftFixture('none'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) => (await draftStep(c)) === 'risk',
  },
  {
    name: 'cancel',
    routes: ['cancel'],
    turn: { command: () => 'cancel', where: 'personal' },
    setup: draftFixture('kind'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) => (await draftStep(c)) === null,
    shows: () => 'Stopped. Nothing more has been sent.',
  },
  {
    name: 'book supervision',
    routes: ['book supervision'],
    turn: { command: () => 'book supervision', where: 'personal' },
    setup: noFixture,
    permitted: IN_MANDATORY_GROUP,
    refusal: NO_MANDATORY,
    shows: () => 'Book your supervision session',
  },
  {
    name: 'bind triage',
    routes: ['bind triage', 'bind triage channel'],
    turn: { command: () => 'bind triage', where: 'triage' },
    setup: noFixture,
    permitted: ['administrator'],
    refusal: 'Only an administrator can make this the triage channel.',
    succeeded: (c) => audited(c, 'triage-channel.bound'),
  },

  // --- The request conversation: each person's own, so everyone may.
  {
    name: 'intake.start',
    turn: { action: 'intake.start', where: 'personal', value: () => ({}) },
    setup: draftFixture('none'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) => (await draftStep(c)) === 'risk',
  },
  {
    name: 'intake.risk',
    turn: { action: 'intake.risk', where: 'personal', value: () => ({ answer: 'no' }) },
    setup: draftFixture('risk'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) => (await draftStep(c)) === 'kind',
  },
  {
    name: 'intake.kind',
    turn: { action: 'intake.kind', where: 'personal', value: () => ({ helpType: 'ADVICE' }) },
    setup: draftFixture('kind'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) => (await draftStep(c)) === 'details',
  },
  {
    name: 'intake.details',
    turn: { action: 'intake.details', where: 'personal', value: (fx) => ({ summary: `Advice wanted on a referral ${fx.token}`, acknowledged: 'yes' }) },
    setup: draftFixture('details'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) =>
      (await c.db.supervisionRequest.count({ where: { requesterId: c.actorId, summary: { contains: c.fx.token } } })) === 1 && (await draftStep(c)) === null,
  },
  {
    // With a request open, what the person wrote is added to it: their own request only.
    name: 'intake.add',
    turn: { action: 'intake.add', where: 'personal', value: (fx) => ({ requestId: fx.requestId }) },
    setup: addToRequestFixture,
    permitted: ['requester'],
    refusal: 'Only the person who asked for help can add to their request.',
    succeeded: async (c) => (await request(c)).summary!.endsWith(`More ${c.fx.token}`) && (await draftStep(c)) === null,
  },
  {
    name: 'intake.cancel',
    turn: { action: 'intake.cancel', where: 'personal', value: () => ({}) },
    setup: draftFixture('kind'),
    permitted: ALL,
    refusal: '',
    succeeded: async (c) => (await draftStep(c)) === null,
  },

  // --- Triage (journeys 2 and 3).
  {
    name: 'request.claim',
    turn: { action: 'request.claim', where: 'triage', value: (fx) => ({ requestId: fx.requestId, version: fx.requestVersion }) },
    setup: requestFixture('open'),
    permitted: TEAM,
    refusal: 'Only safeguarding specialists can claim requests.',
    succeeded: async (c) => (await request(c)).claimedById === c.actorId,
    shows: (fx) => fx.summary!,
    auditedRead: 'request.summary.read',
  },
  {
    name: 'request.details (read the summary)',
    refusedReadAudited: true,
    turn: { action: 'request.details', where: 'triage', value: (fx) => ({ requestId: fx.requestId, version: fx.requestVersion }) },
    setup: requestFixture('claimed'),
    permitted: ['requester', ...TEAM],
    refusal: 'Only the requester and the safeguarding team can read a request.',
    shows: (fx) => fx.summary!,
    auditedRead: 'request.summary.read',
  },
  {
    name: 'request.advise',
    turn: { action: 'request.advise', where: 'triage', value: (fx) => ({ requestId: fx.requestId, version: fx.requestVersion, advice: `Advice ${fx.token}` }) },
    setup: requestFixture('claimed'),
    // The claimer, or the Head (seeds 000 9.1).
    permitted: ['specialist', 'Head'],
    refusal: 'Only the specialist who claimed this request can give advice on it.',
    succeeded: async (c) => (await request(c)).status === 'ADVICE_GIVEN',
  },
  {
    name: 'request.close',
    turn: { action: 'request.close', where: 'triage', value: (fx) => ({ requestId: fx.requestId, version: fx.requestVersion, outcome: 'NO_FURTHER_ACTION' }) },
    setup: requestFixture('claimed'),
    permitted: ['specialist', 'Head'],
    refusal: 'Only the specialist who claimed this request, or the Head of Safeguarding, can close it.',
    succeeded: async (c) => (await request(c)).closedById === c.actorId,
  },
  {
    name: 'request.feedback',
    turn: { action: 'request.feedback', where: 'personal', value: (fx) => ({ requestId: fx.requestId, answer: 'helped' }) },
    setup: requestFixture('advised'),
    permitted: ['requester'],
    refusal: 'Only the person who asked for help can answer this.',
    succeeded: async (c) => (await request(c)).adviceFeedback === 'HELPED',
  },

  // --- Booking (journey 4).
  {
    name: 'session.propose',
    turn: {
      action: 'session.propose',
      where: 'personal',
      value: (fx, { people }) => ({ requestId: fx.requestId, version: fx.requestVersion, supervisorId: people.supervisor, date1: fx.free[0].date, time1: fx.free[0].time, durationMinutes: '90' }),
    },
    setup: requestFixture('claimed'),
    permitted: TEAM,
    refusal: /^Only the safeguarding team can propose this session\./m,
    succeeded: async (c) => (await c.db.session.count({ where: { requestId: c.fx.requestId!, proposedById: c.actorId } })) === 1,
  },
  {
    name: 'session.propose-own',
    turn: {
      action: 'session.propose-own',
      where: 'personal',
      // A supervisor from the actor's group's pool (seeds 000 appendix 3): the external
      // provider for the safeguarding team and the Head, the specialists for the administrator.
      value: (fx, { people, actorId }) => ({
        supervisorId: actorId === people.administrator ? people['other specialist'] : people.supervisor,
        date1: fx.free[0].date,
        time1: fx.free[0].time,
      }),
    },
    setup: noFixture,
    permitted: IN_MANDATORY_GROUP,
    refusal: NO_MANDATORY,
    succeeded: async (c) =>
      (await c.db.session.count({ where: { proposedById: c.actorId, type: 'MANDATORY', slots: { some: { startsAt: c.fx.free[0].startsAt } } } })) === 1,
  },
  {
    name: 'session.confirm',
    turn: { action: 'session.confirm', where: 'personal', value: (fx) => ({ sessionId: fx.sessionId, version: fx.sessionVersion, slotId: fx.slotIds![0] }) },
    setup: sessionFixture('proposed'),
    permitted: ['supervisor'],
    refusal: SESSION_RESPONDER,
    succeeded: async (c) => (await session(c)).status === 'CONFIRMED',
  },
  {
    name: 'session.suggest',
    turn: { action: 'session.suggest', where: 'personal', value: (fx) => ({ sessionId: fx.sessionId, version: fx.sessionVersion, date: fx.free[0].date, time: fx.free[0].time }) },
    setup: sessionFixture('proposed'),
    permitted: ['supervisor'],
    refusal: SESSION_RESPONDER,
    succeeded: async (c) => (await session(c)).slots.length === 3,
  },
  {
    name: 'session.decline',
    turn: { action: 'session.decline', where: 'personal', value: (fx) => ({ sessionId: fx.sessionId, version: fx.sessionVersion, reason: 'On leave that week.' }) },
    setup: sessionFixture('proposed'),
    permitted: ['supervisor'],
    refusal: SESSION_RESPONDER,
    succeeded: async (c) => (await session(c)).status === 'DECLINED',
  },
  {
    name: 'session.accept-suggestion',
    turn: { action: 'session.accept-suggestion', where: 'personal', value: (fx) => ({ sessionId: fx.sessionId, version: fx.sessionVersion, slotId: fx.suggestedSlotId }) },
    setup: sessionFixture('suggested'),
    // The proposer (the specialist who claimed the request).
    permitted: ['specialist'],
    refusal: 'Only the person who proposed this session can accept the suggested time.',
    succeeded: async (c) => (await session(c)).status === 'CONFIRMED',
  },
  {
    name: 'session.cancel',
    turn: { action: 'session.cancel', where: 'personal', value: (fx) => ({ sessionId: fx.sessionId, version: fx.sessionVersion, reason: 'Called to an incident.' }) },
    setup: sessionFixture('confirmed'),
    // Any party (seeds 001: whoever cancels rearranges), and the Head.
    permitted: ['requester', 'supervisee', 'supervisor', 'specialist', 'Head'],
    refusal: 'Only the supervisor, a supervisee, the person who proposed this session or the Head of Safeguarding can cancel it.',
    succeeded: async (c) => (await session(c)).cancelledById === c.actorId,
  },

  // --- Records and action points (journey 6; seeds 000 9.1, 002).
  {
    name: 'record.start',
    turn: { action: 'record.start', where: 'personal', value: (fx) => ({ sessionId: fx.sessionId }) },
    setup: sessionFixture('past'),
    permitted: ['supervisor'],
    refusal: RECORD_WRITER,
    succeeded: async (c) => (await c.db.supervisionRecord.count({ where: { sessionId: c.fx.sessionId! } })) === 1,
  },
  {
    name: 'record.save',
    turn: { action: 'record.save', where: 'personal', value: (fx, { people }) => recordForm(fx, people) },
    setup: recordFixture('draft'),
    permitted: ['supervisor'],
    refusal: RECORD_WRITER,
    succeeded: async (c) => (await c.db.supervisionRecord.findUniqueOrThrow({ where: { id: c.fx.recordId! } })).status === 'AWAITING_SIGNATURES',
  },
  {
    name: 'record.sign',
    turn: { action: 'record.sign', where: 'personal', value: (fx) => ({ recordId: fx.recordId, version: fx.recordVersion }) },
    setup: recordFixture('awaiting'),
    permitted: ['requester', 'supervisee', 'supervisor'],
    refusal: 'You are not a party to this record, so you cannot sign it.',
    succeeded: async (c) => (await c.db.signature.count({ where: { recordId: c.fx.recordId!, personId: c.actorId } })) === 1,
  },
  {
    name: 'record.amend',
    turn: {
      action: 'record.amend',
      where: 'personal',
      value: (fx, { people }) =>
        recordForm(fx, people, {
          reason: 'Corrected what was discussed.',
          ap1_description: fx.actionPointText,
          ap1_owner: people.supervisee,
          ap1_due: '2026-12-31',
          ap1_kind: 'TRAINING_NEED',
        }),
    },
    setup: recordFixture('signed'),
    permitted: ['supervisor', 'Head'],
    refusal: 'Only the supervisor or the Head of Safeguarding can amend this record.',
    succeeded: async (c) => (await c.db.recordAmendment.count({ where: { recordId: c.fx.recordId!, changedById: c.actorId } })) === 1,
  },
  {
    name: 'record.view (read a record)',
    refusedReadAudited: true,
    turn: { action: 'record.view', where: 'personal', value: (fx) => ({ recordId: fx.recordId }) },
    setup: recordFixture('signed'),
    permitted: RECORD_READERS,
    refusal: 'Only the supervisee, the supervisor, the Head of Safeguarding and the safeguarding specialists can read this record.',
    shows: (fx) => fx.recordContent!,
    auditedRead: 'record.read',
  },
  {
    name: "record.audit (a record's audit trail)",
    refusedReadAudited: true,
    turn: { action: 'record.audit', where: 'personal', value: (fx) => ({ recordId: fx.recordId }) },
    setup: recordFixture('signed'),
    permitted: ['Head'],
    refusal: AUDIT_TRAIL,
    shows: () => 'Audit trail for the supervision record',
    neverShows: (fx) => fx.recordContent!,
    auditedRead: 'audit.read',
  },
  {
    name: 'action-point.done',
    turn: { action: 'action-point.done', where: 'personal', value: (fx) => ({ actionPointId: fx.actionPointId }) },
    setup: recordFixture('signed'),
    // The owner, or the supervisor.
    permitted: ['supervisee', 'supervisor'],
    refusal: 'Only the person this action point belongs to, or the supervisor, can mark it done.',
    succeeded: async (c) => (await c.db.actionPoint.findUniqueOrThrow({ where: { id: c.fx.actionPointId! } })).doneById === c.actorId,
  },

  {
    name: "audit.csv (a record's audit trail as a file)",
    refusedReadAudited: true,
    turn: { action: 'audit.csv', where: 'personal', value: (fx) => ({ recordId: fx.recordId }) },
    setup: recordFixture('signed'),
    permitted: ['Head'],
    refusal: AUDIT_TRAIL,
    neverShows: (fx) => fx.recordContent!,
    auditedRead: 'audit.export',
  },

  // --- Reminders that could not be delivered (DESIGN section 3: surfaced to an administrator).
  {
    name: 'reminder.retry',
    turn: { action: 'reminder.retry', where: 'personal', value: (fx) => ({ reminderId: fx.reminderId }) },
    setup: failedReminderFixture,
    permitted: ['administrator'],
    refusal: FAILED_REMINDERS,
    succeeded: async (c) => (await c.db.reminder.findUniqueOrThrow({ where: { id: c.fx.reminderId! } })).status === 'PENDING',
  },
  {
    name: 'message.retry',
    turn: { action: 'message.retry', where: 'personal', value: (fx) => ({ messageId: fx.messageId }) },
    setup: failedMessageFixture,
    permitted: ['administrator'],
    refusal: FAILED_REMINDERS,
    succeeded: async (c) => (await c.db.outboundMessage.findUniqueOrThrow({ where: { id: c.fx.messageId! } })).status !== 'FAILED',
  },
  {
    name: 'org.hours.save',
    turn: { action: 'org.hours.save', where: 'personal', value: () => ({ ...DEMO_WEEK }) },
    setup: noFixture,
    permitted: ['administrator'],
    refusal: ORG_SETTINGS,
    succeeded: (c) => audited(c, 'organisation.service-hours.set'),
  },
  {
    name: 'org.contacts.save',
    turn: { action: 'org.contacts.save', where: 'personal', value: () => ({ contacts: DEMO_CONTACTS_CSV }) },
    setup: noFixture,
    permitted: ['administrator'],
    refusal: ORG_SETTINGS,
    succeeded: (c) => audited(c, 'organisation.contacts.set'),
  },

  // --- Agreements (journey 5).
  {
    name: 'agreement.sign',
    turn: { action: 'agreement.sign', where: 'personal', value: (fx) => ({ agreementId: fx.agreementId, version: fx.agreementVersion }) },
    setup: agreementFixture,
    permitted: ['requester', 'supervisee', 'supervisor'],
    refusal: 'You are not a party to this agreement, so you cannot sign it.',
    succeeded: async (c) => (await c.db.signature.count({ where: { agreementId: c.fx.agreementId!, personId: c.actorId } })) === 1,
  },
];

/** How the router's commands are recognised, as the rows name them (see Row.routes). */
export const COVERED_COMMAND_ROUTES = new Set(ROWS.flatMap((r) => r.routes ?? []));

/** The action ids the table covers. */
export const COVERED_ACTIONS = new Set(ROWS.flatMap((r) => ('action' in r.turn ? [r.turn.action] : [])));

/** One platform's way of taking a turn as a person, returning every text that person was shown. */
export interface Driver {
  platform: 'Teams' | 'Slack';
  db: Db;
  organisationId: string;
  now(): Date;
  /** Done once before the cells: bind the triage channel, open personal chats. */
  prepare(): Promise<void>;
  act(personKey: string, turn: Turn, fx: Fixture, people: People, actorId: string): Promise<string[]>;
}

/** Words that must never reach a person: stack frames, error names, internals, the generic apology. */
const INTERNALS = /\(\S+:\d+:\d+\)|\w+\.[jt]s:\d+|TypeError|ReferenceError|Prisma|\bundefined\b|\bNaN\b|\[object Object\]|something went wrong on my side/i;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const asPattern = (expected: string | RegExp) => (typeof expected === 'string' ? new RegExp(escapeRegExp(expected)) : expected);
const clip = (text: string) => (text.length > 600 ? `${text.slice(0, 600)}…` : text);

/**
 * Every card payload also claims to come from someone who is permitted (DESIGN section 3:
 * identity comes from the platform, never from card data), so a refused cell also shows that
 * a forged identity in the payload changes nothing.
 */
function withForgedIdentity(row: Row, people: People): Turn {
  const turn = row.turn;
  if (!('action' in turn)) return turn;
  const claimed = row.permitted[0] ?? 'Head';
  const id = people[claimed];
  const forged = { personId: id, actorId: id, userId: id, from: { id, aadObjectId: demoPerson(PLAYED_BY[claimed]).aadObjectId } };
  return { ...turn, value: (fx, c) => ({ ...forged, ...turn.value(fx, c) }) };
}

export function runPermissionMatrix(makeDriver: () => Promise<Driver>, rows: readonly Row[] = ROWS) {
  let driver: Driver;
  let people: People;

  beforeAll(async () => {
    driver = await makeDriver();
    people = await loadPeople(driver.db);
    await driver.prepare();
  });

  describe.each(rows.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const who = row.permitted.length === RELATIONS.length ? 'succeeds for everyone' : `succeeds for exactly ${row.permitted.join(', ')}; every other relation is refused, told why and changes nothing`;
    it(who, async () => {
      for (const relation of RELATIONS) {
        const actorId = people[relation];
        const permitted = row.permitted.includes(relation);
        const label = `${row.name} as ${relation} on ${driver.platform}`;
        const fx = await row.setup({ db: driver.db, organisationId: driver.organisationId, people, actorId, now: driver.now() });
        const before = permitted ? undefined : await fingerprint(driver.db);
        const auditSince = await lastAuditId(driver.db);
        const seen = (await driver.act(PLAYED_BY[relation], withForgedIdentity(row, people), fx, people, actorId)).join('\n');
        expect.soft(seen, `${label}: internals shown`).not.toMatch(INTERNALS);
        if (row.neverShows) expect.soft(seen, `${label}: confidential content shown`).not.toContain(row.neverShows(fx));
        if (permitted) {
          const check: CellCheck = { db: driver.db, fx, people, actorId, auditSince };
          if (row.succeeded) expect.soft(await row.succeeded(check), `${label}: should have succeeded; was shown: ${clip(seen)}`).toBe(true);
          if (row.shows) expect.soft(seen, `${label}: content not shown`).toMatch(asPattern(row.shows(fx)));
          if (row.auditedRead) expect.soft(await audited(check, row.auditedRead), `${label}: read not audited as ${row.auditedRead}`).toBe(true);
          if (!row.succeeded && !row.shows && !row.auditedRead) throw new Error(`${row.name}: a row needs succeeded, shows or auditedRead`);
        } else {
          expect.soft(seen, `${label}: refusal not shown`).toMatch(asPattern(row.refusal));
          if (row.shows) expect.soft(seen, `${label}: refused but content shown`).not.toMatch(asPattern(row.shows(fx)));
          if (row.refusedReadAudited) {
            const audited = await driver.db.auditEvent.findMany({ where: { id: { gt: auditSince } }, select: { action: true, actorId: true } });
            expect.soft(audited, `${label}: refused read not audited as read.refused`).toEqual([{ action: 'read.refused', actorId }]);
            expect.soft(withoutAudit(await fingerprint(driver.db)), `${label}: refused but something changed`).toEqual(withoutAudit(before!));
          } else {
            expect.soft(await fingerprint(driver.db), `${label}: refused but something changed`).toEqual(before);
          }
        }
      }
    });
  });
}
