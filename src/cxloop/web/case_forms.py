"""Forms of the closed-loop pages: the inbox's GET filters, the verbs on a case, rules, channels and root
causes. Choices come from the organisation (its teams, its members, its root causes), so a value of another
organisation is simply not a valid choice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from cxloop.cases import queries
from cxloop.cases.models import CaseStatus, Priority, RootCause
from cxloop.core import webhook_sign
from cxloop.notify.models import EndpointFormat
from cxloop.orgs.models import Membership, Team

EXAMPLE_RULE: dict[str, Any] = {
    "when": {"all": [
        {"field": "score_type.nps", "op": "<=", "value": 6},
        {"field": "comment", "op": "exists"},
    ]},
    "then": {"open_case": {"team": "Support", "assign": "round_robin", "priority": "high",
                           "sla": {"first_contact_hours": 24, "resolve_hours": 72, "clock": "business"}}},
    "promoter": False,
}


def _choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _member_choices(members: list[Membership]) -> list[tuple[str, str]]:
    return [(str(m.user_id), f"{m.user} <{m.user.email}>" if str(m.user) != m.user.email else m.user.email)
            for m in members]


def _team_choices(teams: list[Team]) -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in teams]


# --- the inbox --------------------------------------------------------------------------------------


class InboxForm(forms.Form):
    """The inbox's filters (all GET parameters; missing ones take their defaults)."""

    view = forms.ChoiceField(label=_("Show"), required=False,
                             choices=[("all", _("All cases")), ("mine", _("My cases")), ("team", _("My team's cases"))])
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sla = forms.ChoiceField(label=_("SLA"), required=False,
                            choices=[("", _("Any")), ("breached", _("Breached")), ("due_soon", _("Due soon"))])
    q = forms.CharField(label=_("Search titles"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, teams: list[Team], members: list[Membership]) -> None:
        super().__init__(data)
        _choices(self, "status", [("", _("Any")), ("open", _("Open (not resolved)")), *CaseStatus.choices])
        _choices(self, "priority", [("", _("Any")), *Priority.choices])
        _choices(self, "team", [("", _("Any")), *_team_choices(teams)])
        _choices(self, "assignee", [("", _("Anyone")), (queries.UNASSIGNED, _("Unassigned")),
                                           *_member_choices(members)])

    def filters(self, user: Any, after: int | None = None) -> queries.InboxFilter:
        d = self.cleaned_data
        status = d.get("status") or ""
        statuses = queries.open_statuses() if status == "open" else ((status,) if status else ())
        return queries.InboxFilter(view=d.get("view") or "all", statuses=statuses, priority=d.get("priority") or "",
                                   team_id=int(d["team"]) if d.get("team") else None,
                                   assignee=d.get("assignee") or "", sla=d.get("sla") or "",
                                   q=(d.get("q") or "").strip(), after=after, user=user)

    def query(self, *leave_out: str) -> str:
        """The filters as a query string (for the feed, the pager and links), without ``leave_out``."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return ""
        pairs = [(k, str(v)) for k, v in self.cleaned_data.items() if v not in (None, "") and k not in leave_out]
        return urlencode(pairs)


class BulkAssignForm(forms.Form):
    case = forms.TypedMultipleChoiceField(label=_("Cases"), coerce=int)
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, data: Any, *, numbers: list[int], members: list[Membership]) -> None:
        super().__init__(data)
        _choices(self, "case", [(str(n), str(n)) for n in numbers])
        _choices(self, "assignee", [("", _("Choose a member")), (queries.UNASSIGNED, _("Nobody (unassign)")),
                                           *_member_choices(members)])


# --- verbs on one case ------------------------------------------------------------------------------


class StatusForm(forms.Form):
    """Any status is a valid choice here (the service refuses a move that is not allowed: 409); the select
    offers only the moves allowed from the current status."""

    status = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=40, widget=forms.Select)
    resolution_note = forms.CharField(label=_("Resolution note"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
    recovered = forms.ChoiceField(label=_("Customer recovered?"), required=False,
                                  choices=[("", _("Not known")), ("yes", _("Yes")), ("no", _("No"))])

    def __init__(self, data: Any = None, *, allowed: tuple[str, ...] = (), causes: Sequence[RootCause] = (),
                 **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        # the root cause is any text here: the service checks it against the list and names the problem
        self.fields["root_cause"].widget.choices = [("", _("Choose a root cause")),
                                                    *[(c.code, c.label) for c in causes]]
        labels = dict(CaseStatus.choices)
        self.fields["status"].widget.choices = [(s, labels[s]) for s in allowed]
        self.allowed = allowed

    def recovered_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("recovered") or "")


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, data: Any = None, *, teams: list[Team], members: list[Membership], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        _choices(self, "assignee", [("", _("Nobody (team queue)")), *_member_choices(members)])
        _choices(self, "team", [("", _("Keep the team")), *_team_choices(teams)])


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Internal comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           help_text=_("Mention a colleague with @name or @e-mail: they get an e-mail."))


class ReplyForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Message to the customer"), widget=forms.Textarea(attrs={"rows": 5}),
                           required=False)


# --- rules ------------------------------------------------------------------------------------------


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    definition = forms.CharField(
        label=_("Rule (JSON)"), widget=forms.Textarea(attrs={"rows": 18, "class": "code", "spellcheck": "false"}),
        help_text=_("“when” (the condition), “then” (open_case, notify, thank_you) and “promoter”."))

    def clean_definition(self) -> dict[str, Any]:
        text = self.cleaned_data["definition"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("This is not valid JSON: %(error)s (line %(line)s, column %(col)s)."),
                                        params={"error": exc.msg, "line": exc.lineno, "col": exc.colno},
                                        code="json") from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The rule must be a JSON object."), code="json")
        return value


def rule_text(definition: dict[str, Any]) -> str:
    """A rule's definition for the textarea (without its name, which has its own field)."""
    return json.dumps({k: v for k, v in definition.items() if k != "name"}, ensure_ascii=False, indent=2)


class RuleTestForm(forms.Form):
    response = forms.IntegerField(label=_("Response id"), min_value=1)


# --- channels ---------------------------------------------------------------------------------------


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    format = forms.ChoiceField(label=_("Kind"), choices=EndpointFormat.choices)
    url = forms.CharField(label=_("URL"), required=False, max_length=1000,
                          help_text=_("The webhook or the chat bot's URL (not for e-mail)."))
    email = forms.CharField(label=_("E-mail address"), required=False, max_length=254,
                            help_text=_("Only for the e-mail kind."))
    events = forms.MultipleChoiceField(label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("None ticked: only what rules send to this channel."))
    team = forms.ChoiceField(label=_("Team"), required=False,
                             help_text=_("A team's channel also hears of its new and resolved cases."))
    chat_secret = forms.CharField(label=_("Chat bot signing secret"), required=False, max_length=200,
                                  help_text=_("Feishu and DingTalk bots with signature verification."))

    def __init__(self, data: Any = None, *, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        _choices(self, "events", [("*", _("All events")), *[(e, e) for e in webhook_sign.EVENT_TYPES]])
        _choices(self, "team", [("", _("No team")), *_team_choices(teams)])


# --- root causes ------------------------------------------------------------------------------------


class RootCauseForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    code = forms.CharField(label=_("Code"), max_length=40, required=False,
                           help_text=_("Optional; made from the label when empty."))
