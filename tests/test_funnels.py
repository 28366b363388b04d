"""Funnels (issue 8): the SQL engine against the reference definition (``core.ux.funnel_reach``) on random data
and against hand counts, on SQLite and PostgreSQL; saved funnels with located validation errors; the API with
roles and tenant isolation; the pages; the journey map's band."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from cxloop.behaviour import funnels
from cxloop.behaviour.funnels import Grouping, StepDef
from cxloop.behaviour.models import Event, Funnel
from cxloop.core import events as core_events
from cxloop.core import metrics, ux
from cxloop.customers.models import Account, Contact

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PASSWORD = "correct-horse-battery-9"


def _event(org: Any, name: str, at: datetime, person: int, *, touchpoint: str = "",
           properties: dict[str, Any] | None = None, contact: Contact | None = None) -> Event:
    return Event(org=org, name=name, at=at, person=person, contact=contact, touchpoint=touchpoint,
                 properties=properties or {}, anonymous_id="" if person > 0 else f"anon{person}")


def _reference(events: list[Event], steps: list[StepDef], start: datetime, end: datetime,
               window: float) -> ux.FunnelCounts:
    """``funnel_reach`` over the same events: step-0 events only inside the period."""
    timelines: dict[int, list[tuple[int, float]]] = {}
    for e in events:
        for i, step in enumerate(steps):
            if not step.matches(e.name, e.touchpoint, e.properties):
                continue
            if i == 0 and not (start <= e.at < end):
                continue
            timelines.setdefault(e.person, []).append((i, e.at.timestamp()))
    return ux.funnel_reach(timelines.values(), len(steps), window)


def _random_events(org: Any, rng: random.Random, people: int = 60) -> list[Event]:
    names = ["a", "b", "c", "d"]
    out = []
    for p in range(people):
        person = p + 1 if rng.random() < 0.5 else -(p + 1) * 7919
        for _ in range(rng.randint(0, 9)):
            seconds = rng.randint(0, 20 * 86400)
            if rng.random() < 0.3:
                seconds = rng.choice([0, 3600, 86400, 2 * 86400])  # ties and exact window edges
            at = T0 + timedelta(seconds=seconds)
            if rng.random() < 0.3:
                at += timedelta(microseconds=rng.randint(1, 999_999))
            props: dict[str, Any] = {}
            if rng.random() < 0.6:
                props["task"] = rng.choice(["export", "share", 5, True, "5"])
            out.append(_event(org, rng.choice(names), at, person, touchpoint=rng.choice(["", "tp1", "tp2", "tp3"]),
                              properties=props))
    Event.objects.bulk_create(out)
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_the_sql_reproduces_the_reference_on_random_data(tenant_a: Any, seed: int) -> None:
    rng = random.Random(seed)
    events = _random_events(tenant_a.org, rng)
    step_pool = [StepDef(event="a"), StepDef(event="b"), StepDef(event="c"), StepDef(event="d"),
                 StepDef(event="b", where=(("task", "export"),)), StepDef(event="c", where=(("task", 5),)),
                 StepDef(event="a", where=(("task", True),)), StepDef(touchpoints=("tp1",)),
                 StepDef(touchpoints=("tp2", "tp3"))]
    for _ in range(6):
        steps = [rng.choice(step_pool) for _ in range(rng.randint(1, 5))]
        window = rng.choice([3600, 86400, 2 * 86400, 30 * 86400])
        start = T0 + timedelta(seconds=rng.choice([0, 3600, 5 * 86400]))
        end = start + timedelta(days=rng.choice([1, 3, 30]))
        raw = funnels.run(tenant_a.org, steps, start, end, window, durations="all")
        ref = _reference(events, steps, start, end, window)
        assert raw.reached == list(ref.reached), (steps, window)
        for got, want in zip(raw.durations, ref.durations, strict=True):
            assert got == pytest.approx(sorted(want), abs=1e-5)
        got_figures = funnels.figures(raw.reached, raw.durations)
        want_figures = ux.funnel_steps(ref)
        for a, b in zip(got_figures, want_figures, strict=True):
            assert (a.index, a.reached, a.from_previous, a.from_start, a.dropped) == \
                (b.index, b.reached, b.from_previous, b.from_start, b.dropped)
            if b.time_from_previous is not None:
                assert a.time_from_previous is not None
                for x, y in ((a.time_from_previous.value, b.time_from_previous.value),
                             (a.time_from_previous.low, b.time_from_previous.low),
                             (a.time_from_previous.high, b.time_from_previous.high)):
                    assert x == pytest.approx(y, abs=1e-5)


@pytest.mark.django_db
def test_hand_counts(tenant_a: Any) -> None:
    """Five people, a three-step funnel with a one-day window, counted by hand."""
    org = tenant_a.org
    h = timedelta(hours=1)
    rows = [
        # 1: a → b → c in order: reaches all three (b after 1 h, c after 2 h more)
        (1, "signed_up", T0), (1, "connected", T0 + h), (1, "published", T0 + 3 * h),
        # 2: b before a counts only when repeated after a: reaches step 1 at the second b (5 h), not c
        (2, "connected", T0), (2, "signed_up", T0 + h), (2, "connected", T0 + 6 * h),
        # 3: enters twice; only the first entry counts; c is beyond the window from the first entry
        (3, "signed_up", T0), (3, "connected", T0 + 2 * h), (3, "signed_up", T0 + 30 * h),
        (3, "published", T0 + 25 * h),
        # 4: enters only; 5: has no step-0 event in the period (before it)
        (4, "signed_up", T0 + 2 * h), (5, "signed_up", T0 - 2 * h), (5, "connected", T0),
        # 6: step 2 exactly at the window's edge (inclusive), b and c at the same second
        (6, "signed_up", T0), (6, "connected", T0 + 24 * h), (6, "published", T0 + 24 * h),
    ]
    Event.objects.bulk_create([_event(org, name, at, p) for p, name, at in rows])
    steps = [StepDef(event="signed_up"), StepDef(event="connected"), StepDef(event="published")]
    raw = funnels.run(org, steps, T0 - timedelta(minutes=1), T0 + timedelta(days=1), 86400, durations="all")
    assert raw.reached == [5, 4, 2]
    assert raw.durations == [[3600.0, 7200.0, 18000.0, 86400.0], [0.0, 7200.0]]
    # the period starts after person 5's sign-up and includes person 3's second one
    raw = funnels.run(org, steps, T0 - timedelta(hours=1), T0 + timedelta(days=2), 86400)
    assert raw.reached == [5, 4, 2]


@pytest.mark.django_db
def test_compute_figures_and_groups(tenant_a: Any) -> None:
    org = tenant_a.org
    big = Account.objects.create(org=org, external_id="BIG", name="Big", tier="enterprise")
    small = Account.objects.create(org=org, external_id="SMALL", name="Small", tier="smb")
    rows: list[Event] = []
    contacts = []
    for i in range(40):
        c = Contact.objects.create(org=org, external_id=f"C{i}", name=f"P{i}", account=big if i < 20 else small,
                                   attributes={"plan": "pro" if i % 2 else "free"})
        contacts.append(c)
        at = datetime(2026, 3, 2, 9, tzinfo=UTC)
        rows.append(_event(org, "signed_up", at, c.pk, contact=c))
        # enterprise: 18 of 20 connect; smb: 6 of 20
        if (i < 20 and i < 18) or (i >= 20 and i < 26):
            rows.append(_event(org, "connected", at + timedelta(minutes=10 + i), c.pk, contact=c))
    rows.append(_event(org, "signed_up", datetime(2026, 3, 2, 9, tzinfo=UTC), -5))  # anonymous: no tier
    Event.objects.bulk_create(rows)
    steps = [StepDef(event="signed_up"), StepDef(event="connected")]
    result = funnels.compute(org, steps, date(2026, 3, 1), date(2026, 3, 31), grouping=Grouping("tier"))
    assert [f.reached for f in result.figures] == [41, 24]
    assert result.figures[1].from_previous == metrics.adjusted_wald(24, 41)
    assert result.figures[1].dropped == 17
    assert result.figures[1].time_from_previous == metrics.median_interval([60.0 * (10 + i) for i in
                                                                             [*range(18), *range(20, 26)]])
    by = {g.key: g for g in result.groups}
    assert by["enterprise"].reached == (20, 18) and by["smb"].reached == (20, 6)
    assert by[funnels.NONE].reached == (1, 0)
    test = by["enterprise"].vs_rest[1]
    assert test == metrics.compare_proportions(metrics.Proportion(6, 21, 100.0), metrics.Proportion(18, 20, 100.0))
    assert test is not None and test.significant
    plan = funnels.compute(org, steps, date(2026, 3, 1), date(2026, 3, 31), grouping=Grouping("attribute", key="plan"))
    assert {g.key: g.reached for g in plan.groups} == {"pro": (20, 12), "free": (20, 12), funnels.NONE: (1, 0)}

    from cxloop.segments.models import Segment

    seg = Segment.objects.create(org=org, name={"en": "Enterprise"},
                                 definition={"field": "account.tier", "op": "=", "value": "enterprise"})
    result = funnels.compute(org, steps, date(2026, 3, 1), date(2026, 3, 31), grouping=Grouping("segment", seg))
    assert [(g.key, g.reached) for g in result.groups] == [(funnels.MEMBERS, (20, 18)), (funnels.REST, (21, 6))]


@pytest.mark.django_db
def test_events_stored_through_ingest_count_the_same(tenant_a: Any) -> None:
    """Timestamps as ingest stores them (microseconds, any zone) give the same funnel."""
    from cxloop.behaviour import ingest

    org = tenant_a.org
    now = datetime(2026, 3, 10, tzinfo=UTC)
    items = []
    for i in range(30):
        base = datetime(2026, 3, 1, 8, tzinfo=UTC) + timedelta(hours=i, microseconds=123457 * i % 1_000_000)
        items.append({"event": "task_started", "timestamp": base.isoformat(), "anonymous_id": f"u{i}",
                      "properties": {"task": "export_report"}})
        if i % 3:
            items.append({"event": "task_completed", "timestamp": (base + timedelta(seconds=1.5 * i)).isoformat(),
                          "anonymous_id": f"u{i}", "properties": {"task": "export_report" if i % 2 else "other"}})
    result = ingest.ingest(org, items, now=now)
    assert result.stored == len(items)
    steps = funnels.parse_steps([{"event": "task_started", "where": {"task": "export_report"}},
                                 {"event": "task_completed", "where": {"task": "export_report"}}])
    raw = funnels.run(org, steps, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC), 86400,
                      durations="all")
    expected = sorted(1.5 * i for i in range(30) if i % 3 and i % 2)
    assert raw.reached == [30, len(expected)]
    assert raw.durations[0] == pytest.approx(expected, abs=1e-6)
    assert len(items) <= core_events.MAX_BATCH


@pytest.mark.django_db
def test_fetching_only_the_order_statistics_gives_the_same_medians(tenant_a: Any) -> None:
    """Beyond ``FULL`` people the statement returns only the rows near the median's and the interval's ranks;
    the figures equal those from every duration."""
    org = tenant_a.org
    rng = random.Random(3)
    rows = []
    for p in range(1, 3000):
        at = T0 + timedelta(seconds=rng.randint(0, 86400 * 5), microseconds=rng.randint(0, 999_999))
        rows.append(_event(org, "a", at, -p))
        if rng.random() < 0.9:
            rows.append(_event(org, "b", at + timedelta(seconds=rng.choice([0, 1, 2, rng.randint(0, 99999)])), -p))
            if rng.random() < 0.3:
                rows.append(_event(org, "c", at + timedelta(days=1, seconds=rng.randint(0, 9999)), -p))
    Event.objects.bulk_create(rows)
    steps = [StepDef(event="a"), StepDef(event="b"), StepDef(event="c")]
    end = T0 + timedelta(days=6)
    full = funnels.run(org, steps, T0, end, 86400 * 3, durations="all")
    sparse = funnels.run(org, steps, T0, end, 86400 * 3)
    assert full.reached == sparse.reached and full.reached[1] > funnels.FULL >= full.reached[2]
    assert sum(len(r) for r in sparse.ranks) < full.reached[2] + 30
    a = funnels.figures(full.reached, full.durations)
    b = funnels.figures(sparse.reached, [sparse.sorted_durations(i) for i in range(2)])
    assert a == b
    assert a[1].time_from_previous == metrics.median_interval(full.durations[0])


# --- definitions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "field", "words"), [
    ("x", "steps", "list"),
    ([{"event": "a"}], "steps", "at least 2"),
    ([{"event": "a"}] * 11, "steps", "at most 10"),
    ([{"event": "a"}, {"event": "b"}, {}], "steps[2].event", "is required"),
    ([{"event": "a"}, {"event": "  "}], "steps[1].event", "is required"),
    ([{"event": "a"}, {"event": 5}], "steps[1].event", "text"),
    ([{"event": "a"}, 7], "steps[1]", "object"),
    ([{"event": "a", "wher": {}}, {"event": "b"}], "steps[0].wher", "unknown"),
    ([{"event": "a", "where": []}, {"event": "b"}], "steps[0].where", "object"),
    ([{"event": "a", "where": {"a b": 1}}, {"event": "b"}], "steps[0].where", "property name"),
    ([{"event": "a", "where": {"k": [1]}}, {"event": "b"}], "steps[0].where.k", "text, a number"),
    ([{"event": "a", "where": {"k": "x" * 201}}, {"event": "b"}], "steps[0].where.k", "200"),
])
def test_step_validation_names_the_step(raw: Any, field: str, words: str) -> None:
    with pytest.raises(funnels.FunnelError) as caught:
        funnels.parse_steps(raw)
    assert caught.value.field == field
    assert caught.value.message.startswith(field + ":") and words in caught.value.message


def test_matching_is_strict_about_json_types() -> None:
    step = StepDef(event="x", where=(("n", 5),))
    assert step.matches("x", "", {"n": 5.0}) and not step.matches("x", "", {"n": "5"})
    assert not StepDef(event="x", where=(("b", True),)).matches("x", "", {"b": 1})
    assert not step.matches("y", "", {"n": 5}) and not step.matches("x", "", {})


# --- ingest: group commit ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_are_written_together_and_each_id_is_stored_once() -> None:
    """Threads sending batches at once (some client ids shared between them): every event without an id is
    stored, each id once, and exactly one item per id says "stored" (the others "duplicate")."""
    import threading

    from django.db import connection

    from cxloop.behaviour import ingest
    from cxloop.orgs import services

    org, _ = services.get_or_create_org(name="Group Commit")
    now = datetime(2026, 3, 10, tzinfo=UTC)
    results: list[Any] = []
    errors: list[BaseException] = []

    def send(t: int) -> None:
        try:
            items = [{"event": "page_view", "timestamp": "2026-03-01T08:00:00Z", "anonymous_id": f"u{t}-{i}",
                      **({"id": f"shared-{i}"} if i % 2 else {"id": f"own-{t}-{i}"} if i % 3 else {})}
                     for i in range(60)]
            results.append(ingest.ingest(org, items, now=now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    shared = {f"shared-{i}" for i in range(60) if i % 2}
    own = {f"own-{t}-{i}" for t in range(4) for i in range(60) if not i % 2 and i % 3}
    plain = 4 * sum(1 for i in range(60) if not i % 2 and not i % 3)
    assert Event.objects.filter(org=org).count() == len(shared) + len(own) + plain
    assert sum(r.stored for r in results) == len(shared) + len(own) + plain
    assert sum(r.duplicates for r in results) == 3 * len(shared)


# --- API -----------------------------------------------------------------------------------------------------

ONBOARDING = [{"event": "signed_up"}, {"event": "connected"}, {"event": "published", "where": {"ok": True}}]


def _onboarding_events(org: Any, day: datetime = datetime(2026, 3, 2, 9, tzinfo=UTC)) -> None:
    rows = []
    for p in range(1, 21):
        rows.append(_event(org, "signed_up", day, -p, touchpoint="signup"))
        if p <= 12:
            rows.append(_event(org, "connected", day + timedelta(hours=p), -p, touchpoint="setup"))
        if p <= 5:
            rows.append(_event(org, "published", day + timedelta(days=1), -p, touchpoint="publish",
                               properties={"ok": True}))
        if p == 6:
            rows.append(_event(org, "published", day + timedelta(days=1), -p, properties={"ok": False}))
    Event.objects.bulk_create(rows)


@pytest.mark.django_db
def test_api_saves_lists_changes_and_deletes_funnels(tenant_a: Any, api_client: Any) -> None:
    key = tenant_a.keys["owner"]
    made = api_client.call("POST", "/api/v1/funnels", key, {"name": {"en": "Onboarding", "zh-hans": "入门"},
                                                            "steps": ONBOARDING, "window_days": 14})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["steps"] == ONBOARDING and body["window_days"] == 14 and body["name"]["zh-hans"] == "入门"
    fid = body["id"]
    assert [f["id"] for f in api_client.call("GET", "/api/v1/funnels", key).json()["items"]] == [fid]
    assert api_client.call("GET", f"/api/v1/funnels/{fid}", tenant_a.keys["viewer"]).json()["id"] == fid
    changed = api_client.call("PUT", f"/api/v1/funnels/{fid}", key, {"window_days": 30})
    assert changed.status_code == 200 and changed.json()["window_days"] == 30 and changed.json()["steps"] == ONBOARDING
    bad = api_client.call("PUT", f"/api/v1/funnels/{fid}", key, {"steps": [{"event": "a"}, {"event": "b"}, {}]})
    assert bad.status_code == 422 and bad.json()["field"] == "steps[2].event"
    assert bad.json()["detail"] == "steps[2].event: is required"
    assert api_client.call("POST", "/api/v1/funnels", key, {"name": "x", "steps": ONBOARDING,
                                                            "window_days": 0}).json()["field"] == "window_days"
    assert api_client.call("POST", "/api/v1/funnels", key, {"steps": ONBOARDING}).json()["field"] == "name"
    assert api_client.call("DELETE", f"/api/v1/funnels/{fid}", key).status_code == 204
    assert api_client.call("GET", f"/api/v1/funnels/{fid}", key).status_code == 404


@pytest.mark.django_db
def test_api_results_roles_and_tenancy(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    _onboarding_events(tenant_a.org)
    owner, viewer = tenant_a.keys["owner"], tenant_a.keys["viewer"]
    fid = api_client.call("POST", "/api/v1/funnels", owner, {"name": "Onboarding", "steps": ONBOARDING}).json()["id"]
    result = api_client.call("GET", f"/api/v1/funnels/{fid}/result?from=2026-03-01&to=2026-03-31", viewer)
    assert result.status_code == 200, result.content
    data = result.json()
    assert [s["reached"] for s in data["steps"]] == [20, 12, 5]
    assert data["steps"][1]["from_previous"]["value"] == pytest.approx(metrics.adjusted_wald(12, 20).value, abs=1e-6)
    assert data["steps"][1]["median_seconds_from_previous"]["value"] == pytest.approx(6.5 * 3600)
    assert data["biggest_drop_step"] == 2 and data["entered"] == 20
    # viewers read but do not change; members compute ad-hoc definitions
    assert api_client.call("POST", "/api/v1/funnels", viewer, {"name": "x", "steps": ONBOARDING}).status_code == 403
    assert api_client.call("DELETE", f"/api/v1/funnels/{fid}", viewer).status_code == 403
    assert api_client.call("POST", "/api/v1/funnels/compute", viewer, {"steps": ONBOARDING}).status_code == 403
    adhoc = api_client.call("POST", "/api/v1/funnels/compute", owner,
                            {"steps": ONBOARDING[:2], "from": "2026-03-01", "to": "2026-03-31", "group": "tier"})
    assert adhoc.status_code == 200, adhoc.content
    assert [s["reached"] for s in adhoc.json()["steps"]] == [20, 12]
    assert adhoc.json()["groups"]["rows"][0]["kind"] == "none"
    assert api_client.call("POST", "/api/v1/funnels/compute", owner,
                           {"steps": ONBOARDING, "from": "March"}).json()["field"] == "from"
    assert api_client.call("GET", f"/api/v1/funnels/{fid}/result?from=2026-03-05&to=2026-03-01",
                           owner).json()["field"] == "to"
    # another organisation: its key and its ids are 404
    other = tenant_b.keys["owner"]
    for method, path in [("GET", f"/api/v1/funnels/{fid}"), ("GET", f"/api/v1/funnels/{fid}/result"),
                         ("PUT", f"/api/v1/funnels/{fid}"), ("DELETE", f"/api/v1/funnels/{fid}")]:
        assert api_client.call(method, path, other, {} if method == "PUT" else None).status_code == 404
    assert api_client.call("GET", "/api/v1/funnels", other).json()["items"] == []
    from cxloop.segments.models import Segment

    seg_b = Segment.objects.create(org=tenant_b.org, name={"en": "B"}, definition={"field": "account.tier",
                                                                                  "op": "exists"})
    assert api_client.call("GET", f"/api/v1/funnels/{fid}/result?segment={seg_b.pk}", owner).status_code == 404
    from cxloop.journeys import services as journeys

    journey_b = journeys.save_journey(org=tenant_b.org, name="B journey")
    assert api_client.call("POST", "/api/v1/funnels", owner, {"name": "x", "journey": journey_b.pk}).status_code == 404


def _journey(org: Any) -> Any:
    from cxloop.journeys import services as journeys

    journey = journeys.save_journey(org=org, name={"en": "Onboarding journey", "zh-hans": "入门旅程"})
    for stage_name, keys in [("Sign up", ["signup"]), ("Set up", ["setup"]), ("Publish", ["publish"])]:
        stage = journeys.add_stage(journey=journey, name=stage_name)
        for key in keys:
            touchpoint = journeys.save_touchpoint(org=org, key=key, name=key)
            journeys.add_step(stage=stage, touchpoint=touchpoint)
    return journey


@pytest.mark.django_db
def test_a_journey_funnel_follows_the_stages(tenant_a: Any, api_client: Any) -> None:
    _onboarding_events(tenant_a.org)
    journey = _journey(tenant_a.org)
    key = tenant_a.keys["owner"]
    made = api_client.call("POST", "/api/v1/funnels", key, {"name": "Journey", "journey": journey.pk})
    assert made.status_code == 201 and made.json()["steps"] == [] and made.json()["journey"] == journey.pk
    data = api_client.call("GET", f"/api/v1/funnels/{made.json()['id']}/result?from=2026-03-01&to=2026-03-31",
                           key).json()
    assert [s["reached"] for s in data["steps"]] == [20, 12, 5]  # the event without a touchpoint does not count
    assert data["steps"][2]["step"] == {"stage": "Publish", "touchpoints": ["publish"]}


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_list_new_detail_edit_delete(tenant_a: Any) -> None:
    from cxloop.segments.models import Segment

    org = tenant_a.org
    _onboarding_events(org)
    base = f"/o/{org.slug}/behaviour/funnels/"
    client = Client()
    client.force_login(tenant_a.owner)
    assert client.get(base).status_code == 200
    page = client.get(base + "new/")
    assert page.status_code == 200 and b'<datalist id="event-names">' in page.content and b"signed_up" in page.content
    # a problem is shown at its row
    bad = client.post(base + "new/", {"name_en": "Onboarding", "kind": "events", "window_days": "30", "rows": "4",
                                      "step_0_event": "signed_up", "step_1_where": "x = 1", "step_2_event": "b"})
    assert bad.status_code == 422 and "steps[1].event: is required" in bad.content.decode()
    bad = client.post(base + "new/", {"name_en": "Onboarding", "kind": "events", "window_days": "30", "rows": "4",
                                      "step_0_event": "signed_up", "step_1_event": "b", "step_1_where": "oops"})
    assert bad.status_code == 422 and "property = value" in bad.content.decode()
    more = client.post(base + "new/", {"name_en": "x", "kind": "events", "window_days": "30", "rows": "4",
                                       "more": "1"})
    assert more.status_code == 200 and b'name="step_5_event"' in more.content
    made = client.post(base + "new/", {"name_en": "Onboarding", "kind": "events", "window_days": "30", "rows": "4",
                                       "step_0_event": "signed_up", "step_1_event": "connected",
                                       "step_3_event": "published", "step_3_where": "ok = true"})
    assert made.status_code == 302
    f = Funnel.objects.get(org=org)
    assert f.steps == ONBOARDING and f.created_by == tenant_a.owner
    detail = client.get(made["Location"] + "?from=2026-03-01&to=2026-03-31")
    text = detail.content.decode()
    assert detail.status_code == 200 and "data:image/svg+xml;base64," in text and "row-spike" in text
    assert ">20<" in text and "60.0% [38.6%–78.2%]" in text, text[text.find("<tbody>"):][:1500]
    seg = Segment.objects.create(org=org, name={"en": "Nobody"}, definition={"field": "account.tier", "op": "exists"})
    grouped = client.get(made["Location"] + f"?from=2026-03-01&to=2026-03-31&segment={seg.pk}")
    assert grouped.status_code == 200 and "Members of Nobody" in grouped.content.decode()
    assert client.get(made["Location"] + "?from=2026-03-09&to=2026-03-01").status_code == 400
    assert client.get(made["Location"] + "?group=attribute").status_code == 400
    edit = client.get(base + f"{f.pk}/edit/")
    assert edit.status_code == 200 and b'value="ok = true"' in edit.content
    assert client.post(base + f"{f.pk}/delete/").status_code == 302
    assert not Funnel.objects.filter(org=org).exists()
    # viewers read only
    f = funnels.save_funnel(org=org, name="Again", steps=ONBOARDING)
    viewer = Client()
    viewer.force_login(tenant_a.viewer)
    assert viewer.get(base + f"{f.pk}/").status_code == 200
    assert viewer.get(base + "new/").status_code == 403
    assert viewer.post(base + f"{f.pk}/delete/").status_code == 403


@pytest.mark.django_db
def test_the_journey_map_shows_the_stage_band_only_with_events(tenant_a: Any) -> None:
    journey = _journey(tenant_a.org)
    client = Client()
    client.force_login(tenant_a.viewer)
    url = f"/o/{tenant_a.org.slug}/journeys/{journey.pk}/?from=2026-03-01&to=2026-03-31"
    assert b'id="band-title"' not in client.get(url).content
    _onboarding_events(tenant_a.org)
    page = client.get(url)
    assert page.status_code == 200 and b'id="band-title"' in page.content
    assert page.context["band"]["rows"][1]["went_on"].startswith("41.")  # 5 of 12 went on to the last stage
