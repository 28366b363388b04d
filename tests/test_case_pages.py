"""The closed loop's pages on a real database: the team inbox (filters in the URL, the live feeds, bulk
assignment), one case and every verb on it, the loop KPIs (against hand-computed numbers), Settings → Rules,
Channels and Root causes. A refused verb is a 4xx with nothing changed, in English and in Chinese; another
organisation's case, rule or channel is a 404."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cxloop.cases import intake, kpis, services
from cxloop.cases.models import AlertRule, Case, CaseEvent, CaseStatus, RootCause
from cxloop.core import metrics
from cxloop.core import rules as rules_core
from cxloop.customers.models import Account, Contact
from cxloop.notify import services as notify
from cxloop.notify.models import DeliveryAttempt, Endpoint
from cxloop.surveys import services as surveys
from cxloop.surveys.models import Response

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "Support follow-up", "default_language": "en", "languages": ["en", "zh-hans"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"en": "How likely are you to recommend us?",
                                               "zh-hans": "您向朋友推荐我们的可能性？"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"en": "What is the main reason?", "zh-hans": "主要原因？"}},
    ]}],
}
LANGS = ["en", "zh-hans"]


class Loop:
    """A survey owned by tenant A's support team, a customer (contact with e-mail, enterprise account) and
    helpers to capture a response and open a case on it."""

    def __init__(self, tenant: Any) -> None:
        self.t = tenant
        self.org = tenant.org
        self.survey = surveys.create_survey(org=self.org, name="Support follow-up", definition=DEFINITION,
                                            touchpoint="support")
        self.survey.owner_team = tenant.team
        self.survey.save(update_fields=["owner_team"])
        surveys.publish(survey=self.survey)
        self.account = Account.objects.create(org=self.org, external_id="acc-1", name="Globex Trading",
                                              tier="enterprise", arr=480000, renewal_date=date(2026, 3, 31))
        self.contact = Contact.objects.create(org=self.org, external_id="c-1", name="Li Na", account=self.account,
                                              email="li.na@globex.example")

    def respond(self, score: int, comment: str = "", contact: str | None = "c-1") -> Response:
        answers: dict[str, Any] = {"nps": score}
        if comment:
            answers["why"] = comment
        rec = surveys.record_response(survey=self.survey, submission=surveys.Submission(
            answers=answers, language="en", touchpoint="support",
            contact={"external_id": contact} if contact else None))
        assert rec.response_id is not None, rec.body
        return Response.objects.select_related("org", "survey", "version", "contact", "account").get(
            pk=rec.response_id)

    def case(self, score: int = 3, comment: str = "The export keeps failing", *, priority: str = "normal",
             assign: Any = None, contact: str | None = "c-1", opened_at: datetime | None = None) -> Case:
        response = self.respond(score, comment, contact)
        seen = intake.see(response, list(response.answers.all()), timezone.localdate())
        action = rules_core.OpenCase(team=self.t.team.pk, assign=assign, priority=priority)
        case = services.open_case(rule=None, action=action, seen=seen, opened_at=opened_at)
        assert case is not None
        return case


@pytest.fixture
def loop(tenant_a: Any) -> Loop:
    return Loop(tenant_a)


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _text(html: bytes | str) -> str:
    raw = html.decode() if isinstance(html, bytes) else html
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


def _url(loop: Loop, rest: str = "") -> str:
    return f"/o/{loop.org.slug}/{rest}"


# --- the inbox ---------------------------------------------------------------------------------------


def test_inbox_lists_cases_with_customer_team_and_sla_countdown(loop: Loop, tenant_a: Any) -> None:
    case = loop.case()
    response = _client(tenant_a.viewer).get(_url(loop, "cases/"))
    assert response.status_code == 200
    text = _text(response.content)
    assert f"#{case.number}" in text and "Li Na" in text and "Globex Trading" in text
    assert tenant_a.team.name in text and "New" in text
    assert re.search(r"23 h 5\d min left", text), text  # first contact due in 24 h
    assert 'hx-trigger="every 3s"' in response.content.decode()
    assert 'style="' not in response.content.decode() and "<script>" not in response.content.decode()


def test_inbox_filters_stay_in_the_url_and_narrow_the_list(loop: Loop, tenant_a: Any) -> None:
    mine = loop.case(assign=rules_core.AssignUser(tenant_a.member.email), priority="high")
    other = loop.case(comment="Invoice was wrong")
    late = loop.case(comment="Nobody called", opened_at=timezone.now() - timedelta(hours=30))
    client = _client(tenant_a.member)

    def numbers(query: str) -> set[int]:
        response = client.get(_url(loop, f"cases/?{query}"))
        assert response.status_code == 200, query
        return {row["case"].number for row in response.context["rows"]}

    assert numbers("") == {mine.number, other.number, late.number}
    assert numbers("view=mine") == {mine.number}
    assert numbers("view=team") == set()  # the member is in no team
    assert numbers("priority=high") == {mine.number}
    assert numbers("status=assigned") == {mine.number}
    assert numbers("status=open") == {mine.number, other.number, late.number}
    assert numbers("assignee=none") == {other.number, late.number}
    assert numbers(f"assignee={tenant_a.member.pk}") == {mine.number}
    assert numbers(f"team={tenant_a.team.pk}") == {mine.number, other.number, late.number}
    assert numbers("sla=breached") == {late.number}
    assert numbers("q=invoice") == {other.number}
    assert numbers(f"q=%23{late.number}") == {late.number}
    assert numbers("view=team") == set()
    # the team lead's "my team" view
    assert {r["case"].number for r in _client(tenant_a.owner).get(_url(loop, "cases/?view=team"))
            .context["rows"]} == {mine.number, other.number, late.number}
    late_page = client.get(_url(loop, "cases/?sla=breached"))
    assert "breached" in _text(late_page.content) and "overdue 6 h" in _text(late_page.content)


@pytest.mark.parametrize("language", LANGS)
def test_inbox_bad_filter_is_a_form_error(loop: Loop, tenant_a: Any, language: str) -> None:
    response = _client(tenant_a.viewer, language).get(_url(loop, "cases/?status=bogus&sla=later"))
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"status", "sla"}


def test_due_soon_filter_uses_the_sla_clock(loop: Loop, tenant_a: Any) -> None:
    soon = loop.case(opened_at=timezone.now() - timedelta(hours=20))  # 4 h of 24 left: due soon
    fresh = loop.case()
    response = _client(tenant_a.viewer).get(_url(loop, "cases/?sla=due_soon"))
    assert {r["case"].number for r in response.context["rows"]} == {soon.number}
    assert fresh.number not in {r["case"].number for r in response.context["rows"]}
    assert "due soon" in _text(response.content)


def test_inbox_is_paginated(loop: Loop, tenant_a: Any) -> None:
    for i in range(27):
        loop.case(comment=f"problem {i}")
    client = _client(tenant_a.viewer)
    first = client.get(_url(loop, "cases/?priority=normal"))
    assert len(first.context["rows"]) == 25 and first.context["page"].paginator.count == 27
    assert "priority=normal&amp;page=2" in first.content.decode()
    second = client.get(_url(loop, "cases/?priority=normal&page=2"))
    assert len(second.context["rows"]) == 2


def test_live_feed_returns_new_cases_matching_the_filters(loop: Loop, tenant_a: Any) -> None:
    first = loop.case()
    client = _client(tenant_a.viewer)
    page = client.get(_url(loop, "cases/?priority=high"))
    assert f"after={first.number}" in page.content.decode() and "priority=high" in page.content.decode()
    empty = client.get(_url(loop, f"cases/feed/?priority=high&after={first.number}"))
    assert empty.status_code == 200 and b"case-new-" not in empty.content
    normal = loop.case(comment="A new normal one")
    high = loop.case(comment="A new urgent one", priority="high")
    feed = client.get(_url(loop, f"cases/feed/?priority=high&after={first.number}"), HTTP_HX_REQUEST="true")
    html = feed.content.decode()
    assert f'id="case-new-{high.number}"' in html and f'id="case-new-{normal.number}"' not in html
    assert "<html" not in html  # a fragment
    assert client.get(_url(loop, "cases/feed/?after=x")).status_code == 400


def test_team_feed_of_responses(loop: Loop, tenant_a: Any, tenant_b: Any) -> None:
    loop.respond(2, "太慢了，导出一直失败")
    response = loop.respond(10, "Great support")
    client = _client(tenant_a.viewer)
    page = client.get(_url(loop, f"cases/?team={tenant_a.team.pk}"))
    assert page.status_code == 200
    assert "Latest feedback for" in _text(page.content) and "Great support" in _text(page.content)
    feed = client.get(_url(loop, f"cases/feed/responses/?team={tenant_a.team.pk}"))
    text = _text(feed.content)
    assert feed.status_code == 200 and "太慢了" in text and f"#{response.pk}" in text and "nps 10" in text
    assert f"/o/{loop.org.slug}/responses/{response.pk}/" in feed.content.decode()
    assert client.get(_url(loop, f"cases/feed/responses/?team={tenant_b.team.pk}")).status_code == 404
    assert client.get(_url(loop, "cases/feed/responses/?team=x")).status_code == 400
    assert client.get(_url(loop, "cases/feed/responses/")).status_code == 200  # the viewer's own team (none)


def test_bulk_assign(loop: Loop, tenant_a: Any) -> None:
    a, b, c = loop.case(), loop.case(), loop.case()
    client = _client(tenant_a.member)
    response = client.post(_url(loop, "cases/assign/"), {"case": [a.number, b.number],
                                                         "assignee": tenant_a.member.pk, "query": "view=all&x=1"})
    assert response.status_code == 302 and response["Location"] == _url(loop, "cases/?view=all&x=1")
    assert {x.assignee_id for x in Case.objects.filter(pk__in=[a.pk, b.pk])} == {tenant_a.member.pk}
    assert Case.objects.get(pk=a.pk).status == CaseStatus.ASSIGNED
    assert Case.objects.get(pk=c.pk).assignee_id is None
    # a viewer may not; a member who is not one (the viewer) is not a valid choice
    assert _client(tenant_a.viewer).post(_url(loop, "cases/assign/"),
                                         {"case": [c.number], "assignee": tenant_a.member.pk}).status_code == 403
    for language in LANGS:
        refused = _client(tenant_a.member, language).post(_url(loop, "cases/assign/"),
                                                          {"case": [c.number], "assignee": tenant_a.viewer.pk})
        assert refused.status_code == 422
        nothing = _client(tenant_a.member, language).post(_url(loop, "cases/assign/"),
                                                          {"assignee": tenant_a.member.pk})
        assert nothing.status_code == 422
    assert Case.objects.get(pk=c.pk).assignee_id is None


# --- one case ----------------------------------------------------------------------------------------


def test_case_page_shows_response_customer_history_and_timeline(loop: Loop, tenant_a: Any) -> None:
    earlier = loop.respond(9, "All fine back then")
    older_case = loop.case(comment="An older problem")
    case = loop.case(comment="The export keeps failing")
    services.comment(case=case, actor=tenant_a.owner, body="@a-member please call, cc @nobody")
    response = _client(tenant_a.viewer).get(_url(loop, f"cases/{case.number}/"))
    assert response.status_code == 200
    text = _text(response.content)
    html = response.content.decode()
    assert "How likely are you to recommend us?" in text and "The export keeps failing" in text
    assert "Li Na" in text and "li.na@globex.example" in text and "Globex Trading" in text
    assert "Enterprise" in text and "480,000" in text and "2026-03-31" in text
    assert f"/responses/{earlier.pk}/" in html and f"/cases/{older_case.number}/" in html
    assert '<mark class="mention">@a-member</mark>' in html and "@nobody" in text and "mention\">@nobody" not in html
    assert "Opened" in text and "Internal comment" in text
    assert "First contact" in text and re.search(r"due .* 23 h 5\d min left", text)
    assert "New" in text  # time in status
    assert 'name="status"' not in html  # a viewer sees no forms


def test_status_change_and_resolve_with_root_cause(loop: Loop, tenant_a: Any) -> None:
    case = loop.case()
    client = _client(tenant_a.member)
    page = client.get(_url(loop, f"cases/{case.number}/"))
    select = page.content.decode().split('name="status"')[1].split("</select>")[0]
    options = re.findall(r'<option value="(\w+)"', select)
    assert options == ["assigned", "contacted", "in_progress"]  # allowed_targets of "new"
    assert "product_defect" in page.content.decode()
    ok = client.post(_url(loop, f"cases/{case.number}/status/"), {"status": "in_progress"})
    assert ok.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "in_progress"
    done = client.post(_url(loop, f"cases/{case.number}/status/"),
                       {"status": "resolved", "root_cause": "product_defect", "resolution_note": "Fixed in 4.2",
                        "recovered": "yes"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved" and case.root_cause is not None and case.root_cause.code == "product_defect"
    assert case.resolution_note == "Fixed in 4.2" and case.recovered is True
    text = _text(_client(tenant_a.viewer).get(_url(loop, f"cases/{case.number}/")).content)
    assert "Product defect" in text and "Fixed in 4.2" in text and "In progress → Resolved" in text


@pytest.mark.parametrize("language", LANGS)
def test_refused_status_changes_are_form_errors_and_change_nothing(loop: Loop, tenant_a: Any, language: str) -> None:
    case = loop.case()
    client = _client(tenant_a.member, language)
    refused = client.post(_url(loop, f"cases/{case.number}/status/"), {"status": "closed"})
    assert refused.status_code == 409
    assert refused.context["status_form"].errors["status"]
    client.post(_url(loop, f"cases/{case.number}/status/"), {"status": "in_progress"})
    events = CaseEvent.objects.filter(case=case).count()
    no_note = client.post(_url(loop, f"cases/{case.number}/status/"),
                          {"status": "resolved", "root_cause": "product_defect", "resolution_note": " "})
    assert no_note.status_code == 422
    assert no_note.context["status_form"].errors["resolution_note"]
    no_cause = client.post(_url(loop, f"cases/{case.number}/status/"),
                           {"status": "resolved", "root_cause": "made_up", "resolution_note": "done"})
    assert no_cause.status_code == 422 and no_cause.context["status_form"].errors["root_cause"]
    bogus = client.post(_url(loop, f"cases/{case.number}/status/"), {"status": "bogus"})
    assert bogus.status_code == 422
    case.refresh_from_db()
    assert case.status == "in_progress" and case.root_cause is None and case.resolved_at is None
    assert CaseEvent.objects.filter(case=case).count() == events
    # the page says it on the field, with the typed note kept
    assert 'name="root_cause"' in no_cause.content.decode() and "has-error" in no_cause.content.decode()


def test_assign_and_priority(loop: Loop, tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.orgs import services as org_services

    second = org_services.save_team(org=loop.org, name="Billing", kind="support")
    case = loop.case()
    client = _client(tenant_a.member)
    ok = client.post(_url(loop, f"cases/{case.number}/assign/"), {"assignee": tenant_a.member.pk, "team": second.pk})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.assignee_id == tenant_a.member.pk and case.team_id == second.pk and case.status == "assigned"
    for language in LANGS:
        other = _client(tenant_a.member, language).post(_url(loop, f"cases/{case.number}/assign/"),
                                                        {"assignee": tenant_b.member.pk, "team": tenant_b.team.pk})
        assert other.status_code == 422
        bad = _client(tenant_a.member, language).post(_url(loop, f"cases/{case.number}/priority/"),
                                                      {"priority": "asap"})
        assert bad.status_code == 422
    case.refresh_from_db()
    assert case.assignee_id == tenant_a.member.pk and case.team_id == second.pk and case.priority == "normal"
    assert client.post(_url(loop, f"cases/{case.number}/priority/"), {"priority": "urgent"}).status_code == 302
    assert Case.objects.get(pk=case.pk).priority == "urgent"
    text = _text(client.get(_url(loop, f"cases/{case.number}/")).content)
    assert "Normal → Urgent" in text and f"→ {second.name}" in text
    assert _client(tenant_a.viewer).post(_url(loop, f"cases/{case.number}/priority/"),
                                         {"priority": "low"}).status_code == 403


def test_comment_and_reply(loop: Loop, tenant_a: Any) -> None:
    case = loop.case()
    client = _client(tenant_a.member)
    assert client.post(_url(loop, f"cases/{case.number}/comment/"),
                       {"body": "Asked @a-owner for a refund"}).status_code == 302
    comment = CaseEvent.objects.get(case=case, kind="comment")
    assert comment.data["mentions"] == [tenant_a.owner.email] and comment.actor == tenant_a.member
    assert client.post(_url(loop, f"cases/{case.number}/reply/"),
                       {"subject": "Your export", "body": "We fixed it."}).status_code == 302
    case.refresh_from_db()
    assert case.status == "contacted" and case.first_contact_at is not None
    html = client.get(_url(loop, f"cases/{case.number}/")).content.decode()
    assert '<mark class="mention">@a-owner</mark>' in html and "We fixed it." in html and "Your export" in html
    assert "met" in _text(html)  # first contact made in time


@pytest.mark.parametrize("language", LANGS)
def test_empty_comment_and_reply_without_email_are_refused(loop: Loop, tenant_a: Any, language: str) -> None:
    Contact.objects.create(org=loop.org, external_id="c-2", name="Anon")
    case = loop.case(contact="c-2")
    client = _client(tenant_a.member, language)
    before = CaseEvent.objects.filter(case=case).count()
    empty = client.post(_url(loop, f"cases/{case.number}/comment/"), {"body": "   "})
    assert empty.status_code == 422 and empty.context["comment_form"].errors["body"]
    no_mail = client.post(_url(loop, f"cases/{case.number}/reply/"), {"subject": "", "body": "Hello"})
    assert no_mail.status_code == 409 and no_mail.context["reply_form"].non_field_errors()
    empty_reply = client.post(_url(loop, f"cases/{case.number}/reply/"), {"subject": "x", "body": ""})
    assert empty_reply.status_code == 422
    assert CaseEvent.objects.filter(case=case).count() == before
    assert Case.objects.get(pk=case.pk).status == "new"


# --- loop KPIs ---------------------------------------------------------------------------------------


def _kpi_case(loop: Loop, opened: datetime, *, status: str = "new", first_contact_hours: float | None = None,
              resolved_hours: float | None = None, recovered: bool | None = None, team: Any = "default") -> Case:
    number = (Case.objects.filter(org=loop.org).order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return Case.objects.create(
        org=loop.org, number=number, title=f"k{number}", team=loop.t.team if team == "default" else team,
        status=status, opened_at=opened, first_contact_due=opened + timedelta(hours=24),
        resolve_due=opened + timedelta(hours=72),
        first_contact_at=opened + timedelta(hours=first_contact_hours) if first_contact_hours is not None else None,
        resolved_at=opened + timedelta(hours=resolved_hours) if resolved_hours is not None else None,
        recovered=recovered)


def test_loop_kpis_against_hand_computed_values(loop: Loop) -> None:
    jan = datetime(2025, 1, 10, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    feb = datetime(2025, 2, 3, 4, 0, tzinfo=UTC)
    # January: 5 opened; 3 resolved (2 within 72 h), 1 closed (resolved in 80 h: late); first contacts at 2, 4, 6,
    # 10 h; recovered: yes, yes, no, unknown
    _kpi_case(loop, jan, status="resolved", first_contact_hours=2, resolved_hours=10, recovered=True)
    _kpi_case(loop, jan, status="resolved", first_contact_hours=4, resolved_hours=50, recovered=True)
    _kpi_case(loop, jan, status="resolved", first_contact_hours=6, resolved_hours=90, recovered=False)
    _kpi_case(loop, jan, status="closed", first_contact_hours=10, resolved_hours=80, recovered=None)
    _kpi_case(loop, jan, status="in_progress")
    # February: 2 opened, none done; one without a team
    _kpi_case(loop, feb, status="contacted", first_contact_hours=1)
    _kpi_case(loop, feb, status="new", team=None)
    # 31 January 23:30 in Shanghai is January; 16:30 UTC on the 31st is 1 February 00:30 there
    _kpi_case(loop, datetime(2025, 1, 31, 16, 30, tzinfo=UTC), status="new")
    # outside the twelve months
    _kpi_case(loop, datetime(2024, 2, 1, 4, 0, tzinfo=UTC), status="resolved", resolved_hours=1, recovered=True)

    groups = kpis.loop_kpis(loop.org, today=date(2025, 2, 20))
    assert [g.key for g in groups] == [kpis.ALL, loop.t.team.pk, kpis.NO_TEAM]
    team = groups[1]
    assert [m.month for m in team.months][-2:] == [date(2025, 1, 1), date(2025, 2, 1)]
    assert team.months[0].month == date(2024, 3, 1) and team.months[0].opened == 0
    jan_k, feb_k = team.months[-2], team.months[-1]
    assert jan_k.opened == 5
    assert jan_k.closure == metrics.wilson(4, 5)
    assert jan_k.first_contact_median_hours == pytest.approx(5.0) and jan_k.first_contact_n == 4
    assert jan_k.sla == metrics.wilson(2, 4)
    assert jan_k.rescue == metrics.wilson(2, 3)
    assert feb_k.opened == 2 and feb_k.closure == metrics.wilson(0, 2) and feb_k.sla.n == 0
    assert feb_k.first_contact_median_hours == pytest.approx(1.0)
    assert team.total.opened == 7 and team.total.closure == metrics.wilson(4, 7)
    assert team.total.first_contact_median_hours == pytest.approx(4.0)  # 1, 2, 4, 6, 10
    everyone = groups[0]
    assert everyone.months[-1].opened == 3 and everyone.total.opened == 8
    assert groups[2].total.opened == 1
    # the numbers with their interval on the page
    low, high = metrics.wilson(4, 5).low, metrics.wilson(4, 5).high
    assert low is not None and high is not None


def test_kpi_page(loop: Loop, tenant_a: Any) -> None:
    now = timezone.now()
    _kpi_case(loop, now - timedelta(hours=100), status="resolved", first_contact_hours=3, resolved_hours=20,
              recovered=True)
    _kpi_case(loop, now - timedelta(hours=1))
    response = _client(tenant_a.viewer).get(_url(loop, "cases/kpis/"))
    assert response.status_code == 200
    text = _text(response.content)
    est = metrics.wilson(1, 2)
    assert "All teams" in text and tenant_a.team.name in text
    assert f"{round(est.low * 100)}%–{round(est.high * 100)}% · n = 2" in text  # type: ignore[operator]
    assert "3 h" in text and "50%" in text


# --- rules -------------------------------------------------------------------------------------------


RULE = '{"when": {"field": "score_type.nps", "op": "<=", "value": 6}, "then": {"open_case": {"team": "%s"}}}'


def test_rules_list_create_edit_delete(loop: Loop, tenant_a: Any) -> None:
    client = _client(tenant_a.owner)
    page = client.get(_url(loop, "settings/rules/"))
    assert page.status_code == 200 and "score_type.nps" in page.content.decode()  # the example
    assert "Rules" in _text(page.content) and "Channels" in _text(page.content)  # tabs
    created = client.post(_url(loop, "settings/rules/"), {"name": "Detractors", "enabled": "on",
                                                         "definition": RULE % tenant_a.team.name})
    assert created.status_code == 302
    rule = AlertRule.objects.get(org=loop.org, name="Detractors")
    assert rule.enabled and rule.definition["then"]["open_case"]["team"] == tenant_a.team.name
    listing = _text(client.get(_url(loop, "settings/rules/")).content)
    assert "Detractors" in listing
    edited = client.post(_url(loop, f"settings/rules/{rule.pk}/"), {"name": "Detractors NPS",
                                                                    "definition": RULE % tenant_a.team.name})
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Detractors NPS" and rule.enabled is False
    assert client.post(_url(loop, f"settings/rules/{rule.pk}/delete/")).status_code == 302
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("language", LANGS)
def test_rule_errors_name_the_json_path(loop: Loop, tenant_a: Any, language: str) -> None:
    client = _client(tenant_a.owner, language)
    bad = client.post(_url(loop, "settings/rules/"), {"name": "Bad", "definition": '{"when": {"field": "nps", '
                                                      '"op": "lte", "value": 6}, "then": {"open_case": {"team": 1}}}'})
    assert bad.status_code == 422
    errors = " ".join(bad.context["form"].errors["definition"])
    assert "when.field" in errors and "when.op" in errors
    not_json = client.post(_url(loop, "settings/rules/"), {"name": "Bad", "definition": "{when:"})
    assert not_json.status_code == 422 and not_json.context["form"].errors["definition"]
    no_team = client.post(_url(loop, "settings/rules/"), {"name": "Bad", "definition": RULE % "Nobody"})
    assert no_team.status_code == 422
    assert "then.open_case.team" in " ".join(no_team.context["form"].errors["definition"])
    client.post(_url(loop, "settings/rules/"), {"name": "Taken", "definition": RULE % tenant_a.team.name})
    clash = client.post(_url(loop, "settings/rules/"), {"name": "Taken", "definition": RULE % tenant_a.team.name})
    assert clash.status_code == 409 and clash.context["form"].errors["name"]
    assert list(AlertRule.objects.filter(org=loop.org).values_list("name", flat=True)) == ["Taken"]


def test_rule_pages_need_analyst_to_view_and_admin_to_change(loop: Loop, tenant_a: Any) -> None:
    rule = services.save_rule(org=loop.org, name="R", definition={"when": {"field": "comment", "op": "exists"},
                                                                  "then": {"open_case": {"team": tenant_a.team.pk}}})
    member = _client(tenant_a.member)
    assert member.get(_url(loop, "settings/rules/")).status_code == 403
    assert member.post(_url(loop, f"settings/rules/{rule.pk}/delete/")).status_code == 403
    assert AlertRule.objects.filter(pk=rule.pk).exists()


def test_test_this_rule_explains_each_leaf(loop: Loop, tenant_a: Any, tenant_b: Any) -> None:
    rule = services.save_rule(org=loop.org, name="Detractors with a comment", definition={
        "when": {"all": [{"field": "score_type.nps", "op": "<=", "value": 6},
                         {"field": "account.tier", "op": "=", "value": "enterprise"},
                         {"field": "embedded.plan", "op": "=", "value": "pro"}]},
        "then": {"open_case": {"team": tenant_a.team.name}}})
    response = loop.respond(4, "slow")
    client = _client(tenant_a.owner)
    page = client.get(_url(loop, f"settings/rules/{rule.pk}/?response={response.pk}"))
    assert page.status_code == 200
    checks = page.context["checks"]
    assert [(c.path, c.actual, c.result) for c in checks] == [
        ("when.all[0]", 4.0, True), ("when.all[1]", "enterprise", True), ("when.all[2]", None, False)]
    assert page.context["matches"] is False
    assert "does not match" in _text(page.content) and "missing" in _text(page.content)
    other = Loop(tenant_b).respond(2)
    for language in LANGS:
        refused = _client(tenant_a.owner, language).get(_url(loop, f"settings/rules/{rule.pk}/?response={other.pk}"))
        assert refused.status_code == 404 and refused.context["test"].errors["response"]
        assert _client(tenant_a.owner, language).get(
            _url(loop, f"settings/rules/{rule.pk}/?response=x")).status_code == 400


# --- channels ----------------------------------------------------------------------------------------


def test_channels_create_show_secret_once_rotate_delete(loop: Loop, tenant_a: Any) -> None:
    client = _client(tenant_a.owner)
    created = client.post(_url(loop, "settings/channels/"), {
        "name": "CRM hook", "format": "cxloop", "url": "https://93.184.216.34/hooks/cx", "events": ["case.opened",
                                                                                              "case.resolved"],
        "team": tenant_a.team.pk})
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    endpoint = Endpoint.objects.get(org=loop.org, name="CRM hook")
    assert endpoint.events == ["case.opened", "case.resolved"] and endpoint.team == tenant_a.team
    assert endpoint.secret in created.content.decode()
    listing = client.get(_url(loop, "settings/channels/"))
    assert "CRM hook" in _text(listing.content) and endpoint.secret not in listing.content.decode()
    detail = client.get(_url(loop, f"settings/channels/{endpoint.pk}/"))
    assert detail.status_code == 200 and endpoint.secret not in detail.content.decode()
    rotated = client.post(_url(loop, f"settings/channels/{endpoint.pk}/rotate/"))
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert rotated.status_code == 200 and endpoint.secret != old and endpoint.secret in rotated.content.decode()
    assert endpoint.previous_secret == old
    assert client.post(_url(loop, f"settings/channels/{endpoint.pk}/delete/")).status_code == 302
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize("language", LANGS)
def test_channel_errors(loop: Loop, tenant_a: Any, language: str) -> None:
    client = _client(tenant_a.owner, language)
    private = client.post(_url(loop, "settings/channels/"), {"name": "Inside", "format": "cxloop",
                                                            "url": "http://10.0.0.5/hook", "events": ["*"]})
    assert private.status_code == 422 and private.context["form"].errors["url"]
    no_mail = client.post(_url(loop, "settings/channels/"), {"name": "Mail", "format": "email", "email": ""})
    assert no_mail.status_code == 422 and no_mail.context["form"].errors["email"]
    notify.create_endpoint(org=loop.org, name="Ops mail", email="ops@example.com", format="email")
    clash = client.post(_url(loop, "settings/channels/"), {"name": "Ops mail", "format": "email",
                                                          "email": "x@example.com"})
    assert clash.status_code == 409 and clash.context["form"].errors["name"]
    assert list(Endpoint.objects.filter(org=loop.org).values_list("name", flat=True)) == ["Ops mail"]
    assert _client(tenant_a.member, language).get(_url(loop, "settings/channels/")).status_code == 403


def test_delivery_log_and_redeliver(loop: Loop, tenant_a: Any) -> None:
    endpoint, _secret = notify.create_endpoint(org=loop.org, name="Ops mail", email="ops@example.com",
                                               format="email", events=["case.opened"])
    loop.case()  # case.opened → one delivery to the e-mail channel
    delivery = endpoint.deliveries.get()
    client = _client(tenant_a.owner)
    page = client.get(_url(loop, f"settings/channels/{endpoint.pk}/"))
    assert page.status_code == 200 and "case.opened" in _text(page.content) and "Not attempted yet" in _text(
        page.content)
    again = client.post(_url(loop, f"settings/channels/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"))
    assert again.status_code == 302
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.manual and attempt.ok and attempt.status_code == 250
    text = _text(client.get(_url(loop, f"settings/channels/{endpoint.pk}/")).content)
    assert "manual" in text and "250" in text and "Delivered" in text
    assert _client(tenant_a.member).post(
        _url(loop, f"settings/channels/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")).status_code == 403


# --- root causes -------------------------------------------------------------------------------------


def test_root_causes_add_and_switch_off(loop: Loop, tenant_a: Any) -> None:
    client = _client(tenant_a.owner)
    page = client.get(_url(loop, "settings/root-causes/"))
    assert page.status_code == 200 and "Product defect" in _text(page.content)
    assert client.post(_url(loop, "settings/root-causes/"), {"label": "Courier delay"}).status_code == 302
    cause = RootCause.objects.get(org=loop.org, code="courier_delay")
    assert cause.active
    for language in LANGS:
        dup = _client(tenant_a.owner, language).post(_url(loop, "settings/root-causes/"),
                                                     {"label": "Again", "code": "courier_delay"})
        assert dup.status_code == 409 and dup.context["form"].errors["code"]
        empty = _client(tenant_a.owner, language).post(_url(loop, "settings/root-causes/"), {"label": ""})
        assert empty.status_code == 422
    assert client.post(_url(loop, f"settings/root-causes/{cause.pk}/toggle/")).status_code == 302
    cause.refresh_from_db()
    assert not cause.active
    assert "courier_delay" not in [c.code for c in services.root_causes(loop.org)]
    case = loop.case()
    assert "courier_delay" not in _client(tenant_a.member).get(_url(loop, f"cases/{case.number}/")).content.decode()
    assert _client(tenant_a.member).post(_url(loop, f"settings/root-causes/{cause.pk}/toggle/")).status_code == 403


# --- tenant isolation ----------------------------------------------------------------------------------


def test_another_organisation_gets_404_everywhere(loop: Loop, tenant_a: Any, tenant_b: Any) -> None:
    case = loop.case()
    rule = services.save_rule(org=loop.org, name="R", definition={"when": {"field": "comment", "op": "exists"},
                                                                  "then": {"open_case": {"team": tenant_a.team.pk}}})
    endpoint, _secret = notify.create_endpoint(org=loop.org, name="Ops mail", email="ops@example.com",
                                               format="email", events=["*"])
    loop.case()
    delivery = endpoint.deliveries.first()
    assert delivery is not None
    cause = services.root_causes(loop.org)[0]
    a = loop.org.slug
    b = tenant_b.org.slug
    gets = [f"/o/{a}/cases/", f"/o/{a}/cases/{case.number}/", f"/o/{a}/cases/feed/?after=0",
            f"/o/{a}/cases/feed/responses/?team={tenant_a.team.pk}", f"/o/{a}/cases/kpis/",
            f"/o/{a}/settings/rules/", f"/o/{a}/settings/rules/{rule.pk}/", f"/o/{a}/settings/channels/",
            f"/o/{a}/settings/channels/{endpoint.pk}/", f"/o/{a}/settings/root-causes/"]
    posts = [f"/o/{a}/cases/assign/", f"/o/{a}/cases/{case.number}/status/", f"/o/{a}/cases/{case.number}/assign/",
             f"/o/{a}/cases/{case.number}/priority/", f"/o/{a}/cases/{case.number}/comment/",
             f"/o/{a}/cases/{case.number}/reply/", f"/o/{a}/settings/rules/{rule.pk}/delete/",
             f"/o/{a}/settings/channels/{endpoint.pk}/rotate/", f"/o/{a}/settings/channels/{endpoint.pk}/delete/",
             f"/o/{a}/settings/channels/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/",
             f"/o/{a}/settings/root-causes/{cause.pk}/toggle/"]
    outsider = _client(tenant_b.owner)
    for url in gets:
        assert outsider.get(url).status_code == 404, url
    for url in posts:
        assert outsider.post(url, {"status": "in_progress", "body": "x", "priority": "low"}).status_code == 404, url
    # A's ids under B's own organisation are not found either
    for url in (f"/o/{b}/cases/{case.number}/", f"/o/{b}/settings/rules/{rule.pk}/",
                f"/o/{b}/settings/channels/{endpoint.pk}/",
                f"/o/{b}/cases/feed/responses/?team={tenant_a.team.pk}"):
        assert outsider.get(url).status_code == 404, url
    for url in (f"/o/{b}/cases/{case.number}/status/", f"/o/{b}/settings/rules/{rule.pk}/delete/",
                f"/o/{b}/settings/channels/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/",
                f"/o/{b}/settings/root-causes/{cause.pk}/toggle/"):
        assert outsider.post(url, {"status": "in_progress"}).status_code == 404, url
    case.refresh_from_db()
    assert case.status == "new" and AlertRule.objects.filter(pk=rule.pk).exists() and cause.active
    assert not DeliveryAttempt.objects.filter(delivery=delivery).exists()
