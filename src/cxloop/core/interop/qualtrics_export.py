"""Responses in the layout of a Qualtrics CSV export (the current one: three header rows), for teams whose
scripts, dashboards or agencies read Qualtrics files. Pure Python; ``cxloop.exports`` feeds the same
``export_format.Record`` s as the other formats, chunk by chunk.

* Row 1 — column names: ``StartDate, EndDate, Status, Progress, Duration (in seconds), Finished, RecordedDate,
  ResponseId, RecipientEmail, ExternalReference, DistributionChannel, UserLanguage``, then one column per answer:
  the question key (``nps``), ``<key>_<n>`` for the n-th item of a matrix / SUS / UMUX-Lite, ``<key>_<n>_TEXT``
  for the text of the n-th option ("Other, please specify"), ``<key>_NPS_GROUP`` after an NPS question, then one
  column per embedded field.
* Row 2 — texts: the question text (an item: "question - item") in the chosen language.
* Row 3 — ``{"ImportId":"…"}``: the cxloop answer key (``nps``, ``sus.q1``, ``reason.specify``), and Qualtrics'
  own ids for the fixed columns (``startDate`` … with ``"timeZone":"UTC"``: every time is UTC).
* Values as Qualtrics writes them "as choice text": numbers for scores, the option's text for a choice (several
  joined with ``,``), ``True``/``False`` for Finished, ``Promoter`` / ``Passive`` / ``Detractor`` for the NPS group,
  languages as Qualtrics codes (``EN``, ``ZH-S``, ``ZH-T``), times ``YYYY-MM-DD HH:MM:SS``.
* Formula injection: text cells are neutralised as in every cxloop CSV (``export_format.neutralise``).
* No trailer line (a Qualtrics file has none): compare the row count with the export's audit record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cxloop.core.export_format import CsvBuffer, Record, neutralise, number
from cxloop.core.metrics import NpsCounts
from cxloop.core.survey_model import Question, SurveySpec, Text

FIXED = (
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "UTC"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "UTC"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "UTC"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
)
LANGUAGE_CODES = {"en": "EN", "zh-hans": "ZH-S", "zh-hant": "ZH-T"}


def nps_group(score: float) -> str:
    """Qualtrics' NPS group label of one score (the thresholds of ``metrics.NpsCounts``)."""
    counts = NpsCounts.from_scores([score])
    return "Promoter" if counts.promoters else "Passive" if counts.passives else "Detractor"


def _text(text: Text, language: str, default: str, fallback: str) -> str:
    return text.get(language) or text.get(default) or next(iter(text.values()), "") or fallback


@dataclass(frozen=True)
class Column:
    name: str  # row 1
    text: str  # row 2
    key: str  # the cxloop answer key (row 3's ImportId); "" for a derived column
    kind: str  # "answer" | "specify" | "nps_group" | "embedded"
    question: Question | None = None


def columns(spec: SurveySpec, answer_keys: Sequence[str], embedded: Sequence[str], language: str) -> list[Column]:
    """The answer columns for the keys an export has (``export_format.Layout.answers``: every version's keys),
    texts from ``spec`` (the newest definition); a key the newest definition lacks keeps its key as its text."""
    default = spec.default_language
    by_key = {q.key: q for q in spec.questions()}
    out: list[Column] = []
    for key in answer_keys:
        qkey, _, part = key.partition(".")
        q = by_key.get(qkey)
        qtext = _text(q.text, language, default, qkey) if q else qkey
        if q is None:
            out.append(Column(key.replace(".", "_"), key, key, "answer"))
        elif part == "specify":
            index = next((i for i, o in enumerate(q.options, start=1) if o.specify), 0)
            option = q.options[index - 1] if index else None
            label = _text(option.text, language, default, "") if option else ""
            out.append(Column(f"{qkey}_{index}_TEXT", f"{qtext} - {label} - Text", key, "specify", q))
        elif part:
            index = next((i for i, item in enumerate(q.items, start=1) if item.key == part), 0)
            item = q.items[index - 1] if index else None
            label = _text(item.text, language, default, part) if item else part
            out.append(Column(f"{qkey}_{index or part}", f"{qtext} - {label}", key, "answer", q))
        else:
            out.append(Column(qkey, qtext, key, "answer", q))
            if q.type == "nps":
                out.append(Column(f"{qkey}_NPS_GROUP", f"{qtext} - Group", "", "nps_group", q))
    out += [Column(k, k, k, "embedded") for k in embedded]
    return out


def _when(moment: datetime | str | None) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


class QualtricsCsvEncoder(CsvBuffer):
    """``start()`` the three header rows, ``chunk(records)`` their rows, ``finish()`` nothing (no trailer)."""

    def __init__(self, spec: SurveySpec, columns: list[Column], *, language: str, bom: bool = False) -> None:
        super().__init__(bom=bom)
        self.columns = columns
        self.language = language
        self.default = spec.default_language
        self._at = {c.key: i for i, c in enumerate(columns) if c.kind in ("answer", "specify")}
        self._group = {c.question.key: i for i, c in enumerate(columns) if c.kind == "nps_group" and c.question}
        self._embedded = {c.key: i for i, c in enumerate(columns) if c.kind == "embedded"}
        self._options = {c.question.key: {o.key: _text(o.text, language, self.default, o.key)
                                          for o in c.question.options}
                         for c in columns if c.question is not None and c.question.options}

    def header_rows(self) -> list[list[Any]]:
        return [
            [_cell(name) for name, _, _ in FIXED] + [_cell(c.name) for c in self.columns],
            [_cell(text) for _, text, _ in FIXED] + [_cell(c.text) for c in self.columns],
            [json.dumps(i, separators=(",", ":")) for _, _, i in FIXED]
            + [json.dumps({"ImportId": c.key or c.name}, ensure_ascii=False, separators=(",", ":"))
               for c in self.columns],
        ]

    def row(self, record: Record) -> list[Any]:
        complete = record.status == "complete"
        contact = record.contact or ("", "", "")
        fixed: list[Any] = [
            _when(record.started_at or record.submitted_at), _when(record.submitted_at), "IP Address",
            100 if complete else "", record.duration if record.duration is not None else "",
            "True" if complete else "False", _when(record.submitted_at), record.id, contact[1], contact[0],
            record.channel, LANGUAGE_CODES.get(record.language, record.language.upper()),
        ]
        cells: list[Any] = [""] * len(self.columns)
        for key, num, choices, text in record.answers:
            if num is not None:
                at = self._at.get(key)
                if at is not None:
                    cells[at] = number(num)
                group = self._group.get(key)
                if group is not None and 0 <= num <= 10:
                    cells[group] = nps_group(num)
            elif choices:
                labels = self._options.get(key, {})
                at = self._at.get(key)
                if at is not None:
                    cells[at] = ",".join(labels.get(c, c) for c in choices)
                if text:
                    at = self._at.get(f"{key}.specify")
                    if at is not None:
                        cells[at] = text
            elif text:
                at = self._at.get(key)
                if at is not None:
                    cells[at] = text
        for key, value in record.embedded.items():
            at = self._embedded.get(key)
            if at is not None:
                cells[at] = value if isinstance(value, str | int | float) else json.dumps(value, ensure_ascii=False)
        return [_cell(v) for v in fixed + cells]

    def chunk(self, records: Iterable[Record]) -> bytes:
        for record in records:
            self._writer.writerow(self.row(record))
            self.rows += 1
        return self._take()

    def finish(self) -> bytes:
        return b""
