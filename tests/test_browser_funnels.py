"""Funnels in a real browser (Debian's Chromium through Playwright): a funnel is made with the keyboard only (steps
as rows, an event name typed from the offered list, a property condition), its page shows the chart, the table
and the drop-off by segment; the journey map shows the band between stages. zh-Hans and English, phone and
desktop, no sideways scrolling and no console errors. Screenshots in test-artifacts/."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS = ["signed_up", "onboarding_started", "workspace_created", "data_source_connected", "onboarding_completed"]
TOUCHPOINTS = {"signed_up": "signup", "onboarding_started": "onboarding", "workspace_created": "onboarding",
               "data_source_connected": "connect", "onboarding_completed": "first_value"}


def _data(org: Any) -> Any:
    """400 people (half of them known contacts of enterprise or SMB accounts) going through onboarding with its
    real drop-off at connecting a data source (worse for SMB), and a journey over the same touchpoints."""
    from cxloop.behaviour.models import Event
    from cxloop.customers.models import Account, Contact
    from cxloop.journeys import services as journeys
    from cxloop.segments.models import Segment

    rng = random.Random(8)
    big = Account.objects.create(org=org, external_id="ENT", name="华东钢铁", tier="enterprise")
    small = Account.objects.create(org=org, external_id="SMB", name="小微书店", tier="smb")
    rows = []
    start = datetime.now(UTC) - timedelta(days=60)
    for p in range(400):
        contact = None
        if p % 2 == 0:
            contact = Contact.objects.create(org=org, external_id=f"C{p}", name=f"用户{p}",
                                             account=big if p % 4 == 0 else small)
        person = contact.pk if contact else -(p + 1)
        at = start + timedelta(minutes=rng.randint(0, 50 * 24 * 60))
        for i, name in enumerate(STEPS):
            if i:
                keep = {1: 0.9, 2: 0.85, 3: 0.6 if (contact and contact.account == big) else 0.35, 4: 0.8}[i]
                if rng.random() > keep:
                    break
                at += timedelta(minutes=rng.randint(5, 60 * 24 * (3 if i == 3 else 1)))
            rows.append(Event(org=org, name=name, at=at, person=person, contact=contact,
                              anonymous_id="" if contact else f"anon{p}", touchpoint=TOUCHPOINTS[name],
                              properties={"area": "onboarding"}))
    Event.objects.bulk_create(rows)
    Segment.objects.create(org=org, name={"zh-hans": "企业客户", "en": "Enterprise customers"},
                           definition={"field": "account.tier", "op": "=", "value": "enterprise"})
    journey = journeys.save_journey(org=org, name={"zh-hans": "试用到上手", "en": "Trial to first value"})
    for names, keys in [({"zh-hans": "注册", "en": "Sign up"}, ["signup"]),
                        ({"zh-hans": "引导", "en": "Onboarding"}, ["onboarding"]),
                        ({"zh-hans": "连接数据源", "en": "Connect data"}, ["connect"]),
                        ({"zh-hans": "首次见效", "en": "First value"}, ["first_value"])]:
        stage = journeys.add_stage(journey=journey, name=names)
        for key in keys:
            touchpoint = journeys.save_touchpoint(org=org, key=key, name=key)
            journeys.add_step(stage=stage, touchpoint=touchpoint)
    return journey


def _tab_to(page: Any, selector: str, most: int = 200) -> None:
    for _ in range(most):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _type_into(page: Any, selector: str, text: str) -> None:
    _tab_to(page, selector)
    page.keyboard.type(text)


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_make_a_funnel_with_the_keyboard_and_read_it(browser: Any, live_server: Any, tenant_a: Any,
                                                     screenshot_dir: Path) -> None:
    from cxloop.behaviour.models import Funnel
    from cxloop.segments.models import Segment

    journey = _data(tenant_a.org)
    slug, base = tenant_a.org.slug, live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/accounts/login/")
    _type_into(page, "#id_username", tenant_a.owner.email)
    _type_into(page, "#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("nav.mainnav")

    page.goto(f"{base}/o/{slug}/behaviour/funnels/new/")
    assert page.locator("#event-names option").count() == len(STEPS)
    _type_into(page, "#id_name_zh_hans", "试用入门漏斗")
    _type_into(page, "#id_name_en", "Trial onboarding")
    for i, name in enumerate(STEPS[:4]):
        _type_into(page, f"#id_step_{i}_event", name)
    _type_into(page, "#id_step_2_where", "area = onboarding")
    _shot(page, screenshot_dir, "funnel-edit-zh-hans-desktop")
    _tab_to(page, "#id_step_3_event")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#chart-title")
    funnel = Funnel.objects.get(org=tenant_a.org)
    assert [s["event"] for s in funnel.steps] == STEPS[:4]
    assert funnel.steps[2]["where"] == {"area": "onboarding"}
    assert "试用入门漏斗" in page.locator("h1").inner_text()
    # more rows without JavaScript: the fifth step
    page.goto(f"{base}/o/{slug}/behaviour/funnels/{funnel.pk}/edit/")
    _type_into(page, "#id_step_4_event", STEPS[4])
    page.keyboard.press("Enter")
    page.wait_for_selector("#chart-title")
    funnel.refresh_from_db()
    assert len(funnel.steps) == 5
    assert problems == [], problems
    context.close()

    segment = Segment.objects.get(org=tenant_a.org)
    for locale, lang, viewport, kind in (("zh-CN", "zh-hans", {"width": 1280, "height": 900}, "desktop"),
                                         ("zh-CN", "zh-hans", {"width": 390, "height": 844}, "phone"),
                                         ("en-US", "en", {"width": 1280, "height": 900}, "desktop"),
                                         ("en-US", "en", {"width": 390, "height": 844}, "phone")):
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
        for page_name, url in (("funnel", f"/o/{slug}/behaviour/funnels/{funnel.pk}/?segment={segment.pk}"),
                               ("funnels", f"/o/{slug}/behaviour/funnels/"),
                               ("journey-band", f"/o/{slug}/journeys/{journey.pk}/")):
            p.goto(base + url)
            assert p.locator("html").get_attribute("lang") == lang
            _shot(p, screenshot_dir, f"{page_name}-{lang}-{kind}")
            width = p.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, f"{page_name} {lang} {kind}: scrolls sideways ({width}px)"
            if page_name == "funnel":
                assert p.locator("#groups-title").count() == 1
                assert p.locator(".dash-chart img").evaluate("i => i.complete && i.naturalWidth > 0")
                assert ("企业客户" if lang == "zh-hans" else "Enterprise customers") in p.content()
            if page_name == "journey-band":
                assert p.locator("#band-title").count() == 1
        assert errors == [], errors
        ctx.close()
