"""Acceptance: a page served from another loopback port embeds the widget snippet; the prompt shows
in an isolated frame, the visitor answers, the response carries the host site's user id (and is filed
under the contact with that external id), and the host page's own script keeps working. Also: the
frequency cap holds after an answer, and ``cxloop('show', {user})`` names a user who signed in later."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.test_respond import TWO_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOST_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>
<body>
<h1>Acme shop</h1>
<button id="buy">Add to cart</button> <span id="count">0</span>
<script>
  document.getElementById("buy").addEventListener("click", function () {
    var c = document.getElementById("count"); c.textContent = String(Number(c.textContent) + 1);
  });
  window.cxloop = window.cxloop || function () { (cxloop.q = cxloop.q || []).push(arguments); };
  cxloop('init', { survey: '%(slug)s', user: 'shop-user-42', attributes: { plan: 'pro' }, show: 'delay',
                   delay: 0.2, lang: 'en' });
</script>
<script src="%(origin)s/static/cxloop/widget.js" async></script>
</body></html>"""


@pytest.fixture
def host_site(live_server: Any, survey: Any) -> Iterator[str]:
    with _serve((HOST_PAGE % {"slug": survey.slug, "origin": live_server.url}).encode()) as url:
        yield url


@contextlib.contextmanager
def _serve(body: bytes) -> Iterator[str]:
    """A host site on another loopback port that serves ``body``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()


@pytest.fixture
def survey(transactional_db: None) -> Any:
    from cxloop.orgs.services import get_or_create_org
    from cxloop.surveys import services

    org, _ = get_or_create_org(name="Acme Shop Owner")
    s = services.create_survey(org=org, name="Shop NPS", definition=TWO_PAGES, touchpoint="web_shop")
    services.publish(survey=s)
    return s


def test_widget_on_another_site(browser: Any, host_site: str, survey: Any, screenshot_dir: Path) -> None:
    from cxloop.surveys.models import Answer, Response

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(host_site)
    page.wait_for_selector("[data-cxloop-widget] iframe")
    frame = page.frame_locator("[data-cxloop-widget] iframe")
    frame.get_by_text("How likely are you to recommend us to a colleague?").wait_for()
    page.screenshot(path=str(screenshot_dir / "widget-on-host-page.png"))
    # The host page's own script still works while the widget is open.
    page.click("#buy")
    page.click("#buy")
    assert page.inner_text("#count") == "2"
    frame.locator("label.r-point:has(input[value='10'])").click()
    frame.locator("button.r-submit").click()
    frame.locator("textarea[name=reason]").fill("Fast checkout")
    frame.locator("button.r-submit").click()
    frame.get_by_text("Thanks for your feedback!").wait_for()
    page.wait_for_selector("[data-cxloop-widget]", state="detached", timeout=10_000)
    assert errors == []

    response = Response.objects.get(survey=survey)
    assert response.channel == "widget" and response.status == "complete"
    assert response.embedded["site_user_id"] == "shop-user-42" and response.embedded["site_plan"] == "pro"
    # The site's user is the survey organisation's contact with that external id.
    assert response.contact is not None and response.contact.external_id == "shop-user-42"
    assert response.contact.org_id == survey.org_id
    assert Answer.objects.get(response=response, question_key="nps").number == 10
    # Answered: the widget does not ask again on the next visit.
    page.reload()
    page.wait_for_timeout(800)
    assert page.locator("[data-cxloop-widget]").count() == 0
    context.close()


def test_show_names_a_user_who_signed_in_after_init(browser: Any, live_server: Any, survey: Any) -> None:
    from cxloop.customers.models import Contact
    from cxloop.surveys.models import Response

    html = (HOST_PAGE.replace("show: 'delay'", "show: 'manual'").replace("user: 'shop-user-42', ", "")
            % {"slug": survey.slug, "origin": live_server.url})
    context = browser.new_context()
    page = context.new_page()
    with _serve(html.encode()) as site:
        page.goto(site)
        page.wait_for_function("typeof window.cxloop === 'function' && !window.cxloop.q")
        page.evaluate("cxloop('show', { user: 'late-user-7', attributes: { page: 'checkout' } })")
        frame = page.frame_locator("[data-cxloop-widget] iframe")
        frame.locator("label.r-point:has(input[value='6'])").click()
        frame.locator("button.r-submit").click()
        frame.locator("textarea[name=reason]").wait_for()
    context.close()
    response = Response.objects.get(survey=survey)
    assert response.embedded == {"site_user_id": "late-user-7", "site_plan": "pro", "site_page": "checkout"}
    assert response.contact == Contact.objects.get(org=survey.org, external_id="late-user-7")


def test_widget_never_breaks_the_host_when_cxloop_is_down(browser: Any, survey: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    html = HOST_PAGE % {"slug": survey.slug, "origin": "http://127.0.0.1:9"}  # nothing listens there
    page.set_content(html)
    page.click("#buy")
    assert page.inner_text("#count") == "1" and errors == []
    context.close()
