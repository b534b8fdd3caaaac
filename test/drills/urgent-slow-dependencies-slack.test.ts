// Urgent help on Slack when a dependency is slow rather than down (issue 22), as
// urgent-slow-dependencies.test.ts drills it on Teams: the requests table locked for 30 s, the
// main connection pool used up by other work, Redis cut, and the triage channel answering after
// 90 s. Slack acknowledges an event before the turn runs, so the routes reach the person as a
// message in their DM; afterwards each urgent request exists once, the triage channel got its
// URGENT card once, and each person was told.
//
// The bot as a web process builds it (main.ts): its PostgreSQL and Redis behind TCP proxies
// (urgent-rig.ts), the turns' limits, a pool of its own for urgent turns, a spool on disk. The
// organisation works in Slack only: its triage channel is a Slack channel. Slack's Web API is
// intercepted with nock (every call kept, a channel's answers can be slowed); a test worker
// polls due messages as the worker role would, so a message tried twice would show.
import { randomBytes } from 'node:crypto';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAYBE_URGENT_SLOW_TEXT, URGENT_SLOW_TEXT } from '../../src/flows/urgent-turn.js';
import { keptReference, LINE_24_7, lockTable, pollDueMessages, startSlackWeb, startUrgentRig, type SlackDmUser, type SlackWeb, type UrgentRig } from '../support/urgent-rig.js';
import { waitFor } from '../support/wait.js';

const TEAM = 'T0SLOWDEPS';
const SECRET = 'slow-deps-signing-secret-0123456789abcdef';
const TRIAGE = 'C0SLOWTRIAGE';
const ADMIN = 'U0SLOWADMIN';
// Marks this file's sleeping queries, so counting them does not count another file's.
const SLEEP_SQL = 'SELECT pg_sleep(5) /* urgent-slack-drill */';

interface SlackPerson extends SlackDmUser {
  personId: string;
}

let rig: UrgentRig;
let web: SlackWeb;
let bot: SlackWeb['bot'];
let stopWorker = () => {};
/** Every chat.postMessage, kept when Slack received it (before any slowness). */
const posts: Array<{ channel: string; text: string }> = [];
const slowChannels = new Map<string, number>();
let ts = 0;

beforeAll(async () => {
  rig = await startUrgentRig({ triage: '19:unused-teams-triage@thread.tacv2' });
  const { db } = rig.database;
  const organisation = await db.organisation.findFirstOrThrow();
  await db.organisation.update({ where: { id: organisation.id }, data: { slackTeamId: TEAM } });
  // Slack only: the rig's Teams triage channel goes; an administrator binds a Slack one (below).
  await db.triageChannel.deleteMany({});
  const admin = await rig.user('admin');
  await db.platformIdentity.create({ data: { personId: admin.personId, platform: 'SLACK', tenantId: TEAM, platformUserId: ADMIN } });

  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  nock('https://slack.com')
    .persist()
    .post(/\/api\/.+/)
    .reply(async (req: Request) => {
      const raw = await req.text();
      const args: Record<string, unknown> = (req.headers.get('content-type') ?? '').includes('json') ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw));
      const channel = String(args.channel);
      if (req.url.endsWith('chat.postMessage')) posts.push({ channel, text: `${String(args.text ?? '')}\n${typeof args.blocks === 'string' ? args.blocks : JSON.stringify(args.blocks ?? '')}` });
      if (req.url.endsWith('conversations.open')) return [200, { ok: true, channel: { id: `D${String(args.users).slice(1)}` } }] as const;
      const slow = slowChannels.get(channel) ?? 0;
      if (slow > 0) await new Promise((resolve) => setTimeout(resolve, slow));
      // Slack's ts is unique in a channel (two posts in one millisecond included).
      ts += 1;
      return [200, { ok: true, channel, ts: `1796000000.${String(ts).padStart(6, '0')}` }] as const;
    });
  nock('https://hooks.slack.com').persist().post(/\/commands\/.+/).reply(200, 'ok');

  web = await startSlackWeb(rig, { secret: SECRET, team: TEAM });
  bot = web.bot;
  const bind = new URLSearchParams({
    team_id: TEAM,
    channel_id: TRIAGE,
    channel_name: 'safeguarding-triage',
    user_id: ADMIN,
    user_name: 'admin',
    command: '/supervision',
    text: 'bind triage',
    api_app_id: 'A0SLOWDEPS',
    response_url: `https://hooks.slack.com/commands/${TEAM}/1/bind`,
    trigger_id: 'trigger-bind',
  });
  expect(await web.signed(bind.toString(), 'application/x-www-form-urlencoded')).toBe(200);
  expect(await waitFor(async () => (await db.triageChannel.count({ where: { platform: 'SLACK', conversationId: TRIAGE } })) === 1)).toBe(true);

  stopWorker = pollDueMessages(db, bot.senders);
});

afterAll(async () => {
  stopWorker();
  await web?.stop();
  nock.cleanAll();
  nock.enableNetConnect();
  await rig?.stop();
});

/** New staff with a Slack identity and no history with the bot. */
async function slackStaff(count: number): Promise<SlackPerson[]> {
  const people = await rig.newStaff(count);
  return Promise.all(
    people.map(async ({ personId }) => {
      const id = randomBytes(5).toString('hex').toUpperCase();
      await rig.database.db.platformIdentity.create({ data: { personId, platform: 'SLACK', tenantId: TEAM, platformUserId: `U${id}` } });
      return { personId, userId: `U${id}`, dm: `D${id}` };
    }),
  );
}

const say = (who: SlackPerson, text: string) => web.say(who, text);
const pressYes = (who: SlackPerson) => web.pressYes(who);

const postsIn = (channel: string) => posts.filter((p) => p.channel === channel);
const spooled = () => web.spooled();

/** At the risk question: asked while everything answers. */
async function atRiskQuestion(who: SlackPerson): Promise<void> {
  const before = postsIn(who.dm).length;
  expect(await say(who, 'hello')).toBe(200);
  expect(await waitFor(() => postsIn(who.dm).length > before)).toBe(true);
  await bot.slack!.settled();
  await bot.outbox.settled();
}

/** The person's urgent requests, and what the triage channel and the person were sent about each. */
async function outcomeFor(who: SlackPerson) {
  const requests = await rig.database.db.supervisionRequest.findMany({ where: { requesterId: who.personId, urgency: 'URGENT' } });
  return requests.map((request) => ({
    request,
    triagePosts: postsIn(TRIAGE).filter((p) => p.text.includes(request.reference)).length,
    told: postsIn(who.dm).filter((p) => p.text.includes(request.reference)).length,
  }));
}

/** Each person has one urgent request, carded once in the triage channel and told of once. */
async function expectOneAlertEach(people: SlackPerson[]): Promise<void> {
  await bot.outbox.settled();
  for (const who of people) {
    expect(await waitFor(async () => (await outcomeFor(who))[0]?.triagePosts === 1 && (await outcomeFor(who))[0]?.told === 1, 20_000)).toBe(true);
    const outcomes = await outcomeFor(who);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ triagePosts: 1, told: 1 });
    expect(outcomes[0]!.request).toMatchObject({ immediateRisk: true, platform: 'SLACK' });
  }
}

describe('on Slack, PostgreSQL slowed 30 s (the requests table locked)', () => {
  it('the button and a typed yes get the routes at the budget, are kept when the turn gives up, and reach the team once the lock goes', async () => {
    const [presser, typer] = (await slackStaff(2)) as [SlackPerson, SlackPerson];
    await atRiskQuestion(presser);
    await atRiskQuestion(typer);
    const before = { presser: postsIn(presser.dm).length, typer: postsIn(typer.dm).length };

    const unlock = await lockTable(rig.database, 'SupervisionRequest');
    const lockedAt = Date.now();
    try {
      expect(await pressYes(presser)).toBe(200);
      expect(await say(typer, 'yes')).toBe(200);
      // The routes come first, with the slow text: given at the budget, not after the turn failed.
      expect(await waitFor(() => postsIn(presser.dm).length > before.presser, 10_000)).toBe(true);
      expect(await waitFor(() => postsIn(typer.dm).length > before.typer, 10_000)).toBe(true);
      const presserFirst = postsIn(presser.dm)[before.presser]!.text;
      expect(presserFirst).toContain(LINE_24_7);
      expect(presserFirst).toContain(URGENT_SLOW_TEXT);
      const typerFirst = postsIn(typer.dm)[before.typer]!.text;
      expect(typerFirst).toContain(LINE_24_7);
      expect(typerFirst).toContain(MAYBE_URGENT_SLOW_TEXT);
      // The turns give up at the statement timeout and keep what was said, telling each person so.
      for (const who of [presser, typer]) {
        expect(await waitFor(() => postsIn(who.dm).some((p) => keptReference(p.text) !== undefined), 15_000)).toBe(true);
      }
      expect(spooled()).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - lockedAt))));
    } finally {
      await unlock();
    }
    // The web process replays its spool by itself (every few seconds) once the table answers.
    expect(await waitFor(async () => spooled().length === 0 && (await outcomeFor(presser)).length === 1 && (await outcomeFor(typer)).length === 1, 40_000)).toBe(true);
    await expectOneAlertEach([presser, typer]);
    expect(await rig.database.db.spooledReport.count({ where: { platform: 'SLACK', status: 'REPLAYED' } })).toBe(2);
  }, 120_000);
});

describe('on Slack, the main pool used up by other work', () => {
  it('an urgent turn runs on its own connections: recorded while every main connection is busy', async () => {
    const [crew] = (await slackStaff(1)) as [SlackPerson];
    await atRiskQuestion(crew);
    let busyUntilDone = true;
    const busy = Promise.all(Array.from({ length: 5 }, () => rig.proxied.$queryRawUnsafe(SLEEP_SQL).catch(() => undefined))).then(() => {
      busyUntilDone = false;
    });
    // Every main connection taken: PostgreSQL is running all five sleeps.
    const sleeping = async () =>
      (await rig.database.db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query = ${SLEEP_SQL}`)[0]!.n >= 5;
    expect(await waitFor(sleeping, 4_000)).toBe(true);
    const before = postsIn(crew.dm).length;
    expect(await pressYes(crew)).toBe(200);
    // Recorded before any main connection came free: it did not wait for one.
    const recorded = await waitFor(async () => !busyUntilDone || (await rig.database.db.supervisionRequest.count({ where: { requesterId: crew.personId } })) === 1, 10_000);
    expect(recorded && busyUntilDone).toBe(true);
    expect(await waitFor(() => postsIn(crew.dm).slice(before).some((p) => p.text.includes(LINE_24_7)), 10_000)).toBe(true);
    await busy;
    await expectOneAlertEach([crew]);
  }, 60_000);
});

describe('on Slack, Redis cut', () => {
  it('the button and a typed yes are answered, recorded once, alerted once and told, with the rate limiter giving way', async () => {
    const [presser, typer] = (await slackStaff(2)) as [SlackPerson, SlackPerson];
    await atRiskQuestion(presser);
    await atRiskQuestion(typer);
    const before = { presser: postsIn(presser.dm).length, typer: postsIn(typer.dm).length };
    rig.redisProxy.cut();
    try {
      expect(await pressYes(presser)).toBe(200);
      expect(await say(typer, 'yes')).toBe(200);
      for (const [who, from] of [[presser, before.presser], [typer, before.typer]] as const) {
        expect(await waitFor(() => postsIn(who.dm).slice(from).some((p) => p.text.includes(LINE_24_7)), 10_000)).toBe(true);
        expect(await waitFor(async () => (await outcomeFor(who))[0]?.triagePosts === 1 && (await outcomeFor(who))[0]?.told === 1, 20_000)).toBe(true);
      }
    } finally {
      rig.redisProxy.restore();
    }
    await bot.slack!.settled();
    await expectOneAlertEach([presser, typer]);
    expect(spooled()).toHaveLength(0);
  }, 60_000);
});

describe('on Slack, the triage channel answering after 90 s', () => {
  it('the person is answered at once; the URGENT card is posted once, though Slack takes 90 s and a worker polls meanwhile', async () => {
    const [crew] = (await slackStaff(1)) as [SlackPerson];
    await atRiskQuestion(crew);
    slowChannels.set(TRIAGE, 90_000);
    try {
      const before = postsIn(crew.dm).length;
      expect(await pressYes(crew)).toBe(200);
      // The routes and the alert's reference reach the DM, not after the channel's 90 s.
      expect(await waitFor(() => postsIn(crew.dm).slice(before).some((p) => p.text.includes('I have alerted the safeguarding team')), 10_000)).toBe(true);
      const said = postsIn(crew.dm).slice(before).map((p) => p.text).join('\n');
      expect(said).toContain(LINE_24_7);
      const request = (await outcomeFor(crew))[0]!.request;
      // The channel has it at once, and answers after 90 s; meanwhile nobody tries it again.
      expect(await waitFor(() => postsIn(TRIAGE).some((p) => p.text.includes(request.reference)))).toBe(true);
      const row = () => rig.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-post' } });
      expect(await waitFor(async () => (await row()).status === 'SENT', 120_000)).toBe(true);
      expect(postsIn(TRIAGE).filter((p) => p.text.includes(request.reference))).toHaveLength(1);
    } finally {
      slowChannels.delete(TRIAGE);
    }
  }, 150_000);
});
