"""Tenancy and people: organisations, departments (teams), memberships with roles, API keys,
invitations and the audit log. Every other app's rows carry an ``org`` foreign key."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles from least to most powerful; ``Role.rank`` orders them."""

    VIEWER = "viewer", _("Viewer")
    MEMBER = "member", _("Member")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", _("Owner")

    @classmethod
    def rank(cls, role: str) -> int:
        return [c.value for c in cls].index(role)

    @classmethod
    def at_least(cls, role: str, minimum: str) -> bool:
        return cls.rank(role) >= cls.rank(minimum)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, username=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. The e-mail address is the sign-in name."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    last_org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = (self.email or "").lower()
        self.username = self.email
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.display_name or self.email


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    default_language = models.CharField(_("default language"), max_length=10, default="zh-hans")
    brand_color = models.CharField(_("brand colour"), max_length=7, default="#0b5cad")
    invite_cap_days = models.PositiveIntegerField(
        _("days between survey invitations to one contact"), default=30
    )
    # Phone numbers, e-mail addresses, ID card and bank card numbers in comments are replaced by
    # [phone], [email], [id], [card] in exports and on the analysis pages (themes, discovery); the stored
    # answers themselves are kept as given.
    redact_pii = models.BooleanField(_("hide personal data in comments"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class OrganizationLogo(models.Model):
    """The organisation's logo, shown on its respondents' pages: the file's bytes in the database (PNG,
    JPEG or WebP, at most ``MAX_LOGO_BYTES``; never SVG). A table of its own, so the organisation row that
    every request loads does not carry the image. ``digest`` names the version in the logo's URL, which
    can therefore be cached for a year."""

    MAX_BYTES = 256 * 1024
    MAX_SIDE = 4096  # pixels

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="logo")
    data = models.BinaryField()
    content_type = models.CharField(max_length=20)  # found from the bytes, not from the upload
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    digest = models.CharField(max_length=16)  # first 16 hex digits of the SHA-256 of data
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"logo of {self.org_id}"


class TeamKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SUPPORT = "support", _("Support")
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    CUSTOMER_SUCCESS = "customer_success", _("Customer Success")
    FINANCE = "finance", _("Finance")
    HR = "hr", _("HR")
    CUSTOM = "custom", _("Custom")


class Team(models.Model):
    """A department of the organisation: the unit that owns touchpoints, cases and KPIs."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("department"), max_length=32, choices=TeamKind.choices, default=TeamKind.CUSTOM)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)
        constraints: ClassVar = [models.UniqueConstraint(fields=["org", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    weekly_digest = models.BooleanField(_("weekly e-mail digest of my team"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("org", "user__email")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org} ({self.role})"


class ApiKey(models.Model):
    """A key for the API, scoped to one organisation and one role. Only its SHA-256 is stored;
    the key itself is shown once, at creation. Format: ``cxl_<prefix>_<secret>``."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} (cxl_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email} → {self.org}"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AuditEvent(models.Model):
    """Security-relevant actions: sign-in (success and failure), keys, roles, invitations, exports."""

    org = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [models.Index(fields=["org", "-created_at"], name="audit_org_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"
