"""Funnels API: saved funnels (``GET``/``POST /funnels``, ``GET``/``PUT``/``DELETE /funnels/{id}``), a saved
funnel's figures for a period (``GET /funnels/{id}/result?from=&to=&segment=&group=&attribute=``) and an ad-hoc
definition's (``POST /funnels/compute``). See docs/funnels.md.

The organisation comes from the API key (or ``?org=`` for a signed-in user). Reading needs the viewer role,
computing an ad-hoc definition the member role, changing saved funnels the analyst role; another
organisation's funnel, journey or segment is a 404, a bad input a 422 naming the field (``steps[2].event``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from cxloop.api.schemas import Day, Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.behaviour import funnels
from cxloop.behaviour.models import Funnel
from cxloop.core import metrics
from cxloop.journeys import queries as journey_queries
from cxloop.orgs.access import ANALYSE, WORK, Actor
from cxloop.segments import queries as segment_queries

router = Router(tags=["funnels"])
MAX_DAYS = 731


def _n(value: float | None, places: int = 6) -> float | None:
    return None if value is None else round(value, places)


def _estimate(e: metrics.Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"value": _n(e.value), "ci_low": _n(e.low), "ci_high": _n(e.high), "n": e.n}


def _comparison(c: metrics.Comparison | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"difference_points": _n(c.difference, 4), "ci_low": _n(c.low, 4), "ci_high": _n(c.high, 4),
            "p_value": _n(c.p_value), "significant": c.significant, "method": c.method}


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or "en"


def funnel_out(f: Funnel) -> dict[str, Any]:
    return {"id": f.pk, "name": f.name, "steps": f.steps, "window_days": f.window_days, "journey": f.journey_id,
            "created_at": f.created_at.isoformat(), "updated_at": f.updated_at.isoformat()}


def result_out(result: funnels.FunnelResult, language: str) -> dict[str, Any]:
    steps = []
    for step, fig in zip(result.steps, result.figures, strict=True):
        steps.append({"index": fig.index, "step": step.as_json() if not step.touchpoints else
                      {"stage": step.label, "touchpoints": list(step.touchpoints)},
                      "reached": fig.reached, "from_previous": _estimate(fig.from_previous),
                      "from_start": _estimate(fig.from_start), "dropped": fig.dropped,
                      "median_seconds_from_previous": _estimate(fig.time_from_previous)})
    drop = result.biggest_drop
    out: dict[str, Any] = {"from": result.start.isoformat(), "to": result.end.isoformat(),
                           "window_days": result.window_days, "entered": result.entered,
                           "overall": _estimate(result.overall), "steps": steps,
                           "biggest_drop_step": drop.index if drop else None}
    if result.grouping is not None:
        g = result.grouping
        out["groups"] = {"by": g.kind, "segment": g.segment.pk if g.segment is not None else None,
                         "attribute": g.key or None,
                         "rows": [{"key": None if row.key in (funnels.NONE, funnels.OTHER) else row.key,
                                   "kind": {funnels.NONE: "none", funnels.OTHER: "other"}.get(row.key, "value"),
                                   "reached": list(row.reached),
                                   "from_previous": [_estimate(e) for e in row.from_previous],
                                   "vs_rest": [_comparison(c) for c in row.vs_rest],
                                   "overall": _estimate(row.overall),
                                   "overall_vs_rest": _comparison(row.overall_vs_rest)} for row in result.groups]}
    return out


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    default = funnels.default_period()
    start, end = start or (end - timedelta(days=89) if end else default[0]), end or default[1]
    if end < start:
        raise funnels.FunnelError("to: must be on or after from", field="to")
    if (end - start).days >= MAX_DAYS:
        raise funnels.FunnelError(f"from: at most {MAX_DAYS} days from from to to", field="from")
    return start, end


def _grouping(a: Actor, segment: int | None, group: str | None, attribute: str | None) -> funnels.Grouping | None:
    if segment is not None:
        return funnels.Grouping("segment", segment_queries.segment(a.org, segment))
    if not group:
        return None
    if group == "tier":
        return funnels.Grouping("tier")
    if group == "attribute":
        key = (attribute or "").strip()
        if not key or len(key) > 64:
            raise funnels.FunnelError("attribute: name the contact attribute (1–64 characters)", field="attribute")
        return funnels.Grouping("attribute", key=key)
    raise funnels.FunnelError("group: use tier or attribute (or segment=<id>)", field="group")


def _compute(a: Actor, steps: list[funnels.StepDef], window_days: int, start: date | None, end: date | None,
             grouping: funnels.Grouping | None, language: str) -> dict[str, Any]:
    first, last = _period(start, end)
    if len(steps) < 1:
        raise funnels.FunnelError("journey: the journey has no stage with a touchpoint", field="journey")
    return result_out(funnels.compute(a.org, steps, first, last, window_days=window_days, grouping=grouping),
                      language)


class FunnelIn(Schema):
    name: Any = None
    steps: Any = None
    window_days: Any = None
    journey: Id | None = None


@router.get("/funnels", response={200: dict[str, Any], **ERRORS}, summary="The organisation's saved funnels")
def list_funnels(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"items": [funnel_out(f) for f in funnels.funnels(a.org)]}


@router.post("/funnels", response={201: dict[str, Any], **ERRORS}, summary="Save a funnel (docs/funnels.md)")
def create_funnel(request: HttpRequest, body: FunnelIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    journey = journey_queries.journey(a.org, body.journey) if body.journey is not None else None
    f = funnels.save_funnel(org=a.org, name=body.name, steps=body.steps, window_days=body.window_days,
                            journey=journey, actor=a.user, api_key=a.api_key)
    return Status(201, funnel_out(f))


class ComputeIn(Schema):
    steps: Any = None
    journey: Any = None
    window_days: Any = None
    start: Any = Field(None, alias="from")
    end: Any = Field(None, alias="to")
    segment: Any = None
    group: Any = None
    attribute: Any = None


@router.post("/funnels/compute", response={200: dict[str, Any], **ERRORS},
             summary="Compute an ad-hoc funnel: {steps | journey, window_days, from, to, segment, group, attribute}")
def compute_funnel(request: HttpRequest, payload: ComputeIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)  # a read, but by POST: members and above (viewers read saved funnels' results)
    body = {"steps": payload.steps, "journey": payload.journey, "window_days": payload.window_days,
            "from": payload.start, "to": payload.end, "segment": payload.segment, "group": payload.group,
            "attribute": payload.attribute}
    if body.get("journey") is not None:
        journey_id = body["journey"]
        if not isinstance(journey_id, int) or isinstance(journey_id, bool):
            raise funnels.FunnelError("journey: the journey's id (a number)", field="journey")
        steps = funnels.journey_steps(journey_queries.journey(a.org, journey_id), _language(request))
    else:
        steps = funnels.parse_steps(body.get("steps"))
    window = funnels.clean_window(body.get("window_days"))
    dates = {}
    for name in ("from", "to"):
        raw = body.get(name)
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except (TypeError, ValueError):
            raise funnels.FunnelError(f"{name}: a date as YYYY-MM-DD", field=name) from None
    segment = body.get("segment")
    if segment is not None and (not isinstance(segment, int) or isinstance(segment, bool)):
        raise funnels.FunnelError("segment: the segment's id (a number)", field="segment")
    grouping = _grouping(a, segment, body.get("group"), body.get("attribute"))
    return _compute(a, steps, window, dates["from"], dates["to"], grouping, _language(request))


@router.get("/funnels/{funnel_id}", response={200: dict[str, Any], **ERRORS}, summary="One saved funnel")
def get_funnel(request: HttpRequest, funnel_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    return funnel_out(funnels.funnel(a.org, funnel_id))


@router.put("/funnels/{funnel_id}", response={200: dict[str, Any], **ERRORS}, summary="Change a saved funnel")
def update_funnel(request: HttpRequest, funnel_id: int, body: FunnelIn, org: str | None = None) -> Any:
    a = caller(request, org)
    f = funnels.funnel(a.org, funnel_id)
    a.require(ANALYSE)
    given = body.model_dump(exclude_unset=True)
    if "journey" in given:
        journey = journey_queries.journey(a.org, given["journey"]) if given["journey"] is not None else None
    else:
        journey = f.journey
    f = funnels.save_funnel(org=a.org, funnel=f, name=given.get("name", f.name),
                            steps=given.get("steps", f.steps), window_days=given.get("window_days", f.window_days),
                            journey=journey, actor=a.user, api_key=a.api_key)
    return funnel_out(f)


@router.delete("/funnels/{funnel_id}", response={204: None, **ERRORS}, summary="Delete a saved funnel")
def delete_funnel(request: HttpRequest, funnel_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    f = funnels.funnel(a.org, funnel_id)
    a.require(ANALYSE)
    funnels.delete_funnel(funnel=f, actor=a.user, api_key=a.api_key)
    return Status(204, None)


class ResultQuery(Schema):
    segment: Id | None = None
    group: str | None = None
    attribute: str | None = None


@router.get("/funnels/{funnel_id}/result", response={200: dict[str, Any], **ERRORS},
            summary="A saved funnel's figures for people entering from..to (?segment=<id> or ?group=tier|attribute)")
def funnel_result(request: HttpRequest, funnel_id: int, filters: Query[ResultQuery], org: str | None = None,
                  start: Day | None = Query(None, alias="from"),  # noqa: B008
                  end: Day | None = Query(None, alias="to")) -> Any:  # noqa: B008
    a = caller(request, org)
    f = funnels.funnel(a.org, funnel_id)
    grouping = _grouping(a, filters.segment, filters.group, filters.attribute)
    out = _compute(a, funnels.steps_of(f, _language(request)), f.window_days, start, end, grouping,
                   _language(request))
    return {"funnel": f.pk, **out}
