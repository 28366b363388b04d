"""Security headers, SQLite tuning, error pages without traces."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_security_headers_on_pages(tenant_a: Any) -> None:
    client = Client()
    client.force_login(tenant_a.owner)
    response = client.get(f"/o/{tenant_a.org.slug}/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    body = response.content.decode()
    assert "<script>" not in body and "onclick=" not in body and 'style="' not in body


def test_respondent_text_is_escaped(tenant_a: Any) -> None:
    from cxloop.orgs.services import save_team

    save_team(org=tenant_a.org, name="<script>alert(1)</script>", kind="custom")
    client = Client()
    client.force_login(tenant_a.owner)
    body = client.get(f"/o/{tenant_a.org.slug}/settings/teams/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_healthz_reports_the_database(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] == "ok"


def test_unknown_pages_get_a_friendly_404_not_a_trace(tenant_a: Any) -> None:
    client = Client()
    client.force_login(tenant_a.owner)
    response = client.get("/o/nope/settings/teams/999999/")
    assert response.status_code == 404 and b"Traceback" not in response.content
    assert b"<h1>" in response.content


def test_sqlite_is_tuned_for_web_plus_worker(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific; this pass runs on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL: every commit durable
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.postgres_only
def test_postgres_pass_really_uses_postgres(db: None) -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert int(cursor.fetchone()[0].split(".")[0]) >= 13
