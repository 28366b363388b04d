"""The weekly team digest as a member sees it, in a real browser (Debian's Chromium) on the demo: the
team's settings page links the preview of last week's e-mail, which shows the team's numbers with their
intervals and significance in the page's language, and fits a phone. Then the demo's closed loop: the inbox,
the loop KPIs and an open case, in the same languages and sizes. Screenshots in test-artifacts/
(and docs/img/ with CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.test_browser_dashboards import _shot, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = [("zh-CN", "zh-hans", {"width": 1280, "height": 900}, "desktop", "每周摘要"),
         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone", "每周摘要"),
         ("zh-TW", "zh-hant", {"width": 390, "height": 844}, "phone", "每週摘要"),
         ("en-US", "en", {"width": 1280, "height": 900}, "desktop", "Weekly digest"),
         ("en-US", "en", {"width": 390, "height": 844}, "phone", "Weekly digest")]


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def test_digest_preview_and_the_demo_loop_pages(browser: Any, live_server: Any, demo: Any,
                                                 screenshot_dir: Path) -> None:
    from cxloop.cases.models import Case
    from cxloop.orgs.models import Team
    from cxloop.surveys.models import Survey

    owning = Survey.objects.filter(org=demo.org).exclude(owner_team=None).values("owner_team")
    team = Team.objects.filter(org=demo.org, pk__in=owning, kind="support").first() \
        or Team.objects.filter(org=demo.org, pk__in=owning).first()
    assert team is not None
    for locale, lang, viewport, kind, title in VIEWS:
        phone = kind == "phone"
        context = browser.new_context(locale=locale, viewport=viewport, is_mobile=phone, has_touch=phone,
                                      device_scale_factor=2 if phone else 1)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m, p=problems: p.append(m.text) if m.type in ("error", "warning") else None)
        _sign_in(page, live_server.url)
        page.goto(f"{live_server.url}/o/{demo.org.slug}/settings/teams/{team.pk}/")
        _shot(page, screenshot_dir, f"team-settings-{lang}-{kind}")
        page.click(f"a[href$='/settings/teams/{team.pk}/digest/']")
        page.wait_for_selector("h1")
        assert page.locator("html").get_attribute("lang") == lang
        body = page.locator("body").inner_text()
        assert title in body and team.name in body
        assert "n = " in body and "95%" in body  # every number with its n and interval
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"the e-mail is wider than the {kind} screen: {width}"
        assert problems == []
        _shot(page, screenshot_dir, f"digest-{lang}-{kind}")

        # The closed loop on the demo: the inbox, the month-18 story in the loop KPIs, one open case.
        page.goto(f"{live_server.url}/o/{demo.org.slug}/cases/?view=all")
        assert page.locator("html").get_attribute("lang") == lang
        rows = page.locator("input[name='case']").count()
        assert rows >= 10, "the demo inbox should list its open and recent cases"
        _shot(page, screenshot_dir, f"demo-cases-inbox-{lang}-{kind}")
        page.goto(f"{live_server.url}/o/{demo.org.slug}/cases/kpis/")
        _shot(page, screenshot_dir, f"demo-cases-kpis-{lang}-{kind}")
        case = Case.objects.filter(org=demo.org, status="in_progress").order_by("-opened_at").first()
        assert case is not None
        page.goto(f"{live_server.url}/o/{demo.org.slug}/cases/{case.number}/")
        assert f"#{case.number}" in page.locator("h1").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"the case page is wider than the {kind} screen: {width}"
        assert problems == []
        _shot(page, screenshot_dir, f"demo-case-{lang}-{kind}")
        context.close()
