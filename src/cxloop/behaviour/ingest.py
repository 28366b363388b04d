"""Storing behavioural events: one batch at a time, good items stored, each bad item reported with its reason.

``ingest`` checks every item (``core.events.check``), resolves contacts and accounts by external id with one
query each, drops items whose client id appears earlier in the same batch and writes the rest so that a client id
stored before is not stored again (``ON CONFLICT DO NOTHING RETURNING org_id, client_id``): two clients sending
the same batch at once still store each event once and each item's status says which one stored it. Nothing is
written for a rejected item; a rejected item never stops the others.

Group commit: the batches of concurrent requests in one process are written together — each caller queues its
rows and waits; whoever takes the group lock writes everything queued in one transaction (one commit, one
fsync), and every caller answers only after its own rows are committed. On PostgreSQL the rows go through
``COPY`` straight into the table; when that meets a client id stored before, the savepoint is rolled back and the
rows go through ``COPY`` into a temporary table (one per connection, emptied at commit) and one ``INSERT …
SELECT … ON CONFLICT DO NOTHING``; on
SQLite through multi-row ``INSERT``s inside ``surveys.services.write_slot`` (one writer at a time across
processes)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
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


def _lookup(model: type[Contact] | type[Account], org_id: int, ids: set[str]) -> dict[str, tuple[int, Any]]:
    """{external id: (pk, account_id or None)} for the ids that exist in the organisation."""
    if not ids:
        return {}
    found: dict[str, tuple[int, Any]] = {}
    listed = sorted(ids)
    for start in range(0, len(listed), 500):
        part = listed[start:start + 500]
        if model is Contact:
            rows = (Contact.objects.filter(org_id=org_id, external_id__in=part)
                    .values_list("external_id", "pk", "account_id"))
            found.update({ext: (pk, acc) for ext, pk, acc in rows})
        else:
            rows2 = Account.objects.filter(org_id=org_id, external_id__in=part).values_list("external_id", "pk")
            found.update({ext: (pk, None) for ext, pk in rows2})
    return found


_COLUMNS = ("org_id", "name", "at", "person", "contact_id", "anonymous_id", "account_id", "touchpoint",
            "properties", "client_id", "source", "received_at")
_STAGING = "cxloop_event_in"  # PostgreSQL: the connection's temporary table for COPY


@dataclass
class _Job:
    """One caller's rows; ``stored[i]`` says whether ``rows[i]`` was inserted (False: its client id was stored
    meanwhile, by another request)."""

    rows: list[tuple[Any, ...]]
    stored: list[bool] | None = None
    failure: BaseException | None = None


_QUEUE: list[_Job] = []
_QUEUE_LOCK = threading.Lock()
_GROUP_LOCK = threading.Lock()


def _insert_sqlite(rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, str]]:
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    head = (f"INSERT INTO {qn(Event._meta.db_table)} ({', '.join(qn(c) for c in _COLUMNS)}) VALUES ")  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    returned: list[tuple[int, str]] = []
    with conn.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            cursor.execute(head + ", ".join([one] * len(chunk)) + " ON CONFLICT DO NOTHING RETURNING org_id, "
                           "client_id", [value for row in chunk for value in row])
            returned.extend((r[0], r[1]) for r in cursor.fetchall())
    return returned


def _insert_postgresql(rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, str]]:
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    columns = ", ".join(qn(c) for c in _COLUMNS)
    table = qn(Event._meta.db_table)
    with conn.cursor() as cursor:
        # First try: COPY straight into the table (a fifth cheaper). A client id stored before makes COPY fail on
        # the unique index: back to the savepoint and through the staging table with ON CONFLICT DO NOTHING.
        cursor.execute("SAVEPOINT cxloop_event_copy")
        try:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.IntegrityError:
            cursor.execute("ROLLBACK TO SAVEPOINT cxloop_event_copy")
        else:
            cursor.execute("RELEASE SAVEPOINT cxloop_event_copy")
            return [(row[0], row[9]) for row in rows]
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS AS "  # noqa: S608
                       f"SELECT {columns} FROM {qn(Event._meta.db_table)} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {_STAGING} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {qn(Event._meta.db_table)} ({columns}) SELECT {columns} FROM {_STAGING} "  # noqa: S608
                       "ON CONFLICT DO NOTHING RETURNING org_id, client_id")
        returned = [(r[0], r[1]) for r in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {_STAGING}")  # noqa: S608 - an outer transaction may write again before commit
    return returned


def _write(jobs: Sequence[_Job]) -> None:
    """Insert the jobs' rows in order in the current transaction; of rows with the same client id the first
    wins (a later one in this group, or one whose id another request stored first, is marked not stored)."""
    rows = [row for job in jobs for row in job.rows]
    insert = _insert_postgresql if connections[DEFAULT_DB_ALIAS].vendor == "postgresql" else _insert_sqlite
    left: dict[tuple[int, str], int] = {}
    for org_id, client_id in (insert(rows) if rows else []):
        if client_id:
            left[(org_id, client_id)] = left.get((org_id, client_id), 0) + 1
    for job in jobs:
        marks = []
        for row in job.rows:
            key = (row[0], row[9])
            if not key[1]:
                marks.append(True)
            elif left.get(key, 0) > 0:
                left[key] -= 1  # one row per (org, id) can have been inserted: the first claims it
                marks.append(True)
            else:
                marks.append(False)
        job.stored = marks


def _commit(job: _Job) -> None:
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        # inside the caller's own transaction (an import, a test): its rows commit or roll back with it
        with write_slot(), transaction.atomic():
            _write([job])
        return
    with _QUEUE_LOCK:
        _QUEUE.append(job)
    with _GROUP_LOCK:
        if job.stored is None and job.failure is None:
            with write_slot():  # taken before the queue is read: who queued while we waited joins in
                with _QUEUE_LOCK:
                    group = list(_QUEUE)
                    _QUEUE.clear()
                try:
                    with transaction.atomic():
                        _write(group)
                except BaseException as exc:
                    for other in group:
                        other.stored = None
                        other.failure = exc
    if job.failure is not None:
        raise job.failure


def _adapter(conn: Any) -> Any:
    """The database value of an aware UTC datetime: on SQLite with a UTC connection (Django's default with
    USE_TZ) the text Django would store, made directly (a fifth of the per-event cost otherwise)."""
    if conn.vendor == "sqlite" and getattr(conn, "timezone_name", None) == "UTC" and settings.USE_TZ:
        return lambda at: str(at.astimezone(UTC).replace(tzinfo=None))
    return conn.ops.adapt_datetimefield_value


def ingest(org: Organization, items: Any, *, source: str = EventSource.API, now: datetime | None = None,
           tolerance: timedelta = core.FUTURE_TOLERANCE) -> IngestResult:
    """Check and store a batch (``ValueError`` when ``items`` is not a list or holds more than
    ``core.MAX_BATCH``)."""
    return ingest_for(org.pk, items, source=source, now=now, tolerance=tolerance)


def ingest_for(org_id: int, items: Any, *, source: str = EventSource.API, now: datetime | None = None,
               tolerance: timedelta = core.FUTURE_TOLERANCE) -> IngestResult:
    """``ingest`` by organisation id (the fast path knows only the id)."""
    now = now or timezone.now()
    checked = core.check_batch(items, now, tolerance=tolerance)
    result = IngestResult([ItemResult(i, REJECTED) for i in range(len(checked))])
    clean: list[tuple[int, core.CleanEvent]] = []
    for i, item in enumerate(checked):
        if isinstance(item, core.Rejected):
            result.items[i] = ItemResult(i, REJECTED, item.field, item.reason)
        else:
            clean.append((i, item))
    contacts = _lookup(Contact, org_id, {e.contact for _i, e in clean if e.contact})
    accounts = _lookup(Account, org_id, {e.account for _i, e in clean if e.account})
    known: set[str] = set()  # client ids earlier in this batch; ids stored before are found by the insert
    conn = connections[DEFAULT_DB_ALIAS]
    rows: list[tuple[Any, ...]] = []
    positions: list[int] = []
    received = conn.ops.adapt_datetimefield_value(now)
    adapt = _adapter(conn)
    src = str(source)
    person_number = core.person_number
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
        rows.append((org_id, e.name, adapt(e.at), person_number(org_id, contact_id, e.anonymous_id), contact_id,
                     e.anonymous_id, account_id, e.touchpoint, e.properties_json, e.client_id, src, received))
        positions.append(i)
        result.items[i] = ItemResult(i, STORED)
    if rows:
        job = _Job(rows)
        _commit(job)
        assert job.stored is not None
        for i, stored in zip(positions, job.stored, strict=True):
            if not stored:
                result.items[i] = ItemResult(i, DUPLICATE)
    return result
