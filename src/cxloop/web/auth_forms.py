from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.template import loader


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose e-mail goes through the task queue (survives an SMTP outage)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from cxloop.orgs.tasks import send_email

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, to=[to_email]))
