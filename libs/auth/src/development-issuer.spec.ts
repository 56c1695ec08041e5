import { ManualClock } from '@keywarden/clock';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_AUDIENCE, DEV_ISSUER, DevelopmentIssuer } from './development-issuer';

const dataDir = mkdtempSync(join(tmpdir(), 'kw-dev-issuer-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('DevelopmentIssuer', () => {
  const clock = new ManualClock('2026-03-01T09:00:00.000Z');

  it('creates its key once, 0600, and reuses it', () => {
    const first = DevelopmentIssuer.open(dataDir, clock);
    expect(statSync(join(dataDir, 'keys', 'dev-issuer.json')).mode & 0o777).toBe(0o600);
    expect(DevelopmentIssuer.open(dataDir, clock).jwks()).toEqual(first.jwks());
    expect(JSON.stringify(first.jwks())).not.toContain('"d"');
  });

  it('issues a 12-hour EdDSA token with the claims the guard reads', async () => {
    const token = await DevelopmentIssuer.open(dataDir, clock).issue({ orgId: 'org-a', email: 'ada@example.com', role: 'operator' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    const now = clock.now().getTime() / 1000;
    expect(decodeJwt(token)).toEqual({
      iss: DEV_ISSUER,
      aud: DEV_AUDIENCE,
      sub: 'dev:ada@example.com',
      email: 'ada@example.com',
      org: 'org-a',
      roles: ['operator'],
      iat: now,
      exp: now + 12 * 3600,
    });
  });
});
