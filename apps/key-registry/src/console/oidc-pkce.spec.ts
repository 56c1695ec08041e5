// The console's browser modules are compiled for the DOM (apps/key-registry/console/tsconfig.json);
// their pure sign-in functions are tested here, where the Node type-check and Jest see them.
import { assertStateMatches, assertTokenEndpointAllowed, authorizationUrl, codeChallengeS256, randomString, signInFromFragment } from '../../console/src/oidc-pkce';

describe('console sign-in: PKCE and the authorization request', () => {
  it('derives the S256 challenge of RFC 7636 Appendix B', async () => {
    expect(await codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes verifiers of 43 unreserved characters (32 random bytes), different each time', () => {
    const [a, b] = [randomString(32), randomString(32)];
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it('asks for an authorization code with the client, redirect URI, S256 challenge and state', () => {
    const url = new URL(
      authorizationUrl('https://id.example.test/authorize?prompt=login', {
        clientId: 'keywarden-console',
        redirectUri: 'https://registry.example.test/console',
        scope: 'openid email',
        state: 'state-123',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://id.example.test/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      prompt: 'login',
      response_type: 'code',
      client_id: 'keywarden-console',
      redirect_uri: 'https://registry.example.test/console',
      scope: 'openid email',
      state: 'state-123',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
  });

  it('refuses an answer whose state is not the one sent, or that has none', () => {
    expect(() => assertStateMatches('state-123', 'state-123')).not.toThrow();
    expect(() => assertStateMatches('state-123', 'state-124')).toThrow(/does not belong to this browser tab/);
    expect(() => assertStateMatches('state-123', null)).toThrow(/does not belong/);
    expect(() => assertStateMatches(undefined, 'state-123')).toThrow(/does not belong/);
    expect(() => assertStateMatches('', '')).toThrow(/does not belong/);
  });

  it('refuses a token endpoint outside the issuer origin, the only one the CSP lets the page reach', () => {
    expect(() => assertTokenEndpointAllowed('https://id.example.test/realms/acme', 'https://id.example.test/realms/acme/token')).not.toThrow();
    expect(() => assertTokenEndpointAllowed('https://id.example.test', 'https://tokens.example.test/token')).toThrow(/not on the issuer's origin/);
  });
});

describe('console sign-in: the development fragment', () => {
  it('reads the one-time code of the printed link, or a pasted token', () => {
    expect(signInFromFragment('#signin=abc_DEF-123')).toEqual({ kind: 'code', code: 'abc_DEF-123' });
    expect(signInFromFragment('#token=eyJ.a.b')).toEqual({ kind: 'token', token: 'eyJ.a.b' });
    expect(signInFromFragment('')).toBeNull();
    expect(signInFromFragment('#other=1')).toBeNull();
  });
});
