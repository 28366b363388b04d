"""Background work of the analytics app: recompute the rollup buckets the capture paths marked; send the
weekly team digests."""

from __future__ import annotations

from django_tasks import task

REFRESH_PATH = "cxloop.analytics.tasks.refresh_rollups"


@task()
def refresh_rollups() -> int:
    """Recompute every marked (survey, day) bucket and its month; returns how many buckets."""
    from cxloop.analytics import rollups

    return rollups.refresh()


@task(queue_name="email")
def send_digest(*, delivery_id: int, attempt: int = 1) -> str:
    """Build and send one weekly team digest (``analytics.digest``), retried with the e-mail back-off
    (``orgs.tasks.retry_delay``). Each attempt is claimed first (``attempts`` moves from ``attempt - 1``
    to ``attempt`` in one conditional update), so a task run twice sends once."""
    from django.core.mail import EmailMultiAlternatives
    from django.utils import timezone

    from cxloop.analytics import digest
    from cxloop.analytics.models import DigestDelivery
    from cxloop.orgs.models import Membership
    from cxloop.orgs.tasks import SEND_ERRORS, deliver, describe, retry_delay

    claimed = DigestDelivery.objects.filter(pk=delivery_id, attempts=attempt - 1, sent_at=None, failed_at=None) \
        .update(attempts=attempt)
    if not claimed:
        return "already sent, given up or claimed"
    delivery = DigestDelivery.objects.select_related("team__org", "user").get(pk=delivery_id)
    membership = Membership.objects.filter(org_id=delivery.org_id, user=delivery.user, team=delivery.team).first()
    if membership is None or not membership.weekly_digest or not delivery.user.is_active:
        DigestDelivery.objects.filter(pk=delivery_id).update(failed_at=timezone.now(),
                                                             last_error="no longer a member who wants it")
        return "skipped: no longer a member who wants it"
    rendered = digest.compose(delivery.team, delivery.week, delivery.user, membership)
    message = EmailMultiAlternatives(rendered.subject, rendered.text, None, [delivery.user.email])
    message.attach_alternative(rendered.html, "text/html")
    try:
        deliver(message)
    except SEND_ERRORS as error:
        delay = retry_delay(attempt, error)
        now = timezone.now()
        updates: dict[str, object] = {"last_error": describe(error)}
        if delay is None:
            updates["failed_at"] = now
        DigestDelivery.objects.filter(pk=delivery_id).update(**updates)
        if delay is None:
            return f"given up after attempt {attempt}: {describe(error)}"
        send_digest.using(run_after=now + delay).enqueue(delivery_id=delivery_id, attempt=attempt + 1)
        return f"attempt {attempt} failed, retry in {delay}: {describe(error)}"
    DigestDelivery.objects.filter(pk=delivery_id).update(sent_at=timezone.now(), last_error="")
    return f"sent to {delivery.user.email} in {rendered.language}"
