"""core.governance against hand-worked cases: the director rotation (everyone once before anyone twice), KPI status
from the interval (not the point estimate), the month's winners and a plan's measured effect."""

from __future__ import annotations

from datetime import date

import pytest

from cxloop.core import governance as g
from cxloop.core import metrics


def test_rotation_gives_every_head_a_turn_before_anyone_repeats() -> None:
    heads = ["product", "support", "marketing", "sales"]
    plan = g.rotation(heads, date(2026, 1, 15), 10)
    assert [m for m, _ in plan][:3] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert [h for _, h in plan] == heads + heads + heads[:2]
    assert plan[-1][0] == date(2026, 10, 1)
    assert g.fair([h for _, h in plan], heads)


def test_rotation_continues_the_round_in_progress_after_an_edit() -> None:
    heads = ["a", "b", "c", "d"]
    # "c" swapped in early (an edit), then "a": the round so far is c, a → b and d still owe a turn
    plan = g.rotation(heads, date(2026, 5, 1), 6, served=["a", "b", "c", "d", "c", "a"])
    assert [h for _, h in plan] == ["b", "d", "a", "b", "c", "d"]
    assert g.fair(["a", "b", "c", "d", "c", "a", *[h for _, h in plan]], heads)
    # a head who left the rotation is skipped; a new head joins the round in progress
    assert [h for _, h in g.rotation(["a", "b", "e"], date(2026, 1, 1), 3, served=["x", "a"])] == ["b", "e", "a"]


def test_fair_catches_a_repeat_before_the_round_is_done() -> None:
    assert not g.fair(["a", "b", "a", "c"], ["a", "b", "c"])
    assert g.fair(["a", "b", "c", "b", "a", "c"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="at least one"):
        g.rotation([], date(2026, 1, 1), 3)
    with pytest.raises(ValueError, match="once"):
        g.rotation(["a", "a"], date(2026, 1, 1), 3)


def _est(value: float, low: float, high: float, n: int = 200) -> metrics.Estimate:
    return metrics.Estimate(value, low, high, n)


@pytest.mark.parametrize(("estimate", "target", "direction", "expected"), [
    (_est(86, 82, 90), 80, g.HIGHER, g.MET),          # the whole interval above the target
    (_est(81, 75, 87), 80, g.HIGHER, g.OPEN),         # above on the point estimate only: not yet a win
    (_est(70, 65, 75), 80, g.HIGHER, g.MISSED),
    (_est(80, 80, 84), 80, g.HIGHER, g.MET),          # on the boundary counts as reaching it
    (_est(3.1, 2.0, 4.4), 5, g.LOWER, g.MET),         # failure rate: lower is better
    (_est(6.0, 4.5, 7.8), 5, g.LOWER, g.OPEN),
    (_est(9.0, 7.0, 11.0), 5, g.LOWER, g.MISSED),
    (_est(95, 80, 100, n=12), 80, g.HIGHER, g.NO_DATA),  # below the minimum sample
    (metrics.Estimate(None, None, None, 0), 80, g.HIGHER, g.NO_DATA),
])
def test_status_reads_the_interval(estimate: metrics.Estimate, target: float, direction: str, expected: str) -> None:
    assert g.status(estimate, target, direction) == expected


def test_winners_are_the_departments_with_most_kpis_met() -> None:
    month = {"support": [g.MET, g.MET, g.OPEN], "product": [g.MET, g.MISSED], "marketing": [g.MET, g.MET]}
    assert g.winners(month) == ["support", "marketing"]
    assert g.winners({"support": [g.OPEN], "product": [g.NO_DATA]}) == []


def test_effect_of_a_fall_in_failure_rate_is_an_improvement() -> None:
    # export failures: 117 of 400 attempts in the baseline window, 12 of 410 after the fix (hand: 29.25 % → 2.93 %)
    before = metrics.adjusted_wald(117, 400, scale=100)
    after = metrics.adjusted_wald(12, 410, scale=100)
    e = g.effect(before, after, g.LOWER)
    assert e.comparison is not None and e.comparison.significant
    assert e.comparison.difference == pytest.approx(12 / 410 * 100 - 117 / 400 * 100, abs=1e-9)
    assert e.verdict == "improved" and e.improved
    assert g.effect(before, after, g.HIGHER).verdict == "worsened"
    same = g.effect(metrics.adjusted_wald(40, 400, scale=100), metrics.adjusted_wald(42, 410, scale=100), g.LOWER)
    assert same.verdict == "no_change"
    assert g.effect(before, metrics.Estimate(None, None, None, 0), g.LOWER).verdict == "no_data"
    assert g.add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert g.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
