"""Background work of notifications: attempt deliveries (each claimed, so a task run twice sends once)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="notify")
def deliver(*, delivery_ids: list[int]) -> str:
    from cxloop.notify import services

    results = services.attempt_many(delivery_ids)
    return ", ".join(f"{pk}: {what}" for pk, what in results.items()) or "nothing due"
