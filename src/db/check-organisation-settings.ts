// At start, every organisation's settings (Organisation.settings, schema in
// src/domain/org-settings.ts) and response policies (Organisation.responseTargets,
// src/domain/response-policy.ts) are checked. The sweep falls back to the defaults for settings it
// cannot read, which would send reminders at times nobody chose without anyone noticing; so an
// invalid one stops the start instead, naming the organisation, the field and why.
import { ConfigError } from '../config.js';
import { orgSettingsSchema } from '../domain/org-settings.js';
import { responsePoliciesSchema } from '../domain/response-policy.js';
import { problemsFromZod } from '../domain/setup-problems.js';
import type { Db } from './client.js';

export interface SettingsProblem {
  organisation: { id: string; slug: string; name: string };
  /** e.g. "settings.reminders.actionDueSoonDays" */
  field: string;
  message: string;
}

/** Every problem in every organisation's settings; empty when all are valid. */
export async function findInvalidOrganisationSettings(db: Db): Promise<SettingsProblem[]> {
  const orgs = await db.organisation.findMany({ select: { id: true, slug: true, name: true, settings: true, responseTargets: true }, orderBy: { slug: 'asc' } });
  const problems: SettingsProblem[] = [];
  for (const { settings, responseTargets, ...organisation } of orgs) {
    const policies = responsePoliciesSchema.safeParse(responseTargets);
    if (!policies.success) {
      for (const { field, reason } of problemsFromZod(policies.error, ['responseTargets'])) problems.push({ organisation, field, message: reason });
    }
    const parsed = orgSettingsSchema.safeParse(settings ?? {});
    if (parsed.success) continue;
    for (const { field, reason } of problemsFromZod(parsed.error, ['settings'])) problems.push({ organisation, field, message: reason });
  }
  return problems;
}

/** Rejects with one line per problem when any organisation's settings are invalid. */
export async function assertOrganisationSettingsValid(db: Db): Promise<void> {
  const problems = await findInvalidOrganisationSettings(db);
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  organisation "${p.organisation.name}" (${p.organisation.slug}): ${p.field}: ${p.message}`);
  throw new ConfigError(
    `Invalid reminder settings, so the bot did not start:\n${lines.join('\n')}\nCorrect these fields with npm run org (set-response-policy, set-reminders, set-retention, set-report or set-records <slug> key=value; npm run org -- show <slug> lists them), then start again.`,
  );
}
