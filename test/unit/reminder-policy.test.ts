import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_HOURS, orgSettingsSchema, resolveReminderTimings } from '../../src/domain/org-settings.js';
import { DEFAULT_RESPONSE_POLICIES } from '../../src/domain/response-policy.js';
import {
  actionPointReminders,
  agreementReminders,
  contractReviewReminders,
  mandatoryCadenceReminders,
  cadenceInterval,
  consecutiveNonAttendance,
  isRebooking,
  mandatoryDueDate,
  mandatoryRequirement,
  nonAttendanceNudge,
  nonAttendanceReminders,
  parseSessionAttendeeSubject,
  sessionAttendeeSubject,
  stillProduced,
  rebookReminders,
  recordReminders,
  reminderKey,
  sessionRecordReminders,
  sessionReminders,
  unclaimedDueTimes,
  unclaimedRequestReminders,
  type ServiceClock,
  withSendAt,
  type Horizon,
  type ReminderSpec,
} from '../../src/domain/reminder-policy.js';

const settings = orgSettingsSchema.parse({});
const at = (iso: string) => new Date(iso);
const horizon = (now: string, horizonEnd: string = now): Horizon => ({ now: at(now), horizonEnd: at(horizonEnd) });
/** A compact view of specs: kind → recipient @ due time, sorted. */
const view = (specs: ReminderSpec[]) =>
  specs.map((s) => `${s.kind} ${s.recipientKey} ${s.dueAt.toISOString()}${s.urgent ? ' urgent' : ''}`).sort();

describe('settings', () => {
  it('reminder timings default to the policy values and stay out of the stored settings', () => {
    expect(settings).not.toHaveProperty('reminders');
    expect(resolveReminderTimings(settings)).toEqual({
      sessionReminderHoursBefore: [24, 1],
      actionDueSoonDays: 3,
      reminderTimeOfDay: '09:00',
      overdueRepeatDays: 7,
      mandatoryDueSoonDays: 14,
      mandatoryOverdueSupervisorDays: 7,
      mandatoryOverdueLineManagerDays: 14,
      agreementUnsignedAfterHours: 24,
      contractReviewNoticeDays: 14,
      rebookReminderEveryDays: 7,
    });
  });

  it('rejects bad reminder timings', () => {
    expect(() => orgSettingsSchema.parse({ reminders: { sessionReminderHoursBefore: [1, 24] } })).toThrow();
    expect(() => orgSettingsSchema.parse({ reminders: { actionDueSoonDays: 0 } })).toThrow();
    expect(() => orgSettingsSchema.parse({ reminders: { reminderTimeOfDay: '9am' } })).toThrow();
    expect(() => orgSettingsSchema.parse({ reminders: { unknown: 1 } })).toThrow();
  });
});

describe('reminderKey and withSendAt', () => {
  const spec: ReminderSpec = {
    kind: 'ACTION_DUE',
    subjectType: 'ActionPoint',
    subjectId: 'ap1',
    recipientKey: 'person:p1',
    recipientId: 'p1',
    dueAt: at('2026-01-15T23:30:00Z'),
    urgent: false,
  };
  const quiet = { timeZone: 'Europe/London', quietHoursStart: '22:00', quietHoursEnd: '07:00' };

  it('the key is kind|subject|recipient|due time', () => {
    expect(reminderKey(spec)).toBe('ACTION_DUE|ap1|person:p1|2026-01-15T23:30:00.000Z');
  });

  it('sendAt moves out of quiet hours; dueAt (and so the key) stays the policy time', () => {
    const sent = withSendAt(spec, quiet);
    expect(sent.sendAt.toISOString()).toBe('2026-01-16T07:00:00.000Z');
    expect(sent.dueAt.toISOString()).toBe('2026-01-15T23:30:00.000Z');
    expect(withSendAt({ ...spec, urgent: true }, quiet).sendAt.toISOString()).toBe('2026-01-15T23:30:00.000Z');
    expect(withSendAt(spec, null).sendAt).toEqual(spec.dueAt);
  });
});

describe('sessionReminders', () => {
  const session = { id: 's1', status: 'CONFIRMED', startsAt: at('2026-01-20T10:00:00Z'), attendeeIds: ['a', 'b'], supervisorId: 'sup' };

  it('day before and hour before to every attendee and the supervisor', () => {
    const specs = sessionReminders(session, settings, horizon('2026-01-18T00:00:00Z', '2026-01-21T00:00:00Z'));
    expect(view(specs)).toEqual([
      'SESSION_DAY_BEFORE person:a 2026-01-19T10:00:00.000Z',
      'SESSION_DAY_BEFORE person:b 2026-01-19T10:00:00.000Z',
      'SESSION_DAY_BEFORE person:sup 2026-01-19T10:00:00.000Z',
      'SESSION_HOUR_BEFORE person:a 2026-01-20T09:00:00.000Z',
      'SESSION_HOUR_BEFORE person:b 2026-01-20T09:00:00.000Z',
      'SESSION_HOUR_BEFORE person:sup 2026-01-20T09:00:00.000Z',
    ]);
    expect(specs.every((s) => s.subjectType === 'Session' && s.subjectId === 's1' && !s.urgent)).toBe(true);
  });

  it('a supervisor who is also listed as an attendee gets each reminder once', () => {
    const specs = sessionReminders({ ...session, attendeeIds: ['a', 'sup'] }, settings, horizon('2026-01-18T00:00:00Z', '2026-01-21T00:00:00Z'));
    expect(specs).toHaveLength(4);
  });

  it('the horizon filter: nothing due after horizonEnd', () => {
    expect(sessionReminders(session, settings, horizon('2026-01-18T00:00:00Z', '2026-01-19T09:59:59Z'))).toEqual([]);
    expect(view(sessionReminders(session, settings, horizon('2026-01-18T00:00:00Z', '2026-01-19T10:00:00Z')))).toHaveLength(3);
  });

  it('a day-before reminder is dropped once the hour-before one is due', () => {
    expect(view(sessionReminders(session, settings, horizon('2026-01-20T08:00:00Z')))).toEqual([
      'SESSION_DAY_BEFORE person:a 2026-01-19T10:00:00.000Z',
      'SESSION_DAY_BEFORE person:b 2026-01-19T10:00:00.000Z',
      'SESSION_DAY_BEFORE person:sup 2026-01-19T10:00:00.000Z',
    ]);
    expect(view(sessionReminders(session, settings, horizon('2026-01-20T09:30:00Z')))).toEqual([
      'SESSION_HOUR_BEFORE person:a 2026-01-20T09:00:00.000Z',
      'SESSION_HOUR_BEFORE person:b 2026-01-20T09:00:00.000Z',
      'SESSION_HOUR_BEFORE person:sup 2026-01-20T09:00:00.000Z',
    ]);
  });

  it('only confirmed sessions in the future', () => {
    const h = horizon('2026-01-18T00:00:00Z', '2026-01-21T00:00:00Z');
    for (const status of ['PROPOSED', 'DECLINED', 'CANCELLED', 'COMPLETED']) {
      expect(sessionReminders({ ...session, status }, settings, h)).toEqual([]);
    }
    expect(sessionReminders(session, settings, horizon('2026-01-20T10:00:00Z', '2026-01-21T00:00:00Z'))).toEqual([]);
  });

  it('uses the organisation timings', () => {
    const custom = orgSettingsSchema.parse({ reminders: { sessionReminderHoursBefore: [48, 2] } });
    expect(view(sessionReminders({ ...session, attendeeIds: [] }, custom, horizon('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')))).toEqual([
      'SESSION_DAY_BEFORE person:sup 2026-01-18T10:00:00.000Z',
      'SESSION_HOUR_BEFORE person:sup 2026-01-20T08:00:00.000Z',
    ]);
  });
});

describe('actionPointReminders', () => {
  const point = { id: 'ap1', status: 'OPEN', dueOn: '2026-03-29', ownerId: 'o', supervisorId: 'sup', ownerTimeZone: 'Europe/London' };

  it('due soon, due, overdue weekly to the owner; overdue also to the supervisor (clocks go forward on the due day)', () => {
    expect(view(actionPointReminders(point, settings, horizon('2026-03-20T00:00:00Z', '2026-04-14T00:00:00Z')))).toEqual([
      'ACTION_DUE person:o 2026-03-29T08:00:00.000Z',
      'ACTION_DUE_SOON person:o 2026-03-26T09:00:00.000Z',
      'ACTION_OVERDUE person:o 2026-03-30T08:00:00.000Z',
      'ACTION_OVERDUE person:o 2026-04-06T08:00:00.000Z',
      'ACTION_OVERDUE person:o 2026-04-13T08:00:00.000Z',
      'ACTION_OVERDUE person:sup 2026-03-30T08:00:00.000Z',
      'ACTION_OVERDUE person:sup 2026-04-06T08:00:00.000Z',
      'ACTION_OVERDUE person:sup 2026-04-13T08:00:00.000Z',
    ]);
  });

  it('09:00 GMT = 09:00Z on the day the clocks go back (25 October 2026)', () => {
    const specs = actionPointReminders({ ...point, dueOn: '2026-10-25' }, settings, horizon('2026-10-01T00:00:00Z', '2026-10-26T12:00:00Z'));
    expect(view(specs)).toEqual([
      'ACTION_DUE person:o 2026-10-25T09:00:00.000Z',
      'ACTION_DUE_SOON person:o 2026-10-22T08:00:00.000Z',
      'ACTION_OVERDUE person:o 2026-10-26T09:00:00.000Z',
      'ACTION_OVERDUE person:sup 2026-10-26T09:00:00.000Z',
    ]);
  });

  it("reads 09:00 in the owner's zone and accepts the stored @db.Date", () => {
    const specs = actionPointReminders(
      { ...point, dueOn: at('2026-01-15T00:00:00Z'), ownerTimeZone: 'America/New_York', supervisorId: null },
      settings,
      horizon('2026-01-15T14:00:00Z', '2026-01-15T23:00:00Z'),
    );
    expect(view(specs)).toEqual(['ACTION_DUE person:o 2026-01-15T14:00:00.000Z']);
  });

  it('a sweep after a long gap sends only the latest overdue repeat, not the backlog', () => {
    // Repeats fall on 30 March + 7k days; 1 June (k = 9) is the latest at or before now.
    expect(view(actionPointReminders(point, settings, horizon('2026-06-01T12:00:00Z')))).toEqual([
      'ACTION_OVERDUE person:o 2026-06-01T08:00:00.000Z',
      'ACTION_OVERDUE person:sup 2026-06-01T08:00:00.000Z',
    ]);
  });

  it('due soon is dropped once the due day has come', () => {
    expect(view(actionPointReminders(point, settings, horizon('2026-03-29T10:00:00Z')))).toEqual(['ACTION_DUE person:o 2026-03-29T08:00:00.000Z']);
  });

  it('nothing once DONE', () => {
    expect(actionPointReminders({ ...point, status: 'DONE' }, settings, horizon('2026-03-20T00:00:00Z', '2026-05-01T00:00:00Z'))).toEqual([]);
  });

  it('the horizon filter', () => {
    expect(actionPointReminders(point, settings, horizon('2026-03-20T00:00:00Z', '2026-03-26T08:59:00Z'))).toEqual([]);
  });
});

describe('withSendAt at the moment of sending', () => {
  const quiet = { timeZone: 'Europe/London', quietHoursStart: '22:00', quietHoursEnd: '07:00' };
  const spec: ReminderSpec = { kind: 'ACTION_DUE', subjectType: 'ActionPoint', subjectId: 'p', recipientKey: 'person:a', recipientId: 'a', dueAt: at('2026-01-15T21:30:00Z'), urgent: false };

  it('a reminder due before quiet hours but written during them (catch-up) waits for their end', () => {
    expect(withSendAt(spec, quiet, at('2026-01-15T23:00:00Z')).sendAt.toISOString()).toBe('2026-01-16T07:00:00.000Z');
    expect(withSendAt(spec, quiet, at('2026-01-15T21:40:00Z')).sendAt).toEqual(spec.dueAt);
    expect(withSendAt({ ...spec, urgent: true }, quiet, at('2026-01-15T23:00:00Z')).sendAt).toEqual(spec.dueAt);
  });
});

describe('sessionRecordReminders', () => {
  const facts = { sessionId: 's1', sessionStatus: 'AWAITING_RECORD', recordStatus: null as string | null, dueAt: at('2026-01-21T11:00:00Z'), supervisorId: 'sup' };

  it('RECORD_OVERDUE about the session at its due time, with no record or a draft', () => {
    const h = horizon('2026-01-21T11:00:00Z');
    expect(sessionRecordReminders(facts, h)).toEqual([
      { kind: 'RECORD_OVERDUE', subjectType: 'Session', subjectId: 's1', recipientKey: 'person:sup', recipientId: 'sup', dueAt: facts.dueAt, urgent: false },
    ]);
    expect(sessionRecordReminders({ ...facts, recordStatus: 'DRAFT', sessionStatus: 'CONFIRMED' }, h)).toHaveLength(1);
    expect(sessionRecordReminders(facts, horizon('2026-01-21T10:44:00Z', '2026-01-21T10:59:00Z'))).toEqual([]);
  });

  it('nothing once written, or for a session that did not take place', () => {
    const h = horizon('2026-01-22T00:00:00Z');
    expect(sessionRecordReminders({ ...facts, recordStatus: 'AWAITING_SIGNATURES' }, h)).toEqual([]);
    expect(sessionRecordReminders({ ...facts, recordStatus: 'SIGNED' }, h)).toEqual([]);
    for (const sessionStatus of ['PROPOSED', 'DECLINED', 'CANCELLED', 'COMPLETED']) expect(sessionRecordReminders({ ...facts, sessionStatus }, h)).toEqual([]);
  });
});

describe('consecutiveNonAttendance', () => {
  const run = (...a: Array<string | null>) => consecutiveNonAttendance(a.map((attendance) => ({ attendance })));
  it('counts "did not attend" back from the latest; apologies or attendance end the run; unrecorded ones are skipped', () => {
    expect(run('ATTENDED', 'DID_NOT_ATTEND', 'DID_NOT_ATTEND')).toBe(2);
    expect(run('DID_NOT_ATTEND', null, 'DID_NOT_ATTEND')).toBe(2);
    expect(run('DID_NOT_ATTEND', 'APOLOGIES', 'DID_NOT_ATTEND')).toBe(1);
    expect(run('DID_NOT_ATTEND', 'ATTENDED')).toBe(0);
    expect(run()).toBe(0);
  });
});

describe('recordReminders', () => {
  const record = { id: 'r1', status: 'DRAFT' as string | null, dueAt: at('2026-01-21T11:00:00Z'), supervisorId: 'sup' };

  it('RECORD_OVERDUE to the supervisor at the due time while it is a draft or missing', () => {
    const h = horizon('2026-01-21T11:00:00Z');
    expect(view(recordReminders(record, h))).toEqual(['RECORD_OVERDUE person:sup 2026-01-21T11:00:00.000Z']);
    expect(view(recordReminders({ ...record, status: null }, h))).toHaveLength(1);
    expect(recordReminders(record, horizon('2026-01-21T10:00:00Z'))).toEqual([]);
  });

  it('nothing once awaiting signatures or signed', () => {
    const h = horizon('2026-01-22T00:00:00Z');
    expect(recordReminders({ ...record, status: 'AWAITING_SIGNATURES' }, h)).toEqual([]);
    expect(recordReminders({ ...record, status: 'SIGNED' }, h)).toEqual([]);
  });
});

describe('unclaimedRequestReminders (service time, one policy per route)', () => {
  // Monday to Friday 09:00-17:00 in London (GMT in January); default policies: advice re-surfaced
  // after 60 and escalated after 240 service minutes, session 240 / 960, urgent 10 / 30.
  const clock: ServiceClock = { policies: DEFAULT_RESPONSE_POLICIES, serviceHours: DEFAULT_SERVICE_HOURS, timeZone: 'Europe/London' };
  // Thursday 15 January 2026, 10:00.
  const request = { id: 'q1', organisationId: 'org', status: 'OPEN', createdAt: at('2026-01-15T10:00:00Z'), urgency: 'ROUTINE', route: 'ADVICE' };
  const h = horizon('2026-01-15T10:00:00Z', '2026-01-15T15:00:00Z');

  it('advice: re-surfaced in triage after 1 service hour, escalated to the Heads after 4', () => {
    expect(view(unclaimedRequestReminders(request, ['h1', 'h2'], clock, h))).toEqual([
      'REQUEST_ESCALATED person:h1 2026-01-15T14:00:00.000Z',
      'REQUEST_ESCALATED person:h2 2026-01-15T14:00:00.000Z',
      'REQUEST_UNCLAIMED triage:org 2026-01-15T11:00:00.000Z',
    ]);
  });

  it('advice at 16:30 on a Friday: re-surfaced at 09:30 on Monday, escalated at 12:30, never overnight or at the weekend', () => {
    const friday = { ...request, createdAt: at('2026-01-16T16:30:00Z') };
    const due = unclaimedDueTimes(friday.createdAt, DEFAULT_RESPONSE_POLICIES.advice, clock);
    expect(due).toEqual({ resurfaceAt: at('2026-01-19T09:30:00Z'), escalateAt: at('2026-01-19T12:30:00Z') });
    // Nothing over the weekend (the wall clock would have re-surfaced it at 17:30 on Friday).
    expect(unclaimedRequestReminders(friday, ['h1'], clock, horizon('2026-01-16T16:30:00Z', '2026-01-19T09:29:00Z'))).toEqual([]);
    expect(view(unclaimedRequestReminders(friday, ['h1'], clock, horizon('2026-01-19T09:30:00Z')))).toEqual([
      'REQUEST_UNCLAIMED triage:org 2026-01-19T09:30:00.000Z',
    ]);
  });

  it('a session request follows the session policy: half a day, then two working days', () => {
    const session = { ...request, route: 'SUPERVISION' };
    expect(unclaimedDueTimes(session.createdAt, DEFAULT_RESPONSE_POLICIES.session, clock)).toEqual({
      resurfaceAt: at('2026-01-15T14:00:00Z'),
      escalateAt: at('2026-01-19T10:00:00Z'), // Thursday 10:00 + 16 service hours: Monday 10:00
    });
    expect(unclaimedRequestReminders(session, ['h1'], clock, horizon('2026-01-15T13:00:00Z'))).toEqual([]);
    expect(view(unclaimedRequestReminders(session, ['h1'], clock, horizon('2026-01-19T10:00:00Z')))).toEqual([
      'REQUEST_ESCALATED person:h1 2026-01-19T10:00:00.000Z',
      'REQUEST_UNCLAIMED triage:org 2026-01-15T14:00:00.000Z',
    ]);
  });

  it('urgent requests follow the urgent policy, whatever their route, and are urgent', () => {
    expect(view(unclaimedRequestReminders({ ...request, urgency: 'URGENT' }, ['h1'], clock, h))).toEqual([
      'REQUEST_ESCALATED person:h1 2026-01-15T10:30:00.000Z urgent',
      'REQUEST_UNCLAIMED triage:org 2026-01-15T10:10:00.000Z urgent',
    ]);
    // At 21:11 on a Friday the 24/7 routes carry it; the team hears at Monday's opening.
    const night = { ...request, urgency: 'URGENT', route: 'SUPERVISION', createdAt: at('2026-01-16T21:11:00Z') };
    expect(unclaimedDueTimes(night.createdAt, DEFAULT_RESPONSE_POLICIES.urgent, clock)).toEqual({
      resurfaceAt: at('2026-01-19T09:10:00Z'),
      escalateAt: at('2026-01-19T09:30:00Z'),
    });
  });

  it("uses the organisation's own times and zone", () => {
    const policies = { ...DEFAULT_RESPONSE_POLICIES, advice: { targetMinutes: 120, resurfaceAfterMinutes: 30, escalateAfterMinutes: 90 } };
    expect(view(unclaimedRequestReminders(request, ['h1'], { ...clock, policies }, h))).toEqual([
      'REQUEST_ESCALATED person:h1 2026-01-15T11:30:00.000Z',
      'REQUEST_UNCLAIMED triage:org 2026-01-15T10:30:00.000Z',
    ]);
  });

  it('with no service hours at all, the wall clock (nothing waits forever)', () => {
    const closed = { ...clock, serviceHours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } };
    expect(unclaimedDueTimes(at('2026-01-17T10:00:00Z'), DEFAULT_RESPONSE_POLICIES.advice, closed)).toEqual({
      resurfaceAt: at('2026-01-17T11:00:00Z'),
      escalateAt: at('2026-01-17T14:00:00Z'),
    });
  });

  it('nothing once claimed or closed', () => {
    for (const status of ['CLAIMED', 'ADVICE_GIVEN', 'SESSION_REQUESTED', 'BOOKED', 'CLOSED']) {
      expect(unclaimedRequestReminders({ ...request, status }, ['h1'], clock, h)).toEqual([]);
    }
  });

  it('the horizon filter', () => {
    expect(view(unclaimedRequestReminders(request, ['h1'], clock, horizon('2026-01-15T10:00:00Z', '2026-01-15T12:00:00Z')))).toEqual([
      'REQUEST_UNCLAIMED triage:org 2026-01-15T11:00:00.000Z',
    ]);
  });
});

describe('mandatoryCadenceReminders', () => {
  const person = { id: 'p', lineManagerId: 'lm', supervisorIds: ['sup'], lastAttendedAt: at('2026-01-10T14:00:00Z'), joinedAt: at('2025-01-01T00:00:00Z') };
  const quarterly = { sessionsPerYear: 4 };

  it('the due date counts from the last attended session, or joining', () => {
    expect(mandatoryDueDate(person, quarterly, 'Europe/London')?.toISODate()).toBe('2026-04-10');
    expect(mandatoryDueDate(person, { intervalMonths: 6 }, 'Europe/London')?.toISODate()).toBe('2026-07-10');
    expect(mandatoryDueDate({ ...person, lastAttendedAt: null }, { sessionsPerYear: 1 }, 'Europe/London')?.toISODate()).toBe('2026-01-01');
    expect(mandatoryDueDate(person, { sessionsPerYear: null, intervalMonths: null }, 'Europe/London')).toBeNull();
  });

  it('due to the supervisee, overdue to them, then the supervisor, then the line manager (09:00 local, across the clocks going forward)', () => {
    const specs = mandatoryCadenceReminders(person, quarterly, settings, 'Europe/London', horizon('2026-03-01T00:00:00Z', '2026-05-01T00:00:00Z'));
    expect(view(specs)).toEqual([
      'LINE_MANAGER_OVERDUE person:lm 2026-04-24T08:00:00.000Z',
      'MANDATORY_DUE person:p 2026-03-27T09:00:00.000Z',
      'MANDATORY_OVERDUE person:p 2026-04-10T08:00:00.000Z',
      'MANDATORY_OVERDUE person:sup 2026-04-17T08:00:00.000Z',
    ]);
    expect(specs.every((s) => s.subjectType === 'Person' && s.subjectId === 'p')).toBe(true);
  });

  it('once overdue, the due-soon one is no longer sent; the horizon filters the later steps', () => {
    expect(view(mandatoryCadenceReminders(person, quarterly, settings, 'Europe/London', horizon('2026-04-12T00:00:00Z')))).toEqual([
      'MANDATORY_OVERDUE person:p 2026-04-10T08:00:00.000Z',
    ]);
  });

  it('a new attended session moves the due date', () => {
    const specs = mandatoryCadenceReminders(
      { ...person, lastAttendedAt: at('2026-04-05T10:00:00Z') },
      quarterly,
      settings,
      'Europe/London',
      horizon('2026-04-12T00:00:00Z', '2026-05-01T00:00:00Z'),
    );
    expect(specs).toEqual([]);
  });

  it('nothing for a requirement with no cadence (on request)', () => {
    expect(mandatoryCadenceReminders(person, {}, settings, 'Europe/London', horizon('2026-03-01T00:00:00Z', '2027-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('agreementReminders and contractReviewReminders', () => {
  it('AGREEMENT_UNSIGNED to each party who has not signed, 24 hours after it was offered', () => {
    const agreement = { id: 'ag', status: 'AWAITING_SIGNATURES', createdAt: at('2026-01-15T10:00:00Z'), unsignedPartyIds: ['a', 'b'] };
    expect(view(agreementReminders(agreement, settings, horizon('2026-01-16T10:00:00Z')))).toEqual([
      'AGREEMENT_UNSIGNED person:a 2026-01-16T10:00:00.000Z',
      'AGREEMENT_UNSIGNED person:b 2026-01-16T10:00:00.000Z',
    ]);
    expect(agreementReminders(agreement, settings, horizon('2026-01-16T09:59:00Z'))).toEqual([]);
    expect(agreementReminders({ ...agreement, status: 'SIGNED' }, settings, horizon('2026-01-17T00:00:00Z'))).toEqual([]);
  });

  it('CONTRACT_REVIEW to every party 14 days before the review date, for signed contracts only', () => {
    const contract = { id: 'c', status: 'SIGNED', reviewDue: at('2027-01-20T00:00:00Z'), signedAt: at('2026-01-20T00:00:00Z'), partyIds: ['a', 'sup'] };
    const h = horizon('2027-01-06T00:00:00Z');
    expect(view(contractReviewReminders(contract, settings, h))).toEqual([
      'CONTRACT_REVIEW person:a 2027-01-06T00:00:00.000Z',
      'CONTRACT_REVIEW person:sup 2027-01-06T00:00:00.000Z',
    ]);
    expect(view(contractReviewReminders({ ...contract, reviewDue: null }, settings, h))).toHaveLength(2);
    expect(contractReviewReminders(contract, settings, horizon('2027-01-05T23:59:00Z'))).toEqual([]);
    expect(contractReviewReminders({ ...contract, status: 'SUPERSEDED' }, settings, h)).toEqual([]);
  });
});

describe('rebookReminders', () => {
  const cancelled = {
    id: 's1',
    status: 'CANCELLED',
    cancelledById: 'x',
    cancelledAt: at('2026-01-01T10:00:00Z'),
    rebookBy: null as Date | null,
    rebooked: false,
  };

  it('weekly to whoever cancelled, until the 31-day deadline', () => {
    expect(view(rebookReminders(cancelled, settings, horizon('2026-01-01T10:00:00Z', '2026-03-01T00:00:00Z')))).toEqual([
      'REBOOK_AFTER_CANCELLATION person:x 2026-01-08T10:00:00.000Z',
      'REBOOK_AFTER_CANCELLATION person:x 2026-01-15T10:00:00.000Z',
      'REBOOK_AFTER_CANCELLATION person:x 2026-01-22T10:00:00.000Z',
      'REBOOK_AFTER_CANCELLATION person:x 2026-01-29T10:00:00.000Z',
    ]);
    expect(view(rebookReminders(cancelled, settings, horizon('2026-01-16T00:00:00Z')))).toEqual([
      'REBOOK_AFTER_CANCELLATION person:x 2026-01-15T10:00:00.000Z',
    ]);
  });

  it('nothing once rebooked, after the deadline, or for a session that is not cancelled', () => {
    expect(rebookReminders({ ...cancelled, rebooked: true }, settings, horizon('2026-01-16T00:00:00Z'))).toEqual([]);
    expect(rebookReminders(cancelled, settings, horizon('2026-02-01T10:00:00Z'))).toEqual([]);
    expect(rebookReminders({ ...cancelled, rebookBy: at('2026-01-10T00:00:00Z') }, settings, horizon('2026-01-16T00:00:00Z'))).toEqual([]);
    expect(rebookReminders({ ...cancelled, status: 'CONFIRMED' }, settings, horizon('2026-01-16T00:00:00Z'))).toEqual([]);
  });
});

describe('nonAttendanceReminders and nonAttendanceNudge', () => {
  const fact = {
    sessionId: 's1',
    personId: 'p',
    attendance: 'DID_NOT_ATTEND' as string | null,
    lineManagerId: 'lm',
    recordedAt: at('2026-01-20T12:00:00Z'),
    superviseeToldAt: null as Date | null,
  };

  it('the supervisee is told first, when the non-attendance is recorded; the line manager not yet', () => {
    const specs = nonAttendanceReminders(fact, horizon('2026-01-20T12:00:00Z', '2026-02-20T00:00:00Z'));
    expect(view(specs)).toEqual(['LINE_MANAGER_NON_ATTENDANCE person:p 2026-01-20T12:00:00.000Z']);
    expect(specs[0]).toMatchObject({ subjectType: 'SessionAttendee', subjectId: 's1:p', urgent: false });
    expect(nonAttendanceNudge(fact, horizon('2026-03-01T00:00:00Z'))).toEqual([]);
  });

  it('the line manager once the supervisee has been told, due when they were told', () => {
    const told = { ...fact, superviseeToldAt: at('2026-01-21T08:00:00Z') };
    expect(view(nonAttendanceReminders(told, horizon('2026-01-21T08:00:00Z')))).toEqual([
      'LINE_MANAGER_NON_ATTENDANCE person:lm 2026-01-21T08:00:00.000Z',
      'LINE_MANAGER_NON_ATTENDANCE person:p 2026-01-20T12:00:00.000Z',
    ]);
    expect(view(nonAttendanceNudge(told, horizon('2026-01-21T08:00:00Z')))).toEqual(['LINE_MANAGER_NON_ATTENDANCE person:lm 2026-01-21T08:00:00.000Z']);
    expect(nonAttendanceNudge(told, horizon('2026-01-21T07:59:00Z'))).toEqual([]);
  });

  it('nothing for attendance or apologies, without a line manager, or when the supervisee is their own line manager', () => {
    const h = horizon('2026-01-21T00:00:00Z');
    const told = { ...fact, superviseeToldAt: at('2026-01-20T13:00:00Z') };
    expect(nonAttendanceReminders({ ...told, attendance: 'ATTENDED' }, h)).toEqual([]);
    expect(nonAttendanceReminders({ ...told, attendance: 'APOLOGIES' }, h)).toEqual([]);
    expect(nonAttendanceReminders({ ...told, attendance: null }, h)).toEqual([]);
    expect(nonAttendanceReminders({ ...told, lineManagerId: null }, h)).toEqual([]);
    expect(nonAttendanceReminders({ ...told, lineManagerId: 'p' }, h)).toEqual([]);
  });

  it('subject ids round-trip; anything else is not one', () => {
    expect(parseSessionAttendeeSubject(sessionAttendeeSubject('s-1', 'p-2'))).toEqual({ sessionId: 's-1', personId: 'p-2' });
    expect(parseSessionAttendeeSubject('s1')).toBeNull();
    expect(parseSessionAttendeeSubject('a:b:c')).toBeNull();
    expect(parseSessionAttendeeSubject(':b')).toBeNull();
  });

  it('the notice moves out of the supervisee’s quiet hours; the nudge waits for its own recipient’s', () => {
    const [notice] = nonAttendanceReminders({ ...fact, recordedAt: at('2026-01-20T23:00:00Z') }, horizon('2026-01-20T23:00:00Z'));
    const sent = withSendAt(notice!, { timeZone: 'Europe/London', quietHoursStart: '22:00', quietHoursEnd: '07:00' });
    expect(sent.sendAt.toISOString()).toBe('2026-01-21T07:00:00.000Z');
  });
});

describe('mandatory requirement and cadence interval', () => {
  it('the interval: fixed months, 12 / sessions per year, or days when 12 does not divide evenly', () => {
    expect(cadenceInterval({ intervalMonths: 3 })).toEqual({ months: 3, days: 0, perYear: 4 });
    expect(cadenceInterval({ sessionsPerYear: 4 })).toEqual({ months: 3, days: 0, perYear: 4 });
    // 365 / 10 = 36.5 days, which run out on the 36th day after the last attended one.
    expect(cadenceInterval({ sessionsPerYear: 10 })).toEqual({ months: 0, days: 36, perYear: 10 });
    expect(cadenceInterval({ sessionsPerYear: 7 })).toEqual({ months: 0, days: 52, perYear: 7 });
    expect(cadenceInterval({ sessionsPerYear: 5 })).toEqual({ months: 0, days: 73, perYear: 5 });
    expect(cadenceInterval({ sessionsPerYear: 0 })).toBeNull();
    expect(cadenceInterval({})).toBeNull();
  });

  it('the most frequent mandatory requirement sets the cadence (individual first on a tie); on-request ones never', () => {
    const individual = { kind: 'MANDATORY', format: 'INDIVIDUAL', sessionsPerYear: 4 };
    const group = { kind: 'MANDATORY', format: 'GROUP', sessionsPerYear: 2 };
    expect(mandatoryRequirement([group, individual])).toBe(individual);
    expect(mandatoryRequirement([{ ...group, sessionsPerYear: 4 }, individual])).toBe(individual);
    expect(mandatoryRequirement([{ ...group, intervalMonths: 1 }, individual])).toMatchObject({ format: 'GROUP' });
    expect(mandatoryRequirement([{ kind: 'ON_REQUEST', format: 'INDIVIDUAL', sessionsPerYear: 12 }])).toBeNull();
    expect(mandatoryRequirement([{ kind: 'MANDATORY', format: 'INDIVIDUAL', sessionsPerYear: null }])).toBeNull();
  });

  it('a session just after midnight (BST) counts on its local date, not the UTC one', () => {
    // 00:30 on 1 July in London is 23:30Z on 30 June: due on 1 October, not 30 September.
    const person = { id: 'p', lineManagerId: null, lastAttendedAt: at('2026-06-30T23:30:00Z'), joinedAt: at('2025-01-01T00:00:00Z') };
    expect(mandatoryDueDate(person, { sessionsPerYear: 4 }, 'Europe/London')?.toISODate()).toBe('2026-10-01');
    expect(mandatoryDueDate(person, { sessionsPerYear: 4 }, 'UTC')?.toISODate()).toBe('2026-09-30');
  });

  it('the supervisor and line manager steps move out of their quiet hours with an injected zone', () => {
    const person = { id: 'p', lineManagerId: 'lm', supervisorIds: ['sup'], lastAttendedAt: at('2026-07-01T10:00:00Z'), joinedAt: at('2025-01-01T00:00:00Z') };
    const specs = mandatoryCadenceReminders(person, { sessionsPerYear: 4 }, settings, 'Europe/London', horizon('2026-10-16T00:00:00Z'));
    const lm = specs.find((s) => s.recipientKey === 'person:lm')!;
    // 15 October 09:00 BST = 08:00Z; a line manager whose quiet hours run to 10:00 New York time.
    expect(lm.dueAt.toISOString()).toBe('2026-10-15T08:00:00.000Z');
    expect(withSendAt(lm, { timeZone: 'America/New_York', quietHoursStart: '00:00', quietHoursEnd: '10:00' }).sendAt.toISOString()).toBe('2026-10-15T14:00:00.000Z');
  });
});

describe('isRebooking', () => {
  const cancelled = { format: 'INDIVIDUAL', cancelledAt: at('2026-01-01T10:00:00Z'), attendeeIds: ['a'], supervisorId: 's', requestId: null as string | null };
  const candidate = { status: 'PROPOSED', format: 'INDIVIDUAL', createdAt: at('2026-01-02T10:00:00Z'), attendeeIds: ['a'], supervisorId: 's', requestId: null as string | null };

  it('the same relationship: same supervisor, same format, one of the same supervisees, booked since the cancellation', () => {
    expect(isRebooking(cancelled, candidate)).toBe(true);
    expect(isRebooking(cancelled, { ...candidate, status: 'COMPLETED' })).toBe(true);
    expect(isRebooking(cancelled, { ...candidate, createdAt: cancelled.cancelledAt })).toBe(true);
  });

  it('the same request, whoever supervises it and in whatever format', () => {
    const forRequest = { ...cancelled, requestId: 'r1' };
    expect(isRebooking(forRequest, { ...candidate, requestId: 'r1', supervisorId: 'other', format: 'GROUP', attendeeIds: ['a', 'b'] })).toBe(true);
    expect(isRebooking(forRequest, { ...candidate, requestId: null })).toBe(true);
  });

  it('not one booked before, with another supervisor, in another format, for other people, for another request, declined or cancelled', () => {
    expect(isRebooking(cancelled, { ...candidate, createdAt: at('2025-12-31T10:00:00Z') })).toBe(false);
    expect(isRebooking(cancelled, { ...candidate, supervisorId: 'other' })).toBe(false);
    expect(isRebooking(cancelled, { ...candidate, format: 'GROUP' })).toBe(false);
    expect(isRebooking(cancelled, { ...candidate, attendeeIds: ['b'] })).toBe(false);
    expect(isRebooking(cancelled, { ...candidate, requestId: 'r2' })).toBe(false);
    expect(isRebooking({ ...cancelled, requestId: 'r1' }, { ...candidate, requestId: 'r2' })).toBe(false);
    expect(isRebooking(cancelled, { ...candidate, status: 'DECLINED' })).toBe(false);
    expect(isRebooking(cancelled, { ...candidate, status: 'CANCELLED' })).toBe(false);
  });
});

describe('stillProduced', () => {
  const person = { id: 'p', lineManagerId: 'lm', supervisorIds: ['sup'], lastAttendedAt: at('2026-01-10T14:00:00Z'), joinedAt: at('2025-01-01T00:00:00Z') };
  const produce = (p: typeof person) => (h: Horizon) => mandatoryCadenceReminders(p, { sessionsPerYear: 4 }, settings, 'Europe/London', h);

  it('true while the facts still give the same reminder; false once a session attended since moves the due date', () => {
    const [overdue] = mandatoryCadenceReminders(person, { sessionsPerYear: 4 }, settings, 'Europe/London', horizon('2026-04-12T00:00:00Z'));
    expect(overdue).toMatchObject({ kind: 'MANDATORY_OVERDUE', recipientKey: 'person:p' });
    expect(stillProduced(overdue!, produce(person))).toBe(true);
    expect(stillProduced(overdue!, produce({ ...person, lastAttendedAt: at('2026-04-11T10:00:00Z') }))).toBe(false);
  });

  it('false for a line manager who is no longer the line manager', () => {
    const specs = mandatoryCadenceReminders(person, { sessionsPerYear: 4 }, settings, 'Europe/London', horizon('2026-04-25T00:00:00Z'));
    const lm = specs.find((s) => s.kind === 'LINE_MANAGER_OVERDUE')!;
    expect(stillProduced(lm, produce(person))).toBe(true);
    expect(stillProduced(lm, produce({ ...person, lineManagerId: 'other' }))).toBe(false);
  });
});
