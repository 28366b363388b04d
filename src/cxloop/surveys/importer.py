"""CSV import of offline responses (paper forms, kiosks, another tool's export).

Columns: one per question key (``nps``, ``reason``) or item (``sus.q1``), ``<question>.specify`` for
"Other" text, and the reserved columns below. Several choices in one cell are separated by ``|``.
Every row is checked first; if any row has a problem nothing is imported and the report lists each
problem with its line and column. Otherwise all rows are stored in one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxloop.core import export_format, survey_spec
from cxloop.orgs.models import User
from cxloop.orgs.services import audit
from cxloop.surveys.models import Survey
from cxloop.surveys.services import (
    BatchItem,
    Recorded,
    Submission,
    SurveyError,
    current_version,
    record_batch,
    spec_of,
)

RESERVED = {"submitted_at", "contact_external_id", "contact_email", "contact_name", "language", "touchpoint",
            "channel", "status"}
# Columns of a response export (``core.export_format``) that an import reads past, so an export imports again.
EXPORT_ONLY = {"response_id", "survey_version", "account_external_id", "account_name"}
MAX_ROWS = 100_000
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RowProblem:
    line: int  # line number in the file (the header is line 1)
    column: str
    message: str


@dataclass
class Preview:
    columns: list[str]
    rows: list[dict[str, str]]
    items: list[BatchItem] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.items)


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_BYTES:
        raise SurveyError(f"file: larger than {MAX_BYTES // (1024 * 1024)} MB", field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SurveyError("file: not UTF-8 or GB18030 text", field="file")


def preview(*, survey: Survey, data: bytes | str) -> Preview:
    spec = spec_of(current_version(survey))
    text = decode(data)
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    result = Preview(columns=columns, rows=[])
    if not columns:
        result.problems.append(RowProblem(1, "", "the file is empty or has no header row"))
        return result
    keys = {q.key for q in spec.questions()}
    for column in columns:
        base = column.partition(".")[0]
        if column not in RESERVED | EXPORT_ONLY and not column.startswith("embedded.") and base not in keys:
            result.problems.append(RowProblem(1, column, f"unknown column: not a question of this survey "
                                                         f"(questions: {', '.join(sorted(keys))})"))
    if result.problems:
        return result
    multi = {q.key for q in spec.questions() if q.type == "multi_choice"}
    now = timezone.now()
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            result.problems.append(RowProblem(number, "", f"more than {MAX_ROWS:,} rows; split the file"))
            break
        if export_format.read_csv_trailer(next(iter(raw.values()), None) or "") is not None:
            continue  # the last line of an export ("# end of export: N rows")
        # A cell an export neutralised ("'=1+1") comes back as it was stored.
        row = {str(k).strip(): export_format.restore((v or "").strip()) for k, v in raw.items()
               if k is not None and str(k).strip() not in EXPORT_ONLY}
        result.rows.append(row)
        answers: dict[str, Any] = {}
        for column, value in row.items():
            if column in RESERVED or column.startswith("embedded.") or not value:
                continue
            answers[column] = [v.strip() for v in value.split("|") if v.strip()] if column in multi else value
        embedded = {c.removeprefix("embedded."): v for c, v in row.items() if c.startswith("embedded.") and v}
        contact: dict[str, Any] | None = None
        if row.get("contact_external_id") or row.get("contact_email"):
            contact = {"external_id": row.get("contact_external_id", ""), "email": row.get("contact_email", ""),
                       "name": row.get("contact_name", "")}
        submitted: datetime | None = None
        if row.get("submitted_at"):
            submitted = parse_datetime(row["submitted_at"])
            if submitted is None:
                result.problems.append(RowProblem(number, "submitted_at", "not a date and time (2026-03-01 14:30)"))
                continue
            if timezone.is_naive(submitted):
                submitted = timezone.make_aware(submitted)
            if submitted > now:
                result.problems.append(RowProblem(number, "submitted_at", "lies in the future"))
                continue
        complete = row.get("status", "complete") != "partial"
        sub = Submission(answers=answers, embedded=embedded, contact=contact, touchpoint=row.get("touchpoint", ""),
                         channel=row.get("channel") or "import", language=row.get("language", ""),
                         submitted_at=submitted, complete=complete)
        try:
            survey_spec.validate_answers(spec, answers, embedded=embedded, complete=complete)
        except survey_spec.AnswerError as exc:
            for p in exc.problems:
                result.problems.append(RowProblem(number, p.path.removeprefix("answers."), p.message))
            continue
        result.items.append(BatchItem(submission=sub))
    if not result.rows:
        result.problems.append(RowProblem(2, "", "no data rows"))
    return result


def import_csv(*, survey: Survey, data: bytes | str, actor: User | None = None) -> int:
    """Import every row or none; returns the number stored. Raises SurveyError with the report."""
    checked = preview(survey=survey, data=data)
    if checked.problems:
        first = checked.problems[0]
        raise SurveyError(f"line {first.line}, {first.column or 'row'}: {first.message}"
                          + (f" (and {len(checked.problems) - 1} more)" if len(checked.problems) > 1 else ""),
                          field="file", status=422)
    with transaction.atomic():
        results = record_batch(survey=survey, items=checked.items)
        bad = [r for r in results if not isinstance(r, Recorded)]
        if bad:
            raise SurveyError(f"{len(bad)} rows could not be stored: {bad[0]}", field="file", status=422)
        audit("responses.imported", org=survey.org, actor=actor, target=survey.name, rows=len(results))
    return len(results)
