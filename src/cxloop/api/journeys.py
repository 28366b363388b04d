"""Journeys API: touchpoints (``GET``/``POST /touchpoints``), journeys with their stages, steps and blueprint
lanes (``GET /journeys``, ``GET /journeys/{id}`` with live numbers per touchpoint and the emotion curve when
``?metrics=1&from=&to=``), and editing (``POST /journeys``, ``PUT``/``DELETE /journeys/{id}``,
``POST /journeys/{id}/stages``, ``POST /journeys/{id}/steps``, ``PUT``/``DELETE /journeys/{id}/steps/{step}``).

The organisation comes from the API key (or ``?org=`` for a signed-in user). Reading needs the viewer role,
editing the analyst role; another organisation's journey, stage, step or touchpoint is a 404."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from cxloop.analytics import metrics_service
from cxloop.api.schemas import Day, Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.core import metrics
from cxloop.journeys import live, queries
from cxloop.journeys import services as journeys
from cxloop.journeys.models import Journey, Step, Touchpoint
from cxloop.orgs.access import ANALYSE

router = Router(tags=["journeys"])


def _n(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _estimate(e: metrics.Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"value": _n(e.value), "ci_low": _n(e.low), "ci_high": _n(e.high), "n": e.n, "too_few": e.too_few}


def touchpoint_out(t: Touchpoint) -> dict[str, Any]:
    return {"id": t.pk, "key": t.key, "name": t.name, "channel": t.channel, "owner_team": t.owner_team_id,
            "description": t.description}


def _step_out(step: Step) -> dict[str, Any]:
    return {"id": step.pk, "position": step.position, "touchpoint": touchpoint_out(step.touchpoint),
            "lanes": {lane: getattr(step, lane) for lane in journeys.LANES}, "target": step.target}


def _live_out(s: live.StepLive) -> dict[str, Any]:
    return {"volume": s.volume, **{name: _estimate(e) for name, e in s.scores.items()},
            "sentiment": _estimate(s.sentiment), "low_point": s.low_point, "open_cases": s.open_cases,
            "sla_met": _estimate(s.sla),
            "themes": [{"key": t.key, "label": t.label, "comments": t.count} for t in s.themes],
            "pain_points": [{"key": t.key, "label": t.label, "negative_comments": t.count} for t in s.pain_points],
            "thoughts_and_feelings": [{"text": q.text, "sentiment": q.label, "score": _n(q.score),
                                       "response_id": q.response_id} for q in s.quotes]}


def journey_out(j: Journey, language: str, numbers: live.JourneyLive | None = None) -> dict[str, Any]:
    by_step = {s.step.pk: s for s in numbers.steps} if numbers is not None else {}
    stages = []
    for stage, _label, steps in live.structure(j, language):
        items = []
        for step, _step_label in steps:
            out = _step_out(step)
            if numbers is not None:
                out["metrics"] = _live_out(by_step[step.pk])
            items.append(out)
        stages.append({"id": stage.pk, "position": stage.position, "name": stage.name,
                       "description": stage.description, "steps": items})
    body: dict[str, Any] = {"id": j.pk, "name": j.name, "description": j.description,
                            "personas": [{"id": p.pk, "name": p.name} for p in j.personas.order_by("pk")],
                            "updated_at": j.updated_at.isoformat(), "stages": stages}
    if numbers is not None:
        body["from"], body["to"] = numbers.start.isoformat(), numbers.end.isoformat()
        body["emotion_curve"] = [{"step": s.step.pk, "touchpoint": s.touchpoint.key,
                                  "sentiment": _estimate(s.sentiment), "target": s.step.target,
                                  "low_point": s.low_point} for s in numbers.steps]
    return body


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or "en"


# --- touchpoints ---------------------------------------------------------------------------------------


@router.get("/touchpoints", response={200: dict[str, Any], **ERRORS}, summary="The organisation's touchpoints")
def list_touchpoints(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"items": [touchpoint_out(t) for t in queries.touchpoints(a.org)]}


class TouchpointIn(Schema):
    key: str = ""
    name: Any = None
    channel: str = "web"
    owner_team: Id | None = None
    description: str = ""


@router.post("/touchpoints", response={201: dict[str, Any], **ERRORS}, summary="Create a touchpoint")
def create_touchpoint(request: HttpRequest, body: TouchpointIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    t = journeys.save_touchpoint(org=a.org, key=body.key, name=body.name, channel=body.channel,
                                 owner_team=body.owner_team, description=body.description, actor=a.user)
    return Status(201, touchpoint_out(t))


# --- journeys ------------------------------------------------------------------------------------------


@router.get("/journeys", response={200: dict[str, Any], **ERRORS}, summary="The organisation's journeys")
def list_journeys(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"items": [{"id": j.pk, "name": j.name, "description": j.description,
                       "updated_at": j.updated_at.isoformat()} for j in queries.journeys(a.org)]}


class JourneyParams(Schema):
    metrics: bool = False
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None


@router.get("/journeys/{journey_id}", response={200: dict[str, Any], **ERRORS},
            summary="A journey: stages, steps with their touchpoints and lanes; live numbers with ?metrics=1")
def get_journey(request: HttpRequest, journey_id: int, params: Query[JourneyParams], org: str | None = None) -> Any:
    """With `metrics=1`: per step the touchpoint's responses, NPS / CSAT / CES (the organisation's measures,
    95 % intervals), mean comment sentiment (t-interval; the emotion curve), the low point (lowest sentiment
    among steps with at least 10 comments), open cases, SLA attainment (Wilson), themes, pain points and
    quotes, for `from`..`to` (default: the last twelve months)."""
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    numbers = None
    if params.metrics:
        start, end = metrics_service.date_range(params.from_, params.to)
        numbers = live.live(j, start, end, _language(request))
    return journey_out(j, _language(request), numbers)


class JourneyIn(Schema):
    name: Any = None
    description: str = ""
    personas: list[Id] | None = None  # persona ids; omitted: unchanged


@router.post("/journeys", response={201: dict[str, Any], **ERRORS}, summary="Create a journey")
def create_journey(request: HttpRequest, body: JourneyIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    with transaction.atomic():  # a refused persona leaves no journey behind
        j = journeys.save_journey(org=a.org, name=body.name, description=body.description, actor=a.user)
        if body.personas is not None:
            journeys.set_personas(journey=j, persona_ids=body.personas, actor=a.user)
    return Status(201, journey_out(j, _language(request)))


@router.put("/journeys/{journey_id}", response={200: dict[str, Any], **ERRORS}, summary="Rename a journey")
def update_journey(request: HttpRequest, journey_id: int, body: JourneyIn, org: str | None = None) -> Any:
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    a.require(ANALYSE)
    with transaction.atomic():
        journeys.save_journey(org=a.org, journey=j, name=body.name, description=body.description, actor=a.user)
        if body.personas is not None:
            journeys.set_personas(journey=j, persona_ids=body.personas, actor=a.user)
    j.refresh_from_db()
    return journey_out(j, _language(request))


@router.delete("/journeys/{journey_id}", response={204: None, **ERRORS}, summary="Delete a journey")
def delete_journey(request: HttpRequest, journey_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    a.require(ANALYSE)
    journeys.delete_journey(journey=j, actor=a.user)
    return Status(204, None)


class StageIn(Schema):
    name: Any = None
    description: str = ""


@router.post("/journeys/{journey_id}/stages", response={201: dict[str, Any], **ERRORS},
             summary="Add a stage at the end")
def add_stage(request: HttpRequest, journey_id: int, body: StageIn, org: str | None = None) -> Any:
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    a.require(ANALYSE)
    stage = journeys.add_stage(journey=j, name=body.name, description=body.description, actor=a.user)
    return Status(201, {"id": stage.pk, "position": stage.position, "name": stage.name})


class StepIn(Schema):
    stage: Id | None = None
    touchpoint: int | str | None = None  # an id or a key
    lanes: dict[str, Any] = {}
    target: float | None = None


def _touchpoint(a: Any, ref: int | str | None) -> Touchpoint:
    if isinstance(ref, str) and not ref.isdigit():
        found = Touchpoint.objects.filter(org=a.org, key=ref).first()
        if found is None:
            raise journeys.JourneyError(f"touchpoint: no touchpoint {ref!r}", field="touchpoint", status=404)
        return found
    if ref is None:
        raise journeys.JourneyError("touchpoint: required (an id or a key)", field="touchpoint")
    return queries.touchpoint(a.org, int(ref))


@router.post("/journeys/{journey_id}/steps", response={201: dict[str, Any], **ERRORS},
             summary="Place a touchpoint at the end of a stage, with its lanes")
def add_step(request: HttpRequest, journey_id: int, body: StepIn, org: str | None = None) -> Any:
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    a.require(ANALYSE)
    if body.stage is None:
        raise journeys.JourneyError("stage: required", field="stage")
    stage = queries.stage(j, body.stage)
    step = journeys.add_step(stage=stage, touchpoint=_touchpoint(a, body.touchpoint), lanes=body.lanes,
                             target=body.target, actor=a.user)
    return Status(201, _step_out(step))


@router.put("/journeys/{journey_id}/steps/{step_id}", response={200: dict[str, Any], **ERRORS},
            summary="Change a step's lanes and to-be emotion (and move it to another stage with `stage`)")
def update_step(request: HttpRequest, journey_id: int, step_id: int, body: StepIn, org: str | None = None) -> Any:
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    step = queries.step(j, step_id)
    a.require(ANALYSE)
    journeys.update_step(step=step, lanes=body.lanes, target=body.target, actor=a.user)
    if body.stage is not None and body.stage != step.stage_id:
        journeys.move_step_to(step=step, stage=queries.stage(j, body.stage), actor=a.user)
    return _step_out(queries.step(j, step_id))


@router.delete("/journeys/{journey_id}/steps/{step_id}", response={204: None, **ERRORS},
               summary="Remove a step from its stage")
def delete_step(request: HttpRequest, journey_id: int, step_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    j = queries.journey(a.org, journey_id)
    step = queries.step(j, step_id)
    a.require(ANALYSE)
    journeys.delete_step(step=step, actor=a.user)
    return Status(204, None)
