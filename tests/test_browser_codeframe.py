"""Settings → Themes in a real browser (Debian's Chromium through Playwright): the owner edits a theme, watches the
re-theming progress bar finish by itself (htmx polling, the counts refreshed in place), runs "Suggest themes" on
the comments of a period and adds the suggested QR-code topic as a theme in one click, then sees it re-themed.
Phone (390×844) and desktop (1280×900), zh-Hans and English; no console errors (the strict CSP holds); the phone
has no horizontal scroll. Screenshots in test-artifacts/ (``codeframe-*.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import BY_LANGUAGE, fitted_shot, opened, shot, sign_in
from tests.conftest import run_tasks
from tests.test_discovery import SINCE, UNTIL, Corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DONE = {"zh-hans": "已完成", "en": "Done"}
RISE = {"zh-hans": "显著上升", "en": "Significant rise"}


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
    for variant in BY_LANGUAGE:
        _reset(tenant_a.org)
        lang = variant.lang
        with opened(browser, variant) as (page, problems):
            sign_in(page, live_server.url, tenant_a.owner.email)

            # the editor: the tree with counts
            page.goto(base)
            assert page.locator("html").get_attribute("lang") == lang
            price = page.locator('li[data-key="price"]')
            assert price.locator(".cf-count").first.inner_text()
            fitted_shot(page, variant, screenshot_dir, "codeframe-editor", "the theme editor", docs=True)

            # edit a theme: the price theme learns a new keyword (同事 appears in a few comments)
            price.locator(".cf-actions a").first.click()
            page.wait_for_selector("form.cf-form")
            page.fill("#id_keywords_zh", page.input_value("#id_keywords_zh") + "\n同事")
            page.fill("#id_label_en", "Price & colleagues")
            fitted_shot(page, variant, screenshot_dir, "codeframe-theme", "the theme form", docs=True)
            page.click("form.cf-form button[type=submit]")
            page.wait_for_selector("#retheme-status")
            shot(page, screenshot_dir, f"codeframe-progress-{variant.name}", docs=True)
            _wait_for_retheme(page, lang)
            tagged = ThemeHit.objects.filter(org=tenant_a.org, theme="price").count()
            assert page.locator('li[data-key="price"] .cf-count').first.inner_text().count(str(tagged)) == 1
            fitted_shot(page, variant, screenshot_dir, "codeframe-done", "the theme editor", docs=True)

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
            fitted_shot(page, variant, screenshot_dir, "codeframe-discover", "the suggestions", docs=True)
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
            fitted_shot(page, variant, screenshot_dir, "codeframe-accepted", "the theme editor", docs=True)
            assert not problems, problems
    assert corpus.recent
