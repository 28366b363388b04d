"""The events fast path: ``POST /api/v1/events`` with an API key, answered without Django's request handling.

``cxloop.api.gateway`` hands it the raw body. It answers only what the full path (``cxloop.api.events``) would
answer the same way: an active API key with the member role, a JSON object whose ``events`` is a list of at most
``core.MAX_BATCH`` items. The items are then checked and stored by the same ``ingest.ingest_for`` as the full
path, so each item's status and reason are the same. Anything else (a malformed body, a missing list, too many
items, a key whose last-use time is due, a key of the wrong role) returns ``None`` and Django gives the
canonical answer."""

from __future__ import annotations

from typing import Any

import orjson

from cxloop.behaviour import ingest
from cxloop.core import events as core
from cxloop.orgs.models import Role
from cxloop.orgs.services import api_key_identity
from cxloop.surveys.capture import Answered

CAPTURE_ROLE = Role.MEMBER  # cxloop.orgs.access.WORK, which the full path requires


def capture(*, api_key: str, raw: bytes) -> Answered | None:
    try:
        payload: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict):
        return None
    items = payload.get("events")
    if not isinstance(items, list) or len(items) > core.MAX_BATCH:
        return None
    who = api_key_identity(api_key)
    if who is None or not Role.at_least(who.role, CAPTURE_ROLE):
        return None
    return Answered(200, ingest.ingest_for(who.org_id, items).as_dict())
