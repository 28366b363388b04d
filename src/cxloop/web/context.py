"""What every page's shell needs: the organisations the user can switch to, the current one, the
navigation and the languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

NAV = [
    ("dashboard", _("Dashboard")),
    ("surveys", _("Surveys")),
    ("themes", _("Themes")),
    ("accounts", _("Accounts")),
    ("journeys", _("Journeys")),
    ("behaviour", _("Behaviour")),
    ("personas", _("Personas")),
    ("cases", _("Cases")),
    ("governance", _("Governance")),
    ("settings", _("Settings")),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    from cxloop.orgs.queries import memberships_of

    user = getattr(request, "user", None)
    memberships = list(memberships_of(user)) if user is not None and user.is_authenticated else []
    return {
        "shell_memberships": memberships,
        "shell_nav": NAV,
        "shell_languages": settings.LANGUAGES,
        "shell_actor": getattr(request, "actor", None),
    }
