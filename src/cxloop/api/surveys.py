"""Survey API: definitions, publish/close, and response capture (idempotent, batched).

These routes take the organisation from the API key (or, for a signed-in user, ``?org=<slug>`` or
the organisation they used last); an id of another organisation's survey is a 404."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from cxloop.api.auth import actor
from cxloop.api.schemas import Moment, Schema
from cxloop.core import survey_spec
from cxloop.orgs.access import ANALYSE, WORK, Actor
from cxloop.orgs.models import ApiKey, User
from cxloop.orgs.services import ApiKeyError
from cxloop.surveys import capture, queries, services
from cxloop.surveys.models import Survey

router = Router(tags=["surveys"])
ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 422): dict[str, Any]}
MAX_BATCH = 1000


def caller(request: HttpRequest, org: str | None) -> Actor:
    auth: Any = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return actor(request, org or auth.org.slug)
    if isinstance(auth, User):
        slug = org or (auth.last_org.slug if auth.last_org else None)
        if slug is None:
            raise ApiKeyError("Say which organisation: ?org=<slug>.", status=400)
        return actor(request, slug)
    raise ApiKeyError("Authentication required.", status=401)


class SurveyIn(Schema):
    name: str
    definition: dict[str, Any] | None = None
    template: str | None = None
    kind: str = "custom"
    touchpoint: str = ""


class DefinitionIn(Schema):
    definition: dict[str, Any]


class ContactIn(Schema):
    external_id: str | None = None
    email: str | None = None
    name: str | None = None
    language: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class ResponseIn(Schema):
    answers: dict[str, Any]
    contact: ContactIn | None = None
    embedded: dict[str, Any] = Field(default_factory=dict)
    touchpoint: str = ""
    channel: str = "api"
    language: str = ""
    submitted_at: Moment | None = None
    complete: bool = True


class BatchItem(ResponseIn):
    idempotency_key: str | None = None


class BatchIn(Schema):
    items: list[BatchItem]


def survey_out(survey: Survey) -> dict[str, Any]:
    definition = survey.draft
    version = None
    if survey.current_version:
        v = services.current_version(survey)
        definition, version = v.definition, v.number
    questions: list[dict[str, Any]] = []
    try:
        spec = survey_spec.parse(definition)
        for page_index, page in enumerate(spec.pages):
            for q in page.questions:
                questions.append({"key": q.key, "type": q.type, "required": q.required, "page": page_index,
                                  "text": survey_spec.localise(q.text, spec.default_language, spec.default_language)})
    except survey_spec.SpecError:
        questions = []
    return {
        "id": survey.pk, "slug": survey.slug, "name": survey.name, "kind": survey.kind, "status": survey.status,
        "version": version, "touchpoint": survey.touchpoint,
        "link": f"{settings.BASE_URL}/s/{survey.slug}/" if survey.slug else None,
        "response_count": getattr(survey, "response_count", None),
        "questions": questions, "definition": definition,
    }


def _submission(payload: ResponseIn) -> services.Submission:
    return services.Submission(
        answers=payload.answers, embedded=payload.embedded,
        contact=payload.contact.model_dump(exclude_none=True) if payload.contact else None,
        touchpoint=payload.touchpoint, channel=payload.channel, language=payload.language,
        submitted_at=payload.submitted_at, complete=payload.complete,
    )


MAX_OFFSET = 1_000_000_000  # a page beyond any real list; larger numbers overflow the database's integers


class SurveyPage(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/surveys", response={200: dict[str, Any], **ERRORS}, summary="List surveys")
def list_surveys(request: HttpRequest, page: Query[SurveyPage], org: str | None = None) -> Any:
    a = caller(request, org)
    qs = queries.surveys(a.org)
    return {"count": qs.count(), "items": [survey_out(s) for s in qs[page.offset: page.offset + page.limit]]}


@router.get("/surveys/templates", response={200: list[dict[str, Any]], **ERRORS}, summary="Survey templates")
def list_templates(request: HttpRequest, org: str | None = None) -> Any:
    caller(request, org)
    from cxloop.core import survey_templates

    return [{"key": name, "definition": survey_templates.template(name)}
            for name in survey_templates.template_names()]


@router.post("/surveys", response={201: dict[str, Any], **ERRORS}, summary="Create a survey (draft)")
def create_survey(request: HttpRequest, payload: SurveyIn, org: str | None = None) -> Any:
    a = caller(request, org)
    a.require(ANALYSE)
    definition = payload.definition
    if definition is None:
        if not payload.template:
            raise services.SurveyError("Give a definition or a template.", field="definition")
        from cxloop.core import survey_templates

        if payload.template not in survey_templates.template_names():
            raise services.SurveyError(f"Unknown template {payload.template!r}.", field="template")
        definition = survey_templates.template(payload.template)
    survey = services.create_survey(org=a.org, name=payload.name, definition=definition, kind=payload.kind,
                                    touchpoint=payload.touchpoint, actor=a.user)
    return Status(201, survey_out(survey))


@router.get("/surveys/{survey_id}", response={200: dict[str, Any], **ERRORS}, summary="One survey")
def get_survey(request: HttpRequest, survey_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    return survey_out(queries.survey(a.org, survey_id))


@router.put("/surveys/{survey_id}/definition", response={200: dict[str, Any], **ERRORS},
            summary="Replace the draft definition")
def put_definition(request: HttpRequest, survey_id: int, payload: DefinitionIn, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(ANALYSE)
    services.update_draft(survey=survey, definition=payload.definition, actor=a.user)
    return survey_out(survey)


@router.post("/surveys/{survey_id}/publish", response={200: dict[str, Any], **ERRORS}, summary="Publish")
def publish(request: HttpRequest, survey_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(ANALYSE)
    services.publish(survey=survey, actor=a.user)
    return survey_out(queries.survey(a.org, survey_id))


@router.post("/surveys/{survey_id}/close", response={200: dict[str, Any], **ERRORS}, summary="Close")
def close(request: HttpRequest, survey_id: int, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(ANALYSE)
    services.close(survey=survey, actor=a.user)
    return survey_out(queries.survey(a.org, survey_id))


@router.post("/surveys/{survey_id}/responses", response={200: dict[str, Any], 201: dict[str, Any], **ERRORS},
             summary="Record a response (send Idempotency-Key to make retries safe)")
def post_response(request: HttpRequest, survey_id: int, payload: ResponseIn, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(WORK)
    key = request.headers.get("Idempotency-Key")
    digest = services.request_hash(payload.model_dump(mode="json")) if key is not None else None
    result = services.record_response(survey=survey, submission=_submission(payload), idempotency_key=key,
                                      digest=digest)
    return Status(result.status_code, result.body)


@router.post("/surveys/{survey_id}/responses/batch", response={200: dict[str, Any], **ERRORS},
             summary="Record up to 1,000 responses; a result per item")
def post_batch(request: HttpRequest, survey_id: int, payload: BatchIn, org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(WORK)
    if len(payload.items) > MAX_BATCH:
        raise services.SurveyError(f"items: at most {MAX_BATCH} per batch, got {len(payload.items)}",
                                   field="items", status=422)
    batch = [services.BatchItem(submission=_submission(item), idempotency_key=item.idempotency_key,
                                digest=(services.request_hash(item.model_dump(mode="json", exclude={"idempotency_key"}))
                                        if item.idempotency_key is not None else None))
             for item in payload.items]
    return capture.batch_body(services.record_batch(survey=survey, items=batch))


class ResponseFilter(Schema):
    since: Moment | None = None
    until: Moment | None = None
    status: str | None = None
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/surveys/{survey_id}/responses", response={200: dict[str, Any], **ERRORS},
            summary="List responses with their answers")
def list_responses(request: HttpRequest, survey_id: int, filters: Query[ResponseFilter],
                   org: str | None = None) -> Any:
    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    qs = queries.responses(survey, since=filters.since, until=filters.until, status=filters.status)
    page = list(qs[filters.offset: filters.offset + filters.limit])
    answers = queries.answers_by_response([r.pk for r in page])
    items = []
    for r in page:
        body = services.response_body(r)
        body["answers"] = answers.get(r.pk, {})
        body["embedded"] = r.embedded
        body["contact"] = ({"id": r.contact.pk, "external_id": r.contact.external_id, "name": r.contact.name,
                            "email": r.contact.email} if r.contact else None)
        items.append(body)
    return {"count": qs.count(), "items": items}


class SurveyInvitationIn(Schema):  # not InvitationIn: OpenAPI names components by class
    contact: ContactIn
    embedded: dict[str, Any] = Field(default_factory=dict)
    touchpoint: str = ""
    language: str = ""
    send: str = "none"


@router.post("/surveys/{survey_id}/invitations", response={200: dict[str, Any], 201: dict[str, Any], **ERRORS},
             summary="Personal link for a contact, e-mailed with send='email' (transactional surveys)")
def post_invitation(request: HttpRequest, survey_id: int, payload: SurveyInvitationIn,
                    org: str | None = None) -> Any:
    from cxloop.surveys import invitations

    a = caller(request, org)
    survey = queries.survey(a.org, survey_id)
    a.require(WORK)
    result = invitations.invite(survey=survey, contact_data=payload.contact.model_dump(exclude_none=True),
                                embedded=payload.embedded, touchpoint=payload.touchpoint,
                                language=payload.language, send=payload.send)
    # A suppressed invitation is not an error: the caller learns why nothing was sent.
    return Status(201 if result.invitation else 200, result.as_dict())
