"""Distribution functions the metrics need: normal, Student's t and chi-square tails and quantiles.

Pure Python on purpose (stdlib ``math`` and ``statistics.NormalDist`` only): ``core.metrics`` and
``core.crosstab`` are imported by web views, and pulling SciPy in for four functions would add a large
dependency for a few dozen lines of well-known numerics. Accuracy is about 1e-12 relative in the
ranges we use (checked against SciPy 1.17 while writing the tests; the tests pin textbook values).

Methods (standard numerical analysis; see e.g. Press et al., *Numerical Recipes*, 3rd ed., §6.2 and
§6.4, and Abramowitz & Stegun 26.5 / 26.7):

* Regularised incomplete beta I_x(a, b): the continued fraction for I_x evaluated with the modified
  Lentz algorithm, using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges
  slowly (x > (a + 1)/(a + b + 2)).
* Regularised incomplete gamma: the power series for P(a, x) when x < a + 1, otherwise the Legendre
  continued fraction for Q(a, x) (modified Lentz).
* Student's t with ν degrees of freedom (ν need not be an integer — Welch's test gives fractional ν):
  P(|T| > t) = I_{ν/(ν+t²)}(ν/2, 1/2). Quantiles by safeguarded Newton iteration (bisection fallback)
  from the normal quantile.
* Chi-square with k degrees of freedom: P(X > x) = Q(k/2, x/2).
"""

from __future__ import annotations

import math
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITER = 10_000

_STANDARD_NORMAL = NormalDist()


def normal_cdf(z: float) -> float:
    return _STANDARD_NORMAL.cdf(z)


def normal_quantile(p: float) -> float:
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    return _STANDARD_NORMAL.inv_cdf(p)


def normal_two_sided_p(z: float) -> float:
    """P(|Z| ≥ |z|) for a standard normal Z, computed with erfc so tiny p-values keep precision."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITER):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")  # pragma: no cover


def betainc(a: float, b: float, x: float, one_minus_x: float | None = None) -> float:
    """The regularised incomplete beta function I_x(a, b).

    ``one_minus_x`` may be passed when 1 − x is known more precisely than ``1 - x`` would compute it.
    """
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be in [0, 1]")
    y = 1.0 - x if one_minus_x is None else one_minus_x
    if x == 0.0:
        return 0.0
    if y == 0.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_cf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_cf(b, a, y) / b


def gammainc_upper(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a)."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x < 0:
        raise ValueError("x must be non-negative")
    if x == 0.0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:
        # series: P(a, x) = e^{−x} x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n))
        term = total = 1.0 / a
        ap = a
        for _ in range(_MAX_ITER):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                return 1.0 - total * math.exp(log_front)
        raise ArithmeticError("incomplete gamma series did not converge")  # pragma: no cover
    # Legendre continued fraction for Q(a, x), modified Lentz
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return math.exp(log_front) * h
    raise ArithmeticError("incomplete gamma continued fraction did not converge")  # pragma: no cover


def chi2_sf(x: float, df: float) -> float:
    """P(X ≥ x) for X ~ χ²(df): the p-value of a chi-square statistic."""
    if df <= 0:
        raise ValueError("df must be positive")
    if x <= 0:
        return 1.0
    return gammainc_upper(df / 2.0, x / 2.0)


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for T ~ Student's t(df); df may be fractional (Welch)."""
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(t):
        return 0.0
    t2 = t * t
    return betainc(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * t_two_sided_p(t, df)
    return 1.0 - tail if t > 0 else tail


def t_pdf(t: float, df: float) -> float:
    log_pdf = (
        math.lgamma((df + 1) / 2)
        - math.lgamma(df / 2)
        - 0.5 * math.log(df * math.pi)
        - (df + 1) / 2 * math.log1p(t * t / df)
    )
    return math.exp(log_pdf)


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t(df), e.g. ``t_quantile(0.975, 9)`` = 2.2622."""
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    if p == 0.5:
        return 0.0
    sign = 1.0 if p > 0.5 else -1.0
    tail = 1.0 - p if p > 0.5 else p  # solve on the smaller tail so extreme p keep their precision
    if df == 1:
        return sign / math.tan(math.pi * tail)
    if df == 2:
        return sign * (1 - 2 * tail) * math.sqrt(2.0 / (4 * tail * (1 - tail)))

    def upper(x: float) -> float:
        return 0.5 * t_two_sided_p(x, df)

    # bracket [lo, hi] with upper(lo) > tail > upper(hi); Newton steps that leave the bracket are
    # replaced by bisection, so the iteration cannot diverge even for small df.
    z = -normal_quantile(tail)
    lo, hi = 0.0, max(1.0, 2 * z)
    while upper(hi) > tail:
        lo, hi = hi, hi * 2
    x = min(max(z, lo), hi)
    for _ in range(200):
        f = upper(x) - tail
        if f > 0:
            lo = x
        else:
            hi = x
        nx = x + f / t_pdf(x, df)
        if not lo < nx < hi:
            nx = (lo + hi) / 2
        if abs(nx - x) <= 1e-14 * max(1.0, abs(x)):
            return sign * nx
        x = nx
    return sign * x  # pragma: no cover
