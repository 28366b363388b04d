"""API of the closed loop: webhooks (register, list, rotate, deliveries, redeliver), alert rules and cases
(list, read, move, assign, comment, reply).

The organisation comes from the API key (or ``?org=<slug>`` for a signed-in user); another organisation's
webhook, rule or case is a 404. Webhooks and rules need the admin role; working cases the member role.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from cxloop.api.schemas import Id, Schema
from cxloop.api.surveys import caller
from cxloop.cases import queries as case_queries
from cxloop.cases import services as cases
from cxloop.cases.models import AlertRule, Case, CaseEvent
from cxloop.notify import services as notify
from cxloop.notify.models import Delivery, Endpoint
from cxloop.orgs.access import MANAGE, READ, WORK, Actor, NotFound, one_or_404
from cxloop.orgs.models import Team, User

router = Router(tags=["closed loop"])
ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 422): dict[str, Any]}


# --- webhooks -------------------------------------------------------------------------------------


# Request bodies default every field, so a caller without the right (or another organisation's id) hears
# 403 / 404 before any complaint about the body; the services name a missing field (422).


class WebhookIn(Schema):
    url: str = ""
    events: list[str] = ["*"]
    name: str = ""
    format: str | None = None
    chat_secret: str = ""
    team: Id | None = None


def webhook_out(e: Endpoint, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": e.pk, "name": e.name, "url": e.url, "events": e.events, "format": e.format,
                           "active": e.active, "team": e.team_id, "created_at": e.created_at}
    if secret is not None:
        out["secret"] = secret
    return out


def _endpoint(a: Actor, webhook_id: int) -> Endpoint:
    endpoint = one_or_404(Endpoint.objects.filter(org=a.org).select_related("org"), webhook_id, "Webhook")
    a.require(MANAGE)
    return endpoint


@router.post("/webhooks", response={201: dict[str, Any], **ERRORS}, summary="Register a webhook; the secret is "
             "shown once")
def create_webhook(request: HttpRequest, body: WebhookIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    team = one_or_404(Team.objects.filter(org=a.org), body.team, "Team") if body.team is not None else None
    endpoint, secret = notify.create_endpoint(org=a.org, name=body.name, url=body.url, events=body.events,
                                              format=body.format, chat_secret=body.chat_secret, team=team,
                                              actor=a.user)
    return Status(201, webhook_out(endpoint, secret))


@router.get("/webhooks", response={200: dict[str, Any], **ERRORS}, summary="The organisation's webhooks")
def list_webhooks(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    return {"items": [webhook_out(e) for e in Endpoint.objects.filter(org=a.org).order_by("pk")]}


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, summary="Remove a webhook")
def delete_webhook(request: HttpRequest, webhook_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    notify.delete_endpoint(endpoint=_endpoint(a, webhook_id), actor=a.user)
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/rotate-secret", response={200: dict[str, Any], **ERRORS},
             summary="A new signing secret (the old one keeps signing for 24 hours)")
def rotate_webhook_secret(request: HttpRequest, webhook_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    endpoint = _endpoint(a, webhook_id)
    secret = notify.rotate_secret(endpoint=endpoint, actor=a.user)
    return webhook_out(endpoint, secret)


def delivery_out(d: Delivery, *, log: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.pk, "event": {"id": d.event_id, "type": d.event.type, "created_at": d.event.created_at},
        "status": d.status, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
        "delivered_at": d.delivered_at, "last_status": d.last_status, "last_error": d.last_error or None}
    if log:
        out["log"] = [{"number": x.number, "at": x.started_at, "status_code": x.status_code, "error": x.error or None,
                       "duration_ms": x.duration_ms, "answer": x.answer, "ok": x.ok, "manual": x.manual}
                      for x in d.log.order_by("number")]
    return out


@router.get("/webhooks/{webhook_id}/deliveries", response={200: dict[str, Any], **ERRORS},
            summary="The latest deliveries, newest first, with their attempts")
def list_deliveries(request: HttpRequest, webhook_id: int, status: str | None = None, limit: int = 50,
                    org: str | None = None) -> Any:
    a = caller(request, org)
    endpoint = _endpoint(a, webhook_id)
    qs = Delivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return {"items": [delivery_out(d, log=True) for d in qs[:max(1, min(limit, 500))]]}


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response={200: dict[str, Any], **ERRORS},
             summary="Send that event again now (same event id, fresh signature)")
def redeliver(request: HttpRequest, webhook_id: int, delivery_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    endpoint = _endpoint(a, webhook_id)
    delivery = one_or_404(Delivery.objects.filter(endpoint=endpoint).select_related("event", "endpoint__org"),
                          delivery_id, "Delivery")
    result = notify.redeliver(delivery=delivery, actor=a.user)
    delivery.refresh_from_db()
    return {"result": result, **delivery_out(delivery, log=True)}


# --- rules ----------------------------------------------------------------------------------------


class RuleIn(Schema):
    name: str = ""
    when: Any = None
    then: Any = None
    promoter: bool = False
    enabled: bool = True


def rule_out(r: AlertRule) -> dict[str, Any]:
    return {"id": r.pk, "name": r.name, "enabled": r.enabled, "position": r.position, "fired": r.fired,
            "last_fired_at": r.last_fired_at, **{k: v for k, v in r.definition.items() if k != "name"}}


@router.post("/rules", response={201: dict[str, Any], **ERRORS}, summary="Create an alert rule (docs/rules.md)")
def create_rule(request: HttpRequest, body: RuleIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(MANAGE)
    rule = cases.save_rule(org=a.org, name=body.name, enabled=body.enabled, actor=a.user,
                           definition={"when": body.when, "then": body.then, "promoter": body.promoter})
    return Status(201, rule_out(rule))


@router.get("/rules", response={200: dict[str, Any], **ERRORS}, summary="The organisation's alert rules")
def list_rules(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    return {"items": [rule_out(r) for r in AlertRule.objects.filter(org=a.org).order_by("position", "pk")]}


@router.get("/rules/{rule_id}", response={200: dict[str, Any], **ERRORS}, summary="One alert rule")
def get_rule(request: HttpRequest, rule_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    return rule_out(one_or_404(AlertRule.objects.filter(org=a.org), rule_id, "Rule"))


@router.put("/rules/{rule_id}", response={200: dict[str, Any], **ERRORS}, summary="Replace an alert rule")
def update_rule(request: HttpRequest, rule_id: int, body: RuleIn, org: str | None = None) -> Any:
    a = caller(request, org)
    rule = one_or_404(AlertRule.objects.filter(org=a.org), rule_id, "Rule")
    a.require(MANAGE)
    rule = cases.save_rule(org=a.org, name=body.name, enabled=body.enabled, rule=rule, actor=a.user,
                           definition={"when": body.when, "then": body.then, "promoter": body.promoter})
    return rule_out(rule)


@router.delete("/rules/{rule_id}", response={204: None, **ERRORS}, summary="Delete an alert rule")
def delete_rule(request: HttpRequest, rule_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    rule = one_or_404(AlertRule.objects.filter(org=a.org).select_related("org"), rule_id, "Rule")
    a.require(MANAGE)
    cases.delete_rule(rule=rule, actor=a.user)
    return Status(204, None)


# --- cases ----------------------------------------------------------------------------------------


def _case(a: Actor, number: int) -> Case:
    case = case_queries.with_relations(Case.objects.filter(org=a.org, number=number)).first()
    if case is None:
        raise NotFound(f"Case {number} not found.")
    case.org = a.org
    return case


def case_out(case: Case) -> dict[str, Any]:
    state, due = cases.sla_state(case)
    return {**cases.case_data(case), "sla": {"state": state or None, "due": due}}


@router.get("/cases", response={200: dict[str, Any], **ERRORS}, summary="Cases, newest first")
def list_cases(request: HttpRequest, status: str | None = None, team: Id | None = None,
               assignee: str | None = None, limit: int = 50, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    qs = case_queries.with_relations(Case.objects.filter(org=a.org)).order_by("-opened_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    if team is not None:
        qs = qs.filter(team_id=team)
    if assignee:
        qs = qs.filter(assignee__email=assignee.lower())
    found = list(qs[:max(1, min(limit, 500))])
    for case in found:
        case.org = a.org  # the caller's organisation, already loaded (the case link needs its slug)
    return {"items": [case_out(c) for c in found]}


@router.get("/cases/{number}", response={200: dict[str, Any], **ERRORS}, summary="One case with its timeline")
def get_case(request: HttpRequest, number: int, org: str | None = None) -> Any:
    a = caller(request, org)
    case = _case(a, number)
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")
    return {**case_out(case), "timeline": [
        {"kind": e.kind, "at": e.at, "actor": e.actor.email if e.actor else None, "from_status": e.from_status or None,
         "to_status": e.to_status or None, "body": e.body or None, "data": e.data} for e in events]}


class TransitionIn(Schema):
    status: str = ""
    root_cause: str | None = None
    resolution_note: str | None = None
    recovered: bool | None = None


@router.post("/cases/{number}/transition", response={200: dict[str, Any], **ERRORS},
             summary="Move a case (resolving needs root_cause and resolution_note)")
def transition(request: HttpRequest, number: int, body: TransitionIn, org: str | None = None) -> Any:
    a = caller(request, org)
    case = _case(a, number)
    a.require(WORK)
    case = cases.transition(case=case, status=body.status, actor=a.user, root_cause=body.root_cause,
                            resolution_note=body.resolution_note, recovered=body.recovered)
    return case_out(case)


class AssignIn(Schema):
    assignee: str | None = None  # e-mail address; null to unassign
    team: Id | None = None


@router.post("/cases/{number}/assign", response={200: dict[str, Any], **ERRORS}, summary="Assign a case")
def assign(request: HttpRequest, number: int, body: AssignIn, org: str | None = None) -> Any:
    a = caller(request, org)
    case = _case(a, number)
    a.require(WORK)
    user = None
    if body.assignee:
        user = User.objects.filter(email=body.assignee.lower(), memberships__org=a.org).first()
        if user is None:
            raise cases.CaseError("assignee: not a member of this organisation", field="assignee", status=404)
    team = one_or_404(Team.objects.filter(org=a.org), body.team, "Team") if body.team is not None else None
    return case_out(cases.assign(case=case, assignee=user, team=team, actor=a.user))


class CommentIn(Schema):
    body: str = ""


@router.post("/cases/{number}/comments", response={201: dict[str, Any], **ERRORS},
             summary="An internal comment (@mentions e-mail the members named)")
def add_comment(request: HttpRequest, number: int, body: CommentIn, org: str | None = None) -> Any:
    a = caller(request, org)
    case = _case(a, number)
    a.require(WORK)
    event = cases.comment(case=case, actor=a.user, body=body.body)
    return Status(201, {"kind": event.kind, "at": event.at, "body": event.body,
                        "mentions": event.data.get("mentions", [])})


class ReplyIn(Schema):
    subject: str = ""
    body: str = ""


@router.post("/cases/{number}/replies", response={201: dict[str, Any], **ERRORS},
             summary="E-mail the customer from the case (logged; the first reply is the first contact)")
def add_reply(request: HttpRequest, number: int, body: ReplyIn, org: str | None = None) -> Any:
    a = caller(request, org)
    case = _case(a, number)
    a.require(WORK)
    event = cases.reply(case=case, actor=a.user, subject=body.subject, body=body.body)
    return Status(201, {"kind": event.kind, "at": event.at, "to": event.data.get("to"),
                        "subject": event.data.get("subject")})
