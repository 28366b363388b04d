"""Issue 6, acceptance 4 (the theme trend half; discovery is in test_browser_codeframe / test_discovery) on the
demo: the theme pages show the month-18 export defect as a significant spike of the Export theme — in the
month the defective release shipped, and not before — and render in a real browser (Debian's Chromium through
Playwright): zh-Hans, zh-Hant and English, phone (390×844) and desktop, no console errors or CSP violations,
the trend chart decoded, the theme highlighted in the comments. Screenshots in test-artifacts/ (and docs/img/
with CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import EN_DESKTOP, EN_PHONE, ZH_DESKTOP, ZH_HANT_DESKTOP, ZH_PHONE, assert_fits, shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = (ZH_DESKTOP, ZH_PHONE, ZH_HANT_DESKTOP, EN_DESKTOP, EN_PHONE)
TITLES = {"zh-hans": "导出", "zh-hant": "匯出", "en": "Export"}


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def test_export_defect_is_a_significant_spike_on_the_demo(browser: Any, live_server: Any, demo: Any,
                                                          screenshot_dir: Path) -> None:
    from cxloop.analytics import dashboard, metrics_service, themes
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD
    from cxloop.demo.timeline import DEFECT_MONTH, build_timeline

    today = metrics_service.local_today()
    defect = build_timeline(today).months[DEFECT_MONTH - 1].start
    start, end = dashboard.default_range(today)
    f = dashboard.Filters(start=start, end=end)
    detail = themes.detail(demo.org, "product/export", f, "en")
    by_month = {m.month: m for m in detail.months}
    spike = by_month[defect].spike
    assert spike is not None and spike.direction == "up" and spike.p_value is not None and spike.p_value < 0.01
    assert not any(m.spike is not None and m.spike.direction == "up" for m in detail.months if m.month < defect)
    assert by_month[defect].share.value is not None and by_month[defect].share.value > 3 * (
        sum(m.count for m in detail.months if m.month < defect)
        / max(1, sum(m.comments for m in detail.months if m.month < defect)) * 100)
    overview = themes.overview(demo.org, f, "en")
    export = next(r for r in overview.rows if r.key == "product/export")
    assert export.spike is not None and defect <= export.spike <= date(defect.year + (defect.month + 1) // 13,
                                                                        defect.month % 12 + 1, 1)

    for variant, page, problems in signed_in(browser, VIEWS, live_server.url, DEMO_EMAIL, DEMO_PASSWORD):
        lang, kind = variant.lang, variant.kind
        page.click("nav.mainnav a[data-nav=themes]")
        page.wait_for_selector("table.theme-table")
        assert page.locator("html").get_attribute("lang") == lang
        row = page.locator("table.theme-table tr", has=page.locator(f"a:text-is('{TITLES[lang]}')"))
        assert row.locator(".badge-spike").count() == 1
        shot(page, screenshot_dir, f"themes-{lang}-{kind}", docs=True)

        row.locator("a").first.click()
        page.wait_for_selector("img.chart-img")
        assert page.locator("h1").inner_text() == TITLES[lang]
        assert page.eval_on_selector("img.chart-img", "i => i.complete && i.naturalWidth > 0")
        assert page.locator(".theme-comment mark").count() >= 10
        assert page.locator("tr.row-spike").count() >= 1
        assert defect.strftime("%Y-%m") in page.locator("tr.row-spike").first.inner_text()
        shot(page, screenshot_dir, f"theme-export-{lang}-{kind}", docs=True)

        page.select_option("#id_sentiment", "negative")
        page.click(".dash-filters button[type=submit]")
        page.wait_for_url("**sentiment=negative**")
        assert page.locator(".theme-comment .badge-negative").count() == page.locator(".theme-comment").count()
        assert_fits(page, variant, "the theme's page")
        assert problems == [], problems
