"""Behavioural events: what customers do (sign-ups, onboarding steps, feature use, task attempts, errors,
purchases, renewals, churn), beside what they say (surveys).

One narrow table made for volume: the event's name, when it happened, the person as one integer (``person``:
the contact's id, or a stable negative number from the anonymous id, see ``core.events.person_number``), the
contact and account when known, the touchpoint key, free properties and the client's event id (unique per
organisation when given, which makes re-sending a batch safe). The indexes serve the reads: per event name and
time (task metrics, the newest events of a name; the person is in the index so counting people reads the index
alone), per event name and person (funnel steps: each step is a merge of the previous step's people with the
step's events in person order, with no hashing), per time (active users, retention) and per person (one
customer's timeline)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cxloop.customers.models import Account, Contact
from cxloop.orgs.models import Organization


class EventSource(models.TextChoices):
    API = "api", "API"
    WIDGET = "widget", "Widget"
    IMPORT = "import", "Import"
    DEMO = "demo", "Demo"


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(max_length=100)
    at = models.DateTimeField()
    person = models.BigIntegerField()
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                db_index=False, db_constraint=False)
    anonymous_id = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                db_index=False, db_constraint=False)
    touchpoint = models.CharField(max_length=120, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    client_id = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=EventSource.choices, default=EventSource.API)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["org", "name", "at", "person"], name="event_org_name_at"),
            models.Index(fields=["org", "name", "person", "at"], name="event_org_name_person"),
            models.Index(fields=["org", "at", "person"], name="event_org_at"),
            models.Index(fields=["org", "person", "at"], name="event_org_person"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "client_id"], condition=~Q(client_id=""),
                                    name="event_unique_client_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M}"


class Funnel(models.Model):
    """A saved funnel: ordered steps (``[{"event": name, "where": {property: value}}, …]``, see
    ``behaviour.funnels``) or, when ``journey`` is set, the journey's stages in order (``steps`` then empty);
    the conversion window in days. ``name`` is ``{language: text}``."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.JSONField(default=dict)
    steps = models.JSONField(default=list, blank=True)
    window_days = models.PositiveIntegerField(default=30)
    journey = models.ForeignKey("journeys.Journey", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="funnels")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("pk",)
        indexes: ClassVar = [models.Index(fields=["org", "updated_at"], name="funnel_org_time")]

    def __str__(self) -> str:
        return str(self.name.get("en") or next(iter(self.name.values()), "funnel"))


class SiteKey(models.Model):
    """The organisation's public site key for the website widget's tracking (``cxloop('track')``,
    ``cxloop('page')``): write-only (it can add events, never read them), so it is safe in a web page. ``origins``
    lists the sites allowed to send with it (``https://shop.example.com``; empty: any site). Rotating it gives a
    new key and stops the old one at once."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    origins = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
