"""The Python client ``cxloop.client`` against a real server (``cxloop serve`` on a loopback port, on the test
database): buffering and batches of at most 1,000, the per-item answer, idempotent re-sends, no retry on 4xx;
and its retries with back-off against a loopback stub that fails first (5xx) and against a port where nothing
listens."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from scripts.localnet import free_port, wait_http

from cxloop.client import Client, DeliveryError, RequestError

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock():
        url = _database_url()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"CXLOOP_DATABASE_URL": url, "CXLOOP_DATA_DIR": os.environ.get("CXLOOP_DATA_DIR", str(ROOT / "var"))})
    process = subprocess.Popen([sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port), "--workers", "1"],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def people(tenant_a: Any) -> Any:
    from cxloop.customers.models import Account, Contact

    account = Account.objects.create(org=tenant_a.org, external_id="ACME", name="Acme")
    Contact.objects.create(org=tenant_a.org, account=account, external_id="C-1", name="Ann")
    return tenant_a


def test_buffer_batches_and_per_item_answers(server: str, people: Any) -> None:
    from cxloop.behaviour.models import Event

    sleeps: list[float] = []
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with Client(server, people.keys["owner"], timeout=30, sleep=sleeps.append) as cx:
        for i in range(2_400):
            cx.track("page_view", anonymous_id=f"visitor-{i % 300}", timestamp=start + timedelta(seconds=i),
                     properties={"path": f"/p/{i % 7}"}, touchpoint="website")
        assert cx.pending == 400  # two full batches of 1,000 went out while tracking
        cx.track("task_completed", contact="C-1", properties={"task": "export_report", "duration_ms": 5300},
                 timestamp=start, id="order-1")
        cx.track("task_completed", contact="nobody", timestamp=start)  # unknown contact, no anonymous id
        cx.track("page_view", anonymous_id="v", timestamp="yesterday")  # not a time
        result = cx.flush()
    assert cx.pending == 0 and sleeps == []
    assert result.stored == 401 and result.duplicates == 0
    assert sorted((r.field, r.event["event"]) for r in result.rejected) == [("contact", "task_completed"),
                                                                             ("timestamp", "page_view")]
    assert Event.objects.filter(org=people.org).count() == 2_401
    stored = Event.objects.get(org=people.org, client_id="order-1")
    assert stored.contact is not None and stored.contact.external_id == "C-1" and stored.account is not None
    assert stored.properties == {"task": "export_report", "duration_ms": 5300} and stored.source == "api"

    # Sending the same events again stores nothing twice.
    again = Client(server, people.keys["owner"])
    again.track("task_completed", contact="C-1", timestamp=start, id="order-1")
    assert again.flush().duplicates == 1
    assert Event.objects.filter(org=people.org, client_id="order-1").count() == 1


def test_a_refused_request_is_not_retried(server: str, people: Any) -> None:
    sleeps: list[float] = []
    bad = Client(server, "cxl_nothing_here", sleep=sleeps.append)
    bad.track("page_view", anonymous_id="v")
    with pytest.raises(RequestError) as refused:
        bad.flush()
    assert refused.value.status == 401 and sleeps == [] and bad.pending == 1
    viewer = Client(server, people.keys["viewer"], sleep=sleeps.append)
    viewer.track("page_view", anonymous_id="v")
    with pytest.raises(RequestError) as forbidden:
        viewer.flush()
    assert forbidden.value.status == 403 and sleeps == []


class _Flaky(http.server.BaseHTTPRequestHandler):
    failures = 2
    seen: list[int] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(len(body["events"]))
        if len(type(self).seen) <= type(self).failures:
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"detail": "try later"}')
            return
        answer = json.dumps({"stored": len(body["events"]), "duplicates": 0, "rejected": 0,
                             "items": [{"index": i, "status": "stored"} for i in range(len(body["events"]))]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: Any) -> None:
        pass


def test_server_errors_are_retried_with_back_off() -> None:
    port = free_port()
    _Flaky.seen = []
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Flaky)
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        sleeps: list[float] = []
        cx = Client(f"http://127.0.0.1:{port}", "cxl_key", retries=3, backoff=0.5, sleep=sleeps.append)
        cx.track("page_view", anonymous_id="v")
        assert cx.flush().stored == 1
    finally:
        stub.shutdown()
    assert _Flaky.seen == [1, 1, 1]  # two 503s, then stored
    assert len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_an_unreachable_server_keeps_the_events() -> None:
    sleeps: list[float] = []
    cx = Client(f"http://127.0.0.1:{free_port()}", "cxl_key", timeout=2, retries=2, backoff=0.1, sleep=sleeps.append)
    cx.track("page_view", anonymous_id="v")
    with pytest.raises(DeliveryError, match="after 3 attempts"):
        cx.flush()
    assert cx.pending == 1 and len(sleeps) == 2


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="base_url"):
        Client("cx.example.com", "k")
    cx = Client("http://127.0.0.1:9", "k")
    with pytest.raises(ValueError, match="anonymous_id"):
        cx.track("page_view")
    with pytest.raises(ValueError, match="time zone"):
        cx.track("page_view", anonymous_id="v", timestamp=datetime(2026, 1, 1))
