"""UX metrics from behavioural events (issue 8): task success, abandonment, time on task and error rate per task
with the failure rate by month and its test against the months before; page views; usage (DAU / WAU / MAU,
stickiness, feature adoption); SUS and UMUX-Lite from the surveys; and the HEART scorecard per product area.
Every number comes from ``core.metrics`` (and ``core.ux.heart_scorecard``); this module only counts.

Definitions (docs/ux.md has them with the sources)
-------------------------------------------------
* A **scope** is an organisation, the local days ``start``..``end`` (``settings.TIME_ZONE``, as everywhere in
  analytics), and optionally a segment (events of its member contacts: ``person`` is the contact's id), a product
  area (``properties.area``) and a task (``properties.task``).
* **Tasks** (``task_started`` / ``task_completed`` / ``task_failed`` with ``properties.task``): success rate =
  completed / (completed + failed), adjusted-Wald; abandonment = 1 − completions / starts (completions counted at
  most up to the starts: an attempt started before the range and finished in it must not make the rate negative);
  time on task = the geometric mean of ``duration_ms`` of the completed attempts (seconds) with the t-interval of
  the logs; error rate = ``error`` events naming the task per start (at most one per start). The failure rate by
  month (failed / (completed + failed)) is tested against the pooled three months before it (``metrics.spikes``,
  N − 1 two-proportion test at 99 %): a *rise* is a month significantly above its baseline.
* **Active** people: distinct ``person`` with any event. DAU / WAU / MAU: active on the last complete day of the
  range (yesterday when it runs to today), in the 7 days, in the 30 days ending then. Stickiness = mean DAU over
  those 30 days / MAU (``metrics.stickiness``). Usage and page views are product-wide (no area or task filter).
* **Feature adoption**: people with a ``feature_used`` event of the feature / active people (Wilson).
* **HEART** per area (``properties.area``): happiness = the chosen survey measure (CSAT top-2-box, NPS or mean
  SUS) of the complete responses whose touchpoint is one of the touchpoints the area's events carry in the range;
  engagement = the mean number of the area's events per week per person who used the area (t-interval);
  adoption = people who used the area / active people (Wilson); retention = of the people who used the area in the
  same number of days just before, the share who used it again in the range (Wilson); task success = the area's
  tasks completed / (completed + failed) (adjusted-Wald). Rates are 0..1 here; pages and the API say which unit.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, F, Func, IntegerField, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from cxloop.analytics import dashboard, explore, metrics_service
from cxloop.analytics.metrics_service import MetricsError
from cxloop.analytics.rollups import day_start
from cxloop.behaviour.models import Event
from cxloop.core import metrics
from cxloop.core import ux as core_ux
from cxloop.core.metrics import Estimate
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Survey
from cxloop.surveys.services import current_version, spec_of

ONE_DAY = timedelta(days=1)
CONFIDENCE = 0.95
RISE_CONFIDENCE = 0.99  # the monthly failure-rate test: many months × tasks are tested on one page
BASELINE_MONTHS = 3
TASK_EVENTS = ("task_started", "task_completed", "task_failed")
HAPPINESS_MEASURES = ("csat", "nps", "sus")
TOP_PATHS = 10
NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
RATE_SIGNALS = ("adoption", "retention", "task_success")  # 0..1 here; targets and pages in percent


# --- the scope ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which events: one organisation, local days ``start``..``end`` (inclusive), optionally a segment's
    members, one product area and one task."""

    org: Organization
    start: date
    end: date
    segment: int | None = None
    area: str = ""
    task: str = ""

    @property
    def since(self) -> datetime:
        return day_start(self.start)

    @property
    def until(self) -> datetime:
        return day_start(self.end + ONE_DAY)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> Scope:
        """The same number of days just before."""
        return Scope(self.org, self.start - timedelta(days=self.days), self.start - ONE_DAY, self.segment,
                     self.area, self.task)

    def base(self) -> QuerySet[Event]:
        """The organisation's events of the segment's members (any time)."""
        qs = Event.objects.filter(org=self.org)
        if self.segment is not None:
            from cxloop.segments.members import member_ids

            qs = qs.filter(person__in=member_ids(self.org.pk, self.segment))
        return qs

    def events(self, *names: str, since: datetime | None = None, until: datetime | None = None,
               area: bool = True) -> QuerySet[Event]:
        """Events in the range (or ``since``..``until``), of the given names (all without), of the area."""
        qs = self.base().filter(at__gte=since or self.since, at__lt=until or self.until)
        if len(names) == 1:
            qs = qs.filter(name=names[0])
        elif names:
            qs = qs.filter(name__in=list(names))
        if area and self.area:
            qs = qs.annotate(cx_area=prop("area")).filter(cx_area=self.area)
        return qs


class JsonText(Func):
    """``properties.<key>`` as a plain value: ``json_extract(properties, '$."key"')`` on SQLite (text for JSON
    strings, a number for numbers, NULL when absent), ``properties ->> 'key'`` on PostgreSQL (text). Django's
    ``KeyTextTransform`` on SQLite reads the JSON twice per row (JSON_TYPE, then JSON_EXTRACT) and compares through
    JSON(); this reads it once and compares as text, which halves the time of the grouped reads here. The key is a
    bound parameter, never spliced into the SQL."""

    output_field = TextField()

    def __init__(self, key: str, column: str = "properties") -> None:
        if not KEY.fullmatch(key):
            raise ValueError(f"a property key is 1 to 64 ASCII letters, digits or _; got {key!r}")
        self.key = key
        super().__init__(F(column))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"json_extract({column}, %s)", [*params, f'$."{self.key}"']

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} ->> %s)", [*params, self.key]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]  # other backends
        return compiler.compile(Cast(KeyTextTransform(self.key, "properties"), TextField()))


def prop(key: str) -> JsonText:
    """``properties.<key>`` as a plain value (see :class:`JsonText`)."""
    return JsonText(key)


def check_scope(org: Organization, start: date, end: date, *, segment: int | None = None, area: str = "",
                task: str = "") -> Scope:
    """A scope, or MetricsError naming the parameter (from/to, segment: 404 when not the organisation's)."""
    start, end = metrics_service.date_range(start, end)
    for name, value in (("area", area), ("task", task)):
        if value and not NAME.fullmatch(value):
            raise MetricsError(f"{name}: 1 to 100 printable characters", field=name)
    if segment is not None:
        from cxloop.segments.models import Segment

        if not Segment.objects.filter(org=org, pk=segment).exists():
            raise MetricsError("segment: not found", field="segment", status=404)
    return Scope(org, start, end, segment, area, task)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    return metrics_service.add_months(day, months)


def month_bounds(start: date, end: date) -> list[tuple[date, datetime, datetime]]:
    """(first day of the month, from, until) for each calendar month touching ``start``..``end``, cut to it."""
    out = []
    m = month_start(start)
    while m <= end:
        nxt = add_months(m, 1)
        out.append((m, day_start(max(m, start)), day_start(min(nxt - ONE_DAY, end) + ONE_DAY)))
        m = nxt
    return out


def period_case(bounds: Sequence[tuple[datetime, datetime]], column: str = "at") -> Case:
    """The index of the ``[from, until)`` period a row's ``column`` falls in (NULL outside every period): a plain
    CASE, the same on SQLite and PostgreSQL, so grouping by month needs no date function per row."""
    whens = [When(**{f"{column}__gte": lo, f"{column}__lt": hi}, then=Value(i)) for i, (lo, hi) in enumerate(bounds)]
    return Case(*whens, default=None, output_field=IntegerField())


def _number(raw: Any) -> float | None:
    """A JSON property's value as a finite number (numbers and numeric text), else None."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        x = float(str(raw))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw)


# --- tasks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskMonth:
    month: date
    attempts: int  # completed + failed
    failures: int
    failure_rate: Estimate  # 0..1, adjusted-Wald
    baseline: metrics.Comparison | None  # vs the pooled BASELINE_MONTHS before (RISE_CONFIDENCE), in points

    @property
    def rise(self) -> bool:
        return self.baseline is not None and self.baseline.direction == "up"


@dataclass(frozen=True)
class TaskRow:
    task: str
    area: str  # the area most of its events name
    starts: int
    completions: int
    failures: int
    success: Estimate  # completed / (completed + failed), adjusted-Wald, 0..1
    abandonment: Estimate  # 1 − completions / starts, adjusted-Wald, 0..1
    time_on_task: Estimate  # geometric mean seconds of completed attempts
    errors: int
    error_rate: Estimate  # errors per start, adjusted-Wald, 0..1
    months: list[TaskMonth] = field(default_factory=list)

    @property
    def rises(self) -> list[TaskMonth]:
        return [m for m in self.months if m.rise]


@dataclass(frozen=True)
class TaskReport:
    scope: Scope
    rows: list[TaskRow]
    months: list[date]  # the months shown (the baseline months before the range are not)
    confidence: float


def _task_counts(scope: Scope, bounds: Sequence[tuple[datetime, datetime]]
                 ) -> tuple[dict[tuple[str, str, int], int], dict[str, Counter[str]]]:
    """{(task, event name, period index): count} and {task: Counter of areas}."""
    qs = scope.events(*TASK_EVENTS, since=bounds[0][0], until=bounds[-1][1]).annotate(
        cx_task=prop("task"), cx_area2=prop("area"), cx_m=period_case(bounds))
    if scope.task:
        qs = qs.filter(cx_task=scope.task)
    counts: dict[tuple[str, str, int], int] = defaultdict(int)
    areas: dict[str, Counter[str]] = defaultdict(Counter)
    for row in qs.values("cx_task", "name", "cx_area2", "cx_m").annotate(n=Count("id")).order_by():
        if row["cx_m"] is None:
            continue
        task = _text(row["cx_task"])
        counts[(task, row["name"], int(row["cx_m"]))] += int(row["n"])
        areas[task][_text(row["cx_area2"])] += int(row["n"])
    return counts, areas


def _log_sums(scope: Scope) -> dict[str, tuple[int, float, float]]:
    """{task: (n, Σ ln s, Σ (ln s)²)} of the durations (seconds) of the completed attempts in range; a missing,
    non-numeric or non-positive duration_ms is left out. Aggregated in Python from a narrow query: SQLite has no
    LN of its own, and a bad property must not fail the page on PostgreSQL."""
    qs = scope.events("task_completed").annotate(cx_task=prop("task"), cx_ms=prop("duration_ms"))
    if scope.task:
        qs = qs.filter(cx_task=scope.task)
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for task, raw in qs.values_list("cx_task", "cx_ms").iterator(chunk_size=5000):
        ms = _number(raw)
        if ms is None or ms <= 0:
            continue
        y = math.log(ms / 1000.0)
        acc = sums[_text(task)]
        acc[0] += 1
        acc[1] += y
        acc[2] += y * y
    return {k: (int(v[0]), v[1], v[2]) for k, v in sums.items()}


def _error_counts(scope: Scope) -> dict[str, int]:
    qs = scope.events("error").annotate(cx_task=prop("task"))
    if scope.task:
        qs = qs.filter(cx_task=scope.task)
    return {_text(r["cx_task"]): int(r["n"]) for r in qs.values("cx_task").annotate(n=Count("id")).order_by()
            if r["cx_task"]}


def task_report(scope: Scope, confidence: float = CONFIDENCE) -> TaskReport:
    """Every task with attempts in the scope (most starts first), with its failure rate by month."""
    shown = month_bounds(scope.start, scope.end)
    baseline_start = add_months(month_start(scope.start), -BASELINE_MONTHS)
    earlier = month_bounds(baseline_start, month_start(scope.start) - ONE_DAY)
    bounds = [(lo, hi) for _m, lo, hi in earlier + shown]
    counts, areas = _task_counts(scope, bounds)
    logs = _log_sums(scope)
    errors = _error_counts(scope)
    first_shown = len(earlier)
    tasks = sorted({t for t, _n, _i in counts if t}, key=str)
    rows = []
    for task in tasks:
        def total(name: str, task: str = task) -> int:
            return sum(counts.get((task, name, i), 0) for i in range(first_shown, len(bounds)))

        starts, done, failed = total("task_started"), total("task_completed"), total("task_failed")
        failed_by = [counts.get((task, "task_failed", i), 0) for i in range(len(bounds))]
        done_by = [counts.get((task, "task_completed", i), 0) for i in range(len(bounds))]
        # scale 100: the test's difference is in percentage points
        series = [metrics.Proportion(f, f + d, 100.0) for f, d in zip(failed_by, done_by, strict=True)]
        tests = metrics.spikes(series, baseline=BASELINE_MONTHS, confidence=RISE_CONFIDENCE)
        months = [TaskMonth(shown[i - first_shown][0], series[i].n, series[i].successes,
                            metrics.adjusted_wald(series[i].successes, series[i].n, confidence), tests[i])
                  for i in range(first_shown, len(bounds))]
        n, s1, s2 = logs.get(task, (0, 0.0, 0.0))
        err = errors.get(task, 0)
        rows.append(TaskRow(
            task=task, area=(areas[task].most_common(1)[0][0] if areas[task] else ""),
            starts=starts, completions=done, failures=failed,
            success=metrics.adjusted_wald(done, done + failed, confidence),
            abandonment=metrics.abandonment(min(done, starts), starts, confidence),
            time_on_task=metrics.geometric_mean_from_logs(n, s1, s2, confidence),
            errors=err, error_rate=metrics.error_rate(min(err, starts), starts, confidence), months=months))
    rows.sort(key=lambda r: (-r.starts, r.task))
    return TaskReport(scope, rows, [m for m, _lo, _hi in shown], confidence)


# --- page views and usage -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathRow:
    path: str
    views: int
    people: int


@dataclass(frozen=True)
class PageViews:
    views: int
    people: int
    top: list[PathRow]


def page_views(scope: Scope, top: int = TOP_PATHS) -> PageViews:
    """Product-wide (page views name no area)."""
    qs = scope.events("page_view", area=False)
    totals = qs.aggregate(views=Count("id"), people=Count("person", distinct=True))
    rows = (qs.annotate(cx_path=prop("path")).values("cx_path")
            .annotate(views=Count("id"), people=Count("person", distinct=True)).order_by("-views", "cx_path")[:top])
    return PageViews(int(totals["views"] or 0), int(totals["people"] or 0),
                     [PathRow(_text(r["cx_path"]) or "—", int(r["views"]), int(r["people"])) for r in rows])


@dataclass(frozen=True)
class MonthActive:
    month: date
    active: int


@dataclass(frozen=True)
class Usage:
    on: date  # DAU / WAU / MAU end on this day (the range's last complete day)
    dau: int
    wau: int
    mau: int
    mean_dau: float  # mean daily actives over the MAU's 30 days
    stickiness: float | None  # mean DAU / MAU (0..1)
    active: int  # distinct people active in the whole range
    monthly: list[MonthActive]


def _distinct_people(qs: QuerySet[Event]) -> int:
    return int(qs.aggregate(n=Count("person", distinct=True))["n"] or 0)


def usage(scope: Scope) -> Usage:
    """Product-wide usage (the scope's area and task do not narrow it: active people are the base of adoption).
    DAU / WAU / MAU end on the range's last *complete* day: yesterday when the range runs to today."""
    today = metrics_service.local_today()
    on = today - ONE_DAY if scope.end >= today else scope.end
    until = day_start(on + ONE_DAY)
    days = [(day_start(on - timedelta(days=k)), day_start(on - timedelta(days=k - 1))) for k in range(29, -1, -1)]
    window = scope.events(since=days[0][0], until=until, area=False)
    dau = _distinct_people(scope.events(since=day_start(on), until=until, area=False))
    wau = _distinct_people(scope.events(since=day_start(on - timedelta(days=6)), until=until, area=False))
    mau = _distinct_people(window)
    person_days = window.annotate(cx_d=period_case(days)).values("person", "cx_d").distinct().count()
    mean_dau = person_days / 30.0
    # one COUNT(DISTINCT person) a month: each reads the (org, at, person) index alone
    monthly = [MonthActive(m, _distinct_people(scope.events(since=lo, until=hi, area=False)))
               for m, lo, hi in month_bounds(scope.start, scope.end)]
    return Usage(on, dau, wau, mau, mean_dau, metrics.stickiness(mean_dau, mau),
                 _distinct_people(scope.events(area=False)), monthly)


@dataclass(frozen=True)
class FeatureRow:
    feature: str
    area: str
    people: int
    uses: int
    adoption: Estimate  # people / active people, Wilson, 0..1


def feature_adoption(scope: Scope, active: int, confidence: float = CONFIDENCE) -> list[FeatureRow]:
    """Each feature's users (``feature_used`` events) as a share of the ``active`` people, most used first."""
    rows = (scope.events("feature_used").annotate(cx_feature=prop("feature"), cx_farea=prop("area"))
            .values("cx_feature", "cx_farea").annotate(people=Count("person", distinct=True), uses=Count("id"))
            .order_by())
    merged: dict[str, list[Any]] = {}
    for r in rows:
        feature = _text(r["cx_feature"]) or "—"
        item = merged.setdefault(feature, [Counter(), 0, 0])
        item[0][_text(r["cx_farea"])] += int(r["uses"])
        item[1] = max(item[1], int(r["people"]))  # a feature in two areas: the larger group (no double count)
        item[2] += int(r["uses"])
    out = [FeatureRow(f, areas.most_common(1)[0][0], people, uses,
                      metrics.wilson(min(people, active), active, confidence))
           for f, (areas, people, uses) in merged.items()]
    out.sort(key=lambda r: (-r.people, r.feature))
    return out


# --- SUS and UMUX-Lite from the surveys ---------------------------------------------------------------------


@dataclass(frozen=True)
class Usability:
    sus: metrics.Sus | None  # mean SUS (0–100) with its t-interval, percentile and grade
    umux: Estimate | None  # mean UMUX-Lite (0–100)
    umux_sus: float | None  # UMUX-Lite's mean on the SUS scale (Lewis et al. 2013)


def _item_keys(org: Organization, question_type: str) -> list[tuple[Survey, list[str]]]:
    """(survey, item keys in questionnaire order) of every survey asking a question of the type."""
    out = []
    for survey in Survey.objects.filter(org=org, current_version__gt=0).order_by("pk"):
        spec = spec_of(current_version(survey))
        for q in spec.questions():
            if q.type == question_type:
                out.append((survey, [f"{q.key}.{item.key}" for item in q.items]))
                break
    return out


def _numbers(org: Organization, survey: Survey, keys: Sequence[str], start: date, end: date,
             segment: int | None, touchpoint: str | None) -> list[dict[str, float]]:
    from cxloop.segments.members import SEGMENT_KEY

    scope = explore.Scope(org, (survey.pk,), start, end, {"touchpoint": touchpoint} if touchpoint else {},
                          {SEGMENT_KEY: str(segment)} if segment is not None else {})
    return list(explore.numbers(scope, keys).values())


def sus_scores(org: Organization, start: date, end: date, *, segment: int | None = None,
               touchpoints: Iterable[str] | None = None) -> list[float]:
    """Each complete response's SUS score (Brooke) with all ten items answered."""
    scores: list[float] = []
    for survey, keys in _item_keys(org, "sus"):
        if len(keys) != 10:
            continue
        places: list[str | None] = list(touchpoints) if touchpoints is not None else [None]
        for tp in places:
            for row in _numbers(org, survey, keys, start, end, segment, tp):
                items = [row.get(k) for k in keys]
                if all(x is not None and 1 <= x <= 5 for x in items):
                    scores.append(metrics.sus_score([int(x) for x in items if x is not None]))
    return scores


def usability(org: Organization, start: date, end: date, *, segment: int | None = None,
              confidence: float = CONFIDENCE) -> Usability:
    """Mean SUS and UMUX-Lite of the complete responses in range (``metrics.sus`` / ``metrics.umux_lite`` on the
    per-response answers the survey dashboards read with ``analytics.explore.numbers``)."""
    scores = sus_scores(org, start, end, segment=segment)
    pairs: list[tuple[int, int]] = []
    for survey, keys in _item_keys(org, "umux_lite"):
        if len(keys) != 2:
            continue
        for row in _numbers(org, survey, keys, start, end, segment, None):
            a, b = row.get(keys[0]), row.get(keys[1])
            if a is not None and b is not None and 1 <= a <= 7 and 1 <= b <= 7:
                pairs.append((int(a), int(b)))
    sus = metrics.sus(scores, confidence) if scores else None
    umux = metrics.umux_lite(pairs, confidence) if pairs else None
    equivalent = metrics.umux_lite_sus_equivalent(umux.value) if umux and umux.value is not None else None
    return Usability(sus, umux, equivalent)


# --- HEART --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeartArea:
    card: core_ux.HeartCard
    touchpoints: list[str]  # where the area's events happened (its happiness is read there)
    people: int  # who used the area in the range


@dataclass(frozen=True)
class Heart:
    scope: Scope
    measure: str  # happiness measure: csat | nps | sus
    areas: list[HeartArea]
    active: int
    targets: dict[str, float]  # in the signals' units (rates 0..1)


@dataclass
class _AreaRows:
    now: dict[str, dict[int, int]]  # {area: {person: events in the range}}
    before: dict[str, set[int]]  # {area: people in the same number of days before}
    touchpoints: dict[str, list[str]]  # {area: touchpoints of its events in the range}


def _area_rows(scope: Scope) -> _AreaRows:
    """One grouped read of the events naming an area, over the range and the days before it."""
    b = scope.before()
    qs = (scope.events(since=b.since, until=scope.until, area=False)
          .annotate(cx_a=prop("area"), cx_p=period_case([(b.since, b.until), (scope.since, scope.until)]))
          .exclude(cx_a=None).exclude(cx_a="").values("cx_a", "touchpoint", "person", "cx_p")
          .annotate(n=Count("id")).order_by())
    if scope.area:
        qs = qs.filter(cx_a=scope.area)
    now: dict[str, dict[int, int]] = defaultdict(dict)
    before: dict[str, set[int]] = defaultdict(set)
    places: dict[str, set[str]] = defaultdict(set)
    for r in qs:
        area, person = _text(r["cx_a"]), int(r["person"])
        if r["cx_p"] == 1:
            now[area][person] = now[area].get(person, 0) + int(r["n"])
            if r["touchpoint"]:
                places[area].add(r["touchpoint"])
        elif r["cx_p"] == 0:
            before[area].add(person)
    return _AreaRows(dict(now), dict(before), {a: sorted(t) for a, t in places.items()})


def _area_tasks(scope: Scope) -> dict[str, tuple[int, int]]:
    """{area: (completed, failed)}."""
    qs = (scope.events("task_completed", "task_failed", area=False).annotate(cx_a=prop("area"))
          .values("cx_a", "name").annotate(n=Count("id")).order_by())
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in qs:
        out[_text(r["cx_a"])][0 if r["name"] == "task_completed" else 1] += int(r["n"])
    return {a: (v[0], v[1]) for a, v in out.items()}


def happiness_by_touchpoint_set(scope: Scope, measure: str, groups: Mapping[str, Sequence[str]],
                                confidence: float = CONFIDENCE) -> dict[str, Estimate | None]:
    """{group: the measure over the complete responses at the group's touchpoints}. CSAT and NPS come from
    ``analytics.metrics_service.compute`` by touchpoint (rollups + raw answers), their counts summed per group
    and estimated with ``metrics_service.estimate``; SUS from the per-response answers."""
    from cxloop.segments.members import SEGMENT_KEY

    if measure not in HAPPINESS_MEASURES:
        raise MetricsError(f"measure: use one of {', '.join(HAPPINESS_MEASURES)}", field="measure")
    out: dict[str, Estimate | None] = dict.fromkeys(groups)
    if measure == "sus":
        for g, tps in groups.items():
            scores = (sus_scores(scope.org, scope.start, scope.end, segment=scope.segment, touchpoints=tps)
                      if tps else [])
            out[g] = metrics.sus(scores, confidence).mean if scores else None
        return out
    surveys = list(Survey.objects.filter(org=scope.org).order_by("pk"))
    question = dashboard.measure_question(surveys, measure)
    if question is None:
        return out
    contact = {SEGMENT_KEY: str(scope.segment)} if scope.segment is not None else {}
    result = metrics_service.compute(org=scope.org, surveys=surveys, question=question, metric=measure,
                                     start=scope.start, end=scope.end, group_by="touchpoint", contact=contact,
                                     confidence=confidence)
    scale, _asked = metrics_service.find_scale(surveys, question)
    by_tp = {item.group or "": item.counts for item in result.items}
    for g, tps in groups.items():
        counts: Counter[int] = Counter()
        for tp in tps:
            counts.update(by_tp.get(tp, {}))
        out[g] = metrics_service.estimate(measure, dict(counts), scale, confidence) if counts else None
    return out


def heart(scope: Scope, *, measure: str = "csat", targets: Mapping[str, float] | None = None,
          active: int | None = None, confidence: float = CONFIDENCE) -> Heart:
    """The HEART scorecard per product area (see the module docstring); ``targets`` in the signals' units
    (adoption, retention and task success 0..1; happiness in the measure's; engagement in events per week).
    ``active``: the number of active people in the range when the caller has it already (``usage``)."""
    goals = {k: float(v) for k, v in (targets or {}).items() if v is not None}
    rows = _area_rows(scope)
    now, before, touchpoints = rows.now, rows.before, rows.touchpoints
    if active is None:
        active = _distinct_people(scope.events(area=False))
    tasks = _area_tasks(scope)
    areas = sorted(now, key=lambda a: (-len(now[a]), a))
    happy = happiness_by_touchpoint_set(scope, measure, {a: touchpoints.get(a, []) for a in areas}, confidence)
    weeks = scope.days / 7.0
    inputs: dict[str, core_ux.HeartInputs] = {}
    for a in areas:
        people = now[a]
        earlier = before.get(a, set())
        done, failed = tasks.get(a, (0, 0))
        inputs[a] = core_ux.HeartInputs(
            happiness=happy.get(a),
            engagement=metrics.mean([n / weeks for n in people.values()], confidence),
            adoption=metrics.wilson(min(len(people), active), active, confidence),
            retention=metrics.retention(len(earlier), len(earlier & set(people)), confidence) if earlier else None,
            task_success=metrics.adjusted_wald(done, done + failed, confidence) if done + failed else None,
        )
    cards = core_ux.heart_scorecard(inputs, goals)
    return Heart(scope, measure, [HeartArea(c, touchpoints.get(c.area, []), len(now[c.area])) for c in cards],
                 active, goals)


def known_values(org: Organization, key: str, names: Sequence[str], *, recent: int = 20000,
                 limit: int = 200) -> list[str]:
    """Distinct values of ``properties.<key>`` among the organisation's latest ``recent`` events of each of
    ``names`` (the filters' choices: a sample read through the (org, name, at) index, not a scan of history)."""
    found: set[str] = set()
    for name in names:
        latest = Event.objects.filter(org=org, name=name).order_by("-at").values("pk")[:recent]
        qs = (Event.objects.filter(pk__in=latest).annotate(cx_v=prop(key)).exclude(cx_v=None).exclude(cx_v="")
              .values_list("cx_v", flat=True).distinct())
        found.update(str(v) for v in qs)
    return sorted(found)[:limit]
