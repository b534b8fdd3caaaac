// Group sessions, supervisees in mandatory groups booking their own supervision (seeds 001),
// and line managers seeing attendance facts only (seeds 000 7.2.2 and 9.1), on Teams over
// real HTTP. Every refusal leaves the database as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { NO_MANDATORY_SUPERVISION } from '../../src/flows/booking.js';
import { NO_REPORTS } from '../../src/flows/team.js';
import { cardOf, personalConversationId, startTeamsHarness, textsOf, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};
const PEOPLE = ['paramedic', 'call-handler', 'clinician-111', 'ebs', 'mh-nurse', 'specialist', 'specialist-2', 'head', 'eoc-manager', 'external-supervisor'];

const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
const sessionCount = () => h.database.db.session.count();
const inputsOf = (body: any[]) => Object.fromEntries(body.filter((b: any) => b.id).map((b: any) => [b.id, b]));

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  for (const key of PEOPLE) ids[key] = (await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  await h.message('admin', 'bind triage', 'channel');
  for (const key of PEOPLE) await h.message(key, 'help');
  h.take();
});
afterAll(async () => {
  await h.close();
});

describe('group sessions', () => {
  let requestId = '';
  let version = 0;
  const propose = (fields: Record<string, unknown>) =>
    h.action('specialist', 'session.propose', {
      requestId,
      version,
      supervisorId: ids['specialist-2'],
      date1: '2026-11-25',
      time1: '10:00',
      ...fields,
    });

  beforeAll(async () => {
    await h.message('call-handler', 'hello');
    await h.action('call-handler', 'intake.risk', { answer: 'no' });
    await h.action('call-handler', 'intake.kind', { helpType: 'SESSION' });
    await h.action('call-handler', 'intake.details', { acknowledged: 'no', format: 'GROUP', summary: 'GROUP-SUMMARY our watch keeps meeting the same family', availability: 'weekdays' });
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: ids['call-handler'] } });
    await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    h.take();
    const claimed = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    requestId = claimed.id;
    version = claimed.version;
  });

  it('offers the requester\'s colleagues and a capacity on the booking form', async () => {
    await h.action('specialist', 'request.details', { requestId, version }, 'channel');
    const book = cardOf(toPerson(h.take(), 'specialist')[0]).actions.find((a: any) => a.title === 'Book a session');
    const inputs = inputsOf(book.card.body);
    expect(Object.keys(inputs)).toEqual(['supervisorId', 'superviseeIds', 'capacity', 'date1', 'time1', 'date2', 'time2', 'durationMinutes', 'venue', 'onlineLink']);
    expect(inputs.superviseeIds.isMultiSelect).toBe(true);
    const offered = inputs.superviseeIds.choices.map((c: any) => c.value);
    expect(offered).toEqual(expect.arrayContaining([ids.paramedic, ids['clinician-111'], ids['eoc-manager']]));
    expect(offered).not.toContain(ids['call-handler']);
    expect(offered).not.toContain(ids.ebs);
    expect(inputs.capacity.value).toBe(6); // the matrix gives no group size for operational staff
    expect(inputs.durationMinutes.value).toBe(90);
  });

  it.each([
    ['someone from another staff group', () => ({ superviseeIds: `${ids.paramedic},${ids.ebs}` }), /choose the other supervisees from the list/],
    ['an unknown person', () => ({ superviseeIds: '00000000-0000-4000-8000-000000000000' }), /choose the other supervisees from the list/],
    ['a malformed id', () => ({ superviseeIds: `${ids.paramedic},not-an-id` }), /choose the other supervisees from the list/],
    ['more supervisees than places', () => ({ superviseeIds: `${ids.paramedic},${ids['clinician-111']}`, capacity: '2' }), /room for 2 supervisees, not 3/],
    ['a capacity outside 2 to 30', () => ({ capacity: '31' }), /between 2 and 30/],
  ])('refuses %s and books nothing', async (_name, fields, message) => {
    const res = await propose(fields());
    expect(res.body.value).toMatch(message);
    expect(await sessionCount()).toBe(0);
    expect(await h.database.db.sessionAttendee.count()).toBe(0);
  });

  it('books three supervisees, tells each of them, and confirms for all with the group agreements', async () => {
    h.take();
    const res = await propose({ superviseeIds: `${ids.paramedic},${ids['clinician-111']}` });
    expect(res.body.value).toMatch(/^Session proposed to .* \(3 supervisees\)\. You will hear when they answer\.$/);
    let calls = h.take();
    const proposal = cardOf(toPerson(calls, 'specialist-2')[0]);
    expect(visibleTexts(proposal).join(' ')).toContain(demoPerson('clinician-111').name);
    for (const key of ['call-handler', 'paramedic', 'clinician-111']) {
      expect(visibleTexts(cardOf(toPerson(calls, key)[0]))).toContain('A supervision session has been proposed');
    }
    const session = await h.database.db.session.findFirstOrThrow({ where: { requestId }, include: { attendees: true, slots: true } });
    expect(session).toMatchObject({ format: 'GROUP', capacity: 6, durationMinutes: 90, status: 'PROPOSED' });
    expect(session.attendees.map((a) => a.personId).sort()).toEqual([ids['call-handler'], ids.paramedic, ids['clinician-111']].sort());

    await h.action('specialist-2', 'session.confirm', { sessionId: session.id, version: session.version, slotId: session.slots[0]!.id });
    calls = h.take();
    for (const key of ['call-handler', 'paramedic', 'clinician-111', 'specialist']) {
      const texts = toPerson(calls, key).flatMap((c) => visibleTexts(cardOf(c)));
      expect(texts).toContain('Supervision session confirmed');
    }
    expect((await h.database.db.session.findUniqueOrThrow({ where: { id: session.id } })).status).toBe('CONFIRMED');
    const agreements = await h.database.db.agreement.findMany({ where: { sessionId: session.id }, include: { template: true, parties: true } });
    const attendance = agreements.find((a) => a.template.kind === 'GROUP_ATTENDANCE');
    expect(attendance?.parties.map((p) => p.personId).sort()).toEqual([ids['specialist-2'], ids['call-handler'], ids.paramedic, ids['clinician-111']].sort());
  });
});

describe('supervisees in mandatory groups book their own session', () => {
  const proposeOwn = (key: string, fields: Record<string, unknown>) =>
    h.action(key, 'session.propose-own', { supervisorId: ids.specialist, date1: '2026-12-03', time1: '13:00', venue: 'Room 2', ...fields });

  it('gives the form with the supervisor pool and the matrix duration', async () => {
    await h.message('mh-nurse', 'book supervision');
    const card = cardOf(toPerson(h.take(), 'mh-nurse')[0]);
    const inputs = inputsOf(card.body);
    expect(Object.keys(inputs)).toEqual(['supervisorId', 'date1', 'time1', 'date2', 'time2', 'durationMinutes', 'venue', 'onlineLink']);
    expect(inputs.supervisorId.choices.map((c: any) => c.value).sort()).toEqual([ids.specialist, ids['specialist-2']].sort());
    expect(inputs.durationMinutes.value).toBe(60);
    expect(card.actions[0]).toMatchObject({ verb: 'session.propose-own' });
  });

  it('offers the specialists the external provider, and falls back to the specialists when the pool is empty', async () => {
    await h.message('specialist', 'book supervision');
    let inputs = inputsOf(cardOf(toPerson(h.take(), 'specialist')[0]).body);
    expect(inputs.supervisorId.choices.map((c: any) => c.value)).toEqual([ids['external-supervisor']]);
    expect(inputs.durationMinutes.value).toBe(60);

    const requirement = await h.database.db.supervisionRequirement.findFirstOrThrow({ where: { staffGroup: { name: 'Safeguarding Specialists' } }, include: { poolMembers: true } });
    await h.database.db.supervisorPoolMember.deleteMany({ where: { requirementId: requirement.id } });
    try {
      await h.message('specialist', 'book supervision');
      inputs = inputsOf(cardOf(toPerson(h.take(), 'specialist')[0]).body);
      expect(inputs.supervisorId.choices.map((c: any) => c.value)).toEqual([ids['specialist-2']]);
    } finally {
      await h.database.db.supervisorPoolMember.createMany({ data: requirement.poolMembers.map((m) => ({ requirementId: m.requirementId, personId: m.personId })) });
    }
  });

  it('tells someone without mandatory supervision to ask through a request', async () => {
    await h.message('paramedic', 'book supervision');
    const [reply] = toPerson(h.take(), 'paramedic');
    expect(reply!.body.text).toBe(NO_MANDATORY_SUPERVISION);
    const res = await proposeOwn('paramedic', {});
    expect(res.body.value).toBe(NO_MANDATORY_SUPERVISION);
    expect(await h.database.db.session.count({ where: { type: 'MANDATORY' } })).toBe(0);
  });

  it.each([
    // Ids are only known once the harness has started, so these two name the person to use.
    ['a supervisor outside the pool', { supervisorId: 'external-supervisor' }, /choose a supervisor from the list/],
    ['themselves as supervisor', { supervisorId: 'mh-nurse' }, /choose a supervisor from the list/],
    ['a time in the past', { date1: '2026-11-20' }, /already passed|in the past/i],
    ['a duration over three hours', { durationMinutes: '240' }, /too long/],
    ['an online link that is not https', { onlineLink: 'http://example.test/meet' }, /must start with https:\/\//],
  ])('refuses %s and books nothing', async (_name, fields, message) => {
    const resolved = { ...fields } as Record<string, unknown>;
    if (typeof resolved.supervisorId === 'string') resolved.supervisorId = ids[resolved.supervisorId];
    const res = await proposeOwn('mh-nurse', resolved);
    expect(res.body.value).toMatch(message);
    expect(await h.database.db.session.count({ where: { type: 'MANDATORY' } })).toBe(0);
  });

  it('creates a mandatory session with the supervisee alone and no request, and asks the supervisor', async () => {
    h.take();
    const res = await proposeOwn('mh-nurse', {});
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(visibleTexts(res.body.value)).toContain('Your supervision session has been proposed');
    const calls = h.take();
    const proposal = cardOf(toPerson(calls, 'specialist')[0]);
    expect(proposal.actions.map((a: any) => a.title)).toEqual(['Confirm', 'Suggest another time', 'Decline']);
    // The supervisee is told in the card they pressed and a short notice, not sent a second card.
    expect(toPerson(calls, 'mh-nurse').map((c) => [c.body.text, cardOf(c)])).toEqual([[`Session proposed to ${demoPerson('specialist').name}. You will hear when they answer.`, undefined]]);
    const session = await h.database.db.session.findFirstOrThrow({ where: { type: 'MANDATORY' }, include: { attendees: true, slots: true } });
    expect(session).toMatchObject({ requestId: null, format: 'INDIVIDUAL', capacity: 1, durationMinutes: 60, proposedById: ids['mh-nurse'], supervisorId: ids.specialist, venue: 'Room 2' });
    expect(session.attendees.map((a) => a.personId)).toEqual([ids['mh-nurse']]);
    expect(session.slots.map((s) => s.startsAt)).toEqual([new Date('2026-12-03T13:00:00Z')]);
  });

  it('books a group-format session for a group whose matrix row is a group', async () => {
    await h.action('ebs', 'session.propose-own', { supervisorId: ids['specialist-2'], date1: '2026-12-04', time1: '10:00' });
    const session = await h.database.db.session.findFirstOrThrow({ where: { type: 'MANDATORY', proposedById: ids.ebs } });
    expect(session).toMatchObject({ format: 'GROUP', capacity: 6, durationMinutes: 90 });
  });
});

describe('a supervisee proposing a session on their own request', () => {
  it("may only choose from their staff group's supervisor pool, as \"book supervision\" offers", async () => {
    const summary = 'POOL-CHECK a case I would like to talk through';
    await h.message('mh-nurse', 'hello');
    await h.action('mh-nurse', 'intake.risk', { answer: 'no' });
    await h.action('mh-nurse', 'intake.kind', { helpType: 'SESSION' });
    await h.action('mh-nurse', 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary, availability: 'weekdays' });
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { summary } });
    await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    const claimed = await h.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: request.id } });
    h.take();
    const propose = (supervisorId: string) =>
      h.action('mh-nurse', 'session.propose', {
        requestId: claimed.id,
        version: claimed.version,
        supervisorId,
        date1: '2026-12-08',
        time1: '11:00',
        durationMinutes: '60',
        venue: 'Room 2',
      });

    const before = await sessionCount();
    const outside = await propose(ids['external-supervisor']!);
    expect(outside.body.value).toMatch(/choose a supervisor from the list/);
    expect(await sessionCount()).toBe(before);

    const inPool = await propose(ids['specialist-2']!);
    expect(JSON.stringify(inPool.body)).toMatch(/Session proposed to/);
    expect(await sessionCount()).toBe(before + 1);
  });
});

describe('line managers see attendance only', () => {
  const RECORD_CONTENT = 'RECORD-CONTENT discussed the neighbour at number 12';
  const ACTION_TEXT = 'ACTION-TEXT refer the family to early help';

  beforeAll(async () => {
    // A session that took place in the spring, attended, with a signed record and an action point.
    const past = await h.database.db.session.create({
      data: {
        organisationId: h.organisationId,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'COMPLETED',
        supervisorId: ids.specialist!,
        proposedById: ids['mh-nurse']!,
        startsAt: new Date('2026-05-12T09:00:00Z'),
        endsAt: new Date('2026-05-12T10:00:00Z'),
        durationMinutes: 60,
        attendees: { create: { personId: ids['mh-nurse']!, attendance: 'ATTENDED' } },
      },
    });
    const missed = await h.database.db.session.create({
      data: {
        organisationId: h.organisationId,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'COMPLETED',
        supervisorId: ids.specialist!,
        proposedById: ids['mh-nurse']!,
        startsAt: new Date('2026-08-12T09:00:00Z'),
        endsAt: new Date('2026-08-12T10:00:00Z'),
        durationMinutes: 60,
        attendees: { create: { personId: ids['mh-nurse']!, attendance: 'DID_NOT_ATTEND' } },
      },
    });
    expect(missed.id).toBeTruthy();
    await h.database.db.supervisionRecord.create({
      data: {
        organisationId: h.organisationId,
        kind: 'SESSION',
        sessionId: past.id,
        supervisorId: ids.specialist!,
        format: 'INDIVIDUAL',
        type: 'MANDATORY',
        status: 'SIGNED',
        content: RECORD_CONTENT,
        themes: 'RECORD-THEMES',
        subjects: { create: { personId: ids['mh-nurse']! } },
        actionPoints: {
          create: { ordinal: 1, description: ACTION_TEXT, kind: 'SAFEGUARDING_REFERRAL', ownerId: ids['mh-nurse']!, dueOn: new Date('2026-05-20') },
        },
      },
    });
    h.take();
  });

  it('lists each report\'s sessions and attendance, and the mandatory cadence, with no confidential text', async () => {
    await h.message('eoc-manager', 'my team');
    const [reply] = toPerson(h.take(), 'eoc-manager');
    const card = cardOf(reply);
    const shown = visibleTexts(card);
    expect(shown).toContain('Your team: supervision attendance');
    expect(shown.join('\n')).toContain(demoPerson('mh-nurse').name);
    expect(shown.join('\n')).toContain(demoPerson('call-handler').name);
    expect(shown).toContain('Mandatory supervision: 1 of 2 sessions a year received in the last 12 months (below the matrix).');
    expect(shown).toContain('Individual · Mandatory · Completed · Attended');
    expect(shown).toContain('Individual · Mandatory · Completed · Did not attend');
    expect(shown).toContain('Group · On request · Confirmed · Attendance not recorded');
    expect(shown).toContain('12 May 2026, 10:00');

    const payload = JSON.stringify(reply!.body);
    for (const secret of ['GROUP-SUMMARY', 'RECORD-CONTENT', 'RECORD-THEMES', 'ACTION-TEXT', 'weekdays', 'Room 2']) {
      expect(payload).not.toContain(secret);
    }
    expect(textsOf(reply!.body).some((t) => t.includes(demoPerson('paramedic').name))).toBe(false); // not eoc-manager's report
  });

  it('gives someone without reports a clear answer', async () => {
    await h.message('paramedic', 'my team');
    const [reply] = toPerson(h.take(), 'paramedic');
    expect(reply!.body.text).toBe(NO_REPORTS);
  });

  it('lists the new commands in the personal help of whoever can use them', async () => {
    // The help card lists what this person can do: a line manager has "my team", a paramedic
    // with no reports does not.
    await h.message('paramedic', 'help');
    const staff = visibleTexts(cardOf(toPerson(h.take(), 'paramedic')[0])).join('\n');
    expect(staff).toContain('What I can do for you');
    expect(staff).not.toContain('my team');
    await h.message('ops-manager', 'help');
    const manager = visibleTexts(cardOf(toPerson(h.take(), 'ops-manager')[0])).join('\n');
    expect(manager).toContain('my team');
  });
});
