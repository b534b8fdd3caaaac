// Slack outage drill (issue 23): the Slack Web API answers HTTP 503 to every call for 60 s or more while
// advice is given and requests are created and claimed, and the worker process is SIGKILLed once
// in the middle of it and started again. Afterwards every message the bot owed was delivered,
// each card's last state is the right one, nothing is lost, and duplicates are counted (at most
// the rows the killed worker had in flight; with a 503 outage nothing is accepted before the kill,
// so none are expected).
//
// The bot runs as a trust would run it on Slack: one web process (test/bench/sg-bot.ts: createBot
// + listen, Slack configured) and one worker process (test/support/scheduler-child.ts: the real
// startScheduler), real child processes on one PostgreSQL schema and one Redis prefix, both with
// SLACK_API_URL pointing at a stub Web API that is a real HTTP server in this process
// (test/support/slack-outage-api.ts): it answers as slack-harness.ts's nock does, keeps every
// call it accepts (method, channel, ts, text, blocks, and which process made it: each process has
// its own bot token), and during the outage answers every call 503 and counts it. Slack's side is
// played with signed requests to the web process's /slack/events, as slack-harness.ts and
// test/integration/slack-journeys.test.ts send them: a DM, buttons (block_actions), the advice
// modal's submission (view_submission), `/supervision bind triage`.
//
// The demo organisation is pinned to the drill's workspace; 8 drill paramedics, the two
// safeguarding specialists and the administrator have Slack identities from the start (no
// users.info needed). The administrator binds the triage channel. Then:
//
//   API up   people 0-3 make requests (DM "Hello", risk "No", kind "Quick advice now", the
//            details with the same plain-words summary), each pressing the button of the card the
//            bot just sent; their triage cards are posted. The first specialist claims requests
//            0 and 1 from their cards and opens the advice modal from each updated card
//            (views.open); all rows delivered.
//   outage   every Web API call is answered 503 for at least 60 s:
//            - the advice on 0 and 1 is submitted from the modals opened before;
//            - the second specialist claims 2 and 3 from their cards (their DM with the bot does
//              not exist yet: conversations.open fails too) and submits advice (the modal cannot
//              open: its submission carries what views.open would have given it);
//            - people 4 and 5 make requests (the bot's replies fail, so they press the buttons as
//              the cards have them), and the specialists claim and advise them from what the
//              drill knows (their triage cards cannot be posted yet);
//            - once 4 and 5 have made their requests, at the next moment the worker is calling
//              Slack (its sends retrying: the stub refuses a call it makes), the worker is
//              SIGKILLed; people 6 and 7 make requests while it is dead; once theirs are stored
//              (their rows written), a new worker is started;
//            - the outage ends once all of that has happened and the new worker has been refused
//              too, and never before 60 s (the backoffs of the sends are exercised in it).
//   after    the specialists claim 6 and 7 from their triage cards once the workers post them,
//            and advise from the updated cards' modals. PostgreSQL and the stub are polled until
//            nothing is PENDING and every triage card shows its request's final state (message
//            retries back off 30 s doubling, ±25%; rows the dead worker held wait for its
//            2-minute lease).
//
// Every step waits on a signal (a call the stub accepted or refused, a row, a request's state, a
// journey finished), never on a time: on a loaded machine the drill takes longer, the story and
// the figures stay the same. The only duration is the outage's minimum, which is the scenario.
//
// Then what the stub accepted is held against the rows: every OutboundMessage SENT (CANCELLED
// only as a superseded card update), none FAILED or PENDING; each request ADVICE_GIVEN by its
// specialist, its triage card posted once, recorded once, and last shown (post or update) with
// the final status, claimer and version; every person row's message in the right DM exactly once
// (a copy of the same message in the same DM that no row accounts for is a duplicate, counted and
// bounded by the rows in flight at the kill); the requester got the confirmation, the claim notice
// and the advice, the claimer the confidential details, once each; no worker post that no row
// explains; no apology anywhere (SLACK_SORRY_MARK).
//
// Figures go to the console ([outage-slack] lines): rows, 503s answered, what the kill caught,
// recovery time after the outage, duplicates, the turns whose own replies the outage cost (not
// asserted: a turn's replies that are not OutboundMessage rows, such as the intake cards, are sent
// directly; refused for the whole of the Web client's retries, in a DM they are queued for the
// person as rows, elsewhere logged), and the error kinds each process logged.
// DRILL_DUMP=<file> also writes every call, row and request to <file>-slack-outage.json;
// DRILL_LOG_LEVEL sets the processes' LOG_LEVEL (default warn). Run alone:
//   npx vitest run --config test/vitest.config.ts --maxWorkers=1 test/drills/outage-delivery-slack.test.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { baseActionId, SHOW_CARD_PREFIX } from '../../src/channels/slack/block-kit.js';
import { toSlackMessage } from '../../src/channels/slack/slack-channel.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { seedDemoOrganisation } from '../../src/db/seed-demo.js';
import type { OutMessage } from '../../src/flows/types.js';
import { SLACK_SORRY_MARK } from '../bench/stub-slack-api.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { errorKinds, seconds, type ChildRole } from '../support/scaled-out.js';
import {
  buttonsIn,
  createSlackClient,
  destroySlackAgent,
  factIn,
  startSlackOutageApi,
  startSlackRole,
  textOfCall,
  type ApiCall,
  type Button,
  type SlackAnswer,
  type SlackClient,
  type SlackOutageApi,
  type SlackRoleEnv,
  type SlackUser,
} from '../support/slack-outage-api.js';
import { deferred, waitFor } from '../support/wait.js';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const SIGNING_SECRET = 'drill-signing-secret-0123456789abcdef';
const LINK_SECRET = 'drill-link-secret-0123456789abcdef0123456789';
const TEAM_ID = 'T0SGSDRILL';
const TRIAGE_CHANNEL = 'C0DRILLTRIAGE';
const TOKENS = { web: 'xoxb-drill-web', 'worker-1': 'xoxb-drill-worker-1', 'worker-2': 'xoxb-drill-worker-2' } as const;

const PEOPLE = 8;
/**
 * The least time every Web API call is answered 503 (the scenario: the sends' backoffs are
 * exercised in it). The outage lasts longer if what happens in it takes longer.
 */
const OUTAGE_MS = 60_000;
const TEST_TIMEOUT_MS = 420_000;
/** The waits for what happens in the outage end here (from the test's start), leaving the rest for the drain. */
const OUTAGE_BY_MS = TEST_TIMEOUT_MS / 2;
/** The wait for the last deliveries ends here (from the test's start), leaving time for the accounting. */
const DRAIN_BY_MS = TEST_TIMEOUT_MS - 30_000;
/** How long one step of a journey (a draft moved on, a claim recorded, a card sent) may take to show. */
const STEP_MS = TEST_TIMEOUT_MS / 7;

const HELLO = 'Hello';
const SUMMARY = 'I would like advice about a family I visited on my last shift; the home seemed neglected.';
const AVAILABILITY = 'Weekday mornings';
const ADVICE = 'Record your concern and make a referral through the usual route; call the duty desk if anything changes.';
const CONFIRMATION_MARK = 'Your request has been sent';

const cleanups: Array<() => Promise<unknown>> = [];
async function runCleanups(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => console.error('[outage-slack] clean-up step failed:', error));
}
afterEach(runCleanups);
afterAll(async () => {
  await runCleanups();
  destroySlackAgent();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

// ---------------------------------------------------------------------------
// The drill's processes and people
// ---------------------------------------------------------------------------

interface Person extends SlackUser {
  personId: string;
  name: string;
}

interface Turn {
  label: string;
  who: string;
  at: number;
  answer?: SlackAnswer;
  error?: string;
}

interface Drill {
  database: TestDatabase;
  organisationId: string;
  api: SlackOutageApi;
  web: ChildRole;
  workers: ChildRole[];
  slack: SlackClient;
  people: Person[];
  specialists: [Person, Person];
  admin: Person;
  roleEnv: (token: string) => SlackRoleEnv;
  turns: Turn[];
  startedAt: number;
}

const slackPerson = (personId: string, name: string, userId: string): Person => ({
  personId,
  name,
  userId,
  username: name.toLowerCase().replace(/\s+/g, '.'),
  dm: `D${userId.slice(1)}`,
});

async function startDrill(): Promise<Drill> {
  const startedAt = Date.now();
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const db = database.db;
  const { organisationId } = await seedDemoOrganisation(db);
  // Slack is configured, so the organisation is pinned to the drill's workspace.
  await db.organisation.update({ where: { id: organisationId }, data: { slackTeamId: TEAM_ID } });
  const paramedic = await db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson('paramedic').email } });
  const people = Array.from({ length: PEOPLE }, (_, i) => slackPerson(randomUUID(), `Drill Person ${i}`, `U0DRILL${String(i + 1).padStart(3, '0')}`));
  await db.person.createMany({
    data: people.map((p, i) => ({
      id: p.personId,
      organisationId,
      name: p.name,
      email: `drill.person${i}@drill.demo.las.nhs.uk`,
      jobTitle: 'Paramedic',
      roles: ['STAFF' as const],
      staffGroupId: paramedic.staffGroupId,
      lineManagerId: paramedic.lineManagerId,
    })),
  });
  const demo = async (key: string, userId: string) => {
    const row = await db.person.findFirstOrThrow({ where: { organisationId, email: demoPerson(key).email } });
    return slackPerson(row.id, row.name, userId);
  };
  const specialists: [Person, Person] = [await demo('specialist', 'U0DEMOSPEC1'), await demo('specialist-2', 'U0DEMOSPEC2')];
  const admin = await demo('admin', 'U0DEMOADMIN');
  // Everyone's Slack identity up front (as users.info would have linked them): no directory look-ups.
  await db.platformIdentity.createMany({
    data: [...people, ...specialists, admin].map((p) => ({ personId: p.personId, platform: 'SLACK' as const, tenantId: TEAM_ID, platformUserId: p.userId })),
  });

  const api = await startSlackOutageApi({ teamId: TEAM_ID, processes: Object.fromEntries(Object.entries(TOKENS).map(([name, token]) => [token, name])) });
  cleanups.push(() => api.close());
  const redisPrefix = `drill-os-${randomBytes(4).toString('hex')}`;
  cleanups.push(async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });
  const roleEnv = (botToken: string): SlackRoleEnv => ({
    databaseUrl: database.databaseUrl,
    schema: database.schema,
    redisUrl: REDIS_URL,
    redisPrefix,
    apiUrl: api.apiUrl,
    signingSecret: SIGNING_SECRET,
    botToken,
    publicBaseUrl: 'https://drill.invalid',
    linkSecret: LINK_SECRET,
    logLevel: process.env.DRILL_LOG_LEVEL || 'warn',
  });

  const workers: ChildRole[] = [];
  const started = await Promise.allSettled([startSlackRole('web', 'web', roleEnv(TOKENS.web)), startSlackRole('worker', 'worker-1', roleEnv(TOKENS['worker-1']))]);
  const ready = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  // Stopped before the schema is dropped (clean-ups run in reverse); the restarted worker too.
  cleanups.push(async () => {
    await Promise.all([...ready, ...workers.filter((w) => !ready.includes(w))].map((role) => role.stop()));
  });
  cleanups.push(async () => {
    for (const role of [...ready, ...workers.filter((w) => !ready.includes(w))]) {
      const kinds = errorKinds(role.output());
      if (Object.keys(kinds).length > 0) console.info(`[outage-slack] ${role.name} logged errors: ${JSON.stringify(kinds)}`);
    }
  });
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const web = ready.find((r) => r.name === 'web')!;
  workers.push(ready.find((r) => r.name === 'worker-1')!);
  const slack = createSlackClient({ port: web.port, signingSecret: SIGNING_SECRET, teamId: TEAM_ID });
  return { database, organisationId, api, web, workers, slack, people, specialists, admin, roleEnv, turns: [], startedAt };
}

/** Sends one signed request and logs its answer (an empty 200 is Slack's acknowledgement). */
async function turn(drill: Drill, label: string, who: Person, send: () => Promise<SlackAnswer>): Promise<void> {
  const log: Turn = { label, who: who.name, at: Date.now() };
  drill.turns.push(log);
  try {
    log.answer = await send();
  } catch (error) {
    log.error = (error as Error).message;
  }
}

// ---------------------------------------------------------------------------
// What people do
// ---------------------------------------------------------------------------

/** The first message from `from` on in `channel` with a button `verb` whose value fits. */
async function cardWith(api: SlackOutageApi, channel: string, from: number, verb: string, fits: (value: Record<string, unknown>) => boolean, timeoutMs = STEP_MS) {
  let found: { button: Button; ts: string } | undefined;
  await waitFor(() => {
    for (const call of api.calls.slice(from)) {
      if (call.channel !== channel || (call.method !== 'chat.postMessage' && call.method !== 'chat.update') || !call.ts) continue;
      const button = buttonsIn(call.blocks).find((b) => baseActionId(b.actionId) === verb && fits(b.value));
      if (button) {
        found = { button, ts: call.ts };
        return true;
      }
    }
    return false;
  }, timeoutMs, 50);
  return found;
}

/**
 * One person's request, from "Hello" to the details. With the API up, each step presses the
 * button of the card the bot just sent; in the outage those cards never come, so the person
 * presses the buttons as the cards have them (the data the drill knows), once the bot has
 * recorded the step before.
 */
async function makeRequest(drill: Drill, person: Person, live: boolean, problems: string[]) {
  const { api, slack, database } = drill;
  const db = database.db;
  const draftAt = (step: string) => waitFor(async () => (await db.requestDraft.findUnique({ where: { personId: person.personId } }))?.step === step, STEP_MS, 50);
  const steps: Array<{ verb: string; fits: (v: Record<string, unknown>) => boolean; fixed: Button; next: string; state?: Record<string, string> }> = [
    { verb: 'intake.risk', fits: (v) => v.answer === 'no', fixed: fixedButton('intake.risk#2', { answer: 'no' }), next: 'kind' },
    { verb: 'intake.kind', fits: (v) => v.helpType === 'ADVICE', fixed: fixedButton('intake.kind#1', { helpType: 'ADVICE' }), next: 'details' },
    { verb: 'intake.details', fits: (v) => v.acknowledged === 'no', fixed: fixedButton('intake.details#1', { acknowledged: 'no' }), next: 'sent', state: { summary: SUMMARY, availability: AVAILABILITY } },
  ];
  let from = api.calls.length;
  await turn(drill, 'hello', person, () => slack.dm(person, HELLO));
  if (!(await draftAt('risk'))) problems.push(`${person.name}: no draft at the risk question after "Hello"`);
  for (const step of steps) {
    const card = live ? await cardWith(api, person.dm, from, step.verb, step.fits) : undefined;
    if (live && !card) problems.push(`${person.name}: no ${step.verb} card in their DM`);
    const button = card?.button ?? step.fixed;
    from = api.calls.length;
    await turn(drill, step.verb, person, () => slack.press(person, button.actionId, button.rawValue, { channel: person.dm, ...(card ? { ts: card.ts } : {}), ...(step.state ? { state: step.state } : {}) }));
    if (step.next !== 'sent' && !(await draftAt(step.next))) problems.push(`${person.name}: the draft did not reach ${step.next} after ${step.verb}`);
  }
  let request = null as Awaited<ReturnType<typeof db.supervisionRequest.findFirst>>;
  await waitFor(async () => (request = await db.supervisionRequest.findFirst({ where: { requesterId: person.personId } })) !== null, STEP_MS, 50);
  if (!request) problems.push(`${person.name}: no request stored after the details were sent`);
  return request;
}

function fixedButton(actionId: string, value: Record<string, unknown>): Button {
  return { actionId, rawValue: JSON.stringify(value), value };
}

/** The triage card's post for a request (by its Reference fact), once the stub has accepted it. */
async function triagePost(api: SlackOutageApi, reference: string, timeoutMs: number): Promise<ApiCall | undefined> {
  let post: ApiCall | undefined;
  await waitFor(() => (post = api.calls.find((c) => c.method === 'chat.postMessage' && c.channel === TRIAGE_CHANNEL && factIn(c.blocks, 'Reference') === reference)) !== undefined, timeoutMs, 100);
  return post;
}

interface Handling {
  requestId: string;
  reference: string;
  index: number;
  claimer: Person;
  /** The advice modal's private_metadata (from views.open, or as it would have carried it). */
  modal?: string;
}

async function waitForRequest(drill: Drill, requestId: string, fits: (r: { status: string; claimedById: string | null }) => boolean, timeoutMs = STEP_MS) {
  return waitFor(async () => {
    const r = await drill.database.db.supervisionRequest.findUnique({ where: { id: requestId }, select: { status: true, claimedById: true } });
    return r !== null && fits(r);
  }, timeoutMs, 50);
}

/** The specialist presses Claim on the request's triage card. */
async function claimFromCard(drill: Drill, h: Handling, post: ApiCall, problems: string[]): Promise<void> {
  const claim = buttonsIn(post.blocks).find((b) => baseActionId(b.actionId) === 'request.claim');
  if (!claim) {
    problems.push(`${h.reference}: the triage card has no Claim button`);
    return;
  }
  await turn(drill, 'request.claim', h.claimer, () => drill.slack.press(h.claimer, claim.actionId, claim.rawValue, { channel: TRIAGE_CHANNEL, ts: post.ts! }));
  if (!(await waitForRequest(drill, h.requestId, (r) => r.claimedById === h.claimer.personId))) problems.push(`${h.reference}: not claimed by ${h.claimer.name} after the Claim button`);
}

/** The specialist claims a request whose card they cannot see yet, from what the drill knows (its id and version). */
async function claimBlind(drill: Drill, h: Handling, problems: string[]): Promise<void> {
  const { version } = await drill.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: h.requestId } });
  await turn(drill, 'request.claim (no card)', h.claimer, () => drill.slack.press(h.claimer, 'request.claim', JSON.stringify({ requestId: h.requestId, version: String(version) }), { channel: TRIAGE_CHANNEL }));
  if (!(await waitForRequest(drill, h.requestId, (r) => r.claimedById === h.claimer.personId))) problems.push(`${h.reference}: not claimed by ${h.claimer.name} (claimed without its card)`);
}

/** The specialist presses Give advice on the card as the claim updated it: the modal opens (views.open). */
async function openAdviceModal(drill: Drill, h: Handling, cardTs: string, from: number, problems: string[]): Promise<void> {
  const { version } = await drill.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: h.requestId } });
  // The card's buttons carry its version: the update that follows the claim.
  const find = () =>
    drill.api.calls
      .slice(from)
      .filter((c) => c.method === 'chat.update' && c.channel === TRIAGE_CHANNEL && c.ts === cardTs)
      .map((c) => ({ c, advise: buttonsIn(c.blocks).find((b) => baseActionId(b.actionId) === `${SHOW_CARD_PREFIX}request.advise`) }))
      .filter((x) => x.advise && buttonsIn(x.c.blocks).some((b) => b.value.requestId === h.requestId && String(b.value.version) === String(version)))
      .at(-1)?.advise;
  let advise: Button | undefined;
  await waitFor(() => (advise = find()) !== undefined, STEP_MS, 50);
  if (!advise) {
    problems.push(`${h.reference}: the triage card was not updated with a Give advice button at version ${version}`);
    return;
  }
  const mark = drill.api.calls.length;
  await turn(drill, 'open advice modal', h.claimer, () => drill.slack.press(h.claimer, advise!.actionId, advise!.rawValue, { channel: TRIAGE_CHANNEL, ts: cardTs }));
  let opened: ApiCall | undefined;
  await waitFor(() => (opened = drill.api.calls.slice(mark).find((c) => c.method === 'views.open' && String(c.args.view?.private_metadata ?? '').includes(h.requestId))) !== undefined, STEP_MS, 50);
  if (!opened) {
    problems.push(`${h.reference}: the advice modal did not open (no views.open)`);
    return;
  }
  h.modal = String(opened.args.view.private_metadata);
}

/** What the advice modal carries for a request at its current version (as views.open would have had it), from a modal seen before. */
async function modalAsItWouldBe(drill: Drill, h: Handling, template: string, cardTs?: string): Promise<string> {
  const { version } = await drill.database.db.supervisionRequest.findUniqueOrThrow({ where: { id: h.requestId } });
  const seen = JSON.parse(template) as { verb: string; data: Record<string, unknown>; channel: string; ts?: string };
  return JSON.stringify({ ...seen, data: { ...seen.data, requestId: h.requestId, version: typeof seen.data.version === 'string' ? String(version) : version }, channel: TRIAGE_CHANNEL, ts: cardTs });
}

async function submitAdvice(drill: Drill, h: Handling, problems: string[]): Promise<void> {
  if (!h.modal) {
    problems.push(`${h.reference}: no advice modal to submit`);
    return;
  }
  await turn(drill, 'submit advice', h.claimer, () => drill.slack.submit(h.claimer, h.modal!, { advice: ADVICE }));
  if (!(await waitForRequest(drill, h.requestId, (r) => r.status === 'ADVICE_GIVEN'))) problems.push(`${h.reference}: not ADVICE_GIVEN after the advice was submitted`);
}

/**
 * The requests whose triage card the stub has not yet been given in its final state (the last
 * post or update of the recorded card: Advice given, by its claimer, at the request's version).
 */
async function cardsNotFinal(drill: Drill, handlings: Handling[]): Promise<string[]> {
  const db = drill.database.db;
  const ids = handlings.map((h) => h.requestId);
  const [requests, cards] = await Promise.all([
    db.supervisionRequest.findMany({ where: { id: { in: ids } }, select: { id: true, reference: true, version: true, claimedBy: { select: { name: true } } } }),
    db.postedCard.findMany({ where: { subjectType: 'request', purpose: 'triage', subjectId: { in: ids } }, select: { subjectId: true, messageId: true } }),
  ]);
  const lastShown = new Map<string, ApiCall>();
  for (const c of drill.api.calls) {
    if (c.channel === TRIAGE_CHANNEL && c.ts && (c.method === 'chat.postMessage' || c.method === 'chat.update')) lastShown.set(c.ts, c);
  }
  return requests
    .filter((request) => {
      const card = cards.find((x) => x.subjectId === request.id);
      const last = card ? lastShown.get(card.messageId) : undefined;
      if (!last) return true;
      const version = Number(buttonsIn(last.blocks).find((b) => b.value.requestId === request.id)?.value.version ?? NaN);
      return factIn(last.blocks, 'Status') !== 'Advice given' || factIn(last.blocks, 'Claimed by') !== request.claimedBy?.name || version !== request.version;
    })
    .map((request) => request.reference);
}

// ---------------------------------------------------------------------------
// The accounting
// ---------------------------------------------------------------------------

const contentOf = (call: { text: string; blocks?: unknown[] | undefined }) => JSON.stringify([call.text, call.blocks ?? null]);

async function account(drill: Drill, handlings: Handling[], kill: { at: number; leasedRows: number } | undefined) {
  const db = drill.database.db;
  const { calls, refused } = drill.api;
  const problems: string[] = [];
  const rows = await db.outboundMessage.findMany({ orderBy: { seq: 'asc' } });
  const requests = await db.supervisionRequest.findMany({ where: { requesterId: { in: drill.people.map((p) => p.personId) } }, include: { claimedBy: true, requester: true } });
  const posted = await db.postedCard.findMany({ where: { subjectType: 'request', purpose: 'triage' } });
  const references = await db.conversationReference.findMany({ where: { kind: 'PERSONAL', platform: 'SLACK' } });
  const everyone = [...drill.people, ...drill.specialists, drill.admin];
  const dmOf = new Map(everyone.map((p) => [p.personId, p.dm]));
  for (const ref of references) {
    if (ref.personId && dmOf.get(ref.personId) !== ref.conversationId) problems.push(`person ${ref.personId}'s DM is stored as ${ref.conversationId}, not ${dmOf.get(ref.personId) ?? '?'}`);
  }
  const watched = new Set([TRIAGE_CHANNEL, ...everyone.map((p) => p.dm)]);
  const posts = calls.filter((c) => c.method === 'chat.postMessage' && c.channel && watched.has(c.channel));
  const postByTs = new Map(posts.map((c) => [c.ts!, c]));

  // Rows: every one SENT, or CANCELLED as a superseded card update; none FAILED or PENDING.
  for (const row of rows) {
    const fine = row.status === 'SENT' || (row.status === 'CANCELLED' && row.kind === 'triage-update' && row.lastError === 'superseded');
    if (!fine) {
      problems.push(`OutboundMessage ${row.id} (${row.kind}${row.personId ? ` to ${row.personId}` : ''}${row.requestId ? ` request ${row.requestId}` : ''}) is ${row.status} after ${row.attempts} tries: ${row.lastError ?? 'no error'}; next try ${row.nextAttemptAt.toISOString()}`);
    }
  }

  // Each SENT person or triage-post row is one accepted post, in its own channel, with its own content.
  const claimed = new Map<string, string>();
  for (const row of rows) {
    if (row.status !== 'SENT' || (row.kind !== 'person' && row.kind !== 'triage-post')) continue;
    const what = `${row.kind} row ${row.id}${row.label ? ` (${row.label})` : ''}`;
    const call = row.platformMessageId ? postByTs.get(row.platformMessageId) : undefined;
    if (!call) {
      problems.push(`${what} is SENT as ${row.platformMessageId ?? 'nothing'}, which the stub never accepted as a post`);
      continue;
    }
    const channel = row.kind === 'person' ? (row.conversationId ?? dmOf.get(row.personId ?? '')) : TRIAGE_CHANNEL;
    if (call.channel !== channel) problems.push(`${what} was posted into ${call.channel}, not ${channel}`);
    if (row.kind === 'person' && contentOf(call) !== contentOf(toSlackMessage(row.message as OutMessage))) problems.push(`${what}: the post ${call.ts} is not the row's message`);
    const earlier = claimed.get(call.ts!);
    if (earlier) problems.push(`${what} and ${earlier} both claim the post ${call.ts}`);
    claimed.set(call.ts!, what);
  }

  // A post no row claims with the same content as a claimed one in the same channel is a duplicate;
  // any other unclaimed post must be a turn's own reply (the web process answering someone).
  const claimedContent = new Set(posts.filter((c) => claimed.has(c.ts!)).map((c) => `${c.channel} ${contentOf(c)}`));
  const unclaimed = posts.filter((c) => !claimed.has(c.ts!));
  const duplicates = unclaimed.filter((c) => claimedContent.has(`${c.channel} ${contentOf(c)}`));
  const turnReplies = unclaimed.filter((c) => !duplicates.includes(c));
  for (const c of turnReplies.filter((c) => c.from !== 'web')) problems.push(`${c.from} posted ${c.ts} into ${c.channel}, which no row explains: ${textOfCall(c).slice(0, 120).replace(/\n/g, ' | ')}`);
  const bound = kill?.leasedRows ?? 0;
  if (duplicates.length > bound) problems.push(`${duplicates.length} duplicate posts, more than the ${bound} rows in flight at the kill: ${duplicates.map((d) => `${d.channel} ${d.ts}`).join(', ')}`);

  // Per request: status and claimer; one triage card, posted once, recorded once, last shown in
  // its final state; the requester's confirmation, claim notice and advice, the claimer's details.
  const regressions: string[] = [];
  const perRequest: string[] = [];
  const outOfOrder: string[] = [];
  for (const request of requests) {
    const ref = request.reference;
    const h = handlings.find((x) => x.requestId === request.id);
    if (!h) problems.push(`${ref}: a request the drill did not make`);
    if (request.status !== 'ADVICE_GIVEN' || (h && request.claimedById !== h.claimer.personId)) {
      problems.push(`${ref}: stored as ${request.status}, claimed by ${request.claimedBy?.name ?? 'nobody'} (expected ADVICE_GIVEN, claimed by ${h?.claimer.name ?? '?'})`);
    }
    const cards = posted.filter((p) => p.subjectId === request.id);
    const cardPosts = posts.filter((c) => c.channel === TRIAGE_CHANNEL && factIn(c.blocks, 'Reference') === ref && !duplicates.includes(c));
    if (cards.length !== 1 || cardPosts.length !== 1) problems.push(`${ref}: ${cards.length} triage cards recorded and ${cardPosts.length} posted, expected 1 and 1`);
    const card = cards[0];
    if (card && cardPosts.length === 1 && cardPosts[0]!.ts !== card.messageId) problems.push(`${ref}: the recorded triage card ${card.messageId} is not the one posted (${cardPosts[0]!.ts})`);
    const shown = card ? calls.filter((c) => c.channel === TRIAGE_CHANNEL && c.ts === card.messageId && (c.method === 'chat.postMessage' || c.method === 'chat.update')) : [];
    const last = shown.at(-1);
    const versionOf = (c: ApiCall) => Number(buttonsIn(c.blocks).find((b) => b.value.requestId === request.id)?.value.version ?? NaN);
    if (last) {
      const state = { status: factIn(last.blocks, 'Status'), claimedBy: factIn(last.blocks, 'Claimed by'), version: versionOf(last) };
      const wanted = { status: 'Advice given', claimedBy: request.claimedBy?.name, version: request.version };
      if (JSON.stringify(state) !== JSON.stringify(wanted)) problems.push(`${ref}: the triage card's last state (${last.method} #${last.seq}) is ${JSON.stringify(state)}, expected ${JSON.stringify(wanted)}`);
    } else if (card) problems.push(`${ref}: its triage card ${card.messageId} was never shown`);
    // Not asserted (the last state is): an older state shown after a newer one, on the way.
    const versions = shown.map(versionOf);
    if (versions.some((v, i) => i > 0 && v < versions[i - 1]!)) regressions.push(`${ref}: ${versions.join(' → ')}`);
    perRequest.push(`${ref} ${versions.join('→')}`);

    const requesterDm = dmOf.get(request.requesterId)!;
    const toRequester = posts.filter((c) => c.channel === requesterDm && !duplicates.includes(c));
    const has = (c: ApiCall, ...parts: string[]) => parts.every((part) => textOfCall(c).includes(part));
    const claimerName = request.claimedBy?.name ?? '\u0000';
    const claimerDm = request.claimedById ? dmOf.get(request.claimedById) : undefined;
    const counts = {
      confirmation: toRequester.filter((c) => has(c, CONFIRMATION_MARK, ref)).length,
      claimNotice: toRequester.filter((c) => has(c, ref, claimerName, 'picked up')).length,
      advice: toRequester.filter((c) => has(c, ADVICE, ref)).length,
      detailsToClaimer: claimerDm ? posts.filter((c) => c.channel === claimerDm && !duplicates.includes(c) && has(c, ref, SUMMARY)).length : 0,
    };
    if (Object.values(counts).some((n) => n !== 1)) problems.push(`${ref} (requester ${request.requester.name}): received ${JSON.stringify(counts)}, expected 1 of each`);
    // One person's messages arrive in the order they were written (confirmation, "picked up", advice).
    const order = [CONFIRMATION_MARK, 'picked up', ADVICE].map((mark) => toRequester.find((c) => has(c, mark, ref))?.seq ?? Infinity);
    if (order.some((seq, i) => i > 0 && seq < order[i - 1]!)) {
      outOfOrder.push(ref);
      problems.push(`${ref}: the requester got their messages out of the order they were written`);
    }
  }
  if (requests.length !== handlings.length) problems.push(`${requests.length} requests stored, ${handlings.length} made`);

  // Apologies: in anything sent to the stub, accepted or refused.
  const apologies = [...calls, ...refused].filter((c) => textOfCall(c).includes(SLACK_SORRY_MARK));
  for (const c of apologies) problems.push(`apology (${c.method} #${c.seq} by ${c.from}) into ${c.channel}`);
  for (const u of drill.api.unexpected) problems.push(`unexpected request to the stub: ${u}`);

  const byKindStatus = countBy(rows, (r) => `${r.kind} ${r.status}${r.status === 'CANCELLED' ? ` (${r.lastError})` : ''}`);
  const attempts = countBy(rows.filter((r) => r.status === 'SENT'), (r) => `${r.attempts} tries`);
  return { problems, duplicates, turnReplies, regressions, perRequest, rows, figures: { requests: requests.length, rows: byKindStatus, sentAfter: attempts, apologies: apologies.length, requesterMessagesOutOfOrder: outOfOrder } };
}

/** With DRILL_DUMP=<file>: every call, row and request, for a closer look. */
async function dumpIfAsked(drill: Drill, extra: unknown): Promise<void> {
  const file = process.env.DRILL_DUMP;
  if (!file) return;
  const db = drill.database.db;
  const brief = (c: ApiCall) => ({ seq: c.seq, at: c.at, method: c.method, from: c.from, channel: c.channel, ts: c.ts, status: factIn(c.blocks, 'Status'), reference: factIn(c.blocks, 'Reference'), text: textOfCall(c).slice(0, 200) });
  const data = {
    calls: drill.api.calls.map(brief),
    refused: drill.api.refused.map(brief),
    rows: (await db.outboundMessage.findMany({ orderBy: { seq: 'asc' } })).map((r) => ({ ...r, seq: Number(r.seq), message: undefined })),
    requests: await db.supervisionRequest.findMany({ select: { id: true, reference: true, requesterId: true, claimedById: true, status: true, version: true, createdAt: true } }),
    turns: drill.turns,
    processes: Object.fromEntries([drill.web, ...drill.workers].map((r) => [r.name, r.output()])),
    extra,
  };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file.replace(/(\.json)?$/, '-slack-outage.json'), JSON.stringify(data));
}

// ---------------------------------------------------------------------------
// The drill
// ---------------------------------------------------------------------------

describe('Slack outage: the Web API answers 503 for 60 s and the worker is SIGKILLed in the middle of it', () => {
  it('afterwards every message is delivered once, every triage card ends in its final state, nothing is lost and no apology is sent', async () => {
    const drill = await startDrill();
    const { api, slack, people, specialists, admin } = drill;
    const db = drill.database.db;
    const problems: string[] = [];
    const pendingRows = () => db.outboundMessage.count({ where: { status: 'PENDING' } });

    // The administrator binds the triage channel with the slash command typed there.
    await turn(drill, 'bind triage', admin, () => slack.command(admin, 'bind triage', TRIAGE_CHANNEL, 'safeguarding-triage'));
    expect(await waitFor(async () => (await db.triageChannel.findFirst({ where: { organisationId: drill.organisationId } }))?.conversationId === TRIAGE_CHANNEL, STEP_MS, 100)).toBe(true);
    const ready = Date.now();

    // --- API up: requests 0-3, their triage cards; 0 and 1 claimed, their advice modals opened.
    const handlings: Handling[] = [];
    const handle = async (index: number, live: boolean, claimer: Person) => {
      const request = await makeRequest(drill, people[index]!, live, problems);
      if (!request) return undefined;
      const h: Handling = { requestId: request.id, reference: request.reference, index, claimer };
      handlings.push(h);
      return h;
    };
    const early = (await Promise.all([0, 1, 2, 3].map((i) => handle(i, true, specialists[i < 2 ? 0 : 1])))).filter((h): h is Handling => h !== undefined);
    const earlyPosts = new Map<string, ApiCall>();
    for (const h of early) {
      const post = await triagePost(api, h.reference, STEP_MS);
      if (post) earlyPosts.set(h.requestId, post);
      else problems.push(`${h.reference}: no triage card with the API up`);
    }
    for (const h of early.filter((x) => x.index < 2 && earlyPosts.has(x.requestId))) {
      const from = api.calls.length;
      await claimFromCard(drill, h, earlyPosts.get(h.requestId)!, problems);
      await openAdviceModal(drill, h, earlyPosts.get(h.requestId)!.ts!, from, problems);
    }
    const modalTemplate = early.find((h) => h.modal)?.modal;
    const calmBefore = await waitFor(async () => (await pendingRows()) === 0, STEP_MS, 100);
    if (!calmBefore) problems.push(`${await pendingRows()} rows still PENDING before the outage`);
    expect(modalTemplate, `no advice modal opened before the outage: ${problems.join('; ')}`).toBeDefined();
    const rowsBefore = await db.outboundMessage.count();
    const callsBefore = api.calls.length;

    // --- The outage. Each moment of it is set by what it waits for (a call refused, a journey
    // finished, a row written), never by a time; only its length has a minimum (OUTAGE_MS).
    api.setOutage(true);
    const outageStart = Date.now();
    /** Waits in the outage for `what`; one that does not come by OUTAGE_BY_MS is a problem (and the drill goes on). */
    const signal = async (what: string, probe: () => Promise<boolean> | boolean, intervalMs = 50) => {
      const seen = await waitFor(probe, Math.max(0, drill.startedAt + OUTAGE_BY_MS - Date.now()), intervalMs);
      if (!seen) problems.push(`in the outage: no sign of ${what} by ${seconds(OUTAGE_BY_MS)} into the test`);
      return seen;
    };
    const refusedFrom = (name: string, since = 0) => api.refused.slice(since).some((c) => c.from === name);
    const claimingInOutage = deferred();
    const requestedInOutage = deferred();
    let kill: { at: number; workerCalling: boolean; pendingRows: number; leasedRows: number; restartedReadyAt?: number } | undefined;
    const late: Array<Promise<Handling | undefined>> = [];
    await Promise.all([
      // The advice on 0 and 1, from the modals opened before the outage.
      (async () => {
        for (const h of early.filter((x) => x.index < 2)) await submitAdvice(drill, h, problems);
      })(),
      // 2 and 3 claimed from their cards by the second specialist, and advised, once the outage
      // has refused the bot.
      (async () => {
        try {
          await signal('a call refused', () => api.refused.length > 0);
          for (const h of early.filter((x) => x.index >= 2 && earlyPosts.has(x.requestId))) {
            const ts = earlyPosts.get(h.requestId)!.ts!;
            await claimFromCard(drill, h, earlyPosts.get(h.requestId)!, problems);
            claimingInOutage.resolve();
            h.modal = await modalAsItWouldBe(drill, h, modalTemplate!, ts);
            await submitAdvice(drill, h, problems);
          }
        } finally {
          claimingInOutage.resolve();
        }
      })(),
      // 4 and 5: requests made in the outage (once the first claim in it is recorded), claimed
      // and advised without their cards.
      (async () => {
        try {
          await claimingInOutage.promise;
          const made = await Promise.all([4, 5].map((i) => handle(i, false, specialists[i % 2]!)));
          requestedInOutage.resolve();
          for (const h of made) {
            if (!h) continue;
            await claimBlind(drill, h, problems);
            h.modal = await modalAsItWouldBe(drill, h, modalTemplate!);
            await submitAdvice(drill, h, problems);
          }
        } finally {
          requestedInOutage.resolve();
        }
      })(),
      // The kill, once 4 and 5 have made their requests, at the next moment the worker is calling
      // Slack (the stub refuses one of its sends' calls: the send goes on retrying, the Web
      // client's retries take seconds); 6 and 7 make their requests while no worker runs, and
      // the new worker is started once those are stored with their rows.
      (async () => {
        await requestedInOutage.promise;
        const victim = drill.workers[0]!;
        const mark = api.refused.length;
        await signal(`${victim.name} calling Slack`, () => refusedFrom(victim.name, mark), 10);
        const workerCalling = Date.now() - (api.lastCallFrom(victim.name) ?? 0) < 1_000;
        await victim.kill();
        const now = new Date();
        kill = {
          at: now.getTime(),
          workerCalling,
          pendingRows: await pendingRows(),
          // The dead worker's leases (MESSAGE_LEASE_MS, 2 minutes): a backoff this early in the outage is at most 75 s.
          leasedRows: await db.outboundMessage.count({ where: { status: 'PENDING', nextAttemptAt: { gt: new Date(now.getTime() + 80_000) } } }),
        };
        late.push(...[6, 7].map((i) => handle(i, false, specialists[i % 2]!)));
        const requestIds = (await Promise.all(late)).flatMap((h) => (h ? [h.requestId] : []));
        await signal(
          'the rows of the requests made while no worker runs',
          async () => (await db.outboundMessage.findMany({ where: { kind: 'triage-post', requestId: { in: requestIds } }, distinct: ['requestId'], select: { requestId: true } })).length === requestIds.length,
        );
        try {
          drill.workers.push(await startSlackRole('worker', 'worker-2', drill.roleEnv(TOKENS['worker-2'])));
          kill.restartedReadyAt = Date.now();
        } catch (error) {
          problems.push(`the new worker did not start: ${(error as Error).message.slice(0, 300)}`);
        }
      })(),
    ]);
    // Everything the outage is for has happened: the new worker's sends are refused too.
    const restarted = drill.workers[1];
    if (restarted) await signal(`${restarted.name} calling Slack`, () => refusedFrom(restarted.name));
    // The scenario's minimum length (not a wait for anything: the outage is at least this long).
    await sleep(outageStart + OUTAGE_MS - Date.now());
    api.setOutage(false);
    const outageEnd = Date.now();
    const refusedInOutage = api.refused.length;

    // --- After: 6 and 7 claimed from their cards once posted, advised from the updated cards' modals.
    const afterwards = (await Promise.all(late)).filter((h): h is Handling => h !== undefined);
    await Promise.all(
      afterwards.map(async (h) => {
        const post = await triagePost(api, h.reference, Math.max(0, drill.startedAt + DRAIN_BY_MS - 30_000 - Date.now()));
        if (!post) {
          problems.push(`${h.reference}: no triage card after the outage`);
          return;
        }
        const from = api.calls.length;
        await claimFromCard(drill, h, post, problems);
        await openAdviceModal(drill, h, post.ts!, from, problems);
        await submitAdvice(drill, h, problems);
      }),
    );
    const journeysDone = Date.now();
    // Drained: no row PENDING (none left to try, none being tried: a try holds its row PENDING
    // until its outcome, and whatever it sets off, such as a card brought back to its newest
    // state, is written before that) and every triage card shown in its request's final state.
    const drained = await waitFor(async () => (await pendingRows()) === 0 && (await cardsNotFinal(drill, handlings)).length === 0, Math.max(0, drill.startedAt + DRAIN_BY_MS - Date.now()), 250);
    const drainedAt = Date.now();
    const stillPending = await pendingRows();
    const notFinal = drained ? [] : await cardsNotFinal(drill, handlings);

    const result = await account(drill, handlings, kill);
    const lastSent = result.rows.reduce((max, r) => Math.max(max, r.sentAt?.getTime() ?? 0), 0);
    const firstAfter = api.calls.find((c) => c.at >= outageEnd);
    const webErrors = errorKinds(drill.web.output());
    const figures = {
      people: PEOPLE,
      ...result.figures,
      rowsWrittenBeforeOutage: rowsBefore,
      callsAcceptedBeforeOutage: callsBefore,
      outage: { planned: seconds(OUTAGE_MS), actual: seconds(outageEnd - outageStart), refused503: refusedInOutage, byMethod: countBy(api.refused, (c) => c.method), byProcess: countBy(api.refused, (c) => c.from) },
      accepted: { total: api.calls.length, byMethod: countBy(api.calls, (c) => c.method), byProcess: countBy(api.calls, (c) => c.from) },
      kill: kill && {
        intoOutage: seconds(kill.at - outageStart),
        workerCallingAtKill: kill.workerCalling,
        pendingRowsAtKill: kill.pendingRows,
        leasedRowsAtKill: kill.leasedRows,
        newWorkerReadyAfterKill: kill.restartedReadyAt ? seconds(kill.restartedReadyAt - kill.at) : 'never',
      },
      recovery: {
        firstAcceptedCallAfterOutage: firstAfter ? `${seconds(firstAfter.at - outageEnd)} (${firstAfter.method} by ${firstAfter.from})` : 'none',
        lastRowSentAfterOutage: lastSent ? seconds(lastSent - outageEnd) : 'none',
        drainedAfterOutage: seconds(drainedAt - outageEnd),
      },
      duplicates: result.duplicates.length,
      turnReplies: { delivered: result.turnReplies.length, turnsFailed: Object.entries(webErrors).filter(([k]) => /^Slack (event|listener) failed/.test(k)).reduce((n, [, v]) => n + v, 0) },
      cardStateRegressions: result.regressions,
      cardVersionsShown: result.perRequest,
      signedRequests: { total: drill.turns.length, non200: drill.turns.filter((t) => t.answer?.status !== 200).length },
      durations: {
        setUp: seconds(ready - drill.startedAt),
        beforeOutage: seconds(outageStart - ready),
        afterOutageJourneys: seconds(journeysDone - outageEnd),
        total: seconds(drainedAt - drill.startedAt),
      },
    };
    console.info(`[outage-slack] ${JSON.stringify(figures)}`);
    await dumpIfAsked(drill, { figures, kill, outageStart, outageEnd });

    const all = [
      ...problems,
      ...(kill ? [] : ['the worker was never killed']),
      ...(kill?.restartedReadyAt ? [] : ['the new worker never started']),
      ...(drained && stillPending === 0 ? [] : [`${stillPending} rows still PENDING at the end of the wait, triage cards not in their final state: ${notFinal.join(', ') || 'none'}`]),
      ...drill.turns.filter((t) => t.answer?.status !== 200).map((t) => `${t.label} by ${t.who}: ${t.error ?? `HTTP ${t.answer?.status} ${t.answer?.text.slice(0, 120)}`}`),
      ...result.problems,
    ];
    if (all.length > 0) console.info(`[outage-slack] ${all.length} problems:\n  ${all.join('\n  ')}`);
    expect(drill.workers[0]!.alive()).toBe(false);
    expect(all.slice(0, 60), `${all.length} problems`).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
