"""Per-theme analytics: what customers talk about, how they feel about it, and what changed.

For the dashboards' filters (date range, survey, touchpoint, channel, language, tier, one contact
attribute) over the analysed comments (``texts.CommentAnalysis`` / ``texts.ThemeHit``, written by the
rules worker for every complete response with a comment):

* :func:`overview` — one row per theme of the organisation's codeframe: comments that mention it
  (volume), their share of all comments (Wilson), mean sentiment (t-interval on the −1…1 score), the share
  of them that is negative (Wilson), NPS and CSAT of the commenters (the organisation's NPS / CSAT
  question, as on the dashboards), the change of the share against the same number of days before (N − 1
  two-proportion test), and the latest *spike*: a month whose share is significantly above the three
  months before (``core.metrics.spikes``, 99 %).
* :func:`detail` — one theme: the same numbers, its share per month with intervals and spikes, its
  sentiment split, the phrases its comments use most (``core.text.phrases``) and a page of its comments,
  newest first, with the spans where the theme was found (for highlighting).

Every number comes from ``core.metrics``; comments shown are redacted (``core.text.pii``) when the
organisation hides personal data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncMonth
from django.http import Http404
from django.utils import timezone

from cxloop.analytics import dashboard, explore, metrics_service, rollups
from cxloop.core import metrics
from cxloop.core.text import phrases as text_phrases
from cxloop.core.text import pii
from cxloop.core.text import themes as text_themes
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Survey
from cxloop.texts import services as texts
from cxloop.texts.models import CommentAnalysis, ThemeHit

SPIKE_BASELINE = 3  # months pooled as the baseline of a spike test
SPIKE_CONFIDENCE = 0.99
PHRASE_SAMPLE = 2000  # newest comments of a theme read for its top phrases (and of the others, to contrast)
COMMENTS_PER_PAGE = 20
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Scores:
    """NPS and CSAT of a set of commenters (None when the organisation asks no such question)."""

    nps: metrics.Estimate | None
    csat: metrics.Estimate | None


@dataclass(frozen=True)
class ThemeRow:
    key: str
    label: str
    depth: int
    count: int
    share: metrics.Estimate  # of all comments in the scope, percent
    sentiment: metrics.Estimate  # mean score −1…1
    negative: metrics.Estimate  # share of the theme's comments that are negative, percent
    scores: Scores
    change: metrics.Comparison  # share against the period before, percentage points
    spike: date | None  # the latest month whose share is significantly above the three before


@dataclass(frozen=True)
class Overview:
    start: date
    end: date
    comments: int
    comments_before: int
    rows: list[ThemeRow]
    uncategorised: metrics.Estimate
    has_nps: bool
    has_csat: bool


@dataclass(frozen=True)
class MonthPoint:
    month: date
    comments: int  # all comments that month
    count: int  # comments mentioning the theme
    share: metrics.Estimate
    spike: metrics.Comparison | None
    sentiment: metrics.Estimate


@dataclass(frozen=True)
class Segment:
    text: str
    hit: bool


@dataclass(frozen=True)
class ThemeComment:
    response_id: int
    survey_name: str
    submitted_at: Any
    sentiment_label: str
    sentiment_score: float
    segments: list[Segment]


@dataclass(frozen=True)
class Detail:
    row: ThemeRow
    description: str
    children: list[ThemeRow]
    months: list[MonthPoint]
    split: dict[str, int]  # negative / neutral / positive counts
    phrases: list[text_phrases.Phrase]
    comments: list[ThemeComment]
    page: Page[int]  # of the theme's comments (with the sentiment filter), newest first


# --- scope ---------------------------------------------------------------------------------------------


def _surveys(org: Organization, f: dashboard.Filters) -> list[Survey]:
    qs = Survey.objects.filter(org=org).order_by("pk")
    if f.survey_id is not None:
        qs = qs.filter(pk=f.survey_id)
    return list(qs)


def _analyses(org: Organization, scope: explore.Scope) -> QuerySet[CommentAnalysis]:
    qs = CommentAnalysis.objects.filter(org=org, survey_id__in=scope.survey_ids,
                                        submitted_at__gte=rollups.day_start(scope.start),
                                        submitted_at__lt=rollups.day_start(scope.end + explore.ONE_DAY))
    if scope.filters or scope.contact:
        qs = qs.filter(response__in=explore.responses(scope).values("pk"))
    return qs


def _hits(org: Organization, scope: explore.Scope) -> QuerySet[ThemeHit]:
    qs = ThemeHit.objects.filter(org=org, survey_id__in=scope.survey_ids,
                                 submitted_at__gte=rollups.day_start(scope.start),
                                 submitted_at__lt=rollups.day_start(scope.end + explore.ONE_DAY))
    if scope.filters or scope.contact:
        qs = qs.filter(response__in=explore.responses(scope).values("pk"))
    return qs


def _codeframe(org: Organization) -> text_themes.Codeframe:
    return texts.matcher(org)[0].codeframe


# --- numbers -------------------------------------------------------------------------------------------


def _share(count: int, n: int) -> metrics.Estimate:
    return metrics.wilson(count, n, scale=100.0)


def _sentiment(n: int, total: float | None, total_sq: float | None) -> metrics.Estimate:
    return metrics.mean_from_summary(metrics.MeanSummary.from_sums(n, total or 0.0, total_sq or 0.0))


@dataclass(frozen=True)
class _Measure:
    metric: str
    question: str
    scale: metrics_service.Scale
    survey_ids: tuple[int, ...]


def _measures(surveys: Sequence[Survey]) -> dict[str, _Measure]:
    found: dict[str, _Measure] = {}
    for metric in ("nps", "csat"):
        key = dashboard.measure_question(surveys, metric)
        if key is None:
            continue
        try:
            scale, asked = metrics_service.find_scale(surveys, key)
        except metrics_service.MetricsError:
            continue
        found[metric] = _Measure(metric, key, scale, tuple(s.pk for s in asked))
    return found


def _score_counts(hits: QuerySet[ThemeHit], measure: _Measure) -> dict[str, dict[int, int]]:
    """{theme: {score: commenters}} of the measure's question, from the scores each theme row carries: the
    rows in the window only, whatever the size of the answers table."""
    out: dict[str, dict[int, int]] = {}
    score = Cast(KeyTextTransform(measure.question, "scores"), FloatField())
    rows = (hits.filter(survey_id__in=measure.survey_ids).annotate(cx_score=score).filter(cx_score__isnull=False)
            .values("theme", "cx_score").annotate(n=Count("pk")).order_by())
    for row in rows:
        dist = out.setdefault(row["theme"], {})
        value = int(row["cx_score"])
        dist[value] = dist.get(value, 0) + int(row["n"])
    return out


def _scores(counts: Mapping[str, Mapping[str, Mapping[int, int]]], measures: Mapping[str, _Measure],
            key: str) -> Scores:
    def one(metric: str) -> metrics.Estimate | None:
        measure = measures.get(metric)
        if measure is None:
            return None
        return metrics_service.estimate(metric, counts[metric].get(key, {}), measure.scale, 0.95)

    return Scores(nps=one("nps"), csat=one("csat"))


def _months(start: date, end: date) -> list[date]:
    out = []
    month = rollups.month_start(start)
    while month <= end:
        out.append(month)
        month = metrics_service.add_months(month, 1)
    return out


def _month_of(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def _monthly(qs: QuerySet[Any], by_theme: bool) -> dict[tuple[str, date], int]:
    zone = timezone.get_default_timezone()
    grouped = qs.annotate(cx_month=TruncMonth("submitted_at", tzinfo=zone))
    fields = ("theme", "cx_month") if by_theme else ("cx_month",)
    out: dict[tuple[str, date], int] = {}
    for row in grouped.values(*fields).annotate(n=Count("pk")).order_by():
        out[(row.get("theme", ""), _month_of(row["cx_month"]))] = int(row["n"])
    return out


def _latest_spike(months: Sequence[date], counts: Mapping[tuple[str, date], int],
                  totals: Mapping[tuple[str, date], int], key: str) -> date | None:
    series = [metrics.Proportion(counts.get((key, m), 0), totals.get(("", m), 0), 100.0) for m in months]
    tests = metrics.spikes(series, baseline=SPIKE_BASELINE, confidence=SPIKE_CONFIDENCE)
    found = [m for m, t in zip(months, tests, strict=True) if t is not None and t.direction == "up"]
    return found[-1] if found else None


# --- the overview --------------------------------------------------------------------------------------


def _rows(org: Organization, f: dashboard.Filters, language: str, keys: Iterable[str] | None = None
          ) -> tuple[list[ThemeRow], int, int, bool, bool, text_themes.Codeframe]:
    surveys = _surveys(org, f)
    scope = f.scope(org, [s.pk for s in surveys])
    before = scope.before()
    codeframe = _codeframe(org)
    wanted = list(keys) if keys is not None else codeframe.keys()
    total = _analyses(org, scope).count()
    total_before = _analyses(org, before).count()
    hits = _hits(org, scope).filter(theme__in=wanted)
    stats = {row["theme"]: row for row in hits.values("theme").annotate(
        n=Count("pk"), s=Sum("sentiment_score"), ss=Sum(F("sentiment_score") * F("sentiment_score")),
        neg=Count("pk", filter=Q(sentiment_label="negative"))).order_by()}
    before_counts = dict(_hits(org, before).filter(theme__in=wanted).values("theme").annotate(n=Count("pk"))
                         .values_list("theme", "n").order_by())
    measures = _measures(surveys)
    counts = {metric: _score_counts(hits, measure) for metric, measure in measures.items()}
    months = _months(scope.start, scope.end)
    monthly = _monthly(hits, by_theme=True)
    monthly_totals = _monthly(_analyses(org, scope), by_theme=False)
    rows = []
    for key in wanted:
        theme = codeframe.get(key)
        stat = stats.get(key, {})
        n = int(stat.get("n") or 0)
        rows.append(ThemeRow(
            key=key, label=codeframe.label(key, language), depth=theme.depth if theme else 0, count=n,
            share=_share(n, total), sentiment=_sentiment(n, stat.get("s"), stat.get("ss")),
            negative=_share(int(stat.get("neg") or 0), n), scores=_scores(counts, measures, key),
            change=metrics.compare_proportions(
                metrics.Proportion(int(before_counts.get(key, 0)), total_before, 100.0),
                metrics.Proportion(n, total, 100.0)),
            spike=_latest_spike(months, monthly, monthly_totals, key)))
    return rows, total, total_before, "nps" in measures, "csat" in measures, codeframe


def overview(org: Organization, f: dashboard.Filters, language: str) -> Overview:
    rows, total, total_before, has_nps, has_csat, _ = _rows(org, f, language)
    scope = f.scope(org, [s.pk for s in _surveys(org, f)])
    none = _analyses(org, scope).filter(themes=[]).count()
    return Overview(start=f.start, end=f.end, comments=total, comments_before=total_before, rows=rows,
                    uncategorised=_share(none, total), has_nps=has_nps, has_csat=has_csat)


# --- one theme -----------------------------------------------------------------------------------------


def _texts(response_ids: Sequence[int]) -> dict[int, str]:
    return texts.comments(response_ids)


def segments(text: str, spans: Iterable[tuple[int, int]]) -> list[Segment]:
    """``text`` cut into plain and highlighted parts at ``spans`` (sorted, non-overlapping)."""
    out: list[Segment] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        if start > pos:
            out.append(Segment(text[pos:start], False))
        out.append(Segment(text[start:end], True))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:], False))
    return out


def _highlight(text: str, matcher: text_themes.Matcher, key: str) -> list[Segment]:
    """The theme's spans, and its sub-themes' (a parent theme is found through its children)."""
    spans = [span for hit in matcher.match(text)
             if hit.key == key or hit.key.startswith(key + "/") for span in hit.spans]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return segments(text, merged)


def detail(org: Organization, key: str, f: dashboard.Filters, language: str, *, sentiment: str = "",
           page: int = 1) -> Detail:
    """One theme's page; Http404 for a key the organisation's codeframe does not have."""
    codeframe = _codeframe(org)
    theme = codeframe.get(key)
    if theme is None:
        raise Http404("no such theme")
    children = [t.key for t in codeframe.children(key)]
    rows, _total, _before, _nps, _csat, _cf = _rows(org, f, language, [key, *children])
    surveys = _surveys(org, f)
    scope = f.scope(org, [s.pk for s in surveys])
    hits = _hits(org, scope).filter(theme=key)
    analyses = _analyses(org, scope)
    months = _months(scope.start, scope.end)
    totals = _monthly(analyses, by_theme=False)
    counts = _monthly(hits, by_theme=True)
    zone = timezone.get_default_timezone()
    sentiment_by_month = {
        _month_of(r["cx_month"]): r for r in hits  # one row per comment: ``hits`` is one theme's
        .annotate(cx_month=TruncMonth("submitted_at", tzinfo=zone)).values("cx_month")
        .annotate(n=Count("pk"), s=Sum("sentiment_score"),
                  ss=Sum(F("sentiment_score") * F("sentiment_score"))).order_by()}
    series = [metrics.Proportion(counts.get((key, m), 0), totals.get(("", m), 0), 100.0) for m in months]
    tests = metrics.spikes(series, baseline=SPIKE_BASELINE, confidence=SPIKE_CONFIDENCE)
    points = []
    for m, p, t in zip(months, series, tests, strict=True):
        s = sentiment_by_month.get(m, {})
        points.append(MonthPoint(month=m, comments=p.n, count=p.successes, share=_share(p.successes, p.n),
                                 spike=t, sentiment=_sentiment(int(s.get("n") or 0), s.get("s"), s.get("ss"))))
    split = dict.fromkeys(SENTIMENTS, 0)
    for label, n in hits.values_list("sentiment_label").annotate(n=Count("pk")).order_by():
        split[label] = split.get(label, 0) + int(n)
    listed = hits.filter(sentiment_label=sentiment) if sentiment in SENTIMENTS else hits
    paged = Paginator(listed.order_by("-submitted_at", "-response_id").values_list("response_id", flat=True),
                      COMMENTS_PER_PAGE).get_page(page)
    chosen = list(paged.object_list)
    redact = org.redact_pii
    matcher = texts.matcher(org)[0]
    found = _texts(chosen)
    info = {a.response_id: a for a in CommentAnalysis.objects.filter(response_id__in=chosen)
            .select_related("survey")}
    comments = []
    for response_id in chosen:
        text = found.get(response_id, "")
        if redact:
            text = pii.redact(text).text
        a = info[response_id]
        comments.append(ThemeComment(response_id=response_id, survey_name=a.survey.name,
                                     submitted_at=a.submitted_at, sentiment_label=a.sentiment_label,
                                     sentiment_score=a.sentiment_score, segments=_highlight(text, matcher, key)))
    newest = list(hits.order_by("-submitted_at", "-response_id").values_list("response_id", flat=True)
                  [:PHRASE_SAMPLE])
    others = list(analyses.exclude(response_id__in=hits.values("response_id")).order_by("-submitted_at")
                  .values_list("response_id", flat=True)[:PHRASE_SAMPLE])
    languages = dict(CommentAnalysis.objects.filter(response_id__in=newest + others)
                     .values_list("response_id", "language"))
    sample, background = _texts(newest), _texts(others)
    top = text_phrases.top_phrases(
        ((pii.redact(t).text if redact else t, languages.get(r)) for r, t in sample.items()), limit=12,
        background=((t, languages.get(r)) for r, t in background.items()))
    return Detail(row=rows[0], description=theme.description, children=rows[1:], months=points, split=split,
                  phrases=top, comments=comments, page=paged)


def ensure_theme(org: Organization, key: str) -> None:
    """Http404 unless the organisation's codeframe has the theme."""
    if _codeframe(org).get(key) is None:
        raise Http404("no such theme")


def summary(org: Organization, f: dashboard.Filters, language: str, *, limit: int = 6) -> Overview:
    """The overview cut to the themes worth a look on the dashboard: those whose share changed significantly
    or that spiked, biggest change first, then the most mentioned; at most ``limit``."""
    full = overview(org, f, language)

    def weight(row: ThemeRow) -> tuple[int, float, int]:
        moved = row.change.significant or row.spike is not None
        return (0 if moved else 1, -abs(row.change.difference or 0.0) if moved else 0.0, -row.count)

    rows = sorted((r for r in full.rows if r.count), key=weight)[:limit]
    return Overview(start=full.start, end=full.end, comments=full.comments, comments_before=full.comments_before,
                    rows=rows, uncategorised=full.uncategorised, has_nps=full.has_nps, has_csat=full.has_csat)


@dataclass(frozen=True)
class PainPoint:
    key: str
    label: str
    negative: int  # negative comments of the touchpoint about the theme
    share: metrics.Estimate  # of the touchpoint's negative comments, percent
    sentiment: metrics.Estimate  # mean sentiment of all the touchpoint's comments about the theme


def pain_points(org: Organization, touchpoint: str, f: dashboard.Filters, language: str, *, limit: int = 5
                ) -> list[PainPoint]:
    """A touchpoint's pain points (what journeys show in their pain-point lane): the most specific themes of its
    negative comments, most mentioned first; a parent theme only when none of its children was found."""
    surveys = _surveys(org, f)
    scope = dataclasses.replace(f, touchpoint=touchpoint).scope(org, [s.pk for s in surveys])
    negative_total = _analyses(org, scope).filter(sentiment_label="negative").count()
    hits = _hits(org, scope)
    stats = {row["theme"]: row for row in hits.values("theme").annotate(
        n=Count("pk"), neg=Count("pk", filter=Q(sentiment_label="negative")),
        s=Sum("sentiment_score"), ss=Sum(F("sentiment_score") * F("sentiment_score"))).order_by()}
    codeframe = _codeframe(org)
    found = [k for k, row in stats.items() if row["neg"]]
    specific = [k for k in found if not any(other.startswith(k + "/") for other in found)]
    ranked = sorted(specific, key=lambda k: (-stats[k]["neg"], k))[:limit]
    return [PainPoint(key=k, label=codeframe.label(k, language), negative=int(stats[k]["neg"]),
                      share=_share(int(stats[k]["neg"]), negative_total),
                      sentiment=_sentiment(int(stats[k]["n"]), stats[k]["s"], stats[k]["ss"])) for k in ranked]
