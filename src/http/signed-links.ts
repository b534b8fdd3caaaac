import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived links the bot serves itself (calendar invites now, report exports later):
 * `<purpose>.<subject>.<person>.<expiry>.<mac>`, the MAC an HMAC-SHA256 over the rest with a
 * secret shared by every web process. A link names the person it was made for, so what it
 * serves can be checked against that person's relation to the subject.
 */
export interface LinkClaims {
  purpose: string;
  subjectId: string;
  personId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

const PART = /^[A-Za-z0-9_-]{1,64}$/;

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function signLink(secret: string, claims: LinkClaims): string {
  for (const part of [claims.purpose, claims.subjectId, claims.personId]) {
    if (!PART.test(part)) throw new Error('link parts must be 1-64 URL-safe characters');
  }
  const payload = [claims.purpose, claims.subjectId, claims.personId, String(Math.floor(claims.expiresAt))].join('.');
  return `${payload}.${mac(secret, payload)}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'tampered' | 'expired' | 'wrong purpose' };

export function verifyLink(secret: string, token: string, purpose: string, nowSeconds: number): LinkCheck {
  const parts = token.split('.');
  if (parts.length !== 5 || parts.some((p) => p === '')) return { ok: false, reason: 'malformed' };
  const [linkPurpose, subjectId, personId, expiry, given] = parts as [string, string, string, string, string];
  if (!/^\d{1,12}$/.test(expiry)) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, parts.slice(0, 4).join('.')));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'tampered' };
  if (linkPurpose !== purpose) return { ok: false, reason: 'wrong purpose' };
  if (Number(expiry) <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { purpose: linkPurpose, subjectId, personId, expiresAt: Number(expiry) } };
}
