"""Tracking from the website widget: ``cxloop('page')`` and ``cxloop('track', name, props)`` on the customer's
site send events to ``POST /api/v1/track/<site key>`` with the organisation's public site key.

The key is public (it sits in the site's HTML), so what it allows is narrow:

* **write-only**: it adds events; nothing is ever read back with it (the answer is counts);
* **who**: the browser's anonymous id (``anonymous_id``, kept by the widget in localStorage) and, when the page
  says so, the site's own user id (``uid``): the event is filed under the contact with that external id **if one
  exists** in the organisation, else under the anonymous id. Never an account, never another field of identity;
* **what**: any event name except the account-level decisions (``renewed``, ``churned``) that only the
  organisation's servers may send; ``properties`` and ``touchpoint`` as the API checks them; the time is the
  server's clock on arrival (a browser's clock is not trusted), each event a microsecond after the one before;
* **limits**: a body of at most ``MAX_BODY`` bytes and ``MAX_EVENTS`` events; ``RATE_PER_MINUTE`` events per
  minute from one address and ``KEY_RATE_PER_MINUTE`` per key (per server process; 429 beyond);
* **where from**: when ``SiteKey.origins`` lists sites, only requests whose ``Origin`` is one of them (403
  otherwise); the answer carries ``Access-Control-Allow-Origin`` for that origin (``*`` when the list is empty).

The widget's client ids get the prefix ``w:`` so a page can never claim an id the organisation's own clients
use. Stored with ``source = "widget"``."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.utils import timezone

from cxloop.behaviour import ingest
from cxloop.behaviour.models import EventSource, SiteKey
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import ServiceError, audit

MAX_BODY = 32 * 1024
MAX_EVENTS = 50
RATE_PER_MINUTE = 300
KEY_RATE_PER_MINUTE = 20_000
MAX_ORIGINS = 20
SERVER_ONLY = frozenset({"renewed", "churned"})
KEY_PATTERN = re.compile(r"^cxs_[A-Za-z0-9_-]{20,40}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


# --- the key -------------------------------------------------------------------------------------------------


def _new_key() -> str:
    return "cxs_" + secrets.token_urlsafe(18)


def site_key(org: Organization) -> SiteKey:
    """The organisation's site key, made on first use."""
    found = SiteKey.objects.filter(org=org).first()
    if found is None:
        found, _created = SiteKey.objects.get_or_create(org=org, defaults={"key": _new_key()})
    return found


def rotate(org: Organization, *, actor: User | None = None) -> SiteKey:
    """A new key; the old one stops working at once."""
    key = site_key(org)
    key.key = _new_key()
    key.save(update_fields=["key"])
    audit("site_key.rotated", org=org, actor=actor, target=key.key[:12])
    return key


def clean_origins(raw: str | list[str]) -> list[str]:
    """Origins from text (one per line or separated by commas/spaces) or a list; ServiceError naming
    ``origins`` for a value that is not ``scheme://host[:port]``."""
    parts = re.split(r"[\s,]+", raw) if isinstance(raw, str) else [str(p) for p in raw]
    found: list[str] = []
    for part in (p.strip().rstrip("/") for p in parts):
        if not part:
            continue
        split = urlsplit(part)
        if not _ORIGIN.match(part) or not split.hostname or split.path or split.query:
            raise ServiceError(f"origins: {part!r} is not a site origin like https://shop.example.com",
                               field="origins")
        origin = f"{split.scheme}://{split.netloc.lower()}"
        if origin not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise ServiceError(f"origins: at most {MAX_ORIGINS} sites", field="origins")
    return found


def set_origins(org: Organization, raw: str | list[str], *, actor: User | None = None) -> SiteKey:
    key = site_key(org)
    key.origins = clean_origins(raw)
    key.save(update_fields=["origins"])
    audit("site_key.origins", org=org, actor=actor, target=key.key[:12], origins=key.origins)
    return key


# --- collecting ------------------------------------------------------------------------------------------------


@dataclass
class Collected:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    allow_origin: str = ""  # the Access-Control-Allow-Origin value ("" = none)


def allowed_origin(key: SiteKey, origin: str) -> str | None:
    """The Access-Control-Allow-Origin for a request from ``origin``, or None when the key refuses it."""
    if not key.origins:
        return "*"
    origin = origin.strip().rstrip("/").lower()
    return origin if origin and origin in key.origins else None


def find_key(value: str) -> SiteKey | None:
    if not KEY_PATTERN.match(value or ""):
        return None
    return SiteKey.objects.select_related("org").filter(key=value).first()


def _over_limit(bucket: str, count: int, limit: int, now: datetime) -> bool:
    name = f"cxtrack:{bucket}:{int(now.timestamp() // 60)}"
    cache.add(name, 0, timeout=120)
    try:
        total = cache.incr(name, count)
    except ValueError:  # expired in between
        cache.set(name, count, timeout=120)
        total = count
    return total > limit


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def to_items(payload: Any, now: datetime) -> tuple[list[Any], list[dict[str, Any]]]:
    """The API items of a widget payload, and the events refused before ingest ({index, field, reason})."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ServiceError('body: give {"events": [...]} as JSON', field="events", status=400)
    events = payload["events"]
    if len(events) > MAX_EVENTS:
        raise ServiceError(f"events: at most {MAX_EVENTS} per request", field="events", status=413)
    anonymous = _text(payload.get("anonymous_id"), 200)
    uid = _text(payload.get("uid"), 100)
    items: list[Any] = []
    refused: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            items.append(event)  # core.events.check names the problem
            continue
        name = event.get("event")
        if isinstance(name, str) and name.strip() in SERVER_ONLY:
            refused.append({"index": index, "field": "event",
                            "reason": f"{name.strip()} is sent by the organisation's servers, not the widget"})
            items.append(None)
            continue
        # Never without an anonymous id: an unknown uid then files the event anonymously instead of being refused
        # (a refusal would tell the page which contacts exist).
        fallback = anonymous or (f"site-user:{uid}" if uid else "")
        item: dict[str, Any] = {"event": name, "timestamp": (now + timedelta(microseconds=index)).isoformat(),
                                "anonymous_id": _text(event.get("anonymous_id"), 200) or fallback}
        if uid:
            item["contact"] = uid
        for key in ("properties", "touchpoint"):
            if event.get(key) not in (None, ""):
                item[key] = event[key]
        client_id = _text(event.get("id"), 190)
        if client_id:
            item["id"] = "w:" + client_id
        items.append(item)
    return items, refused


def collect(value: str, *, body: bytes, origin: str, ip: str, now: datetime | None = None) -> Collected:
    """One request of the widget: check the key, origin, size and rate, then store the good events."""
    key = find_key(value)
    if key is None:
        return Collected(404, {"detail": "Unknown site key."})
    allow = allowed_origin(key, origin)
    if allow is None:
        return Collected(403, {"detail": "This site is not allowed to send events with this key."})
    if len(body) > MAX_BODY:
        return Collected(413, {"detail": f"body: at most {MAX_BODY // 1024} KB"}, allow)
    now = now or timezone.now()
    try:
        payload = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return Collected(400, {"detail": "body: not JSON"}, allow)
    try:
        items, refused = to_items(payload, now)
    except ServiceError as exc:
        return Collected(exc.status, {"detail": exc.message, "field": exc.field}, allow)
    count = max(1, len(items))
    if _over_limit(f"ip:{key.pk}:{ip}", count, RATE_PER_MINUTE, now) or \
            _over_limit(f"key:{key.pk}", count, KEY_RATE_PER_MINUTE, now):
        return Collected(429, {"detail": "Too many events; slow down."}, allow)
    positions = [i for i, item in enumerate(items) if item is not None]
    result = ingest.ingest(key.org, [items[i] for i in positions], source=EventSource.WIDGET, now=now)
    rejected = list(refused)
    for position, outcome in zip(positions, result.items, strict=True):
        if outcome.status == ingest.REJECTED:
            rejected.append({"index": position, "field": outcome.field, "reason": outcome.reason})
    rejected.sort(key=lambda r: r["index"])
    return Collected(202, {"stored": result.stored, "duplicates": result.duplicates, "rejected": rejected}, allow)
