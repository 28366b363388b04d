"""Qualtrics CSV response exports → ``ImportedResponses`` (used by ``qsf.parse_responses``). Pure Python.

Two layouts:

* legacy: row 1 ``V1``..``V10`` then the export tags (``Q1``, ``Q3_4``, ``Q3_4_TEXT``), row 2 the texts (and the
  names of the V columns: ResponseID, ResponseSet, Name, …, Status, StartDate, EndDate, Finished); times have no
  zone (read as UTC, with a note);
* current: row 1 the column names (StartDate, EndDate, Status, …, ResponseId, …, Q1, Q2_1), row 2 the texts, row 3
  ``{"ImportId":"QID1"}`` and ``{"ImportId":"startDate","timeZone":"America/Denver"}``; columns are matched by
  ImportId (``QID4-1`` and ``QID4_1`` are the same), else by name.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxloop.core.interop import ImportedResponse, ImportedResponses, ImportedSurvey, InteropError
from cxloop.core.interop._responses import AnswerReader
from cxloop.core.interop._text import language as cxloop_language

_IMPORT_ID = re.compile(r"""['"]ImportId['"]\s*:\s*['"]([^'"]*)['"]""")
_TIME_ZONE = re.compile(r"""['"]timeZone['"]\s*:\s*['"]([^'"]*)['"]""")
_V = re.compile(r"V\d+")
_ROLES = {  # lowercased column name or ImportId -> what it is
    "responseid": "id", "_recordid": "id",
    "status": "status", "finished": "finished",
    "enddate": "end", "recordeddate": "recorded", "startdate": "start",
    "userlanguage": "language", "q_language": "language",
}
_META = {n.lower() for n in (
    "ResponseSet", "responseSetId", "Name", "ExternalDataReference", "ExternalReference", "EmailAddress",
    "IPAddress", "Progress", "Duration (in seconds)", "duration", "DistributionChannel", "RecipientLastName",
    "RecipientFirstName", "RecipientEmail", "LocationLatitude", "LocationLongitude", "LocationAccuracy",
    "Location-LocationLatitude", "Location-LocationLongitude", "Location-LocationAccuracy", "panel-RecipientLastName",
    "panel-RecipientFirstName", "panel-RecipientEmail", "panel-ExternalDataReference", "externalDataReference",
    "Q_RecaptchaScore", "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore", "Q_RelevantIDFraudScore",
    "Q_RelevantIDLastStartDate", "Q_TotalDuration", "Q_BallotBoxStuffing", "Q_DuplicateRespondent",
)}
_PREVIEW = {"1", "survey preview", "9", "17", "spam preview"}
_TEST = {"2", "survey test"}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


@dataclass
class _Column:
    index: int
    name: str
    import_id: str = ""
    zone: str = ""
    role: str = ""  # id, status, finished, end, recorded, start, language, meta, ignore, answer, unknown
    target: str = ""


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InteropError("not a Qualtrics CSV export: it is not UTF-8 text") from None


def _rows(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InteropError(f"not a readable CSV file: {exc}") from None


def _normal_id(raw: str) -> str:
    return raw.replace("-", "_") if raw.startswith("QID") else raw


class _Reader(AnswerReader):
    def __init__(self, survey: ImportedSurvey, keep_tests: bool) -> None:
        super().__init__(survey)
        self.keep_tests = keep_tests

    def read(self, data: bytes) -> ImportedResponses:
        rows = _rows(_decode(data))
        if not rows or not any(c.strip() for c in rows[0]):
            raise InteropError("not a Qualtrics CSV export: the file has no header row")
        if len(rows) < 2:
            raise InteropError("not a Qualtrics CSV export: it needs two header rows (names, question texts)")
        third = rows[2] if len(rows) > 2 else []
        filled = [c for c in third if c.strip()]
        current = bool(filled) and sum(1 for c in filled if _IMPORT_ID.search(c)) * 2 >= len(filled)
        columns = self.columns(rows, current)
        roles = {c.role for c in columns}
        if "id" not in roles:
            raise InteropError("not a Qualtrics CSV export: no ResponseID / ResponseId column in its header rows")
        if not any(c.role == "answer" for c in columns):
            raise InteropError("no column of this export belongs to the imported survey: is it the export of "
                               "another survey?")
        self.header_notes(columns, current)
        responses: list[ImportedResponse] = []
        previews = tests = 0
        utc_noted = False
        for number, row in enumerate(rows[3 if current else 2 :], start=(4 if current else 3)):
            if not any(cell.strip() for cell in row):
                continue
            cells = {c.role: row[c.index].strip() for c in reversed(columns) if c.index < len(row) and c.role}
            source_id = cells.get("id", "")
            if not source_id:
                self.note(f"row {number}", "no response id: the row is not imported")
                continue
            status = cells.get("status", "").lower()
            if status in _PREVIEW:
                previews += 1
                continue
            if status in _TEST and not self.keep_tests:
                tests += 1
                continue
            answers, embedded = self.values(columns, row)
            answers = self.clean(source_id, answers, embedded)
            when, zone_given = self.when(columns, row)
            if when and not zone_given and not utc_noted:
                self.note("EndDate", "Qualtrics times are in the account's time zone, which this export does not "
                          "name: read as UTC", "changed")
                utc_noted = True
            language = cxloop_language(cells.get("language", "")) or ""
            responses.append(ImportedResponse(
                source_id=source_id[:200], answers=answers, submitted_at=when,
                language=language if language in self.survey.spec.languages else "", embedded=embedded,
                finished=cells.get("finished", "1").lower() in ("1", "true"),
            ))
        if previews:
            self.note("Status", f"{previews} survey preview response{'s' if previews != 1 else ''} skipped")
        if tests:
            self.note("Status", f"{tests} survey test response{'s' if tests != 1 else ''} (Status 'Survey Test', "
                      "generated by Qualtrics) skipped")
        self.value_notes()
        return ImportedResponses(responses=tuple(responses), notes=tuple(self.notes),
                                 layout="current" if current else "legacy")

    def columns(self, rows: list[list[str]], current: bool) -> list[_Column]:
        names, texts = rows[0], rows[1]
        third = rows[2] if current else []
        out: list[_Column] = []
        seen: Counter[str] = Counter()
        known = self.survey.columns
        for i, raw_name in enumerate(names):
            name = raw_name.strip()
            if not current and _V.fullmatch(name) and i < len(texts):
                name = texts[i].strip()
            col = _Column(i, name)
            if i < len(third):
                found = _IMPORT_ID.search(third[i])
                col.import_id = _normal_id(found.group(1)) if found else ""
                zone = _TIME_ZONE.search(third[i])
                col.zone = zone.group(1) if zone else ""
            if not name and not col.import_id:
                out.append(col)
                continue
            seen[name] += 1
            legacy = name if seen[name] == 1 else f"{name}~{seen[name]}"
            role = _ROLES.get(name.lower()) or _ROLES.get(col.import_id.lower())
            target = known.get(col.import_id) if col.import_id else None
            if target is None:
                target = known.get(legacy)
            if role:
                col.role = role
            elif target is not None:
                col.role, col.target = "answer", target
            elif name.lower() in _META or col.import_id.lower() in _META:
                col.role = "meta"
            elif name.endswith("_NPS_GROUP") or col.import_id.endswith("_NPS_GROUP"):
                col.role = "ignore"  # derived from the NPS answer
            else:
                col.role = "unknown"
            out.append(col)
        return out

    def header_notes(self, columns: list[_Column], current: bool) -> None:
        meta = [c.name or c.import_id for c in columns if c.role == "meta"]
        if meta:
            self.note("columns", f"response metadata not imported: {', '.join(meta)}")
        unknown = [c.name or c.import_id for c in columns if c.role == "unknown"]
        if unknown:
            self.note("columns", f"{len(unknown)} column{'s' if len(unknown) != 1 else ''} of questions or data "
                      f"that were not imported (see the survey's notes): {', '.join(unknown)}")

    def values(self, columns: list[_Column], row: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        answers: dict[str, Any] = {}
        embedded: dict[str, str] = {}
        for col in columns:
            if col.role != "answer" or col.index >= len(row):
                continue
            value = row[col.index]
            if not value.strip():
                continue
            if col.target.startswith("embedded:"):
                embedded[col.target.partition(":")[2]] = value.strip()[:1000]
                continue
            self.put(answers, col.target, col.name or col.import_id, value)
        return answers, embedded

    def when(self, columns: list[_Column], row: list[str]) -> tuple[str, bool]:
        by_role = {c.role: c for c in reversed(columns) if c.role in ("end", "recorded")}
        for role in ("end", "recorded"):
            col = by_role.get(role)
            if col is None or col.index >= len(row) or not row[col.index].strip():
                continue
            raw = row[col.index].strip()
            moment = None
            for fmt in _TIME_FORMATS:
                try:
                    moment = datetime.strptime(raw, fmt)  # the zone is applied below
                    break
                except ValueError:
                    continue
            if moment is None:
                self.bad_values[(col.name, raw[:40], "not a date and time")] += 1
                return "", True
            zone_name = col.zone
            if zone_name in ("Z", "UTC", "GMT"):
                return moment.replace(tzinfo=UTC).isoformat(), True
            if zone_name:
                try:
                    return moment.replace(tzinfo=ZoneInfo(zone_name)).isoformat(), True
                except (ZoneInfoNotFoundError, ValueError):
                    self.bad_values[(col.name, zone_name[:40], "not a known time zone (read as UTC)")] += 1
            return moment.replace(tzinfo=UTC).isoformat(), False
        return "", True


def read_responses(data: bytes, survey: ImportedSurvey, *, keep_test_responses: bool = False) -> ImportedResponses:
    return _Reader(survey, keep_test_responses).read(data)
