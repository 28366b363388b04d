"""Renewal, churn and "does our NPS predict renewal?" (issue 8): what accounts decided at renewal, beside what
their people said before. Counts only; every rate, interval and test from ``core.metrics``.

Decisions
---------
A **renewal decision** is a ``renewed`` or ``churned`` event with an account, on a local day in the range. An
account has one decision per renewal date: two decision events of one account on the same local day count once
(the later one). Its **ARR** is the event's ``properties.arr`` (a non-negative number), else the account's ARR.

* Renewal rate by count = renewed / decisions (Wilson); churn rate = churned / decisions (``metrics.churn_rate``:
  the accounts at risk are those that came up for renewal). Renewal rate by ARR = Σ ARR renewed / Σ ARR decided
  (``metrics.weighted_proportion``, the ratio estimator with its linearisation interval); 1 − it is the gross ARR
  churn. Also per month or quarter.
* With a segment: the decisions of accounts with at least one member contact in the segment.

The account's NPS group at its decision (the rule)
-------------------------------------------------
For a decision on day d: the complete responses with an NPS answer (0–10; every NPS question of the
organisation's surveys) from the account's contacts submitted on the 365 days before d (d − 365 … d − 1; the
decision day itself is left out, so nothing said after the decision counts). Each contact counts once, with
their **latest** answer in that window (a contact who answered four times is not four voices; a response
without a contact counts as its own respondent). The account's score is the **mean of those latest answers**
(every stakeholder equal), and its group the NPS category of that mean: promoter ≥ 9, passive 7 to < 9, detractor
< 7. Accounts with no answer in the window are "not asked" and reported apart (silence is informative too).

Then the renewal and churn rates of promoter, passive and detractor accounts (Wilson), and promoters against
detractors with the N − 1 two-proportion test (``metrics.compare_proportions``, percentage points): the verdict
"promoter accounts renew X points more than detractor accounts, p = …".

The **respondent view** counts every contact's latest answer before the decision, each with their account's
outcome. It shows what individual promoters' and detractors' accounts did, but contacts of one account share
one outcome (they are clustered), so its intervals are narrower than the data justify; it is shown for
reading, not tested.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from cxloop.analytics.metrics_service import MetricsError
from cxloop.behaviour.ux import CONFIDENCE, ONE_DAY, Scope, _number, add_months, prop
from cxloop.core import metrics
from cxloop.core.metrics import Estimate
from cxloop.customers import health
from cxloop.customers.models import Account, Contact

WINDOW_DAYS = 365
GROUPS = ("promoter", "passive", "detractor", "none")
INTERVALS = ("month", "quarter")


def nps_group(score: float | None) -> str:
    """The NPS category of a (mean) score: promoter ≥ 9, passive ≥ 7, detractor below; "none" without one."""
    if score is None:
        return "none"
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


@dataclass(frozen=True)
class Decision:
    account_id: int
    account: str  # the account's name
    day: date  # local
    renewed: bool
    arr: float
    group: str  # promoter | passive | detractor | none
    score: float | None  # the mean of the contacts' latest answers
    respondents: dict[str, float]  # {respondent: latest score in the window}


def _decision_rows(scope: Scope) -> list[tuple[int, str, Any, Any]]:
    qs = scope.base() if scope.segment is None else _segment_accounts_events(scope)
    rows = (qs.filter(name__in=("renewed", "churned"), at__gte=scope.since, at__lt=scope.until,
                      account__isnull=False)
            .annotate(cx_arr=prop("arr")).order_by("at", "pk").values_list("account_id", "name", "at", "cx_arr"))
    return list(rows)


def _segment_accounts_events(scope: Scope) -> Any:
    from cxloop.behaviour.models import Event
    from cxloop.segments.members import member_ids

    accounts = Contact.objects.filter(org=scope.org, pk__in=member_ids(scope.org.pk, scope.segment),
                                      account__isnull=False).values("account_id")
    return Event.objects.filter(org=scope.org, account_id__in=accounts)


def decisions(scope: Scope) -> list[Decision]:
    """Every renewal decision in the scope, oldest first, with the account's NPS group (see the module)."""
    tz = timezone.get_default_timezone()
    latest: dict[tuple[int, date], tuple[bool, float | None]] = {}
    for account_id, name, at, raw_arr in _decision_rows(scope):
        arr = _number(raw_arr)
        latest[(int(account_id), timezone.localtime(at, tz).date())] = (name == "renewed",
                                                                         arr if arr is not None and arr >= 0 else None)
    if not latest:
        return []
    ids = sorted({a for a, _d in latest})
    accounts = {pk: (name, float(arr or 0)) for pk, name, arr in
                Account.objects.filter(org=scope.org, pk__in=ids).values_list("pk", "name", "arr")}
    first = min(d for _a, d in latest)
    last = max(d for _a, d in latest)
    signals = health.signals(scope.org, since=first - timedelta(days=WINDOW_DAYS), until=last - ONE_DAY,
                             account_ids=ids)
    out = []
    for (account_id, day), (renewed, arr) in sorted(latest.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        window_start = day - timedelta(days=WINDOW_DAYS)
        said: dict[str, tuple[date, float]] = {}
        for s in signals.get(account_id, []):
            if s.score is None or not (window_start <= s.day < day):
                continue
            if s.respondent not in said or s.day >= said[s.respondent][0]:
                said[s.respondent] = (s.day, s.score)
        scores = {r: v for r, (_d, v) in said.items()}
        mean = sum(scores.values()) / len(scores) if scores else None
        name, account_arr = accounts.get(account_id, (str(account_id), 0.0))
        out.append(Decision(account_id, name, day, renewed, arr if arr is not None else account_arr,
                            nps_group(mean), mean, scores))
    return out


@dataclass(frozen=True)
class Rates:
    decisions: int
    renewed: int
    churned: int
    renewal: Estimate  # by count, Wilson, 0..1
    churn: Estimate  # by count, Wilson, 0..1
    arr: float  # ARR decided
    arr_renewed: float
    arr_renewal: Estimate  # by ARR, ratio estimator, 0..1


def rates(items: list[Decision], confidence: float = CONFIDENCE) -> Rates:
    n = len(items)
    renewed = sum(1 for d in items if d.renewed)
    return Rates(n, renewed, n - renewed, metrics.wilson(renewed, n, confidence),
                 metrics.churn_rate(n - renewed, n, confidence), sum(d.arr for d in items),
                 sum(d.arr for d in items if d.renewed),
                 metrics.weighted_proportion([(d.arr, d.renewed) for d in items], confidence))


@dataclass(frozen=True)
class PeriodRates:
    start: date
    label: str  # 2026-03 or 2026-Q1
    rates: Rates


@dataclass(frozen=True)
class GroupRates:
    group: str
    rates: Rates


@dataclass(frozen=True)
class Verdict:
    promoters: Rates
    detractors: Rates
    comparison: metrics.Comparison  # detractors → promoters, renewal rate in percentage points

    @property
    def points(self) -> float | None:
        return self.comparison.difference

    @property
    def significant(self) -> bool:
        return self.comparison.significant


@dataclass(frozen=True)
class RespondentRow:
    group: str
    respondents: int  # (decision, contact) pairs
    renewed: int
    renewal: Estimate  # Wilson, 0..1; clustered by account: read, do not test


@dataclass(frozen=True)
class Loyalty:
    scope: Scope
    interval: str
    overall: Rates
    periods: list[PeriodRates]
    groups: list[GroupRates]  # promoter, passive, detractor, none (those with decisions)
    verdict: Verdict | None  # None without promoter and detractor accounts
    respondents: list[RespondentRow]
    decisions: list[Decision]
    confidence: float


def _period_of(day: date, interval: str) -> tuple[date, str]:
    if interval == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    start = day.replace(day=1)
    return start, start.strftime("%Y-%m")


def loyalty(scope: Scope, *, interval: str = "quarter", confidence: float = CONFIDENCE) -> Loyalty:
    """The loyalty page and ``GET /api/v1/loyalty``."""
    if interval not in INTERVALS:
        raise MetricsError(f"interval: use one of {', '.join(INTERVALS)}", field="interval")
    items = decisions(scope)
    periods: list[PeriodRates] = []
    start, _label = _period_of(scope.start, interval)
    while start <= scope.end:
        label = _period_of(start, interval)[1]
        step = add_months(start, 3 if interval == "quarter" else 1)
        periods.append(PeriodRates(start, label, rates([d for d in items if start <= d.day < step], confidence)))
        start = step
    by_group: dict[str, list[Decision]] = defaultdict(list)
    for d in items:
        by_group[d.group].append(d)
    groups = [GroupRates(g, rates(by_group[g], confidence)) for g in GROUPS if by_group.get(g)]
    verdict = None
    pro, det = by_group.get("promoter", []), by_group.get("detractor", [])
    if pro and det:
        p, q = rates(pro, confidence), rates(det, confidence)
        verdict = Verdict(p, q, metrics.compare_proportions(metrics.Proportion(q.renewed, q.decisions, 100.0),
                                                           metrics.Proportion(p.renewed, p.decisions, 100.0),
                                                           confidence=confidence))
    pairs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in items:
        for score in d.respondents.values():
            cell = pairs[nps_group(score)]
            cell[0] += 1
            cell[1] += int(d.renewed)
    respondents = [RespondentRow(g, pairs[g][0], pairs[g][1], metrics.wilson(pairs[g][1], pairs[g][0], confidence))
                   for g in GROUPS[:3] if pairs.get(g)]
    return Loyalty(scope, interval, rates(items, confidence), periods, groups, verdict, respondents, items,
                   confidence)
