"""Measures: the metric queries department KPIs and action plans are defined by. A measure is a JSON dict (a
*spec*) naming one of the product's existing numbers; this module validates it and computes it per month or over
a window of whole months with the very service that shows it elsewhere (same counts, same interval method):

* ``survey`` — ``analytics.metrics_service.compute`` of one question (``GET /api/v1/metrics``): NPS in points,
  CSAT and the CES agree share in percent, a mean on the question's scale.
* ``ux_task_failure`` — a task's failure rate (failed / (completed + failed)) from ``behaviour.ux.task_report``,
  adjusted-Wald; lower is better.
* ``renewal`` — the renewal rate by count from ``behaviour.loyalty.loyalty``, Wilson.
* ``theme_share`` — the share of analysed comments mentioning a theme, as on the theme pages, Wilson; lower is
  better.
* ``loop`` — ``cases.kpis.loop_kpis``' SLA, closure or rescue rate of one team (or all), cases counted in the
  month opened, Wilson.

Every rate is in percent (0..100): the interval is rebuilt with ``scale=100`` from the source's counts, so its
``basis`` is a ``metrics.Proportion`` and ``metrics.compare`` gives the difference in percentage points. Months
are local (``settings.TIME_ZONE``) and named by their first day; a month without data has n = 0 and no value."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext

from cxloop.analytics import explore, metrics_service, rollups
from cxloop.behaviour import loyalty as loyalty_service
from cxloop.behaviour import ux
from cxloop.cases import kpis
from cxloop.core import metrics
from cxloop.orgs.models import Organization, Team
from cxloop.orgs.services import ServiceError
from cxloop.surveys.models import Survey
from cxloop.texts import services as texts
from cxloop.texts.models import CommentAnalysis, ThemeHit

KINDS = ("survey", "ux_task_failure", "renewal", "theme_share", "loop")
LOOP_MEASURES = ("sla", "closure", "rescue")
FILTERS = ("touchpoint", "channel", "tier")
KEYS: dict[str, tuple[str, ...]] = {"survey": ("survey", "question", "metric", *FILTERS), "ux_task_failure": ("task",),
                                    "renewal": (), "theme_share": ("theme", "touchpoint"), "loop": ("measure", "team")}
LOWER_IS_BETTER = ("ux_task_failure", "theme_share")
ONE_DAY = timedelta(days=1)
Counts = dict[date, tuple[int, int]]  # {month: (successes, n)}


class MeasureError(ServiceError):
    """A spec or request that cannot be measured; ``field`` names the key at fault (``measure.kind``)."""

    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


def _error(field: str, key: str, message: str, status: int = 422) -> MeasureError:
    path = f"{field}.{key}" if key else field
    return MeasureError(f"{path}: {message}", field=path, status=status)


# --- validation -----------------------------------------------------------------------------------------------


def _text(raw: dict[str, Any], key: str, field: str, *, required: bool = False) -> str:
    value = raw.get(key)
    value = "" if value is None else value
    if isinstance(value, str):
        value = value.strip()
    if not isinstance(value, str) or (value and not ux.NAME.fullmatch(value)):
        raise _error(field, key, "text of 1 to 100 printable characters")
    if required and not value:
        raise _error(field, key, "required")
    return value


def _id(raw: dict[str, Any], key: str, field: str) -> int:
    value = raw.get(key)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _error(field, key, "an id (a positive whole number)")
    return value


def _clean_survey(org: Organization, raw: dict[str, Any], field: str) -> dict[str, Any]:
    survey = Survey.objects.filter(org=org, pk=_id(raw, "survey", field)).first()
    if survey is None:
        raise _error(field, "survey", "not found", 404)
    question = _text(raw, "question", field, required=True)
    try:
        scale, _asked = metrics_service.find_scale([survey], question)
    except metrics_service.MetricsError as e:
        raise _error(field, "question", e.message.removeprefix("question: ")) from e
    metric = _text(raw, "metric", field) or metrics_service.default_metric(scale)
    if metric not in metrics_service.METRICS:
        raise _error(field, "metric", f"use one of {', '.join(metrics_service.METRICS)}")
    try:
        metrics_service._check_metric(metric, scale)
    except metrics_service.MetricsError as e:
        raise _error(field, "metric", e.message.removeprefix("metric: ")) from e
    return {"survey": survey.pk, "question": question, "metric": metric,
            **{name: _text(raw, name, field) for name in FILTERS}}


def clean_measure(org: Organization, raw: Any, field: str = "measure") -> dict[str, Any]:
    """The normalised spec (every key of its kind present), or MeasureError naming ``<field>.<key>``; a survey or
    team of another organisation is a 404."""
    if not isinstance(raw, dict):
        raise _error(field, "", "a JSON object with a kind")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _error(field, "kind", f"use one of {', '.join(KINDS)}")
    for key in raw:
        if key != "kind" and key not in KEYS[kind]:
            raise _error(field, str(key), f"not a key of a {kind} measure")
    spec: dict[str, Any] = {"kind": kind}
    if kind == "survey":
        spec.update(_clean_survey(org, raw, field))
    elif kind == "ux_task_failure":
        spec["task"] = _text(raw, "task", field, required=True)
    elif kind == "theme_share":
        theme = _text(raw, "theme", field, required=True)
        if texts.matcher(org)[0].codeframe.get(theme) is None:
            raise _error(field, "theme", "not a theme of the organisation's codeframe")
        spec.update(theme=theme, touchpoint=_text(raw, "touchpoint", field))
    elif kind == "loop":
        measure = raw.get("measure")
        if not isinstance(measure, str) or measure not in LOOP_MEASURES:
            raise _error(field, "measure", f"use one of {', '.join(LOOP_MEASURES)}")
        team = None if raw.get("team") is None else _id(raw, "team", field)
        if team is not None and not Team.objects.filter(org=org, pk=team).exists():
            raise _error(field, "team", "not found", 404)
        spec.update(measure=measure, team=team)
    return spec


# --- labels -----------------------------------------------------------------------------------------------------


def default_direction(spec: dict[str, Any]) -> str:
    return "lower" if spec["kind"] in LOWER_IS_BETTER else "higher"


def unit(spec: dict[str, Any]) -> str:
    if spec["kind"] == "survey":
        return {"nps": "points", "mean": ""}.get(spec["metric"], "%")
    return "%"


def describe(spec: dict[str, Any], language: str, org: Organization | None = None) -> str:
    """A short label in ``language``, e.g. "NPS · support"; with ``org`` the theme's label and the team's name."""
    with translation.override(language):
        kind = spec["kind"]
        parts: list[str]
        if kind == "survey":
            names = {"nps": gettext("NPS"), "csat": gettext("CSAT"), "agree": gettext("CES agree share"),
                     "mean": gettext("Mean of %(question)s") % {"question": spec["question"]}}
            parts = [names[spec["metric"]], *(spec.get(name, "") for name in FILTERS)]
        elif kind == "ux_task_failure":
            parts = [gettext("Failure rate of %(task)s") % {"task": spec["task"]}]
        elif kind == "renewal":
            parts = [gettext("Renewal rate")]
        elif kind == "theme_share":
            label = texts.matcher(org)[0].codeframe.label(spec["theme"], language) if org else spec["theme"]
            parts = [gettext("Share of comments about %(theme)s") % {"theme": label}, spec.get("touchpoint", "")]
        else:
            names = {"sla": gettext("SLA attainment"), "closure": gettext("Closure rate"),
                     "rescue": gettext("Rescue rate")}  # as on the loop KPI page
            team = ""
            if org is not None and spec.get("team") is not None:
                team = Team.objects.filter(org=org, pk=spec["team"]).values_list("name", flat=True).first() or ""
            parts = [names[spec["measure"]], team]
        return " · ".join(p for p in parts if p)


# --- numbers ----------------------------------------------------------------------------------------------------


def _month_end(month: date) -> date:
    return metrics_service.add_months(month, 1) - ONE_DAY


def _span(first: date, last: date) -> list[date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = metrics_service.add_months(m, 1)
    return out


def _survey(org: Organization, spec: dict[str, Any], start: date, end: date, interval: str | None,
            confidence: float) -> metrics_service.Result:
    survey = Survey.objects.filter(org=org, pk=spec["survey"]).first()
    if survey is None:
        raise _error("measure", "survey", "not found", 404)
    return metrics_service.compute(
        org=org, surveys=[survey], question=spec["question"], metric=spec["metric"], start=start, end=end,
        interval=interval, filters={name: spec[name] for name in FILTERS if spec.get(name)}, confidence=confidence)


def _by_month(qs: QuerySet[Any]) -> dict[date, int]:
    """{local month: rows}, grouped as analytics.themes does."""
    zone = timezone.get_default_timezone()
    rows = qs.annotate(cx_month=TruncMonth("submitted_at", tzinfo=zone)).values("cx_month").annotate(n=Count("pk"))
    return {(r["cx_month"].date() if hasattr(r["cx_month"], "date") else r["cx_month"]): int(r["n"])
            for r in rows.order_by()}


def _theme_counts(org: Organization, spec: dict[str, Any], start: date, end: date) -> Counts:
    since, until = rollups.day_start(start), rollups.day_start(end + ONE_DAY)
    analyses = CommentAnalysis.objects.filter(org=org, submitted_at__gte=since, submitted_at__lt=until)
    hits = ThemeHit.objects.filter(org=org, theme=spec["theme"], submitted_at__gte=since, submitted_at__lt=until)
    if spec.get("touchpoint"):
        ids = tuple(Survey.objects.filter(org=org).values_list("pk", flat=True))
        chosen = explore.responses(explore.Scope(org, ids, start, end, {"touchpoint": spec["touchpoint"]}))
        analyses = analyses.filter(response__in=chosen.values("pk"))
        hits = hits.filter(response__in=chosen.values("pk"))
    found = _by_month(hits)
    return {m: (found.get(m, 0), n) for m, n in _by_month(analyses).items()}


def _counts(org: Organization, spec: dict[str, Any], months: list[date]) -> Counts:
    """{month: (successes, n)} of a rate measure over the consecutive ``months``."""
    start, end, kind = months[0], _month_end(months[-1]), spec["kind"]
    if kind == "ux_task_failure":
        report = ux.task_report(ux.Scope(org, start, end, task=spec["task"]))
        row = next((r for r in report.rows if r.task == spec["task"]), None)
        return {m.month: (m.failures, m.attempts) for m in (row.months if row else [])}
    if kind == "renewal":
        data = loyalty_service.loyalty(ux.Scope(org, start, end), interval="month")
        return {p.start: (p.rates.renewed, p.rates.decisions) for p in data.periods}
    if kind == "theme_share":
        return _theme_counts(org, spec, start, end)
    # loop_kpis: the ``months`` months up to ``today``'s, cases counted in the month opened; with team_ids the
    # first group ("all teams") holds that team's cases alone
    teams = None if spec["team"] is None else [spec["team"]]
    group = kpis.loop_kpis(org, today=end, months=len(months), team_ids=teams)[0]
    out: Counts = {}
    for m in group.months:
        basis = getattr(m, spec["measure"]).basis
        assert isinstance(basis, metrics.Proportion)
        out[m.month] = (basis.successes, basis.n)
    return out


def _rate(spec: dict[str, Any]) -> Callable[..., metrics.Estimate]:
    return metrics.adjusted_wald if spec["kind"] == "ux_task_failure" else metrics.wilson


def estimate(org: Organization, spec: dict[str, Any], first: date, last: date,
             confidence: float = 0.95) -> metrics.Estimate:
    """The measure over the whole months ``first``..``last`` (inclusive), e.g. a plan's baseline window."""
    first, last = first.replace(day=1), last.replace(day=1)
    if first > last:
        raise _error("first", "", "must not be after last")
    if spec["kind"] == "survey":
        return _survey(org, spec, first, _month_end(last), None, confidence).items[0].estimate
    counts = _counts(org, spec, _span(first, last))
    successes = sum(s for m, (s, _n) in counts.items() if first <= m <= last)
    n = sum(n for m, (_s, n) in counts.items() if first <= m <= last)
    return _rate(spec)(successes, n, confidence, scale=100.0)


def monthly(org: Organization, spec: dict[str, Any], months: Sequence[date],
            confidence: float = 0.95) -> dict[date, metrics.Estimate]:
    """One estimate per month (first days); one query batch over the span of ``months``."""
    wanted = sorted({m.replace(day=1) for m in months})
    if not wanted:
        return {}
    span = _span(wanted[0], wanted[-1])
    if spec["kind"] == "survey":
        items = _survey(org, spec, span[0], _month_end(span[-1]), "month", confidence).items
        found = {i.period: i.estimate for i in items}
        return {m: found[m] for m in wanted}
    counts, rate = _counts(org, spec, span), _rate(spec)
    return {m: rate(*counts.get(m, (0, 0)), confidence, scale=100.0) for m in wanted}
