"""Reads of surveys and responses, scoped to one organisation."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, Response, Survey


def surveys(org: Organization) -> QuerySet[Survey]:
    return Survey.objects.filter(org=org).annotate(response_count=Count("responses"))


def survey(org: Organization, survey_id: int) -> Survey:
    """One survey of the organisation (no counts: this is on the capture path)."""
    return one_or_404(Survey.objects.filter(org=org).select_related("org"), survey_id, "Survey")


# --- score distributions (what the dashboard's numbers are computed from) -------------------------


def score_distribution(
    org: Organization,
    *,
    question_key: str,
    since: datetime | None = None,
    until: datetime | None = None,
    touchpoint: str | None = None,
) -> dict[int, int]:
    """{score: count} of one numeric question over a period (complete responses only)."""
    qs = Answer.objects.filter(response__org=org, question_key=question_key, number__isnull=False,
                               response__status="complete")
    if since is not None:
        qs = qs.filter(response__submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(response__submitted_at__lt=until)
    if touchpoint:
        qs = qs.filter(response__touchpoint=touchpoint)
    return {int(row["number"]): row["n"] for row in qs.values("number").annotate(n=Count("id"))}


def monthly_distributions(
    org: Organization, *, question_key: str, since: datetime, touchpoint: str | None = None
) -> list[tuple[date, dict[int, int]]]:
    """[(first day of month, {score: count})] from ``since`` on, oldest first."""
    qs = Answer.objects.filter(
        response__org=org, question_key=question_key, number__isnull=False, response__submitted_at__gte=since,
        response__status="complete",
    )
    if touchpoint:
        qs = qs.filter(response__touchpoint=touchpoint)
    rows = (
        qs.annotate(month=TruncMonth("response__submitted_at"))
        .values("month", "number")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    months: dict[date, dict[int, int]] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        months.setdefault(month, {})[int(row["number"])] = row["n"]
    return sorted(months.items())


def response_count(org: Organization, *, since: datetime | None = None) -> int:
    qs = Response.objects.filter(org=org)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    return qs.count()


def responses(
    survey: Survey, *, since: datetime | None = None, until: datetime | None = None, status: str | None = None
) -> QuerySet[Response]:
    qs = Response.objects.filter(org_id=survey.org_id, survey=survey).select_related("contact", "version")
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-id")


def answers_by_response(response_ids: list[int]) -> dict[int, dict[str, object]]:
    """{response id: {question key: value}}; value is the number, the option keys or the text."""
    out: dict[int, dict[str, object]] = {}
    for a in Answer.objects.filter(response_id__in=response_ids).order_by("id"):
        value: object = a.number if a.number is not None else (a.choices if a.choices else a.text)
        out.setdefault(a.response_id, {})[a.question_key] = value
    return out


def response_counts(survey: Survey) -> dict[str, int]:
    rows = Response.objects.filter(org_id=survey.org_id, survey=survey).values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return {"complete": counts.get("complete", 0), "partial": counts.get("partial", 0),
            "total": sum(counts.values())}
