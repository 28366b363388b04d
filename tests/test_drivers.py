"""core.drivers: Johnson's relative weights (and the Shapley R² decomposition) against hand-computed
values and their defining properties, and the seeded bootstrap with the random-variable test."""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from cxloop.core import drivers


def data_with_correlations(corr: list[list[float]], n: int, seed: int = 0) -> np.ndarray:
    """n rows whose *sample* correlation matrix is exactly ``corr``: orthonormalise random centred
    columns (QR), then colour them with the Cholesky factor of ``corr``."""
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((n, len(corr)))
    raw -= raw.mean(axis=0)
    q, _ = np.linalg.qr(raw)
    return q @ np.linalg.cholesky(np.array(corr)).T * np.sqrt(n) + 3.0


def ols_r2(x: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return float(1 - resid.var() / y.var())


def test_two_driver_hand_computation() -> None:
    # r12=0.5, r1y=0.6, r2y=0.4. Rxx eigenvalues 1±0.5, so Λ=Rxx^½=[[a,b],[b,a]] with
    # a=(√1.5+√0.5)/2=0.965926, b=(√1.5-√0.5)/2=0.258819, det Λ = a²-b² = √(1-0.25) = 0.866025.
    # β=Λ⁻¹·rxy: β1=(0.6a-0.4b)/0.866025=0.549670, β2=(0.4a-0.6b)/0.866025=0.266827.
    # ε1=a²β1²+b²β2²=0.933013*0.302137+0.066987*0.071197=0.281898+0.004769=0.286667
    # ε2=b²β1²+a²β2²=0.066987*0.302137+0.933013*0.071197=0.020239+0.066427=0.086667
    # R²=(0.36+0.16-2*0.6*0.4*0.5)/(1-0.25)=0.28/0.75=0.373333=ε1+ε2
    data = data_with_correlations([[1, 0.5, 0.6], [0.5, 1, 0.4], [0.6, 0.4, 1]], n=50)
    weights, r2 = drivers.relative_weights(data[:, :2], data[:, 2])
    assert weights[0] == pytest.approx(0.286667, abs=1e-6)
    assert weights[1] == pytest.approx(0.086667, abs=1e-6)
    assert r2 == pytest.approx(0.373333, abs=1e-6) == ols_r2(data[:, :2], data[:, 2])
    # Shapley: φ1=(R²(1)+R²(1,2)-R²(2))/2=(0.36+0.373333-0.16)/2=0.286667, φ2=(0.16+0.373333-0.36)/2=0.086667
    phi, r2s = drivers.shapley_r2(data[:, :2], data[:, 2])
    assert phi[0] == pytest.approx(0.286667, abs=1e-6) and phi[1] == pytest.approx(0.086667, abs=1e-6)
    assert r2s == pytest.approx(r2)  # (with two drivers the two methods agree here to 6 decimals)


def test_orthogonal_drivers_get_their_squared_correlations() -> None:
    # a replicated 2³ factorial: the three ±1 columns are exactly uncorrelated
    design = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)] * 25, dtype=float)
    rng = np.random.default_rng(7)
    y = 0.5 * design[:, 0] + 0.3 * design[:, 1] + rng.standard_normal(len(design))
    weights, r2 = drivers.relative_weights(design, y)
    r = [float(np.corrcoef(design[:, j], y)[0, 1]) for j in range(3)]
    assert weights == pytest.approx([v * v for v in r], abs=1e-12)
    assert r2 == pytest.approx(sum(v * v for v in r), abs=1e-12) == pytest.approx(ols_r2(design, y))
    phi, _ = drivers.shapley_r2(design, y)
    assert phi == pytest.approx([v * v for v in r], abs=1e-12)


def test_weights_sum_to_r_squared_on_correlated_drivers() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 5))
    x[:, 1] += 0.8 * x[:, 0]
    x[:, 4] = 0.5 * x[:, 2] + 0.5 * x[:, 3] + 0.1 * rng.standard_normal(400)
    y = x @ np.array([0.4, 0.3, 0.2, 0.1, 0.0]) + rng.standard_normal(400)
    weights, r2 = drivers.relative_weights(x, y)
    assert all(w >= 0 for w in weights)
    assert sum(weights) == pytest.approx(r2, abs=1e-12) == pytest.approx(ols_r2(x, y), abs=1e-10)
    phi, r2s = drivers.shapley_r2(x, y)
    assert sum(phi) == pytest.approx(r2s, abs=1e-12) == pytest.approx(r2, abs=1e-10)


def test_degenerate_drivers() -> None:
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal(100)
    y = x1 + rng.standard_normal(100)
    # a duplicated driver (singular Rxx, pseudo-inverse): the weight is split evenly, the sum is R²
    weights, r2 = drivers.relative_weights(np.column_stack([x1, x1]), y)
    assert weights[0] == pytest.approx(weights[1]) and r2 == pytest.approx(ols_r2(x1[:, None], y))
    # a constant driver explains nothing
    weights, r2 = drivers.relative_weights(np.column_stack([x1, np.full(100, 4.0)]), y)
    assert weights[1] == 0 and weights[0] == pytest.approx(r2)
    with pytest.raises(ValueError):
        drivers.relative_weights([[1.0], [2.0]], [1.0, 2.0])
    with pytest.raises(ValueError):
        drivers.relative_weights([[1.0], [2.0], [3.0]], [1.0, 2.0])


@pytest.fixture(scope="module")
def survey() -> tuple[np.ndarray, np.ndarray]:
    """Three real drivers of decreasing strength and one pure-noise driver, n = 600."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((600, 4))
    x[:, 1] += 0.5 * x[:, 0]
    y = 0.6 * x[:, 0] + 0.4 * x[:, 1] + 0.25 * x[:, 2] + rng.standard_normal(600)
    return x, y


def test_bootstrap_intervals_and_significance(survey: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = survey
    result = drivers.key_drivers(x, y, names=["speed", "ease", "price", "noise"], resamples=600, seed=1)
    weights, r2 = drivers.relative_weights(x, y)
    assert [d.weight for d in result.drivers] == pytest.approx(weights)
    assert result.r_squared == pytest.approx(r2)
    assert sum(d.share for d in result.drivers) == pytest.approx(100)
    for d in result.drivers:
        assert d.low is not None and d.high is not None and d.low <= d.weight <= d.high, d
        assert d.share_low is not None and d.share_high is not None and d.share_low <= d.share <= d.share_high
        assert d.vs_random_low is not None and d.vs_random_high is not None
    by_name = {d.name: d for d in result.drivers}
    noise = by_name["noise"]
    assert noise.vs_random_low is not None and noise.vs_random_high is not None
    assert noise.vs_random_low <= 0 <= noise.vs_random_high and noise.significant is False
    assert all(by_name[k].significant for k in ("speed", "ease", "price"))
    assert [d.name for d in result.ranked()][:3] == ["speed", "ease", "price"]
    assert result.r_squared_low is not None and result.r_squared_high is not None
    assert result.r_squared_low <= result.r_squared <= result.r_squared_high
    assert result.n == 600 and result.dropped == 0 and not result.too_few
    assert by_name["speed"].correlation == pytest.approx(float(np.corrcoef(x[:, 0], y)[0, 1]))


def test_bootstrap_is_deterministic_given_a_seed(survey: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = survey
    a = drivers.key_drivers(x, y, resamples=200, seed=42)
    assert drivers.key_drivers(x, y, resamples=200, seed=42) == a
    assert drivers.key_drivers(x, y, resamples=200, seed=43) != a
    assert drivers.key_drivers(x, y, resamples=200, seed=random.Random(5)) == drivers.key_drivers(
        x, y, resamples=200, seed=random.Random(5)
    )
    assert drivers.key_drivers(x, y, resamples=200, seed=np.random.default_rng(9)) == drivers.key_drivers(
        x, y, resamples=200, seed=np.random.default_rng(9)
    )


def test_no_bootstrap_missing_values_and_small_samples() -> None:
    rows = [[1, 2], [2, None], [3, 5], [4, 4], [5, 7], [None, 1]]
    y = [1.0, 2.0, 2.5, 4.5, 5.0, 6.0]
    result = drivers.key_drivers(rows, y, resamples=0)
    assert result.n == 4 and result.dropped == 2 and result.too_few and result.min_n == 30
    assert all(d.low is None and d.significant is None for d in result.drivers)
    assert [d.name for d in result.drivers] == ["x1", "x2"]
    with pytest.raises(ValueError):
        drivers.key_drivers(rows, y, names=["only one"])
    with pytest.raises(ValueError):
        drivers.key_drivers([[1.0], [2.0]], [1.0, 2.0])


def test_bootstrap_speed_ten_drivers_5000_rows_1000_resamples() -> None:
    # about 0.2-0.3 s on the 2-core development VM; the bound only catches a fall back to pure Python
    rng = np.random.default_rng(0)
    x = rng.integers(1, 11, size=(5000, 10)).astype(float)
    y = x @ np.linspace(0.5, 0.0, 10) + rng.normal(0, 3, 5000)
    start = time.perf_counter()
    result = drivers.key_drivers(x, y, resamples=1000, seed=0)
    assert time.perf_counter() - start < 20
    assert len(result.drivers) == 10 and result.resamples == 1000
