// The shop's whole stylesheet, inlined into every page: small enough that a second request costs more.
export const STYLE = `
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#fff; --accent:#2563eb; --bad:#b91c1c; --v1:#2563eb; --v2:#f59e0b; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
header.top { display:flex; align-items:center; gap:1.5rem; padding:.75rem 1.5rem; background:#0f172a; color:#fff; }
header.top a { color:#e2e8f0; } header.top .brand { font-weight:700; color:#fff; font-size:1.1rem; }
header.top nav { display:flex; gap:1rem; margin-left:auto; }
main { max-width:960px; margin:1.5rem auto; padding:0 1.5rem; }
h1 { font-size:1.5rem; margin:.2rem 0 1rem; }
.grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(200px,1fr)); gap:1rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:1rem; }
.card h2 { font-size:1.05rem; margin:0 0 .3rem; }
.price { font-weight:600; } .price s { color:var(--muted); font-weight:400; margin-right:.4rem; } .sale { color:#b45309; }
.rating { color:#b45309; font-size:.9rem; }
.muted { color:var(--muted); font-size:.9rem; }
button, .button { font:inherit; background:var(--accent); color:#fff; border:0; border-radius:6px; padding:.45rem .9rem; cursor:pointer; }
button.secondary { background:#e5e7eb; color:var(--ink); }
input[type=number] { width:4.5rem; font:inherit; padding:.3rem; }
table { width:100%; border-collapse:collapse; background:var(--card); }
th, td { text-align:left; padding:.5rem .6rem; border-bottom:1px solid var(--line); }
.badges { display:flex; flex-wrap:wrap; gap:.4rem; list-style:none; padding:0; margin:0 0 1rem; }
.badge { font:12px/1.2 ui-monospace,SFMono-Regular,Menlo,monospace; border-radius:999px; padding:.25rem .6rem; background:#e2e8f0; color:#0f172a; border:1px solid #cbd5e1; }
.badge .version { font-weight:700; }
.badge.v1 { background:#dbeafe; border-color:#93c5fd; } .badge.v2 { background:#fef3c7; border-color:#fcd34d; }
.badge.none { background:#fee2e2; border-color:#fca5a5; }
.notice { border-radius:8px; padding:.8rem 1rem; margin:0 0 1rem; background:#fee2e2; color:var(--bad); border:1px solid #fca5a5; }
.notice.ok { background:#dcfce7; color:#166534; border-color:#86efac; }
footer { max-width:960px; margin:2rem auto; padding:0 1.5rem; color:var(--muted); font-size:.85rem; }
.mesh-stats { display:grid; grid-template-columns:repeat(4,1fr); gap:1rem; margin-bottom:1rem; }
.mesh-stats .card b { display:block; font-size:1.6rem; }
.mesh-stats .bad { color:var(--bad); }
.strip { display:flex; height:34px; border-radius:6px; overflow:hidden; background:#e5e7eb; }
.segment { color:#fff; font:600 13px/34px ui-monospace,monospace; text-align:center; white-space:nowrap; overflow:hidden; text-shadow:0 1px 1px rgba(0,0,0,.35); transition:width .2s; }
.legend { display:flex; flex-wrap:wrap; gap:1rem; list-style:none; padding:0; margin:.5rem 0 0; font-size:.9rem; }
.legend-item { display:flex; align-items:center; gap:.35rem; } .legend-key { font-family:ui-monospace,monospace; } .legend-value { color:var(--muted); }
.swatch { width:12px; height:12px; border-radius:3px; display:inline-block; }
.recent { display:flex; flex-wrap:wrap; gap:2px; } .cell { width:12px; height:18px; border-radius:2px; } .cell.error { outline:2px solid var(--bad); outline-offset:-2px; opacity:.6; }
section.panel { margin-bottom:1.25rem; } section.panel h2 { font-size:1rem; margin:0 0 .5rem; }
header.top nav form.signout { display:inline; color:#e2e8f0; margin:0; }
button.link { background:none; color:#93c5fd; padding:0; border:0; font:inherit; cursor:pointer; }
a.button { display:inline-block; color:#fff; } .scroll { overflow-x:auto; }
.signin input[type=text] { font:inherit; padding:.3rem; width:12rem; max-width:100%; }
code { overflow-wrap:anywhere; }
@media (max-width: 600px) {
  header.top { flex-wrap:wrap; gap:.5rem; padding:.6rem .9rem; }
  header.top nav { flex-wrap:wrap; gap:.6rem; margin-left:0; }
  main { margin:1rem auto; padding:0 .8rem; }
  footer { padding:0 .8rem; overflow-wrap:anywhere; }
  .mesh-stats { grid-template-columns:repeat(2,minmax(0,1fr)); gap:.5rem; }
  .mesh-stats .card { padding:.6rem; } .mesh-stats .card b { font-size:1.2rem; }
  .legend { gap:.5rem; } .badge { overflow-wrap:anywhere; }
  th, td { padding:.4rem .3rem; }
}
`;
