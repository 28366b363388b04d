"""Background work of the closed loop: act on queued responses; escalate SLA breaches (from the clock)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="rules")
def process_responses() -> int:
    """Act on everything queued (several workers share the queue through SKIP LOCKED on PostgreSQL)."""
    from cxloop.cases import intake

    return intake.drain()
