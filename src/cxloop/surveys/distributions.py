"""Recurring relationship surveys: a distribution that invites an audience of contacts on a schedule
(e.g. quarterly NPS), a random sample of it each time, through the organisation's frequency cap.

The worker runs due distributions from a self-rescheduling task (``surveys.tasks.tick``)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cxloop.customers.models import Contact, StakeholderRole, Tier
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import audit
from cxloop.surveys.models import Channel, Distribution, Survey, SurveyInvitation
from cxloop.surveys.services import LANGUAGES, SurveyError

AUDIENCE_FIELDS = {
    "tier": ("account__tier", set(Tier.values)),
    "region": ("account__region", None),
    "stakeholder_role": ("stakeholder_role", set(StakeholderRole.values)),
    "language": ("language", set(LANGUAGES)),
}


SEGMENT = "segment"  # members of any of these segments (ids of the organisation's segments)


def clean_audience(audience: Mapping[str, Any], org: Organization | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in audience.items():
        if name not in AUDIENCE_FIELDS and name != SEGMENT:
            raise SurveyError(f"audience.{name}: unknown; use {', '.join([*AUDIENCE_FIELDS, SEGMENT])}",
                              field=f"audience.{name}")
        if isinstance(values, str | int):
            values = [v.strip() for v in str(values).split(",")]
        cleaned = [str(v).strip() for v in values if str(v).strip()]
        if name == SEGMENT:
            from cxloop.segments.models import Segment

            known = {str(pk) for pk in Segment.objects.filter(org=org).values_list("pk", flat=True)} if org else set()
            bad = [v for v in cleaned if v not in known]
            if bad:
                raise SurveyError(f"audience.segment: no segment {', '.join(bad)} in this organisation",
                                  field="audience.segment")
            if cleaned:
                out[name] = cleaned
            continue
        allowed = AUDIENCE_FIELDS[name][1]
        bad = [v for v in cleaned if allowed is not None and v not in allowed]
        if bad:
            raise SurveyError(f"audience.{name}: {', '.join(bad)} not one of {', '.join(sorted(allowed or []))}",
                              field=f"audience.{name}")
        if cleaned:
            out[name] = cleaned
    return out


def audience_contacts(org: Organization, audience: Mapping[str, list[str]]) -> QuerySet[Contact]:
    qs = Contact.objects.filter(org=org, unsubscribed_at__isnull=True).exclude(email="")
    for name, values in audience.items():
        if name == SEGMENT:
            from cxloop.segments.members import member_ids

            within = Q()
            for value in values:
                within |= Q(pk__in=member_ids(org.pk, value))
            qs = qs.filter(within)
            continue
        qs = qs.filter(**{f"{AUDIENCE_FIELDS[name][0]}__in": values})
    return qs.order_by("pk")


def create_recurring(*, survey: Survey, name: str, audience: Mapping[str, Any], every_days: int,
                     sample_percent: int = 100, first_run_at: datetime | None = None,
                     touchpoint: str = "", actor: User | None = None) -> Distribution:
    if not name.strip():
        raise SurveyError("name: required", field="name")
    if not 1 <= every_days <= 3650:
        raise SurveyError("every_days: between 1 and 3650", field="every_days")
    if not 1 <= sample_percent <= 100:
        raise SurveyError("sample_percent: between 1 and 100", field="sample_percent")
    with transaction.atomic():
        distribution = Distribution.objects.create(
            org=survey.org, survey=survey, name=name.strip()[:200], channel=Channel.EMAIL,
            touchpoint=touchpoint or survey.touchpoint, audience=clean_audience(audience, survey.org),
            every_days=every_days,
            sample_percent=sample_percent, next_run_at=first_run_at or timezone.now(),
        )
        audit("distribution.created", org=survey.org, actor=actor, target=distribution.name)
    return distribution


@dataclass(frozen=True)
class RunResult:
    audience: int
    sampled: int
    invited: int
    suppressed: int


def run_distribution(distribution: Distribution, *, now: datetime | None = None) -> RunResult:
    """Invite a random sample of the audience (each contact through the frequency cap), then schedule
    the next run. The sample is reproducible for a given distribution and run date."""
    from cxloop.surveys import invitations

    now = now or timezone.now()
    survey = distribution.survey
    contacts = list(audience_contacts(distribution.org, distribution.audience).values_list("pk", flat=True))
    rng = random.Random(f"{distribution.pk}:{now.date().isoformat()}")
    size = round(len(contacts) * distribution.sample_percent / 100)
    sample = sorted(rng.sample(contacts, size)) if size < len(contacts) else contacts
    invited = suppressed = 0
    if survey.is_open:
        for contact in Contact.objects.filter(pk__in=sample).order_by("pk"):
            result = invitations.invite(survey=survey, contact=contact, distribution=distribution, send="email",
                                        touchpoint=distribution.touchpoint)
            if result.invitation is None:
                suppressed += 1
            else:
                invited += 1
    outcome = RunResult(audience=len(contacts), sampled=len(sample), invited=invited, suppressed=suppressed)
    distribution.last_run = {"at": now.isoformat(), **asdict(outcome)}
    distribution.next_run_at = now + timedelta(days=distribution.every_days or 0) if distribution.every_days \
        else None
    distribution.save(update_fields=["last_run", "next_run_at"])
    return outcome


def run_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = Distribution.objects.filter(active=True, every_days__isnull=False, next_run_at__lte=now).select_related(
        "survey", "survey__org", "org")
    count = 0
    for distribution in due:
        run_distribution(distribution, now=now)
        count += 1
    return count


def funnel(survey: Survey, *, since: datetime | None = None, until: datetime | None = None
           ) -> list[dict[str, Any]]:
    """Per distribution (and the API / ad-hoc invitations without one): sent → opened → started → completed,
    and the e-mails that did not go out: ``failed`` (the invitation e-mail was given up: refused with a 5xx,
    or every attempt failed), ``retrying`` (an attempt failed, the next is queued) and ``reminder_failed``.
    With ``since``/``until``, only invitations created in ``since`` ≤ t < ``until`` (what happened to them
    afterwards still counts: a reply the week after belongs to its invitation)."""
    invitations = SurveyInvitation.objects.filter(survey=survey)
    if since is not None:
        invitations = invitations.filter(created_at__gte=since)
    if until is not None:
        invitations = invitations.filter(created_at__lt=until)
    rows = (invitations.values("distribution_id", "distribution__name")
            .annotate(created=Count("id"), sent=Count("id", filter=Q(sent_at__isnull=False)),
                      opened=Count("id", filter=Q(opened_at__isnull=False)),
                      started=Count("id", filter=Q(started_at__isnull=False)),
                      completed=Count("id", filter=Q(completed_at__isnull=False)),
                      failed=Count("id", filter=Q(failed_at__isnull=False)),
                      retrying=Count("id", filter=Q(sent_at__isnull=True, failed_at__isnull=True,
                                                    send_attempts__gt=0, completed_at__isnull=True,
                                                    contact__unsubscribed_at__isnull=True)),
                      reminder_failed=Count("id", filter=Q(reminder_failed_at__isnull=False)))
            .order_by("distribution_id"))
    return [dict(r) for r in rows]


def failed_sends(survey: Survey) -> list[SurveyInvitation]:
    """The invitations whose e-mail (or reminder) was given up, newest failure first, with the reason in
    ``last_error`` — for a list under the funnel, or to fix the addresses and invite again."""
    return list(SurveyInvitation.objects.filter(survey=survey)
                .filter(Q(failed_at__isnull=False) | Q(reminder_failed_at__isnull=False))
                .select_related("contact", "distribution").order_by("-last_error_at", "-pk"))
