"""QR codes (SVG and PNG) for a survey link with embedded fields, for offline touchpoints."""

from __future__ import annotations

import io
from collections.abc import Mapping
from urllib.parse import urlencode

import segno
from django.conf import settings

from cxloop.surveys.models import Survey


def survey_link(survey: Survey, embedded: Mapping[str, str] | None = None) -> str:
    query = urlencode({k: v for k, v in (embedded or {}).items() if v})
    return f"{settings.BASE_URL}/s/{survey.slug}/" + (f"?{query}" if query else "")


def qr_code(survey: Survey, *, kind: str, embedded: Mapping[str, str] | None = None) -> bytes:
    if kind not in {"svg", "png"}:
        raise ValueError("kind must be svg or png")
    code = segno.make(survey_link(survey, embedded), error="m")
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, title="QR")
    else:
        code.save(out, kind="png", scale=10, border=2)
    return out.getvalue()
