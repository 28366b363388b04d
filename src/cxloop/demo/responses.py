"""Two years of survey responses, day by day: who answers (weighted by role, tier, newness, with
cadences), when (working hours, holidays, quarter ends), what score (a latent satisfaction through
fixed thresholds) and what comment — plus the export defect of month 18.

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

from cxloop.demo import comments, content
from cxloop.demo.base import BATCH_SIZE, ContactInfo, Scale, aware, weighted
from cxloop.demo.timeline import Month, Timeline, app_version, day_weight
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, Response, Survey

# Share of the response volume by survey.
SURVEY_SHARE: dict[str, float] = {"csat": 0.48, "nps": 0.28, "ces": 0.14, "sus": 0.10}


# --- responses: volumes --------------------------------------------------------------------------------

SURVEY_ORDER: tuple[str, ...] = ("csat", "nps", "ces", "sus")
QUARTER_END_BOOST: dict[str, float] = {"csat": 0.35, "nps": 0.0, "ces": 0.0, "sus": 0.1}
# Days a contact waits before answering the same survey again (NPS is quarterly, SUS a quarterly
# in-app prompt, CES once per onboarding milestone).
CADENCE_DAYS: dict[str, int] = {"csat": 0, "nps": 75, "ces": 21, "sus": 80}
# Extra support tickets per unit of base ticket weight at full defect intensity (reporting accounts).
EXPORT_SURGE = 1.7

ROLE_WEIGHT: dict[str, dict[str, float]] = {
    "csat": {"user": 1.0, "influencer": 0.7, "decision_maker": 0.25},
    "nps": {"user": 0.85, "influencer": 1.0, "decision_maker": 1.0},
    "ces": {"user": 1.0, "influencer": 1.2, "decision_maker": 0.5},
    "sus": {"user": 1.0, "influencer": 0.8, "decision_maker": 0.3},
}
TIER_TICKET_WEIGHT: dict[str, float] = {"enterprise": 1.25, "mid_market": 1.0, "smb": 0.85}


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

# Latent satisfaction = account health + personal offset + role + context + N(0, 1); its spread
# (health ≈ 0.5, offset 0.35, noise 1) is divided out before the thresholds.
LATENT_SD = math.sqrt(0.5**2 + 0.35**2 + 1.0)
ROLE_ADJ: dict[str, dict[str, float]] = {
    "nps": {"decision_maker": 0.18, "influencer": 0.0, "user": -0.12},
    "csat": {"decision_maker": 0.08, "influencer": 0.0, "user": -0.03},
    "ces": {"decision_maker": 0.1, "influencer": 0.05, "user": -0.05},
    "sus": {"decision_maker": 0.15, "influencer": 0.05, "user": -0.1},
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


@dataclass
class _Draft:
    """A response before it is written, with its answers as (question key, number, text)."""

    at: datetime
    response: Response
    answers: list[tuple[str, float | None, str]]


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
        answers = [
            Answer(response_id=d.response.pk, question_key=key, number=number, text=text)
            for d in self.pending
            for key, number, text in d.answers
        ]
        Answer.objects.bulk_create(answers, batch_size=self.batch)
        self.responses += len(rows)
        self.answers += len(answers)
        self.pending = []


@dataclass
class _Context:
    org_id: int
    rng: random.Random
    timeline: Timeline
    surveys: dict[str, Survey]
    last_answer: dict[str, dict[int, int]] = field(default_factory=lambda: {s: {} for s in SURVEY_ORDER})
    seen: set[tuple[int, str, datetime]] = field(default_factory=set)
    ticket_seq: int = 0
    ticket_month: str = ""


def create_responses(
    org: Organization,
    rng: random.Random,
    scale: Scale,
    timeline: Timeline,
    contacts: list[ContactInfo],
    surveys: dict[str, Survey],
) -> tuple[int, int]:
    """Two years of responses, day by day, written in batches; returns (responses, answers)."""
    constants = volume_constants(scale, timeline, contacts)
    ctx = _Context(org_id=org.pk, rng=rng, timeline=timeline, surveys=surveys)
    writer = _Writer()
    for month in timeline.months:
        pools = month_pools(contacts, month)
        noise = {s: math.exp(rng.gauss(0, 0.06)) for s in SURVEY_ORDER}
        ctx.seen = set()
        for day in month.days():
            drafts = list(_day_responses(ctx, day, pools, constants, noise))
            drafts.sort(key=lambda d: d.at)
            for draft in drafts:
                writer.add(draft)
    writer.flush()
    return writer.responses, writer.answers


def _day_responses(
    ctx: _Context, day: date, pools: dict[str, Pool], constants: dict[str, float], noise: dict[str, float]
) -> Iterator[_Draft]:
    rng = ctx.rng
    intensity = ctx.timeline.defect_intensity(day)
    for survey in SURVEY_ORDER:
        weight = day_weight(day, quarter_end_boost=QUARTER_END_BOOST[survey]) * noise[survey]
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


def _build(ctx: _Context, survey: str, contact: ContactInfo, day: date, *, defect: bool) -> _Draft:
    at = _timestamp(ctx, contact, survey, day)
    builder = {"nps": _nps, "csat": _csat, "ces": _ces, "sus": _sus}[survey]
    answers, embedded = builder(ctx, contact, day, defect)
    spec = ctx.surveys[survey]
    channels = content.CHANNELS[survey][contact.language]
    response = Response(
        org_id=ctx.org_id,
        survey_id=spec.pk,
        contact_id=contact.pk,
        account_id=contact.account.pk,
        submitted_at=at,
        channel=weighted(ctx.rng, channels),
        language=contact.language,
        touchpoint=spec.touchpoint,
        embedded=embedded,
    )
    return _Draft(at, response, answers)


Answers = list[tuple[str, float | None, str]]


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


def _nps(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    intensity = ctx.timeline.defect_intensity(day)
    month = ctx.timeline.month_of(day)
    latent = _latent(ctx, contact, "nps") + 0.12 * (month - 1) / 23
    if contact.account.reporting:
        latent -= NPS_DEFECT_PENALTY * intensity
    score = _score(latent / LATENT_SD, NPS_CUTS, 0)
    answers: Answers = [("nps", float(score), "")]
    if score <= 6:
        sentiment, chance = "neg", 0.7
    elif score <= 8:
        sentiment = weighted(rng, (("mix", 0.6), ("pos", 0.3), ("neg", 0.1)))
        chance = 0.45
    else:
        sentiment, chance = "pos", 0.5
    if rng.random() < chance:
        topic = ""
        if contact.account.reporting and intensity > 0.02:
            if sentiment != "pos" and rng.random() < 0.8 * intensity:
                topic = "export_defect"
            elif sentiment == "pos" and rng.random() < 0.3 * intensity:
                sentiment, topic = "mix", "export_defect"
        if not topic and sentiment == "pos" and _post_fix_thanks(ctx, contact, day, 0.35):
            topic = "export_fixed"
        topic = topic or comments.pick(rng, comments.TOPIC_WEIGHTS["nps"][sentiment])
        second = _other_topic(rng, comments.MIX_POSITIVE, topic)
        text = _comment(rng, contact, sentiment, topic, second, _agent(rng, contact.language)[0])
        answers.append(("nps_reason", None, text))
    return answers, {"cycle": f"{day.year}Q{(day.month - 1) // 3 + 1}"}


def _other_topic(rng: random.Random, options: tuple[tuple[str, float], ...], not_this: str) -> str:
    choices = tuple(o for o in options if o[0] != not_this) or options
    return comments.pick(rng, choices)


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
    answers: Answers = [("csat", float(score), "")]
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
        text = _comment(rng, contact, sentiment, topic, second, agent)
        answers.append(("csat_comment", None, text))
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


def _ces(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    milestone = weighted(rng, content.CES_MILESTONES)
    latent = _latent(ctx, contact, "ces", health_weight=0.5) + MILESTONE_ADJ[milestone]
    if ctx.timeline.month_of(day) >= ONBOARDING_REVAMP_MONTH:
        latent += 0.35
    if contact.account.reporting:
        latent -= 0.1 * ctx.timeline.defect_intensity(day)
    score = _score(latent / LATENT_SD, CES_CUTS, 1)
    answers: Answers = [("ces", float(score), "")]
    if score <= 3:
        sentiment, chance = "neg", 0.6
    elif score == 4:
        sentiment, chance = "mix", 0.45
    else:
        sentiment, chance = ("mix" if score == 5 and rng.random() < 0.3 else "pos"), 0.35
    if rng.random() < chance:
        topic = comments.pick(rng, comments.TOPIC_WEIGHTS["ces"][sentiment])
        second = _other_topic(rng, (("onboarding", 1.0), ("usability", 1.0), ("staff_attitude", 0.6)), topic)
        csm = "Emily Carter" if contact.language == "en" else rng.choice(content.CSM_NAMES[:1] + content.CSM_NAMES[2:])
        text = _comment(rng, contact, sentiment, topic, second, csm)
        answers.append(("ces_comment", None, text))
    return answers, {"milestone": milestone, "app_version": app_version(ctx.timeline, day)}


def _sus(ctx: _Context, contact: ContactInfo, day: date, _defect: bool) -> tuple[Answers, dict[str, Any]]:
    rng = ctx.rng
    latent = (
        contact.account.health * 0.5 + contact.offset + ROLE_ADJ["sus"][contact.role] + rng.gauss(0, 0.8)
    )
    if contact.account.reporting:
        latent -= 0.3 * ctx.timeline.defect_intensity(day)
    z = latent / math.sqrt(0.25**2 + 0.35**2 + 0.8**2)
    answers: Answers = []
    for item in range(1, 11):
        agreement = _score(0.8 * z + rng.gauss(0, 0.6) + SUS_ITEM_ADJ[item - 1], SUS_CUTS, 1)
        value = agreement if item % 2 else 6 - agreement  # even items are worded negatively
        answers.append((f"sus_{item}", float(value), ""))
    embedded = {"platform": weighted(rng, content.SUS_PLATFORMS), "app_version": app_version(ctx.timeline, day)}
    return answers, embedded
