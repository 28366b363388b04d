"""Journeys (issue 7): touchpoints, journeys, stages and steps edited through the services (validation names the
field, order stays dense, moves are swaps), and the live numbers of a journey for a period — volume, NPS with
its interval, mean sentiment (the emotion curve) and its low point, themes and pain points, open cases and SLA
attainment, quotes — checked against ``core.metrics`` on constructed data; the map as SVG."""

from __future__ import annotations

import xml.dom.minidom
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from cxloop.cases.models import Case
from cxloop.core import metrics
from cxloop.core.journey_svg import MapStage, MapStep, render
from cxloop.journeys import live
from cxloop.journeys import services as journeys
from cxloop.journeys.models import Step
from cxloop.surveys import services
from cxloop.texts import services as texts

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "Touchpoint pulse", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}


def _at(day: date, i: int) -> datetime:
    return datetime(day.year, day.month, day.day, 10, i % 60, tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def journey(tenant_a: Any) -> Any:
    org = tenant_a.org
    tp = {key: journeys.save_touchpoint(org=org, key=key, name={"zh-hans": zh, "en": en}, channel=channel,
                                        owner_team=tenant_a.team)
          for key, zh, en, channel in (("website", "官网", "Website", "web"), ("demo", "产品演示", "Demo", "sales"),
                                       ("export", "报表导出", "Report export", "app"),
                                       ("support", "技术支持", "Support", "phone"))}
    j = journeys.save_journey(org=org, name={"zh-hans": "采购到续约", "en": "Purchase to renewal"})
    evaluate = journeys.add_stage(journey=j, name={"zh-hans": "评估", "en": "Evaluation"})
    use = journeys.add_stage(journey=j, name={"zh-hans": "使用", "en": "Adoption"})
    journeys.add_step(stage=evaluate, touchpoint=tp["website"], lanes={"actions": "Reads the pricing page"})
    journeys.add_step(stage=evaluate, touchpoint=tp["demo"], target=0.6)
    journeys.add_step(stage=use, touchpoint=tp["export"], lanes={"backstage": "Report service"}, target=0.4)
    journeys.add_step(stage=use, touchpoint=tp["support"])
    return j


def _record(tenant: Any, rows: list[tuple[str, int, str]], day: date) -> list[int]:
    survey = services.create_survey(org=tenant.org, name=f"Pulse {day}", definition=DEFINITION)
    services.publish(survey=survey)
    items = [services.BatchItem(services.Submission(answers={"nps": score, "why": text}, touchpoint=tp,
                                                    language="zh-hans", submitted_at=_at(day, i)))
             for i, (tp, score, text) in enumerate(rows)]
    results = services.record_batch(survey=survey, items=items)
    assert all(isinstance(r, services.Recorded) for r in results)
    texts.analyse_all(tenant.org)
    return [int(r.response_id) for r in results if isinstance(r, services.Recorded) and r.response_id]


# --- editing --------------------------------------------------------------------------------------------


def test_validation_names_the_field(tenant_a: Any, tenant_b: Any) -> None:
    org = tenant_a.org
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.save_touchpoint(org=org, key="Not A Key", name="x")
    assert bad.value.field == "key"
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.save_touchpoint(org=org, key="ok", name={"fr": "x"})
    assert bad.value.field == "name.fr"
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.save_touchpoint(org=org, key="ok", name="x", channel="pigeon")
    assert bad.value.field == "channel"
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.save_touchpoint(org=org, key="ok", name="x", owner_team=tenant_b.team)
    assert bad.value.field == "owner_team" and bad.value.status == 404
    journeys.save_touchpoint(org=org, key="ok", name="x")
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.save_touchpoint(org=org, key="ok", name="y")
    assert bad.value.status == 409
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.save_journey(org=org, name={"en": "  "})
    assert bad.value.field == "name"
    other = journeys.save_touchpoint(org=tenant_b.org, key="theirs", name="x")
    j = journeys.save_journey(org=org, name="J")
    stage = journeys.add_stage(journey=j, name="S")
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.add_step(stage=stage, touchpoint=other)
    assert bad.value.status == 404
    with pytest.raises(journeys.JourneyError) as bad:
        journeys.add_step(stage=stage, touchpoint=journeys.save_touchpoint(org=org, key="t2", name="t"), target=2)
    assert bad.value.field == "target"
    assert not Step.objects.filter(stage=stage).exists()  # nothing half-written


def test_order_stays_dense_and_moves_swap(journey: Any) -> None:
    stages = list(journey.stages.order_by("position"))
    assert [s.position for s in stages] == [0, 1]
    journeys.move_stage(stage=stages[1], delta=-1)
    assert [s.name["en"] for s in journey.stages.order_by("position")] == ["Adoption", "Evaluation"]
    with pytest.raises(journeys.JourneyError):
        journeys.move_stage(stage=stages[1], delta=-1)  # already first
    evaluation, adoption = stages
    steps = list(evaluation.steps.order_by("position"))
    journeys.move_step(step=steps[1], delta=-1)
    assert [s.touchpoint.key for s in evaluation.steps.order_by("position")] == ["demo", "website"]
    journeys.move_step_to(step=steps[0], stage=adoption)  # website to the end of Adoption
    assert [(s.touchpoint.key, s.position) for s in adoption.steps.order_by("position")] == [
        ("export", 0), ("support", 1), ("website", 2)]
    assert [(s.touchpoint.key, s.position) for s in evaluation.steps.order_by("position")] == [("demo", 0)]
    journeys.delete_stage(stage=adoption)
    assert [s.position for s in journey.stages.all()] == [0]
    with pytest.raises(journeys.JourneyError) as used:
        journeys.delete_touchpoint(touchpoint=evaluation.steps.get().touchpoint)
    assert used.value.status == 409


def test_owner_team_of_a_touchpoint(journey: Any, tenant_a: Any) -> None:
    assert journeys.owner_team(tenant_a.org, "export") == tenant_a.team
    assert journeys.owner_team(tenant_a.org, "nowhere") is None


# --- live numbers ---------------------------------------------------------------------------------------


def test_live_numbers_match_the_formulas(journey: Any, tenant_a: Any) -> None:
    day = date(2026, 5, 12)
    rows = ([("export", 2, "导出报表一直失败，太失望了")] * 12 + [("export", 9, "导出很方便，非常满意")] * 3
            + [("website", 9, "官网介绍很清楚，很满意")] * 10 + [("website", 5, "官网的价格说明有点乱")] * 2
            + [("support", 10, "客服回复很快，态度很好")] * 11)
    ids = _record(tenant_a, rows, day)
    _record(tenant_a, [("export", 0, "导出失败")] * 5, date(2026, 2, 1))  # outside the period
    export_ids = ids[:15]
    Case.objects.create(org=tenant_a.org, number=1, title="Export fails", response_id=export_ids[0],
                        status="new")
    Case.objects.create(org=tenant_a.org, number=2, title="Export fails", response_id=export_ids[1],
                        status="resolved", resolved_at=_at(day, 1) + timedelta(hours=3),
                        resolve_due=_at(day, 1) + timedelta(hours=8))
    Case.objects.create(org=tenant_a.org, number=3, title="Export fails", response_id=export_ids[2],
                        status="closed", resolved_at=_at(day, 2) + timedelta(days=3),
                        resolve_due=_at(day, 2) + timedelta(hours=8))

    j = live.live(journey, date(2026, 5, 1), date(2026, 5, 31), "en")
    assert [s.label for s in j.stages] == ["Evaluation", "Adoption"]
    by = {s.touchpoint.key: s for s in j.steps}
    export, website, demo = by["export"], by["website"], by["demo"]
    assert export.volume == 15 and website.volume == 12 and demo.volume == 0
    nps = metrics.nps(metrics.NpsCounts(promoters=3, passives=0, detractors=12))
    assert (export.scores["nps"].value, export.scores["nps"].low, export.scores["nps"].high) == pytest.approx(
        (nps.value, nps.low, nps.high))
    scores = [a.sentiment_score for a in texts.themes_of(export_ids).values()]
    mean = metrics.mean(scores)
    assert (export.sentiment.value, export.sentiment.low, export.sentiment.high) == pytest.approx(
        (mean.value, mean.low, mean.high))
    assert export.low_point and not website.low_point and not by["support"].low_point
    assert demo.sentiment.value is None and demo.sentiment.n == 0
    assert export.themes[0].key == "product/export" and export.themes[0].count == 15
    pains = {p.key: p.count for p in export.pain_points}
    assert pains["product/export"] == 12 and pains["product/bugs"] == 12  # "导出…一直失败" is both; ties by key
    assert export.open_cases == 1
    sla = metrics.wilson(1, 2, scale=100.0)
    assert export.sla.value == pytest.approx(sla.value) and export.sla.n == 2
    labels = {q.label for q in export.quotes}
    assert labels == {"negative", "positive"} and all(q.text for q in export.quotes)
    assert j.measures == ("nps",)


def test_low_point_needs_enough_comments_and_periods_compare(journey: Any, tenant_a: Any) -> None:
    _record(tenant_a, [("export", 3, "导出失败了")] * 4 + [("website", 9, "官网很清楚，满意")] * 12
            + [("support", 6, "客服回复有点慢")] * 12, date(2026, 5, 3))
    _record(tenant_a, [("website", 9, "官网很清楚，满意")] * 12 + [("support", 9, "客服很好，很满意")] * 12,
            date(2026, 4, 3))
    may = live.live(journey, date(2026, 5, 1), date(2026, 5, 31), "zh-hans")
    by = {s.touchpoint.key: s for s in may.steps}
    assert not by["export"].low_point  # 4 comments: too few to be the low point
    assert by["support"].low_point
    april = live.live(journey, date(2026, 4, 1), date(2026, 4, 30), "zh-hans")
    changes = {c.step.touchpoint.key: c.change for c in live.compare(may, april)}
    support_may = metrics.MeanSummary.from_values(
        a.sentiment_score for a in texts.themes_of(
            _ids(tenant_a, "support", date(2026, 5, 1))).values())
    support_april = metrics.MeanSummary.from_values(
        a.sentiment_score for a in texts.themes_of(
            _ids(tenant_a, "support", date(2026, 4, 1))).values())
    expected = metrics.compare_means(support_april, support_may)
    assert changes["support"].difference == pytest.approx(expected.difference)
    assert changes["support"].p_value == pytest.approx(expected.p_value)
    assert changes["demo"].p_value is None


def _ids(tenant: Any, touchpoint: str, month: date) -> list[int]:
    from cxloop.surveys.models import Response

    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return list(Response.objects.filter(org=tenant.org, touchpoint=touchpoint, submitted_at__date__gte=month,
                                        submitted_at__date__lt=end).values_list("pk", flat=True))


def test_another_organisation_sees_nothing_of_this_journey(journey: Any, tenant_a: Any, tenant_b: Any) -> None:
    _record(tenant_b, [("export", 0, "导出失败")] * 12, date(2026, 5, 3))  # same key, other organisation
    j = live.live(journey, date(2026, 5, 1), date(2026, 5, 31), "en")
    assert all(s.volume == 0 and s.sentiment.n == 0 for s in j.steps)


# --- the map as SVG -------------------------------------------------------------------------------------


def test_map_svg_is_valid_escaped_and_names_every_stage() -> None:
    svg = render("A <b>&</b> journey", [
        MapStage("认知 <Awareness>", [MapStep("官网", 0.4, 0.2, 0.6, 0.5, 30)]),
        MapStage("使用", [MapStep("报表导出", -0.6, -0.7, -0.5, 0.3, 80, low_point=True), MapStep("客服", None)]),
    ], low_label="最低点")
    doc = xml.dom.minidom.parseString(svg)  # noqa: S318 (our own output)
    text = " ".join(t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild)
    assert "认知 <Awareness>" in text and "使用" in text and "报表导出" in text and "最低点" in text
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "script" not in svg
