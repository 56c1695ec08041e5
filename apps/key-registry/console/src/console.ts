import { ApiClient, ApiError, IssuedKey, Key, KeyList, KeyTest, RevealedKey, RevealRequested, RevokedKey, Settings, SettingsChange } from './api-client.js';
import { byteSize } from './byte-size.js';
import { beginOidcSignIn, claimsOf, Claims, completeOidcSignIn, ConsoleConfig, exchangeSignInCode, takeSignInFromFragment } from './sign-in.js';

type Child = Node | string | null | undefined | false;

/** A DOM element with attributes (`on*` functions become listeners) and children. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value as EventListener);
    else if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const ICONS: Record<string, string> = {
  test: 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z',
  view: 'M12 5C7 5 2.7 8.1 1 12c1.7 3.9 6 7 11 7s9.3-3.1 11-7c-1.7-3.9-6-7-11-7zm0 11.5a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9zm0-7a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
  revoke: 'M12 4V1L8 5l4 4V6a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z',
  unlock: 'M12 17a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm6-9h-1V6a5 5 0 0 0-9.9-1l1.9.6A3 3 0 0 1 15 6v2H6a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V10a2 2 0 0 0-2-2z',
  trash: 'M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z',
  copy: 'M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z',
};

function icon(name: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

const session: { token: string | null; claims: Claims | null; orgId: string; config: ConsoleConfig | null; settings: Settings | null; keys: Key[] } = {
  token: null,
  claims: null,
  orgId: '',
  config: null,
  settings: null,
  keys: [],
};

const api = new ApiClient(
  () => session.token ?? '',
  (message) => signOut(`Signed out: ${message}`),
);
const registry = (method: string, path: string, body?: unknown) => api.call(location.origin, method, `/v1/orgs/${encodeURIComponent(session.orgId)}${path}`, body, path.endsWith('/reveal'));
const settingsApi = (method: 'GET' | 'PATCH', body?: SettingsChange) => api.call<Settings>(session.config!.settingsUrl, method, `/v1/orgs/${encodeURIComponent(session.orgId)}/settings`, body);
const isOperator = (): boolean => session.claims?.roles.includes('operator') ?? false;

/** Bottom-corner confirmation, as the article's test icon shows it. */
function toast(kind: 'ok' | 'error', message: string): void {
  const item = h('div', { class: `toast ${kind}`, role: kind === 'ok' ? 'status' : 'alert', 'data-kind': kind, text: message });
  $('toasts').append(item);
  setTimeout(() => item.remove(), 8000);
}

const errorText = (error: unknown): string => (error instanceof ApiError || error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------- sign-in

function signOut(message?: string): void {
  session.token = null;
  session.claims = null;
  $('console').hidden = true;
  $('who').textContent = '';
  $('sign-out').hidden = true;
  renderSignIn(message);
}

function renderSignIn(message?: string): void {
  const panel = $('sign-in');
  panel.hidden = false;
  const auth = session.config?.auth;
  const problem = h('p', { id: 'sign-in-error', class: 'error', role: 'alert', text: message ?? '' });
  const content: Child[] = [h('h2', { id: 'sign-in-title', text: 'Sign in' })];
  if (auth?.mode === 'oidc') {
    content.push(
      h('p', { text: `Sign in with your organisation account (${auth.issuer}).` }),
      h('button', { type: 'button', class: 'primary', onclick: () => beginOidcSignIn(auth).catch((e) => (problem.textContent = errorText(e))), text: 'Sign in' }),
    );
  } else {
    const input = h('input', { id: 'token-input', type: 'password', autocomplete: 'off', 'aria-describedby': 'token-help' });
    content.push(
      h('p', { id: 'token-help', text: 'Development mode: the sign-in link that `npm start` prints signs in once, within 15 minutes. For a new link restart `npm start`, or paste a token from `npm run admin-token -- --org <id> --email <address>`.' }),
      h(
        'form',
        { onsubmit: (e: Event) => (e.preventDefault(), signIn(input.value.trim()).catch((err) => (problem.textContent = errorText(err)))) },
        h('label', { for: 'token-input', text: 'Admin token' }),
        input,
        h('button', { type: 'submit', class: 'primary', text: 'Sign in' }),
      ),
    );
  }
  content.push(problem);
  panel.replaceChildren(...content.filter((c): c is Node | string => !!c));
}

async function signIn(token: string): Promise<void> {
  let claims: Claims;
  try {
    claims = claimsOf(token);
  } catch {
    throw new Error('this is not an admin token (a JWT)');
  }
  session.token = token;
  session.claims = claims;
  session.orgId = claims.org;
  $('sign-in').hidden = true;
  $('who').textContent = `${claims.email} · ${claims.roles.join(', ')}`;
  $('sign-out').hidden = false;
  $('console').hidden = false;
  $<HTMLInputElement>('org-input').value = session.orgId;
  // Operators act on any organisation and pick it; an admin's token is bound to its own, so an
  // admin sees the organisation's name, not a picker that could only fail.
  $('org-form').hidden = !isOperator();
  $('org-line').hidden = isOperator();
  await loadAll();
}

async function loadAll(): Promise<void> {
  $('org-name').textContent = session.orgId;
  await Promise.all([loadSettings(), loadKeys()]);
}

// ---------------------------------------------------------------- general and media

/**
 * A load answered after the operator moved on to another organisation is dropped: rendered, the
 * previous organisation's settings would show (and be saved) under the new one's name.
 */
const stillShowing = (orgId: string): boolean => session.orgId === orgId;

/** A setting saved from a form of its own, with its refusal and its "Saved" next to it. */
type FieldSetting = Readonly<{
  key: Exclude<keyof Settings, 'isoUtcTimestamps'>;
  form: string;
  input: string;
  error: string;
  saved: string;
  /** The value to send, as typed: a value the service refuses is sent as is, so its refusal shows. */
  read: (text: string) => unknown;
  show: (settings: Settings) => string;
}>;

const wholeNumber = (text: string): unknown => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim());
const field = (key: FieldSetting['key'], id: string, form: string, read: FieldSetting['read'], show: FieldSetting['show'] = (s) => String(s[key])): FieldSetting => ({
  key,
  form,
  input: id,
  error: `${id}-error`,
  saved: `${id}-saved`,
  read,
  show,
});

const FIELDS: readonly FieldSetting[] = [
  field('requestIdHeader', 'request-id-header', 'header-form', (text) => text.trim()),
  field('rotationIntervalDays', 'rotation-interval', 'rotation-interval-form', wholeNumber),
  field('defaultGraceDays', 'default-grace', 'default-grace-form', wholeNumber),
  field('expiryNoticeDays', 'notice-days', 'notice-days-form', wholeNumber),
  field('notificationEmails', 'notification-emails', 'notification-emails-form', (text) => text.split(/[\s,;]+/).filter(Boolean), (s) => s.notificationEmails.join('\n')),
  { ...field('mediaMaxBase64Bytes', 'media-limit', 'media-form', wholeNumber), error: 'media-error', saved: 'media-saved' },
  field('leakedKeyAction', 'leaked-key-action', 'leaked-key-action-form', (text) => text),
];

async function loadSettings(): Promise<void> {
  const orgId = session.orgId;
  try {
    const settings = await settingsApi('GET');
    if (!stillShowing(orgId)) return;
    session.settings = settings;
    $('settings-error').textContent = '';
  } catch (error) {
    if (stillShowing(orgId)) $('settings-error').textContent = errorText(error);
    return;
  }
  // Another organisation's (or a fresh) page: no refusal or "Saved" of what was shown before.
  for (const f of [{ error: 'iso-utc-error', saved: 'iso-utc-saved' }, ...FIELDS]) {
    $(f.error).textContent = '';
    $(f.saved).textContent = '';
  }
  renderSettings();
}

/**
 * Shows the saved settings. After a save only that field's input is rewritten (`only`): the other
 * fields keep what the admin is typing, and their refusals stay next to them.
 */
function renderSettings(only?: keyof Settings): void {
  const s = session.settings!;
  if (!only || only === 'isoUtcTimestamps') $<HTMLInputElement>('iso-utc').checked = s.isoUtcTimestamps;
  for (const f of FIELDS) if (!only || only === f.key) $<HTMLInputElement>(f.input).value = f.show(s);
  const media = $<HTMLInputElement>('media-limit');
  media.dataset.org = session.orgId;
  media.readOnly = !isOperator();
  $('media-save').hidden = !isOperator();
  $('media-human').textContent = byteSize(s.mediaMaxBase64Bytes);
  $('media-note').textContent = isOperator()
    ? 'Operators may change this limit for the organisation.'
    : 'Contact your CS representative if you require support for larger Base64 file sizes.';
  const lead = s.defaultGraceDays === 0 ? 'when the current one expires' : `${s.defaultGraceDays} day(s) before the current one expires`;
  $('schedule-summary').textContent = `A new key is issued ${lead} and is valid ${s.rotationIntervalDays} day(s); the expiry notice goes out ${s.expiryNoticeDays} day(s) before a key stops working.`;
}

async function patchSettings(change: Partial<Settings>, errorId: string, savedId: string): Promise<boolean> {
  $(errorId).textContent = '';
  $(savedId).textContent = '';
  try {
    session.settings = await settingsApi('PATCH', change);
  } catch (error) {
    $(errorId).textContent = errorText(error);
    return false;
  }
  renderSettings(Object.keys(change)[0] as keyof Settings);
  $(savedId).textContent = 'Saved';
  return true;
}

// ---------------------------------------------------------------- keys

async function loadKeys(): Promise<void> {
  const orgId = session.orgId;
  try {
    const { keys } = (await registry('GET', '/keys')) as KeyList;
    if (!stillShowing(orgId)) return;
    session.keys = keys;
    $('keys-error').textContent = '';
  } catch (error) {
    if (stillShowing(orgId)) $('keys-error').textContent = errorText(error);
    return;
  }
  renderKeys();
}

/** The API's ISO 8601 UTC form ends in `Z`; the default form has no zone designator (API.md, date-times). */
const isUtcForm = (value: string): boolean => value.endsWith('Z');
const keysFollowFormat = (isoUtc: boolean): boolean =>
  session.keys.every((k) => [k.createdAt, k.expiresAt, k.revokedAt, k.graceEndsAt, k.lastUsedAt, k.acceptUntil].every((v) => v === null || isUtcForm(v) === isoUtc));

/**
 * After the ISO switch: the registry may learn the new setting a moment after the settings
 * service answered (over Kafka in the multi-process deployment), so the table is reloaded until
 * its date-times follow it, for at most 5 s, every 250 ms; after that the last answer stays.
 */
async function reloadKeysUntilFormat(isoUtc: boolean, timeoutMs = 5000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await loadKeys();
    if (keysFollowFormat(isoUtc) || Date.now() + everyMs > deadline || session.settings?.isoUtcTimestamps !== isoUtc) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const STATUS_TEXT: Record<Key['status'], string> = { active: 'Active', revoked: 'Revoked', expired: 'Expired' };

/** Date-times exactly as the API words them: they already follow the organisation's setting. */
const when = (value: string | null, none = '—'): Node | string => (value ? h('time', { datetime: value, text: value }) : none);

/**
 * The article's "Expiration date": when the key stops being accepted (for a revoked key, its grace
 * end), with the expiry it was issued with beneath when that is another instant.
 */
function expirationCell(key: Key): Child[] {
  const stops = when(key.acceptUntil, 'Never');
  if (key.acceptUntil === key.expiresAt) return [stops];
  return [stops, h('span', { class: 'was' }, '(expiry as issued: ', when(key.expiresAt, 'Never'), ')')];
}

function renderKeys(): void {
  // The current key first (the one active key), then the others newest first as the API lists them.
  const keys = [...session.keys.filter((k) => k.status === 'active'), ...session.keys.filter((k) => k.status !== 'active')];
  const rows = keys.map((key) => {
    const label = key.hint;
    const actions: Child[] = [
      iconButton('test', `Test key ${label}`, () => testKey(key)),
      key.status !== 'expired' && iconButton('view', `View key ${label}`, () => viewKey(key)),
      key.status === 'active' && iconButton('revoke', `Revoke key ${label}`, () => revokeKey(key)),
      key.status === 'active' && key.expiresAt !== null && iconButton('unlock', `Remove expiration of key ${label}`, () => removeExpiration(key)),
      key.status !== 'active' && iconButton('trash', `Delete key ${label}`, () => deleteKey(key)),
    ];
    return h(
      'tr',
      { 'data-key-id': key.keyId, 'data-status': key.status },
      h(
        'th',
        { scope: 'row' },
        h('code', { text: label }),
        key.status === 'active' ? h('span', { class: 'badge', text: 'Current' }) : null,
        key.leak ? h('span', { class: 'badge leaked', text: 'Leaked' }) : null,
        // Where the scanner found it, as text: the URL is the scanner's, never rendered as a link.
        key.leak ? h('span', { class: 'leak' }, 'Found published ', when(key.leak.at), ` at ${key.leak.url || '(no URL given)'}`) : null,
      ),
      h('td', {}, h('span', { class: `status ${key.status}`, text: STATUS_TEXT[key.status] })),
      h('td', { class: 'expiration' }, ...expirationCell(key)),
      h('td', {}, when(key.graceEndsAt)),
      h('td', {}, when(key.lastUsedAt, 'Never used')),
      h('td', {}, when(key.createdAt)),
      h('td', { class: 'actions' }, ...actions),
    );
  });
  $('keys-body').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 7, class: 'empty', text: 'This organisation has no API key.' }))]));
  $('issue-key').hidden = keys.some((k) => k.status === 'active');
}

function iconButton(name: string, label: string, action: () => void): HTMLButtonElement {
  return h('button', { type: 'button', class: `icon ${name}`, 'aria-label': label, title: label, 'data-action': name, onclick: action }, icon(name));
}

async function testKey(key: Key): Promise<void> {
  try {
    const result = (await registry('POST', `/keys/${key.keyId}/test`)) as KeyTest;
    if (result.valid) toast('ok', `Key ${key.hint} is valid (checked ${result.checkedAt}).`);
    else toast('error', `Key ${key.hint} is not valid: ${result.reason ?? 'no reason given'}`);
  } catch (error) {
    toast('error', errorText(error));
  }
}

// ---------------------------------------------------------------- dialogs

type Action = Readonly<{ label: string; primary?: boolean; danger?: boolean; run: () => unknown }>;

/** One modal <dialog>: native focus handling, Escape closes it, every control keyboard-reachable. */
function openDialog(title: string, body: Child[], actions: Action[]): { dialog: HTMLDialogElement; error: HTMLElement; close: () => void } {
  const dialog = $<HTMLDialogElement>('dialog');
  const error = h('p', { class: 'error', role: 'alert', id: 'dialog-error' });
  const close = () => dialog.close();
  const buttons = actions.map((a) =>
    h('button', { type: 'button', class: a.primary ? 'primary' : a.danger ? 'danger' : '', 'data-action': a.label.toLowerCase().replace(/\s+/g, '-'), onclick: async (e: Event) => {
      const button = e.currentTarget as HTMLButtonElement;
      button.disabled = true;
      error.textContent = '';
      try {
        await a.run();
      } catch (err) {
        error.textContent = errorText(err);
      } finally {
        button.disabled = false;
      }
    }, text: a.label }),
  );
  dialog.replaceChildren(h('h2', { id: 'dialog-title', text: title }), ...body.filter((c): c is Node | string => !!c), error, h('div', { class: 'dialog-actions' }, ...buttons));
  dialog.setAttribute('aria-labelledby', 'dialog-title');
  if (!dialog.open) dialog.showModal();
  (dialog.querySelector('input, select') as HTMLElement | null ?? buttons[buttons.length - 1])?.focus();
  return { dialog, error, close };
}

const closeDialog = (): void => $<HTMLDialogElement>('dialog').close();

/** The Secret with its Copy button, as the article's dialogs show it. */
function secretField(secret: string): HTMLElement {
  const input = h('input', { id: 'secret', type: 'text', readonly: true, value: secret, spellcheck: 'false', class: 'secret' });
  const copied = h('span', { id: 'copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'icon copy', 'aria-label': 'Copy Secret', title: 'Copy Secret', onclick: async () => {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      input.select();
      document.execCommand('copy');
    }
    copied.textContent = 'Copied';
  } }, icon('copy'));
  return h('div', { class: 'field' }, h('label', { for: 'secret', text: 'Secret' }), h('div', { class: 'secret-row' }, input, copy), copied);
}

function validitySelect(id: string, labelText: string): { field: HTMLElement; value: () => string } {
  const select = h(
    'select',
    { id },
    ...[
      ['P365D', '365 days'],
      ['P180D', '180 days'],
      ['P90D', '90 days'],
      ['P30D', '30 days'],
      ['never', 'Never expire'],
    ].map(([value, text]) => h('option', { value, text })),
  );
  return { field: h('div', { class: 'field' }, h('label', { for: id, text: labelText }), select), value: () => select.value };
}

function showSecret(title: string, intro: string, secret: string): void {
  openDialog(title, [h('p', { text: intro }), secretField(secret)], [{ label: 'Done', primary: true, run: closeDialog }]);
}

function issueKey(): void {
  const validity = validitySelect('issue-validity', 'How long will the new key be active?');
  openDialog('Issue API key', [h('p', { text: 'The organisation has no active API key. Issue one now.' }), validity.field], [
    { label: 'Cancel', run: closeDialog },
    { label: 'Issue Key', primary: true, run: async () => {
      const { secret } = (await registry('POST', '/keys', { validity: validity.value() })) as IssuedKey;
      await loadKeys();
      showSecret('Your new API key', 'Copy the Secret now, or later with the View icon.', secret);
    } },
  ]);
}

async function viewKey(key: Key): Promise<void> {
  let request: RevealRequested;
  try {
    request = (await registry('POST', `/keys/${key.keyId}/reveal-requests`)) as RevealRequested;
  } catch (error) {
    toast('error', errorText(error));
    return;
  }
  const code = h('input', { id: 'otp-code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, 'aria-describedby': 'otp-help' });
  openDialog(`View key ${key.hint}`, [
    h('p', { id: 'otp-help', text: `Enter the code sent to your email (${request.sentTo}). It is valid until ${request.expiresAt}.` }),
    h('div', { class: 'field' }, h('label', { for: 'otp-code', text: 'Code' }), code),
  ], [
    { label: 'Cancel', run: closeDialog },
    { label: 'Continue', primary: true, run: async () => {
      const { secret } = (await registry('POST', `/keys/${key.keyId}/reveal`, { requestId: request.requestId, code: code.value.trim() })) as RevealedKey;
      showSecret(`API key ${key.hint}`, 'Copy the Secret and paste it where your systems need it.', secret);
    } },
  ]);
}

function revokeKey(key: Key): void {
  const grace = h('input', { id: 'revoke-grace', type: 'number', min: 0, max: 30, step: 1, value: String(session.settings?.defaultGraceDays ?? 30), 'aria-describedby': 'revoke-help' });
  openDialog(`Revoke key ${key.hint}`, [
    h('p', { id: 'revoke-help', text: 'A new key is issued at once. The revoked key keeps working during a grace period of up to 30 days, so you can replace it within your organisational systems. Choose 0 days if the key was exposed: it stops working at once.' }),
    h('div', { class: 'field' }, h('label', { for: 'revoke-grace', text: 'Grace period (days)' }), grace),
  ], [
    { label: 'Cancel', run: closeDialog },
    { label: 'Revoke Key', danger: true, run: () => chooseNewKeyValidity(key, Number(grace.value)) },
  ]);
}

function chooseNewKeyValidity(key: Key, graceDays: number): void {
  if (!Number.isInteger(graceDays) || graceDays < 0 || graceDays > 30) throw new Error('the grace period is a whole number of days from 0 to 30');
  const validity = validitySelect('new-key-validity', 'How long will the new key be active?');
  openDialog('New API key', [h('p', { text: `The old key stays valid for ${graceDays} day(s) after the revocation.` }), validity.field], [
    { label: 'Cancel', run: closeDialog },
    { label: 'Issue New Key', primary: true, run: async () => {
      const { secret } = (await registry('POST', `/keys/${key.keyId}/revoke`, { grace: `P${graceDays}D`, newKeyValidity: validity.value() })) as RevokedKey;
      await loadKeys();
      showSecret('Your new API key', 'The new key is displayed above the old one. Copy the Secret now, or later within the grace period.', secret);
    } },
  ]);
}

function removeExpiration(key: Key): void {
  openDialog(`Remove expiration of key ${key.hint}`, [
    h('p', { class: 'warning', text: "While we don't recommend doing so, you may set the API key to Never expire. It stays valid until it is revoked; scheduled rotation and expiry notices stop for it." }),
  ], [
    { label: 'Cancel', run: closeDialog },
    { label: 'Remove Expiration', danger: true, run: async () => {
      await registry('POST', `/keys/${key.keyId}/remove-expiration`);
      closeDialog();
      toast('ok', `Key ${key.hint} never expires now.`);
      await loadKeys();
    } },
  ]);
}

function deleteKey(key: Key): void {
  openDialog(`Delete key ${key.hint}`, [h('p', { text: 'The key disappears from the table and is never accepted again. This cannot be undone.' })], [
    { label: 'Cancel', run: closeDialog },
    { label: 'Delete Key', danger: true, run: async () => {
      await registry('DELETE', `/keys/${key.keyId}`);
      closeDialog();
      toast('ok', `Key ${key.hint} deleted.`);
      await loadKeys();
    } },
  ]);
}

// ---------------------------------------------------------------- start

function wire(): void {
  $('sign-out').addEventListener('click', () => signOut());
  $('issue-key').addEventListener('click', issueKey);
  $('iso-utc').addEventListener('change', async (e) => {
    const box = e.currentTarget as HTMLInputElement;
    if (!(await patchSettings({ isoUtcTimestamps: box.checked }, 'iso-utc-error', 'iso-utc-saved'))) box.checked = !box.checked;
    else await reloadKeysUntilFormat(box.checked);
  });
  for (const f of FIELDS) {
    $(f.form).addEventListener('submit', (e) => {
      e.preventDefault();
      void patchSettings({ [f.key]: f.read($<HTMLInputElement>(f.input).value) } as Partial<Settings>, f.error, f.saved);
    });
    // "Saved" describes the value on screen: editing it again takes the word away.
    $(f.input).addEventListener('input', () => ($(f.saved).textContent = ''));
  }
  $('org-form').addEventListener('submit', (e) => {
    e.preventDefault();
    session.orgId = $<HTMLInputElement>('org-input').value.trim();
    void loadAll();
  });
}

async function start(): Promise<void> {
  wire();
  // Taken before anything else, so the code or token leaves the address bar at once.
  const fragment = takeSignInFromFragment();
  session.config = (await (await fetch('/console/config.json')).json()) as ConsoleConfig;
  const auth = session.config.auth;
  try {
    const fromFragment = fragment?.kind === 'code' ? await exchangeSignInCode(fragment.code) : fragment?.kind === 'token' ? fragment.token : null;
    const token = fromFragment ?? (auth.mode === 'oidc' ? await completeOidcSignIn(auth) : null);
    if (token) return await signIn(token);
  } catch (error) {
    return renderSignIn(errorText(error));
  }
  renderSignIn();
}

void start();
