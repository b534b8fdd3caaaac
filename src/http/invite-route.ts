import express from 'express';
import { inviteContentType, inviteFileName, sessionInvite } from '../calendar/session-invite.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../domain/time.js';
import type { Links } from '../flows/types.js';
import { signLink, verifyLink } from './signed-links.js';

const PURPOSE = 'invite';
/** Invite links are short-lived: long enough to add the session to a calendar from the chat. */
export const INVITE_LINK_DAYS = 30;

export function createLinks(options: { baseUrl: string; secret: string; clock: Clock }): Links {
  return {
    invite(sessionId, personId) {
      const expiresAt = Math.floor(options.clock.now().getTime() / 1000) + INVITE_LINK_DAYS * 24 * 3600;
      return `${options.baseUrl}/invites/${signLink(options.secret, { purpose: PURPOSE, subjectId: sessionId, personId, expiresAt })}.ics`;
    },
  };
}

/**
 * GET /invites/<signed token>.ics: the calendar invite of a confirmed (or cancelled) session
 * for the party the link was made for, while they are still an active party. An invalid,
 * expired or foreign link, or one whose person left, gets 404 and says nothing about why.
 * The invite holds times, people and place only, never request content.
 */
export function createInviteRouter(options: { db: Db; secret: string; clock: Clock }): express.Router {
  const router = express.Router();
  router.get('/invites/:token', async (req, res, next) => {
    try {
      const token = req.params.token.replace(/\.ics$/, '');
      const check = verifyLink(options.secret, token, PURPOSE, Math.floor(options.clock.now().getTime() / 1000));
      const session = check.ok
        ? await options.db.session.findUnique({
            where: { id: check.claims.subjectId },
            include: {
              organisation: { select: { timeZone: true } },
              supervisor: { select: { id: true, name: true, email: true, active: true } },
              proposedBy: { select: { id: true, active: true } },
              attendees: { include: { person: { select: { id: true, name: true, email: true, active: true } } } },
            },
          })
        : null;
      // Checked at use, not when the link was made: a person who left or was removed from the
      // session keeps the link but not the invite.
      const activePartyIds = session
        ? [session.supervisor, session.proposedBy, ...session.attendees.map((a) => a.person)].filter((p) => p.active).map((p) => p.id)
        : [];
      if (!check.ok || !session || !activePartyIds.includes(check.claims.personId) || !session.startsAt || !session.endsAt || !['CONFIRMED', 'AWAITING_RECORD', 'CANCELLED', 'COMPLETED'].includes(session.status)) {
        res.status(404).json({ error: 'This invite link is not valid, or has expired. Ask the bot for the session again.' });
        return;
      }
      const method = session.status === 'CANCELLED' ? 'CANCEL' : 'REQUEST';
      const body = sessionInvite({
        sessionId: session.id,
        sequence: session.version,
        method,
        startsAt: session.startsAt,
        endsAt: session.endsAt,
        title: 'Safeguarding supervision',
        ...(session.venue ? { location: session.venue } : {}),
        ...(session.onlineLink ? { onlineLink: session.onlineLink } : {}),
        organiser: { name: session.supervisor.name, email: session.supervisor.email },
        attendees: session.attendees.map((a) => ({ name: a.person.name, email: a.person.email })),
        timeZone: session.organisation.timeZone,
        now: options.clock.now(),
      });
      res
        .status(200)
        .type(inviteContentType(method))
        .setHeader('content-disposition', `attachment; filename="${inviteFileName(session.id)}"`)
        .setHeader('cache-control', 'no-store')
        .send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
