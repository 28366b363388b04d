"""Forms of the journey pages: names in three languages, touchpoints, a step's lanes, the period selector."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cxloop.analytics import dashboard
from cxloop.journeys.models import TouchpointChannel
from cxloop.orgs.models import Organization, Team

DATE = forms.DateInput(attrs={"type": "date"})
NAME_FIELDS = (("zh-hans", "name_zh_hans"), ("zh-hant", "name_zh_hant"), ("en", "name_en"))


class NamedForm(forms.Form):
    name_zh_hans = forms.CharField(label=_("Name (简体中文)"), required=False, max_length=200)
    name_zh_hant = forms.CharField(label=_("Name (繁體中文)"), required=False, max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), required=False, max_length=200)

    def names(self) -> dict[str, str]:
        return {lang: self.cleaned_data.get(field) or "" for lang, field in NAME_FIELDS}

    @staticmethod
    def initial_of(names: dict[str, str], **more: Any) -> dict[str, Any]:
        return {**{field: names.get(lang, "") for lang, field in NAME_FIELDS}, **more}


class JourneyForm(NamedForm):
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class StageForm(NamedForm):
    pass


class TouchpointForm(NamedForm):
    key = forms.CharField(label=_("Key"), max_length=64, help_text=_(
        "What responses, distributions and events name in their touchpoint field, e.g. report_export."))
    channel = forms.ChoiceField(label=_("Channel"), choices=TouchpointChannel.choices)
    owner_team = forms.TypedChoiceField(label=_("Owner team"), required=False, coerce=int, empty_value=None,
                                        help_text=_("Alerts about this touchpoint go to this team unless a rule "
                                                    "names another."))
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ("key", "name_zh_hans", "name_zh_hant", "name_en", "channel", "owner_team", "description")

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(org=org).order_by("name").values_list("pk", "name")
        self.fields["owner_team"].choices = [("", "—"), *teams]  # type: ignore[attr-defined]


class StepForm(forms.Form):
    actions = forms.CharField(label=_("Customer actions"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    frontstage = forms.CharField(label=_("Frontstage (what staff do)"), required=False, max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    backstage = forms.CharField(label=_("Backstage (internal processes and systems)"), required=False,
                                max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    support = forms.CharField(label=_("Support processes"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    opportunities = forms.CharField(label=_("Opportunities"), required=False, max_length=4000,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.FloatField(label=_("To-be emotion (−1 to 1)"), required=False, min_value=-1, max_value=1,
                              widget=forms.NumberInput(attrs={"step": "0.1"}))


class PeriodForm(forms.Form):
    """The map's period and an optional second period to compare with."""

    compare_from = forms.DateField(label=_("Compare with: from"), required=False, widget=DATE)
    compare_to = forms.DateField(label=_("Compare with: to"), required=False, widget=DATE)

    def __init__(self, data: Any, **kwargs: Any) -> None:
        start, end = dashboard.default_range()
        merged = data.copy() if hasattr(data, "copy") else dict(data)
        merged.setdefault("from", start.isoformat())
        merged.setdefault("to", end.isoformat())
        super().__init__(merged, **kwargs)
        self.fields = {"from": forms.DateField(label=_("From"), widget=DATE),
                       "to": forms.DateField(label=_("To"), widget=DATE), **self.fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            self.add_error("from", _("The start date must not be after the end date."))
        a, b = data.get("compare_from"), data.get("compare_to")
        if bool(a) != bool(b):
            self.add_error("compare_from", _("Give both dates of the period to compare with, or neither."))
        elif a and b and a > b:
            self.add_error("compare_from", _("The start date must not be after the end date."))
        return data

    def period(self) -> tuple[date, date]:
        return self.cleaned_data["from"], self.cleaned_data["to"]

    def compared(self) -> tuple[date, date] | None:
        a, b = self.cleaned_data.get("compare_from"), self.cleaned_data.get("compare_to")
        return (a, b) if a and b else None
