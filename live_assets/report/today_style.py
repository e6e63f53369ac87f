"""Today's page stylesheet: read across a room on a wall screen (sizes follow the viewport) and on a
phone (one column). Tile colours are the verdicts': red off target, green met, grey not judged."""

TODAY_CSS = """
:root { --ink: #111827; --muted: #4b5563; --line: #d1d5db; --off: #b91c1c; --met: #047857; --few: #e5e7eb;
        --page: #f3f4f6; }
* { box-sizing: border-box; }
html { font-size: clamp(14px, 1.05vw + 6px, 30px); }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: var(--ink);
       background: var(--page); margin: 0; padding: .8rem 1rem 1.2rem; line-height: 1.25; }
header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: .2rem 1rem;
         margin-bottom: .7rem; }
h1 { font-size: 1.6rem; margin: 0; overflow-wrap: anywhere; }
h1 .day { font-weight: 400; color: var(--muted); font-size: 1.1rem; }
.stamp { margin: 0; font-size: 1rem; color: var(--muted); }
.stamp b { color: var(--ink); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 16rem), 1fr)); gap: .7rem; }
.tile { border-radius: .5rem; padding: .6rem .8rem .7rem; background: #fff; border: 1px solid var(--line);
        border-left: .55rem solid var(--line); min-width: 0; }
.tile.off { background: var(--off); border-color: var(--off); color: #fff; }
.tile.met { border-left-color: var(--met); }
.tile.met .sla, .tile.met .verdict { color: var(--met); }
.tile h2 { font-size: 1.05rem; margin: 0 0 .15rem; overflow-wrap: anywhere; }
.tile .sla { font-size: 3.2rem; font-weight: 800; line-height: 1.05; font-variant-numeric: tabular-nums; }
.tile .target { font-size: .9rem; opacity: .85; }
.tile .verdict { font-size: 1rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; margin: .2rem 0; }
.tile.few .verdict, .tile.unknown .verdict, .tile.none .verdict { color: var(--muted); }
.tile dl { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .3rem; margin: .4rem 0 0; }
.tile dl div { min-width: 0; }
.tile dt { font-size: .75rem; opacity: .8; overflow-wrap: anywhere; }
.tile dd { margin: 0; font-size: 1.1rem; font-weight: 700; font-variant-numeric: tabular-nums;
           overflow-wrap: anywhere; }
.tile .why { margin: .35rem 0 0; padding-left: 1.1rem; font-size: .85rem; }
.lower { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: .7rem; margin-top: .7rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .8rem; margin: 0;
        min-width: 0; }
.card h2, .chart figcaption { font-size: 1.05rem; margin: 0 0 .4rem; font-weight: 700; }
.count { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 1em; background: var(--off);
         color: #fff; font-size: .9rem; padding: 0 .35em; }
.alerts { list-style: none; margin: 0; padding: 0; }
.alerts li { border-left: .3rem solid var(--off); padding: .25rem .5rem; margin-bottom: .35rem; font-size: .95rem;
             overflow-wrap: anywhere; background: #fef2f2; }
.calm { color: var(--met); font-weight: 700; font-size: 1.05rem; margin: .2rem 0; }
.empty { font-size: 1.4rem; background: #fff; border: 1px dashed var(--line); padding: 1.2rem; border-radius: .5rem; }
svg { display: block; width: 100%; height: auto; }
.chart .narrow { display: none; }
.legend { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; list-style: none; margin: .3rem 0 0; padding: 0;
          font-size: .85rem; color: var(--muted); }
.legend i { display: inline-block; width: .9em; height: .7em; margin-right: .35em; vertical-align: baseline; }
.legend i.offered { background: #93c5fd; } .legend i.below { background: var(--off); }
.legend i.sla { height: 0; border-top: .18em solid var(--ink); vertical-align: middle; }
@media (max-width: 900px) { .lower { grid-template-columns: minmax(0, 1fr); } }
@media (max-width: 600px) { .chart .wide { display: none; } .chart .narrow { display: block; } }
"""
