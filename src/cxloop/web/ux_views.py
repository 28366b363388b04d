"""The Behaviour section's pages (issue 8): the UX scorecard (HEART per product area, DAU / WAU / MAU, stickiness,
SUS and UMUX-Lite, feature adoption, page views), tasks (success, abandonment, time on task, error rate, failure
rate by month), retention (cohort heat map, repurchase, churn of active people) and loyalty (renewal by count and
ARR, churn, NPS group vs renewal). Each view reads its GET form and calls one ``behaviour`` function; a bad
parameter shows the form with its error (400). Charts are server-side SVG (``web.plots``, ``core.ux_svg``)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cxloop.analytics import metrics_service
from cxloop.analytics.metrics_service import MetricsError
from cxloop.behaviour import loyalty as loyalty_service
from cxloop.behaviour import retention as retention_service
from cxloop.behaviour import ux
from cxloop.core import metrics, ux_svg
from cxloop.core.ux import HEART_SIGNALS
from cxloop.orgs.access import READ, Actor
from cxloop.orgs.models import Organization
from cxloop.web import plots
from cxloop.web.dashboard_forms import DATE, check_range
from cxloop.web.decorators import org_page

SIGNAL_LABELS = {"happiness": gettext_lazy("Happiness"), "engagement": gettext_lazy("Engagement"),
                 "adoption": gettext_lazy("Adoption"), "retention": gettext_lazy("Retention"),
                 "task_success": gettext_lazy("Task success")}
MEASURE_LABELS = {"csat": gettext_lazy("CSAT (top-2-box)"), "nps": gettext_lazy("Net Promoter Score"),
                  "sus": gettext_lazy("SUS (mean, 0–100)")}
STATUS_LABELS = {"met": gettext_lazy("Target met"), "missed": gettext_lazy("Target missed"),
                 "unclear": gettext_lazy("Not clear yet")}
GROUP_LABELS = {"promoter": gettext_lazy("Promoters (9–10)"), "passive": gettext_lazy("Passives (7–8)"),
                "detractor": gettext_lazy("Detractors (0–6)"), "none": gettext_lazy("Not asked")}


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def _chart_language() -> str:
    return (get_language() or "en").lower()


# --- forms ---------------------------------------------------------------------------------------------------


class BehaviourForm(forms.Form):
    """The section's GET filters: the local date range (default: the ``months`` months up to today) and a
    segment; subclasses add their own."""

    months = 12
    segment = forms.TypedChoiceField(label=gettext_lazy("Segment"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: Any, *, org: Organization, today: date | None = None) -> None:
        today = today or metrics_service.local_today()
        query = data.copy() if isinstance(data, QueryDict) else QueryDict(urlencode(data or {}), mutable=True)
        if not query.get("to"):
            query["to"] = today.isoformat()
        if not query.get("from"):
            try:
                end = date.fromisoformat(str(query["to"]))
            except ValueError:
                end = today
            query["from"] = metrics_service.add_months(end, -(self.months - 1)).isoformat()
        super().__init__(query)
        self.org = org
        dates = {"from": forms.DateField(label=gettext_lazy("From"), widget=DATE),
                 "to": forms.DateField(label=gettext_lazy("To"), widget=DATE)}
        self.fields = {**dates, **self.fields}
        from cxloop.segments.queries import segment_choices

        self.fields["segment"].choices = [("", _("All contacts")), *segment_choices(org)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_range(self, data.get("from"), data.get("to"))
        return data

    def scope(self) -> ux.Scope:
        d = self.cleaned_data
        return ux.Scope(self.org, d["from"], d["to"], d.get("segment"), d.get("area") or "", d.get("task") or "")

    def keep(self) -> str:
        """The filters as a query string, for the links between the section's pages."""
        pairs = [(name, self.data.get(name)) for name in ("from", "to", "segment")
                 if self.data.get(name) and name not in self.errors]
        return urlencode(pairs)


def _choices(values: list[str], everything: str) -> list[tuple[str, str]]:
    return [("", everything), *[(v, v) for v in values]]


class ScorecardForm(BehaviourForm):
    area = forms.ChoiceField(label=gettext_lazy("Product area"), required=False)
    measure = forms.ChoiceField(label=gettext_lazy("Happiness measure"), required=False,
                                choices=list(MEASURE_LABELS.items()))
    target_happiness = forms.FloatField(label=gettext_lazy("Target: happiness"), required=False, min_value=-100,
                                        max_value=100)
    target_engagement = forms.FloatField(label=gettext_lazy("Target: events per person per week"), required=False,
                                         min_value=0, max_value=10000)
    target_adoption = forms.FloatField(label=gettext_lazy("Target: adoption (%)"), required=False, min_value=0,
                                       max_value=100)
    target_retention = forms.FloatField(label=gettext_lazy("Target: retention (%)"), required=False, min_value=0,
                                        max_value=100)
    target_task_success = forms.FloatField(label=gettext_lazy("Target: task success (%)"), required=False,
                                           min_value=0, max_value=100)

    def __init__(self, data: Any, *, org: Organization, today: date | None = None) -> None:
        super().__init__(data, org=org, today=today)
        self.fields["area"].choices = _choices(  # type: ignore[attr-defined]
            ux.known_values(org, "area", ("feature_used", *ux.TASK_EVENTS)), _("All areas"))

    def targets(self) -> dict[str, float]:
        """In the signals' units: the percentages of the rate signals as 0..1."""
        out = {}
        for name in HEART_SIGNALS:
            value = self.cleaned_data.get(f"target_{name}")
            if value is not None:
                out[name] = value / 100 if name in ux.RATE_SIGNALS else value
        return out


class TaskForm(BehaviourForm):
    area = forms.ChoiceField(label=gettext_lazy("Product area"), required=False)
    task = forms.ChoiceField(label=gettext_lazy("Task"), required=False)

    def __init__(self, data: Any, *, org: Organization, today: date | None = None) -> None:
        super().__init__(data, org=org, today=today)
        self.fields["area"].choices = _choices(  # type: ignore[attr-defined]
            ux.known_values(org, "area", ux.TASK_EVENTS), _("All areas"))
        self.fields["task"].choices = _choices(  # type: ignore[attr-defined]
            ux.known_values(org, "task", ("task_started",)), _("All tasks"))


class RetentionForm(BehaviourForm):
    pass


class LoyaltyForm(BehaviourForm):
    months = 24
    interval = forms.ChoiceField(label=gettext_lazy("Rates by"), required=False,
                                 choices=[("quarter", gettext_lazy("Quarter")), ("month", gettext_lazy("Month"))])


# --- display helpers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """An estimate as a page shows it: on its display scale, with its unit and decimals."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool
    unit: str = ""
    decimals: int = 0


def shown(e: metrics.Estimate | None, *, scale: float = 1.0, unit: str = "", decimals: int = 0) -> Shown | None:
    if e is None:
        return None

    def f(x: float | None) -> float | None:
        return None if x is None else x * scale

    return Shown(f(e.value), f(e.low), f(e.high), e.n, e.too_few, unit, decimals)


def pct(e: metrics.Estimate | None, decimals: int = 0) -> Shown | None:
    return shown(e, scale=100.0, unit="%", decimals=decimals)


def hundred(e: metrics.Estimate) -> tuple[float | None, float | None, float | None]:
    """(value, low, high) of a 0..1 estimate in percent, for the charts."""
    return tuple(None if x is None else x * 100 for x in (e.value, e.low, e.high))  # type: ignore[return-value]


def money(x: float) -> str:
    """An ARR sum with thousands separators (the currency is the organisation's; ARR is not converted)."""
    return f"{x:,.0f}"


def svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _render(request: HttpRequest, template: str, form: BehaviourForm, tab: str, context: dict[str, Any]
            ) -> HttpResponse:
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, "keep": form.keep() if form.is_bound else "",
                                      "section": "behaviour", "tab": tab, **context}, status=status)


def _fail(form: BehaviourForm, exc: MetricsError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- the scorecard -------------------------------------------------------------------------------------------

HAPPINESS_SCALES = {"csat": (0.0, 100.0, "%", 0), "nps": (-100.0, 100.0, "", 0), "sus": (0.0, 100.0, "", 1)}


@dataclass(frozen=True)
class SignalShown:
    key: str
    label: str
    value: Shown | None
    status: str | None
    status_label: str
    strip: str  # data URI of the interval strip ("" without a value)
    note: str = ""


def _heart_cards(h: ux.Heart) -> list[dict[str, Any]]:
    lo_h, hi_h, unit_h, dec_h = HAPPINESS_SCALES[h.measure]
    top_engagement = max([a.card.engagement.high or a.card.engagement.value or 0 for a in h.areas
                          if a.card.engagement is not None and a.card.engagement.value is not None] + [1.0])
    cards = []
    for a in h.areas:
        rows = []
        for name in HEART_SIGNALS:
            e = getattr(a.card, name)
            target = h.targets.get(name)
            if name == "happiness":
                value, lo, hi = shown(e, unit=unit_h, decimals=dec_h), lo_h, hi_h
                note = str(MEASURE_LABELS[h.measure])
            elif name == "engagement":
                value, lo, hi = shown(e, decimals=2), 0.0, float(top_engagement)
                note = _("events per person per week")
            else:
                value, lo, hi = pct(e), 0.0, 100.0
                target = None if target is None else target * 100
                note = ""
            status = a.card.grades.get(name)
            label = f"{SIGNAL_LABELS[name]}: " + ("—" if value is None or value.value is None else
                                                   f"{value.value:.{value.decimals}f}{value.unit}")
            strip = ""
            if value is not None and value.value is not None:
                strip = svg_uri(ux_svg.interval_strip(value.value, value.low, value.high, lo=lo, hi=hi, target=target,
                                                      status=status, label=label))
            rows.append(SignalShown(name, str(SIGNAL_LABELS[name]), value, status,
                                    str(STATUS_LABELS.get(status or "", "")), strip, note))
        cards.append({"area": a.card.area, "people": a.people, "touchpoints": a.touchpoints, "signals": rows})
    return cards


@require_safe
@org_page(READ)
def scorecard(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ScorecardForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org}
    if form.is_valid():
        scope = form.scope()
        try:
            use = ux.usage(scope)
            heart = ux.heart(scope, measure=form.cleaned_data.get("measure") or "csat", targets=form.targets(),
                             active=use.active)
        except MetricsError as exc:
            _fail(form, exc)
        else:
            features = ux.feature_adoption(scope, use.active)
            language = _chart_language()
            context.update(
                heart=heart, cards=_heart_cards(heart), usage=use, stickiness=None if use.stickiness is None else
                use.stickiness * 100, usability=ux.usability(actor.org, scope.start, scope.end, segment=scope.segment),
                views=ux.page_views(scope),
                features=[(f, pct(f.adoption)) for f in features],
                active_chart=plots.figure(
                    plots.columns, values=[(m.month.strftime("%Y-%m"), float(m.active)) for m in use.monthly],
                    title=_("Active people per month"), value_label=_("Active people"), language=language),
                feature_chart=plots.figure(
                    plots.bars, rows=[plots.Bar(f.feature, *hundred(f.adoption)) for f in features[:12]],
                    title=_("Feature adoption: share of active people, with 95%% intervals") % {},
                    value_label=_("Share of active people"), significant_label="", bounds=(0.0, 100.0), step=10.0,
                    language=language, formatter=lambda v: f"{v:.0f}%") if features else None,
                measure_label=MEASURE_LABELS[heart.measure])
    return _render(request, "web/behaviour/scorecard.html", form, "scorecard", context)


# --- tasks ---------------------------------------------------------------------------------------------------


def _task_chart(row: ux.TaskRow) -> plots.Figure:
    points = [plots.Point(m.month.strftime("%Y-%m"), *hundred(m.failure_rate), m.attempts, m.rise,
                          m.failure_rate.too_few) for m in row.months]
    return plots.figure(
        plots.trend, points=points,
        title=_("Failure rate of %(task)s by month, with 95%% intervals") % {"task": row.task},
        value_label=_("Failure rate"), band_label=_("95%% interval") % {},
        significant_label=_("Rise vs the 3 months before (99%%)") % {}, few_label=_("Fewer than 30 attempts"),
        bounds=(0.0, 100.0), step=5.0, language=_chart_language(), formatter=lambda v: f"{v:.0f}%")


@require_safe
@org_page(READ)
def tasks(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = TaskForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org}
    if form.is_valid():
        report = ux.task_report(form.scope())
        rows = sorted(report.rows, key=lambda r: (not r.rises, -r.starts, r.task))
        context.update(report=report, rows=[{
            "row": r, "success": pct(r.success), "abandonment": pct(r.abandonment), "error_rate": pct(r.error_rate),
            "time": shown(r.time_on_task, unit=" s", decimals=1),
            "months": [(m, pct(m.failure_rate)) for m in r.months],
            "rises": [{"month": m.month, "now": (m.failure_rate.value or 0) * 100, "p": m.baseline.p_value,
                       "before": (m.failure_rate.value or 0) * 100 - (m.baseline.difference or 0)}
                      for m in r.rises if m.baseline is not None],
            "chart": _task_chart(r)} for r in rows])
    return _render(request, "web/behaviour/tasks.html", form, "tasks", context)


# --- retention -----------------------------------------------------------------------------------------------


@require_safe
@org_page(READ)
def retention(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = RetentionForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org}
    if form.is_valid():
        data = retention_service.retention(form.scope())
        c = data.cohorts
        grid = []
        for i, row in enumerate(c.rows):
            cells: list[dict[str, Any] | None] = []
            for k in range(1, c.periods + 1):
                if k <= len(row.cells):
                    e = row.cells[k - 1]
                    step = ux_svg.heat_step(e.value)
                    cells.append({"shown": pct(e), "heat": "" if step is None else f"heat-{step}",
                                  "partial": c.is_partial(i, k), "retained": None if e.value is None else
                                  round(e.value * row.size)})
                else:
                    cells.append(None)
            grid.append({"label": row.label, "size": row.size, "cells": cells})
        points = [plots.Point(_("Month %(k)s") % {"k": k}, *hundred(e), e.n, False, e.too_few)
                  for k, e in enumerate(c.average, start=1)]
        chart = plots.figure(
            plots.interval_trend, points=points,
            title=_("Average retention by months since sign-up, with 95%% intervals") % {},
            value_label=_("Retained"), band_label=_("95%% interval") % {}, few_label=_("Fewer than 30 people"),
            bounds=(0.0, 100.0), step=5.0, language=_chart_language(),
            formatter=lambda v: f"{v:.0f}%") if points else None
        context.update(data=data, grid=grid, offsets=list(range(1, c.periods + 1)), curve=chart,
                       average=[pct(e) for e in c.average], repurchase=pct(data.repurchase.rate),
                       repurchase_before=pct(data.repurchase.previous), churn=pct(data.churn.churn))
    return _render(request, "web/behaviour/retention.html", form, "retention", context)


# --- loyalty -------------------------------------------------------------------------------------------------


def _rates_shown(r: loyalty_service.Rates) -> dict[str, Any]:
    return {"r": r, "renewal": pct(r.renewal), "churn": pct(r.churn), "arr_renewal": pct(r.arr_renewal)}


@require_safe
@org_page(READ)
def loyalty(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = LoyaltyForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org}
    if form.is_valid():
        try:
            data = loyalty_service.loyalty(form.scope(), interval=form.cleaned_data.get("interval") or "quarter")
        except MetricsError as exc:
            _fail(form, exc)
        else:
            language = _chart_language()
            groups = [{"group": g.group, "label": GROUP_LABELS[g.group], **_rates_shown(g.rates)} for g in data.groups]
            verdict = None
            if data.verdict is not None:
                v = data.verdict
                points = v.points or 0.0
                verdict = {"v": v, "points": abs(points), "more": points >= 0, "significant": v.significant,
                           "promoters": pct(v.promoters.renewal), "detractors": pct(v.detractors.renewal),
                           "p": v.comparison.p_value}
            group_chart = plots.figure(
                plots.bars, rows=[plots.Bar(str(g["label"]), *hundred(g["r"].renewal)) for g in groups],
                title=_("Renewal rate of accounts by NPS group, with 95%% intervals") % {},
                value_label=_("Renewal rate"), significant_label="", bounds=(0.0, 100.0), step=10.0,
                language=language, formatter=lambda v: f"{v:.0f}%") if groups else None
            trend = plots.figure(
                plots.interval_trend, points=[plots.Point(p.label, *hundred(p.rates.renewal), p.rates.decisions, False,
                                                          p.rates.renewal.too_few) for p in data.periods],
                title=_("Renewal rate by period (accounts), with 95%% intervals") % {},
                value_label=_("Renewal rate"), band_label=_("95%% interval") % {},
                few_label=_("Fewer than 30 decisions"), bounds=(0.0, 100.0), step=5.0, language=language,
                formatter=lambda v: f"{v:.0f}%") if data.overall.decisions else None
            context.update(data=data, overall=_rates_shown(data.overall), groups=groups, verdict=verdict,
                           group_chart=group_chart, trend=trend,
                           periods=[{"p": p, **_rates_shown(p.rates)} for p in data.periods],
                           respondents=[{"row": r, "label": GROUP_LABELS[r.group], "renewal": pct(r.renewal)}
                                        for r in data.respondents],
                           arr_churned=money(data.overall.arr - data.overall.arr_renewed),
                           arr_renewed=money(data.overall.arr_renewed), arr_total=money(data.overall.arr))
    return _render(request, "web/behaviour/loyalty.html", form, "loyalty", context)
