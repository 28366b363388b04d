"""Segments and personas (issue 7): the pure definition grammar (``core.segments``: problems at their JSON path,
words in zh/en), membership as a query on constructed contacts and accounts (SQLite and PostgreSQL: typed JSON
comparisons, missing values, behaviour), the dashboard filter, the alert-rule ``segment`` field, inviting a
segment, persona stats against a hand computation with ``core.metrics``, the pages (zh-Hans and English, roles),
the API, and another organisation's segments and personas: 404 on every new URL and endpoint."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from cxloop.core import metrics
from cxloop.core import segments as core
from cxloop.customers.models import Account, Contact
from cxloop.segments import members as seg_members
from cxloop.segments import services as seg
from cxloop.segments.models import Persona, PersonaComment, Segment
from cxloop.surveys import services as surveys

ZONE = ZoneInfo(settings.TIME_ZONE)
DEFINITION: dict[str, Any] = {
    "title": "Relationship", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "csat", "type": "csat", "text": {"zh-hans": "满意吗？", "en": "Satisfied?"}},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}
ONBOARDING: dict[str, Any] = {
    "title": "Onboarding", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "done", "type": "csat", "text": {"zh-hans": "入门顺利吗？", "en": "Onboarding went well?"}},
    ]}],
}
BIG_EAST = {"all": [
    {"field": "account.tier", "op": "=", "value": "enterprise"},
    {"field": "account.region", "op": "=", "value": "华东"},
    {"field": "account.arr", "op": ">", "value": 1000000},
]}


# --- the pure grammar --------------------------------------------------------------------------------


def test_parse_round_trips_and_describes_in_both_languages() -> None:
    condition = core.parse(BIG_EAST)
    assert core.to_json(condition) == BIG_EAST
    assert core.parse(core.to_json(condition)) == condition
    assert core.describe(condition, "zh-hans") == (
        "满足以下条件的联系人：客户层级为企业，且区域为“华东”，且年度经常性收入（ARR）大于1,000,000")
    assert core.describe(condition, "en") == (
        "Contacts where account tier is enterprise and region is “华东” and ARR is above 1,000,000")
    assert "聯絡人" in core.describe(condition, "zh-hant")
    never = core.parse({"field": "behaviour.responses", "op": "=", "value": 0, "survey": "onboarding"})
    assert core.describe(never, "en") == "Contacts where completed responses (survey onboarding) is 0"
    assert core.to_json(never) == {"field": "behaviour.responses", "op": "=", "value": 0, "survey": "onboarding"}
    dated = core.parse({"field": "account.renewal_date", "op": "between", "value": ["2026-01-01", "2026-06-30"]})
    assert core.to_json(dated)["value"] == ["2026-01-01", "2026-06-30"]


def test_every_problem_is_named_by_its_json_path() -> None:
    with pytest.raises(core.SegmentError) as caught:
        core.parse({"all": [
            {"field": "tier", "op": "=", "value": "enterprise"},
            {"field": "account.arr", "op": "gte", "value": 1},
            {"field": "account.arr", "op": ">", "value": "lots"},
            {"feild": "account.tier"},
            {"field": "account.tier", "op": "=", "value": "Enterprize"},
            {"not": {"field": "behaviour.responses", "op": "exists"}},
            {"field": "behaviour.responses", "op": ">=", "value": 1, "days": 0, "kind": "nope"},
            {"field": "contact.attributes.bad name", "op": "exists"},
            {"field": "account.renewal_date", "op": "<", "value": "31/12/2026"},
            {"field": "account.arr", "op": "between", "value": [5, 1]},
            {"field": "contact.language", "op": "in", "value": []},
            {"field": "account.tier", "op": "=", "value": "smb", "days": 3},
        ]})
    found = {p.path: p.message for p in caught.value.problems}
    assert found["all[0].field"] == "unknown field 'tier' (did you mean 'account.tier'?)"
    assert found["all[1].op"] == "unknown op 'gte' (did you mean '>='?)"
    assert found["all[2].value"] == "must be a number, not 'lots'"
    assert found["all[3]"].startswith("a condition needs exactly one of all, any, not, field")
    assert found["all[4].value"] == "unknown value 'Enterprize' (did you mean 'enterprise'?)"
    assert found["all[5].not.op"].startswith("op 'exists' does not apply to 'behaviour.responses'")
    assert found["all[6].days"].startswith("a whole number of days from 1 to 3650")
    assert found["all[6].kind"].startswith("unknown survey kind 'nope'")
    assert "attribute name 'bad name'" in found["all[7].field"]
    assert found["all[8].value"] == "must be a date written YYYY-MM-DD, not '31/12/2026'"
    assert found["all[9].value"] == "low (5) is above high (1)"
    assert found["all[10].value"].startswith("'in' needs a non-empty list")
    assert found["all[11].days"].startswith("unknown key 'days'")
    with pytest.raises(core.SegmentError) as deep:
        core.parse({"not": {"not": {"not": {"not": {"not": {"not": {"field": "account.tier", "op": "exists"}}}}}}})
    assert deep.value.problems[0].path == "not.not.not.not.not.not"
    with pytest.raises(core.SegmentError) as empty:
        core.parse([])
    assert empty.value.problems[0].message == "a condition must be a mapping, not list"


def test_day_bounds_are_whole_day_ranges() -> None:
    assert core.day_bounds("<", 30) == (None, 29)
    assert core.day_bounds("<=", 30.5) == (None, 30)
    assert core.day_bounds(">", 30) == (31, None)
    assert core.day_bounds(">=", 29.5) == (30, None)
    assert core.day_bounds("between", (1.5, 3)) == (2, 3)
    assert core.day_bounds("=", 4) == (4, 4)


# --- membership on constructed data ------------------------------------------------------------------


def _account(org: Any, key: str, **kw: Any) -> Account:
    return Account.objects.create(org=org, external_id=key, name=kw.pop("name", key), **kw)


def _contact(org: Any, key: str, account: Account | None = None, **kw: Any) -> Contact:
    return Contact.objects.create(org=org, external_id=key, name=kw.pop("name", key), account=account,
                                  email=kw.pop("email", f"{key}@example.com"), **kw)


@pytest.fixture
def people(tenant_a: Any) -> dict[str, Contact]:
    org = tenant_a.org
    big = _account(org, "big", tier="enterprise", region="华东", arr=2_500_000, industry="制造",
                   renewal_date=timezone.localdate() + timedelta(days=40),
                   attributes={"modules": ["reporting", "surveys"], "seats": 800, "plan": "Enterprise",
                               "score": "120", "city": "上海", "beta": True})
    small_east = _account(org, "mid", tier="enterprise", region="华东", arr=900_000,
                          attributes={"modules": ["surveys"], "seats": "95", "plan": "trial"})
    north = _account(org, "north", tier="enterprise", region="华北", arr=3_000_000,
                     attributes={"modules": ["reporting"], "seats": "many", "plan": "Enterprise"})
    smb = _account(org, "smb", tier="smb", region="华东", arr=30_000, attributes={"modules": [], "plan": "trial"})
    return {
        "big_dm": _contact(org, "big_dm", big, stakeholder_role="decision_maker", language="zh-hans",
                           attributes={"department": "IT", "level": 7}),
        "big_user": _contact(org, "big_user", big, attributes={"department": "运营", "level": "3"}),
        "mid_user": _contact(org, "mid_user", small_east, language="en", attributes={"level": 12}),
        "north_user": _contact(org, "north_user", north, attributes={}),
        "smb_owner": _contact(org, "smb_owner", smb, stakeholder_role="decision_maker", title="老板"),
        "loner": _contact(org, "loner", None, language="en", email=""),
    }


def _who(org: Any, definition: Any) -> set[str]:
    return set(seg_members.contacts(org.pk, definition).values_list("external_id", flat=True))


def test_enterprise_accounts_in_east_china_with_arr_over_a_million(tenant_a: Any, people: Any) -> None:
    assert _who(tenant_a.org, BIG_EAST) == {"big_dm", "big_user"}
    org = tenant_a.org
    # not (…) keeps the contact without an account: every account field is missing there
    assert _who(org, {"not": BIG_EAST}) == {"mid_user", "north_user", "smb_owner", "loner"}
    assert _who(org, {"field": "account.tier", "op": "!=", "value": "smb"}) == {
        "big_dm", "big_user", "mid_user", "north_user"}
    assert _who(org, {"field": "account.tier", "op": "not_exists"}) == {"loner"}
    assert _who(org, {"field": "account.region", "op": "in", "value": ["华北", "华南"]}) == {"north_user"}
    assert _who(org, {"field": "account.arr", "op": "between", "value": [900000, 2500000]}) == {
        "big_dm", "big_user", "mid_user"}
    assert _who(org, {"field": "account.renewal_days", "op": "between", "value": [0, 60]}) == {"big_dm", "big_user"}
    assert _who(org, {"field": "account.renewal_days", "op": "<=", "value": 39}) == set()
    assert _who(org, {"field": "contact.stakeholder_role", "op": "=", "value": "decision_maker"}) == {
        "big_dm", "smb_owner"}
    assert _who(org, {"field": "contact.email", "op": "not_exists"}) == {"loner"}
    assert _who(org, {"field": "contact.title", "op": "contains", "value": "老板"}) == {"smb_owner"}
    assert _who(org, {"any": [{"field": "contact.language", "op": "=", "value": "en"},
                              {"field": "account.industry", "op": "=", "value": "制造"}]}) == {
        "big_dm", "big_user", "mid_user", "loner"}


def test_json_attributes_compare_typed(tenant_a: Any, people: Any) -> None:
    org = tenant_a.org
    # numbers compare as numbers: 800 and "95" are numbers, "many" is not one (false, not an error)
    assert _who(org, {"field": "account.attributes.seats", "op": ">", "value": 100}) == {"big_dm", "big_user"}
    assert _who(org, {"field": "account.attributes.seats", "op": "<", "value": 100}) == {"mid_user"}
    assert _who(org, {"field": "account.attributes.seats", "op": "between", "value": [90, 1000]}) == {
        "big_dm", "big_user", "mid_user"}
    # "120" > 20 as numbers (as text "120" < "20")
    assert _who(org, {"field": "account.attributes.score", "op": ">", "value": 20}) == {"big_dm", "big_user"}
    assert _who(org, {"field": "contact.attributes.level", "op": ">=", "value": 7}) == {"big_dm", "mid_user"}
    assert _who(org, {"field": "contact.attributes.level", "op": "=", "value": 3}) == {"big_user"}
    # != is false on a missing value and true on a present one that differs (also text vs number)
    assert _who(org, {"field": "account.attributes.seats", "op": "!=", "value": 800}) == {"mid_user", "north_user"}
    # lists: contains and in test a member
    assert _who(org, {"field": "account.attributes.modules", "op": "contains", "value": "reporting"}) == {
        "big_dm", "big_user", "north_user"}
    assert _who(org, {"field": "account.attributes.modules", "op": "in", "value": ["surveys", "x"]}) == {
        "big_dm", "big_user", "mid_user"}
    assert _who(org, {"field": "account.attributes.modules", "op": "exists"}) == {
        "big_dm", "big_user", "mid_user", "north_user"}  # an empty list is missing
    # text without regard to case; Chinese text; booleans as booleans
    assert _who(org, {"field": "account.attributes.plan", "op": "=", "value": "TRIAL"}) == {"mid_user", "smb_owner"}
    assert _who(org, {"field": "account.attributes.city", "op": "=", "value": "上海"}) == {"big_dm", "big_user"}
    assert _who(org, {"field": "contact.attributes.department", "op": "contains", "value": "运"}) == {"big_user"}
    assert _who(org, {"field": "account.attributes.beta", "op": "=", "value": True}) == {"big_dm", "big_user"}
    assert _who(org, {"not": {"field": "account.attributes.plan", "op": "=", "value": "trial"}}) == {
        "big_dm", "big_user", "north_user", "loner"}


def _survey(org: Any, definition: dict[str, Any], name: str, slug: str = "") -> Any:
    survey = surveys.create_survey(org=org, name=name, definition=definition)
    surveys.publish(survey=survey)
    if slug:
        survey.slug = slug
        survey.save(update_fields=["slug"])
    return survey


def _answer(survey: Any, contact: Contact, answers: dict[str, Any], when: datetime) -> int:
    rec = surveys.record_response(survey=survey, submission=surveys.Submission(
        answers=answers, language="zh-hans", contact={"external_id": contact.external_id}, submitted_at=when))
    assert rec.response_id is not None
    return int(rec.response_id)


def test_behaviour_never_answered_onboarding_latest_nps_and_open_cases(tenant_a: Any, people: Any) -> None:
    org = tenant_a.org
    onboarding = _survey(org, ONBOARDING, "Onboarding", slug="onboarding-x1")
    relation = _survey(org, DEFINITION, "Relationship")
    now = timezone.now()
    _answer(onboarding, people["big_dm"], {"done": 5}, now - timedelta(days=3))
    _answer(onboarding, people["mid_user"], {"done": 2}, now - timedelta(days=200))
    _answer(relation, people["big_dm"], {"nps": 3}, now - timedelta(days=100))
    _answer(relation, people["big_dm"], {"nps": 10}, now - timedelta(days=2))  # the latest counts
    _answer(relation, people["north_user"], {"nps": 5}, now - timedelta(days=10))
    trial_never = {"all": [
        {"field": "account.attributes.plan", "op": "=", "value": "trial"},
        {"field": "behaviour.responses", "op": "=", "value": 0, "survey": "onboarding-x1"},
    ]}
    assert _who(org, trial_never) == {"smb_owner"}
    assert _who(org, {"field": "behaviour.responses", "op": "=", "value": 0, "survey": onboarding.pk}) == {
        "big_user", "north_user", "smb_owner", "loner"}
    assert _who(org, {"field": "behaviour.responses", "op": ">=", "value": 1, "survey": "onboarding-x1",
                      "days": 30}) == {"big_dm"}
    assert _who(org, {"field": "behaviour.responses", "op": ">=", "value": 3}) == {"big_dm"}
    assert _who(org, {"field": "behaviour.responses", "op": "between", "value": [1, 1]}) == {"mid_user", "north_user"}
    assert _who(org, {"field": "behaviour.last_response_days", "op": "<=", "value": 7}) == {"big_dm"}
    assert _who(org, {"field": "behaviour.last_response_days", "op": ">", "value": 30}) == {"mid_user"}
    assert _who(org, {"field": "behaviour.last_response_days", "op": "not_exists"}) == {
        "big_user", "smb_owner", "loner"}
    assert _who(org, {"field": "behaviour.nps_category", "op": "=", "value": "promoter"}) == {"big_dm"}
    assert _who(org, {"field": "behaviour.nps_category", "op": "=", "value": "detractor"}) == {"north_user"}
    assert _who(org, {"field": "behaviour.nps", "op": "<=", "value": 6, "days": 30}) == {"north_user"}
    assert _who(org, {"field": "behaviour.nps", "op": "<=", "value": 6, "days": 30}) == {"north_user"}
    assert _who(org, {"field": "behaviour.open_cases", "op": ">=", "value": 1}) == set()
    from cxloop.cases.models import Case

    Case.objects.create(org=org, number=1, contact=people["mid_user"], title="x", status="in_progress")
    Case.objects.create(org=org, number=2, contact=people["loner"], title="y", status="closed")
    assert _who(org, {"field": "behaviour.open_cases", "op": ">=", "value": 1}) == {"mid_user"}
    assert _who(org, {"field": "behaviour.open_cases", "op": "=", "value": 0}) == {
        "big_dm", "big_user", "north_user", "smb_owner", "loner"}


def test_behaviour_from_events_trial_users_who_never_finished_onboarding(tenant_a: Any, tenant_b: Any,
                                                                         people: Any) -> None:
    from cxloop.behaviour import ingest

    org = tenant_a.org
    now = timezone.now()

    def ev(name: str, who: str, days_ago: float, touchpoint: str = "") -> dict[str, Any]:
        return {"event": name, "timestamp": (now - timedelta(days=days_ago)).isoformat(), "contact": who,
                "touchpoint": touchpoint}

    result = ingest.ingest(org, [
        ev("signed_up", "big_user", 40), ev("onboarding_completed", "big_user", 38),
        ev("signed_up", "mid_user", 20), ev("workspace_created", "mid_user", 19, "onboarding"),
        ev("signed_up", "smb_owner", 200),
        ev("page_view", "north_user", 1, "pricing"), ev("page_view", "north_user", 2, "pricing"),
        {"event": "signed_up", "timestamp": now.isoformat(), "anonymous_id": "visitor-1"},  # belongs to no contact
    ])
    assert result.stored == 8
    # the same contact external id in another organisation does not count here
    _contact(tenant_b.org, "loner")
    assert ingest.ingest(tenant_b.org, [ev("signed_up", "loner", 1)]).stored == 1
    never_finished = {"all": [
        {"field": "behaviour.events", "event": "signed_up", "op": ">=", "value": 1},
        {"field": "behaviour.events", "event": "onboarding_completed", "op": "=", "value": 0},
    ]}
    assert _who(org, never_finished) == {"mid_user", "smb_owner"}
    assert _who(org, {"field": "behaviour.events", "event": "signed_up", "op": ">=", "value": 1,
                      "days": 30}) == {"mid_user"}
    assert _who(org, {"field": "behaviour.events", "op": ">=", "value": 2}) == {"big_user", "mid_user", "north_user"}
    assert _who(org, {"field": "behaviour.events", "touchpoint": "pricing", "op": "between", "value": [2, 2]}) == {
        "north_user"}
    assert _who(org, {"field": "behaviour.last_event_days", "op": ">", "value": 30}) == {"big_user", "smb_owner"}
    assert _who(org, {"field": "behaviour.last_event_days", "event": "signed_up", "op": "<=", "value": 30}) == {
        "mid_user"}
    assert _who(org, {"field": "behaviour.last_event_days", "op": "not_exists"}) == {"big_dm", "loner"}
    assert core.describe(core.parse(never_finished), "en") == (
        "Contacts where events (event “signed_up”) is at least 1 and events (event “onboarding_completed”) is 0")
    assert core.describe(core.parse(never_finished), "zh-hans") == (
        "满足以下条件的联系人：行为事件数（事件“signed_up”）至少为1，且行为事件数（事件“onboarding_completed”）为0")
    with pytest.raises(core.SegmentError) as bad:
        core.parse({"field": "behaviour.events", "event": "", "op": ">=", "value": 1, "survey": 3})
    paths = {p.path for p in bad.value.problems}
    assert paths == {"event", "survey"}


def test_another_organisation_is_never_a_member(tenant_a: Any, tenant_b: Any, people: Any) -> None:
    big_b = _account(tenant_b.org, "big", tier="enterprise", region="华东", arr=9_000_000)
    _contact(tenant_b.org, "b_dm", big_b)
    assert _who(tenant_a.org, BIG_EAST) == {"big_dm", "big_user"}
    assert _who(tenant_b.org, BIG_EAST) == {"b_dm"}


# --- integrations: dashboards, rules, survey targeting, persona stats -----------------------------------

MARCH = [date(2026, 3, d) for d in range(2, 28)]
MEMBER_NPS = [10, 9, 9, 3, 7, 10, 2, 9, 8, 10, 6, 9]
OTHER_NPS = [1, 2, 3, 0, 5, 9, 4, 6]
MEMBER_CSAT = [5, 4, 2, 5, 3, 4, 5, 1, 4, 5, 4, 4]
COMMENTS = ["导出报表一直失败，很失望", "The export keeps failing", "价格太贵了", "客服响应很快，满意"]


@pytest.fixture
def scored(tenant_a: Any, people: Any) -> dict[str, Any]:
    """A relationship survey answered in March 2026 by members of BIG_EAST (big_dm, big_user) and others."""
    from cxloop.cases import intake

    org = tenant_a.org
    survey = _survey(org, DEFINITION, "Relationship")
    segment = seg.save_segment(org=org, name={"zh-hans": "华东企业客户", "en": "East China enterprise"},
                               definition=BIG_EAST)
    for i, (nps, csat) in enumerate(zip(MEMBER_NPS, MEMBER_CSAT, strict=True)):
        contact = people["big_dm"] if i % 2 else people["big_user"]
        _answer(survey, contact, {"nps": nps, "csat": csat, "why": COMMENTS[i % 4]},
                datetime.combine(MARCH[i], datetime.min.time(), tzinfo=ZONE).replace(hour=10))
    for i, nps in enumerate(OTHER_NPS):
        contact = [people["mid_user"], people["north_user"], people["smb_owner"]][i % 3]
        _answer(survey, contact, {"nps": nps, "csat": 1, "why": COMMENTS[0]},
                datetime.combine(MARCH[i], datetime.min.time(), tzinfo=ZONE).replace(hour=11))
    intake.drain()  # the comments' analysis (themes)
    return {"survey": survey, "segment": segment}


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_dashboard_segment_filter_equals_a_hand_computation(tenant_a: Any, scored: Any) -> None:
    from cxloop.analytics import dashboard

    segment = scored["segment"]
    page = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/?from=2026-03-01&to=2026-03-31"
                                        f"&segment={segment.pk}&group_by=touchpoint")
    assert page.status_code == 200
    data = page.context["data"]
    assert data.cards[0].estimate == metrics.nps(metrics.NpsCounts.from_scores(MEMBER_NPS))
    assert data.cards[1].estimate == metrics.csat({s: MEMBER_CSAT.count(s) for s in set(MEMBER_CSAT)})
    assert data.responses == len(MEMBER_NPS)
    html = page.content.decode()
    assert f'<option value="{segment.pk}" selected>' in html and f"/o/{tenant_a.org.slug}/segments/" in html
    # without the filter: everyone
    everyone = dashboard.org_dashboard(tenant_a.org, dashboard.Filters(start=date(2026, 3, 1),
                                                                      end=date(2026, 3, 31)))
    assert everyone.cards[0].estimate == metrics.nps(metrics.NpsCounts.from_scores(MEMBER_NPS + OTHER_NPS))
    # the survey's response list keeps the segment too
    listed = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/surveys/{scored['survey'].pk}/responses/"
                                          f"?from=2026-03-01&to=2026-03-31&segment={segment.pk}")
    assert listed.status_code == 200 and listed.context["page"].paginator.count == len(MEMBER_NPS)


def test_dashboard_refuses_another_organisations_segment(tenant_a: Any, tenant_b: Any, scored: Any) -> None:
    theirs = seg.save_segment(org=tenant_b.org, name="Theirs", definition=BIG_EAST)
    page = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/?segment={theirs.pk}")
    assert page.status_code == 400
    # and through the metrics service's contact filter an unknown segment selects nobody
    from cxloop.analytics import metrics_service

    result = metrics_service.compute(org=tenant_a.org, surveys=[scored["survey"]], question="nps",
                                     start=date(2026, 3, 1), end=date(2026, 3, 31),
                                     contact={seg_members.SEGMENT_KEY: str(theirs.pk)})
    assert result.items[0].estimate.n == 0


def test_rule_on_segment_fires_only_for_members(tenant_a: Any, people: Any) -> None:
    from cxloop.cases import intake
    from cxloop.cases import services as cases
    from cxloop.cases.models import Case

    org = tenant_a.org
    survey = _survey(org, DEFINITION, "Relationship")
    segment = seg.save_segment(org=org, name={"zh-hans": "华东企业客户", "en": "East China enterprise"},
                               definition=BIG_EAST)
    cases.save_rule(org=org, name="Key accounts unhappy", definition={
        "when": {"all": [{"field": "segment", "op": "in", "value": [segment.pk]},
                         {"field": "score_type.nps", "op": "<=", "value": 6}]},
        "then": {"open_case": {"team": tenant_a.team.name}}})
    cases.save_rule(org=org, name="By name", definition={
        "when": {"field": "segment", "op": "in", "value": ["east china ENTERPRISE"]},
        "then": {"open_case": {"team": tenant_a.team.name, "category": "by-name"}}})
    now = timezone.now()
    member = _answer(survey, people["big_dm"], {"nps": 2}, now)
    other = _answer(survey, people["north_user"], {"nps": 2}, now)
    happy_member = _answer(survey, people["big_user"], {"nps": 10}, now)
    intake.drain()
    opened = {(c.response_id, c.category) for c in Case.objects.filter(org=org)}
    assert (member, "") in opened or any(r == member for r, _c in opened)
    assert {r for r, _c in opened} == {member, happy_member}
    assert other not in {r for r, _c in opened}
    assert (happy_member, "by-name") in opened


def test_inviting_a_segment_invites_only_its_members(tenant_a: Any, people: Any) -> None:
    from cxloop.surveys.models import SurveyInvitation

    org = tenant_a.org
    survey = _survey(org, DEFINITION, "Relationship")
    segment = seg.save_segment(org=org, name="Everyone in 华东", definition={
        "field": "account.region", "op": "=", "value": "华东"})
    client = _client(tenant_a.owner)
    detail = client.get(f"/o/{org.slug}/surveys/{survey.pk}/")
    assert f'action="/o/{org.slug}/surveys/{survey.pk}/invite-segment/"' in detail.content.decode()
    done = client.post(f"/o/{org.slug}/surveys/{survey.pk}/invite-segment/", {"segment": segment.pk})
    assert done.status_code == 302
    invited = set(SurveyInvitation.objects.filter(survey=survey).values_list("contact__external_id", flat=True))
    assert invited == {"big_dm", "big_user", "mid_user", "smb_owner"}
    # a member may not; another organisation's segment is not a choice
    assert _client(tenant_a.member).post(f"/o/{org.slug}/surveys/{survey.pk}/invite-segment/",
                                         {"segment": segment.pk}).status_code == 403


def test_persona_stats_equal_a_hand_computation(tenant_a: Any, scored: Any) -> None:
    from cxloop.segments import stats
    from cxloop.texts.models import ThemeHit

    segment = scored["segment"]
    numbers = stats.stats(segment, start=date(2026, 3, 1), end=date(2026, 3, 31), language="en")
    assert numbers.members == 2 and numbers.responses == len(MEMBER_NPS)
    assert numbers.nps == metrics.nps(metrics.NpsCounts.from_scores(MEMBER_NPS))
    assert numbers.csat == metrics.csat({s: MEMBER_CSAT.count(s) for s in set(MEMBER_CSAT)})
    hits = ThemeHit.objects.filter(org=tenant_a.org, response__contact__external_id__in=["big_dm", "big_user"])
    counts: dict[str, int] = {}
    for theme in hits.values_list("theme", flat=True):
        counts[theme] = counts.get(theme, 0) + 1
    from cxloop.texts import services as texts

    codeframe = texts.matcher(tenant_a.org)[0].codeframe
    leaves = {key: n for key, n in counts.items() if not codeframe.children(key)}  # the most specific themes
    assert numbers.themes, "the members' comments have themes"
    assert [t.key for t in numbers.themes] == sorted(leaves, key=lambda k: (-leaves[k], k))[:5]
    top = numbers.themes[0]
    assert top.count == max(leaves.values()) and leaves[top.key] == top.count
    assert numbers.comments == len(MEMBER_NPS)
    assert top.share == metrics.wilson(top.count, len(MEMBER_NPS), scale=100.0)
    # outside the period: no responses, still the members
    empty = stats.stats(segment, start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert empty.members == 2 and empty.responses == 0 and empty.nps is not None and empty.nps.n == 0


# --- pages -------------------------------------------------------------------------------------------


def _persona(org: Any, segment: Segment | None = None) -> Persona:
    return seg.save_persona(org=org, data={
        "name": {"zh-hans": "企业IT负责人", "en": "Enterprise IT lead"},
        "role": {"zh-hans": "信息化部门负责人", "en": "Head of IT"},
        "description": {"zh-hans": "负责全集团系统选型。<b>不要</b>", "en": "Chooses the group's systems. <b>no</b>"},
        "goals": {"zh-hans": ["系统稳定"], "en": ["Stable systems"]},
        "pains": {"zh-hans": ["导出报表失败"], "en": ["Failing report exports"]},
        "jobs_to_be_done": {"zh-hans": ["按月向管理层汇报"], "en": ["Report to management monthly"]},
        "quotes": {"zh-hans": ["“导出一失败，我就得加班。”"], "en": ["“When the export fails I work late.”"]},
        "segment": segment.pk if segment else None})


def test_pages_in_chinese_and_english(tenant_a: Any, scored: Any) -> None:
    org = tenant_a.org
    segment = scored["segment"]
    persona = _persona(org, segment)
    seg.add_comment(persona=persona, body="<script>alert(1)</script> 同意", who=seg.Who(user=tenant_a.member))
    views = (("zh-hans", "企业IT负责人", "导出一失败"), ("en", "Enterprise IT lead", "export fails"))
    for language, name, quote in views:
        client = _client(tenant_a.viewer, language)
        library = client.get(f"/o/{org.slug}/personas/")
        assert library.status_code == 200
        text = library.content.decode()
        assert name in text and 'class="persona-avatar persona-c' in text and '">企业</span>' in text
        assert f'href="/o/{org.slug}/personas/"' in text  # in the main navigation
        one = client.get(f"/o/{org.slug}/personas/{persona.pk}/")
        assert one.status_code == 200
        html = one.content.decode()
        assert name in html and quote in html and "<b>" not in html and "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; 同意" in html
        assert one.context["stats"].nps == metrics.nps(metrics.NpsCounts.from_scores(MEMBER_NPS)) or \
            one.context["stats"].start > date(2026, 3, 31)
        segments_page = client.get(f"/o/{org.slug}/segments/")
        assert segments_page.status_code == 200
        assert segment.label(language) in segments_page.content.decode()
        assert segments_page.context["rows"][0]["count"] == 2
        members_page = client.get(f"/o/{org.slug}/segments/{segment.pk}/")
        assert members_page.status_code == 200 and "big_dm" in members_page.content.decode()
    zh = _client(tenant_a.viewer, "zh-hans").get(f"/o/{org.slug}/segments/").content.decode()
    assert "客户层级为企业" in zh
    en = _client(tenant_a.viewer, "en").get(f"/o/{org.slug}/segments/").content.decode()
    assert "account tier is enterprise" in en


def test_segment_editor_previews_then_saves_and_names_problems_by_path(tenant_a: Any, people: Any) -> None:
    org = tenant_a.org
    client = _client(tenant_a.owner)
    assert client.get(f"/o/{org.slug}/segments/new/").status_code == 200
    body = {"name": "Big east", "definition": json.dumps(BIG_EAST, ensure_ascii=False)}
    preview = client.post(f"/o/{org.slug}/segments/new/", {**body, "action": "preview"})
    assert preview.status_code == 200 and preview.context["preview"].count == 2
    assert "big_dm" in preview.content.decode() and not Segment.objects.filter(org=org).exists()
    bad = client.post(f"/o/{org.slug}/segments/new/", {"name": "Bad", "action": "save", "definition": json.dumps(
        {"all": [{"field": "account.tier", "op": "=", "value": "gold"}, {"field": "arr", "op": ">", "value": 1}]})})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "definition.all[0].value: unknown value &#x27;gold&#x27;" in text
    assert "definition.all[1].field: unknown field &#x27;arr&#x27; (did you mean &#x27;account.arr&#x27;?)" in text
    not_json = client.post(f"/o/{org.slug}/segments/new/", {"name": "X", "definition": "{all: ["})
    assert not_json.status_code == 400 and "not valid JSON" in not_json.content.decode()
    saved = client.post(f"/o/{org.slug}/segments/new/", {**body, "action": "save"})
    segment = Segment.objects.get(org=org)
    assert saved.status_code == 302 and saved["Location"] == f"/o/{org.slug}/segments/{segment.pk}/"
    assert segment.definition == BIG_EAST and segment.name == {"en": "Big east"}
    # the name is edited in the page's language; the others stay
    client.post(f"/o/{org.slug}/segments/{segment.pk}/edit/", {**body, "name": "华东大客户", "action": "save"},
                HTTP_ACCEPT_LANGUAGE="zh-hans")
    segment.refresh_from_db()
    assert segment.name == {"en": "Big east", "zh-hans": "华东大客户"}
    from cxloop.orgs.models import AuditEvent

    assert AuditEvent.objects.filter(org=org, action__in=["segment.created", "segment.changed"]).count() == 2
    assert client.post(f"/o/{org.slug}/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.filter(org=org).exists()


def test_roles_on_pages(tenant_a: Any, people: Any) -> None:
    org = tenant_a.org
    persona = _persona(org)
    viewer, member, owner = (_client(u) for u in (tenant_a.viewer, tenant_a.member, tenant_a.owner))
    assert viewer.get(f"/o/{org.slug}/personas/{persona.pk}/").status_code == 200
    assert viewer.post(f"/o/{org.slug}/personas/{persona.pk}/comments/", {"body": "hi"}).status_code == 403
    assert member.post(f"/o/{org.slug}/personas/{persona.pk}/comments/", {"body": "有用"}).status_code == 302
    assert member.post(f"/o/{org.slug}/personas/{persona.pk}/comments/", {"body": ""}).status_code == 400
    assert PersonaComment.objects.filter(persona=persona).count() == 1
    assert member.get(f"/o/{org.slug}/personas/{persona.pk}/edit/").status_code == 403
    assert member.get(f"/o/{org.slug}/segments/new/").status_code == 403
    assert "/edit/" not in member.get(f"/o/{org.slug}/personas/{persona.pk}/").content.decode()
    edited = owner.post(f"/o/{org.slug}/personas/{persona.pk}/edit/", {
        "name": "Enterprise IT director", "goals": "Fewer outages\n\nOne bill", "colour": seg.PALETTE[2]})
    assert edited.status_code == 302
    persona.refresh_from_db()
    assert persona.name == {"zh-hans": "企业IT负责人", "en": "Enterprise IT director"}
    assert persona.goals["en"] == ["Fewer outages", "One bill"] and persona.goals["zh-hans"] == ["系统稳定"]
    assert persona.colour == seg.PALETTE[2] and persona.initials == "企业"  # kept when left empty
    created = owner.post(f"/o/{org.slug}/personas/new/", {"name": "Operations analyst", "colour": ""})
    assert created.status_code == 302
    assert Persona.objects.get(org=org, name__en="Operations analyst").initials == "OA"
    taken = owner.post(f"/o/{org.slug}/personas/new/", {"name": "operations ANALYST"})
    assert taken.status_code == 400 and "another persona has this name" in taken.content.decode()


# --- API -------------------------------------------------------------------------------------------


def test_api_segments_and_personas(tenant_a: Any, scored: Any, api_client: Any) -> None:
    owner, viewer = tenant_a.keys["owner"], tenant_a.keys["viewer"]
    made = api_client.call("POST", "/api/v1/segments", owner, {"name": "Trial SMB", "definition": {"all": [
        {"field": "account.tier", "op": "=", "value": "smb"},
        {"field": "account.attributes.plan", "op": "=", "value": "trial"}]}})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["members"] == 1 and body["name"]["en"] == "Trial SMB"
    assert body["description"]["zh-hans"].startswith("满足以下条件的联系人：客户层级为小企业")
    bad = api_client.call("POST", "/api/v1/segments", owner, {"name": "Bad", "definition": {"all": [
        {"field": "account.tier", "op": "=", "value": "smb"}, {"field": "account.arr", "op": "lte", "value": 5}]}})
    assert bad.status_code == 422 and bad.json()["field"] == "definition.all[1].op"
    assert api_client.call("POST", "/api/v1/segments", owner, {"name": "", "definition": BIG_EAST}).json()[
        "field"] == "name"
    assert api_client.call("POST", "/api/v1/segments", viewer, {"name": "V", "definition": BIG_EAST}
                           ).status_code == 403
    listed = api_client.call("GET", "/api/v1/segments", viewer).json()["items"]
    assert {s["members"] for s in listed} == {2, 1}
    seg_id = scored["segment"].pk
    page = api_client.call("GET", f"/api/v1/segments/{seg_id}/members?limit=1&offset=1", viewer).json()
    assert page["count"] == 2 and len(page["items"]) == 1 and page["items"][0]["account"]["tier"] == "enterprise"
    assert api_client.call("GET", f"/api/v1/segments/{seg_id}/members?limit=0", viewer).status_code == 422
    changed = api_client.call("PUT", f"/api/v1/segments/{body['id']}", owner, {"definition": {
        "field": "account.tier", "op": "=", "value": "smb"}})
    assert changed.status_code == 200 and changed.json()["name"]["en"] == "Trial SMB"
    # personas
    made_p = api_client.call("POST", "/api/v1/personas", owner, {
        "name": {"zh-hans": "运营分析师", "en": "Operations analyst"}, "goals": ["Know why NPS moves"],
        "quotes": {"en": ["I live in the dashboards."]}, "segment": seg_id})
    assert made_p.status_code == 201, made_p.content
    pid = made_p.json()["id"]
    assert made_p.json()["initials"] == "运营" and made_p.json()["goals"]["zh-hant"] == ["Know why NPS moves"]
    assert api_client.call("POST", "/api/v1/personas", owner, {"name": "X", "segment": 999999}).json()[
        "field"] == "segment"
    assert api_client.call("POST", "/api/v1/personas", owner, {"name": "X", "colour": "red"}).json()[
        "field"] == "colour"
    got = api_client.call("GET", f"/api/v1/personas/{pid}?stats=1&from=2026-03-01&to=2026-03-31", viewer).json()
    stats = got["stats"]
    hand = metrics.nps(metrics.NpsCounts.from_scores(MEMBER_NPS))
    assert stats["members"] == 2 and stats["responses"] == len(MEMBER_NPS)
    assert stats["nps"]["value"] == round(hand.value, 6) and stats["nps"]["ci_low"] == round(hand.low, 6)
    assert stats["nps"]["n"] == len(MEMBER_NPS) and stats["themes"]
    assert api_client.call("GET", f"/api/v1/personas/{pid}?stats=1&from=2026-04-01&to=2026-03-01",
                           viewer).json()["field"] == "from"
    assert "stats" not in api_client.call("GET", f"/api/v1/personas/{pid}", viewer).json()
    assert api_client.call("POST", f"/api/v1/personas/{pid}/comments", viewer, {"body": "x"}).status_code == 403
    said = api_client.call("POST", f"/api/v1/personas/{pid}/comments", owner, {"body": "Agreed"})
    assert said.status_code == 201 and said.json()["body"] == "Agreed"
    assert api_client.call("POST", f"/api/v1/personas/{pid}/comments", owner, {"body": " "}).json()[
        "field"] == "body"
    assert api_client.call("GET", f"/api/v1/personas/{pid}", viewer).json()["comments"][0]["body"] == "Agreed"
    renamed = api_client.call("PUT", f"/api/v1/personas/{pid}", owner, {"role": "Analyst", "segment": None})
    assert renamed.status_code == 200 and renamed.json()["segment"] is None
    assert renamed.json()["goals"]["en"] == ["Know why NPS moves"]  # left out: kept
    assert api_client.call("GET", "/api/v1/personas", viewer).json()["items"][0]["id"] == pid
    assert api_client.call("DELETE", f"/api/v1/personas/{pid}", viewer).status_code == 403
    assert api_client.call("DELETE", f"/api/v1/personas/{pid}", owner).status_code == 204
    assert api_client.call("DELETE", f"/api/v1/segments/{body['id']}", owner).status_code == 204
    assert api_client.call("GET", f"/api/v1/segments/{body['id']}", owner).status_code == 404


# --- tenant isolation ------------------------------------------------------------------------------


def test_another_organisation_gets_404_everywhere(tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    org = tenant_a.org
    segment = seg.save_segment(org=org, name="Secret", definition=BIG_EAST)
    persona = _persona(org, segment)
    intruder = _client(tenant_b.owner)
    survey = _survey(tenant_b.org, DEFINITION, "Theirs")
    for path in (f"/o/{org.slug}/segments/", f"/o/{org.slug}/personas/"):
        assert intruder.get(path).status_code == 404
    b = tenant_b.org.slug
    for path in (f"/o/{b}/segments/{segment.pk}/", f"/o/{b}/segments/{segment.pk}/edit/",
                 f"/o/{b}/personas/{persona.pk}/", f"/o/{b}/personas/{persona.pk}/edit/"):
        assert intruder.get(path).status_code == 404, path
    for path in (f"/o/{b}/segments/{segment.pk}/delete/", f"/o/{b}/personas/{persona.pk}/delete/",
                 f"/o/{b}/personas/{persona.pk}/comments/", f"/o/{b}/segments/{segment.pk}/edit/"):
        assert intruder.post(path, {"body": "x", "name": "x", "definition": "{}"}).status_code == 404, path
    invite = intruder.post(f"/o/{b}/surveys/{survey.pk}/invite-segment/", {"segment": segment.pk})
    assert invite.status_code == 302  # a form error: not one of the choices
    from cxloop.surveys.models import SurveyInvitation

    assert not SurveyInvitation.objects.filter(survey=survey).exists()
    key = tenant_b.keys["owner"]
    for method, path, body in (
            ("GET", f"/api/v1/segments/{segment.pk}", None), ("PUT", f"/api/v1/segments/{segment.pk}", {"name": "x"}),
            ("DELETE", f"/api/v1/segments/{segment.pk}", None), ("GET", f"/api/v1/segments/{segment.pk}/members", None),
            ("GET", f"/api/v1/personas/{persona.pk}", None), ("PUT", f"/api/v1/personas/{persona.pk}", {"name": "x"}),
            ("DELETE", f"/api/v1/personas/{persona.pk}", None),
            ("POST", f"/api/v1/personas/{persona.pk}/comments", {"body": "x"})):
        assert api_client.call(method, path, key, body).status_code == 404, (method, path)
    assert api_client.call("GET", "/api/v1/segments", key).json()["items"] == []
    assert api_client.call("POST", "/api/v1/personas", key, {"name": "Mine", "segment": segment.pk}).json()[
        "field"] == "segment"
    assert Segment.objects.filter(org=org).count() == 1 and Persona.objects.get(pk=persona.pk).name["en"] == \
        "Enterprise IT lead"


def test_recurring_distribution_targets_a_segment(tenant_a: Any, tenant_b: Any, people: Any) -> None:
    """A recurring audience may name segments: each wave invites their members only; another organisation's
    segment, or one that does not exist, is refused naming audience.segment."""
    from cxloop.surveys import distributions
    from cxloop.surveys.models import SurveyInvitation
    from cxloop.surveys.services import SurveyError

    org = tenant_a.org
    survey = _survey(org, DEFINITION, "Relationship")
    segment = seg.save_segment(org=org, name="Everyone in 华东", definition={
        "field": "account.region", "op": "=", "value": "华东"})
    d = distributions.create_recurring(survey=survey, name="华东, quarterly", audience={"segment": [segment.pk]},
                                       every_days=90)
    assert d.audience == {"segment": [str(segment.pk)]}
    distributions.run_distribution(d)
    invited = set(SurveyInvitation.objects.filter(distribution=d).values_list("contact__external_id", flat=True))
    assert invited == {"big_dm", "big_user", "mid_user", "smb_owner"}
    theirs = seg.save_segment(org=tenant_b.org, name="Theirs", definition={"field": "account.tier", "op": "exists"})
    for bad in ([theirs.pk], [999999]):
        with pytest.raises(SurveyError) as refused:
            distributions.create_recurring(survey=survey, name="x", audience={"segment": bad}, every_days=30)
        assert refused.value.field == "audience.segment"
    client = _client(tenant_a.owner)
    page = client.get(f"/o/{org.slug}/surveys/{survey.pk}/").content.decode()
    assert 'name="segment"' in page and "Everyone in 华东" in page
    made = client.post(f"/o/{org.slug}/surveys/{survey.pk}/recurring/", {
        "name": "Via the page", "every_days": 30, "sample_percent": 100, "segment": [segment.pk]})
    assert made.status_code == 302
    assert survey.distributions.get(name="Via the page").audience == {"segment": [str(segment.pk)]}
