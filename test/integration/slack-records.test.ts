// Action points on Slack through real signed requests: "my actions" lists the owner's open
// action points, "Mark done" opens a modal for an optional note, and submitting it marks the
// point done and tells the supervisor. (The record itself is set up in the database; the
// Teams test drives writing and signing it.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { dmChannel, startSlackHarness, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

let h: SlackHarness;
let pointId = '';
const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
const buttons = (blocks: any[]) => blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
const postedTo = (calls: SlackCall[], key: string) => named(calls, 'chat.postMessage').filter((p) => p.args.channel === dmChannel(key));

beforeAll(async () => {
  h = await startSlackHarness();
  const db = h.database.db;
  const org = await db.organisation.findFirstOrThrow();
  const person = (key: string) => db.person.findFirstOrThrow({ where: { email: demoPerson(key).email } });
  const supervisee = await person('paramedic');
  const supervisor = await person('specialist-2');
  const session = await db.session.create({
    data: {
      organisationId: org.id,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'COMPLETED',
      supervisorId: supervisor.id,
      proposedById: supervisor.id,
      startsAt: new Date('2026-11-20T10:00:00Z'),
      endsAt: new Date('2026-11-20T11:00:00Z'),
      durationMinutes: 60,
      attendees: { create: { personId: supervisee.id, attendance: 'ATTENDED' } },
    },
  });
  const record = await db.supervisionRecord.create({
    data: {
      organisationId: org.id,
      kind: 'SESSION',
      sessionId: session.id,
      supervisorId: supervisor.id,
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'SIGNED',
      version: 2,
      subjects: { create: { personId: supervisee.id } },
      actionPoints: {
        create: { ordinal: 1, description: 'Read the neglect toolkit', kind: 'TRAINING_NEED', ownerId: supervisee.id, dueOn: new Date('2026-12-04T00:00:00Z') },
      },
    },
    include: { actionPoints: true },
  });
  pointId = record.actionPoints[0]!.id;
});
afterAll(async () => {
  await h.close();
});

describe('action points on Slack', () => {
  it('lists "my actions" and marks one done through the Mark done modal, telling the supervisor', async () => {
    await h.dm('paramedic', 'my actions');
    const listed = await h.until((c) => postedTo(c, 'paramedic').length === 2);
    const card = postedTo(listed, 'paramedic').find((p) => JSON.stringify(p.args.blocks ?? []).includes('Read the neglect toolkit'))!;
    const open = buttons(card.args.blocks).find((b: any) => b.action_id.startsWith('card.open:action-point.done'));
    expect(open.text.text).toBe('Mark done');

    h.take();
    await h.press('paramedic', open.action_id, JSON.parse(open.value), { channel: dmChannel('paramedic'), ts: '3.3' });
    const [modal] = named(await h.until((c) => named(c, 'views.open').length === 1), 'views.open');
    const view = modal!.args.view;
    expect(view.blocks.filter((b: any) => b.type === 'input').map((b: any) => b.block_id)).toEqual(['note']);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ verb: 'action-point.done', data: { actionPointId: pointId } });

    await h.submit('paramedic', view.private_metadata, { note: 'Read it on my break' });
    const done = await h.until((c) => postedTo(c, 'specialist-2').length === 1);
    expect(JSON.stringify(postedTo(done, 'specialist-2')[0]!.args.blocks)).toContain(`${demoPerson('paramedic').name} marked an action point done`);
    const stored = await h.database.db.actionPoint.findUniqueOrThrow({ where: { id: pointId } });
    expect(stored).toMatchObject({ status: 'DONE', doneNote: 'Read it on my break' });
    expect(await h.database.db.auditEvent.count({ where: { action: 'action-point.done', subjectId: pointId, platform: 'SLACK' } })).toBe(1);
  });
});
