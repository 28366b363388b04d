"""Export API: a survey's responses as CSV, XLSX or JSON Lines, at once (small) or as a background job.

Like the survey routes, the organisation comes from the API key (or ``?org=<slug>`` for a signed-in user);
another organisation's survey or job is a 404, and exporting needs the analyst role (403 below it)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from cxloop.api.schemas import Moment, Schema
from cxloop.api.surveys import caller
from cxloop.exports import services
from cxloop.exports.models import ExportJob
from cxloop.orgs.access import ANALYSE, Actor, one_or_404
from cxloop.surveys import queries

router = Router(tags=["exports"])
ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 410, 413, 422): dict[str, Any]}


class ExportOptions(Schema):
    format: str = "csv"
    bom: bool = False  # CSV: start with a UTF-8 byte order mark, so Excel reads Chinese correctly
    trailer: bool = True  # CSV, JSON Lines: the last line states the row count
    since: Moment | None = None
    until: Moment | None = None
    status: str | None = None  # complete | partial; default both


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def job_out(job: ExportJob) -> dict[str, Any]:
    ready = services.job_file(job) is not None
    return {
        "id": job.pk, "survey_id": job.survey_id, "format": job.format, "status": job.status,
        "rows_done": job.rows_done, "rows_total": job.rows_total, "row_count": job.row_count,
        "percent": job.percent, "size_bytes": job.size_bytes, "file_name": job.file_name or None,
        "filters": job.filters, "error": job.error or None, "created_at": job.created_at,
        "started_at": job.started_at, "finished_at": job.finished_at, "expires_at": job.expires_at,
        "download": reverse("api:export_download", kwargs={"export_id": job.pk}) if ready else None,
    }


def _job(a: Actor, export_id: int) -> ExportJob:
    job = one_or_404(ExportJob.objects.filter(org=a.org).select_related("survey", "org"), export_id, "Export")
    a.require(ANALYSE)
    return job


@router.get("/surveys/{survey_id}/responses/export", response={200: None, **ERRORS},
            summary="Export responses at once (CSV or JSON Lines streamed, XLSX built), up to 50,000")
def export_now(request: HttpRequest, survey_id: int, options: Query[ExportOptions], org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(ANALYSE)
    filters = services.check_options(fmt=options.format, since=options.since, until=options.until,
                                     status=options.status)
    limit = services.direct_limit()
    total = services.count(survey=survey, filters=filters)
    if total > limit:
        raise services.ExportError(
            f"{total} responses: more than {limit} are exported in the background "
            f"(POST /api/v1/surveys/{survey.pk}/exports)", field="format", status=413)
    plan = services.plan(survey=survey, fmt=options.format, filters=filters, bom=options.bom,
                         trailer=options.trailer)
    mode = "file" if options.format == "xlsx" else "stream"
    services.audit_plan(plan, mode=mode, user=a.user, api_key=a.api_key, ip=_ip(request), via="api")
    response: StreamingHttpResponse | FileResponse
    if options.format == "xlsx":
        response = FileResponse(services.xlsx_file(plan), content_type=services.content_type("xlsx"))
    else:
        response = StreamingHttpResponse(services.stream(plan), content_type=services.content_type(options.format))
    response["Content-Disposition"] = f'attachment; filename="{plan.file_name()}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post("/surveys/{survey_id}/exports", response={202: dict[str, Any], **ERRORS},
             summary="Start a background export; poll GET /exports/{id}, then download")
def start_export(request: HttpRequest, survey_id: int, payload: ExportOptions, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(ANALYSE)
    filters = services.check_options(fmt=payload.format, since=payload.since, until=payload.until,
                                     status=payload.status)
    job = services.start_job(survey=survey, fmt=payload.format, filters=filters, bom=payload.bom,
                             trailer=payload.trailer, user=a.user, api_key=a.api_key, ip=_ip(request),
                             via="api")
    return Status(202, job_out(job))


@router.get("/surveys/{survey_id}/exports", response={200: list[dict[str, Any]], **ERRORS},
            summary="Recent exports of a survey")
def list_exports(request: HttpRequest, survey_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(ANALYSE)
    return [job_out(j) for j in ExportJob.objects.filter(org=a.org, survey=survey).select_related("survey")[:50]]


@router.get("/exports/{export_id}", response={200: dict[str, Any], **ERRORS}, summary="An export's progress")
def get_export(request: HttpRequest, export_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    return job_out(_job(a, export_id))


@router.get("/exports/{export_id}/download", response={200: None, **ERRORS}, url_name="export_download",
            summary="Download a finished export (409 while it runs, 410 once expired)")
def download_export(request: HttpRequest, export_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    job = _job(a, export_id)
    path = services.job_file(job)
    if path is None:
        if job.active:
            raise services.ExportError(f"Export {job.pk} is {job.status}: {job.rows_done} of "
                                       f"{job.rows_total} rows so far.", status=409)
        if job.status == "failed":
            raise services.ExportError(f"Export {job.pk} failed: {job.error}", status=409)
        raise services.ExportError(f"Export {job.pk} has expired; start a new one.", status=410)
    services.record_download(job, user=a.user, api_key=a.api_key, ip=_ip(request), via="api")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name,
                            content_type=services.content_type(job.format))
    response["X-Export-Rows"] = str(job.row_count)
    response["Cache-Control"] = "no-store"
    return response
