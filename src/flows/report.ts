import { DateTime } from 'luxon';
import { recordAudit } from '../db/audit.js';
import { loadOrganisation } from '../db/organisations.js';
import { loadOverduePeople, loadRepeatedNonAttendance, loadReportFigures, loadStaffGroups } from '../db/report-queries.js';
import { REPEATED_NON_ATTENDANCE } from '../domain/reminder-policy.js';
import { csvFileBytes, toCsv } from '../domain/csv.js';
import { DomainError } from '../domain/errors.js';
import {
  DEFAULT_MINIMUM_GROUP_SIZE,
  DEFAULT_REPORT_MAX_DAYS,
  hasSuppressedRows,
  formatMinutes,
  headline,
  label,
  parseReportCommand,
  percent,
  protectSmallGroups,
  REPORT_USAGE,
  reportCsv,
  resolvePeriod,
  type ReportFigures,
  type ReportPeriod,
} from '../domain/report.js';
import { renderChartPng } from '../report/chart.js';
import { NO_REPORTS } from './team.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';
import type { OutFile } from '../domain/out-file.js';
import { canRequestReport, OVERDUE_REFUSAL, overdueScope, REPORT_REFUSAL } from '../domain/permissions.js';

/**
 * "report ..." (journey 8): the quarterly supervision report as a card with the headline
 * figures, a chart image and a CSV, for the Head of Safeguarding and specialists; and
 * "overdue supervision", the one view with names, scoped by role. Both are audited.
 */

/** Names listed on the overdue card; the CSV that comes with it has everyone. */
export const OVERDUE_CARD_MAX = 25;

const REPORT_ROLES = ['HEAD_OF_SAFEGUARDING', 'SPECIALIST'] as const;

function findStaffGroup(groups: Array<{ id: string; name: string }>, typed: string): { id: string; name: string } {
  const wanted = typed.trim().toLowerCase();
  const found = groups.find((g) => g.name.toLowerCase() === wanted);
  if (!found) {
    throw new DomainError(
      'INVALID_INPUT',
      `I don't know a staff group called "${typed.trim().slice(0, 80)}". The staff groups are: ${groups.map((g) => g.name).join('; ') || 'none yet'}.`,
    );
  }
  return found;
}

const dayLabel = (iso: string) => DateTime.fromISO(iso).setLocale('en-GB').toFormat('d MMM yyyy');

function reportCard(figures: ReportFigures, period: ReportPeriod, staffGroup: string | undefined, minimumGroupSize: number) {
  const h = headline(figures);
  const members = figures.compliance.reduce((n, r) => n + r.members, 0);
  const compliant = figures.compliance.reduce((n, r) => n + r.compliant, 0);
  const all = figures.requests.find((r) => r.route === 'ALL');
  const sessionsByGroup = new Map<string, number>();
  for (const r of figures.sessions.filter((x) => !x.suppressed)) sessionsByGroup.set(r.staffGroup, (sessionsByGroup.get(r.staffGroup) ?? 0) + r.sessions);
  return {
    template: 'report',
    data: {
      heading: `Supervision report: ${period.label}${staffGroup ? `, ${staffGroup}` : ''}`,
      subheading: `${dayLabel(period.from)} to ${dayLabel(period.to)} (${period.zone}). Counts only: no names and no supervision content.`,
      headline: [
        { title: 'Sessions', value: String(h.sessions) },
        { title: 'Mandatory supervision', value: members === 0 ? 'No members in mandatory groups' : `${compliant} of ${members} people compliant (${percent(h.compliantShare)})` },
        { title: 'Requests', value: `${h.requests} (${all?.responded ?? 0} answered)` },
        { title: 'First response', value: `median ${formatMinutes(h.medianMinutes)}, 90% within ${formatMinutes(h.p90Minutes)}` },
        { title: 'Action points', value: `${h.actionPoints} agreed, ${h.actionPointsOverdue} overdue` },
        { title: 'Did not attend', value: String(h.didNotAttend) },
        { title: 'Cancellations', value: `${h.cancellations} (${figures.cancellations.bySupervisor} by supervisors, ${figures.cancellations.bySupervisee} by supervisees)` },
      ],
      hasCompliance: figures.compliance.some((r) => !r.suppressed),
      compliance: figures.compliance.filter((r) => !r.suppressed).map((r) => ({
        title: r.staffGroup,
        value: `${r.compliant} of ${r.members} compliant (${percent(r.share)}); ${r.received} sessions received, ${Math.round(r.required * 10) / 10} required`,
      })),
      hasSessions: sessionsByGroup.size > 0,
      sessions: [...sessionsByGroup].map(([group, count]) => ({ title: group, value: String(count) })),
      requests: figures.requests
        .filter((r) => r.route !== 'ALL')
        .map((r) => ({
          title: `${label(r.route)}, ${label(r.urgency).toLowerCase()}`,
          value: `${r.requests}; first response median ${formatMinutes(r.medianMinutes)}, p90 ${formatMinutes(r.p90Minutes)}`,
        })),
      hasRequests: figures.requests.some((r) => r.route !== 'ALL'),
      actionPoints: figures.actionPoints
        .filter((r) => r.total > 0)
        .map((r) => ({ title: label(r.kind), value: `${r.total}: ${r.completed} done, ${r.open} open, ${r.overdue} overdue` })),
      hasActionPoints: figures.actionPoints.some((r) => r.total > 0),
      note: `${hasSuppressedRows(figures) ? `Staff groups with fewer than ${minimumGroupSize} people in all are counted in the totals but not shown on their own, so no one can be identified. ` : ''}The chart and a CSV with every figure follow, for you only.`,
    },
  };
}

export async function showReport(deps: FlowDeps, actor: Actor, text: string): Promise<TurnResult> {
  // Checked before anything is read, so a refusal reveals nothing.
  if (!canRequestReport(actor)) throw new DomainError('NOT_PERMITTED', REPORT_REFUSAL);
  const command = parseReportCommand(text);
  if (!command) throw new DomainError('INVALID_INPUT', REPORT_USAGE);
  const organisation = await loadOrganisation(deps.db, actor.organisationId);
  const zone = organisation.config.timeZone;
  const now = deps.clock.now();
  const period = resolvePeriod(command.period, now, zone, organisation.config.settings.reportMaxRangeDays ?? DEFAULT_REPORT_MAX_DAYS);
  const { groups, cadences } = await loadStaffGroups(deps.db, actor.organisationId);
  const staffGroup = command.staffGroup ? findStaffGroup(groups, command.staffGroup) : undefined;
  const today = DateTime.fromJSDate(now, { zone }).toISODate()!;
  const minimumGroupSize = organisation.config.settings.reportMinimumGroupSize ?? DEFAULT_MINIMUM_GROUP_SIZE;
  const groupSizes = new Map(groups.map((g) => [g.name, g.activeMembers]));
  if (staffGroup && (groupSizes.get(staffGroup.name) ?? 0) < minimumGroupSize) {
    throw new DomainError(
      'INVALID_INPUT',
      `${staffGroup.name} has fewer than ${minimumGroupSize} people, so a report on it alone would identify them. Ask for the whole organisation instead ("report" without "for ...").`,
    );
  }

  const figures = protectSmallGroups(
    await loadReportFigures(deps.db, { organisationId: actor.organisationId, period, today, cadences, ...(staffGroup ? { staffGroup } : {}) }),
    groupSizes,
    minimumGroupSize,
  );
  const slug = `${period.from}_${period.to}${staffGroup ? `_${staffGroup.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : ''}`;
  const files: OutFile[] = [
    {
      filename: `supervision-report_${slug}.png`,
      contentType: 'image/png',
      content: renderChartPng(figures, `Supervision ${period.label}${staffGroup ? `, ${staffGroup.name}` : ''}`),
      title: `Chart: supervision ${period.label}`,
      allowedRoles: REPORT_ROLES,
    },
    {
      filename: `supervision-report_${slug}.csv`,
      contentType: 'text/csv; charset=utf-8',
      content: csvFileBytes(reportCsv(figures, period, staffGroup?.name)),
      title: `Supervision report ${period.label} (CSV)`,
      allowedRoles: REPORT_ROLES,
    },
  ];
  await recordAudit(deps.db, {
    at: now,
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'report.export',
    subjectType: 'report',
    subjectId: `${period.from}..${period.to}`,
    platform: actor.platform,
    detail: { from: period.from, to: period.to, staffGroup: staffGroup?.name ?? null, files: files.length },
  });
  return { replies: [{ card: reportCard(figures, period, staffGroup?.name, minimumGroupSize) }], files };
}

export async function showOverdueSupervision(deps: FlowDeps, actor: Actor, staffGroupText?: string): Promise<TurnResult> {
  const scope = overdueScope(actor);
  if (scope.kind === 'none') throw new DomainError('NOT_PERMITTED', OVERDUE_REFUSAL);
  if (scope.kind === 'reports-of') {
    const reports = await deps.db.person.count({ where: { organisationId: actor.organisationId, lineManagerId: actor.personId, active: true } });
    if (reports === 0) return { replies: [{ text: NO_REPORTS }] };
  }
  const organisation = await loadOrganisation(deps.db, actor.organisationId);
  const zone = organisation.config.timeZone;
  const now = deps.clock.now();
  const today = DateTime.fromJSDate(now, { zone }).toISODate()!;
  const { groups, cadences } = await loadStaffGroups(deps.db, actor.organisationId);
  const staffGroup = staffGroupText ? findStaffGroup(groups, staffGroupText) : undefined;
  const people = await loadOverduePeople(deps.db, {
    organisationId: actor.organisationId,
    zone,
    today,
    now,
    cadences,
    ...(scope.kind === 'reports-of' ? { lineManagerId: scope.lineManagerId } : {}),
    ...(staffGroup ? { staffGroupId: staffGroup.id } : {}),
  });
  const repeated = await loadRepeatedNonAttendance(deps.db, {
    organisationId: actor.organisationId,
    zone,
    now,
    minimum: REPEATED_NON_ATTENDANCE,
    ...(scope.kind === 'reports-of' ? { lineManagerId: scope.lineManagerId } : {}),
    ...(staffGroup ? { staffGroupId: staffGroup.id } : {}),
  });
  await recordAudit(deps.db, {
    at: now,
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'report.overdue-read',
    subjectType: 'report',
    subjectId: `overdue:${today}`,
    platform: actor.platform,
    detail: { scope: scope.kind, staffGroup: staffGroup?.name ?? null, people: people.length, repeatedNonAttendance: repeated.length },
  });
  const whose = scope.kind === 'reports-of' ? 'Your team' : staffGroup ? staffGroup.name : 'Everyone in a mandatory group';
  if (people.length === 0 && repeated.length === 0) return { replies: [{ text: `${whose}: nobody is overdue for mandatory supervision today (${dayLabel(today)}).` }] };

  // One line per person: overdue, repeatedly not attending, or both.
  const missed = new Map(repeated.map((r) => [r.personId, r]));
  const overdueIds = new Set(people.map((p) => p.personId));
  const csv = toCsv(
    ['name', 'job_title', 'staff_group', 'line_manager', 'last_attended', 'due_on', 'days_overdue', 'missed_in_a_row', 'last_missed'],
    [
      ...people.map((p) => [p.name, p.jobTitle, p.staffGroup, p.lineManager, p.lastAttended, p.dueOn, p.daysOverdue, missed.get(p.personId)?.missedInARow ?? 0, missed.get(p.personId)?.lastMissed ?? null]),
      ...repeated.filter((r) => !overdueIds.has(r.personId)).map((r) => [r.name, r.jobTitle, r.staffGroup, r.lineManager, null, null, null, r.missedInARow, r.lastMissed]),
    ],
  );
  return {
    replies: [
      {
        card: {
          template: 'overdue-supervision',
          data: {
            heading: `Overdue mandatory supervision: ${people.length} ${people.length === 1 ? 'person' : 'people'}`,
            note: `${whose}, on ${dayLabel(today)}. Attendance facts only: never what was discussed.${people.length > OVERDUE_CARD_MAX ? ` The first ${OVERDUE_CARD_MAX} are listed; the CSV has everyone.` : ''}`,
            people: people.slice(0, OVERDUE_CARD_MAX).map((p) => ({
              title: p.jobTitle ? `${p.name}, ${p.jobTitle}` : p.name,
              value: `${p.staffGroup}; due ${dayLabel(p.dueOn)} (${p.daysOverdue} ${p.daysOverdue === 1 ? 'day' : 'days'} ago); last attended ${p.lastAttended ? dayLabel(p.lastAttended) : 'never'}`,
            })),
            hasPeople: people.length > 0,
            hasRepeated: repeated.length > 0,
            repeatedHeading: `Repeated non-attendance: ${repeated.length} ${repeated.length === 1 ? 'person' : 'people'}`,
            repeated: repeated.slice(0, OVERDUE_CARD_MAX).map((r) => ({
              title: r.jobTitle ? `${r.name}, ${r.jobTitle}` : r.name,
              value: `${r.staffGroup}; did not attend the last ${r.missedInARow} sessions in a row (latest ${dayLabel(r.lastMissed)})`,
            })),
          },
        },
      },
    ],
    files: [
      {
        filename: `overdue-supervision_${today}.csv`,
        contentType: 'text/csv; charset=utf-8',
        content: csvFileBytes(csv),
        title: `Overdue supervision ${today} (CSV)`,
        allowedRoles: scope.kind === 'reports-of' ? ['LINE_MANAGER'] : REPORT_ROLES,
      },
    ],
  };
}
