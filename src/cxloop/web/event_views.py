"""Behaviour → Events: the event log (newest events with filters, events and people per name), the CSV import
of historical events (upload → preview with every bad row → import the good rows) and the public site key the
website widget tracks with (admins set the allowed sites and rotate it). Each view reads its form and calls one
``behaviour`` function."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cxloop.analytics import metrics_service
from cxloop.behaviour import csv_import, event_log, tracking
from cxloop.behaviour.funnels import event_names
from cxloop.behaviour.models import EventSource
from cxloop.orgs.access import MANAGE, READ, WORK, Actor
from cxloop.orgs.services import ServiceError
from cxloop.web import plots
from cxloop.web.dashboard_forms import DATE, check_range
from cxloop.web.decorators import org_page

DEFAULT_DAYS = 30
SOURCE_LABELS: dict[str, Any] = {EventSource.API: gettext_lazy("API"), EventSource.WIDGET: gettext_lazy("Widget"),
                 EventSource.IMPORT: gettext_lazy("Import"), EventSource.DEMO: gettext_lazy("Demo")}


class EventLogForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), widget=DATE)
    event = forms.ChoiceField(label=gettext_lazy("Event"), required=False)
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False)
    person = forms.CharField(label=gettext_lazy("Contact or anonymous id"), required=False, max_length=200)
    touchpoint = forms.CharField(label=gettext_lazy("Touchpoint"), required=False, max_length=120)
    after = forms.CharField(required=False, widget=forms.HiddenInput, max_length=80)

    def __init__(self, data: Any, *, names: list[str]) -> None:
        query = data.copy() if isinstance(data, QueryDict) else QueryDict(urlencode(data or {}), mutable=True)
        if not query.get("end"):  # the defaults shown in the form: the last 30 days
            query["end"] = metrics_service.local_today().isoformat()
        if not query.get("start"):
            try:
                last = date.fromisoformat(str(query["end"]))
            except ValueError:
                last = metrics_service.local_today()
            query["start"] = (last - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        super().__init__(query)
        self.fields["event"].choices = [("", _("All events")), *[(n, n) for n in names]]  # type: ignore[attr-defined]
        self.fields["source"].choices = [("", _("All sources")),  # type: ignore[attr-defined]
                                         *[(k, str(v)) for k, v in SOURCE_LABELS.items()]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") is None or data.get("end") is None:
            return data  # the field's own error says what is wrong
        check_range(self, data["start"], data["end"], "start")
        if data.get("after") and event_log.parse_cursor(data["after"]) is None:
            self.add_error(None, _("That page of the log no longer exists; start again from the newest."))
        return data

    def filters(self) -> event_log.Filters:
        d = self.cleaned_data
        return event_log.Filters(start=d["start"], end=d["end"], name=d.get("event") or "",
                                 source=d.get("source") or "", person=(d.get("person") or "").strip(),
                                 touchpoint=(d.get("touchpoint") or "").strip())

    def keep(self, *leave_out: str) -> str:
        """The filters as a query string (for the pager and the links to one event name)."""
        d = self.cleaned_data
        pairs = [("start", d["start"].isoformat()), ("end", d["end"].isoformat())]
        pairs += [(k, d[k]) for k in ("event", "source", "person", "touchpoint") if d.get(k) and k not in leave_out]
        return urlencode(pairs)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


class OriginsForm(forms.Form):
    origins = forms.CharField(label=gettext_lazy("Sites allowed to send events (one origin per line; empty: any)"),
                              required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://shop.example.com"}))


def _site_context(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    key = tracking.site_key(actor.org)
    base = request.build_absolute_uri("/").rstrip("/")
    return {"site_key": key, "can_manage": actor.can(MANAGE), "tracking_base": base,
            "origins_form": OriginsForm(initial={"origins": "\n".join(key.origins)})}


def _volume_chart(page: event_log.LogPage) -> plots.Figure:
    title = _("Events per month") if page.by_month else _("Events per day")
    return plots.figure(plots.columns, values=page.series, title=title, value_label=_("Events"),
                        language=(get_language() or "en").lower(), formatter=_count)


def _count(value: float) -> str:
    """A tick or a count: whole numbers as such, the half steps of a small axis with one decimal."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@require_safe
@org_page(READ)
def event_log_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = EventLogForm(request.GET, names=event_names(actor.org))
    context: dict[str, Any] = {"org": actor.org, "section": "behaviour", "tab": "events", "form": form,
                               "upload_form": UploadForm(), "can_import": actor.can(WORK),
                               "max_mb": csv_import.UPLOAD_MAX_BYTES // (1024 * 1024), **_site_context(request, actor)}
    if form.is_valid():
        page = event_log.read(actor.org, form.filters(), cursor=form.cleaned_data.get("after") or "")
        rows = [{**event_log.describe(e), "source_label": SOURCE_LABELS.get(e.source, e.source)} for e in page.events]
        context.update(page=page, rows=rows, keep=form.keep(), keep_without_event=form.keep("event"),
                       filtered_name=form.cleaned_data.get("event") or "", chart=_volume_chart(page))
    return render(request, "web/events/log.html", context, status=400 if form.errors else 200)


@org_page(READ, post_role=WORK)
def event_import(request: HttpRequest, actor: Actor) -> HttpResponse:
    """GET: the form; POST with a file: keep it and show what an import would do; POST with the token: import."""
    if request.method != "POST":
        return redirect(reverse("events", kwargs={"org": actor.org.slug}) + "#import")
    form = UploadForm(request.POST, request.FILES)
    context: dict[str, Any] = {"org": actor.org, "section": "behaviour", "tab": "events", "form": form,
                               "columns": csv_import.COLUMNS}
    token = request.POST.get("token", "")
    try:
        if token and request.POST.get("confirm"):
            with csv_import.open_upload(actor.org, token) as stream:
                report = csv_import.import_events(actor.org, stream)
            csv_import.discard_upload(actor.org, token)
            context.update(report=report, done=True, form=UploadForm(), names=report.names.most_common())
            return render(request, "web/events/import.html", context)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            token = csv_import.save_upload(actor.org, upload.chunks())
            with csv_import.open_upload(actor.org, token) as stream:
                report = csv_import.check(actor.org, stream)
            context.update(report=report, token=token, names=report.names.most_common(),
                           sample=[[row.get(c, "") for c in report.columns] for row in report.sample])
            return render(request, "web/events/import.html", context)
    except csv_import.ImportFileError as exc:
        if token:
            csv_import.discard_upload(actor.org, token)
        context.update(form=UploadForm(), problem=exc.message)
    return render(request, "web/events/import.html", context, status=400)


@require_POST
@org_page(MANAGE)
def site_key_update(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Rotate the public site key, or set the sites allowed to use it."""
    target = reverse("events", kwargs={"org": actor.org.slug}) + "#site-key"
    if request.POST.get("action") == "rotate":
        tracking.rotate(actor.org, actor=actor.user)
        messages.success(request, _("A new site key was made; the old one no longer works. Update your site's "
                                    "snippet."))
        return redirect(target)
    form = OriginsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The list of sites is too long."))
        return redirect(target)
    try:
        tracking.set_origins(actor.org, form.cleaned_data["origins"], actor=actor.user)
    except ServiceError:
        messages.error(request, _("Each line must be a site origin such as https://shop.example.com (at most "
                                  "%(n)s sites).") % {"n": tracking.MAX_ORIGINS})
        return redirect(target)
    messages.success(request, _("The allowed sites were saved."))
    return redirect(target)
