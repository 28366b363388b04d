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
from tests.browserkit import BY_LANGUAGE, ZH_DESKTOP, assert_fits, opened, shot, sign_in, signed_in, tab_to, type_into

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


def test_make_a_funnel_with_the_keyboard_and_read_it(browser: Any, live_server: Any, tenant_a: Any,
                                                     screenshot_dir: Path) -> None:
    from cxloop.behaviour.models import Funnel
    from cxloop.segments.models import Segment

    journey = _data(tenant_a.org)
    slug, base = tenant_a.org.slug, live_server.url
    with opened(browser, ZH_DESKTOP) as (page, problems):
        sign_in(page, base, tenant_a.owner.email, keyboard=True)

        page.goto(f"{base}/o/{slug}/behaviour/funnels/new/")
        assert page.locator("#event-names option").count() == len(STEPS)
        type_into(page, "#id_name_zh_hans", "试用入门漏斗")
        type_into(page, "#id_name_en", "Trial onboarding")
        for i, name in enumerate(STEPS[:4]):
            type_into(page, f"#id_step_{i}_event", name)
        type_into(page, "#id_step_2_where", "area = onboarding")
        shot(page, screenshot_dir, "funnel-edit-zh-hans-desktop")
        tab_to(page, "#id_step_3_event")
        page.keyboard.press("Enter")  # submits the form
        page.wait_for_selector("#chart-title")
        funnel = Funnel.objects.get(org=tenant_a.org)
        assert [s["event"] for s in funnel.steps] == STEPS[:4]
        assert funnel.steps[2]["where"] == {"area": "onboarding"}
        assert "试用入门漏斗" in page.locator("h1").inner_text()
        # more rows without JavaScript: the fifth step
        page.goto(f"{base}/o/{slug}/behaviour/funnels/{funnel.pk}/edit/")
        type_into(page, "#id_step_4_event", STEPS[4])
        page.keyboard.press("Enter")
        page.wait_for_selector("#chart-title")
        funnel.refresh_from_db()
        assert len(funnel.steps) == 5
        assert problems == [], problems

    segment = Segment.objects.get(org=tenant_a.org)
    for variant, p, errors in signed_in(browser, BY_LANGUAGE, base, tenant_a.owner.email):
        lang = variant.lang
        for page_name, url in (("funnel", f"/o/{slug}/behaviour/funnels/{funnel.pk}/?segment={segment.pk}"),
                               ("funnels", f"/o/{slug}/behaviour/funnels/"),
                               ("journey-band", f"/o/{slug}/journeys/{journey.pk}/")):
            p.goto(base + url)
            assert p.locator("html").get_attribute("lang") == lang
            shot(p, screenshot_dir, f"{page_name}-{variant.name}")
            assert_fits(p, variant, page_name)
            if page_name == "funnel":
                assert p.locator("#groups-title").count() == 1
                assert p.locator(".dash-chart img").evaluate("i => i.complete && i.naturalWidth > 0")
                assert ("企业客户" if lang == "zh-hans" else "Enterprise customers") in p.content()
            if page_name == "journey-band":
                assert p.locator("#band-title").count() == 1
        assert errors == [], errors
