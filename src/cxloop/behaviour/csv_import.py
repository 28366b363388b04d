"""CSV import of historical events (orders, renewals, tickets, page views from another tool).

Columns (the header row names them; order free, names case-sensitive):

* ``event`` (required), ``timestamp`` (required: ISO 8601 with a zone, or epoch seconds), ``contact`` (the
  contact's external id) and/or ``anonymous_id`` (one of the two per row), ``account`` (the account's external
  id), ``touchpoint``, ``id`` (the event's own id: a row whose id is already stored is a duplicate, so importing
  the same file twice stores it once);
* ``prop.<name>``: one property per column; a cell that is a plain JSON number (``12``, ``-3.5``, not ``007``)
  or ``true`` / ``false`` is stored as that, anything else as text, an empty cell not at all;
* or ``properties``: a JSON object (``prop.<name>`` cells are added to it and win).

Every row is checked exactly as ``POST /api/v1/events`` checks an item (``core.events.check`` via
``behaviour.ingest.ingest``, in batches of 1,000): good rows are stored, each bad row is reported with its row
number (the header is row 1), the field and the reason. A problem with the file itself (not UTF-8, no header, an
unknown or repeated column, no ``event`` / ``timestamp`` / identity column) stops the import before any row is
stored. The file is read as a stream (UTF-8, with or without a byte-order mark), one batch in memory at a time.

``check`` (``dry_run=True``) reads the whole file and reports what an import would do without storing anything:
the same rejections, and the rows whose contact or account is unknown or whose id is already stored."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from cxloop.behaviour import ingest
from cxloop.behaviour.models import Event, EventSource
from cxloop.core import events as core
from cxloop.customers.models import Account, Contact
from cxloop.orgs.models import Organization
from cxloop.orgs.services import ServiceError

COLUMNS = ("event", "timestamp", "contact", "anonymous_id", "account", "touchpoint", "id", "properties")
PROP = "prop."
BATCH = core.MAX_BATCH
PREVIEW_ROWS = 20
MAX_ERRORS = 200  # errors kept for the report (all are counted)
MAX_CELL = 64 * 1024
_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$")
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


class ImportFileError(ServiceError):
    """The file cannot be read as an event CSV; nothing was stored."""


@dataclass(frozen=True)
class RowError:
    row: int  # the header is row 1
    field: str
    reason: str


@dataclass
class Report:
    columns: list[str] = field(default_factory=list)
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS
    sample: list[dict[str, str]] = field(default_factory=list)  # the first PREVIEW_ROWS rows as read
    names: Counter[str] = field(default_factory=Counter)  # rows per event name (of the good rows)
    dry_run: bool = False

    def reject(self, row: int, field_name: str, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, field_name, reason))

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "stored": self.stored, "duplicates": self.duplicates, "rejected": self.rejected,
                "dry_run": self.dry_run,
                "errors": [{"row": e.row, "field": e.field, "reason": e.reason} for e in self.errors]}


# --- reading ---------------------------------------------------------------------------------------------------


def _lines(stream: IO[bytes] | Iterable[bytes]) -> Iterator[str]:
    """The file's text line by line (UTF-8; a leading byte-order mark dropped), decoded incrementally."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    chunks: Iterable[bytes]
    if hasattr(stream, "read"):
        reader = stream
        chunks = iter(lambda: reader.read(64 * 1024), b"")
    else:
        chunks = stream
    pending = ""
    line = 1
    for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"file: not UTF-8 text (near line {line + pending.count(chr(10))}); save it as "
                                  "CSV UTF-8", field="file") from exc
        pending += text
        *whole, pending = pending.split("\n")
        for part in whole:
            line += 1
            yield part + "\n"
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ImportFileError("file: not UTF-8 text at its end; save it as CSV UTF-8", field="file") from exc
    if pending:
        yield pending


def _columns(header: list[str]) -> list[str]:
    columns = [c.strip() for c in header]
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise ImportFileError("header: a column has no name", field="header")
        if name in seen:
            raise ImportFileError(f"header: the column {name!r} appears twice", field=name)
        seen.add(name)
        if name.startswith(PROP):
            if not name[len(PROP):]:
                raise ImportFileError("header: prop. needs a property name (prop.amount)", field=name)
            continue
        if name not in COLUMNS:
            raise ImportFileError(f"header: unknown column {name!r} (columns: {', '.join(COLUMNS)}, or prop.NAME "
                                  "for a property)", field=name)
    for required in ("event", "timestamp"):
        if required not in seen:
            raise ImportFileError(f"header: the column {required!r} is required", field=required)
    if "contact" not in seen and "anonymous_id" not in seen:
        raise ImportFileError("header: give a 'contact' or an 'anonymous_id' column (or both)", field="contact")
    return columns


def cell_value(text: str) -> Any:
    """A ``prop.`` cell: a plain JSON number or boolean as such, other text as text."""
    if _NUMBER.match(text):
        number = float(text)
        return int(text) if re.fullmatch(r"-?\d+", text) else number
    if text in ("true", "false"):
        return text == "true"
    return text


class _Bad(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def to_item(row: dict[str, str]) -> dict[str, Any]:
    """The API item of one CSV row (``_Bad`` for a cell that cannot become one)."""
    item: dict[str, Any] = {}
    for name in ("event", "contact", "anonymous_id", "account", "touchpoint", "id"):
        value = (row.get(name) or "").strip()
        if value:
            item[name] = value
    stamp = (row.get("timestamp") or "").strip()
    if stamp:
        item["timestamp"] = float(stamp) if _EPOCH.match(stamp) else stamp
    props: dict[str, Any] = {}
    raw = (row.get("properties") or "").strip()
    if raw:
        try:
            props = json.loads(raw)
        except ValueError as exc:
            raise _Bad("properties", "is not valid JSON (an object like {\"plan\": \"pro\"})") from exc
        if not isinstance(props, dict):
            raise _Bad("properties", "must be a JSON object")
    for name, value in row.items():
        if name.startswith(PROP) and value is not None and value.strip() != "":
            props[name[len(PROP):]] = cell_value(value.strip())
    if props:
        item["properties"] = props
    return item


def _records(stream: IO[bytes] | Iterable[bytes]) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    reader = csv.reader(_lines(stream))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("file: empty; the first row must name the columns", field="file") from None
    except csv.Error as exc:
        raise ImportFileError(f"header: {exc}", field="header") from None
    columns = _columns(header)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(f"row {number + 1}: {exc}", field="file") from None
            number += 1
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > len(columns):
                yield number, {"\x00extra": ",".join(cells[len(columns):])}
                continue
            yield number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}

    return columns, rows()


# --- checking and storing ---------------------------------------------------------------------------------------


def _unknown(org: Organization, model: type[Contact] | type[Account], ids: set[str]) -> set[str]:
    found: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), 500):
        found.update(model.objects.filter(org=org, external_id__in=listed[start:start + 500])
                     .values_list("external_id", flat=True))
    return ids - found


def _dry(org: Organization, items: list[dict[str, Any]], numbers: list[int], report: Report, now: datetime,
         seen_ids: set[str]) -> None:
    """What ``ingest`` would do with a batch, without storing it."""
    checked = core.check_batch(items, now)
    clean = [(n, e) for n, e in zip(numbers, checked, strict=True) if not isinstance(e, core.Rejected)]
    for n, e in zip(numbers, checked, strict=True):
        if isinstance(e, core.Rejected):
            report.reject(n, e.field, e.reason)
    contacts = _unknown(org, Contact, {e.contact for _n, e in clean if e.contact})
    accounts = _unknown(org, Account, {e.account for _n, e in clean if e.account})
    ids = sorted({e.client_id for _n, e in clean if e.client_id})
    stored_ids: set[str] = set()
    for start in range(0, len(ids), 500):
        stored_ids.update(Event.objects.filter(org=org, client_id__in=ids[start:start + 500])
                          .values_list("client_id", flat=True))
    for n, e in clean:
        if e.contact in contacts and not e.anonymous_id:
            report.reject(n, "contact", "no contact has this external id (send an anonymous_id for people you do "
                                        "not know yet)")
        elif e.account in accounts:
            report.reject(n, "account", "no account has this external id")
        elif e.client_id and (e.client_id in stored_ids or e.client_id in seen_ids):
            report.duplicates += 1
        else:
            if e.client_id:
                seen_ids.add(e.client_id)
            report.stored += 1
            report.names[e.name] += 1


def _store(org: Organization, items: list[dict[str, Any]], numbers: list[int], report: Report,
           now: datetime) -> None:
    result = ingest.ingest(org, items, source=EventSource.IMPORT, now=now)
    for n, item, outcome in zip(numbers, items, result.items, strict=True):
        if outcome.status == ingest.STORED:
            report.stored += 1
            report.names[str(item.get("event", ""))] += 1
        elif outcome.status == ingest.DUPLICATE:
            report.duplicates += 1
        else:
            report.reject(n, outcome.field, outcome.reason)


def import_events(org: Organization, stream: IO[bytes] | Iterable[bytes], *, dry_run: bool = False,
                  now: datetime | None = None, preview_rows: int = PREVIEW_ROWS) -> Report:
    """Read the CSV and store its good rows (or, with ``dry_run``, only check them); ``ImportFileError`` when the
    file itself is wrong (then nothing is stored)."""
    now = now or timezone.now()
    columns, rows = _records(stream)
    report = Report(columns=columns, dry_run=dry_run)
    items: list[dict[str, Any]] = []
    numbers: list[int] = []
    seen_ids: set[str] = set()

    def flush() -> None:
        if items:
            if dry_run:
                _dry(org, items, numbers, report, now, seen_ids)
            else:
                _store(org, items, numbers, report, now)
            items.clear()
            numbers.clear()

    for number, row in rows:
        report.rows += 1
        if "\x00extra" in row:
            report.reject(number, "", f"more cells than the header has columns ({len(columns)})")
            continue
        if len(report.sample) < preview_rows:
            report.sample.append(row)
        if any(len(v) > MAX_CELL for v in row.values()):
            report.reject(number, "", f"a cell is longer than {MAX_CELL // 1024} KB")
            continue
        try:
            items.append(to_item(row))
        except _Bad as bad:
            report.reject(number, bad.field, bad.reason)
            continue
        numbers.append(number)
        if len(items) >= BATCH:
            flush()
    flush()
    report.errors.sort(key=lambda e: e.row)
    return report


def check(org: Organization, stream: IO[bytes] | Iterable[bytes], *, now: datetime | None = None) -> Report:
    return import_events(org, stream, dry_run=True, now=now)


def read_text(text: str) -> io.BytesIO:
    """A CSV given as text, as the byte stream ``import_events`` reads."""
    return io.BytesIO(text.encode())


# --- an upload kept between the preview and the import (the web page) ------------------------------------------

UPLOAD_MAX_BYTES = 50 * 1024 * 1024
UPLOAD_KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _upload_dir() -> Path:
    return Path(settings.CXLOOP_DATA_DIR) / "uploads" / "events"


def _upload_path(org: Organization, token: str) -> Path:
    if not _TOKEN.match(token or ""):
        raise ImportFileError("file: the checked file is no longer here; choose it again", field="file")
    return _upload_dir() / f"{org.pk}-{token}.csv"


def save_upload(org: Organization, chunks: Iterable[bytes]) -> str:
    """Keep an uploaded file for the import that follows its preview; returns its token. Files older than a day
    are removed on the way."""
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_KEEP_SECONDS
    for old in folder.glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(18)
    path = _upload_path(org, token)
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > UPLOAD_MAX_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise ImportFileError(f"file: larger than {UPLOAD_MAX_BYTES // (1024 * 1024)} MB; import it with "
                                      "'cxloop events import' or split it", field="file")
            out.write(chunk)
    return token


def open_upload(org: Organization, token: str) -> IO[bytes]:
    path = _upload_path(org, token)
    try:
        return path.open("rb")
    except OSError:
        raise ImportFileError("file: the checked file is no longer here; choose it again", field="file") from None


def discard_upload(org: Organization, token: str) -> None:
    with contextlib.suppress(ImportFileError, OSError):
        _upload_path(org, token).unlink(missing_ok=True)
