"""core.ux: the HEART scorecard and the reference funnel, on small constructed inputs worked by hand."""

from __future__ import annotations

import random

import pytest

from cxloop.core import metrics, ux
from cxloop.core.metrics import Estimate

# --- HEART -------------------------------------------------------------------------------------------


def test_heart_scorecard_grades_against_targets() -> None:
    retention = metrics.retention(100, 40)  # [0.3094, 0.4980]: high below 0.5 -> missed
    cards = ux.heart_scorecard(
        {
            "search": ux.HeartInputs(
                happiness=Estimate(4.1, 3.9, 4.3, 50),  # low 3.9 > 3.8 -> met
                adoption=Estimate(0.3, 0.2, 0.4, 80),  # 0.35 inside [0.2, 0.4] -> unclear
                retention=retention,
                task_success=metrics.adjusted_wald(45, 50),  # no target -> None
            ),
            "checkout": ux.HeartInputs(),
        },
        {"happiness": 3.8, "adoption": 0.35, "retention": 0.5, "engagement": 2.0},
    )
    assert [c.area for c in cards] == ["search", "checkout"]
    search, checkout = cards
    assert search.grades == {
        "happiness": "met",
        "engagement": None,  # target but no data
        "adoption": "unclear",
        "retention": "missed",
        "task_success": None,  # data but no target
    }
    assert search.retention is retention and search.engagement is None
    assert checkout.grades == dict.fromkeys(ux.HEART_SIGNALS)


def test_heart_signal_status_edges() -> None:
    assert ux.signal_status(Estimate(0.5, 0.4, 0.6, 40), 0.4) == "unclear"  # low == target: not above it
    assert ux.signal_status(Estimate(0.5, 0.4, 0.6, 40), 0.6) == "unclear"  # high == target
    assert ux.signal_status(Estimate(0.5, 0.4, 0.6, 40), 0.61) == "missed"
    assert ux.signal_status(Estimate(0.5, 0.4, 0.6, 40), 0.39) == "met"
    assert ux.signal_status(Estimate(5.0, None, None, 1), 1.0) == "unclear"  # a value without an interval
    assert ux.signal_status(Estimate(0.3, 0.3, 0.3, 900), 0.2) == "met"  # an exact (census) figure
    assert ux.signal_status(Estimate(None, None, None, 0), 1.0) is None
    assert ux.signal_status(None, 1.0) is None
    assert ux.signal_status(Estimate(0.5, 0.4, 0.6, 40), None) is None


def test_heart_scorecard_without_targets_and_bad_targets() -> None:
    cards = ux.heart_scorecard({"home": ux.HeartInputs(happiness=Estimate(70.0, 65.0, 75.0, 40))}, None)
    assert cards[0].grades == dict.fromkeys(ux.HEART_SIGNALS) and cards[0].happiness is not None
    assert ux.heart_scorecard({}, {"happiness": 1.0}) == []
    with pytest.raises(ValueError, match="unknown HEART signal"):
        ux.heart_scorecard({"home": ux.HeartInputs()}, {"hapiness": 70.0})
    with pytest.raises(ValueError, match="finite"):
        ux.heart_scorecard({"home": ux.HeartInputs()}, {"happiness": float("nan")})


# --- the reference funnel ----------------------------------------------------------------------------
# steps: 0 visit, 1 add to cart, 2 purchase; (step, seconds)

PEOPLE = {
    "A": [(0, 0), (1, 10), (2, 40)],  # straight through: 10 s, 30 s
    "B": [(0, 5), (0, 100), (1, 150)],  # enters at 5 (the second visit does not re-enter); cart at 150
    "C": [(1, 0), (0, 10), (1, 20), (2, 20)],  # cart before the visit is ignored; cart 20 (10 s); purchase
    #   at the same second as the cart counts (≥): 0 s
    "D": [(1, 5), (2, 8)],  # never visits: does not enter
    "E": [(0, 0), (2, 5), (1, 10)],  # purchase at 5 is before the cart at 10: stops at the cart
    "F": [(0, 0), (1, 30), (2, 60), (2, 61)],  # purchase exactly 60 s after entering (window edge)
    "G": [],  # no events
    "H": [(0, 0), (1, 5), (0, 50), (1, 55), (2, 120)],  # re-entry at 50 does not restart the clock
}


def test_funnel_reach_without_window() -> None:
    # entered: A B C E F H = 6 (D, G never visit)
    # cart: A 10−0 = 10, B 150−5 = 145, C 20−10 = 10, E 10−0 = 10, F 30−0 = 30, H 5−0 = 5 -> 6
    # purchase: A 40−10 = 30, C 20−20 = 0, F 60−30 = 30, H 120−5 = 115 -> 4 (E's purchase is before its cart)
    counts = ux.funnel_reach(PEOPLE.values(), 3, None)
    assert tuple(counts.reached) == (6, 6, 4)
    assert sorted(counts.durations[0]) == [5, 10, 10, 10, 30, 145]
    assert sorted(counts.durations[1]) == [0, 30, 30, 115]
    assert counts.steps == 3


def test_funnel_reach_window_cut_off_and_no_re_entry() -> None:
    # window 100 s from entering: B's cart at 150 − 5 = 145 > 100 -> B stops at the visit;
    # H's purchase at 120 − 0 = 120 > 100 -> H stops at the cart (from its second visit at 50 it would
    # have been 70 s, but only the first entry counts); F's purchase at 60 ≤ 100 stays.
    counts = ux.funnel_reach(PEOPLE.values(), 3, 100)
    assert tuple(counts.reached) == (6, 5, 3)
    assert sorted(counts.durations[0]) == [5, 10, 10, 10, 30]
    assert sorted(counts.durations[1]) == [0, 30, 30]
    # window 60: F's purchase at exactly 60 s is inside (inclusive) -> the same
    assert tuple(ux.funnel_reach(PEOPLE.values(), 3, 60).reached) == (6, 5, 3)
    # window 59: F's purchases at 60 and 61 are both late -> F stops at the cart
    late = ux.funnel_reach(PEOPLE.values(), 3, 59)
    assert tuple(late.reached) == (6, 5, 2) and sorted(late.durations[1]) == [0, 30]
    # window 0: only steps in the entering second count: the second person's cart (20) is 10 s after the visit (10)
    assert tuple(ux.funnel_reach([[(0, 7), (1, 7), (2, 7)], [(0, 10), (1, 20)]], 3, 0).reached) == (2, 1, 1)


def test_funnel_reach_ignores_event_order_within_a_timeline() -> None:
    rng = random.Random(8)
    shuffled = []
    for events in PEOPLE.values():
        copy = list(events)
        rng.shuffle(copy)
        shuffled.append(copy)
    a, b = ux.funnel_reach(PEOPLE.values(), 3, 100), ux.funnel_reach(shuffled, 3, 100)
    assert tuple(a.reached) == tuple(b.reached)
    assert [sorted(d) for d in a.durations] == [sorted(d) for d in b.durations]


def test_funnel_reach_edges() -> None:
    empty = ux.funnel_reach([], 3, None)
    assert tuple(empty.reached) == (0, 0, 0) and [list(d) for d in empty.durations] == [[], []]
    one_step = ux.funnel_reach([[(0, 1.0), (0, 2.0)], [(0, 5.0)]], 1, None)
    assert tuple(one_step.reached) == (2,) and len(one_step.durations) == 0
    # a skipped middle step: purchase without a cart does not count
    assert tuple(ux.funnel_reach([[(0, 0), (2, 5)]], 3, None).reached) == (1, 0, 0)
    with pytest.raises(ValueError, match=r"step index 3 is outside 0..2"):
        ux.funnel_reach([[(0, 0), (3, 1)]], 3, None)
    with pytest.raises(ValueError, match=r"step index -1"):
        ux.funnel_reach([[(-1, 0)]], 3, None)
    with pytest.raises(ValueError, match="finite"):
        ux.funnel_reach([[(0, float("inf"))]], 3, None)
    with pytest.raises(ValueError, match="window"):
        ux.funnel_reach([], 3, -1)
    with pytest.raises(ValueError, match="at least one step"):
        ux.funnel_reach([], 0, None)


def test_funnel_steps_from_the_reference_counts() -> None:
    # window 100: reached 6, 5, 3.
    # step 1: 5 of 6, adjusted-Wald: n' = 9.841459, p' = (5 + 1.920729)/9.841459 = 0.703222,
    #   p'(1 − p')/n' = 0.021206, half = 1.959964·0.145623 = 0.285417 -> [0.4178, 0.9886]; dropped 1;
    #   median of 5, 10, 10, 10, 30 = 10 s, no interval (n = 5 < 6).
    # step 2: 3 of 5: n' = 8.841459, p' = 4.920729/8.841459 = 0.556552, half = 0.327462 -> [0.2291, 0.8840];
    #   from the start 3 of 6: p' = 4.920729/9.841459 = 0.5, half = 1.959964·√(0.25/9.841459) = 0.312384
    #   -> [0.1876, 0.8124]; dropped 2; median of 0, 30, 30 = 30 s.
    steps = ux.funnel_steps(ux.funnel_reach(PEOPLE.values(), 3, 100))
    first, cart, purchase = steps
    assert (first.index, first.reached, first.from_previous, first.from_start, first.dropped) == (0, 6, None, None, 0)
    assert first.time_from_previous is None
    assert (cart.index, cart.reached, cart.dropped) == (1, 5, 1)
    assert cart.from_previous is not None and cart.from_previous.value == pytest.approx(5 / 6)
    assert cart.from_previous.low == pytest.approx(0.4178, abs=1e-4)
    assert cart.from_previous.high == pytest.approx(0.9886, abs=1e-4)
    assert cart.from_start == cart.from_previous
    assert cart.time_from_previous is not None
    assert (cart.time_from_previous.value, cart.time_from_previous.low, cart.time_from_previous.n) == (10.0, None, 5)
    assert (purchase.reached, purchase.dropped) == (3, 2)
    assert purchase.from_previous is not None and purchase.from_previous.value == pytest.approx(0.6)
    assert purchase.from_previous.low == pytest.approx(0.2291, abs=1e-4)
    assert purchase.from_previous.high == pytest.approx(0.8840, abs=1e-4)
    assert purchase.from_start is not None and purchase.from_start.value == pytest.approx(0.5)
    assert purchase.from_start.low == pytest.approx(0.1876, abs=1e-4)
    assert purchase.from_start.high == pytest.approx(0.8124, abs=1e-4)
    assert purchase.time_from_previous is not None and purchase.time_from_previous.value == 30.0


def test_funnel_steps_median_time_interval_and_empty_steps() -> None:
    # 20 entered, 10 went on with times 3, 7, 9, 12, 15, 18, 22, 30, 45, 60 s (in any order):
    # 10 of 20: n' = 23.841459, p' = 11.920729/23.841459 = 0.5, half = 1.959964·√(0.25/23.841459) = 0.200702
    # -> [0.2993, 0.7007]; median (15 + 18)/2 = 16.5 with ranks (2, 9) -> [7, 45] (see test_metrics_ux).
    counts = ux.FunnelCounts((20, 10, 0), ([60, 3, 45, 7, 30, 18, 9, 12, 22, 15], []))
    _, second, third = ux.funnel_steps(counts)
    assert second.from_previous is not None
    assert second.from_previous.low == pytest.approx(0.2993, abs=1e-4)
    assert second.from_previous.high == pytest.approx(0.7007, abs=1e-4)
    t = second.time_from_previous
    assert t is not None and (t.value, t.low, t.high, t.n) == (16.5, 7.0, 45.0, 10)
    # nobody reached the third step: 0 of 10 converted; no times
    assert third.from_previous is not None and third.from_previous.value == 0 and third.dropped == 10
    assert third.time_from_previous is not None and third.time_from_previous.value is None
    # nobody entered: conversions have no value
    nobody = ux.funnel_steps(ux.funnel_reach([], 2, None))
    assert nobody[1].from_previous is not None and nobody[1].from_previous.value is None
    assert nobody[1].from_start is not None and nobody[1].from_start.value is None
    with pytest.raises(ValueError, match="confidence"):
        ux.funnel_steps(counts, 2.0)


def test_funnel_counts_validation() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        ux.FunnelCounts((), ())
    with pytest.raises(ValueError, match="needs 2 lists of durations"):
        ux.FunnelCounts((3, 2, 1), ([1.0, 2.0],))
    with pytest.raises(ValueError, match=r"step 1 cannot be reached by more people \(4\) than step 0 \(3\)"):
        ux.FunnelCounts((3, 4), ([1, 2, 3, 4],))
    with pytest.raises(ValueError, match="reached by 2 people but has 1 durations"):
        ux.FunnelCounts((3, 2), ([1.0],))
    with pytest.raises(ValueError, match="non-negative"):
        ux.FunnelCounts((3, 1), ([-1.0],))
    with pytest.raises(ValueError, match="non-negative"):
        ux.FunnelCounts((-1,), ())
