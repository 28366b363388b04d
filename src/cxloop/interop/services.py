"""Imports from other survey tools (issue 10): read a definition (and, for Qualtrics, its CSV response export) with
the pure parsers of ``core.interop``, show what would be imported and what could not be represented (``preview``),
then create the survey under the source's name, publish it and store the responses (``import_survey``) — all or
nothing for the survey, each response on its own (a response the survey refuses is reported, the others stored),
every response id of the source remembered so a second import of the same export stores nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from cxloop.core import survey_spec
from cxloop.core.interop import DROPPED, ImportedResponses, ImportedSurvey, InteropError, Note
from cxloop.core.survey_answers import validate_answers
from cxloop.interop.models import SourceResponse, SurveyImport
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import ServiceError, audit
from cxloop.surveys import services as surveys
from cxloop.surveys.models import Survey

KINDS = ("qsf", "lss", "surveyjs")
KIND_LABELS = {"qsf": "Qualtrics (.qsf)", "lss": "LimeSurvey (.lss)", "surveyjs": "SurveyJS (JSON)"}
MAX_BYTES = 50 * 1024 * 1024


class ImportError_(ServiceError):
    """A file that cannot be imported; the message names the field ("file: …", "responses: …")."""


def _kind(kind: Any) -> str:
    if kind not in KINDS:
        raise ImportError_(f"kind: use one of {', '.join(KINDS)}", field="kind")
    return str(kind)


def _bytes(data: Any, what: str) -> bytes:
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ImportError_(f"{what}: the file is empty", field=what)
    if len(data) > MAX_BYTES:
        raise ImportError_(f"{what}: larger than 50 MB", field=what, status=413)
    return bytes(data)


def read_definition(kind: Any, data: Any) -> ImportedSurvey:
    """The definition read by the parser of ``kind``; an unreadable file is an ``ImportError_`` on "file"."""
    kind = _kind(kind)
    raw = _bytes(data, "file")
    try:
        if kind == "qsf":
            from cxloop.core.interop.qsf import parse_qsf

            return parse_qsf(raw)
        if kind == "lss":
            from cxloop.core.interop.lss import parse_lss

            return parse_lss(raw)
        from cxloop.core.interop.surveyjs import parse_surveyjs

        return parse_surveyjs(raw)
    except InteropError as exc:
        raise ImportError_(f"file: {exc}", field="file") from None
    except survey_spec.SpecError as exc:  # the parser built something cxloop refuses: say what
        detail = "; ".join(f"{p.path}: {p.message}" for p in exc.problems[:5])
        raise ImportError_(f"file: the survey cannot be represented ({detail})", field="file") from None


def read_responses(kind: str, data: Any, imported: ImportedSurvey, *,
                   test_responses: bool = False) -> ImportedResponses:
    """The responses of the source's export: a Qualtrics CSV (its own test responses only with ``test_responses``),
    a LimeSurvey CSV (answer codes) or SurveyJS results (JSON)."""
    raw = _bytes(data, "responses")
    try:
        if kind == "qsf":
            from cxloop.core.interop.qsf import parse_responses

            return parse_responses(raw, imported, keep_test_responses=test_responses)
        if kind == "lss":
            from cxloop.core.interop.lss import parse_responses as parse_lss_responses

            return parse_lss_responses(raw, imported)
        from cxloop.core.interop.surveyjs import parse_responses as parse_sjs_responses

        return parse_sjs_responses(raw, imported)
    except InteropError as exc:
        raise ImportError_(f"responses: {exc}", field="responses") from None


@dataclass
class Preview:
    """What an import would do: the survey, its notes, and the responses that the survey accepts."""

    kind: str
    imported: ImportedSurvey
    responses: ImportedResponses | None = None
    valid: list[int] = field(default_factory=list)  # indexes of responses the survey accepts
    refused: list[Note] = field(default_factory=list)  # one per refused response, naming its id and the problem
    target: Survey | None = None  # the survey the responses are added to (``into``), or None: a new survey

    @property
    def notes(self) -> list[Note]:
        return [*self.imported.notes, *(self.responses.notes if self.responses else ()), *self.refused]

    @property
    def questions(self) -> int:
        return sum(len(p.questions) for p in self.imported.spec.pages)


def preview(*, kind: Any, data: Any, responses: Any = None, test_responses: bool = False,
            org: Organization | None = None, into: Any = None) -> Preview:
    """Read everything and check every response against the survey; store nothing. With ``org`` and ``into``,
    also check that the responses can be added to that survey."""
    kind = _kind(kind)
    imported = read_definition(kind, data)
    found = Preview(kind=kind, imported=imported)
    if org is not None and into not in (None, ""):
        found.target = _imported_survey(org, into, kind)
        if not responses:
            raise ImportError_("responses: give the response export to add to the survey", field="responses")
    if responses:
        found.responses = read_responses(kind, responses, imported, test_responses=test_responses)
        for i, r in enumerate(found.responses.responses):
            try:
                validate_answers(imported.spec, r.answers, embedded=r.embedded, complete=r.finished)
            except survey_spec.AnswerError as exc:
                problem = "; ".join(f"{p.path}: {p.message}" for p in exc.problems[:3])
                found.refused.append(Note(where=f"response {r.source_id}", what=f"not imported: {problem}",
                                          kind=DROPPED))
            else:
                found.valid.append(i)
    return found


def _when(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _note_dicts(notes: Sequence[Note]) -> list[dict[str, str]]:
    return [{"where": n.where, "what": n.what, "kind": n.kind} for n in notes]


def import_survey(*, org: Organization, kind: Any, data: Any, file_name: str = "", responses: Any = None,
                  responses_name: str = "", into: Any = None, test_responses: bool = False,
                  actor: User | None = None,
                  api_key: Any = None) -> SurveyImport:
    """Create the survey (the source's name, published so the responses have a version) and store the responses
    the survey accepts; the import record keeps every note. Nothing is stored when the definition cannot be read.

    ``into``: the id of a survey imported before from the same kind of file — no new survey; only the responses
    whose source id it has not stored yet are added (a second export of the same survey, a day later)."""
    found = preview(kind=kind, data=data, responses=responses, test_responses=test_responses, org=org, into=into)
    imported = found.imported
    target = found.target
    with surveys.write_slot(), transaction.atomic():  # all of it or nothing
        if target is None:
            target = surveys.create_survey(org=org, name=imported.name or "Imported survey",
                                           definition=survey_spec.to_dict(imported.spec), actor=actor)
            surveys.publish(survey=target, actor=actor)
        record = SurveyImport(org=org, survey=target, source=found.kind, file_name=file_name[:255],
                              responses_file_name=responses_name[:255], questions=found.questions, created_by=actor)
        notes = list(found.notes)
        if found.responses is not None:
            stored, skipped, refused = _store(target, found.kind,
                                              [found.responses.responses[i] for i in found.valid], notes)
            record.responses_read = len(found.responses.responses)
            record.responses_stored, record.responses_skipped = stored, skipped
            record.responses_refused = len(found.refused) + refused
        record.notes = _note_dicts(notes)
        record.save()
        audit("survey.imported", org=org, actor=actor, api_key=api_key, target=target.name, source=found.kind,
              file=file_name[:255], questions=record.questions, responses=record.responses_stored,
              notes=len(record.notes))
    return record


def _imported_survey(org: Organization, survey_id: Any, kind: str) -> Survey:
    try:
        survey = Survey.objects.get(org=org, pk=int(survey_id))
    except (TypeError, ValueError, Survey.DoesNotExist) as exc:
        raise ImportError_("into: no such survey", field="into", status=404) from exc
    if not SurveyImport.objects.filter(org=org, survey=survey, source=kind).exists():
        raise ImportError_(f"into: survey {survey.pk} was not imported from a {KIND_LABELS[kind]} file",
                           field="into")
    return survey


def _store(survey: Survey, source: str, rows: Sequence[Any], notes: list[Note]) -> tuple[int, int, int]:
    """Store the responses whose source id is new for this survey; returns (stored, skipped, refused)."""
    known = set(SourceResponse.objects.filter(survey=survey, source=source).values_list("source_id", flat=True))
    fresh = [r for r in rows if r.source_id not in known]
    skipped = len(rows) - len(fresh)
    items = [surveys.BatchItem(surveys.Submission(
        answers=r.answers, embedded=r.embedded, channel="import", language=r.language,
        submitted_at=_when(r.submitted_at), complete=r.finished)) for r in fresh]
    stored = refused = 0
    for start in range(0, len(items), 1000):
        chunk = fresh[start:start + 1000]
        results = surveys.record_batch(survey=survey, items=items[start:start + 1000])
        links = []
        for r, result in zip(chunk, results, strict=True):
            if isinstance(result, surveys.SurveyError):
                refused += 1
                notes.append(Note(where=f"response {r.source_id}", what=f"not imported: {result.message}"))
            elif result.response_id is not None:
                links.append(SourceResponse(org=survey.org, survey=survey, source=source, source_id=r.source_id,
                                            response_id=result.response_id))
        SourceResponse.objects.bulk_create(links, ignore_conflicts=True)
        stored += len(links)
    return stored, skipped, refused


def imports(org: Organization) -> list[SurveyImport]:
    return list(SurveyImport.objects.filter(org=org).select_related("survey", "created_by"))


def one(org: Organization, import_id: Any) -> SurveyImport:
    try:
        return SurveyImport.objects.select_related("survey").get(org=org, pk=int(import_id))
    except (TypeError, ValueError, SurveyImport.DoesNotExist) as exc:
        raise ImportError_("import: not found", field="import", status=404) from exc



def export_surveyjs(*, survey: Survey, version: int | None = None, actor: User | None = None,
                    api_key: Any = None) -> tuple[dict[str, Any], list[Note]]:
    """The survey (a published version, or the draft) as a SurveyJS JSON object, and what SurveyJS cannot show as
    cxloop does (``core.interop.surveyjs.dump_surveyjs``); audit-logged as an export."""
    from cxloop.core.interop.surveyjs import dump_surveyjs

    spec = surveys.definition_for(survey, version)
    found, notes = dump_surveyjs(spec)
    audit("survey.exported", org=survey.org, actor=actor, api_key=api_key, target=survey.name, format="surveyjs",
          version=version)
    return found, notes


def fetch_source(url: str, what: str) -> tuple[bytes, str]:
    """The file at ``url`` (an import from a web address): fetched through the SSRF guard of ``notify.http.fetch``
    — an address that is or resolves to a private, loopback or link-local range is refused (also after a
    redirect, each hop checked) unless ``CXLOOP_ALLOW_PRIVATE_WEBHOOKS`` is set; at most 50 MB, 30 seconds.
    Returns the bytes and a file name from the URL's path. ``what``: the field named in errors."""
    from urllib.parse import unquote, urlsplit

    from django.conf import settings

    from cxloop.notify import http

    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        raise ImportError_(f"{what}: give an http(s) address of at most 2,000 characters", field=what)
    try:
        found = http.fetch(url.strip(), max_bytes=MAX_BYTES, allow_private=settings.ALLOW_PRIVATE_WEBHOOKS,
                           timeout=30)
    except http.FetchError as exc:
        raise ImportError_(f"{what}: {exc.reason}", field=what) from None
    name = unquote(urlsplit(found.url).path.rsplit("/", 1)[-1])[:255]
    return found.body, name
