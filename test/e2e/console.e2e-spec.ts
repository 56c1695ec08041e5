// The admin console in a real browser (headless Debian chromium over the DevTools protocol):
// every step of the help article's "Settings > API" page, checked on screen and through the API.
// Screenshots of each state go to test-output/screenshots/ (ignored by git), or to the folder in
// KEYWARDEN_SCREENSHOTS_DIR: `npm run docs:screenshots` points it at docs/screenshots/.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { startKeyCacheProjection } from '../../apps/key-cache-projection/src/key-cache-projection.service';
import { ConsoleSignInCodes } from '../../apps/key-registry/src/console/console-sign-in-codes';
import { startKeyRegistry } from '../../apps/key-registry/src/key-registry.service';
import { startNotifier } from '../../apps/notifier/src/notifier.service';
import { startSettings } from '../../apps/settings/src/settings.service';
import { Browser, Page } from '../support/chromium';
import { codeIn, waitForMailFile } from '../support/eml-mailbox';
import { match, ScannerKeysServer } from '../support/scanner-keys-server';
import { freePort } from '../support/service-process';
import { EmbeddedHarness } from '../support/embedded-harness';
import { waitFor } from '../support/wait-for';

jest.setTimeout(180_000);

const root = join(__dirname, '..', '..');
const SHOTS = resolve(root, process.env.KEYWARDEN_SCREENSHOTS_DIR || join('test-output', 'screenshots'));
const DAY_MS = 24 * 60 * 60 * 1000;

type KeyBody = { keyId: string; status: string; expiresAt: string | null; revokedAt: string | null; graceEndsAt: string | null; acceptUntil: string | null; createdAt: string };

describe('admin console (/console) in headless Chromium', () => {
  let harness: EmbeddedHarness;
  let browser: Browser;
  let page: Page;
  let registryUrl: string;
  let settingsUrl: string;
  const org = `console-${Date.now().toString(36)}`;
  let token: string;
  let signInLink: string;
  /** The Secret of the key that stays current to the end: the one a secret scanner reports last. */
  let currentSecret = '';
  const scanner = new ScannerKeysServer();

  const registry = () => request(registryUrl);
  const auth = () => ({ Authorization: `Bearer ${token}` });
  const keysViaApi = async (): Promise<KeyBody[]> => (await registry().get(`/v1/orgs/${org}/keys`).set(auth()).expect(200)).body.keys;
  const shot = (name: string, fullPage = false) => page.screenshot(join(SHOTS, `console-${name}.png`), fullPage);
  const settingsViaApi = async () => (await request(settingsUrl).get(`/v1/orgs/${org}/settings`).set(auth()).expect(200)).body;
  const refusalOf = async (change: object): Promise<string> => {
    const res = await request(settingsUrl).patch(`/v1/orgs/${org}/settings`).set(auth()).send(change);
    expect(res.status).toBe(400);
    return res.body.message;
  };
  const dialogButton = (action: string) => page.click(`#dialog button[data-action="${action}"]`);
  const rowButton = (status: string, action: string) => page.click(`#keys-body tr[data-status="${status}"] button[data-action="${action}"]`);
  const rowCount = () => page.evaluate<number>(`document.querySelectorAll('#keys-body tr[data-key-id]').length`);

  beforeAll(async () => {
    // The browser modules, as `npm run build` makes them (the in-process registry serves dist/console).
    const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'apps/key-registry/console/tsconfig.json')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`the console did not compile:\n${build.stdout}${build.stderr}`);
    await scanner.start();
    harness = new EmbeddedHarness({ env: { SETTINGS_PORT: String(await freePort()), SECRET_SCANNING_KEYS_URL: scanner.url } });
    // As `npm start` does: the registry holds the one-time code of the printed link.
    const signInCodes = new ConsoleSignInCodes(harness.clock);
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, (infra) => startKeyRegistry(infra, { consoleSignIn: signInCodes }));
    registryUrl = harness.url('key-registry');
    signInLink = `${registryUrl}/console#signin=${signInCodes.mint({ orgId: org, email: `admin@${org}.test`, role: 'admin' }).code}`;
    settingsUrl = harness.url('settings');
    token = await harness.token(org);
    browser = await Browser.launch();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.stop();
    await scanner.stop();
  });

  it('signs in with the one-time development link and keeps the token out of the URL and of storage', async () => {
    await page.goto(signInLink);
    await page.waitFor(`document.getElementById('who').textContent.includes('admin@${org}.test')`, 'the signed-in admin');
    expect(await page.evaluate('location.hash')).toBe('');
    expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    await page.waitForSelector('#issue-key');
    expect(await page.text('#keys-body')).toBe('This organisation has no API key.');
    // An admin's token is bound to its organisation: its name, no picker that could only fail.
    expect(await page.evaluate(`document.getElementById('org-form').hidden`)).toBe(true);
    expect(await page.evaluate(`getComputedStyle(document.getElementById('org-form')).display`)).toBe('none');
    expect(await page.text('#org-line')).toBe(`Organisation ${org}`);
    // Nothing the page loaded was refused or missing; the icon is inline, so no /favicon.ico is asked for.
    expect(await page.evaluate(`document.querySelector('link[rel="icon"]').href.startsWith('data:image/svg+xml,')`)).toBe(true);
    expect(page.failedRequests).toEqual([]);
    await shot('01-signed-in');
  });

  it('does not sign in a second time with the same link, and says how to get a new one', async () => {
    const again = await browser.newPage();
    await again.goto(signInLink);
    await again.waitFor(`document.getElementById('sign-in-error')?.textContent.includes('already used')`, 'the refused link');
    expect(await again.evaluate('location.hash')).toBe('');
    expect(await again.evaluate(`document.getElementById('console').hidden`)).toBe(true);
    expect(await again.text('#who')).toBe('');
    expect(await again.text('#token-help')).toMatch(/signs in once.*restart `npm start`.*npm run admin-token/);
    await again.screenshot(join(SHOTS, 'console-00-link-used.png'));
  });

  it('issues a key from the "Issue key" button and shows its Secret with Copy', async () => {
    await page.click('#issue-key');
    await page.waitForSelector('#issue-validity');
    await shot('02-issue-dialog');
    await dialogButton('issue-key');
    await page.waitForSelector('#secret');
    const secret = await page.evaluate<string>(`document.getElementById('secret').value`);
    await page.click('#dialog button[aria-label="Copy Secret"]');
    await page.waitFor(`document.getElementById('copy-status').textContent === 'Copied'`, 'the copy confirmation');
    await shot('03-issued-secret');
    await dialogButton('done');

    const [key] = await keysViaApi();
    expect(key).toMatchObject({ status: 'active' });
    expect(Date.parse(key.expiresAt!) - Date.parse(key.createdAt)).toBe(365 * DAY_MS);
    const tested = await registry().post(`/v1/orgs/${org}/keys/test`).set(auth()).send({ secret }).expect(200);
    expect(tested.body).toMatchObject({ valid: true, key: { keyId: key.keyId } });
    await page.waitFor(`document.querySelector('#keys-body tr[data-key-id="${key.keyId}"][data-status="active"]')`, 'the issued key in the table');
    expect(await page.evaluate('document.getElementById("issue-key").hidden')).toBe(true);
  });

  it('tests the key: a green confirmation at the bottom corner', async () => {
    const [key] = await keysViaApi();
    // The test icon also asks the gateway's active-key cache, which the projection fills just after the issue.
    await waitFor(async () => (await registry().post(`/v1/orgs/${org}/keys/${key.keyId}/test`).set(auth())).body.valid === true, { description: 'the key in the active-key cache' });
    await rowButton('active', 'test');
    await page.waitForSelector('.toast.ok');
    expect(await page.text('.toast.ok')).toMatch(/is valid/);
    await shot('04-test-valid');
  });

  it('views the key with the code sent by email: a wrong code gets the API\'s words, the right one the Secret', async () => {
    const [key] = await keysViaApi();
    await rowButton('active', 'view');
    await page.waitForSelector('#otp-code');
    expect(await page.text('#otp-help')).toMatch(/^Enter the code sent to your email \(/);
    const mail = await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-org') === org && m.header('x-keywarden-reveal-request-id') !== undefined);
    const code = codeIn(mail.text);

    await page.fill('#otp-code', code === '000000' ? '111111' : '000000');
    await dialogButton('continue');
    await page.waitFor(`document.getElementById('dialog-error').textContent.length > 0`, 'the wrong-code message');
    await shot('05-otp-dialog');

    await page.fill('#otp-code', code);
    await page.press('Enter'); // keyboard: Enter in the code field does not submit; Continue does
    await dialogButton('continue');
    await page.waitForSelector('#secret');
    const revealed = await page.evaluate<string>(`document.getElementById('secret').value`);
    await shot('06-revealed-secret');
    await dialogButton('done');
    const tested = await registry().post(`/v1/orgs/${org}/keys/test`).set(auth()).send({ secret: revealed }).expect(200);
    expect(tested.body).toMatchObject({ valid: true, key: { keyId: key.keyId } });
  });

  it('revokes with a 7-day grace and a 90-day new key, shown above the old one', async () => {
    const [old] = await keysViaApi();
    await rowButton('active', 'revoke');
    await page.waitForSelector('#revoke-grace');
    expect(await page.text('#revoke-help')).toMatch(/grace period of up to 30 days/);
    await page.fill('#revoke-grace', '7');
    await shot('07-revoke-grace');
    await dialogButton('revoke-key');
    await page.waitForSelector('#new-key-validity');
    await page.evaluate(`(() => { const s = document.getElementById('new-key-validity'); s.value = 'P90D'; s.dispatchEvent(new Event('change')); })()`);
    await shot('08-new-key-validity');
    await dialogButton('issue-new-key');
    await page.waitForSelector('#secret');
    currentSecret = await page.evaluate<string>(`document.getElementById('secret').value`);
    await shot('09-new-key-secret');
    await dialogButton('done');

    const keys = await keysViaApi();
    const revoked = keys.find((k) => k.keyId === old.keyId)!;
    const current = keys.find((k) => k.status === 'active')!;
    expect(revoked.status).toBe('revoked');
    expect(Date.parse(revoked.graceEndsAt!) - Date.parse(revoked.revokedAt!)).toBe(7 * DAY_MS);
    expect(Date.parse(current.expiresAt!) - Date.parse(current.createdAt)).toBe(90 * DAY_MS);
    // On screen: the new current key first, the revoked one below it with its grace end.
    await page.waitFor(`document.querySelectorAll('#keys-body tr[data-key-id]').length === 2`, 'two keys in the table');
    expect(await page.evaluate(`[...document.querySelectorAll('#keys-body tr[data-key-id]')].map((r) => r.dataset.keyId)`)).toEqual([current.keyId, revoked.keyId]);
    expect(await page.text(`#keys-body tr[data-key-id="${revoked.keyId}"] td:nth-of-type(3)`)).toBe(revoked.graceEndsAt);
    // The revoked key stops at the end of its grace: that is its expiration date on screen, with
    // the expiry it was issued with beneath it.
    expect(revoked.acceptUntil).toBe(revoked.graceEndsAt);
    expect(revoked.expiresAt).not.toBe(revoked.acceptUntil);
    expect(await page.text(`#keys-body tr[data-key-id="${revoked.keyId}"] td.expiration > time`)).toBe(revoked.acceptUntil);
    expect(await page.text(`#keys-body tr[data-key-id="${revoked.keyId}"] td.expiration .was`)).toBe(`(expiry as issued: ${revoked.expiresAt})`);
    expect(await page.text(`#keys-body tr[data-key-id="${current.keyId}"] td.expiration`)).toBe(current.expiresAt);
  });

  it('removes the expiration of the current key after the "we don\'t recommend" warning', async () => {
    await rowButton('active', 'unlock');
    await page.waitForSelector('#dialog .warning');
    expect(await page.text('#dialog .warning')).toMatch(/^While we don't recommend doing so/);
    await shot('10-remove-expiration');
    await dialogButton('remove-expiration');
    await page.waitFor(`document.querySelector('#keys-body tr[data-status="active"] td:nth-of-type(2)')?.textContent === 'Never'`, 'Never in the expiration column');
    const current = (await keysViaApi()).find((k) => k.status === 'active')!;
    expect(current.expiresAt).toBeNull();
  });

  it('deletes the revoked key after a confirmation', async () => {
    const revoked = (await keysViaApi()).find((k) => k.status === 'revoked')!;
    await rowButton('revoked', 'trash');
    await page.waitForSelector('#dialog button[data-action="delete-key"]');
    await shot('11-delete-confirmation');
    await dialogButton('delete-key');
    await page.waitFor(`document.querySelectorAll('#keys-body tr[data-key-id]').length === 1`, 'one key left in the table');
    await registry().get(`/v1/orgs/${org}/keys/${revoked.keyId}`).set(auth()).expect(404);
    expect((await keysViaApi()).map((k) => k.status)).toEqual(['active']);
    await shot('12-keys-after-delete');
  });

  it('changes both General settings with the keyboard; the header field shows the API\'s refusal next to it', async () => {
    // As a registry that learns the setting from Kafka a moment late: the next two key lists the
    // page fetches still carry the old format (Z stripped), so one reload after the switch is not enough.
    await page.evaluate(`(() => {
      const real = window.fetch.bind(window);
      window.staleKeyLists = 2;
      window.fetch = async (input, init) => {
        const res = await real(input, init);
        const url = String(input);
        if ((init?.method ?? 'GET') !== 'GET' || !url.endsWith('/keys') || window.staleKeyLists <= 0) return res;
        window.staleKeyLists -= 1;
        const body = (await res.text()).replace(/(\\d{2}:\\d{2}:\\d{2})Z"/g, '$1"');
        return new Response(body, { status: res.status, headers: res.headers });
      };
    })()`);
    // The ISO 8601 UTC switch, toggled with the space bar.
    await page.focus('#iso-utc');
    await page.press(' ');
    await page.waitFor(`document.getElementById('iso-utc-saved').textContent === 'Saved'`, 'the switch saved');
    expect((await request(settingsUrl).get(`/v1/orgs/${org}/settings`).set(auth()).expect(200)).body.isoUtcTimestamps).toBe(true);
    // Dates on screen now follow the setting (the Z suffix).
    await page.waitFor(`[...document.querySelectorAll('#keys-body time')].every((t) => t.textContent.endsWith('Z'))`, 'dates with the Z suffix');
    expect(await page.evaluate('window.staleKeyLists')).toBe(0);

    const bad = 'Bad Header!';
    const refusal = await request(settingsUrl).patch(`/v1/orgs/${org}/settings`).set(auth()).send({ requestIdHeader: bad });
    expect(refusal.status).toBe(400);
    await page.fill('#request-id-header', bad);
    await page.press('Enter');
    await page.waitFor(`document.getElementById('request-id-header-error').textContent.length > 0`, 'the refusal next to the field');
    expect(await page.text('#request-id-header-error')).toBe(refusal.body.message);
    await shot('13-general-refused');

    await page.fill('#request-id-header', 'X-Trace-Id');
    await page.press('Enter');
    await page.waitFor(`document.getElementById('request-id-header-saved').textContent === 'Saved'`, 'the header saved');
    expect(await page.text('#request-id-header-error')).toBe('');
    const settings = (await request(settingsUrl).get(`/v1/orgs/${org}/settings`).set(auth()).expect(200)).body;
    expect(settings).toMatchObject({ isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id' });
    await shot('14-console');
  });

  it('changes the rotation schedule, default grace, notice days and notification addresses; a refusal shows next to its field until it is saved', async () => {
    const before = await settingsViaApi();
    expect(await page.evaluate(`Number(document.getElementById('rotation-interval').value)`)).toBe(before.rotationIntervalDays);
    expect(await page.evaluate(`Number(document.getElementById('default-grace').value)`)).toBe(before.defaultGraceDays);
    expect(await page.evaluate(`Number(document.getElementById('notice-days').value)`)).toBe(before.expiryNoticeDays);

    // Refused: the settings service's own words under the field, and nothing changed.
    await page.fill('#rotation-interval', '400');
    await page.press('Enter');
    await page.waitFor(`document.getElementById('rotation-interval-error').textContent.length > 0`, 'the rotation refusal');
    expect(await page.text('#rotation-interval-error')).toBe(await refusalOf({ rotationIntervalDays: 400 }));
    await page.fill('#notification-emails', 'ops@example.test\nnot-an-address');
    await page.click('#notification-emails-form button[type="submit"]');
    await page.waitFor(`document.getElementById('notification-emails-error').textContent.length > 0`, 'the address refusal');
    expect(await page.text('#notification-emails-error')).toBe(await refusalOf({ notificationEmails: ['ops@example.test', 'not-an-address'] }));
    // Saving another field leaves a refused one, its typed value and its refusal as they are.
    await page.fill('#notice-days', '45');
    await page.press('Enter');
    await page.waitFor(`document.getElementById('notice-days-saved').textContent === 'Saved'`, 'the notice days saved');
    expect(await page.text('#rotation-interval-error')).not.toBe('');
    expect(await page.evaluate(`document.getElementById('rotation-interval').value`)).toBe('400');
    expect((await settingsViaApi()).rotationIntervalDays).toBe(before.rotationIntervalDays);
    await shot('16-schedule-refused', true);

    // Saved: the refusal goes.
    await page.fill('#rotation-interval', '90');
    await page.press('Enter');
    await page.waitFor(`document.getElementById('rotation-interval-saved').textContent === 'Saved'`, 'the rotation schedule saved');
    expect(await page.text('#rotation-interval-error')).toBe('');
    await page.fill('#default-grace', '14');
    await page.press('Enter');
    await page.waitFor(`document.getElementById('default-grace-saved').textContent === 'Saved'`, 'the default grace saved');
    await page.fill('#notification-emails', 'ops@example.test\nsecurity@example.test');
    await page.click('#notification-emails-form button[type="submit"]');
    await page.waitFor(`document.getElementById('notification-emails-saved').textContent === 'Saved'`, 'the addresses saved');
    expect(await page.text('#notification-emails-error')).toBe('');
    expect(await page.evaluate(`document.getElementById('leaked-key-action').value`)).toBe('revoke');
    await page.evaluate(`document.getElementById('leaked-key-action').value = 'notify'`);
    await page.click('#leaked-key-action-form button[type="submit"]');
    await page.waitFor(`document.getElementById('leaked-key-action-saved').textContent === 'Saved'`, 'the leaked-key action saved');

    expect(await settingsViaApi()).toMatchObject({
      rotationIntervalDays: 90,
      defaultGraceDays: 14,
      expiryNoticeDays: 45,
      notificationEmails: ['ops@example.test', 'security@example.test'],
      leakedKeyAction: 'notify',
    });
    expect(await page.text('#schedule-summary')).toBe('A new key is issued 14 day(s) before the current one expires and is valid 90 day(s); the expiry notice goes out 45 day(s) before a key stops working.');
    // The revoke dialog offers the new default grace.
    await rowButton('active', 'revoke');
    await page.waitForSelector('#revoke-grace');
    expect(await page.evaluate(`document.getElementById('revoke-grace').value`)).toBe('14');
    await dialogButton('cancel');
    await shot('17-schedule-saved', true);
  });

  it('fits a narrow screen: the key table scrolls inside its card, the page itself does not', async () => {
    const narrow = await browser.newPage(375, 812);
    await narrow.goto(`${registryUrl}/console#token=${await harness.token(org)}`);
    await narrow.waitFor(`document.querySelectorAll('#keys-body tr[data-key-id]').length === 1`, 'the key table');
    expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    const scroll = await narrow.evaluate<{ scrollWidth: number; clientWidth: number; right: number }>(
      `(() => { const el = document.getElementById('keys-scroll'); return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, right: el.getBoundingClientRect().right }; })()`,
    );
    expect(scroll.scrollWidth).toBeGreaterThan(scroll.clientWidth);
    expect(scroll.right).toBeLessThanOrEqual(375);
    // Every control is inside the screen.
    const outside = await narrow.evaluate<string[]>(
      `[...document.querySelectorAll('#console input, #console textarea, #console button, #console summary, header button')].filter((el) => !el.closest('#keys-scroll') && el.getClientRects().length > 0 && el.getBoundingClientRect().right > 375).map((el) => el.id || el.textContent)`,
    );
    expect(outside).toEqual([]);
    expect(narrow.failedRequests).toEqual([]);
    await narrow.screenshot(join(SHOTS, 'console-18-narrow.png'), true);
  });

  it('shows the media limit read-only to admins and lets an operator change it', async () => {
    expect(await page.evaluate(`document.getElementById('media-limit').readOnly`)).toBe(true);
    expect(await page.text('#media-note')).toMatch(/Contact your CS representative/);
    const limit = (await request(settingsUrl).get(`/v1/orgs/${org}/settings`).set(auth()).expect(200)).body.mediaMaxBase64Bytes;
    expect(await page.evaluate(`Number(document.getElementById('media-limit').value)`)).toBe(limit);

    await page.click('#sign-out');
    await page.waitForSelector('#token-input');
    await page.fill('#token-input', await harness.token('platform', 'operator', 'ops@platform.test'));
    await page.press('Enter');
    await page.waitFor(`document.getElementById('who').textContent.includes('operator')`, 'the operator signed in');
    // Operators act on any organisation: they get the picker.
    expect(await page.evaluate(`document.getElementById('org-form').hidden`)).toBe(false);
    await page.fill('#org-input', org);
    await page.press('Enter');
    // The operator's own organisation loads first at sign-in: wait for the one asked for.
    await page.waitFor(`document.getElementById('media-limit').dataset.org === ${JSON.stringify(org)} && document.getElementById('media-limit').readOnly === false`, 'an editable media limit');
    await page.fill('#media-limit', '2000000');
    await page.click('#media-save');
    await page.waitFor(`document.getElementById('media-saved').textContent === 'Saved'`, 'the limit saved');
    expect((await request(settingsUrl).get(`/v1/orgs/${org}/settings`).set(auth()).expect(200)).body.mediaMaxBase64Bytes).toBe(2_000_000);
    expect(await page.text('#media-human')).toBe('1.9 MiB');
    await shot('15-operator-media');

    // A refusal, then a small limit: shown in bytes, not "0.0 MiB", and the refusal gone.
    const operator = { Authorization: `Bearer ${await harness.token('platform', 'operator', 'ops@platform.test')}` };
    const refusal = await request(settingsUrl).patch(`/v1/orgs/${org}/settings`).set(operator).send({ mediaMaxBase64Bytes: 0 }).expect(400);
    await page.fill('#media-limit', '0');
    await page.click('#media-save');
    await page.waitFor(`document.getElementById('media-error').textContent.length > 0`, 'the media refusal');
    expect(await page.text('#media-error')).toBe(refusal.body.message);
    await page.fill('#media-limit', '1000');
    await page.click('#media-save');
    await page.waitFor(`document.getElementById('media-human').textContent === '1000 bytes'`, 'the limit in bytes');
    expect(await page.text('#media-error')).toBe('');
    expect(await page.text('#media-saved')).toBe('Saved');
    expect((await settingsViaApi()).mediaMaxBase64Bytes).toBe(1000);
  });

  it('shows a key reported by GitHub secret scanning with a Leaked badge, when and where (the organisation chose "notify")', async () => {
    const reader = await harness.infra.orgSettings();
    await waitFor(() => reader.current(org).leakedKeyAction === 'notify', { description: 'the notify setting in the registry' });
    const url = 'https://github.com/acme/app/blob/main/.env';
    const { body, headers } = scanner.signed([match(currentSecret, url)]);
    const res = await registry().post('/v1/secret-scanning/github').set(headers).send(body).expect(200);
    expect(res.body[0].label).toBe('true_positive');
    const current = (await keysViaApi()).find((k) => k.status === 'active')!;
    // The operator opens the organisation again: the table is read anew.
    await page.fill('#org-input', org);
    await page.press('Enter');
    await page.waitFor(`document.querySelector('#keys-body tr[data-key-id="${current.keyId}"] .badge.leaked')`, 'the Leaked badge');
    expect(await page.text(`#keys-body tr[data-key-id="${current.keyId}"] .leak`)).toMatch(new RegExp(`^Found published .+ at ${url.replace(/[.]/g, '\\.')}$`));
    expect(await page.evaluate(`document.querySelector('#keys-body tr[data-key-id="${current.keyId}"]').dataset.status`)).toBe('active');
    await shot('19-leaked-badge');
  });
});
