"""SurveyJS results → ``ImportedResponses``; used by ``surveyjs.parse_responses``. Pure Python.

SurveyJS keeps one JSON object per response (``survey.data``: ``{"nps": 9, "colour": "blue", "features":
["a", "b"], "quality": {"price": 4}, "colour-Comment": "teal"}``); a results file is a JSON array of them, or an
object with such an array under ``results`` / ``data``. An object may carry its own id (``id``, ``_id``,
``responseId``) and time (``submitted_at``, ``createdAt``, ``date``) and ``locale``; without an id a response is
named by its position (``#3``), so import a later, longer file of the same survey into it (``into``) and the first
responses are skipped as already stored. Names not in the survey are named in a note.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cxloop.core.interop import ImportedResponse, ImportedResponses, ImportedSurvey, InteropError
from cxloop.core.interop._responses import AnswerReader
from cxloop.core.interop._text import check_size, language, value_text

_ID_NAMES = ("id", "_id", "responseId", "response_id")
_TIME_NAMES = ("submitted_at", "submittedAt", "createdAt", "created_at", "date")
_OWN = frozenset({*_ID_NAMES, *_TIME_NAMES, "locale", "HappendAt", "postId", "surveyId"})


def _load(data: bytes) -> list[Any]:
    check_size(data, "SurveyJS results")
    try:
        raw = json.loads(bytes(data).decode("utf-8-sig"), parse_constant=_refuse)
    except UnicodeDecodeError:
        raise InteropError("the SurveyJS results file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InteropError(f"not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise InteropError(f"not JSON: {exc}") from None
    if isinstance(raw, dict):
        raw = raw.get("results", raw.get("data"))
    if not isinstance(raw, list):
        raise InteropError("SurveyJS results are a JSON array of answer objects (or {\"results\": [...]})")
    return raw


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


class _Reader(AnswerReader):
    def flatten(self, answers: dict[str, Any], name: str, value: Any) -> bool:
        """Put one SurveyJS value; False when the name is not a column of the imported survey."""
        columns = self.survey.columns
        target = columns.get(name)
        if isinstance(value, dict):  # a matrix: {row: column}
            hit = False
            for row, point in value.items():
                item = columns.get(f"{name}.{row}")
                if item is None:
                    self.bad_values[(name, str(row)[:40], "not a row of the imported matrix")] += 1
                    continue
                hit = True
                if point is not None and not isinstance(point, dict | list):
                    self.put(answers, item, f"{name}.{row}", value_text(point))
            return hit or target is not None
        if target is None:
            return False
        if isinstance(value, list):  # a checkbox: the chosen values
            key = target.partition(".")[0]
            codes = self.survey.codes.get(key, {})
            for one in value:
                option = codes.get(value_text(one)) if not isinstance(one, dict | list) else None
                if option is None:
                    self.bad_values[(name, value_text(one)[:40], f"not a choice of '{key}'")] += 1
                else:
                    self.put(answers, f"{key}.{option}", name, "1")
            return True
        if value is None or (isinstance(value, str) and not value.strip()):
            return True
        self.put(answers, target, name, value_text(value))
        return True

    def read(self, data: bytes) -> ImportedResponses:
        results = _load(data)
        responses: list[ImportedResponse] = []
        unknown: dict[str, None] = {}
        positional = 0
        for number, result in enumerate(results, start=1):
            if not isinstance(result, dict):
                self.note(f"result #{number}", "not a JSON object of answers: not imported")
                continue
            source_id = next((value_text(result[n]) for n in _ID_NAMES if result.get(n) not in (None, "")), "")
            if not source_id:
                source_id = f"#{number}"
                positional += 1
            answers: dict[str, Any] = {}
            for name, value in result.items():
                if name in _OWN:
                    continue
                if not self.flatten(answers, str(name), value):
                    unknown.setdefault(str(name)[:80], None)
            answers = self.clean(source_id, answers, {})
            lang = language(str(result.get("locale") or "")) or ""
            responses.append(ImportedResponse(
                source_id=source_id[:200], answers=answers, submitted_at=self.when(result),
                language=lang if lang in self.survey.spec.languages else ""))
        if not responses and results:
            raise InteropError("no result in this file is a JSON object of answers")
        if positional:
            self.note("results", f"{positional} result{'s' if positional != 1 else ''} without an id: named by "
                      "position (#1, #2 …)", "changed")
        if unknown:
            names = list(unknown)
            self.note("results", f"{len(names)} name{'s' if len(names) != 1 else ''} not in the imported survey: "
                      f"not imported: {', '.join(names[:30])}{' …' if len(names) > 30 else ''}")
        self.value_notes()
        return ImportedResponses(responses=tuple(responses), notes=tuple(self.notes), layout="surveyjs")

    def when(self, result: dict[str, Any]) -> str:
        for name in _TIME_NAMES:
            raw = result.get(name)
            if isinstance(raw, str) and raw.strip():
                try:
                    moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
                except ValueError:
                    self.bad_values[(name, raw[:40], "not an ISO 8601 date and time")] += 1
                    return ""
                return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
        return ""


def read_responses(data: bytes, survey: ImportedSurvey) -> ImportedResponses:
    return _Reader(survey).read(data)
