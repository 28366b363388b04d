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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
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

_matchers: dict[tuple[int, int], text_themes.Matcher] = {}
_default: list[text_themes.Matcher] = []
_lock = threading.Lock()


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
    """The organisation's compiled codeframe (cached per version) and its version (0: the default)."""
    org_id = org if isinstance(org, int) else org.pk
    version = StoredCodeframe.objects.filter(org_id=org_id).values_list("version", flat=True).first()
    if version is None:
        return default_matcher()
    key = (org_id, version)
    with _lock:
        found = _matchers.get(key)
    if found is None:
        definition, _version = codeframe_definition(org_id)
        found = text_themes.Matcher(text_themes.parse_codeframe(definition))
        with _lock:
            _matchers[key] = found
    return found, version


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
    return stored


# --- analysing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    language: str
    sentiment: text_sentiment.Sentiment
    themes: tuple[str, ...]  # keys with their ancestors
    version: int


def comment_of(answers: Iterable[Answer]) -> str:
    """The response's comment: its text answers joined (not choices, not numbers)."""
    texts = [a.text for a in answers if a.number is None and not a.choices and a.text]
    return "\n".join(texts)[:MAX_TEXT]


def analyse(text: str, found: text_themes.Matcher, version: int) -> Analysis:
    language = text_language.detect(text)
    feeling = text_sentiment.analyse(text, language)
    keys = tuple(text_themes.with_ancestors([h.key for h in found.match(text)]))
    return Analysis(language, feeling, keys, version)


def store(response: Response, analysis: Analysis) -> None:
    """Write (or replace) the response's analysis and theme rows, in the caller's transaction."""
    values = {"org_id": response.org_id, "survey_id": response.survey_id, "submitted_at": response.submitted_at,
              "language": analysis.language, "sentiment_score": analysis.sentiment.score,
              "sentiment_label": analysis.sentiment.label, "confidence": analysis.sentiment.confidence,
              "themes": list(analysis.themes), "codeframe_version": analysis.version,
              "analysed_at": timezone.now()}
    CommentAnalysis.objects.update_or_create(response=response, defaults=values)
    ThemeHit.objects.filter(response=response).delete()
    ThemeHit.objects.bulk_create([
        ThemeHit(response=response, org_id=response.org_id, survey_id=response.survey_id, theme=key,
                 submitted_at=response.submitted_at, sentiment_label=analysis.sentiment.label)
        for key in analysis.themes])


# --- re-theming --------------------------------------------------------------------------------------------


def start_retheme(*, org: Organization) -> RethemeJob:
    """Queue re-theming of every stored comment with the current codeframe (after the commit)."""
    from cxloop.texts.tasks import retheme

    job = RethemeJob.objects.create(org=org, total=CommentAnalysis.objects.filter(org=org).count())
    transaction.on_commit(lambda: retheme.enqueue(job_id=job.pk), robust=True)
    return job


def run_retheme(job_id: int) -> RethemeJob:
    """Match every analysed comment of the organisation again, in chunks, updating the job's progress; the
    sentiment is kept (it does not depend on the codeframe)."""
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
                        .values_list("response_id", "survey_id", "submitted_at", "sentiment_label", "themes")[:CHUNK])
            if not rows:
                break
            ids = [r[0] for r in rows]
            texts: dict[int, list[str]] = {}
            for response_id, text in (Answer.objects.filter(response_id__in=ids, number=None).exclude(text="")
                                      .order_by("pk").values_list("response_id", "text")):
                texts.setdefault(response_id, []).append(text)
            hits: list[ThemeHit] = []
            changed: list[tuple[list[str], int]] = []
            for response_id, survey_id, submitted_at, label, before in rows:
                keys = text_themes.with_ancestors(
                    [h.key for h in found.match("\n".join(texts.get(response_id, []))[:MAX_TEXT])])
                if list(keys) == list(before or []):
                    continue  # only comments whose themes change are rewritten
                changed.append((list(keys), response_id))
                hits += [ThemeHit(response_id=response_id, org_id=job.org_id, survey_id=survey_id, theme=key,
                                  submitted_at=submitted_at, sentiment_label=label) for key in keys]
            with transaction.atomic():
                _rewrite(changed, hits, ids, version)
            done += len(rows)
            last = ids[-1]
            RethemeJob.objects.filter(pk=job.pk).update(done=done, total=max(job.total, done))
    except Exception as exc:
        RethemeJob.objects.filter(pk=job.pk).update(status="failed", error=str(exc)[:500],
                                                    finished_at=timezone.now())
        raise
    RethemeJob.objects.filter(pk=job.pk).update(status="done", done=done, total=max(job.total, done),
                                                finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _rewrite(changed: list[tuple[list[str], int]], hits: list[ThemeHit], ids: list[int], version: int) -> None:
    """One chunk of a re-theming: the changed analyses' themes (one prepared UPDATE run for all), their theme
    rows replaced, and the codeframe version of the whole chunk."""
    table = connection.ops.quote_name(CommentAnalysis._meta.db_table)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        if changed:
            cursor.executemany(f"UPDATE {table} SET themes = %s{cast} WHERE response_id = %s",  # noqa: S608
                               [(json.dumps(keys, ensure_ascii=False), pk) for keys, pk in changed])
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(f"UPDATE {table} SET codeframe_version = %s WHERE response_id IN ({marks})",  # noqa: S608
                       [version, *ids])
    if changed:
        ThemeHit.objects.filter(response_id__in=[pk for _keys, pk in changed]).delete()
        ThemeHit.objects.bulk_create(hits, batch_size=2000)


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
        responses = {r.pk: r for r in Response.objects.filter(pk__in=ids)}
        answers: dict[int, list[Answer]] = {}
        for a in Answer.objects.filter(response_id__in=ids, number=None).exclude(text="").order_by("pk"):
            answers.setdefault(a.response_id, []).append(a)
        analyses: list[CommentAnalysis] = []
        hits: list[ThemeHit] = []
        for pk, mine in answers.items():
            text = comment_of(mine)
            if not text:
                continue
            r = responses[pk]
            result = analyse(text, found, version)
            analyses.append(CommentAnalysis(
                response_id=pk, org_id=r.org_id, survey_id=r.survey_id, submitted_at=r.submitted_at,
                language=result.language, sentiment_score=result.sentiment.score,
                sentiment_label=result.sentiment.label, confidence=result.sentiment.confidence,
                themes=list(result.themes), codeframe_version=version))
            hits += [ThemeHit(response_id=pk, org_id=r.org_id, survey_id=r.survey_id, theme=key,
                              submitted_at=r.submitted_at, sentiment_label=result.sentiment.label)
                     for key in result.themes]
        with transaction.atomic():
            CommentAnalysis.objects.bulk_create(analyses, batch_size=2000, ignore_conflicts=True)
            ThemeHit.objects.bulk_create(hits, batch_size=2000, ignore_conflicts=True)
        done += len(analyses)


def themes_of(responses: Sequence[int]) -> dict[int, CommentAnalysis]:
    return {a.response_id: a for a in CommentAnalysis.objects.filter(response_id__in=list(responses))}
