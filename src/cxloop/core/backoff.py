"""When to try a webhook delivery again, and whether to. Pure Python (no Django).

The schedule is deterministic (no jitter): after the first failed attempt wait 30 seconds, then double each
time (1 min, 2 min, 4 min, … 4 h 16 min), never more than 6 hours per step, and keep going until the waits add
up to at least 72 hours; then give up. :data:`SCHEDULE` is that list of waits (21 of them, 74 h 31 min 30 s in
all, so 22 attempts), :data:`GIVE_UP_AFTER` their sum.

``attempt`` counts from 1 (the first delivery). :func:`delay` gives the wait after attempt ``n`` failed before
attempt ``n + 1``, or None when attempt ``n`` was the last. A receiver's ``Retry-After`` (seconds, or an HTTP
date) lengthens that one wait, never beyond the 6-hour cap, and never shortens it.

What is retried (:func:`retryable`): no response at all (connection refused or reset, timeout, TLS or DNS
failure), 408 Request Timeout, 425 Too Early, 429 Too Many Requests and every 5xx. Any other 4xx (and a 3xx: a
webhook is never redirected, see ``core.netguard``) is the receiver's final word and is not retried; 2xx is
success.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

FIRST = timedelta(seconds=30)
FACTOR = 2
CAP = timedelta(hours=6)
MINIMUM_SPAN = timedelta(hours=72)
RETRY_STATUSES = frozenset({408, 425, 429})


def _schedule() -> tuple[timedelta, ...]:
    waits: list[timedelta] = []
    step = FIRST
    while sum(waits, timedelta()) < MINIMUM_SPAN:
        waits.append(min(step, CAP))
        step *= FACTOR
    return tuple(waits)


SCHEDULE: tuple[timedelta, ...] = _schedule()
MAX_ATTEMPTS = len(SCHEDULE) + 1
GIVE_UP_AFTER: timedelta = sum(SCHEDULE, timedelta())


def delay(attempt: int, retry_after: float | None = None) -> timedelta | None:
    """The wait after attempt ``attempt`` (1 = the first delivery) failed, or None to give up. ``retry_after``:
    the receiver's ``Retry-After`` in seconds (see :func:`parse_retry_after`); it can lengthen this wait up to
    :data:`CAP`, never shorten it."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    if attempt > len(SCHEDULE):
        return None
    wait = SCHEDULE[attempt - 1]
    if retry_after is not None and retry_after > 0:
        wait = max(wait, min(timedelta(seconds=retry_after), CAP))
    return wait


def next_attempt_at(failed_at: datetime, attempt: int, retry_after: float | None = None) -> datetime | None:
    """When to try again after attempt ``attempt`` failed at ``failed_at``, or None to give up."""
    wait = delay(attempt, retry_after)
    return None if wait is None else failed_at + wait


def retryable(status: int | None, error: str | None = None) -> bool:
    """Whether a failed attempt is worth another: ``status`` is the HTTP status (None when no response came),
    ``error`` what went wrong before one did. A 2xx is success, not something to retry, so False."""
    if status is None:
        return True  # connection error, timeout, DNS: the receiver never answered
    if 200 <= status < 300:
        return False
    return status in RETRY_STATUSES or 500 <= status < 600


def succeeded(status: int | None, error: str | None = None) -> bool:
    """A 2xx response with no transport error."""
    return error is None and status is not None and 200 <= status < 300


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds (``120``) or an HTTP date (``Wed, 21 Oct 2026
    07:28:00 GMT``, counted from the aware ``now``); None when absent, malformed or in the past."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - now).total_seconds()
    return seconds if seconds > 0 else None


def describe(wait: timedelta) -> str:
    """``30 s``, ``4 min``, ``4 h 16 min``: a wait as the documentation's table shows it."""
    seconds = int(wait.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{seconds} s" if seconds else ""]
    return " ".join(part for part in parts if part) or "0 s"
