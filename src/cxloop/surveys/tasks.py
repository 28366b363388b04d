"""Background work of the surveys app: invitation and reminder e-mails."""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

logger = logging.getLogger(__name__)


@task(queue_name="email")
def send_survey_invitation(*, invitation_id: int, reminder: bool = False, attempt: int = 1) -> str:
    """E-mail a personal invitation (or its one reminder) in the contact's language.

    Skips quietly when the survey was answered, the contact unsubscribed, or the e-mail (reminder) was
    sent or given up. A send that fails is recorded on the invitation (``send_attempts`` /
    ``reminder_attempts``, ``last_error``) and retried by re-enqueueing this task with back-off
    (``orgs.tasks.RETRY_DELAYS``); a 5xx refusal or the last failed attempt sets ``failed_at`` /
    ``reminder_failed_at``. Attempt ``n`` runs only while the counter stands at ``n - 1``, and the counter is
    moved with a conditional UPDATE before sending, so a duplicate or stale task never sends a second copy."""
    from cxloop.core import survey_spec
    from cxloop.orgs.tasks import SEND_ERRORS, deliver
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
    if not reminder and invitation.sent_at is not None:
        return "already sent"
    if (invitation.reminder_failed_at if reminder else invitation.failed_at) is not None:
        return "given up"
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
    done, counter, given_up = (("reminded_at", "reminder_attempts", "reminder_failed_at") if reminder
                               else ("sent_at", "send_attempts", "failed_at"))
    claimed = SurveyInvitation.objects.filter(
        pk=invitation.pk, **{f"{done}__isnull": True, f"{given_up}__isnull": True, counter: attempt - 1}
    ).update(**{counter: attempt})
    if not claimed:
        return f"attempt {attempt} already made"  # a duplicate task, or sent / given up meanwhile
    try:
        deliver(message)
    except SEND_ERRORS as error:
        return _failed(invitation_id=invitation.pk, reminder=reminder, attempt=attempt, error=error)
    now = timezone.now()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(**{done: now})
    if not reminder:
        send_survey_invitation.using(run_after=now + REMINDER_AFTER).enqueue(
            invitation_id=invitation.pk, reminder=True
        )
    return contact.email


def _failed(*, invitation_id: int, reminder: bool, attempt: int, error: BaseException) -> str:
    """Record a failed attempt; retry later, or give up (permanent refusal, or the last attempt)."""
    from cxloop.orgs.tasks import describe, retry_delay
    from cxloop.surveys.models import SurveyInvitation

    now = timezone.now()
    reason = describe(error)
    what = "reminder" if reminder else "invitation"
    delay = retry_delay(attempt, error)
    updates: dict[str, object] = {"last_error": reason, "last_error_at": now}
    if delay is None:
        updates["reminder_failed_at" if reminder else "failed_at"] = now
    SurveyInvitation.objects.filter(pk=invitation_id).update(**updates)
    if delay is None:
        logger.warning("survey %s e-mail %s given up after attempt %s: %s", what, invitation_id, attempt, reason)
        return f"given up after attempt {attempt}: {reason}"
    send_survey_invitation.using(run_after=now + delay).enqueue(
        invitation_id=invitation_id, reminder=reminder, attempt=attempt + 1
    )
    logger.warning("survey %s e-mail %s attempt %s failed, retry in %s: %s", what, invitation_id, attempt, delay,
                   reason)
    return f"attempt {attempt} failed, retry in {delay}: {reason}"


TICK_MINUTES = 5
TICK_PATH = "cxloop.surveys.tasks.tick"


@task()
def tick() -> int:
    """Run due recurring distributions, queue due weekly team digests, act on responses and deliveries a lost
    task left behind, escalate SLA breaches, send the monthly governance reports that are due; then schedule the
    next tick (a clock without cron)."""
    from datetime import timedelta

    from cxloop.analytics import digest
    from cxloop.cases import intake
    from cxloop.cases import services as cases
    from cxloop.govern import report
    from cxloop.notify import services as notify
    from cxloop.privacy import services as retention
    from cxloop.surveys.distributions import run_due

    try:
        ran = run_due()
        digest.queue_due()
        intake.drain()  # anything queued whose wake-up task was lost
        notify.sweep()  # deliveries whose task was lost
        cases.escalate_breaches()
        report.send_due()
        retention.apply_due()  # privacy: each survey's retention policy, once a day
        return ran
    finally:
        tick.using(run_after=timezone.now() + timedelta(minutes=TICK_MINUTES)).enqueue()


@task()
def recover() -> int:
    """What a killed worker left behind, right after a worker starts rather than at the next tick: responses
    still queued for intake, deliveries whose task was lost or whose attempt is still leased to the dead
    worker (re-armed for the end of the lease). Returns how many deliveries were attempted."""
    from cxloop.cases import intake
    from cxloop.notify import services as notify

    intake.drain()
    return notify.sweep()


def ensure_tick() -> bool:
    """Queue the clock task unless one is already waiting (called when a worker starts)."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY").exists():
        return False
    tick.enqueue()
    return True
