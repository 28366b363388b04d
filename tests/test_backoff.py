"""The webhook retry schedule (``core.backoff``): doubling from 30 s, capped at 6 h a step, at least 72 h in
all; what is retried; Retry-After."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cxloop.core import backoff


def test_schedule_values() -> None:
    minutes = [wait.total_seconds() / 60 for wait in backoff.SCHEDULE]
    assert minutes == [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256] + [360] * 11
    assert backoff.MAX_ATTEMPTS == 22


def test_schedule_covers_72_hours_and_no_more_than_needed() -> None:
    total = sum(backoff.SCHEDULE, timedelta())
    assert total == backoff.GIVE_UP_AFTER == timedelta(hours=74, minutes=31, seconds=30)
    assert total >= timedelta(hours=72)
    # Without its last step the schedule would stop short of 72 hours.
    assert total - backoff.SCHEDULE[-1] < timedelta(hours=72)


def test_schedule_is_monotonic_and_capped() -> None:
    waits = backoff.SCHEDULE
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert max(waits) == timedelta(hours=6)


def test_delay_by_attempt_and_give_up() -> None:
    assert backoff.delay(1) == timedelta(seconds=30)
    assert backoff.delay(2) == timedelta(minutes=1)
    assert backoff.delay(10) == timedelta(hours=4, minutes=16)
    assert backoff.delay(11) == timedelta(hours=6)
    assert backoff.delay(21) == timedelta(hours=6)
    assert backoff.delay(22) is None
    assert backoff.delay(100) is None
    with pytest.raises(ValueError):
        backoff.delay(0)


def test_retry_after_lengthens_never_shortens_and_is_capped() -> None:
    assert backoff.delay(1, retry_after=120) == timedelta(minutes=2)
    assert backoff.delay(5, retry_after=10) == timedelta(minutes=8)
    assert backoff.delay(1, retry_after=10 * 24 * 3600) == timedelta(hours=6)
    assert backoff.delay(22, retry_after=60) is None


def test_next_attempt_at() -> None:
    failed = datetime(2026, 1, 1, tzinfo=UTC)
    assert backoff.next_attempt_at(failed, 3) == datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
    assert backoff.next_attempt_at(failed, 22) is None


@pytest.mark.parametrize(("status", "error", "expected"), [
    (None, "connection refused", True),
    (None, "timeout", True),
    (408, None, True), (425, None, True), (429, None, True),
    (500, None, True), (502, None, True), (503, None, True), (599, None, True),
    (400, None, False), (401, None, False), (403, None, False), (404, None, False), (410, None, False),
    (422, None, False), (301, None, False),
    (200, None, False), (204, None, False),
])
def test_retryable(status: int | None, error: str | None, expected: bool) -> None:
    assert backoff.retryable(status, error) is expected


def test_succeeded() -> None:
    assert backoff.succeeded(200)
    assert backoff.succeeded(204)
    assert not backoff.succeeded(200, "body read timed out")
    assert not backoff.succeeded(None, "refused")
    assert not backoff.succeeded(302)


def test_parse_retry_after() -> None:
    now = datetime(2026, 10, 21, 7, 0, tzinfo=UTC)
    assert backoff.parse_retry_after("120", now=now) == 120
    assert backoff.parse_retry_after(" 5 ", now=now) == 5
    assert backoff.parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now=now) == 28 * 60
    assert backoff.parse_retry_after("Wed, 21 Oct 2026 06:00:00 GMT", now=now) is None  # past
    assert backoff.parse_retry_after("soon", now=now) is None
    assert backoff.parse_retry_after("-3", now=now) is None
    assert backoff.parse_retry_after(None, now=now) is None


def test_describe() -> None:
    assert [backoff.describe(w) for w in backoff.SCHEDULE[:3]] == ["30 s", "1 min", "2 min"]
    assert backoff.describe(timedelta(hours=4, minutes=16)) == "4 h 16 min"
    assert backoff.describe(backoff.GIVE_UP_AFTER) == "74 h 31 min 30 s"


def test_the_documented_table_matches_the_schedule() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "webhooks.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \|$", doc, flags=re.M)
    assert rows[0] == ("1", "—", "0")
    elapsed = timedelta()
    for attempt, ((number, wait, since), step) in enumerate(zip(rows[1:], backoff.SCHEDULE, strict=True), 2):
        elapsed += step
        assert int(number) == attempt
        assert wait == backoff.describe(step)
        assert since == backoff.describe(elapsed)
    assert len(rows) == backoff.MAX_ATTEMPTS
