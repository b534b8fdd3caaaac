// Urgent help when PostgreSQL is down or slow (issue 22, deliverable 1): a paramedic who presses
// "Yes, someone is at risk now", or types that someone is being hurt, gets their organisation's
// own routes (the 24/7 line, not only 999) in the turn's own answer, from the copy every web
// process holds, and is told the truth: nothing recorded when the database failed; recording,
// and a word when the team is alerted, when it is slow.
//
// The bot in local mode over real HTTP, its PostgreSQL behind a TCP proxy (test/support/tcp-proxy.ts)
// the test cuts and slows, and a stub Teams connector on loopback that keeps every call.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { URGENT_SLOW_TEXT } from '../../src/flows/urgent-turn.js';
import type { TeamsUser } from '../support/scaled-out.js';
import { keptReference, LINE_24_7, RISK_WORDS, startSlackWeb, startUrgentRig, textOf, type SlackWeb, type UrgentRig } from '../support/urgent-rig.js';
import { waitFor } from '../support/wait.js';

const TRIAGE = '19:urgent-faults@thread.tacv2';

let rig: UrgentRig;
let database: UrgentRig['database'];
let proxy: UrgentRig['proxy'];
let connector: UrgentRig['connector'];
let bot: UrgentRig['bot'];
let spoolDir = '';
const spooled = () => rig.spooled();
const user = (key: string) => rig.user(key);
const say = (who: TeamsUser, text: string) => rig.say(who, text);
const press = (who: TeamsUser, verb: string, data: Record<string, unknown>) => rig.press(who, verb, data);
const postsTo = (who: TeamsUser) => rig.postsTo(who);
const dropDeadConnections = () => rig.dropDeadConnections();

beforeAll(async () => {
  rig = await startUrgentRig({ triage: TRIAGE });
  ({ database, proxy, connector, bot, spoolDir } = rig);
});

afterAll(async () => {
  await rig?.stop();
});

describe('PostgreSQL cut', () => {
  const kept: Array<{ who: TeamsUser; reference: string }> = [];

  it('the "Yes" button is answered with the organisation\'s own routes and the truth, in the invoke answer, and the report is kept', async () => {
    const paramedic = await user('paramedic');
    expect((await say(paramedic, 'hello')).status).toBe(200); // the risk question is asked while the database answers
    await bot.outbox.settled();
    proxy.cut();
    try {
      const answer = await press(paramedic, 'intake.risk', { answer: 'yes' });
      expect(answer.status).toBe(200);
      // Answered from the fault, not at the budget: the cut was noticed at once (a connect that
      // waited on a timeout would have been answered with the slow text instead).
      expect(answer.text).not.toContain(URGENT_SLOW_TEXT);
      expect(answer.text).toContain(LINE_24_7);
      expect(answer.text).toContain('999');
      expect(answer.text).toContain('the safeguarding team has not been alerted yet');
      expect(answer.text).not.toContain('Sorry, something went wrong');
      const reference = keptReference(answer.text);
      expect(reference).toBeDefined();
      kept.push({ who: paramedic, reference: reference! });
      // On disk before the person was told.
      expect(spooled()).toHaveLength(1);
      // Nothing is recorded while the database is away, and nothing claims it was.
      expect(await database.db.supervisionRequest.count({ where: { requesterId: paramedic.personId } })).toBe(0);
    } finally {
      proxy.restore();
    }
  });

  it('words that say someone is being hurt get the routes as a message in the person\'s chat, and are kept checked', async () => {
    const crew = await user('call-handler');
    expect((await say(crew, 'help')).status).toBe(200);
    await bot.outbox.settled();
    const before = postsTo(crew).length;
    proxy.cut();
    try {
      expect((await say(crew, `${RISK_WORDS}, NHS number 943 476 5919`)).status).toBe(200);
      const after = postsTo(crew).slice(before).map((c) => textOf(c.body));
      expect(after).toHaveLength(1);
      expect(after[0]).toContain(LINE_24_7);
      expect(after[0]).toContain('I have kept your report');
      kept.push({ who: crew, reference: keptReference(after[0]!)! });
      expect(spooled()).toHaveLength(2);
      // Checked for patient detail as a turn would: the NHS number never reaches the disk.
      const files = spooled().map((name) => JSON.parse(readFileSync(path.join(spoolDir, name), 'utf8')) as { text?: string });
      expect(files.some((f) => f.text?.includes('child is being hurt'))).toBe(true);
      expect(JSON.stringify(files)).not.toContain('943 476 5919');
    } finally {
      proxy.restore();
    }
  });

  it('once PostgreSQL answers, each kept report becomes one urgent request, the triage channel is alerted once, and each person is told', async () => {
    expect(kept).toHaveLength(2);
    await dropDeadConnections();
    const figures = await bot.spoolReplay!.now();
    expect(figures).toMatchObject({ replayed: 2, held: 0, waiting: 0 });
    await bot.outbox.settled();
    expect(spooled()).toHaveLength(0);
    for (const { who, reference } of kept) {
      const requests = await database.db.supervisionRequest.findMany({ where: { requesterId: who.personId } });
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ urgency: 'URGENT', immediateRisk: true });
      const triagePosts = connector.calls.filter((c) => c.method === 'POST' && c.conversationId === TRIAGE && textOf(c.body).includes(requests[0]!.reference));
      expect(triagePosts).toHaveLength(1);
      expect(textOf(triagePosts[0]!.body)).toContain('URGENT');
      const told = postsTo(who).filter((c) => textOf(c.body).includes(`is now with the safeguarding team: reference ${requests[0]!.reference}`));
      expect(told).toHaveLength(1);
      expect(textOf(told[0]!.body)).toContain(reference);
      expect(await database.db.spooledReport.count({ where: { platformUserId: (await database.db.platformIdentity.findFirstOrThrow({ where: { personId: who.personId } })).platformUserId, status: 'REPLAYED', requestId: requests[0]!.id } })).toBe(1);
    }
    // The words reached the request (for the claiming specialist), checked; never the triage card.
    const crewRequest = await database.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: kept[1]!.who.personId } });
    expect(crewRequest.summary).toContain('child is being hurt');
    expect(crewRequest.summary).not.toContain('943 476 5919');
    expect(connector.calls.filter((c) => c.conversationId === TRIAGE).map((c) => textOf(c.body)).join('\n')).not.toContain('child is being hurt');
    // The paramedic's risk question is answered: the conversation goes on to the kind of help.
    expect(await database.db.requestDraft.findUnique({ where: { personId: kept[0]!.who.personId } })).toMatchObject({ step: 'kind' });
  });

  it('an entry replayed again (a crash before its file was removed) makes no second request and tells nobody twice', async () => {
    const paramedic = kept[0]!.who;
    const row = await database.db.spooledReport.findFirstOrThrow({ where: { status: 'REPLAYED', platformUserId: demoPerson('paramedic').aadObjectId } });
    const postsBefore = connector.calls.length;
    writeFileSync(
      path.join(spoolDir, `${row.id}.json`),
      JSON.stringify({ id: row.id, reference: 'K-AGAIN000', receivedAt: row.receivedAt.toISOString(), platform: 'TEAMS', tenantId: row.tenantId, platformUserId: row.platformUserId, how: 'button' }),
    );
    expect(await bot.spoolReplay!.now()).toMatchObject({ replayed: 1, held: 0, waiting: 0 });
    await bot.outbox.settled();
    expect(spooled()).toHaveLength(0);
    expect(await database.db.supervisionRequest.count({ where: { requesterId: paramedic.personId } })).toBe(1);
    expect(connector.calls.length).toBe(postsBefore);
  });

  it('a report whose sender was removed meanwhile is held, with its reference, for the administrators: never dropped', async () => {
    const nurse = await user('mh-nurse');
    expect((await say(nurse, 'hello')).status).toBe(200);
    await bot.outbox.settled();
    proxy.cut();
    let reference: string | undefined;
    try {
      const answer = await press(nurse, 'intake.risk', { answer: 'yes' });
      reference = keptReference(answer.text);
    } finally {
      proxy.restore();
    }
    expect(reference).toBeDefined();
    await database.db.person.update({ where: { id: nurse.personId }, data: { active: false } });
    await dropDeadConnections();
    const admin = await user('admin');
    expect((await say(admin, 'help')).status).toBe(200); // the administrator's own chat with the bot
    await bot.outbox.settled();
    const adminPostsBefore = postsTo(admin).length;
    expect(await bot.spoolReplay!.now()).toMatchObject({ replayed: 0, held: 1, waiting: 0 });
    await bot.outbox.settled();
    expect(spooled()).toHaveLength(0);
    expect(await database.db.supervisionRequest.count({ where: { requesterId: nurse.personId } })).toBe(0);
    const held = await database.db.spooledReport.findFirstOrThrow({ where: { status: 'HELD' } });
    expect(held.reason).toContain('no longer in the directory');
    expect(held.organisationId).not.toBeNull();
    const toAdmin = postsTo(admin).slice(adminPostsBefore).map((c) => textOf(c.body));
    expect(toAdmin.some((t) => t.includes(reference!) && t.includes('could not be recorded'))).toBe(true);
    // And listed for every administrator, with its reference and why.
    const listed = postsTo(admin).length;
    expect((await say(admin, 'failed reminders')).status).toBe(200);
    const card = postsTo(admin).slice(listed).map((c) => textOf(c.body)).join('\n');
    expect(card).toContain('Urgent reports that could not be recorded');
    expect(card).toContain(reference!);
    expect(card).toContain('no longer in the directory');
    await database.db.person.update({ where: { id: nurse.personId }, data: { active: true } });
  });

  it('a typed yes kept during the cut that did not answer the risk question alerts nobody, and its sender is told', async () => {
    const head = await user('head'); // no request in progress: "yes" answers no question about risk
    expect((await say(head, 'help')).status).toBe(200);
    await bot.outbox.settled();
    const before = postsTo(head).length;
    proxy.cut();
    try {
      expect((await say(head, 'yes')).status).toBe(200);
      const kept = postsTo(head).slice(before).map((c) => textOf(c.body));
      expect(kept.join('\n')).toContain(LINE_24_7);
      expect(kept.join('\n')).toContain('I have kept your answer');
      expect(kept.join('\n')).not.toContain('I am recording this and alerting');
    } finally {
      proxy.restore();
    }
    await dropDeadConnections();
    expect(await bot.spoolReplay!.now()).toMatchObject({ replayed: 1, held: 0, waiting: 0 });
    await bot.outbox.settled();
    expect(await database.db.supervisionRequest.count({ where: { requesterId: head.personId } })).toBe(0);
    expect(await database.db.spooledReport.count({ where: { status: 'NOT_RISK' } })).toBe(1);
    expect(postsTo(head).slice(before).some((c) => textOf(c.body).includes('did not answer my question about risk'))).toBe(true);
  });

  it('a damaged spool file is moved aside and said loudly, not replayed or deleted', async () => {
    writeFileSync(path.join(spoolDir, `${randomUUID()}.json`), '{"id": "not a report"');
    expect(await bot.spoolReplay!.now()).toMatchObject({ replayed: 0, held: 0, waiting: 0 });
    expect(spooled()).toHaveLength(0);
    expect(readdirSync(path.join(spoolDir, 'damaged'))).toHaveLength(1);
  });
});

describe('PostgreSQL slow', () => {
  it('the routes are given at the budget, the turn goes on, and the person hears when the team is alerted', async () => {
    const crew = await user('ebs');
    expect((await say(crew, 'hello')).status).toBe(200);
    await bot.outbox.settled();
    const before = postsTo(crew).length;
    proxy.delay(2_500);
    let answer;
    try {
      answer = await press(crew, 'intake.risk', { answer: 'yes' });
    } finally {
      proxy.delay(0);
    }
    expect(answer.status).toBe(200);
    // The slow text is given only when the budget ran out before the turn ended: the routes came
    // at the budget, not after the database (how soon on an idle machine: npm run bench).
    expect(answer.text).toContain(LINE_24_7);
    expect(answer.text).toContain(URGENT_SLOW_TEXT);
    // The turn finished once the database answered: the request recorded once, the team alerted, the person told.
    expect(await waitFor(async () => (await database.db.supervisionRequest.count({ where: { requesterId: crew.personId } })) === 1)).toBe(true);
    const request = await database.db.supervisionRequest.findFirstOrThrow({ where: { requesterId: crew.personId } });
    expect(request).toMatchObject({ urgency: 'URGENT', immediateRisk: true });
    expect(await waitFor(() => connector.calls.some((c) => c.conversationId === TRIAGE && textOf(c.body).includes(request.reference)))).toBe(true);
    expect(await waitFor(() => postsTo(crew).slice(before).some((c) => textOf(c.body).includes(`I have alerted the safeguarding team (reference ${request.reference})`)))).toBe(true);
  });
});

describe('on Slack, PostgreSQL cut', () => {
  const TEAM = 'T0URGENT1';
  const SECRET = 'urgent-signing-secret-0123456789abcdef';
  const SLACK_API = 'https://slack.com';
  const posts: Array<{ channel: string; text: string }> = [];
  let slackWeb: SlackWeb;
  let slackBot: SlackWeb['bot'];
  const userId = 'U0URGENT01';
  const dm = 'D0URGENT01';
  let slackPersonId = '';
  let ts = 0;

  beforeAll(async () => {
    const organisation = await database.db.organisation.findFirstOrThrow();
    await database.db.organisation.update({ where: { id: organisation.id }, data: { slackTeamId: TEAM } });
    const clinician = await database.db.person.findFirstOrThrow({ where: { email: demoPerson('clinician-111').email } });
    slackPersonId = clinician.id;
    await database.db.platformIdentity.create({ data: { personId: clinician.id, platform: 'SLACK', tenantId: TEAM, platformUserId: userId } });
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
    nock(SLACK_API)
      .persist()
      .post(/\/api\/.+/)
      .reply(async (req: Request) => {
        const raw = await req.text();
        const args: Record<string, unknown> = (req.headers.get('content-type') ?? '').includes('json') ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw));
        if (req.url.endsWith('chat.postMessage')) posts.push({ channel: String(args.channel), text: `${String(args.text ?? '')}\n${typeof args.blocks === 'string' ? args.blocks : JSON.stringify(args.blocks ?? '')}` });
        // Slack's ts is unique in a channel (two posts in one millisecond included).
        ts += 1;
        return [200, { ok: true, channel: args.channel, ts: `1796000000.${String(ts).padStart(6, '0')}` }] as const;
      });
    slackWeb = await startSlackWeb(rig, { secret: SECRET, team: TEAM });
    slackBot = slackWeb.bot;
  });
  afterAll(async () => {
    await slackWeb?.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const slackUser = { userId, dm };
  const dmEvent = (text: string) => slackWeb.say(slackUser, text);
  const pressYes = () => slackWeb.pressYes(slackUser);

  it('the "Yes" button and words of risk both get the organisation\'s own routes in the DM and are kept; once PostgreSQL answers they reach the team, once', async () => {
    const asked = posts.length;
    expect(await dmEvent('hello')).toBe(200);
    // Slack's ack comes before the turn: the risk question in the DM says the turn has run.
    expect(await waitFor(() => posts.slice(asked).some((p) => p.channel === dm))).toBe(true);
    await slackBot.slack!.settled();
    const before = posts.length;
    proxy.cut();
    try {
      expect(await pressYes()).toBe(200);
      expect(await dmEvent(RISK_WORDS)).toBe(200);
      // Both are handled after Slack's ack: the answers come while the database is still cut.
      await waitFor(() => posts.slice(before).filter((p) => p.channel === dm).length >= 2, 10_000);
      await slackBot.slack!.settled();
    } finally {
      proxy.restore();
    }
    const after = posts.slice(before).filter((p) => p.channel === dm);
    expect(after).toHaveLength(2);
    for (const post of after) {
      expect(post.text).toContain(LINE_24_7);
      expect(post.text).toContain('I could not record this just now');
      expect(post.text).toContain('I have kept your report');
    }
    expect(slackWeb.spooled()).toHaveLength(2);

    // Two reports from one person minutes apart are one urgent request, with their words; each report is answered.
    await dropDeadConnections();
    expect(await slackBot.spoolReplay!.now()).toMatchObject({ replayed: 2, held: 0, waiting: 0 });
    await slackBot.outbox.settled();
    const requests = await database.db.supervisionRequest.findMany({ where: { requesterId: slackPersonId } });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ urgency: 'URGENT', platform: 'SLACK' });
    expect(requests[0]!.summary).toContain('child is being hurt');
    const told = posts.filter((p) => p.channel === dm && p.text.includes(`is now with the safeguarding team: reference ${requests[0]!.reference}`));
    expect(told).toHaveLength(2);
    expect(slackWeb.spooled()).toHaveLength(0);
  });
});
