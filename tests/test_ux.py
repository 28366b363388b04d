"""Issue 8: UX metrics from behavioural events against hand computations (both backends): task success
(adjusted-Wald), abandonment, time on task (geometric mean and its interval on the log times), error rate, the
failure rate's monthly rise, page views, DAU / WAU / MAU and stickiness, feature adoption, SUS and UMUX-Lite from
the surveys, the HEART scorecard; and ``GET /api/v1/metrics/ux`` with its errors and tenancy."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

Z95 = 1.959963984540054
T975 = {2: 4.302652729911275, 5: 2.570581835636314, 3: 3.182446305284263, 9: 2.262157162798205}


# --- helpers (also used by test_retention, test_loyalty and test_browser_ux) --------------------------------


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE))


def ev(name: str, when: datetime, who: str = "p1", *, contact: str = "", account: str = "", touchpoint: str = "",
       **props: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"event": name, "timestamp": when.isoformat(), "properties": props}
    if contact:
        item["contact"] = contact
    else:
        item["anonymous_id"] = who
    if account:
        item["account"] = account
    if touchpoint:
        item["touchpoint"] = touchpoint
    return item


def store(org: Any, items: list[dict[str, Any]]) -> None:
    from cxloop.behaviour import ingest

    for start in range(0, len(items), 1000):
        result = ingest.ingest(org, items[start:start + 1000], source="import")
        assert not result.rejected, [r.as_dict() for r in result.rejected]


def hand_adjusted_wald(x: int, n: int) -> tuple[float, float, float]:
    n_adj = n + Z95 ** 2
    p_adj = (x + Z95 ** 2 / 2) / n_adj
    half = Z95 * math.sqrt(p_adj * (1 - p_adj) / n_adj)
    return x / n, max(0.0, p_adj - half), min(1.0, p_adj + half)


def hand_wilson(x: int, n: int) -> tuple[float, float, float]:
    p = x / n
    denom = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / denom
    return p, (0.0 if x == 0 else centre - half), (1.0 if x == n else centre + half)


def close(e: Any, expected: tuple[float, float, float], tol: float = 1e-9) -> None:
    assert e.value == pytest.approx(expected[0], abs=tol)
    assert e.low == pytest.approx(expected[1], abs=tol)
    assert e.high == pytest.approx(expected[2], abs=tol)


def scope(org: Any, start: date, end: date, **kw: Any) -> Any:
    from cxloop.behaviour import ux

    return ux.check_scope(org, start, end, **kw)


MARCH = (date(2025, 3, 1), date(2025, 3, 31))


# --- tasks ----------------------------------------------------------------------------------------------------


def _task_events() -> list[dict[str, Any]]:
    d = date(2025, 3, 10)
    items = []
    for i in range(10):
        items.append(ev("task_started", at(d, 9, i), f"u{i}", task="export_report", area="reporting"))
    for i, seconds in enumerate((10, 20, 40, 10, 20, 40)):
        items.append(ev("task_completed", at(d, 10, i), f"u{i}", task="export_report", area="reporting",
                        duration_ms=seconds * 1000))
    items.append(ev("task_completed", at(d, 10, 30), "u8", task="export_report", area="reporting",
                    duration_ms="slow"))  # counted as a completion, not timed
    for i in (6, 7):
        items.append(ev("task_failed", at(d, 11, i), f"u{i}", task="export_report", area="reporting",
                        duration_ms=5000))
    for i in range(3):
        items.append(ev("error", at(d, 11, 20 + i), f"u{i}", code="E500", area="reporting", task="export_report"))
    items.append(ev("error", at(d, 11, 40), "u1", code="E404", area="reporting"))  # names no task
    # outside the range: not counted
    items.append(ev("task_started", at(date(2025, 4, 2)), "u1", task="export_report", area="reporting"))
    # another task in another area
    items += [ev("task_started", at(d, 12), "v1", task="share_link", area="dashboards"),
              ev("task_completed", at(d, 12, 5), "v1", task="share_link", area="dashboards", duration_ms=3000)]
    return items


def test_task_metrics_against_hand_computations(tenant_a: Any) -> None:
    from cxloop.behaviour import ux

    store(tenant_a.org, _task_events())
    report = ux.task_report(scope(tenant_a.org, *MARCH))
    export = next(r for r in report.rows if r.task == "export_report")
    assert (export.starts, export.completions, export.failures, export.errors) == (10, 7, 2, 3)
    assert export.area == "reporting"
    close(export.success, hand_adjusted_wald(7, 9))  # completed / (completed + failed)
    close(export.abandonment, hand_adjusted_wald(3, 10))  # 1 − 7/10
    close(export.error_rate, hand_adjusted_wald(3, 10))  # 3 errors naming the task per 10 starts
    # time on task: 10, 20, 40, 10, 20, 40 s → logs mean ln 20, SD of the logs ln 2·√(4/5), t(0.975, 5)
    gm = export.time_on_task
    assert gm.n == 6
    sd = math.log(2) * math.sqrt(4 / 5)
    half = T975[5] * sd / math.sqrt(6)
    assert gm.value == pytest.approx(20.0)
    assert gm.low == pytest.approx(20 * math.exp(-half))
    assert gm.high == pytest.approx(20 * math.exp(half))
    assert gm.low == pytest.approx(10.434, abs=1e-3) and gm.high == pytest.approx(38.334, abs=1e-3)
    share = next(r for r in report.rows if r.task == "share_link")
    assert share.time_on_task.value == pytest.approx(3.0) and share.time_on_task.low is None  # n = 1: no interval
    # the task and area filters
    only = ux.task_report(scope(tenant_a.org, *MARCH, task="share_link"))
    assert [r.task for r in only.rows] == ["share_link"]
    dashboards = ux.task_report(scope(tenant_a.org, *MARCH, area="dashboards"))
    assert [r.task for r in dashboards.rows] == ["share_link"]


def test_geometric_mean_of_three_times_by_hand(tenant_a: Any) -> None:
    """10, 20, 40 s: the geometric mean 20 s; s of the logs = ln 2; t(0.975, 2) = 4.3027."""
    from cxloop.behaviour import ux

    d = date(2025, 3, 3)
    store(tenant_a.org, [ev("task_completed", at(d, 9, i), f"g{i}", task="t", duration_ms=s * 1000)
                         for i, s in enumerate((10, 20, 40))])
    e = ux.task_report(scope(tenant_a.org, *MARCH)).rows[0].time_on_task
    half = T975[2] * math.log(2) / math.sqrt(3)
    assert (e.value, e.low, e.high) == pytest.approx((20.0, 20 / math.exp(half), 20 * math.exp(half)))


def test_a_month_of_failures_rises_above_its_baseline(tenant_a: Any) -> None:
    """Four months with 1 failure in 20 attempts, then 12 in 20: only the last month is a rise, tested against
    the pooled three months before it (3/60) with the N − 1 two-proportion test at 99 %."""
    from cxloop.behaviour import ux
    from cxloop.core import metrics

    items = []
    for month, failures in ((1, 1), (2, 1), (3, 1), (4, 1), (5, 12)):
        d = date(2025, month, 12)
        for i in range(20):
            name = "task_failed" if i < failures else "task_completed"
            items.append(ev("task_started", at(d, 9, i), f"m{month}-{i}", task="export_report", area="reporting"))
            items.append(ev(name, at(d, 10, i), f"m{month}-{i}", task="export_report", area="reporting",
                            duration_ms=30000))
    store(tenant_a.org, items)
    # February to May: January is part of February's baseline (the three months before), not shown
    report = ux.task_report(scope(tenant_a.org, date(2025, 2, 1), date(2025, 5, 31)))
    row = report.rows[0]
    assert [m.month for m in row.months] == [date(2025, m, 1) for m in (2, 3, 4, 5)]
    assert [m.rise for m in row.months] == [False, False, False, True]
    may = row.months[-1]
    expected = metrics.compare_proportions(metrics.Proportion(3, 60, 100.0), metrics.Proportion(12, 20, 100.0),
                                           confidence=0.99)
    assert may.baseline is not None
    assert may.baseline.difference == pytest.approx(60 - 5)
    assert may.baseline.p_value == pytest.approx(expected.p_value)
    close(may.failure_rate, hand_adjusted_wald(12, 20))
    assert row.months[1].baseline is not None  # March: January and February as baseline (2/40)
    assert [m.month for m in row.rises] == [date(2025, 5, 1)]


# --- usage, page views, features -------------------------------------------------------------------------------


def test_dau_wau_mau_and_stickiness(tenant_a: Any) -> None:
    from cxloop.behaviour import ux

    end = date(2025, 3, 31)
    store(tenant_a.org, [
        ev("session_started", at(end), "a"), ev("page_view", at(end, 11), "a", path="/reports"),
        ev("session_started", at(end - timedelta(days=1)), "a"),
        ev("session_started", at(end - timedelta(days=4)), "b"),  # in the 7 days
        ev("session_started", at(end - timedelta(days=29)), "c"),  # the 30th day back: in MAU
        ev("session_started", at(end - timedelta(days=30)), "d"),  # one day too early for MAU
        ev("session_started", at(date(2025, 1, 15)), "e"),
    ])
    use = ux.usage(scope(tenant_a.org, date(2025, 1, 1), end))
    assert (use.dau, use.wau, use.mau) == (1, 2, 3)
    # person-days in the 30 days: a on two days, b and c on one → 4; mean DAU 4/30; stickiness (4/30)/3
    assert use.mean_dau == pytest.approx(4 / 30)
    assert use.stickiness == pytest.approx(4 / 30 / 3)
    assert use.active == 5
    assert [(m.month.month, m.active) for m in use.monthly] == [(1, 1), (2, 0), (3, 4)]


def test_usage_of_a_range_to_today_ends_yesterday(tenant_a: Any) -> None:
    """Today is not over: DAU of a range running to today is yesterday's."""
    from cxloop.analytics.metrics_service import local_today
    from cxloop.behaviour import ux

    today = local_today()
    yesterday = today - timedelta(days=1)
    store(tenant_a.org, [ev("session_started", at(yesterday), "y1"), ev("session_started", at(yesterday, 11), "y2")])
    use = ux.usage(scope(tenant_a.org, today - timedelta(days=40), today))
    assert (use.on, use.dau, use.wau, use.mau) == (yesterday, 2, 2, 2)


def test_page_views_and_feature_adoption(tenant_a: Any) -> None:
    from cxloop.behaviour import ux

    d = date(2025, 3, 5)
    items = [ev("page_view", at(d, 9, i), f"p{i % 3}", path="/reports" if i < 5 else "/home") for i in range(8)]
    items += [ev("feature_used", at(d, 10, i), f"p{i}", feature="scheduled_export", area="reporting")
              for i in range(2)]
    items += [ev("feature_used", at(d, 11), "p0", feature="scheduled_export", area="reporting"),
              ev("feature_used", at(d, 11, 5), "p1", feature="filters", area="dashboards"),
              ev("session_started", at(d, 12), "p3")]
    store(tenant_a.org, items)
    s = scope(tenant_a.org, *MARCH)
    views = ux.page_views(s)
    assert (views.views, views.people) == (8, 3)
    assert [(p.path, p.views, p.people) for p in views.top] == [("/reports", 5, 3), ("/home", 3, 3)]
    use = ux.usage(s)
    assert use.active == 4
    rows = ux.feature_adoption(s, use.active)
    assert [(r.feature, r.area, r.people, r.uses) for r in rows] == [("scheduled_export", "reporting", 2, 3),
                                                                     ("filters", "dashboards", 1, 1)]
    close(rows[0].adoption, hand_wilson(2, 4))


# --- surveys: SUS, UMUX-Lite, CSAT at touchpoints -------------------------------------------------------------

CSAT = {"title": {"en": "CSAT"}, "default_language": "en", "languages": ["en"],
        "pages": [{"key": "p1", "questions": [{"key": "csat", "type": "csat", "text": {"en": "Satisfied?"}}]}]}


def record(org: Any, definition: dict[str, Any], rows: list[tuple[dict[str, Any], str, datetime, str]],
           name: str = "Pulse") -> Any:
    """Responses: (answers, touchpoint, submitted at, contact external id or "")."""
    from cxloop.surveys import services

    survey = services.create_survey(org=org, name=name, definition=definition)
    services.publish(survey=survey)
    items = [services.BatchItem(services.Submission(
        answers=answers, touchpoint=tp, submitted_at=when, language="en",
        contact={"external_id": who} if who else None)) for answers, tp, when, who in rows]
    results = services.record_batch(survey=survey, items=items)
    assert all(isinstance(r, services.Recorded) for r in results), results
    return survey


def test_sus_and_umux_lite_from_the_surveys(tenant_a: Any) -> None:
    from cxloop.behaviour import ux
    from cxloop.core import survey_templates

    when = at(date(2025, 3, 8))
    # SUS: all 4s on odd items and 2s on even → 3·5 + 3·5 = 30 × 2.5 = 75; all 3s → 50; best → 100
    answers = [{f"q{i}": (4 if i % 2 else 2) for i in range(1, 11)}, {f"q{i}": 3 for i in range(1, 11)},
               {f"q{i}": (5 if i % 2 else 1) for i in range(1, 11)}]
    record(tenant_a.org, survey_templates.template("sus"), [({"sus": a}, "", when, "") for a in answers], "SUS")
    pairs = [(7, 7), (4, 4)]  # 100 and 50
    record(tenant_a.org, survey_templates.template("umux_lite"),
           [({"umux_lite": {"capabilities": a, "ease": b}}, "", when, "") for a, b in pairs], "UMUX")
    u = ux.usability(tenant_a.org, *MARCH)
    assert u.sus is not None and u.sus.mean.n == 3
    assert u.sus.mean.value == pytest.approx(75.0)
    sd = 25.0  # 75, 50, 100
    assert u.sus.mean.low == pytest.approx(75 - T975[2] * sd / math.sqrt(3))
    assert u.sus.grade == "B"
    assert u.umux is not None and u.umux.value == pytest.approx(75.0)
    assert u.umux_sus == pytest.approx(0.65 * 75 + 22.9)
    assert ux.usability(tenant_a.org, date(2025, 4, 1), date(2025, 4, 30)).sus is None


def _heart_data(org: Any) -> None:
    march, feb = date(2025, 3, 10), date(2025, 2, 10)
    items = []
    # reporting: a, b, c in February; a, b, d in March (a, b came back); e only elsewhere
    for who in ("a", "b", "c"):
        items.append(ev("feature_used", at(feb), who, touchpoint="report_export", feature="export", area="reporting"))
    for who, n in (("a", 3), ("b", 1), ("d", 2)):
        for i in range(n):
            items.append(ev("feature_used", at(march, 9, i), who, touchpoint="report_export", feature="export",
                            area="reporting"))
    items.append(ev("task_completed", at(march, 12), "a", touchpoint="report_export", task="export_report",
                    area="reporting", duration_ms=1000))
    items.append(ev("task_failed", at(march, 12, 5), "b", touchpoint="report_export", task="export_report",
                    area="reporting", duration_ms=1000))
    items.append(ev("feature_used", at(march), "e", touchpoint="dashboard_view", feature="filters", area="dashboards"))
    store(org, items)


def test_heart_scorecard_per_area_by_hand(tenant_a: Any) -> None:
    from cxloop.behaviour import ux

    _heart_data(tenant_a.org)
    when = at(date(2025, 3, 12))
    # CSAT at the reporting area's touchpoint: 8 of 10 answer 4 or 5; elsewhere 1 of 2
    record(tenant_a.org, CSAT, [({"csat": 5 if i < 8 else 2}, "report_export", when, "") for i in range(10)]
           + [({"csat": 5 if i < 1 else 1}, "dashboard_view", when, "") for i in range(2)]
           + [({"csat": 1}, "billing", when, "")])  # no area's touchpoint: in no card
    h = ux.heart(scope(tenant_a.org, *MARCH), measure="csat",
                 targets={"adoption": 0.5, "task_success": 0.99, "happiness": 50.0})
    assert h.active == 4  # a, b, d, e in March
    by = {a.card.area: a for a in h.areas}
    assert list(by) == ["reporting", "dashboards"]  # most people first
    rep = by["reporting"]
    assert rep.touchpoints == ["report_export"] and rep.people == 3
    close(rep.card.happiness, tuple(100 * x for x in hand_wilson(8, 10)))  # CSAT in percent
    close(rep.card.adoption, hand_wilson(3, 4))
    close(rep.card.retention, hand_wilson(2, 3))  # a and b of a, b, c came back
    close(rep.card.task_success, hand_adjusted_wald(1, 2))
    # engagement: events per person per week over 31 days: a 4 (3 uses + 1 task), b 2, d 2
    weeks = 31 / 7
    values = [4 / weeks, 2 / weeks, 2 / weeks]
    mean = sum(values) / 3
    assert rep.card.engagement.value == pytest.approx(mean)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 2)
    assert rep.card.engagement.high == pytest.approx(mean + T975[2] * sd / math.sqrt(3))
    assert rep.card.grades["adoption"] == "unclear"  # 0.5 inside the interval
    assert rep.card.grades["task_success"] == "missed"  # 1 of 2: the interval ends near 0.9 < 0.99
    assert rep.card.grades["happiness"] == "unclear"  # 50 inside the Wilson interval of 8/10
    dash = by["dashboards"]
    assert dash.card.retention is None and dash.card.task_success is None  # nobody before; no attempts
    close(dash.card.happiness, tuple(100 * x for x in hand_wilson(1, 2)))
    # the area filter keeps one card; usage (the base of adoption) stays product-wide
    only = ux.heart(scope(tenant_a.org, *MARCH, area="dashboards"))
    assert [a.card.area for a in only.areas] == ["dashboards"] and only.active == 4
    assert ux.usage(scope(tenant_a.org, *MARCH, area="dashboards")).active == 4
    close(only.areas[0].card.adoption, hand_wilson(1, 4))


def test_heart_happiness_as_nps_and_sus(tenant_a: Any) -> None:
    from cxloop.behaviour import ux
    from cxloop.core import survey_templates

    _heart_data(tenant_a.org)
    when = at(date(2025, 3, 12))
    nps = {"title": {"en": "NPS"}, "default_language": "en", "languages": ["en"],
           "pages": [{"key": "p1", "questions": [{"key": "nps", "type": "nps", "text": {"en": "Recommend?"}}]}]}
    record(tenant_a.org, nps, [({"nps": s}, "report_export", when, "") for s in (10, 10, 9, 3)], "NPS")
    record(tenant_a.org, survey_templates.template("sus"),
           [({"sus": {f"q{i}": 3 for i in range(1, 11)}}, "report_export", when, "")], "SUS")
    by = {a.card.area: a.card for a in ux.heart(scope(tenant_a.org, *MARCH), measure="nps").areas}
    assert by["reporting"].happiness.value == pytest.approx(100 * (3 - 1) / 4)
    by = {a.card.area: a.card for a in ux.heart(scope(tenant_a.org, *MARCH), measure="sus").areas}
    assert by["reporting"].happiness.value == pytest.approx(50.0)
    assert by["dashboards"].happiness is None


def test_segment_keeps_its_members_events(tenant_a: Any) -> None:
    from cxloop.behaviour import ux
    from cxloop.customers.models import Contact
    from cxloop.segments.models import Segment

    Contact.objects.create(org=tenant_a.org, external_id="VIP-1", name="V", attributes={"vip": True})
    Contact.objects.create(org=tenant_a.org, external_id="REG-1", name="R", attributes={"vip": False})
    d = date(2025, 3, 3)
    store(tenant_a.org, [
        ev("task_started", at(d), contact="VIP-1", task="t"),
        ev("task_completed", at(d, 11), contact="VIP-1", task="t"),
        ev("task_started", at(d), contact="REG-1", task="t"), ev("task_failed", at(d, 11), contact="REG-1", task="t"),
        ev("task_started", at(d), "anon", task="t")])
    vip = Segment.objects.create(org=tenant_a.org, name={"en": "VIP"},
                                 definition={"field": "contact.attributes.vip", "op": "=", "value": True})
    rows = ux.task_report(scope(tenant_a.org, *MARCH, segment=vip.pk)).rows
    assert [(r.starts, r.completions, r.failures) for r in rows] == [(1, 1, 0)]
    assert [(r.starts, r.completions, r.failures) for r in ux.task_report(scope(tenant_a.org, *MARCH)).rows] == [
        (3, 1, 1)]


# --- the API -----------------------------------------------------------------------------------------------------


def test_ux_api_for_a_viewer_and_its_errors(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    from cxloop.segments.models import Segment

    store(tenant_a.org, _task_events())
    key = tenant_a.keys["viewer"]
    r = api_client.call("GET", "/api/v1/metrics/ux?from=2025-03-01&to=2025-03-31&target_task_success=50", key)
    assert r.status_code == 200, r.content
    body = r.json()
    export = next(t for t in body["tasks"] if t["task"] == "export_report")
    assert export["starts"] == 10 and export["success_rate"]["value"] == pytest.approx(7 / 9, abs=1e-6)
    assert export["time_on_task_seconds"]["value"] == pytest.approx(20.0)
    assert [m["month"] for m in export["failure_rate_by_month"]] == ["2025-03"]
    heart = {a["area"]: a for a in body["heart"]["areas"]}
    assert heart["reporting"]["task_success"]["status"] in ("met", "unclear", "missed")
    assert body["heart"]["targets"] == {"task_success": 0.5}
    assert body["usage"]["mau"] >= 1 and "stickiness" in body["usage"]
    assert body["usability"] == {"sus": None, "umux_lite": None, "umux_lite_sus_equivalent": None}
    # errors name the field
    bad = api_client.call("GET", "/api/v1/metrics/ux?from=2025-04-01&to=2025-03-01", key)
    assert bad.status_code == 422 and bad.json()["field"] == "from"
    bad = api_client.call("GET", "/api/v1/metrics/ux?measure=joy", key)
    assert bad.status_code == 422 and bad.json()["field"] == "measure"
    bad = api_client.call("GET", "/api/v1/metrics/ux?target_adoption=150", key)
    assert bad.status_code == 422 and bad.json()["field"] == "target_adoption"
    # another organisation's segment is a 404, its data never shows
    other = Segment.objects.create(org=tenant_b.org, name={"en": "B only"}, definition={"field": "account.tier",
                                                                                          "op": "exists"})
    assert api_client.call("GET", f"/api/v1/metrics/ux?segment={other.pk}", key).status_code == 404
    assert api_client.call("GET", f"/api/v1/metrics/ux?org={tenant_a.org.slug}",
                           tenant_b.keys["owner"]).status_code == 404
    theirs = api_client.call("GET", "/api/v1/metrics/ux?from=2025-03-01&to=2025-03-31", tenant_b.keys["viewer"])
    assert theirs.status_code == 200 and theirs.json()["tasks"] == []


def test_the_pages_answer_and_refuse_bad_filters(tenant_a: Any, tenant_b: Any, client: Any) -> None:
    store(tenant_a.org, _task_events())
    _heart_data(tenant_a.org)
    client.force_login(tenant_a.viewer)
    base = f"/o/{tenant_a.org.slug}/behaviour/"
    for path in ("", "tasks/", "retention/", "loyalty/"):
        r = client.get(f"{base}{path}?from=2025-01-01&to=2025-03-31")
        assert r.status_code == 200, (path, r.content[:500])
        assert b"style=" not in r.content  # CSP: no inline style
    page = client.get(f"{base}tasks/?from=2025-01-01&to=2025-03-31").content.decode()
    assert "export_report" in page and "data:image/svg+xml;base64," in page
    card = client.get(f"{base}?from=2025-03-01&to=2025-03-31&target_adoption=50").content.decode()
    assert "reporting" in card and "HEART" in card
    bad = client.get(f"{base}?from=2025-04-01&to=2025-03-01")
    assert bad.status_code == 400 and "error" in bad.content.decode()
    assert client.get(f"{base}?target_adoption=500").status_code == 400
    assert client.get(f"{base}loyalty/?interval=week").status_code == 400
    client.force_login(tenant_b.owner)  # another organisation's member: 404 on every page
    for path in ("", "tasks/", "retention/", "loyalty/"):
        assert client.get(f"{base}{path}").status_code == 404
