"""Cross-tabulations: counts, row / column / total percentages and Pearson's chi-square test of
independence. Pure Python (the chi-square tail comes from ``core.probability``).

Formulas and sources
--------------------
* Expected count Eᵢⱼ = (row totalᵢ · column totalⱼ)/N; Pearson's statistic χ² = Σ (Oᵢⱼ − Eᵢⱼ)²/Eᵢⱼ
  with (r − 1)(c − 1) degrees of freedom (Pearson, "On the criterion that a given system of
  deviations…", Phil. Mag. 1900; Agresti, *Categorical Data Analysis*, 3rd ed. 2013, §3.2);
  p = P(χ²(df) ≥ statistic). No continuity (Yates) correction: Campbell ("Chi-squared and Fisher–Irwin
  tests of two-by-two tables with small sample recommendations", Stat. Med. 2007) found it too
  conservative and recommends for 2×2 tables the "N − 1" chi-square χ²·(N − 1)/N when every expected
  count is at least 1 — ``chi_square(n_minus_one=True)``, whose statistic is the square of the N − 1
  two-proportion z of ``core.metrics.compare_proportions``.
  Rows or columns with a zero total carry no information and are left out of the test (and of df).
* Cramér's V = √(χ²/(N·(min(r, c) − 1))) (Cramér, *Mathematical Methods of Statistics*, 1946).
* Adjusted standardised residuals (Haberman, "The analysis of residuals in cross-classified tables",
  Biometrics 1973): (Oᵢⱼ − Eᵢⱼ)/√(Eᵢⱼ·(1 − rowᵢ/N)·(1 − colⱼ/N)), approximately N(0, 1) under
  independence; |r| > 1.96 marks a cell that departs from independence at the 5% level.
* Reliability (Cochran, "Some methods for strengthening the common χ² tests", Biometrics 1954): the
  chi-square approximation is trusted when no expected count is below 1 and at most 20% are below 5.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from cxloop.core import probability


@dataclass(frozen=True)
class ChiSquare:
    statistic: float
    df: int
    p_value: float
    cramers_v: float
    min_expected: float
    reliable: bool  # Cochran's rule holds
    n_minus_one: bool = False

    def significant(self, confidence: float = 0.95) -> bool:
        return self.p_value < 1 - confidence


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class CrossTab:
    row_labels: tuple[Hashable, ...]
    col_labels: tuple[Hashable, ...]
    counts: tuple[tuple[int, ...], ...]  # counts[i][j]: row i, column j

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.row_labels) or any(len(r) != len(self.col_labels) for r in self.counts):
            raise ValueError("counts must have one row per row label and one column per column label")
        if any(c < 0 for r in self.counts for c in r):
            raise ValueError("counts must be non-negative")

    @classmethod
    def from_counts(
        cls,
        counts: Sequence[Sequence[int]],
        row_labels: Sequence[Hashable] | None = None,
        col_labels: Sequence[Hashable] | None = None,
    ) -> CrossTab:
        rows = tuple(tuple(int(c) for c in r) for r in counts)
        ncol = len(rows[0]) if rows else 0
        return cls(
            tuple(row_labels) if row_labels is not None else tuple(range(len(rows))),
            tuple(col_labels) if col_labels is not None else tuple(range(ncol)),
            rows,
        )

    @property
    def row_totals(self) -> tuple[int, ...]:
        return tuple(sum(r) for r in self.counts)

    @property
    def col_totals(self) -> tuple[int, ...]:
        return tuple(sum(r[j] for r in self.counts) for j in range(len(self.col_labels)))

    @property
    def total(self) -> int:
        return sum(self.row_totals)

    def row_percent(self) -> list[list[float | None]]:
        """Each cell as a percentage of its row's total (rows sum to 100); None for an empty row."""
        return [[_percent(c, t) for c in r] for r, t in zip(self.counts, self.row_totals, strict=True)]

    def col_percent(self) -> list[list[float | None]]:
        """Each cell as a percentage of its column's total (columns sum to 100)."""
        totals = self.col_totals
        return [[_percent(c, totals[j]) for j, c in enumerate(r)] for r in self.counts]

    def total_percent(self) -> list[list[float | None]]:
        n = self.total
        return [[_percent(c, n) for c in r] for r in self.counts]

    def expected(self) -> list[list[float]]:
        n = self.total
        if n == 0:
            return [[0.0 for _ in r] for r in self.counts]
        cols = self.col_totals
        return [[rt * ct / n for ct in cols] for rt in self.row_totals]

    def adjusted_residuals(self) -> list[list[float | None]]:
        """Haberman's adjusted standardised residual per cell; None where it is undefined."""
        n = self.total
        rows, cols = self.row_totals, self.col_totals
        out: list[list[float | None]] = []
        for i, r in enumerate(self.counts):
            line: list[float | None] = []
            for j, o in enumerate(r):
                if n == 0:
                    line.append(None)
                    continue
                e = rows[i] * cols[j] / n
                v = e * (1 - rows[i] / n) * (1 - cols[j] / n)
                line.append((o - e) / math.sqrt(v) if v > 0 else None)
            out.append(line)
        return out

    def chi_square(self, *, n_minus_one: bool = False) -> ChiSquare | None:
        """Pearson's test of independence; None when fewer than two non-empty rows or columns."""
        rows_used = [i for i, t in enumerate(self.row_totals) if t > 0]
        cols_used = [j for j, t in enumerate(self.col_totals) if t > 0]
        if len(rows_used) < 2 or len(cols_used) < 2:
            return None
        n = self.total
        rows, cols = self.row_totals, self.col_totals
        stat = 0.0
        expected: list[float] = []
        for i in rows_used:
            for j in cols_used:
                e = rows[i] * cols[j] / n
                expected.append(e)
                stat += (self.counts[i][j] - e) ** 2 / e
        if n_minus_one:
            stat *= (n - 1) / n
        df = (len(rows_used) - 1) * (len(cols_used) - 1)
        k = min(len(rows_used), len(cols_used)) - 1
        small = sum(1 for e in expected if e < 5)
        return ChiSquare(
            statistic=stat,
            df=df,
            p_value=probability.chi2_sf(stat, df),
            cramers_v=math.sqrt(stat / (n * k)),
            min_expected=min(expected),
            reliable=min(expected) >= 1 and small <= 0.2 * len(expected),
            n_minus_one=n_minus_one,
        )


def _ordered(labels: Iterable[Hashable]) -> tuple[Hashable, ...]:
    seen = list(dict.fromkeys(labels))
    try:
        return tuple(sorted(seen))  # type: ignore[type-var]
    except TypeError:  # mixed or unorderable labels: first appearance
        return tuple(seen)


def crosstab(
    pairs: Iterable[tuple[Hashable, Hashable]],
    *,
    rows: Sequence[Hashable] | None = None,
    cols: Sequence[Hashable] | None = None,
) -> CrossTab:
    """Count (row value, column value) pairs, e.g. (segment, CSAT answer) per response.

    ``rows``/``cols`` fix the labels and their order (so empty categories still show); a pair whose
    value is not among them raises ValueError. Otherwise the labels seen are sorted (or kept in order
    of first appearance when they cannot be sorted). Pairs with a None on either side are skipped.
    """
    data = [(r, c) for r, c in pairs if r is not None and c is not None]
    row_labels = tuple(rows) if rows is not None else _ordered(r for r, _ in data)
    col_labels = tuple(cols) if cols is not None else _ordered(c for _, c in data)
    ri = {label: i for i, label in enumerate(row_labels)}
    ci = {label: j for j, label in enumerate(col_labels)}
    table = [[0] * len(col_labels) for _ in row_labels]
    for r, c in data:
        if r not in ri or c not in ci:
            raise ValueError(f"({r!r}, {c!r}) is outside the given row/column labels")
        table[ri[r]][ci[c]] += 1
    return CrossTab(row_labels, col_labels, tuple(tuple(line) for line in table))
