import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { generateApiKey } from './api-key';
import { InvalidApiKeyError, InvalidSecretError, InvalidSecretReason } from './crypto.errors';
import { inspectSecret, SecretMinter, SecretVerifier } from './secret';
import { SigningKeyRing } from './signing-key-ring';

const morning = new Date('2026-03-01T08:15:42.123Z');
const evening = new Date('2026-03-01T23:59:59.999Z');
const nextDay = new Date('2026-03-02T00:00:00.000Z');
const startOfDay = Date.UTC(2026, 2, 1) / 1000;
const keyEnd = new Date('2027-03-01T00:00:00.000Z');

function setup() {
  const ring = SigningKeyRing.generate(morning);
  const minter = new SecretMinter(ring);
  const verifier = SecretVerifier.forJwks(ring.jwks());
  const { key } = generateApiKey();
  const input = { apiKey: key, orgId: 'org-a', keyId: 'key-1', acceptUntil: keyEnd, now: morning };
  return { ring, minter, verifier, key, input };
}

async function rejection(promise: Promise<unknown>): Promise<InvalidSecretReason> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidSecretError);
  expect((error as InvalidSecretError).code).toBe('INVALID_SECRET');
  return (error as InvalidSecretError).reason;
}

describe('the Secret', () => {
  it('is an EdDSA JWT with kid, carrying the key, organisation, key id, start-of-day iat and exp', async () => {
    const { ring, minter, key, input } = setup();
    const secret = await minter.mint(input);
    expect(decodeProtectedHeader(secret)).toEqual({ alg: 'EdDSA', kid: ring.current().kid, typ: 'JWT' });
    expect(decodeJwt(secret)).toEqual({ client_secret: key, org_id: 'org-a', key_id: 'key-1', iat: startOfDay, exp: keyEnd.getTime() / 1000 });
  });

  it('is the same all day and different the next day, with the same key inside', async () => {
    const { minter, key, input } = setup();
    const first = await minter.mint(input);
    expect(await minter.mint({ ...input, now: evening })).toBe(first);
    const tomorrow = await minter.mint({ ...input, now: nextDay });
    expect(tomorrow).not.toBe(first);
    expect(decodeJwt(tomorrow).client_secret).toBe(key);
    expect(decodeJwt(tomorrow).iat).toBe(startOfDay + 86_400);
  });

  it('has no exp for a key that never expires, and keeps verifying', async () => {
    const { minter, verifier, input } = setup();
    const secret = await minter.mint({ ...input, acceptUntil: null });
    expect(decodeJwt(secret)).not.toHaveProperty('exp');
    const verified = await verifier.verify(secret, new Date('2040-01-01T00:00:00.000Z'));
    expect(verified.expiresAt).toBeNull();
  });

  it('verifies into the key, organisation, key id, times and kid', async () => {
    const { ring, minter, verifier, key, input } = setup();
    const verified = await verifier.verify(await minter.mint(input), morning);
    expect(verified).toEqual({
      apiKey: key,
      orgId: 'org-a',
      keyId: 'key-1',
      issuedAt: new Date(startOfDay * 1000),
      expiresAt: keyEnd,
      kid: ring.current().kid,
    });
  });

  it('is rejected as expired from its exp on, by the time passed in', async () => {
    const { minter, verifier, input } = setup();
    const secret = await minter.mint(input);
    await expect(verifier.verify(secret, new Date(keyEnd.getTime() - 1))).resolves.toBeDefined();
    expect(await rejection(verifier.verify(secret, keyEnd))).toBe('expired');
  });

  it('rejects a Secret signed by a key that is not published', async () => {
    const { verifier, input } = setup();
    const stranger = new SecretMinter(SigningKeyRing.generate(morning));
    expect(await rejection(verifier.verify(await stranger.mint(input), morning))).toBe('unknown-kid');
  });

  it('rejects a forged signature under a published kid', async () => {
    const { ring, verifier, key } = setup();
    const forger = SigningKeyRing.generate(morning).current().privateKey;
    const forged = await new SignJWT({ client_secret: key, org_id: 'org-a', key_id: 'key-1', iat: startOfDay })
      .setProtectedHeader({ alg: 'EdDSA', kid: ring.current().kid, typ: 'JWT' })
      .sign(forger);
    expect(await rejection(verifier.verify(forged, morning))).toBe('bad-signature');
  });

  it('rejects a validly signed token without typ JWT, or not valid yet (nbf), as jose would', async () => {
    const { ring, verifier, key } = setup();
    const { kid, privateKey } = ring.current();
    const claims = { client_secret: key, org_id: 'org-a', key_id: 'key-1', iat: startOfDay };
    const untyped = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(privateKey);
    const early = await new SignJWT({ ...claims, nbf: startOfDay + 86_400 }).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' }).sign(privateKey);
    expect(await rejection(verifier.verify(untyped, morning))).toBe('malformed');
    expect(await rejection(verifier.verify(early, morning))).toBe('malformed');
    await expect(verifier.verify(early, nextDay)).resolves.toMatchObject({ keyId: 'key-1' });
  });

  it('rejects a Secret whose payload was changed after signing', async () => {
    const { minter, verifier, input } = setup();
    const [header, , signature] = (await minter.mint(input)).split('.');
    const payload = Buffer.from(JSON.stringify({ client_secret: input.apiKey, org_id: 'org-b', key_id: 'key-1', iat: startOfDay })).toString('base64url');
    expect(await rejection(verifier.verify(`${header}.${payload}.${signature}`, morning))).toBe('bad-signature');
  });

  it('still verifies a Secret minted before a signing-key rotation', async () => {
    const { ring, minter, input } = setup();
    const before = await minter.mint(input);
    ring.rotate(nextDay);
    const verifier = SecretVerifier.forJwks(ring.jwks());
    await expect(verifier.verify(before, nextDay)).resolves.toMatchObject({ keyId: 'key-1' });
    const after = await minter.mint({ ...input, now: nextDay });
    expect(decodeProtectedHeader(after).kid).toBe(ring.current().kid);
    await expect(verifier.verify(after, nextDay)).resolves.toBeDefined();
  });

  it('stops verifying Secrets of a retired signing key', async () => {
    const { ring, minter, input } = setup();
    const oldKid = ring.current().kid;
    const before = await minter.mint(input);
    ring.rotate(nextDay);
    ring.retire(oldKid);
    expect(await rejection(SecretVerifier.forRing(ring).verify(before, nextDay))).toBe('unknown-kid');
  });

  it('rejects garbage, alg none and a malformed key before any signature check', async () => {
    const { minter, input } = setup();
    const getKey = jest.fn(() => null);
    const verifier = new SecretVerifier(getKey);
    const secret = await minter.mint(input);
    const [header, payload] = secret.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    // The key with its last character changed (to another one: a random key may end in x already).
    const changedKey = `${input.apiKey.slice(0, -1)}${input.apiKey.endsWith('x') ? 'y' : 'x'}`;
    const badKey = Buffer.from(JSON.stringify({ client_secret: changedKey, org_id: 'o', key_id: 'k', iat: startOfDay })).toString('base64url');
    expect(await rejection(verifier.verify('garbage', morning))).toBe('malformed');
    expect(await rejection(verifier.verify('a.b.c', morning))).toBe('malformed');
    expect(await rejection(verifier.verify(none, morning))).toBe('malformed');
    expect(await rejection(verifier.verify(`${header}.${badKey}.AAAA`, morning))).toBe('bad-key-format');
    expect(getKey).not.toHaveBeenCalled();
  });

  it('exposes the structural checks alone, without crypto', async () => {
    const { ring, minter, key, input } = setup();
    const inspected = inspectSecret(await minter.mint(input));
    expect(inspected).toMatchObject({ ok: true, secret: { apiKey: key, orgId: 'org-a', keyId: 'key-1', kid: ring.current().kid } });
    expect(inspectSecret('x'.repeat(5000))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to mint around a malformed API key', async () => {
    const { minter, input } = setup();
    await expect(minter.mint({ ...input, apiKey: 'kw_short' })).rejects.toBeInstanceOf(InvalidApiKeyError);
  });
});

describe('SecretVerifier construction', () => {
  it('accepts a ring directly', async () => {
    const { ring, minter, input } = setup();
    await expect(new SecretVerifier(ring).verify(await minter.mint(input), morning)).resolves.toMatchObject({ orgId: 'org-a' });
  });
});
