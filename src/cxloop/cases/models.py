"""The closed loop: alert rules (``core.rules`` definitions), the queue of captured responses they have not
seen yet, cases with their timeline, the organisation's root-cause codes, round-robin state per team and the
promoters' thank-you log (frequency cap).

Exactly once: a response is queued once (``ResponseQueue`` keyed by the response); a rule opens at most one
case per response (``case_once_per_rule``) and fires one ``alert.fired`` event (``notify.Event`` subject).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.customers.models import Account, Contact
from cxloop.orgs.models import Organization, Team
from cxloop.surveys.models import Response, Survey


class AlertRule(models.Model):
    """A rule: ``definition`` is the JSON of ``core.rules`` (``when`` / ``then`` / ``promoter``), validated on
    save by ``cases.services.save_rule``. Rules run in ``position`` order; each matching rule acts."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=120)
    definition = models.JSONField(default=dict)
    enabled = models.BooleanField(_("enabled"), default=True)
    position = models.PositiveIntegerField(default=0)
    fired = models.PositiveIntegerField(default=0)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("position", "pk")
        constraints: ClassVar = [models.UniqueConstraint(fields=["org", "name"], name="alertrule_unique_name")]

    def __str__(self) -> str:
        return self.name


class ResponseQueue(models.Model):
    """A captured response the rules have not seen yet: written in the capture transaction, removed by
    ``cases.intake.process`` in the transaction that acts on it (so nothing is lost or done twice)."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, primary_key=True, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    complete = models.BooleanField(default=True)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["queued_at"], name="responsequeue_time")]

    def __str__(self) -> str:
        return f"queued response {self.response_id}"


class RootCause(models.Model):
    """What caused the problem a case was about (separate from the intake category): a configurable list."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="root_causes")
    code = models.SlugField(max_length=40)
    label = models.CharField(_("label"), max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("label",)
        constraints: ClassVar = [models.UniqueConstraint(fields=["org", "code"], name="rootcause_unique_code")]

    def __str__(self) -> str:
        return self.label


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    CONTACTED = "contacted", _("Contacted")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Case(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cases")
    number = models.PositiveIntegerField()  # per organisation, shown as #123
    title = models.CharField(_("title"), max_length=200)
    response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="cases")
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField(_("category"), max_length=80, blank=True)  # the intake category
    sla_clock = models.CharField(max_length=10, default="calendar")  # calendar | business
    first_contact_due = models.DateTimeField(null=True, blank=True)
    resolve_due = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.ForeignKey(RootCause, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution_note = models.TextField(_("resolution note"), blank=True)
    recovered = models.BooleanField(_("customer recovered"), null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-opened_at", "-pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "number"], name="case_unique_number"),
            models.UniqueConstraint(fields=["rule", "response"], name="case_once_per_rule"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["org", "status", "-opened_at"], name="case_org_status"),
            models.Index(fields=["org", "team", "status"], name="case_org_team"),
            models.Index(fields=["org", "assignee", "status"], name="case_org_assignee"),
            models.Index(fields=["org", "-opened_at"], name="case_org_opened"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Internal comment")
    REPLY = "reply", _("Reply to the customer")
    PRIORITY = "priority", _("Priority changed")
    ESCALATED = "escalated", _("Escalated")


class CaseEvent(models.Model):
    """The case's timeline: every change, comment and reply, with who and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=CaseEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "pk")
        indexes: ClassVar = [models.Index(fields=["case", "at"], name="caseevent_case_time")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class CaseCounter(models.Model):
    """The last case number of an organisation: incremented in the transaction that opens a case (one row
    lock), so two workers opening cases at once never take the same number."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"case counter of {self.org_id}: {self.last}"


class TeamRouting(models.Model):
    """Round-robin state: who in the team got the last case."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    def __str__(self) -> str:
        return f"routing of team {self.team_id}"


class ThankYouLog(models.Model):
    """A promoter thanked by a rule (the frequency cap reads it)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["rule", "response"], name="thankyou_once_per_response")
        ]
        indexes: ClassVar = [models.Index(fields=["contact", "rule", "-sent_at"], name="thankyou_contact")]

    def __str__(self) -> str:
        return f"thanks for response {self.response_id}"
