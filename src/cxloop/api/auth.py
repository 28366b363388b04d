"""API authentication: ``Authorization: Bearer <key>`` (organisation-scoped API keys) or the browser
session (for the API docs page and htmx calls)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import SessionAuth
from ninja.security.http import HttpAuthBase

from cxloop.orgs.access import Actor, actor_for_key, actor_for_user
from cxloop.orgs.models import ApiKey, User
from cxloop.orgs.services import ApiKeyError, authenticate_api_key


class ApiKeyBearer(HttpAuthBase):
    openapi_scheme = "bearer"
    openapi_bearerFormat = "cxl_<prefix>_<secret>"

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        value = request.headers.get("Authorization")
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiKeyError(
                "Malformed Authorization header: expected 'Bearer <API key>'.", status=401
            )
        return authenticate_api_key(token)


def actor(request: HttpRequest, org_slug: str) -> Actor:
    """The caller's standing in ``org_slug``: 404 if the key or user does not belong to it."""
    auth: Any = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return actor_for_key(auth, org_slug)
    if isinstance(auth, User):
        return actor_for_user(auth, org_slug)
    user = getattr(request, "user", None)
    if isinstance(user, User):
        return actor_for_user(user, org_slug)
    raise ApiKeyError("Authentication required.", status=401)


AUTH = [ApiKeyBearer(), SessionAuth()]
