"""The page's stylesheet: screen and A4 print. Only system fonts, so the page fetches nothing."""

CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --good: #0f766e; --bad: #b91c1c; --accent: #2563eb; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 980px; padding: 1.5rem 1.25rem 3rem; line-height: 1.4; font-size: 15px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: .6rem; margin-bottom: 1rem; }
h1 { font-size: 1.5rem; margin: 0; }
.period { font-size: 1.25rem; font-weight: 600; margin: .2rem 0; }
.meta, .note { color: var(--muted); font-size: .85rem; margin: .3rem 0 .8rem; }
.lead { margin: .3rem 0 .6rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
section { break-inside: auto; }
.tiles { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: .6rem; }
.tile { border: 1px solid var(--line); border-top: 4px solid var(--muted); border-radius: 6px; padding: .55rem .65rem;
        min-width: 0; break-inside: avoid; }
.tile.met { border-top-color: var(--good); } .tile.missed { border-top-color: var(--bad); }
.tile .label { font-size: .8rem; color: var(--muted); min-height: 2.2em; }
.tile .value { font-size: 1.6rem; font-weight: 700; line-height: 1.2; overflow-wrap: anywhere; }
.tile .target, .tile .delta, .tile .sub { font-size: .78rem; }
.delta span { color: var(--muted); }
.delta.up { color: var(--good); } .delta.down { color: var(--bad); }
.badge { display: inline-block; border-radius: 3px; padding: 0 .3rem; font-weight: 600; color: #fff; }
.badge.met { background: var(--good); } .badge.missed { background: var(--bad); }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: .5rem .8rem; }
.panel { margin: 0; min-width: 0; break-inside: avoid; }
.panel figcaption { display: flex; justify-content: space-between; gap: .4rem; font-size: .85rem; font-weight: 600; }
.panel .name { overflow-wrap: anywhere; min-width: 0; }
.panel .figure { flex: none; }
.panel-target { font-size: .72rem; color: var(--muted); margin-top: -.2rem; }
svg { display: block; width: 100%; height: auto; }
figure.wide { margin: .2rem 0 .4rem; break-inside: avoid; }
.table { width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .3rem 0; }
th, td { padding: .22rem .45rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: .75rem; color: var(--muted); font-weight: 600; }
td.name { overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
th { overflow-wrap: normal; hyphens: auto; }
td.missed, .figure.missed { color: var(--bad); font-weight: 700; } td.met, .figure.met { color: var(--good); }
td.muted { color: var(--muted); }
td.detail { overflow-wrap: anywhere; font-size: .78rem; }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
tr.open td:first-child { border-left: 3px solid var(--bad); }
tr.absent td { color: var(--muted); }
code { font-size: .8rem; }
.empty { font-size: 1.05rem; padding: 1rem; background: #f9fafb; border: 1px dashed var(--line); }
#data { margin-top: 2.5rem; }
@media (max-width: 760px) { .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@page { size: A4; margin: 12mm 11mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .tiles { grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 4pt; }
  .tile .value { font-size: 16pt; }
  h2 { break-after: avoid; margin-top: 12pt; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  table { font-size: 8.5pt; }
  th, td { padding: 2pt 3pt; }
  #data { break-before: page; }
  .table { overflow: visible; }
}
"""
