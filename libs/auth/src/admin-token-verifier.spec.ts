import { ManualClock } from '@keywarden/clock';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWTPayload, KeyLike } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminAuthConfigError, AdminTokenRejection, AdminTokenVerifier, InvalidAdminTokenError } from './admin-token-verifier';
import { DevelopmentIssuer } from './development-issuer';

const dataDir = mkdtempSync(join(tmpdir(), 'kw-admin-verifier-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<AdminTokenRejection> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidAdminTokenError);
  expect((error as InvalidAdminTokenError).code).toBe('INVALID_ADMIN_TOKEN');
  return (error as InvalidAdminTokenError).reason;
}

describe('AdminTokenVerifier', () => {
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');
  const issuer = DevelopmentIssuer.open(dataDir, clock);
  const verifier = new AdminTokenVerifier(issuer.verifierOptions());

  // An identity provider of our own, to craft tokens the development issuer would never produce.
  let idpKey: KeyLike;
  let idpVerifier: AdminTokenVerifier;
  const iat = Math.floor(clock.now().getTime() / 1000);
  const craft = (claims: JWTPayload, alg = 'ES256') =>
    new SignJWT({ sub: 'u1', iss: 'https://idp.example', aud: 'keywarden', iat, exp: iat + 600, roles: ['admin'], org: 'org-a', ...claims })
      .setProtectedHeader({ alg, kid: 'idp-1' })
      .sign(idpKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    idpKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256' };
    idpVerifier = new AdminTokenVerifier({ issuer: 'https://idp.example', audience: 'keywarden', localJwks: { keys: [jwk] }, clock });
  });

  it('accepts a development token and maps its claims', async () => {
    const token = await issuer.issue({ orgId: 'org-a', email: 'ada@example.com', role: 'admin' });
    expect(await verifier.verify(token)).toEqual({
      sub: 'dev:ada@example.com',
      email: 'ada@example.com',
      orgId: 'org-a',
      roles: ['admin'],
      isOperator: false,
    });
    const operator = await issuer.issue({ orgId: 'staff', email: 'op@example.com', role: 'operator', sub: 'op-1' });
    expect(await verifier.verify(operator)).toMatchObject({ sub: 'op-1', roles: ['operator'], isOperator: true });
  });

  it('accepts a token of a configured identity provider and drops unknown roles', async () => {
    const principal = await idpVerifier.verify(await craft({ roles: ['admin', 'viewer'], email: undefined }));
    expect(principal).toEqual({ sub: 'u1', email: null, orgId: 'org-a', roles: ['admin'], isOperator: false });
    expect((await idpVerifier.verify(await craft({ roles: ['viewer'] }))).roles).toEqual([]);
  });

  it('rejects a wrong issuer or audience', async () => {
    expect(await rejection(idpVerifier.verify(await craft({ iss: 'https://evil.example' })))).toBe('wrong-issuer');
    expect(await rejection(idpVerifier.verify(await craft({ aud: 'another-app' })))).toBe('wrong-audience');
  });

  it('rejects an expired token by the injected clock', async () => {
    const token = await issuer.issue({ orgId: 'org-a', email: 'ada@example.com', role: 'admin', ttlSeconds: 60 });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    const later = new AdminTokenVerifier({ ...issuer.verifierOptions(), clock: new ManualClock('2026-03-01T09:02:00.000Z') });
    expect(await rejection(later.verify(token))).toBe('expired');
  });

  it('rejects a token without exp or sub', async () => {
    expect(await rejection(idpVerifier.verify(await craft({ exp: undefined })))).toBe('bad-claims');
    expect(await rejection(idpVerifier.verify(await craft({ sub: undefined })))).toBe('bad-claims');
  });

  it('rejects alg none and a shared-secret algorithm', async () => {
    const unsigned = (alg: string) =>
      `${Buffer.from(JSON.stringify({ alg, kid: 'idp-1' })).toString('base64url')}.${Buffer.from(
        JSON.stringify({ sub: 'u1', iss: 'https://idp.example', aud: 'keywarden', exp: iat + 600, roles: ['operator'] }),
      ).toString('base64url')}.`;
    expect(await rejection(idpVerifier.verify(unsigned('none')))).toBe('alg-not-allowed');
    const hs256 = await new SignJWT({ sub: 'u1', iss: 'https://idp.example', aud: 'keywarden', exp: iat + 600, roles: ['operator'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'idp-1' })
      .sign(new Uint8Array(32));
    expect(await rejection(idpVerifier.verify(hs256))).toBe('alg-not-allowed');
  });

  it('rejects a token signed by a key the issuer does not publish', async () => {
    const other = DevelopmentIssuer.open(mkdtempSync(join(dataDir, 'other-')), clock);
    const token = await other.issue({ orgId: 'org-a', email: 'ada@example.com', role: 'operator' });
    expect(await rejection(verifier.verify(token))).toBe('unknown-key');
  });

  it('rejects garbage', async () => {
    for (const garbage of ['', 'garbage', 'a.b.c', 'x'.repeat(20_000)]) {
      expect(await rejection(verifier.verify(garbage))).toBe('malformed');
    }
  });

  it('needs a key source, an issuer and an audience', () => {
    expect(() => new AdminTokenVerifier({ issuer: 'i', audience: 'a' })).toThrow(AdminAuthConfigError);
    expect(() => new AdminTokenVerifier({ issuer: '', audience: 'a', localJwks: { keys: [] } })).toThrow(AdminAuthConfigError);
  });
});
