"""Real browser (Debian's Chromium through Playwright) against a live server: sign in, switch
languages, every navigation item translated, phone and desktop layouts; screenshots saved in
test-artifacts/ (and docs/img/ with CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from tests.browserkit import EN_DESKTOP, ZH_DESKTOP, ZH_PHONE, opened, shot, sign_in, sized

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def _nav_labels(language: str) -> list[str]:
    from cxloop.web.context import NAV

    with translation.override(language):
        return [str(label) for _key, label in NAV]


def _error(message: Any) -> str | None:
    return message.text if message.type == "error" else None


def test_sign_in_switch_languages_and_translated_navigation(
    browser: Any, live_server: Any, demo: Any, screenshot_dir: Path
) -> None:
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD

    # The browser asks for Chinese: the default language follows it.
    with opened(browser, ZH_DESKTOP, console=_error) as (page, errors):
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.locator("h1").inner_text() == "登录"
        sign_in(page, live_server.url, DEMO_EMAIL, DEMO_PASSWORD)
        assert page.url.endswith(f"/o/{demo.org.slug}/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator("nav.mainnav a").all_inner_texts() == _nav_labels("zh-hans")
        assert page.locator(".metric-card").count() >= 4
        assert page.locator("img.chart-img").count() >= 2  # trend and breakdown (tests/test_browser_dashboards.py)
        shot(page, screenshot_dir, "shell-zh-hans-desktop", docs=True)

        for language, lang_attr in (("zh-hant", "zh-hant"), ("en", "en")):
            page.select_option("#lang-select", language)  # submits on change (app.js)
            # (not wait_for_function with a string: Playwright evaluates it with eval, which the app's CSP refuses —
            # a page error of the test's own making)
            page.wait_for_selector(f"html[lang='{lang_attr}']", state="attached")
            labels = page.locator("nav.mainnav a").all_inner_texts()
            assert labels == _nav_labels(language)
            if language != "en":
                assert labels != _nav_labels("en"), "navigation not translated"
            shot(page, screenshot_dir, f"shell-{language}-desktop", docs=True)

        # Every navigation item opens its page, in English now.
        for link_text in _nav_labels("en"):
            page.click(f"nav.mainnav a:text-is('{link_text}')")
            page.wait_for_load_state()
            assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == link_text
        page.click("nav.tabs a:text-is('API keys')")
        page.fill("#id_name", "BI export")
        page.click("button:text-is('Create key')")
        assert page.locator("#new-key").inner_text().startswith("cxl_")
        shot(page, screenshot_dir, "settings-api-keys-en-desktop", docs=True)
        csp = [e for e in errors if "Content Security Policy" in e or "unsafe-eval" in e]
        assert not csp, errors


def test_phone_layout_and_keyboard(browser: Any, live_server: Any, demo: Any, screenshot_dir: Path) -> None:
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD

    with opened(browser, sized(ZH_PHONE, 360, 740)) as (page, _problems):
        sign_in(page, live_server.url, DEMO_EMAIL, DEMO_PASSWORD)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"page is {width}px wide on a 360px phone"
        shot(page, screenshot_dir, "shell-zh-hans-phone", docs=True)
        page.goto(f"{live_server.url}/o/{demo.org.slug}/settings/members/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shot(page, screenshot_dir, "members-zh-hans-phone", docs=True)

    with opened(browser, sized(EN_DESKTOP, 1280, 800)) as (page, _problems):
        sign_in(page, live_server.url, DEMO_EMAIL, DEMO_PASSWORD)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        # Tab reaches the navigation, and focus is visible there.
        in_nav = False
        for _ in range(12):
            page.keyboard.press("Tab")
            in_nav = page.evaluate("document.activeElement.closest('nav.mainnav') !== null")
            if in_nav:
                break
        assert in_nav, "the navigation cannot be reached with Tab"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        page.reload()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
