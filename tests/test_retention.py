"""Issue 8: the cohort retention table by sign-up month, the repurchase rate and the churn of active people against
hand computations (both backends), and ``GET /api/v1/retention``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from tests.test_ux import at, close, ev, hand_wilson, scope, store

pytestmark = pytest.mark.django_db


def _cohort_events() -> list[dict[str, Any]]:
    jan, feb, mar = date(2025, 1, 10), date(2025, 2, 10), date(2025, 3, 10)
    return [
        # January cohort: p1, p2, p3
        ev("signed_up", at(jan), "p1", plan="trial"), ev("signed_up", at(jan), "p2"), ev("signed_up", at(jan), "p3"),
        ev("session_started", at(feb), "p1"), ev("page_view", at(mar), "p1", path="/"),  # active in M1 and M2
        ev("session_started", at(mar, 11), "p2"),  # active in M2 only (skipping M1 still counts for M2)
        # p3 never comes back
        ev("signed_up", at(feb, 12), "p1"),  # a second sign-up does not move p1 to February's cohort
        # February cohort: p4, p5
        ev("signed_up", at(feb), "p4"), ev("signed_up", at(date(2025, 2, 28), 23, 30), "p5"),  # local day: Feb 28
        ev("feature_used", at(mar), "p4", feature="x", area="y"),
        # signed up before the range: no cohort shown, but their activity does not matter
        ev("signed_up", at(date(2024, 12, 5)), "p0"), ev("session_started", at(jan), "p0"),
    ]


def test_cohort_table_by_hand(tenant_a: Any) -> None:
    from cxloop.behaviour import retention

    store(tenant_a.org, _cohort_events())
    c = retention.cohorts(scope(tenant_a.org, date(2025, 1, 1), date(2025, 3, 31)))
    assert [(r.label, r.size, len(r.cells)) for r in c.rows] == [("2025-01", 3, 2), ("2025-02", 2, 1),
                                                                  ("2025-03", 0, 0)]
    jan, feb, _mar = c.rows
    close(jan.cells[0], hand_wilson(1, 3))  # p1 in February
    close(jan.cells[1], hand_wilson(2, 3))  # p1 and p2 in March
    close(feb.cells[0], hand_wilson(1, 2))  # p4 in March
    assert c.periods == 2
    close(c.average[0], hand_wilson(1 + 1, 3 + 2))  # pooled over the cohorts that reached month 1
    close(c.average[1], hand_wilson(2, 3))
    assert c.partial is None
    # a range ending mid-month: March is still going, its cells are marked
    part = retention.cohorts(scope(tenant_a.org, date(2025, 1, 1), date(2025, 3, 15)))
    assert part.partial == date(2025, 3, 1)
    assert part.is_partial(0, 2) and part.is_partial(1, 1) and not part.is_partial(0, 1)


def test_repurchase_and_active_churn_by_hand(tenant_a: Any) -> None:
    from cxloop.behaviour import retention
    from cxloop.core import metrics

    mar, feb = date(2025, 3, 5), date(2025, 2, 5)
    items = [ev("purchase", at(mar, 9, i), who, amount=100, currency="CNY", order_id=f"o-{who}-{i}")
             for who, n in (("b1", 2), ("b2", 1), ("b3", 3)) for i in range(n)]
    items += [ev("purchase", at(feb, 9, i), who, amount=50, currency="CNY", order_id=f"f-{who}-{i}")
              for who, n in (("b1", 1), ("b4", 1), ("b5", 1), ("b6", 2)) for i in range(n)]
    store(tenant_a.org, items)
    s = scope(tenant_a.org, date(2025, 3, 1), date(2025, 3, 28))  # 28 days; the 28 before: Feb 1 … Feb 28
    r = retention.repurchase(s)
    assert (r.buyers, r.repeat) == (3, 2)
    close(r.rate, hand_wilson(2, 3))
    close(r.previous, hand_wilson(1, 4))
    expected = metrics.compare_proportions(metrics.Proportion(1, 4, 100.0), metrics.Proportion(2, 3, 100.0))
    assert r.change is not None and r.change.difference == pytest.approx(100 * (2 / 3 - 1 / 4))
    assert r.change.p_value == pytest.approx(expected.p_value)
    churn = retention.active_churn(s)
    # active before: b1, b4, b5, b6; of them only b1 is active in the range → 3 of 4 went quiet
    assert (churn.previous_active, churn.kept) == (4, 1)
    close(churn.churn, hand_wilson(3, 4))


def test_retention_api(tenant_a: Any, api_client: Any) -> None:
    store(tenant_a.org, _cohort_events())
    r = api_client.call("GET", "/api/v1/retention?from=2025-01-01&to=2025-03-15", tenant_a.keys["viewer"])
    assert r.status_code == 200, r.content
    body = r.json()
    jan = body["cohorts"][0]
    assert jan["month"] == "2025-01" and jan["size"] == 3
    assert [c["month_offset"] for c in jan["retention"]] == [1, 2]
    assert jan["retention"][1]["partial"] is True and jan["retention"][0]["partial"] is False
    assert jan["retention"][0]["value"] == pytest.approx(1 / 3, abs=1e-6)
    assert body["average"][0]["value"] == pytest.approx(2 / 5, abs=1e-6)
    assert body["repurchase"]["buyers"] == 0 and body["repurchase"]["rate"]["value"] is None
    bad = api_client.call("GET", "/api/v1/retention?from=2025-03-01&to=2025-01-01", tenant_a.keys["viewer"])
    assert bad.status_code == 422 and bad.json()["field"] == "from"
