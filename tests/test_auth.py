"""Sign-in, lockout, password reset and invitations by e-mail through a real SMTP server."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.test import Client
from tests.conftest import PASSWORD, run_tasks

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(tenant_a: Any) -> None:
    assert tenant_a.owner.password.startswith("argon2")


def test_sign_in_lands_on_the_dashboard_and_is_audited(tenant_a: Any) -> None:
    from cxloop.orgs.models import AuditEvent

    client = Client()
    response = client.post("/accounts/login/", {"username": tenant_a.owner.email, "password": PASSWORD},
                           follow=True)
    assert response.redirect_chain[-1][0] == f"/o/{tenant_a.org.slug}/"
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor=tenant_a.owner).exists()


def test_five_wrong_passwords_lock_the_account(tenant_a: Any) -> None:
    from cxloop.orgs.models import AuditEvent

    client = Client()
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": tenant_a.owner.email, "password": "wrong-one"})
        assert response.status_code == 200
        assert "correct" in response.content.decode().lower() or "正确" in response.content.decode()
    response = client.post("/accounts/login/", {"username": tenant_a.owner.email, "password": "wrong-one"})
    assert response.status_code == 429
    # Now even the right password is refused until the cool-off ends.
    response = client.post("/accounts/login/", {"username": tenant_a.owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"locked" in response.content.lower()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 5
    # Another account from the same address is not locked.
    ok = Client().post("/accounts/login/", {"username": tenant_a.member.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_pages_need_sign_in(tenant_a: Any) -> None:
    response = Client().get(f"/o/{tenant_a.org.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_csrf_is_enforced_on_forms(tenant_a: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant_a.owner)
    response = client.post(f"/o/{tenant_a.org.slug}/settings/teams/", {"name": "X", "kind": "hr"})
    assert response.status_code == 403


def test_password_reset_by_email(tenant_a: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": tenant_a.member.email})
    assert response.status_code == 302
    run_tasks()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == tenant_a.member.email
    body = message.get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/accounts/reset/\S+/", body)
    assert link, body
    path = "/" + link.group(0).split("/", 3)[3]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    response = client.post(response.redirect_chain[-1][0],
                           {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"})
    assert response.status_code == 302
    assert Client().post("/accounts/login/", {"username": tenant_a.member.email,
                                              "password": "a-brand-new-passphrase"}).status_code == 302


def test_unknown_email_gets_no_reset_mail_and_same_answer(db: None, smtp_server: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    run_tasks()
    assert smtp_server.messages == []


def test_invitation_email_and_acceptance(tenant_a: Any, smtp_server: Any,
                                         django_capture_on_commit_callbacks: Any) -> None:
    from cxloop.orgs.models import AuditEvent, Membership

    owner = Client()
    owner.force_login(tenant_a.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/o/{tenant_a.org.slug}/settings/invitations/",
                              {"email": "New.Analyst@Example.com", "role": "analyst", "team": tenant_a.team.pk})
    assert response.status_code == 302
    run_tasks()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "new.analyst@example.com"
    assert "Acme Retail" in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode()
    token_path = re.search(r"/invite/[\w-]+/", body).group(0)  # type: ignore[union-attr]

    newcomer = Client()
    assert newcomer.get(token_path).status_code == 200
    response = newcomer.post(token_path, {"display_name": "Nia", "password": "short"})
    assert response.status_code == 200 and b"error" in response.content  # too short: a form error
    response = newcomer.post(token_path, {"display_name": "Nia", "password": "a-long-enough-passphrase"})
    assert response.status_code == 302 and response["Location"] == f"/o/{tenant_a.org.slug}/"
    membership = Membership.objects.get(org=tenant_a.org, user__email="new.analyst@example.com")
    assert membership.role == "analyst" and membership.team == tenant_a.team
    assert AuditEvent.objects.filter(action="invitation.accepted", org=tenant_a.org).exists()
    # The link works once.
    assert Client().get(token_path).status_code == 404


def test_a_user_in_two_orgs_switches_between_them(tenant_a: Any, tenant_b: Any) -> None:
    from cxloop.orgs.services import add_member

    add_member(org=tenant_b.org, user=tenant_a.viewer, role="analyst")
    client = Client()
    client.force_login(tenant_a.viewer)
    page = client.get(f"/o/{tenant_a.org.slug}/").content.decode()
    assert f'href="/o/{tenant_b.org.slug}/"' in page  # the switcher lists both
    assert client.get(f"/o/{tenant_b.org.slug}/").status_code == 200
    assert client.get("/")["Location"] == f"/o/{tenant_b.org.slug}/"  # remembers the last one
