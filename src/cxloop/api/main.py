"""The JSON API under /api/v1/. Endpoints parse input, call one query or service, return data.

Every route that names an organisation resolves the caller's standing in it first: a key or user
outside the organisation gets 404 (the organisation's existence is not revealed), a role too low
for a change gets 403, a missing/malformed/revoked key 401. Errors are always ``{"detail": ...}``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.parser import Parser

from cxloop.api.accounts import router as accounts_router
from cxloop.api.analytics import router as analytics_router
from cxloop.api.auth import AUTH, actor
from cxloop.api.events import router as events_router
from cxloop.api.exports import router as export_router
from cxloop.api.funnels import router as funnel_router
from cxloop.api.govern import router as govern_router
from cxloop.api.interop import router as interop_router
from cxloop.api.journeys import router as journey_router
from cxloop.api.loop import router as loop_router
from cxloop.api.privacy import router as privacy_router
from cxloop.api.schemas import (
    MAX_ID,
    AccountOut,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    AuditOut,
    ContactOut,
    ErrorOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatch,
    OrgOut,
    Schema,
    TeamIn,
    TeamOut,
    TeamPatch,
)
from cxloop.api.segments import router as segment_router
from cxloop.api.surveys import router as survey_router
from cxloop.api.texts import router as text_router
from cxloop.api.track import router as track_router
from cxloop.api.ux import router as ux_router
from cxloop.customers import queries as customer_queries
from cxloop.orgs import queries as org_queries
from cxloop.orgs import services
from cxloop.orgs.access import MANAGE, Forbidden
from cxloop.orgs.models import ApiKey, Role, Team, User


class NotAnObject(ValueError):
    pass


class ObjectParser(Parser):
    """Every JSON body of this API is an object. Without this a string, number or list would pass an input schema
    whose fields all have defaults as if nothing had been sent (ninja reads non-dicts by attribute)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise NotAnObject(f"expected a JSON object, got {type(data).__name__}")
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        """A parameter that takes one value given twice (``?team=1&team=2``) is refused, not read as the last; a
        value with a NUL character (``%00``) is refused (found by the fuzzer: PostgreSQL refuses NUL in text)."""
        for key in data:
            if key not in list_fields and len(data.getlist(key)) > 1:
                raise ValidationError([{"type": "duplicate", "loc": ("query", key),
                                        "msg": "given more than once; it takes one value"}])
            # PostgreSQL refuses NUL in text (a 500). Strings only: ``in`` on an uploaded file would read it through.
            if any(isinstance(value, str) and "\x00" in value for value in data.getlist(key)):
                raise ValidationError([{"type": "nul", "loc": ("query", key),
                                        "msg": "must not contain a NUL character"}])
        return super().parse_querydict(data, list_fields, request)


class Page(LimitOffsetPagination):
    """ninja's limit/offset with bounds: an unbounded limit reached the database (SQLite overflows past 2⁶³)."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=MAX_ID)


api = NinjaAPI(
    parser=ObjectParser(),
    title="cxloop API",
    version="1",
    description="Customer experience management: organisations, teams, customers, surveys. "
    "Authenticate with `Authorization: Bearer <API key>` (Settings → API keys, or `cxloop apikey create`).",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
)

ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 422): ErrorOut}


def _error(request: HttpRequest, status: int, detail: str, field: str = "") -> HttpResponse:
    body: dict[str, Any] = {"detail": detail}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=status)


@api.exception_handler(services.ServiceError)
def _service_error(request: HttpRequest, exc: services.ServiceError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.field)


@api.exception_handler(Forbidden)
def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return _error(request, 403, str(exc))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__  # ninja raises "Cannot parse request body" from the parser's error
    if isinstance(cause, NotAnObject):
        return _error(request, 400, "The request body must be a JSON object.", "body")
    if isinstance(cause, ValueError):  # json.JSONDecodeError, UnicodeDecodeError
        return _error(request, 400, f"The request body is not valid JSON: {cause}", "body")
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Authentication required: send 'Authorization: Bearer <API key>'.")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "payload", "query", "path"))
    detail = f"{loc}: {first.get('msg', 'invalid value')}" if loc else str(first.get("msg", "Invalid input."))
    return api.create_response(request, {"detail": detail, "field": loc, "errors": exc.errors}, status=422)


# --- organisations -------------------------------------------------------------------------------

orgs = Router(tags=["organisations"])


@orgs.get("/", response=list[OrgOut], summary="Organisations the caller belongs to")
def list_orgs(request: HttpRequest) -> list[dict[str, Any]]:
    auth: Any = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, ApiKey):
        o = auth.org
        return [{"id": o.pk, "name": o.name, "slug": o.slug, "default_language": o.default_language,
                 "role": auth.role}]
    return [
        {"id": m.org.pk, "name": m.org.name, "slug": m.org.slug, "default_language": m.org.default_language,
         "role": m.role}
        for m in org_queries.memberships_of(auth)
    ]


@orgs.get("/{org}", response={200: OrgOut, **ERRORS}, summary="One organisation")
def get_org(request: HttpRequest, org: str) -> dict[str, Any]:
    a = actor(request, org)
    return {"id": a.org.pk, "name": a.org.name, "slug": a.org.slug,
            "default_language": a.org.default_language, "role": a.role}


def _team_out(t: Team) -> dict[str, Any]:
    return {"id": t.pk, "name": t.name, "kind": t.kind, "lead_email": t.lead.email if t.lead else None,
            "description": t.description, "member_count": getattr(t, "member_count", 0)}


@orgs.get("/{org}/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams (departments)")
def list_teams(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    a = actor(request, org)
    return [_team_out(t) for t in org_queries.teams(a.org)]


def _lead(org: Any, email: str | None) -> User | None:
    if not email:
        return None
    lead = org_queries.member_user(org, email)
    if lead is None:
        raise services.ServiceError(f"{email} is not a member of this organisation.", field="lead_email")
    return lead


@orgs.post("/{org}/teams", response={201: TeamOut, **ERRORS}, summary="Create a team")
def create_team(request: HttpRequest, org: str, payload: TeamIn) -> Status:
    a = actor(request, org)
    a.require(MANAGE)
    team = services.save_team(org=a.org, name=payload.name, kind=payload.kind,
                              lead=_lead(a.org, payload.lead_email), description=payload.description,
                              actor=a.user)
    return Status(201, _team_out(org_queries.team(a.org, team.pk)))


@orgs.get("/{org}/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="One team")
def get_team(request: HttpRequest, org: str, team_id: int) -> dict[str, Any]:
    a = actor(request, org)
    return _team_out(org_queries.team(a.org, team_id))


@orgs.patch("/{org}/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="Change a team")
def update_team(request: HttpRequest, org: str, team_id: int, payload: TeamPatch) -> dict[str, Any]:
    a = actor(request, org)
    team = org_queries.team(a.org, team_id)
    a.require(MANAGE)
    lead = team.lead if payload.lead_email is None else _lead(a.org, payload.lead_email)
    services.save_team(org=a.org, team=team, name=payload.name if payload.name is not None else team.name,
                       kind=payload.kind or team.kind, lead=lead,
                       description=payload.description if payload.description is not None else team.description,
                       actor=a.user)
    return _team_out(org_queries.team(a.org, team_id))


@orgs.delete("/{org}/teams/{team_id}", response={204: None, **ERRORS}, summary="Delete a team")
def delete_team(request: HttpRequest, org: str, team_id: int) -> Status:
    a = actor(request, org)
    team = org_queries.team(a.org, team_id)
    a.require(MANAGE)
    services.delete_team(team=team, actor=a.user)
    return Status(204, None)


def _member_out(m: Any) -> dict[str, Any]:
    return {"id": m.pk, "email": m.user.email, "name": str(m.user), "role": m.role, "team_id": m.team_id,
            "joined_at": m.created_at}


@orgs.get("/{org}/members", response={200: list[MemberOut], **ERRORS}, summary="Members and their roles")
def list_members(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    a = actor(request, org)
    return [_member_out(m) for m in org_queries.members(a.org)]


@orgs.get("/{org}/members/{membership_id}", response={200: MemberOut, **ERRORS}, summary="One member")
def get_member(request: HttpRequest, org: str, membership_id: int) -> dict[str, Any]:
    a = actor(request, org)
    return _member_out(org_queries.member(a.org, membership_id))


@orgs.patch("/{org}/members/{membership_id}", response={200: MemberOut, **ERRORS}, summary="Change a role")
def update_member(request: HttpRequest, org: str, membership_id: int, payload: MemberPatch) -> dict[str, Any]:
    a = actor(request, org)
    m = org_queries.member(a.org, membership_id)
    a.require(MANAGE)
    if "owner" in (payload.role, m.role) and a.role != "owner":
        raise Forbidden("owner")
    if a.user is None:
        raise services.ServiceError("Roles are changed by a person, not an API key.", status=403)
    services.change_role(membership=m, role=payload.role, actor=a.user)
    return _member_out(org_queries.member(a.org, membership_id))


@orgs.delete("/{org}/members/{membership_id}", response={204: None, **ERRORS}, summary="Remove a member")
def delete_member(request: HttpRequest, org: str, membership_id: int) -> Status:
    a = actor(request, org)
    m = org_queries.member(a.org, membership_id)
    a.require(MANAGE)
    if m.role == "owner" and a.role != "owner":
        raise Forbidden("owner")
    if a.user is None:
        raise services.ServiceError("Members are removed by a person, not an API key.", status=403)
    services.remove_member(membership=m, actor=a.user)
    return Status(204, None)


def _invitation_out(i: Any) -> dict[str, Any]:
    return {"id": i.pk, "email": i.email, "role": i.role, "created_at": i.created_at,
            "expires_at": i.expires_at, "accepted_at": i.accepted_at, "revoked_at": i.revoked_at}


@orgs.get("/{org}/invitations", response={200: list[InvitationOut], **ERRORS}, summary="Invitations")
def list_invitations(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    a = actor(request, org)
    a.require(MANAGE)
    return [_invitation_out(i) for i in org_queries.invitations(a.org)]


@orgs.post("/{org}/invitations", response={201: InvitationOut, **ERRORS}, summary="Invite by e-mail")
def create_invitation(request: HttpRequest, org: str, payload: InvitationIn) -> Status:
    a = actor(request, org)
    a.require(MANAGE)
    team = org_queries.team(a.org, payload.team_id) if payload.team_id else None
    new = services.invite(org=a.org, email=payload.email, role=payload.role, actor=a.user, team=team)
    return Status(201, _invitation_out(new.invitation))


@orgs.delete("/{org}/invitations/{invitation_id}", response={204: None, **ERRORS}, summary="Revoke")
def delete_invitation(request: HttpRequest, org: str, invitation_id: int) -> Status:
    a = actor(request, org)
    a.require(MANAGE)
    services.revoke_invitation(invitation=org_queries.invitation(a.org, invitation_id), actor=a.user)
    return Status(204, None)


def _key_out(k: ApiKey) -> dict[str, Any]:
    return {"id": k.pk, "name": k.name, "role": k.role, "prefix": k.prefix, "created_at": k.created_at,
            "last_used_at": k.last_used_at, "revoked_at": k.revoked_at}


@orgs.get("/{org}/api-keys", response={200: list[ApiKeyOut], **ERRORS}, summary="API keys")
def list_keys(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    a = actor(request, org)
    a.require(MANAGE)
    return [_key_out(k) for k in org_queries.api_keys(a.org)]


@orgs.post("/{org}/api-keys", response={201: ApiKeyCreated, **ERRORS}, summary="Create a key (shown once)")
def create_key(request: HttpRequest, org: str, payload: ApiKeyIn) -> Status:
    a = actor(request, org)
    a.require(MANAGE)
    if payload.role in Role.values and not Role.at_least(a.role, payload.role):
        raise Forbidden(payload.role)  # a key never gets more power than its creator
    new = services.create_api_key(org=a.org, role=payload.role, name=payload.name, actor=a.user)
    return Status(201, {**_key_out(new.key), "key": new.plaintext})


@orgs.delete("/{org}/api-keys/{key_id}", response={204: None, **ERRORS}, summary="Revoke a key")
def revoke_key(request: HttpRequest, org: str, key_id: int) -> Status:
    a = actor(request, org)
    key = org_queries.api_key(a.org, key_id)
    a.require(MANAGE)
    services.revoke_api_key(key=key, actor=a.user)
    return Status(204, None)


@orgs.get("/{org}/audit-events", response={200: list[AuditOut], **ERRORS}, summary="Audit log")
@paginate(Page)
def list_audit(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    a = actor(request, org)
    a.require(MANAGE)
    return [
        {"id": e.pk, "action": e.action, "actor_email": e.actor.email if e.actor else None, "target": e.target,
         "ip_address": e.ip_address, "created_at": e.created_at}
        for e in org_queries.audit_events(a.org)[:1000]
    ]


# --- customers -----------------------------------------------------------------------------------

customers = Router(tags=["customers"])


@customers.get("/{org}/accounts", response={200: list[AccountOut], **ERRORS}, summary="B2B accounts")
@paginate(Page)
def list_accounts(request: HttpRequest, org: str, tier: str | None = None, q: str | None = None) -> Any:
    a = actor(request, org)
    return customer_queries.accounts(a.org, tier=tier, search=q)


@customers.get("/{org}/accounts/{account_id}", response={200: AccountOut, **ERRORS}, summary="One account")
def get_account(request: HttpRequest, org: str, account_id: int) -> Any:
    a = actor(request, org)
    return customer_queries.account(a.org, account_id)


@customers.get("/{org}/contacts", response={200: list[ContactOut], **ERRORS}, summary="Contacts")
@paginate(Page)
def list_contacts(request: HttpRequest, org: str, account_id: int | None = None) -> Any:
    a = actor(request, org)
    if account_id is not None and not 1 <= account_id <= MAX_ID:  # (@paginate hides the Id alias from ninja)
        raise services.ServiceError(f"account_id: no account has the id {account_id}.", field="account_id")
    return customer_queries.contacts(a.org, account_id=account_id)


@customers.get("/{org}/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="One contact")
def get_contact(request: HttpRequest, org: str, contact_id: int) -> Any:
    a = actor(request, org)
    return customer_queries.contact(a.org, contact_id)


api.add_router("/orgs", orgs)
api.add_router("/orgs", customers)
api.add_router("/", survey_router)
api.add_router("/", export_router)
api.add_router("/", analytics_router)
api.add_router("/", loop_router)
api.add_router("/", text_router)
api.add_router("/", journey_router)
api.add_router("/", accounts_router)
api.add_router("/", segment_router)
api.add_router("/", events_router)
api.add_router("/", track_router)
api.add_router("/", funnel_router)
api.add_router("/", ux_router)
api.add_router("/", govern_router)
api.add_router("/orgs", privacy_router)
api.add_router("/", interop_router)
