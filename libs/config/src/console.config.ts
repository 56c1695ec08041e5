/**
 * The admin console's settings (apps/key-registry/console, served at /console by the registry).
 * Separate from keywarden.config.ts like edge.config.ts; loadConfig() puts the result under `console`.
 */
export type ConsoleConfig = Readonly<{
  /** SETTINGS_PUBLIC_URL: where browsers reach the settings service. @default null: the console's own host on SETTINGS_PORT */
  settingsPublicUrl: string | null;
  /** CONSOLE_OIDC_CLIENT_ID: the console's public client at the identity provider (AUTH_ISSUER). @default 'keywarden-console' */
  oidcClientId: string;
  /** CONSOLE_OIDC_SCOPE: scopes the console asks for. @default 'openid email' */
  oidcScope: string;
}>;

type Env = Readonly<Record<string, string | undefined>>;
type ConfigErrorFactory = (variable: string, problem: string) => Error;

export function loadConsoleConfig(env: Env, fail: ConfigErrorFactory): ConsoleConfig {
  const settingsPublicUrl = env.SETTINGS_PUBLIC_URL?.trim() || null;
  if (settingsPublicUrl !== null) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(settingsPublicUrl);
    } catch {
      parsed = null;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) throw fail('SETTINGS_PUBLIC_URL', 'must be an http:// or https:// URL');
  }
  const oidcClientId = env.CONSOLE_OIDC_CLIENT_ID?.trim() || 'keywarden-console';
  if (!/^[\x21-\x7e]{1,200}$/.test(oidcClientId)) throw fail('CONSOLE_OIDC_CLIENT_ID', 'must be 1-200 printable characters without spaces');
  const oidcScope = env.CONSOLE_OIDC_SCOPE?.trim() || 'openid email';
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(oidcScope)) throw fail('CONSOLE_OIDC_SCOPE', 'must be space-separated scope names');
  return { settingsPublicUrl: settingsPublicUrl?.replace(/\/+$/, '') ?? null, oidcClientId, oidcScope };
}
