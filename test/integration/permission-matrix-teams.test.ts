// The permission matrix on Teams: every row of permission-matrix.table.ts as every relation,
// through real activities posted to /api/messages (card actions as Action.Execute invokes,
// commands as messages), against one migrated schema with a fresh subject per cell.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/flows/router.js';
import { PLAYED_BY, RELATIONS } from '../support/permission-fixtures.js';
import { personalConversationId, startTeamsHarness, textsOf, TRIAGE_CHANNEL, type TeamsHarness } from '../support/teams-harness.js';
import { COVERED_ACTIONS, COVERED_COMMAND_ROUTES, ROWS, runPermissionMatrix, type Driver } from './permission-matrix.table.js';

let h: TeamsHarness | undefined;

async function teamsDriver(): Promise<Driver> {
  const harness = await startTeamsHarness();
  h = harness;
  const personal = (key: string) => `/v3/conversations/${personalConversationId(key)}/`;
  const channel = `/v3/conversations/${TRIAGE_CHANNEL}`;
  return {
    platform: 'Teams',
    db: harness.database.db,
    organisationId: harness.organisationId,
    now: () => harness.clock.now(),
    async prepare() {
      await harness.message('admin', 'bind triage', 'channel');
      // Everyone has a personal chat with the bot, so private answers can reach them.
      for (const relation of RELATIONS) await harness.message(PLAYED_BY[relation], 'help');
      harness.take();
    },
    async act(key, turn, fx, people, actorId) {
      harness.take();
      const where = turn.where === 'triage' ? 'channel' : 'personal';
      const res =
        'action' in turn
          ? await harness.action(key, turn.action, turn.value(fx, { people, actorId }), where)
          : await harness.message(key, turn.command(fx), where);
      expect(res.status).toBe(200);
      const shown = harness.take().filter((c) => c.path.startsWith(personal(key)) || (where === 'channel' && c.path.startsWith(channel)));
      // What a person reads: the invoke answer, and the text and cards of messages (not the envelopes).
      return [...textsOf(res.body?.value), ...shown.flatMap((c) => textsOf([c.body.text, c.body.attachments]))];
    },
  };
}

afterAll(async () => {
  await h?.close();
});

describe('the permission table', () => {
  it('has a row for every card action the bot offers (a new action cannot slip through)', () => {
    const missing = Object.keys(ACTIONS).filter((id) => !COVERED_ACTIONS.has(id));
    expect(missing, 'add a row to test/integration/permission-matrix.table.ts for each of these').toEqual([]);
  });

  it('has a row for every typed command the router recognises (a new command cannot slip through)', () => {
    const router = readFileSync(new URL('../../src/flows/router.ts', import.meta.url), 'utf8');
    const handleMessage = router.slice(router.indexOf('async function handleMessage'), router.indexOf('export function refusalFor'));
    const literals = [...handleMessage.matchAll(/command === '([^']+)'/g)].map((m) => m[1]!);
    const matchers = [...handleMessage.matchAll(/\b([A-Z][A-Z_]*_COMMAND|is[A-Z]\w*Command)\b/g)].map((m) => m[1]!);
    expect(literals.length).toBeGreaterThan(5);
    const missing = [...new Set([...literals, ...matchers])].filter((route) => !COVERED_COMMAND_ROUTES.has(route));
    expect(missing, 'add a row (with routes) to test/integration/permission-matrix.table.ts for each of these').toEqual([]);
  });

  it('names only actions that exist', () => {
    expect([...COVERED_ACTIONS].filter((id) => !Object.hasOwn(ACTIONS, id))).toEqual([]);
  });

  it('has one row per action and command', () => {
    const names = ROWS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('on Teams', () => {
  runPermissionMatrix(teamsDriver);
});
