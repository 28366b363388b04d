"""Privacy (issue 10): a retention policy per survey (delete or anonymise responses older than N months) and the
marker of an anonymised response (so the retention run does not redo it). Data-subject export and erasure keep no
table of their own: the audit log records them (contact id and counts only, never personal data)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.orgs.models import Organization
from cxloop.surveys.models import Response, Survey

MIN_MONTHS = 1
MAX_MONTHS = 120


class RetentionAction(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMISE = "anonymise", _("Anonymise")


class RetentionPolicy(models.Model):
    """Responses to ``survey`` submitted more than ``months`` months ago are deleted or anonymised once a day."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="retention_policy")
    months = models.PositiveSmallIntegerField(_("months"))
    action = models.CharField(_("action"), max_length=10, choices=RetentionAction.choices)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    last_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(months__gte=MIN_MONTHS) & Q(months__lte=MAX_MONTHS),
                                   name="retention_months_range"),
        ]

    def __str__(self) -> str:
        return f"{self.action} responses to survey {self.survey_id} after {self.months} months"


class AnonymisedResponse(models.Model):
    """A response whose personal links and free text were removed by a retention policy."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, primary_key=True,
                                    related_name="privacy_anonymised")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    anonymised_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"response {self.response_id} anonymised"
