"""Text analytics on the Django side: the organisation's codeframe (saved validated, the default CX codeframe
until one is saved), the analysis of a response's comment (``core.text``: language, sentiment, themes) stored
as ``CommentAnalysis`` and ``ThemeHit`` rows, and re-theming every stored comment after the codeframe changed,
as a background job with progress.

The rules worker (``cases.intake``) analyses each complete response with a comment before its rules run, so
rules can test ``theme`` and ``sentiment``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cxloop.core.text import language as text_language
from cxloop.core.text import sentiment as text_sentiment
from cxloop.core.text import themes as text_themes
from cxloop.core.text.codeframe_default import DEFAULT_CODEFRAME
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import ServiceError, audit
from cxloop.surveys.models import Answer, Response, ResponseStatus
from cxloop.texts.models import Codeframe as StoredCodeframe
from cxloop.texts.models import CommentAnalysis, RethemeJob, ThemeHit

CHUNK = 2000
MAX_TEXT = 5000


class TextError(ServiceError):
    def __init__(self, message: str, *, field: str, status: int = 422) -> None:
        super().__init__(message, field=field, status=status)


# --- the codeframe ----------------------------------------------------------------------------------------

_matchers: dict[tuple[int, int, datetime], text_themes.Matcher] = {}
_default: list[text_themes.Matcher] = []
_lock = threading.Lock()
_local = threading.local()  # .memo: the current batch's matchers by organisation (see batch())


def codeframe_definition(org: Organization | int) -> tuple[dict[str, Any], int]:
    org_id = org if isinstance(org, int) else org.pk
    stored = StoredCodeframe.objects.filter(org_id=org_id).first()
    if stored is None:
        return DEFAULT_CODEFRAME, 0
    return stored.definition, stored.version


def default_matcher() -> tuple[text_themes.Matcher, int]:
    """The default CX codeframe, compiled once."""
    with _lock:
        if not _default:
            _default.append(text_themes.Matcher(text_themes.parse_codeframe(DEFAULT_CODEFRAME)))
        return _default[0], 0


def matcher(org: Organization | int) -> tuple[text_themes.Matcher, int]:
    """The organisation's compiled codeframe (cached per saved version) and its version (0: the default). Each
    call reads the version (one indexed query), except inside :func:`batch`, where it is read once per
    organisation."""
    org_id = org if isinstance(org, int) else org.pk
    memo: dict[int, tuple[text_themes.Matcher, int]] | None = getattr(_local, "memo", None)
    if memo is not None and org_id in memo:
        return memo[org_id]
    result = _compiled(org_id)
    if memo is not None:
        memo[org_id] = result
    return result


def _compiled(org_id: int) -> tuple[text_themes.Matcher, int]:
    # Keyed by version *and* save time: a codeframe rolled back and saved again (tests, a failed save) may
    # reuse a version number with another definition.
    saved = StoredCodeframe.objects.filter(org_id=org_id).values_list("version", "updated_at").first()
    if saved is None:
        return default_matcher()
    with _lock:
        found = _matchers.get((org_id, *saved))
    if found is not None:
        return found, saved[0]
    row = StoredCodeframe.objects.filter(org_id=org_id).values_list("definition", "version", "updated_at").first()
    if row is None:
        return default_matcher()
    definition, version, updated_at = row  # read together: the key is the definition's own
    found = text_themes.Matcher(text_themes.parse_codeframe(definition))
    with _lock:  # the organisation's older codeframes are not needed any more
        for old in [k for k in _matchers if k[0] == org_id]:
            del _matchers[old]
        _matchers[(org_id, version, updated_at)] = found
    return found, version


@contextmanager
def batch() -> Iterator[None]:
    """Within this block (the rules worker's batch of responses) :func:`matcher` reads each organisation's
    codeframe version once; the next block reads it again, so a codeframe saved between two batches is used
    from the next one (and one saved in this thread within the block at once)."""
    previous = getattr(_local, "memo", None)
    _local.memo = {}
    try:
        yield
    finally:
        _local.memo = previous


def save_codeframe(*, org: Organization, definition: dict[str, Any], actor: User | None = None) -> StoredCodeframe:
    """Validate and save the codeframe (every problem named by its path), then queue the re-theming."""
    try:
        text_themes.parse_codeframe(definition)
    except text_themes.CodeframeError as exc:
        first = exc.problems[0]
        raise TextError("; ".join(f"{p.path}: {p.message}" for p in exc.problems[:5]),
                        field=first.path or "definition") from None
    with transaction.atomic():
        stored, created = StoredCodeframe.objects.select_for_update().get_or_create(
            org=org, defaults={"definition": definition, "updated_by": actor})
        if not created:
            stored.definition, stored.version = definition, stored.version + 1
            stored.updated_at, stored.updated_by = timezone.now(), actor
            stored.save()
        audit("codeframe.saved", org=org, actor=actor, target=f"v{stored.version}")
        start_retheme(org=org)
    memo = getattr(_local, "memo", None)
    if memo is not None:
        memo.pop(org.pk, None)
    return stored


# --- analysing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    language: str
    sentiment: text_sentiment.Sentiment
    themes: tuple[str, ...]  # keys with their ancestors
    version: int


def comment_of(answers: Iterable[Answer]) -> str:
    """The response's comment: its text answers joined in answer order (not choices, not numbers)."""
    texts = [a.text for a in answers if a.number is None and not a.choices and a.text]
    return "\n".join(texts)[:MAX_TEXT]


def comments(response_ids: Sequence[int]) -> dict[int, str]:
    """The comments of these responses (as :func:`comment_of`), read in one query; responses without one
    are left out."""
    among = RawSQL(*_id_list(response_ids))  # noqa: S611 (constant SQL, the ids are its parameter)
    parts: dict[int, list[str]] = {}
    for response_id, choices, text in (Answer.objects.filter(response_id__in=among, number=None).exclude(text="")
                                       .order_by("pk").values_list("response_id", "choices", "text")):
        if not choices:
            parts.setdefault(response_id, []).append(text)
    return {pk: "\n".join(texts)[:MAX_TEXT] for pk, texts in parts.items()}


def _id_list(ids: Sequence[int]) -> tuple[str, list[Any]]:
    """A subquery giving these ids, for ``… IN (subquery)``, with the ids as one parameter: an array on
    PostgreSQL, a JSON array on SQLite (a short statement to send and parse, and no limit on parameters)."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])", [list(ids)]
    return "SELECT value FROM json_each(%s)", [json.dumps(list(ids))]


def analyse(text: str, found: text_themes.Matcher, version: int) -> Analysis:
    language = text_language.detect(text)
    feeling = text_sentiment.analyse(text, language)
    keys = tuple(text_themes.with_ancestors([h.key for h in found.match(text)]))
    return Analysis(language, feeling, keys, version)


MAX_SCORES = 40  # numeric answers of one response kept with its analysis


def scores_of(numbers: Iterable[tuple[str, float | None]]) -> dict[str, float]:
    """The response's numeric answers from its (question_key, number) pairs, as {question_key: number} (at most
    ``MAX_SCORES``, in answer order): kept with its analysis and theme rows, so that per-theme scores read no
    answers."""
    out: dict[str, float] = {}
    for key, number in numbers:
        if number is not None and len(out) < MAX_SCORES:
            out[key] = number
    return out


def store(response: Response, analysis: Analysis, answers: Iterable[Answer]) -> None:
    """Write (or replace) the response's analysis and theme rows, in the caller's transaction; ``answers`` are
    the response's answers (their numbers are kept as its ``scores``)."""
    scores = scores_of((a.question_key, a.number) for a in answers)
    values = {"org_id": response.org_id, "survey_id": response.survey_id, "submitted_at": response.submitted_at,
              "language": analysis.language, "sentiment_score": analysis.sentiment.score,
              "sentiment_label": analysis.sentiment.label, "confidence": analysis.sentiment.confidence,
              "themes": list(analysis.themes), "codeframe_version": analysis.version, "scores": scores,
              "analysed_at": timezone.now()}
    CommentAnalysis.objects.update_or_create(response=response, defaults=values)
    ThemeHit.objects.filter(response=response).delete()
    ThemeHit.objects.bulk_create([
        ThemeHit(response=response, org_id=response.org_id, survey_id=response.survey_id, theme=key,
                 submitted_at=response.submitted_at, sentiment_label=analysis.sentiment.label,
                 sentiment_score=analysis.sentiment.score, scores=scores)
        for key in analysis.themes])


# --- re-theming --------------------------------------------------------------------------------------------


def start_retheme(*, org: Organization) -> RethemeJob:
    """Queue re-theming of every stored comment with the current codeframe (after the commit)."""
    from cxloop.texts.tasks import retheme

    job = RethemeJob.objects.create(org=org, total=CommentAnalysis.objects.filter(org=org).count())
    transaction.on_commit(lambda: retheme.enqueue(job_id=job.pk), robust=True)
    return job


def run_retheme(job_id: int) -> RethemeJob:
    """Match every analysed comment of the organisation again, in chunks, updating the job's progress with each
    chunk (in the chunk's transaction); only the comments whose themes change are rewritten, the codeframe
    version is set on all, and the sentiment is kept (it does not depend on the codeframe)."""
    job = RethemeJob.objects.select_related("org").get(pk=job_id)
    if job.status in ("running", "done"):
        return job
    found, version = matcher(job.org)
    RethemeJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now(),
                                                codeframe_version=version)
    last = 0
    done = 0
    try:
        while True:
            rows = list(CommentAnalysis.objects.filter(org=job.org, response_id__gt=last).order_by("response_id")
                        .values_list("response_id", "themes", "codeframe_version")[:CHUNK])
            if not rows:
                break
            text = comments([r[0] for r in rows])
            changed: list[tuple[int, list[str]]] = []
            stale: list[int] = []  # unchanged, but analysed with another codeframe version
            for response_id, before, was in rows:
                keys = text_themes.with_ancestors([h.key for h in found.match(text.get(response_id, ""))])
                if keys != list(before or []):
                    changed.append((response_id, keys))
                elif was != version:
                    stale.append(response_id)
            done += len(rows)
            last = rows[-1][0]
            with transaction.atomic():
                _rewrite(changed, stale, version)
                RethemeJob.objects.filter(pk=job.pk).update(done=done, total=max(job.total, done))
    except Exception as exc:
        RethemeJob.objects.filter(pk=job.pk).update(status="failed", error=str(exc)[:500],
                                                    finished_at=timezone.now())
        raise
    RethemeJob.objects.filter(pk=job.pk).update(status="done", done=done, total=max(job.total, done),
                                                finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _rewrite(changed: list[tuple[int, list[str]]], stale: list[int], version: int) -> None:
    """One chunk of a re-theming, in set-based statements: the changed analyses get their themes and the
    codeframe version (PostgreSQL: one ``UPDATE … FROM unnest``; SQLite: one prepared UPDATE run for all), the
    unchanged ones analysed with another version get the version, and the changed analyses' theme rows are
    replaced by rows made from their new themes in SQL (one DELETE, one ``INSERT … SELECT``)."""
    if not changed and not stale:
        return
    table = connection.ops.quote_name(CommentAnalysis._meta.db_table)
    hits = connection.ops.quote_name(ThemeHit._meta.db_table)
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if stale:
            among, listed = _id_list(stale)
            cursor.execute(f"UPDATE {table} SET codeframe_version = %s WHERE response_id IN ({among})",  # noqa: S608
                           [version, *listed])
        if not changed:
            return
        among, listed = _id_list([pk for pk, _keys in changed])
        themes = [json.dumps(keys, ensure_ascii=False) for _pk, keys in changed]
        if postgresql:
            cursor.execute(f"UPDATE {table} AS a SET themes = c.themes::jsonb, codeframe_version = %s "  # noqa: S608
                           "FROM unnest(%s::bigint[], %s::text[]) AS c(response_id, themes) "
                           "WHERE a.response_id = c.response_id", [version, *listed, themes])
            elements = "jsonb_array_elements_text(a.themes) AS t(value)"
        else:
            cursor.executemany(f"UPDATE {table} SET themes = %s, codeframe_version = %s "  # noqa: S608
                               "WHERE response_id = %s",
                               [(keys, version, pk) for keys, (pk, _keys) in zip(themes, changed, strict=True)])
            elements = "json_each(a.themes) AS t"
        cursor.execute(f"DELETE FROM {hits} WHERE response_id IN ({among})", listed)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {hits} (response_id, org_id, survey_id, theme, submitted_at, sentiment_label, "  # noqa: S608
            "sentiment_score, scores) "
            f"SELECT a.response_id, a.org_id, a.survey_id, t.value, a.submitted_at, a.sentiment_label, "
            f"a.sentiment_score, a.scores "
            f"FROM {table} AS a, {elements} WHERE a.response_id IN ({among})", listed)


def analyse_all(org: Organization, *, batch: int = CHUNK) -> int:
    """Analyse every complete response with a comment that has no analysis yet (the demo, an import)."""
    found, version = matcher(org)
    done = 0
    last = 0
    while True:
        ids = list(Response.objects.filter(org=org, status=ResponseStatus.COMPLETE, pk__gt=last,
                                           analysis__isnull=True).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        last = ids[-1]
        text = comments(ids)
        responses = {pk: (survey_id, submitted_at) for pk, survey_id, submitted_at in Response.objects.filter(
            pk__in=list(text)).values_list("pk", "survey_id", "submitted_at")}
        numbers: dict[int, list[tuple[str, float | None]]] = {}
        for pk, key, number in (Answer.objects.filter(response_id__in=list(text), number__isnull=False)
                                .order_by("pk").values_list("response_id", "question_key", "number")):
            numbers.setdefault(pk, []).append((key, number))
        analyses: list[CommentAnalysis] = []
        hits: list[ThemeHit] = []
        for pk, comment in text.items():
            survey_id, submitted_at = responses[pk]
            result = analyse(comment, found, version)
            scores = scores_of(numbers.get(pk, []))
            analyses.append(CommentAnalysis(
                response_id=pk, org_id=org.pk, survey_id=survey_id, submitted_at=submitted_at,
                language=result.language, sentiment_score=result.sentiment.score,
                sentiment_label=result.sentiment.label, confidence=result.sentiment.confidence,
                themes=list(result.themes), codeframe_version=version, scores=scores))
            hits += [ThemeHit(response_id=pk, org_id=org.pk, survey_id=survey_id, theme=key,
                              submitted_at=submitted_at, sentiment_label=result.sentiment.label,
                              sentiment_score=result.sentiment.score, scores=scores)
                     for key in result.themes]
        with transaction.atomic():
            CommentAnalysis.objects.bulk_create(analyses, batch_size=2000, ignore_conflicts=True)
            ThemeHit.objects.bulk_create(hits, batch_size=2000, ignore_conflicts=True)
        done += len(analyses)


def themes_of(responses: Sequence[int]) -> dict[int, CommentAnalysis]:
    return {a.response_id: a for a in CommentAnalysis.objects.filter(response_id__in=list(responses))}
