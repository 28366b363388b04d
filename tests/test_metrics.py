"""core.metrics against values computed by hand from the published formulas."""

from __future__ import annotations

import pytest

from cxloop.core import metrics


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
