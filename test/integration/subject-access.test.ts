// Subject-access export on Teams over real HTTP: the Head of Safeguarding types
// "subject access <e-mail>" and gets a signed link to a JSON file holding everything the bot
// has about that person (profile, requests, sessions and attendance, agreements and
// signatures, records with content, action points, reminders, audit events) and nothing of
// anyone else's; everyone else is refused with one answer whether or not the person exists;
// the export and each record read are audited with counts only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { cardOf, httpRequest, personalConversationId, startTeamsHarness, visibleTexts, type ConnectorCall, type TeamsHarness } from '../support/teams-harness.js';

let h: TeamsHarness;
const ids: Record<string, string> = {};
const MARK = {
  paramedicSummary: 'PARAMEDIC-SUMMARY a child with bruising on a job',
  otherSummary: 'CALLHANDLER-SUMMARY a call that still bothers me',
  ownRecord: 'PARAMEDIC-RECORD-CONTENT talked through the referral',
  groupRecord: 'GROUP-RECORD-CONTENT the group discussed thresholds',
  otherRecord: 'CALLHANDLER-RECORD-CONTENT private to the call handler',
  ownAction: 'PARAMEDIC-ACTION read the referral guidance',
  otherAction: 'CALLHANDLER-ACTION book the staff support session',
};
const REFUSAL = "Only the Head of Safeguarding can export a person's data for a subject-access request.";

const personalPath = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
const toPerson = (calls: ConnectorCall[], key: string) => calls.filter((c) => c.path.startsWith(personalPath(key)));
const textsTo = (calls: ConnectorCall[], key: string) => toPerson(calls, key).map((c) => c.body.text).filter((t): t is string => typeof t === 'string');

async function say(key: string, text: string) {
  h.take();
  const res = await h.message(key, text);
  expect(res.status).toBe(200);
  const calls = h.take();
  return { texts: textsTo(calls, key), cards: toPerson(calls, key).map(cardOf).filter(Boolean) };
}

async function makeRequest(key: string, summary: string) {
  await h.message(key, 'new request');
  await h.action(key, 'intake.risk', { answer: 'no' });
  await h.action(key, 'intake.kind', { helpType: 'SESSION' });
  await h.action(key, 'intake.details', { acknowledged: 'no', format: 'INDIVIDUAL', summary, availability: 'weekday mornings' });
  return h.database.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: ids[key] }, orderBy: { createdAt: 'desc' } });
}

async function signedRecord(subjectKeys: string[], content: string, action: { owner: string; description: string }, sessionId: string | null) {
  const db = h.database.db;
  return db.supervisionRecord.create({
    data: {
      organisationId: h.organisationId,
      kind: 'SESSION',
      sessionId,
      supervisorId: ids.specialist!,
      format: subjectKeys.length > 1 ? 'GROUP' : 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'SIGNED',
      content,
      completedAt: h.clock.now(),
      subjects: { create: subjectKeys.map((k) => ({ personId: ids[k]! })) },
      signatures: { create: [...subjectKeys, 'specialist'].map((k) => ({ personId: ids[k]!, signedVersion: 1, platform: 'TEAMS' as const })) },
      actionPoints: { create: [{ ordinal: 1, description: action.description, kind: 'TRAINING_NEED', ownerId: ids[action.owner]!, dueOn: new Date('2026-12-01') }] },
    },
  });
}

let exportFile: any;
let exportText = '';

beforeAll(async () => {
  h = await startTeamsHarness(); // Monday 23 November 2026, 10:00 London
  const db = h.database.db;
  for (const key of ['paramedic', 'call-handler', 'specialist', 'head', 'admin', 'ops-manager', 'external-supervisor']) {
    ids[key] = (await db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } })).id;
  }
  await h.message('admin', 'bind triage', 'channel');
  for (const key of ['specialist', 'head', 'admin', 'ops-manager', 'external-supervisor']) await h.message(key, 'help');

  const own = await makeRequest('paramedic', MARK.paramedicSummary);
  await makeRequest('call-handler', MARK.otherSummary);
  await h.action('specialist', 'request.claim', { requestId: own.id, version: own.version }, 'channel');

  const template = await db.agreementTemplate.findFirstOrThrow({ where: { organisationId: h.organisationId, kind: 'INDIVIDUAL' } });
  const session = await db.session.create({
    data: {
      organisationId: h.organisationId,
      requestId: own.id,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'COMPLETED',
      supervisorId: ids.specialist!,
      proposedById: ids.specialist!,
      startsAt: new Date('2026-11-20T10:00:00Z'),
      endsAt: new Date('2026-11-20T11:00:00Z'),
      durationMinutes: 60,
      venue: 'Room 4, Waterloo',
      attendees: { create: [{ personId: ids.paramedic!, attendance: 'ATTENDED' }] },
    },
  });
  await db.agreement.create({
    data: {
      templateId: template.id,
      sessionId: session.id,
      supervisorId: ids.specialist!,
      status: 'SIGNED',
      parties: { create: [{ personId: ids.paramedic! }] },
      signatures: { create: [{ personId: ids.paramedic!, signedVersion: template.version, platform: 'TEAMS' }] },
    },
  });
  await signedRecord(['paramedic'], MARK.ownRecord, { owner: 'paramedic', description: MARK.ownAction }, session.id);
  await signedRecord(['paramedic', 'call-handler'], MARK.groupRecord, { owner: 'specialist', description: 'supervisor follows up with the group' }, null);
  await signedRecord(['call-handler'], MARK.otherRecord, { owner: 'call-handler', description: MARK.otherAction }, null);
  for (const key of ['paramedic', 'call-handler']) {
    await db.reminder.create({
      data: {
        organisationId: h.organisationId,
        kind: 'SESSION_DAY_BEFORE',
        subjectType: 'Session',
        subjectId: session.id,
        recipientKey: `person:${ids[key]}`,
        recipientId: ids[key]!,
        dueAt: new Date('2026-11-19T10:00:00Z'),
        sendAt: new Date('2026-11-19T10:00:00Z'),
        status: 'SENT',
        platform: 'TEAMS',
      },
    });
  }
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('the Head of Safeguarding', () => {
  it('gets a download link made for them alone, and the file it serves', async () => {
    const { texts, cards } = await say('head', `subject access ${demoPerson('paramedic').email.toUpperCase()}`);
    expect(texts.some((t) => t.startsWith(`Subject-access export for ${demoPerson('paramedic').name}: 1 requests, 1 sessions, 2 records`))).toBe(true);
    const card = cards.find((c) => JSON.stringify(c).includes('Subject-access export'));
    expect(visibleTexts(card)).toContain(`Subject-access export: ${demoPerson('paramedic').name}`);
    const link = card.actions.find((a: any) => a.type === 'Action.OpenUrl').url as string;
    const download = await httpRequest(`${h.url}${new URL(link).pathname}`, 'GET');
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toMatch(/^application\/json/);
    exportText = download.text;
    exportFile = JSON.parse(download.text);
  });

  it('covers the profile, requests, sessions, agreements, signatures, records with content, action points, reminders, messages and audit events', () => {
    const paramedic = demoPerson('paramedic');
    expect(exportFile.subjectAccessExport.about).toEqual({ name: paramedic.name, email: paramedic.email });
    expect(exportFile.person).toMatchObject({ name: paramedic.name, email: paramedic.email, roles: ['STAFF'], active: true });
    expect(exportFile.platformIdentities).toEqual([expect.objectContaining({ platform: 'TEAMS', platformUserId: paramedic.aadObjectId })]);
    expect(exportFile.requests).toHaveLength(1);
    expect(exportFile.requests[0]).toMatchObject({ summary: MARK.paramedicSummary, claimedBy: demoPerson('specialist').name, availability: 'weekday mornings' });
    expect(exportFile.sessions).toEqual([expect.objectContaining({ relation: ['supervisee'], attendance: 'ATTENDED', venue: 'Room 4, Waterloo', request: exportFile.requests[0].reference })]);
    expect(exportFile.agreements).toEqual([expect.objectContaining({ relation: 'party', status: 'SIGNED', kind: 'INDIVIDUAL' })]);
    expect(exportFile.agreements[0].text.length).toBeGreaterThan(50);
    expect(exportFile.signatures.map((s: any) => s.on).sort()).toEqual(['agreement', 'record', 'record']);
    expect(exportFile.records.map((r: any) => r.content).sort()).toEqual([MARK.groupRecord, MARK.ownRecord].sort());
    expect(exportFile.records.find((r: any) => r.content === MARK.groupRecord)).toMatchObject({ relation: 'subject', otherSubjects: 1 });
    expect(exportFile.actionPoints).toEqual([expect.objectContaining({ description: MARK.ownAction, kind: 'TRAINING_NEED', status: 'OPEN' })]);
    expect(exportFile.reminders).toEqual([expect.objectContaining({ kind: 'SESSION_DAY_BEFORE', status: 'SENT' })]);
    // What the bot told them: the claimed notice in full; cards by name only.
    expect(exportFile.messages).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'person', status: 'SENT', text: expect.stringContaining(`has picked up your request ${exportFile.requests[0].reference}`) })]),
    );
    expect(exportFile.messages.every((m: any) => m.card === null || (typeof m.card === 'string' && !('data' in m)))).toBe(true);
    const actions = exportFile.auditEvents.map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['request.created', 'request.claimed']));
    expect(exportFile.auditEvents.every((e: any) => typeof e.at === 'string' && typeof e.actor === 'string')).toBe(true);
    expect(exportFile.counts).toEqual({
      requests: 1,
      sessions: 1,
      agreements: 1,
      signatures: 3,
      records: 2,
      actionPoints: 1,
      reminders: 1,
      messages: exportFile.messages.length,
      auditEvents: exportFile.auditEvents.length,
    });
  });

  it("holds nothing of anyone else's data", () => {
    const other = demoPerson('call-handler');
    for (const text of [MARK.otherSummary, MARK.otherRecord, MARK.otherAction, other.name, other.email, other.aadObjectId, ids['call-handler']!]) {
      expect(exportText).not.toContain(text);
    }
  });

  it('is audited with counts only, and each record it holds as a read', async () => {
    const db = h.database.db;
    const entry = await db.auditEvent.findFirstOrThrow({ where: { action: 'sar.export' } });
    expect(entry).toMatchObject({ actorId: ids.head, subjectType: 'person', subjectId: ids.paramedic, platform: 'TEAMS' });
    expect(entry.detail).toMatchObject({ ...exportFile.counts, bytes: expect.any(Number) });
    expect(JSON.stringify(entry.detail)).not.toMatch(/PARAMEDIC|GROUP-RECORD|@/);
    const reads = await db.auditEvent.findMany({ where: { action: 'record.read', detail: { path: ['part'], equals: 'sar' } } });
    expect(reads.map((r) => r.subjectId).sort()).toEqual(exportFile.records.map((r: any) => r.id).sort());
  });

  it('is told clearly when nobody has that e-mail, and nothing is exported', async () => {
    const before = await h.database.db.auditEvent.count({ where: { action: 'sar.export' } });
    const { texts, cards } = await say('head', 'subject access nobody@nhs.example');
    expect(texts).toContain("I can't find anyone with the e-mail nobody@nhs.example in the staff directory, so I hold nothing about them under that address.");
    expect(cards).toHaveLength(0);
    expect(await h.database.db.auditEvent.count({ where: { action: 'sar.export' } })).toBe(before);
  });

  it('is shown how to ask when the e-mail is missing or malformed', async () => {
    for (const text of ['subject access', 'subject access jane.doe']) {
      const { texts } = await say('head', text);
      expect(texts).toContain('Type "subject access" followed by the person\'s e-mail address, for example "subject access jane.doe@nhs.example".');
    }
  });
});

describe('everyone else', () => {
  it.each(['specialist', 'paramedic', 'admin', 'ops-manager', 'external-supervisor'])(
    '%s is refused with the same answer whether or not the person exists, and nothing is exported',
    async (key) => {
      const db = h.database.db;
      const otherAudit = { action: { not: 'read.refused' } };
      const before = { audit: await db.auditEvent.count({ where: otherAudit }), files: await db.exportFile.count() };
      const since = (await db.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0n;
      for (const email of [demoPerson('call-handler').email, 'nobody@nhs.example']) {
        const { texts, cards } = await say(key, `subject access ${email}`);
        expect(texts).toEqual([REFUSAL]);
        expect(cards).toHaveLength(0);
      }
      expect({ audit: await db.auditEvent.count({ where: otherAudit }), files: await db.exportFile.count() }).toEqual(before);
      // Both attempts are on the audit log as refused reads by this person (the unknown address as "unknown").
      const refused = await db.auditEvent.findMany({ where: { id: { gt: since } }, orderBy: { id: 'asc' } });
      expect(refused.map((e) => [e.action, e.actorId, e.subjectType, e.subjectId])).toEqual([
        ['read.refused', ids[key], 'person', ids['call-handler']],
        ['read.refused', ids[key], 'person', 'unknown'],
      ]);
    },
  );

  it('starts an ordinary request when a message only begins like the command', async () => {
    const { texts, cards } = await say('clinician-111', 'sar help me with a case');
    expect(texts).not.toContain(REFUSAL);
    expect(JSON.stringify(cards)).toContain('intake.risk');
    await say('clinician-111', 'cancel');
  });
});
