"""Verbs on the organisation's root-cause list (``cases.services`` only reads it): add a cause, switch one off
or on again. A cause is never deleted: resolved cases keep pointing at it (``on_delete=PROTECT``)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.text import slugify

from cxloop.cases import services
from cxloop.cases.models import RootCause
from cxloop.orgs.models import Organization, User
from cxloop.orgs.services import ServiceError, audit

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def add_root_cause(*, org: Organization, label: str, code: str = "", actor: User | None = None) -> RootCause:
    """A new active root cause; ``code`` defaults to the label made a slug (``Billing error`` → ``billing_error``)."""
    label = (label or "").strip()
    if not label:
        raise ServiceError("label: required", field="label", status=422)
    if len(label) > 120:
        raise ServiceError("label: at most 120 characters", field="label", status=422)
    code = (code or "").strip().lower() or slugify(label).replace("-", "_")[:40]
    if not CODE.fullmatch(code):
        raise ServiceError("code: lowercase letters, digits, _ and -, at most 40 characters", field="code",
                           status=422)
    services.root_causes(org)  # the default list first, so a new organisation keeps it
    if RootCause.objects.filter(org=org, code=code).exists():
        raise ServiceError(f"code: a root cause with the code {code!r} exists", field="code", status=409)
    with transaction.atomic():
        cause = RootCause.objects.create(org=org, code=code, label=label, active=True)
        audit("root_cause.created", org=org, actor=actor, target=code, label=label)
    return cause


def set_root_cause_active(*, cause: RootCause, active: bool, actor: User | None = None) -> RootCause:
    if cause.active == active:
        return cause
    with transaction.atomic():
        cause.active = active
        cause.save(update_fields=["active"])
        audit("root_cause.activated" if active else "root_cause.deactivated", org=cause.org, actor=actor,
              target=cause.code)
    return cause
