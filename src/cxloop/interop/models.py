"""What was imported from another survey tool: one ``SurveyImport`` per file (its notes kept, so what could not be
represented stays visible after the upload page is gone), and one ``SourceResponse`` per stored response (the
source's response id, so importing the same export again stores nothing twice)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from cxloop.orgs.models import Organization
from cxloop.surveys.models import Response, Survey


class SurveyImport(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=16)  # "qsf" | "lss" | "surveyjs"
    file_name = models.CharField(max_length=255, blank=True)
    responses_file_name = models.CharField(max_length=255, blank=True)
    notes = models.JSONField(default=list, blank=True)  # [{"where", "what", "kind"}]
    questions = models.PositiveIntegerField(default=0)
    responses_read = models.PositiveIntegerField(default=0)
    responses_stored = models.PositiveIntegerField(default=0)
    responses_skipped = models.PositiveIntegerField(default=0)  # already imported before
    responses_refused = models.PositiveIntegerField(default=0)  # not valid for the survey (each with a note)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source}: {self.file_name}"


class SourceResponse(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16)
    source_id = models.CharField(max_length=128)
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["survey", "source", "source_id"],
                                                         name="source_response_once")]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"
