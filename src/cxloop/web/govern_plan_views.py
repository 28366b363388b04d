"""Action plans made in one step from where a problem is seen — a theme's spike, a journey step's opportunity, a
selection of cases — and a plan's edit page (title, problem, owners, due date, the baseline and after windows, the
story and the tasks). Each POST calls ``govern.services``; a one-step button that fails says why on the page it
came from."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cxloop.analytics import themes
from cxloop.govern import services
from cxloop.govern.models import ActionPlan, PlanTask
from cxloop.orgs.access import WORK, Actor
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.orgs.services import ServiceError
from cxloop.web.decorators import org_page

MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- form fields -----------------------------------------------------------------------------------------------


class MonthField(forms.Field):
    """A whole month, typed or picked as ``YYYY-MM``; cleaned to its first day (None when empty)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": gettext_lazy("Give a month as YYYY-MM.")}

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        found = MONTH_RE.fullmatch(text)
        if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1900:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return date(int(found[1]), int(found[2]), 1)

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if isinstance(value, date) else value


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.email)


def _teams(org: Organization) -> Any:
    return Team.objects.filter(org=org).order_by("name")


def _members(org: Organization) -> Any:
    return User.objects.filter(memberships__org=org).order_by("display_name", "email")


# --- one-step creation ---------------------------------------------------------------------------------------


class FromThemeForm(forms.Form):
    theme = forms.CharField(label=gettext_lazy("Theme"), max_length=120)
    month = MonthField(label=gettext_lazy("Month"))
    owner_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("Owner team"),
                                        required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = _teams(org)  # type: ignore[attr-defined]


class FromStepForm(forms.Form):
    step = forms.IntegerField(label=gettext_lazy("Journey step"), min_value=1)
    owner_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("Owner team"),
                                        required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = _teams(org)  # type: ignore[attr-defined]


def _back(request: HttpRequest, actor: Actor) -> HttpResponseRedirect:
    """Back to the page the button was on (a page of this organisation on this site), else the plans list."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        parts = urlsplit(referer)
        if parts.path.startswith(f"/o/{actor.org.slug}/"):
            return HttpResponseRedirect(parts.path + (f"?{parts.query}" if parts.query else ""))
    return HttpResponseRedirect(reverse("governance_plans", kwargs={"org": actor.org.slug}))


def _form_failed(request: HttpRequest, actor: Actor, form: forms.Form) -> HttpResponseRedirect:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))
    return _back(request, actor)


def _created(request: HttpRequest, actor: Actor, p: ActionPlan) -> HttpResponseRedirect:
    messages.success(request, _("Action plan AP-%(number)d is created.") % {"number": p.number})
    return HttpResponseRedirect(reverse("governance_plan", kwargs={"org": actor.org.slug, "plan_id": p.pk}))


def _refused(request: HttpRequest, actor: Actor, exc: ServiceError) -> HttpResponseRedirect:
    if exc.status == 404:
        raise Http404(exc.message) from exc
    messages.error(request, exc.message)
    return _back(request, actor)


def _own_team(actor: Actor) -> int | None:
    """The acting user's team in the organisation (a spike has no team of its own)."""
    row = Membership.objects.filter(org=actor.org, user=actor.user).values_list("team_id", flat=True).first()
    return int(row) if row else None


@require_POST
@org_page(WORK)
def plan_from_theme(request: HttpRequest, actor: Actor) -> HttpResponse:
    """``theme`` (a codeframe key), ``month`` (YYYY-MM, the spike) and optionally ``owner_team`` (default: the
    acting user's team)."""
    form = FromThemeForm(request.POST, org=actor.org)
    if not form.is_valid():
        return _form_failed(request, actor, form)
    key = form.cleaned_data["theme"]
    themes.ensure_theme(actor.org, key)
    team = form.cleaned_data["owner_team"]
    try:
        p = services.plan_from_theme_spike(org=actor.org, theme=key, month=form.cleaned_data["month"],
                                           owner_team=team.pk if team else _own_team(actor), actor=actor.user)
    except ServiceError as exc:
        return _refused(request, actor, exc)
    return _created(request, actor, p)


@require_POST
@org_page(WORK)
def plan_from_step(request: HttpRequest, actor: Actor) -> HttpResponse:
    """``step`` (a journey step's id) and optionally ``owner_team`` (default: the touchpoint's team)."""
    form = FromStepForm(request.POST, org=actor.org)
    if not form.is_valid():
        return _form_failed(request, actor, form)
    team = form.cleaned_data["owner_team"]
    try:
        p = services.plan_from_step(org=actor.org, step=form.cleaned_data["step"],
                                    owner_team=team.pk if team else None, actor=actor.user)
    except ServiceError as exc:
        return _refused(request, actor, exc)
    return _created(request, actor, p)


@require_POST
@org_page(WORK)
def plan_from_cases(request: HttpRequest, actor: Actor) -> HttpResponse:
    """``case`` (one or more case numbers: the inbox's selection or one case's page)."""
    raw = [n.strip() for n in request.POST.getlist("case") if n.strip()]
    if not raw:
        messages.error(request, _("Choose at least one case."))
        return _back(request, actor)
    if not all(n.isdigit() for n in raw):
        messages.error(request, _("Cases: give case numbers."))
        return _back(request, actor)
    numbers = list(dict.fromkeys(int(n) for n in raw))
    try:
        p = services.plan_from_cases(org=actor.org, cases=numbers, actor=actor.user)
    except ServiceError as exc:
        return _refused(request, actor, exc)
    return _created(request, actor, p)


# --- editing a plan ------------------------------------------------------------------------------------------


class PlanEditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.MAX_TITLE)
    problem = forms.CharField(label=gettext_lazy("Problem"), required=False, max_length=services.MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 4}))
    owner_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("Owner team"),
                                        required=False, empty_label="—")
    owner = MemberChoice(queryset=User.objects.none(), label=gettext_lazy("Plan owner"), required=False,
                         empty_label="—")
    due = forms.DateField(label=gettext_lazy("Due date"), required=False, widget=DATE)
    baseline_from = MonthField(label=gettext_lazy("Baseline from"), required=False)
    baseline_to = MonthField(label=gettext_lazy("Baseline to"), required=False)
    after_from = MonthField(label=gettext_lazy("After from"), required=False)
    after_to = MonthField(label=gettext_lazy("After to"), required=False)
    story = forms.CharField(label=gettext_lazy("Story"), required=False, max_length=services.MAX_TEXT,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=gettext_lazy("What was done, for the success story."))
    new_title = forms.CharField(label=gettext_lazy("New task"), required=False, max_length=services.MAX_TITLE)
    new_assignee = MemberChoice(queryset=User.objects.none(), label=gettext_lazy("Assignee"), required=False,
                                empty_label="—")
    new_due = forms.DateField(label=gettext_lazy("Due"), required=False, widget=DATE)

    PLAN_FIELDS = ("title", "problem", "owner_team", "owner", "due", "baseline_from", "baseline_to", "after_from",
                   "after_to", "story")
    WINDOWS = (("baseline_from", "baseline_to", gettext_lazy("the baseline window")),
               ("after_from", "after_to", gettext_lazy("the after window")))

    def __init__(self, *args: Any, org: Organization, tasks: list[PlanTask], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = _teams(org)  # type: ignore[attr-defined]
        members = _members(org)
        self.fields["owner"].queryset = members  # type: ignore[attr-defined]
        self.fields["new_assignee"].queryset = members  # type: ignore[attr-defined]
        self.tasks = tasks
        for t in tasks:
            n = self.prefix_of(t)
            self.fields[f"{n}title"] = forms.CharField(label=_("Task"), required=False, max_length=services.MAX_TITLE,
                                                       initial=t.title)
            self.fields[f"{n}assignee"] = MemberChoice(queryset=members, label=_("Assignee"), required=False,
                                                       initial=t.assignee_id, empty_label="—")
            self.fields[f"{n}due"] = forms.DateField(label=_("Due"), required=False, widget=DATE, initial=t.due)
            self.fields[f"{n}done"] = forms.BooleanField(label=_("Done"), required=False, initial=t.done)
            self.fields[f"{n}remove"] = forms.BooleanField(label=_("Remove"), required=False)

    @staticmethod
    def prefix_of(t: PlanTask) -> str:
        return f"task_{t.pk}_"

    def task_rows(self) -> list[dict[str, Any]]:
        return [{"task": t, **{k: self[f"{self.prefix_of(t)}{k}"] for k in ("title", "assignee", "due", "done",
                                                                           "remove")}} for t in self.tasks]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for a, b, what in self.WINDOWS:
            if a in self.errors or b in self.errors:
                continue
            lo, hi = data.get(a), data.get(b)
            if (lo is None) != (hi is None):
                missing = b if hi is None else a
                self.add_error(missing, _("Give both ends of %(window)s, or neither.") % {"window": what})
            elif lo is not None and hi is not None and hi < lo:
                self.add_error(b, _("The end of %(window)s must not be before its start.") % {"window": what})
        windows_ok = not any(k in self.errors for k in ("baseline_from", "baseline_to", "after_from", "after_to"))
        if windows_ok and data.get("after_from") and data.get("baseline_to") \
                and data["after_from"] <= data["baseline_to"]:
            self.add_error("after_from", _("The after window must start after the baseline window ends."))
        for t in self.tasks:
            n = self.prefix_of(t)
            if not data.get(f"{n}remove") and not data.get(f"{n}title") and f"{n}title" not in self.errors:
                self.add_error(f"{n}title", _("Give the task a title, or tick Remove."))
        if not data.get("new_title") and (data.get("new_assignee") or data.get("new_due")):
            self.add_error("new_title", _("Give the new task a title."))
        return data

    def plan_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        tasks = []
        for t in self.tasks:
            n = self.prefix_of(t)
            if d.get(f"{n}remove"):
                continue
            tasks.append(_task(d[f"{n}title"], d.get(f"{n}assignee"), d.get(f"{n}due"), bool(d.get(f"{n}done"))))
        if d.get("new_title"):
            tasks.append(_task(d["new_title"], d.get("new_assignee"), d.get("new_due"), False))
        data: dict[str, Any] = {k: d.get(k) for k in self.PLAN_FIELDS}
        data["owner_team"] = data["owner_team"].pk if data["owner_team"] else None
        data["owner"] = data["owner"].pk if data["owner"] else None
        data["tasks"] = tasks
        return data

    @classmethod
    def initial_of(cls, p: ActionPlan) -> dict[str, Any]:
        return {"title": p.title, "problem": p.problem, "owner_team": p.owner_team_id, "owner": p.owner_id,
                "due": p.due, "baseline_from": p.baseline_from, "baseline_to": p.baseline_to,
                "after_from": p.after_from, "after_to": p.after_to, "story": p.story}


def _task(title: str, assignee: Any, due: date | None, done: bool) -> dict[str, Any]:
    return {"title": title, "assignee": assignee.pk if assignee else None,
            "due": due.isoformat() if due else None, "done": done}


def _task_list(p: ActionPlan) -> list[PlanTask]:
    return list(p.tasks.select_related("assignee").order_by("position", "id"))


def _toggle(request: HttpRequest, actor: Actor, p: ActionPlan, tasks: list[PlanTask]) -> HttpResponse:
    """The plan page's tick: one task done (or not done again); every other task as it is."""
    page = HttpResponseRedirect(reverse("governance_plan", kwargs={"org": actor.org.slug, "plan_id": p.pk}))
    raw = request.POST.get("toggle", "")
    chosen = next((t for t in tasks if str(t.pk) == raw), None)
    if chosen is None:
        messages.error(request, _("That task is no longer on the plan; the page is reloaded."))
        return page
    done = request.POST.get("done") == "1"
    listed = [_task(t.title, t.assignee, t.due, done if t.pk == chosen.pk else t.done) for t in tasks]
    try:
        services.save_plan(org=actor.org, data={"tasks": listed}, p=p, actor=actor.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Task done: %(title)s") % {"title": chosen.title} if done
                         else _("Task open again: %(title)s") % {"title": chosen.title})
    return page


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(WORK)
def plan_edit(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    org = actor.org
    try:
        p = services.plan(org, plan_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    tasks = _task_list(p)
    if request.method == "POST" and "toggle" in request.POST:
        return _toggle(request, actor, p, tasks)
    if request.method == "POST":
        form = PlanEditForm(request.POST, org=org, tasks=tasks)
        if form.is_valid():
            try:
                services.save_plan(org=org, data=form.plan_data(), p=p, actor=actor.user)
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The plan is saved."))
                if request.POST.get("then") == "more":
                    return HttpResponseRedirect(reverse("governance_plan_edit",
                                                        kwargs={"org": org.slug, "plan_id": p.pk}) + "#tasks")
                return HttpResponseRedirect(reverse("governance_plan", kwargs={"org": org.slug, "plan_id": p.pk}))
            p.refresh_from_db()
    else:
        form = PlanEditForm(org=org, tasks=tasks, initial=PlanEditForm.initial_of(p))
    return render(request, "web/governance/plan_edit.html", {
        "org": org, "section": "governance", "tab": "plans", "p": p, "form": form,
        "plan_fields": [form[k] for k in ("title", "problem", "owner_team", "owner", "due")],
        "windows": [(form[a], form[b], what) for a, b, what in PlanEditForm.WINDOWS],
        "task_rows": form.task_rows()})
