"""Background work of the surveys app: invitation and reminder e-mails."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task


@task(queue_name="email")
def send_survey_invitation(*, invitation_id: int, reminder: bool = False) -> str:
    """E-mail a personal invitation (or its one reminder) in the contact's language.

    Skips quietly when the survey was answered, the contact unsubscribed, or the reminder was sent."""
    from cxloop.core import survey_spec
    from cxloop.surveys.invitations import REMINDER_AFTER, personal_link, unsubscribe_link
    from cxloop.surveys.models import SurveyInvitation
    from cxloop.surveys.services import current_version, spec_of

    invitation = (SurveyInvitation.objects.select_related("survey", "survey__org", "contact")
                  .filter(pk=invitation_id).first())
    if invitation is None:
        return "gone"
    contact = invitation.contact
    if invitation.completed_at is not None:
        return "answered"
    if contact.unsubscribed_at is not None:
        return "unsubscribed"
    if reminder and invitation.reminded_at is not None:
        return "already reminded"
    if not invitation.survey.is_open:
        return "closed"
    spec = spec_of(current_version(invitation.survey))
    language = invitation.language or contact.language or spec.default_language
    if language not in spec.languages:
        language = spec.default_language
    with translation.override(language):
        context = {
            "survey_title": survey_spec.localise(spec.title, language, spec.default_language),
            "intro": survey_spec.localise(spec.intro, language, spec.default_language) if spec.intro else "",
            "org": invitation.survey.org, "contact": contact, "link": personal_link(invitation),
            "unsubscribe": unsubscribe_link(contact), "reminder": reminder,
            "brand_color": invitation.survey.brand_color or invitation.survey.org.brand_color,
        }
        subject = render_to_string("surveys/email/invitation_subject.txt", context).strip()
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject, text, None, [contact.email],
        headers={"List-Unsubscribe": f"<{context['unsubscribe']}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(html, "text/html")
    message.send()
    now = timezone.now()
    if reminder:
        SurveyInvitation.objects.filter(pk=invitation.pk).update(reminded_at=now)
    else:
        SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=now)
        send_survey_invitation.using(run_after=now + REMINDER_AFTER).enqueue(
            invitation_id=invitation.pk, reminder=True
        )
    return contact.email


TICK_MINUTES = 5
TICK_PATH = "cxloop.surveys.tasks.tick"


@task()
def tick() -> int:
    """Run due recurring distributions, then schedule the next tick (a clock without cron)."""
    from datetime import timedelta

    from cxloop.surveys.distributions import run_due

    try:
        return run_due()
    finally:
        tick.using(run_after=timezone.now() + timedelta(minutes=TICK_MINUTES)).enqueue()


def ensure_tick() -> bool:
    """Queue the clock task unless one is already waiting (called when a worker starts)."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY").exists():
        return False
    tick.enqueue()
    return True
