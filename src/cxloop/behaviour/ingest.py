"""Storing behavioural events: one batch at a time, good items stored, each bad item reported with its reason.

``ingest`` checks every item (``core.events.check``), resolves contacts and accounts by external id with one
query each, skips items whose client id is already stored (or appears earlier in the same batch) and writes the
rest with multi-row ``INSERT … ON CONFLICT DO NOTHING`` in one transaction, so two clients sending the same
batch at once still store each event once. Nothing is written for a rejected item; a rejected item never stops
the others."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from cxloop.behaviour.models import Event, EventSource
from cxloop.core import events as core
from cxloop.customers.models import Account, Contact
from cxloop.orgs.models import Organization
from cxloop.surveys.services import write_slot

STORED, DUPLICATE, REJECTED = "stored", "duplicate", "rejected"
_CHUNK = 250


@dataclass
class ItemResult:
    index: int
    status: str
    field: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.status == REJECTED:
            out["field"] = self.field
            out["reason"] = self.reason
        return out


@dataclass
class IngestResult:
    items: list[ItemResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def stored(self) -> int:
        return self.count(STORED)

    @property
    def duplicates(self) -> int:
        return self.count(DUPLICATE)

    @property
    def rejected(self) -> list[ItemResult]:
        return [i for i in self.items if i.status == REJECTED]

    def as_dict(self) -> dict[str, Any]:
        return {"stored": self.stored, "duplicates": self.duplicates, "rejected": len(self.rejected),
                "items": [i.as_dict() for i in self.items]}


def _lookup(model: type[Contact] | type[Account], org: Organization, ids: set[str]) -> dict[str, tuple[int, Any]]:
    """{external id: (pk, account_id or None)} for the ids that exist in the organisation."""
    if not ids:
        return {}
    found: dict[str, tuple[int, Any]] = {}
    listed = sorted(ids)
    for start in range(0, len(listed), 500):
        part = listed[start:start + 500]
        if model is Contact:
            rows = Contact.objects.filter(org=org, external_id__in=part).values_list("external_id", "pk", "account_id")
            found.update({ext: (pk, acc) for ext, pk, acc in rows})
        else:
            rows2 = Account.objects.filter(org=org, external_id__in=part).values_list("external_id", "pk")
            found.update({ext: (pk, None) for ext, pk in rows2})
    return found


def _existing_client_ids(org: Organization, ids: Iterable[str]) -> set[str]:
    listed = sorted(set(ids))
    seen: set[str] = set()
    for start in range(0, len(listed), 500):
        seen.update(Event.objects.filter(org=org, client_id__in=listed[start:start + 500])
                    .values_list("client_id", flat=True))
    return seen


_COLUMNS = ("org_id", "name", "at", "person", "contact_id", "anonymous_id", "account_id", "touchpoint",
            "properties", "client_id", "source", "received_at")


def _insert(rows: Sequence[tuple[Any, ...]]) -> None:
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    head = (f"INSERT INTO {qn(Event._meta.db_table)} ({', '.join(qn(c) for c in _COLUMNS)}) VALUES ")  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    with conn.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            cursor.execute(head + ", ".join([one] * len(chunk)) + " ON CONFLICT DO NOTHING",
                           [value for row in chunk for value in row])


def ingest(org: Organization, items: Any, *, source: str = EventSource.API, now: datetime | None = None,
           tolerance: timedelta = core.FUTURE_TOLERANCE) -> IngestResult:
    """Check and store a batch (``ValueError`` when ``items`` is not a list or holds more than
    ``core.MAX_BATCH``)."""
    now = now or timezone.now()
    checked = core.check_batch(items, now, tolerance=tolerance)
    result = IngestResult([ItemResult(i, REJECTED) for i in range(len(checked))])
    clean: list[tuple[int, core.CleanEvent]] = []
    for i, item in enumerate(checked):
        if isinstance(item, core.Rejected):
            result.items[i] = ItemResult(i, REJECTED, item.field, item.reason)
        else:
            clean.append((i, item))
    contacts = _lookup(Contact, org, {e.contact for _i, e in clean if e.contact})
    accounts = _lookup(Account, org, {e.account for _i, e in clean if e.account})
    known = _existing_client_ids(org, (e.client_id for _i, e in clean if e.client_id))
    conn = connections[DEFAULT_DB_ALIAS]
    rows: list[tuple[Any, ...]] = []
    received = conn.ops.adapt_datetimefield_value(now)
    for i, e in clean:
        contact = contacts.get(e.contact) if e.contact else None
        if e.contact and contact is None and not e.anonymous_id:
            result.items[i] = ItemResult(i, REJECTED, "contact", "no contact has this external id (send an "
                                         "anonymous_id for people you do not know yet)")
            continue
        account_id = None
        if e.account:
            found = accounts.get(e.account)
            if found is None:
                result.items[i] = ItemResult(i, REJECTED, "account", "no account has this external id")
                continue
            account_id = found[0]
        elif contact is not None:
            account_id = contact[1]
        if e.client_id:
            if e.client_id in known:
                result.items[i] = ItemResult(i, DUPLICATE)
                continue
            known.add(e.client_id)
        contact_id = contact[0] if contact else None
        rows.append((org.pk, e.name, conn.ops.adapt_datetimefield_value(e.at),
                     core.person_number(org.pk, contact_id, e.anonymous_id), contact_id, e.anonymous_id, account_id,
                     e.touchpoint, json.dumps(e.properties, ensure_ascii=False, separators=(",", ":")),
                     e.client_id, str(source), received))
        result.items[i] = ItemResult(i, STORED)
    if rows:
        with write_slot(), transaction.atomic():
            _insert(rows)
    return result
