"""Retention from behavioural events (issue 8): the cohort table by sign-up month, the repurchase rate and the
churn of active people. Counts only; every rate and interval from ``core.metrics``.

* **Cohort** of month m: the people whose first ``signed_up`` event (ever) falls in month m (local months,
  ``settings.TIME_ZONE``); cohorts of the months touching ``start``..``end`` are shown. **Retained in month
  m + k** (k ≥ 1): a member with any event in that calendar month, whether or not they were active in the months
  between (``metrics.retention``, Wilson; the table via ``metrics.cohort_table``). Cells run up to the month of
  ``end``; when ``end`` is not a month's last day that month is still going and its cells are marked partial.
  The average curve pools the cohorts that have reached month k: Σ retained / Σ cohort size (Wilson).
* **Repurchase rate**: of the people with at least one ``purchase`` event in the range, the share with two or more
  (``metrics.repurchase_rate``, Wilson), against the same number of days before (N − 1 two-proportion test).
* **Churn of active people**: of the people active (any event) in the same number of days before the range, the
  share with no event in the range (``metrics.churn_rate``, Wilson). Account churn at renewal is in
  ``behaviour.loyalty``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Min
from django.utils import timezone

from cxloop.analytics.rollups import day_start
from cxloop.behaviour.ux import CONFIDENCE, ONE_DAY, Scope, add_months, month_start
from cxloop.core import metrics
from cxloop.core.metrics import Estimate


@dataclass(frozen=True)
class Cohorts:
    scope: Scope
    rows: list[metrics.CohortRow]  # label "YYYY-MM", cells[k − 1] = month k
    months: list[date]  # each row's month
    periods: int  # the longest row
    average: list[Estimate]  # pooled retention in month k (k = 1…periods), over the cohorts that reached it
    partial: date | None  # the month of ``end`` when it is not over yet

    def is_partial(self, row: int, k: int) -> bool:
        """Whether cell k (1-based) of row ``row`` is the month still going."""
        return self.partial is not None and add_months(self.months[row], k) == self.partial


def _local_month(at: datetime) -> date:
    return timezone.localtime(at, timezone.get_default_timezone()).date().replace(day=1)


def _active_in(scope: Scope, since: datetime, until: datetime) -> set[int]:
    return set(scope.events(since=since, until=until, area=False).values_list("person", flat=True).distinct())


def cohorts(scope: Scope, confidence: float = CONFIDENCE) -> Cohorts:
    first = month_start(scope.start)
    last = month_start(scope.end)
    signups = (scope.base().filter(name="signed_up").values("person").annotate(first=Min("at"))
               .filter(first__gte=day_start(first), first__lt=day_start(add_months(last, 1))).order_by())
    members: dict[date, set[int]] = defaultdict(set)
    for row in signups:
        members[_local_month(row["first"])].add(int(row["person"]))
    months: list[date] = []
    m = first
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    active: dict[date, set[int]] = {}
    for m in months[1:]:
        active[m] = _active_in(scope, day_start(m), min(day_start(add_months(m, 1)), scope.until))
    table: dict[str, tuple[int, list[int]]] = {}
    for m in months:
        people = members.get(m, set())
        later = [add_months(m, k) for k in range(1, len(months)) if add_months(m, k) <= last]
        table[m.strftime("%Y-%m")] = (len(people), [len(people & active[x]) for x in later])
    rows = metrics.cohort_table(table, confidence)
    periods = max((len(r.cells) for r in rows), default=0)
    average = []
    for k in range(1, periods + 1):
        reached = [(size, kept[k - 1]) for size, kept in table.values() if len(kept) >= k]
        average.append(metrics.retention(sum(s for s, _ in reached), sum(x for _, x in reached), confidence))
    partial = last if scope.end + ONE_DAY != add_months(last, 1) else None
    return Cohorts(scope, rows, months, periods, average, partial)


@dataclass(frozen=True)
class Repurchase:
    buyers: int  # people with ≥ 1 purchase in the range
    repeat: int  # … with ≥ 2
    rate: Estimate  # 0..1, Wilson
    previous: Estimate  # the same number of days before
    change: metrics.Comparison | None  # previous → now, percentage points


def _buyers(scope: Scope, since: datetime, until: datetime) -> tuple[int, int]:
    counts = (scope.events("purchase", since=since, until=until, area=False).values("person")
              .annotate(n=Count("id")).order_by().values_list("n", flat=True))
    ones = twos = 0
    for n in counts:
        ones += 1
        twos += int(n >= 2)
    return ones, twos


def repurchase(scope: Scope, confidence: float = CONFIDENCE) -> Repurchase:
    ones, twos = _buyers(scope, scope.since, scope.until)
    b = scope.before()
    ones0, twos0 = _buyers(scope, b.since, b.until)
    now = metrics.repurchase_rate(twos, ones, confidence)
    before = metrics.repurchase_rate(twos0, ones0, confidence)
    change = None
    if ones and ones0:
        change = metrics.compare_proportions(metrics.Proportion(twos0, ones0, 100.0),
                                             metrics.Proportion(twos, ones, 100.0), confidence=confidence)
    return Repurchase(ones, twos, now, before, change)


@dataclass(frozen=True)
class ActiveChurn:
    previous_active: int  # active in the days before the range
    kept: int  # … and active again in the range
    churn: Estimate  # (previous_active − kept) / previous_active, Wilson, 0..1


def active_churn(scope: Scope, confidence: float = CONFIDENCE) -> ActiveChurn:
    b = scope.before()
    before = _active_in(scope, b.since, b.until)
    now = _active_in(scope, scope.since, scope.until)
    kept = len(before & now)
    return ActiveChurn(len(before), kept, metrics.churn_rate(len(before) - kept, len(before), confidence))


@dataclass(frozen=True)
class Retention:
    cohorts: Cohorts
    repurchase: Repurchase
    churn: ActiveChurn


def retention(scope: Scope, confidence: float = CONFIDENCE) -> Retention:
    """The retention page and ``GET /api/v1/retention``: cohorts, repurchase and the churn of active people."""
    return Retention(cohorts(scope, confidence), repurchase(scope, confidence), active_churn(scope, confidence))
