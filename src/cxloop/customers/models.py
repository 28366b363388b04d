"""Customers: B2B accounts and the contacts (people) who answer surveys, with stakeholder roles."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.orgs.models import Organization


class Tier(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    MID_MARKET = "mid_market", _("Mid-market")
    SMB = "smb", _("Small business")


class Account(models.Model):
    """A B2B customer company."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="accounts")
    external_id = models.CharField(max_length=100)
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.SMB)
    region = models.CharField(_("region"), max_length=80, blank=True)
    arr = models.DecimalField(_("annual recurring revenue"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="CNY")
    customer_since = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner CSM"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "external_id"], name="account_unique_external_id")
        ]
        indexes: ClassVar = [models.Index(fields=["org", "tier"], name="account_org_tier")]

    def __str__(self) -> str:
        return self.name


class StakeholderRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")


class Contact(models.Model):
    """A person at a customer (or a consumer without an account)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    external_id = models.CharField(max_length=100)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    title = models.CharField(_("job title"), max_length=120, blank=True)
    stakeholder_role = models.CharField(
        _("stakeholder role"), max_length=20, choices=StakeholderRole.choices, default=StakeholderRole.USER
    )
    attributes = models.JSONField(default=dict, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)  # no survey e-mails after this
    last_invited_at = models.DateTimeField(null=True, blank=True)  # for the contact-frequency cap
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "external_id"], name="contact_unique_external_id")
        ]
        indexes: ClassVar = [models.Index(fields=["org", "email"], name="contact_org_email")]

    def __str__(self) -> str:
        return self.name


class AccountHealthSettings(models.Model):
    """An organisation's account-health settings (``core.account_health.HealthSettings``); absent = defaults."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="account_health_settings")
    weights = models.JSONField(default=dict, blank=True)  # {role: weight}; missing roles take the default
    key_roles = models.JSONField(default=list, blank=True)  # empty = the default key roles
    threshold = models.FloatField(_("low health below"), default=40.0)
    drop_points = models.FloatField(_("falling by at least (points)"), default=10.0)
    coverage_weight = models.FloatField(_("weight of coverage in health"), default=0.3)
    silent_is_risk = models.BooleanField(_("silent accounts renewing soon are at risk"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    def __str__(self) -> str:
        return f"account health settings of {self.org_id}"
