"""The persona library and one persona in a real browser (Debian's Chromium through Playwright): zh-Hans and
English, phone (390×844) and desktop (1280×900); the cards show initials avatars, the persona page its lists,
quotes, live numbers of its segment's members and the comment thread, where a member adds a comment; the
segment list and the editor's preview. No console errors (the strict CSP holds: avatar colours are classes),
no horizontal scroll on the phone. Screenshots in test-artifacts/ (``personas-*.png``, ``segments-*.png``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from tests.browserkit import BY_LANGUAGE, EN_PHONE, ZH_DESKTOP, ZH_PHONE, fitted_shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEFINITION: dict[str, Any] = {
    "title": "Relationship", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "csat", "type": "csat", "text": {"zh-hans": "满意吗？", "en": "Satisfied?"}},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}
COMMENTS = ["导出报表一直失败，很失望", "The export keeps failing", "价格太贵了", "客服响应很快，满意", "界面很好用"]
SAID = {"zh-hans": "下季度访谈三位客户再更新", "en": "We will interview three customers next quarter"}


@pytest.fixture
def library(tenant_a: Any) -> Any:
    from cxloop.cases import intake
    from cxloop.customers.models import Account, Contact
    from cxloop.segments import services as seg
    from cxloop.surveys import services as surveys

    org = tenant_a.org
    survey = surveys.create_survey(org=org, name="关系调研 Relationship", definition=DEFINITION)
    surveys.publish(survey=survey)
    now = timezone.now()
    for i in range(24):
        tier, region = ("enterprise", "华东") if i % 3 else ("smb", "华南")
        account = Account.objects.create(org=org, external_id=f"acc-{i}", name=f"华东精密制造 {i}", tier=tier,
                                         region=region, arr=2_000_000 if tier == "enterprise" else 40_000,
                                         attributes={"modules": ["reporting"], "plan": "Enterprise"})
        contact = Contact.objects.create(org=org, external_id=f"c-{i}", name=f"王{i}号", account=account,
                                         email=f"c{i}@example.com", stakeholder_role="decision_maker")
        surveys.record_response(survey=survey, submission=surveys.Submission(
            answers={"nps": (i * 7) % 11, "csat": 1 + i % 5, "why": COMMENTS[i % 5]}, language="zh-hans",
            contact={"external_id": contact.external_id}, submitted_at=now - timedelta(days=3 + i)))
    intake.drain()
    big = seg.save_segment(org=org, name={"zh-hans": "华东企业客户", "en": "East China enterprise"}, definition={
        "all": [{"field": "account.tier", "op": "=", "value": "enterprise"},
                {"field": "account.region", "op": "=", "value": "华东"},
                {"field": "account.arr", "op": ">", "value": 1000000}]})
    seg.save_segment(org=org, name={"zh-hans": "中小企业", "en": "Small businesses"},
                     definition={"field": "account.tier", "op": "=", "value": "smb"})
    it = seg.save_persona(org=org, data={
        "name": {"zh-hans": "企业IT负责人", "en": "Enterprise IT lead"},
        "role": {"zh-hans": "集团信息化部门负责人", "en": "Head of group IT"},
        "description": {"zh-hans": "负责全集团的系统选型与上线，重视稳定、安全与合规；每季度向管理层汇报客户体验指标。",
                        "en": "Chooses and rolls out the group's systems; cares about stability, security and "
                              "compliance; reports CX numbers to management every quarter."},
        "goals": {"zh-hans": ["系统稳定，全年零重大故障", "数据留在境内，满足等保要求"],
                  "en": ["Stable systems, no major outage all year", "Data stays onshore, compliant"]},
        "pains": {"zh-hans": ["月底导出报表经常失败", "权限配置繁琐"],
                  "en": ["Month-end report exports fail", "Permissions are tedious to set up"]},
        "jobs_to_be_done": {"zh-hans": ["每月把客户反馈汇总给管理层"], "en": ["Summarise customer feedback for "
                                                                               "management every month"]},
        "quotes": {"zh-hans": ["“导出一失败，我就得通宵加班。”"], "en": ["“When the export fails, I work all night.”"]},
        "segment": big.pk, "colour": seg.PALETTE[0]})
    seg.save_persona(org=org, data={"name": {"zh-hans": "运营分析师", "en": "Operations analyst"},
                                    "role": {"zh-hans": "客户成功部", "en": "Customer success"},
                                    "description": {"zh-hans": "每天看仪表盘，找出 NPS 变化的原因。",
                                                    "en": "Lives in the dashboards and explains NPS moves."},
                                    "colour": seg.PALETTE[1]})
    seg.save_persona(org=org, data={"name": {"zh-hans": "中小企业老板", "en": "Small business owner"},
                                    "description": {"zh-hans": "预算有限，希望开箱即用。",
                                                    "en": "Tight budget; wants it to work out of the box."},
                                    "colour": seg.PALETTE[3]})
    seg.add_comment(persona=it, body="访谈结果已更新 / interviews updated", who=seg.Who(user=tenant_a.owner))
    return it


def test_persona_library_and_one_persona(browser: Any, live_server: Any, library: Any, tenant_a: Any,
                                         screenshot_dir: Path) -> None:
    from cxloop.segments.models import PersonaComment

    org = tenant_a.org.slug
    for variant, page, problems in signed_in(browser, BY_LANGUAGE, live_server.url, tenant_a.member.email):
        lang = variant.lang

        page.goto(f"{live_server.url}/o/{org}/personas/")
        assert page.locator("html").get_attribute("lang") == lang
        cards = page.locator(".persona-card")
        assert cards.count() == 3
        avatar = page.locator(".persona-avatar").first
        assert avatar.inner_text() == "企业"
        colour = avatar.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(47, 111, 174)", colour  # the class's colour: no inline style needed
        name = "企业IT负责人" if lang == "zh-hans" else "Enterprise IT lead"
        assert name in page.locator(".persona-grid").inner_text()
        assert page.locator("nav.mainnav a[data-nav=personas][aria-current=page]").count() == 1
        fitted_shot(page, variant, screenshot_dir, "personas-library", "the persona library", docs=True)

        page.click(f".persona-name a:text-is('{name}')")
        page.wait_for_selector(".persona-avatar-large")
        body = page.locator("body").inner_text()
        assert ("导出一失败" if lang == "zh-hans" else "When the export fails") in body
        members = page.locator(".persona-numbers .metric-card").first.locator(".metric-value").inner_text()
        assert members == "16"  # enterprise accounts in 华东 over 1M: 16 of the 24
        assert page.locator("#persona-nps-title").count() == 1 and page.locator("#persona-csat-title").count() == 1
        page.fill("#id_body", SAID[lang] + f" ({variant.kind})")
        page.click("form[action$='/comments/'] button[type=submit]")
        page.wait_for_selector(f".persona-comments li:has-text('{SAID[lang][:6]}')")
        fitted_shot(page, variant, screenshot_dir, "personas-one", "the persona page", docs=True)

        page.goto(f"{live_server.url}/o/{org}/segments/")
        page.wait_for_selector(".segment-table")
        assert "16" in page.locator(".segment-table").inner_text()
        fitted_shot(page, variant, screenshot_dir, "segments-list", "the segment list", docs=True)
        assert problems == [], problems
    assert PersonaComment.objects.filter(persona=library).count() == 1 + len(BY_LANGUAGE)


def test_segment_editor_preview(browser: Any, live_server: Any, library: Any, tenant_a: Any,
                                screenshot_dir: Path) -> None:
    org = tenant_a.org.slug
    views = (ZH_DESKTOP, ZH_PHONE, EN_PHONE)
    for variant, page, problems in signed_in(browser, views, live_server.url, tenant_a.owner.email):
        page.goto(f"{live_server.url}/o/{org}/segments/new/")
        page.fill("#id_name", "SMB")
        page.fill("#id_definition", json.dumps({"field": "account.tier", "op": "=", "value": "smb"}))
        page.click("button[value=preview]")
        page.wait_for_selector(".segment-preview")
        assert "王0号" in page.locator(".segment-preview").inner_text()
        fitted_shot(page, variant, screenshot_dir, "segments-editor", "the segment editor", docs=True)
        assert problems == [], problems
