import type { Role } from '../domain/permissions.js';
import type { Actor } from '../domain/actor.js';
import type { OutFile } from '../domain/out-file.js';
import { recordAudit } from './audit.js';
import type { Db } from './client.js';

/**
 * Files made for one person and fetched through a signed link (Teams). The row is the
 * whole state of the link: who it is for, until when, whether it was already used; the
 * signature only proves the link was made by the bot.
 */

export interface StoredFile {
  id: string;
  expiresAt: Date;
}

/** Keep a file for the actor until `expiresAt`; expired files of everyone are purged on the way. */
export async function storeExportFile(db: Db, actor: Actor, file: OutFile, options: { now: Date; expiresAt: Date; singleUse: boolean }): Promise<StoredFile> {
  return db.$transaction(async (tx) => {
    await tx.exportFile.deleteMany({ where: { expiresAt: { lte: options.now } } });
    const row = await tx.exportFile.create({
      data: {
        organisationId: actor.organisationId,
        personId: actor.personId,
        filename: file.filename,
        contentType: file.contentType,
        title: file.title,
        content: new Uint8Array(file.content),
        byteSize: file.content.length,
        singleUse: options.singleUse,
        allowedRoles: [...(file.allowedRoles ?? [])] as Role[],
        expiresAt: options.expiresAt,
      },
      select: { id: true, expiresAt: true },
    });
    await recordAudit(tx, {
      at: options.now,
      organisationId: actor.organisationId,
      actorId: actor.personId,
      action: 'export.offered',
      subjectType: 'export-file',
      subjectId: row.id,
      platform: actor.platform,
      detail: { filename: file.filename, contentType: file.contentType, bytes: file.content.length },
    });
    return row;
  });
}

/** A file sent straight to the platform (a Slack upload): nothing stored, but audited. */
export async function auditFileUpload(db: Db, actor: Actor, file: OutFile, platformFileId: string | null, now: Date): Promise<void> {
  await recordAudit(db, {
    at: now,
    organisationId: actor.organisationId,
    actorId: actor.personId,
    action: 'export.uploaded',
    subjectType: 'export-file',
    subjectId: platformFileId ?? file.filename,
    platform: actor.platform,
    detail: { filename: file.filename, contentType: file.contentType, bytes: file.content.length },
  });
}

/** Delete every file past its expiry (run on each offer and each link use; indexed by expiresAt). */
export async function purgeExpiredExportFiles(db: Db, now: Date): Promise<number> {
  return (await db.exportFile.deleteMany({ where: { expiresAt: { lte: now } } })).count;
}

export type FetchRefusal = 'not-found' | 'expired' | 'used' | 'not-permitted';
export type FetchResult =
  | { ok: true; file: { filename: string; contentType: string; content: Buffer; singleUse: boolean } }
  | { ok: false; reason: FetchRefusal };

/**
 * Fetch a stored file for the person a verified link names. Refused when the file is not
 * theirs, has expired (and is deleted), was single-use and already fetched, or when the
 * person has left or no longer holds a role the file requires. A single-use file is claimed
 * by one guarded update, so two racing downloads cannot both succeed, and its content is
 * dropped at once. Every fetch and every refusal of a real file is audited.
 */
export async function fetchExportFile(db: Db, fileId: string, personId: string, now: Date): Promise<FetchResult> {
  await purgeExpiredExportFiles(db, now);
  const row = await db.exportFile.findUnique({
    where: { id: fileId },
    select: {
      id: true,
      organisationId: true,
      personId: true,
      filename: true,
      contentType: true,
      singleUse: true,
      allowedRoles: true,
      usedAt: true,
      expiresAt: true,
      person: { select: { roles: true, active: true, organisationId: true } },
    },
  });
  // The link's own expiry was checked by its signature; the row is gone once it expires.
  if (!row) return { ok: false, reason: 'expired' };
  if (row.personId !== personId) return { ok: false, reason: 'not-found' };

  const refuse = async (reason: FetchRefusal): Promise<FetchResult> => {
    await recordAudit(db, {
      at: now,
      organisationId: row.organisationId,
      actorId: personId,
      action: 'export.refused',
      subjectType: 'export-file',
      subjectId: row.id,
      detail: { reason, filename: row.filename },
    });
    return { ok: false, reason };
  };

  const roles = row.person.roles;
  const permitted = row.person.active && row.person.organisationId === row.organisationId && (row.allowedRoles.length === 0 || row.allowedRoles.some((r) => roles.includes(r)));
  if (!permitted) return refuse('not-permitted');
  if (row.singleUse && row.usedAt) return refuse('used');

  let content: Uint8Array | null;
  if (row.singleUse) {
    content = await db.$transaction(async (tx) => {
      const current = await tx.exportFile.findUnique({ where: { id: row.id }, select: { content: true } });
      // The guard on usedAt lets exactly one of two racing downloads through.
      const claimed = await tx.exportFile.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now, content: null } });
      return claimed.count === 1 ? (current?.content ?? null) : null;
    });
  } else {
    const current = await db.exportFile.update({ where: { id: row.id }, data: { usedAt: now }, select: { content: true } });
    content = current.content;
  }
  if (!content) return refuse('used');
  await recordAudit(db, {
    at: now,
    organisationId: row.organisationId,
    actorId: personId,
    action: 'export.downloaded',
    subjectType: 'export-file',
    subjectId: row.id,
    detail: { filename: row.filename, contentType: row.contentType },
  });
  return { ok: true, file: { filename: row.filename, contentType: row.contentType, content: Buffer.from(content), singleUse: row.singleUse } };
}
