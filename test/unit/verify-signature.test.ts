import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_AGE_SECONDS, signSlackBody, verifySlackSignature } from '../../src/channels/slack/verify-signature.js';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fsupervision&text=help';
const now = 1_795_000_000;
const ts = String(now - 10);
const good = `v0=${signSlackBody(secret, ts, body)}`;

describe('Slack signature verification', () => {
  it('accepts a correctly signed, recent request', () => {
    expect(verifySlackSignature({ signingSecret: secret, timestamp: ts, signature: good, rawBody: body, nowSeconds: now })).toEqual({ ok: true });
    expect(verifySlackSignature({ signingSecret: secret, timestamp: ts, signature: good, rawBody: Buffer.from(body), nowSeconds: now })).toEqual({ ok: true });
  });

  it('matches the HMAC-SHA256 of v0:<timestamp>:<body>', async () => {
    const { createHmac } = await import('node:crypto');
    expect(signSlackBody(secret, ts, body)).toBe(createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex'));
  });

  it.each([
    ['a changed body', { rawBody: `${body}&x=1` }, 'Slack signature does not match'],
    ['another secret', { signingSecret: 'another-secret' }, 'Slack signature does not match'],
    ['a flipped hex digit', { signature: good.slice(0, -1) + (good.endsWith('0') ? '1' : '0') }, 'Slack signature does not match'],
    ['no signature', { signature: undefined }, 'missing Slack signature headers'],
    ['no timestamp', { timestamp: undefined }, 'missing Slack signature headers'],
    ['a non-numeric timestamp', { timestamp: '12ab' }, 'malformed Slack timestamp'],
    ['a short signature', { signature: 'v0=abc' }, 'malformed Slack signature'],
    ['another version', { signature: good.replace('v0=', 'v1=') }, 'malformed Slack signature'],
  ])('refuses %s', (_name, change, reason) => {
    expect(
      verifySlackSignature({ signingSecret: secret, timestamp: ts, signature: good, rawBody: body, nowSeconds: now, ...change }),
    ).toEqual({ ok: false, reason });
  });

  it('refuses a request older than five minutes even with a valid signature (replay)', () => {
    const old = String(now - MAX_REQUEST_AGE_SECONDS - 1);
    const signature = `v0=${signSlackBody(secret, old, body)}`;
    expect(verifySlackSignature({ signingSecret: secret, timestamp: old, signature, rawBody: body, nowSeconds: now })).toEqual({
      ok: false,
      reason: 'Slack timestamp outside the five-minute window',
    });
    const edge = String(now - MAX_REQUEST_AGE_SECONDS);
    expect(
      verifySlackSignature({ signingSecret: secret, timestamp: edge, signature: `v0=${signSlackBody(secret, edge, body)}`, rawBody: body, nowSeconds: now }),
    ).toEqual({ ok: true });
  });

  it('refuses a timestamp from the future beyond the window', () => {
    const future = String(now + MAX_REQUEST_AGE_SECONDS + 1);
    expect(
      verifySlackSignature({ signingSecret: secret, timestamp: future, signature: `v0=${signSlackBody(secret, future, body)}`, rawBody: body, nowSeconds: now }).ok,
    ).toBe(false);
  });
});
