"""Background work of the orgs app (django.tasks API, database backend)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


@task(queue_name="email")
def send_invitation_email(*, invitation_id: int, token: str) -> str:
    from cxloop.orgs.models import Invitation

    invitation = Invitation.objects.select_related("org", "invited_by").get(pk=invitation_id)
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
    send_mail(subject, body, None, [invitation.email])
    return invitation.email


@task(queue_name="email")
def send_email(*, subject: str, body: str, to: list[str], html: str | None = None) -> int:
    """Send one e-mail; the task is retried by re-enqueueing if the SMTP server is down."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(subject, body, None, to)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()
