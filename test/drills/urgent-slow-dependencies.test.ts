// Urgent help when a dependency is slow rather than down (issue 22): the requests table locked for
// 30 s, the main connection pool used up by other work, and the triage channel answering after
// 90 s. In each, the people who say someone is at risk get their organisation's routes within the
// urgent budget, in the turn's own response; afterwards each urgent request exists once, the
// triage channel got its URGENT card once, and each person was told.
//
// The rig (test/support/urgent-rig.ts) is a web process as main.ts builds one: the turns' limits,
// a pool of its own for urgent turns, the spool on disk; a test worker polls due messages as the
// worker role would, so a message tried twice would show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAYBE_URGENT_SLOW_TEXT, TURN_BUDGET_MS, TURN_SLOW_TEXT, URGENT_SLOW_TEXT } from '../../src/flows/urgent-turn.js';
import type { TeamsUser } from '../support/scaled-out.js';
import { keptReference, LINE_24_7, lockTable, pollDueMessages, startUrgentRig, textOf, type UrgentRig } from '../support/urgent-rig.js';
import { waitFor } from '../support/wait.js';

const TRIAGE = '19:urgent-slow@thread.tacv2';

let rig: UrgentRig;
let stopWorker = () => {};

beforeAll(async () => {
  rig = await startUrgentRig({ triage: TRIAGE });
  stopWorker = pollDueMessages(rig.database.db, rig.bot.senders);
});

afterAll(async () => {
  stopWorker();
  await rig?.stop();
});

/** The person's urgent requests, and what the triage channel and the person were sent about each. */
async function outcomeFor(who: TeamsUser) {
  const requests = await rig.database.db.supervisionRequest.findMany({ where: { requesterId: who.personId, urgency: 'URGENT' } });
  return requests.map((request) => ({
    request,
    triagePosts: rig.postsTo(TRIAGE).filter((c) => textOf(c.body).includes(request.reference)).length,
    told: rig.postsTo(who).filter((c) => textOf(c.body).includes(request.reference)).length,
  }));
}

/** At the risk question: asked while everything answers. */
async function atRiskQuestion(who: TeamsUser): Promise<void> {
  expect((await rig.say(who, 'hello')).status).toBe(200);
  await rig.bot.outbox.settled();
}

describe('PostgreSQL slowed 30 s (the requests table locked)', () => {
  it('the button and a typed yes get the routes within the budget, are kept when the turn gives up, and reach the team once the lock goes', async () => {
    const presser = await rig.user('paramedic');
    const typer = await rig.user('call-handler');
    await atRiskQuestion(presser);
    await atRiskQuestion(typer);
    const typerBefore = rig.postsTo(typer).length;

    const unlock = await lockTable(rig.database, 'SupervisionRequest');
    const lockedAt = Date.now();
    try {
      const [pressed, typed] = await Promise.all([rig.press(presser, 'intake.risk', { answer: 'yes' }), rig.say(typer, 'yes')]);
      expect(pressed.status).toBe(200);
      expect(pressed.ms).toBeLessThan(5_000);
      expect(pressed.text).toContain(LINE_24_7);
      expect(pressed.text).toContain(URGENT_SLOW_TEXT);
      expect(typed.status).toBe(200);
      expect(typed.ms).toBeLessThan(5_000);
      // A typed yes is answered over HTTP at the budget and its routes follow as a message at once.
      expect(await waitFor(() => rig.postsTo(typer).length > typerBefore, 5_000)).toBe(true);
      const typerFirst = textOf(rig.postsTo(typer)[typerBefore]!.body);
      expect(typerFirst).toContain(LINE_24_7);
      expect(typerFirst).toContain(MAYBE_URGENT_SLOW_TEXT);
      // The turns give up at the statement timeout and keep what was said, telling each person so.
      expect(await waitFor(() => rig.postsTo(presser).some((c) => keptReference(textOf(c.body)) !== undefined), 15_000)).toBe(true);
      expect(await waitFor(() => rig.postsTo(typer).some((c) => keptReference(textOf(c.body)) !== undefined), 15_000)).toBe(true);
      expect(rig.spooled()).toHaveLength(2);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - lockedAt))));
    } finally {
      await unlock();
    }
    // The web process replays its spool by itself (every few seconds) once the table answers.
    expect(await waitFor(async () => rig.spooled().length === 0 && (await outcomeFor(presser)).length === 1 && (await outcomeFor(typer)).length === 1, 40_000)).toBe(true);
    await rig.bot.outbox.settled();
    for (const who of [presser, typer]) {
      expect(await waitFor(async () => (await outcomeFor(who))[0]!.told === 1 && (await outcomeFor(who))[0]!.triagePosts === 1, 20_000)).toBe(true);
      const [outcome] = await outcomeFor(who);
      expect(outcome).toMatchObject({ triagePosts: 1, told: 1 });
      expect(outcome!.request).toMatchObject({ immediateRisk: true });
    }
    expect(await rig.database.db.spooledReport.count({ where: { status: 'REPLAYED' } })).toBe(2);
  }, 120_000);
});

describe('Redis cut', () => {
  it('the button and a typed yes are answered, recorded once, alerted once and told, with the rate limiter giving way', async () => {
    const [presser, typer] = (await rig.newStaff(2)) as [TeamsUser, TeamsUser];
    await atRiskQuestion(presser);
    await atRiskQuestion(typer);
    const before = { presser: rig.postsTo(presser).length, typer: rig.postsTo(typer).length };
    rig.redisProxy.cut();
    try {
      const [pressed, typed] = await Promise.all([rig.press(presser, 'intake.risk', { answer: 'yes' }), rig.say(typer, 'yes')]);
      expect(pressed.status).toBe(200);
      expect(typed.status).toBe(200);
      for (const [who, from] of [[presser, before.presser], [typer, before.typer]] as const) {
        expect(await waitFor(() => rig.postsTo(who).slice(from).some((c) => textOf(c.body).includes(LINE_24_7)), 10_000)).toBe(true);
        expect(await waitFor(async () => (await outcomeFor(who))[0]?.triagePosts === 1 && (await outcomeFor(who))[0]?.told === 1, 20_000)).toBe(true);
      }
    } finally {
      rig.redisProxy.restore();
    }
    await rig.bot.outbox.settled();
    for (const who of [presser, typer]) {
      const outcomes = await outcomeFor(who);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ triagePosts: 1, told: 1 });
    }
    expect(rig.spooled()).toHaveLength(0);
  }, 60_000);
});

describe('the main pool used up by other work', () => {
  it('an urgent turn runs on its own connections: recorded while every main connection is busy', async () => {
    const crew = await rig.user('clinician-111');
    await atRiskQuestion(crew);
    let busyUntilDone = true;
    const busy = Promise.all(Array.from({ length: 5 }, () => rig.proxied.$queryRaw`SELECT pg_sleep(5)`.catch(() => undefined))).then(() => {
      busyUntilDone = false;
    });
    // Every main connection taken: PostgreSQL is running all five sleeps.
    const sleeping = async () =>
      (await rig.database.db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(5)' AND pid <> pg_backend_pid()`)[0]!.n >= 5;
    expect(await waitFor(sleeping, 4_000)).toBe(true);
    const before = rig.postsTo(crew).length;
    const answer = rig.press(crew, 'intake.risk', { answer: 'yes' });
    // Recorded before any main connection came free: it did not wait for one.
    const recorded = await waitFor(async () => !busyUntilDone || (await rig.database.db.supervisionRequest.count({ where: { requesterId: crew.personId } })) === 1, 10_000);
    expect(recorded && busyUntilDone).toBe(true);
    expect((await answer).status).toBe(200);
    expect(rig.postsTo(crew).slice(before).map((c) => textOf(c.body)).join('\n')).toContain(LINE_24_7);
    await busy;
    await rig.bot.outbox.settled();
    expect(await waitFor(async () => (await outcomeFor(crew))[0]?.triagePosts === 1)).toBe(true);
  }, 60_000);

  it('a turn that is not urgent waits for a main connection past 8 s: told it is taking longer, then answered, nothing lost', async () => {
    const [nurse] = (await rig.newStaff(1)) as [TeamsUser];
    await atRiskQuestion(nurse);
    // Every main connection held (a transaction waiting, no statement running, so no statement
    // timeout ends it) for longer than the turn's budget.
    let held = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const holders = Array.from({ length: 5 }, () =>
      rig.proxied.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          held += 1;
          await released;
        },
        { timeout: 60_000 },
      ),
    );
    expect(await waitFor(() => held === 5, 10_000)).toBe(true);
    const before = rig.postsTo(nurse).length;
    const releasing = setTimeout(release, TURN_BUDGET_MS + 2_000);
    let answer;
    try {
      answer = await rig.press(nurse, 'intake.risk', { answer: 'no' });
    } finally {
      clearTimeout(releasing);
      release();
      await Promise.all(holders);
    }
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(TURN_SLOW_TEXT);
    // The turn had its connection once they came free, 12 s on: it moved on, and said so in the chat.
    expect(await waitFor(async () => (await rig.database.db.requestDraft.findUnique({ where: { personId: nurse.personId } }))?.step === 'kind', 30_000)).toBe(true);
    expect(await waitFor(() => rig.postsTo(nurse).slice(before).some((c) => JSON.stringify(c.body).includes('intake.kind')), 30_000)).toBe(true);
    const said = [answer.text, ...rig.postsTo(nurse).slice(before).map((c) => textOf(c.body))].join('\n');
    expect(said).not.toContain('may not have been saved');
  }, 90_000);
});

describe('the triage channel answering after 90 s', () => {
  it('the person is answered at once; the URGENT card is posted once, though the channel takes 90 s and a worker polls meanwhile', async () => {
    const crew = await rig.user('ebs');
    await atRiskQuestion(crew);
    rig.connector.slow(TRIAGE, 90_000);
    try {
      const before = rig.postsTo(crew).length;
      const answer = await rig.press(crew, 'intake.risk', { answer: 'yes' });
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(5_000);
      // The routes and the alert's reference came in the turn, not after the channel's 90 s.
      const said = rig.postsTo(crew).slice(before).map((c) => textOf(c.body)).join('\n');
      expect(said).toContain(LINE_24_7);
      expect(said).toContain('I have alerted the safeguarding team');
      const request = (await outcomeFor(crew))[0]!.request;
      // The channel has it at once, and answers after 90 s; meanwhile nobody tries it again.
      expect(await waitFor(() => rig.postsTo(TRIAGE).some((c) => textOf(c.body).includes(request.reference)))).toBe(true);
      const row = () => rig.database.db.outboundMessage.findFirstOrThrow({ where: { requestId: request.id, kind: 'triage-post' } });
      expect(await waitFor(async () => (await row()).status === 'SENT', 120_000)).toBe(true);
      expect(rig.postsTo(TRIAGE).filter((c) => textOf(c.body).includes(request.reference))).toHaveLength(1);
    } finally {
      rig.connector.slow(TRIAGE, 0);
    }
  }, 150_000);
});

describe('any turn slower than its budget', () => {
  it('has its HTTP request answered before Teams gives up, and what it says follows in the chat', async () => {
    const nurse = await rig.user('mh-nurse');
    await atRiskQuestion(nurse);
    const before = rig.postsTo(nurse).length;
    rig.proxy.delay(3_000); // every round trip to PostgreSQL takes 6 s: the turn takes longer than its budget
    let answer;
    try {
      answer = await rig.press(nurse, 'intake.risk', { answer: 'no' });
    } finally {
      rig.proxy.delay(0);
    }
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeGreaterThanOrEqual(TURN_BUDGET_MS - 100);
    expect(answer.ms).toBeLessThan(15_000); // Teams' limit
    expect(answer.text).toContain(TURN_SLOW_TEXT);
    // The turn went on: the draft moved to the kind of help, and the kind card reached the chat.
    expect(await waitFor(async () => (await rig.database.db.requestDraft.findUnique({ where: { personId: nurse.personId } }))?.step === 'kind', 30_000)).toBe(true);
    expect(await waitFor(() => rig.postsTo(nurse).slice(before).some((c) => JSON.stringify(c.body).includes('intake.kind') || textOf(c.body).includes('Thank you.')), 30_000)).toBe(true);
  }, 60_000);
});
