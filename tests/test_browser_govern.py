"""Issue 9 in a real browser (Debian's Chromium through Playwright): the Governance pages — committee with the
rotation, the KPI scoreboard, one action plan with its measured effect, success stories, and the forms (the
committee, a meeting, a plan) — in zh-Hans and English, on
a desktop and a phone (390 px), without console errors or sideways scrolling of the page. Screenshots in
test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import VARIANTS, assert_fits, shot, signed_in
from tests.test_govern_pages import governed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_governance_pages_in_two_languages_on_desktop_and_phone(browser: Any, live_server: Any, tenant_a: Any,
                                                                 screenshot_dir: Path) -> None:
    from cxloop.govern.models import Meeting

    data = governed(tenant_a)
    base, slug = live_server.url, tenant_a.org.slug
    meeting = Meeting.objects.get(committee__org=tenant_a.org)
    pages = (("committee", ""), ("kpis", "kpis/?to=2026-07"), ("plan", f"plans/{data['worked'].pk}/"),
             ("stories", "stories/"), ("committee-edit", "committee/edit/"), ("meeting", f"meetings/{meeting.pk}/"),
             ("meeting-edit", f"meetings/{meeting.pk}/edit/"), ("plans", "plans/"),
             ("plan-edit", f"plans/{data['worked'].pk}/edit/"))
    for variant, page, problems in signed_in(browser, VARIANTS, base, tenant_a.owner.email):
        lang = variant.lang
        for name, path in pages:
            page.goto(f"{base}/o/{slug}/governance/{path}")
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("nav.tabs a[aria-current=page]").count() == 1
            assert_fits(page, variant, name)
            if name == "committee":
                assert page.locator("tr.gv-current").count() == 1
            if name == "kpis":
                assert page.locator("td.gv-met").count() >= 2 and page.locator("td.gv-missed").count() >= 2
                assert page.locator(".gv-winner").count() >= 2
            if name == "plan":
                assert page.locator(".gv-effect.gv-verdict-improved").count() == 1
            shot(page, screenshot_dir, f"governance-{name}-{variant.name}")
        assert problems == [], problems
