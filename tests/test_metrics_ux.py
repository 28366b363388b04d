"""core.metrics' behaviour and UX metrics against values computed by hand from the published formulas."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from cxloop.core import metrics

# z(0.975) = 1.959964, z² = 3.841459 throughout.


# --- time on task: the geometric mean (Sauro & Lewis, QUX ch. 3) -----------------------------------


def test_geometric_mean_matches_hand_computation() -> None:
    # times 20, 40, 80, 160, 320 s: ln = ln 20 + k·ln 2 for k = 0..4
    #   = 2.995732, 3.688879, 4.382027, 5.075174, 5.768321; mean of logs = ln 20 + 2 ln 2 = ln 80 = 4.382027
    #   -> geometric mean exp(4.382027) = 80.
    # deviations −2, −1, 0, 1, 2 (× ln 2): Σd² = 10·ln²2 = 4.804530, s² = 4.804530/4 = 1.201133,
    #   s = 1.095962, s/√5 = ln 2·√0.5 = 0.490129; t(0.975, 4) = 2.776445; half = 2.776445·0.490129 = 1.360816
    # interval exp(4.382027 ± 1.360816) = 80·e^±1.360816 = 80·3.899376 and 80/3.899376 = [20.5161, 311.9501]
    est = metrics.geometric_mean([20, 40, 80, 160, 320])
    assert est.value == pytest.approx(80.0)
    assert est.low == pytest.approx(20.5161, abs=1e-3) and est.high == pytest.approx(311.9501, abs=1e-3)
    assert est.n == 5 and est.too_few and est.basis is None
    arithmetic = metrics.mean([20, 40, 80, 160, 320]).value  # 620/5 = 124, pulled up by the long time
    assert arithmetic == pytest.approx(124.0) and est.value < arithmetic


def test_geometric_mean_from_logs_equals_from_values() -> None:
    # Σ ln x = 5·ln 80 = 21.910133, Σ (ln x)² = 5·ln²80 + 10·ln²2 = 96.010787 + 4.804530 = 100.815317
    est = metrics.geometric_mean_from_logs(5, 21.910133, 100.815317)
    assert est.value == pytest.approx(80.0, rel=1e-6)
    assert est.low == pytest.approx(20.5161, abs=1e-3) and est.high == pytest.approx(311.9501, abs=1e-3)
    logs = [math.log(x) for x in (3.5, 7.25, 12.0)]
    a = metrics.geometric_mean([3.5, 7.25, 12.0], 0.9)
    b = metrics.geometric_mean_from_logs(3, math.fsum(logs), math.fsum(v * v for v in logs), 0.9)
    assert a.value == pytest.approx(b.value) and a.low == pytest.approx(b.low) and a.high == pytest.approx(b.high)


def test_geometric_mean_edges() -> None:
    empty = metrics.geometric_mean([])
    assert (empty.value, empty.low, empty.high, empty.n) == (None, None, None, 0) and empty.too_few
    one = metrics.geometric_mean([42.0])  # exp(ln 42) = 42, no SD -> no interval (as metrics.mean)
    assert one.value == pytest.approx(42.0) and one.low is None and one.high is None and one.n == 1
    same = metrics.geometric_mean([30, 30, 30])  # s = 0: the interval collapses onto the value
    assert same.value == pytest.approx(30.0) and same.low == pytest.approx(30.0) and same.high == pytest.approx(30.0)
    assert metrics.geometric_mean_from_logs(0, 0.0, 0.0).value is None
    assert metrics.geometric_mean_from_logs(1, math.log(9), math.log(9) ** 2).value == pytest.approx(9.0)
    for bad in ([10, 0, 5], [10, -3], [float("nan")], [math.inf]):
        with pytest.raises(ValueError, match="positive, finite"):
            metrics.geometric_mean(bad)
    with pytest.raises(ValueError, match="non-negative"):
        metrics.geometric_mean_from_logs(-1, 0.0, 0.0)
    with pytest.raises(ValueError, match="confidence"):
        metrics.geometric_mean([1, 2], 1.5)


# --- the median's distribution-free interval (Conover §3.2, exact binomial) ------------------------


def test_median_interval_matches_hand_computation() -> None:
    # n = 10, Y ~ Bin(10, ½): P(Y ≤ 0) = 1/1024 = 0.000977, P(Y ≤ 1) = 11/1024 = 0.010742 ≤ 0.025,
    # P(Y ≤ 2) = 56/1024 = 0.054688 > 0.025 -> r − 1 = 1, r = 2, s = 10 + 1 − 2 = 9;
    # coverage 1 − 2·11/1024 = 0.978516 ≥ 0.95.
    # sorted: 3, 7, 9, 12, 15, 18, 22, 30, 45, 60 -> median (15 + 18)/2 = 16.5, interval [x(2), x(9)] = [7, 45]
    est = metrics.median_interval([12, 3, 45, 7, 30, 18, 9, 60, 22, 15])
    assert (est.value, est.low, est.high, est.n) == (16.5, 7.0, 45.0, 10)
    assert est.method == "order statistics (exact binomial)" and est.too_few
    assert metrics.median_ci_ranks(10) == (2, 9)


def test_median_ci_ranks_known_table_values() -> None:
    # n = 20: P(Y ≤ 5) = (1 + 20 + 190 + 1140 + 4845 + 15504)/2²⁰ = 21700/1048576 = 0.020695 ≤ 0.025,
    #   P(Y ≤ 6) = 60460/1048576 = 0.057659 > 0.025 -> r = 6, s = 15 (the textbook table's 6th and 15th).
    assert metrics.median_ci_ranks(20) == (6, 15)
    # n = 6: P(Y ≤ 0) = 1/64 = 0.015625 ≤ 0.025 -> (1, 6), coverage 1 − 2/64 = 0.96875.
    # n = 5: P(Y ≤ 0) = 1/32 = 0.03125 > 0.025 -> even [x(1), x(5)] covers only 0.9375 < 0.95: none.
    assert metrics.median_ci_ranks(6) == (1, 6)
    assert metrics.median_ci_ranks(5) is None
    assert metrics.median_ci_ranks(5, 0.90) == (1, 5)  # 0.03125 ≤ 0.05
    assert metrics.median_ci_ranks(6, 0.96875) == (1, 6)  # P(Y ≤ 0) = α/2 exactly: still covered
    assert metrics.median_ci_ranks(30) == (10, 21) and metrics.median_ci_ranks(100) == (40, 61)
    # QUX's normal approximation for n = 1000: 500 ± 1.96·√250 = 500 ± 30.99 -> ranks 469 .. 531; exact: 469, 532
    assert metrics.median_ci_ranks(1000) == (469, 532)
    assert metrics.median_ci_ranks(0) is None


def test_median_ci_ranks_match_exact_binomial_sums() -> None:
    # the rule with exact rational arithmetic: largest r with Σ_{i<r} C(n, i) / 2ⁿ ≤ α/2
    for conf in (Fraction(90, 100), Fraction(95, 100), Fraction(99, 100)):
        half_alpha = (1 - conf) / 2
        for n in range(1, 120):
            cum, r = Fraction(0), 0
            for k in range(n):
                cum += Fraction(math.comb(n, k), 2**n)
                if cum > half_alpha:
                    break
                r = k + 1
            expected = (r, n + 1 - r) if r else None
            assert metrics.median_ci_ranks(n, float(conf)) == expected, (n, conf)


def test_median_interval_edges() -> None:
    empty = metrics.median_interval([])
    assert (empty.value, empty.low, empty.high, empty.n) == (None, None, None, 0)
    one = metrics.median_interval([7])
    assert (one.value, one.low, one.high, one.n) == (7.0, None, None, 1)
    five = metrics.median_interval([5, 1, 4, 2, 3])  # median 3; n = 5 is too small for a 95 % interval
    assert (five.value, five.low, five.high) == (3.0, None, None)
    six = metrics.median_interval([6, 1, 5, 2, 4, 3])  # (3 + 4)/2 = 3.5, ranks (1, 6) -> [1, 6]
    assert (six.value, six.low, six.high) == (3.5, 1.0, 6.0)
    ties = metrics.median_interval([2] * 10)
    assert (ties.value, ties.low, ties.high) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="NaN"):
        metrics.median_interval([1.0, float("nan"), 3.0])
    with pytest.raises(ValueError, match="confidence"):
        metrics.median_interval([1, 2, 3], 0)
    with pytest.raises(ValueError, match="non-negative"):
        metrics.median_ci_ranks(-1)


def test_median_interval_from_sorted() -> None:
    values = [3, 7, 9, 12, 15, 18, 22, 30, 45, 60]
    est = metrics.median_interval_from_sorted(values)
    assert (est.value, est.low, est.high, est.n) == (16.5, 7.0, 45.0, 10)
    assert metrics.median_interval_from_sorted(values, 0.99) == metrics.median_interval(values[::-1], 0.99)
    # 99 %: α/2 = 0.005, P(Y ≤ 0) = 0.000977 ≤ 0.005 < P(Y ≤ 1) = 0.010742 -> ranks (1, 10) = [3, 60]
    wide = metrics.median_interval_from_sorted(values, 0.99)
    assert (wide.low, wide.high) == (3.0, 60.0)
    with pytest.raises(ValueError, match="ascending order: 9 comes before 8"):
        metrics.median_interval_from_sorted([1, 9, 8])


# --- abandonment and error rate (adjusted-Wald) ---------------------------------------------------


def test_abandonment_matches_hand_computation() -> None:
    # 7 of 10 starts completed -> 3 abandoned, 1 − 7/10 = 0.3. Adjusted-Wald on 3 of 10:
    # n' = 10 + 3.841459 = 13.841459, p' = (3 + 1.920729)/13.841459 = 0.355507,
    # p'(1 − p')/n' = 0.355507·0.644493/13.841459 = 0.016553, half = 1.959964·√0.016553 = 0.252168
    # -> [0.1033, 0.6077]
    est = metrics.abandonment(7, 10)
    assert est.value == pytest.approx(0.3)
    assert est.low == pytest.approx(0.1033, abs=1e-4) and est.high == pytest.approx(0.6077, abs=1e-4)
    assert est.method == "adjusted-wald" and est.basis == metrics.Proportion(3, 10)


def test_abandonment_edges() -> None:
    assert metrics.abandonment(0, 0).value is None
    none_left = metrics.abandonment(10, 10)  # everyone completed: 0 abandoned
    assert none_left.value == 0 and none_left.low == 0 and none_left.high is not None and none_left.high > 0
    all_left = metrics.abandonment(0, 10)
    assert all_left.value == 1 and all_left.high == 1
    with pytest.raises(ValueError, match=r"completions \(11\) cannot exceed starts \(10\)"):
        metrics.abandonment(11, 10)
    with pytest.raises(ValueError, match="non-negative"):
        metrics.abandonment(-1, 10)


def test_error_rate_matches_hand_computation() -> None:
    # 2 errors in 50 opportunities = 0.04. n' = 53.841459, p' = (2 + 1.920729)/53.841459 = 0.072820,
    # p'(1 − p')/n' = 0.072820·0.927180/53.841459 = 0.001254, half = 1.959964·√0.001254 = 0.069406
    # -> [0.0034, 0.1422]
    est = metrics.error_rate(2, 50)
    assert est.value == pytest.approx(0.04)
    assert est.low == pytest.approx(0.0034, abs=1e-4) and est.high == pytest.approx(0.1422, abs=1e-4)
    assert metrics.error_rate(0, 0).value is None
    with pytest.raises(ValueError, match=r"errors \(3\) cannot exceed opportunities \(2\)"):
        metrics.error_rate(3, 2)


# --- weighted proportion (ratio estimator, linearisation variance) ----------------------------------


RENEWALS = [  # (ARR, renewed)
    (10, True), (20, False), (30, False), (40, True), (50, True),
    (60, False), (70, False), (80, True), (90, False), (100, True),
]  # fmt: skip


def test_weighted_proportion_matches_hand_computation() -> None:
    # Σw = 550, renewed ARR = 10 + 40 + 50 + 80 + 100 = 280 -> R = 280/550 = 28/55 = 0.509091.
    # wᵢ(yᵢ − R): renewed w·27/55, not renewed −w·28/55.
    # Σ(wᵢ(yᵢ − R))² = (27/55)²·(10² + 40² + 50² + 80² + 100² = 20600) + (28/55)²·(20² + 30² + 60² + 70² + 90² = 17900)
    #   = (729·20600 + 784·17900)/3025 = (15017400 + 14033600)/3025 = 9603.636
    # v = 10/9 · 9603.636/550² = 10/9 · 0.0317476 = 0.0352751, √v = 0.187817
    # t(0.975, 9) = 2.262157, half = 0.424872 -> [0.509091 − 0.424872, 0.509091 + 0.424872] = [0.0842, 0.9340]
    est = metrics.weighted_proportion(RENEWALS)
    assert est.value == pytest.approx(28 / 55)
    assert est.low == pytest.approx(0.0842, abs=1e-4) and est.high == pytest.approx(0.9340, abs=1e-4)
    assert est.n == 10 and est.method == "ratio estimator (linearisation)"
    # scaling every weight (ARR in cents) changes nothing
    cents = metrics.weighted_proportion((w * 100, y) for w, y in RENEWALS)
    assert cents.value == pytest.approx(est.value) and cents.low == pytest.approx(est.low)


def test_weighted_proportion_clipped_to_zero_one() -> None:
    # Σw = 500, Σwy = 300, R = 0.6; wᵢ(yᵢ − R) = 40, −30, 80, −90; Σ² = 1600 + 900 + 6400 + 8100 = 17000
    # v = 4/3 · 17000/500² = 0.090667, √v = 0.301109, t(0.975, 3) = 3.182446, half = 0.958261
    # -> [−0.358, 1.558] clipped to [0, 1]
    est = metrics.weighted_proportion([(100, True), (50, False), (200, True), (150, False)])
    assert est.value == pytest.approx(0.6) and est.low == 0.0 and est.high == 1.0


def test_weighted_proportion_equal_weights_is_the_t_interval_of_zero_one_values() -> None:
    # 7 of 10 with weight 1: v = 10/9 · (7·0.3² + 3·0.7²)/100 = 10/9 · 0.021 = 0.023333 = s²/n with
    # s² = 10·0.21/9; the same as metrics.mean of the 0/1 values: 0.7 ± 2.262157·0.152753 = [0.3544, 1.0456]
    est = metrics.weighted_proportion([(1.0, True)] * 7 + [(1.0, False)] * 3)
    plain = metrics.mean([1] * 7 + [0] * 3)
    assert est.value == pytest.approx(0.7) and est.low == pytest.approx(plain.low)
    assert est.low == pytest.approx(0.3544, abs=1e-4)
    assert est.high == 1.0  # 1.0456 clipped


def test_weighted_proportion_edges() -> None:
    empty = metrics.weighted_proportion([])
    assert (empty.value, empty.low, empty.high, empty.n) == (None, None, None, 0)
    zero = metrics.weighted_proportion([(0, True), (0.0, False)])  # no weight: nothing to estimate
    assert (zero.value, zero.low, zero.high, zero.n) == (None, None, None, 0)
    one = metrics.weighted_proportion([(5.0, True)])
    assert (one.value, one.low, one.high, one.n) == (1.0, None, None, 1)
    everyone = metrics.weighted_proportion([(3, True), (9, True), (1, True)])  # v = 0: [1, 1]
    assert (everyone.value, everyone.low, everyone.high) == (1.0, 1.0, 1.0)
    # a zero weight counts in n but not in R: R = 10/(10 + 30) = 0.25
    assert metrics.weighted_proportion([(10, True), (30, False), (0, True)]).value == pytest.approx(0.25)
    assert metrics.weighted_proportion([(10, True), (30, False), (0, True)]).n == 3
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="weights must be non-negative and finite"):
            metrics.weighted_proportion([(10, True), (bad, False)])


# --- retention, cohorts, repurchase, churn (Wilson) ------------------------------------------------


def test_retention_matches_hand_computation() -> None:
    # 40 of a cohort of 100 active in period k: p = 0.4, 1 + z²/n = 1.038415,
    # centre = (0.4 + 3.841459/200)/1.038415 = 0.419207/1.038415 = 0.403699,
    # half = 1.959964·√(0.4·0.6/100 + 3.841459/40000)/1.038415 = 1.959964·0.049960/1.038415 = 0.094298
    # -> [0.3094, 0.4980]
    est = metrics.retention(100, 40)
    assert est.value == pytest.approx(0.4) and est.method == "wilson"
    assert est.low == pytest.approx(0.3094, abs=1e-4) and est.high == pytest.approx(0.4980, abs=1e-4)
    assert metrics.retention(0, 0).value is None
    # none and all retained of 50: 1 + z²/50 = 1.076829, centre = half = (z²/100)/1.076829 = 0.035674
    # -> [0, 0.0713] and [0.9287, 1]
    none = metrics.retention(50, 0)
    assert none.low == 0 and none.high == pytest.approx(0.0713, abs=1e-4)
    allr = metrics.retention(50, 50)
    assert allr.high == 1 and allr.low == pytest.approx(0.9287, abs=1e-4)
    with pytest.raises(ValueError, match=r"retained \(51\) cannot exceed the cohort size \(50\)"):
        metrics.retention(50, 51)


def test_cohort_table() -> None:
    rows = metrics.cohort_table({"2024-01": (100, [40, 25]), "2024-02": (50, [50]), "2024-03": (0, [])})
    assert [r.label for r in rows] == ["2024-01", "2024-02", "2024-03"]
    assert [r.size for r in rows] == [100, 50, 0] and [len(r.cells) for r in rows] == [2, 1, 0]
    assert rows[0].cells[0] == metrics.retention(100, 40)
    assert rows[0].cells[1].value == pytest.approx(0.25)
    assert rows[1].cells[0].value == 1.0 and rows[1].cells[0].low == pytest.approx(0.9287, abs=1e-4)
    assert metrics.cohort_table({}) == []
    with pytest.raises(ValueError, match=r"cohort '2024-01': retained in period 2 \(120\)"):
        metrics.cohort_table({"2024-01": (100, [40, 120])})


def test_repurchase_and_churn_rates() -> None:
    # repurchase 30 of 120: p = 0.25, 1 + z²/120 = 1.032012, centre = (0.25 + 0.016006)/1.032012 = 0.257755,
    # half = 1.959964·√(0.25·0.75/120 + 3.841459/57600)/1.032012 = 1.959964·0.040362/1.032012 = 0.076657
    # -> [0.1811, 0.3344]
    rep = metrics.repurchase_rate(30, 120)
    assert rep.value == pytest.approx(0.25)
    assert rep.low == pytest.approx(0.1811, abs=1e-4) and rep.high == pytest.approx(0.3344, abs=1e-4)
    # churn 5 of 200: p = 0.025, 1 + z²/200 = 1.019207, centre = (0.025 + 0.009604)/1.019207 = 0.033952,
    # half = 1.959964·√(0.025·0.975/200 + 3.841459/160000)/1.019207 = 1.959964·0.012078/1.019207 = 0.023227
    # -> [0.0107, 0.0572]
    churn = metrics.churn_rate(5, 200)
    assert churn.value == pytest.approx(0.025)
    assert churn.low == pytest.approx(0.0107, abs=1e-4) and churn.high == pytest.approx(0.0572, abs=1e-4)
    assert metrics.churn_rate(0, 0).value is None and metrics.repurchase_rate(0, 0).value is None
    with pytest.raises(ValueError, match="cannot exceed"):
        metrics.repurchase_rate(5, 4)
    with pytest.raises(ValueError, match=r"churned \(9\) cannot exceed at_risk \(8\)"):
        metrics.churn_rate(9, 8)


def test_stickiness() -> None:
    assert metrics.stickiness(250.0, 1000.0) == pytest.approx(0.25)
    assert metrics.stickiness(0, 10) == 0
    assert metrics.stickiness(0, 0) is None and metrics.stickiness(5, 0) is None
    with pytest.raises(ValueError, match="non-negative"):
        metrics.stickiness(-1, 10)
