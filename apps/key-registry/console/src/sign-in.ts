import { assertStateMatches, assertTokenEndpointAllowed, authorizationUrl, codeChallengeS256, FragmentSignIn, randomString, signInFromFragment } from './oidc-pkce.js';

/** What `/console/config.json` tells the page (served by the registry from its configuration). */
export type ConsoleConfig = Readonly<{
  settingsUrl: string;
  auth: Readonly<{ mode: 'development' } | { mode: 'oidc'; issuer: string; clientId: string; scope: string }>;
}>;

export type Claims = Readonly<{ org: string; email: string; roles: string[]; exp?: number }>;

const PKCE_ITEM = 'keywarden.console.pkce';

/** Only for showing who is signed in and which controls apply; the API decides access. */
export function claimsOf(token: string): Claims {
  const part = token.split('.')[1] ?? '';
  const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Partial<Claims>;
  return { org: String(json.org ?? ''), email: String(json.email ?? ''), roles: Array.isArray(json.roles) ? json.roles.map(String) : [], exp: json.exp };
}

/**
 * The development sign-in fragment, `#signin=<one-time code>` (the link `npm start` prints) or
 * `#token=<admin token>`: taken once, then wiped from the address bar and the history entry.
 */
export function takeSignInFromFragment(): FragmentSignIn | null {
  const found = signInFromFragment(location.hash);
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return found;
}

/** Trades the link's one-time code for an admin token (kept in memory by the caller). */
export async function exchangeSignInCode(code: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/console/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  } catch {
    throw new Error('the registry could not be reached; check that npm start is running');
  }
  const body = (await res.json().catch(() => ({}))) as { token?: unknown; message?: unknown };
  if (!res.ok || typeof body.token !== 'string') throw new Error(typeof body.message === 'string' ? body.message : `the sign-in answered ${res.status}`);
  return body.token;
}

type Discovery = { issuer: string; authorization_endpoint: string; token_endpoint: string };

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider's discovery document answered ${res.status}`);
  const doc = (await res.json()) as Discovery;
  // OpenID Connect Discovery §4.3: the document must name the issuer we asked for.
  if (doc.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) throw new Error('the identity provider names another issuer than the configured one');
  return doc;
}

const redirectUri = (): string => `${location.origin}${location.pathname}`;

/** Authorization code with PKCE (RFC 7636, S256): leaves the page for the identity provider. */
export async function beginOidcSignIn(auth: Extract<ConsoleConfig['auth'], { mode: 'oidc' }>): Promise<void> {
  const doc = await discover(auth.issuer);
  const verifier = randomString(32);
  const state = randomString(16);
  const challenge = await codeChallengeS256(verifier);
  // The verifier must outlive the redirect; it is no token, only proof for this one exchange,
  // and it is removed on return. The token itself stays in memory.
  sessionStorage.setItem(PKCE_ITEM, JSON.stringify({ verifier, state }));
  location.assign(authorizationUrl(doc.authorization_endpoint, { clientId: auth.clientId, redirectUri: redirectUri(), scope: auth.scope, state, codeChallenge: challenge }));
}

/** Back from the identity provider with `?code&state`: exchanges the code for the access token. */
export async function completeOidcSignIn(auth: Extract<ConsoleConfig['auth'], { mode: 'oidc' }>): Promise<string | null> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const saved = sessionStorage.getItem(PKCE_ITEM);
  sessionStorage.removeItem(PKCE_ITEM);
  history.replaceState(null, '', location.pathname);
  if (params.has('error')) throw new Error(params.get('error_description') ?? params.get('error') ?? 'sign-in refused');
  const pkce = saved ? (JSON.parse(saved) as { verifier: string; state: string }) : null;
  assertStateMatches(pkce?.state, params.get('state'));
  const doc = await discover(auth.issuer);
  assertTokenEndpointAllowed(auth.issuer, doc.token_endpoint);
  const res = await fetch(doc.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code') ?? '', redirect_uri: redirectUri(), client_id: auth.clientId, code_verifier: pkce!.verifier }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string; error?: string };
  if (!res.ok || !body.access_token) throw new Error(body.error_description ?? body.error ?? `the token endpoint answered ${res.status}`);
  return body.access_token;
}
