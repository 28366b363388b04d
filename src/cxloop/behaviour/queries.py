"""Organisation-scoped reads of stored events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxloop.behaviour.models import Event
from cxloop.orgs.models import Organization


def events(org: Organization, *, name: str | None = None, contact: str | None = None,
           anonymous_id: str | None = None, touchpoint: str | None = None, since: datetime | None = None,
           until: datetime | None = None, before: int | None = None, limit: int = 100) -> list[Event]:
    qs = Event.objects.filter(org=org).select_related("contact", "account")
    if name:
        qs = qs.filter(name=name)
    if contact:
        qs = qs.filter(contact__external_id=contact, contact__org=org)
    if anonymous_id:
        qs = qs.filter(anonymous_id=anonymous_id)
    if touchpoint:
        qs = qs.filter(touchpoint=touchpoint)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    if before:
        qs = qs.filter(pk__lt=before)
    return list(qs.order_by("-pk")[:limit])


def event_body(e: Event) -> dict[str, Any]:
    return {"id": e.pk, "event": e.name, "timestamp": e.at.isoformat(),
            "contact": e.contact.external_id if e.contact else None, "anonymous_id": e.anonymous_id or None,
            "account": e.account.external_id if e.account else None, "touchpoint": e.touchpoint,
            "properties": e.properties, "id_from_client": e.client_id or None, "source": e.source,
            "received_at": e.received_at.isoformat()}
