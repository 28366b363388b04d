"""Govern measures (issue 9): specs validated and normalised, errors naming the key, and every kind's monthly and
window numbers equal to the service that shows them elsewhere (rates in percent) and to hand computations on tiny
data: survey metrics = GET /api/v1/metrics, task failure = GET /api/v1/metrics/ux × 100, renewal = the loyalty
periods, theme share = the theme page, loop = cases.kpis."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from tests.test_ux import at, ev, hand_adjusted_wald, hand_wilson, store

from cxloop.core import metrics
from cxloop.govern import measures
from cxloop.orgs.models import Role
from cxloop.surveys import services

pytestmark = pytest.mark.django_db

Z95 = 1.959963984540054
JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)
DEFINITION: dict[str, Any] = {
    "title": "Support", "default_language": "en", "languages": ["en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?"},
        {"key": "csat", "type": "csat", "text": "Satisfied?"},
        {"key": "effort", "type": "ces", "text": "Easy?"},
        {"key": "why", "type": "open_text", "text": "Why?"},
    ]}],
}
EXPORT = "导出报表一直失败，月底的数据导不出来"  # mentions product/export (as in test_themes)
OTHER = ("客服回复很快，态度很好", "价格有点贵，续费再考虑", "界面简洁，上手容易")


def _record(org: Any, rows: list[tuple[dict[str, Any], str, datetime]]) -> Any:
    survey = services.create_survey(org=org, name="Support", definition=DEFINITION)
    services.publish(survey=survey)
    results = services.record_batch(survey=survey, items=[services.BatchItem(services.Submission(
        answers=answers, touchpoint=tp, submitted_at=when, language="zh-hans")) for answers, tp, when in rows])
    assert all(isinstance(r, services.Recorded) for r in results), results
    return survey


def _api(tenant: Any, path: str, **params: Any) -> Any:
    r = Client().get(f"{path}?{urlencode(params)}", HTTP_AUTHORIZATION=f"Bearer {tenant.keys[Role.OWNER]}")
    assert r.status_code == 200, r.content
    return r.json()


def _same(e: metrics.Estimate, value: float | None, low: float | None, high: float | None, n: int,
          tol: float = 1e-9) -> None:
    assert e.n == n
    for got, want in ((e.value, value), (e.low, low), (e.high, high)):
        assert got == (None if want is None else pytest.approx(want, abs=tol))


def _pct(t: tuple[float, float, float]) -> tuple[float, float, float]:
    return t[0] * 100, t[1] * 100, t[2] * 100


# --- clean_measure ------------------------------------------------------------------------------------------------


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    # January, touchpoint support: NPS 10, 10, 9, 8, 3 and CSAT 5, 4, 4, 2, 1; billing: NPS 0 (not in the filter)
    # February, support: NPS 10, 6, 6 and CSAT 5, 3, 1
    jan = [(10, 5), (10, 4), (9, 4), (8, 2), (3, 1)]
    feb = [(10, 5), (6, 3), (6, 1)]
    rows = [({"nps": n, "csat": c, "effort": 6}, "support", at(date(2025, 1, 5 + i))) for i, (n, c) in enumerate(jan)]
    rows.append(({"nps": 0, "csat": 1}, "billing", at(date(2025, 1, 20))))
    rows += [({"nps": n, "csat": c}, "support", at(date(2025, 2, 3 + i))) for i, (n, c) in enumerate(feb)]
    return _record(tenant_a.org, rows)


def test_each_kind_is_normalised(tenant_a: Any, survey: Any) -> None:
    org = tenant_a.org
    assert measures.clean_measure(org, {"kind": "survey", "survey": survey.pk, "question": "nps"}) == {
        "kind": "survey", "survey": survey.pk, "question": "nps", "metric": "nps", "touchpoint": "", "channel": "",
        "tier": ""}
    csat = measures.clean_measure(org, {"kind": "survey", "survey": str(survey.pk), "question": "csat",
                                        "touchpoint": " support "})
    assert (csat["survey"], csat["metric"], csat["touchpoint"]) == (survey.pk, "csat", "support")
    agree = measures.clean_measure(org, {"kind": "survey", "survey": survey.pk, "question": "effort",
                                         "metric": "agree"})
    assert agree["metric"] == "agree"
    assert measures.clean_measure(org, {"kind": "ux_task_failure", "task": "export_report"}) == {
        "kind": "ux_task_failure", "task": "export_report"}
    assert measures.clean_measure(org, {"kind": "renewal"}) == {"kind": "renewal"}
    assert measures.clean_measure(org, {"kind": "theme_share", "theme": "product/export"}) == {
        "kind": "theme_share", "theme": "product/export", "touchpoint": ""}
    assert measures.clean_measure(org, {"kind": "loop", "measure": "sla"}) == {
        "kind": "loop", "measure": "sla", "team": None}
    assert measures.clean_measure(org, {"kind": "loop", "measure": "rescue", "team": tenant_a.team.pk})["team"] == \
        tenant_a.team.pk


BAD: list[tuple[Any, str, int]] = [
    ("nps", "measure", 422),
    ({"kind": "weather"}, "measure.kind", 422),
    ({}, "measure.kind", 422),
    ({"kind": "survey", "survey": "SURVEY"}, "measure.question", 422),
    ({"kind": "survey", "survey": "SURVEY", "question": "why"}, "measure.question", 422),
    ({"kind": "survey", "survey": "SURVEY", "question": "nope"}, "measure.question", 422),
    ({"kind": "survey", "survey": "SURVEY", "question": "nps", "metric": "median"}, "measure.metric", 422),
    ({"kind": "survey", "survey": "SURVEY", "question": "nps", "metric": "agree"}, "measure.metric", 422),
    ({"kind": "survey", "survey": "OTHER", "question": "nps"}, "measure.survey", 404),
    ({"kind": "survey", "survey": True, "question": "nps"}, "measure.survey", 422),
    ({"kind": "survey", "survey": "SURVEY", "question": "nps", "colour": "red"}, "measure.colour", 422),
    ({"kind": "renewal", "team": None}, "measure.team", 422),
    ({"kind": "ux_task_failure"}, "measure.task", 422),
    ({"kind": "ux_task_failure", "task": "x" * 101}, "measure.task", 422),
    ({"kind": "theme_share", "theme": "no/such"}, "measure.theme", 422),
    ({"kind": "loop", "measure": "speed"}, "measure.measure", 422),
    ({"kind": "loop", "measure": "sla", "team": "OTHER_TEAM"}, "measure.team", 404),
]


def test_bad_specs_name_the_field(tenant_a: Any, tenant_b: Any, survey: Any) -> None:
    other = _record(tenant_b.org, [({"nps": 9}, "", at(date(2025, 1, 5)))])
    subst = {"SURVEY": survey.pk, "OTHER": other.pk, "OTHER_TEAM": tenant_b.team.pk}
    for raw, field, status in BAD:
        spec = {k: subst.get(v, v) if isinstance(v, str) else v for k, v in raw.items()} if isinstance(raw, dict) \
            else raw
        with pytest.raises(measures.MeasureError) as caught:
            measures.clean_measure(tenant_a.org, spec)
        assert (caught.value.field, caught.value.status, raw) == (field, status, raw)
        assert caught.value.message.startswith(f"{field}:")


def test_field_prefix_directions_units_and_labels(tenant_a: Any, survey: Any) -> None:
    with pytest.raises(measures.MeasureError) as caught:
        measures.clean_measure(tenant_a.org, {"kind": "x"}, field="kpis.2.measure")
    assert caught.value.field == "kpis.2.measure.kind"
    nps = measures.clean_measure(tenant_a.org, {"kind": "survey", "survey": survey.pk, "question": "nps",
                                                "touchpoint": "support"})
    csat = {**nps, "metric": "csat"}
    mean = {**nps, "metric": "mean", "touchpoint": ""}
    ux_spec = {"kind": "ux_task_failure", "task": "export_report"}
    theme = {"kind": "theme_share", "theme": "product/export", "touchpoint": ""}
    loop = {"kind": "loop", "measure": "sla", "team": tenant_a.team.pk}
    assert [measures.default_direction(s) for s in (nps, ux_spec, theme, loop, {"kind": "renewal"})] == [
        "higher", "lower", "lower", "higher", "higher"]
    assert [measures.unit(s) for s in (nps, csat, mean, ux_spec, theme, loop)] == ["points", "%", "", "%", "%", "%"]
    assert measures.describe(nps, "en") == "NPS · support"
    assert measures.describe(mean, "en") == "Mean of nps"
    assert measures.describe(ux_spec, "en") == "Failure rate of export_report"
    assert measures.describe({"kind": "renewal"}, "en") == "Renewal rate"
    assert measures.describe(theme, "en") == "Share of comments about product/export"
    assert measures.describe(loop, "en") == "SLA attainment"
    assert measures.describe(loop, "en", tenant_a.org) == f"SLA attainment · {tenant_a.team.name}"
    assert "「导出」" in measures.describe(theme, "zh-hans", tenant_a.org)  # the codeframe's own label
    assert measures.describe(nps, "zh-hans").endswith(" · support")
    assert measures.describe({"kind": "renewal"}, "zh-hans") == "续约率"  # translated (an existing msgid)


# --- survey -------------------------------------------------------------------------------------------------------


def test_survey_monthly_equals_the_metrics_api_and_hand_values(tenant_a: Any, survey: Any) -> None:
    org = tenant_a.org
    for metric in ("nps", "csat"):
        spec = measures.clean_measure(org, {"kind": "survey", "survey": survey.pk, "question": metric,
                                            "metric": metric, "touchpoint": "support"})
        got = measures.monthly(org, spec, [JAN, FEB])
        body = _api(tenant_a, "/api/v1/metrics", survey=survey.pk, question=metric, metric=metric,
                    interval="month", touchpoint="support", **{"from": "2025-01-01"}, to="2025-02-28")
        assert [i["period"] for i in body["items"]] == ["2025-01-01", "2025-02-01"]
        for item, month in zip(body["items"], (JAN, FEB), strict=True):
            _same(got[month], item["value"], item["ci_low"], item["ci_high"], item["n"], tol=1e-6)
    nps_spec = measures.clean_measure(org, {"kind": "survey", "survey": survey.pk, "question": "nps",
                                            "touchpoint": "support"})
    months = measures.monthly(org, nps_spec, [JAN, FEB, date(2025, 3, 1)])
    # January support: 3 promoters, 1 passive, 1 detractor → NPS 40; adjusted-Wald: (3.75 − 1.75) / 8
    pp, pd = 3.75 / 8, 1.75 / 8
    half = Z95 * math.sqrt((pp + pd - (pp - pd) ** 2) / 8)
    _same(months[JAN], 40.0, 100 * (pp - pd - half), 100 * (pp - pd + half), 5)
    assert months[FEB].value == pytest.approx(100 * (1 - 2) / 3) and months[FEB].n == 3
    assert months[date(2025, 3, 1)].n == 0 and months[date(2025, 3, 1)].value is None
    # the two-month window pools the counts: 4 promoters, 1 passive, 3 detractors
    window = measures.estimate(org, nps_spec, JAN, FEB)
    assert window == metrics.nps(metrics.NpsCounts(4, 1, 3))
    assert window.basis == metrics.NpsCounts(4, 1, 3)
    csat = measures.estimate(org, {**nps_spec, "question": "csat", "metric": "csat"}, JAN, FEB)
    _same(csat, *_pct(hand_wilson(4, 8)), 8)  # CSAT top-2-box: 5, 4, 4 | 5 of 8, already percent


# --- UX task failure ----------------------------------------------------------------------------------------------


def test_task_failure_equals_the_ux_api_times_100(tenant_a: Any) -> None:
    org = tenant_a.org
    items = []
    for month, failures, attempts in ((JAN, 3, 10), (FEB, 1, 4)):
        for i in range(attempts):
            d = month + timedelta(days=4 + i)
            items.append(ev("task_started", at(d, 9), f"u{month.month}-{i}", task="export_report"))
            name = "task_failed" if i < failures else "task_completed"
            items.append(ev(name, at(d, 10), f"u{month.month}-{i}", task="export_report"))
    items.append(ev("task_failed", at(date(2025, 1, 8), 11), "v", task="share_link"))  # another task
    store(org, items)
    spec = measures.clean_measure(org, {"kind": "ux_task_failure", "task": "export_report"})
    got = measures.monthly(org, spec, [JAN, FEB])
    _same(got[JAN], *_pct(hand_adjusted_wald(3, 10)), 10)
    _same(got[FEB], *_pct(hand_adjusted_wald(1, 4)), 4)
    assert got[JAN].method == "adjusted-wald" and got[JAN].basis == metrics.Proportion(3, 10, 100.0)
    body = _api(tenant_a, "/api/v1/metrics/ux", task="export_report", **{"from": "2025-01-01"}, to="2025-02-28")
    (row,) = body["tasks"]
    for m, month in zip(row["failure_rate_by_month"], (JAN, FEB), strict=True):
        e = m["failure_rate"]
        _same(got[month], e["value"] * 100, e["ci_low"] * 100, e["ci_high"] * 100, e["n"], tol=1e-4)
    _same(measures.estimate(org, spec, JAN, FEB), *_pct(hand_adjusted_wald(4, 14)), 14)
    assert measures.monthly(org, {**spec, "task": "nothing"}, [JAN])[JAN].n == 0


# --- renewal ------------------------------------------------------------------------------------------------------


def test_renewal_equals_the_loyalty_periods(tenant_a: Any) -> None:
    from cxloop.behaviour import loyalty, ux
    from cxloop.customers.models import Account

    org = tenant_a.org
    for i in range(6):
        Account.objects.create(org=org, external_id=f"A{i}", name=f"Account {i}", arr=100)
    # January: A0–A2 renewed, A3 churned; February: A4 renewed, A5 churned
    store(org, [ev("renewed" if i in (0, 1, 2, 4) else "churned",
                   at(date(2025, 1 if i < 4 else 2, 10 + i)), "ops", account=f"A{i}") for i in range(6)])
    spec = measures.clean_measure(org, {"kind": "renewal"})
    got = measures.monthly(org, spec, [JAN, FEB])
    _same(got[JAN], *_pct(hand_wilson(3, 4)), 4)
    _same(got[FEB], *_pct(hand_wilson(1, 2)), 2)
    data = loyalty.loyalty(ux.Scope(org, JAN, date(2025, 2, 28)), interval="month")
    for period in data.periods:
        r = period.rates.renewal
        assert r.value is not None and r.low is not None and r.high is not None
        _same(got[period.start], r.value * 100, r.low * 100, r.high * 100, r.n)
    window = measures.estimate(org, spec, JAN, FEB)
    _same(window, *_pct(hand_wilson(4, 6)), 6)
    assert window.method == "wilson" and window.basis == metrics.Proportion(4, 6, 100.0)


# --- theme share --------------------------------------------------------------------------------------------------


def test_theme_share_equals_the_theme_page(tenant_a: Any) -> None:
    from cxloop.analytics import dashboard, themes
    from cxloop.texts import services as texts

    org = tenant_a.org
    # January: 5 comments, 2 about export (one from billing); February: 4 comments, 1 about export
    rows = [({"nps": 5, "why": c}, tp, at(date(2025, 1, 3 + i))) for i, (c, tp) in enumerate(
        [(EXPORT, "support"), (EXPORT, "billing"), (OTHER[0], "support"), (OTHER[1], "support"), (OTHER[2], "")])]
    rows += [({"nps": 5, "why": c}, "support", at(date(2025, 2, 3 + i))) for i, c in enumerate([EXPORT, *OTHER])]
    rows.append(({"nps": 5}, "support", at(date(2025, 1, 20))))  # no comment: not in the base
    _record(org, rows)
    assert texts.analyse_all(org) == 9
    spec = measures.clean_measure(org, {"kind": "theme_share", "theme": "product/export"})
    got = measures.monthly(org, spec, [JAN, FEB, date(2025, 3, 1)])
    _same(got[JAN], *_pct(hand_wilson(2, 5)), 5)
    _same(got[FEB], *_pct(hand_wilson(1, 4)), 4)
    assert got[date(2025, 3, 1)].n == 0 and got[date(2025, 3, 1)].value is None
    for touchpoint in ("", "support"):
        page = themes.detail(org, "product/export", dashboard.Filters(start=JAN, end=date(2025, 2, 28),
                                                                     touchpoint=touchpoint), "en")
        mine = measures.monthly(org, {**spec, "touchpoint": touchpoint}, [JAN, FEB])
        for point in page.months:
            s = point.share
            _same(mine[point.month], s.value, s.low, s.high, s.n)
    support = measures.monthly(org, {**spec, "touchpoint": "support"}, [JAN])
    _same(support[JAN], *_pct(hand_wilson(1, 3)), 3)
    _same(measures.estimate(org, spec, JAN, FEB), *_pct(hand_wilson(3, 9)), 9)


# --- loop ---------------------------------------------------------------------------------------------------------


def test_loop_rates_equal_the_case_kpis(tenant_a: Any) -> None:
    from cxloop.cases import kpis
    from cxloop.cases.models import Case

    org, team = tenant_a.org, tenant_a.team

    def case(opened: datetime, resolved_hours: float | None, team: Any = team, status: str = "resolved") -> None:
        number = Case.objects.filter(org=org).count() + 1
        Case.objects.create(org=org, number=number, title=f"k{number}", team=team, status=status, opened_at=opened,
                            resolve_due=opened + timedelta(hours=72), recovered=True if resolved_hours else None,
                            resolved_at=None if resolved_hours is None else opened + timedelta(hours=resolved_hours))

    jan = datetime(2025, 1, 10, 4, tzinfo=UTC)
    case(jan, 10)
    case(jan, 50)
    case(jan, 90)  # late
    case(jan, None, status="new")
    case(jan, 5, team=None)  # no team: only in "all teams"
    case(datetime(2025, 1, 31, 16, 30, tzinfo=UTC), 1)  # 00:30 on 1 February in Shanghai: February
    spec = measures.clean_measure(org, {"kind": "loop", "measure": "sla", "team": team.pk})
    got = measures.monthly(org, spec, [JAN, FEB])
    _same(got[JAN], *_pct(hand_wilson(2, 3)), 3)
    _same(got[FEB], *_pct(hand_wilson(1, 1)), 1)
    everyone = measures.monthly(org, {**spec, "team": None}, [JAN, FEB])
    _same(everyone[JAN], *_pct(hand_wilson(3, 4)), 4)
    closure = measures.monthly(org, {**spec, "measure": "closure"}, [JAN])
    _same(closure[JAN], *_pct(hand_wilson(3, 4)), 4)
    groups = {g.key: g for g in kpis.loop_kpis(org, today=date(2025, 2, 28), months=2)}
    for key, mine in ((team.pk, got), (kpis.ALL, everyone)):
        for m in groups[key].months:
            sla = m.sla
            assert sla.value is not None and sla.low is not None and sla.high is not None
            _same(mine[m.month], sla.value * 100, sla.low * 100, sla.high * 100, sla.n)
    window = measures.estimate(org, spec, JAN, FEB)
    _same(window, *_pct(hand_wilson(3, 4)), 4)
    comparison = metrics.compare(got[JAN], got[FEB])  # percentage points
    assert comparison.difference == pytest.approx(100 - 200 / 3)
