"""From a captured response to work: the queue every capture path writes in its own transaction
(``surveys.hooks``), and ``process``, which takes queued responses (``SKIP LOCKED`` on PostgreSQL, so several
workers share the queue) and, in one transaction per response: emits ``response.created`` /
``response.completed``, evaluates the organisation's alert rules (``core.rules``) on the response's facts, and
for each match fires ``alert.fired``, opens a case (``cases.services.open_case``), notifies the rule's channels
and thanks promoters (frequency-capped). The queue row goes in the same transaction, so a response is acted on
once: a crash before the commit leaves it queued, after it leaves nothing to redo.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cxloop.cases.models import AlertRule, ResponseQueue
from cxloop.core import rules as rules_core
from cxloop.core import webhook_sign
from cxloop.core.survey_model import SurveySpec
from cxloop.notify import services as notify
from cxloop.surveys.models import Answer, Response, ResponseStatus
from cxloop.surveys.services import spec_of

logger = logging.getLogger(__name__)

BATCH = 25  # responses per transaction; their notifications go out after it commits
PROCESS_PATH = "cxloop.cases.tasks.process_responses"
HEADLINE_TYPES = ("nps", "csat", "ces")
COMMENT_LIMIT = 2000


# --- the queue ------------------------------------------------------------------------------------


def _row(response: Any) -> tuple[int, int, bool]:
    if isinstance(response, Mapping):
        return int(response["id"]), int(response["org_id"]), response["status"] == ResponseStatus.COMPLETE
    return int(response.pk), int(response.org_id), response.status == ResponseStatus.COMPLETE


def queue(responses: Sequence[Any]) -> None:
    """Queue responses for the rules, in the caller's transaction: one ``INSERT … ON CONFLICT`` (a partial
    response queued again when completed becomes complete); the worker is woken after the commit."""
    rows = [_row(r) for r in responses]
    if not rows:
        return
    table = connection.ops.quote_name(ResponseQueue._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    now = timezone.now()
    params: list[Any] = []
    for response_id, org_id, complete in rows:
        params += [response_id, org_id, complete, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (response_id, org_id, complete, queued_at) VALUES {values} "  # noqa: S608
            "ON CONFLICT (response_id) DO UPDATE SET complete = excluded.complete", params)
    transaction.on_commit(wake, robust=True)


_WAKE_LOCK = threading.Lock()
_LAST_WAKE = [0.0]
WAKE_EVERY = 0.2  # seconds: at most this often per process, a waiting task picks up everything queued


def wake() -> None:
    """Enqueue ``process_responses`` unless this process did so very recently and that task is still waiting
    (it will see what was queued meanwhile: it reads the queue when it runs)."""
    from django_tasks_db.models import DBTaskResult

    from cxloop.cases.tasks import process_responses

    now = time.monotonic()
    with _WAKE_LOCK:
        recent = now - _LAST_WAKE[0] < WAKE_EVERY
    if recent and DBTaskResult.objects.filter(task_path=PROCESS_PATH, status="READY").exists():
        return
    with _WAKE_LOCK:
        _LAST_WAKE[0] = now
    process_responses.enqueue()


# --- facts and payloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One response with what the rules and the events need."""

    response: Response
    spec: SurveySpec | None
    answers: list[Answer]
    facts: rules_core.ResponseFacts
    payload: dict[str, Any]

    @property
    def complete(self) -> bool:
        return self.response.status == ResponseStatus.COMPLETE


def _answer_value(answer: Answer) -> Any:
    if answer.number is not None:
        return answer.number
    if answer.choices:
        return list(answer.choices)
    return answer.text


def _types(spec: SurveySpec | None) -> dict[str, str]:
    """Question key → type (items of matrix / SUS / UMUX-Lite as ``key.item`` with the parent's type)."""
    if spec is None:
        return {}
    out: dict[str, str] = {}
    for q in spec.questions():
        out[q.key] = q.type
        for item in getattr(q, "items", ()) or ():
            out[f"{q.key}.{item.key}"] = q.type
    return out


def nps_category(value: float) -> str:
    return "promoter" if value >= 9 else "passive" if value >= 7 else "detractor"


def see(response: Response, answers: list[Answer], today: date) -> Seen:
    spec = spec_of(response.version) if response.version is not None else None
    types = _types(spec)
    scores: dict[str, float] = {}
    by_type: dict[str, float] = {}
    texts: list[str] = []
    for a in answers:
        if a.number is not None:
            scores[a.question_key] = float(a.number)
        elif not a.choices and a.text:
            texts.append(a.text)
    if spec is not None:
        for q in spec.questions():
            if q.key in scores and q.type not in by_type:
                by_type[q.type] = scores[q.key]
    contact, account = response.contact, response.account
    contact_facts: dict[str, Any] = {}
    if contact is not None:
        contact_facts = {**(contact.attributes or {}), "name": contact.name, "email": contact.email,
                         "language": contact.language, "external_id": contact.external_id,
                         "stakeholder_role": contact.stakeholder_role}
    account_facts: dict[str, Any] = {}
    if account is not None:
        account_facts = {**(account.attributes or {}), "name": account.name, "tier": account.tier,
                         "arr": float(account.arr), "region": account.region, "industry": account.industry,
                         "external_id": account.external_id}
    comment = "\n".join(texts)[:COMMENT_LIMIT] or None
    from cxloop.segments.members import labels_of  # the segments the contact is in now (ids and names)

    facts = rules_core.ResponseFacts(
        today=today, answers={a.question_key: _answer_value(a) for a in answers}, scores=scores,
        scores_by_type=by_type, embedded=dict(response.embedded or {}), touchpoint=response.touchpoint or None,
        channel=response.channel or None, language=response.language or None, survey_id=response.survey_id,
        survey_slug=response.survey.slug, contact=contact_facts, account=account_facts,
        account_renewal=account.renewal_date if account is not None else None, comment=comment,
        segments=labels_of(response.org_id, response.contact_id))
    return Seen(response, spec, answers, facts, _payload(response, answers, types, scores))


def response_link(response: Response) -> str:
    return settings.BASE_URL.rstrip("/") + reverse(
        "response_detail", kwargs={"org": response.org.slug, "response_id": response.pk})


def _payload(response: Response, answers: list[Answer], types: Mapping[str, str],
             scores: Mapping[str, float]) -> dict[str, Any]:
    version = response.version.number if response.version_id and response.version else None
    body: dict[str, Any] = {
        "id": response.pk, "status": response.status,
        "survey": {"id": response.survey_id, "name": response.survey.name, "version": version},
        "channel": response.channel, "touchpoint": response.touchpoint, "language": response.language,
        "started_at": webhook_sign.iso_utc(response.started_at),
        "submitted_at": webhook_sign.iso_utc(response.submitted_at), "embedded": dict(response.embedded or {})}
    if response.duration_seconds is not None:
        body["duration_seconds"] = response.duration_seconds
    out_answers = []
    for a in answers:
        item: dict[str, Any] = {"key": a.question_key}
        if a.number is not None:
            item["number"] = a.number
        elif a.choices:
            item["choices"] = list(a.choices)
        else:
            item["text"] = a.text
        out_answers.append(item)
    out_scores: dict[str, Any] = {}
    for key, value in scores.items():
        if types.get(key) in HEADLINE_TYPES:
            score: dict[str, Any] = {"value": value, "type": types[key]}
            if types[key] == "nps":
                score["category"] = nps_category(value)
            out_scores[key] = score
    contact: dict[str, Any] | None = None
    if response.contact is not None:
        c = response.contact
        contact = {"external_id": c.external_id, "email": c.email, "name": c.name, "account": None}
        if response.account is not None:
            contact["account"] = {"external_id": response.account.external_id, "name": response.account.name}
    return {"response": body, "answers": out_answers, "scores": out_scores, "contact": contact,
            "link": response_link(response)}


def headline(seen: Seen) -> tuple[str, str, str]:
    """(label, score, severity) of the response's first NPS / CSAT / CES answer."""
    for qtype in HEADLINE_TYPES:
        value = seen.facts.scores_by_type.get(qtype)
        if value is None:
            continue
        bad = {"nps": value <= 6, "csat": value <= 2, "ces": value <= 3}[qtype]
        good = {"nps": value >= 9, "csat": value >= 4, "ces": value >= 5}[qtype]
        return qtype.upper(), f"{value:g}", "bad" if bad else "good" if good else "warning"
    return "", "", "info"


def customer(seen: Seen) -> str:
    r = seen.response
    parts = [r.contact.name if r.contact else "", r.account.name if r.account else ""]
    return " · ".join(p for p in parts if p)


def summary(seen: Seen, title: str, link: str, facts: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    label, score, severity = headline(seen)
    return {"title": title, "severity": severity, "score_label": label, "score": score,
            "comment": seen.facts.comment or "", "customer": customer(seen), "link": link,
            "facts": [list(f) for f in facts]}


# --- processing -----------------------------------------------------------------------------------


def _rules(org_id: int, cache: dict[int, list[tuple[AlertRule, rules_core.Rule]]]
           ) -> list[tuple[AlertRule, rules_core.Rule]]:
    if org_id not in cache:
        parsed = []
        for rule in AlertRule.objects.filter(org_id=org_id, enabled=True).order_by("position", "pk"):
            try:
                parsed.append((rule, rules_core.parse(rule.definition)))
            except rules_core.RuleError:
                logger.warning("alert rule %s is invalid and skipped", rule.pk)
        cache[org_id] = parsed
    return cache[org_id]


def process(limit: int = BATCH) -> int:
    """Act on up to ``limit`` queued responses, then send the notifications that created; returns how many
    responses were taken."""
    from cxloop.cases import services
    from cxloop.texts import services as texts

    with notify.collecting() as deliveries, services.batch(), texts.batch():
        taken = _process(limit)
    for start in range(0, len(deliveries), 50):
        notify.attempt_many(deliveries[start:start + 50])
    return taken


def _process(limit: int) -> int:
    from cxloop.analytics.metrics_service import local_today

    with transaction.atomic():
        qs = ResponseQueue.objects.order_by("queued_at", "response_id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        taken = list(qs.values_list("response_id", "complete")[:limit])
        if not taken:
            return 0
        ids = [pk for pk, _complete in taken]
        responses = {r.pk: r for r in Response.objects.filter(pk__in=ids).select_related(
            "org", "survey", "survey__owner_team", "version", "contact", "account")}
        answers: dict[int, list[Answer]] = {}
        for a in Answer.objects.filter(response_id__in=ids).order_by("pk"):
            answers.setdefault(a.response_id, []).append(a)
        today = local_today()
        cache: dict[int, list[tuple[AlertRule, rules_core.Rule]]] = {}
        for pk in ids:
            response = responses.get(pk)
            if response is None:
                continue
            mark = notify.mark()
            try:
                with transaction.atomic():
                    act(see(response, answers.get(pk, []), today), _rules(response.org_id, cache))
            except Exception:  # one bad response must not block the queue; it is logged with its id
                notify.rewind(mark)  # its events go with its rolled-back work
                logger.exception("acting on response %s failed", pk)
        notify.flush()  # the batch's events and deliveries, in this transaction
        ResponseQueue.objects.filter(response_id__in=ids).delete()
    return len(taken)


def act(seen: Seen, rules: Sequence[tuple[AlertRule, rules_core.Rule]]) -> None:
    from cxloop.cases import services

    r = seen.response
    notify.emit(org=r.org_id, type=webhook_sign.RESPONSE_CREATED, subject=f"response:{r.pk}",
                data={**seen.payload, "summary": summary(seen, r.survey.name, seen.payload["link"])})
    if not seen.complete:
        return
    seen = _with_text(seen)
    notify.emit(org=r.org_id, type=webhook_sign.RESPONSE_COMPLETED, subject=f"response:{r.pk}",
                data={**seen.payload, "summary": summary(seen, r.survey.name, seen.payload["link"])})
    for rule, parsed in rules:
        if rules_core.evaluate(parsed.when, seen.facts):
            services.fire(rule, parsed, seen)


def _with_text(seen: Seen) -> Seen:
    """Analyse the comment (language, sentiment, themes: ``texts.services``), store it, and give the rules
    ``theme`` and ``sentiment``; a response without a comment is left as it is."""
    from cxloop.texts import services as texts

    text = texts.comment_of(seen.answers)
    if not text:
        return seen
    found, version = texts.matcher(seen.response.org_id)
    result = texts.analyse(text, found, version)
    texts.store(seen.response, result, seen.answers)
    facts = dataclasses.replace(seen.facts, themes=frozenset(result.themes), sentiment=result.sentiment.label)
    payload = {**seen.payload, "text": {"language": result.language, "sentiment": result.sentiment.label,
                                        "sentiment_score": round(result.sentiment.score, 3),
                                        "themes": list(result.themes)}}
    return dataclasses.replace(seen, facts=facts, payload=payload)


def drain(max_rounds: int = 1000) -> int:
    """Process until the queue is empty (tests, the clock's safety net)."""
    total = 0
    for _ in range(max_rounds):
        done = process()
        if not done:
            break
        total += done
    return total
