"""The organisation dashboard's numbers: headline NPS and support CSAT with n, interval and the
previous period, and a monthly NPS trend. They come from the metrics service
(``analytics.metrics_service``, the one behind ``GET /api/v1/metrics``): rollups plus the raw answers of
the days not yet recomputed, every number from core.metrics. The periods are local days: the last 90
days are today and the 89 days before it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from cxloop.analytics import metrics_service
from cxloop.core import metrics
from cxloop.customers.models import Account
from cxloop.orgs.models import Organization
from cxloop.surveys import queries
from cxloop.surveys.models import Survey

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


def _empty(metric: str) -> metrics.Estimate:
    return metrics.nps(metrics.NpsCounts(0, 0, 0)) if metric == "nps" else metrics.csat({})


def _headline(org: Organization, surveys: list[Survey], question: str, metric: str, today: date,
              filters: Mapping[str, str]) -> Headline:
    try:
        result = metrics_service.compute(org=org, surveys=surveys, question=question, metric=metric,
                                         start=today - timedelta(days=PERIOD_DAYS - 1), end=today, filters=filters)
    except metrics_service.MetricsError:  # no survey asks this question yet
        return Headline(_empty(metric), _empty(metric))
    item = result.items[0]
    return Headline(item.estimate, item.previous or _empty(metric))


def _trend(org: Organization, surveys: list[Survey], today: date) -> list[TrendPoint]:
    since = (today - timedelta(days=730)).replace(day=1)
    try:
        result = metrics_service.compute(org=org, surveys=surveys, question="nps", metric="nps", start=since,
                                         end=today, interval="month")
    except metrics_service.MetricsError:
        return []
    return [TrendPoint(item.period, item.estimate) for item in result.items if item.period and item.estimate.n]


def build(org: Organization, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    surveys = list(Survey.objects.filter(org=org))
    return Dashboard(
        nps=_headline(org, surveys, "nps", "nps", today, {}),
        csat_support=_headline(org, surveys, "csat", "csat", today, {"touchpoint": "support"}),
        responses_period=queries.response_count(org, since=now - timedelta(days=PERIOD_DAYS)),
        responses_total=queries.response_count(org),
        accounts=Account.objects.filter(org=org).count(),
        nps_trend=_trend(org, surveys, today),
        period_days=PERIOD_DAYS,
    )
