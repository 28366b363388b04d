"""E-mail that fails is retried, over a real SMTP server (aiosmtpd) whose answers the test scripts: the
server is down (closed port) or says ``451 try later`` for the first attempt and the retry delivers exactly one
mail; a ``550`` recipient refusal is recorded and not retried; a retry or a duplicate task never sends twice;
after five failed attempts the e-mail is given up. Deferred retries are made due by moving ``run_after`` on
the real task rows (``run_tasks_due_within``), not by mocking the clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from django.utils import timezone
from scripts.localnet import free_port
from tests.conftest import run_tasks, run_tasks_due_within
from tests.test_respond import TWO_PAGES

pytestmark = pytest.mark.django_db

SURVEY_TASK = "cxloop.surveys.tasks.send_survey_invitation"
RETRY_WINDOW = timedelta(hours=3)  # longer than any back-off, shorter than the reminder's three days


@dataclass
class ScriptedSmtp:
    """A real SMTP server. ``data_replies`` answer the next DATA commands in order (then ``250``);
    ``refused`` recipients get ``550`` at RCPT; ``down()`` points cxloop at a closed port."""

    port: int
    settings: Any
    messages: list[Message] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    drop_on_quit: bool = False

    def down(self) -> None:
        self.settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused

    def up(self) -> None:
        self.settings.EMAIL_PORT = self.port


@pytest.fixture
def smtp(settings: Any) -> Iterator[ScriptedSmtp]:
    from aiosmtpd.controller import Controller

    server = ScriptedSmtp(port=free_port(), settings=settings)

    class Handler:
        async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if address in server.refused:
                return f"550 5.1.1 <{address}>: no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            if server.data_replies:
                return server.data_replies.pop(0)
            server.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted"

        async def handle_QUIT(self, smtp: Any, session: Any, envelope: Any) -> str:
            if server.drop_on_quit:
                smtp.transport.close()  # the mail was accepted, then the line drops before "221"
            return "221 Bye"

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def survey(tenant_a: Any) -> Any:
    from cxloop.surveys import services

    s = services.create_survey(org=tenant_a.org, name="Onboarding", definition=TWO_PAGES, touchpoint="onboarding")
    services.publish(survey=s)
    return s


def _invite(survey: Any, capture: Any, email: str = "li@example.com") -> Any:
    from cxloop.surveys import invitations

    with capture(execute=True):
        result = invitations.invite(survey=survey, send="email",
                                    contact_data={"external_id": email, "email": email, "language": "en"})
    return result.invitation


def _queued(task_path: str = SURVEY_TASK) -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=task_path, status="READY").order_by("run_after"))


def _assert_deferred_by(task: Any, delay: timedelta) -> None:
    assert abs(task.run_after - (timezone.now() + delay)) < timedelta(seconds=30), task.run_after


def test_server_down_for_the_first_attempt_then_the_retry_delivers_one_mail(
    survey: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    from cxloop.surveys.distributions import funnel

    smtp.down()
    invitation = _invite(survey, django_capture_on_commit_callbacks)
    assert run_tasks() == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is None and invitation.failed_at is None
    assert invitation.send_attempts == 1 and "ConnectionRefusedError" in invitation.last_error
    [retry] = _queued()
    assert retry.args_kwargs["kwargs"] == {"invitation_id": invitation.pk, "reminder": False, "attempt": 2}
    _assert_deferred_by(retry, timedelta(minutes=1))
    [row] = funnel(survey)
    assert (row["sent"], row["retrying"], row["failed"]) == (0, 1, 0)
    assert run_tasks() == 0  # the retry is not due yet

    smtp.up()
    assert run_tasks_due_within(RETRY_WINDOW) == 1
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "li@example.com"
    invitation.refresh_from_db()
    assert invitation.sent_at is not None and invitation.send_attempts == 2
    [row] = funnel(survey)
    assert (row["sent"], row["retrying"], row["failed"]) == (1, 0, 0)
    # Only the reminder (three days out) is left; nothing else sends.
    [reminder] = _queued()
    assert reminder.args_kwargs["kwargs"]["reminder"] is True
    assert run_tasks_due_within(RETRY_WINDOW) == 0 and len(smtp.messages) == 1


def test_451_try_later_then_delivered_and_the_reminder_retries_the_same_way(
    survey: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.data_replies.append("451 4.3.0 try later")
    invitation = _invite(survey, django_capture_on_commit_callbacks)
    run_tasks()
    invitation.refresh_from_db()
    assert invitation.send_attempts == 1 and invitation.last_error == "451 4.3.0 try later"
    assert smtp.messages == []
    run_tasks_due_within(RETRY_WINDOW)
    assert len(smtp.messages) == 1
    # The reminder: its first attempt meets a 451 too, the retry delivers it, once.
    smtp.data_replies.append("451 4.7.1 greylisted, try later")
    run_tasks_due_within(timedelta(days=4))
    invitation.refresh_from_db()
    assert invitation.reminded_at is None and invitation.reminder_attempts == 1
    assert invitation.last_error.startswith("451 4.7.1")
    [retry] = _queued()
    assert retry.args_kwargs["kwargs"] == {"invitation_id": invitation.pk, "reminder": True, "attempt": 2}
    _assert_deferred_by(retry, timedelta(minutes=1))
    run_tasks_due_within(RETRY_WINDOW)
    invitation.refresh_from_db()
    assert invitation.reminded_at is not None and invitation.reminder_attempts == 2
    assert len(smtp.messages) == 2 and "Reminder" in smtp.messages[1]["Subject"]
    assert _queued() == [] and run_tasks_due_within(timedelta(days=30)) == 0 and len(smtp.messages) == 2


def test_550_recipient_refused_is_recorded_and_not_retried(
    survey: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    from cxloop.surveys.distributions import failed_sends, funnel

    smtp.refused.add("nobody@example.com")
    invitation = _invite(survey, django_capture_on_commit_callbacks, email="nobody@example.com")
    _invite(survey, django_capture_on_commit_callbacks, email="ok@example.com")
    run_tasks()
    invitation.refresh_from_db()
    assert invitation.failed_at is not None and invitation.sent_at is None and invitation.send_attempts == 1
    assert invitation.last_error.startswith("550 5.1.1") and "nobody@example.com" in invitation.last_error
    assert [m["To"] for m in smtp.messages] == ["ok@example.com"]
    [reminder] = _queued()  # the delivered one's reminder; no retry for the refused one
    assert reminder.args_kwargs["kwargs"]["invitation_id"] != invitation.pk
    [row] = funnel(survey)
    assert (row["created"], row["sent"], row["failed"], row["retrying"]) == (2, 1, 1, 0)
    assert [i.pk for i in failed_sends(survey)] == [invitation.pk]
    # Even a stray task for it sends nothing: the e-mail was given up.
    from cxloop.surveys.tasks import send_survey_invitation

    assert send_survey_invitation.call(invitation_id=invitation.pk, attempt=2) == "given up"
    assert len(smtp.messages) == 1


def test_a_retry_or_a_duplicate_task_never_sends_twice(
    survey: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    from cxloop.surveys.tasks import send_survey_invitation

    invitation = _invite(survey, django_capture_on_commit_callbacks)
    # The same task enqueued twice (a double click, a replayed queue): the second finds attempt 1 taken.
    send_survey_invitation.enqueue(invitation_id=invitation.pk)
    run_tasks()
    assert len(smtp.messages) == 1
    # A late retry of the invitation after it went out, and a stale attempt number: both skip.
    assert send_survey_invitation.call(invitation_id=invitation.pk, attempt=2) == "already sent"
    invitation.refresh_from_db()
    assert invitation.send_attempts == 1 and invitation.sent_at is not None
    # The reminder, sent once, then a duplicate reminder task.
    run_tasks_due_within(timedelta(days=4))
    assert len(smtp.messages) == 2
    assert send_survey_invitation.call(invitation_id=invitation.pk, reminder=True) == "already reminded"
    assert send_survey_invitation.call(invitation_id=invitation.pk, reminder=True, attempt=2) == "already reminded"
    assert len(smtp.messages) == 2


def test_a_line_dropped_after_the_server_accepted_counts_as_sent(
    survey: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    smtp.drop_on_quit = True
    invitation = _invite(survey, django_capture_on_commit_callbacks)
    run_tasks()
    invitation.refresh_from_db()
    assert len(smtp.messages) == 1 and invitation.sent_at is not None and invitation.last_error == ""
    assert [t.args_kwargs["kwargs"]["reminder"] for t in _queued()] == [True]  # no retry queued


def test_five_failed_attempts_with_back_off_then_given_up(
    survey: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    from cxloop.orgs.tasks import MAX_ATTEMPTS, RETRY_DELAYS
    from cxloop.surveys.distributions import funnel

    assert MAX_ATTEMPTS == 5
    assert [d.total_seconds() for d in RETRY_DELAYS] == [60, 5 * 60, 30 * 60, 2 * 3600]
    smtp.down()
    invitation = _invite(survey, django_capture_on_commit_callbacks)
    run_tasks()
    for attempt, delay in enumerate(RETRY_DELAYS, start=2):
        [retry] = _queued()
        assert retry.args_kwargs["kwargs"]["attempt"] == attempt
        _assert_deferred_by(retry, delay)
        run_tasks_due_within(RETRY_WINDOW)
    invitation.refresh_from_db()
    assert invitation.send_attempts == 5 and invitation.failed_at is not None and invitation.sent_at is None
    assert _queued() == []
    [row] = funnel(survey)
    assert (row["failed"], row["retrying"]) == (1, 0)


def test_organisation_invitation_e_mail_is_retried(tenant_a: Any, smtp: ScriptedSmtp,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    from cxloop.orgs import services

    smtp.down()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(org=tenant_a.org, email="new@example.com", role="member", actor=tenant_a.owner)
    run_tasks()
    [retry] = _queued("cxloop.orgs.tasks.send_invitation_email")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    _assert_deferred_by(retry, timedelta(minutes=1))
    smtp.up()
    run_tasks_due_within(RETRY_WINDOW)
    assert [m["To"] for m in smtp.messages] == ["new@example.com"]
    assert _queued("cxloop.orgs.tasks.send_invitation_email") == []


def test_organisation_invitation_refused_with_550_fails_without_retry(
    tenant_a: Any, smtp: ScriptedSmtp, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from cxloop.orgs import services

    smtp.refused.add("gone@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(org=tenant_a.org, email="gone@example.com", role="member", actor=tenant_a.owner)
    run_tasks()
    [result] = DBTaskResult.objects.filter(task_path="cxloop.orgs.tasks.send_invitation_email")
    assert result.status == "FAILED" and "SMTPRecipientsRefused" in result.exception_class_path
    assert smtp.messages == []


def test_password_reset_mail_survives_an_outage(smtp: ScriptedSmtp) -> None:
    from cxloop.orgs.tasks import send_email

    smtp.data_replies.append("421 4.3.2 service shutting down")
    send_email.enqueue(subject="Reset", body="Follow the link", to=["user@example.com"])
    run_tasks()
    assert smtp.messages == [] and len(_queued("cxloop.orgs.tasks.send_email")) == 1
    run_tasks_due_within(RETRY_WINDOW)
    assert [m["Subject"] for m in smtp.messages] == ["Reset"]
