import request from 'supertest';
import { loadConfig } from '@keywarden/config';
import { EmbeddedHarness } from '../../../../test/support/embedded-harness';
import { startKeyRegistry } from '../key-registry.service';

describe('the admin console assets on the registry', () => {
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ env: { SETTINGS_PUBLIC_URL: 'https://settings.example.test/' } });
    await harness.start(startKeyRegistry);
    registry = request(harness.url('key-registry'));
  });
  afterAll(() => harness.stop());

  it('serves the page with a CSP that allows no inline code and only the registry and settings as peers', async () => {
    const res = await registry.get('/console').expect(200).expect('content-type', /html/);
    expect(res.text).toContain('<script type="module" src="/console/console.js"></script>');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://settings.example.test; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(res.headers['cache-control']).toBe('no-store');
    await registry.get('/console/console.css').expect(200).expect('content-type', /css/);
  });

  it('names its icon inline, as a data: URL the CSP allows, so the browser asks for no /favicon.ico', async () => {
    const res = await registry.get('/console').expect(200);
    expect(res.text).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]+">/);
    expect(res.headers['content-security-policy']).toContain("img-src 'self' data:");
  });

  it('tells the page where the settings service is and how admins sign in', async () => {
    const res = await registry.get('/console/config.json').expect(200);
    expect(res.body).toEqual({ settingsUrl: 'https://settings.example.test', auth: { mode: 'development' } });
  });

  it('serves no file outside its compiled modules', async () => {
    await registry.get('/console/..%2F..%2Fpackage.json').expect(404);
    await registry.get('/console/nothing-here.js').expect(404);
  });

  it('in OIDC mode lets the page connect to the issuer origin only, not to every https: origin', async () => {
    const oidc = new EmbeddedHarness({ env: { SETTINGS_PUBLIC_URL: 'https://settings.example.test/', AUTH_JWKS_URL: 'https://keys.example.test/jwks', AUTH_ISSUER: 'https://id.example.test/realms/acme' } });
    try {
      await oidc.start(startKeyRegistry);
      const res = await request(oidc.url('key-registry')).get('/console').expect(200);
      const connect = /connect-src ([^;]*);/.exec(res.headers['content-security-policy'])?.[1];
      expect(connect).toBe("'self' https://settings.example.test https://id.example.test");
      const config = await request(oidc.url('key-registry')).get('/console/config.json').expect(200);
      expect(config.body.auth).toEqual({ mode: 'oidc', issuer: 'https://id.example.test/realms/acme', clientId: 'keywarden-console', scope: 'openid email' });
    } finally {
      await oidc.stop();
    }
  });

  it('refuses a bad SETTINGS_PUBLIC_URL or OIDC client id at start, naming the variable', () => {
    expect(() => loadConfig({ SETTINGS_PUBLIC_URL: 'ftp://x' })).toThrow(/SETTINGS_PUBLIC_URL/);
    expect(() => loadConfig({ CONSOLE_OIDC_CLIENT_ID: 'has space' })).toThrow(/CONSOLE_OIDC_CLIENT_ID/);
    expect(loadConfig({ AUTH_JWKS_URL: 'https://id.example.test/jwks', AUTH_ISSUER: 'https://id.example.test' }).console).toEqual({
      settingsPublicUrl: null,
      oidcClientId: 'keywarden-console',
      oidcScope: 'openid email',
    });
  });
});
