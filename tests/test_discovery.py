"""Theme discovery on the Django side (``texts.discovery``) on a real database: a new topic injected into the
recent period of a few hundred mixed Chinese and English comments is suggested with quotes and a significant
rise, whose figures equal ``core.metrics.compare_proportions`` / ``wilson`` on hand-counted comments; accepting
it adds a theme through ``save_codeframe`` and re-theming tags the comments; the pages run it and accept in one
click. On a small generated demo, the month-18 export defect surfaces as a significant spike."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from html import unescape
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from tests.conftest import run_tasks

from cxloop.cases import intake
from cxloop.core import metrics
from cxloop.orgs.models import AuditEvent, Organization, User
from cxloop.surveys import services as surveys
from cxloop.surveys.models import Answer, Response
from cxloop.texts import discovery
from cxloop.texts import services as texts
from cxloop.texts.models import RethemeJob, ThemeHit

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "After support", "default_language": "zh-hans", "languages": ["zh-hans", "en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "csat", "type": "csat", "text": {"zh-hans": "满意吗？", "en": "Satisfied?"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"zh-hans": "原因？", "en": "Why?"}},
    ]}],
}
TODAY = date(2026, 3, 20)
SINCE, UNTIL = TODAY - timedelta(days=29), TODAY  # the period; the baseline is the 30 days before
# Everyday comments, in both periods, one or two clauses each: some a default theme catches (客服, 价格, 导出 …),
# many none does.
CLAUSES = [
    "客服回复很快", "非常满意", "价格有点贵", "续费再便宜点就好了", "导出报表很方便", "界面很漂亮", "颜色看着舒服",
    "整体不错", "继续加油", "同事都说好用", "文档写得很清楚", "培训讲得很细致", "团队沟通顺畅了很多",
    "每周例会用它做总结",
    "审批流程简单", "通知提醒很及时", "日程安排很直观", "移动端也方便", "希望多一些模板", "数据看板很好看",
    "The support team was very helpful", "Price is a bit high for us", "Great product overall",
    "Nice colours and clean layout", "Our managers like the weekly summary", "We use it every day in the team",
    "Approvals are simple", "Reminders arrive on time", "Calendar view is clear", "Would like more templates",
]
# The new topic: QR-code sign-in breaks (no default theme knows it). Every Chinese one has 二维码 and 登录.
QR_SUBJECTS = ["二维码登录", "扫码登录时二维码", "登录用的二维码", "手机扫二维码登录"]
QR_PROBLEMS = ["总是失效", "没反应", "过期太快", "刷不出来", "一直转圈"]
QR_TAILS = ["", "，很麻烦", "，只能用密码", "。", "！每天早上都这样"]
QR_EN = ["QR code login fails every morning <b>again</b>", "The QR code for login expires instantly",
         "Scanning the QR code to login does nothing"]


def _qr_comment(rnd: random.Random, chinese: bool) -> str:
    if not chinese:
        return rnd.choice(QR_EN)
    return f"{rnd.choice(QR_SUBJECTS)}{rnd.choice(QR_PROBLEMS)}{rnd.choice(QR_TAILS)}"


def is_qr(text: str) -> bool:
    return "二维码" in text or "QR code" in text


def is_zh_qr(text: str) -> bool:
    return "二维码" in text


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _text(html: bytes | str) -> str:
    raw = html.decode() if isinstance(html, bytes) else html
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


class Corpus:
    def __init__(self, tenant: Any) -> None:
        self.org = tenant.org
        self.survey = surveys.create_survey(org=self.org, name="After support", definition=DEFINITION)
        surveys.publish(survey=self.survey)
        rnd = random.Random(5)
        self.recent: list[str] = []
        self.baseline: list[str] = []
        plan = [(SINCE, self.recent, 220, 60), (SINCE - timedelta(days=30), self.baseline, 200, 3)]
        for start, bucket, background, injected in plan:
            texts_ = ["，".join(rnd.sample(CLAUSES, rnd.randint(1, 2))) for _ in range(background)]
            texts_ += [_qr_comment(rnd, chinese=i % 6 != 5) for i in range(injected)]
            rnd.shuffle(texts_)
            for i, text in enumerate(texts_):
                at = timezone.make_aware(datetime.combine(start + timedelta(days=i % 30), time(10, i % 60)))
                rec = surveys.record_response(survey=self.survey, submission=surveys.Submission(
                    answers={"csat": rnd.randint(1, 5), "why": text}, submitted_at=at))
                assert rec.response_id is not None
                bucket.append(text)
        intake.drain()


@pytest.fixture
def corpus(tenant_a: Any) -> Corpus:
    return Corpus(tenant_a)


def _qr(result: discovery.Discovery) -> discovery.ThemeSuggestion:
    """The suggestion about the Chinese QR-code comments (the few English ones may form their own)."""
    found = [s for s in result.suggestions if "二维码" in s.label_terms]
    assert len(found) == 1, [s.label_terms for s in result.suggestions]
    return found[0]


def test_tokens_drop_negation_marks_negators_and_noise() -> None:
    assert discovery.tokens_for("导出不了，一直没有反应", "zh-hans") == ["导出", "反应"]
    assert discovery.tokens_for("二维码刷不出来", "zh-hans") == ["二维码"]  # 刷: one character; 出来: empty
    assert discovery.tokens_for("The export doesn't work, 2 times!", "en") == ["export", "work", "times"]
    assert discovery.tokens_for("報表匯出很慢") == discovery.tokens_for("报表汇出很慢")  # Traditional folded


def test_discovery_suggests_the_injected_topic_with_significant_growth(corpus: Corpus) -> None:
    result = discovery.discover_themes(corpus.org, since=SINCE, until=UNTIL, scope="uncaught", language="zh-hans")
    matcher, _version = texts.matcher(corpus.org)
    uncaught_now = [t for t in corpus.recent if not matcher.match(t)]
    uncaught_before = [t for t in corpus.baseline if not matcher.match(t)]
    assert result.comments == len(uncaught_now) and result.baseline_comments == len(uncaught_before)
    assert (result.baseline_since, result.baseline_until) == (SINCE - timedelta(days=30), SINCE - timedelta(days=1))
    qr = _qr(result)
    assert 30 <= qr.size <= 65  # of the 50 Chinese QR comments in the period (a few may form a group of their own)
    assert 3 <= len(qr.quotes) <= 5 and all(is_zh_qr(q) for q in qr.quotes)
    assert sum(1 for i in range(len(qr.keywords)) if qr.keywords[i] in ("二维码", "登录", "扫码")) >= 2
    # Counted by hand: every Chinese QR comment has 二维码 and 登录, no other comment has either.
    assert qr.label_terms[0] == "二维码" or {"二维码", "登录"} <= set(qr.label_terms)
    hits_now = sum(1 for t in uncaught_now if is_zh_qr(t))
    hits_before = sum(1 for t in uncaught_before if is_zh_qr(t))
    assert hits_now >= 40 and 1 <= hits_before <= 3  # of 50 and 3 (a default theme catches a few)
    expected = metrics.compare_proportions(metrics.Proportion(hits_before, len(uncaught_before), 100),
                                           metrics.Proportion(hits_now, len(uncaught_now), 100))
    g = qr.growth
    assert (g.hits, g.n, g.baseline_hits, g.baseline_n) == (hits_now, len(uncaught_now), hits_before,
                                                            len(uncaught_before))
    assert g.comparison == expected
    assert g.current == metrics.wilson(hits_now, len(uncaught_now), scale=100)
    assert g.baseline == metrics.wilson(hits_before, len(uncaught_before), scale=100)
    assert g.rising and expected.significant and expected.p_value is not None and expected.p_value < 0.001
    assert expected.difference is not None and expected.difference > 10
    # the overlap check is for "all comments" only: there the known themes come back, marked
    everything = discovery.discover_themes(corpus.org, since=SINCE, until=UNTIL, scope="all", language="en")
    assert everything.comments == len(corpus.recent)
    assert _qr(everything).overlaps == ()
    marked = [o.key for s in everything.suggestions for o in s.overlaps]
    assert marked and all(key in {t.key for t in texts.default_matcher()[0].codeframe.themes} for key in marked)


def test_accepting_a_suggestion_adds_a_theme_and_rethemes(corpus: Corpus, tenant_a: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    qr = _qr(discovery.discover_themes(corpus.org, since=SINCE, until=UNTIL))
    with django_capture_on_commit_callbacks(execute=True):
        key = discovery.accept(org=corpus.org, label_terms=qr.label_terms, keywords=qr.keywords, parent="product",
                               actor=tenant_a.owner)
    assert key.startswith("product/topic_")
    definition, version = texts.codeframe_definition(corpus.org)
    assert version == 1
    theme = next(t for t in definition["themes"] if t["key"] == key)
    assert theme["keywords"]["zh"] == [k for k in qr.keywords if re.search("[\u4e00-\u9fff]", k)]
    assert theme["keywords"].get("en", []) == [k for k in qr.keywords if not re.search("[\u4e00-\u9fff]", k)]
    assert theme["label"]["zh-hans"] == "、".join(qr.label_terms)
    assert "二維碼" in theme["label"]["zh-hant"]  # Simplified-only characters turned Traditional
    assert AuditEvent.objects.filter(org=corpus.org, action="codeframe.saved").exists()
    assert run_tasks() >= 1
    assert RethemeJob.objects.get(org=corpus.org).status == "done"
    tagged = set(ThemeHit.objects.filter(org=corpus.org, theme=key).values_list("response_id", flat=True))
    qr_ids = {a.response_id for a in Answer.objects.filter(response__org=corpus.org, question_key="why")
              if is_zh_qr(a.text)}
    assert len(qr_ids) == 53 and qr_ids <= tagged
    assert set(ThemeHit.objects.filter(org=corpus.org, theme="product").values_list("response_id", flat=True)) >= qr_ids
    # the same suggestion again gets a fresh key
    again = discovery.accept(org=corpus.org, label_terms=qr.label_terms, keywords=qr.keywords, parent="product")
    assert again == f"{key}_2"


def test_the_pages_run_discovery_and_accept_in_one_click(corpus: Corpus, tenant_a: Any,
                                                         django_capture_on_commit_callbacks: Any) -> None:
    client = _client(tenant_a.owner, "zh-hans")
    url = f"/o/{corpus.org.slug}/settings/themes/discover/"
    blank = client.get(url)
    assert blank.status_code == 200 and blank.context["result"] is None
    today = timezone.localdate()
    assert blank.context["form"]["since"].value() == today - timedelta(days=89)
    assert blank.context["form"]["scope"].value() == "uncaught"
    bad = client.get(url, {"since": "2026-03-20", "until": "2026-03-01", "scope": "uncaught"})
    assert bad.status_code == 400 and bad.context["form"].errors["until"]
    assert client.get(url, {"since": "2026-03-01", "until": "2026-03-20", "scope": "x"}).status_code == 400
    page = client.get(url, {"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "scope": "all"})
    assert page.status_code == 200
    html = page.content.decode()
    qr = _qr(page.context["result"])
    text = _text(html)
    assert " · ".join(qr.label_terms) in text and "显著上升" in text and "p < 0.001" in text
    assert qr.quotes[0] in text
    assert "<b>again</b>" not in html  # respondent text is escaped
    assert 'style="' not in html and "<script>" not in html
    english = [s for s in page.context["result"].suggestions if "qr" in s.keywords]
    if english and any("<b>" in q for q in english[0].quotes):
        assert "&lt;b&gt;again&lt;/b&gt;" in html
    # accept with the parent left at the top level and some keywords unticked
    keep = [k for k in qr.keywords if k in ("二维码", "登录", "失效", "扫码")]
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(f"{url}accept/", {"label_terms": ",".join(qr.label_terms), "keywords": keep,
                                                 "parent": ""})
    definition, _version = texts.codeframe_definition(corpus.org)
    new = definition["themes"][-1]
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/o/{corpus.org.slug}/settings/themes/#theme-{new['key']}"
    assert "/" not in new["key"] and new["keywords"] == {"zh": keep}
    editor = client.get(accepted["Location"])
    assert 'hx-trigger="every 1s"' in editor.content.decode() and "已添加主题" in _text(editor.content)
    run_tasks()
    assert ThemeHit.objects.filter(org=corpus.org, theme=new["key"]).count() >= 53
    # refused: no keyword, or an unknown parent; nothing saved
    refused = client.post(f"{url}accept/", {"label_terms": "二维码", "parent": ""})
    assert refused.status_code == 400 and "keywords" in _text(refused.content)
    unknown = client.post(f"{url}accept/", {"label_terms": "二维码", "keywords": ["二维码"], "parent": "nope"})
    assert unknown.status_code == 400 and "parent" in _text(unknown.content)
    assert texts.codeframe_definition(corpus.org)[0] == definition
    # a dismissed suggestion stays hidden for this user
    gone = client.post(f"{url}dismiss/", {"signature": qr.signature,
                                          "query": f"since={SINCE}&until={UNTIL}&scope=all&evil=1"})
    assert gone.status_code == 302 and gone["Location"] == f"{url}?since={SINCE}&until={UNTIL}&scope=all"
    again = client.get(gone["Location"])
    assert all(s.signature != qr.signature for s in again.context["result"].suggestions)
    assert again.context["result"].dismissed == 1


# --- the demo's export defect ---------------------------------------------------------------------------------------

DEMO_TODAY = date(2025, 6, 15)


@pytest.fixture(scope="module")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Organization]:
    from cxloop.demo import content
    from cxloop.demo.generator import generate

    with django_db_blocker.unblock():
        with transaction.atomic():
            org = Organization.objects.create(name="云启科技 CloudLaunch", slug="discovery-demo-test")
            generate(org=org, size="tiny", seed=7, today=DEMO_TODAY)
        try:
            yield org
        finally:
            Response.objects.filter(org=org).delete()
            Organization.objects.filter(pk=org.pk).delete()
            User.objects.filter(email__endswith=f"@{content.EMAIL_DOMAIN}", memberships__isnull=True).delete()


def test_the_demo_export_defect_surfaces_as_a_significant_spike(small_demo: Organization) -> None:
    from cxloop.demo.timeline import DEFECT_MONTH, build_timeline

    timeline = build_timeline(DEMO_TODAY)
    since, until = timeline.months[DEFECT_MONTH - 1].start, timeline.months[DEFECT_MONTH].end  # months 18–19
    result = discovery.discover_themes(small_demo, since=since, until=until, scope="all", language="zh-hans")
    export = [s for s in result.suggestions if "导出" in s.keywords[:3]]
    assert export, [s.label_terms for s in result.suggestions]
    best = max(export, key=lambda s: s.growth.comparison.difference or 0)
    assert best.growth.rising and best.growth.comparison.p_value is not None
    assert best.growth.comparison.p_value < 0.001
    assert any(o.key == "product/export" for o in best.overlaps)
    assert any("导出" in q or "導出" in q or "匯出" in q for q in best.quotes)
