"""The weekly team digest as a member sees it, in a real browser (Debian's Chromium) on the demo: the
team's settings page links the preview of last week's e-mail, which shows the team's numbers with their
intervals and significance in the page's language, and fits a phone. Then the demo's closed loop: the inbox,
the loop KPIs and an open case, in the same languages and sizes. Screenshots in test-artifacts/
(and docs/img/ with CXLOOP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import EN_DESKTOP, EN_PHONE, ZH_DESKTOP, ZH_HANT_PHONE, ZH_PHONE, assert_fits, shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWS = (ZH_DESKTOP, ZH_PHONE, ZH_HANT_PHONE, EN_DESKTOP, EN_PHONE)
TITLES = {"zh-hans": "每周摘要", "zh-hant": "每週摘要", "en": "Weekly digest"}


@pytest.fixture
def demo(transactional_db: None) -> Any:
    from cxloop.demo.setup import load

    return load(size="small", seed=42)


def test_digest_preview_and_the_demo_loop_pages(browser: Any, live_server: Any, demo: Any,
                                                 screenshot_dir: Path) -> None:
    from cxloop.cases.models import Case
    from cxloop.demo.setup import DEMO_EMAIL, DEMO_PASSWORD
    from cxloop.orgs.models import Team
    from cxloop.surveys.models import Survey

    owning = Survey.objects.filter(org=demo.org).exclude(owner_team=None).values("owner_team")
    team = Team.objects.filter(org=demo.org, pk__in=owning, kind="support").first() \
        or Team.objects.filter(org=demo.org, pk__in=owning).first()
    assert team is not None
    for variant, page, problems in signed_in(browser, VIEWS, live_server.url, DEMO_EMAIL, DEMO_PASSWORD):
        lang, kind, title = variant.lang, variant.kind, TITLES[variant.lang]
        page.goto(f"{live_server.url}/o/{demo.org.slug}/settings/teams/{team.pk}/")
        shot(page, screenshot_dir, f"team-settings-{lang}-{kind}", docs=True)
        page.click(f"a[href$='/settings/teams/{team.pk}/digest/']")
        page.wait_for_selector("h1")
        assert page.locator("html").get_attribute("lang") == lang
        body = page.locator("body").inner_text()
        assert title in body and team.name in body
        assert "n = " in body and "95%" in body  # every number with its n and interval
        assert_fits(page, variant, "the e-mail")
        assert problems == []
        shot(page, screenshot_dir, f"digest-{lang}-{kind}", docs=True)

        # The closed loop on the demo: the inbox, the month-18 story in the loop KPIs, one open case.
        page.goto(f"{live_server.url}/o/{demo.org.slug}/cases/?view=all")
        assert page.locator("html").get_attribute("lang") == lang
        rows = page.locator("input[name='case']").count()
        assert rows >= 10, "the demo inbox should list its open and recent cases"
        shot(page, screenshot_dir, f"demo-cases-inbox-{lang}-{kind}", docs=True)
        page.goto(f"{live_server.url}/o/{demo.org.slug}/cases/kpis/")
        shot(page, screenshot_dir, f"demo-cases-kpis-{lang}-{kind}", docs=True)
        case = Case.objects.filter(org=demo.org, status="in_progress").order_by("-opened_at").first()
        assert case is not None
        page.goto(f"{live_server.url}/o/{demo.org.slug}/cases/{case.number}/")
        assert f"#{case.number}" in page.locator("h1").inner_text()
        assert_fits(page, variant, "the case page")
        assert problems == []
        shot(page, screenshot_dir, f"demo-case-{lang}-{kind}", docs=True)
