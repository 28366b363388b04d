"""CX metrics with their intervals. Pure Python: every number a user sees is computed here.

Formulas and sources:

* NPS = 100 · (promoters − detractors) / n, promoters 9–10, detractors 0–6. Interval: the
  adjusted-Wald method for NPS published by MeasuringU (Sauro, "Confidence intervals for Net Promoter
  Scores"): n' = n + 3, p'P = (P + 3/4)/n', p'D = (D + 3/4)/n', NPS' = p'P − p'D,
  Var = p'P + p'D − (p'P − p'D)², interval NPS' ± z·√(Var/n'), clipped to [−100, 100].
* Proportions (CSAT top-2-box share): the Wilson score interval (Wilson 1927).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

MIN_RESPONSES = 30  # below this a number is shown with a "too few responses" flag


def z_for(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Estimate:
    """A value with its interval and sample size. ``low``/``high`` are None when n == 0."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    confidence: float = 0.95

    @property
    def too_few(self) -> bool:
        return self.n < MIN_RESPONSES

    @property
    def margin(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class NpsCounts:
    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    @classmethod
    def from_scores(cls, scores: Iterable[float]) -> NpsCounts:
        p = pa = d = 0
        for s in scores:
            if s < 0 or s > 10:
                raise ValueError(f"NPS score {s} is outside 0..10")
            if s >= 9:
                p += 1
            elif s >= 7:
                pa += 1
            else:
                d += 1
        return cls(p, pa, d)

    @classmethod
    def from_distribution(cls, counts: Mapping[int, int]) -> NpsCounts:
        """From {score: count} for scores 0..10 (what rollups store)."""
        p = sum(c for s, c in counts.items() if s >= 9)
        pa = sum(c for s, c in counts.items() if 7 <= s <= 8)
        d = sum(c for s, c in counts.items() if s <= 6)
        return cls(p, pa, d)


def nps(counts: NpsCounts, confidence: float = 0.95) -> Estimate:
    n = counts.n
    if n == 0:
        return Estimate(None, None, None, 0, confidence)
    value = 100.0 * (counts.promoters - counts.detractors) / n
    z = z_for(confidence)
    n_adj = n + 3
    pp = (counts.promoters + 0.75) / n_adj
    pd = (counts.detractors + 0.75) / n_adj
    centre = pp - pd
    var = pp + pd - centre**2
    half = z * math.sqrt(var / n_adj)
    low = max(-100.0, 100.0 * (centre - half))
    high = min(100.0, 100.0 * (centre + half))
    return Estimate(value, low, high, n, confidence)


def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """A proportion (0..1) with the Wilson score interval."""
    if successes < 0 or successes > n:
        raise ValueError("successes must be between 0 and n")
    if n == 0:
        return Estimate(None, None, None, 0, confidence)
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact bounds, no rounding residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high, n, confidence)


def csat(distribution: Mapping[int, int], *, scale_max: int = 5, confidence: float = 0.95) -> Estimate:
    """CSAT as the top-2-box share (e.g. 4 and 5 on a 1–5 scale), in percent, Wilson interval."""
    n = sum(distribution.values())
    top = sum(c for s, c in distribution.items() if s >= scale_max - 1)
    est = wilson(top, n, confidence)
    if est.value is None or est.low is None or est.high is None:
        return est
    return Estimate(100 * est.value, 100 * est.low, 100 * est.high, n, confidence)
