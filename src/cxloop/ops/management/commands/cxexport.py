from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from cxloop.exports import services
from cxloop.surveys.models import Survey


def _moment(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--{name}: not a date (2026-03-01) or date and time (2026-03-01T14:30)")
        moment = datetime(day.year, day.month, day.day)
    return moment


class _TextSink:
    """Bytes into a text stream (standard output replaced by a StringIO); every piece is whole rows."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data.decode("utf-8"))


class Command(BaseCommand):
    help = ("Export data from cxloop. 'responses': a survey's responses as CSV, XLSX or JSON Lines, one row per "
            "response; the file's last line (CSV, JSON Lines) or its 'export' sheet (XLSX) states the row count.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        responses = sub.add_parser("responses", help="a survey's responses (complete and partial, see --status)")
        responses.add_argument("--survey", type=int, required=True, help="survey id")
        responses.add_argument("--org", help="organisation slug (checked against the survey when given)")
        responses.add_argument("--format", choices=["csv", "xlsx", "jsonl", "qualtrics"], default="csv")
        responses.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM (Excel on Windows)")
        responses.add_argument("--no-trailer", action="store_true",
                               help="CSV, JSON Lines: leave out the last line that states the row count")
        responses.add_argument("--out", default="-", help="file to write (default: standard output; XLSX needs a "
                                                          "file)")
        responses.add_argument("--since", help="submitted at or after (2026-03-01 or 2026-03-01T00:00)")
        responses.add_argument("--until", help="submitted before")
        responses.add_argument("--status", choices=["complete", "partial"], help="only these (default: both)")

    def handle(self, *args: Any, **opts: Any) -> None:
        survey = Survey.objects.select_related("org").filter(pk=opts["survey"]).first()
        if survey is None or (opts.get("org") and survey.org.slug != opts["org"]):
            raise CommandError(f"No survey {opts['survey']}" + (f" in {opts['org']}." if opts.get("org") else "."))
        fmt = opts["format"]
        out = opts["out"]
        if fmt == "xlsx" and out == "-":
            raise CommandError("XLSX needs a file: --out responses.xlsx")
        try:
            filters = services.check_options(fmt=fmt, since=_moment(opts.get("since"), "since"),
                                             until=_moment(opts.get("until"), "until"), status=opts.get("status"))
        except services.ExportError as exc:
            raise CommandError(exc.message) from None
        started = time.monotonic()
        plan = services.plan(survey=survey, fmt=fmt, filters=filters, bom=opts["bom"],
                             trailer=not opts["no_trailer"])
        services.audit_plan(plan, mode="cli", via="cli", path="-" if out == "-" else str(Path(out).resolve()))
        if out == "-":
            stream: Any = getattr(self.stdout, "_out", sys.stdout)
            sink: Any = getattr(stream, "buffer", None) or _TextSink(stream)
            rows = services.write(plan, sink)
            stream.flush()
            where = "standard output"
        else:
            # Written beside the target and renamed when complete, so a cut-off run leaves no file that looks done.
            target = Path(out)
            part = target.with_name(target.name + ".part")
            try:
                rows = services.write(plan, part)
                os.replace(part, target)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            where = f"{target} ({target.stat().st_size / 1e6:.1f} MB)"
        self.stderr.write(f"Exported {rows} responses of survey {survey.pk} ({survey.name}) as {fmt} to {where} "
                          f"in {time.monotonic() - started:.1f} s.")
