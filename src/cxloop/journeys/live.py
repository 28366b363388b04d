"""Live numbers of a journey for a period: every step's touchpoint with its volume, NPS / CSAT / CES (interval
and n, as on the dashboards), mean comment sentiment (the emotion curve), top themes, pain points (the specific
themes of its negative comments, and its open cases), SLA attainment of its cases, and quotes of what customers
thought and felt (the most positive and most negative comments).

All of a journey's touchpoints are read together: one query per figure, grouped by touchpoint, never one per
step. Every number comes from ``core.metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from cxloop.analytics import dashboard, explore, metrics_service, rollups
from cxloop.cases.models import Case
from cxloop.core import case_flow, metrics
from cxloop.core.survey_logic import localise
from cxloop.core.text import pii
from cxloop.journeys.models import Journey, Stage, Step, Touchpoint
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, Response, ResponseStatus, Survey
from cxloop.texts import services as texts
from cxloop.texts.models import CommentAnalysis, ThemeHit

MEASURES = (("nps", "nps", "nps"), ("csat", "csat", "csat"), ("ces", "ces", "mean"))  # (name, type, metric)
TOP_THEMES = 3
PAIN_POINTS = 3
QUOTE_CHARS = 240


def _no_mean() -> metrics.Estimate:
    return metrics.mean_from_summary(metrics.MeanSummary(0.0, 0.0, 0))


@dataclass(frozen=True)
class ThemeCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Quote:
    text: str
    label: str  # positive | negative | neutral
    score: float
    response_id: int


@dataclass
class StepLive:
    step: Step
    touchpoint: Touchpoint
    label: str
    volume: int = 0
    scores: dict[str, metrics.Estimate] = field(default_factory=dict)  # nps, csat, ces (those asked)
    sentiment: metrics.Estimate = field(default_factory=lambda: _no_mean())
    themes: list[ThemeCount] = field(default_factory=list)
    pain_points: list[ThemeCount] = field(default_factory=list)  # specific themes of the negative comments
    open_cases: int = 0
    sla: metrics.Estimate = field(default_factory=lambda: metrics.wilson(0, 0, scale=100.0))  # resolved in time, %
    quotes: list[Quote] = field(default_factory=list)
    low_point: bool = False


@dataclass(frozen=True)
class StageLive:
    stage: Stage
    label: str
    steps: list[StepLive]


@dataclass(frozen=True)
class JourneyLive:
    journey: Journey
    label: str
    start: date
    end: date
    stages: list[StageLive]
    measures: tuple[str, ...]  # the scores the organisation asks (nps, csat, ces)

    @property
    def steps(self) -> list[StepLive]:
        return [s for stage in self.stages for s in stage.steps]


def _responses(org: Organization, keys: Sequence[str], start: date, end: date) -> QuerySet[Response]:
    return Response.objects.filter(org=org, status=ResponseStatus.COMPLETE, touchpoint__in=list(keys),
                                   submitted_at__gte=rollups.day_start(start),
                                   submitted_at__lt=rollups.day_start(end + explore.ONE_DAY))


def _measures(org: Organization) -> list[tuple[str, str, str, metrics_service.Scale, list[int]]]:
    surveys = list(Survey.objects.filter(org=org).order_by("pk"))
    found = []
    for name, question_type, metric in MEASURES:
        key = dashboard.measure_question(surveys, question_type)
        if key is None:
            continue
        try:
            scale, asked = metrics_service.find_scale(surveys, key)
        except metrics_service.MetricsError:
            continue
        found.append((name, metric, key, scale, [s.pk for s in asked]))
    return found


def label_of(names: dict[str, str], language: str) -> str:
    """A ``{language: text}`` name in ``language``; else, for a Chinese reader, in the other Chinese script; else
    in English; else in any language given."""
    other = {"zh-hans": "zh-hant", "zh-hant": "zh-hans"}.get(language)
    if other and not names.get(language) and names.get(other):
        return names[other]
    return localise(names, language, "en")


_label = label_of


def structure(journey: Journey, language: str) -> list[tuple[Stage, str, list[tuple[Step, str]]]]:
    """The journey's stages in order with their steps in order, labelled in ``language``."""
    stages = list(journey.stages.order_by("position", "pk"))
    steps = list(Step.objects.filter(stage__journey=journey).select_related("touchpoint", "touchpoint__owner_team")
                 .order_by("stage__position", "position", "pk"))
    by_stage: dict[int, list[tuple[Step, str]]] = {s.pk: [] for s in stages}
    for step in steps:
        by_stage[step.stage_id].append((step, _label(step.touchpoint.name, language)))
    return [(stage, _label(stage.name, language), by_stage[stage.pk]) for stage in stages]


def live(journey: Journey, start: date, end: date, language: str, *, quotes: int = 2) -> JourneyLive:
    org = journey.org
    shape = structure(journey, language)
    steps = [StepLive(step=step, touchpoint=step.touchpoint, label=label) for _s, _l, items in shape
             for step, label in items]
    keys = sorted({s.touchpoint.key for s in steps})
    responses = _responses(org, keys, start, end)
    by_key: dict[str, dict[str, Any]] = {k: {} for k in keys}

    for key, n in responses.values_list("touchpoint").annotate(n=Count("pk")).order_by():
        by_key[key]["volume"] = int(n)
    measures = _measures(org)
    for name, metric, question, scale, survey_ids in measures:
        dists: dict[str, dict[int, int]] = {}
        rows = (Answer.objects.filter(response__in=responses.filter(survey_id__in=survey_ids).values("pk"),
                                      question_key=question, number__isnull=False)
                .values_list("response__touchpoint", "number").annotate(n=Count("pk")).order_by())
        for key, number, n in rows:
            dist = dists.setdefault(key, {})
            dist[int(number)] = dist.get(int(number), 0) + int(n)
        for key in keys:
            by_key[key].setdefault("scores", {})[name] = metrics_service.estimate(metric, dists.get(key, {}), scale,
                                                                                  0.95)
    analyses = CommentAnalysis.objects.filter(response__in=responses.values("pk"))
    for key, n, s, ss in (analyses.values_list("response__touchpoint")
                          .annotate(n=Count("pk"), s=Sum("sentiment_score"),
                                    ss=Sum(F("sentiment_score") * F("sentiment_score"))).order_by()):
        by_key[key]["sentiment"] = metrics.mean_from_summary(metrics.MeanSummary.from_sums(int(n), s or 0.0,
                                                                                           ss or 0.0))
    codeframe = texts.matcher(org)[0].codeframe
    hits = (ThemeHit.objects.filter(response__in=responses.values("pk"))
            .values_list("response__touchpoint", "theme")
            .annotate(n=Count("pk"), neg=Count("pk", filter=Q(sentiment_label="negative"))).order_by())
    counted: dict[str, list[tuple[str, int, int]]] = {}
    for key, theme, n, neg in hits:
        counted.setdefault(key, []).append((theme, int(n), int(neg)))
    for key, found in counted.items():
        by_key[key]["themes"] = _specific(found, codeframe, language, 1, TOP_THEMES)
        by_key[key]["pain_points"] = _specific(found, codeframe, language, 2, PAIN_POINTS)
    open_statuses = tuple(case_flow.OPEN_STATUSES)
    cases = Case.objects.filter(org=org, response__touchpoint__in=keys)
    for key, n in (cases.filter(status__in=open_statuses).values_list("response__touchpoint")
                   .annotate(n=Count("pk")).order_by()):
        by_key[key]["open_cases"] = int(n)
    resolved = cases.filter(resolved_at__gte=rollups.day_start(start),
                            resolved_at__lt=rollups.day_start(end + explore.ONE_DAY), resolve_due__isnull=False)
    for key, n, met in (resolved.values_list("response__touchpoint")
                        .annotate(n=Count("pk"), met=Count("pk", filter=Q(resolved_at__lte=F("resolve_due"))))
                        .order_by()):
        by_key[key]["sla"] = metrics.wilson(int(met), int(n), scale=100.0)
    if quotes:
        _quotes(org, analyses, keys, by_key, quotes)

    for s in steps:
        got = by_key.get(s.touchpoint.key, {})
        s.volume = got.get("volume", 0)
        s.scores = dict(got.get("scores", {}))
        if "sentiment" in got:
            s.sentiment = got["sentiment"]
        s.themes = got.get("themes", [])
        s.pain_points = got.get("pain_points", [])
        s.open_cases = got.get("open_cases", 0)
        if "sla" in got:
            s.sla = got["sla"]
        s.quotes = got.get("quotes", [])
    low = low_point(steps)
    if low is not None:
        low.low_point = True
    stages, i = [], 0
    for stage, label, items in shape:
        stages.append(StageLive(stage=stage, label=label, steps=steps[i:i + len(items)]))
        i += len(items)
    return JourneyLive(journey=journey, label=_label(journey.name, language), start=start, end=end, stages=stages,
                       measures=tuple(m[0] for m in measures))


def _specific(found: Iterable[tuple[str, int, int]], codeframe: Any, language: str, column: int, limit: int
              ) -> list[ThemeCount]:
    """The most specific themes (a parent only when none of its children is there), by ``column`` (1: all
    comments, 2: negative comments), at most ``limit``; none with a zero count."""
    rows = [(theme, all_ if column == 1 else negative) for theme, all_, negative in found]
    rows = [r for r in rows if r[1] > 0]
    keys = {r[0] for r in rows}
    specific = [r for r in rows if not any(k.startswith(r[0] + "/") for k in keys)]
    specific.sort(key=lambda r: (-r[1], r[0]))
    return [ThemeCount(theme, codeframe.label(theme, language), n) for theme, n in specific[:limit]]


def _quotes(org: Organization, analyses: QuerySet[CommentAnalysis], keys: Sequence[str],
            by_key: dict[str, dict[str, Any]], per_side: int) -> None:
    """The most negative and the most positive comments of each touchpoint (confident ones first)."""
    chosen: dict[str, list[tuple[int, str, float]]] = {}
    for key in keys:
        mine = analyses.filter(response__touchpoint=key)
        worst = list(mine.filter(sentiment_label="negative").order_by("sentiment_score", "-response_id")
                     .values_list("response_id", "sentiment_label", "sentiment_score")[:per_side * 3])
        best = list(mine.filter(sentiment_label="positive").order_by("-sentiment_score", "-response_id")
                    .values_list("response_id", "sentiment_label", "sentiment_score")[:per_side * 3])
        chosen[key] = worst + best
    ids = [r[0] for rows in chosen.values() for r in rows]
    said: dict[int, list[str]] = {}
    for response_id, text in (Answer.objects.filter(response_id__in=ids, number=None).exclude(text="")
                              .order_by("pk").values_list("response_id", "text")):
        said.setdefault(response_id, []).append(text)
    for key, rows in chosen.items():
        out: list[Quote] = []
        seen: set[str] = set()
        for response_id, label, score in rows:
            text = " ".join(said.get(response_id, []))
            if text in seen:
                continue  # the same words twice say nothing more
            seen.add(text)
            if org.redact_pii:
                text = pii.redact(text).text
            if len(text) > QUOTE_CHARS:
                text = text[: QUOTE_CHARS - 1] + "…"
            out.append(Quote(text=text, label=label, score=score, response_id=response_id))
        negative = [q for q in out if q.label == "negative"][:per_side]
        by_key[key]["quotes"] = negative + [q for q in out if q.label == "positive"][:per_side]


MIN_CURVE_N = 10  # comments a step needs to take part in finding the curve's low point


def low_point(steps: Sequence[StepLive]) -> StepLive | None:
    """The step with the lowest mean sentiment among those with at least ``MIN_CURVE_N`` comments (none when
    fewer than two steps have that many: a curve needs two points to have a low one)."""
    candidates = [s for s in steps if s.sentiment.value is not None and s.sentiment.n >= MIN_CURVE_N]
    if len(candidates) < 2:
        return None
    return min(candidates, key=lambda s: (s.sentiment.value, s.step.pk))


@dataclass(frozen=True)
class StepChange:
    step: StepLive
    before: StepLive
    change: metrics.Comparison  # mean sentiment, after − before (Welch)


def compare(now: JourneyLive, before: JourneyLive) -> list[StepChange]:
    """Each step's mean sentiment now against the other period (Welch's t test)."""
    out = []
    for a, b in zip(now.steps, before.steps, strict=True):
        basis_a, basis_b = a.sentiment.basis, b.sentiment.basis
        assert isinstance(basis_a, metrics.MeanSummary) and isinstance(basis_b, metrics.MeanSummary)
        out.append(StepChange(step=a, before=b, change=metrics.compare_means(basis_b, basis_a)))
    return out
