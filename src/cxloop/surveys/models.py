"""Surveys: versioned definitions, distributions (channels), personal invitations, responses and
their normalised answers, and the idempotency records that make capture retry-safe.

A ``Survey`` has a working ``draft`` definition; publishing freezes it as the next ``SurveyVersion``
and every ``Response`` keeps the version it answered. One ``Answer`` row per answered question
(or per item of a matrix / SUS / UMUX-Lite question: key ``"<question>.<item>"``).
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
    UMUX_LITE = "umux_lite", _("UMUX-Lite")
    ACSI = "acsi", _("ACSI-style relationship")
    CUSTOM = "custom", _("Custom")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


HEAVY_SURVEY_FIELDS = ("draft", "questions")  # a survey's JSON definitions: tens of kilobytes each


def listed_survey(path: str = "survey") -> tuple[str, ...]:
    """The field paths to ``defer`` where rows are listed with their survey (``select_related(path)``) but only its
    name or status is shown: a survey's JSON definitions are decoded once per listed row otherwise (a third of
    the case inbox's time). ``path=""``: the survey's own fields, for a ``Prefetch`` of surveys."""
    return tuple(f"{path}__{name}" if path else name for name in HEAVY_SURVEY_FIELDS)


class Survey(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    slug = models.SlugField(max_length=40, unique=True, null=True, blank=True)  # public link /s/<slug>/
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=SurveyKind.choices, default=SurveyKind.CUSTOM)
    status = models.CharField(_("status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    touchpoint = models.CharField(_("touchpoint"), max_length=120, blank=True)
    owner_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    draft = models.JSONField(default=dict, blank=True)  # the definition being edited
    current_version = models.PositiveIntegerField(default=0)  # 0 = never published
    close_at = models.DateTimeField(_("close on"), null=True, blank=True)
    brand_color = models.CharField(max_length=7, blank=True)  # "#0b5cad"; empty = organisation default
    questions = models.JSONField(default=list, blank=True)  # legacy (foundation demo); replaced by versions
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        if self.status != SurveyStatus.PUBLISHED:
            return False
        return self.close_at is None or self.close_at > timezone.now()


class SurveyVersion(models.Model):
    """A frozen, published definition. Never edited once written."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        "orgs.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("survey", "-number")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["survey", "number"], name="surveyversion_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class Channel(models.TextChoices):
    LINK = "link", _("Public link")
    PERSONAL = "personal", _("Personal link")
    EMAIL = "email", _("E-mail")
    WIDGET = "widget", _("Website widget")
    QR = "qr", _("QR code")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("In the app")
    WECHAT = "wechat", _("WeChat")


class Distribution(models.Model):
    """One way a survey reaches people (a link, an e-mail wave, the widget, a QR code, the API)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="distributions")
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.LINK)
    touchpoint = models.CharField(_("touchpoint"), max_length=120, blank=True)
    embedded = models.JSONField(default=dict, blank=True)  # fixed embedded fields, e.g. {"store": "SH01"}
    settings = models.JSONField(default=dict, blank=True)
    # Recurring relationship surveys: invite the audience every ``every_days``, a random sample of it.
    audience = models.JSONField(default=dict, blank=True)  # {"tier": [...], "region": [...], ...}
    every_days = models.PositiveIntegerField(null=True, blank=True)
    sample_percent = models.PositiveSmallIntegerField(default=100)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    active = models.BooleanField(default=True)
    last_run = models.JSONField(default=dict, blank=True)  # counts of the last run
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.name


class SurveyInvitation(models.Model):
    """A personal link: one response per token, the contact attached, a funnel of timestamps, and the
    delivery record of its e-mail (attempts, last error, given up)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_invitations")
    token = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=10, blank=True)
    touchpoint = models.CharField(max_length=120, blank=True)
    embedded = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Delivery of the e-mail and its reminder (``surveys.tasks.send_survey_invitation``): attempts made so far
    # (each claims its number, so no two workers send the same attempt), the last SMTP error of either, and
    # when the e-mail was given up (a 5xx refusal, or ``orgs.tasks.MAX_ATTEMPTS`` failed attempts).
    send_attempts = models.PositiveSmallIntegerField(default=0)
    reminder_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    reminder_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes: ClassVar = [models.Index(fields=["org", "contact", "created_at"], name="invite_org_contact_time")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.contact}"


class ResponseStatus(models.TextChoices):
    PARTIAL = "partial", _("Partial")
    COMPLETE = "complete", _("Complete")


class Response(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation = models.OneToOneField(
        SurveyInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.COMPLETE)
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(default=timezone.now)  # last save; completion time when complete
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    last_page = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    touchpoint = models.CharField(_("touchpoint"), max_length=120, blank=True)
    embedded = models.JSONField(default=dict, blank=True)
    resume_token = models.CharField(max_length=64, null=True, blank=True, unique=True)

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
    question_key = models.CharField(max_length=130)
    number = models.FloatField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)  # option keys
    text = models.TextField(blank=True)

    class Meta:
        # The unique constraint's index serves lookups by response (and key); a second index on the
        # same columns only made every answer cost one more B-tree write.
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["response", "question_key"], name="answer_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.question_key}={self.number if self.number is not None else self.text[:40]}"


class IdempotencyRecord(models.Model):
    """The first result of a request sent with an ``Idempotency-Key``; kept at least 24 hours."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=64)  # e.g. "survey:12:responses"
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["org", "scope", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
