"""Export pages: start an export from the survey page (small ones download at once, large ones run in the
background), follow a background export's progress, and download its file. All need the analyst role."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import cast

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from cxloop.exports import services
from cxloop.exports.models import ExportFormat, ExportJob
from cxloop.orgs.access import ANALYSE, Actor, one_or_404
from cxloop.surveys import queries
from cxloop.surveys.models import ResponseStatus
from cxloop.web.decorators import org_page


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ExportFormat.choices, initial="csv")
    status = forms.ChoiceField(label=gettext_lazy("Responses to include"), required=False, initial="", choices=[
        ("", gettext_lazy("Complete and partial")), *ResponseStatus.choices])
    since = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    bom = forms.BooleanField(label=gettext_lazy("CSV for Excel (UTF-8 with BOM, so Chinese shows correctly)"),
                             required=False, initial=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "export_%s")  # unique ids beside the survey page's other forms
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, date) and isinstance(until, date) and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data


def _start_of(day: date | None) -> datetime | None:
    """Midnight at the start of a day in the current time zone (the organisation's view of dates)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@org_page(ANALYSE)
def survey_exports(request: HttpRequest, actor: Actor, survey_id: int) -> HttpResponse:
    """GET: the form and this survey's recent exports. POST: export (at once when small, else a job)."""
    survey = queries.survey(actor.org, survey_id)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fmt = data["format"]
        until = data.get("until")
        filters = services.check_options(fmt=fmt, since=_start_of(data.get("since")),
                                         until=_start_of(until + timedelta(days=1) if until else None),
                                         status=data.get("status"))
        bom = bool(data.get("bom"))
        if services.count(survey=survey, filters=filters) > services.direct_limit():
            job = services.start_job(survey=survey, fmt=fmt, filters=filters, bom=bom, user=actor.user,
                                     ip=_ip(request))
            messages.success(request, _("The export runs in the background; this page shows its progress."))
            return redirect("export_job", org=actor.org.slug, export_id=job.pk)
        plan = services.plan(survey=survey, fmt=fmt, filters=filters, bom=bom)
        mode = "file" if fmt == "xlsx" else "stream"
        services.audit_plan(plan, mode=mode, user=actor.user, ip=_ip(request))
        response: StreamingHttpResponse | FileResponse
        if fmt == "xlsx":
            response = FileResponse(services.xlsx_file(plan), content_type=services.content_type(fmt))
        else:
            response = StreamingHttpResponse(services.stream(plan), content_type=services.content_type(fmt))
        response["Content-Disposition"] = f'attachment; filename="{plan.file_name()}"'
        response["Cache-Control"] = "no-store"
        return cast(HttpResponse, response)  # org_page's views return responses; a streamed one is one too
    jobs = ExportJob.objects.filter(org=actor.org, survey=survey).select_related("requested_by")[:20]
    return render(request, "web/survey_exports.html", {
        "org": actor.org, "survey": survey, "form": form, "jobs": jobs, "section": "surveys",
        "direct_limit": services.direct_limit(), "keep_days": services.KEEP_DAYS,
    })


@require_safe
@org_page(ANALYSE)
def export_job(request: HttpRequest, actor: Actor, export_id: int) -> HttpResponse:
    """A background export's progress; htmx asks for the status part every two seconds while it runs."""
    job = one_or_404(ExportJob.objects.filter(org=actor.org).select_related("survey", "requested_by"),
                     export_id, "Export")
    context = {"org": actor.org, "job": job, "survey": job.survey, "section": "surveys",
               "ready": services.job_file(job) is not None, "keep_days": services.KEEP_DAYS}
    if getattr(request, "htmx", False):
        return render(request, "web/_export_status.html", context)
    return render(request, "web/export_job.html", context)


@require_safe
@org_page(ANALYSE)
def export_download(request: HttpRequest, actor: Actor, export_id: int) -> HttpResponse:
    job = one_or_404(ExportJob.objects.filter(org=actor.org).select_related("survey", "org"), export_id, "Export")
    path = services.job_file(job)
    if path is None:
        messages.error(request, _("This export has no file to download (yet)."))
        return redirect("export_job", org=actor.org.slug, export_id=job.pk)
    services.record_download(job, user=actor.user, ip=_ip(request))
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name,
                            content_type=services.content_type(job.format))
    response["X-Export-Rows"] = str(job.row_count)
    response["Cache-Control"] = "no-store"
    return cast(HttpResponse, response)
