"""Govern API: the CX committee (``/committee``: chair, seats, the director rotation, meetings), department KPIs
(``/kpis`` and ``/kpis/scoreboard``: actuals computed from data on every call), action plans (``/action-plans``,
with the measured effect; one-step creation from a theme spike, a journey opportunity or a group of cases) and
``/success-stories``.

Reading needs the viewer role; plans need the member role to write, KPIs the analyst role, the committee and its
rotation the admin role."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from cxloop.analytics.metrics_service import local_today
from cxloop.api.schemas import Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.api.ux import comparison_out, estimate_out
from cxloop.core import governance
from cxloop.govern import measures, report, services, stories
from cxloop.govern.models import ActionPlan, DirectorMonth, Kpi, Meeting
from cxloop.orgs.access import ANALYSE, MANAGE, READ, WORK

router = Router(tags=["govern"])


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "en") or "en"


def _month(m: date | None) -> str | None:
    return None if m is None else m.isoformat()[:7]


def month_out(m: DirectorMonth) -> dict[str, Any]:
    return {"id": m.pk, "month": _month(m.month), "team": {"id": m.team_id, "name": m.team.name},
            "director": {"id": m.director_id, "name": m.director.display_name if m.director else None},
            "edited": m.edited}


def meeting_out(m: Meeting) -> dict[str, Any]:
    return {"id": m.pk, "held_on": m.held_on.isoformat(), "title": m.title, "agenda": m.agenda,
            "decisions": m.decisions, "notes": m.notes, "plans": [p.number for p in m.plans.all()]}


def kpi_out(k: Kpi, language: str) -> dict[str, Any]:
    return {"id": k.pk, "team": {"id": k.team_id, "name": k.team.name}, "name": k.name, "measure": k.measure,
            "measure_label": measures.describe(k.measure, language), "unit": measures.unit(k.measure),
            "target": k.target, "direction": k.direction, "since": _month(k.since), "until": _month(k.until)}


def effect_out(e: governance.Effect | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"before": estimate_out(e.before), "after": estimate_out(e.after),
            "difference": comparison_out(e.comparison), "verdict": e.verdict}


def plan_out(p: ActionPlan, *, effect: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.pk, "number": p.number, "title": p.title, "problem": p.problem, "source": p.source,
        "status": p.status, "touchpoint": p.touchpoint.key if p.touchpoint else None, "step": p.step_id,
        "theme": p.theme, "cases": sorted(p.cases.values_list("number", flat=True)), "measure": p.measure or None,
        "direction": p.direction, "baseline": [_month(p.baseline_from), _month(p.baseline_to)],
        "after": [_month(p.after_from), _month(p.after_to)],
        "owner_team": {"id": p.owner_team_id, "name": p.owner_team.name} if p.owner_team else None,
        "owner": p.owner_id, "due": p.due.isoformat() if p.due else None, "story": p.story,
        "tasks": [{"title": t.title, "assignee": t.assignee_id, "due": t.due.isoformat() if t.due else None,
                   "done": t.done} for t in p.tasks.all()],
    }
    if effect:
        out["effect"] = effect_out(services.plan_effect(p))
    return out


# --- committee -------------------------------------------------------------------------------------------------


class CommitteeIn(Schema):
    name: Any = None
    chair: Id | None = None
    seats: Any = None
    report_day: Any = None  # 1–28: the monthly report goes out that day; null: only when sent by hand


@router.get("/committee", response={200: dict[str, Any], **ERRORS}, summary="The CX committee and its rotation")
def get_committee(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    c = services.committee(a.org)
    return {"name": c.name, "chair": c.chair_id, "report_day": c.report_day,
            "report_sent_for": _month(c.report_sent_for),
            "seats": [{"team": {"id": s.team_id, "name": s.team.name}, "head": s.head_id}
                      for s in c.seats.select_related("team")],
            "rotation": [month_out(m) for m in services.schedule(a.org)],
            "needs_decision": [plan_out(p) for p in services.plans(a.org, "proposed")]}


@router.put("/committee", response={200: dict[str, Any], **ERRORS}, summary="Set the chair and the seats")
def put_committee(request: HttpRequest, payload: CommitteeIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    day = payload.report_day if "report_day" in payload.model_fields_set else services.KEEP
    services.set_committee(org=a.org, chair=payload.chair, seats=payload.seats, name=payload.name, report_day=day,
                           actor=a.user, api_key=a.api_key)
    return get_committee(request, org)


# The bodies below are read leniently (Any): the role is checked and the objects looked up before the values are
# judged, so a viewer or another organisation learns nothing from a 422; the services name each bad field.


class RotationIn(Schema):
    start: Any = None
    months: Any = 12


@router.post("/committee/rotation", response={200: dict[str, Any], **ERRORS},
             summary="Generate the project-director rotation (every head once before anyone twice)")
def post_rotation(request: HttpRequest, payload: RotationIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    rows = services.generate_rotation(org=a.org, start=payload.start, months=payload.months, actor=a.user,
                                      api_key=a.api_key)
    return {"rotation": [month_out(m) for m in rows]}


class MonthIn(Schema):
    team: Any = None
    director: Any = None


@router.put("/committee/rotation/{rotation_id}", response={200: dict[str, Any], **ERRORS},
            summary="Change a month's project director (the month's id from the rotation; audit-logged)")
def put_rotation_month(request: HttpRequest, rotation_id: int, payload: MonthIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    month = services.director_month(a.org, rotation_id).month  # 404 before the body is judged
    row = services.edit_month(org=a.org, month=month, team=payload.team, director=payload.director, actor=a.user,
                              api_key=a.api_key)
    return month_out(row)


class MeetingIn(Schema):
    held_on: Any = None
    title: Any = None
    agenda: Any = ""
    decisions: Any = None
    notes: Any = ""
    plans: Any = None


@router.get("/committee/meetings", response={200: dict[str, Any], **ERRORS}, summary="Committee meetings")
def list_meetings(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    return {"items": [meeting_out(m) for m in services.meetings(a.org)]}


@router.post("/committee/meetings", response={201: dict[str, Any], **ERRORS}, summary="Record a meeting")
def post_meeting(request: HttpRequest, payload: MeetingIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    m = services.save_meeting(org=a.org, actor=a.user, api_key=a.api_key, **payload.dict())
    return Status(201, meeting_out(m))


@router.put("/committee/meetings/{meeting_id}", response={200: dict[str, Any], **ERRORS},
            summary="Change a meeting (agenda, decisions, linked plans)")
def put_meeting(request: HttpRequest, meeting_id: int, payload: MeetingIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    m = services.save_meeting(org=a.org, meeting=services.meeting(a.org, meeting_id), actor=a.user,
                              api_key=a.api_key, **payload.dict())
    return meeting_out(m)


# --- KPIs ------------------------------------------------------------------------------------------------------


class KpiIn(Schema):
    team: Any = None
    name: Any = None
    measure: Any = None
    target: Any = None
    direction: Any = None
    since: Any = None
    until: Any = None


@router.get("/kpis", response={200: dict[str, Any], **ERRORS}, summary="Department KPIs")
def list_kpis(request: HttpRequest, team: Id | None = None, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    return {"items": [kpi_out(k, _language(request)) for k in services.kpis(a.org, team)]}


@router.post("/kpis", response={201: dict[str, Any], **ERRORS}, summary="Define a department KPI")
def post_kpi(request: HttpRequest, payload: KpiIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    k = services.save_kpi(org=a.org, actor=a.user, api_key=a.api_key, **payload.dict())
    return Status(201, kpi_out(k, _language(request)))


@router.get("/kpis/scoreboard", response={200: dict[str, Any], **ERRORS},
            summary="Every KPI's actual, status and the winners per month (computed now)")
def get_scoreboard(request: HttpRequest, to: str | None = None, months: int = services.SCOREBOARD_MONTHS,
                   team: Id | None = None, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    if not 1 <= months <= 36:
        raise services.GovernError("months: give 1–36", field="months")
    end = services.parse_month(to, "to") if to else None
    board = services.scoreboard(a.org, end=end, months=months, team_id=team)
    language = _language(request)
    return {"months": [_month(m) for m in board.months],
            "winners": {_month(m): ids for m, ids in board.winners.items()},
            "teams": [{"team": {"id": b.team.pk, "name": b.team.name},
                       "kpis": [{**kpi_out(r.kpi, language),
                                 "cells": [{"month": _month(c.month), "actual": estimate_out(c.estimate),
                                            "status": c.status} for c in r.cells]} for r in b.rows]}
                      for b in board.teams]}


@router.get("/kpis/{kpi_id}", response={200: dict[str, Any], **ERRORS}, summary="One KPI")
def get_kpi(request: HttpRequest, kpi_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    return kpi_out(services.kpi(a.org, kpi_id), _language(request))


@router.put("/kpis/{kpi_id}", response={200: dict[str, Any], **ERRORS}, summary="Change a KPI")
def put_kpi(request: HttpRequest, kpi_id: int, payload: KpiIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    k = services.save_kpi(org=a.org, kpi=services.kpi(a.org, kpi_id), actor=a.user, api_key=a.api_key,
                          **payload.dict())
    return kpi_out(k, _language(request))


@router.delete("/kpis/{kpi_id}", response={204: None, **ERRORS}, summary="Remove a KPI")
def delete_kpi(request: HttpRequest, kpi_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    services.delete_kpi(kpi=services.kpi(a.org, kpi_id), actor=a.user, api_key=a.api_key)
    return Status(204, None)


# --- action plans ----------------------------------------------------------------------------------------------


class PlanIn(Schema):
    """Only the fields given are set (PATCH); unknown fields are refused by name."""

    title: Any = None
    problem: Any = None
    touchpoint: Any = None
    step: Any = None
    theme: Any = None
    cases: Any = None
    measure: Any = None
    direction: Any = None
    baseline_from: Any = None
    baseline_to: Any = None
    after_from: Any = None
    after_to: Any = None
    owner_team: Any = None
    owner: Any = None
    due: Any = None
    status: Any = None
    story: Any = None
    tasks: Any = None


def _given(request: HttpRequest) -> dict[str, Any]:
    """The fields the body holds, as sent (the schema above documents them; unknown ones are refused by name)."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise services.GovernError("body: not JSON", field="body") from exc
    if not isinstance(data, dict):
        raise services.GovernError("body: give a JSON object", field="body")
    return data


@router.get("/action-plans", response={200: dict[str, Any], **ERRORS}, summary="Action plans")
def list_plans(request: HttpRequest, status: str | None = None, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    return {"items": [plan_out(p) for p in services.plans(a.org, status)]}


@router.post("/action-plans", response={201: dict[str, Any], **ERRORS}, summary="Create an action plan")
def post_plan(request: HttpRequest, payload: PlanIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)
    p = services.save_plan(org=a.org, data=_given(request), actor=a.user, api_key=a.api_key)
    return Status(201, plan_out(p, effect=True))


class FromSpikeIn(Schema):
    theme: Any = None
    month: Any = None
    owner_team: Any = None


@router.post("/action-plans/from-theme-spike", response={201: dict[str, Any], **ERRORS},
             summary="Create a plan from a theme's spike (measured by the theme's share of comments)")
def post_plan_from_spike(request: HttpRequest, payload: FromSpikeIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)
    p = services.plan_from_theme_spike(org=a.org, actor=a.user, api_key=a.api_key, **payload.dict())
    return Status(201, plan_out(p, effect=True))


class FromStepIn(Schema):
    step: Any = None
    owner_team: Any = None


@router.post("/action-plans/from-opportunity", response={201: dict[str, Any], **ERRORS},
             summary="Create a plan from a journey map step's opportunity")
def post_plan_from_step(request: HttpRequest, payload: FromStepIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)
    p = services.plan_from_step(org=a.org, actor=a.user, api_key=a.api_key, **payload.dict())
    return Status(201, plan_out(p, effect=True))


class FromCasesIn(Schema):
    cases: Any = None
    title: Any = None
    owner_team: Any = None


@router.post("/action-plans/from-cases", response={201: dict[str, Any], **ERRORS},
             summary="Create a plan for a group of cases")
def post_plan_from_cases(request: HttpRequest, payload: FromCasesIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)
    p = services.plan_from_cases(org=a.org, actor=a.user, api_key=a.api_key, **payload.dict())
    return Status(201, plan_out(p, effect=True))


@router.get("/action-plans/{plan_id}", response={200: dict[str, Any], **ERRORS},
            summary="One action plan with its measured effect")
def get_plan(request: HttpRequest, plan_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    return plan_out(services.plan(a.org, plan_id), effect=True)


@router.patch("/action-plans/{plan_id}", response={200: dict[str, Any], **ERRORS},
              summary="Change an action plan (only the fields given)")
def patch_plan(request: HttpRequest, plan_id: int, payload: PlanIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)
    p = services.save_plan(org=a.org, data=_given(request), p=services.plan(a.org, plan_id), actor=a.user,
                           api_key=a.api_key)
    return plan_out(p, effect=True)


@router.get("/success-stories", response={200: dict[str, Any], **ERRORS},
            summary="Recovered customers and plans with a significant improvement")
def get_stories(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    found = stories.success_stories(a.org)
    return {"plans": [{**plan_out(s.plan), "effect": effect_out(s.effect)} for s in found.plans],
            "recovered": [{"case": r.number, "title": r.title, "team": r.team, "resolved_at": r.resolved_at,
                           "note": r.note} for r in found.recovered]}


# --- the monthly report ----------------------------------------------------------------------------------------


@router.get("/reports/governance", response={200: Any, **ERRORS},
            summary="The monthly governance report: format=json (default), html or pdf")
def get_report(request: HttpRequest, month: str | None = None, language: str | None = None, format: str = "json",
               org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    if format not in ("json", "html", "pdf"):
        raise services.GovernError("format: use json, html or pdf", field="format")
    lang = (language or _language(request)).lower()
    if lang not in report.LANGUAGES:
        raise services.GovernError("language: use zh-hans, zh-hant or en", field="language")
    first = services.parse_month(month, "month") if month else governance.add_months(
        services.first_of_month(local_today()), -1)
    built = report.build(a.org, first, lang)
    if format == "html":
        return HttpResponse(report.render_html(built), content_type="text/html; charset=utf-8")
    if format == "pdf":
        try:
            pdf = report.render_pdf(report.render_html(built))
        except RuntimeError as exc:
            raise services.GovernError(f"format: {exc}", field="format", status=503) from exc
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="cx-governance-{first:%Y-%m}.pdf"'
        return response
    return {"month": _month(first), "language": lang,
            "director": month_out(built.director) if built.director else None,
            "kpis": [{"team": k["team"], "name": k["name"], "target": k["target"], "direction": k["direction"],
                      "actual": estimate_out(k["now"].estimate) if k["now"] else None,
                      "status": k["now"].status if k["now"] else ""} for k in built.kpi_rows],
            "winners": built.board.winners.get(first, []),
            "themes": [{"key": t.key, "label": t.label, "count": t.count, "share": estimate_out(t.share),
                        "spike": t.spike == first} for t in built.themes],
            "low_points": [{"journey": j, "step": st.label, "sentiment": estimate_out(st.sentiment)}
                           for j, st in built.low_points],
            "plans": [{"number": line.plan.number, "title": line.plan.title, "status": line.plan.status,
                       "effect": effect_out(line.effect)} for line in built.plans],
            "loop": {"opened": built.loop["closure"].n if built.loop else 0,
                     **{m: estimate_out(e) for m, e in built.loop.items()}},
            "success_stories": len(built.stories.plans) if built.stories else 0,
            "recovered": built.stories.recovered_total if built.stories else 0}


class SendIn(Schema):
    month: Any = None


@router.post("/reports/governance/send", response={202: dict[str, Any], **ERRORS},
             summary="E-mail the month's report (HTML with the PDF attached) to the committee")
def send_report(request: HttpRequest, payload: SendIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    to = report.send(org=a.org, month=services.parse_month(payload.month, "month"), actor=a.user, api_key=a.api_key)
    return Status(202, {"queued": len(to)})
