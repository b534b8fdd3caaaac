import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses to sign requests older than this; so do we (replay protection). */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verify a Slack request signature: HMAC-SHA256 over `v0:<timestamp>:<raw body>` with the
 * app's signing secret, compared in constant time, with the timestamp inside five minutes
 * of now in either direction.
 */
export function verifySlackSignature(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer | string;
  nowSeconds: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing Slack signature headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed Slack timestamp' };
  if (Math.abs(input.nowSeconds - Number(timestamp)) > MAX_REQUEST_AGE_SECONDS) {
    return { ok: false, reason: 'Slack timestamp outside the five-minute window' };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed Slack signature' };
  const expected = Buffer.from(`v0=${signSlackBody(input.signingSecret, timestamp, input.rawBody)}`, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'Slack signature does not match' };
  }
  return { ok: true };
}

/** The hex HMAC Slack puts after "v0=" (also used by tests to sign requests). */
export function signSlackBody(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return hmac.digest('hex');
}
