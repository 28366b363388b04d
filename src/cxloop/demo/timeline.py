"""The demo's calendar: 24 months of history ending the day before ``today``, the Chinese holidays
that empty offices, quarter-end rushes, and the export defect's life (shipped in month 18, fixed in
month 20, forgotten by month 22).

Month 1 is the oldest month; month 24 is the month of the last day of data (yesterday).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = 24
DEFECT_MONTH = 18
FIX_MONTH = 20
DEFECT_SHIP_DAY = 6  # day of month 18 the defective release goes out
FIX_SHIP_DAY = 8  # day of month 20 the fix goes out
RECOVERY_DAYS = 16.0  # time constant of the fading after the fix

# Spring Festival (Chinese New Year's Day) by year.
SPRING_FESTIVAL: dict[int, date] = {
    2018: date(2018, 2, 16), 2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12),
    2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
    2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13),
    2030: date(2030, 2, 3), 2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31),
    2034: date(2034, 2, 19), 2035: date(2035, 2, 8), 2036: date(2036, 1, 28), 2037: date(2037, 2, 15),
    2038: date(2038, 2, 4), 2039: date(2039, 1, 24), 2040: date(2040, 2, 12),
}


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def holiday_factor(day: date) -> float:
    """How much of a normal day's activity happens on ``day`` (1.0 = normal)."""
    festival = SPRING_FESTIVAL.get(day.year, date(day.year, 2, 5))
    offset = (day - festival).days
    if -1 <= offset <= 5:
        return 0.06
    if -8 <= offset <= -2:
        return 0.55
    if 6 <= offset <= 14:
        return 0.7
    if day.month == 10 and day.day <= 7:  # National Day golden week
        return 0.12
    if day.month == 5 and day.day <= 5:  # Labour Day
        return 0.3
    if day.month == 1 and day.day == 1:
        return 0.3
    return 1.0


WEEKDAY_FACTOR = (1.0, 1.05, 1.05, 1.0, 0.92, 0.2, 0.13)


def day_weight(day: date, *, quarter_end_boost: float = 0.0) -> float:
    """Relative activity on ``day``: weekday × holiday × (optionally) the quarter-end rush."""
    weight = WEEKDAY_FACTOR[day.weekday()] * holiday_factor(day)
    if quarter_end_boost:
        next_month = add_months(day, 1)
        days_left = (next_month - day).days
        if day.month in (3, 6, 9, 12) and days_left <= 10:
            weight *= 1.0 + quarter_end_boost
        elif days_left <= 3:
            weight *= 1.0 + quarter_end_boost / 3
    return weight


@dataclass(frozen=True)
class Month:
    index: int  # 1..24
    start: date
    end: date  # inclusive; the last month ends at the last day of data

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Timeline:
    today: date
    last_day: date
    months: tuple[Month, ...]
    defect_date: date
    fix_date: date

    @property
    def start(self) -> date:
        return self.months[0].start

    def month_of(self, day: date) -> int:
        return (day.year - self.start.year) * 12 + day.month - self.start.month + 1

    def defect_intensity(self, day: date) -> float:
        """0 before the defective release; ramps to 1 within a few days; fades after the fix."""
        if day < self.defect_date:
            return 0.0
        if day < self.fix_date:
            return min(1.0, 0.45 + 0.14 * (day - self.defect_date).days)
        return math.exp(-(day - self.fix_date).days / RECOVERY_DAYS)

    def since_fix(self, day: date) -> int | None:
        """Days since the fix shipped, or None before it."""
        return None if day < self.fix_date else (day - self.fix_date).days


def build_timeline(today: date) -> Timeline:
    last_day = today - timedelta(days=1)
    first = add_months(last_day, -(MONTHS - 1))
    months = []
    for index in range(1, MONTHS + 1):
        start = add_months(first, index - 1)
        end = min(add_months(start, 1) - timedelta(days=1), last_day)
        months.append(Month(index, start, end))
    defect_month = months[DEFECT_MONTH - 1]
    fix_month = months[FIX_MONTH - 1]
    return Timeline(
        today=today,
        last_day=last_day,
        months=tuple(months),
        defect_date=defect_month.start + timedelta(days=DEFECT_SHIP_DAY - 1),
        fix_date=fix_month.start + timedelta(days=FIX_SHIP_DAY - 1),
    )


def app_version(timeline: Timeline, day: date) -> str:
    """CloudLaunch's web release on ``day``, calendar-versioned ("YY.MM.patch"): each month's release
    ships on the 6th (the defective one is month 18's); the fix is month 20's hotfix ".1"."""
    release = day if day.day >= DEFECT_SHIP_DAY else add_months(day, -1)
    patch = 0 if day.day >= DEFECT_SHIP_DAY else 2
    if timeline.fix_date <= day and timeline.month_of(day) == FIX_MONTH:
        patch = 1
    return f"{release.year % 100:02d}.{release.month}.{patch}"
