"""Organisation-scoped reads of journeys: another organisation's journey, stage, step or touchpoint is a 404."""

from __future__ import annotations

from django.db.models import QuerySet

from cxloop.journeys.models import Journey, Stage, Step, Touchpoint
from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization


def journeys(org: Organization) -> QuerySet[Journey]:
    return Journey.objects.filter(org=org).order_by("pk")


def journey(org: Organization, journey_id: int) -> Journey:
    return one_or_404(Journey.objects.filter(org=org).select_related("org"), journey_id, "Journey")


def stage(journey: Journey, stage_id: int) -> Stage:
    return one_or_404(Stage.objects.filter(journey=journey).select_related("journey", "journey__org"), stage_id,
                      "Stage")


def step(journey: Journey, step_id: int) -> Step:
    return one_or_404(Step.objects.filter(stage__journey=journey)
                      .select_related("stage", "stage__journey", "stage__journey__org", "touchpoint"), step_id, "Step")


def touchpoints(org: Organization) -> QuerySet[Touchpoint]:
    return Touchpoint.objects.filter(org=org).select_related("owner_team").order_by("key")


def touchpoint(org: Organization, touchpoint_id: int) -> Touchpoint:
    return one_or_404(Touchpoint.objects.filter(org=org).select_related("org"), touchpoint_id, "Touchpoint")
