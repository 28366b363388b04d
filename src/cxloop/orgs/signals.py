"""Audit receivers for sign-in events."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from cxloop.orgs.models import AuditEvent, User


def _ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    AuditEvent.objects.create(
        org=user.last_org, actor=user, action="auth.login", target=user.email, ip_address=_ip(request)
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        AuditEvent.objects.create(
            org=user.last_org, actor=user, action="auth.logout", target=user.email, ip_address=_ip(request)
        )


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any) -> None:
    name = str(credentials.get("username") or credentials.get("email") or "")[:255]
    AuditEvent.objects.create(action="auth.login_failed", target=name, ip_address=_ip(request))
