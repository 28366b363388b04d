"""Privacy verbs (issue 10): a data subject's export and erasure, and retention policies per survey.

* ``subject_export``: everything cxloop holds about one contact, as a JSON-ready dict with stable keys and ISO
  dates: the contact (attributes, account), invitations, responses with answers and their text analysis, cases
  from the contact or their responses with the timeline, thank-you messages, behaviour events, webhook events.
* ``subject_erase``: in one transaction deletes the contact, their invitations, responses (answers, analyses,
  theme hits, queue rows cascade), thank-you logs, behaviour events and webhook events about their responses and
  cases. Cases stay (their number, status, team and dates count in the loop KPIs) but lose the contact and the
  response, replies to the customer are blanked and staff text is redacted (see ``docs/privacy.md``). The
  rollups' (survey, day) buckets of the deleted responses are marked dirty, so no number is stale.
* ``apply_retention``: for each ``RetentionPolicy`` the responses submitted before ``now`` minus N months are
  deleted or anonymised, in chunks, with the rollups marked dirty; one audit event per survey per run.

Every verb writes the audit log in its transaction with ids and counts only, never personal data."""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cxloop.analytics.rollups import day_start, mark_dirty
from cxloop.behaviour.models import Event as BehaviourEvent
from cxloop.cases.models import Case, CaseEvent, CaseEventKind, ThankYouLog
from cxloop.core.text import pii
from cxloop.core.webhook_sign import ALERT_FIRED
from cxloop.customers.models import Contact
from cxloop.interop.models import SourceResponse
from cxloop.notify.models import Event as WebhookEvent
from cxloop.orgs.access import Actor
from cxloop.orgs.models import Organization
from cxloop.orgs.services import ServiceError, audit
from cxloop.privacy.models import MAX_MONTHS, MIN_MONTHS, AnonymisedResponse, RetentionAction, RetentionPolicy
from cxloop.surveys.models import Answer, Response, Survey, SurveyInvitation
from cxloop.texts.models import CommentAnalysis, ThemeHit

logger = logging.getLogger(__name__)

FORMAT = "cxloop.subject-export/1"
CHUNK = 1000  # responses deleted or anonymised per transaction by a retention run
CONTACT_PLACEHOLDER = "[contact]"
KINDS = ("survey_invitations", "responses", "answers", "text_analyses", "theme_hits", "cases", "case_events",
         "thank_you_messages", "behaviour_events", "webhook_events")


# --- helpers --------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _who(actor: Actor | None) -> dict[str, Any]:
    if actor is None:
        return {}
    return {"actor": actor.user, "api_key": actor.api_key}


def find_contact(org: Organization, query: str) -> Contact | None:
    """The organisation's contact with this external id, or else with this e-mail address (the oldest)."""
    query = query.strip()
    if not query:
        return None
    found = Contact.objects.filter(org=org, external_id=query).first()
    if found is None and "@" in query:
        found = Contact.objects.filter(org=org, email__iexact=query).order_by("pk").first()
    return found


def _responses(org: Organization, contact: Contact) -> QuerySet[Response]:
    """The contact's responses: theirs by the contact link or by their personal invitation."""
    return Response.objects.filter(org=org).filter(Q(contact=contact) | Q(invitation__contact=contact))


def _cases(org: Organization, contact: Contact, response_ids: list[int]) -> QuerySet[Case]:
    return Case.objects.filter(org=org).filter(Q(contact=contact) | Q(response_id__in=response_ids))


def _behaviour(org: Organization, contact: Contact) -> QuerySet[BehaviourEvent]:
    # ``person`` is the contact's id for an identified person (negative numbers stand for anonymous ids).
    return BehaviourEvent.objects.filter(org=org).filter(Q(contact_id=contact.pk) | Q(person=contact.pk))


def _webhook_events(org: Organization, response_ids: list[int], case_ids: list[int]) -> QuerySet[WebhookEvent]:
    """Webhook events about these responses (``response:<id>``, ``alert:<rule>:<id>``) and cases
    (``case:<id>:…``): their payloads carry the contact and the comment."""
    match = Q(subject__in=[f"response:{pk}" for pk in response_ids])
    for pk in response_ids:
        match |= Q(type=ALERT_FIRED, subject__endswith=f":{pk}", subject__startswith="alert:")
    for pk in case_ids:
        match |= Q(subject__startswith=f"case:{pk}:")
    return WebhookEvent.objects.filter(org=org).filter(match)


# --- the summary and the export -------------------------------------------------------------------


def subject_counts(*, org: Organization, contact: Contact) -> dict[str, int]:
    """How many rows of each kind cxloop holds about the contact (the privacy page's summary)."""
    response_ids = list(_responses(org, contact).values_list("pk", flat=True))
    case_ids = list(_cases(org, contact, response_ids).values_list("pk", flat=True))
    return {
        "survey_invitations": SurveyInvitation.objects.filter(org=org, contact=contact).count(),
        "responses": len(response_ids),
        "answers": Answer.objects.filter(response_id__in=response_ids).count(),
        "text_analyses": CommentAnalysis.objects.filter(org=org, response_id__in=response_ids).count(),
        "theme_hits": ThemeHit.objects.filter(org=org, response_id__in=response_ids).count(),
        "cases": len(case_ids),
        "case_events": CaseEvent.objects.filter(case_id__in=case_ids).count(),
        "thank_you_messages": ThankYouLog.objects.filter(org=org).filter(
            Q(contact=contact) | Q(response_id__in=response_ids)).count(),
        "behaviour_events": _behaviour(org, contact).count(),
        "webhook_events": _webhook_events(org, response_ids, case_ids).count(),
    }


def _contact_out(c: Contact) -> dict[str, Any]:
    account = None
    if c.account is not None:
        account = {"id": c.account.pk, "external_id": c.account.external_id, "name": c.account.name,
                   "tier": c.account.tier}
    return {"id": c.pk, "external_id": c.external_id, "name": c.name, "email": c.email, "phone": c.phone,
            "language": c.language, "title": c.title, "stakeholder_role": c.stakeholder_role,
            "attributes": c.attributes, "unsubscribed_at": _iso(c.unsubscribed_at),
            "last_invited_at": _iso(c.last_invited_at), "created_at": _iso(c.created_at), "account": account}


def _invitation_out(i: SurveyInvitation) -> dict[str, Any]:
    # The token is left out: it is a working link to answer as this person.
    return {"id": i.pk, "survey": {"id": i.survey_id, "name": i.survey.name}, "language": i.language,
            "touchpoint": i.touchpoint, "embedded": i.embedded, "created_at": _iso(i.created_at),
            "sent_at": _iso(i.sent_at), "reminded_at": _iso(i.reminded_at), "opened_at": _iso(i.opened_at),
            "started_at": _iso(i.started_at), "completed_at": _iso(i.completed_at),
            "expires_at": _iso(i.expires_at), "failed_at": _iso(i.failed_at)}


def _response_out(r: Response, answers: list[Answer], analysis: CommentAnalysis | None,
                  source: SourceResponse | None) -> dict[str, Any]:
    return {
        "id": r.pk, "survey": {"id": r.survey_id, "name": r.survey.name}, "status": r.status,
        "started_at": _iso(r.started_at), "submitted_at": _iso(r.submitted_at),
        "duration_seconds": r.duration_seconds, "channel": r.channel, "language": r.language,
        "touchpoint": r.touchpoint, "embedded": r.embedded, "invitation_id": r.invitation_id,
        "account_id": r.account_id,
        "answers": [{"question_key": a.question_key, "number": a.number, "choices": a.choices, "text": a.text}
                    for a in answers],
        "text_analysis": None if analysis is None else {
            "language": analysis.language, "sentiment_score": analysis.sentiment_score,
            "sentiment_label": analysis.sentiment_label, "themes": list(analysis.themes),
            "analysed_at": _iso(analysis.analysed_at)},
        "imported_from": None if source is None else {"source": source.source, "source_id": source.source_id},
    }


def _case_out(c: Case, events: list[CaseEvent]) -> dict[str, Any]:
    return {"number": c.number, "title": c.title, "status": c.status, "priority": c.priority,
            "category": c.category, "response_id": c.response_id,
            "survey": None if c.survey is None else {"id": c.survey_id, "name": c.survey.name},
            "opened_at": _iso(c.opened_at), "first_contact_at": _iso(c.first_contact_at),
            "resolved_at": _iso(c.resolved_at), "closed_at": _iso(c.closed_at),
            "resolution_note": c.resolution_note, "recovered": c.recovered,
            "events": [{"kind": e.kind, "at": _iso(e.at), "from_status": e.from_status, "to_status": e.to_status,
                        "body": e.body} for e in events]}


def subject_export(*, org: Organization, contact: Contact, actor: Actor | None = None) -> dict[str, Any]:
    """Everything cxloop holds about ``contact`` (see the module's docstring), audit-logged with counts."""
    if contact.org_id != org.pk:
        raise ServiceError("The contact is not in this organisation.", field="contact", status=404)
    contact = Contact.objects.select_related("account").get(pk=contact.pk)
    responses = list(_responses(org, contact).select_related("survey").order_by("submitted_at", "pk"))
    ids = [r.pk for r in responses]
    answers: dict[int, list[Answer]] = {}
    for a in Answer.objects.filter(response_id__in=ids).order_by("response_id", "pk"):
        answers.setdefault(a.response_id, []).append(a)
    analyses = {a.response_id: a for a in CommentAnalysis.objects.filter(org=org, response_id__in=ids)}
    sources = {s.response_id: s for s in SourceResponse.objects.filter(org=org, response_id__in=ids)}
    cases = list(_cases(org, contact, ids).select_related("survey").order_by("number"))
    case_events: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.filter(case_id__in=[c.pk for c in cases]).order_by("at", "pk"):
        case_events.setdefault(e.case_id, []).append(e)
    thanks = list(ThankYouLog.objects.filter(org=org).filter(Q(contact=contact) | Q(response_id__in=ids))
                  .select_related("rule").order_by("sent_at", "pk"))
    behaviour = list(_behaviour(org, contact).order_by("at", "pk"))
    hooks = list(_webhook_events(org, ids, [c.pk for c in cases]).order_by("created_at", "pk"))
    invitations = list(SurveyInvitation.objects.filter(org=org, contact=contact).select_related("survey")
                       .order_by("created_at", "pk"))
    out: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": _iso(timezone.now()),
        "organisation": {"slug": org.slug, "name": org.name},
        "contact": _contact_out(contact),
        "survey_invitations": [_invitation_out(i) for i in invitations],
        "responses": [_response_out(r, answers.get(r.pk, []), analyses.get(r.pk), sources.get(r.pk))
                      for r in responses],
        "cases": [_case_out(c, case_events.get(c.pk, [])) for c in cases],
        "thank_you_messages": [{"response_id": t.response_id, "rule": t.rule.name, "sent_at": _iso(t.sent_at)}
                               for t in thanks],
        "behaviour_events": [{"name": e.name, "at": _iso(e.at), "touchpoint": e.touchpoint,
                              "properties": e.properties, "anonymous_id": e.anonymous_id, "source": e.source}
                             for e in behaviour],
        "webhook_events": [{"type": e.type, "subject": e.subject, "created_at": _iso(e.created_at)} for e in hooks],
    }
    counts = {
        "survey_invitations": len(invitations), "responses": len(responses),
        "answers": sum(len(v) for v in answers.values()), "text_analyses": len(analyses),
        "theme_hits": ThemeHit.objects.filter(org=org, response_id__in=ids).count(),
        "cases": len(cases), "case_events": sum(len(v) for v in case_events.values()),
        "thank_you_messages": len(thanks), "behaviour_events": len(behaviour), "webhook_events": len(hooks),
    }
    out["counts"] = counts
    audit("privacy.export", org=org, target=f"contact:{contact.pk}", contact_id=contact.pk, counts=counts,
          **_who(actor))
    return out


# --- erasure --------------------------------------------------------------------------------------


def _scrubber(contact: Contact) -> Any:
    """Staff text with the contact's identifiers (name, e-mail, phone, external id) replaced by ``[contact]``
    and any other e-mail, phone, ID or card number redacted (``core.text.pii``)."""
    names = sorted({v.strip() for v in (contact.name, contact.email, contact.phone, contact.external_id)
                    if v and len(v.strip()) >= 2}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE) if names else None

    def scrub(text: str) -> str:
        if not text:
            return text
        if pattern is not None:
            text = pattern.sub(CONTACT_PLACEHOLDER, text)
        return pii.redact(text).text

    return scrub


@dataclass(frozen=True)
class Erased:
    contact_id: int
    counts: dict[str, int]


def subject_erase(*, org: Organization, contact: Contact, actor: Actor | None = None) -> Erased:
    """Erase ``contact`` and everything about them, in one transaction (see the module's docstring)."""
    if contact.org_id != org.pk:
        raise ServiceError("The contact is not in this organisation.", field="contact", status=404)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        rows = list(_responses(org, contact).values("pk", "survey_id", "submitted_at", "status"))
        ids = [r["pk"] for r in rows]
        cases = list(_cases(org, contact, ids))
        case_ids = [c.pk for c in cases]
        counts = {
            "answers": Answer.objects.filter(response_id__in=ids).count(),
            "text_analyses": CommentAnalysis.objects.filter(org=org, response_id__in=ids).count(),
            "theme_hits": ThemeHit.objects.filter(org=org, response_id__in=ids).count(),
        }
        mark_dirty(rows)  # rollups: these (survey, day) buckets are recounted without the responses
        counts["webhook_events"] = _webhook_events(org, ids, case_ids).delete()[1].get(
            WebhookEvent._meta.label, 0)
        scrub = _scrubber(contact)
        events_changed = 0
        for e in CaseEvent.objects.filter(case_id__in=case_ids):
            if e.kind == CaseEventKind.REPLY:  # a message to the customer: their address and what was quoted
                body, data = "", {}
            else:
                body, data = scrub(e.body), e.data
            if (body, data) != (e.body, e.data):
                CaseEvent.objects.filter(pk=e.pk).update(body=body, data=data)
                events_changed += 1
        for c in cases:
            Case.objects.filter(pk=c.pk).update(contact=None, response=None,
                                                resolution_note=scrub(c.resolution_note), title=scrub(c.title))
        counts["cases_kept_without_contact"] = len(cases)
        counts["case_events_redacted"] = events_changed
        counts["thank_you_messages"] = ThankYouLog.objects.filter(org=org).filter(
            Q(contact=contact) | Q(response_id__in=ids)).delete()[0]
        Response.objects.filter(pk__in=ids).delete()
        counts["responses"] = len(ids)
        counts["survey_invitations"] = SurveyInvitation.objects.filter(org=org, contact=contact).delete()[0]
        counts["behaviour_events"] = _behaviour(org, contact).delete()[0]
        pk = contact.pk
        contact.delete()
        counts["contact"] = 1
        audit("privacy.erase", org=org, target=f"contact:{pk}", contact_id=pk, counts=counts, **_who(actor))
    return Erased(contact_id=pk, counts=counts)


# --- retention policies ---------------------------------------------------------------------------


def _months(value: Any) -> int:
    try:
        months = int(value)
        if isinstance(value, bool) or float(value) != months:
            raise ValueError
    except (TypeError, ValueError):
        raise ServiceError("Months must be a whole number.", field="months", status=422) from None
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise ServiceError(f"Months must be between {MIN_MONTHS} and {MAX_MONTHS}.", field="months", status=422)
    return months


def _action(value: Any) -> str:
    if value not in RetentionAction.values:
        raise ServiceError("The action must be 'delete' or 'anonymise'.", field="action", status=422)
    return str(value)


def set_policy(*, org: Organization, survey: Survey, months: Any, action: Any,
               actor: Actor | None = None) -> RetentionPolicy:
    """Create or change the survey's retention policy; errors name the field (``months``, ``action``)."""
    if survey.org_id != org.pk:
        raise ServiceError("The survey is not in this organisation.", field="survey", status=404)
    months, action = _months(months), _action(action)
    with transaction.atomic():
        policy, created = RetentionPolicy.objects.update_or_create(
            survey=survey, defaults={"org": org, "months": months, "action": action,
                                     "updated_by": actor.user if actor else None, "updated_at": timezone.now()})
        audit("privacy.retention_set", org=org, target=f"survey:{survey.pk}", survey_id=survey.pk, months=months,
              retention_action=action, created=created, **_who(actor))
    return policy


def remove_policy(*, org: Organization, survey: Survey, actor: Actor | None = None) -> bool:
    """Remove the survey's retention policy; False when it had none."""
    if survey.org_id != org.pk:
        raise ServiceError("The survey is not in this organisation.", field="survey", status=404)
    with transaction.atomic():
        deleted = RetentionPolicy.objects.filter(org=org, survey=survey).delete()[0]
        if deleted:
            audit("privacy.retention_removed", org=org, target=f"survey:{survey.pk}", survey_id=survey.pk,
                  **_who(actor))
    return bool(deleted)


def months_before(now: datetime, months: int) -> datetime:
    """``now`` moved back ``months`` calendar months in the installation's time zone (the 31st becomes the
    month's last day when the month is shorter)."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    index = local.year * 12 + local.month - 1 - months
    year, month = index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    return timezone.make_aware(naive, timezone.get_default_timezone())


@dataclass(frozen=True)
class Applied:
    survey_id: int
    action: str
    cutoff: datetime
    responses: int


def _chunks(query: QuerySet[Response]) -> Iterable[list[dict[str, Any]]]:
    while True:
        rows: list[dict[str, Any]] = [dict(r) for r in query.order_by("pk").values(
            "pk", "survey_id", "submitted_at", "status")[:CHUNK]]
        if not rows:
            return
        yield rows


def apply_policy(policy: RetentionPolicy, now: datetime) -> Applied:
    """Delete or anonymise the survey's responses submitted before ``now`` minus the policy's months, one chunk
    per transaction (the rollups' buckets marked dirty in each); one audit event."""
    cutoff = months_before(now, policy.months)
    old = Response.objects.filter(org_id=policy.org_id, survey_id=policy.survey_id, submitted_at__lt=cutoff)
    done = 0
    if policy.action == RetentionAction.DELETE:
        for rows in _chunks(old):
            with transaction.atomic():
                mark_dirty(rows)
                done += Response.objects.filter(pk__in=[r["pk"] for r in rows]).delete()[1].get(
                    Response._meta.label, 0)
    else:
        for rows in _chunks(old.filter(privacy_anonymised__isnull=True)):
            ids = [r["pk"] for r in rows]
            with transaction.atomic():
                mark_dirty(rows)  # the account (its tier) is a rollup dimension
                Response.objects.filter(pk__in=ids).update(contact=None, account=None, invitation=None,
                                                           embedded={}, resume_token=None)
                Answer.objects.filter(response_id__in=ids).exclude(text="").update(text="")
                ThankYouLog.objects.filter(response_id__in=ids).delete()  # it links the contact to the response
                AnonymisedResponse.objects.bulk_create(
                    [AnonymisedResponse(response_id=pk, org_id=policy.org_id, anonymised_at=now) for pk in ids])
            done += len(ids)
    with transaction.atomic():
        RetentionPolicy.objects.filter(pk=policy.pk).update(last_applied_at=now)
        audit("privacy.retention_applied", org=policy.org, target=f"survey:{policy.survey_id}",
              survey_id=policy.survey_id, retention_action=policy.action, months=policy.months,
              cutoff=cutoff.isoformat(), responses=done)
    return Applied(survey_id=policy.survey_id, action=policy.action, cutoff=cutoff, responses=done)


def apply_retention(now: datetime | None = None, *, due_only: bool = False) -> list[Applied]:
    """Apply every organisation's retention policies at ``now``. With ``due_only`` (the worker's clock) a policy
    already applied today (local day) is skipped, and each is claimed with one conditional UPDATE, so two clocks
    do not run it twice."""
    now = now or timezone.now()
    today_start = day_start(timezone.localtime(now, timezone.get_default_timezone()).date())
    not_today = Q(last_applied_at__isnull=True) | Q(last_applied_at__lt=today_start)
    policies = RetentionPolicy.objects.select_related("org").order_by("pk")
    if due_only:
        policies = policies.filter(not_today)
    out = []
    for policy in policies:
        if due_only and not RetentionPolicy.objects.filter(pk=policy.pk).filter(not_today).update(
                last_applied_at=now):
            continue
        try:
            out.append(apply_policy(policy, now))
        except Exception:  # one survey's failure must not stop the others; it is retried tomorrow
            logger.exception("retention of survey %s failed", policy.survey_id)
    return out


def apply_due() -> int:
    """The worker's clock (``surveys.tasks.tick``): today's retention runs not done yet; returns how many."""
    return len(apply_retention(due_only=True))


def policies(org: Organization) -> list[tuple[Survey, RetentionPolicy | None]]:
    """Every survey of the organisation with its retention policy (or None), by name."""
    found = {p.survey_id: p for p in RetentionPolicy.objects.filter(org=org)}
    return [(s, found.get(s.pk)) for s in Survey.objects.filter(org=org).order_by("name", "pk")]
