"""Dashboard pages: the organisation's dashboard, a survey's dashboard, key drivers, cross-tab, the
response list with comment search and one response. Each reads its GET form (filters stay in the URL),
calls one ``analytics.dashboard`` / ``analytics.explore`` function and renders; a bad parameter shows the
form with its error (status 400), never a 500."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cxloop.analytics import dashboard, explore, metrics_service
from cxloop.core.survey_spec import SurveySpec, answer_labels, localise
from cxloop.orgs.access import READ, Actor
from cxloop.surveys import queries
from cxloop.surveys.models import Response, Survey
from cxloop.surveys.services import current_version, spec_of
from cxloop.web import dashboard_charts as charts
from cxloop.web import dashboard_forms as forms
from cxloop.web.decorators import org_page

PAGE_SIZE = 25


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def _spec(survey: Survey) -> SurveySpec | None:
    return spec_of(current_version(survey)) if survey.current_version else None


def _page(request: HttpRequest, template: str, context: dict[str, Any], form: forms.FilterForm,
          problem: metrics_service.MetricsError | None = None, keep_out: tuple[str, ...] = ()) -> HttpResponse:
    """Render; a form with errors (or a request the metrics service refused) answers 400."""
    if problem is not None:
        form.add_error(None, _("These filters cannot be computed: %(reason)s") % {"reason": problem.message})
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, "query": form.query(), "keep": form.keep(*keep_out), **context},
                  status=status)


# --- the organisation's dashboard ------------------------------------------------------------------


def org_dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The body of ``web.views.dashboard`` (which resolves the organisation and remembers it)."""
    form = forms.OrgDashboardForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org, "section": "dashboard"}
    problem = None
    if form.is_valid():
        try:
            data = dashboard.org_dashboard(actor.org, form.filters())
        except metrics_service.MetricsError as exc:
            problem = exc
        else:
            context.update(data=data, trend_chart=charts.trend(data.trend) if data.trend else None,
                           breakdown_chart=charts.breakdown(data.breakdown) if data.breakdown else None)
    return _page(request, "web/dashboard.html", context, form, problem)


# --- a survey's pages ------------------------------------------------------------------------------


@require_safe
@org_page(READ)
def survey_dashboard(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    language = _language(request)
    spec = _spec(survey)
    questions = dashboard.numeric_questions(spec, language) if spec else []
    form = forms.SurveyDashboardForm(request.GET, org=actor.org, questions=questions)
    context: dict[str, Any] = {"org": actor.org, "survey": survey, "section": "surveys", "tab": "dashboard"}
    problem = None
    if form.is_valid():
        try:
            data = dashboard.survey_dashboard(actor.org, survey, form.filters(),
                                              question=form.cleaned_data.get("question") or None, language=language)
        except metrics_service.MetricsError as exc:
            problem = exc
        else:
            context.update(
                data=data, trend_chart=charts.trend(data.trend) if data.trend else None,
                breakdown_chart=charts.breakdown(data.breakdown) if data.breakdown else None,
                questions_chart=charts.questions(data.cards), funnel_chart=charts.funnel(data.funnel))
    return _page(request, "web/dash_survey.html", context, form, problem, keep_out=("question",))


@require_safe
@org_page(READ)
def survey_drivers(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    language = _language(request)
    spec = _spec(survey)
    candidates = dashboard.driver_candidates(spec, language) if spec else []
    form = forms.DriverForm(request.GET, org=actor.org, candidates=candidates)
    context: dict[str, Any] = {"org": actor.org, "survey": survey, "section": "surveys", "tab": "drivers"}
    if form.is_valid():
        data = dashboard.key_driver_analysis(actor.org, survey, form.filters(),
                                             outcome=form.cleaned_data.get("outcome") or None,
                                             chosen=form.cleaned_data.get("driver") or None, language=language)
        context.update(data=data, chart=charts.drivers(data))
        if not form.query_data.getlist("driver"):  # show the default drivers ticked
            form.query_data.setlist("driver", data.chosen)
        if data.outcome is not None:
            form.query_data["outcome"] = data.outcome.key
    return _page(request, "web/dash_drivers.html", context, form)


@require_safe
@org_page(READ)
def survey_crosstab(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    language = _language(request)
    sources = dashboard.crosstab_sources(_spec(survey), language)
    form = forms.CrossTabForm(request.GET, org=actor.org, sources=sources)
    context: dict[str, Any] = {"org": actor.org, "survey": survey, "section": "surveys", "tab": "crosstab"}
    if form.is_valid():
        data = dashboard.cross_tab(actor.org, survey, form.filters(), rows=form.cleaned_data.get("rows") or None,
                                   cols=form.cleaned_data.get("cols") or None, language=language)
        context.update(data=data, cells=_cells(data))
        form.query_data["rows"], form.query_data["cols"] = data.rows.key, data.cols.key
    return _page(request, "web/dash_crosstab.html", context, form)


def _cells(data: dashboard.CrossTabPage) -> list[dict[str, Any]]:
    """One row per row category: its label, its cells (count, row %, column %, residual) and total."""
    totals = data.table.row_totals
    rows = []
    for i, label in enumerate(data.row_labels):
        cells = [{"count": c, "row": data.row_percent[i][j], "col": data.col_percent[i][j],
                  "residual": data.residuals[i][j]} for j, c in enumerate(data.table.counts[i])]
        rows.append({"label": label, "cells": cells, "total": totals[i]})
    return rows


@require_safe
@org_page(READ)
def survey_responses(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    survey = queries.survey(actor.org, survey_id)
    form = forms.ResponseSearchForm(request.GET, org=actor.org)
    context: dict[str, Any] = {"org": actor.org, "survey": survey, "section": "surveys", "tab": "responses"}
    if form.is_valid():
        search = form.cleaned_data.get("q") or ""
        scope = form.filters().scope(actor.org, [survey.pk])
        paginator = Paginator(explore.response_list(scope, search), PAGE_SIZE)
        page = paginator.get_page(form.cleaned_data.get("page") or 1)
        answers = explore.answers_of([r.pk for r in page.object_list])
        spec = _spec(survey)
        headline = next((q.key for q in spec.questions() if q.type in ("nps", "csat", "ces", "rating")), None) \
            if spec else None
        rows = [{"response": r, "score": next((a.number for a in answers.get(r.pk, []) if a.question_key == headline
                                               and a.number is not None), None),
                 "comments": [a.text for a in answers.get(r.pk, []) if explore.has_text(a)]}
                for r in page.object_list]
        context.update(page=page, rows=rows, search=search, headline=headline)
    return _page(request, "web/dash_responses.html", context, form, keep_out=("page",))


@require_safe
@org_page(READ)
def response_detail(request: HttpRequest, actor: Actor, response_id: int) -> HttpResponse:
    response = explore.response(actor.org, response_id)
    language = _language(request)
    context = {"org": actor.org, "response": response, "survey": response.survey, "section": "surveys",
               "answers": _answer_rows(response, language)}
    return render(request, "web/dash_response.html", context)


def _answer_rows(response: Response, language: str) -> list[dict[str, Any]]:
    """Each answer with its question's text (and item's) in ``language``, in the order of the survey; a
    chosen option by its label; respondent text as it is (the template escapes it)."""
    spec = spec_of(response.version) if response.version is not None else None
    answers = list(response.answers.all().order_by("pk"))
    if spec is None:
        return [{"question": a.question_key, "value": _raw(a)} for a in answers]
    order: dict[str, int] = {}
    texts: dict[str, str] = {}
    for q in spec.questions():
        text = localise(q.text, language, spec.default_language)
        order[q.key], texts[q.key] = len(order), text
        for item in q.items:
            key = f"{q.key}.{item.key}"
            order[key], texts[key] = len(order), f"{text} — {localise(item.text, language, spec.default_language)}"
    labels = answer_labels(spec, language)
    rows = []
    for a in sorted(answers, key=lambda a: order.get(a.question_key, len(order))):
        base = a.question_key.partition(".")[0]
        if a.choices:
            value = "、".join(labels.get(base, {}).get(str(c), str(c)) for c in a.choices) if language.startswith(
                "zh") else ", ".join(labels.get(base, {}).get(str(c), str(c)) for c in a.choices)
            if a.text:
                value = f"{value} ({a.text})"
        else:
            value = _raw(a)
        rows.append({"question": texts.get(a.question_key, a.question_key), "key": a.question_key, "value": value,
                     "text": explore.has_text(a)})
    return rows


def _raw(answer: Any) -> str:
    if answer.number is not None:
        number = float(answer.number)
        return str(int(number)) if number.is_integer() else f"{number:g}"
    return ", ".join(str(c) for c in answer.choices) if answer.choices else str(answer.text)
