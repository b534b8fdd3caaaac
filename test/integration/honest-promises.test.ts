// Promise only what will happen: at 21:11 on a Friday (service hours 09:00-17:00, Monday to
// Friday) an urgent request is told the team is not on duty until Monday, with the 24/7 routes
// first, and every "expect contact" (the person's and the triage card's) counts service time.
// The requester is told when their request is claimed. Over real HTTP, the connector intercepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { cardOf, personalConversationId, startTeamsHarness, TRIAGE_CHANNEL, visibleTexts, type TeamsHarness } from '../support/teams-harness.js';

// Friday 27 November 2026, 21:11 in London (GMT).
const FRIDAY_NIGHT = new Date('2026-11-27T21:11:00Z');

let h: TeamsHarness;

beforeAll(async () => {
  h = await startTeamsHarness({ now: FRIDAY_NIGHT });
  await h.message('admin', 'bind triage', 'channel');
});
afterAll(async () => {
  await h?.close();
});

const facts = (card: any) => Object.fromEntries((card.body as any[]).flatMap((b) => (b.type === 'FactSet' ? b.facts : [])).map((f: any) => [f.title, f.value]));

describe('an urgent request out of service hours', () => {
  it('says the team is not on duty until Monday 09:00, routes first; the triage card promises Monday 09:30, not 21:41 tonight', async () => {
    await h.message('paramedic', 'hello');
    h.take();
    await h.action('paramedic', 'intake.risk', { answer: 'yes' });
    const calls = h.take();
    const toParamedic = calls.filter((c) => c.path.startsWith(`/v3/conversations/${personalConversationId('paramedic')}/activities`));
    const routes = visibleTexts(cardOf(toParamedic[0]).body).join('\n');
    expect(routes).toContain('not on duty until 09:00 on Monday 30 November: if anyone is at risk now, use the routes above.');
    expect(routes).not.toContain('21:41');
    // 999 first, then the organisation's 24/7 line.
    expect(routes.indexOf('999')).toBeLessThan(routes.indexOf('24/7'));

    const alert = calls.find((c) => c.path === `/v3/conversations/${TRIAGE_CHANNEL}/activities`);
    expect(facts(cardOf(alert))['Expect contact']).toBe('by 09:30 on Monday 30 November');

    await h.action('paramedic', 'intake.kind', { helpType: 'ADVICE' });
    h.take();
    await h.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'any time', summary: 'A child was left alone at the address.' });
    const confirmation = h.take().find((c) => c.path.startsWith(`/v3/conversations/${personalConversationId('paramedic')}/activities`));
    expect(facts(cardOf(confirmation))['Expect contact']).toBe(
      'The safeguarding team is not on duty until 09:00 on Monday 30 November; expect contact by 09:30 on Monday 30 November. If anyone is at risk before then, use the 24/7 routes I gave you.',
    );
  });

  it('tells the requester, once a specialist claims it, who has it and what comes next', async () => {
    const request = await h.database.db.supervisionRequest.findFirstOrThrow({ where: { urgency: 'URGENT' } });
    await h.message('specialist', 'help');
    h.take();
    await h.action('specialist', 'request.claim', { requestId: request.id, version: request.version }, 'channel');
    const told = h.take().filter((c) => c.path === `/v3/conversations/${personalConversationId('paramedic')}/activities`);
    expect(told.map((c) => c.body.text)).toEqual([
      `${demoPerson('specialist').name} from the safeguarding team has picked up your request ${request.reference}. They will reply to you here with advice.`,
    ]);
  });
});
