// The trust boundaries, attacked over real HTTP: an endpoint exists only for a configured
// platform, tenants are pinned, identity is linked only from what the platform proved, the bot
// never calls a host the sender chose, and confidential answers go where the person acted.
// The attacker's "connector" is a real HTTP server on loopback that records every call.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TENANT_ID, demoPerson } from '../../src/db/demo-organisation.js';
import { channelToken, interceptBotFrameworkAuth } from '../support/bot-framework-auth.js';
import { dmChannel, slackUserId, startSlackHarness, TRIAGE_CHANNEL as SLACK_TRIAGE, type SlackHarness } from '../support/slack-harness.js';
import { activityFrom, httpRequest, personalConversationId, startTeamsHarness, type TeamsHarness } from '../support/teams-harness.js';

interface Attacker {
  url: string;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/** A server that answers every getMember with the Head of Safeguarding's e-mail. */
async function startAttacker(): Promise<Attacker> {
  const requests: Attacker['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: '29:attacker', email: demoPerson('head').email, userPrincipalName: demoPerson('head').email }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const ATTACKER_AAD = '0badc0de-0000-4000-8000-00000000a77a';

function attackActivity(serviceUrl: string, fields: Record<string, unknown> = {}) {
  return {
    ...activityFrom('head', 'personal', { type: 'message', text: `subject access ${demoPerson('head').email}` }),
    from: { id: '29:attacker', aadObjectId: ATTACKER_AAD, name: 'Attacker' },
    serviceUrl,
    ...fields,
  };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  httpRequest(`${url}/api/messages`, 'POST', JSON.stringify(body), { 'content-type': 'application/json', ...headers });

describe('a Slack-only deployment', () => {
  let h: SlackHarness;
  let attacker: Attacker;
  beforeAll(async () => {
    h = await startSlackHarness();
    attacker = await startAttacker();
  });
  afterAll(async () => {
    await attacker?.close();
    await h?.close();
  });

  it('has no /api/messages: the forged Teams activity is 404, nothing stored, nothing called', async () => {
    const identities = await h.database.db.platformIdentity.count();
    const res = await post(h.url, attackActivity(attacker.url));
    expect(res.status).toBe(404);
    expect(attacker.requests).toEqual([]);
    expect(await h.database.db.platformIdentity.count()).toBe(identities);
    expect(await h.database.db.platformIdentity.count({ where: { platformUserId: ATTACKER_AAD } })).toBe(0);
    expect(await h.database.db.exportFile.count()).toBe(0);
  });

  it('still serves /slack/events (refusing an unsigned request)', async () => {
    const res = await httpRequest(`${h.url}/slack/events`, 'POST', '{}', { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
  });

  it('tells a signed request from another workspace that they are not in the directory, storing nothing', async () => {
    const before = await h.database.db.platformIdentity.count();
    const body = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0STRANGER',
      event_id: 'EvStranger',
      event: { type: 'message', channel_type: 'im', channel: 'D0STRANGER', user: slackUserId('head'), text: 'subject access' },
    });
    expect((await h.signed(body, 'application/json')).status).toBe(200);
    const calls = await h.until((c) => c.some((x) => x.method === 'chat.postMessage'));
    const reply = calls.find((c) => c.method === 'chat.postMessage')!;
    expect(reply.args.channel).toBe('D0STRANGER');
    expect(reply.args.text).toMatch(/^I can't find you in the staff directory/);
    // Nothing about the organisation (its inbox) is told to a stranger, and Slack is not asked who they are.
    expect(reply.args.text).not.toContain('lond-amb');
    expect(calls.filter((c) => c.method === 'users.info')).toEqual([]);
    expect(await h.database.db.platformIdentity.count()).toBe(before);
    expect(await h.database.db.conversationReference.count({ where: { conversationId: 'D0STRANGER' } })).toBe(0);
  });
});

describe('a Teams deployment (authenticated, tenant pinned)', () => {
  const APP_ID = '00000000-0000-4000-8000-0000000a0011';
  let h: TeamsHarness;
  let attacker: Attacker;
  const bearer = (serviceUrl: string, appId = APP_ID) => ({ authorization: `Bearer ${channelToken({ appId, serviceUrl })}` });

  beforeAll(async () => {
    h = await startTeamsHarness({ appId: APP_ID, appPassword: 'not-a-real-secret' });
    interceptBotFrameworkAuth();
    attacker = await startAttacker();
  });
  afterAll(async () => {
    await attacker?.close();
    await h?.close();
  });

  it('runs a turn for a validly signed activity from the pinned tenant', async () => {
    h.take();
    const res = await post(h.url, activityFrom('paramedic', 'personal', { type: 'message', text: 'help', serviceUrl: h.serviceUrl }), bearer(h.serviceUrl));
    expect(res.status).toBe(200);
    const replies = h.take().filter((c) => c.method === 'POST');
    expect(replies.length).toBeGreaterThan(0);
  });

  it('answers 401 without a token, with a forged one, one for another app, or one bound to another serviceUrl', async () => {
    const activity = activityFrom('paramedic', 'personal', { type: 'message', text: 'help', serviceUrl: h.serviceUrl });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ aud: APP_ID, iss: 'https://api.botframework.com', serviceurl: h.serviceUrl })).toString('base64url')}.`;
    const cases: Array<[string, Record<string, string>]> = [
      ['no token', {}],
      ['unsigned token', { authorization: `Bearer ${unsigned}` }],
      ['token for another app', bearer(h.serviceUrl, '00000000-0000-4000-8000-00000000bad0')],
      ['token bound to another serviceUrl', bearer('https://smba.trafficmanager.net/emea/')],
    ];
    h.take();
    for (const [what, headers] of cases) {
      const res = await post(h.url, activity, headers);
      expect(res.status, what).toBe(401);
      expect(JSON.parse(res.text), what).toEqual({ error: 'Unauthorized.' });
    }
    expect(h.take()).toEqual([]);
  });

  it('refuses a serviceUrl that is not a Bot Framework host with 400, even with a token bound to it', async () => {
    for (const serviceUrl of [attacker.url, 'http://smba.trafficmanager.net/uk/', 'https://smba.trafficmanager.net.evil.example/', '', 'not a url']) {
      const res = await post(h.url, attackActivity(serviceUrl), bearer(serviceUrl));
      expect(res.status, serviceUrl).toBe(400);
    }
    expect(attacker.requests).toEqual([]);
    expect(await h.database.db.platformIdentity.count({ where: { platformUserId: ATTACKER_AAD } })).toBe(0);
  });

  it('does not link an authenticated activity from another tenant, and does not ask Teams who it is', async () => {
    h.members.set('29:attacker', { email: demoPerson('head').email });
    h.take();
    const activity = attackActivity(h.serviceUrl, {
      conversation: { id: 'a:other-tenant', conversationType: 'personal', tenantId: '99999999-0000-4000-8000-000000000000' },
      channelData: { tenant: { id: '99999999-0000-4000-8000-000000000000' } },
    });
    const res = await post(h.url, activity, bearer(h.serviceUrl));
    expect(res.status).toBe(200);
    const calls = h.take();
    expect(calls.filter((c) => c.method === 'GET')).toEqual([]);
    const [reply] = calls.filter((c) => c.method === 'POST');
    expect(reply!.body.text).toMatch(/^I can't find you in the staff directory/);
    expect(reply!.body.text).not.toContain('lond-amb');
    expect(await h.database.db.platformIdentity.count({ where: { platformUserId: ATTACKER_AAD } })).toBe(0);
    expect(await h.database.db.conversationReference.count({ where: { conversationId: 'a:other-tenant' } })).toBe(0);
    h.members.clear();
  });

  it('does not link when the e-mail Teams returns matches nobody in the directory', async () => {
    h.members.set('29:attacker', { email: 'nobody@example.org' });
    h.take();
    const res = await post(h.url, attackActivity(h.serviceUrl), bearer(h.serviceUrl));
    expect(res.status).toBe(200);
    const calls = h.take();
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    expect(calls.find((c) => c.method === 'POST')!.body.text).toMatch(/^I can't find you in the staff directory/);
    expect(await h.database.db.platformIdentity.count({ where: { platformUserId: ATTACKER_AAD } })).toBe(0);
    h.members.clear();
  });

  it('links a new account from the e-mail Teams returned, audits it and tells the person where they already are', async () => {
    // The paramedic already talks to the bot from their usual account.
    await post(h.url, activityFrom('paramedic', 'personal', { type: 'message', text: 'help', serviceUrl: h.serviceUrl }), bearer(h.serviceUrl));
    const newAad = '0badc0de-0000-4000-8000-00000000beef';
    h.members.set('29:second-device', { email: demoPerson('paramedic').email.toUpperCase() });
    h.take();
    const activity = {
      ...activityFrom('paramedic', 'personal', { type: 'message', text: 'help', serviceUrl: h.serviceUrl }),
      from: { id: '29:second-device', aadObjectId: newAad, name: 'Second device' },
      conversation: { id: 'a:second-device', conversationType: 'personal', tenantId: DEMO_TENANT_ID },
    };
    expect((await post(h.url, activity, bearer(h.serviceUrl))).status).toBe(200);
    await h.settled(); // the notice is delivered after the turn
    const person = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('paramedic').email } });
    const identity = await h.database.db.platformIdentity.findFirstOrThrow({ where: { platformUserId: newAad } });
    expect(identity).toMatchObject({ personId: person.id, platform: 'TEAMS', tenantId: DEMO_TENANT_ID });
    const audit = await h.database.db.auditEvent.findMany({ where: { action: 'identity.linked', subjectId: person.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: person.id, platform: 'TEAMS', detail: { tenantId: DEMO_TENANT_ID, how: 'e-mail' } });
    const posts = h.take().filter((c) => c.method === 'POST');
    const notice = posts.find((c) => c.path.includes(personalConversationId('paramedic')));
    expect(notice?.body.text).toMatch(/^A Microsoft Teams account was linked to you/);
    // The new account's own chat gets the turn's answer, not the notice.
    expect(posts.filter((c) => c.path.includes('a:second-device')).every((c) => !String(c.body.text ?? '').startsWith('A Microsoft Teams account'))).toBe(true);
    h.members.clear();
  });
});

describe('local mode (no credentials)', () => {
  let h: TeamsHarness;
  let attacker: Attacker;
  beforeAll(async () => {
    h = await startTeamsHarness();
    attacker = await startAttacker();
  });
  afterAll(async () => {
    await attacker?.close();
    await h?.close();
  });

  it('accepts only the registered playground serviceUrl and never links by e-mail', async () => {
    h.members.set('29:attacker', { email: demoPerson('head').email });
    for (const serviceUrl of [attacker.url, 'http://127.0.0.1:1/', 'http://localhost:47011/', 'https://smba.trafficmanager.net/uk/']) {
      expect((await post(h.url, attackActivity(serviceUrl))).status, serviceUrl).toBe(400);
    }
    h.take();
    // The registered origin: the turn runs, but an unknown account is not linked without authentication.
    const res = await post(h.url, attackActivity(h.serviceUrl));
    expect(res.status).toBe(200);
    const calls = h.take();
    expect(calls.filter((c) => c.method === 'GET')).toEqual([]);
    expect(calls.find((c) => c.method === 'POST')!.body.text).toMatch(/^I can't find you in the staff directory/);
    expect(attacker.requests).toEqual([]);
    expect(await h.database.db.platformIdentity.count({ where: { platformUserId: ATTACKER_AAD } })).toBe(0);
  });

  it('answers activities without recipient, from or conversation with 400', async () => {
    const base = activityFrom('paramedic', 'personal', { type: 'message', text: 'hello', serviceUrl: h.serviceUrl }) as Record<string, unknown>;
    for (const field of ['recipient', 'from', 'conversation']) {
      for (const value of [undefined, null, 'x', {}]) {
        const res = await post(h.url, { ...base, [field]: value });
        expect(res.status, `${field}=${JSON.stringify(value)}`).toBe(400);
      }
    }
    expect((await httpRequest(`${h.url}/healthz`, 'GET')).status).toBe(200);
  });
});

describe('a deployment on Teams and Slack: confidential details go where the person acted', () => {
  let h: SlackHarness;
  const teamsCalls: string[] = [];
  beforeAll(async () => {
    h = await startSlackHarness({ teamsAppId: '00000000-0000-4000-8000-0000000a0022' });
    interceptBotFrameworkAuth();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends the claimed request to the specialist on Slack, though their Teams chat is more recent', async () => {
    const db = h.database.db;
    const specialist = await db.person.findFirstOrThrow({ where: { email: demoPerson('specialist').email } });
    // The specialist's Teams personal chat, touched after anything on Slack.
    const nock = (await import('nock')).default;
    nock('https://smba.trafficmanager.net')
      .persist()
      .post(/.*/)
      .reply(async (req: Request) => {
        teamsCalls.push(new URL(req.url).pathname);
        return [200, { id: 'teams-1' }] as const;
      });
    await db.conversationReference.create({
      data: {
        platform: 'TEAMS',
        conversationId: 'a:specialist-teams',
        kind: 'PERSONAL',
        tenantId: DEMO_TENANT_ID,
        personId: specialist.id,
        reference: { serviceUrl: 'https://smba.trafficmanager.net/uk/', channelId: 'msteams', conversation: { id: 'a:specialist-teams' }, bot: { id: '28:bot' }, user: { id: '29:specialist' } },
        updatedAt: new Date(Date.now() + 3600_000),
      },
    });
    await h.command('admin', 'bind triage', SLACK_TRIAGE);
    await h.until((c) => c.some((x) => x.method === 'chat.postMessage'));
    await h.dm('paramedic', 'hello');
    await h.until((c) => c.some((x) => x.method === 'chat.postMessage'));
    await h.press('paramedic', 'intake.risk#2', { answer: 'no' });
    await h.until((c) => c.some((x) => x.method === 'chat.postMessage'));
    await h.press('paramedic', 'intake.kind#1', { helpType: 'ADVICE' });
    await h.until((c) => c.some((x) => x.method === 'chat.postMessage'));
    await h.press('paramedic', 'intake.details#1', { acknowledged: 'no' }, { state: { summary: 'A confidential summary for the claimer only', availability: 'Tuesday' } });
    await h.until((c) => c.filter((x) => x.method === 'chat.postMessage').length >= 2);
    const request = await db.supervisionRequest.findFirstOrThrow({ where: { requester: { email: demoPerson('paramedic').email } } });

    await h.press('specialist', 'request.claim', { requestId: request.id, version: request.version }, { channel: SLACK_TRIAGE });
    const calls = await h.until((c) => c.some((x) => x.method === 'chat.postMessage' && x.args.channel === dmChannel('specialist')));
    const details = calls.find((x) => x.method === 'chat.postMessage' && x.args.channel === dmChannel('specialist'))!;
    expect(JSON.stringify(details.args.blocks)).toContain('A confidential summary for the claimer only');
    expect(teamsCalls.filter((p) => p.includes('a:specialist-teams'))).toEqual([]);
  });
});
