"""Geometry for small server-rendered SVG charts (no script, so they pass a strict CSP)."""

from __future__ import annotations

from dataclasses import dataclass

from cxloop.surveys.dashboard import TrendPoint

WIDTH, HEIGHT, PAD_X, PAD_Y, PAD_BOTTOM = 720, 240, 40, 16, 34


@dataclass(frozen=True)
class SvgPoint:
    x: float
    y: float
    y_low: float
    y_high: float
    label: str
    value: float
    n: int
    too_few: bool


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    points: list[SvgPoint]
    polyline: str
    gridlines: list[tuple[float, str]]
    zero_y: float
    x_labels: list[tuple[float, str]]
    label_y: float


def trend_chart(points: list[TrendPoint], *, lo: float = -100, hi: float = 100) -> TrendChart | None:
    usable = [p for p in points if p.estimate.value is not None]
    if not usable:
        return None
    values = [v for p in usable for v in (p.estimate.low or 0, p.estimate.high or 0)]
    lo = max(lo, (min(values) // 20) * 20)
    hi = min(hi, -((-max(values)) // 20) * 20)
    if hi <= lo:
        hi = lo + 20
    span_x = (WIDTH - 2 * PAD_X) / max(1, len(usable) - 1)

    def y(v: float) -> float:
        return round(HEIGHT - PAD_BOTTOM - (v - lo) / (hi - lo) * (HEIGHT - PAD_Y - PAD_BOTTOM), 1)

    svg_points = []
    for i, p in enumerate(usable):
        e = p.estimate
        assert e.value is not None and e.low is not None and e.high is not None
        svg_points.append(SvgPoint(
            x=round(PAD_X + i * span_x, 1), y=y(e.value), y_low=y(e.low), y_high=y(e.high),
            label=p.month.strftime("%Y-%m"), value=e.value, n=e.n, too_few=e.too_few,
        ))
    step = 20 if hi - lo > 60 else 10
    grid = [(y(v), f"{v:+.0f}" if v else "0") for v in range(int(lo), int(hi) + 1, step)]
    return TrendChart(
        width=WIDTH, height=HEIGHT, points=svg_points,
        polyline=" ".join(f"{p.x},{p.y}" for p in svg_points), gridlines=grid,
        zero_y=y(0) if lo <= 0 <= hi else -1,
        x_labels=[(p.x, p.label) for i, p in enumerate(svg_points) if (len(svg_points) - 1 - i) % 3 == 0],
        label_y=HEIGHT - 10,
    )
