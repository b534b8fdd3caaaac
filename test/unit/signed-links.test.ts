import { describe, expect, it } from 'vitest';
import { signLink, verifyLink } from '../../src/http/signed-links.js';

const secret = 'a-long-random-secret-for-tests-only';
const claims = { purpose: 'invite', subjectId: '5f3c1a2b-0000-4000-8000-000000000001', personId: '9a1b-person', expiresAt: 2_000 };

describe('signed links', () => {
  it('round-trips its claims before expiry', () => {
    const token = signLink(secret, claims);
    expect(verifyLink(secret, token, 'invite', 1_999)).toEqual({ ok: true, claims });
  });

  it('refuses an expired link', () => {
    expect(verifyLink(secret, signLink(secret, claims), 'invite', 2_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a link whose subject, person or expiry was changed', () => {
    const token = signLink(secret, claims);
    const parts = token.split('.');
    for (const index of [1, 2, 3]) {
      const forged = [...parts];
      forged[index] = index === 3 ? '9999999999' : `${forged[index]}x`;
      expect(verifyLink(secret, forged.join('.'), 'invite', 1_000)).toEqual({ ok: false, reason: 'tampered' });
    }
  });

  it('refuses a link made with another secret or for another purpose', () => {
    expect(verifyLink('another-secret', signLink(secret, claims), 'invite', 1_000)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyLink(secret, signLink(secret, { ...claims, purpose: 'report' }), 'invite', 1_000)).toEqual({ ok: false, reason: 'wrong purpose' });
  });

  it('refuses malformed tokens', () => {
    for (const token of ['', 'a.b.c', 'a.b.c.d.e.f', 'invite.s.p.soon.mac', 'invite..p.1.mac']) {
      expect(verifyLink(secret, token, 'invite', 1_000)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('will not sign parts that could break the format', () => {
    expect(() => signLink(secret, { ...claims, subjectId: 'has.dot' })).toThrow(/URL-safe/);
  });
});
