"""The survey builder: pure edits (core.survey_edit) and the form-driven pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.test_respond import TWO_PAGES

from cxloop.core import survey_edit, survey_spec


def _keys(d: dict[str, Any]) -> list[list[str]]:
    return [[q["key"] for q in p["questions"]] for p in d["pages"]]


def test_moves_cross_page_edges_and_edits_are_pure() -> None:
    d = TWO_PAGES
    moved = survey_edit.move_question(d, key="reason", step=-1)
    assert _keys(moved) == [["nps", "reason"], ["channels"]] and _keys(d) == [["nps"], ["reason", "channels"]]
    assert _keys(survey_edit.move_question(d, key="reason", step=1)) == [["nps"], ["channels", "reason"]]
    with pytest.raises(survey_edit.EditError, match="start"):
        survey_edit.move_question(d, key="nps", step=-1)
    with pytest.raises(survey_edit.EditError, match="no question"):
        survey_edit.delete_question(d, key="zzz")
    with pytest.raises(survey_edit.EditError, match="empty page"):
        survey_edit.delete_page(d, index=0)
    opts = survey_edit.parse_options("phone | 电话 | 電話 | Phone\nchat | 在线", ("zh-hans", "zh-hant", "en"))
    assert opts[1] == {"key": "chat", "text": {"zh-hans": "在线", "zh-hant": "在线", "en": "在线"}}
    assert survey_edit.parse_options(survey_edit.format_options(opts, ("zh-hans", "zh-hant", "en")),
                                     ("zh-hans", "zh-hant", "en")) == opts
    survey_spec.parse(survey_edit.update_question(d, key="nps", changes={"required": False}))


@pytest.mark.django_db
def test_builder_pages(tenant_a: Any) -> None:
    from cxloop.surveys import services

    survey = services.create_survey(org=tenant_a.org, name="Build me", definition=TWO_PAGES)
    owner = Client()
    owner.force_login(tenant_a.owner)
    url = f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/builder/"
    assert "channels" in owner.get(url).content.decode()
    r = owner.post(url, {"op": "add_question", "page": "1", "type": "single_choice", "key": "plan",
                         "required": "on", "text_zh_hans": "您使用哪个版本？", "text_en": "Which plan?",
                         "options": "basic | 基础版 | 基礎版 | Basic\npro | 专业版 | 專業版 | Pro"})
    html = r.content.decode()
    assert r.status_code == 302, html[html.find("card-error"):][:600]
    survey.refresh_from_db()
    assert _keys(survey.draft) == [["nps"], ["reason", "channels", "plan"]]
    owner.post(url, {"op": "up", "key": "plan"})
    owner.post(url, {"op": "delete", "key": "channels"})
    survey.refresh_from_db()
    assert _keys(survey.draft) == [["nps"], ["reason", "plan"]]
    # A duplicate key is refused with the problem shown, and nothing changes.
    dup = owner.post(url, {"op": "add_question", "page": "0", "type": "nps", "key": "plan",
                           "text_en": "Again?"})
    assert dup.status_code == 200 and "plan" in dup.content.decode() and 'role="alert"' in dup.content.decode()
    survey.refresh_from_db()
    assert _keys(survey.draft) == [["nps"], ["reason", "plan"]]
    # Edit a question: its text and move it to page 1.
    edit = f"{url}plan/"
    assert "专业版" in owner.get(edit).content.decode()
    r = owner.post(edit, {"page": "0", "type": "single_choice", "key": "plan", "text_zh_hans": "您的版本？",
                          "text_en": "Your plan?", "options": "basic | 基础版 | 基礎版 | Basic"})
    assert r.status_code == 200 and "options" in r.content.decode()  # one option is too few: refused
    r = owner.post(edit, {"page": "0", "type": "single_choice", "key": "plan", "text_zh_hans": "您的版本？",
                          "text_en": "Your plan?", "options": "basic | 基础版 | 基礎版 | Basic\nteam | 团队版"})
    assert r.status_code == 302
    survey.refresh_from_db()
    assert _keys(survey.draft) == [["nps", "plan"], ["reason"]]
    plan = survey.draft["pages"][0]["questions"][1]
    assert plan["text"]["zh-hans"] == "您的版本？" and [o["key"] for o in plan["options"]] == ["basic", "team"]
    r = owner.post(url, {"op": "add_question", "page": "2", "type": "yes_no", "key": "again",
                         "text_zh_hans": "您还愿意再填写吗？", "text_en": "Would you answer again?"})
    assert r.status_code == 302
    survey.refresh_from_db()
    assert _keys(survey.draft) == [["nps", "plan"], ["reason"], ["again"]]
    assert owner.get(f"{url}nope/").status_code == 404
    viewer = Client()
    viewer.force_login(tenant_a.viewer)
    assert viewer.get(url).status_code == 200
    assert viewer.post(url, {"op": "delete", "key": "plan"}).status_code == 403
