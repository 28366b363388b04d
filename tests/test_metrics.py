"""core.metrics against values computed by hand from the published formulas."""

from __future__ import annotations

import dataclasses
import math

import pytest

from cxloop.core import metrics, probability


def test_nps_adjusted_wald_matches_hand_computation() -> None:
    # P=50, passives=30, D=20, n=100. MeasuringU adjusted-Wald:
    # n'=103, p'P=50.75/103=0.492718, p'D=20.75/103=0.201456, NPS'=0.291262,
    # Var=0.492718+0.201456-0.291262^2=0.609341, SE=sqrt(0.609341/103)=0.076915,
    # 1.96*SE=0.150751 -> 29.13 ± 15.08 = [14.05, 44.20]; the point estimate stays 100*(50-20)/100 = 30.
    est = metrics.nps(metrics.NpsCounts(promoters=50, passives=30, detractors=20))
    assert est.value == 30
    assert est.low == pytest.approx(14.05, abs=0.01)
    assert est.high == pytest.approx(44.20, abs=0.01)
    assert est.n == 100 and not est.too_few


def test_nps_symmetric_case_and_counts_from_scores() -> None:
    counts = metrics.NpsCounts.from_scores([10] * 30 + [8] * 40 + [3] * 30)
    assert counts == metrics.NpsCounts(30, 40, 30)
    est = metrics.nps(counts)
    # n'=103, p'=30.75/103=0.298544 each, Var=0.597087, SE=0.076138, 1.96*SE=0.149229
    assert est.value == 0
    assert est.low == pytest.approx(-14.92, abs=0.01) and est.high == pytest.approx(14.92, abs=0.01)


def test_nps_edges() -> None:
    assert metrics.nps(metrics.NpsCounts(0, 0, 0)).value is None
    all_promoters = metrics.nps(metrics.NpsCounts(5, 0, 0))
    assert all_promoters.value == 100 and all_promoters.high == 100 and all_promoters.too_few
    assert all_promoters.low is not None and all_promoters.low < 100
    with pytest.raises(ValueError):
        metrics.NpsCounts.from_scores([11])
    assert metrics.NpsCounts.from_distribution({10: 3, 9: 1, 8: 2, 6: 4, 0: 1}) == metrics.NpsCounts(4, 2, 5)


def test_wilson_matches_hand_computation() -> None:
    # x=81, n=100, z=1.96: centre=(0.81+0.019208)/1.038416=0.798545,
    # half=1.96*sqrt(0.81*0.19/100+3.8416/40000)/1.038416=0.076322 -> [0.7222, 0.8749]
    est = metrics.wilson(81, 100)
    assert est.value == pytest.approx(0.81)
    assert est.low == pytest.approx(0.7222, abs=2e-4)
    assert est.high == pytest.approx(0.8749, abs=2e-4)
    zero = metrics.wilson(0, 10)
    assert zero.low == 0 and zero.high == pytest.approx(0.2775, abs=2e-4)  # 3.8416/13.8416


def test_csat_top_two_box_in_percent() -> None:
    est = metrics.csat({5: 50, 4: 31, 3: 10, 2: 5, 1: 4})
    assert est.value == pytest.approx(81.0)
    assert est.low == pytest.approx(72.22, abs=0.02) and est.high == pytest.approx(87.49, abs=0.02)
    assert metrics.csat({}).value is None


def test_z_for_confidence() -> None:
    assert metrics.z_for(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError):
        metrics.z_for(1.5)


# --- NPS: n = 0, n = 1, all promoters, all detractors, a small sample -------------------------------


def test_nps_n20_hand_computation() -> None:
    # P=10, passives=6, D=4, n=20: NPS = 100*(10-4)/20 = 30.
    # n'=23, p'P=10.75/23=0.467391, p'D=4.75/23=0.206522, NPS'=0.260870,
    # Var=0.467391+0.206522-0.260870^2=0.673913-0.068053=0.605860, SE=sqrt(0.605860/23)=0.162302,
    # 1.959964*SE=0.318106 -> 26.087 ± 31.811 = [-5.72, 57.90]
    est = metrics.nps(metrics.NpsCounts(promoters=10, passives=6, detractors=4))
    assert est.value == 30
    assert est.low == pytest.approx(-5.72, abs=0.01) and est.high == pytest.approx(57.90, abs=0.01)
    assert est.too_few and est.method == "adjusted-wald"


def test_nps_n0_has_no_value_no_interval_and_is_too_few() -> None:
    est = metrics.nps(metrics.NpsCounts(0, 0, 0))
    assert (est.value, est.low, est.high, est.n, est.margin) == (None, None, None, 0, None)
    assert est.too_few


def test_nps_n1() -> None:
    # one promoter: n'=4, p'P=1.75/4=0.4375, p'D=0.75/4=0.1875, NPS'=0.25, Var=0.625-0.0625=0.5625,
    # SE=sqrt(0.5625/4)=0.375, 1.959964*0.375=0.734987 -> [25-73.50, 25+73.50] = [-48.50, 98.50].
    # The adjusted interval is centred on NPS' = 25, so at n = 1 it does not contain the raw 100.
    est = metrics.nps(metrics.NpsCounts(1, 0, 0))
    assert est.value == 100 and est.n == 1 and est.too_few
    assert est.low == pytest.approx(-48.50, abs=0.01) and est.high == pytest.approx(98.50, abs=0.01)
    det = metrics.nps(metrics.NpsCounts(0, 0, 1))  # the mirror image
    assert det.value == -100
    assert det.low == pytest.approx(-98.50, abs=0.01) and det.high == pytest.approx(48.50, abs=0.01)


def test_nps_all_promoters_and_all_detractors() -> None:
    # 20 promoters: n'=23, p'P=20.75/23=0.902174, p'D=0.75/23=0.032609, NPS'=0.869565,
    # Var=0.934783-0.756144=0.178639, SE=sqrt(0.178639/23)=0.088130, 1.959964*SE=0.172731
    # -> [69.68, 104.23] clipped to [69.68, 100].
    top = metrics.nps(metrics.NpsCounts(20, 0, 0))
    assert top.value == 100 and top.high == 100
    assert top.low == pytest.approx(69.68, abs=0.01)
    bottom = metrics.nps(metrics.NpsCounts(0, 0, 20))
    assert bottom.value == -100 and bottom.low == -100
    assert bottom.high == pytest.approx(-69.68, abs=0.01)


def test_estimate_min_n_threshold() -> None:
    est = metrics.nps(metrics.NpsCounts(20, 5, 5))
    assert est.n == 30 and not est.too_few  # the flag is n < 30
    assert not metrics.too_few(30) and metrics.too_few(29) and metrics.too_few(0)
    assert dataclasses.replace(est, min_n=50).too_few
    assert not dataclasses.replace(est, min_n=10).too_few


# --- two-period NPS comparison (MeasuringU adjusted-Wald z-test) ------------------------------------


def test_compare_nps_hand_computation() -> None:
    # before P=50, passives=30, D=20 (n=100): NPS'1=0.291262, Var1=0.609341, n1'=103 (see above).
    # after  P=35, passives=35, D=30 (n=100): p'P=35.75/103=0.347087, p'D=30.75/103=0.298544,
    #   NPS'2=0.048544, Var2=0.645631-0.002357=0.643274, n2'=103.
    # SE=sqrt(0.609341/103+0.643274/103)=sqrt(0.0121614)=0.110279; diff'=0.048544-0.291262=-0.242718;
    # z=-0.242718/0.110279=-2.2010; p=2*(1-Phi(2.2010))=0.0277;
    # interval -0.242718 ± 1.959964*0.110279 = -0.242718 ± 0.216142 -> [-45.89, -2.66] NPS points.
    # The reported difference is the raw one: 5 - 30 = -25.
    before = metrics.nps(metrics.NpsCounts(50, 30, 20))
    after = metrics.nps(metrics.NpsCounts(35, 35, 30))
    cmp = metrics.compare(before, after)
    assert cmp == metrics.compare_nps(metrics.NpsCounts(50, 30, 20), metrics.NpsCounts(35, 35, 30))
    assert cmp.difference == pytest.approx(-25)
    assert cmp.statistic == pytest.approx(-2.2010, abs=1e-4) and cmp.statistic_name == "z" and cmp.df is None
    assert cmp.p_value == pytest.approx(0.0277, abs=1e-4)
    assert cmp.low == pytest.approx(-45.89, abs=0.01) and cmp.high == pytest.approx(-2.66, abs=0.01)
    assert cmp.significant and cmp.direction == "down" and not cmp.too_few
    assert cmp.method == "adjusted-wald NPS z-test"


def test_compare_nps_noise_and_empty_periods() -> None:
    # 30 -> 28 on n = 100 each is ordinary noise: not significant, no direction.
    noise = metrics.compare_nps(metrics.NpsCounts(50, 30, 20), metrics.NpsCounts(49, 30, 21))
    assert noise.difference == pytest.approx(-2) and not noise.significant and noise.direction is None
    assert noise.p_value is not None and noise.p_value > 0.5
    assert noise.low is not None and noise.high is not None and noise.low < 0 < noise.high
    empty = metrics.compare(metrics.nps(metrics.NpsCounts(0, 0, 0)), metrics.nps(metrics.NpsCounts(5, 0, 0)))
    assert empty.difference is None and empty.p_value is None and not empty.significant and empty.too_few
    # all promoters vs all detractors, n = 1 each: the adjusted-Wald SE keeps this finite and, with one
    # response a side, not significant: NPS' = ±0.25, Var = 0.5625, SE = sqrt(2*0.5625/4) = 0.53033,
    # z = -0.5/0.53033 = -0.9428
    tiny = metrics.compare_nps(metrics.NpsCounts(1, 0, 0), metrics.NpsCounts(0, 0, 1))
    assert tiny.difference == -200 and tiny.statistic == pytest.approx(-0.9428, abs=1e-4)
    assert not tiny.significant
    # 100 all-promoters -> 100 all-detractors: NPS'1=100/103=0.970874, Var1=101.5/103-0.970874²=0.042841,
    # the mirror for period 2; SE=sqrt(2*0.042841/103)=0.028842, diff'=-1.941748 ± 0.056530
    # -> [-199.83, -188.52] (inside the ±200 bounds)
    extreme = metrics.compare_nps(metrics.NpsCounts(100, 0, 0), metrics.NpsCounts(0, 0, 100))
    assert extreme.difference == -200 and extreme.significant
    assert extreme.low == pytest.approx(-199.83, abs=0.01) and extreme.high == pytest.approx(-188.52, abs=0.01)


# --- proportions ------------------------------------------------------------------------------------


def test_adjusted_wald_hand_computation_and_small_n() -> None:
    # x=7, n=10, z=1.959964, z²=3.841459: p'=(7+1.920729)/13.841459=0.644491,
    # half=1.959964*sqrt(0.644491*0.355509/13.841459)=1.959964*0.128660=0.252170 -> [0.3923, 0.8967]
    est = metrics.adjusted_wald(7, 10)
    assert est.value == pytest.approx(0.7)
    assert est.low == pytest.approx(0.3923, abs=1e-4) and est.high == pytest.approx(0.8967, abs=1e-4)
    assert metrics.proportion(7, 10) == est
    assert metrics.proportion(7, 10, method="wilson") == metrics.wilson(7, 10)
    # n=1, x=1: p'=2.920729/4.841459=0.603274, half=1.959964*sqrt(0.603274*0.396726/4.841459)=0.435775
    # -> [0.1675, 1.039 -> 1]
    one = metrics.adjusted_wald(1, 1)
    assert one.value == 1 and one.high == 1 and one.low == pytest.approx(0.1675, abs=1e-4)
    # n=0
    zero = metrics.proportion(0, 0)
    assert zero.value is None and zero.low is None and zero.too_few
    # percent scale
    pct = metrics.proportion(7, 10, scale=100)
    assert pct.value == pytest.approx(70) and pct.low == pytest.approx(39.23, abs=0.01)
    with pytest.raises(ValueError):
        metrics.proportion(11, 10)
    with pytest.raises(ValueError):
        metrics.proportion(1, 10, method="exact")  # type: ignore[arg-type]


def test_wilson_edges() -> None:
    # n=1, x=1: centre=(1+1.920729)/4.841459=0.603274, half=1.959964*sqrt(0+3.841459/4)/4.841459=0.396726
    # -> [0.2065, 1] (the upper bound is exactly 1)
    one = metrics.wilson(1, 1)
    assert one.low == pytest.approx(0.2065, abs=1e-4) and one.high == 1
    assert metrics.wilson(0, 0).value is None


def test_compare_proportions_n_minus_one_test_hand_computation() -> None:
    # CSAT 81/100 -> 70/100. N-1 two-proportion test (Campbell 2007): P=151/200=0.755, Q=0.245,
    # SE0=sqrt(0.755*0.245*(1/100+1/100))=0.060824, z=(0.70-0.81)/0.060824*sqrt(199/200)=-1.80398,
    # p=2*(1-Phi(1.80398))=0.0712 -> not significant at 95%.
    # Adjusted-Wald difference: p1'=(81+0.960365)/(100+1.920729)=0.804158, p2'=70.960365/101.920729=0.696231,
    # SE=sqrt(0.804158*0.195842/101.920729+0.696231*0.303769/101.920729)=0.060168,
    # (0.696231-0.804158) ± 1.959964*0.060168 = -0.107927 ± 0.117927 -> [-22.59, 1.00] points
    before = metrics.csat({5: 50, 4: 31, 3: 10, 2: 5, 1: 4})
    after = metrics.csat({5: 40, 4: 30, 3: 20, 2: 6, 1: 4})
    cmp = metrics.compare(before, after)
    assert cmp.difference == pytest.approx(-11)
    assert cmp.statistic == pytest.approx(-1.8040, abs=1e-4) and cmp.p_value == pytest.approx(0.0712, abs=1e-4)
    assert cmp.low == pytest.approx(-22.59, abs=0.01) and cmp.high == pytest.approx(1.00, abs=0.01)
    assert not cmp.significant and cmp.method == "N-1 two-proportion test"
    # a month-18 style drop: 81% -> 60% on 100 each is significant
    drop = metrics.compare_proportions(metrics.Proportion(81, 100, 100), metrics.Proportion(60, 100, 100))
    assert drop.significant and drop.direction == "down" and drop.difference == pytest.approx(-21)
    # both periods at 100%: no evidence of a difference
    same = metrics.compare_proportions(metrics.Proportion(10, 10), metrics.Proportion(20, 20))
    assert same.statistic == 0 and same.p_value == 1 and not same.significant
    assert metrics.compare_proportions(metrics.Proportion(0, 0), metrics.Proportion(3, 5)).p_value is None
    with pytest.raises(ValueError):
        metrics.compare_proportions(metrics.Proportion(1, 2), metrics.Proportion(1, 2, 100))
    with pytest.raises(ValueError):
        metrics.compare(before, metrics.nps(metrics.NpsCounts(1, 1, 1)))


# --- means, CES -------------------------------------------------------------------------------------

CES_A = [5, 6, 7, 4, 5, 6, 7, 5, 6, 5]
CES_B = [3, 4, 5, 4, 3, 5, 4, 4, 3, 4]


def test_t_quantiles_match_tables() -> None:
    # Student-t table: t(0.975, 9) = 2.262, t(0.975, 1) = 12.706, t(0.995, 20) = 2.845, t(0.95, 30) = 1.697
    assert metrics.t_for(0.95, 9) == pytest.approx(2.262157, abs=1e-6)
    assert metrics.t_for(0.95, 1) == pytest.approx(12.7062, abs=1e-4)
    assert metrics.t_for(0.99, 20) == pytest.approx(2.8453, abs=1e-4)
    assert metrics.t_for(0.90, 30) == pytest.approx(1.6973, abs=1e-4)
    assert metrics.t_for(0.95, 1e7) == pytest.approx(metrics.z_for(0.95), abs=1e-6)


def test_ces_mean_t_interval_and_agree_share() -> None:
    # mean = 56/10 = 5.6; squared deviations sum to 8.4, s² = 8.4/9 = 0.93333, s = 0.966092,
    # SE = s/sqrt(10) = 0.305505; t(0.975, 9) = 2.262157 -> half = 0.691100 -> [4.9089, 6.2911].
    # Agreeing (5-7): 9 of 10 = 90%, Wilson: centre=(0.9+0.192073)/1.384146=0.788986,
    # half=1.959964*sqrt(0.009+0.009604)/1.384146=0.193124 -> [59.59, 98.21] %.
    dist = {4: 1, 5: 4, 6: 3, 7: 2}
    result = metrics.ces(dist)
    assert result.mean.value == pytest.approx(5.6)
    assert result.mean.low == pytest.approx(4.9089, abs=1e-4) and result.mean.high == pytest.approx(6.2911, abs=1e-4)
    assert result.mean == metrics.mean(CES_A)
    assert result.agree.value == pytest.approx(90)
    assert result.agree.low == pytest.approx(59.59, abs=0.01) and result.agree.high == pytest.approx(98.21, abs=0.01)
    assert result.n == 10 and result.too_few
    empty = metrics.ces({})
    assert empty.mean.value is None and empty.agree.value is None and empty.too_few
    with pytest.raises(ValueError):
        metrics.ces({8: 1})


def test_mean_n0_n1() -> None:
    assert metrics.mean([]).value is None
    one = metrics.mean([4])
    assert one.value == 4 and one.low is None and one.high is None and one.n == 1
    assert metrics.mean_from_distribution({3: 0}).value is None


def test_compare_means_welch_hand_computation() -> None:
    # A: mean 5.6, s²=0.933333; B: mean 3.9, squared deviations 4.9, s²=4.9/9=0.544444.
    # u1=0.933333/10=0.093333, u2=0.054444, SE=sqrt(0.147778)=0.384419, diff=3.9-5.6=-1.7,
    # t=-1.7/0.384419=-4.42226, df=0.147778²/(0.093333²/9+0.054444²/9)=0.0218383/0.00129726=16.834,
    # p=0.000381 (SciPy's ttest_ind(equal_var=False) gives the same), t(0.975, 16.834)=2.1115
    # -> -1.7 ± 0.81166 = [-2.5117, -0.8883].
    cmp = metrics.compare(metrics.mean(CES_A), metrics.mean(CES_B))
    assert cmp.difference == pytest.approx(-1.7) and cmp.statistic_name == "t"
    assert cmp.statistic == pytest.approx(-4.42226, abs=1e-5) and cmp.df == pytest.approx(16.834, abs=1e-3)
    assert cmp.p_value == pytest.approx(0.000381148, rel=1e-5)
    assert cmp.low == pytest.approx(-2.5117, abs=1e-4) and cmp.high == pytest.approx(-0.8883, abs=1e-4)
    assert cmp.significant and cmp.direction == "down"
    # n < 2 on a side: nothing to test
    assert metrics.compare(metrics.mean([5]), metrics.mean(CES_B)).p_value is None
    # no spread anywhere
    flat = metrics.compare_means(metrics.MeanSummary(5, 0, 10), metrics.MeanSummary(5, 0, 10))
    assert flat.p_value == 1 and not flat.significant
    shifted = metrics.compare_means(metrics.MeanSummary(5, 0, 10), metrics.MeanSummary(6, 0, 10))
    assert shifted.p_value == 0 and shifted.significant and shifted.statistic == math.inf


def test_mean_summary_from_distribution_matches_values() -> None:
    s = metrics.MeanSummary.from_distribution({4: 1, 5: 4, 6: 3, 7: 2})
    v = metrics.MeanSummary.from_values(CES_A)
    assert s.n == v.n == 10 and s.mean == pytest.approx(v.mean) and s.sd == pytest.approx(v.sd)


# --- SUS and UMUX-Lite ------------------------------------------------------------------------------


def test_sus_brooke_scoring() -> None:
    # Brooke (1996): odd items contribute x-1, even items 5-x, the sum times 2.5.
    # answers 4,2,5,1,4,2,5,1,4,2: odd (4,5,4,5,4) -> 3+4+3+4+3 = 17; even (2,1,2,1,2) -> 3+4+3+4+3 = 17;
    # (17+17)*2.5 = 85
    assert metrics.sus_score([4, 2, 5, 1, 4, 2, 5, 1, 4, 2]) == 85
    assert metrics.sus_score([3] * 10) == 50  # every item contributes 2: 20*2.5
    assert metrics.sus_score([5, 1] * 5) == 100 and metrics.sus_score([1, 5] * 5) == 0
    with pytest.raises(ValueError):
        metrics.sus_score([3] * 9)
    with pytest.raises(ValueError):
        metrics.sus_score([6] + [3] * 9)


def test_sus_percentile_and_grade() -> None:
    # normal approximation N(68, 12.5): 68 -> 50th; 85 -> 100*Phi(17/12.5 = 1.36) = 91.31
    assert metrics.sus_percentile(68) == pytest.approx(50)
    assert metrics.sus_percentile(85) == pytest.approx(91.31, abs=0.01)
    # 51.7 -> Phi(-1.304) = 9.61
    assert metrics.sus_percentile(51.7) == pytest.approx(9.61, abs=0.01)
    grades = {
        100: "A+", 84.1: "A+", 84.0: "A", 80.8: "A", 80.7: "A-", 78.9: "A-", 78.8: "B+", 77.2: "B+",
        77.1: "B", 74.1: "B", 74.0: "B-", 72.6: "B-", 72.5: "C+", 71.1: "C+", 71.0: "C", 68: "C",
        65.0: "C", 64.9: "C-", 62.7: "C-", 62.6: "D", 51.7: "D", 51.6: "F", 0: "F",
    }  # fmt: skip
    for score, grade in grades.items():
        assert metrics.sus_grade(score) == grade, score
    assert metrics.sus_grade(80.8 + 3.3) == "A+"  # 84.09999999999999 in floating point
    with pytest.raises(ValueError):
        metrics.sus_grade(101)
    summary = metrics.sus([85, 85, 85])
    assert summary.mean.value == 85 and summary.grade == "A+" and summary.percentile == pytest.approx(91.31, abs=0.01)
    assert summary.mean.low == summary.mean.high == 85  # no spread
    empty = metrics.sus([])
    assert empty.mean.value is None and empty.grade is None and empty.percentile is None and empty.too_few


def test_umux_lite() -> None:
    assert metrics.umux_lite_score(7, 7) == 100  # (7+7-2)*100/12 = 12*100/12
    assert metrics.umux_lite_score(1, 1) == 0
    assert metrics.umux_lite_score(6, 5) == 75  # 9*100/12
    assert metrics.umux_lite_sus_equivalent(75) == pytest.approx(71.65)  # 0.65*75+22.9
    est = metrics.umux_lite([(7, 7), (1, 1)])
    assert est.value == 50 and est.n == 2
    with pytest.raises(ValueError):
        metrics.umux_lite_score(0, 7)


# --- sample size ------------------------------------------------------------------------------------


def test_sample_size_proportion() -> None:
    # z²=3.841459: 3.841459*0.25/0.05² = 384.15 -> 385; /0.03² = 1067.07 -> 1068;
    # p=0.1: 3.841459*0.09/0.0025 = 138.29 -> 139 (always rounded up)
    assert metrics.sample_size_proportion(0.05) == 385
    assert metrics.sample_size_proportion(0.03) == 1068
    assert metrics.sample_size_proportion(0.05, p=0.1) == 139
    assert metrics.sample_size_proportion(0.05, p=0) == 1
    with pytest.raises(ValueError):
        metrics.sample_size_proportion(5)


def test_sample_size_nps() -> None:
    # ±5 points, worst case Var=1: n'=3.841459/0.05² = 1536.58 -> 1537, n = 1537-3 = 1534.
    # pP=0.4, pD=0.2: Var=0.6-0.2²=0.56, n'=3.841459*0.56/0.0025=860.49 -> 861, n = 858.
    assert metrics.sample_size_nps(5) == 1534
    assert metrics.sample_size_nps(5, promoters=0.4, detractors=0.2) == 858
    with pytest.raises(ValueError):
        metrics.sample_size_nps(5, promoters=0.8, detractors=0.3)


def test_sample_size_mean() -> None:
    # s=1, m=0.5: z start (1.96/0.5)² = 15.37 -> 16; t(15)=2.13145 -> 18.17 -> 19;
    # t(18)=2.10092 -> 17.66 -> 18; t(17)=2.10982 -> 17.81 -> 18: stable at 18.
    assert metrics.sample_size_mean(0.5, 1) == 18
    assert metrics.sample_size_mean(1, 0) == 2


def test_t_tail_probabilities() -> None:
    assert probability.t_two_sided_p(2.262157, 9) == pytest.approx(0.05, abs=1e-7)
    assert probability.t_two_sided_p(1, 1) == pytest.approx(0.5)  # Cauchy: P(|T|>1) = 1/2
    assert probability.t_two_sided_p(0, 5) == 1
    # df 2 has a closed form: P(|T|>t) = 1 - t/√(2+t²); t=2 -> 1 - 2/√6 = 0.183503
    assert probability.t_two_sided_p(2, 2) == pytest.approx(1 - 2 / math.sqrt(6), rel=1e-12)
    assert probability.t_cdf(-2, 2) == pytest.approx((1 - 2 / math.sqrt(6)) / 2, rel=1e-12)
    assert probability.t_quantile(0.025, 9) == pytest.approx(-2.262157, abs=1e-6)
    assert probability.t_quantile(0.5, 3) == 0
    assert probability.betainc(2, 3, 0.4) == pytest.approx(0.5248, abs=1e-12)  # 1-(0.6⁴+4·0.4·0.6³)
    with pytest.raises(ValueError):
        probability.t_quantile(1, 5)


def test_median_by_hand() -> None:
    assert metrics.median([]) is None
    assert metrics.median([7]) == 7.0
    assert metrics.median([5, 1, 3]) == 3.0  # sorted 1, 3, 5
    assert metrics.median([4, 1, 3, 2]) == 2.5  # (2 + 3) / 2
    assert metrics.median([0.5, 0.25]) == 0.375
