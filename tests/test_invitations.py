"""Personal invitations over a real SMTP server: invitation and reminder in the contact's language,
the link in the mail works, an unsubscribed contact gets nothing, the API-triggered path."""

from __future__ import annotations

import re
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.conftest import run_tasks
from tests.test_respond import TWO_PAGES

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Onboarding", definition=TWO_PAGES, touchpoint="onboarding")
    services.publish(survey=s)
    return s


def _parts(message: Message) -> tuple[str, str, str]:
    subject = str(make_header(decode_header(message["Subject"])))
    text = html = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
    return subject, text, html


def _run_due_tasks() -> None:
    """Make deferred tasks (the reminder) due now, then run the queue."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(run_after__isnull=False).update(run_after=timezone.now() - timedelta(seconds=1))
    run_tasks()


def test_invitation_and_reminder_in_the_contacts_language(
    tenant_a: Any, survey: Any, smtp_server: Any, api_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        r = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/invitations", tenant_a.keys["admin"], {
            "contact": {"external_id": "hk-1", "email": "wong@example.hk", "name": "黃先生", "language": "zh-hant"},
            "embedded": {"store": "HK02"}, "touchpoint": "onboarding", "send": "email"})
    assert r.status_code == 201, r.content
    link = r.json()["link"]
    run_tasks()
    [invitation] = smtp_server.wait_for(1)
    subject, text, html = _parts(invitation)
    assert invitation["To"] == "wong@example.hk"
    assert "產品體驗調研" in subject  # the survey title in Traditional Chinese
    assert "黃先生" in text and link in text and link in html
    assert invitation["List-Unsubscribe"].strip().startswith("<http")
    # The reminder, once, in the same language.
    _run_due_tasks()
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2
    reminder_subject, reminder_text, _ = _parts(messages[1])
    assert "提醒" in reminder_subject and link in reminder_text
    _run_due_tasks()
    assert len(smtp_server.messages) == 2
    # The link in the mail works.
    page = Client().get("/" + link.split("/", 3)[3])
    assert page.status_code == 200 and "您有多大可能向同事推薦我們？" in page.content.decode()


def test_unsubscribed_contact_receives_nothing(tenant_a: Any, survey: Any, smtp_server: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    from cxloop.surveys import invitations

    with django_capture_on_commit_callbacks(execute=True):
        first = invitations.invite(survey=survey, send="email",
                                   contact_data={"external_id": "u1", "email": "u1@example.com", "language": "en"})
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    _, text, _ = _parts(mail)
    unsubscribe_url = re.search(r"http\S+/u/\S+/", text).group(0)  # type: ignore[union-attr]
    assert Client().post("/" + unsubscribe_url.split("/", 3)[3]).status_code == 200
    _run_due_tasks()  # the reminder is due, but the contact has unsubscribed
    assert len(smtp_server.messages) == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = invitations.invite(survey=survey, contact=first.invitation.contact, send="email",  # type: ignore[union-attr]
                                   ignore_cap=True)
    assert again.suppressed and again.invitation is None
    run_tasks()
    assert len(smtp_server.messages) == 1


def test_api_invitation_frequency_cap_says_why(tenant_a: Any, survey: Any, api_client: Any) -> None:
    body = {"contact": {"external_id": "cap-1", "email": "cap@example.com"}, "send": "none"}
    first = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/invitations", tenant_a.keys["admin"], body)
    assert first.status_code == 201 and first.json()["link"].startswith("http")
    second = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/invitations", tenant_a.keys["admin"], body)
    assert second.status_code == 200 and second.json()["link"] is None
    assert "frequency cap" in second.json()["suppressed"] and "30 days" in second.json()["suppressed"]
    bad = api_client.call("POST", f"/api/v1/surveys/{survey.pk}/invitations", tenant_a.keys["admin"],
                          {"contact": {"external_id": "z", "email": "not-an-email"}, "send": "email"})
    assert bad.status_code == 400 and bad.json()["field"] == "contact.email"
