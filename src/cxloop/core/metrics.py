"""CX metrics with their intervals and two-period comparisons. Pure Python: every number a user sees
is computed here (tails and quantiles of t / chi-square come from ``core.probability``, also pure).

Conventions
-----------
Every metric returns an :class:`Estimate`: the point value, the interval (``low``/``high``, None when
there is nothing to estimate), ``n``, the confidence level, the method's name and a ``basis`` (the
sufficient statistics: :class:`NpsCounts`, :class:`Proportion` or :class:`MeanSummary`) from which
:func:`compare` runs the right two-period test. n = 0 gives value None, no interval and
``too_few``; ``too_few`` is ``n < min_n`` (``MIN_RESPONSES`` = 30 unless the caller sets ``min_n``).
Percent metrics (NPS, CSAT, shares) are in percent / NPS points; ``wilson``/``adjusted_wald``/
``proportion`` default to 0..1 (``scale=100`` for percent). The point value is always the plain
sample value (e.g. 100·(P − D)/n); the adjusted methods move only the interval's centre, so for very
small n an interval need not be centred on — and at n = 1 need not even contain — the point value.

Formulas and sources
--------------------
* NPS = 100 · (promoters − detractors) / n; promoters answer 9–10, detractors 0–6 on the 0–10
  likelihood-to-recommend question (Reichheld, "The One Number You Need to Grow", HBR 2003).
  Interval: the adjusted-Wald method for NPS (Lewis & Sauro, MeasuringU, "Confidence Intervals for
  Net Promoter Scores"): n' = n + 3, p'P = (P + 3/4)/n', p'D = (D + 3/4)/n', NPS' = p'P − p'D,
  Var = p'P + p'D − (p'P − p'D)², interval NPS' ± z·√(Var/n'), clipped to [−100, 100].
* Two NPS (:func:`compare_nps`): the MeasuringU adjusted-Wald test (Lewis & Sauro, "How to
  Statistically Compare Two Net Promoter Scores", https://measuringu.com/nps-significance-test/, and
  its evaluation "Evaluating NPS Significance Tests with Real-World Data",
  https://measuringu.com/nps-three-significance-tests/): difference NPS'₂ − NPS'₁,
  SE = √(Var₁/n₁' + Var₂/n₂'), z = difference/SE, two-sided normal p, interval difference ± z·SE.
* Proportions (CSAT top-2-box share, shares agreeing): the Wilson score interval (Wilson, "Probable
  inference, the law of succession, and statistical inference", JASA 1927):
  centre (p + z²/2n)/(1 + z²/n), half-width z·√(p(1−p)/n + z²/4n²)/(1 + z²/n).
  Adjusted-Wald interval (Agresti & Coull, "Approximate is better than 'exact' for interval
  estimation of binomial proportions", Am. Stat. 1998), which Sauro & Lewis recommend for small
  samples (Sauro & Lewis, "Estimating completion rates from small samples using binomial confidence
  intervals", HFES 2005; *Quantifying the User Experience* (QUX), 2nd ed. 2016, ch. 3):
  p' = (x + z²/2)/(n + z²), interval p' ± z·√(p'(1−p')/(n + z²)), clipped to [0, 1].
* Two proportions (:func:`compare_proportions`): the N − 1 two-proportion test (Campbell, "Chi-squared
  and Fisher–Irwin tests of two-by-two tables with small sample recommendations", Stat. Med. 2007;
  recommended in QUX ch. 5): z = (p₂ − p₁)/√(PQ(1/n₁ + 1/n₂)) · √((N − 1)/N), P = (x₁ + x₂)/N,
  Q = 1 − P, N = n₁ + n₂. Its interval is the adjusted-Wald interval for a difference (Agresti &
  Caffo, "Simple and effective confidence intervals for proportions and differences of proportions
  result from adding two successes and two failures", Am. Stat. 2000; in the z²-general form of QUX
  ch. 5): p̂ᵢ = (xᵢ + z²/4)/(nᵢ + z²/2), (p̂₂ − p̂₁) ± z·√(Σ p̂ᵢ(1 − p̂ᵢ)/(nᵢ + z²/2)). ``significant``
  comes from the test's p-value; at the exact margin the interval may disagree with it.
* Means (CES, SUS, UMUX-Lite): the t-interval x̄ ± t(1 − α/2, n − 1)·s/√n with the sample SD s
  (divisor n − 1) (QUX ch. 3). Two means (:func:`compare_means`): Welch's unequal-variance t test
  (Welch, Biometrika 1947) with the Welch–Satterthwaite df = (s₁²/n₁ + s₂²/n₂)² /
  ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)) (Satterthwaite 1946), interval difference ± t·SE.
* CES: the Customer Effort Score 2.0, 1–7 agreement with "the company made it easy for me to handle
  my issue" (Dixon, Freeman & Toman, "Stop Trying to Delight Your Customers", HBR 2010): the mean with
  the t-interval and the share agreeing (5–7) with the Wilson interval.
* SUS: Brooke's scoring (Brooke, "SUS: a 'quick and dirty' usability scale", in *Usability Evaluation
  in Industry*, 1996): odd items contribute x − 1, even items 5 − x, the sum × 2.5 (0–100). Percentile
  rank: the normal approximation Sauro & Lewis use for their SUS database, mean 68, SD 12.5
  (Sauro, *A Practical Guide to the System Usability Scale*, 2011; QUX ch. 8): 100·Φ((SUS − 68)/12.5).
  Grade: the Sauro–Lewis curved grading scale for mean SUS scores (QUX 2nd ed., Table 8.5): A+ 84.1–100,
  A 80.8–84.0, A− 78.9–80.7, B+ 77.2–78.8, B 74.1–77.1, B− 72.6–74.0, C+ 71.1–72.5, C 65.0–71.0,
  C− 62.7–64.9, D 51.7–62.6, F 0–51.6 (returned with ASCII hyphens: "A-", "B-", "C-"); a mean between
  two published bands (e.g. 84.05) gets the lower.
* UMUX-Lite: (x₁ + x₂ − 2)·100/12 for two 1–7 items (Lewis, Utesch & Maher, "UMUX-LITE: when there's
  no time for the SUS", CHI 2013), and the same paper's regression onto the SUS scale,
  0.65·UMUX-Lite + 22.9 (:func:`umux_lite_sus_equivalent`).
* Sample size for a margin of error m (half-width) at confidence z (QUX ch. 6):
  proportion n = z²·p(1 − p)/m² (p = 0.5 unless an expected share is given; the worst case);
  NPS n' = z²·Var/m² with Var = pP + pD − (pP − pD)² from expected shares (default pP = pD = 0.5,
  Var = 1, the worst case) and n = n' − 3 (the adjusted-Wald n' = n + 3);
  mean n = (t·s/m)², iterating t with df = n − 1 from the z start until n is stable (QUX ch. 6).
  Rounding: always up (``math.ceil``) so the achieved margin is at most the requested one, after
  rounding the real-valued n to 9 decimals so float residue (384.00000000001) does not add a
  respondent; never below 1 (2 for means, which need an SD).

Behaviour and UX metrics (time on task, the median's interval, abandonment, error and weighted rates,
retention and cohorts, repurchase, churn, stickiness) have their formulas and sources at their section at
the end of this module.

Dependencies: none beyond the standard library, on purpose (see ``core.probability``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cxloop.core import probability

MIN_RESPONSES = 30  # below this a number is shown with a "too few responses" flag

ScoreCounts = Mapping[int, int] | Mapping[float, int]  # {score: count}, what rollups store


def z_for(confidence: float) -> float:
    """The two-sided normal critical value, e.g. 1.959964 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return probability.normal_quantile(0.5 + confidence / 2)


def t_for(confidence: float, df: float) -> float:
    """The two-sided Student-t critical value, e.g. 2.262157 for 0.95 and df = 9."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return probability.t_quantile(0.5 + confidence / 2, df)


def too_few(n: int, min_n: int = MIN_RESPONSES) -> bool:
    """The "too few responses" flag: fewer than ``min_n`` responses (n = 0 included)."""
    return n < min_n


# --- sufficient statistics (the "basis" an Estimate carries for comparisons) ---------------------


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


@dataclass(frozen=True)
class Proportion:
    """``successes`` out of ``n``; ``scale`` is 1 for 0..1 estimates and 100 for percent."""

    successes: int
    n: int
    scale: float = 1.0


@dataclass(frozen=True)
class MeanSummary:
    """Mean, sample SD (divisor n − 1; 0 when n < 2) and n: all a t-interval or Welch's test needs."""

    mean: float
    sd: float
    n: int

    @classmethod
    def from_values(cls, values: Iterable[float]) -> MeanSummary:
        xs = [float(v) for v in values]
        n = len(xs)
        if n == 0:
            return cls(0.0, 0.0, 0)
        m = math.fsum(xs) / n
        sd = math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (n - 1)) if n > 1 else 0.0
        return cls(m, sd, n)

    @classmethod
    def from_sums(cls, n: int, total: float, total_sq: float) -> MeanSummary:
        """From n, Σx and Σx² (what a database aggregate returns): s² = (Σx² − n·x̄²)/(n − 1), never below 0
        (float rounding can take it a hair under)."""
        if n < 0:
            raise ValueError("n must be non-negative")
        if n == 0:
            return cls(0.0, 0.0, 0)
        m = total / n
        if n == 1:
            return cls(m, 0.0, 1)
        return cls(m, math.sqrt(max(0.0, (total_sq - n * m * m) / (n - 1))), n)

    @classmethod
    def from_distribution(cls, counts: ScoreCounts) -> MeanSummary:
        """From {score: count} (what rollups store)."""
        if any(c < 0 for c in counts.values()):
            raise ValueError("counts must be non-negative")
        n = sum(counts.values())
        if n == 0:
            return cls(0.0, 0.0, 0)
        m = math.fsum(s * c for s, c in counts.items()) / n
        ss = math.fsum(c * (s - m) ** 2 for s, c in counts.items())
        return cls(m, math.sqrt(ss / (n - 1)) if n > 1 else 0.0, n)


Basis = NpsCounts | Proportion | MeanSummary


@dataclass(frozen=True)
class Estimate:
    """A value with its interval and sample size. ``low``/``high`` are None when n == 0 (and for a
    mean when n == 1). ``basis`` holds the counts/summary :func:`compare` needs."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    confidence: float = 0.95
    method: str = ""
    basis: Basis | None = None
    min_n: int = MIN_RESPONSES

    @property
    def too_few(self) -> bool:
        return too_few(self.n, self.min_n)

    @property
    def margin(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


# --- NPS -------------------------------------------------------------------------------------------


def _nps_adjusted(counts: NpsCounts) -> tuple[float, float, int]:
    """(NPS' as a fraction, Var, n') of the MeasuringU adjusted-Wald method."""
    n_adj = counts.n + 3
    pp = (counts.promoters + 0.75) / n_adj
    pd = (counts.detractors + 0.75) / n_adj
    centre = pp - pd
    return centre, pp + pd - centre**2, n_adj


def nps(counts: NpsCounts, confidence: float = 0.95) -> Estimate:
    """NPS in points (−100..100) with the adjusted-Wald interval."""
    n = counts.n
    if n == 0:
        return Estimate(None, None, None, 0, confidence, "adjusted-wald", counts)
    value = 100.0 * (counts.promoters - counts.detractors) / n
    centre, var, n_adj = _nps_adjusted(counts)
    half = z_for(confidence) * math.sqrt(var / n_adj)
    low = max(-100.0, 100.0 * (centre - half))
    high = min(100.0, 100.0 * (centre + half))
    return Estimate(value, low, high, n, confidence, "adjusted-wald", counts)


# --- proportions -----------------------------------------------------------------------------------


def _check_counts(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError("successes must be between 0 and n")


def wilson(successes: int, n: int, confidence: float = 0.95, *, scale: float = 1.0) -> Estimate:
    """A proportion (0..1, or ×``scale``) with the Wilson score interval."""
    _check_counts(successes, n)
    basis = Proportion(successes, n, scale)
    if n == 0:
        return Estimate(None, None, None, 0, confidence, "wilson", basis)
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact bounds, no rounding residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(scale * p, scale * low, scale * high, n, confidence, "wilson", basis)


def adjusted_wald(successes: int, n: int, confidence: float = 0.95, *, scale: float = 1.0) -> Estimate:
    """A proportion (0..1, or ×``scale``) with the adjusted-Wald (Agresti–Coull) interval."""
    _check_counts(successes, n)
    basis = Proportion(successes, n, scale)
    if n == 0:
        return Estimate(None, None, None, 0, confidence, "adjusted-wald", basis)
    z = z_for(confidence)
    n_adj = n + z * z
    p_adj = (successes + z * z / 2) / n_adj
    half = z * math.sqrt(p_adj * (1 - p_adj) / n_adj)
    low, high = max(0.0, p_adj - half), min(1.0, p_adj + half)
    return Estimate(scale * successes / n, scale * low, scale * high, n, confidence, "adjusted-wald", basis)


ProportionMethod = Literal["adjusted-wald", "wilson"]


def proportion(
    successes: int,
    n: int,
    *,
    confidence: float = 0.95,
    method: ProportionMethod = "adjusted-wald",
    scale: float = 1.0,
) -> Estimate:
    """A proportion with an interval; adjusted-Wald by default (Sauro & Lewis' choice for small n)."""
    if method == "adjusted-wald":
        return adjusted_wald(successes, n, confidence, scale=scale)
    if method == "wilson":
        return wilson(successes, n, confidence, scale=scale)
    raise ValueError(f"unknown proportion method {method!r}")


def share_at_least(
    distribution: Mapping[int, int],
    threshold: int,
    *,
    confidence: float = 0.95,
    method: ProportionMethod = "wilson",
) -> Estimate:
    """The share (in percent) of answers ≥ ``threshold`` in a {score: count} distribution."""
    n = sum(distribution.values())
    hits = sum(c for s, c in distribution.items() if s >= threshold)
    return proportion(hits, n, confidence=confidence, method=method, scale=100.0)


def csat(distribution: Mapping[int, int], *, scale_max: int = 5, confidence: float = 0.95) -> Estimate:
    """CSAT as the top-2-box share (e.g. 4 and 5 on a 1–5 scale), in percent, Wilson interval."""
    return share_at_least(distribution, scale_max - 1, confidence=confidence, method="wilson")


# --- means -----------------------------------------------------------------------------------------


def mean_from_summary(summary: MeanSummary, confidence: float = 0.95) -> Estimate:
    """The mean with the t-interval x̄ ± t(n−1)·s/√n; no interval for n < 2."""
    n = summary.n
    if n == 0:
        return Estimate(None, None, None, 0, confidence, "t", summary)
    if n == 1:
        return Estimate(summary.mean, None, None, 1, confidence, "t", summary)
    half = t_for(confidence, n - 1) * summary.sd / math.sqrt(n)
    return Estimate(summary.mean, summary.mean - half, summary.mean + half, n, confidence, "t", summary)


def median(values: Iterable[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None without values."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    return float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def mean(values: Iterable[float], confidence: float = 0.95) -> Estimate:
    return mean_from_summary(MeanSummary.from_values(values), confidence)


def mean_from_distribution(distribution: ScoreCounts, confidence: float = 0.95) -> Estimate:
    return mean_from_summary(MeanSummary.from_distribution(distribution), confidence)


# --- CES -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ces:
    mean: Estimate  # on the 1–7 scale, t-interval
    agree: Estimate  # percent answering agree_from..7, Wilson interval

    @property
    def n(self) -> int:
        return self.mean.n

    @property
    def too_few(self) -> bool:
        return self.mean.too_few


def ces(
    distribution: Mapping[int, int],
    *,
    scale_min: int = 1,
    scale_max: int = 7,
    agree_from: int = 5,
    confidence: float = 0.95,
) -> Ces:
    """Customer Effort Score from a {score: count} distribution on a 1–7 agreement scale."""
    for s, c in distribution.items():
        if c and not scale_min <= s <= scale_max:
            raise ValueError(f"CES score {s} is outside {scale_min}..{scale_max}")
    return Ces(
        mean_from_distribution(distribution, confidence),
        share_at_least(distribution, agree_from, confidence=confidence, method="wilson"),
    )


# --- SUS -------------------------------------------------------------------------------------------

SUS_NORM_MEAN = 68.0
SUS_NORM_SD = 12.5

# Sauro–Lewis curved grading scale (QUX 2nd ed., Table 8.5): the lowest mean SUS for each grade.
SUS_GRADES: tuple[tuple[float, str], ...] = (
    (84.1, "A+"),
    (80.8, "A"),
    (78.9, "A-"),
    (77.2, "B+"),
    (74.1, "B"),
    (72.6, "B-"),
    (71.1, "C+"),
    (65.0, "C"),
    (62.7, "C-"),
    (51.7, "D"),
    (0.0, "F"),
)


def sus_score(items: Sequence[int]) -> float:
    """One respondent's SUS (0–100) from the ten 1–5 answers in questionnaire order (Brooke)."""
    if len(items) != 10:
        raise ValueError("SUS has exactly ten items")
    total = 0
    for i, x in enumerate(items, start=1):
        if not 1 <= x <= 5:
            raise ValueError(f"SUS item {i} answer {x} is outside 1..5")
        total += (x - 1) if i % 2 == 1 else (5 - x)
    return total * 2.5


def sus_percentile(score: float) -> float:
    """Percentile rank (0–100) of a SUS score under the normal approximation N(68, 12.5²)."""
    return 100.0 * probability.normal_cdf((score - SUS_NORM_MEAN) / SUS_NORM_SD)


def sus_grade(score: float) -> str:
    """The Sauro–Lewis curved grade (A+ … F) of a mean SUS score."""
    if not 0 <= score <= 100:
        raise ValueError("a SUS score is between 0 and 100")
    rounded = round(score, 6)  # 84.1 computed as 84.09999999 still earns A+
    return next(grade for floor, grade in SUS_GRADES if rounded >= floor)


@dataclass(frozen=True)
class Sus:
    mean: Estimate
    percentile: float | None  # of the mean
    grade: str | None  # of the mean

    @property
    def too_few(self) -> bool:
        return self.mean.too_few


def sus(scores: Iterable[float], confidence: float = 0.95) -> Sus:
    """Mean SUS (from per-respondent scores, see :func:`sus_score`) with the t-interval, and the
    mean's percentile and grade."""
    est = mean(scores, confidence)
    if est.value is None:
        return Sus(est, None, None)
    return Sus(est, sus_percentile(est.value), sus_grade(est.value))


# --- UMUX-Lite -------------------------------------------------------------------------------------


def umux_lite_score(x1: int, x2: int) -> float:
    """One respondent's UMUX-Lite (0–100) from the two 1–7 items: (x1 + x2 − 2)·100/12."""
    for x in (x1, x2):
        if not 1 <= x <= 7:
            raise ValueError(f"UMUX-Lite answer {x} is outside 1..7")
    return (x1 + x2 - 2) * 100.0 / 12.0


def umux_lite_sus_equivalent(score: float) -> float:
    """Lewis et al.'s (2013) regression of a UMUX-Lite score onto the SUS scale: 0.65·score + 22.9."""
    return 0.65 * score + 22.9


def umux_lite(pairs: Iterable[tuple[int, int]], confidence: float = 0.95) -> Estimate:
    """Mean UMUX-Lite with the t-interval."""
    return mean((umux_lite_score(a, b) for a, b in pairs), confidence)


# --- sample size -----------------------------------------------------------------------------------


def _ceil(x: float) -> int:
    return math.ceil(round(x, 9))


def sample_size_proportion(margin: float, *, p: float = 0.5, confidence: float = 0.95) -> int:
    """Responses needed for a proportion's margin (half-width, 0..1, e.g. 0.05): ⌈z²p(1−p)/m²⌉."""
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1 (a proportion, e.g. 0.05)")
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    z = z_for(confidence)
    return max(1, _ceil(z * z * p * (1 - p) / (margin * margin)))


def sample_size_nps(
    margin_points: float,
    *,
    promoters: float = 0.5,
    detractors: float = 0.5,
    confidence: float = 0.95,
) -> int:
    """Responses needed for an NPS margin in points (e.g. 5 for ±5), from the expected promoter and
    detractor shares (0..1; the default 0.5/0.5 is the worst case, Var = 1): ⌈z²·Var/m²⌉ − 3."""
    if not 0 < margin_points < 200:
        raise ValueError("margin_points must be between 0 and 200 NPS points")
    if promoters < 0 or detractors < 0 or promoters + detractors > 1:
        raise ValueError("promoter and detractor shares must be non-negative and sum to at most 1")
    m = margin_points / 100.0
    var = promoters + detractors - (promoters - detractors) ** 2
    z = z_for(confidence)
    return max(1, _ceil(z * z * var / (m * m)) - 3)


def sample_size_mean(margin: float, sd: float, *, confidence: float = 0.95) -> int:
    """Responses needed for a mean's margin (same units as ``sd``): n = (t·s/m)², t iterated."""
    if margin <= 0 or sd < 0:
        raise ValueError("margin must be positive and sd non-negative")
    n = max(2, _ceil((z_for(confidence) * sd / margin) ** 2))
    for _ in range(100):
        nxt = max(2, _ceil((t_for(confidence, n - 1) * sd / margin) ** 2))
        if nxt == n:
            break
        n = nxt
    return n


# --- two-period comparisons ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """``after`` − ``before``: the difference in the estimates' units (NPS points, percentage points
    for percent estimates, scale points for means), its interval, the test statistic (``z`` or
    ``t``; ``df`` for t), the two-sided p-value and whether p < 1 − confidence. All None (and
    ``significant`` False) when either side has no data to test."""

    difference: float | None
    low: float | None
    high: float | None
    statistic: float | None
    statistic_name: str
    df: float | None
    p_value: float | None
    significant: bool
    n_before: int
    n_after: int
    confidence: float
    method: str
    min_n: int = MIN_RESPONSES

    @property
    def too_few(self) -> bool:
        return too_few(self.n_before, self.min_n) or too_few(self.n_after, self.min_n)

    @property
    def direction(self) -> Literal["up", "down"] | None:
        """Whether a significant change went "up" or "down"; None when not significant."""
        if not self.significant or self.difference is None:
            return None
        return "up" if self.difference > 0 else "down"


def _no_comparison(n_before: int, n_after: int, confidence: float, method: str, name: str) -> Comparison:
    return Comparison(None, None, None, None, name, None, None, False, n_before, n_after, confidence, method)


def _alpha(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return 1 - confidence


def compare_nps(before: NpsCounts, after: NpsCounts, *, confidence: float = 0.95) -> Comparison:
    """MeasuringU's adjusted-Wald two-sample NPS test; difference and interval in NPS points."""
    alpha = _alpha(confidence)
    method = "adjusted-wald NPS z-test"
    if before.n == 0 or after.n == 0:
        return _no_comparison(before.n, after.n, confidence, method, "z")
    c1, v1, n1 = _nps_adjusted(before)
    c2, v2, n2 = _nps_adjusted(after)
    se = math.sqrt(v1 / n1 + v2 / n2)  # > 0: each adjusted share is at least 0.75/n'
    diff_adj = c2 - c1
    z = diff_adj / se
    p = probability.normal_two_sided_p(z)
    half = z_for(confidence) * se
    raw = 100.0 * ((after.promoters - after.detractors) / after.n - (before.promoters - before.detractors) / before.n)
    return Comparison(
        raw,
        max(-200.0, 100.0 * (diff_adj - half)),
        min(200.0, 100.0 * (diff_adj + half)),
        z,
        "z",
        None,
        p,
        p < alpha,
        before.n,
        after.n,
        confidence,
        method,
    )


def compare_proportions(before: Proportion, after: Proportion, *, confidence: float = 0.95) -> Comparison:
    """N − 1 two-proportion test with the adjusted-Wald interval of the difference (× ``scale``)."""
    alpha = _alpha(confidence)
    method = "N-1 two-proportion test"
    if before.scale != after.scale:
        raise ValueError("both proportions must be on the same scale")
    _check_counts(before.successes, before.n)
    _check_counts(after.successes, after.n)
    n1, n2 = before.n, after.n
    if n1 == 0 or n2 == 0:
        return _no_comparison(n1, n2, confidence, method, "z")
    x1, x2 = before.successes, after.successes
    p1, p2 = x1 / n1, x2 / n2
    big_n = n1 + n2
    pooled = (x1 + x2) / big_n
    denom = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if denom == 0:  # both all-success or both all-failure: no evidence of any difference
        z, p = 0.0, 1.0
    else:
        z = (p2 - p1) / denom * math.sqrt((big_n - 1) / big_n)
        p = probability.normal_two_sided_p(z)
    zc = z_for(confidence)
    a1, a2 = (x1 + zc * zc / 4) / (n1 + zc * zc / 2), (x2 + zc * zc / 4) / (n2 + zc * zc / 2)
    se = math.sqrt(a1 * (1 - a1) / (n1 + zc * zc / 2) + a2 * (1 - a2) / (n2 + zc * zc / 2))
    s = before.scale
    return Comparison(
        s * (p2 - p1),
        s * max(-1.0, a2 - a1 - zc * se),
        s * min(1.0, a2 - a1 + zc * se),
        z,
        "z",
        None,
        p,
        p < alpha,
        n1,
        n2,
        confidence,
        method,
    )


def compare_means(before: MeanSummary, after: MeanSummary, *, confidence: float = 0.95) -> Comparison:
    """Welch's unequal-variance t test; needs n ≥ 2 on both sides."""
    alpha = _alpha(confidence)
    method = "Welch t-test"
    n1, n2 = before.n, after.n
    if n1 < 2 or n2 < 2:
        return _no_comparison(n1, n2, confidence, method, "t")
    diff = after.mean - before.mean
    u1, u2 = before.sd**2 / n1, after.sd**2 / n2
    se = math.sqrt(u1 + u2)
    if se == 0:  # no spread on either side: any difference is exact
        p = 1.0 if diff == 0 else 0.0
        t = 0.0 if diff == 0 else math.copysign(math.inf, diff)
        return Comparison(diff, diff, diff, t, "t", None, p, p < alpha, n1, n2, confidence, method)
    df = (u1 + u2) ** 2 / (u1 * u1 / (n1 - 1) + u2 * u2 / (n2 - 1))
    t = diff / se
    p = probability.t_two_sided_p(t, df)
    half = t_for(confidence, df) * se
    return Comparison(diff, diff - half, diff + half, t, "t", df, p, p < alpha, n1, n2, confidence, method)


def compare(before: Estimate, after: Estimate, *, confidence: float | None = None) -> Comparison:
    """Compare two estimates of the same metric (e.g. last period vs this one) with the test that
    fits their basis: NPS → :func:`compare_nps`, proportions/shares/CSAT → :func:`compare_proportions`,
    means (CES, SUS, UMUX-Lite) → :func:`compare_means`. ``confidence`` defaults to ``before``'s."""
    conf = before.confidence if confidence is None else confidence
    a, b = before.basis, after.basis
    if isinstance(a, NpsCounts) and isinstance(b, NpsCounts):
        return compare_nps(a, b, confidence=conf)
    if isinstance(a, Proportion) and isinstance(b, Proportion):
        return compare_proportions(a, b, confidence=conf)
    if isinstance(a, MeanSummary) and isinstance(b, MeanSummary):
        return compare_means(a, b, confidence=conf)
    raise ValueError("both estimates must come from the same kind of metric (and carry their basis)")


# --- spikes in a series of shares ------------------------------------------------------------------


def spikes(series: Sequence[Proportion], *, baseline: int = 3, confidence: float = 0.99) -> list[Comparison | None]:
    """For each period of ``series`` (e.g. the monthly share of comments about one theme), the
    :func:`compare_proportions` test of its share against the pooled share of the ``baseline`` periods
    just before it (successes and n summed). None for the first ``baseline`` periods and where the
    baseline or the period has no data. A *spike* is a comparison with ``direction == "up"``.

    The default confidence is 99 %, not 95 %: a page tests every period of every theme, and at 95 % one
    period in twenty would look like a spike by chance alone."""
    if baseline < 1:
        raise ValueError("baseline must be at least one period")
    out: list[Comparison | None] = []
    for i, current in enumerate(series):
        if i < baseline:
            out.append(None)
            continue
        before = series[i - baseline : i]
        pooled = Proportion(sum(p.successes for p in before), sum(p.n for p in before), current.scale)
        if pooled.n == 0 or current.n == 0:
            out.append(None)
            continue
        out.append(compare_proportions(pooled, current, confidence=confidence))
    return out



# --- weighted NPS (Kish effective sample size) -----------------------------------------------------
# Used by the account health (core/account_health.py), where each respondent's answer carries the weight
# of their stakeholder role. Point value: 100 · (Σw·[promoter] − Σw·[detractor]) / Σw. Interval and
# two-sample test: MeasuringU's adjusted-Wald method for NPS (above) with the weighted shares and Kish's
# effective sample size n_eff = (Σw)² / Σw² in place of n (Kish, *Survey Sampling*, Wiley 1965, §11.7;
# the design effect of unequal weights 1 + CV²). With equal weights n_eff = n and the results are
# exactly :func:`nps` / :func:`compare_nps`.


@dataclass(frozen=True)
class WeightedNpsCounts:
    """Σ weights of promoters, passives and detractors, Σ weights² and the number of respondents."""

    promoters: float
    passives: float
    detractors: float
    weight_sq: float
    respondents: int

    @classmethod
    def from_scores(cls, pairs: Iterable[tuple[float, float]]) -> WeightedNpsCounts:
        """From (score 0..10, weight > 0) pairs, one per respondent."""
        p = pa = d = sq = 0.0
        n = 0
        for score, weight in pairs:
            if score < 0 or score > 10:
                raise ValueError(f"NPS score {score} is outside 0..10")
            if not weight > 0 or math.isinf(weight):
                raise ValueError("weights must be positive and finite")
            if score >= 9:
                p += weight
            elif score >= 7:
                pa += weight
            else:
                d += weight
            sq += weight * weight
            n += 1
        return cls(p, pa, d, sq, n)

    @property
    def total(self) -> float:
        return self.promoters + self.passives + self.detractors

    @property
    def n_eff(self) -> float:
        """Kish's effective sample size (Σw)² / Σw² (0 without respondents)."""
        return self.total**2 / self.weight_sq if self.weight_sq > 0 else 0.0


def _weighted_nps_adjusted(counts: WeightedNpsCounts) -> tuple[float, float, float]:
    """(NPS' as a fraction, Var, n') of the adjusted-Wald method at the effective sample size."""
    n_eff = counts.n_eff
    n_adj = n_eff + 3
    pp = (counts.promoters / counts.total * n_eff + 0.75) / n_adj
    pd = (counts.detractors / counts.total * n_eff + 0.75) / n_adj
    centre = pp - pd
    return centre, pp + pd - centre**2, n_adj


def weighted_nps(counts: WeightedNpsCounts, confidence: float = 0.95, *, min_n: int = MIN_RESPONSES) -> Estimate:
    """The weighted NPS in points with the adjusted-Wald interval at Kish's effective n; ``n`` is the
    number of respondents (``too_few`` below ``min_n``)."""
    n = counts.respondents
    if n == 0 or counts.total <= 0:
        return Estimate(None, None, None, 0, confidence, "adjusted-wald (Kish n_eff)", None, min_n)
    value = 100.0 * (counts.promoters - counts.detractors) / counts.total
    centre, var, n_adj = _weighted_nps_adjusted(counts)
    half = z_for(confidence) * math.sqrt(var / n_adj)
    low = max(-100.0, 100.0 * (centre - half))
    high = min(100.0, 100.0 * (centre + half))
    return Estimate(value, low, high, n, confidence, "adjusted-wald (Kish n_eff)", None, min_n)


def compare_weighted_nps(
    before: WeightedNpsCounts, after: WeightedNpsCounts, *, confidence: float = 0.95, min_n: int = MIN_RESPONSES
) -> Comparison:
    """:func:`compare_nps` on weighted counts, each side at its Kish effective n; difference in points."""
    alpha = _alpha(confidence)
    method = "adjusted-wald NPS z-test (Kish n_eff)"
    if before.respondents == 0 or after.respondents == 0:
        return Comparison(None, None, None, None, "z", None, None, False, before.respondents, after.respondents,
                          confidence, method, min_n)
    c1, v1, n1 = _weighted_nps_adjusted(before)
    c2, v2, n2 = _weighted_nps_adjusted(after)
    se = math.sqrt(v1 / n1 + v2 / n2)
    diff_adj = c2 - c1
    z = diff_adj / se
    p = probability.normal_two_sided_p(z)
    half = z_for(confidence) * se
    raw = 100.0 * ((after.promoters - after.detractors) / after.total
                   - (before.promoters - before.detractors) / before.total)
    return Comparison(raw, max(-200.0, 100.0 * (diff_adj - half)), min(200.0, 100.0 * (diff_adj + half)), z, "z",
                      None, p, p < alpha, before.respondents, after.respondents, confidence, method, min_n)


# --- end weighted NPS --------------------------------------------------------------------------------


# --- behaviour and UX: time on task, medians, rates, retention ----------------------------------------
# Formulas and sources:
# * Time on task (:func:`geometric_mean`): task times are positively skewed, so the centre is the geometric
#   mean and its interval is the t-interval of the logarithms, transformed back (Sauro & Lewis, *Quantifying
#   the User Experience* (QUX), 2nd ed. 2016, ch. 3, "Confidence interval for task-time data"; Sauro &
#   Lewis, "Average task times in usability tests: what to report?", CHI 2010, which finds the geometric
#   mean the best estimate of the median time for n < 25): yᵢ = ln xᵢ, ȳ ± t(1 − α/2, n − 1)·s_y/√n with
#   s_y the SD of the logs (divisor n − 1); value exp(ȳ), interval [exp(ȳ − h), exp(ȳ + h)] (asymmetric,
#   always positive).
# * The median's interval (:func:`median_interval`): the distribution-free interval from order statistics
#   with exact binomial probabilities (Conover, *Practical Nonparametric Statistics*, 3rd ed., Wiley 1999,
#   §3.2, the confidence interval for a quantile; QUX ch. 3 gives the same interval with the normal
#   approximation to the ranks, n·p ± z·√(n·p·(1 − p))). With Y ~ Bin(n, ½) the number of observations below
#   the population median, [x₍ᵣ₎, x₍ₛ₎] covers it with probability P(r ≤ Y ≤ s − 1). We take the largest
#   r ≥ 1 with P(Y ≤ r − 1) ≤ α/2 and s = n + 1 − r, so the coverage 1 − 2·P(Y ≤ r − 1) is at least the
#   confidence. Smallest samples: when even [x₍₁₎, x₍ₙ₎] covers less (2·½ⁿ > α: n ≤ 5 at 95 %) there is no
#   interval (low/high None). The point value is the sample median (the mean of the two middle values for
#   an even n).
# * Abandonment (1 − completions/starts) and error rate (errors per opportunity): the adjusted-Wald
#   interval (see the module docstring), on starts − completions of starts and on errors of opportunities.
# * Weighted proportion (:func:`weighted_proportion`, e.g. the renewal rate by ARR): the ratio estimator
#   R = Σwᵢyᵢ / Σwᵢ (yᵢ ∈ {0, 1}) with its Taylor-linearisation variance (Cochran, *Sampling Techniques*,
#   3rd ed., Wiley 1977, §6.3–6.4 with the finite-population correction left out; Lohr, *Sampling: Design
#   and Analysis*, 2nd ed., §4.1): v = n/(n − 1) · Σ(wᵢ(yᵢ − R))² / (Σwᵢ)², interval R ± t(1 − α/2, n − 1)·√v
#   clipped to [0, 1]. With equal weights this is the t-interval of the 0/1 values. Like the plain Wald
#   interval it collapses to [R, R] when every yᵢ is the same; read it with ``too_few`` for small n.
# * Retention, repurchase and churn rates: the Wilson interval (module docstring) on the counts.
# * Stickiness: DAU / MAU (a ratio of two counts of the same population, no interval).


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")


GEOMETRIC_MEAN_METHOD = "t on logs (geometric mean)"


def _geometric_from_log_summary(logs: MeanSummary, confidence: float) -> Estimate:
    est = mean_from_summary(logs, confidence)
    if est.value is None:
        return Estimate(None, None, None, 0, confidence, GEOMETRIC_MEAN_METHOD)
    low = None if est.low is None else math.exp(est.low)
    high = None if est.high is None else math.exp(est.high)
    return Estimate(math.exp(est.value), low, high, est.n, confidence, GEOMETRIC_MEAN_METHOD)


def geometric_mean(values: Iterable[float], confidence: float = 0.95) -> Estimate:
    """Time on task: the geometric mean exp(mean of ln x) with the t-interval on the logs, transformed
    back (Sauro & Lewis, QUX ch. 3). Every value must be positive and finite (ValueError otherwise); no
    interval for n < 2 (as :func:`mean`). ``basis`` is None: :func:`compare` does not apply to it."""
    _check_confidence(confidence)
    logs = []
    for v in values:
        x = float(v)
        if not (x > 0 and math.isfinite(x)):
            raise ValueError(f"the geometric mean needs positive, finite values (it takes logarithms); got {v!r}")
        logs.append(math.log(x))
    return _geometric_from_log_summary(MeanSummary.from_values(logs), confidence)


def geometric_mean_from_logs(n: int, sum_logs: float, sum_sq_logs: float, confidence: float = 0.95) -> Estimate:
    """:func:`geometric_mean` from n, Σ ln x and Σ (ln x)² (what an aggregate over the logs returns)."""
    _check_confidence(confidence)
    if n < 0:
        raise ValueError("n must be non-negative")
    return _geometric_from_log_summary(MeanSummary.from_sums(n, sum_logs, sum_sq_logs), confidence)


MEDIAN_METHOD = "order statistics (exact binomial)"


def median_ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """The 1-based ranks (r, s), s = n + 1 − r, of the order statistics that bound the median's
    distribution-free interval: the largest r with P(Y ≤ r − 1) ≤ α/2 for Y ~ Bin(n, ½) (Conover §3.2).
    None when no such r exists (n = 0, or n ≤ 5 at 95 %). E.g. n = 10 at 95 %: (2, 9); n = 20: (6, 15).
    A caller holding sorted values in a database may fetch just these two rows."""
    _check_confidence(confidence)
    if n < 0:
        raise ValueError("n must be non-negative")
    if n == 0:
        return None
    limit = (1 - confidence) / 2 * (1 + 1e-9)  # tolerance: an exact tie with α/2 counts as covered

    def ok(k: int) -> bool:  # P(Y ≤ k) ≤ α/2, with P(Y ≤ k) = I_½(n − k, k + 1) for k < n
        return probability.betainc(n - k, k + 1, 0.5) <= limit

    if not ok(0):
        return None
    lo, hi = 0, (n - 1) // 2  # P(Y ≤ k) ≥ ½ beyond (n − 1) // 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    r = lo + 1
    return r, n + 1 - r


def median_interval_from_sorted(sorted_values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """:func:`median_interval` for values already in ascending order (e.g. from SQL ``ORDER BY``);
    ValueError when they are not (or contain NaN)."""
    _check_confidence(confidence)
    n = len(sorted_values)
    if n == 0:
        return Estimate(None, None, None, 0, confidence, MEDIAN_METHOD)
    for i, v in enumerate(sorted_values):
        if math.isnan(v):
            raise ValueError("the median needs numbers; got NaN")
        if i and sorted_values[i - 1] > v:
            raise ValueError(f"sorted_values must be in ascending order: {sorted_values[i - 1]!r} comes before {v!r}")
    mid = n // 2
    value = float(sorted_values[mid]) if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2
    ranks = median_ci_ranks(n, confidence)
    if ranks is None:
        return Estimate(value, None, None, n, confidence, MEDIAN_METHOD)
    r, s = ranks
    return Estimate(value, float(sorted_values[r - 1]), float(sorted_values[s - 1]), n, confidence, MEDIAN_METHOD)


def median_interval(values: Iterable[float], confidence: float = 0.95) -> Estimate:
    """The sample median with the distribution-free interval [x₍ᵣ₎, x₍ₛ₎] from order statistics and exact
    binomial probabilities (Conover 1999, §3.2; see :func:`median_ci_ranks`). No interval for n ≤ 5 at
    95 % (even the range would cover less); value None for n = 0."""
    xs = [float(v) for v in values]
    if any(math.isnan(x) for x in xs):
        raise ValueError("the median needs numbers; got NaN")
    return median_interval_from_sorted(sorted(xs), confidence)


def _check_part_of_whole(part: int, part_name: str, whole: int, whole_name: str) -> None:
    if part < 0 or whole < 0:
        raise ValueError(f"{part_name} and {whole_name} must be non-negative; got {part} and {whole}")
    if part > whole:
        raise ValueError(f"{part_name} ({part}) cannot exceed {whole_name} ({whole})")


def abandonment(completions: int, starts: int, confidence: float = 0.95) -> Estimate:
    """The abandonment rate 1 − completions/starts (0..1) with the adjusted-Wald interval on the
    starts − completions abandoned of ``starts``; value None when nothing started."""
    _check_part_of_whole(completions, "completions", starts, "starts")
    return adjusted_wald(starts - completions, starts, confidence)


def error_rate(errors: int, opportunities: int, confidence: float = 0.95) -> Estimate:
    """Errors per opportunity (0..1): ``errors`` of ``opportunities`` chances to make one (e.g. form
    submissions rejected of submissions, or failed of attempted steps; each opportunity counts at most
    one error), with the adjusted-Wald interval."""
    _check_part_of_whole(errors, "errors", opportunities, "opportunities")
    return adjusted_wald(errors, opportunities, confidence)


WEIGHTED_PROPORTION_METHOD = "ratio estimator (linearisation)"


def weighted_proportion(pairs: Iterable[tuple[float, bool]], confidence: float = 0.95) -> Estimate:
    """A weighted share R = Σwᵢyᵢ / Σwᵢ from (weight, yes/no) pairs, e.g. the renewal rate by ARR
    ((ARR, renewed) per account), with the linearisation interval R ± t(n − 1)·√v,
    v = n/(n − 1) · Σ(wᵢ(yᵢ − R))² / (Σwᵢ)², clipped to [0, 1]; n is the number of pairs (zero
    weights included). Negative or non-finite weights raise ValueError; no pairs or a total weight of 0
    give value None and n = 0 (as :func:`weighted_nps`); one pair gives no interval."""
    _check_confidence(confidence)
    rows: list[tuple[float, float]] = []
    for w, y in pairs:
        weight = float(w)
        if not (weight >= 0 and math.isfinite(weight)):
            raise ValueError(f"weights must be non-negative and finite; got {w!r}")
        rows.append((weight, 1.0 if y else 0.0))
    n = len(rows)
    total = math.fsum(w for w, _ in rows)
    if n == 0 or total == 0:
        return Estimate(None, None, None, 0, confidence, WEIGHTED_PROPORTION_METHOD)
    r = math.fsum(w * y for w, y in rows) / total
    if n == 1:
        return Estimate(r, None, None, 1, confidence, WEIGHTED_PROPORTION_METHOD)
    v = n / (n - 1) * math.fsum((w * (y - r)) ** 2 for w, y in rows) / (total * total)
    half = t_for(confidence, n - 1) * math.sqrt(v)
    return Estimate(r, max(0.0, r - half), min(1.0, r + half), n, confidence, WEIGHTED_PROPORTION_METHOD)


def retention(cohort_size: int, retained: int, confidence: float = 0.95) -> Estimate:
    """Retention in period k: ``retained`` / ``cohort_size`` (0..1) with the Wilson interval, where
    ``retained`` counts the cohort's members active in period k after the cohort's own period (period 0,
    when they joined or first bought); a member need not have been active in the periods in between."""
    _check_part_of_whole(retained, "retained", cohort_size, "the cohort size")
    return wilson(retained, cohort_size, confidence)


@dataclass(frozen=True)
class CohortRow:
    """One cohort of a retention table: ``cells[k]`` is the retention in period k + 1."""

    label: str
    size: int
    cells: list[Estimate]


def cohort_table(cohorts: Mapping[str, tuple[int, Sequence[int]]], confidence: float = 0.95) -> list[CohortRow]:
    """A retention table: {label: (cohort size, [retained in period 1, period 2, …])} → one row per
    cohort (in the mapping's order) with :func:`retention` per period. Period 0 (the cohort's own
    period, 100 % by definition) is not passed; rows may have different lengths (young cohorts)."""
    _check_confidence(confidence)
    rows = []
    for label, (size, retained) in cohorts.items():
        cells = []
        for k, count in enumerate(retained, start=1):
            if count < 0 or size < 0 or count > size:
                raise ValueError(
                    f"cohort {label!r}: retained in period {k} ({count}) must be between 0 and the cohort size ({size})"
                )
            cells.append(retention(size, count, confidence))
        rows.append(CohortRow(label, size, cells))
    return rows


def repurchase_rate(customers_with_2plus: int, customers_with_1plus: int, confidence: float = 0.95) -> Estimate:
    """The repurchase rate: customers with two or more purchases of those with at least one (0..1),
    Wilson interval."""
    _check_part_of_whole(customers_with_2plus, "customers with 2+ purchases", customers_with_1plus,
                         "customers with 1+ purchases")
    return wilson(customers_with_2plus, customers_with_1plus, confidence)


def churn_rate(churned: int, at_risk: int, confidence: float = 0.95) -> Estimate:
    """The churn rate: ``churned`` of the ``at_risk`` customers at the start of the period (0..1),
    Wilson interval."""
    _check_part_of_whole(churned, "churned", at_risk, "at_risk")
    return wilson(churned, at_risk, confidence)


def stickiness(dau: float, mau: float) -> float | None:
    """Stickiness DAU / MAU (0..1 when DAU is the mean daily actives over MAU's window); None when
    mau == 0. Not clipped: a value above 1 means the two counts came from different windows."""
    if dau < 0 or mau < 0:
        raise ValueError(f"dau and mau must be non-negative; got {dau} and {mau}")
    if mau == 0:
        return None
    return dau / mau
