// What `npm run org` prints: an organisation's whole set-up (show) and refusals. Plain text.
import { DateTime } from 'luxon';
import { AGREEMENT_KIND_LABELS } from '../domain/agreements.js';
import type { OrganisationDescription } from '../db/describe-organisation.js';
import { describeDay } from '../db/set-service-hours.js';
import { WEEKDAYS } from '../domain/org-settings.js';
import type { SettingsPart } from '../domain/settings-input.js';
import type { SetupProblem } from '../domain/setup-problems.js';

const PART_TITLES: Record<SettingsPart, string> = {
  'response-policy': 'Response policy (set-response-policy; per route, every time in service minutes)',
  reminders: 'Reminders (set-reminders)',
  retention: 'Retention in months (set-retention)',
  report: 'Report and audit trail (set-report)',
  records: 'Records (set-records)',
};

const DAY_NAMES = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' } as const;

function when(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).setLocale('en-GB').toFormat('d LLL yyyy HH:mm');
}

export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '(not set)';
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The whole set-up, section by section, each naming the command that changes it. */
export function formatOrganisation(org: OrganisationDescription): string {
  const zone = org.problems.some((p) => p.field === 'timeZone') ? 'UTC' : org.timeZone;
  const lines: string[] = [];
  const section = (title: string) => lines.push('', title);
  lines.push(`${org.name} (${org.slug})`);
  lines.push(`  id:               ${org.id}`);
  lines.push(`  time zone:        ${org.timeZone}`);
  lines.push(`  reference prefix: ${org.referencePrefix}`);
  lines.push(`  Teams tenant:    ${org.teamsTenantId ?? '(not set)'}`);
  lines.push(`  Slack workspace: ${org.slackTeamId ?? '(not set)'}`);
  lines.push(`  created:          ${when(org.createdAt, zone)}`);

  if (org.problems.length > 0) {
    section('Problems (the bot refuses these values; correct them with the commands below)');
    for (const p of org.problems) lines.push(`  ${p.field}: ${p.reason}`);
  }

  section('Contacts (set-contacts)');
  if (org.contacts.length === 0) lines.push('  (none: someone at risk would be given no routes of this organisation)');
  for (const c of org.contacts) {
    const how = [c.phone, c.email, c.url].filter(Boolean).join(', ');
    lines.push(`  ${c.kind.padEnd(20)} ${c.label}${how ? `: ${how}` : ''}${c.availability ? ` (${c.availability})` : ''}`);
  }

  section(`Service hours (set-service-hours, set-holidays; ${org.timeZone})`);
  for (const day of WEEKDAYS) lines.push(`  ${DAY_NAMES[day].padEnd(10)} ${describeDay(org.serviceHours[day])}`);
  lines.push(`  holidays   ${org.holidays.length > 0 ? org.holidays.join(' ') : '(none)'}`);

  for (const [part, title] of Object.entries(PART_TITLES) as [SettingsPart, string][]) {
    section(title);
    const width = Math.max(...org.settings[part].map((s) => s.key.length));
    for (const s of org.settings[part]) lines.push(`  ${s.key.padEnd(width)}  ${formatValue(s.value)}${s.isDefault ? ' (default)' : ''}`);
  }

  section('Staff groups (set-staff-groups)');
  if (org.staffGroups.length === 0) lines.push('  (none)');
  for (const g of org.staffGroups) lines.push(`  ${g.name} (${g.members} ${g.members === 1 ? 'person' : 'people'})`);

  section('Supervision matrix (set-matrix)');
  if (org.matrix.length === 0) lines.push('  (none)');
  for (const r of org.matrix) {
    const cadence = r.sessionsPerYear ? `${r.sessionsPerYear} a year` : r.intervalMonths ? `every ${r.intervalMonths} months` : 'on request';
    const size = r.typicalGroupSize ? `, about ${r.typicalGroupSize} in a group` : '';
    const who = r.supervisors.length > 0 ? `; supervisors ${r.supervisors.join(', ')}` : '';
    lines.push(`  ${r.staffGroup}: ${r.kind} ${r.format}, ${cadence}, ${r.durationMinutes} min${size}, ${r.supervisorPool}${who}`);
  }

  section('Agreement and contract texts (load-agreement)');
  if (org.agreements.length === 0) lines.push('  (none: sessions would be offered no agreement to sign)');
  for (const a of org.agreements) {
    lines.push(`  ${AGREEMENT_KIND_LABELS[a.kind]}: version ${a.version} "${a.title}", loaded ${when(a.createdAt, zone)}${a.versions > 1 ? ` (${a.versions} versions)` : ''}`);
  }

  section('Triage channels (an administrator types "bind triage" in the channel)');
  if (org.triageChannels.length === 0) lines.push('  (none bound yet)');
  for (const c of org.triageChannels) lines.push(`  ${c.platform}: ${c.name ?? '(unnamed channel)'}, bound ${when(c.boundAt, zone)}`);

  section('Directory (npm run import:people)');
  const roles = Object.entries(org.people.byRole).map(([role, n]) => `${role} ${n}`).join(', ');
  lines.push(`  ${org.people.active} active${org.people.inactive ? `, ${org.people.inactive} inactive` : ''}${roles ? `: ${roles}` : ''}`);
  return lines.join('\n');
}

/** Problems as the directory import prints them: a `line  field  reason` table for a file, else `field: reason`. */
export function formatProblems(problems: readonly SetupProblem[]): string {
  if (problems.every((p) => p.line === undefined)) return problems.map((p) => `  ${p.field}: ${p.reason}`).join('\n');
  const rows = [['line', 'field', 'reason'], ...problems.map((p) => [p.line === undefined ? '' : String(p.line), p.field, p.reason])];
  const lineWidth = Math.max(...rows.map((r) => r[0]!.length));
  const fieldWidth = Math.max(...rows.map((r) => r[1]!.length));
  return rows.map(([line, field, reason]) => `${line!.padEnd(lineWidth)}  ${field!.padEnd(fieldWidth)}  ${reason}`).join('\n');
}
