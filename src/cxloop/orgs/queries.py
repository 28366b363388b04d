"""Reads of organisations and people, always scoped to one organisation."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from cxloop.orgs.access import NotFound
from cxloop.orgs.models import ApiKey, AuditEvent, Invitation, Membership, Organization, Team, User


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("org").order_by("org__name")


def teams(org: Organization) -> QuerySet[Team]:
    return Team.objects.filter(org=org).select_related("lead").annotate(member_count=Count("members"))


def team(org: Organization, team_id: int) -> Team:
    found = teams(org).filter(pk=team_id).first()
    if found is None:
        raise NotFound(f"Team {team_id} not found.")
    return found


def members(org: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(org=org).select_related("user", "team").order_by("user__email")


def member(org: Organization, membership_id: int) -> Membership:
    found = members(org).filter(pk=membership_id).first()
    if found is None:
        raise NotFound(f"Member {membership_id} not found.")
    return found


def member_user(org: Organization, email: str) -> User | None:
    m = Membership.objects.filter(org=org, user__email=email.strip().lower()).select_related("user").first()
    return m.user if m else None


def invitations(org: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(org=org).select_related("team")


def invitation(org: Organization, invitation_id: int) -> Invitation:
    found = invitations(org).filter(pk=invitation_id).first()
    if found is None:
        raise NotFound(f"Invitation {invitation_id} not found.")
    return found


def api_keys(org: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(org=org).select_related("created_by", "org")


def api_key(org: Organization, key_id: int) -> ApiKey:
    found = api_keys(org).filter(pk=key_id).first()
    if found is None:
        raise NotFound(f"API key {key_id} not found.")
    return found


def audit_events(org: Organization) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(org=org).select_related("actor")
