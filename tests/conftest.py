"""Shared fixtures: three roles in org A (owner, member, viewer), a member of org B who must never
see org A's data, API keys for each, a real SMTP server (aiosmtpd) and Debian's Chromium.

Run the suite with ``make test`` (SQLite and PostgreSQL); plain ``pytest`` runs it on SQLite.

``small_demo``: the small demo generated once per session for the tests that only read it; they run last.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in the test thread; Django's ORM refuses to run beside a
# running loop unless told it is safe (it is: the test thread is the only one using it).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("CXLOOP_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "correct-horse-battery-9"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests are meaningless on SQLite: skipped there by design, not for a missing part.
    backend = os.environ.get("CXLOOP_TEST_BACKEND", "")
    for item in items:
        if "postgres_only" in item.keywords and backend != "postgresql":
            item.add_marker(pytest.mark.skip(reason="runs in the PostgreSQL pass of make test"))
        # Long proofs run in one pass of ``make test`` (their benchmarks run them on both backends, longer).
        one_pass = not os.environ.get("CXLOOP_TEST_ALL_PASSES")  # benchmarks/fuzz_api.py sets it
        if one_pass and "postgres_pass" in item.keywords and backend and backend != "postgresql":
            item.add_marker(pytest.mark.skip(reason="runs in the PostgreSQL pass of make test"))
        if one_pass and "sqlite_pass" in item.keywords and backend == "postgresql":
            item.add_marker(pytest.mark.skip(reason="runs in the SQLite pass of make test"))
    # The tests reading the shared small demo run last, in their order: no other test sees the demo's rows and no
    # transactional test's flush removes them under a reader.
    items.sort(key=lambda item: "small_demo" in getattr(item, "fixturenames", ()))


SMALL_DEMO_TODAY = date(2025, 6, 15)


@dataclass(frozen=True)
class SmallDemo:
    org: Any
    today: date
    seconds: float  # how long generating it took


@pytest.fixture(scope="session")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[SmallDemo]:
    """The small demo (seed 42, today 2025-06-15: 24 months ending May 2025, the defect in month 18), committed
    once for the session; tests using it must only read it (their own writes roll back with ``django_db``)."""
    import time

    from django.db import transaction

    from cxloop.behaviour.models import Event
    from cxloop.demo import content
    from cxloop.demo.generator import generate
    from cxloop.journeys.models import Step
    from cxloop.orgs.models import Organization, User
    from cxloop.surveys.models import Response

    with django_db_blocker.unblock():
        started = time.monotonic()
        with transaction.atomic():
            org = Organization.objects.create(name="云启科技 CloudLaunch", slug="small-demo-test")
            generate(org=org, size="small", seed=42, today=SMALL_DEMO_TODAY)
        try:
            yield SmallDemo(org=org, today=SMALL_DEMO_TODAY, seconds=time.monotonic() - started)
        finally:
            Event.objects.filter(org=org).delete()
            Step.objects.filter(stage__journey__org=org).delete()  # Step.touchpoint is PROTECT
            Response.objects.filter(org=org).delete()  # Response.version is PROTECT
            Organization.objects.filter(pk=org.pk).delete()
            User.objects.filter(email__endswith=f"@{content.EMAIL_DOMAIN}", memberships__isnull=True).delete()


@dataclass
class Tenant:
    org: Any
    owner: Any
    member: Any
    viewer: Any
    team: Any
    keys: dict[str, str] = field(default_factory=dict)


def _tenant(name: str, prefix: str) -> Tenant:
    from cxloop.orgs import services
    from cxloop.orgs.models import Role, User

    org, _ = services.get_or_create_org(name=name)
    people = {}
    for role in (Role.OWNER, Role.MEMBER, Role.VIEWER):
        user = User.objects.create_user(email=f"{prefix}-{role}@example.com", password=PASSWORD,
                                        display_name=f"{name} {role}")
        services.add_member(org=org, user=user, role=role)
        people[role] = user
    team = services.save_team(org=org, name=f"{name} Support", kind="support", lead=people[Role.OWNER])
    keys = {role: services.create_api_key(org=org, role=role, name=f"{role} key").plaintext
            for role in (Role.OWNER, Role.ADMIN, Role.VIEWER)}
    return Tenant(org=org, owner=people[Role.OWNER], member=people[Role.MEMBER], viewer=people[Role.VIEWER],
                  team=team, keys=keys)


@pytest.fixture
def tenant_a(db: None) -> Tenant:
    return _tenant("Acme Retail", "a")


@pytest.fixture
def tenant_b(db: None) -> Tenant:
    return _tenant("Beta Logistics", "b")


@pytest.fixture
def api_client() -> Any:
    from django.test import Client

    class ApiClient:
        def __init__(self) -> None:
            self.client = Client()

        def call(self, method: str, path: str, key: str | None = None, body: Any = None) -> Any:
            import json

            headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
            fn = getattr(self.client, method.lower())
            if body is not None:
                return fn(path, json.dumps(body), content_type="application/json", **headers)
            return fn(path, **headers)

    return ApiClient()


# --- a real SMTP server ------------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message]

    def wait_for(self, count: int, timeout: float = 10) -> list[Message]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    received: list[Message] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content))
            return "250 Message accepted"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield SmtpServer("127.0.0.1", port, received)
    finally:
        controller.stop()


def run_tasks() -> int:
    """Run every queued background task in this process with django-tasks-db's own Worker, as
    ``cxloop worker --batch`` does (its loop closes connections, which a test transaction forbids;
    the real command is exercised against a file database in test_cli.py)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="pytest", excluded_queue_names=[])
    done = 0
    while (result := DBTaskResult.objects.ready().first()) is not None and done < 1000:
        result.claim(worker.worker_id)
        worker.run_task(result)
        done += 1
    return done


# --- Debian's Chromium through Playwright ---------------------------------------------------------


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)"
        if CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS




def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly which database this pass used and how many browser tests ran (CI log evidence)."""
    from django.db import connection

    passed = terminalreporter.stats.get("passed", [])
    browser = sum(1 for r in passed if "browser" in r.keywords)
    pg_only = sum(1 for r in passed if "postgres_only" in r.keywords)
    terminalreporter.write_line(
        f"cxloop: database={connection.vendor} passed={len(passed)} browser_tests_passed={browser} "
        f"postgres_only_passed={pg_only}"
    )


def run_tasks_due_within(window: Any) -> int:
    """Time travel on real rows: every queued task due within ``window`` (a ``timedelta``, e.g. a retry's
    back-off) is made due now, then the queue runs. Tasks due later (a reminder in three days) stay put."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    DBTaskResult.objects.filter(status="READY", run_after__lte=now + window).update(
        run_after=now - timedelta(seconds=1))
    return run_tasks()
