"""Reading score counts exactly: clean rollup buckets, plus the raw answers of the days marked dirty;
raw rows alone for what rollups do not carry (contact attributes, segments); and comment search.

``counts`` reads the dirty markers first; then months from the month rows (when the caller's periods are
months or the whole range) less the day rows of their dirty days, in one statement; other clean days from
the day rows; and dirty days from the raw answers. A bucket a refresh cleans meanwhile is read after its
marker, so it is counted from the raw rows or from its new rollup rows, never from its old ones: every
number is exact at read time. Month reads without filters use the collapsed level of their ``group_by``;
day rows are kept with every dimension only.

The raw queries are driven by the index ``response_org_survey_time`` (organisation, survey, submitted_at)
and reach each response's answers through ``answer_unique_key`` (response, question_key); the tests check
both plans on SQLite (``EXPLAIN QUERY PLAN``) and PostgreSQL (``EXPLAIN``), so a regression to a full
scan fails. A comment's text itself is matched row by row within the survey and period (``icontains``):
no text index, which a later full-text feature (Chinese needs bigram tokens) can add.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import CharField, Count, F, QuerySet, Sum, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from cxloop.analytics import rollups
from cxloop.analytics.models import DAY, DIMENSIONS, MONTH, ScoreRollup, grain
from cxloop.surveys.models import Answer, ResponseStatus

__all__ = ["DIMENSIONS", "CountQuery", "Row", "answers_in", "comments_queryset", "counts", "search_comments"]

ONE_DAY = timedelta(days=1)
_RAW = {"touchpoint": "response__touchpoint", "channel": "response__channel", "language": "response__language",
        "tier": "response__account__tier"}
SYNC_REFRESH_OVER = 31  # more marked days than this in a read: recompute them first instead of reading raw


@dataclass(frozen=True)
class CountQuery:
    """Which answers to count: one question of some surveys of one organisation, grouped by at most one
    dimension, filtered by dimension values and (raw rows only) contact attributes."""

    org_id: int
    survey_ids: tuple[int, ...]
    question_key: str
    group_by: str | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    contact: Mapping[str, str] = field(default_factory=dict)


class Row(NamedTuple):
    """``n`` answers of ``value`` on ``key`` (a day, or the first day of a whole month) in ``group``
    ("" when not grouped)."""

    key: date
    group: str
    value: int
    n: int


@dataclass
class Plan:
    """How a read is split: months from month rows (less the stale day rows of their dirty days, which
    are counted raw instead), clean day runs from day rows, dirty day runs from the raw answers."""

    months: list[date] = field(default_factory=list)
    stale: list[date] = field(default_factory=list)  # dirty days inside ``months``
    day_runs: list[tuple[date, date]] = field(default_factory=list)
    raw_runs: list[tuple[date, date]] = field(default_factory=list)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + ONE_DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def plan(ranges: Sequence[tuple[date, date]], dirty: Collection[date], *, months: bool, today: date) -> Plan:
    """Split inclusive day ranges into months (only with ``months``), runs of clean days and runs of dirty
    days. A month is read from its month rows when the range holds all of it, or from its first day on
    when the range reaches ``today`` (the days after today hold no answers yet); its dirty days are then
    "stale": their day rows are subtracted and their raw answers added."""
    out = Plan()
    loose: list[date] = []
    stale: set[date] = set()
    final = max(last for _first, last in ranges)
    for first, last in ranges:
        open_end = last >= today and last == final  # nothing after ``last`` has answers yet
        day = first
        while day <= last:
            end = rollups.next_month(day) - ONE_DAY
            if months and day.day == 1 and (end <= last or open_end):
                out.months.append(day)
                stale.update(d for d in dirty if day <= d <= end)
            else:
                loose.extend(_days(day, min(end, last)))
            day = min(end, last) + ONE_DAY
    out.stale = sorted(stale)
    out.day_runs = _runs(d for d in loose if d not in dirty)
    out.raw_runs = _runs([*stale, *(d for d in loose if d in dirty)])
    return out


def level_of(query: CountQuery) -> str | None:
    """The collapsed level a query can read (None: it filters, so it needs every dimension)."""
    return None if query.filters else (query.group_by or "total")


def counts(query: CountQuery, ranges: Sequence[tuple[date, date]], *, months: bool,
           today: date | None = None) -> list[Row]:
    """Every (day or month, group, value) count of the query in the inclusive day ``ranges``. With
    ``months`` whole months come back keyed by their first day (with negative counts for the stale day
    rows taken out of them; the sums per key are what count)."""
    ranges = [(a, b) for a, b in ranges if a <= b]
    if not ranges or not query.survey_ids:
        return []
    if query.contact:
        return [row for first, last in ranges for row in _raw_rows(query, first, last)]
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    low, high = min(a for a, _ in ranges), rollups.next_month(max(b for _, b in ranges)) - ONE_DAY
    dirty = rollups.dirty_days(query.survey_ids, low, high)
    if len(dirty) > SYNC_REFRESH_OVER:
        rollups.refresh(survey_ids=query.survey_ids)
        dirty = rollups.dirty_days(query.survey_ids, low, high)
    split = plan(ranges, dirty, months=months, today=today)
    rows: list[Row] = []
    if split.months:
        rows += _fetch(month_queryset(query, split.months, split.stale), query.group_by, month_base=True)
    for first, last in split.day_runs:
        qs = rollup_queryset(query, DAY).filter(period__gte=first, period__lte=last)
        rows += _rollup_rows(qs, query.group_by)
    for first, last in split.raw_runs:
        rows += _raw_rows(query, first, last)
    return rows


# --- rollup rows ----------------------------------------------------------------------------------


def rollup_queryset(query: CountQuery, grain_name: str) -> QuerySet[ScoreRollup]:
    qs = ScoreRollup.objects.filter(survey_id__in=query.survey_ids, question_key=query.question_key,
                                    grain=grain_name)
    return qs.filter(**dict(query.filters))


def _grouped(qs: QuerySet[ScoreRollup], group_by: str | None) -> QuerySet[ScoreRollup, dict[str, Any]]:
    # The period as text: SQLite's driver would parse every row's DATE; _fetch parses each value once.
    return qs.values("grain", "value", *([group_by] if group_by else []), day=Cast("period", CharField())) \
        .annotate(n=Sum("count")).order_by()


def _fetch(qs: QuerySet[Any, Any], group_by: str | None, month_base: bool = False) -> list[Row]:
    """Run a grouped rollup query with its own SQL but without the ORM's per-row conversion (thousands
    of rows per dashboard read). Day rows of a month query (the stale ones) come back negated and keyed
    by their month."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        fetched = cursor.fetchall()
    at_grain, at_day, at_value, at_n = (names.index(n) for n in ("grain", "day", "value", "n"))
    at_group = names.index(group_by) if group_by else None
    days: dict[Any, date] = {}
    rows = []
    for row in fetched:
        text = row[at_day]
        period = days.get(text)
        if period is None:
            period = days[text] = text if isinstance(text, date) else date.fromisoformat(str(text)[:10])
        count = int(row[at_n])
        if month_base and row[at_grain].startswith(DAY):
            period, count = period.replace(day=1), -count
        rows.append(Row(period, row[at_group] if at_group is not None else "", int(row[at_value]), count))
    return rows


def _rollup_rows(qs: QuerySet[ScoreRollup], group_by: str | None) -> list[Row]:
    return _fetch(_grouped(qs, group_by), group_by)


def month_queryset(query: CountQuery, months: list[date], stale: list[date]) -> QuerySet[Any, Any]:
    """The grouped month rows and, in the same statement (so the same snapshot: a refresh that commits
    meanwhile changes both or neither), the grouped day rows of their stale days, to be taken out."""
    level = level_of(query)
    month_qs = _grouped(rollup_queryset(query, grain(MONTH, level)).filter(period__in=months), query.group_by)
    if not stale:
        return month_qs
    day_qs = _grouped(rollup_queryset(query, DAY).filter(period__in=stale), query.group_by)
    return month_qs.union(day_qs, all=True)


# --- raw rows -------------------------------------------------------------------------------------


def answers_in(query: CountQuery, first: date, last: date) -> QuerySet[Answer]:
    """The answers the query counts, of complete responses submitted on local days ``first``..``last``."""
    qs = Answer.objects.filter(
        response__org_id=query.org_id, response__survey_id__in=query.survey_ids,
        response__submitted_at__gte=rollups.day_start(first),
        response__submitted_at__lt=rollups.day_start(last + ONE_DAY),
        response__status=ResponseStatus.COMPLETE, question_key=query.question_key, number__isnull=False)
    for name, value in query.filters.items():
        if name == "tier" and value == "":
            qs = qs.filter(response__account__isnull=True)
        else:
            qs = qs.filter(**{_RAW[name]: value})
    from cxloop.segments.members import SEGMENT_KEY, response_filter

    for index, (attribute, value) in enumerate(sorted(query.contact.items())):
        if attribute == SEGMENT_KEY:  # a segment (its id): its members' answers
            qs = qs.filter(response_filter(query.org_id, value, "response__"))
            continue
        alias = f"contact_attr_{index}"
        qs = qs.annotate(**{alias: Cast(KeyTextTransform(attribute, "response__contact__attributes"),
                                        TextField())}).filter(**{alias: value})
    return qs


def _raw_rows(query: CountQuery, first: date, last: date) -> list[Row]:
    qs = answers_in(query, first, last).annotate(
        day=TruncDate("response__submitted_at", tzinfo=timezone.get_default_timezone()))
    names: dict[str, Any] = {"day": F("day"), "value": F("number")}
    if query.group_by:
        names["group"] = F(_RAW[query.group_by])
    grouped = qs.values(**names).annotate(n=Count("pk")).order_by()
    return [Row(r["day"], (r.get("group") or "") if query.group_by else "", int(r["value"]), int(r["n"]))
            for r in grouped]


# --- comments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    response_id: int
    survey_id: int
    question_key: str
    text: str
    submitted_at: datetime
    touchpoint: str
    channel: str
    language: str


def comments_queryset(org_id: int, survey_ids: Collection[int], search: str, first: date,
                      last: date) -> QuerySet[Answer]:
    """Text answers (comments) of the surveys' responses on local days ``first``..``last`` that contain
    ``search`` (case-insensitive), newest first."""
    return (Answer.objects.filter(
        response__org_id=org_id, response__survey_id__in=list(survey_ids),
        response__submitted_at__gte=rollups.day_start(first),
        response__submitted_at__lt=rollups.day_start(last + ONE_DAY),
        number__isnull=True, text__icontains=search)
        .order_by("-response__submitted_at", "-pk"))


def search_comments(org_id: int, survey_ids: Collection[int], search: str, first: date, last: date, *,
                    limit: int = 100) -> list[Comment]:
    rows = comments_queryset(org_id, survey_ids, search, first, last).values_list(
        "response_id", "response__survey_id", "question_key", "text", "response__submitted_at",
        "response__touchpoint", "response__channel", "response__language")[:limit]
    return [Comment(*row) for row in rows]
