"""Demo data for 云启科技 CloudLaunch, a B2B SaaS company: departments and staff, 300 customer
accounts with their contacts, six published surveys and two years of responses with comments.

The surveys are created from the survey templates and published (version 1) by the head of CX
before the two years begin: relationship NPS ("nps"), post-support CSAT ("csat_support"),
onboarding CES ("ces_onboarding"), in-app SUS ("sus") and, with fewer responses, in-app UMUX-Lite
("umux_lite") and a yearly ACSI relationship survey ("acsi"). Every response answers that version
and follows its definition (question keys, display logic, required questions); about 3 % of the
responses to multi-page surveys are partial (first page only).

``generate`` fills an empty organisation. It is deterministic: the same ``seed`` and ``today`` give
the same rows (each part draws from its own ``random.Random`` seeded from ``seed`` and the part's
name, so adding a part later does not change the others; every timestamp derives from ``today``).

The data tells a story that later features must surface without being told: in month 18 of the 24
a release breaks report export (导出失败/超时/乱码). Accounts using the reporting module (about 40 %,
``Account.attributes["modules"]`` contains "reporting") raise many more support tickets with
category "export", their support CSAT and NPS drop, and comments about export spike; a fix ships in
month 20 and by month 22 everything is back to baseline, with a few thank-you comments.

Every response names a touchpoint of one of the two journey maps (``demo.journeys``: "B2B 采购到续约 Purchase to
renewal" and "技术支持请求 Support request"); in months 18–19 report export is their emotion curves' low point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from cxloop.analytics import rollups
from cxloop.core.survey_templates import template
from cxloop.demo import content
from cxloop.demo.base import SIZES, PublishedSurvey, Scale, aware, part_rng
from cxloop.demo.events import create_events
from cxloop.demo.govern import create_governance
from cxloop.demo.invitations import create_invitations
from cxloop.demo.journeys import create_journeys, link_personas
from cxloop.demo.loop import create_loop
from cxloop.demo.people import create_accounts, create_contacts
from cxloop.demo.responses import create_responses
from cxloop.demo.segments import create_segments_and_personas
from cxloop.demo.timeline import Timeline, build_timeline
from cxloop.orgs.models import Organization, Team, User
from cxloop.orgs.services import add_member, save_team
from cxloop.privacy import services as retention
from cxloop.surveys import services
from cxloop.surveys.models import SurveyVersion
from cxloop.texts import services as texts

__all__ = ["SIZES", "DemoStats", "Scale", "generate"]


@dataclass(frozen=True)
class DemoStats:
    teams: int
    users: int
    accounts: int
    contacts: int
    surveys: int
    responses: int
    answers: int
    user_roles: tuple[tuple[str, str], ...]  # (e-mail, role) of the demo staff
    rules: int = 0
    cases: int = 0


@dataclass
class Staff:
    teams: dict[str, Team]
    users: list[tuple[str, str]]


# --- entry point -------------------------------------------------------------------------------------


def generate(*, org: Organization, size: str = "small", seed: int = 42, today: date | None = None) -> DemoStats:
    """Fill ``org`` (assumed empty) with the CloudLaunch demo; ``size`` is "tiny", "small" or "large"."""
    if size not in SIZES:
        raise ValueError(f"Unknown demo size {size!r}; use one of {', '.join(SIZES)}.")
    scale = SIZES[size]
    timeline = build_timeline(today or timezone.localdate())
    with transaction.atomic():
        staff = create_staff(org)
        accounts = create_accounts(org, part_rng(seed, "accounts"), scale, timeline)
        contacts = create_contacts(org, part_rng(seed, "contacts"), scale, accounts, timeline)
        surveys = create_surveys(org, staff.teams, timeline)
        n_responses, n_answers = create_responses(org, seed, scale, timeline, contacts, surveys)
        create_invitations(org, part_rng(seed, "invitations"), surveys, timeline)
        texts.analyse_all(org)  # language, sentiment and themes of every comment (bulk-written, past the worker)
        n_rules, n_cases = create_loop(org, part_rng(seed, "loop"), staff.teams, timeline,
                                       now=aware(timeline.today, time(8, 30)))
        # The touchpoints the responses name, and the two journey maps over them (no random draws).
        create_journeys(org, staff.teams, actor=staff.teams["cx"].lead,
                        at=aware(timeline.start - timedelta(days=30), time(10, 0)))
        # Segments over the contacts and their behaviour, and the personas built on them (read responses and cases).
        create_segments_and_personas(org, part_rng(seed, "segments"), actor=staff.teams["cx"].lead,
                                     at=aware(timeline.today, time(9, 0)))
        link_personas(org, actor=staff.teams["cx"].lead)
        # The responses were bulk-written, past the capture paths' dirty markers: build their rollups.
        rollups.rebuild(survey_ids=[published.survey.pk for published in surveys.values()])
        # What the customers did, beside what they said (reads the NPS answers above; its own random stream).
        create_events(org, part_rng(seed, "events"), scale, timeline, accounts, contacts)
        # The CX committee, department KPIs and the action plans (no random draws: nothing above changes).
        create_governance(org, staff.teams, timeline, at=aware(timeline.today, time(9, 30)))
        # Privacy: support CSAT responses are anonymised after 36 months (the history is 24: nothing changes).
        retention.set_policy(org=org, survey=surveys["csat"].survey, months=36, action="anonymise")
    return DemoStats(
        teams=len(staff.teams),
        users=len(staff.users),
        accounts=len(accounts),
        contacts=len(contacts),
        surveys=len(surveys),
        responses=n_responses,
        answers=n_answers,
        user_roles=tuple(staff.users),
        rules=n_rules,
        cases=n_cases,
    )


# --- teams and staff -----------------------------------------------------------------------------------


def create_staff(org: Organization) -> Staff:
    """The eight departments, the twelve staff users (shared across demo organisations: a user is
    found by e-mail before one is created) and the department leads."""
    teams = {
        spec.key: save_team(org=org, name=spec.name, kind=spec.kind, description=spec.description)
        for spec in content.TEAMS
    }
    users: list[tuple[str, str]] = []
    for spec in content.STAFF:
        email = f"{spec.local}@{content.EMAIL_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            language = "en" if spec.name.isascii() else "zh-hans"
            user = User.objects.create_user(email=email, password=None, display_name=spec.name, language=language)
        add_member(org=org, user=user, role=spec.role, team=teams[spec.team])
        users.append((email, spec.role))
        if spec.lead:
            team = teams[spec.team]
            teams[spec.team] = save_team(
                org=org, name=team.name, kind=team.kind, lead=user, description=team.description, team=team
            )
    return Staff(teams=teams, users=users)


# --- surveys -----------------------------------------------------------------------------------------------


def create_surveys(org: Organization, teams: dict[str, Team], timeline: Timeline) -> dict[str, PublishedSurvey]:
    """The demo's surveys, created from their templates and published through the survey services
    by the head of CX; then dated 45 days (created) and 40 days (published) before the history."""
    created = aware(timeline.start - timedelta(days=45), time(10, 0))
    published_at = created + timedelta(days=5, hours=5)
    actor = teams["cx"].lead
    surveys: dict[str, PublishedSurvey] = {}
    for index, spec in enumerate(content.SURVEYS):
        survey = services.create_survey(
            org=org, name=spec.name, definition=template(spec.template), kind=spec.kind,
            touchpoint=spec.touchpoint, actor=actor,
        )
        version = services.publish(survey=survey, actor=actor)
        survey.owner_team = teams[spec.owner_team]
        survey.created_at = created + timedelta(minutes=20 * index)
        survey.updated_at = version.published_at = published_at + timedelta(minutes=5 * index)
        survey.save(update_fields=["owner_team", "created_at", "updated_at"])
        SurveyVersion.objects.filter(pk=version.pk).update(published_at=version.published_at)
        surveys[spec.key] = PublishedSurvey(survey=survey, version=version, spec=services.spec_of(version))
    return surveys
