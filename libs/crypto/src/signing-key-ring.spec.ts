import { calculateJwkThumbprint } from 'jose';
import { SigningKeyRingError } from './crypto.errors';
import { SigningKeyRing } from './signing-key-ring';

const now = new Date('2026-03-01T10:00:00.000Z');

describe('SigningKeyRing', () => {
  it('never publishes a private part', () => {
    const ring = SigningKeyRing.generate(now);
    ring.rotate(now);
    ring.rotate(now);
    const jwks = ring.jwks();
    expect(jwks.keys).toHaveLength(3);
    for (const jwk of jwks.keys) {
      expect(jwk).not.toHaveProperty('d');
      expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('uses the RFC 7638 thumbprint as kid', async () => {
    const ring = SigningKeyRing.generate(now);
    const [jwk] = ring.jwks().keys;
    expect(jwk.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }));
  });

  it('rotates to a new current key and keeps the old one until it is retired', () => {
    const ring = SigningKeyRing.generate(now);
    const first = ring.current().kid;
    const second = ring.rotate(new Date('2026-04-01T00:00:00.000Z'));
    expect(ring.current().kid).toBe(second);
    expect(ring.publicKey(first)).not.toBeNull();
    expect(() => ring.retire(second)).toThrow(SigningKeyRingError);
    ring.retire(first);
    expect(ring.publicKey(first)).toBeNull();
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([second]);
  });

  it('round-trips through JSON', () => {
    const ring = SigningKeyRing.generate(now);
    ring.rotate(now);
    const copy = SigningKeyRing.fromJSON(ring.serialize());
    expect(copy.jwks()).toEqual(ring.jwks());
    expect(copy.list()).toEqual(ring.list());
    expect(copy.current().kid).toBe(ring.current().kid);
  });

  it('rejects invalid JSON without echoing it', () => {
    const ring = SigningKeyRing.generate(now).toJSON();
    const other = SigningKeyRing.generate(now).toJSON();
    const mismatched = { ...ring, keys: [{ ...ring.keys[0], jwk: { ...ring.keys[0].jwk, x: other.keys[0].jwk.x } }] };
    for (const bad of ['{', '{}', JSON.stringify({ ...ring, current: 'nope' }), JSON.stringify(mismatched)]) {
      const error = (() => {
        try {
          SigningKeyRing.fromJSON(bad);
        } catch (e) {
          return e as Error;
        }
        throw new Error('expected a rejection');
      })();
      expect(error).toBeInstanceOf(SigningKeyRingError);
      expect(error.message).not.toContain(ring.keys[0].jwk.d);
    }
  });
});
