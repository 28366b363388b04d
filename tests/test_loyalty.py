"""Issue 8: renewal by count and by ARR, churn, the account's NPS group at its renewal decision (the rule of
behaviour/loyalty.py), promoters vs detractors, against hand computations (both backends); ``GET /api/v1/loyalty``."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest
from tests.test_ux import at, close, ev, hand_wilson, record, scope, store

pytestmark = pytest.mark.django_db

NPS = {"title": {"en": "NPS"}, "default_language": "en", "languages": ["en"],
       "pages": [{"key": "p1", "questions": [{"key": "nps", "type": "nps", "text": {"en": "Recommend?"}}]}]}
DAY = date(2025, 6, 15)
RANGE = (date(2025, 4, 1), date(2025, 6, 30))


def _accounts(org: Any, spec: dict[str, tuple[float, list[str]]]) -> None:
    from cxloop.customers.models import Account, Contact

    for ext, (arr, contacts) in spec.items():
        account = Account.objects.create(org=org, external_id=ext, name=f"Account {ext}", arr=arr)
        for c in contacts:
            Contact.objects.create(org=org, external_id=c, name=c, account=account,
                                   attributes={"key": ext == "A1"})


def _story(org: Any) -> None:
    _accounts(org, {"A1": (0, ["c11", "c12"]), "A2": (0, ["c21", "c22", "c23"]), "A3": (0, ["c31"]),
                    "A4": (0, ["c41"]), "A5": (500, ["c51"]), "A6": (0, ["c61"])})
    answers = [
        (3, "c11", date(2025, 1, 10)), (10, "c11", date(2025, 5, 1)),  # c11's latest: 10
        (8, "c12", date(2025, 3, 1)),  # A1: mean (10 + 8) / 2 = 9 → promoter
        (9, "c21", date(2025, 2, 1)), (9, "c22", date(2025, 2, 2)), (6, "c23", date(2025, 2, 3)),  # A2: 8 → passive
        (10, "c31", date(2024, 6, 14)),  # 366 days before the decision: outside the window
        (5, "c31", date(2025, 6, 14)),  # the day before: inside
        (2, "c31", date(2025, 6, 15)),  # the decision day itself: left out → A3: 5 → detractor
        (10, "c51", date(2025, 4, 20)),  # A5 → promoter
        (0, "c61", date(2025, 5, 1)),
    ]
    record(org, NPS, [({"nps": score}, "", at(day, 9), who) for score, who, day in answers], "Relationship NPS")
    store(org, [
        ev("renewed", at(DAY, 10), contact="c11", account="A1", arr=100, term_months=12),
        ev("churned", at(DAY, 10), contact="c21", account="A2", arr=200, term_months=12),
        ev("renewed", at(DAY, 10), contact="c31", account="A3", arr=300),
        ev("churned", at(DAY, 9), "ops", account="A4", arr=400),  # the same account and day: the later one counts
        ev("renewed", at(DAY, 17), "ops", account="A4", arr=400),
        ev("renewed", at(DAY, 10), contact="c51", account="A5"),  # no ARR on the event: the account's (500)
        ev("churned", at(date(2025, 8, 1)), contact="c61", account="A6", arr=999),  # outside the range
        ev("renewed", at(DAY), "someone", arr=50),  # no account: not a decision
    ])


def test_nps_group_of_each_decision_follows_the_rule(tenant_a: Any) -> None:
    from cxloop.behaviour import loyalty

    _story(tenant_a.org)
    decisions = {d.account: d for d in loyalty.decisions(scope(tenant_a.org, *RANGE))}
    assert sorted(decisions) == ["Account A1", "Account A2", "Account A3", "Account A4", "Account A5"]
    a1, a2, a3, a4, a5 = (decisions[f"Account A{i}"] for i in range(1, 6))
    assert (a1.score, a1.group, len(a1.respondents)) == (9.0, "promoter", 2)
    assert (a2.score, a2.group) == (8.0, "passive")
    assert (a3.score, a3.group) == (5.0, "detractor")
    assert (a4.score, a4.group, a4.renewed) == (None, "none", True)
    assert (a5.group, a5.arr) == ("promoter", 500.0)
    assert [loyalty.nps_group(x) for x in (9, 8.99, 7, 6.99, None)] == ["promoter", "passive", "passive",
                                                                        "detractor", "none"]


def test_renewal_by_count_and_by_arr_by_hand(tenant_a: Any) -> None:
    from cxloop.behaviour import loyalty

    _story(tenant_a.org)
    data = loyalty.loyalty(scope(tenant_a.org, *RANGE), interval="month")
    o = data.overall
    assert (o.decisions, o.renewed, o.churned) == (5, 4, 1)
    close(o.renewal, hand_wilson(4, 5))
    close(o.churn, hand_wilson(1, 5))
    # by ARR: weights 100 (renewed), 200 (churned), 300, 400, 500 (renewed): R = 1300 / 1500
    weights, renewed = [100, 200, 300, 400, 500], [1, 0, 1, 1, 1]
    total = sum(weights)
    r = sum(w * y for w, y in zip(weights, renewed, strict=True)) / total
    v = 5 / 4 * sum((w * (y - r)) ** 2 for w, y in zip(weights, renewed, strict=True)) / total ** 2
    half = 2.7764451051977987 * math.sqrt(v)  # t(0.975, 4)
    assert (o.arr, o.arr_renewed) == (1500.0, 1300.0)
    assert o.arr_renewal.value == pytest.approx(13 / 15)
    assert o.arr_renewal.low == pytest.approx(max(0.0, r - half))
    assert o.arr_renewal.high == pytest.approx(min(1.0, r + half))
    assert [(p.label, p.rates.decisions) for p in data.periods] == [("2025-04", 0), ("2025-05", 0), ("2025-06", 5)]
    groups = {g.group: g.rates for g in data.groups}
    assert {k: (v.decisions, v.renewed) for k, v in groups.items()} == {
        "promoter": (2, 2), "passive": (1, 0), "detractor": (1, 1), "none": (1, 1)}
    assert data.verdict is not None and data.verdict.points == pytest.approx(0.0)
    # respondents: c11 10 (A1 renewed), c12 8 (renewed), c21 9, c22 9, c23 6 (A2 churned), c31 5 (renewed), c51 10
    resp = {row.group: (row.respondents, row.renewed) for row in data.respondents}
    assert resp == {"promoter": (4, 2), "passive": (1, 1), "detractor": (2, 1)}
    quarters = loyalty.loyalty(scope(tenant_a.org, *RANGE), interval="quarter").periods
    assert [(p.label, p.rates.decisions) for p in quarters] == [("2025-Q2", 5)]


def test_promoters_renew_more_than_detractors_and_the_test_says_so(tenant_a: Any) -> None:
    """40 promoter accounts of which 38 renew against 40 detractor accounts of which 24 renew."""
    from cxloop.behaviour import loyalty
    from cxloop.core import metrics

    spec = {f"P{i}": (1000.0, [f"p{i}"]) for i in range(40)} | {f"D{i}": (1000.0, [f"d{i}"]) for i in range(40)}
    _accounts(tenant_a.org, spec)
    record(tenant_a.org, NPS, [({"nps": 10 if who.startswith("p") else 4}, "", at(DAY - timedelta(days=30)), who)
                               for who in [f"p{i}" for i in range(40)] + [f"d{i}" for i in range(40)]])
    store(tenant_a.org, [ev("renewed" if i < 38 else "churned", at(DAY), contact=f"p{i}", account=f"P{i}", arr=1000)
                         for i in range(40)]
          + [ev("renewed" if i < 24 else "churned", at(DAY), contact=f"d{i}", account=f"D{i}", arr=1000)
             for i in range(40)])
    v = loyalty.loyalty(scope(tenant_a.org, *RANGE)).verdict
    assert v is not None
    expected = metrics.compare_proportions(metrics.Proportion(24, 40, 100.0), metrics.Proportion(38, 40, 100.0))
    assert v.points == pytest.approx(100 * (38 / 40 - 24 / 40))
    assert v.comparison.p_value == pytest.approx(expected.p_value)
    assert v.significant and v.comparison.p_value < 0.001
    close(v.promoters.renewal, hand_wilson(38, 40))
    close(v.detractors.churn, hand_wilson(16, 40))


def test_segment_keeps_the_decisions_of_its_accounts(tenant_a: Any) -> None:
    from cxloop.behaviour import loyalty
    from cxloop.segments.models import Segment

    _story(tenant_a.org)
    key = Segment.objects.create(org=tenant_a.org, name={"en": "Key"},
                                 definition={"field": "contact.attributes.key", "op": "=", "value": True})
    decisions = loyalty.decisions(scope(tenant_a.org, *RANGE, segment=key.pk))
    assert [d.account for d in decisions] == ["Account A1"]


def test_loyalty_api(tenant_a: Any, api_client: Any) -> None:
    _story(tenant_a.org)
    key = tenant_a.keys["viewer"]
    r = api_client.call("GET", "/api/v1/loyalty?from=2025-04-01&to=2025-06-30&decisions=true", key)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["overall"]["decisions"] == 5
    assert body["overall"]["renewal_rate_by_arr"]["value"] == pytest.approx(13 / 15, abs=1e-6)
    assert [g["group"] for g in body["nps_groups"]] == ["promoter", "passive", "detractor", "none"]
    assert body["promoters_vs_detractors"]["renewal_difference_points"]["difference"] == pytest.approx(0.0)
    assert {d["account"]: d["group"] for d in body["decisions"]}["Account A3"] == "detractor"
    assert [p["period"] for p in body["periods"]] == ["2025-Q2"]
    bad = api_client.call("GET", "/api/v1/loyalty?interval=week", key)
    assert bad.status_code == 422 and bad.json()["field"] == "interval"
    default = api_client.call("GET", "/api/v1/loyalty", key).json()
    first, last = date.fromisoformat(default["from"]), date.fromisoformat(default["to"])
    assert (last.year - first.year) * 12 + last.month - first.month == 23  # 24 months by default
