"""The ``cxloop`` command: in-process for the database verbs, and end to end in subprocesses
(demo → serve --with-worker → HTTP → API → e-mail through a real SMTP server)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from scripts.localnet import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["demo", "serve", "worker", "migrate", "createadmin", "apikey", "survey", "import", "export", "check"]


def _cxloop(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cxloop.cli", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=timeout, check=False, cwd=ROOT)


def test_help_on_every_command() -> None:
    top = _cxloop("--help")
    assert top.returncode == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", top.stdout, re.M), name
        sub = _cxloop(name, "--help")
        assert sub.returncode == 0, (name, sub.stderr)
        assert "usage:" in sub.stdout


def test_bad_configuration_is_one_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "CXLOOP_ENV": "production", "CXLOOP_DATA_DIR": str(tmp_path)}
    env.pop("CXLOOP_SECRET_KEY", None)
    result = _cxloop("check", env=env)
    assert result.returncode == 2
    assert "CXLOOP_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_production_settings_are_strict(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"CXLOOP_ENV": "production", "CXLOOP_SECRET_KEY": "s3cr3t-" * 8, "CXLOOP_DATA_DIR": str(tmp_path),
                "CXLOOP_ALLOWED_HOSTS": "cx.example.com", "CXLOOP_SMTP_URL": "smtp://127.0.0.1:2525",
                "CXLOOP_BASE_URL": "https://cx.example.com", "DJANGO_SETTINGS_MODULE": "cxloop.settings"})
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_HSTS_SECONDS > 0, s.DEBUG, s.EMAIL_BACKEND.endswith('smtp.EmailBackend'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "False", "True"]
    assert _cxloop("migrate", env=env).returncode == 0
    check = _cxloop("check", env=env)
    assert check.returncode == 0, check.stderr
    assert "environment: production" in check.stdout


@pytest.mark.django_db
def test_createadmin_derives_the_slug_and_apikey_prints_only_the_key() -> None:
    out = StringIO()
    call_command("createadmin", email="Boss@Example.com", org="Acme Retail", password="a-good-long-password",
                 stdout=out)
    assert "acme-retail" in out.getvalue()
    from cxloop.orgs.models import ApiKey, Membership

    assert Membership.objects.get(user__email="boss@example.com", org__slug="acme-retail").role == "owner"
    out = StringIO()
    call_command("apikey", "create", "--org", "acme-retail", "--role", "analyst", stdout=out)
    key = out.getvalue().strip()
    assert re.fullmatch(r"cxl_[A-Za-z0-9]{12}_[\w-]{32,64}", key)
    out = StringIO()
    call_command("apikey", "list", stdout=out)
    assert key.split("_")[1] in out.getvalue() and key not in out.getvalue()
    call_command("apikey", "revoke", key, stdout=StringIO())
    assert ApiKey.objects.get(prefix=key.split("_")[1]).revoked_at is not None
    with pytest.raises(CommandError, match="No organisation with slug 'nope'"):
        call_command("apikey", "create", "--org", "nope", "--role", "viewer")
    with pytest.raises(CommandError, match="Password rejected"):
        call_command("createadmin", email="x@example.com", org="X", password="123")


def test_demo_serve_worker_end_to_end(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    smtp_port = free_port()
    smtp = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env.update({"CXLOOP_DATA_DIR": str(tmp_path / "data"), "CXLOOP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "CXLOOP_BASE_URL": f"http://127.0.0.1:{port}"})
    db = tmp_path / "demo.sqlite3"
    server = None
    try:
        first = _cxloop("demo", "--db", str(db), "--size", "tiny", "--no-serve", "--port", str(port), env=env)
        assert first.returncode == 0, first.stderr
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        assert set(creds) == {"url", "org", "email", "password", "api_key"}
        assert creds["email"] in first.stdout and creds["password"] in first.stdout
        assert creds["api_key"] in first.stdout and creds["url"] == f"http://127.0.0.1:{port}/"
        second = _cxloop("demo", "--db", str(db), "--size", "tiny", "--no-serve", "--port", str(port), env=env)
        assert second.returncode == 0 and "already loaded" in second.stdout
        assert json.loads((tmp_path / "demo-credentials.json").read_text())["api_key"] == creds["api_key"]

        env["CXLOOP_DATABASE_URL"] = f"sqlite:///{db}"
        check = _cxloop("check", env=env)
        assert check.returncode == 0 and "migrations: up to date" in check.stdout
        server = subprocess.Popen([sys.executable, "-m", "cxloop.cli", "serve", "--port", str(port),
                                   "--workers", "2", "--with-worker"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        with urllib.request.urlopen(f"{base}/healthz") as r:
            assert json.loads(r.read()) == {"status": "ok", "database": "ok", "vendor": "sqlite"}

        # Sign in with the printed credentials: the dashboard shell.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        data = urllib.parse.urlencode({"username": creds["email"], "password": creds["password"],
                                       "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": base})
        with opener.open(request) as r:
            body = r.read().decode()
            assert r.url == f"{base}/o/{creds['org']}/"
        assert 'data-nav="dashboard"' in body and "Net Promoter Score" in body
        static = re.search(r'href="(/static/cxloop/app[^"]*\.css)"', body).group(1)  # type: ignore[union-attr]
        assert opener.open(base + static).status == 200

        # The API with the printed key, and an invitation e-mail delivered by the worker.
        request = urllib.request.Request(
            f"{base}/api/v1/orgs/{creds['org']}/invitations", method="POST",
            data=json.dumps({"email": "new.hire@example.com", "role": "viewer"}).encode(),
            headers={"Authorization": f"Bearer {creds['api_key']}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as r:
            assert r.status == 201
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            time.sleep(0.2)
        assert received, "the worker did not deliver the invitation e-mail"
        assert b"new.hire@example.com" in received[0]
        assert f"{base}/invite/".encode() in received[0]
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        smtp.stop()
