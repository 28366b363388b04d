"""The respondent's side: open a survey by its public link or a personal token, resume a partial
response, save one page at a time (a partial response after page 1), go Back, complete it.

Saving a page is idempotent: the page's answers replace whatever that response had for them, so a
double submit or a back-and-forward changes nothing twice; a completed response is never reopened.
Back (``keep_page``) keeps the page's answers without asking for the required ones and leads to the
page shown before it under the logic. ``page_logic`` says which questions a page puts on its form and
which of them the browser shows or hides as the respondent answers (display logic on the same page).
From the website widget, the host site's user id files the response under a contact (``_widget_contact``)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.analytics.rollups import mark_dirty
from cxloop.core import survey_spec
from cxloop.core.survey_logic import _as_number
from cxloop.core.survey_model import NO, SCALE_TYPES, YES
from cxloop.core.survey_values import is_empty
from cxloop.customers.models import Contact
from cxloop.surveys import hooks
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
from cxloop.surveys.services import current_version, spec_of, upsert_contact


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

    def shown_page(self, requested: int | None) -> int:
        """The page to show for a requested one (``?page=``, after Back): a page this respondent has
        reached under the logic and not beyond the one they are on; otherwise ``page_index``."""
        current = self.page_index
        if requested is None or self.response is None or requested == current:
            return current
        reached = survey_spec.reached_pages(self.spec, answers=self.answers, embedded=self.embedded)
        return requested if requested in reached and requested < current else current

    def previous_page(self, page_index: int) -> int | None:
        """The page shown before ``page_index`` under the logic (skip and display), None on the first."""
        reached = survey_spec.reached_pages(self.spec, answers=self.answers, embedded=self.embedded)
        earlier = [p for p in reached if p < page_index]
        return earlier[-1] if earlier else None

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


def _merge(visit: Visit, page_index: int, page_answers: Mapping[str, Any]) -> dict[str, Any]:
    """Everything saved so far with this page's answers in place of its old ones, less the answers that
    the logic now hides: a question on this page whose condition (on an answer above it) no longer holds
    (without JavaScript every such question is on the form, so its answer may arrive), and the answers
    of later pages that an earlier answer changed after Back now skips."""
    page_keys = {q.key for q in visit.spec.pages[page_index].questions}
    merged = {k: v for k, v in visit.answers.items() if k.partition(".")[0] not in page_keys}
    merged.update({k: v for k, v in page_answers.items() if not is_empty(v)})
    return survey_spec.prune_answers(visit.spec, merged, embedded=visit.embedded)


def _widget_contact(visit: Visit, channel: str) -> Contact | None:
    """From the website widget, the host site's user id names a contact of the survey's organisation
    (created on first sight, by external id). What the browser says is not verified: this attributes
    the response, it does not authenticate anyone, so an existing contact's fields are never changed."""
    user_id = str(visit.embedded.get("site_user_id") or "").strip()
    if channel != "widget" or visit.invitation is not None or not user_id or len(user_id) > 100:
        return None  # an id longer than a contact's external id is kept in the embedded fields only
    org = visit.survey.org
    existing = Contact.objects.filter(org=org, external_id=user_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # A new contact is named after the id until the organisation's own data names it.
            return upsert_contact(org=org, data={"external_id": user_id, "name": user_id,
                                                 "language": visit.language})
    except IntegrityError:  # created by a concurrent response in the meantime
        return Contact.objects.filter(org=org, external_id=user_id).first()


def save_page(*, visit: Visit, page_index: int, page_answers: Mapping[str, Any], channel: str) -> Saved:
    """Validate one page against everything answered so far and store it; complete the response on
    the last page. Raises ``survey_spec.AnswerError`` (nothing stored) when the page is not valid."""
    spec = visit.spec
    if not 0 <= page_index < len(spec.pages):
        raise survey_spec.AnswerError([survey_spec.Problem("page", "no such page")])
    if visit.response is None and page_index != visit.page_index:
        raise survey_spec.AnswerError([survey_spec.Problem("page", "a new response starts at the first page")])
    merged = _merge(visit, page_index, page_answers)
    rows = survey_spec.validate_answers(spec, merged, embedded=visit.embedded, complete=True, pages=[page_index])
    nxt = survey_spec.next_page(spec, page_index, answers=merged, embedded=visit.embedded)
    now = timezone.now()
    with transaction.atomic():
        response = visit.response
        if response is None:
            contact = visit.invitation.contact if visit.invitation else _widget_contact(visit, channel)
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
        _store(response, rows)
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
        mark_dirty([response])  # rollups count it once it is complete (a no-op while partial)
        hooks.captured([response])  # the rules' queue: response.created, and the rules once complete
    visit.response = response
    visit.answers = merged
    return Saved(response, nxt)


def _store(response: Response, rows: list[survey_spec.AnswerRow]) -> None:
    Answer.objects.filter(response=response).delete()
    Answer.objects.bulk_create(
        Answer(response=response, question_key=r.key, number=r.number, choices=list(r.choices), text=r.text)
        for r in rows
    )


def keep_page(*, visit: Visit, page_index: int, page_answers: Mapping[str, Any]) -> int | None:
    """Back: keep what the respondent put on this page without asking for the required answers, and
    return the page shown before it (None on the first page). Answers that are not valid (an out-of-range
    value, a required consent refused) are left out rather than refused; the response stays where it was
    (``last_page``), so no page is skipped and no response is created or completed here."""
    spec = visit.spec
    if not 0 <= page_index < len(spec.pages):
        return None
    if visit.response is None:  # nothing saved yet: only the first page, which has no Back
        return visit.previous_page(page_index)
    merged = _merge(visit, page_index, page_answers)
    page_keys = {q.key for q in spec.pages[page_index].questions}
    rows = None
    for _attempt in range(3):
        try:
            rows = survey_spec.validate_answers(spec, merged, embedded=visit.embedded, complete=False)
            break
        except survey_spec.AnswerError as exc:
            bad = {p.path.removeprefix("answers.").partition(".")[0] for p in exc.problems}
            drop = bad & page_keys if _attempt == 0 else page_keys
            merged = survey_spec.prune_answers(
                spec, {k: v for k, v in merged.items() if k.partition(".")[0] not in drop}, embedded=visit.embedded)
    if rows is not None:
        with transaction.atomic():
            response = Response.objects.select_for_update().get(pk=visit.response.pk)
            if response.status != ResponseStatus.COMPLETE:
                _store(response, rows)
                response.submitted_at = timezone.now()
                response.save(update_fields=["submitted_at"])
                mark_dirty([response])  # rollups: a no-op (only partial responses are kept here)
                visit.answers = merged
    return visit.previous_page(page_index)


# --- display logic on the page itself ----------------------------------------------------------------------


@dataclass(frozen=True)
class PageLogic:
    """What a page shows, given the answers of earlier pages and the embedded fields.

    ``questions``: the questions to put on the form, in page order: those whose display condition holds,
    and those whose condition depends on an answer above them on the same page ("live"; without
    JavaScript all of them are shown and the server drops the answers the logic hides on submit).
    ``live``: question key -> its condition with everything but the same-page answers already decided
    (``True``/``False`` constants), as JSON for respond.js. ``inputs``: how respond.js reads the answer of
    each same-page question those conditions refer to. Nothing else of the respondent's context (embedded
    values, earlier answers) reaches the page."""

    questions: list[survey_spec.Question]
    live: dict[str, Any]
    inputs: dict[str, dict[str, Any]]


def page_logic(spec: survey_spec.SurveySpec, page_index: int, *, answers: Mapping[str, Any],
               embedded: Mapping[str, str]) -> PageLogic:
    page = spec.pages[page_index]
    page_keys = {q.key for q in page.questions}
    earlier_keys = {q.key for p in spec.pages[:page_index] for q in p.questions}
    # The answers that count from earlier pages: those of questions the respondent was shown.
    earlier = {k: v for k, v in survey_spec.prune_answers(spec, answers, embedded=embedded).items()
               if k.partition(".")[0] in earlier_keys}
    by_key = {q.key: q for q in spec.questions()}
    questions: list[survey_spec.Question] = []
    live: dict[str, Any] = {}
    referenced: set[str] = set()

    def residual(cond: survey_spec.Condition) -> Any:
        if isinstance(cond, survey_spec.AllOf | survey_spec.AnyOf):
            is_all = isinstance(cond, survey_spec.AllOf)
            parts = [residual(c) for c in cond.conditions]
            if any(p is (not is_all) for p in parts):  # a false part of all, a true part of any
                return not is_all
            rest = [p for p in parts if not isinstance(p, bool)]
            if not rest:
                return is_all
            return rest[0] if len(rest) == 1 else {"all" if is_all else "any": rest}
        if isinstance(cond, survey_spec.Not):
            inner = residual(cond.condition)
            return (not inner) if isinstance(inner, bool) else {"not": inner}
        base, _, item = cond.ref.partition(".")
        if cond.source != "question" or base not in page_keys:
            return survey_spec.evaluate(spec, cond, answers=earlier, embedded=embedded)
        referenced.add(base)
        return _leaf(cond, by_key[base], item)

    for q in page.questions:
        if q.display_if is None:
            questions.append(q)
            continue
        decided = residual(q.display_if)
        if decided is True:
            questions.append(q)
        elif decided is not False:
            questions.append(q)
            live[q.key] = decided
    inputs = {key: _input(by_key[key]) for key in sorted(referenced)}
    return PageLogic(questions, live, inputs)


def _leaf(cond: survey_spec.Compare, question: survey_spec.Question, item: str) -> dict[str, Any]:
    """One comparison with a same-page answer, its expected values prepared the way
    ``core.survey_logic._compare_question`` compares them: ``n`` the number (or None), ``s`` the text an
    option key is compared with, ``t`` the case-folded text an open_text answer is compared with."""
    op = cond.op
    if op in ("answered", "not_answered"):
        values: tuple[Any, ...] = ()
    elif op in ("in", "not_in"):
        values = tuple(cond.value)
    else:
        values = (cond.value,)
    expected = []
    for v in values:
        text = None
        if isinstance(v, str):
            text = str(v).casefold() if op == "contains" else v.strip().casefold()
        expected.append({"n": _as_number(v), "s": (YES if v else NO) if isinstance(v, bool) else str(v),
                         "t": text})
    return {"q": question.key, "i": item, "op": op, "v": expected, "text": question.type == "open_text"}


def _input(question: survey_spec.Question) -> dict[str, Any]:
    """How the browser turns a question's inputs into the value the server would normalise them to."""
    if question.items:
        return {"kind": "items"}
    if question.type in SCALE_TYPES:
        return {"kind": "number"}
    if question.type == "multi_choice":
        return {"kind": "multi", "exclusive": [o.key for o in question.options if o.exclusive],
                "min": question.min_choices, "max": question.max_choices}
    if question.type == "open_text":
        return {"kind": "text", "max": question.max_length, "multiline": question.multiline}
    return {"kind": "choice"}
