"""Privacy services (issue 10): a data subject's export (exact contents on a small hand-built data set), erasure
(exactly that contact's data goes, nothing of another contact or organisation; cases keep their number without
the personal links; the rollups equal a recount), retention per survey (delete and anonymise at a given ``now``
with the boundary checked, once a day from the clock), audit rows without personal data, validation errors."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cxloop.analytics import rollups
from cxloop.analytics.models import RollupDirty, ScoreRollup
from cxloop.behaviour.models import Event as BehaviourEvent
from cxloop.cases.models import AlertRule, Case, CaseEvent, ThankYouLog
from cxloop.customers.models import Account, Contact
from cxloop.notify.models import Event as WebhookEvent
from cxloop.orgs.access import Actor
from cxloop.orgs.models import AuditEvent
from cxloop.orgs.services import ServiceError
from cxloop.privacy import services
from cxloop.privacy.models import AnonymisedResponse, RetentionPolicy
from cxloop.surveys.models import Answer, Response, Survey, SurveyInvitation
from cxloop.texts.models import CommentAnalysis, ThemeHit

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
DRAFT = {"title": {"en": "Privacy"}, "default_language": "en", "languages": ["en"],
         "pages": [{"key": "p1", "questions": [{"key": "nps", "type": "nps", "text": {"en": "Recommend?"}},
                                              {"key": "why", "type": "open_text", "text": {"en": "Why?"}}]}]}


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, s, tzinfo=SH)


def utc(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).isoformat()


def respond(survey: Survey, contact: Contact | None, when: datetime, nps: float, why: str = "",
            **extra: Any) -> Response:
    r = Response.objects.create(org=survey.org, survey=survey, contact=contact,
                                account=contact.account if contact else None, submitted_at=when, started_at=when,
                                channel="email", language="en", **extra)
    Answer.objects.create(response=r, question_key="nps", number=nps)
    if why:
        Answer.objects.create(response=r, question_key="why", text=why)
    return r


@dataclass
class World:
    org: Any
    actor: Actor
    survey: Survey
    x: Contact
    y: Contact
    other: Contact
    r1: Response
    r2: Response
    r3: Response
    other_response: Response
    invitation: SurveyInvitation
    case1: Case
    case2: Case
    rule: AlertRule


@pytest.fixture
def world(tenant_a: Any, tenant_b: Any) -> World:
    org = tenant_a.org
    account = Account.objects.create(org=org, external_id="ACC-1", name="Acme Corp", tier="enterprise")
    x = Contact.objects.create(org=org, external_id="C-100", name="Zhang Wei", email="zhang@example.com",
                               phone="13800138000", language="zh-hans", title="Buyer",
                               stakeholder_role="decision_maker", attributes={"plan": "pro"}, account=account,
                               created_at=at(2026, 1, 5))
    y = Contact.objects.create(org=org, external_id="C-200", name="Li Na", email="li@example.com",
                               created_at=at(2026, 1, 6))
    survey = Survey.objects.create(org=org, name="After support", kind="nps", slug="after-support", draft=DRAFT)
    invitation = SurveyInvitation.objects.create(org=org, survey=survey, contact=x, token="tok-x",
                                                 language="zh-hans", touchpoint="support",
                                                 created_at=at(2026, 3, 9), sent_at=at(2026, 3, 9, 11))
    r1 = respond(survey, x, at(2026, 3, 10), 3, "Call me at zhang@example.com", invitation=invitation,
                 embedded={"order": "A-1"})
    r2 = respond(survey, x, at(2026, 4, 2), 9)
    r3 = respond(survey, y, at(2026, 3, 10, 15), 10, "Great")
    CommentAnalysis.objects.create(response=r1, org=org, survey=survey, submitted_at=r1.submitted_at, language="en",
                                   sentiment_score=-0.5, sentiment_label="negative", confidence=0.8,
                                   themes=["service"], codeframe_version=1, analysed_at=at(2026, 3, 10, 12))
    ThemeHit.objects.create(response=r1, org=org, survey=survey, theme="service", submitted_at=r1.submitted_at,
                            sentiment_label="negative")
    CommentAnalysis.objects.create(response=r3, org=org, survey=survey, submitted_at=r3.submitted_at, language="en",
                                   sentiment_score=0.9, sentiment_label="positive", confidence=0.9, themes=[])
    rule = AlertRule.objects.create(org=org, name="Detractors", definition={})
    case1 = Case.objects.create(org=org, number=1, title="Detractors · After support", response=r1, survey=survey,
                                contact=x, account=account, rule=rule, team=tenant_a.team, status="resolved",
                                resolution_note="Zhang Wei was called on 13800138000", opened_at=at(2026, 3, 10, 11),
                                resolved_at=at(2026, 3, 11))
    CaseEvent.objects.create(case=case1, kind="opened", to_status="new", data={"rule": "Detractors"},
                             at=at(2026, 3, 10, 11))
    CaseEvent.objects.create(case=case1, kind="comment", body="Spoke with zhang wei, he is upset", actor=tenant_a.owner,
                             data={"mentions": []}, at=at(2026, 3, 10, 12))
    CaseEvent.objects.create(case=case1, kind="reply", body="Dear Zhang Wei, we are sorry",
                             data={"to": "zhang@example.com", "subject": "Sorry"}, at=at(2026, 3, 10, 13))
    case2 = Case.objects.create(org=org, number=2, title="Detractors · After support", response=r3, survey=survey,
                                contact=y, rule=rule, opened_at=at(2026, 3, 10, 16))
    CaseEvent.objects.create(case=case2, kind="comment", body="Li Na called", at=at(2026, 3, 10, 17))
    ThankYouLog.objects.create(org=org, rule=rule, contact=x, response=r2, sent_at=at(2026, 4, 2, 11))
    ThankYouLog.objects.create(org=org, rule=rule, contact=y, response=r3, sent_at=at(2026, 3, 10, 16))
    for name, when in (("login", at(2026, 3, 1)), ("purchase", at(2026, 3, 2))):
        BehaviourEvent.objects.create(org=org, name=name, at=when, person=x.pk, contact=x, touchpoint="web",
                                      properties={"sku": "S1"} if name == "purchase" else {})
    BehaviourEvent.objects.create(org=org, name="login", at=at(2026, 3, 1), person=y.pk, contact=y)
    BehaviourEvent.objects.create(org=org, name="login", at=at(2026, 3, 1), person=-5, anonymous_id="anon-5")
    for type_, subject, when in (("response.completed", f"response:{r1.pk}", at(2026, 3, 10, 10, 1)),
                                 ("alert.fired", f"alert:{rule.pk}:{r1.pk}", at(2026, 3, 10, 10, 2)),
                                 ("case.opened", f"case:{case1.pk}:case.opened:x", at(2026, 3, 10, 11)),
                                 ("response.completed", f"response:{r3.pk}", at(2026, 3, 10, 15, 1))):
        WebhookEvent.objects.create(org=org, type=type_, subject=subject, created_at=when, data={"x": 1})
    # another organisation: a contact with the same external id, a response
    other = Contact.objects.create(org=tenant_b.org, external_id="C-100", name="Zhang Wei", email="zhang@example.com")
    other_survey = Survey.objects.create(org=tenant_b.org, name="B survey", kind="nps", slug="b-survey", draft=DRAFT)
    other_response = respond(other_survey, other, at(2026, 3, 10), 2, "bad")
    actor = Actor(org=org, role="owner", user=tenant_a.owner)
    return World(org=org, actor=actor, survey=survey, x=x, y=y, other=other, r1=r1, r2=r2, r3=r3,
                 other_response=other_response, invitation=invitation, case1=case1, case2=case2, rule=rule)


# --- export ---------------------------------------------------------------------------------------


def test_export_holds_exactly_the_contacts_data(world: World) -> None:
    w = world
    out = services.subject_export(org=w.org, contact=w.x, actor=w.actor)
    json.dumps(out)  # JSON-serialisable as it is
    assert out["format"] == "cxloop.subject-export/1"
    assert out["organisation"] == {"slug": w.org.slug, "name": "Acme Retail"}
    acc = Account.objects.get(org=w.org, external_id="ACC-1")
    assert out["contact"] == {
        "id": w.x.pk, "external_id": "C-100", "name": "Zhang Wei", "email": "zhang@example.com",
        "phone": "13800138000", "language": "zh-hans", "title": "Buyer", "stakeholder_role": "decision_maker",
        "attributes": {"plan": "pro"}, "unsubscribed_at": None, "last_invited_at": None,
        "created_at": "2026-01-05T02:00:00+00:00",
        "account": {"id": acc.pk, "external_id": "ACC-1", "name": "Acme Corp", "tier": "enterprise"}}
    assert out["survey_invitations"] == [{
        "id": w.invitation.pk, "survey": {"id": w.survey.pk, "name": "After support"}, "language": "zh-hans",
        "touchpoint": "support", "embedded": {}, "created_at": "2026-03-09T02:00:00+00:00",
        "sent_at": "2026-03-09T03:00:00+00:00", "reminded_at": None, "opened_at": None, "started_at": None,
        "completed_at": None, "expires_at": None, "failed_at": None}]
    assert "tok-x" not in json.dumps(out)  # the working link is not handed out
    assert [r["id"] for r in out["responses"]] == [w.r1.pk, w.r2.pk]  # oldest first; Li Na's r3 is not there
    first = out["responses"][0]
    assert first == {
        "id": w.r1.pk, "survey": {"id": w.survey.pk, "name": "After support"}, "status": "complete",
        "started_at": "2026-03-10T02:00:00+00:00", "submitted_at": "2026-03-10T02:00:00+00:00",
        "duration_seconds": None, "channel": "email", "language": "en", "touchpoint": "", "embedded": {"order": "A-1"},
        "invitation_id": w.invitation.pk, "account_id": acc.pk,
        "answers": [{"question_key": "nps", "number": 3.0, "choices": [], "text": ""},
                    {"question_key": "why", "number": None, "choices": [], "text": "Call me at zhang@example.com"}],
        "text_analysis": {"language": "en", "sentiment_score": -0.5, "sentiment_label": "negative",
                          "themes": ["service"], "analysed_at": "2026-03-10T04:00:00+00:00"},
        "imported_from": None}
    assert out["responses"][1]["text_analysis"] is None
    assert out["responses"][1]["answers"] == [{"question_key": "nps", "number": 9.0, "choices": [], "text": ""}]
    assert len(out["cases"]) == 1
    case = out["cases"][0]
    assert (case["number"], case["status"], case["response_id"], case["resolution_note"]) == (
        1, "resolved", w.r1.pk, "Zhang Wei was called on 13800138000")
    assert [(e["kind"], e["body"]) for e in case["events"]] == [
        ("opened", ""), ("comment", "Spoke with zhang wei, he is upset"), ("reply", "Dear Zhang Wei, we are sorry")]
    assert out["thank_you_messages"] == [{"response_id": w.r2.pk, "rule": "Detractors",
                                          "sent_at": "2026-04-02T03:00:00+00:00"}]
    assert out["behaviour_events"] == [
        {"name": "login", "at": "2026-03-01T02:00:00+00:00",
         "touchpoint": "web", "properties": {}, "anonymous_id": "", "source": "api"},
        {"name": "purchase", "at": "2026-03-02T02:00:00+00:00", "touchpoint": "web", "properties": {"sku": "S1"},
         "anonymous_id": "", "source": "api"}]
    assert [e["subject"] for e in out["webhook_events"]] == [
        f"response:{w.r1.pk}", f"alert:{w.rule.pk}:{w.r1.pk}", f"case:{w.case1.pk}:case.opened:x"]
    assert out["counts"] == {"survey_invitations": 1, "responses": 2, "answers": 3, "text_analyses": 1,
                             "theme_hits": 1, "cases": 1, "case_events": 3, "thank_you_messages": 1,
                             "behaviour_events": 2, "webhook_events": 3}
    assert services.subject_counts(org=w.org, contact=w.x) == out["counts"]
    # the audit row: ids and counts only
    row = AuditEvent.objects.get(org=w.org, action="privacy.export")
    assert (row.actor, row.target, row.data["contact_id"], row.data["counts"]) == (
        w.actor.user, f"contact:{w.x.pk}", w.x.pk, out["counts"])
    text = json.dumps(row.data) + row.target
    for personal in ("Zhang", "zhang@", "13800138000", "C-100", "pro"):
        assert personal not in text


def test_export_of_another_organisations_contact_is_refused(world: World) -> None:
    with pytest.raises(ServiceError) as caught:
        services.subject_export(org=world.org, contact=world.other, actor=world.actor)
    assert caught.value.status == 404 and caught.value.field == "contact"


def test_find_contact_by_external_id_or_email(world: World) -> None:
    assert services.find_contact(world.org, " C-100 ") == world.x
    assert services.find_contact(world.org, "LI@example.com") == world.y
    assert services.find_contact(world.org, "nobody@example.com") is None
    assert services.find_contact(world.org, "") is None


# --- erasure --------------------------------------------------------------------------------------


def _rollup_rows(survey_ids: list[int]) -> Counter[tuple[Any, ...]]:
    rows: Counter[tuple[Any, ...]] = Counter()
    for row in ScoreRollup.objects.filter(survey_id__in=survey_ids).values_list(
            "survey_id", "question_key", "grain", "period", "touchpoint", "channel", "language", "tier", "value",
            "count"):
        rows[row[:-1]] += row[-1]
    return rows


def test_erase_removes_exactly_the_contacts_data(world: World) -> None:
    w = world
    rollups.rebuild(survey_ids=[w.survey.pk])
    before = _rollup_rows([w.survey.pk])
    assert sum(n for k, n in before.items() if k[2] == "m:total" and k[1] == "nps") == 3
    erased = services.subject_erase(org=w.org, contact=w.x, actor=w.actor)
    assert erased.counts == {"answers": 3, "text_analyses": 1, "theme_hits": 1, "webhook_events": 3,
                             "cases_kept_without_contact": 1, "case_events_redacted": 2, "thank_you_messages": 1,
                             "responses": 2, "survey_invitations": 1, "behaviour_events": 2, "contact": 1}
    # gone: the contact and everything of theirs
    assert not Contact.objects.filter(pk=w.x.pk).exists()
    assert not Response.objects.filter(pk__in=[w.r1.pk, w.r2.pk]).exists()
    assert not Answer.objects.filter(response_id__in=[w.r1.pk, w.r2.pk]).exists()
    assert not CommentAnalysis.objects.filter(response_id=w.r1.pk).exists()
    assert not ThemeHit.objects.filter(response_id=w.r1.pk).exists()
    assert not SurveyInvitation.objects.filter(pk=w.invitation.pk).exists()
    assert list(BehaviourEvent.objects.filter(org=w.org).order_by("person").values_list("person", flat=True)) == \
        [-5, w.y.pk]
    assert list(WebhookEvent.objects.filter(org=w.org).values_list("subject", flat=True)) == [f"response:{w.r3.pk}"]
    assert list(ThankYouLog.objects.values_list("contact_id", flat=True)) == [w.y.pk]
    # kept: the case's number and timeline, without the personal links and text
    case = Case.objects.get(pk=w.case1.pk)
    assert (case.number, case.status, case.contact_id, case.response_id, case.survey_id, case.team_id) == (
        1, "resolved", None, None, w.survey.pk, w.case1.team_id)
    assert case.resolution_note == "[contact] was called on [contact]"
    assert list(CaseEvent.objects.filter(case=case).order_by("at").values_list("kind", "body", "data")) == [
        ("opened", "", {"rule": "Detractors"}), ("comment", "Spoke with [contact], he is upset", {"mentions": []}),
        ("reply", "", {})]
    # untouched: Li Na, the anonymous visitor, the other organisation
    assert Contact.objects.filter(pk=w.y.pk).exists() and Response.objects.filter(pk=w.r3.pk).exists()
    case2 = Case.objects.get(pk=w.case2.pk)
    assert (case2.contact_id, case2.response_id) == (w.y.pk, w.r3.pk)
    assert CaseEvent.objects.get(case=case2).body == "Li Na called"
    assert CommentAnalysis.objects.filter(response_id=w.r3.pk).exists()
    assert Contact.objects.filter(pk=w.other.pk).exists()
    assert Answer.objects.get(response=w.other_response, question_key="why").text == "bad"
    # rollups: the erased responses' buckets were marked, and a refresh equals a recount from the raw answers
    assert set(RollupDirty.objects.filter(survey=w.survey).values_list("day", flat=True)) == {
        at(2026, 3, 10).date(), at(2026, 4, 2).date()}
    rollups.refresh()
    after = _rollup_rows([w.survey.pk])
    assert {k: n for k, n in after.items() if k[2] == "m:total" and k[1] == "nps"} == {
        (w.survey.pk, "nps", "m:total", at(2026, 3, 1).date(), "", "", "", "", 10.0): 1}
    rollups.rebuild(survey_ids=[w.survey.pk])
    assert _rollup_rows([w.survey.pk]) == after
    # the audit row: counts, no personal data
    row = AuditEvent.objects.get(org=w.org, action="privacy.erase")
    assert (row.target, row.data["contact_id"], row.data["counts"]) == (f"contact:{w.x.pk}", w.x.pk, erased.counts)
    assert "Zhang" not in json.dumps(row.data) and "zhang@" not in json.dumps(row.data)


def test_erase_of_another_organisations_contact_deletes_nothing(world: World) -> None:
    with pytest.raises(ServiceError):
        services.subject_erase(org=world.org, contact=world.other, actor=world.actor)
    assert Contact.objects.filter(pk=world.other.pk).exists()
    assert not AuditEvent.objects.filter(action="privacy.erase").exists()


# --- retention ------------------------------------------------------------------------------------


NOW = at(2026, 7, 15, 12)  # three months back: 2026-04-15 12:00 in Shanghai


def _retention_world(w: World) -> dict[str, Response]:
    s = Survey.objects.create(org=w.org, name="Old survey", kind="nps", slug="old-survey", draft=DRAFT)
    return {
        "before": respond(s, w.y, at(2026, 4, 15, 11, 59, 59), 4, "Li Na: call 13900139000",
                          embedded={"site_user_id": "u1"}),
        "at": respond(s, w.y, at(2026, 4, 15, 12), 8, "fine"),
        "after": respond(s, w.y, at(2026, 5, 1), 10, "great"),
        "old": respond(s, None, at(2025, 1, 1), 6, "meh", status="partial"),
    }


def test_months_before_keeps_the_day_or_the_months_last_day() -> None:
    assert services.months_before(NOW, 3) == at(2026, 4, 15, 12)
    assert services.months_before(at(2026, 5, 31, 8), 3) == at(2026, 2, 28, 8)
    assert services.months_before(at(2026, 3, 1, 0, 30), 14) == at(2025, 1, 1, 0, 30)
    assert services.months_before(at(2026, 1, 1), 120) == at(2016, 1, 1)


def test_retention_delete_at_a_given_now(world: World) -> None:
    w = world
    r = _retention_world(w)
    survey = r["at"].survey
    services.set_policy(org=w.org, survey=survey, months=3, action="delete", actor=w.actor)
    applied = services.apply_retention(NOW)
    assert [(a.survey_id, a.action, a.cutoff, a.responses) for a in applied] == [
        (survey.pk, "delete", at(2026, 4, 15, 12), 2)]
    assert set(Response.objects.filter(survey=survey).values_list("pk", flat=True)) == {r["at"].pk, r["after"].pk}
    assert not Answer.objects.filter(response_id__in=[r["before"].pk, r["old"].pk]).exists()
    # the complete response's day is marked (the partial one never counted)
    assert list(RollupDirty.objects.filter(survey=survey).values_list("day", flat=True)) == [at(2026, 4, 15).date()]
    # other surveys and organisations untouched
    assert Response.objects.filter(survey=w.survey).count() == 3
    assert Response.objects.filter(pk=w.other_response.pk).exists()
    row = AuditEvent.objects.get(action="privacy.retention_applied")
    assert (row.org, row.actor, row.target, row.data) == (
        w.org, None, f"survey:{survey.pk}",
        {"survey_id": survey.pk, "retention_action": "delete", "months": 3,
         "cutoff": "2026-04-15T12:00:00+08:00", "responses": 2})
    assert RetentionPolicy.objects.get(survey=survey).last_applied_at == NOW


def test_retention_anonymise_keeps_numbers_and_is_not_redone(world: World) -> None:
    w = world
    r = _retention_world(w)
    survey = r["at"].survey
    account = Account.objects.get(org=w.org, external_id="ACC-1")
    Response.objects.filter(pk=r["before"].pk).update(account=account)
    ThankYouLog.objects.create(org=w.org, rule=w.rule, contact=w.y, response=r["before"])
    rollups.rebuild(survey_ids=[survey.pk])
    services.set_policy(org=w.org, survey=survey, months=3, action="anonymise", actor=w.actor)
    assert [a.responses for a in services.apply_retention(NOW)] == [2]
    before = Response.objects.get(pk=r["before"].pk)
    assert (before.contact_id, before.account_id, before.invitation_id, before.embedded, before.status) == (
        None, None, None, {}, "complete")
    assert list(Answer.objects.filter(response=before).order_by("question_key").values_list(
        "question_key", "number", "text")) == [("nps", 4.0, ""), ("why", None, "")]
    assert not ThankYouLog.objects.filter(response=before).exists()
    assert set(AnonymisedResponse.objects.values_list("response_id", flat=True)) == {r["before"].pk, r["old"].pk}
    # the response at the cutoff and after it keep everything
    kept = Response.objects.get(pk=r["at"].pk)
    assert (kept.contact_id, Answer.objects.get(response=kept, question_key="why").text) == (w.y.pk, "fine")
    # numbers stay right: the tier moved from enterprise to none, the count is the same
    rollups.refresh()
    totals = {k: n for k, n in _rollup_rows([survey.pk]).items() if k[2] == "m" and k[3] == at(2026, 4, 1).date()}
    assert totals == {(survey.pk, "nps", "m", at(2026, 4, 1).date(), "", "email", "en", "", 4.0): 1,
                      (survey.pk, "nps", "m", at(2026, 4, 1).date(), "", "email", "en", "", 8.0): 1}
    # a second run finds nothing left to do (anonymised responses are marked); a day later the cutoff has moved
    assert [a.responses for a in services.apply_retention(NOW)] == [0]
    assert [a.responses for a in services.apply_retention(NOW + timedelta(days=1))] == [1]
    assert AuditEvent.objects.filter(action="privacy.retention_applied").count() == 3


def test_the_clock_applies_each_policy_once_a_day(world: World) -> None:
    w = world
    r = _retention_world(w)
    services.set_policy(org=w.org, survey=r["at"].survey, months=3, action="delete", actor=w.actor)
    assert len(services.apply_retention(NOW, due_only=True)) == 1
    assert services.apply_retention(NOW + timedelta(hours=11), due_only=True) == []  # 23:00 the same day
    assert len(services.apply_retention(NOW + timedelta(hours=12), due_only=True)) == 1  # the next day


def test_policy_validation_names_the_field_and_is_audited(world: World) -> None:
    w = world
    for months, action, field in ((0, "delete", "months"), (121, "delete", "months"), ("x", "delete", "months"),
                                  (2.5, "delete", "months"), (None, "delete", "months"), (12, "purge", "action")):
        with pytest.raises(ServiceError) as caught:
            services.set_policy(org=w.org, survey=w.survey, months=months, action=action, actor=w.actor)
        assert caught.value.field == field
    assert not RetentionPolicy.objects.exists()
    policy = services.set_policy(org=w.org, survey=w.survey, months="36", action="anonymise", actor=w.actor)
    assert (policy.months, policy.action, policy.updated_by) == (36, "anonymise", w.actor.user)
    services.set_policy(org=w.org, survey=w.survey, months=120, action="delete", actor=w.actor)
    assert RetentionPolicy.objects.get().months == 120
    other_survey = Survey.objects.get(slug="b-survey")
    with pytest.raises(ServiceError) as caught:
        services.set_policy(org=w.org, survey=other_survey, months=3, action="delete", actor=w.actor)
    assert caught.value.status == 404
    assert services.remove_policy(org=w.org, survey=w.survey, actor=w.actor) is True
    assert services.remove_policy(org=w.org, survey=w.survey, actor=w.actor) is False
    assert list(AuditEvent.objects.filter(org=w.org, action__startswith="privacy.").order_by("pk").values_list(
        "action", "data")) == [
        ("privacy.retention_set", {"survey_id": w.survey.pk, "months": 36, "retention_action": "anonymise",
                                   "created": True}),
        ("privacy.retention_set", {"survey_id": w.survey.pk, "months": 120, "retention_action": "delete",
                                   "created": False}),
        ("privacy.retention_removed", {"survey_id": w.survey.pk})]


def test_the_clock_task_runs_retention(world: World) -> None:
    from cxloop.surveys.tasks import tick

    r = _retention_world(world)
    services.set_policy(org=world.org, survey=r["at"].survey, months=1, action="delete", actor=world.actor)
    tick.call()
    assert RetentionPolicy.objects.get().last_applied_at is not None
    # every response of the survey is more than a month old today
    assert not Response.objects.filter(survey=r["at"].survey).exists()


def test_the_demo_has_a_policy_that_keeps_its_data(small_demo: Any) -> None:
    policy = RetentionPolicy.objects.select_related("survey").get(org=small_demo.org)
    assert (policy.months, policy.action, policy.survey.kind) == (36, "anonymise", "csat")
    responses = Response.objects.filter(survey=policy.survey).count()
    assert responses > 100
    now = datetime.combine(small_demo.today, datetime.min.time(), tzinfo=SH) + timedelta(hours=3)
    assert [(a.survey_id, a.responses) for a in services.apply_retention(now)] == [(policy.survey_id, 0)]
    assert Response.objects.filter(survey=policy.survey, contact__isnull=False).count() > 100
    assert not AnonymisedResponse.objects.filter(org=small_demo.org).exists()


def test_cli_export_and_retention(world: World) -> None:
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("privacy", "export", "--org", world.org.slug, "--contact", "C-100", stdout=out)
    data = json.loads(out.getvalue())
    assert data["contact"]["id"] == world.x.pk and data["counts"]["responses"] == 2
    assert AuditEvent.objects.get(action="privacy.export").actor is None
    with pytest.raises(CommandError, match="No contact with external id 'C-999'"):
        call_command("privacy", "export", "--org", world.org.slug, "--contact", "C-999")
    services.set_policy(org=world.org, survey=world.survey, months=1, action="anonymise")
    out = io.StringIO()
    call_command("privacy", "retention", stdout=out)
    assert out.getvalue().startswith(f"survey {world.survey.pk}: anonymise 3 responses submitted before ")
