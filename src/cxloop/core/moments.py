"""Moments in time as the database stores them: aware datetimes are moved to UTC before they are kept or
compared. Python accepts zone offsets up to ±23:59 and PostgreSQL only up to ±15:59, so a moment written as
``…-22:33`` would otherwise fail in the database (a 500) instead of being read as the same instant in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC when it carries a zone (naive values are returned unchanged: their zone is the caller's
    decision). ValueError when the instant lies outside the years 1–9999 once in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("is out of range (years 1–9999 in UTC)") from exc


def check_day(value: date) -> date:
    """``value`` when it lies in 1900–2999 (a read's range or a filter): earlier or later days are no one's data,
    and ranges reaching them overflow Python's dates once widened (the period before, the months around).
    ValueError otherwise."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return value
