"""The demo's behavioural events (issue 8, acceptance 2), computed with the product's own analytics on a generated
demo of the default size ("small", the size ``make demo`` loads): detractor accounts renew measurably less than
promoter accounts, the export task's failure rate rises in month 18 (the defect), and the onboarding funnel's
largest drop-off is at ``data_source_connected``. Also the events' shape: the documented vocabulary, volume,
one decision per account and renewal date, nothing after the history, no product use after churn.

They read the shared small demo (`small_demo` in conftest: generated once per session, these tests run last)."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests.conftest import SmallDemo

from cxloop.behaviour import funnels, loyalty, ux
from cxloop.behaviour.models import Event
from cxloop.core import metrics
from cxloop.demo.events import ONBOARDING
from cxloop.demo.timeline import DEFECT_MONTH, FIX_MONTH, Timeline, build_timeline
from cxloop.journeys.models import Journey
from cxloop.orgs.models import Organization

TODAY = date(2025, 6, 15)
SIZE = "small"
SEED = 42
VOCABULARY = {"signed_up", *ONBOARDING, "page_view", "feature_used", "session_started", "task_started",
              "task_completed", "task_failed", "error", "purchase", "renewed", "churned"}
TASKS = {"export_report", "build_dashboard", "create_survey", "share_link", "assign_case"}


@dataclass(frozen=True)
class Demo:
    org: Organization
    timeline: Timeline
    seconds: float


@pytest.fixture(scope="module")
def demo(small_demo: SmallDemo) -> Demo:
    assert small_demo.today == TODAY
    return Demo(org=small_demo.org, timeline=build_timeline(TODAY), seconds=small_demo.seconds)


def _scope(demo: Demo, **kwargs: Any) -> ux.Scope:
    return ux.Scope(demo.org, demo.timeline.start, demo.timeline.last_day, **kwargs)


# --- acceptance 2 -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_detractor_accounts_renew_measurably_less_than_promoter_accounts(demo: Demo) -> None:
    found = loyalty.loyalty(_scope(demo))
    assert 300 <= found.overall.decisions <= 600
    groups = {g.group: g.rates for g in found.groups}
    promoters, detractors = groups["promoter"], groups["detractor"]
    assert promoters.decisions >= 40 and detractors.decisions >= 40
    assert promoters.renewal.value is not None and detractors.renewal.value is not None
    assert promoters.renewal.value >= 0.82 and detractors.renewal.value <= 0.78
    verdict = found.verdict
    assert verdict is not None and verdict.significant
    assert verdict.comparison.p_value is not None and verdict.comparison.p_value < 0.01
    assert verdict.points is not None and verdict.points >= 10  # percentage points, promoters − detractors
    # The same with the plain counts and core.metrics.
    test = metrics.compare_proportions(metrics.Proportion(detractors.renewed, detractors.decisions),
                                       metrics.Proportion(promoters.renewed, promoters.decisions))
    assert test.significant and test.difference is not None and test.difference > 0


@pytest.mark.django_db
def test_export_failure_rate_rises_in_month_18_and_recovers_after_the_fix(demo: Demo) -> None:
    report = ux.task_report(_scope(demo, task="export_report"))
    (row,) = report.rows
    assert row.task == "export_report" and row.area == "reporting"
    months = row.months
    assert len(months) == 24
    rates = [m.failures / m.attempts for m in months]
    before = months[:DEFECT_MONTH - 1]
    assert all(m.attempts >= 30 for m in months[:-1])
    pooled = metrics.Proportion(sum(m.failures for m in before), sum(m.attempts for m in before))
    assert 0.02 <= pooled.successes / pooled.n <= 0.07  # about 4 % normally
    defect = months[DEFECT_MONTH - 1]
    test = metrics.compare_proportions(pooled, metrics.Proportion(defect.failures, defect.attempts))
    assert test.significant and test.p_value is not None and test.p_value < 1e-6
    assert 0.15 <= rates[DEFECT_MONTH - 1] <= 0.4 and 0.15 <= rates[DEFECT_MONTH] <= 0.45
    # the page's own rule: a rise in month 18 (99 % against the three months before), none in the months before
    assert defect.rise
    assert not any(m.rise for m in months[3:DEFECT_MONTH - 1])
    # back to normal after the fix
    after = months[FIX_MONTH:]
    assert sum(m.failures for m in after) / sum(m.attempts for m in after) < 0.07


@pytest.mark.django_db
def test_onboarding_funnel_loses_most_people_at_data_source_connected(demo: Demo) -> None:
    steps = [funnels.StepDef(event=name) for name in ONBOARDING]
    result = funnels.compute(demo.org, steps, demo.timeline.start, demo.timeline.last_day)
    reached = [f.reached for f in result.figures]
    assert reached[0] >= 300 and all(a >= b for a, b in itertools.pairwise(reached))
    biggest = result.biggest_drop
    assert biggest is not None and ONBOARDING[biggest.index] == "data_source_connected"
    lost = [reached[i - 1] - reached[i] for i in range(1, len(reached))]
    assert max(lost) == lost[ONBOARDING.index("data_source_connected") - 1]
    # still most of the starters reach the step before it
    assert result.figures[1].from_previous is not None and (result.figures[1].from_previous.value or 0) > 0.8


# --- the journeys' stages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_stage_of_both_journeys_has_people(demo: Demo) -> None:
    for journey in Journey.objects.filter(org=demo.org):
        steps = funnels.journey_steps(journey)
        result = funnels.compute(demo.org, steps, demo.timeline.start, demo.timeline.last_day, window_days=365)
        reached = [f.reached for f in result.figures]
        assert all(n > 0 for n in reached), (journey.name, reached)
        assert reached[0] > 10 * reached[-1]  # a funnel, not a pipe


# --- shape -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_volume_vocabulary_and_time(demo: Demo) -> None:
    events = Event.objects.filter(org=demo.org)
    total = events.count()
    assert 120_000 <= total <= 300_000
    names = Counter(events.values_list("name", flat=True))
    assert set(names) == VOCABULARY
    assert set(events.values_list("source", flat=True).distinct()) == {"demo"}
    first = timezone.localtime(events.order_by("at").first().at).date()  # type: ignore[union-attr]
    last = timezone.localtime(events.order_by("-at").first().at).date()  # type: ignore[union-attr]
    assert demo.timeline.start <= first and last <= demo.timeline.last_day
    tasks = set(events.filter(name="task_started").values_list("properties__task", flat=True).distinct())
    assert tasks == TASKS
    for props in events.filter(name__in=("task_completed", "task_failed")).values_list("properties", flat=True)[:2000]:
        assert props["task"] in TASKS and props["area"] and props["duration_ms"] > 0
    for props in events.filter(name="purchase").values_list("properties", flat=True):
        assert props["amount"] > 0 and props["currency"] == "CNY" and props["order_id"].startswith("ORD-")
    # people: a contact's id, or an anonymous id's negative number
    assert not events.filter(contact__isnull=False, person__lt=0).exists()
    assert not events.filter(contact__isnull=True, anonymous_id="").exists()
    assert events.filter(name="signed_up", contact__isnull=True).count() > 200  # trials that never bought


@pytest.mark.django_db
def test_one_decision_per_account_and_renewal_date_and_none_after_churn(demo: Demo) -> None:
    decisions = list(Event.objects.filter(org=demo.org, name__in=("renewed", "churned"))
                     .order_by("at", "pk").values_list("account_id", "at", "name", "properties", "contact_id"))
    days = Counter((a, timezone.localtime(at).date()) for a, at, _n, _p, _c in decisions)
    assert max(days.values()) == 1
    churned: dict[int, datetime] = {}
    for account, at, name, props, contact in decisions:
        assert account is not None and contact is not None
        assert props["arr"] > 0 and props["term_months"] == 12
        assert account not in churned  # nothing after a churn
        if name == "churned":
            churned[account] = at
    assert len(churned) >= 30
    # a churned account's people stop using the product
    for account, at in list(churned.items())[:40]:
        after = Event.objects.filter(org=demo.org, account_id=account, name="session_started",
                                     at__gt=at + timedelta(days=1))
        assert not after.exists()


@pytest.mark.django_db
def test_generation_stays_fast(demo: Demo) -> None:
    # the whole small demo, events included, within a few minutes even on a loaded machine
    assert demo.seconds < 300

