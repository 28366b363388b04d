"""Verbs of notifications: register endpoints, emit events (with their deliveries, in the caller's
transaction), attempt a delivery (claimed, sent, logged, retried on ``core.backoff``'s schedule), sweep what a
lost task left behind, and redeliver on request.

Event ``data`` carries a ``summary`` for people (``title``, ``severity``, ``score_label``, ``score``,
``comment``, ``customer``, ``link``, ``facts``): chat cards and e-mails are drawn from it, so this app needs to
know nothing about cases or responses.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Max, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxloop.core import backoff, chat_cards, netguard, webhook_sign
from cxloop.notify import http
from cxloop.notify.models import (
    CHAT_FORMATS,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    EndpointFormat,
    Event,
)
from cxloop.orgs.models import Organization, Team, User
from cxloop.orgs.services import ServiceError, audit

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # an attempt not finished by then may be taken over (the worker died)
ROTATION_OVERLAP = timedelta(hours=24)
USER_AGENT = "cxloop-webhooks/1"
SWEEP_LIMIT = 500
REFUSED = "refused:"
PARALLEL = 4  # deliveries sent at once by one worker


class NotifyError(ServiceError):
    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


# --- endpoints ------------------------------------------------------------------------------------


def _check_events(events: Sequence[str]) -> list[str]:
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise NotifyError("events: a list of event types", field="events")
    unknown = [e for e in events if e != "*" and e not in webhook_sign.EVENT_TYPES]
    if unknown:
        raise NotifyError(f"events: unknown event type {unknown[0]!r}; one of {', '.join(webhook_sign.EVENT_TYPES)} "
                          "or *", field="events")
    return list(dict.fromkeys(events))


def check_url(url: str) -> None:
    """A webhook URL we may post to (``core.netguard``), or a 422 naming why not."""
    try:
        netguard.check_target(url, allow_private=settings.ALLOW_PRIVATE_WEBHOOKS)
    except netguard.TargetRefused as refused:
        raise NotifyError(f"url: {refused.reason}", field="url") from None
    except OSError as exc:
        raise NotifyError(f"url: the host does not resolve ({exc})", field="url") from None


def create_endpoint(*, org: Organization, name: str, url: str = "", email: str = "", format: str | None = None,
                    events: Sequence[str] = ("*",), team: Team | None = None, chat_secret: str = "",
                    actor: User | None = None) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once)."""
    fmt = format or (chat_cards.kind_of(url) if url else None) or (EndpointFormat.EMAIL if email and not url
                                                                    else EndpointFormat.CXLOOP)
    if fmt not in EndpointFormat.values:
        raise NotifyError(f"format: one of {', '.join(EndpointFormat.values)}", field="format")
    if fmt == EndpointFormat.EMAIL:
        if not email or "@" not in email:
            raise NotifyError("email: an e-mail address is required for an e-mail endpoint", field="email")
    else:
        if not url:
            raise NotifyError("url: required", field="url")
        check_url(url)
    # Without a name: the format and the host, never the whole URL (a chat bot's token is in it).
    name = (name or "").strip()[:120] or (email if fmt == EndpointFormat.EMAIL
                                          else f"{fmt} {urlsplit(url).hostname or ''}".strip())
    if team is not None and team.org_id != org.pk:
        raise NotifyError("team: not found", field="team", status=404)
    checked = _check_events(events)
    if Endpoint.objects.filter(org=org, name=name).exists():
        raise NotifyError(f"name: an endpoint named {name!r} exists", field="name", status=409)
    secret = webhook_sign.new_secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(org=org, team=team, name=name, format=fmt, url=url, email=email,
                                           events=checked, secret=secret, chat_secret=chat_secret, created_by=actor)
        audit("endpoint.created", org=org, actor=actor, target=name, format=fmt, events=checked)
    return endpoint, secret


def rotate_secret(*, endpoint: Endpoint, actor: User | None = None) -> str:
    secret = webhook_sign.new_secret()
    with transaction.atomic():
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        audit("endpoint.secret_rotated", org=endpoint.org, actor=actor, target=endpoint.name)
    return secret


def delete_endpoint(*, endpoint: Endpoint, actor: User | None = None) -> None:
    with transaction.atomic():
        audit("endpoint.deleted", org=endpoint.org, actor=actor, target=endpoint.name)
        endpoint.delete()


# --- events ---------------------------------------------------------------------------------------


def emit(*, org: Organization | int, type: str, subject: str, data: Mapping[str, Any],
         endpoints: Iterable[Endpoint] = ()) -> Event | None:
    """Record an event and one delivery per subscribed endpoint (and per ``endpoints`` named by a rule), in the
    caller's transaction; the deliveries are attempted after the commit. None when this (type, subject) was
    emitted before: emitting is idempotent."""
    org_id = org if isinstance(org, int) else org.pk
    if type not in webhook_sign.EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    pending = getattr(_local, "pending", None)
    if pending is not None:  # a worker's batch: written together by ``flush`` before its commit
        noted = Event(org_id=org_id, type=type, subject=subject, data=dict(data))
        wanted = {e.pk for e in _active_endpoints(org_id) if e.subscribes(type)}
        wanted |= {e.pk for e in endpoints if e.active and e.org_id == org_id}
        pending.append((noted, sorted(wanted)))
        return noted
    event = _insert_event(org_id, type, subject, dict(data))
    if event is None:
        return None
    targets = {e.pk: e for e in _active_endpoints(org_id) if e.subscribes(type)}
    targets.update({e.pk: e for e in endpoints if e.active and e.org_id == org_id})
    if targets:
        deliveries = Delivery.objects.bulk_create(
            [Delivery(org_id=org_id, event=event, endpoint_id=pk) for pk in sorted(targets)])
        ids = [d.pk for d in deliveries if d.pk is not None]
        if len(ids) != len(deliveries):  # backends that do not return ids from bulk inserts
            ids = list(Delivery.objects.filter(event=event).values_list("pk", flat=True))
        collector = getattr(_local, "collector", None)
        if collector is not None:
            collector.extend(ids)  # the worker that emitted them attempts them itself after its commit
        else:
            transaction.on_commit(partial(_enqueue, ids), robust=True)
    return event


def _insert_event(org_id: int, type: str, subject: str, data: dict[str, Any]) -> Event | None:
    """Insert the event unless its (organisation, type, subject) exists: one ``INSERT … ON CONFLICT DO
    NOTHING RETURNING`` (no savepoint needed); None when it existed."""
    event = Event(org_id=org_id, type=type, subject=subject, data=data)
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = (f"INSERT INTO {table} (id, org_id, type, subject, created_at, data) "  # noqa: S608 - names from models
           f"VALUES (%s, %s, %s, %s, %s, %s{cast}) ON CONFLICT (org_id, type, subject) DO NOTHING RETURNING id")
    text = json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)
    params: list[Any] = [event.id, org_id, type, subject, ops.adapt_datetimefield_value(event.created_at), text]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    event.data = json.loads(text)  # what the database holds (dates as text), as a read would give
    return event


_local = threading.local()


def _active_endpoints(org_id: int) -> list[Endpoint]:
    """The organisation's active endpoints; read once per ``collecting`` block (a worker's batch)."""
    cache = getattr(_local, "endpoints", None)
    if cache is not None and org_id in cache:
        return list(cache[org_id])
    found = list(Endpoint.objects.filter(org_id=org_id, active=True))
    if cache is not None:
        cache[org_id] = found
    return found


@contextmanager
def collecting() -> Iterator[list[int]]:
    """A worker's batch. Within this block ``emit`` only notes its events; ``flush`` (called by the batch
    before it commits) writes them all with their deliveries in two statements, and the ids of those
    deliveries are collected for the caller to ``attempt`` once the transaction has committed (no task per
    event: the worker acting on a response sends its notifications at once). A crash after the commit leaves
    them to the sweep."""
    previous = (getattr(_local, "collector", None), getattr(_local, "endpoints", None),
                getattr(_local, "pending", None))
    collected: list[int] = []
    _local.collector, _local.endpoints, _local.pending = collected, {}, []
    try:
        yield collected
    finally:
        _local.collector, _local.endpoints, _local.pending = previous


def mark() -> int:
    """How many events are waiting in this batch (``rewind`` to it when the work that emitted them fails)."""
    return len(getattr(_local, "pending", None) or [])


def rewind(to: int) -> None:
    pending = getattr(_local, "pending", None)
    if pending is not None:
        del pending[to:]


FLUSH_ROWS = 200


def flush() -> None:
    """Write the events noted in this batch, in the caller's transaction: one ``INSERT … ON CONFLICT DO NOTHING
    RETURNING id`` per 200 events (an event emitted before is skipped, with its deliveries), one bulk insert of
    the deliveries."""
    pending = getattr(_local, "pending", None)
    if not pending:
        return
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    inserted: set[str] = set()
    for start in range(0, len(pending), FLUSH_ROWS):
        chunk = pending[start:start + FLUSH_ROWS]
        values = ", ".join([f"(%s, %s, %s, %s, %s, %s{cast})"] * len(chunk))
        params: list[Any] = []
        for event, _targets in chunk:
            params += [event.id, event.org_id, event.type, event.subject,
                       ops.adapt_datetimefield_value(event.created_at),
                       json.dumps(event.data, ensure_ascii=False, cls=DjangoJSONEncoder)]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (id, org_id, type, subject, created_at, data) "  # noqa: S608
                           f"VALUES {values} ON CONFLICT (org_id, type, subject) DO NOTHING RETURNING id", params)
            inserted.update(row[0] for row in cursor.fetchall())
    deliveries = [Delivery(org_id=event.org_id, event_id=event.id, endpoint_id=pk)
                  for event, targets in pending if event.id in inserted for pk in targets]
    pending.clear()
    if not deliveries:
        return
    created = Delivery.objects.bulk_create(deliveries, batch_size=500)
    ids = [d.pk for d in created if d.pk is not None]
    if len(ids) != len(created):
        ids = list(Delivery.objects.filter(event_id__in=inserted).values_list("pk", flat=True))
    collector = getattr(_local, "collector", None)
    if collector is not None:
        collector.extend(ids)
    else:
        transaction.on_commit(partial(_enqueue, ids), robust=True)


def _enqueue(ids: list[int], run_after: Any = None) -> None:
    from cxloop.notify.tasks import deliver

    task = deliver.using(run_after=run_after) if run_after is not None else deliver
    task.enqueue(delivery_ids=ids)


# --- attempts -------------------------------------------------------------------------------------


def attempt(delivery_id: int, *, manual: bool = False) -> str:
    """Try one delivery if it is due and nobody else is trying it; log the attempt; schedule the next one."""
    return attempt_many([delivery_id], manual=manual).get(delivery_id, "not due or taken")


def _claim(ids: Sequence[int], now: Any) -> list[Delivery]:
    """Claim the due ones of ``ids`` in one conditional update (``attempts + 1``, a lease that names this
    claim); another worker's claim of the same row fails its condition, so an attempt is never sent twice."""
    lease = now + LEASE + timedelta(microseconds=secrets.randbelow(999_999) + 1)
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(status=DeliveryStatus.SENDING,
                                                                           lease_until__lt=now)
    Delivery.objects.filter(due, pk__in=list(ids)).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, lease_until=lease,
        first_attempt_at=Coalesce("first_attempt_at", Value(now)))
    return list(Delivery.objects.filter(pk__in=list(ids), status=DeliveryStatus.SENDING, lease_until=lease)
                .select_related("event", "endpoint", "endpoint__org").order_by("pk"))


def _try(delivery: Delivery) -> tuple[http.Result, bool, bool]:
    """(result, ok, permanent) of one send; no database access (it may run in a thread)."""
    if not delivery.endpoint.active:
        return http.Result(None, "", "endpoint disabled", None, 0), False, True
    result, ok = _send(delivery)
    # A target refused by the SSRF guard stays refused: not retried.
    permanent = not ok and (result.error.startswith(REFUSED)
                            or not backoff.retryable(result.status, result.error or None))
    return result, ok, permanent


def attempt_many(ids: Sequence[int], *, manual: bool = False) -> dict[int, str]:
    """Claim the due deliveries among ``ids``, send them (up to ``PARALLEL`` at once), and record every
    attempt in one transaction; returns what happened to each claimed delivery."""
    if not ids:
        return {}
    now = timezone.now()
    claimed = _claim(ids, now)
    if not claimed:
        return {}
    if len(claimed) == 1:
        outcomes = [_try(claimed[0])]
    else:
        with ThreadPoolExecutor(min(PARALLEL, len(claimed))) as pool:
            outcomes = list(pool.map(_try, claimed))
    return _record(claimed, outcomes, manual=manual, now=now)


def _record(claimed: list[Delivery], outcomes: list[tuple[http.Result, bool, bool]], *, manual: bool,
            now: Any) -> dict[int, str]:
    done: dict[int, str] = {}
    retries: list[tuple[int, Any]] = []
    with transaction.atomic():
        numbers = dict(DeliveryAttempt.objects.filter(delivery__in=claimed).values("delivery_id")
                       .annotate(n=Max("number")).values_list("delivery_id", "n"))
        DeliveryAttempt.objects.bulk_create([
            DeliveryAttempt(delivery=d, number=(numbers.get(d.pk) or 0) + 1, started_at=now,
                            duration_ms=result.duration_ms, status_code=result.status, error=result.error,
                            answer=result.answer, ok=ok, manual=manual)
            for d, (result, ok, _permanent) in zip(claimed, outcomes, strict=True)])
        finished = timezone.now()
        by_status: dict[int | None, list[int]] = {}
        for d, (result, ok, _p) in zip(claimed, outcomes, strict=True):
            if ok:
                by_status.setdefault(result.status, []).append(d.pk)
                done[d.pk] = "delivered"
        for status, pks in by_status.items():  # one statement per answer status (usually one: 200)
            Delivery.objects.filter(pk__in=pks).update(status=DeliveryStatus.DELIVERED, delivered_at=finished,
                                                       last_status=status, last_error="", lease_until=None)
        for d, (result, ok, permanent) in zip(claimed, outcomes, strict=True):
            if ok:
                continue
            common = {"last_status": result.status, "last_error": result.error, "lease_until": None}
            retry_after = backoff.parse_retry_after(result.retry_after, now=now) if result.retry_after else None
            wait = None if permanent else backoff.delay(d.attempts, retry_after)
            if wait is None:
                Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.FAILED, **common)
                logger.warning("delivery %s failed for good after %s attempts: %s %s", d.pk, d.attempts,
                               result.status, result.error)
                done[d.pk] = "failed"
                continue
            at = timezone.now() + wait
            Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.PENDING, next_attempt_at=at, **common)
            retries.append((d.pk, at))
            done[d.pk] = f"retry in {backoff.describe(wait)}"
    for pk, at in retries:
        _enqueue([pk], run_after=at)
    return done


def _send(delivery: Delivery) -> tuple[http.Result, bool]:
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.format == EndpointFormat.EMAIL:
        return _send_email(delivery)
    allow = settings.ALLOW_PRIVATE_WEBHOOKS
    if endpoint.format in CHAT_FORMATS:
        card = card_for(event, language=endpoint.org.default_language or "en")
        url, payload = chat_cards.render(endpoint.format, endpoint.url, card,  # type: ignore[arg-type]
                                         secret=endpoint.chat_secret or None)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        result = http.post(url, body, {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
                           allow_private=allow)
        return result, chat_cards.success(endpoint.format, result.status, result.answer)
    body = webhook_sign.event_body(event.id, event.type, event.created_at, event.data)
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > timezone.now():
        secrets.append(endpoint.previous_secret)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Cxloop-Event": event.type, "X-Cxloop-Delivery": str(delivery.pk),
               webhook_sign.HEADER: webhook_sign.sign(secrets, body, int(time.time()))}
    result = http.post(endpoint.url, body, headers, allow_private=allow)
    return result, backoff.succeeded(result.status, result.error or None)


def _send_email(delivery: Delivery) -> tuple[http.Result, bool]:
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import translation

    from cxloop.orgs.tasks import SEND_ERRORS, deliver, describe

    endpoint, event = delivery.endpoint, delivery.event
    language = endpoint.org.default_language or "en"
    card = card_for(event, language=language)
    started = time.monotonic()
    with translation.override(language):
        context = {"card": card, "event": event, "org": endpoint.org, "words": chat_cards.words(language)}
        text = render_to_string("notify/email/event.txt", context)
        html = render_to_string("notify/email/event.html", context)
    message = EmailMultiAlternatives(f"[cxloop] {chat_cards.excerpt(card.title, 200)}", text, None, [endpoint.email])
    message.attach_alternative(html, "text/html")
    try:
        deliver(message)
    except SEND_ERRORS as error:
        from cxloop.orgs.tasks import is_permanent

        status = 550 if is_permanent(error) else None
        return http.Result(status, "", describe(error), None, int((time.monotonic() - started) * 1000)), False
    return http.Result(250, "", "", None, int((time.monotonic() - started) * 1000)), True


def card_for(event: Event, *, language: str) -> chat_cards.Card:
    """The card of an event, from the ``summary`` its emitter put in ``data``."""
    summary = event.data.get("summary") or {}
    severity = str(summary.get("severity")) if summary.get("severity") in chat_cards.SEVERITIES else "info"
    facts = tuple((str(k), str(v)) for k, v in summary.get("facts", [])[:chat_cards.MAX_FACTS])
    return chat_cards.Card(title=str(summary.get("title") or event.type),
                           score_label=str(summary.get("score_label", "")),
                           score=str(summary.get("score", "")), comment_excerpt=str(summary.get("comment", "")),
                           customer=str(summary.get("customer", "")), link=str(summary.get("link", "")),
                           severity=severity, facts=facts, language=language)


def sweep(*, limit: int = SWEEP_LIMIT) -> int:
    """Attempt deliveries that are due but whose task was lost (a crash between commit and enqueue, a worker
    killed mid-attempt); run by the clock task. Returns how many were attempted."""
    now = timezone.now()
    stale = now - timedelta(seconds=30)  # leave fresh ones to the task enqueued for them
    due = (Delivery.objects.filter(Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=stale)
                                   | Q(status=DeliveryStatus.SENDING, lease_until__lt=now))
           .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    ids = list(due)
    for start in range(0, len(ids), 50):
        attempt_many(ids[start:start + 50])
    rearm_leased(now)
    return len(ids)


def rearm_leased(now: Any, *, limit: int = SWEEP_LIMIT) -> int:
    """Queue one task for the deliveries whose attempt is still leased, to run when their leases end: had a
    worker died holding them, they would otherwise wait for the next clock tick (minutes). The claim is
    conditional, so a delivery its live worker finished by then is not sent again. Returns how many."""
    leased = list(Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__gte=now)
                  .order_by("lease_until").values_list("pk", "lease_until")[:limit])
    for start in range(0, len(leased), 50):
        chunk = leased[start:start + 50]
        ends = max(until for _, until in chunk if until is not None)
        _enqueue([pk for pk, _ in chunk], run_after=ends + timedelta(seconds=1))
    return len(leased)


def redeliver(*, delivery: Delivery, actor: User | None = None) -> str:
    """Send the event again now, same event id and a fresh signature, starting a new schedule of attempts."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None)
        audit("delivery.redelivered", org=delivery.endpoint.org, actor=actor, target=str(delivery.pk),
              event=delivery.event_id)
    return attempt(delivery.pk, manual=True)
