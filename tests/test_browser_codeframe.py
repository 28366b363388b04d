"""Settings → Themes in a real browser (Debian's Chromium through Playwright): the owner edits a theme, watches the
re-theming progress bar finish by itself (htmx polling, the counts refreshed in place), runs "Suggest themes" on
the comments of a period and adds the suggested QR-code topic as a theme in one click, then sees it re-themed.
Phone (390×844) and desktop (1280×900), zh-Hans and English; no console errors (the strict CSP holds); the phone
has no horizontal scroll. Screenshots in test-artifacts/ (``codeframe-*.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import PASSWORD, run_tasks
from tests.test_browser_dashboards import _shot
from tests.test_discovery import SINCE, UNTIL, Corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = [("zh-CN", "zh-hans", {"width": 1280, "height": 900}, "desktop"),
         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone"),
         ("en-US", "en", {"width": 1280, "height": 900}, "desktop"),
         ("en-US", "en", {"width": 390, "height": 844}, "phone")]
DONE = {"zh-hans": "已完成", "en": "Done"}
RISE = {"zh-hans": "显著上升", "en": "Significant rise"}


def _no_sideways_scroll(page: Any, viewport: dict[str, int], what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, f"{what} is wider than the screen: {width}"


def _reset(org: Any) -> None:
    """Back to the default codeframe, re-themed, so every view starts from the same place."""
    from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
    from cxloop.texts import services

    services.save_codeframe(org=org, definition=DEFAULT_CODEFRAME)
    run_tasks()


def _wait_for_retheme(page: Any, lang: str) -> None:
    from playwright.sync_api import expect

    status = page.locator("#retheme-status")
    expect(status).to_be_visible()
    assert status.get_attribute("hx-trigger") == "every 1s"  # polling while the job is queued
    assert run_tasks() >= 1  # the worker runs the job; the page notices by itself
    expect(page.locator("#retheme-status .status")).to_have_text(DONE[lang], timeout=15_000)
    assert page.locator("#retheme-status").get_attribute("hx-trigger") is None  # polling stopped
    expect(page.locator("#retheme-status progress")).to_have_attribute("value", "100")


def test_edit_a_theme_watch_the_progress_and_accept_a_suggestion(browser: Any, live_server: Any, tenant_a: Any,
                                                                  screenshot_dir: Path) -> None:
    from cxloop.texts.models import ThemeHit

    corpus = Corpus(tenant_a)
    org = tenant_a.org.slug
    base = f"{live_server.url}/o/{org}/settings/themes/"
    for locale, lang, viewport, kind in VIEWS:
        _reset(tenant_a.org)
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

        # the editor: the tree with counts
        page.goto(base)
        assert page.locator("html").get_attribute("lang") == lang
        price = page.locator('li[data-key="price"]')
        assert price.locator(".cf-count").first.inner_text()
        if phone:
            _no_sideways_scroll(page, viewport, "the theme editor")
        _shot(page, screenshot_dir, f"codeframe-editor-{lang}-{kind}")

        # edit a theme: the price theme learns a new keyword (同事 appears in a few comments)
        price.locator(".cf-actions a").first.click()
        page.wait_for_selector("form.cf-form")
        page.fill("#id_keywords_zh", page.input_value("#id_keywords_zh") + "\n同事")
        page.fill("#id_label_en", "Price & colleagues")
        if phone:
            _no_sideways_scroll(page, viewport, "the theme form")
        _shot(page, screenshot_dir, f"codeframe-theme-{lang}-{kind}")
        page.click("form.cf-form button[type=submit]")
        page.wait_for_selector("#retheme-status")
        _shot(page, screenshot_dir, f"codeframe-progress-{lang}-{kind}")
        _wait_for_retheme(page, lang)
        tagged = ThemeHit.objects.filter(org=tenant_a.org, theme="price").count()
        assert page.locator('li[data-key="price"] .cf-count').first.inner_text().count(str(tagged)) == 1
        if phone:
            _no_sideways_scroll(page, viewport, "the theme editor")
        _shot(page, screenshot_dir, f"codeframe-done-{lang}-{kind}")

        # discovery on the period, then one click to add the QR-code topic
        page.click(f"a[href='/o/{org}/settings/themes/discover/']")
        page.wait_for_selector("#discover-form")
        page.fill("#id_since", SINCE.isoformat())
        page.fill("#id_until", UNTIL.isoformat())
        page.check("#id_scope_0")
        page.click("#discover-form button[type=submit]")
        page.wait_for_selector("#discover-result")
        suggestion = page.locator("article.cf-suggestion", has=page.locator("h3", has_text="二维码")).first
        assert RISE[lang] in suggestion.inner_text()
        if phone:
            _no_sideways_scroll(page, viewport, "the suggestions")
        _shot(page, screenshot_dir, f"codeframe-discover-{lang}-{kind}")
        suggestion.locator("form.cf-accept button[type=submit]").click()
        page.wait_for_selector("#retheme-status")
        _wait_for_retheme(page, lang)
        new = page.locator("li.cf-node", has=page.locator(".cf-label", has_text="二维码")).first
        assert new.is_visible()
        key = new.get_attribute("data-key")
        assert key and page.url.endswith(f"#theme-{key.replace('/', '--')}")  # scrolled to it, highlighted
        count = ThemeHit.objects.filter(org=tenant_a.org, theme=key).count()
        assert count >= 40 and str(count) in new.locator(".cf-count").first.inner_text()
        new.scroll_into_view_if_needed()
        if phone:
            _no_sideways_scroll(page, viewport, "the theme editor")
        _shot(page, screenshot_dir, f"codeframe-accepted-{lang}-{kind}")
        assert not problems, problems
        context.close()
    assert corpus.recent
