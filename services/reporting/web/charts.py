"""Trend charts as accessible, server-rendered SVG. Pure: points in, markup out.

A hand-written renderer rather than Vega-Lite or a JavaScript library: a line over a dozen
points with a target line needs ~100 lines, no browser-side code, no native dependency
(vl-convert ships a 100 MB Deno runtime) and gives full control of the accessible markup:
`role="img"`, a `<title>` and `<desc>` stating every value, and the same values in a table
beside the chart. Suppressed (`c`) and missing points are gaps, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 32, 28, 40


@dataclass(frozen=True)
class Point:
    label: str  # the period, e.g. "2020-04" or "Q1"
    value: float | None  # None: no figure, or suppressed
    shown: str  # as published: "12", "95.0", "c", "—"


def _nice_max(top: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at or above `top`."""
    if top <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(top))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if top <= m * magnitude))


def _fmt(value: float) -> str:
    return f"{value:g}"


def line_chart(
    chart_id: str,
    title: str,
    points: Sequence[Point],
    target: float | None = None,
    heading: str = "",
) -> str:
    """An SVG line chart of `points` with an optional dashed target line."""
    values = [p.value for p in points if p.value is not None]
    top = _nice_max(max([*values, target or 0.0, 0.0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    described = "; ".join(f"{p.label}: {p.shown}" for p in points)
    if target is not None:
        described += f". Target {_fmt(target)}."
    parts = [
        f'<svg class="pulse-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(described)}</desc>',
        f'<text x="0" y="14" font-size="14" font-weight="700" fill="#0b0c0c">'
        f"{escape(heading)}</text>",
    ]
    for tick in (0.0, top / 2, top):
        ty = y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'stroke="#b1b4b6" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#0b0c0c">{_fmt(tick)}</text>'
        )
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line class="pulse-chart-target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}" stroke="#d4351c" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{ty - 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#0b0c0c">target {_fmt(target)}</text>'
        )
    # The line breaks at a gap (no figure, or suppressed) rather than bridging it.
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, p in enumerate(points):
        if p.value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(p.value):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        parts.append(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="#1d70b8" stroke-width="3"/>'
        )
    for i, p in enumerate(points):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'font-size="12" fill="#0b0c0c">{escape(p.label)}</text>'
        )
        # Every period has a group carrying its published figure, drawn or not.
        parts.append(
            f'<g class="pulse-chart-point" data-period="{escape(p.label)}" '
            f'data-value="{escape(p.shown)}">'
        )
        if p.value is not None:
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="4" fill="#1d70b8">'
                f"<title>{escape(p.label)}: {escape(p.shown)}</title></circle>"
            )
        elif p.shown == "c":
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM - 4}" text-anchor="middle" '
                f'font-size="12" fill="#505a5f">c</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
