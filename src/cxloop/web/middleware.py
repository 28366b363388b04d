"""Security headers beyond Django's own: a Content-Security-Policy without inline script, and a
Permissions-Policy. Pages that must be embeddable (survey pages, later) opt out of frame blocking
with ``@xframe_options_exempt`` and set their own ``frame-ancestors``."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            csp = CSP
            if getattr(response, "xframe_options_exempt", False):
                csp = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
            response["Content-Security-Policy"] = csp
        response.setdefault("Permissions-Policy", PERMISSIONS)
        return response
