"""Live numbers of a segment (and so of the persona linked to it): how many contacts are members now, and over
the members' complete responses submitted on local days ``start``..``end``: NPS (adjusted-Wald interval) and
CSAT top-2-box (Wilson) of the organisation's headline NPS and CSAT questions, read by the metrics service
exactly as the dashboards read them with this segment as their filter, and the themes of the members' comments
(the most specific themes: share of their analysed comments, Wilson interval). Every number comes from
``core.metrics``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count

from cxloop.analytics import dashboard, explore, metrics_service
from cxloop.core import metrics
from cxloop.segments.members import members
from cxloop.segments.models import Segment
from cxloop.surveys.models import Survey
from cxloop.texts import services as texts
from cxloop.texts.models import CommentAnalysis, ThemeHit

TOP_THEMES = 5


@dataclass(frozen=True)
class ThemeStat:
    key: str
    label: str
    count: int
    share: metrics.Estimate  # percent of the members' analysed comments


@dataclass(frozen=True)
class Stats:
    start: date
    end: date
    members: int
    responses: int
    nps: metrics.Estimate | None  # None: no survey asks an NPS question
    csat: metrics.Estimate | None
    comments: int
    themes: list[ThemeStat]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months up to today, as on the dashboards."""
    return dashboard.default_range(today)


def _measure(org_surveys: list[Survey], question_type: str, metric: str, f: dashboard.Filters,
             segment: Segment) -> metrics.Estimate | None:
    key = dashboard.measure_question(org_surveys, question_type)
    if key is None:
        return None
    result = metrics_service.compute(org=segment.org, surveys=org_surveys, question=key, metric=metric,
                                     start=f.start, end=f.end, contact=f.contact())
    return result.items[0].estimate if result.items else None


def stats(segment: Segment, *, start: date | None = None, end: date | None = None,
          language: str = "en") -> Stats:
    if start is None or end is None:
        start, end = default_period(end)
    org = segment.org
    f = dashboard.Filters(start=start, end=end, segment=segment.pk)
    surveys = list(Survey.objects.filter(org=org).order_by("pk"))
    scope = f.scope(org, [s.pk for s in surveys])
    in_scope = explore.responses(scope).values("pk")
    analysed = CommentAnalysis.objects.filter(org=org, response__in=in_scope).count()
    codeframe = texts.matcher(org)[0].codeframe
    counted = (ThemeHit.objects.filter(org=org, response__in=in_scope).values("theme").annotate(n=Count("pk"))
               .order_by("-n", "theme"))
    # the most specific themes: a parent (which every child's comment also carries) says less
    leaves = [row for row in counted if not codeframe.children(row["theme"])][:TOP_THEMES]
    themes = [ThemeStat(row["theme"], codeframe.label(row["theme"], language), int(row["n"]),
                        metrics.wilson(int(row["n"]), analysed, scale=100.0)) for row in leaves]
    return Stats(start=start, end=end, members=members(segment).count(),
                 responses=explore.responses(scope).count(),
                 nps=_measure(surveys, "nps", "nps", f, segment), csat=_measure(surveys, "csat", "csat", f, segment),
                 comments=analysed, themes=themes)
