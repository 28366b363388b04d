"""The respondent's pages, driven as plain HTML forms (no JavaScript): public link, personal link,
multi-page with partial save and resume, Back, display logic on the page, double submit,
closed/invalid/answered pages, unsubscribe, the widget's contact."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TWO_PAGES: dict[str, Any] = {
    "title": {"zh-hans": "产品体验调研", "zh-hant": "產品體驗調研", "en": "Product experience"},
    "default_language": "zh-hans",
    "languages": ["zh-hans", "zh-hant", "en"],
    "embedded": [{"key": "store", "source": "link"}],
    "thank_you": {"zh-hans": "感谢您的反馈！", "zh-hant": "感謝您的回饋！", "en": "Thanks for your feedback!"},
    "pages": [
        {"key": "score", "title": {"en": "Score"}, "questions": [
            {"key": "nps", "type": "nps", "required": True,
             "text": {"zh-hans": "您有多大可能向同事推荐我们？", "zh-hant": "您有多大可能向同事推薦我們？",
                      "en": "How likely are you to recommend us to a colleague?"}},
        ]},
        {"key": "why", "title": {"en": "Why"}, "questions": [
            {"key": "reason", "type": "open_text", "required": True,
             "text": {"zh-hans": "您打{{answer:nps}}分的主要原因是什么？",
                      "zh-hant": "您打{{answer:nps}}分的主要原因是什麼？",
                      "en": "What is the main reason for your score of {{answer:nps}}?"}},
            {"key": "channels", "type": "multi_choice",
             "text": {"zh-hans": "您通过哪些渠道联系过我们？", "zh-hant": "您透過哪些管道聯絡過我們？",
                      "en": "How did you contact us?"},
             "options": [{"key": "phone", "text": {"zh-hans": "电话", "zh-hant": "電話", "en": "Phone"}},
                         {"key": "chat", "text": {"zh-hans": "在线客服", "zh-hant": "線上客服", "en": "Chat"}}]},
        ]},
    ],
}


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Product NPS", definition=TWO_PAGES, touchpoint="in_app")
    services.publish(survey=s)
    return s


def test_public_link_two_pages_partial_then_resume(survey: Any) -> None:
    from cxloop.surveys.models import Answer, Response

    client = Client()
    page = client.get(f"/s/{survey.slug}/?store=SH01&lang=zh-hant")
    assert page.status_code == 200
    html = page.content.decode()
    assert "您有多大可能向同事推薦我們？" in html and 'lang="zh-hant"' in html
    ctx = re.search(r'name="ctx" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    first = client.post(f"/s/{survey.slug}/", {"page": "0", "ctx": ctx, "nps": "6"})
    assert first.status_code == 302
    response = Response.objects.get(survey=survey)
    assert response.status == "partial" and response.embedded == {"store": "SH01"}
    assert response.touchpoint == "in_app" and response.version.number == 1  # type: ignore[union-attr]
    # The respondent leaves and comes back with the same link: the same response resumes on page 2.
    again = client.get(f"/s/{survey.slug}/?store=SH01")
    text = again.content.decode()
    assert "您打6分的主要原因是什麼？" in text  # piped answer, language remembered
    ctx2 = re.search(r'name="ctx" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    done = client.post(f"/s/{survey.slug}/", {"page": "1", "ctx": ctx2, "reason": "導出報表太慢",
                                              "channels": ["phone", "chat"]})
    assert done.status_code == 302 and "/thanks/" in done["Location"]
    assert Response.objects.filter(survey=survey).count() == 1
    response.refresh_from_db()
    assert response.status == "complete" and response.duration_seconds is not None
    rows = {a.question_key: (a.number, a.choices, a.text) for a in Answer.objects.filter(response=response)}
    assert rows == {"nps": (6.0, [], ""), "reason": (None, [], "導出報表太慢"),
                    "channels": (None, ["phone", "chat"], "")}
    # Double submit of the last page changes nothing.
    twice = client.post(f"/s/{survey.slug}/", {"page": "1", "ctx": ctx2, "reason": "again"})
    assert twice.status_code == 302 and "/thanks/" in twice["Location"]
    assert Response.objects.filter(survey=survey).count() == 1
    assert Answer.objects.get(response=response, question_key="reason").text == "導出報表太慢"
    # A new visit may skip nothing: page 2 first is refused.
    fresh = Client().post(f"/s/{survey.slug}/", {"page": "1", "reason": "skip ahead"})
    assert fresh.status_code == 422 and Response.objects.filter(survey=survey).count() == 1
    thanks = client.get(done["Location"])
    assert "感謝您的回饋！" in thanks.content.decode()


def test_missing_required_answer_shows_errors_and_stores_nothing(survey: Any) -> None:
    from cxloop.surveys.models import Response

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(f"/s/{survey.slug}/")
    ctx = re.search(r'name="ctx" value="([^"]+)"', page.content.decode()).group(1)  # type: ignore[union-attr]
    bad = client.post(f"/s/{survey.slug}/", {"page": "0", "ctx": ctx})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'role="alert"' in html and 'aria-describedby="e-nps"' in html
    worse = client.post(f"/s/{survey.slug}/", {"page": "0", "ctx": ctx, "nps": "11"})
    assert worse.status_code == 422 and "11" in worse.content.decode()
    assert Response.objects.count() == 0


def test_personal_link_funnel_and_one_response_per_token(tenant_a: Any, survey: Any) -> None:
    from cxloop.surveys import invitations
    from cxloop.surveys.models import Response

    result = invitations.invite(survey=survey, contact_data={"external_id": "c-9", "name": "陳小姐",
                                                             "language": "zh-hant"}, touchpoint="support")
    assert result.invitation is not None and result.link
    path = "/" + result.link.split("/", 3)[3]
    client = Client()
    assert "您有多大可能向同事推薦我們？" in client.get(path).content.decode()  # the contact's language
    client.post(path, {"page": "0", "nps": "10"})
    client.post(path, {"page": "1", "reason": "很好"})
    inv = result.invitation
    inv.refresh_from_db()
    assert inv.opened_at and inv.started_at and inv.completed_at
    response = Response.objects.get(invitation=inv)
    assert response.contact.external_id == "c-9" and response.touchpoint == "support"  # type: ignore[union-attr]
    answered = client.get(path)
    assert answered.status_code == 200 and "Already answered" in answered.content.decode()
    assert client.post(path, {"page": "0", "nps": "1"}).status_code == 200
    assert Response.objects.filter(invitation=inv).count() == 1


def test_closed_draft_and_unknown(survey: Any, tenant_a: Any) -> None:
    from cxloop.surveys import services

    client = Client()
    assert client.get("/s/nope/").status_code == 404
    assert client.get("/r/not-a-token/").status_code == 404
    draft = services.create_survey(org=tenant_a.org, name="Draft", definition=TWO_PAGES)
    assert client.get(f"/s/{draft.slug}/").status_code == 404
    services.close(survey=survey)
    closed = client.get(f"/s/{survey.slug}/")
    assert closed.status_code == 410


def test_frequency_cap_and_unsubscribe(tenant_a: Any, survey: Any) -> None:
    from cxloop.surveys import invitations

    first = invitations.invite(survey=survey, contact_data={"external_id": "x", "email": "x@example.com"})
    assert first.invitation is not None
    second = invitations.invite(survey=survey, contact_data={"external_id": "x"})
    assert second.invitation is None and second.suppressed and "frequency cap" in second.suppressed
    contact = first.invitation.contact
    link = invitations.unsubscribe_link(contact)
    path = "/" + link.split("/", 3)[3]
    client = Client()
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    third = invitations.invite(survey=survey, contact=contact, send="email", ignore_cap=True)
    assert third.invitation is None and third.suppressed and third.suppressed.startswith("unsubscribed")
    assert Client().get("/u/forged-token/").status_code == 404


def test_survey_pages_are_embeddable_but_app_pages_are_not(survey: Any) -> None:
    page = Client().get(f"/s/{survey.slug}/")
    assert "X-Frame-Options" not in page
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    assert "<script>" not in page.content.decode()
    brand = Client().get(f"/s/{survey.slug}/brand.css")
    assert brand.content.decode().strip() == ":root{--brand:#0b5cad;}"


# --- Back, display logic on the page, the widget's contact -----------------------------------------------

LOGIC: dict[str, Any] = {
    "title": {"zh-hans": "服务回访", "zh-hant": "服務回訪", "en": "Service follow-up"},
    "default_language": "en",
    "languages": ["zh-hans", "zh-hant", "en"],
    "embedded": [{"key": "tier", "source": "link"}],
    "pages": [
        {"key": "score", "questions": [
            {"key": "nps", "type": "nps", "required": True, "text": {"en": "How likely are you to recommend us?",
                                                                    "zh-hant": "您有多大可能推薦我們？"}},
            {"key": "low", "type": "open_text", "required": True, "display_if": {"question": "nps", "op": "lte",
                                                                                 "value": 6},
             "text": {"en": "What went wrong?", "zh-hant": "哪裡出了問題？"}},
            {"key": "high", "type": "open_text", "display_if": {"question": "nps", "op": "gte", "value": 9},
             "text": {"en": "What did you like most?", "zh-hant": "您最喜歡什麼？"}},
            {"key": "vip", "type": "yes_no", "display_if": {"all": [{"embedded": "tier", "op": "eq", "value": "gold"},
                                                                    {"question": "nps", "op": "lte", "value": 6}]},
             "text": {"en": "May your account manager call you?", "zh-hant": "客戶經理可以致電給您嗎？"}},
        ], "skip": [{"if": {"question": "nps", "op": "gte", "value": 9}, "to": "extra"}]},
        {"key": "fix", "questions": [
            {"key": "fix", "type": "open_text", "required": True, "text": {"en": "What should we fix first?",
                                                                           "zh-hant": "我們應先改善什麼？"}},
        ]},
        {"key": "extra", "questions": [
            {"key": "channels", "type": "multi_choice", "text": {"en": "Where did you hear of us?",
                                                                 "zh-hant": "您從哪裡得知我們？"},
             "options": [{"key": "friend", "text": {"en": "A friend", "zh-hant": "朋友"}},
                         {"key": "ad", "text": {"en": "An advert", "zh-hant": "廣告"}},
                         {"key": "other", "text": {"en": "Elsewhere", "zh-hant": "其他"}}]},
            {"key": "where", "type": "open_text", "required": True, "multiline": False,
             "display_if": {"question": "channels", "op": "contains", "value": "other"},
             "text": {"en": "Where exactly?", "zh-hant": "具體是哪裡？"}},
        ]},
    ],
}


@pytest.fixture
def logic_survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Follow-up", definition=LOGIC, touchpoint="support")
    services.publish(survey=s)
    return s


def _ctx(html: str) -> str:
    return re.search(r'name="ctx" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _answers(response: Any) -> dict[str, Any]:
    from cxloop.surveys.models import Answer

    return {a.question_key: a.number if a.number is not None else (a.choices or a.text)
            for a in Answer.objects.filter(response=response)}


def test_back_keeps_what_was_typed_and_creates_no_second_response(survey: Any) -> None:
    from cxloop.surveys.models import Response

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    first = client.get(f"/s/{survey.slug}/?store=SH01&lang=en").content.decode()
    assert 'value="back"' not in first  # no Back on the first page
    client.post(f"/s/{survey.slug}/", {"page": "0", "ctx": _ctx(first), "nps": "6"})
    second = client.get(f"/s/{survey.slug}/?lang=en").content.decode()
    assert 'name="nav" value="back"' in second and ">Back</button>" in second
    # Back with a required answer still empty (channels) and one typed: no error, nothing lost.
    back = client.post(f"/s/{survey.slug}/", {"page": "1", "ctx": _ctx(second), "nav": "back",
                                              "reason": "報表匯出太慢"})
    assert back.status_code == 302 and "page=0" in back["Location"]
    response = Response.objects.get(survey=survey)
    assert response.status == "partial" and _answers(response) == {"nps": 6.0, "reason": "報表匯出太慢"}
    previous = client.get(back["Location"]).content.decode()
    assert re.search(r'name="nps" value="6" checked', previous)  # the saved answer is filled in
    assert "Page 1 of 2" in previous
    # A changed answer on page 1, then forward: page 2 shows what was typed there, piped with the new score.
    client.post(f"/s/{survey.slug}/", {"page": "0", "ctx": _ctx(previous), "nps": "8"})
    again = client.get(f"/s/{survey.slug}/?lang=en").content.decode()
    assert "your score of 8?" in again and "報表匯出太慢</textarea>" in again
    # Back without anything typed, even with a required answer empty, is no error either.
    assert client.post(f"/s/{survey.slug}/", {"page": "1", "ctx": _ctx(again), "nav": "back",
                                              "reason": ""}).status_code == 302
    assert "reason" not in _answers(response)
    done = client.post(f"/s/{survey.slug}/", {"page": "1", "ctx": _ctx(again), "reason": "OK"})
    assert done.status_code == 302 and "/thanks/" in done["Location"]
    assert Response.objects.filter(survey=survey).count() == 1
    response.refresh_from_db()
    assert response.status == "complete" and _answers(response) == {"nps": 8.0, "reason": "OK"}
    assert response.embedded == {"store": "SH01"}


def test_back_on_a_personal_link_and_an_invalid_value_is_left_out(survey: Any) -> None:
    from cxloop.surveys import invitations
    from cxloop.surveys.models import Response

    result = invitations.invite(survey=survey, contact_data={"external_id": "c-back", "language": "en"})
    assert result.link
    path = "/" + result.link.split("/", 3)[3]
    client = Client()
    client.post(path, {"page": "0", "nps": "3"})
    back = client.post(path, {"page": "1", "nav": "back", "reason": "slow", "channels": ["phone", "fax"]})
    assert back.status_code == 302 and back["Location"].startswith(path) and "page=0" in back["Location"]
    response = Response.objects.get(invitation=result.invitation)
    assert _answers(response) == {"nps": 3.0, "reason": "slow"}  # "fax" is no option: channels left out
    page = client.get(back["Location"]).content.decode()
    assert re.search(r'name="nps" value="3" checked', page)
    # A page that does not exist (or lies beyond the respondent's) shows the page they are on.
    ahead = client.get(path + "?page=5&lang=en").content.decode()
    assert "What is the main reason for your score of 3?" in ahead and "slow</textarea>" in ahead
    assert Response.objects.filter(invitation=result.invitation).count() == 1


def test_back_goes_to_the_page_the_skip_logic_showed(logic_survey: Any) -> None:
    client = Client()
    start = client.get(f"/s/{logic_survey.slug}/?lang=en").content.decode()
    client.post(f"/s/{logic_survey.slug}/", {"page": "0", "ctx": _ctx(start), "nps": "10", "high": "Speed"})
    extra = client.get(f"/s/{logic_survey.slug}/?lang=en").content.decode()
    assert "Where did you hear of us?" in extra and "Page 2 of 2" in extra  # page "fix" skipped
    back = client.post(f"/s/{logic_survey.slug}/", {"page": "2", "ctx": _ctx(extra), "nav": "back"})
    assert "page=0" in back["Location"]  # not page 1, which the respondent never saw
    shown = client.get(back["Location"]).content.decode()
    assert re.search(r'name="nps" value="10" checked', shown) and "Speed</textarea>" in shown
    # A lower score now: the fix page comes next, and Back from it leads to page 1 again.
    client.post(f"/s/{logic_survey.slug}/", {"page": "0", "ctx": _ctx(shown), "nps": "4", "low": "Late",
                                             "high": "Speed"})
    fix = client.get(f"/s/{logic_survey.slug}/?lang=en").content.decode()
    assert "What should we fix first?" in fix
    assert "page=0" in client.post(f"/s/{logic_survey.slug}/", {"page": "1", "ctx": _ctx(fix),
                                                                 "nav": "back"})["Location"]
    # ?page= may only name a page this respondent reached: page 2 is now beyond where they are.
    assert "What should we fix first?" in client.get(f"/s/{logic_survey.slug}/?lang=en&page=2").content.decode()


def test_same_page_conditions_without_javascript(logic_survey: Any) -> None:
    import json

    from cxloop.surveys.models import Response

    client = Client()
    html = client.get(f"/s/{logic_survey.slug}/?lang=en&tier=gold").content.decode()
    # Every question whose condition depends on this page is on the form (marked, explained without script).
    for text in ("What went wrong?", "What did you like most?", "May your account manager call you?"):
        assert text in html
    assert html.count("data-live") == 3 and html.count('class="r-cond"') == 3
    logic = json.loads(re.search(r'<script id="r-logic" type="application/json">(.*?)</script>', html,
                                 re.S).group(1))  # type: ignore[union-attr]
    assert set(logic["live"]) == {"low", "high", "vip"} and logic["inputs"] == {"nps": {"kind": "number"}}
    # The embedded part was decided on the server: only the same-page comparison reaches the page.
    assert logic["live"]["vip"] == {"q": "nps", "i": "", "op": "lte", "v": [{"n": 6.0, "s": "6", "t": None}],
                                    "text": False}
    assert "gold" not in json.dumps(logic)
    # Another tier: the question whose condition is already false is not on the page at all.
    silver = Client().get(f"/s/{logic_survey.slug}/?lang=en&tier=silver").content.decode()
    assert "May your account manager call you?" not in silver and silver.count("data-live") == 2
    # A hidden required question does not block, and what was typed into a hidden one is dropped.
    ok = client.post(f"/s/{logic_survey.slug}/", {"page": "0", "ctx": _ctx(html), "nps": "9", "low": "",
                                                  "high": "Quick", "vip": "yes"})
    assert ok.status_code == 302
    response = Response.objects.get(survey=logic_survey)
    assert _answers(response) == {"nps": 9.0, "high": "Quick"}
    # The same page with a low score: the required question now applies.
    other = Client()
    page = other.get(f"/s/{logic_survey.slug}/?lang=en").content.decode()
    bad = other.post(f"/s/{logic_survey.slug}/", {"page": "0", "ctx": _ctx(page), "nps": "2", "high": "x"})
    assert bad.status_code == 422 and 'aria-describedby="e-low"' in bad.content.decode()
    good = other.post(f"/s/{logic_survey.slug}/", {"page": "0", "ctx": _ctx(page), "nps": "2", "low": "Slow",
                                                   "high": "x"})
    assert good.status_code == 302
    assert _answers(Response.objects.exclude(pk=response.pk).get()) == {"nps": 2.0, "low": "Slow"}


def test_widget_response_is_filed_under_the_site_users_contact(tenant_a: Any, survey: Any) -> None:
    from cxloop.customers.models import Contact
    from cxloop.surveys.models import Response

    known = Contact.objects.create(org=tenant_a.org, external_id="site-7", name="林小姐", email="lin@example.com")

    def answer(uid: str, nps: str) -> Any:
        client = Client()
        html = client.get(f"/s/{survey.slug}/?via=widget&uid={uid}&attr.plan=pro&lang=en").content.decode()
        client.post(f"/s/{survey.slug}/", {"page": "0", "ctx": _ctx(html), "nps": nps})
        return Response.objects.filter(survey=survey).order_by("-pk").first()

    first = answer("site-7", "9")
    assert first.contact_id == known.pk and first.channel == "widget"
    assert first.embedded == {"site_user_id": "site-7", "site_plan": "pro"}
    known.refresh_from_db()
    assert known.name == "林小姐" and known.email == "lin@example.com" and known.attributes == {}  # unchanged
    new = answer("u-42", "3")
    contact = Contact.objects.get(org=tenant_a.org, external_id="u-42")
    assert new.contact_id == contact.pk and contact.name == "u-42"
    again = answer("u-42", "5")
    assert again.contact_id == contact.pk and Contact.objects.filter(external_id="u-42").count() == 1
    # Without the widget, or without a user id, no contact is made up.
    plain = Client()
    html = plain.get(f"/s/{survey.slug}/?uid=u-99&lang=en").content.decode()
    plain.post(f"/s/{survey.slug}/", {"page": "0", "ctx": _ctx(html), "nps": "7"})
    assert Response.objects.order_by("-pk").first().contact_id is None  # type: ignore[union-attr]
    assert not Contact.objects.filter(external_id="u-99").exists()
    # The survey's responses list names the contact.
    staff = Client()
    staff.force_login(tenant_a.owner)
    listing = staff.get(f"/o/{tenant_a.org.slug}/surveys/{survey.pk}/").content.decode()
    assert "u-42" in listing and "林小姐" in listing
