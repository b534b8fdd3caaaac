// The person's own page (Slack Home tab): their requests, sessions and open action points,
// built from a seeded database, never anyone else's and never any confidential text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { cardToBlocks } from '../../src/channels/slack/block-kit.js';
import type { Db } from '../../src/db/client.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import { buildAppHome } from '../../src/flows/app-home.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Tuesday 10 March 2026, noon in London (GMT: British Summer Time starts on 29 March). */
const NOW = new Date('2026-03-10T12:00:00Z');

/** Text that must never reach the card: request and record content. */
const SECRETS = ['SECRET-SUMMARY', 'SECRET-AVAILABILITY', 'SECRET-ADJUSTMENTS', 'SECRET-RECORD', 'SECRET-THEMES', 'SECRET-VENUE'];

let t: TestDatabase;
let db: Db;
let organisationId: string;
const ids = new Map<string, string>();

function id(key: string): string {
  const found = ids.get(key);
  if (!found) throw new Error(`no id for ${key}`);
  return found;
}

const md = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
const section = (text: string) => ({ type: 'section', text: md(text) });
const fields = (...pairs: Array<[string, string]>) => ({
  type: 'section',
  fields: pairs.map(([title, value]) => md(`*${title}*\n${value}`)),
});
const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text, emoji: true } });
const context = (text: string) => ({ type: 'context', elements: [md(text)] });
const divider = { type: 'divider' };
const startButton = {
  type: 'actions',
  elements: [
    {
      type: 'button',
      action_id: 'intake.start',
      text: { type: 'plain_text', text: 'Start a new request' },
      value: '{}',
      style: 'primary',
    },
  ],
};

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  ({ organisationId } = await seedDemoOrganisation(db));
  const people = await db.person.findMany({ where: { organisationId }, select: { id: true, email: true } });
  for (const key of ['paramedic', 'call-handler', 'ebs', 'mh-nurse', 'specialist', 'specialist-2']) {
    const person = people.find((p) => p.email === demoPerson(key).email);
    if (!person) throw new Error(`demo person ${key} not seeded`);
    ids.set(key, person.id);
  }

  // Requests: two of the paramedic's, one of the call handler's.
  const request = {
    organisationId,
    platform: 'SLACK' as const,
    immediateRisk: false,
    urgency: 'ROUTINE' as const,
    summary: 'SECRET-SUMMARY: crew attended a child with unexplained bruising',
    availability: 'SECRET-AVAILABILITY: Tuesday afternoons',
    adjustments: 'SECRET-ADJUSTMENTS: video call please',
  };
  await db.supervisionRequest.createMany({
    data: [
      {
        ...request,
        reference: 'SGS-2026-0001',
        requesterId: id('paramedic'),
        route: 'ADVICE',
        helpType: 'ADVICE',
        status: 'CLOSED',
        outcome: 'ADVICE_GIVEN',
        claimedById: id('specialist'),
        claimedAt: new Date('2026-03-02T10:00:00Z'),
        closedById: id('specialist'),
        closedAt: new Date('2026-03-03T10:00:00Z'),
        createdAt: new Date('2026-03-02T09:15:00Z'),
      },
      {
        ...request,
        reference: 'SGS-2026-0002',
        requesterId: id('paramedic'),
        route: 'SUPERVISION',
        helpType: 'SESSION',
        format: 'INDIVIDUAL',
        status: 'OPEN',
        createdAt: new Date('2026-03-09T16:40:00Z'),
      },
      {
        ...request,
        reference: 'SGS-2026-0003',
        requesterId: id('call-handler'),
        route: 'ADVICE',
        helpType: 'ADVICE',
        status: 'CLAIMED',
        claimedById: id('specialist-2'),
        createdAt: new Date('2026-03-10T08:00:00Z'),
      },
    ],
  });

  // Sessions.
  const session = { organisationId, type: 'ON_REQUEST' as const, venue: 'SECRET-VENUE room 5', durationMinutes: 90 };
  await db.session.create({
    data: {
      ...session,
      format: 'INDIVIDUAL',
      status: 'CONFIRMED',
      supervisorId: id('specialist'),
      proposedById: id('specialist'),
      // 10:00 to 11:30 British Summer Time.
      startsAt: new Date('2026-04-02T09:00:00Z'),
      endsAt: new Date('2026-04-02T10:30:00Z'),
      attendees: { create: [{ personId: id('paramedic') }] },
    },
  });
  const completed = await db.session.create({
    data: {
      ...session,
      format: 'INDIVIDUAL',
      status: 'COMPLETED',
      supervisorId: id('specialist'),
      proposedById: id('specialist'),
      startsAt: new Date('2026-02-10T14:00:00Z'),
      endsAt: new Date('2026-02-10T15:00:00Z'),
      durationMinutes: 60,
      attendees: { create: [{ personId: id('paramedic'), attendance: 'ATTENDED' }] },
    },
  });
  await db.session.create({
    data: {
      ...session,
      format: 'GROUP',
      status: 'PROPOSED',
      supervisorId: id('specialist-2'),
      proposedById: id('specialist-2'),
      capacity: 6,
      attendees: { create: [{ personId: id('paramedic') }, { personId: id('call-handler') }] },
      slots: { create: [{ startsAt: new Date('2026-03-20T13:00:00Z'), endsAt: new Date('2026-03-20T14:30:00Z') }] },
    },
  });
  await db.session.create({
    data: {
      ...session,
      format: 'INDIVIDUAL',
      status: 'CONFIRMED',
      supervisorId: id('specialist-2'),
      proposedById: id('specialist-2'),
      startsAt: new Date('2026-03-12T10:00:00Z'),
      endsAt: new Date('2026-03-12T11:30:00Z'),
      attendees: { create: [{ personId: id('call-handler') }] },
    },
  });

  // The completed session's record, with action points for the paramedic and the specialist.
  await db.supervisionRecord.create({
    data: {
      organisationId,
      kind: 'SESSION',
      sessionId: completed.id,
      supervisorId: id('specialist'),
      format: 'INDIVIDUAL',
      type: 'ON_REQUEST',
      status: 'SIGNED',
      content: 'SECRET-RECORD: what was discussed',
      themes: 'SECRET-THEMES: neglect',
      subjects: { create: [{ personId: id('paramedic') }] },
      actionPoints: {
        create: [
          { ordinal: 1, description: 'Complete the level 3 safeguarding refresher', kind: 'TRAINING_NEED', ownerId: id('paramedic'), dueOn: new Date('2026-03-31') },
          { ordinal: 2, description: 'Ask the line manager about a hot debrief', kind: 'SEEK_FURTHER_GUIDANCE', ownerId: id('paramedic'), dueOn: new Date('2026-03-01') },
          { ordinal: 3, description: 'Book the follow-up session', kind: 'FOLLOW_UP_SUPERVISION', ownerId: id('paramedic'), dueOn: new Date('2026-03-10') },
          {
            ordinal: 4,
            description: 'Read the neglect toolkit',
            kind: 'TRAINING_NEED',
            ownerId: id('paramedic'),
            dueOn: new Date('2026-02-20'),
            status: 'DONE',
            doneAt: new Date('2026-02-19T12:00:00Z'),
            doneById: id('paramedic'),
          },
          { ordinal: 5, description: 'Send the supervisee the referral guidance', kind: 'SIGNPOSTED_TO_SUPPORT', ownerId: id('specialist'), dueOn: new Date('2026-03-13') },
        ],
      },
    },
  });
});

afterAll(async () => {
  await t?.drop();
});

describe('buildAppHome', () => {
  it('gives a person with nothing yet the three empty-state lines', async () => {
    const card = await buildAppHome(db, id('ebs'), NOW);
    expect(card).toEqual({
      template: 'app-home',
      data: {
        updated: 'Updated Tue 10 Mar 2026, 12:00. Only you can see this.',
        requests: [],
        sessions: [],
        actionPoints: [],
      },
    });
    expect(cardToBlocks(renderAdaptiveCard(card), 'home')).toEqual({
      text: 'Your safeguarding supervision',
      blocks: [
        header('Your safeguarding supervision'),
        context('Updated Tue 10 Mar 2026, 12:00. Only you can see this.'),
        divider,
        section('*My requests*'),
        section('You have not made any requests yet.'),
        divider,
        section('*My sessions*'),
        section('You have no supervision sessions yet.'),
        divider,
        section('*My action points*'),
        section('You have no open action points.'),
        startButton,
      ],
    });
  });

  it("lists the person's requests, sessions and open action points with their facts formatted in the person's zone", async () => {
    const card = await buildAppHome(db, id('paramedic'), NOW);
    expect(card).toEqual({
      template: 'app-home',
      data: {
        updated: 'Updated Tue 10 Mar 2026, 12:00. Only you can see this.',
        requests: [
          { reference: 'SGS-2026-0002', status: 'Waiting to be claimed', asked: 'Mon 9 Mar 2026, 16:40', claimedBy: 'Not yet claimed' },
          { reference: 'SGS-2026-0001', status: 'Closed', asked: 'Mon 2 Mar 2026, 09:15', claimedBy: 'Chris Fictionby' },
        ],
        sessions: [
          // Upcoming first, soonest first (a session with no time agreed yet last among them), then the rest.
          { when: 'Thu 2 Apr 2026, 10:00 to 11:30', format: 'Individual', supervisor: 'Chris Fictionby', status: 'Confirmed' },
          { when: 'Time not agreed yet', format: 'Group', supervisor: 'Taylor Placeholder', status: 'Proposed' },
          { when: 'Tue 10 Feb 2026, 14:00 to 15:00', format: 'Individual', supervisor: 'Chris Fictionby', status: 'Completed' },
        ],
        actionPoints: [
          { description: 'Ask the line manager about a hot debrief', due: 'Sun 1 Mar 2026', status: 'Overdue' },
          { description: 'Book the follow-up session', due: 'Tue 10 Mar 2026', status: 'Due today' },
          { description: 'Complete the level 3 safeguarding refresher', due: 'Tue 31 Mar 2026', status: 'Open' },
        ],
      },
    });

    const rendered = renderAdaptiveCard(card);
    const json = JSON.stringify(rendered);
    for (const secret of SECRETS) expect(json).not.toContain(secret);
    // Another person's request, session and action point never appear.
    expect(json).not.toContain('SGS-2026-0003');
    expect(json).not.toContain('Thu 12 Mar 2026');
    expect(json).not.toContain('Send the supervisee the referral guidance');
    expect(json).not.toContain('Read the neglect toolkit'); // done, so not open

    expect(cardToBlocks(rendered, 'home')).toEqual({
      text: 'Your safeguarding supervision',
      blocks: [
        header('Your safeguarding supervision'),
        context('Updated Tue 10 Mar 2026, 12:00. Only you can see this.'),
        divider,
        section('*My requests*'),
        fields(['Reference', 'SGS-2026-0002'], ['Status', 'Waiting to be claimed'], ['Asked', 'Mon 9 Mar 2026, 16:40'], ['Claimed by', 'Not yet claimed']),
        fields(['Reference', 'SGS-2026-0001'], ['Status', 'Closed'], ['Asked', 'Mon 2 Mar 2026, 09:15'], ['Claimed by', 'Chris Fictionby']),
        divider,
        section('*My sessions*'),
        fields(['When', 'Thu 2 Apr 2026, 10:00 to 11:30'], ['Format', 'Individual'], ['Supervisor', 'Chris Fictionby'], ['Status', 'Confirmed']),
        fields(['When', 'Time not agreed yet'], ['Format', 'Group'], ['Supervisor', 'Taylor Placeholder'], ['Status', 'Proposed']),
        fields(['When', 'Tue 10 Feb 2026, 14:00 to 15:00'], ['Format', 'Individual'], ['Supervisor', 'Chris Fictionby'], ['Status', 'Completed']),
        divider,
        section('*My action points*'),
        fields(['Action', 'Ask the line manager about a hot debrief'], ['Due', 'Sun 1 Mar 2026'], ['Status', 'Overdue']),
        fields(['Action', 'Book the follow-up session'], ['Due', 'Tue 10 Mar 2026'], ['Status', 'Due today']),
        fields(['Action', 'Complete the level 3 safeguarding refresher'], ['Due', 'Tue 31 Mar 2026'], ['Status', 'Open']),
        startButton,
      ],
    });
  });

  it("shows another person only their own requests and sessions, never the paramedic's", async () => {
    const card = await buildAppHome(db, id('call-handler'), NOW);
    expect(card.data).toEqual({
      updated: 'Updated Tue 10 Mar 2026, 12:00. Only you can see this.',
      requests: [{ reference: 'SGS-2026-0003', status: 'Claimed', asked: 'Tue 10 Mar 2026, 08:00', claimedBy: 'Taylor Placeholder' }],
      sessions: [
        { when: 'Thu 12 Mar 2026, 10:00 to 11:30', format: 'Individual', supervisor: 'Taylor Placeholder', status: 'Confirmed' },
        { when: 'Time not agreed yet', format: 'Group', supervisor: 'Taylor Placeholder', status: 'Proposed' },
      ],
      actionPoints: [],
    });
    const json = JSON.stringify(renderAdaptiveCard(card));
    for (const text of ['SGS-2026-0001', 'SGS-2026-0002', 'Thu 2 Apr 2026', 'Tue 10 Feb 2026', 'refresher', 'hot debrief', ...SECRETS]) {
      expect(json).not.toContain(text);
    }
  });

  it('shows a supervisor the sessions they supervise, as "You", and their own action points', async () => {
    const card = await buildAppHome(db, id('specialist'), NOW);
    expect(card.data).toEqual({
      updated: 'Updated Tue 10 Mar 2026, 12:00. Only you can see this.',
      requests: [],
      sessions: [
        { when: 'Thu 2 Apr 2026, 10:00 to 11:30', format: 'Individual', supervisor: 'You', status: 'Confirmed' },
        { when: 'Tue 10 Feb 2026, 14:00 to 15:00', format: 'Individual', supervisor: 'You', status: 'Completed' },
      ],
      actionPoints: [{ description: 'Send the supervisee the referral guidance', due: 'Fri 13 Mar 2026', status: 'Open' }],
    });
  });

  it("uses the person's own time zone when they have one; due dates stay calendar dates", async () => {
    await db.person.update({ where: { id: id('paramedic') }, data: { timeZone: 'America/New_York' } });
    try {
      const card = await buildAppHome(db, id('paramedic'), NOW);
      const data = card.data as {
        updated: string;
        requests: Array<{ asked: string }>;
        sessions: Array<{ when: string }>;
        actionPoints: Array<{ due: string; status: string }>;
      };
      // New York is on daylight saving time (UTC-4) from 8 March 2026.
      expect(data.updated).toBe('Updated Tue 10 Mar 2026, 08:00. Only you can see this.');
      expect(data.requests.map((r) => r.asked)).toEqual(['Mon 9 Mar 2026, 12:40', 'Mon 2 Mar 2026, 04:15']);
      expect(data.sessions.map((s) => s.when)).toEqual([
        'Thu 2 Apr 2026, 05:00 to 06:30',
        'Time not agreed yet',
        'Tue 10 Feb 2026, 09:00 to 10:00',
      ]);
      expect(data.actionPoints.map((a) => [a.due, a.status])).toEqual([
        ['Sun 1 Mar 2026', 'Overdue'],
        ['Tue 10 Mar 2026', 'Due today'],
        ['Tue 31 Mar 2026', 'Open'],
      ]);
    } finally {
      await db.person.update({ where: { id: id('paramedic') }, data: { timeZone: null } });
    }
  });

  it('lists at most the ten newest requests', async () => {
    await db.supervisionRequest.createMany({
      data: Array.from({ length: 12 }, (_, i) => ({
        organisationId,
        reference: `SGS-2026-${String(100 + i).padStart(4, '0')}`,
        requesterId: id('mh-nurse'),
        platform: 'TEAMS' as const,
        immediateRisk: false,
        urgency: 'ROUTINE' as const,
        route: 'ADVICE' as const,
        createdAt: new Date(Date.UTC(2026, 0, 1 + i, 9, 0)),
      })),
    });
    const card = await buildAppHome(db, id('mh-nurse'), NOW);
    const requests = (card.data as { requests: Array<{ reference: string; asked: string }> }).requests;
    expect(requests.map((r) => r.reference)).toEqual(Array.from({ length: 10 }, (_, i) => `SGS-2026-${String(111 - i).padStart(4, '0')}`));
    expect(requests[0]!.asked).toBe('Mon 12 Jan 2026, 09:00');
  });

  it('refuses an unknown person', async () => {
    await expect(buildAppHome(db, '00000000-0000-4000-8000-000000000000', NOW)).rejects.toThrow(/no person/);
  });
});
