"""The dashboards' charts: ``analytics.dashboard`` results turned into ``web.plots`` figures, with their
labels in the user's language. The tables beside them show the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cxloop.analytics import dashboard
from cxloop.analytics.metrics_service import Item
from cxloop.web import plots


def _language() -> str:
    return (get_language() or "en").lower()


def formatter(axis: dashboard.Axis) -> Callable[[float], str]:
    def show(value: float) -> str:
        text = f"{value:.{axis.decimals}f}"
        return (f"+{text}" if axis.signed and value > 0 else text) + axis.unit

    return show


def period_label(period: object, interval: str) -> str:
    return period.strftime("%Y-%m" if interval == "month" else "%m-%d") if hasattr(period, "strftime") else ""


def trend(t: dashboard.Trend) -> plots.Figure:
    points = [plots.Point(period_label(i.period, t.interval), i.estimate.value, i.estimate.low, i.estimate.high,
                          i.estimate.n, bool(i.significant_change), i.estimate.too_few) for i in t.items]
    title = (_("%(label)s by month, with 95%% intervals") if t.interval == "month"
             else _("%(label)s by week, with 95%% intervals")) % {"label": t.label}
    return plots.figure(
        plots.trend, points=points, title=title, value_label=t.metric_label, band_label=_("95%% interval") % {},
        significant_label=_("Significant change"), few_label=_("Fewer than 30 responses"),
        bounds=(t.axis.low, t.axis.high), step=t.axis.step, language=_language(), formatter=formatter(t.axis))


def _bars(rows: Sequence[tuple[str, Item]], axis: dashboard.Axis, title: str, value_label: str
          ) -> plots.Figure:
    bars = [plots.Bar(label, i.estimate.value, i.estimate.low, i.estimate.high, bool(i.significant_change))
            for label, i in rows]
    return plots.figure(plots.bars, rows=bars, title=title, value_label=value_label,
                        significant_label=_("Significant change"), bounds=(axis.low, axis.high), step=axis.step,
                        language=_language(), formatter=formatter(axis))


def breakdown(b: dashboard.Breakdown) -> plots.Figure:
    title = _("%(label)s by %(dimension)s, with 95%% intervals") % {"label": b.label,
                                                                  "dimension": b.dimension_label}
    return _bars([(g.label, g.item) for g in b.groups], b.axis, title, b.metric_label)


def questions(cards: Sequence[dashboard.Card]) -> plots.Figure | None:
    """The survey's questions on one scale (the most common one), for a quick comparison."""
    shown = [c for c in cards if c.item is not None and c.item.estimate.n]
    if len(shown) < 2:
        return None
    axes = [c.axis for c in shown]
    common = max(set(axes), key=axes.count)
    same = [c for c in shown if c.axis == common]
    return _bars([(c.label, c.item) for c in same if c.item is not None], common,
                 _("Questions on the same scale, with 95%% intervals") % {}, same[0].metric_label)


def funnel(f: dashboard.Funnel) -> plots.Figure:
    t = f.total
    rate = "" if t.rate is None or t.rate.value is None else f" ({t.rate.value:.0f}%)"
    stages = [(f"{_('Sent')} {t.sent:,}", t.sent), (f"{_('Opened')} {t.opened:,}", t.opened),
              (f"{_('Started')} {t.started:,}", t.started), (f"{_('Completed')} {t.completed:,}{rate}", t.completed)]
    return plots.figure(plots.funnel, stages=stages, title=_("Invitations: sent, opened, started, completed"),
                        value_label=_("Invitations"), language=_language())


def drivers(a: dashboard.DriverAnalysis) -> plots.Figure | None:
    if not a.rows:
        return None
    points = [plots.DriverPoint(str(rank), r.driver.share, r.mean.value) for rank, r in enumerate(a.rows, 1)]
    return plots.figure(plots.drivers, points=points, title=_("Importance and performance of the drivers"),
                        x_title=_("Importance: share of explained variance (%)"), y_title=_("Performance (mean)"),
                        y_bounds=a.scale, language=_language())
