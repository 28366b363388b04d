"""Journey pages: the list, the live map (service blueprint lanes, live numbers per touchpoint, the emotion curve,
a second period to compare), its SVG export and print view, the keyboard-friendly editor (plain forms and
buttons: add, rename, reorder, move a touchpoint to another stage, delete) and the touchpoint catalogue.
Everyone in the organisation reads; analysts and above edit. Each view calls one service or query."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cxloop.behaviour import journey_funnel
from cxloop.core import journey_svg
from cxloop.journeys import live, queries
from cxloop.journeys import services as journeys
from cxloop.journeys.models import Journey
from cxloop.orgs.access import ANALYSE, READ, Actor
from cxloop.orgs.services import ServiceError
from cxloop.segments.models import Persona
from cxloop.surveys import queries as survey_queries
from cxloop.web import funnel_views
from cxloop.web import journey_forms as forms
from cxloop.web.decorators import org_page

STAGE_IDS = "new_stage_%s"  # the add-a-stage form shares field names with the journey's: not its ids


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def _context(actor: Actor, **more: Any) -> dict[str, Any]:
    return {"org": actor.org, "section": "journeys", "can_edit": actor.can(ANALYSE), **more}


# --- the list ------------------------------------------------------------------------------------------


@org_page(READ, post_role=ANALYSE)
def journey_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.JourneyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                journey = journeys.save_journey(org=actor.org, name=form.names(),
                                                description=form.cleaned_data["description"], actor=actor.user)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("journey_edit", org=actor.org.slug, journey_id=journey.pk)
        status = 422
    language = _language(request)
    items = [(j, live.label_of(j.name, language)) for j in queries.journeys(actor.org)]
    return render(request, "web/journeys/list.html", _context(actor, form=form, items=items), status=status)


# --- the map -------------------------------------------------------------------------------------------


def _curve(j: live.JourneyLive, language: str) -> str:
    stages = [journey_svg.MapStage(s.label, [
        journey_svg.MapStep(step.label, step.sentiment.value, step.sentiment.low, step.sentiment.high,
                            step.step.target, step.sentiment.n, step.low_point) for step in s.steps])
        for s in j.stages]
    period = f"{j.start:%Y-%m-%d} – {j.end:%Y-%m-%d}"
    return journey_svg.render(j.label, stages, subtitle=period, curve_label=_("Mean sentiment (−1…1)"),
                              target_label=_("To-be emotion"), low_label=_("Low point"))


@require_safe
@org_page(READ)
def journey_map(request: HttpRequest, actor: Actor, journey_id: int) -> HttpResponse:
    journey = queries.journey(actor.org, journey_id)
    form = forms.PeriodForm(request.GET)
    language = _language(request)
    context = _context(actor, journey=journey, form=form, changes={},
                       personas=[(p, p.label(language)) for p in journey.personas.order_by("pk")])
    if not form.is_valid():
        return render(request, "web/journeys/map.html", context, status=400)
    now = live.live(journey, *form.period(), language)
    context["data"] = now
    other = form.compared()
    if other is not None:
        before = live.live(journey, *other, language, quotes=0)
        context["changes"] = {c.step.step.pk: c for c in live.compare(now, before)}
        context["before"] = before
    band = journey_funnel.band(journey, now.start, now.end, language)
    if band is not None:
        context["band"] = funnel_views.band_figure(band, _(
            "%(name)s: people who reached each stage and the share who went on to the next, %(start)s – %(end)s")
            % {"name": now.label, "start": f"{now.start:%Y-%m-%d}", "end": f"{now.end:%Y-%m-%d}"})
        context["band_days"] = band.window_days
    svg = _curve(now, language)
    context["curve_uri"] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    here = reverse("journey_map", kwargs={"org": actor.org.slug, "journey_id": journey.pk})
    context["share_url"] = request.build_absolute_uri(f"{here}?{request.GET.urlencode()}")
    template = "web/journeys/print.html" if request.GET.get("print") else "web/journeys/map.html"
    return render(request, template, context)


@require_safe
@org_page(READ)
def journey_svg_export(request: HttpRequest, actor: Actor, journey_id: int) -> HttpResponse:
    journey = queries.journey(actor.org, journey_id)
    form = forms.PeriodForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    svg = _curve(live.live(journey, *form.period(), _language(request), quotes=0), _language(request))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journey-{journey.pk}.svg"'
    return response


# --- the editor ----------------------------------------------------------------------------------------


def _edit_context(actor: Actor, journey: Journey, language: str, **more: Any) -> dict[str, Any]:
    shape = live.structure(journey, language)
    return _context(actor, journey=journey, shape=shape,
                    journey_form=more.pop("journey_form", None) or forms.JourneyForm(
                        initial=forms.JourneyForm.initial_of(journey.name, description=journey.description)),
                    stage_form=more.pop("stage_form", None) or forms.StageForm(auto_id=STAGE_IDS),
                    touchpoints=[(t, live.label_of(t.name, language)) for t in queries.touchpoints(actor.org)],
                    stages=[(stage, label) for stage, label, _steps in shape],
                    personas=[(p, p.label(language)) for p in Persona.objects.filter(org=actor.org).order_by("pk")],
                    linked={p.pk for p in journey.personas.all()}, **more)


@org_page(ANALYSE)
def journey_edit(request: HttpRequest, actor: Actor, journey_id: int) -> HttpResponse:
    journey = queries.journey(actor.org, journey_id)
    language = _language(request)
    if request.method != "POST":
        return render(request, "web/journeys/edit.html", _edit_context(actor, journey, language))
    op = request.POST.get("op", "")
    try:
        anchor = _apply(actor, journey, op, request.POST)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return render(request, "web/journeys/edit.html", _edit_context(actor, journey, language, error=exc),
                      status=exc.status)
    except _FormProblem as problem:
        return render(request, "web/journeys/edit.html",
                      _edit_context(actor, journey, language, **problem.context), status=422)
    if op == "delete_journey":
        messages.success(request, _("Journey deleted."))
        return redirect("journeys", org=actor.org.slug)
    return redirect(reverse("journey_edit", kwargs={"org": actor.org.slug, "journey_id": journey.pk}) + anchor)


class _FormProblem(Exception):
    def __init__(self, **context: Any) -> None:
        super().__init__("form")
        self.context = context


def _delta(data: Any) -> int:
    return -1 if data.get("direction") == "up" else 1


def _apply(actor: Actor, journey: Journey, op: str, data: Any) -> str:
    """Carry out one editing action; the anchor to return to."""
    user = actor.user
    if op == "rename":
        form = forms.JourneyForm(data)
        if not form.is_valid():
            raise _FormProblem(journey_form=form)
        journeys.save_journey(org=actor.org, journey=journey, name=form.names(),
                              description=form.cleaned_data["description"], actor=user)
        return ""
    if op == "delete_journey":
        journeys.delete_journey(journey=journey, actor=user)
        return ""
    if op == "personas":
        journeys.set_personas(journey=journey, persona_ids=[_int(v, "personas") for v in data.getlist("personas")],
                              actor=user)
        return "#personas"
    if op == "add_stage":
        new_stage = forms.StageForm(data, auto_id=STAGE_IDS)
        if not new_stage.is_valid():
            raise _FormProblem(stage_form=new_stage)
        stage = journeys.add_stage(journey=journey, name=new_stage.names(), actor=user)
        return f"#stage-{stage.pk}"
    if op in ("stage_move", "stage_rename", "stage_delete"):
        stage = queries.stage(journey, _int(data.get("stage"), "stage"))
        if op == "stage_move":
            journeys.move_stage(stage=stage, delta=_delta(data), actor=user)
        elif op == "stage_rename":
            renamed = forms.StageForm(data)
            if not renamed.is_valid():
                raise ServiceError(_("Give the stage a name."), field="name")
            journeys.update_stage(stage=stage, name=renamed.names(), actor=user)
        else:
            journeys.delete_stage(stage=stage, actor=user)
            return "#stages"
        return f"#stage-{stage.pk}"
    if op == "step_add":
        stage = queries.stage(journey, _int(data.get("stage"), "stage"))
        touchpoint = queries.touchpoint(actor.org, _int(data.get("touchpoint"), "touchpoint"))
        step = journeys.add_step(stage=stage, touchpoint=touchpoint, actor=user)
        return f"#step-{step.pk}"
    step = queries.step(journey, _int(data.get("step"), "step"))
    if op == "step_move":
        journeys.move_step(step=step, delta=_delta(data), actor=user)
    elif op == "step_to":
        journeys.move_step_to(step=step, stage=queries.stage(journey, _int(data.get("to"), "to")), actor=user)
    elif op == "step_delete":
        journeys.delete_step(step=step, actor=user)
        return f"#stage-{step.stage_id}"
    else:
        raise ServiceError(_("Unknown action."), field="op", status=400)
    return f"#step-{step.pk}"


def _int(raw: Any, field: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ServiceError(f"{field}: a number is required", field=field, status=400) from None


@org_page(ANALYSE)
def journey_step(request: HttpRequest, actor: Actor, journey_id: int, step_id: int) -> HttpResponse:
    journey = queries.journey(actor.org, journey_id)
    step = queries.step(journey, step_id)
    initial = {lane: getattr(step, lane) for lane in journeys.LANES} | {"target": step.target}
    form = forms.StepForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            journeys.update_step(step=step, lanes={k: form.cleaned_data[k] for k in journeys.LANES},
                                 target=form.cleaned_data["target"], actor=actor.user)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("journey_edit", kwargs={"org": actor.org.slug, "journey_id": journey.pk})
                            + f"#step-{step.pk}")
    label = live.label_of(step.touchpoint.name, _language(request))
    return render(request, "web/journeys/step.html", _context(actor, journey=journey, step=step, form=form,
                                                                label=label),
                  status=422 if request.method == "POST" else 200)


# --- touchpoints ---------------------------------------------------------------------------------------


@org_page(READ, post_role=ANALYSE)
def touchpoint_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = forms.TouchpointForm(request.POST or None, org=actor.org)
    if request.method == "POST" and form.is_valid():
        try:
            journeys.save_touchpoint(org=actor.org, key=form.cleaned_data["key"], name=form.names(),
                                     channel=form.cleaned_data["channel"], owner_team=form.cleaned_data["owner_team"],
                                     description=form.cleaned_data["description"], actor=actor.user)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Touchpoint saved."))
            back = request.POST.get("next", "")
            if back.startswith(f"/o/{actor.org.slug}/journeys/"):
                return redirect(back)
            return redirect("touchpoints", org=actor.org.slug)
    language = _language(request)
    items = [(t, live.label_of(t.name, language)) for t in queries.touchpoints(actor.org)]
    return render(request, "web/journeys/touchpoints.html",
                  _context(actor, form=form, items=items, next=request.GET.get("next", "")),
                  status=422 if request.method == "POST" else 200)


@org_page(READ, post_role=ANALYSE)
def touchpoint_detail(request: HttpRequest, actor: Actor, touchpoint_id: int) -> HttpResponse:
    touchpoint = queries.touchpoint(actor.org, touchpoint_id)
    initial = forms.TouchpointForm.initial_of(touchpoint.name, key=touchpoint.key, channel=touchpoint.channel,
                                              owner_team=touchpoint.owner_team_id,
                                              description=touchpoint.description)
    form = forms.TouchpointForm(request.POST or None, org=actor.org, initial=initial)
    if request.method == "POST":
        if request.POST.get("op") == "link_survey":
            try:
                survey = survey_queries.survey(actor.org, _int(request.POST.get("survey"), "survey"))
                journeys.link_survey(touchpoint=touchpoint, survey=survey, actor=actor.user)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Survey linked: its new responses belong to this touchpoint."))
            return redirect("touchpoint", org=actor.org.slug, touchpoint_id=touchpoint.pk)
        if request.POST.get("op") == "delete":
            try:
                journeys.delete_touchpoint(touchpoint=touchpoint, actor=actor.user)
            except ServiceError as exc:
                messages.error(request, exc.message)
                return redirect("touchpoint", org=actor.org.slug, touchpoint_id=touchpoint.pk)
            messages.success(request, _("Touchpoint deleted."))
            return redirect("touchpoints", org=actor.org.slug)
        if form.is_valid():
            try:
                journeys.save_touchpoint(org=actor.org, touchpoint=touchpoint, key=form.cleaned_data["key"],
                                         name=form.names(), channel=form.cleaned_data["channel"],
                                         owner_team=form.cleaned_data["owner_team"],
                                         description=form.cleaned_data["description"], actor=actor.user)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Touchpoint saved."))
                return redirect("touchpoints", org=actor.org.slug)
    label = live.label_of(touchpoint.name, _language(request))
    surveys = list(survey_queries.surveys(actor.org).order_by("name"))
    return render(request, "web/journeys/touchpoint.html",
                  _context(actor, touchpoint=touchpoint, form=form, label=label,
                           linked=[s for s in surveys if s.touchpoint == touchpoint.key],
                           others=[s for s in surveys if s.touchpoint != touchpoint.key]),
                  status=422 if request.method == "POST" else 200)
