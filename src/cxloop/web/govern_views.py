"""The Governance section (issue 9): the CX committee (chair, departments, the director rotation, what needs a
decision, meetings), the KPI scoreboard across departments and months, action plans with their measured effect,
and success stories. Each view calls ``govern.services`` (or ``govern.stories``); POSTs are plain forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.analytics.metrics_service import local_today
from cxloop.core import governance, metrics
from cxloop.govern import measures, report, services, stories
from cxloop.govern.models import ActionPlan, PlanStatus
from cxloop.orgs.access import MANAGE, READ, WORK, Actor
from cxloop.orgs.models import Team
from cxloop.orgs.services import ServiceError
from cxloop.web.decorators import org_page

STATUS_LABELS = {governance.MET: gettext_lazy("Met"), governance.MISSED: gettext_lazy("Missed"),
                 governance.OPEN: gettext_lazy("Not significant yet"), governance.NO_DATA: gettext_lazy("No data")}
VERDICT_LABELS = {"improved": gettext_lazy("Significant improvement"), "worsened": gettext_lazy("Significantly worse"),
                  "no_change": gettext_lazy("No significant change"), "too_few": gettext_lazy("Too few to tell"),
                  "no_data": gettext_lazy("No data yet")}


def _language() -> str:
    return (get_language() or "en").lower()


def _label(names: dict[str, str]) -> str:
    lang = _language()
    return names.get(lang) or names.get("en") or next(iter(names.values()), "")


@dataclass(frozen=True)
class Shown:
    """An estimate as the pages show it (``web/behaviour/_est.html``)."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool
    unit: str
    decimals: int


def shown(e: metrics.Estimate | None, unit: str) -> Shown | None:
    if e is None:
        return None
    return Shown(e.value, e.low, e.high, e.n, e.too_few, "%" if unit == "%" else "", 0 if unit in ("%", "points")
                 else 2)


def _month_choices(today: date, back: int = 12, ahead: int = 12) -> list[tuple[str, str]]:
    first = services.first_of_month(today)
    months = [governance.add_months(first, i) for i in range(-back, ahead + 1)]
    return [(m.isoformat()[:7], m.isoformat()[:7]) for m in months]


class RotationForm(forms.Form):
    start = forms.ChoiceField(label=gettext_lazy("From month"))
    months = forms.IntegerField(label=gettext_lazy("Months"), min_value=1, max_value=36, initial=12)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _month_choices(local_today())
        self.fields["start"].choices = choices  # type: ignore[attr-defined]
        self.fields["start"].initial = local_today().isoformat()[:7]


class MonthForm(forms.Form):
    rotation = forms.IntegerField(widget=forms.HiddenInput)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("Department"))

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            org=org, pk__in=services.committee(org).seats.values("team_id"))


def _tabs(tab: str) -> dict[str, Any]:
    return {"section": "governance", "tab": tab}


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=MANAGE)
def committee(request: HttpRequest, actor: Actor) -> HttpResponse:
    org = actor.org
    rotation_form = RotationForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "rotation":
                rotation_form = RotationForm(request.POST)
                if rotation_form.is_valid():
                    services.generate_rotation(org=org, start=rotation_form.cleaned_data["start"],
                                               months=rotation_form.cleaned_data["months"], actor=actor.user)
                    messages.success(request, _("The rotation is planned."))
                    return HttpResponseRedirect(reverse("governance", kwargs={"org": org.slug}))
            elif request.POST.get("action") == "month":
                form = MonthForm(request.POST, org=org)
                if form.is_valid():
                    row = services.director_month(org, form.cleaned_data["rotation"])
                    services.edit_month(org=org, month=row.month, team=form.cleaned_data["team"].pk,
                                        actor=actor.user)
                    messages.success(request, _("The month's director is changed."))
                    return HttpResponseRedirect(reverse("governance", kwargs={"org": org.slug}))
                messages.error(request, _("Choose a department on the committee."))
        except ServiceError as exc:
            messages.error(request, exc.message)
    c = services.committee(org)
    today = services.first_of_month(local_today())
    schedule = services.schedule(org, governance.add_months(today, -2), 14)
    seats = list(c.seats.select_related("team", "head"))
    return render(request, "web/governance/committee.html", {
        "org": org, **_tabs("committee"), "committee": c, "committee_name": _label(c.name), "seats": seats,
        "schedule": [{"row": m, "current": m.month == today, "form": MonthForm(org=org, initial={"rotation": m.pk,
                                                                                                    "team": m.team_id})}
                     for m in schedule],
        "rotation_form": rotation_form, "can_manage": actor.can(MANAGE),
        "decide": services.plans(org, PlanStatus.PROPOSED), "meetings": services.meetings(org)[:5],
        "director": services.director_of(org, today), "report_month": governance.add_months(today, -1)})


class PlanForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.MAX_TITLE)
    problem = forms.CharField(label=gettext_lazy("Problem"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("Owner team"),
                                        required=False)

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.filter(org=org)  # type: ignore[attr-defined]


def _plan_row(p: ActionPlan) -> dict[str, Any]:
    e = services.plan_effect(p)
    return {"plan": p, "verdict": e.verdict if e else "", "verdict_label": VERDICT_LABELS.get(e.verdict, "") if e
            else ""}


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=WORK)
def plans(request: HttpRequest, actor: Actor) -> HttpResponse:
    org = actor.org
    form = PlanForm(org=org)
    if request.method == "POST":
        form = PlanForm(request.POST, org=org)
        if form.is_valid():
            data = {"title": form.cleaned_data["title"], "problem": form.cleaned_data["problem"]}
            if form.cleaned_data["owner_team"]:
                data["owner_team"] = form.cleaned_data["owner_team"].pk
            try:
                p = services.save_plan(org=org, data=data, actor=actor.user)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return HttpResponseRedirect(reverse("governance_plan", kwargs={"org": org.slug, "plan_id": p.pk}))
    status = request.GET.get("status") or None
    if status not in PlanStatus.values:
        status = None
    return render(request, "web/governance/plans.html", {
        "org": org, **_tabs("plans"), "rows": [_plan_row(p) for p in services.plans(org, status)], "form": form,
        "statuses": PlanStatus.choices, "status": status, "can_work": actor.can(WORK)})


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=PlanStatus.choices)


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=WORK)
def plan(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    org = actor.org
    try:
        p = services.plan(org, plan_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            services.save_plan(org=org, data={"status": form.cleaned_data["status"]}, p=p, actor=actor.user)
            messages.success(request, _("The plan's status is changed."))
        return HttpResponseRedirect(reverse("governance_plan", kwargs={"org": org.slug, "plan_id": p.pk}))
    effect = services.plan_effect(p)
    unit = measures.unit(p.measure) if p.measure else ""
    from cxloop.journeys.live import label_of
    from cxloop.texts import services as texts

    lang = _language()
    links = {
        "theme": texts.matcher(org)[0].codeframe.label(p.theme, lang) if p.theme else "",
        "touchpoint": (label_of(p.touchpoint.name, lang) or p.touchpoint.key) if p.touchpoint else "",
        "step": p.step, "journey_id": p.step.stage.journey_id if p.step else None,
        "step_label": (label_of(p.step.touchpoint.name, lang) or p.step.touchpoint.key) if p.step else ""}
    return render(request, "web/governance/plan.html", {
        "org": org, **_tabs("plans"), "p": p, "tasks": list(p.tasks.select_related("assignee")), "links": links,
        "meetings": list(p.meetings.order_by("-held_on")),
        "cases": list(p.cases.order_by("number")[:50]),
        "measure": measures.describe(p.measure, _language(), org) if p.measure else "",
        "effect": effect, "before": shown(effect.before, unit) if effect else None,
        "after": shown(effect.after, unit) if effect else None, "unit": unit,
        "verdict_label": VERDICT_LABELS.get(effect.verdict, "") if effect else "",
        "status_form": StatusForm(initial={"status": p.status}), "can_work": actor.can(WORK)})


@require_safe
@org_page(READ)
def success(request: HttpRequest, actor: Actor) -> HttpResponse:
    org = actor.org
    found = stories.success_stories(org)
    items = []
    for s in found.plans:
        unit = measures.unit(s.plan.measure)
        items.append({"plan": s.plan, "effect": s.effect, "before": shown(s.effect.before, unit),
                      "after": shown(s.effect.after, unit), "unit": unit,
                      "measure": measures.describe(s.plan.measure, _language(), org)})
    return render(request, "web/governance/stories.html", {
        "org": org, **_tabs("stories"), "plans": items, "recovered": found.recovered,
        "recovered_total": found.recovered_total})


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(READ, post_role=MANAGE)
def report_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The monthly report: ``?month=YYYY-MM`` (default: last month), ``&format=pdf`` for the PDF; POST sends it to
    the committee."""
    org = actor.org
    default = governance.add_months(services.first_of_month(local_today()), -1)
    try:
        month = services.parse_month(request.GET.get("month") or request.POST.get("month") or default, "month")
    except ServiceError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    language = _language()
    if request.method == "POST":
        try:
            sent = report.send(org=org, month=month, actor=actor.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The report is on its way to %(n)d committee members.") % {"n": len(sent)})
        return HttpResponseRedirect(reverse("governance", kwargs={"org": org.slug}))
    built = report.build(org, month, language)
    if request.GET.get("format") == "pdf":
        try:
            pdf = report.render_pdf(report.render_html(built))
        except RuntimeError as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="cx-governance-{month:%Y-%m}.pdf"'
        return response
    return HttpResponse(report.render_html(built, css_url=static("cxloop/report.css")))
