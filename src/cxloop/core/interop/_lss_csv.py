"""LimeSurvey response exports (Responses → Export → CSV, "answer codes") → ``ImportedResponses``; used by
``lss.parse_responses``. Pure Python.

Both headings LimeSurvey writes are read: question codes (``Q1``, ``Q2[SQ001]``, ``Q3[other]``) and SGQA
(``482917X10X101``), also "code. text" (``Q1. How likely …``). Columns LimeSurvey adds itself (``id``,
``submitdate``, ``lastpage``, ``startlanguage``, ``seed``, ``startdate``, ``datestamp``, ``ipaddr``, ``refurl``,
``token``, timings) are read or named in a note; every other column not in the survey is named in a note. An export
with "full answers" (texts instead of codes) is read as far as the codes go and every text value is a note.
A response without ``submitdate`` is incomplete. LimeSurvey writes times without a zone: read as UTC, with a note.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from cxloop.core.interop import ImportedResponse, ImportedResponses, ImportedSurvey, InteropError
from cxloop.core.interop._responses import AnswerReader
from cxloop.core.interop._text import check_size, language

_OWN = {"id": "id", "submitdate": "submitted", "startlanguage": "language"}
_META = {"lastpage", "seed", "startdate", "datestamp", "ipaddr", "refurl", "token", "interviewtime", "optout",
         "emailstatus", "firstname", "lastname", "email", "completed", "usesleft", "validfrom", "validuntil"}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S")


def _text(data: bytes) -> str:
    check_size(data, "LimeSurvey responses")
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InteropError("not a LimeSurvey response export: it is not UTF-8 text") from None


def _rows(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InteropError(f"not a readable CSV file: {exc}") from None


class _Reader(AnswerReader):
    def target(self, name: str) -> str | None:
        """The answer key of a column (a multi-choice column: ``key.<option>``), or None."""
        columns = self.survey.columns
        found = columns.get(name)
        if found is None and ". " in name:
            found = columns.get(name.split(". ", 1)[0].strip())
            name = name.split(". ", 1)[0].strip()
        if found is None:
            return None
        question = self.by_key.get(found)
        if question is not None and question.type == "multi_choice":
            sub = name[name.index("[") + 1:-1] if name.endswith("]") and "[" in name else None
            codes = self.survey.codes.get(found, {})
            if sub is None:  # SGQA: the subquestion code ends the column name
                sub = next((c for c in sorted(codes, key=len, reverse=True) if name.endswith(c)), None)
            option = codes.get(sub or "")
            return f"{found}.{option}" if option else None
        return found

    def read(self, data: bytes) -> ImportedResponses:
        rows = _rows(_text(data))
        if not rows or not any(c.strip() for c in rows[0]):
            raise InteropError("not a LimeSurvey response export: the file has no header row")
        header = [c.strip() for c in rows[0]]
        roles: dict[int, str] = {}
        targets: dict[int, str] = {}
        meta: list[str] = []
        unknown: list[str] = []
        for i, name in enumerate(header):
            role = _OWN.get(name.lower())
            if role:
                roles.setdefault(i, role)
                continue
            target = self.target(name)
            if target is not None:
                targets[i] = target
            elif name.lower() in _META or name.lower().endswith("time"):
                meta.append(name)
            elif name:
                unknown.append(name)
        if "id" not in roles.values():
            raise InteropError("not a LimeSurvey response export: no 'id' column in its header row")
        if not targets:
            raise InteropError("no column of this export belongs to the imported survey: is it the export of "
                               "another survey, or exported with question texts as headings?")
        if meta:
            self.note("columns", f"response metadata not imported: {', '.join(meta)}")
        if unknown:
            self.note("columns", f"{len(unknown)} column{'s' if len(unknown) != 1 else ''} of questions or data "
                      f"that were not imported (see the survey's notes): {', '.join(unknown)}")
        by_role = {role: i for i, role in sorted(roles.items(), reverse=True)}
        responses: list[ImportedResponse] = []
        utc_noted = False
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue

            def cell(role: str, row: list[str] = row) -> str:
                at = by_role.get(role)
                return row[at].strip() if at is not None and at < len(row) else ""

            source_id = cell("id")
            if not source_id:
                self.note(f"row {number}", "no response id: the row is not imported")
                continue
            answers: dict[str, Any] = {}
            for i, target in targets.items():
                if i < len(row) and row[i].strip():
                    self.put(answers, target, header[i], row[i])
            self.other_chosen(answers)
            answers = self.clean(source_id, answers, {})
            submitted = cell("submitted")
            when = self.when(submitted)
            if when and not utc_noted:
                self.note("submitdate", "LimeSurvey times are in the server's time zone, which the export does not "
                          "name: read as UTC", "changed")
                utc_noted = True
            lang = language(cell("language")) or ""
            responses.append(ImportedResponse(
                source_id=source_id[:200], answers=answers, submitted_at=when,
                language=lang if lang in self.survey.spec.languages else "", finished=bool(submitted)))
        self.value_notes()
        return ImportedResponses(responses=tuple(responses), notes=tuple(self.notes), layout="limesurvey")

    def other_chosen(self, answers: dict[str, Any]) -> None:
        """A multiple-choice question's "other" text (``Q3[other]``) is how LimeSurvey says "other" was chosen."""
        for target in [t for t in answers if t.endswith(".specify")]:
            key = target.partition(".")[0]
            question = self.by_key.get(key)
            other = self.survey.codes.get(key, {}).get("other")
            if question is not None and question.type == "multi_choice" and other:
                chosen = answers.setdefault(key, [])
                if other not in chosen:
                    chosen.append(other)

    def when(self, raw: str) -> str:
        if not raw:
            return ""
        for fmt in _TIME_FORMATS:
            try:
                return datetime.strptime(raw, fmt).replace(tzinfo=UTC).isoformat()
            except ValueError:
                continue
        self.bad_values[("submitdate", raw[:40], "not a date and time")] += 1
        return ""


def read_responses(data: bytes, survey: ImportedSurvey) -> ImportedResponses:
    return _Reader(survey).read(data)
