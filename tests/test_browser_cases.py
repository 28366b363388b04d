"""Acceptance of "Act" in a real browser (Debian's Chromium through Playwright): an agent's inbox shows a new
case without reload (htmx polls the feed), and the agent resolves it with a root cause. A response is
captured with ``surveys.services.record_response``; the queue is drained (``cases.intake.drain``) and an alert
rule saved with ``cases.services.save_rule`` opens the case. Phone (390×844) and desktop (1280×900), zh-Hans
and English; no console errors (the strict CSP holds); the phone has no horizontal scroll. Screenshots in
test-artifacts/ (``cases-*.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.browserkit import BY_LANGUAGE, assert_fits, fitted_shot, shot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEFINITION: dict[str, Any] = {
    "title": "Support follow-up", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"en": "How likely are you to recommend us?",
                                               "zh-hans": "您向朋友推荐我们的可能性有多大？"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"en": "What is the main reason?", "zh-hans": "主要原因是什么？"}},
    ]}],
}
COMMENTS = {"zh-hans": "导出报表一直失败，客服也联系不上，非常失望",
            "en": "The export keeps failing and nobody answers"}
NOTES = {"zh-hans": "已修复导出问题，并电话回访客户", "en": "Fixed the export, called back"}


@pytest.fixture
def setup(tenant_a: Any) -> Any:
    from cxloop.cases import services
    from cxloop.customers.models import Account, Contact
    from cxloop.orgs.models import Membership
    from cxloop.surveys import services as surveys

    survey = surveys.create_survey(org=tenant_a.org, name="售后回访 Support follow-up", definition=DEFINITION,
                                   touchpoint="support")
    survey.owner_team = tenant_a.team
    survey.save(update_fields=["owner_team"])
    surveys.publish(survey=survey)
    account = Account.objects.create(org=tenant_a.org, external_id="acc-1", name="环球贸易 Globex", tier="enterprise",
                                     arr=480000)
    Contact.objects.create(org=tenant_a.org, external_id="c-1", name="李娜", account=account,
                           email="li.na@globex.example")
    Membership.objects.filter(org=tenant_a.org, user=tenant_a.member).update(team=tenant_a.team)
    services.save_rule(org=tenant_a.org, name="Detractors", definition={
        "when": {"field": "score_type.nps", "op": "<=", "value": 6},
        "then": {"open_case": {"team": tenant_a.team.name, "assign": {"user": tenant_a.member.email},
                               "priority": "high", "sla": {"first_contact_hours": 4, "resolve_hours": 48}}}})
    return survey


def _capture(survey: Any, comment: str) -> Any:
    from cxloop.cases import intake
    from cxloop.cases.models import Case
    from cxloop.surveys import services as surveys

    rec = surveys.record_response(survey=survey, submission=surveys.Submission(
        answers={"nps": 2, "why": comment}, language="zh-hans", touchpoint="support", channel="email",
        contact={"external_id": "c-1"}))
    assert rec.response_id is not None
    intake.drain()
    return Case.objects.get(response_id=rec.response_id)


def test_inbox_shows_a_new_case_live_and_the_agent_resolves_it(browser: Any, live_server: Any, setup: Any,
                                                               tenant_a: Any, screenshot_dir: Path) -> None:
    from cxloop.cases.models import Case

    org = tenant_a.org.slug
    for variant, page, problems in signed_in(browser, BY_LANGUAGE, live_server.url, tenant_a.member.email):
        lang = variant.lang

        page.goto(f"{live_server.url}/o/{org}/cases/?view=team&team={tenant_a.team.pk}")
        assert page.locator("html").get_attribute("lang") == lang
        marker = page.evaluate("window.__loaded = Date.now()")  # gone if the page reloads
        case = _capture(setup, COMMENTS[lang])
        row = page.wait_for_selector(f"#case-new-{case.number}", timeout=10_000)
        assert page.evaluate("window.__loaded") == marker, "the page reloaded"
        assert COMMENTS[lang][:10] in row.inner_text()
        page.wait_for_function(f"document.querySelector('.team-feed').innerText.includes({COMMENTS[lang][:8]!r})",
                               timeout=10_000)  # the team's live feed of responses
        fitted_shot(page, variant, screenshot_dir, "cases-inbox", "the inbox", docs=True)

        page.click(f"#case-new-{case.number} a")
        page.wait_for_selector("#status-form")
        assert COMMENTS[lang] in page.locator("body").inner_text()
        page.select_option("#id_status", "in_progress")
        page.click("#status-form button[type=submit]")
        page.wait_for_selector(".status-case-in_progress")
        page.select_option("#id_status", "resolved")
        page.select_option("#id_root_cause", "product_defect")
        page.fill("#id_resolution_note", NOTES[lang])
        page.select_option("#id_recovered", "yes")
        page.click("#status-form button[type=submit]")
        page.wait_for_selector("#case-status.status-case-resolved")
        case.refresh_from_db()
        assert case.status == "resolved" and case.root_cause is not None and case.root_cause.code == "product_defect"
        assert case.recovered is True
        assert page.locator("#case-root-cause").inner_text() != ""
        fitted_shot(page, variant, screenshot_dir, "cases-case", "the case page", docs=True)

        page.goto(f"{live_server.url}/o/{org}/cases/kpis/")
        page.wait_for_selector(".kpi-table")
        assert "n = " in page.locator("body").inner_text()
        fitted_shot(page, variant, screenshot_dir, "cases-kpis", "the KPI page", docs=True)
        assert problems == [], problems
    assert Case.objects.filter(org=tenant_a.org, status="resolved").count() == len(BY_LANGUAGE)


def test_settings_pages_in_the_browser(browser: Any, live_server: Any, setup: Any, tenant_a: Any,
                                       screenshot_dir: Path) -> None:
    from cxloop.notify import services as notify

    notify.create_endpoint(org=tenant_a.org, name="客服群 WeCom", format="wecom",
                           url="https://93.184.216.34/cgi-bin/webhook/send?key=abc", events=["case.opened"],
                           team=tenant_a.team)
    org = tenant_a.org.slug
    for variant, page, problems in signed_in(browser, BY_LANGUAGE, live_server.url, tenant_a.owner.email):
        for path, name in (("settings/rules/", "rules"), ("settings/channels/", "channels"),
                           ("settings/root-causes/", "root-causes")):
            page.goto(f"{live_server.url}/o/{org}/{path}")
            page.wait_for_selector("nav.tabs a[aria-current=page]")
            if variant.phone:
                assert_fits(page, variant, f"the {name} page")
            if variant.kind == "desktop" or name == "rules":
                shot(page, screenshot_dir, f"cases-settings-{name}-{variant.name}", docs=True)
        assert problems == [], problems
