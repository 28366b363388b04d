"""Background work of the orgs app (django.tasks API, database backend).

Sending e-mail, with retries: django-tasks has no retry of its own, so a send that fails on the way (the SMTP
server is down, times out, or answers 4xx) re-enqueues its own task with ``run_after`` back-off
(``RETRY_DELAYS``), at most ``MAX_ATTEMPTS`` attempts in all. A permanent refusal (5xx for the recipient or the
message) is not retried. ``deliver``, ``is_permanent``, ``describe`` and ``retry_delay`` are shared with the
surveys app's invitation e-mails (``cxloop.surveys.tasks``).
"""

from __future__ import annotations

import logging
import smtplib
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

logger = logging.getLogger(__name__)

# Wait before attempt 2, 3, 4 and 5; after the fifth failed attempt the e-mail is given up.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
ERROR_LENGTH = 500

# What a send attempt raises when the mail did not go out: every smtplib error, and OSError for a refused
# connection, a reset, DNS failure or a socket timeout (``TimeoutError`` / ``socket.timeout`` are OSErrors).
SEND_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


def deliver(message: EmailMessage) -> int:
    """Send one message on its own connection and return how many messages the server accepted (0 or 1).

    The connection is closed separately: once the server has accepted the message, an error while saying
    QUIT is ignored, because the mail has gone out and a retry would send it twice."""
    connection = get_connection(fail_silently=False)
    connection.open()
    try:
        sent = connection.send_messages([message])
    except BaseException:
        with suppress(Exception):
            connection.close()
        raise
    with suppress(Exception):
        connection.close()
    return sent


def is_permanent(error: BaseException) -> bool:
    """A 5xx answer for every recipient (e.g. ``550 no such user``) or for the message itself: sending the
    same mail again cannot succeed. Anything else (4xx, a dropped or refused connection, a timeout, a
    refused sender or failed login that an administrator can fix) is worth another attempt."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def describe(error: BaseException) -> str:
    """One line for the record, e.g. ``550 5.1.1 no such user (recipient a@example.com)``."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_text(reply)} (recipient {address})"
                         for address, (code, reply) in error.recipients.items())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:ERROR_LENGTH]


def retry_delay(attempt: int, error: BaseException) -> timedelta | None:
    """How long to wait before the next attempt after ``attempt`` (1-based) failed with ``error``; ``None``
    when the e-mail is given up (a permanent refusal, or the last attempt)."""
    if is_permanent(error) or attempt >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[max(attempt, 1) - 1]


@task(queue_name="email")
def send_invitation_email(*, invitation_id: int, token: str, attempt: int = 1) -> str:
    """E-mail an invitation to join the organisation; retried with back-off while the SMTP server fails.

    A retry is skipped once the invitation was accepted, revoked or has expired."""
    from cxloop.orgs.models import Invitation

    invitation = Invitation.objects.select_related("org", "invited_by").filter(pk=invitation_id).first()
    if invitation is None:
        return "gone"
    if not invitation.pending:
        return "no longer pending"
    language = invitation.org.default_language or "en"
    with translation.override(language):
        context = {
            "invitation": invitation,
            "url": f"{settings.BASE_URL}/invite/{token}/",
            "org": invitation.org,
            "inviter": invitation.invited_by,
        }
        subject = render_to_string("orgs/email/invitation_subject.txt", context).strip()
        body = render_to_string("orgs/email/invitation.txt", context)
    try:
        deliver(EmailMessage(subject, body, None, [invitation.email]))
    except SEND_ERRORS as error:
        delay = retry_delay(attempt, error)
        if delay is None:
            logger.error("invitation e-mail %s to %s given up after attempt %s: %s",
                         invitation_id, invitation.email, attempt, describe(error))
            raise  # the task result shows FAILED with the reason
        send_invitation_email.using(run_after=timezone.now() + delay).enqueue(
            invitation_id=invitation_id, token=token, attempt=attempt + 1)
        logger.warning("invitation e-mail %s attempt %s failed, retry in %s: %s",
                       invitation_id, attempt, delay, describe(error))
        return f"attempt {attempt} failed, retry in {delay}: {describe(error)}"
    return invitation.email


@task(queue_name="email")
def send_email(*, subject: str, body: str, to: list[str], html: str | None = None, attempt: int = 1) -> int:
    """Send one e-mail (e.g. a password reset); while the SMTP server fails, the task re-enqueues itself
    with back-off, at most ``MAX_ATTEMPTS`` attempts."""
    message = EmailMultiAlternatives(" ".join(subject.split()), body, None, to)  # a header is one line
    if html:
        message.attach_alternative(html, "text/html")
    try:
        return deliver(message)
    except SEND_ERRORS as error:
        delay = retry_delay(attempt, error)
        if delay is None:
            logger.error("e-mail %r given up after attempt %s: %s", subject, attempt, describe(error))
            raise
        send_email.using(run_after=timezone.now() + delay).enqueue(
            subject=subject, body=body, to=to, html=html, attempt=attempt + 1)
        logger.warning("e-mail %r attempt %s failed, retry in %s: %s", subject, attempt, delay, describe(error))
        return 0
