/**
 * The admin console's static HTML and CSS, kept as TypeScript so the ordinary build carries them
 * into dist/ (the runtime image holds dist/ only). The behaviour is in apps/key-registry/console.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Settings › API · Keywarden</title>
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
    <form id="org-form" class="org">
      <label for="org-input">Organisation</label>
      <input id="org-input" autocomplete="off">
      <button type="submit">Open</button>
      <span class="org-name" id="org-name"></span>
    </form>
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
      <form id="header-form" class="setting">
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
      <table>
        <caption class="help">The current key first. Keys rotate every year by default, with a 30-day notice; a revoked key keeps working for its grace period.</caption>
        <thead><tr><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Expiration date</th><th scope="col">Grace ends</th><th scope="col">Last used</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
        <tbody id="keys-body"></tbody>
      </table>
      <button type="button" id="issue-key" class="primary" hidden>Issue key</button>
    </details>
    <details open class="card" id="media">
      <summary><h2>Media</h2></summary>
      <form id="media-form" class="setting">
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

export const CONSOLE_CSS = `:root { --fg:#1d2433; --muted:#5b6476; --line:#d9dee8; --bg:#f4f6fa; --card:#fff; --brand:#2457d6; --ok:#1f7a3d; --okbg:#e3f5e9; --bad:#b42318; --badbg:#fdecea; --warn:#8a5a00; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
.top { display:flex; justify-content:space-between; align-items:center; padding:12px 24px; background:#14213d; color:#fff; }
.brand { font-weight:600; font-size:17px; } .crumb { font-weight:400; opacity:.8; margin-left:10px; }
main { max-width: 1100px; margin: 24px auto; padding: 0 16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:8px 20px 16px; margin-bottom:16px; }
summary { cursor:pointer; list-style-position: outside; } summary h2 { display:inline; font-size:18px; margin:8px 0; }
details > summary { padding:8px 0; }
.setting { padding:10px 0; border-top:1px solid var(--line); }
label { font-weight:600; display:block; margin-bottom:4px; }
.switch-row { display:flex; align-items:center; gap:10px; } .switch-row label { margin:0; }
.row { display:flex; align-items:center; gap:8px; flex-wrap:wrap; }
input, select { font:inherit; padding:6px 8px; border:1px solid #b7bfcc; border-radius:5px; min-width: 16rem; }
input[readonly] { background:#f0f2f6; color:var(--muted); }
input[type=checkbox][role=switch] { appearance:none; min-width:0; width:42px; height:24px; border-radius:12px; background:#b7bfcc; position:relative; cursor:pointer; border:none; padding:0; }
input[type=checkbox][role=switch]::after { content:""; position:absolute; top:3px; left:3px; width:18px; height:18px; border-radius:50%; background:#fff; transition:left .15s; }
input[type=checkbox][role=switch]:checked { background:var(--brand); } input[type=checkbox][role=switch]:checked::after { left:21px; }
button { font:inherit; padding:6px 14px; border-radius:5px; border:1px solid #b7bfcc; background:#fff; cursor:pointer; }
button.primary { background:var(--brand); border-color:var(--brand); color:#fff; } button.danger { background:var(--bad); border-color:var(--bad); color:#fff; }
button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline:3px solid #f0b429; outline-offset:2px; }
button.icon { padding:5px; line-height:0; border-color:transparent; background:transparent; } button.icon:hover { background:#eef1f7; }
button.icon svg { width:20px; height:20px; fill:var(--muted); } button.icon.test svg { fill:var(--ok); } button.icon.trash svg, button.icon.revoke svg { fill:var(--bad); }
table { width:100%; border-collapse:collapse; margin:8px 0 12px; } caption { text-align:left; padding-bottom:6px; }
th, td { text-align:left; padding:8px 6px; border-bottom:1px solid var(--line); font-size:14px; white-space:nowrap; } thead th { color:var(--muted); font-weight:600; }
td.actions { white-space:nowrap; } td.empty { color:var(--muted); }
.badge { margin-left:6px; font-size:12px; background:#e6edff; color:var(--brand); padding:1px 7px; border-radius:10px; }
.status { padding:2px 8px; border-radius:10px; font-size:13px; } .status.active { background:var(--okbg); color:var(--ok); } .status.revoked { background:#fff4db; color:var(--warn); } .status.expired { background:#eceff3; color:var(--muted); }
.help { color:var(--muted); font-size:13px; margin:4px 0; } .error { color:var(--bad); margin:4px 0; } .error:empty, .help:empty { display:none; } .saved { color:var(--ok); font-size:13px; }
.warning { background:#fff4db; border-left:4px solid #f0b429; padding:8px 12px; }
.org { display:flex; align-items:center; gap:8px; margin-bottom:12px; } .org label { margin:0; } .org input { min-width:10rem; } .org-name { display:none; }
dialog { border:none; border-radius:10px; padding:20px 24px; width:min(560px, 92vw); box-shadow:0 20px 50px rgba(0,0,0,.3); } dialog::backdrop { background:rgba(20,33,61,.45); }
dialog h2 { margin-top:0; font-size:18px; } .field { margin:12px 0; } .dialog-actions { display:flex; justify-content:flex-end; gap:8px; margin-top:16px; }
.secret-row { display:flex; gap:6px; } input.secret { flex:1; font-family: ui-monospace, monospace; font-size:12px; }
#toasts { position:fixed; right:20px; bottom:20px; display:flex; flex-direction:column; gap:8px; z-index:10; max-width:420px; }
.toast { padding:10px 14px; border-radius:6px; box-shadow:0 4px 14px rgba(0,0,0,.15); font-size:14px; } .toast.ok { background:var(--okbg); color:var(--ok); border:1px solid #9fd8b1; } .toast.error { background:var(--badbg); color:var(--bad); border:1px solid #f3b1aa; }
.session button { margin-left:10px; color:#fff; background:transparent; border-color:rgba(255,255,255,.5); }
`;
