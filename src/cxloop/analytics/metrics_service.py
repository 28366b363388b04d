"""The metrics service: a metric of one numeric question per period × group, with its interval, its
counts and whether it changed significantly from the period before. ``GET /api/v1/metrics`` and the
dashboard both call :func:`compute`; every number comes from ``core.metrics`` and every count from
``analytics.reads`` (rollups plus the raw answers of the days not yet recomputed, so exact).

Metrics (``metric``): ``nps`` (0–10 questions; NPS points −100…100, adjusted-Wald interval),
``csat`` (top-2-box share in percent 0…100, Wilson interval), ``mean`` (t-interval), ``agree`` (CES:
share answering 5–7 in percent, Wilson). Default by question type: nps → nps, csat → csat, anything
else numeric → mean. An item of a matrix, SUS or UMUX-Lite question is asked for as ``<question>.<item>``.

Periods: ``interval`` day, week (Monday to Sunday) or month, local days of ``settings.TIME_ZONE``; the
first and last period are cut to ``start``/``end``. Each period is compared with the period before it
(the first with the one before ``start``); without an interval the range is compared with the same
number of days before it. ``significant_change`` is the two-period test of ``core.metrics.compare`` at
``change_confidence`` (99 % by default: about 24 monthly comparisons a chart at 95 % would flag one by
chance in most two-year charts), False when either period has fewer than ``core.metrics.MIN_RESPONSES``
answers, and None when there is nothing to compare (no answers on one side).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from cxloop.analytics import reads, rollups
from cxloop.core import metrics
from cxloop.core.survey_model import FIXED_SCALES, ITEM_TYPES, SCALE_TYPES, Question
from cxloop.orgs.models import Organization
from cxloop.orgs.services import ServiceError
from cxloop.surveys.models import Survey, SurveyVersion
from cxloop.surveys.services import spec_of

INTERVALS = ("day", "week", "month")
GROUP_BY = reads.DIMENSIONS
METRICS = ("nps", "csat", "mean", "agree")
CONFIDENCE = 0.95
CHANGE_CONFIDENCE = 0.99
MAX_PERIODS = 1000
ATTRIBUTE = re.compile(r"[A-Za-z0-9_\-]{1,64}")
ONE_DAY = timedelta(days=1)


class MetricsError(ServiceError):
    """A request the service cannot answer; ``field`` names the parameter (422 unless said)."""

    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


@dataclass(frozen=True)
class Item:
    period: date | None  # first day of the period (None without an interval)
    group: str | None  # the group's value (None without group_by; "" for responses without one)
    metric: str
    estimate: metrics.Estimate
    counts: dict[int, int]
    previous: metrics.Estimate | None
    comparison: metrics.Comparison | None

    @property
    def significant_change(self) -> bool | None:
        c = self.comparison
        if c is None or c.p_value is None:
            return None
        return c.significant and not c.too_few


@dataclass(frozen=True)
class Result:
    survey_ids: tuple[int, ...]
    question: str
    metric: str
    start: date
    end: date
    interval: str | None
    group_by: str | None
    confidence: float
    change_confidence: float
    items: list[Item]


@dataclass(frozen=True)
class Scale:
    question_type: str
    low: int
    high: int


# --- periods --------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


MAX_RANGE_DAYS = 5 * 366  # the longest range a page or API read computes (the pages' "at most five years")


def date_range(start: date | None, end: date | None, *, max_days: int | None = MAX_RANGE_DAYS) -> tuple[date, date]:
    """The inclusive local days a read covers: ``end`` defaults to today, ``start`` to the twelve months up to
    ``end``; MetricsError naming ``from`` when it is after ``to`` or the range is longer than five years
    (``max_days=None``: any length; the metrics read from rollups and bound their number of periods instead)."""
    end = end or local_today()
    start = start or add_months(end, -11)
    if start > end:
        raise MetricsError("from: must not be after to", field="from")
    if max_days is not None and (end - start).days + 1 > max_days:
        raise MetricsError("from: at most five years before to", field="from")
    return start, end


def period_start(day: date, interval: str) -> date:
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: date, interval: str) -> date:
    if interval == "day":
        return start + ONE_DAY
    if interval == "week":
        return start + timedelta(days=7)
    return rollups.next_month(start)


def periods(start: date, end: date, interval: str) -> list[date]:
    out, p = [], period_start(start, interval)
    while p <= end:
        out.append(p)
        p = next_period(p, interval)
    return out


# --- the question ---------------------------------------------------------------------------------


def _scale_of(question: Question, item: str) -> Scale | None:
    plain = question.type in SCALE_TYPES and not item
    one_item = question.type in ITEM_TYPES and bool(item) and question.item(item) is not None
    if not (plain or one_item):
        return None
    low, high = FIXED_SCALES.get(question.type, (question.scale_min, question.scale_max))
    if low is None or high is None:
        return None
    return Scale(question.type, low, high)


def _versions(survey: Survey) -> Iterator[SurveyVersion]:
    """The survey's published versions, the current one first (cached, parsed once per process); the
    older ones are only read when the current one does not ask the question."""
    from cxloop.surveys.services import current_version

    if survey.current_version:
        yield current_version(survey)
    yield from survey.versions.exclude(number=survey.current_version).order_by("-number")


def find_scale(surveys: Sequence[Survey], key: str) -> tuple[Scale, list[Survey]]:
    """The scale of numeric question ``key`` (``question`` or ``question.item``) and the surveys that
    ask it on that scale (in a published version); MetricsError naming ``question`` otherwise."""
    base, _, item = key.partition(".")
    scale: Scale | None = None
    asked: list[Survey] = []
    problem = f"question: {key!r} is not a question of this survey"
    for survey in surveys:
        for version in _versions(survey):
            spec = spec_of(version)
            try:
                question = spec.question(base)
            except KeyError:
                continue
            found = _scale_of(question, item)
            if found is None:
                problem = (f"question: {key!r} is a {question.type} question; metrics need a number "
                           + ("(name an item: <question>.<item>)" if question.type in ITEM_TYPES else "(a scale)"))
                break
            if scale is None:
                scale = found
            if found == scale:
                asked.append(survey)
            break
    if scale is None:
        raise MetricsError(problem, field="question")
    return scale, asked


def default_metric(scale: Scale) -> str:
    return {"nps": "nps", "csat": "csat"}.get(scale.question_type, "mean")


def _check_metric(metric: str, scale: Scale) -> None:
    if metric not in METRICS:
        raise MetricsError(f"metric: use one of {', '.join(METRICS)}", field="metric")
    if metric == "nps" and (scale.low, scale.high) != (0, 10):
        raise MetricsError("metric: nps needs a 0–10 question", field="metric")
    if metric == "agree" and scale.question_type != "ces":
        raise MetricsError("metric: agree is the CES share agreeing (5–7); this is not a CES question",
                           field="metric")
    if metric == "csat" and scale.high - scale.low < 2:
        raise MetricsError("metric: csat (top-2-box) needs a scale of at least three points", field="metric")


def estimate(metric: str, counts: Mapping[int, int], scale: Scale, confidence: float) -> metrics.Estimate:
    if metric == "nps":
        return metrics.nps(metrics.NpsCounts.from_distribution(counts), confidence)
    if metric == "csat":
        return metrics.csat(counts, scale_max=scale.high, confidence=confidence)
    if metric == "agree":
        return metrics.ces(counts, scale_min=scale.low, scale_max=scale.high, confidence=confidence).agree
    return metrics.mean_from_distribution(counts, confidence)


# --- compute --------------------------------------------------------------------------------------


def _check(*, interval: str | None, group_by: str | None, filters: Mapping[str, str],
           contact: Mapping[str, str], confidence: float, change_confidence: float) -> None:
    if interval is not None and interval not in INTERVALS:
        raise MetricsError(f"interval: use one of {', '.join(INTERVALS)}", field="interval")
    if group_by is not None and group_by not in GROUP_BY:
        raise MetricsError(f"group_by: use one of {', '.join(GROUP_BY)}", field="group_by")
    for name in filters:
        if name not in GROUP_BY:
            raise MetricsError(f"{name}: not a filter; use {', '.join(GROUP_BY)}", field=name)
    for name in contact:
        if not ATTRIBUTE.fullmatch(name):
            raise MetricsError(f"contact.{name}: an attribute name is 1 to 64 letters, digits, _ or -",
                               field=f"contact.{name}")
    for name, value in (("confidence", confidence), ("change_confidence", change_confidence)):
        if not 0.5 <= value < 1:
            raise MetricsError(f"{name}: between 0.5 and 1 (e.g. 0.95)", field=name)


def compute(
    *,
    org: Organization,
    surveys: Sequence[Survey],
    question: str,
    metric: str | None = None,
    start: date | None = None,
    end: date | None = None,
    interval: str | None = None,
    group_by: str | None = None,
    filters: Mapping[str, str] | None = None,
    contact: Mapping[str, str] | None = None,
    confidence: float = CONFIDENCE,
    change_confidence: float = CHANGE_CONFIDENCE,
) -> Result:
    """The metric of ``question`` over the surveys (all of ``org``) per period × group; see the module.
    ``start``/``end`` are inclusive local days (default: the twelve months up to today)."""
    filters, contact = dict(filters or {}), dict(contact or {})
    _check(interval=interval, group_by=group_by, filters=filters, contact=contact, confidence=confidence,
           change_confidence=change_confidence)
    if any(s.org_id != org.pk for s in surveys):
        raise MetricsError("survey: not found", field="survey", status=404)
    start, end = date_range(start, end, max_days=None)
    scale, asked = find_scale(surveys, question)
    metric = metric or default_metric(scale)
    _check_metric(metric, scale)
    query = reads.CountQuery(org_id=org.pk, survey_ids=tuple(s.pk for s in asked), question_key=question,
                             group_by=group_by, filters=filters, contact=contact)
    if interval is None:
        items = _whole_range(query, metric, scale, start, end, confidence, change_confidence)
    else:
        items = _by_period(query, metric, scale, start, end, interval, confidence, change_confidence)
    return Result(query.survey_ids, question, metric, start, end, interval, group_by, confidence,
                  change_confidence, items)


Buckets = dict[tuple[date, str], dict[int, int]]


def _add(buckets: Buckets, key: tuple[date, str], value: int, count: int) -> None:
    dist = buckets.setdefault(key, {})
    dist[value] = dist.get(value, 0) + count


def _settle(buckets: Buckets) -> Buckets:
    """Drop the values whose counts came to zero (a stale day taken out of its month, then added raw)."""
    settled = {key: {v: c for v, c in dist.items() if c > 0} for key, dist in buckets.items()}
    return {key: dist for key, dist in settled.items() if dist}


def _item(period: date | None, group: str | None, metric: str, counts: dict[int, int],
          current: metrics.Estimate, previous: metrics.Estimate | None, change_confidence: float) -> Item:
    comparison = None
    if previous is not None and previous.n and current.n:
        comparison = metrics.compare(previous, current, confidence=change_confidence)
    return Item(period, group, metric, current, dict(sorted(counts.items())), previous, comparison)


def _groups(buckets: Buckets, start: date, grouped: bool) -> list[str | None]:
    if not grouped:
        return [None]
    return [*sorted({g for (p, g) in buckets if p >= start})]


def _whole_range(query: reads.CountQuery, metric: str, scale: Scale, start: date, end: date,
                 confidence: float, change_confidence: float) -> list[Item]:
    before = start - timedelta(days=(end - start).days + 1)
    buckets: Buckets = defaultdict(dict)
    for row in reads.counts(query, [(before, start - ONE_DAY), (start, end)], months=True):
        _add(buckets, (start if row.key >= start else before, row.group), row.value, row.n)
    buckets = _settle(buckets)
    items = []
    for group in _groups(buckets, start, query.group_by is not None):
        counts = buckets.get((start, group or ""), {})
        current = estimate(metric, counts, scale, confidence)
        previous = estimate(metric, buckets.get((before, group or ""), {}), scale, confidence)
        items.append(_item(None, group, metric, counts, current, previous, change_confidence))
    return items


def _by_period(query: reads.CountQuery, metric: str, scale: Scale, start: date, end: date, interval: str,
               confidence: float, change_confidence: float) -> list[Item]:
    shown = periods(start, end, interval)
    if len(shown) > MAX_PERIODS:
        raise MetricsError(f"interval: {len(shown)} periods from {start} to {end}; at most {MAX_PERIODS} "
                           "(use a longer interval or a shorter range)", field="interval")
    first = shown[0]
    previous = period_start(first - ONE_DAY, interval)
    buckets: Buckets = defaultdict(dict)
    rows = reads.counts(query, [(previous, first - ONE_DAY), (start, end)], months=interval == "month")
    starts: dict[date, date] = {}
    for day, row_group, value, n in rows:
        start_of = starts.get(day)
        if start_of is None:
            start_of = starts[day] = period_start(day, interval)
        _add(buckets, (start_of, row_group), value, n)
    buckets = _settle(buckets)
    items = []
    for group in _groups(buckets, first, query.group_by is not None):
        key = group or ""
        before = estimate(metric, buckets.get((previous, key), {}), scale, confidence)
        for p in shown:
            counts = buckets.get((p, key), {})
            current = estimate(metric, counts, scale, confidence)
            items.append(_item(p, group, metric, counts, current, before, change_confidence))
            before = current
    items.sort(key=lambda i: (i.period or start, i.group or ""))
    return items

