"""Text analytics API: the themes with their numbers (``GET /themes``), one theme with its months, phrases and
comments (``GET /themes/{key}``), and the organisation's codeframe (``GET``/``PUT /codeframe``, the newest
re-theming job at ``GET /codeframe/job``).

The organisation comes from the API key (or ``?org=`` for a signed-in user). Reading needs the viewer role,
changing the codeframe the admin role. Comments come redacted when the organisation hides personal data."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from cxloop.analytics import dashboard, metrics_service, themes
from cxloop.api.schemas import Day, Id, Schema
from cxloop.api.surveys import ERRORS, caller
from cxloop.core import metrics
from cxloop.orgs.access import MANAGE
from cxloop.surveys import queries
from cxloop.texts import services as texts
from cxloop.texts.models import RethemeJob

router = Router(tags=["text analytics"])


class ThemeParams(Schema):
    from_: Day | None = Field(None, alias="from")
    to: Day | None = None
    survey: Id | None = None
    touchpoint: str = ""
    channel: str = ""
    language: str = ""
    tier: str = ""


class DetailParams(ThemeParams):
    sentiment: str = Field("", pattern="^(|negative|neutral|positive)$")
    page: int = Field(1, ge=1, le=100000)


def _n(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _estimate(e: metrics.Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"value": _n(e.value), "ci_low": _n(e.low), "ci_high": _n(e.high), "n": e.n, "too_few": e.too_few}


def _comparison(c: metrics.Comparison | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"difference": _n(c.difference), "ci_low": _n(c.low), "ci_high": _n(c.high), "p_value": _n(c.p_value),
            "significant": c.significant, "confidence": c.confidence, "method": c.method}


def _row(r: themes.ThemeRow) -> dict[str, Any]:
    return {"key": r.key, "label": r.label, "depth": r.depth, "comments": r.count, "share": _estimate(r.share),
            "sentiment": _estimate(r.sentiment), "negative": _estimate(r.negative),
            "nps": _estimate(r.scores.nps), "csat": _estimate(r.scores.csat), "change": _comparison(r.change),
            "latest_spike": r.spike.isoformat() if r.spike else None}


def _filters(request: HttpRequest, p: ThemeParams, org: Any) -> dashboard.Filters:
    start, end = metrics_service.date_range(p.from_, p.to)
    if p.survey is not None:
        queries.survey(org, p.survey)  # 404 for another organisation's survey
    return dashboard.Filters(start=start, end=end, survey_id=p.survey, touchpoint=p.touchpoint, channel=p.channel,
                             language=p.language, tier=p.tier)


def _language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or "en"


@router.get("/themes", response={200: dict[str, Any], **ERRORS},
            summary="Every theme of the codeframe with volume, share, sentiment, NPS/CSAT of the commenters, "
                    "change and latest spike")
def list_themes(request: HttpRequest, params: Query[ThemeParams], org: str | None = None) -> Any:
    """Shares and NPS/CSAT in percent / points with 95 % intervals (Wilson, adjusted-Wald); `change` compares the
    share with the same number of days before (N − 1 two-proportion test); `latest_spike` is the latest month
    whose share is significantly above the three months before (99 %)."""
    a = caller(request, org)
    o = themes.overview(a.org, _filters(request, params, a.org), _language(request))
    return {"from": o.start.isoformat(), "to": o.end.isoformat(), "comments": o.comments,
            "comments_before": o.comments_before, "uncategorised": _estimate(o.uncategorised),
            "items": [_row(r) for r in o.rows]}


@router.get("/themes/{path:key}", response={200: dict[str, Any], **ERRORS},
            summary="One theme: its numbers, share per month with spikes, top phrases and a page of comments")
def get_theme(request: HttpRequest, key: str, params: Query[DetailParams], org: str | None = None) -> Any:
    a = caller(request, org)
    d = themes.detail(a.org, key, _filters(request, params, a.org), _language(request), sentiment=params.sentiment,
                      page=params.page)
    return {
        **_row(d.row), "description": d.description, "children": [_row(c) for c in d.children],
        "months": [{"month": m.month.isoformat(), "comments": m.comments, "theme_comments": m.count,
                    "share": _estimate(m.share), "sentiment": _estimate(m.sentiment),
                    "vs_three_months_before": _comparison(m.spike),
                    "spike": bool(m.spike and m.spike.direction == "up")} for m in d.months],
        "sentiment_split": d.split,
        "phrases": [{"text": p.text, "comments": p.comments, "share": _n(p.share)} for p in d.phrases],
        "comments": {"page": d.page.number, "pages": d.page.paginator.num_pages, "count": d.page.paginator.count,
                     "items": [{"response_id": c.response_id, "survey": c.survey_name,
                                "submitted_at": c.submitted_at.isoformat(), "sentiment": c.sentiment_label,
                                "sentiment_score": _n(c.sentiment_score),
                                "text": "".join(s.text for s in c.segments),
                                "spans": _spans(c.segments)} for c in d.comments]},
    }


def _spans(segments: list[themes.Segment]) -> list[list[int]]:
    out, pos = [], 0
    for s in segments:
        if s.hit:
            out.append([pos, pos + len(s.text)])
        pos += len(s.text)
    return out


def _job(job: RethemeJob | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {"id": job.pk, "status": job.status, "done": job.done, "total": job.total, "percent": job.percent,
            "codeframe_version": job.codeframe_version, "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None, "error": job.error}


@router.get("/codeframe", response={200: dict[str, Any], **ERRORS},
            summary="The organisation's codeframe (the default CX codeframe until one is saved)")
def get_codeframe(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    definition, version = texts.codeframe_definition(a.org)
    return {"version": version, "definition": definition,
            "job": _job(RethemeJob.objects.filter(org=a.org).first())}


class CodeframeIn(Schema):
    definition: dict[str, Any] = {}


@router.put("/codeframe", response={202: dict[str, Any], **ERRORS},
            summary="Replace the codeframe; every stored comment is re-themed in the background")
def put_codeframe(request: HttpRequest, body: CodeframeIn, org: str | None = None) -> Any:
    """422 names the first problem's path (e.g. `themes[2].keywords.zh[0]`); nothing is saved then. The answer
    carries the re-theming job; poll `GET /codeframe/job` for its progress."""
    a = caller(request, org)
    a.require(MANAGE)
    stored = texts.save_codeframe(org=a.org, definition=body.definition, actor=a.user)
    return Status(202, {"version": stored.version, "job": _job(RethemeJob.objects.filter(org=a.org).first())})


@router.get("/codeframe/job", response={200: dict[str, Any], **ERRORS},
            summary="The newest re-theming job: status and progress")
def get_codeframe_job(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"job": _job(RethemeJob.objects.filter(org=a.org).first())}
