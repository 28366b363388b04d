"""Two years of survey responses, day by day: who answers (weighted by role, tier, newness, with
cadences), when (working hours, holidays, quarter ends), what score (a latent satisfaction through
fixed thresholds) and what comment — plus the export defect of month 18.

Every response answers the published version of its survey and follows its definition: answers are
keyed by the template's question keys (``"sus.q1"`` for an item, option keys for choices), only
questions the respondent was shown are answered (display logic), and every required one is, so
``survey_spec.validate_answers`` accepts each complete response. About 3 % of the responses to the
multi-page surveys are partial: the respondent left after the first page.

Each response names a touchpoint finer than its survey's (the product area, the support channel, the onboarding
milestone, the lifecycle moment: ``demo.journeys.touchpoint_for``), drawn from a stream of its own.

Written in batches of ``BATCH_SIZE`` so that the large size streams without holding everything.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import accumulate
from statistics import NormalDist
from typing import Any

from django.db import connection

from cxloop.core.survey_answers import AnswerRow
from cxloop.demo import comments, content
from cxloop.demo.base import BATCH_SIZE, ContactInfo, PublishedSurvey, Scale, aware, part_rng, weighted
from cxloop.demo.journeys import touchpoint_for
from cxloop.demo.timeline import Month, Timeline, app_version, day_weight
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, Response, ResponseStatus

# Share of the response volume by survey (UMUX-Lite and ACSI come on top of the original four).
SURVEY_SHARE: dict[str, float] = {"csat": 0.48, "nps": 0.28, "ces": 0.14, "sus": 0.10, "umux": 0.05, "acsi": 0.04}


# --- responses: volumes --------------------------------------------------------------------------------

SURVEY_ORDER: tuple[str, ...] = ("csat", "nps", "ces", "sus", "umux", "acsi")
# Each survey draws from one random stream: the original four share "responses"; surveys added later
# have their own stream, so adding them left the others' draws alone.
STREAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("responses", ("csat", "nps", "ces", "sus")),
    ("responses:umux", ("umux",)),
    ("responses:acsi", ("acsi",)),
)
QUARTER_END_BOOST: dict[str, float] = {"csat": 0.35, "nps": 0.0, "ces": 0.0, "sus": 0.1, "umux": 0.1, "acsi": 0.0}
# Days a contact waits before answering the same survey again (NPS is quarterly, SUS a quarterly
# in-app prompt, UMUX-Lite a short in-app prompt every two months, CES once per onboarding
# milestone, ACSI yearly).
CADENCE_DAYS: dict[str, int] = {"csat": 0, "nps": 75, "ces": 21, "sus": 80, "umux": 60, "acsi": 300}
# Extra support tickets per unit of base ticket weight at full defect intensity (reporting accounts).
EXPORT_SURGE = 1.7

ROLE_WEIGHT: dict[str, dict[str, float]] = {
    "csat": {"user": 1.0, "influencer": 0.7, "decision_maker": 0.25},
    "nps": {"user": 0.85, "influencer": 1.0, "decision_maker": 1.0},
    "ces": {"user": 1.0, "influencer": 1.2, "decision_maker": 0.5},
    "sus": {"user": 1.0, "influencer": 0.8, "decision_maker": 0.3},
    "umux": {"user": 1.0, "influencer": 0.8, "decision_maker": 0.3},
    "acsi": {"user": 0.4, "influencer": 1.0, "decision_maker": 1.3},
}
TIER_TICKET_WEIGHT: dict[str, float] = {"enterprise": 1.25, "mid_market": 1.0, "smb": 0.85}

# Share of responses left after the first page, by survey (single-page surveys cannot be partial).
PARTIAL_SHARE: dict[str, float] = {"csat": 0.033, "nps": 0.035, "ces": 0.04, "acsi": 0.06}
# Median seconds to answer, before any typing.
ANSWER_SECONDS: dict[str, float] = {"csat": 40, "nps": 30, "ces": 60, "sus": 100, "umux": 30, "acsi": 150}
MIN_SECONDS, MAX_SECONDS = 30, 360


def contact_weight(survey: str, contact: ContactInfo, on: date) -> float:
    """How likely ``contact`` is to be the one answering ``survey`` around ``on`` (relative)."""
    weight = ROLE_WEIGHT[survey][contact.role]
    if survey == "csat":
        weight *= TIER_TICKET_WEIGHT[contact.account.tier]
    elif survey == "ces":
        account_age = (on - contact.account.since).days
        weight *= 8.0 if account_age < 120 else 2.0 if account_age < 365 else 0.5
        if (on - contact.since).days < 90:
            weight *= 2.5
    return weight


@dataclass
class Pool:
    """Contacts with cumulative weights, for drawing who answers."""

    contacts: list[ContactInfo]
    cum: list[float]

    @classmethod
    def build(cls, contacts: list[ContactInfo], weight: Callable[[ContactInfo], float]) -> Pool:
        return cls(contacts, list(accumulate(weight(c) for c in contacts)))

    @property
    def total(self) -> float:
        return self.cum[-1] if self.cum else 0.0

    def draw(self, rng: random.Random) -> ContactInfo:
        index = bisect_right(self.cum, rng.random() * self.total)
        return self.contacts[min(index, len(self.contacts) - 1)]


def month_pools(contacts: list[ContactInfo], month: Month) -> dict[str, Pool]:
    active = [c for c in contacts if c.since <= month.end]
    middle = month.start + timedelta(days=(month.end - month.start).days // 2)
    pools = {s: Pool.build(active, partial(contact_weight, s, on=middle)) for s in SURVEY_ORDER}
    pools["csat_reporting"] = Pool.build(
        [c for c in active if c.account.reporting], partial(contact_weight, "csat", on=middle)
    )
    return pools


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def volume_constants(scale: Scale, timeline: Timeline, contacts: list[ContactInfo]) -> dict[str, float]:
    """Responses per unit of (day weight × contact weight), so that each survey's base volume over
    the 24 months adds up to its share of ``scale.responses``."""
    units = dict.fromkeys(SURVEY_ORDER, 0.0)
    for month in timeline.months:
        pools = month_pools(contacts, month)
        for s in SURVEY_ORDER:
            days = sum(day_weight(d, quarter_end_boost=QUARTER_END_BOOST[s]) for d in month.days())
            units[s] += days * pools[s].total
    return {s: scale.responses * SURVEY_SHARE[s] / units[s] if units[s] else 0.0 for s in SURVEY_ORDER}


# --- responses: scores -------------------------------------------------------------------------------------


def _cuts(pmf: tuple[float, ...]) -> list[float]:
    """Standard-normal thresholds that turn a latent z into scores with probabilities ``pmf``."""
    total, cuts = 0.0, []
    for p in pmf[:-1]:
        total += p
        cuts.append(NormalDist().inv_cdf(min(total, 0.9999)))
    return cuts


# Baseline score distributions, lowest score first.
NPS_CUTS = _cuts((0.015, 0.01, 0.015, 0.02, 0.025, 0.045, 0.07, 0.14, 0.21, 0.22, 0.23))
CSAT_CUTS = _cuts((0.04, 0.05, 0.11, 0.30, 0.50))
CES_CUTS = _cuts((0.03, 0.05, 0.08, 0.12, 0.20, 0.30, 0.22))
SUS_CUTS = _cuts((0.04, 0.10, 0.20, 0.40, 0.26))  # agreement with a positively worded item
UMUX_CUTS = _cuts((0.02, 0.04, 0.07, 0.13, 0.25, 0.30, 0.19))  # agreement, 1..7

# Latent satisfaction = account health + personal offset + role + context + N(0, 1); its spread
# (health ≈ 0.5, offset 0.35, noise 1) is divided out before the thresholds.
LATENT_SD = math.sqrt(0.5**2 + 0.35**2 + 1.0)
ROLE_ADJ: dict[str, dict[str, float]] = {
    "nps": {"decision_maker": 0.18, "influencer": 0.0, "user": -0.12},
    "csat": {"decision_maker": 0.08, "influencer": 0.0, "user": -0.03},
    "ces": {"decision_maker": 0.1, "influencer": 0.05, "user": -0.05},
    "sus": {"decision_maker": 0.15, "influencer": 0.05, "user": -0.1},
    "umux": {"decision_maker": 0.15, "influencer": 0.05, "user": -0.1},
    "acsi": {"decision_maker": 0.15, "influencer": 0.0, "user": -0.1},
}
CATEGORY_ADJ: dict[str, float] = {
    "howto": 0.3, "bug": -0.25, "login": 0.1, "billing": -0.2, "performance": -0.3, "data_import": -0.05,
    "integration": -0.1, "export": -0.1, "account": 0.15,
}
MILESTONE_ADJ: dict[str, float] = {
    "workspace_created": 0.35, "members_invited": 0.2, "data_source_connected": -0.3,
    "first_report_published": 0.0, "workflow_configured": -0.1, "sso_configured": -0.45,
}
SUS_ITEM_ADJ = (0.0, 0.05, 0.1, 0.15, -0.05, 0.0, 0.1, 0.0, 0.05, -0.1)
ONBOARDING_REVAMP_MONTH = 10  # a new setup wizard makes onboarding easier from this month on
NPS_DEFECT_PENALTY = 0.9
CSAT_DEFECT_PENALTY = 1.2
# Hours to resolve a ticket by priority (median).
RESOLUTION_HOURS: dict[str, float] = {"P1": 4.0, "P2": 10.0, "P3": 22.0, "P4": 45.0}
# Chance the customer says the ticket's issue was resolved, by CSAT score.
RESOLVED_CHANCE: dict[int, float] = {1: 0.3, 2: 0.5, 3: 0.75, 4: 0.92, 5: 0.97}


def _score(z: float, cuts: list[float], lowest: int) -> int:
    return lowest + bisect_right(cuts, z)


# --- responses: generation ---------------------------------------------------------------------------------

_HOURS_WEEKDAY = (
    0.03, 0.02, 0.01, 0.01, 0.01, 0.02, 0.06, 0.3, 0.9, 1.6, 1.9, 1.7, 0.8, 1.2, 1.7, 1.8, 1.7, 1.3, 0.7,
    0.5, 0.5, 0.4, 0.25, 0.1,
)
_HOURS_WEEKEND = (
    0.05, 0.03, 0.02, 0.01, 0.01, 0.02, 0.05, 0.15, 0.4, 0.7, 0.9, 0.9, 0.7, 0.8, 0.9, 0.9, 0.8, 0.7, 0.6,
    0.6, 0.7, 0.6, 0.4, 0.15,
)
_CUM_WEEKDAY = list(accumulate(_HOURS_WEEKDAY))
_CUM_WEEKEND = list(accumulate(_HOURS_WEEKEND))

Answers = list[AnswerRow]


@dataclass
class _Draft:
    """A response before it is written, with its answer rows (in survey order)."""

    at: datetime
    response: Response
    answers: Answers


@dataclass
class _Writer:
    batch: int = BATCH_SIZE
    pending: list[_Draft] = field(default_factory=list)
    responses: int = 0
    answers: int = 0

    def add(self, draft: _Draft) -> None:
        self.pending.append(draft)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        rows = [d.response for d in self.pending]
        Response.objects.bulk_create(rows, batch_size=self.batch)
        answers = [(d.response.pk, a) for d in self.pending for a in d.answers]
        _insert_answers(answers)
        self.responses += len(rows)
        self.answers += len(answers)
        self.pending = []


_ANSWER_FIELDS = ("response", "question_key", "number", "choices", "text")


def _insert_answers(answers: list[tuple[int, AnswerRow]]) -> None:
    """Answer rows in one ``executemany``: the same rows as ``Answer.objects.bulk_create``, without
    its per-field SQL compilation, which took most of the load time (answers are 3 rows in 4)."""
    meta = Answer._meta
    fields = {f.name: f for f in meta.concrete_fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in _ANSWER_FIELDS)
    placeholders = ", ".join(["%s"] * len(_ANSWER_FIELDS))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 - model names
    choices_field = fields["choices"]
    adapted: dict[tuple[str, ...], Any] = {}  # option keys -> the database's JSON value
    params = []
    for response_id, a in answers:
        if a.choices not in adapted:
            adapted[a.choices] = choices_field.get_db_prep_save(list(a.choices), connection)
        params.append((response_id, a.key, a.number, adapted[a.choices], a.text))
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@dataclass(frozen=True)
class _Form:
    """What the generator needs to know of a published definition."""

    published: PublishedSurvey
    first_page: frozenset[str]  # question keys of the first page
    last_page: int  # index of the last page every respondent reaches
    partial_share: float

    @classmethod
    def of(cls, key: str, published: PublishedSurvey) -> _Form:
        pages = published.spec.pages
        # The demo's definitions have no skip logic, so a page with an unconditional question is reached.
        last = max(i for i, page in enumerate(pages) if any(q.display_if is None for q in page.questions))
        return cls(
            published=published,
            first_page=frozenset(q.key for q in pages[0].questions),
            last_page=last,
            partial_share=PARTIAL_SHARE.get(key, 0.0) if len(pages) > 1 else 0.0,
        )


@dataclass
class _Context:
    """One random stream and the surveys it generates."""

    org_id: int
    rng: random.Random
    timeline: Timeline
    keys: tuple[str, ...]
    forms: dict[str, _Form]
    noise: dict[str, float] = field(default_factory=dict)
    last_answer: dict[str, dict[int, int]] = field(default_factory=dict)
    seen: set[tuple[int, str, datetime]] = field(default_factory=set)
    ticket_seq: int = 0
    ticket_month: str = ""
    # The touchpoint each response names is drawn from its own stream, so every answer stays what it was.
    touch: random.Random = field(default_factory=random.Random)
    topic: str = ""  # what the comment of the response being built is mainly about ("" without a comment)

    def __post_init__(self) -> None:
        self.last_answer = {s: {} for s in self.keys}


def create_responses(
    org: Organization,
    seed: int,
    scale: Scale,
    timeline: Timeline,
    contacts: list[ContactInfo],
    surveys: dict[str, PublishedSurvey],
) -> tuple[int, int]:
    """Two years of responses, day by day, written in batches; returns (responses, answers)."""
    constants = volume_constants(scale, timeline, contacts)
    forms = {key: _Form.of(key, published) for key, published in surveys.items()}
    contexts = [
        _Context(org_id=org.pk, rng=part_rng(seed, name), timeline=timeline, keys=keys, forms=forms,
                 touch=part_rng(seed, f"touchpoints:{name}"))
        for name, keys in STREAMS
    ]
    writer = _Writer()
    for month in timeline.months:
        pools = month_pools(contacts, month)
        for ctx in contexts:
            ctx.noise = {s: math.exp(ctx.rng.gauss(0, 0.06)) for s in ctx.keys}
            ctx.seen = set()
        for day in month.days():
            drafts = [draft for ctx in contexts for draft in _day_responses(ctx, day, pools, constants)]
            drafts.sort(key=lambda d: d.at)  # stable: ties keep the streams' order
            for draft in drafts:
                writer.add(draft)
    writer.flush()
    return writer.responses, writer.answers


def _day_responses(ctx: _Context, day: date, pools: dict[str, Pool], constants: dict[str, float]) -> Iterator[_Draft]:
    rng = ctx.rng
    intensity = ctx.timeline.defect_intensity(day)
    for survey in ctx.keys:
        weight = day_weight(day, quarter_end_boost=QUARTER_END_BOOST[survey]) * ctx.noise[survey]
        count = _poisson(rng, constants[survey] * weight * pools[survey].total)
        for _ in range(count):
            contact = _eligible(ctx, pools[survey], survey, day)
            if contact is not None:
                yield _build(ctx, survey, contact, day, defect=False)
        if survey == "csat" and intensity > 0:
            extra = constants[survey] * weight * EXPORT_SURGE * intensity * pools["csat_reporting"].total
            for _ in range(_poisson(rng, extra)):
                contact = _eligible(ctx, pools["csat_reporting"], survey, day)
                if contact is not None:
                    yield _build(ctx, survey, contact, day, defect=True)


def _eligible(ctx: _Context, pool: Pool, survey: str, day: date) -> ContactInfo | None:
    """Draw a contact who could answer on ``day``: already a contact, and not asked too recently."""
    if not pool.contacts:
        return None
    cadence = CADENCE_DAYS[survey]
    last = ctx.last_answer[survey]
    ordinal = day.toordinal()
    for _attempt in range(8):
        contact = pool.draw(ctx.rng)
        if contact.since > day:
            continue
        if cadence and ordinal - last.get(contact.pk, -10_000) < cadence:
            continue
        if cadence:
            last[contact.pk] = ordinal
        return contact
    return None


def _timestamp(ctx: _Context, contact: ContactInfo, survey: str, day: date) -> datetime:
    """A time on ``day`` (working hours mostly) not yet used by this contact for this survey."""
    rng = ctx.rng
    cum = _CUM_WEEKDAY if day.weekday() < 5 else _CUM_WEEKEND
    while True:
        hour = min(23, bisect_right(cum, rng.random() * cum[-1]))
        at = aware(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))
        if (contact.pk, survey, at) not in ctx.seen:
            ctx.seen.add((contact.pk, survey, at))
            return at


def _seconds(rng: random.Random, survey: str, answers: Answers, *, partial: bool) -> int:
    """How long answering took: a survey's median, faster for a page left, plus typing time."""
    seconds = ANSWER_SECONDS[survey] * rng.lognormvariate(0, 0.35) * (0.6 if partial else 1.0)
    for a in answers:
        if a.text:
            per_char = 0.3 if a.text.isascii() else 0.9
            seconds += 15 + len(a.text) * per_char * rng.uniform(0.7, 1.3)
    return min(MAX_SECONDS, max(MIN_SECONDS, round(seconds)))


def _build(ctx: _Context, survey: str, contact: ContactInfo, day: date, *, defect: bool) -> _Draft:
    rng = ctx.rng
    at = _timestamp(ctx, contact, survey, day)
    ctx.topic = ""
    answers, embedded = BUILDERS[survey](ctx, contact, day, defect)
    help_used = next((a.choices for a in answers if a.key == "help_used"), ())
    comment = " ".join(a.text for a in answers if a.text and a.key != "help_used")
    touchpoint = touchpoint_for(ctx.touch, survey, ctx.topic, contact, embedded, help_used, comment)
    form = ctx.forms[survey]
    survey_row = form.published.survey
    channels = content.CHANNELS[survey][contact.language]
    channel = weighted(rng, channels)
    partial = bool(form.partial_share) and rng.random() < form.partial_share
    if partial:  # left after the first page: its answers were saved, the rest never given
        answers = [a for a in answers if a.key.partition(".")[0] in form.first_page]
    seconds = _seconds(rng, survey, answers, partial=partial)
    response = Response(
        org_id=ctx.org_id,
        survey_id=survey_row.pk,
        version_id=form.published.version.pk,
        contact_id=contact.pk,
        account_id=contact.account.pk,
        status=ResponseStatus.PARTIAL if partial else ResponseStatus.COMPLETE,
        started_at=at - timedelta(seconds=seconds),
        submitted_at=at,
        duration_seconds=None if partial else seconds,
        last_page=0 if partial else form.last_page,
        channel=channel,
        language=contact.language,
        touchpoint=touchpoint,  # finer than the survey's own (see demo.journeys)
        embedded=embedded,
    )
    return _Draft(at, response, answers)


def _num(key: str, value: float) -> AnswerRow:
    return AnswerRow(key, number=float(value))


def _comment_language(rng: random.Random, contact: ContactInfo) -> str:
    """Mostly the contact's language; Hong Kong staff and foreign firms sometimes write English."""
    if contact.language == "zh-hant" and rng.random() < 0.08:
        return "en"
    if contact.language == "zh-hans" and rng.random() < (0.15 if contact.account.foreign else 0.01):
        return "en"
    if contact.language == "en" and contact.account.region != "Overseas" and rng.random() < 0.2:
        return "zh-hant" if contact.account.language == "zh-hant" else "zh-hans"
    return contact.language


def _comment(
    rng: random.Random, contact: ContactInfo, sentiment: str, topic: str, second: str, staff_name: str
) -> str:
    language = _comment_language(rng, contact)
    if language == "en":
        staff_name = content.LATIN_NAMES.get(staff_name, staff_name)
    values = {"agent": staff_name, "days": rng.randint(3, 9)}
    return comments.compose(rng, lang=language, sentiment=sentiment, topic=topic, second=second, values=values)


_AGENTS: dict[str, tuple[tuple[str, float], ...]] = {
    lang: tuple((name, weight) for name, served, _q, weight in content.SUPPORT_AGENTS if served == lang)
    for lang in ("zh-hans", "zh-hant", "en")
}
_AGENT_QUALITY: dict[str, float] = {name: quality for name, _lang, quality, _w in content.SUPPORT_AGENTS}


def _agent(rng: random.Random, language: str) -> tuple[str, float]:
    """The support agent of a ticket in ``language`` and how good they are (a CSAT shift)."""
    name = weighted(rng, _AGENTS[language])
    return name, _AGENT_QUALITY[name]


def _latent(ctx: _Context, contact: ContactInfo, survey: str, health_weight: float = 1.0) -> float:
    return (
        contact.account.health * health_weight
        + contact.offset
        + ROLE_ADJ[survey][contact.role]
        + ctx.rng.gauss(0, 1)
    )


def _post_fix_thanks(ctx: _Context, contact: ContactInfo, day: date, scale: float) -> bool:
    since_fix = ctx.timeline.since_fix(day)
    if not contact.account.reporting or since_fix is None or since_fix > 60:
        return False
    return ctx.rng.random() < scale * math.exp(-since_fix / 30)


def _other_topic(rng: random.Random, options: tuple[tuple[str, float], ...], not_this: str) -> str:
    choices = tuple(o for o in options if o[0] != not_this) or options
    return comments.pick(rng, choices)


# --- relationship NPS (template "nps") ------------------------------------------------------------------


def _nps_reason_key(score: int) -> str:
    """The follow-up question the template shows for ``score`` (its display_if conditions)."""
    return "reason_detractor" if score <= 6 else "reason_passive" if score <= 8 else "reason_promoter"


def _nps(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    intensity = ctx.timeline.defect_intensity(day)
    month = ctx.timeline.month_of(day)
    latent = _latent(ctx, contact, "nps") + 0.12 * (month - 1) / 23
    if contact.account.reporting:
        latent -= NPS_DEFECT_PENALTY * intensity
    score = _score(latent / LATENT_SD, NPS_CUTS, 0)
    answers: Answers = [_num("nps", score)]
    if score <= 6:
        sentiment, chance = "neg", 0.7
    elif score <= 8:
        sentiment = weighted(rng, (("mix", 0.6), ("pos", 0.3), ("neg", 0.1)))
        chance = 0.45
    else:
        sentiment, chance = "pos", 0.5
    commented = rng.random() < chance
    if commented:
        topic = ""
        if contact.account.reporting and intensity > 0.02:
            if sentiment != "pos" and rng.random() < 0.8 * intensity:
                topic = "export_defect"
            elif sentiment == "pos" and rng.random() < 0.3 * intensity:
                sentiment, topic = "mix", "export_defect"
        if not topic and sentiment == "pos" and _post_fix_thanks(ctx, contact, day, 0.35):
            topic = "export_fixed"
        topic = topic or comments.pick(rng, comments.TOPIC_WEIGHTS["nps"][sentiment])
        ctx.topic = topic
        second = _other_topic(rng, comments.MIX_POSITIVE, topic)
        text = _comment(rng, contact, sentiment, topic, second, _agent(rng, contact.language)[0])
        answers.append(AnswerRow(_nps_reason_key(score), text=text))
    if rng.random() < (0.55 if commented else 0.2):  # the optional "you may contact me" consent
        agrees = rng.random() < (0.75 if score <= 6 else 0.5)
        answers.append(AnswerRow("contact_consent", choices=("yes" if agrees else "no",)))
    return answers, {"cycle": f"{day.year}Q{(day.month - 1) // 3 + 1}"}


# --- post-support CSAT (template "csat_support") -----------------------------------------------------


def _csat(ctx: _Context, contact: ContactInfo, day: date, defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    timeline = ctx.timeline
    intensity = timeline.defect_intensity(day)
    category = "export" if defect else weighted(rng, content.TICKET_CATEGORIES)
    if defect:
        priority = weighted(rng, (("P1", 0.15), ("P2", 0.45), ("P3", 0.4)))
    else:
        priority = weighted(rng, content.TICKET_PRIORITIES)
    hours = rng.lognormvariate(math.log(RESOLUTION_HOURS[priority]), 0.8) * (2.5 if defect else 1.0)
    agent, quality = _agent(rng, contact.language)
    latent = (
        _latent(ctx, contact, "csat", health_weight=0.6)
        + quality
        + CATEGORY_ADJ[category]
        - 0.2 * math.log(hours / 18)
    )
    if defect:
        latent -= CSAT_DEFECT_PENALTY * max(intensity, 0.4)
    elif contact.account.reporting:
        latent -= 0.25 * intensity
    score = _score(latent / LATENT_SD + 0.07, CSAT_CUTS, 1)
    resolved = RESOLVED_CHANCE[score] * (0.55 if defect and timeline.since_fix(day) is None else 1.0)
    answers: Answers = [
        _num("csat", score),
        AnswerRow("resolved", choices=("yes" if rng.random() < resolved else "no",)),
    ]
    if score <= 2:
        sentiment, chance = "neg", 0.75
    elif score == 3:
        sentiment, chance = "mix", 0.55
    elif score == 4:
        sentiment, chance = ("mix" if rng.random() < 0.3 else "pos"), 0.35
    else:
        sentiment, chance = "pos", 0.45
    if rng.random() < chance:
        issue = "export_defect" if defect else comments.CATEGORY_TOPIC[category]
        if defect and sentiment == "pos" and timeline.since_fix(day) is not None and rng.random() < 0.6:
            issue = "export_fixed"
        support = comments.pick(rng, comments.SUPPORT_TOPICS)
        if sentiment == "neg":
            topic, second = (issue, support) if rng.random() < 0.6 else (support, issue)
        elif sentiment == "mix":
            topic = issue if rng.random() < 0.6 else weighted(rng, (("resolution", 1.0), ("support_speed", 1.0)))
            second = _other_topic(rng, (("staff_attitude", 1.5), ("support_speed", 1.0)), topic)
        else:
            topic = issue if (defect and rng.random() < 0.6) else support
            second = "staff_attitude" if topic.startswith("export") else "resolution"
        ctx.topic = topic
        text = _comment(rng, contact, sentiment, topic, second, agent)
        # Praise answers "what went well?" (shown from a 3 on: positive comments come with a 4 or 5);
        # complaints and mixed feelings answer "what could we have done better?".
        answers.append(AnswerRow("went_well" if sentiment == "pos" else "to_improve", text=text))
    month_key = f"{day:%Y%m}"
    if ctx.ticket_month != month_key:
        ctx.ticket_month, ctx.ticket_seq = month_key, rng.randint(100, 400)
    ctx.ticket_seq += rng.randint(1, 4)
    embedded = {
        "ticket_id": f"T-{month_key}-{ctx.ticket_seq:05d}",
        "agent": agent,
        "category": category,
        "priority": priority,
        "resolution_hours": round(hours, 1),
        "app_version": app_version(timeline, day),
    }
    return answers, embedded


# --- onboarding CES (template "ces_onboarding") ------------------------------------------------------

TIER_TRAINING: dict[str, float] = {"enterprise": 0.55, "mid_market": 0.3, "smb": 0.12}


def _help_used(rng: random.Random, contact: ContactInfo, month: int, score: int) -> AnswerRow | None:
    """The kinds of help a new customer used (multiple choice; "none" is exclusive), or None if skipped."""
    if rng.random() < 0.15:
        return None
    chances = (
        ("docs", 0.45),
        ("in_app_guide", 0.5 if month >= ONBOARDING_REVAMP_MONTH else 0.22),  # the new setup wizard
        ("training", TIER_TRAINING[contact.account.tier]),
        ("support", 0.45 if score <= 3 else 0.2),
        ("community", 0.08),
        ("other", 0.03),
    )
    chosen = tuple(key for key, chance in chances if rng.random() < chance)
    if not chosen:
        return AnswerRow("help_used", choices=("none",))
    specify = ""
    if "other" in chosen:
        language = contact.language if contact.language in content.HELP_OTHER else "zh-hans"
        specify = rng.choice(content.HELP_OTHER[language])
    return AnswerRow("help_used", choices=chosen, text=specify)


def _ces(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    milestone = weighted(rng, content.CES_MILESTONES)
    month = ctx.timeline.month_of(day)
    latent = _latent(ctx, contact, "ces", health_weight=0.5) + MILESTONE_ADJ[milestone]
    if month >= ONBOARDING_REVAMP_MONTH:
        latent += 0.35
    if contact.account.reporting:
        latent -= 0.1 * ctx.timeline.defect_intensity(day)
    score = _score(latent / LATENT_SD, CES_CUTS, 1)
    answers: Answers = [_num("ces", score)]
    if score <= 3:
        sentiment, chance = "neg", 0.6
    elif score == 4:
        sentiment, chance = "mix", 0.45
    else:
        sentiment, chance = ("mix" if score == 5 and rng.random() < 0.3 else "pos"), 0.35
    text = ""
    if rng.random() < chance:
        topic = ctx.topic = comments.pick(rng, comments.TOPIC_WEIGHTS["ces"][sentiment])
        second = _other_topic(rng, (("onboarding", 1.0), ("usability", 1.0), ("staff_attitude", 0.6)), topic)
        csm = "Emily Carter" if contact.language == "en" else rng.choice(content.CSM_NAMES[:1] + content.CSM_NAMES[2:])
        text = _comment(rng, contact, sentiment, topic, second, csm)
    if text and score <= 4:  # "which step took the most effort?" is shown up to a 4
        answers.append(AnswerRow("hardest_step", text=text))
    help_used = _help_used(rng, contact, month, score)
    if help_used is not None:
        answers.append(help_used)
    if text and score > 4:
        answers.append(AnswerRow("suggestions", text=text))
    embedded = {
        "milestone": milestone,
        "plan": content.PLANS[contact.account.tier],
        "app_version": app_version(ctx.timeline, day),
    }
    return answers, embedded


# --- in-app SUS and UMUX-Lite (templates "sus", "umux_lite") -----------------------------------------


def _usability_comment(
    ctx: _Context, contact: ContactInfo, day: date, sentiment: str, chance: float, key: str
) -> AnswerRow | None:
    rng = ctx.rng
    if rng.random() >= chance:
        return None
    intensity = ctx.timeline.defect_intensity(day)
    topic = ""
    if contact.account.reporting and sentiment != "pos" and rng.random() < 0.6 * intensity:
        topic = "export_defect"
    topic = ctx.topic = topic or comments.pick(rng, comments.TOPIC_WEIGHTS["product"][sentiment])
    second = _other_topic(rng, comments.MIX_POSITIVE, topic)
    return AnswerRow(key, text=_comment(rng, contact, sentiment, topic, second, _agent(rng, contact.language)[0]))


def _usability_z(ctx: _Context, contact: ContactInfo, day: date, survey: str) -> float:
    latent = (
        contact.account.health * 0.5 + contact.offset + ROLE_ADJ[survey][contact.role] + ctx.rng.gauss(0, 0.8)
    )
    if contact.account.reporting:
        latent -= 0.3 * ctx.timeline.defect_intensity(day)
    return latent / math.sqrt(0.25**2 + 0.35**2 + 0.8**2)


def _sus(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    z = _usability_z(ctx, contact, day, "sus")
    answers: Answers = []
    total = 0
    for item in range(1, 11):
        agreement = _score(0.8 * z + rng.gauss(0, 0.6) + SUS_ITEM_ADJ[item - 1], SUS_CUTS, 1)
        value = agreement if item % 2 else 6 - agreement  # even items are worded negatively
        total += agreement - 1
        answers.append(_num(f"sus.q{item}", value))
    sus_score = total * 2.5
    sentiment = "pos" if sus_score >= 80 else "neg" if sus_score < 55 else "mix"
    comment = _usability_comment(ctx, contact, day, sentiment, 0.2 if sentiment == "neg" else 0.1, "sus_comment")
    if comment is not None:
        answers.append(comment)
    embedded = {"platform": weighted(rng, content.SUS_PLATFORMS), "app_version": app_version(ctx.timeline, day)}
    return answers, embedded


def _umux(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    z = _usability_z(ctx, contact, day, "umux")
    capabilities = _score(0.8 * z + rng.gauss(0, 0.6) - 0.05, UMUX_CUTS, 1)
    ease = _score(0.8 * z + rng.gauss(0, 0.6) + 0.1, UMUX_CUTS, 1)
    answers: Answers = [_num("umux_lite.capabilities", capabilities), _num("umux_lite.ease", ease)]
    mean = (capabilities + ease) / 2
    sentiment = "pos" if mean >= 6 else "neg" if mean < 4.5 else "mix"
    comment = _usability_comment(ctx, contact, day, sentiment, 0.25 if sentiment == "neg" else 0.12, "umux_comment")
    if comment is not None:
        answers.append(comment)
    embedded = {"platform": weighted(rng, content.SUS_PLATFORMS), "app_version": app_version(ctx.timeline, day)}
    return answers, embedded


# --- ACSI relationship survey (template "acsi") ---------------------------------------------------------
#
# A small structural model, so that a driver analysis finds what the ACSI model says: expectations
# (E) barely matter, perceived quality (Q) and value (V) drive satisfaction (S), and satisfaction
# drives loyalty (repurchase R, price tolerance T). Dissatisfied customers complain more often; how
# well the complaint was handled (H) adds a little to repurchase. The export defect lowers Q (most of
# all its reliability item) for reporting accounts. Each question = its construct + item noise,
# turned into 1..10 around the construct's mean.

ACSI_MEAN: dict[str, float] = {"E": 7.3, "Q": 7.7, "V": 6.8, "S": 7.5, "H": 6.4, "R": 7.6, "T": 5.7}
ACSI_SLOPE = 1.5
ACSI_ITEM_NOISE = 0.4
ACSI_VALUE_ADJ: dict[str, float] = {"enterprise": 0.1, "mid_market": 0.0, "smb": -0.2}


def _acsi(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    gauss = rng.gauss
    intensity = ctx.timeline.defect_intensity(day) if contact.account.reporting else 0.0
    person = (contact.account.health + contact.offset + ROLE_ADJ["acsi"][contact.role]) / 0.62
    e = 0.35 * person + gauss(0, 0.9)
    q = 0.6 * person + 0.15 * e + gauss(0, 0.6) - 0.7 * intensity
    v = 0.45 * q + ACSI_VALUE_ADJ[contact.account.tier] + gauss(0, 0.75)
    s = 0.08 * e + 0.5 * q + 0.4 * v + gauss(0, 0.45)
    complained = rng.random() < 1 / (1 + math.exp(2.5 + 1.8 * s - 1.0 * intensity))
    h = 0.35 * s + gauss(0, 0.85)
    r = 0.85 * s + (0.15 * h if complained else 0.0) + gauss(0, 0.45)
    t = 0.45 * s + 0.25 * v + gauss(0, 0.75)

    def ten(construct: str, z: float) -> float:
        value = ACSI_MEAN[construct] + ACSI_SLOPE * (z + gauss(0, ACSI_ITEM_NOISE))
        return float(min(10, max(1, round(value))))

    answers: Answers = [
        _num("acsi_expectation", ten("E", e)),
        _num("acsi_expectation_customisation", ten("E", e)),
        _num("acsi_expectation_reliability", ten("E", e)),
        _num("acsi_quality", ten("Q", q)),
        _num("acsi_quality_customisation", ten("Q", q)),
        _num("acsi_quality_reliability", ten("Q", q - 0.6 * intensity)),
        _num("acsi_value_price", ten("V", v)),
        _num("acsi_value_quality", ten("V", v)),
        _num("acsi_satisfaction", ten("S", s)),
        _num("acsi_confirmation", ten("S", s + 0.25 * (q - e))),  # quality against what was expected
        _num("acsi_ideal", ten("S", s)),
        AnswerRow("acsi_complaint", choices=("yes" if complained else "no",)),
    ]
    if complained:  # shown only after a "yes"
        answers.append(_num("acsi_complaint_handling", ten("H", h)))
    answers += [_num("acsi_repurchase", ten("R", r)), _num("acsi_price_tolerance", ten("T", t))]
    sentiment = "pos" if s > 0.6 else "neg" if s < -0.6 else "mix"
    if rng.random() < (0.5 if complained else 0.3):
        topic = ""
        if intensity > 0.02 and sentiment != "pos" and rng.random() < 0.8 * intensity:
            topic = "export_defect"
        topic = ctx.topic = topic or comments.pick(rng, comments.TOPIC_WEIGHTS["nps"][sentiment])
        second = _other_topic(rng, comments.MIX_POSITIVE, topic)
        text = _comment(rng, contact, sentiment, topic, second, _agent(rng, contact.language)[0])
        answers.append(AnswerRow("acsi_comment", text=text))
    return answers, {"cycle": f"{day.year}H{1 if day.month <= 6 else 2}"}


Builder = Callable[[_Context, ContactInfo, date, bool], tuple[Answers, dict[str, Any]]]
BUILDERS: dict[str, Builder] = {"csat": _csat, "nps": _nps, "ces": _ces, "sus": _sus, "umux": _umux, "acsi": _acsi}
