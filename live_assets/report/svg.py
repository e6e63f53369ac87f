"""Small SVG charts drawn by hand: a line chart, stacked columns and a horizontal ranking.

The HTML report must open anywhere, offline, as one file: no JavaScript library, no CDN, no
stylesheet to fetch. Three chart shapes cover the report, and each is a pure function from numbers
to an ``<svg>`` string, so tests can parse the output as XML and check what was drawn. Every text
that comes from data (group and agent names) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = "font-family='system-ui, -apple-system, Segoe UI, Roboto, sans-serif'"
AXIS_COLOUR = "#666"
GRID_COLOUR = "#e5e5e5"


@dataclass(frozen=True)
class Series:
    """A named sequence of values, one per category; None is a gap (no data), not zero."""

    name: str
    values: tuple[float | None, ...]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about ``target_ticks`` ticks."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target_ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def nice_ticks(maximum: float, target_ticks: int = 5) -> list[float]:
    """Ticks from 0 to the first round value at or above ``maximum``: ``nice_ticks(87)`` is 0, 20, ... 100."""
    top = maximum if maximum > 0 else 1.0
    step = nice_step(top, target_ticks)
    count = math.ceil(top / step - 1e-9)
    return [round(step * index, 10) for index in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        f"role='img' aria-label={quoteattr(title)} {FONT} font-size='12'>",
        f"<title>{escape(title)}</title>",
    ]


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    parts = []
    for index, name in enumerate(names):
        row_y = y + index * 18
        parts.append(f"<rect x='{x:.1f}' y='{row_y - 9:.1f}' width='12' height='12' fill='{colour(index)}'/>")
        parts.append(f"<text x='{x + 18:.1f}' y='{row_y + 1:.1f}'>{escape(name)}</text>")
    return parts


def _y_axis(ticks: Sequence[float], left: float, right: float, top: float, bottom: float, unit: str) -> list[str]:
    parts = []
    scale = (bottom - top) / (ticks[-1] or 1)
    for tick in ticks:
        y = bottom - tick * scale
        parts.append(f"<line x1='{left:.1f}' y1='{y:.1f}' x2='{right:.1f}' y2='{y:.1f}' stroke='{GRID_COLOUR}'/>")
        parts.append(
            f"<text x='{left - 6:.1f}' y='{y + 4:.1f}' text-anchor='end' fill='{AXIS_COLOUR}'>"
            f"{escape(_number(tick) + unit)}</text>"
        )
    parts.append(f"<line x1='{left:.1f}' y1='{bottom:.1f}' x2='{right:.1f}' y2='{bottom:.1f}' stroke='{AXIS_COLOUR}'/>")
    return parts


def labelled_indexes(count: int, every: int) -> list[int]:
    """Every ``every``-th category gets its label, and the last one always does (it is the newest day,
    or the open-ended bucket); the regular label just before it gives way if they would touch."""
    shown = list(range(0, count, max(1, every)))
    last = count - 1
    if shown and shown[-1] != last:
        if last - shown[-1] < every and len(shown) > 1:
            shown[-1] = last
        else:
            shown.append(last)
    return shown


def _x_labels(labels: Sequence[str], xs: Sequence[float], y: float, every: int) -> list[str]:
    anchor = f"y='{y:.1f}' text-anchor='middle' fill='{AXIS_COLOUR}'"
    shown = labelled_indexes(len(labels), every)
    return [f"<text x='{xs[index]:.1f}' {anchor}>{escape(labels[index])}</text>" for index in shown]


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_max: float | None = None,
    unit: str = "",
    width: int = 760,
    height: int = 300,
) -> str:
    """One line per series over ``categories`` (days); a None value breaks the line there."""
    _check_lengths(categories, series)
    legend_width = 170
    left, right, top, bottom = 48.0, width - legend_width - 10.0, 16.0, height - 36.0
    values = [v for s in series for v in s.values if v is not None]
    ticks = nice_ticks(y_max if y_max is not None else max(values, default=0.0))
    scale = (bottom - top) / (ticks[-1] or 1)
    step = (right - left) / max(1, len(categories) - 1)
    xs = [left + index * step for index in range(len(categories))] if len(categories) > 1 else [(left + right) / 2]
    parts = _open(width, height, title)
    parts += _y_axis(ticks, left, right, top, bottom, unit)
    parts += _x_labels(categories, xs, bottom + 18, every=max(1, math.ceil(len(categories) / 8)))
    for index, item in enumerate(series):
        segments: list[list[tuple[float, float]]] = [[]]
        for x, value in zip(xs, item.values, strict=True):
            if value is None:
                segments.append([])
            else:
                segments[-1].append((x, bottom - value * scale))
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                parts.append(f"<polyline points='{points}' fill='none' stroke='{colour(index)}' stroke-width='2'/>")
            for x, y in segment:
                parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{colour(index)}'/>")
    parts += _legend([s.name for s in series], right + 20, top + 10)
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_columns(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    markers: Sequence[tuple[float, str]] = (),
    unit: str = "",
    width: int = 760,
    height: int = 300,
) -> str:
    """Columns per category with the series stacked; ``markers`` are dashed verticals at fractional
    category positions (1.5 is between the second and third column), e.g. SLA thresholds."""
    _check_lengths(categories, series)
    legend_width = 170
    left, right, top, bottom = 56.0, width - legend_width - 10.0, 16.0, height - 36.0
    totals = [sum(s.values[i] or 0.0 for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0.0))
    scale = (bottom - top) / (ticks[-1] or 1)
    slot = (right - left) / max(1, len(categories))
    bar = slot * 0.8
    parts = _open(width, height, title)
    parts += _y_axis(ticks, left, right, top, bottom, unit)
    centres = [left + slot * (index + 0.5) for index in range(len(categories))]
    parts += _x_labels(categories, centres, bottom + 18, every=max(1, math.ceil(len(categories) / 10)))
    for index, centre in enumerate(centres):
        base = bottom
        for series_index, item in enumerate(series):
            value = item.values[index] or 0.0
            if value <= 0:
                continue
            height_px = value * scale
            base -= height_px
            parts.append(
                f"<rect x='{centre - bar / 2:.1f}' y='{base:.1f}' width='{bar:.1f}' height='{height_px:.1f}' "
                f"fill='{colour(series_index)}'><title>{escape(f'{categories[index]}: {item.name} {value:g}')}"
                "</title></rect>"
            )
    for index, (position, label) in enumerate(sorted(markers)):
        x = left + slot * position
        label_y = top + 10 + (index % 4) * 14  # staggered: close thresholds must not print over each other
        parts.append(
            f"<line x1='{x:.1f}' y1='{top:.1f}' x2='{x:.1f}' y2='{bottom:.1f}' stroke='#444' stroke-dasharray='4 3'/>"
        )
        parts.append(f"<text x='{x + 4:.1f}' y='{label_y:.1f}' fill='#444'>{escape(label)}</text>")
    parts += _legend([s.name for s in series], right + 20, top + 10)
    parts.append("</svg>")
    return "\n".join(parts)


def horizontal_bars(
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    width: int = 760,
    bar_height: int = 20,
    label_width: int = 170,
) -> str:
    """A ranking: one bar per ``(label, value, note)`` in the given order, the note to the bar's right."""
    top, gap = 8.0, 6
    height = int(top * 2 + len(rows) * (bar_height + gap)) or 40
    left, right = float(label_width), width - 170.0
    maximum = max((value for _, value, _ in rows), default=0.0) or 1.0
    parts = _open(width, height, title)
    for index, (label, value, note) in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = (right - left) * max(0.0, value) / maximum
        parts.append(
            f"<text x='{left - 8:.1f}' y='{y + bar_height * 0.7:.1f}' text-anchor='end'>{escape(label)}</text>"
        )
        parts.append(
            f"<rect x='{left:.1f}' y='{y:.1f}' width='{length:.1f}' height='{bar_height}' fill='{colour(0)}'>"
            f"<title>{escape(f'{label}: {value:g}')}</title></rect>"
        )
        parts.append(
            f"<text x='{left + length + 6:.1f}' y='{y + bar_height * 0.7:.1f}' fill='{AXIS_COLOUR}'>"
            f"{escape(note)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _check_lengths(categories: Sequence[str], series: Sequence[Series]) -> None:
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(f"series {item.name!r} has {len(item.values)} values for {len(categories)} categories")
