"""Text analytics stored: each organisation's codeframe (``core.text.themes`` JSON), one analysis per response
with a comment (language, sentiment, themes), one row per (response, theme) for fast per-theme counts and
trends, and re-theming jobs with progress."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from cxloop.orgs.models import Organization
from cxloop.surveys.models import Response, Survey


class Codeframe(models.Model):
    """The organisation's themes; ``version`` moves on every save (analyses record the version they used)."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="codeframe")
    definition = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    def __str__(self) -> str:
        return f"codeframe of {self.org_id} v{self.version}"


class CommentAnalysis(models.Model):
    response = models.OneToOneField(Response, on_delete=models.CASCADE, primary_key=True, related_name="analysis")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField()
    language = models.CharField(max_length=8)
    sentiment_score = models.FloatField()
    sentiment_label = models.CharField(max_length=8)
    confidence = models.FloatField()
    themes = models.JSONField(default=list)  # theme keys, ancestors included
    scores = models.JSONField(default=dict)  # the response's numeric answers {question_key: number}
    codeframe_version = models.PositiveIntegerField(default=0)
    analysed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["org", "survey", "submitted_at"], name="analysis_org_survey_time"),
            models.Index(fields=["org", "submitted_at"], name="analysis_org_time"),
        ]

    def __str__(self) -> str:
        return f"analysis of response {self.response_id}"


class ThemeHit(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    theme = models.CharField(max_length=120)
    submitted_at = models.DateTimeField()
    sentiment_label = models.CharField(max_length=8)
    # Copies of the analysis' sentiment score and scores: a theme read over a window then reads this table's
    # rows in the window only, however large the answers and analyses grow (no join).
    sentiment_score = models.FloatField(default=0.0)
    scores = models.JSONField(default=dict)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["response", "theme"], name="themehit_once")]
        indexes: ClassVar = [models.Index(fields=["org", "theme", "submitted_at"], name="themehit_org_theme_time")]

    def __str__(self) -> str:
        return f"{self.theme} in response {self.response_id}"


class RethemeJob(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, default="queued")  # queued | running | done | failed
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    codeframe_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"retheme {self.pk} of {self.org_id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.total == 0:
            return 100 if self.status == "done" else 0
        return int(100 * self.done / self.total)
