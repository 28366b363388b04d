"""Outgoing notifications: endpoints (signed webhooks, Feishu / DingTalk / WeCom / Slack bots, e-mail), the
events that happened (an outbox written in the transaction of what caused them) and one delivery per
(event, endpoint) with its log of attempts.

At least once, never lost: an ``Event`` and its ``Delivery`` rows are written in the same transaction as the
change they report, so a crash either loses both or neither. A delivery is then tried by a task (and by the
clock's sweep, should that task be lost), each attempt claimed with a conditional update, so two workers never
send the same attempt. Exactly once per (event, endpoint) row: the unique constraints below.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.orgs.models import Organization, Team


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


class EndpointFormat(models.TextChoices):
    CXLOOP = "cxloop", _("Signed webhook (JSON event)")
    FEISHU = "feishu", _("Feishu / Lark bot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom group robot")
    SLACK = "slack", _("Slack incoming webhook")
    EMAIL = "email", _("E-mail")


CHAT_FORMATS = (EndpointFormat.FEISHU, EndpointFormat.DINGTALK, EndpointFormat.WECOM, EndpointFormat.SLACK)


class Endpoint(models.Model):
    """Where notifications go. ``events`` lists the event types it subscribes to (``["*"]``: all); a team's
    channel (``team`` set) also receives what rules send to it by name. ``secret`` signs cxloop webhooks
    (``X-Cxloop-Signature``) and, for Feishu and DingTalk, the bot's own signature (``chat_secret``)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="endpoints")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="channels")
    name = models.CharField(_("name"), max_length=120)
    format = models.CharField(_("format"), max_length=16, choices=EndpointFormat.choices,
                              default=EndpointFormat.CXLOOP)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)  # format "email"
    events = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=100, blank=True)  # signs cxloop webhooks
    previous_secret = models.CharField(max_length=100, blank=True)  # still signed with until …
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    chat_secret = models.CharField(max_length=200, blank=True)  # Feishu / DingTalk signing
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "pk")
        constraints: ClassVar = [models.UniqueConstraint(fields=["org", "name"], name="endpoint_unique_name")]

    def __str__(self) -> str:
        return self.name

    def subscribes(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class Event(models.Model):
    """Something that happened, for the endpoints that subscribe. ``subject`` makes an event unique per
    cause (``response:91822``, ``alert:4:91822``, ``case:3301:opened``): emitting it again is a no-op."""

    id = models.CharField(primary_key=True, max_length=40, default=new_event_id, editable=False)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32)
    subject = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "type", "subject"], name="event_once_per_subject")
        ]
        indexes: ClassVar = [models.Index(fields=["org", "-created_at"], name="event_org_time")]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event to one endpoint. ``attempts`` counts attempts started; an attempt is claimed by moving
    ``pending`` → ``sending`` with ``attempts + 1`` and a lease (``lease_until``) in one conditional update."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)  # HTTP status of the last attempt
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once_per_endpoint")
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """The log: one row per attempt, with the HTTP status or the error and the first 2 KB of the answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    answer = models.TextField(blank=True)
    ok = models.BooleanField(default=False)
    manual = models.BooleanField(default=False)  # a redelivery someone asked for

    class Meta:
        ordering = ("-started_at", "-pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_unique_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
