"""Verbs of the closed loop: rules (validated with ``core.rules``), firing a rule on a response, cases (open,
assign, move through ``core.case_flow``, comment with @mentions, reply to the customer by e-mail), SLA
escalation (``core.sla``) and the organisation's root-cause list. Every change writes a ``CaseEvent`` and a
``case.*`` event for the endpoints (``notify.services.emit``) in its own transaction.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from cxloop.cases.models import (
    AlertRule,
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Priority,
    RootCause,
    TeamRouting,
    ThankYouLog,
)
from cxloop.core import case_flow, sla, webhook_sign
from cxloop.core import rules as rules_core
from cxloop.notify import services as notify
from cxloop.notify.models import Endpoint, Event
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.orgs.services import ServiceError, audit

logger = logging.getLogger(__name__)

DEFAULT_SLA = rules_core.Sla(first_contact_hours=24, resolve_hours=72)
DEFAULT_ROOT_CAUSES = (
    ("product_defect", "Product defect"), ("documentation", "Documentation gap"), ("process", "Process / policy"),
    ("staff", "Staff behaviour or skill"), ("billing", "Billing error"), ("expectation", "Expectation mismatch"),
    ("third_party", "Third party"), ("no_fault", "No fault found"),
)
MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.-]+)")
MAX_BODY = 10_000


class CaseError(ServiceError):
    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


def business_hours() -> sla.BusinessHours:
    return sla.BusinessHours(timezone=settings.TIME_ZONE)


def clock(kind: str) -> sla.Clock:
    return sla.clock_for(kind, business_hours())


# --- rules ----------------------------------------------------------------------------------------


def validate_rule(definition: Any) -> rules_core.Rule:
    try:
        return rules_core.parse(definition)
    except rules_core.RuleError as exc:
        first = exc.problems[0]
        raise CaseError("; ".join(f"{p.path}: {p.message}" for p in exc.problems[:5]),
                        field=first.path or "definition") from None


def save_rule(*, org: Organization, name: str, definition: dict[str, Any], enabled: bool = True,
              rule: AlertRule | None = None, actor: User | None = None) -> AlertRule:
    """Create or update a rule; its definition is parsed (every problem named) and its references checked."""
    name = (name or "").strip()
    if not name:
        raise CaseError("name: required", field="name")
    definition = {**definition, "name": name}
    parsed = validate_rule(definition)
    if parsed.then.open_case is not None and parsed.then.open_case.team != TOUCHPOINT_TEAM:
        _team(org, parsed.then.open_case.team, field="then.open_case.team")
    if parsed.then.notify is not None:
        for i, ref in enumerate(parsed.then.notify.channels):
            if _endpoint(org, ref) is None:
                raise CaseError(f"then.notify[{i}].channel: no channel {ref!r}", field=f"then.notify[{i}].channel")
    clash = AlertRule.objects.filter(org=org, name=name)
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise CaseError(f"name: a rule named {name!r} exists", field="name", status=409)
    with transaction.atomic():
        if rule is None:
            position = (AlertRule.objects.filter(org=org).aggregate(m=Max("position"))["m"] or 0) + 1
            rule = AlertRule.objects.create(org=org, name=name, definition=rules_core.to_json(parsed),
                                            enabled=enabled, position=position, created_by=actor)
            audit("rule.created", org=org, actor=actor, target=name)
        else:
            rule.name, rule.definition, rule.enabled = name, rules_core.to_json(parsed), enabled
            rule.updated_at = timezone.now()
            rule.save(update_fields=["name", "definition", "enabled", "updated_at"])
            audit("rule.updated", org=org, actor=actor, target=name)
    return rule


def delete_rule(*, rule: AlertRule, actor: User | None = None) -> None:
    with transaction.atomic():
        audit("rule.deleted", org=rule.org, actor=actor, target=rule.name)
        rule.delete()


_local = threading.local()


@contextmanager
def batch() -> Iterator[None]:
    """Within this block (a worker's batch of responses) teams, team members and users named by rules are
    read once; outside it every lookup goes to the database."""
    previous = getattr(_local, "cache", None)
    _local.cache = {}
    try:
        yield
    finally:
        _local.cache = previous


def _cached(key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
    cache = getattr(_local, "cache", None)
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


TOUCHPOINT_TEAM = "@touchpoint"  # a rule's case goes to the owner team of the response's touchpoint


def touchpoint_team(org_id: int, touchpoint: str) -> Team | None:
    """The owner team of a touchpoint (``journeys.Touchpoint``), cached per batch."""
    from cxloop.journeys.models import Touchpoint

    if not touchpoint:
        return None

    def load() -> Team | None:
        found = Touchpoint.objects.filter(org_id=org_id, key=touchpoint).select_related("owner_team__lead").first()
        return found.owner_team if found is not None else None

    team: Team | None = _cached(("touchpoint", org_id, touchpoint), load)
    return team


def _team(org: Organization | int, ref: Any, *, field: str) -> Team:
    org_id = org if isinstance(org, int) else org.pk

    def load() -> Team | None:
        qs = Team.objects.filter(org_id=org_id).select_related("lead")
        return (qs.filter(pk=ref).first() if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit())
                else None) or qs.filter(name=str(ref)).first()

    team = _cached(("team", org_id, ref), load)
    if team is None:
        raise CaseError(f"{field}: no team {ref!r}", field=field)
    return team


def _endpoint(org: Organization | int, ref: Any) -> Endpoint | None:
    org_id = org if isinstance(org, int) else org.pk
    qs = Endpoint.objects.filter(org_id=org_id)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = qs.filter(pk=int(ref)).first()
        if found is not None:
            return found
    return qs.filter(name=str(ref)).first()


def _user(org_id: int, ref: Any) -> User | None:
    def load() -> User | None:
        members = User.objects.filter(memberships__org_id=org_id, is_active=True)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return members.filter(pk=int(ref)).first()
        return members.filter(email=str(ref).lower()).first()

    found: User | None = _cached(("user", org_id, ref), load)
    return found


def root_causes(org: Organization) -> list[RootCause]:
    """The organisation's active root causes (the default list is added the first time it is asked for)."""
    if not RootCause.objects.filter(org=org).exists():
        RootCause.objects.bulk_create([RootCause(org=org, code=c, label=label) for c, label in DEFAULT_ROOT_CAUSES],
                                      ignore_conflicts=True)
    return list(RootCause.objects.filter(org=org, active=True).order_by("label"))


# --- firing ---------------------------------------------------------------------------------------


def fire(rule: AlertRule, parsed: rules_core.Rule, seen: Any) -> None:
    """A rule matched a response (in the caller's transaction): alert.fired, a case, notifications, thanks."""
    r = seen.response
    from cxloop.cases import intake

    channels = []
    if parsed.then.notify is not None:
        channels = [e for ref in parsed.then.notify.channels if (e := _endpoint(r.org_id, ref)) is not None]
    title = f"{rule.name} · {r.survey.name}"
    facts = [(k, v) for k, v in (("touchpoint", r.touchpoint), ("channel", r.channel)) if v]
    subject = f"alert:{rule.pk}:{r.pk}"
    # Inside a worker's batch ``emit`` only notes the event (it is written, or skipped as a duplicate, by
    # ``flush``) and never answers None: ask the database whether this rule already fired on this response.
    if Event.objects.filter(org_id=r.org_id, type=webhook_sign.ALERT_FIRED, subject=subject).exists():
        return
    event = notify.emit(org=r.org_id, type=webhook_sign.ALERT_FIRED, subject=subject,
                        data={"rule": {"id": rule.pk, "name": rule.name}, "response": seen.payload["response"],
                              "scores": seen.payload["scores"], "contact": seen.payload["contact"],
                              "comment": seen.facts.comment, "link": seen.payload["link"],
                              "summary": intake.summary(seen, title, seen.payload["link"], facts)},
                        endpoints=channels)
    if event is None:
        return  # this rule already fired on this response
    AlertRule.objects.filter(pk=rule.pk).update(fired=F("fired") + 1, last_fired_at=timezone.now())
    if parsed.then.open_case is not None:
        open_case(rule=rule, action=parsed.then.open_case, seen=seen)
    if parsed.then.thank_you is not None and parsed.promoter:
        _thank(rule, parsed.then.thank_you, seen)


def _next_number(org_id: int) -> int:
    """The organisation's next case number, from its counter row (locked until the caller commits)."""
    for _attempt in range(2):
        if CaseCounter.objects.filter(org_id=org_id).update(last=F("last") + 1):
            return CaseCounter.objects.values_list("last", flat=True).get(org_id=org_id)
        start = Case.objects.filter(org_id=org_id).aggregate(m=Max("number"))["m"] or 0
        try:
            with transaction.atomic():
                CaseCounter.objects.create(org_id=org_id, last=start + 1)
            return start + 1
        except IntegrityError:
            continue  # another transaction created the counter first: increment it
    raise RuntimeError("could not allocate a case number")


def _round_robin(team: Team) -> User | None:
    members: list[int] = _cached(("members", team.pk), lambda: list(
        Membership.objects.filter(team=team, user__is_active=True).order_by("user_id")
        .values_list("user_id", flat=True)))
    if not members:
        return None
    routing, _created = TeamRouting.objects.select_for_update().get_or_create(team=team)
    chosen = rules_core.next_assignee(members, routing.last_assignee_id)
    if chosen is None:
        return None
    routing.last_assignee_id = chosen
    routing.save(update_fields=["last_assignee"])
    return _user(team.org_id, chosen)


def open_case(*, rule: AlertRule | None, action: rules_core.OpenCase, seen: Any,
              opened_at: datetime | None = None) -> Case | None:
    """Open the case a rule asks for (at most one per rule and response); None when it exists already."""
    from cxloop.cases import intake

    r = seen.response
    team = None
    try:
        if action.team not in (None, "", TOUCHPOINT_TEAM):
            team = _team(r.org_id, action.team, field="team")
    except CaseError:
        logger.warning("rule %s names a team that no longer exists: %r", rule and rule.pk, action.team)
    # by default: the owner team of the response's touchpoint, else the survey's owning team
    team = team or touchpoint_team(r.org_id, r.touchpoint) or r.survey.owner_team
    assignee = None
    if isinstance(action.assign, rules_core.AssignUser):
        assignee = _user(r.org_id, action.assign.user)
    elif action.assign == "round_robin" and team is not None:
        assignee = _round_robin(team)
    target = action.sla or DEFAULT_SLA
    now = opened_at or timezone.now()
    when = clock(target.clock)
    label, score, _severity = intake.headline(seen)
    title = f"{r.survey.name}: {label} {score}".strip().rstrip(":") if label else r.survey.name
    if seen.facts.comment:
        title = f"{title} — {' '.join(seen.facts.comment[:80].split())}"  # one line: it becomes a subject
    try:
        with transaction.atomic():
            case = Case.objects.create(
                org_id=r.org_id, number=_next_number(r.org_id), title=title[:200], response=r, survey=r.survey,
                contact=r.contact, account=r.account, rule=rule, team=team, assignee=assignee,
                status=CaseStatus.ASSIGNED if assignee else CaseStatus.NEW, priority=action.priority,
                category=action.category or "", sla_clock=target.clock,
                first_contact_due=sla.due_at(now, target.first_contact_hours, when),
                resolve_due=sla.due_at(now, target.resolve_hours, when), opened_at=now, updated_at=now)
    except IntegrityError:
        return None
    CaseEvent.objects.create(case=case, kind=CaseEventKind.OPENED, to_status=CaseStatus.NEW, at=now,
                             data={"rule": rule.name if rule else None})
    if assignee is not None:
        CaseEvent.objects.create(case=case, kind=CaseEventKind.ASSIGNED, from_status=CaseStatus.NEW,
                                 to_status=CaseStatus.ASSIGNED, at=now, data={"assignee": assignee.email})
    _case_event(case, webhook_sign.CASE_OPENED, {}, seen=seen)
    return case


def _thank(rule: AlertRule, action: rules_core.ThankYou, seen: Any) -> None:
    from cxloop.orgs.tasks import send_email

    r = seen.response
    contact = r.contact
    if contact is None or not contact.email or contact.unsubscribed_at is not None:
        return
    last = ThankYouLog.objects.filter(contact=contact, rule=rule).order_by("-sent_at").first()
    now = timezone.now()
    if rules_core.capped(last.sent_at if last else None, now, action.cap_days):
        return
    try:
        with transaction.atomic():
            ThankYouLog.objects.create(org_id=r.org_id, rule=rule, contact=contact, response=r, sent_at=now)
    except IntegrityError:
        return
    from django.template.loader import render_to_string
    from django.utils import translation

    language = r.language or contact.language or r.org.default_language
    with translation.override(language):
        context = {"contact": contact, "org": r.org, "template": str(action.template)}
        subject = render_to_string("cases/email/thank_you_subject.txt", context).strip()
        body = render_to_string("cases/email/thank_you.txt", context)
    transaction.on_commit(partial(send_email.enqueue, subject=subject, body=body, to=[contact.email]), robust=True)


# --- case payloads --------------------------------------------------------------------------------


def case_link(case: Case) -> str:
    return settings.BASE_URL.rstrip("/") + reverse("case_detail", kwargs={"org": case.org.slug, "number": case.number})


def case_data(case: Case) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return webhook_sign.iso_utc(value) if value else None

    owner = None
    if case.assignee is not None:
        owner = {"id": case.assignee.pk, "name": str(case.assignee), "email": case.assignee.email}
    data: dict[str, Any] = {
        "id": case.number, "title": case.title, "status": case.status, "priority": case.priority,
        "team": case.team.name if case.team else None, "owner": owner, "category": case.category,
        "opened_at": when(case.opened_at), "first_contact_due": when(case.first_contact_due),
        "due_at": when(case.resolve_due), "first_contact_at": when(case.first_contact_at),
        "resolved_at": when(case.resolved_at), "closed_at": when(case.closed_at),
        "root_cause": case.root_cause.code if case.root_cause else None, "resolution_note": case.resolution_note,
        "recovered": case.recovered, "link": case_link(case),
        "response": ({"id": case.response_id, "survey": {"id": case.survey_id, "name": case.survey.name}}
                     if case.response_id and case.survey else None),
        "contact": ({"external_id": case.contact.external_id, "name": case.contact.name} if case.contact else None),
        "rule": {"id": case.rule.pk, "name": case.rule.name} if case.rule else None,
    }
    return data


def _case_event(case: Case, type: str, changes: dict[str, Any], *, seen: Any = None, serial: str = "") -> None:
    """``case.*`` to the subscribed endpoints and to the case team's channels."""
    from cxloop.cases import intake

    team_id = case.team_id
    channels: list[Endpoint] = _cached(("channels", team_id), lambda: list(
        Endpoint.objects.filter(org_id=case.org_id, team_id=team_id, active=True))) if team_id is not None else []
    title = f"#{case.number} {case.title}"
    if seen is not None:
        summary = intake.summary(seen, title, case_link(case), [("team", case.team.name if case.team else "—"),
                                                                 ("priority", case.priority)])
    else:
        summary = {"title": title, "severity": "good" if type == webhook_sign.CASE_RESOLVED else "info",
                   "customer": case.contact.name if case.contact else "", "link": case_link(case),
                   "facts": [["status", case.status], ["priority", case.priority]]}
    subject = f"case:{case.pk}:{type}:{serial or timezone.now().isoformat()}"
    # case.updated goes to webhooks only; the team's channels hear of new and resolved cases
    targets = channels if type in (webhook_sign.CASE_OPENED, webhook_sign.CASE_RESOLVED) else []
    notify.emit(org=case.org_id, type=type, subject=subject[:120],
                data={"case": case_data(case), "changes": changes, "summary": summary}, endpoints=targets)


# --- case verbs -----------------------------------------------------------------------------------


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related(
        "org", "team", "assignee", "contact", "survey", "rule", "root_cause").get(pk=case.pk)


def transition(*, case: Case, status: str, actor: User | None, root_cause: str | None = None,
               resolution_note: str | None = None, recovered: bool | None = None) -> Case:
    """Move the case; resolving needs a root cause from the list and a note (``core.case_flow``)."""
    with transaction.atomic():
        case = _locked(case)
        causes = {c.code: c for c in root_causes(case.org)} if status == CaseStatus.RESOLVED else {}
        try:
            case_flow.transition(case.status, status, root_cause=root_cause, resolution_note=resolution_note,
                                 recovered=recovered, root_causes=list(causes))
        except case_flow.CaseFlowError as exc:
            raise CaseError(f"{exc.field}: {exc.message}", field=exc.field, status=409
                            if exc.field == "status" else 422) from None
        now = timezone.now()
        before = case.status
        fields = ["status", "updated_at"]
        case.status, case.updated_at = status, now
        if status == CaseStatus.CONTACTED and case.first_contact_at is None:
            case.first_contact_at = now
            fields.append("first_contact_at")
        if status == CaseStatus.RESOLVED:
            case.root_cause = causes[root_cause or ""]
            case.resolution_note = (resolution_note or "").strip()[:MAX_BODY]
            case.recovered = recovered
            case.resolved_at = now
            fields += ["root_cause", "resolution_note", "recovered", "resolved_at"]
        if status == CaseStatus.CLOSED:
            case.closed_at = now
            fields.append("closed_at")
        if status == CaseStatus.IN_PROGRESS and before in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            # Reopened: the earlier resolution stays in the timeline, not on the case.
            case.resolved_at = case.closed_at = case.root_cause = case.recovered = None
            case.resolution_note = ""
            fields += ["resolved_at", "closed_at", "root_cause", "recovered", "resolution_note"]
        case.save(update_fields=fields)
        CaseEvent.objects.create(case=case, kind=CaseEventKind.STATUS, actor=actor, from_status=before,
                                 to_status=status, at=now, body=case.resolution_note if status == "resolved" else "",
                                 data={"root_cause": root_cause, "recovered": recovered} if status == "resolved"
                                 else {})
        kind = webhook_sign.CASE_RESOLVED if status == CaseStatus.RESOLVED else webhook_sign.CASE_UPDATED
        _case_event(case, kind, {"status": [before, status]}, serial=f"{now.isoformat()}")
    return case


def assign(*, case: Case, assignee: User | None, actor: User | None, team: Team | None = None) -> Case:
    """Give the case to a member of the organisation (and optionally another team); a new case becomes
    assigned."""
    with transaction.atomic():
        case = _locked(case)
        if assignee is not None and not Membership.objects.filter(org_id=case.org_id, user=assignee).exists():
            raise CaseError("assignee: not a member of this organisation", field="assignee", status=404)
        if team is not None and team.org_id != case.org_id:
            raise CaseError("team: not found", field="team", status=404)
        now = timezone.now()
        changes: dict[str, Any] = {}
        if assignee != case.assignee:
            changes["owner"] = [case.assignee.email if case.assignee else None, assignee.email if assignee else None]
            case.assignee = assignee
        if team is not None and team.pk != case.team_id:
            changes["team"] = [case.team.name if case.team else None, team.name]
            case.team = team
        before = case.status
        if assignee is not None and case.status == CaseStatus.NEW:
            case.status = CaseStatus.ASSIGNED
            changes["status"] = [before, case.status]
        elif assignee is None and case.status == CaseStatus.ASSIGNED:  # unassigned: back to the team's queue
            case.status = CaseStatus.NEW
            changes["status"] = [before, case.status]
        if not changes:
            return case
        case.updated_at = now
        case.save(update_fields=["assignee", "team", "status", "updated_at"])
        CaseEvent.objects.create(case=case, kind=CaseEventKind.ASSIGNED, actor=actor, from_status=before,
                                 to_status=case.status, at=now, data=dict(changes))
        _case_event(case, webhook_sign.CASE_UPDATED, changes, serial=now.isoformat())
    return case


def bulk_assign(*, cases: Iterable[Case], assignee: User | None, actor: User | None) -> int:
    """Assign several cases, all or none."""
    done = 0
    with transaction.atomic():
        for case in cases:
            assign(case=case, assignee=assignee, actor=actor)
            done += 1
    return done


def mentioned(org_id: int, body: str) -> list[User]:
    """Members named in a comment as ``@email`` or ``@name-before-the-at`` (``@li.na``)."""
    found: dict[int, User] = {}
    members = User.objects.filter(memberships__org_id=org_id, is_active=True)
    for token in MENTION.findall(body):
        token = token.rstrip(".,;:!?")
        user = (members.filter(email=token.lower()).first() if "@" in token
                else members.filter(email__istartswith=token.lower() + "@").first())
        if user is not None:
            found[user.pk] = user
    return list(found.values())


def comment(*, case: Case, actor: User | None, body: str) -> CaseEvent:
    """An internal comment; members @mentioned get an e-mail with a link to the case."""
    from cxloop.orgs.tasks import send_email

    body = (body or "").strip()
    if not body:
        raise CaseError("body: write something", field="body")
    if len(body) > MAX_BODY:
        raise CaseError(f"body: at most {MAX_BODY} characters", field="body")
    with transaction.atomic():
        case = _locked(case)
        people = mentioned(case.org_id, body)
        event = CaseEvent.objects.create(case=case, kind=CaseEventKind.COMMENT, actor=actor, body=body,
                                         data={"mentions": [u.email for u in people]})
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        link = case_link(case)
        for user in people:
            subject = f"[cxloop] #{case.number} {case.title}"[:200]
            text = f"{actor or 'cxloop'}:\n\n{body}\n\n{link}\n"
            transaction.on_commit(partial(send_email.enqueue, subject=subject, body=text, to=[user.email]),
                                  robust=True)
    return event


def reply(*, case: Case, actor: User | None, subject: str, body: str) -> CaseEvent:
    """E-mail the customer from the case (logged on the timeline; the first reply is the first contact)."""
    from cxloop.orgs.tasks import send_email

    body, subject = (body or "").strip(), (subject or "").strip()
    if not body:
        raise CaseError("body: write the reply", field="body")
    if len(body) > MAX_BODY:
        raise CaseError(f"body: at most {MAX_BODY} characters", field="body")
    with transaction.atomic():
        case = _locked(case)
        if case.contact is None or not case.contact.email:
            raise CaseError("contact: this case's customer has no e-mail address", field="contact", status=409)
        subject = subject or f"{case.org.name}: {case.survey.name if case.survey else case.title}"
        now = timezone.now()
        event = CaseEvent.objects.create(case=case, kind=CaseEventKind.REPLY, actor=actor, body=body, at=now,
                                         data={"to": case.contact.email, "subject": subject[:200]})
        fields = ["updated_at"]
        case.updated_at = now
        if case.first_contact_at is None:
            case.first_contact_at = now
            fields.append("first_contact_at")
        before = case.status
        if case_flow.can_transition(case.status, CaseStatus.CONTACTED) and case.status in (
                CaseStatus.NEW, CaseStatus.ASSIGNED):
            case.status = CaseStatus.CONTACTED
            fields.append("status")
        case.save(update_fields=fields)
        if before != case.status:
            CaseEvent.objects.create(case=case, kind=CaseEventKind.STATUS, actor=actor, from_status=before,
                                     to_status=case.status, at=now)
        transaction.on_commit(partial(send_email.enqueue, subject=subject[:200], body=body, to=[case.contact.email]),
                              robust=True)
        _case_event(case, webhook_sign.CASE_UPDATED, {"reply": [None, subject[:200]]}, serial=now.isoformat())
    return event


def set_priority(*, case: Case, priority: str, actor: User | None) -> Case:
    if priority not in Priority.values:
        raise CaseError(f"priority: one of {', '.join(Priority.values)}", field="priority")
    with transaction.atomic():
        case = _locked(case)
        if case.priority == priority:
            return case
        before, case.priority, case.updated_at = case.priority, priority, timezone.now()
        case.save(update_fields=["priority", "updated_at"])
        CaseEvent.objects.create(case=case, kind=CaseEventKind.PRIORITY, actor=actor,
                                 data={"priority": [before, priority]})
        _case_event(case, webhook_sign.CASE_UPDATED, {"priority": [before, priority]},
                    serial=case.updated_at.isoformat())
    return case


# --- SLA ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalated:
    case_ids: list[int]


def escalate_breaches(now: datetime | None = None) -> Escalated:
    """Open cases past their first-contact or resolution target, not escalated yet: raise the priority, log
    it, e-mail the team lead (run by the clock task)."""
    from cxloop.orgs.tasks import send_email

    now = now or timezone.now()
    late = (Case.objects.filter(escalated_at=None)
            .exclude(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])
            .filter(Q(resolve_due__lt=now) | Q(first_contact_due__lt=now, first_contact_at=None))
            .values_list("pk", flat=True)[:500])
    done = []
    for pk in list(late):
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).select_related(
                "org", "team", "team__lead", "assignee", "contact", "survey", "rule", "root_cause") \
                .filter(pk=pk, escalated_at=None).first()
            if case is None:
                continue
            before = case.priority
            case.priority = case_flow.priority_raised(case.priority)
            case.escalated_at = now
            case.save(update_fields=["priority", "escalated_at"])
            which = "resolve" if case.resolve_due and case.resolve_due < now else "first_contact"
            CaseEvent.objects.create(case=case, kind=CaseEventKind.ESCALATED, at=now,
                                     data={"breached": which, "priority": [before, case.priority]})
            _case_event(case, webhook_sign.CASE_UPDATED, {"priority": [before, case.priority],
                                                          "escalated": [None, which]}, serial=f"esc-{now.isoformat()}")
            lead = case.team.lead if case.team else None
            if lead is not None and lead.email:
                subject = f"[cxloop] SLA breached: #{case.number} {case.title}"[:200]
                text = f"{case_link(case)}\n"
                transaction.on_commit(partial(send_email.enqueue, subject=subject, body=text, to=[lead.email]),
                                      robust=True)
            done.append(case.pk)
    return Escalated(done)


def sla_state(case: Case, now: datetime | None = None) -> tuple[str, datetime | None]:
    """("ok" | "due_soon" | "breached" | "met" | "", the due time that counts now)."""
    now = now or timezone.now()
    when = clock(case.sla_clock)
    if not case.is_open:
        if case.resolve_due and case.resolved_at:
            return ("met" if case.resolved_at <= case.resolve_due else "breached"), case.resolve_due
        return "", None
    due = case.first_contact_due if case.first_contact_at is None else case.resolve_due
    if due is None:
        return "", None
    return sla.status(due, now, start=case.opened_at, clock=when), due


def cases_of_team(org: Organization, team_ids: Sequence[int]) -> Any:
    return Case.objects.filter(org=org, team_id__in=team_ids)
