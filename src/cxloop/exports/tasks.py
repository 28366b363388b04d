"""Background work of the exports app: write a large export to a file."""

from __future__ import annotations

from django_tasks import task


@task()
def run_export(*, job_id: int) -> str:
    """Write the file of an :class:`~cxloop.exports.models.ExportJob`, recording its progress."""
    from cxloop.exports.services import run_job

    return run_job(job_id)
