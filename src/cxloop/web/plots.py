"""Charts for the dashboards: server-side SVG from pygal, embedded as ``<img src="data:image/svg+xml;base64,…">``.

Inside an ``<img>`` the SVG's own ``<style>`` applies and its script never runs, so the page's strict CSP
(no inline script or style; ``img-src 'self' data:``) holds and nothing is fetched from elsewhere (pygal's
tooltip script is left out: ``js=[]``). Every chart here is drawn from numbers the page also shows in a
table next to it (screen readers, copying, the same numbers).

* :func:`trend` — a metric per period: the value as a line, its confidence interval as a shaded band
  (a polygon drawn under the lines by :class:`_BandLine`; a gap where a period has no answers), larger
  dots of another colour on the periods whose change from the period before is significant, and grey
  dots on periods with too few responses for a firm number.
* :func:`bars` — one value per group (breakdowns, questions) with the interval as error bars.
* :func:`funnel` — counts per stage (invitations sent, opened, started, completed).
* :func:`drivers` — importance (share of the explained variance) against performance, one labelled
  point per driver, with the averages of both as reference lines.

The y range always includes the intervals (:func:`value_range`), and labels use a CJK font first so that
Chinese renders (the viewer's fonts draw the text: Noto Sans CJK on Linux, PingFang or Microsoft YaHei
elsewhere).
"""

from __future__ import annotations

import base64
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from pygal.style import Style

PRIMARY = "#0b5cad"
BAND = "#9db8d9"
SIGNIFICANT = "#c2410c"
FEW = "#8a96a6"
TEXT = "#1b2430"
MUTED = "#4f5b6b"
GRID = "#d5dbe3"
FONTS = {
    "zh-hant": '"Noto Sans CJK TC","Noto Sans CJK SC","PingFang TC","Microsoft JhengHei",system-ui,sans-serif',
    "default": '"Noto Sans CJK SC","Noto Sans CJK TC","PingFang SC","Microsoft YaHei",system-ui,sans-serif',
}
WIDTH, HEIGHT = 760, 300
NARROW = 400  # the phone version (shown below 640 CSS pixels)


@dataclass(frozen=True)
class Chart:
    """An SVG chart as a data URI for ``<img src>``, with its text alternative and its size."""

    uri: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class Figure:
    """A chart in two sizes: ``wide`` for wide screens, ``narrow`` (fewer labels, larger relative text)
    for phones; the page shows one through ``<picture>``."""

    wide: Chart
    narrow: Chart

    @property
    def alt(self) -> str:
        return self.wide.alt


def figure(draw: Any, /, **kwargs: Any) -> Figure:
    """``draw(**kwargs)`` at both widths."""
    return Figure(draw(**kwargs, width=WIDTH), draw(**kwargs, width=NARROW))


@dataclass(frozen=True)
class Point:
    """One period of a trend: label, value and interval (None when the period has no answers)."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    significant: bool = False
    too_few: bool = False


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    low: float | None
    high: float | None
    significant: bool = False


@dataclass(frozen=True)
class DriverPoint:
    label: str  # short: the driver's number in the table beside the chart
    importance: float  # percent of R²
    performance: float | None


def _style(language: str, colors: Sequence[str], width: int = 0) -> Style:
    """The app's colours on a transparent background; on the narrow version (shown smaller on a phone)
    the text is larger so that it stays readable after scaling."""
    big = 0 < width < WIDTH
    return Style(
        background="transparent",
        plot_background="transparent",
        foreground=TEXT,
        foreground_strong=TEXT,
        foreground_subtle=GRID,
        colors=tuple(colors),
        font_family=FONTS.get(language, FONTS["default"]),
        label_font_size=16 if big else 13,
        major_label_font_size=16 if big else 13,
        legend_font_size=16 if big else 13,
        value_font_size=15 if big else 12,
        value_label_font_size=15 if big else 12,
        title_font_size=14,
        opacity=".9",
        opacity_hover=".9",
        stroke_opacity="1",
        stroke_opacity_hover="1",
        guide_stroke_color=GRID,
        major_guide_stroke_color=GRID,
    )


_BASE: dict[str, Any] = {
    "js": [],  # no script: it would never run inside <img> anyway
    "disable_xml_declaration": False,
    "show_x_guides": False,
    "show_y_guides": True,
    "legend_at_bottom": True,
    "legend_at_bottom_columns": 3,
    "truncate_legend": -1,
    "truncate_label": -1,
    "margin": 8,
    "spacing": 10,
    "pretty_print": False,
}
# the shaded interval (drawn by _BandLine) and the dots' outlines
_CSS = ("inline:.cx-band{fill:%s;fill-opacity:.45;stroke:none}" % BAND  # noqa: UP031 - CSS braces
        + ".cx-ref{stroke:%s;stroke-width:1;stroke-dasharray:4,4}" % MUTED)  # noqa: UP031


def _text_width(text: str, font_size: float) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text) * font_size


def _legend(chart: Any) -> None:
    """As many legend entries a row as fit the width; pygal reserves ``entries // columns`` rows
    (rounded down), so the bottom margin gets one more row when the last is not full."""
    titles = [kw.get("title") or "" for _values, kw in chart.raw_series]
    if not titles or not chart.config.show_legend:
        return
    size = chart.config.style.legend_font_size
    widest = max(_text_width(t, size) for t in titles) + chart.config.legend_box_size + 3 * chart.config.spacing
    columns = max(1, min(len(titles), int((chart.config.width - 2 * chart.config.margin) // widest)))
    chart.config.legend_at_bottom_columns = columns
    if len(titles) % columns:
        chart.config.margin_bottom = chart.config.margin + 1.5 * max(size, chart.config.legend_box_size)


def _without_script(tree: Any) -> Any:
    """pygal always writes its configuration as an inline <script>: inside <img> it would never run,
    so it is left out (which also halves the file)."""
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "script":
                parent.remove(child)
    return tree


def _render(chart: Any, alt: str) -> Chart:
    _legend(chart)
    chart.add_xml_filter(_without_script)
    svg = chart.render()
    if isinstance(svg, str):
        svg = svg.encode("utf-8")
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return Chart(uri, alt, int(chart.config.width), int(chart.config.height))


def ticks(low: float, high: float, most: int) -> list[float]:
    """At most ``most`` + 1 round tick values from ``low`` to ``high`` (steps of 1, 2, 2.5 or 5 × 10ⁿ)."""
    span = high - low
    if span <= 0:
        return [low]
    step = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 2.5, 5, 10):
        if span / (step * factor) <= most:
            step *= factor
            break
    first = math.ceil(low / step - 1e-9) * step
    count = math.floor((high - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(count)]


def value_range(values: Sequence[float | None], *, bounds: tuple[float, float], step: float) -> tuple[float, float]:
    """A y range that holds every value (interval ends included), rounded out to ``step`` and kept
    within the metric's ``bounds``; the whole ``bounds`` when there is nothing to show."""
    found = [v for v in values if v is not None and math.isfinite(v)]
    if not found:
        return bounds
    lo = max(bounds[0], math.floor(min(found) / step) * step)
    hi = min(bounds[1], math.ceil(max(found) / step) * step)
    if hi - lo < step:
        lo, hi = max(bounds[0], lo - step), min(bounds[1], hi + step)
    if hi <= lo:  # a degenerate range at a bound
        return bounds
    return lo, hi


class _BandLine(pygal.Line):
    """A line chart with a shaded band (each point's interval) under its series; ``band`` holds one
    (low, high) or None per x position."""

    def __init__(self, *args: Any, band: Sequence[tuple[float, float] | None] = (), **kwargs: Any) -> None:
        self._band = list(band)
        super().__init__(*args, **kwargs)

    def _plot(self) -> None:
        node = self.svg.node(self.nodes["plot"], class_="cx-bands")
        run: list[int] = []
        for i, part in enumerate([*self._band, None]):
            if part is not None and i < len(self._x_pos):
                run.append(i)
                continue
            if run:
                if len(run) == 1:  # a single period: a narrow box rather than nothing
                    x, (lo, hi) = self._x_pos[run[0]], self._band[run[0]]  # type: ignore[misc]
                    half = 0.35 / max(len(self._x_pos) - 1, 1)
                    corners = [(x - half, hi), (x + half, hi), (x + half, lo), (x - half, lo)]
                else:
                    upper = [(self._x_pos[j], self._band[j][1]) for j in run]  # type: ignore[index]
                    lower = [(self._x_pos[j], self._band[j][0]) for j in reversed(run)]  # type: ignore[index]
                    corners = upper + lower
                self.svg.line(node, [self.view(c) for c in corners], close=True, class_="cx-band")
                run = []
        super()._plot()


def trend(points: Sequence[Point], *, title: str, value_label: str, band_label: str, significant_label: str,
          few_label: str, bounds: tuple[float, float], step: float, language: str,
          formatter: Any = None, width: int = WIDTH) -> Chart:
    """The metric per period with its interval as a band and markers on significant changes."""
    band = [(p.low, p.high) if p.low is not None and p.high is not None else None for p in points]
    y_min, y_max = value_range([v for p in points for v in (p.low, p.high, p.value)], bounds=bounds, step=step)
    chart = _BandLine(
        band=band, width=width, height=HEIGHT, style=_style(language, [PRIMARY, BAND, SIGNIFICANT, FEW], width),
        range=(y_min, y_max), y_labels=ticks(y_min, y_max, 8 if width >= WIDTH else 5), margin_right=28,
        x_label_rotation=0, show_minor_x_labels=False, allow_interruptions=True,
        dots_size=3, stroke_style={"width": 2.5}, css=["file://style.css", "file://graph.css", _CSS],
        value_formatter=formatter or (lambda v: f"{v:.0f}"), **_BASE)
    chart.x_labels = [p.label for p in points]
    chart.x_labels_major = _major_labels([p.label for p in points], 8 if width >= WIDTH else 4)
    chart.add(value_label, [p.value for p in points])
    chart.add(band_label, [None] * len(points), show_dots=False)  # the band's legend entry
    chart.add(significant_label, [p.value if p.significant else None for p in points], stroke=False,
              dots_size=6)
    if any(p.too_few and p.value is not None for p in points):
        chart.add(few_label, [p.value if p.too_few else None for p in points], stroke=False, dots_size=3.5)
    return _render(chart, title)


def _major_labels(labels: Sequence[str], most: int) -> list[str]:
    """At most ``most`` evenly spaced x labels (always the last), so that they never overlap."""
    if len(labels) <= most:
        return list(labels)
    every = math.ceil(len(labels) / most)
    last = len(labels) - 1
    return [label for i, label in enumerate(labels) if (last - i) % every == 0]


def bars(rows: Sequence[Bar], *, title: str, value_label: str, significant_label: str,
         bounds: tuple[float, float], step: float, language: str, formatter: Any = None,
         width: int = WIDTH) -> Chart:
    """One horizontal bar per row (top to bottom in order) with its interval as an error bar; the bars
    start at 0 (or at the scale's lowest point when 0 is not on it)."""
    baseline = 0.0 if bounds[0] <= 0 <= bounds[1] else bounds[0]
    y_min, y_max = value_range([v for r in rows for v in (r.low, r.high, r.value, baseline)], bounds=bounds,
                               step=step)
    labels = [_short(r.label, 28 if width >= WIDTH else 14) for r in reversed(rows)]  # first label at the bottom
    chart = pygal.HorizontalBar(
        width=width, height=max(150, 70 + 30 * len(rows)), style=_style(language, [PRIMARY, SIGNIFICANT], width),
        range=(y_min, y_max), zero=baseline, y_labels=ticks(y_min, y_max, 10 if width >= WIDTH else 4),
        margin_right=20, css=["file://style.css", "file://graph.css", _CSS],
        margin_left=_label_margin(labels), value_formatter=formatter or (lambda v: f"{v:.0f}"),
        **{**_BASE, "show_x_guides": True, "show_y_guides": False})
    chart.x_labels = labels

    def value(r: Bar, want_significant: bool) -> Any:
        if r.value is None or r.significant != want_significant:
            return None
        if r.low is None or r.high is None:
            return r.value
        return {"value": r.value, "ci": {"low": r.low, "high": r.high}}

    ordered = list(reversed(rows))
    chart.add(value_label, [value(r, False) for r in ordered])
    if any(r.significant for r in rows):
        chart.add(significant_label, [value(r, True) for r in ordered])
    return _render(chart, title)


def _short(label: str, most: int = 28) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _label_margin(labels: Sequence[str], font_size: int = 13) -> int:
    """Extra left margin for labels with CJK characters: pygal sizes every character at 0.6 em, a
    Chinese one takes about 1 em."""
    if not labels:
        return 8
    needed = max(_text_width(label, font_size) for label in labels)
    assumed = max(len(label) for label in labels) * 0.6 * font_size
    return 8 + math.ceil(max(0.0, needed - assumed)) + 4


def funnel(stages: Sequence[tuple[str, int]], *, title: str, value_label: str, language: str,
           width: int = WIDTH) -> Chart:
    """Counts per stage as horizontal bars, first stage on top (the labels carry the numbers)."""
    labels = [label for label, _ in reversed(stages)]
    chart = pygal.HorizontalBar(
        width=width, height=max(150, 60 + 34 * len(stages)), style=_style(language, [PRIMARY], width),
        css=["file://style.css", "file://graph.css", _CSS], margin_left=_label_margin(labels),
        value_formatter=lambda v: f"{v:,.0f}", **{**_BASE, "show_legend": False, "show_x_guides": True,
                                                   "show_y_guides": False})
    chart.x_labels = labels
    chart.y_labels = ticks(0, max([c for _, c in stages] + [1]), 8 if width >= WIDTH else 4)
    chart.add(value_label, [count for _, count in reversed(stages)])
    return _render(chart, title)


def drivers(points: Sequence[DriverPoint], *, title: str, x_title: str, y_title: str,
            y_bounds: tuple[float, float], language: str, width: int = WIDTH) -> Chart:
    """Importance (x, percent of R²) against performance (y), one labelled dot per driver, and
    dashed lines at the averages (the four quadrants of an importance–performance map)."""
    shown = [p for p in points if p.performance is not None]
    x_max = max([p.importance for p in shown] + [10.0])
    x_max = math.ceil(x_max / 10) * 10
    perf = [p.performance for p in shown if p.performance is not None]
    pad = max((max(perf) - min(perf)) * 0.15, 0.2) if perf else 0
    y_min, y_max = value_range([*(v - pad for v in perf), *(v + pad for v in perf)], bounds=y_bounds, step=0.5)
    chart = pygal.XY(
        width=width, height=380, style=_style(language, [PRIMARY, MUTED], width), stroke=False, print_labels=True,
        range=(y_min, y_max), xrange=(0, x_max), x_title=x_title, y_title=y_title, dots_size=6,
        css=["file://style.css", "file://graph.css", _CSS], value_formatter=lambda v: f"{v:.1f}",
        **{**_BASE, "show_legend": False, "show_x_guides": True})
    chart.add(y_title, [{"value": (p.importance, p.performance), "label": p.label} for p in shown])
    if shown:
        mean_x = sum(p.importance for p in shown) / len(shown)
        mean_y = sum(p.performance or 0 for p in shown) / len(shown)
        chart.add("", [(mean_x, y_min), (mean_x, y_max)], stroke=True, show_dots=False,
                  stroke_style={"width": 1, "dasharray": "4, 4"})
        chart.add("", [(0, mean_y), (x_max, mean_y)], stroke=True, show_dots=False,
                  stroke_style={"width": 1, "dasharray": "4, 4"})
    return _render(chart, title)


def columns(values: Sequence[tuple[str, float]], *, title: str, value_label: str, language: str,
            formatter: Any = None, width: int = WIDTH) -> Chart:
    """One vertical bar per period (e.g. active people per month), in order; no interval (counts of a census)."""
    labels = [label for label, _ in values]
    top = max([v for _, v in values] + [1])
    chart = pygal.Bar(
        width=width, height=HEIGHT, style=_style(language, [PRIMARY], width), range=(0, top),
        y_labels=ticks(0, top, 8 if width >= WIDTH else 4), css=["file://style.css", "file://graph.css", _CSS],
        x_label_rotation=0, show_minor_x_labels=False, margin_right=20,
        value_formatter=formatter or (lambda v: f"{v:,.0f}"), **{**_BASE, "show_legend": False})
    chart.x_labels = labels
    chart.x_labels_major = _major_labels(labels, 8 if width >= WIDTH else 4)
    chart.add(value_label, [v for _, v in values])
    return _render(chart, title)


def interval_trend(points: Sequence[Point], *, title: str, value_label: str, band_label: str, few_label: str,
                   bounds: tuple[float, float], step: float, language: str, formatter: Any = None,
                   width: int = WIDTH) -> Chart:
    """:func:`trend` without the significant-change markers (a series with no test, e.g. a retention curve or
    renewal by quarter): the value as a line, its interval as the band, grey dots where there are too few."""
    band = [(p.low, p.high) if p.low is not None and p.high is not None else None for p in points]
    y_min, y_max = value_range([v for p in points for v in (p.low, p.high, p.value)], bounds=bounds, step=step)
    chart = _BandLine(
        band=band, width=width, height=HEIGHT, style=_style(language, [PRIMARY, BAND, FEW], width),
        range=(y_min, y_max), y_labels=ticks(y_min, y_max, 8 if width >= WIDTH else 5), margin_right=28,
        x_label_rotation=0, show_minor_x_labels=False, allow_interruptions=True,
        dots_size=3, stroke_style={"width": 2.5}, css=["file://style.css", "file://graph.css", _CSS],
        value_formatter=formatter or (lambda v: f"{v:.0f}"), **_BASE)
    chart.x_labels = [p.label for p in points]
    chart.x_labels_major = _major_labels([p.label for p in points], 8 if width >= WIDTH else 4)
    chart.add(value_label, [p.value for p in points])
    chart.add(band_label, [None] * len(points), show_dots=False)
    if any(p.too_few and p.value is not None for p in points):
        chart.add(few_label, [p.value if p.too_few else None for p in points], stroke=False, dots_size=3.5)
    return _render(chart, title)
