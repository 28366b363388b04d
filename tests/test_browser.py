"""Real browser (Debian's Chromium through Playwright) against a live server: sign in, switch
languages, every navigation item translated, phone and desktop layouts; screenshots saved in
test-artifacts/ (and docs/img/ with CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def _nav_labels(language: str) -> list[str]:
    from cxloop.web.context import NAV

    with translation.override(language):
        return [str(label) for _key, label in NAV]


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("CXLOOP_UPDATE_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / path.name)


def _sign_in(page: Any, base: str) -> None:
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD

    page.goto(f"{base}/")
    page.fill("#id_username", DEMO_EMAIL)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector("nav.mainnav")


def test_sign_in_switch_languages_and_translated_navigation(
    browser: Any, live_server: Any, demo: Any, screenshot_dir: Path
) -> None:
    # The browser asks for Chinese: the default language follows it.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
    _sign_in(page, live_server.url)
    assert page.url.endswith(f"/o/{demo.org.slug}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("nav.mainnav a").all_inner_texts() == _nav_labels("zh-hans")
    assert page.locator(".metric-card").count() >= 4
    assert page.locator("img.chart-img").count() >= 2  # trend and breakdown (tests/test_browser_dashboards.py)
    _shot(page, screenshot_dir, "shell-zh-hans-desktop")

    for language, lang_attr in (("zh-hant", "zh-hant"), ("en", "en")):
        page.select_option("#lang-select", language)  # submits on change (app.js)
        page.wait_for_function(f"document.documentElement.lang === '{lang_attr}'")
        labels = page.locator("nav.mainnav a").all_inner_texts()
        assert labels == _nav_labels(language)
        if language != "en":
            assert labels != _nav_labels("en"), "navigation not translated"
        _shot(page, screenshot_dir, f"shell-{language}-desktop")

    # Every navigation item opens its page, in English now.
    for link_text in _nav_labels("en"):
        page.click(f"nav.mainnav a:text-is('{link_text}')")
        page.wait_for_load_state()
        assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == link_text
    page.click("nav.tabs a:text-is('API keys')")
    page.fill("#id_name", "BI export")
    page.click("button:text-is('Create key')")
    assert page.locator("#new-key").inner_text().startswith("cxl_")
    _shot(page, screenshot_dir, "settings-api-keys-en-desktop")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_phone_layout_and_keyboard(browser: Any, live_server: Any, demo: Any, screenshot_dir: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    _sign_in(page, live_server.url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px phone"
    _shot(page, screenshot_dir, "shell-zh-hans-phone")
    page.goto(f"{live_server.url}/o/{demo.org.slug}/settings/members/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, screenshot_dir, "members-zh-hans-phone")
    context.close()

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _sign_in(page, live_server.url)
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
    context.close()
