import { DateTime } from 'luxon';
import { FORMAT_LABELS, TYPE_LABELS } from './labels.js';
import { SESSION_STATUS_LABELS } from '../domain/booking.js';
import { canSeeAttendance } from '../domain/permissions.js';
import { loadOrganisation } from '../db/organisations.js';
import type { FlowDeps, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * "my team": a line manager sees whether their reports have had supervision, and nothing
 * of what was discussed (seeds 000 7.2.2: non-engagement with mandatory supervision is fed
 * back to line managers; 9.1: the record is for the supervisee, supervisor and the team).
 */

const ATTENDANCE_LABELS = { ATTENDED: 'Attended', DID_NOT_ATTEND: 'Did not attend', APOLOGIES: 'Apologies' } as const;

/** Sessions shown per person (the most recent first). */
export const RECENT_SESSIONS = 5;

export const NO_REPORTS =
  'Nobody reports to you in the staff directory, so there is no team attendance to show. If that is wrong, ask your administrator to update the directory.';

export async function showTeamAttendance(deps: FlowDeps, actor: Actor): Promise<TurnResult> {
  const reports = await deps.db.person.findMany({
    where: { organisationId: actor.organisationId, lineManagerId: actor.personId, active: true },
    // Only the facts the card shows are read: never a request, record or action point.
    select: {
      id: true,
      name: true,
      jobTitle: true,
      lineManagerId: true,
      staffGroup: { select: { requirements: { where: { kind: 'MANDATORY' }, select: { sessionsPerYear: true } } } },
    },
    orderBy: { name: 'asc' },
  });
  if (reports.length === 0) return { replies: [{ text: NO_REPORTS }] };

  const zone = (await loadOrganisation(deps.db, actor.organisationId)).config.timeZone;
  const now = deps.clock.now();
  const yearAgo = DateTime.fromJSDate(now, { zone }).minus({ months: 12 }).toJSDate();

  const people = [];
  for (const report of reports) {
    const attendances = await deps.db.sessionAttendee.findMany({
      where: { personId: report.id, session: { organisationId: actor.organisationId } },
      select: {
        attendance: true,
        session: {
          select: {
            organisationId: true,
            supervisorId: true,
            format: true,
            type: true,
            status: true,
            startsAt: true,
            endsAt: true,
            createdAt: true,
            attendees: { select: { personId: true } },
            slots: { select: { startsAt: true }, orderBy: { startsAt: 'asc' }, take: 1 },
          },
        },
      },
    });
    const visible = attendances
      .filter((a) =>
        canSeeAttendance(actor, {
          organisationId: a.session.organisationId,
          supervisorId: a.session.supervisorId,
          superviseeIds: a.session.attendees.map((p) => p.personId),
          lineManagerIds: report.lineManagerId ? [report.lineManagerId] : [],
        }),
      )
      .map((a) => ({ ...a, at: a.session.startsAt ?? a.session.slots[0]?.startsAt ?? a.session.createdAt }))
      .sort((x, y) => y.at.getTime() - x.at.getTime());

    const sessions = visible.slice(0, RECENT_SESSIONS).map((a) => ({
      at: `${DateTime.fromJSDate(a.at, { zone }).setLocale('en-GB').toFormat('d MMM yyyy, HH:mm')}${a.session.startsAt ? '' : ' (proposed)'}`,
      line: [
        FORMAT_LABELS[a.session.format],
        TYPE_LABELS[a.session.type],
        SESSION_STATUS_LABELS[a.session.status],
        a.attendance ? ATTENDANCE_LABELS[a.attendance] : 'Attendance not recorded',
      ].join(' · '),
    }));

    const requirement = report.staffGroup?.requirements.find((r) => typeof r.sessionsPerYear === 'number');
    let cadence = '';
    if (requirement?.sessionsPerYear) {
      // Received: taken place in the last 12 months, not marked as missed.
      const received = visible.filter(
        (a) =>
          (a.session.status === 'COMPLETED' || a.session.status === 'AWAITING_RECORD' || a.session.status === 'CONFIRMED') &&
          a.session.endsAt !== null &&
          a.session.endsAt <= now &&
          a.session.endsAt >= yearAgo &&
          a.attendance !== 'DID_NOT_ATTEND' &&
          a.attendance !== 'APOLOGIES',
      ).length;
      cadence = `Mandatory supervision: ${received} of ${requirement.sessionsPerYear} sessions a year received in the last 12 months${received < requirement.sessionsPerYear ? ' (below the matrix)' : ''}.`;
    }
    people.push({
      name: report.jobTitle ? `${report.name}, ${report.jobTitle}` : report.name,
      cadence,
      count: sessions.length,
      sessions,
    });
  }

  return {
    replies: [
      {
        card: {
          template: 'team-attendance',
          data: {
            heading: 'Your team: supervision attendance',
            note: 'Attendance only. What is discussed in supervision stays with the supervisee, the supervisor and the safeguarding team.',
            people,
          },
        },
      },
    ],
  };
}
