"""Events API: ``POST /events`` stores a batch of behavioural events (up to 1,000; idempotent by the client's
event id; each bad item reported with its field and reason while the good ones are stored), ``GET /events``
lists stored events newest first (filters ``event``, ``contact``, ``anonymous_id``, ``touchpoint``, ``since``,
``until``; keyset paging with ``before``).

The organisation comes from the API key (or ``?org=`` for a signed-in user). Sending needs the member role,
reading the viewer role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from cxloop.api.schemas import Moment, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.behaviour import ingest, queries
from cxloop.core import events as core
from cxloop.orgs.access import READ, WORK
from cxloop.orgs.services import ServiceError

router = Router(tags=["events"])


class EventsIn(Schema):
    events: Any = Field(
        None, description=f"Up to {core.MAX_BATCH} events: {{event, timestamp, contact | anonymous_id, account, "
        "touchpoint, properties, id}}")


@router.post("/events", response={200: dict[str, Any], **ERRORS},
             summary="Store up to 1,000 behavioural events; a result per item")
def post_events(request: HttpRequest, payload: EventsIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(WORK)  # before the body is judged: a viewer learns nothing about it
    if payload.events is None:
        raise ServiceError("events: is required (a list of up to 1,000 events)", field="events", status=422)
    try:
        result = ingest.ingest(a.org, payload.events)
    except ValueError as exc:
        raise ServiceError(f"events: {exc}", field="events", status=422) from exc
    return result.as_dict()


class EventFilter(Schema):
    event: str | None = None
    contact: str | None = None
    anonymous_id: str | None = None
    touchpoint: str | None = None
    since: Moment | None = None
    until: Moment | None = None
    before: int | None = Field(None, description="the id of the last event of the previous page")
    limit: int = 100


@router.get("/events", response={200: dict[str, Any], **ERRORS}, summary="List stored events, newest first")
def list_events(request: HttpRequest, filters: Query[EventFilter], org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(READ)
    limit = max(1, min(filters.limit, 1000))
    rows = queries.events(a.org, name=filters.event, contact=filters.contact, anonymous_id=filters.anonymous_id,
                          touchpoint=filters.touchpoint, since=filters.since, until=filters.until,
                          before=filters.before, limit=limit)
    items = [queries.event_body(e) for e in rows]
    return {"items": items, "next_before": items[-1]["id"] if len(items) == limit else None}
