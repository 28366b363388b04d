"""Background work of the analytics app: recompute the rollup buckets the capture paths marked."""

from __future__ import annotations

from django_tasks import task

REFRESH_PATH = "cxloop.analytics.tasks.refresh_rollups"


@task()
def refresh_rollups() -> int:
    """Recompute every marked (survey, day) bucket and its month; returns how many buckets."""
    from cxloop.analytics import rollups

    return rollups.refresh()
