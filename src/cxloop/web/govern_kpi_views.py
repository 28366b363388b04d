"""Department KPIs on pages (issue 9): the scoreboard (a table on a desktop, a compact list on a phone), one KPI
(its definition in words, target, direction and its last twelve months with intervals and status), and the KPI
form (new, edit, delete). The form builds the measure dict of one of ``govern.measures.KINDS`` and saves it with
``govern.services.save_kpi``; a service error lands on the form field it names, nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.analytics import dashboard
from cxloop.behaviour import ux
from cxloop.customers.models import Tier
from cxloop.govern import measures, services
from cxloop.govern.models import Kpi
from cxloop.journeys.models import Touchpoint
from cxloop.orgs.access import ANALYSE, READ, Actor
from cxloop.orgs.models import Organization, Team
from cxloop.orgs.services import ServiceError
from cxloop.surveys.models import Channel, Survey
from cxloop.surveys.services import current_version, spec_of
from cxloop.texts import services as texts
from cxloop.web.dashboard_forms import touchpoints as used_touchpoints
from cxloop.web.decorators import org_page
from cxloop.web.govern_views import STATUS_LABELS, Shown, shown

KIND_LABELS = {
    "survey": gettext_lazy("Survey score"),
    "ux_task_failure": gettext_lazy("Task failure rate"),
    "renewal": gettext_lazy("Renewal rate"),
    "theme_share": gettext_lazy("Theme share of comments"),
    "loop": gettext_lazy("Closed-loop rate"),
}
METRIC_LABELS = {"nps": gettext_lazy("NPS"), "csat": gettext_lazy("CSAT"), "mean": gettext_lazy("Mean"),
                 "agree": gettext_lazy("CES agree share")}
LOOP_LABELS = {"sla": gettext_lazy("SLA attainment"), "closure": gettext_lazy("Closure rate"),
               "rescue": gettext_lazy("Rescue rate")}
DIRECTION_LABELS = {"higher": gettext_lazy("Higher is better"), "lower": gettext_lazy("Lower is better")}
NAME_FIELDS = (("zh-hans", "name_zh_hans"), ("zh-hant", "name_zh_hant"), ("en", "name_en"))
MONTH = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})
# which form field a service error's ``field`` ("measure.survey", "target", "name.en") belongs on
MEASURE_FIELDS = {"kind": "kind", "survey": "survey", "question": "question", "metric": "metric",
                  "channel": "channel", "tier": "tier", "task": "task", "theme": "theme", "measure": "loop_measure",
                  "team": "loop_team"}
KIND_FIELDS = {"survey": ("survey", "question", "metric", "touchpoint", "channel", "tier"),
               "ux_task_failure": ("task",), "renewal": (), "theme_share": ("theme", "theme_touchpoint"),
               "loop": ("loop_measure", "loop_team")}
REQUIRED = {"survey": ("survey", "question"), "ux_task_failure": ("task",), "theme_share": ("theme",),
            "loop": ("loop_measure",)}
DOTS_RECENT = 3  # months shown with their value on a phone


def _language() -> str:
    return (get_language() or "en").lower()


def _label(names: dict[str, str]) -> str:
    lang = _language()
    return names.get(lang) or names.get("en") or next(iter(names.values()), "")


def _tabs() -> dict[str, Any]:
    return {"section": "governance", "tab": "kpis"}


def plain(number: float) -> str:
    """A number as typed: 10.0 → "10", 7.5 → "7.5"."""
    text = repr(float(number))
    return text.removesuffix(".0")


def _with(choices: list[tuple[Any, Any]], value: Any) -> list[tuple[Any, Any]]:
    """``choices`` with ``value`` added when it is set and missing (a KPI keeps what it was saved with)."""
    if value in (None, "") or any(str(k) == str(value) for k, _v in choices):
        return choices
    return [*choices, (value, value)]


class QuestionSelect(forms.Select):
    """A select of questions grouped by survey; each option says its survey (``data-survey``) so that
    ``govern-b.js`` can show only the chosen survey's questions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_surveys: list[int | None] = []  # aligned with the choices: a survey id per group

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> Any:
        groups = super().optgroups(name, value, attrs)
        for index, (_group, options, _i) in enumerate(groups):
            survey = self.group_surveys[index] if index < len(self.group_surveys) else None
            if survey is not None:
                for option in options:
                    option["attrs"]["data-survey"] = str(survey)
        return groups


def question_groups(org: Organization, language: str) -> list[tuple[Survey, list[tuple[str, str]]]]:
    """Each survey's numeric questions and items (as on the survey dashboard), in survey order."""
    out = []
    for survey in Survey.objects.filter(org=org).order_by("name", "pk"):
        if not survey.current_version:
            continue
        found = dashboard.numeric_questions(spec_of(current_version(survey)), language)
        if found:
            out.append((survey, [(q.key, f"{q.label} ({q.key})") for q in found]))
    return out


def touchpoint_choices(org: Organization, language: str) -> list[tuple[str, str]]:
    """The catalogue's touchpoints (with their names) and any other touchpoint the data uses."""
    out: dict[str, str] = {}
    for t in Touchpoint.objects.filter(org=org).order_by("key"):
        name = t.name.get(language) or t.name.get("en") or ""
        out[t.key] = f"{name} ({t.key})" if name and name != t.key else t.key
    for key in used_touchpoints(org):
        out.setdefault(key, key)
    return sorted(out.items())


def theme_choices(org: Organization, language: str) -> list[tuple[str, str]]:
    codeframe = texts.matcher(org)[0].codeframe
    return [(t.key, "– " * (t.depth - 1) + codeframe.label(t.key, language)) for t in codeframe.themes]


class KpiForm(forms.Form):
    team = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    name_zh_hans = forms.CharField(label=gettext_lazy("Name (简体中文)"), required=False, max_length=services.MAX_TITLE)
    name_zh_hant = forms.CharField(label=gettext_lazy("Name (繁體中文)"), required=False, max_length=services.MAX_TITLE)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), required=False, max_length=services.MAX_TITLE)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of measure"), choices=list(KIND_LABELS.items()),
                             help_text=gettext_lazy("A survey's NPS, CSAT, mean or CES agree share; a product "
                                                    "task's failure rate; the renewal rate; the share of comments "
                                                    "about a theme; or the closed loop's SLA, closure or rescue "
                                                    "rate."))
    # survey
    survey = forms.TypedChoiceField(label=gettext_lazy("Survey"), required=False, coerce=int, empty_value=None)
    question = forms.ChoiceField(label=gettext_lazy("Question"), required=False, widget=QuestionSelect)
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), required=False,
                               choices=[("", gettext_lazy("The question's default")), *METRIC_LABELS.items()],
                               help_text=gettext_lazy("NPS needs a 0–10 question, the CES agree share a CES "
                                                      "question; the default is NPS, CSAT or the mean by the "
                                                      "question's type."))
    touchpoint = forms.ChoiceField(label=gettext_lazy("Touchpoint"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    tier = forms.ChoiceField(label=gettext_lazy("Account tier"), required=False)
    # ux_task_failure
    task = forms.ChoiceField(label=gettext_lazy("Task"), required=False)
    # theme_share
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), required=False)
    theme_touchpoint = forms.ChoiceField(label=gettext_lazy("Touchpoint"), required=False)
    # loop
    loop_measure = forms.ChoiceField(label=gettext_lazy("Rate"), required=False,
                                     choices=[("", "—"), *LOOP_LABELS.items()])
    loop_team = forms.TypedChoiceField(label=gettext_lazy("Cases of team"), required=False, coerce=int,
                                       empty_value=None)
    # the goal
    target = forms.FloatField(label=pgettext_lazy("goal", "Target"), help_text=gettext_lazy(
        "A number in the measure's unit: percent for rates (e.g. 80), points for NPS (−100 to 100), the "
        "question's scale for a mean."), widget=forms.NumberInput(attrs={"step": "any"}))
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), required=False, choices=[
        ("", gettext_lazy("The measure's default")), *DIRECTION_LABELS.items()], help_text=gettext_lazy(
        "By default lower is better for failure rates and theme shares, higher for the rest."))
    since = forms.CharField(label=gettext_lazy("First month counted"), required=False, widget=MONTH,
                            help_text=gettext_lazy("Empty: this month."))
    until = forms.CharField(label=gettext_lazy("Last month counted"), required=False, widget=MONTH,
                            help_text=gettext_lazy("Empty: no end."))

    def __init__(self, *args: Any, org: Organization, kpi: Kpi | None = None, **kwargs: Any) -> None:
        if kpi is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_of(kpi)
        super().__init__(*args, **kwargs)
        language = _language()
        initial = kwargs.get("initial") or {}
        teams = list(Team.objects.filter(org=org).order_by("name").values_list("pk", "name"))
        self.fields["team"].choices = teams  # type: ignore[attr-defined]
        self.fields["loop_team"].choices = [("", gettext_lazy("All teams")), *teams]  # type: ignore[attr-defined]
        groups = question_groups(org, language)
        surveys = list(Survey.objects.filter(org=org).order_by("name", "pk").values_list("pk", "name"))
        self.fields["survey"].choices = [("", "—"), *surveys]  # type: ignore[attr-defined]
        question_choices: list[tuple[Any, Any]] = [("", "—")]
        widget = self.fields["question"].widget
        assert isinstance(widget, QuestionSelect)
        widget.group_surveys = [None]
        for survey, questions in groups:
            question_choices.append((survey.name, questions))
            widget.group_surveys.append(survey.pk)
        if initial.get("question") and not any(initial["question"] == k for _s, qs in groups for k, _l in qs):
            question_choices.append((initial["question"], initial["question"]))  # no longer asked
            widget.group_surveys.append(None)
        self.fields["question"].choices = question_choices  # type: ignore[attr-defined]
        places = touchpoint_choices(org, language)
        everything = [("", gettext_lazy("All"))]
        self.fields["touchpoint"].choices = _with(everything + places, initial.get("touchpoint"))  # type: ignore[attr-defined]
        self.fields["theme_touchpoint"].choices = _with(everything + places,  # type: ignore[attr-defined]
                                                        initial.get("theme_touchpoint"))
        self.fields["channel"].choices = _with(everything + list(Channel.choices),  # type: ignore[attr-defined]
                                               initial.get("channel"))
        self.fields["tier"].choices = _with(everything + list(Tier.choices), initial.get("tier"))  # type: ignore[attr-defined]
        tasks = [(t, t) for t in ux.known_values(org, "task", ux.TASK_EVENTS)]
        self.fields["task"].choices = _with([("", "—"), *tasks], initial.get("task"))  # type: ignore[attr-defined]
        self.fields["theme"].choices = _with([("", "—"), *theme_choices(org, language)],  # type: ignore[attr-defined]
                                             initial.get("theme"))

    @staticmethod
    def initial_of(k: Kpi) -> dict[str, Any]:
        spec = k.measure
        kind = spec.get("kind", "")
        out: dict[str, Any] = {
            "team": k.team_id, **{f: k.name.get(lang, "") for lang, f in NAME_FIELDS}, "kind": kind,
            "target": plain(k.target), "direction": k.direction, "since": k.since.isoformat()[:7],
            "until": k.until.isoformat()[:7] if k.until else ""}
        if kind == "survey":
            out.update({key: spec.get(key) or "" for key in ("survey", "question", "metric", *measures.FILTERS)})
        elif kind == "ux_task_failure":
            out["task"] = spec.get("task", "")
        elif kind == "theme_share":
            out.update(theme=spec.get("theme", ""), theme_touchpoint=spec.get("touchpoint", ""))
        elif kind == "loop":
            out.update(loop_measure=spec.get("measure", ""), loop_team=spec.get("team") or "")
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f) for _lang, f in NAME_FIELDS) and not any(
                self.has_error(f) for _lang, f in NAME_FIELDS):
            self.add_error("name_en", _("Give the KPI a name in at least one language."))
        for name in REQUIRED.get(data.get("kind") or "", ()):
            if data.get(name) in (None, "") and not self.has_error(name):
                self.add_error(name, forms.Field.default_error_messages["required"])
        return data

    def names(self) -> dict[str, str]:
        return {lang: self.cleaned_data.get(f) or "" for lang, f in NAME_FIELDS}

    def measure(self) -> dict[str, Any]:
        """The measure dict of the chosen kind from its fields alone (the other kinds' fields are ignored)."""
        d = self.cleaned_data
        kind = d["kind"]
        spec: dict[str, Any] = {"kind": kind}
        if kind == "survey":
            spec.update(survey=d["survey"], question=d["question"])
            spec.update({key: d[key] for key in ("metric", *measures.FILTERS) if d.get(key)})
        elif kind == "ux_task_failure":
            spec["task"] = d["task"]
        elif kind == "theme_share":
            spec["theme"] = d["theme"]
            if d.get("theme_touchpoint"):
                spec["touchpoint"] = d["theme_touchpoint"]
        elif kind == "loop":
            spec.update(measure=d["loop_measure"], team=d.get("loop_team"))
        return spec

    def field_of(self, exc: ServiceError) -> str | None:
        """The form field a service error names, or None (shown above the form)."""
        where = exc.field or ""
        if where.startswith("measure."):
            key = where.removeprefix("measure.").split(".")[0]
            if key == "touchpoint":
                return "theme_touchpoint" if self.cleaned_data.get("kind") == "theme_share" else "touchpoint"
            return MEASURE_FIELDS.get(key)
        if where.startswith("name."):
            return dict(NAME_FIELDS).get(where.removeprefix("name."))
        return where if where in ("team", "target", "direction", "since", "until") else None

    def groups(self) -> list[dict[str, Any]]:
        """The kinds' parameter fields, one fieldset per kind (the template shows the chosen kind's)."""
        return [{"kind": kind, "label": KIND_LABELS[kind], "fields": [self[name] for name in names]}
                for kind, names in KIND_FIELDS.items()]


def _save(actor: Actor, form: KpiForm, kpi: Kpi | None) -> Kpi | None:
    """Save a valid form; a service error becomes a form error on its field and nothing is stored."""
    if not form.is_valid():
        return None
    d = form.cleaned_data
    try:
        return services.save_kpi(org=actor.org, team=d["team"], name=form.names(), measure=form.measure(),
                                 target=d["target"], direction=d.get("direction") or None,
                                 since=d.get("since") or None, until=d.get("until") or None, kpi=kpi,
                                 actor=actor.user)
    except ServiceError as exc:
        form.add_error(form.field_of(exc), exc.message)
        return None


def _kpi_or_404(org: Organization, kpi_id: int) -> Kpi:
    try:
        return services.kpi(org, kpi_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _form_context(form: KpiForm) -> dict[str, Any]:
    return {"form": form, "kind_groups": form.groups()}


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=ANALYSE)
def kpi_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    org = actor.org
    if request.method == "POST":
        form = KpiForm(request.POST, org=org)
        k = _save(actor, form, None)
        if k is not None:
            messages.success(request, _("The KPI is saved."))
            return HttpResponseRedirect(reverse("governance_kpi", kwargs={"org": org.slug, "kpi_id": k.pk}))
    else:
        team = request.GET.get("team", "")
        form = KpiForm(org=org, initial={"kind": "survey", "team": int(team) if team.isdigit() else None})
    return render(request, "web/governance/kpi_form.html", {
        "org": org, **_tabs(), **_form_context(form), "can_manage": actor.can(ANALYSE)})


def _value_text(s: Shown | None) -> str:
    """An estimate as plain text for a title, e.g. "12% [8–15], n = 130"."""
    if s is None or s.value is None:
        return "—"
    text = f"{s.value:.{s.decimals}f}{s.unit}"
    if s.low is not None and s.high is not None:
        text += f" [{s.low:.{s.decimals}f}–{s.high:.{s.decimals}f}]"
    return f"{text}, n = {s.n}"


def target_text(kpi: Kpi) -> str:
    """The target with its direction and unit, e.g. "≤ 10%", "≥ 30 points", "≥ 4.2"."""
    unit = measures.unit(kpi.measure)
    sign = "≤" if kpi.direction == "lower" else "≥"
    suffix = "%" if unit == "%" else " " + _("points") if unit == "points" else ""
    return f"{sign} {plain(kpi.target)}{suffix}"


def _cells(kpi: Kpi, cells: list[services.Cell]) -> list[dict[str, Any]]:
    unit = measures.unit(kpi.measure)
    out = []
    for c in cells:
        s = shown(c.estimate, unit)
        label = str(STATUS_LABELS.get(c.status, "")) if c.status else _("Not counted")
        out.append({"month": c.month, "s": s, "status": c.status, "label": label,
                    "title": f"{c.month:%Y-%m}: {_value_text(s) if c.status else '—'} · {label}"})
    return out


def _end(request: HttpRequest) -> date | None:
    if not request.GET.get("to"):
        return None
    try:
        return services.parse_month(request.GET["to"], "to")
    except ServiceError as exc:
        messages.error(request, exc.message)
        return None


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=ANALYSE)
def kpi_page(request: HttpRequest, actor: Actor, kpi_id: int) -> HttpResponse:
    org = actor.org
    k = _kpi_or_404(org, kpi_id)
    form = KpiForm(org=org, kpi=k)
    if request.method == "POST":
        form = KpiForm(request.POST, org=org, initial=KpiForm.initial_of(k))
        saved = _save(actor, form, k)
        if saved is not None:
            messages.success(request, _("The KPI is saved."))
            return HttpResponseRedirect(reverse("governance_kpi", kwargs={"org": org.slug, "kpi_id": k.pk}))
        k = _kpi_or_404(org, kpi_id)  # as stored: the failed save changed nothing
    board = services.scoreboard(org, end=_end(request), team_id=k.team_id)
    row = next(r for b in board.teams for r in b.rows if r.kpi.pk == k.pk)
    unit = measures.unit(k.measure)
    return render(request, "web/governance/kpi.html", {
        "org": org, **_tabs(), "kpi": k, "name": _label(k.name), "measure": measures.describe(k.measure, _language(),
                                                                                           org),
        "target_text": target_text(k), "kind_label": KIND_LABELS.get(k.measure.get("kind", ""), ""), "unit": unit,
        "direction_label": DIRECTION_LABELS.get(k.direction, ""), "months": list(reversed(_cells(k, row.cells))),
        "end": board.months[-1], **_form_context(form), "can_manage": actor.can(ANALYSE)})


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=ANALYSE)
def kpi_delete(request: HttpRequest, actor: Actor, kpi_id: int) -> HttpResponse:
    """GET asks to confirm; POST removes the KPI (audit-logged) and goes back to the scoreboard."""
    org = actor.org
    k = _kpi_or_404(org, kpi_id)
    if request.method == "POST":
        services.delete_kpi(kpi=k, actor=actor.user)
        messages.success(request, _("The KPI is deleted."))
        return HttpResponseRedirect(reverse("governance_kpis", kwargs={"org": org.slug}))
    return render(request, "web/governance/kpi_form.html", {
        "org": org, **_tabs(), "kpi": k, "name": _label(k.name), "deleting": True,
        "can_manage": actor.can(ANALYSE)})


@require_safe
@org_page(READ)
def scoreboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every department's KPIs by month: a table on a desktop; on a phone each KPI's latest months and a row of
    twelve status dots."""
    org = actor.org
    board = services.scoreboard(org, end=_end(request))
    language = _language()
    rows = []
    teams = []
    for block in board.teams:
        team_rows = []
        for i, r in enumerate(block.rows):
            unit = measures.unit(r.kpi.measure)
            cells = _cells(r.kpi, r.cells)
            team_rows.append({"team": block.team, "first": i == 0, "span": len(block.rows), "kpi": r.kpi,
                              "name": _label(r.kpi.name), "measure": measures.describe(r.kpi.measure, language,
                                                                                        org),
                              "unit": unit, "target_text": target_text(r.kpi), "cells": cells,
                              "recent": list(reversed(cells[-DOTS_RECENT:]))})
        rows.extend(team_rows)
        teams.append({"team": block.team, "rows": team_rows})
    winners = [{"month": m, "teams": [b.team for b in board.teams if b.team.pk in board.winners[m]]}
               for m in board.months]
    return render(request, "web/governance/scoreboard.html", {
        "org": org, **_tabs(), "months": board.months, "rows": rows, "teams": teams, "winners": winners,
        "recent_winners": list(reversed(winners[-DOTS_RECENT:])),
        "status_labels": {**STATUS_LABELS, "off": _("Not counted")},
        "end": board.months[-1] if board.months else None, "can_manage": actor.can(ANALYSE)})

