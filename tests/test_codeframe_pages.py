"""Settings → Themes on a real database: the codeframe editor (tree with counts, labels in three scripts, keywords
and exclusions) for the owner in Chinese and English, read-only for members and viewers (403 on every change);
adding, editing, moving, deleting a theme and editing the codeframe as JSON, each saved through
``texts.services.save_codeframe`` with a re-theming job that the worker runs (``run_tasks``) and whose progress
fragment htmx polls; bad input is a 4xx naming the field and its JSON path, with nothing saved; another
organisation's user gets 404 on every URL."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from tests.conftest import run_tasks

from cxloop.cases import intake
from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.orgs.models import AuditEvent
from cxloop.surveys import services as surveys
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
COMMENTS = ["导出报表一直失败", "The CSV export keeps failing", "快递包装破损，纸箱压坏了", "包装太简陋",
            "客服回复很快，非常满意", "价格有点贵"]


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _text(html: bytes | str) -> str:
    raw = html.decode() if isinstance(html, bytes) else html
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


def _url(tenant: Any, rest: str = "") -> str:
    return f"/o/{tenant.org.slug}/settings/themes/{rest}"


@pytest.fixture
def commented(tenant_a: Any) -> list[int]:
    survey = surveys.create_survey(org=tenant_a.org, name="After support", definition=DEFINITION)
    surveys.publish(survey=survey)
    ids = []
    for comment in COMMENTS:
        rec = surveys.record_response(survey=survey, submission=surveys.Submission(answers={"csat": 2, "why": comment}))
        assert rec.response_id is not None
        ids.append(rec.response_id)
    intake.drain()
    return ids


def _definition(tenant: Any) -> dict[str, Any]:
    return texts.codeframe_definition(tenant.org)[0]


def _theme(tenant: Any, key: str) -> dict[str, Any] | None:
    return next((t for t in _definition(tenant)["themes"] if t["key"] == key), None)


def _form(parent: str = "", slug: str = "packaging", **more: str) -> dict[str, str]:
    data = {"parent": parent, "slug": slug, "label_zh_hans": "包装", "label_zh_hant": "包裝", "label_en": "Packaging",
            "keywords_zh": "包装\n纸箱", "keywords_en": "packaging, box*", "exclude_zh": "", "exclude_en": "",
            "description": "Boxes and wrapping"}
    data.update(more)
    return data


# --- the editor ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "words"), [
    ("zh-hans", ["主题", "导出", "产品 · 產品 · Product", "标记 2 条评论", "添加主题", "发现新主题",
                 "恢复默认主题框架"]),
    ("en", ["Themes (codeframe)", "Export", "产品 · 產品 · Product", "Tags 2 comments", "Add a theme",
            "Suggest themes", "Restore the default codeframe"]),
])
def test_the_editor_shows_the_tree_with_counts(tenant_a: Any, commented: list[int], language: str,
                                               words: list[str]) -> None:
    response = _client(tenant_a.owner, language).get(_url(tenant_a))
    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    for word in words:
        assert word in text, word
    assert 'style="' not in html and "<script>" not in html
    nodes = response.context["nodes"]
    assert [n.theme.key for n in nodes] == ["product", "service", "price", "delivery"]
    export = next(c for c in nodes[0].children if c.theme.key == "product/export")
    assert export.count == ThemeHit.objects.filter(org=tenant_a.org, theme="product/export").count() == 2
    assert nodes[0].count == ThemeHit.objects.filter(org=tenant_a.org, theme="product").count()
    assert "导出失败" in text and "export" in text  # keywords in both languages


def test_members_and_viewers_read_but_cannot_change(tenant_a: Any, commented: list[int]) -> None:
    before = _definition(tenant_a)
    for user in (tenant_a.member, tenant_a.viewer):
        client = _client(user)
        page = client.get(_url(tenant_a))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Only admins and owners can change the themes." in _text(html)
        assert "settings/themes/add/" not in html and "settings/themes/delete/" not in html
        assert client.get(_url(tenant_a, "json/")).status_code == 200  # view as JSON
        assert client.get(_url(tenant_a, "progress/")).status_code == 200
        assert client.get(_url(tenant_a, "discover/")).status_code == 200
        assert client.get(_url(tenant_a, "add/")).status_code == 403
        assert client.get(_url(tenant_a, "edit/?key=price")).status_code == 403
        for rest, data in [("", _form()), ("add/", _form()), ("edit/?key=price", _form(slug="price")),
                           ("delete/", {"key": "price"}), ("json/", {"definition": json.dumps(DEFAULT_CODEFRAME)}),
                           ("default/", {}), ("discover/accept/", {"label_terms": "包装", "keywords": ["包装"]}),
                           ("discover/dismiss/", {"signature": "x"})]:
            assert client.post(_url(tenant_a, rest), data).status_code == 403, rest
    assert _definition(tenant_a) == before and not RethemeJob.objects.filter(org=tenant_a.org).exists()


# --- changing the codeframe ---------------------------------------------------------------------------------------


def test_adding_a_theme_saves_and_rethemes_with_progress(tenant_a: Any, commented: list[int],
                                                         django_capture_on_commit_callbacks: Any) -> None:
    client = _client(tenant_a.owner, "zh-hans")
    form = client.get(_url(tenant_a, "add/?parent=delivery"))
    assert form.status_code == 200 and form.context["form"]["parent"].value() == "delivery"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(tenant_a, "add/"), _form(parent="delivery"))
    assert response.status_code == 302 and response["Location"] == _url(tenant_a) + "#theme-delivery--packaging"
    theme = _theme(tenant_a, "delivery/packaging")
    assert theme == {"key": "delivery/packaging", "label": {"zh-hans": "包装", "zh-hant": "包裝", "en": "Packaging"},
                     "keywords": {"zh": ["包装", "纸箱"], "en": ["packaging", "box*"]},
                     "description": "Boxes and wrapping"}
    keys = [t["key"] for t in _definition(tenant_a)["themes"]]
    assert keys.index("delivery/packaging") == keys.index("delivery") + 1
    job = RethemeJob.objects.get(org=tenant_a.org)
    assert job.status == "queued" and job.total == len(COMMENTS)
    assert AuditEvent.objects.filter(org=tenant_a.org, action="codeframe.saved").count() == 1

    page = client.get(_url(tenant_a))
    html = page.content.decode()
    assert 'hx-get="/o/' in html and 'hx-trigger="every 1s"' in html and "<progress" in html
    assert "包装" in _text(html) and "已添加主题" in _text(html)
    fragment = client.get(_url(tenant_a, "progress/"), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'hx-trigger="every 1s"' in fragment.content.decode()
    assert 'hx-swap-oob' not in fragment.content.decode()  # the counts come when the job has finished

    assert run_tasks() >= 1
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100
    assert ThemeHit.objects.filter(org=tenant_a.org, theme="delivery/packaging").count() == 2
    fragment = client.get(_url(tenant_a, "progress/"), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "hx-trigger" not in html.split('id="codeframe-tree"')[0]  # polling stops
    assert 'id="codeframe-tree" hx-swap-oob="true"' in html  # and the tree with its new counts comes along
    assert "标记 2 条评论" in _text(html) and "100%" in _text(html)


def test_editing_renaming_and_deleting(tenant_a: Any, commented: list[int],
                                       django_capture_on_commit_callbacks: Any) -> None:
    client = _client(tenant_a.owner)
    page = client.get(_url(tenant_a, "edit/?key=product/export"))
    assert page.status_code == 200
    assert page.context["form"]["keywords_zh"].value().startswith("导出\n")
    data = {**page.context["form"].initial, "label_en": "Export & download", "exclude_en": "export control"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url(tenant_a, "edit/?key=product/export"), data).status_code == 302
    theme = _theme(tenant_a, "product/export")
    assert theme is not None and theme["label"]["en"] == "Export & download"
    assert theme["exclude"] == {"en": ["export control"]}

    # moving a group moves its children: "service" becomes "support"
    data = {**client.get(_url(tenant_a, "edit/?key=service")).context["form"].initial, "slug": "support"}
    assert client.post(_url(tenant_a, "edit/?key=service"), data).status_code == 302
    keys = [t["key"] for t in _definition(tenant_a)["themes"]]
    assert "service" not in keys and "support/attitude" in keys and not any(k.startswith("service/") for k in keys)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url(tenant_a, "delete/"), {"key": "support"}).status_code == 302
    keys = [t["key"] for t in _definition(tenant_a)["themes"]]
    assert not any(k == "support" or k.startswith("support/") for k in keys)
    run_tasks()
    assert not ThemeHit.objects.filter(org=tenant_a.org, theme__startswith="service").exists()
    assert client.post(_url(tenant_a, "delete/"), {"key": "nope"}).status_code == 404
    assert client.get(_url(tenant_a, "edit/?key=nope")).status_code == 404
    assert AuditEvent.objects.filter(org=tenant_a.org, action="codeframe.saved").count() == 3


def test_deleting_the_last_child_of_a_group_is_refused(tenant_a: Any) -> None:
    definition = {"version": 1, "themes": [
        {"key": "a", "label": {"zh-hans": "甲", "zh-hant": "甲", "en": "A"}},
        {"key": "a/b", "label": {"zh-hans": "乙", "zh-hant": "乙", "en": "B"}, "keywords": {"zh": ["乙"]}}]}
    texts.save_codeframe(org=tenant_a.org, definition=definition)
    refused = _client(tenant_a.owner, "zh-hans").post(_url(tenant_a, "delete/"), {"key": "a/b"})
    assert refused.status_code == 422
    assert "themes[0].keywords: 没有子主题的主题至少需要一个关键词" in _text(refused.content)
    assert _definition(tenant_a) == definition


@pytest.mark.parametrize(("language", "message"), [
    ("en", "themes[14].keywords.zh[1]: the Chinese term 'csv' has no Chinese character (put it under English)"),
    ("zh-hans", "themes[14].keywords.zh[1]: 中文词 'csv' 不含汉字（请放到英文下）"),
])
def test_a_bad_theme_is_refused_naming_the_field_and_path(tenant_a: Any, language: str, message: str) -> None:
    client = _client(tenant_a.owner, language)
    before = _definition(tenant_a)
    assert len(before["themes"]) == 14
    refused = client.post(_url(tenant_a, "add/"), _form(parent="", keywords_zh="包装\ncsv"))
    assert refused.status_code == 422
    form = refused.context["form"]
    assert form.errors["keywords_zh"] == [message]
    assert message in _text(refused.content)
    blank = client.post(_url(tenant_a, "add/"), _form(slug="Bad Key", label_en=""))
    assert blank.status_code == 422
    assert set(blank.context["form"].errors) == {"slug", "label_en"}
    assert "themes[14].key" in blank.context["form"].errors["slug"][0]  # appended after the 14 default themes
    assert "themes[14].label.en" in blank.context["form"].errors["label_en"][0]
    duplicate = client.post(_url(tenant_a, "add/"), _form(slug="price"))
    assert duplicate.status_code == 422 and "themes[14].key" in duplicate.context["form"].errors["slug"][0]
    assert _definition(tenant_a) == before and not RethemeJob.objects.filter(org=tenant_a.org).exists()


def test_json_edit(tenant_a: Any, commented: list[int], django_capture_on_commit_callbacks: Any) -> None:
    client = _client(tenant_a.owner, "zh-hans")
    page = client.get(_url(tenant_a, "json/"))
    assert page.status_code == 200 and json.loads(page.context["form"]["definition"].value()) == DEFAULT_CODEFRAME
    before = _definition(tenant_a)
    broken = client.post(_url(tenant_a, "json/"), {"definition": '{"themes": ['})
    assert broken.status_code == 422 and "不是有效的 JSON" in _text(broken.content)
    bad = {"version": 1, "themes": [{"key": "x", "label": {"zh-hans": "叉", "zh-hant": "叉"},
                                     "keywords": {"en": ["导出"]}}]}
    refused = client.post(_url(tenant_a, "json/"), {"definition": json.dumps(bad, ensure_ascii=False)})
    assert refused.status_code == 422
    errors = refused.context["form"].errors["definition"]
    assert "themes[0].label.en: 缺少 en 显示名称" in errors
    assert "themes[0].keywords.en[0]: 英文词 '导出' 含有汉字（请放到中文下）" in errors
    assert _definition(tenant_a) == before and not RethemeJob.objects.exists()
    good = {"version": 1, "themes": [{"key": "box", "label": {"zh-hans": "包装", "zh-hant": "包裝", "en": "Box"},
                                      "keywords": {"zh": ["包装"]}}]}
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(_url(tenant_a, "json/"), {"definition": json.dumps(good, ensure_ascii=False)})
    assert saved.status_code == 302 and _definition(tenant_a) == good
    run_tasks()
    assert set(ThemeHit.objects.filter(org=tenant_a.org).values_list("theme", flat=True)) == {"box"}
    assert all(a.codeframe_version == 1 for a in CommentAnalysis.objects.filter(org=tenant_a.org))

    with django_capture_on_commit_callbacks(execute=True):
        restored = client.post(_url(tenant_a, "default/"))
    assert restored.status_code == 302 and _definition(tenant_a) == DEFAULT_CODEFRAME
    run_tasks()
    assert ThemeHit.objects.filter(org=tenant_a.org, theme="product/export").count() == 2
    assert RethemeJob.objects.filter(org=tenant_a.org, status="done").count() == 2


def test_progress_without_a_job(tenant_a: Any) -> None:
    response = _client(tenant_a.viewer).get(_url(tenant_a, "progress/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content.decode().strip() == ""


# --- tenant isolation -----------------------------------------------------------------------------------------------


def test_another_organisation_gets_404_everywhere(tenant_a: Any, tenant_b: Any, commented: list[int]) -> None:
    before = _definition(tenant_a)
    outsider = _client(tenant_b.owner)
    for rest in ("", "progress/", "add/", "add/?parent=product", "edit/?key=price", "json/", "discover/",
                 "discover/?since=2020-01-01&until=2030-01-01&scope=all"):
        assert outsider.get(_url(tenant_a, rest)).status_code == 404, rest
    for rest, data in [("", _form()), ("add/", _form()), ("edit/?key=price", _form(slug="price")),
                       ("delete/", {"key": "price"}), ("json/", {"definition": json.dumps(DEFAULT_CODEFRAME)}),
                       ("default/", {}), ("discover/accept/", {"label_terms": "包装", "keywords": ["包装"]}),
                       ("discover/dismiss/", {"signature": "x"})]:
        assert outsider.post(_url(tenant_a, rest), data).status_code == 404, rest
    assert _definition(tenant_a) == before and not RethemeJob.objects.exists()
    # their own page shows their own codeframe (the default) and no counts from A
    own = outsider.get(_url(tenant_b))
    assert own.status_code == 200 and all(n.count == 0 for n in own.context["nodes"])
