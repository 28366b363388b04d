"""What the dashboard pages show, assembled from the metrics service (``metrics_service.compute``: every
score from rollups plus the raw answers of days not yet recomputed, every number from ``core.metrics``),
``core.drivers`` (key drivers), ``core.crosstab`` and ``analytics.explore`` (raw reads). One function per
page; the views only parse the filters and render.

* :func:`org_dashboard` — headline NPS, CSAT and CES cards (the selected range against the range of the
  same length just before it, with the two-period test), the chosen measure's trend by week or month
  (interval per period, significant changes marked), and a breakdown by touchpoint, channel, language,
  account tier, account or a contact attribute.
* :func:`survey_dashboard` — the same for one survey, for each of its numeric questions (and the items
  of matrix, SUS and UMUX-Lite questions), plus the invitation funnel.
* :func:`key_driver_analysis` — importance (Johnson's relative weights, share of R², bootstrap
  significance) against performance (mean and top-2-box) of a survey's rating questions on an outcome.
* :func:`cross_tab` — counts and percentages of two questions or dimensions with Pearson's chi-square.

Periods are local days (``settings.TIME_ZONE``). A measure a survey does not ask is reported as absent,
not as an error; a request the metrics service refuses raises ``metrics_service.MetricsError``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxloop.analytics import explore, metrics_service
from cxloop.analytics.metrics_service import Item, Scale
from cxloop.analytics.rollups import day_start
from cxloop.core import crosstab, drivers, metrics
from cxloop.core.survey_model import FIXED_SCALES, ITEM_TYPES, SCALE_TYPES, Question, SurveySpec
from cxloop.core.survey_spec import answer_labels, localise
from cxloop.core.survey_templates import ACSI_CONSTRUCTS
from cxloop.customers.models import Account, Tier
from cxloop.orgs.models import Organization
from cxloop.surveys import distributions
from cxloop.surveys.models import Channel, Survey
from cxloop.surveys.services import current_version, spec_of

# The organisation's headline measures: (question type, metric).
MEASURES: dict[str, tuple[str, str]] = {"nps": ("nps", "nps"), "csat": ("csat", "csat"), "ces": ("ces", "mean")}
MEASURE_LABELS = {"nps": gettext_lazy("Net Promoter Score"), "csat": gettext_lazy("CSAT (top-2-box)"),
                  "ces": gettext_lazy("Customer Effort Score (mean, 1–7)")}
DIMENSIONS = metrics_service.GROUP_BY  # touchpoint, channel, language, tier (rollups)
DEFAULT_GROUP_BY = "tier"  # B2B: every response of a contact has its account's tier
RAW_GROUPS = ("account",)  # and contact.<attribute>: raw rows
DIMENSION_LABELS = {"touchpoint": gettext_lazy("Touchpoint"), "channel": gettext_lazy("Channel"),
                    "language": gettext_lazy("Language"), "tier": gettext_lazy("Account tier"),
                    "account": gettext_lazy("Account")}
LANGUAGE_NAMES = {"zh-hans": "简体中文", "zh-hant": "繁體中文", "en": "English"}
MAX_GROUPS = 15  # accounts or attribute values shown in a breakdown (most responses first)
DRIVER_RESAMPLES = 1000
CROSSTAB_MAX_CATEGORIES = 40


@dataclass(frozen=True)
class Filters:
    """The page's filters, all optional except the inclusive local date range."""

    start: date
    end: date
    survey_id: int | None = None
    touchpoint: str = ""
    channel: str = ""
    language: str = ""
    tier: str = ""
    attribute: str = ""  # a contact attribute's name …
    value: str = ""  # … and the value it must have
    interval: str = "month"
    group_by: str = DEFAULT_GROUP_BY  # a dimension, "account" or "contact.<attribute>"
    measure: str = "nps"  # the organisation's trend and breakdown: nps | csat | ces
    segment: int | None = None  # a segment's id: only its members' responses

    def dimension_filters(self) -> dict[str, str]:
        return {name: value for name in DIMENSIONS if (value := getattr(self, name))}

    def contact(self) -> dict[str, str]:
        """Contact filters: the attribute, and the segment under its reserved key (read from raw rows)."""
        from cxloop.segments.members import SEGMENT_KEY

        out = {self.attribute: self.value} if self.attribute and self.value else {}
        if self.segment is not None:
            out[SEGMENT_KEY] = str(self.segment)
        return out

    def scope(self, org: Organization, survey_ids: Sequence[int]) -> explore.Scope:
        return explore.Scope(org, tuple(survey_ids), self.start, self.end, self.dimension_filters(), self.contact())


def default_range(today: date | None = None) -> tuple[date, date]:
    """The metrics service's default: the twelve months up to today (this month so far included)."""
    end = today or metrics_service.local_today()
    return metrics_service.add_months(end, -11), end


# --- display helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """How a metric is shown: its bounds (the chart's widest y range), grid step, unit and sign."""

    low: float
    high: float
    step: float
    unit: str
    signed: bool
    decimals: int


def axis(metric: str, scale: Scale | None) -> Axis:
    if metric == "nps":
        return Axis(-100, 100, 10, "", True, 0)
    if metric in ("csat", "agree"):
        return Axis(0, 100, 10, "%", False, 0)
    low, high = (scale.low, scale.high) if scale else (0, 10)
    return Axis(low, high, 0.5 if high - low <= 6 else 1, "", False, 1 if high - low <= 10 else 0)


METRIC_LABELS = {"nps": gettext_lazy("NPS"), "csat": gettext_lazy("CSAT (top-2-box)"),
                 "agree": gettext_lazy("Agree (5–7)"), "mean": gettext_lazy("Mean")}


def metric_label(metric: str) -> str:
    return str(METRIC_LABELS.get(metric, metric))


def group_label(dimension: str, value: str, accounts: Mapping[str, str] | None = None) -> str:
    if value == "":
        return _("(none)")
    if dimension == "channel":
        return str(dict(Channel.choices).get(value, value))
    if dimension == "language":
        return LANGUAGE_NAMES.get(value, value)
    if dimension == "tier":
        return str(dict(Tier.choices).get(value, value))
    if dimension == "account" and accounts is not None:
        return accounts.get(value, value)
    return value


def dimension_label(dimension: str) -> str:
    if dimension.startswith("contact."):
        return _("Contact: %(name)s") % {"name": dimension.removeprefix("contact.")}
    return str(DIMENSION_LABELS.get(dimension, dimension))


# --- the pieces ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """One headline number: the range's estimate, the previous range's, and the test between them.
    ``item`` is None when no survey in scope asks the question."""

    key: str
    label: str
    question: str | None
    metric: str
    axis: Axis
    item: Item | None

    @property
    def estimate(self) -> metrics.Estimate | None:
        return self.item.estimate if self.item else None

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)


@dataclass(frozen=True)
class Trend:
    question: str
    label: str
    metric: str
    interval: str
    axis: Axis
    items: list[Item]

    @property
    def has_data(self) -> bool:
        return any(i.estimate.n for i in self.items)

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)


@dataclass(frozen=True)
class Group:
    label: str
    item: Item


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    dimension_label: str
    question: str
    label: str
    metric: str
    axis: Axis
    groups: list[Group]
    more: int = 0  # groups left out (MAX_GROUPS)

    @property
    def metric_label(self) -> str:
        return metric_label(self.metric)


def headline_card(org: Organization, surveys: Sequence[Survey], key: str, label: str, question: str | None,
                  metric: str, f: Filters) -> Card:
    """One headline number over ``f``'s range and filters, compared with the range just before."""
    if question is None:
        return Card(key, label, None, metric, axis(metric, None), None)
    result = metrics_service.compute(org=org, surveys=surveys, question=question, metric=metric, start=f.start,
                                     end=f.end, filters=f.dimension_filters(), contact=f.contact())
    scale, _asked = metrics_service.find_scale(surveys, question)
    return Card(key, label, question, result.metric, axis(result.metric, scale), result.items[0])


def trend_of(org: Organization, surveys: Sequence[Survey], question: str, label: str, metric: str,
             f: Filters) -> Trend:
    result = metrics_service.compute(org=org, surveys=surveys, question=question, metric=metric, start=f.start,
                                     end=f.end, interval=f.interval, filters=f.dimension_filters(),
                                     contact=f.contact())
    scale, _asked = metrics_service.find_scale(surveys, question)
    return Trend(question, label, result.metric, f.interval, axis(result.metric, scale), result.items)


def breakdown_of(org: Organization, surveys: Sequence[Survey], question: str, label: str, metric: str,
                 f: Filters) -> Breakdown:
    scale, asked = metrics_service.find_scale(surveys, question)
    dimension = f.group_by
    if dimension in DIMENSIONS:
        result = metrics_service.compute(org=org, surveys=surveys, question=question, metric=metric,
                                         start=f.start, end=f.end, group_by=dimension,
                                         filters=f.dimension_filters(), contact=f.contact())
        items = sorted(result.items, key=lambda i: -i.estimate.n)
        metric = result.metric
        names: dict[str, str] = {}
    else:
        metric = metric or metrics_service.default_metric(scale)
        scope = f.scope(org, [s.pk for s in asked])
        items = _raw_groups(scope, question, dimension, metric, scale)
        names = _account_names(org, [i.group or "" for i in items]) if dimension == "account" else {}
    shown = [i for i in items if i.estimate.n][:MAX_GROUPS]
    groups = [Group(group_label(dimension, i.group or "", names), i) for i in shown]
    return Breakdown(dimension, dimension_label(dimension), question, label, metric, axis(metric, scale), groups,
                     max(0, len([i for i in items if i.estimate.n]) - len(shown)))


def _raw_groups(scope: explore.Scope, question: str, dimension: str, metric: str, scale: Scale) -> list[Item]:
    """Items per account or contact attribute value, from the raw answers (rollups do not carry them),
    with the same estimates and two-period tests as the metrics service, most responses first."""
    now = explore.group_counts(scope, question, dimension)
    before = explore.group_counts(scope.before(), question, dimension)
    items = []
    for group, counts in now.items():
        current = metrics_service.estimate(metric, counts, scale, metrics_service.CONFIDENCE)
        previous = metrics_service.estimate(metric, before.get(group, {}), scale, metrics_service.CONFIDENCE)
        comparison = None
        if previous.n and current.n:
            comparison = metrics.compare(previous, current, confidence=metrics_service.CHANGE_CONFIDENCE)
        items.append(Item(None, group, metric, current, dict(sorted(counts.items())), previous, comparison))
    return sorted(items, key=lambda i: (-i.estimate.n, i.group or ""))


def _account_names(org: Organization, ids: Sequence[str]) -> dict[str, str]:
    wanted = [int(i) for i in ids if i.isdigit()]
    return {str(pk): name for pk, name in Account.objects.filter(org=org, pk__in=wanted).values_list("pk", "name")}


# --- the organisation's dashboard ------------------------------------------------------------------


@dataclass(frozen=True)
class OrgDashboard:
    filters: Filters
    cards: list[Card]
    trend: Trend | None
    breakdown: Breakdown | None
    previous_start: date
    previous_end: date
    responses: int  # complete responses in range (every survey in view, filters applied)
    previous_responses: int


def _specs(surveys: Sequence[Survey]) -> list[tuple[Survey, SurveySpec]]:
    return [(s, spec_of(current_version(s))) for s in surveys if s.current_version]


def measure_question(surveys: Sequence[Survey], question_type: str) -> str | None:
    """The key of the measure's question: the one most of the surveys use for a question of this type
    (the template's own key first on a tie), None when no published survey asks one."""
    keys: Counter[str] = Counter()
    for _survey, spec in _specs(surveys):
        for q in spec.questions():
            if q.type == question_type:
                keys[q.key] += 1
    if not keys:
        return None
    return max(keys, key=lambda k: (keys[k], k == question_type, k))


def org_dashboard(org: Organization, f: Filters) -> OrgDashboard:
    surveys = list(Survey.objects.filter(org=org).order_by("pk"))
    if f.survey_id is not None:
        surveys = [s for s in surveys if s.pk == f.survey_id]
    cards = []
    for key, (question_type, metric) in MEASURES.items():
        question = measure_question(surveys, question_type)
        cards.append(headline_card(org, surveys, key, str(MEASURE_LABELS[key]), question, metric, f))
    chosen = next(c for c in cards if c.key == f.measure)
    trend = breakdown = None
    if chosen.question is not None:
        trend = trend_of(org, surveys, chosen.question, chosen.label, chosen.metric, f)
        breakdown = breakdown_of(org, surveys, chosen.question, chosen.label, chosen.metric, f)
    scope = f.scope(org, [s.pk for s in surveys])
    before = scope.before()
    return OrgDashboard(f, cards, trend, breakdown, before.start, before.end, explore.responses(scope).count(),
                        explore.responses(before).count())


# --- a survey's dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class NumericQuestion:
    key: str  # "nps", or "sus.q1" for an item
    label: str
    type: str


def numeric_questions(spec: SurveySpec, language: str) -> list[NumericQuestion]:
    """The survey's numeric questions and items, in survey order, with their text in ``language``."""
    out = []
    for q in spec.questions():
        text = localise(q.text, language, spec.default_language)
        if q.type in SCALE_TYPES:
            out.append(NumericQuestion(q.key, text, q.type))
        elif q.type in ITEM_TYPES:
            for item in q.items:
                item_text = localise(item.text, language, spec.default_language)
                out.append(NumericQuestion(f"{q.key}.{item.key}", f"{text} — {item_text}", q.type))
    return out


@dataclass(frozen=True)
class FunnelRow:
    name: str
    created: int
    sent: int
    opened: int
    started: int
    completed: int
    failed: int
    retrying: int
    rate: metrics.Estimate | None  # completed / sent, Wilson interval, percent


@dataclass(frozen=True)
class Funnel:
    rows: list[FunnelRow]
    total: FunnelRow


def funnel(survey: Survey, start: date | None = None, end: date | None = None) -> Funnel:
    """``distributions.funnel`` per distribution and in total, with the response rate (completed of sent);
    with a range, of the invitations created on the local days ``start``..``end``."""
    since = day_start(start) if start else None
    until = day_start(end + timedelta(days=1)) if end else None
    rows = []
    for r in distributions.funnel(survey, since=since, until=until):
        name = r["distribution__name"] or _("Personal links (API, ad hoc)")
        rows.append(_funnel_row(name, r))
    keys = ("created", "sent", "opened", "started", "completed", "failed", "retrying")
    total = _funnel_row(_("All invitations"), {k: sum(getattr(r, k) for r in rows) for k in keys})
    return Funnel(rows, total)


def _funnel_row(name: str, r: Mapping[str, Any]) -> FunnelRow:
    rate = metrics.wilson(r["completed"], r["sent"], scale=100.0) if r["sent"] else None
    return FunnelRow(name, r["created"], r["sent"], r["opened"], r["started"], r["completed"], r["failed"],
                     r["retrying"], rate)


@dataclass(frozen=True)
class SurveyDashboard:
    survey: Survey
    filters: Filters
    questions: list[NumericQuestion]
    cards: list[Card]  # every numeric question and item
    question: str | None  # the one the trend and breakdown show
    trend: Trend | None
    breakdown: Breakdown | None
    funnel: Funnel
    previous_start: date
    previous_end: date

    @property
    def headline(self) -> list[Card]:
        """The first four scale questions (items are in the table only)."""
        return [c for c in self.cards if "." not in c.key][:4]


def survey_dashboard(org: Organization, survey: Survey, f: Filters, *, question: str | None,
                     language: str) -> SurveyDashboard:
    spec = spec_of(current_version(survey)) if survey.current_version else None
    questions = numeric_questions(spec, language) if spec else []
    cards = [headline_card(org, [survey], q.key, q.label, q.key, "", f) for q in questions]
    chosen = next((q for q in questions if q.key == question), questions[0] if questions else None)
    trend = breakdown = None
    if chosen is not None:
        trend = trend_of(org, [survey], chosen.key, chosen.label, "", f)
        breakdown = breakdown_of(org, [survey], chosen.key, chosen.label, "", f)
    before = explore.Scope(org, (), f.start, f.end).before()
    return SurveyDashboard(survey, f, questions, cards, chosen.key if chosen else None, trend, breakdown,
                           funnel(survey, f.start, f.end), before.start, before.end)


# --- key drivers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriverRow:
    key: str
    label: str
    driver: drivers.Driver
    mean: metrics.Estimate
    top_box: metrics.Estimate  # share answering the top two points, percent


@dataclass(frozen=True)
class DriverAnalysis:
    survey: Survey
    filters: Filters
    candidates: list[NumericQuestion]  # the survey's single-number questions
    outcome: NumericQuestion | None
    chosen: list[str]  # driver keys
    rows: list[DriverRow]  # most important first
    result: drivers.KeyDrivers | None
    scale: tuple[float, float]  # the drivers' common bounds, for the chart
    problem: str = ""
    outcome_mean: metrics.Estimate | None = None
    complete_rows: int = 0
    totals: dict[str, int] = field(default_factory=dict)


def driver_candidates(spec: SurveySpec, language: str) -> list[NumericQuestion]:
    return [q for q in numeric_questions(spec, language) if q.type in SCALE_TYPES]


def default_outcome(candidates: Sequence[NumericQuestion]) -> str | None:
    """An NPS question; else ACSI's satisfaction; else a question named like satisfaction; else the last."""
    keys = [q.key for q in candidates]
    for q in candidates:
        if q.type == "nps":
            return q.key
    if "acsi_satisfaction" in keys:
        return "acsi_satisfaction"
    for key in keys:
        if "satisf" in key or "overall" in key:
            return key
    return keys[-1] if keys else None


def default_drivers(candidates: Sequence[NumericQuestion], outcome: str) -> list[str]:
    """Every other single-number question; for an ACSI survey with satisfaction as the outcome, the
    questions of its causes (expectations, perceived quality and value), not the rest of its index."""
    keys = [q.key for q in candidates if q.key != outcome]
    if outcome in ACSI_CONSTRUCTS["satisfaction"]:
        causes = {k for c in ("expectations", "perceived_quality", "perceived_value") for k in ACSI_CONSTRUCTS[c]}
        if causes & set(keys):
            return [k for k in keys if k in causes]
    return keys


def _scale_bounds(question: Question | None) -> tuple[int, int]:
    if question is None:
        return (0, 10)
    low, high = FIXED_SCALES.get(question.type, (question.scale_min, question.scale_max))
    return (low if low is not None else 0, high if high is not None else 10)


def key_driver_analysis(org: Organization, survey: Survey, f: Filters, *, outcome: str | None,
                        chosen: Sequence[str] | None, language: str) -> DriverAnalysis:
    """Johnson's relative weights of the chosen drivers on the outcome over the complete responses in
    range that answered all of them (listwise), with bootstrap intervals and the random-variable
    significance test (``core.drivers.key_drivers``); performance is each driver's mean (t-interval)
    and top-2-box share (Wilson) over every response in range that answered it."""
    spec = spec_of(current_version(survey)) if survey.current_version else None
    candidates = driver_candidates(spec, language) if spec else []
    outcome = outcome or default_outcome(candidates)
    target = next((q for q in candidates if q.key == outcome), None)
    picked = [k for k in (chosen or []) if k != outcome and any(q.key == k for q in candidates)]
    if target is not None and not picked:
        picked = default_drivers(candidates, target.key)
    empty = DriverAnalysis(survey, f, candidates, target, picked, [], None, (0, 10))
    if spec is None or target is None:
        return replace(empty, problem=_("This survey has no rating questions to analyse."))
    if not picked:
        return replace(empty, problem=_("Choose at least one driver question."))
    questions = {q.key: q for q in spec.questions()}
    bounds = [_scale_bounds(questions.get(k)) for k in picked]
    scale = (min(b[0] for b in bounds), max(b[1] for b in bounds))
    table = explore.numbers(f.scope(org, [survey.pk]), [*picked, target.key])
    complete = [row for row in table.values() if all(k in row for k in [*picked, target.key])]
    totals = {k: sum(1 for row in table.values() if k in row) for k in [*picked, target.key]}
    outcome_counts = Counter(int(row[target.key]) for row in table.values() if target.key in row)
    outcome_mean = metrics.mean_from_distribution(outcome_counts)
    base = replace(empty, scale=scale, outcome_mean=outcome_mean, complete_rows=len(complete), totals=totals)
    if len(complete) < 3:
        return replace(base, problem=_("Too few complete responses in this range for a driver analysis."))
    result = drivers.key_drivers([[row[k] for k in picked] for row in complete], [row[target.key] for row in complete],
                                 names=picked, resamples=DRIVER_RESAMPLES, seed=0)
    labels = {q.key: q.label for q in candidates}
    rows = []
    for d in result.ranked():
        counts = Counter(int(row[d.name]) for row in table.values() if d.name in row)
        high = _scale_bounds(questions.get(d.name))[1]
        rows.append(DriverRow(d.name, labels.get(d.name, d.name), d, metrics.mean_from_distribution(counts),
                              metrics.share_at_least(counts, high - 1)))
    return replace(base, rows=rows, result=result)


# --- cross-tabs -----------------------------------------------------------------------------------


CROSSTAB_QUESTION_TYPES = frozenset({"nps", "csat", "ces", "rating", "single_choice", "dropdown", "yes_no",
                                     "consent"})


@dataclass(frozen=True)
class Source:
    key: str  # "touchpoint" … or "q:<question key>"
    label: str


def crosstab_sources(spec: SurveySpec | None, language: str) -> list[Source]:
    out = [Source(d, dimension_label(d)) for d in DIMENSIONS]
    if spec is not None:
        for q in spec.questions():
            if q.type in CROSSTAB_QUESTION_TYPES:
                text = localise(q.text, language, spec.default_language)
                out.append(Source(f"q:{q.key}", text))
    return out


@dataclass(frozen=True)
class CrossTabPage:
    survey: Survey
    filters: Filters
    sources: list[Source]
    rows: Source
    cols: Source
    row_labels: list[str]
    col_labels: list[str]
    table: crosstab.CrossTab
    chi_square: crosstab.ChiSquare | None
    row_percent: list[list[float | None]]
    col_percent: list[list[float | None]]
    residuals: list[list[float | None]]
    problem: str = ""


def _categories(spec: SurveySpec | None, source: str, language: str, seen: Sequence[Any]
                ) -> tuple[list[Any], dict[Any, str], Any]:
    """(ordered categories, their labels, a function mapping a raw value to its category)."""
    if source in DIMENSIONS:
        values = sorted({str(v) for v in seen})
        return values, {v: group_label(source, v) for v in values}, str
    assert spec is not None
    q = spec.question(source.removeprefix("q:"))
    if q.type == "nps":
        cats = ["detractor", "passive", "promoter"]
        labels = {"detractor": _("Detractors (0–6)"), "passive": _("Passives (7–8)"),
                  "promoter": _("Promoters (9–10)")}
        return cats, labels, lambda v: "promoter" if v >= 9 else "passive" if v >= 7 else "detractor"
    if q.type in SCALE_TYPES:
        low, high = _scale_bounds(q)
        points = list(range(low, high + 1))
        names = {p: f"{p} {localise(q.labels[p], language, spec.default_language)}" if p in q.labels else str(p)
                 for p in points}
        return points, names, lambda v: int(v)
    options = answer_labels(spec, language).get(q.key, {})
    keys = list(options)
    return keys, {k: options[k] for k in keys}, str


def cross_tab(org: Organization, survey: Survey, f: Filters, *, rows: str | None, cols: str | None,
              language: str) -> CrossTabPage:
    """Counts of (row value, column value) over the complete responses in range that have both."""
    spec = spec_of(current_version(survey)) if survey.current_version else None
    sources = crosstab_sources(spec, language)
    by_key = {s.key: s for s in sources}
    questions = [s for s in sources if s.key.startswith("q:")]
    row_source = by_key.get(rows or "") or (questions[0] if questions else by_key["touchpoint"])
    col_source = by_key.get(cols or "") or by_key["tier" if row_source.key != "tier" else "channel"]
    scope = f.scope(org, [survey.pk])
    left, right = explore.values(scope, row_source.key), explore.values(scope, col_source.key)
    both = [pk for pk in left if pk in right]
    row_cats, row_names, row_map = _categories(spec, row_source.key, language, [left[pk] for pk in both])
    col_cats, col_names, col_map = _categories(spec, col_source.key, language, [right[pk] for pk in both])
    pairs = [(row_map(left[pk]), col_map(right[pk])) for pk in both]
    pairs = [(r, c) for r, c in pairs if r in row_names and c in col_names]  # values outside the scale
    problem = ""
    if len(row_cats) > CROSSTAB_MAX_CATEGORIES or len(col_cats) > CROSSTAB_MAX_CATEGORIES:
        problem = _("Too many categories to show (at most %(n)d a side).") % {"n": CROSSTAB_MAX_CATEGORIES}
        pairs, row_cats, col_cats = [], [], []
    table = crosstab.crosstab(pairs, rows=row_cats, cols=col_cats)
    return CrossTabPage(
        survey, f, sources, row_source, col_source, [row_names[c] for c in row_cats],
        [col_names[c] for c in col_cats], table, table.chi_square(), table.row_percent(), table.col_percent(),
        table.adjusted_residuals(), problem)
