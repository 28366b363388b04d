"""Response exports: the columns, one row per response, formula neutralisation, and the CSV / JSON Lines /
XLSX encoders. Pure Python (no Django): ``cxloop.exports`` reads the database and feeds :class:`Record` s in.

Columns (CSV and XLSX; the names are those ``surveys.importer`` reads, so an export imports again):

``response_id, submitted_at, status, survey_version, channel, touchpoint, language, contact_external_id,
contact_email, contact_name, account_external_id, account_name``, then ``embedded.<key>`` for every embedded
field found in the exported responses (sorted), then one column per answer key in survey order: a question
key (``nps``), an item (``sus.q1``) and ``<question>.specify`` for an "Other, please specify" text.
``submitted_at`` is ISO 8601 in UTC (``2026-03-01T02:30:00Z``); numbers are numbers (``9``, not ``9.0``);
several choices are option keys joined with ``|``.

Row count: a complete CSV ends with the line ``# end of export: N rows``; a complete JSON Lines file with
``{"_export": {"rows": N, "complete": true, ...}}``; an XLSX workbook has a sheet ``export`` stating the rows.
A file without that last line (or sheet) was cut off.

Formula injection (OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection): a text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a
spreadsheet shows it as text and never evaluates it. Numbers are numbers and are left alone (``-3`` stays a
number); JSON Lines is not for spreadsheets and carries the values unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from cxloop.core.survey_model import SurveySpec

FORMATS = ("csv", "xlsx", "jsonl", "qualtrics")  # qualtrics: core.interop.qualtrics_export
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "qualtrics": "text/csv; charset=utf-8",
    "jsonl": "application/jsonl; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FIXED_COLUMNS = ("response_id", "submitted_at", "status", "survey_version", "channel", "touchpoint", "language",
                 "contact_external_id", "contact_email", "contact_name", "account_external_id", "account_name")
CHOICE_SEPARATOR = "|"
TRIGGERS = frozenset("=+-@\t\r")
_FIRST = TRIGGERS | {"'"}
BOM = "\ufeff"
TRAILER_PREFIX = "# end of export: "
XLSX_MAX_ROWS = 1_048_576  # rows per worksheet, the header included
XLSX_MAX_TEXT = 32_767  # characters per cell

Cell = str | int | float | None


# --- neutralisation --------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """The text as a spreadsheet cell that is never a formula (OWASP): a leading ``= + - @``, tab or carriage
    return gets an apostrophe in front. Text that starts with apostrophes before such a character gets one
    more, so :func:`restore` can undo it exactly."""
    if text and (text[0] in TRIGGERS or (text[0] == "'" and text.lstrip("'")[:1] in TRIGGERS)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given (what the importer does with a cell from an export)."""
    if text[:1] == "'" and text.lstrip("'")[:1] in TRIGGERS:
        return text[1:]
    return text


# --- what one response looks like ------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """One response as read from the database. ``answers``: (key, number, choices, text) per answer row."""

    id: int
    submitted_at: datetime | str  # an aware datetime, or already ISO text
    status: str
    version: int | None = None
    channel: str = ""
    touchpoint: str = ""
    language: str = ""
    contact: tuple[str, str, str] | None = None  # external id, e-mail, name
    account: tuple[str, str] | None = None  # external id, name
    embedded: Mapping[str, Any] = field(default_factory=dict)
    answers: Sequence[tuple[str, float | None, Sequence[str], str]] = field(default_factory=list)
    started_at: datetime | str | None = None  # read for the Qualtrics layout only
    duration: int | None = None


def iso_utc(moment: datetime | str) -> str:
    """``2026-03-01T02:30:00Z``: seconds, UTC (a naive datetime is taken to be UTC already, as Django keeps
    times in SQLite; text is taken to be this format already)."""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def number(value: float) -> int | float:
    """A whole number as an int (scores are stored as floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def answer_columns(spec: SurveySpec) -> list[str]:
    """The answer columns of one definition, in survey order."""
    columns: list[str] = []
    for question in spec.questions():
        if question.items:
            columns += [f"{question.key}.{item.key}" for item in question.items]
        else:
            columns.append(question.key)
        if any(option.specify for option in question.options):
            columns.append(f"{question.key}.specify")
    return columns


def merge_columns(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Columns of several versions, newest first: the first group's order, then what later ones add."""
    seen: dict[str, None] = {}
    for group in groups:
        for column in group:
            seen.setdefault(column, None)
    return tuple(seen)


@dataclass(frozen=True)
class Layout:
    """The columns of one export."""

    embedded: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()

    def header(self) -> list[str]:
        return [*FIXED_COLUMNS, *(f"embedded.{key}" for key in self.embedded), *self.answers]

    def positions(self) -> tuple[dict[str, int], dict[str, int]]:
        start = len(FIXED_COLUMNS)
        embedded = {key: start + i for i, key in enumerate(self.embedded)}
        start += len(self.embedded)
        return embedded, {key: start + i for i, key in enumerate(self.answers)}


def _scalar(value: Any) -> Cell:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class RowShaper:
    """Turns :class:`Record` s into rows of cells for one :class:`Layout` (text neutralised)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.width = len(layout.header())
        self._embedded, self._answers = layout.positions()
        self._blank: list[Cell] = [None] * (self.width - len(FIXED_COLUMNS))

    def header(self) -> list[str]:
        return [neutralise(name) for name in self.layout.header()]

    def row(self, record: Record) -> list[Cell]:
        first = _FIRST  # a cell needs neutralise() only if it starts with one of these (the common case: no)
        contact = record.contact or ("", "", "")
        account = record.account or ("", "")
        row: list[Cell] = [record.id, iso_utc(record.submitted_at), record.status, record.version]
        for text in (record.channel, record.touchpoint, record.language, *contact, *account):
            row.append(neutralise(text) if text and text[0] in first else text)
        row += self._blank
        for key, value in record.embedded.items():
            at = self._embedded.get(key)
            if at is not None:
                if not isinstance(value, str):
                    value = _scalar(value)
                row[at] = neutralise(value) if isinstance(value, str) and value and value[0] in first else value
        answers = self._answers
        for key, num, choices, text in record.answers:
            if num is not None:
                at = answers.get(key)
                if at is not None:
                    row[at] = int(num) if type(num) is float and num.is_integer() else num
            elif choices:
                at = answers.get(key)
                if at is not None:
                    joined = CHOICE_SEPARATOR.join(choices)
                    row[at] = neutralise(joined) if joined[0] in first else joined
                if text:
                    at = answers.get(f"{key}.specify")
                    if at is not None:
                        row[at] = neutralise(text) if text[0] in first else text
            elif text:
                at = answers.get(key)
                if at is not None:
                    row[at] = neutralise(text) if text[0] in first else text
        return row


def json_object(record: Record) -> dict[str, Any]:
    """One response for JSON Lines: values as stored (numbers, lists of option keys, text), not neutralised."""
    answers: dict[str, Any] = {}
    for key, num, choices, text in record.answers:
        if num is not None:
            answers[key] = number(num)
        elif choices:
            answers[key] = list(choices)
            if text:
                answers[f"{key}.specify"] = text
        else:
            answers[key] = text
    contact = record.contact
    account = record.account
    return {
        "response_id": record.id, "submitted_at": iso_utc(record.submitted_at), "status": record.status,
        "survey_version": record.version, "channel": record.channel, "touchpoint": record.touchpoint,
        "language": record.language,
        "contact": {"external_id": contact[0], "email": contact[1], "name": contact[2]} if contact else None,
        "account": {"external_id": account[0], "name": account[1]} if account else None,
        "embedded": dict(record.embedded), "answers": answers,
    }


# --- encoders --------------------------------------------------------------------------------------


def csv_trailer(rows: int) -> str:
    return f"{TRAILER_PREFIX}{rows} rows"


def jsonl_trailer(rows: int, **about: Any) -> dict[str, Any]:
    return {"_export": {"rows": rows, "complete": True, **about}}


def read_csv_trailer(last_line: str) -> int | None:
    """The row count a complete CSV states on its last line, or None (the file was cut off)."""
    line = last_line.strip().strip('"')
    if line.startswith(TRAILER_PREFIX) and line.endswith(" rows"):
        count = line[len(TRAILER_PREFIX):-len(" rows")]
        if count.isdigit():
            return int(count)
    return None


class CsvBuffer:
    """Rows written as CSV text, RFC 4180 (comma, CRLF, quotes where needed), taken as UTF-8 bytes chunk by chunk;
    ``start`` writes the BOM (when asked) and the header rows."""

    def __init__(self, *, bom: bool = False) -> None:
        self.bom = bom
        self.rows = 0
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def _take(self) -> bytes:
        data = self._buffer.getvalue().encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        return data

    def header_rows(self) -> list[list[Any]]:
        raise NotImplementedError

    def start(self) -> bytes:
        if self.bom:
            self._buffer.write(BOM)
        self._writer.writerows(self.header_rows())
        return self._take()


class CsvEncoder(CsvBuffer):
    """cxloop's CSV export: one header row, one row per response, the trailer line."""

    def __init__(self, layout: Layout, *, bom: bool = False, trailer: bool = True) -> None:
        super().__init__(bom=bom)
        self.shaper = RowShaper(layout)
        self.trailer = trailer

    def header_rows(self) -> list[list[Any]]:
        return [list(self.shaper.header())]

    def chunk(self, records: Iterable[Record]) -> bytes:
        row = self.shaper.row
        writerow = self._writer.writerow
        for record in records:
            writerow(row(record))
            self.rows += 1
        return self._take()

    def finish(self) -> bytes:
        if self.trailer:
            self._writer.writerow([csv_trailer(self.rows)])
        return self._take()


class JsonlEncoder:
    """One JSON object per line (UTF-8, no BOM), the trailer object last."""

    def __init__(self, *, trailer: bool = True, about: Mapping[str, Any] | None = None) -> None:
        self.trailer = trailer
        self.about = dict(about or {})
        self.rows = 0

    def start(self) -> bytes:
        return b""

    def chunk(self, records: Iterable[Record]) -> bytes:
        lines = []
        dumps = json.dumps
        for record in records:
            lines.append(dumps(json_object(record), ensure_ascii=False, separators=(",", ":")))
            self.rows += 1
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def finish(self) -> bytes:
        if not self.trailer:
            return b""
        line = json.dumps(jsonl_trailer(self.rows, **self.about), ensure_ascii=False, separators=(",", ":"))
        return (line + "\n").encode("utf-8")


def encode(fmt: str, layout: Layout, chunks: Iterable[Iterable[Record]], *, bom: bool = False,
           trailer: bool = True, about: Mapping[str, Any] | None = None, spec: SurveySpec | None = None,
           language: str = "") -> Iterator[bytes]:
    """The bytes of a CSV, JSON Lines or Qualtrics-like CSV export (``spec``: the survey's newest definition, for
    its texts; ``language``: theirs), a piece per chunk of records."""
    encoder: CsvEncoder | JsonlEncoder | Any
    if fmt == "qualtrics":
        from cxloop.core.interop import qualtrics_export

        if spec is None:
            raise ValueError("the Qualtrics layout needs the survey's definition")
        lang = language or spec.default_language
        encoder = qualtrics_export.QualtricsCsvEncoder(
            spec, qualtrics_export.columns(spec, layout.answers, layout.embedded, lang), language=lang, bom=bom)
    elif fmt == "csv":
        encoder = CsvEncoder(layout, bom=bom, trailer=trailer)
    elif fmt == "jsonl":
        encoder = JsonlEncoder(trailer=trailer, about=about)
    else:
        raise ValueError(f"{fmt!r} is not streamed; use write_xlsx")
    first = encoder.start()
    if first:
        yield first
    for records in chunks:
        data = encoder.chunk(records)
        if data:
            yield data
    last = encoder.finish()
    if last:
        yield last


def write_xlsx(target: str | IO[bytes], layout: Layout, chunks: Iterable[Iterable[Record]], *,
               about: Mapping[str, Any] | None = None, tmpdir: str | None = None) -> int:
    """Write an XLSX workbook with xlsxwriter in constant-memory mode (one row in memory at a time): sheet
    ``responses`` (continued in ``responses 2``… past Excel's 1,048,576 rows), every text written as a string
    (never a formula, URL or number), then the sheet ``export`` with the row count. Returns the rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "tmpdir": tmpdir,
    })
    shaper = RowShaper(layout)
    header = shaper.header()
    bold = workbook.add_format({"bold": True})
    sheets: list[str] = []

    def new_sheet() -> Any:
        name = "responses" if not sheets else f"responses {len(sheets) + 1}"
        sheets.append(name)
        sheet = workbook.add_worksheet(name)
        for col, title in enumerate(header):
            sheet.write_string(0, col, title, bold)
        sheet.freeze_panes(1, 1)
        return sheet

    sheet = new_sheet()
    line = 1
    rows = 0
    for records in chunks:
        for record in records:
            if line >= XLSX_MAX_ROWS:
                sheet = new_sheet()
                line = 1
            write_string, write_number = sheet.write_string, sheet.write_number
            for col, value in enumerate(shaper.row(record)):
                if value is None:
                    continue
                if isinstance(value, str):
                    if value:
                        write_string(line, col, value[:XLSX_MAX_TEXT])
                else:
                    write_number(line, col, value)
            line += 1
            rows += 1
    info = workbook.add_worksheet("export")
    facts: list[tuple[str, Cell]] = [("rows", rows), ("complete", "true"), ("sheets", ", ".join(sheets))]
    facts += [(str(k), _scalar(v)) for k, v in (about or {}).items()]
    for at, (key, value) in enumerate(facts):
        info.write_string(at, 0, neutralise(key), bold)
        if isinstance(value, str):
            info.write_string(at, 1, neutralise(value))
        elif value is not None:
            info.write_number(at, 1, value)
    workbook.close()
    return rows
