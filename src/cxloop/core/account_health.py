"""B2B account health: role-weighted NPS, coverage of the key roles, a 0–100 health score, its trend and
the at-risk rule. Pure Python (no Django): the service in ``customers/health.py`` turns the database into
:class:`Signal` rows and calls :func:`assess`.

Definitions (also in docs/accounts.md)
--------------------------------------
* A **signal** is one complete response of a stakeholder of the account: the day it was submitted, the
  stakeholder's role, and its NPS answer (0–10) if it has one. A response without a contact counts as its
  own respondent with no role (weighted as a ``user``, never covering a key role).
* The **window** ending on day *d* holds the days d − 89 … d (``window_days`` = 90 days); the window before it
  the 90 days before that.
* **Role-weighted NPS** of a window: each respondent's *latest* NPS answer in the window, weighted by the
  weight of their role (default decision maker 3, economic buyer 3, champion 2, influencer 1.5, user 1):
  wNPS = 100 · (Σ w·[score ≥ 9] − Σ w·[score ≤ 6]) / Σ w. Interval: ``core.metrics.weighted_nps`` — the
  MeasuringU adjusted-Wald NPS interval at Kish's effective sample size n_eff = (Σw)²/Σw².
* **Coverage** of a window: the share of the configured key roles (default decision maker, economic buyer,
  champion) with at least one stakeholder of that role heard from (any complete response) in the window:
  heard / number of key roles, 0–1. A count of roles, not a sample: it has no interval.
* **Health** (0–100) = (1 − c)·(wNPS + 100)/2 + c·100·coverage, with the coverage weight c (default 0.3).
  None when nobody gave an NPS answer in the window (health needs a score; the account is *silent*). Its
  interval is the wNPS interval through the same formula (coverage is a count of roles, held fixed).
* **Trend**: health of the window ending today minus health of the window before (points), and the
  two-sample test of the two wNPS (``core.metrics.compare_weighted_nps``, 95 %).
* **At risk**: the renewal date is 0–90 days ahead (``renewal_days``) AND at least one of: *low* — health
  below ``threshold`` (default 40); *falling* — health fell by ``drop_points`` (default 10) or more, or
  the wNPS fell significantly; *silent* — no NPS answer in the window (only with ``silent_is_risk``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from cxloop.core import metrics

ROLES: tuple[str, ...] = ("decision_maker", "economic_buyer", "champion", "influencer", "user")
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "decision_maker": 3.0, "economic_buyer": 3.0, "champion": 2.0, "influencer": 1.5, "user": 1.0,
}
DEFAULT_KEY_ROLES: tuple[str, ...] = ("decision_maker", "economic_buyer", "champion")
UNKNOWN_ROLE_WEIGHT_FROM = "user"  # a respondent without a role weighs like a user
MIN_HEALTH_RESPONDENTS = 5  # fewer respondents in a window: the wNPS is shown with its "too few" flag
REASONS: tuple[str, ...] = ("low", "falling", "silent")


class SettingsError(ValueError):
    """A setting out of range; ``field`` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class HealthSettings:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    key_roles: tuple[str, ...] = DEFAULT_KEY_ROLES
    threshold: float = 40.0
    drop_points: float = 10.0
    coverage_weight: float = 0.3
    silent_is_risk: bool = False
    window_days: int = 90
    renewal_days: int = 90
    confidence: float = 0.95

    def __post_init__(self) -> None:
        for role in ROLES:
            w = self.weights.get(role)
            if w is None or not 0 < w <= 100:
                raise SettingsError(f"weights: the weight of {role} must be above 0 and at most 100",
                                    field=f"weight_{role}")
        unknown = set(self.weights) - set(ROLES)
        if unknown:
            raise SettingsError(f"weights: unknown roles {sorted(unknown)}", field="weights")
        if not self.key_roles or any(r not in ROLES for r in self.key_roles) or \
                len(set(self.key_roles)) != len(self.key_roles):
            raise SettingsError("key_roles: choose one or more different stakeholder roles", field="key_roles")
        if not 0 <= self.threshold <= 100:
            raise SettingsError("threshold: must be between 0 and 100", field="threshold")
        if not 0 < self.drop_points <= 100:
            raise SettingsError("drop_points: must be above 0 and at most 100", field="drop_points")
        if not 0 <= self.coverage_weight <= 1:
            raise SettingsError("coverage_weight: must be between 0 and 1", field="coverage_weight")
        if not 1 <= self.window_days <= 366:
            raise SettingsError("window_days: must be between 1 and 366", field="window_days")
        if not 0 <= self.renewal_days <= 366:
            raise SettingsError("renewal_days: must be between 0 and 366", field="renewal_days")

    def weight(self, role: str | None) -> float:
        return self.weights.get(role or UNKNOWN_ROLE_WEIGHT_FROM, self.weights[UNKNOWN_ROLE_WEIGHT_FROM])


@dataclass(frozen=True)
class Signal:
    """One complete response of a stakeholder: who (``respondent``: a contact id, or a response's own key),
    their role (None when unknown), the day, and the NPS answer (None when the response has none)."""

    respondent: str
    role: str | None
    day: date
    score: float | None = None


@dataclass(frozen=True)
class Coverage:
    heard: tuple[str, ...]  # the key roles heard from, in the settings' order
    missing: tuple[str, ...]
    share: float  # heard / key roles, 0..1

    @property
    def percent(self) -> float:
        return 100.0 * self.share


@dataclass(frozen=True)
class WindowHealth:
    start: date
    end: date  # inclusive
    counts: metrics.WeightedNpsCounts
    nps: metrics.Estimate  # the role-weighted NPS with its interval
    coverage: Coverage
    health: float | None
    health_low: float | None  # the wNPS interval mapped onto the health scale
    health_high: float | None
    respondents: int  # everyone heard from in the window (any response)
    by_role: Mapping[str, int]  # NPS respondents by role


@dataclass(frozen=True)
class Risk:
    at_risk: bool
    reasons: tuple[str, ...]  # of REASONS
    days_to_renewal: int | None
    renewing_soon: bool


@dataclass(frozen=True)
class AccountHealth:
    current: WindowHealth
    previous: WindowHealth
    change: float | None  # health points, current − previous
    nps_change: metrics.Comparison
    falling: bool
    risk: Risk
    drop_points: float = 10.0

    @property
    def trend(self) -> str | None:
        """"down" when falling, "up" when health rose by the drop size or the wNPS rose significantly, else
        "flat"; None when either window has no health."""
        if self.change is None:
            return None
        if self.falling:
            return "down"
        if self.change >= 0 and (self.nps_change.direction == "up" or self.change >= self.drop_points):
            return "up"
        return "flat"


# --- the formulas ------------------------------------------------------------------------------------


def window(end: date, days: int) -> tuple[date, date]:
    """The ``days`` days ending on ``end`` (both inclusive)."""
    return end - timedelta(days=days - 1), end


def latest_scores(signals: Iterable[Signal], start: date, end: date) -> dict[str, Signal]:
    """Each respondent's latest signal with an NPS answer in start … end (a later day wins; on the same day
    the later one in the input)."""
    out: dict[str, Signal] = {}
    for s in signals:
        if s.score is None or not start <= s.day <= end:
            continue
        seen = out.get(s.respondent)
        if seen is None or s.day >= seen.day:
            out[s.respondent] = s
    return out


def weighted_counts(latest: Iterable[Signal], settings: HealthSettings) -> metrics.WeightedNpsCounts:
    return metrics.WeightedNpsCounts.from_scores(
        (float(s.score), settings.weight(s.role)) for s in latest if s.score is not None)


def coverage(signals: Iterable[Signal], start: date, end: date, key_roles: Sequence[str]) -> Coverage:
    roles = {s.role for s in signals if s.role is not None and start <= s.day <= end}
    heard = tuple(r for r in key_roles if r in roles)
    missing = tuple(r for r in key_roles if r not in roles)
    return Coverage(heard, missing, len(heard) / len(key_roles) if key_roles else 0.0)


def health_score(wnps: float | None, coverage_share: float, coverage_weight: float) -> float | None:
    """(1 − c)·(wNPS + 100)/2 + c·100·coverage; None without a wNPS."""
    if wnps is None:
        return None
    return (1 - coverage_weight) * (wnps + 100) / 2 + coverage_weight * 100 * coverage_share


def window_health(signals: Sequence[Signal], end: date, settings: HealthSettings) -> WindowHealth:
    start, end = window(end, settings.window_days)
    latest = latest_scores(signals, start, end)
    counts = weighted_counts(latest.values(), settings)
    est = metrics.weighted_nps(counts, settings.confidence, min_n=MIN_HEALTH_RESPONDENTS)
    cov = coverage(signals, start, end, settings.key_roles)
    by_role: dict[str, int] = {}
    for s in latest.values():
        by_role[s.role or ""] = by_role.get(s.role or "", 0) + 1
    heard = {s.respondent for s in signals if start <= s.day <= end}
    c = settings.coverage_weight
    return WindowHealth(start, end, counts, est, cov, health_score(est.value, cov.share, c),
                        health_score(est.low, cov.share, c), health_score(est.high, cov.share, c), len(heard), by_role)


def risk(current: WindowHealth, falling: bool, renewal: date | None, today: date,
         settings: HealthSettings) -> Risk:
    days = (renewal - today).days if renewal is not None else None
    soon = days is not None and 0 <= days <= settings.renewal_days
    reasons: list[str] = []
    if current.health is not None and current.health < settings.threshold:
        reasons.append("low")
    if falling:
        reasons.append("falling")
    if current.health is None and settings.silent_is_risk:
        reasons.append("silent")
    return Risk(soon and bool(reasons), tuple(reasons), days, soon)


def assess(signals: Sequence[Signal], *, today: date, renewal: date | None,
           settings: HealthSettings | None = None) -> AccountHealth:
    """The account's health today and in the window before, the change, the test and the risk."""
    s = settings or HealthSettings()
    current = window_health(signals, today, s)
    previous = window_health(signals, today - timedelta(days=s.window_days), s)
    change = None if current.health is None or previous.health is None else current.health - previous.health
    test = metrics.compare_weighted_nps(previous.counts, current.counts, confidence=s.confidence,
                                        min_n=MIN_HEALTH_RESPONDENTS)
    falling = change is not None and (change <= -s.drop_points or test.direction == "down")
    return AccountHealth(current, previous, change, test, falling, risk(current, falling, renewal, today, s),
                         s.drop_points)


@dataclass(frozen=True)
class Point:
    """The health of the window ending on one day (e.g. a month's last day) and its wNPS test against the
    window before it."""

    window: WindowHealth
    nps_change: metrics.Comparison


def series(signals: Sequence[Signal], ends: Sequence[date], settings: HealthSettings | None = None) -> list[Point]:
    """The health of the window ending on each of ``ends`` (e.g. each month's last day): the trend by month,
    each with the two-sample wNPS test against the window before it."""
    s = settings or HealthSettings()
    out = []
    for end in ends:
        w = window_health(signals, end, s)
        before = window_health(signals, end - timedelta(days=s.window_days), s)
        out.append(Point(w, metrics.compare_weighted_nps(before.counts, w.counts, confidence=s.confidence,
                                                         min_n=MIN_HEALTH_RESPONDENTS)))
    return out
