"""Small standalone SVGs for the behaviour pages (pure Python, no Django): an interval strip — one estimate on its
scale with the interval as a band, the value as a dot and an optional target as a tick — used on the HEART cards,
and the shade step of a heat-map cell. Every text is XML-escaped; no script, no external reference, so the SVG can
be shown through ``<img src="data:…">`` under a strict CSP."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

__all__ = ["heat_step", "interval_strip"]

TRACK = "#e3e8ef"
BAND = "#9db8d9"
DOT = "#0b5cad"
MET = "#1e6b34"
MISSED = "#b3261e"
TARGET = "#1b2430"
HEAT_STEPS = 10


def _x(value: float, lo: float, hi: float, left: float, width: float) -> float:
    span = hi - lo
    share = 0.0 if span <= 0 else (min(max(value, lo), hi) - lo) / span
    return left + share * width


def interval_strip(value: float | None, low: float | None, high: float | None, *, lo: float, hi: float,
                   target: float | None = None, status: str | None = None, label: str = "",
                   width: int = 240, height: int = 26) -> str:
    """An SVG of one estimate on [lo, hi]: the track, the interval [low, high] as a band, the value as a dot
    (green when the target is met, red when missed) and the target as a vertical tick. ``label`` becomes the
    SVG's <title> (its text alternative)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ValueError("the strip's scale needs finite lo < hi")
    pad = 7.0
    inner = width - 2 * pad
    mid = height / 2
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img">']
    if label:
        parts.append(f"<title>{escape(label)}</title>")
    parts.append(f'<rect x="{pad}" y="{mid - 3:.1f}" width="{inner:.1f}" height="6" rx="3" fill="{TRACK}"/>')
    if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
        x0, x1 = _x(low, lo, hi, pad, inner), _x(high, lo, hi, pad, inner)
        parts.append(f'<rect x="{x0:.1f}" y="{mid - 6:.1f}" width="{max(x1 - x0, 2):.1f}" height="12" rx="4" '
                     f'fill="{BAND}"/>')
    if target is not None and math.isfinite(target):
        xt = _x(target, lo, hi, pad, inner)
        parts.append(f'<line x1="{xt:.1f}" y1="2" x2="{xt:.1f}" y2="{height - 2}" stroke="{TARGET}" '
                     'stroke-width="2" stroke-dasharray="3,2"/>')
    if value is not None and math.isfinite(value):
        colour = {"met": MET, "missed": MISSED}.get(status or "", DOT)
        parts.append(f'<circle cx="{_x(value, lo, hi, pad, inner):.1f}" cy="{mid}" r="5.5" fill="{colour}" '
                     'stroke="#fff" stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)


def heat_step(value: float | None, *, lo: float = 0.0, hi: float = 1.0, steps: int = HEAT_STEPS) -> int | None:
    """The shade (0 … steps − 1) of a heat-map cell: equal steps of [lo, hi]; None without a value."""
    if value is None or not math.isfinite(value):
        return None
    if hi <= lo:
        raise ValueError("the heat scale needs lo < hi")
    share = (min(max(value, lo), hi) - lo) / (hi - lo)
    return min(steps - 1, int(share * steps))
