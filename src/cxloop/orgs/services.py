"""Verbs on organisations and people. Each owns its transaction, writes the audit log and enqueues
follow-up work (e-mails) only once the transaction has committed."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from cxloop.orgs.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    OrganizationLogo,
    Role,
    Team,
    TeamKind,
    User,
)

API_KEY_RE = re.compile(r"^cxl_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{32,64})$")
INVITATION_DAYS = 14


class ServiceError(ValueError):
    """A request that cannot be carried out; ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def audit(
    action: str,
    *,
    org: Organization | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    target: str = "",
    ip: str | None = None,
    **data: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        org=org, actor=actor, api_key=api_key, action=action, target=target[:255], ip_address=ip, data=data
    )


# --- organisations -------------------------------------------------------------------------------


def unique_slug(name: str) -> str:
    base = slugify(name)[:60].strip("-") or "org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def get_or_create_org(*, name: str, slug: str | None = None) -> tuple[Organization, bool]:
    name = name.strip()
    if not name:
        raise ServiceError("An organisation needs a name.", field="name")
    wanted = slug or slugify(name)[:60].strip("-")
    if wanted:
        existing = Organization.objects.filter(slug=wanted).first()
        if existing is not None:
            return existing, False
    with transaction.atomic():
        org = Organization.objects.create(name=name, slug=slug or unique_slug(name))
    return org, True


def add_member(*, org: Organization, user: User, role: str, team: Team | None = None) -> Membership:
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    membership, created = Membership.objects.get_or_create(
        org=org, user=user, defaults={"role": role, "team": team}
    )
    if not created and (membership.role != role or (team and membership.team_id != team.pk)):
        membership.role = role
        membership.team = team or membership.team
        membership.save(update_fields=["role", "team"])
    return membership


def create_admin(*, email: str, org_name: str, password: str) -> tuple[User, Organization]:
    """Create (or update) an owner of an organisation; the organisation is created if missing."""
    email = email.strip().lower()
    if "@" not in email:
        raise ServiceError(f"{email!r} is not an e-mail address.", field="email")
    with transaction.atomic():
        org, _created = get_or_create_org(name=org_name)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, is_staff=True, is_superuser=True)
        else:
            user.set_password(password)
            user.is_staff = user.is_superuser = True
            user.save()
        add_member(org=org, user=user, role=Role.OWNER)
        if user.last_org_id is None:
            user.last_org = org
            user.save(update_fields=["last_org"])
        audit("admin.created", org=org, actor=user, target=email)
    return user, org


def change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == Role.OWNER and role != Role.OWNER:
            owners = Membership.objects.filter(org_id=membership.org_id, role=Role.OWNER).count()
            if owners <= 1:
                raise ServiceError("The last owner cannot be demoted.", field="role", status=409)
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit(
            "member.role_changed", org=membership.org, actor=actor, target=membership.user.email,
            old=old, new=role,
        )
    return membership


def remove_member(*, membership: Membership, actor: User) -> None:
    with transaction.atomic():
        if membership.role == Role.OWNER and (
            Membership.objects.filter(org_id=membership.org_id, role=Role.OWNER).count() <= 1
        ):
            raise ServiceError("The last owner cannot be removed.", field="membership", status=409)
        audit("member.removed", org=membership.org, actor=actor, target=membership.user.email)
        membership.delete()


def set_weekly_digest(*, membership: Membership, on: bool) -> Membership:
    """Turn the member's weekly team digest on or off (the digest's own link, or the team page)."""
    if membership.weekly_digest != on:
        membership.weekly_digest = on
        membership.save(update_fields=["weekly_digest"])
        audit("member.digest_on" if on else "member.digest_off", org=membership.org, actor=membership.user,
              target=membership.user.email)
    return membership


# --- teams ---------------------------------------------------------------------------------------


def save_team(
    *,
    org: Organization,
    name: str,
    kind: str,
    lead: User | None = None,
    description: str = "",
    team: Team | None = None,
    actor: User | None = None,
) -> Team:
    name = name.strip()
    if not name:
        raise ServiceError("A team needs a name.", field="name")
    if kind not in TeamKind.values:
        raise ServiceError(f"Unknown department {kind!r}; use one of {', '.join(TeamKind.values)}.", field="kind")
    if lead is not None and not Membership.objects.filter(org=org, user=lead).exists():
        raise ServiceError("The lead must be a member of the organisation.", field="lead")
    try:
        with transaction.atomic():
            if team is None:
                team = Team.objects.create(org=org, name=name, kind=kind, lead=lead, description=description)
                audit("team.created", org=org, actor=actor, target=name)
            else:
                team.name, team.kind, team.lead, team.description = name, kind, lead, description
                team.save()
                audit("team.updated", org=org, actor=actor, target=name)
    except IntegrityError:
        raise ServiceError(f"A team named {name!r} already exists.", field="name", status=409) from None
    return team


def delete_team(*, team: Team, actor: User | None) -> None:
    with transaction.atomic():
        audit("team.deleted", org=team.org, actor=actor, target=team.name)
        team.delete()


# --- API keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    plaintext: str


def create_api_key(*, org: Organization, role: str, name: str = "", actor: User | None = None) -> NewApiKey:
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    prefix = "".join(secrets.choice(alphabet) for _ in range(12))
    plaintext = f"cxl_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            org=org, name=name.strip() or f"{role} key", role=role, prefix=prefix,
            key_hash=_sha256(plaintext), created_by=actor,
        )
        audit("apikey.created", org=org, actor=actor, api_key=key, target=str(key), role=role)
    return NewApiKey(key=key, plaintext=plaintext)


class ApiKeyError(ServiceError):
    pass


def authenticate_api_key(raw: str) -> ApiKey:
    """Return the active key for ``raw`` or raise ApiKeyError (status 401) saying why."""
    match = API_KEY_RE.match(raw.strip())
    if not match:
        raise ApiKeyError(
            "Malformed API key: expected 'Authorization: Bearer cxl_<12 characters>_<secret>'.", status=401
        )
    key = ApiKey.objects.select_related("org").filter(prefix=match.group(1)).first()
    if key is None or not hmac.compare_digest(key.key_hash, _sha256(raw.strip())):
        raise ApiKeyError("Unknown API key.", status=401)
    if key.revoked_at is not None:
        raise ApiKeyError("This API key has been revoked.", status=401)
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(seconds=60):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # at most one write a minute per key
        key.last_used_at = now
    return key


@dataclass(frozen=True)
class KeyIdentity:
    key_id: int
    org_id: int
    org_slug: str
    role: str


def api_key_identity(raw: str) -> KeyIdentity | None:
    """The organisation and role of an active API key, in one indexed SELECT and no write: for the
    capture fast path. None when the key is malformed, unknown or revoked, or when its last-use time
    is due for an update; the caller then takes the full path (:func:`authenticate_api_key`), which
    records the use or answers 401 with the reason."""
    match = API_KEY_RE.match(raw)
    if not match:
        return None
    key_table, org_table = ApiKey._meta.db_table, Organization._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.id, k.org_id, o.slug, k.role, k.key_hash, k.revoked_at, k.last_used_at "  # noqa: S608
            f"FROM {key_table} k JOIN {org_table} o ON o.id = k.org_id WHERE k.prefix = %s",
            [match.group(1)],
        )
        row = cursor.fetchone()
    if row is None or row[5] is not None or not hmac.compare_digest(row[4], _sha256(raw)):
        return None
    last_used = row[6]
    if isinstance(last_used, str):  # SQLite without a declared-type converter
        last_used = datetime.fromisoformat(last_used)
    if last_used is None:
        return None
    if last_used.tzinfo is None:
        last_used = last_used.replace(tzinfo=UTC)
    if timezone.now() - last_used > timedelta(seconds=60):
        return None
    return KeyIdentity(key_id=row[0], org_id=row[1], org_slug=row[2], role=row[3])


def set_logo(*, org: Organization, data: bytes, actor: User | None = None) -> OrganizationLogo:
    """Store ``data`` as the organisation's logo (PNG, JPEG or WebP, checked by its bytes; at most
    ``OrganizationLogo.MAX_BYTES`` and ``MAX_SIDE`` pixels a side), audit-logged."""
    from cxloop.core.images import sniff

    info = sniff(data)
    if info is None:
        raise ServiceError("logo: use a PNG, JPEG or WebP image.", field="logo")
    if len(data) > OrganizationLogo.MAX_BYTES or max(info.width, info.height) > OrganizationLogo.MAX_SIDE:
        raise ServiceError("logo: the image is too large.", field="logo")
    digest = hashlib.sha256(data).hexdigest()[:16]
    with transaction.atomic():
        logo, _ = OrganizationLogo.objects.update_or_create(
            org=org, defaults={"data": data, "content_type": info.content_type, "width": info.width,
                               "height": info.height, "digest": digest, "updated_at": timezone.now()})
        audit("org.logo_updated", org=org, actor=actor, target=org.name, content_type=info.content_type,
              bytes=len(data), digest=digest)
    return logo


def remove_logo(*, org: Organization, actor: User | None = None) -> None:
    with transaction.atomic():
        if OrganizationLogo.objects.filter(org=org).delete()[0]:
            audit("org.logo_removed", org=org, actor=actor, target=org.name)


def revoke_api_key(*, key: ApiKey, actor: User | None = None) -> ApiKey:
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit("apikey.revoked", org=key.org, actor=actor, api_key=key, target=str(key))
    return key


# --- invitations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str


def invite(
    *, org: Organization, email: str, role: str, actor: User | None, team: Team | None = None
) -> NewInvitation:
    from cxloop.orgs import tasks  # local: tasks import services' models only

    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError(f"{email!r} is not an e-mail address.", field="email")
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    if role == Role.OWNER:
        raise ServiceError("Owners are made by promoting a member, not by invitation.", field="role")
    if Membership.objects.filter(org=org, user__email=email).exists():
        raise ServiceError(f"{email} is already a member.", field="email", status=409)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            org=org, email=email, role=role, team=team, token_hash=_sha256(token), invited_by=actor,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        audit("invitation.sent", org=org, actor=actor, target=email, role=role)
        transaction.on_commit(
            lambda: tasks.send_invitation_email.enqueue(invitation_id=invitation.pk, token=token)
        )
    return NewInvitation(invitation=invitation, token=token)


def find_invitation(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("org").filter(token_hash=_sha256(token)).first()
    if invitation is None or not invitation.pending:
        return None
    return invitation


def accept_invitation(*, token: str, user: User) -> Membership:
    with transaction.atomic():
        invitation = find_invitation(token)
        if invitation is None:
            raise ServiceError("This invitation is invalid, used or expired.", field="token", status=404)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        membership = add_member(org=invitation.org, user=user, role=invitation.role, team=invitation.team)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        user.last_org = invitation.org
        user.save(update_fields=["last_org"])
        audit("invitation.accepted", org=invitation.org, actor=user, target=user.email)
    return membership


def revoke_invitation(*, invitation: Invitation, actor: User | None) -> None:
    with transaction.atomic():
        if invitation.revoked_at is None and invitation.accepted_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit("invitation.revoked", org=invitation.org, actor=actor, target=invitation.email)
