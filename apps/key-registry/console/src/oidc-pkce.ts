/**
 * The pure parts of the console's sign-in: no DOM, no storage, no navigation, so the page and a
 * Node unit spec (apps/key-registry/src/console/oidc-pkce.spec.ts) import the same code. Only
 * globals that browsers and Node share: crypto.subtle, TextEncoder, btoa, URL.
 */

export const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** `size` random bytes (CSPRNG), base64url: 32 bytes make a 43-character PKCE verifier (RFC 7636 §4.1). */
export const randomString = (size: number): string => base64url(crypto.getRandomValues(new Uint8Array(size)));

/** RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function codeChallengeS256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

export type AuthorizationRequest = Readonly<{ clientId: string; redirectUri: string; scope: string; state: string; codeChallenge: string }>;

/** The authorization code request with PKCE (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export function authorizationUrl(authorizationEndpoint: string, request: AuthorizationRequest): string {
  const url = new URL(authorizationEndpoint);
  // Keeps parameters the provider put in its endpoint URL; ours replace any of the same name.
  const params = new URLSearchParams(url.search);
  const ours: Record<string, string> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope,
    state: request.state,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(ours)) params.set(name, value);
  url.search = params.toString();
  return url.toString();
}

/**
 * The answer's `state` must be the one this tab sent (RFC 6749 §10.12): otherwise the code may be
 * an attacker's, injected to sign the admin into another account. Throws; never returns a mismatch.
 */
export function assertStateMatches(sent: string | null | undefined, returned: string | null | undefined): void {
  if (!sent || !returned || sent.length !== returned.length || sent !== returned) {
    throw new Error('this sign-in answer does not belong to this browser tab; sign in again');
  }
}

/**
 * The page's CSP lets it connect to the issuer's origin only, so a token endpoint elsewhere is
 * refused here with a message rather than by the browser with a bare network error.
 */
export function assertTokenEndpointAllowed(issuer: string, tokenEndpoint: string): void {
  if (new URL(tokenEndpoint).origin !== new URL(issuer).origin) {
    throw new Error(`the identity provider's token endpoint (${new URL(tokenEndpoint).origin}) is not on the issuer's origin (${new URL(issuer).origin}), the only one the console may connect to`);
  }
}

export type FragmentSignIn = Readonly<{ kind: 'code'; code: string } | { kind: 'token'; token: string }>;

/** `#signin=<one-time code>` (the link `npm start` prints) or `#token=<admin token>` (pasted by a developer). */
export function signInFromFragment(hash: string): FragmentSignIn | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const code = params.get('signin');
  if (code) return { kind: 'code', code };
  const token = params.get('token');
  if (token) return { kind: 'token', token };
  return null;
}
