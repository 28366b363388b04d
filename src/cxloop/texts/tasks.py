"""Background work of text analytics: re-theme every stored comment after the codeframe changed."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="rules")
def retheme(*, job_id: int) -> str:
    from cxloop.texts import services

    job = services.run_retheme(job_id)
    return f"{job.status}: {job.done} of {job.total}"
