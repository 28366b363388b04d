"""Editing the CX committee on its pages (issue 9): its name, chair and seats (which departments sit on it, their
heads and the order of the project-director rotation), and its meetings (date, title, agenda, decisions linked to
action plans, notes, linked plans). The forms live here too; every write goes through ``govern.services``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.analytics.metrics_service import local_today
from cxloop.govern import services
from cxloop.govern.models import ActionPlan, Meeting, Seat
from cxloop.orgs.access import MANAGE, READ, Actor
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.orgs.services import ServiceError
from cxloop.web.decorators import org_page
from cxloop.web.journey_forms import NamedForm

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
MAX_DECISION = 1000
MAX_ORDER = 999
# "AP-12: decide this" or "decide this AP-12" (the plan's number within the organisation)
_LEADING_PLAN = re.compile(r"^AP-(\d{1,9})\s*:\s*(.*)$", re.IGNORECASE)
_TRAILING_PLAN = re.compile(r"^(.*?)\s+AP-(\d{1,9})$", re.IGNORECASE)


def _label(names: dict[str, str]) -> str:
    lang = (get_language() or "en").lower()
    return names.get(lang) or names.get("en") or next(iter(names.values()), "")


def _person(u: User) -> str:
    return u.display_name or u.email


def _members(org: Organization) -> list[User]:
    return [m.user for m in Membership.objects.filter(org=org).select_related("user")
            .order_by("user__display_name", "user__email")]


def _service_error(form: forms.Form, exc: ServiceError, fields: Iterable[str]) -> None:
    """A service's error on the form: on the field it names when the form has it, else above the form."""
    name = (exc.field or "").split("[")[0].split(".")[0]
    form.add_error(name if name in set(fields) else None, exc.message)


# --- the committee -----------------------------------------------------------------------------------------------


class CommitteeForm(NamedForm):
    """Name (three languages), chair, and for every team of the organisation: on the committee?, head (empty: the
    team's lead) and rotation order (1, 2, …; ties keep the current order, then the team's name)."""

    chair = forms.TypedChoiceField(label=gettext_lazy("Chair"), required=False, coerce=int, empty_value=None)
    report_day = forms.IntegerField(
        label=gettext_lazy("Send the monthly report on day"), required=False, min_value=1, max_value=28,
        help_text=gettext_lazy("Day 1–28 of each month: last month's report is e-mailed to the committee (chair and "
                               "heads) with the PDF attached. Empty: only when someone sends it."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        c = services.committee(org)
        self.committee = c
        people = [(u.pk, _person(u)) for u in _members(org)]
        invalid = {"invalid_choice": gettext_lazy("Choose a member of this organisation.")}
        chair = self.fields["chair"]
        chair.choices = [("", _("— no chair —")), *people]  # type: ignore[attr-defined]
        chair.error_messages.update(invalid)
        seats: dict[int, Seat] = {s.team_id: s for s in Seat.objects.filter(committee=c)}
        teams = list(Team.objects.filter(org=org).select_related("lead").order_by("name"))
        self._position = {t.pk: (seats[t.pk].position if t.pk in seats else MAX_ORDER + 1) for t in teams}
        self.teams = sorted(teams, key=lambda t: self._position[t.pk])  # the seats in rotation order, then the rest
        if not self.is_bound:
            self.initial.update(self.initial_of(c.name, chair=c.chair_id, report_day=c.report_day))
        for t in self.teams:
            seat = seats.get(t.pk)
            lead = (_("the team lead (%(name)s)") % {"name": _person(t.lead)} if t.lead
                    else _("the team lead (none)"))
            self.fields[f"on_{t.pk}"] = forms.BooleanField(label=gettext_lazy("On the committee"), required=False,
                                                           initial=seat is not None)
            self.fields[f"head_{t.pk}"] = forms.TypedChoiceField(
                label=gettext_lazy("Head"), required=False, coerce=int, empty_value=None,
                choices=[("", lead), *people], initial=seat.head_id if seat else None, error_messages=invalid)
            self.fields[f"order_{t.pk}"] = forms.IntegerField(
                label=gettext_lazy("Rotation order"), required=False, min_value=1, max_value=MAX_ORDER,
                initial=seat.position + 1 if seat else None, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def name_fields(self) -> list[forms.BoundField]:
        return [self["name_zh_hans"], self["name_zh_hant"], self["name_en"]]

    def rows(self) -> list[dict[str, Any]]:
        return [{"team": t, "on": self[f"on_{t.pk}"], "head": self[f"head_{t.pk}"], "order": self[f"order_{t.pk}"]}
                for t in self.teams]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any((data.get(f) or "").strip() for f in ("name_zh_hans", "name_zh_hant", "name_en")):
            self.add_error("name_en", _("Give the committee a name in at least one language."))
        return data

    def seats(self) -> list[dict[str, Any]]:
        """The checked teams in rotation order, as ``set_committee`` takes them."""
        on = [t for t in self.teams if self.cleaned_data.get(f"on_{t.pk}")]

        def key(t: Team) -> tuple[int, int, str]:
            order = self.cleaned_data.get(f"order_{t.pk}")
            return (order if order is not None else MAX_ORDER + 1, self._position[t.pk], t.name)

        return [{"team": t.pk, "head": self.cleaned_data.get(f"head_{t.pk}")} for t in sorted(on, key=key)]


def _seat_error(form: CommitteeForm, exc: ServiceError, seats: list[dict[str, Any]]) -> None:
    """``seats[2].head: …`` on the head of that row; anything else through ``_service_error``."""
    found = re.match(r"^seats\[(\d+)\]\.(team|head)$", exc.field or "")
    if found and int(found.group(1)) < len(seats):
        team_id = seats[int(found.group(1))]["team"]
        name = f"{'head' if found.group(2) == 'head' else 'on'}_{team_id}"
        if name in form.fields:
            form.add_error(name, exc.message)
            return
    _service_error(form, exc, ("chair", "report_day", "name_en"))


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(MANAGE)
def committee_edit(request: HttpRequest, actor: Actor) -> HttpResponse:
    org = actor.org
    if request.method == "POST":
        form = CommitteeForm(request.POST, org=org)
        if form.is_valid():
            seats = form.seats()
            try:
                services.set_committee(org=org, name=form.names(), chair=form.cleaned_data["chair"] or "",
                                       seats=seats, report_day=form.cleaned_data["report_day"], actor=actor.user)
            except ServiceError as exc:
                _seat_error(form, exc, seats)
            else:
                messages.success(request, _("The committee is saved."))
                return HttpResponseRedirect(reverse("governance", kwargs={"org": org.slug}))
    else:
        form = CommitteeForm(org=org)
    return render(request, "web/governance/committee_edit.html", {
        "org": org, "section": "governance", "tab": "committee", "form": form,
        "committee_name": _label(form.committee.name)})


# --- meetings ----------------------------------------------------------------------------------------------------


def _plan_label(p: ActionPlan) -> str:
    return f"AP-{p.number} {p.title}"


def decisions_text(decisions: list[dict[str, Any]], by_id: dict[int, ActionPlan]) -> str:
    """Stored decisions as the form shows them: one a line, `` AP-n`` at the end when linked to a plan."""
    lines = []
    for d in decisions:
        text = str(d.get("text") or "")
        p = by_id.get(d.get("plan") or 0)
        lines.append(f"{text} AP-{p.number}" if p else text)
    return "\n".join(lines)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Date of the meeting"), widget=DATE, input_formats=["%Y-%m-%d"])
    title = forms.CharField(label=gettext_lazy("Title"), max_length=services.MAX_TITLE)
    agenda = forms.CharField(label=gettext_lazy("Agenda"), required=False, max_length=services.MAX_TEXT,
                             widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.CharField(
        label=gettext_lazy("Decisions, one per line"), required=False, max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("To link a decision to an action plan, end its line with the plan's number "
                               "(… AP-12) or start it with the number and a colon (AP-12: …)."))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=services.MAX_TEXT,
                            widget=forms.Textarea(attrs={"rows": 4}))
    plans = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Linked action plans"), required=False, coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy("To choose more than one, hold Ctrl (⌘ on a Mac) while clicking."))

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_plans = services.plans(org)
        self.fields["plans"].choices = [(p.pk, _plan_label(p)) for p in self.org_plans]  # type: ignore[attr-defined]
        self.fields["plans"].error_messages["invalid_choice"] = gettext_lazy(
            "Choose action plans of this organisation.")
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    @classmethod
    def initial_of(cls, m: Meeting, org_plans: list[ActionPlan]) -> dict[str, Any]:
        by_id = {p.pk: p for p in org_plans}
        return {"held_on": m.held_on, "title": m.title, "agenda": m.agenda, "notes": m.notes,
                "decisions": decisions_text(m.decisions, by_id), "plans": [p.pk for p in m.plans.all()]}

    def clean_decisions(self) -> list[dict[str, Any]]:
        raw = self.cleaned_data.get("decisions") or ""
        by_number = {p.number: p for p in self.org_plans}
        out: list[dict[str, Any]] = []
        errors: list[ValidationError] = []
        for i, line in enumerate(raw.splitlines(), start=1):
            text = line.strip()
            if not text:
                continue
            number: int | None = None
            lead, trail = _LEADING_PLAN.match(text), _TRAILING_PLAN.match(text)
            if lead:
                number, text = int(lead.group(1)), lead.group(2).strip()
            elif trail:
                text, number = trail.group(1).strip(), int(trail.group(2))
            shown = line.strip() if len(line.strip()) <= 60 else line.strip()[:59] + "…"
            if number is not None and number not in by_number:
                errors.append(ValidationError(
                    _("Line %(line)d (%(text)s): there is no action plan AP-%(number)d.")
                    % {"line": i, "text": shown, "number": number}))
                continue
            if not text:
                errors.append(ValidationError(_("Line %(line)d (%(text)s): write the decision, not only the plan.")
                                              % {"line": i, "text": shown}))
                continue
            if len(text) > MAX_DECISION:
                errors.append(ValidationError(_("Line %(line)d: a decision is at most %(n)d characters.")
                                              % {"line": i, "n": MAX_DECISION}))
                continue
            out.append({"text": text, "plan": by_number[number].pk if number is not None else None})
        if errors:
            raise ValidationError(errors)
        return out


def _meeting(org: Organization, meeting_id: int) -> Meeting:
    try:
        return services.meeting(org, meeting_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _meeting_form(request: HttpRequest, actor: Actor, m: Meeting | None) -> HttpResponse:
    org = actor.org
    if request.method == "POST":
        form = MeetingForm(request.POST, org=org)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = services.save_meeting(org=org, held_on=d["held_on"], title=d["title"], agenda=d["agenda"],
                                              decisions=d["decisions"], notes=d["notes"], plans=list(d["plans"]),
                                              meeting=m, actor=actor.user)
            except ServiceError as exc:
                _service_error(form, exc, form.fields)
            else:
                messages.success(request, _("The meeting is saved."))
                return HttpResponseRedirect(reverse("governance_meeting",
                                                    kwargs={"org": org.slug, "meeting_id": saved.pk}))
    elif m is None:
        form = MeetingForm(org=org, initial={"held_on": local_today()})
    else:
        form = MeetingForm(org=org)
        form.initial = MeetingForm.initial_of(m, form.org_plans)
    return render(request, "web/governance/meeting_form.html", {
        "org": org, "section": "governance", "tab": "committee", "form": form, "meeting": m})


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(MANAGE)
def meeting_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _meeting_form(request, actor, None)


@require_http_methods(["GET", "HEAD", "POST"])
@org_page(MANAGE)
def meeting_edit(request: HttpRequest, actor: Actor, meeting_id: int) -> HttpResponse:
    return _meeting_form(request, actor, _meeting(actor.org, meeting_id))


@require_safe
@org_page(READ)
def meeting(request: HttpRequest, actor: Actor, meeting_id: int) -> HttpResponse:
    org = actor.org
    m = _meeting(org, meeting_id)
    linked = list(m.plans.order_by("number"))
    wanted = {d.get("plan") for d in m.decisions if d.get("plan")}
    by_id = {p.pk: p for p in ActionPlan.objects.filter(org=org, pk__in=wanted)} if wanted else {}
    decisions = [{"text": d.get("text", ""), "plan": by_id.get(d.get("plan") or 0)} for d in m.decisions]
    return render(request, "web/governance/meeting.html", {
        "org": org, "section": "governance", "tab": "committee", "m": m, "decisions": decisions, "linked": linked,
        "can_manage": actor.can(MANAGE)})


@require_safe
@org_page(READ)
def meetings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every meeting of the committee, the latest first, with its decisions and linked plans."""
    org = actor.org
    return render(request, "web/governance/meetings.html", {
        "org": org, "section": "governance", "tab": "committee", "meetings": services.meetings(org),
        "can_manage": actor.can(MANAGE)})
