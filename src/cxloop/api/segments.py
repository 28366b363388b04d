"""Segments and personas API: segments (``GET``/``POST /segments``, ``GET``/``PUT``/``DELETE /segments/{id}``,
``GET /segments/{id}/members`` paged with ``limit``/``offset``) with their live member count, and personas
(``GET``/``POST /personas``, ``GET``/``PUT``/``DELETE /personas/{id}`` with the members' live numbers when
``?stats=1&from=&to=``, ``POST /personas/{id}/comments``).

The organisation comes from the API key (or ``?org=`` for a signed-in user). Reading needs the viewer role,
commenting the member role, changing segments and personas the analyst role; another organisation's segment or
persona is a 404, and a bad input a 422 naming the field (a definition's problems at ``definition.<path>``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from cxloop.analytics import metrics_service
from cxloop.api.schemas import MAX_ID, Day, Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.core import metrics
from cxloop.core import segments as core
from cxloop.orgs.access import ANALYSE, WORK, Actor
from cxloop.segments import members, queries, services, stats
from cxloop.segments.models import LANGUAGES, Persona, PersonaComment, Segment

router = Router(tags=["segments and personas"])
MAX_PAGE = 500


def _n(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _estimate(e: metrics.Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"value": _n(e.value), "ci_low": _n(e.low), "ci_high": _n(e.high), "n": e.n, "too_few": e.too_few}


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or "en"


def _who(a: Actor) -> services.Who:
    return services.Who(user=a.user, api_key=a.api_key)


def segment_out(s: Segment) -> dict[str, Any]:
    try:
        condition = core.parse(s.definition)
        words = {lang: core.describe(condition, lang) for lang in LANGUAGES}
        count: int | None = members.members(s).count()
    except core.SegmentError:
        words, count = {}, None
    return {"id": s.pk, "name": s.name, "definition": s.definition, "description": words, "members": count,
            "created_at": s.created_at.isoformat(), "updated_at": s.updated_at.isoformat()}


class SegmentIn(Schema):
    name: Any = None
    definition: Any = None


@router.get("/segments", response={200: dict[str, Any], **ERRORS}, summary="The organisation's segments with "
            "their live member counts")
def list_segments(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"items": [segment_out(s) for s in queries.segments(a.org)]}


@router.post("/segments", response={201: dict[str, Any], **ERRORS}, summary="Create a segment (docs/segments.md)")
def create_segment(request: HttpRequest, body: SegmentIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    s = services.save_segment(org=a.org, name=body.name, definition=body.definition, who=_who(a))
    return Status(201, segment_out(s))


@router.get("/segments/{segment_id}", response={200: dict[str, Any], **ERRORS}, summary="One segment")
def get_segment(request: HttpRequest, segment_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    return segment_out(queries.segment(a.org, segment_id))


@router.put("/segments/{segment_id}", response={200: dict[str, Any], **ERRORS},
            summary="Change a segment's name and definition")
def update_segment(request: HttpRequest, segment_id: int, body: SegmentIn, org: str | None = None) -> Any:
    a = caller(request, org)
    segment = queries.segment(a.org, segment_id)
    a.require(ANALYSE)
    given = body.model_dump(exclude_unset=True)
    s = services.save_segment(org=a.org, segment=segment, name=given.get("name", segment.name),
                              definition=given.get("definition", segment.definition), who=_who(a))
    return segment_out(s)


@router.delete("/segments/{segment_id}", response={204: None, **ERRORS}, summary="Delete a segment")
def delete_segment(request: HttpRequest, segment_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    segment = queries.segment(a.org, segment_id)
    a.require(ANALYSE)
    services.delete_segment(segment=segment, who=_who(a))
    return Status(204, None)


class Page(Schema):
    limit: int = Field(100, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_ID)


@router.get("/segments/{segment_id}/members", response={200: dict[str, Any], **ERRORS},
            summary="The segment's members now, by name (limit/offset)")
def segment_members(request: HttpRequest, segment_id: int, page: Query[Page], org: str | None = None) -> Any:
    a = caller(request, org)
    segment = queries.segment(a.org, segment_id)
    qs = members.members(segment).select_related("account").order_by("name", "pk")
    items = [{"id": c.pk, "external_id": c.external_id, "name": c.name, "email": c.email, "language": c.language,
              "stakeholder_role": c.stakeholder_role,
              "account": None if c.account is None else {"id": c.account.pk, "external_id": c.account.external_id,
                                                         "name": c.account.name, "tier": c.account.tier,
                                                         "region": c.account.region}}
             for c in qs[page.offset:page.offset + page.limit]]
    return {"count": qs.count(), "limit": page.limit, "offset": page.offset, "items": items}


# --- personas ------------------------------------------------------------------------------------------


def _comment_out(c: PersonaComment) -> dict[str, Any]:
    author = None if c.author is None else {"id": c.author.pk, "name": c.author.display_name or c.author.email}
    return {"id": c.pk, "author": author, "body": c.body, "created_at": c.created_at.isoformat()}


def persona_out(p: Persona, *, comments: bool = False, numbers: stats.Stats | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.pk, "name": p.name, "initials": p.initials, "colour": p.colour, "role": p.role,
        "description": p.description, "goals": p.goals, "pains": p.pains, "jobs_to_be_done": p.jobs_to_be_done,
        "quotes": p.quotes, "segment": p.segment_id, "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat()}
    if comments:
        out["comments"] = [_comment_out(c) for c in queries.comments(p)]
    if numbers is not None:
        out["stats"] = {
            "from": numbers.start.isoformat(), "to": numbers.end.isoformat(), "members": numbers.members,
            "responses": numbers.responses, "nps": _estimate(numbers.nps), "csat": _estimate(numbers.csat),
            "comments": numbers.comments,
            "themes": [{"key": t.key, "label": t.label, "comments": t.count, "share": _estimate(t.share)}
                       for t in numbers.themes]}
    return out


class PersonaIn(Schema):
    name: Any = None
    role: Any = None
    initials: str | None = None
    colour: str | None = None
    description: Any = None
    goals: Any = None
    pains: Any = None
    jobs_to_be_done: Any = None
    quotes: Any = None
    segment: Id | None = None


class StatsParams(Schema):
    stats: bool = False
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None


@router.get("/personas", response={200: dict[str, Any], **ERRORS}, summary="The persona library")
def list_personas(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"items": [persona_out(p) for p in queries.personas(a.org)]}


@router.post("/personas", response={201: dict[str, Any], **ERRORS}, summary="Create a persona")
def create_persona(request: HttpRequest, body: PersonaIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    p = services.save_persona(org=a.org, data=body.model_dump(exclude_unset=True), who=_who(a))
    return Status(201, persona_out(p))


@router.get("/personas/{persona_id}", response={200: dict[str, Any], **ERRORS},
            summary="One persona with its comments; the members' live numbers with ?stats=1")
def get_persona(request: HttpRequest, persona_id: int, params: Query[StatsParams], org: str | None = None) -> Any:
    """With `stats=1`: the linked segment's member count now and, over the members' complete responses from
    `from` to `to` (default: the last twelve months), NPS (adjusted-Wald) and CSAT top-2-box (Wilson) with
    95 % intervals and the top themes of their comments (share with a Wilson interval). Without a segment
    `stats` is null."""
    a = caller(request, org)
    p = queries.persona(a.org, persona_id)
    out = persona_out(p, comments=True)
    if params.stats:
        start, end = metrics_service.date_range(params.from_, params.to)
        numbers = None if p.segment is None else stats.stats(p.segment, start=start, end=end,
                                                               language=_language(request))
        out = persona_out(p, comments=True, numbers=numbers)
        out.setdefault("stats", None)
    return out


@router.put("/personas/{persona_id}", response={200: dict[str, Any], **ERRORS},
            summary="Change a persona (fields left out keep their value)")
def update_persona(request: HttpRequest, persona_id: int, body: PersonaIn, org: str | None = None) -> Any:
    a = caller(request, org)
    persona = queries.persona(a.org, persona_id)
    a.require(ANALYSE)
    p = services.save_persona(org=a.org, persona=persona, data=body.model_dump(exclude_unset=True), who=_who(a))
    return persona_out(p)


@router.delete("/personas/{persona_id}", response={204: None, **ERRORS}, summary="Delete a persona")
def delete_persona(request: HttpRequest, persona_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    persona = queries.persona(a.org, persona_id)
    a.require(ANALYSE)
    services.delete_persona(persona=persona, who=_who(a))
    return Status(204, None)


class CommentIn(Schema):
    body: str = ""  # defaulted, so a caller without the right hears 403 / 404 before any complaint about it


@router.post("/personas/{persona_id}/comments", response={201: dict[str, Any], **ERRORS},
             summary="Comment on a persona")
def comment_persona(request: HttpRequest, persona_id: int, body: CommentIn, org: str | None = None) -> Any:
    a = caller(request, org)
    persona = queries.persona(a.org, persona_id)
    a.require(WORK)
    return Status(201, _comment_out(services.add_comment(persona=persona, body=body.body, who=_who(a))))
