"""Export verbs: plan an export, stream it, write it to a file, run it as a background job, download it.

Every export is audit-logged as ``responses.exported`` (streamed, built in the request, a background job, or
from the CLI), and every download of a job's file as ``exports.downloaded``.

Small exports (up to ``CXLOOP_EXPORT_DIRECT_LIMIT`` responses, default 50,000) come at once: CSV and JSON
Lines streamed chunk by chunk, XLSX built in a temporary file. Larger ones run as an :class:`ExportJob` on the
task worker, which writes ``CXLOOP_DATA_DIR/exports/<org id>/<job id>-<random>.<ext>`` (first as ``.part``,
renamed when complete) and records its progress; the file is kept ``KEEP_DAYS`` days.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cxloop.core import export_format
from cxloop.core.export_format import Layout, Record
from cxloop.core.survey_model import SurveySpec
from cxloop.exports import source
from cxloop.exports.models import ExportFormat, ExportJob, ExportStatus
from cxloop.exports.source import Filters
from cxloop.orgs.models import ApiKey, Organization, User
from cxloop.orgs.services import ServiceError, audit
from cxloop.surveys.models import ResponseStatus, Survey

logger = logging.getLogger(__name__)

DIRECT_LIMIT = 50_000
KEEP_DAYS = 7
PROGRESS_EVERY = 0.5  # seconds between progress updates of a running job
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "jsonl": "jsonl", "qualtrics": "csv"}


class ExportError(ServiceError):
    pass


def direct_limit() -> int:
    return int(getattr(settings, "CXLOOP_EXPORT_DIRECT_LIMIT", DIRECT_LIMIT))


def exports_dir() -> Path:
    return Path(settings.CXLOOP_DATA_DIR) / "exports"


def check_options(*, fmt: str, since: datetime | None = None, until: datetime | None = None,
                  status: str | None = None) -> Filters:
    """The filters, or ExportError naming the field at fault."""
    if fmt not in export_format.FORMATS:
        raise ExportError(f"format: one of {', '.join(export_format.FORMATS)}", field="format", status=422)
    status = status or ""
    if status not in ("", *ResponseStatus.values):
        raise ExportError("status: 'complete', 'partial' or empty for both", field="status", status=422)
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
            if name == "since":
                since = moment
            else:
                until = moment
    if since is not None and until is not None and until <= since:
        raise ExportError("until: must be after since", field="until", status=422)
    return Filters(since=since, until=until, status=status)


@dataclass(frozen=True)
class Plan:
    """What one export will contain, fixed when it starts."""

    survey: Survey
    fmt: str
    filters: Filters
    upto_id: int
    total: int
    layout: Layout
    bom: bool = False
    trailer: bool = True
    redact: bool = False  # the organisation hides personal data in comments (``core.text.pii``)
    spec: SurveySpec | None = None  # the newest definition (the Qualtrics layout's texts)

    def queryset(self) -> Any:
        return source.selected(self.survey, self.filters, self.upto_id)

    def chunks(self, progress: Callable[[int], None] | None = None) -> Iterator[list[Record]]:
        done = 0
        for chunk in source.records(self.survey, self.queryset(), redact=self.redact,
                                    timing=self.fmt == "qualtrics"):
            yield chunk
            done += len(chunk)
            if progress is not None:
                progress(done)

    def about(self) -> dict[str, Any]:
        return {"survey_id": self.survey.pk, "survey": self.survey.name,
                "exported_at": export_format.iso_utc(timezone.now()),
                **{k: v for k, v in self.filters.as_json().items() if v}}

    def file_name(self, rows: int | None = None) -> str:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")  # the time zone of the pages (TIME_ZONE)
        count = f"-{rows}-rows" if rows is not None else ""
        layout = "-qualtrics" if self.fmt == "qualtrics" else ""
        return f"survey-{self.survey.pk}-responses-{stamp}{count}{layout}.{EXTENSIONS[self.fmt]}"


def count(*, survey: Survey, filters: Filters) -> int:
    """How many responses an export with these filters would have now."""
    return source.selected(survey, filters, source.highest_id(survey)).count()


def plan(*, survey: Survey, fmt: str, filters: Filters, bom: bool = False, trailer: bool = True,
         count: bool = True) -> Plan:
    upto = source.highest_id(survey)
    qs = source.selected(survey, filters, upto)
    return Plan(survey=survey, fmt=fmt, filters=filters, upto_id=upto, total=qs.count() if count else -1,
                layout=source.layout(survey, qs), bom=bom and fmt in ("csv", "qualtrics"), trailer=trailer,
                redact=Organization.objects.filter(pk=survey.org_id, redact_pii=True).exists(),
                spec=newest_definition(survey) if fmt == "qualtrics" else None)


def newest_definition(survey: Survey) -> SurveySpec:
    """The current published version's definition, else the draft's."""
    from cxloop.surveys.services import definition_for

    return definition_for(survey, survey.current_version or None)


def stream(p: Plan) -> Iterator[bytes]:
    """The bytes of a CSV or JSON Lines export, a chunk of responses at a time."""
    return export_format.encode(p.fmt, p.layout, p.chunks(), bom=p.bom, trailer=p.trailer, about=p.about(),
                                spec=p.spec)


def write(p: Plan, out: str | Path | IO[bytes], *, progress: Callable[[int], None] | None = None) -> int:
    """Write the whole export to a path or a binary file; returns the rows written."""
    if p.fmt == "xlsx":
        tmpdir = str(Path(out).parent) if isinstance(out, str | Path) else None
        target: str | IO[bytes] = str(out) if isinstance(out, str | Path) else out
        return export_format.write_xlsx(target, p.layout, p.chunks(progress), about=p.about(), tmpdir=tmpdir)
    rows = 0

    def counted() -> Iterator[list[Record]]:
        nonlocal rows
        for chunk in p.chunks(progress):
            rows += len(chunk)
            yield chunk

    pieces = export_format.encode(p.fmt, p.layout, counted(), bom=p.bom, trailer=p.trailer, about=p.about(),
                                  spec=p.spec)
    if isinstance(out, str | Path):
        with open(out, "wb") as fh:
            for piece in pieces:
                fh.write(piece)
    else:
        for piece in pieces:
            out.write(piece)
    return rows


def record_export(survey: Survey, *, fmt: str, filters: Filters, rows: int, mode: str, user: User | None = None,
                  api_key: ApiKey | None = None, ip: str | None = None, job: ExportJob | None = None,
                  via: str = "web", **extra: Any) -> None:
    """The audit event of one export; ``mode``: stream, file (built in the request), background, cli."""
    audit("responses.exported", org=survey.org, actor=user if user and user.is_authenticated else None,
          api_key=api_key, target=survey.name, ip=ip, survey_id=survey.pk, format=fmt, rows=rows, mode=mode,
          via=via, filters=filters.as_json(), job_id=job.pk if job else None, **extra)


def audit_plan(p: Plan, **kwargs: Any) -> None:
    record_export(p.survey, fmt=p.fmt, filters=p.filters, rows=p.total, **kwargs)


def xlsx_file(p: Plan) -> IO[bytes]:
    """A small XLSX export built in a temporary file (deleted when closed), positioned at its start."""
    fh = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that sends it
    write(p, fh)
    fh.seek(0)
    return fh


# --- background jobs -------------------------------------------------------------------------------


def start_job(*, survey: Survey, fmt: str, filters: Filters, bom: bool = False, trailer: bool = True,
              user: User | None = None, api_key: ApiKey | None = None, ip: str | None = None,
              via: str = "web") -> ExportJob:
    """Create the job, audit it, and queue the task once the transaction commits."""
    from cxloop.exports import tasks

    total = count(survey=survey, filters=filters)
    with transaction.atomic():
        job = ExportJob.objects.create(
            org=survey.org, survey=survey, requested_by=user if user and user.is_authenticated else None,
            api_key=api_key, format=fmt, rows_total=total,
            filters={**filters.as_json(), "bom": bom and fmt in ("csv", "qualtrics"), "trailer": trailer},
        )
        record_export(survey, fmt=fmt, filters=filters, rows=total, mode="background", user=job.requested_by,
                      api_key=api_key, ip=ip, job=job, via=via)
        job_id = job.pk
        transaction.on_commit(lambda: tasks.run_export.enqueue(job_id=job_id))
    return job


def run_job(job_id: int) -> str:
    """Carry out a queued job (called by the task): claim it, write the file, record progress and result."""
    now = timezone.now()
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, started_at=now):
        return "not queued (taken, finished or gone)"
    purge_expired()
    job = ExportJob.objects.select_related("survey", "survey__org").get(pk=job_id)
    folder = exports_dir() / str(job.org_id)
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{job.org_id}/{job.pk}-{secrets.token_hex(8)}.{EXTENSIONS[job.format]}"
    final = exports_dir() / relative
    part = final.with_name(final.name + ".part")
    try:
        filters = Filters.from_json(job.filters)
        p = plan(survey=job.survey, fmt=job.format, filters=filters, bom=bool(job.filters.get("bom")),
                 trailer=job.filters.get("trailer", True) is not False)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=p.total)
        last = [time.monotonic()]

        def progress(done: int) -> None:
            if time.monotonic() - last[0] >= PROGRESS_EVERY:
                last[0] = time.monotonic()
                ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

        rows = write(p, part, progress=progress)
        part.rename(final)
    except Exception as exc:  # the job records any failure; the worker goes on
        logger.exception("export %s failed", job_id)
        part.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=str(exc)[:500] or repr(exc),
                                                   finished_at=timezone.now())
        return f"failed: {exc}"
    finished = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, rows_done=rows, row_count=rows, file_path=relative,
        file_name=p.file_name(rows), size_bytes=final.stat().st_size, finished_at=finished,
        expires_at=finished + timedelta(days=KEEP_DAYS))
    return f"{rows} rows"


def job_file(job: ExportJob) -> Path | None:
    """The finished file of a job, or None (not ready, expired, or gone from disk)."""
    if job.status != ExportStatus.DONE or not job.file_path:
        return None
    if job.expires_at is not None and job.expires_at <= timezone.now():
        return None
    path = (exports_dir() / job.file_path).resolve()
    if exports_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


def record_download(job: ExportJob, *, user: User | None = None, api_key: ApiKey | None = None,
                    ip: str | None = None, via: str = "web") -> None:
    audit("exports.downloaded", org=job.org, actor=user if user and user.is_authenticated else None,
          api_key=api_key, target=job.survey.name, ip=ip, job_id=job.pk, survey_id=job.survey_id,
          format=job.format, rows=job.row_count, via=via)


def purge_expired() -> int:
    """Delete the files of jobs past their expiry (run at the start of every job); returns how many."""
    done = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=timezone.now()):
        if job.file_path:
            (exports_dir() / job.file_path).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file_path="")
        done += 1
    return done


def content_type(fmt: str) -> str:
    return export_format.CONTENT_TYPES[fmt]


__all__ = [
    "DIRECT_LIMIT",
    "ExportError",
    "ExportFormat",
    "ExportJob",
    "ExportStatus",
    "Filters",
    "Plan",
    "audit_plan",
    "check_options",
    "count",
    "direct_limit",
    "job_file",
    "plan",
    "purge_expired",
    "record_download",
    "record_export",
    "run_job",
    "start_job",
    "stream",
    "write",
    "xlsx_file",
]
