"""Who may see and change what. One function answers "is this person a member of that
organisation, with at least this role?" for pages and API alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from cxloop.orgs.models import ApiKey, Membership, Organization, Role, User

M = TypeVar("M", bound=Model)

# What each verb needs. Reading needs membership; anything that changes data needs more.
READ = Role.VIEWER
WORK = Role.MEMBER  # answer cases, comment
ANALYSE = Role.ANALYST  # build surveys, dashboards, exports
MANAGE = Role.ADMIN  # teams, members, invitations, API keys
OWN = Role.OWNER


class Forbidden(Exception):
    """The caller is a member but their role is too low (HTTP 403)."""

    def __init__(self, needed: str) -> None:
        super().__init__(f"This needs the role '{needed}' or higher.")
        self.needed = needed


class NotFound(Http404):
    """Unknown organisation or object, or one the caller may not know exists (HTTP 404)."""


@dataclass(frozen=True)
class Actor:
    """The caller in one organisation: a signed-in user or an API key."""

    org: Organization
    role: str
    user: User | None = None
    api_key: ApiKey | None = None

    def can(self, needed: str) -> bool:
        return Role.at_least(self.role, needed)

    def require(self, needed: str) -> None:
        if not self.can(needed):
            raise Forbidden(needed)


def one_or_404(queryset: QuerySet[M], pk: int, label: str) -> M:
    """The object with this id in an organisation-scoped queryset, or 404 naming what is missing."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"{label} {pk} not found.")
    return found


def org_or_404(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise NotFound(f"Organisation '{slug}' not found.")
    return org


def actor_for_user(user: User, slug: str) -> Actor:
    """The user's standing in the organisation; 404 when they are not a member (no existence leak)."""
    if not user.is_authenticated:
        raise NotFound(f"Organisation '{slug}' not found.")
    membership = Membership.objects.select_related("org").filter(org__slug=slug, user=user).first()
    if membership is None:
        raise NotFound(f"Organisation '{slug}' not found.")
    return Actor(org=membership.org, role=membership.role, user=user)


def actor_for_key(key: ApiKey, slug: str) -> Actor:
    if key.org.slug != slug:
        raise NotFound(f"Organisation '{slug}' not found.")
    return Actor(org=key.org, role=key.role, api_key=key)
