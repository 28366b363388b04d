"""The CloudLaunch demo generator: determinism, shape of the data, responses that follow their
published survey versions, and the export-defect story.

One organisation is generated once for the module (size "tiny", about 3,000 responses) and removed
afterwards; the determinism test generates two more inside its own transaction.
"""

from __future__ import annotations

import json
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

from cxloop.core import survey_spec
from cxloop.core.survey_templates import ACSI_CONSTRUCTS, template
from cxloop.customers.models import Account, Contact
from cxloop.demo import comments, content
from cxloop.demo.generator import DemoStats, generate
from cxloop.demo.hant import to_hant
from cxloop.demo.timeline import build_timeline
from cxloop.orgs.models import Membership, Organization, Team, User
from cxloop.surveys.models import Answer, Response, Survey, SurveyStatus
from cxloop.surveys.services import spec_of

TODAY = date(2025, 6, 15)
EXPORT_RE = re.compile(r"导出|匯出|導出|export", re.IGNORECASE)
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
HANS_MARKERS = set("这们为说时会对么还与应该导报设费务问题让没发现实经总续价换")
HANT_MARKERS = set("這們為說時會對麼還與應該導報設費務問題讓沒發現實經總續價換")
SCORE_KEYS = ("nps", "csat", "ces")
COMMENT_KEYS = frozenset({
    "reason_detractor", "reason_passive", "reason_promoter", "went_well", "to_improve", "hardest_step",
    "suggestions", "sus_comment", "umux_comment", "acsi_comment",
})
SURVEY_TEMPLATES = {
    "nps": "nps", "csat": "csat_support", "ces": "ces_onboarding", "sus": "sus", "umux_lite": "umux_lite",
    "acsi": "acsi",
}


@dataclass(frozen=True)
class Row:
    kind: str
    status: str
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
        if key in SCORE_KEYS and number is not None:
            scores[response_id] = number
        elif key in COMMENT_KEYS and text:
            assert response_id not in texts, "one comment per response"
            texts[response_id] = text
    rows = []
    responses = Response.objects.filter(org=org).select_related("survey").order_by("pk")
    for r in responses:
        rows.append(
            Row(
                kind=r.survey.kind,
                status=r.status,
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
            # Responses first: Response.version is PROTECT, so the organisation's cascade alone is refused.
            Response.objects.filter(org=org).delete()
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
    assert stats.surveys == Survey.objects.filter(org=org).count() == 6
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
    assert {c.stakeholder_role for c in contacts} == {"decision_maker", "economic_buyer", "champion", "user",
                                                      "influencer"}
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

    surveys = {s.kind: s for s in Survey.objects.filter(org=demo.org).prefetch_related("versions")}
    assert set(surveys) == set(SURVEY_TEMPLATES)
    start = timezone.make_aware(datetime.combine(build_timeline(TODAY).start, time(0, 0)))
    for kind, survey in surveys.items():
        assert survey.status == SurveyStatus.PUBLISHED and survey.current_version == 1 and survey.slug
        assert not survey.questions  # the legacy field: the definition lives in the version
        (version,) = survey.versions.all()
        assert version.number == 1
        assert version.definition == json.loads(json.dumps(template(SURVEY_TEMPLATES[kind])))
        assert version.published_by is not None and version.published_by.email == "chen.siyuan@cloudlaunch.example"
        assert survey.created_at < version.published_at < start
        assert {r.version_id for r in Response.objects.filter(survey=survey).only("version_id")} == {version.pk}
        assert " " in survey.name and CJK_RE.search(survey.name)  # bilingual names
    assert {s.touchpoint for s in surveys.values()} == {"relationship", "support", "onboarding", "in_app"}
    assert surveys["csat"].touchpoint == "support" and surveys["nps"].touchpoint == "relationship"
    assert surveys["csat"].owner_team_id == teams["support"].pk
    assert surveys["ces"].owner_team_id == teams["customer_success"].pk
    assert surveys["umux_lite"].owner_team_id == surveys["sus"].owner_team_id == teams["product"].pk
    assert surveys["acsi"].owner_team_id == surveys["nps"].owner_team_id == teams["custom"].pk


@pytest.mark.django_db
def test_responses_are_plausible(demo: Demo) -> None:
    rows = demo.rows
    volume = Counter(r.kind for r in rows)
    assert volume["csat"] > volume["nps"] > volume["ces"] > volume["sus"] > volume["umux_lite"] > 0
    assert volume["sus"] > volume["acsi"] >= 60
    assert {r.month for r in rows} == set(range(1, 25))
    baseline = [r for r in rows if r.month <= 17]
    assert 15 <= _nps([r for r in baseline if r.kind == "nps"]) <= 40
    assert 0.72 <= _top2([r for r in baseline if r.kind == "csat"]) <= 0.88
    scored = [r for r in rows if r.kind in SCORE_KEYS]
    assert 0.4 <= sum(1 for r in scored if r.comment) / len(scored) <= 0.6
    for r in rows:
        if r.kind == "csat":
            assert {"ticket_id", "agent", "category"} <= set(r.embedded)
            assert r.score is not None and 1 <= r.score <= 5
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


# --- responses follow their survey versions ------------------------------------------------------------


def _answers(responses: list[Response]) -> dict[int, dict[str, Any]]:
    """The raw answers of each response rebuilt from its Answer rows, the way a respondent sends them:
    numbers (one per item: "sus.q1"), one option key for yes/no, option keys for multiple choice (and
    the "please specify" text as "<question>.specify"), text for open questions."""
    multi: dict[int, set[str]] = {}
    for r in responses:
        assert r.version is not None
        multi[r.pk] = {q.key for q in spec_of(r.version).questions() if q.type == "multi_choice"}
    out: dict[int, dict[str, Any]] = {r.pk: {} for r in responses}
    rows = Answer.objects.filter(response__in=[r.pk for r in responses]).order_by("id")
    for a in rows:
        answers = out[a.response_id]
        assert a.question_key not in answers
        if a.number is not None:
            assert not a.choices and not a.text
            answers[a.question_key] = a.number
        elif a.choices:
            answers[a.question_key] = list(a.choices) if a.question_key in multi[a.response_id] else a.choices[0]
            if a.text:
                answers[f"{a.question_key}.{survey_spec.SPECIFY}"] = a.text
        else:
            assert a.text
            answers[a.question_key] = a.text
    return out


def _stored(response_ids: list[int]) -> dict[int, set[tuple[str, float | None, tuple[str, ...], str]]]:
    out: dict[int, set[tuple[str, float | None, tuple[str, ...], str]]] = {pk: set() for pk in response_ids}
    for a in Answer.objects.filter(response__in=response_ids):
        out[a.response_id].add((a.question_key, a.number, tuple(a.choices), a.text))
    return out


def _sample(survey: Survey, status: str, n: int = 300) -> list[Response]:
    ids = sorted(Response.objects.filter(survey=survey, status=status).values_list("pk", flat=True))
    chosen = random.Random(f"{survey.kind}:{status}").sample(ids, min(n, len(ids)))
    return list(Response.objects.filter(pk__in=chosen).select_related("version").order_by("pk"))


@pytest.mark.django_db
def test_complete_responses_follow_their_version(demo: Demo) -> None:
    for survey in Survey.objects.filter(org=demo.org):
        sample = _sample(survey, "complete")
        assert len(sample) >= 50, survey.kind
        raw = _answers(sample)
        stored = _stored([r.pk for r in sample])
        for response in sample:
            assert response.version is not None and response.version.survey_id == survey.pk
            spec = spec_of(response.version)
            answers = raw[response.pk]
            try:
                rows = survey_spec.validate_answers(spec, answers, embedded=response.embedded, complete=True)
                survey_spec.validate_embedded(spec, response.embedded, complete=True)
            except survey_spec.AnswerError as error:
                raise AssertionError(f"{survey.kind} response {response.pk}: {error.problems} in {answers}") from None
            # Stored exactly as the capture path would store the same answers.
            assert {(r.key, r.number, r.choices, r.text) for r in rows} == stored[response.pk]
            assert response.last_page == max(survey_spec.reached_pages(spec, answers=answers))
            seconds = (response.submitted_at - response.started_at).total_seconds()
            assert response.duration_seconds == seconds and 30 <= seconds <= 360


@pytest.mark.django_db
def test_partial_responses_stop_after_the_first_page(demo: Demo) -> None:
    partial = Counter(r.kind for r in demo.rows if r.status == "partial")
    assert set(partial) == {"nps", "csat", "ces", "acsi"}  # the single-page surveys cannot be left half-way
    assert 0.015 <= sum(partial.values()) / len(demo.rows) <= 0.05
    for survey in Survey.objects.filter(org=demo.org, kind__in=partial):
        sample = _sample(survey, "partial")
        raw = _answers(sample)
        for response in sample:
            assert response.version is not None
            spec = spec_of(response.version)
            answers = raw[response.pk]
            first_page = {q.key for q in spec.pages[0].questions}
            assert answers and {key.partition(".")[0] for key in answers} <= first_page
            survey_spec.validate_answers(spec, answers, embedded=response.embedded, complete=False)
            # The first page was saved, so it is complete on its own.
            survey_spec.validate_answers(spec, answers, embedded=response.embedded, complete=True, pages=[0])
            assert response.last_page == 0 and response.duration_seconds is None
            assert 30 <= (response.submitted_at - response.started_at).total_seconds() <= 360


@pytest.mark.django_db
def test_answers_follow_display_logic_and_the_story(demo: Demo) -> None:
    keys = Counter(
        Answer.objects.filter(response__org=demo.org, response__status="complete")
        .values_list("response__survey__kind", "question_key")
    )
    complete = Counter(r.kind for r in demo.rows if r.status == "complete")
    assert keys[("sus", "sus.q1")] == keys[("sus", "sus.q10")] == complete["sus"]
    assert keys[("umux_lite", "umux_lite.ease")] == complete["umux_lite"]
    assert keys[("csat", "resolved")] == keys[("csat", "csat")] == complete["csat"]
    assert min(keys[("nps", k)] for k in ("reason_detractor", "reason_passive", "reason_promoter")) > 0
    assert keys[("ces", "hardest_step")] > 0 and keys[("ces", "help_used")] > 0.7 * complete["ces"]
    assert 0 < keys[("acsi", "acsi_complaint_handling")] < 0.4 * complete["acsi"]

    # Export tickets were less often resolved while the defect lasted.
    resolved = Answer.objects.filter(response__org=demo.org, question_key="resolved").select_related("response")
    export = [a.choices == ["yes"] for a in resolved if a.response.embedded.get("category") == "export"]
    others = [a.choices == ["yes"] for a in resolved if a.response.embedded.get("category") != "export"]
    assert sum(export) / len(export) < sum(others) / len(others) - 0.1


def _standardised_betas(xs: list[list[float]], y: list[float]) -> list[float]:
    """Least-squares coefficients of standardised ``y`` on standardised columns ``xs``."""
    def z(values: list[float]) -> list[float]:
        mean = sum(values) / len(values)
        sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        return [(v - mean) / sd for v in values]

    cols, target = [z(x) for x in xs], z(y)
    n, k = len(target), len(xs)
    a = [[sum(p * q for p, q in zip(cols[i], cols[j], strict=True)) / n for j in range(k)]
         + [sum(p * q for p, q in zip(cols[i], target, strict=True)) / n] for i in range(k)]
    for i in range(k):  # Gauss-Jordan on the correlation matrix
        a[i] = [v / a[i][i] for v in a[i]]
        for j in range(k):
            if j != i:
                a[j] = [vj - a[j][i] * vi for vj, vi in zip(a[j], a[i], strict=True)]
    return [a[i][k] for i in range(k)]


@pytest.mark.django_db
def test_acsi_answers_support_a_driver_analysis(demo: Demo) -> None:
    """Perceived quality and value (not expectations) drive satisfaction, satisfaction drives
    repurchase, and the dissatisfied complain more often."""
    survey = Survey.objects.get(org=demo.org, kind="acsi")
    responses = list(Response.objects.filter(survey=survey, status="complete").select_related("version"))
    raw = _answers(responses)
    construct = {key: name for name, keys in ACSI_CONSTRUCTS.items() for key in keys}
    data: dict[str, list[float]] = {name: [] for name in ACSI_CONSTRUCTS}
    repurchase: list[float] = []
    complaints: list[tuple[float, bool]] = []
    for response in responses:
        scores: dict[str, list[float]] = {}
        for key, value in raw[response.pk].items():
            if isinstance(value, float):
                scores.setdefault(construct[key], []).append(value)
        means = {name: sum(v) / len(v) for name, v in scores.items()}
        for name in ("expectations", "perceived_quality", "perceived_value", "satisfaction"):
            data[name].append(means[name])
        repurchase.append(raw[response.pk]["acsi_repurchase"])
        complained = raw[response.pk]["acsi_complaint"] == "yes"
        assert complained == ("acsi_complaint_handling" in raw[response.pk])
        complaints.append((means["satisfaction"], complained))
    expectations, quality, value = _standardised_betas(
        [data["expectations"], data["perceived_quality"], data["perceived_value"]], data["satisfaction"]
    )
    assert quality > 0.3 and value > 0.2 and expectations < min(quality, value) - 0.1, (expectations, quality, value)
    (satisfaction,) = _standardised_betas([data["satisfaction"]], repurchase)
    assert satisfaction > 0.5
    low = [c for s, c in complaints if s < 6.5]
    high = [c for s, c in complaints if s >= 8]
    assert low and high and sum(low) / len(low) > 2 * sum(high) / len(high)


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
            "response__started_at", "response__status", "response__channel", "question_key", "number", "choices",
            "text",
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


# --- the closed loop (issue 5) -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loop_rules_channels_and_cases_in_every_state(demo: Demo) -> None:
    from cxloop.cases.models import AlertRule, Case, CaseEvent, CaseStatus
    from cxloop.core import rules as rules_core
    from cxloop.notify.models import Endpoint

    org = demo.org
    rules = list(AlertRule.objects.filter(org=org))
    assert len(rules) == demo.stats.rules == 5
    for rule in rules:
        rules_core.parse(rule.definition)  # every demo rule is valid
    assert {e.format for e in Endpoint.objects.filter(org=org)} == {"feishu", "dingtalk", "wecom", "email", "cxloop"}
    assert not Endpoint.objects.filter(org=org, active=True).exists()  # example URLs: paused
    cases = Case.objects.filter(org=org)
    assert cases.count() == demo.stats.cases > 100
    statuses = Counter(cases.values_list("status", flat=True))
    assert statuses["closed"] > statuses["resolved"] > 0
    assert sum(statuses[s] for s in ("new", "assigned", "contacted", "in_progress", "on_hold")) > 0
    kinds = set(cases.values_list("team__kind", flat=True))
    assert {"product", "support", "customer_success"} <= kinds
    # Resolved cases have a root cause and a note; the timeline starts with "opened".
    for case in cases.filter(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])[:50]:
        assert case.root_cause is not None and case.resolution_note and case.resolved_at is not None
        events = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
        assert events[0].kind == "opened" and events[-1].to_status == case.status


@pytest.mark.django_db
def test_loop_story_export_cases_for_product_in_the_defect_months(demo: Demo) -> None:
    from cxloop.cases.models import Case

    timeline = build_timeline(TODAY)
    product = Case.objects.filter(org=demo.org, team__kind="product")
    during = product.filter(opened_at__date__gte=timeline.defect_date, opened_at__date__lt=timeline.fix_date)
    before = product.filter(opened_at__date__lt=timeline.defect_date)
    days_during = (timeline.fix_date - timeline.defect_date).days
    days_before = (timeline.defect_date - timeline.start).days
    assert during.count() / days_during > 3 * max(before.count(), 1) / days_before  # a flood of export cases
    regressions = during.filter(root_cause__code="release_regression")
    assert regressions.count() >= 0.8 * during.exclude(root_cause=None).count()
    # They waited for the fix: resolved after it shipped, many escalated for breaching their SLA.
    assert all(c.resolved_at is None or c.resolved_at.date() >= timeline.fix_date for c in regressions)
    assert during.exclude(escalated_at=None).count() >= 0.5 * during.count()
    known = [c.recovered for c in Case.objects.filter(org=demo.org).exclude(recovered=None)
             .exclude(root_cause__code="release_regression")]
    story = [c.recovered for c in regressions.exclude(recovered=None)]
    assert sum(story) / len(story) < sum(known) / len(known)  # fewer rescued during the defect
