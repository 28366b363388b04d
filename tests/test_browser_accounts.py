"""The account pages in a real browser (Debian's Chromium through Playwright): the account list with its "At
risk" tab and one account's page, in zh-Hans and English, on a phone (390×844) and a desktop (1280×900). No
console errors (the strict CSP holds), no horizontal scroll on the phone, the trend chart decodes.
Screenshots in test-artifacts/ (``accounts-*.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import PASSWORD
from tests.test_accounts import book  # noqa: F401  (the constructed accounts)
from tests.test_browser_dashboards import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = [("zh-CN", "zh-hans", {"width": 1280, "height": 900}, "desktop"),
         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone"),
         ("en-US", "en", {"width": 1280, "height": 900}, "desktop"),
         ("en-US", "en", {"width": 390, "height": 844}, "phone")]


def _no_sideways_scroll(page: Any, viewport: dict[str, int], what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, f"{what} is wider than the screen: {width}"


def test_account_list_and_account_page(browser: Any, live_server: Any, book: dict[str, Any],  # noqa: F811
                                       tenant_a: Any, screenshot_dir: Path) -> None:
    acme = book["acme"]
    for locale, lang, viewport, kind in VIEWS:
        phone = kind == "phone"
        context = browser.new_context(locale=locale, viewport=viewport, is_mobile=phone, has_touch=phone,
                                      device_scale_factor=2 if phone else 1)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m, p=problems: p.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e, p=problems: p.append(str(e)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", tenant_a.owner.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].btn-primary")
        page.wait_for_selector("nav.mainnav")

        page.click("nav.mainnav a[data-nav=accounts]")
        page.wait_for_selector("#account-table")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#account-table tbody tr").count() == 9
        if phone:
            _no_sideways_scroll(page, viewport, "the account list")
        _shot(page, screenshot_dir, f"accounts-list-{lang}-{kind}")

        page.click("a[data-tab=at-risk]")
        page.wait_for_url("**view=at_risk**")
        rows = page.locator("#account-table tbody tr")
        assert rows.count() == 4
        assert "Acme Steel" in rows.nth(1).inner_text()
        _shot(page, screenshot_dir, f"accounts-at-risk-{lang}-{kind}")

        page.click(f"#account-table a[href$='/accounts/{acme.pk}/']")
        page.wait_for_selector("#account-health")
        assert "59" in page.locator("#account-health").inner_text()
        assert page.locator("#stakeholders tbody tr").count() == 7
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        if phone:
            _no_sideways_scroll(page, viewport, "the account page")
            for part in ("health", "trend", "people"):  # readable close-ups of the long phone page
                page.locator(f"section[aria-labelledby={part}-title]").screenshot(
                    path=str(screenshot_dir / f"accounts-detail-{part}-{lang}-phone.png"))
        _shot(page, screenshot_dir, f"accounts-detail-{lang}-{kind}")
        assert not problems, problems
        context.close()
