"""Acceptance: on a 390×844 phone in zh-Hant, open a personal link, answer NPS + comment, submit —
with JavaScript and without; both responses are stored with the right contact and touchpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.test_respond import TWO_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey(transactional_db: None) -> Any:
    from cxloop.orgs.services import get_or_create_org
    from cxloop.surveys import services

    org, _ = get_or_create_org(name="Harbour Telecom")
    s = services.create_survey(org=org, name="Support follow-up", definition=TWO_PAGES, touchpoint="support")
    services.publish(survey=s)
    return s


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_personal_link_on_a_phone_in_zh_hant(
    browser: Any, live_server: Any, survey: Any, screenshot_dir: Path, javascript: bool
) -> None:
    from cxloop.surveys import invitations
    from cxloop.surveys.models import Answer, Response

    external = f"hk-{'js' if javascript else 'nojs'}"
    result = invitations.invite(survey=survey, touchpoint="hotline",
                                contact_data={"external_id": external, "name": "陳大文", "language": "zh-hant"})
    assert result.link is not None
    path = "/" + result.link.split("/", 3)[3]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  java_script_enabled=javascript, locale="zh-TW")
    page = context.new_page()
    page.goto(live_server.url + path)
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_text("您有多大可能向同事推薦我們？").wait_for()
    tag = "js" if javascript else "nojs"
    page.screenshot(path=str(screenshot_dir / f"respond-nps-zh-hant-phone-{tag}.png"), full_page=True)
    page.click("label.r-point:has(input[value='9'])")
    page.click("button.r-submit")
    page.get_by_text("您打9分的主要原因是什麼？").wait_for()
    page.fill("textarea[name=reason]", "客服很快回覆，但報表匯出常常逾時。")
    page.screenshot(path=str(screenshot_dir / f"respond-comment-zh-hant-phone-{tag}.png"), full_page=True)
    page.click("button.r-submit")
    page.get_by_text("感謝您的回饋！").wait_for()
    page.screenshot(path=str(screenshot_dir / f"respond-thanks-zh-hant-phone-{tag}.png"), full_page=True)
    context.close()

    response = Response.objects.get(contact__external_id=external)
    assert response.status == "complete" and response.touchpoint == "hotline" and response.language == "zh-hant"
    answers = {a.question_key: (a.number, a.text) for a in Answer.objects.filter(response=response)}
    assert answers == {"nps": (9.0, ""), "reason": (None, "客服很快回覆，但報表匯出常常逾時。")}


def test_errors_are_announced_and_focus_moves_to_them(browser: Any, live_server: Any, survey: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{survey.slug}/?lang=en")
    page.click("button.r-submit")
    alert = page.locator("[role=alert]")
    alert.wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#q-nps[class*=r-q-error]").count() == 1
    # Keyboard: Tab into the scale and choose with the arrow keys, submit with Enter.
    page.focus("input[name=nps][value='0']")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.get_by_text("What is the main reason for your score of 7?").wait_for()
    context.close()
