"""Success stories: the customers won back through the inner loop (resolved cases marked recovered) and the
action plans whose measured effect is a significant improvement — to share inside the company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from cxloop.cases.models import Case
from cxloop.core import governance
from cxloop.govern import services
from cxloop.govern.models import ActionPlan, PlanStatus
from cxloop.orgs.models import Organization

RECOVERED_DAYS = 365
RECOVERED_LIMIT = 50


@dataclass(frozen=True)
class PlanStory:
    plan: ActionPlan
    effect: governance.Effect


@dataclass(frozen=True)
class Recovered:
    number: int
    title: str
    team: str
    resolved_at: str
    note: str


@dataclass(frozen=True)
class Stories:
    plans: list[PlanStory]
    recovered: list[Recovered]
    recovered_total: int


def success_stories(org: Organization, *, today: date | None = None) -> Stories:
    """Plans (not cancelled) whose effect is an improvement, newest first; recovered customers of the last year."""
    found = []
    for p in services.plans(org):
        if p.status == PlanStatus.CANCELLED or not p.measure:
            continue
        e = services.plan_effect(p)
        if e is not None and e.improved:
            found.append(PlanStory(p, e))
    first_day = (today or timezone.localdate()) - timedelta(days=RECOVERED_DAYS)
    since = datetime.combine(first_day, time.min, tzinfo=UTC)
    qs = (Case.objects.filter(org=org, recovered=True, resolved_at__gte=since).select_related("team")
          .order_by("-resolved_at"))
    recovered = [Recovered(c.number, c.title, c.team.name if c.team else "",
                           c.resolved_at.isoformat() if c.resolved_at else "", c.resolution_note)
                 for c in qs[:RECOVERED_LIMIT]]
    return Stories(found, recovered, qs.count())
