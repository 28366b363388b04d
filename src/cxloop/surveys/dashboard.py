"""The organisation dashboard's numbers: headline NPS and support CSAT with n, interval and the
previous period, and a monthly NPS trend. Counts come from queries; every number from core.metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from cxloop.core import metrics
from cxloop.customers.models import Account
from cxloop.orgs.models import Organization
from cxloop.surveys import queries

PERIOD_DAYS = 90


@dataclass(frozen=True)
class Headline:
    current: metrics.Estimate
    previous: metrics.Estimate

    @property
    def change(self) -> float | None:
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value


@dataclass(frozen=True)
class TrendPoint:
    month: date
    estimate: metrics.Estimate


@dataclass(frozen=True)
class Dashboard:
    nps: Headline
    csat_support: Headline
    responses_period: int
    responses_total: int
    accounts: int
    nps_trend: list[TrendPoint]
    period_days: int


def _headline(org: Organization, key: str, now: datetime, *, touchpoint: str | None, kind: str) -> Headline:
    start = now - timedelta(days=PERIOD_DAYS)
    before = start - timedelta(days=PERIOD_DAYS)
    cur = queries.score_distribution(org, question_key=key, since=start, until=now, touchpoint=touchpoint)
    prev = queries.score_distribution(org, question_key=key, since=before, until=start, touchpoint=touchpoint)
    if kind == "nps":
        return Headline(
            metrics.nps(metrics.NpsCounts.from_distribution(cur)),
            metrics.nps(metrics.NpsCounts.from_distribution(prev)),
        )
    return Headline(metrics.csat(cur), metrics.csat(prev))


def build(org: Organization, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    since = (now - timedelta(days=730)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    trend = [
        TrendPoint(month, metrics.nps(metrics.NpsCounts.from_distribution(dist)))
        for month, dist in queries.monthly_distributions(org, question_key="nps", since=since)
    ]
    return Dashboard(
        nps=_headline(org, "nps", now, touchpoint=None, kind="nps"),
        csat_support=_headline(org, "csat", now, touchpoint="support", kind="csat"),
        responses_period=queries.response_count(org, since=now - timedelta(days=PERIOD_DAYS)),
        responses_total=queries.response_count(org),
        accounts=Account.objects.filter(org=org).count(),
        nps_trend=trend,
        period_days=PERIOD_DAYS,
    )
