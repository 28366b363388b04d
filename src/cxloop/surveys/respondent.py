"""The respondent's side: open a survey by its public link or a personal token, resume a partial
response, save one page at a time (a partial response after page 1), complete it.

Saving a page is idempotent: the page's answers replace whatever that response had for them, so a
double submit or a back-and-forward changes nothing twice; a completed response is never reopened."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxloop.core import survey_spec
from cxloop.core.survey_values import is_empty
from cxloop.surveys.models import (
    Answer,
    Distribution,
    Response,
    ResponseStatus,
    Survey,
    SurveyInvitation,
    SurveyStatus,
    SurveyVersion,
)
from cxloop.surveys.services import current_version, spec_of


class Unavailable(Exception):
    """Why the survey cannot be answered: closed, not_found, expired, answered."""

    def __init__(self, reason: str, survey: Survey | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.survey = survey


@dataclass
class Visit:
    survey: Survey
    version: SurveyVersion
    spec: survey_spec.SurveySpec
    language: str
    embedded: dict[str, str]
    response: Response | None = None
    invitation: SurveyInvitation | None = None
    distribution: Distribution | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # raw answers saved so far (flat keys)

    @property
    def page_index(self) -> int:
        """The page to show: the first one, or the one after the last saved page."""
        if self.response is None:
            return survey_spec.first_page(self.spec, answers=self.answers, embedded=self.embedded) or 0
        nxt = survey_spec.next_page(self.spec, self.response.last_page, answers=self.answers, embedded=self.embedded)
        return self.response.last_page if nxt is None else nxt

    @property
    def seed(self) -> str:
        return self.response.resume_token if self.response and self.response.resume_token else "new"


def pick_language(spec: survey_spec.SurveySpec, *candidates: str | None) -> str:
    for c in candidates:
        code = (c or "").lower()
        if code in spec.languages:
            return code
        if code.startswith("zh-tw") or code.startswith("zh-hk"):
            code = "zh-hant"
        elif code.startswith("zh"):
            code = "zh-hans"
        elif code.startswith("en"):
            code = "en"
        if code in spec.languages:
            return code
    return spec.default_language


def _check_open(survey: Survey) -> None:
    if survey.status == SurveyStatus.DRAFT or not survey.current_version:
        raise Unavailable("not_found", survey)
    if not survey.is_open:
        raise Unavailable("closed", survey)


WIDGET_ATTRIBUTES = 20


def link_embedded(spec: survey_spec.SurveySpec, query: Mapping[str, str]) -> dict[str, str]:
    """Embedded fields a public link may carry: those declared with source link/any (widget/any for
    the widget), plus, from the widget, the host site's user id (``site_user_id``) and up to 20
    attributes (``site_<name>``). All of it is what the browser says, so it is stored, not trusted."""
    widget = query.get("via") == "widget"
    sources = ("widget", "any") if widget else ("link", "any")
    allowed = {e.key for e in spec.embedded if e.source in sources}
    out = {k: str(v)[:1000] for k, v in query.items() if k in allowed}
    if widget:
        if query.get("uid"):
            out["site_user_id"] = str(query["uid"])[:200]
        extra = 0
        for k, v in query.items():
            if k.startswith("attr.") and extra < WIDGET_ATTRIBUTES:
                name = re.sub(r"[^a-z0-9_]", "_", k[5:].lower())[:40]
                if name:
                    out.setdefault(name if name in allowed else f"site_{name}", str(v)[:1000])
                    extra += 1
    return out


def stored_answers(spec: survey_spec.SurveySpec, response: Response) -> dict[str, Any]:
    """Rebuild the raw (flat) answers of a response from its Answer rows."""
    raw: dict[str, Any] = {}
    by_key = {q.key: q for q in spec.questions()}
    for a in Answer.objects.filter(response=response).order_by("id"):
        base = a.question_key.partition(".")[0]
        q = by_key.get(base)
        if q is None:
            continue
        if a.number is not None:
            raw[a.question_key] = a.number
        elif a.choices:
            raw[a.question_key] = list(a.choices) if q.type == "multi_choice" else a.choices[0]
            if a.text:
                raw[f"{a.question_key}.specify"] = a.text
        else:
            raw[a.question_key] = a.text
    return raw


def open_public(*, slug: str, resume_token: str | None, query: Mapping[str, str], lang: str | None,
                accept_language: str | None, submitting: bool = False,
                embedded: Mapping[str, str] | None = None) -> Visit:
    """``query``: the link's parameters (filtered by ``link_embedded``); ``embedded``: fields already
    taken from the link on an earlier request (carried in the form's signed context)."""
    survey = Survey.objects.select_related("org").filter(slug=slug).first()
    if survey is None:
        raise Unavailable("not_found")
    _check_open(survey)
    response = None
    if resume_token:
        response = Response.objects.filter(survey=survey, resume_token=resume_token).first()
        if response is not None and response.status == ResponseStatus.COMPLETE:
            if submitting:  # the same form sent again after completion: a double submit
                raise Unavailable("answered", survey)
            response = None  # a finished response is not reopened: a new visit starts a new one
    version = response.version if response is not None and response.version else current_version(survey)
    spec = spec_of(version)
    if response is not None:
        fields = dict(response.embedded)
    elif embedded is not None:
        fields = {str(k): str(v) for k, v in embedded.items()}
    else:
        fields = link_embedded(spec, query)
    language = pick_language(spec, lang, response.language if response else None, accept_language)
    visit = Visit(survey=survey, version=version, spec=spec, language=language, embedded=fields, response=response)
    if response is not None:
        visit.answers = stored_answers(spec, response)
    return visit


def open_personal(*, token: str, lang: str | None, accept_language: str | None) -> Visit:
    from cxloop.surveys.invitations import find_invitation, mark_opened

    invitation = find_invitation(token)
    if invitation is None:
        raise Unavailable("invalid")
    survey = invitation.survey
    _check_open(survey)
    response = Response.objects.filter(invitation=invitation).select_related("version").first()
    if invitation.completed_at is not None or (response and response.status == ResponseStatus.COMPLETE):
        raise Unavailable("answered", survey)
    if invitation.expires_at and invitation.expires_at < timezone.now():
        raise Unavailable("expired", survey)
    mark_opened(invitation)
    version = response.version if response is not None and response.version else current_version(survey)
    spec = spec_of(version)
    language = pick_language(spec, lang, invitation.language, invitation.contact.language, accept_language)
    embedded = {**(invitation.distribution.embedded if invitation.distribution else {}), **invitation.embedded}
    visit = Visit(survey=survey, version=version, spec=spec, language=language, embedded=embedded,
                  response=response, invitation=invitation, distribution=invitation.distribution)
    if response is not None:
        visit.answers = stored_answers(spec, response)
    return visit


def answers_from_form(spec: survey_spec.SurveySpec, page_index: int, form: Any) -> dict[str, Any]:
    """The answers a page's HTML form carries, keyed the way ``validate_answers`` reads them."""
    keys = {q.key: q for q in spec.pages[page_index].questions}
    out: dict[str, Any] = {}
    for name in form:
        base = name.partition(".")[0]
        q = keys.get(base)
        if q is None:
            continue
        if q.type == "multi_choice" and name == base:
            out[name] = [v for v in form.getlist(name) if v]
        else:
            out[name] = form.get(name, "")
    return out


@dataclass(frozen=True)
class Saved:
    response: Response
    next_page: int | None  # None: the response is complete


def save_page(*, visit: Visit, page_index: int, page_answers: Mapping[str, Any], channel: str) -> Saved:
    """Validate one page against everything answered so far and store it; complete the response on
    the last page. Raises ``survey_spec.AnswerError`` (nothing stored) when the page is not valid."""
    spec = visit.spec
    if not 0 <= page_index < len(spec.pages):
        raise survey_spec.AnswerError([survey_spec.Problem("page", "no such page")])
    if visit.response is None and page_index != visit.page_index:
        raise survey_spec.AnswerError([survey_spec.Problem("page", "a new response starts at the first page")])
    page_keys = {q.key for q in spec.pages[page_index].questions}
    merged = {k: v for k, v in visit.answers.items() if k.partition(".")[0] not in page_keys}
    merged.update({k: v for k, v in page_answers.items() if not is_empty(v)})
    rows = survey_spec.validate_answers(spec, merged, embedded=visit.embedded, complete=True, pages=[page_index])
    nxt = survey_spec.next_page(spec, page_index, answers=merged, embedded=visit.embedded)
    now = timezone.now()
    with transaction.atomic():
        response = visit.response
        if response is None:
            contact = visit.invitation.contact if visit.invitation else None
            response = Response.objects.create(
                org=visit.survey.org, survey=visit.survey, version=visit.version, contact=contact,
                account_id=contact.account_id if contact else None, distribution=visit.distribution,
                invitation=visit.invitation, status=ResponseStatus.PARTIAL, started_at=now, submitted_at=now,
                channel=channel[:32], language=visit.language, embedded=visit.embedded,
                touchpoint=((visit.invitation.touchpoint if visit.invitation else "")
                            or (visit.distribution.touchpoint if visit.distribution else "")
                            or visit.survey.touchpoint)[:120],
                resume_token=secrets.token_urlsafe(24),
            )
            if visit.invitation is not None:
                SurveyInvitation.objects.filter(pk=visit.invitation.pk, started_at__isnull=True).update(started_at=now)
        else:
            response = Response.objects.select_for_update().get(pk=response.pk)
            if response.status == ResponseStatus.COMPLETE:
                return Saved(response, None)  # a double submit of the last page
        Answer.objects.filter(response=response).delete()
        Answer.objects.bulk_create(
            Answer(response=response, question_key=r.key, number=r.number, choices=list(r.choices), text=r.text)
            for r in rows
        )
        response.last_page = page_index
        response.submitted_at = now
        response.language = visit.language
        fields = ["last_page", "submitted_at", "language"]
        if nxt is None:
            response.status = ResponseStatus.COMPLETE
            response.duration_seconds = max(0, int((now - response.started_at).total_seconds()))
            fields += ["status", "duration_seconds"]
            if visit.invitation is not None:
                SurveyInvitation.objects.filter(pk=visit.invitation.pk).update(completed_at=now)
        response.save(update_fields=fields)
    visit.response = response
    visit.answers = merged
    return Saved(response, nxt)
