"""Moments in time as the database stores them: aware datetimes are moved to UTC before they are kept or
compared. Python accepts zone offsets up to ±23:59 and PostgreSQL only up to ±15:59, so a moment written as
``…-22:33`` would otherwise fail in the database (a 500) instead of being read as the same instant in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC when it carries a zone (naive values are returned unchanged: their zone is the caller's
    decision). ValueError when the instant lies outside the years 1–9999 once in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("is out of range (years 1–9999 in UTC)") from exc
