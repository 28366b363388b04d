"""Behaviour and UX API (issue 8):

* ``GET /metrics/ux`` — per task: starts, completions, failures, success rate (adjusted-Wald), abandonment, time on
  task (geometric mean, seconds), error rate and the failure rate by month with its test against the three months
  before; page views (top paths); usage (DAU, WAU, MAU, stickiness, active people per month); feature adoption;
  SUS and UMUX-Lite from the surveys; and the HEART scorecard per product area.
* ``GET /retention`` — the cohort table by sign-up month, the repurchase rate and the churn of active people.
* ``GET /loyalty`` — renewal by count and by ARR, churn, per month or quarter, and the renewal and churn rates of
  promoter, passive and detractor accounts with the promoters-vs-detractors test ("does our NPS predict renewal?").

Parameters: ``from``/``to`` (local days, default the twelve months up to today; 24 for ``/loyalty``), ``segment``
(a segment's id: its member contacts' events), and per route ``task``, ``area``, ``measure``, ``target_<signal>``,
``interval``. Every estimate is ``{value, ci_low, ci_high, n, too_few}`` at 95 %; rates are 0..1 (HEART happiness
in its measure's units, engagement in events per person per week). Definitions: docs/ux.md.

The organisation comes from the API key (or ``?org=`` for a signed-in user); the viewer role reads; another
organisation's segment is a 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from cxloop.analytics import metrics_service
from cxloop.api.schemas import Day, Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.behaviour import loyalty as loyalty_service
from cxloop.behaviour import retention as retention_service
from cxloop.behaviour import ux
from cxloop.core import metrics
from cxloop.core.ux import HEART_SIGNALS
from cxloop.orgs.access import READ

router = Router(tags=["behaviour"])


def _n(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def estimate_out(e: metrics.Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"value": _n(e.value), "ci_low": _n(e.low), "ci_high": _n(e.high), "n": e.n, "too_few": e.too_few}


def comparison_out(c: metrics.Comparison | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"difference": _n(c.difference), "ci_low": _n(c.low), "ci_high": _n(c.high), "p_value": _n(c.p_value),
            "significant": c.significant, "method": c.method}


def _range(start: date | None, end: date | None, months: int = 12) -> tuple[date, date]:
    last = end or metrics_service.local_today()
    return start or metrics_service.add_months(last, -(months - 1)), last


class UxParams(Schema):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    task: str = ""
    area: str = ""
    segment: Id | None = None
    measure: str = Field("csat", description="HEART happiness: csat (top-2-box %), nps (points) or sus (0–100)")
    target_happiness: float | None = None
    target_engagement: float | None = None
    target_adoption: float | None = Field(None, description="percent, like target_retention and target_task_success")
    target_retention: float | None = None
    target_task_success: float | None = None


def heart_targets(values: dict[str, float | None]) -> dict[str, float]:
    """Targets as the page and the API take them (rates in percent) → the signals' units (rates 0..1)."""
    out = {}
    for name in HEART_SIGNALS:
        value = values.get(name)
        if value is None:
            continue
        if name in ux.RATE_SIGNALS:
            if not 0 <= value <= 100:
                raise metrics_service.MetricsError(f"target_{name}: a percentage from 0 to 100", field=f"target_{name}")
            value = value / 100
        out[name] = value
    return out


def task_out(row: ux.TaskRow) -> dict[str, Any]:
    return {"task": row.task, "area": row.area, "starts": row.starts, "completions": row.completions,
            "failures": row.failures, "success_rate": estimate_out(row.success),
            "abandonment": estimate_out(row.abandonment), "time_on_task_seconds": estimate_out(row.time_on_task),
            "errors": row.errors, "error_rate": estimate_out(row.error_rate),
            "failure_rate_by_month": [{"month": m.month.isoformat()[:7], "attempts": m.attempts,
                                       "failures": m.failures, "failure_rate": estimate_out(m.failure_rate),
                                       "vs_baseline": comparison_out(m.baseline), "rise": m.rise}
                                      for m in row.months]}


def heart_out(h: ux.Heart) -> dict[str, Any]:
    return {"happiness_measure": h.measure, "active_people": h.active,
            "targets": {k: _n(v) for k, v in h.targets.items()},
            "areas": [{"area": a.card.area, "people": a.people, "touchpoints": a.touchpoints,
                       **{name: {"estimate": estimate_out(getattr(a.card, name)), "status": a.card.grades.get(name)}
                          for name in HEART_SIGNALS}} for a in h.areas]}


@router.get("/metrics/ux", response={200: dict[str, Any], **ERRORS},
            summary="UX metrics: tasks, page views, usage, feature adoption, SUS / UMUX-Lite, HEART per area")
def get_ux(request: HttpRequest, params: Query[UxParams], org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    start, end = _range(params.from_, params.to)
    scope = ux.check_scope(a.org, start, end, segment=params.segment, area=params.area, task=params.task)
    targets = heart_targets({name: getattr(params, f"target_{name}") for name in HEART_SIGNALS})
    report = ux.task_report(scope)
    use = ux.usage(scope)
    views = ux.page_views(scope)
    scorecard = ux.heart(scope, measure=params.measure, targets=targets, active=use.active)
    usable = ux.usability(a.org, start, end, segment=params.segment)
    return {
        "from": start.isoformat(), "to": end.isoformat(), "segment": params.segment, "area": params.area or None,
        "task": params.task or None, "confidence": report.confidence,
        "tasks": [task_out(r) for r in report.rows],
        "page_views": {"views": views.views, "people": views.people,
                       "top_paths": [{"path": p.path, "views": p.views, "people": p.people} for p in views.top]},
        "usage": {"on": use.on.isoformat(), "dau": use.dau, "wau": use.wau, "mau": use.mau,
                  "mean_dau": _n(use.mean_dau), "stickiness": _n(use.stickiness), "active_people": use.active,
                  "active_by_month": [{"month": m.month.isoformat()[:7], "active": m.active} for m in use.monthly]},
        "feature_adoption": [{"feature": f.feature, "area": f.area, "people": f.people, "uses": f.uses,
                              "adoption": estimate_out(f.adoption)} for f in ux.feature_adoption(scope, use.active)],
        "usability": {
            "sus": None if usable.sus is None else {**(estimate_out(usable.sus.mean) or {}),
                                                    "percentile": _n(usable.sus.percentile),
                                                    "grade": usable.sus.grade},
            "umux_lite": estimate_out(usable.umux), "umux_lite_sus_equivalent": _n(usable.umux_sus)},
        "heart": heart_out(scorecard),
    }


class RetentionParams(Schema):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    segment: Id | None = None


@router.get("/retention", response={200: dict[str, Any], **ERRORS},
            summary="Cohort retention by sign-up month, repurchase rate, churn of active people")
def get_retention(request: HttpRequest, params: Query[RetentionParams], org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    start, end = _range(params.from_, params.to)
    scope = ux.check_scope(a.org, start, end, segment=params.segment)
    r = retention_service.retention(scope)
    c = r.cohorts
    return {
        "from": start.isoformat(), "to": end.isoformat(), "segment": params.segment,
        "cohorts": [{"month": row.label, "size": row.size,
                     "retention": [{**(estimate_out(cell) or {}), "month_offset": k + 1,
                                    "partial": c.is_partial(i, k + 1)} for k, cell in enumerate(row.cells)]}
                    for i, row in enumerate(c.rows)],
        "average": [{**(estimate_out(e) or {}), "month_offset": k + 1} for k, e in enumerate(c.average)],
        "repurchase": {"buyers": r.repurchase.buyers, "repeat_buyers": r.repurchase.repeat,
                       "rate": estimate_out(r.repurchase.rate), "previous": estimate_out(r.repurchase.previous),
                       "change_points": comparison_out(r.repurchase.change)},
        "active_churn": {"previously_active": r.churn.previous_active, "kept": r.churn.kept,
                         "churn": estimate_out(r.churn.churn)},
    }


class LoyaltyParams(Schema):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    segment: Id | None = None
    interval: str = "quarter"
    decisions: bool = Field(False, description="list every decision with the account's NPS group")


def rates_out(r: loyalty_service.Rates) -> dict[str, Any]:
    return {"decisions": r.decisions, "renewed": r.renewed, "churned": r.churned,
            "renewal_rate": estimate_out(r.renewal), "churn_rate": estimate_out(r.churn), "arr": _n(r.arr),
            "arr_renewed": _n(r.arr_renewed), "renewal_rate_by_arr": estimate_out(r.arr_renewal)}


@router.get("/loyalty", response={200: dict[str, Any], **ERRORS},
            summary="Renewal by count and ARR, churn, and renewal of promoter / passive / detractor accounts")
def get_loyalty(request: HttpRequest, params: Query[LoyaltyParams], org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    start, end = _range(params.from_, params.to, months=24)
    scope = ux.check_scope(a.org, start, end, segment=params.segment)
    data = loyalty_service.loyalty(scope, interval=params.interval)
    v = data.verdict
    body: dict[str, Any] = {
        "from": start.isoformat(), "to": end.isoformat(), "segment": params.segment, "interval": data.interval,
        "overall": rates_out(data.overall),
        "periods": [{"period": p.label, "start": p.start.isoformat(), **rates_out(p.rates)} for p in data.periods],
        "nps_groups": [{"group": g.group, **rates_out(g.rates)} for g in data.groups],
        "promoters_vs_detractors": None if v is None else {
            "renewal_difference_points": comparison_out(v.comparison), "promoters": rates_out(v.promoters),
            "detractors": rates_out(v.detractors)},
        "respondents": [{"group": r.group, "respondents": r.respondents, "renewed": r.renewed,
                         "renewal_rate": estimate_out(r.renewal)} for r in data.respondents],
        "rule": "account group = NPS category of the mean of its contacts' latest NPS answers in the 365 days "
                "before the decision",
    }
    if params.decisions:
        body["decisions"] = [{"account_id": d.account_id, "account": d.account, "day": d.day.isoformat(),
                              "renewed": d.renewed, "arr": _n(d.arr), "group": d.group, "score": _n(d.score),
                              "respondents": len(d.respondents)} for d in data.decisions]
    return body
