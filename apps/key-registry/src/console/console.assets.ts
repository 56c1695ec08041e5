import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Request, Response, NextFunction, Express } from 'express';
import { DevelopmentIssuer } from '@keywarden/auth';
import type { Clock } from '@keywarden/clock';
import type { KeywardenConfig } from '@keywarden/config';
import { ConsoleSignInCodes } from './console-sign-in-codes';
import { CONSOLE_CSS, CONSOLE_HTML } from './console.page';

/** The compiled browser modules (`npm run build` → dist/console), found from the repository or image root. */
export function consoleScriptDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

/** What the page needs to know: where the settings service answers and how admins sign in. */
export function consoleConfigFor(config: KeywardenConfig, req: Pick<Request, 'protocol' | 'hostname'>) {
  const settingsUrl = config.console.settingsPublicUrl ?? `${req.protocol}://${req.hostname}:${config.ports.settings}`;
  const auth =
    config.auth.mode === 'oidc'
      ? { mode: 'oidc' as const, issuer: config.auth.issuer, clientId: config.console.oidcClientId, scope: config.console.oidcScope }
      : { mode: 'development' as const };
  return { settingsUrl, auth };
}

/**
 * The page's `connect-src`: the registry, the settings service and, in OIDC mode, the identity
 * provider's origin only (its discovery document and token endpoint; the page refuses a token
 * endpoint on another origin), not every https: origin.
 */
export function consoleConnectSources(settingsUrl: string, auth: ReturnType<typeof consoleConfigFor>['auth']): string[] {
  return [...new Set(["'self'", new URL(settingsUrl).origin, ...(auth.mode === 'oidc' ? [new URL(auth.issuer).origin] : [])])];
}

const SCRIPT = /^[a-z-]+\.js$/;

const SIGN_IN_REFUSED =
  'This sign-in link is unknown, already used or expired (a link signs in once, within 15 minutes). Restart npm start for a new link, or paste a token from npm run admin-token -- --org <id> --email <address>.';

export type MountConsoleOptions = Readonly<{
  /** Where the compiled browser modules are. @default consoleScriptDir() */
  scriptDir?: string;
  /** The one-time sign-in codes of the embedded mode (development auth only). @default none: every code is refused */
  signInCodes?: ConsoleSignInCodes;
  /** For the development tokens the sign-in route issues. @default the system clock */
  clock?: Clock;
}>;

/**
 * Serves the admin console at /console from the registry: the page, its stylesheet, its ES
 * modules and config.json. Plain Express handlers rather than a controller: these are no API
 * routes (no admin guard, no JSON error body), and the page reaches the API like any client.
 */
export function mountConsole(app: INestApplication, config: KeywardenConfig, options: MountConsoleOptions = {}): void {
  const scriptDir = options.scriptDir ?? consoleScriptDir();
  const express = app.getHttpAdapter().getInstance() as Express;
  // The one-time link's exchange: development auth only (an OIDC deployment has no such route).
  if (config.auth.mode === 'development') mountSignIn(express, config, options);
  express.use('/console', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const { settingsUrl, auth } = consoleConfigFor(config, req);
    // No inline script or style, and the page may only talk to the registry, the settings
    // service and (in OIDC mode) the identity provider: an injected string cannot run or exfiltrate.
    const connect = consoleConnectSources(settingsUrl, auth).join(' ');
    res.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    const path = req.path.replace(/^\/+/, '');
    if (path === '') return void res.type('html').send(CONSOLE_HTML);
    if (path === 'console.css') return void res.type('css').send(CONSOLE_CSS);
    if (path === 'config.json') return void res.json({ settingsUrl, auth });
    if (!SCRIPT.test(path)) return next();
    readFile(join(scriptDir, path), 'utf8').then(
      (script) => void res.type('application/javascript').send(script),
      () => void res.status(path === 'console.js' ? 503 : 404).type('text/plain').send(path === 'console.js' ? 'The console is not built: run npm run build.' : 'Not found'),
    );
  });
}

/**
 * `POST /console/sign-in {"code"}` → `{"token"}`: redeems a one-time code of `npm start`'s link for
 * a development admin token. The code is never logged (the request log records no body), and a
 * wrong, used or expired one gets the same 401, so an answer tells nothing about other codes.
 */
function mountSignIn(express: Express, config: KeywardenConfig, options: MountConsoleOptions): void {
  let issuer: DevelopmentIssuer | undefined;
  express.post('/console/sign-in', (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    const code = (req.body as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || code.length === 0 || code.length > 200) {
      return void res.status(400).json({ statusCode: 400, error: 'Bad Request', message: 'the body must be {"code": "<the code of the sign-in link>"}' });
    }
    const principal = options.signInCodes?.redeem(code) ?? null;
    if (!principal) return void res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: SIGN_IN_REFUSED });
    issuer ??= new DevelopmentIssuer(config.dataDir, options.clock);
    issuer.issue(principal).then((token) => void res.json({ token }), next);
  });
}
