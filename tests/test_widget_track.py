"""Tracking from the website widget: a page on another loopback port loads the widget with the organisation's
public site key, sends a page view on load (``cxloop('page')``) and a custom event on a click
(``cxloop('track', …)``) — they land in the events table, filed under the contact named by the site's user id,
with the widget as source, and the host page keeps working. Also the endpoint itself: write-only, allowed
origins and CORS, limits, an unknown user id filed anonymously, the server-only names refused. And the event
log page in zh-Hans and English, phone and desktop (screenshots in test-artifacts/)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.browserkit import BY_LANGUAGE, assert_fits, shot, signed_in
from tests.test_widget import _serve

from cxloop.behaviour import tracking

HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>
<body>
<h1>Acme shop</h1>
<button id="buy">Add to cart</button> <span id="count">0</span>
<script>
  window.cxloop = window.cxloop || function () { (cxloop.q = cxloop.q || []).push(arguments); };
  cxloop('init', { siteKey: '%(key)s', user: %(user)s, touchpoint: 'web_shop', show: 'manual' });
  cxloop('page');
  document.getElementById("buy").addEventListener("click", function () {
    var c = document.getElementById("count"); c.textContent = String(Number(c.textContent) + 1);
    cxloop('track', 'add_to_cart', { sku: 'A-1', price: 129.5 });
  });
</script>
<script src="%(origin)s/static/cxloop/widget.js" async></script>
</body></html>"""


def _wait_for(count: int, org: Any, timeout: float = 10) -> list[Any]:
    from cxloop.behaviour.models import Event

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(Event.objects.filter(org=org).order_by("at", "pk").select_related("contact"))
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{count} events expected, {Event.objects.filter(org=org).count()} arrived")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_page_views_and_custom_events_land_in_the_table(browser: Any, live_server: Any, tenant_a: Any,
                                                        screenshot_dir: Path) -> None:
    from cxloop.customers.models import Contact

    org = tenant_a.org
    Contact.objects.create(org=org, external_id="shop-user-42", name="Shop user 42")
    key = tracking.site_key(org)
    html = HOST_PAGE % {"key": key.key, "user": "'shop-user-42'", "origin": live_server.url}
    with _serve(html.encode()) as site:
        tracking.set_origins(org, [site.rstrip("/")])
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site)
        page.click("#buy")
        page.click("#buy")
        assert page.inner_text("#count") == "2"
        events = _wait_for(3, org)
        anonymous = page.evaluate("window.localStorage.getItem('cxloop:anon')")
        page.goto("about:blank")  # leaving the page sends what is left
        context.close()
        assert errors == []
    assert [e.name for e in events] == ["page_view", "add_to_cart", "add_to_cart"]
    view, cart = events[0], events[1]
    assert view.properties == {"path": "/"} and view.touchpoint == "web_shop" and view.source == "widget"
    assert cart.properties == {"sku": "A-1", "price": 129.5}
    assert all(e.contact is not None and e.contact.external_id == "shop-user-42" for e in events)
    assert all(e.anonymous_id == anonymous and e.client_id.startswith("w:") for e in events)

    # A visitor who is not signed in: anonymous, the same id on every page of the site.
    html = HOST_PAGE % {"key": key.key, "user": "null", "origin": live_server.url}
    with _serve(html.encode()) as site:
        tracking.set_origins(org, [site.rstrip("/")])
        context = browser.new_context()
        page = context.new_page()
        page.goto(site)
        page.reload()
        later = _wait_for(5, org)[3:]
        context.close()
    assert [e.name for e in later] == ["page_view", "page_view"]
    assert all(e.contact is None and e.person < 0 for e in later)
    assert later[0].anonymous_id == later[1].anonymous_id != anonymous


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_event_log_page_in_two_languages_on_phone_and_desktop(browser: Any, live_server: Any, tenant_a: Any,
                                                                  screenshot_dir: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cxloop.behaviour import ingest

    org = tenant_a.org
    now = timezone.now()
    items = [{"event": name, "timestamp": (now - timedelta(hours=i * 7)).isoformat(), "anonymous_id": f"v-{i % 9}",
              "touchpoint": "website" if name == "page_view" else "report_export",
              "properties": {"path": "/pricing"} if name == "page_view" else
              {"task": "export_report", "area": "reporting", "duration_ms": 4000 + i}}
             for i, name in enumerate(["page_view", "task_started", "task_completed"] * 40)]
    assert ingest.ingest(org, items).stored == 120
    for variant, p, problems in signed_in(browser, BY_LANGUAGE, live_server.url, tenant_a.owner.email):
        lang, name = variant.lang, variant.name
        p.goto(f"{live_server.url}/o/{org.slug}/behaviour/events/")
        assert p.locator("html").get_attribute("lang") == lang
        assert ("Events" if lang == "en" else "事件") in p.locator("h1").inner_text()
        assert p.locator("table").count() >= 2
        assert_fits(p, variant, "the event log")
        shot(p, screenshot_dir, f"events-{name}")
        p.screenshot(path=str(screenshot_dir / f"events-{name}-top.png"))
        p.locator("#site-key").scroll_into_view_if_needed()
        p.screenshot(path=str(screenshot_dir / f"events-{name}-site-key.png"))
        assert problems == [], problems


# --- the endpoint --------------------------------------------------------------------------------------------


def _post(client: Client, key: str, body: Any, origin: str = "https://shop.example.com", **headers: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/api/v1/track/{key}", data=data, content_type="text/plain", HTTP_ORIGIN=origin, **headers)


@pytest.mark.django_db
def test_the_endpoint_is_write_only_and_checks_origin_size_and_names(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.behaviour.models import Event
    from cxloop.customers.models import Contact

    org = tenant_a.org
    Contact.objects.create(org=org, external_id="known", name="Known")
    key = tracking.site_key(org).key
    client = Client()
    body = {"anonymous_id": "w-1", "uid": "known", "events": [
        {"event": "page_view", "properties": {"path": "/a"}, "id": "e1"},
        {"event": "renewed", "properties": {"arr": 1}},
        {"event": "", "id": "e3"},
        {"event": "add_to_cart", "properties": {"sku": "x"}, "touchpoint": "bad touchpoint!"},
        {"event": "add_to_cart", "id": "e1"},
    ]}
    answer = _post(client, key, body)
    assert answer.status_code == 202 and answer["Access-Control-Allow-Origin"] == "*"
    found = answer.json()
    assert found["stored"] == 1 and found["duplicates"] == 1
    assert [(r["index"], r["field"]) for r in found["rejected"]] == [(1, "event"), (2, "event"), (3, "touchpoint")]
    stored = Event.objects.get(org=org)
    assert stored.contact is not None and stored.contact.external_id == "known" and stored.client_id == "w:e1"
    assert stored.source == "widget" and stored.anonymous_id == "w-1"
    # an unknown user id is filed anonymously (a refusal would say which contacts exist)
    unknown = _post(client, key, {"uid": "stranger", "events": [{"event": "page_view"}]})
    assert unknown.status_code == 202 and unknown.json()["stored"] == 1
    anon = Event.objects.filter(org=org, contact__isnull=True).get()
    assert anon.anonymous_id == "site-user:stranger" and anon.person < 0
    # never readable, no key of another organisation's, nothing with a wrong key
    assert client.get(f"/api/v1/track/{key}").status_code == 405
    assert _post(client, "cxs_" + "x" * 24, body).status_code == 404
    assert _post(client, tracking.site_key(tenant_b.org).key, {"events": [{"event": "x"}]}).status_code == 202
    assert not Event.objects.filter(org=org, name="x").exists()
    # limits and bad bodies
    assert _post(client, key, b"{not json").status_code == 400
    assert _post(client, key, {"events": [{"event": "e"}] * (tracking.MAX_EVENTS + 1)}).status_code == 413
    assert _post(client, key, "x" * (tracking.MAX_BODY + 1)).status_code == 413
    # allowed origins
    tracking.set_origins(org, "https://shop.example.com")
    ok = _post(client, key, {"anonymous_id": "w-2", "events": [{"event": "page_view"}]})
    assert ok.status_code == 202 and ok["Access-Control-Allow-Origin"] == "https://shop.example.com"
    other = _post(client, key, {"anonymous_id": "w-2", "events": [{"event": "page_view"}]},
                  origin="https://evil.example.net")
    assert other.status_code == 403 and not other.has_header("Access-Control-Allow-Origin")
    preflight = client.options(f"/api/v1/track/{key}", HTTP_ORIGIN="https://shop.example.com")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert client.options(f"/api/v1/track/{key}", HTTP_ORIGIN="https://evil.example.net").status_code == 403
    # a rotated key stops at once
    tracking.rotate(org)
    assert _post(client, key, {"anonymous_id": "w-2", "events": [{"event": "page_view"}]}).status_code == 404


@pytest.mark.django_db
def test_the_rate_limit(tenant_a: Any, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    key = tracking.site_key(tenant_a.org).key
    client = Client()
    batch = {"anonymous_id": "w-9", "events": [{"event": "page_view"}] * tracking.MAX_EVENTS}
    sent = 0
    while sent + tracking.MAX_EVENTS <= tracking.RATE_PER_MINUTE:
        assert _post(client, key, batch).status_code == 202
        sent += tracking.MAX_EVENTS
    assert _post(client, key, batch).status_code == 429
    cache.clear()
