"""Behavioural events: what one item of ``POST /api/v1/events`` (or a CSV row, or the widget) must look like.

Pure Python: ``check`` turns one untrusted item into a ``CleanEvent`` or a ``Rejected`` naming the field and the
reason, so a batch stores its good items and reports each bad one. Identity is resolved later (the contact's and
account's external ids need the database); here only their shape is checked.

An item::

    {"event": "task_completed",            # required: 1–100 printable characters
     "timestamp": "2026-11-23T08:00:00Z",  # required: ISO 8601 with a zone (or epoch seconds); not in the future
                                           # beyond the tolerance, not before 2000-01-01
     "contact": "C-1042",                  # the contact's external id, or
     "anonymous_id": "a7f3…",              # an id the client keeps for a person it does not know (one is required)
     "account": "ACME",                    # optional: the account's external id
     "touchpoint": "report_export",        # optional: the touchpoint key (as responses carry)
     "properties": {"task": "export"},     # optional: a JSON object, at most MAX_PROPERTIES_BYTES when serialised
     "id": "evt-0001"}                     # optional: the client's event id; a second item with it is a duplicate

``person_number`` gives every person one integer to group events by: the contact's id (positive) or a stable
negative number derived from the anonymous id, so funnels and retention group by one indexed integer column."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cxloop.core.moments import as_utc

MAX_BATCH = 1000
MAX_NAME = 100
MAX_ID = 200
MAX_TOUCHPOINT = 120
MAX_PROPERTIES_BYTES = 16 * 1024
FUTURE_TOLERANCE = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOUCHPOINT = re.compile(r"^[A-Za-z0-9_\-.:/]*$")


@dataclass(frozen=True, slots=True)
class CleanEvent:
    name: str
    at: datetime
    contact: str  # external id, "" when anonymous
    anonymous_id: str
    account: str  # external id, "" when none
    touchpoint: str
    properties: dict[str, Any] = field(default_factory=dict)
    client_id: str = ""
    properties_json: str = "{}"  # the properties as stored: compact UTF-8 JSON


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    field: str
    reason: str


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    if value.__class__ is str:  # the common case first: a plain, printable string within the limit
        text = value.strip() if value[:1].isspace() or value[-1:].isspace() else value
        if text and len(text) <= limit and text.isprintable():
            return text
    elif value is None:
        if required:
            raise _Bad(name, "is required")
        return ""
    elif isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Bad(name, "must be a string")
    text = str(value).strip()
    if not text:
        if required:
            raise _Bad(name, "is required")
        return ""
    if len(text) > limit:
        raise _Bad(name, f"is longer than {limit} characters")
    if _CONTROL.search(text):
        raise _Bad(name, "contains control characters")
    return text


class _Bad(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = name
        self.reason = reason


def parse_timestamp(value: Any) -> datetime:
    """An aware UTC datetime from ISO 8601 with a zone ("Z" or an offset) or from epoch seconds (a number);
    ValueError with a reason otherwise."""
    if isinstance(value, bool):
        raise ValueError("must be an ISO 8601 date-time with a zone or epoch seconds")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError("must be a finite number of epoch seconds")
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError("is out of range") from exc
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 date-time with a zone or epoch seconds")
    text = value.strip()
    try:
        at = datetime.fromisoformat(text[:-1] + "Z" if text[-1:] == "z" else text)  # reads "Z" (3.11)
    except ValueError as exc:
        raise ValueError("is not an ISO 8601 date-time") from exc
    if at.tzinfo is None:
        raise ValueError("needs a time zone (e.g. 2026-11-23T08:00:00Z or +08:00)")
    return as_utc(at)


def dump_properties(props: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON of an event's properties; ``_Bad`` when they are not plain JSON. orjson writes NaN and
    infinity as ``null``, so a ``null`` in its output is checked again by the json module, which refuses them."""
    try:
        encoded = orjson.dumps(props)
    except (TypeError, ValueError, OverflowError):  # e.g. an integer beyond 64 bits: the json module judges
        encoded = b""
    if not encoded or b"null" in encoded:
        try:
            encoded = json.dumps(props, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise _Bad("properties", "must be plain JSON (no NaN or infinity)") from exc
    return encoded


def check(item: Any, index: int, now: datetime, *, tolerance: timedelta = FUTURE_TOLERANCE) -> CleanEvent | Rejected:
    """Validate one item; the first problem found is the reason."""
    if not isinstance(item, dict):
        return Rejected(index, "", "each event must be a JSON object")
    try:
        name = _text(item.get("event"), "event", MAX_NAME, required=True)
        if "timestamp" not in item or item["timestamp"] in (None, ""):
            raise _Bad("timestamp", "is required")
        try:
            at = parse_timestamp(item["timestamp"])
        except ValueError as exc:
            raise _Bad("timestamp", str(exc)) from exc
        if at > now + tolerance:
            minutes = int(tolerance.total_seconds() // 60)
            raise _Bad("timestamp", f"is in the future (more than {minutes} minutes after the server's clock)")
        if at < EARLIEST:
            raise _Bad("timestamp", "is before 2000-01-01")
        contact = _text(item.get("contact"), "contact", MAX_ID)
        anonymous = _text(item.get("anonymous_id"), "anonymous_id", MAX_ID)
        if not contact and not anonymous:
            raise _Bad("contact", "give the contact's external id or an anonymous_id")
        account = _text(item.get("account"), "account", MAX_ID)
        touchpoint = _text(item.get("touchpoint"), "touchpoint", MAX_TOUCHPOINT)
        if touchpoint and not _TOUCHPOINT.match(touchpoint):
            raise _Bad("touchpoint", "may hold only letters, digits and _ - . : /")
        props = item.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise _Bad("properties", "must be a JSON object")
        encoded = dump_properties(props)
        size = len(encoded)
        if size > MAX_PROPERTIES_BYTES:
            raise _Bad("properties", f"are {size:,} bytes; at most {MAX_PROPERTIES_BYTES:,} are stored per event")
        client_id = _text(item.get("id"), "id", MAX_ID)
    except _Bad as bad:
        return Rejected(index, bad.field, bad.reason)
    return CleanEvent(name, at, contact, anonymous, account, touchpoint, props, client_id, encoded.decode())


def check_batch(items: Any, now: datetime, *, tolerance: timedelta = FUTURE_TOLERANCE) -> list[CleanEvent | Rejected]:
    """Every item of a batch checked, in order (duplicates by client id are the caller's business: they need
    the stored events too)."""
    if not isinstance(items, list):
        raise ValueError("events must be a list")
    if len(items) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} events per request (got {len(items)})")
    return [check(item, i, now, tolerance=tolerance) for i, item in enumerate(items)]


def anonymous_number(org_id: int, anonymous_id: str) -> int:
    """A stable negative 63-bit number for an anonymous id within one organisation."""
    digest = hashlib.blake2b(f"{org_id}:{anonymous_id}".encode(), digest_size=8).digest()
    return -(int.from_bytes(digest, "big") >> 1) - 1


def person_number(org_id: int, contact_id: int | None, anonymous_id: str) -> int:
    return contact_id if contact_id is not None else anonymous_number(org_id, anonymous_id)
