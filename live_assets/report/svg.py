"""Small SVG charts drawn by hand: a panel of SLA % per day against its target, the day's profile
(columns and a line on two axes), and a ranking of horizontal bars.

The report must open anywhere, offline, as one file: no JavaScript library, no CDN, no stylesheet to
fetch. Each chart is a pure function from numbers (and labels already written in the report's
language) to an ``<svg>`` string with a fixed ``viewBox``, so it scales to the page and to A4, and
tests can parse it as XML. Every text that comes from data (group and agent names) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "font-family='system-ui, -apple-system, Segoe UI, Roboto, Liberation Sans, sans-serif'"
INK = "#1f2937"
AXIS = "#6b7280"
GRID = "#e5e7eb"
GOOD = "#0f766e"
BAD = "#b91c1c"
NEUTRAL = "#2563eb"
MUTED = "#93c5fd"
TARGET = "#111827"


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


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: a long name must not run over a bar."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label={quoteattr(title)} {FONT} font-size='12' fill='{INK}'>",
        f"<title>{escape(title)}</title>",
    ]


def _text(x: float, y: float, text: str, anchor: str = "start", **attributes: str) -> str:
    extra = "".join(f" {name.replace('_', '-')}='{value}'" for name, value in attributes.items())
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}'{extra}>{escape(text)}</text>"


def _hline(left: float, right: float, y: float, colour: str, dashed: bool = False, width: float = 1) -> str:
    dash = " stroke-dasharray='5 3'" if dashed else ""
    return (
        f"<line x1='{left:.1f}' y1='{y:.1f}' x2='{right:.1f}' y2='{y:.1f}' stroke='{colour}' "
        f"stroke-width='{width}'{dash}/>"
    )


@dataclass(frozen=True)
class Panel:
    """One group's or channel's SLA % per day of the period, and its target (None: no target)."""

    title: str
    days: tuple[str, ...]
    values: tuple[float | None, ...]
    target: float | None


def sla_panel(panel: Panel, *, width: int = 260, height: int = 120) -> str:
    """SLA % per day on a fixed 0-100 axis (panels side by side compare at a glance), the target
    dashed, a day below it in red. A single day is drawn as one bar with the target as a tick."""
    left, right, top, bottom = 30.0, width - 8.0, 8.0, height - 20.0
    parts = _open(width, height, panel.title)
    for tick in (0, 50, 100):
        y = bottom - tick / 100 * (bottom - top)
        parts.append(_hline(left, right, y, GRID))
        parts.append(_text(left - 4, y + 4, f"{tick}", "end", fill=AXIS, font_size="10"))

    def y_of(value: float) -> float:
        return bottom - max(0.0, min(100.0, value)) / 100 * (bottom - top)

    def below(value: float) -> bool:
        return panel.target is not None and value < panel.target

    if len(panel.values) == 1:
        value = panel.values[0]
        if value is not None:
            middle = (left + right) / 2
            parts.append(
                f"<rect x='{middle - 30:.1f}' y='{y_of(value):.1f}' width='60' height='{bottom - y_of(value):.1f}' "
                f"fill='{BAD if below(value) else NEUTRAL}'/>"
            )
        parts.append(_text((left + right) / 2, height - 5, panel.days[0], "middle", fill=AXIS, font_size="10"))
    else:
        step = (right - left - 12) / (len(panel.values) - 1)
        xs = [left + 6 + index * step for index in range(len(panel.values))]
        run: list[str] = []
        for x, value in [*zip(xs, panel.values, strict=True), (0.0, None)]:
            if value is None:
                if len(run) > 1:
                    line = " ".join(run)
                    parts.append(f"<polyline points='{line}' fill='none' stroke='{NEUTRAL}' stroke-width='2'/>")
                run = []
            else:
                run.append(f"{x:.1f},{y_of(value):.1f}")
        for x, value in zip(xs, panel.values, strict=True):
            if value is not None:
                colour = BAD if below(value) else NEUTRAL
                parts.append(f"<circle cx='{x:.1f}' cy='{y_of(value):.1f}' r='3' fill='{colour}'/>")
        every = max(1, math.ceil(len(xs) / 8))
        for index in range(0, len(xs), every):
            parts.append(_text(xs[index], height - 5, panel.days[index], "middle", fill=AXIS, font_size="10"))
    if panel.target is not None:
        parts.append(_hline(left, right, y_of(panel.target), TARGET, dashed=True, width=1.5))
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class ProfileSlot:
    label: str  # "08:30"
    offered: float
    sla_pct: float | None  # of the slot's hour
    worst: bool


def day_profile(
    title: str,
    slots: Sequence[ProfileSlot],
    target: float | None,
    *,
    legend: tuple[str, str, str] | None,
    width: int = 760,
) -> str:
    """Columns: offered per half hour (left axis). Line: the hour's SLA % (right axis, 0-100), the
    target dashed. The worst hours' columns in red, with a marker over them. ``legend``: the three
    series' names drawn above the chart (it then needs ``width`` 760), or None for none."""
    height = 290
    left, right, top, bottom = 44.0, width - 44.0, 34.0, height - 34.0
    ticks = nice_ticks(max((slot.offered for slot in slots), default=0.0))
    scale = (bottom - top) / (ticks[-1] or 1)
    slot_width = (right - left) / max(1, len(slots))
    parts = _open(width, height, title)
    for tick in ticks:
        y = bottom - tick * scale
        parts.append(_hline(left, right, y, GRID))
        parts.append(_text(left - 6, y + 4, f"{tick:g}", "end", fill=AXIS))
    for tick in (0, 50, 100):
        parts.append(_text(right + 6, bottom - tick / 100 * (bottom - top) + 4, f"{tick}%", fill=AXIS))
    points = []
    for index, slot in enumerate(slots):
        x = left + index * slot_width
        height_px = slot.offered * scale
        colour = BAD if slot.worst else MUTED
        parts.append(
            f"<rect x='{x + 1:.1f}' y='{bottom - height_px:.1f}' width='{max(1.0, slot_width - 2):.1f}' "
            f"height='{height_px:.1f}' fill='{colour}'><title>{escape(f'{slot.label}: {slot.offered:.1f}')}</title>"
            "</rect>"
        )
        if slot.sla_pct is not None:
            points.append(f"{x + slot_width / 2:.1f},{bottom - slot.sla_pct / 100 * (bottom - top):.1f}")
        if slot.label.endswith(":00") and (index // 2) % max(1, math.ceil(len(slots) / 24)) == 0:
            parts.append(_text(x, bottom + 16, slot.label[:2] + "h", "middle", fill=AXIS))
        if slot.worst and slot.label.endswith(":00"):
            parts.append(_text(x + slot_width, top - 6, "▼", "middle", fill=BAD, font_size="11"))
    if points:
        parts.append(f"<polyline points='{' '.join(points)}' fill='none' stroke='{INK}' stroke-width='2'/>")
    if target is not None:
        parts.append(_hline(left, right, bottom - target / 100 * (bottom - top), TARGET, dashed=True, width=1.5))
    if legend is None:  # the page draws its own legend (today's page, whose chart narrows on a phone)
        parts.append("</svg>")
        return "\n".join(parts)
    offered, sla, worst = legend
    legend_y = 14
    parts.append(f"<rect x='{left:.1f}' y='{legend_y - 9}' width='12' height='10' fill='{MUTED}'/>")
    parts.append(_text(left + 16, legend_y, offered))
    parts.append(_hline(left + 200, left + 222, legend_y - 4, INK, width=2))
    parts.append(_text(left + 228, legend_y, sla))
    parts.append(f"<rect x='{left + 440:.1f}' y='{legend_y - 9}' width='12' height='10' fill='{BAD}'/>")
    parts.append(_text(left + 456, legend_y, worst))
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str
    colour: str = NEUTRAL


def ranking(title: str, bars: Sequence[Bar], *, width: int = 760, bar_height: int = 18, label_chars: int = 26) -> str:
    """One bar per row in the given order, its value at its end and a note on the right margin."""
    gap, top = 6, 4.0
    height = int(top * 2 + max(1, len(bars)) * (bar_height + gap))
    left, right = 190.0, width - 230.0
    maximum = max((bar.value for bar in bars), default=0.0) or 1.0
    parts = _open(width, height, title)
    for index, bar in enumerate(bars):
        y = top + index * (bar_height + gap)
        length = (right - left - 40) * max(0.0, bar.value) / maximum
        baseline = y + bar_height * 0.72
        parts.append(_text(left - 8, baseline, shorten(bar.label, label_chars), "end"))
        parts.append(
            f"<rect x='{left:.1f}' y='{y:.1f}' width='{length:.1f}' height='{bar_height}' fill='{NEUTRAL}'>"
            f"<title>{escape(bar.label)}</title></rect>"
        )
        parts.append(_text(left + length + 5, baseline, f"{bar.value:g}", fill=INK, font_weight="600"))
        parts.append(_text(right + 10, baseline, bar.note, fill=bar.colour))
    parts.append("</svg>")
    return "\n".join(parts)


def xy_chart(title: str, labels: Sequence[str], values: Sequence[float | None], kind: str, *, width: int = 760) -> str:
    """One series over categories or dates: columns (``bar``) or a line with points (``line``), from zero,
    on round ticks. A report of the user's own draws its ``chart`` with it."""
    height = 280
    left, right, top, bottom = 52.0, width - 16.0, 14.0, height - 46.0
    known = [value for value in values if value is not None]
    low = min(0.0, min(known, default=0.0))
    ticks = nice_ticks(max(known, default=0.0) - low)
    span = ticks[-1] or 1.0
    parts = _open(width, height, title)

    def y_of(value: float) -> float:
        return bottom - (value - low) / span * (bottom - top)

    for tick in ticks:
        parts.append(_hline(left, right, y_of(low + tick), GRID))
        parts.append(_text(left - 6, y_of(low + tick) + 4, f"{low + tick:g}", "end", fill=AXIS))
    slot = (right - left) / max(1, len(values))
    every = max(1, math.ceil(len(values) / 12))
    points = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        middle = left + (index + 0.5) * slot
        if value is not None and kind == "bar":
            top_y, base_y = sorted((y_of(value), y_of(0.0)))
            parts.append(
                f"<rect x='{middle - slot * 0.38:.1f}' y='{top_y:.1f}' width='{slot * 0.76:.1f}' "
                f"height='{max(0.5, base_y - top_y):.1f}' fill='{NEUTRAL}'><title>{escape(f'{label}: {value:g}')}"
                "</title></rect>"
            )
        elif value is not None:
            points.append(f"{middle:.1f},{y_of(value):.1f}")
            parts.append(f"<circle cx='{middle:.1f}' cy='{y_of(value):.1f}' r='3' fill='{NEUTRAL}'/>")
        if index % every == 0:
            parts.append(_text(middle, bottom + 16, shorten(label, max(4, int(slot * every / 8))), "middle", fill=AXIS))
    if len(points) > 1:
        parts.append(f"<polyline points='{' '.join(points)}' fill='none' stroke='{NEUTRAL}' stroke-width='2'/>")
    parts.append("</svg>")
    return "\n".join(parts)
