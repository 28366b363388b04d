"""Behaviour and UX logic: the HEART scorecard and the reference funnel. Pure Python (no Django); every
number comes from ``core.metrics``.

HEART scorecard
---------------
Google's HEART framework (Rodden, Hutchinson & Fu, "Measuring the User Experience on a Large Scale:
User-Centered Metrics for Web Applications", CHI 2010): per product area five signals — Happiness (e.g.
mean satisfaction or SUS), Engagement (e.g. mean events per active user, or stickiness), Adoption (new
users of the area / active users), Retention and Task success — each an :class:`~cxloop.core.metrics.Estimate`
or None. Each signal is graded against an optional target (same units as the estimate, e.g. 0..1 for a
retention rate, 0..100 for SUS; higher is better):

* ``"met"`` — the interval's low end is above the target (low > target);
* ``"missed"`` — the interval's high end is below the target (high < target);
* ``"unclear"`` — otherwise: the target lies inside the interval (bounds included), or the estimate has a
  value but no interval (e.g. n = 1). An exact figure without sampling error (a census ratio such as the
  stickiness of all users) can be passed as ``Estimate(v, v, v, n)`` to be graded on its value;
* None — no target for the signal, or no data (the signal is None or its value is None).

Funnel definition (the reference the SQL implementation must reproduce exactly)
-------------------------------------------------------------------------------
A funnel has ``steps`` ≥ 1 steps numbered 0..steps − 1. Each person contributes their events as
(step index, timestamp in seconds) pairs: every event that matches step i's definition, with its time.
For one person, with tᵢ the time they reach step i:

1. t₀ = the earliest timestamp of their step-0 events. A person without a step-0 event does not enter.
   Later step-0 events do not restart the funnel (no re-entry: only the first entry counts).
2. For i ≥ 1: tᵢ = the earliest timestamp of their step-i events with tᵢ ≥ tᵢ₋₁ (at or after: an event at
   the same second counts) and, when a ``window`` is given, tᵢ − t₀ ≤ window (inclusive). If there is
   none, the person stops at step i − 1 and reaches no later step (even if later-step events exist).
   Step-i events before tᵢ₋₁ are ignored, so steps done "out of order" count only when repeated in order.
3. reached[i] = the number of people with a tᵢ; durations[i − 1] = the list of tᵢ − tᵢ₋₁ (seconds) over
   those people.

The definition uses timestamps only, so the order of the pairs within a timeline (and of timelines) does
not matter. An event listed under two step indices counts for both (a funnel repeating one event type at
consecutive steps is satisfied by a single event at the same second). In SQL: t₀ = MIN(ts) of the step-0
events per person; then, step by step, tᵢ = MIN(ts) of the person's step-i events WHERE ts >= tᵢ₋₁ AND
ts - t₀ <= window, joined to the previous step's people.

:func:`funnel_steps` turns the counts into per-step figures: conversion from the previous step and from
the start (adjusted-Wald intervals, ``metrics.adjusted_wald``), the drop-off count and the median time from
the previous step with its distribution-free interval (``metrics.median_interval``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cxloop.core import metrics
from cxloop.core.metrics import Estimate

# --- HEART -----------------------------------------------------------------------------------------

HEART_SIGNALS: tuple[str, ...] = ("happiness", "engagement", "adoption", "retention", "task_success")

Status = Literal["met", "missed", "unclear"]


@dataclass(frozen=True)
class HeartInputs:
    """One product area's HEART signals; any may be None (not measured)."""

    happiness: Estimate | None = None  # e.g. mean satisfaction, or mean SUS
    engagement: Estimate | None = None  # e.g. mean events per active user, or stickiness
    adoption: Estimate | None = None  # new users of the area / active users
    retention: Estimate | None = None
    task_success: Estimate | None = None


@dataclass(frozen=True)
class HeartCard:
    """One area's signals and ``grades``: {signal name: "met" | "missed" | "unclear" | None}."""

    area: str
    happiness: Estimate | None
    engagement: Estimate | None
    adoption: Estimate | None
    retention: Estimate | None
    task_success: Estimate | None
    grades: dict[str, Status | None] = field(default_factory=dict)


def signal_status(estimate: Estimate | None, target: float | None) -> Status | None:
    """One signal against its target (see the module docstring): "met" when low > target, "missed" when
    high < target, "unclear" otherwise (or without an interval); None without a target or data."""
    if target is None or estimate is None or estimate.value is None:
        return None
    if estimate.low is None or estimate.high is None:
        return "unclear"
    if estimate.low > target:
        return "met"
    if estimate.high < target:
        return "missed"
    return "unclear"


def heart_scorecard(inputs: Mapping[str, HeartInputs], targets: Mapping[str, float] | None = None) -> list[HeartCard]:
    """One :class:`HeartCard` per area (in the mapping's order). ``targets`` maps signal names
    (``HEART_SIGNALS``) to a target in the signal's units, the same for every area; an unknown name
    raises ValueError (a typo would otherwise silently grade nothing)."""
    goals = dict(targets or {})
    unknown = sorted(set(goals) - set(HEART_SIGNALS))
    if unknown:
        raise ValueError(f"unknown HEART signal(s) {', '.join(unknown)}; expected {', '.join(HEART_SIGNALS)}")
    for name, target in goals.items():
        if target is not None and not math.isfinite(target):
            raise ValueError(f"the target for {name} must be a finite number; got {target!r}")
    cards = []
    for area, signals in inputs.items():
        grades = {name: signal_status(getattr(signals, name), goals.get(name)) for name in HEART_SIGNALS}
        cards.append(
            HeartCard(
                area,
                signals.happiness,
                signals.engagement,
                signals.adoption,
                signals.retention,
                signals.task_success,
                grades,
            )
        )
    return cards


# --- funnels ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelCounts:
    """``reached[i]``: people who reached step i (``reached[0]`` entered); ``durations[i]``: the seconds
    from step i to step i + 1 of each of the ``reached[i + 1]`` people who went on (any order)."""

    reached: Sequence[int]
    durations: Sequence[Sequence[float]]

    def __post_init__(self) -> None:
        if not self.reached:
            raise ValueError("a funnel has at least one step")
        if len(self.durations) != len(self.reached) - 1:
            raise ValueError(
                f"a funnel of {len(self.reached)} steps needs {len(self.reached) - 1} lists of durations; "
                f"got {len(self.durations)}"
            )
        if any(c < 0 for c in self.reached):
            raise ValueError("reached counts must be non-negative")
        for i in range(1, len(self.reached)):
            if self.reached[i] > self.reached[i - 1]:
                raise ValueError(f"step {i} cannot be reached by more people ({self.reached[i]}) than step {i - 1} "
                                 f"({self.reached[i - 1]})")
            if len(self.durations[i - 1]) != self.reached[i]:
                raise ValueError(f"step {i} was reached by {self.reached[i]} people but has "
                                 f"{len(self.durations[i - 1])} durations")
            if any(not (d >= 0 and math.isfinite(d)) for d in self.durations[i - 1]):
                raise ValueError(f"durations into step {i} must be non-negative, finite seconds")

    @property
    def steps(self) -> int:
        return len(self.reached)


def funnel_reach(
    timelines: Iterable[Sequence[tuple[int, float]]], steps: int, window: float | None = None
) -> FunnelCounts:
    """The reference funnel (definition in the module docstring): each timeline is one person's
    (step index, timestamp in seconds) pairs, normally sorted by time (the result does not depend on
    the order). ``window``: seconds from entering (t₀) within which every later step must happen,
    inclusive; None for no limit. Step indices outside 0..steps − 1 or non-finite timestamps raise
    ValueError."""
    if steps < 1:
        raise ValueError("a funnel has at least one step")
    if window is not None and not (window >= 0 and math.isfinite(window)):
        raise ValueError(f"window must be a non-negative number of seconds or None; got {window!r}")
    reached = [0] * steps
    durations: list[list[float]] = [[] for _ in range(steps - 1)]
    for timeline in timelines:
        times: list[list[float]] = [[] for _ in range(steps)]
        for step, ts in timeline:
            if not 0 <= step < steps:
                raise ValueError(f"step index {step} is outside 0..{steps - 1}")
            t = float(ts)
            if not math.isfinite(t):
                raise ValueError(f"timestamps must be finite seconds; got {ts!r}")
            times[step].append(t)
        if not times[0]:
            continue
        for ts_list in times:
            ts_list.sort()
        t0 = prev = times[0][0]
        reached[0] += 1
        for i in range(1, steps):
            j = bisect.bisect_left(times[i], prev)  # the first step-i time ≥ tᵢ₋₁
            if j == len(times[i]):
                break
            t = times[i][j]
            if window is not None and t - t0 > window:
                break
            reached[i] += 1
            durations[i - 1].append(t - prev)
            prev = t
    return FunnelCounts(tuple(reached), tuple(tuple(d) for d in durations))


@dataclass(frozen=True)
class FunnelStep:
    """One step's figures. ``from_previous`` / ``from_start`` (0..1, adjusted-Wald), ``dropped`` (people
    who reached the previous step but not this one) and ``time_from_previous`` (median seconds with the
    order-statistics interval) are None / 0 for step 0."""

    index: int
    reached: int
    from_previous: Estimate | None
    from_start: Estimate | None
    dropped: int
    time_from_previous: Estimate | None


def funnel_steps(counts: FunnelCounts, confidence: float = 0.95) -> list[FunnelStep]:
    """Per step: people reached, conversion from the previous step and from the start with adjusted-Wald
    intervals (value None when the previous step or the start had nobody), drop-off count, and the median
    time from the previous step with :func:`metrics.median_interval`."""
    metrics.z_for(confidence)  # validates confidence even for a one-step funnel
    reached = counts.reached
    out = [FunnelStep(0, reached[0], None, None, 0, None)]
    for i in range(1, len(reached)):
        out.append(
            FunnelStep(
                i,
                reached[i],
                metrics.adjusted_wald(reached[i], reached[i - 1], confidence),
                metrics.adjusted_wald(reached[i], reached[0], confidence),
                reached[i - 1] - reached[i],
                metrics.median_interval(counts.durations[i - 1], confidence),
            )
        )
    return out
