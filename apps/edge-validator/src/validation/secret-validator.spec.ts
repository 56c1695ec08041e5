import pino from 'pino';
import { ManualClock } from '@keywarden/clock';
import { generateApiKey, KeyFingerprinter, SecretMinter, SecretVerifier, SigningKeyRing } from '@keywarden/crypto';
import { InMemoryActiveKeyCache } from '@keywarden/key-cache';
import { EndedKeys } from './ended-keys';
import { KeyEntryCache } from './key-entry.cache';
import { SecretValidator, Verdict } from './secret-validator';

const apiKeyOf = (secret: string): string => JSON.parse(Buffer.from(secret.split('.')[1], 'base64url').toString()).client_secret;

describe('SecretValidator', () => {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const ring = SigningKeyRing.generate(clock.now());
  const fingerprinter = new KeyFingerprinter(Buffer.alloc(32, 9));
  let keyLookups: number;
  let validator: SecretValidator;
  let secret: string;
  let cache: InMemoryActiveKeyCache;
  let ended: EndedKeys;

  beforeEach(async () => {
    keyLookups = 0;
    const verifier = new SecretVerifier((kid) => {
      keyLookups++;
      return ring.publicKey(kid);
    });
    cache = new InMemoryActiveKeyCache();
    await cache.markComplete();
    const keys = new KeyEntryCache(cache, clock, pino({ level: 'silent' }), { ttlMs: 1000, stalenessMs: 5000, max: 100 });
    ended = new EndedKeys(10);
    validator = new SecretValidator(verifier, fingerprinter, keys, { secretCacheMax: 100 }, ended);
    const { key } = generateApiKey();
    const acceptUntil = new Date(clock.now().getTime() + 86_400_000);
    secret = await new SecretMinter(ring).mint({ apiKey: key, orgId: 'acme', keyId: 'k1', acceptUntil, now: clock.now() });
    await cache.applyRingChange('acme', 0, { kind: 'put', key: { orgId: 'acme', keyId: 'k1', fingerprint: fingerprinter.fingerprint(key), status: 'active', acceptUntil: acceptUntil.getTime() } });
  });

  const now = () => clock.now().getTime();
  const outcome = async (v: Verdict | Promise<Verdict>) => {
    const verdict = await v;
    return verdict.outcome === 'refused' ? verdict.reason : verdict.outcome;
  };

  it('verifies a Secret once, then answers from memory without a promise', async () => {
    expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
    const again = validator.validate(secret, now());
    expect(again).not.toBeInstanceOf(Promise);
    expect(await outcome(again)).toBe('accepted');
    expect(keyLookups).toBe(1);
  });

  it('refuses a held Secret whose key this edge saw end, while the key cache still lists it as active', async () => {
    expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
    ended.add('acme', 'k1');
    expect(await outcome(validator.validate(secret, now()))).toBe('key-ended');
    expect(await cache.lookup(fingerprinter.fingerprint(apiKeyOf(secret)))).toMatchObject({ status: 'active' });
  });

  it('answers unavailable, not refused, for a key missing from a cache without its completeness marker', async () => {
    await cache.clear();
    expect(await outcome(validator.validate(secret, now()))).toBe('unavailable');
    expect(await validator.validate(secret, now())).toEqual({ outcome: 'unavailable', cause: 'key-cache-incomplete' });
  });

  it('never takes a different token for a held one, even one ending with the same signature', async () => {
    await validator.validate(secret, now());
    const [header, , signature] = secret.split('.');
    const payload = JSON.parse(Buffer.from(secret.split('.')[1], 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...payload, org_id: 'evil' })).toString('base64url')}.${signature}`;
    expect(await outcome(validator.validate(tampered, now()))).toBe('bad-signature');
  });

  it('refuses a forgery from memory the second time, without another signature check', async () => {
    const [header, payload, signature] = secret.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await outcome(validator.validate(forged, now()))).toBe('bad-signature');
    expect(await outcome(validator.validate(forged, now()))).toBe('bad-signature');
    expect(keyLookups).toBe(1);
  });

  it('refuses a held Secret from its exp on, and after an invalidation of its key', async () => {
    await validator.validate(secret, now());
    await cache.applyRingChange('acme', 1, { kind: 'remove', keyId: 'k1' });
    expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
    validator.evict('acme', 'k1', null);
    expect(await outcome(validator.validate(secret, now()))).toBe('unknown-key');
    clock.advance(86_400_000);
    try {
      expect(await outcome(validator.validate(secret, now()))).toBe('expired');
    } finally {
      clock.advance(-86_400_000);
    }
  });

  describe('after "Never expire" (the master list says the key never ends)', () => {
    const neverExpire = async (revision: number) => {
      await cache.applyRingChange('acme', revision, { kind: 'put', key: { orgId: 'acme', keyId: 'k1', fingerprint: fingerprinter.fingerprint(apiKeyOf(secret)), status: 'active', acceptUntil: null } });
      validator.evict('acme', 'k1', null);
    };
    const later = async <T>(ms: number, body: () => Promise<T>): Promise<T> => {
      clock.advance(ms);
      try {
        return await body();
      } finally {
        clock.advance(-ms);
      }
    };

    it('accepts the Secret already deployed past its own exp, first seen then', async () => {
      await neverExpire(1);
      await later(400 * 86_400_000, async () => {
        expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
        expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
      });
    });

    it('keeps accepting a Secret it held from before, past its exp', async () => {
      expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
      await neverExpire(1);
      await later(86_400_000, async () => expect(await outcome(validator.validate(secret, now()))).toBe('accepted'));
    });

    it('accepts nothing the master list does not: past its exp, a Secret of an ended or missing key is refused', async () => {
      await cache.applyRingChange('acme', 1, { kind: 'put', key: { orgId: 'acme', keyId: 'k1', fingerprint: fingerprinter.fingerprint(apiKeyOf(secret)), status: 'revoked', acceptUntil: now() + 3_600_000 } });
      validator.evict('acme', 'k1', null);
      expect(await outcome(validator.validate(secret, now()))).toBe('accepted');
      await later(3_600_000, async () => expect(await outcome(validator.validate(secret, now()))).not.toBe('accepted'));
      await later(86_400_000, async () => expect(await outcome(validator.validate(secret, now()))).toBe('expired'));
      await cache.applyRingChange('acme', 2, { kind: 'remove', keyId: 'k1' });
      validator.evict('acme', 'k1', null);
      await later(86_400_000, async () => expect(await outcome(validator.validate(secret, now()))).toBe('expired'));
    });
  });

  it('refuses garbage without any signature check', async () => {
    for (const token of ['x', 'a.b.c', `${secret}.extra`]) expect(await outcome(validator.validate(token, now()))).toBe('malformed');
    expect(await outcome(validator.validate(undefined, now()))).toBe('missing');
    expect(keyLookups).toBe(0);
  });
});
