"""Reads of organisations and people, always scoped to one organisation."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from cxloop.orgs.access import one_or_404
from cxloop.orgs.models import ApiKey, AuditEvent, Invitation, Membership, Organization, Team, User


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("org").order_by("org__name")


def teams(org: Organization) -> QuerySet[Team]:
    return Team.objects.filter(org=org).select_related("lead").annotate(member_count=Count("members"))


def team(org: Organization, team_id: int) -> Team:
    return one_or_404(teams(org), team_id, "Team")


def members(org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(org=org).select_related("user", "team").order_by("user__email")


def member(org: Organization, membership_id: int) -> Membership:
    return one_or_404(members(org), membership_id, "Member")


def member_user(org: Organization, email: str) -> User | None:
    m = Membership.objects.filter(org=org, user__email=email.strip().lower()).select_related("user").first()
    return m.user if m else None


def invitations(org: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(org=org).select_related("team")


def invitation(org: Organization, invitation_id: int) -> Invitation:
    return one_or_404(invitations(org), invitation_id, "Invitation")


def api_keys(org: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(org=org).select_related("created_by", "org")


def api_key(org: Organization, key_id: int) -> ApiKey:
    return one_or_404(api_keys(org), key_id, "API key")


def audit_events(org: Organization) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(org=org).select_related("actor")


def team_membership(org: Organization, user: User | None, team: Team) -> Membership | None:
    """The user's membership when it is in ``team`` (None otherwise)."""
    if user is None:
        return None
    return Membership.objects.filter(org=org, user=user, team=team).first()


def membership_by_id(membership_id: int | None) -> Membership | None:
    """A membership named by a signed link (the digest's "stop" link), with its organisation and team."""
    if membership_id is None:
        return None
    return Membership.objects.select_related("org", "team", "user").filter(pk=membership_id).first()
