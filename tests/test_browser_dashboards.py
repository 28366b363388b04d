"""Acceptance 5 in a real browser (Debian's Chromium through Playwright) on the demo: the organisation's
dashboard renders its charts (pygal SVG as <img src="data:…">) and filters; changing a filter changes the
URL and the page; no CSP violation; phone (390×844) and desktop, zh-Hans, zh-Hant and English; the
survey dashboard and the key-driver chart too. Screenshots in test-artifacts/ (and docs/img/ with
CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
VIEWS = [("zh-CN", "zh-hans", {"width": 1280, "height": 900}, "desktop"),
         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone"),
         ("zh-TW", "zh-hant", {"width": 1280, "height": 900}, "desktop"),
         ("en-US", "en", {"width": 1280, "height": 900}, "desktop"),
         ("en-US", "en", {"width": 390, "height": 844}, "phone")]


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("CXLOOP_UPDATE_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / path.name)


def _sign_in(page: Any, base: str) -> None:
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", DEMO_EMAIL)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector("nav.mainnav")


def _charts(page: Any) -> list[dict[str, Any]]:
    """Every chart image: its data: URI, what the browser chose (narrow <source> on a phone), whether
    it decoded, its alt text and the width it is drawn at."""
    return page.eval_on_selector_all("img.chart-img", """imgs => imgs.map(i => ({
        src: i.getAttribute('src').slice(0, 26), current: i.currentSrc === i.src ? 'wide' : 'narrow',
        loaded: i.complete && i.naturalWidth > 0, alt: i.alt, width: i.getBoundingClientRect().width}))""")


def test_dashboard_charts_and_filters_in_the_browser(browser: Any, live_server: Any, demo: Any,
                                                      screenshot_dir: Path) -> None:
    from cxloop.surveys.models import Survey

    org = demo.org.slug
    acsi = Survey.objects.get(org=demo.org, kind="acsi")
    for locale, lang, viewport, kind in VIEWS:
        phone = kind == "phone"
        context = browser.new_context(locale=locale, viewport=viewport, is_mobile=phone, has_touch=phone,
                                      device_scale_factor=2 if phone else 1)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m, p=problems: p.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e, p=problems: p.append(str(e)))
        _sign_in(page, live_server.url)
        assert urlparse(page.url).path == f"/o/{org}/"
        assert page.locator("html").get_attribute("lang") == lang

        # cards, the trend and the breakdown, each chart an SVG image the browser decoded
        assert page.locator(".metric-card").count() == 4
        charts = _charts(page)
        assert len(charts) == 2, charts
        assert all(c["src"] == "data:image/svg+xml;base64," and c["loaded"] and c["alt"] for c in charts), charts
        assert all(c["current"] == ("narrow" if phone else "wide") for c in charts), charts
        assert all(c["width"] <= viewport["width"] for c in charts)
        assert page.locator("table").count() >= 2  # the numbers beside the charts
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"page is {width}px wide on a {viewport['width']}px screen"
        _shot(page, screenshot_dir, f"dashboard-{lang}-{kind}")

        # change filters: the URL carries them and the page follows
        page.select_option("select[name=measure]", "csat")
        page.select_option("select[name=interval]", "week")
        page.select_option("select[name=group_by]", "channel")
        page.click("form.dash-filters button[type=submit]")
        page.wait_for_load_state()
        query = parse_qs(urlparse(page.url).query)
        assert query["measure"] == ["csat"] and query["interval"] == ["week"] and query["group_by"] == ["channel"]
        assert "from" in query and "to" in query
        assert page.locator("select[name=measure]").input_value() == "csat"
        assert len(_charts(page)) == 2
        assert page.locator("#breakdown-title").inner_text() != ""
        if lang == "en":
            assert "by week" in page.locator("#trend-title").inner_text()
            assert "Channel" in page.locator("#breakdown-title").inner_text()
        # Back goes to the previous filters (everything is in the URL), and a shared URL opens the same view
        page.go_back()
        page.wait_for_load_state()
        assert urlparse(page.url).path == f"/o/{org}/" and "measure=csat" not in page.url
        page.goto(f"{live_server.url}/o/{org}/?{urlparse(page.url).query}&measure=ces&group_by=tier")
        assert page.locator("select[name=measure]").input_value() == "ces"
        assert page.locator("select[name=group_by]").input_value() == "tier"

        if kind == "desktop" and lang != "zh-hant":
            page.goto(f"{live_server.url}/o/{org}/surveys/{acsi.pk}/dashboard/")
            assert len(_charts(page)) >= 3
            _shot(page, screenshot_dir, f"dashboard-survey-{lang}-desktop")
            page.goto(f"{live_server.url}/o/{org}/surveys/{acsi.pk}/drivers/")
            assert len(_charts(page)) == 1 and page.locator("table tbody tr").count() >= 3
            _shot(page, screenshot_dir, f"dashboard-drivers-{lang}-desktop")
        csp = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
        assert not csp, csp
        assert not [p for p in problems if "error" in p.lower()], problems
        context.close()
