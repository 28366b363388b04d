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
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEFINITION: dict[str, Any] = {
    "title": "Export pulse", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}


def _tab_to(page: Any, selector: str, most: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only: no clicks)."""
    for _ in range(most):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _choose(page: Any, selector: str, label: str) -> None:
    """With the focus on a closed <select>, press ArrowDown until its selected option's text (or value) has
    ``label``."""
    _tab_to(page, selector)
    page.keyboard.press("Home")
    for _ in range(60):
        if label in page.evaluate("s => { const e = document.querySelector(s); const o = e.options[e.selectedIndex];"
                                  " return o.text + ' ' + o.value; }", selector):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label} is not an option of {selector}")


def _type_into(page: Any, selector: str, text: str) -> None:
    _tab_to(page, selector)
    page.keyboard.type(text)


def test_build_a_journey_with_the_keyboard_and_export_it(browser: Any, live_server: Any, tenant_a: Any,
                                                         screenshot_dir: Path) -> None:
    from cxloop.journeys.models import Journey, Step, Touchpoint
    from cxloop.surveys import services
    from cxloop.surveys.models import Survey
    from cxloop.texts import services as texts

    survey = services.create_survey(org=tenant_a.org, name="报表导出回访 Export pulse", definition=DEFINITION)
    services.publish(survey=survey)
    slug, base = tenant_a.org.slug, live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/accounts/login/")
    _type_into(page, "#id_username", tenant_a.owner.email)
    _type_into(page, "#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("nav.mainnav")

    # a touchpoint with its owner team
    page.goto(f"{base}/o/{slug}/touchpoints/")
    _type_into(page, "#id_key", "report_export")
    _type_into(page, "#id_name_zh_hans", "报表导出")
    _type_into(page, "#id_name_en", "Report export")
    _choose(page, "#id_channel", "app")
    _choose(page, "#id_owner_team", tenant_a.team.name)
    _tab_to(page, "#id_description")
    page.keyboard.type("导出 Excel / PDF")
    _tab_to(page, "form button[type=submit].btn-primary")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=report_export")
    export = Touchpoint.objects.get(org=tenant_a.org, key="report_export")
    assert export.owner_team == tenant_a.team and export.channel == "app"
    page.goto(f"{base}/o/{slug}/touchpoints/")
    _type_into(page, "#id_key", "support_call")
    _type_into(page, "#id_name_en", "Support call")
    _tab_to(page, "#id_name_en")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=support_call")

    # link the survey to the export touchpoint
    page.goto(f"{base}/o/{slug}/touchpoints/{export.pk}/")
    _choose(page, "#link-survey", "Export pulse")
    _tab_to(page, "form.add-step button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages, .message, [role=status]", state="attached")
    assert Survey.objects.get(pk=survey.pk).touchpoint == "report_export"

    # the journey, two stages, touchpoints placed and one moved
    page.goto(f"{base}/o/{slug}/journeys/")
    _type_into(page, "#id_name_zh_hans", "采购到续约")
    _type_into(page, "#id_name_en", "Purchase to renewal")
    _tab_to(page, "form button[type=submit].btn-primary")
    page.keyboard.press("Enter")
    page.wait_for_url("**/edit/")
    for zh, en in (("使用", "Adoption"), ("支持", "Support")):
        _type_into(page, "#new_stage_name_zh_hans", zh)
        _type_into(page, "#new_stage_name_en", en)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"h3.stage-name:has-text('{zh}')")
    journey = Journey.objects.get(org=tenant_a.org)
    use, support = list(journey.stages.order_by("position"))
    _choose(page, f"#add-{use.pk}", "report_export")
    _tab_to(page, f"#add-{use.pk} ~ button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".step-item")
    _choose(page, f"#add-{use.pk}", "support_call")
    _tab_to(page, f"#add-{use.pk} ~ button")
    page.keyboard.press("Enter")
    page.locator(".step-item").nth(1).wait_for()
    call = Step.objects.get(stage__journey=journey, touchpoint__key="support_call")
    _choose(page, f"#to-{call.pk}", "支持")
    _tab_to(page, f"#to-{call.pk} ~ button")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#stage-{support.pk} .step-item")
    assert list(Step.objects.filter(stage=support).values_list("touchpoint__key", flat=True)) == ["support_call"]
    _shot(page, screenshot_dir, "journey-edit-zh-hans-desktop")

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
    _shot(page, screenshot_dir, "journey-map-zh-hans-desktop")

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
        _tab_to(page, "button[data-svg-png]")
        page.keyboard.press("Enter")
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    assert problems == [], problems
    context.close()

    # the map in English and on a phone
    for locale, lang, viewport, kind in (("en-US", "en", {"width": 1280, "height": 900}, "desktop"),
                                         ("en-US", "en", {"width": 390, "height": 844}, "phone"),
                                         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone")):
        phone = kind == "phone"
        ctx = browser.new_context(locale=locale, viewport=viewport, is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1)
        p = ctx.new_page()
        errors: list[str] = []
        p.on("console", lambda m, e=errors: e.append(m.text) if m.type in ("error", "warning") else None)
        p.goto(f"{base}/accounts/login/")
        p.fill("#id_username", tenant_a.owner.email)
        p.fill("#id_password", PASSWORD)
        p.click("button[type=submit].btn-primary")
        p.wait_for_selector("nav.mainnav")
        p.goto(f"{base}/o/{slug}/journeys/{journey.pk}/")
        assert p.locator("html").get_attribute("lang") == lang
        assert ("Purchase to renewal" if lang == "en" else "采购到续约") in p.locator("h1").inner_text()
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, f"{lang} {kind}: the page scrolls sideways ({width}px)"
        _shot(p, screenshot_dir, f"journey-map-{lang}-{kind}")
        assert errors == [], errors
        ctx.close()


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
