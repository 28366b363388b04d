"""Issue 7, acceptance 2 and 4 in a real browser (Debian's Chromium through Playwright): a journey is built with
the keyboard only — a touchpoint with its owner team, the journey, stages, touchpoints placed and moved between
stages, a survey linked — and the map then shows the live numbers of the linked survey's responses; the exported
SVG, rendered by Chromium, shows every stage name, and "Download PNG" gives a PNG. The map in zh-Hans and English,
phone and desktop, without console errors. Screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from tests.browserkit import (
    EN_DESKTOP,
    EN_PHONE,
    ZH_DESKTOP,
    ZH_PHONE,
    assert_fits,
    opened,
    shot,
    sign_in,
    signed_in,
    tab_to,
    type_into,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEFINITION: dict[str, Any] = {
    "title": "Export pulse", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}


def _choose(page: Any, selector: str, label: str) -> None:
    """With the focus on a closed <select>, press ArrowDown until its selected option's text (or value) has
    ``label``."""
    tab_to(page, selector)
    page.keyboard.press("Home")
    for _ in range(60):
        if label in page.evaluate("s => { const e = document.querySelector(s); const o = e.options[e.selectedIndex];"
                                  " return o.text + ' ' + o.value; }", selector):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label} is not an option of {selector}")


def test_build_a_journey_with_the_keyboard_and_export_it(browser: Any, live_server: Any, tenant_a: Any,
                                                         screenshot_dir: Path) -> None:
    from cxloop.journeys.models import Journey, Step, Touchpoint
    from cxloop.surveys import services
    from cxloop.surveys.models import Survey
    from cxloop.texts import services as texts

    survey = services.create_survey(org=tenant_a.org, name="报表导出回访 Export pulse", definition=DEFINITION)
    services.publish(survey=survey)
    slug, base = tenant_a.org.slug, live_server.url
    with opened(browser, ZH_DESKTOP, accept_downloads=True) as (page, problems):
        sign_in(page, base, tenant_a.owner.email, keyboard=True)

        # a touchpoint with its owner team
        page.goto(f"{base}/o/{slug}/touchpoints/")
        type_into(page, "#id_key", "report_export")
        type_into(page, "#id_name_zh_hans", "报表导出")
        type_into(page, "#id_name_en", "Report export")
        _choose(page, "#id_channel", "app")
        _choose(page, "#id_owner_team", tenant_a.team.name)
        tab_to(page, "#id_description")
        page.keyboard.type("导出 Excel / PDF")
        tab_to(page, "form button[type=submit].btn-primary")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=report_export")
        export = Touchpoint.objects.get(org=tenant_a.org, key="report_export")
        assert export.owner_team == tenant_a.team and export.channel == "app"
        page.goto(f"{base}/o/{slug}/touchpoints/")
        type_into(page, "#id_key", "support_call")
        type_into(page, "#id_name_en", "Support call")
        tab_to(page, "#id_name_en")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=support_call")

        # link the survey to the export touchpoint
        page.goto(f"{base}/o/{slug}/touchpoints/{export.pk}/")
        _choose(page, "#link-survey", "Export pulse")
        tab_to(page, "form.add-step button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector(".messages, .message, [role=status]", state="attached")
        assert Survey.objects.get(pk=survey.pk).touchpoint == "report_export"

        # the journey, two stages, touchpoints placed and one moved
        page.goto(f"{base}/o/{slug}/journeys/")
        type_into(page, "#id_name_zh_hans", "采购到续约")
        type_into(page, "#id_name_en", "Purchase to renewal")
        tab_to(page, "form button[type=submit].btn-primary")
        page.keyboard.press("Enter")
        page.wait_for_url("**/edit/")
        for zh, en in (("使用", "Adoption"), ("支持", "Support")):
            type_into(page, "#new_stage_name_zh_hans", zh)
            type_into(page, "#new_stage_name_en", en)
            page.keyboard.press("Enter")
            page.wait_for_selector(f"h3.stage-name:has-text('{zh}')")
        journey = Journey.objects.get(org=tenant_a.org)
        use, support = list(journey.stages.order_by("position"))
        _choose(page, f"#add-{use.pk}", "report_export")
        tab_to(page, f"#add-{use.pk} ~ button")
        page.keyboard.press("Enter")
        page.wait_for_selector(".step-item")
        _choose(page, f"#add-{use.pk}", "support_call")
        tab_to(page, f"#add-{use.pk} ~ button")
        page.keyboard.press("Enter")
        page.locator(".step-item").nth(1).wait_for()
        call = Step.objects.get(stage__journey=journey, touchpoint__key="support_call")
        _choose(page, f"#to-{call.pk}", "支持")
        tab_to(page, f"#to-{call.pk} ~ button")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#stage-{support.pk} .step-item")
        assert list(Step.objects.filter(stage=support).values_list("touchpoint__key", flat=True)) == ["support_call"]
        shot(page, screenshot_dir, "journey-edit-zh-hans-desktop")

        # responses to the linked survey, then the live numbers on the map
        survey.refresh_from_db()  # linked in the browser: its responses now name the touchpoint
        zone = ZoneInfo(settings.TIME_ZONE)
        now = datetime.now(zone) - timedelta(days=1)
        items = [services.BatchItem(services.Submission(answers={"nps": 3 if i < 8 else 10, "why": text},
                                                        language="zh-hans", submitted_at=now - timedelta(hours=i)))
                 for i, text in enumerate(["导出报表一直失败"] * 8 + ["导出很方便，满意"] * 4)]
        assert all(isinstance(r, services.Recorded) for r in services.record_batch(survey=survey, items=items))
        texts.analyse_all(tenant_a.org)
        page.goto(f"{base}/o/{slug}/journeys/{journey.pk}/")
        cell = page.locator("tr.lane-numbers td").first
        assert "12" in cell.inner_text()  # responses of the linked survey at this touchpoint
        assert page.locator(f"#tp-{Step.objects.get(touchpoint__key='report_export').pk}").count() == 1
        assert page.eval_on_selector("img.journey-curve", "i => i.complete && i.naturalWidth > 0")
        shot(page, screenshot_dir, "journey-map-zh-hans-desktop")

        # the exported SVG rendered by Chromium shows every stage name; the PNG download is an image
        exported = page.request.get(f"{base}/o/{slug}/journeys/{journey.pk}/map.svg",
                                    headers={"Accept-Language": "zh-CN"})
        assert exported.ok and "attachment" in exported.headers["content-disposition"]
        page.set_content(f"<!DOCTYPE html><html><body>{exported.text()}</body></html>")
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('text')).filter(t => {
            const b = t.getBBox(); return b.width > 0 && b.height > 0; }).map(t => t.textContent)""")
        for name in ("使用", "支持", "报表导出", "Support call"):
            assert any(name in s for s in shown), (name, shown)
        page.screenshot(path=str(screenshot_dir / "journey-svg-zh-hans.png"))
        page.goto(f"{base}/o/{slug}/journeys/{journey.pk}/")
        with page.expect_download() as download:
            tab_to(page, "button[data-svg-png]")
            page.keyboard.press("Enter")
        png = Path(download.value.path()).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
        assert problems == [], problems

    # the map in English and on a phone
    for variant, p, errors in signed_in(browser, (EN_DESKTOP, EN_PHONE, ZH_PHONE), base, tenant_a.owner.email):
        p.goto(f"{base}/o/{slug}/journeys/{journey.pk}/")
        assert p.locator("html").get_attribute("lang") == variant.lang
        assert ("Purchase to renewal" if variant.lang == "en" else "采购到续约") in p.locator("h1").inner_text()
        assert_fits(p, variant, "the map")
        shot(p, screenshot_dir, f"journey-map-{variant.name}")
        assert errors == [], errors
