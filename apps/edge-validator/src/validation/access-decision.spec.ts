import { ActiveKeyEntry, decideAccess, VerifiedSecretEntry } from './access-decision';

// Given a verified Secret and the master list's entry, when the edge decides at an instant, then…
describe('decideAccess', () => {
  const t = Date.parse('2026-03-01T10:00:00Z');
  const secret: VerifiedSecretEntry = { orgId: 'acme', keyId: 'k1', fingerprint: 'f1', expiresAtMs: t + 1000 };
  const entry: ActiveKeyEntry = { orgId: 'acme', keyId: 'k1', acceptUntil: t + 1000 };

  it('accepts an active key of the same organisation and key, strictly before its end', () => {
    expect(decideAccess(secret, entry, t)).toEqual({ accepted: true });
    expect(decideAccess(secret, entry, t + 999)).toEqual({ accepted: true });
  });

  it('accepts a never-expiring key and its exp-less Secret at any time', () => {
    expect(decideAccess({ ...secret, expiresAtMs: null }, { ...entry, acceptUntil: null }, t + 10 * 365 * 86_400_000)).toEqual({ accepted: true });
  });

  it("accepts a Secret past its own exp while the master list says the key never expires (\"Never expire\" after minting)", () => {
    expect(decideAccess(secret, { ...entry, acceptUntil: null }, t + 1000)).toEqual({ accepted: true });
    expect(decideAccess(secret, { ...entry, acceptUntil: null }, t + 10 * 365 * 86_400_000)).toEqual({ accepted: true });
  });

  it("extends a Secret's exp only up to the master list's acceptUntil, never beyond it", () => {
    const extended = { ...entry, acceptUntil: t + 5000 };
    expect(decideAccess(secret, extended, t + 4999)).toEqual({ accepted: true });
    expect(decideAccess(secret, extended, t + 5000)).toEqual({ accepted: false, reason: 'expired' });
  });

  it('refuses a Secret past its exp whose key is not in the master list, or has ended, or is another key', () => {
    expect(decideAccess(secret, null, t + 1000)).toEqual({ accepted: false, reason: 'expired' });
    expect(decideAccess(secret, entry, t + 1000)).toEqual({ accepted: false, reason: 'expired' });
    expect(decideAccess(secret, { ...entry, acceptUntil: null, keyId: 'k2' }, t + 1000)).toEqual({ accepted: false, reason: 'key-mismatch' });
  });

  it('refuses a key the master list does not have (deleted, ended, or never issued)', () => {
    expect(decideAccess(secret, null, t)).toEqual({ accepted: false, reason: 'unknown-key' });
  });

  it("refuses a key whose entry names another organisation or key than the Secret", () => {
    expect(decideAccess(secret, { ...entry, orgId: 'other' }, t)).toEqual({ accepted: false, reason: 'key-mismatch' });
    expect(decideAccess(secret, { ...entry, keyId: 'k2' }, t)).toEqual({ accepted: false, reason: 'key-mismatch' });
  });

  it('refuses a revoked key from the end of its grace (acceptUntil) on, whatever the Secret says', () => {
    const revoked = { ...entry, acceptUntil: t + 500 };
    expect(decideAccess({ ...secret, expiresAtMs: null }, revoked, t + 499)).toEqual({ accepted: true });
    expect(decideAccess({ ...secret, expiresAtMs: null }, revoked, t + 500)).toEqual({ accepted: false, reason: 'key-ended' });
  });
});
