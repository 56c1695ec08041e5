/**
 * The admin console's static HTML and CSS, kept as TypeScript so the ordinary build carries them
 * into dist/ (the runtime image holds dist/ only). The behaviour is in apps/key-registry/console.
 */
/**
 * Inline, as a data: URL the CSP's img-src allows: the browser asks for no /favicon.ico, so
 * loading the page causes no 404.
 */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='5' cy='8' r='3.5' fill='none' stroke='%232457d6' stroke-width='2'/%3E%3Cpath d='M8 8h7M12 8v3M14.5 8v2' stroke='%232457d6' stroke-width='2'/%3E%3C/svg%3E";

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Settings › API · Keywarden</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body>
<header class="top">
  <div class="brand">Keywarden <span class="crumb">Settings › API</span></div>
  <div class="session"><span id="who"></span> <button type="button" id="sign-out" hidden>Sign out</button></div>
</header>
<main>
  <section id="sign-in" class="card" hidden aria-labelledby="sign-in-title"></section>
  <div id="console" hidden>
    <form id="org-form" class="org" hidden>
      <label for="org-input">Organisation</label>
      <input id="org-input" autocomplete="off" spellcheck="false">
      <button type="submit">Open</button>
    </form>
    <p id="org-line" class="org-line" hidden>Organisation <strong id="org-name"></strong></p>
    <p id="settings-error" class="error" role="alert"></p>
    <details open class="card" id="general">
      <summary><h2>General</h2></summary>
      <div class="setting">
        <div class="switch-row">
          <input type="checkbox" role="switch" id="iso-utc" aria-describedby="iso-utc-help iso-utc-error">
          <label for="iso-utc">ISO 8601 UTC Format</label>
          <span id="iso-utc-saved" class="saved" role="status"></span>
        </div>
        <p id="iso-utc-help" class="help">When on, every date-time in API payloads is ISO 8601 UTC with the Z suffix, e.g. 2025-11-23T12:44:11Z.</p>
        <p id="iso-utc-error" class="error" role="alert"></p>
      </div>
      <form id="header-form" class="setting" novalidate>
        <label for="request-id-header">Custom Header Name</label>
        <div class="row">
          <input id="request-id-header" autocomplete="off" spellcheck="false" aria-describedby="request-id-header-help request-id-header-error">
          <button type="submit">Save</button>
          <span id="request-id-header-saved" class="saved" role="status"></span>
        </div>
        <p id="request-id-header-help" class="help">The HTTP header that carries your request id (default X-Customer-Request-Id; the customerRequestId parameter works too). It is added to every log entry of the request.</p>
        <p id="request-id-header-error" class="error" role="alert"></p>
      </form>
    </details>
    <details open class="card" id="api-keys">
      <summary><h2>API Keys</h2></summary>
      <p id="keys-error" class="error" role="alert"></p>
      <p id="keys-caption" class="help">The current key first. The expiration date is when a key stops being accepted: for a revoked key, the end of its grace period.</p>
      <div class="table-scroll" id="keys-scroll" tabindex="0" role="region" aria-labelledby="keys-caption">
        <table>
          <thead><tr><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Expiration date</th><th scope="col">Grace ends</th><th scope="col">Last used</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
          <tbody id="keys-body"></tbody>
        </table>
      </div>
      <button type="button" id="issue-key" class="primary" hidden>Issue key</button>
      <h3 class="subhead">Rotation schedule and notices</h3>
      <p id="schedule-summary" class="help"></p>
      ${numberSetting('rotation-interval', 'Rotation schedule (days)', 1, 365, 'How long a new key is valid by default, and each key the schedule issues (1 to 365 days).')}
      ${numberSetting('default-grace', 'Default grace period (days)', 0, 30, 'How long a revoked key keeps working unless you choose otherwise (0 to 30 days). The schedule also issues the next key this long before the current one expires, so both work meanwhile.')}
      ${numberSetting('notice-days', 'Expiry notice (days before)', 1, 90, 'How many days before a key stops working the expiry notice is emailed (1 to 90 days).')}
      <form id="notification-emails-form" class="setting" novalidate>
        <label for="notification-emails">Notification addresses</label>
        <div class="row">
          <textarea id="notification-emails" rows="3" spellcheck="false" autocomplete="off" aria-describedby="notification-emails-help notification-emails-error"></textarea>
          <button type="submit">Save</button>
          <span id="notification-emails-saved" class="saved" role="status"></span>
        </div>
        <p id="notification-emails-help" class="help">Who receives the key emails (expiry notices, rotations, revocations): one address per line, up to 50. Empty: the admins who acted on the keys.</p>
        <p id="notification-emails-error" class="error" role="alert"></p>
      </form>
      <form id="leaked-key-action-form" class="setting" novalidate>
        <label for="leaked-key-action">Leaked keys</label>
        <div class="row">
          <select id="leaked-key-action" aria-describedby="leaked-key-action-help leaked-key-action-error">
            <option value="revoke">Revoke at once and issue the replacement</option>
            <option value="notify">Only notify</option>
          </select>
          <button type="submit">Save</button>
          <span id="leaked-key-action-saved" class="saved" role="status"></span>
        </div>
        <p id="leaked-key-action-help" class="help">When GitHub secret scanning finds one of your keys published (a public repository, a package), Keywarden revokes it with no grace period and issues its replacement, or only emails the notification addresses. Either way they are told where it was found.</p>
        <p id="leaked-key-action-error" class="error" role="alert"></p>
      </form>
    </details>
    <details open class="card" id="media">
      <summary><h2>Media</h2></summary>
      <form id="media-form" class="setting" novalidate>
        <label for="media-limit">Base64 file size limit (bytes)</label>
        <div class="row">
          <input id="media-limit" type="number" min="1" step="1" aria-describedby="media-human media-note media-error">
          <span id="media-human" class="help"></span>
          <button type="submit" id="media-save" hidden>Save</button>
          <span id="media-saved" class="saved" role="status"></span>
        </div>
        <p id="media-note" class="help"></p>
        <p id="media-error" class="error" role="alert"></p>
      </form>
    </details>
  </div>
</main>
<div id="toasts" aria-live="polite"></div>
<dialog id="dialog"></dialog>
</body>
</html>
`;

/** One whole-number setting: its form, with the settings service's refusal shown under it. */
function numberSetting(id: string, label: string, min: number, max: number, help: string): string {
  return `<form id="${id}-form" class="setting" novalidate>
        <label for="${id}">${label}</label>
        <div class="row">
          <input id="${id}" type="number" inputmode="numeric" min="${min}" max="${max}" step="1" class="short" aria-describedby="${id}-help ${id}-error">
          <button type="submit">Save</button>
          <span id="${id}-saved" class="saved" role="status"></span>
        </div>
        <p id="${id}-help" class="help">${help}</p>
        <p id="${id}-error" class="error" role="alert"></p>
      </form>`;
}

export const CONSOLE_CSS = `:root { --fg:#1d2433; --muted:#5b6476; --line:#d9dee8; --bg:#f4f6fa; --card:#fff; --brand:#2457d6; --ok:#1f7a3d; --okbg:#e3f5e9; --bad:#b42318; --badbg:#fdecea; --warn:#8a5a00; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
.top { display:flex; flex-wrap:wrap; gap:6px 16px; justify-content:space-between; align-items:center; padding:12px 24px; background:#14213d; color:#fff; }
.session { overflow-wrap:anywhere; }
.brand { font-weight:600; font-size:17px; } .crumb { font-weight:400; opacity:.8; margin-left:10px; }
main { max-width: 1100px; margin: 24px auto; padding: 0 12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:8px clamp(12px, 3vw, 20px) 16px; margin-bottom:16px; min-width:0; }
summary { cursor:pointer; list-style-position: outside; } summary h2 { display:inline; font-size:18px; margin:8px 0; }
details > summary { padding:8px 0; }
.setting { padding:10px 0; border-top:1px solid var(--line); }
label { font-weight:600; display:block; margin-bottom:4px; }
.switch-row { display:flex; align-items:center; gap:10px; } .switch-row label { margin:0; }
.row { display:flex; align-items:center; gap:8px; flex-wrap:wrap; }
input, select, textarea { font:inherit; padding:6px 8px; border:1px solid #b7bfcc; border-radius:5px; min-width:0; width:16rem; max-width:100%; }
input.short { width:7rem; } textarea { width:24rem; resize:vertical; }
.subhead { font-size:16px; margin:18px 0 4px; }
input[readonly] { background:#f0f2f6; color:var(--muted); }
input[type=checkbox][role=switch] { appearance:none; min-width:0; width:42px; height:24px; border-radius:12px; background:#b7bfcc; position:relative; cursor:pointer; border:none; padding:0; }
input[type=checkbox][role=switch]::after { content:""; position:absolute; top:3px; left:3px; width:18px; height:18px; border-radius:50%; background:#fff; transition:left .15s; }
input[type=checkbox][role=switch]:checked { background:var(--brand); } input[type=checkbox][role=switch]:checked::after { left:21px; }
button { font:inherit; padding:6px 14px; border-radius:5px; border:1px solid #b7bfcc; background:#fff; cursor:pointer; }
button.primary { background:var(--brand); border-color:var(--brand); color:#fff; } button.danger { background:var(--bad); border-color:var(--bad); color:#fff; }
button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline:3px solid #f0b429; outline-offset:2px; }
button.icon { padding:5px; line-height:0; border-color:transparent; background:transparent; } button.icon:hover { background:#eef1f7; }
button.icon svg { width:20px; height:20px; fill:var(--muted); } button.icon.test svg { fill:var(--ok); } button.icon.trash svg, button.icon.revoke svg { fill:var(--bad); }
.table-scroll { overflow-x:auto; max-width:100%; margin:8px 0 12px; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:8px 6px; border-bottom:1px solid var(--line); font-size:14px; white-space:nowrap; } thead th { color:var(--muted); font-weight:600; }
td.actions { white-space:nowrap; } td.empty { color:var(--muted); } .was { display:block; color:var(--muted); font-size:12px; }
.badge { margin-left:6px; font-size:12px; background:#e6edff; color:var(--brand); padding:1px 7px; border-radius:10px; }
.badge.leaked { background:var(--badbg); color:var(--bad); }
.leak { display:block; font-size:12px; color:var(--bad); overflow-wrap:anywhere; }
.status { padding:2px 8px; border-radius:10px; font-size:13px; } .status.active { background:var(--okbg); color:var(--ok); } .status.revoked { background:#fff4db; color:var(--warn); } .status.expired { background:#eceff3; color:var(--muted); }
.help { color:var(--muted); font-size:13px; margin:4px 0; } .error { color:var(--bad); margin:4px 0; } .error:empty, .help:empty { display:none; } .saved { color:var(--ok); font-size:13px; }
.warning { background:#fff4db; border-left:4px solid #f0b429; padding:8px 12px; }
.org { display:flex; flex-wrap:wrap; align-items:center; gap:8px; margin-bottom:12px; } .org[hidden], .org-line[hidden] { display:none; } .org label { margin:0; } .org input { width:12rem; } .org-line { margin:0 0 12px; }
dialog { border:none; border-radius:10px; padding:20px 24px; width:min(560px, 92vw); box-shadow:0 20px 50px rgba(0,0,0,.3); } dialog::backdrop { background:rgba(20,33,61,.45); }
dialog h2 { margin-top:0; font-size:18px; } .field { margin:12px 0; } .dialog-actions { display:flex; justify-content:flex-end; gap:8px; margin-top:16px; }
.secret-row { display:flex; gap:6px; } input.secret { flex:1; font-family: ui-monospace, monospace; font-size:12px; }
#toasts { position:fixed; right:20px; bottom:20px; display:flex; flex-direction:column; gap:8px; z-index:10; max-width:min(420px, calc(100vw - 40px)); }
.toast { padding:10px 14px; border-radius:6px; box-shadow:0 4px 14px rgba(0,0,0,.15); font-size:14px; } .toast.ok { background:var(--okbg); color:var(--ok); border:1px solid #9fd8b1; } .toast.error { background:var(--badbg); color:var(--bad); border:1px solid #f3b1aa; }
.session button { margin-left:10px; color:#fff; background:transparent; border-color:rgba(255,255,255,.5); }
`;
