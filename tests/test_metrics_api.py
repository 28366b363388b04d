"""GET /api/v1/metrics (and /comments): the contract, numbers equal to core.metrics on known counts,
errors that name the parameter, tenant isolation, exact reads before the worker, the dashboard on the same
service, and acceptance 2 on the demo: the month-18 drop of support CSAT and NPS is flagged, ordinary
month-to-month noise is not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from cxloop.core import metrics
from cxloop.surveys import services

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "Support follow-up", "default_language": "en", "languages": ["en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
        {"key": "csat", "type": "csat", "text": "Satisfied?", "required": True},
        {"key": "effort", "type": "ces", "text": "Easy?"},
        {"key": "grid", "type": "matrix", "text": "Rate",
         "items": [{"key": "speed", "text": "Speed"}, {"key": "price", "text": "Price"}]},
        {"key": "resolved", "type": "yes_no", "text": "Resolved?"},
        {"key": "why", "type": "open_text", "text": "Why?"},
    ]}],
}
ITEM_KEYS = {"period", "group", "metric", "value", "ci_low", "ci_high", "n", "counts", "significant_change",
             "change", "p_value", "too_few"}
# January 2025: 24 promoters, 10 passives, 6 detractors; February: 8, 10, 22 (a collapse).
JAN = [10] * 24 + [8] * 10 + [3] * 6
FEB = [10] * 8 + [7] * 10 + [2] * 22
JAN_CSAT = [5] * 20 + [4] * 12 + [2] * 8
FEB_CSAT = [5] * 6 + [4] * 6 + [1] * 28


def _at(day: date, index: int) -> datetime:
    return datetime(day.year, day.month, day.day, 2 + index % 10, index % 60, tzinfo=UTC)  # 10:00+ in Shanghai


class Data:
    def __init__(self, tenant: Any) -> None:
        from cxloop.customers.models import Contact

        self.org = tenant.org
        self.survey = services.create_survey(org=self.org, name="Support follow-up", definition=DEFINITION,
                                             touchpoint="support")
        services.publish(survey=self.survey)
        for i, plan in enumerate(("pro", "basic")):
            Contact.objects.create(org=self.org, external_id=f"c{i}", name=plan, attributes={"plan": plan})
        items = []
        for month, scores, csats in ((date(2025, 1, 10), JAN, JAN_CSAT), (date(2025, 2, 12), FEB, FEB_CSAT)):
            for i, (score, csat) in enumerate(zip(scores, csats, strict=True)):
                answers: dict[str, Any] = {"nps": score, "csat": csat, "effort": 1 + i % 7,
                                           "grid": {"speed": 1 + i % 5, "price": 3}}
                if score <= 3:
                    answers["why"] = "The export was slow" if i % 2 else "Support was kind"
                items.append(services.BatchItem(services.Submission(
                    answers=answers, touchpoint="support" if i % 2 == 0 else "billing",
                    channel="email" if i % 3 else "sms", language="en",
                    contact={"external_id": f"c{i % 2}"}, submitted_at=_at(month + timedelta(days=i % 9), i))))
        results = services.record_batch(survey=self.survey, items=items)
        assert all(isinstance(r, services.Recorded) for r in results)


@pytest.fixture
def data(tenant_a: Any) -> Data:
    return Data(tenant_a)


def _get(api_client: Any, key: str, **params: Any) -> Any:
    from urllib.parse import urlencode

    return api_client.call("GET", f"/api/v1/metrics?{urlencode(params)}", key)


def _nps(scores: list[int]) -> metrics.Estimate:
    return metrics.nps(metrics.NpsCounts.from_scores(scores))


def _dist(scores: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for s in scores:
        out[s] = out.get(s, 0) + 1
    return out


def _same(item: dict[str, Any], est: metrics.Estimate) -> None:
    assert item["n"] == est.n
    for key, want in (("value", est.value), ("ci_low", est.low), ("ci_high", est.high)):
        assert item[key] == pytest.approx(want, abs=1e-6), key


# --- the contract ---------------------------------------------------------------------------------


def test_whole_range_one_item(data: Data, tenant_a: Any, api_client: Any) -> None:
    r = _get(api_client, tenant_a.keys["viewer"], survey=data.survey.pk, question="nps", **{"from": "2025-01-01"},
             to="2025-02-28")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["metric"] == "nps" and body["interval"] is None and body["group_by"] is None
    assert body["from"] == "2025-01-01" and body["to"] == "2025-02-28" and body["confidence"] == 0.95
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert set(item) == ITEM_KEYS
    assert item["period"] is None and item["group"] is None and item["metric"] == "nps"
    _same(item, _nps(JAN + FEB))
    assert item["counts"] == {str(k): v for k, v in sorted(_dist(JAN + FEB).items())}
    assert item["significant_change"] is None and item["change"] is None  # nothing in the 59 days before


def test_by_month_and_touchpoint(data: Data, tenant_a: Any, api_client: Any) -> None:
    body = _get(api_client, tenant_a.keys["viewer"], survey=data.survey.pk, question="nps", interval="month",
                group_by="touchpoint", **{"from": "2025-01-01"}, to="2025-03-31").json()
    # One item per period × group, periods Jan–Mar (March has no answers), groups billing and support.
    assert [(i["period"], i["group"]) for i in body["items"]] == [
        (p, g) for p in ("2025-01-01", "2025-02-01", "2025-03-01") for g in ("billing", "support")]
    for item in body["items"]:
        month = {"2025-01-01": JAN, "2025-02-01": FEB, "2025-03-01": []}[item["period"]]
        scores = [s for i, s in enumerate(month) if (i % 2 == 0) == (item["group"] == "support")]
        _same(item, _nps(scores))
    feb_support = body["items"][3]
    expected = metrics.compare(_nps(JAN[0::2]), _nps(FEB[0::2]), confidence=0.99)
    assert feb_support["change"] == pytest.approx(expected.difference)
    assert feb_support["p_value"] == pytest.approx(expected.p_value, abs=1e-6)
    # 20 answers a side is below core.metrics.MIN_RESPONSES: too few to flag, however large the drop.
    assert expected.significant and feb_support["significant_change"] is False and feb_support["too_few"]
    march = body["items"][4]
    assert march["n"] == 0 and march["value"] is None and march["significant_change"] is None


def test_month_over_month_flag_and_csat_in_percent(data: Data, tenant_a: Any, api_client: Any) -> None:
    key = tenant_a.keys["viewer"]
    nps = _get(api_client, key, survey=data.survey.pk, question="nps", interval="month", **{"from": "2025-01-01"},
               to="2025-02-28").json()["items"]
    assert [i["significant_change"] for i in nps] == [None, True]  # Jan has no December to compare with
    assert nps[1]["change"] == pytest.approx(-80.0) and -100 <= nps[1]["ci_low"] < nps[1]["ci_high"] <= 100
    csat = _get(api_client, key, survey=data.survey.pk, question="csat", interval="month",
                **{"from": "2025-01-01"}, to="2025-02-28").json()
    assert csat["metric"] == "csat"
    jan, feb = csat["items"]
    _same(jan, metrics.csat(_dist(JAN_CSAT)))
    _same(feb, metrics.csat(_dist(FEB_CSAT)))
    assert jan["value"] == pytest.approx(80.0) and feb["value"] == pytest.approx(30.0)  # percent, 0…100
    assert feb["significant_change"] is True and feb["change"] == pytest.approx(-50.0)
    # The previous period of the first one is the month before it, even when it lies before "from".
    mid = _get(api_client, key, survey=data.survey.pk, question="csat", interval="month", **{"from": "2025-02-01"},
               to="2025-02-28").json()["items"]
    assert len(mid) == 1 and mid[0]["significant_change"] is True


def test_means_items_weeks_and_metrics(data: Data, tenant_a: Any, api_client: Any) -> None:
    key = tenant_a.keys["viewer"]
    grid = _get(api_client, key, survey=data.survey.pk, question="grid.speed", **{"from": "2025-01-01"},
                to="2025-02-28").json()
    assert grid["metric"] == "mean"
    _same(grid["items"][0], metrics.mean_from_distribution(_dist([1 + i % 5 for i in range(40)] * 2)))
    effort = _get(api_client, key, survey=data.survey.pk, question="effort", metric="agree",
                  **{"from": "2025-01-01"}, to="2025-02-28").json()["items"][0]
    _same(effort, metrics.ces(_dist([1 + i % 7 for i in range(40)] * 2)).agree)
    top2 = _get(api_client, key, survey=data.survey.pk, question="nps", metric="csat", **{"from": "2025-01-01"},
                to="2025-01-31").json()["items"][0]
    assert top2["value"] == pytest.approx(100 * 24 / 40)  # top-2-box of 0–10: 9 and 10
    weeks = _get(api_client, key, survey=data.survey.pk, question="nps", interval="week", **{"from": "2025-01-01"},
                 to="2025-01-31").json()["items"]
    assert [w["period"] for w in weeks] == ["2024-12-30", "2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27"]
    assert sum(w["n"] for w in weeks) == 40
    days = _get(api_client, key, survey=data.survey.pk, question="nps", interval="day", **{"from": "2025-01-10"},
                to="2025-01-18").json()["items"]
    assert len(days) == 9 and sum(d["n"] for d in days) == 40


def test_filters_and_contact_attributes(data: Data, tenant_a: Any, api_client: Any) -> None:
    key = tenant_a.keys["viewer"]
    common = {"survey": data.survey.pk, "question": "nps", "from": "2025-01-01", "to": "2025-02-28"}
    support = _get(api_client, key, **common, touchpoint="support").json()["items"][0]
    _same(support, _nps(JAN[0::2] + FEB[0::2]))
    # Contact c0 (plan pro) answered the even-numbered rows: counted from the raw rows.
    pro = _get(api_client, key, **common, **{"contact.plan": "pro"}).json()["items"][0]
    _same(pro, _nps(JAN[0::2] + FEB[0::2]))
    by_channel = _get(api_client, key, **common, group_by="channel", **{"contact.plan": "basic"}).json()["items"]
    assert sum(i["n"] for i in by_channel) == 40 and {i["group"] for i in by_channel} == {"email", "sms"}
    nobody = _get(api_client, key, **common, **{"contact.plan": "gold"}).json()["items"][0]
    assert nobody["n"] == 0 and nobody["value"] is None


def test_a_new_response_counts_at_once(data: Data, tenant_a: Any, api_client: Any) -> None:
    from cxloop.analytics.models import RollupDirty
    from cxloop.analytics.rollups import refresh

    refresh()
    key = tenant_a.keys["viewer"]
    before = _get(api_client, key, survey=data.survey.pk, question="nps").json()["items"][0]["n"]
    posted = api_client.call("POST", f"/api/v1/surveys/{data.survey.pk}/responses", tenant_a.keys["admin"],
                             {"answers": {"nps": 10, "csat": 5}})
    assert posted.status_code == 201, posted.content
    assert RollupDirty.objects.exists()  # not recomputed yet, and still exact:
    assert _get(api_client, key, survey=data.survey.pk, question="nps").json()["items"][0]["n"] == before + 1


# --- errors and access ----------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"interval": "year"}, 422, "interval"),
    ({"from": "2025-03-01", "to": "2025-01-01"}, 422, "from"),
    ({"from": "March"}, 422, "from"),
    ({"group_by": "colour"}, 422, "group_by"),
    ({"question": "nope"}, 422, "question"),
    ({"question": "resolved"}, 422, "question"),
    ({"question": "why"}, 422, "question"),
    ({"question": "grid"}, 422, "question"),
    ({"question": "grid.nope"}, 422, "question"),
    ({"metric": "median"}, 422, "metric"),
    ({"question": "csat", "metric": "nps"}, 422, "metric"),
    ({"metric": "agree"}, 422, "metric"),
    ({"confidence": "1.5"}, 422, "confidence"),
    ({"change_confidence": "0.1"}, 422, "change_confidence"),
    ({"interval": "day", "from": "2015-01-01", "to": "2025-01-01"}, 422, "interval"),
    ({"contact.bad name": "x"}, 422, "contact.bad name"),
    ({"survey": 999999}, 404, None),
    ({"survey": None}, 422, "survey"),
])
def test_bad_parameters_are_named(data: Data, tenant_a: Any, api_client: Any, params: dict[str, Any],
                                  status: int, field: str | None) -> None:
    query = {"survey": data.survey.pk, "question": "nps", **params}
    r = _get(api_client, tenant_a.keys["viewer"], **{k: v for k, v in query.items() if v is not None})
    assert r.status_code == status, r.content
    body = r.json()
    assert body["detail"]
    if field is not None:
        assert body["field"] == field, body


def test_tenant_isolation(data: Data, tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    query = {"survey": data.survey.pk, "question": "nps"}
    assert _get(api_client, tenant_b.keys["owner"], **query).status_code == 404
    assert _get(api_client, tenant_b.keys["owner"], **query, org=tenant_a.org.slug).status_code == 404
    assert api_client.call("GET", f"/api/v1/comments?survey={data.survey.pk}&q=slow",
                           tenant_b.keys["owner"]).status_code == 404
    assert _get(api_client, None, **query).status_code == 401
    client = Client()
    client.force_login(tenant_a.viewer)  # the session, for the UI: the organisation from ?org=
    r = client.get(f"/api/v1/metrics?survey={data.survey.pk}&question=nps&org={tenant_a.org.slug}&from=2025-01-01")
    assert r.status_code == 200 and r.json()["items"][0]["n"] == 80


def test_comment_search(data: Data, tenant_a: Any, api_client: Any) -> None:
    r = api_client.call("GET", f"/api/v1/comments?survey={data.survey.pk}&q=EXPORT&from=2025-01-01&to=2025-12-31",
                        tenant_a.keys["viewer"])
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert items and all("export" in i["text"].lower() for i in items)
    assert [i["submitted_at"] for i in items] == sorted((i["submitted_at"] for i in items), reverse=True)
    missing = api_client.call("GET", f"/api/v1/comments?survey={data.survey.pk}", tenant_a.keys["viewer"])
    assert missing.status_code == 422 and missing.json()["field"] == "q"


@pytest.mark.postgres_only
def test_comment_search_uses_the_trigram_index_on_postgresql(data: Data) -> None:
    """Migration surveys 0007: without the index every search read the whole answers table (every organisation's),
    so a search over a fixed window slowed down as any survey grew (benchmarks/load_mixed.py, ``comments_fixed``)."""
    from django.db import connection

    from cxloop.analytics import reads
    from cxloop.surveys.models import Answer

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'answer_comment_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]
        # the condition comments_queryset puts on answers, alone; a tiny table: can the index serve it?
        sql, params = Answer.objects.filter(number__isnull=True, text__icontains="export").values("pk") \
            .query.sql_with_params()
        assert 'UPPER("surveys_answer"."text"' in str(reads.comments_queryset(
            data.survey.org_id, [data.survey.pk], "export", date(2025, 1, 1), date(2025, 12, 31)).query)
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "answer_comment_trgm" in plan, plan


def test_the_dashboard_reads_the_same_service(data: Data, tenant_a: Any) -> None:
    from cxloop.analytics import metrics_service
    from cxloop.surveys import dashboard

    now = datetime(2025, 3, 1, 4, tzinfo=UTC)
    built = dashboard.build(tenant_a.org, now=now)
    same = metrics_service.compute(org=tenant_a.org, surveys=[data.survey], question="nps", metric="nps",
                                   start=date(2024, 12, 2), end=date(2025, 3, 1))
    assert built.nps.current == same.items[0].estimate and built.nps.current.n == 80
    assert [p.month for p in built.nps_trend] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert built.nps_trend[1].estimate == _nps(FEB)
    support = JAN_CSAT[0::2] + FEB_CSAT[0::2]  # the even rows were given touchpoint "support"
    assert built.csat_support.current == metrics.csat(_dist(support))


# --- acceptance 2: the demo's month-18 drop ----------------------------------------------------------

@pytest.fixture(scope="module")
def demo(small_demo: Any) -> dict[str, Any]:
    from cxloop.orgs.services import create_api_key
    from cxloop.surveys.models import Survey

    org = small_demo.org
    return {"key": create_api_key(org=org, role="viewer", name="metrics test").plaintext, "today": small_demo.today,
            "csat": Survey.objects.get(org=org, touchpoint="support").pk,
            "nps": Survey.objects.get(org=org, kind="nps").pk}


def test_demo_month_18_drop_is_significant_and_noise_is_not(demo: dict[str, Any], api_client: Any) -> None:
    """Monthly support CSAT and NPS over the demo's 24 months, each month against the one before at the
    default 99 %. Asserted: month 18 (the defective release) is flagged as a drop for both; no month in
    2–17, 23 or 24 is flagged for either (22 comparisons × 2 metrics of ordinary noise). Months 19–22
    (the defect's second month, the fix in month 20, the recovery) may be flagged or not."""
    from cxloop.demo.timeline import build_timeline

    timeline = build_timeline(demo["today"])
    flagged: dict[str, dict[int, float]] = {}
    for metric in ("csat", "nps"):
        r = _get(api_client, demo["key"], survey=demo[metric], question=metric, interval="month",
                 **{"from": timeline.start.isoformat()}, to=timeline.last_day.isoformat())
        assert r.status_code == 200, r.content
        items = r.json()["items"]
        assert len(items) == 24 and all(i["n"] >= 100 for i in items)
        flagged[metric] = {index: item["change"] for index, item in enumerate(items, start=1)
                           if item["significant_change"]}
    for metric, months in flagged.items():
        assert 18 in months and months[18] < 0, (metric, months)
        noise = set(months) - {18, 19, 20, 21, 22}
        assert not noise, (metric, months)
