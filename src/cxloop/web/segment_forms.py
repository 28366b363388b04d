"""Forms of the segment and persona pages: the segment editor (a name and the definition as JSON, every problem
shown at its JSON path), the persona editor (the reader's language: lists one item per line), a comment, and
the survey page's "invite a segment" form."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cxloop.core import segments as core
from cxloop.orgs.models import Organization
from cxloop.segments import services
from cxloop.segments.models import Persona, localised
from cxloop.segments.queries import segment_choices

EXAMPLE = json.dumps(core.EXAMPLE, ensure_ascii=False, indent=2)
COLOURS = [(c, c) for c in services.PALETTE]


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=services.MAX_NAME)
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        help_text=_("Conditions over contact and account fields and behaviour; see the example and the field list."),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems: list[core.Problem] = []

    def clean_definition(self) -> dict[str, Any]:
        raw = self.cleaned_data["definition"]
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s: %(message)s)."),
                params={"line": exc.lineno, "column": exc.colno, "message": exc.msg}) from exc
        try:
            return services.clean_definition(parsed)
        except services.SegmentServiceError as exc:
            self.problems = exc.problems
            raise forms.ValidationError([str(p) for p in exc.problems]) from exc


class PersonaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=services.MAX_NAME)
    role = forms.CharField(label=_("Role"), max_length=services.MAX_NAME, required=False,
                           help_text=_("One line, e.g. the job title."))
    initials = forms.CharField(label=_("Initials"), max_length=4, required=False,
                               help_text=_("Shown in the avatar; left empty, taken from the name."))
    colour = forms.ChoiceField(label=_("Avatar colour"), choices=COLOURS, required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=services.MAX_TEXT,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    goals = forms.CharField(label=_("Goals"), required=False, help_text=_("One per line."),
                            widget=forms.Textarea(attrs={"rows": 4}))
    pains = forms.CharField(label=_("Pains"), required=False, help_text=_("One per line."),
                            widget=forms.Textarea(attrs={"rows": 4}))
    jobs_to_be_done = forms.CharField(label=_("Jobs to be done"), required=False, help_text=_("One per line."),
                                      widget=forms.Textarea(attrs={"rows": 4}))
    quotes = forms.CharField(label=_("Quotes"), required=False, help_text=_("One per line."),
                             widget=forms.Textarea(attrs={"rows": 4}))
    segment = forms.TypedChoiceField(label=_("Segment"), required=False, coerce=int, empty_value=None,
                                     help_text=_("The contacts this persona stands for: its live numbers come "
                                                 "from them."))

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("None")), *segment_choices(org)]  # type: ignore[attr-defined]
        self.fields["colour"].widget.attrs["class"] = "persona-colour"

    @classmethod
    def initial_of(cls, persona: Persona, language: str) -> dict[str, Any]:
        def lines(value: Any) -> str:
            found = localised(value, language)
            return "\n".join(found) if isinstance(found, list) else ""

        return {"name": persona.label(language), "role": localised(persona.role, language) or "",
                "initials": persona.initials, "colour": persona.colour,
                "description": localised(persona.description, language) or "",
                "goals": lines(persona.goals), "pains": lines(persona.pains),
                "jobs_to_be_done": lines(persona.jobs_to_be_done), "quotes": lines(persona.quotes),
                "segment": persona.segment_id or ""}

    def data_for_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"name": d["name"], "role": d.get("role") or "", "initials": d.get("initials") or "",
                "colour": d.get("colour") or "", "description": d.get("description") or "",
                "goals": d.get("goals") or "", "pains": d.get("pains") or "",
                "jobs_to_be_done": d.get("jobs_to_be_done") or "", "quotes": d.get("quotes") or "",
                "segment": d.get("segment")}


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=services.MAX_COMMENT,
                           widget=forms.Textarea(attrs={"rows": 3}))


class SegmentInviteForm(forms.Form):
    """The survey page: invite every member of a segment now (through the frequency cap)."""

    segment = forms.TypedChoiceField(label=_("Segment"), coerce=int)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segment_choices(org)  # type: ignore[attr-defined]
