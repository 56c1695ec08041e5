import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Request, Response, NextFunction, Express } from 'express';
import type { KeywardenConfig } from '@keywarden/config';
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

const SCRIPT = /^[a-z-]+\.js$/;

/**
 * Serves the admin console at /console from the registry: the page, its stylesheet, its ES
 * modules and config.json. Plain Express handlers rather than a controller: these are no API
 * routes (no admin guard, no JSON error body), and the page reaches the API like any client.
 */
export function mountConsole(app: INestApplication, config: KeywardenConfig, scriptDir = consoleScriptDir()): void {
  const express = app.getHttpAdapter().getInstance() as Express;
  express.use('/console', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const { settingsUrl, auth } = consoleConfigFor(config, req);
    // No inline script or style, and the page may only talk to the registry, the settings
    // service and (in OIDC mode) the identity provider: an injected string cannot run or exfiltrate.
    const connect = ["'self'", new URL(settingsUrl).origin, ...(auth.mode === 'oidc' ? ['https:'] : [])].join(' ');
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
