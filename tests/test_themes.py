"""Per-theme analytics (issue 6): the theme overview and one theme's page — volume, share of comments with
Wilson intervals, mean sentiment, NPS / CSAT of the commenters, change against the period before, monthly
spikes (99 %), top phrases and comments with the theme highlighted — checked against numbers computed by
hand from ``core.metrics``' published formulas; personal data hidden when the organisation asks; another
organisation gets 404."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from cxloop.analytics import dashboard, themes
from cxloop.core import metrics
from cxloop.core.text.phrases import top_phrases
from cxloop.surveys import services
from cxloop.texts import services as texts

DEFINITION: dict[str, Any] = {
    "title": "Relationship", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"zh-hans": "推荐吗？", "en": "Recommend?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}
EXPORT_BAD = "导出报表一直失败，月底的数据导不出来"
EXPORT_GOOD = "报表导出很方便，一键生成 Excel"
OTHER = ("客服回复很快，态度很好", "价格有点贵，续费再考虑", "界面简洁，上手容易", "The support team was helpful")
MONTHS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))


def _at(day: date, i: int) -> datetime:
    return datetime(day.year, day.month, 3 + i % 20, 10, i % 60, tzinfo=ZoneInfo(settings.TIME_ZONE))


class Data:
    """Months 1–3: 40 comments each, 2 about export (one happy, one angry); month 4: 40 comments, 16 about
    export, all angry (the defect), and its last comment is about export too, with a phone number and an
e-mail address. Export commenters answer NPS 2 (the happy ones 9, the last one 1), the others 9 / 8."""

    def __init__(self, tenant: Any) -> None:
        self.org = tenant.org
        self.survey = services.create_survey(org=self.org, name="Relationship NPS", definition=DEFINITION)
        services.publish(survey=self.survey)
        items = []
        for m, month in enumerate(MONTHS):
            about_export = 16 if m == 3 else 2
            for i in range(40):
                if i < about_export:
                    comment, score = (EXPORT_GOOD, 9) if (m < 3 and i == 0) else (EXPORT_BAD, 2)
                else:
                    comment, score = OTHER[i % len(OTHER)], 9 if m == 3 else 8
                if m == 3 and i == 39:
                    comment = "导出又失败了，请打 13812345678 或写信 li.lei@example.com 联系我"
                    score = 1
                items.append(services.BatchItem(services.Submission(
                    answers={"nps": score, "why": comment}, language="zh-hans", submitted_at=_at(month, i))))
        results = services.record_batch(survey=self.survey, items=items)
        assert all(isinstance(r, services.Recorded) for r in results)
        assert texts.analyse_all(self.org) == 160

    def filters(self, start: date = date(2026, 1, 1), end: date = date(2026, 4, 30)) -> dashboard.Filters:
        return dashboard.Filters(start=start, end=end)


@pytest.fixture
def data(tenant_a: Any) -> Data:
    return Data(tenant_a)


# --- core pieces ----------------------------------------------------------------------------------------


def test_spikes_pool_the_baseline_and_use_the_n_minus_1_test() -> None:
    series = [metrics.Proportion(2, 100, 100.0), metrics.Proportion(3, 100, 100.0),
              metrics.Proportion(1, 100, 100.0), metrics.Proportion(20, 100, 100.0),
              metrics.Proportion(0, 0, 100.0)]
    tests = metrics.spikes(series)
    assert tests[:3] == [None, None, None] and tests[4] is None  # no baseline yet / no data
    spike = tests[3]
    assert spike is not None
    # by hand: baseline 6/300 = 0.02, month 20/100 = 0.2, pooled P = 26/400
    p1, p2, big_p = 6 / 300, 20 / 100, 26 / 400
    z = (p2 - p1) / math.sqrt(big_p * (1 - big_p) * (1 / 300 + 1 / 100)) * math.sqrt(399 / 400)
    assert spike.statistic == pytest.approx(z) and spike.difference == pytest.approx(18.0)
    assert spike.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert spike.confidence == 0.99 and spike.direction == "up"
    flat = metrics.spikes([metrics.Proportion(5, 100)] * 4)[3]
    assert flat is not None and flat.direction is None
    with pytest.raises(ValueError, match="baseline"):
        metrics.spikes(series, baseline=0)


def test_mean_summary_from_sums_matches_from_values() -> None:
    values = [0.8, -0.5, 0.1, -0.9, 0.3]
    a = metrics.MeanSummary.from_values(values)
    b = metrics.MeanSummary.from_sums(len(values), sum(values), sum(v * v for v in values))
    assert b.mean == pytest.approx(a.mean) and b.sd == pytest.approx(a.sd) and b.n == a.n
    assert metrics.MeanSummary.from_sums(0, 0, 0).n == 0
    assert metrics.MeanSummary.from_sums(1, 0.4, 0.16) == metrics.MeanSummary(0.4, 0.0, 1)


def test_top_phrases_join_chinese_pairs_and_prefer_the_distinctive() -> None:
    comments = [("导出报表一直失败", None), ("导出失败，太慢了", None), ("报表导出失败", None),
                ("Export fails every time", None), ("export fails again", None), ("不好吃", None), ("真的不好吃", None)]
    shown = {p.text: p.comments for p in top_phrases(comments)}
    assert shown["导出失败"] == 2 and shown["export fails"] == 2 and shown["不好吃"] == 2
    assert "导出" not in shown  # absorbed by 导出失败 (2 of its 3 comments)
    background = [("客服一直很好", None), ("一直用，一直满意", None), ("报表很好看", None), ("报表清楚", None)] * 3
    picked = {p.text for p in top_phrases([("导出报表一直失败", None), ("报表一直导出失败", None)],
                                          background=background)}
    assert "导出失败" in picked or "导出" in picked
    assert "一直" not in picked and "报表" not in picked  # as common in the background: not distinctive


# --- the overview ---------------------------------------------------------------------------------------


def test_overview_numbers_match_the_formulas(data: Data) -> None:
    o = themes.overview(data.org, data.filters(), "zh-hans")
    assert o.comments == 160 and o.has_nps and not o.has_csat
    row = next(r for r in o.rows if r.key == "product/export")
    export_n = 2 * 3 + 17  # the 16 of month 4 and its last comment
    assert row.count == export_n and row.label == "导出"
    expected = metrics.wilson(export_n, 160, scale=100.0)
    assert (row.share.value, row.share.low, row.share.high) == pytest.approx(
        (expected.value, expected.low, expected.high))
    # NPS of the export commenters: 3 promoters (the happy ones), 20 detractors
    nps = metrics.nps(metrics.NpsCounts(promoters=3, passives=0, detractors=20))
    assert row.scores.nps is not None
    assert (row.scores.nps.value, row.scores.nps.low, row.scores.nps.high) == pytest.approx(
        (nps.value, nps.low, nps.high))
    negative = sum(1 for a in texts.themes_of(_export_ids(data)).values() if a.sentiment_label == "negative")
    assert row.negative.n == export_n and row.negative.value == pytest.approx(100 * negative / export_n)
    scores = [a.sentiment_score for a in texts.themes_of(_export_ids(data)).values()]
    mean = metrics.mean(scores)
    assert (row.sentiment.value, row.sentiment.low, row.sentiment.high) == pytest.approx(
        (mean.value, mean.low, mean.high))
    assert row.spike == date(2026, 4, 1)
    parent = next(r for r in o.rows if r.key == "product")
    assert parent.count >= row.count and parent.depth == 1 and row.depth == 2
    # the period before (same number of days) has no comments: the change cannot be tested
    assert o.comments_before == 0 and row.change.p_value is None


def test_overview_reads_theme_rows_in_the_window_only(data: Data) -> None:
    """The theme rows carry their sentiment score and their response's scores, so the overview's per-theme
    numbers join no other table: their cost follows the rows in the window, not the answers table's size
    (the load benchmark's fixed-window themes read grew with it before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        o = themes.overview(data.org, data.filters(), "en")
    assert o.comments == 160
    on_hits = [q["sql"] for q in captured.captured_queries if "texts_themehit" in q["sql"]]
    assert len(on_hits) >= 4
    for sql in on_hits:
        assert not any(t in sql for t in ('"surveys_answer"', '"surveys_response"', '"texts_commentanalysis"')), sql


def _export_ids(data: Data) -> list[int]:
    from cxloop.texts.models import ThemeHit

    return list(ThemeHit.objects.filter(org=data.org, theme="product/export").values_list("response_id", flat=True))


def test_change_against_the_period_before(data: Data) -> None:
    o = themes.overview(data.org, data.filters(date(2026, 4, 1), date(2026, 4, 30)), "en")
    row = next(r for r in o.rows if r.key == "product/export")
    assert row.label == "Export" and row.count == 17 and o.comments == 40
    # April (30 days) against the 30 days before: 1–31 March, 2 of 40
    expected = metrics.compare_proportions(metrics.Proportion(2, 40, 100.0), metrics.Proportion(17, 40, 100.0))
    assert o.comments_before == 40
    assert row.change.difference == pytest.approx(expected.difference) and row.change.significant
    assert row.change.p_value == pytest.approx(expected.p_value)


def test_detail_trend_phrases_and_highlighted_comments(data: Data) -> None:
    d = themes.detail(data.org, "product/export", data.filters(), "zh-hans")
    assert [m.month for m in d.months] == list(MONTHS)
    assert [m.count for m in d.months] == [2, 2, 2, 17] and [m.comments for m in d.months] == [40] * 4
    assert [m.spike is not None and m.spike.direction == "up" for m in d.months] == [False, False, False, True]
    spike = d.months[3].spike
    assert spike is not None
    expected = metrics.compare_proportions(metrics.Proportion(6, 120, 100.0), metrics.Proportion(17, 40, 100.0),
                                           confidence=0.99)
    assert spike.p_value == pytest.approx(expected.p_value) and spike.difference == pytest.approx(37.5)
    assert sum(d.split.values()) == 23 and d.split["negative"] >= 16
    assert any("导出" in p.text for p in d.phrases)
    first = d.comments[0]  # newest first
    assert "".join(s.text for s in first.segments).startswith("导出又失败了")
    assert next(s.text for s in first.segments if s.hit) == "导出"
    assert d.page.paginator.count == 23 and len(d.comments) == themes.COMMENTS_PER_PAGE
    angry = themes.detail(data.org, "product/export", data.filters(), "zh-hans", sentiment="positive")
    assert all(c.sentiment_label == "positive" for c in angry.comments)


def test_segments_cut_text_at_spans() -> None:
    parts = themes.segments("导出失败，导出慢", [(0, 2), (5, 7)])
    assert [(s.text, s.hit) for s in parts] == [("导出", True), ("失败，", False), ("导出", True), ("慢", False)]


def test_personal_data_hidden_when_the_organisation_asks(data: Data) -> None:
    d = themes.detail(data.org, "product/export", data.filters(), "zh-hans")
    shown = "".join(s.text for s in d.comments[0].segments)
    assert "13812345678" in shown  # off by default: the comment as given
    data.org.redact_pii = True
    data.org.save()
    d = themes.detail(data.org, "product/export", data.filters(), "zh-hans")
    shown = "".join(s.text for s in d.comments[0].segments)
    assert "13812345678" not in shown and "li.lei@example.com" not in shown
    assert "[phone]" in shown and "[email]" in shown
    assert not any("138" in p.text or "example" in p.text for p in d.phrases)


# --- the pages ------------------------------------------------------------------------------------------


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_pages_render_in_both_languages_and_escape_comments(data: Data, tenant_a: Any) -> None:
    services.record_response(survey=data.survey, submission=services.Submission(
        answers={"nps": 3, "why": "<script>alert(1)</script> 导出失败"}, language="zh-hans",
        submitted_at=_at(date(2026, 4, 1), 25)))
    texts.analyse_all(data.org)
    query = "?from=2026-01-01&to=2026-04-30"
    for language, word in (("zh-hans", "导出"), ("en", "Export"), ("zh-hant", "匯出")):
        client = _client(tenant_a.viewer, language)
        page = client.get(f"/o/{data.org.slug}/themes/{query}")
        assert page.status_code == 200 and word in page.content.decode()
        one = client.get(f"/o/{data.org.slug}/themes/product/export/{query}")
        body = one.content.decode()
        assert one.status_code == 200 and "<mark>" in body
        assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    second = _client(tenant_a.viewer).get(f"/o/{data.org.slug}/themes/product/export/{query}&page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.content.decode()


def test_bad_filters_400_unknown_theme_404(data: Data, tenant_a: Any) -> None:
    client = _client(tenant_a.viewer)
    bad = client.get(f"/o/{data.org.slug}/themes/?from=2026-05-01&to=2026-01-01")
    assert bad.status_code == 400 and bad.context["form"].errors["from"]
    assert client.get(f"/o/{data.org.slug}/themes/product/export/?from=nonsense").status_code == 400
    assert client.get(f"/o/{data.org.slug}/themes/product/nothing/").status_code == 404
    assert client.get(f"/o/{data.org.slug}/themes/product/nothing/?from=nonsense").status_code == 404


def test_another_organisation_gets_404(data: Data, tenant_b: Any) -> None:
    outsider = _client(tenant_b.member)
    for url in (f"/o/{data.org.slug}/themes/", f"/o/{data.org.slug}/themes/product/export/",
                f"/o/{data.org.slug}/themes/summary/"):
        assert outsider.get(url).status_code == 404, url
    # and its own theme pages never count this organisation's comments
    own = themes.overview(tenant_b.org, dashboard.Filters(start=date(2026, 1, 1), end=date(2026, 4, 30)), "en")
    assert own.comments == 0 and all(r.count == 0 for r in own.rows)


def test_months_follow_the_local_time_zone(data: Data) -> None:
    """A comment submitted at 00:30 local time on the 1st belongs to that month, not the one before."""
    zone = ZoneInfo(settings.TIME_ZONE)
    services.record_response(survey=data.survey, submission=services.Submission(
        answers={"nps": 2, "why": "导出失败"}, language="zh-hans",
        submitted_at=datetime(2026, 4, 1, 0, 30, tzinfo=zone)))
    texts.analyse_all(data.org)
    d = themes.detail(data.org, "product/export", data.filters(), "zh-hans")
    assert [m.count for m in d.months] == [2, 2, 2, 18]
    assert d.months[3].comments == 41


def test_text_command_redacts_on_request(tmp_path: Any) -> None:
    import io
    import json

    from django.core.management import call_command

    lines = tmp_path / "comments.txt"
    lines.write_text("导出失败，请回电 13812345678\nmail me at a.b@example.com, export is broken\n", encoding="utf-8")
    plain, hidden = io.StringIO(), io.StringIO()
    call_command("cxtext", "analyze", str(lines), stdout=plain, stderr=io.StringIO())
    call_command("cxtext", "analyze", str(lines), "--redact", stdout=hidden, stderr=io.StringIO())
    before = [json.loads(line) for line in plain.getvalue().splitlines()]
    after = [json.loads(line) for line in hidden.getvalue().splitlines()]
    assert "13812345678" in before[0]["text"] and after[0]["text"] == "导出失败，请回电 [phone]"
    assert after[1]["text"] == "mail me at [email], export is broken"
    assert [r["themes"] for r in after] == [r["themes"] for r in before]  # analysed on the text as given


def test_dashboard_card_lists_the_themes_that_moved(data: Data, tenant_a: Any) -> None:
    s = themes.summary(data.org, data.filters(date(2026, 4, 1), date(2026, 4, 30)), "en", limit=3)
    assert len(s.rows) == 3 and s.rows[0].key in ("product/export", "product", "product/bugs")
    assert all(r.change.significant or r.spike for r in s.rows[:1])
    client = _client(tenant_a.viewer)
    dashboard_page = client.get(f"/o/{data.org.slug}/?from=2026-04-01&to=2026-04-30")
    assert dashboard_page.status_code == 200
    assert f"/o/{data.org.slug}/themes/summary/" in dashboard_page.content.decode()  # loaded by htmx
    card = client.get(f"/o/{data.org.slug}/themes/summary/?from=2026-04-01&to=2026-04-30")
    assert card.status_code == 200 and "Export" in card.content.decode()
    assert client.get(f"/o/{data.org.slug}/themes/summary/?from=x").status_code == 400


# --- the API --------------------------------------------------------------------------------------------


def test_api_themes_and_one_theme(data: Data, tenant_a: Any, tenant_b: Any, api_client: Any) -> None:
    key = tenant_a.keys["viewer"]
    listed = api_client.call("GET", "/api/v1/themes?from=2026-01-01&to=2026-04-30", key)
    assert listed.status_code == 200, listed.content
    body = listed.json()
    export = next(i for i in body["items"] if i["key"] == "product/export")
    expected = metrics.wilson(23, 160, scale=100.0)
    assert body["comments"] == 160 and export["comments"] == 23
    assert export["share"]["value"] == pytest.approx(expected.value) and export["latest_spike"] == "2026-04-01"
    one = api_client.call("GET", "/api/v1/themes/product/export?from=2026-01-01&to=2026-04-30", key)
    assert one.status_code == 200, one.content
    detail = one.json()
    assert [m["theme_comments"] for m in detail["months"]] == [2, 2, 2, 17]
    assert [m["spike"] for m in detail["months"]] == [False, False, False, True]
    first = detail["comments"]["items"][0]
    start, end = first["spans"][0]
    assert first["text"][start:end] == "导出" and detail["comments"]["count"] == 23
    assert "13812345678" in first["text"]
    data.org.redact_pii = True
    data.org.save()
    hidden = api_client.call("GET", "/api/v1/themes/product/export?from=2026-01-01&to=2026-04-30", key).json()
    assert "13812345678" not in hidden["comments"]["items"][0]["text"]
    search = api_client.call("GET", f"/api/v1/comments?survey={data.survey.pk}&q=导出又&from=2026-01-01", key)
    assert search.status_code == 200 and "[phone]" in search.json()["items"][0]["text"]
    # errors name the field; unknown theme and another organisation's survey are 404
    bad = api_client.call("GET", "/api/v1/themes?from=2026-05-01&to=2026-01-01", key)
    assert bad.status_code == 422 and "from" in bad.content.decode()
    assert api_client.call("GET", "/api/v1/themes/product/nothing", key).status_code == 404
    other = tenant_b.keys["viewer"]
    assert api_client.call("GET", f"/api/v1/themes?survey={data.survey.pk}", other).status_code == 404
    assert api_client.call("GET", f"/api/v1/themes?org={data.org.slug}", other).status_code in (403, 404)
    mine = api_client.call("GET", "/api/v1/themes?from=2026-01-01&to=2026-04-30", other).json()
    assert mine["comments"] == 0


def test_api_codeframe_read_replace_and_progress(data: Data, tenant_a: Any, tenant_b: Any, api_client: Any,
                                                 django_capture_on_commit_callbacks: Any) -> None:
    from tests.conftest import run_tasks

    from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
    from cxloop.texts.models import CommentAnalysis

    viewer, admin = tenant_a.keys["viewer"], tenant_a.keys["admin"]
    got = api_client.call("GET", "/api/v1/codeframe", viewer).json()
    assert got["version"] == 0 and got["definition"] == DEFAULT_CODEFRAME and got["job"] is None
    definition = {"version": 1, "themes": [
        {"key": "export", "label": {"zh-hans": "导出", "zh-hant": "匯出", "en": "Export"},
         "keywords": {"zh": ["导出"], "en": ["export"]}}]}
    refused = api_client.call("PUT", "/api/v1/codeframe", viewer, {"definition": definition})
    assert refused.status_code == 403
    broken = {"version": 1, "themes": [{"key": "Bad Key!", "label": {"en": "x"}}]}
    wrong = api_client.call("PUT", "/api/v1/codeframe", admin, {"definition": broken})
    assert wrong.status_code == 422 and "themes[0].key" in wrong.content.decode()
    assert api_client.call("GET", "/api/v1/codeframe", viewer).json()["version"] == 0  # nothing saved
    with django_capture_on_commit_callbacks(execute=True):
        saved = api_client.call("PUT", "/api/v1/codeframe", admin, {"definition": definition})
    assert saved.status_code == 202, saved.content
    assert saved.json()["version"] == 1 and saved.json()["job"]["status"] == "queued"
    run_tasks()
    job = api_client.call("GET", "/api/v1/codeframe/job", viewer).json()["job"]
    assert job["status"] == "done" and job["done"] == job["total"] == 160 and job["percent"] == 100
    assert CommentAnalysis.objects.filter(org=data.org, themes=["export"]).count() == 23
    assert api_client.call("GET", "/api/v1/codeframe", tenant_b.keys["viewer"]).json()["version"] == 0
    assert api_client.call("GET", "/api/v1/codeframe/job", tenant_b.keys["viewer"]).json()["job"] is None


def test_pain_points_of_a_touchpoint(tenant_a: Any) -> None:
    """What journeys will show as a touchpoint's pain points: the specific themes of its negative comments."""
    survey = services.create_survey(org=tenant_a.org, name="After support", definition=DEFINITION,
                                    touchpoint="support")
    services.publish(survey=survey)
    said = [("support", "导出报表一直失败"), ("support", "导出又失败了，太失望"), ("support", "价格太贵了，很不满意"),
            ("support", "客服很好，很满意"), ("billing", "价格太贵了，很不满意")]
    items = [services.BatchItem(services.Submission(answers={"nps": 2, "why": text}, touchpoint=tp,
                                                    language="zh-hans", submitted_at=_at(date(2026, 3, 1), i)))
             for i, (tp, text) in enumerate(said)]
    assert all(isinstance(r, services.Recorded) for r in services.record_batch(survey=survey, items=items))
    texts.analyse_all(tenant_a.org)
    f = dashboard.Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    points = themes.pain_points(tenant_a.org, "support", f, "en")
    negative = [a for a in texts.themes_of(list(survey.responses.values_list("pk", flat=True))).values()
                if a.sentiment_label == "negative"]
    support_negative = sum(1 for a in negative if a.response.touchpoint == "support")
    assert [p.key for p in points][:2] == ["product/export", "price"]
    assert points[0].negative == 2 and "product" not in [p.key for p in points]  # the child, not its parent
    assert points[0].share.value == pytest.approx(100 * 2 / support_negative)
    assert points[0].label == "Export"
    assert themes.pain_points(tenant_a.org, "nowhere", f, "en") == []
