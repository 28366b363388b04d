"""Error pages: JSON ``{"detail": ...}`` under /api/, a translated page elsewhere; never a trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = str(exception) if exception and str(exception) and not str(exception).startswith("{") else ""
    if _wants_json(request):
        return JsonResponse({"detail": detail or "Not found."}, status=404)
    return render(request, "web/error.html", {"status": 404, "detail": detail}, status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": str(exception) or "Forbidden."}, status=403)
    return render(request, "web/error.html", {"status": 403, "detail": str(exception or "")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Internal error; it has been logged."}, status=500)
    return render(request, "web/error.html", {"status": 500, "detail": ""}, status=500)
