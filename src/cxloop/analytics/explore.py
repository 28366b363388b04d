"""Raw reads the dashboards need beyond the metrics service's counts: a filter over responses, score
counts per account or contact attribute (which rollups do not carry), one row of numbers per response
(key drivers), one pair of values per response (cross-tabs), the response list with comment search,
and one response with its answers.

Every read takes the organisation, so nothing is fetched across tenants by id. "In the range" means
submitted on the local days ``start``..``end`` (``settings.TIME_ZONE``), as everywhere in analytics;
only complete responses count for numbers (the response list shows partial ones too).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from cxloop.analytics import reads, rollups
from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import Organization
from cxloop.surveys.models import Answer, Response, ResponseStatus

ONE_DAY = timedelta(days=1)
RESPONSE_FIELDS = {"touchpoint": "touchpoint", "channel": "channel", "language": "language",
                   "tier": "account__tier"}


@dataclass(frozen=True)
class Scope:
    """Which responses: some surveys of one organisation, local days ``start``..``end``, dimension
    filters (touchpoint, channel, language, tier) and contact attributes (``segments.members.SEGMENT_KEY``:
    a segment's members)."""

    org: Organization
    survey_ids: tuple[int, ...]
    start: date
    end: date
    filters: Mapping[str, str] = field(default_factory=dict)
    contact: Mapping[str, str] = field(default_factory=dict)

    def before(self) -> Scope:
        """The same number of days just before."""
        days = (self.end - self.start).days + 1
        return Scope(self.org, self.survey_ids, self.start - timedelta(days=days), self.start - ONE_DAY,
                     self.filters, self.contact)


def _contact_filter(qs: QuerySet[Any], contact: Mapping[str, str], prefix: str, org_id: int) -> QuerySet[Any]:
    from cxloop.segments.members import SEGMENT_KEY, response_filter

    for index, (attribute, value) in enumerate(sorted(contact.items())):
        if attribute == SEGMENT_KEY:  # a segment (its id): its members' responses
            qs = qs.filter(response_filter(org_id, value, prefix))
            continue
        alias = f"cx_contact_{index}"
        qs = qs.annotate(**{alias: Cast(KeyTextTransform(attribute, f"{prefix}contact__attributes"),
                                        TextField())}).filter(**{alias: value})
    return qs


def responses(scope: Scope, *, complete: bool = True) -> QuerySet[Response]:
    qs = Response.objects.filter(org=scope.org, survey_id__in=scope.survey_ids,
                                 submitted_at__gte=rollups.day_start(scope.start),
                                 submitted_at__lt=rollups.day_start(scope.end + ONE_DAY))
    if complete:
        qs = qs.filter(status=ResponseStatus.COMPLETE)
    for name, value in scope.filters.items():
        if name == "tier" and value == "":
            qs = qs.filter(account__isnull=True)
        else:
            qs = qs.filter(**{RESPONSE_FIELDS[name]: value})
    return _contact_filter(qs, scope.contact, "", scope.org.pk)


# --- score counts per account or contact attribute -------------------------------------------------


def group_counts(scope: Scope, question: str, group: str) -> dict[str, dict[int, int]]:
    """{group value: {score: count}} of a numeric question, grouped by ``account`` (the account's id as
    text; "" without one) or ``contact.<attribute>`` (the attribute's value as text; "" without one)."""
    query = reads.CountQuery(org_id=scope.org.pk, survey_ids=scope.survey_ids, question_key=question,
                             filters=dict(scope.filters), contact=dict(scope.contact))
    qs = reads.answers_in(query, scope.start, scope.end)
    if group == "account":
        expr: Any = Cast(F("response__account_id"), TextField())
    elif group.startswith("contact."):
        expr = Cast(KeyTextTransform(group.removeprefix("contact."), "response__contact__attributes"), TextField())
    else:
        raise ValueError(f"unknown group {group!r}")
    out: dict[str, dict[int, int]] = {}
    for row in qs.annotate(cx_group=expr).values("cx_group", "number").annotate(n=Count("pk")).order_by():
        dist = out.setdefault(row["cx_group"] or "", {})
        dist[int(row["number"])] = dist.get(int(row["number"]), 0) + int(row["n"])
    return out


def contact_attribute_names(org: Organization, *, sample: int = 500) -> list[str]:
    """Attribute names found on (up to ``sample`` of) the organisation's contacts whose values are text,
    numbers or booleans: what a segment filter or breakdown can use."""
    from cxloop.customers.models import Contact

    names: set[str] = set()
    for attributes in Contact.objects.filter(org=org).exclude(attributes={}).values_list("attributes",
                                                                                        flat=True)[:sample]:
        if isinstance(attributes, dict):
            names.update(k for k, v in attributes.items() if isinstance(v, str | int | float | bool))
    return sorted(names)


# --- per-response values ---------------------------------------------------------------------------


def numbers(scope: Scope, keys: Sequence[str]) -> dict[int, dict[str, float]]:
    """{response id: {question key: number}} of the complete responses in scope."""
    out: dict[int, dict[str, float]] = {}
    rows = (Answer.objects.filter(response__in=responses(scope).values("pk"), question_key__in=list(keys),
                                  number__isnull=False)
            .values_list("response_id", "question_key", "number"))
    for response_id, key, number in rows:
        if number is not None:
            out.setdefault(response_id, {})[key] = float(number)
    return out


def values(scope: Scope, source: str) -> dict[int, Any]:
    """{response id: value} of the complete responses in scope for one ``source``: a response field
    (touchpoint, channel, language, tier) or ``q:<question key>`` (the number, else the first option
    key chosen); responses without a value are left out."""
    if source in RESPONSE_FIELDS:
        column = RESPONSE_FIELDS[source]
        return {pk: (value or "") for pk, value in responses(scope).values_list("pk", column)}
    key = source.removeprefix("q:")
    out: dict[int, Any] = {}
    rows = Answer.objects.filter(response__in=responses(scope).values("pk"), question_key=key).values_list(
        "response_id", "number", "choices")
    for response_id, number, choices in rows:
        if number is not None:
            out[response_id] = float(number)
        elif choices:
            out[response_id] = str(choices[0])
    return out


# --- the response list and one response -----------------------------------------------------------


def response_list(scope: Scope, search: str = "") -> QuerySet[Response]:
    """Responses in scope (complete and partial), newest first; with ``search`` only those with a
    comment (text answer) containing it, case-insensitive (``analytics.reads.comments_queryset``)."""
    qs = responses(scope, complete=False)
    if search:
        hits = reads.comments_queryset(scope.org.pk, scope.survey_ids, search, scope.start, scope.end)
        qs = qs.filter(pk__in=hits.values("response_id"))
    return qs.select_related("contact", "account").order_by("-submitted_at", "-pk")


def answers_of(response_ids: Collection[int]) -> dict[int, list[Answer]]:
    out: dict[int, list[Answer]] = {}
    for answer in Answer.objects.filter(response_id__in=list(response_ids)).order_by("pk"):
        out.setdefault(answer.response_id, []).append(answer)
    return out


def response(org: Organization, response_id: int) -> Response:
    """One response of the organisation (404 otherwise), with its survey, version, contact and account."""
    qs = Response.objects.filter(org=org).select_related("survey", "version", "contact", "account", "distribution")
    found: Response = one_or_404(qs, response_id, "Response")
    return found


def has_text(answer: Answer) -> bool:
    return answer.number is None and not answer.choices and bool(answer.text)

