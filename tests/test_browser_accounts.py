"""The account pages in a real browser (Debian's Chromium through Playwright): the account list with its "At
risk" tab and one account's page, in zh-Hans and English, on a phone (390×844) and a desktop (1280×900). No
console errors (the strict CSP holds), no horizontal scroll on the phone, the trend chart decodes.
Screenshots in test-artifacts/ (``accounts-*.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import BY_LANGUAGE, assert_fits, fitted_shot, shot, signed_in
from tests.test_accounts import book  # noqa: F401  (the constructed accounts)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_account_list_and_account_page(browser: Any, live_server: Any, book: dict[str, Any],  # noqa: F811
                                       tenant_a: Any, screenshot_dir: Path) -> None:
    acme = book["acme"]
    for variant, page, problems in signed_in(browser, BY_LANGUAGE, live_server.url, tenant_a.owner.email):
        lang = variant.lang

        page.click("nav.mainnav a[data-nav=accounts]")
        page.wait_for_selector("#account-table")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#account-table tbody tr").count() == 9
        fitted_shot(page, variant, screenshot_dir, "accounts-list", "the account list", docs=True)

        page.click("a[data-tab=at-risk]")
        page.wait_for_url("**view=at_risk**")
        rows = page.locator("#account-table tbody tr")
        assert rows.count() == 4
        assert "Acme Steel" in rows.nth(1).inner_text()
        shot(page, screenshot_dir, f"accounts-at-risk-{variant.name}", docs=True)

        page.click(f"#account-table a[href$='/accounts/{acme.pk}/']")
        page.wait_for_selector("#account-health")
        assert "59" in page.locator("#account-health").inner_text()
        assert page.locator("#stakeholders tbody tr").count() == 7
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        if variant.phone:
            assert_fits(page, variant, "the account page")
            for part in ("health", "trend", "people"):  # readable close-ups of the long phone page
                page.locator(f"section[aria-labelledby={part}-title]").screenshot(
                    path=str(screenshot_dir / f"accounts-detail-{part}-{lang}-phone.png"))
        shot(page, screenshot_dir, f"accounts-detail-{variant.name}", docs=True)
        assert not problems, problems
