"""The respondent's pages, driven as plain HTML forms (no JavaScript): public link, personal link,
multi-page with partial save and resume, double submit, closed/invalid/answered pages, unsubscribe."""

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
