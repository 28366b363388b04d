"""Behavioural events (issue 8): ``POST /api/v1/events`` stores the good items of a batch and rejects each bad
one with its field and reason (acceptance 4), is idempotent by the client's event id, resolves contacts and
accounts by external id, keeps another organisation out, and ``GET /api/v1/events`` lists them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cxloop.behaviour import ingest
from cxloop.behaviour.models import Event
from cxloop.core import events as core
from cxloop.customers.models import Account, Contact


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def people(tenant_a: Any) -> dict[str, Any]:
    acme = Account.objects.create(org=tenant_a.org, external_id="ACME", name="Acme Steel", arr=120000)
    c1 = Contact.objects.create(org=tenant_a.org, external_id="C-1", name="Li Lei", account=acme)
    return {"account": acme, "contact": c1}


# --- the pure check ---------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_check_accepts_a_full_item_and_epoch_seconds() -> None:
    ok = core.check({"event": "task_completed", "timestamp": "2026-11-23T15:30:00+08:00", "contact": "C-1",
                     "touchpoint": "report_export", "properties": {"task": "export", "ms": 5400}, "id": "e1"}, 0, NOW)
    assert isinstance(ok, core.CleanEvent)
    assert ok.at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert (ok.name, ok.contact, ok.touchpoint, ok.client_id) == ("task_completed", "C-1", "report_export", "e1")
    epoch = core.check({"event": "page_view", "timestamp": NOW.timestamp() - 60, "anonymous_id": "a1"}, 1, NOW)
    assert isinstance(epoch, core.CleanEvent) and epoch.at == NOW - timedelta(seconds=60)


@pytest.mark.parametrize(("item", "field", "words"), [
    ({"timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a"}, "event", "required"),
    ({"event": "x", "anonymous_id": "a"}, "timestamp", "required"),
    ({"event": "x", "timestamp": "2026-11-23 08:00", "anonymous_id": "a"}, "timestamp", "time zone"),
    ({"event": "x", "timestamp": "yesterday", "anonymous_id": "a"}, "timestamp", "ISO 8601"),
    ({"event": "x", "timestamp": "2026-11-23T08:11:00Z", "anonymous_id": "a"}, "timestamp", "future"),
    ({"event": "x", "timestamp": "1999-12-31T23:59:59Z", "anonymous_id": "a"}, "timestamp", "2000"),
    ({"event": "x", "timestamp": "2026-11-23T08:00:00Z"}, "contact", "anonymous_id"),
    ({"event": "x", "timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a", "properties": [1]},
     "properties", "object"),
    ({"event": "x", "timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a", "touchpoint": "a b"},
     "touchpoint", "letters"),
    ({"event": "x\u0000y", "timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a"}, "event", "control"),
    ("not an object", "", "object"),
])
def test_check_names_the_field_and_the_reason(item: Any, field: str, words: str) -> None:
    bad = core.check(item, 3, NOW)
    assert isinstance(bad, core.Rejected)
    assert (bad.index, bad.field) == (3, field)
    assert words in bad.reason


def test_a_megabyte_of_properties_is_refused_and_the_limit_is_exact() -> None:
    big = core.check({"event": "x", "timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a",
                      "properties": {"blob": "x" * 1_000_000}}, 0, NOW)
    assert isinstance(big, core.Rejected) and big.field == "properties" and "1,000,011 bytes" in big.reason
    # {"b":"…"} is 8 bytes of punctuation and key around the value
    edge = {"b": "x" * (core.MAX_PROPERTIES_BYTES - 8)}
    assert isinstance(core.check({"event": "x", "timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a",
                                  "properties": edge}, 0, NOW), core.CleanEvent)
    edge["b"] += "x"
    assert isinstance(core.check({"event": "x", "timestamp": "2026-11-23T08:00:00Z", "anonymous_id": "a",
                                  "properties": edge}, 0, NOW), core.Rejected)


def test_person_numbers_are_stable_negative_for_anonymous_and_the_contact_id_otherwise() -> None:
    a = core.person_number(1, None, "visitor-9")
    assert a < 0 and a == core.person_number(1, None, "visitor-9")
    assert a != core.person_number(2, None, "visitor-9")  # another organisation, another number
    assert core.person_number(1, 42, "visitor-9") == 42


# --- the API ---------------------------------------------------------------------------------------------


def test_a_batch_stores_its_good_items_and_reports_each_bad_one(tenant_a: Any, people: Any, api_client: Any) -> None:
    now = timezone.now()
    batch = [
        {"event": "task_started", "timestamp": iso(now - timedelta(minutes=5)), "contact": "C-1",
         "touchpoint": "report_export", "properties": {"task": "export"}, "id": "evt-1"},
        {"event": "task_failed", "contact": "C-1", "id": "evt-2"},  # no timestamp
        {"event": "task_failed", "timestamp": iso(now + timedelta(hours=2)), "contact": "C-1"},  # future
        {"event": "page_view", "timestamp": iso(now), "contact": "NOBODY"},  # unknown contact, no anonymous id
        {"event": "page_view", "timestamp": iso(now), "anonymous_id": "v-7", "properties": {"x": "y" * 1_048_576}},
        {"event": "page_view", "timestamp": iso(now - timedelta(seconds=3)), "anonymous_id": "v-7",
         "properties": {"path": "/pricing"}, "id": "evt-6"},
        {"event": "renewed", "timestamp": iso(now), "account": "NO-SUCH", "contact": "C-1"},  # unknown account
        {"event": "renewed", "timestamp": iso(now), "account": "ACME", "properties": {"arr": 120000}},  # no person
    ]
    r = api_client.call("POST", "/api/v1/events", tenant_a.keys["owner"], {"events": batch})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (2, 0, 6)
    why = {i["index"]: (i["field"], i["reason"]) for i in body["items"] if i["status"] == "rejected"}
    assert why[1] == ("timestamp", "is required")
    assert why[2][0] == "timestamp" and "future" in why[2][1]
    assert why[3][0] == "contact" and "no contact has this external id" in why[3][1]
    assert why[4][0] == "properties" and "bytes" in why[4][1]
    assert why[6] == ("account", "no account has this external id")
    assert why[7][0] == "contact"
    stored = {e.client_id: e for e in Event.objects.filter(org=tenant_a.org)}
    assert set(stored) == {"evt-1", "evt-6"}
    first = stored["evt-1"]
    assert first.contact_id == people["contact"].pk and first.account_id == people["account"].pk  # the contact's
    assert first.person == people["contact"].pk and first.touchpoint == "report_export"
    assert first.properties == {"task": "export"}
    anon = stored["evt-6"]
    assert anon.contact_id is None and anon.person == core.person_number(tenant_a.org.pk, None, "v-7") < 0


def test_sending_a_batch_again_stores_nothing_twice(tenant_a: Any, people: Any, api_client: Any) -> None:
    now = timezone.now()
    batch = [{"event": "purchase", "timestamp": iso(now - timedelta(days=i)), "contact": "C-1", "id": f"o-{i}",
              "properties": {"amount": 10 * i}} for i in range(5)]
    batch.append(dict(batch[0]))  # the same id twice in one batch
    batch.append({"event": "page_view", "timestamp": iso(now), "anonymous_id": "v"})  # no id: always new
    first = api_client.call("POST", "/api/v1/events", tenant_a.keys["owner"], {"events": batch}).json()
    assert (first["stored"], first["duplicates"]) == (6, 1)
    assert first["items"][5] == {"index": 5, "status": "duplicate"}
    again = api_client.call("POST", "/api/v1/events", tenant_a.keys["owner"], {"events": batch}).json()
    assert (again["stored"], again["duplicates"]) == (1, 6)
    assert Event.objects.filter(org=tenant_a.org, name="purchase").count() == 5
    assert Event.objects.filter(org=tenant_a.org).count() == 7


def test_the_same_client_id_in_two_organisations_is_two_events(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    item = {"event": "signup", "timestamp": iso(timezone.now()), "anonymous_id": "x", "id": "same"}
    for t in (tenant_a, tenant_b):
        assert api_client.call("POST", "/api/v1/events", t.keys["owner"], {"events": [item]}).json()["stored"] == 1
    assert Event.objects.filter(client_id="same").count() == 2


def test_envelope_errors_name_the_field_and_store_nothing(tenant_a: Any, api_client: Any) -> None:
    item = {"event": "x", "timestamp": iso(timezone.now()), "anonymous_id": "a"}
    too_many = api_client.call("POST", "/api/v1/events", tenant_a.keys["owner"], {"events": [item] * 1001})
    assert too_many.status_code == 422 and "1000" in too_many.json()["detail"].replace(",", "")
    assert api_client.call("POST", "/api/v1/events", tenant_a.keys["owner"], {"evts": []}).status_code == 422
    assert not Event.objects.exists()


def test_roles_and_tenancy(tenant_a: Any, tenant_b: Any, people: Any, api_client: Any) -> None:
    item = {"event": "page_view", "timestamp": iso(timezone.now()), "contact": "C-1"}
    # the viewer may read, not send
    assert api_client.call("POST", "/api/v1/events", tenant_a.keys["viewer"], {"events": [item]}).status_code == 403
    assert api_client.call("POST", "/api/v1/events", tenant_a.keys["owner"], {"events": [item]}).json()["stored"] == 1
    # org B's key cannot name org A's contact (it is unknown there) nor read A's events
    b = api_client.call("POST", "/api/v1/events", tenant_b.keys["owner"], {"events": [item]}).json()
    assert b["rejected"] == 1 and b["items"][0]["field"] == "contact"
    assert api_client.call("GET", "/api/v1/events", tenant_b.keys["owner"]).json()["items"] == []
    assert api_client.call("GET", "/api/v1/events?org=" + tenant_a.org.slug, tenant_b.keys["owner"]).status_code == 404
    listed = api_client.call("GET", "/api/v1/events?event=page_view&contact=C-1", tenant_a.keys["viewer"]).json()
    assert [e["contact"] for e in listed["items"]] == ["C-1"]
    assert listed["items"][0]["account"] == "ACME"


def test_listing_pages_by_id(tenant_a: Any, api_client: Any) -> None:
    now = timezone.now()
    ingest.ingest(tenant_a.org, [{"event": "page_view", "timestamp": iso(now - timedelta(seconds=i)),
                                  "anonymous_id": "a", "touchpoint": "web"} for i in range(5)])
    key = tenant_a.keys["viewer"]
    page1 = api_client.call("GET", "/api/v1/events?limit=3", key).json()
    assert len(page1["items"]) == 3 and page1["next_before"] is not None
    page2 = api_client.call("GET", f"/api/v1/events?limit=3&before={page1['next_before']}", key).json()
    assert len(page2["items"]) == 2 and page2["next_before"] is None
    assert {e["id"] for e in page1["items"]}.isdisjoint({e["id"] for e in page2["items"]})
