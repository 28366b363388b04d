"""Forms of the funnel pages: the editor (names, window, steps as rows or a journey's stages) and the GET form of
one funnel's page (period, segment, split)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxloop.behaviour import funnels
from cxloop.orgs.models import Organization
from cxloop.web.journey_forms import DATE, NamedForm

ROWS_SHOWN = 4  # empty step rows offered beyond the filled ones (up to funnels.MAX_STEPS)
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def where_text(where: dict[str, Any]) -> str:
    """``{"task": "export_report", "n": 5}`` as the editor shows it: ``task = export_report; n = 5``."""
    parts = []
    for key, value in where.items():
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, (int, float)):
            shown = json.dumps(value)
        elif value in ("true", "false") or _NUMBER.match(value):
            shown = json.dumps(value)  # text that would read as a number or true/false keeps its quotes
        else:
            shown = value
        parts.append(f"{key} = {shown}")
    return "; ".join(parts)


def parse_where(text: str) -> dict[str, Any]:
    """The editor's condition text as ``where``: ``property = value`` pairs separated by ``;``; a value that
    reads as a number is a number, true/false a boolean, anything in double quotes text. ValueError with a
    reason otherwise."""
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        key, sep, raw = part.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise ValueError(gettext("Write each condition as property = value, separated by semicolons."))
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            value: Any = raw[1:-1]
        elif raw in ("true", "false"):
            value = raw == "true"
        elif _NUMBER.match(raw):
            value = float(raw) if "." in raw else int(raw)
        else:
            value = raw
        out[key] = value
    return out


class FunnelForm(NamedForm):
    """Names, window, and either a journey or up to ``MAX_STEPS`` step rows (``step_<i>_event``,
    ``step_<i>_where``); empty rows are left out."""

    kind = forms.ChoiceField(label=_("The funnel follows"), widget=forms.RadioSelect, initial="events", choices=[
        ("events", _("Events in order")), ("journey", _("The stages of a journey"))])
    journey = forms.TypedChoiceField(label=_("Journey"), required=False, coerce=int, empty_value=None)
    window_days = forms.IntegerField(label=_("Conversion window (days)"), min_value=1,
                                     max_value=funnels.MAX_WINDOW_DAYS, initial=funnels.DEFAULT_WINDOW_DAYS,
                                     help_text=_("Every later step must happen within this many days of the "
                                                 "first step."))

    def __init__(self, *args: Any, org: Organization, journeys: list[tuple[int, str]], rows: int,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["journey"].choices = [("", "—"), *journeys]  # type: ignore[attr-defined]
        self.rows = max(funnels.MIN_STEPS, min(rows, funnels.MAX_STEPS))
        for i in range(self.rows):
            self.fields[f"step_{i}_event"] = forms.CharField(
                label=_("Step %(n)s: event") % {"n": i + 1}, required=False, max_length=100,
                widget=forms.TextInput(attrs={"list": "event-names", "autocomplete": "off"}))
            self.fields[f"step_{i}_where"] = forms.CharField(
                label=_("Step %(n)s: only when (optional)") % {"n": i + 1}, required=False, max_length=1000,
                widget=forms.TextInput(attrs={"placeholder": "task = export_report"}))
        self._steps: list[dict[str, Any]] = []

    @staticmethod
    def initial_for(f: Any) -> dict[str, Any]:
        data = NamedForm.initial_of(f.name, window_days=f.window_days,
                                    kind="journey" if f.journey_id else "events", journey=f.journey_id)
        for i, step in enumerate(f.steps):
            data[f"step_{i}_event"] = step.get("event", "")
            data[f"step_{i}_where"] = where_text(step.get("where") or {})
        return data

    def step_rows(self) -> list[tuple[int, Any, Any]]:
        return [(i + 1, self[f"step_{i}_event"], self[f"step_{i}_where"]) for i in range(self.rows)]

    def name_fields(self) -> list[Any]:
        return [self["name_zh_hans"], self["name_zh_hant"], self["name_en"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f) for f in ("name_zh_hans", "name_zh_hant", "name_en")):
            self.add_error("name_en", _("Give the funnel a name in at least one language."))
        if data.get("kind") == "journey":
            if not data.get("journey"):
                self.add_error("journey", _("Choose the journey."))
            return data
        steps: list[dict[str, Any]] = []
        self.row_of: list[int] = []
        for i in range(self.rows):
            event = (data.get(f"step_{i}_event") or "").strip()
            where = (data.get(f"step_{i}_where") or "").strip()
            if not event and not where:
                continue
            try:
                conditions = parse_where(where)
            except ValueError as exc:
                self.add_error(f"step_{i}_where", str(exc))
                continue
            steps.append({"event": event, **({"where": conditions} if conditions else {})})
            self.row_of.append(i)
        self._steps = steps
        if not self.errors:
            try:
                funnels.parse_steps(steps)
            except funnels.FunnelError as exc:
                self.add_funnel_error(exc)
        return data

    def add_funnel_error(self, exc: funnels.FunnelError) -> None:
        """Show a ``steps[2].event`` problem at the row it names."""
        m = re.match(r"^steps\[(\d+)\](?:\.(\w+))?", exc.field)
        if m and int(m.group(1)) < len(self.row_of):
            row = self.row_of[int(m.group(1))]
            part = "event" if m.group(2) in (None, "event") else "where"
            self.add_error(f"step_{row}_{part}", exc.message)
        elif exc.field == "steps":
            self.add_error(None, _("Give at least two steps (and at most ten)."))
        else:
            self.add_error(None, exc.message)

    def steps(self) -> list[dict[str, Any]]:
        return self._steps


GROUPS = (("", _("Nobody (no split)")), ("tier", _("Account tier")), ("attribute", _("A contact attribute")))


class ResultForm(forms.Form):
    """One funnel's page: the period (people entering from..to), a segment (members vs the rest) or another split."""

    segment = forms.TypedChoiceField(label=_("Segment"), required=False, coerce=int, empty_value=None)
    group = forms.ChoiceField(label=_("Or split by"), required=False, choices=GROUPS)
    attribute = forms.CharField(label=_("Contact attribute"), required=False, max_length=64,
                                widget=forms.TextInput(attrs={"placeholder": "plan"}))

    def __init__(self, data: Any, *, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        start, end = funnels.default_period()
        merged = data.copy() if hasattr(data, "copy") else dict(data)
        if not merged.get("from"):
            merged["from"] = start.isoformat()
        if not merged.get("to"):
            merged["to"] = end.isoformat()
        super().__init__(merged, **kwargs)
        self.fields = {"from": forms.DateField(label=_("People entering from"), widget=DATE),
                       "to": forms.DateField(label=_("to"), widget=DATE), **self.fields}
        self.fields["segment"].choices = [("", _("— none —")), *segments]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first and last:
            if first > last:
                self.add_error("from", _("The start date must not be after the end date."))
            elif (last - first).days >= 731:
                self.add_error("from", _("Choose at most two years."))
        if data.get("group") == "attribute" and not data.get("attribute") and not data.get("segment"):
            self.add_error("attribute", _("Name the contact attribute to split by."))
        return data

    def period(self) -> tuple[date, date]:
        return self.cleaned_data["from"], self.cleaned_data["to"]
