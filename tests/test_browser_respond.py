"""Acceptance: on a 390×844 phone in zh-Hant, open a personal link, answer NPS + comment, submit —
with JavaScript and without; both responses are stored with the right contact and touchpoint.
Also: questions shown and hidden live by same-page logic (checked against the server for every operator),
Back with and without JavaScript, and the organisation's logo on a phone and a desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import ZH_HANT_DESKTOP, ZH_HANT_PHONE, new_context
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
    context = new_context(browser, ZH_HANT_PHONE, device_scale_factor=1, java_script_enabled=javascript)
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


# --- display logic on the page, Back, the organisation's logo ------------------------------------------


@pytest.fixture
def logic_survey(transactional_db: None) -> Any:
    from tests.test_respond import LOGIC

    from cxloop.orgs.services import get_or_create_org
    from cxloop.surveys import services

    org, _ = get_or_create_org(name="Harbour Telecom")
    s = services.create_survey(org=org, name="Follow-up", definition=LOGIC, touchpoint="support")
    services.publish(survey=s)
    return s


def _watch(page: Any) -> list[str]:
    """Script errors, CSP refusals and failed requests of a page (the browser's own /favicon.ico aside)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return errors


def _shown(page: Any, key: str) -> bool:
    return bool(page.evaluate(f"!document.getElementById('q-{key}').hidden"))


def test_questions_appear_and_disappear_as_the_respondent_answers(
    browser: Any, live_server: Any, logic_survey: Any, screenshot_dir: Path
) -> None:
    from cxloop.surveys.models import Response

    context = new_context(browser, ZH_HANT_PHONE, has_touch=False, device_scale_factor=1)
    page = context.new_page()
    errors = _watch(page)
    page.goto(f"{live_server.url}/s/{logic_survey.slug}/?tier=gold")
    page.get_by_text("您有多大可能推薦我們？").wait_for()
    assert not _shown(page, "low") and not _shown(page, "high") and not _shown(page, "vip")
    page.click("label.r-point:has(input[value='3'])")
    assert _shown(page, "low") and _shown(page, "vip") and not _shown(page, "high")
    assert page.locator("#q-low .r-cond").is_hidden()  # the note for pages without script
    page.fill("textarea[name=low]", "等太久了")
    page.screenshot(path=str(screenshot_dir / "respond-live-logic-zh-hant-phone.png"), full_page=True)
    page.click("label.r-point:has(input[value='10'])")
    assert not _shown(page, "low") and not _shown(page, "vip") and _shown(page, "high")
    assert page.locator("textarea[name=low]").is_disabled()  # a hidden answer is not sent
    # The hidden question is required: it does not stop the respondent.
    page.click("button.r-submit")
    page.get_by_text("您從哪裡得知我們？").wait_for()
    assert not _shown(page, "where")
    page.click("label.r-option:has(input[value='other'])")
    assert _shown(page, "where")
    page.click("label.r-option:has(input[value='other'])")
    assert not _shown(page, "where")
    # Back: the page the skip logic came from (score), with its answers.
    page.click("button.r-back")
    page.get_by_text("您有多大可能推薦我們？").wait_for()
    assert page.is_checked("input[name=nps][value='10']") and _shown(page, "high") and not _shown(page, "low")
    context.close()
    assert errors == []
    response = Response.objects.get(survey=logic_survey)
    assert response.status == "partial"
    assert {a.question_key for a in response.answers.all()} == {"nps"}  # "low" was hidden: not stored


def test_without_javascript_every_question_of_the_page_is_there(
    browser: Any, live_server: Any, logic_survey: Any, screenshot_dir: Path
) -> None:
    from cxloop.surveys.models import Response

    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{logic_survey.slug}/?lang=en")
    assert _visible_text(page, "What went wrong?") and _visible_text(page, "What did you like most?")
    assert page.get_by_text("skip it if it does not apply to you").count() == 2
    page.screenshot(path=str(screenshot_dir / "respond-logic-en-phone-nojs.png"), full_page=True)
    page.click("label.r-point:has(input[value='9'])")
    page.fill("textarea[name=high]", "Friendly staff")
    page.click("button.r-submit")  # "What went wrong?" is required but does not apply: no error
    page.get_by_text("Where did you hear of us?").wait_for()
    page.fill("input[name=where]", "typed, then Back")
    page.click("label.r-option:has(input[value='other'])")
    page.click("button.r-back")
    page.get_by_text("How likely are you to recommend us?").wait_for()
    assert page.is_checked("input[name=nps][value='9']")
    page.click("button.r-submit")
    page.get_by_text("Where did you hear of us?").wait_for()
    assert page.input_value("input[name=where]") == "typed, then Back" and page.is_checked("input[value=other]")
    page.click("button.r-submit")
    page.get_by_text("Your answers have been recorded.").wait_for()
    context.close()
    response = Response.objects.get(survey=logic_survey)
    answers = {a.question_key: (a.number, a.choices, a.text) for a in response.answers.all()}
    assert response.status == "complete" and answers == {
        "nps": (9.0, [], ""), "high": (None, [], "Friendly staff"), "channels": (None, ["other"], ""),
        "where": (None, [], "typed, then Back")}


def _visible_text(page: Any, text: str) -> bool:
    return bool(page.get_by_text(text).is_visible())


PARITY: dict[str, Any] = {
    "title": {"en": "Parity"}, "default_language": "en",
    "pages": [{"key": "p", "questions": [
        {"key": "nps", "type": "nps", "text": "NPS"},
        {"key": "plan", "type": "single_choice", "text": "Plan",
         "options": [{"key": "basic", "text": "Basic"}, {"key": "pro", "text": "Pro"},
                     {"key": "team", "text": "Team"}]},
        {"key": "yn", "type": "yes_no", "text": "Yes or no"},
        {"key": "tags", "type": "multi_choice", "text": "Tags",
         "options": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}, {"key": "c", "text": "C"},
                     {"key": "none", "text": "None", "exclusive": True}]},
        {"key": "note", "type": "open_text", "multiline": False, "text": "Note"},
        {"key": "grid", "type": "matrix", "text": "Grid",
         "items": [{"key": "speed", "text": "Speed"}, {"key": "price", "text": "Price"}]},
        *({"key": key, "type": "open_text", "multiline": False, "text": key, "display_if": cond} for key, cond in (
            ("c_lte", {"question": "nps", "op": "lte", "value": 6}),
            ("c_in", {"question": "nps", "op": "in", "value": [9, 10]}),
            ("c_neq", {"question": "plan", "op": "neq", "value": "pro"}),
            ("c_plan_in", {"question": "plan", "op": "in", "value": ["basic", "team"]}),
            ("c_yes", {"question": "yn", "op": "eq", "value": "yes"}),
            ("c_tags", {"question": "tags", "op": "contains", "value": "b"}),
            ("c_tags_in", {"question": "tags", "op": "in", "value": ["a", "c"]}),
            ("c_tags_not", {"question": "tags", "op": "not_in", "value": ["a"]}),
            ("c_note_eq", {"question": "note", "op": "eq", "value": "Hello World"}),
            ("c_note_contains", {"question": "note", "op": "contains", "value": "STRASSE"}),
            ("c_note_answered", {"question": "note", "op": "answered"}),
            ("c_grid", {"question": "grid.speed", "op": "gte", "value": 4}),
            ("c_grid_any", {"question": "grid", "op": "answered"}),
            ("c_all", {"all": [{"question": "nps", "op": "gte", "value": 7},
                               {"any": [{"question": "plan", "op": "eq", "value": "pro"},
                                        {"not": {"question": "yn", "op": "eq", "value": "no"}}]}]}),
            ("c_chain", {"question": "c_lte", "op": "answered"}),
        )),
    ]}],
}

SCENARIOS: list[dict[str, Any]] = [
    {},
    {"nps": "3", "c_lte": "typed"},
    {"nps": "10", "c_lte": "typed while shown"},  # then hidden: it no longer counts for c_chain
    {"nps": "7", "plan": "pro", "yn": "no"},
    {"nps": "8", "plan": "basic", "yn": "no"},
    {"nps": "0", "tags": ["b"], "note": "  hello world  ", "grid.speed": "4"},
    {"tags": ["a", "none"], "note": "Kastanienstraße 5", "grid.price": "2"},  # exclusive + other: invalid
    {"nps": "9", "plan": "team", "yn": "yes", "tags": ["a", "b", "c"], "note": "HELLO WORLD", "grid.speed": "3"},
]


def test_the_browser_decides_exactly_as_the_server(browser: Any, live_server: Any, transactional_db: None) -> None:
    from cxloop.core import survey_spec
    from cxloop.orgs.services import get_or_create_org
    from cxloop.surveys import services

    org, _ = get_or_create_org(name="Parity Org")
    survey = services.create_survey(org=org, name="Parity", definition=PARITY)
    services.publish(survey=survey)
    spec = survey_spec.parse(PARITY)
    conditional = [q.key for q in spec.pages[0].questions if q.display_if is not None]
    context = browser.new_context()
    page = context.new_page()
    for scenario in SCENARIOS:
        page.goto(f"{live_server.url}/s/{survey.slug}/")
        if "c_lte" in scenario:  # typed while shown, before the score that decides
            page.check("input[name=nps][value='3']")
            page.fill("input[name=c_lte]", scenario["c_lte"])
        for name, value in scenario.items():
            if name == "c_lte":
                continue
            if name == "note":
                page.fill("input[name=note]", value)
            elif isinstance(value, list):
                for v in value:
                    page.check(f"input[name={name}][value={v}]")
            else:
                page.check(f"input[name='{name}'][value='{value}']")
        browser_view = {key for key in conditional if _shown(page, key)}
        server_view = {q.key for q in survey_spec.visible_questions(spec, 0, answers=scenario)} & set(conditional)
        assert browser_view == server_view, scenario
    context.close()


def _signed_in(context: Any, live_server: Any, user: Any) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_server.url}])


def test_the_organisations_logo_on_a_phone_and_a_desktop_in_zh_hant(
    browser: Any, live_server: Any, survey: Any, screenshot_dir: Path
) -> None:
    from cxloop.orgs import services
    from cxloop.orgs.models import OrganizationLogo, Role, User

    owner = User.objects.create_user(email="owner@harbour.example", password="x-long-password-1")
    services.add_member(org=survey.org, user=owner, role=Role.OWNER)
    desktop = new_context(browser, ZH_HANT_DESKTOP)
    page = desktop.new_page()
    # A logo drawn by the browser itself: a mark and the name, on a transparent background.
    page.set_content('<div id="logo" style="display:inline-flex;align-items:center;gap:10px;padding:4px 8px;'
                     'font:700 30px system-ui,sans-serif;color:#0b3d6e"><span style="width:40px;height:40px;'
                     'border-radius:50%;background:#0b5cad;display:inline-block"></span>港灣電訊</div>')
    logo_file = screenshot_dir / "harbour-logo.png"
    page.locator("#logo").screenshot(path=str(logo_file), omit_background=True)
    _signed_in(desktop, live_server, owner)
    page.goto(f"{live_server.url}/o/{survey.org.slug}/settings/")
    page.set_input_files("input[name=logo]", str(logo_file))
    page.click("form.form button[type=submit]")
    page.wait_for_selector(".logo-preview img")
    page.screenshot(path=str(screenshot_dir / "settings-logo-zh-hant-desktop.png"), full_page=True)
    assert OrganizationLogo.objects.get(org=survey.org).content_type == "image/png"

    for variant in (ZH_HANT_PHONE, ZH_HANT_DESKTOP):
        name, viewport = variant.kind, variant.viewport
        context = new_context(browser, variant, has_touch=False, device_scale_factor=1)
        view = context.new_page()
        errors = _watch(view)
        view.goto(f"{live_server.url}/s/{survey.slug}/")
        logo = view.locator(".r-logo img")
        logo.wait_for()
        assert logo.get_attribute("alt") == "Harbour Telecom"
        assert view.evaluate("document.querySelector('.r-logo img').naturalWidth") > 0  # loaded under the CSP
        box = logo.bounding_box()
        assert box is not None and box["height"] <= 48 and box["x"] + box["width"] <= viewport["width"]
        assert view.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        view.screenshot(path=str(screenshot_dir / f"respond-logo-zh-hant-{name}.png"), full_page=True)
        view.click("label.r-point:has(input[value='8'])")
        view.click("button.r-submit")
        view.get_by_text("您打8分的主要原因是什麼？").wait_for()
        view.screenshot(path=str(screenshot_dir / f"respond-back-zh-hant-{name}.png"), full_page=True)
        assert view.locator("button.r-back").inner_text() == "上一頁"
        context.close()
        assert errors == []
    desktop.close()
