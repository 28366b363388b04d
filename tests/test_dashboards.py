"""The dashboard pages on known data (real database, no mocks): the numbers on the pages are those of
``metrics_service.compute`` and ``core.metrics``/``core.drivers``/``core.crosstab``; filters round-trip
through the URL; bad parameters are form errors (translated), not 500s; the comment search finds Chinese
and English text and escapes HTML; every chart is an <img> with a data: SVG and a table beside it."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client

from cxloop.analytics import metrics_service
from cxloop.core import crosstab, drivers, metrics
from cxloop.surveys import services

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "Support follow-up", "default_language": "en", "languages": ["en", "zh-hans"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"en": "Recommend us?", "zh-hans": "推荐我们吗？"}, "required": True},
        {"key": "csat", "type": "csat", "text": {"en": "Satisfied?", "zh-hans": "满意吗？"}, "required": True},
        {"key": "effort", "type": "ces", "text": {"en": "Easy?", "zh-hans": "容易吗？"}},
        {"key": "speed", "type": "rating", "text": {"en": "Speed?", "zh-hans": "速度？"}, "scale_min": 1,
         "scale_max": 5},
        {"key": "resolved", "type": "yes_no", "text": {"en": "Resolved?", "zh-hans": "解决了吗？"}},
        {"key": "why", "type": "open_text", "text": {"en": "Why?", "zh-hans": "为什么？"}},
    ]}],
}
# January 2025: 24 promoters, 10 passives, 6 detractors; February: 8, 10, 22 (a collapse).
JAN = [10] * 24 + [8] * 10 + [3] * 6
FEB = [10] * 8 + [7] * 10 + [2] * 22
JAN_CSAT = [5] * 20 + [4] * 12 + [2] * 8
FEB_CSAT = [5] * 6 + [4] * 6 + [1] * 28
COMMENTS = {0: "导出报表失败，太慢了", 1: "The EXPORT was slow", 2: "<script>alert('x')</script> export broke",
            3: "Support was kind"}
FEB_FILTER = "from=2025-02-01&to=2025-02-28"


def _at(day: date, index: int) -> datetime:
    return datetime(day.year, day.month, day.day, 2 + index % 10, index % 60, tzinfo=UTC)  # 10:00+ in Shanghai


def _dist(scores: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for s in scores:
        out[s] = out.get(s, 0) + 1
    return out


class Data:
    """80 responses to one survey: January and February 2025, two touchpoints (even rows "support",
    odd "billing"), two contacts (even rows "pro", odd "basic", of two accounts), e-mail and SMS."""

    def __init__(self, tenant: Any) -> None:
        from cxloop.customers.models import Account, Contact

        self.org = tenant.org
        self.survey = services.create_survey(org=self.org, name="Support follow-up", definition=DEFINITION,
                                             touchpoint="support")
        services.publish(survey=self.survey)
        for i, plan in enumerate(("pro", "basic")):
            account = Account.objects.create(org=self.org, external_id=f"a{i}", name=f"Account {plan}",
                                             tier="enterprise" if i == 0 else "smb")
            Contact.objects.create(org=self.org, external_id=f"c{i}", name=f"Person {plan}", account=account,
                                   attributes={"plan": plan})
        self.rows: list[dict[str, Any]] = []
        items = []
        for month, scores, csats in ((date(2025, 1, 10), JAN, JAN_CSAT), (date(2025, 2, 12), FEB, FEB_CSAT)):
            for i, (score, csat) in enumerate(zip(scores, csats, strict=True)):
                answers: dict[str, Any] = {"nps": score, "csat": csat, "effort": 1 + i % 7,
                                           "speed": min(5, max(1, csat + (i % 3) - 1)),
                                           "resolved": "yes" if csat >= 4 else "no"}
                if i in COMMENTS and month.month == 2:
                    answers["why"] = COMMENTS[i]
                row = {"touchpoint": "support" if i % 2 == 0 else "billing", "channel": "email" if i % 3 else "sms",
                       "month": month.month, **answers}
                self.rows.append(row)
                items.append(services.BatchItem(services.Submission(
                    answers=answers, touchpoint=row["touchpoint"], channel=row["channel"], language="en",
                    contact={"external_id": f"c{i % 2}"}, embedded={"ticket": f"T-{month.month}-{i}"},
                    submitted_at=_at(month + timedelta(days=i % 9), i))))
        results = services.record_batch(survey=self.survey, items=items)
        assert all(isinstance(r, services.Recorded) for r in results)

    def feb(self, **where: Any) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["month"] == 2 and all(r[k] == v for k, v in where.items())]


@pytest.fixture
def data(tenant_a: Any) -> Data:
    return Data(tenant_a)


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _images(html: str) -> list[str]:
    """The SVG documents of every chart on the page (data: URIs of <img> and <source>)."""
    uris = re.findall(r'(?:src|srcset)="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(u).decode("utf-8") for u in uris]


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# --- the organisation's dashboard ------------------------------------------------------------------


def test_cards_trend_and_breakdown_equal_the_metrics_service(data: Data, tenant_a: Any) -> None:
    client = _client(tenant_a.viewer)
    response = client.get(f"/o/{tenant_a.org.slug}/?{FEB_FILTER}&interval=week&group_by=touchpoint")
    assert response.status_code == 200
    page = response.context["data"]
    same = metrics_service.compute(org=tenant_a.org, surveys=[data.survey], question="nps", metric="nps",
                                   start=date(2025, 2, 1), end=date(2025, 2, 28))
    nps = page.cards[0]
    assert nps.item == same.items[0]
    assert nps.estimate == metrics.nps(metrics.NpsCounts.from_scores(FEB))
    assert nps.item.previous == metrics.nps(metrics.NpsCounts.from_scores(JAN))  # 28 days before: January
    assert nps.item.significant_change is True
    csat = page.cards[1]
    assert csat.estimate == metrics.csat(_dist(FEB_CSAT))
    ces = page.cards[2]
    assert ces.question == "effort" and ces.estimate == metrics.mean_from_distribution(
        _dist([r["effort"] for r in data.feb()]))
    # the trend by week and the breakdown by touchpoint, as the service computes them
    weekly = metrics_service.compute(org=tenant_a.org, surveys=[data.survey], question="nps", metric="nps",
                                     start=date(2025, 2, 1), end=date(2025, 2, 28), interval="week")
    assert page.trend.items == weekly.items
    groups = {g.label: g.item.estimate for g in page.breakdown.groups}
    assert groups == {"support": metrics.nps(metrics.NpsCounts.from_scores([r["nps"] for r in data.feb(
        touchpoint="support")])), "billing": metrics.nps(metrics.NpsCounts.from_scores(
            [r["nps"] for r in data.feb(touchpoint="billing")]))}
    # what the page shows
    text = _text(response.content.decode())
    value = round(nps.estimate.value)
    assert f"\u2212{abs(value)}" in text or f"{value:+d}" in text
    assert f"n = {len(FEB)}" in text
    assert "Significant drop" in text
    assert "Net Promoter Score" in text and "CSAT (top-2-box)" in text


def test_every_chart_is_an_svg_image_with_its_table(data: Data, tenant_a: Any) -> None:
    html = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/?from=2025-01-01&to=2025-02-28").content.decode()
    svgs = _images(html)
    assert len(svgs) == 4  # trend and breakdown, each wide and narrow
    assert all("<svg" in s and "<script" not in s for s in svgs)
    assert "cx-band" in svgs[0]  # the interval drawn as a band under the line
    assert "Significant change" in svgs[0]  # the marker series of the significant month (February)
    assert 'alt="Net Promoter Score by month, with 95% intervals"' in html
    assert "<table" in html and "2025-02" in html
    assert "style=" not in re.sub(r'data:image/svg\+xml;base64,[^"]+', "", html)  # nothing inline for the CSP


def test_breakdown_by_account_and_contact_attribute_from_raw_answers(data: Data, tenant_a: Any) -> None:
    client = _client(tenant_a.viewer)
    pro = metrics.nps(metrics.NpsCounts.from_scores([r["nps"] for r in data.feb(touchpoint="support")]))
    for group_by, label in (("account", "Account pro"), ("contact.plan", "pro"), ("tier", "Enterprise")):
        response = client.get(f"/o/{tenant_a.org.slug}/?{FEB_FILTER}&group_by={group_by}")
        assert response.status_code == 200, group_by
        groups = {g.label: g.item for g in response.context["data"].breakdown.groups}
        assert groups[label].estimate == pro, group_by
        jan = metrics.nps(metrics.NpsCounts.from_scores(JAN[0::2]))
        assert groups[label].previous == jan
        assert groups[label].comparison == metrics.compare(jan, pro, confidence=0.99)


def test_filters_round_trip_through_the_url(data: Data, tenant_a: Any) -> None:
    client = _client(tenant_a.viewer)
    query = (f"{FEB_FILTER}&survey={data.survey.pk}&touchpoint=support&channel=sms&language=en&tier=enterprise"
             "&attr=plan&value=pro&interval=week&group_by=channel&measure=csat")
    response = client.get(f"/o/{tenant_a.org.slug}/?{query}")
    assert response.status_code == 200
    f = response.context["data"].filters
    assert (f.start, f.end, f.survey_id, f.touchpoint, f.channel, f.language, f.tier, f.attribute, f.value,
            f.interval, f.group_by, f.measure) == (date(2025, 2, 1), date(2025, 2, 28), data.survey.pk, "support",
                                                   "sms", "en", "enterprise", "plan", "pro", "week", "channel",
                                                   "csat")
    html = response.content.decode()
    for name, value in (("touchpoint", "support"), ("channel", "sms"), ("interval", "week"),
                        ("group_by", "channel"), ("measure", "csat"), ("survey", str(data.survey.pk))):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
        assert select and f'<option value="{value}" selected>' in select.group(1), name
    assert 'name="from" value="2025-02-01"' in html and 'name="value" value="pro"' in html
    # the numbers follow the filters: CSAT of February's support rows answered by SMS
    rows = data.feb(touchpoint="support", channel="sms")
    assert response.context["data"].cards[1].estimate == metrics.csat(_dist([r["csat"] for r in rows]))
    # the survey's dashboard link carries the common filters
    link = re.search(r'href="(/o/[^"]+/surveys/\d+/dashboard/\?[^"]+)"', html)
    assert link and "touchpoint=support" in link.group(1) and "from=2025-02-01" in link.group(1)
    # without dates the range is the twelve months up to today, written into the form
    plain = client.get(f"/o/{tenant_a.org.slug}/").content.decode()
    start, end = metrics_service.add_months(metrics_service.local_today(), -11), metrics_service.local_today()
    assert f'name="from" value="{start.isoformat()}"' in plain and f'name="to" value="{end.isoformat()}"' in plain


@pytest.mark.parametrize(("query", "english", "chinese"), [
    ("from=2025-13-01", "Enter a valid date.", "输入一个有效的日期。"),
    ("from=2025-03-01&to=2025-01-01", "The start date must not be after the end date.", "开始日期不能晚于结束日期。"),
    ("from=2015-01-01&to=2025-01-01", "Choose at most five years.", "最多选择五年。"),
    ("measure=bogus", "Select a valid choice.", "选择一个有效的选项。"),
    ("group_by=contact.secret", "Select a valid choice.", "选择一个有效的选项。"),
    ("interval=day", "Select a valid choice.", "选择一个有效的选项。"),
    ("survey=abc", "Select a valid choice.", "选择一个有效的选项。"),
    ("value=x", "Choose the contact attribute the value is for.", "请选择该值所属的联系人属性。"),
])
def test_bad_parameters_are_translated_form_errors(data: Data, tenant_a: Any, query: str, english: str,
                                                   chinese: str) -> None:
    for language, message in (("en", english), ("zh-hans", chinese)):
        response = _client(tenant_a.viewer, language).get(f"/o/{tenant_a.org.slug}/?{query}")
        assert response.status_code == 400, query
        assert message in _text(response.content.decode()), (language, query)


def test_a_survey_of_another_organisation_is_not_a_choice(data: Data, tenant_a: Any, tenant_b: Any) -> None:
    other = services.create_survey(org=tenant_b.org, name="Other", definition=DEFINITION)
    response = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/?survey={other.pk}")
    assert response.status_code == 400 and "Other" not in response.content.decode()


def test_survey_pages_give_form_errors_for_bad_parameters(data: Data, tenant_a: Any) -> None:
    client = _client(tenant_a.viewer)
    base = f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}"
    for url in (f"{base}/dashboard/?question=nope", f"{base}/drivers/?outcome=why", f"{base}/crosstab/?rows=q:why",
                f"{base}/responses/?page=0", f"{base}/responses/?to=yesterday", f"{base}/drivers/?driver=nope"):
        response = client.get(url)
        assert response.status_code == 400, url
        html = response.content.decode()
        assert "Select a valid choice" in html or "Enter a" in html or "greater than or equal to 1" in html, url


# --- a survey's dashboard --------------------------------------------------------------------------


def test_survey_dashboard_has_every_numeric_question_and_the_funnel(data: Data, tenant_a: Any) -> None:
    from cxloop.customers.models import Contact
    from cxloop.surveys.models import SurveyInvitation

    now = datetime(2025, 2, 1, tzinfo=UTC)
    for i, contact in enumerate(Contact.objects.filter(org=tenant_a.org)):
        for j in range(5):
            SurveyInvitation.objects.create(
                org=tenant_a.org, survey=data.survey, contact=contact, token=f"tok-{i}-{j}", created_at=now,
                sent_at=now if j < 4 else None, opened_at=now if j < 3 else None,
                started_at=now if j < 2 else None, completed_at=now if j < 1 else None)
        # Created outside the range (the evening of 28 February in UTC is 1 March in Shanghai): not counted.
        SurveyInvitation.objects.create(
            org=tenant_a.org, survey=data.survey, contact=contact, token=f"late-{i}",
            created_at=datetime(2025, 2, 28, 17, tzinfo=UTC), sent_at=now, completed_at=now)
    response = _client(tenant_a.viewer).get(
        f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/dashboard/?{FEB_FILTER}&question=speed&group_by=channel")
    assert response.status_code == 200
    page = response.context["data"]
    assert [c.key for c in page.cards] == ["nps", "csat", "effort", "speed"]
    for card in page.cards:
        same = metrics_service.compute(org=tenant_a.org, surveys=[data.survey], question=card.key,
                                       start=date(2025, 2, 1), end=date(2025, 2, 28))
        assert card.item == same.items[0], card.key
    assert page.cards[3].estimate == metrics.mean_from_distribution(_dist([r["speed"] for r in data.feb()]))
    assert page.question == "speed" and page.trend.question == "speed"
    assert {g.label for g in page.breakdown.groups} == {"E-mail", "SMS"}
    total = page.funnel.total
    assert (total.created, total.sent, total.opened, total.started, total.completed) == (10, 8, 6, 4, 2)
    assert total.rate == metrics.wilson(2, 8, scale=100.0)
    text = _text(response.content.decode())
    assert "Speed?" in text and "Recommend us?" in text
    assert f"{total.rate.value:.0f}%" in text
    assert len(_images(response.content.decode())) == 8  # trend, breakdown, questions, funnel × 2 sizes
    # a link per question keeps every other parameter
    assert "?" + f"{FEB_FILTER}&group_by=channel&question=nps".replace("&", "&amp;") in response.content.decode()


def test_survey_dashboard_shows_question_texts_in_the_ui_language(data: Data, tenant_a: Any) -> None:
    response = _client(tenant_a.viewer, "zh-hans").get(
        f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/dashboard/?{FEB_FILTER}")
    assert "推荐我们吗？" in response.content.decode()


def test_key_drivers_equal_core_drivers(data: Data, tenant_a: Any) -> None:
    response = _client(tenant_a.viewer).get(
        f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/drivers/?from=2025-01-01&to=2025-02-28")
    assert response.status_code == 200
    page = response.context["data"]
    assert page.outcome.key == "nps"  # an NPS question is the default outcome
    assert page.chosen == ["csat", "effort", "speed"]
    rows = list(data.rows)  # every row answers all four
    expected = drivers.key_drivers([[r["csat"], r["effort"], r["speed"]] for r in rows], [r["nps"] for r in rows],
                                   names=["csat", "effort", "speed"], resamples=1000, seed=0)
    assert {d.name: round(d.share, 9) for d in page.result.drivers} == {
        d.name: round(d.share, 9) for d in expected.drivers}
    assert page.result.n == len(rows) and page.result.r_squared == pytest.approx(expected.r_squared)
    top = page.rows[0]
    assert top.mean == metrics.mean_from_distribution(_dist([r[top.key] for r in rows]))
    # choose the outcome and the drivers in the URL
    chosen = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/drivers/"
                                          "?from=2025-01-01&to=2025-02-28&outcome=csat&driver=speed&driver=effort")
    assert chosen.status_code == 200
    assert chosen.context["data"].outcome.key == "csat" and chosen.context["data"].chosen == ["speed", "effort"]
    assert len(_images(chosen.content.decode())) == 2


def test_cross_tab_equals_core_crosstab(data: Data, tenant_a: Any) -> None:
    response = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/crosstab/"
                                            f"?{FEB_FILTER}&rows=q:resolved&cols=touchpoint")
    assert response.status_code == 200
    page = response.context["data"]
    expected = crosstab.crosstab([(r["resolved"], r["touchpoint"]) for r in data.feb()], rows=["yes", "no"],
                                 cols=["billing", "support"])
    assert page.table == expected
    assert page.chi_square == expected.chi_square()
    text = _text(response.content.decode())
    assert "Resolved?" in text and "Yes" in text
    assert f"{expected.chi_square().statistic:.2f}" in text  # type: ignore[union-attr]
    assert ("Reliable" in text) == expected.chi_square().reliable  # type: ignore[union-attr]
    # an NPS question is shown as its three groups
    nps = _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/crosstab/"
                                       f"?{FEB_FILTER}&rows=q:nps&cols=channel")
    assert nps.context["data"].row_labels == ["Detractors (0–6)", "Passives (7–8)", "Promoters (9–10)"]
    assert nps.context["data"].table.row_totals == (22, 10, 8)


# --- responses and comment search -----------------------------------------------------------------


def test_comment_search_finds_chinese_and_english_and_escapes_html(data: Data, tenant_a: Any) -> None:
    client = _client(tenant_a.viewer)
    base = f"/o/{tenant_a.org.slug}/surveys/{data.survey.pk}/responses/?from=2025-01-01&to=2025-03-31"
    chinese = client.get(f"{base}&q=导出").content.decode()
    assert "<mark>导出</mark>报表失败" in chinese and "EXPORT" not in chinese
    english = client.get(f"{base}&q=export").content.decode()
    assert "The <mark>EXPORT</mark> was slow" in english
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>export</mark> broke" in english
    assert "<script>alert" not in english
    assert "Responses with a comment containing “export”: 2" in _text(english)
    every = client.get(base)
    assert every.context["page"].paginator.count == len(data.rows)
    page_two = client.get(f"{base}&page=2")
    assert page_two.status_code == 200 and page_two.context["page"].number == 2
    assert 'href="?from=2025-01-01&amp;to=2025-03-31&amp;page=3"' in page_two.content.decode()


def test_response_detail_shows_answers_contact_and_embedded_fields(data: Data, tenant_a: Any) -> None:
    from cxloop.surveys.models import Answer

    answer = Answer.objects.get(response__org=tenant_a.org, text__startswith="<script>")
    url = f"/o/{tenant_a.org.slug}/responses/{answer.response_id}/"
    html = _client(tenant_a.viewer, "zh-hans").get(url).content.decode()
    text = _text(html)
    assert "推荐我们吗？" in text and "解决了吗？" in text and "为什么？" in text
    assert "Person pro" in text or "Person basic" in text
    assert "ticket" in text and "T-2-2" in text
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert _client(tenant_a.viewer).get(f"/o/{tenant_a.org.slug}/responses/999999/").status_code == 404


def test_every_dashboard_page_works_for_a_new_organisation(tenant_b: Any) -> None:
    """No surveys, no responses: every page renders its empty state."""
    client = _client(tenant_b.viewer)
    survey = services.create_survey(org=tenant_b.org, name="Draft", definition=DEFINITION)
    assert client.get(f"/o/{tenant_b.org.slug}/").status_code == 200
    for page in ("dashboard", "drivers", "crosstab", "responses"):
        assert client.get(f"/o/{tenant_b.org.slug}/surveys/{survey.pk}/{page}/").status_code == 200, page
