"""The dashboards' filters: GET forms, so every choice stays in the URL (bookmark, share, Back).

A missing parameter takes its default; a wrong one is a form error on the page (Django's translated
messages, or ours), never a 500. ``FilterForm.filters()`` gives the ``analytics.dashboard.Filters`` the
page's service takes; ``query()`` the cleaned common filters as a query string for links between pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cxloop.analytics import dashboard, explore, metrics_service
from cxloop.customers.models import Tier
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Channel, Survey

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INTERVALS = [("month", _("Month")), ("week", _("Week"))]
COMMON = ("from", "to", "touchpoint", "channel", "language", "tier", "attr", "value", "segment")


def check_range(form: forms.Form, first: date | None, last: date | None, field: str = "from") -> None:
    """The pages' rule for a range of days, the API's (``metrics_service.date_range``: from not after to, at most
    five years), as a form error on ``field`` in the user's language; nothing when a date is missing (the
    field's own error says what is wrong)."""
    if first is None or last is None:
        return
    try:
        metrics_service.date_range(first, last)
    except metrics_service.MetricsError:
        form.add_error(field, _("The start date must not be after the end date.") if first > last
                       else _("Choose at most five years."))


def touchpoints(org: Organization) -> list[str]:
    """Touchpoints the organisation's surveys, distributions and counted responses use."""
    from cxloop.analytics.models import ScoreRollup
    from cxloop.surveys.models import Distribution

    found = set(Survey.objects.filter(org=org).exclude(touchpoint="").values_list("touchpoint", flat=True))
    found |= set(Distribution.objects.filter(org=org).exclude(touchpoint="").values_list("touchpoint", flat=True))
    found |= set(ScoreRollup.objects.filter(survey__org=org, grain="m").exclude(touchpoint="")
                 .values_list("touchpoint", flat=True).distinct())
    return sorted(found)


def _with_defaults(data: Any, today: date, defaults: dict[str, str]) -> QueryDict:
    """The query with the defaults filled in where they are missing, the date range included (the
    twelve months up to ``to``, default today): the form shows, and links carry, what the numbers are for."""
    out = data.copy() if isinstance(data, QueryDict) else QueryDict(urlencode(data or {}), mutable=True)
    for name, value in defaults.items():
        if not out.get(name):
            out[name] = value
    to = _date(out.get("to")) if out.get("to") else today
    if not out.get("to") and to is not None:
        out["to"] = to.isoformat()
    if not out.get("from") and to is not None:
        out["from"] = dashboard.default_range(to)[0].isoformat()
    return out


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


class FilterForm(forms.Form):
    """Date range and the dimension and segment filters every dashboard page shares."""

    defaults: dict[str, str] = {}

    touchpoint = forms.ChoiceField(label=_("Touchpoint"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    tier = forms.ChoiceField(label=_("Account tier"), required=False)
    attr = forms.ChoiceField(label=_("Contact attribute"), required=False)
    value = forms.CharField(label=_("Attribute value"), required=False, max_length=200)
    segment = forms.TypedChoiceField(label=_("Segment"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: Any, *, org: Organization, today: date | None = None, **kwargs: Any) -> None:
        self.today = today or dashboard.default_range()[1]
        super().__init__(_with_defaults(data, self.today, self.defaults), **kwargs)
        self.org = org
        # "from" is a Python keyword: the fields are added here, first in the form.
        dates = {"from": forms.DateField(label=_("From"), widget=DATE),
                 "to": forms.DateField(label=_("To"), widget=DATE)}
        self.fields = {**dates, **self.fields}
        everything = [("", _("All"))]
        self.fields["touchpoint"].choices = everything + [(t, t) for t in touchpoints(org)]  # type: ignore[attr-defined]
        self.fields["channel"].choices = everything + list(Channel.choices)  # type: ignore[attr-defined]
        self.fields["language"].choices = everything + list(dashboard.LANGUAGE_NAMES.items())  # type: ignore[attr-defined]
        self.fields["tier"].choices = everything + list(Tier.choices)  # type: ignore[attr-defined]
        self.attributes = explore.contact_attribute_names(org)
        self.fields["attr"].choices = [("", "—")] + [(a, a) for a in self.attributes]  # type: ignore[attr-defined]
        from cxloop.segments.queries import segment_choices

        self.fields["segment"].choices = [("", _("All contacts")), *segment_choices(org)]  # type: ignore[attr-defined]

    def group_choices(self) -> list[tuple[str, str]]:
        return ([(d, dashboard.dimension_label(d)) for d in (*dashboard.DIMENSIONS, *dashboard.RAW_GROUPS)]
                + [(f"contact.{a}", dashboard.dimension_label(f"contact.{a}")) for a in self.attributes])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_range(self, data.get("from"), data.get("to"))
        if data.get("value") and not data.get("attr"):
            self.add_error("attr", _("Choose the contact attribute the value is for."))
        return data

    def filters(self, **extra: Any) -> dashboard.Filters:
        d = self.cleaned_data
        return dashboard.Filters(
            start=d["from"], end=d["to"], touchpoint=d.get("touchpoint") or "", channel=d.get("channel") or "",
            language=d.get("language") or "", tier=d.get("tier") or "", attribute=d.get("attr") or "",
            value=d.get("value") or "", segment=d.get("segment"), **extra)

    @property
    def query_data(self) -> QueryDict:
        """The (mutable) query the form is bound to, defaults filled in."""
        return cast(QueryDict, self.data)

    def keep(self, *leave_out: str) -> str:
        """Every parameter of the request except ``leave_out`` (and those with errors), as a query string:
        for links that change one choice and keep the rest."""
        pairs = [(name, value) for name in self.query_data for value in self.query_data.getlist(name)
                 if name not in leave_out and name not in self.errors and value != ""]
        return urlencode(pairs)

    def query(self) -> str:
        """The common filters the user set, as a query string (for links to the other pages)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return ""
        pairs = []
        for name in COMMON:
            raw = self.data.get(name, "")
            if raw and name not in self.errors:
                pairs.append((name, raw))
        return urlencode(pairs)


class OrgDashboardForm(FilterForm):
    defaults = {"group_by": dashboard.DEFAULT_GROUP_BY}
    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int, empty_value=None)
    measure = forms.ChoiceField(label=_("Measure"), required=False)
    interval = forms.ChoiceField(label=_("Trend by"), required=False, choices=INTERVALS)
    group_by = forms.ChoiceField(label=_("Break down by"), required=False)

    def __init__(self, data: Any, *, org: Organization, **kwargs: Any) -> None:
        super().__init__(data, org=org, **kwargs)
        surveys = Survey.objects.filter(org=org).order_by("name").values_list("pk", "name")
        self.fields["survey"].choices = [("", _("All surveys")), *surveys]  # type: ignore[attr-defined]
        self.fields["measure"].choices = [(k, v) for k, v in dashboard.MEASURE_LABELS.items()]  # type: ignore[attr-defined]
        self.fields["group_by"].choices = self.group_choices()  # type: ignore[attr-defined]

    def filters(self, **extra: Any) -> dashboard.Filters:
        d = self.cleaned_data
        return super().filters(survey_id=d.get("survey"), interval=d.get("interval") or "month",
                               group_by=d.get("group_by") or dashboard.DEFAULT_GROUP_BY,
                               measure=d.get("measure") or "nps")


class SurveyDashboardForm(FilterForm):
    defaults = {"group_by": dashboard.DEFAULT_GROUP_BY}
    question = forms.ChoiceField(label=_("Question"), required=False)
    interval = forms.ChoiceField(label=_("Trend by"), required=False, choices=INTERVALS)
    group_by = forms.ChoiceField(label=_("Break down by"), required=False)

    def __init__(self, data: Any, *, org: Organization, questions: list[dashboard.NumericQuestion],
                 **kwargs: Any) -> None:
        super().__init__(data, org=org, **kwargs)
        self.fields["question"].choices = [(q.key, q.label) for q in questions]  # type: ignore[attr-defined]
        self.fields["group_by"].choices = self.group_choices()  # type: ignore[attr-defined]

    def filters(self, **extra: Any) -> dashboard.Filters:
        d = self.cleaned_data
        return super().filters(interval=d.get("interval") or "month",
                               group_by=d.get("group_by") or dashboard.DEFAULT_GROUP_BY)


class DriverForm(FilterForm):
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    driver = forms.MultipleChoiceField(label=_("Drivers"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, data: Any, *, org: Organization, candidates: list[dashboard.NumericQuestion],
                 **kwargs: Any) -> None:
        super().__init__(data, org=org, **kwargs)
        choices = [(q.key, q.label) for q in candidates]
        self.fields["outcome"].choices = choices  # type: ignore[attr-defined]
        self.fields["driver"].choices = choices  # type: ignore[attr-defined]


class CrossTabForm(FilterForm):
    rows = forms.ChoiceField(label=_("Rows"), required=False)
    cols = forms.ChoiceField(label=_("Columns"), required=False)

    def __init__(self, data: Any, *, org: Organization, sources: list[dashboard.Source], **kwargs: Any) -> None:
        super().__init__(data, org=org, **kwargs)
        choices = [(s.key, s.label) for s in sources]
        self.fields["rows"].choices = choices  # type: ignore[attr-defined]
        self.fields["cols"].choices = choices  # type: ignore[attr-defined]


class ResponseSearchForm(FilterForm):
    q = forms.CharField(label=_("Comment contains"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ThemeForm(FilterForm):
    """The theme pages' filters: the common ones and a survey; on one theme's page, which comments to list."""

    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int, empty_value=None)
    sentiment = forms.ChoiceField(label=_("Comments"), required=False, choices=[
        ("", _("All")), ("negative", _("Negative")), ("neutral", _("Neutral")), ("positive", _("Positive"))])
    page = forms.IntegerField(required=False, min_value=1, max_value=100000, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, org: Organization, with_comments: bool = False, **kwargs: Any) -> None:
        super().__init__(data, org=org, **kwargs)
        surveys = Survey.objects.filter(org=org).order_by("name").values_list("pk", "name")
        self.fields["survey"].choices = [("", _("All surveys")), *surveys]  # type: ignore[attr-defined]
        if not with_comments:
            del self.fields["sentiment"]

    def filters(self, **extra: Any) -> dashboard.Filters:
        return super().filters(survey_id=self.cleaned_data.get("survey"), **extra)
