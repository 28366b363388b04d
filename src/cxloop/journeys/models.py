"""Journey maps as data: the organisation's touchpoints (what responses, distributions and events name in their
``touchpoint`` field, with a channel and an owner team), journeys with ordered stages, and steps — a touchpoint
placed in a stage — carrying the service-blueprint lanes people write (customer actions, frontstage, backstage,
support processes, opportunities) and an optional to-be emotion. The lanes computed from data (thoughts and
feelings, pain points) and the live numbers are not stored: ``journeys.live`` reads them for a period.

Names are ``{language: text}`` (zh-hans, zh-hant, en), shown in the reader's language with a fallback."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.orgs.models import Organization, Team


class TouchpointChannel(models.TextChoices):
    WEB = "web", _("Website")
    APP = "app", _("App")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    SALES = "sales", _("Sales")
    CHAT = "chat", _("Chat")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class Touchpoint(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="touchpoints")
    key = models.SlugField(_("key"), max_length=64)  # the value of Response.touchpoint / Survey.touchpoint
    name = models.JSONField(default=dict)
    channel = models.CharField(_("channel"), max_length=16, choices=TouchpointChannel.choices,
                               default=TouchpointChannel.WEB)
    owner_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints")
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("key",)
        constraints: ClassVar = [models.UniqueConstraint(fields=["org", "key"], name="touchpoint_unique_key")]

    def __str__(self) -> str:
        return self.key


class Journey(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="journeys")
    name = models.JSONField(default=dict)
    description = models.TextField(_("description"), blank=True)
    personas = models.ManyToManyField("segments.Persona", blank=True, related_name="journeys")  # whose journey
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return str(self.name.get("en") or next(iter(self.name.values()), "journey"))


class Stage(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(default=0)
    name = models.JSONField(default=dict)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ("journey", "position", "pk")

    def __str__(self) -> str:
        return str(self.name.get("en") or next(iter(self.name.values()), "stage"))


class Step(models.Model):
    """A touchpoint in a stage, with the blueprint lanes people write."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="steps")
    # RESTRICT, not PROTECT: a touchpoint on a journey cannot be deleted on its own, but an organisation (and with
    # it its journeys and touchpoints) can
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    actions = models.TextField(_("customer actions"), blank=True)
    frontstage = models.TextField(_("frontstage"), blank=True)
    backstage = models.TextField(_("backstage"), blank=True)
    support = models.TextField(_("support processes"), blank=True)
    opportunities = models.TextField(_("opportunities"), blank=True)
    target = models.FloatField(_("to-be emotion"), null=True, blank=True)  # −1…1, the target curve

    class Meta:
        ordering = ("stage", "position", "pk")

    def __str__(self) -> str:
        return f"{self.touchpoint_id} in stage {self.stage_id}"
