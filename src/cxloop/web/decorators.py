"""``org_page``: resolve the organisation in the URL for the signed-in user, or 404/403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from cxloop.orgs.access import READ, WORK, actor_for_user
from cxloop.orgs.models import Role

F = TypeVar("F", bound=Callable[..., HttpResponse])


def org_page(role: str = READ, *, post_role: str | None = None) -> Callable[[F], F]:
    """``role`` is needed to see the page; ``post_role`` (default: ``role``, at least member) to submit it."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_for_user(request.user, org)
            needed = role
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                # Changing anything needs at least the member role, whatever the page.
                needed = post_role or (role if Role.at_least(role, WORK) else WORK)
            if not actor.can(needed):
                raise PermissionDenied(f"This needs the role '{needed}' or higher.")
            request.actor = actor  # type: ignore[attr-defined]
            return view(request, actor, *args, **kwargs)

        return cast(F, wrapper)

    return decorate
