"""Loop KPIs per team and month: how many cases were opened, how many of them are closed, how fast the customer
was first contacted, how often the resolution target was met and how often the customer was won back.

Cases are counted in the month they were opened (local time, ``settings.TIME_ZONE``), so a month's rates are
those of its cohort as it stands now. Definitions:

* ``opened``: cases opened in the month;
* ``closure``: resolved or closed ÷ opened;
* ``first_contact_median``: the median of first contact − opened, over cases with a first contact;
* ``sla``: resolved within ``resolve_due`` ÷ resolved (cases with a resolution target);
* ``rescue``: ``recovered`` true ÷ resolved with ``recovered`` known (true or false).

Rates are ``core.metrics.wilson`` estimates (value 0..1, 95 % Wilson interval, n).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from cxloop.cases.models import Case, CaseStatus
from cxloop.core import metrics
from cxloop.orgs.models import Organization, Team

MONTHS = 12
ALL = 0  # the "all teams" group's key
NO_TEAM = -1


@dataclass
class Tally:
    """Counts of one (team, month) cell."""

    opened: int = 0
    done: int = 0  # resolved or closed
    resolved: int = 0  # with a resolution time and target
    in_time: int = 0
    recovered_known: int = 0
    recovered: int = 0
    first_contact: list[float] = field(default_factory=list)  # hours

    def add(self, row: Mapping[str, Any]) -> None:
        self.opened += 1
        if row["status"] in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            self.done += 1
        if row["first_contact_at"] is not None:
            self.first_contact.append(max(0.0, (row["first_contact_at"] - row["opened_at"]).total_seconds() / 3600))
        if row["resolved_at"] is not None and row["resolve_due"] is not None:
            self.resolved += 1
            if row["resolved_at"] <= row["resolve_due"]:
                self.in_time += 1
        if row["resolved_at"] is not None and row["recovered"] is not None:
            self.recovered_known += 1
            if row["recovered"]:
                self.recovered += 1


@dataclass(frozen=True)
class MonthKpis:
    month: date  # the first day of the month
    opened: int
    closure: metrics.Estimate
    first_contact_median_hours: float | None
    first_contact_n: int
    sla: metrics.Estimate
    rescue: metrics.Estimate


@dataclass(frozen=True)
class TeamKpis:
    key: int  # team id, ALL or NO_TEAM
    name: str
    months: list[MonthKpis]
    total: MonthKpis


def _kpis(month: date, t: Tally) -> MonthKpis:
    median = metrics.median(t.first_contact)
    return MonthKpis(month=month, opened=t.opened, closure=metrics.wilson(t.done, t.opened),
                     first_contact_median_hours=median, first_contact_n=len(t.first_contact),
                     sla=metrics.wilson(t.in_time, t.resolved), rescue=metrics.wilson(t.recovered, t.recovered_known))


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the ``months`` months up to ``today``'s, oldest first."""
    out = []
    year, month = today.year, today.month
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _merge(into: Tally, other: Tally) -> None:
    into.opened += other.opened
    into.done += other.done
    into.resolved += other.resolved
    into.in_time += other.in_time
    into.recovered_known += other.recovered_known
    into.recovered += other.recovered
    into.first_contact += other.first_contact


def loop_kpis(org: Organization, *, today: date | None = None, months: int = MONTHS,
              team_ids: list[int] | None = None) -> list[TeamKpis]:
    """The KPIs of every team with cases in the period (and "all teams" first), month by month, with a total
    over the period."""
    today = today or timezone.localdate()
    starts = month_starts(today, months)
    zone = timezone.get_current_timezone()
    begin = datetime.combine(starts[0], datetime.min.time(), zone)
    nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    end = datetime.combine(nxt, datetime.min.time(), zone)
    qs = Case.objects.filter(org=org, opened_at__gte=begin, opened_at__lt=end)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    cells: dict[int, dict[date, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for row in qs.values("team_id", "status", "opened_at", "first_contact_at", "resolved_at", "resolve_due",
                         "recovered"):
        local = timezone.localtime(row["opened_at"], zone).date()
        month = date(local.year, local.month, 1)
        cells[row["team_id"] or NO_TEAM][month].add(row)
    names = dict(Team.objects.filter(org=org, pk__in=[k for k in cells if k > 0]).values_list("pk", "name"))
    keys = sorted((k for k in cells if k > 0), key=lambda k: names.get(k, "").lower())
    if NO_TEAM in cells:
        keys.append(NO_TEAM)
    everything: dict[date, Tally] = defaultdict(Tally)
    for k in keys:
        for m, t in cells[k].items():
            _merge(everything[m], t)
    out = [_team(ALL, "", everything, starts)]
    out += [_team(k, names.get(k, ""), cells[k], starts) for k in keys]
    return out


def _team(key: int, name: str, by_month: dict[date, Tally], starts: list[date]) -> TeamKpis:
    total = Tally()
    for t in by_month.values():
        _merge(total, t)
    return TeamKpis(key=key, name=name, months=[_kpis(m, by_month.get(m, Tally())) for m in starts],
                    total=_kpis(starts[0], total))

