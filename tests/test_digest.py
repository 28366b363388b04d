"""The weekly team digest: its numbers are the metrics service's (checked against core.metrics on known
counts), it goes once per member and week through a real SMTP server (aiosmtpd) in each member's language,
respondent text is escaped, members can stop it from a signed link, and nothing crosses organisations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from django.test import Client
from tests.conftest import run_tasks

from cxloop.analytics import digest
from cxloop.analytics.models import DigestDelivery
from cxloop.analytics.tasks import send_digest
from cxloop.core import metrics
from cxloop.orgs.models import Membership
from cxloop.surveys import services

pytestmark = pytest.mark.django_db

DEFINITION: dict[str, Any] = {
    "title": "After support", "default_language": "en", "languages": ["en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
        {"key": "csat", "type": "csat", "text": "Satisfied?"},
        {"key": "why", "type": "open_text", "text": "Why?"},
    ]}],
}
WEEK = (date(2025, 3, 3), date(2025, 3, 9))  # Monday–Sunday
BEFORE = (date(2025, 2, 24), date(2025, 3, 2))
MONDAY_9AM = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
# Last week: 10 promoters, 5 passives, 25 detractors; the week before: 28, 8, 4 (a significant drop).
THIS_WEEK = [10] * 10 + [8] * 5 + [2] * 25
WEEK_BEFORE = [9] * 28 + [7] * 8 + [4] * 4


def _at(day: date, i: int) -> datetime:
    return datetime(day.year, day.month, day.day, 2 + i % 8, i % 60, tzinfo=UTC)


def _load(org: Any, team: Any, scores_by_week: list[tuple[date, list[int]]], *, comment: str = "") -> Any:
    survey = services.create_survey(org=org, name="After support", definition=DEFINITION, touchpoint="support")
    survey.owner_team = team
    survey.save(update_fields=["owner_team"])
    services.publish(survey=survey)
    items = []
    for first, scores in scores_by_week:
        for i, score in enumerate(scores):
            answers: dict[str, Any] = {"nps": score, "csat": 5 if score >= 9 else 2}
            if score <= 2 and i == len(scores) - 1 and comment:  # the newest detractor's comment
                answers["why"] = comment
            elif score >= 9 and i == 0:
                answers["why"] = "Happy customer, nothing to fix"
            items.append(services.BatchItem(services.Submission(
                answers=answers, touchpoint="support" if i % 3 else "billing", channel="email", language="en",
                submitted_at=_at(first + timedelta(days=i % 7), i))))
    results = services.record_batch(survey=survey, items=items)
    assert all(isinstance(r, services.Recorded) for r in results)
    return survey


@pytest.fixture
def team_data(tenant_a: Any) -> Any:
    Membership.objects.filter(org=tenant_a.org, user__in=[tenant_a.owner, tenant_a.member]) \
        .update(team=tenant_a.team)
    tenant_a.owner.language = "zh-hans"
    tenant_a.owner.save(update_fields=["language"])
    tenant_a.member.language = "en"
    tenant_a.member.save(update_fields=["language"])
    tenant_a.survey = _load(tenant_a.org, tenant_a.team, [(WEEK[0], THIS_WEEK), (BEFORE[0], WEEK_BEFORE)],
                            comment='Export fails <script>alert("x")</script> every time')
    return tenant_a


def test_week_before_is_the_previous_monday_to_sunday() -> None:
    assert digest.week_before(date(2025, 3, 12)) == WEEK  # a Wednesday
    assert digest.week_before(date(2025, 3, 10)) == WEEK  # the Monday after
    assert digest.week_before(date(2025, 3, 9)) == BEFORE  # the Sunday itself is still in its week


def test_the_numbers_are_the_metrics_of_the_team_surveys(team_data: Any) -> None:
    d = digest.build(team_data.team, *WEEK)
    nps = next(c for c in d.cards if c.key == "nps")
    expected = metrics.nps(metrics.NpsCounts.from_scores(THIS_WEEK))
    previous = metrics.nps(metrics.NpsCounts.from_scores(WEEK_BEFORE))
    assert nps.item is not None
    assert nps.item.estimate.n == 40 and nps.item.estimate.value == pytest.approx(-37.5)
    assert (nps.item.estimate.low, nps.item.estimate.high) == pytest.approx((expected.low, expected.high))
    assert nps.item.previous is not None and nps.item.previous.value == pytest.approx(previous.value) == 60.0
    comparison = metrics.compare(previous, expected, confidence=0.99)
    assert nps.item.comparison is not None
    assert nps.item.comparison.p_value == pytest.approx(comparison.p_value)
    assert nps.item.significant_change is True
    csat = next(c for c in d.cards if c.key == "csat")
    assert csat.item is not None and csat.item.estimate.value == pytest.approx(25.0)  # 10 of 40 top-2-box
    assert d.responses == 40 and d.previous_responses == 40
    # The trend covers six weeks ending with the digest's week; the breakdown is by touchpoint.
    assert d.trend is not None and [i.period for i in d.trend.items][-1] == WEEK[0]
    assert len(d.trend.items) == 6
    assert d.breakdown is not None and {g.item.group for g in d.breakdown.groups} == {"support", "billing"}
    # Only unhappy customers' comments, newest first, with a link to the response.
    assert [c.label for c in d.comments] == ["NPS 2"]
    assert d.comments[0].text.startswith("Export fails")
    assert f"/o/{team_data.org.slug}/responses/" in d.comments[0].url


def test_sent_once_per_member_and_week_in_each_language(team_data: Any, smtp_server: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    assert digest.due_week(MONDAY_9AM - timedelta(hours=2)) is None  # Monday 07:00: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.queue_due(MONDAY_9AM) == 2  # owner and member are in the team; the viewer is not
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.queue_due(MONDAY_9AM + timedelta(hours=3)) == 0  # the next tick creates nothing
    run_tasks()
    received = smtp_server.wait_for(2)
    assert len(received) == 2
    by_to: dict[str, Message] = {m["To"]: m for m in received}
    assert set(by_to) == {team_data.owner.email, team_data.member.email}

    def parts(message: Message) -> dict[str, str]:
        out = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                out[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
        return out

    zh, en = parts(by_to[team_data.owner.email]), parts(by_to[team_data.member.email])
    assert set(zh) == set(en) == {"text/plain", "text/html"}
    assert "净推荐值" in zh["text/html"] and "显著下降" in zh["text/html"]
    assert "Net Promoter Score" in en["text/html"] and "Significant drop" in en["text/html"]
    assert "−37.5" in en["text/html"] or "−38" in en["text/html"]
    # Respondent text is escaped in the HTML part.
    assert "<script>" not in en["text/html"] and "&lt;script&gt;" in en["text/html"]
    assert "Happy customer" not in en["text/html"]
    rows = DigestDelivery.objects.filter(week=WEEK[0])
    assert rows.count() == 2 and all(r.sent_at is not None and r.attempts == 1 for r in rows)
    # A task run again for a sent digest sends nothing.
    assert send_digest.call(delivery_id=rows[0].pk, attempt=1).startswith("already")
    assert len(smtp_server.messages) == 2


def test_stop_link_turns_the_digest_off_and_on(team_data: Any, smtp_server: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:
    membership = Membership.objects.get(org=team_data.org, user=team_data.member)
    token = digest.unsubscribe_token(membership)
    client = Client()
    page = client.get(f"/digest/off/{token}/")
    assert page.status_code == 200 and team_data.member.email in page.content.decode()
    assert client.post(f"/digest/off/{token}/", {"on": "0"}).status_code == 200
    membership.refresh_from_db()
    assert membership.weekly_digest is False
    assert client.get("/digest/off/forged-token/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.queue_due(MONDAY_9AM) == 1  # only the owner now
    run_tasks()
    assert [m["To"] for m in smtp_server.wait_for(1)] == [team_data.owner.email]
    client.post(f"/digest/off/{token}/", {"on": "1"})
    membership.refresh_from_db()
    assert membership.weekly_digest is True


def test_member_who_left_the_team_after_queueing_gets_nothing(team_data: Any, smtp_server: Any,
                                                             django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        digest.queue_due(MONDAY_9AM)
    Membership.objects.filter(org=team_data.org, user=team_data.member).update(team=None)
    run_tasks()
    assert [m["To"] for m in smtp_server.wait_for(1)] == [team_data.owner.email]
    skipped = DigestDelivery.objects.get(user=team_data.member)
    assert skipped.sent_at is None and skipped.failed_at is not None


def test_smtp_down_is_retried_with_back_off(team_data: Any, settings: Any,
                                            django_capture_on_commit_callbacks: Any) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    with django_capture_on_commit_callbacks(execute=True):
        digest.queue_due(MONDAY_9AM)
    run_tasks()  # both attempts fail; retries wait one minute
    rows = list(DigestDelivery.objects.all())
    assert len(rows) == 2
    assert all(r.attempts == 1 and r.sent_at is None and r.failed_at is None and r.last_error for r in rows)
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path="cxloop.analytics.tasks.send_digest", status="READY")
    assert waiting.count() == 2 and all(w.run_after is not None for w in waiting)


def test_preview_and_isolation(team_data: Any, tenant_b: Any) -> None:
    _load(tenant_b.org, tenant_b.team, [(WEEK[0], [10] * 7)])
    owner = Client()
    owner.force_login(team_data.owner)
    page = owner.get(f"/o/{team_data.org.slug}/settings/teams/{team_data.team.pk}/digest/?lang=en",
                     HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "style-src 'unsafe-inline'" in page["Content-Security-Policy"]
    assert "script-src" not in page["Content-Security-Policy"]  # default-src 'none': no script at all
    # B's digest counts only B's survey: 7 promoters, none of A's 40 responses.
    b = digest.build(tenant_b.team, *WEEK)
    assert b.responses == 7 and b.cards[0].item is not None and b.cards[0].item.estimate.value == 100.0
    assert b.comments == []
    # Another organisation's member gets 404 for A's team preview and toggle.
    other = Client()
    other.force_login(tenant_b.owner)
    assert other.get(f"/o/{team_data.org.slug}/settings/teams/{team_data.team.pk}/digest/").status_code == 404
    assert other.get(f"/o/{tenant_b.org.slug}/settings/teams/{team_data.team.pk}/digest/").status_code == 404
    assert other.post(f"/o/{tenant_b.org.slug}/settings/teams/{team_data.team.pk}/digest/me/",
                      {"on": "0"}).status_code == 404
    # The member's own switch on the team page.
    page = owner.post(f"/o/{team_data.org.slug}/settings/teams/{team_data.team.pk}/digest/me/", {"on": "0"})
    assert page.status_code == 302
    assert Membership.objects.get(org=team_data.org, user=team_data.owner).weekly_digest is False


def test_team_without_a_published_survey_gets_no_digest(tenant_a: Any, django_capture_on_commit_callbacks: Any
                                                        ) -> None:
    Membership.objects.filter(org=tenant_a.org).update(team=tenant_a.team)
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.queue_due(MONDAY_9AM) == 0
