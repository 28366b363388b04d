"""The CloudLaunch demo generator: determinism, shape of the data, and the export-defect story.

One organisation is generated once for the module (size "tiny", about 3,000 responses) and removed
afterwards; the determinism test generates two more inside its own transaction.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from cxloop.customers.models import Account, Contact
from cxloop.demo import comments, content
from cxloop.demo.generator import DemoStats, generate
from cxloop.demo.hant import to_hant
from cxloop.demo.timeline import build_timeline
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.surveys.models import Answer, Response, Survey

TODAY = date(2025, 6, 15)
EXPORT_RE = re.compile(r"导出|匯出|導出|export", re.IGNORECASE)
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
HANS_MARKERS = set("这们为说时会对么还与应该导报设费务问题让没发现实经总续价换")
HANT_MARKERS = set("這們為說時會對麼還與應該導報設費務問題讓沒發現實經總續價換")


@dataclass(frozen=True)
class Row:
    kind: str
    month: int
    reporting: bool
    contact_id: int
    language: str
    score: float | None
    comment: str
    embedded: dict[str, Any]


@dataclass(frozen=True)
class Demo:
    org: Organization
    stats: DemoStats
    rows: list[Row]


def _rows(org: Organization) -> list[Row]:
    timeline = build_timeline(TODAY)
    reporting = {
        pk for pk, attrs in Account.objects.filter(org=org).values_list("pk", "attributes")
        if "reporting" in attrs.get("modules", [])
    }
    scores: dict[int, float] = {}
    texts: dict[int, str] = {}
    answers = Answer.objects.filter(response__org=org).values_list("response_id", "question_key", "number", "text")
    for response_id, key, number, text in answers:
        if key in ("nps", "csat", "ces") and number is not None:
            scores[response_id] = number
        elif text:
            texts[response_id] = text
    rows = []
    responses = Response.objects.filter(org=org).select_related("survey").order_by("pk")
    for r in responses:
        rows.append(
            Row(
                kind=r.survey.kind,
                month=timeline.month_of(timezone.localtime(r.submitted_at).date()),
                reporting=r.account_id in reporting,
                contact_id=r.contact_id or 0,
                language=r.language,
                score=scores.get(r.pk),
                comment=texts.get(r.pk, ""),
                embedded=r.embedded,
            )
        )
    return rows


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Demo]:
    with django_db_blocker.unblock():
        with transaction.atomic():
            org = Organization.objects.create(name="云启科技 CloudLaunch", slug="demo-generator-test")
            stats = generate(org=org, size="tiny", seed=7, today=TODAY)
        try:
            yield Demo(org=org, stats=stats, rows=_rows(org))
        finally:
            Organization.objects.filter(pk=org.pk).delete()
            User.objects.filter(email__endswith=f"@{content.EMAIL_DOMAIN}", memberships__isnull=True).delete()


def _top2(rows: list[Row]) -> float:
    assert rows, "no responses in this slice"
    return sum(1 for r in rows if (r.score or 0) >= 4) / len(rows)


def _export_share(rows: list[Row]) -> float:
    commented = [r for r in rows if r.comment]
    assert commented
    return sum(1 for r in commented if EXPORT_RE.search(r.comment)) / len(commented)


def _nps(rows: list[Row]) -> float:
    scores = [r.score for r in rows if r.score is not None]
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


# --- shape -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_counts_match_the_database(demo: Demo) -> None:
    org, stats = demo.org, demo.stats
    assert stats.accounts == Account.objects.filter(org=org).count() == 300
    assert stats.contacts == Contact.objects.filter(org=org).count()
    assert stats.responses == Response.objects.filter(org=org).count() == len(demo.rows)
    assert stats.answers == Answer.objects.filter(response__org=org).count()
    assert stats.surveys == Survey.objects.filter(org=org).count() == 4
    assert 2_500 <= stats.responses <= 4_500


@pytest.mark.django_db
def test_accounts_and_contacts(demo: Demo) -> None:
    accounts = list(Account.objects.filter(org=demo.org))
    per_account = Counter(Contact.objects.filter(org=demo.org).values_list("account_id", flat=True))
    assert all(2 <= per_account[a.pk] <= 8 for a in accounts)
    tiers = Counter(a.tier for a in accounts)
    assert tiers == {"enterprise": 45, "mid_market": 105, "smb": 150}
    assert len({a.name for a in accounts}) == 300
    assert {a.external_id for a in accounts} == {f"ACC-{i:05d}" for i in range(1, 301)}
    assert {a.region for a in accounts} <= {r[0] for r in content.REGIONS}
    assert {"华东", "华南", "华北", "港澳台", "Overseas"} <= {a.region for a in accounts}
    for a in accounts:
        assert a.customer_since is not None and TODAY - timedelta(days=5 * 366) <= a.customer_since < TODAY
        assert a.renewal_date is not None and TODAY < a.renewal_date <= TODAY + timedelta(days=366)
        assert "collaboration" in a.attributes["modules"]
        assert "affected_by_export_defect" not in a.attributes
    arr = {t: sorted(float(a.arr) for a in accounts if a.tier == t) for t in ("enterprise", "mid_market", "smb")}
    median = {t: values[len(values) // 2] for t, values in arr.items()}
    assert median["enterprise"] > median["mid_market"] > median["smb"] > 0
    reporting = sum("reporting" in a.attributes["modules"] for a in accounts) / len(accounts)
    assert 0.3 <= reporting <= 0.5

    contacts = list(Contact.objects.filter(org=demo.org).select_related("account"))
    assert {c.stakeholder_role for c in contacts} == {"decision_maker", "user", "influencer"}
    assert all(re.fullmatch(r"CON-\d{6}", c.external_id) for c in contacts)
    assert all("@" in c.email for c in contacts)
    by_region = Counter((c.account.region, c.language) for c in contacts if c.account)
    assert by_region[("Overseas", "zh-hans")] == 0
    hant = sum(n for (region, lang), n in by_region.items() if region == "港澳台" and lang == "zh-hant")
    assert hant > 0.8 * sum(n for (region, _lang), n in by_region.items() if region == "港澳台")


@pytest.mark.django_db
def test_staff_teams_and_surveys(demo: Demo) -> None:
    teams = {t.kind: t for t in Team.objects.filter(org=demo.org)}
    assert set(teams) == {"product", "support", "marketing", "sales", "customer_success", "finance", "hr", "custom"}
    assert all(t.lead_id is not None for t in teams.values())
    assert teams["support"].name == "客户支持部 Support"
    roles = dict(demo.stats.user_roles)
    assert len(roles) == 12 and set(roles.values()) == {"admin", "analyst", "member", "viewer"}
    memberships = Membership.objects.filter(org=demo.org)
    assert memberships.count() == 12 and not memberships.filter(team__isnull=True).exists()
    assert not User.objects.get(email="li.na@cloudlaunch.example").has_usable_password()

    surveys = {s.kind: s for s in Survey.objects.filter(org=demo.org)}
    keys = {kind: [q["key"] for q in s.questions] for kind, s in surveys.items()}
    assert keys == {
        "nps": ["nps", "nps_reason"],
        "csat": ["csat", "csat_comment"],
        "ces": ["ces", "ces_comment"],
        "sus": [f"sus_{i}" for i in range(1, 11)],
    }
    assert {s.touchpoint for s in surveys.values()} == {"relationship", "support", "onboarding", "in_app"}
    assert surveys["csat"].owner_team_id == teams["support"].pk
    assert all(set(q["text"]) == {"zh-hans", "zh-hant", "en"} for s in surveys.values() for q in s.questions)


@pytest.mark.django_db
def test_responses_are_plausible(demo: Demo) -> None:
    rows = demo.rows
    volume = Counter(r.kind for r in rows)
    assert volume["csat"] > volume["nps"] > volume["ces"] > volume["sus"] > 0
    assert {r.month for r in rows} == set(range(1, 25))
    baseline = [r for r in rows if r.month <= 17]
    assert 15 <= _nps([r for r in baseline if r.kind == "nps"]) <= 40
    assert 0.72 <= _top2([r for r in baseline if r.kind == "csat"]) <= 0.88
    scored = [r for r in rows if r.kind != "sus"]
    assert 0.4 <= sum(1 for r in scored if r.comment) / len(scored) <= 0.6
    for r in rows:
        if r.kind == "csat":
            assert {"ticket_id", "agent", "category"} <= set(r.embedded)
            assert 1 <= (r.score or 0) <= 5
        elif r.kind == "nps":
            assert r.score is not None and 0 <= r.score <= 10
    midnight = timezone.make_aware(datetime.combine(TODAY, time(0, 0)))
    assert not Response.objects.filter(org=demo.org, submitted_at__gte=midnight).exists()
    hours = Counter(timezone.localtime(r.submitted_at).hour for r in Response.objects.filter(org=demo.org))
    assert sum(hours[h] for h in range(9, 18)) > 0.7 * sum(hours.values())


@pytest.mark.django_db
def test_no_duplicate_contact_survey_time(demo: Demo) -> None:
    keys = Response.objects.filter(org=demo.org).values_list("contact_id", "survey_id", "submitted_at")
    assert len(set(keys)) == len(keys)


@pytest.mark.django_db
def test_comment_language_mostly_matches_the_contact(demo: Demo) -> None:
    matches = total = 0
    for r in demo.rows:
        if not r.comment:
            continue
        if not CJK_RE.search(r.comment):
            detected = "en"
        else:
            hans = sum(c in HANS_MARKERS for c in r.comment)
            hant = sum(c in HANT_MARKERS for c in r.comment)
            if hans == hant:
                continue  # too short to tell
            detected = "zh-hant" if hant > hans else "zh-hans"
        total += 1
        matches += detected == r.language
    assert total > 500
    assert matches / total >= 0.9
    languages = Counter(r.language for r in demo.rows if r.comment)
    assert languages["zh-hans"] > languages["zh-hant"] > 0 and languages["en"] > 0


# --- the story --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_story_export_complaints_spike_in_months_18_and_19(demo: Demo) -> None:
    before = _export_share([r for r in demo.rows if r.month <= 17])
    during = _export_share([r for r in demo.rows if r.month in (18, 19)])
    after = _export_share([r for r in demo.rows if r.month >= 22])
    assert during >= 4 * before, (before, during)
    assert after < 2 * before + 0.02, (before, after)
    tickets = Counter(r.month for r in demo.rows if r.kind == "csat" and r.embedded["category"] == "export")
    assert tickets[18] + tickets[19] >= 4 * (sum(tickets[m] for m in range(1, 18)) / 17) * 2


@pytest.mark.django_db
def test_story_support_csat_drops_for_reporting_accounts_and_recovers(demo: Demo) -> None:
    csat = [r for r in demo.rows if r.kind == "csat" and r.reporting]
    before = _top2([r for r in csat if r.month <= 17])
    during = _top2([r for r in csat if r.month in (18, 19)])
    after = _top2([r for r in csat if r.month >= 22])
    assert during <= before - 0.12, (before, during)
    assert after >= before - 0.10 and after >= during + 0.15, (before, during, after)
    others = [r for r in demo.rows if r.kind == "csat" and not r.reporting]
    assert _top2([r for r in others if r.month in (18, 19)]) >= _top2([r for r in others if r.month <= 17]) - 0.08


@pytest.mark.django_db
def test_story_nps_drops_for_reporting_accounts(demo: Demo) -> None:
    nps = [r for r in demo.rows if r.kind == "nps" and r.reporting]
    before = _nps([r for r in nps if r.month <= 17])
    during = _nps([r for r in nps if r.month in (18, 19)])
    assert during <= before - 15, (before, during)


@pytest.mark.django_db
def test_story_thanks_after_the_fix(demo: Demo) -> None:
    fixed = re.compile(r"修复|修復|修好|fix", re.IGNORECASE)
    thanks = [r for r in demo.rows if r.comment and EXPORT_RE.search(r.comment) and fixed.search(r.comment)
              and (r.score or 0) >= 4 and r.kind != "ces"]
    assert thanks and all(r.month >= 18 for r in thanks)
    assert any(r.month in (20, 21, 22) for r in thanks)


# --- determinism ---------------------------------------------------------------------------------------------


def _fingerprint(org: Organization) -> list[tuple[Any, ...]]:
    answers = (
        Answer.objects.filter(response__org=org)
        .order_by("response__submitted_at", "response__contact__external_id", "response__survey__kind",
                  "question_key")
        .values_list(
            "response__survey__kind", "response__contact__external_id", "response__submitted_at",
            "response__channel", "question_key", "number", "text",
        )
    )
    return list(answers)


@pytest.mark.django_db
def test_same_seed_same_data() -> None:
    one = Organization.objects.create(name="One", slug="demo-one")
    two = Organization.objects.create(name="Two", slug="demo-two")
    first = generate(org=one, size="tiny", seed=11, today=TODAY)
    second = generate(org=two, size="tiny", seed=11, today=TODAY)
    assert first == second
    assert _fingerprint(one) == _fingerprint(two)
    accounts = [
        list(Account.objects.filter(org=o).order_by("external_id").values_list("external_id", "name", "tier", "arr"))
        for o in (one, two)
    ]
    assert accounts[0] == accounts[1]


@pytest.mark.django_db
def test_unknown_size_is_refused() -> None:
    org = Organization.objects.create(name="X", slug="demo-x")
    with pytest.raises(ValueError, match="size"):
        generate(org=org, size="huge", today=TODAY)


# --- pure helpers ----------------------------------------------------------------------------------------------


def test_compose_writes_in_the_requested_language() -> None:
    rng = random.Random(3)
    for _ in range(200):
        sentiment = rng.choice(comments.SENTIMENTS)
        topic = rng.choice(sorted(comments.CATEGORY_TOPIC.values()))
        values = {"agent": "王芳", "days": 4}
        hans = comments.compose(rng, lang="zh-hans", sentiment=sentiment, topic=topic, values=values)
        hant = comments.compose(rng, lang="zh-hant", sentiment=sentiment, topic=topic, values=values)
        english = comments.compose(
            rng, lang="en", sentiment=sentiment, topic=topic, values={"agent": "Kevin", "days": 4}
        )
        assert CJK_RE.search(hans) and "{" not in hans
        assert not set(hant) & (HANS_MARKERS - HANT_MARKERS)
        assert not CJK_RE.search(english) and "{" not in english


def test_to_hant() -> None:
    assert to_hant("导出的Excel全是乱码，希望尽快修复") == "匯出的Excel全是亂碼，希望儘快修復"
    assert to_hant("帮助文档") == "幫助文件"
