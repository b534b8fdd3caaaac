// Migration 20261207034500_response_policy_per_route on real PostgreSQL: organisations stored
// before one response policy per route (flat targets, wall-clock unclaimed times in settings) come
// out with one policy per route in service minutes that the bot's schema accepts, a trust's own
// times carried over; the demo gets its corrected values; rows already new are left alone.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, defaultMigrationsDir, quoteIdent } from '../../src/db/migrate.js';
import { DEFAULT_RESPONSE_POLICIES, responsePoliciesSchema } from '../../src/domain/response-policy.js';
import { orgSettingsSchema } from '../../src/domain/org-settings.js';
import { dropSchema, testDatabaseUrl, uniqueSchemaName, withPgClient } from '../support/database.js';

const MIGRATION = '20261207034500_response_policy_per_route';
const schema = uniqueSchemaName('rp');
let dir = '';
afterAll(async () => {
  await dropSchema(schema);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe(MIGRATION, () => {
  it('rewrites the old shape into one policy per route, keeping each trust’s times', async () => {
    // Every migration before this one, then rows as the old code wrote them, then the rest.
    dir = await mkdtemp(path.join(tmpdir(), 'sg-rp-migrations-'));
    const before = path.join(dir, 'before');
    await cp(defaultMigrationsDir, before, { recursive: true });
    for (const name of await readdir(before)) if (name >= MIGRATION && name !== 'migration_lock.toml') await rm(path.join(before, name), { recursive: true });
    await applyMigrations(testDatabaseUrl, { schema, migrationsDir: before });

    const table = `${quoteIdent(schema)}."Organisation"`;
    const rows: Array<[string, string, object, object]> = [
      ['a', 'las-demo', { urgentMinutes: 30, adviceMinutes: 240, sessionMinutes: 1920 }, {}],
      ['b', 'tuned-trust', { urgentMinutes: 20, adviceMinutes: 120, sessionMinutes: 960 }, { resurfaceUnclaimedAfterMinutes: 45, escalateUnclaimedAfterMinutes: 180, maxActionPoints: 6 }],
      ['c', 'new-trust', DEFAULT_RESPONSE_POLICIES, { maxActionPoints: 3 }],
    ];
    await withPgClient(async (c) => {
      for (const [id, slug, targets, settings] of rows) {
        await c.query(
          `INSERT INTO ${table} ("id", "slug", "name", "referencePrefix", "serviceHours", "responseTargets", "settings", "updatedAt") VALUES ($1, $2, $2, upper($1) || 'X', '{}', $3, $4, now())`,
          [id, slug, JSON.stringify(targets), JSON.stringify(settings)],
        );
      }
    });

    expect((await applyMigrations(testDatabaseUrl, { schema })).applied).toContain(MIGRATION);
    const after = await withPgClient(async (c) => (await c.query(`SELECT "slug", "responseTargets", "settings" FROM ${table} ORDER BY "id"`)).rows);
    const bySlug = Object.fromEntries(after.map((r) => [r.slug, r]));

    // The demo: its corrected values (a session in two 8-hour working days, not four).
    expect(bySlug['las-demo'].responseTargets).toEqual(DEFAULT_RESPONSE_POLICIES);
    // A trust's own: targets kept; its times now service minutes, urgent a third of them (as before),
    // escalation no later than the target, re-surfacing before escalation.
    expect(bySlug['tuned-trust'].responseTargets).toEqual({
      urgent: { targetMinutes: 20, resurfaceAfterMinutes: 15, escalateAfterMinutes: 20 },
      advice: { targetMinutes: 120, resurfaceAfterMinutes: 45, escalateAfterMinutes: 120 },
      session: { targetMinutes: 960, resurfaceAfterMinutes: 45, escalateAfterMinutes: 180 },
    });
    expect(bySlug['tuned-trust'].settings).toEqual({ maxActionPoints: 6 });
    // Already new: untouched.
    expect(bySlug['new-trust']).toMatchObject({ responseTargets: DEFAULT_RESPONSE_POLICIES, settings: { maxActionPoints: 3 } });
    for (const row of after) {
      expect(responsePoliciesSchema.safeParse(row.responseTargets).success, row.slug).toBe(true);
      expect(orgSettingsSchema.safeParse(row.settings).success, row.slug).toBe(true);
    }
  });
});
