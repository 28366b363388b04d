"""Two closed-loop follow-ups on real parts: promoters thanked by a ``thank_you`` rule (one e-mail through a
real SMTP server, aiosmtpd, in the response's language; once per response and within the rule's cap; nothing
for a respondent without an e-mail address, and never by another organisation's rule), and SLA escalation
(``cases.services.escalate_breaches``, run by the clock task): a breached first-contact or resolution target
is escalated exactly once, business hours (the server zone, Monday–Friday 09:00–18:00) are respected, a case
resolved in time is left alone, and each escalation is a ``case.updated`` event a webhook receives, signed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from scripts.receivers import Receiver, receiver
from tests.conftest import run_tasks

from cxloop.cases import intake, services
from cxloop.cases.models import (
    AlertRule,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    ResponseQueue,
    TeamRouting,
    ThankYouLog,
)
from cxloop.core import rules as rules_core
from cxloop.core import webhook_sign
from cxloop.customers.models import Contact
from cxloop.notify import services as notify
from cxloop.notify.models import Delivery, DeliveryStatus, Event
from cxloop.orgs.models import Membership
from cxloop.surveys import services as surveys
from cxloop.surveys.models import Response

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "After your order", "default_language": "en", "languages": ["en", "zh-hans"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": {"en": "How likely are you to recommend us?",
                                               "zh-hans": "您向朋友推荐我们的可能性？"}, "required": True},
        {"key": "why", "type": "open_text", "text": {"en": "Why?", "zh-hans": "为什么？"}},
    ]}],
}
THANK_RULE: dict[str, Any] = {
    "promoter": True,
    "when": {"field": "score_type.nps", "op": ">=", "value": 9},
    "then": {"thank_you": {"template": "promoter-thanks", "cap_days": 90}},
}
TRICKY_NAME = 'Tom "TJ" <b>Jones</b> & Co'
TRICKY_COMMENT = 'Great <script>alert("x")</script> & fast'


# --- helpers -------------------------------------------------------------------------------------------


def _survey(tenant: Any, name: str = "After your order") -> Any:
    survey = surveys.create_survey(org=tenant.org, name=name, definition=DEFINITION, touchpoint="orders")
    survey.owner_team = tenant.team
    survey.save(update_fields=["owner_team"])
    surveys.publish(survey=survey)
    return survey


def _respond(survey: Any, score: int, *, contact: dict[str, Any] | None, language: str = "",
             comment: str = "") -> Response:
    answers: dict[str, Any] = {"nps": score}
    if comment:
        answers["why"] = comment
    rec = surveys.record_response(survey=survey, submission=surveys.Submission(
        answers=answers, touchpoint="orders", channel="api", language=language, contact=contact))
    assert rec.response_id is not None, rec.body
    return Response.objects.select_related("org", "survey", "version", "contact", "account").get(pk=rec.response_id)


def _process(capture: Any) -> None:
    """Act on everything queued, run the e-mails the commit would have enqueued (the test transaction never
    commits, so the on-commit callbacks are run by hand), then run the queued tasks (the real mail path)."""
    with capture(execute=True):
        intake.drain()
    run_tasks()


def _subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _parts(message: Message) -> dict[str, str]:
    out = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return out


@pytest.fixture
def thanks(tenant_a: Any) -> Any:
    tenant_a.survey = _survey(tenant_a)
    tenant_a.rule = services.save_rule(org=tenant_a.org, name="Thank promoters", definition=THANK_RULE)
    return tenant_a


# --- promoter thank-you ------------------------------------------------------------------------------------


def test_promoters_are_thanked_once_in_their_language(thanks: Any, smtp_server: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    zh = _respond(thanks.survey, 10, language="zh-hans", comment="服务很好",
                  contact={"external_id": "c-zh", "email": "wang.fang@example.cn", "name": "王芳",
                           "language": "zh-hans"})
    en = _respond(thanks.survey, 9, language="en", comment=TRICKY_COMMENT,
                  contact={"external_id": "c-en", "email": "tom@example.com", "name": TRICKY_NAME,
                           "language": "en"})
    passive = _respond(thanks.survey, 8, language="en",
                       contact={"external_id": "c-passive", "email": "pat@example.com", "name": "Pat"})
    _process(django_capture_on_commit_callbacks)

    received = smtp_server.wait_for(2)
    time.sleep(0.2)  # nothing else on its way
    assert len(smtp_server.messages) == 2, [m["To"] for m in smtp_server.messages]
    by_to = {m["To"]: m for m in received}
    assert set(by_to) == {"wang.fang@example.cn", "tom@example.com"}  # the passive is not thanked

    zh_mail, en_mail = by_to["wang.fang@example.cn"], by_to["tom@example.com"]
    assert _subject(zh_mail) == f"{thanks.org.name}向您致谢"
    assert _subject(en_mail) == f"Thank you from {thanks.org.name}"
    zh_parts, en_parts = _parts(zh_mail), _parts(en_mail)
    assert "王芳，您好：" in zh_parts["text/plain"]
    assert f"感谢您推荐{thanks.org.name}" in zh_parts["text/plain"]
    assert "Thank you for recommending" not in zh_parts["text/plain"]
    assert f"Thank you for recommending {thanks.org.name}" in en_parts["text/plain"]
    assert "感谢" not in en_parts["text/plain"]
    # The plain-text part shows the respondent's name as typed (no HTML entities in a text mail) ...
    assert f"Dear {TRICKY_NAME}," in en_parts["text/plain"]
    assert "&lt;" not in en_parts["text/plain"] and "&amp;" not in en_parts["text/plain"]
    # ... and any HTML part escapes it (today the thank-you is plain text only: cases/email/thank_you.txt);
    # the comment is not repeated back to the respondent at all.
    assert "text/plain" in en_parts
    for content_type, text in en_parts.items():
        if content_type == "text/html":
            assert "<b>Jones</b>" not in text and "&lt;b&gt;Jones&lt;/b&gt;" in text
        assert "<script>" not in text and "alert(" not in text

    logs = ThankYouLog.objects.filter(org=thanks.org)
    assert {(t.response_id, t.rule_id) for t in logs} == {(zh.pk, thanks.rule.pk), (en.pk, thanks.rule.pk)}
    assert not ThankYouLog.objects.filter(response=passive).exists()
    thanks.rule.refresh_from_db()
    assert thanks.rule.fired == 2


def test_the_language_is_the_responses_then_the_contacts(thanks: Any, smtp_server: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    Contact.objects.create(org=thanks.org, external_id="c-li", name="李娜", email="li.na@example.cn",
                           language="zh-hans")
    Contact.objects.create(org=thanks.org, external_id="c-ann", name="Ann Lee", email="ann@example.com",
                           language="zh-hans")
    # Li Na answers without naming a language: the response, and so the thank-you, is in her language.
    li = _respond(thanks.survey, 10, contact={"external_id": "c-li"})
    # Ann is on file as Chinese but took the survey in English: she is thanked in the survey's language.
    ann = _respond(thanks.survey, 10, language="en", contact={"external_id": "c-ann"})
    assert (li.language, ann.language) == ("zh-hans", "en")
    _process(django_capture_on_commit_callbacks)
    by_to = {m["To"]: _parts(m)["text/plain"] for m in smtp_server.wait_for(2)}
    assert "李娜，您好：" in by_to["li.na@example.cn"]
    assert "Dear Ann Lee," in by_to["ann@example.com"] and "感谢" not in by_to["ann@example.com"]


def test_processing_a_response_again_sends_no_second_thank_you(thanks: Any, smtp_server: Any,
                                                                django_capture_on_commit_callbacks: Any) -> None:
    # A second rule of the org opens a case for each promoter, round robin in the team.
    Membership.objects.filter(org=thanks.org, user__in=[thanks.owner, thanks.member]).update(team=thanks.team)
    routed = services.save_rule(org=thanks.org, name="Promoters to the team", definition={
        "when": {"field": "score_type.nps", "op": ">=", "value": 9},
        "then": {"open_case": {"team": thanks.team.name, "assign": "round_robin", "category": "advocacy"}}})
    contact = {"external_id": "c-en", "email": "tom@example.com", "name": "Tom", "language": "en"}
    response = _respond(thanks.survey, 10, language="en", contact=contact)
    _process(django_capture_on_commit_callbacks)
    assert len(smtp_server.wait_for(1)) == 1
    [case] = Case.objects.filter(org=thanks.org)
    routing = TeamRouting.objects.get(team=thanks.team)
    assert routing.last_assignee_id == case.assignee_id

    # The same response queued again (a retried task, a second worker) ...
    intake.queue([response])
    _process(django_capture_on_commit_callbacks)
    # ... and the rule fired on it directly, outside a worker's batch.
    seen = intake.see(response, list(response.answers.all()), timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        services.fire(thanks.rule, rules_core.parse(thanks.rule.definition), seen)
    run_tasks()
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1
    assert ThankYouLog.objects.filter(response=response).count() == 1
    assert not ResponseQueue.objects.exists()
    # The rules did not act again: fired once each, one case, the round robin not moved on.
    assert [r.fired for r in AlertRule.objects.filter(pk__in=[thanks.rule.pk, routed.pk])] == [1, 1]
    assert Event.objects.filter(type=webhook_sign.ALERT_FIRED).count() == 2
    assert list(Case.objects.filter(org=thanks.org)) == [case]
    routing.refresh_from_db()
    assert routing.last_assignee_id == case.assignee_id

    # Another promoter answer by the same contact within cap_days: capped, no second e-mail.
    again = _respond(thanks.survey, 10, language="en", contact=contact)
    _process(django_capture_on_commit_callbacks)
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1
    assert not ThankYouLog.objects.filter(response=again).exists()


def test_no_email_address_sends_nothing_and_the_batch_goes_on(thanks: Any, smtp_server: Any, caplog: Any,
                                                               django_capture_on_commit_callbacks: Any) -> None:
    anonymous = _respond(thanks.survey, 10, language="en", contact=None)
    no_email = _respond(thanks.survey, 10, language="en", contact={"external_id": "c-no-mail", "name": "No Mail"})
    assert no_email.contact is not None and no_email.contact.email == ""
    unsubscribed = _respond(thanks.survey, 10, language="en",
                            contact={"external_id": "c-unsub", "email": "gone@example.com", "name": "Gone"})
    Contact.objects.filter(external_id="c-unsub").update(unsubscribed_at=timezone.now())
    reachable = _respond(thanks.survey, 9, language="en",
                         contact={"external_id": "c-ok", "email": "ok@example.com", "name": "Okay"})
    with caplog.at_level(logging.ERROR, logger="cxloop.cases.intake"):
        _process(django_capture_on_commit_callbacks)
    assert not [r for r in caplog.records if "failed" in r.getMessage()], caplog.text
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["ok@example.com"]
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1
    assert not ResponseQueue.objects.exists()  # every response of the batch was taken and acted on
    assert list(ThankYouLog.objects.values_list("response_id", flat=True)) == [reachable.pk]
    # The rule did fire on each of them (alert.fired); only the thank-you was skipped.
    for response in (anonymous, no_email, unsubscribed, reachable):
        assert Event.objects.filter(type=webhook_sign.ALERT_FIRED, subject__endswith=f":{response.pk}").exists()


def test_another_organisations_rule_never_fires_here(tenant_a: Any, tenant_b: Any, smtp_server: Any,
                                                     django_capture_on_commit_callbacks: Any) -> None:
    survey_a, survey_b = _survey(tenant_a), _survey(tenant_b)
    rule_b = services.save_rule(org=tenant_b.org, name="Thank promoters", definition=THANK_RULE)
    contact = {"external_id": "c-1", "email": "same.person@example.com", "name": "Same Person", "language": "en"}
    mine = _respond(survey_a, 10, language="en", contact=contact)
    _process(django_capture_on_commit_callbacks)
    time.sleep(0.3)
    assert smtp_server.messages == []  # org A has no thank-you rule; org B's is not A's
    assert not ThankYouLog.objects.exists()
    assert not Event.objects.filter(type=webhook_sign.ALERT_FIRED).exists()
    rule_b.refresh_from_db()
    assert rule_b.fired == 0

    # B's own promoter (the same address, B's own contact row) is thanked by B's rule, on B's behalf.
    theirs = _respond(survey_b, 10, language="en", contact=contact)
    _process(django_capture_on_commit_callbacks)
    [mail] = smtp_server.wait_for(1)
    assert _subject(mail) == f"Thank you from {tenant_b.org.name}"
    [log] = ThankYouLog.objects.all()
    assert (log.org_id, log.rule_id, log.response_id) == (tenant_b.org.pk, rule_b.pk, theirs.pk)
    assert log.contact.org_id == tenant_b.org.pk and mine.contact_id != log.contact_id


# --- SLA escalation ----------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo(django_settings.TIME_ZONE)


def _open(tenant: Any, survey: Any, *, opened_at: datetime, first: float, resolve: float,
          clock: str = "calendar", priority: str = "normal") -> Case:
    response = _respond(survey, 3, language="en", comment="The parcel never arrived",
                        contact={"external_id": f"c-{Case.objects.count()}", "name": "Zhang Wei",
                                 "email": "zhang.wei@example.cn"})
    ResponseQueue.objects.filter(response=response).delete()  # no rules here: only the case matters
    seen = intake.see(response, list(response.answers.all()), timezone.localdate())
    action = rules_core.OpenCase(team=tenant.team.pk, priority=priority,
                                 sla=rules_core.Sla(first_contact_hours=first, resolve_hours=resolve, clock=clock))
    case = services.open_case(rule=None, action=action, seen=seen, opened_at=opened_at)
    assert case is not None
    return case


def _escalations(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=CaseEventKind.ESCALATED))


def _escalation_events(case: Case) -> list[Event]:
    return [e for e in Event.objects.filter(type=webhook_sign.CASE_UPDATED, subject__startswith=f"case:{case.pk}:")
            if "escalated" in e.data["changes"]]


@pytest.fixture
def sla_setup(tenant_a: Any) -> Any:
    tenant_a.survey = _survey(tenant_a)
    return tenant_a


@pytest.fixture
def rx(settings: Any) -> Iterator[Receiver]:
    settings.ALLOW_PRIVATE_WEBHOOKS = True  # the receiver is on loopback
    with receiver() as r:
        yield r


def test_breached_cases_are_escalated_once_and_a_webhook_hears_of_it(
        sla_setup: Any, tenant_b: Any, rx: Receiver, smtp_server: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    t = sla_setup
    hook, secret = notify.create_endpoint(org=t.org, name="Warehouse", url=f"{rx.url}/hook",
                                          events=["case.updated"])
    other_hook, _ = notify.create_endpoint(org=tenant_b.org, name="B warehouse", url=f"{rx.url}/b-hook",
                                           events=["*"])
    now = timezone.now()
    no_contact = _open(t, t.survey, opened_at=now - timedelta(hours=30), first=24, resolve=72)
    late_fix = _open(t, t.survey, opened_at=now - timedelta(hours=80), first=24, resolve=72, priority="high")
    contacted = _open(t, t.survey, opened_at=now - timedelta(hours=30), first=24, resolve=72)
    in_time = _open(t, t.survey, opened_at=now - timedelta(hours=2), first=24, resolve=72)
    # late_fix: first contact made in time, resolution overdue; contacted: first contact made, resolution not
    # due yet.
    Case.objects.filter(pk=late_fix.pk).update(first_contact_at=now - timedelta(hours=70),
                                               status=CaseStatus.IN_PROGRESS)
    services.transition(case=contacted, status=CaseStatus.CONTACTED, actor=t.owner)
    for case in (no_contact, late_fix, contacted, in_time):
        assert not _escalations(case)
    Event.objects.all().delete()
    Delivery.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        from cxloop.surveys.tasks import tick

        tick.call()  # the clock task: escalation is part of it
    no_contact.refresh_from_db()
    late_fix.refresh_from_db()
    contacted.refresh_from_db()
    in_time.refresh_from_db()
    assert no_contact.escalated_at is not None and no_contact.priority == "high"
    assert late_fix.escalated_at is not None and late_fix.priority == "urgent"
    assert contacted.escalated_at is None and contacted.priority == "normal"
    assert in_time.escalated_at is None and in_time.priority == "normal"
    [a] = _escalations(no_contact)
    assert a.data == {"breached": "first_contact", "priority": ["normal", "high"]}
    [b] = _escalations(late_fix)
    assert b.data == {"breached": "resolve", "priority": ["high", "urgent"]}
    assert [len(_escalation_events(c)) for c in (no_contact, late_fix, contacted, in_time)] == [1, 1, 0, 0]

    # The clock runs again (and escalate_breaches by itself): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        tick.call()
        assert services.escalate_breaches().case_ids == []
    assert [len(_escalations(c)) for c in (no_contact, late_fix)] == [1, 1]
    assert [len(_escalation_events(c)) for c in (no_contact, late_fix)] == [1, 1]

    # What the webhook receives: each escalation once, signed, as case.updated; org B hears nothing.
    run_tasks()
    hooks = rx.wait_for(4, timeout=5, path="/hook")
    bodies = []
    for request in hooks:
        webhook_sign.verify(secret, request.body, request.headers["X-Cxloop-Signature"], now=int(time.time()))
        bodies.append(json.loads(request.body))
    assert {b["type"] for b in bodies} == {"case.updated"}
    escalated = {b["data"]["case"]["id"]: b["data"] for b in bodies if "escalated" in b["data"]["changes"]}
    assert escalated[no_contact.number]["changes"] == {"priority": ["normal", "high"],
                                                        "escalated": [None, "first_contact"]}
    assert escalated[no_contact.number]["case"]["priority"] == "high"
    assert escalated[late_fix.number]["changes"]["escalated"] == [None, "resolve"]
    assert rx.received("/b-hook") == []
    assert not Delivery.objects.filter(endpoint=other_hook).exists()
    assert Delivery.objects.filter(endpoint=hook, status=DeliveryStatus.DELIVERED).count() == len(hooks)

    # The team lead is told by e-mail, once per escalated case.
    mails = smtp_server.wait_for(2)
    time.sleep(0.3)
    assert sorted(m["To"] for m in smtp_server.messages) == [t.owner.email] * 2
    subjects = sorted(_subject(m) for m in mails)
    assert subjects == sorted(f"[cxloop] SLA breached: #{c.number} {c.title}"[:200] for c in (no_contact, late_fix))


def test_business_hours_are_respected(sla_setup: Any, django_capture_on_commit_callbacks: Any) -> None:
    t = sla_setup
    friday_5pm = datetime(2025, 3, 7, 17, 0, tzinfo=SHANGHAI)
    business = _open(t, t.survey, opened_at=friday_5pm, first=4, resolve=16, clock="business")
    calendar = _open(t, t.survey, opened_at=friday_5pm, first=4, resolve=16)
    # 1 h on Friday, 3 h on Monday morning; 16 h: 1 h Friday, 9 h Monday, 6 h Tuesday.
    assert business.first_contact_due == datetime(2025, 3, 10, 12, 0, tzinfo=SHANGHAI)
    assert business.resolve_due == datetime(2025, 3, 11, 15, 0, tzinfo=SHANGHAI)
    assert calendar.first_contact_due == datetime(2025, 3, 7, 21, 0, tzinfo=SHANGHAI)

    def run(at: datetime) -> list[int]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.escalate_breaches(at).case_ids

    # Saturday: the calendar case is late, the business-hours one has used only one hour.
    assert run(datetime(2025, 3, 8, 10, 0, tzinfo=SHANGHAI)) == [calendar.pk]
    assert run(datetime(2025, 3, 10, 11, 59, tzinfo=SHANGHAI)) == []  # Monday, a minute before it is due
    assert run(datetime(2025, 3, 10, 12, 0, tzinfo=SHANGHAI)) == []  # due is still in time
    monday = datetime(2025, 3, 10, 12, 1, tzinfo=SHANGHAI)
    assert run(monday) == [business.pk]
    assert run(datetime(2025, 3, 11, 16, 0, tzinfo=SHANGHAI)) == []  # the resolution breach: not again
    business.refresh_from_db()
    assert business.escalated_at == monday and business.priority == "high"
    [event] = _escalations(business)
    assert event.at == monday and event.data["breached"] == "first_contact"
    assert len(_escalation_events(business)) == 1 and len(_escalation_events(calendar)) == 1


def test_a_case_resolved_before_the_deadline_is_never_escalated(sla_setup: Any,
                                                                 django_capture_on_commit_callbacks: Any) -> None:
    t = sla_setup
    now = timezone.now()
    case = _open(t, t.survey, opened_at=now - timedelta(hours=2), first=4, resolve=8)
    services.transition(case=case, status=CaseStatus.CONTACTED, actor=t.owner)
    services.transition(case=case, status=CaseStatus.RESOLVED, actor=t.owner, root_cause="process",
                        resolution_note="Refunded the parcel.", recovered=True)
    closed = _open(t, t.survey, opened_at=now - timedelta(hours=3), first=4, resolve=8)
    services.transition(case=closed, status=CaseStatus.IN_PROGRESS, actor=t.owner)
    services.transition(case=closed, status=CaseStatus.RESOLVED, actor=t.owner, root_cause="process",
                        resolution_note="Sent again.")
    services.transition(case=closed, status=CaseStatus.CLOSED, actor=t.owner)
    with django_capture_on_commit_callbacks(execute=True):
        for later in (now, now + timedelta(hours=9), now + timedelta(days=30)):
            assert services.escalate_breaches(later).case_ids == []
    for c in (case, closed):
        c.refresh_from_db()
        assert c.escalated_at is None and not _escalations(c) and not _escalation_events(c)
    case.refresh_from_db()
    assert services.sla_state(case, now + timedelta(days=30))[0] == "met"


def test_escalating_twice_at_once_escalates_once(sla_setup: Any, django_capture_on_commit_callbacks: Any) -> None:
    t = sla_setup
    now = timezone.now()
    case = _open(t, t.survey, opened_at=now - timedelta(hours=5), first=4, resolve=8, priority="urgent")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.escalate_breaches(now)
        second = services.escalate_breaches(now)
        third = services.escalate_breaches(now + timedelta(hours=4))  # the resolution is late too by then
    assert (first.case_ids, second.case_ids, third.case_ids) == ([case.pk], [], [])
    case.refresh_from_db()
    assert case.priority == "urgent"  # urgent stays urgent
    assert len(_escalations(case)) == 1 and len(_escalation_events(case)) == 1
    assert AlertRule.objects.count() == 0
