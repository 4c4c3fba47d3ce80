// The dashboard page: one self-contained HTML document with its style and script inline, so the
// queue serves it from memory and the browser fetches nothing else. The Content-Security-Policy
// names the exact script and style by hash, so nothing injected could run.
import { createHash } from "node:crypto";
import { pageScript } from "./page-script.js";

const style = `
:root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#6b7383; --line:#e3e6eb; --accent:#3763d8;
  --delayed:#8a63d2; --pending:#d08a12; --running:#3763d8; --completed:#1f9d62; --failed:#d2413c; --cancelled:#7b8190; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:14px 28px; background:#161b26; color:#fff; }
header h1 { margin:0; font-size:18px; letter-spacing:.02em; }
header .sub { color:#aab2c2; font-size:13px; }
header .live { margin-left:auto; display:flex; align-items:center; gap:8px; font-size:13px; color:#cfd5e1; }
.dot { width:9px; height:9px; border-radius:50%; background:#c0392b; }
.dot.on { background:#2ecc71; box-shadow:0 0 0 3px rgba(46,204,113,.25); }
main { padding:22px 28px 40px; display:grid; gap:18px; grid-template-columns:repeat(12,1fr); max-width:1500px; margin:0 auto; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; min-width:0; }
.card h2 { margin:0 0 12px; font-size:13px; font-weight:600; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); display:flex; align-items:baseline; gap:12px; }
.card h2 .aside { margin-left:auto; text-transform:none; letter-spacing:0; font-weight:400; }
.counts { grid-column:1/-1; display:grid; grid-template-columns:repeat(6,1fr); gap:18px; }
.count { border-top:4px solid var(--c); }
.count .n { font-size:38px; font-weight:650; font-variant-numeric:tabular-nums; line-height:1.1; }
.count .label { color:var(--muted); font-size:13px; text-transform:capitalize; }
.totals { grid-column:1/-1; color:var(--muted); font-size:13px; display:flex; flex-wrap:wrap; gap:6px 22px; margin-top:-6px; }
.totals .since { font-weight:600; color:var(--muted); }
.totals b { color:var(--ink); font-variant-numeric:tabular-nums; }
.chart { grid-column:1/7; } .queues { grid-column:7/-1; }
.workers { grid-column:1/8; } .recent { grid-column:8/-1; } .lookup, .jobs { grid-column:1/-1; }
@media (max-width:1100px) { .chart,.queues,.workers,.recent { grid-column:1/-1; } .counts { grid-template-columns:repeat(3,1fr); } }
svg text { fill:var(--muted); font-size:11px; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th { text-align:left; font-weight:600; color:var(--muted); font-size:12px; padding:6px 8px; border-bottom:1px solid var(--line); }
td { padding:7px 8px; white-space:nowrap; border-bottom:1px solid var(--line); vertical-align:top; }
tr:last-child td { border-bottom:0; }
td.num, th.num { text-align:right; }
td.wrap { white-space:normal; }
.scroll { max-height:330px; overflow:auto; }
.empty { color:var(--muted); padding:10px 8px; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; color:#fff; background:var(--c,#7b8190); white-space:nowrap; }
.job { display:inline-flex; align-items:center; gap:6px; margin:0 6px 4px 0; padding:2px 8px; border:1px solid var(--line); border-radius:6px; background:#fafbfc; cursor:pointer; }
.job:hover { border-color:var(--accent); }
.bar { width:54px; height:6px; background:var(--line); border-radius:3px; overflow:hidden; }
.bar i { display:block; height:100%; background:var(--running); }
.stale { color:var(--failed); font-weight:600; }
a.jobref { color:var(--accent); cursor:pointer; text-decoration:none; } a.jobref:hover { text-decoration:underline; }
.reason { color:#394152; word-break:break-word; white-space:normal; min-width:180px; }
form { display:flex; gap:10px; flex-wrap:wrap; align-items:center; }
input { font:inherit; padding:7px 10px; border:1px solid #c9ced8; border-radius:7px; }
input#lookup-id { width:140px; }
select { font:inherit; padding:6px 8px; border:1px solid #c9ced8; border-radius:7px; }
button { font:inherit; padding:7px 14px; border-radius:7px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button:disabled { opacity:.45; cursor:default; }
.note { color:var(--muted); font-size:13px; }
.error { color:var(--failed); }
dl { display:grid; grid-template-columns:repeat(auto-fill,minmax(170px,1fr)); gap:10px 18px; margin:14px 0 6px; }
dl div { min-width:0; } dt { color:var(--muted); font-size:12px; } dd { margin:0; word-break:break-word; }
.job-head { margin-top:16px; display:flex; align-items:center; gap:10px; font-size:16px; }
.outputs { display:grid; grid-template-columns:repeat(auto-fit,minmax(280px,1fr)); gap:0 18px; }
pre { margin:0; padding:8px 10px; background:#f3f4f7; border-radius:6px; white-space:pre-wrap; word-break:break-word; max-height:180px; overflow:auto; font-size:12px; }
h3 { font-size:13px; margin:16px 0 6px; }
`;

const body = `
<header>
  <h1>djq</h1><span class="sub" id="run">connecting…</span>
  <span class="live"><span class="dot" id="live-dot"></span><span id="live-text">connecting</span></span>
</header>
<main>
  <section class="counts" id="counts"></section>
  <div class="totals" id="totals"></div>
  <section class="card chart"><h2>Completed jobs per second <span class="aside" id="rate"></span></h2><div id="chart"></div></section>
  <section class="card queues"><h2>Queues <span class="aside" id="queue-note"></span></h2><div class="scroll"><table id="queues"></table></div></section>
  <section class="card workers"><h2>Workers <span class="aside" id="worker-note"></span></h2><div class="scroll"><table id="workers"></table></div></section>
  <section class="card recent"><h2>Reassignments and failures</h2><div class="scroll"><table id="recent"></table></div></section>
  <section class="card jobs"><h2>Jobs <span class="aside">oldest first, a page at a time</span></h2>
    <form id="jobs-form"><select id="jobs-state" aria-label="state"></select>
      <button id="jobs-first" type="submit" class="secondary">First page</button><button id="jobs-next" type="button" class="secondary" disabled>Next page</button>
      <button id="jobs-cancel" type="button" disabled>Cancel selected</button><button id="jobs-retry" type="button" disabled>Retry selected</button>
      <span class="note" id="jobs-note"></span></form>
    <div class="scroll"><table id="jobs-list"></table></div>
  </section>
  <section class="card lookup"><h2>Job look-up</h2>
    <form id="lookup-form"><input id="lookup-id" inputmode="numeric" placeholder="job id" autocomplete="off" aria-label="job id"><button id="lookup-button" type="submit">Look up</button>
      <span class="note" id="actions-note"></span></form>
    <div id="job"></div>
  </section>
</main>`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

export const pageContentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${hash(pageScript)}`,
  `style-src ${hash(style)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The page; `actions` tells it whether cancel and retry can work (a client secret is set). */
export function renderPage(actions: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>djq dashboard</title><link rel="icon" href="data:,"><style>${style}</style></head>
<body data-actions="${actions ? "on" : "off"}">${body}
<script>${pageScript}</script></body></html>`;
}
