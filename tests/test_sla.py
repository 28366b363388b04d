"""core.sla: calendar and business-hours clocks against hand-computed times (weekends, holidays, China's
make-up working days, overnight, DST in New York), plus hypothesis properties (due_at then elapsed gives the
hours back; both are monotonic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.core import sla

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")

# New York, Mon-Fri 09:00-17:00 (8 hours a day).
NY_HOURS = sla.BusinessHours("America/New_York", opens=time(9), closes=time(17))
# Shanghai, Mon-Fri 09:00-18:00 (9 hours a day), 2024 National Day: 1-7 October off, Sunday 29 September and
# Saturday 12 October worked instead (调休).
CN_HOURS = sla.BusinessHours(
    "Asia/Shanghai",
    holidays=sla.holidays_between([(date(2024, 10, 1), date(2024, 10, 7))]),
    extra_workdays=frozenset({date(2024, 9, 29), date(2024, 10, 12)}),
)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[arg-type, misc]


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[arg-type, misc]


# --- calendar clock ------------------------------------------------------------------------------------


def test_calendar_counts_real_hours_across_spring_forward() -> None:
    # Sat 9 March 2024 12:00 EST = 17:00Z; +24 real hours = Sun 10 March 17:00Z = 13:00 EDT (the clocks skipped 02:00)
    due = sla.due_at(ny(2024, 3, 9, 12), 24, sla.CALENDAR)
    assert due == datetime(2024, 3, 10, 17, tzinfo=UTC)
    assert (due.hour, due.utcoffset()) == (13, timedelta(hours=-4))
    # midnight to midnight on the spring-forward day is 23 real hours, on the fall-back day 25
    assert sla.elapsed(ny(2024, 3, 10), ny(2024, 3, 11), sla.CALENDAR) == timedelta(hours=23)
    assert sla.elapsed(ny(2024, 11, 3), ny(2024, 11, 4), sla.CALENDAR) == timedelta(hours=25)


def test_calendar_elapsed_remaining_are_signed() -> None:
    start, later = sh(2024, 5, 1, 8), sh(2024, 5, 1, 11, 30)
    assert sla.elapsed(start, later, sla.CALENDAR) == timedelta(hours=3, minutes=30)
    assert sla.elapsed(later, start, sla.CALENDAR) == -timedelta(hours=3, minutes=30)
    assert sla.remaining(later, start, sla.CALENDAR) == timedelta(hours=3, minutes=30)
    assert sla.remaining(start, later, sla.CALENDAR) == -timedelta(hours=3, minutes=30)
    # fractional hours: 1.5 h from 23:00 is 00:30 the next day, in the start's timezone
    assert sla.due_at(sh(2024, 5, 1, 23), 1.5, sla.CALENDAR) == sh(2024, 5, 2, 0, 30)


def test_results_keep_the_start_timezone_and_naive_times_are_refused() -> None:
    due = sla.due_at(datetime(2024, 3, 8, 21, tzinfo=UTC), 2, NY_HOURS)  # 21:00Z = 16:00 EST Friday
    assert due.tzinfo is UTC and due == datetime(2024, 3, 11, 14, tzinfo=UTC)  # Monday 10:00 EDT
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.due_at(datetime(2024, 3, 8, 16), 2, NY_HOURS)
    with pytest.raises(ValueError, match="hours must be"):
        sla.due_at(ny(2024, 3, 8, 16), -1, NY_HOURS)
    with pytest.raises(ValueError, match="hours must be"):
        sla.due_at(ny(2024, 3, 8, 16), float("nan"), sla.CALENDAR)


# --- business hours ------------------------------------------------------------------------------------


def test_business_hours_inside_one_day() -> None:
    assert sla.due_at(ny(2024, 3, 6, 10), 3, NY_HOURS) == ny(2024, 3, 6, 13)
    assert sla.elapsed(ny(2024, 3, 6, 10), ny(2024, 3, 6, 13, 15), NY_HOURS) == timedelta(hours=3, minutes=15)


def test_due_on_a_closing_time_stays_there() -> None:
    assert sla.due_at(ny(2024, 3, 6, 9), 8, NY_HOURS) == ny(2024, 3, 6, 17)
    assert sla.due_at(ny(2024, 3, 6, 9), 8.5, NY_HOURS) == ny(2024, 3, 7, 9, 30)


def test_overnight_carries_to_the_next_morning() -> None:
    # Wed 15:00 + 4h: 2h Wednesday (to 17:00), 2h Thursday from 09:00 -> 11:00
    assert sla.due_at(ny(2024, 3, 6, 15), 4, NY_HOURS) == ny(2024, 3, 7, 11)
    assert sla.elapsed(ny(2024, 3, 6, 15), ny(2024, 3, 7, 11), NY_HOURS) == timedelta(hours=4)


def test_start_outside_hours_starts_at_the_next_opening() -> None:
    # before opening: 07:00 + 1h -> 10:00; after closing: 20:00 Wed + 1h -> Thu 10:00
    assert sla.due_at(ny(2024, 3, 6, 7), 1, NY_HOURS) == ny(2024, 3, 6, 10)
    assert sla.due_at(ny(2024, 3, 6, 20), 1, NY_HOURS) == ny(2024, 3, 7, 10)
    # Saturday 11:00 + 0h is Monday's opening; nothing elapses over the weekend
    assert sla.due_at(ny(2024, 3, 2, 11), 0, NY_HOURS) == ny(2024, 3, 4, 9)
    assert sla.elapsed(ny(2024, 3, 2, 11), ny(2024, 3, 3, 23), NY_HOURS) == timedelta(0)


def test_weekend_and_spring_forward_in_new_york() -> None:
    # Fri 8 March 16:00 EST + 2h: 1h Friday, then Monday 11 March 09:00 EDT + 1h = 10:00 EDT (14:00Z)
    due = sla.due_at(ny(2024, 3, 8, 16), 2, NY_HOURS)
    assert due == ny(2024, 3, 11, 10) == datetime(2024, 3, 11, 14, tzinfo=UTC)
    assert sla.elapsed(ny(2024, 3, 8, 16), due, NY_HOURS) == timedelta(hours=2)
    # calendar time across the same span is 65 hours (66 wall-clock hours minus the skipped one)
    assert sla.elapsed(ny(2024, 3, 8, 16), due, sla.CALENDAR) == timedelta(hours=65)


def test_opening_hours_spanning_the_dst_change_count_real_time() -> None:
    # Sundays 01:00-04:00: on 10 March 2024 the clocks jump 02:00 -> 03:00 (2 real hours), on 3 November
    # 02:00 -> 01:00 (4 real hours); an ordinary Sunday has 3.
    sundays = sla.BusinessHours("America/New_York", weekdays=frozenset({6}), opens=time(1), closes=time(4))
    assert sla.elapsed(ny(2024, 3, 10), ny(2024, 3, 10, 23), sundays) == timedelta(hours=2)
    assert sla.elapsed(ny(2024, 11, 3), ny(2024, 11, 3, 23), sundays) == timedelta(hours=4)
    assert sla.elapsed(ny(2024, 3, 17), ny(2024, 3, 17, 23), sundays) == timedelta(hours=3)
    # 2.5 hours from 10 March 01:00 EST: 2 that day, 0.5 on 17 March from 01:00 EDT
    assert sla.due_at(ny(2024, 3, 10, 1), 2.5, sundays) == ny(2024, 3, 17, 1, 30)


def test_shanghai_national_day_and_make_up_workdays() -> None:
    # Mon 30 Sep 17:00 + 4h: 1h to 18:00, 1-7 Oct off, Tue 8 Oct 09:00 + 3h = 12:00
    assert sla.due_at(sh(2024, 9, 30, 17), 4, CN_HOURS) == sh(2024, 10, 8, 12)
    # Fri 11 Oct 17:00 + 2h: 1h Friday, then Saturday 12 Oct is a working day: 09:00 + 1h = 10:00
    assert sla.due_at(sh(2024, 10, 11, 17), 2, CN_HOURS) == sh(2024, 10, 12, 10)
    # Sunday 29 Sep is a working day too: Sat 28 Sep 12:00 + 1h -> Sun 29 Sep 10:00
    assert sla.due_at(sh(2024, 9, 28, 12), 1, CN_HOURS) == sh(2024, 9, 29, 10)
    # 29 Sep 09:00 to 8 Oct 09:00 is 29 Sep and 30 Sep only: 18 business hours
    assert sla.elapsed(sh(2024, 9, 29, 9), sh(2024, 10, 8, 9), CN_HOURS) == timedelta(hours=18)
    assert sla.elapsed(sh(2024, 10, 8, 9), sh(2024, 9, 29, 9), CN_HOURS) == -timedelta(hours=18)


def test_many_days() -> None:
    # 100 hours of 9-hour days from Mon 2 Sep 2024 09:00 (no holidays in September):
    # 11 full days = 99 h (2-6, 9-13 Sep and Mon 16 Sep), then 1 h on Tue 17 Sep -> 10:00
    plain = sla.BusinessHours("Asia/Shanghai")
    assert sla.due_at(sh(2024, 9, 2, 9), 100, plain) == sh(2024, 9, 17, 10)
    # with CN_HOURS: Sun 29 Sep counts; 1-7 Oct not; 1000 h from Mon 2 Sep
    due = sla.due_at(sh(2024, 9, 2, 9), 1000, CN_HOURS)
    assert sla.elapsed(sh(2024, 9, 2, 9), due, CN_HOURS) == timedelta(hours=1000)
    # 1000 = 111 days * 9 + 1 -> the 112th working day at 10:00
    workdays: list[date] = []
    day = date(2024, 9, 2)
    while len(workdays) < 112:
        if CN_HOURS.is_workday(day):
            workdays.append(day)
        day += timedelta(days=1)
    assert due == datetime.combine(workdays[-1], time(10), SH)


def test_remaining_in_business_time() -> None:
    due = ny(2024, 3, 11, 10)  # Monday 10:00
    assert sla.remaining(due, ny(2024, 3, 8, 16), NY_HOURS) == timedelta(hours=2)
    assert sla.remaining(due, ny(2024, 3, 9, 12), NY_HOURS) == timedelta(hours=1)  # Saturday: 09:00-10:00 left
    assert sla.remaining(due, ny(2024, 3, 11, 11, 30), NY_HOURS) == -timedelta(hours=1, minutes=30)


def test_status() -> None:
    start, due = ny(2024, 3, 6, 9), ny(2024, 3, 6, 17)  # an 8-hour target, warn at 25 % = 2 h left
    assert sla.status(due, ny(2024, 3, 6, 14), start=start, clock=NY_HOURS) == sla.OK
    assert sla.status(due, ny(2024, 3, 6, 15), start=start, clock=NY_HOURS) == sla.DUE_SOON
    assert sla.status(due, due, start=start, clock=NY_HOURS) == sla.DUE_SOON  # due itself is in time
    assert sla.status(due, ny(2024, 3, 6, 17, 0, 1), start=start, clock=NY_HOURS) == sla.BREACHED
    assert sla.status(due, ny(2024, 3, 6, 13), start=start, clock=NY_HOURS, warn_fraction=0.5) == sla.DUE_SOON
    # business time: the evening after closing on a Mon-09:00 to Tue-17:00 target (16 h) still has 8 h left
    assert sla.status(ny(2024, 3, 5, 17), ny(2024, 3, 4, 22), start=ny(2024, 3, 4, 9), clock=NY_HOURS) == sla.OK
    with pytest.raises(ValueError, match="warn_fraction"):
        sla.status(due, due, start=start, clock=NY_HOURS, warn_fraction=1.5)


def test_business_hours_validation_and_clock_for() -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        sla.BusinessHours("Mars/Olympus")
    with pytest.raises(ValueError, match="close after"):
        sla.BusinessHours("UTC", opens=time(18), closes=time(9))
    with pytest.raises(ValueError, match="weekdays"):
        sla.BusinessHours("UTC", weekdays=frozenset({7}))
    with pytest.raises(ValueError, match="at least one"):
        sla.BusinessHours("UTC", weekdays=frozenset())
    never = sla.BusinessHours("UTC", weekdays=frozenset({0}), holidays=frozenset())
    assert never.is_workday(date(2024, 1, 1)) and not never.is_workday(date(2024, 1, 2))
    closed = sla.BusinessHours(
        "UTC",
        weekdays=frozenset({0}),
        holidays=sla.holidays_between([(date(2024, 1, 1), date(2040, 1, 1))]),
    )
    with pytest.raises(ValueError, match="never open"):
        sla.due_at(datetime(2024, 1, 1, tzinfo=UTC), 1, closed)
    assert sla.clock_for("calendar", None) is sla.CALENDAR
    assert sla.clock_for("business", NY_HOURS) is NY_HOURS
    with pytest.raises(ValueError, match="needs the organisation"):
        sla.clock_for("business", None)
    with pytest.raises(ValueError, match="unknown clock"):
        sla.clock_for("lunar", None)
    with pytest.raises(ValueError, match="ends"):
        sla.holidays_between([(date(2024, 1, 2), date(2024, 1, 1))])
    assert sla.holidays_between([(date(2024, 2, 28), date(2024, 3, 1))]) == {
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    }


# --- properties ----------------------------------------------------------------------------------------

_CLOCKS = st.sampled_from([sla.CALENDAR, NY_HOURS, CN_HOURS])
_STARTS = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.sampled_from([NY, SH, UTC])
)
_HOURS = st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda h: round(h, 4))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)  # aware datetimes with the same tzinfo compare by wall time: compare in UTC


def _plus(value: datetime, seconds: int) -> datetime:
    assert value.tzinfo is not None
    return (_utc(value) + timedelta(seconds=seconds)).astimezone(value.tzinfo)


@settings(max_examples=150, deadline=None)
@given(start=_STARTS, hours=_HOURS, clock=_CLOCKS)
def test_due_at_then_elapsed_gives_the_hours_back(start: datetime, hours: float, clock: sla.Clock) -> None:
    due = sla.due_at(start, hours, clock)
    assert _utc(due) >= _utc(start)
    assert sla.elapsed(start, due, clock) == timedelta(hours=hours)
    assert sla.remaining(due, start, clock) == timedelta(hours=hours)


@settings(max_examples=100, deadline=None)
@given(start=_STARTS, a=_HOURS, b=_HOURS, shift=st.integers(min_value=0, max_value=10**6), clock=_CLOCKS)
def test_due_at_is_monotonic(start: datetime, a: float, b: float, shift: int, clock: sla.Clock) -> None:
    low, high = sorted((a, b))
    assert _utc(sla.due_at(start, low, clock)) <= _utc(sla.due_at(start, high, clock))
    later = _plus(start, shift)
    assert _utc(sla.due_at(start, low, clock)) <= _utc(sla.due_at(later, low, clock))


@settings(max_examples=100, deadline=None)
@given(start=_STARTS, s1=st.integers(0, 10**6), s2=st.integers(0, 10**6), clock=_CLOCKS)
def test_elapsed_is_additive_and_antisymmetric(start: datetime, s1: int, s2: int, clock: sla.Clock) -> None:
    middle = _plus(start, s1)
    end = _plus(middle, s2)
    whole = sla.elapsed(start, end, clock)
    assert whole == sla.elapsed(start, middle, clock) + sla.elapsed(middle, end, clock)
    assert sla.elapsed(end, start, clock) == -whole
    assert timedelta(0) <= whole <= timedelta(seconds=s1 + s2)
