"""core.crosstab: counts, percentages and Pearson's chi-square against hand-computed values (and the
SciPy 1.17 values quoted in comments), plus core.probability's chi-square tail."""

from __future__ import annotations

import math

import pytest

from cxloop.core import crosstab, metrics, probability


def test_two_by_two_hand_computation() -> None:
    # rows: segment A (20 satisfied, 15 not), B (30, 35); N=100, row totals 35/65, column totals 50/50.
    # Expected: 35*50/100=17.5 (twice), 65*50/100=32.5 (twice).
    # χ² = 2*2.5²/17.5 + 2*2.5²/32.5 = 6.25*(0.114286+0.061538) = 1.098901, df=1.
    # For df=1, p = P(|Z| > √χ²) = erfc(√(1.098901/2)) = 0.294507
    # (scipy.stats.chi2_contingency(..., correction=False): 1.098901, p=0.2945073936801071).
    table = crosstab.CrossTab.from_counts([[20, 15], [30, 35]], ["A", "B"], ["yes", "no"])
    test = table.chi_square()
    assert test is not None
    assert test.statistic == pytest.approx(1.098901, abs=1e-6) and test.df == 1
    assert test.p_value == pytest.approx(0.2945073936801071, rel=1e-9)
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(test.statistic / 2)), rel=1e-12)
    assert test.cramers_v == pytest.approx(math.sqrt(1.098901 / 100), abs=1e-6)
    assert test.reliable and test.min_expected == 17.5 and not test.significant()
    assert table.expected() == [[17.5, 17.5], [32.5, 32.5]]
    assert table.row_totals == (35, 65) and table.col_totals == (50, 50) and table.total == 100


def test_n_minus_one_chi_square_equals_squared_two_proportion_z() -> None:
    # χ²·(N-1)/N = 1.098901*99/100 = 1.087912 = z² of the N-1 two-proportion test on 20/35 vs 30/65
    table = crosstab.CrossTab.from_counts([[20, 15], [30, 35]])
    test = table.chi_square(n_minus_one=True)
    assert test is not None and test.statistic == pytest.approx(1.087912, abs=1e-6)
    z = metrics.compare_proportions(metrics.Proportion(20, 35), metrics.Proportion(30, 65)).statistic
    assert z is not None and z * z == pytest.approx(test.statistic, rel=1e-12)


def test_three_by_three_matches_scipy() -> None:
    # scipy.stats.chi2_contingency([[12,5,8],[7,15,9],[3,6,20]]): statistic 19.18707305982056,
    # dof 4, p 0.0007221393182640937
    table = crosstab.CrossTab.from_counts([[12, 5, 8], [7, 15, 9], [3, 6, 20]])
    test = table.chi_square()
    assert test is not None
    assert test.statistic == pytest.approx(19.18707305982056, rel=1e-12) and test.df == 4
    assert test.p_value == pytest.approx(0.0007221393182640937, rel=1e-9)
    assert test.significant() and test.significant(0.9999) is False  # p = 0.00072
    # Cramér's V = √(19.187073/(85*2)) = 0.335954
    assert test.cramers_v == pytest.approx(0.335954, abs=1e-6)


def test_percentages() -> None:
    table = crosstab.CrossTab.from_counts([[20, 15], [30, 35], [0, 0]])
    # row %: 20/35 = 57.142857, 15/35 = 42.857143; an empty row has none
    assert table.row_percent()[0] == pytest.approx([57.142857, 42.857143])
    assert table.row_percent()[2] == [None, None]
    # column %: 20/50 = 40, 30/50 = 60
    assert [r[0] for r in table.col_percent()] == pytest.approx([40, 60, 0])
    assert table.total_percent()[1] == pytest.approx([30, 35])
    # the empty row is left out of the test: still 2×2, df = 1
    test = table.chi_square()
    assert test is not None and test.df == 1 and test.statistic == pytest.approx(1.098901, abs=1e-6)


def test_adjusted_residuals() -> None:
    # cell (A, yes): (20-17.5)/√(17.5*(1-35/100)*(1-50/100)) = 2.5/√5.6875 = 1.048285
    table = crosstab.CrossTab.from_counts([[20, 15], [30, 35]])
    res = table.adjusted_residuals()
    assert res[0][0] == pytest.approx(1.048285, abs=1e-6) and res[0][1] == pytest.approx(-1.048285, abs=1e-6)
    assert res[0][0] ** 2 == pytest.approx(1.098901, abs=1e-6)  # in a 2×2 table r² = χ²


def test_crosstab_from_pairs() -> None:
    pairs = [("B", 5), ("A", 4), ("A", 5), ("B", 5), (None, 3), ("A", None), ("A", 5)]
    table = crosstab.crosstab(pairs)
    assert table.row_labels == ("A", "B") and table.col_labels == (4, 5)
    assert table.counts == ((1, 2), (0, 2))
    fixed = crosstab.crosstab(pairs, rows=["B", "A", "C"], cols=[1, 2, 3, 4, 5])
    assert fixed.counts == ((0, 0, 0, 0, 2), (0, 0, 0, 1, 2), (0, 0, 0, 0, 0))
    with pytest.raises(ValueError):
        crosstab.crosstab([("A", 9)], cols=[1, 2])
    mixed = crosstab.crosstab([("x", 1), (2, 1)])  # unorderable labels keep their first-seen order
    assert mixed.row_labels == ("x", 2)


def test_degenerate_tables() -> None:
    assert crosstab.crosstab([]).chi_square() is None
    assert crosstab.CrossTab.from_counts([[3, 4]]).chi_square() is None  # one row: nothing to test
    assert crosstab.CrossTab.from_counts([[0, 0], [0, 0]]).adjusted_residuals() == [[None, None], [None, None]]
    small = crosstab.CrossTab.from_counts([[1, 0], [0, 1]]).chi_square()
    assert small is not None and not small.reliable  # expected 0.5 per cell
    with pytest.raises(ValueError):
        crosstab.CrossTab.from_counts([[1, -1], [0, 1]])
    with pytest.raises(ValueError):
        crosstab.CrossTab(("a",), ("x", "y"), ((1,),))


def test_chi_square_tail_matches_tables() -> None:
    # textbook critical values: χ²(0.95; 1) = 3.841459, χ²(0.95; 2) = 5.991465, χ²(0.99; 10) = 23.209251
    assert probability.chi2_sf(3.841459, 1) == pytest.approx(0.05, abs=1e-7)
    assert probability.chi2_sf(5.991465, 2) == pytest.approx(0.05, abs=1e-7)  # df 2: exactly e^(-x/2)
    assert probability.chi2_sf(23.209251, 10) == pytest.approx(0.01, abs=1e-8)
    assert probability.chi2_sf(0, 3) == 1
    assert probability.chi2_sf(1000, 3) < 1e-200
