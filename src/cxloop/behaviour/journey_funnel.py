"""The journey map's funnel band: the journey's stages as a funnel (a person reaches a stage at their first event
at one of its touchpoints, in order, within the default window) for the map's period — how many people reached
each stage and the share who went on to the next (adjusted-Wald interval, ``core.metrics``). None when nobody
entered (a journey without events), so the map shows nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cxloop.behaviour import funnels
from cxloop.core.metrics import Estimate
from cxloop.journeys.models import Journey


@dataclass(frozen=True)
class BandStage:
    label: str
    reached: int
    went_on: Estimate | None  # to the next stage; None for the last


@dataclass(frozen=True)
class Band:
    stages: list[BandStage]
    window_days: int


def band(journey: Journey, start: date, end: date, language: str,
         window_days: int = funnels.DEFAULT_WINDOW_DAYS) -> Band | None:
    steps = funnels.journey_steps(journey, language)
    if len(steps) < funnels.MIN_STEPS:
        return None
    figures = funnels.reached_counts(journey.org, steps, start, end, window_days=window_days)
    if not figures[0].reached:
        return None
    stages = []
    for i, (step, fig) in enumerate(zip(steps, figures, strict=True)):
        went_on = figures[i + 1].from_previous if i + 1 < len(figures) else None
        stages.append(BandStage(step.label, fig.reached, went_on))
    return Band(stages, window_days)
