"""Analytics API: metrics per period × group with intervals and significance (``GET /metrics``), and
comment search (``GET /comments``). The organisation comes from the API key (or ``?org=`` for a
signed-in user); a survey of another organisation is a 404. Reading needs no more than the viewer role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router

from cxloop.analytics import metrics_service, reads
from cxloop.api.schemas import Day, Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.core.text import pii
from cxloop.surveys import queries

router = Router(tags=["analytics"])
MAX_COMMENTS = 500


class MetricsParams(Schema):
    survey: Id
    question: str
    metric: str | None = None
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    interval: str | None = None
    group_by: str | None = None
    touchpoint: str | None = None
    channel: str | None = None
    language: str | None = None
    tier: str | None = None
    confidence: float = metrics_service.CONFIDENCE
    change_confidence: float = metrics_service.CHANGE_CONFIDENCE


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def item_out(item: metrics_service.Item) -> dict[str, Any]:
    e, c = item.estimate, item.comparison
    return {
        "period": item.period.isoformat() if item.period else None,
        "group": item.group,
        "metric": item.metric,
        "value": _number(e.value),
        "ci_low": _number(e.low),
        "ci_high": _number(e.high),
        "n": e.n,
        "counts": {str(k): v for k, v in item.counts.items()},
        "significant_change": item.significant_change,
        "change": _number(c.difference) if c else None,
        "p_value": _number(c.p_value) if c else None,
        "too_few": e.too_few,
    }


@router.get("/metrics", response={200: dict[str, Any], **ERRORS},
            summary="A metric of one question per period × group, with intervals and significant changes")
def get_metrics(request: HttpRequest, params: Query[MetricsParams], org: str | None = None) -> Any:
    """`value` is NPS in points (−100…100) with the adjusted-Wald interval, CSAT and other shares in percent
    (0…100, Wilson), means on the question's scale (t-interval). `significant_change` compares each period
    with the one before (99 % by default, `change_confidence`); null when one side has no answers.
    Filters: `touchpoint`, `channel`, `language`, `tier`, and `contact.<attribute>=<value>` (raw rows)."""
    a = caller(request, org)
    survey = queries.survey(a.org, params.survey)
    filters = {name: value for name in reads.DIMENSIONS if (value := getattr(params, name)) is not None}
    contact = {key.removeprefix("contact."): request.GET.get(key, "") for key in request.GET
               if key.startswith("contact.")}
    result = metrics_service.compute(
        org=a.org, surveys=[survey], question=params.question, metric=params.metric, start=params.from_,
        end=params.to, interval=params.interval, group_by=params.group_by, filters=filters, contact=contact,
        confidence=params.confidence, change_confidence=params.change_confidence)
    return {
        "survey": survey.pk, "question": result.question, "metric": result.metric,
        "from": result.start.isoformat(), "to": result.end.isoformat(), "interval": result.interval,
        "group_by": result.group_by, "confidence": result.confidence,
        "change_confidence": result.change_confidence,
        "items": [item_out(i) for i in result.items],
    }


class CommentParams(Schema):
    survey: Id
    q: str = Field(min_length=1, max_length=200)
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    limit: int = Field(50, ge=1, le=MAX_COMMENTS)


@router.get("/comments", response={200: dict[str, Any], **ERRORS},
            summary="Comments (text answers) of a survey containing a word, newest first")
def get_comments(request: HttpRequest, params: Query[CommentParams], org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, params.survey)
    start, end = metrics_service.date_range(params.from_, params.to)
    found = reads.search_comments(a.org.pk, [survey.pk], params.q, start, end, limit=params.limit)
    return {"survey": survey.pk, "q": params.q, "from": start.isoformat(), "to": end.isoformat(),
            "items": [{"response_id": c.response_id, "question": c.question_key,
                       "text": pii.redact(c.text).text if a.org.redact_pii else c.text,
                       "submitted_at": c.submitted_at.isoformat(), "touchpoint": c.touchpoint,
                       "channel": c.channel, "language": c.language} for c in found]}
