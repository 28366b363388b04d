"""Reading responses for an export: the columns, the count, and the responses in chunks.

Nothing here holds more than one chunk in memory. Responses are read in keyset pages by id (``id > last
ORDER BY id LIMIT n``, on the survey's index), up to the highest id when the export began, so responses
stored meanwhile do not appear and none is read twice; the answers of each page come in one query
(``response_id IN (...)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Max, QuerySet
from django.db.models.expressions import RawSQL

from cxloop.core import export_format
from cxloop.core.export_format import Layout, Record
from cxloop.core.text import pii
from cxloop.surveys.models import Answer, Response, Survey, SurveyVersion
from cxloop.surveys.services import spec_of

CHUNK = 2000
RESPONSE_FIELDS = ("id", "submitted_at", "status", "version_id", "channel", "touchpoint", "language", "embedded",
                   "contact_id", "contact__external_id", "contact__email", "contact__name",
                   "account_id", "account__external_id", "account__name")


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None  # submitted at or after
    until: datetime | None = None  # submitted before
    status: str = ""  # "" = complete and partial; "complete"; "partial"

    def as_json(self) -> dict[str, Any]:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "status": self.status}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        since, until = data.get("since"), data.get("until")
        return cls(since=datetime.fromisoformat(since) if since else None,
                   until=datetime.fromisoformat(until) if until else None, status=data.get("status") or "")


def selected(survey: Survey, filters: Filters, upto_id: int | None = None) -> QuerySet[Response]:
    """The survey's responses under the filters (no ordering)."""
    qs = Response.objects.filter(survey_id=survey.pk)
    if upto_id is not None:
        qs = qs.filter(id__lte=upto_id)
    if filters.since is not None:
        qs = qs.filter(submitted_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(submitted_at__lt=filters.until)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by()


def highest_id(survey: Survey) -> int:
    return Response.objects.filter(survey_id=survey.pk).aggregate(m=Max("id"))["m"] or 0


def embedded_keys(qs: QuerySet[Response]) -> list[str]:
    """Every embedded field's key in these responses, sorted; one query on SQLite and PostgreSQL."""
    sql, params = qs.values("embedded").query.sql_with_params()
    if connection.vendor == "sqlite":
        query = f"SELECT DISTINCT j.key FROM ({sql}) AS r, json_each(r.embedded) AS j"  # noqa: S608
    elif connection.vendor == "postgresql":
        query = f"SELECT DISTINCT jsonb_object_keys(r.embedded) FROM ({sql}) AS r"  # noqa: S608
    else:  # pragma: no cover - other databases are not supported by cxloop
        keys: set[str] = set()
        for embedded in qs.values_list("embedded", flat=True).iterator(chunk_size=CHUNK):
            keys.update(embedded or {})
        return sorted(keys)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return sorted(str(row[0]) for row in cursor.fetchall())


def layout(survey: Survey, qs: QuerySet[Response]) -> Layout:
    """Embedded fields found in the responses, then the answer columns of every published version (newest
    first); answers of responses stored without a version (older data) add their keys, sorted."""
    versions = SurveyVersion.objects.filter(survey=survey).order_by("-number")
    columns = export_format.merge_columns(export_format.answer_columns(spec_of(v)) for v in versions)
    if qs.filter(version__isnull=True).exists():
        extra = (Answer.objects.filter(response__in=qs.filter(version__isnull=True))
                 .values_list("question_key", flat=True).distinct())
        columns = export_format.merge_columns([columns, sorted(set(extra))])
    return Layout(embedded=tuple(embedded_keys(qs)), answers=columns)


def _submitted_iso() -> RawSQL | None:
    """``submitted_at`` as ISO text in UTC (``2026-03-01T02:30:00Z``), formatted by the database: cheaper
    than a datetime per row in Python. None for a database without a known formatter."""
    qn = connection.ops.quote_name
    column = f"{qn(Response._meta.db_table)}.{qn('submitted_at')}"
    if connection.vendor == "sqlite":  # times are stored as UTC text; %% is one % after parameter substitution
        return RawSQL(f"strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', {column})", ())  # noqa: S611 - names from the model
    if connection.vendor == "postgresql":
        return RawSQL(f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""", ())  # noqa: S611
    return None  # pragma: no cover


def _json(value: Any, empty: Any) -> Any:
    """A JSON column as read by the database driver: text (SQLite, and psycopg as Django sets it up) or
    already decoded."""
    if value is None:
        return empty
    if isinstance(value, str | bytes):
        if value in ("[]", "{}", b"[]", b"{}"):
            return empty
        return json.loads(value)
    return value


def records(survey: Survey, qs: QuerySet[Response], *, chunk: int = CHUNK, redact: bool = False,
            timing: bool = False) -> Iterator[list[Record]]:
    """The responses as :class:`Record` s, ``chunk`` at a time, oldest id first; with ``redact`` every text
    answer has its phone numbers, e-mail addresses, ID and bank card numbers replaced (``core.text.pii``).

    The ORM writes the SQL (joins, filters, quoting); the rows are read with the cursor itself and converted
    here, because Django's per-value converters (a JSON parse of every ``choices`` list, a datetime per
    response) cost more than the rest of the export."""
    numbers = dict(SurveyVersion.objects.filter(survey=survey).values_list("id", "number"))
    last = 0
    no_choices: list[str] = []
    no_embedded: dict[str, Any] = {}
    # The answers of one chunk by their response ids, written once (the ORM would prepare 2,000 ids a chunk);
    # in index order (response, key): a sort would only cost, since cells are placed by their key.
    qn = connection.ops.quote_name
    table = qn(Answer._meta.db_table)
    answers_sql = (f"SELECT {qn('response_id')}, {qn('question_key')}, {qn('number')}, {qn('choices')}, "  # noqa: S608
                   f"{qn('text')} FROM {table} WHERE {qn('response_id')} IN (%s)")
    iso = _submitted_iso()
    fields = list(RESPONSE_FIELDS)
    if timing:  # the start time and duration (the Qualtrics layout has them)
        fields += ["started_at", "duration_seconds"]
    if iso is not None:
        qs = qs.annotate(submitted_iso=iso)
        fields[fields.index("submitted_at")] = "submitted_iso"
    with connection.cursor() as cursor:
        while True:
            sql, params = (qs.filter(id__gt=last).order_by("id").values_list(*fields)[:chunk]
                           .query.sql_with_params())
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            answers: dict[int, list[tuple[str, float | None, list[str], str]]] = {r[0]: [] for r in rows}
            cursor.execute(answers_sql.replace("%s", ", ".join(["%s"] * len(answers)), 1), list(answers))
            for response_id, key, num, choices, text in cursor.fetchall():
                if redact and text:
                    text = pii.redact(text).text
                answers[response_id].append((key, num, _json(choices, no_choices), text))
            out = []
            for row in rows:
                (rid, submitted, status, version_id, channel, touchpoint, language, embedded, contact_id, c_ext,
                 c_email, c_name, account_id, a_ext, a_name) = row[:15]
                record = Record(
                    id=rid, submitted_at=submitted, status=status,
                    version=numbers.get(version_id) if version_id is not None else None,
                    channel=channel, touchpoint=touchpoint, language=language,
                    contact=(c_ext, c_email, c_name) if contact_id is not None else None,
                    account=(a_ext, a_name) if account_id is not None else None,
                    embedded=_json(embedded, no_embedded), answers=answers[rid],
                )
                if timing:
                    record.started_at, record.duration = row[15], row[16]
                out.append(record)
            yield out
