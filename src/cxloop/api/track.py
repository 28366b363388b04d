"""The widget's public tracking endpoint: ``POST /api/v1/track/{site_key}`` (see ``behaviour.tracking``).

No API key: the organisation's public site key in the path, write-only. The body is JSON (sent as
``text/plain`` by ``navigator.sendBeacon`` / ``fetch`` so no CORS preflight is needed; ``OPTIONS`` answers one
anyway). Left out of the OpenAPI schema: it is the widget's, documented in docs/events.md."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

from cxloop.behaviour import tracking

router = Router(tags=["events"])


def _cors(response: HttpResponse, allow: str) -> HttpResponse:
    if allow:
        response["Access-Control-Allow-Origin"] = allow
        if allow != "*":
            response["Vary"] = "Origin"
    return response


@router.post("/track/{site_key}", auth=None, include_in_schema=False)
def track(request: HttpRequest, site_key: str) -> HttpResponse:
    result = tracking.collect(site_key, body=request.body, origin=request.headers.get("Origin", ""),
                              ip=request.META.get("REMOTE_ADDR") or "")
    return _cors(JsonResponse(result.body, status=result.status), result.allow_origin)


@router.api_operation(["OPTIONS"], "/track/{site_key}", auth=None, include_in_schema=False)
def track_preflight(request: HttpRequest, site_key: str) -> HttpResponse:
    key = tracking.find_key(site_key)
    allow = tracking.allowed_origin(key, request.headers.get("Origin", "")) if key else None
    response = HttpResponse(status=204 if allow else 403)
    if allow:
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
    return _cors(response, allow or "")
