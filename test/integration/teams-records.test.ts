// Journey 6 (supervision record and action points) on Teams over real HTTP: the supervisor
// writes the record of a confirmed session with action points, both parties sign, owners get
// and complete their action points, a signed record changes only by amendment, and the Head
// of Safeguarding reads the audit trail. Every refusal leaves the database as it was, and
// every read of a record's content is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { cardOf, personalConversationId, startTeamsHarness, textsOf, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};
let sessionId = '';
let recordId = '';
let reference = '';

const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
const cardsTo = (calls: ConnectorCall[], key: string) => toPerson(calls, key).map(cardOf).filter(Boolean);
const reads = () => h.database.db.auditEvent.count({ where: { action: 'record.read' } });

async function snapshot() {
  const record = await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: recordId }, include: { actionPoints: true, signatures: true, amendments: true } });
  const attendees = await h.database.db.sessionAttendee.findMany({ where: { sessionId } });
  return JSON.stringify({ record, attendees });
}

function validForm(version: number, overrides: Record<string, unknown> = {}) {
  return {
    recordId,
    version,
    format: 'INDIVIDUAL',
    type: 'ON_REQUEST',
    [`attendance_${ids['call-handler']}`]: 'ATTENDED',
    content: 'Talked through the repeated call and the referral threshold.',
    reflectiveModel: 'SBAR',
    reflectionNotes: 'Situation was clear; background of repeated calls.',
    themes: 'Neglect; repeated calls',
    escalation: '',
    ap1_description: 'Complete level 3 neglect training',
    ap1_owner: ids['call-handler'],
    ap1_due: '2026-12-10',
    ap1_kind: 'TRAINING_NEED',
    ap2_description: 'Book a follow-up supervision session',
    ap2_owner: ids['specialist-2'],
    ap2_due: '2026-12-01',
    ap2_kind: 'FOLLOW_UP_SUPERVISION',
    ap3_description: 'Contact the staff wellbeing service',
    ap3_owner: ids['call-handler'],
    ap3_due: '2026-11-30',
    ap3_kind: 'SIGNPOSTED_TO_SUPPORT',
    ap3_sharing: 'Wellbeing team only',
    ...overrides,
  };
}

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of ['paramedic', 'call-handler', 'specialist', 'specialist-2', 'head', 'ops-manager']) {
    ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  }
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['specialist', 'specialist-2', 'head', 'ops-manager']) await h.message(key, 'help');
  await h.message('call-handler', 'hello');
  await h.action('call-handler', 'intake.risk', { answer: 'no' });
  await h.action('call-handler', 'intake.kind', { helpType: 'SESSION' });
  await h.action('call-handler', 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary: 'A case that keeps coming back to me', availability: 'weekdays' });
  let request = await h.database.db.supervisionRequest.findFirstOrThrow();
  reference = request.reference;
  await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
  request = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
  await h.action('specialist', 'session.propose', { requestId: request.id, version: request.version, supervisorId: ids['specialist-2'], date1: '2026-11-25', time1: '10:00', durationMinutes: '60' });
  const session = await h.database.db.session.findFirstOrThrow({ include: { slots: true } });
  sessionId = session.id;
  h.take();
  await h.action('specialist-2', 'session.confirm', { sessionId, version: session.version, slotId: session.slots[0]!.id });
});
afterAll(async () => {
  await h.close();
});

describe('writing the record', () => {
  it('offers "Write the supervision record" on the supervisor\'s confirmation only', () => {
    const calls = h.take();
    const mine = cardsTo(calls, 'specialist-2').find((c) => visibleTexts(c).includes('Supervision session confirmed'));
    expect(mine.actions.find((a: any) => a.title === 'Write the supervision record')).toMatchObject({ verb: 'record.start', data: { sessionId } });
    for (const card of cardsTo(calls, 'call-handler')) {
      expect(card.actions?.some((a: any) => a.verb === 'record.start') ?? false).toBe(false);
    }
  });

  it('refuses to start the record before the session, or for anyone but the supervisor', async () => {
    const early = await h.action('specialist-2', 'record.start', { sessionId });
    expect(early.body.value).toMatch(/once the session has started/);
    h.clock.advance(2 * 24 * 60 + 60); // Wednesday 25 November, 11:00: the session has ended
    const other = await h.action('specialist', 'record.start', { sessionId });
    expect(other.body.value).toBe('Only the supervisor of this session can write its record.');
    expect(await h.database.db.supervisionRecord.count()).toBe(0);
  });

  it('creates a draft due 24 hours after the session and replies with the form', async () => {
    h.take();
    await h.action('specialist-2', 'record.start', { sessionId });
    const record = await h.database.db.supervisionRecord.findFirstOrThrow({ include: { subjects: true } });
    recordId = record.id;
    expect(record).toMatchObject({ kind: 'SESSION', status: 'DRAFT', version: 1, sessionId, supervisorId: ids['specialist-2'], dueAt: new Date('2026-11-26T11:00:00Z') });
    expect(record.subjects.map((s) => s.personId)).toEqual([ids['call-handler']]);
    const form = cardsTo(h.take(), 'specialist-2')[0];
    const inputIds = JSON.stringify(form).match(/"id":"[^"]+"/g)!.map((m) => m.slice(6, -1));
    expect(inputIds).toEqual(expect.arrayContaining([`attendance_${ids['call-handler']}`, 'reflectiveModel', 'reflectionNotes', 'escalation', 'superviseeToldFirst', 'ap1_owner', 'ap5_kind']));
    expect(inputIds).not.toContain('ap6_description');
    const kinds = JSON.stringify(form).match(/Training and development need identified/g);
    expect(kinds).toBeTruthy();
    expect(form.actions[0]).toMatchObject({ verb: 'record.save', data: { recordId, version: 1 } });
    // Opening it again reuses the draft.
    await h.action('specialist-2', 'record.start', { sessionId });
    expect(await h.database.db.supervisionRecord.count()).toBe(1);
    h.take();
  });

  it.each<[string, () => Record<string, unknown>, RegExp]>([
    ['an action point without an owner', () => ({ ap2_owner: '' }), /Action point 2: choose who will do it/],
    ['an action point without a date', () => ({ ap1_due: '' }), /Action point 1: give a date for completion/],
    ['an owner who is not a party', () => ({ ap3_owner: ids.paramedic }), /Action point 3: the person chosen to do it was not in this supervision/],
    ['a date before the session', () => ({ ap1_due: '2026-11-24' }), /before the session/],
    ['an unknown kind', () => ({ ap1_kind: 'SOMETHING' }), /listed kinds/],
    ['six action points', () => ({ ap6_description: 'One too many', ap6_owner: ids['call-handler'], ap6_due: '2026-12-01', ap6_kind: 'TRAINING_NEED' }), /up to 5 action points/],
    ['missing attendance', () => ({ [`attendance_${ids['call-handler']}`]: '' }), /record attendance/],
    ['an invalid attendance', () => ({ [`attendance_${ids['call-handler']}`]: 'MAYBE' }), /record attendance/],
    ['an escalation without saying whether the supervisee was told first', () => ({ escalation: 'Told the line manager' }), /supervisee was told first/],
  ])('refuses %s and changes nothing', async (_name, overrides, message) => {
    const before = await snapshot();
    const res = await h.action('specialist-2', 'record.save', validForm(1, overrides()));
    expect(res.body.value).toMatch(message);
    expect(await snapshot()).toBe(before);
  });

  it('refuses anyone but the supervisor saving, and a stale version', async () => {
    const before = await snapshot();
    expect((await h.action('call-handler', 'record.save', validForm(1))).body.value).toBe('Only the supervisor of this session can write its record.');
    expect((await h.action('specialist', 'record.save', validForm(1))).body.value).toBe('Only the supervisor of this session can write its record.');
    expect((await h.action('specialist-2', 'record.save', validForm(7))).body.value).toMatch(/out of date/);
    expect(await snapshot()).toBe(before);
  });

  it('saves the record with three action points and sends it to both parties to sign, auditing each read', async () => {
    h.take();
    const readsBefore = await reads();
    const res = await h.action('specialist-2', 'record.save', validForm(1));
    expect(res.body.value).toBe('Record saved and sent for signing.');
    const record = await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: recordId }, include: { actionPoints: { orderBy: { ordinal: 'asc' } } } });
    expect(record).toMatchObject({ status: 'AWAITING_SIGNATURES', version: 2, reflectiveModel: 'SBAR', themes: 'Neglect; repeated calls', completedAt: new Date('2026-11-25T11:00:00Z') });
    expect(record.actionPoints.map((p) => [p.ordinal, p.ownerId, p.dueOn.toISOString().slice(0, 10), p.kind])).toEqual([
      [1, ids['call-handler'], '2026-12-10', 'TRAINING_NEED'],
      [2, ids['specialist-2'], '2026-12-01', 'FOLLOW_UP_SUPERVISION'],
      [3, ids['call-handler'], '2026-11-30', 'SIGNPOSTED_TO_SUPPORT'],
    ]);
    expect((await h.database.db.sessionAttendee.findFirstOrThrow({ where: { sessionId } })).attendance).toBe('ATTENDED');
    // Written, not yet signed: the session waits for its record (COMPLETED once everyone has signed).
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: sessionId } })).status).toBe('AWAITING_RECORD');

    const calls = h.take();
    for (const key of ['call-handler', 'specialist-2']) {
      const view = cardsTo(calls, key).find((c) => visibleTexts(c).includes('Supervision record to sign'));
      expect(visibleTexts(view)).toContain('Complete level 3 neglect training');
      expect(view.actions.find((a: any) => a.verb === 'record.sign')).toMatchObject({ data: { recordId, version: 2 } });
    }
    expect(await reads()).toBe(readsBefore + 2);
    const audit = await h.database.db.auditEvent.findMany({ where: { action: 'record.read', subjectId: recordId }, orderBy: { id: 'desc' }, take: 2 });
    expect(audit.map((a) => a.actorId).sort()).toEqual([ids['call-handler'], ids['specialist-2']].sort());
    expect(textsOf(audit.map((a) => a.detail))).not.toContain('Complete level 3 neglect training');
  });
});

describe('signing and action points', () => {
  it('refuses a signature from someone who is not a party', async () => {
    const res = await h.action('paramedic', 'record.sign', { recordId, version: 2 });
    expect(res.body.value).toBe('You are not a party to this record, so you cannot sign it.');
    expect(await h.database.db.signature.count()).toBe(0);
  });

  it('is SIGNED once both have signed, and each owner receives their action points', async () => {
    expect((await h.action('call-handler', 'record.sign', { recordId, version: 2 })).body.value).toMatch(/once everyone has signed/);
    expect((await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: recordId } })).status).toBe('AWAITING_SIGNATURES');
    expect((await h.action('call-handler', 'record.sign', { recordId, version: 2 })).body.value).toBe('You have already signed version 2 of this record.');
    h.take();
    const readsBefore = await reads();
    expect((await h.action('specialist-2', 'record.sign', { recordId, version: 2 })).body.value).toBe('Signed. Everyone has now signed the record.');
    const record = await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: recordId }, include: { signatures: true } });
    expect(record.status).toBe('SIGNED');
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: sessionId } })).status).toBe('COMPLETED');
    expect(record.signatures.map((s) => [s.personId, s.signedVersion, s.platform]).sort()).toEqual(
      [[ids['call-handler'], 2, 'TEAMS'], [ids['specialist-2'], 2, 'TEAMS']].sort(),
    );
    const calls = h.take();
    const points = (key: string) => cardsTo(calls, key).filter((c) => visibleTexts(c).includes('Your action point from supervision'));
    expect(points('call-handler').map((c) => visibleTexts(c)[1])).toEqual(['Complete level 3 neglect training', 'Contact the staff wellbeing service']);
    expect(points('specialist-2').map((c) => visibleTexts(c)[1])).toEqual(['Book a follow-up supervision session']);
    const show = points('call-handler')[0].actions[0];
    expect(show).toMatchObject({ type: 'Action.ShowCard', title: 'Mark done' });
    expect(visibleTexts(points('call-handler')[0])).toContain('Training and development need identified');
    expect(await reads()).toBe(readsBefore + 2);
  });

  it('refuses editing the signed record in place', async () => {
    const before = await snapshot();
    const res = await h.action('specialist-2', 'record.save', validForm(2, { themes: 'Changed' }));
    expect(res.body.value).toBe('This record has been signed, so it cannot be edited; make an amendment instead.');
    expect(await snapshot()).toBe(before);
  });

  it('lists "my actions" with Mark done', async () => {
    h.take();
    const readsBefore = await reads();
    await h.message('call-handler', 'my actions');
    const calls = toPerson(h.take(), 'call-handler');
    expect(textsOf(calls.map((c) => c.body.text))).toContain('You have 2 open action points.');
    const cards = calls.map(cardOf).filter(Boolean);
    expect(cards.map((c) => visibleTexts(c)[1])).toEqual(['Contact the staff wellbeing service', 'Complete level 3 neglect training']);
    expect(await reads()).toBe(readsBefore + 1);
  });

  it('lets the owner mark one done with a note, tells the supervisor, and refuses a second time and strangers', async () => {
    const point = await h.database.db.actionPoint.findFirstOrThrow({ where: { recordId, ordinal: 1 } });
    expect((await h.action('paramedic', 'action-point.done', { actionPointId: point.id })).body.value).toMatch(/^Only the person this action point belongs to/);
    h.take();
    const readsBefore = await reads();
    const res = await h.action('call-handler', 'action-point.done', { actionPointId: point.id, note: 'Booked on the January course' });
    expect(visibleTexts(res.body.value)).toContain('Action point done');
    const stored = await h.database.db.actionPoint.findUniqueOrThrow({ where: { id: point.id } });
    expect(stored).toMatchObject({ status: 'DONE', doneById: ids['call-handler'], doneNote: 'Booked on the January course', doneAt: new Date('2026-11-25T11:00:00Z') });
    const told = cardsTo(h.take(), 'specialist-2')[0];
    expect(visibleTexts(told)).toContain(`${demoPerson('call-handler').name} marked an action point done`);
    expect(visibleTexts(told)).toContain('Complete level 3 neglect training');
    expect(await reads()).toBe(readsBefore + 1);

    const again = await h.action('call-handler', 'action-point.done', { actionPointId: point.id, note: 'again' });
    expect(again.body.value).toBe('This action point has already been marked done.');
    expect((await h.database.db.actionPoint.findUniqueOrThrow({ where: { id: point.id } })).doneNote).toBe('Booked on the January course');
  });
});

describe('amending a signed record', () => {
  it('refuses an amendment by someone else or without a reason', async () => {
    const before = await snapshot();
    expect((await h.action('call-handler', 'record.amend', { ...validForm(2, { themes: 'x' }), reason: 'typo' })).body.value).toMatch(/^Only the supervisor or the Head/);
    expect((await h.action('specialist-2', 'record.amend', validForm(2, { themes: 'x' }))).body.value).toBe('Please give a reason for the amendment.');
    expect(await snapshot()).toBe(before);
  });

  it('offers the amendment form to the supervisor from record.start', async () => {
    h.take();
    const readsBefore = await reads();
    await h.action('specialist-2', 'record.start', { sessionId });
    const form = cardsTo(h.take(), 'specialist-2')[0];
    expect(visibleTexts(form)).toContain('Amend the supervision record');
    expect(form.actions[0]).toMatchObject({ verb: 'record.amend', data: { recordId, version: 2 } });
    expect(JSON.stringify(form)).toContain('"id":"reason"');
    expect(await reads()).toBe(readsBefore + 1);
  });

  it('keeps the previous text in a RecordAmendment, bumps the version and asks both to sign again', async () => {
    h.take();
    const readsBefore = await reads();
    const res = await h.action('specialist-2', 'record.amend', { ...validForm(2, { themes: 'Neglect; repeated calls; fatigue' }), reason: 'Added a theme' });
    expect(res.body.value).toBe('Amendment saved. Everyone has been asked to sign the record again.');
    const record = await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: recordId }, include: { amendments: true, actionPoints: { orderBy: { ordinal: 'asc' } } } });
    expect(record).toMatchObject({ status: 'AWAITING_SIGNATURES', version: 3, themes: 'Neglect; repeated calls; fatigue' });
    expect(record.amendments).toHaveLength(1);
    expect(record.amendments[0]).toMatchObject({ fromVersion: 2, toVersion: 3, changedById: ids['specialist-2'], reason: 'Added a theme', previous: { themes: 'Neglect; repeated calls' } });
    expect(record.actionPoints[0]).toMatchObject({ status: 'DONE', doneNote: 'Booked on the January course' });
    const calls = h.take();
    for (const key of ['call-handler', 'specialist-2']) {
      const view = cardsTo(calls, key).find((c) => visibleTexts(c).includes('Amended supervision record to sign'));
      expect(view.actions.find((a: any) => a.verb === 'record.sign')).toMatchObject({ data: { version: 3 } });
    }
    expect(await reads()).toBe(readsBefore + 2);
    expect((await h.action('call-handler', 'record.sign', { recordId, version: 2 })).body.value).toBe('This record has been changed; please read and sign version 3.');
    // Both signing at the same moment still completes the record.
    await Promise.all([h.action('call-handler', 'record.sign', { recordId, version: 3 }), h.action('specialist-2', 'record.sign', { recordId, version: 3 })]);
    expect((await h.database.db.supervisionRecord.findUniqueOrThrow({ where: { id: recordId } })).status).toBe('SIGNED');
  });
});

describe('the audit trail', () => {
  it('shows the Head who did what and when, never content, and audits the reading', async () => {
    h.take();
    await h.message('head', `audit ${reference}`);
    const card = cardsTo(h.take(), 'head')[0];
    const shown = visibleTexts(card);
    expect(shown).toContain(`Audit trail for ${reference}`);
    const lines = shown.join('\n');
    for (const action of ['session.confirmed', 'record.saved', 'record.signed', 'record.read', 'record.amended', 'action-point.done']) expect(lines).toContain(action);
    expect(lines).toContain(demoPerson('specialist-2').name);
    expect(textsOf(card).join('\n')).not.toMatch(/neglect training|keeps coming back|January course/);
    expect(await h.database.db.auditEvent.count({ where: { action: 'audit.read', actorId: ids.head } })).toBe(1);
  });

  it('refuses a line manager and a staff member', async () => {
    for (const key of ['ops-manager', 'call-handler']) {
      h.take();
      await h.message(key, `audit ${reference}`);
      const calls = toPerson(h.take(), key);
      expect(textsOf(calls.map((c) => c.body.text))).toContain('Only the Head of Safeguarding can see the audit trail.');
      expect(calls.map(cardOf).filter(Boolean)).toEqual([]);
    }
    expect(await h.database.db.auditEvent.count({ where: { action: 'audit.read' } })).toBe(1);
  });
});
