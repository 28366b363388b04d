"""SLA clocks: when a target falls due, how much of it has been used, and whether it is breached.

Two clocks:

* ``CALENDAR``: every real hour counts, day and night. Arithmetic is done in UTC, so a day with a daylight
  saving change is 23 or 25 hours long, as it really is.
* ``BusinessHours``: only real time inside the opening hours counts -- on the listed weekdays (Monday = 0),
  from ``opens`` to ``closes`` local time in ``timezone``, except on ``holidays``, plus the ``extra_workdays``
  (make-up working days such as China's 调休 Saturdays, which count even on a weekend). A clock started outside
  business hours starts at the next opening. Opening hours must not cross midnight.

Every datetime must be timezone-aware; results are given in the timezone of the ``start`` (or ``now``)
argument. Durations are ``timedelta``; ``elapsed`` and ``remaining`` are signed.

Pure Python: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OK = "ok"
DUE_SOON = "due_soon"
BREACHED = "breached"
DEFAULT_WARN_FRACTION = 0.25
MAX_CLOSED_DAYS = 3_660  # a business-hours clock that finds no open day in ten years is misconfigured
MAX_HOURS = 100_000.0


@dataclass(frozen=True)
class CalendarClock:
    """Every hour counts."""


CALENDAR = CalendarClock()


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours in one timezone (an IANA name such as "Asia/Shanghai")."""

    timezone: str
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        if not self.weekdays and not self.extra_workdays:
            raise ValueError("business hours need at least one working weekday")
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are numbers from 0 (Monday) to 6 (Sunday)")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening and closing times are local times without a timezone")
        if not self.opens < self.closes:
            raise ValueError("business hours must close after they open on the same day")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening hours of a local date as UTC instants, None on a day off."""
        if not self.is_workday(day):
            return None
        zone = self.zone
        start = datetime.combine(day, self.opens, zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, zone).astimezone(UTC)
        return (start, end) if end > start else None  # (a window lost entirely in a DST gap)

    def windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening windows (UTC) that end after ``instant``, in order; raises when none comes for years."""
        day = instant.astimezone(self.zone).date()
        idle = 0
        while True:
            window = self.window(day)
            if window is not None and window[1] > instant:
                idle = 0
                yield window
            else:
                idle += 1
                if idle > MAX_CLOSED_DAYS:
                    raise ValueError("business hours are never open: every day is a holiday or off")
            day += timedelta(days=1)


Clock: TypeAlias = CalendarClock | BusinessHours


def clock_for(kind: str, business_hours: BusinessHours | None) -> Clock:
    """The clock a rule's ``sla.clock`` names ("calendar" or "business") for an organisation's hours."""
    if kind == "calendar":
        return CALENDAR
    if kind == "business":
        if business_hours is None:
            raise ValueError("a business-hours clock needs the organisation's business hours")
        return business_hours
    raise ValueError(f"unknown clock {kind!r} (clocks: calendar, business)")


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _zone_of(value: datetime) -> tzinfo:
    assert value.tzinfo is not None
    return value.tzinfo


def due_at(start: datetime, hours: float, clock: Clock) -> datetime:
    """When ``hours`` of ``clock`` time after ``start`` run out (in ``start``'s timezone).

    On business hours a due time that falls exactly on a closing time stays there (18:00, not the next 09:00);
    zero hours from outside the opening hours is the next opening.
    """
    begin = _aware("start", start)
    if isinstance(hours, bool) or not (
        isinstance(hours, int | float) and math.isfinite(hours) and 0 <= hours <= MAX_HOURS
    ):
        raise ValueError(f"hours must be a number from 0 to {MAX_HOURS:,.0f}, not {hours!r}")
    left = timedelta(hours=hours)
    if isinstance(clock, CalendarClock):
        return (begin + left).astimezone(_zone_of(start))
    for opens, closes in clock.windows_from(begin):
        since = max(opens, begin)
        available = closes - since
        if left <= available:
            return (since + left).astimezone(_zone_of(start))
        left -= available
    raise AssertionError("unreachable")  # pragma: no cover - windows_from never ends or raises


def _business_between(start: datetime, end: datetime, hours: BusinessHours) -> timedelta:
    total = timedelta(0)
    for opens, closes in hours.windows_from(start):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return total


def elapsed(start: datetime, end: datetime, clock: Clock) -> timedelta:
    """``clock`` time from ``start`` to ``end``; negative when ``end`` comes first."""
    a, b = _aware("start", start), _aware("end", end)
    if isinstance(clock, CalendarClock):
        return b - a
    if b < a:
        return -_business_between(b, a, clock)
    return _business_between(a, b, clock)


def remaining(due: datetime, now: datetime, clock: Clock) -> timedelta:
    """``clock`` time left until ``due``; negative (the time overdue) once it has passed."""
    return elapsed(now, due, clock)


def status(
    due: datetime,
    now: datetime,
    *,
    start: datetime,
    clock: Clock,
    warn_fraction: float = DEFAULT_WARN_FRACTION,
) -> str:
    """ "breached" after ``due``; "due_soon" when at most ``warn_fraction`` of the target (``start`` to ``due``
    in ``clock`` time) is left; "ok" before that.

    ``due`` itself is still in time. For a stopped clock (first contact made, case resolved) pass the moment
    it stopped as ``now``: "breached" then means the target was missed.
    """
    if not 0 <= warn_fraction <= 1:
        raise ValueError(f"warn_fraction must be from 0 to 1, not {warn_fraction!r}")
    if _aware("now", now) > _aware("due", due):
        return BREACHED
    left = remaining(due, now, clock)
    whole = elapsed(start, due, clock)
    return DUE_SOON if left <= whole * warn_fraction else OK


def holidays_between(days: Iterable[tuple[date, date]]) -> frozenset[date]:
    """Every date of the inclusive ranges given, e.g. ``[(date(2024, 10, 1), date(2024, 10, 7))]``."""
    out: set[date] = set()
    for first, last in days:
        if last < first:
            raise ValueError(f"holiday range ends ({last}) before it starts ({first})")
        out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(out)
