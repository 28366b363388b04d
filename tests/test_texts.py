"""Text analytics stored (issue 6, first increment): every complete response with a comment is analysed by
the rules worker (language, sentiment, themes of the organisation's codeframe), alert rules can test
``theme`` and ``sentiment``, and saving the codeframe re-themes the stored comments in a background job with
progress."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import run_tasks

from cxloop.cases import intake
from cxloop.cases import services as cases
from cxloop.cases.models import Case
from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.surveys import services
from cxloop.texts import services as texts
from cxloop.texts.models import CommentAnalysis, RethemeJob, ThemeHit

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "After support", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "csat", "type": "csat", "text": {"zh-hans": "满意吗？", "en": "Satisfied?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}


def _survey(tenant: Any) -> Any:
    survey = services.create_survey(org=tenant.org, name="After support", definition=DEFINITION)
    services.publish(survey=survey)
    return survey


def _capture(survey: Any, csat: int, comment: str) -> int:
    recorded = services.record_response(survey=survey, submission=services.Submission(
        answers={"csat": csat, "why": comment}))
    assert isinstance(recorded, services.Recorded) and recorded.response_id is not None
    return recorded.response_id


def test_responses_are_analysed_and_rules_see_themes_and_sentiment(tenant_a: Any) -> None:
    survey = _survey(tenant_a)
    cases.save_rule(org=tenant_a.org, name="Negative export comments", definition={
        "when": {"all": [{"field": "theme", "op": "in", "value": ["product/export"]},
                         {"field": "sentiment", "op": "=", "value": "negative"}]},
        "then": {"open_case": {"team": tenant_a.team.name}}})
    angry = _capture(survey, 1, "导出报表一直失败，太让人失望了")
    happy = _capture(survey, 5, "客服回复很快，非常满意")
    plain = _capture(survey, 3, "")
    intake.drain()
    a = CommentAnalysis.objects.get(response_id=angry)
    assert a.language == "zh-hans" and a.sentiment_label == "negative" and -1 <= a.sentiment_score < 0
    assert "product/export" in a.themes and "product" in a.themes  # ancestors included
    b = CommentAnalysis.objects.get(response_id=happy)
    assert b.sentiment_label == "positive" and "service/responsiveness" in b.themes
    assert not CommentAnalysis.objects.filter(response_id=plain).exists()  # no comment, nothing to analyse
    assert set(ThemeHit.objects.filter(response_id=angry).values_list("theme", flat=True)) >= {"product/export"}
    # The analysis keeps the response's numbers, and each theme row a copy of them and of the sentiment score,
    # for theme reads that join nothing.
    assert a.scores == {"csat": 1.0} and b.scores == {"csat": 5.0}
    assert {(h.sentiment_score, h.sentiment_label, tuple(h.scores.items()))
            for h in ThemeHit.objects.filter(response_id=angry)} == {(a.sentiment_score, "negative", (("csat", 1.0),))}
    # The rule used the analysis: one case, for the angry export comment only.
    assert list(Case.objects.filter(org=tenant_a.org).values_list("response_id", flat=True)) == [angry]


def test_saving_the_codeframe_rethemes_stored_comments_with_progress(
        tenant_a: Any, django_capture_on_commit_callbacks: Any) -> None:
    survey = _survey(tenant_a)
    ids = [_capture(survey, 2, f"第{i}次：快递包装破损，纸箱压坏了") for i in range(30)]
    intake.drain()
    assert all("packaging" not in a.themes for a in CommentAnalysis.objects.filter(response_id__in=ids))
    definition = {**DEFAULT_CODEFRAME, "themes": [*DEFAULT_CODEFRAME["themes"], {
        "key": "packaging", "label": {"zh-hans": "包装", "zh-hant": "包裝", "en": "Packaging"},
        "keywords": {"zh": ["包装破损", "纸箱"], "en": ["packaging"]}}]}
    with django_capture_on_commit_callbacks(execute=True):
        stored = texts.save_codeframe(org=tenant_a.org, definition=definition, actor=tenant_a.owner)
    assert stored.version == 1
    job = RethemeJob.objects.get(org=tenant_a.org)
    assert job.status == "queued" and job.total == 30 and job.percent == 0
    run_tasks()
    job.refresh_from_db()
    assert job.status == "done" and job.done == 30 and job.percent == 100 and job.codeframe_version == 1
    assert all("packaging" in a.themes and a.codeframe_version == 1
               for a in CommentAnalysis.objects.filter(response_id__in=ids))
    assert ThemeHit.objects.filter(org=tenant_a.org, theme="packaging").count() == 30


def test_a_bad_codeframe_is_refused_with_its_path(tenant_a: Any) -> None:
    bad = {"themes": [{"key": "price", "label": {"en": "Price"}, "keywords": {"zh": ["slow"]}}]}
    with pytest.raises(texts.TextError) as refused:
        texts.save_codeframe(org=tenant_a.org, definition=bad)
    assert refused.value.status == 422 and "themes[0]" in refused.value.message
    assert not RethemeJob.objects.exists()


def test_analysis_is_per_organisation(tenant_a: Any, tenant_b: Any) -> None:
    definition = {"themes": [{"key": "secret", "label": {"zh-hans": "秘密", "zh-hant": "秘密", "en": "Secret"},
                              "keywords": {"zh": ["包装"], "en": ["box"]}}]}
    texts.save_codeframe(org=tenant_b.org, definition=definition)
    a, b = _survey(tenant_a), _survey(tenant_b)
    ra, rb = _capture(a, 2, "包装破损"), _capture(b, 2, "包装破损")
    intake.drain()
    assert "secret" not in CommentAnalysis.objects.get(response_id=ra).themes  # A uses the default codeframe
    assert CommentAnalysis.objects.get(response_id=rb).themes == ["secret"]


def test_cli_text_analyze_writes_json_lines(tmp_path: Any) -> None:
    import io
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError

    lines = tmp_path / "comments.txt"
    lines.write_text("导出报表一直失败\n\nThe support agent was rude and slow\n客服回覆很快，很滿意\n",
                     encoding="utf-8")
    out = io.StringIO()
    call_command("cxtext", "analyze", str(lines), stdout=out, stderr=io.StringIO())
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["language"] for r in rows] == ["zh-hans", "en", "zh-hant"]  # the empty line is skipped
    assert set(rows[0]) == {"text", "language", "sentiment_label", "sentiment_score", "themes"}
    assert rows[0]["sentiment_label"] == "negative" and "product/export" in rows[0]["themes"]
    assert rows[1]["sentiment_label"] == "negative" and "service/attitude" in rows[1]["themes"]
    assert rows[2]["sentiment_label"] == "positive"
    table = tmp_path / "comments.csv"
    table.write_text("id,comment\n1,\"Export to CSV times out, please fix\"\n2,\n", encoding="utf-8")
    out = io.StringIO()
    call_command("cxtext", "analyze", str(table), "--column", "comment", stdout=out, stderr=io.StringIO())
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 1 and "product/export" in rows[0]["themes"]
    with pytest.raises(CommandError, match="--column: no column 'text'"):
        call_command("cxtext", "analyze", str(table), "--column", "text", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("cxtext", "analyze", str(tmp_path / "missing.txt"), stdout=io.StringIO())


# --- re-theming: the worst case, failures; the matcher per batch --------------------------------------------

COMMON = {"key": "general", "label": {"zh-hans": "综合", "zh-hant": "綜合", "en": "General"},
          "keywords": {"zh": ["的", "了", "不", "很", "我", "包装", "还"], "en": ["the", "a", "is", "it", "ok"]}}
VARIED = ["导出报表一直失败，太让人失望了", "客服回复很快，非常满意", "The export to CSV is broken again",
          "送餐太慢了，骑手态度也不好", "价格有点贵", "ok", "包装破损", "I love it", "卡顿严重，经常闪退", "还行",
          "嗯"]


def _stored_comments(tenant: Any, n: int) -> tuple[Any, dict[int, str]]:
    """``n`` complete responses with a comment, plus one whose only text rides on a choice answer (not a
    comment), analysed with the default codeframe by ``analyse_all``."""
    from cxloop.surveys.models import Answer, Response

    survey = _survey(tenant)
    version = survey.versions.order_by("-pk").first()
    responses = Response.objects.bulk_create([Response(org=tenant.org, survey=survey, version=version)
                                              for _ in range(n + 1)])
    comments = {r.pk: f"{VARIED[i % len(VARIED)]} #{i}" for i, r in enumerate(responses[:n])}
    answers = [Answer(response_id=pk, question_key="why", text=text) for pk, text in comments.items()]
    answers += [Answer(response_id=pk, question_key="csat", number=2) for pk in comments]
    answers.append(Answer(response=responses[n], question_key="pick", choices=["other"], text="导出 the export"))
    Answer.objects.bulk_create(answers)
    assert texts.analyse_all(tenant.org, batch=64) == n
    return survey, comments


def _expected(definition: dict[str, Any], text: str) -> list[str]:
    from cxloop.core.text import themes as text_themes

    found = text_themes.Matcher(text_themes.parse_codeframe(definition))
    return text_themes.with_ancestors([h.key for h in found.match(text)])


def test_a_codeframe_change_that_alters_most_comments_rewrites_them_all_correctly(
        tenant_a: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> None:
    """The worst case of a re-theming (every key renamed and a broad theme added): every comment's themes and
    theme rows are right afterwards, sentiment untouched, the unchanged comments' theme rows kept as they
    were, progress moved chunk by chunk."""
    n = 300
    _, comments = _stored_comments(tenant_a, n)
    before = {a.response_id: a for a in CommentAnalysis.objects.filter(org=tenant_a.org)}
    assert set(before) == set(comments)  # the choice answer's text is no comment
    kept_rows = {(h.response_id, h.theme): h.pk for h in ThemeHit.objects.filter(org=tenant_a.org)}
    definition = {**DEFAULT_CODEFRAME, "themes": [  # every key but price renamed, and a broad theme
        *({**t, "key": t["key"] if t["key"] == "price" else f"cx_{t['key']}"} for t in DEFAULT_CODEFRAME["themes"]),
        COMMON]}
    monkeypatch.setattr(texts, "CHUNK", 64)  # five chunks
    seen: list[int] = []
    real_rewrite = texts._rewrite

    def rewrite(*args: Any) -> None:
        seen.append(RethemeJob.objects.get(org=tenant_a.org).done)
        real_rewrite(*args)

    monkeypatch.setattr(texts, "_rewrite", rewrite)
    with django_capture_on_commit_callbacks(execute=True):
        texts.save_codeframe(org=tenant_a.org, definition=definition)
    run_tasks()
    job = RethemeJob.objects.get(org=tenant_a.org)
    assert job.status == "done" and job.done == job.total == n and job.codeframe_version == 1
    assert seen == [0, 64, 128, 192, 256]  # progress committed with each chunk
    after = {a.response_id: a for a in CommentAnalysis.objects.filter(org=tenant_a.org)}
    changed = 0
    for pk, text in comments.items():
        a, b = after[pk], before[pk]
        assert a.themes == _expected(definition, text), text
        assert a.codeframe_version == 1
        assert (a.sentiment_label, a.sentiment_score, a.language) == (b.sentiment_label, b.sentiment_score,
                                                                     b.language)
        changed += a.themes != b.themes
    assert changed == sum(_expected(definition, t) != _expected(DEFAULT_CODEFRAME, t) for t in comments.values())
    assert changed >= n * 0.8  # most comments changed; 价格有点贵 (price) and 嗯 (no theme) did not
    rows = list(ThemeHit.objects.filter(org=tenant_a.org))
    assert sorted((h.response_id, h.theme) for h in rows) == sorted(
        (pk, key) for pk, a in after.items() for key in a.themes)
    for h in rows:
        a = after[h.response_id]
        assert (h.survey_id, h.submitted_at, h.sentiment_label, h.sentiment_score, h.scores) == (
            a.survey_id, a.submitted_at, a.sentiment_label, a.sentiment_score, a.scores)
        assert a.scores and a.scores == b.scores
        if after[h.response_id].themes == before[h.response_id].themes:
            assert kept_rows[(h.response_id, h.theme)] == h.pk  # an unchanged comment is not rewritten


def test_a_failing_retheme_marks_the_job_failed(tenant_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _stored_comments(tenant_a, 10)
    job = texts.start_retheme(org=tenant_a.org)

    def broken(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(texts, "_rewrite", broken)
    with pytest.raises(RuntimeError):
        texts.run_retheme(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.error == "disk full" and job.finished_at is not None


def test_the_matcher_is_read_once_per_batch_and_a_new_codeframe_seen_in_the_next(
        tenant_a: Any, django_assert_num_queries: Any) -> None:
    packaging = {"key": "packaging", "label": {"zh-hans": "包装", "zh-hant": "包裝", "en": "Packaging"},
                 "keywords": {"zh": ["包装"]}}
    with django_assert_num_queries(2):  # two calls, two version reads (no batch)
        texts.matcher(tenant_a.org)
        texts.matcher(tenant_a.org.pk)
    with texts.batch():
        with django_assert_num_queries(1):
            assert texts.matcher(tenant_a.org)[1] == 0
            texts.matcher(tenant_a.org.pk)
        texts.save_codeframe(org=tenant_a.org, definition={**DEFAULT_CODEFRAME, "themes": [
            *DEFAULT_CODEFRAME["themes"], packaging]})
        assert texts.matcher(tenant_a.org)[1] == 1  # saved in this batch by this thread: seen at once
    other = {**DEFAULT_CODEFRAME, "themes": [*DEFAULT_CODEFRAME["themes"], {**packaging, "key": "boxes"}]}
    texts.save_codeframe(org=tenant_a.org, definition=other)
    with texts.batch():
        found, version = texts.matcher(tenant_a.org)  # saved between batches: the next batch uses it
        assert version == 2 and "boxes" in [h.key for h in found.match("包装破损")]


def test_a_codeframe_saved_between_two_intake_batches_is_used_by_the_second(tenant_a: Any) -> None:
    survey = _survey(tenant_a)
    first = _capture(survey, 2, "快递包装破损")
    with texts.batch():  # as the rules worker's batch would run
        assert intake.process() == 1
    texts.save_codeframe(org=tenant_a.org, definition={**DEFAULT_CODEFRAME, "themes": [
        *DEFAULT_CODEFRAME["themes"], {"key": "packaging", "label": {"zh-hans": "包装", "zh-hant": "包裝",
                                                                     "en": "Packaging"},
                                       "keywords": {"zh": ["包装"]}}]})
    second = _capture(survey, 2, "快递包装破损")
    with texts.batch():
        assert intake.process() == 1
    assert "packaging" not in CommentAnalysis.objects.get(response_id=first).themes
    b = CommentAnalysis.objects.get(response_id=second)
    assert "packaging" in b.themes and b.codeframe_version == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_scores_and_sentiment_of_comments_analysed_before(tenant_a: Any) -> None:
    """texts 0002 adds each analysis' numbers and each theme row's copies; rows analysed before it get them
    from the answers and analyses in SQL (both backends)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    survey = _survey(tenant_a)
    ids = [_capture(survey, score, text) for score, text in ((1, "导出报表一直失败"), (5, "客服回复很快，非常满意"))]
    intake.drain()
    expected = {a.response_id: (a.sentiment_score, a.scores) for a in CommentAnalysis.objects.filter(
        response_id__in=ids)}
    assert expected[ids[0]][1] == {"csat": 1.0}
    hits = ThemeHit.objects.filter(response_id__in=ids).count()
    assert hits >= 2
    executor = MigrationExecutor(connection)
    executor.migrate([("texts", "0001_initial")])  # the columns go, and with them the values
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("texts", "0002_theme_reads_without_joins")])
    after = {a.response_id: (a.sentiment_score, a.scores) for a in CommentAnalysis.objects.filter(
        response_id__in=ids)}
    assert after == expected
    rows = list(ThemeHit.objects.filter(response_id__in=ids))
    assert len(rows) == hits
    assert all((h.sentiment_score, h.scores) == expected[h.response_id] for h in rows)
