// One part of an organisation's settings (response policy, reminders, retention, report, records)
// from key=value pairs (src/domain/settings-input.ts): validated whole with the bot's schemas,
// written and audited in one transaction.
import type { Prisma } from './generated/client.js';
import { changeSettings, type SettingChange, type SettingsPart } from '../domain/settings-input.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation } from './organisation-change.js';

const ACTIONS: Record<SettingsPart, string> = {
  'response-policy': 'organisation.response-policy.set',
  reminders: 'organisation.reminders.set',
  retention: 'organisation.retention.set',
  report: 'organisation.report-settings.set',
  records: 'organisation.records-settings.set',
};

/** A value as the audit detail holds it (flat: numbers, text, null for "back to the default"). */
function auditValue(value: unknown): string | number | null {
  if (value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

export async function setSettings(db: Db, slug: string, part: SettingsPart, assignments: readonly string[], clock: Clock): Promise<SettingChange[]> {
  return changeOrganisation(db, slug, clock, ACTIONS[part], async (tx, org) => {
    const change = changeSettings(part, { responseTargets: org.responseTargets, settings: org.settings }, assignments);
    if (!change.ok) throw new SetupRefusedError(change.problems);
    await tx.organisation.update({
      where: { id: org.id },
      data: {
        settings: change.settings as Prisma.InputJsonObject,
        ...(part === 'response-policy' ? { responseTargets: change.responseTargets as Prisma.InputJsonObject } : {}),
      },
    });
    const detail = Object.fromEntries(change.changes.map((c) => [c.field, auditValue(c.value)]));
    return { result: change.changes, detail };
  });
}
