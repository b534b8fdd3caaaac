import express from 'express';
import type { Db } from '../db/client.js';
import { fetchExportFile, purgeExpiredExportFiles, storeExportFile, type FetchRefusal } from '../db/export-files.js';
import type { Clock } from '../domain/time.js';
import type { OutMessage } from '../flows/types.js';
import type { Actor } from '../domain/actor.js';
import type { OutFile } from '../domain/out-file.js';
import { signLink, verifyLink } from './signed-links.js';

const PURPOSE = 'export';
/** A download (CSV, JSON) link works once, for this long. */
export const DOWNLOAD_LINK_MINUTES = 15;
/** An image shown in a card (the report chart) is fetched whenever the card is drawn, until then. */
export const IMAGE_LINK_HOURS = 24;

export interface FileOffers {
  /** Store a file for the actor and return the card that offers it (Teams). */
  offer(actor: Actor, file: OutFile): Promise<OutMessage>;
}

const isImage = (file: { contentType: string }) => /^image\/(png|jpeg|gif)$/.test(file.contentType);

/**
 * Teams has no file upload for bots in every conversation, so a file is kept in PostgreSQL
 * and offered as a signed link made for the actor alone. Stored rather than regenerated on
 * download: whatever produced the file (report, audit trail, subject-access export) needs no
 * second entry point, the link serves exactly what the actor was shown, and the row holds
 * the expiry and "already used" state that a signature alone cannot.
 */
export function createFileOffers(options: { db: Db; secret: string; baseUrl: string; clock: Clock }): FileOffers {
  return {
    async offer(actor, file) {
      const now = options.clock.now();
      const image = isImage(file);
      const expiresAt = new Date(now.getTime() + (image ? IMAGE_LINK_HOURS * 3600_000 : DOWNLOAD_LINK_MINUTES * 60_000));
      const stored = await storeExportFile(options.db, actor, file, { now, expiresAt, singleUse: !image });
      const token = signLink(options.secret, { purpose: PURPOSE, subjectId: stored.id, personId: actor.personId, expiresAt: Math.floor(expiresAt.getTime() / 1000) });
      const url = `${options.baseUrl}/exports/${token}`;
      const until = expiresAt.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: actor.timeZone });
      return {
        card: {
          template: 'file-download',
          data: {
            title: file.title,
            filename: file.filename,
            imageUrl: image ? url : '',
            downloadUrl: image ? '' : url,
            note: image
              ? `Made for you; the image stays available for ${IMAGE_LINK_HOURS} hours.`
              : `This link is for you alone, works once and expires at ${until} (in ${DOWNLOAD_LINK_MINUTES} minutes). Ask me again for a new one.`,
          },
        },
      };
    },
  };
}

const REFUSALS: Record<FetchRefusal | 'invalid', { status: number; error: string }> = {
  invalid: { status: 404, error: 'This link is not valid. Ask the bot for the file again.' },
  'not-found': { status: 404, error: 'This link is not valid. Ask the bot for the file again.' },
  expired: { status: 410, error: 'This link has expired. Ask the bot for the file again.' },
  used: { status: 410, error: 'This link has already been used; each download link works once. Ask the bot for the file again.' },
  'not-permitted': { status: 403, error: 'You no longer have a role that allows this file.' },
};

/**
 * GET /exports/<signed token>: a stored file for the person the link was made for. Tampered,
 * malformed and foreign links get 404 and learn nothing; expired or used ones 410; a person
 * who left or lost the role the file needs 403. Never cached. A link that fails verification
 * (bad signature, expired) touches no row: otherwise anyone could make the database run a
 * delete per request. Expired files go on offer, on valid use and in the periodic purge.
 */
export function createExportRouter(options: { db: Db; secret: string; clock: Clock }): express.Router {
  const router = express.Router();
  router.get('/exports/:token', async (req, res, next) => {
    try {
      const now = options.clock.now();
      const check = verifyLink(options.secret, req.params.token, PURPOSE, Math.floor(now.getTime() / 1000));
      const result = check.ok
        ? await fetchExportFile(options.db, check.claims.subjectId, check.claims.personId, now)
        : ({ ok: false, reason: check.reason === 'expired' ? 'expired' : 'invalid' } as const);
      res.setHeader('cache-control', 'no-store');
      if (!result.ok) {
        const refusal = REFUSALS[result.reason];
        res.status(refusal.status).json({ error: refusal.error });
        return;
      }
      const disposition = result.file.singleUse ? 'attachment' : 'inline';
      res
        .status(200)
        .type(result.file.contentType)
        .setHeader('content-disposition', `${disposition}; filename="${result.file.filename.replace(/[^\w.-]/g, '_')}"`)
        .setHeader('x-content-type-options', 'nosniff')
        .send(result.file.content);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

/** How often a web process deletes expired files, besides on every offer and link use. */
export const PURGE_EVERY_MINUTES = 5;

/**
 * Delete expired files every few minutes, so a file nobody fetched does not wait for the next
 * export to be removed. Every web process may run it: the delete is idempotent.
 */
export function startExportFilePurge(options: { db: Db; clock: Clock; logger: { warn(facts: object, message: string): void } }): () => Promise<void> {
  const timer = setInterval(() => {
    purgeExpiredExportFiles(options.db, options.clock.now()).catch((error: unknown) =>
      options.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'could not purge expired export files'),
    );
  }, PURGE_EVERY_MINUTES * 60_000);
  timer.unref();
  return async () => clearInterval(timer);
}
