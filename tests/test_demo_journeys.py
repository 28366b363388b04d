"""The demo's two journey maps (issue 7, acceptance 1): two complete journeys (≥ 6 stages, ≥ 20 touchpoints,
every lane filled) with live metrics on every touchpoint; in months 18 and 19 the report-export touchpoint is the
low point of the emotion curve, and in the six months before it is not.

The low-point rule needs ten comments on a touchpoint in the month, more than the "tiny" demo gives, so these
tests read the shared demo at the size of the default demo ("small"; `small_demo` in conftest, generated once per
session; these tests run last).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from tests.conftest import SmallDemo

from cxloop.demo.journeys import EXPORT, TOUCHPOINTS
from cxloop.demo.timeline import DEFECT_MONTH, Timeline, build_timeline
from cxloop.journeys import live
from cxloop.journeys.models import Journey, Stage, Step, Touchpoint
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, Response, ResponseStatus
from cxloop.texts.models import CommentAnalysis

TODAY = date(2025, 6, 15)
SIZE = "small"
SEED = 42
LANES = ("actions", "frontstage", "backstage", "support", "opportunities")
LANGUAGES = ("zh-hans", "zh-hant", "en")


@dataclass(frozen=True)
class Demo:
    org: Organization
    timeline: Timeline
    journeys: list[Journey]


@pytest.fixture(scope="module")
def demo(small_demo: SmallDemo) -> Demo:
    assert small_demo.today == TODAY
    return Demo(org=small_demo.org, timeline=build_timeline(TODAY), journeys=list(Journey.objects.filter(
        org=small_demo.org)))


def _window(timeline: Timeline, month: int) -> tuple[date, date]:
    found = timeline.months[month - 1]
    return found.start, found.end


@pytest.mark.django_db
def test_two_complete_journeys(demo: Demo) -> None:
    assert len(demo.journeys) == 2
    for journey in demo.journeys:
        assert set(journey.name) == set(LANGUAGES) and journey.description
        assert journey.personas.exists()  # whose journey it is
        stages = list(Stage.objects.filter(journey=journey))
        assert len(stages) >= 6
        assert all(set(stage.name) == set(LANGUAGES) for stage in stages)
        steps = list(Step.objects.filter(stage__journey=journey).select_related("touchpoint"))
        assert len({s.touchpoint_id for s in steps}) >= 20
        assert all(stage.steps.exists() for stage in stages)
        for step in steps:
            assert all(getattr(step, lane).strip() for lane in LANES), (journey, step.touchpoint.key)
            assert step.target is not None and -1 <= step.target <= 1
    touchpoints = list(Touchpoint.objects.filter(org=demo.org).select_related("owner_team"))
    assert {t.key for t in touchpoints} == {t.key for t in TOUCHPOINTS}
    for touchpoint in touchpoints:
        assert set(touchpoint.name) == set(LANGUAGES) and touchpoint.description
        assert touchpoint.owner_team is not None and touchpoint.owner_team.org_id == demo.org.pk
    # Every response names one of the touchpoints, and every touchpoint is on a journey.
    named = set(Response.objects.filter(org=demo.org).values_list("touchpoint", flat=True).distinct())
    assert named == {t.key for t in touchpoints}
    assert set(Step.objects.filter(stage__journey__org=demo.org).values_list("touchpoint__key", flat=True)) == named


@pytest.mark.django_db
def test_every_touchpoint_has_live_metrics_and_filled_computed_lanes(demo: Demo) -> None:
    """Over the two years every step has responses, scores, comments (a positive and a negative quote),
    themes and at least one pain point."""
    timeline = demo.timeline
    for journey in demo.journeys:
        now = live.live(journey, timeline.start, timeline.last_day, "zh-hans")
        assert set(now.measures) == {"nps", "csat", "ces"}
        for step in now.steps:
            key = step.touchpoint.key
            assert step.volume > 0, key
            assert any(estimate.n for estimate in step.scores.values()), key
            assert step.sentiment.n >= 10 and step.sentiment.value is not None, key
            assert step.themes and step.pain_points, key
            labels = {q.label for q in step.quotes}
            assert {"positive", "negative"} <= labels, key


@pytest.mark.django_db
def test_export_responses_name_the_export_touchpoint(demo: Demo) -> None:
    responses = Response.objects.filter(org=demo.org)
    # Export tickets name the export touchpoint, unless their comment is about the service alone (the agent, the
    # speed): then the channel or step that served them.
    tickets = responses.filter(survey__kind="csat", embedded__category="export")
    assert tickets.filter(touchpoint=EXPORT).count() >= 0.6 * tickets.count() > 0
    served = set(tickets.exclude(touchpoint=EXPORT).values_list("touchpoint", flat=True).distinct())
    assert served <= {"phone_support", "online_chat", "email_ticket", "wechat_group", "remote_assist",
                      "ticket_closure", "onsite_support"}
    moved = tickets.exclude(touchpoint=EXPORT).filter(status=ResponseStatus.COMPLETE)
    commented = Answer.objects.filter(response__in=moved, number=None).exclude(text="").values("response").distinct()
    assert commented.count() == moved.count()  # only a comment can say it was about the service
    # Every comment that mentions export is on the export touchpoint.
    about_export = Answer.objects.filter(response__org=demo.org, text__regex=r"导出|匯出|導出|[Ee]xport")
    assert about_export.count() > 500
    assert set(about_export.values_list("response__touchpoint", flat=True).distinct()) == {EXPORT}


@pytest.mark.django_db
def test_export_is_the_low_point_in_months_18_and_19_and_not_before(demo: Demo) -> None:
    for journey in demo.journeys:
        lows: dict[int, str | None] = {}
        for month in range(DEFECT_MONTH - 6, DEFECT_MONTH + 2):
            start, end = _window(demo.timeline, month)
            now = live.live(journey, start, end, "en", quotes=0)
            low = next((s for s in now.steps if s.low_point), None)
            lows[month] = low.touchpoint.key if low is not None else None
        assert lows[DEFECT_MONTH] == lows[DEFECT_MONTH + 1] == EXPORT, (journey, lows)
        before = [lows[m] for m in range(DEFECT_MONTH - 6, DEFECT_MONTH)]
        assert EXPORT not in before, (journey, lows)
        assert all(before), (journey, lows)  # the curve has a low point every month, just not export


@pytest.mark.django_db
def test_comments_are_analysed_on_every_touchpoint(demo: Demo) -> None:
    analysed = set(CommentAnalysis.objects.filter(response__org=demo.org, response__status=ResponseStatus.COMPLETE)
                   .values_list("response__touchpoint", flat=True).distinct())
    assert analysed == {t.key for t in TOUCHPOINTS}
