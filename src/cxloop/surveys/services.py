"""Verbs on surveys: create, edit the draft, publish (freeze a version), close; upsert contacts;
record a response — validated against the version it answers, in one transaction with its answers,
idempotent under an ``Idempotency-Key``."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models import F, Model
from django.utils import timezone

from cxloop.analytics.rollups import mark_dirty
from cxloop.core import survey_spec
from cxloop.core.moments import as_utc
from cxloop.customers.models import Contact
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import ServiceError, audit
from cxloop.surveys import hooks
from cxloop.surveys.models import (
    Answer,
    Distribution,
    IdempotencyRecord,
    Response,
    ResponseStatus,
    Survey,
    SurveyInvitation,
    SurveyStatus,
    SurveyVersion,
)

MAX_TEXT = 10_000
_SQLITE_WRITES = threading.RLock()
_HELD = threading.local()
_LOCK_FILES: dict[str, int] = {}


def _sqlite_lock_fd() -> int | None:
    """A lock file beside the SQLite database (None for an in-memory one), opened once per process."""
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    fd = _LOCK_FILES.get(name)
    if fd is None:
        fd = os.open(f"{name}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
        _LOCK_FILES[name] = fd
    return fd


@contextmanager
def write_slot() -> Iterator[None]:
    """On SQLite, let one writer at a time in: threads of this process queue on a lock, and processes
    on an ``flock`` of a file beside the database. Both wake the next writer as soon as the lock is
    free, where SQLite's own busy handler sleeps with back-off (the worst of the latency tail).
    Re-entrant within a thread."""
    if connection.vendor != "sqlite":
        yield
        return
    with _SQLITE_WRITES:
        depth = getattr(_HELD, "depth", 0)
        fd = _sqlite_lock_fd() if depth == 0 else None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD.depth = depth + 1
        try:
            yield
        finally:
            _HELD.depth = depth
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)


LANGUAGES = ("zh-hans", "zh-hant", "en")


class SurveyError(ServiceError):
    """A request about a survey that cannot be carried out; ``problems`` lists every fault."""

    def __init__(self, message: str, *, field: str = "", status: int = 400,
                 problems: list[survey_spec.Problem] | None = None) -> None:
        super().__init__(message, field=field, status=status)
        self.problems = problems or []


def _spec_error(exc: survey_spec.SpecError | survey_spec.AnswerError, status: int = 422) -> SurveyError:
    problems = list(exc.problems)
    first = problems[0] if problems else survey_spec.Problem("", str(exc))
    message = f"{first.path}: {first.message}" if first.path else first.message
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return SurveyError(message, field=first.path, status=status, problems=problems)


@lru_cache(maxsize=512)
def _parsed(version_id: int, definition_json: str) -> survey_spec.SurveySpec:
    return survey_spec.parse(json.loads(definition_json))


def spec_of(version: SurveyVersion) -> survey_spec.SurveySpec:
    """The parsed definition of a published version (versions never change, so it is cached, and kept
    on the instance too, which saves serialising the definition for the cache key on the hot path)."""
    spec: survey_spec.SurveySpec | None = getattr(version, "_cx_spec", None)
    if spec is None:
        spec = _parsed(version.pk, json.dumps(version.definition, sort_keys=True))
        version._cx_spec = spec  # type: ignore[attr-defined]
    return spec


def canonical(spec: survey_spec.SurveySpec) -> dict[str, Any]:
    """The definition as stored: canonical and JSON-shaped (scale labels keyed by strings), so a stored
    copy compares equal to a fresh one."""
    return json.loads(json.dumps(survey_spec.to_dict(spec)))


def parse_definition(definition: Mapping[str, Any]) -> survey_spec.SurveySpec:
    try:
        return survey_spec.parse(definition)
    except survey_spec.SpecError as exc:
        raise _spec_error(exc) from None


# --- survey life cycle ---------------------------------------------------------------------------------


def _new_slug() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def create_survey(
    *,
    org: Organization,
    name: str,
    definition: Mapping[str, Any],
    kind: str = "custom",
    touchpoint: str = "",
    actor: User | None = None,
) -> Survey:
    name = name.strip()
    if not name:
        raise SurveyError("A survey needs a name.", field="name")
    spec = parse_definition(definition)
    with transaction.atomic():
        survey = Survey.objects.create(
            org=org, name=name[:200], kind=kind, touchpoint=touchpoint[:120], draft=canonical(spec),
            slug=_new_slug(),
        )
        audit("survey.created", org=org, actor=actor, target=survey.name)
    return survey


def update_draft(*, survey: Survey, definition: Mapping[str, Any], actor: User | None = None) -> Survey:
    spec = parse_definition(definition)
    survey.draft = canonical(spec)
    survey.updated_at = timezone.now()
    survey.save(update_fields=["draft", "updated_at"])
    return survey


def publish(*, survey: Survey, actor: User | None = None) -> SurveyVersion:
    """Freeze the draft as the next version (a no-op when the draft equals the current version)."""
    with transaction.atomic():
        list(Survey.objects.select_for_update().filter(pk=survey.pk).values_list("pk"))  # lock the row
        survey.refresh_from_db()
        definition = canonical(parse_definition(survey.draft))
        current = survey.versions.filter(number=survey.current_version).first()
        if current is not None and current.definition == definition:
            version = current
        else:
            version = SurveyVersion.objects.create(
                survey=survey, number=survey.current_version + 1, definition=definition, published_by=actor
            )
            survey.current_version = version.number
        survey.status = SurveyStatus.PUBLISHED
        survey.slug = survey.slug or _new_slug()
        survey.updated_at = timezone.now()
        survey.save(update_fields=["current_version", "status", "slug", "updated_at"])
        audit("survey.published", org=survey.org, actor=actor, target=survey.name, version=version.number)
    return version


def close(*, survey: Survey, actor: User | None = None) -> Survey:
    with transaction.atomic():
        survey.status = SurveyStatus.CLOSED
        survey.updated_at = timezone.now()
        survey.save(update_fields=["status", "updated_at"])
        audit("survey.closed", org=survey.org, actor=actor, target=survey.name)
    return survey


_VERSIONS: dict[tuple[int, int, datetime], SurveyVersion] = {}


def current_version(survey: Survey) -> SurveyVersion:
    """The published version responses go to. Versions never change once written, so they are kept
    in memory by (survey, number); publishing bumps the number and so misses the cache. The creation
    time is part of the key because SQLite may give a deleted survey's id to a new one."""
    cache_key = (survey.pk, survey.current_version, survey.created_at)
    version = _VERSIONS.get(cache_key)
    if version is None:
        version = survey.versions.filter(number=survey.current_version).first()
        if version is None:
            raise SurveyError("This survey has not been published.", field="survey", status=409)
        if len(_VERSIONS) > 2048:
            _VERSIONS.clear()
        _VERSIONS[cache_key] = version
    return version


# --- contacts ------------------------------------------------------------------------------------------


def upsert_contact(*, org: Organization, data: Mapping[str, Any]) -> Contact:
    """Find a contact by external id, else by e-mail; create or update it. Raises on bad fields."""
    if not isinstance(data, Mapping):
        raise SurveyError("contact: must be an object", field="contact")
    if "\\u0000" in json.dumps(data, default=str):  # PostgreSQL stores no NUL character
        raise SurveyError("contact: must not contain NUL characters", field="contact")
    external_id = str(data.get("external_id") or "").strip()[:100]
    email = str(data.get("email") or "").strip().lower()[:254]
    if email and "@" not in email:
        raise SurveyError(f"contact.email: {email!r} is not an e-mail address", field="contact.email")
    if not external_id and not email:
        raise SurveyError("contact: needs an external_id or an email", field="contact")
    language = str(data.get("language") or "").strip().lower()
    if language and language not in LANGUAGES:
        raise SurveyError(f"contact.language: use one of {', '.join(LANGUAGES)}", field="contact.language")
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise SurveyError("contact.attributes: must be an object", field="contact.attributes")
    contact = None
    if external_id:
        contact = Contact.objects.filter(org=org, external_id=external_id).first()
    if contact is None and email:
        contact = Contact.objects.filter(org=org, email=email).order_by("pk").first()
    if contact is None:
        contact = Contact(org=org, external_id=external_id or f"email:{email}", name="", email=email)
    changed = contact.pk is None
    for attr, value in (("email", email), ("name", str(data.get("name") or "").strip()[:200]),
                        ("language", language)):
        if value and getattr(contact, attr) != value:
            setattr(contact, attr, value)
            changed = True
    if attributes:
        merged = {**contact.attributes, **{str(k)[:64]: v for k, v in attributes.items()}}
        if merged != contact.attributes:
            contact.attributes = merged
            changed = True
    if changed:
        contact.save()
    return contact


# --- capture -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    status_code: int
    body: dict[str, Any]
    response_id: int | None
    replayed: bool = False


@dataclass
class Submission:
    """What a respondent (page, API, widget, import) sends."""

    answers: Mapping[str, Any]
    embedded: Mapping[str, Any] = field(default_factory=dict)
    contact: Mapping[str, Any] | None = None
    touchpoint: str = ""
    channel: str = "api"
    language: str = ""
    submitted_at: datetime | None = None
    complete: bool = True


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _clean_embedded(survey_spec_: survey_spec.SurveySpec, embedded: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(embedded, Mapping):
        raise SurveyError("embedded: must be an object", field="embedded")
    out: dict[str, str] = {}
    for key, value in embedded.items():
        key = str(key)[:64].replace("\x00", "")  # PostgreSQL stores no NUL character
        if isinstance(value, (dict, list)):
            raise SurveyError(f"embedded.{key}: must be a string or number", field=f"embedded.{key}")
        text = "" if value is None else str(value).replace("\x00", "")
        if len(text) > 1000:
            raise SurveyError(f"embedded.{key}: longer than 1,000 characters", field=f"embedded.{key}")
        out[key] = text
    return out


def response_body(response: Response) -> dict[str, Any]:
    return {
        "id": response.pk,
        "survey_id": response.survey_id,
        "version": response.version.number if response.version else None,
        "status": response.status,
        "contact_id": response.contact_id,
        "touchpoint": response.touchpoint,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": response.submitted_at.isoformat(),
    }


def _require_open(survey: Survey) -> None:
    if not survey.is_open:
        raise SurveyError("This survey is closed." if survey.status == SurveyStatus.CLOSED
                          else "This survey is not open for responses.", field="survey", status=409)


class Checked(NamedTuple):
    """A submission as it will be written: its answer rows, embedded fields, language, and the time it was
    submitted moved to UTC (None: now)."""

    rows: list[survey_spec.AnswerRow]
    embedded: dict[str, str]
    language: str
    submitted_at: datetime | None


def _checked(spec: survey_spec.SurveySpec, sub: Submission, now: datetime,
             extra_embedded: Mapping[str, Any] | None = None) -> Checked:
    """Validate one submission against a version: what to write, or SurveyError naming the fault."""
    embedded = _clean_embedded(spec, {**(extra_embedded or {}), **sub.embedded})
    if not isinstance(sub.answers, Mapping):
        raise SurveyError("answers: must be an object of question key → value", field="answers")
    try:
        rows = survey_spec.validate_answers(spec, sub.answers, embedded=embedded, complete=sub.complete)
    except survey_spec.AnswerError as exc:
        raise _spec_error(exc) from None
    language = (sub.language or "").lower()
    if language and language not in LANGUAGES:
        raise SurveyError(f"language: use one of {', '.join(LANGUAGES)}", field="language")
    submitted_at = None
    if sub.submitted_at is not None:
        try:
            submitted_at = as_utc(sub.submitted_at)
        except ValueError as exc:
            raise SurveyError(f"submitted_at: {exc}", field="submitted_at") from None
        if submitted_at > now:
            raise SurveyError("submitted_at: lies in the future", field="submitted_at")
    return Checked(rows, embedded, language, submitted_at)


def _idempotent(org: Organization, scope: str, key: str, digest: str) -> Recorded | None:
    record = IdempotencyRecord.objects.filter(org=org, scope=scope, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise SurveyError(
            "Idempotency-Key was already used with a different body.", field="Idempotency-Key", status=422
        )
    return Recorded(record.status_code, record.body, record.body.get("id"), replayed=True)


def record_response(
    *,
    survey: Survey,
    submission: Submission,
    idempotency_key: str | None = None,
    digest: str | None = None,
    invitation: SurveyInvitation | None = None,
    distribution: Distribution | None = None,
    version: SurveyVersion | None = None,
) -> Recorded:
    """Validate and store one response with its answers in one transaction.

    With ``idempotency_key`` the first result is stored beside the response (same transaction) and
    returned again for a retry with the same body; a different body under the same key is a 422."""
    org = survey.org
    scope = f"survey:{survey.pk}:responses"
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > 255:
            raise SurveyError("Idempotency-Key must be 1 to 255 characters.", field="Idempotency-Key")
        digest = digest or request_hash(submission.__dict__)
        replay = _idempotent(org, scope, idempotency_key, digest)
        if replay is not None:
            return replay
    _require_open(survey)
    version = version or current_version(survey)
    spec = spec_of(version)
    now = timezone.now()
    rows, embedded, language, submitted_at = _checked(spec, submission, now, extra_embedded={
        **(distribution.embedded if distribution else {}), **(invitation.embedded if invitation else {})})
    submitted_at = submitted_at or now
    try:
        with write_slot(), transaction.atomic():
            contact = invitation.contact if invitation else None
            if submission.contact is not None and contact is None:
                contact = upsert_contact(org=org, data=submission.contact)
            response = Response.objects.create(
                org=org, survey=survey, version=version, contact=contact,
                account_id=contact.account_id if contact else None, distribution=distribution,
                invitation=invitation,
                status=ResponseStatus.COMPLETE if submission.complete else ResponseStatus.PARTIAL,
                started_at=submitted_at, submitted_at=submitted_at,
                channel=(submission.channel or (distribution.channel if distribution else "api"))[:32],
                language=language or (contact.language if contact else spec.default_language),
                touchpoint=(submission.touchpoint or (invitation.touchpoint if invitation else "")
                            or (distribution.touchpoint if distribution else "") or survey.touchpoint)[:120],
                embedded=embedded,
            )
            Answer.objects.bulk_create(
                Answer(response=response, question_key=r.key, number=r.number, choices=list(r.choices),
                       text=r.text[:MAX_TEXT])
                for r in rows
            )
            mark_dirty([response])  # rollups: one marker statement for this response's (survey, day)
            hooks.captured([response])  # the rules' queue (cases app)
            if invitation is not None:
                SurveyInvitation.objects.filter(pk=invitation.pk).update(
                    started_at=F("started_at") if invitation.started_at else now,
                    completed_at=now if submission.complete else None,
                )
            body = response_body(response)
            if idempotency_key is not None:
                IdempotencyRecord.objects.create(org=org, scope=scope, key=idempotency_key,
                                                 request_hash=digest or "", status_code=201, body=body)
    except IntegrityError:
        if idempotency_key is not None:  # a concurrent retry won the race: answer as it did
            replay = _idempotent(org, scope, idempotency_key, digest or "")
            if replay is not None:
                return replay
        if invitation is not None:
            raise SurveyError("This invitation has already been answered.", field="token", status=409) from None
        raise
    return Recorded(201, body, response.pk)


@dataclass
class BatchItem:
    submission: Submission
    idempotency_key: str | None = None
    digest: str | None = None


def _scope(survey_id: int) -> str:
    return f"survey:{survey_id}:responses"


def _replay_or_conflict(record: IdempotencyRecord, digest: str, field: str) -> Recorded:
    if record.request_hash != digest:
        raise SurveyError("Idempotency-Key was already used with a different body.", field=field, status=422)
    return Recorded(record.status_code, record.body, record.body.get("id"), replayed=True)


@dataclass
class CaptureJob:
    """One validated response waiting to be written (by :func:`commit_jobs`, maybe with others)."""

    survey: Survey
    version: SurveyVersion
    item: BatchItem
    rows: list[survey_spec.AnswerRow]
    embedded: dict[str, str]
    language: str
    submitted_at: datetime | None = None  # UTC; None: when written
    key_field: str = "Idempotency-Key"
    result: Recorded | SurveyError | None = None
    failure: BaseException | None = None

    @property
    def ident(self) -> tuple[int, str, str] | None:
        key = self.item.idempotency_key
        return None if key is None else (self.survey.org_id, _scope(self.survey.pk), key)


def validate_job(survey: Survey, version: SurveyVersion, item: BatchItem, now: datetime, *,
                 key_field: str = "Idempotency-Key") -> CaptureJob:
    """Check one submission (and its Idempotency-Key) against a version; SurveyError names the fault."""
    key = item.idempotency_key
    if key is not None:
        if not key.strip() or len(key) > 255:
            raise SurveyError("Idempotency-Key must be 1 to 255 characters.", field=key_field)
        item.digest = item.digest or request_hash(item.submission.__dict__)
    checked = _checked(spec_of(version), item.submission, now)
    return CaptureJob(survey=survey, version=version, item=item, rows=checked.rows, embedded=checked.embedded,
                      language=checked.language, submitted_at=checked.submitted_at, key_field=key_field)


_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.ForeignKey)
_COLUMNS: dict[type[Model], list[tuple[str, Any, bool]]] = {}


def _columns(model: type[Model]) -> list[tuple[str, Any, bool]]:
    """(attname, field, needs preparation) per non-key column: the field's own ``get_db_prep_save``
    where the database needs a conversion (dates, JSON, …), nothing for plain strings and numbers."""
    found = _COLUMNS.get(model)
    if found is None:
        found = [(f.attname, f, not (isinstance(f, _PLAIN_FIELDS) and not isinstance(f, models.JSONField)))
                 for f in model._meta.concrete_fields if not f.primary_key]
        _COLUMNS[model] = found
    return found


def _insert_values(model: type[Model], values: list[dict[str, Any]], *, returning: bool = False) -> list[Any]:
    """INSERT rows given as {attname: value} (missing fields take their default), each value prepared as
    the ORM would prepare it, without building model instances or compiling a query per call: on the
    capture path both cost more than writing the rows. With ``returning`` the new primary keys come back
    in row order (multi-row INSERT … RETURNING, which Django's ``bulk_create`` relies on too)."""
    if not values:
        return []
    conn = connections[DEFAULT_DB_ALIAS]  # the thread's connection itself, not the per-access proxy
    columns = _columns(model)
    qn = conn.ops.quote_name
    head = (f"INSERT INTO {qn(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(qn(f.column) for _a, f, _p in columns)}) VALUES ")
    one = f"({', '.join(['%s'] * len(columns))})"
    rows = []
    for row in values:
        params = []
        for attname, f, prepare in columns:
            value = row[attname] if attname in row else f.get_default()
            params.append(f.get_db_prep_save(value, conn) if prepare else value)
        rows.append(params)
    with conn.cursor() as cursor:
        if not returning:
            cursor.executemany(head + one, rows)
            return []
        keys: list[Any] = []
        pk = qn(model._meta.pk.column)
        for start in range(0, len(rows), 200):
            chunk = rows[start:start + 200]
            cursor.execute(f"{head}{', '.join([one] * len(chunk))} RETURNING {pk}",
                           [value for row in chunk for value in row])
            keys += [found[0] for found in cursor.fetchall()]
        return keys


def _insert_jobs(jobs: list[CaptureJob], now: datetime) -> None:
    """Write the jobs' responses, answers and idempotency records (in the caller's transaction)."""
    responses: list[dict[str, Any]] = []
    for job in jobs:
        sub = job.item.submission
        contact = upsert_contact(org=job.survey.org, data=sub.contact) if sub.contact is not None else None
        at = job.submitted_at or now
        responses.append({
            "org_id": job.survey.org_id, "survey_id": job.survey.pk, "version_id": job.version.pk,
            "contact_id": contact.pk if contact else None, "account_id": contact.account_id if contact else None,
            "status": ResponseStatus.COMPLETE.value if sub.complete else ResponseStatus.PARTIAL.value,
            "started_at": at, "submitted_at": at, "channel": (sub.channel or "api")[:32],
            "language": job.language or (contact.language if contact else spec_of(job.version).default_language),
            "touchpoint": (sub.touchpoint or job.survey.touchpoint)[:120], "embedded": job.embedded})
    ids = _insert_values(Response, responses, returning=True)
    answers: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for response_id, values, job in zip(ids, responses, jobs, strict=True):
        answers += [{"response_id": response_id, "question_key": r.key, "number": r.number,
                     "choices": list(r.choices), "text": r.text[:MAX_TEXT]} for r in job.rows]
        body = {"id": response_id, "survey_id": values["survey_id"], "version": job.version.number,
                "status": values["status"], "contact_id": values["contact_id"], "touchpoint": values["touchpoint"],
                "channel": values["channel"], "language": values["language"],
                "submitted_at": values["submitted_at"].isoformat()}
        job.result = Recorded(201, body, response_id)
        if job.item.idempotency_key is not None:
            records.append({"org_id": job.survey.org_id, "scope": _scope(job.survey.pk),
                            "key": job.item.idempotency_key, "request_hash": job.item.digest or "",
                            "status_code": 201, "body": body, "created_at": now})
    _insert_values(Answer, answers)
    mark_dirty(responses)  # rollups: one statement for the group's (survey, day) pairs
    hooks.captured([{**values, "id": response_id} for response_id, values in zip(ids, responses, strict=True)])
    _insert_values(IdempotencyRecord, records)


def stored_records(org_id: int, scope: str, keys: list[str]) -> list[IdempotencyRecord]:
    """The idempotency records of these keys (one indexed SELECT, without the ORM's query building)."""
    if not keys:
        return []
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, request_hash, status_code, body FROM {table} "  # noqa: S608
                       f"WHERE org_id = %s AND scope = %s AND key IN ({', '.join(['%s'] * len(keys))})",
                       [org_id, scope, *keys])
        rows = cursor.fetchall()
    return [IdempotencyRecord(org_id=org_id, scope=scope, key=key, request_hash=digest, status_code=status,
                              body=json.loads(body) if isinstance(body, str | bytes) else body)
            for key, digest, status, body in rows]


def _write_jobs(jobs: list[CaptureJob]) -> None:
    """Store a group of validated jobs in one transaction and set each job's result.

    A key already stored replays its first result (or is a 422 with another body); a key repeated in
    the group answers as its first job. If another process takes a key meanwhile (IntegrityError),
    each job is retried on its own so that one conflict cannot fail the others."""
    wanted: dict[tuple[int, str], list[str]] = {}
    for job in jobs:
        if job.ident is not None:
            wanted.setdefault(job.ident[:2], []).append(job.ident[2])
    known: dict[tuple[int, str, str], IdempotencyRecord] = {}
    for (org_id, scope), keys in wanted.items():
        for record in stored_records(org_id, scope, keys):
            known[(org_id, scope, record.key)] = record
    first: dict[tuple[int, str, str], CaptureJob] = {}
    todo: list[CaptureJob] = []
    repeats: list[CaptureJob] = []
    for job in jobs:
        ident = job.ident
        if ident is not None and ident in known:
            try:
                job.result = _replay_or_conflict(known[ident], job.item.digest or "", job.key_field)
            except SurveyError as exc:
                job.result = exc
        elif ident is not None and ident in first:
            repeats.append(job)
        else:
            if ident is not None:
                first[ident] = job
            todo.append(job)
    if todo:
        now = timezone.now()
        try:
            with write_slot(), transaction.atomic():
                _insert_jobs(todo, now)
        except IntegrityError:
            for job in todo:
                try:
                    job.result = record_response(survey=job.survey, submission=job.item.submission,
                                                 idempotency_key=job.item.idempotency_key,
                                                 digest=job.item.digest, version=job.version)
                except SurveyError as exc:
                    job.result = exc
    for job in repeats:
        ident = job.ident
        assert ident is not None
        original = first[ident]
        if isinstance(original.result, Recorded) and job.item.digest == original.item.digest:
            job.result = Recorded(original.result.status_code, original.result.body, original.result.response_id,
                                  replayed=True)
        elif isinstance(original.result, SurveyError) and job.item.digest == original.item.digest:
            job.result = original.result
        else:
            job.result = SurveyError("Idempotency-Key was already used with a different body.",
                                     field=job.key_field, status=422)


_QUEUE: list[CaptureJob] = []
_QUEUE_LOCK = threading.Lock()
_GROUP_LOCK = threading.Lock()


def commit_jobs(jobs: list[CaptureJob]) -> None:
    """Write the jobs, grouped with whatever other threads of this process are writing (group commit).

    Each caller queues its jobs and waits for the group lock; whoever holds it writes everything
    queued so far in one transaction, so under load many responses share one commit (and one fsync)
    while each caller still gets its answer only after its own rows are durable."""
    if connection.in_atomic_block:
        # Inside the caller's own transaction (an import, a test): its rows commit or roll back with it,
        # so they must not carry other requests' rows, and others must not wait for it.
        _write_jobs(jobs)
        return
    with _QUEUE_LOCK:
        _QUEUE.extend(jobs)
    with _GROUP_LOCK:
        if any(job.result is None and job.failure is None for job in jobs):
            with write_slot():  # taken before the queue is read: who queued while we waited joins in
                with _QUEUE_LOCK:
                    group = list(_QUEUE)
                    _QUEUE.clear()
                try:
                    _write_jobs(group)
                except BaseException as exc:
                    for job in group:
                        if job.result is None:
                            job.failure = exc
    for job in jobs:
        if job.failure is not None:
            raise job.failure


def record_batch(*, survey: Survey, items: list[BatchItem]) -> list[Recorded | SurveyError]:
    """Record many responses: each item is validated on its own (a bad one is reported, the good ones
    are stored), then all good ones are written in one transaction with bulk inserts. Items that carry
    an Idempotency-Key already used (before or earlier in this batch) replay the first result."""
    org = survey.org
    _require_open(survey)
    version = current_version(survey)
    keys = [i.idempotency_key for i in items if i.idempotency_key]
    known = {r.key: r for r in IdempotencyRecord.objects.filter(org=org, scope=_scope(survey.pk), key__in=keys)}
    results: list[Recorded | SurveyError | None] = [None] * len(items)
    jobs: list[tuple[int, CaptureJob]] = []
    now = timezone.now()
    for index, item in enumerate(items):
        try:
            if item.idempotency_key in known:  # a replay needs no validation (the survey may have changed)
                item.digest = item.digest or request_hash(item.submission.__dict__)
                results[index] = _replay_or_conflict(known[item.idempotency_key], item.digest, "idempotency_key")
                continue
            jobs.append((index, validate_job(survey, version, item, now, key_field="idempotency_key")))
        except SurveyError as exc:
            results[index] = exc
    commit_jobs([job for _index, job in jobs])
    for index, job in jobs:
        results[index] = job.result
    return [r if r is not None else SurveyError("not processed") for r in results]


def prune_idempotency_records(*, older_than_hours: int = 48) -> int:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- survey as code ------------------------------------------------------------------------------------


def definition_for(survey: Survey, version: int | None = None) -> survey_spec.SurveySpec:
    """A published version's definition, or (``version`` None) the draft's."""
    if version is not None:
        v = survey.versions.filter(number=version).first()
        if v is None:
            raise SurveyError(f"version {version} does not exist", field="version", status=404)
        return parse_definition(v.definition)
    return parse_definition(survey.draft)


def export_definition(*, survey: Survey, fmt: str = "yaml", version: int | None = None,
                      actor: User | None = None) -> str:
    """The definition (a published version, or the draft) as YAML or JSON; audit-logged as an export."""
    if fmt not in {"yaml", "json"}:
        raise SurveyError("format: use yaml or json", field="format")
    text = survey_spec.dumps(definition_for(survey, version), fmt)
    audit("survey.exported", org=survey.org, actor=actor, target=survey.name, format=fmt, version=version)
    return text


def import_definition(*, org: Organization, text: str, name: str = "", fmt: str = "auto",
                      actor: User | None = None, publish_now: bool = False) -> Survey:
    """Create a survey from YAML or JSON text (survey-as-code)."""
    try:
        spec = survey_spec.loads(text, fmt)
    except survey_spec.SpecError as exc:
        raise _spec_error(exc) from None
    title = name or survey_spec.localise(spec.name or spec.title, spec.default_language, spec.default_language)
    survey = create_survey(org=org, name=title or "Imported survey", definition=canonical(spec),
                           actor=actor)
    if publish_now:
        publish(survey=survey, actor=actor)
    return survey


def update_draft_text(*, survey: Survey, text: str, fmt: str = "auto", actor: User | None = None) -> Survey:
    try:
        spec = survey_spec.loads(text, fmt)
    except survey_spec.SpecError as exc:
        raise _spec_error(exc) from None
    return update_draft(survey=survey, definition=canonical(spec), actor=actor)


def schedule_close(*, survey: Survey, close_at: datetime | None, actor: User | None = None) -> Survey:
    """Close the survey automatically at ``close_at`` (None: stays open until closed by hand)."""
    if close_at is not None and close_at <= timezone.now():
        raise SurveyError("close_at: must lie in the future", field="close_at")
    survey.close_at = close_at
    survey.updated_at = timezone.now()
    survey.save(update_fields=["close_at", "updated_at"])
    audit("survey.close_scheduled", org=survey.org, actor=actor, target=survey.name,
          close_at=close_at.isoformat() if close_at else None)
    return survey
