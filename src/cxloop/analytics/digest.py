"""The weekly e-mail digest per team: how the surveys the team owns did last week, in each member's language.

A team's numbers are those of the surveys it owns (``Survey.owner_team``). For the week Monday–Sunday
before the current one (local days, ``settings.TIME_ZONE``) the digest has: the headline NPS / CSAT / CES
cards against the week before with the two-period test (``dashboard.headline_card``: every number from
``core.metrics`` through the metrics service), the main measure's last ``TREND_WEEKS`` weeks with their
intervals and significant changes, its breakdown by touchpoint, and the newest comments of unhappy
customers (NPS ≤ 6, CSAT ≤ 2, CES ≤ 3) with a link to each response.

Sending: :func:`queue_due` runs from the clock task (``surveys.tasks.tick``). From Monday ``SEND_HOUR``
local time it creates one :class:`DigestDelivery` per (team, member, week) for every team that owns a
published survey and every member who has the digest on and an e-mail address (the unique constraint
makes this safe on several workers), and enqueues ``analytics.tasks.send_digest`` for the rows it created.
A member turns the digest off from the link in every digest (a signed token, no sign-in needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cxloop.analytics import explore
from cxloop.analytics.dashboard import (
    MEASURE_LABELS,
    MEASURES,
    Breakdown,
    Card,
    Filters,
    Trend,
    breakdown_of,
    headline_card,
    measure_question,
    trend_of,
)
from cxloop.analytics.metrics_service import local_today
from cxloop.analytics.models import DigestDelivery
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.surveys.models import Answer, Survey, SurveyStatus

SEND_HOUR = 8  # local time on Monday
TREND_WEEKS = 6
MAX_COMMENTS = 5
COMMENT_LENGTH = 280
# A score at or below this is an unhappy customer whose comment the team should read.
UNHAPPY = {"nps": 6, "csat": 2, "ces": 3}
UNSUBSCRIBE_SALT = "cxloop.digest.off"
LANGUAGES = ("zh-hans", "zh-hant", "en")


def week_before(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week before ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


@dataclass(frozen=True)
class Comment:
    survey: str
    label: str  # "NPS 3"
    text: str
    submitted_at: datetime
    url: str


@dataclass(frozen=True)
class TeamDigest:
    org: Organization
    team: Team
    start: date
    end: date
    surveys: list[Survey]
    cards: list[Card]
    trend: Trend | None
    breakdown: Breakdown | None
    responses: int
    previous_responses: int
    comments: list[Comment]
    dashboard_url: str

    @property
    def has_data(self) -> bool:
        return bool(self.responses or self.previous_responses)


def team_surveys(team: Team) -> list[Survey]:
    """The published (or closed) surveys the team owns."""
    return list(Survey.objects.filter(org_id=team.org_id, owner_team=team)
                .exclude(status=SurveyStatus.DRAFT).order_by("pk"))


def build(team: Team, start: date, end: date) -> TeamDigest:
    """The team's digest for the local days ``start``..``end`` (a week), compared with the week before."""
    org = team.org
    surveys = team_surveys(team)
    f = Filters(start=start, end=end, interval="week", group_by="touchpoint")
    cards = []
    for key, (question_type, metric) in MEASURES.items():
        question = measure_question(surveys, question_type)
        cards.append(headline_card(org, surveys, key, str(MEASURE_LABELS[key]), question, metric, f))
    main = next((c for c in cards if c.item is not None and c.item.estimate.n), None)
    main = main or next((c for c in cards if c.item is not None), None)
    trend = breakdown = None
    if main is not None and main.question is not None:
        weeks = Filters(start=start - timedelta(days=7 * (TREND_WEEKS - 1)), end=end, interval="week")
        trend = trend_of(org, surveys, main.question, main.label, main.metric, weeks)
        breakdown = breakdown_of(org, surveys, main.question, main.label, main.metric, f)
    scope = f.scope(org, [s.pk for s in surveys])
    base = settings.BASE_URL.rstrip("/")
    url = f"{base}{reverse('dashboard', kwargs={'org': org.slug})}?from={start}&to={end}"
    return TeamDigest(org, team, start, end, surveys, cards, trend, breakdown, explore.responses(scope).count(),
                      explore.responses(scope.before()).count(), _comments(org, surveys, scope, cards), url)


def _comments(org: Organization, surveys: Sequence[Survey], scope: explore.Scope, cards: Sequence[Card]
              ) -> list[Comment]:
    """The newest comments of responses in scope whose NPS / CSAT / CES answer is unhappy."""
    unhappy = [(c.question, UNHAPPY[c.key], c.key) for c in cards if c.question and c.key in UNHAPPY]
    if not unhappy or not surveys:
        return []
    names = {s.pk: s.name for s in surveys}
    responses = explore.responses(scope)
    found: dict[int, tuple[str, int]] = {}
    for question, highest, key in unhappy:
        rows = (Answer.objects.filter(response__in=responses.values("pk"), question_key=question,
                                      number__lte=highest)
                .order_by("-response__submitted_at", "-response_id")
                .values_list("response_id", "number")[:MAX_COMMENTS * 4])
        for response_id, number in rows:
            found.setdefault(response_id, (key, int(number or 0)))
    if not found:
        return []
    texts: dict[int, str] = {}
    for answer in Answer.objects.filter(response_id__in=list(found)).order_by("pk"):
        if explore.has_text(answer) and answer.response_id not in texts:
            texts[answer.response_id] = answer.text
    base = settings.BASE_URL.rstrip("/")
    out = []
    for response in (responses.filter(pk__in=list(texts)).order_by("-submitted_at", "-pk")
                     .only("pk", "survey_id", "submitted_at")[:MAX_COMMENTS]):
        key, number = found[response.pk]
        text = " ".join(texts[response.pk].split())
        if len(text) > COMMENT_LENGTH:
            text = text[:COMMENT_LENGTH - 1].rstrip() + "…"
        url = base + reverse("response_detail", kwargs={"org": org.slug, "response_id": response.pk})
        out.append(Comment(names.get(response.survey_id, ""), f"{key.upper()} {number}", text,
                           response.submitted_at, url))
    return out


# --- rendering ------------------------------------------------------------------------------------


def language_of(user: User, org: Organization) -> str:
    """The member's language: their own choice, else the organisation's default, else English."""
    for code in (user.language, org.default_language):
        code = (code or "").lower()
        if code in LANGUAGES:
            return code
    return "en"


def unsubscribe_token(membership: Membership) -> str:
    return signing.dumps({"m": membership.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def membership_of_token(token: str) -> int | None:
    """The membership id a digest's "turn off" link names, or None when the token was not ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    value = data.get("m") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


def compose(team: Team, start: date, user: User, membership: Membership | None = None, *,
            language: str | None = None) -> Rendered:
    """The team's digest for the week from ``start`` as a multipart e-mail (plain text and HTML) in the
    member's language (or ``language``): built and rendered in it, so labels are translated too."""
    language = language if language in LANGUAGES else language_of(user, team.org)
    with translation.override(language):
        return render(build(team, start, start + timedelta(days=6)), user, membership, language=language)


def render(digest: TeamDigest, user: User, membership: Membership | None, *, language: str) -> Rendered:
    off = ""
    if membership is not None:
        off = settings.BASE_URL.rstrip("/") + reverse("digest_off", kwargs={"token": unsubscribe_token(membership)})
    with translation.override(language):
        context = {"digest": digest, "user": user, "unsubscribe": off, "LANGUAGE_CODE": language,
                   "brand_color": digest.org.brand_color or "#0b5cad"}
        subject = _("%(team)s: customer experience, week of %(start)s") % {
            "team": digest.team.name, "start": digest.start.isoformat()}
        text = render_to_string("analytics/email/digest.txt", context)
        html = render_to_string("analytics/email/digest.html", context)
    return Rendered(subject, text, html, language)


# --- the weekly clock -----------------------------------------------------------------------------


def recipients(team: Team) -> list[Membership]:
    return list(Membership.objects.filter(team=team, weekly_digest=True, user__is_active=True)
                .exclude(user__email="").select_related("user").order_by("pk"))


def due_week(now: datetime | None = None) -> tuple[date, date] | None:
    """The week whose digests are due at ``now`` (the previous week, from Monday ``SEND_HOUR`` local)."""
    local = timezone.localtime(now or timezone.now())
    if local.weekday() == 0 and local.hour < SEND_HOUR:
        return None
    return week_before(local.date())


def queue_due(now: datetime | None = None) -> int:
    """Create and enqueue the digests due at ``now`` that were not created yet; returns how many."""
    from cxloop.analytics.tasks import send_digest

    week = due_week(now)
    if week is None:
        return 0
    start = week[0]
    owning = Survey.objects.exclude(status=SurveyStatus.DRAFT).exclude(owner_team=None).values("owner_team")
    queued = 0
    for team in Team.objects.filter(pk__in=owning).select_related("org").order_by("pk"):
        for membership in recipients(team):
            try:
                with transaction.atomic():
                    delivery = DigestDelivery.objects.create(org_id=team.org_id, team=team,
                                                             user_id=membership.user_id, week=start)
            except IntegrityError:
                continue  # created by an earlier run or another worker
            transaction.on_commit(partial(send_digest.enqueue, delivery_id=delivery.pk), robust=True)
            queued += 1
    return queued


def preview(team: Team, user: User, *, language: str | None = None, today: date | None = None) -> Rendered:
    """What the team's digest for last week looks like to ``user`` (the team's settings page links it)."""
    return compose(team, week_before(today or local_today())[0], user, language=language)
