"""Signing outgoing webhooks: the secret, the event envelope and the ``X-Cxloop-Signature`` header. Pure Python
(no Django); the delivery code in the app signs with :func:`sign`, a receiver checks with :func:`verify` (or the
few lines of stdlib code in ``docs/webhooks.md``, which do the same).

The header (here for the secret ``whsec_test``, the body ``{"id":"evt_1"}`` and 2026-01-01T00:00:00Z)::

    X-Cxloop-Signature: t=1767225600,v1=45b40331de0325606dc5400202ade162460fbe48daf9401adfdcd0d7b4f35470

``t`` is the time of signing in Unix seconds; ``v1`` is the lowercase hex HMAC-SHA256 of ``"<t>.<raw body>"``
(the decimal timestamp, a full stop, then the body's bytes exactly as sent) keyed with the endpoint's secret
(the whole string, ``whsec_`` included, as UTF-8). While a secret is being rotated the header carries one ``v1``
per secret (``t=…,v1=<new>,v1=<old>``); a receiver accepts the body when any of them matches a secret it holds.
Other schemes (``v0=…``, anything unknown) are ignored, so a later ``v2`` can be added beside ``v1``.

The body is the event envelope ``{"id", "type", "created_at", "data"}`` as compact UTF-8 JSON
(:func:`event_body`). Receivers de-duplicate by ``id``: a delivery can arrive more than once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

HEADER = "X-Cxloop-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds either side of the receiver's clock

RESPONSE_CREATED = "response.created"
RESPONSE_COMPLETED = "response.completed"
CASE_OPENED = "case.opened"
CASE_UPDATED = "case.updated"
CASE_RESOLVED = "case.resolved"
ALERT_FIRED = "alert.fired"
EVENT_TYPES = (RESPONSE_CREATED, RESPONSE_COMPLETED, CASE_OPENED, CASE_UPDATED, CASE_RESOLVED, ALERT_FIRED)


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale, or matches no secret; the message says which."""


# --- secrets and signatures ------------------------------------------------------------------------


def new_secret() -> str:
    """A new endpoint secret: ``whsec_`` and 32 random bytes, URL-safe base64 (43 characters)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The lowercase hex HMAC-SHA256 of ``b"<timestamp>." + body`` keyed with the secret (UTF-8)."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str | Sequence[str], body: bytes, timestamp: int) -> str:
    """The ``X-Cxloop-Signature`` value, ``t=<timestamp>,v1=<hex>``. Given several secrets (a rotation: the new
    one first) it carries one ``v1`` per secret, in that order."""
    keys = _secrets(secret)
    if isinstance(timestamp, bool) or int(timestamp) != timestamp or timestamp < 0:
        raise ValueError("timestamp must be a non-negative whole number of seconds")
    parts = [f"t={int(timestamp)}"] + [f"{SCHEME}={signature(key, body, timestamp)}" for key in keys]
    return ",".join(parts)


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])`` from a header value; :class:`SignatureError` when it has no single
    whole-number ``t`` or no ``v1``. Unknown schemes are skipped."""
    if header is None or not header.strip():
        raise SignatureError(f"missing {HEADER} header")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed {HEADER} header: {part.strip()[:20]!r} is not key=value")
        if key == "t":
            timestamps.append(value.strip())
        elif key == SCHEME:
            signatures.append(value.strip().lower())
    if len(timestamps) != 1:
        raise SignatureError(f"malformed {HEADER} header: expected exactly one t=<unix seconds>")
    stamp = timestamps[0]
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        raise SignatureError(f"malformed {HEADER} header: t must be Unix seconds")
    if not signatures:
        raise SignatureError(f"malformed {HEADER} header: no {SCHEME}= signature")
    return int(stamp), signatures


def verify(secret: str | Sequence[str], body: bytes, header: str | None, *, now: int,
           tolerance: int = DEFAULT_TOLERANCE) -> None:
    """Check a delivery: the header parses, one of its ``v1`` values is the signature of ``body`` with one of the
    secrets (compared in constant time), and ``t`` is within ``tolerance`` seconds of ``now`` either way (a
    replayed old delivery is refused). Returns None, or raises :class:`SignatureError` saying why."""
    timestamp, candidates = parse_header(header)
    keys = _secrets(secret)
    expected = [signature(key, body, timestamp).encode("ascii") for key in keys]
    matched = False
    for candidate in candidates:
        given = candidate.encode("utf-8", "replace")
        for wanted in expected:
            # No early exit: every pair is compared, so timing says nothing about which one matched.
            matched |= hmac.compare_digest(given, wanted)
    if not matched:
        raise SignatureError("signature does not match")
    if abs(int(now) - timestamp) > tolerance:
        raise SignatureError(f"timestamp is outside the tolerance of {tolerance} seconds")


def _secrets(secret: str | Sequence[str]) -> tuple[str, ...]:
    keys = (secret,) if isinstance(secret, str) else tuple(secret)
    if not keys or any(not isinstance(key, str) or not key for key in keys):
        raise ValueError("a secret must be a non-empty string")
    return keys


# --- the event envelope ----------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """``2026-03-01T02:30:00Z``: UTC, whole seconds (a naive datetime is taken to be UTC already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_body(event_id: str, type: str, created_at: datetime, data: Mapping[str, Any]) -> bytes:
    """The body of one delivery: ``{"id", "type", "created_at", "data"}`` in that order, compact JSON in UTF-8
    (non-ASCII text as is, not ``\\u`` escapes). ``created_at`` becomes ISO 8601 UTC with ``Z``; inside ``data``
    datetimes do too, dates become ``YYYY-MM-DD``, Decimals and UUIDs strings; NaN and infinities are refused."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}; expected one of {', '.join(EVENT_TYPES)}")
    if not event_id:
        raise ValueError("an event needs an id")
    envelope = {"id": event_id, "type": type, "created_at": iso_utc(created_at), "data": data}
    text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
    return text.encode("utf-8")


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
