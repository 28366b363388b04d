"""The capture fast path: ``POST /api/v1/surveys/{id}/responses`` in three indexed SELECTs and a
grouped write, without the ORM's query building or the API framework's request handling.

It answers only requests it can answer exactly as the full path would: a valid, active API key with
the role to capture, an open survey of the key's organisation, a body in the documented shape that
validates against the published version. Everything else (any error, an unusual body, a key whose
last-use time is due, a ``submitted_at``) returns ``None``, and the caller hands the request to the
full Django path, which gives the canonical answer, error message and status. Validation, the
idempotency rules and the write are the ones of :mod:`cxloop.surveys.services` (``validate_job`` and
``commit_jobs``), shared with the batch endpoint and the CSV import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from cxloop.orgs.models import Role
from cxloop.orgs.services import api_key_identity
from cxloop.surveys import services
from cxloop.surveys.models import Survey, SurveyStatus

CAPTURE_ROLE = Role.MEMBER  # the same as cxloop.orgs.access.WORK, which the full path requires
MAX_BATCH = 1000
_TOP = {"answers", "contact", "embedded", "touchpoint", "channel", "language", "submitted_at", "complete"}
_CONTACT = ("external_id", "email", "name", "language")


@dataclass(frozen=True)
class Answered:
    status: int
    body: dict[str, Any]


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def submission_of(payload: Any) -> tuple[services.Submission, str] | None:
    """The submission and its request digest, computed exactly as the full path computes them (the
    digest of the validated API model, defaults filled in), or None for a body outside the plain shape
    (the full path then decides: it may coerce a value or answer 422)."""
    if not isinstance(payload, dict) or not payload.keys() <= _TOP or not isinstance(payload.get("answers"), dict):
        return None
    if payload.get("submitted_at") is not None:
        return None
    embedded = payload.get("embedded", {})
    complete = payload.get("complete", True)
    strings = {name: payload.get(name, default) for name, default in
               (("touchpoint", ""), ("channel", "api"), ("language", ""))}
    if not isinstance(embedded, dict) or not isinstance(complete, bool) or \
            not all(isinstance(v, str) for v in strings.values()):
        return None
    contact_in = payload.get("contact")
    contact_full: dict[str, Any] | None = None
    if contact_in is not None:
        if not isinstance(contact_in, dict) or not contact_in.keys() <= {*_CONTACT, "attributes"}:
            return None
        contact_full = {name: contact_in.get(name) for name in _CONTACT}
        if not all(v is None or isinstance(v, str) for v in contact_full.values()):
            return None
        attributes = contact_in.get("attributes", {})
        if not isinstance(attributes, dict):
            return None
        contact_full["attributes"] = attributes
    digest = services.request_hash({"answers": payload["answers"], "contact": contact_full, "embedded": embedded,
                                    **strings, "submitted_at": None, "complete": complete})
    submission = services.Submission(
        answers=payload["answers"], embedded=embedded,
        contact=None if contact_full is None else {k: v for k, v in contact_full.items() if v is not None},
        touchpoint=strings["touchpoint"], channel=strings["channel"], language=strings["language"],
        submitted_at=None, complete=complete,
    )
    return submission, digest


def _open_survey(org_id: int, survey_id: int) -> Survey | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, status, close_at, current_version, touchpoint, created_at "  # noqa: S608
            f"FROM {Survey._meta.db_table} WHERE id = %s AND org_id = %s", [survey_id, org_id])
        row = cursor.fetchone()
    created_at = _aware(row[5]) if row is not None else None
    if row is None or row[1] != SurveyStatus.PUBLISHED or not row[3] or created_at is None:
        return None
    survey = Survey(id=row[0], org_id=org_id, status=row[1], close_at=_aware(row[2]), current_version=row[3],
                    touchpoint=row[4], created_at=created_at)
    return survey if survey.is_open else None


def capture(*, api_key: str, survey_id: int, payload: Any, idempotency_key: str | None) -> Answered | None:
    """Record one response through the fast path, or None to say "take the full path"."""
    who = api_key_identity(api_key)
    if who is None or not Role.at_least(who.role, CAPTURE_ROLE):
        return None
    shaped = submission_of(payload)
    if shaped is None:
        return None
    submission, digest = shaped
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > 255:
            return None
        stored = services.stored_records(who.org_id, f"survey:{survey_id}:responses", [idempotency_key])
        if stored:  # a retry: the first answer again (a different body: the full path's 422)
            return Answered(stored[0].status_code, stored[0].body) if stored[0].request_hash == digest else None
    survey = _open_survey(who.org_id, survey_id)
    if survey is None:
        return None
    try:
        version = services.current_version(survey)
        job = services.validate_job(survey, version, services.BatchItem(submission, idempotency_key, digest),
                                    timezone.now())
    except services.SurveyError:
        return None
    services.commit_jobs([job])
    result = job.result
    if isinstance(result, services.Recorded):
        return Answered(result.status_code, result.body)
    assert result is not None
    body = {"detail": result.message, **({"field": result.field} if result.field else {})}
    return Answered(result.status, body)


def batch_body(results: list[services.Recorded | services.SurveyError]) -> dict[str, Any]:
    """The answer to a batch: a result per item (the same shape from both paths)."""
    items: list[dict[str, Any]] = []
    stored = 0
    for index, r in enumerate(results):
        if isinstance(r, services.Recorded):
            stored += 0 if r.replayed else 1
            items.append({"index": index, "status": r.status_code, "id": r.response_id, "replayed": r.replayed})
        else:
            items.append({"index": index, "status": r.status, "detail": r.message, "field": r.field})
    return {"stored": stored, "failed": sum(1 for r in items if r["status"] >= 400), "results": items}


def capture_batch(*, api_key: str, survey_id: int, payload: Any) -> Answered | None:
    """Record a batch through the fast path (validation and write shared with the full path's
    ``record_batch``), or None when any part of the request is unusual: the full path then answers."""
    who = api_key_identity(api_key)
    if who is None or not Role.at_least(who.role, CAPTURE_ROLE):
        return None
    if not isinstance(payload, dict) or payload.keys() != {"items"} or not isinstance(payload["items"], list) \
            or not 0 < len(payload["items"]) <= MAX_BATCH:
        return None
    items: list[services.BatchItem] = []
    for raw in payload["items"]:
        if not isinstance(raw, dict):
            return None
        key = raw.get("idempotency_key")
        if key is not None and not isinstance(key, str):
            return None
        shaped = submission_of({k: v for k, v in raw.items() if k != "idempotency_key"})
        if shaped is None:
            return None
        items.append(services.BatchItem(shaped[0], key, shaped[1] if key is not None else None))
    survey = _open_survey(who.org_id, survey_id)
    if survey is None:
        return None
    return Answered(200, batch_body(services.record_batch(survey=survey, items=items)))
