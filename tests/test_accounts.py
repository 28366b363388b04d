"""B2B accounts (issue 7, acceptance 3): role-weighted NPS, coverage and health against a hand computation on a
constructed account; the trend and its test; the at-risk list at the edges (renewal just inside / outside 90
days, low vs falling vs silent); the pages (zh-Hans and English, viewer read-only, settings for admins only);
the API; and tenant isolation (another organisation gets 404 on every new URL and endpoint)."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cxloop.core import account_health as core
from cxloop.core import metrics

Z95 = 1.959963984540054

# --- the pure core: hand computations ------------------------------------------------------------------

TODAY = date(2026, 3, 31)


def sig(who: str, role: str | None, days_ago: int, score: float | None = None) -> core.Signal:
    return core.Signal(who, role, TODAY - timedelta(days=days_ago), score)


# The constructed account "Acme Steel" (see docs/accounts.md, "A worked example").
ACME = [
    sig("dm", "decision_maker", 50, 9),  # superseded by the later answer in the same window
    sig("dm", "decision_maker", 10, 3),  # detractor, weight 3
    sig("eb", "economic_buyer", 20, 10),  # promoter, weight 3
    sig("inf", "influencer", 30, 8),  # passive, weight 1.5
    sig("u1", "user", 2, 9),  # promoter, weight 1
    sig("r77", None, 40, 7),  # a response without a contact: passive, weight of a user (1)
    sig("ch", "champion", 100),  # the champion: heard from only in the window before, no NPS answer
    # the window before (days 90..179)
    sig("dm", "decision_maker", 120, 9),
    sig("eb", "economic_buyer", 150, 10),
    sig("u2", "user", 95, 6),
    sig("old", "user", 180, 0),  # outside both windows
]


def test_role_weighted_nps_matches_a_hand_computation() -> None:
    h = core.assess(ACME, today=TODAY, renewal=TODAY + timedelta(days=30))
    w = h.current
    assert (w.start, w.end) == (TODAY - timedelta(days=89), TODAY)
    # Σw = 3 + 3 + 1.5 + 1 + 1 = 9.5; promoters 3 + 1 = 4; detractors 3; wNPS = 100·(4 − 3)/9.5
    assert w.counts.total == pytest.approx(9.5)
    assert (w.counts.promoters, w.counts.passives, w.counts.detractors) == pytest.approx((4.0, 2.5, 3.0))
    assert w.nps.value == pytest.approx(100 / 9.5) == pytest.approx(10.526316, abs=1e-6)
    assert w.nps.n == 5
    # Kish: n_eff = 9.5² / (9 + 9 + 2.25 + 1 + 1) = 90.25 / 22.25
    assert w.counts.n_eff == pytest.approx(90.25 / 22.25) == pytest.approx(4.056180, abs=1e-6)
    n_adj = 90.25 / 22.25 + 3
    pp = (4 / 9.5 * 90.25 / 22.25 + 0.75) / n_adj
    pd = (3 / 9.5 * 90.25 / 22.25 + 0.75) / n_adj
    half = Z95 * math.sqrt((pp + pd - (pp - pd) ** 2) / n_adj)
    assert w.nps.low == pytest.approx(100 * (pp - pd - half)) == pytest.approx(-52.6288, abs=1e-3)
    assert w.nps.high == pytest.approx(100 * (pp - pd + half)) == pytest.approx(64.7307, abs=1e-3)
    # coverage: decision maker and economic buyer heard from, the champion not (only 100 days ago)
    assert w.coverage.heard == ("decision_maker", "economic_buyer")
    assert w.coverage.missing == ("champion",)
    assert w.coverage.share == pytest.approx(2 / 3)
    # health = 0.7·(wNPS + 100)/2 + 0.3·100·coverage
    assert w.health == pytest.approx(0.7 * (100 / 9.5 + 100) / 2 + 20) == pytest.approx(58.684211, abs=1e-6)
    assert w.health_low == pytest.approx(0.7 * (100 * (pp - pd - half) + 100) / 2 + 20)
    assert w.respondents == 5  # dm, eb, inf, u1, r77


def test_trend_against_the_window_before_by_hand() -> None:
    h = core.assess(ACME, today=TODAY, renewal=TODAY + timedelta(days=30))
    before = h.previous
    # dm 9 (w 3), eb 10 (w 3), u2 6 (w 1): wNPS = 100·(6 − 1)/7; the champion was heard from
    assert before.nps.value == pytest.approx(500 / 7)
    assert before.coverage.share == 1.0
    assert before.health == pytest.approx(0.7 * (500 / 7 + 100) / 2 + 30) == pytest.approx(90.0)
    assert h.change == pytest.approx(58.684211 - 90.0, abs=1e-6)
    assert h.falling and h.trend == "down"
    # the test: MeasuringU's adjusted-Wald NPS z-test at each side's Kish n_eff (49/19 before)
    n1, n2 = 49 / 19 + 3, 90.25 / 22.25 + 3
    p1, d1 = (6 / 7 * 49 / 19 + 0.75) / n1, (1 / 7 * 49 / 19 + 0.75) / n1
    p2, d2 = (4 / 9.5 * 90.25 / 22.25 + 0.75) / n2, (3 / 9.5 * 90.25 / 22.25 + 0.75) / n2
    se = math.sqrt((p1 + d1 - (p1 - d1) ** 2) / n1 + (p2 + d2 - (p2 - d2) ** 2) / n2)
    z = ((p2 - d2) - (p1 - d1)) / se
    assert h.nps_change.statistic == pytest.approx(z) == pytest.approx(-0.6013, abs=1e-4)
    assert h.nps_change.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2))) == pytest.approx(0.5476,
                                                                                                     abs=1e-4)
    assert not h.nps_change.significant  # falling by the drop of ≥ 10 health points, not by the test
    assert h.risk == core.Risk(True, ("falling",), 30, True)


def test_weights_are_configurable() -> None:
    equal = core.HealthSettings(weights=dict.fromkeys(core.ROLES, 1.0))
    h = core.assess(ACME, today=TODAY, renewal=None, settings=equal)
    assert h.current.nps.value == pytest.approx(100 * (2 - 1) / 5)  # plain NPS of the five latest answers
    heavy = core.HealthSettings(weights={**core.DEFAULT_WEIGHTS, "decision_maker": 10.0},
                                key_roles=("decision_maker",), coverage_weight=0.5)
    h = core.assess(ACME, today=TODAY, renewal=None, settings=heavy)
    assert h.current.nps.value == pytest.approx(100 * (4 - 10) / 16.5)
    assert h.current.coverage.share == 1.0
    assert h.current.health == pytest.approx(0.5 * (100 * -6 / 16.5 + 100) / 2 + 50)


def test_weighted_nps_with_equal_weights_is_the_nps() -> None:
    scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 9]
    counts = metrics.WeightedNpsCounts.from_scores((s, 2.0) for s in scores)
    plain = metrics.nps(metrics.NpsCounts.from_scores(scores))
    weighted = metrics.weighted_nps(counts)
    assert counts.n_eff == pytest.approx(10)
    assert (weighted.value, weighted.low, weighted.high) == pytest.approx((plain.value, plain.low, plain.high))
    before = [10, 6, 5, 9]
    c = metrics.compare_weighted_nps(metrics.WeightedNpsCounts.from_scores((s, 1.0) for s in before), counts)
    ref = metrics.compare_nps(metrics.NpsCounts.from_scores(before), metrics.NpsCounts.from_scores(scores))
    assert (c.difference, c.statistic, c.p_value, c.low, c.high) == pytest.approx(
        (ref.difference, ref.statistic, ref.p_value, ref.low, ref.high))
    empty = metrics.weighted_nps(metrics.WeightedNpsCounts.from_scores([]))
    assert empty.value is None and empty.n == 0
    with pytest.raises(ValueError):
        metrics.WeightedNpsCounts.from_scores([(11, 1.0)])
    with pytest.raises(ValueError):
        metrics.WeightedNpsCounts.from_scores([(5, 0.0)])


def test_latest_answer_per_respondent_and_window_edges() -> None:
    signals = [sig("a", "user", 89, 0), sig("b", "user", 90, 10), sig("a", "user", 0, 10), sig("c", "user", -1, 0)]
    latest = core.latest_scores(signals, TODAY - timedelta(days=89), TODAY)
    assert {k: s.score for k, s in latest.items()} == {"a": 10}  # b is 90 days ago: the window before; c future
    assert core.coverage([], TODAY, TODAY, core.DEFAULT_KEY_ROLES).share == 0.0


def test_settings_are_validated_with_the_field_named() -> None:
    with pytest.raises(core.SettingsError) as e:
        core.HealthSettings(weights={**core.DEFAULT_WEIGHTS, "champion": 0})
    assert e.value.field == "weight_champion"
    with pytest.raises(core.SettingsError) as e:
        core.HealthSettings(key_roles=())
    assert e.value.field == "key_roles"
    with pytest.raises(core.SettingsError) as e:
        core.HealthSettings(threshold=120)
    assert e.value.field == "threshold"
    with pytest.raises(core.SettingsError) as e:
        core.HealthSettings(coverage_weight=1.5)
    assert e.value.field == "coverage_weight"


GOOD = [sig("dm", "decision_maker", 5, 10), sig("eb", "economic_buyer", 6, 9), sig("ch", "champion", 7, 9),
        sig("dm", "decision_maker", 100, 10), sig("eb", "economic_buyer", 101, 9), sig("ch", "champion", 102, 9)]
LOW = [sig("dm", "decision_maker", 5, 2), sig("u", "user", 6, 4), sig("dm", "decision_maker", 100, 3),
       sig("u", "user", 101, 4)]
FALLING = [sig("dm", "decision_maker", 5, 8), sig("eb", "economic_buyer", 6, 8), sig("ch", "champion", 7, 8),
           sig("dm", "decision_maker", 100, 10), sig("eb", "economic_buyer", 101, 10), sig("ch", "champion", 102, 9)]


@pytest.mark.parametrize(("signals", "days", "at_risk", "reasons"), [
    (LOW, 90, True, ("low",)),  # renewal just inside the horizon
    (LOW, 91, False, ("low",)),  # just outside
    (LOW, 0, True, ("low",)),  # renewing today
    (LOW, -1, False, ("low",)),  # the renewal date has passed: not "renewing soon"
    (GOOD, 30, False, ()),
    (FALLING, 30, True, ("falling",)),  # health 100 → 86: healthy, but down 14 points
    (FALLING, 120, False, ("falling",)),
    ([], 30, False, ()),  # silent: not at risk by default
    (LOW, None, False, ("low",)),
])
def test_at_risk_rule(signals: list[core.Signal], days: int | None, at_risk: bool, reasons: tuple[str, ...]) -> None:
    renewal = None if days is None else TODAY + timedelta(days=days)
    h = core.assess(signals, today=TODAY, renewal=renewal)
    assert h.risk.at_risk is at_risk
    assert h.risk.reasons == reasons


def test_low_and_falling_values_and_silent_accounts() -> None:
    low = core.assess(LOW, today=TODAY, renewal=TODAY)
    assert low.current.nps.value == -100 and low.current.coverage.share == pytest.approx(1 / 3)
    assert low.current.health == pytest.approx(10.0) and low.change == pytest.approx(0.0)
    assert low.trend == "flat"
    falling = core.assess(FALLING, today=TODAY, renewal=TODAY)
    assert falling.previous.health == pytest.approx(100.0)
    assert falling.current.health == pytest.approx(0.7 * 50 + 30)  # three passives: wNPS 0, coverage 1
    silent = core.assess([], today=TODAY, renewal=TODAY + timedelta(days=3),
                         settings=core.HealthSettings(silent_is_risk=True))
    assert silent.current.health is None and silent.trend is None
    assert silent.risk == core.Risk(True, ("silent",), 3, True)


# --- the database side ------------------------------------------------------------------------------------

NPS_DEFINITION: dict[str, Any] = {
    "title": "Relationship NPS", "default_language": "en", "languages": ["en", "zh-hans"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"en": "Recommend us?", "zh-hans": "推荐我们吗？"}},
        {"key": "why", "type": "open_text", "text": {"en": "Why?", "zh-hans": "为什么？"}},
    ]}],
}
ROLE_OF = {"dm": "decision_maker", "eb": "economic_buyer", "ch": "champion", "inf": "influencer", "u1": "user",
           "u2": "user", "old": "user"}


def _today() -> date:
    from cxloop.customers import health

    return health.today()


def _at(days_ago: int) -> datetime:
    return timezone.make_aware(datetime.combine(_today() - timedelta(days=days_ago), time(12, 0)),
                               timezone.get_default_timezone())


def _survey(org: Any) -> Any:
    from cxloop.surveys import services

    survey = services.create_survey(org=org, name="Relationship NPS", definition=NPS_DEFINITION)
    services.publish(survey=survey)
    survey.refresh_from_db()
    return survey


def _respond(survey: Any, account: Any, contact: Any, days_ago: int, score: float | None) -> Any:
    from cxloop.surveys.models import Answer, Response

    version = survey.versions.get(number=survey.current_version)
    r = Response.objects.create(org=survey.org, survey=survey, version=version, contact=contact, account=account,
                                submitted_at=_at(days_ago), started_at=_at(days_ago))
    if score is not None:
        Answer.objects.create(response=r, question_key="nps", number=score)
    return r


def _account(org: Any, name: str, renewal_in: int | None, signals: list[core.Signal], survey: Any,
             **fields: Any) -> Any:
    """An account with the stakeholders and responses of ``signals`` (days ago relative to today)."""
    from cxloop.customers.models import Account, Contact

    account = Account.objects.create(
        org=org, external_id=name, name=name, tier=fields.pop("tier", "enterprise"),
        region=fields.pop("region", "华东"),
        arr=Decimal("100000"), renewal_date=None if renewal_in is None else _today() + timedelta(days=renewal_in),
        **fields)
    people: dict[str, Any] = {}
    for s in signals:
        contact = None
        if s.role is not None:
            contact = people.get(s.respondent)
            if contact is None:
                contact = people[s.respondent] = Contact.objects.create(
                    org=org, account=account, external_id=f"{name}-{s.respondent}", name=f"{name} {s.respondent}",
                    stakeholder_role=s.role)
        _respond(survey, account, contact, (TODAY - s.day).days, s.score)
    return account


@pytest.fixture
def book(tenant_a: Any) -> dict[str, Any]:
    """Tenant A's accounts: Acme Steel (the hand-computed one) and the at-risk edge cases."""
    org = tenant_a.org
    survey = _survey(org)
    return {
        "survey": survey,
        "acme": _account(org, "Acme Steel", 30, ACME, survey, owner=tenant_a.member, industry="Steel"),
        "low_in_90": _account(org, "Low 90", 90, LOW, survey, tier="smb", region="华南"),
        "low_in_91": _account(org, "Low 91", 91, LOW, survey, tier="smb"),
        "low_today": _account(org, "Low 0", 0, LOW, survey),
        "low_lapsed": _account(org, "Low lapsed", -1, LOW, survey),
        "good": _account(org, "Good", 30, GOOD, survey),
        "falling": _account(org, "Falling", 30, FALLING, survey, tier="mid_market"),
        "falling_later": _account(org, "Falling later", 120, FALLING, survey),
        "silent": _account(org, "Silent", 10, [], survey),
    }


@pytest.mark.django_db
def test_service_matches_the_hand_computation(book: dict[str, Any], tenant_a: Any) -> None:
    from cxloop.customers import health

    h = health.org_health(tenant_a.org)[book["acme"].pk]
    assert h.current.nps.value == pytest.approx(100 / 9.5)
    assert h.current.coverage.share == pytest.approx(2 / 3)
    assert h.current.health == pytest.approx(58.684211, abs=1e-6)
    assert h.previous.health == pytest.approx(90.0)
    assert h.risk.at_risk and h.risk.reasons == ("falling",)
    detail = health.account_detail(tenant_a.org, book["acme"])
    assert detail.health.current.health == pytest.approx(h.current.health)
    assert len(detail.months) == health.TREND_MONTHS and detail.months[-1].window.end == _today()
    last = detail.months[-1]  # the trend's last point is today's health and its test
    assert last.window.health == pytest.approx(h.current.health)
    assert last.nps_change.p_value == pytest.approx(h.nps_change.p_value)
    assert all((m.window.end + timedelta(days=1)).day == 1 for m in detail.months[:-1])  # month ends
    assert detail.latest["c" + str(book["acme"].contacts.get(stakeholder_role="decision_maker").pk)].score == 3


@pytest.mark.django_db
def test_at_risk_list_is_right(book: dict[str, Any], tenant_a: Any) -> None:
    from cxloop.customers import queries

    rows = queries.at_risk(tenant_a.org)
    names = [r.account.name for r in rows]
    assert names == ["Low 0", "Acme Steel", "Falling", "Low 90"]  # soonest renewal first (ties by name)
    assert {r.account.name: r.health.risk.reasons for r in rows}["Falling"] == ("falling",)


@pytest.mark.django_db
def test_silent_setting_and_one_pass(book: dict[str, Any], tenant_a: Any, django_assert_max_num_queries: Any
                                     ) -> None:
    from cxloop.customers import health, queries

    with django_assert_max_num_queries(8):  # settings, responses, NPS questions, answers, accounts
        queries.account_list(tenant_a.org)
    health.save_settings(org=tenant_a.org, user=tenant_a.owner, weights=core.DEFAULT_WEIGHTS,
                         key_roles=core.DEFAULT_KEY_ROLES, threshold=40, drop_points=10, coverage_weight=0.3,
                         silent_is_risk=True)
    assert "Silent" in [r.account.name for r in queries.at_risk(tenant_a.org)]


# --- pages -----------------------------------------------------------------------------------------------


def _client(user: Any, language: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(user)
    return c


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_account_list_and_page_render(book: dict[str, Any], tenant_a: Any, language: str) -> None:
    org = tenant_a.org.slug
    c = _client(tenant_a.viewer, language)
    r = c.get(f"/o/{org}/accounts/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'lang="{language}"' in html
    assert "Acme Steel" in html and f"/o/{org}/accounts/{book['acme'].pk}/" in html
    r = c.get(f"/o/{org}/accounts/?view=at_risk")
    html = r.content.decode()
    assert r.status_code == 200 and "Acme Steel" in html and "Good" not in html and "Low 91" not in html
    r = c.get(f"/o/{org}/accounts/?q=acme&tier=enterprise&region=华东&sort=health")
    assert r.status_code == 200 and "Acme Steel" in r.content.decode() and "Low 90" not in r.content.decode()
    r = c.get(f"/o/{org}/accounts/{book['acme'].pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Acme Steel dm" in html and "Steel" in html and str(tenant_a.member) in html
    assert 'id="account-health"' in html and ">59<" in html  # 58.68 rounded
    response = book["acme"].contacts.get(stakeholder_role="decision_maker")
    assert f"/o/{org}/responses/" in html and response.name in html


@pytest.mark.django_db
def test_account_page_lists_open_cases(book: dict[str, Any], tenant_a: Any) -> None:
    from cxloop.cases.models import Case, CaseStatus

    org = tenant_a.org
    Case.objects.create(org=org, number=7, title="Export fails", account=book["acme"], status=CaseStatus.NEW)
    Case.objects.create(org=org, number=8, title="Closed one", account=book["acme"], status=CaseStatus.CLOSED)
    html = _client(tenant_a.viewer).get(f"/o/{org.slug}/accounts/{book['acme'].pk}/").content.decode()
    assert f"/o/{org.slug}/cases/7/" in html and "Export fails" in html
    assert "Closed one" not in html


@pytest.mark.django_db
def test_bad_filters_are_400_naming_the_field(book: dict[str, Any], tenant_a: Any) -> None:
    r = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/accounts/?tier=giant")
    assert r.status_code == 400 and "Tier" in r.content.decode()


@pytest.mark.django_db
def test_settings_admins_change_others_read(book: dict[str, Any], tenant_a: Any) -> None:
    from cxloop.customers import health
    from cxloop.orgs.models import AuditEvent

    org = tenant_a.org.slug
    url = f"/o/{org}/accounts/settings/"
    form = {f"weight_{r}": w for r, w in core.DEFAULT_WEIGHTS.items()} | {
        "weight_decision_maker": "5", "key_roles": ["decision_maker", "champion"], "threshold": "55",
        "drop_points": "8", "coverage_weight": "0.4"}
    viewer = _client(tenant_a.viewer)
    r = viewer.get(url)
    assert r.status_code == 200 and 'id="health-settings"' in r.content.decode() and "<form method=\"post\"" \
        not in r.content.decode()
    assert viewer.post(url, form).status_code == 403
    assert _client(tenant_a.member).post(url, form).status_code == 403
    owner = _client(tenant_a.owner)
    assert owner.post(url, form).status_code == 302
    s = health.settings_of(tenant_a.org)
    assert s.weights["decision_maker"] == 5 and s.key_roles == ("decision_maker", "champion")
    assert (s.threshold, s.drop_points, s.coverage_weight, s.silent_is_risk) == (55, 8, 0.4, False)
    assert AuditEvent.objects.filter(org=tenant_a.org, action="accounts.health_settings").count() == 1
    bad = owner.post(url, {**form, "weight_user": "0"})
    assert bad.status_code == 400 and "weight_user" in bad.content.decode()
    bad = owner.post(url, {**form, "key_roles": []})
    assert bad.status_code == 400
    assert health.settings_of(tenant_a.org).weights["user"] == 1.0


# --- API -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_accounts_with_health(book: dict[str, Any], tenant_a: Any, api_client: Any) -> None:
    key = tenant_a.keys["viewer"]
    r = api_client.call("GET", "/api/v1/accounts?sort=renewal", key)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == 9 and body["at_risk"] == 4
    acme = next(a for a in body["items"] if a["name"] == "Acme Steel")
    assert acme["owner"]["email"] == tenant_a.member.email
    h = acme["health"]
    assert h["current"]["health"] == pytest.approx(58.684211, abs=1e-5)
    assert h["current"]["weighted_nps"]["value"] == pytest.approx(10.526316, abs=1e-5)
    assert h["current"]["coverage"] == {"share": pytest.approx(2 / 3), "heard": ["decision_maker", "economic_buyer"],
                                        "missing": ["champion"]}
    assert h["at_risk"] and h["risk_reasons"] == ["falling"] and h["trend"] == "down"
    r = api_client.call("GET", "/api/v1/accounts?at_risk=true&tier=smb", key)
    assert [a["name"] for a in r.json()["items"]] == ["Low 90"]
    r = api_client.call("GET", "/api/v1/accounts/at-risk", key)
    assert [a["name"] for a in r.json()["items"]] == ["Low 0", "Acme Steel", "Falling", "Low 90"]
    r = api_client.call("GET", f"/api/v1/accounts/{book['acme'].pk}", key)
    assert r.status_code == 200
    one = r.json()
    assert {s["role"] for s in one["stakeholders"]} == {"decision_maker", "economic_buyer", "champion",
                                                        "influencer", "user"}
    dm = next(s for s in one["stakeholders"] if s["role"] == "decision_maker")
    assert dm["weight"] == 3 and dm["key_role"] and dm["latest_nps"]["score"] == 3
    assert len(one["months"]) == 12 and one["health"]["current"]["health"] == pytest.approx(58.684211, abs=1e-5)
    r = api_client.call("GET", "/api/v1/accounts?sort=size", key)
    assert r.status_code == 422 and r.json()["field"] == "sort"


@pytest.mark.django_db
def test_api_settings(tenant_a: Any, api_client: Any) -> None:
    r = api_client.call("GET", "/api/v1/accounts/health-settings", tenant_a.keys["viewer"])
    assert r.status_code == 200 and r.json()["weights"] == dict(core.DEFAULT_WEIGHTS)
    r = api_client.call("PUT", "/api/v1/accounts/health-settings", tenant_a.keys["viewer"], {"threshold": 60})
    assert r.status_code == 403
    r = api_client.call("PUT", "/api/v1/accounts/health-settings", tenant_a.keys["admin"],
                        {"threshold": 60, "weights": {"champion": 4}})
    assert r.status_code == 200 and r.json()["threshold"] == 60 and r.json()["weights"]["champion"] == 4
    r = api_client.call("PUT", "/api/v1/accounts/health-settings", tenant_a.keys["admin"], {"coverage_weight": 2})
    assert r.status_code == 422 and r.json()["field"] == "coverage_weight"
    r = api_client.call("PUT", "/api/v1/accounts/health-settings", tenant_a.keys["admin"], {"weights": {"ceo": 9}})
    assert r.status_code == 422 and r.json()["field"] == "weights"


# --- tenancy ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_organisation_gets_404_everywhere(book: dict[str, Any], tenant_a: Any, tenant_b: Any,
                                                  api_client: Any) -> None:
    a, b = tenant_a.org.slug, tenant_b.org.slug
    acme = book["acme"].pk
    outsider = _client(tenant_b.owner)
    for url in (f"/o/{a}/accounts/", f"/o/{a}/accounts/{acme}/", f"/o/{a}/accounts/settings/"):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/o/{a}/accounts/settings/", {"threshold": "1"}).status_code == 404
    assert outsider.get(f"/o/{b}/accounts/{acme}/").status_code == 404
    assert "Acme Steel" not in outsider.get(f"/o/{b}/accounts/").content.decode()
    key = tenant_b.keys["owner"]
    assert api_client.call("GET", f"/api/v1/accounts/{acme}", key).status_code == 404
    assert "Acme Steel" not in api_client.call("GET", "/api/v1/accounts", key).content.decode()
    assert "Acme Steel" not in api_client.call("GET", "/api/v1/accounts/at-risk", key).content.decode()
    for path in ("/api/v1/accounts", "/api/v1/accounts/at-risk", f"/api/v1/accounts/{acme}",
                 "/api/v1/accounts/health-settings"):
        assert api_client.call("GET", f"{path}?org={a}", key).status_code == 404, path
    assert api_client.call("PUT", f"/api/v1/accounts/health-settings?org={a}", key, {"threshold": 1}
                           ).status_code == 404
