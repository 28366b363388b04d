"""Governance rules, pure Python: the project director's rotation, a KPI's status against its target, the month's
winning departments and an action plan's measured effect.

- **Rotation**: department heads take turns as the CX project director, one month each. ``rotation`` continues a
  schedule so that every head has had a turn before anyone repeats: the heads who have not yet served in the
  current round go first (in the given order), then a new round starts in the same order. Editing a month (a swap
  for a holiday) is the caller's business; ``fair`` checks a schedule for the rule.
- **KPI status**: a monthly actual is an estimate with an interval (``core.metrics``). Against a target it is
  *met* when the whole interval is on the good side of the target, *missed* when the whole interval is on the bad
  side, and *not significant yet* when the interval still contains the target (more data will tell); *no data*
  below the metric's minimum sample. The point estimate alone never decides: a CSAT of 81 % ± 6 against 80 % is
  not yet a win.
- **Winners**: in a month, the departments with the most KPIs met (at least one), ties shared.
- **Measured effect**: the difference after − before of the plan's metric with its interval and test
  (``metrics.compare``); an *improvement* when it is significant and in the metric's good direction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from cxloop.core import metrics

T = TypeVar("T")

MET, MISSED, OPEN, NO_DATA = "met", "missed", "not_significant", "no_data"
HIGHER, LOWER = "higher", "lower"  # which direction of the metric is better
DIRECTIONS = (HIGHER, LOWER)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def rotation(heads: Sequence[T], start: date, months: int, served: Sequence[T] = ()) -> list[tuple[date, T]]:
    """``months`` consecutive months from ``start`` (its first day), each with a director from ``heads``.
    ``served`` are the directors of the months before ``start``, oldest first: the round they belong to is
    finished first, so nobody serves twice before every head has served once."""
    if not heads:
        raise ValueError("the rotation needs at least one department head")
    if len(set(heads)) != len(heads):
        raise ValueError("each department head may appear once")
    order = list(heads)
    current: list[T] = []  # who has served in the round in progress
    for who in served:
        if who not in order:
            continue  # a former head: not part of the rotation any more
        if who in current:  # someone repeated (an edit): a new round began with them
            current = []
        current.append(who)
        if len(current) == len(order):
            current = []
    first = date(start.year, start.month, 1)
    out: list[tuple[date, T]] = []
    for i in range(months):
        waiting = [h for h in order if h not in current]
        who = waiting[0]
        out.append((add_months(first, i), who))
        current.append(who)
        if len(current) == len(order):
            current = []
    return out


def fair(directors: Sequence[T], heads: Sequence[T]) -> bool:
    """Whether, read in order, every head serves once before anyone serves again (rounds of len(heads))."""
    seen: set[T] = set()
    for who in directors:
        if who in seen:
            if set(heads) - seen:
                return False
            seen = set()
        seen.add(who)
    return True


def status(estimate: metrics.Estimate, target: float, direction: str = HIGHER) -> str:
    """``met`` / ``missed`` / ``not_significant`` / ``no_data`` (see the module)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}")
    if estimate.value is None or estimate.low is None or estimate.high is None or estimate.too_few:
        return NO_DATA
    if direction == HIGHER:
        if estimate.low >= target:
            return MET
        if estimate.high < target:
            return MISSED
        return OPEN
    if estimate.high <= target:
        return MET
    if estimate.low > target:
        return MISSED
    return OPEN


def winners(statuses: Mapping[T, Iterable[str]]) -> list[T]:
    """The departments (keys) with the most ``met`` KPIs in one month; none when nobody met one."""
    met = {key: sum(1 for s in values if s == MET) for key, values in statuses.items()}
    best = max(met.values(), default=0)
    return [key for key, n in met.items() if n == best and best > 0]


@dataclass(frozen=True)
class Effect:
    before: metrics.Estimate
    after: metrics.Estimate
    comparison: metrics.Comparison | None  # None when either window has no data
    direction: str  # which way is better for the metric

    @property
    def verdict(self) -> str:
        """``improved`` / ``worsened`` (significant, enough data) / ``no_change`` (tested, not significant) /
        ``too_few`` / ``no_data``."""
        c = self.comparison
        if c is None or c.p_value is None:
            return "no_data"
        if c.too_few:
            return "too_few"
        if not c.significant or c.direction is None:
            return "no_change"
        good = (c.direction == "up") == (self.direction == HIGHER)
        return "improved" if good else "worsened"

    @property
    def improved(self) -> bool:
        return self.verdict == "improved"


def effect(before: metrics.Estimate, after: metrics.Estimate, direction: str = HIGHER,
           confidence: float = 0.95) -> Effect:
    """The measured effect of a plan: after − before with ``metrics.compare`` (NPS, proportion or mean test)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}")
    comparison = None
    if before.n and after.n and before.basis is not None and after.basis is not None:
        comparison = metrics.compare(before, after, confidence=confidence)
    return Effect(before, after, comparison, direction)
