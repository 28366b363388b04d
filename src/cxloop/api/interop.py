"""Interop API (issue 10): import a survey (and its responses) from Qualtrics, LimeSurvey or SurveyJS — ``POST
/imports`` (multipart: ``kind``, ``file`` or ``url``, optional ``responses`` or ``responses_url``, ``into``,
``test_responses``; ``dry_run`` returns the preview and stores nothing; addresses are fetched through the SSRF
guard) —, the imports made (``GET /imports``, ``GET /imports/{id}`` with every note), and a
survey as SurveyJS JSON (``GET /surveys/{id}/surveyjs``). Importing needs the analyst role, reading the viewer role;
another organisation's import or survey is a 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from cxloop.api.surveys import ERRORS, caller
from cxloop.core.interop import Note
from cxloop.interop import services
from cxloop.interop.models import SurveyImport
from cxloop.orgs.access import ANALYSE
from cxloop.surveys import queries

router = Router(tags=["interop"])


def _notes(notes: list[Note] | list[dict[str, str]]) -> list[dict[str, str]]:
    return [n if isinstance(n, dict) else {"where": n.where, "what": n.what, "kind": n.kind} for n in notes]


def import_out(record: SurveyImport) -> dict[str, Any]:
    return {
        "id": record.pk, "source": record.source, "file_name": record.file_name,
        "responses_file_name": record.responses_file_name, "survey_id": record.survey_id,
        "survey_name": record.survey.name if record.survey else None, "questions": record.questions,
        "responses": {"read": record.responses_read, "stored": record.responses_stored,
                      "already_stored": record.responses_skipped, "refused": record.responses_refused},
        "notes": _notes(record.notes), "created_at": record.created_at.isoformat(),
    }


@router.post("/imports", response={200: dict[str, Any], 201: dict[str, Any], **ERRORS, 413: dict[str, Any]},
             summary="Import a survey (and responses) from Qualtrics, LimeSurvey or SurveyJS")
def create_import(request: HttpRequest, kind: Form[str] = "", file: File[UploadedFile | None] = None,
                  responses: File[UploadedFile | None] = None, into: Form[int | None] = None,
                  test_responses: Form[bool] = False, dry_run: Form[bool] = False, url: Form[str] = "",
                  responses_url: Form[str] = "", org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    if file is not None:
        data, file_name = file.read(), file.name or ""
    elif url:
        data, file_name = services.fetch_source(url, "url")
    else:
        raise services.ImportError_("file: send the survey file (multipart/form-data) or its address (url)",
                                    field="file")
    answers: bytes | None = None
    responses_name = ""
    if responses is not None:
        answers, responses_name = responses.read(), responses.name or ""
    elif responses_url:
        answers, responses_name = services.fetch_source(responses_url, "responses_url")
    if dry_run:
        found = services.preview(kind=kind, data=data, responses=answers, test_responses=test_responses,
                                 org=a.org, into=into)
        return {
            "dry_run": True, "source": found.kind, "survey_name": found.imported.name,
            "into": found.target.pk if found.target else None, "questions": found.questions,
            "responses": {"read": len(found.responses.responses) if found.responses else 0,
                          "valid": len(found.valid), "refused": len(found.refused)},
            "notes": _notes(found.notes),
        }
    record = services.import_survey(org=a.org, kind=kind, data=data, file_name=file_name,
                                    responses=answers, responses_name=responses_name,
                                    into=into, test_responses=test_responses, actor=a.user, api_key=a.api_key)
    return Status(201, import_out(record))


@router.get("/imports", response={200: dict[str, Any], **ERRORS}, summary="Imports made")
def list_imports(request: HttpRequest, org: str | None = None) -> Any:
    a = caller(request, org)
    return {"items": [{k: v for k, v in import_out(r).items() if k != "notes"} | {"notes": len(r.notes)}
                      for r in services.imports(a.org)]}


@router.get("/imports/{import_id}", response={200: dict[str, Any], **ERRORS}, summary="One import, every note")
def get_import(request: HttpRequest, import_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    return import_out(services.one(a.org, import_id))


@router.get("/surveys/{survey_id}/surveyjs", response={200: dict[str, Any], **ERRORS},
            summary="The survey as SurveyJS JSON")
def export_surveyjs(request: HttpRequest, survey_id: int, version: int | None = None, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    found, notes = services.export_surveyjs(survey=survey, version=version, actor=a.user, api_key=a.api_key)
    return {"surveyjs": found, "notes": _notes(notes)}
