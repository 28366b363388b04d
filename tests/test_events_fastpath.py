"""The events fast path (cxloop.api.gateway + cxloop.behaviour.capture), driven through the real WSGI application
that `cxloop serve` runs: per item it answers exactly as the full Django path (cxloop.api.events) answers, stores
each client id once (also when a batch repeats ids already stored: PostgreSQL's straight COPY falls back to
ON CONFLICT), and hands every unusual request to the full path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from tests.test_capture_fastpath import Wsgi

from cxloop.orgs.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wsgi() -> Any:
    from django.db import close_old_connections

    client = Wsgi()
    yield client
    client.close()
    close_old_connections()


def _member_key(tenant: Any) -> str:
    """A key with the least role that may send events."""
    from cxloop.orgs.services import create_api_key

    if Role.MEMBER not in tenant.keys:
        tenant.keys[Role.MEMBER] = create_api_key(org=tenant.org, role=Role.MEMBER, name="events").plaintext
    return str(tenant.keys[Role.MEMBER])


def _iso(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def _warm(key: str, wsgi: Wsgi) -> None:
    """The first use of a key goes through Django (it records the key's use); later ones may take the fast path."""
    status, _, body = wsgi.post("/api/v1/events", {"events": []}, key=key)
    assert status == 200 and body["stored"] == 0


def _items() -> list[dict[str, Any]]:
    return [
        {"event": "task_started", "timestamp": _iso(5), "contact": "C-1", "properties": {"task": "export"}, "id": "f1"},
        {"event": "task_completed", "timestamp": _iso(4), "anonymous_id": "anon-9", "touchpoint": "report_export",
         "properties": {"task": "export", "ms": 5400, "名": "导出"}, "id": "f2"},
        {"event": "task_completed", "timestamp": _iso(4), "anonymous_id": "anon-9", "id": "f2"},  # repeated id
        {"event": "page_view", "anonymous_id": "a"},                                             # no timestamp
        {"event": "page_view", "timestamp": _iso(-60), "anonymous_id": "a"},                    # an hour ahead
        {"event": "page_view", "timestamp": _iso(1), "contact": "NOBODY"},                      # unknown contact
        {"event": "page_view", "timestamp": _iso(1), "anonymous_id": "a", "properties": {"x": "y" * 1_000_000}},
        {"event": "page_view", "timestamp": _iso(1), "anonymous_id": "a", "properties": {"v": 1.5, "n": None}},
        {"event": "page_view", "timestamp": _iso(1), "anonymous_id": "a", "properties": {"big": 2 ** 70}},
    ]


def test_fast_path_answers_each_item_as_the_full_path(tenant_a: Any, wsgi: Wsgi) -> None:
    from cxloop.behaviour.models import Event
    from cxloop.customers.models import Contact

    Contact.objects.create(org=tenant_a.org, external_id="C-1", name="Li Lei")
    key = _member_key(tenant_a)
    _warm(key, wsgi)
    before = wsgi.django_requests
    status, headers, fast = wsgi.post("/api/v1/events", {"events": _items()}, key=key)
    assert status == 200 and wsgi.django_requests == before, "the fast path should have answered"
    assert headers["content-type"].startswith("application/json") and headers["x-content-type-options"] == "nosniff"
    assert [i["status"] for i in fast["items"]] == ["stored", "stored", "duplicate", "rejected", "rejected",
                                                    "rejected", "rejected", "stored", "stored"]
    assert (fast["stored"], fast["duplicates"], fast["rejected"]) == (4, 1, 4)
    assert [fast["items"][i]["field"] for i in (3, 4, 5, 6)] == ["timestamp", "timestamp", "contact", "properties"]
    stored = Event.objects.get(org=tenant_a.org, client_id="f2")
    assert stored.properties == {"task": "export", "ms": 5400, "名": "导出"} and stored.touchpoint == "report_export"
    big = [e.properties for e in Event.objects.filter(org=tenant_a.org, name="page_view") if "big" in e.properties]
    # beyond orjson's 64 bits: serialised by the json module instead (PostgreSQL's jsonb reads it back as a float)
    assert len(big) == 1 and abs(big[0]["big"] - 2 ** 70) <= 2 ** 70 * 1e-12

    # The full path (Django's test client, no gateway) gives the same answer per item to the same batch — the ids
    # stored by the fast path are duplicates now, the items without an id are stored again.
    full = Client().post("/api/v1/events", json.dumps({"events": _items()}), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [i["status"] for i in full["items"]] == ["duplicate", "duplicate", "duplicate", "rejected", "rejected",
                                                    "rejected", "rejected", "stored", "stored"]
    for i in (3, 4, 5, 6):
        assert full["items"][i] == fast["items"][i]
    assert Event.objects.filter(org=tenant_a.org).count() == 6


def test_a_batch_repeating_stored_ids_stores_only_the_new_ones(tenant_a: Any, wsgi: Wsgi) -> None:
    """On PostgreSQL the batch first goes straight into the table with COPY; an id stored before makes it fail and
    the rows go again through ON CONFLICT DO NOTHING — in the same transaction, nothing half-written."""
    from cxloop.behaviour.models import Event

    key = _member_key(tenant_a)
    _warm(key, wsgi)
    first = [{"event": "page_view", "timestamp": _iso(3), "anonymous_id": f"p{i}", "id": f"r{i}"} for i in range(5)]
    status, _, body = wsgi.post("/api/v1/events", {"events": first}, key=key)
    assert status == 200 and body["stored"] == 5
    second = [*first[2:], {"event": "page_view", "timestamp": _iso(2), "anonymous_id": "p9", "id": "r9"},
              {"event": "page_view", "timestamp": _iso(2), "anonymous_id": "p9"}]
    status, _, body = wsgi.post("/api/v1/events", {"events": second}, key=key)
    assert status == 200 and [i["status"] for i in body["items"]] == ["duplicate"] * 3 + ["stored", "stored"]
    assert Event.objects.filter(org=tenant_a.org).count() == 7
    assert sorted(Event.objects.exclude(client_id="").values_list("client_id", flat=True)) == \
        ["r0", "r1", "r2", "r3", "r4", "r9"]


@pytest.mark.parametrize("case", ["not_object", "no_list", "too_many", "viewer", "tenant_b", "bad_json"])
def test_unusual_requests_get_the_full_paths_answer(case: str, tenant_a: Any, tenant_b: Any, wsgi: Wsgi) -> None:
    from cxloop.behaviour.models import Event

    key = _member_key(tenant_a)
    one = {"event": "page_view", "timestamp": _iso(1), "anonymous_id": "a"}
    body: Any = {"events": [one]}
    raw = None
    if case == "not_object":
        body = [one]
    elif case == "no_list":
        body = {"events": "page_view"}
    elif case == "too_many":
        body = {"events": [one] * 1001}
    elif case == "viewer":
        key = str(tenant_a.keys[Role.VIEWER])
    elif case == "bad_json":
        raw = b'{"events": [{"event": "x",'
    _warm(_member_key(tenant_a), wsgi)
    if case == "tenant_b":
        key = _member_key(tenant_b)
        _warm(key, wsgi)
    before = wsgi.django_requests
    status, _, answer = wsgi.post("/api/v1/events", body, key=key, raw=raw)
    if case == "tenant_b":  # another organisation's key stores into that organisation, never into A
        assert status == 200 and answer["stored"] == 1 and wsgi.django_requests == before
        assert not Event.objects.filter(org=tenant_a.org).exists()
        return
    assert wsgi.django_requests == before + 1, "the full path should have answered"
    expected = {"not_object": 400, "no_list": 422, "too_many": 422, "viewer": 403, "bad_json": 400}[case]
    assert status == expected, answer
    assert not Event.objects.exists()
