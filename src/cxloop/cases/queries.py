"""Reads of the closed loop, always scoped to one organisation (another organisation's case, rule, channel or
delivery is a 404): the team inbox with its filters, one case with its timeline, the customer's history, the
team's live feed of responses, the SLA clocks as a page shows them, rules, channels and their delivery log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cxloop.cases import services
from cxloop.cases.models import AlertRule, Case, CaseEvent, CaseStatus, RootCause
from cxloop.core import case_flow, sla
from cxloop.notify.models import Delivery, DeliveryAttempt, Endpoint
from cxloop.orgs.access import NotFound, one_or_404
from cxloop.orgs.models import Membership, Organization, Role, Team, User
from cxloop.surveys.models import Answer, Response, Survey, listed_survey

OPEN = tuple(case_flow.OPEN_STATUSES)
VIEWS = ("mine", "team", "all")
SLA_FILTERS = ("breached", "due_soon")
UNASSIGNED = "none"
FEED_LIMIT = 20
EXCERPT = 140


# --- the inbox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows: ``view`` mine / team (the user's team) / all, then the narrowing filters.
    ``assignee`` is a user id or ``UNASSIGNED``; ``after`` keeps only cases numbered above it (the live feed)."""

    view: str = "all"
    statuses: Sequence[str] = ()
    priority: str = ""
    team_id: int | None = None
    assignee: str = ""
    sla: str = ""
    q: str = ""
    after: int | None = None
    user: User | None = None


def user_team_ids(org: Organization, user: User | None) -> list[int]:
    """The teams the user belongs to in ``org`` (their membership's team, and teams they lead)."""
    if user is None:
        return []
    ids = set(Membership.objects.filter(org=org, user=user).exclude(team=None).values_list("team_id", flat=True))
    ids.update(Team.objects.filter(org=org, lead=user).values_list("pk", flat=True))
    return sorted(ids)


def with_relations(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what their pages and payloads show: team and assignee joined; contact, account, survey (without
    its definitions), rule and root cause fetched in one query each. PostgreSQL took ~40 ms to plan the seven-way
    outer join ``select_related`` made of them, for a query that ran in 1 ms."""
    return qs.select_related("team", "assignee").prefetch_related(
        "contact", "account", Prefetch("survey", queryset=Survey.objects.defer(*listed_survey(""))), "rule",
        "root_cause")


def inbox(org: Organization, filters: InboxFilter | None = None) -> QuerySet[Case]:
    """The organisation's cases, newest first, narrowed by ``filters``."""
    qs = with_relations(Case.objects.filter(org=org)).order_by("-opened_at", "-pk")
    if filters is None:
        return qs
    f = filters
    if f.view == "mine":
        qs = qs.filter(assignee=f.user) if f.user is not None else qs.none()
    elif f.view == "team":
        qs = qs.filter(team_id__in=user_team_ids(org, f.user))
    if f.statuses:
        qs = qs.filter(status__in=list(f.statuses))
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.team_id is not None:
        qs = qs.filter(team_id=f.team_id)
    if f.assignee == UNASSIGNED:
        qs = qs.filter(assignee=None)
    elif f.assignee:
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | (Q(number=int(f.q.lstrip("#"))) if f.q.lstrip("#").isdigit()
                                                  else Q(pk__in=[])))
    if f.after is not None:
        qs = qs.filter(number__gt=f.after)
    if f.sla:
        qs = _by_sla(qs, f.sla)
    return qs


def _by_sla(qs: QuerySet[Case], state: str, now: datetime | None = None) -> QuerySet[Case]:
    """Open cases whose clock that counts now is breached, or due soon (``services.sla_state``)."""
    now = now or timezone.now()
    open_qs = qs.filter(status__in=OPEN)
    late = Q(first_contact_at=None, first_contact_due__lt=now) | Q(first_contact_at__isnull=False,
                                                                     resolve_due__lt=now)
    if state == "breached":
        return open_qs.filter(late)
    # due soon depends on the clock (business hours): computed per open case still in time
    candidates = open_qs.exclude(late).only("pk", "status", "sla_clock", "opened_at", "first_contact_due",
                                            "first_contact_at", "resolve_due")
    ids = [c.pk for c in candidates.select_related(None) if services.sla_state(c, now)[0] == sla.DUE_SOON]
    return qs.filter(pk__in=ids)


def latest_number(org: Organization) -> int:
    return Case.objects.filter(org=org).order_by("-number").values_list("number", flat=True).first() or 0


def assignable(org: Organization) -> QuerySet[Membership]:
    """Members who may work on cases (member role and up), by e-mail."""
    roles = [r for r in Role.values if Role.at_least(r, Role.MEMBER)]
    return Membership.objects.filter(org=org, role__in=roles, user__is_active=True).select_related("user", "team") \
        .order_by("user__email")


def assignable_user(org: Organization, user_id: int) -> User:
    found = assignable(org).filter(user_id=user_id).first()
    if found is None:
        raise NotFound(f"Member {user_id} not found.")
    return found.user


def cases_by_number(org: Organization, numbers: Iterable[int]) -> list[Case]:
    return list(Case.objects.filter(org=org, number__in=list(numbers)).order_by("number"))


# --- one case -------------------------------------------------------------------------------------


def case(org: Organization, number: int) -> Case:
    qs = Case.objects.filter(org=org, number=number).select_related(
        "org", "team", "assignee", "contact", "account", "survey", "response", "response__version", "rule",
        "root_cause")
    found = qs.first()
    if found is None:
        raise NotFound(f"Case {number} not found.")
    return found


def timeline(case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")


def time_in_status(events: Iterable[CaseEvent], now: datetime | None = None) -> dict[str, timedelta]:
    """Time in each status from the timeline's status-bearing events (opened, status, assignment)."""
    entered = [(e.to_status, e.at) for e in events if e.to_status in case_flow.STATUSES]
    return case_flow.time_in_status(entered, now or timezone.now())


def earlier_responses(org: Organization, case: Case, limit: int = 10) -> list[Response]:
    """The same contact's other responses, newest first."""
    if case.contact_id is None:
        return []
    qs = Response.objects.filter(org=org, contact_id=case.contact_id).select_related("survey")
    if case.response_id is not None:
        qs = qs.exclude(pk=case.response_id)
    return list(qs.order_by("-submitted_at", "-pk")[:limit])


def earlier_cases(org: Organization, case: Case, limit: int = 10) -> list[Case]:
    """Other cases of the same contact (or, without one, of the same account), newest first."""
    if case.contact_id is not None:
        qs = Case.objects.filter(org=org, contact_id=case.contact_id)
    elif case.account_id is not None:
        qs = Case.objects.filter(org=org, account_id=case.account_id)
    else:
        return []
    return list(qs.exclude(pk=case.pk).select_related("team").order_by("-opened_at", "-pk")[:limit])


# --- SLA clocks as shown --------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One SLA target of a case: ``state`` ok / due_soon / breached (running) or met / missed (stopped);
    ``remaining`` is signed clock time (negative: overdue), None once stopped."""

    due: datetime | None
    state: str
    remaining: timedelta | None = None
    stopped_at: datetime | None = None


def _clock(case: Case, due: datetime | None, stopped: datetime | None, now: datetime) -> Clock:
    if due is None:
        return Clock(None, "")
    if stopped is not None:
        return Clock(due, "met" if stopped <= due else "missed", None, stopped)
    when = services.clock(case.sla_clock)
    if not case.is_open:
        return Clock(due, "")
    return Clock(due, sla.status(due, now, start=case.opened_at, clock=when), sla.remaining(due, now, when))


def current_clock(case: Case, now: datetime | None = None) -> Clock:
    """The clock that counts now (``services.sla_state``: first contact until made, then resolution)."""
    now = now or timezone.now()
    state, due = services.sla_state(case, now)
    if due is None:
        return Clock(None, state)
    left = sla.remaining(due, now, services.clock(case.sla_clock)) if case.is_open else None
    return Clock(due, state, left)


def clocks(case: Case, now: datetime | None = None) -> dict[str, Clock]:
    """The first-contact and resolution clocks of a case, and the one that counts now."""
    now = now or timezone.now()
    return {"first_contact": _clock(case, case.first_contact_due, case.first_contact_at, now),
            "resolve": _clock(case, case.resolve_due, case.resolved_at, now), "now": current_clock(case, now)}


# --- the team's live feed of responses ------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    response: Response
    score_key: str = ""
    score: float | None = None
    comment: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


HEADLINE_KEYS = ("nps", "csat", "ces")


def team_responses(org: Organization, team: Team, limit: int = FEED_LIMIT) -> list[FeedItem]:
    """The latest responses to the surveys ``team`` owns: first numeric answer (NPS / CSAT / CES keys first)
    and the first words of the first comment."""
    responses = list(Response.objects.filter(org=org, survey__owner_team=team)
                     .select_related("survey", "contact", "account").defer(*listed_survey())
                     .order_by("-submitted_at", "-pk")[:limit])
    answers: dict[int, list[Answer]] = {}
    for a in Answer.objects.filter(response_id__in=[r.pk for r in responses]).order_by("pk"):
        answers.setdefault(a.response_id, []).append(a)
    out = []
    for r in responses:
        mine = answers.get(r.pk, [])
        numeric = [a for a in mine if a.number is not None]
        numeric.sort(key=lambda a: (0 if a.question_key in HEADLINE_KEYS else 1))
        text = next((a.text for a in mine if a.number is None and not a.choices and a.text), "")
        out.append(FeedItem(r, numeric[0].question_key if numeric else "",
                            numeric[0].number if numeric else None,
                            text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"))
    return out


def team(org: Organization, team_id: int) -> Team:
    return one_or_404(Team.objects.filter(org=org), team_id, "Team")


def teams(org: Organization) -> QuerySet[Team]:
    return Team.objects.filter(org=org).order_by("name")


# --- rules and root causes ------------------------------------------------------------------------


def rules(org: Organization) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(org=org).order_by("position", "pk")


def rule(org: Organization, rule_id: int) -> AlertRule:
    return one_or_404(rules(org), rule_id, "Rule")


def response_for_test(org: Organization, response_id: int) -> tuple[Response, list[Answer]]:
    """A response of the organisation with its answers (for "test this rule")."""
    qs = Response.objects.filter(org=org).select_related("org", "survey", "version", "contact", "account")
    found: Response = one_or_404(qs, response_id, "Response")
    return found, list(Answer.objects.filter(response=found).order_by("pk"))


def all_root_causes(org: Organization) -> list[RootCause]:
    """Every root cause, active first (the default list is created on first use, as ``services`` does)."""
    services.root_causes(org)
    return list(RootCause.objects.filter(org=org).order_by("-active", "label"))


def root_cause(org: Organization, cause_id: int) -> RootCause:
    return one_or_404(RootCause.objects.filter(org=org), cause_id, "Root cause")


# --- channels (notification endpoints) and their delivery log -------------------------------------


def endpoints(org: Organization) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(org=org).select_related("team").order_by("name", "pk")


def endpoint(org: Organization, endpoint_id: int) -> Endpoint:
    return one_or_404(endpoints(org).select_related("org"), endpoint_id, "Channel")


def deliveries(endpoint: Endpoint) -> QuerySet[Delivery]:
    """The endpoint's deliveries, newest first, each with its event and its attempts (newest first)."""
    return Delivery.objects.filter(endpoint=endpoint).select_related("event").prefetch_related(
        Prefetch("log", queryset=DeliveryAttempt.objects.order_by("-number"))).order_by("-created_at", "-pk")


def delivery(endpoint: Endpoint, delivery_id: int) -> Delivery:
    qs = Delivery.objects.filter(endpoint=endpoint, org_id=endpoint.org_id).select_related("endpoint",
                                                                                              "endpoint__org")
    return one_or_404(qs, delivery_id, "Delivery")


def open_statuses() -> tuple[str, ...]:
    return tuple(s for s in CaseStatus.values if s in case_flow.OPEN_STATUSES)


def own_team(org: Organization, user: Any) -> Team | None:
    """The user's team in this organisation (None without one)."""
    membership = Membership.objects.filter(org=org, user=user).select_related("team").first() if user else None
    return membership.team if membership is not None else None
