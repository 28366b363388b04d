"""A journey map as a standalone SVG: the stages as a header band, each step's touchpoint name under its stage,
the emotion curve (mean sentiment per step, −1…1) with its interval as whiskers, the to-be target curve dashed,
and the low point marked. Every text is XML-escaped; the SVG carries its own fonts list (CJK first) and no
script, so it can be downloaded, embedded with ``<img>`` or turned into a PNG by a browser.

Pure Python: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["MapStage", "MapStep", "render"]

COLUMN = 150
GUTTER = 120
TOP = 64
STAGE_BAND = 44
NAME_BAND = 64
CURVE = 220
BOTTOM = 40
FONTS = '"Noto Sans CJK SC","Noto Sans CJK TC","PingFang SC","Microsoft YaHei",system-ui,sans-serif'
STAGE_FILLS = ("#e6f0fb", "#eef6ea", "#fdf3e7", "#f3ecfb", "#e9f6f6", "#fbeef1")


@dataclass(frozen=True)
class MapStep:
    name: str
    value: float | None  # mean sentiment −1…1 (None: no comments)
    low: float | None = None
    high: float | None = None
    target: float | None = None
    n: int = 0
    low_point: bool = False


@dataclass(frozen=True)
class MapStage:
    name: str
    steps: Sequence[MapStep]


def _width(text: str) -> float:
    """Rough width in ems: CJK characters one em, others a little over half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.56 for ch in text)


def _lines(text: str, ems: float, most: int = 3) -> list[str]:
    """``text`` cut into at most ``most`` lines of at most ``ems`` ems (at spaces when there are any)."""
    words = text.split(" ") if " " in text else list(text)
    glue = " " if " " in text else ""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current}{glue}{word}" if current else word
        if _width(candidate) <= ems or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
    return lines


def _y(value: float, top: float) -> float:
    return top + (1 - (value + 1) / 2) * CURVE


def render(title: str, stages: Sequence[MapStage], *, subtitle: str = "", curve_label: str = "Emotion",
           target_label: str = "Target", low_label: str = "Low point") -> str:
    """The map as an SVG document (text)."""
    steps = [s for stage in stages for s in stage.steps]
    columns = max(1, len(steps))
    width = GUTTER + columns * COLUMN + 20
    curve_top = TOP + STAGE_BAND + NAME_BAND + 24
    height = curve_top + CURVE + BOTTOM
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family=\'{FONTS}\' role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="16" y="30" font-size="20" font-weight="700" fill="#1b2430">{escape(title)}</text>',
    ]
    if subtitle:
        out.append(f'<text x="16" y="52" font-size="13" fill="#4f5b6b">{escape(subtitle)}</text>')
    x: float = GUTTER
    for i, stage in enumerate(stages):
        span = max(1, len(stage.steps)) * COLUMN
        fill = STAGE_FILLS[i % len(STAGE_FILLS)]
        out.append(f'<rect x="{x}" y="{TOP}" width="{span - 4}" height="{STAGE_BAND - 6}" rx="6" fill="{fill}"/>')
        for j, line in enumerate(_lines(stage.name, (span - 16) / 14, 2)):
            out.append(f'<text x="{x + 8}" y="{TOP + 17 + j * 15}" font-size="14" font-weight="700" '
                       f'fill="#1b2430">{escape(line)}</text>')
        x += span
    for k, step in enumerate(steps):
        cx: float = GUTTER + k * COLUMN
        for j, line in enumerate(_lines(step.name, (COLUMN - 14) / 13, 3)):
            out.append(f'<text x="{cx + 6}" y="{TOP + STAGE_BAND + 16 + j * 16}" font-size="13" '
                       f'fill="#1b2430">{escape(line)}</text>')
    # the curve's frame: −1, 0, 1
    for value, text in ((1.0, "+1"), (0.0, "0"), (-1.0, "−1")):
        y = _y(value, curve_top)
        dash = "" if value == 0 else ' stroke-dasharray="2 4"'
        out.append(f'<line x1="{GUTTER}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#d5dbe3"{dash}/>')
        out.append(f'<text x="{GUTTER - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
                   f'fill="#4f5b6b">{text}</text>')
    points, targets = [], []
    for k, step in enumerate(steps):
        cx = GUTTER + k * COLUMN + COLUMN / 2
        if step.low is not None and step.high is not None:
            lo, hi = max(-1.0, step.low), min(1.0, step.high)
            out.append(f'<line x1="{cx:.1f}" y1="{_y(lo, curve_top):.1f}" x2="{cx:.1f}" '
                       f'y2="{_y(hi, curve_top):.1f}" stroke="#9db8d9" stroke-width="3"/>')
        if step.value is not None and math.isfinite(step.value):
            points.append((cx, _y(step.value, curve_top), step))
        if step.target is not None:
            targets.append((cx, _y(step.target, curve_top)))
    if len(targets) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in targets)
        out.append(f'<polyline points="{path}" fill="none" stroke="#6b7280" stroke-width="2" '
                   f'stroke-dasharray="6 4"/>')
    for px, py in targets:
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#6b7280"/>')
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _s in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="#0b5cad" stroke-width="2.5"/>')
    for px, py, step in points:
        colour = "#c2410c" if step.low_point else "#0b5cad"
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{7 if step.low_point else 4.5}" fill="{colour}"/>')
        out.append(f'<text x="{px:.1f}" y="{py - 10:.1f}" font-size="11" text-anchor="middle" '
                   f'fill="#1b2430">{step.value:+.2f}</text>')
        if step.low_point:
            out.append(f'<text x="{px:.1f}" y="{py + 22:.1f}" font-size="12" font-weight="700" '
                       f'text-anchor="middle" fill="#c2410c">{escape(low_label)}</text>')
    legend_y = height - 14
    out.append(f'<line x1="{GUTTER}" y1="{legend_y - 4}" x2="{GUTTER + 24}" y2="{legend_y - 4}" '
               f'stroke="#0b5cad" stroke-width="2.5"/>')
    out.append(f'<text x="{GUTTER + 30}" y="{legend_y}" font-size="12" fill="#1b2430">{escape(curve_label)}</text>')
    second = GUTTER + 30 + _width(curve_label) * 12 + 24
    out.append(f'<line x1="{second:.0f}" y1="{legend_y - 4}" x2="{second + 24:.0f}" y2="{legend_y - 4}" '
               f'stroke="#6b7280" stroke-width="2" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{second + 30:.0f}" y="{legend_y}" font-size="12" fill="#1b2430">{escape(target_label)}'
               "</text>")
    out.append("</svg>")
    return "\n".join(line for line in out if line)
