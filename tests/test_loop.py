"""The closed loop end to end on real parts (issue 5): a captured response → rules → a case for the owning
team → a signed webhook, a Feishu card and an e-mail, through a real `cxloop worker` process, a loopback HTTP
receiver and aiosmtpd (acceptance 1); retries until a failing receiver answers, each event once after
de-duplication (2); private targets refused (3); invalid case moves and resolving without a root cause
refused with a clear 4xx (4); exactly once when the queue is processed again; isolation in the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from scripts.receivers import Receiver, receiver

from cxloop.cases import intake
from cxloop.cases import services as cases
from cxloop.cases.models import Case, CaseStatus, ResponseQueue
from cxloop.core import webhook_sign
from cxloop.notify import services as notify
from cxloop.notify.models import Delivery, DeliveryStatus, Event
from cxloop.orgs.models import Membership
from cxloop.surveys import services

ROOT = Path(__file__).resolve().parent.parent
DEFINITION: dict[str, Any] = {
    "title": "After the export", "default_language": "en", "languages": ["en"],
    "pages": [{"key": "p1", "questions": [
        {"key": "nps", "type": "nps", "text": "Recommend us?", "required": True},
        {"key": "why", "type": "open_text", "text": "Why?"},
    ]}],
}
EXPORT_RULE = {
    "when": {"all": [{"field": "score_type.nps", "op": "<=", "value": 6},
                     {"any": [{"field": "comment", "op": "contains", "value": "export"},
                              {"field": "comment", "op": "contains", "value": "导出"}]}]},
    "then": {"open_case": {"team": "Product", "assign": "round_robin", "priority": "high",
                           "sla": {"first_contact_hours": 4, "resolve_hours": 48}, "category": "export"},
             "notify": [{"channel": "Product Feishu"}]},
}


class Setup:
    def __init__(self, tenant: Any, rx: Receiver, smtp: Any | None) -> None:
        from cxloop.orgs import services as org_services

        self.org = tenant.org
        self.tenant = tenant
        self.product = org_services.save_team(org=self.org, name="Product", kind="product", lead=tenant.owner)
        Membership.objects.filter(org=self.org, user__in=[tenant.owner, tenant.member]).update(team=self.product)
        self.survey = services.create_survey(org=self.org, name="After the export", definition=DEFINITION,
                                             touchpoint="export")
        services.publish(survey=self.survey)
        self.webhook, self.secret = notify.create_endpoint(
            org=self.org, name="Data warehouse", url=f"{rx.url}/hook", events=["*"])
        self.feishu, _ = notify.create_endpoint(org=self.org, name="Product Feishu", url=f"{rx.url}/feishu/bot",
                                                format="feishu", events=[], chat_secret="feishu-secret",
                                                team=self.product)
        self.mail = None
        if smtp is not None:
            self.mail, _ = notify.create_endpoint(org=self.org, name="Product list", email="product@example.com",
                                                  events=[], team=self.product)
        self.rule = cases.save_rule(org=self.org, name="Export complaints to Product", definition=EXPORT_RULE)

    def capture(self, score: int, comment: str) -> int:
        recorded = services.record_response(survey=self.survey, submission=services.Submission(
            answers={"nps": score, "why": comment}, touchpoint="export", channel="api", language="en"))
        assert isinstance(recorded, services.Recorded)
        assert recorded.response_id is not None
        return recorded.response_id


@pytest.fixture
def allow_private(settings: Any) -> None:
    settings.ALLOW_PRIVATE_WEBHOOKS = True  # the receivers are on loopback


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_process(transactional_db: None, smtp_server: Any) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"CXLOOP_DATABASE_URL": _database_url(), "CXLOOP_ALLOW_PRIVATE_WEBHOOKS": "true",
                "CXLOOP_DATA_DIR": os.environ.get("CXLOOP_DATA_DIR", str(ROOT / "var")),
                "CXLOOP_SMTP_URL": f"smtp://{smtp_server.host}:{smtp_server.port}?tls=none"})
    process = subprocess.Popen([sys.executable, "-m", "cxloop.cli", "worker", "--interval", "0.1"], env=env,
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_worker_ready(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """The worker is polling once the clock task it queues at start-up has run."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, (process.stderr.read() if process.stderr else b"").decode()[-2000:]
        if DBTaskResult.objects.filter(task_path="cxloop.surveys.tasks.tick", status="SUCCESSFUL").exists():
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not start")


@pytest.mark.django_db(transaction=True)
def test_export_detractor_reaches_product_by_webhook_feishu_and_email_within_2s(
        tenant_a: Any, rx: Receiver, smtp_server: Any, worker_process: Any, settings: Any) -> None:
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    setup = Setup(tenant_a, rx, smtp_server)
    _wait_worker_ready(worker_process)
    started = time.monotonic()
    response_id = setup.capture(2, "The CSV export fails every time with a timeout")
    hooks = rx.wait_for(3, timeout=5, path="/hook")  # response.created, response.completed, alert.fired, case.opened
    cards = rx.wait_for(2, timeout=5, path="/feishu")  # alert.fired (rule's channel), case.opened (team channel)
    mails = smtp_server.wait_for(1, timeout=5)
    elapsed = time.monotonic() - started
    assert len(cards) >= 2 and mails, (len(hooks), len(cards), len(mails))
    last = max([*(r.at for r in rx.received()), time.monotonic() if not mails else started])
    assert elapsed < 5 and last - started < 2.0, f"took {last - started:.2f} s"

    # The case: Product team, round robin to a member, high priority, SLA clocks set.
    case = Case.objects.get(response_id=response_id)
    assert case.team == setup.product and case.status == CaseStatus.ASSIGNED
    assert case.assignee in (tenant_a.owner, tenant_a.member) and case.priority == "high"
    assert case.first_contact_due is not None and case.resolve_due is not None

    # Signed webhooks, each verified with the secret shown once; every event type of the story.
    hooks = rx.wait_for(4, timeout=5, path="/hook")
    types = []
    for request in hooks:
        webhook_sign.verify(setup.secret, request.body, request.headers["X-Cxloop-Signature"], now=int(time.time()))
        body = json.loads(request.body)
        assert request.headers["X-Cxloop-Event"] == body["type"]
        types.append(body["type"])
    assert sorted(types) == ["alert.fired", "case.opened", "response.completed", "response.created"]
    opened = next(json.loads(r.body) for r in hooks if json.loads(r.body)["type"] == "case.opened")
    assert opened["data"]["case"]["team"] == "Product" and opened["data"]["case"]["status"] == "assigned"
    with pytest.raises(webhook_sign.SignatureError):
        webhook_sign.verify("whsec_wrong", hooks[0].body, hooks[0].headers["X-Cxloop-Signature"], now=int(time.time()))

    # Feishu: an interactive card signed with the bot's secret; the comment is in it.
    card = json.loads(cards[0].body)
    assert card["msg_type"] == "interactive" and card["sign"] and card["timestamp"]
    assert "export fails" in json.dumps(card, ensure_ascii=False)
    # E-mail to the team's list, with the comment and a link to the case or response.
    mail = mails[0]
    assert mail["To"] == "product@example.com"
    text = mail.get_payload()[0].get_payload(decode=True).decode()
    assert "export fails" in text and "/o/" in text


def _attempt_until_done(max_rounds: int = 50) -> None:
    """Run every pending delivery now, however far its retry was scheduled (time travel for the test)."""
    for _ in range(max_rounds):
        pending = list(Delivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True))
        if not pending:
            return
        Delivery.objects.filter(pk__in=pending).update(next_attempt_at=Delivery._meta.get_field(
            "next_attempt_at").default())
        for pk in pending:
            notify.attempt(pk)
    raise AssertionError("deliveries still pending")


@pytest.mark.django_db
def test_a_receiver_failing_first_attempts_gets_each_event_once_after_dedup(
        tenant_a: Any, allow_private: None, django_capture_on_commit_callbacks: Any) -> None:
    with receiver(fail_first=5) as rx:
        setup = Setup(tenant_a, rx, None)
        with django_capture_on_commit_callbacks(execute=False):
            for i in range(3):
                setup.capture(1 + i, f"export broken #{i}")
        intake.drain()
        _attempt_until_done()
        events = Event.objects.filter(org=tenant_a.org).count()
        assert events == 3 * 4  # created, completed, alert, case per response
        # Five 500s (to the webhook or the Feishu bot), then every delivery accepted once.
        assert len(rx.received()) == Delivery.objects.count() + 5
        hook_ids = [json.loads(r.body)["id"] for r in rx.received("/hook")]
        assert len(set(hook_ids)) == events  # after de-duplication by event id: each exactly once
        assert len(hook_ids) > events  # some arrived more than once (the retried ones)
        failed = Delivery.objects.filter(endpoint=setup.webhook, attempts__gt=1)
        assert failed.exists() and all(d.status == DeliveryStatus.DELIVERED for d in failed)
        log = list(failed.first().log.order_by("number"))  # type: ignore[union-attr]
        assert log[0].status_code == 500 and not log[0].ok and log[-1].ok


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook",
                                 "http://localhost:8080/hook", "http://127.0.0.1/hook", "http://[::1]/hook",
                                 "http://2130706433/hook"])
def test_private_targets_are_refused(tenant_a: Any, settings: Any, url: str) -> None:
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(notify.NotifyError) as refused:
        notify.create_endpoint(org=tenant_a.org, name="x", url=url, events=["*"])
    assert refused.value.status == 422 and refused.value.field == "url"
    client = Client()
    response = client.post("/api/v1/webhooks", json.dumps({"url": url, "events": ["case.opened"]}),
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {tenant_a.keys['admin']}")
    assert response.status_code == 422 and response.json()["field"] == "url"


@pytest.mark.django_db
def test_a_target_that_turns_private_is_refused_on_send(tenant_a: Any, settings: Any, rx: Receiver,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    setup = Setup(tenant_a, rx, None)
    settings.ALLOW_PRIVATE_WEBHOOKS = False  # checked again on every send
    setup.capture(9, "fine")
    intake.drain()
    delivery = Delivery.objects.filter(endpoint=setup.webhook).first()
    assert delivery is not None
    notify.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error.startswith("refused:")
    assert rx.received() == []


@pytest.mark.django_db
def test_case_moves_are_checked_and_resolving_needs_a_root_cause(tenant_a: Any, rx: Receiver, allow_private: None,
                                                                  ) -> None:
    setup = Setup(tenant_a, rx, None)
    setup.capture(3, "export to Excel crashes")
    intake.drain()
    case = Case.objects.get(org=tenant_a.org)
    client = Client()
    key = tenant_a.keys["admin"]

    def post(path: str, body: dict[str, Any]) -> Any:
        return client.post(f"/api/v1/cases/{case.number}/{path}", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")

    bad = post("transition", {"status": "closed"})
    assert bad.status_code == 409 and "cannot go from assigned to closed" in bad.json()["detail"]
    assert post("transition", {"status": "in_progress"}).status_code == 200
    no_cause = post("transition", {"status": "resolved", "resolution_note": "fixed"})
    assert no_cause.status_code == 422 and no_cause.json()["field"] == "root_cause"
    no_note = post("transition", {"status": "resolved", "root_cause": "product_defect"})
    assert no_note.status_code == 422 and no_note.json()["field"] == "resolution_note"
    unknown = post("transition", {"status": "resolved", "root_cause": "aliens", "resolution_note": "x"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "root_cause"
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.root_cause is None  # nothing half-written
    ok = post("transition", {"status": "resolved", "root_cause": "product_defect",
                             "resolution_note": "Export timeout raised; customer re-ran it.", "recovered": True})
    assert ok.status_code == 200 and ok.json()["status"] == "resolved" and ok.json()["root_cause"] == "product_defect"
    timeline = client.get(f"/api/v1/cases/{case.number}", HTTP_AUTHORIZATION=f"Bearer {key}").json()["timeline"]
    assert [t["kind"] for t in timeline] == ["opened", "assigned", "status", "status"]
    assert Event.objects.filter(org=tenant_a.org, type="case.resolved").count() == 1


@pytest.mark.django_db
def test_exactly_once_when_processed_again(tenant_a: Any, rx: Receiver, allow_private: None) -> None:
    setup = Setup(tenant_a, rx, None)
    response_id = setup.capture(0, "导出功能一直失败")  # Chinese "export" matches too
    assert ResponseQueue.objects.filter(response_id=response_id).exists()
    intake.drain()
    assert not ResponseQueue.objects.exists()
    # Queue it again (a retried task, a second worker): nothing new.
    from cxloop.surveys.models import Response

    intake.queue([Response.objects.get(pk=response_id)])
    intake.drain()
    assert Case.objects.filter(org=tenant_a.org).count() == 1
    assert Event.objects.filter(org=tenant_a.org).count() == 4
    assert Delivery.objects.filter(endpoint=setup.webhook).count() == 4


@pytest.mark.django_db
def test_loop_api_isolation(tenant_a: Any, tenant_b: Any, rx: Receiver, allow_private: None) -> None:
    setup = Setup(tenant_a, rx, None)
    setup.capture(2, "export failed")
    intake.drain()
    case = Case.objects.get(org=tenant_a.org)
    delivery = Delivery.objects.filter(endpoint=setup.webhook).first()
    assert delivery is not None
    client = Client()
    other = {"HTTP_AUTHORIZATION": f"Bearer {tenant_b.keys['admin']}"}
    for path in (f"/api/v1/cases/{case.number}", f"/api/v1/rules/{setup.rule.pk}",
                 f"/api/v1/webhooks/{setup.webhook.pk}/deliveries"):
        assert client.get(path, **other).status_code == 404, path
    assert client.post(f"/api/v1/cases/{case.number}/transition", json.dumps({"status": "in_progress"}),
                       content_type="application/json", **other).status_code == 404
    assert client.post(f"/api/v1/webhooks/{setup.webhook.pk}/deliveries/{delivery.pk}/redeliver",
                       **other).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{setup.webhook.pk}", **other).status_code == 404
    assert client.get("/api/v1/cases", **other).json()["items"] == []
    mine = {"HTTP_AUTHORIZATION": f"Bearer {tenant_a.keys['admin']}"}
    assert [c["id"] for c in client.get("/api/v1/cases", **mine).json()["items"]] == [case.number]


@pytest.mark.django_db
def test_an_attempt_leased_to_a_killed_worker_is_retried_when_its_lease_ends(tenant_a: Any, rx: Receiver,
                                                                            allow_private: None) -> None:
    """A worker killed mid-attempt leaves its deliveries ``sending`` under a lease. The recovery task a worker
    queues when it starts re-arms them for the end of the lease, not for the next clock tick (5 minutes: the
    kill -9 test's drain once ended with 42 of them still ``sending``)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from cxloop.notify.tasks import deliver
    from cxloop.surveys.tasks import recover

    setup = Setup(tenant_a, rx, None)
    setup.capture(9, "Fine")
    intake.drain()
    delivery = Delivery.objects.get(endpoint=setup.webhook, event__type="response.completed")
    lease = timezone.now() + timedelta(seconds=40)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, lease_until=lease, attempts=1)
    DBTaskResult.objects.all().delete()  # the dead worker's task went with it

    def sends() -> int:
        return sum(1 for r in rx.received("/hook") if r.headers.get("X-Cxloop-Delivery") == str(delivery.pk))

    before = sends()  # the attempt the killed worker made (or not)
    recover.call()
    queued = [t for t in DBTaskResult.objects.filter(task_path="cxloop.notify.tasks.deliver", status="READY")
              if delivery.pk in t.args_kwargs["kwargs"]["delivery_ids"]]
    assert len(queued) == 1
    assert queued[0].run_after == lease + timedelta(seconds=1)
    assert sends() == before  # not taken over while the lease holds
    assert deliver.call(delivery_ids=[delivery.pk]) == "nothing due"
    # The lease ends: the re-armed task sends it, once.
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    deliver.call(**queued[0].args_kwargs["kwargs"])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert sends() == before + 1
    assert notify.sweep() == 0  # nothing left due or leased
