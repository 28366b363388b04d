"""An export of a survey's responses that runs in the background, with its progress and its file."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxloop.orgs.models import ApiKey, Organization
from cxloop.surveys.models import Survey


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")
    JSONL = "jsonl", _("JSON Lines")
    QUALTRICS = "qualtrics", _("Qualtrics-like CSV")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportJob(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="export_jobs")
    requested_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=12, choices=ExportFormat.choices, default=ExportFormat.CSV)
    # {"since": ISO, "until": ISO, "status": "complete"|"partial"|"", "bom": bool, "trailer": bool}
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)  # counted when the job starts
    row_count = models.PositiveIntegerField(null=True, blank=True)  # rows in the finished file
    file_path = models.CharField(max_length=300, blank=True)  # relative to CXLOOP_DATA_DIR/exports
    file_name = models.CharField(max_length=200, blank=True)  # the name a download gets
    size_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # the file is deleted after this

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [models.Index(fields=["org", "survey", "-created_at"], name="export_org_survey_time")]

    def __str__(self) -> str:
        return f"export {self.pk} of survey {self.survey_id} ({self.format}, {self.status})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))

    @property
    def active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
