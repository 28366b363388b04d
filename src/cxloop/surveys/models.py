"""Surveys and responses — the minimal shape the foundation and its demo need.

The Listen issue replaces ``Survey`` with versioned definitions; ``Response`` and ``Answer`` keep
this shape (one row per answer, numeric or text) so rollups and the demo keep working.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.customers.models import Account, Contact
from cxloop.orgs.models import Organization, Team


class SurveyKind(models.TextChoices):
    NPS = "nps", _("Relationship NPS")
    CSAT = "csat", _("Customer satisfaction (CSAT)")
    CES = "ces", _("Customer effort (CES)")
    SUS = "sus", _("System usability (SUS)")
    CUSTOM = "custom", _("Custom")


class Survey(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=SurveyKind.choices, default=SurveyKind.CUSTOM)
    touchpoint = models.CharField(_("touchpoint"), max_length=120, blank=True)
    owner_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    questions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Response(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    touchpoint = models.CharField(_("touchpoint"), max_length=120, blank=True)
    embedded = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-submitted_at",)
        indexes: ClassVar = [
            models.Index(fields=["org", "survey", "submitted_at"], name="response_org_survey_time"),
            models.Index(fields=["org", "submitted_at"], name="response_org_time"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to survey {self.survey_id}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question_key = models.CharField(max_length=64)
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["response", "question_key"], name="answer_response_key")]

    def __str__(self) -> str:
        return f"{self.question_key}={self.number if self.number is not None else self.text[:40]}"
