"""Acceptance 5 in a real browser (Debian's Chromium through Playwright) on the demo: the organisation's
dashboard renders its charts (pygal SVG as <img src="data:…">) and filters; changing a filter changes the
URL and the page; no CSP violation; phone (390×844) and desktop, zh-Hans, zh-Hant and English; the
survey dashboard and the key-driver chart too. Screenshots in test-artifacts/ (and docs/img/ with
CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from tests.browserkit import EN_DESKTOP, EN_PHONE, ZH_DESKTOP, ZH_HANT_DESKTOP, ZH_PHONE, shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = (ZH_DESKTOP, ZH_PHONE, ZH_HANT_DESKTOP, EN_DESKTOP, EN_PHONE)


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def _charts(page: Any) -> list[dict[str, Any]]:
    """Every chart image: its data: URI, what the browser chose (narrow <source> on a phone), whether
    it decoded, its alt text and the width it is drawn at."""
    return page.eval_on_selector_all("img.chart-img", """imgs => imgs.map(i => ({
        src: i.getAttribute('src').slice(0, 26), current: i.currentSrc === i.src ? 'wide' : 'narrow',
        loaded: i.complete && i.naturalWidth > 0, alt: i.alt, width: i.getBoundingClientRect().width}))""")


def test_dashboard_charts_and_filters_in_the_browser(browser: Any, live_server: Any, demo: Any,
                                                      screenshot_dir: Path) -> None:
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD
    from cxloop.surveys.models import Survey

    org = demo.org.slug
    acsi = Survey.objects.get(org=demo.org, kind="acsi")
    for variant, page, problems in signed_in(browser, VIEWS, live_server.url, DEMO_EMAIL, DEMO_PASSWORD):
        lang, kind, phone, screen = variant.lang, variant.kind, variant.phone, variant.viewport["width"]
        assert urlparse(page.url).path == f"/o/{org}/"
        assert page.locator("html").get_attribute("lang") == lang

        # cards, the trend and the breakdown, each chart an SVG image the browser decoded
        assert page.locator(".metric-card").count() == 4
        charts = _charts(page)
        assert len(charts) == 2, charts
        assert all(c["src"] == "data:image/svg+xml;base64," and c["loaded"] and c["alt"] for c in charts), charts
        assert all(c["current"] == ("narrow" if phone else "wide") for c in charts), charts
        assert all(c["width"] <= screen for c in charts)
        assert page.locator("table").count() >= 2  # the numbers beside the charts
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= screen, f"page is {width}px wide on a {screen}px screen"
        shot(page, screenshot_dir, f"dashboard-{lang}-{kind}", docs=True)

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
            shot(page, screenshot_dir, f"dashboard-survey-{lang}-desktop", docs=True)
            page.goto(f"{live_server.url}/o/{org}/surveys/{acsi.pk}/drivers/")
            assert len(_charts(page)) == 1 and page.locator("table tbody tr").count() >= 3
            shot(page, screenshot_dir, f"dashboard-drivers-{lang}-desktop", docs=True)
        csp = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
        assert not csp, csp
        assert not [p for p in problems if "error" in p.lower()], problems
