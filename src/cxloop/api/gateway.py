"""A WSGI layer in front of Django that serves response captures and event batches on the fast path.

``POST /api/v1/surveys/{id}/responses`` (and ``/batch``) with ``Authorization: Bearer <key>`` and a JSON body goes
to :func:`cxloop.surveys.capture.capture`; ``POST /api/v1/events`` to :func:`cxloop.behaviour.capture.capture`.
When that answers, the answer is sent with the same security headers Django's middleware would add. When it
declines (any error, any unusual request), the request — its body restored — continues into Django unchanged, so
there is one meaning of every error."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.conf import settings
from django.db import close_old_connections

from cxloop.behaviour import capture as event_capture
from cxloop.surveys import capture
from cxloop.web.middleware import CSP, PERMISSIONS

log = logging.getLogger("cxloop.capture")

ROUTE = re.compile(r"^/api/v1/surveys/([0-9]{1,18})/responses(/batch)?/?$")
EVENTS = re.compile(r"^/api/v1/events/?$")
MAX_BODY = 1024 * 1024  # a batch may be as large as Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE)
REASONS = {200: "OK", 201: "Created", 409: "Conflict", 422: "Unprocessable Entity"}

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _headers(secure: bool, length: int) -> list[tuple[str, str]]:
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(length)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin"),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY or "same-origin"),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Content-Security-Policy", CSP),
        ("Permissions-Policy", PERMISSIONS),
    ]
    if secure and settings.SECURE_HSTS_SECONDS:
        headers.append(("Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}"))
    return headers


def _secure(environ: dict[str, Any]) -> bool:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy and environ.get(proxy[0]) == proxy[1]:
        return True
    return bool(environ.get("wsgi.url_scheme") == "https")


class CaptureGateway:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answered = None
        if environ.get("REQUEST_METHOD") == "POST" and not environ.get("QUERY_STRING"):
            path = environ.get("PATH_INFO", "")
            match = ROUTE.match(path)
            if match is not None:
                answered = self._try(environ, int(match.group(1)), batch=bool(match.group(2)))
            elif EVENTS.match(path):
                answered = self._try(environ, None, batch=True)
        if answered is None:
            return self.app(environ, start_response)
        body = orjson.dumps(answered.body)
        start_response(f"{answered.status} {REASONS.get(answered.status, 'OK')}",
                       _headers(_secure(environ), len(body)))
        return [body]

    def _try(self, environ: dict[str, Any], survey_id: int | None, *, batch: bool) -> capture.Answered | None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth.startswith("Bearer ") or not environ.get("CONTENT_TYPE", "").startswith("application/json"):
            return None
        if getattr(settings, "SECURE_SSL_REDIRECT", False) and not _secure(environ):
            return None  # Django redirects it
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or MAX_BODY) if batch else MAX_BODY
        if not 0 < length <= limit:
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)  # Django reads it again if the fast path declines
        if survey_id is None:  # events: the body is parsed there (orjson)
            try:
                return event_capture.capture(api_key=auth[7:].strip(), raw=raw)
            except Exception:
                log.exception("events fast path failed; handing the request to the full path")
                return None
            finally:
                close_old_connections()
        try:
            payload = json.loads(raw)
        except ValueError:
            return None
        try:  # connections are recycled after the answer, as Django does (request_finished)
            if batch:
                return capture.capture_batch(api_key=auth[7:].strip(), survey_id=survey_id, payload=payload)
            return capture.capture(api_key=auth[7:].strip(), survey_id=survey_id, payload=payload,
                                   idempotency_key=environ.get("HTTP_IDEMPOTENCY_KEY"))
        except Exception:  # nothing was committed (the write is one transaction): Django tries again
            log.exception("capture fast path failed; handing the request to the full path")
            return None
        finally:
            close_old_connections()


def wrap(app: WSGIApp) -> WSGIApp:
    return CaptureGateway(app)
